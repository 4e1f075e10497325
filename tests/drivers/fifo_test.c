// SPDX-License-Identifier: MIT
/*
 * fifo_test.c - the DK-FIFO's driver (src/drivers/fifo.c) as a dmaengine
 * slave client of a DK-DMAC, on a whole machine wired by the board API:
 * bad arguments, a probe deferred until the controller registers, the RX
 * stream received by slave DMA (single buffer, scatterlist, paced by a
 * generator rate) and verified byte by byte with guard bytes, a pattern
 * transmitted that the FIFO's checker accepts (and a wrong byte it
 * catches), asynchronous transfers whose callbacks are counted exactly,
 * cancellation, a cyclic receive with its period callbacks counted and
 * stopped with terminate_sync. Also the DK-DMAC's slave configuration used
 * directly on a FIFO without its driver, behind an IOMMU: both sides in
 * one configuration without a direction, lengths that are not whole bus
 * words, a reconfiguration behind a prepared descriptor (which keeps its
 * address), and running out of peripheral mappings. Every test ends with
 * a leak check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/io.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <dmakit/drivers/dmac.h>
#include <dmakit/drivers/fifo.h>
#include <dmakit/hw/fifo.h>
#include <dmakit/machine.h>
#include "dk_test.h"

#define GUARD		64
#define GUARD_BYTE	0xe5
#define TMO		5000	/* ms; generous for the sanitizers */

static struct dk_machine *m;
static struct platform_device *dmac_pdev, *fifo_pdev;
static struct dk_fifo *f;
static bool fifo_registered;

/* The machine and its wiring, no drivers. */
static int machine_up(void)
{
	m = dk_test_machine_up(NULL);
	if (!m)
		return -1;
	if (dk_machine_add_dmac(m, NULL, &dmac_pdev) ||
	    dk_machine_add_fifo(m, NULL, &fifo_pdev) ||
	    dk_machine_connect_dma(m, fifo_pdev, 0, "rx", dmac_pdev, 3) ||
	    dk_machine_connect_dma(m, fifo_pdev, 1, "tx", dmac_pdev, 4)) {
		dk_test_log_dump();
		return -1;
	}
	return 0;
}

static int setup(void **st)
{
	(void)st;
	if (machine_up())
		return -1;
	/* The DK-DMAC driver is built in: its channels are registered. */
	if (dk_fifo_driver_register())
		return -1;
	fifo_registered = true;
	f = dk_fifo_from_pdev(fifo_pdev);
	if (!f) {
		dk_test_log_dump();
		return -1;
	}
	dk_test_log_clear();
	return 0;
}

static int teardown(void **st)
{
	int leaks;

	(void)st;
	if (!m)
		return 0;
	if (fifo_registered)
		dk_fifo_driver_unregister();
	fifo_registered = false;
	f = NULL;
	leaks = dk_test_machine_down(m);
	m = NULL;
	return leaks;
}

/* A buffer with guard bytes on both sides, in simulated RAM. */
static u8 *guarded(size_t len)
{
	u8 *raw = kmalloc(len + 2 * GUARD, GFP_KERNEL);

	assert_non_null(raw);
	memset(raw, GUARD_BYTE, len + 2 * GUARD);
	return raw + GUARD;
}

static void guarded_check_free(u8 *buf, size_t len)
{
	u8 *raw = buf - GUARD;

	for (size_t i = 0; i < GUARD; i++) {
		assert_int_equal(raw[i], GUARD_BYTE);
		assert_int_equal(buf[len + i], GUARD_BYTE);
	}
	kfree(raw);
}

/* buf[i] must be byte (start + i) of the stream with @seed. */
static void check_stream(const u8 *buf, size_t len, u64 start, u8 seed)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != dk_fifo_pattern(start + i, seed))
			fail_msg("stream byte %zu (index %llu): expected 0x%02x, got 0x%02x",
				 i, (unsigned long long)(start + i),
				 dk_fifo_pattern(start + i, seed), buf[i]);
	}
}

/* ---- bad arguments ------------------------------------------------------- */

static void test_bad_args(void **st)
{
	struct dk_fifo_setup s = { 0 };
	struct scatterlist sg;
	void *ring = NULL;
	size_t pos;
	u8 *buf = guarded(256);

	(void)st;
	assert_int_equal(dk_fifo_receive(NULL, buf, 64, TMO), -EINVAL);
	assert_int_equal(dk_fifo_receive(f, NULL, 64, TMO), -EINVAL);
	assert_int_equal(dk_fifo_receive(f, buf, 0, TMO), -EINVAL);
	assert_int_equal(dk_fifo_receive(f, buf, 12, TMO), -EINVAL);
	assert_int_equal(dk_fifo_transmit(f, buf, 7, TMO), -EINVAL);
	assert_int_equal(dk_fifo_transmit(NULL, buf, 8, TMO), -EINVAL);
	assert_int_equal(dk_fifo_receive_async(f, buf, 64, NULL, NULL),
			 -EINVAL);
	sg_init_one(&sg, buf, 12);
	assert_int_equal(dk_fifo_receive_sg(f, &sg, 1, TMO), -EINVAL);
	assert_int_equal(dk_fifo_receive_sg(f, NULL, 1, TMO), -EINVAL);
	assert_int_equal(dk_fifo_rx_cyclic_start(f, 4096, 100, NULL, NULL,
						 &ring), -EINVAL);
	assert_int_equal(dk_fifo_rx_cyclic_start(f, 1000, 256, NULL, NULL,
						 &ring), -EINVAL);
	assert_int_equal(dk_fifo_rx_cyclic_start(f, 4096, 256, NULL, NULL,
						 NULL), -EINVAL);
	assert_int_equal(dk_fifo_rx_cyclic_stop(f, NULL), -EINVAL);
	assert_int_equal(dk_fifo_rx_cyclic_pos(f, &pos), -EINVAL);
	assert_int_equal(dk_fifo_setup(NULL, &s), -EINVAL);
	assert_int_equal(dk_fifo_setup(f, NULL), -EINVAL);
	assert_int_equal(dk_fifo_get_stats(f, NULL), -EINVAL);
	assert_null(dk_fifo_get(1));
	assert_null(dk_fifo_from_pdev(dmac_pdev));
	assert_string_equal(dk_fifo_name(NULL), "");
	assert_ptr_equal(dk_fifo_get(0), f);
	guarded_check_free(buf, 256);
}

/* Probe before the controller's driver: deferred, then bound. */
static void test_probe_defer(void **st)
{
	(void)st;
	assert_int_equal(machine_up(), 0);
	/* The controller's driver gone: its dma_device is unregistered. */
	dk_dmac_driver_unregister();
	assert_int_equal(dk_fifo_driver_register(), 0);
	fifo_registered = true;
	assert_null(dk_fifo_from_pdev(fifo_pdev));
	assert_log_count("not registered yet, deferring", 1);
	/* The controller binds; the bus retries the deferred probe. */
	assert_int_equal(dk_dmac_driver_register(), 0);
	f = dk_fifo_from_pdev(fifo_pdev);
	assert_non_null(f);
	assert_non_null(dk_fifo_chan(f, false));
	assert_non_null(dk_fifo_chan(f, true));
	assert_ptr_not_equal(dk_fifo_chan(f, false), dk_fifo_chan(f, true));
}

/* ---- receive ------------------------------------------------------------- */

static void test_receive_stream(void **st)
{
	struct dk_fifo_setup s = { .rx_seed = 0x3c };
	struct dk_fifo_stats stats;
	size_t len = 64 * 1024;
	u8 *buf = guarded(len);

	(void)st;
	assert_int_equal(dk_fifo_setup(f, &s), 0);
	assert_int_equal(dk_fifo_receive(f, buf, len, TMO), 0);
	check_stream(buf, len, 0, s.rx_seed);
	/* The next receive continues the stream. */
	assert_int_equal(dk_fifo_receive(f, buf, 1000, TMO), 0);
	check_stream(buf, 1000, len, s.rx_seed);
	assert_int_equal(dk_fifo_get_stats(f, &stats), 0);
	assert_int_equal(stats.rx_bytes, len + 1000);
	assert_int_equal(stats.rx_dropped, 0);
	assert_true(stats.rx_count >= len + 1000);
	guarded_check_free(buf, len);
}

static void test_receive_sg(void **st)
{
	static const size_t sizes[3] = { 4096, 520, 12288 };
	struct dk_fifo_setup s = { .rx_seed = 0x71 };
	struct scatterlist sgl[3];
	u8 *bufs[3];
	u64 at = 0;

	(void)st;
	assert_int_equal(dk_fifo_setup(f, &s), 0);
	sg_init_table(sgl, 3);
	for (int i = 0; i < 3; i++) {
		bufs[i] = guarded(sizes[i]);
		sg_set_buf(&sgl[i], bufs[i], (unsigned int)sizes[i]);
	}
	assert_int_equal(dk_fifo_receive_sg(f, sgl, 3, TMO), 0);
	for (int i = 0; i < 3; i++) {
		check_stream(bufs[i], sizes[i], at, s.rx_seed);
		at += sizes[i];
		guarded_check_free(bufs[i], sizes[i]);
	}
}

/*
 * A generator at a set rate on a manual clock: each step of machine time
 * makes a known number of bytes, the request line rises, and the channel
 * takes exactly those; nothing is dropped, the stream is intact.
 */
struct done_rec {
	int calls;	/* atomic */
	int result;	/* atomic */
};

static void on_done(void *arg, int result)
{
	struct done_rec *d = arg;

	__atomic_store_n(&d->result, result, __ATOMIC_RELAXED);
	__atomic_add_fetch(&d->calls, 1, __ATOMIC_RELEASE);
}

static void test_receive_paced(void **st)
{
	struct dk_fifo_setup s = { .rx_seed = 5, .rx_rate = 4096 };
	struct dk_machine_config cfg;
	struct dk_fifo_stats stats;
	struct done_rec rx = { 0 };
	size_t len = 32 * 1024;
	u64 made = 0;
	u8 *buf;
	int steps = 0;

	(void)st;
	dk_machine_config_init(&cfg);
	cfg.manual_clock = true;
	m = dk_test_machine_up(&cfg);
	assert_non_null(m);
	assert_int_equal(dk_machine_add_dmac(m, NULL, &dmac_pdev), 0);
	assert_int_equal(dk_machine_add_fifo(m, NULL, &fifo_pdev), 0);
	assert_int_equal(dk_machine_connect_dma(m, fifo_pdev, 0, "rx",
						dmac_pdev, 0), 0);
	assert_int_equal(dk_machine_connect_dma(m, fifo_pdev, 1, "tx",
						dmac_pdev, 1), 0);
	assert_int_equal(dk_fifo_driver_register(), 0);
	fifo_registered = true;
	f = dk_fifo_from_pdev(fifo_pdev);
	assert_non_null(f);
	buf = guarded(len);
	assert_int_equal(dk_fifo_setup(f, &s), 0);
	assert_int_equal(dk_fifo_receive_async(f, buf, len, on_done, &rx), 0);
	/* Time stands still: nothing is generated, nothing moves. */
	assert_int_equal(dk_fifo_get_stats(f, &stats), 0);
	assert_int_equal(stats.rx_count, 0);
	for (steps = 0; steps < (int)(len / 1024); steps++) {
		/* Not done before its last byte was made. */
		assert_int_equal(__atomic_load_n(&rx.calls, __ATOMIC_ACQUIRE),
				 0);
		/* 0.25 ms at 4096 B/ms: 1024 bytes, 8 bursts. */
		assert_int_equal(dk_clock_advance(250000), 0);
		made += 1024;
		/* The channel takes every burst the request line offers. */
		assert_true(DK_WAIT_UNTIL(!dk_fifo_get_stats(f, &stats) &&
					  stats.rx_count == made &&
					  stats.rx_level < DK_FIFO_BURST_BYTES,
					  TMO));
	}
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&rx.calls, __ATOMIC_ACQUIRE),
				  TMO));
	assert_int_equal(rx.calls, 1);
	assert_int_equal(rx.result, 0);
	check_stream(buf, len, 0, s.rx_seed);
	assert_int_equal(dk_fifo_get_stats(f, &stats), 0);
	assert_int_equal(stats.rx_dropped, 0);
	assert_int_equal(stats.rx_count, len);
	assert_int_equal(stats.error_irqs, 0);
	guarded_check_free(buf, len);
}

/* ---- transmit ------------------------------------------------------------ */

static void test_transmit_checked(void **st)
{
	struct dk_fifo_setup s = { .tx_seed = 0xa5, .tx_check = true };
	struct dk_fifo_stats stats;
	size_t len = 48 * 1024;
	u8 *buf = guarded(len);

	(void)st;
	assert_int_equal(dk_fifo_setup(f, &s), 0);
	for (size_t i = 0; i < len; i++)
		buf[i] = dk_fifo_pattern(i, s.tx_seed);
	assert_int_equal(dk_fifo_transmit(f, buf, len, TMO), 0);
	assert_int_equal(dk_fifo_tx_drain(f, TMO), 0);
	assert_true(DK_WAIT_UNTIL(!dk_fifo_get_stats(f, &stats) &&
				  stats.tx_count == len, TMO));
	assert_int_equal(stats.tx_errors, 0);
	assert_int_equal(stats.tx_bytes, len);

	/* One wrong byte in the next stretch: the checker counts it. */
	for (size_t i = 0; i < 1024; i++)
		buf[i] = dk_fifo_pattern(len + i, s.tx_seed);
	buf[100] ^= 0xff;
	assert_int_equal(dk_fifo_transmit(f, buf, 1024, TMO), 0);
	assert_true(DK_WAIT_UNTIL(!dk_fifo_get_stats(f, &stats) &&
				  stats.tx_count == len + 1024, TMO));
	assert_int_equal(stats.tx_errors, 1);
	assert_true(DK_WAIT_UNTIL(!dk_fifo_get_stats(f, &stats) &&
				  stats.error_irqs >= 1, TMO));
	guarded_check_free(buf, len);
}

/* ---- asynchronous transfers and cancellation ----------------------------- */

static void test_async_and_cancel(void **st)
{
	struct dk_fifo_setup s = { .rx_seed = 9, .tx_seed = 1, .tx_rate = 1 };
	struct done_rec rx = { 0 }, tx = { 0 };
	size_t len = 16 * 1024;
	u8 *rbuf = guarded(len), *tbuf = guarded(len);

	(void)st;
	assert_int_equal(dk_fifo_setup(f, &s), 0);
	assert_int_equal(dk_fifo_receive_async(f, rbuf, len, on_done, &rx), 0);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&rx.calls, __ATOMIC_ACQUIRE),
				  TMO));
	assert_int_equal(rx.result, 0);
	check_stream(rbuf, len, 0, s.rx_seed);

	/* A sink at 1 byte/ms cannot take 16 KiB soon: still in flight. */
	memset(tbuf, 0, len);
	assert_int_equal(dk_fifo_transmit_async(f, tbuf, len, on_done, &tx),
			 0);
	assert_int_equal(dk_fifo_transmit_async(f, tbuf, len, on_done, &tx),
			 -EBUSY);
	assert_int_equal(dk_fifo_setup(f, &s), -EBUSY);
	dk_fifo_cancel(f);
	assert_int_equal(__atomic_load_n(&tx.calls, __ATOMIC_ACQUIRE), 1);
	assert_int_equal(tx.result, -ECANCELED);
	/* Exactly once: a second cancel finds nothing. */
	dk_fifo_cancel(f);
	assert_int_equal(__atomic_load_n(&tx.calls, __ATOMIC_ACQUIRE), 1);
	assert_int_equal(__atomic_load_n(&rx.calls, __ATOMIC_ACQUIRE), 1);
	guarded_check_free(rbuf, len);
	guarded_check_free(tbuf, len);
}

/* ---- cyclic -------------------------------------------------------------- */

static void on_period(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_RELEASE);
}

static void test_cyclic(void **st)
{
	struct dk_fifo_setup s = { .rx_seed = 0x42 };
	size_t ring_len = 8192, period = 1024, pos;
	int periods = 0, seen;
	u8 *ring = NULL, *copy = malloc(ring_len), *buf;

	(void)st;
	assert_non_null(copy);
	assert_int_equal(dk_fifo_setup(f, &s), 0);
	assert_int_equal(dk_fifo_rx_cyclic_start(f, ring_len, period,
						 on_period, &periods,
						 (void **)&ring), 0);
	assert_non_null(ring);
	/* The receive slot is the cyclic's now. */
	buf = guarded(256);
	assert_int_equal(dk_fifo_receive(f, buf, 256, TMO), -EBUSY);
	assert_int_equal(dk_fifo_rx_cyclic_start(f, ring_len, period, NULL,
						 NULL, (void **)&copy), -EBUSY);
	/* Several laps of the ring. */
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&periods, __ATOMIC_ACQUIRE)
				  >= 24, TMO));
	assert_int_equal(dk_fifo_rx_cyclic_pos(f, &pos), 0);
	assert_true(pos < ring_len);
	assert_int_equal(dk_fifo_rx_cyclic_stop(f, NULL), 0);
	/* terminate_sync: no period callback runs after stop returned. */
	seen = __atomic_load_n(&periods, __ATOMIC_ACQUIRE);
	for (int i = 0; i < 1000; i++)
		dk_test_yield();
	assert_int_equal(__atomic_load_n(&periods, __ATOMIC_ACQUIRE), seen);
	assert_int_equal(dk_fifo_rx_cyclic_pos(f, &pos), -EINVAL);
	assert_int_equal(dk_fifo_rx_cyclic_stop(f, NULL), -EINVAL);

	/* The channel works again for a plain receive. */
	assert_int_equal(dk_fifo_receive(f, buf, 256, TMO), 0);
	guarded_check_free(buf, 256);
	free(copy);
}

/* Ring contents: a ring of a multiple of 256 bytes holds pattern(j). */
static void test_cyclic_data(void **st)
{
	struct dk_fifo_setup s = { .rx_seed = 0x10 };
	size_t ring_len = 4096;
	int periods = 0;
	u8 *ring = NULL, snap[4096];

	(void)st;
	assert_int_equal(dk_fifo_setup(f, &s), 0);
	assert_int_equal(dk_fifo_rx_cyclic_start(f, ring_len, 512, on_period,
						 &periods, (void **)&ring), 0);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&periods, __ATOMIC_ACQUIRE)
				  >= 10, TMO));
	/* Stopped: the controller writes no more; the copy is final. */
	assert_int_equal(dk_fifo_rx_cyclic_stop(f, snap), 0);
	check_stream(snap, ring_len, 0, s.rx_seed);
}

/* ---- the controller's slave configuration, used directly ---------------- */

struct sc_rec {
	int calls;	/* atomic */
	int result;	/* atomic: enum dmaengine_tx_result */
};

static void sc_done(void *arg, const struct dmaengine_result *r)
{
	struct sc_rec *c = arg;

	__atomic_store_n(&c->result, (int)r->result, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELEASE);
}

/* Submit @d with sc_done, issue, wait; the dmaengine result. */
static int sc_run(struct dma_chan *c, struct dma_async_tx_descriptor *d)
{
	struct sc_rec r = { 0 };

	assert_non_null(d);
	d->callback_result = sc_done;
	d->callback_param = &r;
	assert_false(dma_submit_error(dmaengine_submit(d)));
	dma_async_issue_pending(c);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&r.calls, __ATOMIC_ACQUIRE),
				  TMO));
	assert_int_equal(r.calls, 1);
	return r.result;
}

static phys_addr_t fifo_base(struct platform_device *pdev)
{
	struct resource *res = platform_get_resource(pdev, IORESOURCE_MEM, 0);

	assert_non_null(res);
	return res->start;
}

static void test_slave_config_direct(void **st)
{
	struct platform_device *fifo1_pdev;
	struct dma_slave_config sc = { 0 };
	struct dk_machine_config cfg;
	struct dma_async_tx_descriptor *d, *held[4];
	struct dma_chan *rx, *tx;
	struct device *dd;
	phys_addr_t f0, f1;
	char __iomem *r0;
	dma_addr_t rbus, tbus;
	u8 *rbuf, *tbuf;
	size_t len = 4096;

	(void)st;
	/* Behind an IOMMU: an unmapped peripheral address faults. */
	dk_machine_config_init(&cfg);
	cfg.iommu.present = true;
	cfg.iommu.default_domain = DK_IOMMU_DEFAULT_DMA;
	m = dk_test_machine_up(&cfg);
	assert_non_null(m);
	assert_int_equal(dk_machine_add_dmac(m, NULL, &dmac_pdev), 0);
	assert_int_equal(dk_machine_add_fifo(m, NULL, &fifo_pdev), 0);
	assert_int_equal(dk_machine_add_fifo(m, NULL, &fifo1_pdev), 0);
	assert_int_equal(dk_machine_connect_dma(m, fifo_pdev, 0, "rx",
						dmac_pdev, 3), 0);
	assert_int_equal(dk_machine_connect_dma(m, fifo_pdev, 1, "tx",
						dmac_pdev, 4), 0);
	rx = dma_request_chan(&fifo_pdev->dev, "rx");
	tx = dma_request_chan(&fifo_pdev->dev, "tx");
	assert_false(IS_ERR(rx));
	assert_false(IS_ERR(tx));
	dd = dmaengine_get_dma_device(rx);
	f0 = fifo_base(fifo_pdev);
	f1 = fifo_base(fifo1_pdev);
	/* FIFO 0 by its registers: RX stream of seed 0, TX sink, both DMA. */
	r0 = ioremap(f0, FIFO_MMIO_SIZE);
	assert_non_null(r0);
	writel(FIFO_CTRL_RX_FLUSH | FIFO_CTRL_TX_FLUSH, r0 + FIFO_CTRL);
	writel(0, r0 + FIFO_SEED);
	writel(FIFO_CTRL_RX_EN | FIFO_CTRL_RX_DMA | FIFO_CTRL_TX_EN |
	       FIFO_CTRL_TX_DMA, r0 + FIFO_CTRL);
	rbuf = kmalloc(len, GFP_KERNEL);
	tbuf = kmalloc(len, GFP_KERNEL);
	assert_non_null(rbuf);
	assert_non_null(tbuf);
	memset(tbuf, 0x3c, len);
	rbus = dma_map_single(dd, rbuf, len, DMA_FROM_DEVICE);
	tbus = dma_map_single(dd, tbuf, len, DMA_TO_DEVICE);
	assert_false(dma_mapping_error(dd, rbus));
	assert_false(dma_mapping_error(dd, tbus));
	dk_test_log_clear();

	/*
	 * Both sides in one configuration, no direction; the prep direction
	 * picks one. (The dst side is a register of its own cacheline: a
	 * second device-writable mapping of FIFO 0's TX_DATA below would be
	 * dma-debug's overlapping-cacheline report.)
	 */
	sc.src_addr = f0 + FIFO_RX_DATA;
	sc.dst_addr = f1 + 0x300;
	sc.src_addr_width = sc.dst_addr_width = DMA_SLAVE_BUSWIDTH_8_BYTES;
	sc.src_maxburst = sc.dst_maxburst = DK_FIFO_BURST;
	assert_int_equal(dmaengine_slave_config(rx, &sc), 0);
	assert_null(dmaengine_prep_slave_single(rx, rbus, len + 4,
						DMA_DEV_TO_MEM, 0));
	assert_log_count("multiple of the 8-byte bus width", 1);
	d = dmaengine_prep_slave_single(rx, rbus, len, DMA_DEV_TO_MEM,
					DMA_PREP_INTERRUPT);
	assert_int_equal(sc_run(rx, d), DMA_TRANS_NOERROR);
	dma_sync_single_for_cpu(dd, rbus, len, DMA_FROM_DEVICE);
	check_stream(rbuf, len, 0, 0);

	/* A reconfiguration leaves a prepared descriptor its address. */
	memset(&sc, 0, sizeof(sc));
	sc.dst_addr = f0 + FIFO_TX_DATA;
	sc.dst_addr_width = DMA_SLAVE_BUSWIDTH_8_BYTES;
	sc.dst_maxburst = DK_FIFO_BURST;
	assert_int_equal(dmaengine_slave_config(tx, &sc), 0);
	d = dmaengine_prep_slave_single(tx, tbus, len, DMA_MEM_TO_DEV,
					DMA_PREP_INTERRUPT);
	assert_non_null(d);
	sc.dst_addr = f1 + FIFO_TX_DATA;
	assert_int_equal(dmaengine_slave_config(tx, &sc), 0);
	assert_int_equal(sc_run(tx, d), DMA_TRANS_NOERROR);
	assert_true(DK_WAIT_UNTIL(readq(r0 + FIFO_TX_COUNT) == len, TMO));

	/*
	 * Four addresses held by prepared descriptors fill the channel's
	 * mappings: a fifth configuration is refused, and accepted once the
	 * descriptors are gone.
	 */
	for (int i = 0; i < 4; i++) {
		/* One cacheline each: dma-debug tracks device writes. */
		sc.dst_addr = f1 + 0x100 + 64 * (phys_addr_t)i;
		assert_int_equal(dmaengine_slave_config(tx, &sc), 0);
		held[i] = dmaengine_prep_slave_single(tx, tbus, len,
						      DMA_MEM_TO_DEV, 0);
		assert_non_null(held[i]);
	}
	sc.dst_addr = f1 + 0x200;
	assert_int_equal(dmaengine_slave_config(tx, &sc), -EBUSY);
	assert_log_count("still used by prepared descriptors", 1);
	/* The refused configuration left the channel unconfigured. */
	assert_null(dmaengine_prep_slave_single(tx, tbus, len,
						DMA_MEM_TO_DEV, 0));
	assert_log_count("without a dmaengine_slave_config() giving its dst_addr",
			 1);
	assert_int_equal(dmaengine_terminate_sync(tx), 0);	/* frees them */
	assert_int_equal(dmaengine_slave_config(tx, &sc), 0);

	dma_unmap_single(dd, rbus, len, DMA_FROM_DEVICE);
	dma_unmap_single(dd, tbus, len, DMA_TO_DEVICE);
	kfree(rbuf);
	kfree(tbuf);
	writel(0, r0 + FIFO_CTRL);
	iounmap(r0);
	/* Release unmaps every peripheral address: the leak check sees it. */
	dma_release_channel(rx);
	dma_release_channel(tx);
	assert_log_count(NULL, 3);	/* the three above, nothing else */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_teardown(test_probe_defer, teardown),
		cmocka_unit_test_setup_teardown(test_receive_stream, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_receive_sg, setup,
						teardown),
		cmocka_unit_test_teardown(test_receive_paced, teardown),
		cmocka_unit_test_setup_teardown(test_transmit_checked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_async_and_cancel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cyclic, setup, teardown),
		cmocka_unit_test_teardown(test_slave_config_direct, teardown),
		cmocka_unit_test_setup_teardown(test_cyclic_data, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
