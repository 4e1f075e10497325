// SPDX-License-Identifier: MIT
/*
 * dma_direct_test.c - dma-direct end to end: a 64-bit device maps without
 * bouncing (bus = physical); a 32-bit device gets bounce buffers for high
 * memory and data arrives intact both ways, the test thread acting as the
 * device through the DMA path; a missing dma_sync_single_for_cpu under
 * force-bounce shows as stale data, and dma_sync_sg_for_device/_for_cpu
 * copy each way through the bounce slots; an invalid direction on a sync,
 * an sg unmap or a resource mapping is refused and changes nothing;
 * scatterlists longer than a page of entries map and unmap; MMIO
 * resources; nothing leaks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/hw/dma.h>
#include <dmakit/machine.h>
#include <linux/dma-debug.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include "dk_test.h"
#include "tmodel.h"

static struct dk_machine *m;
static struct tmodel *tm;
static struct device *dev;

static int make(bool force, unsigned int bits)
{
	struct dk_machine_config cfg;
	struct dk_device_config dc;
	struct platform_device *pdev;
	int ret;

	dk_test_log_capture();
	dk_machine_config_init(&cfg);
	cfg.dma.force_bounce = force;
	cfg.dma.swiotlb_size = 4 << 20;
	ret = dk_machine_create(&cfg, &m);
	if (ret)
		return ret;
	dk_device_config_init(&dc);
	dc.dma_bits = bits;
	ret = tmodel_add(m, &dc, &tmodel_nothread_ops, &tm, &pdev);
	if (ret)
		return ret;
	dev = &pdev->dev;
	return 0;
}

static int setup64(void **state)
{
	(void)state;
	return make(false, 64);
}

static int setup32(void **state)
{
	(void)state;
	return make(false, 32);
}

static int setup_force(void **state)
{
	(void)state;
	return make(true, 64);
}

static int teardown(void **state)
{
	(void)state;
	return dk_test_machine_down(m);
}

/* A high-memory buffer (ZONE_NORMAL is taken first). */
static void *high_buf(size_t size, struct page **pg)
{
	*pg = alloc_pages(GFP_KERNEL, (unsigned int)get_order(size));
	assert_non_null(*pg);
	assert_true(page_to_phys(*pg) >= (1ull << 32));
	return page_address(*pg);
}

static void bad_arguments(void **state)
{
	char stack_buf[64];
	void *heap = malloc(64);
	void *buf = kmalloc(64, GFP_KERNEL);

	(void)state;
	assert_true(dma_map_single(NULL, buf, 64, DMA_TO_DEVICE) ==
		    DMA_MAPPING_ERROR);
	assert_log_count("NULL device", 1);
	assert_true(dma_map_single(dev, buf, 64, DMA_NONE) ==
		    DMA_MAPPING_ERROR);
	assert_true(dma_map_single(dev, buf, 64, 7) == DMA_MAPPING_ERROR);
	assert_log_count("invalid DMA direction", 2);
	assert_true(dma_map_single(dev, stack_buf, sizeof(stack_buf),
				   DMA_TO_DEVICE) == DMA_MAPPING_ERROR);
	assert_true(dma_map_single(dev, heap, 64, DMA_FROM_DEVICE) ==
		    DMA_MAPPING_ERROR);
	assert_log_count("is not in simulated RAM", 2);
	/* Every message names the device (dma-debug, when on, adds its own). */
	assert_int_equal(dk_test_log_count(dev_name(dev)),
			 4 + dk_test_log_count("DMA-API:"));
	assert_true(dma_map_single(dev, buf, 0, DMA_TO_DEVICE) ==
		    DMA_MAPPING_ERROR);
	assert_log_count("size is 0", 1);
	assert_true(dma_map_page(dev, NULL, 0, 64, DMA_TO_DEVICE) ==
		    DMA_MAPPING_ERROR);
	assert_log_count("page is NULL", 1);
	assert_int_equal(dma_mapping_error(dev, DMA_MAPPING_ERROR), -ENOMEM);
	assert_int_equal(dma_mapping_error(dev, 0x1000), 0);
	/* A resource mapping of RAM is refused. */
	assert_true(dma_map_resource(dev, virt_to_phys(buf), 64,
				     DMA_TO_DEVICE, 0) == DMA_MAPPING_ERROR);
	assert_log_count("is RAM", 1);
	dma_unmap_single(dev, 0x1000, 64, DMA_NONE);
	assert_log_count("invalid DMA direction", 3);
	free(heap);
	kfree(buf);
}

static void direct_64bit_no_bounce(void **state)
{
	struct page *pg;
	u8 *buf = high_buf(4096, &pg), out[256];
	dma_addr_t a;

	(void)state;
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)), 0);
	memset(buf, 0xa5, 4096);
	a = dma_map_single(dev, buf, 4096, DMA_BIDIRECTIONAL);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_true(a == virt_to_phys(buf));	/* bus = phys */
	assert_false(is_swiotlb_buffer(dev, a));
	assert_false(dma_need_sync(dev, a));
	assert_int_equal(dk_dma_read(&tm->hw, a, out, sizeof(out)), 0);
	assert_int_equal(out[0], 0xa5);
	memset(out, 0x3c, sizeof(out));
	assert_int_equal(dk_dma_write(&tm->hw, a + 100, out, sizeof(out)), 0);
	assert_int_equal(buf[100], 0x3c);	/* visible before unmap */
	dma_unmap_single(dev, a, 4096, DMA_BIDIRECTIONAL);
	/* dma_map_page with an offset reaching into the next page. */
	__free_pages(pg, 0);
	pg = alloc_pages(GFP_KERNEL, 1);
	a = dma_map_page(dev, pg, 4000, 200, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_true(a == page_to_phys(pg) + 4000);
	dma_unmap_page(dev, a, 200, DMA_TO_DEVICE);
	a = dma_map_page(dev, pg, 8100, 200, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);	/* RAM after the block */
	assert_true(a == page_to_phys(pg) + 8100);
	dma_unmap_page(dev, a, 200, DMA_TO_DEVICE);
	__free_pages(pg, 1);
	assert_int_equal(dk_test_log_count(NULL), 0);
}

static void bounce_32bit_both_directions(void **state)
{
	struct page *pg;
	u8 *buf = high_buf(8192, &pg), dev_mem[8192];
	unsigned long used;
	dma_addr_t a;
	size_t i;

	(void)state;
	assert_int_equal(dev->dma_bits_hint, 32);
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)), 0);
	assert_true(dma_addressing_limited(dev));
	assert_int_equal(dma_max_mapping_size(dev), 256 * 1024);

	/* CPU -> device through a TO_DEVICE bounce buffer. */
	for (i = 0; i < 8192; i++)
		buf[i] = (u8)(i * 7);
	a = dma_map_single(dev, buf, 8192, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_true(a + 8192 <= (1ull << 32));
	assert_true(is_swiotlb_buffer(dev, a));
	assert_true(dma_need_sync(dev, a));
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, 4);
	assert_int_equal(dk_dma_read(&tm->hw, a, dev_mem, 8192), 0);
	assert_memory_equal(dev_mem, buf, 8192);
	dma_unmap_single(dev, a, 8192, DMA_TO_DEVICE);
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, 0);

	/* Device -> CPU through a FROM_DEVICE bounce buffer. */
	memset(buf, 0, 8192);
	a = dma_map_single(dev, buf + 16, 4000, DMA_FROM_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	for (i = 0; i < 4000; i++)
		dev_mem[i] = (u8)(i ^ 0x5a);
	assert_int_equal(dk_dma_write(&tm->hw, a, dev_mem, 4000), 0);
	assert_int_equal(buf[16], 0);	/* not yet: it is in the slot */
	dma_unmap_single(dev, a, 4000, DMA_FROM_DEVICE);
	assert_memory_equal(buf + 16, dev_mem, 4000);
	assert_int_equal(buf[15], 0);	/* guard bytes untouched */
	assert_int_equal(buf[16 + 4000], 0);

	/* The device itself cannot reach the high buffer. */
	assert_int_equal(dk_dma_read(&tm->hw, virt_to_phys(buf), dev_mem, 4),
			 -ENXIO);
	assert_log_count(NULL, 1);
	dk_test_log_clear();

	/* Without swiotlb a 32-bit mask on high memory would overflow; with
	 * SKIP_CPU_SYNC nothing is copied back. */
	memset(buf, 0x11, 64);
	a = dma_map_single_attrs(dev, buf, 64, DMA_FROM_DEVICE,
				 DMA_ATTR_SKIP_CPU_SYNC |
				 DMA_ATTR_WEAK_ORDERING);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	memset(dev_mem, 0x22, 64);
	assert_int_equal(dk_dma_write(&tm->hw, a, dev_mem, 64), 0);
	dma_unmap_single_attrs(dev, a, 64, DMA_FROM_DEVICE,
			       DMA_ATTR_SKIP_CPU_SYNC);
	assert_int_equal(buf[0], 0x11);
	__free_pages(pg, 1);
}

static void forced_bounce_missing_sync_is_stale(void **state)
{
	struct page *pg;
	u8 *buf = high_buf(4096, &pg), data[512];
	dma_addr_t a;

	(void)state;
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)), 0);
	assert_true(is_swiotlb_force_bounce(dev));
	memset(buf, 0xee, 4096);
	a = dma_map_single(dev, buf, 4096, DMA_BIDIRECTIONAL);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_true(a != virt_to_phys(buf));	/* even a 64-bit device */
	memset(data, 0x42, sizeof(data));
	assert_int_equal(dk_dma_write(&tm->hw, a, data, sizeof(data)), 0);
	/* The driver forgot dma_sync_single_for_cpu: stale data. */
	assert_int_equal(buf[0], 0xee);
	dma_sync_single_for_cpu(dev, a, 4096, DMA_BIDIRECTIONAL);
	assert_int_equal(buf[0], 0x42);
	assert_int_equal(buf[511], 0x42);
	assert_int_equal(buf[512], 0xee);

	/* CPU writes, and forgets dma_sync_single_for_device: the device
	 * reads stale data until the sync. */
	memset(buf, 0x77, 64);
	assert_int_equal(dk_dma_read(&tm->hw, a, data, 64), 0);
	assert_int_equal(data[0], 0x42);
	dma_sync_single_range_for_device(dev, a, 0, 64, DMA_BIDIRECTIONAL);
	assert_int_equal(dk_dma_read(&tm->hw, a, data, 64), 0);
	assert_int_equal(data[0], 0x77);
	/* A partial range sync for the CPU copies that range only. */
	memset(data, 0x99, 16);
	assert_int_equal(dk_dma_write(&tm->hw, a + 1024, data, 16), 0);
	dma_sync_single_range_for_cpu(dev, a, 1024, 8, DMA_BIDIRECTIONAL);
	assert_int_equal(buf[1024], 0x99);
	assert_int_equal(buf[1032], 0xee);
	dma_unmap_single(dev, a, 4096, DMA_BIDIRECTIONAL);
	assert_int_equal(buf[1032], 0x99);	/* unmap copies all back */
	__free_pages(pg, 0);
	assert_int_equal(dk_test_log_count(NULL), 0);
}

/* Each of @n bytes at @p is @v. */
static bool all_bytes(const u8 *p, size_t n, u8 v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* The device's view of @n bytes at bus address @a. */
static bool dev_sees(dma_addr_t a, size_t n, u8 v)
{
	u8 data[256];

	assert_true(n <= sizeof(data));
	assert_int_equal(dk_dma_read(&tm->hw, a, data, n), 0);
	return all_bytes(data, n, v);
}

static void dev_writes(dma_addr_t a, size_t n, u8 v)
{
	u8 data[256];

	assert_true(n <= sizeof(data));
	memset(data, v, n);
	assert_int_equal(dk_dma_write(&tm->hw, a, data, n), 0);
}

/*
 * Under swiotlb=force each sg entry has its own bounce slot: the device
 * sees CPU writes made after the map only after dma_sync_sg_for_device(),
 * and the CPU sees device writes only after dma_sync_sg_for_cpu().
 */
static void forced_bounce_sg_syncs(void **state)
{
	struct scatterlist sg[2], *s;
	struct page *pg;
	u8 *buf = high_buf(8192, &pg);
	int i;

	(void)state;
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)), 0);
	memset(buf, 0x11, 8192);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf, 256);
	sg_set_buf(&sg[1], buf + 4096, 256);
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_BIDIRECTIONAL), 2);
	for_each_sg(sg, s, 2, i) {
		assert_true(is_swiotlb_buffer(dev, sg_dma_address(s)));
		assert_true(sg_dma_address(s) != sg_phys(s));
		assert_true(dev_sees(sg_dma_address(s), 256, 0x11));
	}

	/* CPU -> device: stale until the sync, then both entries copied. */
	memset(buf, 0x22, 256);
	memset(buf + 4096, 0x33, 256);
	assert_true(dev_sees(sg_dma_address(&sg[0]), 256, 0x11));
	assert_true(dev_sees(sg_dma_address(&sg[1]), 256, 0x11));
	dma_sync_sg_for_device(dev, sg, 2, DMA_BIDIRECTIONAL);
	assert_true(dev_sees(sg_dma_address(&sg[0]), 256, 0x22));
	assert_true(dev_sees(sg_dma_address(&sg[1]), 256, 0x33));

	/* Device -> CPU: stale until the sync, then both entries copied. */
	dev_writes(sg_dma_address(&sg[0]), 256, 0x44);
	dev_writes(sg_dma_address(&sg[1]), 256, 0x55);
	assert_true(all_bytes(buf, 256, 0x22));
	assert_true(all_bytes(buf + 4096, 256, 0x33));
	dma_sync_sg_for_cpu(dev, sg, 2, DMA_BIDIRECTIONAL);
	assert_true(all_bytes(buf, 256, 0x44));
	assert_true(all_bytes(buf + 4096, 256, 0x55));
	/* Only the entries' bytes. */
	assert_true(all_bytes(buf + 256, 4096 - 256, 0x11));
	assert_true(all_bytes(buf + 4096 + 256, 4096 - 256, 0x11));
	dma_unmap_sg(dev, sg, 2, DMA_BIDIRECTIONAL);

	/* One way each: TO_DEVICE copies for the device ... */
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_TO_DEVICE), 2);
	memset(buf, 0x66, 256);
	assert_true(dev_sees(sg_dma_address(&sg[0]), 256, 0x44));
	dma_sync_sg_for_device(dev, sg, 2, DMA_TO_DEVICE);
	assert_true(dev_sees(sg_dma_address(&sg[0]), 256, 0x66));
	dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
	/* ... FROM_DEVICE for the CPU. */
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_FROM_DEVICE), 2);
	dev_writes(sg_dma_address(&sg[1]), 256, 0x77);
	assert_true(all_bytes(buf + 4096, 256, 0x55));
	dma_sync_sg_for_cpu(dev, sg, 2, DMA_FROM_DEVICE);
	assert_true(all_bytes(buf + 4096, 256, 0x77));
	dma_unmap_sg(dev, sg, 2, DMA_FROM_DEVICE);
	__free_pages(pg, 1);
	assert_int_equal(dk_test_log_count(NULL), 0);
}

/*
 * An invalid direction (DMA_NONE, 7) is refused with a message naming the
 * device and the call, and changes nothing: no copy through the bounce
 * slot, the mapping stays (slots, dma-debug entry), no dma-debug report.
 */
static void bad_direction_changes_nothing(void **state)
{
	struct platform_device *pdev = to_platform_device(dev);
	phys_addr_t fifo = pdev->resource[0].start + 8;
	static const int bad[] = { DMA_NONE, 7 };
	struct scatterlist sg[2];
	unsigned long used, used_mapped, entries;
	struct page *pg;
	u8 *buf = high_buf(8192, &pg);
	struct sg_table *no_sgt = NULL;
	dma_addr_t a, r;
	unsigned int k;

	(void)state;
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)), 0);
	memset(buf, 0x11, 8192);
	a = dma_map_single(dev, buf, 256, DMA_BIDIRECTIONAL);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf + 4096, 256);
	sg_set_buf(&sg[1], buf + 6144, 256);
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_BIDIRECTIONAL), 2);
	r = dma_map_resource(dev, fifo, 4, DMA_FROM_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, r), 0);
	assert_int_equal(dk_swiotlb_stats(NULL, &used_mapped), 0);
	entries = dk_dma_debug_entries();
	/* CPU and device each write something the other has not seen. */
	memset(buf, 0x22, 256);
	memset(buf + 4096, 0x22, 256);
	dev_writes(a + 128, 128, 0x33);
	dev_writes(sg_dma_address(&sg[1]), 256, 0x33);

	for (k = 0; k < 2; k++) {
		int d = bad[k];

		dma_sync_single_for_cpu(dev, a, 256, d);
		dma_sync_single_for_device(dev, a, 256, d);
		dma_sync_sg_for_cpu(dev, sg, 2, d);
		dma_sync_sg_for_device(dev, sg, 2, d);
		dma_unmap_sg(dev, sg, 2, d);
		assert_true(dma_map_resource(dev, fifo, 4, d, 0) ==
			    DMA_MAPPING_ERROR);
		dma_unmap_resource(dev, r, 4, d, 0);
	}
	assert_log_count("dma_sync_single_for_cpu: invalid DMA direction", 2);
	assert_log_count("dma_sync_single_for_device: invalid DMA direction",
			 2);
	assert_log_count("dma_sync_sg_for_cpu: invalid DMA direction", 2);
	assert_log_count("dma_sync_sg_for_device: invalid DMA direction", 2);
	assert_log_count("dma_unmap_sg: invalid DMA direction", 2);
	assert_log_count("dma_map_resource: invalid DMA direction", 2);
	assert_log_count("dma_unmap_resource: invalid DMA direction", 2);
	assert_log_count("invalid DMA direction 7 ", 7);
	assert_int_equal(dk_test_log_count(dev_name(dev)), 14);
	assert_log_count(NULL, 14);

	/* Nothing copied either way. */
	assert_true(dev_sees(a, 128, 0x11));
	assert_true(all_bytes(buf + 128, 128, 0x22));
	assert_true(dev_sees(sg_dma_address(&sg[0]), 256, 0x11));
	assert_true(all_bytes(buf + 6144, 256, 0x11));
	/* Nothing unmapped, nothing new mapped. */
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, used_mapped);
	assert_int_equal(dk_dma_debug_entries(), entries);
	assert_int_equal(dk_dma_debug_errors(-1), 0);
	dk_test_log_clear();

	/* Size 0, and a NULL sg_table. */
	assert_true(dma_map_resource(dev, fifo, 0, DMA_TO_DEVICE, 0) ==
		    DMA_MAPPING_ERROR);
	assert_log_count("dma_map_resource: 0x", 1);
	assert_log_count("size is 0", 1);
	assert_int_equal(dma_map_sgtable(dev, no_sgt, DMA_TO_DEVICE, 0),
			 -EINVAL);
	assert_log_count("dma_map_sgtable: sg_table is NULL", 1);
	dma_unmap_sgtable(dev, no_sgt, DMA_TO_DEVICE, 0);
	assert_log_count("dma_unmap_sgtable: sg_table is NULL", 1);
	assert_int_equal(dk_test_log_count(dev_name(dev)), 3);
	assert_int_equal(dma_map_sgtable(NULL, no_sgt, DMA_TO_DEVICE, 0),
			 -EINVAL);
	assert_log_count("dma_map_sgtable: NULL device", 1);
	assert_log_count(NULL, 4);
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, used_mapped);
	assert_int_equal(dk_dma_debug_entries(), entries);
	dk_test_log_clear();

	/* The mappings are intact: the correct calls still work. */
	dma_sync_sg_for_cpu(dev, sg, 2, DMA_BIDIRECTIONAL);
	assert_true(all_bytes(buf + 6144, 256, 0x33));
	dma_sync_single_for_device(dev, a, 256, DMA_BIDIRECTIONAL);
	assert_true(dev_sees(a, 256, 0x22));
	dma_unmap_sg(dev, sg, 2, DMA_BIDIRECTIONAL);
	dma_unmap_single(dev, a, 256, DMA_BIDIRECTIONAL);
	dma_unmap_resource(dev, r, 4, DMA_FROM_DEVICE, 0);
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, 0);
	assert_int_equal(dk_dma_debug_entries(), 0);
	assert_int_equal(dk_dma_debug_errors(-1), 0);
	assert_log_count(NULL, 0);
	__free_pages(pg, 1);
}

static void sg_chained_map_unmap(void **state)
{
	unsigned int n = 3 * (unsigned int)SG_MAX_SINGLE_ALLOC + 5, i, count;
	struct sg_table sgt;
	struct scatterlist *sg;
	struct page **pages;
	u8 byte;

	(void)state;
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)), 0);
	pages = calloc(n, sizeof(*pages));
	assert_int_equal(sg_alloc_table(&sgt, n, GFP_KERNEL), 0);
	assert_int_equal(sgt.orig_nents, n);
	for_each_sgtable_sg(&sgt, sg, i) {
		/* Half high (bounced), half low (direct). */
		pages[i] = alloc_pages(i & 1 ? GFP_DMA32 : GFP_KERNEL, 0);
		assert_non_null(pages[i]);
		memset(page_address(pages[i]), (int)(i & 0xff), 512);
		sg_set_page(sg, pages[i], 512, 0);
	}
	assert_int_equal(sg_nents(sgt.sgl), n);
	assert_int_equal(dma_map_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0), 0);
	assert_int_equal(sgt.nents, n);	/* no merging in dma-direct */
	count = 0;
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		assert_int_equal(sg_dma_len(sg), 512);
		assert_true(sg_dma_address(sg) + 512 <= (1ull << 32));
		assert_int_equal(dk_dma_read(&tm->hw, sg_dma_address(sg),
					     &byte, 1), 0);
		assert_int_equal(byte, i & 0xff);
		byte = (u8)~i;
		assert_int_equal(dk_dma_write(&tm->hw, sg_dma_address(sg) + 1,
					      &byte, 1), 0);
		count++;
	}
	assert_int_equal(count, n);
	dma_sync_sgtable_for_cpu(dev, &sgt, DMA_BIDIRECTIONAL);
	dma_sync_sgtable_for_device(dev, &sgt, DMA_BIDIRECTIONAL);
	dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(((u8 *)page_address(pages[i]))[1],
				 (u8)~i);
		__free_pages(pages[i], 0);
	}
	sg_free_table(&sgt);
	free(pages);
	assert_int_equal(dk_test_log_count(NULL), 0);
}

static void sg_map_failure_unmaps_all(void **state)
{
	struct scatterlist sg[3];
	char stack_buf[32];
	void *a = kmalloc(64, GFP_KERNEL), *b = kmalloc(64, GFP_KERNEL);
	unsigned long used;

	(void)state;
	assert_int_equal(dma_map_sg(dev, NULL, 1, DMA_TO_DEVICE), 0);
	assert_int_equal(dma_map_sg(dev, sg, 0, DMA_TO_DEVICE), 0);
	assert_log_count("dma_map_sg", 2);
	sg_init_table(sg, 3);
	sg_set_buf(&sg[0], a, 64);
	sg_set_buf(&sg[1], b, 64);
	sg_set_buf(&sg[2], stack_buf, sizeof(stack_buf));
	assert_log_count("sg_set_buf", 1);
	assert_int_equal(dma_map_sg(dev, sg, 3, DMA_TO_DEVICE), 0);
	assert_log_count("entry 2", 1);
	/* dma-debug, when on (the suite's DK_DMA_DEBUG=1), says it too. */
	assert_int_equal(dk_dma_debug_errors(DK_DMA_DEBUG_MAP_INVALID),
			 dk_dma_debug_mode() != DK_DMA_DEBUG_OFF);
	assert_log_count("DMA-API", dk_dma_debug_mode() != DK_DMA_DEBUG_OFF);
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, 0);
	kfree(a);
	kfree(b);
}

static void resource_mapping(void **state)
{
	struct platform_device *pdev = to_platform_device(dev);
	phys_addr_t fifo = pdev->resource[0].start + 8;
	dma_addr_t a;

	(void)state;
	a = dma_map_resource(dev, fifo, 4, DMA_FROM_DEVICE, 0);
	assert_true(a == fifo);
	dma_unmap_resource(dev, a, 4, DMA_FROM_DEVICE, 0);
	assert_true(dma_map_resource(dev, 0x200000000000ull, 4, DMA_TO_DEVICE,
				     0) == DMA_MAPPING_ERROR);
	assert_log_count("overflow", 1);
	/* Both ends outside RAM, the low RAM region in between: refused. */
	assert_true(dma_map_resource(dev, DK_RAM_LOW_BASE - 0x10000,
				     DK_RAM_LOW_SIZE + 0x20000, DMA_TO_DEVICE,
				     0) == DMA_MAPPING_ERROR);
	assert_log_count("is RAM; map RAM with dma_map_page", 1);
	assert_true(dma_map_resource(dev, ~0ull - 15, 32, DMA_TO_DEVICE, 0) ==
		    DMA_MAPPING_ERROR);
	assert_log_count("wraps around the address space", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_arguments, setup64,
						teardown),
		cmocka_unit_test_setup_teardown(direct_64bit_no_bounce, setup64,
						teardown),
		cmocka_unit_test_setup_teardown(bounce_32bit_both_directions,
						setup32, teardown),
		cmocka_unit_test_setup_teardown(
			forced_bounce_missing_sync_is_stale, setup_force,
			teardown),
		cmocka_unit_test_setup_teardown(forced_bounce_sg_syncs,
						setup_force, teardown),
		cmocka_unit_test_setup_teardown(bad_direction_changes_nothing,
						setup_force, teardown),
		cmocka_unit_test_setup_teardown(sg_chained_map_unmap, setup32,
						teardown),
		cmocka_unit_test_setup_teardown(sg_map_failure_unmaps_all,
						setup_force, teardown),
		cmocka_unit_test_setup_teardown(resource_mapping, setup64,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
