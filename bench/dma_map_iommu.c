// SPDX-License-Identifier: MIT
/*
 * dma_map_iommu.c - benchmarks of the DMA mapping API through the IOMMU
 * (dma-iommu): dma_map_single + dma_unmap_single of 4 KiB, ns per pair,
 * in a DMA_FQ domain (lazy: the unmap queues its invalidation and the IOVA
 * comes back after the flush queue's flush) and in a strict DMA domain
 * (the unmap invalidates the IOTLB and waits before the IOVA is freed).
 *
 * One register-less 64-bit device on a machine with the DK-IOMMU; the
 * buffer lies above 4 GiB; the IOVAs come from below 4 GiB. The machine's
 * clock is real, so the lazy figure includes the flush queue's own flushes
 * (when full, every 256 unmaps, or by its 10 ms timer).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/hw/device.h>
#include <dmakit/machine.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include "bench.h"

#define MAP_LEN 4096

struct mi_ctx {
	struct dk_machine *m;
	struct device *dev;
	struct page *pg;
	void *buf;
	int err;
};

static void map_iommu(void *p, uint64_t iters)
{
	struct mi_ctx *c = p;

	for (uint64_t i = 0; i < iters; i++) {
		dma_addr_t a = dma_map_single(c->dev, c->buf, MAP_LEN,
					      DMA_TO_DEVICE);

		if (dma_mapping_error(c->dev, a))
			c->err = -EIO;
		dma_unmap_single(c->dev, a, MAP_LEN, DMA_TO_DEVICE);
	}
}

static int mi_setup(struct mi_ctx *c, bool lazy)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = dk_bench_iommu_up(lazy, &c->m, &c->dev, NULL);
	if (ret)
		return ret;
	c->pg = alloc_pages(GFP_KERNEL, 0);
	if (!c->pg) {
		ret = -ENOMEM;
		goto err_destroy;
	}
	c->buf = page_address(c->pg);
	/* Pre-fault; and warm the IOVA caches and page tables. */
	memset(c->buf, 0x5a, MAP_LEN);
	map_iommu(c, 1024);
	return c->err;

err_destroy:
	dk_machine_destroy(c->m);
	return ret;
}

static int mi_teardown(struct mi_ctx *c)
{
	__free_pages(c->pg, 0);
	return dk_machine_destroy(c->m) ? -EBUSY : 0;
}

static int map_4k_iommu_run(const struct dk_bench *b, FILE *out)
{
	bool lazy = b->arg != NULL;
	struct dk_bench_closure v = { map_iommu, NULL };
	struct dk_bench_pair_result r;
	struct mi_ctx c;
	int ret, ret2;

	ret = mi_setup(&c, lazy);
	if (ret)
		return ret;
	v.ctx = &c;
	ret = dk_bench_pair(&v, NULL, 0, &r);
	if (!ret && c.err)
		ret = c.err;
	if (!ret)
		dk_bench_report(out, b->name, r.value_ns, "ns", -1);
	ret2 = mi_teardown(&c);
	return ret ? ret : ret2;
}

static const int lazy_fq = 1;

const struct dk_bench dk_bench_dma_map_iommu[] = {
	{ "map_4k_iommu_lazy",
	  "dma_map_single + dma_unmap_single of 4 KiB, IOMMU DMA_FQ domain, ns per pair",
	  map_4k_iommu_run, &lazy_fq },
	{ "map_4k_iommu_strict",
	  "dma_map_single + dma_unmap_single of 4 KiB, IOMMU strict domain, ns per pair",
	  map_4k_iommu_run, NULL },
	{ NULL, NULL, NULL, NULL },
};
