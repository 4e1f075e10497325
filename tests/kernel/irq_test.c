// SPDX-License-Identifier: MIT
/*
 * irq_test.c - request_irq and the hard-IRQ thread on a partial machine
 * (intc + irq + softirq + workqueue): bad input, delivery and context,
 * edge latching while a handler runs and while disabled, disable nesting,
 * shared vectors, free_irq/synchronize_irq waiting for a running handler,
 * sleeping in a handler, and the leak report at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include "dk_test.h"
#include "irq_machine.h"
#include "hw/internal.h"
#include "kernel/internal.h"

static struct dk_machine *mach;

static int setup(void **state)
{
	(void)state;
	mach = dk_test_irq_machine_up(false);
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

static struct dk_intc_stats stats(unsigned int v)
{
	struct dk_intc_stats st;

	dk__intc_stats(mach, v, &st);
	return st;
}

/* Quiet: nothing pending, nothing in service, nothing running. */
static bool vector_idle(unsigned int v)
{
	struct dk_intc_stats st = stats(v);

	return !st.pending && !st.in_service;
}

/* ---- handlers ------------------------------------------------------------ */

static int calls;		/* atomic */
static int hold;		/* atomic: handler spins while set */
static int inside;		/* atomic: handler is running */
static int ctx_ok;		/* atomic */
static void *seen_dev;

static int ld(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void st(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static irqreturn_t counting_handler(int irq, void *dev)
{
	(void)irq;
	__atomic_add_fetch(&calls, 1, __ATOMIC_ACQ_REL);
	if (in_hardirq() && in_irq() && in_interrupt() && !in_task() &&
	    !in_softirq() && dk_in_atomic())
		st(&ctx_ok, 1);
	__atomic_store_n(&seen_dev, dev, __ATOMIC_RELEASE);
	return IRQ_HANDLED;
}

static irqreturn_t holding_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	st(&inside, 1);
	while (ld(&hold))
		dk_test_yield();
	__atomic_add_fetch(&calls, 1, __ATOMIC_ACQ_REL);
	st(&inside, 0);
	return IRQ_HANDLED;
}

static void reset_counters(void)
{
	st(&calls, 0);
	st(&hold, 0);
	st(&inside, 0);
	st(&ctx_ok, 0);
	__atomic_store_n(&seen_dev, NULL, __ATOMIC_RELEASE);
}

/* ---- bad input ----------------------------------------------------------- */

static void bad_requests_are_refused(void **state)
{
	int dev;
	unsigned int nr = mach->cfg.nr_irqs;

	(void)state;
	assert_int_equal(request_irq(0, counting_handler, 0, "x", &dev),
			 -EINVAL);
	assert_int_equal(request_irq(nr, counting_handler, 0, "x", &dev),
			 -EINVAL);
	assert_int_equal(request_irq(5, NULL, 0, "x", &dev), -EINVAL);
	assert_int_equal(request_irq(5, counting_handler, IRQF_SHARED, "x",
				     NULL),
			 -EINVAL);
	assert_int_equal(request_threaded_irq(5, counting_handler,
					      counting_handler, 0, "x", &dev),
			 -EINVAL);
	assert_log_count("invalid vector", 2);
	assert_log_count("NULL handler", 1);
	assert_log_count("needs a dev_id", 1);
	assert_log_count("threaded", 1);

	assert_int_equal(request_irq(5, counting_handler, 0, "first", &dev),
			 0);
	assert_int_equal(request_irq(5, counting_handler, 0, "second", &dev),
			 -EBUSY);
	assert_int_equal(request_irq(5, counting_handler, IRQF_SHARED,
				     "third", &dev),
			 -EBUSY);
	assert_log_count("busy", 2);
	assert_string_equal(free_irq(5, &dev), "first");

	dk_test_log_clear();
	assert_null(free_irq(5, &dev));
	assert_null(free_irq(0, &dev));
	assert_log_count("already-free IRQ 5", 1);
	assert_log_count("WARNING", 2);

	dk_test_log_clear();
	enable_irq(6);
	assert_log_count("Unbalanced enable for IRQ 6", 1);
	disable_irq(nr);
	enable_irq(0);
	synchronize_irq(nr + 1);
	assert_log_count("invalid vector", 3);
}

/* ---- delivery ------------------------------------------------------------ */

static void handler_runs_in_hardirq_context(void **state)
{
	int dev;

	(void)state;
	reset_counters();
	assert_int_equal(request_irq(33, counting_handler, 0, "basic", &dev),
			 0);
	dk__intc_raise(mach, 33);
	assert_true(DK_WAIT_UNTIL(ld(&calls) == 1, 5000));
	assert_true(DK_WAIT_UNTIL(vector_idle(33), 5000));
	assert_int_equal(ld(&calls), 1);
	assert_int_equal(ld(&ctx_ok), 1);
	assert_ptr_equal(__atomic_load_n(&seen_dev, __ATOMIC_ACQUIRE), &dev);
	/* The caller's thread is not in interrupt context. */
	assert_false(in_interrupt());
	assert_true(in_task());
	assert_string_equal(free_irq(33, &dev), "basic");
	assert_log_count(NULL, 0);
}

static void raise_while_running_delivers_exactly_once_more(void **state)
{
	int dev;

	(void)state;
	reset_counters();
	st(&hold, 1);
	assert_int_equal(request_irq(40, holding_handler, 0, "hold", &dev),
			 0);
	dk__intc_raise(mach, 40);
	assert_true(DK_WAIT_UNTIL(ld(&inside), 5000));
	for (int i = 0; i < 5; i++)
		dk__intc_raise(mach, 40);
	assert_true(stats(40).pending);
	st(&hold, 0);
	assert_true(DK_WAIT_UNTIL(ld(&calls) == 2 && vector_idle(40), 5000));
	assert_int_equal(ld(&calls), 2);
	assert_int_equal(stats(40).raised, 6);
	assert_int_equal(stats(40).delivered, 2);
	free_irq(40, &dev);
}

static void raise_while_disabled_is_delivered_on_enable(void **state)
{
	int dev;

	(void)state;
	reset_counters();
	assert_int_equal(request_irq(41, counting_handler, 0, "dis", &dev),
			 0);
	disable_irq(41);
	disable_irq_nosync(41);		/* depth 2 */
	dk__intc_raise(mach, 41);
	dk__intc_raise(mach, 41);
	dk__intc_raise(mach, 41);
	assert_true(stats(41).pending);
	assert_int_equal(ld(&calls), 0);
	enable_irq(41);			/* depth 1: still masked */
	assert_true(stats(41).masked);
	assert_int_equal(ld(&calls), 0);
	enable_irq(41);
	assert_true(DK_WAIT_UNTIL(ld(&calls) == 1 && vector_idle(41), 5000));
	assert_int_equal(ld(&calls), 1);
	assert_int_equal(stats(41).delivered, 1);
	free_irq(41, &dev);
	assert_log_count(NULL, 0);
}

static void no_autoen_waits_for_enable(void **state)
{
	int dev;

	(void)state;
	reset_counters();
	assert_int_equal(request_irq(42, counting_handler, IRQF_NO_AUTOEN,
				     "noauto", &dev),
			 0);
	dk__intc_raise(mach, 42);
	assert_true(stats(42).pending);
	assert_int_equal(ld(&calls), 0);
	enable_irq(42);
	assert_true(DK_WAIT_UNTIL(ld(&calls) == 1 && vector_idle(42), 5000));
	free_irq(42, &dev);
}

static int shared_a, shared_b;

static irqreturn_t shared_handler(int irq, void *dev)
{
	(void)irq;
	__atomic_add_fetch((int *)dev, 1, __ATOMIC_ACQ_REL);
	return dev == &shared_a ? IRQ_NONE : IRQ_HANDLED;
}

static void shared_vector_calls_every_action(void **state)
{
	(void)state;
	st(&shared_a, 0);
	st(&shared_b, 0);
	assert_int_equal(request_irq(50, shared_handler, IRQF_SHARED, "a",
				     &shared_a),
			 0);
	assert_int_equal(request_irq(50, shared_handler, 0, "not-shared",
				     &shared_b),
			 -EBUSY);
	assert_int_equal(request_irq(50, shared_handler, IRQF_SHARED, "b",
				     &shared_b),
			 0);
	dk__intc_raise(mach, 50);
	assert_true(DK_WAIT_UNTIL(ld(&shared_a) == 1 && ld(&shared_b) == 1 &&
					  vector_idle(50),
				  5000));
	/* Wrong dev_id: reported, nothing removed. */
	dk_test_log_clear();
	assert_null(free_irq(50, &calls));
	assert_log_count("already-free IRQ 50", 1);
	assert_string_equal(free_irq(50, &shared_a), "a");
	dk__intc_raise(mach, 50);
	assert_true(DK_WAIT_UNTIL(ld(&shared_b) == 2 && vector_idle(50),
				  5000));
	assert_int_equal(ld(&shared_a), 1);
	assert_string_equal(free_irq(50, &shared_b), "b");
}

/* ---- waiting for a running handler --------------------------------------- */

static int waiter_done;		/* atomic */
static int waiter_saw_inside;	/* atomic: handler state when wait ended */
static int waiter_op;

static void *waiter(void *arg)
{
	int *dev = arg;

	if (waiter_op == 0)
		free_irq(60, dev);
	else if (waiter_op == 1)
		synchronize_irq(60);
	else
		disable_irq(60);
	st(&waiter_saw_inside, ld(&inside));
	st(&waiter_done, 1);
	return NULL;
}

static void wait_for_running_handler(int op)
{
	static int dev;
	pthread_t t;

	reset_counters();
	st(&waiter_done, 0);
	st(&waiter_saw_inside, -1);
	waiter_op = op;
	st(&hold, 1);
	assert_int_equal(request_irq(60, holding_handler, 0, "wait", &dev),
			 0);
	dk__intc_raise(mach, 60);
	assert_true(DK_WAIT_UNTIL(ld(&inside), 5000));
	assert_int_equal(pthread_create(&t, NULL, waiter, &dev), 0);
	/* The waiter cannot finish while the handler holds. */
	assert_false(DK_WAIT_UNTIL(ld(&waiter_done), 50));
	st(&hold, 0);
	pthread_join(t, NULL);
	assert_int_equal(ld(&waiter_saw_inside), 0);
	assert_int_equal(ld(&calls), 1);
	if (op == 2)
		enable_irq(60);
	if (op != 0)
		assert_string_equal(free_irq(60, &dev), "wait");
}

static void free_irq_waits_for_running_handler(void **state)
{
	(void)state;
	wait_for_running_handler(0);
}

static void synchronize_irq_waits_for_running_handler(void **state)
{
	(void)state;
	wait_for_running_handler(1);
}

static void disable_irq_waits_for_running_handler(void **state)
{
	(void)state;
	wait_for_running_handler(2);
}

/* ---- misuse from a handler ----------------------------------------------- */

static DEFINE_MUTEX(irq_mutex);

static irqreturn_t sleeping_handler(int irq, void *dev)
{
	(void)dev;
	mutex_lock(&irq_mutex);		/* sleeping: reported */
	mutex_unlock(&irq_mutex);
	disable_irq(irq);		/* own irq: reported, no deadlock */
	enable_irq(irq);
	__atomic_add_fetch(&calls, 1, __ATOMIC_ACQ_REL);
	return IRQ_HANDLED;
}

static void sleeping_in_a_handler_is_reported(void **state)
{
	int dev;

	(void)state;
	reset_counters();
	assert_int_equal(request_irq(61, sleeping_handler, 0, "sleepy", &dev),
			 0);
	dk__intc_raise(mach, 61);
	assert_true(DK_WAIT_UNTIL(ld(&calls) == 1 && vector_idle(61), 5000));
	assert_log_count("BUG: sleeping function called from invalid context",
			 1);
	assert_log_count("would deadlock", 1);
	free_irq(61, &dev);
}

static void interrupt_without_handler_is_reported_once(void **state)
{
	(void)state;
	dk__intc_raise(mach, 70);
	assert_true(DK_WAIT_UNTIL(stats(70).delivered == 1 && vector_idle(70),
				  5000));
	dk__intc_raise(mach, 70);
	assert_true(DK_WAIT_UNTIL(stats(70).delivered == 2 && vector_idle(70),
				  5000));
	assert_log_count("irq 70: interrupt with no handler", 1);
}

/*
 * A message the device sent before its driver quieted it and freed the
 * vector (still latched because the hard-IRQ thread was busy) goes away
 * with the handler, as on Linux: no "no handler" report. A later
 * request_irq() gets it (a spurious call the handler may ignore).
 */
static void message_latched_before_free_irq_is_dropped_quietly(void **state)
{
	int a, b;

	(void)state;
	reset_counters();
	st(&hold, 1);
	assert_int_equal(request_irq(62, holding_handler, 0, "busy", &a), 0);
	assert_int_equal(request_irq(63, counting_handler, 0, "late", &b), 0);
	dk__intc_raise(mach, 62);
	assert_true(DK_WAIT_UNTIL(ld(&inside), 5000));
	dk__intc_raise(mach, 63);
	assert_true(stats(63).pending);
	assert_string_equal(free_irq(63, &b), "late");
	st(&hold, 0);
	assert_true(DK_WAIT_UNTIL(ld(&calls) == 1 && vector_idle(62), 5000));
	/* Masked with the line shut down: latched, not delivered. */
	assert_true(stats(63).pending);
	assert_int_equal(stats(63).delivered, 0);
	assert_log_count("no handler", 0);
	assert_int_equal(request_irq(63, counting_handler, 0, "again", &b), 0);
	assert_true(DK_WAIT_UNTIL(ld(&calls) == 2 && vector_idle(63), 5000));
	assert_string_equal(free_irq(63, &b), "again");
	assert_string_equal(free_irq(62, &a), "busy");
}

/* ---- leaks --------------------------------------------------------------- */

static void exit_reports_every_requested_irq(void **state)
{
	static int a, b, c;

	(void)state;
	assert_int_equal(request_irq(80, counting_handler, 0, "leak1", &a),
			 0);
	assert_int_equal(request_irq(81, counting_handler, IRQF_SHARED,
				     "leak2", &b),
			 0);
	assert_int_equal(request_irq(81, counting_handler, IRQF_SHARED,
				     "leak3", &c),
			 0);
	assert_int_equal(machine_down(), 3);
	assert_log_count("still requested", 3);
	assert_log_count("leak2", 1);
}

static void stress_many_raises(void **state)
{
	int dev;
	unsigned int n = 2000 * dk_test_stress();

	(void)state;
	reset_counters();
	assert_int_equal(request_irq(90, counting_handler, 0, "stress", &dev),
			 0);
	for (unsigned int i = 0; i < n; i++)
		dk__intc_raise(mach, 90);
	assert_true(DK_WAIT_UNTIL(vector_idle(90), 10000));
	/* Every raise either delivered or merged into a latch. */
	assert_int_equal(stats(90).raised, n);
	assert_int_equal((unsigned int)ld(&calls), stats(90).delivered);
	assert_true(ld(&calls) >= 1);
	free_irq(90, &dev);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(bad_requests_are_refused),
		T(handler_runs_in_hardirq_context),
		T(raise_while_running_delivers_exactly_once_more),
		T(raise_while_disabled_is_delivered_on_enable),
		T(no_autoen_waits_for_enable),
		T(shared_vector_calls_every_action),
		T(free_irq_waits_for_running_handler),
		T(synchronize_irq_waits_for_running_handler),
		T(disable_irq_waits_for_running_handler),
		T(sleeping_in_a_handler_is_reported),
		T(interrupt_without_handler_is_reported_once),
		T(message_latched_before_free_irq_is_dropped_quietly),
		T(stress_many_raises),
		T(exit_reports_every_requested_irq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
