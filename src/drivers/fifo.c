// SPDX-License-Identifier: MIT
/*
 * fifo.c - driver for the DK-FIFO streaming peripheral, written from its
 * datasheet (docs/hw/fifo.md): a dmaengine slave client. Probe takes the
 * "rx" and "tx" channels the board wired (dma_request_chan()) and points
 * them at the RX_DATA and TX_DATA registers (dmaengine_slave_config());
 * receive and transmit map the client's buffer on the controller's device,
 * prepare a slave transfer, submit it, issue it and turn the FIFO's DMA
 * request on; the completion callback (tasklet context) turns the request
 * off, unmaps and tells the client. A cyclic receive fills a coherent ring
 * and calls the client once per period callback.
 *
 * The FIFO's own interrupt reports stream errors only (overruns,
 * underruns, checker mismatches): data moves by DMA.
 *
 * LOCKING: fifo_list_lock (mutex) protects fifo_list. Per FIFO, f->lock
 * (spinlock) protects the transfer slots (xf[].active and their fields),
 * the cyclic state and the read-modify-write of CTRL. It is never held
 * across a dmaengine call that may sleep nor while a client function
 * runs. f->error_irqs and the byte counters are atomics.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <dmakit/drivers/fifo.h>

#define DRV_NAME "dk-fifo"

/* Registers, from the datasheet section 2. */
#define FIFO_ID			0x000
#define   FIFO_ID_MAGIC		0x444b4649u
#define FIFO_VERSION		0x004
#define   FIFO_VERSION_MAJOR(v)	((v) >> 16)
#define FIFO_DEPTH		0x008
#define FIFO_CTRL		0x00c
#define   CTRL_RX_EN		(1u << 0)
#define   CTRL_TX_EN		(1u << 1)
#define   CTRL_TX_CHECK		(1u << 2)
#define   CTRL_RX_DMA		(1u << 4)
#define   CTRL_TX_DMA		(1u << 5)
#define   CTRL_RX_FLUSH		(1u << 8)
#define   CTRL_TX_FLUSH		(1u << 9)
#define FIFO_STATUS		0x010
#define FIFO_RX_LEVEL		0x014
#define FIFO_TX_LEVEL		0x018
#define FIFO_RX_THRESH		0x01c
#define FIFO_TX_THRESH		0x020
#define FIFO_RX_RATE		0x024
#define FIFO_TX_RATE		0x028
#define FIFO_SEED		0x02c
#define   SEED_RX(s)		((u32)(s) & 0xffu)
#define   SEED_TX(s)		(((u32)(s) & 0xffu) << 8)
#define FIFO_INT_STATUS		0x030
#define FIFO_INT_MASK		0x034
#define   INT_RX_AVAIL		(1u << 0)
#define   INT_TX_SPACE		(1u << 1)
#define   INT_RX_OVERRUN	(1u << 2)
#define   INT_RX_UNDERRUN	(1u << 3)
#define   INT_TX_OVERRUN	(1u << 4)
#define   INT_TX_UNDERRUN	(1u << 5)
#define   INT_TX_MISMATCH	(1u << 6)
#define   INT_ALL		0x7fu
/* The errors the driver listens to (TX_UNDERRUN is normal at a rate). */
#define   INT_ERRORS		(INT_RX_OVERRUN | INT_RX_UNDERRUN | \
				 INT_TX_OVERRUN | INT_TX_MISMATCH)
#define FIFO_RX_DROPPED		0x038
#define FIFO_TX_ERRORS		0x03c
#define FIFO_RX_DATA		0x040
#define FIFO_TX_DATA		0x048
#define FIFO_RX_COUNT		0x050
#define FIFO_TX_COUNT		0x058

#define FIFO_WINDOW		0x1000

enum { XF_RX = 0, XF_TX = 1 };

/* One transfer slot per direction. */
struct fifo_xfer {
	struct dk_fifo *f;
	int dir;			/* XF_RX or XF_TX */
	bool active;			/* f->lock */
	/* The mapping, valid while active (f->lock). */
	void *buf;
	size_t len;
	dma_addr_t bus;
	struct scatterlist *sgl;
	unsigned int nents;
	dk_fifo_done_fn done;
	void *arg;
	/* For the synchronous forms. */
	struct completion cmp;
	int result;
};

struct dk_fifo {
	struct platform_device *pdev;
	struct list_head node;
	void __iomem *regs;
	phys_addr_t phys;
	int irq;
	struct dma_chan *chan[2];	/* XF_RX, XF_TX */
	spinlock_t lock;
	struct fifo_xfer xf[2];

	/* Cyclic receive (f->lock; uses the RX slot's active flag). */
	bool cyclic;
	void *ring;
	dma_addr_t ring_bus;
	size_t ring_len, period_len;
	dma_cookie_t ring_cookie;
	dk_fifo_period_fn period_fn;
	void *period_arg;

	u64 rx_bytes, tx_bytes;		/* atomic */
	u64 error_irqs;			/* atomic */
};

static DEFINE_MUTEX(fifo_list_lock);
static LIST_HEAD(fifo_list);

static const char *const xf_name[2] = { "rx", "tx" };
static const u32 xf_dma_bit[2] = { CTRL_RX_DMA, CTRL_TX_DMA };
static const u32 xf_en_bit[2] = { CTRL_RX_EN, CTRL_TX_EN };

static struct device *fifo_dma_dev(struct dk_fifo *f, int dir)
{
	return dmaengine_get_dma_device(f->chan[dir]);
}

/* Caller holds f->lock. */
static void fifo_ctrl_update(struct dk_fifo *f, u32 clear, u32 set)
{
	u32 v = readl((char __iomem *)f->regs + FIFO_CTRL);

	v &= ~(clear | CTRL_RX_FLUSH | CTRL_TX_FLUSH);
	writel(v | set, (char __iomem *)f->regs + FIFO_CTRL);
}

/* ---- interrupt: stream errors -------------------------------------------- */

static irqreturn_t fifo_irq(int irq, void *dev_id)
{
	struct dk_fifo *f = dev_id;
	u32 st = readl((char __iomem *)f->regs + FIFO_INT_STATUS) &
		 INT_ERRORS;

	(void)irq;
	if (!st)
		return IRQ_NONE;
	writel(st, (char __iomem *)f->regs + FIFO_INT_STATUS);
	__atomic_add_fetch(&f->error_irqs, 1, __ATOMIC_RELAXED);
	dev_dbg(&f->pdev->dev, "stream error interrupt, INT_STATUS 0x%x\n",
		st);
	return IRQ_HANDLED;
}

/* ---- transfers ----------------------------------------------------------- */

/*
 * End the transfer in slot @xf with @result, once: from the DMA callback,
 * or from a canceller after dmaengine_terminate_sync(). Any context.
 */
static void fifo_finish(struct fifo_xfer *xf, int result)
{
	struct dk_fifo *f = xf->f;
	enum dma_data_direction ddir = xf->dir == XF_RX ? DMA_FROM_DEVICE :
							  DMA_TO_DEVICE;
	struct device *dev = fifo_dma_dev(f, xf->dir);
	struct scatterlist *sgl;
	unsigned int nents;
	dk_fifo_done_fn done;
	dma_addr_t bus;
	size_t len;
	void *arg;
	unsigned long flags;

	spin_lock_irqsave(&f->lock, flags);
	if (!xf->active || (xf->dir == XF_RX && f->cyclic)) {
		spin_unlock_irqrestore(&f->lock, flags);
		return;
	}
	/* The controller is done (or stopped): drop the request. */
	fifo_ctrl_update(f, xf_dma_bit[xf->dir], 0);
	sgl = xf->sgl;
	nents = xf->nents;
	bus = xf->bus;
	len = xf->len;
	done = xf->done;
	arg = xf->arg;
	/* Unmap before the slot is free: a new transfer may reuse it. */
	if (sgl)
		dma_unmap_sg(dev, sgl, (int)nents, ddir);
	else
		dma_unmap_single(dev, bus, len, ddir);
	xf->active = false;
	spin_unlock_irqrestore(&f->lock, flags);

	if (!result)
		__atomic_add_fetch(xf->dir == XF_RX ? &f->rx_bytes :
				   &f->tx_bytes, len, __ATOMIC_RELAXED);
	if (done)
		done(arg, result);
}

/* The dmaengine completion callback: tasklet context. */
static void fifo_dma_done(void *param, const struct dmaengine_result *res)
{
	struct fifo_xfer *xf = param;
	int result = 0;

	if (res && res->result != DMA_TRANS_NOERROR) {
		dev_err(&xf->f->pdev->dev,
			"%s transfer failed: dmaengine result %d, residue %u\n",
			xf_name[xf->dir], res->result, res->residue);
		result = -EIO;
	}
	fifo_finish(xf, result);
}

/* Claim slot @dir; -EBUSY if taken. */
static int fifo_claim(struct dk_fifo *f, int dir)
{
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&f->lock, flags);
	if (f->xf[dir].active)
		ret = -EBUSY;
	else
		f->xf[dir].active = true;
	spin_unlock_irqrestore(&f->lock, flags);
	if (ret)
		dev_err(&f->pdev->dev, "%s: a transfer is in flight already\n",
			xf_name[dir]);
	return ret;
}

static void fifo_unclaim(struct dk_fifo *f, int dir)
{
	unsigned long flags;

	spin_lock_irqsave(&f->lock, flags);
	f->xf[dir].active = false;
	spin_unlock_irqrestore(&f->lock, flags);
}

static int fifo_check_len(struct dk_fifo *f, const char *what, size_t len)
{
	if (!len || len % DK_FIFO_WIDTH || len > 0xffffffffull) {
		dev_err(&f->pdev->dev,
			"%s: length %zu is not a non-zero multiple of %d below 4 GiB\n",
			what, len, DK_FIFO_WIDTH);
		return -EINVAL;
	}
	return 0;
}

/*
 * Map, prepare, submit and issue a transfer in the claimed slot @dir, then
 * turn the FIFO's request on. On failure the slot is released.
 */
static int fifo_start(struct dk_fifo *f, int dir, void *buf, size_t len,
		      struct scatterlist *sgl, unsigned int nents,
		      dk_fifo_done_fn done, void *arg)
{
	struct fifo_xfer *xf = &f->xf[dir];
	struct dma_chan *chan = f->chan[dir];
	struct device *dev = fifo_dma_dev(f, dir);
	enum dma_data_direction ddir = dir == XF_RX ? DMA_FROM_DEVICE :
						      DMA_TO_DEVICE;
	enum dma_transfer_direction tdir = dir == XF_RX ? DMA_DEV_TO_MEM :
							  DMA_MEM_TO_DEV;
	struct dma_async_tx_descriptor *tx;
	dma_cookie_t cookie;
	dma_addr_t bus = 0;
	unsigned long flags;
	int mapped = 0;

	if (sgl) {
		mapped = dma_map_sg(dev, sgl, (int)nents, ddir);
		if (mapped <= 0) {
			dev_err(&f->pdev->dev, "%s: dma_map_sg of %u entries on %s failed\n",
				xf_name[dir], nents, dev_name(dev));
			fifo_unclaim(f, dir);
			return -ENOMEM;
		}
		tx = dmaengine_prep_slave_sg(chan, sgl, (unsigned int)mapped,
					     tdir, DMA_PREP_INTERRUPT |
					     DMA_CTRL_ACK);
	} else {
		bus = dma_map_single(dev, buf, len, ddir);
		if (dma_mapping_error(dev, bus)) {
			dev_err(&f->pdev->dev, "%s: dma_map_single(%p, %zu) on %s failed\n",
				xf_name[dir], buf, len, dev_name(dev));
			fifo_unclaim(f, dir);
			return -ENOMEM;
		}
		tx = dmaengine_prep_slave_single(chan, bus, len, tdir,
						 DMA_PREP_INTERRUPT |
						 DMA_CTRL_ACK);
	}
	if (!tx) {
		dev_err(&f->pdev->dev, "%s: preparing a %zu-byte slave transfer on %s failed\n",
			xf_name[dir], len, dma_chan_name(chan));
		goto err_unmap;
	}
	tx->callback_result = fifo_dma_done;
	tx->callback_param = xf;

	spin_lock_irqsave(&f->lock, flags);
	xf->buf = buf;
	xf->len = len;
	xf->bus = bus;
	xf->sgl = sgl;
	xf->nents = nents;
	xf->done = done;
	xf->arg = arg;
	spin_unlock_irqrestore(&f->lock, flags);

	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie)) {
		dev_err(&f->pdev->dev, "%s: dmaengine_submit failed (%d)\n",
			xf_name[dir], cookie);
		goto err_unmap;
	}
	dma_async_issue_pending(chan);
	/* The channel waits for the request line: raise it. */
	spin_lock_irqsave(&f->lock, flags);
	fifo_ctrl_update(f, 0, xf_dma_bit[dir] | xf_en_bit[dir]);
	spin_unlock_irqrestore(&f->lock, flags);
	return 0;

err_unmap:
	if (sgl)
		dma_unmap_sg(dev, sgl, (int)nents, ddir);
	else
		dma_unmap_single(dev, bus, len, ddir);
	fifo_unclaim(f, dir);
	return -EIO;
}

static void fifo_sync_done(void *arg, int result)
{
	struct fifo_xfer *xf = arg;

	xf->result = result;
	complete(&xf->cmp);
}

/* Terminate slot @dir's transfer; its client hears -ECANCELED. */
static void fifo_cancel_dir(struct dk_fifo *f, int dir)
{
	dmaengine_terminate_sync(f->chan[dir]);
	fifo_finish(&f->xf[dir], -ECANCELED);
}

static int fifo_sync(struct dk_fifo *f, int dir, void *buf, size_t len,
		     struct scatterlist *sgl, unsigned int nents,
		     unsigned int timeout_ms)
{
	struct fifo_xfer *xf = &f->xf[dir];
	int ret;

	ret = fifo_claim(f, dir);
	if (ret)
		return ret;
	reinit_completion(&xf->cmp);
	xf->result = 0;
	ret = fifo_start(f, dir, buf, len, sgl, nents, fifo_sync_done, xf);
	if (ret)
		return ret;
	if (!wait_for_completion_timeout(&xf->cmp,
					 msecs_to_jiffies(timeout_ms))) {
		fifo_cancel_dir(f, dir);
		/* The callback may have won the race: take its result. */
		wait_for_completion(&xf->cmp);
		if (xf->result == -ECANCELED) {
			dev_err(&f->pdev->dev, "%s: %zu bytes not done in %u ms; terminated\n",
				xf_name[dir], len, timeout_ms);
			return -ETIMEDOUT;
		}
	}
	return xf->result;
}

int dk_fifo_receive(struct dk_fifo *f, void *buf, size_t len,
		    unsigned int timeout_ms)
{
	if (!f || !buf)
		return -EINVAL;
	if (fifo_check_len(f, "receive", len))
		return -EINVAL;
	return fifo_sync(f, XF_RX, buf, len, NULL, 0, timeout_ms);
}

int dk_fifo_receive_sg(struct dk_fifo *f, struct scatterlist *sgl,
		       unsigned int nents, unsigned int timeout_ms)
{
	struct scatterlist *sg;
	size_t len = 0;
	unsigned int i;

	if (!f || !sgl || !nents)
		return -EINVAL;
	for (i = 0, sg = sgl; i < nents && sg; i++, sg = sg_next(sg)) {
		if (fifo_check_len(f, "receive_sg entry", sg->length))
			return -EINVAL;
		len += sg->length;
	}
	if (i != nents) {
		dev_err(&f->pdev->dev, "receive_sg: the list ends after %u of %u entries\n",
			i, nents);
		return -EINVAL;
	}
	return fifo_sync(f, XF_RX, NULL, len, sgl, nents, timeout_ms);
}

int dk_fifo_receive_async(struct dk_fifo *f, void *buf, size_t len,
			  dk_fifo_done_fn done, void *arg)
{
	int ret;

	if (!f || !buf || !done)
		return -EINVAL;
	if (fifo_check_len(f, "receive", len))
		return -EINVAL;
	ret = fifo_claim(f, XF_RX);
	if (ret)
		return ret;
	return fifo_start(f, XF_RX, buf, len, NULL, 0, done, arg);
}

int dk_fifo_transmit(struct dk_fifo *f, const void *buf, size_t len,
		     unsigned int timeout_ms)
{
	if (!f || !buf)
		return -EINVAL;
	if (fifo_check_len(f, "transmit", len))
		return -EINVAL;
	return fifo_sync(f, XF_TX, (void *)buf, len, NULL, 0, timeout_ms);
}

int dk_fifo_transmit_async(struct dk_fifo *f, const void *buf, size_t len,
			   dk_fifo_done_fn done, void *arg)
{
	int ret;

	if (!f || !buf || !done)
		return -EINVAL;
	if (fifo_check_len(f, "transmit", len))
		return -EINVAL;
	ret = fifo_claim(f, XF_TX);
	if (ret)
		return ret;
	return fifo_start(f, XF_TX, (void *)buf, len, NULL, 0, done, arg);
}

void dk_fifo_cancel(struct dk_fifo *f)
{
	bool cyclic;
	unsigned long flags;

	if (!f)
		return;
	spin_lock_irqsave(&f->lock, flags);
	cyclic = f->cyclic;
	spin_unlock_irqrestore(&f->lock, flags);
	if (!cyclic)
		fifo_cancel_dir(f, XF_RX);
	fifo_cancel_dir(f, XF_TX);
}

int dk_fifo_tx_drain(struct dk_fifo *f, unsigned int timeout_ms)
{
	unsigned long end;

	if (!f)
		return -EINVAL;
	end = jiffies + msecs_to_jiffies(timeout_ms);
	while (readl((char __iomem *)f->regs + FIFO_TX_LEVEL)) {
		if (time_after(jiffies, end)) {
			dev_err(&f->pdev->dev, "TX FIFO still holds %u bytes after %u ms\n",
				readl((char __iomem *)f->regs + FIFO_TX_LEVEL),
				timeout_ms);
			return -ETIMEDOUT;
		}
		sched_yield();
	}
	return 0;
}

/* ---- cyclic receive ------------------------------------------------------ */

static void fifo_period(void *param)
{
	struct dk_fifo *f = param;

	/* Written before the descriptor was submitted; stable until stop. */
	if (f->period_fn)
		f->period_fn(f->period_arg);
}

int dk_fifo_rx_cyclic_start(struct dk_fifo *f, size_t ring_len,
			    size_t period_len, dk_fifo_period_fn fn,
			    void *arg, void **ring)
{
	struct dma_chan *chan;
	struct device *dev;
	struct dma_async_tx_descriptor *tx;
	dma_cookie_t cookie;
	dma_addr_t bus;
	unsigned long flags;
	void *cpu;
	int ret;

	if (!f || !ring)
		return -EINVAL;
	if (!period_len || period_len % DK_FIFO_BURST_BYTES ||
	    !ring_len || ring_len % period_len || ring_len > 0xffffffffull) {
		dev_err(&f->pdev->dev,
			"cyclic: ring %zu / period %zu: the period must be a non-zero multiple of %d and divide the ring\n",
			ring_len, period_len, DK_FIFO_BURST_BYTES);
		return -EINVAL;
	}
	ret = fifo_claim(f, XF_RX);
	if (ret)
		return ret;
	chan = f->chan[XF_RX];
	dev = fifo_dma_dev(f, XF_RX);
	cpu = dma_alloc_coherent(dev, ring_len, &bus, GFP_KERNEL);
	if (!cpu) {
		dev_err(&f->pdev->dev, "cyclic: no %zu-byte coherent ring on %s\n",
			ring_len, dev_name(dev));
		fifo_unclaim(f, XF_RX);
		return -ENOMEM;
	}
	tx = dmaengine_prep_dma_cyclic(chan, bus, ring_len, period_len,
				       DMA_DEV_TO_MEM, DMA_PREP_INTERRUPT |
				       DMA_CTRL_ACK);
	if (!tx) {
		dev_err(&f->pdev->dev, "cyclic: preparing ring %zu / period %zu on %s failed\n",
			ring_len, period_len, dma_chan_name(chan));
		ret = -EIO;
		goto err_free;
	}
	f->period_fn = fn;
	f->period_arg = arg;
	tx->callback = fifo_period;
	tx->callback_param = f;
	spin_lock_irqsave(&f->lock, flags);
	f->cyclic = true;
	f->ring = cpu;
	f->ring_bus = bus;
	f->ring_len = ring_len;
	f->period_len = period_len;
	spin_unlock_irqrestore(&f->lock, flags);
	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie)) {
		dev_err(&f->pdev->dev, "cyclic: dmaengine_submit failed (%d)\n",
			cookie);
		spin_lock_irqsave(&f->lock, flags);
		f->cyclic = false;
		spin_unlock_irqrestore(&f->lock, flags);
		ret = -EIO;
		goto err_free;
	}
	__atomic_store_n(&f->ring_cookie, cookie, __ATOMIC_RELEASE);
	dma_async_issue_pending(chan);
	spin_lock_irqsave(&f->lock, flags);
	fifo_ctrl_update(f, 0, CTRL_RX_DMA | CTRL_RX_EN);
	spin_unlock_irqrestore(&f->lock, flags);
	*ring = cpu;
	return 0;

err_free:
	dma_free_coherent(dev, ring_len, cpu, bus);
	fifo_unclaim(f, XF_RX);
	return ret;
}

int dk_fifo_rx_cyclic_pos(struct dk_fifo *f, size_t *pos)
{
	struct dma_tx_state state = { 0 };
	unsigned long flags;
	size_t ring_len;
	bool cyclic;

	if (!f || !pos)
		return -EINVAL;
	spin_lock_irqsave(&f->lock, flags);
	cyclic = f->cyclic;
	ring_len = f->ring_len;
	spin_unlock_irqrestore(&f->lock, flags);
	if (!cyclic)
		return -EINVAL;
	dmaengine_tx_status(f->chan[XF_RX],
			    __atomic_load_n(&f->ring_cookie, __ATOMIC_ACQUIRE),
			    &state);
	*pos = state.residue > ring_len ? 0 :
	       (ring_len - state.residue) % ring_len;
	return 0;
}

int dk_fifo_rx_cyclic_stop(struct dk_fifo *f, void *last)
{
	struct device *dev;
	unsigned long flags;
	size_t len;
	void *cpu;
	dma_addr_t bus;

	if (!f)
		return -EINVAL;
	spin_lock_irqsave(&f->lock, flags);
	if (!f->cyclic) {
		spin_unlock_irqrestore(&f->lock, flags);
		dev_err(&f->pdev->dev, "cyclic: no cyclic receive to stop\n");
		return -EINVAL;
	}
	spin_unlock_irqrestore(&f->lock, flags);
	/* No period callback runs or will run after this. */
	dmaengine_terminate_sync(f->chan[XF_RX]);
	dev = fifo_dma_dev(f, XF_RX);
	spin_lock_irqsave(&f->lock, flags);
	fifo_ctrl_update(f, CTRL_RX_DMA, 0);
	cpu = f->ring;
	bus = f->ring_bus;
	len = f->ring_len;
	f->ring = NULL;
	f->cyclic = false;
	f->period_fn = NULL;
	f->xf[XF_RX].active = false;
	spin_unlock_irqrestore(&f->lock, flags);
	if (last)
		memcpy(last, cpu, len);
	dma_free_coherent(dev, len, cpu, bus);
	return 0;
}

/* ---- setup and statistics ------------------------------------------------ */

int dk_fifo_setup(struct dk_fifo *f, const struct dk_fifo_setup *s)
{
	char __iomem *r;
	unsigned long flags;

	if (!f || !s)
		return -EINVAL;
	r = f->regs;
	spin_lock_irqsave(&f->lock, flags);
	if (f->xf[XF_RX].active || f->xf[XF_TX].active) {
		spin_unlock_irqrestore(&f->lock, flags);
		dev_err(&f->pdev->dev, "setup: a transfer is in flight\n");
		return -EBUSY;
	}
	writel(0, r + FIFO_CTRL);
	writel(SEED_RX(s->rx_seed) | SEED_TX(s->tx_seed), r + FIFO_SEED);
	writel(s->rx_rate, r + FIFO_RX_RATE);
	writel(s->tx_rate, r + FIFO_TX_RATE);
	writel(CTRL_RX_FLUSH | CTRL_TX_FLUSH, r + FIFO_CTRL);
	writel(INT_ALL, r + FIFO_INT_STATUS);
	writel(s->tx_check ? CTRL_TX_CHECK : 0, r + FIFO_CTRL);
	spin_unlock_irqrestore(&f->lock, flags);
	__atomic_store_n(&f->rx_bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->tx_bytes, 0, __ATOMIC_RELAXED);
	return 0;
}

int dk_fifo_get_stats(struct dk_fifo *f, struct dk_fifo_stats *st)
{
	char __iomem *r;

	if (!f || !st)
		return -EINVAL;
	r = f->regs;
	memset(st, 0, sizeof(*st));
	st->rx_count = readq(r + FIFO_RX_COUNT);
	st->rx_dropped = readl(r + FIFO_RX_DROPPED);
	st->tx_count = readq(r + FIFO_TX_COUNT);
	st->tx_errors = readl(r + FIFO_TX_ERRORS);
	st->rx_level = readl(r + FIFO_RX_LEVEL);
	st->tx_level = readl(r + FIFO_TX_LEVEL);
	st->rx_bytes = __atomic_load_n(&f->rx_bytes, __ATOMIC_RELAXED);
	st->tx_bytes = __atomic_load_n(&f->tx_bytes, __ATOMIC_RELAXED);
	st->error_irqs = __atomic_load_n(&f->error_irqs, __ATOMIC_RELAXED);
	return 0;
}

/* ---- probe and remove ---------------------------------------------------- */

static int fifo_config_chan(struct dk_fifo *f, int dir)
{
	struct dma_slave_config cfg = { 0 };
	int ret;

	if (dir == XF_RX) {
		cfg.direction = DMA_DEV_TO_MEM;
		cfg.src_addr = f->phys + FIFO_RX_DATA;
		cfg.src_addr_width = DMA_SLAVE_BUSWIDTH_8_BYTES;
		cfg.src_maxburst = DK_FIFO_BURST;
	} else {
		cfg.direction = DMA_MEM_TO_DEV;
		cfg.dst_addr = f->phys + FIFO_TX_DATA;
		cfg.dst_addr_width = DMA_SLAVE_BUSWIDTH_8_BYTES;
		cfg.dst_maxburst = DK_FIFO_BURST;
	}
	ret = dmaengine_slave_config(f->chan[dir], &cfg);
	if (ret)
		dev_err(&f->pdev->dev, "dmaengine_slave_config(%s) on %s: %d\n",
			xf_name[dir], dma_chan_name(f->chan[dir]), ret);
	return ret;
}

static void fifo_release_chans(struct dk_fifo *f)
{
	for (int dir = 0; dir < 2; dir++) {
		if (f->chan[dir])
			dma_release_channel(f->chan[dir]);
		f->chan[dir] = NULL;
	}
}

static int fifo_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct resource *res;
	struct dk_fifo *f;
	char __iomem *r;
	u32 id, ver;
	int ret, dir;

	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!res || resource_size(res) < FIFO_WINDOW) {
		dev_err(dev, "no 4 KiB register window\n");
		return -ENODEV;
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->pdev = pdev;
	f->phys = res->start;
	spin_lock_init(&f->lock);
	for (dir = 0; dir < 2; dir++) {
		f->xf[dir].f = f;
		f->xf[dir].dir = dir;
		init_completion(&f->xf[dir].cmp);
	}
	f->regs = ioremap(res->start, FIFO_WINDOW);
	if (!f->regs) {
		dev_err(dev, "ioremap of 0x%llx failed\n",
			(unsigned long long)res->start);
		ret = -ENOMEM;
		goto err_free;
	}
	r = f->regs;
	id = readl(r + FIFO_ID);
	ver = readl(r + FIFO_VERSION);
	if (id != FIFO_ID_MAGIC || FIFO_VERSION_MAJOR(ver) != 1) {
		dev_err(dev, "ID 0x%08x VERSION 0x%08x, expected 0x%08x major 1\n",
			id, ver, FIFO_ID_MAGIC);
		ret = -ENODEV;
		goto err_unmap;
	}

	/* The channels first: without them there is nothing to do. */
	for (dir = 0; dir < 2; dir++) {
		f->chan[dir] = dma_request_chan(dev, xf_name[dir]);
		if (IS_ERR(f->chan[dir])) {
			ret = (int)PTR_ERR(f->chan[dir]);
			f->chan[dir] = NULL;
			if (ret == -EPROBE_DEFER)
				dev_info(dev, "%s channel: the DMA controller is not registered yet, deferring\n",
					 xf_name[dir]);
			else
				dev_err(dev, "dma_request_chan(%s): %d\n",
					xf_name[dir], ret);
			goto err_chans;
		}
		ret = fifo_config_chan(f, dir);
		if (ret)
			goto err_chans;
	}

	writel(0, r + FIFO_INT_MASK);
	writel(0, r + FIFO_CTRL);
	writel(CTRL_RX_FLUSH | CTRL_TX_FLUSH, r + FIFO_CTRL);
	writel(INT_ALL, r + FIFO_INT_STATUS);
	writel(DK_FIFO_BURST_BYTES, r + FIFO_RX_THRESH);
	writel(DK_FIFO_BURST_BYTES, r + FIFO_TX_THRESH);

	f->irq = platform_get_irq(pdev, 0);
	if (f->irq <= 0) {
		dev_err(dev, "no interrupt vector\n");
		ret = -ENODEV;
		goto err_chans;
	}
	ret = request_irq((unsigned int)f->irq, fifo_irq, 0, DRV_NAME, f);
	if (ret) {
		dev_err(dev, "request_irq(%d): %d\n", f->irq, ret);
		goto err_chans;
	}
	writel(INT_ERRORS, r + FIFO_INT_MASK);

	platform_set_drvdata(pdev, f);
	mutex_lock(&fifo_list_lock);
	list_add_tail(&f->node, &fifo_list);
	mutex_unlock(&fifo_list_lock);
	dev_dbg(dev, "bound: rx %s, tx %s\n", dma_chan_name(f->chan[XF_RX]),
		dma_chan_name(f->chan[XF_TX]));
	return 0;

err_chans:
	fifo_release_chans(f);
err_unmap:
	iounmap(f->regs);
err_free:
	kfree(f);
	return ret;
}

static int fifo_remove(struct platform_device *pdev)
{
	struct dk_fifo *f = platform_get_drvdata(pdev);
	char __iomem *r;

	if (!f)
		return 0;
	mutex_lock(&fifo_list_lock);
	list_del(&f->node);
	mutex_unlock(&fifo_list_lock);
	if (f->cyclic)
		dk_fifo_rx_cyclic_stop(f, NULL);
	dk_fifo_cancel(f);
	r = f->regs;
	writel(0, r + FIFO_INT_MASK);
	writel(0, r + FIFO_CTRL);
	free_irq((unsigned int)f->irq, f);
	fifo_release_chans(f);
	iounmap(f->regs);
	kfree(f);
	return 0;
}

static struct platform_driver fifo_driver = {
	.probe = fifo_probe,
	.remove = fifo_remove,
	.driver = { .name = DRV_NAME },
};

int dk_fifo_driver_register(void)
{
	return platform_driver_register(&fifo_driver);
}

void dk_fifo_driver_unregister(void)
{
	platform_driver_unregister(&fifo_driver);
}

struct dk_fifo *dk_fifo_get(unsigned int index)
{
	struct dk_fifo *f, *found = NULL;

	mutex_lock(&fifo_list_lock);
	list_for_each_entry(f, &fifo_list, node) {
		if (!index--) {
			found = f;
			break;
		}
	}
	mutex_unlock(&fifo_list_lock);
	return found;
}

struct dk_fifo *dk_fifo_from_pdev(struct platform_device *pdev)
{
	if (!pdev || pdev->dev.driver != &fifo_driver.driver)
		return NULL;
	return platform_get_drvdata(pdev);
}

const char *dk_fifo_name(const struct dk_fifo *f)
{
	return f ? dev_name(&f->pdev->dev) : "";
}

struct dma_chan *dk_fifo_chan(struct dk_fifo *f, bool tx)
{
	return f ? f->chan[tx ? XF_TX : XF_RX] : NULL;
}
