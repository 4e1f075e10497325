// SPDX-License-Identifier: MIT
/*
 * dmatest.c - `dmakit dmatest`: the Linux dmatest in user space. It builds a
 * machine with DK-DMAC controllers, takes their channels through the
 * dmaengine client API and runs test threads on them that copy (and fill,
 * where the channel can) between buffers whose every byte says where it
 * belongs, then verifies both buffers byte by byte.
 *
 * The method is Linux's (drivers/dma/dmatest.c), re-written: per iteration a
 * random length and random source/destination offsets inside buffers of
 * --buf-size bytes (aligned to the controller's copy/fill alignment or
 * --alignment); the buffers are filled with a pattern whose byte i is
 *
 *	bit 7	   1 in the source buffer, 0 in the destination buffer
 *	bit 6	   set in the source bytes that are to be copied
 *	bit 5	   set in the destination bytes to be overwritten
 *	bits 4:0   ~i, the byte's index inverted (fixed for memset)
 *
 * so after the transfer the source must be unchanged everywhere, the
 * destination must keep its own pattern before and after the window and
 * hold the source's pattern inside it, with the index continuing from the
 * source offset: a missing, short, long, shifted or wrong copy, a write
 * outside the window and a changed source are all seen. Buffers are
 * kmalloc()ed in simulated RAM and mapped per iteration on the channel's
 * DMA device (source DMA_TO_DEVICE, destination DMA_BIDIRECTIONAL).
 *
 * Output is Linux's: "dmatest: <thread>: result #N: ..." for failures (and
 * passes with --verbose), at most 32 mismatch lines per verification, and
 * "dmatest: <thread>: summary N tests, F failures I.FF iops K KB/s (ret)"
 * per thread, plus one line for the whole run:
 * "dmatest: all: summary ... (T threads, C channels)". A progress bar is
 * drawn when stdout is a terminal. The exit status is 0 only if every test
 * of every thread passed.
 *
 * Where we differ from Linux: a test that timed out is terminated
 * (dmaengine_terminate_sync) before its buffers are unmapped, so a late
 * transfer cannot write into reused memory; --polled spins on
 * dmaengine_tx_status() against --timeout instead of dma_sync_wait(); with
 * --iterations 0 the run lasts until SIGINT/SIGTERM.
 *
 * LOCKING: out_lock (a pthread mutex) serializes output lines and the
 * progress bar. Each thread's counters are written by the thread and read
 * by the progress bar with __atomic loads. A thread's completion is
 * completed by the channel's callback (tasklet context).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/jiffies.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <dmakit/log.h>
#include <dmakit/machine.h>
#include "cli.h"

#define DT_PATTERN_SRC		0x80
#define DT_PATTERN_DST		0x00
#define DT_PATTERN_COPY		0x40
#define DT_PATTERN_OVERWRITE	0x20
#define DT_PATTERN_COUNT_MASK	0x1f
#define DT_PATTERN_MEMSET_IDX	0x01

/* Mismatch lines printed per verification, as Linux. */
#define DT_MAX_ERRORS		32
#define DT_MAX_THREADS		4096
#define DT_MAX_CONTROLLERS	8

enum dt_ops { DT_OP_COPY = 1, DT_OP_SET = 2 };

struct dt_params {
	const char *channel;		/* NULL: all */
	unsigned int threads_per_chan;
	unsigned int iterations;	/* 0: until a signal */
	unsigned int buf_size;
	unsigned int transfer_size;	/* 0: random */
	int timeout_ms;			/* -1: forever */
	int alignment;			/* -1: the controller's */
	unsigned int max_channels;	/* 0: all */
	unsigned int controllers;
	unsigned int ops;		/* enum dt_ops bits */
	bool noverify, norandom, polled, iommu, verbose, inject;
	uint64_t seed;
};

struct dt_run;

struct dt_thread {
	struct dt_run *run;
	struct dma_chan *chan;
	enum dma_transaction_type type;
	char name[48];
	pthread_t tid;
	bool started;

	/* Completed by the channel's callback. */
	struct completion cmp;
	bool finished;			/* atomic: the thread has ended */

	/* Written by the thread; tests/failures read atomically. */
	unsigned int tests, failures;
	int ret;
	uint64_t runtime_ns, total_len;
	uint64_t rng;
};

struct dt_chan {
	struct dma_chan *chan;
	unsigned int first, nr;	/* threads[first .. first + nr) */
};

struct dt_run {
	struct dt_params p;
	struct dk_machine *m;
	struct dt_chan *chans;
	unsigned int nr_chans;
	struct dt_thread *threads;
	unsigned int nr_threads;
	bool progress;			/* stdout is a terminal */
	bool bar_drawn;			/* under out_lock */
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dt_run *out_run;
static volatile sig_atomic_t dt_stop;

static void dt_on_signal(int sig)
{
	(void)sig;
	dt_stop = 1;
}

static bool dt_stopping(void)
{
	return dt_stop != 0;
}

/* One output line, from any of our threads; erases the progress bar. */
static void dt_print(const char *fmt, ...) DK_PRINTF(1, 2);
static void dt_print(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	if (out_run && out_run->bar_drawn) {
		fputs("\r\033[K", stdout);
		out_run->bar_drawn = false;
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static uint64_t dt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t dt_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* ---- patterns and verification ------------------------------------------- */

static u8 dt_inv_idx(unsigned int idx, bool memset_op)
{
	u8 v = memset_op ? DT_PATTERN_MEMSET_IDX : (u8)idx;

	return (u8)(~v & DT_PATTERN_COUNT_MASK);
}

/* Source: the window [start, start + len) is marked COPY. */
static void dt_fill_src(u8 *buf, unsigned int start, unsigned int len,
			unsigned int size, bool memset_op)
{
	for (unsigned int i = 0; i < size; i++) {
		u8 v = DT_PATTERN_SRC | dt_inv_idx(i, memset_op);

		if (i >= start && i - start < len)
			v |= DT_PATTERN_COPY;
		buf[i] = v;
	}
}

/* Destination: the window [start, start + len) is marked OVERWRITE. */
static void dt_fill_dst(u8 *buf, unsigned int start, unsigned int len,
			unsigned int size, bool memset_op)
{
	for (unsigned int i = 0; i < size; i++) {
		u8 v = DT_PATTERN_DST | dt_inv_idx(i, memset_op);

		if (i >= start && i - start < len)
			v |= DT_PATTERN_OVERWRITE;
		buf[i] = v;
	}
}

/* Say what a wrong byte most likely means. */
static void dt_mismatch(const struct dt_thread *t, u8 seen, u8 pattern,
			unsigned int index, unsigned int counter,
			bool srcbuf, bool memset_op)
{
	u8 diff = seen ^ pattern;
	u8 expected = pattern | dt_inv_idx(counter, memset_op);
	const char *what;

	if (srcbuf)
		what = "overwritten!";
	else if ((pattern & DT_PATTERN_COPY) &&
		 (diff & (DT_PATTERN_COPY | DT_PATTERN_OVERWRITE)))
		what = "not copied!";
	else if (diff & DT_PATTERN_SRC)
		what = "was copied!";
	else
		what = "mismatch!";
	dt_print("dmatest: %s: %s[0x%x] %s Expected %02x, got %02x\n",
		 t->name, srcbuf ? "srcbuf" : "dstbuf", index, what, expected,
		 seen);
}

/*
 * Check buf[start, end) against @pattern with the index counter starting at
 * @counter; print at most DT_MAX_ERRORS lines (*printed counts them across
 * the calls of one verification). Return the number of wrong bytes.
 */
static unsigned int dt_verify(const struct dt_thread *t, const u8 *buf,
			      unsigned int start, unsigned int end,
			      unsigned int counter, u8 pattern, bool srcbuf,
			      bool memset_op, unsigned int *printed)
{
	unsigned int errors = 0;

	for (unsigned int i = start; i < end; i++, counter++) {
		u8 expected = pattern | dt_inv_idx(counter, memset_op);

		if (buf[i] == expected)
			continue;
		if (*printed < DT_MAX_ERRORS) {
			dt_mismatch(t, buf[i], pattern, i, counter, srcbuf,
				    memset_op);
			(*printed)++;
		}
		errors++;
	}
	return errors;
}

static unsigned int dt_verify_all(const struct dt_thread *t, const u8 *src,
				  unsigned int soff, const u8 *dst,
				  unsigned int doff, unsigned int len,
				  unsigned int size, bool memset_op)
{
	unsigned int printed = 0, n = 0;

	n += dt_verify(t, src, 0, soff, 0, DT_PATTERN_SRC, true, memset_op,
		       &printed);
	n += dt_verify(t, src, soff, soff + len, soff,
		       DT_PATTERN_SRC | DT_PATTERN_COPY, true, memset_op,
		       &printed);
	n += dt_verify(t, src, soff + len, size, soff + len, DT_PATTERN_SRC,
		       true, memset_op, &printed);
	n += dt_verify(t, dst, 0, doff, 0, DT_PATTERN_DST, false, memset_op,
		       &printed);
	n += dt_verify(t, dst, doff, doff + len, soff,
		       DT_PATTERN_SRC | DT_PATTERN_COPY, false, memset_op,
		       &printed);
	n += dt_verify(t, dst, doff + len, size, doff + len, DT_PATTERN_DST,
		       false, memset_op, &printed);
	if (n > printed)
		dt_print("dmatest: %s: %u errors suppressed\n", t->name,
			 n - printed);
	return n;
}

/* ---- results ------------------------------------------------------------- */

static void dt_result(const struct dt_thread *t, const char *msg,
		      unsigned int n, unsigned int soff, unsigned int doff,
		      unsigned int len, long val)
{
	dt_print("dmatest: %s: result #%u: '%s' with src_off=0x%x dst_off=0x%x len=0x%x (%ld)\n",
		 t->name, n, msg, soff, doff, len, val);
}

/* Per second, in hundredths: @val events over @ns nanoseconds. */
static uint64_t dt_per_sec_x100(uint64_t val, uint64_t ns)
{
	unsigned __int128 x;

	if (!ns)
		return 0;
	x = (unsigned __int128)val * 100u * 1000000000u / ns;
	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

static void dt_summary(const char *name, unsigned int tests,
		       unsigned int failures, uint64_t ns, uint64_t bytes,
		       int ret, const char *tail)
{
	uint64_t iops = dt_per_sec_x100(tests, ns);
	uint64_t kbs = dt_per_sec_x100(bytes >> 10, ns) / 100;

	dt_print("dmatest: %s: summary %u tests, %u failures %" PRIu64
		 ".%02" PRIu64 " iops %" PRIu64 " KB/s (%d)%s\n", name, tests,
		 failures, iops / 100, iops % 100, kbs, ret, tail);
}

/* ---- one test thread ----------------------------------------------------- */

static void dt_callback(void *arg)
{
	struct dt_thread *t = arg;

	if (__atomic_load_n(&t->finished, __ATOMIC_ACQUIRE)) {
		dt_print("dmatest: %s: callback after the thread ended: memory may be corrupted!!\n",
			 t->name);
		return;
	}
	complete(&t->cmp);
}

/* Wait for @cookie: the callback, or (polled) tx_status. */
static enum dma_status dt_wait(struct dt_thread *t, dma_cookie_t cookie,
			       bool *done)
{
	const struct dt_params *p = &t->run->p;
	enum dma_status st;
	uint64_t end;

	if (!p->polled) {
		unsigned long to = p->timeout_ms < 0 ? MAX_SCHEDULE_TIMEOUT :
			msecs_to_jiffies((unsigned int)p->timeout_ms);

		*done = wait_for_completion_timeout(&t->cmp, to) != 0;
		return dma_async_is_tx_complete(t->chan, cookie, NULL, NULL);
	}
	end = p->timeout_ms < 0 ? UINT64_MAX :
	      dt_now_ns() + (uint64_t)p->timeout_ms * 1000000ull;
	for (;;) {
		st = dmaengine_tx_status(t->chan, cookie, NULL);
		if (st != DMA_IN_PROGRESS && st != DMA_PAUSED) {
			*done = true;
			return st;
		}
		if (dt_now_ns() >= end) {
			*done = false;
			return st;
		}
		/* Spinning threads outnumber the cores: let others run. */
		sched_yield();
	}
}

static void *dt_thread_main(void *arg)
{
	struct dt_thread *t = arg;
	const struct dt_params *p = &t->run->p;
	struct dma_chan *chan = t->chan;
	struct dma_device *dma = chan->device;
	struct device *dev = dmaengine_get_dma_device(chan);
	bool memset_op = t->type == DMA_MEMSET;
	unsigned int size = p->buf_size, align, total = 0, failed = 0;
	unsigned long flags;
	uint64_t t0, spent = 0, len_sum = 0;
	u8 *src_raw = NULL, *dst_raw = NULL, *src, *dst;

	pthread_setname_np(pthread_self(), t->name);
	if (p->alignment >= 0)
		align = (unsigned int)p->alignment;
	else
		align = memset_op ? dma->fill_align : dma->copy_align;
	if (align > 20 || (1u << align) > size) {
		dt_print("dmatest: %s: %u-byte buffer too small for %u-byte alignment\n",
			 t->name, size, 1u << (align > 20 ? 20 : align));
		t->ret = -EINVAL;
		goto out;
	}
	if (p->transfer_size && p->transfer_size >= size) {
		dt_print("dmatest: %s: %u-byte transfer size must be lower than %u-buffer size\n",
			 t->name, p->transfer_size, size);
		t->ret = -EINVAL;
		goto out;
	}
	src_raw = kmalloc(size + (1u << align), GFP_KERNEL);
	dst_raw = kmalloc(size + (1u << align), GFP_KERNEL);
	if (!src_raw || !dst_raw) {
		dt_print("dmatest: %s: no memory for two %u-byte buffers\n",
			 t->name, size);
		t->ret = -ENOMEM;
		goto out;
	}
	src = (u8 *)ALIGN((uintptr_t)src_raw, (uintptr_t)1 << align);
	dst = (u8 *)ALIGN((uintptr_t)dst_raw, (uintptr_t)1 << align);

	flags = DMA_CTRL_ACK | (p->polled ? 0 : DMA_PREP_INTERRUPT);
	t0 = dt_now_ns();
	while (!dt_stopping() && (!p->iterations || total < p->iterations)) {
		struct dma_async_tx_descriptor *tx;
		dma_addr_t sbus, dbus;
		dma_cookie_t cookie;
		enum dma_status st;
		unsigned int len, soff, doff, errs;
		uint64_t f0;
		bool done;

		total++;
		if (p->transfer_size)
			len = p->transfer_size;
		else if (p->norandom)
			len = size;
		else
			len = (unsigned int)(dt_rand(&t->rng) % size) + 1;
		if (!p->transfer_size) {
			len = (len >> align) << align;
			if (!len)
				len = 1u << align;
		}
		if (p->norandom) {
			soff = doff = 0;
		} else {
			soff = (unsigned int)(dt_rand(&t->rng) %
					      (size - len + 1));
			doff = (unsigned int)(dt_rand(&t->rng) %
					      (size - len + 1));
			soff = (soff >> align) << align;
			doff = (doff >> align) << align;
		}
		len_sum += len;

		if (!p->noverify) {
			f0 = dt_now_ns();
			dt_fill_src(src, soff, len, size, memset_op);
			dt_fill_dst(dst, doff, len, size, memset_op);
			spent += dt_now_ns() - f0;
		}

		sbus = dma_map_single(dev, src, size, DMA_TO_DEVICE);
		if (dma_mapping_error(dev, sbus)) {
			dt_result(t, "src mapping error", total, soff, doff,
				  len, -ENOMEM);
			failed++;
			continue;
		}
		dbus = dma_map_single(dev, dst, size, DMA_BIDIRECTIONAL);
		if (dma_mapping_error(dev, dbus)) {
			dt_result(t, "dst mapping error", total, soff, doff,
				  len, -ENOMEM);
			dma_unmap_single(dev, sbus, size, DMA_TO_DEVICE);
			failed++;
			continue;
		}

		if (memset_op)
			tx = dmaengine_prep_dma_memset(chan, dbus + doff,
						       src[soff], len, flags);
		else
			tx = dmaengine_prep_dma_memcpy(chan, dbus + doff,
						       sbus + soff, len,
						       flags);
		if (!tx) {
			dt_result(t, "prep error", total, soff, doff, len,
				  -EIO);
			goto unmap_fail;
		}
		reinit_completion(&t->cmp);
		if (!p->polled) {
			tx->callback = dt_callback;
			tx->callback_param = t;
		}
		cookie = dmaengine_submit(tx);
		if (dma_submit_error(cookie)) {
			dt_result(t, "submit error", total, soff, doff, len,
				  cookie);
			goto unmap_fail;
		}
		dma_async_issue_pending(chan);
		st = dt_wait(t, cookie, &done);
		if (!done) {
			dt_result(t, "test timed out", total, soff, doff, len,
				  0);
			/* Ours: stop it before the buffers go back. */
			dmaengine_terminate_sync(chan);
			goto unmap_fail;
		}
		if (st != DMA_COMPLETE) {
			dt_result(t, st == DMA_ERROR ?
				  "completion error status" :
				  "completion busy status", total, soff, doff,
				  len, st);
			dmaengine_terminate_sync(chan);
			goto unmap_fail;
		}
		dma_unmap_single(dev, dbus, size, DMA_BIDIRECTIONAL);
		dma_unmap_single(dev, sbus, size, DMA_TO_DEVICE);

		if (p->noverify) {
			if (p->verbose)
				dt_result(t, "test passed", total, soff, doff,
					  len, 0);
			goto next;
		}
		f0 = dt_now_ns();
		if (p->inject && total == 1) {
			/*
			 * --inject-error: prove the checks see each kind of
			 * fault: a byte of the window not copied, a copy
			 * outside it (after it, or before it when it ends
			 * the buffer), a source byte overwritten.
			 */
			dst[doff] ^= DT_PATTERN_COPY;
			if (doff + len < size)
				dst[doff + len] ^= DT_PATTERN_SRC;
			else if (doff)
				dst[doff - 1] ^= DT_PATTERN_SRC;
			src[soff] ^= DT_PATTERN_OVERWRITE;
		}
		errs = dt_verify_all(t, src, soff, dst, doff, len, size,
				     memset_op);
		spent += dt_now_ns() - f0;
		if (errs) {
			dt_result(t, "data error", total, soff, doff, len,
				  (long)errs);
			failed++;
		} else if (p->verbose) {
			dt_result(t, "test passed", total, soff, doff, len, 0);
		}
		goto next;

unmap_fail:
		dma_unmap_single(dev, dbus, size, DMA_BIDIRECTIONAL);
		dma_unmap_single(dev, sbus, size, DMA_TO_DEVICE);
		failed++;
next:
		__atomic_store_n(&t->failures, failed, __ATOMIC_RELAXED);
		__atomic_store_n(&t->tests, total, __ATOMIC_RELAXED);
	}
	t->runtime_ns = dt_now_ns() - t0;
	t->runtime_ns = t->runtime_ns > spent ? t->runtime_ns - spent : 0;
	t->total_len = len_sum;
out:
	kfree(src_raw);
	kfree(dst_raw);
	__atomic_store_n(&t->failures, failed, __ATOMIC_RELAXED);
	__atomic_store_n(&t->tests, total, __ATOMIC_RELAXED);
	dt_summary(t->name, total, failed, t->runtime_ns, t->total_len,
		   t->ret, "");
	if (t->ret || failed)
		dmaengine_terminate_sync(chan);
	__atomic_store_n(&t->finished, true, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- channels ------------------------------------------------------------ */

static bool dt_filter(struct dma_chan *chan, void *param)
{
	const char *name = param;

	return !name || !strcmp(dma_chan_name(chan), name);
}

static int dt_add_threads(struct dt_run *r, struct dma_chan *chan,
			  enum dma_transaction_type type, const char *op)
{
	unsigned int i;

	for (i = 0; i < r->p.threads_per_chan; i++) {
		struct dt_thread *t;

		if (r->nr_threads == DT_MAX_THREADS) {
			dt_print("dmatest: no room for %s-%s%u (%u threads at most)\n",
				 dma_chan_name(chan), op, i, DT_MAX_THREADS);
			return -ENOSPC;
		}
		t = &r->threads[r->nr_threads++];
		t->run = r;
		t->chan = chan;
		t->type = type;
		snprintf(t->name, sizeof(t->name), "%s-%s%u",
			 dma_chan_name(chan), op, i);
		init_completion(&t->cmp);
		t->rng = r->p.seed ^ (0x9e3779b97f4a7c15ull * r->nr_threads);
		if (!t->rng)
			t->rng = 1;
	}
	return 0;
}

static int dt_request_channels(struct dt_run *r)
{
	dma_cap_mask_t mask;
	int ret;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	for (;;) {
		struct dt_chan *c;
		struct dma_chan *chan;
		unsigned int before = r->nr_threads;

		if (r->p.max_channels && r->nr_chans >= r->p.max_channels)
			break;
		chan = dma_request_channel(mask, dt_filter,
					   (void *)r->p.channel);
		if (!chan)
			break;
		c = &r->chans[r->nr_chans++];
		c->chan = chan;
		c->first = r->nr_threads;
		ret = 0;
		if (r->p.ops & DT_OP_COPY)
			ret = dt_add_threads(r, chan, DMA_MEMCPY, "copy");
		if (!ret && (r->p.ops & DT_OP_SET) &&
		    dma_has_cap(DMA_MEMSET, chan->device->cap_mask))
			ret = dt_add_threads(r, chan, DMA_MEMSET, "set");
		c->nr = r->nr_threads - before;
		dt_print("dmatest: Added %u threads using %s\n", c->nr,
			 dma_chan_name(chan));
		if (ret)
			return ret;
		if (r->nr_chans == DT_MAX_THREADS)
			break;
	}
	return 0;
}

/* ---- progress bar (a terminal only) -------------------------------------- */

static void dt_progress(struct dt_run *r, bool last)
{
	uint64_t tests = 0, fails = 0, want;
	char bar[41];
	unsigned int fill;

	for (unsigned int i = 0; i < r->nr_threads; i++) {
		tests += __atomic_load_n(&r->threads[i].tests,
					 __ATOMIC_RELAXED);
		fails += __atomic_load_n(&r->threads[i].failures,
					 __ATOMIC_RELAXED);
	}
	want = (uint64_t)r->p.iterations * r->nr_threads;
	fill = want ? (unsigned int)(tests * 40 / want) : 0;
	if (fill > 40)
		fill = 40;
	memset(bar, '#', fill);
	memset(bar + fill, want ? '.' : ' ', 40 - fill);
	bar[40] = 0;
	pthread_mutex_lock(&out_lock);
	if (last) {
		if (r->bar_drawn)
			fputs("\r\033[K", stdout);
		r->bar_drawn = false;
	} else if (want) {
		printf("\r\033[K[%s] %3u%%  %" PRIu64 "/%" PRIu64
		       " tests, %" PRIu64 " failures", bar,
		       (unsigned int)(tests * 100 / want), tests, want, fails);
		r->bar_drawn = true;
	} else {
		printf("\r\033[K%" PRIu64 " tests, %" PRIu64
		       " failures (Ctrl-C stops)", tests, fails);
		r->bar_drawn = true;
	}
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

/* ---- the run ------------------------------------------------------------- */

static int dt_machine_up(struct dt_run *r)
{
	struct dk_machine_config cfg;
	int ret;

	dk_machine_config_init(&cfg);
	if (r->p.iommu) {
		cfg.iommu.present = true;
		cfg.iommu.default_domain = DK_IOMMU_DEFAULT_DMA;
	}
	ret = dk_machine_create(&cfg, &r->m);
	if (ret) {
		fprintf(stderr, "dmatest: dk_machine_create: %s\n",
			strerror(-ret));
		return ret;
	}
	for (unsigned int i = 0; i < r->p.controllers; i++) {
		ret = dk_machine_add_dmac(r->m, NULL, NULL);
		if (ret) {
			fprintf(stderr, "dmatest: dk_machine_add_dmac: %s\n",
				strerror(-ret));
			return ret;
		}
	}
	/* The DK-DMAC driver is built in: the channels are registered. */
	return 0;
}

static int dt_machine_down(struct dt_run *r)
{
	int leaks;

	for (unsigned int i = 0; i < r->nr_chans; i++)
		dma_release_channel(r->chans[i].chan);
	r->nr_chans = 0;
	if (!r->m)
		return 0;
	leaks = dk_machine_destroy(r->m);
	r->m = NULL;
	if (leaks)
		fprintf(stderr, "dmatest: the machine reported %d leak%s\n",
			leaks, leaks == 1 ? "" : "s");
	return leaks;
}

static int dt_run_threads(struct dt_run *r)
{
	unsigned int tests = 0, failures = 0, started = 0;
	uint64_t bytes = 0, ns = 0;
	char tail[64];
	int ret = 0;

	for (unsigned int c = 0; c < r->nr_chans; c++) {
		struct dt_chan *ch = &r->chans[c];
		unsigned int n = 0;

		for (unsigned int i = ch->first; i < ch->first + ch->nr; i++) {
			struct dt_thread *t = &r->threads[i];
			int e = pthread_create(&t->tid, NULL, dt_thread_main,
					       t);

			if (e) {
				dt_print("dmatest: Failed to create thread %s: %s\n",
					 t->name, strerror(e));
				t->ret = -e;
				continue;
			}
			t->started = true;
			n++;
		}
		started += n;
		dt_print("dmatest: Started %u threads using %s\n", n,
			 dma_chan_name(ch->chan));
	}
	if (r->progress) {
		for (;;) {
			bool all = true;

			for (unsigned int i = 0; i < r->nr_threads; i++)
				if (r->threads[i].started &&
				    !__atomic_load_n(&r->threads[i].finished,
						     __ATOMIC_ACQUIRE))
					all = false;
			if (all)
				break;
			dt_progress(r, false);
			usleep(100 * 1000);
		}
		dt_progress(r, true);
	}
	for (unsigned int i = 0; i < r->nr_threads; i++) {
		struct dt_thread *t = &r->threads[i];

		if (t->started)
			pthread_join(t->tid, NULL);
		tests += t->tests;
		failures += t->failures;
		bytes += t->total_len;
		/* Threads ran side by side: the run took the longest. */
		if (t->runtime_ns > ns)
			ns = t->runtime_ns;
		if (t->ret && !ret)
			ret = t->ret;
		if (!t->started)
			failures++;
	}
	snprintf(tail, sizeof(tail), " (%u thread%s, %u channel%s)", started,
		 started == 1 ? "" : "s", r->nr_chans,
		 r->nr_chans == 1 ? "" : "s");
	dt_summary("all", tests, failures, ns, bytes, ret, tail);
	return ret || failures ? 1 : 0;
}

static void dt_usage(FILE *f)
{
	fprintf(f,
		"usage: dmakit dmatest [options]\n"
		"  The Linux dmatest on DK-DMAC channels: copies (and fills) between\n"
		"  buffers filled with position-encoding patterns, verified byte by byte.\n"
		"  --channel NAME|all     channel to test, e.g. dma0chan3 (default all)\n"
		"  --threads-per-chan N   test threads per channel and operation (1)\n"
		"  --iterations N         tests per thread; 0 runs until Ctrl-C (0)\n"
		"  --buf-size BYTES       size of each buffer (16384)\n"
		"  --transfer-size BYTES  fixed length, below --buf-size (0: random)\n"
		"  --timeout MS           wait per transfer; -1 forever (3000)\n"
		"  --noverify             no patterns, no checks: throughput only\n"
		"  --norandom             whole-buffer transfers at offset 0\n"
		"  --alignment LOG2       offset/length alignment (-1: the controller's)\n"
		"  --polled               no interrupt: poll dmaengine_tx_status()\n"
		"  --iommu                the machine has an IOMMU; buffers get IOVAs\n"
		"  --max-channels N       use at most N channels (0: all)\n"
		"  --controllers N        DK-DMAC controllers on the machine (1)\n"
		"  --op copy|set|all      memcpy, memset or both where supported (all)\n"
		"  --seed N               random seed (default: from the clock)\n"
		"  --verbose              print passing tests too\n"
		"  --inject-error         corrupt each thread's first result (self-test)\n");
}

static int dt_parse_uint(const char *opt, const char *s, unsigned int max,
			 unsigned int *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		fprintf(stderr, "dmatest: --%s: '%s' is not a number in 0..%u\n",
			opt, s, max);
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

static int dt_parse_int(const char *opt, const char *s, int min, int max,
			int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "dmatest: --%s: '%s' is not a number in %d..%d\n",
			opt, s, min, max);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

static int dt_parse(struct dt_params *p, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "threads-per-chan", required_argument, NULL, 'T' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "buf-size", required_argument, NULL, 'b' },
		{ "transfer-size", required_argument, NULL, 'z' },
		{ "timeout", required_argument, NULL, 't' },
		{ "noverify", no_argument, NULL, 'N' },
		{ "norandom", no_argument, NULL, 'R' },
		{ "alignment", required_argument, NULL, 'a' },
		{ "polled", no_argument, NULL, 'P' },
		{ "iommu", no_argument, NULL, 'I' },
		{ "max-channels", required_argument, NULL, 'm' },
		{ "controllers", required_argument, NULL, 'C' },
		{ "op", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "inject-error", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c, err = 0;

	memset(p, 0, sizeof(*p));
	p->threads_per_chan = 1;
	p->buf_size = 16384;
	p->timeout_ms = 3000;
	p->alignment = -1;
	p->controllers = 1;
	p->ops = DT_OP_COPY | DT_OP_SET;
	p->seed = dt_now_ns() | 1;

	optind = 1;
	while (!err && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			p->channel = strcmp(optarg, "all") && optarg[0] ?
				     optarg : NULL;
			break;
		case 'T':
			err = dt_parse_uint("threads-per-chan", optarg, 64,
					    &p->threads_per_chan);
			if (!err && !p->threads_per_chan) {
				fprintf(stderr, "dmatest: --threads-per-chan must be at least 1\n");
				err = -EINVAL;
			}
			break;
		case 'i':
			err = dt_parse_uint("iterations", optarg, UINT_MAX,
					    &p->iterations);
			break;
		case 'b':
			err = dt_parse_uint("buf-size", optarg,
					    KMALLOC_MAX_SIZE / 2, &p->buf_size);
			if (!err && !p->buf_size) {
				fprintf(stderr, "dmatest: --buf-size must be at least 1\n");
				err = -EINVAL;
			}
			break;
		case 'z':
			err = dt_parse_uint("transfer-size", optarg,
					    KMALLOC_MAX_SIZE / 2,
					    &p->transfer_size);
			break;
		case 't':
			err = dt_parse_int("timeout", optarg, -1, INT_MAX,
					   &p->timeout_ms);
			break;
		case 'N':
			p->noverify = true;
			break;
		case 'R':
			p->norandom = true;
			break;
		case 'a':
			err = dt_parse_int("alignment", optarg, -1, 20,
					   &p->alignment);
			break;
		case 'P':
			p->polled = true;
			break;
		case 'I':
			p->iommu = true;
			break;
		case 'm':
			err = dt_parse_uint("max-channels", optarg, INT_MAX,
					    &p->max_channels);
			break;
		case 'C':
			err = dt_parse_uint("controllers", optarg,
					    DT_MAX_CONTROLLERS,
					    &p->controllers);
			if (!err && !p->controllers) {
				fprintf(stderr, "dmatest: --controllers must be at least 1\n");
				err = -EINVAL;
			}
			break;
		case 'o':
			if (!strcmp(optarg, "copy")) {
				p->ops = DT_OP_COPY;
			} else if (!strcmp(optarg, "set")) {
				p->ops = DT_OP_SET;
			} else if (!strcmp(optarg, "all")) {
				p->ops = DT_OP_COPY | DT_OP_SET;
			} else {
				fprintf(stderr, "dmatest: --op: '%s' is not copy, set or all\n",
					optarg);
				err = -EINVAL;
			}
			break;
		case 's':
			errno = 0;
			p->seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end) {
				fprintf(stderr, "dmatest: --seed: '%s' is not a number\n",
					optarg);
				err = -EINVAL;
			}
			break;
		case 'v':
			p->verbose = true;
			break;
		case 'E':
			p->inject = true;
			break;
		case 'h':
			return 1;
		default:
			err = -EINVAL;
			break;
		}
	}
	if (!err && optind < argc) {
		fprintf(stderr, "dmatest: unexpected argument '%s'\n",
			argv[optind]);
		err = -EINVAL;
	}
	return err;
}

int dk_tool_dmatest(int argc, char **argv)
{
	struct dt_run r = { 0 };
	struct sigaction sa, old_int, old_term;
	int ret, status;

	ret = dt_parse(&r.p, argc, argv);
	if (ret > 0) {
		dt_usage(stdout);
		return 0;
	}
	if (ret) {
		dt_usage(stderr);
		return 2;
	}
	r.chans = calloc(DT_MAX_THREADS, sizeof(*r.chans));
	r.threads = calloc(DT_MAX_THREADS, sizeof(*r.threads));
	if (!r.chans || !r.threads) {
		fprintf(stderr, "dmatest: out of memory\n");
		free(r.chans);
		free(r.threads);
		return 1;
	}
	r.progress = isatty(STDOUT_FILENO);
	out_run = &r;
	dt_stop = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = dt_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	dt_print("dmatest: seed %" PRIu64 ", %u-byte buffers, %s%s%s\n",
		 r.p.seed, r.p.buf_size,
		 r.p.iommu ? "through the IOMMU" : "no IOMMU",
		 r.p.polled ? ", polled" : "",
		 r.p.noverify ? ", no verification" : "");
	status = 1;
	ret = dt_machine_up(&r);
	if (ret)
		goto out;
	ret = dt_request_channels(&r);
	if (ret)
		goto out;
	if (!r.nr_chans) {
		dt_print("dmatest: no channel %s%s\n",
			 r.p.channel ? "named " : "with DMA_MEMCPY",
			 r.p.channel ? r.p.channel : "");
		goto out;
	}
	if (!r.nr_threads) {
		dt_print("dmatest: no thread: the channels support none of the operations asked for\n");
		goto out;
	}
	status = dt_run_threads(&r);
out:
	if (dt_machine_down(&r))
		status = 1;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	out_run = NULL;
	free(r.chans);
	free(r.threads);
	return status;
}
