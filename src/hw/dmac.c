// SPDX-License-Identifier: MIT
/*
 * dmac.c - the DK-DMAC multi-channel DMA controller model
 * (docs/hw/dmac.md): registers, the engine thread, descriptor processing.
 *
 * One engine (the device thread, ops->run) serves the channels round-robin,
 * one burst per channel per pass: at most 64 KiB of a copy or fill, or one
 * peripheral burst when the channel's request input is asserted. A pass in
 * which no channel could move anything ends run(); a START, RESUME or a
 * request-line change kicks it again. Every memory access (descriptor
 * fetch, data, RESULT write-back) goes through the DMA path, so through the
 * IOMMU.
 *
 * Channel control. The registers belong to the MMIO handlers (reg_lock).
 * What the engine needs from them is published in atomics: ch->run (RUN and
 * PAUSE bits and an epoch that every START, ABORT and reset bumps),
 * ch->start_ptr and ch->req_line. The engine keeps its own view of the list
 * (descriptor in progress, offset) and drops it when the epoch changes.
 * What the handlers show from the engine (CUR_DESC, BYTES, COMPLETED) is
 * published in atomics by the engine.
 *
 * Access handshake. Before it touches memory for a channel the engine sets
 * ch->in_access (seq_cst), then reads ch->run (seq_cst) and backs off if the
 * channel is no longer running; it clears in_access (release) after its last
 * access of the turn, and it updates CUR_DESC/BYTES/COMPLETED only inside
 * that window. ABORT, PAUSE and GCTRL.RESET store ch->run (seq_cst), then
 * wait for in_access to be clear: by the Dekker argument either the engine
 * saw the new run word, or the handler sees in_access set and waits for the
 * turn to end. So when the CMD write returns, no further access of the
 * channel reaches memory and BYTES holds. The wait is one burst at most
 * (bounded: the DMA path never sleeps), and the engine never takes reg_lock
 * while in_access is set, so the handler may wait under reg_lock.
 *
 * Events (DONE, IDLE, ERROR) are posted by the engine after the turn under
 * reg_lock, only if the channel's epoch is still the one the turn ran
 * under: an ABORT that won the race wins.
 *
 * Differences from the datasheet: none intended. Clarifications made in
 * docs/hw/dmac.md: CTL/NEXT are re-read at completion for a descriptor that
 * was LAST when fetched (the append case); a peripheral descriptor whose
 * LEN is not a multiple of its WIDTH is DESC_INVALID.
 *
 * LOCKING: reg_lock (device core) protects the register fields marked so.
 * The engine-private fields (e_*) are touched by the engine thread only.
 * Atomics as described above.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/hw/device.h>
#include <dmakit/hw/dma.h>
#include <dmakit/hw/dmac.h>
#include "hw/internal.h"

#define RUN_RUN		(1u << 0)
#define RUN_PAUSE	(1u << 1)
#define RUN_EPOCH	(1u << 8)	/* epoch counts in bits 31:8 */

#define PERIPH_BOUNCE	(128 * 8)	/* largest peripheral burst */

/* A descriptor as the engine keeps it (host order). */
struct dmac_desc {
	uint64_t src, dst;
	uint32_t len, ctl;
	uint64_t next;
};

struct dmac_chan {
	/* Registers; under reg_lock. */
	uint32_t ctrl;
	uint32_t status;		/* STATE | ERR << 8 */
	uint64_t desc_ptr;
	uint32_t int_status;
	uint32_t int_mask;
	struct dk_hw_irq_line irq;

	/* Handler -> engine; written under reg_lock, read atomically. */
	uint32_t run;
	uint32_t req_line;
	uint64_t start_ptr;

	/*
	 * Engine -> handlers; written by the engine inside its window, on
	 * their own line so that register polling does not bounce it.
	 */
	uint64_t cur_desc __attribute__((aligned(64)));
	uint32_t bytes;
	uint32_t completed;

	/* The handshake word, on its own line. */
	uint32_t in_access __attribute__((aligned(64)));

	/* Engine-private. */
	uint32_t e_epoch __attribute__((aligned(64)));
	bool e_have;			/* e_desc fetched, in progress */
	uint64_t e_addr;		/* e_desc's address, or next to fetch */
	uint32_t e_off;			/* bytes of e_desc moved */
	struct dmac_desc e_desc;
};

struct dmac {
	struct dk_hw_dev dev;		/* first */
	struct dmac_chan ch[DMAC_NCHAN];
	unsigned int rr;		/* engine: next channel to serve */
	uint8_t bounce[PERIPH_BOUNCE];	/* engine: peripheral bursts */
};

static inline struct dmac *to_dmac(struct dk_hw_dev *dev)
{
	return (struct dmac *)dev;
}

/* ---- handler side -------------------------------------------------------- */

static void chan_update_irq(struct dmac *d, unsigned int n)
{
	struct dmac_chan *ch = &d->ch[n];

	dk_hw_irq_update(&d->dev, &ch->irq, n, ch->int_status & ch->int_mask);
}

static uint32_t run_word(const struct dmac_chan *ch)
{
	return __atomic_load_n(&ch->run, __ATOMIC_RELAXED);
}

/*
 * Publish a new run word and, unless it keeps the channel running, wait
 * until the engine is out of its access window. Caller holds reg_lock.
 */
static void chan_set_run(struct dmac_chan *ch, uint32_t run)
{
	unsigned int spins = 0;

	/* seq_cst: pairs with the engine's in_access store and run load. */
	__atomic_store_n(&ch->run, run, __ATOMIC_SEQ_CST);
	if ((run & RUN_RUN) && !(run & RUN_PAUSE))
		return;
	while (__atomic_load_n(&ch->in_access, __ATOMIC_SEQ_CST)) {
		if (++spins > 64)
			sched_yield();
	}
}

/* Stop the channel at a burst boundary; caller holds reg_lock. */
static void chan_stop(struct dmac_chan *ch)
{
	uint32_t w = run_word(ch);

	chan_set_run(ch, (w & ~(RUN_EPOCH - 1)) + RUN_EPOCH);
}

static void chan_reset(struct dmac *d, unsigned int n)
{
	struct dmac_chan *ch = &d->ch[n];

	chan_stop(ch);
	ch->ctrl = 0;
	ch->status = 0;
	ch->desc_ptr = 0;
	ch->int_status = 0;
	ch->int_mask = 0;
	__atomic_store_n(&ch->req_line, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ch->start_ptr, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ch->cur_desc, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ch->bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ch->completed, 0, __ATOMIC_RELAXED);
	chan_update_irq(d, n);
}

static void dmac_reset(struct dk_hw_dev *dev)
{
	struct dmac *d = to_dmac(dev);

	for (unsigned int n = 0; n < DMAC_NCHAN; n++)
		chan_reset(d, n);
}

static void chan_cmd(struct dmac *d, unsigned int n, uint32_t cmd)
{
	struct dmac_chan *ch = &d->ch[n];
	uint32_t state = ch->status & DMAC_STATE_MASK;
	uint32_t w = run_word(ch);

	if (cmd & DMAC_CMD_ABORT) {
		if (state == DMAC_STATE_BUSY || state == DMAC_STATE_PAUSED) {
			chan_stop(ch);
			ch->status = DMAC_STATE_IDLE;
			ch->int_status |= DMAC_INT_ABORTED;
			chan_update_irq(d, n);
		}
		return;
	}
	if ((cmd & DMAC_CMD_START) &&
	    (state == DMAC_STATE_IDLE || state == DMAC_STATE_ERROR)) {
		if (!(ch->ctrl & DMAC_CTRL_EN)) {
			dk__debug("%s: channel %u: START with CTRL.EN clear ignored",
				  d->dev.name, n);
		} else {
			__atomic_store_n(&ch->start_ptr, ch->desc_ptr,
					 __ATOMIC_RELAXED);
			/*
			 * CUR_DESC at the new list, BYTES 0 (datasheet 2):
			 * the engine is off this channel (it is idle).
			 */
			__atomic_store_n(&ch->cur_desc, ch->desc_ptr,
					 __ATOMIC_RELEASE);
			__atomic_store_n(&ch->bytes, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&ch->req_line,
					 (ch->ctrl & DMAC_CTRL_REQ_MASK) >>
						 DMAC_CTRL_REQ_SHIFT,
					 __ATOMIC_RELAXED);
			ch->status = DMAC_STATE_BUSY;
			/* The new epoch carries start_ptr/req_line along. */
			chan_set_run(ch, ((w & ~(RUN_EPOCH - 1)) + RUN_EPOCH) |
					 RUN_RUN);
			dk_hw_kick(&d->dev);
			state = DMAC_STATE_BUSY;
		}
	}
	if ((cmd & DMAC_CMD_PAUSE) && state == DMAC_STATE_BUSY) {
		chan_set_run(ch, run_word(ch) | RUN_PAUSE);
		ch->status = DMAC_STATE_PAUSED;
		state = DMAC_STATE_PAUSED;
	}
	if ((cmd & DMAC_CMD_RESUME) && state == DMAC_STATE_PAUSED) {
		chan_set_run(ch, run_word(ch) & ~RUN_PAUSE);
		ch->status = DMAC_STATE_BUSY;
		dk_hw_kick(&d->dev);
	}
}

static uint32_t dmac_read32(struct dmac *d, uint64_t off)
{
	struct dmac_chan *ch;
	unsigned int n;
	uint32_t v = 0;

	switch (off) {
	case DMAC_ID:
		return DMAC_ID_VALUE;
	case DMAC_VERSION:
		return DMAC_VERSION_VALUE;
	case DMAC_CAP:
		return DMAC_CAP_VALUE;
	case DMAC_GINT_STATUS:
		for (n = 0; n < DMAC_NCHAN; n++)
			if (d->ch[n].int_status & d->ch[n].int_mask)
				v |= 1u << n;
		return v;
	case DMAC_GCTRL:
		return 0;
	}
	if (off < DMAC_CH_BASE || off >= DMAC_CH(DMAC_NCHAN))
		goto undefined;
	n = (unsigned int)((off - DMAC_CH_BASE) / DMAC_CH_STRIDE);
	ch = &d->ch[n];
	switch ((off - DMAC_CH_BASE) % DMAC_CH_STRIDE) {
	case DMAC_CH_CTRL:
		return ch->ctrl;
	case DMAC_CH_CMD:
		return 0;
	case DMAC_CH_STATUS:
		return ch->status;
	case DMAC_CH_DESC_PTR:
		return (uint32_t)ch->desc_ptr;
	case DMAC_CH_DESC_PTR + 4:
		return (uint32_t)(ch->desc_ptr >> 32);
	case DMAC_CH_CUR_DESC:
		return (uint32_t)__atomic_load_n(&ch->cur_desc,
						 __ATOMIC_ACQUIRE);
	case DMAC_CH_CUR_DESC + 4:
		return (uint32_t)(__atomic_load_n(&ch->cur_desc,
						  __ATOMIC_ACQUIRE) >> 32);
	case DMAC_CH_BYTES:
		return __atomic_load_n(&ch->bytes, __ATOMIC_ACQUIRE);
	case DMAC_CH_INT_STATUS:
		return ch->int_status;
	case DMAC_CH_INT_MASK:
		return ch->int_mask;
	case DMAC_CH_COMPLETED:
		return __atomic_load_n(&ch->completed, __ATOMIC_ACQUIRE);
	}
undefined:
	dk__debug("%s: read of undefined offset 0x%llx", d->dev.name,
		  (unsigned long long)off);
	return 0;
}

static void dmac_write32(struct dmac *d, uint64_t off, uint32_t v)
{
	struct dmac_chan *ch;
	unsigned int n;

	if (off == DMAC_GCTRL) {
		if (v & DMAC_GCTRL_RESET)
			dmac_reset(&d->dev);
		return;
	}
	if (off < DMAC_CH_BASE || off >= DMAC_CH(DMAC_NCHAN))
		goto ignored;
	n = (unsigned int)((off - DMAC_CH_BASE) / DMAC_CH_STRIDE);
	ch = &d->ch[n];
	switch ((off - DMAC_CH_BASE) % DMAC_CH_STRIDE) {
	case DMAC_CH_CTRL:
		v &= DMAC_CTRL_EN | DMAC_CTRL_REQ_MASK;
		if ((v & DMAC_CTRL_EN) && !(ch->ctrl & DMAC_CTRL_EN))
			__atomic_store_n(&ch->completed, 0, __ATOMIC_RELAXED);
		ch->ctrl = v;
		return;
	case DMAC_CH_CMD:
		chan_cmd(d, n, v & 0xf);
		return;
	case DMAC_CH_DESC_PTR:
		ch->desc_ptr = (ch->desc_ptr & ~0xffffffffull) | v;
		return;
	case DMAC_CH_DESC_PTR + 4:
		ch->desc_ptr = (ch->desc_ptr & 0xffffffffull) |
			       ((uint64_t)v << 32);
		return;
	case DMAC_CH_INT_STATUS:
		ch->int_status &= ~v;
		chan_update_irq(d, n);
		return;
	case DMAC_CH_INT_MASK:
		ch->int_mask = v & DMAC_INT_ALL;
		chan_update_irq(d, n);
		return;
	}
ignored:
	dk__debug("%s: write of 0x%x to read-only or undefined offset 0x%llx ignored",
		  d->dev.name, v, (unsigned long long)off);
}

static uint64_t dmac_mmio_read(struct dk_hw_dev *dev, uint64_t off,
			       unsigned int size)
{
	struct dmac *d = to_dmac(dev);

	if (size == 8) {
		uint64_t rel = (off - DMAC_CH_BASE) % DMAC_CH_STRIDE;

		/* One load: the halves of CUR_DESC must agree. */
		if (off >= DMAC_CH_BASE && off < DMAC_CH(DMAC_NCHAN) &&
		    rel == DMAC_CH_CUR_DESC)
			return __atomic_load_n(
				&d->ch[(off - DMAC_CH_BASE) / DMAC_CH_STRIDE]
					 .cur_desc,
				__ATOMIC_ACQUIRE);
		return dmac_read32(d, off) |
		       ((uint64_t)dmac_read32(d, off + 4) << 32);
	}
	return dmac_read32(d, off);
}

static void dmac_mmio_write(struct dk_hw_dev *dev, uint64_t off, uint64_t val,
			    unsigned int size)
{
	struct dmac *d = to_dmac(dev);

	dmac_write32(d, off, (uint32_t)val);
	if (size == 8)
		dmac_write32(d, off + 4, (uint32_t)(val >> 32));
}

static void dmac_dmareq(struct dk_hw_dev *dev, unsigned int line, bool level)
{
	/* The engine reads the live level; this is only its wake-up. */
	if (level)
		dk_hw_kick(dev);
}

/* ---- engine side --------------------------------------------------------- */

enum turn {
	TURN_NONE,	/* nothing to do for this channel now */
	TURN_WORKED,	/* moved something */
};

/* What a turn leaves to post under reg_lock. */
struct turn_event {
	uint32_t ints;		/* INT_STATUS bits */
	uint32_t err;		/* non-zero: stop with this error */
	bool idle;		/* the list ended */
};

static inline uint64_t le64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t le32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Write RESULT and RBYTES; 0 or -errno. */
static int write_result(struct dmac *d, uint64_t desc, uint32_t result,
			uint32_t rbytes)
{
	uint8_t b[8];

	memcpy(b, &result, 4);
	memcpy(b + 4, &rbytes, 4);
	return dk_dma_write(&d->dev, desc + DMAC_D_RESULT, b, sizeof(b));
}

/* Error in the descriptor in progress: RESULT when possible. */
static void desc_error(struct dmac *d, struct dmac_chan *ch,
		       struct turn_event *ev, uint32_t err, bool wb)
{
	ev->err = err;
	ev->ints |= DMAC_INT_ERROR;
	if (wb)
		(void)write_result(d, ch->e_addr, err, ch->e_off);
}

/* Fetch and check the descriptor at ch->e_addr; false on error. */
static bool fetch(struct dmac *d, struct dmac_chan *ch, struct turn_event *ev)
{
	uint64_t addr = ch->e_addr;
	struct dmac_desc *dd = &ch->e_desc;
	uint8_t raw[DMAC_DESC_SIZE];
	uint32_t op, w;

	__atomic_store_n(&ch->cur_desc, addr, __ATOMIC_RELEASE);
	__atomic_store_n(&ch->bytes, 0, __ATOMIC_RELEASE);
	ch->e_off = 0;
	if (addr & (DMAC_DESC_SIZE - 1)) {
		dk__debug("%s: descriptor address 0x%llx is not 64-byte aligned",
			  d->dev.name, (unsigned long long)addr);
		desc_error(d, ch, ev, DMAC_ERR_ALIGN, false);
		return false;
	}
	if (dk_dma_read(&d->dev, addr, raw, sizeof(raw))) {
		desc_error(d, ch, ev, DMAC_ERR_DESC_FETCH, false);
		return false;
	}
	dd->src = le64_at(raw + DMAC_D_SRC);
	dd->dst = le64_at(raw + DMAC_D_DST);
	dd->len = le32_at(raw + DMAC_D_LEN);
	dd->ctl = le32_at(raw + DMAC_D_CTL);
	dd->next = le64_at(raw + DMAC_D_NEXT);
	op = dd->ctl & DMAC_OP_MASK;
	w = 1u << ((dd->ctl & DMAC_CTL_WIDTH_MASK) >> DMAC_CTL_WIDTH_SHIFT);
	if (op > DMAC_OP_MEM_TO_DEV || (dd->ctl & DMAC_CTL_RESERVED) ||
	    !dd->len || le64_at(raw + 0x28) || le64_at(raw + 0x30) ||
	    le64_at(raw + 0x38) ||
	    (op >= DMAC_OP_DEV_TO_MEM && dd->len % w)) {
		dk__debug("%s: descriptor 0x%llx invalid: CTL 0x%x LEN %u",
			  d->dev.name, (unsigned long long)addr, dd->ctl,
			  dd->len);
		desc_error(d, ch, ev, DMAC_ERR_DESC_INVALID, true);
		return false;
	}
	if ((op == DMAC_OP_DEV_TO_MEM && (dd->src & (w - 1))) ||
	    (op == DMAC_OP_MEM_TO_DEV && (dd->dst & (w - 1)))) {
		desc_error(d, ch, ev, DMAC_ERR_ALIGN, true);
		return false;
	}
	ch->e_have = true;
	return true;
}

/*
 * Move one burst of the descriptor in progress. Returns the bytes moved
 * (0: waiting for the request line) or -1 after an error.
 */
static int64_t burst(struct dmac *d, struct dmac_chan *ch,
		     struct turn_event *ev)
{
	struct dmac_desc *dd = &ch->e_desc;
	uint32_t left = dd->len - ch->e_off;
	uint32_t op = dd->ctl & DMAC_OP_MASK;
	uint32_t n, w, beats;
	bool wfail;

	switch (op) {
	case DMAC_OP_COPY:
		n = left < DMAC_MAX_BURST ? left : DMAC_MAX_BURST;
		if (dk_dma_copy_side(&d->dev, dd->dst + ch->e_off,
				     dd->src + ch->e_off, n, &wfail)) {
			desc_error(d, ch, ev, wfail ? DMAC_ERR_WRITE :
						      DMAC_ERR_READ, true);
			return -1;
		}
		return n;
	case DMAC_OP_FILL:
		n = left < DMAC_MAX_BURST ? left : DMAC_MAX_BURST;
		/* e_off is a multiple of 64 KiB: the pattern starts in phase. */
		if (dk_dma_fill(&d->dev, dd->dst + ch->e_off, dd->src, n)) {
			desc_error(d, ch, ev, DMAC_ERR_WRITE, true);
			return -1;
		}
		return n;
	}
	if (!dk_hw_dmareq_input(&d->dev,
				__atomic_load_n(&ch->req_line,
						__ATOMIC_RELAXED)))
		return 0;
	w = 1u << ((dd->ctl & DMAC_CTL_WIDTH_MASK) >> DMAC_CTL_WIDTH_SHIFT);
	beats = 1u << ((dd->ctl & DMAC_CTL_BURST_MASK) >> DMAC_CTL_BURST_SHIFT);
	if ((uint64_t)beats * w > left)
		beats = left / w;	/* LEN is a multiple of w */
	n = beats * w;
	if (op == DMAC_OP_DEV_TO_MEM) {
		for (uint32_t b = 0; b < beats; b++) {
			if (dk_dma_read(&d->dev, dd->src, d->bounce + b * w,
					w)) {
				desc_error(d, ch, ev, DMAC_ERR_READ, true);
				return -1;
			}
		}
		if (dk_dma_write(&d->dev, dd->dst + ch->e_off, d->bounce, n)) {
			desc_error(d, ch, ev, DMAC_ERR_WRITE, true);
			return -1;
		}
	} else {
		if (dk_dma_read(&d->dev, dd->src + ch->e_off, d->bounce, n)) {
			desc_error(d, ch, ev, DMAC_ERR_READ, true);
			return -1;
		}
		for (uint32_t b = 0; b < beats; b++) {
			if (dk_dma_write(&d->dev, dd->dst, d->bounce + b * w,
					 w)) {
				desc_error(d, ch, ev, DMAC_ERR_WRITE, true);
				return -1;
			}
		}
	}
	return n;
}

/* The descriptor in progress moved all its bytes: finish it. */
static bool complete(struct dmac *d, struct dmac_chan *ch,
		     struct turn_event *ev)
{
	struct dmac_desc *dd = &ch->e_desc;
	uint32_t ctl = dd->ctl;
	uint64_t next = dd->next;

	if (ctl & DMAC_CTL_LAST) {
		/* Appending: CTL and NEXT as they are now. */
		uint8_t b[12];

		if (dk_dma_read(&d->dev, ch->e_addr + DMAC_D_CTL, b,
				sizeof(b))) {
			desc_error(d, ch, ev, DMAC_ERR_DESC_FETCH, false);
			return false;
		}
		ctl = le32_at(b);
		next = le64_at(b + 4);
	}
	if (write_result(d, ch->e_addr, DMAC_RESULT_DONE, dd->len)) {
		desc_error(d, ch, ev, DMAC_ERR_STATUS_WB, false);
		return false;
	}
	__atomic_add_fetch(&ch->completed, 1, __ATOMIC_RELEASE);
	ch->e_have = false;
	if (ctl & DMAC_CTL_IRQ)
		ev->ints |= DMAC_INT_DONE;
	if (ctl & DMAC_CTL_LAST) {
		ev->ints |= DMAC_INT_IDLE;
		ev->idle = true;
		return false;
	}
	ch->e_addr = next;
	return true;
}

/* Post a turn's events; the engine holds no lock. */
static void post(struct dmac *d, unsigned int n, uint32_t epoch,
		 const struct turn_event *ev)
{
	struct dmac_chan *ch = &d->ch[n];
	uint32_t w;

	pthread_mutex_lock(&d->dev.reg_lock);
	w = run_word(ch);
	/* An ABORT, START or reset since the turn: it wins. */
	if ((w & ~(RUN_EPOCH - 1)) == epoch && (w & RUN_RUN)) {
		if (ev->err) {
			ch->status = DMAC_STATE_ERROR | ev->err << DMAC_ERR_SHIFT;
			chan_set_run(ch, w & ~RUN_RUN);
		} else if (ev->idle) {
			ch->status = DMAC_STATE_IDLE;
			chan_set_run(ch, w & ~RUN_RUN);
		}
		ch->int_status |= ev->ints;
		chan_update_irq(d, n);
	}
	pthread_mutex_unlock(&d->dev.reg_lock);
}

/*
 * One turn of channel @n: fetch if needed, one burst, completion. Keeps
 * going through descriptors that need no event while the turn has moved
 * less than a burst's worth, so small descriptors do not cost a pass each.
 */
static enum turn chan_turn(struct dmac *d, unsigned int n)
{
	struct dmac_chan *ch = &d->ch[n];
	struct turn_event ev = { 0 };
	enum turn ret = TURN_NONE;
	uint64_t moved = 0;
	uint32_t w, epoch = 0;

	w = __atomic_load_n(&ch->run, __ATOMIC_RELAXED);
	if ((w & (RUN_RUN | RUN_PAUSE)) != RUN_RUN)
		return TURN_NONE;
	/* seq_cst: a stopper either sees this or we see its run word. */
	__atomic_store_n(&ch->in_access, 1, __ATOMIC_SEQ_CST);
	w = __atomic_load_n(&ch->run, __ATOMIC_SEQ_CST);
	if ((w & (RUN_RUN | RUN_PAUSE)) != RUN_RUN)
		goto out;
	epoch = w & ~(RUN_EPOCH - 1);
	if (epoch != ch->e_epoch) {
		ch->e_epoch = epoch;
		ch->e_have = false;
		ch->e_addr = __atomic_load_n(&ch->start_ptr, __ATOMIC_RELAXED);
	}
	while (moved < DMAC_MAX_BURST) {
		int64_t got;

		/* A PAUSE or ABORT waits for us: stop between descriptors. */
		if (moved && __atomic_load_n(&ch->run, __ATOMIC_SEQ_CST) != w)
			break;
		if (!ch->e_have && !fetch(d, ch, &ev)) {
			ret = TURN_WORKED;
			break;
		}
		got = burst(d, ch, &ev);
		if (got < 0) {
			ret = TURN_WORKED;
			break;
		}
		if (!got)
			break;		/* request line deasserted */
		ret = TURN_WORKED;
		moved += (uint64_t)got;
		ch->e_off += (uint32_t)got;
		__atomic_store_n(&ch->bytes, ch->e_off, __ATOMIC_RELEASE);
		if (ch->e_off < ch->e_desc.len)
			break;		/* one burst per turn */
		if (!complete(d, ch, &ev) || ev.ints)
			break;
		/* Other channels waiting: let them have their turn. */
		if (moved >= 4096)
			break;
	}
out:
	/* Release: our accesses precede the stopper's return. */
	__atomic_store_n(&ch->in_access, 0, __ATOMIC_RELEASE);
	if (ev.ints || ev.err || ev.idle)
		post(d, n, epoch, &ev);
	return ret;
}

static void dmac_run(struct dk_hw_dev *dev)
{
	struct dmac *d = to_dmac(dev);

	while (!dk_hw_stopping(dev)) {
		bool worked = false;

		for (unsigned int i = 0; i < DMAC_NCHAN; i++) {
			unsigned int n = (d->rr + i) % DMAC_NCHAN;

			if (chan_turn(d, n) == TURN_WORKED)
				worked = true;
		}
		d->rr = (d->rr + 1) % DMAC_NCHAN;
		if (!worked)
			return;
	}
}

static void dmac_release(struct dk_hw_dev *dev)
{
	free(to_dmac(dev));
}

static const struct dk_hw_ops dmac_ops = {
	.name = DMAC_NAME,
	.mmio_size = DMAC_MMIO_SIZE,
	.nr_irqs = DMAC_NCHAN,
	.access_sizes = 4 | 8,
	.reset = dmac_reset,
	.mmio_read = dmac_mmio_read,
	.mmio_write = dmac_mmio_write,
	.run = dmac_run,
	.release = dmac_release,
	.nr_dmareq_in = DMAC_NREQ,
	.dmareq = dmac_dmareq,
};

int dk__dmac_add(struct dk_machine *m, const struct dk_device_config *cfg,
		 struct platform_device **out)
{
	struct dmac *d;

	if (out)
		*out = NULL;
	/* Hardware state, not simulated RAM: the host heap is right. */
	d = aligned_alloc(64, sizeof(*d));
	if (!d)
		return -ENOMEM;
	memset(d, 0, sizeof(*d));
	/* On failure dk_hw_device_add() calls dmac_release(). */
	return dk_hw_device_add(m, cfg, &d->dev, &dmac_ops, out);
}
