// SPDX-License-Identifier: MIT
/*
 * dma_debug_test.c - dma-debug: bad arguments, then every class of report
 * triggered once (with the correct use of the same call reporting
 * nothing), leaks at unbind and at destroy, the table running out, abort
 * mode in a forked child, dma-debug off, and two threads mapping at once.
 * The scatterlist checks (segment size and boundary; stack and non-RAM
 * entries) use dma-direct and two test-local dma_map_ops: one merging a
 * list into one segment, one accepting any entry.
 *
 * Each test builds its own machine with cfg.dma.debug set (warn mode), so
 * it does not depend on DK_DMA_DEBUG; the "off" test clears that variable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dmakit/hw/dma.h>
#include <dmakit/machine.h>
#include <linux/dma-debug.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/swiotlb.h>
#include "dk_test.h"
#include "tmodel.h"
#include "hw/internal.h"
#include "kernel/internal.h"

static struct dk_machine *m;
static struct tmodel *tm;
static struct device *dev;
static struct page *pg;
static u8 *buf;			/* 4 pages above 4 GiB: no bouncing */

static struct dk_machine *debug_machine(int mode, unsigned int entries)
{
	struct dk_machine_config cfg;
	struct platform_device *pdev;

	dk_machine_config_init(&cfg);
	cfg.dma.debug = true;
	cfg.dma.debug_mode = mode;
	cfg.dma.debug_entries = entries;
	if (dk_machine_create(&cfg, &m))
		return NULL;
	if (tmodel_add(m, NULL, &tmodel_nothread_ops, &tm, &pdev))
		return NULL;
	dev = &pdev->dev;
	if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)))
		return NULL;
	pg = alloc_pages(GFP_KERNEL, 2);
	if (!pg || page_to_phys(pg) < (1ull << 32))
		return NULL;
	buf = page_address(pg);
	memset(buf, 0, 4 * PAGE_SIZE);
	return m;
}

static int setup(void **state)
{
	(void)state;
	dk_test_log_capture();
	return debug_machine(DK_DMA_DEBUG_WARN, 0) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	__free_pages(pg, 2);
	return dk_test_machine_down(m);
}

#define assert_errors(cls, n) assert_int_equal(dk_dma_debug_errors(cls), (n))

static void bad_arguments(void **state)
{
	(void)state;
	assert_int_equal(dk_dma_debug_enable(99), -EINVAL);
	assert_log_count("neither DK_DMA_DEBUG_WARN", 1);
	assert_int_equal(dk_dma_debug_errors(DK_DMA_DEBUG_NR_CLASSES), 0);
	assert_int_equal(dk_dma_debug_errors(-2), 0);
	assert_string_equal(dk_dma_debug_class_name(-5), "?");
	assert_string_equal(dk_dma_debug_class_name(DK_DMA_DEBUG_LEAK),
			    "leak");
	dk_dma_debug_summary(NULL);
	assert_log_count("stream is NULL", 1);
	assert_int_equal(dk_dma_debug_mode(), DK_DMA_DEBUG_WARN);
	/* Enabling again only changes the mode. */
	assert_int_equal(dk_dma_debug_enable(DK_DMA_DEBUG_WARN), 0);
	assert_errors(-1, 0);
}

/* Correct use of every hooked call: no report, nothing left tracked. */
static void correct_use_is_silent(void **state)
{
	struct scatterlist sg[2];
	dma_addr_t a, h;
	void *p;
	int n;

	(void)state;
	a = dma_map_single(dev, buf, 4096, DMA_FROM_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(dk_dma_debug_entries(), 1);
	dma_sync_single_for_cpu(dev, a + 100, 200, DMA_FROM_DEVICE);
	dma_sync_single_for_device(dev, a, 4096, DMA_FROM_DEVICE);
	dma_unmap_single(dev, a, 4096, DMA_FROM_DEVICE);
	a = dma_map_page(dev, pg, 8192, 100, DMA_BIDIRECTIONAL);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	dma_sync_single_for_cpu(dev, a, 100, DMA_FROM_DEVICE);
	dma_unmap_page(dev, a, 100, DMA_BIDIRECTIONAL);
	p = dma_alloc_coherent(dev, 4096, &h, GFP_KERNEL);
	assert_non_null(p);
	dma_free_coherent(dev, 4096, p, h);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf, 512);
	sg_set_buf(&sg[1], buf + 8192, 512);
	n = dma_map_sg(dev, sg, 2, DMA_TO_DEVICE);
	assert_int_equal(n, 2);
	dma_sync_sg_for_device(dev, sg, 2, DMA_TO_DEVICE);
	dma_sync_sg_for_cpu(dev, sg, 2, DMA_TO_DEVICE);
	dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
	a = dma_map_resource(dev, 0xf8000000ull, 64, DMA_TO_DEVICE, 0);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	dma_unmap_resource(dev, a, 64, DMA_TO_DEVICE, 0);
	/* Mapping the same cacheline twice for the device to read is fine. */
	a = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
	h = dma_map_single(dev, buf + 16, 16, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(dma_mapping_error(dev, h), 0);
	dma_unmap_single(dev, h, 16, DMA_TO_DEVICE);
	dma_unmap_single(dev, a, 64, DMA_TO_DEVICE);
	assert_int_equal(dk_dma_debug_entries(), 0);
	assert_errors(-1, 0);
	assert_log_count("DMA-API", 0);
}

static void unmap_checks(void **state)
{
	dma_addr_t a;
	void *p, *q;
	dma_addr_t h, h2;

	(void)state;
	/* Never mapped, and unmapped twice. */
	dma_unmap_single(dev, virt_to_phys(buf), 64, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_FREE_UNKNOWN, 1);
	assert_log_count("free DMA memory it has not allocated", 1);
	a = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	dma_unmap_single(dev, a, 64, DMA_TO_DEVICE);
	assert_log_count("DMA-API", 1);
	dma_unmap_single(dev, a, 64, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_FREE_UNKNOWN, 2);
	assert_log_count("free DMA memory it has not allocated", 2);
	/* The error handle. */
	dma_unmap_single(dev, DMA_MAPPING_ERROR, 64, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_FREE_INVALID, 1);
	assert_log_count("free an invalid DMA memory address", 1);
	dk_test_log_clear();

	/* Size. */
	a = dma_map_single(dev, buf, 128, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	dma_unmap_single(dev, a, 64, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_FREE_SIZE, 1);
	assert_log_count("with different size", 1);
	assert_log_count("[map size=128 bytes] [unmap size=64 bytes]", 1);
	/* Direction. */
	a = dma_map_single(dev, buf, 128, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	dma_unmap_single(dev, a, 128, DMA_FROM_DEVICE);
	assert_errors(DK_DMA_DEBUG_FREE_DIR, 1);
	assert_log_count("[mapped with DMA_TO_DEVICE] [unmapped with DMA_FROM_DEVICE]",
			 1);
	/* Type: single freed as page. */
	a = dma_map_single(dev, buf, 128, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	dma_unmap_page(dev, a, 128, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_FREE_TYPE, 1);
	assert_log_count("[mapped as single] [unmapped as page]", 1);
	/* dma_mapping_error() never called: reported at unmap. */
	a = dma_map_single(dev, buf, 128, DMA_TO_DEVICE);
	dma_unmap_single(dev, a, 128, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_MAP_ERR_UNCHECKED, 1);
	assert_log_count("failed to check map error", 1);
	/* Checked from another call than the one that mapped: slow path. */
	a = dma_map_single(dev, buf, 128, DMA_TO_DEVICE);
	h = dma_map_single(dev, buf + 4096, 128, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(dma_mapping_error(dev, h), 0);
	dma_unmap_single(dev, a, 128, DMA_TO_DEVICE);
	dma_unmap_single(dev, h, 128, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_MAP_ERR_UNCHECKED, 1);
	/* Coherent: freed with another CPU address. */
	p = dma_alloc_coherent(dev, 4096, &h, GFP_KERNEL);
	q = dma_alloc_coherent(dev, 4096, &h2, GFP_KERNEL);
	assert_non_null(p);
	assert_non_null(q);
	dma_free_coherent(dev, 4096, q, h);	/* backend refuses it too */
	assert_errors(DK_DMA_DEBUG_FREE_CPU_ADDR, 1);
	assert_log_count("with different CPU address", 1);
	dma_free_coherent(dev, 4096, q, h2);
	/* The entry of p went with the bad free: its real free is unknown. */
	dma_free_coherent(dev, 4096, p, h);
	assert_errors(DK_DMA_DEBUG_FREE_UNKNOWN, 3);
	/* Coherent freed with dma_unmap_single. */
	p = dma_alloc_coherent(dev, 4096, &h, GFP_KERNEL);
	assert_non_null(p);
	dma_unmap_single(dev, h, 4096, DMA_BIDIRECTIONAL);
	assert_errors(DK_DMA_DEBUG_FREE_TYPE, 2);
	assert_log_count("[mapped as coherent] [unmapped as single]", 1);
	dma_free_coherent(dev, 4096, p, h);
	assert_errors(DK_DMA_DEBUG_FREE_UNKNOWN, 4);
	assert_int_equal(dk_dma_debug_entries(), 0);
	/* Every report names the device and the call site. */
	assert_log_count("DMA-API: (unbound) dk-tmodel", 8);
	assert_log_count("[at ", 8);
	dk_test_log_clear();
}

static void sync_checks(void **state)
{
	dma_addr_t a;

	(void)state;
	dma_sync_single_for_cpu(dev, virt_to_phys(buf), 64, DMA_FROM_DEVICE);
	assert_errors(DK_DMA_DEBUG_SYNC_UNKNOWN, 1);
	assert_log_count("sync DMA memory it has not allocated", 1);

	a = dma_map_single(dev, buf, 4096, DMA_FROM_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	/* Inside, from the middle: found across hash buckets. */
	dma_sync_single_for_cpu(dev, a + 4000, 96, DMA_FROM_DEVICE);
	assert_errors(-1, 1);
	dma_sync_single_for_cpu(dev, a + 4000, 200, DMA_FROM_DEVICE);
	assert_errors(DK_DMA_DEBUG_SYNC_RANGE, 1);
	assert_log_count("[allocation size=4096 bytes] [sync offset+size=4200]",
			 1);
	dma_sync_single_for_cpu(dev, a, 64, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_SYNC_DIR, 1);
	assert_log_count("syncs DMA memory with different direction", 1);
	dma_sync_single_for_device(dev, a, 64, DMA_BIDIRECTIONAL);
	assert_errors(DK_DMA_DEBUG_SYNC_DIR, 2);
	assert_errors(DK_DMA_DEBUG_SYNC_DEV_WO, 1);
	assert_log_count("device write-only DMA memory to device", 1);
	dma_unmap_single(dev, a, 4096, DMA_FROM_DEVICE);

	a = dma_map_single(dev, buf, 4096, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	dma_sync_single_for_cpu(dev, a, 64, DMA_BIDIRECTIONAL);
	assert_errors(DK_DMA_DEBUG_SYNC_DIR, 3);
	assert_errors(DK_DMA_DEBUG_SYNC_CPU_RO, 1);
	assert_log_count("device read-only DMA memory for cpu", 1);
	dma_unmap_single(dev, a, 4096, DMA_TO_DEVICE);
	/* After the unmap, a sync is outside any mapping. */
	dma_sync_single_for_device(dev, a, 64, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_SYNC_UNKNOWN, 2);
	assert_errors(-1, 8);
}

static void sg_checks(void **state)
{
	struct scatterlist sg[2];

	(void)state;
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf, 512);
	sg_set_buf(&sg[1], buf + 8192, 512);
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_FROM_DEVICE), 2);
	dma_sync_sg_for_cpu(dev, sg, 1, DMA_FROM_DEVICE);
	assert_errors(DK_DMA_DEBUG_SYNC_SG_COUNT, 1);
	assert_log_count("[map count=2] [sync count=1]", 1);
	dma_unmap_sg(dev, sg, 2, DMA_FROM_DEVICE);
	assert_errors(-1, 1);
	/* Unmapping an unmapped list: one report for the list. */
	dma_unmap_sg(dev, sg, 2, DMA_FROM_DEVICE);
	assert_errors(DK_DMA_DEBUG_FREE_UNKNOWN, 1);
	/* Unmapped with fewer entries: the rest leaks. */
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_FROM_DEVICE), 2);
	dma_unmap_sg(dev, sg, 1, DMA_FROM_DEVICE);
	assert_errors(DK_DMA_DEBUG_FREE_SG_COUNT, 1);
	assert_log_count("[map count=2] [unmap count=1]", 1);
	assert_log_count("scather-gather", 0);
	assert_int_equal(dk_dma_debug_entries(), 1);
	__free_pages(pg, 2);
	assert_int_equal(dk_machine_destroy(m), 0);
	assert_errors(DK_DMA_DEBUG_LEAK, 1);
	assert_log_count("pending DMA allocations while released from device [count=1]",
			 1);
	assert_log_count("[mapped as scather-gather]", 1);
	assert_log_count("(platform destroyed)", 1);
	assert_log_count("dma-debug summary: per class:", 1);
	/* teardown needs a machine */
	assert_non_null(debug_machine(DK_DMA_DEBUG_WARN, 0));
	assert_errors(-1, 0);
}

static void map_checks(void **state)
{
	char stackbuf[64];
	void *heap = malloc(64);
	struct page *sw;
	dma_addr_t a;

	(void)state;
	assert_non_null(heap);
	a = dma_map_single(dev, stackbuf, sizeof(stackbuf), DMA_TO_DEVICE);
	assert_true(a == DMA_MAPPING_ERROR);
	assert_errors(DK_DMA_DEBUG_MAP_STACK, 1);
	assert_log_count("DMA-API: (unbound) dk-tmodel-nt0: device driver maps memory from stack",
			 1);
	a = dma_map_single(dev, heap, 64, DMA_TO_DEVICE);
	assert_true(a == DMA_MAPPING_ERROR);
	assert_errors(DK_DMA_DEBUG_MAP_INVALID, 1);
	assert_log_count("maps memory from invalid area", 1);
	free(heap);
	/* A swapped-out page. */
	sw = alloc_pages(GFP_KERNEL, 0);
	assert_non_null(sw);
	assert_int_equal(dk_page_swap_out(sw), 0);
	a = dma_map_page(dev, sw, 0, 64, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_errors(DK_DMA_DEBUG_MAP_NOT_PRESENT, 1);
	assert_log_count("page that is not present", 1);
	dma_unmap_page(dev, a, 64, DMA_TO_DEVICE);
	assert_int_equal(dk_page_swap_in(sw), 0);
	a = dma_map_page(dev, sw, 0, 64, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	dma_unmap_page(dev, a, 64, DMA_TO_DEVICE);
	__free_pages(sw, 0);
	assert_errors(-1, 3);
}

/* ---- scatterlists ------------------------------------------------------- */

static int nr_merge_map, nr_merge_unmap;

/* Merges a physically contiguous list into one segment, bus = phys. */
static int merge_map_sg(struct device *d, struct scatterlist *sgl, int nents,
			enum dma_data_direction dir, unsigned long attrs)
{
	struct scatterlist *s;
	int i;

	(void)d;
	(void)dir;
	(void)attrs;
	nr_merge_map++;
	sg_dma_address(sgl) = sg_phys(sgl);
	sg_dma_len(sgl) = 0;
	for_each_sg(sgl, s, nents, i)
		sg_dma_len(sgl) += s->length;
	return 1;
}

static void merge_unmap_sg(struct device *d, struct scatterlist *sgl,
			   int nents, enum dma_data_direction dir,
			   unsigned long attrs)
{
	(void)d;
	(void)sgl;
	(void)nents;
	(void)dir;
	(void)attrs;
	nr_merge_unmap++;
}

static const struct dma_map_ops merge_ops = {
	.map_sg = merge_map_sg,
	.unmap_sg = merge_unmap_sg,
};

/* Maps any entry, page or not, at a made-up bus address. */
static int lax_map_sg(struct device *d, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs)
{
	struct scatterlist *s;
	int i;

	(void)d;
	(void)dir;
	(void)attrs;
	for_each_sg(sgl, s, nents, i) {
		sg_dma_address(s) = (1ull << 40) + (u64)i * 4096;
		sg_dma_len(s) = s->length;
	}
	return nents;
}

static const struct dma_map_ops lax_ops = {
	.map_sg = lax_map_sg,
	.unmap_sg = merge_unmap_sg,
};

/* Segments longer than dma_get_max_seg_size() or across its boundary. */
static void sg_segment_checks(void **state)
{
	struct scatterlist sg[3];
	char want[256];
	u64 p1;

	(void)state;
	/* dma-direct: a list the driver built too long for the device. */
	assert_int_equal(dma_set_max_seg_size(dev, 4096), 0);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf, 4096);		/* exactly the limit */
	sg_set_buf(&sg[1], buf + 8192, 4097);	/* one byte above it */
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_TO_DEVICE), 2);
	p1 = virt_to_phys(buf + 8192);
	assert_true(sg_dma_address(&sg[1]) == p1);	/* bus = phys */
	assert_errors(DK_DMA_DEBUG_SG_MAX_SEG, 1);
	assert_errors(DK_DMA_DEBUG_SG_BOUNDARY, 0);
	snprintf(want, sizeof(want),
		 "DMA-API: (unbound) dk-tmodel-nt0: mapping sg segment longer than device claims to support [len=4097] [max=4096] [device address=0x%016llx] [segment=1] [at ",
		 (unsigned long long)p1);
	assert_log_count(want, 1);
	assert_log_count("DMA-API", 1);
	/* Mapped all the same, and tracked: the unmap is clean. */
	assert_int_equal(dk_dma_debug_entries(), 2);
	dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
	assert_int_equal(dk_dma_debug_entries(), 0);
	assert_errors(-1, 1);
	dk_test_log_clear();

	/* Across a 4 KiB boundary; a segment ending on it is fine. */
	assert_int_equal(dma_set_max_seg_size(dev, 65536), 0);
	assert_int_equal(dma_set_seg_boundary(dev, 0xfff), 0);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf + 4000, 200);
	sg_set_buf(&sg[1], buf + 8192, 4096);
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_FROM_DEVICE), 2);
	assert_errors(DK_DMA_DEBUG_SG_BOUNDARY, 1);
	assert_errors(DK_DMA_DEBUG_SG_MAX_SEG, 1);
	snprintf(want, sizeof(want),
		 "mapping sg segment across boundary [start=0x%016llx] [end=0x%016llx] [boundary=0x0000000000000fff] [size=200 bytes] [segment=0] [at ",
		 (unsigned long long)virt_to_phys(buf + 4000),
		 (unsigned long long)virt_to_phys(buf + 4199));
	assert_log_count(want, 1);
	assert_log_count("DMA-API", 1);
	dma_unmap_sg(dev, sg, 2, DMA_FROM_DEVICE);
	assert_errors(-1, 2);
	dk_test_log_clear();

	/*
	 * A backend merging three 2 KiB entries (each within both limits)
	 * into one 6 KiB segment: the segment is checked, once per class.
	 */
	assert_int_equal(dma_set_max_seg_size(dev, 4096), 0);
	set_dma_ops(dev, &merge_ops);
	sg_init_table(sg, 3);
	sg_set_buf(&sg[0], buf, 2048);
	sg_set_buf(&sg[1], buf + 2048, 2048);
	sg_set_buf(&sg[2], buf + 4096, 2048);
	assert_int_equal(dma_map_sg(dev, sg, 3, DMA_TO_DEVICE), 1);
	assert_int_equal(nr_merge_map, 1);
	assert_int_equal(sg_dma_len(&sg[0]), 6144);
	assert_errors(DK_DMA_DEBUG_SG_MAX_SEG, 2);
	assert_errors(DK_DMA_DEBUG_SG_BOUNDARY, 2);
	assert_log_count("[len=6144] [max=4096]", 1);
	assert_log_count("[boundary=0x0000000000000fff] [size=6144 bytes] [segment=0]",
			 1);
	assert_log_count("DMA-API", 2);
	dma_unmap_sg(dev, sg, 3, DMA_TO_DEVICE);
	assert_int_equal(nr_merge_unmap, 1);
	set_dma_ops(dev, NULL);
	assert_int_equal(dk_dma_debug_entries(), 0);
	assert_errors(-1, 4);

	/* Within both limits again: silent. */
	dk_test_log_clear();
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf, 4096);
	sg_set_buf(&sg[1], buf + 4096, 4096);
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_TO_DEVICE), 2);
	dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
	assert_errors(-1, 4);
	assert_log_count("DMA-API", 0);
	/* The summary names the new classes. */
	{
		char out[2048] = "";
		FILE *f = fmemopen(out, sizeof(out) - 1, "w");

		assert_non_null(f);
		dk_dma_debug_summary(f);
		fclose(f);
		assert_non_null(strstr(out, "sg_max_seg=2 sg_boundary=2"));
	}
	assert_string_equal(dk_dma_debug_class_name(DK_DMA_DEBUG_SG_MAX_SEG),
			    "sg_max_seg");
	assert_string_equal(dk_dma_debug_class_name(DK_DMA_DEBUG_SG_BOUNDARY),
			    "sg_boundary");
}

/* Stack, malloc and beyond-RAM entries: one report each, as map_single. */
static void sg_bad_entries(void **state)
{
	_Alignas(64) char stackbuf[64];
	struct scatterlist sg[4];
	void *heap = malloc(64);
	struct page *last;
	unsigned long used;

	(void)state;
	assert_non_null(heap);
	/* The last page of RAM, 8 KiB from it: runs beyond RAM. */
	last = phys_to_page(m->dma->ram_top & ~(u64)(PAGE_SIZE - 1));
	assert_non_null(last);
	sg_init_table(sg, 4);
	sg_set_buf(&sg[0], buf, 64);			/* fine */
	sg_set_buf(&sg[1], heap, 64);			/* no page */
	sg_set_page(&sg[2], (struct page *)(void *)stackbuf, 64, 0);
	sg_set_page(&sg[3], last, 8192, 0);
	assert_log_count("sg_set_buf", 1);
	dk_test_log_clear();
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, 0);
	assert_int_equal(dma_map_sg(dev, sg, 4, DMA_TO_DEVICE), 0);
	/* dma-direct refuses at entry 1; dma-debug says why, per entry. */
	assert_log_count("dk-tmodel-nt0: dma_map_sg: entry 1 ", 1);
	assert_errors(DK_DMA_DEBUG_MAP_INVALID, 2);
	assert_errors(DK_DMA_DEBUG_MAP_STACK, 1);
	assert_errors(-1, 3);
	assert_log_count("DMA-API: (unbound) dk-tmodel-nt0: device driver maps memory from invalid area [sg entry=1] [page=NULL] [offset=0] [len=64]",
			 1);
	assert_log_count("DMA-API: (unbound) dk-tmodel-nt0: device driver maps memory from stack [probable addr=",
			 1);
	assert_log_count("[sg entry=2] [len=64]", 1);
	assert_log_count("[sg entry=3] [phys=", 1);
	assert_log_count("(runs beyond simulated RAM)", 1);
	assert_log_count("[sg entry=0]", 0);
	assert_log_count("[at ", 3);
	/* Nothing mapped, nothing tracked. */
	assert_int_equal(dk_dma_debug_entries(), 0);
	assert_int_equal(dk_swiotlb_stats(NULL, &used), 0);
	assert_int_equal(used, 0);
	dk_test_log_clear();

	/* A list of good entries only: mapped, no report. */
	assert_int_equal(dma_map_sg(dev, sg, 1, DMA_TO_DEVICE), 1);
	dma_unmap_sg(dev, sg, 1, DMA_TO_DEVICE);
	assert_errors(-1, 3);
	assert_log_count(NULL, 0);

	/* A backend that maps the malloc entry anyway: reported at map. */
	set_dma_ops(dev, &lax_ops);
	assert_int_equal(dma_map_sg(dev, sg, 2, DMA_TO_DEVICE), 2);
	assert_errors(DK_DMA_DEBUG_MAP_INVALID, 3);
	assert_log_count("[sg entry=1] [page=NULL]", 1);
	dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
	set_dma_ops(dev, NULL);
	assert_int_equal(dk_dma_debug_entries(), 0);
	assert_errors(-1, 4);
	free(heap);
}

static void overlap_checks(void **state)
{
	dma_addr_t a[10];
	int i;

	(void)state;
	a[0] = dma_map_single(dev, buf, 32, DMA_FROM_DEVICE);
	a[1] = dma_map_single(dev, buf + 32, 32, DMA_BIDIRECTIONAL);
	assert_errors(DK_DMA_DEBUG_OVERLAP, 1);
	assert_log_count("cacheline tracking EEXIST, overlapping mappings aren't supported",
			 1);
	/* Skipping the CPU sync: the driver says it knows. */
	a[2] = dma_map_single_attrs(dev, buf + 16, 16, DMA_FROM_DEVICE,
				    DMA_ATTR_SKIP_CPU_SYNC);
	assert_errors(DK_DMA_DEBUG_OVERLAP, 1);
	/* For the device to read: not tracked. */
	a[3] = dma_map_single(dev, buf + 48, 16, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_OVERLAP, 1);
	for (i = 0; i < 4; i++)
		assert_int_equal(dma_mapping_error(dev, a[i]), 0);
	dma_unmap_single(dev, a[0], 32, DMA_FROM_DEVICE);
	dma_unmap_single(dev, a[1], 32, DMA_BIDIRECTIONAL);
	dma_unmap_single_attrs(dev, a[2], 16, DMA_FROM_DEVICE,
			       DMA_ATTR_SKIP_CPU_SYNC);
	dma_unmap_single(dev, a[3], 16, DMA_TO_DEVICE);
	/* Gone: the cacheline is free again. */
	a[0] = dma_map_single(dev, buf + 8, 8, DMA_FROM_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a[0]), 0);
	dma_unmap_single(dev, a[0], 8, DMA_FROM_DEVICE);
	assert_errors(-1, 1);
	/* Nine on one cacheline: eight EEXIST, the limit once. */
	for (i = 0; i < 10; i++) {
		a[i] = dma_map_single(dev, buf + 4096 + i, 1,
				      DMA_FROM_DEVICE);
		assert_int_equal(dma_mapping_error(dev, a[i]), 0);
	}
	assert_errors(DK_DMA_DEBUG_OVERLAP, 10);
	assert_errors(DK_DMA_DEBUG_OVERLAP_LIMIT, 1);
	assert_log_count("exceeded 7 overlapping mappings of cacheline", 1);
	for (i = 0; i < 10; i++)
		dma_unmap_single(dev, a[i], 1, DMA_FROM_DEVICE);
	assert_int_equal(dk_dma_debug_entries(), 0);
}

/* A device DMA-path call in flight on the range: the bus monitor sees it. */
static void in_flight_check(void **state)
{
	struct dk_dma_slot *s = &tm->hw.dma_slot[1];
	dma_addr_t a, h;
	void *p;

	(void)state;
	a = dma_map_single(dev, buf, 4096, DMA_FROM_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	p = dma_alloc_coherent(dev, 4096, &h, GFP_KERNEL);
	assert_non_null(p);
	/* Hold the slot as the DMA path does: odd seq, the range published. */
	__atomic_store_n(&s->busy_bus[0], a + 1000, __ATOMIC_RELAXED);
	__atomic_store_n(&s->busy_len[0], 8, __ATOMIC_RELEASE);
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_SEQ_CST);
	assert_false(dk__dma_monitor_busy(m, tm->hw.requester_id, a + 1008,
					  64));
	assert_true(dk__dma_monitor_busy(m, tm->hw.requester_id, a, 4096));
	dma_unmap_single(dev, a, 4096, DMA_FROM_DEVICE);
	assert_errors(DK_DMA_DEBUG_IN_FLIGHT, 1);
	assert_log_count("unmaps DMA memory while the device is transferring to or from it",
			 1);
	/* The coherent buffer is elsewhere: freeing it is fine... */
	dma_free_coherent(dev, 4096, p, h);
	assert_errors(DK_DMA_DEBUG_IN_FLIGHT, 1);
	p = dma_alloc_coherent(dev, 4096, &h, GFP_KERNEL);
	assert_non_null(p);
	/* ...unless the device is writing into it. */
	__atomic_store_n(&s->busy_bus[1], h + 64, __ATOMIC_RELAXED);
	__atomic_store_n(&s->busy_len[1], 64, __ATOMIC_RELEASE);
	dma_free_coherent(dev, 4096, p, h);
	assert_errors(DK_DMA_DEBUG_IN_FLIGHT, 2);
	assert_log_count("frees DMA memory while the device is transferring", 1);
	__atomic_store_n(&s->busy_len[0], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->busy_len[1], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
	/* A real transfer has come and gone: nothing in flight. */
	a = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(dk_dma_read(&tm->hw, a, buf + 1024, 64), 0);
	dma_unmap_single(dev, a, 64, DMA_TO_DEVICE);
	assert_errors(-1, 2);
}

static dma_addr_t probe_handle;
static void *probe_cpu;

static int leaky_probe(struct platform_device *pdev)
{
	struct device *d = &pdev->dev;

	if (dma_set_mask_and_coherent(d, DMA_BIT_MASK(64)))
		return -EIO;
	probe_cpu = dma_alloc_coherent(d, 4096, &probe_handle, GFP_KERNEL);
	return probe_cpu ? 0 : -ENOMEM;
}

static int leaky_remove(struct platform_device *pdev)
{
	(void)pdev;	/* forgets dma_free_coherent() */
	return 0;
}

static struct platform_driver leaky_driver = {
	.probe = leaky_probe,
	.remove = leaky_remove,
	.driver = { .name = "dk-tmodel-nt" },
};

static void leak_at_unbind(void **state)
{
	dma_addr_t a;

	(void)state;
	assert_int_equal(platform_driver_register(&leaky_driver), 0);
	assert_non_null(dev->driver);
	a = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	platform_driver_unregister(&leaky_driver);
	assert_errors(DK_DMA_DEBUG_LEAK, 1);
	assert_log_count("DMA-API: dk-tmodel-nt dk-tmodel-nt0: device driver has pending DMA allocations while released from device [count=2]",
			 1);
	assert_log_count("single=1 page=0 sg=0 coherent=1 resource=0] (driver unbound)",
			 1);
	/* Reported once: the machine's destroy does not report them again. */
	dma_unmap_single(dev, a, 64, DMA_TO_DEVICE);
	assert_int_equal(dk_dma_debug_entries(), 1);
	/* Late, but the memory goes back (still tracked: no report). */
	dma_free_coherent(dev, 4096, probe_cpu, probe_handle);
	assert_int_equal(dk_dma_debug_entries(), 0);
	assert_errors(-1, 1);
	__free_pages(pg, 2);
	assert_int_equal(dk_machine_destroy(m), 0);
	assert_errors(DK_DMA_DEBUG_LEAK, 1);
	assert_log_count("pending DMA allocations", 1);
	assert_non_null(debug_machine(DK_DMA_DEBUG_WARN, 0));
}

static void table_full(void **state)
{
	dma_addr_t a[10];
	int i;

	(void)state;
	__free_pages(pg, 2);
	assert_int_equal(dk_machine_destroy(m), 0);
	assert_non_null(debug_machine(DK_DMA_DEBUG_WARN, 8));
	/* The thread's slot holds the first; the table the next eight. */
	for (i = 0; i < 9; i++) {
		a[i] = dma_map_single(dev, buf + 64 * i, 64, DMA_TO_DEVICE);
		assert_int_equal(dma_mapping_error(dev, a[i]), 0);
	}
	assert_int_equal(dk_dma_debug_entries(), 9);
	assert_log_count("DMA-API", 0);
	a[9] = dma_map_single(dev, buf + 64 * 9, 64, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a[9]), 0);
	assert_log_count("DMA-API: debugging out of memory - disabling", 1);
	assert_int_equal(dk_dma_debug_mode(), DK_DMA_DEBUG_OFF);
	for (i = 0; i < 10; i++)
		dma_unmap_single(dev, a[i], 64, DMA_TO_DEVICE);
	dma_unmap_single(dev, a[0], 64, DMA_TO_DEVICE);	/* not seen */
	assert_errors(-1, 0);
	assert_log_count("DMA-API", 1);
}

static void summary_output(void **state)
{
	char out[2048] = "";
	FILE *f;

	(void)state;
	dma_unmap_single(dev, 0x100000000ull, 64, DMA_TO_DEVICE);
	f = fmemopen(out, sizeof(out) - 1, "w");
	assert_non_null(f);
	dk_dma_debug_summary(f);
	fclose(f);
	assert_non_null(strstr(out, "dma-debug summary: 1 error, mode warn"));
	assert_non_null(strstr(out, "per class: free_unknown=1"));
	assert_non_null(strstr(out, "device dk-tmodel-nt0: free_unknown=1"));
}

/* Abort mode: the report, then abort(), in a child. */
static void abort_mode(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	__free_pages(pg, 2);
	assert_int_equal(dk_machine_destroy(m), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dma_addr_t a;

		if (!debug_machine(DK_DMA_DEBUG_ABORT, 0))
			_exit(2);
		a = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
		if (dma_mapping_error(dev, a))
			_exit(3);
		dma_unmap_single(dev, a, 64, DMA_TO_DEVICE);
		dma_unmap_single(dev, a, 64, DMA_TO_DEVICE);
		_exit(0);	/* not reached */
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_non_null(debug_machine(DK_DMA_DEBUG_WARN, 0));
	/* Switching to abort mode at run time takes effect too. */
	assert_int_equal(dk_dma_debug_enable(DK_DMA_DEBUG_ABORT), 0);
	assert_int_equal(dk_dma_debug_mode(), DK_DMA_DEBUG_ABORT);
	assert_int_equal(dk_dma_debug_enable(DK_DMA_DEBUG_WARN), 0);
}

/* Off: no hooks installed, misuse goes unnoticed, nothing counted. */
static void disabled_costs_nothing(void **state)
{
	char *env = getenv("DK_DMA_DEBUG");
	struct dk_machine_config cfg;
	struct platform_device *pdev;
	char saved[16] = "";
	dma_addr_t a;

	(void)state;
	if (env)
		snprintf(saved, sizeof(saved), "%s", env);
	unsetenv("DK_DMA_DEBUG");
	__free_pages(pg, 2);
	assert_int_equal(dk_machine_destroy(m), 0);
	dk_machine_config_init(&cfg);
	assert_int_equal(dk_machine_create(&cfg, &m), 0);
	assert_int_equal(tmodel_add(m, NULL, &tmodel_nothread_ops, &tm, &pdev),
			 0);
	dev = &pdev->dev;
	assert_int_equal(dk_dma_debug_mode(), DK_DMA_DEBUG_OFF);
	assert_null(dk__dma_debug_register(NULL));
	pg = alloc_pages(GFP_KERNEL, 2);
	assert_non_null(pg);
	buf = page_address(pg);
	a = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
	dma_unmap_single(dev, a, 64, DMA_FROM_DEVICE);
	dma_sync_single_for_cpu(dev, a, 64, DMA_TO_DEVICE);
	assert_errors(-1, 0);
	assert_int_equal(dk_dma_debug_entries(), 0);
	assert_log_count("DMA-API", 0);
	/* Switched on at run time, it tracks from then on. */
	assert_int_equal(dk_dma_debug_enable(DK_DMA_DEBUG_WARN), 0);
	a = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
	dma_unmap_single(dev, a, 64, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_MAP_ERR_UNCHECKED, 1);
	dk_dma_debug_disable();
	assert_null(dk__dma_debug_register(NULL));
	if (saved[0])
		setenv("DK_DMA_DEBUG", saved, 1);
}

struct worker {
	u8 *mem;
	unsigned int iters;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned int i = 0; i < w->iters; i++) {
		unsigned int off = (i % 32) * 128;
		int dir = i & 1 ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
		dma_addr_t a = dma_map_single(dev, w->mem + off, 128, dir);

		if (dma_mapping_error(dev, a))
			continue;
		dma_sync_single_for_cpu(dev, a, 64, dir);
		dma_unmap_single(dev, a, 128, dir);
	}
	return NULL;
}

static void two_threads(void **state)
{
	struct worker w[2] = {
		{ buf, 2000 * dk_test_stress() },
		{ buf + 8192, 2000 * dk_test_stress() },
	};
	pthread_t t[2];

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_main,
						&w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_errors(-1, 0);
	assert_int_equal(dk_dma_debug_entries(), 0);
	assert_log_count("DMA-API", 0);
}

/* ---- the thread's slot: its latest DMA_TO_DEVICE mapping ---------------- */

struct slot_job {
	dma_addr_t a;
	size_t len;
	int what;	/* 0 map and keep, 1 unmap, 2 sync, 3 mapping_error */
	u8 *mem;
};

static void *slot_other(void *arg)
{
	struct slot_job *j = arg;

	switch (j->what) {
	case 0:
		j->a = dma_map_single(dev, j->mem, j->len, DMA_TO_DEVICE);
		if (dma_mapping_error(dev, j->a))
			j->a = 0;
		break;
	case 1:
		dma_unmap_single(dev, j->a, j->len, DMA_TO_DEVICE);
		break;
	case 2:
		dma_sync_single_for_device(dev, j->a, j->len, DMA_TO_DEVICE);
		break;
	case 3:
		(void)dma_mapping_error(dev, j->a);
		break;
	}
	return NULL;
}

/* Run @j on a thread of its own, to the end. */
static void on_other_thread(struct slot_job *j)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, slot_other, j), 0);
	pthread_join(t, NULL);
}

/*
 * A mapping kept in this thread's slot is seen by every other thread as if
 * it were in the table: unmapped, synced, checked from elsewhere; reported
 * when misused by its owner; and one whose thread has exited is still a
 * mapping.
 */
static void thread_slot(void **state)
{
	struct slot_job j = { 0 };
	dma_addr_t a;

	(void)state;
	/* Mapped here, unmapped by another thread: clean, and gone. */
	a = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	assert_int_equal(dk_dma_debug_entries(), 1);
	j.a = a;
	j.len = 256;
	j.what = 2;			/* a sync from elsewhere: fine */
	on_other_thread(&j);
	j.len = 512;			/* beyond it: reported */
	on_other_thread(&j);
	assert_errors(DK_DMA_DEBUG_SYNC_RANGE, 1);
	j.len = 256;
	j.what = 1;
	on_other_thread(&j);
	assert_int_equal(dk_dma_debug_entries(), 0);
	assert_errors(-1, 1);
	/* The owner's second unmap: not mapped any more. */
	dma_unmap_single(dev, a, 256, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_FREE_UNKNOWN, 1);

	/* Checked by another thread, unmapped here: nothing to say. */
	a = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
	j.a = a;
	j.what = 3;
	on_other_thread(&j);
	dma_unmap_single(dev, a, 256, DMA_TO_DEVICE);
	assert_errors(-1, 2);

	/* The owner's misuse of its slot entry is reported as ever. */
	a = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
	assert_int_equal(dma_mapping_error(dev, a), 0);
	dma_unmap_single(dev, a, 128, DMA_TO_DEVICE);
	assert_errors(DK_DMA_DEBUG_FREE_SIZE, 1);
	a = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
	dma_unmap_single(dev, a, 256, DMA_TO_DEVICE);	/* never checked */
	assert_errors(DK_DMA_DEBUG_MAP_ERR_UNCHECKED, 1);
	assert_int_equal(dk_dma_debug_entries(), 0);

	/* Mapped by a thread that has exited since: unmapped here. */
	j.mem = buf + 1024;
	j.len = 64;
	j.what = 0;
	on_other_thread(&j);
	assert_true(j.a != 0);
	assert_int_equal(dk_dma_debug_entries(), 1);
	dma_unmap_single(dev, j.a, 64, DMA_TO_DEVICE);
	assert_int_equal(dk_dma_debug_entries(), 0);
	/* Only the four reports above. */
	assert_errors(-1, 4);
	assert_log_count("DMA-API", 4);
}

/* Threads come and go: their slots are reused, not piled up. */
static void slots_are_reused(void **state)
{
	struct slot_job j = { 0 };
	unsigned int before;
	dma_addr_t a1;

	(void)state;
	j.mem = buf;
	j.len = 64;
	for (int i = 0; i < 50; i++) {
		j.what = 0;
		on_other_thread(&j);	/* maps, exits with it mapped */
		dma_unmap_single(dev, j.a, 64, DMA_TO_DEVICE);
	}
	/* The main thread has none yet; the fifty threads shared one. */
	assert_int_equal(dk__dma_debug_nr_slots(), 1);
	before = dk__dma_debug_nr_slots();
	/* A slot given up while it holds a mapping is not adopted. */
	j.what = 0;
	on_other_thread(&j);
	a1 = j.a;
	j.mem = buf + 64;
	on_other_thread(&j);
	assert_int_equal(dk__dma_debug_nr_slots(), before + 1);
	assert_int_equal(dk_dma_debug_entries(), 2);
	dma_unmap_single(dev, a1, 64, DMA_TO_DEVICE);
	dma_unmap_single(dev, j.a, 64, DMA_TO_DEVICE);
	assert_int_equal(dk_dma_debug_entries(), 0);
	assert_errors(-1, 0);
}

struct relay {
	dma_addr_t a[64];
	int ready[64];		/* atomic */
	unsigned int n;
};

static void *relay_unmapper(void *arg)
{
	struct relay *r = arg;

	for (unsigned int i = 0; i < r->n; i++) {
		unsigned int k = i % 64;

		while (!__atomic_load_n(&r->ready[k], __ATOMIC_ACQUIRE))
			dk_test_yield();
		dma_sync_single_for_device(dev, r->a[k], 32, DMA_TO_DEVICE);
		dma_unmap_single(dev, r->a[k], 32, DMA_TO_DEVICE);
		__atomic_store_n(&r->ready[k], 0, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* The usual driver pattern: map here, unmap in the completion thread. */
static void map_here_unmap_there(void **state)
{
	struct relay r = { .n = 4000 * dk_test_stress() };
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, relay_unmapper, &r), 0);
	for (unsigned int i = 0; i < r.n; i++) {
		unsigned int k = i % 64;

		while (__atomic_load_n(&r.ready[k], __ATOMIC_ACQUIRE))
			dk_test_yield();
		r.a[k] = dma_map_single(dev, buf + 64 * k, 32, DMA_TO_DEVICE);
		assert_int_equal(dma_mapping_error(dev, r.a[k]), 0);
		__atomic_store_n(&r.ready[k], 1, __ATOMIC_RELEASE);
	}
	pthread_join(t, NULL);
	assert_errors(-1, 0);
	assert_int_equal(dk_dma_debug_entries(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(thread_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(map_here_unmap_there, setup,
						teardown),
		cmocka_unit_test_setup_teardown(slots_are_reused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(correct_use_is_silent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(unmap_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(sync_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(sg_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(map_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(sg_segment_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(sg_bad_entries, setup,
						teardown),
		cmocka_unit_test_setup_teardown(overlap_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(in_flight_check, setup,
						teardown),
		cmocka_unit_test_setup_teardown(leak_at_unbind, setup,
						teardown),
		cmocka_unit_test_setup_teardown(table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(summary_output, setup,
						teardown),
		cmocka_unit_test_setup_teardown(abort_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(disabled_costs_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(two_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
