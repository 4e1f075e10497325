// SPDX-License-Identifier: MIT
/*
 * dma_map.c - benchmarks of the DMA mapping API: dma_map_single +
 * dma_unmap_single of 4 KiB through dma-direct (bus = physical), and the
 * same through swiotlb with its bounce copy, against a plain 4 KiB memcpy
 * between simulated-RAM buffers plus a direct map/unmap pair in the same
 * run.
 *
 * Two register-less devices on one machine: one with a 64-bit mask (direct)
 * and one with a 32-bit mask mapping a buffer above 4 GiB, so every mapping
 * bounces through swiotlb (the same swiotlb_map() path that forced
 * bouncing takes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/hw/device.h>
#include <dmakit/machine.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include <linux/swiotlb.h>
#include "bench.h"

#define MAP_LEN 4096

struct map_ctx {
	struct dk_machine *m;
	struct device *dev64, *dev32;
	struct page *hi_pg, *lo_pg;
	void *hi, *lo;			/* above / below 4 GiB */
	int err;
};

static void map_direct(void *p, uint64_t iters)
{
	struct map_ctx *c = p;

	for (uint64_t i = 0; i < iters; i++) {
		dma_addr_t a = dma_map_single(c->dev64, c->hi, MAP_LEN,
					      DMA_TO_DEVICE);

		if (dma_mapping_error(c->dev64, a))
			c->err = -EIO;
		dma_unmap_single(c->dev64, a, MAP_LEN, DMA_TO_DEVICE);
	}
}

static void map_swiotlb(void *p, uint64_t iters)
{
	struct map_ctx *c = p;

	for (uint64_t i = 0; i < iters; i++) {
		dma_addr_t a = dma_map_single(c->dev32, c->hi, MAP_LEN,
					      DMA_TO_DEVICE);

		if (dma_mapping_error(c->dev32, a))
			c->err = -EIO;
		dma_unmap_single(c->dev32, a, MAP_LEN, DMA_TO_DEVICE);
	}
}

static void memcpy_plus_direct(void *p, uint64_t iters)
{
	struct map_ctx *c = p;

	for (uint64_t i = 0; i < iters; i++) {
		dma_addr_t a;

		memcpy(c->lo, c->hi, MAP_LEN);
		/* Keep the compiler from merging the iterations. */
		__asm__ __volatile__("" : : "r"(c->lo) : "memory");
		a = dma_map_single(c->dev64, c->hi, MAP_LEN, DMA_TO_DEVICE);
		if (dma_mapping_error(c->dev64, a))
			c->err = -EIO;
		dma_unmap_single(c->dev64, a, MAP_LEN, DMA_TO_DEVICE);
	}
}

static int add_dev(struct dk_machine *m, unsigned int bits, u64 mask,
		   struct device **out)
{
	struct dk_device_config dc;
	struct platform_device *pdev;
	int ret;

	dk_device_config_init(&dc);
	dc.dma_bits = bits;
	ret = dk_bench_dev_add(m, &dc, NULL, &pdev);
	if (ret)
		return ret;
	*out = &pdev->dev;
	return dma_set_mask_and_coherent(*out, mask);
}

static int map_setup(struct map_ctx *c)
{
	unsigned long nslabs;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = dk_machine_create(NULL, &c->m);
	if (ret)
		return ret;
	ret = add_dev(c->m, 64, DMA_BIT_MASK(64), &c->dev64);
	if (!ret)
		ret = add_dev(c->m, 32, DMA_BIT_MASK(32), &c->dev32);
	if (ret)
		goto err_destroy;
	c->hi_pg = alloc_pages(GFP_KERNEL, 0);
	c->lo_pg = alloc_pages(GFP_DMA32, 0);
	if (!c->hi_pg || !c->lo_pg ||
	    page_to_phys(c->hi_pg) < (1ull << 32)) {
		ret = -ENOMEM;
		goto err_free;
	}
	c->hi = page_address(c->hi_pg);
	c->lo = page_address(c->lo_pg);
	/* Pre-fault: lazily committed RAM must not be timed. */
	memset(c->hi, 0x5a, MAP_LEN);
	memset(c->lo, 0, MAP_LEN);
	/*
	 * swiotlb hands out slots round-robin through the pool (as Linux):
	 * go round it once so the timed runs do not pay first-touch faults.
	 */
	if (dk_swiotlb_stats(&nslabs, NULL) == 0)
		map_swiotlb(c, nslabs / (MAP_LEN / IO_TLB_SIZE) + 64);
	return 0;

err_free:
	if (c->hi_pg)
		__free_pages(c->hi_pg, 0);
	if (c->lo_pg)
		__free_pages(c->lo_pg, 0);
err_destroy:
	dk_machine_destroy(c->m);
	return ret;
}

static int map_teardown(struct map_ctx *c)
{
	__free_pages(c->hi_pg, 0);
	__free_pages(c->lo_pg, 0);
	return dk_machine_destroy(c->m) ? -EBUSY : 0;
}

static int map_4k_run(const struct dk_bench *b, FILE *out)
{
	bool swiotlb = b->arg != NULL;
	struct dk_bench_closure v = { swiotlb ? map_swiotlb : map_direct,
				      NULL };
	struct dk_bench_closure base = { memcpy_plus_direct, NULL };
	struct dk_bench_pair_result r;
	struct map_ctx c;
	int ret, ret2;

	ret = map_setup(&c);
	if (ret)
		return ret;
	v.ctx = base.ctx = &c;
	ret = dk_bench_pair(&v, swiotlb ? &base : NULL, 0, &r);
	if (!ret && c.err)
		ret = c.err;
	if (!ret)
		dk_bench_report(out, b->name, r.value_ns, "ns",
				swiotlb ? r.baseline_ns : -1);
	ret2 = map_teardown(&c);
	return ret ? ret : ret2;
}

static const int with_swiotlb = 1;

const struct dk_bench dk_bench_dma_map[] = {
	{ "map_4k_direct",
	  "dma_map_single + dma_unmap_single of 4 KiB, dma-direct, ns per pair",
	  map_4k_run, NULL },
	{ "map_4k_swiotlb",
	  "the same bounced through swiotlb vs 4 KiB memcpy + direct pair, ns",
	  map_4k_run, &with_swiotlb },
	{ NULL, NULL, NULL, NULL },
};
