// SPDX-License-Identifier: MIT
/*
 * irq_machine.c - see irq_machine.h.
 */
#include <stdlib.h>
#include "dk_test.h"
#include "irq_machine.h"
#include "hw/internal.h"
#include "kernel/internal.h"

struct dk_machine *dk_test_irq_machine_up(bool manual_clock)
{
	struct dk_machine *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	dk_machine_config_init(&m->cfg);
	m->cfg.manual_clock = manual_clock;
	m->clock_origin_ns = dk__host_ns();
	dk__m = m;
	if (dk__intc_init(m))
		goto err_free;
	if (dk__irq_init(m))
		goto err_intc;
	if (dk__softirq_init(m))
		goto err_irq;
	if (dk__wq_init(m))
		goto err_softirq;
	dk_test_log_capture();
	return m;

err_softirq:
	dk__softirq_exit(m);
err_irq:
	dk__irq_exit(m);
err_intc:
	dk__intc_exit(m);
err_free:
	dk__m = NULL;
	free(m);
	return NULL;
}

int dk_test_irq_machine_down(struct dk_machine *m)
{
	int leaks = dk__wq_exit(m) + dk__softirq_exit(m) + dk__irq_exit(m);

	dk__intc_exit(m);
	dk__m = NULL;
	free(m);
	return leaks;
}
