// SPDX-License-Identifier: MIT
/*
 * iommu_fq.c - the flush queue of IOMMU_DOMAIN_DMA_FQ domains: lazy IOTLB
 * invalidation. An unmap on such a domain does not wait for its
 * invalidation; it queues the range, and the queue is flushed (one
 * flush_iotlb_all() and wait, then each entry's deferred frees: the
 * gather's page-table pages and the owner's callback) when a queue call
 * finds it full, when its timer fires fq_timeout_ms after the first entry
 * queued since the last timer flush, on dk_iommu_fq_flush() and when the
 * domain is freed.
 *
 * Differs from Linux: dma-iommu keeps one ring per CPU with counters that
 * tell which entries a flush covers; here each domain has one ring of
 * fq_size entries. A flush swaps the full ring for an empty spare under the
 * queue lock, invalidates, then runs the old ring's frees with no lock
 * held, so queueing (one lock round trip and a few stores) never waits for
 * callbacks, and callbacks may queue again.
 *
 * LOCKING: fq->lock (a test-and-set lock, see fq_lock()) protects cur,
 * spares, nr_rings and the entries of cur.
 * fq->flush_lock serializes the swap-and-invalidate step, so when a thread
 * gets it, every ring swapped out before has been invalidated (that is
 * what lets dk_iommu_fq_flush() promise that everything queued before it
 * is invalidated). Order: flush_lock, then lock. Neither is held while an
 * entry's pages are freed or its callback runs. timer_on is atomic.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include "core/internal.h"
#include "kernel/internal.h"

#define FQ_DEFAULT_SIZE		256	/* IOVA_FQ_SIZE */
#define FQ_DEFAULT_TIMEOUT_MS	10	/* IOVA_FQ_TIMEOUT */
#define FQ_MAX_SIZE		(1u << 20)

struct fq_entry {
	unsigned long iova;
	size_t size;
	dk_iommu_fq_done_t done;
	void *ctx;
	struct list_head freelist;	/* page-table pages (page->lru) */
};

struct fq_ring {
	struct fq_ring *next;		/* in fq->spares */
	unsigned int n;			/* entries in use */
	struct fq_entry e[];
};

/*
 * The queue lock: held for a few stores, so a test-and-set lock (one
 * atomic exchange and one release store) instead of spinlock_t's mutex;
 * a waiter spins briefly, then yields the CPU to a preempted holder.
 */
struct fq_lock {
	int locked;			/* atomic */
};

static void fq_lock(struct fq_lock *l)
{
	unsigned int spins = 0;

	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
			if (++spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
				__builtin_ia32_pause();
#endif
			} else {
				sched_yield();
			}
		}
	}
}

static void fq_unlock(struct fq_lock *l)
{
	/* Orders the entry stores before the next holder's reads. */
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

struct dk_iommu_fq {
	struct fq_lock lock;
	struct fq_ring *cur;		/* under lock */
	struct fq_ring *spares;		/* under lock */
	unsigned int nr_rings;		/* cur + spares + in flight */
	unsigned int size;
	unsigned long timeout_j;
	spinlock_t flush_lock;
	int timer_on;			/* atomic */
	struct timer_list timer;
	struct iommu_domain *domain;
};

static struct fq_ring *fq_ring_alloc(unsigned int size)
{
	struct fq_ring *r = calloc(1, sizeof(*r) + size * sizeof(r->e[0]));

	return r;
}

/*
 * Invalidate what @fq->cur holds and take it out. Called with flush_lock
 * held; returns the ring to run (NULL when cur was empty).
 */
static struct fq_ring *fq_swap(struct dk_iommu_fq *fq)
{
	struct fq_ring *full, *fresh;

	for (;;) {
		fq_lock(&fq->lock);
		full = fq->cur;
		if (!full->n) {
			fq_unlock(&fq->lock);
			return NULL;
		}
		fresh = fq->spares;
		if (fresh) {
			fq->spares = fresh->next;
			break;
		}
		/* Every spare is being run by another thread: grow. */
		fresh = fq_ring_alloc(fq->size);
		if (fresh) {
			fq->nr_rings++;
			break;
		}
		/* Out of host memory: a ring comes back when its run ends. */
		fq_unlock(&fq->lock);
		sched_yield();
	}
	fresh->next = NULL;
	fresh->n = 0;
	fq->cur = fresh;
	fq_unlock(&fq->lock);

	/* Every entry of @full was unmapped before it was queued. */
	fq->domain->ops->flush_iotlb_all(fq->domain);
	return full;
}

/* Run the deferred frees of a ring @fq_swap() invalidated; no lock held. */
static void fq_ring_run(struct dk_iommu_fq *fq, struct fq_ring *r)
{
	unsigned int i;

	for (i = 0; i < r->n; i++) {
		struct fq_entry *e = &r->e[i];
		struct page *pg, *tmp;

		list_for_each_entry_safe(pg, tmp, &e->freelist, lru) {
			list_del(&pg->lru);
			__free_pages(pg, 0);
		}
		if (e->done)
			e->done(e->ctx, e->iova, e->size);
	}
	r->n = 0;
	fq_lock(&fq->lock);
	r->next = fq->spares;
	fq->spares = r;
	fq_unlock(&fq->lock);
}

static void fq_flush(struct dk_iommu_fq *fq)
{
	struct fq_ring *r;

	spin_lock(&fq->flush_lock);
	r = fq_swap(fq);
	spin_unlock(&fq->flush_lock);
	if (r)
		fq_ring_run(fq, r);
}

static void fq_timer_fn(struct timer_list *t)
{
	struct dk_iommu_fq *fq = from_timer(fq, t, timer);

	/*
	 * Cleared before the flush swaps the ring: an entry queued after the
	 * swap sees 0 (the queue lock orders it) and arms the timer again.
	 */
	__atomic_store_n(&fq->timer_on, 0, __ATOMIC_RELEASE);
	fq_flush(fq);
}

/**
 * dk__iommu_fq_init() - give a DMA_FQ domain its flush queue
 * @domain: the new domain; its ops must have flush_iotlb_all
 *
 * Size and timeout come from the machine's dk_iommu_config.
 * Context: process. Return: 0, -EINVAL or -ENOMEM.
 */
int dk__iommu_fq_init(struct iommu_domain *domain)
{
	struct dk_machine *m = dk__m;
	unsigned int size = FQ_DEFAULT_SIZE, ms = FQ_DEFAULT_TIMEOUT_MS;
	struct dk_iommu_fq *fq;

	if (!domain || !domain->ops || !domain->ops->flush_iotlb_all)
		return -EINVAL;
	if (m && m->cfg.iommu.fq_size)
		size = m->cfg.iommu.fq_size;
	if (m && m->cfg.iommu.fq_timeout_ms)
		ms = m->cfg.iommu.fq_timeout_ms;
	if (size > FQ_MAX_SIZE) {
		pr_err("iommu: fq_size %u is above the limit %u\n", size,
		       FQ_MAX_SIZE);
		return -EINVAL;
	}
	fq = calloc(1, sizeof(*fq));
	if (!fq)
		return -ENOMEM;
	fq->size = size;
	fq->timeout_j = msecs_to_jiffies(ms);
	fq->domain = domain;
	spin_lock_init(&fq->flush_lock);
	fq->cur = fq_ring_alloc(size);
	fq->spares = fq_ring_alloc(size);
	if (!fq->cur || !fq->spares) {
		free(fq->cur);
		free(fq->spares);
		free(fq);
		return -ENOMEM;
	}
	fq->nr_rings = 2;
	timer_setup(&fq->timer, fq_timer_fn, 0);
	domain->fq = fq;
	return 0;
}

/**
 * dk__iommu_fq_destroy() - final flush, then free @domain's queue
 * @domain: a domain (without a queue: nothing to do)
 *
 * Stops the timer, flushes what is queued (running every callback), and
 * frees the rings once no other thread still runs one.
 * Context: process; nobody queues on @domain any more.
 */
void dk__iommu_fq_destroy(struct iommu_domain *domain)
{
	struct dk_iommu_fq *fq = domain ? domain->fq : NULL;
	struct fq_ring *r;
	unsigned int n;

	if (!fq)
		return;
	timer_shutdown_sync(&fq->timer);
	fq_flush(fq);
	for (;;) {
		fq_lock(&fq->lock);
		n = 0;
		for (r = fq->spares; r; r = r->next)
			n++;
		if (n + 1 == fq->nr_rings)
			break;
		/* A concurrent flush is still running its ring. */
		fq_unlock(&fq->lock);
		sched_yield();
	}
	while ((r = fq->spares)) {
		fq->spares = r->next;
		free(r);
	}
	free(fq->cur);
	fq->cur = NULL;
	fq_unlock(&fq->lock);
	domain->fq = NULL;
	free(fq);
}

static struct dk_iommu_fq *fq_of(struct iommu_domain *domain,
				 const char *fn)
{
	if (!domain) {
		pr_err("%s: domain is NULL\n", fn);
		return NULL;
	}
	if (!domain->fq) {
		pr_err("%s: domain %p (type %#x) has no flush queue: only DMA_FQ domains defer invalidation\n",
		       fn, (void *)domain, domain->type);
		return NULL;
	}
	return domain->fq;
}

/**
 * dk_iommu_fq_queue() - defer the invalidation of an unmapped range
 * @domain: an IOMMU_DOMAIN_DMA_FQ domain
 * @gather: the unmap's gather (its freelist is moved into the entry and
 *          @gather reinitialised), or NULL
 * @iova: first byte of the range
 * @size: its size
 * @done: called once after the flush that covers the range, or NULL
 * @ctx: @done's first argument
 *
 * Context: process or softirq; takes fq->flush_lock and fq->lock, never
 * across a callback. Return: 0, or -EINVAL (logged).
 */
int dk_iommu_fq_queue(struct iommu_domain *domain,
		      struct iommu_iotlb_gather *gather, unsigned long iova,
		      size_t size, dk_iommu_fq_done_t done, void *ctx)
{
	struct dk_iommu_fq *fq = fq_of(domain, "dk_iommu_fq_queue");
	struct fq_entry *e;

	if (!fq)
		return -EINVAL;
	fq_lock(&fq->lock);
	while (fq->cur->n == fq->size) {
		/* Full: flush first, as dma-iommu's queue_iova() does. */
		fq_unlock(&fq->lock);
		fq_flush(fq);
		fq_lock(&fq->lock);
	}
	e = &fq->cur->e[fq->cur->n++];
	e->iova = iova;
	e->size = size;
	e->done = done;
	e->ctx = ctx;
	INIT_LIST_HEAD(&e->freelist);
	if (gather && !list_empty(&gather->freelist))
		list_splice_init(&gather->freelist, &e->freelist);
	fq_unlock(&fq->lock);
	if (gather)
		iommu_iotlb_gather_init(gather);

	if (!__atomic_load_n(&fq->timer_on, __ATOMIC_ACQUIRE) &&
	    !__atomic_exchange_n(&fq->timer_on, 1, __ATOMIC_ACQ_REL))
		mod_timer(&fq->timer, jiffies + fq->timeout_j);
	return 0;
}

/**
 * dk_iommu_fq_flush() - flush @domain's queue now
 * @domain: a DMA_FQ domain; other domains have nothing queued
 *
 * Context: process or softirq, also from a callback; takes fq->flush_lock
 * and fq->lock, not across callbacks.
 */
void dk_iommu_fq_flush(struct iommu_domain *domain)
{
	if (!domain) {
		pr_err("dk_iommu_fq_flush: domain is NULL\n");
		return;
	}
	if (domain->fq)
		fq_flush(domain->fq);
}

/**
 * dk_iommu_fq_pending() - entries waiting in @domain's queue
 * @domain: a domain (0 for one without a queue)
 * Context: process or softirq; takes fq->lock.
 */
unsigned int dk_iommu_fq_pending(struct iommu_domain *domain)
{
	struct dk_iommu_fq *fq = domain ? domain->fq : NULL;
	unsigned int n;

	if (!fq)
		return 0;
	fq_lock(&fq->lock);
	n = fq->cur->n;
	fq_unlock(&fq->lock);
	return n;
}
