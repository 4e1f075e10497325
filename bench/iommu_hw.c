// SPDX-License-Identifier: MIT
/*
 * iommu_hw.c - benchmarks of the DK-IOMMU hardware model alone (no
 * driver): tables built straight into simulated RAM with the test table
 * builder, the bench thread acting as the device.
 *
 *  iotlb_hit         one translation of a page whose entry is in the
 *                    IOTLB, through the model's DMA-path hook (the device's
 *                    own last-translation cache is not involved), ns
 *  iotlb_miss_walk4  one translation that misses the IOTLB and walks a
 *                    4-level table: 8192 4 KiB pages (32 MiB of IOVA)
 *                    translated in a cycle, so each misses the 512-entry
 *                    IOTLB; the paging-structure cache holds the level-2
 *                    entries, so the walk reads the leaf from RAM; the
 *                    result is inserted in the IOTLB, ns
 *  iommu_copy_1MiB_4k / _2M  1 MiB dk_dma_copy() through the IOMMU with
 *                    4 KiB / 2 MiB pages, IOTLB warm, against memcpy()
 *                    between the same host buffers in the same run, GB/s
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
#include "hw/internal.h"
/* The table builder is shared with the tests; built into this file. */
#include "iommu_tables.h"

#define WALK_PAGES	8192u
#define IOVA_SRC	0x10000000ull
#define IOVA_DST	0x20000000ull
#define IOVA_WALK	0x40000000ull

struct ib {
	struct dk_machine *m;
	struct dk_hw_dev *dev;
	struct iot t;
	uint64_t pt;
	struct page *src_pg, *dst_pg;
	unsigned int order;
	void *src_host, *dst_host;
	size_t len;
	uint64_t sink;
	int err;
};

static int ib_setup(struct ib *b)
{
	int ret;

	memset(b, 0, sizeof(*b));
	ret = dk_machine_create(NULL, &b->m);
	if (ret)
		return ret;
	ret = dk__iommu_hw_add(b->m);
	if (ret)
		goto err_destroy;
	ret = dk_bench_dev_add(b->m, NULL, &b->dev, NULL);
	if (ret)
		goto err_destroy;
	ret = iot_init(&b->t, b->m);
	if (ret)
		goto err_tables;
	b->pt = iot_pgtable(&b->t);
	iot_context(&b->t, b->dev->requester_id, IOT_TT_XLATE, 2, 1, b->pt,
		    false);
	ret = iot_enable(&b->t, 0);
	if (ret)
		goto err_tables;
	return 0;

err_tables:
	iot_fini(&b->t);
err_destroy:
	dk_machine_destroy(b->m);
	return ret;
}

static void ib_teardown(struct ib *b)
{
	if (b->src_pg)
		__free_pages(b->src_pg, b->order);
	if (b->dst_pg)
		__free_pages(b->dst_pg, b->order);
	iot_fini(&b->t);
	dk_machine_destroy(b->m);
}

static void xlate_loop(void *p, uint64_t iters, uint64_t stride,
		       uint64_t npages)
{
	struct ib *b = p;
	const struct dk_dma_xlate *x = b->m->xlate;
	struct dk_dma_slot *s = &b->dev->dma_slot[0];
	uint64_t phys = 0, len = 0, sum = 0, page = 0;

	for (uint64_t i = 0; i < iters; i++) {
		len = 8;	/* one access's worth: no burst */
		if (x->translate_slot(x, b->dev, s,
				      IOVA_WALK + page * stride + 64, false,
				      &phys, &len))
			b->err = -EIO;
		sum += phys;
		if (++page == npages)
			page = 0;
	}
	b->sink += sum;
}

static void hit_fn(void *p, uint64_t iters)
{
	xlate_loop(p, iters, 0, 1);
}

static void walk_fn(void *p, uint64_t iters)
{
	xlate_loop(p, iters, 4096, WALK_PAGES);
}

static int xlate_run(const struct dk_bench *bn, FILE *out)
{
	struct dk_bench_closure v = { NULL, NULL };
	struct dk_bench_pair_result r;
	bool walk = bn->arg != NULL;
	uint64_t target;
	struct ib b;
	int ret;

	ret = ib_setup(&b);
	if (ret)
		return ret;
	target = iot_page(&b.t);
	for (unsigned int i = 0; i < (walk ? WALK_PAGES : 1); i++) {
		ret = iot_map(&b.t, b.pt, 4, IOVA_WALK + 4096ull * i, target,
			      IOT_SZ_4K, IOT_RW);
		if (ret)
			goto out;
	}
	v.fn = walk ? walk_fn : hit_fn;
	v.ctx = &b;
	v.fn(&b, walk ? WALK_PAGES : 1);	/* warm */
	ret = dk_bench_pair(&v, NULL, 0, &r);
	if (!ret && b.err)
		ret = b.err;
	if (!ret)
		dk_bench_report(out, bn->name, r.value_ns, "ns", -1);
out:
	ib_teardown(&b);
	return ret;
}

static void copy_dma(void *p, uint64_t iters)
{
	struct ib *b = p;

	for (uint64_t i = 0; i < iters; i++)
		if (dk_dma_copy(b->dev, IOVA_DST, IOVA_SRC, b->len))
			b->err = -EIO;
}

static void copy_memcpy(void *p, uint64_t iters)
{
	struct ib *b = p;

	for (uint64_t i = 0; i < iters; i++) {
		memcpy(b->dst_host, b->src_host, b->len);
		__asm__ __volatile__("" : : "r"(b->dst_host) : "memory");
	}
}

static int copy_run(const struct dk_bench *bn, FILE *out)
{
	const uint64_t *page = bn->arg;
	struct dk_bench_closure v = { copy_dma, NULL };
	struct dk_bench_closure base = { copy_memcpy, NULL };
	struct dk_bench_pair_result r;
	uint64_t src, dst;
	struct ib b;
	int ret;

	ret = ib_setup(&b);
	if (ret)
		return ret;
	b.len = 1 << 20;
	/* Blocks of at least a page, naturally aligned by the allocator. */
	b.order = (unsigned int)get_order(*page > b.len ? *page : b.len);
	b.src_pg = alloc_pages(GFP_KERNEL, b.order);
	b.dst_pg = alloc_pages(GFP_KERNEL, b.order);
	if (!b.src_pg || !b.dst_pg) {
		ret = -ENOMEM;
		goto out;
	}
	src = page_to_phys(b.src_pg);
	dst = page_to_phys(b.dst_pg);
	if ((src | dst) & (*page - 1)) {
		ret = -EINVAL;
		goto out;
	}
	for (uint64_t off = 0; off < b.len; off += *page) {
		ret = iot_map(&b.t, b.pt, 4, IOVA_SRC + off, src + off, *page,
			      IOT_R);
		if (!ret)
			ret = iot_map(&b.t, b.pt, 4, IOVA_DST + off,
				      dst + off, *page, IOT_W);
		if (ret)
			goto out;
	}
	b.src_host = page_address(b.src_pg);
	b.dst_host = page_address(b.dst_pg);
	memset(b.src_host, 0x5a, b.len);
	memset(b.dst_host, 0, b.len);
	v.ctx = base.ctx = &b;
	copy_dma(&b, 1);	/* warm the IOTLB */
	ret = dk_bench_pair(&v, &base, 0, &r);
	if (!ret && b.err)
		ret = b.err;
	if (!ret && memcmp(b.src_host, b.dst_host, b.len))
		ret = -EIO;
	if (!ret)
		dk_bench_report(out, bn->name, dk_bench_gbps(b.len, r.value_ns),
				"GB/s", dk_bench_gbps(b.len, r.baseline_ns));
out:
	ib_teardown(&b);
	return ret;
}

static const int walk_arg = 1;
static const uint64_t page_4k = 4096, page_2m = 2 << 20;

const struct dk_bench dk_bench_iommu_hw[] = {
	{ "iotlb_hit", "IOMMU translation of a page cached in the IOTLB, ns",
	  xlate_run, NULL },
	{ "iotlb_miss_walk4",
	  "IOMMU translation missing the IOTLB, 4-level walk (PSC holds level 2), ns",
	  xlate_run, &walk_arg },
	{ "iommu_copy_1MiB_4k",
	  "1 MiB device copy through the IOMMU, 4 KiB pages, warm IOTLB, vs memcpy, GB/s",
	  copy_run, &page_4k },
	{ "iommu_copy_1MiB_2M",
	  "1 MiB device copy through the IOMMU, 2 MiB pages, warm IOTLB, vs memcpy, GB/s",
	  copy_run, &page_2m },
	{ NULL, NULL, NULL, NULL },
};
