// SPDX-License-Identifier: MIT
/*
 * locking.c - spinlock_t and struct mutex (linux/spinlock.h, linux/mutex.h),
 * execution-context tracking (hard IRQ, softirq, spinlock held) and the
 * checks built on it: might_sleep(), lockdep_assert_held().
 *
 * The context of a thread lives in initial-exec TLS: a spinlock depth and
 * hard-IRQ / softirq depths set by the threads that run handlers. A thread
 * is in atomic context while any of them is non-zero.
 *
 * LOCKING: each lock's owner field is written by its holder only (after
 * taking, before releasing) and read atomically by anyone; the TLS depths
 * belong to their thread.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include "core/internal.h"
#include "kernel/internal.h"

#define DK_TLS __thread __attribute__((tls_model("initial-exec")))

static DK_TLS int tls_spin_depth;	/* spinlocks held */
static DK_TLS int tls_hardirq;		/* inside a hard-IRQ handler */
static DK_TLS int tls_softirq;		/* inside a tasklet or timer */

static unsigned long self_id(void)
{
	return (unsigned long)pthread_self();
}

/* ---- execution contexts -------------------------------------------------- */

void dk__context_enter(enum dk_context ctx)
{
	if (ctx == DK_CTX_HARDIRQ)
		tls_hardirq++;
	else if (ctx == DK_CTX_SOFTIRQ)
		tls_softirq++;
}

void dk__context_exit(enum dk_context ctx)
{
	if (ctx == DK_CTX_HARDIRQ) {
		DK_ASSERT(tls_hardirq > 0);
		tls_hardirq--;
	} else if (ctx == DK_CTX_SOFTIRQ) {
		DK_ASSERT(tls_softirq > 0);
		tls_softirq--;
	}
}

enum dk_context dk__context(void)
{
	if (tls_hardirq)
		return DK_CTX_HARDIRQ;
	if (tls_softirq)
		return DK_CTX_SOFTIRQ;
	return DK_CTX_PROCESS;
}

/**
 * dk_in_hardirq() - true inside a hard-IRQ handler
 *
 * Context: any. Return: whether the caller runs a request_irq() handler.
 */
bool dk_in_hardirq(void)
{
	return tls_hardirq > 0;
}

/**
 * dk_in_serving_softirq() - true inside a tasklet or timer callback
 *
 * Context: any.
 */
bool dk_in_serving_softirq(void)
{
	return tls_softirq > 0;
}

/**
 * dk_in_atomic() - true where sleeping is forbidden
 *
 * Context: any. Return: true in hard-IRQ, tasklet or timer context, or while
 * the caller holds a spinlock.
 */
bool dk_in_atomic(void)
{
	return tls_spin_depth > 0 || tls_hardirq > 0 || tls_softirq > 0;
}

/**
 * dk_might_sleep() - report a sleeping call from atomic context
 * @file: caller's file (might_sleep() passes __FILE__)
 * @line: caller's line
 *
 * Every offending call makes one report through the log; the program goes
 * on (the sleep itself still happens, as in Linux).
 * Context: any.
 */
void dk_might_sleep(const char *file, int line)
{
	char name[16] = "?";

	if (!dk_in_atomic())
		return;
	pthread_getname_np(pthread_self(), name, sizeof(name));
	dk_log(DK_LOG_ERR,
	       "BUG: sleeping function called from invalid context at %s:%d "
	       "(in_atomic(): spinlocks %d, hardirq %d, softirq %d; thread %s)",
	       file, line, tls_spin_depth, tls_hardirq, tls_softirq, name);
}

/* ---- spinlock_t ---------------------------------------------------------- */

/**
 * spin_lock_init() - initialise an adaptive lock
 * @l: the lock
 * Context: any.
 */
void spin_lock_init(spinlock_t *l)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&l->m, &a);
	pthread_mutexattr_destroy(&a);
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
}

/**
 * spin_lock() - take @l; the caller is in atomic context until unlock
 * @l: the lock
 *
 * Taking a lock the caller already holds is reported (it would deadlock)
 * and the call returns without taking it.
 * Context: any.
 */
void spin_lock(spinlock_t *l)
{
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == self_id()) {
		dk_log(DK_LOG_ERR, "BUG: spinlock recursion on %p", (void *)l);
		return;
	}
	pthread_mutex_lock(&l->m);
	__atomic_store_n(&l->owner, self_id(), __ATOMIC_RELAXED);
	tls_spin_depth++;
}

/**
 * spin_trylock() - take @l if free
 * @l: the lock
 * Context: any. Return: 1 if taken, 0 if not.
 */
int spin_trylock(spinlock_t *l)
{
	if (pthread_mutex_trylock(&l->m))
		return 0;
	__atomic_store_n(&l->owner, self_id(), __ATOMIC_RELAXED);
	tls_spin_depth++;
	return 1;
}

/**
 * spin_unlock() - release @l
 * @l: the lock, held by the caller (else reported and left alone)
 * Context: any.
 */
void spin_unlock(spinlock_t *l)
{
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) != self_id()) {
		dk_log(DK_LOG_ERR,
		       "BUG: spin_unlock of %p, which the caller does not hold",
		       (void *)l);
		return;
	}
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	tls_spin_depth--;
	pthread_mutex_unlock(&l->m);
}

/**
 * dk_spin_is_held() - true if the calling thread holds @l
 * @l: the lock
 * Context: any.
 */
bool dk_spin_is_held(spinlock_t *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == self_id();
}

/* ---- struct mutex -------------------------------------------------------- */

/**
 * mutex_init() - initialise a sleeping lock
 * @l: the lock
 * Context: any.
 */
void mutex_init(struct mutex *l)
{
	pthread_mutex_init(&l->m, NULL);
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
}

/**
 * mutex_destroy() - check that @l is free and release it
 * @l: the lock; destroying a held mutex is reported
 * Context: process.
 */
void mutex_destroy(struct mutex *l)
{
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED)) {
		dk_log(DK_LOG_ERR, "BUG: mutex_destroy of held mutex %p",
		       (void *)l);
		return;
	}
	pthread_mutex_destroy(&l->m);
}

/**
 * mutex_lock() - take @l, sleeping while another thread holds it
 * @l: the lock
 *
 * A call from atomic context is reported (might_sleep); taking a mutex the
 * caller holds is reported and returns without taking it.
 * Context: process.
 */
void mutex_lock(struct mutex *l)
{
	might_sleep();
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == self_id()) {
		dk_log(DK_LOG_ERR, "BUG: mutex_lock recursion on %p",
		       (void *)l);
		return;
	}
	pthread_mutex_lock(&l->m);
	__atomic_store_n(&l->owner, self_id(), __ATOMIC_RELAXED);
}

/**
 * mutex_trylock() - take @l if free
 * @l: the lock
 * Context: any. Return: 1 if taken, 0 if not.
 */
int mutex_trylock(struct mutex *l)
{
	if (pthread_mutex_trylock(&l->m))
		return 0;
	__atomic_store_n(&l->owner, self_id(), __ATOMIC_RELAXED);
	return 1;
}

/**
 * mutex_unlock() - release @l
 * @l: the lock, held by the caller (else reported and left alone)
 * Context: process.
 */
void mutex_unlock(struct mutex *l)
{
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) != self_id()) {
		dk_log(DK_LOG_ERR,
		       "BUG: mutex_unlock of %p, which the caller does not hold",
		       (void *)l);
		return;
	}
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&l->m);
}

/**
 * mutex_is_locked() - true if anyone holds @l
 * @l: the lock
 * Context: any.
 */
bool mutex_is_locked(struct mutex *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) != 0;
}

/**
 * dk_mutex_is_held() - true if the calling thread holds @l
 * @l: the lock
 * Context: any.
 */
bool dk_mutex_is_held(struct mutex *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == self_id();
}

/**
 * dk_lock_not_held() - a lockdep_assert_held() failed: report and abort
 * @what: the lock expression
 * @file: where the assertion is
 * @line: its line
 *
 * A lock-held assertion is an invariant of the calling code: the report
 * goes through the log, then the program aborts.
 * Context: any.
 */
void dk_lock_not_held(const char *what, const char *file, int line)
{
	dk_log(DK_LOG_ERR, "BUG: lock %s not held at %s:%d (lockdep_assert_held)",
	       what, file, line);
	abort();
}
