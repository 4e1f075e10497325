/* SPDX-License-Identifier: MIT */
/*
 * linux/timer.h - timers run in softirq context at a jiffies expiry.
 *
 * Timers follow the machine clock: in real-time mode the softirq thread
 * sleeps until the earliest expiry (a due timer may also run at an irq
 * exit, on the hard-IRQ thread); with a manual clock, dk_clock_advance()
 * runs every timer that became due before it returns.
 *
 * Differs from Linux: the timer flags (TIMER_DEFERRABLE, ...) are accepted
 * and ignored; timer_shutdown_sync() (Linux 6.2) is provided.
 */
#ifndef DMAKIT_LINUX_TIMER_H
#define DMAKIT_LINUX_TIMER_H

#include <stdbool.h>
#include <dmakit/api.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/types.h>

/**
 * struct timer_list - a one-shot timer
 * @entry: link in the softirq thread's sorted list (softirq lock)
 * @expires: jiffies at which @function runs
 * @function: called in softirq context
 * @flags: TIMER_* (ignored)
 * @dk_state: internal bits, written under the softirq lock, read atomically
 */
struct timer_list {
	struct list_head entry;
	unsigned long expires;
	void (*function)(struct timer_list *);
	u32 flags;
	unsigned int dk_state;
};

#define TIMER_DEFERRABLE	0x00080000
#define TIMER_PINNED		0x00100000
#define TIMER_IRQSAFE		0x00200000

#define __TIMER_INITIALIZER(_function, _flags)                               \
	{ .entry = { NULL, NULL }, .expires = 0, .function = (_function),    \
	  .flags = (_flags), .dk_state = 0 }
#define DEFINE_TIMER(_name, _function)                                       \
	struct timer_list _name = __TIMER_INITIALIZER(_function, 0)

#define from_timer(var, callback_timer, timer_fieldname)                     \
	container_of(callback_timer, __typeof__(*var), timer_fieldname)

/** timer_setup() - initialise @timer to call @func. Context: any. */
DK_API void timer_setup(struct timer_list *timer,
			void (*func)(struct timer_list *), unsigned int flags);
#define timer_setup_on_stack(t, f, fl)	timer_setup(t, f, fl)
static inline void destroy_timer_on_stack(struct timer_list *t)
{
	(void)t;
}

/**
 * mod_timer() - (re)arm @timer to expire at @expires
 * @timer: an initialised timer
 * @expires: absolute jiffies
 *
 * Context: any; takes the softirq lock.
 * Return: 1 if the timer was pending (and is now re-armed), else 0.
 */
DK_API int mod_timer(struct timer_list *timer, unsigned long expires);

/** add_timer() - arm @timer at ->expires; it must not be pending (WARN) */
DK_API void add_timer(struct timer_list *timer);

/**
 * del_timer() - disarm @timer without waiting for a running callback
 * Context: any. Return: 1 if it was pending, else 0.
 */
DK_API int del_timer(struct timer_list *timer);

/**
 * del_timer_sync() - disarm @timer and wait for its callback to return
 *
 * Also stops a callback that re-arms itself. From the timer's own callback
 * it reports the would-be deadlock and does not wait.
 * Context: process or another softirq callback.
 * Return: 1 if it was pending, else 0.
 */
DK_API int del_timer_sync(struct timer_list *timer);

/**
 * timer_shutdown_sync() - del_timer_sync() and refuse later re-arming
 * Return: 1 if it was pending, else 0.
 */
DK_API int timer_shutdown_sync(struct timer_list *timer);

/* No timer_delete(): POSIX <time.h> owns that name. */
#define timer_delete_sync(t)	del_timer_sync(t)

#define DK_TIMER_PENDING	0x1u
#define DK_TIMER_SHUTDOWN	0x2u

/** timer_pending() - true while @timer is armed. Context: any. */
static inline int timer_pending(const struct timer_list *timer)
{
	return !!(__atomic_load_n(&timer->dk_state, __ATOMIC_ACQUIRE) &
		  DK_TIMER_PENDING);
}

#endif
