// SPDX-License-Identifier: MIT
/*
 * workqueue_test.c - workqueues on a partial machine with a manual clock:
 * bad input, process context, ordering, pending refusal, flush_work and
 * flush_workqueue, cancel (queued, running, self-requeueing), delayed work
 * driven by dk_clock_advance(), mod/cancel/flush of delayed work, destroy
 * draining, and leak reports at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/interrupt.h>
#include <linux/workqueue.h>
#include "dk_test.h"
#include "irq_machine.h"
#include "hw/internal.h"
#include "kernel/internal.h"

static struct dk_machine *mach;

static int setup(void **state)
{
	(void)state;
	mach = dk_test_irq_machine_up(true);
	return mach ? 0 : -1;
}

static int machine_down(void)
{
	int leaks = dk_test_irq_machine_down(mach);

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

static int ld(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void st(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

struct rec_work {
	struct work_struct w;
	struct delayed_work dw;
	int id;
	int runs;	/* atomic */
	int hold;	/* atomic: spin while set */
	int inside;	/* atomic */
	int requeue;	/* atomic: queue itself again this many times */
	int ctx_ok;	/* atomic */
};

static int order[256];
static int order_n;

static void rec_body(struct rec_work *r, struct work_struct *w)
{
	int i;

	st(&r->inside, 1);
	if (!dk_in_atomic() && in_task() && !in_interrupt())
		st(&r->ctx_ok, 1);
	while (ld(&r->hold))
		dk_test_yield();
	i = __atomic_fetch_add(&order_n, 1, __ATOMIC_ACQ_REL);
	if (i < 256)
		__atomic_store_n(&order[i], r->id, __ATOMIC_RELEASE);
	__atomic_add_fetch(&r->runs, 1, __ATOMIC_ACQ_REL);
	if (ld(&r->requeue) > 0) {
		__atomic_sub_fetch(&r->requeue, 1, __ATOMIC_ACQ_REL);
		queue_work(w->dk_wq, w);
	}
	st(&r->inside, 0);
}

static void rec_fn(struct work_struct *w)
{
	rec_body(container_of(w, struct rec_work, w), w);
}

static void rec_dfn(struct work_struct *w)
{
	struct delayed_work *dw = to_delayed_work(w);

	rec_body(container_of(dw, struct rec_work, dw), w);
}

static void rec_init(struct rec_work *r, int id)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	INIT_WORK(&r->w, rec_fn);
	INIT_DELAYED_WORK(&r->dw, rec_dfn);
}

static void bad_input_is_refused(void **state)
{
	struct work_struct w = { 0 };
	struct delayed_work dw;
	struct rec_work r;

	(void)state;
	rec_init(&r, 0);
	assert_false(queue_work(NULL, &r.w));
	assert_false(queue_work(system_wq, NULL));
	assert_false(queue_work(system_wq, &w));
	assert_log_count("NULL workqueue", 1);
	assert_log_count("NULL work", 2);	/* "NULL work" and the above */
	assert_log_count("no function", 1);
	memset(&dw, 0, sizeof(dw));
	dw.work.func = rec_dfn;
	assert_false(queue_delayed_work(system_wq, &dw, 1));
	assert_log_count("INIT_DELAYED_WORK", 1);
	assert_null(alloc_workqueue("bad", 0, -1));
	assert_null(alloc_workqueue("bad", 0, WQ_MAX_ACTIVE + 1));
	assert_log_count("max_active", 2);
	assert_false(flush_work(&r.w));
	assert_false(cancel_work_sync(&r.w));
	assert_false(cancel_delayed_work(&r.dw));
	destroy_workqueue(system_wq);
	assert_log_count("system_wq belongs to the machine", 1);
	destroy_workqueue(NULL);
}

static void work_runs_in_order_in_process_context(void **state)
{
	static struct rec_work r[64];
	struct workqueue_struct *wq;

	(void)state;
	st(&order_n, 0);
	wq = alloc_workqueue("test-%d", 0, 4, 7);
	assert_non_null(wq);
	for (int i = 0; i < 64; i++)
		rec_init(&r[i], i);
	r[0].hold = 1;
	assert_true(queue_work(wq, &r[0].w));
	assert_true(DK_WAIT_UNTIL(ld(&r[0].inside), 5000));
	for (int i = 1; i < 64; i++)
		assert_true(queue_work(wq, &r[i].w));
	/* Pending: a second queueing is refused. */
	assert_true(work_pending(&r[5].w));
	assert_false(queue_work(wq, &r[5].w));
	st(&r[0].hold, 0);
	flush_workqueue(wq);
	assert_int_equal(ld(&order_n), 64);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(order[i], i);
		assert_int_equal(ld(&r[i].runs), 1);
		assert_int_equal(ld(&r[i].ctx_ok), 1);
		assert_false(work_pending(&r[i].w));
	}
	destroy_workqueue(wq);
	assert_log_count(NULL, 0);
}

static void flush_work_waits_for_the_instance(void **state)
{
	struct rec_work a, b;

	(void)state;
	st(&order_n, 0);
	rec_init(&a, 1);
	rec_init(&b, 2);
	a.hold = 1;
	assert_true(schedule_work(&a.w));
	assert_true(DK_WAIT_UNTIL(ld(&a.inside), 5000));
	assert_true(schedule_work(&b.w));
	st(&a.hold, 0);
	flush_work(&b.w);	/* true unless b finished already */
	assert_int_equal(ld(&a.runs), 1);
	assert_int_equal(ld(&b.runs), 1);
	assert_false(flush_work(&b.w));		/* idle now */

	/* A work queueing itself N times: flush_workqueue sees all. */
	a.requeue = 3;
	assert_true(schedule_work(&a.w));
	assert_true(DK_WAIT_UNTIL(ld(&a.runs) == 5, 5000));
	flush_workqueue(system_wq);
	assert_int_equal(ld(&a.runs), 5);
}

static void cancel_work_sync_unqueues_and_waits(void **state)
{
	struct rec_work a, b;

	(void)state;
	rec_init(&a, 1);
	rec_init(&b, 2);
	a.hold = 1;
	assert_true(schedule_work(&a.w));
	assert_true(DK_WAIT_UNTIL(ld(&a.inside), 5000));
	assert_true(schedule_work(&b.w));
	assert_true(cancel_work_sync(&b.w));	/* was queued: never runs */
	assert_false(work_pending(&b.w));
	st(&a.hold, 0);
	assert_false(cancel_work_sync(&a.w));	/* running: waits */
	assert_int_equal(ld(&a.inside), 0);
	assert_int_equal(ld(&a.runs), 1);
	flush_workqueue(system_wq);
	assert_int_equal(ld(&b.runs), 0);

	/* A self-requeueing work is stopped by cancel_work_sync. */
	a.requeue = 1000000;
	assert_true(schedule_work(&a.w));
	assert_true(DK_WAIT_UNTIL(ld(&a.runs) > 3, 5000));
	cancel_work_sync(&a.w);
	{
		int runs = ld(&a.runs);

		flush_workqueue(system_wq);
		assert_int_equal(ld(&a.runs), runs);
	}
	/* The cancelled work can be queued again. */
	a.requeue = 0;
	assert_true(schedule_work(&a.w));
	flush_work(&a.w);
	assert_false(work_pending(&a.w));
	assert_log_count(NULL, 0);
}

static void delayed_work_follows_the_manual_clock(void **state)
{
	struct rec_work a, b;

	(void)state;
	rec_init(&a, 1);
	rec_init(&b, 2);
	assert_true(schedule_delayed_work(&a.dw, 10));
	assert_false(schedule_delayed_work(&a.dw, 1));	/* pending */
	assert_true(delayed_work_pending(&a.dw));
	assert_true(queue_delayed_work(system_wq, &b.dw, 0));	/* now */
	flush_work(&b.dw.work);	/* false if it finished already */
	assert_int_equal(ld(&b.runs), 1);

	assert_int_equal(dk_clock_advance(9 * 1000000ull), 0);
	flush_workqueue(system_wq);
	assert_int_equal(ld(&a.runs), 0);
	assert_true(delayed_work_pending(&a.dw));
	assert_int_equal(dk_clock_advance(1000000ull), 0);
	/* The timer queued it before dk_clock_advance returned. */
	flush_workqueue(system_wq);
	assert_int_equal(ld(&a.runs), 1);
	assert_false(delayed_work_pending(&a.dw));

	/* mod_delayed_work: idle -> false; pending -> true, new delay. */
	assert_false(mod_delayed_work(system_wq, &a.dw, 50));
	assert_true(mod_delayed_work(system_wq, &a.dw, 5));
	assert_int_equal(dk_clock_advance(5 * 1000000ull), 0);
	flush_workqueue(system_wq);
	assert_int_equal(ld(&a.runs), 2);
	assert_int_equal(dk_clock_advance(100 * 1000000ull), 0);
	flush_workqueue(system_wq);
	assert_int_equal(ld(&a.runs), 2);
	assert_log_count(NULL, 0);
}

static void delayed_work_cancel_and_flush(void **state)
{
	struct rec_work a;
	struct workqueue_struct *wq = alloc_ordered_workqueue("ord-%s", 0,
							       "x");

	(void)state;
	assert_non_null(wq);
	rec_init(&a, 1);
	assert_true(queue_delayed_work(wq, &a.dw, 10));
	assert_true(cancel_delayed_work(&a.dw));
	assert_false(cancel_delayed_work(&a.dw));
	assert_int_equal(dk_clock_advance(20 * 1000000ull), 0);
	flush_workqueue(wq);
	assert_int_equal(ld(&a.runs), 0);

	assert_true(queue_delayed_work(wq, &a.dw, 10));
	assert_true(cancel_delayed_work_sync(&a.dw));
	assert_int_equal(dk_clock_advance(20 * 1000000ull), 0);
	flush_workqueue(wq);
	assert_int_equal(ld(&a.runs), 0);

	/* flush_delayed_work runs an armed work now. */
	assert_true(queue_delayed_work(wq, &a.dw, 1000));
	assert_true(flush_delayed_work(&a.dw));
	assert_int_equal(ld(&a.runs), 1);
	assert_false(delayed_work_pending(&a.dw));

	/* cancel_delayed_work_sync of a running work waits for it. */
	st(&a.hold, 1);
	assert_true(queue_delayed_work(wq, &a.dw, 0));
	assert_true(DK_WAIT_UNTIL(ld(&a.inside), 5000));
	st(&a.hold, 0);
	assert_false(cancel_delayed_work_sync(&a.dw));
	assert_int_equal(ld(&a.inside), 0);
	assert_int_equal(ld(&a.runs), 2);
	destroy_workqueue(wq);
	assert_log_count(NULL, 0);
}

static void destroy_drains_the_queue(void **state)
{
	static struct rec_work r[16];
	struct workqueue_struct *wq = alloc_workqueue("drain", 0, 1);

	(void)state;
	assert_non_null(wq);
	st(&order_n, 0);
	for (int i = 0; i < 16; i++) {
		rec_init(&r[i], i);
		if (i == 3)
			r[i].requeue = 2;	/* chained queueing: allowed */
		assert_true(queue_work(wq, &r[i].w));
	}
	destroy_workqueue(wq);
	assert_int_equal(ld(&order_n), 18);
	assert_int_equal(ld(&r[3].runs), 3);
	assert_log_count(NULL, 0);
}

static int flush_self_done;

static void flush_self_fn(struct work_struct *w)
{
	static struct rec_work other;

	rec_init(&other, 9);
	queue_work(w->dk_wq, &other.w);
	flush_work(&other.w);		/* same queue: reported */
	flush_workqueue(w->dk_wq);	/* reported */
	st(&flush_self_done, 1);
}

static void flushing_own_queue_from_a_work_is_reported(void **state)
{
	struct work_struct w;

	(void)state;
	st(&flush_self_done, 0);
	INIT_WORK(&w, flush_self_fn);
	assert_true(schedule_work(&w));
	flush_workqueue(system_wq);
	assert_int_equal(ld(&flush_self_done), 1);
	assert_log_count("would deadlock", 2);
}

static void exit_reports_leaked_work(void **state)
{
	static struct rec_work a, b;
	struct workqueue_struct *wq;

	(void)state;
	rec_init(&a, 1);
	rec_init(&b, 2);
	wq = alloc_workqueue("forgotten", 0, 0);
	assert_non_null(wq);
	assert_true(schedule_delayed_work(&a.dw, 100));
	assert_true(queue_delayed_work(wq, &b.dw, 100));
	assert_int_equal(machine_down(), 3);
	assert_log_count("still armed", 2);
	assert_log_count("workqueue forgotten not destroyed", 1);
	assert_int_equal(ld(&a.runs), 0);
	assert_int_equal(ld(&b.runs), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(bad_input_is_refused),
		T(work_runs_in_order_in_process_context),
		T(flush_work_waits_for_the_instance),
		T(cancel_work_sync_unqueues_and_waits),
		T(delayed_work_follows_the_manual_clock),
		T(delayed_work_cancel_and_flush),
		T(destroy_drains_the_queue),
		T(flushing_own_queue_from_a_work_is_reported),
		T(exit_reports_leaked_work),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
