/* SPDX-License-Identifier: MIT */
/*
 * linux/spinlock.h - spinlock_t.
 *
 * Differs from Linux: an adaptive lock (spins briefly, then sleeps), because
 * on a 2-core host a preempted holder must not leave its waiter spinning for
 * a whole timeslice. The _irqsave/_bh variants exist for source
 * compatibility; "interrupts" here are threads, so they only take the lock.
 * While a spinlock is held the thread is in atomic context: might_sleep()
 * reports a sleep there.
 */
#ifndef DMAKIT_LINUX_SPINLOCK_H
#define DMAKIT_LINUX_SPINLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <dmakit/api.h>

typedef struct spinlock {
	pthread_mutex_t m;
	unsigned long owner;	/* pthread_self() of the holder; atomic */
} spinlock_t;

#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
#define DK__ADAPTIVE_INIT PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
#else
#define DK__ADAPTIVE_INIT PTHREAD_MUTEX_INITIALIZER	/* no _GNU_SOURCE */
#endif
#define __SPIN_LOCK_UNLOCKED(name) { .m = DK__ADAPTIVE_INIT, .owner = 0 }
#define DEFINE_SPINLOCK(name) spinlock_t name = __SPIN_LOCK_UNLOCKED(name)

DK_API void spin_lock_init(spinlock_t *l);
DK_API void spin_lock(spinlock_t *l);
DK_API void spin_unlock(spinlock_t *l);
DK_API int spin_trylock(spinlock_t *l);
DK_API bool dk_spin_is_held(spinlock_t *l);

#define spin_lock_irqsave(l, flags)                                          \
	do {                                                                 \
		(flags) = 0;                                                 \
		spin_lock(l);                                                \
	} while (0)
#define spin_unlock_irqrestore(l, flags)                                     \
	do {                                                                 \
		(void)(flags);                                               \
		spin_unlock(l);                                              \
	} while (0)
#define spin_lock_irq(l)	spin_lock(l)
#define spin_unlock_irq(l)	spin_unlock(l)
#define spin_lock_bh(l)		spin_lock(l)
#define spin_unlock_bh(l)	spin_unlock(l)

/* Context checks (kept on in every build). */
DK_API void dk_might_sleep(const char *file, int line);
#define might_sleep() dk_might_sleep(__FILE__, __LINE__)

/* True in hard-IRQ, tasklet or timer context, or under a spinlock. */
DK_API bool dk_in_atomic(void);

#endif
