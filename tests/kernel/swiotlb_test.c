// SPDX-License-Identifier: MIT
/*
 * swiotlb_test.c - the bounce pool: geometry, exhaustion reported exactly
 * once with Linux's message and recovery after unmaps, the largest
 * mapping, min_align_mask, bad unmaps, concurrent mappings from several
 * threads (areas), runs kept in an idle thread's cache (free in the
 * statistics, taken back before the pool is called full), and bounce
 * buffers leaked at destroy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/hw/dma.h>
#include <dmakit/machine.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include "dk_test.h"
#include "tmodel.h"

#define POOL_BYTES	(1u << 20)	/* the minimum: 512 slots */

static struct dk_machine *m;
static struct tmodel *tm;
static struct device *dev;

static int setup(void **state)
{
	struct dk_machine_config cfg;

	(void)state;
	dk_machine_config_init(&cfg);
	cfg.dma.force_bounce = true;
	cfg.dma.swiotlb_size = POOL_BYTES;
	cfg.dma.swiotlb_areas = 2;
	m = tmodel_machine_up(&cfg, &tm, &dev);
	if (!m)
		return -1;
	return dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
}

static int teardown(void **state)
{
	(void)state;
	return dk_test_machine_down(m);
}

static void bad_config(void **state)
{
	struct dk_machine_config cfg;
	struct dk_machine *m2;

	(void)state;
	dk_test_log_capture();
	dk_machine_config_init(&cfg);
	cfg.dma.swiotlb_areas = 3;
	assert_int_equal(dk_machine_create(&cfg, &m2), -EINVAL);
	assert_log_count("not a power of two", 1);
	/* Low RAM only and no forcing: no pool, no bouncing. */
	dk_machine_config_init(&cfg);
	cfg.nr_ram = 1;
	assert_int_equal(dk_machine_create(&cfg, &m2), 0);
	assert_int_equal(dk_swiotlb_stats(NULL, NULL), -ENODEV);
	assert_int_equal(dk_machine_destroy(m2), 0);
	dk_test_log_release();
}

static void geometry_and_bad_unmaps(void **state)
{
	unsigned long nslabs, used;
	u8 *buf = kmalloc(8192, GFP_KERNEL);
	dma_addr_t a;

	(void)state;
	assert_int_equal(dk_swiotlb_stats(&nslabs, &used), 0);
	assert_int_equal(nslabs, POOL_BYTES / IO_TLB_SIZE);
	assert_int_equal(used, 0);
	assert_true(is_swiotlb_active(dev));
	assert_int_equal(swiotlb_max_mapping_size(dev), 256 * 1024);
	assert_int_equal(dma_max_mapping_size(dev), 256 * 1024);

	/* Unmapping something that is not a bounce buffer start. */
	a = dma_map_single(dev, buf, 4096, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	swiotlb_tbl_unmap_single(dev, a + 2048, 100, DMA_TO_DEVICE, 0);
	assert_log_count("not the start of a live bounce buffer", 1);
	dma_unmap_single(dev, a, 4096, DMA_TO_DEVICE);
	dma_unmap_single(dev, a, 4096, DMA_TO_DEVICE);	/* double unmap */
	assert_log_count("not the start of a live bounce buffer", 2);
	swiotlb_tbl_unmap_single(dev, 0x10, 4, DMA_TO_DEVICE, 0);
	assert_log_count("not in the bounce pool", 1);
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, 0);
	/* Mapping larger than a segment: the pool is "full" for it. */
	kfree(buf);
	buf = alloc_pages_exact(512 * 1024, GFP_KERNEL);
	a = dma_map_single(dev, buf, 256 * 1024 + 1, DMA_TO_DEVICE);
	assert_true(a == DMA_MAPPING_ERROR);
	assert_log_count("swiotlb buffer is full (sz: 262145 bytes)", 1);
	a = dma_map_single(dev, buf, 256 * 1024, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	dma_unmap_single(dev, a, 256 * 1024, DMA_TO_DEVICE);
	free_pages_exact(buf, 512 * 1024);
}

static void exhaustion_reported_once_then_recovery(void **state)
{
	enum { N = POOL_BYTES / 4096 };
	static dma_addr_t addr[N];
	u8 *buf = alloc_pages_exact(4096 * 2, GFP_KERNEL), b;
	unsigned long used;
	dma_addr_t a;
	int i;

	(void)state;
	for (i = 0; i < N; i++) {
		addr[i] = dma_map_single(dev, buf, 4096, DMA_TO_DEVICE);
		assert_int_equal(dma_mapping_error(dev, addr[i]), 0);
	}
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, POOL_BYTES / IO_TLB_SIZE);
	assert_log_count(NULL, 0);
	/* Full: an error, the message exactly once for the episode. */
	for (i = 0; i < 5; i++) {
		a = dma_map_single(dev, buf, 4096, DMA_TO_DEVICE);
		assert_int_equal(dma_mapping_error(dev, a), -ENOMEM);
	}
	assert_log_count("swiotlb buffer is full (sz: 4096 bytes), total 512 (slots), used 512 (slots)",
			 1);
	/* DMA_ATTR_NO_WARN never reports. */
	a = dma_map_single_attrs(dev, buf, 64, DMA_TO_DEVICE,
				 DMA_ATTR_NO_WARN);
	assert_true(a == DMA_MAPPING_ERROR);
	/* Recovery after unmaps. */
	dma_unmap_single(dev, addr[7], 4096, DMA_TO_DEVICE);
	addr[7] = dma_map_single(dev, buf + 1, 4096, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, addr[7]), 0);
	assert_int_equal(dk_dma_read(&tm->hw, addr[7], &b, 1), 0);
	/* A new episode is reported again. */
	assert_true(dma_map_single(dev, buf, 64, DMA_TO_DEVICE) ==
		    DMA_MAPPING_ERROR);
	assert_log_count("swiotlb buffer is full", 2);
	for (i = 0; i < N; i++)
		dma_unmap_single(dev, addr[i], 4096, DMA_TO_DEVICE);
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, 0);
	/* All free again: the largest mapping fits in every segment. */
	for (i = 0; i < 4; i++) {
		addr[i] = dma_map_single(dev, buf, 256 * 1024 - 8192,
					 DMA_TO_DEVICE);
		assert_int_equal(dma_mapping_error(dev, addr[i]), 0);
	}
	for (i = 0; i < 4; i++)
		dma_unmap_single(dev, addr[i], 256 * 1024 - 8192,
				 DMA_TO_DEVICE);
	assert_log_count("swiotlb buffer is full", 2);
	free_pages_exact(buf, 4096 * 2);
}

static void min_align_mask_kept(void **state)
{
	u8 *buf = alloc_pages_exact(16384, GFP_KERNEL);
	dma_addr_t a, b;

	(void)state;
	assert_int_equal(dma_set_min_align_mask(dev, 4095), 0);
	assert_int_equal(swiotlb_max_mapping_size(dev), 256 * 1024 - 4096);
	a = dma_map_single(dev, buf + 0x9a4, 100, DMA_FROM_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(a & 4095, 0x9a4);
	b = dma_map_single(dev, buf + 0x123, 3000, DMA_FROM_DEVICE);
	assert_int_equal(dma_mapping_error(dev, b), 0);
	assert_int_equal(b & 4095, 0x123);
	memset(buf, 0, 16384);
	assert_int_equal(dk_dma_write(&tm->hw, b, "hello", 5), 0);
	dma_unmap_single(dev, b, 3000, DMA_FROM_DEVICE);
	assert_memory_equal(buf + 0x123, "hello", 5);
	dma_unmap_single(dev, a, 100, DMA_FROM_DEVICE);
	free_pages_exact(buf, 16384);
	assert_log_count(NULL, 0);
}

struct worker {
	int id;
	int errors;
	u8 *buf;
};

static void *map_worker(void *arg)
{
	struct worker *w = arg;
	unsigned int iters = 2000 * dk_test_stress();

	for (unsigned int i = 0; i < iters; i++) {
		size_t len = 512 + (i % 7) * 1000;
		dma_addr_t a;

		w->buf[0] = (u8)i;
		a = dma_map_single(dev, w->buf, len, DMA_BIDIRECTIONAL);
		if (dma_mapping_error(dev, a)) {
			w->errors++;
			continue;
		}
		u8 got;

		if (dk_dma_read(&tm->hw, a, &got, 1) || got != (u8)i)
			w->errors++;
		got = (u8)(i + w->id);
		dk_dma_write(&tm->hw, a + 1, &got, 1);
		dma_unmap_single(dev, a, len, DMA_BIDIRECTIONAL);
		if (w->buf[1] != (u8)(i + w->id))
			w->errors++;
	}
	return NULL;
}

static void concurrent_threads(void **state)
{
	enum { T = 4 };
	struct worker w[T];
	pthread_t th[T];
	unsigned long used;
	int i;

	(void)state;
	for (i = 0; i < T; i++) {
		w[i].id = i;
		w[i].errors = 0;
		w[i].buf = kmalloc(8192, GFP_KERNEL);
		assert_int_equal(pthread_create(&th[i], NULL, map_worker,
						&w[i]), 0);
	}
	for (i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].errors, 0);
		kfree(w[i].buf);
	}
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, 0);
	assert_log_count(NULL, 0);
}

struct holder {
	pthread_barrier_t cached, done;
	int errors;
};

/* Maps and unmaps four 4 KiB buffers, then idles with them cached. */
static void *cache_holder(void *arg)
{
	struct holder *h = arg;
	u8 *buf = kmalloc(4 * 4096, GFP_KERNEL);
	dma_addr_t a[4];
	int i;

	for (i = 0; i < 4; i++) {
		a[i] = dma_map_single(dev, buf + i * 4096, 4096,
				      DMA_TO_DEVICE);
		if (dma_mapping_error(dev, a[i]))
			h->errors++;
	}
	for (i = 0; i < 4; i++)
		if (a[i] != DMA_MAPPING_ERROR)
			dma_unmap_single(dev, a[i], 4096, DMA_TO_DEVICE);
	kfree(buf);
	pthread_barrier_wait(&h->cached);
	pthread_barrier_wait(&h->done);
	return NULL;
}

static void idle_thread_cache_not_stranded(void **state)
{
	enum { N = POOL_BYTES / 4096 };
	static dma_addr_t addr[N];
	u8 *buf = alloc_pages_exact(4096, GFP_KERNEL);
	struct holder h = { .errors = 0 };
	unsigned long used;
	pthread_t th;
	dma_addr_t a;
	int i;

	(void)state;
	pthread_barrier_init(&h.cached, NULL, 2);
	pthread_barrier_init(&h.done, NULL, 2);
	assert_int_equal(pthread_create(&th, NULL, cache_holder, &h), 0);
	pthread_barrier_wait(&h.cached);
	assert_int_equal(h.errors, 0);
	/* Whatever the holder keeps for reuse counts as free. */
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, 0);
	/* Every slot can be mapped here, the holder's cached ones too. */
	for (i = 0; i < N; i++) {
		addr[i] = dma_map_single(dev, buf, 4096, DMA_TO_DEVICE);
		assert_int_equal(dma_mapping_error(dev, addr[i]), 0);
	}
	assert_log_count(NULL, 0);
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, POOL_BYTES / IO_TLB_SIZE);
	a = dma_map_single(dev, buf, 4096, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), -ENOMEM);
	assert_log_count("swiotlb buffer is full", 1);
	/*
	 * A run this thread caches is no longer live: a second unmap is
	 * still reported, and so is a sync (swiotlb's own calls, below
	 * the DMA API and its dma-debug checks).
	 */
	dma_unmap_single(dev, addr[0], 4096, DMA_TO_DEVICE);
	swiotlb_tbl_unmap_single(dev, addr[0], 4096, DMA_TO_DEVICE, 0);
	assert_log_count("not the start of a live bounce buffer", 1);
	swiotlb_sync_single_for_device(dev, addr[0], 4096, DMA_TO_DEVICE);
	assert_log_count("not a live bounce buffer", 1);
	for (i = 1; i < N; i++)
		dma_unmap_single(dev, addr[i], 4096, DMA_TO_DEVICE);
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, 0);
	pthread_barrier_wait(&h.done);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&h.cached);
	pthread_barrier_destroy(&h.done);
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, 0);
	free_pages_exact(buf, 4096);
}

static void leaked_bounce_reported_at_destroy(void **state)
{
	u8 *buf = kmalloc(64, GFP_KERNEL);
	dma_addr_t a;

	(void)state;
	a = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	kfree(buf);
	assert_int_equal(dk_machine_destroy(m), 1);
	assert_log_count("still mapped at destroy", 1);
	dk_test_log_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_config),
		cmocka_unit_test_setup_teardown(geometry_and_bad_unmaps, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			exhaustion_reported_once_then_recovery, setup,
			teardown),
		cmocka_unit_test_setup_teardown(min_align_mask_kept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(concurrent_threads, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			idle_thread_cache_not_stranded, setup, teardown),
		cmocka_unit_test_setup(leaked_bounce_reported_at_destroy,
				       setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
