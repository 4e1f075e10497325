/* SPDX-License-Identifier: MIT */
/*
 * linux/mutex.h - sleeping locks, and lockdep_assert_held() for both lock
 * kinds.
 */
#ifndef DMAKIT_LINUX_MUTEX_H
#define DMAKIT_LINUX_MUTEX_H

#include <pthread.h>
#include <stdbool.h>
#include <dmakit/api.h>
#include <linux/spinlock.h>

struct mutex {
	pthread_mutex_t m;
	unsigned long owner;	/* pthread_self() of the holder; atomic */
};

#define __MUTEX_INITIALIZER(name)                                            \
	{ .m = PTHREAD_MUTEX_INITIALIZER, .owner = 0 }
#define DEFINE_MUTEX(name) struct mutex name = __MUTEX_INITIALIZER(name)

DK_API void mutex_init(struct mutex *l);
DK_API void mutex_destroy(struct mutex *l);
/* Context: process; reports a call from atomic context (might_sleep). */
DK_API void mutex_lock(struct mutex *l);
DK_API void mutex_unlock(struct mutex *l);
DK_API int mutex_trylock(struct mutex *l);
DK_API bool mutex_is_locked(struct mutex *l);
DK_API bool dk_mutex_is_held(struct mutex *l);

DK_API void dk_lock_not_held(const char *what, const char *file, int line);

/* Reports (through the log, then aborts) when the caller does not hold @l. */
#define lockdep_assert_held(l)                                               \
	do {                                                                 \
		if (!_Generic((l), spinlock_t *: dk_spin_is_held,            \
			      struct mutex *: dk_mutex_is_held)(l))          \
			dk_lock_not_held(#l, __FILE__, __LINE__);            \
	} while (0)

#endif
