// SPDX-License-Identifier: MIT
/*
 * softirq.c - the softirq thread: tasklets and timers.
 *
 * Softirq items run in softirq context in this order: high-priority
 * tasklets, then due timers, then normal tasklets, one item at a time so
 * that a newly queued high-priority tasklet or a newly due timer goes next.
 * Two threads run them, never at once: as Linux's irq_exit(), the hard-IRQ
 * thread runs what is pending after each interrupt (within a 2 ms budget,
 * like __do_softirq()), and the softirq thread (Linux's ksoftirqd) runs
 * the rest: what is scheduled outside hard-IRQ context, what the budget
 * left over, timers that fall due. A tasklet scheduled from a hard-IRQ
 * handler therefore costs no wake-up. The softirq thread sleeps until the
 * earliest timer expiry (real-time clock) or until woken by a schedule
 * outside hard-IRQ context, a timer change, or dk_clock_advance() (manual
 * clock), which returns only once every timer that became due has run.
 *
 * A tasklet's SCHED bit is cleared just before it runs, so a schedule from
 * its own callback queues it again; one item runs at a time (running_*
 * non-NULL while it does, and neither thread picks another meanwhile), so
 * it never runs concurrently with itself, and callbacks run in queue
 * order. The runner remembers which tasklet and timer run (by pointer) and
 * never touches a timer after its callback returned (the callback may free
 * it).
 *
 * LOCKING: sirq->lock protects the queues, the timer list, the tasklets'
 * state and the timers' entry and dk_state (written with atomic stores for
 * timer_pending()). Callbacks run without it. sirq->wake wakes the thread;
 * sirq->done is broadcast after every callback and every pass that left no
 * due timer. Lock order: workqueue lock, then sirq->lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/timer.h>
#include "core/internal.h"
#include "kernel/internal.h"

/* Internal tasklet state bits beside TASKLET_STATE_SCHED. */
#define TL_SCHED	(1ul << TASKLET_STATE_SCHED)
#define TL_PARKED	(1ul << 8)	/* scheduled while disabled */
#define TL_HI		(1ul << 9)	/* on the high-priority list */
#define TL_QUEUED	(1ul << 10)	/* on hi, normal or parked */

struct dk_softirq {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	unsigned long wakes;		/* atomic; bumped with each wake-up */
	struct dk_machine *m;
	pthread_cond_t done;
	struct list_head hi;		/* tasklets */
	struct list_head normal;
	struct list_head parked;	/* scheduled but disabled */
	struct list_head timers;	/* sorted by expires */
	struct tasklet_struct *running_tasklet;
	struct timer_list *running_timer;
	uint64_t moved;			/* clock-moved requests */
	uint64_t moved_done;		/* requests fully served */
	bool stopping;
	pthread_t thread;
};

static struct dk_softirq *sirq_get(const char *fn)
{
	struct dk_machine *m = dk__m;

	if (!m || !m->softirq) {
		pr_err("%s: no machine\n", fn);
		return NULL;
	}
	return m->softirq;
}

/* This thread is running a softirq item (tasklet or timer callback). */
static __thread bool tls_in_item __attribute__((tls_model("initial-exec")));
/* This thread is the hard-IRQ thread: it runs pending items on irq exit. */
static __thread bool tls_irq_exit __attribute__((tls_model("initial-exec")));

static bool sirq_on_thread(const struct dk_softirq *s)
{
	(void)s;
	return tls_in_item;
}

/* An item runs (on either thread): no other may start. */
static bool sirq_item_running(const struct dk_softirq *s)
{
	return s->running_tasklet || s->running_timer;
}

static uint64_t jiffies_ns(unsigned long j)
{
	return (uint64_t)j * 1000000ull;
}

unsigned long dk_jiffies(void)
{
	return (unsigned long)(dk_clock_ns() / 1000000ull);
}

/* ---- the thread ---------------------------------------------------------- */

static void tasklet_run(struct dk_softirq *s, struct tasklet_struct *t)
{
	void *fn = t->use_callback ? (void *)t->callback : (void *)t->func;

	list_del(&t->dk_node);
	t->state &= ~(TL_SCHED | TL_HI | TL_QUEUED);
	s->running_tasklet = t;
	pthread_mutex_unlock(&s->lock);

	dk__trace_cpu(DK_EV_TASKLET_BEGIN, (uintptr_t)fn, 0, 0);
	dk__context_enter(DK_CTX_SOFTIRQ);
	tls_in_item = true;
	if (t->use_callback)
		t->callback(t);
	else
		t->func(t->data);
	tls_in_item = false;
	dk__context_exit(DK_CTX_SOFTIRQ);
	dk__trace_cpu(DK_EV_TASKLET_END, (uintptr_t)fn, 0, 0);

	pthread_mutex_lock(&s->lock);
	s->running_tasklet = NULL;
	pthread_cond_broadcast(&s->done);
}

/* Take the tasklet off its queue; runs it or parks it if disabled. */
static void tasklet_next(struct dk_softirq *s, struct list_head *q)
{
	struct tasklet_struct *t =
		list_first_entry(q, struct tasklet_struct, dk_node);

	if (__atomic_load_n(&t->count, __ATOMIC_ACQUIRE)) {
		list_move_tail(&t->dk_node, &s->parked);
		t->state |= TL_PARKED;
		pthread_cond_broadcast(&s->done);	/* tasklet_kill */
		return;
	}
	tasklet_run(s, t);
}

static void timer_run(struct dk_softirq *s, struct timer_list *t)
{
	void (*fn)(struct timer_list *) = t->function;

	list_del(&t->entry);
	__atomic_store_n(&t->dk_state, t->dk_state & ~DK_TIMER_PENDING,
			 __ATOMIC_RELEASE);
	s->running_timer = t;
	pthread_mutex_unlock(&s->lock);

	dk__trace_cpu(DK_EV_TASKLET_BEGIN, (uintptr_t)fn, 1, 0);
	dk__context_enter(DK_CTX_SOFTIRQ);
	tls_in_item = true;
	fn(t);		/* may free t */
	tls_in_item = false;
	dk__context_exit(DK_CTX_SOFTIRQ);
	dk__trace_cpu(DK_EV_TASKLET_END, (uintptr_t)fn, 1, 0);

	pthread_mutex_lock(&s->lock);
	s->running_timer = NULL;
	pthread_cond_broadcast(&s->done);
}

static struct timer_list *timer_first(struct dk_softirq *s)
{
	return list_first_entry_or_null(&s->timers, struct timer_list, entry);
}

static bool timer_due(struct timer_list *t)
{
	return t && dk_clock_ns() >= jiffies_ns(t->expires);
}

static void *softirq_main(void *arg)
{
	struct dk_softirq *s = arg;
	uint64_t moved;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		struct timer_list *first;

		if (sirq_item_running(s)) {
			/* The hard-IRQ thread's irq exit: wait for its item. */
			pthread_cond_wait(&s->done, &s->lock);
			continue;
		}
		moved = s->moved;
		if (!list_empty(&s->hi)) {
			tasklet_next(s, &s->hi);
			continue;
		}
		first = timer_first(s);
		if (timer_due(first)) {
			timer_run(s, first);
			continue;
		}
		/* Nothing due: every clock move seen so far is served. */
		if (s->moved_done != moved) {
			s->moved_done = moved;
			pthread_cond_broadcast(&s->done);
		}
		if (!list_empty(&s->normal)) {
			tasklet_next(s, &s->normal);
			continue;
		}
		if (first) {
			struct timespec ts = dk__clock_deadline(
				jiffies_ns(first->expires));

			pthread_cond_timedwait(&s->wake, &s->lock, &ts);
		} else {
			dk__cond_wait_polled(s->m, &s->wake, &s->lock,
					     &s->wakes);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Run the next pending item, in the thread's order; false if none. */
static bool sirq_run_next(struct dk_softirq *s)
{
	struct timer_list *first;

	if (!list_empty(&s->hi)) {
		tasklet_next(s, &s->hi);
		return true;
	}
	first = timer_first(s);
	if (timer_due(first)) {
		timer_run(s, first);
		return true;
	}
	if (!list_empty(&s->normal)) {
		tasklet_next(s, &s->normal);
		return true;
	}
	return false;
}

#define IRQ_EXIT_BUDGET_NS	2000000ull	/* as Linux's MAX_SOFTIRQ_TIME */

/*
 * The hard-IRQ thread's irq exit: run what is pending unless the softirq
 * thread is running an item (it then takes the rest itself, as it checks
 * the queues before it sleeps); what the budget leaves goes to the thread.
 */
static void softirq_irq_exit(struct dk_machine *m)
{
	struct dk_softirq *s = m->softirq;
	uint64_t end = dk__host_ns() + IRQ_EXIT_BUDGET_NS;

	tls_irq_exit = true;
	pthread_mutex_lock(&s->lock);
	while (!s->stopping && !sirq_item_running(s)) {
		if (dk__host_ns() >= end) {
			dk__cond_signal_polled(&s->wake, &s->wakes, false);
			break;
		}
		if (!sirq_run_next(s))
			break;
	}
	pthread_mutex_unlock(&s->lock);
}

int dk__softirq_init(struct dk_machine *m)
{
	struct dk_softirq *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	dk__cond_init(&s->wake);
	dk__cond_init(&s->done);
	INIT_LIST_HEAD(&s->hi);
	INIT_LIST_HEAD(&s->normal);
	INIT_LIST_HEAD(&s->parked);
	INIT_LIST_HEAD(&s->timers);
	s->m = m;
	m->softirq = s;
	ret = dk__thread_start(m, DK_THREAD_SOFTWARE, &s->thread, "softirq",
			       softirq_main, s);
	if (ret) {
		m->softirq = NULL;
		pthread_cond_destroy(&s->done);
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return ret;
	}
	dk__irq_set_exit_hook(m, softirq_irq_exit);
	return 0;
}

static int sirq_report_list(struct list_head *q, const char *what)
{
	struct tasklet_struct *t, *n;
	int leaks = 0;

	list_for_each_entry_safe(t, n, q, dk_node) {
		dk__err("leak: %s tasklet %p (function %p) still scheduled at destroy (missing tasklet_kill)",
			what, (void *)t,
			t->use_callback ? (void *)t->callback :
					  (void *)t->func);
		list_del(&t->dk_node);
		t->state = 0;
		leaks++;
	}
	return leaks;
}

int dk__softirq_exit(struct dk_machine *m)
{
	struct dk_softirq *s = m->softirq;
	struct timer_list *t, *n;
	int leaks = 0;

	if (!s)
		return 0;
	dk__irq_set_exit_hook(m, NULL);
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_mutex_unlock(&s->lock);
	dk__cond_signal_polled(&s->wake, &s->wakes, true);
	pthread_join(s->thread, NULL);

	leaks += sirq_report_list(&s->hi, "high-priority");
	leaks += sirq_report_list(&s->normal, "");
	leaks += sirq_report_list(&s->parked, "disabled");
	list_for_each_entry_safe(t, n, &s->timers, entry) {
		dk__err("leak: timer %p (function %p, expires %lu) still pending at destroy (missing del_timer_sync)",
			(void *)t, (void *)t->function, t->expires);
		list_del(&t->entry);
		__atomic_store_n(&t->dk_state, 0, __ATOMIC_RELEASE);
		leaks++;
	}
	m->softirq = NULL;
	pthread_cond_destroy(&s->done);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return leaks;
}

void dk__softirq_clock_moved(struct dk_machine *m)
{
	struct dk_softirq *s = m->softirq;
	uint64_t ticket;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	ticket = ++s->moved;
	dk__cond_signal_polled(&s->wake, &s->wakes, false);
	/* From a timer or tasklet the thread is busy with us: don't wait. */
	if (!sirq_on_thread(s))
		while (!s->stopping && s->moved_done < ticket)
			pthread_cond_wait(&s->done, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

/* ---- tasklets ------------------------------------------------------------ */

void tasklet_setup(struct tasklet_struct *t,
		   void (*callback)(struct tasklet_struct *))
{
	INIT_LIST_HEAD(&t->dk_node);
	t->state = 0;
	__atomic_store_n(&t->count, 0, __ATOMIC_RELAXED);
	t->use_callback = true;
	t->callback = callback;
	t->data = 0;
}

void tasklet_init(struct tasklet_struct *t, void (*func)(unsigned long),
		  unsigned long data)
{
	INIT_LIST_HEAD(&t->dk_node);
	t->state = 0;
	__atomic_store_n(&t->count, 0, __ATOMIC_RELAXED);
	t->use_callback = false;
	t->func = func;
	t->data = data;
}

static void tasklet_queue(struct tasklet_struct *t, bool hi, const char *fn)
{
	struct dk_softirq *s = sirq_get(fn);

	if (!s)
		return;
	if (t->use_callback ? !t->callback : !t->func) {
		pr_err("%s(%p): tasklet has no function (not initialised?)\n",
		       fn, (void *)t);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (!(t->state & TL_SCHED)) {
		t->state |= TL_SCHED | TL_QUEUED | (hi ? TL_HI : 0);
		list_add_tail(&t->dk_node, hi ? &s->hi : &s->normal);
		/* From a hard-IRQ handler the irq exit runs it: no wake-up. */
		if (!(tls_irq_exit && dk_in_hardirq()))
			dk__cond_signal_polled(&s->wake, &s->wakes, false);
	}
	pthread_mutex_unlock(&s->lock);
}

void tasklet_schedule(struct tasklet_struct *t)
{
	tasklet_queue(t, false, "tasklet_schedule");
}

void tasklet_hi_schedule(struct tasklet_struct *t)
{
	tasklet_queue(t, true, "tasklet_hi_schedule");
}

void tasklet_kill(struct tasklet_struct *t)
{
	struct dk_softirq *s = sirq_get("tasklet_kill");
	bool self, held;

	if (!s)
		return;
	self = sirq_on_thread(s);
	if (self)
		pr_notice("Attempt to kill tasklet %p from softirq context\n",
			  (void *)t);
	pthread_mutex_lock(&s->lock);
	/*
	 * Let a queued tasklet run once; drop a parked (disabled) one. SCHED
	 * without QUEUED is another tasklet_kill()'s hold (below): from the
	 * tasklet itself there is then nothing to unlink.
	 */
	while (t->state & TL_SCHED) {
		if ((t->state & TL_PARKED) || self) {
			if (t->state & TL_QUEUED) {
				list_del(&t->dk_node);
				t->state &= ~(TL_SCHED | TL_PARKED | TL_HI |
					      TL_QUEUED);
			}
			break;
		}
		pthread_cond_wait(&s->done, &s->lock);
	}
	/* Hold SCHED so that a self-reschedule during the wait is a no-op. */
	held = t->state & TL_SCHED;
	t->state |= TL_SCHED;
	while (s->running_tasklet == t && !self)
		pthread_cond_wait(&s->done, &s->lock);
	if (!held)
		t->state &= ~TL_SCHED;
	pthread_mutex_unlock(&s->lock);
}

void tasklet_disable_nosync(struct tasklet_struct *t)
{
	__atomic_add_fetch(&t->count, 1, __ATOMIC_ACQ_REL);
}

void tasklet_disable(struct tasklet_struct *t)
{
	struct dk_softirq *s = sirq_get("tasklet_disable");

	tasklet_disable_nosync(t);
	if (!s || sirq_on_thread(s))
		return;
	pthread_mutex_lock(&s->lock);
	while (s->running_tasklet == t)
		pthread_cond_wait(&s->done, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void tasklet_enable(struct tasklet_struct *t)
{
	struct dk_softirq *s;
	int c = __atomic_sub_fetch(&t->count, 1, __ATOMIC_ACQ_REL);

	if (c < 0) {
		__atomic_add_fetch(&t->count, 1, __ATOMIC_ACQ_REL);
		pr_warn("WARNING: unbalanced tasklet_enable(%p)\n", (void *)t);
		return;
	}
	if (c)
		return;
	s = sirq_get("tasklet_enable");
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	if (t->state & TL_PARKED) {
		t->state &= ~TL_PARKED;
		list_move_tail(&t->dk_node,
			       (t->state & TL_HI) ? &s->hi : &s->normal);
		dk__cond_signal_polled(&s->wake, &s->wakes, false);
	}
	pthread_mutex_unlock(&s->lock);
}

/* ---- timers -------------------------------------------------------------- */

void timer_setup(struct timer_list *timer, void (*func)(struct timer_list *),
		 unsigned int flags)
{
	INIT_LIST_HEAD(&timer->entry);
	timer->expires = 0;
	timer->function = func;
	timer->flags = flags;
	__atomic_store_n(&timer->dk_state, 0, __ATOMIC_RELEASE);
}

static void timer_set_state(struct timer_list *t, unsigned int v)
{
	__atomic_store_n(&t->dk_state, v, __ATOMIC_RELEASE);
}

/* Unlink @t if armed. Caller holds s->lock. Returns 1 if it was armed. */
static int timer_detach(struct timer_list *t)
{
	if (!(t->dk_state & DK_TIMER_PENDING))
		return 0;
	list_del(&t->entry);
	timer_set_state(t, t->dk_state & ~DK_TIMER_PENDING);
	return 1;
}

int mod_timer(struct timer_list *timer, unsigned long expires)
{
	struct dk_softirq *s = sirq_get("mod_timer");
	struct timer_list *pos;
	int was;

	if (!s)
		return 0;
	if (!timer->function) {
		pr_err("mod_timer(%p): timer has no function (timer_setup missing?)\n",
		       (void *)timer);
		return 0;
	}
	pthread_mutex_lock(&s->lock);
	if (timer->dk_state & DK_TIMER_SHUTDOWN) {
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	was = timer_detach(timer);
	timer->expires = expires;
	/* Keep the list sorted; equal expiries run in arming order. */
	list_for_each_entry(pos, &s->timers, entry)
		if (time_after(pos->expires, expires))
			break;
	list_add_tail(&timer->entry, &pos->entry);
	timer_set_state(timer, timer->dk_state | DK_TIMER_PENDING);
	dk__cond_signal_polled(&s->wake, &s->wakes, false);
	pthread_mutex_unlock(&s->lock);
	return was;
}

void add_timer(struct timer_list *timer)
{
	if (timer_pending(timer))
		pr_warn("WARNING: add_timer(%p) of a pending timer\n",
			(void *)timer);
	mod_timer(timer, timer->expires);
}

int del_timer(struct timer_list *timer)
{
	struct dk_softirq *s = sirq_get("del_timer");
	int was;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	was = timer_detach(timer);
	pthread_mutex_unlock(&s->lock);
	return was;
}

static int timer_del_sync(struct timer_list *timer, bool shutdown)
{
	struct dk_softirq *s = sirq_get("del_timer_sync");
	int was = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (shutdown)
		timer_set_state(timer, timer->dk_state | DK_TIMER_SHUTDOWN);
	for (;;) {
		was |= timer_detach(timer);
		if (s->running_timer != timer)
			break;
		if (sirq_on_thread(s)) {
			pthread_mutex_unlock(&s->lock);
			pr_err("del_timer_sync(%p) from its own callback would deadlock; not waiting\n",
			       (void *)timer);
			return was;
		}
		pthread_cond_wait(&s->done, &s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return was;
}

int del_timer_sync(struct timer_list *timer)
{
	return timer_del_sync(timer, false);
}

int timer_shutdown_sync(struct timer_list *timer)
{
	return timer_del_sync(timer, true);
}
