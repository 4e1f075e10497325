// SPDX-License-Identifier: MIT
/*
 * completion_test.c - completions and delays: counting, complete_all,
 * timeouts (real time even with a manual machine clock), waking a waiter
 * from another thread and from a hard-IRQ handler, try/done, and the
 * might_sleep reports of sleeping waits from atomic context.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include "dk_test.h"
#include "irq_machine.h"
#include "hw/internal.h"
#include "kernel/internal.h"

static struct dk_machine *mach;

static int setup(void **state)
{
	(void)state;
	/* A manual clock: waits must not depend on it. */
	mach = dk_test_irq_machine_up(true);
	return mach ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(dk_test_irq_machine_down(mach), 0);
	dk_test_log_release();
	return 0;
}

static DECLARE_COMPLETION(static_done);

static void counting_and_try_wait(void **state)
{
	DECLARE_COMPLETION_ONSTACK(c);

	(void)state;
	assert_false(completion_done(&c));
	assert_false(try_wait_for_completion(&c));
	complete(&c);
	complete(&c);
	complete(&c);
	assert_true(completion_done(&c));
	wait_for_completion(&c);	/* consumes one */
	assert_true(try_wait_for_completion(&c));
	assert_true(try_wait_for_completion(&c));
	assert_false(try_wait_for_completion(&c));
	assert_false(completion_done(&c));

	complete_all(&c);
	for (int i = 0; i < 5; i++)
		assert_true(try_wait_for_completion(&c));
	wait_for_completion(&c);
	assert_true(completion_done(&c));
	reinit_completion(&c);
	assert_false(completion_done(&c));

	complete(&static_done);
	assert_int_equal(wait_for_completion_interruptible(&static_done), 0);
	init_completion(&static_done);
	assert_false(completion_done(&static_done));
	assert_log_count(NULL, 0);
}

static void timeout_uses_real_time(void **state)
{
	struct completion c;
	uint64_t t0;
	unsigned long left;

	(void)state;
	init_completion(&c);
	t0 = dk__host_ns();
	assert_int_equal(wait_for_completion_timeout(&c, 20), 0);
	assert_true(dk__host_ns() - t0 >= 20 * 1000000ull);
	assert_int_equal(dk_clock_ns(), 0);	/* manual clock untouched */
	assert_int_equal(wait_for_completion_timeout(&c, 0), 0);

	complete(&c);
	left = wait_for_completion_timeout(&c, 5000);
	assert_true(left >= 1 && left <= 5000);
	complete(&c);
	assert_int_equal(wait_for_completion_timeout(&c, 0), 1);
	complete(&c);
	assert_true(wait_for_completion_interruptible_timeout(&c, 10) >= 1);
}

static struct completion cross;
static int waiters_done;

static void *waiter(void *arg)
{
	(void)arg;
	wait_for_completion(&cross);
	__atomic_add_fetch(&waiters_done, 1, __ATOMIC_ACQ_REL);
	return NULL;
}

static void complete_all_wakes_every_waiter(void **state)
{
	pthread_t t[4];

	(void)state;
	init_completion(&cross);
	__atomic_store_n(&waiters_done, 0, __ATOMIC_RELEASE);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, waiter, NULL), 0);
	complete(&cross);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&waiters_done,
						  __ATOMIC_ACQUIRE) == 1,
				  5000));
	complete_all(&cross);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(waiters_done, 4);
}

static irqreturn_t completing_handler(int irq, void *dev)
{
	(void)irq;
	complete(dev);		/* allowed in hard-IRQ context */
	return IRQ_HANDLED;
}

static void handler_completes_a_waiter(void **state)
{
	struct completion c;

	(void)state;
	init_completion(&c);
	assert_int_equal(request_irq(20, completing_handler, 0, "done", &c),
			 0);
	dk__intc_raise(mach, 20);
	assert_true(wait_for_completion_timeout(&c, 5000) >= 1);
	free_irq(20, &c);
	assert_log_count(NULL, 0);
}

static int tl_ran;

static void waiting_tasklet(struct tasklet_struct *t)
{
	static struct completion c;

	(void)t;
	init_completion(&c);
	complete(&c);
	wait_for_completion(&c);	/* does not block; still reported */
	udelay(1);			/* busy: fine */
	__atomic_store_n(&tl_ran, 1, __ATOMIC_RELEASE);
}

static void sleeping_waits_in_atomic_context_are_reported(void **state)
{
	struct tasklet_struct t;
	DEFINE_SPINLOCK(lock);

	(void)state;
	tasklet_setup(&t, waiting_tasklet);
	tasklet_schedule(&t);
	tasklet_kill(&t);
	assert_int_equal(__atomic_load_n(&tl_ran, __ATOMIC_ACQUIRE), 1);
	assert_log_count("BUG: sleeping function called from invalid context",
			 1);
	dk_test_log_clear();

	spin_lock(&lock);
	msleep(1);
	usleep_range(10, 20);
	mdelay(0);
	ndelay(10);
	spin_unlock(&lock);
	assert_log_count("BUG: sleeping function called from invalid context",
			 2);
	dk_test_log_clear();
	msleep(1);
	ssleep(0);
	fsleep(1);
	assert_int_equal(msleep_interruptible(1), 0);
	assert_log_count(NULL, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(counting_and_try_wait),
		T(timeout_uses_real_time),
		T(complete_all_wakes_every_waiter),
		T(handler_completes_a_waiter),
		T(sleeping_waits_in_atomic_context_are_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
