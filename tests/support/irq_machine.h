/* SPDX-License-Identifier: MIT */
/*
 * irq_machine.h - a partial machine for unit tests of interrupts and
 * deferred work: the interrupt controller and the IRQ, softirq and
 * workqueue subsystems, without RAM, devices or a bus.
 */
#ifndef DK_IRQ_MACHINE_H
#define DK_IRQ_MACHINE_H

#include <stdbool.h>

struct dk_machine;

/*
 * Build it and make it the current machine; the log is captured
 * (dk_test_log_capture). NULL on failure.
 */
struct dk_machine *dk_test_irq_machine_up(bool manual_clock);

/* Tear it down in reverse order; returns the subsystems' leak reports. */
int dk_test_irq_machine_down(struct dk_machine *m);

#endif
