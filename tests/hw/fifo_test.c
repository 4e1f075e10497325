// SPDX-License-Identifier: MIT
/*
 * fifo_test.c - the DK-FIFO model (docs/hw/fifo.md) through MMIO, and a
 * DK-DMAC channel serving it through its request lines (no drivers: the
 * test plays them).
 *
 * Covers reset values, the stream pattern, thresholds and the request
 * outputs, under- and overruns, rates on a manual clock, device-to-memory
 * from RX_DATA paced by the request line (verified stream), memory-to-
 * device into TX_DATA (checked by the sink), a cyclic receive with one
 * interrupt per lap, and appending to a list that waits for its peripheral.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/platform_device.h>
#include <dmakit/drivers/dmac.h>
#include <dmakit/drivers/fifo.h>
#include <dmakit/hw/dmac.h>
#include <dmakit/hw/fifo.h>
#include <dmakit/machine.h>
#include "dk_test.h"
#include "dmac_desc.h"

#define DESC_BASE	(DK_RAM_HIGH_BASE + 0x40000000ull)
#define BUF		(DK_RAM_HIGH_BASE + 0x50000000ull)
#define LINE_RX		3
#define LINE_TX		7

static struct dk_machine *m;
static struct platform_device *fdev, *ddev;
static void __iomem *fregs, *dregs;
static u64 fbase;
static int irq0;
static int irq_count;

static u32 frd(unsigned int off)
{
	return readl((char __iomem *)fregs + off);
}

static void fwr(unsigned int off, u32 v)
{
	writel(v, (char __iomem *)fregs + off);
}

static u32 crd(unsigned int off)
{
	return readl((char __iomem *)dregs + DMAC_CH(0) + off);
}

static void cwr(unsigned int off, u32 v)
{
	writel(v, (char __iomem *)dregs + DMAC_CH(0) + off);
}

static irqreturn_t chan_irq(int vec, void *data)
{
	u32 p;

	(void)vec;
	(void)data;
	while ((p = crd(DMAC_CH_INT_STATUS)))
		cwr(DMAC_CH_INT_STATUS, p);
	__atomic_add_fetch(&irq_count, 1, __ATOMIC_RELEASE);
	return IRQ_HANDLED;
}

static int nirq(void)
{
	return __atomic_load_n(&irq_count, __ATOMIC_ACQUIRE);
}

static void *host(u64 phys)
{
	return phys_to_virt(phys);
}

static void put_desc(u64 at, u64 src, u64 dst, u32 len, u32 ctl, u64 next)
{
	dk_test_dmac_desc(host(at), src, dst, len, ctl, next);
}

static void __iomem *map(struct platform_device *p, u64 *base)
{
	struct resource *res = platform_get_resource(p, IORESOURCE_MEM, 0);

	if (!res)
		return NULL;
	if (base)
		*base = res->start;
	return ioremap(res->start, resource_size(res));
}

static int machine_up(bool manual, bool wire)
{
	struct dk_machine_config cfg;

	dk_test_log_capture();
	dk_machine_config_init(&cfg);
	cfg.manual_clock = manual;
	if (dk_machine_create(&cfg, &m))
		return -1;
	dk_dmac_driver_unregister();
	dk_fifo_driver_unregister();
	if (dk_machine_add_fifo(m, NULL, &fdev) ||
	    dk_machine_add_dmac(m, NULL, &ddev))
		return -1;
	fregs = map(fdev, &fbase);
	dregs = map(ddev, NULL);
	if (!fregs || !dregs)
		return -1;
	if (wire) {
		if (dk_machine_connect_dma(m, fdev, FIFO_REQ_RX, "rx", ddev,
					   LINE_RX) ||
		    dk_machine_connect_dma(m, fdev, FIFO_REQ_TX, "tx", ddev,
					   LINE_TX))
			return -1;
	}
	__atomic_store_n(&irq_count, 0, __ATOMIC_RELAXED);
	irq0 = platform_get_irq(ddev, 0);
	return irq0 > 0 ? request_irq((unsigned int)irq0, chan_irq, 0,
				      "fifo-test", &irq_count) : -1;
}

static int down(void)
{
	int leaks;

	free_irq((unsigned int)irq0, &irq_count);
	iounmap(fregs);
	iounmap(dregs);
	leaks = dk_machine_destroy(m);
	if (leaks)
		dk_test_log_dump();
	dk_test_log_release();
	m = NULL;
	return leaks;
}

static int setup(void **st)
{
	(void)st;
	if (machine_up(false, true)) {
		dk_test_log_dump();
		return -1;
	}
	return 0;
}

static int setup_manual(void **st)
{
	(void)st;
	if (machine_up(true, true)) {
		dk_test_log_dump();
		return -1;
	}
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	return down();
}

/* ---- wiring errors ------------------------------------------------------- */

static void bad_wiring(void **st)
{
	(void)st;
	/* Already wired (setup did it): busy. */
	assert_int_equal(dk_machine_connect_dma(m, fdev, FIFO_REQ_RX, "rx2",
						ddev, 9), -EBUSY);
	assert_int_equal(dk_machine_connect_dma(m, fdev, 0, "x", ddev,
						LINE_TX), -EBUSY);
	/* No such output or input. */
	assert_int_equal(dk_machine_connect_dma(m, fdev, 2, "x", ddev, 9),
			 -EINVAL);
	assert_int_equal(dk_machine_connect_dma(m, fdev, 0, "x", ddev, 16),
			 -EINVAL);
	/* The FIFO has no request inputs. */
	assert_int_equal(dk_machine_connect_dma(m, ddev, 0, "x", fdev, 0),
			 -EINVAL);
	assert_int_equal(dk_machine_connect_dma(m, fdev, 0, "", ddev, 9),
			 -EINVAL);
}

/* ---- registers, pattern, thresholds, requests ---------------------------- */

static void registers(void **st)
{
	(void)st;
	assert_int_equal(frd(FIFO_ID), FIFO_ID_VALUE);
	assert_int_equal(frd(FIFO_VERSION), FIFO_VERSION_VALUE);
	assert_int_equal(frd(FIFO_DEPTH), 4096);
	assert_int_equal(frd(FIFO_CTRL), 0);
	assert_int_equal(frd(FIFO_STATUS),
			 FIFO_ST_RX_EMPTY | FIFO_ST_TX_EMPTY);
	assert_int_equal(frd(FIFO_RX_LEVEL), 0);
	assert_int_equal(frd(FIFO_TX_LEVEL), 0);
	assert_int_equal(frd(FIFO_RX_THRESH), 64);
	assert_int_equal(frd(FIFO_TX_THRESH), 64);
	assert_int_equal(frd(FIFO_RX_RATE), 0);
	assert_int_equal(frd(FIFO_TX_RATE), 0);
	assert_int_equal(frd(FIFO_SEED), 0);
	/* TX space is there from the start: the sticky bit says so. */
	assert_int_equal(frd(FIFO_INT_STATUS), FIFO_INT_TX_SPACE);
	assert_int_equal(frd(FIFO_INT_MASK), 0);
	assert_int_equal(frd(FIFO_RX_DROPPED), 0);
	assert_int_equal(frd(FIFO_TX_ERRORS), 0);
	assert_true(readq((char __iomem *)fregs + FIFO_RX_COUNT) == 0);
	assert_true(readq((char __iomem *)fregs + FIFO_TX_COUNT) == 0);
	assert_int_equal(frd(0x800), 0);
	/* Thresholds: 1..4096 only. */
	fwr(FIFO_RX_THRESH, 0);
	fwr(FIFO_TX_THRESH, 4097);
	assert_int_equal(frd(FIFO_RX_THRESH), 64);
	assert_int_equal(frd(FIFO_TX_THRESH), 64);
	fwr(FIFO_RX_THRESH, 4096);
	assert_int_equal(frd(FIFO_RX_THRESH), 4096);
	fwr(FIFO_CTRL, 0xffffffffu);
	assert_int_equal(frd(FIFO_CTRL), FIFO_CTRL_RW_MASK);
	fwr(FIFO_SEED, 0xffffffffu);
	assert_int_equal(frd(FIFO_SEED), 0xffff);
	fwr(FIFO_INT_MASK, 0xffffffffu);
	assert_int_equal(frd(FIFO_INT_MASK), FIFO_INT_ALL);
}

static void pattern_and_requests(void **st)
{
	u8 got[64];

	(void)st;
	fwr(FIFO_SEED, 0x11);
	fwr(FIFO_RX_THRESH, 32);
	fwr(FIFO_CTRL, FIFO_CTRL_RX_DMA);
	assert_int_equal(frd(FIFO_STATUS) & FIFO_ST_RX_REQ, 0);
	/* RATE 0: the generator fills the FIFO. */
	fwr(FIFO_CTRL, FIFO_CTRL_RX_DMA | FIFO_CTRL_RX_EN);
	assert_true(DK_WAIT_UNTIL(frd(FIFO_RX_LEVEL) == 4096, 5000));
	assert_true(frd(FIFO_STATUS) & FIFO_ST_RX_FULL);
	assert_true(frd(FIFO_STATUS) & FIFO_ST_RX_REQ);
	fwr(FIFO_CTRL, FIFO_CTRL_RX_DMA);	/* stop it: levels hold */
	for (unsigned int i = 0; i < 64; i += 8) {
		u64 v = readq((char __iomem *)fregs + FIFO_RX_DATA);

		memcpy(got + i, &v, 8);
	}
	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(got[i], (u8)(i * 7 + 0x11));
	{
		u32 v = frd(FIFO_RX_DATA);

		assert_int_equal(v & 0xff, (u8)(64 * 7 + 0x11));
	}
	assert_int_equal(frd(FIFO_RX_LEVEL), 4096 - 68);
	/* Below the threshold: request drops. */
	while (frd(FIFO_RX_LEVEL) > 32)
		(void)readq((char __iomem *)fregs + FIFO_RX_DATA);
	assert_int_equal(frd(FIFO_RX_LEVEL), 28);
	assert_int_equal(frd(FIFO_STATUS) & FIFO_ST_RX_REQ, 0);
	/* Underrun: a read with too few bytes. */
	fwr(FIFO_INT_STATUS, FIFO_INT_ALL);
	for (int i = 0; i < 4; i++)
		(void)readq((char __iomem *)fregs + FIFO_RX_DATA);
	assert_int_equal(frd(FIFO_RX_LEVEL), 0);
	assert_true(frd(FIFO_INT_STATUS) & FIFO_INT_RX_UNDERRUN);
	/* Flush restarts the stream. */
	fwr(FIFO_CTRL, FIFO_CTRL_RX_FLUSH | FIFO_CTRL_RX_EN);
	assert_true(DK_WAIT_UNTIL(frd(FIFO_RX_LEVEL) == 4096, 5000));
	assert_int_equal(frd(FIFO_RX_DATA) & 0xff, 0x11);

	/* TX: pushes, sink disabled: level and the TX request. */
	fwr(FIFO_TX_THRESH, 4096 - 16);
	fwr(FIFO_CTRL, FIFO_CTRL_TX_DMA);
	assert_true(frd(FIFO_STATUS) & FIFO_ST_TX_REQ);
	for (u64 i = 0; i < 24; i += 8) {
		u64 v = 0;

		for (int b = 0; b < 8; b++)
			v |= (u64)(u8)((i + b) * 7 + 0x22) << (8 * b);
		writeq(v, (char __iomem *)fregs + FIFO_TX_DATA);
	}
	assert_int_equal(frd(FIFO_TX_LEVEL), 24);
	assert_int_equal(frd(FIFO_STATUS) & FIFO_ST_TX_REQ, 0);
	/* The checked sink drains it: no errors with TX seed 0x22. */
	fwr(FIFO_SEED, 0x2200);
	fwr(FIFO_CTRL, FIFO_CTRL_TX_DMA | FIFO_CTRL_TX_EN |
			       FIFO_CTRL_TX_CHECK);
	assert_true(DK_WAIT_UNTIL(frd(FIFO_TX_LEVEL) == 0, 5000));
	assert_true(readq((char __iomem *)fregs + FIFO_TX_COUNT) == 24);
	assert_int_equal(frd(FIFO_TX_ERRORS), 0);
	assert_true(frd(FIFO_STATUS) & FIFO_ST_TX_REQ);
	/* A wrong byte is counted. */
	fwr(FIFO_TX_DATA, 0);
	assert_true(DK_WAIT_UNTIL(frd(FIFO_TX_LEVEL) == 0, 5000));
	assert_int_equal(frd(FIFO_TX_ERRORS), 4);
	assert_true(frd(FIFO_INT_STATUS) & FIFO_INT_TX_MISMATCH);
	/* Overrun: pushes into a full FIFO are dropped. */
	fwr(FIFO_CTRL, 0);
	fwr(FIFO_INT_STATUS, FIFO_INT_ALL);
	for (int i = 0; i < 513; i++)
		writeq(0, (char __iomem *)fregs + FIFO_TX_DATA);
	assert_int_equal(frd(FIFO_TX_LEVEL), 4096);
	assert_true(frd(FIFO_STATUS) & FIFO_ST_TX_FULL);
	assert_true(frd(FIFO_INT_STATUS) & FIFO_INT_TX_OVERRUN);
}

/* Rates on a manual clock: exactly RATE bytes per ms. */
static void rates(void **st)
{
	(void)st;
	fwr(FIFO_RX_RATE, 100);
	fwr(FIFO_CTRL, FIFO_CTRL_RX_EN);
	assert_int_equal(frd(FIFO_RX_LEVEL), 0);
	assert_int_equal(dk_clock_advance(1000000), 0);
	assert_int_equal(frd(FIFO_RX_LEVEL), 100);
	assert_int_equal(dk_clock_advance(500000), 0);
	assert_int_equal(frd(FIFO_RX_LEVEL), 150);
	/* The device thread follows the clock too (no register access). */
	fwr(FIFO_RX_THRESH, 200);
	fwr(FIFO_CTRL, FIFO_CTRL_RX_EN | FIFO_CTRL_RX_DMA);
	assert_int_equal(frd(FIFO_STATUS) & FIFO_ST_RX_REQ, 0);
	assert_int_equal(dk_clock_advance(500000), 0);
	assert_int_equal(frd(FIFO_RX_LEVEL), 200);
	assert_true(frd(FIFO_STATUS) & FIFO_ST_RX_REQ);
	/* Overrun: 50 ms at 100/ms = 5000 bytes, 4096 fit. */
	assert_int_equal(dk_clock_advance(50000000), 0);
	assert_int_equal(frd(FIFO_RX_LEVEL), 4096);
	assert_int_equal(frd(FIFO_RX_DROPPED), 200 + 5000 - 4096);
	assert_true(frd(FIFO_INT_STATUS) & FIFO_INT_RX_OVERRUN);
	assert_true(readq((char __iomem *)fregs + FIFO_RX_COUNT) == 5200);
	/* TX sink at 10/ms: underrun when it runs dry. */
	fwr(FIFO_TX_RATE, 10);
	fwr(FIFO_CTRL, FIFO_CTRL_TX_EN);
	fwr(FIFO_TX_DATA, 0);
	fwr(FIFO_TX_DATA, 0);
	assert_int_equal(dk_clock_advance(500000), 0);
	assert_int_equal(frd(FIFO_TX_LEVEL), 3);
	assert_int_equal(frd(FIFO_INT_STATUS) & FIFO_INT_TX_UNDERRUN, 0);
	assert_int_equal(dk_clock_advance(1000000), 0);
	assert_int_equal(frd(FIFO_TX_LEVEL), 0);
	assert_true(frd(FIFO_INT_STATUS) & FIFO_INT_TX_UNDERRUN);
}

/* ---- with the DMA controller --------------------------------------------- */

static void chan_start(u64 desc, unsigned int line)
{
	cwr(DMAC_CH_INT_MASK, DMAC_INT_ALL);
	cwr(DMAC_CH_CTRL, DMAC_CTRL_EN | line << DMAC_CTRL_REQ_SHIFT);
	writeq(desc, (char __iomem *)dregs + DMAC_CH(0) + DMAC_CH_DESC_PTR);
	cwr(DMAC_CH_CMD, DMAC_CMD_START);
}

static void dma_receive(void **st)
{
	const u32 len = 256u << 10;
	u8 *b = host(BUF);

	(void)st;
	memset(b, 0, len + 64);
	fwr(FIFO_SEED, 0x5d);
	fwr(FIFO_RX_THRESH, 8 * 16);
	/* Two descriptors: 8-byte beats, 16 per burst. */
	put_desc(DESC_BASE, fbase + FIFO_RX_DATA, BUF, len / 2,
		 DMAC_OP_DEV_TO_MEM | 3u << 8 | 4u << 12, DESC_BASE + 64);
	put_desc(DESC_BASE + 64, fbase + FIFO_RX_DATA, BUF + len / 2, len / 2,
		 DMAC_OP_DEV_TO_MEM | 3u << 8 | 4u << 12 | DMAC_CTL_LAST |
			 DMAC_CTL_IRQ, 0);
	chan_start(DESC_BASE, LINE_RX);
	/* Nothing asserted yet: the channel waits. */
	assert_int_equal(crd(DMAC_CH_BYTES), 0);
	assert_int_equal(crd(DMAC_CH_STATUS), DMAC_STATE_BUSY);
	fwr(FIFO_CTRL, FIFO_CTRL_RX_DMA | FIFO_CTRL_RX_EN);
	assert_true(DK_WAIT_UNTIL(nirq() == 1, 10000));
	assert_int_equal(crd(DMAC_CH_STATUS), DMAC_STATE_IDLE);
	assert_int_equal(crd(DMAC_CH_COMPLETED), 2);
	for (u32 i = 0; i < len; i++)
		if (b[i] != (u8)(i * 7 + 0x5d))
			fail_msg("byte %u: 0x%02x, expected 0x%02x", i, b[i],
				 (u8)(i * 7 + 0x5d));
	assert_int_equal(b[len], 0);
	assert_int_equal(frd(FIFO_RX_DROPPED), 0);
	assert_int_equal(frd(FIFO_INT_STATUS) & FIFO_INT_RX_UNDERRUN, 0);
}

static void dma_transmit(void **st)
{
	const u32 len = 128u << 10;
	u8 *b = host(BUF);

	(void)st;
	for (u32 i = 0; i < len; i++)
		b[i] = (u8)(i * 7 + 0x42);
	fwr(FIFO_SEED, 0x4200);
	fwr(FIFO_TX_THRESH, 4 * 32);
	fwr(FIFO_TX_RATE, 0);
	put_desc(DESC_BASE, BUF, fbase + FIFO_TX_DATA, len,
		 DMAC_OP_MEM_TO_DEV | 2u << 8 | 5u << 12 | DMAC_CTL_LAST |
			 DMAC_CTL_IRQ, 0);
	/* The sink is off: the FIFO fills and the channel waits. */
	fwr(FIFO_CTRL, FIFO_CTRL_TX_DMA | FIFO_CTRL_TX_CHECK);
	chan_start(DESC_BASE, LINE_TX);
	assert_true(DK_WAIT_UNTIL(frd(FIFO_TX_LEVEL) > 4096 - 128, 10000));
	assert_int_equal(crd(DMAC_CH_STATUS), DMAC_STATE_BUSY);
	assert_int_equal(frd(FIFO_INT_STATUS) & FIFO_INT_TX_OVERRUN, 0);
	fwr(FIFO_CTRL, FIFO_CTRL_TX_DMA | FIFO_CTRL_TX_CHECK |
			       FIFO_CTRL_TX_EN);
	assert_true(DK_WAIT_UNTIL(nirq() == 1, 10000));
	assert_true(DK_WAIT_UNTIL(readq((char __iomem *)fregs +
					FIFO_TX_COUNT) == len, 10000));
	assert_int_equal(frd(FIFO_TX_ERRORS), 0);
	assert_int_equal(frd(FIFO_INT_STATUS) &
				 (FIFO_INT_TX_OVERRUN | FIFO_INT_TX_MISMATCH),
			 0);
}

/* Cyclic receive paced by a manual clock: exactly one interrupt per lap. */
static void cyclic_laps(void **st)
{
	u8 *b = host(BUF);

	(void)st;
	fwr(FIFO_RX_THRESH, 64);
	fwr(FIFO_RX_RATE, 256);		/* one lap (2 x 128 B) per ms */
	for (unsigned int i = 0; i < 2; i++)
		put_desc(DESC_BASE + 64 * i, fbase + FIFO_RX_DATA,
			 BUF + 128 * i, 128,
			 DMAC_OP_DEV_TO_MEM | 3u << 8 | 3u << 12 |
				 (i ? DMAC_CTL_IRQ : 0),
			 DESC_BASE + 64 * ((i + 1) % 2));
	chan_start(DESC_BASE, LINE_RX);
	fwr(FIFO_CTRL, FIFO_CTRL_RX_DMA | FIFO_CTRL_RX_EN);
	for (int lap = 1; lap <= 5; lap++) {
		assert_int_equal(dk_clock_advance(1000000), 0);
		assert_true(DK_WAIT_UNTIL(nirq() == lap, 10000));
		assert_true(DK_WAIT_UNTIL(crd(DMAC_CH_COMPLETED) ==
						  (u32)lap * 2, 10000));
		for (u32 i = 0; i < 256; i++)
			assert_int_equal(b[i],
					 (u8)((256 * (lap - 1) + i) * 7));
	}
	assert_int_equal(nirq(), 5);
	cwr(DMAC_CH_CMD, DMAC_CMD_ABORT);
	assert_int_equal(crd(DMAC_CH_STATUS), DMAC_STATE_IDLE);
}

/* A list waiting on its peripheral is extended, then data flows. */
static void append_while_waiting(void **st)
{
	u8 *b = host(BUF);
	u64 next = DESC_BASE + 64;
	u32 ctl = DMAC_OP_DEV_TO_MEM | 3u << 8 | 3u << 12;

	(void)st;
	fwr(FIFO_RX_THRESH, 64);
	fwr(FIFO_RX_RATE, 64);
	put_desc(DESC_BASE, fbase + FIFO_RX_DATA, BUF, 128,
		 ctl | DMAC_CTL_LAST, 0);
	chan_start(DESC_BASE, LINE_RX);
	fwr(FIFO_CTRL, FIFO_CTRL_RX_DMA | FIFO_CTRL_RX_EN);
	assert_int_equal(dk_clock_advance(1000000), 0);
	/* Half of the first descriptor arrived; it is in progress. */
	assert_true(DK_WAIT_UNTIL(crd(DMAC_CH_BYTES) == 64, 10000));
	put_desc(DESC_BASE + 64, fbase + FIFO_RX_DATA, BUF + 128, 64,
		 ctl | DMAC_CTL_LAST | DMAC_CTL_IRQ, 0);
	memcpy((u8 *)host(DESC_BASE) + DMAC_D_NEXT, &next, 8);
	memcpy((u8 *)host(DESC_BASE) + DMAC_D_CTL, &ctl, 4);
	assert_int_equal(dk_clock_advance(2000000), 0);
	assert_true(DK_WAIT_UNTIL(nirq() == 1, 10000));
	assert_int_equal(crd(DMAC_CH_STATUS), DMAC_STATE_IDLE);
	assert_int_equal(crd(DMAC_CH_COMPLETED), 2);
	for (u32 i = 0; i < 192; i++)
		assert_int_equal(b[i], (u8)(i * 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_wiring, setup, teardown),
		cmocka_unit_test_setup_teardown(registers, setup, teardown),
		cmocka_unit_test_setup_teardown(pattern_and_requests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(rates, setup_manual, teardown),
		cmocka_unit_test_setup_teardown(dma_receive, setup, teardown),
		cmocka_unit_test_setup_teardown(dma_transmit, setup, teardown),
		cmocka_unit_test_setup_teardown(cyclic_laps, setup_manual,
						teardown),
		cmocka_unit_test_setup_teardown(append_while_waiting,
						setup_manual, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
