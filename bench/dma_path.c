// SPDX-License-Identifier: MIT
/*
 * dma_path.c - benchmarks of the device-side DMA path: a bulk copy between
 * two simulated-RAM buffers through dk_dma_copy(), against plain memcpy()
 * between the very same host addresses in the same run.
 *
 * The bench thread acts as the device (the path takes no lock); the device
 * is the benchmarks' register-less model (bench_dev.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/hw/device.h>
#include <dmakit/hw/dma.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include "bench.h"

struct copy_ctx {
	struct dk_hw_dev *dev;
	struct page *src_pg, *dst_pg;
	uint64_t src, dst;		/* bus = physical: no IOMMU */
	void *src_host, *dst_host;
	size_t len;
	unsigned int order;
	int err;
};

static void copy_dma(void *p, uint64_t iters)
{
	struct copy_ctx *c = p;

	for (uint64_t i = 0; i < iters; i++)
		if (dk_dma_copy(c->dev, c->dst, c->src, c->len))
			c->err = -EIO;
}

static void copy_memcpy(void *p, uint64_t iters)
{
	struct copy_ctx *c = p;

	for (uint64_t i = 0; i < iters; i++) {
		memcpy(c->dst_host, c->src_host, c->len);
		/* Keep the compiler from merging the iterations. */
		__asm__ __volatile__("" : : "r"(c->dst_host) : "memory");
	}
}

static int copy_setup(struct copy_ctx *c, struct dk_machine **m, size_t len)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->len = len;
	c->order = (unsigned int)get_order(len);
	ret = dk_machine_create(NULL, m);
	if (ret)
		return ret;
	ret = dk_bench_dev_add(*m, NULL, &c->dev, NULL);
	if (ret)
		goto err_destroy;
	c->src_pg = alloc_pages(GFP_KERNEL, c->order);
	c->dst_pg = alloc_pages(GFP_KERNEL, c->order);
	if (!c->src_pg || !c->dst_pg) {
		ret = -ENOMEM;
		goto err_free;
	}
	c->src_host = page_address(c->src_pg);
	c->dst_host = page_address(c->dst_pg);
	c->src = page_to_phys(c->src_pg);
	c->dst = page_to_phys(c->dst_pg);
	/* Pre-fault both buffers: lazily committed RAM must not be timed. */
	memset(c->src_host, 0x5a, len);
	memset(c->dst_host, 0, len);
	return 0;

err_free:
	if (c->src_pg)
		__free_pages(c->src_pg, c->order);
	if (c->dst_pg)
		__free_pages(c->dst_pg, c->order);
err_destroy:
	dk_machine_destroy(*m);
	return ret;
}

static void copy_teardown(struct copy_ctx *c, struct dk_machine *m)
{
	__free_pages(c->src_pg, c->order);
	__free_pages(c->dst_pg, c->order);
	dk_machine_destroy(m);
}

static int dma_path_copy_run(const struct dk_bench *b, FILE *out)
{
	const size_t *len = b->arg;
	struct dk_bench_closure v = { copy_dma, NULL };
	struct dk_bench_closure base = { copy_memcpy, NULL };
	struct dk_bench_pair_result r;
	struct dk_machine *m;
	struct copy_ctx c;
	int ret;

	ret = copy_setup(&c, &m, *len);
	if (ret)
		return ret;
	v.ctx = base.ctx = &c;
	ret = dk_bench_pair(&v, &base, 0, &r);
	if (!ret && c.err)
		ret = c.err;
	if (!ret && memcmp(c.src_host, c.dst_host, c.len))
		ret = -EIO;
	if (!ret)
		dk_bench_report(out, b->name, dk_bench_gbps(*len, r.value_ns),
				"GB/s", dk_bench_gbps(*len, r.baseline_ns));
	copy_teardown(&c, m);
	return ret;
}

static const size_t size_64k = 64 * 1024;
static const size_t size_1m = 1024 * 1024;

const struct dk_bench dk_bench_dma_path[] = {
	{ "dma_path_copy_64KiB",
	  "64 KiB copy through the device DMA path vs memcpy, GB/s",
	  dma_path_copy_run, &size_64k },
	{ "dma_path_copy_1MiB",
	  "1 MiB copy through the device DMA path vs memcpy, GB/s",
	  dma_path_copy_run, &size_1m },
	{ NULL, NULL, NULL, NULL },
};
