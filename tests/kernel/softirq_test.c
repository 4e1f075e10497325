// SPDX-License-Identifier: MIT
/*
 * softirq_test.c - tasklets and timers on the softirq thread (partial
 * machine with a manual clock unless a test says otherwise): ordering,
 * high priority, no self-concurrency, rescheduling from itself and while
 * running, disable/enable, kill, sleeping in a tasklet, timers firing
 * exactly when the clock passes their expiry, del_timer_sync, shutdown,
 * real-time expiry, tasklets scheduled from a hard-IRQ handler run at irq
 * exit (on the hard-IRQ thread, in softirq context, never beside an item
 * of the softirq thread, in queue order), and leak reports at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/timer.h>
#include "dk_test.h"
#include "irq_machine.h"
#include "hw/internal.h"
#include "kernel/internal.h"

static struct dk_machine *mach;

static void machine_up(bool manual)
{
	mach = dk_test_irq_machine_up(manual);
	assert_non_null(mach);
}

static int machine_down(void)
{
	int leaks = dk_test_irq_machine_down(mach);

	mach = NULL;
	return leaks;
}

static int setup(void **state)
{
	(void)state;
	machine_up(true);
	return 0;
}

static int setup_realtime(void **state)
{
	(void)state;
	machine_up(false);
	return 0;
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

/* ---- a blocker keeps the softirq thread busy while a test queues --------- */

static int block_hold, block_inside;

static void blocker_fn(struct tasklet_struct *t)
{
	(void)t;
	st(&block_inside, 1);
	while (ld(&block_hold))
		dk_test_yield();
	st(&block_inside, 0);
}

static struct tasklet_struct blocker;

static void block_softirq(void)
{
	st(&block_hold, 1);
	tasklet_setup(&blocker, blocker_fn);
	tasklet_schedule(&blocker);
	assert_true(DK_WAIT_UNTIL(ld(&block_inside), 5000));
}

static void unblock_softirq(void)
{
	st(&block_hold, 0);
	tasklet_kill(&blocker);
}

/* ---- recording tasklets -------------------------------------------------- */

struct rec_tasklet {
	struct tasklet_struct t;
	int id;
	int runs;	/* atomic */
};

static int order[64];
static int order_n;	/* atomic */

static void rec_fn(struct tasklet_struct *t)
{
	struct rec_tasklet *r = from_tasklet(r, t, t);
	int i = __atomic_fetch_add(&order_n, 1, __ATOMIC_ACQ_REL);

	if (i < 64)
		__atomic_store_n(&order[i], r->id, __ATOMIC_RELEASE);
	__atomic_add_fetch(&r->runs, 1, __ATOMIC_ACQ_REL);
}

static void rec_init(struct rec_tasklet *r, int id)
{
	r->id = id;
	r->runs = 0;
	tasklet_setup(&r->t, rec_fn);
}

static void tasklets_run_in_order_once_per_schedule(void **state)
{
	struct rec_tasklet r[4];

	(void)state;
	st(&order_n, 0);
	block_softirq();
	for (int i = 0; i < 4; i++)
		rec_init(&r[i], i);
	tasklet_schedule(&r[0].t);
	tasklet_schedule(&r[1].t);
	tasklet_schedule(&r[0].t);	/* already queued: no-op */
	tasklet_schedule(&r[2].t);
	tasklet_hi_schedule(&r[3].t);	/* jumps the normal queue */
	unblock_softirq();
	for (int i = 0; i < 4; i++)
		tasklet_kill(&r[i].t);
	assert_int_equal(ld(&order_n), 4);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[1], 0);
	assert_int_equal(order[2], 1);
	assert_int_equal(order[3], 2);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ld(&r[i].runs), 1);
}

static unsigned long old_data;
static int old_runs;

static void old_style_fn(unsigned long data)
{
	__atomic_store_n(&old_data, data, __ATOMIC_RELEASE);
	__atomic_add_fetch(&old_runs, 1, __ATOMIC_ACQ_REL);
}

static void old_style_tasklet_gets_its_data(void **state)
{
	struct tasklet_struct t;

	(void)state;
	st(&old_runs, 0);
	tasklet_init(&t, old_style_fn, 0xfeedul);
	tasklet_schedule(&t);
	tasklet_kill(&t);
	assert_int_equal(ld(&old_runs), 1);
	assert_int_equal(__atomic_load_n(&old_data, __ATOMIC_ACQUIRE), 0xfeed);
}

/* ---- self-rescheduling and concurrency ----------------------------------- */

static int self_runs, self_ctx_ok;

static void self_fn(struct tasklet_struct *t)
{
	if (in_serving_softirq() && in_softirq() && in_interrupt() &&
	    !in_hardirq() && !in_task() && dk_in_atomic())
		__atomic_add_fetch(&self_ctx_ok, 1, __ATOMIC_ACQ_REL);
	if (__atomic_add_fetch(&self_runs, 1, __ATOMIC_ACQ_REL) < 5)
		tasklet_schedule(t);
}

static void tasklet_may_reschedule_itself(void **state)
{
	struct tasklet_struct t;

	(void)state;
	st(&self_runs, 0);
	st(&self_ctx_ok, 0);
	tasklet_setup(&t, self_fn);
	tasklet_schedule(&t);
	assert_true(DK_WAIT_UNTIL(ld(&self_runs) == 5, 5000));
	tasklet_kill(&t);
	assert_int_equal(ld(&self_runs), 5);
	assert_int_equal(ld(&self_ctx_ok), 5);
}

static int conc_active, conc_max, conc_runs, conc_hold;

static void conc_fn(struct tasklet_struct *t)
{
	int a = __atomic_add_fetch(&conc_active, 1, __ATOMIC_ACQ_REL);

	(void)t;
	if (a > ld(&conc_max))
		st(&conc_max, a);
	while (ld(&conc_hold))
		dk_test_yield();
	__atomic_add_fetch(&conc_runs, 1, __ATOMIC_ACQ_REL);
	__atomic_sub_fetch(&conc_active, 1, __ATOMIC_ACQ_REL);
}

static struct tasklet_struct conc_t;

static void *conc_scheduler(void *arg)
{
	unsigned int n = 500 * dk_test_stress();

	(void)arg;
	for (unsigned int i = 0; i < n; i++)
		tasklet_schedule(&conc_t);
	return NULL;
}

static void scheduled_while_running_runs_again_never_concurrently(void **state)
{
	pthread_t th[2];

	(void)state;
	st(&conc_active, 0);
	st(&conc_max, 0);
	st(&conc_runs, 0);
	st(&conc_hold, 1);
	tasklet_setup(&conc_t, conc_fn);
	tasklet_schedule(&conc_t);
	assert_true(DK_WAIT_UNTIL(ld(&conc_active) == 1, 5000));
	tasklet_schedule(&conc_t);	/* while running: runs again */
	tasklet_schedule(&conc_t);	/* merged */
	st(&conc_hold, 0);
	assert_true(DK_WAIT_UNTIL(ld(&conc_runs) == 2, 5000));
	tasklet_kill(&conc_t);
	assert_int_equal(ld(&conc_runs), 2);

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, conc_scheduler,
						NULL),
				 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	tasklet_kill(&conc_t);
	assert_int_equal(ld(&conc_max), 1);
	assert_true(ld(&conc_runs) >= 3);
}

static void disabled_tasklet_runs_on_enable(void **state)
{
	struct rec_tasklet r;

	(void)state;
	st(&order_n, 0);
	rec_init(&r, 7);
	tasklet_disable(&r.t);
	tasklet_disable_nosync(&r.t);
	tasklet_schedule(&r.t);
	/* Another tasklet still runs: the disabled one is parked. */
	block_softirq();
	unblock_softirq();
	assert_int_equal(ld(&r.runs), 0);
	tasklet_enable(&r.t);
	assert_int_equal(ld(&r.runs), 0);
	tasklet_enable(&r.t);
	assert_true(DK_WAIT_UNTIL(ld(&r.runs) == 1, 5000));
	tasklet_kill(&r.t);
	assert_int_equal(ld(&r.runs), 1);
	tasklet_enable(&r.t);
	assert_log_count("unbalanced tasklet_enable", 1);
}

static void kill_drops_disabled_and_stops_rescheduling(void **state)
{
	struct rec_tasklet r;
	struct tasklet_struct t;

	(void)state;
	rec_init(&r, 1);
	tasklet_disable(&r.t);
	tasklet_schedule(&r.t);
	tasklet_kill(&r.t);		/* does not hang on a disabled one */
	tasklet_enable(&r.t);
	block_softirq();
	unblock_softirq();
	assert_int_equal(ld(&r.runs), 0);

	/* A tasklet that always reschedules itself is stopped by kill. */
	st(&self_runs, -1000000);
	tasklet_setup(&t, self_fn);
	tasklet_schedule(&t);
	assert_true(DK_WAIT_UNTIL(ld(&self_runs) > -999990, 5000));
	tasklet_kill(&t);
	{
		int runs = ld(&self_runs);

		block_softirq();
		unblock_softirq();
		assert_int_equal(ld(&self_runs), runs);
	}
	assert_log_count(NULL, 0);
}

static int killer_runs;

static void killer_fn(struct tasklet_struct *t)
{
	__atomic_add_fetch(&killer_runs, 1, __ATOMIC_ACQ_REL);
	tasklet_kill(t);	/* from itself: reported, no hang */
}

static void kill_from_the_tasklet_is_reported(void **state)
{
	struct tasklet_struct t;

	(void)state;
	st(&killer_runs, 0);
	tasklet_setup(&t, killer_fn);
	tasklet_schedule(&t);
	assert_true(DK_WAIT_UNTIL(ld(&killer_runs) == 1, 5000));
	tasklet_kill(&t);
	assert_log_count("Attempt to kill tasklet", 1);
}

static int sleepy_runs;

static void sleepy_fn(struct tasklet_struct *t)
{
	(void)t;
	msleep(1);
	__atomic_add_fetch(&sleepy_runs, 1, __ATOMIC_ACQ_REL);
}

static void sleeping_in_a_tasklet_is_reported(void **state)
{
	struct tasklet_struct t;

	(void)state;
	st(&sleepy_runs, 0);
	tasklet_setup(&t, sleepy_fn);
	tasklet_schedule(&t);
	tasklet_kill(&t);
	assert_int_equal(ld(&sleepy_runs), 1);
	assert_log_count("BUG: sleeping function called from invalid context",
			 1);
}

/* ---- timers -------------------------------------------------------------- */

struct rec_timer {
	struct timer_list t;
	int id;
	int fired;		/* atomic */
	unsigned long at;	/* jiffies when it ran */
};

static void timer_fn(struct timer_list *t)
{
	struct rec_timer *r = from_timer(r, t, t);
	int i = __atomic_fetch_add(&order_n, 1, __ATOMIC_ACQ_REL);

	if (i < 64)
		__atomic_store_n(&order[i], r->id, __ATOMIC_RELEASE);
	__atomic_store_n(&r->at, jiffies, __ATOMIC_RELEASE);
	__atomic_add_fetch(&r->fired, 1, __ATOMIC_ACQ_REL);
}

static void rec_timer_init(struct rec_timer *r, int id)
{
	r->id = id;
	r->fired = 0;
	r->at = 0;
	timer_setup(&r->t, timer_fn, 0);
}

static void bad_timer_calls_are_reported(void **state)
{
	struct timer_list t = { 0 };

	(void)state;
	assert_int_equal(mod_timer(&t, 5), 0);
	assert_log_count("no function", 1);
	assert_false(timer_pending(&t));
	assert_int_equal(del_timer(&t), 0);
	assert_int_equal(del_timer_sync(&t), 0);
}

static void timers_fire_exactly_when_the_clock_passes(void **state)
{
	struct rec_timer a, b, c;

	(void)state;
	st(&order_n, 0);
	assert_int_equal(jiffies, 0);
	rec_timer_init(&a, 1);
	rec_timer_init(&b, 2);
	rec_timer_init(&c, 3);
	assert_int_equal(mod_timer(&b.t, jiffies + 20), 0);
	assert_int_equal(mod_timer(&a.t, jiffies + 10), 0);
	c.t.expires = jiffies + 20;
	add_timer(&c.t);	/* same expiry as b: runs after b */
	assert_true(timer_pending(&a.t));

	assert_int_equal(dk_clock_advance(9999999), 0);	/* 9.99 ms */
	assert_int_equal(ld(&a.fired), 0);
	assert_true(timer_pending(&a.t));
	assert_int_equal(dk_clock_advance(1), 0);		/* 10 ms */
	assert_int_equal(ld(&a.fired), 1);	/* dk_clock_advance waited */
	assert_int_equal(a.at, 10);
	assert_false(timer_pending(&a.t));
	assert_int_equal(ld(&b.fired), 0);

	/* Re-arming a pending timer moves it. */
	assert_int_equal(mod_timer(&b.t, jiffies + 100), 1);
	assert_int_equal(dk_clock_advance(50 * 1000000ull), 0);
	assert_int_equal(ld(&b.fired), 0);
	assert_int_equal(ld(&c.fired), 1);
	assert_int_equal(dk_clock_advance(50 * 1000000ull), 0);
	assert_int_equal(ld(&b.fired), 1);
	assert_int_equal(b.at, 110);
	assert_int_equal(ld(&order_n), 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 3);
	assert_int_equal(order[2], 2);

	/* del_timer: 1 when pending, 0 after. */
	assert_int_equal(mod_timer(&a.t, jiffies + 1), 0);
	assert_int_equal(del_timer(&a.t), 1);
	assert_int_equal(del_timer(&a.t), 0);
	assert_int_equal(dk_clock_advance(5 * 1000000ull), 0);
	assert_int_equal(ld(&a.fired), 1);
	assert_log_count(NULL, 0);
}

static int periodic_runs;
static struct timer_list periodic;

static void periodic_fn(struct timer_list *t)
{
	__atomic_add_fetch(&periodic_runs, 1, __ATOMIC_ACQ_REL);
	mod_timer(t, jiffies + 1);
}

static void periodic_timer_follows_the_clock(void **state)
{
	(void)state;
	st(&periodic_runs, 0);
	timer_setup(&periodic, periodic_fn, 0);
	mod_timer(&periodic, jiffies + 1);
	for (int i = 1; i <= 10; i++) {
		assert_int_equal(dk_clock_advance(1000000), 0);
		assert_int_equal(ld(&periodic_runs), i);
	}
	assert_int_equal(del_timer_sync(&periodic), 1);
	assert_int_equal(dk_clock_advance(5000000), 0);
	assert_int_equal(ld(&periodic_runs), 10);
}

static int slow_hold, slow_inside, slow_done, syncer_done, syncer_saw;
static struct timer_list slow_timer;

static void slow_fn(struct timer_list *t)
{
	st(&slow_inside, 1);
	while (ld(&slow_hold))
		dk_test_yield();
	mod_timer(t, jiffies + 1000);	/* re-arms itself */
	st(&slow_done, 1);
}

static void *syncer(void *arg)
{
	(void)arg;
	del_timer_sync(&slow_timer);
	st(&syncer_saw, ld(&slow_done));
	st(&syncer_done, 1);
	return NULL;
}

static void *advancer(void *arg)
{
	(void)arg;
	dk_clock_advance(1000000);
	return NULL;
}

static void del_timer_sync_waits_for_the_callback(void **state)
{
	pthread_t adv, syn;

	(void)state;
	st(&slow_hold, 1);
	st(&slow_inside, 0);
	st(&slow_done, 0);
	st(&syncer_done, 0);
	timer_setup(&slow_timer, slow_fn, 0);
	mod_timer(&slow_timer, jiffies + 1);
	/* dk_clock_advance blocks while the callback holds: own thread. */
	assert_int_equal(pthread_create(&adv, NULL, advancer, NULL), 0);
	assert_true(DK_WAIT_UNTIL(ld(&slow_inside), 5000));
	assert_false(timer_pending(&slow_timer));
	assert_int_equal(pthread_create(&syn, NULL, syncer, NULL), 0);
	assert_false(DK_WAIT_UNTIL(ld(&syncer_done), 50));
	st(&slow_hold, 0);
	pthread_join(syn, NULL);
	pthread_join(adv, NULL);
	assert_int_equal(ld(&syncer_saw), 1);
	/* The self re-arm was undone too. */
	assert_false(timer_pending(&slow_timer));
}

static int self_sync_runs;

static void self_sync_fn(struct timer_list *t)
{
	del_timer_sync(t);	/* reported, no hang */
	__atomic_add_fetch(&self_sync_runs, 1, __ATOMIC_ACQ_REL);
}

static void del_timer_sync_from_its_callback_is_reported(void **state)
{
	struct timer_list t;

	(void)state;
	st(&self_sync_runs, 0);
	timer_setup(&t, self_sync_fn, 0);
	mod_timer(&t, jiffies + 1);
	assert_int_equal(dk_clock_advance(1000000), 0);
	assert_int_equal(ld(&self_sync_runs), 1);
	assert_log_count("from its own callback would deadlock", 1);
}

static void shutdown_timer_refuses_rearm(void **state)
{
	struct rec_timer a;

	(void)state;
	st(&order_n, 0);
	rec_timer_init(&a, 1);
	mod_timer(&a.t, jiffies + 5);
	assert_int_equal(timer_shutdown_sync(&a.t), 1);
	assert_int_equal(mod_timer(&a.t, jiffies + 1), 0);
	assert_false(timer_pending(&a.t));
	assert_int_equal(dk_clock_advance(10 * 1000000ull), 0);
	assert_int_equal(ld(&a.fired), 0);
	timer_setup(&a.t, timer_fn, 0);		/* setup again: usable */
	mod_timer(&a.t, jiffies + 1);
	assert_int_equal(dk_clock_advance(1000000), 0);
	assert_int_equal(ld(&a.fired), 1);
}

static void realtime_timer_fires(void **state)
{
	struct rec_timer a;
	unsigned long start = jiffies;

	(void)state;
	st(&order_n, 0);
	rec_timer_init(&a, 1);
	mod_timer(&a.t, jiffies + 5);
	assert_true(DK_WAIT_UNTIL(ld(&a.fired) == 1, 5000));
	assert_true(time_after_eq(__atomic_load_n(&a.at, __ATOMIC_ACQUIRE),
				  start + 5));
	assert_int_equal(dk_clock_advance(1), -EINVAL);
	assert_log_count("not manual", 1);
}

static void exit_reports_pending_timers_and_tasklets(void **state)
{
	static struct rec_timer a;
	static struct rec_tasklet r;

	(void)state;
	rec_timer_init(&a, 1);
	mod_timer(&a.t, jiffies + 100);
	rec_init(&r, 1);
	tasklet_disable(&r.t);
	tasklet_schedule(&r.t);
	block_softirq();	/* lets the thread park r */
	unblock_softirq();
	assert_int_equal(machine_down(), 2);
	assert_log_count("still pending at destroy", 1);
	assert_log_count("still scheduled at destroy", 1);
}

/* ---- irq exit: tasklets scheduled by a handler --------------------------- */

struct irq_exit_rec {
	struct tasklet_struct t;
	char thread[16];
	int softirq_ctx, hardirq_ctx, runs;	/* atomic */
};

static struct irq_exit_rec xrec;
static struct rec_tasklet xorder[3];
static int xhandled;	/* atomic */

static void xrec_fn(struct tasklet_struct *t)
{
	struct irq_exit_rec *r = from_tasklet(r, t, t);

	pthread_getname_np(pthread_self(), r->thread, sizeof(r->thread));
	st(&r->softirq_ctx, in_softirq() ? 1 : 0);
	st(&r->hardirq_ctx, in_irq() ? 1 : 0);
	__atomic_add_fetch(&r->runs, 1, __ATOMIC_ACQ_REL);
}

static irqreturn_t sched_handler(int irq, void *dev)
{
	(void)irq;
	tasklet_schedule(dev);
	return IRQ_HANDLED;
}

/* Schedules xorder[1] then xorder[2], behind xorder[0] already queued. */
static irqreturn_t sched_two_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	tasklet_schedule(&xorder[1].t);
	tasklet_schedule(&xorder[2].t);
	st(&xhandled, 1);
	return IRQ_HANDLED;
}

static void handler_tasklet_runs_at_irq_exit(void **state)
{
	(void)state;
	memset(&xrec, 0, sizeof(xrec));
	tasklet_setup(&xrec.t, xrec_fn);
	assert_int_equal(request_irq(40, sched_handler, 0, "sched", &xrec.t),
			 0);
	/*
	 * As Linux's irq_exit(): on the interrupted (hard-IRQ) thread, in
	 * softirq context. The softirq thread may take it instead when it
	 * happens to be awake and checking its queues (just started, say):
	 * that is allowed, so raise again until the hard-IRQ thread ran it,
	 * checking the context every time.
	 */
	for (int i = 1; i <= 100; i++) {
		dk__intc_raise(mach, 40);
		assert_true(DK_WAIT_UNTIL(ld(&xrec.runs) == i, 5000));
		assert_int_equal(ld(&xrec.softirq_ctx), 1);
		assert_int_equal(ld(&xrec.hardirq_ctx), 0);
		if (!strcmp(xrec.thread, "hardirq"))
			break;
		assert_string_equal(xrec.thread, "softirq");
	}
	assert_string_equal(xrec.thread, "hardirq");
	free_irq(40, &xrec.t);
	tasklet_kill(&xrec.t);
}

static void irq_exit_waits_for_the_softirq_threads_item(void **state)
{
	(void)state;
	order_n = 0;
	xhandled = 0;
	for (int i = 0; i < 3; i++)
		rec_init(&xorder[i], i);
	assert_int_equal(request_irq(41, sched_two_handler, 0, "sched2",
				     &xorder), 0);
	block_softirq();		/* the softirq thread runs an item */
	tasklet_schedule(&xorder[0].t);	/* queued behind it */
	dk__intc_raise(mach, 41);
	/* The interrupt is handled, but nothing runs beside the blocker. */
	assert_true(DK_WAIT_UNTIL(ld(&xhandled), 5000));
	msleep(20);
	assert_int_equal(ld(&order_n), 0);
	unblock_softirq();
	assert_true(DK_WAIT_UNTIL(ld(&order_n) == 3, 5000));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ld(&order[i]), i);
		assert_int_equal(ld(&xorder[i].runs), 1);
	}
	free_irq(41, &xorder);
	for (int i = 0; i < 3; i++)
		tasklet_kill(&xorder[i].t);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(tasklets_run_in_order_once_per_schedule),
		T(old_style_tasklet_gets_its_data),
		T(tasklet_may_reschedule_itself),
		T(scheduled_while_running_runs_again_never_concurrently),
		T(disabled_tasklet_runs_on_enable),
		T(kill_drops_disabled_and_stops_rescheduling),
		T(kill_from_the_tasklet_is_reported),
		T(sleeping_in_a_tasklet_is_reported),
		T(bad_timer_calls_are_reported),
		T(timers_fire_exactly_when_the_clock_passes),
		T(periodic_timer_follows_the_clock),
		T(del_timer_sync_waits_for_the_callback),
		T(del_timer_sync_from_its_callback_is_reported),
		T(shutdown_timer_refuses_rearm),
		cmocka_unit_test_setup_teardown(realtime_timer_fires,
						setup_realtime, teardown),
		T(handler_tasklet_runs_at_irq_exit),
		T(irq_exit_waits_for_the_softirq_threads_item),
		T(exit_reports_pending_timers_and_tasklets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
