// SPDX-License-Identifier: MIT
/*
 * virt-dma.c - virtual DMA channels: descriptor lists, cookie assignment at
 * submit, and the per-channel completion tasklet that runs the callbacks
 * (Linux's drivers/dma/virt-dma.[ch]; see kernel/virt-dma.h for the
 * descriptor life cycle and the provider contract).
 *
 * LOCKING: vc->lock protects the channel's lists, vc->cyclic and each
 * descriptor's node and dk_queued. Callbacks are called from vc->task with
 * no lock held; a descriptor the tasklet took off desc_completed belongs to
 * the tasklet until it is freed or back on desc_allocated.
 */
#include <errno.h>
#include <string.h>
#include <linux/device.h>
#include <linux/dmaengine.h>
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/spinlock.h>
#include "kernel/virt-dma.h"

/* Is @e linked into a list (not list_del()ed, not list_del_init()ed)? */
static bool node_linked(const struct list_head *e)
{
	return e->next && e->next != e;
}

dma_cookie_t vchan_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct virt_dma_chan *vc = to_virt_chan(tx->chan);
	struct virt_dma_desc *vd = to_virt_desc(tx);
	dma_cookie_t cookie;

	spin_lock(&vc->lock);
	if (vd->dk_queued) {
		cookie = tx->cookie;
		spin_unlock(&vc->lock);
		pr_err("dmaengine_submit: %s: descriptor %p submitted twice "
		       "(cookie %d, not completed yet)\n", vc->chan.dk_name,
		       (void *)tx, cookie);
		return -EBUSY;
	}
	cookie = dma_cookie_assign(tx);
	vd->dk_queued = true;
	list_move_tail(&vd->node, &vc->desc_submitted);
	spin_unlock(&vc->lock);
	return cookie;
}

int vchan_tx_desc_free(struct dma_async_tx_descriptor *tx)
{
	struct virt_dma_chan *vc = to_virt_chan(tx->chan);
	struct virt_dma_desc *vd = to_virt_desc(tx);

	spin_lock(&vc->lock);
	if (vd->dk_queued) {
		spin_unlock(&vc->lock);
		pr_err("dmaengine_desc_free: %s: descriptor %p is in flight "
		       "(cookie %d); terminate or wait for it first\n",
		       vc->chan.dk_name, (void *)tx, tx->cookie);
		return -EBUSY;
	}
	list_del(&vd->node);
	spin_unlock(&vc->lock);
	vc->desc_free(vd);
	return 0;
}

struct dma_async_tx_descriptor *vchan_tx_prep(struct virt_dma_chan *vc,
					      struct virt_dma_desc *vd,
					      unsigned long tx_flags)
{
	dma_async_tx_descriptor_init(&vd->tx, &vc->chan);
	vd->tx.cookie = 0;
	vd->tx.flags = (enum dma_ctrl_flags)tx_flags;
	vd->tx.tx_submit = vchan_tx_submit;
	vd->tx.desc_free = vchan_tx_desc_free;
	vd->tx.callback = NULL;
	vd->tx.callback_result = NULL;
	vd->tx.callback_param = NULL;
	vd->tx_result.result = DMA_TRANS_NOERROR;
	vd->tx_result.residue = 0;
	vd->dk_queued = false;

	spin_lock(&vc->lock);
	list_add_tail(&vd->node, &vc->desc_allocated);
	spin_unlock(&vc->lock);
	return &vd->tx;
}

bool vchan_issue_pending(struct virt_dma_chan *vc)
{
	lockdep_assert_held(&vc->lock);
	list_splice_tail_init(&vc->desc_submitted, &vc->desc_issued);
	return !list_empty(&vc->desc_issued);
}

struct virt_dma_desc *vchan_next_desc(struct virt_dma_chan *vc)
{
	lockdep_assert_held(&vc->lock);
	return list_first_entry_or_null(&vc->desc_issued, struct virt_dma_desc,
					node);
}

struct virt_dma_desc *vchan_find_desc(struct virt_dma_chan *vc,
				      dma_cookie_t cookie)
{
	struct virt_dma_desc *vd;

	lockdep_assert_held(&vc->lock);
	list_for_each_entry(vd, &vc->desc_issued, node)
		if (vd->tx.cookie == cookie)
			return vd;
	return NULL;
}

void vchan_cookie_complete(struct virt_dma_desc *vd)
{
	struct virt_dma_chan *vc = to_virt_chan(vd->tx.chan);

	lockdep_assert_held(&vc->lock);
	if (!dma_cookie_complete(&vd->tx))
		return;
	if (node_linked(&vd->node))
		list_del(&vd->node);
	list_add_tail(&vd->node, &vc->desc_completed);
	tasklet_schedule(&vc->task);
}

void vchan_cyclic_callback(struct virt_dma_desc *vd)
{
	struct virt_dma_chan *vc = to_virt_chan(vd->tx.chan);

	lockdep_assert_held(&vc->lock);
	vc->cyclic = vd;
	tasklet_schedule(&vc->task);
}

void vchan_terminate_vdesc(struct virt_dma_desc *vd)
{
	struct virt_dma_chan *vc = to_virt_chan(vd->tx.chan);

	lockdep_assert_held(&vc->lock);
	if (node_linked(&vd->node))
		list_del(&vd->node);
	list_add_tail(&vd->node, &vc->desc_terminated);
	if (vc->cyclic == vd)
		vc->cyclic = NULL;
}

void vchan_get_all_descriptors(struct virt_dma_chan *vc,
			       struct list_head *head)
{
	lockdep_assert_held(&vc->lock);
	list_splice_tail_init(&vc->desc_allocated, head);
	list_splice_tail_init(&vc->desc_submitted, head);
	list_splice_tail_init(&vc->desc_issued, head);
	list_splice_tail_init(&vc->desc_completed, head);
	list_splice_tail_init(&vc->desc_terminated, head);
}

void vchan_vdesc_fini(struct virt_dma_desc *vd)
{
	struct virt_dma_chan *vc = to_virt_chan(vd->tx.chan);

	if (dmaengine_desc_test_reuse(&vd->tx)) {
		spin_lock(&vc->lock);
		vd->dk_queued = false;
		list_add(&vd->node, &vc->desc_allocated);
		spin_unlock(&vc->lock);
	} else {
		vc->desc_free(vd);
	}
}

void vchan_dma_desc_free_list(struct virt_dma_chan *vc,
			      struct list_head *head)
{
	struct virt_dma_desc *vd, *n;

	(void)vc;
	list_for_each_entry_safe(vd, n, head, node) {
		list_del(&vd->node);
		vchan_vdesc_fini(vd);
	}
}

/* The tasklet: cyclic period callback first, then completions in order. */
static void vchan_complete(struct tasklet_struct *t)
{
	struct virt_dma_chan *vc = from_tasklet(vc, t, task);
	struct virt_dma_desc *vd, *n;
	struct dmaengine_desc_callback cb;
	struct dmaengine_result cyclic_result = { DMA_TRANS_NOERROR, 0 };
	LIST_HEAD(head);

	spin_lock(&vc->lock);
	list_splice_tail_init(&vc->desc_completed, &head);
	vd = vc->cyclic;
	if (vd) {
		vc->cyclic = NULL;
		dmaengine_desc_get_callback(&vd->tx, &cb);
		/* Copied under the lock: terminate may free @vd after. */
		cyclic_result = vd->tx_result;
	} else {
		memset(&cb, 0, sizeof(cb));
	}
	spin_unlock(&vc->lock);

	dmaengine_desc_callback_invoke(&cb, &cyclic_result);

	list_for_each_entry_safe(vd, n, &head, node) {
		struct dmaengine_result result = vd->tx_result;

		dmaengine_desc_get_callback(&vd->tx, &cb);
		list_del(&vd->node);
		if (!dmaengine_desc_test_reuse(&vd->tx)) {
			dmaengine_desc_callback_invoke(&cb, &result);
			vc->desc_free(vd);
			continue;
		}
		/*
		 * Reusable: back on desc_allocated before the callback, so the
		 * callback may resubmit it (Linux would corrupt its list).
		 */
		vchan_vdesc_fini(vd);
		dmaengine_desc_callback_invoke(&cb, &result);
	}
}

void vchan_init(struct virt_dma_chan *vc, struct dma_device *dmadev)
{
	dma_cookie_init(&vc->chan);
	spin_lock_init(&vc->lock);
	INIT_LIST_HEAD(&vc->desc_allocated);
	INIT_LIST_HEAD(&vc->desc_submitted);
	INIT_LIST_HEAD(&vc->desc_issued);
	INIT_LIST_HEAD(&vc->desc_completed);
	INIT_LIST_HEAD(&vc->desc_terminated);
	vc->cyclic = NULL;
	tasklet_setup(&vc->task, vchan_complete);
	vc->chan.device = dmadev;
	list_add_tail(&vc->chan.device_node, &dmadev->channels);
}

void vchan_free_chan_resources(struct virt_dma_chan *vc)
{
	struct virt_dma_desc *vd;
	LIST_HEAD(head);

	spin_lock(&vc->lock);
	vchan_get_all_descriptors(vc, &head);
	list_for_each_entry(vd, &head, node)
		dmaengine_desc_clear_reuse(&vd->tx);
	spin_unlock(&vc->lock);
	vchan_dma_desc_free_list(vc, &head);
}

void vchan_synchronize(struct virt_dma_chan *vc)
{
	LIST_HEAD(head);

	tasklet_kill(&vc->task);
	spin_lock(&vc->lock);
	list_splice_tail_init(&vc->desc_terminated, &head);
	spin_unlock(&vc->lock);
	vchan_dma_desc_free_list(vc, &head);
}
