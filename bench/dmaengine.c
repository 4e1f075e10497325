// SPDX-License-Identifier: MIT
/*
 * dmaengine.c - benchmarks of dmaengine on the DK-DMAC (the whole path:
 * prep, submit, issue_pending, descriptor fetch by DMA through the IOMMU
 * when present, the copy, status write-back, interrupt, tasklet callback):
 *
 * The throughput figures run on a partitioned machine when this thread
 * may use two CPUs or more (dk_machine_config.hw_cpu): the controller's
 * thread alone on the last CPU, the kernel's threads and this client on
 * the others — the controller as silicon of its own, as DPDK's figures for
 * its software DMA driver are taken on pinned cores. The _shared figures
 * are the same without partitioning, where the result also depends on how
 * the scheduler places four threads on the cores.
 *
 * - dmaengine_copy_<size>_<iommu|direct>: GB/s of back-to-back copies of
 *   <size> against plain memcpy of the same size between the same
 *   simulated-RAM buffers, in the same run (memcpy on this thread). A
 *   copy larger than 4 MiB (the largest coherent block) is several 4 MiB
 *   descriptors. Descriptors are kept queued (a window of several batches, one interrupt per batch) so
 *   that no thread sleeps per descriptor. The client refills in bulk, as a
 *   streaming driver refills a ring: when the window is full it sleeps
 *   until half of it has completed (the batch callbacks wake it only
 *   then), so it wakes once per half window, not once per batch.
 * - dmaengine_ops_64B_batched: 64 B copies in batches of 32, one
 *   issue_pending and one interrupt per batch; Mops/s. Shared (on 2
 *   cores): bimodal, ~3 or ~4 Mops/s a run, depending on whether the
 *   hard-IRQ thread lands on the controller's core.
 * - dmaengine_latency_64B: median submit-to-callback time of a single
 *   64 B copy (the callback takes the timestamp); ns.
 * - dmaengine_latency_64B_polled: median submit-to-DMA_COMPLETE time of a
 *   single 64 B copy prepared without DMA_PREP_INTERRUPT, the client
 *   polling dmaengine_tx_status(), on a machine with the polling option
 *   (dk_machine_config.poll_us = 50); ns.
 *
 * Each figure builds its own machine (direct figures: no IOMMU; the
 * others: an IOMMU with a translating DMA domain).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/machine.h>
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/jiffies.h>
#include "bench.h"

#define CHUNK_MAX	(4u << 20)
#define MAX_CHUNKS	4

struct de_ctx {
	struct dk_machine *m;
	struct dma_chan *chan;
	struct device *dev;
	size_t len;		/* bytes per copy */
	size_t chunk;		/* bytes per descriptor */
	unsigned int nchunks;
	void *src[MAX_CHUNKS], *dst[MAX_CHUNKS];
	dma_addr_t src_bus[MAX_CHUNKS], dst_bus[MAX_CHUNKS];
	unsigned int batch;	/* descriptors per issue_pending/interrupt */
	unsigned int window;	/* descriptors in flight at most */
	u64 submitted;		/* bench thread */
	u64 done;		/* descriptors completed (atomic) */
	u64 want;		/* wake the client at this many (atomic) */
	struct completion progress;
	u64 t_cb;		/* latency: callback timestamp (atomic) */
	int err;
};

static void de_batch_cb(void *p, const struct dmaengine_result *r)
{
	struct de_ctx *c = p;
	u64 done;

	if (r->result != DMA_TRANS_NOERROR)
		c->err = -EIO;
	/* In-order completion: this batch's last one means the whole batch. */
	done = __atomic_add_fetch(&c->done, c->batch, __ATOMIC_SEQ_CST);
	/* seq_cst pairs with de_wait_done(): it sees done or we see want. */
	if (done >= __atomic_load_n(&c->want, __ATOMIC_SEQ_CST))
		complete(&c->progress);
}

static void de_wait_done(struct de_ctx *c, u64 upto)
{
	__atomic_store_n(&c->want, upto, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&c->done, __ATOMIC_SEQ_CST) < upto) {
		if (!wait_for_completion_timeout(&c->progress,
						 msecs_to_jiffies(5000))) {
			c->err = -ETIMEDOUT;
			return;
		}
	}
}

/* @iters copies of c->len, pipelined. */
static void de_copy(void *p, uint64_t iters)
{
	struct de_ctx *c = p;
	u64 n = iters * c->nchunks, i;

	/* Whole batches only, so each callback accounts for one batch. */
	n = (n + c->batch - 1) / c->batch * c->batch;
	for (i = 0; i < n && !c->err; i++) {
		unsigned int k = (unsigned int)(i % c->nchunks);
		bool end = (c->submitted + 1) % c->batch == 0;
		struct dma_async_tx_descriptor *tx;

		/* Full: sleep until half the window is free, then refill. */
		if (c->submitted - __atomic_load_n(&c->done, __ATOMIC_ACQUIRE) >=
		    c->window)
			de_wait_done(c, c->submitted - c->window / 2);
		tx = dmaengine_prep_dma_memcpy(c->chan, c->dst_bus[k],
					       c->src_bus[k], c->chunk,
					       end ? DMA_PREP_INTERRUPT : 0);
		if (!tx) {
			c->err = -ENOMEM;
			break;
		}
		if (end) {
			tx->callback_result = de_batch_cb;
			tx->callback_param = c;
		}
		if (dmaengine_submit(tx) < 0) {
			c->err = -EIO;
			break;
		}
		c->submitted++;
		if (end)
			dma_async_issue_pending(c->chan);
	}
	de_wait_done(c, c->submitted);
}

static void de_memcpy(void *p, uint64_t iters)
{
	struct de_ctx *c = p;

	for (uint64_t i = 0; i < iters; i++) {
		for (unsigned int k = 0; k < c->nchunks; k++) {
			memcpy(c->dst[k], c->src[k], c->chunk);
			__asm__ __volatile__("" : : "r"(c->dst[k]) : "memory");
		}
	}
}

static void de_down(struct de_ctx *c)
{
	for (unsigned int k = 0; k < c->nchunks; k++) {
		if (c->src[k])
			dma_free_coherent(c->dev, c->chunk, c->src[k],
					  c->src_bus[k]);
		if (c->dst[k])
			dma_free_coherent(c->dev, c->chunk, c->dst[k],
					  c->dst_bus[k]);
	}
	if (c->chan)
		dma_release_channel(c->chan);
	if (c->m && dk_machine_destroy(c->m))
		fprintf(stderr, "dmaengine bench: the machine reported leaks\n");
	c->m = NULL;
}

static int de_up_cpu(struct de_ctx *c, bool iommu, size_t len,
		     unsigned int poll_us, int hw_cpu)
{
	struct dk_machine_config cfg;
	dma_cap_mask_t mask;
	int ret;

	memset(c, 0, sizeof(*c));
	init_completion(&c->progress);
	dk_machine_config_init(&cfg);
	cfg.iommu.present = iommu;
	cfg.poll_us = poll_us;
	cfg.hw_cpu = hw_cpu;
	ret = dk_machine_create(&cfg, &c->m);
	if (ret)
		return ret;
	ret = dk_machine_add_dmac(c->m, NULL, NULL);
	if (ret)
		goto err;
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	c->chan = dma_request_chan_by_mask(&mask);
	if (IS_ERR(c->chan)) {
		ret = (int)PTR_ERR(c->chan);
		c->chan = NULL;
		goto err;
	}
	c->dev = dmaengine_get_dma_device(c->chan);
	c->len = len;
	c->chunk = len < CHUNK_MAX ? len : CHUNK_MAX;
	c->nchunks = (unsigned int)((len + c->chunk - 1) / c->chunk);
	for (unsigned int k = 0; k < c->nchunks; k++) {
		c->src[k] = dma_alloc_coherent(c->dev, c->chunk,
					       &c->src_bus[k], GFP_KERNEL);
		c->dst[k] = dma_alloc_coherent(c->dev, c->chunk,
					       &c->dst_bus[k], GFP_KERNEL);
		if (!c->src[k] || !c->dst[k]) {
			ret = -ENOMEM;
			goto err;
		}
		/* Pre-fault both, outside the measurement. */
		memset(c->src[k], 0x5a, c->chunk);
		memset(c->dst[k], 0, c->chunk);
	}
	return 0;
err:
	de_down(c);
	return ret;
}

static int de_up(struct de_ctx *c, bool iommu, size_t len,
		 unsigned int poll_us)
{
	return de_up_cpu(c, iommu, len, poll_us, -1);
}

/*
 * CPU partitioning for a figure: the controller gets the last CPU of this
 * thread's when it has two or more (-1 otherwise); *@mine keeps them.
 */
static int de_cpus_pick(cpu_set_t *mine)
{
	int hw = -1;

	CPU_ZERO(mine);
	if (pthread_getaffinity_np(pthread_self(), sizeof(*mine), mine) ||
	    CPU_COUNT(mine) < 2)
		return -1;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, mine))
			hw = cpu;
	return hw;
}

/* The client is software too: off the controller's CPU (or back). */
static void de_cpus_client(const cpu_set_t *mine, int hw, bool leave)
{
	cpu_set_t sw = *mine;

	if (hw < 0)
		return;
	if (leave)
		CPU_CLR(hw, &sw);
	pthread_setaffinity_np(pthread_self(), sizeof(sw), &sw);
}

struct de_copy_arg {
	size_t len;
	bool iommu;
	bool shared;	/* no CPU partitioning */
};

static int de_copy_run(const struct dk_bench *b, FILE *out)
{
	const struct de_copy_arg *a = b->arg;
	struct de_ctx c;
	struct dk_bench_pair_result r;
	struct dk_bench_closure v = { de_copy, &c };
	struct dk_bench_closure base = { de_memcpy, &c };
	int ret;

	cpu_set_t mine;
	int hw = a->shared ? -1 : de_cpus_pick(&mine);

	ret = de_up_cpu(&c, a->iommu, a->len, 0, hw);
	if (ret)
		return ret;
	de_cpus_client(&mine, hw, true);
	if (c.chunk <= 4096) {
		c.batch = 32;
		c.window = 256;
	} else if (c.chunk <= 65536) {
		c.batch = 8;
		c.window = 64;
	} else if (c.chunk <= (1u << 20)) {
		c.batch = 8;
		c.window = 32;
	} else {
		c.batch = 1;
		c.window = 4;
	}
	ret = dk_bench_pair(&v, &base, 0, &r);
	if (!ret && c.err)
		ret = c.err;
	if (!ret && memcmp(c.src[0], c.dst[0], c.chunk))
		ret = -EIO;
	if (!ret)
		dk_bench_report(out, b->name, dk_bench_gbps(a->len, r.value_ns),
				"GB/s", dk_bench_gbps(a->len, r.baseline_ns));
	de_down(&c);
	de_cpus_client(&mine, hw, false);
	return ret;
}

static int de_ops(const struct dk_bench *b, FILE *out, bool partition)
{
	struct de_ctx c;
	struct dk_bench_pair_result r;
	struct dk_bench_closure v = { de_copy, &c };
	cpu_set_t mine;
	int ret, hw = partition ? de_cpus_pick(&mine) : -1;

	ret = de_up_cpu(&c, true, 64, 0, hw);
	if (ret)
		return ret;
	de_cpus_client(&mine, hw, true);
	c.batch = 32;
	c.window = 256;
	ret = dk_bench_pair(&v, NULL, 0, &r);
	if (!ret && c.err)
		ret = c.err;
	if (!ret)
		dk_bench_report(out, b->name, dk_bench_mops(1, r.value_ns),
				"Mops/s", -1);
	de_down(&c);
	de_cpus_client(&mine, hw, false);
	return ret;
}

static int de_ops_run(const struct dk_bench *b, FILE *out)
{
	return de_ops(b, out, true);
}

static int de_ops_shared_run(const struct dk_bench *b, FILE *out)
{
	return de_ops(b, out, false);
}

static void de_lat_cb(void *p, const struct dmaengine_result *r)
{
	struct de_ctx *c = p;

	if (r->result != DMA_TRANS_NOERROR)
		c->err = -EIO;
	__atomic_store_n(&c->t_cb, dk_bench_now_ns(), __ATOMIC_RELEASE);
	complete(&c->progress);
}

static int de_latency(const struct dk_bench *b, FILE *out, bool polled)
{
	unsigned int n = dk_bench_quick() ? 300 : 3000, i;
	struct de_ctx c;
	double *lat;
	int ret;

	lat = calloc(n, sizeof(*lat));
	if (!lat)
		return -ENOMEM;
	/*
	 * A polling client wants a polling machine: the controller's thread
	 * spins 50 us for the next doorbell before it sleeps (poll_us).
	 */
	ret = de_up(&c, true, 64, polled ? 50 : 0);
	if (ret) {
		free(lat);
		return ret;
	}
	for (i = 0; i < n + 20 && !c.err; i++) {
		struct dma_async_tx_descriptor *tx;
		dma_cookie_t ck;
		u64 t0, t1;

		reinit_completion(&c.progress);
		t0 = dk_bench_now_ns();
		tx = dmaengine_prep_dma_memcpy(c.chan, c.dst_bus[0],
					       c.src_bus[0], 64,
					       polled ? 0 : DMA_PREP_INTERRUPT);
		if (!tx) {
			c.err = -ENOMEM;
			break;
		}
		if (!polled) {
			tx->callback_result = de_lat_cb;
			tx->callback_param = &c;
		}
		ck = dmaengine_submit(tx);
		dma_async_issue_pending(c.chan);
		if (polled) {
			while (dmaengine_tx_status(c.chan, ck, NULL) !=
			       DMA_COMPLETE)
				;
			t1 = dk_bench_now_ns();
		} else {
			if (!wait_for_completion_timeout(&c.progress,
							 msecs_to_jiffies(5000)))
				c.err = -ETIMEDOUT;
			t1 = __atomic_load_n(&c.t_cb, __ATOMIC_ACQUIRE);
		}
		if (i >= 20)	/* warm-up first */
			lat[i - 20] = (double)(t1 - t0);
	}
	ret = c.err;
	if (!ret)
		dk_bench_report(out, b->name, dk_bench_median(lat, n), "ns", -1);
	de_down(&c);
	free(lat);
	return ret;
}

static int de_lat_run(const struct dk_bench *b, FILE *out)
{
	return de_latency(b, out, false);
}

static int de_lat_polled_run(const struct dk_bench *b, FILE *out)
{
	return de_latency(b, out, true);
}

static const struct de_copy_arg a64_i = { 64, true, false },
				a64_d = { 64, false, false };
static const struct de_copy_arg a4k_i = { 4096, true, false },
				a4k_d = { 4096, false, false };
static const struct de_copy_arg a64k_i = { 65536, true, false },
				a64k_d = { 65536, false, false };
static const struct de_copy_arg a1m_i = { 1u << 20, true, false },
				a1m_d = { 1u << 20, false, false };
static const struct de_copy_arg a16m_i = { 16u << 20, true, false },
				a16m_d = { 16u << 20, false, false };
static const struct de_copy_arg a1m_i_shared = { 1u << 20, true, true };

const struct dk_bench dk_bench_dmaengine[] = {
	{ "dmaengine_copy_64B_iommu", "dmaengine 64 B copies vs memcpy, IOMMU",
	  de_copy_run, &a64_i },
	{ "dmaengine_copy_64B_direct", "dmaengine 64 B copies vs memcpy",
	  de_copy_run, &a64_d },
	{ "dmaengine_copy_4KiB_iommu", "dmaengine 4 KiB copies, IOMMU",
	  de_copy_run, &a4k_i },
	{ "dmaengine_copy_4KiB_direct", "dmaengine 4 KiB copies",
	  de_copy_run, &a4k_d },
	{ "dmaengine_copy_64KiB_iommu", "dmaengine 64 KiB copies, IOMMU",
	  de_copy_run, &a64k_i },
	{ "dmaengine_copy_64KiB_direct", "dmaengine 64 KiB copies",
	  de_copy_run, &a64k_d },
	{ "dmaengine_copy_1MiB_iommu", "dmaengine 1 MiB copies, IOMMU",
	  de_copy_run, &a1m_i },
	{ "dmaengine_copy_1MiB_direct", "dmaengine 1 MiB copies",
	  de_copy_run, &a1m_d },
	{ "dmaengine_copy_1MiB_iommu_shared",
	  "dmaengine 1 MiB copies, IOMMU, threads placed by the scheduler",
	  de_copy_run, &a1m_i_shared },
	{ "dmaengine_copy_16MiB_iommu", "dmaengine 16 MiB copies, IOMMU",
	  de_copy_run, &a16m_i },
	{ "dmaengine_copy_16MiB_direct", "dmaengine 16 MiB copies",
	  de_copy_run, &a16m_d },
	{ "dmaengine_ops_64B_batched",
	  "64 B copies, batches of 32, one interrupt per batch, Mops/s (controller on a CPU of its own)",
	  de_ops_run, NULL },
	{ "dmaengine_ops_64B_batched_shared",
	  "the same, threads placed by the scheduler, Mops/s",
	  de_ops_shared_run, NULL },
	{ "dmaengine_latency_64B",
	  "median submit-to-callback of one 64 B copy, ns", de_lat_run, NULL },
	{ "dmaengine_latency_64B_polled",
	  "median submit-to-complete of one 64 B copy, tx_status polling, ns",
	  de_lat_polled_run, NULL },
	{ NULL },
};
