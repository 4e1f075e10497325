// SPDX-License-Identifier: MIT
/*
 * dmac_test.c - the DK-DMAC driver through the dmaengine client API only:
 * bad arguments, memcpy of many sizes with guard bytes, memset,
 * interleaved, polled completion, descriptor reuse, pause/resume and
 * residue while paused, the residue of the descriptor in progress from the
 * BYTES counter, terminate while busy (sync, and async + synchronize), an
 * IOMMU fault in the middle of a chain (the failing cookie gets
 * READ_FAILED / WRITE_FAILED, the rest of the chain and another channel
 * keep working), invalid hardware descriptors (DESC_INVALID -> ABORTED),
 * a callback that chains the next transfer, dma_get_slave_caps(), the
 * misuse guards for calls a callback must not make, callback order and
 * exactly-once completion from 2 threads, remove/rebind, no leaks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/drivers/dmac.h>
#include <dmakit/machine.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include "dk_test.h"

#define GUARD 64
#define WAIT_MS 10000

struct env {
	struct dk_machine *m;
	struct platform_device *pdev;
	struct dma_chan *chan;
	struct device *dev;
};

static struct dma_chan *get_chan(void)
{
	dma_cap_mask_t mask;
	struct dma_chan *c;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	c = dma_request_chan_by_mask(&mask);
	return IS_ERR(c) ? NULL : c;
}

static int env_up(struct env *e, bool iommu)
{
	struct dk_machine_config cfg;

	memset(e, 0, sizeof(*e));
	dk_machine_config_init(&cfg);
	cfg.iommu.present = iommu;
	e->m = dk_test_machine_up(&cfg);
	if (!e->m)
		return -1;
	if (dk_machine_add_dmac(e->m, NULL, &e->pdev))
		return -1;
	e->chan = get_chan();
	if (!e->chan) {
		dk_test_log_dump();
		return -1;
	}
	e->dev = dmaengine_get_dma_device(e->chan);
	return 0;
}

static int env_down(struct env *e)
{
	if (e->chan)
		dma_release_channel(e->chan);
	return dk_test_machine_down(e->m);
}

/* A coherent buffer of @len bytes with GUARD bytes on each side. */
struct buf {
	struct device *dev;
	size_t len;
	u8 *cpu;	/* the guarded area starts at cpu - GUARD */
	dma_addr_t bus;
	size_t alloc;
};

static void buf_get(struct buf *b, struct device *dev, size_t len, u8 fill)
{
	dma_addr_t base;
	u8 *p;

	b->dev = dev;
	b->len = len;
	b->alloc = len + 2 * GUARD;
	p = dma_alloc_coherent(dev, b->alloc, &base, GFP_KERNEL);
	assert_non_null(p);
	memset(p, 0xa5, GUARD);
	memset(p + GUARD, fill, len);
	memset(p + GUARD + len, 0x5a, GUARD);
	b->cpu = p + GUARD;
	b->bus = base + GUARD;
}

static void buf_check_guards(const struct buf *b)
{
	for (size_t i = 0; i < GUARD; i++) {
		if (b->cpu[-(long)GUARD + (long)i] != 0xa5)
			fail_msg("front guard byte %zu: 0x%02x, expected 0xa5",
				 i, b->cpu[-(long)GUARD + (long)i]);
		if (b->cpu[b->len + i] != 0x5a)
			fail_msg("back guard byte %zu after %zu: 0x%02x, expected 0x5a",
				 i, b->len, b->cpu[b->len + i]);
	}
}

static void buf_put(struct buf *b)
{
	dma_free_coherent(b->dev, b->alloc, b->cpu - GUARD, b->bus - GUARD);
}

/* Callback bookkeeping. */
struct cb_log {
	int calls;
	int errors;
	enum dmaengine_tx_result last;
	u32 residue;
};

static void cb_result(void *p, const struct dmaengine_result *r)
{
	struct cb_log *l = p;

	l->last = r->result;
	l->residue = r->residue;
	if (r->result != DMA_TRANS_NOERROR)
		__atomic_add_fetch(&l->errors, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&l->calls, 1, __ATOMIC_RELEASE);
}

static int cb_calls(struct cb_log *l)
{
	return __atomic_load_n(&l->calls, __ATOMIC_ACQUIRE);
}

static dma_cookie_t submit(struct dma_async_tx_descriptor *tx,
			   struct cb_log *l)
{
	dma_cookie_t c;

	assert_non_null(tx);
	if (l) {
		tx->callback_result = cb_result;
		tx->callback_param = l;
	}
	c = dmaengine_submit(tx);
	assert_true(c > 0);
	return c;
}

/* ---- bad arguments ------------------------------------------------------- */

static void test_bad_args(void **state)
{
	struct env e;
	struct dma_slave_config sc = { 0 };
	struct dma_interleaved_template *xt;
	u8 sg_dummy[64] = { 0 };

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	dk_test_log_clear();
	assert_null(dmaengine_prep_dma_memcpy(e.chan, 0x40000000, 0x40001000,
					      0, DMA_PREP_INTERRUPT));
	assert_log_count("memcpy of 0 bytes", 1);
	assert_null(dmaengine_prep_dma_memset(e.chan, 0x40000000, 0, 0, 0));
	assert_log_count("memset of 0 bytes", 1);
	assert_null(dmaengine_prep_slave_single(e.chan, 0x40000000, 64,
						DMA_DEV_TO_MEM, 0));
	assert_log_count("without a dmaengine_slave_config", 1);
	assert_null(dmaengine_prep_dma_cyclic(e.chan, 0x40000000, 100, 64,
					      DMA_DEV_TO_MEM, 0));
	assert_log_count("cyclic buffer of 100 bytes", 1);
	/* cfg->direction is deprecated and ignored: an address is needed. */
	sc.direction = DMA_MEM_TO_MEM;
	assert_int_equal(dmaengine_slave_config(e.chan, &sc), -EINVAL);
	sc.direction = DMA_DEV_TO_MEM;
	assert_int_equal(dmaengine_slave_config(e.chan, &sc), -EINVAL);
	assert_log_count("without a peripheral address", 2);
	xt = calloc(1, sizeof(*xt) + sizeof(xt->sgl[0]));
	assert_non_null(xt);
	xt->dir = DMA_MEM_TO_MEM;
	xt->numf = 1;
	xt->frame_size = 1;
	xt->src_inc = true;
	xt->dst_inc = false;	/* not supported */
	xt->sgl[0].size = 64;
	assert_null(dmaengine_prep_interleaved_dma(e.chan, xt, 0));
	assert_log_count("interleaved template", 1);
	free(xt);
	(void)sg_dummy;
	assert_int_equal(env_down(&e), 0);
}

/* ---- memcpy, memset, interleaved ----------------------------------------- */

static void test_memcpy_sizes(void **state)
{
	static const size_t sizes[] = {
		1, 2, 3, 7, 8, 63, 64, 65, 511, 4095, 4096, 4097, 65535,
		65536, 65537, 300000, (1 << 20) + 13,
	};
	struct env e;
	struct buf src[ARRAY_SIZE(sizes)], dst[ARRAY_SIZE(sizes)];
	struct cb_log log = { 0 };
	size_t i, j;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		buf_get(&src[i], e.dev, sizes[i], 0);
		for (j = 0; j < sizes[i]; j++)
			src[i].cpu[j] = (u8)(j * 13 + i);
		buf_get(&dst[i], e.dev, sizes[i], 0xee);
		submit(dmaengine_prep_dma_memcpy(e.chan, dst[i].bus,
						 src[i].bus, sizes[i],
						 DMA_PREP_INTERRUPT |
						 DMA_CTRL_ACK), &log);
	}
	dma_async_issue_pending(e.chan);
	assert_true(DK_WAIT_UNTIL(cb_calls(&log) == (int)ARRAY_SIZE(sizes),
				  WAIT_MS));
	assert_int_equal(log.errors, 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (memcmp(src[i].cpu, dst[i].cpu, sizes[i]))
			fail_msg("copy of %zu bytes differs", sizes[i]);
		buf_check_guards(&dst[i]);
		buf_put(&src[i]);
		buf_put(&dst[i]);
	}
	assert_int_equal(cb_calls(&log), (int)ARRAY_SIZE(sizes));
	assert_int_equal(env_down(&e), 0);
}

static void test_memset(void **state)
{
	static const size_t sizes[] = { 1, 5, 8, 13, 64, 4099, 70000 };
	struct env e;
	struct buf dst[ARRAY_SIZE(sizes)];
	struct cb_log log = { 0 };
	size_t i, j;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		buf_get(&dst[i], e.dev, sizes[i], 0);
		submit(dmaengine_prep_dma_memset(e.chan, dst[i].bus,
						 0x100 + (int)i * 17, sizes[i],
						 DMA_PREP_INTERRUPT), &log);
	}
	dma_async_issue_pending(e.chan);
	assert_true(DK_WAIT_UNTIL(cb_calls(&log) == (int)ARRAY_SIZE(sizes),
				  WAIT_MS));
	assert_int_equal(log.errors, 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		u8 want = (u8)(i * 17);

		for (j = 0; j < sizes[i]; j++)
			if (dst[i].cpu[j] != want)
				fail_msg("memset %zu: byte %zu is 0x%02x, expected 0x%02x",
					 sizes[i], j, dst[i].cpu[j], want);
		buf_check_guards(&dst[i]);
		buf_put(&dst[i]);
	}
	assert_int_equal(env_down(&e), 0);
}

static void test_interleaved(void **state)
{
	/* 5 frames of 2 chunks: 16 bytes (gap 8), 24 bytes (gap 40). */
	struct env e;
	struct buf src, dst;
	struct cb_log log = { 0 };
	struct dma_interleaved_template *xt;
	size_t stride = 16 + 8 + 24 + 40, f, k;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	buf_get(&src, e.dev, stride * 5, 0);
	buf_get(&dst, e.dev, stride * 5, 0x11);
	for (k = 0; k < stride * 5; k++)
		src.cpu[k] = (u8)(k * 3 + 1);
	xt = calloc(1, sizeof(*xt) + 2 * sizeof(xt->sgl[0]));
	assert_non_null(xt);
	xt->src_start = src.bus;
	xt->dst_start = dst.bus;
	xt->dir = DMA_MEM_TO_MEM;
	xt->src_inc = xt->dst_inc = true;
	xt->src_sgl = xt->dst_sgl = true;
	xt->numf = 5;
	xt->frame_size = 2;
	xt->sgl[0].size = 16;
	xt->sgl[0].icg = 8;
	xt->sgl[1].size = 24;
	xt->sgl[1].icg = 40;
	submit(dmaengine_prep_interleaved_dma(e.chan, xt, DMA_PREP_INTERRUPT),
	       &log);
	free(xt);
	dma_async_issue_pending(e.chan);
	assert_true(DK_WAIT_UNTIL(cb_calls(&log) == 1, WAIT_MS));
	assert_int_equal(log.errors, 0);
	for (f = 0; f < 5; f++) {
		for (k = 0; k < stride; k++) {
			size_t o = f * stride + k;
			bool copied = k < 16 || (k >= 24 && k < 48);
			u8 want = copied ? src.cpu[o] : 0x11;

			if (dst.cpu[o] != want)
				fail_msg("interleaved byte %zu: 0x%02x, expected 0x%02x",
					 o, dst.cpu[o], want);
		}
	}
	buf_check_guards(&dst);
	buf_put(&src);
	buf_put(&dst);
	assert_int_equal(env_down(&e), 0);
}

/* ---- polled, reuse ------------------------------------------------------- */

static void test_polled(void **state)
{
	struct env e;
	struct buf src, dst;
	struct dma_tx_state ts;
	dma_cookie_t c;
	int i;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	buf_get(&src, e.dev, 256, 0x77);
	buf_get(&dst, e.dev, 256, 0);
	for (i = 0; i < 50; i++) {
		memset(dst.cpu, 0, 256);
		src.cpu[0] = (u8)i;
		/* No DMA_PREP_INTERRUPT, no callback: tx_status reaps. */
		c = submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus,
						     256, DMA_CTRL_ACK), NULL);
		dma_async_issue_pending(e.chan);
		assert_true(DK_WAIT_UNTIL(dmaengine_tx_status(e.chan, c, &ts) ==
					  DMA_COMPLETE, WAIT_MS));
		assert_int_equal(ts.residue, 0);
		assert_memory_equal(dst.cpu, src.cpu, 256);
	}
	/* dma_sync_wait() polls the same way. */
	c = submit(dmaengine_prep_dma_memset(e.chan, dst.bus, 0x3c, 256, 0),
		   NULL);
	assert_int_equal(dma_sync_wait(e.chan, c), DMA_COMPLETE);
	assert_int_equal(dst.cpu[255], 0x3c);
	buf_check_guards(&dst);
	buf_put(&src);
	buf_put(&dst);
	assert_int_equal(env_down(&e), 0);
}

static void test_reuse(void **state)
{
	struct env e;
	struct buf src, dst;
	struct dma_async_tx_descriptor *tx;
	struct cb_log log = { 0 };
	int i;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	buf_get(&src, e.dev, 4096, 0x42);
	buf_get(&dst, e.dev, 4096, 0);
	tx = dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus, 4096,
				       DMA_PREP_INTERRUPT);
	assert_non_null(tx);
	assert_int_equal(dmaengine_desc_set_reuse(tx), 0);
	for (i = 0; i < 3; i++) {
		memset(dst.cpu, 0, 4096);
		src.cpu[7] = (u8)i;
		submit(tx, &log);
		dma_async_issue_pending(e.chan);
		assert_true(DK_WAIT_UNTIL(cb_calls(&log) == i + 1, WAIT_MS));
		assert_memory_equal(dst.cpu, src.cpu, 4096);
	}
	assert_int_equal(dmaengine_desc_free(tx), 0);
	buf_put(&src);
	buf_put(&dst);
	assert_int_equal(env_down(&e), 0);
}

/* ---- pause, resume, terminate -------------------------------------------- */

#define BIG (2u << 20)
#define NBIG 64

static void test_pause_resume(void **state)
{
	struct env e;
	struct buf src, dst;
	struct dma_tx_state ts;
	struct cb_log log = { 0 };
	dma_cookie_t c = 0;
	u32 r1, r2;
	int i;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	buf_get(&src, e.dev, BIG, 0x9c);
	buf_get(&dst, e.dev, BIG, 0);
	for (i = 0; i < NBIG; i++)
		c = submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus,
						     BIG, DMA_PREP_INTERRUPT),
			   &log);
	dma_async_issue_pending(e.chan);
	assert_int_equal(dmaengine_pause(e.chan), 0);
	if (dmaengine_tx_status(e.chan, c, &ts) == DMA_COMPLETE) {
		/* Preempted for the whole 128 MiB: pause before issuing. */
		assert_int_equal(dmaengine_resume(e.chan), 0);
		assert_true(DK_WAIT_UNTIL(cb_calls(&log) == NBIG, WAIT_MS));
		log.calls = 0;
		assert_int_equal(dmaengine_pause(e.chan), 0);
		for (i = 0; i < NBIG; i++)
			c = submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus,
							     src.bus, BIG,
							     DMA_PREP_INTERRUPT),
				   &log);
		dma_async_issue_pending(e.chan);
	}
	assert_int_equal(dmaengine_tx_status(e.chan, c, &ts), DMA_PAUSED);
	r1 = ts.residue;
	assert_true(r1 > 0 && r1 <= BIG);
	/* Held: the residue does not move while paused. */
	for (int k = 0; k < 1000; k++)
		dk_test_yield();
	assert_int_equal(dmaengine_tx_status(e.chan, c, &ts), DMA_PAUSED);
	r2 = ts.residue;
	assert_int_equal(r1, r2);
	/* Copies finished before the pause may still call back; not all. */
	assert_true(cb_calls(&log) < NBIG);
	assert_int_equal(dmaengine_resume(e.chan), 0);
	assert_true(DK_WAIT_UNTIL(cb_calls(&log) == NBIG, WAIT_MS));
	assert_int_equal(dmaengine_tx_status(e.chan, c, &ts), DMA_COMPLETE);
	assert_int_equal(ts.residue, 0);
	assert_int_equal(log.errors, 0);
	assert_memory_equal(src.cpu, dst.cpu, BIG);
	buf_check_guards(&dst);
	buf_put(&src);
	buf_put(&dst);
	assert_int_equal(env_down(&e), 0);
}

static void test_terminate(void **state)
{
	struct env e;
	struct buf src, dst;
	struct cb_log log = { 0 }, log2 = { 0 };
	int i;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	buf_get(&src, e.dev, BIG, 0x9c);
	buf_get(&dst, e.dev, BIG, 0);
	for (i = 0; i < NBIG; i++)
		submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus, BIG,
						 DMA_PREP_INTERRUPT), &log);
	dma_async_issue_pending(e.chan);
	/* Submitted, not issued: also dropped. */
	submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus, 64,
					 DMA_PREP_INTERRUPT), &log);
	assert_int_equal(dmaengine_terminate_sync(e.chan), 0);
	/* At most the ones that completed before the abort were called. */
	i = cb_calls(&log);
	assert_true(i < NBIG);
	for (int k = 0; k < 1000; k++)
		dk_test_yield();
	assert_int_equal(cb_calls(&log), i);
	/* The channel works afterwards. */
	memset(dst.cpu, 0, 4096);
	submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus, 4096,
					 DMA_PREP_INTERRUPT), &log2);
	dma_async_issue_pending(e.chan);
	assert_true(DK_WAIT_UNTIL(cb_calls(&log2) == 1, WAIT_MS));
	assert_memory_equal(dst.cpu, src.cpu, 4096);
	buf_check_guards(&dst);
	buf_put(&src);
	buf_put(&dst);
	assert_int_equal(env_down(&e), 0);
}

/*
 * The largest buffer dma_alloc_coherent() gives (an order-10 allocation,
 * 4 MiB, guards included): one copy of it is 64 bursts of 64 KiB.
 */
#define RES_LEN ((4u << 20) - 2 * GUARD)
#define RES_TRIES 20
#define RES_OTHERS 7		/* the controller's other channels */
#define RES_OTHER_COPIES 16	/* 2 MiB each: 512 bursts per channel */

/*
 * The residue of the descriptor the controller is working on comes from
 * its BYTES counter: caught paused in the middle, it is strictly between 0
 * and the length (whole 64 KiB bursts moved), it holds while paused, and
 * after resume the same cookie completes with residue 0.
 *
 * The engine copies a burst in microseconds. To give the poll (every
 * 0.1 ms) many chances, the other 7 channels are kept busy: the engine
 * serves the active channels one burst each per pass (datasheet 1), so
 * the copy under test gets an eighth of it. Were the copy done before the
 * pause anyway, the try is repeated with a new one.
 */
static void test_residue_in_progress(void **state)
{
	struct env e;
	struct buf src, dst, ssrc, sdst;
	struct dma_chan *other[RES_OTHERS];
	struct dma_tx_state ts;
	struct cb_log log = { 0 };
	enum dma_status st;
	dma_cookie_t c = 0;
	u32 res = 0;
	int tries, base = 0, i, j;
	size_t k;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	buf_get(&src, e.dev, RES_LEN, 0);
	for (k = 0; k < RES_LEN; k++)
		src.cpu[k] = (u8)(k * 7 + (k >> 12));
	buf_get(&dst, e.dev, RES_LEN, 0);
	buf_get(&ssrc, e.dev, BIG, 0x6b);
	buf_get(&sdst, e.dev, BIG, 0);
	for (i = 0; i < RES_OTHERS; i++) {
		other[i] = get_chan();
		assert_non_null(other[i]);
	}
	for (tries = 0; tries < RES_TRIES && !res; tries++) {
		/* Background load; what a try left is terminated first. */
		for (i = 0; i < RES_OTHERS; i++) {
			assert_int_equal(dmaengine_terminate_sync(other[i]), 0);
			for (j = 0; j < RES_OTHER_COPIES; j++)
				submit(dmaengine_prep_dma_memcpy(other[i],
								 sdst.bus,
								 ssrc.bus,
								 BIG, 0),
				       NULL);
			dma_async_issue_pending(other[i]);
		}
		base = cb_calls(&log);
		memset(dst.cpu, 0, RES_LEN);
		/* Often the block the last try freed (the cache is LIFO). */
		c = submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus,
						     RES_LEN,
						     DMA_PREP_INTERRUPT), &log);
		dma_async_issue_pending(e.chan);
		/* Started: BYTES > 0 for this cookie (or already done). */
		assert_true(DK_WAIT_UNTIL(
			(st = dmaengine_tx_status(e.chan, c, &ts)) ==
				DMA_COMPLETE || ts.residue < RES_LEN,
			WAIT_MS));
		assert_int_equal(dmaengine_pause(e.chan), 0);
		st = dmaengine_tx_status(e.chan, c, &ts);
		if (st == DMA_PAUSED && ts.residue > 0 &&
		    ts.residue < RES_LEN) {
			res = ts.residue;
			break;
		}
		/* It finished before the pause: let it end, try again. */
		assert_int_equal(dmaengine_resume(e.chan), 0);
		assert_true(DK_WAIT_UNTIL(cb_calls(&log) == base + 1,
					  WAIT_MS));
		assert_int_equal(log.last, DMA_TRANS_NOERROR);
	}
	if (!res)
		fail_msg("never caught the copy in the middle in %d tries",
			 RES_TRIES);
	/* BYTES counts whole 64 KiB bursts of a copy. */
	assert_int_equal((RES_LEN - res) % 65536, 0);
	/* Paused: BYTES holds, so the residue does not move. */
	for (k = 0; k < 1000; k++)
		dk_test_yield();
	assert_int_equal(dmaengine_tx_status(e.chan, c, &ts), DMA_PAUSED);
	assert_int_equal(ts.residue, res);
	assert_int_equal(cb_calls(&log), base);
	assert_int_equal(dmaengine_resume(e.chan), 0);
	assert_true(DK_WAIT_UNTIL(cb_calls(&log) == base + 1, WAIT_MS));
	assert_int_equal(dmaengine_tx_status(e.chan, c, &ts), DMA_COMPLETE);
	assert_int_equal(ts.residue, 0);
	assert_int_equal(log.last, DMA_TRANS_NOERROR);
	assert_int_equal(log.residue, 0);
	assert_int_equal(log.errors, 0);
	assert_memory_equal(dst.cpu, src.cpu, RES_LEN);
	buf_check_guards(&dst);
	for (i = 0; i < RES_OTHERS; i++) {
		assert_int_equal(dmaengine_terminate_sync(other[i]), 0);
		dma_release_channel(other[i]);
	}
	buf_check_guards(&sdst);
	buf_put(&src);
	buf_put(&dst);
	buf_put(&ssrc);
	buf_put(&sdst);
	assert_int_equal(env_down(&e), 0);
}

/*
 * A block recycled at the bus address of the last one completed (the
 * driver's descriptor cache is LIFO) is not in progress before the
 * controller starts it, whatever CUR_DESC and BYTES still say of the
 * completed one: queued behind a pause on an idle channel, its residue is
 * its whole length; after resume it completes.
 */
static void test_residue_recycled_block(void **state)
{
	struct env e;
	struct buf src, dst;
	struct dma_tx_state ts;
	struct cb_log log = { 0 };
	struct dma_async_tx_descriptor *tx;
	dma_addr_t last;
	dma_cookie_t c;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	buf_get(&src, e.dev, 8192, 0x33);
	buf_get(&dst, e.dev, 8192, 0);
	tx = dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus, 8192,
				       DMA_PREP_INTERRUPT);
	assert_non_null(tx);
	last = tx->phys;
	submit(tx, &log);
	dma_async_issue_pending(e.chan);
	assert_true(DK_WAIT_UNTIL(cb_calls(&log) == 1, WAIT_MS));
	assert_int_equal(dmaengine_pause(e.chan), 0);
	memset(dst.cpu, 0, 8192);
	tx = dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus, 4096,
				       DMA_PREP_INTERRUPT);
	assert_non_null(tx);
	/* The case under test: the same block, CUR_DESC still on it. */
	assert_true(tx->phys == last);
	c = submit(tx, &log);
	dma_async_issue_pending(e.chan);
	assert_int_equal(dmaengine_tx_status(e.chan, c, &ts), DMA_PAUSED);
	assert_int_equal(ts.residue, 4096);
	assert_int_equal(dmaengine_resume(e.chan), 0);
	assert_true(DK_WAIT_UNTIL(cb_calls(&log) == 2, WAIT_MS));
	assert_int_equal(dmaengine_tx_status(e.chan, c, &ts), DMA_COMPLETE);
	assert_int_equal(ts.residue, 0);
	assert_int_equal(log.errors, 0);
	assert_memory_equal(dst.cpu, src.cpu, 4096);
	buf_check_guards(&dst);
	buf_put(&src);
	buf_put(&dst);
	assert_int_equal(env_down(&e), 0);
}

/* A prepared memcpy's first hardware descriptor, seen by the CPU. */
static u32 *hwdesc_of(struct dma_async_tx_descriptor *tx)
{
	u32 *hw;

	assert_non_null(tx);
	/* No IOMMU: the bus address is the physical address. */
	hw = phys_to_virt((phys_addr_t)tx->phys);
	assert_non_null(hw);
	return hw;
}

/*
 * Invalid hardware descriptors, made by corrupting prepared ones in RAM
 * before issue_pending (datasheet 3 and 6): a reserved word set and LEN 0
 * are DESC_INVALID, which the driver reports as DMA_TRANS_ABORTED with
 * nothing moved. The good descriptors between and after them complete,
 * and the channel takes new work afterwards.
 */
static void test_desc_invalid_aborted(void **state)
{
	struct env e;
	struct buf src, dst;
	struct dma_async_tx_descriptor *tx;
	struct cb_log l1 = { 0 }, l2 = { 0 }, l3 = { 0 }, l4 = { 0 },
		      l5 = { 0 };
	u8 zero[4096] = { 0 };
	u32 *hw;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	buf_get(&src, e.dev, 4 * 4096, 0);
	for (size_t k = 0; k < 4 * 4096; k++)
		src.cpu[k] = (u8)(k * 5 + 3);
	buf_get(&dst, e.dev, 4 * 4096, 0);
	assert_int_equal(virt_to_phys(dst.cpu), dst.bus);
	dk_test_log_clear();

	/* Chunk 1: a reserved word (offset 0x28) non-zero. */
	tx = dmaengine_prep_dma_memcpy(e.chan, dst.bus + 4096,
				       src.bus + 4096, 4096,
				       DMA_PREP_INTERRUPT);
	hw = hwdesc_of(tx);
	assert_int_equal(hw[0x10 / 4], 4096);	/* LEN: it is the one */
	assert_int_equal(hw[0x28 / 4], 0);
	hw[0x28 / 4] = 0xdead;
	submit(tx, &l1);
	/* Chunk 0: good. */
	submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus, 4096,
					 DMA_PREP_INTERRUPT), &l2);
	/* Chunk 2: LEN 0. */
	tx = dmaengine_prep_dma_memcpy(e.chan, dst.bus + 2 * 4096,
				       src.bus + 2 * 4096, 4096,
				       DMA_PREP_INTERRUPT);
	hw = hwdesc_of(tx);
	hw[0x10 / 4] = 0;
	submit(tx, &l3);
	/* Chunk 3: good. */
	submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus + 3 * 4096,
					 src.bus + 3 * 4096, 4096,
					 DMA_PREP_INTERRUPT), &l4);
	dma_async_issue_pending(e.chan);
	assert_true(DK_WAIT_UNTIL(cb_calls(&l4) == 1, WAIT_MS));

	assert_int_equal(cb_calls(&l1), 1);
	assert_int_equal(l1.last, DMA_TRANS_ABORTED);
	assert_int_equal(l1.residue, 4096);
	assert_int_equal(cb_calls(&l2), 1);
	assert_int_equal(l2.last, DMA_TRANS_NOERROR);
	assert_int_equal(cb_calls(&l3), 1);
	assert_int_equal(l3.last, DMA_TRANS_ABORTED);
	assert_int_equal(l3.residue, 4096);
	assert_int_equal(l4.last, DMA_TRANS_NOERROR);
	assert_log_count("error DESC_INVALID", 2);
	/* The invalid ones moved nothing; the good ones moved theirs. */
	assert_memory_equal(dst.cpu, src.cpu, 4096);
	assert_memory_equal(dst.cpu + 4096, zero, 4096);
	assert_memory_equal(dst.cpu + 2 * 4096, zero, 4096);
	assert_memory_equal(dst.cpu + 3 * 4096, src.cpu + 3 * 4096, 4096);

	/* New work on the channel: the failed chunks, now good. */
	submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus + 4096,
					 src.bus + 4096, 2 * 4096,
					 DMA_PREP_INTERRUPT), &l5);
	dma_async_issue_pending(e.chan);
	assert_true(DK_WAIT_UNTIL(cb_calls(&l5) == 1, WAIT_MS));
	assert_int_equal(l5.last, DMA_TRANS_NOERROR);
	assert_int_equal(l5.residue, 0);
	assert_memory_equal(dst.cpu, src.cpu, 4 * 4096);
	assert_int_equal(cb_calls(&l1) + cb_calls(&l2) + cb_calls(&l3) +
			 cb_calls(&l4), 4);
	assert_log_count("error DESC_INVALID", 2);
	buf_check_guards(&dst);
	buf_put(&src);
	buf_put(&dst);
	assert_int_equal(env_down(&e), 0);
}

/* ---- terminate_async + synchronize --------------------------------------- */

struct sync_log {
	int calls;	/* atomic */
	int entered;	/* atomic: callbacks started */
	int inside;	/* atomic: a callback is running */
	int late;	/* atomic: callbacks started after synchronize */
	int terminated;	/* atomic: dmaengine_terminate_async() returned */
	int synced;	/* atomic: dmaengine_synchronize() returned */
};

static void sync_cb(void *p)
{
	struct sync_log *l = p;

	__atomic_store_n(&l->inside, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&l->synced, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&l->late, 1, __ATOMIC_RELAXED);
	/*
	 * The first one runs until the test has terminated the channel, so
	 * synchronize has a running callback to wait for.
	 */
	if (__atomic_add_fetch(&l->entered, 1, __ATOMIC_RELAXED) == 1)
		(void)DK_WAIT_UNTIL(__atomic_load_n(&l->terminated,
						    __ATOMIC_ACQUIRE),
				    WAIT_MS);
	for (int k = 0; k < 5; k++)
		dk_test_yield();
	__atomic_add_fetch(&l->calls, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&l->inside, 0, __ATOMIC_SEQ_CST);
}

#define NSYNC 256

/*
 * dmaengine_terminate_async() while the controller is busy and a callback
 * runs, then dmaengine_synchronize(): when synchronize returns the running
 * callback has ended, no callback of the terminated descriptors runs, none
 * starts later (checked after a new transfer completed on the channel),
 * and the channel works. If the last copy had completed by the terminate
 * (the test thread preempted for the whole round), the round is repeated.
 */
static void test_terminate_async_synchronize(void **state)
{
	struct env e;
	struct buf src, dst;
	struct sync_log sl = { 0 };
	struct cb_log log2 = { 0 };
	dma_cookie_t first = 0, last = 0;
	bool busy = false;
	int round, n = 0, i;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	buf_get(&src, e.dev, BIG, 0x3e);
	buf_get(&dst, e.dev, BIG, 0);
	for (round = 0; round < 5 && !busy; round++) {
		memset(&sl, 0, sizeof(sl));
		for (i = 0; i < NSYNC; i++) {
			struct dma_async_tx_descriptor *tx;

			tx = dmaengine_prep_dma_memcpy(e.chan, dst.bus,
						       src.bus, BIG,
						       DMA_PREP_INTERRUPT);
			assert_non_null(tx);
			tx->callback = sync_cb;
			tx->callback_param = &sl;
			last = dmaengine_submit(tx);
			assert_true(last > 0);
			if (!i)
				first = last;
		}
		dma_async_issue_pending(e.chan);
		/* The first callback runs (and waits for the terminate). */
		assert_true(DK_WAIT_UNTIL(__atomic_load_n(&sl.inside,
							  __ATOMIC_SEQ_CST),
					  WAIT_MS));
		assert_int_equal(dmaengine_tx_status(e.chan, first, NULL),
				 DMA_COMPLETE);
		busy = dmaengine_tx_status(e.chan, last, NULL) != DMA_COMPLETE;
		assert_int_equal(dmaengine_terminate_async(e.chan), 0);
		__atomic_store_n(&sl.terminated, 1, __ATOMIC_RELEASE);
		dmaengine_synchronize(e.chan);
		__atomic_store_n(&sl.synced, 1, __ATOMIC_SEQ_CST);
		assert_int_equal(__atomic_load_n(&sl.inside, __ATOMIC_SEQ_CST),
				 0);
		n = __atomic_load_n(&sl.calls, __ATOMIC_ACQUIRE);
		assert_true(n >= 1 && n <= NSYNC);
	}
	if (!busy)
		fail_msg("all %d copies completed before the terminate in 5 rounds",
			 NSYNC);
	/* The channel works; once its callback ran, none of the old can. */
	memset(dst.cpu, 0, 4096);
	submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus, 4096,
					 DMA_PREP_INTERRUPT), &log2);
	dma_async_issue_pending(e.chan);
	assert_true(DK_WAIT_UNTIL(cb_calls(&log2) == 1, WAIT_MS));
	assert_int_equal(log2.last, DMA_TRANS_NOERROR);
	assert_memory_equal(dst.cpu, src.cpu, 4096);
	for (i = 0; i < 1000; i++)
		dk_test_yield();
	assert_int_equal(__atomic_load_n(&sl.calls, __ATOMIC_ACQUIRE), n);
	assert_int_equal(__atomic_load_n(&sl.late, __ATOMIC_RELAXED), 0);
	buf_check_guards(&dst);
	buf_put(&src);
	buf_put(&dst);
	assert_int_equal(env_down(&e), 0);
}

/* ---- a callback that issues the next transfer ---------------------------- */

#define CHAIN_N 32
#define CHAIN_CHUNK 4096

struct chain;

struct chain_slot {
	struct chain *ch;
	int idx;
};

struct chain {
	struct dma_chan *chan;
	struct buf *src, *dst;
	struct chain_slot slot[CHAIN_N];
	int order[CHAIN_N];	/* tasklet only; read after @done */
	int seen[CHAIN_N];	/* likewise */
	int n;			/* likewise: callbacks so far */
	int bad;		/* likewise: wrong context, data, result */
	int done;		/* atomic: callbacks run */
	dma_cookie_t last;	/* cookie of the last one submitted */
};

static void chain_cb(void *p, const struct dmaengine_result *r);

/* Prepare, submit and issue transfer @idx with chain_cb. */
static void chain_next(struct chain *ch, int idx)
{
	struct dma_async_tx_descriptor *tx;
	size_t off = (size_t)idx * CHAIN_CHUNK;

	tx = dmaengine_prep_dma_memcpy(ch->chan, ch->dst->bus + off,
				       ch->src->bus + off, CHAIN_CHUNK,
				       DMA_PREP_INTERRUPT);
	if (!tx) {
		ch->bad++;
		return;
	}
	ch->slot[idx] = (struct chain_slot){ ch, idx };
	tx->callback_result = chain_cb;
	tx->callback_param = &ch->slot[idx];
	ch->last = dmaengine_submit(tx);
	if (ch->last <= 0)
		ch->bad++;
	dma_async_issue_pending(ch->chan);
}

static void chain_cb(void *p, const struct dmaengine_result *r)
{
	struct chain_slot *s = p;
	struct chain *ch = s->ch;
	size_t off = (size_t)s->idx * CHAIN_CHUNK;

	if (!in_serving_softirq() || r->result != DMA_TRANS_NOERROR ||
	    r->residue ||
	    memcmp(ch->dst->cpu + off, ch->src->cpu + off, CHAIN_CHUNK))
		ch->bad++;
	ch->order[ch->n++] = s->idx;
	ch->seen[s->idx]++;
	if (s->idx + 1 < CHAIN_N)
		chain_next(ch, s->idx + 1);
	__atomic_add_fetch(&ch->done, 1, __ATOMIC_RELEASE);
}

/*
 * Each callback (tasklet context) prepares, submits and issues the next
 * transfer on the controller: the chain of CHAIN_N copies completes in
 * order, each exactly once, with its data in place when it calls back.
 */
static void test_callback_chains(void **state)
{
	struct env e;
	struct buf src, dst;
	struct chain *ch;
	int i;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	ch = calloc(1, sizeof(*ch));
	assert_non_null(ch);
	buf_get(&src, e.dev, CHAIN_N * CHAIN_CHUNK, 0);
	for (i = 0; i < CHAIN_N * CHAIN_CHUNK; i++)
		src.cpu[i] = (u8)(i * 11 + (i >> 12));
	buf_get(&dst, e.dev, CHAIN_N * CHAIN_CHUNK, 0);
	ch->chan = e.chan;
	ch->src = &src;
	ch->dst = &dst;
	chain_next(ch, 0);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&ch->done, __ATOMIC_ACQUIRE)
				  == CHAIN_N, WAIT_MS));
	assert_int_equal(ch->bad, 0);
	assert_int_equal(ch->n, CHAIN_N);
	for (i = 0; i < CHAIN_N; i++) {
		if (ch->order[i] != i)
			fail_msg("callback %d was for transfer %d, expected %d",
				 i, ch->order[i], i);
		if (ch->seen[i] != 1)
			fail_msg("transfer %d called back %d times, expected once",
				 i, ch->seen[i]);
	}
	assert_int_equal(dmaengine_tx_status(e.chan, ch->last, NULL),
			 DMA_COMPLETE);
	for (i = 0; i < 1000; i++)
		dk_test_yield();
	assert_int_equal(__atomic_load_n(&ch->done, __ATOMIC_ACQUIRE),
			 CHAIN_N);
	assert_memory_equal(dst.cpu, src.cpu, CHAIN_N * CHAIN_CHUNK);
	buf_check_guards(&dst);
	buf_put(&src);
	buf_put(&dst);
	free(ch);
	assert_int_equal(env_down(&e), 0);
}

/* ---- slave caps ---------------------------------------------------------- */

/*
 * What the driver advertises, against the datasheet's CAP (OPS 0x0F,
 * MAX_BURST_LOG2 7, WIDTHS 0xF): all three directions, widths 1/2/4/8,
 * bursts 1..128, pause/resume/terminate, residue per burst (BYTES), reuse.
 */
static void test_slave_caps(void **state)
{
	const u32 widths = (1u << DMA_SLAVE_BUSWIDTH_1_BYTE) |
			   (1u << DMA_SLAVE_BUSWIDTH_2_BYTES) |
			   (1u << DMA_SLAVE_BUSWIDTH_4_BYTES) |
			   (1u << DMA_SLAVE_BUSWIDTH_8_BYTES);
	struct dma_slave_caps caps;
	struct env e;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	assert_int_equal(dma_get_slave_caps(e.chan, NULL), -EINVAL);
	memset(&caps, 0, sizeof(caps));
	assert_int_equal(dma_get_slave_caps(e.chan, &caps), 0);
	assert_int_equal(caps.directions, (1u << DMA_MEM_TO_MEM) |
			 (1u << DMA_DEV_TO_MEM) | (1u << DMA_MEM_TO_DEV));
	assert_int_equal(caps.src_addr_widths, widths);
	assert_int_equal(caps.dst_addr_widths, widths);
	assert_int_equal(caps.min_burst, 1);
	assert_int_equal(caps.max_burst, 128);
	assert_true(caps.cmd_pause);
	assert_true(caps.cmd_resume);
	assert_true(caps.cmd_terminate);
	assert_int_equal(caps.residue_granularity,
			 DMA_RESIDUE_GRANULARITY_BURST);
	assert_true(caps.descriptor_reuse);
	assert_int_equal(env_down(&e), 0);
}

/* ---- what a callback must not call --------------------------------------- */

struct misuse {
	struct dma_chan *chan;
	int term_ret;
	int done;	/* atomic */
};

/* Each of these would wait for the callback itself to end. */
static void misuse_cb(void *p)
{
	struct misuse *mu = p;

	mu->term_ret = dmaengine_terminate_sync(mu->chan);
	dmaengine_synchronize(mu->chan);
	dma_release_channel(mu->chan);
	__atomic_store_n(&mu->done, 1, __ATOMIC_RELEASE);
}

/*
 * dmaengine_terminate_sync(), dmaengine_synchronize() and
 * dma_release_channel() from a callback are refused with a message (the
 * dmaengine core's in_interrupt() guards) instead of deadlocking; the
 * channel is still held and works afterwards.
 */
static void test_callback_misuse(void **state)
{
	struct env e;
	struct buf src, dst;
	struct dma_async_tx_descriptor *tx;
	struct misuse mu = { 0 };
	struct cb_log log = { 0 };

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	buf_get(&src, e.dev, 4096, 0x21);
	buf_get(&dst, e.dev, 4096, 0);
	mu.chan = e.chan;
	mu.term_ret = 1;
	dk_test_log_clear();
	tx = dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus, 4096,
				       DMA_PREP_INTERRUPT);
	assert_non_null(tx);
	tx->callback = misuse_cb;
	tx->callback_param = &mu;
	assert_true(dmaengine_submit(tx) > 0);
	dma_async_issue_pending(e.chan);
	/* No deadlock: the callback returns. */
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&mu.done, __ATOMIC_ACQUIRE),
				  WAIT_MS));
	assert_int_equal(mu.term_ret, -EINVAL);
	assert_log_count("dmaengine_terminate_sync: ", 1);
	assert_log_count("use dmaengine_terminate_async", 1);
	assert_log_count("dmaengine_synchronize: ", 1);
	assert_log_count("not synchronized", 1);
	assert_log_count("released from interrupt or callback context", 1);
	assert_memory_equal(dst.cpu, src.cpu, 4096);
	/* Still held (not released), not terminated: it works. */
	memset(dst.cpu, 0, 4096);
	submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus, 4096,
					 DMA_PREP_INTERRUPT), &log);
	dma_async_issue_pending(e.chan);
	assert_true(DK_WAIT_UNTIL(cb_calls(&log) == 1, WAIT_MS));
	assert_int_equal(log.last, DMA_TRANS_NOERROR);
	assert_memory_equal(dst.cpu, src.cpu, 4096);
	/* The same calls from process context are fine. */
	assert_int_equal(dmaengine_terminate_sync(e.chan), 0);
	dmaengine_synchronize(e.chan);
	buf_check_guards(&dst);
	buf_put(&src);
	buf_put(&dst);
	dma_release_channel(e.chan);
	e.chan = NULL;
	assert_log_count("not held", 0);
	assert_int_equal(env_down(&e), 0);
}

/* ---- IOMMU fault in a chain ---------------------------------------------- */

static void test_iommu_fault(void **state)
{
	struct env e;
	struct dma_chan *other;
	struct buf src, dst, s2, d2;
	struct cb_log la = { 0 }, lb = { 0 }, lc = { 0 }, ld = { 0 },
		      lo = { 0 };
	/* Never mapped in the controller's DMA domain. */
	const dma_addr_t hole = 0x7f000000ull;

	(void)state;
	assert_int_equal(env_up(&e, true), 0);
	other = get_chan();
	assert_non_null(other);
	buf_get(&src, e.dev, 8192, 0x31);
	buf_get(&dst, e.dev, 8192, 0);
	buf_get(&s2, e.dev, 4096, 0x47);
	buf_get(&d2, e.dev, 4096, 0);
	submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus, 4096,
					 DMA_PREP_INTERRUPT), &la);
	submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus, hole, 4096,
					 DMA_PREP_INTERRUPT), &lb);
	submit(dmaengine_prep_dma_memcpy(e.chan, hole, src.bus, 4096,
					 DMA_PREP_INTERRUPT), &lc);
	submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus + 4096,
					 src.bus + 4096, 4096,
					 DMA_PREP_INTERRUPT), &ld);
	dma_async_issue_pending(e.chan);
	submit(dmaengine_prep_dma_memcpy(other, d2.bus, s2.bus, 4096,
					 DMA_PREP_INTERRUPT), &lo);
	dma_async_issue_pending(other);
	assert_true(DK_WAIT_UNTIL(cb_calls(&ld) == 1 && cb_calls(&lo) == 1,
				  WAIT_MS));
	assert_int_equal(cb_calls(&la), 1);
	assert_int_equal(la.last, DMA_TRANS_NOERROR);
	assert_int_equal(cb_calls(&lb), 1);
	assert_int_equal(lb.last, DMA_TRANS_READ_FAILED);
	assert_true(lb.residue > 0 && lb.residue <= 4096);
	assert_int_equal(cb_calls(&lc), 1);
	assert_int_equal(lc.last, DMA_TRANS_WRITE_FAILED);
	assert_int_equal(ld.last, DMA_TRANS_NOERROR);
	assert_int_equal(lo.last, DMA_TRANS_NOERROR);
	assert_memory_equal(dst.cpu, src.cpu, 8192);
	assert_memory_equal(d2.cpu, s2.cpu, 4096);
	buf_check_guards(&dst);
	assert_true(dk_test_log_count("error READ") >= 1);
	assert_true(dk_test_log_count("error WRITE") >= 1);
	dma_release_channel(other);
	buf_put(&src);
	buf_put(&dst);
	buf_put(&s2);
	buf_put(&d2);
	assert_int_equal(env_down(&e), 0);
}

/* ---- ordering and exactly-once under 2 threads --------------------------- */

struct stress {
	struct dma_chan *chan;
	dma_addr_t src, dst;
	unsigned int per_thread;
	u8 *seen;		/* one per descriptor: callbacks seen */
	long next[2];		/* per thread: index expected next (tasklet) */
	int disorder;
	int done;
	int submitted;
};

struct stress_arg {
	struct stress *s;
	unsigned int thread;
};

static struct stress *g_stress;

/*
 * Each thread's descriptors get increasing cookies on the shared channel,
 * so they must be called back in the thread's submission order.
 */
static void stress_cb_idx(void *p, const struct dmaengine_result *r)
{
	struct stress *s = g_stress;
	unsigned int idx = (unsigned int)(uintptr_t)p;
	unsigned int th = idx / s->per_thread, i = idx % s->per_thread;

	if (r->result != DMA_TRANS_NOERROR || (long)i != s->next[th])
		s->disorder++;
	s->next[th] = (long)i + 1;
	s->seen[idx]++;
	__atomic_add_fetch(&s->done, 1, __ATOMIC_RELEASE);
}

static void *stress_thread(void *p)
{
	struct stress_arg *a = p;
	struct stress *s = a->s;
	unsigned int i;

	for (i = 0; i < s->per_thread; i++) {
		unsigned int idx = a->thread * s->per_thread + i;
		struct dma_async_tx_descriptor *tx;
		unsigned long fl = DMA_CTRL_ACK;
		bool last = i % 16 == 15 || i + 1 == s->per_thread;

		/* Keep at most 4096 in flight. */
		while (__atomic_load_n(&s->submitted, __ATOMIC_ACQUIRE) -
			       __atomic_load_n(&s->done, __ATOMIC_ACQUIRE) >
		       4096)
			dk_test_yield();
		if (last)
			fl |= DMA_PREP_INTERRUPT;
		tx = dmaengine_prep_dma_memcpy(s->chan,
					       s->dst + (idx % 64) * 64,
					       s->src + (idx % 64) * 64, 64,
					       fl);
		if (!tx)
			return (void *)1;
		tx->callback_result = stress_cb_idx;
		tx->callback_param = (void *)(uintptr_t)idx;
		__atomic_add_fetch(&s->submitted, 1, __ATOMIC_RELEASE);
		if (dmaengine_submit(tx) <= 0)
			return (void *)2;
		if (last)
			dma_async_issue_pending(s->chan);
	}
	return NULL;
}

static void test_two_threads(void **state)
{
	struct env e;
	struct buf src, dst;
	struct stress s = { 0 };
	struct stress_arg a[2];
	pthread_t t[2];
	unsigned int n, i;
	void *rv;

	(void)state;
	assert_int_equal(env_up(&e, false), 0);
	n = 50000 * dk_test_stress();
	buf_get(&src, e.dev, 4096, 0x12);
	buf_get(&dst, e.dev, 4096, 0);
	s.chan = e.chan;
	s.src = src.bus;
	s.dst = dst.bus;
	s.per_thread = n;
	s.seen = calloc(2 * n, 1);
	assert_non_null(s.seen);
	g_stress = &s;
	for (i = 0; i < 2; i++) {
		a[i].s = &s;
		a[i].thread = i;
		assert_int_equal(pthread_create(&t[i], NULL, stress_thread,
						&a[i]), 0);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], &rv), 0);
		assert_null(rv);
	}
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&s.done, __ATOMIC_ACQUIRE)
				  == (int)(2 * n), 60000));
	assert_int_equal(s.disorder, 0);
	for (i = 0; i < 2 * n; i++)
		if (s.seen[i] != 1)
			fail_msg("descriptor %u called back %u times, expected once",
				 i, s.seen[i]);
	assert_memory_equal(dst.cpu, src.cpu, 4096);
	free(s.seen);
	buf_put(&src);
	buf_put(&dst);
	assert_int_equal(env_down(&e), 0);
}

/* ---- remove and rebind --------------------------------------------------- */

static void test_rebind(void **state)
{
	struct env e;
	struct buf src, dst;
	struct cb_log log = { 0 };
	dma_cap_mask_t mask;
	struct dma_chan *c;

	(void)state;
	assert_int_equal(env_up(&e, true), 0);
	dma_release_channel(e.chan);
	e.chan = NULL;
	dk_dmac_driver_unregister();
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	c = dma_request_chan_by_mask(&mask);
	assert_true(IS_ERR(c));
	assert_int_equal(dk_dmac_driver_register(), 0);
	assert_int_equal(dk_dmac_driver_register(), 0);	/* idempotent */
	e.chan = get_chan();
	assert_non_null(e.chan);
	e.dev = dmaengine_get_dma_device(e.chan);
	buf_get(&src, e.dev, 4096, 0x66);
	buf_get(&dst, e.dev, 4096, 0);
	submit(dmaengine_prep_dma_memcpy(e.chan, dst.bus, src.bus, 4096,
					 DMA_PREP_INTERRUPT), &log);
	dma_async_issue_pending(e.chan);
	assert_true(DK_WAIT_UNTIL(cb_calls(&log) == 1, WAIT_MS));
	assert_memory_equal(dst.cpu, src.cpu, 4096);
	buf_put(&src);
	buf_put(&dst);
	assert_int_equal(env_down(&e), 0);
}

/* A failed test leaves its machine: destroy it for the next test. */
static int teardown(void **state)
{
	struct dk_machine *m = dk_machine_current();

	(void)state;
	if (m)
		dk_test_machine_down(m);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bad_args, teardown),
		cmocka_unit_test_teardown(test_memcpy_sizes, teardown),
		cmocka_unit_test_teardown(test_memset, teardown),
		cmocka_unit_test_teardown(test_interleaved, teardown),
		cmocka_unit_test_teardown(test_polled, teardown),
		cmocka_unit_test_teardown(test_reuse, teardown),
		cmocka_unit_test_teardown(test_pause_resume, teardown),
		cmocka_unit_test_teardown(test_residue_in_progress, teardown),
		cmocka_unit_test_teardown(test_residue_recycled_block,
					  teardown),
		cmocka_unit_test_teardown(test_terminate, teardown),
		cmocka_unit_test_teardown(test_terminate_async_synchronize,
					  teardown),
		cmocka_unit_test_teardown(test_desc_invalid_aborted, teardown),
		cmocka_unit_test_teardown(test_callback_chains, teardown),
		cmocka_unit_test_teardown(test_slave_caps, teardown),
		cmocka_unit_test_teardown(test_callback_misuse, teardown),
		cmocka_unit_test_teardown(test_iommu_fault, teardown),
		cmocka_unit_test_teardown(test_two_threads, teardown),
		cmocka_unit_test_teardown(test_rebind, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
