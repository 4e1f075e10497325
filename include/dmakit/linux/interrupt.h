/* SPDX-License-Identifier: MIT */
/*
 * linux/interrupt.h - interrupt handlers (request_irq and friends), the
 * execution-context tests (in_interrupt() ...) and tasklets.
 *
 * One hard-IRQ thread per machine runs every handler, and after each
 * interrupt the tasklets and timers pending (as Linux's irq_exit()); one
 * softirq thread (Linux's ksoftirqd) runs the rest. One item runs at a
 * time. Interrupts are edge (MSI) messages: one
 * raised while its handler runs or while the line is disabled is latched and
 * delivered once afterwards.
 *
 * Differs from Linux: no threaded handlers (request_threaded_irq() takes
 * thread_fn == NULL only), IRQ_WAKE_THREAD counts as IRQ_HANDLED, and the
 * trigger flags are accepted and ignored (everything is an edge message).
 */
#ifndef DMAKIT_LINUX_INTERRUPT_H
#define DMAKIT_LINUX_INTERRUPT_H

#include <stdbool.h>
#include <dmakit/api.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/spinlock.h>

/* ---- hard-IRQ handlers --------------------------------------------------- */

enum irqreturn {
	IRQ_NONE = 0,
	IRQ_HANDLED = 1 << 0,
	IRQ_WAKE_THREAD = 1 << 1,
};
typedef enum irqreturn irqreturn_t;
#define IRQ_RETVAL(x)	((x) ? IRQ_HANDLED : IRQ_NONE)

typedef irqreturn_t (*irq_handler_t)(int irq, void *dev_id);

#define IRQF_TRIGGER_NONE	0x00000000
#define IRQF_TRIGGER_RISING	0x00000001
#define IRQF_TRIGGER_FALLING	0x00000002
#define IRQF_TRIGGER_HIGH	0x00000004
#define IRQF_TRIGGER_LOW	0x00000008
#define IRQF_TRIGGER_MASK	0x0000000f
#define IRQF_SHARED		0x00000080
#define IRQF_PROBE_SHARED	0x00000100
#define IRQF_TIMER		0x00000200
#define IRQF_PERCPU		0x00000400
#define IRQF_NOBALANCING	0x00000800
#define IRQF_IRQPOLL		0x00001000
#define IRQF_ONESHOT		0x00002000
#define IRQF_NO_SUSPEND		0x00004000
#define IRQF_FORCE_RESUME	0x00008000
#define IRQF_NO_THREAD		0x00010000
#define IRQF_EARLY_RESUME	0x00020000
#define IRQF_COND_SUSPEND	0x00040000
#define IRQF_NO_AUTOEN		0x00080000
#define IRQF_NO_DEBUG		0x00100000

/**
 * request_threaded_irq() - install a handler for vector @irq
 * @irq: the vector (1 .. nr_irqs-1)
 * @handler: called in hard-IRQ context on the hard-IRQ thread
 * @thread_fn: must be NULL (no threaded handlers here)
 * @flags: IRQF_*; IRQF_SHARED lets several handlers share the vector (all
 *         must say so, each with its own non-NULL @dev_id); IRQF_NO_AUTOEN
 *         leaves the line disabled until enable_irq()
 * @name: shown in the trace and messages; the pointer is kept
 * @dev_id: passed to @handler; identifies the action for free_irq()
 *
 * Context: process (might_sleep); takes the IRQ descriptor lock.
 * Return: 0; -EINVAL (vector 0 or out of range, NULL handler, shared without
 * dev_id, thread_fn given); -EBUSY (requested already and not shared by
 * both); -ENOMEM; -ENODEV without a machine.
 */
DK_API int request_threaded_irq(unsigned int irq, irq_handler_t handler,
				irq_handler_t thread_fn, unsigned long flags,
				const char *name, void *dev_id);

/** request_irq() - request_threaded_irq() without a thread function */
static inline int request_irq(unsigned int irq, irq_handler_t handler,
			      unsigned long flags, const char *name,
			      void *dev_id)
{
	return request_threaded_irq(irq, handler, NULL, flags, name, dev_id);
}

/**
 * free_irq() - remove the handler installed with @dev_id
 * @irq: the vector
 * @dev_id: as given to request_irq()
 *
 * Waits for a running handler of @irq to return. Freeing an irq that has
 * no such action is reported (WARN) and does nothing else.
 *
 * Context: process (might_sleep), not from a handler of @irq.
 * Return: the name given to request_irq(), or NULL.
 */
DK_API const void *free_irq(unsigned int irq, void *dev_id);

/**
 * disable_irq_nosync() - mask @irq without waiting; nests
 * @irq: the vector
 *
 * An interrupt raised while disabled is latched and delivered once on the
 * enable_irq() that brings the depth back to zero.
 * Context: any.
 */
DK_API void disable_irq_nosync(unsigned int irq);

/**
 * disable_irq() - mask @irq and wait for a running handler
 * @irq: the vector
 *
 * Context: process; from @irq's own handler it reports the would-be
 * deadlock and does not wait.
 */
DK_API void disable_irq(unsigned int irq);

/**
 * enable_irq() - undo one disable_irq(); an unbalanced call is a WARN
 * @irq: the vector
 * Context: any.
 */
DK_API void enable_irq(unsigned int irq);

/**
 * synchronize_irq() - wait until no handler of @irq runs
 * @irq: the vector
 * Context: process (not from the hard-IRQ thread).
 */
DK_API void synchronize_irq(unsigned int irq);

/* ---- execution context --------------------------------------------------- */

/** dk_in_hardirq() - true on the hard-IRQ thread inside a handler */
DK_API bool dk_in_hardirq(void);
/** dk_in_serving_softirq() - true inside a tasklet or timer callback */
DK_API bool dk_in_serving_softirq(void);

#define in_hardirq()		dk_in_hardirq()
#define in_irq()		dk_in_hardirq()
#define in_serving_softirq()	dk_in_serving_softirq()
#define in_softirq()		dk_in_serving_softirq()
#define in_interrupt()                                                       \
	(dk_in_hardirq() || dk_in_serving_softirq())
#define in_task()		(!in_interrupt())

/* ---- tasklets ------------------------------------------------------------ */

enum {
	TASKLET_STATE_SCHED = 0,	/* queued to run */
	TASKLET_STATE_RUN = 1,		/* unused here: see softirq.c */
};

/**
 * struct tasklet_struct - deferred work run in softirq context
 * @dk_node: queue link (softirq lock)
 * @state: TASKLET_STATE_* bits and internal ones (softirq lock)
 * @count: disable depth, atomic; runs only at 0
 * @use_callback: @callback (true) or @func (false)
 * @callback: tasklet_setup() style
 * @func: tasklet_init() style, gets @data
 * @data: for @func
 */
struct tasklet_struct {
	struct list_head dk_node;
	unsigned long state;
	int count;
	bool use_callback;
	union {
		void (*func)(unsigned long data);
		void (*callback)(struct tasklet_struct *t);
	};
	unsigned long data;
};

#define DECLARE_TASKLET(name, _callback)                                     \
	struct tasklet_struct name = { .count = 0, .use_callback = true,     \
				       .callback = _callback }
#define DECLARE_TASKLET_DISABLED(name, _callback)                            \
	struct tasklet_struct name = { .count = 1, .use_callback = true,     \
				       .callback = _callback }
#define DECLARE_TASKLET_OLD(name, _func)                                     \
	struct tasklet_struct name = { .count = 0, .func = _func }

#define from_tasklet(var, callback_tasklet, tasklet_fieldname)               \
	container_of(callback_tasklet, __typeof__(*var), tasklet_fieldname)

/** tasklet_setup() - initialise @t to call @callback(t). Context: any. */
DK_API void tasklet_setup(struct tasklet_struct *t,
			  void (*callback)(struct tasklet_struct *));
/** tasklet_init() - initialise @t to call @func(@data). Context: any. */
DK_API void tasklet_init(struct tasklet_struct *t,
			 void (*func)(unsigned long), unsigned long data);

/**
 * tasklet_schedule() - queue @t to run in softirq context
 * @t: the tasklet
 *
 * No-op if already queued; a tasklet scheduled while it runs runs again
 * afterwards. A tasklet never runs concurrently with itself.
 * Context: any; takes the softirq lock.
 */
DK_API void tasklet_schedule(struct tasklet_struct *t);
/** tasklet_hi_schedule() - as tasklet_schedule(), ahead of normal ones */
DK_API void tasklet_hi_schedule(struct tasklet_struct *t);

/**
 * tasklet_kill() - wait until @t is neither queued nor running
 * @t: the tasklet
 *
 * A queued tasklet runs first (a disabled one is dropped instead).
 * Context: process; a call from softirq context is reported and does not
 * wait for the running tasklet.
 */
DK_API void tasklet_kill(struct tasklet_struct *t);

/** tasklet_disable_nosync() - stop @t from running; nests. Context: any. */
DK_API void tasklet_disable_nosync(struct tasklet_struct *t);
/** tasklet_disable() - as _nosync(), then wait for a running @t */
DK_API void tasklet_disable(struct tasklet_struct *t);
/** tasklet_enable() - undo one disable; runs @t if it was scheduled */
DK_API void tasklet_enable(struct tasklet_struct *t);

#endif
