// SPDX-License-Identifier: MIT
/*
 * dmapool_test.c - DMA pools: bad arguments, alignment, boundary, zeroing,
 * blocks below the coherent mask reachable by the device, bad and double
 * frees, the busy report of dma_pool_destroy, and no leak.
 */
#include <errno.h>
#include <string.h>
#include <dmakit/hw/dma.h>
#include <dmakit/machine.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
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

static void bad_create(void **state)
{
	(void)state;
	assert_null(dma_pool_create(NULL, dev, 64, 8, 0));
	assert_null(dma_pool_create("p", NULL, 64, 8, 0));
	assert_null(dma_pool_create("p", dev, 0, 8, 0));
	assert_null(dma_pool_create("p", dev, 64, 24, 0));
	assert_null(dma_pool_create("p", dev, 64, 8, 32));
	assert_null(dma_pool_create("p", dev, 64, 8, 1000));
	assert_log_count("dma_pool_create", 6);
	dma_pool_destroy(NULL);
	assert_null(dma_pool_alloc(NULL, GFP_KERNEL, NULL));
}

static void align_boundary_zero(void **state)
{
	struct dma_pool *p;
	enum { N = 200 };
	void *v[N];
	dma_addr_t h[N];
	int i;

	(void)state;
	/* 48-byte blocks, 16-aligned, never crossing 256 bytes. */
	p = dma_pool_create("desc", dev, 40, 16, 256);
	assert_non_null(p);
	for (i = 0; i < N; i++) {
		v[i] = dma_pool_alloc(p, GFP_KERNEL, &h[i]);
		assert_non_null(v[i]);
		assert_true(h[i] == virt_to_phys(v[i]));
		assert_int_equal(h[i] % 16, 0);
		assert_true(h[i] / 256 == (h[i] + 48 - 1) / 256);
		assert_true(h[i] + 48 <= (1ull << 32));	/* 32-bit mask */
		memset(v[i], 0xff, 48);
	}
	for (i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			assert_true(h[i] + 48 <= h[j] || h[j] + 48 <= h[i]);
	/* Freed blocks come back zeroed with zalloc. */
	dma_pool_free(p, v[3], h[3]);
	v[3] = dma_pool_zalloc(p, GFP_KERNEL, &h[3]);
	for (i = 0; i < 48; i++)
		assert_int_equal(((u8 *)v[3])[i], 0);
	/* The device reaches a block at its handle. */
	assert_int_equal(dk_dma_write(&tm->hw, h[5], "desc", 4), 0);
	assert_memory_equal(v[5], "desc", 4);
	for (i = 0; i < N; i++)
		dma_pool_free(p, v[i], h[i]);
	dma_pool_destroy(p);

	/* Big blocks: one per allocation. */
	p = dma_pool_create("big", dev, 6000, 0, 0);
	v[0] = dma_pool_alloc(p, GFP_KERNEL, &h[0]);
	v[1] = dma_pool_alloc(p, GFP_KERNEL, &h[1]);
	assert_non_null(v[1]);
	assert_ptr_not_equal(v[0], v[1]);
	dma_pool_free(p, v[0], h[0]);
	dma_pool_free(p, v[1], h[1]);
	dma_pool_destroy(p);
	assert_int_equal(dk_test_log_count(NULL), 0);
}

static void bad_frees(void **state)
{
	struct dma_pool *p = dma_pool_create("bf", dev, 64, 64, 0);
	struct dma_pool *q = dma_pool_create("other", dev, 64, 64, 0);
	dma_addr_t h, hq;
	u8 *v = dma_pool_alloc(p, GFP_KERNEL, &h);
	u8 *w = dma_pool_alloc(q, GFP_KERNEL, &hq);

	(void)state;
	dma_pool_free(p, w, hq);	/* from another pool */
	assert_log_count("(bad vaddr): not a block of this pool", 1);
	dma_pool_free(p, v, h + 64);	/* wrong handle */
	assert_log_count("the block's dma address is", 1);
	dma_pool_free(p, v + 8, h + 8);	/* inside a block */
	assert_log_count("not the start of a block", 1);
	dma_pool_free(p, v + 64, h + 64);	/* never allocated */
	dma_pool_free(p, v, h);
	dma_pool_free(p, v, h);		/* double free */
	assert_log_count("already free", 2);
	dma_pool_free(NULL, v, h);
	assert_log_count("pool is NULL", 1);
	dma_pool_free(q, w, hq);
	dma_pool_destroy(p);
	dma_pool_destroy(q);
}

static void destroy_reports_busy(void **state)
{
	struct dma_pool *p = dma_pool_create("leaky", dev, 32, 0, 0);
	dma_addr_t h;
	void *v = dma_pool_alloc(p, GFP_KERNEL, &h);
	char expect[96];

	(void)state;
	assert_non_null(v);
	snprintf(expect, sizeof(expect), "dma_pool_destroy leaky, %p busy",
		 (void *)((uintptr_t)v & ~4095ul));
	dma_pool_destroy(p);
	assert_log_count(expect, 1);
	/* Linux leaks the busy page; the machine reports it at destroy. */
	assert_int_equal(dk_machine_destroy(m), 1);
	assert_log_count("still allocated at destroy", 1);
	dk_test_log_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_create, setup, teardown),
		cmocka_unit_test_setup_teardown(align_boundary_zero, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bad_frees, setup, teardown),
		cmocka_unit_test_setup(destroy_reports_busy, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
