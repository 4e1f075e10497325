// SPDX-License-Identifier: MIT
/*
 * dmaengine_test.c - the dmaengine core and its client API, driven against
 * a mock software provider defined here: a "memcpy engine" built on
 * virt-dma whose engine thread copies between host buffers and completes
 * descriptors under the vchan lock (the simulated IRQ path); the vchan
 * tasklet then runs the callbacks on the softirq thread.
 *
 * Covers: bad arguments on every entry point, registration checks,
 * channel allocation (mask + filter, by mask, slave map with -ENODEV,
 * -EPROBE_DEFER, -EBUSY), cookies (first 2, wraparound), tx_status and
 * residue, every prep type, callback order and exactly-once completion
 * under 2 threads and 100,000 descriptors (DK_STRESS scales), a callback
 * that submits and issues more work, terminate_sync while busy, -ENOSYS
 * pause/resume, dma_get_slave_caps() advertising pause and resume each by
 * its own op, a cyclic prep that needs only the op (not DMA_CYCLIC, as
 * Linux), descriptor reuse, and leak reports.
 *
 * Runs on a partial machine (IRQ, softirq, workqueue + dmaengine).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/device.h>
#include <linux/dmaengine.h>
#include <linux/interrupt.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include "dk_test.h"
#include "irq_machine.h"
#include "tmodel.h"
#include <dmakit/machine.h>
#include "hw/internal.h"
#include "kernel/internal.h"
#include "kernel/virt-dma.h"

/* ---- the mock provider --------------------------------------------------- */

#define MOCK_MAX_SEGS	16
#define MOCK_MAX_CHANS	4

struct mseg {
	uintptr_t dst;
	uintptr_t src;
	size_t len;
};

struct mdesc {
	struct virt_dma_desc vd;
	bool fill;
	int value;
	bool cyclic;
	size_t nseg;
	size_t total;
	size_t done;	/* bytes moved (vc.lock) */
	size_t seg;	/* next segment (vc.lock) */
	struct mseg segs[MOCK_MAX_SEGS];
};

struct mock_dev;

struct mchan {
	struct virt_dma_chan vc;
	struct mock_dev *md;
	struct mdesc *active;		/* vc.lock */
	struct mdesc *copying;		/* atomic; engine is moving it */
	struct dma_slave_config cfg;	/* vc.lock */
	unsigned int line;		/* recorded by the filter */
	int allocs, frees;		/* chan resources calls (atomic) */
};

struct mock_dev {
	struct dma_device dd;
	struct mchan ch[MOCK_MAX_CHANS];
	unsigned int nchan;
	pthread_t thread;
	pthread_mutex_t mtx;
	pthread_cond_t kick;		/* work or stop */
	pthread_cond_t idle;		/* a copy finished */
	bool stop;			/* mtx */
	unsigned int kicks;		/* mtx */
	int hold;			/* atomic: engine holds off */
	int delay_us;			/* atomic: delay per segment */
	int desc_live;			/* atomic: descriptors alive */
	bool started;
};

static struct mchan *to_mchan(struct dma_chan *c)
{
	return container_of(to_virt_chan(c), struct mchan, vc);
}

static struct mdesc *to_mdesc(struct virt_dma_desc *vd)
{
	return container_of(vd, struct mdesc, vd);
}

static void mock_kick(struct mock_dev *md)
{
	pthread_mutex_lock(&md->mtx);
	md->kicks++;
	pthread_cond_signal(&md->kick);
	pthread_mutex_unlock(&md->mtx);
}

/* Start the next issued descriptor if idle; vc.lock held. */
static void mock_start(struct mchan *mc)
{
	struct virt_dma_desc *vd;

	if (mc->active)
		return;
	vd = vchan_next_desc(&mc->vc);
	if (!vd)
		return;
	list_del(&vd->node);
	mc->active = to_mdesc(vd);
	mc->active->seg = 0;	/* a reused descriptor starts over */
	mc->active->done = 0;
	mock_kick(mc->md);
}

static void busy_delay_us(int us)
{
	uint64_t end = dk__host_ns() + (uint64_t)us * 1000u;

	while (dk__host_ns() < end)
		;
}

/* One segment of @mc's active descriptor; returns true if it did work. */
static bool mock_step(struct mock_dev *md, struct mchan *mc)
{
	struct mdesc *d;
	struct mseg s;
	bool fill;
	int value, delay;

	spin_lock(&mc->vc.lock);
	d = mc->active;
	if (!d) {
		spin_unlock(&mc->vc.lock);
		return false;
	}
	s = d->segs[d->seg];
	fill = d->fill;
	value = d->value;
	__atomic_store_n(&mc->copying, d, __ATOMIC_RELAXED);
	spin_unlock(&mc->vc.lock);

	/* The "hardware" moves the data without any lock. */
	delay = __atomic_load_n(&md->delay_us, __ATOMIC_RELAXED);
	if (delay)
		busy_delay_us(delay);
	if (fill)
		memset((void *)s.dst, value, s.len);
	else
		memcpy((void *)s.dst, (const void *)s.src, s.len);

	/* The "interrupt": complete under the vchan lock. */
	spin_lock(&mc->vc.lock);
	if (mc->active == d) {
		d->done += s.len;
		d->seg++;
		if (d->cyclic) {
			vchan_cyclic_callback(&d->vd);
			if (d->seg == d->nseg) {
				d->seg = 0;
				d->done = 0;
			}
		} else if (d->seg == d->nseg) {
			mc->active = NULL;
			vchan_cookie_complete(&d->vd);
			mock_start(mc);
		}
	}
	__atomic_store_n(&mc->copying, NULL, __ATOMIC_RELEASE);
	spin_unlock(&mc->vc.lock);

	pthread_mutex_lock(&md->mtx);
	pthread_cond_broadcast(&md->idle);
	pthread_mutex_unlock(&md->mtx);
	return true;
}

static void *mock_engine(void *arg)
{
	struct mock_dev *md = arg;
	unsigned int i;
	bool work = false;

	for (;;) {
		pthread_mutex_lock(&md->mtx);
		while (!md->stop && !md->kicks && !work)
			pthread_cond_wait(&md->kick, &md->mtx);
		md->kicks = 0;
		if (md->stop) {
			pthread_mutex_unlock(&md->mtx);
			break;
		}
		pthread_mutex_unlock(&md->mtx);
		work = false;
		if (__atomic_load_n(&md->hold, __ATOMIC_ACQUIRE)) {
			dk_test_yield();
			work = true;
			continue;
		}
		for (i = 0; i < md->nchan; i++)
			work |= mock_step(md, &md->ch[i]);
		if (work)
			sched_yield();
	}
	return NULL;
}

static struct mdesc *mdesc_new(struct mchan *mc)
{
	struct mdesc *d = calloc(1, sizeof(*d));

	(void)mc;
	if (d)
		__atomic_add_fetch(&mc->md->desc_live, 1, __ATOMIC_RELAXED);
	return d;
}

static void mock_desc_free(struct virt_dma_desc *vd)
{
	struct mchan *mc = to_mchan(vd->tx.chan);

	__atomic_sub_fetch(&mc->md->desc_live, 1, __ATOMIC_RELAXED);
	free(to_mdesc(vd));
}

static struct dma_async_tx_descriptor *
mock_prep_memcpy(struct dma_chan *c, dma_addr_t dst, dma_addr_t src,
		 size_t len, unsigned long flags)
{
	struct mchan *mc = to_mchan(c);
	struct mdesc *d;

	if (!len)
		return NULL;
	d = mdesc_new(mc);
	if (!d)
		return NULL;
	d->nseg = 1;
	d->total = len;
	d->segs[0] = (struct mseg){ (uintptr_t)dst, (uintptr_t)src, len };
	return vchan_tx_prep(&mc->vc, &d->vd, flags);
}

static struct dma_async_tx_descriptor *
mock_prep_memset(struct dma_chan *c, dma_addr_t dst, int value, size_t len,
		 unsigned long flags)
{
	struct mchan *mc = to_mchan(c);
	struct mdesc *d = mdesc_new(mc);

	if (!d)
		return NULL;
	d->fill = true;
	d->value = value;
	d->nseg = 1;
	d->total = len;
	d->segs[0] = (struct mseg){ (uintptr_t)dst, 0, len };
	return vchan_tx_prep(&mc->vc, &d->vd, flags);
}

static struct dma_async_tx_descriptor *
mock_prep_slave_sg(struct dma_chan *c, struct scatterlist *sgl,
		   unsigned int sg_len, enum dma_transfer_direction dir,
		   unsigned long flags, void *context)
{
	struct mchan *mc = to_mchan(c);
	struct scatterlist *sg;
	struct mdesc *d;
	int i;
	uintptr_t fifo;

	(void)context;
	if (sg_len > MOCK_MAX_SEGS)
		return NULL;
	spin_lock(&mc->vc.lock);
	fifo = dir == DMA_DEV_TO_MEM ? (uintptr_t)mc->cfg.src_addr :
				       (uintptr_t)mc->cfg.dst_addr;
	spin_unlock(&mc->vc.lock);
	d = mdesc_new(mc);
	if (!d)
		return NULL;
	for_each_sg(sgl, sg, (int)sg_len, i) {
		uintptr_t mem = (uintptr_t)sg_dma_address(sg);

		d->segs[i].len = sg_dma_len(sg);
		d->segs[i].dst = dir == DMA_DEV_TO_MEM ? mem : fifo;
		d->segs[i].src = dir == DMA_DEV_TO_MEM ? fifo : mem;
		d->total += sg_dma_len(sg);
	}
	d->nseg = sg_len;
	return vchan_tx_prep(&mc->vc, &d->vd, flags);
}

static struct dma_async_tx_descriptor *
mock_prep_cyclic(struct dma_chan *c, dma_addr_t buf, size_t buf_len,
		 size_t period_len, enum dma_transfer_direction dir,
		 unsigned long flags)
{
	struct mchan *mc = to_mchan(c);
	struct mdesc *d;
	size_t i, n = buf_len / period_len;
	uintptr_t fifo;

	if (dir != DMA_DEV_TO_MEM || n == 0 || n > MOCK_MAX_SEGS ||
	    buf_len % period_len)
		return NULL;
	spin_lock(&mc->vc.lock);
	fifo = (uintptr_t)mc->cfg.src_addr;
	spin_unlock(&mc->vc.lock);
	d = mdesc_new(mc);
	if (!d)
		return NULL;
	d->cyclic = true;
	d->nseg = n;
	d->total = buf_len;
	for (i = 0; i < n; i++)
		d->segs[i] = (struct mseg){ (uintptr_t)buf + i * period_len,
					    fifo, period_len };
	return vchan_tx_prep(&mc->vc, &d->vd, flags);
}

static struct dma_async_tx_descriptor *
mock_prep_interleaved(struct dma_chan *c, struct dma_interleaved_template *xt,
		      unsigned long flags)
{
	struct mchan *mc = to_mchan(c);
	uintptr_t src = (uintptr_t)xt->src_start;
	uintptr_t dst = (uintptr_t)xt->dst_start;
	struct mdesc *d;
	size_t f, i, n = 0;

	if (xt->numf * xt->frame_size > MOCK_MAX_SEGS || !xt->frame_size)
		return NULL;
	d = mdesc_new(mc);
	if (!d)
		return NULL;
	for (f = 0; f < xt->numf; f++) {
		for (i = 0; i < xt->frame_size; i++) {
			struct data_chunk *ch = &xt->sgl[i];

			d->segs[n++] = (struct mseg){ dst, src, ch->size };
			d->total += ch->size;
			if (xt->src_inc)
				src += ch->size + dmaengine_get_src_icg(xt, ch);
			if (xt->dst_inc)
				dst += ch->size + dmaengine_get_dst_icg(xt, ch);
		}
	}
	d->nseg = n;
	return vchan_tx_prep(&mc->vc, &d->vd, flags);
}

static int mock_config(struct dma_chan *c, struct dma_slave_config *cfg)
{
	struct mchan *mc = to_mchan(c);

	spin_lock(&mc->vc.lock);
	mc->cfg = *cfg;
	spin_unlock(&mc->vc.lock);
	return 0;
}

static void mock_issue_pending(struct dma_chan *c)
{
	struct mchan *mc = to_mchan(c);

	spin_lock(&mc->vc.lock);
	if (vchan_issue_pending(&mc->vc))
		mock_start(mc);
	spin_unlock(&mc->vc.lock);
}

static enum dma_status mock_tx_status(struct dma_chan *c, dma_cookie_t cookie,
				      struct dma_tx_state *st)
{
	struct mchan *mc = to_mchan(c);
	struct virt_dma_desc *vd;
	enum dma_status ret;

	ret = dma_cookie_status(c, cookie, st);
	if (ret == DMA_COMPLETE || !st)
		return ret;
	spin_lock(&mc->vc.lock);
	if (mc->active && mc->active->vd.tx.cookie == cookie) {
		dma_set_residue(st, (u32)(mc->active->total -
					  mc->active->done));
	} else {
		vd = vchan_find_desc(&mc->vc, cookie);
		if (vd)
			dma_set_residue(st, (u32)to_mdesc(vd)->total);
	}
	spin_unlock(&mc->vc.lock);
	return ret;
}

static int mock_terminate_all(struct dma_chan *c)
{
	struct mchan *mc = to_mchan(c);
	LIST_HEAD(head);

	spin_lock(&mc->vc.lock);
	if (mc->active) {
		vchan_terminate_vdesc(&mc->active->vd);
		mc->active = NULL;
	}
	vchan_get_all_descriptors(&mc->vc, &head);
	spin_unlock(&mc->vc.lock);
	vchan_dma_desc_free_list(&mc->vc, &head);
	return 0;
}

static void mock_synchronize(struct dma_chan *c)
{
	struct mchan *mc = to_mchan(c);
	struct mock_dev *md = mc->md;

	/* The hardware stops touching memory... */
	pthread_mutex_lock(&md->mtx);
	while (__atomic_load_n(&mc->copying, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&md->idle, &md->mtx);
	pthread_mutex_unlock(&md->mtx);
	/* ...then no callback runs or will run. */
	vchan_synchronize(&mc->vc);
}

static int mock_alloc(struct dma_chan *c)
{
	__atomic_add_fetch(&to_mchan(c)->allocs, 1, __ATOMIC_RELAXED);
	return 0;
}

static void mock_free(struct dma_chan *c)
{
	struct mchan *mc = to_mchan(c);

	vchan_free_chan_resources(&mc->vc);
	__atomic_add_fetch(&mc->frees, 1, __ATOMIC_RELAXED);
}

/* A filter recording the request line; refuses channel ids >= line's
 * "max" when the test wants -EBUSY (all channels then refused). */
static bool mock_filter(struct dma_chan *c, void *param)
{
	unsigned int line = (unsigned int)(uintptr_t)param;

	if (line >= 100)
		return false;
	to_mchan(c)->line = line;
	return true;
}

static struct platform_device dmac_pdev = {
	.name = "mock-dmac",
	.dev = { .init_name = "mock-dmac.0" },
};

static void mock_init(struct mock_dev *md, unsigned int nchan)
{
	unsigned int i;

	memset(md, 0, sizeof(*md));
	md->nchan = nchan;
	INIT_LIST_HEAD(&md->dd.channels);
	md->dd.dev = &dmac_pdev.dev;
	dma_cap_set(DMA_MEMCPY, md->dd.cap_mask);
	dma_cap_set(DMA_MEMSET, md->dd.cap_mask);
	dma_cap_set(DMA_SLAVE, md->dd.cap_mask);
	dma_cap_set(DMA_CYCLIC, md->dd.cap_mask);
	dma_cap_set(DMA_INTERLEAVE, md->dd.cap_mask);
	md->dd.directions = (1u << DMA_MEM_TO_MEM) | (1u << DMA_DEV_TO_MEM) |
			    (1u << DMA_MEM_TO_DEV);
	md->dd.src_addr_widths = 1u << 4;
	md->dd.dst_addr_widths = 1u << 4;
	md->dd.descriptor_reuse = true;
	md->dd.residue_granularity = DMA_RESIDUE_GRANULARITY_SEGMENT;
	md->dd.device_alloc_chan_resources = mock_alloc;
	md->dd.device_free_chan_resources = mock_free;
	md->dd.device_prep_dma_memcpy = mock_prep_memcpy;
	md->dd.device_prep_dma_memset = mock_prep_memset;
	md->dd.device_prep_slave_sg = mock_prep_slave_sg;
	md->dd.device_prep_dma_cyclic = mock_prep_cyclic;
	md->dd.device_prep_interleaved_dma = mock_prep_interleaved;
	md->dd.device_config = mock_config;
	md->dd.device_terminate_all = mock_terminate_all;
	md->dd.device_synchronize = mock_synchronize;
	md->dd.device_tx_status = mock_tx_status;
	md->dd.device_issue_pending = mock_issue_pending;
	for (i = 0; i < nchan; i++) {
		md->ch[i].md = md;
		md->ch[i].vc.desc_free = mock_desc_free;
		vchan_init(&md->ch[i].vc, &md->dd);
	}
	pthread_mutex_init(&md->mtx, NULL);
	pthread_cond_init(&md->kick, NULL);
	pthread_cond_init(&md->idle, NULL);
}

static void mock_start_engine(struct mock_dev *md)
{
	assert_int_equal(pthread_create(&md->thread, NULL, mock_engine, md),
			 0);
	md->started = true;
}

static void mock_stop_engine(struct mock_dev *md)
{
	if (!md->started)
		return;
	pthread_mutex_lock(&md->mtx);
	md->stop = true;
	pthread_cond_signal(&md->kick);
	pthread_mutex_unlock(&md->mtx);
	pthread_join(md->thread, NULL);
	md->started = false;
}

/* Register @md (engine running); asserted. */
static void mock_up(struct mock_dev *md, unsigned int nchan)
{
	mock_init(md, nchan);
	mock_start_engine(md);
	assert_int_equal(dma_async_device_register(&md->dd), 0);
}

/* Unregister, stop, check no descriptor is left. */
static void mock_down(struct mock_dev *md)
{
	dma_async_device_unregister(&md->dd);
	mock_stop_engine(md);
	assert_int_equal(__atomic_load_n(&md->desc_live, __ATOMIC_RELAXED), 0);
}

/* ---- machine ------------------------------------------------------------- */

static struct dk_machine *mach;

static int setup(void **state)
{
	(void)state;
	mach = dk_test_irq_machine_up(false);
	assert_non_null(mach);
	assert_int_equal(dk__dmaengine_init(mach), 0);
	return 0;
}

static int machine_down(void)
{
	int leaks = dk__dmaengine_exit(mach);

	leaks += dk_test_irq_machine_down(mach);
	mach = NULL;
	return leaks;
}

static int teardown(void **state)
{
	(void)state;
	if (mach)
		assert_int_equal(machine_down(), 0);
	dk_test_log_release();
	return 0;
}

static struct dma_chan *get_memcpy_chan(void)
{
	dma_cap_mask_t mask;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	return dma_request_channel(mask, NULL, NULL);
}

/* ---- callbacks ----------------------------------------------------------- */

struct cbrec {
	int calls;			/* atomic */
	int in_softirq;			/* atomic: calls in a tasklet */
	enum dmaengine_tx_result last;
};

static void cb_result(void *p, const struct dmaengine_result *r)
{
	struct cbrec *c = p;

	c->last = r->result;
	if (in_serving_softirq())
		__atomic_add_fetch(&c->in_softirq, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELEASE);
}

static void cb_plain(void *p)
{
	__atomic_add_fetch((int *)p, 1, __ATOMIC_RELEASE);
}

static int calls(struct cbrec *c)
{
	return __atomic_load_n(&c->calls, __ATOMIC_ACQUIRE);
}

/* ---- tests: bad arguments ------------------------------------------------ */

static void test_bad_args_no_chan(void **state)
{
	struct dma_slave_config cfg = { 0 };
	struct dma_slave_caps caps;
	struct dma_tx_state ts;
	dma_cap_mask_t mask;

	(void)state;
	dk_test_log_clear();
	assert_int_equal(dmaengine_slave_config(NULL, &cfg), -EINVAL);
	assert_int_equal(dma_get_slave_caps(NULL, &caps), -EINVAL);
	assert_null(dmaengine_prep_slave_sg(NULL, NULL, 1, DMA_DEV_TO_MEM, 0));
	assert_null(dmaengine_prep_slave_single(NULL, 0, 4, DMA_DEV_TO_MEM,
						0));
	assert_null(dmaengine_prep_dma_cyclic(NULL, 0, 64, 16, DMA_DEV_TO_MEM,
					      0));
	assert_null(dmaengine_prep_dma_memcpy(NULL, 0, 0, 4, 0));
	assert_null(dmaengine_prep_dma_memset(NULL, 0, 0, 4, 0));
	assert_null(dmaengine_prep_interleaved_dma(NULL, NULL, 0));
	assert_int_equal(dmaengine_submit(NULL), -EINVAL);
	dma_async_issue_pending(NULL);
	assert_int_equal(dmaengine_tx_status(NULL, 2, &ts), DMA_ERROR);
	assert_int_equal(dma_async_is_tx_complete(NULL, 2, NULL, NULL),
			 DMA_ERROR);
	assert_int_equal(dma_sync_wait(NULL, 2), DMA_ERROR);
	assert_int_equal(dmaengine_pause(NULL), -EINVAL);
	assert_int_equal(dmaengine_resume(NULL), -EINVAL);
	assert_int_equal(dmaengine_terminate_async(NULL), -EINVAL);
	assert_int_equal(dmaengine_terminate_sync(NULL), -EINVAL);
	dmaengine_synchronize(NULL);
	dma_release_channel(NULL);
	assert_int_equal(dmaengine_desc_set_reuse(NULL), -EINVAL);
	assert_int_equal(dmaengine_desc_free(NULL), -EINVAL);
	assert_true(IS_ERR(dma_request_chan(NULL, "rx")));
	assert_int_equal(PTR_ERR(dma_request_chan(&dmac_pdev.dev, NULL)),
			 -EINVAL);
	assert_null(__dma_request_channel(NULL, NULL, NULL, NULL));
	assert_int_equal(PTR_ERR(dma_request_chan_by_mask(NULL)), -EINVAL);
	assert_null(dma_get_any_slave_channel(NULL));
	assert_null(dma_get_slave_channel(NULL));
	/* Nothing registered: by mask defers, a filtered request fails. */
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	assert_int_equal(PTR_ERR(dma_request_chan_by_mask(&mask)),
			 -EPROBE_DEFER);
	assert_null(dma_request_channel(mask, NULL, NULL));
	assert_int_equal(dk_test_log_count("NULL"), 27);
}

static void test_register_checks(void **state)
{
	struct mock_dev *md = calloc(1, sizeof(*md));
	struct dma_device empty;

	(void)state;
	assert_non_null(md);
	assert_int_equal(dma_async_device_register(NULL), -ENODEV);

	mock_init(md, 1);
	md->dd.dev = NULL;
	assert_int_equal(dma_async_device_register(&md->dd), -EIO);
	assert_log_count("must have dev", 1);
	md->dd.dev = &dmac_pdev.dev;

	md->dd.device_prep_dma_memcpy = NULL;
	assert_int_equal(dma_async_device_register(&md->dd), -EIO);
	assert_log_count("claims capability DMA_MEMCPY", 1);
	md->dd.device_prep_dma_memcpy = mock_prep_memcpy;

	md->dd.device_tx_status = NULL;
	assert_int_equal(dma_async_device_register(&md->dd), -EIO);
	assert_log_count("device_tx_status is not defined", 1);
	md->dd.device_tx_status = mock_tx_status;

	dma_cap_set(DMA_XOR, md->dd.cap_mask);
	assert_int_equal(dma_async_device_register(&md->dd), -EIO);
	dma_cap_clear(DMA_XOR, md->dd.cap_mask);

	memset(&empty, 0, sizeof(empty));
	INIT_LIST_HEAD(&empty.channels);
	empty.dev = &dmac_pdev.dev;
	empty.device_tx_status = mock_tx_status;
	empty.device_issue_pending = mock_issue_pending;
	assert_int_equal(dma_async_device_register(&empty), -ENODEV);
	assert_log_count("has no channels", 1);

	assert_int_equal(dma_async_device_register(&md->dd), 0);
	assert_int_equal(dma_async_device_register(&md->dd), -EBUSY);
	assert_string_equal(dma_chan_name(&md->ch[0].vc.chan), "dma0chan0");
	dma_async_device_unregister(&md->dd);
	dk_test_log_clear();
	dma_async_device_unregister(&md->dd);
	assert_log_count("is not registered", 1);
	dma_async_device_unregister(NULL);
	free(md);
}

/* ---- tests: allocation --------------------------------------------------- */

static bool filter_id1(struct dma_chan *c, void *param)
{
	return c->chan_id == (int)(uintptr_t)param;
}

static void test_request_channel(void **state)
{
	struct mock_dev *md = calloc(1, sizeof(*md));
	struct dma_chan *a, *b, *c;
	dma_cap_mask_t mask;

	(void)state;
	mock_up(md, 2);
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	a = dma_request_channel(mask, filter_id1, (void *)1);
	assert_ptr_equal(a, &md->ch[1].vc.chan);
	assert_int_equal(md->ch[1].allocs, 1);
	assert_int_equal(a->client_count, 1);
	assert_true(dma_has_cap(DMA_PRIVATE, md->dd.cap_mask));
	/* Exclusive: the same filter finds nothing now. */
	assert_null(dma_request_channel(mask, filter_id1, (void *)1));
	/* Capabilities the device lacks. */
	dma_cap_set(DMA_XOR, mask);
	assert_null(dma_request_channel(mask, NULL, NULL));
	assert_int_equal(PTR_ERR(dma_request_chan_by_mask(&mask)), -ENODEV);
	dma_cap_clear(DMA_XOR, mask);
	b = dma_request_chan_by_mask(&mask);
	assert_ptr_equal(b, &md->ch[0].vc.chan);
	assert_int_equal(PTR_ERR(dma_request_chan_by_mask(&mask)), -ENODEV);
	assert_null(dma_get_any_slave_channel(&md->dd));
	assert_null(dma_get_slave_channel(a));

	dma_release_channel(a);
	assert_int_equal(md->ch[1].frees, 1);
	assert_int_equal(a->client_count, 0);
	dk_test_log_clear();
	dma_release_channel(a);			/* twice */
	assert_log_count("is not held", 1);
	assert_int_equal(md->ch[1].frees, 1);
	c = dma_get_slave_channel(a);
	assert_ptr_equal(c, a);
	dma_release_channel(c);
	c = dma_get_any_slave_channel(&md->dd);
	assert_ptr_equal(c, a);
	assert_int_equal(md->ch[1].allocs, 3);
	dma_release_channel(c);
	dma_release_channel(b);
	assert_false(dma_has_cap(DMA_PRIVATE, md->dd.cap_mask));
	mock_down(md);
	free(md);
}

static struct device client_dev = { .init_name = "fifo.0" };
static struct device client2_dev = { .init_name = "fifo.1" };

static void test_slave_map(void **state)
{
	struct platform_device other = { .name = "other",
					  .dev = { .init_name = "other.0" } };
	struct mock_dev *md = calloc(1, sizeof(*md));
	struct dma_chan *c, *c2;

	(void)state;
	assert_int_equal(dk__dma_slave_map_add(NULL, "fifo.0", "rx",
					       &dmac_pdev, 3), -EINVAL);
	assert_int_equal(dk__dma_slave_map_add(mach, "fifo.0", NULL,
					       &dmac_pdev, 3), -EINVAL);
	assert_int_equal(dk__dma_slave_map_add(mach, "fifo.0", "rx",
					       &dmac_pdev, 3), 0);
	assert_int_equal(dk__dma_slave_map_add(mach, "fifo.0", "rx",
					       &dmac_pdev, 4), -EEXIST);
	assert_int_equal(dk__dma_slave_map_add(mach, "fifo.0", "tx",
					       &dmac_pdev, 5), 0);
	assert_int_equal(dk__dma_slave_map_add(mach, "fifo.1", "rx",
					       &dmac_pdev, 150), 0);
	assert_int_equal(dk__dma_slave_map_add(mach, "fifo.1", "tx",
					       &other, 1), 0);

	dk_test_log_clear();
	assert_int_equal(PTR_ERR(dma_request_chan(&client_dev, "bogus")),
			 -ENODEV);
	assert_log_count("no slave map entry for fifo.0:bogus", 1);
	/* Mapped, but the controller has not registered yet. */
	assert_int_equal(PTR_ERR(dma_request_chan(&client_dev, "rx")),
			 -EPROBE_DEFER);

	mock_init(md, 1);
	md->dd.filter.fn = mock_filter;
	mock_start_engine(md);
	assert_int_equal(dma_async_device_register(&md->dd), 0);
	assert_int_equal(PTR_ERR(dma_request_chan(&client2_dev, "tx")),
			 -EPROBE_DEFER);

	c = dma_request_chan(&client_dev, "rx");
	assert_false(IS_ERR(c));
	assert_ptr_equal(c, &md->ch[0].vc.chan);
	assert_int_equal(md->ch[0].line, 3);
	assert_string_equal(c->name, "dma:rx");
	assert_ptr_equal(c->slave, &client_dev);
	/* One channel, taken: -EBUSY. */
	dk_test_log_clear();
	assert_int_equal(PTR_ERR(dma_request_chan(&client_dev, "tx")), -EBUSY);
	assert_log_count("no free channel", 1);
	dma_release_channel(c);
	assert_null(c->name);
	/* The filter refuses line 150: -EBUSY too. */
	assert_int_equal(PTR_ERR(dma_request_chan(&client2_dev, "rx")),
			 -EBUSY);
	c2 = dma_request_chan(&client_dev, "tx");
	assert_false(IS_ERR(c2));
	assert_int_equal(md->ch[0].line, 5);
	dma_release_channel(c2);

	/* Without filter.fn the core hands the line over in chan->private. */
	md->dd.filter.fn = NULL;
	c2 = dma_request_chan(&client2_dev, "rx");
	assert_false(IS_ERR(c2));
	assert_int_equal((uintptr_t)c2->private, 150);
	dma_release_channel(c2);

	/* A device without DMA_SLAVE cannot serve the map. */
	dma_cap_clear(DMA_SLAVE, md->dd.cap_mask);
	assert_int_equal(PTR_ERR(dma_request_chan(&client_dev, "rx")),
			 -ENODEV);
	dma_cap_set(DMA_SLAVE, md->dd.cap_mask);
	mock_down(md);
	free(md);
}

static void test_provider_filter_map(void **state)
{
	static const struct dma_slave_map map[] = {
		{ "fifo.1", "rx", (void *)(uintptr_t)7 },
	};
	struct mock_dev *md = calloc(1, sizeof(*md));
	struct dma_chan *c;

	(void)state;
	mock_init(md, 2);
	md->dd.filter.fn = mock_filter;
	md->dd.filter.map = map;
	md->dd.filter.mapcnt = 1;
	mock_start_engine(md);
	assert_int_equal(dma_async_device_register(&md->dd), 0);
	c = dma_request_chan(&client2_dev, "rx");
	assert_false(IS_ERR(c));
	assert_int_equal(to_mchan(c)->line, 7);
	dma_release_channel(c);
	mock_down(md);
	free(md);
}

/* ---- tests: transfers ---------------------------------------------------- */

static void test_memcpy_and_status(void **state)
{
	struct mock_dev *md = calloc(1, sizeof(*md));
	struct dma_async_tx_descriptor *tx;
	struct dma_tx_state ts;
	struct dma_slave_caps caps;
	struct cbrec rec = { 0 };
	dma_cookie_t cookie, last, used;
	struct dma_chan *c;
	char src[256], dst[256 + 16];
	int plain = 0;

	(void)state;
	mock_up(md, 1);
	c = get_memcpy_chan();
	assert_non_null(c);
	memset(src, 0x5a, sizeof(src));
	memset(dst, 0, sizeof(dst));

	assert_int_equal(dma_get_slave_caps(c, &caps), 0);
	assert_true(caps.descriptor_reuse);
	assert_false(caps.cmd_pause);
	assert_false(caps.cmd_resume);
	assert_true(caps.cmd_terminate);
	assert_int_equal(caps.residue_granularity,
			 DMA_RESIDUE_GRANULARITY_SEGMENT);
	assert_int_equal(dmaengine_pause(c), -ENOSYS);
	assert_int_equal(dmaengine_resume(c), -ENOSYS);

	tx = dmaengine_prep_dma_memcpy(c, (uintptr_t)dst + 8, (uintptr_t)src,
				       sizeof(src),
				       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
	assert_non_null(tx);
	assert_true(async_tx_test_ack(tx));
	async_tx_clear_ack(tx);
	assert_false(async_tx_test_ack(tx));
	async_tx_ack(tx);
	tx->callback_result = cb_result;
	tx->callback_param = &rec;
	cookie = dmaengine_submit(tx);
	assert_int_equal(cookie, 2);		/* DMA_MIN_COOKIE + 1 */
	assert_int_equal(dmaengine_submit(tx), -EBUSY);	/* twice */
	/* Submitted, not issued: in progress; residue is not the engine's. */
	assert_int_equal(dmaengine_tx_status(c, cookie, &ts), DMA_IN_PROGRESS);
	assert_int_equal(ts.last, 1);
	assert_int_equal(ts.used, 2);
	dma_async_issue_pending(c);
	assert_true(DK_WAIT_UNTIL(calls(&rec) == 1, 5000));
	assert_int_equal(rec.in_softirq, 1);
	assert_int_equal(rec.last, DMA_TRANS_NOERROR);
	assert_memory_equal(dst + 8, src, sizeof(src));
	assert_int_equal(dst[7], 0);
	assert_int_equal(dst[8 + sizeof(src)], 0);
	assert_int_equal(dmaengine_tx_status(c, cookie, &ts), DMA_COMPLETE);
	assert_int_equal(ts.residue, 0);
	assert_int_equal(dma_async_is_tx_complete(c, cookie, &last, &used),
			 DMA_COMPLETE);
	assert_int_equal(last, 2);
	assert_int_equal(used, 2);

	/* Legacy callback, polled with dma_sync_wait(). */
	tx = dmaengine_prep_dma_memset(c, (uintptr_t)dst, 0x11, 8, 0);
	assert_non_null(tx);
	tx->callback = cb_plain;
	tx->callback_param = &plain;
	cookie = dmaengine_submit(tx);
	assert_int_equal(cookie, 3);
	assert_int_equal(dma_sync_wait(c, cookie), DMA_COMPLETE);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&plain, __ATOMIC_ACQUIRE) ==
				  1, 5000));
	assert_int_equal(dst[0], 0x11);
	assert_int_equal(dst[7], 0x11);

	/* Residue of queued work while the engine holds off. */
	__atomic_store_n(&md->hold, 1, __ATOMIC_RELEASE);
	tx = dmaengine_prep_dma_memcpy(c, (uintptr_t)dst, (uintptr_t)src, 100,
				       0);
	cookie = dmaengine_submit(tx);
	tx = dmaengine_prep_dma_memcpy(c, (uintptr_t)dst, (uintptr_t)src, 60,
				       0);
	last = dmaengine_submit(tx);
	dma_async_issue_pending(c);
	assert_int_equal(dmaengine_tx_status(c, cookie, &ts), DMA_IN_PROGRESS);
	assert_int_equal(ts.residue, 100);	/* active, not started */
	assert_int_equal(dmaengine_tx_status(c, last, &ts), DMA_IN_PROGRESS);
	assert_int_equal(ts.residue, 60);	/* queued: vchan_find_desc */
	__atomic_store_n(&md->hold, 0, __ATOMIC_RELEASE);
	mock_kick(md);
	assert_int_equal(dma_sync_wait(c, last), DMA_COMPLETE);
	assert_int_equal(dmaengine_tx_status(c, cookie, NULL), DMA_COMPLETE);

	/* A capability the device lacks gives NULL. */
	dma_cap_clear(DMA_MEMSET, md->dd.cap_mask);
	dk_test_log_clear();
	assert_null(dmaengine_prep_dma_memset(c, (uintptr_t)dst, 0, 8, 0));
	assert_log_count("lacks the capability", 1);
	dma_cap_set(DMA_MEMSET, md->dd.cap_mask);

	dma_release_channel(c);
	/* Everything on a released channel is refused with a message. */
	dk_test_log_clear();
	dma_async_issue_pending(c);
	assert_null(dmaengine_prep_dma_memcpy(c, (uintptr_t)dst,
					      (uintptr_t)src, 8, 0));
	assert_int_equal(dmaengine_tx_status(c, 2, NULL), DMA_ERROR);
	assert_int_equal(dmaengine_terminate_sync(c), -EINVAL);
	assert_log_count("is not held by a client", 4);
	mock_down(md);
	free(md);
}

static void test_slave_cyclic_interleaved(void **state)
{
	struct mock_dev *md = calloc(1, sizeof(*md));
	struct dma_async_tx_descriptor *tx;
	struct dma_slave_config cfg = { 0 };
	struct dma_interleaved_template *xt;
	struct scatterlist sg[2];
	struct cbrec rec = { 0 };
	char fifo[64], buf[256], out[256];
	struct dma_chan *c;
	dma_cookie_t cookie;
	int i;

	(void)state;
	mock_up(md, 1);
	c = dma_get_any_slave_channel(&md->dd);
	assert_non_null(c);
	for (i = 0; i < 64; i++)
		fifo[i] = (char)i;
	memset(buf, 0, sizeof(buf));
	cfg.src_addr = (uintptr_t)fifo;
	cfg.src_addr_width = DMA_SLAVE_BUSWIDTH_4_BYTES;
	assert_int_equal(dmaengine_slave_config(c, NULL), -EINVAL);
	assert_int_equal(dmaengine_slave_config(c, &cfg), 0);

	/* slave_single and slave_sg, DEV_TO_MEM. */
	assert_null(dmaengine_prep_slave_single(c, (uintptr_t)buf, 16,
						DMA_MEM_TO_MEM, 0));
	tx = dmaengine_prep_slave_single(c, (uintptr_t)buf, 16, DMA_DEV_TO_MEM,
					 DMA_PREP_INTERRUPT);
	assert_non_null(tx);
	cookie = dmaengine_submit(tx);
	assert_int_equal(dma_sync_wait(c, cookie), DMA_COMPLETE);
	assert_memory_equal(buf, fifo, 16);
	sg_init_table(sg, 2);
	sg_dma_address(&sg[0]) = (uintptr_t)buf + 32;
	sg_dma_len(&sg[0]) = 8;
	sg_dma_address(&sg[1]) = (uintptr_t)buf + 64;
	sg_dma_len(&sg[1]) = 24;
	assert_null(dmaengine_prep_slave_sg(c, NULL, 2, DMA_DEV_TO_MEM, 0));
	tx = dmaengine_prep_slave_sg(c, sg, 2, DMA_DEV_TO_MEM, 0);
	assert_non_null(tx);
	cookie = dmaengine_submit(tx);
	assert_int_equal(dma_sync_wait(c, cookie), DMA_COMPLETE);
	assert_memory_equal(buf + 32, fifo, 8);
	assert_memory_equal(buf + 64, fifo, 24);

	/* Interleaved: 2 frames of one 4-byte chunk, gap 4 on the source. */
	xt = calloc(1, sizeof(*xt) + sizeof(struct data_chunk));
	xt->src_start = (uintptr_t)fifo;
	xt->dst_start = (uintptr_t)out;
	xt->dir = DMA_MEM_TO_MEM;
	xt->src_inc = xt->dst_inc = true;
	xt->src_sgl = true;
	xt->numf = 2;
	xt->frame_size = 1;
	xt->sgl[0].size = 4;
	xt->sgl[0].icg = 4;
	memset(out, 0, sizeof(out));
	assert_null(dmaengine_prep_interleaved_dma(c, xt, DMA_PREP_REPEAT));
	tx = dmaengine_prep_interleaved_dma(c, xt, 0);
	assert_non_null(tx);
	cookie = dmaengine_submit(tx);
	assert_int_equal(dma_sync_wait(c, cookie), DMA_COMPLETE);
	assert_memory_equal(out, fifo, 4);
	assert_memory_equal(out + 4, fifo + 8, 4);
	free(xt);

	/* Cyclic: period callbacks until terminated. */
	assert_null(dmaengine_prep_dma_cyclic(c, (uintptr_t)buf, 64, 0,
					      DMA_DEV_TO_MEM, 0));
	tx = dmaengine_prep_dma_cyclic(c, (uintptr_t)buf, 128, 32,
				       DMA_DEV_TO_MEM, DMA_PREP_INTERRUPT);
	assert_non_null(tx);
	tx->callback_result = cb_result;
	tx->callback_param = &rec;
	cookie = dmaengine_submit(tx);
	dma_async_issue_pending(c);
	assert_true(DK_WAIT_UNTIL(calls(&rec) >= 3, 5000));
	assert_int_equal(dmaengine_tx_status(c, cookie, NULL), DMA_IN_PROGRESS);
	assert_int_equal(dmaengine_terminate_sync(c), 0);
	i = calls(&rec);
	/* Still in progress: a terminated cookie never completes. */
	assert_int_equal(dmaengine_tx_status(c, cookie, NULL), DMA_IN_PROGRESS);
	assert_int_equal(rec.in_softirq, i);
	assert_int_equal(calls(&rec), i);
	dma_release_channel(c);
	mock_down(md);
	free(md);
}

/* ---- tests: slave caps and the cyclic prep check ------------------------ */

static int mock_pause(struct dma_chan *c)
{
	(void)c;
	return 0;
}

static int mock_resume(struct dma_chan *c)
{
	(void)c;
	return 0;
}

/* Fill @caps from @c after zeroing it; asserted to succeed. */
static void caps_of(struct dma_chan *c, struct dma_slave_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	assert_int_equal(dma_get_slave_caps(c, caps), 0);
}

/*
 * Linux 6.1 sets cmd_pause and cmd_resume each from its own op, and
 * dmaengine_prep_dma_cyclic() checks only the channel and the op, not
 * DMA_CYCLIC in cap_mask. Both are checked against the mock provider.
 */
static void test_slave_caps_and_cyclic_cap(void **state)
{
	struct mock_dev *md = calloc(1, sizeof(*md));
	struct dma_async_tx_descriptor *tx;
	struct dma_slave_config cfg = { 0 };
	struct dma_slave_caps caps;
	struct cbrec rec = { 0 };
	char fifo[32], buf[128];
	struct dma_chan *c;
	dma_cookie_t cookie;
	int i;

	(void)state;
	assert_non_null(md);
	mock_up(md, 1);
	c = dma_get_any_slave_channel(&md->dd);
	assert_non_null(c);

	/* Pause without resume: pause is advertised, resume is not. */
	md->dd.device_pause = mock_pause;
	caps_of(c, &caps);
	assert_true(caps.cmd_pause);
	assert_false(caps.cmd_resume);
	assert_true(caps.cmd_terminate);
	assert_int_equal(dmaengine_pause(c), 0);
	assert_int_equal(dmaengine_resume(c), -ENOSYS);
	/* Resume without pause: the other way round. */
	md->dd.device_pause = NULL;
	md->dd.device_resume = mock_resume;
	caps_of(c, &caps);
	assert_false(caps.cmd_pause);
	assert_true(caps.cmd_resume);
	assert_int_equal(dmaengine_pause(c), -ENOSYS);
	assert_int_equal(dmaengine_resume(c), 0);
	/* Both, then neither (terminate too). */
	md->dd.device_pause = mock_pause;
	caps_of(c, &caps);
	assert_true(caps.cmd_pause);
	assert_true(caps.cmd_resume);
	md->dd.device_pause = NULL;
	md->dd.device_resume = NULL;
	md->dd.device_terminate_all = NULL;
	caps_of(c, &caps);
	assert_false(caps.cmd_pause);
	assert_false(caps.cmd_resume);
	assert_false(caps.cmd_terminate);
	md->dd.device_terminate_all = mock_terminate_all;
	/* The rest is copied from the dma_device. */
	assert_int_equal(caps.directions, md->dd.directions);
	assert_int_equal(caps.src_addr_widths, md->dd.src_addr_widths);
	assert_int_equal(caps.residue_granularity,
			 DMA_RESIDUE_GRANULARITY_SEGMENT);

	/* Cyclic on a device with the op but without DMA_CYCLIC: works. */
	for (i = 0; i < (int)sizeof(fifo); i++)
		fifo[i] = (char)(0x40 + i);
	memset(buf, 0, sizeof(buf));
	cfg.src_addr = (uintptr_t)fifo;
	cfg.src_addr_width = DMA_SLAVE_BUSWIDTH_4_BYTES;
	assert_int_equal(dmaengine_slave_config(c, &cfg), 0);
	dma_cap_clear(DMA_CYCLIC, md->dd.cap_mask);
	dk_test_log_clear();
	tx = dmaengine_prep_dma_cyclic(c, (uintptr_t)buf, 128, 32,
				       DMA_DEV_TO_MEM, DMA_PREP_INTERRUPT);
	assert_non_null(tx);
	assert_log_count("lacks the capability", 0);
	tx->callback_result = cb_result;
	tx->callback_param = &rec;
	cookie = dmaengine_submit(tx);
	assert_true(cookie > 0);
	dma_async_issue_pending(c);
	/* Four periods: one lap of the ring at least. */
	assert_true(DK_WAIT_UNTIL(calls(&rec) >= 4, 5000));
	assert_int_equal(dmaengine_terminate_sync(c), 0);
	for (i = 0; i < 4; i++)
		assert_memory_equal(buf + 32 * i, fifo, 32);

	/* Without the op: NULL, and the reason is logged. */
	md->dd.device_prep_dma_cyclic = NULL;
	dk_test_log_clear();
	assert_null(dmaengine_prep_dma_cyclic(c, (uintptr_t)buf, 128, 32,
					      DMA_DEV_TO_MEM, 0));
	assert_log_count("has no prep op", 1);
	md->dd.device_prep_dma_cyclic = mock_prep_cyclic;
	dma_cap_set(DMA_CYCLIC, md->dd.cap_mask);

	/* On a released channel: NULL, and the reason is logged. */
	dma_release_channel(c);
	dk_test_log_clear();
	assert_null(dmaengine_prep_dma_cyclic(c, (uintptr_t)buf, 128, 32,
					      DMA_DEV_TO_MEM, 0));
	assert_log_count("is not held by a client", 1);
	mock_down(md);
	free(md);
}

/* ---- tests: cookies ------------------------------------------------------ */

struct wrapctx {
	int order[8];
	int n;			/* callbacks seen (tasklet only) */
	int done;		/* atomic */
};

struct wrapslot {
	struct wrapctx *ctx;
	int idx;
};

static void wrap_cb(void *p)
{
	struct wrapslot *s = p;

	s->ctx->order[s->ctx->n++] = s->idx;
	__atomic_add_fetch(&s->ctx->done, 1, __ATOMIC_RELEASE);
}

static void test_cookie_wrap(void **state)
{
	struct mock_dev *md = calloc(1, sizeof(*md));
	struct dma_async_tx_descriptor *tx[5];
	struct wrapslot slot[5];
	struct wrapctx ctx = { .n = 0 };
	dma_cookie_t ck[5];
	static char src[32], dst[32];
	struct dma_chan *c;
	struct mchan *mc;
	int i;

	(void)state;
	/* The status arithmetic itself, around the wrap. */
	assert_int_equal(dma_async_is_complete(5, 5, 9), DMA_COMPLETE);
	assert_int_equal(dma_async_is_complete(6, 5, 9), DMA_IN_PROGRESS);
	assert_int_equal(dma_async_is_complete(10, 5, 9), DMA_COMPLETE);
	assert_int_equal(dma_async_is_complete(INT_MAX, INT_MAX - 1, 2),
			 DMA_IN_PROGRESS);
	assert_int_equal(dma_async_is_complete(1, INT_MAX - 1, 2),
			 DMA_IN_PROGRESS);
	assert_int_equal(dma_async_is_complete(INT_MAX - 1, INT_MAX - 1, 2),
			 DMA_COMPLETE);
	assert_int_equal(dma_async_is_complete(1, 1, 2), DMA_COMPLETE);

	mock_up(md, 1);
	c = get_memcpy_chan();
	assert_non_null(c);
	mc = to_mchan(c);
	spin_lock(&mc->vc.lock);
	dma_cookie_init(c);
	__atomic_store_n(&c->cookie, INT_MAX - 2, __ATOMIC_RELAXED);
	__atomic_store_n(&c->completed_cookie, INT_MAX - 2, __ATOMIC_RELAXED);
	spin_unlock(&mc->vc.lock);
	__atomic_store_n(&md->hold, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 5; i++) {
		tx[i] = dmaengine_prep_dma_memcpy(c, (uintptr_t)dst,
						  (uintptr_t)src, 32, 0);
		assert_non_null(tx[i]);
		slot[i] = (struct wrapslot){ &ctx, i };
		tx[i]->callback = wrap_cb;
		tx[i]->callback_param = &slot[i];
		ck[i] = dmaengine_submit(tx[i]);
	}
	assert_int_equal(ck[0], INT_MAX - 1);
	assert_int_equal(ck[1], INT_MAX);
	assert_int_equal(ck[2], 1);		/* wraps to DMA_MIN_COOKIE */
	assert_int_equal(ck[3], 2);
	assert_int_equal(ck[4], 3);
	dma_async_issue_pending(c);
	for (i = 0; i < 5; i++)
		assert_int_equal(dmaengine_tx_status(c, ck[i], NULL),
				 DMA_IN_PROGRESS);
	__atomic_store_n(&md->hold, 0, __ATOMIC_RELEASE);
	mock_kick(md);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&ctx.done,
						  __ATOMIC_ACQUIRE) == 5,
				  5000));
	for (i = 0; i < 5; i++) {
		assert_int_equal(ctx.order[i], i);
		assert_int_equal(dmaengine_tx_status(c, ck[i], NULL),
				 DMA_COMPLETE);
	}
	dma_release_channel(c);
	mock_down(md);
	free(md);
}

/* ---- tests: stress ------------------------------------------------------- */

struct stress_chan {
	struct dma_chan *chan;
	int next_expected;	/* tasklet only */
	int order_errors;	/* tasklet only */
	int completed;		/* atomic */
	unsigned char *hits;	/* per descriptor, tasklet only */
	char dst[64];		/* the engine's target */
	int base;
	int n;
};

struct stress_slot {
	struct stress_chan *sc;
	int seq;
};

static void stress_cb(void *p, const struct dmaengine_result *r)
{
	struct stress_slot *s = p;
	struct stress_chan *sc = s->sc;

	if (s->seq != sc->next_expected || r->result != DMA_TRANS_NOERROR)
		sc->order_errors++;
	sc->next_expected = s->seq + 1;
	sc->hits[s->seq]++;
	__atomic_add_fetch(&sc->completed, 1, __ATOMIC_RELEASE);
}

static struct stress_slot *stress_slots;

static void *stress_thread(void *arg)
{
	struct stress_chan *sc = arg;
	static char src[64];
	char *dst = sc->dst;
	int i;

	for (i = 0; i < sc->n; i++) {
		struct dma_async_tx_descriptor *tx;
		struct stress_slot *s = &stress_slots[sc->base + i];

		/* Bounded backlog: at most 512 outstanding. */
		while (i - __atomic_load_n(&sc->completed, __ATOMIC_ACQUIRE) >
		       512)
			dk_test_yield();
		tx = dmaengine_prep_dma_memcpy(sc->chan, (uintptr_t)dst,
					       (uintptr_t)src, 64,
					       DMA_PREP_INTERRUPT);
		if (!tx)
			break;
		s->sc = sc;
		s->seq = i;
		tx->callback_result = stress_cb;
		tx->callback_param = s;
		if (dmaengine_submit(tx) < 0)
			break;
		if ((i & 31) == 31 || i == sc->n - 1)
			dma_async_issue_pending(sc->chan);
	}
	return NULL;
}

static void test_stress_two_threads(void **state)
{
	struct mock_dev *md = calloc(1, sizeof(*md));
	int total = 100000 * (int)dk_test_stress();
	struct stress_chan sc[2];
	pthread_t th[2];
	int i, k;

	(void)state;
	mock_up(md, 2);
	stress_slots = calloc((size_t)total, sizeof(*stress_slots));
	assert_non_null(stress_slots);
	for (k = 0; k < 2; k++) {
		memset(&sc[k], 0, sizeof(sc[k]));
		sc[k].chan = get_memcpy_chan();
		assert_non_null(sc[k].chan);
		sc[k].n = total / 2;
		sc[k].base = k * (total / 2);
		sc[k].hits = calloc((size_t)sc[k].n, 1);
	}
	for (k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&th[k], NULL, stress_thread,
						&sc[k]), 0);
	for (k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	for (k = 0; k < 2; k++) {
		assert_true(DK_WAIT_UNTIL(__atomic_load_n(&sc[k].completed,
							  __ATOMIC_ACQUIRE) >=
					  sc[k].n, 60000));
		dma_release_channel(sc[k].chan);
		/* After release (synchronize) no further callback. */
		assert_int_equal(sc[k].completed, sc[k].n);
		assert_int_equal(sc[k].order_errors, 0);
		for (i = 0; i < sc[k].n; i++)
			if (sc[k].hits[i] != 1)
				fail_msg("chan %d descriptor %d: %d callbacks, "
					 "expected 1", k, i, sc[k].hits[i]);
		free(sc[k].hits);
	}
	free(stress_slots);
	stress_slots = NULL;
	mock_down(md);
	free(md);
}

/* ---- tests: callbacks that submit ---------------------------------------- */

struct chain {
	struct dma_chan *chan;
	char *src, *dst;
	int left;		/* tasklet */
	int done;		/* atomic */
	int not_softirq;	/* tasklet */
};

static void chain_cb(void *p)
{
	struct chain *ch = p;
	struct dma_async_tx_descriptor *tx;

	if (!in_serving_softirq())
		ch->not_softirq++;
	if (--ch->left > 0) {
		tx = dmaengine_prep_dma_memcpy(ch->chan, (uintptr_t)ch->dst,
					       (uintptr_t)ch->src, 16,
					       DMA_PREP_INTERRUPT);
		if (tx) {
			tx->callback = chain_cb;
			tx->callback_param = ch;
			dmaengine_submit(tx);
			dma_async_issue_pending(ch->chan);
			return;
		}
	}
	__atomic_store_n(&ch->done, 1, __ATOMIC_RELEASE);
}

static void test_callback_submits(void **state)
{
	struct mock_dev *md = calloc(1, sizeof(*md));
	static char src[16] = "chained copies!", dst[16];
	struct chain ch = { .src = src, .dst = dst, .left = 100 };
	struct dma_async_tx_descriptor *tx;

	(void)state;
	mock_up(md, 1);
	ch.chan = get_memcpy_chan();
	tx = dmaengine_prep_dma_memcpy(ch.chan, (uintptr_t)dst, (uintptr_t)src,
				       16, DMA_PREP_INTERRUPT);
	tx->callback = chain_cb;
	tx->callback_param = &ch;
	assert_int_equal(dmaengine_submit(tx), 2);
	dma_async_issue_pending(ch.chan);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&ch.done, __ATOMIC_ACQUIRE),
				  10000));
	assert_int_equal(ch.left, 0);
	assert_int_equal(ch.not_softirq, 0);
	assert_string_equal(dst, src);
	assert_int_equal(dmaengine_tx_status(ch.chan, 101, NULL), DMA_COMPLETE);
	dma_release_channel(ch.chan);
	mock_down(md);
	free(md);
}

/* ---- tests: terminate while busy ----------------------------------------- */

struct busy {
	int calls;	/* atomic */
	int inside;	/* atomic: a callback is running */
};

static void busy_cb(void *p)
{
	struct busy *b = p;

	__atomic_store_n(&b->inside, 1, __ATOMIC_RELEASE);
	busy_delay_us(50);
	__atomic_add_fetch(&b->calls, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&b->inside, 0, __ATOMIC_RELEASE);
}

static void test_terminate_sync_busy(void **state)
{
	struct mock_dev *md = calloc(1, sizeof(*md));
	struct busy b = { 0 };
	static char src[64], dst[64];
	struct dma_async_tx_descriptor *tx;
	struct cbrec barrier = { 0 };
	struct dma_chan *c;
	int i, n = 1000, snap;

	(void)state;
	mock_up(md, 1);
	c = get_memcpy_chan();
	__atomic_store_n(&md->delay_us, 20, __ATOMIC_RELAXED);
	for (i = 0; i < n; i++) {
		tx = dmaengine_prep_dma_memcpy(c, (uintptr_t)dst,
					       (uintptr_t)src, 64,
					       DMA_PREP_INTERRUPT);
		assert_non_null(tx);
		tx->callback = busy_cb;
		tx->callback_param = &b;
		assert_true(dmaengine_submit(tx) > 0);
	}
	dma_async_issue_pending(c);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&b.calls,
						  __ATOMIC_ACQUIRE) >= 5,
				  5000));
	assert_int_equal(dmaengine_terminate_sync(c), 0);
	snap = __atomic_load_n(&b.calls, __ATOMIC_ACQUIRE);
	assert_int_equal(__atomic_load_n(&b.inside, __ATOMIC_ACQUIRE), 0);
	assert_true(snap < n);
	/* Every descriptor is freed: terminated ones at synchronize. */
	assert_int_equal(__atomic_load_n(&md->desc_live, __ATOMIC_RELAXED), 0);

	/* Barrier: a new transfer's callback runs after anything pending. */
	__atomic_store_n(&md->delay_us, 0, __ATOMIC_RELAXED);
	tx = dmaengine_prep_dma_memcpy(c, (uintptr_t)dst, (uintptr_t)src, 64,
				       DMA_PREP_INTERRUPT);
	tx->callback_result = cb_result;
	tx->callback_param = &barrier;
	dmaengine_submit(tx);
	dma_async_issue_pending(c);
	assert_true(DK_WAIT_UNTIL(calls(&barrier) == 1, 5000));
	assert_int_equal(__atomic_load_n(&b.calls, __ATOMIC_ACQUIRE), snap);

	/* terminate_async from process context, then synchronize. */
	assert_int_equal(dmaengine_terminate_async(c), 0);
	dmaengine_synchronize(c);
	dma_release_channel(c);
	mock_down(md);
	free(md);
}

/* ---- tests: reuse -------------------------------------------------------- */

struct reuse_ctx {
	struct dma_async_tx_descriptor *tx;
	int calls;		/* atomic */
	int resubmits;		/* tasklet */
	dma_cookie_t cookie;	/* tasklet */
};

static void reuse_cb(void *p)
{
	struct reuse_ctx *r = p;

	/* Our virt-dma lets a reusable descriptor resubmit itself here. */
	if (r->resubmits > 0) {
		r->resubmits--;
		r->cookie = dmaengine_submit(r->tx);
		dma_async_issue_pending(r->tx->chan);
	}
	__atomic_add_fetch(&r->calls, 1, __ATOMIC_RELEASE);
}

static void test_reuse(void **state)
{
	struct mock_dev *md = calloc(1, sizeof(*md));
	static char src[32] = "reused", dst[32];
	struct reuse_ctx r = { 0 };
	struct dma_async_tx_descriptor *tx;
	struct dma_chan *c;
	dma_cookie_t ck;

	(void)state;
	mock_up(md, 1);
	c = get_memcpy_chan();
	tx = dmaengine_prep_dma_memcpy(c, (uintptr_t)dst, (uintptr_t)src, 32,
				       DMA_PREP_INTERRUPT);
	/* Not reusable: dmaengine_desc_free() refuses. */
	assert_int_equal(dmaengine_desc_free(tx), -EPERM);
	assert_int_equal(dmaengine_desc_set_reuse(tx), 0);
	assert_true(dmaengine_desc_test_reuse(tx));
	r.tx = tx;
	tx->callback = reuse_cb;
	tx->callback_param = &r;
	ck = dmaengine_submit(tx);
	assert_int_equal(ck, 2);
	assert_int_equal(dma_sync_wait(c, ck), DMA_COMPLETE);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&r.calls, __ATOMIC_ACQUIRE) ==
				  1, 5000));
	assert_string_equal(dst, "reused");
	/* Survived completion: submit it again. */
	memset(dst, 0, sizeof(dst));
	r.resubmits = 2;
	ck = dmaengine_submit(tx);
	assert_int_equal(ck, 3);
	dma_async_issue_pending(c);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&r.calls, __ATOMIC_ACQUIRE) ==
				  4, 5000));
	assert_int_equal(r.cookie, 5);
	assert_string_equal(dst, "reused");
	assert_int_equal(__atomic_load_n(&md->desc_live, __ATOMIC_RELAXED), 1);
	assert_int_equal(dmaengine_desc_free(tx), 0);
	assert_int_equal(__atomic_load_n(&md->desc_live, __ATOMIC_RELAXED), 0);

	/* In flight: refused. */
	__atomic_store_n(&md->hold, 1, __ATOMIC_RELEASE);
	tx = dmaengine_prep_dma_memcpy(c, (uintptr_t)dst, (uintptr_t)src, 32,
				       0);
	assert_int_equal(dmaengine_desc_set_reuse(tx), 0);
	ck = dmaengine_submit(tx);
	assert_int_equal(dmaengine_desc_free(tx), -EBUSY);
	/* Terminate hands a reusable descriptor back to desc_allocated. */
	assert_int_equal(dmaengine_terminate_sync(c), 0);
	assert_int_equal(__atomic_load_n(&md->desc_live, __ATOMIC_RELAXED), 1);
	__atomic_store_n(&md->hold, 0, __ATOMIC_RELEASE);
	ck = dmaengine_submit(tx);
	assert_int_equal(dma_sync_wait(c, ck), DMA_COMPLETE);
	/* A reusable descriptor left over is freed with the channel. */
	dma_release_channel(c);
	assert_int_equal(__atomic_load_n(&md->desc_live, __ATOMIC_RELAXED), 0);

	/* A device without descriptor_reuse: -EPERM. */
	md->dd.descriptor_reuse = false;
	c = get_memcpy_chan();
	tx = dmaengine_prep_dma_memcpy(c, (uintptr_t)dst, (uintptr_t)src, 32,
				       0);
	assert_int_equal(dmaengine_desc_set_reuse(tx), -EPERM);
	/* Nor without SLAVE/CYCLIC (dma_get_slave_caps: -ENXIO). */
	dma_cap_clear(DMA_SLAVE, md->dd.cap_mask);
	dma_cap_clear(DMA_CYCLIC, md->dd.cap_mask);
	md->dd.descriptor_reuse = true;
	assert_int_equal(dmaengine_desc_set_reuse(tx), -ENXIO);
	dma_release_channel(c);		/* frees the unsubmitted tx */
	assert_int_equal(__atomic_load_n(&md->desc_live, __ATOMIC_RELAXED), 0);
	mock_down(md);
	free(md);
}

/* ---- tests: leaks -------------------------------------------------------- */

static void test_leak_reports(void **state)
{
	struct mock_dev *md = calloc(1, sizeof(*md));
	struct mock_dev *md2 = calloc(1, sizeof(*md2));
	struct dma_chan *c;

	(void)state;
	/* Unregister while a client holds a channel: reported, taken back. */
	mock_up(md, 2);
	c = get_memcpy_chan();
	assert_non_null(c);
	dk_test_log_clear();
	dma_async_device_unregister(&md->dd);
	assert_log_count("clients hold a reference", 1);
	assert_int_equal(md->ch[0].frees, 1);
	mock_stop_engine(md);

	/* A controller never unregistered, with two channels never released. */
	mock_up(md2, 2);
	assert_non_null(get_memcpy_chan());
	assert_non_null(get_memcpy_chan());
	dk_test_log_clear();
	assert_int_equal(dk__dmaengine_exit(mach), 1 + 1 + 2);
	assert_log_count("never released", 2);
	assert_log_count("never unregistered", 1);
	assert_int_equal(dk__dmaengine_init(mach), 0);
	mock_stop_engine(md2);
	free(md);
	free(md2);
}

/*
 * A whole machine: a tmodel device stands in for the controller's platform
 * device; the board map names it; a channel never released is counted by
 * dk_machine_destroy().
 */
static void test_full_machine_map_and_leak(void **state)
{
	struct mock_dev *md = calloc(1, sizeof(*md));
	struct platform_device *pdev;
	struct dk_machine *m;
	struct dma_chan *c;

	(void)state;
	/* The partial machine of setup() steps aside. */
	assert_int_equal(machine_down(), 0);
	m = dk_test_machine_up(NULL);
	assert_non_null(m);
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, NULL, &pdev), 0);
	assert_int_equal(dk__dma_slave_map_add(m, "fifo.0", "rx", pdev, 2),
			 0);
	assert_int_equal(PTR_ERR(dma_request_chan(&client_dev, "rx")),
			 -EPROBE_DEFER);
	mock_init(md, 2);
	md->dd.dev = &pdev->dev;
	md->dd.filter.fn = mock_filter;
	mock_start_engine(md);
	assert_int_equal(dma_async_device_register(&md->dd), 0);
	c = dma_request_chan(&client_dev, "rx");
	assert_false(IS_ERR(c));
	assert_int_equal(to_mchan(c)->line, 2);
	dma_release_channel(c);
	/* Never released, never unregistered: 1 + 1 reports. */
	assert_non_null(get_memcpy_chan());
	assert_int_equal(dk_machine_destroy(m), 2);
	assert_log_count("never released", 1);
	assert_log_count("never unregistered", 1);
	dk_test_log_release();
	mock_stop_engine(md);
	free(md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_args_no_chan, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_register_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_channel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_slave_map, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_provider_filter_map,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcpy_and_status, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_slave_cyclic_interleaved,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_slave_caps_and_cyclic_cap,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_wrap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stress_two_threads, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_callback_submits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_terminate_sync_busy,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leak_reports, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_machine_map_and_leak,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
