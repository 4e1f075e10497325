// SPDX-License-Identifier: MIT
/*
 * locking_test.c - spinlock_t, struct mutex, context tracking and its
 * checks: atomic context under a spinlock and in IRQ/softirq context,
 * might_sleep reports (exactly one per offending call, with file:line),
 * misuse reports, lockdep_assert_held passing and aborting, and mutual
 * exclusion under contention.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include "dk_test.h"
#include "kernel/internal.h"

static int setup(void **state)
{
	(void)state;
	dk_test_log_capture();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dk_test_log_release();
	return 0;
}

static void misuse_is_reported_not_fatal(void **state)
{
	DEFINE_SPINLOCK(s);
	DEFINE_MUTEX(mx);

	(void)state;
	spin_unlock(&s);
	assert_log_count("spin_unlock of", 1);
	mutex_unlock(&mx);
	assert_log_count("mutex_unlock of", 1);
	spin_lock(&s);
	spin_lock(&s);		/* recursion: reported, not taken */
	assert_log_count("spinlock recursion", 1);
	spin_unlock(&s);
	assert_false(dk_spin_is_held(&s));
	mutex_lock(&mx);
	mutex_lock(&mx);
	assert_log_count("mutex_lock recursion", 1);
	mutex_destroy(&mx);
	assert_log_count("mutex_destroy of held mutex", 1);
	mutex_unlock(&mx);
	mutex_destroy(&mx);
	assert_false(dk_in_atomic());
}

static void spinlock_makes_atomic_context(void **state)
{
	spinlock_t a, b;
	unsigned long flags;

	(void)state;
	spin_lock_init(&a);
	spin_lock_init(&b);
	assert_false(dk_in_atomic());
	might_sleep();
	assert_log_count(NULL, 0);

	spin_lock(&a);
	assert_true(dk_in_atomic());
	assert_true(dk_spin_is_held(&a));
	assert_false(dk_spin_is_held(&b));
	lockdep_assert_held(&a);
	spin_lock_irqsave(&b, flags);
	might_sleep();
	spin_unlock_irqrestore(&b, flags);
	assert_true(dk_in_atomic());
	spin_unlock(&a);
	assert_false(dk_in_atomic());
	assert_log_count("BUG: sleeping function called from invalid context at", 1);
	assert_log_count("locking_test.c:", 1);

	assert_int_equal(spin_trylock(&a), 1);
	assert_true(dk_in_atomic());
	spin_unlock(&a);
	spin_lock_bh(&a);
	spin_unlock_bh(&a);
	spin_lock_irq(&a);
	spin_unlock_irq(&a);
	assert_false(dk_in_atomic());
}

static void mutex_lock_under_spinlock_is_reported(void **state)
{
	DEFINE_SPINLOCK(s);
	struct mutex mx;

	(void)state;
	mutex_init(&mx);
	assert_false(mutex_is_locked(&mx));
	mutex_lock(&mx);
	assert_true(mutex_is_locked(&mx));
	assert_true(dk_mutex_is_held(&mx));
	lockdep_assert_held(&mx);
	assert_false(dk_in_atomic());	/* a mutex is not atomic */
	mutex_unlock(&mx);
	assert_log_count(NULL, 0);

	spin_lock(&s);
	mutex_lock(&mx);		/* one report */
	mutex_unlock(&mx);
	spin_unlock(&s);
	assert_log_count("BUG: sleeping function called from invalid context",
			 1);
	assert_int_equal(mutex_trylock(&mx), 1);
	mutex_unlock(&mx);
	mutex_destroy(&mx);
}

static void context_tracking(void **state)
{
	(void)state;
	assert_int_equal(dk__context(), DK_CTX_PROCESS);
	assert_true(in_task());
	dk__context_enter(DK_CTX_SOFTIRQ);
	assert_int_equal(dk__context(), DK_CTX_SOFTIRQ);
	assert_true(in_serving_softirq());
	assert_true(dk_in_atomic());
	dk__context_enter(DK_CTX_HARDIRQ);
	assert_int_equal(dk__context(), DK_CTX_HARDIRQ);
	assert_true(in_irq());
	might_sleep();
	dk__context_exit(DK_CTX_HARDIRQ);
	dk__context_exit(DK_CTX_SOFTIRQ);
	assert_false(in_interrupt());
	assert_false(dk_in_atomic());
	assert_log_count("hardirq 1, softirq 1", 1);
}

static void lockdep_assert_held_aborts_when_not_held(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	dk_test_log_release();	/* the child reports on stderr */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		DEFINE_SPINLOCK(s);
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		lockdep_assert_held(&s);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	dk_test_log_capture();
}

static DEFINE_SPINLOCK(counter_lock);
static DEFINE_MUTEX(counter_mutex);
static unsigned long counter;	/* under counter_lock or counter_mutex */

static void *contender(void *arg)
{
	unsigned int n = 20000 * dk_test_stress();
	bool use_mutex = arg != NULL;

	for (unsigned int i = 0; i < n; i++) {
		if (use_mutex) {
			mutex_lock(&counter_mutex);
			counter++;
			mutex_unlock(&counter_mutex);
		} else {
			spin_lock(&counter_lock);
			counter++;
			spin_unlock(&counter_lock);
		}
	}
	return NULL;
}

static void locks_exclude_under_contention(void **state)
{
	pthread_t t[3];
	unsigned long n = 20000ul * dk_test_stress();

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		counter = 0;
		for (int i = 0; i < 3; i++)
			assert_int_equal(
				pthread_create(&t[i], NULL, contender,
					       pass ? (void *)1 : NULL),
				0);
		for (int i = 0; i < 3; i++)
			pthread_join(t[i], NULL);
		assert_int_equal(counter, 3 * n);
	}
	assert_log_count(NULL, 0);
}

static DEFINE_SPINLOCK(held_lock);
static int try_result = -1;

static void *trier(void *arg)
{
	(void)arg;
	__atomic_store_n(&try_result, spin_trylock(&held_lock),
			 __ATOMIC_RELEASE);
	if (__atomic_load_n(&try_result, __ATOMIC_ACQUIRE))
		spin_unlock(&held_lock);
	return NULL;
}

static void trylock_fails_while_another_thread_holds(void **state)
{
	pthread_t t;

	(void)state;
	spin_lock(&held_lock);
	assert_int_equal(pthread_create(&t, NULL, trier, NULL), 0);
	pthread_join(t, NULL);
	assert_int_equal(try_result, 0);
	spin_unlock(&held_lock);
	assert_int_equal(pthread_create(&t, NULL, trier, NULL), 0);
	pthread_join(t, NULL);
	assert_int_equal(try_result, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(misuse_is_reported_not_fatal),
		T(spinlock_makes_atomic_context),
		T(mutex_lock_under_spinlock_is_reported),
		T(context_tracking),
		T(lockdep_assert_held_aborts_when_not_held),
		T(locks_exclude_under_contention),
		T(trylock_fails_while_another_thread_holds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
