// SPDX-License-Identifier: MIT
/*
 * completion.c - completions (linux/completion.h) and delays and sleeps
 * (linux/delay.h).
 *
 * A completion is a counter; its waiters sleep on one of a few hashed
 * wait buckets (a mutex and a CLOCK_MONOTONIC condition variable each),
 * so a completion needs no constructor beyond a zero and no destructor,
 * and complete() never touches the completion after the waiter could have
 * returned and freed it. Timed waits use host real time, never the manual
 * machine clock, so a manual clock cannot hang a waiter.
 *
 * LOCKING: a completion's done field is read and written under its
 * bucket's lock; complete() broadcasts the bucket (several completions may
 * share one).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/spinlock.h>
#include "core/internal.h"

#define NR_BUCKETS 64

struct wait_bucket {
	pthread_mutex_t lock;
	pthread_cond_t cond;
} __attribute__((aligned(64)));

static struct wait_bucket buckets[NR_BUCKETS];
static pthread_once_t buckets_once = PTHREAD_ONCE_INIT;

static void buckets_init(void)
{
	for (int i = 0; i < NR_BUCKETS; i++) {
		pthread_mutex_init(&buckets[i].lock, NULL);
		dk__cond_init(&buckets[i].cond);
	}
}

static struct wait_bucket *bucket_of(const struct completion *x)
{
	uintptr_t p = (uintptr_t)x;

	pthread_once(&buckets_once, buckets_init);
	p ^= p >> 17;
	p *= 0x9e3779b97f4a7c15ull;
	return &buckets[(p >> 32) % NR_BUCKETS];
}

void init_completion(struct completion *x)
{
	struct wait_bucket *b = bucket_of(x);

	pthread_mutex_lock(&b->lock);
	x->done = 0;
	pthread_mutex_unlock(&b->lock);
}

void reinit_completion(struct completion *x)
{
	init_completion(x);
}

void complete(struct completion *x)
{
	struct wait_bucket *b = bucket_of(x);

	pthread_mutex_lock(&b->lock);
	if (x->done != UINT_MAX)
		x->done++;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

void complete_all(struct completion *x)
{
	struct wait_bucket *b = bucket_of(x);

	pthread_mutex_lock(&b->lock);
	x->done = UINT_MAX;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

static struct timespec ns_to_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ull),
		.tv_nsec = (long)(ns % 1000000000ull),
	};
	return ts;
}

/*
 * Wait for @x for at most @timeout jiffies of real time (forever for
 * MAX_SCHEDULE_TIMEOUT). Returns the jiffies left (>= 1) or 0.
 */
static unsigned long completion_wait(struct completion *x,
				     unsigned long timeout)
{
	struct wait_bucket *b = bucket_of(x);
	bool forever = timeout >= (unsigned long)MAX_SCHEDULE_TIMEOUT;
	uint64_t start = dk__host_ns();
	uint64_t end = start + (uint64_t)timeout * 1000000ull;
	unsigned long left = timeout ? timeout : 1;
	struct timespec ts = ns_to_ts(end);

	pthread_mutex_lock(&b->lock);
	while (!x->done) {
		if (forever) {
			pthread_cond_wait(&b->cond, &b->lock);
		} else if (pthread_cond_timedwait(&b->cond, &b->lock, &ts) ==
				   ETIMEDOUT && !x->done) {
			pthread_mutex_unlock(&b->lock);
			return 0;
		}
	}
	if (x->done != UINT_MAX)
		x->done--;
	pthread_mutex_unlock(&b->lock);
	if (!forever) {
		uint64_t now = dk__host_ns();
		uint64_t rem = now < end ? (end - now) / 1000000ull : 0;

		left = rem ? (unsigned long)rem : 1;
	}
	return left;
}

void wait_for_completion(struct completion *x)
{
	might_sleep();
	completion_wait(x, MAX_SCHEDULE_TIMEOUT);
}

unsigned long wait_for_completion_timeout(struct completion *x,
					  unsigned long timeout)
{
	might_sleep();
	return completion_wait(x, timeout);
}

int wait_for_completion_interruptible(struct completion *x)
{
	might_sleep();
	completion_wait(x, MAX_SCHEDULE_TIMEOUT);
	return 0;
}

int wait_for_completion_killable(struct completion *x)
{
	might_sleep();
	completion_wait(x, MAX_SCHEDULE_TIMEOUT);
	return 0;
}

long wait_for_completion_interruptible_timeout(struct completion *x,
					       unsigned long timeout)
{
	might_sleep();
	return (long)completion_wait(x, timeout);
}

long wait_for_completion_killable_timeout(struct completion *x,
					  unsigned long timeout)
{
	might_sleep();
	return (long)completion_wait(x, timeout);
}

bool try_wait_for_completion(struct completion *x)
{
	struct wait_bucket *b = bucket_of(x);
	bool ret = false;

	pthread_mutex_lock(&b->lock);
	if (x->done) {
		if (x->done != UINT_MAX)
			x->done--;
		ret = true;
	}
	pthread_mutex_unlock(&b->lock);
	return ret;
}

bool completion_done(struct completion *x)
{
	struct wait_bucket *b = bucket_of(x);
	bool ret;

	pthread_mutex_lock(&b->lock);
	ret = x->done != 0;
	pthread_mutex_unlock(&b->lock);
	return ret;
}

/* ---- delays -------------------------------------------------------------- */

static void busy_wait_ns(uint64_t ns)
{
	uint64_t end = dk__host_ns() + ns;

	while (dk__host_ns() < end) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
}

void ndelay(unsigned long ns)
{
	busy_wait_ns(ns);
}

void udelay(unsigned long us)
{
	busy_wait_ns((uint64_t)us * 1000ull);
}

void mdelay(unsigned long ms)
{
	busy_wait_ns((uint64_t)ms * 1000000ull);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = ns_to_ts(dk__host_ns() + ns);

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

void msleep(unsigned int ms)
{
	might_sleep();
	sleep_ns((uint64_t)ms * 1000000ull);
}

unsigned long msleep_interruptible(unsigned int ms)
{
	msleep(ms);
	return 0;
}

void usleep_range(unsigned long min, unsigned long max)
{
	(void)max;
	might_sleep();
	sleep_ns((uint64_t)min * 1000ull);
}

void ssleep(unsigned int s)
{
	might_sleep();
	sleep_ns((uint64_t)s * 1000000000ull);
}

void fsleep(unsigned long us)
{
	might_sleep();
	sleep_ns((uint64_t)us * 1000ull);
}
