// SPDX-License-Identifier: MIT
/*
 * dmac_test.c - the DK-DMAC model (docs/hw/dmac.md) through its three
 * doors only: MMIO, RAM (descriptors and data) and its interrupts. No
 * driver is registered; the test plays the driver.
 *
 * Covers reset values, copy and fill lists, LAST/IDLE, IRQ per descriptor,
 * RESULT/RBYTES write-back, COMPLETED, cyclic lists, pause/resume (BYTES
 * stable), abort (nothing written after the CMD returns), appending to a
 * running list, every error code (IOMMU faults on a machine with an IOMMU,
 * other channels unaffected), two channels at once, GCTRL reset, and
 * destroying the machine with every channel running.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/platform_device.h>
#include <dmakit/drivers/dmac.h>
#include <dmakit/hw/dmac.h>
#include <dmakit/machine.h>
#include "dk_test.h"
#include "dmac_desc.h"

/* Scratch RAM, far from what the allocators hand out. */
#define DESC_BASE	(DK_RAM_HIGH_BASE + 0x40000000ull)	/* 64 KiB/chan */
#define SRC_BASE	(DK_RAM_HIGH_BASE + 0x50000000ull)
#define DST_BASE	(DK_RAM_HIGH_BASE + 0x60000000ull)
#define CH_AREA		0x01000000ull	/* 16 MiB of data per channel */
#define NOWHERE		0x10000000ull	/* neither RAM nor MMIO */

#define DESC(ch, i)	(DESC_BASE + 0x10000ull * (ch) + 64ull * (i))
#define SRC(ch)		(SRC_BASE + CH_AREA * (ch))
#define DST(ch)		(DST_BASE + CH_AREA * (ch))

static struct dk_machine *m;
static struct platform_device *pdev;
static void __iomem *regs;
static int irqs[DMAC_NCHAN];

/* Written by the handler (hard-IRQ thread), read by the test: atomics. */
static int irq_count[DMAC_NCHAN];
static unsigned int irq_seen[DMAC_NCHAN];
static unsigned int chan_id[DMAC_NCHAN];

static u32 rd(unsigned int off)
{
	return readl((char __iomem *)regs + off);
}

static void wr(unsigned int off, u32 v)
{
	writel(v, (char __iomem *)regs + off);
}

static u32 crd(unsigned int ch, unsigned int off)
{
	return rd(DMAC_CH(ch) + off);
}

static void cwr(unsigned int ch, unsigned int off, u32 v)
{
	wr(DMAC_CH(ch) + off, v);
}

static u64 crd64(unsigned int ch, unsigned int off)
{
	return readq((char __iomem *)regs + DMAC_CH(ch) + off);
}

static u32 state(unsigned int ch)
{
	return crd(ch, DMAC_CH_STATUS) & DMAC_STATE_MASK;
}

static u32 err_code(unsigned int ch)
{
	return (crd(ch, DMAC_CH_STATUS) & DMAC_ERR_MASK) >> DMAC_ERR_SHIFT;
}

/*
 * As the datasheet asks: the message comes on a zero to non-zero edge, so
 * the handler acknowledges until INT_STATUS reads 0.
 */
static irqreturn_t chan_irq(int vec, void *data)
{
	unsigned int n = *(unsigned int *)data;
	u32 pending, all = 0;

	(void)vec;
	while ((pending = crd(n, DMAC_CH_INT_STATUS) &
			  crd(n, DMAC_CH_INT_MASK))) {
		all |= pending;
		cwr(n, DMAC_CH_INT_STATUS, pending);
	}
	/* Counted first: a test that sees the bits sees this message too. */
	__atomic_add_fetch(&irq_count[n], 1, __ATOMIC_RELEASE);
	__atomic_or_fetch(&irq_seen[n], all, __ATOMIC_RELEASE);
	return IRQ_HANDLED;
}

static int nirq(unsigned int ch)
{
	return __atomic_load_n(&irq_count[ch], __ATOMIC_ACQUIRE);
}

static unsigned int seen(unsigned int ch)
{
	return __atomic_load_n(&irq_seen[ch], __ATOMIC_ACQUIRE);
}

static void *host(u64 phys)
{
	return phys_to_virt(phys);
}

static void put_desc(u64 at, u64 src, u64 dst, u32 len, u32 ctl, u64 next)
{
	dk_test_dmac_desc(host(at), src, dst, len, ctl, next);
}

static u32 desc_u32(u64 at, unsigned int off)
{
	u32 v;

	memcpy(&v, (u8 *)host(at) + off, 4);
	return v;
}

static void fill_host(u64 phys, size_t n, unsigned int seed)
{
	u8 *p = host(phys);

	for (size_t i = 0; i < n; i++)
		p[i] = (u8)(i * 13 + seed * 101 + (i >> 8));
}

static int machine_up(bool iommu)
{
	struct dk_machine_config cfg;
	struct resource *res;

	if (dk_machine_current()) {
		dk_machine_destroy(dk_machine_current());
		dk_test_log_release();
	}
	dk_test_log_capture();
	dk_machine_config_init(&cfg);
	cfg.iommu.present = iommu;
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
	if (!regs)
		return -1;
	for (unsigned int n = 0; n < DMAC_NCHAN; n++) {
		irqs[n] = platform_get_irq(pdev, n);
		chan_id[n] = n;
		__atomic_store_n(&irq_count[n], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&irq_seen[n], 0, __ATOMIC_RELAXED);
		if (irqs[n] <= 0 ||
		    request_irq((unsigned int)irqs[n], chan_irq, 0, "dmac-test",
				&chan_id[n]))
			return -1;
	}
	return 0;
}

static int setup(void **st)
{
	(void)st;
	if (machine_up(false)) {
		dk_test_log_dump();
		return -1;
	}
	return 0;
}

static int teardown(void **st)
{
	int leaks;

	(void)st;
	for (unsigned int n = 0; n < DMAC_NCHAN; n++)
		free_irq((unsigned int)irqs[n], &chan_id[n]);
	iounmap(regs);
	leaks = dk_machine_destroy(m);
	if (leaks)
		dk_test_log_dump();
	dk_test_log_release();
	m = NULL;
	return leaks;
}

/* Enable channel @ch with every interrupt and start it at @desc. */
static void start(unsigned int ch, u64 desc)
{
	cwr(ch, DMAC_CH_INT_MASK, DMAC_INT_ALL);
	cwr(ch, DMAC_CH_CTRL, DMAC_CTRL_EN);
	writeq(desc, (char __iomem *)regs + DMAC_CH(ch) + DMAC_CH_DESC_PTR);
	cwr(ch, DMAC_CH_CMD, DMAC_CMD_START);
}

static bool wait_idle_irq(unsigned int ch)
{
	return DK_WAIT_UNTIL(seen(ch) & (DMAC_INT_IDLE | DMAC_INT_ERROR),
			     10000);
}

/* ---- bad arguments ------------------------------------------------------- */

static void bad_arguments(void **st)
{
	struct platform_device *p = NULL;

	(void)st;
	assert_int_equal(dk_machine_add_dmac(NULL, NULL, &p), -EINVAL);
	assert_null(p);
	assert_int_equal(dk_machine_add_fifo(NULL, NULL, &p), -EINVAL);
	assert_int_equal(dk_machine_connect_dma(NULL, pdev, 0, "rx", pdev, 0),
			 -EINVAL);
	assert_int_equal(dk_machine_connect_dma(m, NULL, 0, "rx", pdev, 0),
			 -EINVAL);
	assert_int_equal(dk_machine_connect_dma(m, pdev, 0, NULL, pdev, 0),
			 -EINVAL);
	/* A controller cannot serve itself, and has no request outputs. */
	assert_int_equal(dk_machine_connect_dma(m, pdev, 0, "rx", pdev, 0),
			 -EINVAL);
}

/* ---- reset values and registers ------------------------------------------ */

static void reset_values(void **st)
{
	(void)st;
	assert_int_equal(rd(DMAC_ID), DMAC_ID_VALUE);
	assert_int_equal(rd(DMAC_VERSION), DMAC_VERSION_VALUE);
	assert_int_equal(rd(DMAC_CAP), 0xff070f08u);
	assert_int_equal(rd(DMAC_GINT_STATUS), 0);
	assert_int_equal(rd(DMAC_GCTRL), 0);
	assert_int_equal(rd(0xffc), 0);		/* undefined */
	for (unsigned int n = 0; n < DMAC_NCHAN; n++) {
		for (unsigned int off = 0; off < DMAC_CH_STRIDE; off += 4)
			assert_int_equal(crd(n, off), 0);
	}
	/* RW registers keep what is written, reserved bits read 0. */
	cwr(3, DMAC_CH_CTRL, 0xffffffffu);
	assert_int_equal(crd(3, DMAC_CH_CTRL), 0xf01u);
	cwr(3, DMAC_CH_INT_MASK, 0xffffffffu);
	assert_int_equal(crd(3, DMAC_CH_INT_MASK), 0xfu);
	writeq(0x123456789abcdef0ull,
	       (char __iomem *)regs + DMAC_CH(3) + DMAC_CH_DESC_PTR);
	assert_true(crd64(3, DMAC_CH_DESC_PTR) == 0x123456789abcdef0ull);
	cwr(3, DMAC_CH_DESC_PTR + 4, 0x1);
	assert_int_equal(crd(3, DMAC_CH_DESC_PTR + 4), 1);
	/* Writes to read-only registers are ignored. */
	cwr(3, DMAC_CH_STATUS, 3);
	cwr(3, DMAC_CH_BYTES, 5);
	wr(DMAC_ID, 0);
	assert_int_equal(crd(3, DMAC_CH_STATUS), 0);
	assert_int_equal(crd(3, DMAC_CH_BYTES), 0);
	assert_int_equal(rd(DMAC_ID), DMAC_ID_VALUE);
	/* START with EN clear is ignored. */
	cwr(4, DMAC_CH_CMD, DMAC_CMD_START);
	assert_int_equal(state(4), DMAC_STATE_IDLE);
	/* PAUSE/RESUME/ABORT on an idle channel: nothing. */
	cwr(4, DMAC_CH_CMD, DMAC_CMD_PAUSE | DMAC_CMD_RESUME);
	cwr(4, DMAC_CH_CMD, DMAC_CMD_ABORT);
	assert_int_equal(state(4), DMAC_STATE_IDLE);
	assert_int_equal(crd(4, DMAC_CH_INT_STATUS), 0);
}

/* ---- copy, fill, LAST/IDLE, RESULT, COMPLETED ---------------------------- */

static void copy_list(void **st)
{
	static const u32 lens[] = { 1, 4097, 200000, 65536 };
	u64 s = SRC(0), d = DST(0), off = 0;
	u8 *dh = host(d);

	(void)st;
	fill_host(s, 300000, 1);
	memset(dh, 0x5a, 300000 + 64);
	for (unsigned int i = 0; i < 4; i++) {
		bool last = i == 3;

		put_desc(DESC(0, i), s + off, d + off, lens[i],
			 DMAC_OP_COPY | (last ? DMAC_CTL_LAST : 0),
			 DESC(0, i + 1));
		off += lens[i];
	}
	start(0, DESC(0, 0));
	assert_true(wait_idle_irq(0));
	assert_int_equal(seen(0), DMAC_INT_IDLE);
	assert_int_equal(nirq(0), 1);
	assert_int_equal(state(0), DMAC_STATE_IDLE);
	assert_int_equal(err_code(0), 0);
	assert_int_equal(crd(0, DMAC_CH_COMPLETED), 4);
	assert_true(crd64(0, DMAC_CH_CUR_DESC) == DESC(0, 3));
	assert_int_equal(crd(0, DMAC_CH_BYTES), lens[3]);
	assert_memory_equal(dh, host(s), off);
	for (u64 i = off; i < off + 64; i++)
		assert_int_equal(dh[i], 0x5a);
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(desc_u32(DESC(0, i), DMAC_D_RESULT),
				 DMAC_RESULT_DONE);
		assert_int_equal(desc_u32(DESC(0, i), DMAC_D_RBYTES), lens[i]);
	}
	/* Restart from idle with a new list; COMPLETED keeps counting. */
	put_desc(DESC(0, 8), s, d, 8, DMAC_OP_COPY | DMAC_CTL_LAST, 0);
	__atomic_store_n(&irq_seen[0], 0, __ATOMIC_RELAXED);
	writeq(DESC(0, 8), (char __iomem *)regs + DMAC_CH(0) +
				   DMAC_CH_DESC_PTR);
	cwr(0, DMAC_CH_CMD, DMAC_CMD_START);
	assert_true(wait_idle_irq(0));
	assert_int_equal(crd(0, DMAC_CH_COMPLETED), 5);
	/* Re-enabling the channel resets COMPLETED. */
	cwr(0, DMAC_CH_CTRL, 0);
	cwr(0, DMAC_CH_CTRL, DMAC_CTRL_EN);
	assert_int_equal(crd(0, DMAC_CH_COMPLETED), 0);
}

static void fill(void **st)
{
	u64 d = DST(1);
	u8 *dh = host(d);
	const u64 pat = 0x0807060504030201ull;

	(void)st;
	memset(dh, 0xee, 200000);
	put_desc(DESC(1, 0), pat, d + 3, 150001,
		 DMAC_OP_FILL | DMAC_CTL_IRQ | DMAC_CTL_LAST, 0);
	start(1, DESC(1, 0));
	assert_true(wait_idle_irq(1));
	assert_int_equal(seen(1), DMAC_INT_IDLE | DMAC_INT_DONE);
	assert_int_equal(nirq(1), 1);
	assert_int_equal(dh[0], 0xee);
	assert_int_equal(dh[2], 0xee);
	for (u64 i = 0; i < 150001; i++)
		assert_int_equal(dh[3 + i], (u8)(i % 8 + 1));
	assert_int_equal(dh[3 + 150001], 0xee);
	assert_int_equal(desc_u32(DESC(1, 0), DMAC_D_RESULT), DMAC_RESULT_DONE);
	assert_int_equal(desc_u32(DESC(1, 0), DMAC_D_RBYTES), 150001);
}

/* One single-descriptor list at a time: exactly one message each. */
static void irq_per_descriptor(void **st)
{
	(void)st;
	fill_host(SRC(2), 4096, 2);
	for (unsigned int i = 0; i < 5; i++) {
		put_desc(DESC(2, i), SRC(2), DST(2) + 4096 * i, 4096,
			 DMAC_OP_COPY | DMAC_CTL_IRQ | DMAC_CTL_LAST, 0);
		if (i == 0)
			start(2, DESC(2, 0));
		else {
			writeq(DESC(2, i), (char __iomem *)regs + DMAC_CH(2) +
						   DMAC_CH_DESC_PTR);
			cwr(2, DMAC_CH_CMD, DMAC_CMD_START);
		}
		assert_true(DK_WAIT_UNTIL(nirq(2) == (int)i + 1, 10000));
		assert_true(DK_WAIT_UNTIL(state(2) == DMAC_STATE_IDLE, 10000));
	}
	assert_int_equal(nirq(2), 5);
	assert_int_equal(seen(2), DMAC_INT_DONE | DMAC_INT_IDLE);
	assert_int_equal(crd(2, DMAC_CH_COMPLETED), 5);
	/* Masked: INT_STATUS latches, no message, GINT_STATUS shows none. */
	cwr(2, DMAC_CH_INT_MASK, 0);
	writeq(DESC(2, 0), (char __iomem *)regs + DMAC_CH(2) +
				   DMAC_CH_DESC_PTR);
	cwr(2, DMAC_CH_CMD, DMAC_CMD_START);
	assert_true(DK_WAIT_UNTIL(crd(2, DMAC_CH_COMPLETED) == 6, 10000));
	assert_true(DK_WAIT_UNTIL(crd(2, DMAC_CH_INT_STATUS) ==
					  (DMAC_INT_DONE | DMAC_INT_IDLE),
				  10000));
	assert_int_equal(rd(DMAC_GINT_STATUS), 0);
	/* Unmasking sends it. */
	cwr(2, DMAC_CH_INT_MASK, DMAC_INT_DONE);
	assert_true(DK_WAIT_UNTIL(nirq(2) == 6, 10000));
}

/* IRQ only on the middle descriptor; the rest only counted. */
static void irq_bit_selects(void **st)
{
	(void)st;
	put_desc(DESC(3, 0), SRC(3), DST(3), 64, DMAC_OP_COPY, DESC(3, 1));
	put_desc(DESC(3, 1), SRC(3), DST(3), 64, DMAC_OP_COPY | DMAC_CTL_IRQ,
		 DESC(3, 2));
	put_desc(DESC(3, 2), SRC(3), DST(3), 64, DMAC_OP_COPY | DMAC_CTL_LAST,
		 0);
	cwr(3, DMAC_CH_INT_MASK, DMAC_INT_DONE);
	cwr(3, DMAC_CH_CTRL, DMAC_CTRL_EN);
	writeq(DESC(3, 0), (char __iomem *)regs + DMAC_CH(3) +
				   DMAC_CH_DESC_PTR);
	cwr(3, DMAC_CH_CMD, DMAC_CMD_START);
	assert_true(DK_WAIT_UNTIL(nirq(3) == 1, 10000));
	assert_true(DK_WAIT_UNTIL(state(3) == DMAC_STATE_IDLE, 10000));
	/* The handler saw (and cleared) the masked IDLE too. */
	assert_true(seen(3) & DMAC_INT_DONE);
	assert_int_equal(nirq(3), 1);
	assert_int_equal(crd(3, DMAC_CH_COMPLETED), 3);
}

/* ---- cyclic, pause/resume, abort, append --------------------------------- */

/* A ring of three 1 MiB copies on @ch, IRQ on the third. */
static void ring_up(unsigned int ch)
{
	for (unsigned int i = 0; i < 3; i++)
		put_desc(DESC(ch, i), SRC(ch) + (1u << 20) * i,
			 DST(ch) + (1u << 20) * i, 1u << 20,
			 DMAC_OP_COPY | (i == 2 ? DMAC_CTL_IRQ : 0),
			 DESC(ch, (i + 1) % 3));
}

static void cyclic(void **st)
{
	u32 done;

	(void)st;
	fill_host(SRC(0), 3u << 20, 7);
	ring_up(0);
	start(0, DESC(0, 0));
	/* Laps go on: RESULT cleared by software is written again. */
	assert_true(DK_WAIT_UNTIL(crd(0, DMAC_CH_COMPLETED) >= 3, 10000));
	assert_true(DK_WAIT_UNTIL(nirq(0) >= 1, 10000));
	memset((u8 *)host(DESC(0, 0)) + DMAC_D_RESULT, 0, 8);
	done = crd(0, DMAC_CH_COMPLETED);
	assert_true(DK_WAIT_UNTIL(crd(0, DMAC_CH_COMPLETED) >= done + 4,
				  10000));
	assert_int_equal(desc_u32(DESC(0, 0), DMAC_D_RESULT),
			 DMAC_RESULT_DONE);
	assert_int_equal(state(0), DMAC_STATE_BUSY);
	assert_int_equal(seen(0) & ~DMAC_INT_DONE, 0);
	/* Never ends by itself: ABORT. */
	cwr(0, DMAC_CH_CMD, DMAC_CMD_ABORT);
	assert_int_equal(state(0), DMAC_STATE_IDLE);
	assert_true(DK_WAIT_UNTIL(seen(0) & DMAC_INT_ABORTED, 10000));
	assert_memory_equal(host(DST(0)), host(SRC(0)), 3u << 20);
}

static void pause_resume(void **st)
{
	u32 bytes, done;
	u64 cur;

	(void)st;
	fill_host(SRC(1), 3u << 20, 9);
	ring_up(1);
	start(1, DESC(1, 0));
	assert_true(DK_WAIT_UNTIL(crd(1, DMAC_CH_COMPLETED) >= 2, 10000));
	cwr(1, DMAC_CH_CMD, DMAC_CMD_PAUSE);
	assert_int_equal(state(1), DMAC_STATE_PAUSED);
	bytes = crd(1, DMAC_CH_BYTES);
	done = crd(1, DMAC_CH_COMPLETED);
	cur = crd64(1, DMAC_CH_CUR_DESC);
	/* Held: nothing moves while paused (bounded look, not a wait). */
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(crd(1, DMAC_CH_BYTES), bytes);
		assert_int_equal(crd(1, DMAC_CH_COMPLETED), done);
		if (i % 100 == 0)
			dk_test_yield();
	}
	assert_true(crd64(1, DMAC_CH_CUR_DESC) == cur);
	/* START while paused: no effect. */
	cwr(1, DMAC_CH_CMD, DMAC_CMD_START);
	assert_int_equal(state(1), DMAC_STATE_PAUSED);
	cwr(1, DMAC_CH_CMD, DMAC_CMD_RESUME);
	assert_int_equal(state(1), DMAC_STATE_BUSY);
	assert_true(DK_WAIT_UNTIL(crd(1, DMAC_CH_COMPLETED) >= done + 3,
				  10000));
	/* Abort while paused. */
	cwr(1, DMAC_CH_CMD, DMAC_CMD_PAUSE);
	cwr(1, DMAC_CH_CMD, DMAC_CMD_ABORT);
	assert_int_equal(state(1), DMAC_STATE_IDLE);
	assert_true(DK_WAIT_UNTIL(seen(1) & DMAC_INT_ABORTED, 10000));
	assert_memory_equal(host(DST(1)), host(SRC(1)), 3u << 20);
}

/*
 * GINT_STATUS bit n is channel n's unmasked pending interrupt, whatever
 * the interrupt controller does with the message; combined CMD bits act
 * in the order ABORT (alone), START, PAUSE, RESUME.
 */
static void gint_and_combined_cmd(void **st)
{
	u32 done;

	(void)st;
	/* A masked line at the interrupt controller: the status stays. */
	disable_irq((unsigned int)irqs[5]);
	fill_host(SRC(5), 4096, 5);
	put_desc(DESC(5, 0), SRC(5), DST(5), 4096,
		 DMAC_OP_COPY | DMAC_CTL_IRQ | DMAC_CTL_LAST, 0);
	start(5, DESC(5, 0));
	assert_true(DK_WAIT_UNTIL(rd(DMAC_GINT_STATUS) == 1u << 5, 10000));
	assert_int_equal(crd(5, DMAC_CH_INT_STATUS),
			 DMAC_INT_DONE | DMAC_INT_IDLE);
	/* Masked at the channel: gone from GINT_STATUS, still latched. */
	cwr(5, DMAC_CH_INT_MASK, 0);
	assert_int_equal(rd(DMAC_GINT_STATUS), 0);
	cwr(5, DMAC_CH_INT_MASK, DMAC_INT_ALL);
	assert_int_equal(rd(DMAC_GINT_STATUS), 1u << 5);
	enable_irq((unsigned int)irqs[5]);
	/* The handler acknowledges: the bit clears. */
	assert_true(DK_WAIT_UNTIL(rd(DMAC_GINT_STATUS) == 0, 10000));
	assert_true(DK_WAIT_UNTIL(nirq(5) >= 1, 10000));

	/* START | PAUSE on an idle channel: started, then paused. */
	fill_host(SRC(6), 3u << 20, 6);
	ring_up(6);
	cwr(6, DMAC_CH_INT_MASK, DMAC_INT_ALL);
	cwr(6, DMAC_CH_CTRL, DMAC_CTRL_EN);
	writeq(DESC(6, 0), (char __iomem *)regs + DMAC_CH(6) +
				   DMAC_CH_DESC_PTR);
	cwr(6, DMAC_CH_CMD, DMAC_CMD_START | DMAC_CMD_PAUSE);
	assert_int_equal(state(6), DMAC_STATE_PAUSED);
	/* PAUSE | RESUME while paused: the pause is a no-op, then resumed. */
	cwr(6, DMAC_CH_CMD, DMAC_CMD_PAUSE | DMAC_CMD_RESUME);
	assert_int_equal(state(6), DMAC_STATE_BUSY);
	assert_true(DK_WAIT_UNTIL(crd(6, DMAC_CH_COMPLETED) >= 3, 10000));
	/* ABORT | START on the running ring: ABORT alone, no restart. */
	cwr(6, DMAC_CH_CMD, DMAC_CMD_ABORT | DMAC_CMD_START);
	assert_int_equal(state(6), DMAC_STATE_IDLE);
	done = crd(6, DMAC_CH_COMPLETED);
	assert_true(DK_WAIT_UNTIL(seen(6) & DMAC_INT_ABORTED, 10000));
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(state(6), DMAC_STATE_IDLE);
		if (i % 100 == 0)
			dk_test_yield();
	}
	assert_int_equal(crd(6, DMAC_CH_COMPLETED), done);
}

static void abort_poison(void **st)
{
	u8 *dh = host(DST(2));
	u32 done, bytes;

	(void)st;
	fill_host(SRC(2), 3u << 20, 3);
	ring_up(2);
	start(2, DESC(2, 0));
	assert_true(DK_WAIT_UNTIL(crd(2, DMAC_CH_COMPLETED) >= 1, 10000));
	cwr(2, DMAC_CH_CMD, DMAC_CMD_ABORT);
	/* The CMD write returned: no further access reaches memory. */
	memset(dh, 0xa5, 3u << 20);
	for (unsigned int i = 0; i < 3; i++)
		memset((u8 *)host(DESC(2, i)) + DMAC_D_RESULT, 0xa5, 8);
	done = crd(2, DMAC_CH_COMPLETED);
	bytes = crd(2, DMAC_CH_BYTES);
	for (int i = 0; i < 200; i++)
		dk_test_yield();
	for (u64 i = 0; i < (3u << 20); i++)
		if (dh[i] != 0xa5)
			fail_msg("byte %llu of the destination written after ABORT returned",
				 (unsigned long long)i);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(desc_u32(DESC(2, i), DMAC_D_RESULT),
				 0xa5a5a5a5u);
	assert_int_equal(crd(2, DMAC_CH_COMPLETED), done);
	assert_int_equal(crd(2, DMAC_CH_BYTES), bytes);
	assert_int_equal(state(2), DMAC_STATE_IDLE);
	assert_true(DK_WAIT_UNTIL(seen(2) & DMAC_INT_ABORTED, 10000));
	assert_int_equal(seen(2) & (DMAC_INT_ERROR | DMAC_INT_IDLE), 0);
	/* The channel starts again after an abort. */
	put_desc(DESC(2, 5), SRC(2), DST(2), 100, DMAC_OP_COPY | DMAC_CTL_LAST,
		 0);
	writeq(DESC(2, 5), (char __iomem *)regs + DMAC_CH(2) +
				   DMAC_CH_DESC_PTR);
	cwr(2, DMAC_CH_CMD, DMAC_CMD_START);
	assert_true(wait_idle_irq(2));
	assert_memory_equal(dh, host(SRC(2)), 100);
}

static void append_running(void **st)
{
	u32 base;

	(void)st;
	fill_host(SRC(3), 8u << 20, 4);
	/* A: 8 MiB, the list's LAST. */
	put_desc(DESC(3, 0), SRC(3), DST(3), 8u << 20,
		 DMAC_OP_COPY | DMAC_CTL_LAST, 0);
	/*
	 * Catch A running: START, PAUSE; if A already finished (the CPU
	 * thread was preempted in between), abort and try again.
	 */
	cwr(3, DMAC_CH_INT_MASK, DMAC_INT_ALL);
	cwr(3, DMAC_CH_CTRL, DMAC_CTRL_EN);
	for (int tries = 0;; tries++) {
		assert_true(tries < 50);
		memset((u8 *)host(DESC(3, 0)) + DMAC_D_RESULT, 0, 8);
		writeq(DESC(3, 0), (char __iomem *)regs + DMAC_CH(3) +
					   DMAC_CH_DESC_PTR);
		cwr(3, DMAC_CH_CMD, DMAC_CMD_START);
		cwr(3, DMAC_CH_CMD, DMAC_CMD_PAUSE);
		/* Once PAUSE returned, RESULT cannot be written any more. */
		if (state(3) == DMAC_STATE_PAUSED &&
		    !desc_u32(DESC(3, 0), DMAC_D_RESULT))
			break;
		cwr(3, DMAC_CH_CMD, DMAC_CMD_ABORT);
		assert_true(DK_WAIT_UNTIL(state(3) == DMAC_STATE_IDLE, 10000));
	}
	base = crd(3, DMAC_CH_COMPLETED);
	/* B, then link it: clear LAST, set NEXT. */
	put_desc(DESC(3, 1), SRC(3), DST(3) + (8u << 20), 4096,
		 DMAC_OP_COPY | DMAC_CTL_LAST | DMAC_CTL_IRQ, 0);
	{
		u64 next = DESC(3, 1);
		u32 ctl = DMAC_OP_COPY;

		memcpy((u8 *)host(DESC(3, 0)) + DMAC_D_NEXT, &next, 8);
		memcpy((u8 *)host(DESC(3, 0)) + DMAC_D_CTL, &ctl, 4);
	}
	cwr(3, DMAC_CH_CMD, DMAC_CMD_RESUME);
	assert_true(DK_WAIT_UNTIL(state(3) == DMAC_STATE_IDLE, 10000));
	assert_int_equal(crd(3, DMAC_CH_COMPLETED), base + 2);
	assert_true(DK_WAIT_UNTIL(seen(3) & DMAC_INT_DONE, 10000));
	assert_true(crd64(3, DMAC_CH_CUR_DESC) == DESC(3, 1));
	assert_int_equal(desc_u32(DESC(3, 1), DMAC_D_RESULT), DMAC_RESULT_DONE);
	assert_memory_equal(host(DST(3) + (8u << 20)), host(SRC(3)), 4096);
	assert_memory_equal(host(DST(3)), host(SRC(3)), 8u << 20);
}

/* ---- errors -------------------------------------------------------------- */

/* Run the one-descriptor list at @d on channel 4; expect @err. */
static void expect_error(u64 d, u32 err, bool result_written)
{
	__atomic_store_n(&irq_seen[4], 0, __ATOMIC_RELAXED);
	start(4, d);
	assert_true(DK_WAIT_UNTIL(seen(4) & DMAC_INT_ERROR, 10000));
	assert_int_equal(state(4), DMAC_STATE_ERROR);
	assert_int_equal(err_code(4), err);
	assert_true(crd64(4, DMAC_CH_CUR_DESC) == d);
	assert_int_equal(seen(4), DMAC_INT_ERROR);
	if (result_written)
		assert_int_equal(desc_u32(d, DMAC_D_RESULT), err);
}

static void errors(void **st)
{
	struct resource *res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	u64 d = DESC(4, 0);
	u32 done;

	(void)st;
	dk_test_log_clear();
	expect_error(NOWHERE, DMAC_ERR_DESC_FETCH, false);
	expect_error(d + 8, DMAC_ERR_ALIGN, false);
	put_desc(d, SRC(4), DST(4), 0, DMAC_OP_COPY | DMAC_CTL_LAST, 0);
	expect_error(d, DMAC_ERR_DESC_INVALID, true);
	put_desc(d, SRC(4), DST(4), 8, 5 | DMAC_CTL_LAST, 0);
	expect_error(d, DMAC_ERR_DESC_INVALID, true);
	put_desc(d, SRC(4), DST(4), 8, DMAC_OP_COPY | DMAC_CTL_LAST | 1u << 20,
		 0);
	expect_error(d, DMAC_ERR_DESC_INVALID, true);
	put_desc(d, SRC(4), DST(4), 8, DMAC_OP_COPY | DMAC_CTL_LAST, 0);
	((u8 *)host(d))[0x30] = 1;	/* reserved bytes */
	expect_error(d, DMAC_ERR_DESC_INVALID, true);
	put_desc(d, SRC(4), DST(4), 8,
		 DMAC_OP_DEV_TO_MEM | DMAC_CTL_LAST | 4u << 8, 0);
	expect_error(d, DMAC_ERR_DESC_INVALID, true);	/* WIDTH 4 */
	put_desc(d, SRC(4), DST(4), 6,
		 DMAC_OP_DEV_TO_MEM | DMAC_CTL_LAST | 2u << 8, 0);
	expect_error(d, DMAC_ERR_DESC_INVALID, true);	/* LEN % WIDTH */
	put_desc(d, SRC(4) + 2, DST(4), 8,
		 DMAC_OP_DEV_TO_MEM | DMAC_CTL_LAST | 2u << 8, 0);
	expect_error(d, DMAC_ERR_ALIGN, true);
	put_desc(d, SRC(4), DST(4) + 4, 8,
		 DMAC_OP_MEM_TO_DEV | DMAC_CTL_LAST | 3u << 8, 0);
	expect_error(d, DMAC_ERR_ALIGN, true);
	put_desc(d, NOWHERE, DST(4), 8, DMAC_OP_COPY | DMAC_CTL_LAST, 0);
	expect_error(d, DMAC_ERR_READ, true);
	put_desc(d, SRC(4), NOWHERE, 8, DMAC_OP_COPY | DMAC_CTL_LAST, 0);
	expect_error(d, DMAC_ERR_WRITE, true);
	put_desc(d, 0, NOWHERE, 8, DMAC_OP_FILL | DMAC_CTL_LAST, 0);
	expect_error(d, DMAC_ERR_WRITE, true);
	/* Its own register window: refused. */
	put_desc(d, res->start, DST(4), 8, DMAC_OP_COPY | DMAC_CTL_LAST, 0);
	expect_error(d, DMAC_ERR_READ, true);
	put_desc(d, SRC(4), res->start + 0x800, 8,
		 DMAC_OP_COPY | DMAC_CTL_LAST, 0);
	expect_error(d, DMAC_ERR_WRITE, true);
	/* Mid-chain: earlier descriptors complete, the failing one stops. */
	put_desc(d, SRC(4), DST(4), 64, DMAC_OP_COPY, DESC(4, 1));
	put_desc(DESC(4, 1), SRC(4), DST(4), 64, DMAC_OP_COPY, NOWHERE);
	done = crd(4, DMAC_CH_COMPLETED);
	__atomic_store_n(&irq_seen[4], 0, __ATOMIC_RELAXED);
	start(4, d);
	assert_true(DK_WAIT_UNTIL(seen(4) & DMAC_INT_ERROR, 10000));
	assert_int_equal(err_code(4), DMAC_ERR_DESC_FETCH);
	assert_true(crd64(4, DMAC_CH_CUR_DESC) == NOWHERE);
	assert_int_equal(crd(4, DMAC_CH_COMPLETED), done + 2);
	assert_int_equal(desc_u32(DESC(4, 1), DMAC_D_RESULT), DMAC_RESULT_DONE);
	/* Faults were counted. */
	{
		struct dk_counters c;

		assert_int_equal(dk_device_counters(pdev, &c), 0);
		assert_true(c.faults >= 6);
	}
	/* The channel works after an error. */
	put_desc(d, SRC(4), DST(4), 64, DMAC_OP_COPY | DMAC_CTL_LAST, 0);
	__atomic_store_n(&irq_seen[4], 0, __ATOMIC_RELAXED);
	start(4, d);
	assert_true(DK_WAIT_UNTIL(seen(4) & DMAC_INT_IDLE, 10000));
	assert_int_equal(crd(4, DMAC_CH_STATUS), DMAC_STATE_IDLE);
}

/* ---- several channels, reset, destroy while running ---------------------- */

static void two_channels(void **st)
{
	(void)st;
	for (unsigned int ch = 5; ch <= 6; ch++) {
		fill_host(SRC(ch), 4u << 20, ch);
		for (unsigned int i = 0; i < 16; i++)
			put_desc(DESC(ch, i), SRC(ch) + (256u << 10) * i,
				 DST(ch) + (256u << 10) * i, 256u << 10,
				 DMAC_OP_COPY | (i == 15 ? DMAC_CTL_LAST : 0),
				 DESC(ch, i + 1));
	}
	start(5, DESC(5, 0));
	start(6, DESC(6, 0));
	assert_true(wait_idle_irq(5));
	assert_true(wait_idle_irq(6));
	for (unsigned int ch = 5; ch <= 6; ch++) {
		assert_int_equal(seen(ch), DMAC_INT_IDLE);
		assert_int_equal(crd(ch, DMAC_CH_COMPLETED), 16);
		assert_memory_equal(host(DST(ch)), host(SRC(ch)), 4u << 20);
	}
}

/*
 * Round-robin: a channel that never ends (a ring) does not starve one
 * started after it; the ring keeps moving meanwhile.
 */
static void round_robin(void **st)
{
	u32 before;

	(void)st;
	fill_host(SRC(4), 3u << 20, 4);
	ring_up(4);
	start(4, DESC(4, 0));
	assert_true(DK_WAIT_UNTIL(crd(4, DMAC_CH_COMPLETED) >= 1, 10000));
	before = crd(4, DMAC_CH_COMPLETED);
	fill_host(SRC(3), 1u << 20, 3);
	for (unsigned int i = 0; i < 16; i++)
		put_desc(DESC(3, i), SRC(3) + (64u << 10) * i,
			 DST(3) + (64u << 10) * i, 64u << 10,
			 DMAC_OP_COPY | (i == 15 ? DMAC_CTL_LAST : 0),
			 DESC(3, i + 1));
	start(3, DESC(3, 0));
	assert_true(wait_idle_irq(3));
	assert_int_equal(crd(3, DMAC_CH_COMPLETED), 16);
	assert_memory_equal(host(DST(3)), host(SRC(3)), 1u << 20);
	assert_int_equal(state(4), DMAC_STATE_BUSY);
	assert_true(DK_WAIT_UNTIL(crd(4, DMAC_CH_COMPLETED) > before, 10000));
	cwr(4, DMAC_CH_CMD, DMAC_CMD_ABORT);
	assert_int_equal(state(4), DMAC_STATE_IDLE);
}

static void gctrl_reset(void **st)
{
	u8 *dh = host(DST(7));

	(void)st;
	ring_up(7);
	ring_up(6);
	start(7, DESC(7, 0));
	start(6, DESC(6, 0));
	assert_true(DK_WAIT_UNTIL(crd(7, DMAC_CH_COMPLETED) >= 1, 10000));
	wr(DMAC_GCTRL, DMAC_GCTRL_RESET);
	memset(dh, 0x3c, 3u << 20);
	for (unsigned int n = 0; n < DMAC_NCHAN; n++)
		for (unsigned int off = 0; off < DMAC_CH_STRIDE; off += 4)
			assert_int_equal(crd(n, off), 0);
	assert_int_equal(rd(DMAC_GINT_STATUS), 0);
	for (int i = 0; i < 200; i++)
		dk_test_yield();
	for (u64 i = 0; i < (3u << 20); i++)
		if (dh[i] != 0x3c)
			fail_msg("byte %llu written after GCTRL.RESET returned",
				 (unsigned long long)i);
	/* Works again. */
	put_desc(DESC(7, 4), SRC(7), DST(7), 64, DMAC_OP_COPY | DMAC_CTL_LAST,
		 0);
	__atomic_store_n(&irq_seen[7], 0, __ATOMIC_RELAXED);
	start(7, DESC(7, 4));
	assert_true(wait_idle_irq(7));
}

static void destroy_running(void **st)
{
	(void)st;
	for (unsigned int n = 0; n < DMAC_NCHAN; n++) {
		ring_up(n);
		start(n, DESC(n, 0));
	}
	for (unsigned int n = 0; n < DMAC_NCHAN; n++)
		assert_int_equal(state(n), DMAC_STATE_BUSY);
	/* teardown destroys the machine with all eight running. */
}

/* ---- with an IOMMU ------------------------------------------------------- */

static struct iommu_domain *dom;

static int setup_iommu(void **st)
{
	(void)st;
	if (machine_up(true)) {
		dk_test_log_dump();
		return -1;
	}
	dom = iommu_domain_alloc(&platform_bus_type);
	if (!dom || iommu_attach_device(dom, &pdev->dev))
		return -1;
	return 0;
}

static int teardown_iommu(void **st)
{
	iommu_detach_device(dom, &pdev->dev);
	iommu_domain_free(dom);
	dom = NULL;
	return teardown(st);
}

static void iommu_faults(void **st)
{
	const int rw = IOMMU_READ | IOMMU_WRITE;
	u64 d0 = DESC(0, 0), d1 = DESC(1, 0);

	(void)st;
	/* Identity IOVAs: descriptors, sources and destinations mapped. */
	assert_int_equal(iommu_map(dom, DESC(0, 0), DESC(0, 0), 0x10000, rw),
			 0);
	assert_int_equal(iommu_map(dom, DESC(1, 0), DESC(1, 0), 0x1000,
				   IOMMU_READ), 0);
	assert_int_equal(iommu_map(dom, SRC(0), SRC(0), 1u << 20, rw), 0);
	assert_int_equal(iommu_map(dom, DST(0), DST(0), 2u << 20, rw), 0);
	assert_int_equal(iommu_map(dom, SRC(5), SRC(5), 4u << 20, rw), 0);
	assert_int_equal(iommu_map(dom, DST(5), DST(5), 4u << 20, rw), 0);
	assert_int_equal(iommu_map(dom, DESC(5, 0), DESC(5, 0), 0x10000, rw),
			 0);

	/* Channel 5 runs a long list meanwhile. */
	fill_host(SRC(5), 4u << 20, 5);
	for (unsigned int i = 0; i < 64; i++)
		put_desc(DESC(5, i), SRC(5) + (64u << 10) * i,
			 DST(5) + (64u << 10) * i, 64u << 10,
			 DMAC_OP_COPY | (i == 63 ? DMAC_CTL_LAST : 0),
			 DESC(5, i + 1));
	start(5, DESC(5, 0));

	/* Chain on channel 0: the second descriptor's source is unmapped. */
	fill_host(SRC(0), 4096, 1);
	put_desc(DESC(0, 0), SRC(0), DST(0), 4096, DMAC_OP_COPY, DESC(0, 1));
	put_desc(DESC(0, 1), SRC(0) + (1u << 20), DST(0), 4096, DMAC_OP_COPY,
		 DESC(0, 2));
	put_desc(DESC(0, 2), SRC(0), DST(0) + 8192, 4096,
		 DMAC_OP_COPY | DMAC_CTL_LAST, 0);
	start(0, d0);
	assert_true(DK_WAIT_UNTIL(seen(0) & DMAC_INT_ERROR, 10000));
	assert_int_equal(err_code(0), DMAC_ERR_READ);
	assert_true(crd64(0, DMAC_CH_CUR_DESC) == DESC(0, 1));
	assert_int_equal(crd(0, DMAC_CH_COMPLETED), 1);
	assert_int_equal(desc_u32(DESC(0, 0), DMAC_D_RESULT), DMAC_RESULT_DONE);
	assert_int_equal(desc_u32(DESC(0, 1), DMAC_D_RESULT), DMAC_ERR_READ);
	assert_int_equal(desc_u32(DESC(0, 2), DMAC_D_RESULT), 0);
	assert_memory_equal(host(DST(0)), host(SRC(0)), 4096);

	/* Destination outside the mapping: WRITE. */
	put_desc(DESC(0, 3), SRC(0), DST(0) + (2u << 20), 4096,
		 DMAC_OP_COPY | DMAC_CTL_LAST, 0);
	__atomic_store_n(&irq_seen[0], 0, __ATOMIC_RELAXED);
	writeq(DESC(0, 3), (char __iomem *)regs + DMAC_CH(0) +
				   DMAC_CH_DESC_PTR);
	cwr(0, DMAC_CH_CMD, DMAC_CMD_START);
	assert_true(DK_WAIT_UNTIL(seen(0) & DMAC_INT_ERROR, 10000));
	assert_int_equal(err_code(0), DMAC_ERR_WRITE);

	/* Descriptor page read-only: the fetch works, RESULT cannot. */
	put_desc(d1, SRC(0), DST(0), 64, DMAC_OP_COPY | DMAC_CTL_LAST, 0);
	__atomic_store_n(&irq_seen[1], 0, __ATOMIC_RELAXED);
	start(1, d1);
	assert_true(DK_WAIT_UNTIL(seen(1) & DMAC_INT_ERROR, 10000));
	assert_int_equal(err_code(1), DMAC_ERR_STATUS_WB);
	assert_int_equal(desc_u32(d1, DMAC_D_RESULT), 0);

	/* Descriptor not mapped at all. */
	__atomic_store_n(&irq_seen[1], 0, __ATOMIC_RELAXED);
	writeq(DESC(2, 0), (char __iomem *)regs + DMAC_CH(1) +
				   DMAC_CH_DESC_PTR);
	cwr(1, DMAC_CH_CMD, DMAC_CMD_START);
	assert_true(DK_WAIT_UNTIL(seen(1) & DMAC_INT_ERROR, 10000));
	assert_int_equal(err_code(1), DMAC_ERR_DESC_FETCH);

	/* The other channel was not disturbed. */
	assert_true(wait_idle_irq(5));
	assert_int_equal(seen(5), DMAC_INT_IDLE);
	assert_int_equal(crd(5, DMAC_CH_COMPLETED), 64);
	assert_memory_equal(host(DST(5)), host(SRC(5)), 4u << 20);
	iommu_unmap(dom, DESC(0, 0), 0x10000);
	iommu_unmap(dom, DESC(1, 0), 0x1000);
	iommu_unmap(dom, SRC(0), 1u << 20);
	iommu_unmap(dom, DST(0), 2u << 20);
	iommu_unmap(dom, SRC(5), 4u << 20);
	iommu_unmap(dom, DST(5), 4u << 20);
	iommu_unmap(dom, DESC(5, 0), 0x10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_values, setup, teardown),
		cmocka_unit_test_setup_teardown(copy_list, setup, teardown),
		cmocka_unit_test_setup_teardown(fill, setup, teardown),
		cmocka_unit_test_setup_teardown(irq_per_descriptor, setup,
						teardown),
		cmocka_unit_test_setup_teardown(irq_bit_selects, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cyclic, setup, teardown),
		cmocka_unit_test_setup_teardown(pause_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(gint_and_combined_cmd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(abort_poison, setup, teardown),
		cmocka_unit_test_setup_teardown(append_running, setup,
						teardown),
		cmocka_unit_test_setup_teardown(errors, setup, teardown),
		cmocka_unit_test_setup_teardown(two_channels, setup, teardown),
		cmocka_unit_test_setup_teardown(round_robin, setup, teardown),
		cmocka_unit_test_setup_teardown(gctrl_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(destroy_running, setup,
						teardown),
		cmocka_unit_test_setup_teardown(iommu_faults, setup_iommu,
						teardown_iommu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
