// SPDX-License-Identifier: MIT
/*
 * dma_iommu_test.c - the DMA API through the IOMMU (dma-iommu), on a whole
 * machine with the DK-IOMMU, the test thread acting as the device
 * (dk_dma_read/dk_dma_write): bad input (unmap of what is not mapped, a
 * wrong free, empty sg entries, IOVA exhaustion, a failing iommu_map);
 * the 32-bit device that bounces without an IOMMU getting IOVAs below
 * 4 GiB for buffers above it, no bouncing, data intact both ways and
 * permissions from the direction; coherent memory; scatterlists laid out
 * in one IOVA range with merged segments honouring max_seg_size and the
 * segment boundary; map_resource of a peer's registers; strict unmap
 * closing the translation at once; lazy unmap never handing an IOVA out
 * again before its flush; an identity default domain giving dma-direct;
 * and no IOVA space or page left at destroy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/hw/dma.h>
#include <dmakit/machine.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/swiotlb.h>
#include "kernel/internal.h"
#include "dk_test.h"
#include "tmodel.h"

#define SZ_4K	0x1000UL
#define SZ_4G	0x100000000ULL

static struct dk_machine *m;
static struct tmodel *tm;
static struct platform_device *pdev;
static struct device *dev;
static struct iommu_domain *dom;

/* A machine with (or without) the IOMMU and one device of @bits bits. */
static void up(bool iommu, int def, bool lazy, unsigned int fq_size,
	       unsigned int bits)
{
	struct dk_machine_config cfg;
	struct dk_device_config dc;

	dk_machine_config_init(&cfg);
	cfg.iommu.present = iommu;
	cfg.iommu.default_domain = def;
	cfg.iommu.lazy = lazy;
	cfg.iommu.fq_size = fq_size;
	cfg.manual_clock = true;	/* the flush queue's timer stays put */
	m = dk_test_machine_up(&cfg);
	assert_non_null(m);
	dk_device_config_init(&dc);
	dc.dma_bits = bits;
	assert_int_equal(tmodel_add(m, &dc, &tmodel_nothread_ops, &tm, &pdev),
			 0);
	dev = &pdev->dev;
	dom = iommu ? iommu_get_dma_domain(dev) : NULL;
}

static void up_dma(bool lazy, unsigned int fq_size)
{
	up(true, DK_IOMMU_DEFAULT_DMA, lazy, fq_size, 32);
	assert_non_null(dom);
	assert_int_equal(dom->type,
			 lazy ? IOMMU_DOMAIN_DMA_FQ : IOMMU_DOMAIN_DMA);
	assert_non_null(dom->iova_cookie);
	assert_non_null(get_dma_ops(dev));
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)), 0);
}

static int setup(void **state)
{
	(void)state;
	m = NULL;
	return 0;
}

static int teardown(void **state)
{
	int leaks;

	(void)state;
	if (!m)
		return 0;
	leaks = dk_test_machine_down(m);
	m = NULL;
	/* Every DMA domain's IOVA space was put. */
	assert_int_equal(dk__iommu_dma_nr_cookies(), 0);
	return leaks;
}

/* A page block above 4 GiB filled with a pattern. */
static struct page *high_pages(unsigned int order, uint8_t seed)
{
	struct page *pg = alloc_pages(GFP_KERNEL, order);
	uint8_t *p;

	assert_non_null(pg);
	assert_true(page_to_phys(pg) >= SZ_4G);
	p = page_address(pg);
	for (size_t i = 0; i < (SZ_4K << order); i++)
		p[i] = (uint8_t)(i * 13 + seed);
	return pg;
}

static int dev_read(dma_addr_t a, void *buf, size_t len)
{
	return dk_dma_read(&tm->hw, a, buf, len);
}

static int dev_write(dma_addr_t a, const void *buf, size_t len)
{
	return dk_dma_write(&tm->hw, a, buf, len);
}

static unsigned long swiotlb_used(void)
{
	unsigned long used = 0;

	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	return used;
}

/* ---- bad input ----------------------------------------------------------- */

static void bad_input(void **state)
{
	struct page *pg, *p2;
	struct scatterlist sg[2];
	dma_addr_t a, b, h;
	void *cpu;
	char stack[16];

	(void)state;
	up_dma(false, 0);
	pg = high_pages(0, 1);
	p2 = alloc_pages(GFP_KERNEL, 0);
	assert_non_null(p2);

	/* Unmap of what was never mapped: reported, nothing freed. */
	dma_unmap_single(dev, 0x12345000, 64, DMA_TO_DEVICE);
	assert_log_count("nothing is mapped at IOVA 0x12345000", 1);
	dma_unmap_page(dev, DMA_MAPPING_ERROR, 64, DMA_TO_DEVICE);
	assert_log_count("bad mapping", 1);
	/* Stack memory has no physical address (the front end says so). */
	assert_true(dma_map_single(dev, stack, sizeof(stack), DMA_TO_DEVICE) ==
		    DMA_MAPPING_ERROR);
	assert_log_count("(stack or malloc?)", 1);

	/* Empty sg entry. */
	sg_init_table(sg, 2);
	sg_set_page(&sg[0], pg, 100, 0);
	sg_set_page(&sg[1], p2, 0, 0);
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_TO_DEVICE), 0);
	assert_log_count("entry 1", 1);
	/* Unmap of a list never mapped. */
	sg_dma_len(&sg[0]) = 0;
	dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
	assert_log_count("has no DMA segment", 1);

	/* A free whose handle is not its buffer's: nothing freed. */
	cpu = dma_alloc_coherent(dev, SZ_4K, &h, GFP_KERNEL);
	assert_non_null(cpu);
	dma_free_coherent(dev, SZ_4K, cpu, h + SZ_4K);
	assert_log_count("translates to 0, not to cpu_addr", 1);
	dma_free_coherent(dev, SZ_4K, page_address(p2), h);
	assert_log_count("not to cpu_addr", 2);
	dma_free_coherent(dev, SZ_4K, cpu, h);
	assert_log_count("not to cpu_addr", 2);

	/* IOVA exhaustion: a 14-bit mask leaves pfns 1..3 (IOVA 0 never). */
	dk_test_log_clear();
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(14)), 0);
	a = dma_map_page(dev, pg, 0, 4 * SZ_4K / 4, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, a));
	assert_true(a < 0x4000 && a >= SZ_4K);
	b = dma_map_page(dev, p2, 0, 2 * SZ_4K, DMA_TO_DEVICE);
	assert_true(dma_mapping_error(dev, b));
	assert_log_count("out of IOVA space", 1);
	assert_log_count("no 8192 bytes free below 0x3fff", 1);
	/* A list needs one range for all its entries: -ENOMEM, retry later. */
	sg_init_table(sg, 2);
	sg_set_page(&sg[0], pg, SZ_4K, 0);
	sg_set_page(&sg[1], p2, 16, 0);
	{
		struct sg_table t = { .sgl = sg, .orig_nents = 2 };

		assert_int_equal(dma_map_sgtable(dev, &t, DMA_TO_DEVICE, 0),
				 -ENOMEM);
		assert_int_equal(t.nents, 0);
	}
	assert_log_count("for 2 entries", 1);
	dma_unmap_page(dev, a, SZ_4K, DMA_TO_DEVICE);

	/*
	 * iommu_map failure: something else sits where the allocator puts
	 * the next range (top-down: pfn 3). The IOVA goes back, nothing
	 * stays mapped.
	 */
	assert_int_equal(iommu_map(dom, 0x3000, page_to_phys(p2), SZ_4K,
				   IOMMU_READ),
			 0);
	a = dma_map_page(dev, pg, 8, 64, DMA_TO_DEVICE);
	assert_true(dma_mapping_error(dev, a));
	assert_log_count("at IOVA 0x3000 failed with error -17", 1);
	assert_int_equal(iommu_unmap(dom, 0x3000, SZ_4K), SZ_4K);
	a = dma_map_page(dev, pg, 8, 64, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, a));
	assert_int_equal(a, 0x3008);
	dma_unmap_page(dev, a, 64, DMA_TO_DEVICE);
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(32)), 0);

	__free_pages(pg, 0);
	__free_pages(p2, 0);
}

/* ---- the 32-bit device and high memory ----------------------------------- */

static void mask32_high_memory(void **state)
{
	struct page *pg;
	uint8_t *buf, rd[5000], wr[3000];
	unsigned long used0;
	dma_addr_t a;

	(void)state;
	/* Without an IOMMU the device bounces (the contrast)... */
	up(false, 0, false, 0, 32);
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)), 0);
	assert_null(get_dma_ops(dev));
	pg = high_pages(1, 3);
	a = dma_map_page(dev, pg, 100, sizeof(rd), DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, a));
	assert_true(is_swiotlb_buffer(dev, a));
	dma_unmap_page(dev, a, sizeof(rd), DMA_TO_DEVICE);
	__free_pages(pg, 1);
	assert_int_equal(teardown(state), 0);

	/* ... with one it gets IOVAs below 4 GiB and no bouncing. */
	up_dma(false, 0);
	assert_true(dma_get_required_mask(dev) == DMA_BIT_MASK(32));
	assert_false(dma_addressing_limited(dev));
	assert_true(dma_max_mapping_size(dev) == SIZE_MAX);
	pg = high_pages(1, 3);
	buf = page_address(pg);
	used0 = swiotlb_used();

	/* TO_DEVICE: the device reads what the CPU wrote. */
	a = dma_map_single(dev, buf + 100, sizeof(rd), DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, a));
	assert_true(a + sizeof(rd) <= SZ_4G);
	assert_true(a != page_to_phys(pg) + 100);
	assert_int_equal(a & (SZ_4K - 1), 100);	/* offset kept */
	assert_false(is_swiotlb_buffer(dev, a));
	assert_false(dma_need_sync(dev, a));
	assert_int_equal(swiotlb_used(), used0);
	assert_true(iommu_iova_to_phys(dom, a) == page_to_phys(pg) + 100);
	assert_int_equal(dev_read(a, rd, sizeof(rd)), 0);
	assert_memory_equal(rd, buf + 100, sizeof(rd));
	/* Read-only for the device. */
	assert_int_equal(dev_write(a, "x", 1), -EFAULT);
	dma_unmap_single(dev, a, sizeof(rd), DMA_TO_DEVICE);

	/* FROM_DEVICE: the CPU sees the device's data, no sync needed. */
	for (size_t i = 0; i < sizeof(wr); i++)
		wr[i] = (uint8_t)(0xa5 ^ i);
	a = dma_map_single(dev, buf + 5000, sizeof(wr), DMA_FROM_DEVICE);
	assert_false(dma_mapping_error(dev, a));
	assert_true(a + sizeof(wr) <= SZ_4G);
	assert_int_equal(swiotlb_used(), used0);
	assert_int_equal(dev_write(a, wr, sizeof(wr)), 0);
	assert_int_equal(dev_read(a, rd, 8), -EFAULT);	/* write-only */
	dma_unmap_single(dev, a, sizeof(wr), DMA_FROM_DEVICE);
	assert_memory_equal(buf + 5000, wr, sizeof(wr));

	/* BIDIRECTIONAL: both. */
	a = dma_map_single(dev, buf, 64, DMA_BIDIRECTIONAL);
	assert_false(dma_mapping_error(dev, a));
	assert_int_equal(dev_read(a, rd, 64), 0);
	assert_memory_equal(rd, buf, 64);
	assert_int_equal(dev_write(a + 8, "hello", 5), 0);
	assert_memory_equal(buf + 8, "hello", 5);
	dma_unmap_single(dev, a, 64, DMA_BIDIRECTIONAL);
	assert_int_equal(swiotlb_used(), used0);
	/* The faults above were recorded and reported. */
	assert_true(DK_WAIT_UNTIL(dk_test_log_count("iommu fault") >= 2,
				  5000));
	__free_pages(pg, 1);
}

/* ---- coherent memory ----------------------------------------------------- */

static void coherent(void **state)
{
	dma_addr_t h, h2;
	uint8_t *p, buf[16];
	struct page *cookie;

	(void)state;
	up_dma(false, 0);
	p = dma_alloc_coherent(dev, 3 * SZ_4K + 5, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_true(h + 4 * SZ_4K <= SZ_4G);
	assert_int_equal(h & (SZ_4K - 1), 0);
	/* From any zone: the IOMMU makes it reachable. */
	assert_true(virt_to_phys(p) >= SZ_4G);
	for (size_t i = 0; i < 4 * SZ_4K; i++)
		assert_int_equal(p[i], 0);
	/* The device writes, the CPU reads; and the other way round. */
	assert_int_equal(dev_write(h + 3 * SZ_4K + 1, "coherent", 8), 0);
	assert_memory_equal(p + 3 * SZ_4K + 1, "coherent", 8);
	memcpy(p + 10, "cpu", 3);
	assert_int_equal(dev_read(h + 10, buf, 3), 0);
	assert_memory_equal(buf, "cpu", 3);

	/* NO_KERNEL_MAPPING: the struct page is the cookie. */
	cookie = dma_alloc_attrs(dev, SZ_4K, &h2, GFP_KERNEL,
				 DMA_ATTR_NO_KERNEL_MAPPING);
	assert_non_null(cookie);
	assert_true(iommu_iova_to_phys(dom, h2) == page_to_phys(cookie));
	assert_int_equal(dev_write(h2, "k", 1), 0);
	dma_free_attrs(dev, SZ_4K, cookie, h2, DMA_ATTR_NO_KERNEL_MAPPING);

	dma_free_coherent(dev, 3 * SZ_4K + 5, p, h);
	/* Strict: gone at once. */
	assert_int_equal(dev_read(h, buf, 4), -EFAULT);
	assert_int_equal(dev_read(h2, buf, 4), -EFAULT);
	assert_true(DK_WAIT_UNTIL(dk_test_log_count("iommu fault") >= 2,
				  5000));
}

/* ---- scatterlists -------------------------------------------------------- */

#define NR_SG 8

static void sg_merge(void **state)
{
	struct page *pg[NR_SG], *two;
	struct scatterlist sg[NR_SG];
	static const size_t expect_len[] = { 3 * SZ_4K, SZ_4K, 3 * SZ_4K,
					     SZ_4K };
	uint8_t rd[2 * SZ_4K];
	dma_addr_t base;
	int n, i;

	(void)state;
	up_dma(false, 0);
	assert_int_equal(dma_set_max_seg_size(dev, 3 * SZ_4K), 0);
	assert_int_equal(dma_set_seg_boundary(dev, 0x3fff), 0);

	/* Eight scattered whole pages. */
	sg_init_table(sg, NR_SG);
	for (i = 0; i < NR_SG; i++) {
		pg[i] = high_pages(0, (uint8_t)i);
		sg_set_page(&sg[i], pg[i], SZ_4K, 0);
	}
	n = (int)dma_map_sg(dev, sg, NR_SG, DMA_BIDIRECTIONAL);
	/* 12K + 4K (boundary at 16K) + 12K + 4K, contiguous IOVA. */
	assert_int_equal(n, 4);
	base = sg_dma_address(&sg[0]);
	assert_int_equal(base & 0x3fff, 0);
	assert_true(base + 8 * SZ_4K <= SZ_4G);
	for (i = 0; i < 4; i++) {
		dma_addr_t a = sg_dma_address(&sg[i]);

		assert_int_equal(sg_dma_len(&sg[i]), expect_len[i]);
		/* Each segment starts where the previous one ends. */
		if (i)
			assert_int_equal(a, sg_dma_address(&sg[i - 1]) +
						    sg_dma_len(&sg[i - 1]));
		/* No segment crosses a 16 KiB boundary. */
		assert_int_equal(a >> 14, (a + sg_dma_len(&sg[i]) - 1) >> 14);
	}
	for (i = 4; i < NR_SG; i++)
		assert_int_equal(sg_dma_len(&sg[i]), 0);
	/* The device sees each page at its place. */
	for (i = 0; i < NR_SG; i++) {
		assert_int_equal(dev_read(base + i * SZ_4K, rd, SZ_4K), 0);
		assert_memory_equal(rd, page_address(pg[i]), SZ_4K);
	}
	assert_int_equal(dev_write(base + 5 * SZ_4K + 7, "sg", 2), 0);
	assert_memory_equal((uint8_t *)page_address(pg[5]) + 7, "sg", 2);
	dma_unmap_sg(dev, sg, NR_SG, DMA_BIDIRECTIONAL);
	assert_int_equal(dev_read(base, rd, 8), -EFAULT);

	/* Offsets kept; merged only where granules meet. */
	assert_int_equal(dma_set_max_seg_size(dev, 65536), 0);
	assert_int_equal(dma_set_seg_boundary(dev, ~0UL), 0);
	sg_init_table(sg, 4);
	sg_set_page(&sg[0], pg[0], 0xf00, 0x100);	/* ends on a page end */
	sg_set_page(&sg[1], pg[1], 0x800, 0);		/* ends mid-page */
	sg_set_page(&sg[2], pg[2], SZ_4K, 0);
	sg_set_page(&sg[3], pg[3], 0x20, 0x10);		/* starts mid-page */
	n = (int)dma_map_sg(dev, sg, 4, DMA_TO_DEVICE);
	assert_int_equal(n, 3);
	base = sg_dma_address(&sg[0]) - 0x100;
	assert_int_equal(base & 0x3fff, 0);
	assert_int_equal(sg_dma_len(&sg[0]), 0x1700);
	assert_int_equal(sg_dma_address(&sg[1]), base + 0x2000);
	assert_int_equal(sg_dma_len(&sg[1]), SZ_4K);
	assert_int_equal(sg_dma_address(&sg[2]), base + 0x3010);
	assert_int_equal(sg_dma_len(&sg[2]), 0x20);
	assert_int_equal(sg_dma_len(&sg[3]), 0);
	assert_int_equal(dev_read(sg_dma_address(&sg[0]), rd, 0x1700), 0);
	assert_memory_equal(rd, (uint8_t *)page_address(pg[0]) + 0x100,
			    0xf00);
	assert_memory_equal(rd + 0xf00, page_address(pg[1]), 0x800);
	assert_int_equal(dev_read(base + 0x3010, rd, 0x20), 0);
	assert_memory_equal(rd, (uint8_t *)page_address(pg[3]) + 0x10, 0x20);
	dma_unmap_sg(dev, sg, 4, DMA_TO_DEVICE);
	assert_int_equal(dev_read(base + 0x3010, rd, 8), -EFAULT);

	/* A two-page entry that would cross an 8 KiB boundary is padded. */
	assert_int_equal(dma_set_seg_boundary(dev, 0x1fff), 0);
	two = high_pages(1, 9);
	sg_init_table(sg, 2);
	sg_set_page(&sg[0], pg[0], SZ_4K, 0);
	sg_set_page(&sg[1], two, 2 * SZ_4K, 0);
	n = (int)dma_map_sg(dev, sg, 2, DMA_TO_DEVICE);
	assert_int_equal(n, 2);
	base = sg_dma_address(&sg[0]);
	assert_int_equal(sg_dma_address(&sg[1]), base + 0x2000);
	assert_int_equal(sg_dma_len(&sg[1]), 2 * SZ_4K);
	assert_int_equal(dev_read(base + 0x2000, rd, SZ_4K), 0);
	assert_memory_equal(rd, page_address(two), SZ_4K);
	/* The padding is not mapped onto anything. */
	assert_int_equal(dev_read(base + SZ_4K, rd, 8), -EFAULT);
	dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
	assert_int_equal(dev_read(base + 0x2000, rd, 8), -EFAULT);
	assert_true(DK_WAIT_UNTIL(dk_test_log_count("iommu fault") >= 4,
				  5000));

	__free_pages(two, 1);
	for (i = 0; i < NR_SG; i++)
		__free_pages(pg[i], 0);
}

/* ---- map_resource -------------------------------------------------------- */

static void resource(void **state)
{
	struct platform_device *peer;
	struct tmodel *ptm;
	struct dk_device_config dc;
	phys_addr_t regs;
	uint32_t v = 0xfeedbeef;
	dma_addr_t a;

	(void)state;
	up_dma(false, 0);
	dk_device_config_init(&dc);
	assert_int_equal(tmodel_add(m, &dc, &tmodel_nothread_ops, &ptm,
				    &peer),
			 0);
	assert_int_equal(dk_machine_enable_p2p(m, pdev, peer), 0);
	regs = peer->resource[0].start;
	a = dma_map_resource(dev, regs, 0x40, DMA_BIDIRECTIONAL, 0);
	assert_false(dma_mapping_error(dev, a));
	assert_true(a != regs);
	assert_true(iommu_iova_to_phys(dom, a) == regs);
	assert_int_equal(dev_write(a + TM_REG0, &v, 4), 0);
	/* The peer's register took the write (on this thread, no race). */
	assert_int_equal(ptm->regs[TM_REG0 / 4], 0xfeedbeef);
	dma_unmap_resource(dev, a, 0x40, DMA_BIDIRECTIONAL, 0);
	assert_int_equal(dev_write(a + TM_REG0, &v, 4), -EFAULT);
	assert_true(DK_WAIT_UNTIL(dk_test_log_count("iommu fault") >= 1,
				  5000));
}

/* ---- strict and lazy unmap ----------------------------------------------- */

static void strict_unmap(void **state)
{
	struct page *pg;
	uint8_t rd[32];
	dma_addr_t a, b;

	(void)state;
	up_dma(false, 0);
	pg = high_pages(0, 5);
	a = dma_map_page(dev, pg, 0, 32, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, a));
	assert_int_equal(dev_read(a, rd, sizeof(rd)), 0);	/* IOTLB warm */
	dma_unmap_page(dev, a, 32, DMA_TO_DEVICE);
	/* The device faults at the old IOVA at once... */
	assert_int_equal(dev_read(a, rd, sizeof(rd)), -EFAULT);
	assert_true(DK_WAIT_UNTIL(dk_test_log_count("iommu fault") == 1,
				  5000));
	/* ... and the IOVA may be handed out again right away. */
	b = dma_map_page(dev, pg, 0, 32, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, b));
	assert_int_equal(b, a);
	dma_unmap_page(dev, b, 32, DMA_TO_DEVICE);
	__free_pages(pg, 0);
}

#define LAZY_MAX 512

/* An unmapped range: first page frame of its IOVA, and page frames. */
struct range {
	dma_addr_t pfn;
	unsigned int n;
};

static struct range range_of(dma_addr_t a, size_t len)
{
	return (struct range){ a >> 12, (unsigned int)(((a & 0xfff) + len +
							0xfff) >> 12) };
}

/* Whether @r overlaps one of v[from..to). */
static bool in(const struct range *v, unsigned int from, unsigned int to,
	       struct range r)
{
	for (unsigned int i = from; i < to; i++)
		if (r.pfn < v[i].pfn + v[i].n && v[i].pfn < r.pfn + r.n)
			return true;
	return false;
}

static void lazy_no_reuse(void **state)
{
	static struct range unmapped[LAZY_MAX];
	unsigned int n = 0, pending, reused = 0, i;
	unsigned int loops = 100 * dk_test_stress();
	struct page *pg;
	uint8_t rd[16];
	dma_addr_t a;

	(void)state;
	if (loops > LAZY_MAX)
		loops = LAZY_MAX;
	up_dma(true, 0);	/* 256 entries, timer on the manual clock */
	pg = high_pages(2, 7);

	/* Fewer unmaps than the queue holds: no IOVA comes back. */
	for (i = 0; i < 100; i++) {
		a = dma_map_page(dev, pg, (i % 4) * SZ_4K, 64, DMA_TO_DEVICE);
		assert_false(dma_mapping_error(dev, a));
		assert_false(in(unmapped, 0, n, range_of(a, 64)));
		assert_int_equal(dev_read(a, rd, sizeof(rd)), 0);
		dma_unmap_page(dev, a, 64, DMA_TO_DEVICE);
		unmapped[n++] = range_of(a, 64);
		assert_int_equal(dk_iommu_fq_pending(dom), n);
	}
	/* The stale window the queue protects: the IOTLB still has it. */
	assert_int_equal(dev_read(unmapped[n - 1].pfn << 12, rd, sizeof(rd)),
			 0);
	/* After the flush they may (and, from this thread's cache, do). */
	dk_iommu_fq_flush(dom);
	assert_int_equal(dk_iommu_fq_pending(dom), 0);
	assert_int_equal(dev_read(unmapped[n - 1].pfn << 12, rd, sizeof(rd)),
			 -EFAULT);
	a = dma_map_page(dev, pg, 0, 64, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, a));
	assert_true(in(unmapped, 0, n, range_of(a, 64)));
	dma_unmap_page(dev, a, 64, DMA_TO_DEVICE);
	dk_iommu_fq_flush(dom);
	__free_pages(pg, 2);
	assert_int_equal(teardown(state), 0);

	/*
	 * A small queue (8) flushes itself when full: whatever is pending
	 * after each unmap (the last dk_iommu_fq_pending() entries) must
	 * never be handed out, and ranges do come back after flushes.
	 */
	up_dma(true, 8);
	pg = high_pages(2, 7);
	n = 0;
	for (i = 0; i < loops; i++) {
		size_t len = (i % 3 + 1) * 1500;	/* 1 or 2 pages */

		a = dma_map_page(dev, pg, (i % 2) * 100, len, DMA_TO_DEVICE);
		assert_false(dma_mapping_error(dev, a));
		pending = dk_iommu_fq_pending(dom);
		assert_true(pending <= n);
		assert_false(in(unmapped, n - pending, n, range_of(a, len)));
		if (in(unmapped, 0, n, range_of(a, len)))
			reused++;
		assert_int_equal(dev_read(a, rd, sizeof(rd)), 0);
		dma_unmap_page(dev, a, len, DMA_TO_DEVICE);
		unmapped[n++] = range_of(a, len);
	}
	assert_true(reused > 0);
	__free_pages(pg, 2);
}

/*
 * Two threads map and unmap through one lazy domain whose queue is small
 * and whose timer runs on the real clock: the IOVA ranges go back through
 * whichever thread flushes, and no mapping is ever handed out twice.
 */
struct thr {
	struct page *pg;
	unsigned int loops;
	int errors;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	uint8_t rd[8];

	for (unsigned int i = 0; i < t->loops; i++) {
		size_t len = (i % 2 + 1) * 3000;
		dma_addr_t a = dma_map_page(dev, t->pg, 0, len,
					    DMA_BIDIRECTIONAL);

		if (dma_mapping_error(dev, a)) {
			t->errors++;
			continue;
		}
		/* Mark the IOVA as this thread's: another mapping of it
		 * would land in the other thread's page. */
		if (dk_dma_write(&tm->hw, a, &t, sizeof(rd)) ||
		    dk_dma_read(&tm->hw, a, rd, sizeof(rd)) ||
		    memcmp(rd, &t, sizeof(rd)))
			t->errors++;
		dma_unmap_page(dev, a, len, DMA_BIDIRECTIONAL);
	}
	return NULL;
}

static void lazy_threads(void **state)
{
	struct thr t[2];
	pthread_t th[2];
	struct dk_machine_config cfg;
	struct dk_device_config dc;
	int i;

	(void)state;
	dk_machine_config_init(&cfg);
	cfg.iommu.present = true;
	cfg.iommu.lazy = true;
	cfg.iommu.fq_size = 16;
	cfg.iommu.fq_timeout_ms = 1;
	m = dk_test_machine_up(&cfg);
	assert_non_null(m);
	dk_device_config_init(&dc);
	assert_int_equal(tmodel_add(m, &dc, &tmodel_nothread_ops, &tm, &pdev),
			 0);
	dev = &pdev->dev;
	dom = iommu_get_dma_domain(dev);
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)), 0);
	for (i = 0; i < 2; i++) {
		t[i] = (struct thr){ high_pages(1, (uint8_t)i),
				     2000 * dk_test_stress(), 0 };
		assert_int_equal(pthread_create(&th[i], NULL, thr_main, &t[i]),
				 0);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(t[i].errors, 0);
		__free_pages(t[i].pg, 1);
	}
	dk_iommu_fq_flush(dom);
	assert_int_equal(dk_iommu_fq_pending(dom), 0);
	assert_log_count("iommu fault", 0);
}

/* ---- identity default domain -------------------------------------------- */

static void identity_is_direct(void **state)
{
	struct page *pg;
	uint8_t rd[16];
	dma_addr_t a;

	(void)state;
	up(true, DK_IOMMU_DEFAULT_IDENTITY, false, 0, 64);
	assert_non_null(dom);
	assert_int_equal(dom->type, IOMMU_DOMAIN_IDENTITY);
	assert_null(dom->iova_cookie);
	assert_null(get_dma_ops(dev));
	pg = high_pages(0, 2);
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)), 0);
	a = dma_map_page(dev, pg, 16, 16, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, a));
	assert_true(a == page_to_phys(pg) + 16);
	assert_int_equal(dev_read(a, rd, 16), 0);
	assert_memory_equal(rd, (uint8_t *)page_address(pg) + 16, 16);
	dma_unmap_page(dev, a, 16, DMA_TO_DEVICE);
	/* A 32-bit mask bounces as without an IOMMU. */
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)), 0);
	a = dma_map_page(dev, pg, 16, 16, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, a));
	assert_true(is_swiotlb_buffer(dev, a));
	assert_int_equal(dev_read(a, rd, 16), 0);
	assert_memory_equal(rd, (uint8_t *)page_address(pg) + 16, 16);
	dma_unmap_page(dev, a, 16, DMA_TO_DEVICE);
	__free_pages(pg, 0);
}

/* ---- leaks --------------------------------------------------------------- */

static void leaked_mapping_reported(void **state)
{
	struct page *pg;
	dma_addr_t a;

	(void)state;
	up_dma(true, 0);
	pg = high_pages(0, 1);
	a = dma_map_page(dev, pg, 0, 64, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, a));
	/* Unmapped, but still in the flush queue at destroy: not a leak. */
	a = dma_map_page(dev, pg, 0, 64, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dev, a));
	dma_unmap_page(dev, a, 64, DMA_TO_DEVICE);
	__free_pages(pg, 0);
	/* dk_test_machine_down() releases the capture: destroy by hand. */
	dk_machine_destroy(m);
	m = NULL;
	assert_log_count("still live", 1);
	assert_log_count("1 DMA mapping still live", 1);
	assert_int_equal(dk__iommu_dma_nr_cookies(), 0);
	dk_test_log_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(mask32_high_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(coherent, setup, teardown),
		cmocka_unit_test_setup_teardown(sg_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(resource, setup, teardown),
		cmocka_unit_test_setup_teardown(strict_unmap, setup, teardown),
		cmocka_unit_test_setup_teardown(lazy_no_reuse, setup,
						teardown),
		cmocka_unit_test_setup_teardown(lazy_threads, setup,
						teardown),
		cmocka_unit_test_setup_teardown(identity_is_direct, setup,
						teardown),
		cmocka_unit_test_setup_teardown(leaked_mapping_reported, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
