// SPDX-License-Identifier: MIT
/*
 * dma_mapping_test.c - the front end: masks and limits with Linux's rules,
 * coherent allocations (zone by mask, zeroing, NO_KERNEL_MAPPING cookie,
 * bad frees), and dispatch to a device's dma_map_ops table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/hw/dma.h>
#include <dmakit/machine.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include "dk_test.h"
#include "tmodel.h"

static struct dk_machine *m;
static struct tmodel *tm;
static struct device *dev;

static int setup(void **state)
{
	(void)state;
	m = tmodel_machine_up(NULL, &tm, &dev);
	return m ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return dk_test_machine_down(m);
}

static void masks_and_limits(void **state)
{
	u64 *saved;

	(void)state;
	/* Bad input first. */
	assert_int_equal(dma_set_mask(NULL, DMA_BIT_MASK(32)), -EIO);
	assert_log_count("NULL device", 1);
	/* Below 32 bits the mask must cover ZONE_DMA32 (RAM to 3 GiB). */
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(31)), -EIO);
	assert_int_equal(dma_set_coherent_mask(dev, DMA_BIT_MASK(24)), -EIO);
	assert_log_count("cannot be supported", 2);
	assert_int_equal(dma_supported(dev, 0xbfffffffull), 1);
	saved = dev->dma_mask;
	dev->dma_mask = NULL;
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(64)), -EIO);
	dev->dma_mask = saved;
	dk_test_log_clear();

	/* Platform devices start at 32 bits. */
	assert_true(dma_get_mask(dev) == DMA_BIT_MASK(32));
	assert_true(dma_get_required_mask(dev) == DMA_BIT_MASK(33));
	assert_true(dma_addressing_limited(dev));
	assert_int_equal(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(40)), 0);
	assert_true(dma_get_mask(dev) == DMA_BIT_MASK(40));
	assert_true(dev->coherent_dma_mask == DMA_BIT_MASK(40));
	assert_false(dma_addressing_limited(dev));
	assert_true(dma_max_mapping_size(dev) == SIZE_MAX);
	/* A bus limit narrows what the mask says. */
	dev->bus_dma_limit = DMA_BIT_MASK(32);
	assert_true(dma_addressing_limited(dev));
	dev->bus_dma_limit = 0;

	assert_int_equal(dma_get_max_seg_size(dev), 65536);
	assert_int_equal(dma_set_max_seg_size(dev, 4096), 0);
	assert_int_equal(dma_get_max_seg_size(dev), 4096);
	assert_true(dma_get_seg_boundary(dev) == 0xffffffffUL);
	assert_int_equal(dma_set_seg_boundary(dev, 0xfff), 0);
	assert_int_equal(dma_get_seg_boundary(dev), 0xfff);
	assert_int_equal(dma_get_seg_boundary_nr_pages(dev, 12), 1);
	assert_int_equal(dma_set_seg_boundary(dev, 0x1234), -EINVAL);
	assert_log_count("power of two minus one", 1);
	assert_int_equal(dma_set_min_align_mask(dev, 0xfff), 0);
	assert_int_equal(dma_get_min_align_mask(dev), 0xfff);
	dev->dma_parms = NULL;
	assert_int_equal(dma_set_max_seg_size(dev, 4096), -EIO);
	assert_int_equal(dma_get_max_seg_size(dev), 65536);
	assert_true(dma_get_seg_boundary(dev) == ~0UL);
	dev->dma_parms = &dev->dma_parms_store;
}

static void coherent_alloc(void **state)
{
	dma_addr_t h, h2;
	u8 *p;
	void *cookie;
	size_t i;

	(void)state;
	/* Bad input. */
	assert_null(dma_alloc_coherent(NULL, 4096, &h, GFP_KERNEL));
	assert_null(dma_alloc_coherent(dev, 0, &h, GFP_KERNEL));
	assert_null(dma_alloc_coherent(dev, 4096, NULL, GFP_KERNEL));
	assert_null(dma_alloc_coherent(dev, 8 << 20, &h, GFP_KERNEL));
	assert_true(h == DMA_MAPPING_ERROR);
	assert_log_count("dma_alloc_attrs", 4);

	/* 32-bit coherent mask (the default): ZONE_DMA32, zeroed. */
	p = dma_alloc_coherent(dev, 5000, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_true(h == virt_to_phys(p));
	assert_true(h + 8192 <= (1ull << 32));
	for (i = 0; i < 8192; i++)
		assert_int_equal(p[i], 0);
	/* The device reaches it at the handle. */
	assert_int_equal(dk_dma_write(&tm->hw, h + 10, "abc", 3), 0);
	assert_memory_equal(p + 10, "abc", 3);
	/* Bad frees: nothing freed, clear messages. */
	dma_free_coherent(dev, 5000, p, h + 4096);
	assert_log_count("does not match cpu_addr", 1);
	dma_free_coherent(dev, 5000, p + 4096, h + 4096);
	dma_free_coherent(dev, 64, p, h);	/* wrong size: order 0 */
	assert_log_count("Bad page state", 2);
	{
		char stack_buf[16];

		dma_free_coherent(dev, 16, stack_buf, 0);
		assert_log_count("not in simulated RAM", 1);
	}
	dma_free_coherent(dev, 5000, p, h);
	dma_free_coherent(dev, 5000, NULL, 0);	/* ignored */
	dk_test_log_clear();

	/* 64-bit coherent mask: anywhere (ZONE_NORMAL first). */
	assert_int_equal(dma_set_coherent_mask(dev, DMA_BIT_MASK(64)), 0);
	p = dma_alloc_attrs(dev, 4096, &h, GFP_KERNEL | GFP_DMA32, 0);
	assert_non_null(p);
	assert_true(h >= (1ull << 32));	/* zone flags are ignored */
	dma_free_attrs(dev, 4096, p, h, 0);

	/* DMA_ATTR_NO_KERNEL_MAPPING: a cookie, not memory. */
	cookie = dma_alloc_attrs(dev, 4096, &h2, GFP_KERNEL,
				 DMA_ATTR_NO_KERNEL_MAPPING);
	assert_non_null(cookie);
	assert_false(virt_addr_valid(cookie));
	assert_true(h2 == page_to_phys(cookie));
	dma_free_attrs(dev, 4096, cookie, h2, DMA_ATTR_NO_KERNEL_MAPPING);
	assert_int_equal(dk_test_log_count(NULL), 0);
}

/* ---- a trivial ops table: bus = phys + 1 TiB ---------------------------- */

#define OFF (1ull << 40)
static int calls[16];
enum { C_ALLOC, C_FREE, C_MAP, C_UNMAP, C_MAPSG, C_UNMAPSG, C_SYNC_CPU,
       C_SYNC_DEV, C_SUPPORTED };

static void *t_alloc(struct device *d, size_t size, dma_addr_t *h, gfp_t gfp,
		     unsigned long attrs)
{
	void *p = kzalloc(size, gfp);

	(void)d;
	(void)attrs;
	calls[C_ALLOC]++;
	*h = virt_to_phys(p) + OFF;
	return p;
}

static void t_free(struct device *d, size_t size, void *vaddr, dma_addr_t h,
		   unsigned long attrs)
{
	(void)d;
	(void)size;
	(void)attrs;
	calls[C_FREE]++;
	assert_true(h == virt_to_phys(vaddr) + OFF);
	kfree(vaddr);
}

static dma_addr_t t_map(struct device *d, struct page *page,
			unsigned long offset, size_t size,
			enum dma_data_direction dir, unsigned long attrs)
{
	(void)d;
	(void)size;
	(void)dir;
	(void)attrs;
	calls[C_MAP]++;
	return page_to_phys(page) + offset + OFF;
}

static void t_unmap(struct device *d, dma_addr_t h, size_t size,
		    enum dma_data_direction dir, unsigned long attrs)
{
	(void)d;
	(void)h;
	(void)size;
	(void)dir;
	(void)attrs;
	calls[C_UNMAP]++;
}

static int t_map_sg(struct device *d, struct scatterlist *sgl, int nents,
		    enum dma_data_direction dir, unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	(void)d;
	(void)dir;
	(void)attrs;
	calls[C_MAPSG]++;
	/* "Merge" everything into one segment. */
	sg_dma_address(sgl) = sg_phys(sgl) + OFF;
	sg_dma_len(sgl) = 0;
	for_each_sg(sgl, sg, nents, i)
		sg_dma_len(sgl) += sg->length;
	return 1;
}

static void t_unmap_sg(struct device *d, struct scatterlist *sg, int nents,
		       enum dma_data_direction dir, unsigned long attrs)
{
	(void)d;
	(void)sg;
	(void)nents;
	(void)dir;
	(void)attrs;
	calls[C_UNMAPSG]++;
}

static void t_sync_cpu(struct device *d, dma_addr_t h, size_t size,
		       enum dma_data_direction dir)
{
	(void)d;
	(void)h;
	(void)size;
	(void)dir;
	calls[C_SYNC_CPU]++;
}

static void t_sync_dev(struct device *d, dma_addr_t h, size_t size,
		       enum dma_data_direction dir)
{
	(void)d;
	(void)h;
	(void)size;
	(void)dir;
	calls[C_SYNC_DEV]++;
}

static int t_supported(struct device *d, u64 mask)
{
	(void)d;
	calls[C_SUPPORTED]++;
	return mask >= DMA_BIT_MASK(16);
}

static const struct dma_map_ops test_ops = {
	.alloc = t_alloc,
	.free = t_free,
	.map_page = t_map,
	.unmap_page = t_unmap,
	.map_sg = t_map_sg,
	.unmap_sg = t_unmap_sg,
	.sync_single_for_cpu = t_sync_cpu,
	.sync_single_for_device = t_sync_dev,
	.dma_supported = t_supported,
};

static const struct dma_map_ops empty_ops = { .flags = 0 };

static void ops_dispatch(void **state)
{
	u8 *buf = kmalloc(256, GFP_KERNEL);
	struct scatterlist sg[2];
	dma_addr_t a, h;
	void *p;

	(void)state;
	memset(calls, 0, sizeof(calls));
	assert_null(get_dma_ops(dev));
	set_dma_ops(dev, &test_ops);
	assert_ptr_equal(get_dma_ops(dev), &test_ops);

	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(20)), 0);
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(12)), -EIO);
	assert_int_equal(calls[C_SUPPORTED], 2);
	assert_log_count("mask 0xfff cannot be supported", 1);
	dk_test_log_clear();
	assert_int_equal(dma_set_mask(dev, DMA_BIT_MASK(64)), 0);

	a = dma_map_single(dev, buf + 8, 64, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_true(a == virt_to_phys(buf + 8) + OFF);
	dma_sync_single_for_cpu(dev, a, 64, DMA_TO_DEVICE);
	dma_sync_single_for_device(dev, a, 64, DMA_TO_DEVICE);
	dma_unmap_single(dev, a, 64, DMA_TO_DEVICE);
	assert_int_equal(calls[C_MAP], 1);
	assert_int_equal(calls[C_UNMAP], 1);
	assert_int_equal(calls[C_SYNC_CPU], 1);
	assert_int_equal(calls[C_SYNC_DEV], 1);
	assert_true(dma_need_sync(dev, a));

	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf, 100);
	sg_set_buf(&sg[1], buf + 100, 100);
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_FROM_DEVICE), 1);
	assert_int_equal(sg_dma_len(&sg[0]), 200);
	dma_unmap_sg(dev, sg, 2, DMA_FROM_DEVICE);
	assert_int_equal(calls[C_MAPSG], 1);
	assert_int_equal(calls[C_UNMAPSG], 1);

	p = dma_alloc_coherent(dev, 100, &h, GFP_KERNEL);
	assert_non_null(p);
	assert_true(h == virt_to_phys(p) + OFF);
	dma_free_coherent(dev, 100, p, h);
	assert_int_equal(calls[C_ALLOC], 1);
	assert_int_equal(calls[C_FREE], 1);
	/* No map_resource op: the call fails as in Linux. */
	assert_true(dma_map_resource(dev, 0xf0000000, 4, DMA_TO_DEVICE, 0) ==
		    DMA_MAPPING_ERROR);
	assert_int_equal(dk_test_log_count(NULL), 0);

	/* A table without ops: clear failures, no crash. */
	set_dma_ops(dev, &empty_ops);
	assert_true(dma_map_single(dev, buf, 64, DMA_TO_DEVICE) ==
		    DMA_MAPPING_ERROR);
	assert_log_count("has no map_page", 1);
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_TO_DEVICE), 0);
	assert_log_count("has no map_sg", 1);
	assert_null(dma_alloc_coherent(dev, 100, &h, GFP_KERNEL));
	dma_unmap_single(dev, 0x1000, 64, DMA_TO_DEVICE);
	dma_sync_single_for_cpu(dev, 0x1000, 64, DMA_TO_DEVICE);

	/* Back to dma-direct. */
	set_dma_ops(dev, NULL);
	a = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
	assert_true(a == virt_to_phys(buf));
	dma_unmap_single(dev, a, 64, DMA_TO_DEVICE);
	kfree(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(masks_and_limits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(coherent_alloc, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ops_dispatch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
