// SPDX-License-Identifier: MIT
/*
 * virt_dma_test.c - the virt-dma helpers, driven by hand: a "manual"
 * provider whose test plays the hardware and the IRQ path (it completes
 * descriptors under the vchan lock itself). Checks each list transition,
 * cookie assignment and completion, the tasklet's callback order (cyclic
 * first, then completions), cyclic coalescing, error results, terminate +
 * synchronize freeing the terminated list, reuse returning to
 * desc_allocated, refused double completion / double submission, and that
 * free_chan_resources frees everything.
 *
 * Runs on a partial machine (IRQ, softirq, workqueue + dmaengine).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/device.h>
#include <linux/dmaengine.h>
#include <linux/interrupt.h>
#include <linux/platform_device.h>
#include "dk_test.h"
#include "irq_machine.h"
#include "hw/internal.h"
#include "kernel/internal.h"
#include "kernel/virt-dma.h"

struct tdesc {
	struct virt_dma_desc vd;
	size_t len;
};

static int live;	/* descriptors allocated (atomic) */

static void tdesc_free(struct virt_dma_desc *vd)
{
	__atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
	free(container_of(vd, struct tdesc, vd));
}

struct tdev {
	struct dma_device dd;
	struct virt_dma_chan vc;
};

static struct dma_async_tx_descriptor *
t_prep_memcpy(struct dma_chan *c, dma_addr_t dst, dma_addr_t src, size_t len,
	      unsigned long flags)
{
	struct tdesc *d = calloc(1, sizeof(*d));

	(void)dst;
	(void)src;
	if (!d)
		return NULL;
	__atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
	d->len = len;
	return vchan_tx_prep(to_virt_chan(c), &d->vd, flags);
}

/* Issue only moves lists: the test is the hardware. */
static void t_issue_pending(struct dma_chan *c)
{
	struct virt_dma_chan *vc = to_virt_chan(c);

	spin_lock(&vc->lock);
	vchan_issue_pending(vc);
	spin_unlock(&vc->lock);
}

static enum dma_status t_tx_status(struct dma_chan *c, dma_cookie_t cookie,
				   struct dma_tx_state *st)
{
	struct virt_dma_chan *vc = to_virt_chan(c);
	struct virt_dma_desc *vd;
	enum dma_status ret = dma_cookie_status(c, cookie, st);

	if (ret == DMA_COMPLETE)
		return ret;
	spin_lock(&vc->lock);
	vd = vchan_find_desc(vc, cookie);
	if (vd)
		dma_set_residue(st, (u32)container_of(vd, struct tdesc,
						      vd)->len);
	spin_unlock(&vc->lock);
	return ret;
}

static void t_free_chan(struct dma_chan *c)
{
	vchan_free_chan_resources(to_virt_chan(c));
}

static void t_synchronize(struct dma_chan *c)
{
	vchan_synchronize(to_virt_chan(c));
}

static struct platform_device pdev = {
	.name = "manual-dmac",
	.dev = { .init_name = "manual-dmac.0" },
};

static struct dk_machine *mach;
static struct tdev *td;
static struct dma_chan *chan;

static int setup(void **state)
{
	(void)state;
	mach = dk_test_irq_machine_up(false);
	assert_non_null(mach);
	assert_int_equal(dk__dmaengine_init(mach), 0);
	td = calloc(1, sizeof(*td));
	INIT_LIST_HEAD(&td->dd.channels);
	td->dd.dev = &pdev.dev;
	dma_cap_set(DMA_MEMCPY, td->dd.cap_mask);
	dma_cap_set(DMA_SLAVE, td->dd.cap_mask);
	td->dd.directions = 1u << DMA_MEM_TO_MEM;
	td->dd.descriptor_reuse = true;
	td->dd.device_prep_dma_memcpy = t_prep_memcpy;
	td->dd.device_issue_pending = t_issue_pending;
	td->dd.device_tx_status = t_tx_status;
	td->dd.device_free_chan_resources = t_free_chan;
	td->dd.device_synchronize = t_synchronize;
	td->vc.desc_free = tdesc_free;
	vchan_init(&td->vc, &td->dd);
	assert_int_equal(dma_async_device_register(&td->dd), 0);
	chan = dma_get_any_slave_channel(&td->dd);
	assert_ptr_equal(chan, &td->vc.chan);
	return 0;
}

static int teardown(void **state)
{
	int leaks;

	(void)state;
	if (chan)
		dma_release_channel(chan);
	chan = NULL;
	dma_async_device_unregister(&td->dd);
	free(td);
	td = NULL;
	assert_int_equal(__atomic_load_n(&live, __ATOMIC_RELAXED), 0);
	leaks = dk__dmaengine_exit(mach);
	leaks += dk_test_irq_machine_down(mach);
	mach = NULL;
	dk_test_log_release();
	assert_int_equal(leaks, 0);
	return 0;
}

static size_t list_len(struct list_head *h)
{
	struct list_head *p;
	size_t n = 0;

	spin_lock(&td->vc.lock);
	list_for_each(p, h)
		n++;
	spin_unlock(&td->vc.lock);
	return n;
}

/* Callback log: order of calls, as ids. */
static int log_ids[64];
static int log_n;		/* tasklet writes, test reads after wait */
static int log_done;		/* atomic */
static enum dmaengine_tx_result log_res[64];
static bool log_softirq;

static void rec_cb(void *p, const struct dmaengine_result *r)
{
	log_ids[log_n] = (int)(uintptr_t)p;
	log_res[log_n] = r->result;
	log_n++;
	log_softirq = in_serving_softirq();
	__atomic_add_fetch(&log_done, 1, __ATOMIC_RELEASE);
}

static void rec_plain(void *p)
{
	log_ids[log_n] = 1000 + (int)(uintptr_t)p;
	log_res[log_n] = DMA_TRANS_NOERROR;
	log_n++;
	__atomic_add_fetch(&log_done, 1, __ATOMIC_RELEASE);
}

static bool wait_calls(int n)
{
	return DK_WAIT_UNTIL(__atomic_load_n(&log_done, __ATOMIC_ACQUIRE) ==
			     n, 5000);
}

static void log_reset(void)
{
	log_n = 0;
	__atomic_store_n(&log_done, 0, __ATOMIC_RELEASE);
}

static struct dma_async_tx_descriptor *prep(int id, size_t len)
{
	struct dma_async_tx_descriptor *tx;

	tx = dmaengine_prep_dma_memcpy(chan, 0, 0, len, DMA_PREP_INTERRUPT);
	assert_non_null(tx);
	tx->callback_result = rec_cb;
	tx->callback_param = (void *)(uintptr_t)id;
	return tx;
}

/* Play the IRQ path: complete the first issued descriptor. */
static struct virt_dma_desc *hw_complete_next(enum dmaengine_tx_result res)
{
	struct virt_dma_desc *vd;

	spin_lock(&td->vc.lock);
	vd = vchan_next_desc(&td->vc);
	if (vd) {
		list_del(&vd->node);
		vd->tx_result.result = res;
		vchan_cookie_complete(vd);
	}
	spin_unlock(&td->vc.lock);
	return vd;
}

static void test_lists_and_order(void **state)
{
	struct dma_async_tx_descriptor *a, *b, *c;
	struct dma_tx_state ts;

	(void)state;
	log_reset();
	a = prep(1, 100);
	b = prep(2, 200);
	c = prep(3, 300);
	c->callback_result = NULL;
	c->callback = rec_plain;
	assert_int_equal(list_len(&td->vc.desc_allocated), 3);
	assert_int_equal(dmaengine_submit(a), 2);
	assert_int_equal(dmaengine_submit(b), 3);
	assert_int_equal(dmaengine_submit(b), -EBUSY);
	assert_int_equal(list_len(&td->vc.desc_allocated), 1);
	assert_int_equal(list_len(&td->vc.desc_submitted), 2);
	/* Submitted but not issued: not findable for residue. */
	assert_int_equal(dmaengine_tx_status(chan, 2, &ts), DMA_IN_PROGRESS);
	assert_int_equal(ts.residue, 0);
	dma_async_issue_pending(chan);
	assert_int_equal(list_len(&td->vc.desc_submitted), 0);
	assert_int_equal(list_len(&td->vc.desc_issued), 2);
	assert_int_equal(dmaengine_tx_status(chan, 3, &ts), DMA_IN_PROGRESS);
	assert_int_equal(ts.residue, 200);
	assert_int_equal(ts.used, 3);
	assert_int_equal(ts.last, 1);
	assert_int_equal(dmaengine_submit(c), 4);
	dma_async_issue_pending(chan);

	/* Complete with the tasklet held off: cookie advances at once. */
	tasklet_disable(&td->vc.task);
	assert_non_null(hw_complete_next(DMA_TRANS_NOERROR));
	assert_non_null(hw_complete_next(DMA_TRANS_READ_FAILED));
	assert_int_equal(dmaengine_tx_status(chan, 3, &ts), DMA_COMPLETE);
	assert_int_equal(ts.last, 3);
	assert_int_equal(dmaengine_tx_status(chan, 4, NULL), DMA_IN_PROGRESS);
	assert_int_equal(list_len(&td->vc.desc_completed), 2);
	assert_int_equal(__atomic_load_n(&log_done, __ATOMIC_ACQUIRE), 0);
	assert_non_null(hw_complete_next(DMA_TRANS_WRITE_FAILED));
	tasklet_enable(&td->vc.task);
	assert_true(wait_calls(3));
	assert_int_equal(log_ids[0], 1);
	assert_int_equal(log_ids[1], 2);
	assert_int_equal(log_ids[2], 1003);	/* legacy callback */
	assert_int_equal(log_res[0], DMA_TRANS_NOERROR);
	assert_int_equal(log_res[1], DMA_TRANS_READ_FAILED);
	assert_true(log_softirq);
	assert_int_equal(list_len(&td->vc.desc_completed), 0);
	assert_int_equal(__atomic_load_n(&live, __ATOMIC_RELAXED), 0);
	/* A cookie beyond the last issued reads complete, as in Linux. */
	assert_int_equal(dmaengine_tx_status(chan, 100, NULL), DMA_COMPLETE);
}

static void test_double_complete(void **state)
{
	struct dma_async_tx_descriptor *a;
	struct virt_dma_desc *vd;

	(void)state;
	log_reset();
	a = prep(1, 10);
	dmaengine_submit(a);
	dma_async_issue_pending(chan);
	tasklet_disable(&td->vc.task);
	vd = hw_complete_next(DMA_TRANS_NOERROR);
	assert_non_null(vd);
	dk_test_log_clear();
	spin_lock(&td->vc.lock);
	vchan_cookie_complete(vd);		/* again: refused */
	spin_unlock(&td->vc.lock);
	assert_log_count("completed twice", 1);
	tasklet_enable(&td->vc.task);
	assert_true(wait_calls(1));
	assert_int_equal(list_len(&td->vc.desc_completed), 0);
}

static void test_cyclic_coalesce_and_terminate(void **state)
{
	struct dma_async_tx_descriptor *cyc, *q;
	struct virt_dma_desc *vd;
	LIST_HEAD(head);

	(void)state;
	log_reset();
	cyc = prep(7, 64);
	q = prep(8, 16);
	dmaengine_submit(cyc);
	dmaengine_submit(q);
	dma_async_issue_pending(chan);
	spin_lock(&td->vc.lock);
	vd = vchan_next_desc(&td->vc);
	list_del(&vd->node);			/* "active" */
	spin_unlock(&td->vc.lock);

	/* Three periods before the tasklet runs: one callback. */
	tasklet_disable(&td->vc.task);
	spin_lock(&td->vc.lock);
	vchan_cyclic_callback(vd);
	vchan_cyclic_callback(vd);
	vchan_cyclic_callback(vd);
	spin_unlock(&td->vc.lock);
	tasklet_enable(&td->vc.task);
	assert_true(wait_calls(1));
	assert_int_equal(log_ids[0], 7);

	/* A period pending at terminate is dropped. */
	tasklet_disable(&td->vc.task);
	spin_lock(&td->vc.lock);
	vchan_cyclic_callback(vd);
	vchan_terminate_vdesc(vd);
	assert_null(td->vc.cyclic);
	vchan_get_all_descriptors(&td->vc, &head);
	/* In 6.1 the sweep takes desc_terminated too. */
	spin_unlock(&td->vc.lock);
	assert_int_equal(list_len(&head), 2);
	vchan_dma_desc_free_list(&td->vc, &head);
	tasklet_enable(&td->vc.task);
	dmaengine_synchronize(chan);
	assert_int_equal(__atomic_load_n(&log_done, __ATOMIC_ACQUIRE), 1);
	assert_int_equal(__atomic_load_n(&live, __ATOMIC_RELAXED), 0);
}

static void test_terminated_freed_at_synchronize(void **state)
{
	struct dma_async_tx_descriptor *a;
	struct virt_dma_desc *vd;

	(void)state;
	a = prep(1, 10);
	dmaengine_submit(a);
	dma_async_issue_pending(chan);
	spin_lock(&td->vc.lock);
	vd = vchan_next_desc(&td->vc);
	vchan_terminate_vdesc(vd);		/* still on issued: moved */
	spin_unlock(&td->vc.lock);
	assert_int_equal(list_len(&td->vc.desc_issued), 0);
	assert_int_equal(list_len(&td->vc.desc_terminated), 1);
	assert_int_equal(__atomic_load_n(&live, __ATOMIC_RELAXED), 1);
	dmaengine_synchronize(chan);
	assert_int_equal(list_len(&td->vc.desc_terminated), 0);
	assert_int_equal(__atomic_load_n(&live, __ATOMIC_RELAXED), 0);
}

static void test_reuse_lists(void **state)
{
	struct dma_async_tx_descriptor *a;

	(void)state;
	log_reset();
	a = prep(5, 10);
	assert_int_equal(dmaengine_desc_set_reuse(a), 0);
	dmaengine_submit(a);
	assert_int_equal(dmaengine_desc_free(a), -EBUSY);
	dma_async_issue_pending(chan);
	assert_non_null(hw_complete_next(DMA_TRANS_NOERROR));
	assert_true(wait_calls(1));
	assert_true(DK_WAIT_UNTIL(list_len(&td->vc.desc_allocated) == 1,
				  5000));
	assert_int_equal(a->cookie, 0);
	assert_int_equal(dmaengine_submit(a), 3);
	dma_async_issue_pending(chan);
	assert_non_null(hw_complete_next(DMA_TRANS_NOERROR));
	assert_true(wait_calls(2));
	/* Unsubmitted and reusable descriptors are freed with the channel. */
	prep(6, 10);
	assert_int_equal(__atomic_load_n(&live, __ATOMIC_RELAXED), 2);
	dma_release_channel(chan);
	chan = NULL;
	assert_int_equal(__atomic_load_n(&live, __ATOMIC_RELAXED), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lists_and_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_double_complete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_cyclic_coalesce_and_terminate, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_terminated_freed_at_synchronize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse_lists, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
