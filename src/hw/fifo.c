// SPDX-License-Identifier: MIT
/*
 * fifo.c - the DK-FIFO streaming peripheral model (docs/hw/fifo.md): an RX
 * generator and a TX sink behind two 4 KiB FIFOs, each pacing itself by
 * the machine clock, and the two DMA request outputs they drive.
 *
 * The state is brought up to the current machine time (fifo_step()) on
 * every register access and by the device thread, which sleeps until the
 * next byte is due (dk_hw_sleep_until(): a manual clock wakes it when it
 * moves). A half with RATE 0 runs inline with the accesses: a pop refills
 * RX, a push drains TX at once. After each change the request outputs and
 * the interrupt are re-evaluated.
 *
 * LOCKING: every field below dev is under dev.reg_lock (the MMIO handlers
 * run under it; the thread takes it). dk_hw_dmareq_set() is called under
 * it, which serializes the outputs' writers as it requires.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/hw/device.h>
#include <dmakit/hw/fifo.h>
#include "hw/internal.h"

#define NS_PER_MS	1000000ull
#define NEVER		UINT64_MAX

struct fifo_half {
	uint8_t buf[FIFO_DEPTH_BYTES];
	uint32_t head;		/* oldest byte */
	uint32_t level;
	uint32_t thresh;
	uint32_t rate;		/* bytes per ms; 0: as fast as possible */
	uint64_t count;		/* RX: bytes generated; TX: consumed */
	uint64_t t0;		/* machine time the schedule started */
	uint64_t sched;		/* bytes the schedule moved since t0 */
};

struct fifo {
	struct dk_hw_dev dev;		/* first */
	uint32_t ctrl;
	uint32_t seed;
	uint32_t int_status;
	uint32_t int_mask;
	uint32_t rx_dropped;
	uint32_t tx_errors;
	struct dk_hw_irq_line irq;
	struct fifo_half rx, tx;
};

static inline struct fifo *to_fifo(struct dk_hw_dev *dev)
{
	return (struct fifo *)dev;
}

static uint8_t rx_seed(const struct fifo *f)
{
	return (uint8_t)f->seed;
}

static uint8_t tx_seed(const struct fifo *f)
{
	return (uint8_t)(f->seed >> 8);
}

/* Generate @n bytes into RX; the ones that do not fit are dropped. */
static void rx_generate(struct fifo *f, uint64_t n)
{
	struct fifo_half *h = &f->rx;
	uint64_t room = FIFO_DEPTH_BYTES - h->level;
	uint64_t push = n < room ? n : room;

	for (uint64_t i = 0; i < push; i++) {
		h->buf[(h->head + h->level) % FIFO_DEPTH_BYTES] =
			FIFO_PATTERN(h->count, rx_seed(f));
		h->level++;
		h->count++;
	}
	if (n > push) {
		h->count += n - push;
		f->rx_dropped += (uint32_t)(n - push);
		f->int_status |= FIFO_INT_RX_OVERRUN;
	}
}

/* Consume @n bytes of TX (at most the level). */
static void tx_consume(struct fifo *f, uint64_t n)
{
	struct fifo_half *h = &f->tx;

	for (uint64_t i = 0; i < n; i++) {
		uint8_t b = h->buf[h->head];

		if ((f->ctrl & FIFO_CTRL_TX_CHECK) &&
		    b != FIFO_PATTERN(h->count, tx_seed(f))) {
			f->tx_errors++;
			f->int_status |= FIFO_INT_TX_MISMATCH;
		}
		h->head = (h->head + 1) % FIFO_DEPTH_BYTES;
		h->level--;
		h->count++;
	}
}

/* Bytes a half's schedule owes by @now, and when the next one is due. */
static uint64_t sched_due(struct fifo_half *h, uint64_t now, uint64_t *next)
{
	unsigned __int128 total;
	uint64_t due, k;

	total = (unsigned __int128)(now - h->t0) * h->rate / NS_PER_MS;
	due = total > UINT64_MAX ? UINT64_MAX : (uint64_t)total;
	k = due - h->sched;
	h->sched = due;
	/* Byte due + 1 is due at t0 + ceil((due + 1) * 1e6 / rate). */
	total = ((unsigned __int128)(due + 1) * NS_PER_MS + h->rate - 1) /
		h->rate;
	*next = total + h->t0 > UINT64_MAX - 1 ? NEVER :
						  (uint64_t)total + h->t0;
	return k;
}

static void sched_restart(struct fifo_half *h, uint64_t now)
{
	h->t0 = now;
	h->sched = 0;
}

/*
 * Bring both halves up to @now, re-evaluate requests and the interrupt.
 * Returns the machine time the thread must wake at (NEVER: no timed work).
 * Caller holds reg_lock.
 */
static uint64_t fifo_step(struct fifo *f, uint64_t now)
{
	uint64_t wake = NEVER, next;
	bool rx_req, tx_req;

	if (f->ctrl & FIFO_CTRL_RX_EN) {
		if (!f->rx.rate) {
			rx_generate(f, FIFO_DEPTH_BYTES - f->rx.level);
		} else {
			rx_generate(f, sched_due(&f->rx, now, &next));
			wake = next;
		}
	}
	if (f->ctrl & FIFO_CTRL_TX_EN) {
		if (!f->tx.rate) {
			tx_consume(f, f->tx.level);
		} else {
			uint64_t k = sched_due(&f->tx, now, &next);

			if (k > f->tx.level) {
				f->int_status |= FIFO_INT_TX_UNDERRUN;
				k = f->tx.level;
			}
			tx_consume(f, k);
			if (next < wake)
				wake = next;
		}
	}

	rx_req = (f->ctrl & FIFO_CTRL_RX_DMA) && f->rx.level >= f->rx.thresh;
	tx_req = (f->ctrl & FIFO_CTRL_TX_DMA) &&
		 FIFO_DEPTH_BYTES - f->tx.level >= f->tx.thresh;
	if (f->rx.level >= f->rx.thresh)
		f->int_status |= FIFO_INT_RX_AVAIL;
	if (FIFO_DEPTH_BYTES - f->tx.level >= f->tx.thresh)
		f->int_status |= FIFO_INT_TX_SPACE;
	dk_hw_dmareq_set(&f->dev, FIFO_REQ_RX, rx_req);
	dk_hw_dmareq_set(&f->dev, FIFO_REQ_TX, tx_req);
	dk_hw_irq_update(&f->dev, &f->irq, 0, f->int_status & f->int_mask);
	return wake;
}

static void fifo_reset(struct dk_hw_dev *dev)
{
	struct fifo *f = to_fifo(dev);

	f->ctrl = 0;
	f->seed = 0;
	f->int_status = 0;
	f->int_mask = 0;
	f->rx_dropped = 0;
	f->tx_errors = 0;
	memset(&f->rx, 0, sizeof(f->rx));
	memset(&f->tx, 0, sizeof(f->tx));
	f->rx.thresh = FIFO_THRESH_RESET;
	f->tx.thresh = FIFO_THRESH_RESET;
	f->irq.asserted = false;
	dk_hw_dmareq_set(dev, FIFO_REQ_RX, false);
	dk_hw_dmareq_set(dev, FIFO_REQ_TX, false);
}

static uint64_t rx_pop(struct fifo *f, unsigned int size)
{
	struct fifo_half *h = &f->rx;
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++) {
		if (!h->level) {
			f->int_status |= FIFO_INT_RX_UNDERRUN;
			break;
		}
		v |= (uint64_t)h->buf[h->head] << (8 * i);
		h->head = (h->head + 1) % FIFO_DEPTH_BYTES;
		h->level--;
	}
	return v;
}

static void tx_push(struct fifo *f, uint64_t v, unsigned int size)
{
	struct fifo_half *h = &f->tx;

	for (unsigned int i = 0; i < size; i++) {
		if (h->level == FIFO_DEPTH_BYTES) {
			f->int_status |= FIFO_INT_TX_OVERRUN;
			break;
		}
		h->buf[(h->head + h->level) % FIFO_DEPTH_BYTES] =
			(uint8_t)(v >> (8 * i));
		h->level++;
	}
}

static uint32_t fifo_status(const struct fifo *f)
{
	uint32_t lv = __atomic_load_n(&f->dev.dmareq_level, __ATOMIC_RELAXED);
	uint32_t v = 0;

	if (lv & (1u << FIFO_REQ_RX))
		v |= FIFO_ST_RX_REQ;
	if (lv & (1u << FIFO_REQ_TX))
		v |= FIFO_ST_TX_REQ;
	if (!f->rx.level)
		v |= FIFO_ST_RX_EMPTY;
	if (f->rx.level == FIFO_DEPTH_BYTES)
		v |= FIFO_ST_RX_FULL;
	if (!f->tx.level)
		v |= FIFO_ST_TX_EMPTY;
	if (f->tx.level == FIFO_DEPTH_BYTES)
		v |= FIFO_ST_TX_FULL;
	return v;
}

static uint32_t fifo_read32(struct fifo *f, uint64_t off)
{
	switch (off) {
	case FIFO_ID:
		return FIFO_ID_VALUE;
	case FIFO_VERSION:
		return FIFO_VERSION_VALUE;
	case FIFO_DEPTH:
		return FIFO_DEPTH_BYTES;
	case FIFO_CTRL:
		return f->ctrl;
	case FIFO_STATUS:
		return fifo_status(f);
	case FIFO_RX_LEVEL:
		return f->rx.level;
	case FIFO_TX_LEVEL:
		return f->tx.level;
	case FIFO_RX_THRESH:
		return f->rx.thresh;
	case FIFO_TX_THRESH:
		return f->tx.thresh;
	case FIFO_RX_RATE:
		return f->rx.rate;
	case FIFO_TX_RATE:
		return f->tx.rate;
	case FIFO_SEED:
		return f->seed;
	case FIFO_INT_STATUS:
		return f->int_status;
	case FIFO_INT_MASK:
		return f->int_mask;
	case FIFO_RX_DROPPED:
		return f->rx_dropped;
	case FIFO_TX_ERRORS:
		return f->tx_errors;
	case FIFO_RX_COUNT:
		return (uint32_t)f->rx.count;
	case FIFO_RX_COUNT + 4:
		return (uint32_t)(f->rx.count >> 32);
	case FIFO_TX_COUNT:
		return (uint32_t)f->tx.count;
	case FIFO_TX_COUNT + 4:
		return (uint32_t)(f->tx.count >> 32);
	}
	dk__debug("%s: read of undefined offset 0x%llx", f->dev.name,
		  (unsigned long long)off);
	return 0;
}

/* Returns true when the thread must look at the schedule again. */
static bool fifo_write32(struct fifo *f, uint64_t off, uint32_t v,
			 uint64_t now)
{
	uint32_t old;

	switch (off) {
	case FIFO_CTRL:
		old = f->ctrl;
		f->ctrl = v & FIFO_CTRL_RW_MASK;
		if (v & FIFO_CTRL_RX_FLUSH) {
			f->rx.head = f->rx.level = 0;
			f->rx.count = 0;
			f->rx_dropped = 0;
			sched_restart(&f->rx, now);
		}
		if (v & FIFO_CTRL_TX_FLUSH) {
			f->tx.head = f->tx.level = 0;
			f->tx.count = 0;
			f->tx_errors = 0;
			sched_restart(&f->tx, now);
		}
		if ((f->ctrl & ~old) & FIFO_CTRL_RX_EN)
			sched_restart(&f->rx, now);
		if ((f->ctrl & ~old) & FIFO_CTRL_TX_EN)
			sched_restart(&f->tx, now);
		return true;
	case FIFO_RX_THRESH:
	case FIFO_TX_THRESH:
		if (!v || v > FIFO_DEPTH_BYTES) {
			dk__debug("%s: threshold %u outside 1..%u ignored",
				  f->dev.name, v, FIFO_DEPTH_BYTES);
			return false;
		}
		if (off == FIFO_RX_THRESH)
			f->rx.thresh = v;
		else
			f->tx.thresh = v;
		return false;
	case FIFO_RX_RATE:
		f->rx.rate = v;
		sched_restart(&f->rx, now);
		return true;
	case FIFO_TX_RATE:
		f->tx.rate = v;
		sched_restart(&f->tx, now);
		return true;
	case FIFO_SEED:
		f->seed = v & 0xffff;
		return false;
	case FIFO_INT_STATUS:
		f->int_status &= ~v;
		return false;
	case FIFO_INT_MASK:
		f->int_mask = v & FIFO_INT_ALL;
		return false;
	}
	dk__debug("%s: write of 0x%x to read-only or undefined offset 0x%llx ignored",
		  f->dev.name, v, (unsigned long long)off);
	return false;
}

static uint64_t fifo_mmio_read(struct dk_hw_dev *dev, uint64_t off,
			       unsigned int size)
{
	struct fifo *f = to_fifo(dev);
	uint64_t v;

	/* Registers show the device as of now. */
	fifo_step(f, dk_clock_ns());
	if (off == FIFO_RX_DATA) {
		v = rx_pop(f, size);
		fifo_step(f, dk_clock_ns());
		return v;
	}
	v = fifo_read32(f, off);
	if (size == 8)
		v |= (uint64_t)fifo_read32(f, off + 4) << 32;
	return v;
}

static void fifo_mmio_write(struct dk_hw_dev *dev, uint64_t off, uint64_t val,
			    unsigned int size)
{
	struct fifo *f = to_fifo(dev);
	uint64_t now = dk_clock_ns();
	bool kick;

	fifo_step(f, now);
	if (off == FIFO_TX_DATA) {
		tx_push(f, val, size);
		fifo_step(f, now);
		return;
	}
	kick = fifo_write32(f, off, (uint32_t)val, now);
	if (size == 8)
		kick |= fifo_write32(f, off + 4, (uint32_t)(val >> 32), now);
	fifo_step(f, now);
	if (kick)
		dk_hw_kick(dev);
}

static void fifo_run(struct dk_hw_dev *dev)
{
	struct fifo *f = to_fifo(dev);

	while (!dk_hw_stopping(dev)) {
		uint64_t wake;

		pthread_mutex_lock(&dev->reg_lock);
		wake = fifo_step(f, dk_clock_ns());
		pthread_mutex_unlock(&dev->reg_lock);
		if (wake == NEVER)
			return;
		dk_hw_sleep_until(dev, wake);
	}
}

static void fifo_release(struct dk_hw_dev *dev)
{
	free(to_fifo(dev));
}

static const struct dk_hw_ops fifo_ops = {
	.name = FIFO_NAME,
	.mmio_size = FIFO_MMIO_SIZE,
	.nr_irqs = 1,
	.access_sizes = 4 | 8,
	.reset = fifo_reset,
	.mmio_read = fifo_mmio_read,
	.mmio_write = fifo_mmio_write,
	.run = fifo_run,
	.release = fifo_release,
	.nr_dmareq_out = 2,
};

int dk__fifo_add(struct dk_machine *m, const struct dk_device_config *cfg,
		 struct platform_device **out)
{
	struct fifo *f;

	if (out)
		*out = NULL;
	/* Hardware state, not simulated RAM: the host heap is right. */
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	/* On failure dk_hw_device_add() calls fifo_release(). */
	return dk_hw_device_add(m, cfg, &f->dev, &fifo_ops, out);
}
