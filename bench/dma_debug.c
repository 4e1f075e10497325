// SPDX-License-Identifier: MIT
/*
 * dma_debug.c - the cost of dma-debug: dma_map_single + dma_mapping_error
 * + dma_unmap_single of 4 KiB through dma-direct with dma-debug on
 * (map_4k_direct_debug, DMA_TO_DEVICE), against the same pair with it
 * off, measured in the same run (the map_4k_direct figure). dma-debug is
 * switched on and off between rounds, with nothing mapped.
 * map_4k_direct_debug_from_device is the same for DMA_FROM_DEVICE, which
 * dma-debug tracks in its shared table (cacheline tracking) rather than
 * in the thread's slot: the cost where the lock-free path does not apply.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/hw/device.h>
#include <dmakit/machine.h>
#include <linux/dma-debug.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include "bench.h"

#define MAP_LEN 4096

struct dbg_ctx {
	struct device *dev;
	void *buf;
	enum dma_data_direction dir;
	int err;
};

static void map_pairs(struct dbg_ctx *c, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		dma_addr_t a = dma_map_single(c->dev, c->buf, MAP_LEN, c->dir);

		if (dma_mapping_error(c->dev, a))
			c->err = -EIO;
		dma_unmap_single(c->dev, a, MAP_LEN, c->dir);
	}
}

static void map_debug(void *p, uint64_t iters)
{
	struct dbg_ctx *c = p;

	if (dk_dma_debug_mode() == DK_DMA_DEBUG_OFF &&
	    dk_dma_debug_enable(DK_DMA_DEBUG_WARN))
		c->err = -ENOMEM;
	map_pairs(c, iters);
}

static void map_plain(void *p, uint64_t iters)
{
	struct dbg_ctx *c = p;

	dk_dma_debug_disable();
	map_pairs(c, iters);
}

static int map_4k_debug_run(const struct dk_bench *b, FILE *out)
{
	struct dk_bench_closure v = { map_debug, NULL };
	struct dk_bench_closure base = { map_plain, NULL };
	struct dk_bench_pair_result r;
	struct dk_device_config dc;
	struct platform_device *pdev;
	struct dk_machine *m;
	struct page *pg;
	struct dbg_ctx c;
	int ret, leaks;

	memset(&c, 0, sizeof(c));
	c.dir = b->arg ? *(const enum dma_data_direction *)b->arg :
			 DMA_TO_DEVICE;
	ret = dk_machine_create(NULL, &m);
	if (ret)
		return ret;
	dk_device_config_init(&dc);
	ret = dk_bench_dev_add(m, &dc, NULL, &pdev);
	if (ret)
		goto out;
	c.dev = &pdev->dev;
	ret = dma_set_mask_and_coherent(c.dev, DMA_BIT_MASK(64));
	if (ret)
		goto out;
	pg = alloc_pages(GFP_KERNEL, 0);
	if (!pg) {
		ret = -ENOMEM;
		goto out;
	}
	c.buf = page_address(pg);
	memset(c.buf, 0x5a, MAP_LEN);	/* pre-fault */
	v.ctx = base.ctx = &c;
	ret = dk_bench_pair(&v, &base, 0, &r);
	dk_dma_debug_disable();
	if (!ret && c.err)
		ret = c.err;
	if (!ret && dk_dma_debug_errors(-1))
		ret = -EPROTO;	/* a clean loop must report nothing */
	if (!ret)
		dk_bench_report(out, b->name, r.value_ns, "ns", r.baseline_ns);
	__free_pages(pg, 0);
out:
	leaks = dk_machine_destroy(m);
	return ret ? ret : leaks ? -EBUSY : 0;
}

static const enum dma_data_direction from_device = DMA_FROM_DEVICE;

const struct dk_bench dk_bench_dma_debug[] = {
	{ "map_4k_direct_debug",
	  "dma_map_single + dma_unmap_single of 4 KiB, dma-direct, dma-debug on vs off, ns per pair",
	  map_4k_debug_run, NULL },
	{ "map_4k_direct_debug_from_device",
	  "the same, DMA_FROM_DEVICE (dma-debug's shared table), ns per pair",
	  map_4k_debug_run, &from_device },
	{ NULL, NULL, NULL, NULL },
};
