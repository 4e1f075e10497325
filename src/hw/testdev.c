// SPDX-License-Identifier: MIT
/*
 * testdev.c - the test copy device model (datasheet: docs/hw/testdev.md).
 *
 * A one-channel copy/fill engine. Software programs source, destination,
 * length and operation, then rings the doorbell. The doorbell handler
 * latches the programmed transfer and kicks the device thread, which moves
 * the data through the DMA path in bursts of TESTDEV_BURST bytes: a copy
 * reads a burst into the device's internal buffer, then writes it out (so a
 * refused read and a refused write are told apart, as on real hardware); a
 * fill writes the pattern. Between bursts the thread publishes BYTES_DONE,
 * honours an abort and returns early when the machine stops. The end of a
 * transfer sets STATUS and INT_STATUS and sends the interrupt message when
 * INT_STATUS & INT_MASK (with CTRL.IRQ_EN) goes from zero to non-zero.
 *
 * LOCKING: every register field below lives under dev.reg_lock, which the
 * MMIO core takes around mmio_read/mmio_write; the device thread takes it
 * to latch a transfer and to publish progress, never across a DMA access.
 * The burst buffer belongs to the device thread alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <dmakit/hw/device.h>
#include <dmakit/hw/dma.h>
#include <dmakit/hw/testdev.h>
#include "hw/internal.h"

struct td_xfer {
	uint32_t op;
	uint64_t src;
	uint64_t dst;
	uint32_t len;
	uint64_t pattern;
};

struct testdev {
	struct dk_hw_dev dev;		/* first: to_testdev() */

	/* Registers, under dev.reg_lock. */
	uint32_t ctrl;
	uint64_t src;
	uint64_t dst;
	uint32_t len;
	uint64_t fill;
	uint32_t status;
	uint32_t bytes_done;
	uint32_t int_status;
	uint32_t int_mask;
	struct dk_hw_irq_line irq_line;

	/* Engine state, under dev.reg_lock. */
	bool pending;			/* latched, awaiting the thread */
	bool abort;			/* software asked to abort */
	struct td_xfer latched;

	/* Device thread only. */
	uint8_t burst[TESTDEV_BURST];
};

static inline struct testdev *to_testdev(struct dk_hw_dev *dev)
{
	return (struct testdev *)dev;
}

static const char *td_reg_name(uint64_t off)
{
	switch (off) {
	case TESTDEV_ID:		return "ID";
	case TESTDEV_VERSION:		return "VERSION";
	case TESTDEV_CTRL:		return "CTRL";
	case TESTDEV_SRC_LO:		return "SRC_LO";
	case TESTDEV_SRC_HI:		return "SRC_HI";
	case TESTDEV_DST_LO:		return "DST_LO";
	case TESTDEV_DST_HI:		return "DST_HI";
	case TESTDEV_LEN:		return "LEN";
	case TESTDEV_FILL_LO:		return "FILL_LO";
	case TESTDEV_FILL_HI:		return "FILL_HI";
	case TESTDEV_DOORBELL:		return "DOORBELL";
	case TESTDEV_STATUS:		return "STATUS";
	case TESTDEV_BYTES_DONE:	return "BYTES_DONE";
	case TESTDEV_INT_STATUS:	return "INT_STATUS";
	case TESTDEV_INT_MASK:		return "INT_MASK";
	default:			return NULL;
	}
}

/* Caller holds reg_lock. Sends the message on a zero to non-zero edge. */
static void td_update_irq(struct testdev *td)
{
	uint32_t pending = 0;

	if (td->ctrl & TESTDEV_CTRL_IRQ_EN)
		pending = td->int_status & td->int_mask;
	dk_hw_irq_update(&td->dev, &td->irq_line, 0, pending);
}

/* Caller holds reg_lock. Ends the current transfer with @state/@err. */
static void td_finish(struct testdev *td, uint32_t state, uint32_t err)
{
	td->status = (td->status & TESTDEV_STATUS_REJECTED) | state |
		     err << TESTDEV_ERR_SHIFT;
	td->int_status |= state == TESTDEV_STATE_DONE ? TESTDEV_INT_DONE :
							TESTDEV_INT_ERROR;
	td_update_irq(td);
}

static void td_reset(struct dk_hw_dev *dev)
{
	struct testdev *td = to_testdev(dev);

	td->ctrl = 0;
	td->src = 0;
	td->dst = 0;
	td->len = 0;
	td->fill = 0;
	td->status = TESTDEV_STATE_IDLE;
	td->bytes_done = 0;
	td->int_status = 0;
	td->int_mask = 0;
	td->irq_line.asserted = false;
	td->pending = false;
	td->abort = false;
}

/* Caller holds reg_lock: the doorbell. */
static void td_doorbell(struct testdev *td, uint32_t val)
{
	struct dk_hw_dev *dev = &td->dev;
	bool busy = (td->status & TESTDEV_STATE_MASK) == TESTDEV_STATE_BUSY;
	uint32_t op = td->ctrl & TESTDEV_CTRL_OP_MASK;

	dk__trace(dev->trace_track, DK_EV_DOORBELL, TESTDEV_DOORBELL, val, 0);
	if (val & TESTDEV_DB_ABORT) {
		if (busy)
			td->abort = true;
		return;
	}
	if (!(val & TESTDEV_DB_START))
		return;
	if (busy) {
		dk__warn("%s: doorbell rung while busy: refused, the transfer in progress continues",
			 dev->name);
		td->status |= TESTDEV_STATUS_REJECTED;
		td->int_status |= TESTDEV_INT_REJECT;
		td_update_irq(td);
		return;
	}
	td->status = TESTDEV_STATE_BUSY;	/* clears REJECTED and ERR */
	td->bytes_done = 0;
	td->abort = false;
	if (op != TESTDEV_CTRL_OP_COPY && op != TESTDEV_CTRL_OP_FILL) {
		td_finish(td, TESTDEV_STATE_ERROR, TESTDEV_ERR_BAD_OP);
		return;
	}
	if (!td->len) {
		td_finish(td, TESTDEV_STATE_ERROR, TESTDEV_ERR_ZERO_LEN);
		return;
	}
	td->latched.op = op;
	td->latched.src = td->src;
	td->latched.dst = td->dst;
	td->latched.len = td->len;
	td->latched.pattern = td->fill;
	td->pending = true;
	dk_hw_kick(dev);
}

static void log_bad(struct testdev *td, const char *what, uint64_t off,
		    uint32_t val)
{
	const char *name = td_reg_name(off);

	if (name)
		dk__warn("%s: %s register %s (0x%03llx), value 0x%08x dropped",
			 td->dev.name, what, name, (unsigned long long)off,
			 val);
	else
		dk__warn("%s: %s unknown register offset 0x%03llx (value 0x%08x ignored)",
			 td->dev.name, what, (unsigned long long)off, val);
}

static uint32_t td_reg32(struct testdev *td, uint64_t off)
{
	switch (off) {
	case TESTDEV_ID:		return TESTDEV_ID_VALUE;
	case TESTDEV_VERSION:		return TESTDEV_VERSION_VALUE;
	case TESTDEV_CTRL:		return td->ctrl;
	case TESTDEV_SRC_LO:		return (uint32_t)td->src;
	case TESTDEV_SRC_HI:		return (uint32_t)(td->src >> 32);
	case TESTDEV_DST_LO:		return (uint32_t)td->dst;
	case TESTDEV_DST_HI:		return (uint32_t)(td->dst >> 32);
	case TESTDEV_LEN:		return td->len;
	case TESTDEV_FILL_LO:		return (uint32_t)td->fill;
	case TESTDEV_FILL_HI:		return (uint32_t)(td->fill >> 32);
	case TESTDEV_DOORBELL:		return 0;	/* write-only */
	case TESTDEV_STATUS:		return td->status;
	case TESTDEV_BYTES_DONE:	return td->bytes_done;
	case TESTDEV_INT_STATUS:	return td->int_status;
	case TESTDEV_INT_MASK:		return td->int_mask;
	default:			return 0;
	}
}

/* Returns false (and *v = 0) for an offset that is no register. */
static bool td_read32(struct testdev *td, uint64_t off, uint32_t *v)
{
	*v = td_reg32(td, off);
	return td_reg_name(off) != NULL;
}

static void set_lo(uint64_t *r, uint32_t v)
{
	*r = (*r & ~0xffffffffull) | v;
}

static void set_hi(uint64_t *r, uint32_t v)
{
	*r = (*r & 0xffffffffull) | (uint64_t)v << 32;
}

static void td_write32(struct testdev *td, uint64_t off, uint32_t val)
{
	switch (off) {
	case TESTDEV_CTRL:
		if (val & ~TESTDEV_CTRL_RW_MASK)
			dk__warn("%s: CTRL write 0x%08x sets reserved bits 0x%08x (ignored)",
				 td->dev.name, val,
				 val & ~TESTDEV_CTRL_RW_MASK);
		td->ctrl = val & TESTDEV_CTRL_RW_MASK;
		td_update_irq(td);
		break;
	case TESTDEV_SRC_LO:	set_lo(&td->src, val);	break;
	case TESTDEV_SRC_HI:	set_hi(&td->src, val);	break;
	case TESTDEV_DST_LO:	set_lo(&td->dst, val);	break;
	case TESTDEV_DST_HI:	set_hi(&td->dst, val);	break;
	case TESTDEV_LEN:	td->len = val;		break;
	case TESTDEV_FILL_LO:	set_lo(&td->fill, val);	break;
	case TESTDEV_FILL_HI:	set_hi(&td->fill, val);	break;
	case TESTDEV_DOORBELL:
		td_doorbell(td, val);
		break;
	case TESTDEV_INT_STATUS:
		td->int_status &= ~val;		/* write 1 to clear */
		td_update_irq(td);
		break;
	case TESTDEV_INT_MASK:
		td->int_mask = val & TESTDEV_INT_ALL;
		td_update_irq(td);
		break;
	case TESTDEV_ID:
	case TESTDEV_VERSION:
	case TESTDEV_STATUS:
	case TESTDEV_BYTES_DONE:
		log_bad(td, "write to read-only", off, val);
		break;
	default:
		log_bad(td, "write to", off, val);
		break;
	}
}

/* Called under reg_lock by the MMIO core; width and alignment checked. */
static uint64_t td_mmio_read(struct dk_hw_dev *dev, uint64_t off,
			     unsigned int size)
{
	struct testdev *td = to_testdev(dev);
	uint32_t lo, hi = 0;
	bool ok = td_read32(td, off, &lo);

	if (size == 8)
		ok &= td_read32(td, off + 4, &hi);
	if (!ok)
		dk__warn("%s: %u-byte read at unknown register offset 0x%03llx: unknown bytes read as 0",
			 dev->name, size, (unsigned long long)off);
	return lo | (uint64_t)hi << 32;
}

static void td_mmio_write(struct dk_hw_dev *dev, uint64_t off, uint64_t val,
			  unsigned int size)
{
	struct testdev *td = to_testdev(dev);

	if (size == 8 && !td_reg_name(off) && !td_reg_name(off + 4)) {
		dk__warn("%s: 8-byte write to unknown register offset 0x%03llx (value 0x%016llx ignored)",
			 dev->name, (unsigned long long)off,
			 (unsigned long long)val);
		return;
	}
	td_write32(td, off, (uint32_t)val);
	if (size == 8)
		td_write32(td, off + 4, (uint32_t)(val >> 32));
}

/* One burst; returns 0 or the TESTDEV_ERR_* code. Device thread. */
static uint32_t td_burst(struct testdev *td, const struct td_xfer *x,
			 uint64_t done, uint32_t n)
{
	if (x->op == TESTDEV_CTRL_OP_FILL)
		return dk_dma_fill(&td->dev, x->dst + done, x->pattern, n) ?
			       TESTDEV_ERR_DST_FAULT : 0;
	if (dk_dma_read(&td->dev, x->src + done, td->burst, n))
		return TESTDEV_ERR_SRC_FAULT;
	if (dk_dma_write(&td->dev, x->dst + done, td->burst, n))
		return TESTDEV_ERR_DST_FAULT;
	return 0;
}

static void td_run(struct dk_hw_dev *dev)
{
	struct testdev *td = to_testdev(dev);
	struct td_xfer x;
	uint64_t done = 0;
	uint32_t err = 0;

	pthread_mutex_lock(&dev->reg_lock);
	if (!td->pending) {
		pthread_mutex_unlock(&dev->reg_lock);
		return;
	}
	td->pending = false;
	x = td->latched;
	pthread_mutex_unlock(&dev->reg_lock);

	while (done < x.len) {
		uint32_t n = x.len - done < TESTDEV_BURST ?
				     (uint32_t)(x.len - done) : TESTDEV_BURST;
		bool abort;

		/* The machine is going away: leave the transfer BUSY. */
		if (dk_hw_stopping(dev))
			return;
		err = td_burst(td, &x, done, n);
		pthread_mutex_lock(&dev->reg_lock);
		if (!err)
			done += n;
		td->bytes_done = (uint32_t)done;
		abort = td->abort;
		pthread_mutex_unlock(&dev->reg_lock);
		if (err)
			break;
		if (abort && done < x.len) {
			err = TESTDEV_ERR_ABORTED;
			break;
		}
	}

	pthread_mutex_lock(&dev->reg_lock);
	td->abort = false;
	if (err)
		td_finish(td, TESTDEV_STATE_ERROR, err);
	else
		td_finish(td, TESTDEV_STATE_DONE, TESTDEV_ERR_NONE);
	pthread_mutex_unlock(&dev->reg_lock);
}

static void td_release(struct dk_hw_dev *dev)
{
	free(to_testdev(dev));
}

static const struct dk_hw_ops testdev_ops = {
	.name		= TESTDEV_NAME,
	.mmio_size	= TESTDEV_MMIO_SIZE,
	.nr_irqs	= TESTDEV_NR_IRQS,
	.access_sizes	= 4 | 8,
	.reset		= td_reset,
	.mmio_read	= td_mmio_read,
	.mmio_write	= td_mmio_write,
	.run		= td_run,
	.release	= td_release,
};

int dk_machine_add_testdev(struct dk_machine *m,
			   const struct dk_device_config *cfg,
			   struct platform_device **out)
{
	struct testdev *td;

	if (out)
		*out = NULL;
	if (!m) {
		dk__err("dk_machine_add_testdev: machine is NULL");
		return -EINVAL;
	}
	/* Hardware state, not simulated RAM: the host heap is right. */
	td = calloc(1, sizeof(*td));
	if (!td)
		return -ENOMEM;
	/* On failure dk_hw_device_add() calls td_release(). */
	return dk_hw_device_add(m, cfg, &td->dev, &testdev_ops, out);
}
