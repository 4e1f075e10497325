// SPDX-License-Identifier: MIT
/*
 * dma_debug_inflight_test.c - dma-debug's in-flight check against a real
 * transfer: a DK-DMAC, programmed by its registers (the test is the
 * driver), copies a ring of descriptors out of a streaming mapping without
 * end; the CPU unmaps that mapping while the controller reads it. The
 * check sees a transfer only during one DMA-path call (a burst of up to
 * 64 KiB), so the test unmaps right after the bus monitor saw the range
 * busy, and maps again and retries when the burst ended in between; it
 * asserts that one unmap is reported, with its text, and that unmaps
 * while the controller is stopped are not.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <dmakit/drivers/dmac.h>
#include <dmakit/hw/device.h>
#include <dmakit/hw/dmac.h>
#include <dmakit/machine.h>
#include <linux/dma-debug.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include "dk_test.h"
#include "dmac_desc.h"
#include "hw/internal.h"

#define BUF_ORDER	8			/* 1 MiB */
#define BUF_LEN		(PAGE_SIZE << BUF_ORDER)
#define NDESC		4
#define ATTEMPTS	2000

static struct dk_machine *m;
static struct platform_device *pdev;
static char __iomem *regs;
static struct page *src_pg, *dst_pg, *desc_pg;

static int setup(void **state)
{
	struct dk_machine_config cfg;
	struct resource *res;

	(void)state;
	dk_test_log_capture();
	dk_machine_config_init(&cfg);
	cfg.dma.debug = true;
	if (dk_machine_create(&cfg, &m))
		return -1;
	/* The test is the driver: keep the built-in one off this device. */
	dk_dmac_driver_unregister();
	if (dk_machine_add_dmac(m, NULL, &pdev))
		return -1;
	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!res)
		return -1;
	regs = ioremap(res->start, resource_size(res));
	src_pg = alloc_pages(GFP_KERNEL, BUF_ORDER);
	dst_pg = alloc_pages(GFP_KERNEL, BUF_ORDER);
	desc_pg = alloc_pages(GFP_KERNEL, 0);
	if (!regs || !src_pg || !dst_pg || !desc_pg ||
	    dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64)))
		return -1;
	memset(page_address(src_pg), 0x5a, BUF_LEN);
	return 0;
}

static int teardown(void **state)
{
	int leaks;

	(void)state;
	if (src_pg)
		__free_pages(src_pg, BUF_ORDER);
	if (dst_pg)
		__free_pages(dst_pg, BUF_ORDER);
	if (desc_pg)
		__free_pages(desc_pg, 0);
	src_pg = dst_pg = desc_pg = NULL;
	if (regs)
		iounmap(regs);
	regs = NULL;
	leaks = dk_machine_destroy(m);
	if (leaks)
		dk_test_log_dump();
	dk_test_log_release();
	return leaks;
}

static void chan_cmd(unsigned int ch, u32 cmd)
{
	writel(cmd, regs + DMAC_CH(ch) + DMAC_CH_CMD);
}

static void unmap_while_the_controller_reads(void **state)
{
	struct device *dev = &pdev->dev;
	u16 rid = pdev->dev.requester_id;
	u8 *desc = page_address(desc_pg);
	dma_addr_t src, dst, d;
	int tries = 0;

	(void)state;
	src = dma_map_single(dev, page_address(src_pg), BUF_LEN,
			     DMA_TO_DEVICE);
	dst = dma_map_single(dev, page_address(dst_pg), BUF_LEN,
			     DMA_FROM_DEVICE);
	d = dma_map_single(dev, desc, PAGE_SIZE, DMA_BIDIRECTIONAL);
	assert_false(dma_mapping_error(dev, src));
	assert_false(dma_mapping_error(dev, dst));
	assert_false(dma_mapping_error(dev, d));
	/* A ring: the controller copies src to dst until aborted. */
	for (unsigned int i = 0; i < NDESC; i++) {
		u32 part = (u32)(BUF_LEN / NDESC);

		dk_test_dmac_desc(desc + i * DMAC_DESC_SIZE, src + i * part,
			 dst + i * part, part, DMAC_OP_COPY,
			 d + ((i + 1) % NDESC) * DMAC_DESC_SIZE);
	}
	dma_sync_single_for_device(dev, d, PAGE_SIZE, DMA_BIDIRECTIONAL);
	writel(DMAC_CTRL_EN, regs + DMAC_CH(0) + DMAC_CH_CTRL);
	writeq(d, regs + DMAC_CH(0) + DMAC_CH_DESC_PTR);
	chan_cmd(0, DMAC_CMD_START);

	/* Unmap just after the monitor saw the controller on the range. */
	while (!dk_dma_debug_errors(DK_DMA_DEBUG_IN_FLIGHT) &&
	       ++tries <= ATTEMPTS) {
		assert_true(DK_WAIT_UNTIL(dk__dma_monitor_busy(m, rid, src,
							       BUF_LEN),
					  10000));
		dma_unmap_single(dev, src, BUF_LEN, DMA_TO_DEVICE);
		if (dk_dma_debug_errors(DK_DMA_DEBUG_IN_FLIGHT))
			break;
		/* The burst ended in between: map again (same address). */
		src = dma_map_single(dev, page_address(src_pg), BUF_LEN,
				     DMA_TO_DEVICE);
		assert_false(dma_mapping_error(dev, src));
	}
	assert_int_equal(dk_dma_debug_errors(DK_DMA_DEBUG_IN_FLIGHT), 1);
	assert_log_count("unmaps DMA memory while the device is transferring to or from it",
			 1);
	/* ABORT returns once no access of the channel can reach memory. */
	chan_cmd(0, DMAC_CMD_ABORT);
	assert_int_equal(readl(regs + DMAC_CH(0) + DMAC_CH_STATUS) &
			 DMAC_STATE_MASK, DMAC_STATE_IDLE);
	/* Stopped: these unmaps are clean. */
	dma_unmap_single(dev, dst, BUF_LEN, DMA_FROM_DEVICE);
	dma_unmap_single(dev, d, PAGE_SIZE, DMA_BIDIRECTIONAL);
	assert_int_equal(dk_dma_debug_errors(-1), 1);
	assert_int_equal(dk_dma_debug_entries(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			unmap_while_the_controller_reads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
