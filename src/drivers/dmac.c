// SPDX-License-Identifier: MIT
/*
 * dmac.c - dmaengine driver for the DK-DMAC multi-channel DMA controller,
 * written from its datasheet (docs/hw/dmac.md) on the virt-dma helpers.
 *
 * The platform driver binds "dk-dmac" devices (registered at machine
 * create, dk__dmac_driver_init()), checks ID/VERSION/CAP, resets the
 * controller, requests one interrupt per channel and registers a
 * dma_device with MEMCPY, MEMSET, SLAVE, CYCLIC, INTERLEAVE and PRIVATE.
 *
 * Descriptors: a dmaengine descriptor (struct dkd_desc) is one or more
 * 64-byte hardware descriptors ("blocks") from a DMA pool of the
 * controller's device, so their bus addresses come through the IOMMU's
 * DMA domain when one translates. The blocks of a descriptor are linked at
 * prep time; the last carries LAST (and IRQ with DMA_PREP_INTERRUPT); a
 * cyclic descriptor's last block points back to its first.
 *
 * Hardware list: issue_pending moves issued descriptors to the channel's
 * active list and appends their blocks to the hardware list (datasheet
 * section 4: NEXT, then clear LAST in the old tail). The controller reads
 * CTL/NEXT when it completes a block, so it may have seen the old LAST just
 * before the link: after linking, a channel found IDLE is restarted at the
 * first block without RESULT.DONE, and the IDLE interrupt (unmasked) does
 * the same for a channel that goes idle a moment later.
 *
 * Completion: the IRQ handler (and tx_status, for polled clients) walks the
 * active list and completes, in order, each descriptor whose last block has
 * RESULT.DONE (vchan_cookie_complete; callbacks run in the vchan tasklet).
 * A block the controller may still be completing (CUR_DESC equals it while
 * BUSY: it is about to read NEXT) is left for the next pass, so a block is
 * never freed under the controller. Cyclic descriptors: each period block
 * raises DONE; the handler clears the RESULT of each completed period and
 * calls vchan_cyclic_callback().
 *
 * Errors: the descriptor the controller stopped at (CUR_DESC) completes
 * with a dmaengine_result: ERR READ and DESC_FETCH -> READ_FAILED, WRITE and
 * STATUS_WB -> WRITE_FAILED, DESC_INVALID, ALIGN and unknown codes ->
 * ABORTED; its residue is what it did not move. The channel then restarts
 * at the next descriptor (later work still runs, as most Linux drivers do
 * after an error interrupt); a failing cyclic descriptor ends its ring.
 *
 * Descriptors without DMA_PREP_INTERRUPT have no IRQ bit: they complete
 * when tx_status reaps their RESULT (polled use), at the next interrupt of
 * the channel, or at the IDLE interrupt when the list ends with them.
 *
 * Assumes a little-endian host (the descriptor layout is little-endian).
 *
 * LOCKING: ch->vc.lock (virt-dma's spinlock) protects the vchan lists,
 * ch->active, ch->cyc, ch->cyc_next, ch->paused, ch->ctrl and the channel's
 * registers except INT_STATUS (read and acknowledged by the handler before
 * it takes the lock). ch->cfg_lock protects the slave configuration and
 * ch->req (taken inside vc.lock never; prep takes it alone).
 * ch->cache_lock protects the channel's cache of one-block descriptors.
 * dkd_nr_bound is updated under the platform bus lock (probe/remove).
 * Client callbacks run from the vchan tasklet with no lock held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/dmapool.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "kernel/internal.h"
#include "kernel/virt-dma.h"
#include <dmakit/drivers/dmac.h>

#define DRV_NAME "dk-dmac"

/* Global registers (datasheet 2.1). */
#define DMAC_ID			0x000
#define   DMAC_ID_MAGIC		0x444b4443u
#define DMAC_VERSION		0x004
#define   DMAC_VER_MAJOR(v)	((v) >> 16)
#define DMAC_CAP		0x008
#define   CAP_NCHAN(c)		((c) & 0xffu)
#define   CAP_OPS(c)		(((c) >> 8) & 0xffu)
#define   CAP_OP_COPY		(1u << 0)
#define   CAP_OP_FILL		(1u << 1)
#define   CAP_OP_DEV2MEM	(1u << 2)
#define   CAP_OP_MEM2DEV	(1u << 3)
#define   CAP_BURST_LOG2(c)	(((c) >> 16) & 0xfu)
#define   CAP_WIDTHS(c)		(((c) >> 24) & 0xfu)
#define   CAP_NREQ(c)		((((c) >> 28) & 0xfu) + 1)
#define DMAC_GINT_STATUS	0x010
#define DMAC_GCTRL		0x014
#define   GCTRL_RESET		(1u << 0)

/* Channel registers (datasheet 2.2), at 0x100 + 0x40 * n. */
#define DMAC_CH(n)		(0x100u + 0x40u * (n))
#define CH_CTRL			0x00
#define   CTRL_EN		(1u << 0)
#define   CTRL_REQ(r)		((u32)(r) << 8)
#define CH_CMD			0x04
#define   CMD_START		(1u << 0)
#define   CMD_PAUSE		(1u << 1)
#define   CMD_RESUME		(1u << 2)
#define   CMD_ABORT		(1u << 3)
#define CH_STATUS		0x08
#define   ST_STATE(s)		((s) & 0x3u)
#define   ST_IDLE		0u
#define   ST_BUSY		1u
#define   ST_PAUSED		2u
#define   ST_ERROR		3u
#define   ST_ERR(s)		(((s) >> 8) & 0xffu)
#define CH_DESC_PTR		0x10	/* 64-bit */
#define CH_CUR_DESC		0x18	/* 64-bit */
#define CH_BYTES		0x20
#define CH_INT_STATUS		0x24
#define CH_INT_MASK		0x28
#define   INT_DONE		(1u << 0)
#define   INT_ERROR		(1u << 1)
#define   INT_ABORTED		(1u << 2)
#define   INT_IDLE		(1u << 3)
#define   INT_ALL		0xfu
#define CH_COMPLETED		0x2c

/* Error codes (datasheet 6). */
#define ERR_DESC_FETCH		0x01
#define ERR_DESC_INVALID	0x02
#define ERR_READ		0x03
#define ERR_WRITE		0x04
#define ERR_STATUS_WB		0x05
#define ERR_ALIGN		0x06

#define DMAC_WINDOW		0x1000u
#define DMAC_MAX_CHANNELS	((DMAC_WINDOW - 0x100u) / 0x40u)

/* Descriptor CTL (datasheet 3). */
#define CTL_OP_COPY		0x0u
#define CTL_OP_FILL		0x1u
#define CTL_OP_DEV2MEM		0x2u
#define CTL_OP_MEM2DEV		0x3u
#define CTL_IRQ			(1u << 4)
#define CTL_LAST		(1u << 5)
#define CTL_WIDTH(l2)		((u32)(l2) << 8)
#define CTL_BURST(l2)		((u32)(l2) << 12)
#define RESULT_DONE		(1u << 31)
#define RESULT_ERR(r)		((r) & 0xffu)

/* Largest LEN we put in one block: below 2^32, keeps 64 KiB alignment. */
#define DKD_MAX_SEG		0xffff0000u
/* One-block descriptors kept per channel for reuse by prep. */
#define DKD_CACHE_MAX		256
/* Longest we wait for a PAUSE to take effect (a burst is <= 64 KiB). */
#define DKD_PAUSE_WAIT_NS	1000000000ull

/**
 * struct dkd_hwdesc - a hardware descriptor in RAM (datasheet 3)
 *
 * Fields the controller may read while software changes them (CTL, NEXT
 * of a list's tail) or writes while software reads them (RESULT) are
 * accessed with __atomic builtins.
 */
struct dkd_hwdesc {
	u64 src;
	u64 dst;
	u32 len;
	u32 ctl;
	u64 next;
	u32 result;
	u32 rbytes;
	u32 rsvd[6];
};
_Static_assert(sizeof(struct dkd_hwdesc) == 64, "descriptor is 64 bytes");

/* One block of a descriptor: where it is, and what was prepared. */
struct dkd_blk {
	struct dkd_hwdesc *hw;	/* CPU address (pool) */
	dma_addr_t bus;		/* its bus address */
	u32 len;
	u32 ctl;		/* as prepared, LAST included on the last */
};

struct dkd_chan;

/*
 * A peripheral address mapped for the controller (dma_map_resource: the
 * controller reaches the FIFO through the IOMMU too). Every descriptor
 * prepared for it holds a reference, so a dmaengine_slave_config() that
 * moves the channel to another address leaves the old one mapped for the
 * descriptors already prepared; it is unmapped once none uses it and the
 * configuration no longer names it (at the next configuration, or when the
 * channel is released). The channel keeps DKD_SMAP_MAX of them.
 */
#define DKD_SMAP_MAX	4

struct dkd_smap {
	phys_addr_t phys;	/* 0: slot free */
	dma_addr_t bus;
	enum dma_data_direction dir;
	unsigned int refs;	/* descriptors using it; cfg_lock */
};

/**
 * struct dkd_desc - a dmaengine descriptor of this driver
 * @vd: virt-dma part (first)
 * @ch: its channel
 * @cyclic: the blocks form a ring
 * @nr: blocks in use
 * @cap: blocks allocated (@blk has room for @cap)
 * @len: bytes of the whole transfer
 * @smap: the peripheral mapping it uses (a reference), or NULL
 * @blk: the blocks, in list order
 */
struct dkd_desc {
	struct virt_dma_desc vd;
	struct dkd_chan *ch;
	struct dkd_smap *smap;
	bool cyclic;
	unsigned int nr;
	unsigned int cap;
	size_t len;
	struct dkd_blk blk[];
};

struct dkd;

/**
 * struct dkd_chan - one channel
 * @vc: virtual channel (first)
 * @dd: the controller
 * @regs: the channel's register block
 * @id: channel number
 * @irq: its interrupt vector (-1 until requested)
 * @active: descriptors on the hardware list, in order (vc.lock)
 * @cyc: the cyclic descriptor on the list, or NULL (vc.lock)
 * @cyc_next: its next period block expected to complete (vc.lock)
 * @paused: a client paused the channel (vc.lock)
 * @ctrl: value last written to CTRL (vc.lock)
 * @cfg_lock: protects @cfg, @have_cfg, @smap and @req
 * @cfg: the client's slave configuration (both sides: the direction given
 *       at prep picks one, as in Linux, where cfg->direction is deprecated)
 * @have_cfg: @cfg was set
 * @smap: peripheral addresses mapped for the controller (see dkd_smap)
 * @req: request input for peripheral transfers (the slave map's line)
 * @cache_lock: protects @cache and @nr_cache
 * @cache: free one-block descriptors (linked by vd.node)
 * @nr_cache: entries in @cache
 */
struct dkd_chan {
	struct virt_dma_chan vc;
	struct dkd *dd;
	void __iomem *regs;
	unsigned int id;
	int irq;

	struct list_head active;
	struct dkd_desc *cyc;
	unsigned int cyc_next;
	bool paused;
	u32 ctrl;

	spinlock_t cfg_lock;
	struct dma_slave_config cfg;
	bool have_cfg;
	struct dkd_smap smap[DKD_SMAP_MAX];
	unsigned int req;

	spinlock_t cache_lock;
	struct list_head cache;
	unsigned int nr_cache;
};

/**
 * struct dkd - one controller
 * @ddev: the dmaengine device
 * @pdev: its platform device
 * @dev: &pdev->dev
 * @regs: register window
 * @cap: CAP register
 * @nreq: request inputs
 * @pool: descriptor pool (64-byte blocks, 64-byte aligned)
 * @nchan: channels
 * @chan: the channels
 */
struct dkd {
	struct dma_device ddev;
	struct platform_device *pdev;
	struct device *dev;
	void __iomem *regs;
	u32 cap;
	unsigned int nreq;
	struct dma_pool *pool;
	unsigned int nchan;
	struct dkd_chan *chan;
};

static unsigned int dkd_nr_bound;	/* platform bus lock */
static DEFINE_MUTEX(dkd_reg_lock);
static bool dkd_registered;		/* dkd_reg_lock */

static inline struct dkd_chan *to_dkd_chan(struct dma_chan *c)
{
	return container_of(to_virt_chan(c), struct dkd_chan, vc);
}

static inline struct dkd_desc *to_dkd_desc(struct virt_dma_desc *vd)
{
	return container_of(vd, struct dkd_desc, vd);
}

static inline u32 ch_read(struct dkd_chan *ch, unsigned int off)
{
	return readl((char __iomem *)ch->regs + off);
}

static inline void ch_write(struct dkd_chan *ch, unsigned int off, u32 val)
{
	writel(val, (char __iomem *)ch->regs + off);
}

static inline u64 ch_read64(struct dkd_chan *ch, unsigned int off)
{
	return readq((char __iomem *)ch->regs + off);
}

static inline void ch_write64(struct dkd_chan *ch, unsigned int off, u64 val)
{
	writeq(val, (char __iomem *)ch->regs + off);
}

static inline u32 blk_result(const struct dkd_blk *b)
{
	/* Acquire: the data the controller moved is visible after DONE. */
	return __atomic_load_n(&b->hw->result, __ATOMIC_ACQUIRE);
}

static inline bool blk_done(const struct dkd_blk *b)
{
	return blk_result(b) & RESULT_DONE;
}

static inline struct dkd_blk *desc_last(struct dkd_desc *d)
{
	return &d->blk[d->nr - 1];
}

static unsigned long long dkd_host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull +
	       (unsigned long long)ts.tv_nsec;
}

/* ---- descriptors --------------------------------------------------------- */

/* Drop a descriptor's reference. Context: any; takes ch->cfg_lock. */
static void dkd_smap_put(struct dkd_chan *ch, struct dkd_smap *sm)
{
	unsigned long flags;

	if (!sm)
		return;
	spin_lock_irqsave(&ch->cfg_lock, flags);
	sm->refs--;
	spin_unlock_irqrestore(&ch->cfg_lock, flags);
}

static void dkd_desc_destroy(struct dkd_chan *ch, struct dkd_desc *d)
{
	unsigned int i;

	dkd_smap_put(ch, d->smap);
	d->smap = NULL;
	for (i = 0; i < d->cap; i++)
		if (d->blk[i].hw)
			dma_pool_free(ch->dd->pool, d->blk[i].hw,
				      d->blk[i].bus);
	kfree(d);
}

/*
 * A descriptor with room for @nr blocks, its blocks allocated.
 * Context: any (GFP_NOWAIT); takes ch->cache_lock.
 */
static struct dkd_desc *dkd_desc_get(struct dkd_chan *ch, unsigned int nr)
{
	struct dkd_desc *d = NULL;
	unsigned long flags;
	unsigned int i;

	if (nr == 1) {
		spin_lock_irqsave(&ch->cache_lock, flags);
		if (!list_empty(&ch->cache)) {
			d = list_first_entry(&ch->cache, struct dkd_desc,
					     vd.node);
			list_del(&d->vd.node);
			ch->nr_cache--;
		}
		spin_unlock_irqrestore(&ch->cache_lock, flags);
		if (d) {
			memset(&d->vd, 0, sizeof(d->vd));
			d->cyclic = false;
			d->len = 0;
			d->nr = 1;
			return d;
		}
	}
	d = kzalloc(sizeof(*d) + nr * sizeof(d->blk[0]), GFP_NOWAIT);
	if (!d) {
		dev_err(ch->dd->dev, "channel %u: no memory for a %u-block descriptor",
			ch->id, nr);
		return NULL;
	}
	d->ch = ch;
	d->cap = nr;
	d->nr = nr;
	for (i = 0; i < nr; i++) {
		d->blk[i].hw = dma_pool_alloc(ch->dd->pool, GFP_NOWAIT,
					      &d->blk[i].bus);
		if (!d->blk[i].hw) {
			dev_err(ch->dd->dev, "channel %u: descriptor pool exhausted at block %u of %u",
				ch->id, i, nr);
			dkd_desc_destroy(ch, d);
			return NULL;
		}
	}
	return d;
}

/* vc->desc_free: back to the cache, or freed. Context: any, no vc.lock. */
static void dkd_vdesc_free(struct virt_dma_desc *vd)
{
	struct dkd_desc *d = to_dkd_desc(vd);
	struct dkd_chan *ch = d->ch;
	unsigned long flags;

	dkd_smap_put(ch, d->smap);
	d->smap = NULL;
	if (d->cap == 1) {
		spin_lock_irqsave(&ch->cache_lock, flags);
		if (ch->nr_cache < DKD_CACHE_MAX) {
			list_add(&d->vd.node, &ch->cache);
			ch->nr_cache++;
			d = NULL;
		}
		spin_unlock_irqrestore(&ch->cache_lock, flags);
		if (!d)
			return;
	}
	dkd_desc_destroy(ch, d);
}

static void dkd_cache_flush(struct dkd_chan *ch)
{
	struct dkd_desc *d, *n;
	unsigned long flags;
	LIST_HEAD(head);

	spin_lock_irqsave(&ch->cache_lock, flags);
	list_splice_init(&ch->cache, &head);
	ch->nr_cache = 0;
	spin_unlock_irqrestore(&ch->cache_lock, flags);
	list_for_each_entry_safe(d, n, &head, vd.node) {
		list_del(&d->vd.node);
		dkd_desc_destroy(ch, d);
	}
}

/* Prepare block @i (not yet linked: NEXT and LAST come from dkd_finish). */
static void dkd_blk_set(struct dkd_desc *d, unsigned int i, u64 src, u64 dst,
			u32 len, u32 ctl)
{
	struct dkd_blk *b = &d->blk[i];

	b->len = len;
	b->ctl = ctl;
	d->len += len;
	/* Whole 64 bytes: reserved words must be 0. */
	*b->hw = (struct dkd_hwdesc){ .src = src, .dst = dst, .len = len,
				      .ctl = ctl };
}

/* Link the blocks, mark the end, hand the descriptor to virt-dma. */
static struct dma_async_tx_descriptor *dkd_finish(struct dkd_desc *d,
						  unsigned long flags,
						  bool cyclic)
{
	struct dkd_chan *ch = d->ch;
	unsigned int i;

	for (i = 0; i + 1 < d->nr; i++)
		d->blk[i].hw->next = d->blk[i + 1].bus;
	d->cyclic = cyclic;
	if (cyclic) {
		desc_last(d)->hw->next = d->blk[0].bus;
	} else {
		struct dkd_blk *b = desc_last(d);

		b->ctl |= CTL_LAST;
		if (flags & DMA_PREP_INTERRUPT)
			b->ctl |= CTL_IRQ;
		b->hw->ctl = b->ctl;
		b->hw->next = 0;
	}
	d->vd.tx.phys = d->blk[0].bus;
	return vchan_tx_prep(&ch->vc, &d->vd, flags);
}

/*
 * Make @d's blocks ready to be put on the hardware list: RESULT cleared,
 * the last block ending the list (a reused descriptor was linked before).
 * Context: caller holds vc.lock; the controller does not see @d yet.
 */
static void dkd_arm(struct dkd_desc *d)
{
	unsigned int i;

	for (i = 0; i < d->nr; i++) {
		d->blk[i].hw->result = 0;
		d->blk[i].hw->rbytes = 0;
	}
	if (!d->cyclic) {
		desc_last(d)->hw->next = 0;
		desc_last(d)->hw->ctl = desc_last(d)->ctl;
	}
}

/* ---- prep ---------------------------------------------------------------- */

static struct dma_async_tx_descriptor *
dkd_prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		size_t len, unsigned long flags)
{
	struct dkd_chan *ch = to_dkd_chan(chan);
	struct dkd_desc *d;
	unsigned int i, nr;
	size_t off = 0;

	if (!len) {
		dev_err(ch->dd->dev, "channel %u: memcpy of 0 bytes (the controller takes 1..%u per block)",
			ch->id, DKD_MAX_SEG);
		return NULL;
	}
	nr = (unsigned int)DIV_ROUND_UP(len, (size_t)DKD_MAX_SEG);
	d = dkd_desc_get(ch, nr);
	if (!d)
		return NULL;
	for (i = 0; i < nr; i++) {
		u32 seg = (u32)min_t(size_t, len - off, DKD_MAX_SEG);

		dkd_blk_set(d, i, src + off, dst + off, seg, CTL_OP_COPY);
		off += seg;
	}
	return dkd_finish(d, flags, false);
}

static struct dma_async_tx_descriptor *
dkd_prep_memset(struct dma_chan *chan, dma_addr_t dst, int value, size_t len,
		unsigned long flags)
{
	struct dkd_chan *ch = to_dkd_chan(chan);
	u64 pattern = 0x0101010101010101ull * (u8)value;
	struct dkd_desc *d;
	unsigned int i, nr;
	size_t off = 0;

	if (!len) {
		dev_err(ch->dd->dev, "channel %u: memset of 0 bytes", ch->id);
		return NULL;
	}
	nr = (unsigned int)DIV_ROUND_UP(len, (size_t)DKD_MAX_SEG);
	d = dkd_desc_get(ch, nr);
	if (!d)
		return NULL;
	for (i = 0; i < nr; i++) {
		u32 seg = (u32)min_t(size_t, len - off, DKD_MAX_SEG);

		dkd_blk_set(d, i, pattern, dst + off, seg, CTL_OP_FILL);
		off += seg;
	}
	return dkd_finish(d, flags, false);
}

static struct dma_async_tx_descriptor *
dkd_prep_interleaved(struct dma_chan *chan, struct dma_interleaved_template *xt,
		     unsigned long flags)
{
	struct dkd_chan *ch = to_dkd_chan(chan);
	dma_addr_t src, dst;
	struct dkd_desc *d;
	size_t f, j, nr = 0;
	unsigned int i = 0;

	if (!xt || xt->dir != DMA_MEM_TO_MEM || !xt->src_inc ||
	    !xt->dst_inc || !xt->numf || !xt->frame_size) {
		dev_err(ch->dd->dev, "channel %u: interleaved template %p not supported (needs MEM_TO_MEM, incrementing source and destination, frames and chunks)",
			ch->id, (void *)xt);
		return NULL;
	}
	for (j = 0; j < xt->frame_size; j++) {
		if (xt->sgl[j].size > DKD_MAX_SEG) {
			dev_err(ch->dd->dev, "channel %u: interleaved chunk of %zu bytes (at most %u)",
				ch->id, xt->sgl[j].size, DKD_MAX_SEG);
			return NULL;
		}
		if (xt->sgl[j].size)
			nr++;
	}
	if (!nr || nr * xt->numf > 1u << 20) {
		dev_err(ch->dd->dev, "channel %u: interleaved transfer of %zu frames x %zu non-empty chunks (1..%u blocks)",
			ch->id, xt->numf, nr, 1u << 20);
		return NULL;
	}
	d = dkd_desc_get(ch, (unsigned int)(nr * xt->numf));
	if (!d)
		return NULL;
	src = xt->src_start;
	dst = xt->dst_start;
	for (f = 0; f < xt->numf; f++) {
		for (j = 0; j < xt->frame_size; j++) {
			struct data_chunk *c = &xt->sgl[j];

			if (c->size)
				dkd_blk_set(d, i++, src, dst, (u32)c->size,
					    CTL_OP_COPY);
			src += c->size + dmaengine_get_src_icg(xt, c);
			dst += c->size + dmaengine_get_dst_icg(xt, c);
		}
	}
	return dkd_finish(d, flags, false);
}

/* log2 of a power of two, or -1. */
static int dkd_log2(u32 v)
{
	if (!v || (v & (v - 1)))
		return -1;
	return __builtin_ctz(v);
}

/*
 * The direction a peripheral address is mapped with is the controller's
 * access to it, as for memory: it reads the source of a DEV_TO_MEM
 * transfer (DMA_TO_DEVICE: the IOMMU grants read) and writes the
 * destination of a MEM_TO_DEV one (DMA_FROM_DEVICE: write).
 */
#define DKD_SRC_DIR	DMA_TO_DEVICE
#define DKD_DST_DIR	DMA_FROM_DEVICE

/* The mapping of (@phys, @dir), or NULL. Caller holds ch->cfg_lock. */
static struct dkd_smap *dkd_smap_find(struct dkd_chan *ch, phys_addr_t phys,
				      enum dma_data_direction dir)
{
	for (unsigned int i = 0; i < DKD_SMAP_MAX; i++)
		if (ch->smap[i].phys == phys && ch->smap[i].dir == dir)
			return &ch->smap[i];
	return NULL;
}

/*
 * The peripheral side for @dir from the slave config: bus address, CTL
 * bits, bus width, and a reference on the mapping (*@sm; the descriptor
 * keeps it). Context: any; takes ch->cfg_lock. Return: 0 or -EINVAL
 * (logged).
 */
static int dkd_slave_side(struct dkd_chan *ch, enum dma_transfer_direction dir,
			  dma_addr_t *fifo, u32 *ctl, u32 *width,
			  struct dkd_smap **sm)
{
	bool rx = dir == DMA_DEV_TO_MEM;
	unsigned long flags;
	enum dma_slave_buswidth w;
	phys_addr_t phys;
	struct dkd_smap *m;
	u32 burst;
	int lw, lb;

	spin_lock_irqsave(&ch->cfg_lock, flags);
	phys = !ch->have_cfg ? 0 : rx ? ch->cfg.src_addr : ch->cfg.dst_addr;
	m = phys ? dkd_smap_find(ch, phys, rx ? DKD_SRC_DIR : DKD_DST_DIR) :
		   NULL;
	if (!m) {
		spin_unlock_irqrestore(&ch->cfg_lock, flags);
		dev_err(ch->dd->dev, "channel %u: %s transfer without a dmaengine_slave_config() giving its %s",
			ch->id, rx ? "DEV_TO_MEM" : "MEM_TO_DEV",
			rx ? "src_addr" : "dst_addr");
		return -EINVAL;
	}
	w = rx ? ch->cfg.src_addr_width : ch->cfg.dst_addr_width;
	burst = rx ? ch->cfg.src_maxburst : ch->cfg.dst_maxburst;
	if (!burst)
		burst = 1;
	lw = dkd_log2((u32)w);
	lb = dkd_log2(burst);
	if (lw < 0 || lw > 3 || lb < 0 ||
	    lb > (int)CAP_BURST_LOG2(ch->dd->cap)) {
		spin_unlock_irqrestore(&ch->cfg_lock, flags);
		dev_err(ch->dd->dev, "channel %u: slave width %d bytes, burst %u: the controller takes widths 1/2/4/8 and bursts 1..%u (powers of two)",
			ch->id, (int)w, burst,
			1u << CAP_BURST_LOG2(ch->dd->cap));
		return -EINVAL;
	}
	m->refs++;
	*sm = m;
	*fifo = m->bus;
	*width = (u32)w;
	*ctl = (rx ? CTL_OP_DEV2MEM : CTL_OP_MEM2DEV) | CTL_WIDTH(lw) |
	       CTL_BURST(lb);
	spin_unlock_irqrestore(&ch->cfg_lock, flags);
	return 0;
}

static struct dma_async_tx_descriptor *
dkd_prep_slave_sg(struct dma_chan *chan, struct scatterlist *sgl,
		  unsigned int sg_len, enum dma_transfer_direction dir,
		  unsigned long flags, void *context)
{
	struct dkd_chan *ch = to_dkd_chan(chan);
	struct scatterlist *sg;
	struct dkd_smap *sm;
	struct dkd_desc *d;
	unsigned int i, k = 0;
	size_t nr = 0;
	dma_addr_t fifo;
	u32 ctl, w;

	(void)context;
	if (!sgl || !sg_len || !is_slave_direction(dir) ||
	    dir == DMA_DEV_TO_DEV) {
		dev_err(ch->dd->dev, "channel %u: slave_sg with %u entries, direction %d (needs entries and MEM_TO_DEV or DEV_TO_MEM)",
			ch->id, sg_len, (int)dir);
		return NULL;
	}
	if (dkd_slave_side(ch, dir, &fifo, &ctl, &w, &sm))
		return NULL;
	for_each_sg(sgl, sg, sg_len, i) {
		/* The peripheral side moves whole bus-width words. */
		if (!sg_dma_len(sg) || sg_dma_len(sg) % w) {
			dev_err(ch->dd->dev, "channel %u: slave_sg entry %u has length %u (needs a non-zero multiple of the %u-byte bus width)",
				ch->id, i, sg_dma_len(sg), w);
			dkd_smap_put(ch, sm);
			return NULL;
		}
		nr += DIV_ROUND_UP((size_t)sg_dma_len(sg), (size_t)DKD_MAX_SEG);
	}
	d = dkd_desc_get(ch, (unsigned int)nr);
	if (!d) {
		dkd_smap_put(ch, sm);
		return NULL;
	}
	d->smap = sm;
	for_each_sg(sgl, sg, sg_len, i) {
		dma_addr_t a = sg_dma_address(sg);
		size_t left = sg_dma_len(sg), off = 0;

		while (left) {
			u32 seg = (u32)min_t(size_t, left, DKD_MAX_SEG);

			if (dir == DMA_DEV_TO_MEM)
				dkd_blk_set(d, k++, fifo, a + off, seg, ctl);
			else
				dkd_blk_set(d, k++, a + off, fifo, seg, ctl);
			off += seg;
			left -= seg;
		}
	}
	return dkd_finish(d, flags, false);
}

static struct dma_async_tx_descriptor *
dkd_prep_cyclic(struct dma_chan *chan, dma_addr_t buf, size_t buf_len,
		size_t period_len, enum dma_transfer_direction dir,
		unsigned long flags)
{
	struct dkd_chan *ch = to_dkd_chan(chan);
	struct dkd_smap *sm;
	struct dkd_desc *d;
	unsigned int i, nr;
	dma_addr_t fifo;
	u32 ctl, w;

	if (!period_len || period_len > DKD_MAX_SEG || !buf_len ||
	    buf_len % period_len || buf_len / period_len > 4096 ||
	    (dir != DMA_DEV_TO_MEM && dir != DMA_MEM_TO_DEV)) {
		dev_err(ch->dd->dev, "channel %u: cyclic buffer of %zu bytes in periods of %zu, direction %d (needs whole periods of 1..%u bytes, at most 4096 of them, MEM_TO_DEV or DEV_TO_MEM)",
			ch->id, buf_len, period_len, (int)dir, DKD_MAX_SEG);
		return NULL;
	}
	if (dkd_slave_side(ch, dir, &fifo, &ctl, &w, &sm))
		return NULL;
	if (period_len % w) {
		dev_err(ch->dd->dev, "channel %u: cyclic period of %zu bytes is not a multiple of the %u-byte bus width",
			ch->id, period_len, w);
		dkd_smap_put(ch, sm);
		return NULL;
	}
	nr = (unsigned int)(buf_len / period_len);
	d = dkd_desc_get(ch, nr);
	if (!d) {
		dkd_smap_put(ch, sm);
		return NULL;
	}
	d->smap = sm;
	/* Every period interrupts: the period callback is the point. */
	for (i = 0; i < nr; i++) {
		dma_addr_t a = buf + (dma_addr_t)i * period_len;

		if (dir == DMA_DEV_TO_MEM)
			dkd_blk_set(d, i, fifo, a, (u32)period_len,
				    ctl | CTL_IRQ);
		else
			dkd_blk_set(d, i, a, fifo, (u32)period_len,
				    ctl | CTL_IRQ);
	}
	return dkd_finish(d, flags, true);
}

/* ---- the hardware list --------------------------------------------------- */

/*
 * First block of the active list the controller has not completed, or
 * NULL. Context: caller holds vc.lock.
 */
static struct dkd_blk *dkd_first_unstarted(struct dkd_chan *ch)
{
	struct dkd_desc *d;
	unsigned int i;

	list_for_each_entry(d, &ch->active, vd.node) {
		if (d->cyclic)
			return &d->blk[ch->cyc_next];
		if (blk_done(desc_last(d)))
			continue;
		for (i = 0; i < d->nr; i++)
			if (!blk_done(&d->blk[i]))
				return &d->blk[i];
	}
	return NULL;
}

/*
 * Start the channel at its first unstarted block if it is idle (or, with
 * @from_error, stopped in error) and not paused by a client.
 * Context: caller holds vc.lock.
 */
static void dkd_kick(struct dkd_chan *ch, bool from_error)
{
	struct dkd_blk *b;
	u32 state;

	if (ch->paused || list_empty(&ch->active))
		return;
	state = ST_STATE(ch_read(ch, CH_STATUS));
	if (state != ST_IDLE && !(from_error && state == ST_ERROR))
		return;
	b = dkd_first_unstarted(ch);
	if (!b)
		return;
	if (ch->ctrl != (CTRL_EN | CTRL_REQ(ch->req))) {
		ch->ctrl = CTRL_EN | CTRL_REQ(ch->req);
		ch_write(ch, CH_CTRL, ch->ctrl);
	}
	ch_write64(ch, CH_DESC_PTR, b->bus);
	ch_write(ch, CH_CMD, CMD_START);
}

/*
 * Put the issued descriptors on the hardware list. Nothing is appended
 * behind a cyclic descriptor (it runs until terminated).
 * Context: caller holds vc.lock.
 */
static void dkd_push(struct dkd_chan *ch)
{
	struct virt_dma_desc *vd;
	bool added = false;

	while (!ch->cyc && (vd = vchan_next_desc(&ch->vc))) {
		struct dkd_desc *d = to_dkd_desc(vd);

		list_del(&vd->node);
		dkd_arm(d);
		if (!list_empty(&ch->active)) {
			struct dkd_desc *t = list_last_entry(&ch->active,
							     struct dkd_desc,
							     vd.node);
			struct dkd_blk *tb = desc_last(t);

			/*
			 * Datasheet 4, appending: NEXT first, then LAST
			 * cleared; release orders the new blocks (and NEXT)
			 * before the CTL the controller tests.
			 */
			__atomic_store_n(&tb->hw->next, d->blk[0].bus,
					 __ATOMIC_RELEASE);
			__atomic_store_n(&tb->hw->ctl, tb->ctl & ~CTL_LAST,
					 __ATOMIC_RELEASE);
		}
		list_add_tail(&vd->node, &ch->active);
		if (d->cyclic) {
			ch->cyc = d;
			ch->cyc_next = 0;
		}
		added = true;
	}
	if (added)
		dkd_kick(ch, false);
}

static void dkd_issue_pending(struct dma_chan *chan)
{
	struct dkd_chan *ch = to_dkd_chan(chan);
	unsigned long flags;

	spin_lock_irqsave(&ch->vc.lock, flags);
	if (vchan_issue_pending(&ch->vc))
		dkd_push(ch);
	spin_unlock_irqrestore(&ch->vc.lock, flags);
}

/*
 * Complete, in order, the descriptors whose last block the controller has
 * completed. The newest such block is kept while the controller may still
 * be reading its NEXT (CUR_DESC on it and BUSY): it is completed at the
 * next pass. Context: caller holds vc.lock. Return: descriptors completed.
 */
static unsigned int dkd_reap(struct dkd_chan *ch)
{
	struct dkd_desc *d, *n, *last = NULL;
	unsigned int done = 0;

	list_for_each_entry(d, &ch->active, vd.node) {
		if (d->cyclic || !blk_done(desc_last(d)))
			break;
		last = d;
	}
	if (!last)
		return 0;
	/* RESULT was read above, STATUS and CUR_DESC after it (see head). */
	if (list_is_last(&last->vd.node, &ch->active) ||
	    !blk_done(&list_next_entry(last, vd.node)->blk[0])) {
		if (ST_STATE(ch_read(ch, CH_STATUS)) == ST_BUSY &&
		    ch_read64(ch, CH_CUR_DESC) == desc_last(last)->bus) {
			if (list_first_entry(&ch->active, struct dkd_desc,
					     vd.node) == last)
				return 0;
			last = list_prev_entry(last, vd.node);
		}
	}
	list_for_each_entry_safe(d, n, &ch->active, vd.node) {
		list_del(&d->vd.node);
		vchan_cookie_complete(&d->vd);
		done++;
		if (d == last)
			break;
	}
	return done;
}

/* Periods of the cyclic descriptor that completed since the last look. */
static void dkd_cyclic_periods(struct dkd_chan *ch)
{
	struct dkd_desc *d = ch->cyc;
	unsigned int n = 0;

	while (n < d->nr) {
		struct dkd_blk *b = &d->blk[ch->cyc_next];

		if (!blk_done(b))
			break;
		/* Datasheet 3: clear RESULT to see the next lap. */
		__atomic_store_n(&b->hw->result, 0, __ATOMIC_RELAXED);
		ch->cyc_next = (ch->cyc_next + 1) % d->nr;
		n++;
	}
	if (n)
		vchan_cyclic_callback(&d->vd);
}

static enum dmaengine_tx_result dkd_err_result(u32 err)
{
	switch (err) {
	case ERR_READ:
	case ERR_DESC_FETCH:
		return DMA_TRANS_READ_FAILED;
	case ERR_WRITE:
	case ERR_STATUS_WB:
		return DMA_TRANS_WRITE_FAILED;
	default:
		return DMA_TRANS_ABORTED;
	}
}

static const char *dkd_err_name(u32 err)
{
	static const char *const names[] = {
		[ERR_DESC_FETCH] = "DESC_FETCH", [ERR_DESC_INVALID] =
		"DESC_INVALID", [ERR_READ] = "READ", [ERR_WRITE] = "WRITE",
		[ERR_STATUS_WB] = "STATUS_WB", [ERR_ALIGN] = "ALIGN",
	};

	return err < ARRAY_SIZE(names) && names[err] ? names[err] : "unknown";
}

/*
 * The channel stopped in error: complete the descriptor it stopped at
 * with the error, restart at the next one. Context: caller holds vc.lock,
 * after dkd_reap().
 */
static void dkd_handle_error(struct dkd_chan *ch)
{
	struct dkd_desc *d, *bad = NULL;
	u32 status, err, bytes;
	u64 cur;
	size_t residue = 0;
	unsigned int i;

	status = ch_read(ch, CH_STATUS);
	if (ST_STATE(status) != ST_ERROR)
		return;
	err = ST_ERR(status);
	cur = ch_read64(ch, CH_CUR_DESC);
	bytes = ch_read(ch, CH_BYTES);
	list_for_each_entry(d, &ch->active, vd.node) {
		for (i = 0; i < d->nr && !bad; i++)
			if (d->blk[i].bus == cur)
				bad = d;
		if (bad)
			break;
	}
	if (!bad) {
		if (list_empty(&ch->active)) {
			dev_err(ch->dd->dev, "channel %u: error %s (0x%02x) at %#llx with no descriptor queued",
				ch->id, dkd_err_name(err), err,
				(unsigned long long)cur);
			return;
		}
		bad = list_first_entry(&ch->active, struct dkd_desc, vd.node);
		dev_err(ch->dd->dev, "channel %u: CUR_DESC %#llx is none of ours: failing the oldest descriptor",
			ch->id, (unsigned long long)cur);
	}
	for (i = 0; i < bad->nr; i++) {
		struct dkd_blk *b = &bad->blk[i];

		if (!bad->cyclic && blk_done(b))
			continue;
		residue += b->bus == cur ? b->len - min(bytes, b->len) :
					   b->len;
	}
	dev_err(ch->dd->dev, "channel %u: error %s (0x%02x) at descriptor %#llx: cookie %d fails (result %d, %zu of %zu bytes not moved)",
		ch->id, dkd_err_name(err), err, (unsigned long long)cur,
		bad->vd.tx.cookie, (int)dkd_err_result(err), residue,
		bad->len);
	bad->vd.tx_result.result = dkd_err_result(err);
	bad->vd.tx_result.residue = (u32)min_t(size_t, residue, UINT32_MAX);
	list_del(&bad->vd.node);
	if (bad == ch->cyc) {
		ch->cyc = NULL;
		if (ch->vc.cyclic == &bad->vd)
			ch->vc.cyclic = NULL;
	}
	vchan_cookie_complete(&bad->vd);
	/* Work behind a failed cyclic ring never was linked: push it now. */
	dkd_push(ch);
	dkd_kick(ch, true);
}

static irqreturn_t dkd_irq(int irq, void *data)
{
	struct dkd_chan *ch = data;
	unsigned long flags;
	u32 pending, seen = 0;

	(void)irq;
	/*
	 * The message is sent only when INT_STATUS & INT_MASK goes from zero
	 * to non-zero: a bit set after our read (IDLE right after DONE)
	 * keeps the status non-zero past our write-back and sends nothing.
	 * So loop until the status reads zero.
	 */
	while ((pending = ch_read(ch, CH_INT_STATUS))) {
		ch_write(ch, CH_INT_STATUS, pending);	/* write 1 to clear */
		seen |= pending;
		spin_lock_irqsave(&ch->vc.lock, flags);
		if (ch->cyc)
			dkd_cyclic_periods(ch);
		dkd_reap(ch);
		if (pending & INT_ERROR)
			dkd_handle_error(ch);
		else if (pending & INT_IDLE)
			dkd_kick(ch, false);	/* it may have missed an append */
		spin_unlock_irqrestore(&ch->vc.lock, flags);
	}
	return seen ? IRQ_HANDLED : IRQ_NONE;
}

/* ---- status and residue -------------------------------------------------- */

/* Bytes @d has not moved yet. Context: caller holds vc.lock. */
static size_t dkd_active_residue(struct dkd_chan *ch, struct dkd_desc *d)
{
	u64 c1, c2;
	u32 bytes;
	int tries, idx = -1;
	size_t res = 0;
	unsigned int i;

	/* Datasheet 5: CUR_DESC, BYTES, CUR_DESC again until they agree. */
	for (tries = 0;; tries++) {
		c1 = ch_read64(ch, CH_CUR_DESC);
		bytes = ch_read(ch, CH_BYTES);
		c2 = ch_read64(ch, CH_CUR_DESC);
		if (c1 == c2 || tries == 8)
			break;
	}
	for (i = 0; i < d->nr; i++)
		if (d->blk[i].bus == c2) {
			idx = (int)i;
			break;
		}
	/*
	 * Idle, CUR_DESC is the last block completed: none is in progress.
	 * (A recycled block at that address, not started yet, would
	 * otherwise take the old BYTES as its own.) vc.lock is held, so no
	 * START can come between: only this driver writes CMD.
	 */
	if (c1 != c2 || ST_STATE(ch_read(ch, CH_STATUS)) == ST_IDLE)
		idx = -1;
	for (i = 0; i < d->nr; i++) {
		struct dkd_blk *b = &d->blk[i];

		if (d->cyclic) {
			if (idx < 0 || (int)i > idx)
				res += b->len;
			else if ((int)i == idx)
				res += b->len - min(bytes, b->len);
			continue;
		}
		if (blk_done(b))
			continue;
		if ((int)i == idx)
			res += b->len - min(bytes, b->len);
		else
			res += b->len;
	}
	return res;
}

static size_t dkd_residue(struct dkd_chan *ch, dma_cookie_t cookie)
{
	struct virt_dma_desc *vd;
	struct dkd_desc *d;

	list_for_each_entry(d, &ch->active, vd.node)
		if (d->vd.tx.cookie == cookie)
			return dkd_active_residue(ch, d);
	vd = vchan_find_desc(&ch->vc, cookie);
	if (vd)
		return to_dkd_desc(vd)->len;
	list_for_each_entry(vd, &ch->vc.desc_submitted, node)
		if (vd->tx.cookie == cookie)
			return to_dkd_desc(vd)->len;
	return 0;
}

static enum dma_status dkd_tx_status(struct dma_chan *chan,
				     dma_cookie_t cookie,
				     struct dma_tx_state *txstate)
{
	struct dkd_chan *ch = to_dkd_chan(chan);
	enum dma_status ret;
	unsigned long flags;
	size_t residue = 0;

	ret = dma_cookie_status(chan, cookie, txstate);
	if (ret == DMA_COMPLETE)
		return ret;
	spin_lock_irqsave(&ch->vc.lock, flags);
	/* Polled use: reap what the controller wrote back. */
	if (dkd_reap(ch))
		ret = dma_cookie_status(chan, cookie, txstate);
	if (ret != DMA_COMPLETE) {
		if (txstate)
			residue = dkd_residue(ch, cookie);
		if (ch->paused)
			ret = DMA_PAUSED;
	}
	spin_unlock_irqrestore(&ch->vc.lock, flags);
	dma_set_residue(txstate, (u32)min_t(size_t, residue, UINT32_MAX));
	return ret;
}

/* ---- control ------------------------------------------------------------- */

/*
 * Unmap the mappings that no prepared descriptor uses and @keep (NULL:
 * none) does not name; every mapping if @all. Context: process
 * (unmapping may wait for the IOMMU); takes ch->cfg_lock.
 */
static void dkd_smap_trim(struct dkd_chan *ch,
			  const struct dma_slave_config *keep, bool all)
{
	struct dkd_smap gone[DKD_SMAP_MAX];
	unsigned int n = 0, i;
	unsigned long flags;

	spin_lock_irqsave(&ch->cfg_lock, flags);
	for (i = 0; i < DKD_SMAP_MAX; i++) {
		struct dkd_smap *m = &ch->smap[i];
		bool named = keep &&
			     ((m->dir == DKD_SRC_DIR &&
			       m->phys == keep->src_addr) ||
			      (m->dir == DKD_DST_DIR &&
			       m->phys == keep->dst_addr));

		if (!m->phys || (!all && (m->refs || named)))
			continue;
		if (m->refs)
			dev_err(ch->dd->dev, "channel %u: %u prepared descriptors still use peripheral address %#llx at release (not freed with dmaengine_desc_free()?)",
				ch->id, m->refs, (unsigned long long)m->phys);
		gone[n++] = *m;
		memset(m, 0, sizeof(*m));
	}
	spin_unlock_irqrestore(&ch->cfg_lock, flags);
	for (i = 0; i < n; i++)
		dma_unmap_resource(ch->dd->dev, gone[i].bus, 8, gone[i].dir, 0);
}

/* Map (@phys, @dir) for the controller unless it is. 0 or -errno. */
static int dkd_smap_get(struct dkd_chan *ch, phys_addr_t phys,
			enum dma_data_direction dir)
{
	unsigned long flags;
	struct dkd_smap *m;
	dma_addr_t bus;

	spin_lock_irqsave(&ch->cfg_lock, flags);
	m = dkd_smap_find(ch, phys, dir);
	spin_unlock_irqrestore(&ch->cfg_lock, flags);
	if (m)
		return 0;
	bus = dma_map_resource(ch->dd->dev, phys, 8, dir, 0);
	if (dma_mapping_error(ch->dd->dev, bus)) {
		dev_err(ch->dd->dev, "channel %u: cannot map peripheral address %#llx",
			ch->id, (unsigned long long)phys);
		return -EINVAL;
	}
	spin_lock_irqsave(&ch->cfg_lock, flags);
	/* A concurrent configuration may have mapped it meanwhile. */
	m = dkd_smap_find(ch, phys, dir);
	if (!m)
		m = dkd_smap_find(ch, 0, 0);
	if (m && !m->phys) {
		m->phys = phys;
		m->bus = bus;
		m->dir = dir;
		m->refs = 0;
		bus = DMA_MAPPING_ERROR;	/* kept */
	}
	spin_unlock_irqrestore(&ch->cfg_lock, flags);
	if (bus != DMA_MAPPING_ERROR)
		dma_unmap_resource(ch->dd->dev, bus, 8, dir, 0);
	if (!m) {
		dev_err(ch->dd->dev, "channel %u: peripheral address %#llx: %u earlier addresses are still used by prepared descriptors; free or complete them first",
			ch->id, (unsigned long long)phys, DKD_SMAP_MAX);
		return -EBUSY;
	}
	return 0;
}

/*
 * dmaengine_slave_config(): both sides are kept; the direction given at
 * prep picks src_addr (DEV_TO_MEM) or dst_addr (MEM_TO_DEV), and
 * cfg->direction is ignored, as Linux deprecates it. Descriptors prepared
 * earlier keep the address they were prepared with. A configuration that
 * fails leaves the channel unconfigured.
 */
static int dkd_config(struct dma_chan *chan, struct dma_slave_config *cfg)
{
	struct dkd_chan *ch = to_dkd_chan(chan);
	unsigned long flags;
	int ret;

	if (!cfg->src_addr && !cfg->dst_addr) {
		dev_err(ch->dd->dev, "channel %u: slave config without a peripheral address (src_addr for DEV_TO_MEM, dst_addr for MEM_TO_DEV)",
			ch->id);
		return -EINVAL;
	}
	spin_lock_irqsave(&ch->cfg_lock, flags);
	ch->have_cfg = false;
	spin_unlock_irqrestore(&ch->cfg_lock, flags);
	/* Unmap what neither a descriptor nor the new config uses: room. */
	dkd_smap_trim(ch, cfg, false);
	ret = cfg->src_addr ? dkd_smap_get(ch, cfg->src_addr, DKD_SRC_DIR) :
			      0;
	if (!ret && cfg->dst_addr)
		ret = dkd_smap_get(ch, cfg->dst_addr, DKD_DST_DIR);
	if (ret) {
		dkd_smap_trim(ch, NULL, false);
		return ret;
	}
	spin_lock_irqsave(&ch->cfg_lock, flags);
	ch->cfg = *cfg;
	ch->have_cfg = true;
	spin_unlock_irqrestore(&ch->cfg_lock, flags);
	return 0;
}

static void dkd_unconfig(struct dkd_chan *ch)
{
	unsigned long flags;

	spin_lock_irqsave(&ch->cfg_lock, flags);
	ch->have_cfg = false;
	ch->req = 0;
	spin_unlock_irqrestore(&ch->cfg_lock, flags);
	dkd_smap_trim(ch, NULL, true);
}

static int dkd_pause(struct dma_chan *chan)
{
	struct dkd_chan *ch = to_dkd_chan(chan);
	unsigned long long end = dkd_host_ns() + DKD_PAUSE_WAIT_NS;
	unsigned long flags;

	spin_lock_irqsave(&ch->vc.lock, flags);
	ch->paused = true;
	ch_write(ch, CH_CMD, CMD_PAUSE);
	spin_unlock_irqrestore(&ch->vc.lock, flags);
	/* Synchronous: the channel holds at its next burst boundary. */
	while (ST_STATE(ch_read(ch, CH_STATUS)) == ST_BUSY) {
		if (dkd_host_ns() > end) {
			dev_err(ch->dd->dev, "channel %u: still BUSY %llu ms after PAUSE",
				ch->id, DKD_PAUSE_WAIT_NS / 1000000);
			return -EBUSY;
		}
		sched_yield();
	}
	return 0;
}

static int dkd_resume(struct dma_chan *chan)
{
	struct dkd_chan *ch = to_dkd_chan(chan);
	unsigned long flags;

	spin_lock_irqsave(&ch->vc.lock, flags);
	if (ch->paused) {
		ch->paused = false;
		ch_write(ch, CH_CMD, CMD_RESUME);
		dkd_kick(ch, false);	/* work queued while paused */
	}
	spin_unlock_irqrestore(&ch->vc.lock, flags);
	return 0;
}

/*
 * Stop the channel (ABORT takes effect when the write returns) and take
 * every descriptor off it. Context: any; caller holds vc.lock.
 */
static void dkd_stop_locked(struct dkd_chan *ch, struct list_head *head)
{
	struct dkd_desc *d, *n;

	ch_write(ch, CH_CMD, CMD_ABORT);
	ch->paused = false;
	vchan_get_all_descriptors(&ch->vc, head);
	list_for_each_entry_safe(d, n, &ch->active, vd.node) {
		list_del(&d->vd.node);
		if (d == ch->cyc)	/* its period callback may be running */
			vchan_terminate_vdesc(&d->vd);
		else
			list_add_tail(&d->vd.node, head);
	}
	ch->cyc = NULL;
}

static int dkd_terminate_all(struct dma_chan *chan)
{
	struct dkd_chan *ch = to_dkd_chan(chan);
	unsigned long flags;
	LIST_HEAD(head);

	spin_lock_irqsave(&ch->vc.lock, flags);
	dkd_stop_locked(ch, &head);
	spin_unlock_irqrestore(&ch->vc.lock, flags);
	vchan_dma_desc_free_list(&ch->vc, &head);
	return 0;
}

static void dkd_synchronize(struct dma_chan *chan)
{
	/* ABORT is synchronous: only the tasklet is left to wait for. */
	vchan_synchronize(to_virt_chan(chan));
}

static int dkd_alloc_chan_resources(struct dma_chan *chan)
{
	(void)chan;
	return 0;
}

static void dkd_free_chan_resources(struct dma_chan *chan)
{
	struct dkd_chan *ch = to_dkd_chan(chan);

	dkd_terminate_all(chan);
	vchan_synchronize(&ch->vc);
	vchan_free_chan_resources(&ch->vc);
	dkd_unconfig(ch);
}

/*
 * dma_request_chan() through the board's slave map: @param is the request
 * input the peripheral is wired to. Context: process, dmaengine mutex.
 */
static bool dkd_filter(struct dma_chan *chan, void *param)
{
	struct dkd_chan *ch = to_dkd_chan(chan);
	uintptr_t line = (uintptr_t)param;
	unsigned long flags;

	if (line >= ch->dd->nreq) {
		dev_err(ch->dd->dev, "request line %lu: the controller has %u inputs",
			(unsigned long)line, ch->dd->nreq);
		return false;
	}
	spin_lock_irqsave(&ch->cfg_lock, flags);
	ch->req = (unsigned int)line;
	spin_unlock_irqrestore(&ch->cfg_lock, flags);
	return true;
}

/* ---- probe and remove ---------------------------------------------------- */

static void dkd_chan_teardown(struct dkd_chan *ch)
{
	unsigned long flags;
	LIST_HEAD(head);

	/* Quiet first: the abort must not send a message we stop handling. */
	ch_write(ch, CH_INT_MASK, 0);
	spin_lock_irqsave(&ch->vc.lock, flags);
	dkd_stop_locked(ch, &head);
	spin_unlock_irqrestore(&ch->vc.lock, flags);
	ch_write(ch, CH_CTRL, 0);
	ch_write(ch, CH_INT_STATUS, INT_ALL);
	if (ch->irq > 0)
		free_irq((unsigned int)ch->irq, ch);
	ch->irq = -1;
	tasklet_kill(&ch->vc.task);
	vchan_dma_desc_free_list(&ch->vc, &head);
	vchan_synchronize(&ch->vc);
	vchan_free_chan_resources(&ch->vc);
	dkd_unconfig(ch);
	dkd_cache_flush(ch);
	list_del(&ch->vc.chan.device_node);
}

static void dkd_teardown(struct dkd *dd, unsigned int nr_chan)
{
	unsigned int i;

	for (i = 0; i < nr_chan; i++)
		dkd_chan_teardown(&dd->chan[i]);
	writel(GCTRL_RESET, (char __iomem *)dd->regs + DMAC_GCTRL);
}

static int dkd_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct dma_device *dma;
	struct resource *res;
	struct dkd *dd;
	void __iomem *regs;
	u32 id, ver, cap;
	unsigned int i, nchan;
	int ret;

	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!res || resource_size(res) < DMAC_WINDOW) {
		dev_err(dev, "no register window of %u bytes", DMAC_WINDOW);
		return -ENODEV;
	}
	regs = ioremap(res->start, DMAC_WINDOW);
	if (!regs)
		return -ENOMEM;
	id = readl((char __iomem *)regs + DMAC_ID);
	ver = readl((char __iomem *)regs + DMAC_VERSION);
	cap = readl((char __iomem *)regs + DMAC_CAP);
	nchan = CAP_NCHAN(cap);
	if (id != DMAC_ID_MAGIC || DMAC_VER_MAJOR(ver) != 1) {
		dev_err(dev, "ID 0x%08x version 0x%08x: expected ID 0x%08x, major version 1",
			id, ver, DMAC_ID_MAGIC);
		ret = -ENODEV;
		goto err_unmap;
	}
	if (!nchan || nchan > DMAC_MAX_CHANNELS ||
	    (CAP_OPS(cap) & (CAP_OP_COPY | CAP_OP_FILL)) !=
		    (CAP_OP_COPY | CAP_OP_FILL)) {
		dev_err(dev, "CAP 0x%08x: expected 1..%u channels and the copy and fill operations",
			cap, DMAC_MAX_CHANNELS);
		ret = -ENODEV;
		goto err_unmap;
	}
	dd = kzalloc(sizeof(*dd), GFP_KERNEL);
	if (!dd) {
		ret = -ENOMEM;
		goto err_unmap;
	}
	dd->chan = kcalloc(nchan, sizeof(*dd->chan), GFP_KERNEL);
	if (!dd->chan) {
		ret = -ENOMEM;
		goto err_free_dd;
	}
	dd->pdev = pdev;
	dd->dev = dev;
	dd->regs = regs;
	dd->cap = cap;
	dd->nreq = CAP_NREQ(cap);
	dd->nchan = nchan;

	/* Descriptors carry 64-bit addresses. */
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret) {
		dev_err(dev, "64-bit DMA mask refused: %d", ret);
		goto err_free_chan;
	}
	/* Datasheet 2.1: abort and reset every channel, a known state. */
	writel(GCTRL_RESET, (char __iomem *)regs + DMAC_GCTRL);
	dd->pool = dma_pool_create("dk-dmac-desc", dev,
				   sizeof(struct dkd_hwdesc), 64, 0);
	if (!dd->pool) {
		ret = -ENOMEM;
		goto err_free_chan;
	}

	dma = &dd->ddev;
	INIT_LIST_HEAD(&dma->channels);
	for (i = 0; i < nchan; i++) {
		struct dkd_chan *ch = &dd->chan[i];
		int irq;

		ch->dd = dd;
		ch->id = i;
		ch->irq = -1;
		ch->regs = (char __iomem *)regs + DMAC_CH(i);
		INIT_LIST_HEAD(&ch->active);
		INIT_LIST_HEAD(&ch->cache);
		spin_lock_init(&ch->cfg_lock);
		spin_lock_init(&ch->cache_lock);
		ch->vc.desc_free = dkd_vdesc_free;
		vchan_init(&ch->vc, dma);

		irq = platform_get_irq(pdev, i);
		if (irq < 0) {
			dev_err(dev, "channel %u: no interrupt vector (%d)",
				i, irq);
			ret = irq;
			goto err_channels;
		}
		ch_write(ch, CH_INT_MASK, 0);
		ch_write(ch, CH_INT_STATUS, INT_ALL);
		ret = request_irq((unsigned int)irq, dkd_irq, 0, dev_name(dev),
				  ch);
		if (ret) {
			dev_err(dev, "channel %u: request_irq(%d) failed: %d",
				i, irq, ret);
			goto err_channels;
		}
		ch->irq = irq;
		/* ABORTED is not unmasked: ABORT is synchronous. */
		ch_write(ch, CH_INT_MASK, INT_DONE | INT_ERROR | INT_IDLE);
		ch->ctrl = CTRL_EN;
		ch_write(ch, CH_CTRL, ch->ctrl);
	}

	dma_cap_set(DMA_MEMCPY, dma->cap_mask);
	dma_cap_set(DMA_MEMSET, dma->cap_mask);
	dma_cap_set(DMA_INTERLEAVE, dma->cap_mask);
	dma_cap_set(DMA_PRIVATE, dma->cap_mask);
	if (CAP_OPS(cap) & (CAP_OP_DEV2MEM | CAP_OP_MEM2DEV)) {
		dma_cap_set(DMA_SLAVE, dma->cap_mask);
		dma_cap_set(DMA_CYCLIC, dma->cap_mask);
	}
	dma->dev = dev;
	dma->copy_align = DMAENGINE_ALIGN_1_BYTE;
	dma->fill_align = DMAENGINE_ALIGN_1_BYTE;
	/* WIDTHS bit n: 2^n bytes; dmaengine's bit n: n bytes. */
	for (i = 0; i < 4; i++)
		if (CAP_WIDTHS(cap) & (1u << i)) {
			dma->src_addr_widths |= 1u << (1u << i);
			dma->dst_addr_widths |= 1u << (1u << i);
		}
	dma->directions = 1u << DMA_MEM_TO_MEM;
	if (CAP_OPS(cap) & CAP_OP_DEV2MEM)
		dma->directions |= 1u << DMA_DEV_TO_MEM;
	if (CAP_OPS(cap) & CAP_OP_MEM2DEV)
		dma->directions |= 1u << DMA_MEM_TO_DEV;
	dma->min_burst = 1;
	dma->max_burst = 1u << CAP_BURST_LOG2(cap);
	dma->descriptor_reuse = true;
	dma->residue_granularity = DMA_RESIDUE_GRANULARITY_BURST;
	dma->filter.fn = dkd_filter;
	dma->device_alloc_chan_resources = dkd_alloc_chan_resources;
	dma->device_free_chan_resources = dkd_free_chan_resources;
	dma->device_prep_dma_memcpy = dkd_prep_memcpy;
	dma->device_prep_dma_memset = dkd_prep_memset;
	dma->device_prep_slave_sg = dkd_prep_slave_sg;
	dma->device_prep_dma_cyclic = dkd_prep_cyclic;
	dma->device_prep_interleaved_dma = dkd_prep_interleaved;
	dma->device_config = dkd_config;
	dma->device_pause = dkd_pause;
	dma->device_resume = dkd_resume;
	dma->device_terminate_all = dkd_terminate_all;
	dma->device_synchronize = dkd_synchronize;
	dma->device_tx_status = dkd_tx_status;
	dma->device_issue_pending = dkd_issue_pending;

	ret = dma_async_device_register(dma);
	if (ret) {
		dev_err(dev, "dma_async_device_register failed: %d", ret);
		goto err_channels;
	}
	platform_set_drvdata(pdev, dd);
	dkd_nr_bound++;
	dev_info(dev, "DK-DMAC version %u.%u, %u channels, %u request inputs, bursts up to %u",
		 DMAC_VER_MAJOR(ver), ver & 0xffffu, nchan, dd->nreq,
		 dma->max_burst);
	return 0;

err_channels:
	/* Every channel was vchan_init()ed up to the failing one. */
	dkd_teardown(dd, i < nchan ? i + 1 : nchan);
	dma_pool_destroy(dd->pool);
err_free_chan:
	kfree(dd->chan);
err_free_dd:
	kfree(dd);
err_unmap:
	iounmap(regs);
	return ret;
}

static int dkd_remove(struct platform_device *pdev)
{
	struct dkd *dd = platform_get_drvdata(pdev);

	if (!dd)
		return 0;
	dma_async_device_unregister(&dd->ddev);
	dkd_teardown(dd, dd->nchan);
	dma_pool_destroy(dd->pool);
	iounmap(dd->regs);
	kfree(dd->chan);
	kfree(dd);
	platform_set_drvdata(pdev, NULL);
	dkd_nr_bound--;
	return 0;
}

static struct platform_driver dkd_driver = {
	.probe = dkd_probe,
	.remove = dkd_remove,
	.driver = { .name = DRV_NAME },
};

/**
 * dk_dmac_driver_register() - see <dmakit/drivers/dmac.h>
 * Context: process; takes dkd_reg_lock and the platform bus lock.
 */
int dk_dmac_driver_register(void)
{
	int ret = 0;

	mutex_lock(&dkd_reg_lock);
	if (!dkd_registered) {
		ret = platform_driver_register(&dkd_driver);
		dkd_registered = !ret;
	}
	mutex_unlock(&dkd_reg_lock);
	return ret;
}

/**
 * dk_dmac_driver_unregister() - see <dmakit/drivers/dmac.h>
 * Context: process; takes dkd_reg_lock and the platform bus lock.
 */
void dk_dmac_driver_unregister(void)
{
	mutex_lock(&dkd_reg_lock);
	if (dkd_registered)
		platform_driver_unregister(&dkd_driver);
	dkd_registered = false;
	mutex_unlock(&dkd_reg_lock);
}

/**
 * dk__dmac_driver_init() - register the built-in DK-DMAC driver
 * @m: the machine
 *
 * Every "dk-dmac" device, placed now or later (dk_machine_add_dmac()), is
 * probed and registered with dmaengine.
 * Context: process (machine create). Return: 0 or -errno.
 */
int dk__dmac_driver_init(struct dk_machine *m)
{
	(void)m;
	return dk_dmac_driver_register();
}

/**
 * dk__dmac_driver_exit() - forget the driver at machine destroy
 * @m: the machine
 *
 * The bus has unbound every device and forgotten every driver already
 * (dk__bus_unbind_all()); a driver still registered with a bound device
 * (a failed create cannot have one) is unregistered.
 * Context: process (machine destroy). Return: 0 (leaks are the
 * allocators' reports).
 */
int dk__dmac_driver_exit(struct dk_machine *m)
{
	(void)m;
	mutex_lock(&dkd_reg_lock);
	if (dkd_registered && dkd_nr_bound)
		platform_driver_unregister(&dkd_driver);
	dkd_registered = false;
	mutex_unlock(&dkd_reg_lock);
	return 0;
}
