/* SPDX-License-Identifier: MIT */
/*
 * kernel/virt-dma.h - virtual DMA channels: the descriptor lists and the
 * completion tasklet a dmaengine provider builds on (Linux's
 * drivers/dma/virt-dma.h, same names and semantics).
 *
 * Included by DMA controller drivers (src/drivers/), kernel/virt-dma.c and
 * unit tests.
 *
 * A descriptor moves through the channel's lists:
 *   prep (vchan_tx_prep)        -> desc_allocated
 *   dmaengine_submit            -> desc_submitted   (cookie assigned)
 *   issue_pending               -> desc_issued      (vchan_issue_pending)
 *   the driver starts it: it stays first on desc_issued until the driver
 *   takes it off (list_del) when it hands it to the hardware, or leaves it
 *   there, as the driver prefers (Linux drivers do both)
 *   completion (IRQ path)       -> desc_completed   (vchan_cookie_complete:
 *                                  the completed cookie advances now)
 *   tasklet (vchan_complete)    -> callback, then freed with vc->desc_free,
 *                                  or back to desc_allocated if reusable
 *   terminate (IRQ-safe)        -> desc_terminated  (vchan_terminate_vdesc
 *                                  for the active one), the rest collected
 *                                  with vchan_get_all_descriptors() and
 *                                  freed with vchan_dma_desc_free_list()
 *   synchronize                 -> tasklet_kill, then desc_terminated freed
 *
 * LOCKING: vc->lock (a spinlock) protects the five lists, vc->cyclic and
 * each descriptor's node; the helpers marked "caller holds vc->lock"
 * assert it. Callbacks run in softirq context from vc->task with no
 * lock held, in list (cookie) order; the cyclic period callback, if any,
 * runs first. A tasklet never runs concurrently with itself, so one
 * channel's callbacks never overlap.
 *
 * The provider contract for a virt-dma driver:
 * - embed struct virt_dma_chan (first) in the channel and struct
 *   virt_dma_desc in the descriptor; set vc->desc_free, call vchan_init()
 *   for each channel before dma_async_device_register();
 * - prep: allocate without sleeping, fill the hardware part, return
 *   vchan_tx_prep(vc, vd, flags);
 * - device_issue_pending: under vc->lock, if (vchan_issue_pending(vc) &&
 *   idle) start vchan_next_desc(vc);
 * - completion from the IRQ handler: under vc->lock, list_del(&vd->node)
 *   if still listed, set vd->tx_result on errors, vchan_cookie_complete(vd)
 *   (cyclic: vchan_cyclic_callback(vd) per period), start the next;
 * - device_tx_status: dma_cookie_status(); if not complete, under vc->lock
 *   vchan_find_desc() for queued work (residue = its length) or the
 *   hardware counter for the active one; dma_set_residue();
 * - device_terminate_all: under vc->lock stop the hardware, hand the active
 *   descriptor to vchan_terminate_vdesc(), vchan_get_all_descriptors() to a
 *   local list; unlock; vchan_dma_desc_free_list();
 * - device_synchronize: wait for the hardware to stop touching memory,
 *   then vchan_synchronize();
 * - device_free_chan_resources: vchan_free_chan_resources().
 *
 * Differs from Linux: the helpers are functions in virt-dma.c rather than
 * inlines; vchan_tx_submit() refuses (-EBUSY) a descriptor submitted twice;
 * vchan_cookie_complete() refuses a descriptor without a cookie instead of
 * BUG().
 */
#ifndef DK_KERNEL_VIRT_DMA_H
#define DK_KERNEL_VIRT_DMA_H

#include <linux/dmaengine.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include "kernel/dmaengine_internal.h"

/**
 * struct virt_dma_desc - the virt-dma part of a provider's descriptor
 * @tx: the dmaengine descriptor (its tx_submit/desc_free are virt-dma's)
 * @tx_result: what callback_result gets; NOERROR/0 from vchan_tx_prep(),
 *             the driver sets errors before vchan_cookie_complete()
 * @node: link in one of the channel's lists (vc->lock)
 * @dk_queued: submitted and not yet back on desc_allocated (vc->lock)
 */
struct virt_dma_desc {
	struct dma_async_tx_descriptor tx;
	struct dmaengine_result tx_result;
	struct list_head node;
	bool dk_queued;
};

/**
 * struct virt_dma_chan - a virtual channel
 * @chan: the dmaengine channel (keep it first)
 * @task: runs the completed descriptors' callbacks (vchan_complete)
 * @desc_free: the driver frees one of its descriptors (no lock held)
 * @lock: protects everything below
 * @desc_allocated: prepared, not submitted (and reusable ones)
 * @desc_submitted: submitted, not issued
 * @desc_issued: issued, waiting for or on the hardware
 * @desc_completed: completed, callback not yet run
 * @desc_terminated: terminated, freed at vchan_synchronize()
 * @cyclic: cyclic descriptor whose period callback is due, or NULL
 */
struct virt_dma_chan {
	struct dma_chan chan;
	struct tasklet_struct task;
	void (*desc_free)(struct virt_dma_desc *vd);

	spinlock_t lock;

	struct list_head desc_allocated;
	struct list_head desc_submitted;
	struct list_head desc_issued;
	struct list_head desc_completed;
	struct list_head desc_terminated;

	struct virt_dma_desc *cyclic;
};

static inline struct virt_dma_chan *to_virt_chan(struct dma_chan *chan)
{
	return container_of(chan, struct virt_dma_chan, chan);
}

static inline struct virt_dma_desc *
to_virt_desc(struct dma_async_tx_descriptor *tx)
{
	return container_of(tx, struct virt_dma_desc, tx);
}

/**
 * vchan_init() - initialise @vc and add it to @dmadev->channels
 * @vc: the channel (vc->desc_free set by the caller, before or after)
 * @dmadev: its device (INIT_LIST_HEAD(&dmadev->channels) done already)
 * Context: process, before dma_async_device_register().
 */
void vchan_init(struct virt_dma_chan *vc, struct dma_device *dmadev);

/**
 * vchan_tx_prep() - finish preparing @vd and put it on desc_allocated
 * @vc: the channel
 * @vd: the driver's new descriptor
 * @tx_flags: the prep call's flags
 *
 * Context: any; takes vc->lock (must not be held).
 * Return: &vd->tx, for the prep op to return.
 */
struct dma_async_tx_descriptor *vchan_tx_prep(struct virt_dma_chan *vc,
					      struct virt_dma_desc *vd,
					      unsigned long tx_flags);

/**
 * vchan_tx_submit() - tx_submit of virt-dma descriptors: assign the cookie
 * and move to desc_submitted
 * Context: any; takes vc->lock.
 * Return: the cookie, or -EBUSY (already submitted, not completed).
 */
dma_cookie_t vchan_tx_submit(struct dma_async_tx_descriptor *tx);

/**
 * vchan_tx_desc_free() - desc_free of virt-dma descriptors: unlink and
 * free with vc->desc_free
 * Context: any; takes vc->lock.
 * Return: 0, or -EBUSY when the descriptor is submitted (in flight).
 */
int vchan_tx_desc_free(struct dma_async_tx_descriptor *tx);

/**
 * vchan_issue_pending() - move desc_submitted to the tail of desc_issued
 * @vc: the channel
 * Context: any; caller holds vc->lock.
 * Return: true when desc_issued is not empty.
 */
bool vchan_issue_pending(struct virt_dma_chan *vc);

/**
 * vchan_next_desc() - the first issued descriptor, or NULL
 * Context: any; caller holds vc->lock.
 */
struct virt_dma_desc *vchan_next_desc(struct virt_dma_chan *vc);

/**
 * vchan_find_desc() - the issued descriptor with @cookie, or NULL
 * Context: any; caller holds vc->lock.
 */
struct virt_dma_desc *vchan_find_desc(struct virt_dma_chan *vc,
				      dma_cookie_t cookie);

/**
 * vchan_cookie_complete() - @vd is done: advance the completed cookie,
 * put @vd on desc_completed and schedule the tasklet
 * @vd: the descriptor, taken off the list it was on (list_del) by the
 *      driver, or still on desc_issued (it is moved)
 *
 * Context: any (the driver's IRQ path); caller holds vc->lock.
 */
void vchan_cookie_complete(struct virt_dma_desc *vd);

/**
 * vchan_cyclic_callback() - a period of the cyclic @vd elapsed: schedule
 * its callback (several periods before the tasklet runs make one call)
 * Context: any (IRQ path); caller holds vc->lock.
 */
void vchan_cyclic_callback(struct virt_dma_desc *vd);

/**
 * vchan_terminate_vdesc() - park the active @vd on desc_terminated (freed
 * by vchan_synchronize()) and drop a pending cyclic callback for it
 * @vd: the active descriptor, not on any list
 * Context: any (terminate_all); caller holds vc->lock.
 */
void vchan_terminate_vdesc(struct virt_dma_desc *vd);

/**
 * vchan_get_all_descriptors() - move every list (allocated, submitted,
 * issued, completed, terminated) to the tail of @head
 * Context: any; caller holds vc->lock.
 */
void vchan_get_all_descriptors(struct virt_dma_chan *vc,
			       struct list_head *head);

/**
 * vchan_vdesc_fini() - free @vd, or return it to desc_allocated when it is
 * reusable (DMA_CTRL_REUSE)
 * Context: any; takes vc->lock (must not be held); @vd on no list.
 */
void vchan_vdesc_fini(struct virt_dma_desc *vd);

/**
 * vchan_dma_desc_free_list() - vchan_vdesc_fini() each descriptor of @head
 * Context: any; vc->lock not held.
 */
void vchan_dma_desc_free_list(struct virt_dma_chan *vc,
			      struct list_head *head);

/**
 * vchan_free_chan_resources() - free every descriptor of @vc, reusable
 * ones included (their reuse flag is cleared)
 * Context: process (device_free_chan_resources); vc->lock not held.
 */
void vchan_free_chan_resources(struct virt_dma_chan *vc);

/**
 * vchan_synchronize() - wait until no callback of @vc runs or is pending
 * (tasklet_kill), then free desc_terminated
 * Context: process, not from @vc's own callback; vc->lock not held.
 */
void vchan_synchronize(struct virt_dma_chan *vc);

#endif
