/* SPDX-License-Identifier: MIT */
/*
 * kernel/internal.h - the software side's subsystem hooks and execution
 * context tracking.
 *
 * Included by src/kernel/, src/core/machine.c and unit tests.
 *
 * Each subsystem's init runs in dk_machine_create() in the order listed
 * here; its exit runs in reverse order from dk_machine_destroy() and
 * returns how many leak reports it made (0 when nothing was left behind).
 */
#ifndef DK_KERNEL_INTERNAL_H
#define DK_KERNEL_INTERNAL_H

#include <stdbool.h>
#include "core/internal.h"

struct device;

/* Page allocator over simulated RAM (kernel/page_alloc.c). */
int dk__mm_init(struct dk_machine *m);
int dk__mm_exit(struct dk_machine *m);

/* kmalloc and kmem_cache (kernel/slab.c). */
int dk__slab_init(struct dk_machine *m);
int dk__slab_exit(struct dk_machine *m);

/* Hard-IRQ thread and request_irq (kernel/irq.c). */
int dk__irq_init(struct dk_machine *m);
int dk__irq_exit(struct dk_machine *m);

/* Tasklets and timers: the softirq thread (kernel/softirq.c). */
int dk__softirq_init(struct dk_machine *m);
int dk__softirq_exit(struct dk_machine *m);
/* Wake the softirq thread: a manual clock moved (core/clock.c calls it). */
void dk__softirq_clock_moved(struct dk_machine *m);

/* Workqueues (kernel/workqueue.c). */
int dk__wq_init(struct dk_machine *m);
int dk__wq_exit(struct dk_machine *m);

/* Platform bus (kernel/platform.c). */
int dk__bus_init(struct dk_machine *m);
/* Unbind every driver (calls remove); first step of destroy. */
void dk__bus_unbind_all(struct dk_machine *m);
int dk__bus_exit(struct dk_machine *m);
/* Publish a device the hardware side placed; probes a matching driver. */
int dk__bus_add_device(struct dk_machine *m, struct dk_hw_dev *hw,
		       struct platform_device **out);

/* IOMMU core (kernel/iommu.c): groups, domains, the flush queue. */
int dk__iommu_core_init(struct dk_machine *m);
int dk__iommu_core_exit(struct dk_machine *m);
/* A device appeared on the bus: give it a group and its default domain. */
void dk__iommu_probe_device(struct device *dev);

/* IOMMU driver (drivers/iommu.c): register the platform driver that binds
 * "dk-iommu" and registers the IOMMU with the core; and unregister it. */
int dk__iommu_driver_init(struct dk_machine *m);
int dk__iommu_driver_exit(struct dk_machine *m);

/* ---- execution contexts (kernel/locking.c) ------------------------------ */

enum dk_context {
	DK_CTX_PROCESS = 0,
	DK_CTX_HARDIRQ = 1,
	DK_CTX_SOFTIRQ = 2,	/* tasklets and timers */
};

/* Set by the hard-IRQ and softirq threads around handlers. */
void dk__context_enter(enum dk_context ctx);
void dk__context_exit(enum dk_context ctx);
enum dk_context dk__context(void);

#endif
