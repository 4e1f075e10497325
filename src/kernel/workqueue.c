// SPDX-License-Identifier: MIT
/*
 * workqueue.c - workqueues: one worker thread each, running work items in
 * process context in queueing order; delayed work is a softirq timer that
 * queues the work when it fires.
 *
 * Each queued instance of a work gets a ticket (per workqueue, increasing
 * in list order): flush_work() waits for the instance it saw, and
 * flush_workqueue() for every ticket up to the last one issued, so items
 * queued during a flush do not make it wait longer. The worker never
 * touches a work after its function returned (it may be freed).
 *
 * A work's state bits (WORK_STRUCT_* in ->data) say: PENDING (queued or
 * its timer armed; queue_work() refuses), DK_INLIST (on a workqueue's
 * list), DK_TIMER (delayed work's timer armed for ->wq; the timer callback
 * queues the work only while this bit is set and the timer is not armed
 * again) and DK_CANCEL (a cancel_*_sync() runs: queueing is refused).
 *
 * LOCKING: wq_lock (static) protects the list of workqueues, every
 * workqueue's fields and every work's state, entry, ticket and dk_armed;
 * ->data is also written with atomic stores for the lockless
 * work_pending(). wq_done is broadcast after each work item. Lock order:
 * wq_lock, then the softirq lock (mod_timer/del_timer); del_timer_sync() is
 * called without wq_lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include "core/internal.h"
#include "kernel/internal.h"

struct workqueue_struct {
	char name[32];
	unsigned int flags;
	int max_active;
	struct list_head works;		/* queued, in ticket order */
	struct list_head armed;		/* delayed works, timer armed */
	struct list_head node;		/* in st->wqs */
	pthread_cond_t more;		/* the worker waits here */
	pthread_t thread;
	unsigned long thread_id;
	struct work_struct *current;	/* running, or NULL */
	unsigned long cur_ticket;
	unsigned long next_ticket;	/* last ticket issued */
	bool draining;			/* only the worker may queue */
	bool stopping;
};

struct dk_wq_state {
	struct list_head wqs;		/* every workqueue (wq_lock) */
};

/*
 * Static, not per machine: a delayed work's timer callback may still be
 * about to take the lock while the machine's workqueues go away.
 */
static pthread_mutex_t wq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wq_done = PTHREAD_COND_INITIALIZER;

struct workqueue_struct *system_wq;

#define W_PENDING	WORK_STRUCT_PENDING
#define W_INLIST	WORK_STRUCT_DK_INLIST
#define W_TIMER		WORK_STRUCT_DK_TIMER
#define W_CANCEL	WORK_STRUCT_DK_CANCEL

static struct dk_wq_state *wq_state(const char *fn)
{
	struct dk_machine *m = dk__m;

	if (!m || !m->wq) {
		pr_err("%s: no machine\n", fn);
		return NULL;
	}
	return m->wq;
}

static void work_set(struct work_struct *w, unsigned long bits)
{
	__atomic_store_n(&w->data, w->data | bits, __ATOMIC_RELEASE);
}

static void work_clear(struct work_struct *w, unsigned long bits)
{
	__atomic_store_n(&w->data, w->data & ~bits, __ATOMIC_RELEASE);
}

static bool wq_on_worker(const struct workqueue_struct *wq)
{
	return (unsigned long)pthread_self() == wq->thread_id;
}

/* Put @w on @wq's list with a new ticket. Caller holds wq_lock. */
static void wq_insert(struct workqueue_struct *wq, struct work_struct *w)
{
	w->dk_wq = wq;
	w->dk_ticket = ++wq->next_ticket;
	list_add_tail(&w->entry, &wq->works);
	work_set(w, W_PENDING | W_INLIST);
	pthread_cond_signal(&wq->more);
}

/* Is @w running on some workqueue? Caller holds wq_lock. */
static struct workqueue_struct *work_running(struct dk_wq_state *st,
					     struct work_struct *w)
{
	struct workqueue_struct *wq;

	list_for_each_entry(wq, &st->wqs, node)
		if (wq->current == w)
			return wq;
	return NULL;
}

static void *worker_main(void *arg)
{
	struct workqueue_struct *wq = arg;

	pthread_mutex_lock(&wq_lock);
	for (;;) {
		struct work_struct *w;
		work_func_t fn;

		while (list_empty(&wq->works) && !wq->stopping)
			pthread_cond_wait(&wq->more, &wq_lock);
		if (list_empty(&wq->works))
			break;
		w = list_first_entry(&wq->works, struct work_struct, entry);
		list_del_init(&w->entry);
		work_clear(w, W_PENDING | W_INLIST);
		wq->current = w;
		wq->cur_ticket = w->dk_ticket;
		fn = w->func;
		pthread_mutex_unlock(&wq_lock);

		dk__trace_cpu(DK_EV_WORK_BEGIN, (uintptr_t)fn, 0, 0);
		fn(w);		/* may free w */
		dk__trace_cpu(DK_EV_WORK_END, (uintptr_t)fn, 0, 0);

		pthread_mutex_lock(&wq_lock);
		wq->current = NULL;
		pthread_cond_broadcast(&wq_done);
	}
	pthread_mutex_unlock(&wq_lock);
	return NULL;
}

/* ---- creation and destruction -------------------------------------------- */

static struct workqueue_struct *wq_create(struct dk_wq_state *st,
					  const char *name, unsigned int flags,
					  int max_active)
{
	struct workqueue_struct *wq = calloc(1, sizeof(*wq));
	char tname[16];
	int ret;

	if (!wq)
		return NULL;
	snprintf(wq->name, sizeof(wq->name), "%s", name);
	wq->flags = flags;
	wq->max_active = max_active;
	INIT_LIST_HEAD(&wq->works);
	INIT_LIST_HEAD(&wq->armed);
	dk__cond_init(&wq->more);
	snprintf(tname, sizeof(tname), "wq/%s", name);
	pthread_mutex_lock(&wq_lock);
	ret = dk__thread_start(dk__m, DK_THREAD_SOFTWARE, &wq->thread, tname,
			       worker_main, wq);
	if (ret) {
		pthread_mutex_unlock(&wq_lock);
		pr_err("alloc_workqueue(%s): no thread: %s\n", name,
		       strerror(-ret));
		pthread_cond_destroy(&wq->more);
		free(wq);
		return NULL;
	}
	wq->thread_id = (unsigned long)wq->thread;
	list_add_tail(&wq->node, &st->wqs);
	pthread_mutex_unlock(&wq_lock);
	return wq;
}

/*
 * Stop @wq: disarm its armed delayed works (reported), then either run
 * (@drop false) or report and drop (@drop true) what is queued, join the
 * worker and free. Returns the number of reports made.
 */
static int wq_destroy(struct dk_wq_state *st, struct workqueue_struct *wq,
		      bool drop, const char *why)
{
	struct delayed_work *dw, *dn;
	struct work_struct *w, *wn;
	int reports = 0;

	pthread_mutex_lock(&wq_lock);
	list_for_each_entry_safe(dw, dn, &wq->armed, dk_armed) {
		dk__err("%s: workqueue %s: delayed work %p (function %p) still armed, disarmed (missing cancel_delayed_work_sync)",
			why, wq->name, (void *)dw, (void *)dw->work.func);
		list_del(&dw->dk_armed);
		work_clear(&dw->work, W_TIMER | W_PENDING);
		del_timer(&dw->timer);
		reports++;
	}
	if (drop) {
		list_for_each_entry_safe(w, wn, &wq->works, entry) {
			dk__err("%s: workqueue %s: work %p (function %p) still queued, dropped (missing cancel_work_sync)",
				why, wq->name, (void *)w, (void *)w->func);
			list_del_init(&w->entry);
			work_clear(w, W_PENDING | W_INLIST);
			reports++;
		}
	}
	wq->draining = true;
	while (!list_empty(&wq->works) || wq->current)
		pthread_cond_wait(&wq_done, &wq_lock);
	wq->stopping = true;
	pthread_cond_signal(&wq->more);
	pthread_mutex_unlock(&wq_lock);
	pthread_join(wq->thread, NULL);

	pthread_mutex_lock(&wq_lock);
	list_del(&wq->node);
	pthread_mutex_unlock(&wq_lock);
	pthread_cond_destroy(&wq->more);
	free(wq);
	return reports;
}

int dk__wq_init(struct dk_machine *m)
{
	struct dk_wq_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	INIT_LIST_HEAD(&st->wqs);
	m->wq = st;
	system_wq = wq_create(st, "events", 0, WQ_DFL_ACTIVE);
	if (!system_wq) {
		m->wq = NULL;
		free(st);
		return -ENOMEM;
	}
	return 0;
}

int dk__wq_exit(struct dk_machine *m)
{
	struct dk_wq_state *st = m->wq;
	struct workqueue_struct *wq;
	int leaks = 0;

	if (!st)
		return 0;
	leaks += wq_destroy(st, system_wq, true, "leak");
	system_wq = NULL;
	/* Nothing queues from now on: wq_state() fails. */
	pthread_mutex_lock(&wq_lock);
	m->wq = NULL;
	pthread_mutex_unlock(&wq_lock);
	for (;;) {
		pthread_mutex_lock(&wq_lock);
		wq = list_first_entry_or_null(&st->wqs,
					      struct workqueue_struct, node);
		pthread_mutex_unlock(&wq_lock);
		if (!wq)
			break;
		dk__err("leak: workqueue %s not destroyed at machine destroy (missing destroy_workqueue)",
			wq->name);
		leaks += 1 + wq_destroy(st, wq, true, "leak");
	}
	free(st);
	return leaks;
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max_active, ...)
{
	struct dk_wq_state *st;
	char name[32];
	va_list ap;

	might_sleep();
	st = wq_state("alloc_workqueue");
	if (!st)
		return NULL;
	if (!fmt) {
		pr_err("alloc_workqueue: NULL name\n");
		return NULL;
	}
	va_start(ap, max_active);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (max_active < 0 || max_active > WQ_MAX_ACTIVE) {
		pr_err("alloc_workqueue(%s): max_active %d outside 0..%d\n",
		       name, max_active, WQ_MAX_ACTIVE);
		return NULL;
	}
	return wq_create(st, name, flags, max_active ? max_active :
						      WQ_DFL_ACTIVE);
}

void destroy_workqueue(struct workqueue_struct *wq)
{
	struct dk_wq_state *st;

	might_sleep();
	st = wq_state("destroy_workqueue");
	if (!st || !wq)
		return;
	if (wq_on_worker(wq)) {
		pr_err("destroy_workqueue(%s) from its own work item would deadlock; ignored\n",
		       wq->name);
		return;
	}
	if (wq == system_wq) {
		pr_err("destroy_workqueue: system_wq belongs to the machine; ignored\n");
		return;
	}
	wq_destroy(st, wq, false, "destroy_workqueue");
}

void flush_workqueue(struct workqueue_struct *wq)
{
	struct dk_wq_state *st;
	unsigned long snap;

	might_sleep();
	st = wq_state("flush_workqueue");
	if (!st || !wq)
		return;
	if (wq_on_worker(wq)) {
		pr_err("flush_workqueue(%s) from its own work item would deadlock; not waiting\n",
		       wq->name);
		return;
	}
	pthread_mutex_lock(&wq_lock);
	snap = wq->next_ticket;
	for (;;) {
		struct work_struct *first = list_first_entry_or_null(
			&wq->works, struct work_struct, entry);

		if (!(first && first->dk_ticket <= snap) &&
		    !(wq->current && wq->cur_ticket <= snap))
			break;
		pthread_cond_wait(&wq_done, &wq_lock);
	}
	pthread_mutex_unlock(&wq_lock);
}

void drain_workqueue(struct workqueue_struct *wq)
{
	struct dk_wq_state *st;

	might_sleep();
	st = wq_state("drain_workqueue");
	if (!st || !wq)
		return;
	if (wq_on_worker(wq)) {
		pr_err("drain_workqueue(%s) from its own work item would deadlock; not waiting\n",
		       wq->name);
		return;
	}
	pthread_mutex_lock(&wq_lock);
	wq->draining = true;
	while (!list_empty(&wq->works) || wq->current)
		pthread_cond_wait(&wq_done, &wq_lock);
	wq->draining = false;
	pthread_mutex_unlock(&wq_lock);
}

/* ---- queueing ------------------------------------------------------------ */

void dk_init_work(struct work_struct *work, work_func_t func)
{
	__atomic_store_n(&work->data, 0, __ATOMIC_RELAXED);
	INIT_LIST_HEAD(&work->entry);
	work->func = func;
	work->dk_wq = NULL;
	work->dk_ticket = 0;
}

static void dwork_timer_fn(struct timer_list *t)
{
	struct delayed_work *dw = from_timer(dw, t, timer);

	pthread_mutex_lock(&wq_lock);
	/* Disarmed meanwhile, or re-armed (a later expiry owns it now)? */
	if ((dw->work.data & W_TIMER) && !timer_pending(&dw->timer)) {
		list_del(&dw->dk_armed);
		work_clear(&dw->work, W_TIMER);
		wq_insert(dw->wq, &dw->work);
	}
	pthread_mutex_unlock(&wq_lock);
}

void dk_init_delayed_work(struct delayed_work *dwork, work_func_t func)
{
	dk_init_work(&dwork->work, func);
	timer_setup(&dwork->timer, dwork_timer_fn, 0);
	dwork->wq = NULL;
	dwork->cpu = 0;
	INIT_LIST_HEAD(&dwork->dk_armed);
}

/* Can @wq take a new item from the caller? Caller holds wq_lock. */
static bool wq_accepts(struct workqueue_struct *wq, const char *fn)
{
	if (wq->stopping || (wq->draining && !wq_on_worker(wq))) {
		pr_warn("WARNING: %s on workqueue %s while it is being drained or destroyed; refused\n",
			fn, wq->name);
		return false;
	}
	return true;
}

static bool work_check(struct workqueue_struct *wq, struct work_struct *w,
		       const char *fn)
{
	if (!wq || !w) {
		pr_err("%s: NULL %s\n", fn, wq ? "work" : "workqueue");
		return false;
	}
	if (!w->func) {
		pr_err("%s(%s, %p): work has no function (INIT_WORK missing?)\n",
		       fn, wq->name, (void *)w);
		return false;
	}
	return true;
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	struct dk_wq_state *st = wq_state("queue_work");
	bool ret = false;

	if (!st || !work_check(wq, work, "queue_work"))
		return false;
	pthread_mutex_lock(&wq_lock);
	if (!(work->data & (W_PENDING | W_CANCEL)) &&
	    wq_accepts(wq, "queue_work")) {
		wq_insert(wq, work);
		ret = true;
	}
	pthread_mutex_unlock(&wq_lock);
	return ret;
}

/* Queue @dw now or arm its timer. Caller holds wq_lock; @dw is idle. */
static void dwork_queue(struct workqueue_struct *wq, struct delayed_work *dw,
			unsigned long delay)
{
	if (!delay) {
		wq_insert(wq, &dw->work);
		return;
	}
	dw->wq = wq;
	list_add_tail(&dw->dk_armed, &wq->armed);
	work_set(&dw->work, W_PENDING | W_TIMER);
	mod_timer(&dw->timer, jiffies + delay);
}

static bool dwork_check(struct workqueue_struct *wq, struct delayed_work *dw,
			const char *fn)
{
	if (!work_check(wq, dw ? &dw->work : NULL, fn))
		return false;
	if (dw->timer.function != dwork_timer_fn) {
		pr_err("%s(%s, %p): not initialised with INIT_DELAYED_WORK\n",
		       fn, wq->name, (void *)dw);
		return false;
	}
	return true;
}

/* Take @dw off its timer and list. Caller holds wq_lock. */
static void dwork_unqueue(struct delayed_work *dw)
{
	struct work_struct *w = &dw->work;

	if (w->data & W_TIMER) {
		del_timer(&dw->timer);
		list_del(&dw->dk_armed);
		work_clear(w, W_TIMER);
	}
	if (w->data & W_INLIST) {
		list_del_init(&w->entry);
		work_clear(w, W_INLIST);
	}
}

bool queue_delayed_work(struct workqueue_struct *wq,
			struct delayed_work *dwork, unsigned long delay)
{
	struct dk_wq_state *st = wq_state("queue_delayed_work");
	bool ret = false;

	if (!st || !dwork_check(wq, dwork, "queue_delayed_work"))
		return false;
	pthread_mutex_lock(&wq_lock);
	if (!(dwork->work.data & (W_PENDING | W_CANCEL)) &&
	    wq_accepts(wq, "queue_delayed_work")) {
		dwork_queue(wq, dwork, delay);
		ret = true;
	}
	pthread_mutex_unlock(&wq_lock);
	return ret;
}

bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
		      unsigned long delay)
{
	struct dk_wq_state *st = wq_state("mod_delayed_work");
	bool was = false;

	if (!st || !dwork_check(wq, dwork, "mod_delayed_work"))
		return false;
	pthread_mutex_lock(&wq_lock);
	if (!(dwork->work.data & W_CANCEL) &&
	    wq_accepts(wq, "mod_delayed_work")) {
		was = dwork->work.data & W_PENDING;
		dwork_unqueue(dwork);
		work_clear(&dwork->work, W_PENDING);
		dwork_queue(wq, dwork, delay);
	}
	pthread_mutex_unlock(&wq_lock);
	return was;
}

/* ---- flushing and cancelling --------------------------------------------- */

/* Wait for @work's current instance. Caller holds wq_lock. */
static bool work_flush_locked(struct work_struct *work)
{
	struct workqueue_struct *wq;
	unsigned long ticket;

	if (work->data & W_INLIST) {
		wq = work->dk_wq;
		ticket = work->dk_ticket;
	} else if ((wq = work_running(dk__m->wq, work))) {
		ticket = wq->cur_ticket;
	} else {
		return false;
	}
	if (wq_on_worker(wq)) {
		pr_err("flush_work(%p) from a work item of the same workqueue %s would deadlock; not waiting\n",
		       (void *)work, wq->name);
		return false;
	}
	while (((work->data & W_INLIST) && work->dk_wq == wq &&
		work->dk_ticket == ticket) ||
	       (wq->current == work && wq->cur_ticket == ticket))
		pthread_cond_wait(&wq_done, &wq_lock);
	return true;
}

bool flush_work(struct work_struct *work)
{
	bool ret;

	might_sleep();
	if (!wq_state("flush_work") || !work)
		return false;
	pthread_mutex_lock(&wq_lock);
	ret = work_flush_locked(work);
	pthread_mutex_unlock(&wq_lock);
	return ret;
}

bool flush_delayed_work(struct delayed_work *dwork)
{
	bool ret;

	might_sleep();
	if (!wq_state("flush_delayed_work") || !dwork)
		return false;
	pthread_mutex_lock(&wq_lock);
	if (dwork->work.data & W_TIMER) {
		del_timer(&dwork->timer);
		list_del(&dwork->dk_armed);
		work_clear(&dwork->work, W_TIMER);
		wq_insert(dwork->wq, &dwork->work);
	}
	ret = work_flush_locked(&dwork->work);
	pthread_mutex_unlock(&wq_lock);
	return ret;
}

static bool work_cancel_sync(struct work_struct *w, struct delayed_work *dw,
			     const char *fn)
{
	struct dk_wq_state *st;
	struct workqueue_struct *wq;
	bool was;

	might_sleep();
	st = wq_state(fn);
	if (!st || !w)
		return false;
	pthread_mutex_lock(&wq_lock);
	was = w->data & W_PENDING;
	work_set(w, W_CANCEL);
	if (dw)
		dwork_unqueue(dw);
	else if (w->data & W_INLIST)
		list_del_init(&w->entry);
	work_clear(w, W_INLIST);
	pthread_mutex_unlock(&wq_lock);

	/* A timer callback that already started sees DK_TIMER clear. */
	if (dw)
		del_timer_sync(&dw->timer);

	pthread_mutex_lock(&wq_lock);
	while ((wq = work_running(st, w))) {
		if (wq_on_worker(wq)) {
			pr_err("%s(%p) from its own work item would deadlock; not waiting\n",
			       fn, (void *)w);
			break;
		}
		pthread_cond_wait(&wq_done, &wq_lock);
	}
	work_clear(w, W_CANCEL | W_PENDING);
	pthread_mutex_unlock(&wq_lock);
	return was;
}

bool cancel_work_sync(struct work_struct *work)
{
	return work_cancel_sync(work, NULL, "cancel_work_sync");
}

bool cancel_delayed_work_sync(struct delayed_work *dwork)
{
	return work_cancel_sync(dwork ? &dwork->work : NULL, dwork,
				"cancel_delayed_work_sync");
}

bool cancel_delayed_work(struct delayed_work *dwork)
{
	struct dk_wq_state *st = wq_state("cancel_delayed_work");
	bool was;

	if (!st || !dwork)
		return false;
	pthread_mutex_lock(&wq_lock);
	was = (dwork->work.data & (W_PENDING | W_CANCEL)) == W_PENDING;
	if (was) {
		dwork_unqueue(dwork);
		work_clear(&dwork->work, W_PENDING);
	}
	pthread_mutex_unlock(&wq_lock);
	return was;
}
