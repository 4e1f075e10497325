// SPDX-License-Identifier: MIT
/*
 * iommu.c - benchmarks of the IOMMU core on the DK-IOMMU driver and
 * hardware: iommu_map() + iommu_unmap() of one 4 KiB page on a device's
 * default DMA domain, lazy (DMA_FQ: the invalidation goes to the flush
 * queue, which flushes every fq_size unmaps or 10 ms) and strict (each
 * unmap submits a page-selective IOTLB invalidation and waits for it).
 *
 * A neighbour page stays mapped so the page tables exist for the whole
 * run, as in any live domain; the figure is the steady-state cost per
 * map+unmap pair. No natural baseline: `baseline=- ratio=-`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <dmakit/hw/device.h>
#include <dmakit/machine.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include "bench.h"

#define BENCH_IOVA	0x10000000UL

struct mu_ctx {
	struct dk_machine *m;
	struct iommu_domain *d;
	struct page *pg;
	phys_addr_t pa;
	int err;
};

static void map_unmap(void *p, uint64_t iters)
{
	struct mu_ctx *c = p;

	for (uint64_t i = 0; i < iters; i++) {
		if (iommu_map(c->d, BENCH_IOVA, c->pa, PAGE_SIZE,
			      IOMMU_READ | IOMMU_WRITE) ||
		    iommu_unmap(c->d, BENCH_IOVA, PAGE_SIZE) != PAGE_SIZE) {
			c->err = -EIO;
			return;
		}
	}
}

static int mu_setup(struct mu_ctx *c, bool lazy)
{
	struct device *dev;
	int ret;

	ret = dk_bench_iommu_up(lazy, &c->m, &dev, &c->d);
	if (ret)
		return ret;
	c->pg = alloc_pages(GFP_KERNEL, 1);
	if (!c->pg) {
		ret = -ENOMEM;
		goto err_destroy;
	}
	c->pa = page_to_phys(c->pg);
	/* The neighbour keeps the tables: steady state, no allocation. */
	ret = iommu_map(c->d, BENCH_IOVA + PAGE_SIZE, c->pa + PAGE_SIZE,
			PAGE_SIZE, IOMMU_READ);
	if (ret)
		goto err_free;
	return 0;

err_free:
	__free_pages(c->pg, 1);
err_destroy:
	dk_machine_destroy(c->m);
	return ret;
}

static void mu_teardown(struct mu_ctx *c)
{
	iommu_unmap(c->d, BENCH_IOVA + PAGE_SIZE, PAGE_SIZE);
	dk_iommu_fq_flush(c->d);
	__free_pages(c->pg, 1);
	dk_machine_destroy(c->m);
}

static int map_unmap_run(const struct dk_bench *b, FILE *out)
{
	const bool *lazy = b->arg;
	struct dk_bench_closure v = { map_unmap, NULL };
	struct dk_bench_pair_result r;
	struct mu_ctx c = { 0 };
	int ret;

	ret = mu_setup(&c, *lazy);
	if (ret)
		return ret;
	v.ctx = &c;
	ret = dk_bench_pair(&v, NULL, 0, &r);
	if (!ret && c.err)
		ret = c.err;
	if (!ret)
		dk_bench_report(out, b->name, r.value_ns, "ns", -1);
	mu_teardown(&c);
	return ret;
}

static const bool is_lazy = true;
static const bool is_strict;

const struct dk_bench dk_bench_iommu[] = {
	{ "iommu_map_unmap_4k_lazy",
	  "iommu_map + iommu_unmap of a 4 KiB page, DMA-FQ domain, ns/pair",
	  map_unmap_run, &is_lazy },
	{ "iommu_map_unmap_4k_strict",
	  "iommu_map + iommu_unmap of a 4 KiB page with the IOTLB invalidation waited for, ns/pair",
	  map_unmap_run, &is_strict },
	{ NULL, NULL, NULL, NULL },
};
