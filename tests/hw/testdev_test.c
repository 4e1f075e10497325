// SPDX-License-Identifier: MIT
/*
 * testdev_test.c - the test copy device model (docs/hw/testdev.md) through
 * its three doors only: MMIO (readl/writel on an ioremap()ped window), RAM
 * and its interrupt. No driver is registered; the test plays the driver.
 *
 * Covers reset values and every register, write-1-to-clear, 64-bit
 * accesses, copy and fill, zero length, reserved operation, doorbell while
 * busy, abort, DMA faults (status, fault counter, nothing written past the
 * faulting burst), interrupt masking and exactly one message per event,
 * and a report for each bad access.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/platform_device.h>
#include <dmakit/hw/testdev.h>
#include <dmakit/machine.h>
#include "dk_test.h"

/* Scratch RAM the test DMAs to, far from what the allocators hand out. */
#define BUF_A	(DK_RAM_HIGH_BASE + 0x40000000ull)
#define BUF_B	(DK_RAM_HIGH_BASE + 0x50000000ull)
#define BIG_SRC	(DK_RAM_HIGH_BASE + 0x60000000ull)
#define BIG_DST	(DK_RAM_HIGH_BASE + 0x70000000ull)
/* Not RAM, not MMIO: below the low RAM region. */
#define NOWHERE	0x10000000ull

static struct dk_machine *m;
static struct platform_device *pdev;
static void __iomem *regs;
static int irq;

/* Written by the handler (hard-IRQ thread), read by the test: atomics. */
static int irq_count;
static unsigned int irq_seen;	/* OR of INT_STATUS values seen */
static int irq_ack = 1;		/* handler acknowledges what it saw */

static irqreturn_t count_irq(int vec, void *data)
{
	u32 pending = readl((char __iomem *)regs + TESTDEV_INT_STATUS);

	(void)vec;
	(void)data;
	__atomic_or_fetch(&irq_seen, pending, __ATOMIC_RELAXED);
	if (__atomic_load_n(&irq_ack, __ATOMIC_RELAXED))
		writel(pending, (char __iomem *)regs + TESTDEV_INT_STATUS);
	__atomic_add_fetch(&irq_count, 1, __ATOMIC_RELEASE);
	return IRQ_HANDLED;
}

static int irqs(void)
{
	return __atomic_load_n(&irq_count, __ATOMIC_ACQUIRE);
}

static u32 rd(unsigned int off)
{
	return readl((char __iomem *)regs + off);
}

static void wr(unsigned int off, u32 v)
{
	writel(v, (char __iomem *)regs + off);
}

static u32 state(void)
{
	return rd(TESTDEV_STATUS) & TESTDEV_STATE_MASK;
}

static u32 err_code(void)
{
	return (rd(TESTDEV_STATUS) & TESTDEV_ERR_MASK) >> TESTDEV_ERR_SHIFT;
}

static int setup(void **st)
{
	struct resource *res;

	(void)st;
	dk_test_log_capture();
	if (dk_machine_create(NULL, &m))
		return -1;
	if (dk_machine_add_testdev(m, NULL, &pdev))
		return -1;
	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	irq = platform_get_irq(pdev, 0);
	if (!res || irq <= 0)
		return -1;
	regs = ioremap(res->start, resource_size(res));
	if (!regs)
		return -1;
	__atomic_store_n(&irq_count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&irq_seen, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&irq_ack, 1, __ATOMIC_RELAXED);
	return request_irq((unsigned int)irq, count_irq, 0, "testdev-test",
			   &irq_count);
}

static int teardown(void **st)
{
	int leaks;

	(void)st;
	free_irq((unsigned int)irq, &irq_count);
	iounmap(regs);
	leaks = dk_machine_destroy(m);
	if (leaks)
		dk_test_log_dump();
	dk_test_log_release();
	m = NULL;
	return leaks;
}

/* Enable DONE|ERROR|REJECT interrupts. */
static void irq_on(void)
{
	wr(TESTDEV_INT_MASK, TESTDEV_INT_ALL);
}

static void program(u32 op, u64 dst, u64 src, u32 len)
{
	writeq(src, (char __iomem *)regs + TESTDEV_SRC_LO);
	writeq(dst, (char __iomem *)regs + TESTDEV_DST_LO);
	wr(TESTDEV_LEN, len);
	wr(TESTDEV_CTRL, op | TESTDEV_CTRL_IRQ_EN);
}

/* Ring and wait for the device to leave BUSY (polling, with a deadline). */
static void ring_and_wait(void)
{
	wr(TESTDEV_DOORBELL, TESTDEV_DB_START);
	assert_true(DK_WAIT_UNTIL(state() != TESTDEV_STATE_BUSY, 10000));
}

static void fill_host(u64 phys, size_t n, unsigned int seed)
{
	u8 *p = phys_to_virt(phys);

	for (size_t i = 0; i < n; i++)
		p[i] = (u8)(i * 13 + seed);
}

/* ---- bad arguments ------------------------------------------------------- */

static void add_rejects_bad_arguments(void **st)
{
	struct dk_device_config cfg;
	struct platform_device *p = (void *)1;

	(void)st;
	assert_int_equal(dk_machine_add_testdev(NULL, NULL, &p), -EINVAL);
	assert_null(p);

	dk_device_config_init(&cfg);
	cfg.mmio_base = DK_MMIO_BASE + 0x123;	/* not 4 KiB aligned */
	assert_int_equal(dk_machine_add_testdev(m, &cfg, NULL), -EINVAL);

	dk_device_config_init(&cfg);
	cfg.name = dev_name(&pdev->dev);	/* taken */
	assert_int_equal(dk_machine_add_testdev(m, &cfg, NULL), -EEXIST);
	/* Teardown checks that the refused models were released. */
}

static void bad_accesses_are_reported_once(void **st)
{
	(void)st;
	dk_test_log_clear();
	assert_int_equal(rd(0x100), 0);
	assert_log_count("0x100", 1);
	assert_int_equal(rd(0xffc), 0);
	assert_log_count("0xffc", 1);
	assert_int_equal(rd(0x024), 0);	/* the gap after LEN */
	assert_log_count("0x024", 1);

	wr(0x200, 0x1234);
	assert_log_count("0x200", 1);
	assert_int_equal(rd(0x200), 0);
	assert_log_count("0x200", 2);	/* the read reports too */

	/* Read-only registers: writes dropped, reported with the name. */
	wr(TESTDEV_ID, 0);
	assert_log_count("read-only register ID (0x000)", 1);
	wr(TESTDEV_VERSION, 0);
	assert_log_count("VERSION (0x004)", 1);
	wr(TESTDEV_STATUS, 0xffffffff);
	assert_log_count("STATUS (0x034)", 1);
	wr(TESTDEV_BYTES_DONE, 5);
	assert_log_count("BYTES_DONE (0x038)", 1);
	assert_int_equal(rd(TESTDEV_ID), TESTDEV_ID_VALUE);
	assert_int_equal(rd(TESTDEV_VERSION), TESTDEV_VERSION_VALUE);
	assert_int_equal(rd(TESTDEV_STATUS), 0);
	assert_int_equal(rd(TESTDEV_BYTES_DONE), 0);

	/* Reserved CTRL bits: masked, reported. */
	wr(TESTDEV_CTRL, 0xffffffff);
	assert_log_count("reserved bits", 1);
	assert_int_equal(rd(TESTDEV_CTRL), TESTDEV_CTRL_RW_MASK);

	/* A 2-byte access is not a width the device takes: no handler call. */
	dk_test_log_clear();
	assert_int_equal(readw((char __iomem *)regs + TESTDEV_ID), 0xffff);
	assert_true(dk_test_log_count(NULL) >= 1);
	assert_int_equal(irqs(), 0);
}

/* ---- registers ----------------------------------------------------------- */

static void reset_values(void **st)
{
	static const struct { unsigned int off; u32 val; } regs_reset[] = {
		{ TESTDEV_ID, TESTDEV_ID_VALUE },
		{ TESTDEV_VERSION, TESTDEV_VERSION_VALUE },
		{ TESTDEV_CTRL, 0 }, { TESTDEV_SRC_LO, 0 },
		{ TESTDEV_SRC_HI, 0 }, { TESTDEV_DST_LO, 0 },
		{ TESTDEV_DST_HI, 0 }, { TESTDEV_LEN, 0 },
		{ TESTDEV_FILL_LO, 0 }, { TESTDEV_FILL_HI, 0 },
		{ TESTDEV_DOORBELL, 0 }, { TESTDEV_STATUS, 0 },
		{ TESTDEV_BYTES_DONE, 0 }, { TESTDEV_INT_STATUS, 0 },
		{ TESTDEV_INT_MASK, 0 },
	};

	(void)st;
	for (size_t i = 0; i < sizeof(regs_reset) / sizeof(regs_reset[0]);
	     i++) {
		u32 v = rd(regs_reset[i].off);

		if (v != regs_reset[i].val)
			print_error("register 0x%03x: 0x%08x, expected 0x%08x\n",
				    regs_reset[i].off, v, regs_reset[i].val);
		assert_int_equal(v, regs_reset[i].val);
	}
	assert_int_equal(dk_test_log_count(NULL), 0);
}

static void registers_read_back(void **st)
{
	static const unsigned int rw[] = {
		TESTDEV_SRC_LO, TESTDEV_SRC_HI, TESTDEV_DST_LO,
		TESTDEV_DST_HI, TESTDEV_LEN, TESTDEV_FILL_LO,
		TESTDEV_FILL_HI,
	};
	char __iomem *b = regs;

	(void)st;
	for (size_t i = 0; i < sizeof(rw) / sizeof(rw[0]); i++) {
		wr(rw[i], 0xdead0000u | (u32)i);
		assert_int_equal(rd(rw[i]), 0xdead0000u | (u32)i);
		wr(rw[i], 0);
		assert_int_equal(rd(rw[i]), 0);
	}
	/* 64-bit accesses: low half at the offset, high half above. */
	writeq(0x1122334455667788ull, b + TESTDEV_SRC_LO);
	assert_int_equal(rd(TESTDEV_SRC_LO), 0x55667788u);
	assert_int_equal(rd(TESTDEV_SRC_HI), 0x11223344u);
	assert_true(readq(b + TESTDEV_SRC_LO) == 0x1122334455667788ull);
	wr(TESTDEV_SRC_HI, 0xaabbccdd);
	assert_true(readq(b + TESTDEV_SRC_LO) == 0xaabbccdd55667788ull);
	writeq(0x0102030405060708ull, b + TESTDEV_FILL_LO);
	assert_true(readq(b + TESTDEV_FILL_LO) == 0x0102030405060708ull);
	assert_true(readq(b + TESTDEV_ID) ==
		    ((u64)TESTDEV_VERSION_VALUE << 32 | TESTDEV_ID_VALUE));

	wr(TESTDEV_INT_MASK, 0xffffffff);
	assert_int_equal(rd(TESTDEV_INT_MASK), TESTDEV_INT_ALL);
	wr(TESTDEV_CTRL, TESTDEV_CTRL_OP_FILL | TESTDEV_CTRL_IRQ_EN);
	assert_int_equal(rd(TESTDEV_CTRL),
			 TESTDEV_CTRL_OP_FILL | TESTDEV_CTRL_IRQ_EN);
	/* Enabling with nothing pending sends nothing. */
	assert_int_equal(irqs(), 0);
	assert_int_equal(dk_test_log_count(NULL), 0);
}

/* ---- transfers ----------------------------------------------------------- */

static void copy_sets_done_and_interrupts_once(void **st)
{
	const u32 lens[] = { 1, 7, 4096, 65536, 65537, 300001 };
	struct dk_counters c0, c1;
	int expect = 0;

	(void)st;
	irq_on();
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		u64 src = BUF_A + i, dst = BUF_B + 3 * i;
		u8 *d = phys_to_virt(dst);

		fill_host(src, lens[i], (unsigned int)i);
		memset(d - 1, 0xee, lens[i] + 2);
		assert_int_equal(dk_device_counters(pdev, &c0), 0);
		program(TESTDEV_CTRL_OP_COPY, dst, src, lens[i]);
		ring_and_wait();
		expect++;
		assert_true(DK_WAIT_UNTIL(irqs() == expect, 5000));
		assert_int_equal(state(), TESTDEV_STATE_DONE);
		assert_int_equal(err_code(), TESTDEV_ERR_NONE);
		assert_int_equal(rd(TESTDEV_BYTES_DONE), lens[i]);
		assert_memory_equal(d, phys_to_virt(src), lens[i]);
		assert_int_equal(d[-1], 0xee);
		assert_int_equal(d[lens[i]], 0xee);
		assert_int_equal(dk_device_counters(pdev, &c1), 0);
		assert_true(c1.dma_read_bytes - c0.dma_read_bytes == lens[i]);
		assert_true(c1.dma_write_bytes - c0.dma_write_bytes ==
			    lens[i]);
		assert_true(c1.dma_read_txns - c0.dma_read_txns ==
			    (lens[i] + TESTDEV_BURST - 1) / TESTDEV_BURST);
		assert_true(c1.irqs - c0.irqs == 1);
		assert_true(c1.faults == c0.faults);
	}
	assert_int_equal(rd(TESTDEV_INT_STATUS), 0);	/* handler acked */
	assert_int_equal(irqs(), expect);		/* nothing late */
	assert_int_equal(__atomic_load_n(&irq_seen, __ATOMIC_RELAXED),
			 TESTDEV_INT_DONE);
}

static void fill_writes_the_pattern(void **st)
{
	const u64 pat = 0x8877665544332211ull;
	const u32 len = 200003;
	u64 dst = BUF_B + 5;
	u8 *d = phys_to_virt(dst);

	(void)st;
	irq_on();
	memset(d - 8, 0xee, len + 16);
	writeq(pat, (char __iomem *)regs + TESTDEV_FILL_LO);
	program(TESTDEV_CTRL_OP_FILL, dst, NOWHERE /* unused */, len);
	ring_and_wait();
	assert_true(DK_WAIT_UNTIL(irqs() == 1, 5000));
	assert_int_equal(state(), TESTDEV_STATE_DONE);
	for (u32 i = 0; i < len; i++) {
		if (d[i] != (u8)(pat >> (8 * (i % 8))))
			fail_msg("byte %u is 0x%02x, expected 0x%02x", i, d[i],
				 (u8)(pat >> (8 * (i % 8))));
	}
	for (int i = 1; i <= 8; i++) {
		assert_int_equal(d[-i], 0xee);
		assert_int_equal(d[len - 1 + i], 0xee);
	}
}

static void int_status_is_write_one_to_clear(void **st)
{
	(void)st;
	__atomic_store_n(&irq_ack, 0, __ATOMIC_RELAXED);
	irq_on();
	wr(TESTDEV_LEN, 0);
	wr(TESTDEV_CTRL, TESTDEV_CTRL_IRQ_EN);
	wr(TESTDEV_DOORBELL, TESTDEV_DB_START);		/* ERROR */
	assert_true(DK_WAIT_UNTIL(irqs() == 1, 5000));
	fill_host(BUF_A, 16, 0);
	program(TESTDEV_CTRL_OP_COPY, BUF_B, BUF_A, 16);
	ring_and_wait();				/* DONE */
	assert_int_equal(rd(TESTDEV_INT_STATUS),
			 TESTDEV_INT_DONE | TESTDEV_INT_ERROR);
	/* Still asserted: no second message for DONE. */
	assert_int_equal(irqs(), 1);

	wr(TESTDEV_INT_STATUS, 0);		/* writing 0: no effect */
	assert_int_equal(rd(TESTDEV_INT_STATUS),
			 TESTDEV_INT_DONE | TESTDEV_INT_ERROR);
	wr(TESTDEV_INT_STATUS, TESTDEV_INT_ERROR);
	assert_int_equal(rd(TESTDEV_INT_STATUS), TESTDEV_INT_DONE);
	wr(TESTDEV_INT_STATUS, TESTDEV_INT_ALL);
	assert_int_equal(rd(TESTDEV_INT_STATUS), 0);
	assert_int_equal(irqs(), 1);
}

static void masking_holds_the_interrupt_back(void **st)
{
	(void)st;
	fill_host(BUF_A, 64, 1);
	/* Masked: the event is recorded, no message. */
	wr(TESTDEV_INT_MASK, 0);
	program(TESTDEV_CTRL_OP_COPY, BUF_B, BUF_A, 64);
	ring_and_wait();
	assert_int_equal(rd(TESTDEV_INT_STATUS), TESTDEV_INT_DONE);
	assert_int_equal(irqs(), 0);
	/* Unmasking a pending event sends the message once. */
	wr(TESTDEV_INT_MASK, TESTDEV_INT_DONE);
	assert_true(DK_WAIT_UNTIL(irqs() == 1, 5000));

	/* IRQ_EN clear: same, until it is set. */
	wr(TESTDEV_CTRL, TESTDEV_CTRL_OP_COPY);
	wr(TESTDEV_DOORBELL, TESTDEV_DB_START);
	assert_true(DK_WAIT_UNTIL(state() == TESTDEV_STATE_DONE, 5000));
	assert_int_equal(rd(TESTDEV_INT_STATUS), TESTDEV_INT_DONE);
	assert_int_equal(irqs(), 1);
	wr(TESTDEV_CTRL, TESTDEV_CTRL_OP_COPY | TESTDEV_CTRL_IRQ_EN);
	assert_true(DK_WAIT_UNTIL(irqs() == 2, 5000));
	assert_int_equal(rd(TESTDEV_INT_STATUS), 0);
}

static void zero_length_and_bad_op_are_errors(void **st)
{
	struct dk_counters c0, c1;

	(void)st;
	irq_on();
	assert_int_equal(dk_device_counters(pdev, &c0), 0);
	program(TESTDEV_CTRL_OP_COPY, BUF_B, BUF_A, 0);
	wr(TESTDEV_DOORBELL, TESTDEV_DB_START);
	/* Decided in the doorbell handler: visible at once. */
	assert_int_equal(state(), TESTDEV_STATE_ERROR);
	assert_int_equal(err_code(), TESTDEV_ERR_ZERO_LEN);
	assert_true(DK_WAIT_UNTIL(irqs() == 1, 5000));

	program(2 /* reserved */, BUF_B, BUF_A, 16);
	wr(TESTDEV_DOORBELL, TESTDEV_DB_START);
	assert_int_equal(state(), TESTDEV_STATE_ERROR);
	assert_int_equal(err_code(), TESTDEV_ERR_BAD_OP);
	assert_true(DK_WAIT_UNTIL(irqs() == 2, 5000));

	assert_int_equal(dk_device_counters(pdev, &c1), 0);
	assert_true(c1.dma_read_txns == c0.dma_read_txns);
	assert_true(c1.dma_write_txns == c0.dma_write_txns);
	assert_true(c1.faults == c0.faults);
	assert_int_equal(__atomic_load_n(&irq_seen, __ATOMIC_RELAXED),
			 TESTDEV_INT_ERROR);

	/* A doorbell without START does nothing; neither does ABORT idle. */
	wr(TESTDEV_DOORBELL, 0);
	wr(TESTDEV_DOORBELL, TESTDEV_DB_ABORT);
	assert_int_equal(err_code(), TESTDEV_ERR_BAD_OP);
	assert_int_equal(irqs(), 2);
}

static void doorbell_while_busy_is_refused_and_abort_stops(void **st)
{
	const u32 len = 64u << 20;
	bool rejected = false;
	int expect = 0;

	(void)st;
	irq_on();
	/* Retry in case the device finishes before the second doorbell. */
	for (int attempt = 0; attempt < 5 && !rejected; attempt++) {
		u32 status;

		program(TESTDEV_CTRL_OP_COPY, BIG_DST, BIG_SRC, len);
		wr(TESTDEV_DOORBELL, TESTDEV_DB_START);
		wr(TESTDEV_DOORBELL, TESTDEV_DB_START);
		status = rd(TESTDEV_STATUS);
		if (status & TESTDEV_STATUS_REJECTED) {
			rejected = true;
			assert_int_equal(status & TESTDEV_STATE_MASK,
					 TESTDEV_STATE_BUSY);
			expect++;	/* the REJECT event */
			assert_true(DK_WAIT_UNTIL(irqs() == expect, 5000));
			assert_true(__atomic_load_n(&irq_seen,
						    __ATOMIC_RELAXED) &
				    TESTDEV_INT_REJECT);
			assert_log_count("doorbell rung while busy", 1);
		}
		wr(TESTDEV_DOORBELL, TESTDEV_DB_ABORT);
		assert_true(DK_WAIT_UNTIL(state() != TESTDEV_STATE_BUSY,
					  10000));
		if (!rejected) {
			/* Both STARTs ran: resynchronize the count. */
			assert_true(DK_WAIT_UNTIL(
				rd(TESTDEV_INT_STATUS) == 0, 5000));
			expect = irqs();
			continue;
		}
		expect++;
		assert_true(DK_WAIT_UNTIL(irqs() == expect, 5000));
		if (state() == TESTDEV_STATE_ERROR) {
			u32 done = rd(TESTDEV_BYTES_DONE);

			assert_int_equal(err_code(), TESTDEV_ERR_ABORTED);
			assert_true(done < len);
			assert_int_equal(done % TESTDEV_BURST, 0);
		}
	}
	assert_true(rejected);
	/* The engine stays usable; the next START clears REJECTED. */
	fill_host(BUF_A, 100, 3);
	program(TESTDEV_CTRL_OP_COPY, BUF_B, BUF_A, 100);
	ring_and_wait();
	assert_int_equal(rd(TESTDEV_STATUS), TESTDEV_STATE_DONE);
	assert_memory_equal(phys_to_virt(BUF_B), phys_to_virt(BUF_A), 100);
}

static void dma_faults_stop_the_transfer(void **st)
{
	struct dk_counters c0, c1;
	u8 *d = phys_to_virt(BUF_B);
	const u32 n = 3 * TESTDEV_BURST;
	u64 low_end = DK_RAM_LOW_BASE + DK_RAM_LOW_SIZE;

	(void)st;
	irq_on();
	assert_int_equal(dk_device_counters(pdev, &c0), 0);

	/* Destination outside RAM: nothing written anywhere. */
	fill_host(BUF_A, 4096, 9);
	dk_test_log_clear();
	program(TESTDEV_CTRL_OP_COPY, NOWHERE, BUF_A, 4096);
	ring_and_wait();
	assert_true(DK_WAIT_UNTIL(irqs() == 1, 5000));
	assert_int_equal(state(), TESTDEV_STATE_ERROR);
	assert_int_equal(err_code(), TESTDEV_ERR_DST_FAULT);
	assert_int_equal(rd(TESTDEV_BYTES_DONE), 0);
	assert_log_count("refused", 1);
	assert_int_equal(dk_device_counters(pdev, &c1), 0);
	assert_true(c1.faults - c0.faults == 1);
	assert_true(c1.dma_write_bytes == c0.dma_write_bytes);

	/* Source outside RAM: destination untouched. */
	memset(d, 0xee, 4096);
	dk_test_log_clear();
	program(TESTDEV_CTRL_OP_COPY, BUF_B, NOWHERE, 4096);
	ring_and_wait();
	assert_true(DK_WAIT_UNTIL(irqs() == 2, 5000));
	assert_int_equal(err_code(), TESTDEV_ERR_SRC_FAULT);
	assert_log_count("refused", 1);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(d[i], 0xee);

	/* Source runs off the end of low RAM in the second burst. */
	fill_host(low_end - TESTDEV_BURST, TESTDEV_BURST, 4);
	memset(d, 0xee, n);
	program(TESTDEV_CTRL_OP_COPY, BUF_B, low_end - TESTDEV_BURST, n);
	ring_and_wait();
	assert_true(DK_WAIT_UNTIL(irqs() == 3, 5000));
	assert_int_equal(err_code(), TESTDEV_ERR_SRC_FAULT);
	assert_int_equal(rd(TESTDEV_BYTES_DONE), TESTDEV_BURST);
	assert_memory_equal(d, phys_to_virt(low_end - TESTDEV_BURST),
			    TESTDEV_BURST);
	for (u32 i = TESTDEV_BURST; i < n; i++)
		if (d[i] != 0xee)
			fail_msg("byte %u past the fault was written", i);

	/* Fill into nothing. */
	program(TESTDEV_CTRL_OP_FILL, NOWHERE, 0, 64);
	ring_and_wait();
	assert_true(DK_WAIT_UNTIL(irqs() == 4, 5000));
	assert_int_equal(err_code(), TESTDEV_ERR_DST_FAULT);

	assert_int_equal(dk_device_counters(pdev, &c1), 0);
	assert_true(c1.faults - c0.faults == 4);
	assert_true(c1.irqs - c0.irqs == 4);

	/* And the device still works. */
	program(TESTDEV_CTRL_OP_COPY, BUF_B, BUF_A, 4096);
	ring_and_wait();
	assert_int_equal(state(), TESTDEV_STATE_DONE);
	assert_true(DK_WAIT_UNTIL(irqs() == 5, 5000));
	assert_int_equal(irqs(), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(add_rejects_bad_arguments,
						setup, teardown),
		cmocka_unit_test_setup_teardown(bad_accesses_are_reported_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(reset_values, setup, teardown),
		cmocka_unit_test_setup_teardown(registers_read_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			copy_sets_done_and_interrupts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(fill_writes_the_pattern, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			int_status_is_write_one_to_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(
			masking_holds_the_interrupt_back, setup, teardown),
		cmocka_unit_test_setup_teardown(
			zero_length_and_bad_op_are_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(
			doorbell_while_busy_is_refused_and_abort_stops, setup,
			teardown),
		cmocka_unit_test_setup_teardown(dma_faults_stop_the_transfer,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
