// SPDX-License-Identifier: MIT
/*
 * irq.c - request_irq() and friends, and the hard-IRQ thread that runs the
 * handlers.
 *
 * The hard-IRQ thread acknowledges the next deliverable vector at the
 * interrupt controller (hw/intc.c), runs every action of that vector in
 * hard-IRQ context, then writes end-of-interrupt, then calls the exit hook
 * (the softirq layer runs pending tasklets there, as Linux's irq_exit()
 * does). A vector delivered while
 * its line is disabled (disable_irq raced with the acknowledge) is latched
 * again and delivered when the line is enabled, as Linux's edge flow does.
 *
 * LOCKING: irq->lock protects every descriptor field and the action lists'
 * structure. The hard-IRQ thread marks a descriptor running under the lock,
 * then walks its actions without it (the next pointers are atomic); an
 * action is freed only after it is unlinked and the descriptor is seen not
 * running. irq->idle is broadcast whenever a descriptor stops running.
 * Lock order: irq->lock, then the intc's lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/interrupt.h>
#include <linux/spinlock.h>
#include "core/internal.h"
#include "hw/internal.h"
#include "kernel/internal.h"

struct irqaction {
	irq_handler_t handler;
	void *dev_id;
	const char *name;
	unsigned long flags;
	struct irqaction *next;		/* atomic: walked unlocked */
};

struct irq_desc {
	struct irqaction *action;	/* atomic head */
	unsigned int depth;		/* disable depth */
	bool running;			/* handlers being called */
	bool replay;			/* delivered while disabled */
	bool warned_spurious;
	bool shut;			/* last action freed: line masked */
	uint64_t handled, unhandled, spurious;
	uint32_t track;			/* hard-IRQ thread; 0: none */
};

struct dk_irq_state {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned int nr;
	struct irq_desc *desc;
	pthread_t thread;
	unsigned long thread_id;	/* the hard-IRQ thread; set at init */
	void (*exit_hook)(struct dk_machine *m);	/* atomic */
	int in_exit_hook;		/* atomic: the thread is in it */
};

static struct dk_irq_state *irq_state(const char *fn, unsigned int irq)
{
	struct dk_machine *m = dk__m;

	if (!m || !m->irq) {
		pr_err("%s(%u): no machine\n", fn, irq);
		return NULL;
	}
	return m->irq;
}

static bool irq_on_hardirq_thread(const struct dk_irq_state *st)
{
	return (unsigned long)pthread_self() == st->thread_id;
}

/* Trace track of @irq, made on first use while tracing. */
static uint32_t irq_track(struct irq_desc *d, unsigned int irq,
			  const struct irqaction *first)
{
	char name[64];

	if (!d->track) {
		snprintf(name, sizeof(name), "irq %u %s", irq,
			 first && first->name ? first->name : "");
		d->track = dk__trace_track_new(DK_TRACK_IRQ, name);
	}
	return d->track;
}

static void irq_handle(struct dk_irq_state *st, unsigned int irq)
{
	struct irq_desc *d = &st->desc[irq];
	struct irqaction *a, *first;
	unsigned int ret = IRQ_NONE;
	uint32_t track = 0;

	pthread_mutex_lock(&st->lock);
	first = d->action;
	if (d->depth) {
		/* Disabled after the acknowledge: replay on enable. */
		d->replay = true;
		pthread_mutex_unlock(&st->lock);
		return;
	}
	if (!first) {
		d->spurious++;
		/*
		 * Acknowledged just before free_irq() shut the line down (a
		 * message the device sent before its driver quieted it): gone
		 * with the handler, as on Linux. Not a stray message.
		 */
		if (d->shut) {
			pthread_mutex_unlock(&st->lock);
			return;
		}
		if (!d->warned_spurious) {
			d->warned_spurious = true;
			pthread_mutex_unlock(&st->lock);
			pr_warn("irq %u: interrupt with no handler, dropped\n",
				irq);
			return;
		}
		pthread_mutex_unlock(&st->lock);
		return;
	}
	d->running = true;
	pthread_mutex_unlock(&st->lock);

	if (__atomic_load_n(&dk__trace_on, __ATOMIC_RELAXED))
		track = irq_track(d, irq, first);
	if (track)
		dk__trace(track, DK_EV_IRQ_BEGIN, irq, 0, 0);
	dk__context_enter(DK_CTX_HARDIRQ);
	for (a = first; a; a = __atomic_load_n(&a->next, __ATOMIC_ACQUIRE))
		ret |= (unsigned int)a->handler((int)irq, a->dev_id);
	dk__context_exit(DK_CTX_HARDIRQ);
	if (track)
		dk__trace(track, DK_EV_IRQ_END, irq, ret, 0);

	pthread_mutex_lock(&st->lock);
	if (ret)	/* IRQ_HANDLED or IRQ_WAKE_THREAD */
		d->handled++;
	else
		d->unhandled++;
	d->running = false;
	pthread_mutex_unlock(&st->lock);
	pthread_cond_broadcast(&st->idle);
}

static void *hardirq_main(void *arg)
{
	struct dk_machine *m = arg;
	struct dk_irq_state *st = m->irq;
	unsigned int irq;

	while ((irq = dk__intc_ack(m)) != 0) {
		void (*hook)(struct dk_machine *m);

		if (irq < st->nr)
			irq_handle(st, irq);
		dk__intc_eoi(m, irq);
		/* seq_cst: dk__irq_set_exit_hook() sees us or we see NULL. */
		__atomic_store_n(&st->in_exit_hook, 1, __ATOMIC_SEQ_CST);
		hook = __atomic_load_n(&st->exit_hook, __ATOMIC_SEQ_CST);
		if (hook)
			hook(m);
		__atomic_store_n(&st->in_exit_hook, 0, __ATOMIC_RELEASE);
	}
	return NULL;
}

void dk__irq_set_exit_hook(struct dk_machine *m,
			   void (*hook)(struct dk_machine *m))
{
	struct dk_irq_state *st = m->irq;

	if (!st)
		return;
	__atomic_store_n(&st->exit_hook, hook, __ATOMIC_SEQ_CST);
	if (hook)
		return;
	/* Bounded: the hook has a time budget. */
	while (__atomic_load_n(&st->in_exit_hook, __ATOMIC_ACQUIRE))
		sched_yield();
}

int dk__irq_init(struct dk_machine *m)
{
	struct dk_irq_state *st;
	int ret;

	if (!m->intc) {
		dk__err("irq: the interrupt controller is missing");
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->nr = m->cfg.nr_irqs;
	st->desc = calloc(st->nr, sizeof(*st->desc));
	if (!st->desc) {
		ret = -ENOMEM;
		goto err_free_state;
	}
	pthread_mutex_init(&st->lock, NULL);
	dk__cond_init(&st->idle);
	m->irq = st;
	/*
	 * thread_id is read by handlers only, which run after a request_irq()
	 * that took st->lock after this store.
	 */
	ret = dk__thread_start(m, DK_THREAD_SOFTWARE, &st->thread, "hardirq",
			       hardirq_main, m);
	if (ret)
		goto err_destroy;
	st->thread_id = (unsigned long)st->thread;
	return 0;

err_destroy:
	m->irq = NULL;
	pthread_cond_destroy(&st->idle);
	pthread_mutex_destroy(&st->lock);
	free(st->desc);
err_free_state:
	free(st);
	return ret;
}

int dk__irq_exit(struct dk_machine *m)
{
	struct dk_irq_state *st = m->irq;
	int leaks = 0;

	if (!st)
		return 0;
	dk__intc_stop(m);
	pthread_join(st->thread, NULL);
	for (unsigned int i = 1; i < st->nr; i++) {
		struct irqaction *a = st->desc[i].action, *next;

		for (; a; a = next) {
			next = a->next;
			dk__err("leak: irq %u (%s, dev_id %p) still requested at destroy (missing free_irq)",
				i, a->name ? a->name : "?", a->dev_id);
			leaks++;
			free(a);
		}
	}
	pthread_cond_destroy(&st->idle);
	pthread_mutex_destroy(&st->lock);
	free(st->desc);
	free(st);
	m->irq = NULL;
	return leaks;
}

int request_threaded_irq(unsigned int irq, irq_handler_t handler,
			 irq_handler_t thread_fn, unsigned long flags,
			 const char *name, void *dev_id)
{
	struct dk_irq_state *st;
	struct irq_desc *d;
	struct irqaction *a, *old, **pp;
	bool first;

	might_sleep();
	st = irq_state("request_irq", irq);
	if (!st)
		return -ENODEV;
	if (irq == 0 || irq >= st->nr) {
		pr_err("request_irq(%u, %s): invalid vector (valid 1..%u)\n",
		       irq, name ? name : "?", st->nr - 1);
		return -EINVAL;
	}
	if (!handler) {
		pr_err("request_irq(%u, %s): NULL handler\n", irq,
		       name ? name : "?");
		return -EINVAL;
	}
	if (thread_fn) {
		pr_err("request_irq(%u, %s): threaded handlers are not supported\n",
		       irq, name ? name : "?");
		return -EINVAL;
	}
	if ((flags & IRQF_SHARED) && !dev_id) {
		pr_err("request_irq(%u, %s): IRQF_SHARED needs a dev_id\n",
		       irq, name ? name : "?");
		return -EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->handler = handler;
	a->dev_id = dev_id;
	a->name = name;
	a->flags = flags;

	pthread_mutex_lock(&st->lock);
	d = &st->desc[irq];
	old = d->action;
	if (old && !((old->flags & flags) & IRQF_SHARED)) {
		pthread_mutex_unlock(&st->lock);
		pr_err("request_irq(%u, %s): busy, requested by %s%s\n", irq,
		       name ? name : "?", old->name ? old->name : "?",
		       (flags & IRQF_SHARED) ? " without IRQF_SHARED" : "");
		free(a);
		return -EBUSY;
	}
	first = !old;
	for (pp = &d->action; *pp; pp = &(*pp)->next)
		;
	__atomic_store_n(pp, a, __ATOMIC_RELEASE);
	if (first) {
		d->depth = (flags & IRQF_NO_AUTOEN) ? 1 : 0;
		d->replay = false;
		d->warned_spurious = false;
		d->shut = false;
		dk__intc_mask(dk__m, irq, d->depth != 0);
	}
	pthread_mutex_unlock(&st->lock);
	return 0;
}

/* Wait until @irq's handlers are not running. Caller holds st->lock. */
static void irq_wait_idle(struct dk_irq_state *st, unsigned int irq,
			  const char *fn)
{
	if (!st->desc[irq].running)
		return;
	if (irq_on_hardirq_thread(st)) {
		pr_err("%s(%u) from a hard-IRQ handler would deadlock; not waiting\n",
		       fn, irq);
		return;
	}
	while (st->desc[irq].running)
		pthread_cond_wait(&st->idle, &st->lock);
}

const void *free_irq(unsigned int irq, void *dev_id)
{
	struct dk_irq_state *st;
	struct irq_desc *d;
	struct irqaction **pp, *a;
	const char *name;

	might_sleep();
	st = irq_state("free_irq", irq);
	if (!st)
		return NULL;
	if (irq == 0 || irq >= st->nr) {
		pr_warn("WARNING: free_irq(%u): invalid vector (valid 1..%u)\n",
			irq, st->nr - 1);
		return NULL;
	}
	pthread_mutex_lock(&st->lock);
	d = &st->desc[irq];
	for (pp = &d->action; *pp && (*pp)->dev_id != dev_id;
	     pp = &(*pp)->next)
		;
	a = *pp;
	if (!a) {
		pthread_mutex_unlock(&st->lock);
		pr_warn("WARNING: Trying to free already-free IRQ %u (dev_id %p)\n",
			irq, dev_id);
		return NULL;
	}
	__atomic_store_n(pp, a->next, __ATOMIC_RELEASE);
	if (!d->action) {
		/*
		 * Last action gone: shut the line down (masked, so a message
		 * the device sent before its driver quieted it stays latched
		 * instead of reaching no handler), forget a replay.
		 */
		d->depth = 0;
		d->replay = false;
		d->shut = true;
		dk__intc_mask(dk__m, irq, true);
	}
	irq_wait_idle(st, irq, "free_irq");
	pthread_mutex_unlock(&st->lock);
	name = a->name;
	free(a);
	return name;
}

static bool irq_check(struct dk_irq_state *st, unsigned int irq,
		      const char *fn)
{
	if (irq == 0 || irq >= st->nr) {
		pr_warn("WARNING: %s(%u): invalid vector (valid 1..%u)\n", fn,
			irq, st->nr - 1);
		return false;
	}
	return true;
}

void disable_irq_nosync(unsigned int irq)
{
	struct dk_irq_state *st = irq_state("disable_irq_nosync", irq);

	if (!st || !irq_check(st, irq, "disable_irq_nosync"))
		return;
	pthread_mutex_lock(&st->lock);
	if (st->desc[irq].depth++ == 0)
		dk__intc_mask(dk__m, irq, true);
	pthread_mutex_unlock(&st->lock);
}

void disable_irq(unsigned int irq)
{
	struct dk_irq_state *st = irq_state("disable_irq", irq);

	if (!st || !irq_check(st, irq, "disable_irq"))
		return;
	pthread_mutex_lock(&st->lock);
	if (st->desc[irq].depth++ == 0)
		dk__intc_mask(dk__m, irq, true);
	irq_wait_idle(st, irq, "disable_irq");
	pthread_mutex_unlock(&st->lock);
}

void enable_irq(unsigned int irq)
{
	struct dk_irq_state *st = irq_state("enable_irq", irq);
	struct irq_desc *d;

	if (!st || !irq_check(st, irq, "enable_irq"))
		return;
	pthread_mutex_lock(&st->lock);
	d = &st->desc[irq];
	if (d->depth == 0) {
		pthread_mutex_unlock(&st->lock);
		pr_warn("WARNING: Unbalanced enable for IRQ %u\n", irq);
		return;
	}
	if (--d->depth == 0) {
		dk__intc_mask(dk__m, irq, false);
		if (d->replay) {
			d->replay = false;
			dk__intc_retrigger(dk__m, irq);
		}
	}
	pthread_mutex_unlock(&st->lock);
}

void synchronize_irq(unsigned int irq)
{
	struct dk_irq_state *st = irq_state("synchronize_irq", irq);

	if (!st || !irq_check(st, irq, "synchronize_irq"))
		return;
	pthread_mutex_lock(&st->lock);
	irq_wait_idle(st, irq, "synchronize_irq");
	pthread_mutex_unlock(&st->lock);
}
