/* SPDX-License-Identifier: MIT */
/*
 * linux/completion.h - one-shot (or counted) events a thread waits for.
 *
 * A completion is only a counter: waiters sleep on a small hashed table of
 * condition variables inside the library, so a completion needs no
 * destructor and may live on the stack, statically or in freed memory
 * right after its waiter returned, as in Linux.
 *
 * Differs from Linux: timed waits use host real time even when the machine
 * clock is manual (a manual clock never hangs a waiter); "interruptible"
 * and "killable" waits are plain waits (no signals) and return 0.
 */
#ifndef DMAKIT_LINUX_COMPLETION_H
#define DMAKIT_LINUX_COMPLETION_H

#include <stdbool.h>
#include <dmakit/api.h>
#include <linux/jiffies.h>

/**
 * struct completion - an event count
 * @done: completions not yet consumed; UINT_MAX after complete_all().
 *        Protected by the library's wait-table lock; use the functions.
 */
struct completion {
	unsigned int done;
};

#define COMPLETION_INITIALIZER(work)		{ .done = 0 }
#define COMPLETION_INITIALIZER_ONSTACK(work)	{ .done = 0 }
#define DECLARE_COMPLETION(work) \
	struct completion work = COMPLETION_INITIALIZER(work)
#define DECLARE_COMPLETION_ONSTACK(work) \
	struct completion work = COMPLETION_INITIALIZER_ONSTACK(work)

/** init_completion() - set @x to "not done". Context: any. */
DK_API void init_completion(struct completion *x);
/** reinit_completion() - reset @x for reuse (no waiter may be waiting). */
DK_API void reinit_completion(struct completion *x);

/**
 * complete() - signal one waiter (or let one later wait pass)
 * @x: the completion
 *
 * Context: any (hard IRQ, tasklet, process); takes a wait-table lock.
 */
DK_API void complete(struct completion *x);

/**
 * complete_all() - let every current and future waiter pass
 * @x: the completion; until reinit_completion()
 *
 * Context: any; takes a wait-table lock.
 */
DK_API void complete_all(struct completion *x);

/**
 * wait_for_completion() - sleep until @x is completed, consume it
 * @x: the completion
 *
 * Context: process (might_sleep); takes a wait-table lock.
 */
DK_API void wait_for_completion(struct completion *x);

/**
 * wait_for_completion_timeout() - wait at most @timeout jiffies
 * @x: the completion
 * @timeout: jiffies (ms of host real time); MAX_SCHEDULE_TIMEOUT waits
 *           forever
 *
 * Context: process (might_sleep).
 * Return: 0 on timeout, else the jiffies left (at least 1).
 */
DK_API unsigned long wait_for_completion_timeout(struct completion *x,
						 unsigned long timeout);

/** wait_for_completion_interruptible() - as wait_for_completion(); 0 */
DK_API int wait_for_completion_interruptible(struct completion *x);
/** wait_for_completion_killable() - as wait_for_completion(); returns 0 */
DK_API int wait_for_completion_killable(struct completion *x);
/** wait_for_completion_interruptible_timeout() - as _timeout() */
DK_API long wait_for_completion_interruptible_timeout(struct completion *x,
						      unsigned long timeout);
/** wait_for_completion_killable_timeout() - as _timeout() */
DK_API long wait_for_completion_killable_timeout(struct completion *x,
						 unsigned long timeout);

/**
 * try_wait_for_completion() - consume a completion without sleeping
 * @x: the completion
 *
 * Context: any. Return: true if one was consumed, false if none was there.
 */
DK_API bool try_wait_for_completion(struct completion *x);

/** completion_done() - true if a wait on @x would not sleep. Context: any. */
DK_API bool completion_done(struct completion *x);

#endif
