/* SPDX-License-Identifier: MIT */
/*
 * linux/workqueue.h - work items run in process context by workqueue
 * threads, and delayed work (a timer that queues the work).
 *
 * Differs from Linux: each workqueue has one worker thread, so the items of
 * one workqueue run one at a time in queueing order whatever max_active
 * says (every workqueue is ordered); a work that waits for a later work of
 * its own workqueue would deadlock, and flush_work() reports that case
 * instead of hanging. system_highpri_wq, system_long_wq and
 * system_unbound_wq are system_wq.
 */
#ifndef DMAKIT_LINUX_WORKQUEUE_H
#define DMAKIT_LINUX_WORKQUEUE_H

#include <stdbool.h>
#include <dmakit/api.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/timer.h>

struct work_struct;
struct workqueue_struct;
typedef void (*work_func_t)(struct work_struct *work);

/**
 * struct work_struct - a work item
 * @data: WORK_STRUCT_* bits; written under the workqueue lock, read
 *        atomically by work_pending()
 * @entry: link in its workqueue's list (workqueue lock)
 * @func: what runs
 * @dk_wq: workqueue it was last queued on (workqueue lock)
 * @dk_ticket: queueing sequence number on @dk_wq (workqueue lock)
 */
struct work_struct {
	unsigned long data;
	struct list_head entry;
	work_func_t func;
	struct workqueue_struct *dk_wq;
	unsigned long dk_ticket;
};

/**
 * struct delayed_work - a work item queued when @timer fires
 * @work: the work
 * @timer: fires in softirq context and queues @work on @wq
 * @wq: target workqueue (workqueue lock)
 * @cpu: ignored
 * @dk_armed: link in @wq's list of armed delayed works (workqueue lock)
 */
struct delayed_work {
	struct work_struct work;
	struct timer_list timer;
	struct workqueue_struct *wq;
	int cpu;
	struct list_head dk_armed;
};

#define WORK_STRUCT_PENDING	0x1ul	/* queued or timer armed */
#define WORK_STRUCT_DK_INLIST	0x2ul	/* on a workqueue's list */
#define WORK_STRUCT_DK_TIMER	0x4ul	/* delayed work: timer armed */
#define WORK_STRUCT_DK_CANCEL	0x8ul	/* a cancel_*_sync() runs */

#define WQ_UNBOUND		(1 << 1)
#define WQ_FREEZABLE		(1 << 2)
#define WQ_MEM_RECLAIM		(1 << 3)
#define WQ_HIGHPRI		(1 << 4)
#define WQ_CPU_INTENSIVE	(1 << 5)
#define WQ_SYSFS		(1 << 6)
#define WQ_POWER_EFFICIENT	(1 << 7)
#define __WQ_ORDERED		(1 << 17)
#define WQ_MAX_ACTIVE		512
#define WQ_DFL_ACTIVE		(WQ_MAX_ACTIVE / 2)

/** dk_init_work() - what INIT_WORK() does. Context: any. */
DK_API void dk_init_work(struct work_struct *work, work_func_t func);
/** dk_init_delayed_work() - what INIT_DELAYED_WORK() does. */
DK_API void dk_init_delayed_work(struct delayed_work *dwork, work_func_t func);

#define INIT_WORK(w, f)			dk_init_work((w), (f))
#define INIT_WORK_ONSTACK(w, f)		dk_init_work((w), (f))
#define INIT_DELAYED_WORK(w, f)		dk_init_delayed_work((w), (f))
#define INIT_DEFERRABLE_WORK(w, f)	dk_init_delayed_work((w), (f))
static inline void destroy_work_on_stack(struct work_struct *w)
{
	(void)w;
}

static inline struct delayed_work *to_delayed_work(struct work_struct *work)
{
	return container_of(work, struct delayed_work, work);
}

#define work_pending(w)                                                      \
	(!!(__atomic_load_n(&(w)->data, __ATOMIC_ACQUIRE) &                  \
	    WORK_STRUCT_PENDING))
#define delayed_work_pending(dw)	work_pending(&(dw)->work)

/* The system workqueue; set between machine create and destroy. */
DK_API extern struct workqueue_struct *system_wq;
#define system_highpri_wq	system_wq
#define system_long_wq		system_wq
#define system_unbound_wq	system_wq
#define system_freezable_wq	system_wq
#define system_power_efficient_wq system_wq

/**
 * alloc_workqueue() - create a workqueue with its worker thread
 * @fmt: printf-style name
 * @flags: WQ_* (accepted, see the header comment)
 * @max_active: accepted; items run one at a time
 *
 * Context: process (might_sleep).
 * Return: the workqueue, or NULL (no machine, no memory, no thread).
 */
DK_API struct workqueue_struct *alloc_workqueue(const char *fmt,
						unsigned int flags,
						int max_active, ...)
	DK_PRINTF(1, 4);

#define alloc_ordered_workqueue(fmt, flags, ...)                             \
	alloc_workqueue(fmt, WQ_UNBOUND | __WQ_ORDERED | (flags), 1,         \
			##__VA_ARGS__)
#define create_workqueue(name)	alloc_workqueue("%s", WQ_MEM_RECLAIM, 1, (name))
#define create_singlethread_workqueue(name)                                  \
	alloc_ordered_workqueue("%s", WQ_MEM_RECLAIM, (name))

/**
 * destroy_workqueue() - drain @wq (items it queues on itself included),
 * stop its thread and free it. Delayed works still armed for @wq are
 * disarmed and reported.
 * Context: process (might_sleep).
 */
DK_API void destroy_workqueue(struct workqueue_struct *wq);

/** flush_workqueue() - wait for every item queued before the call. */
DK_API void flush_workqueue(struct workqueue_struct *wq);
/** drain_workqueue() - flush until @wq stays empty. Context: process. */
DK_API void drain_workqueue(struct workqueue_struct *wq);

/**
 * queue_work() - queue @work on @wq
 * Context: any; takes the workqueue lock.
 * Return: false if @work was already pending, else true.
 */
DK_API bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
#define queue_work_on(cpu, wq, w)	queue_work((wq), (w))

/**
 * queue_delayed_work() - queue @dwork on @wq after @delay jiffies
 * Context: any. Return: false if already pending, else true.
 */
DK_API bool queue_delayed_work(struct workqueue_struct *wq,
			       struct delayed_work *dwork,
			       unsigned long delay);

/**
 * mod_delayed_work() - (re)arm @dwork to run after @delay jiffies
 * Context: any. Return: true if it was pending (and is modified), false if
 * it was idle (and is now queued).
 */
DK_API bool mod_delayed_work(struct workqueue_struct *wq,
			     struct delayed_work *dwork, unsigned long delay);

static inline bool schedule_work(struct work_struct *work)
{
	return queue_work(system_wq, work);
}

static inline bool schedule_delayed_work(struct delayed_work *dwork,
					 unsigned long delay)
{
	return queue_delayed_work(system_wq, dwork, delay);
}

/**
 * flush_work() - wait for the last queued instance of @work to finish
 * Context: process (might_sleep).
 * Return: true if it waited, false if @work was idle.
 */
DK_API bool flush_work(struct work_struct *work);

/** flush_delayed_work() - queue @dwork now if armed, then flush_work() */
DK_API bool flush_delayed_work(struct delayed_work *dwork);

/**
 * cancel_work_sync() - unqueue @work and wait for a running instance
 * Context: process (might_sleep). Return: true if it was pending.
 */
DK_API bool cancel_work_sync(struct work_struct *work);

/**
 * cancel_delayed_work() - disarm or unqueue @dwork without waiting
 * Context: any. Return: true if it was pending and is cancelled.
 */
DK_API bool cancel_delayed_work(struct delayed_work *dwork);

/**
 * cancel_delayed_work_sync() - cancel and wait for a running instance
 * Context: process (might_sleep). Return: true if it was pending.
 */
DK_API bool cancel_delayed_work_sync(struct delayed_work *dwork);

#endif
