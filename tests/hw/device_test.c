// SPDX-License-Identifier: MIT
/*
 * device_test.c - the device core: placement, validation of models and
 * placements, the device thread and kicks, interrupt messages, release.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/io.h>
#include <linux/interrupt.h>
#include <linux/platform_device.h>
#include "dk_test.h"
#include "tmodel.h"
#include "hw/internal.h"

static struct dk_machine *m;

static int setup(void **state)
{
	(void)state;
	m = dk_test_machine_up(NULL);
	return m ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return dk_test_machine_down(m);
}

static void bad_models_are_refused_and_released(void **state)
{
	struct dk_hw_ops ops = tmodel_ops;
	struct dk_device_config cfg;
	struct tmodel *t;
	int released = 0;

	(void)state;
	ops.mmio_read = NULL;
	t = calloc(1, sizeof(*t));
	t->released = &released;
	assert_int_equal(dk_hw_device_add(m, NULL, &t->hw, &ops, NULL),
			 -EINVAL);
	assert_int_equal(released, 1);
	assert_log_count("lacks a required op", 1);

	ops = tmodel_ops;
	ops.mmio_size = 100;
	assert_int_equal(tmodel_add(m, NULL, &ops, NULL, NULL), -EINVAL);
	assert_log_count("not a 4 KiB multiple", 1);

	ops = tmodel_ops;
	ops.access_sizes = 3 | 16;
	assert_int_equal(tmodel_add(m, NULL, &ops, NULL, NULL), -EINVAL);
	assert_log_count("access_sizes", 1);

	dk_device_config_init(&cfg);
	cfg.dma_bits = 65;
	assert_int_equal(tmodel_add(m, &cfg, &tmodel_ops, NULL, NULL), -EINVAL);
	assert_log_count("dma_bits 65", 1);

	dk_device_config_init(&cfg);
	cfg.mmio_base = DK_MMIO_BASE + 0x800;
	assert_int_equal(tmodel_add(m, &cfg, &tmodel_ops, NULL, NULL), -EINVAL);
	cfg.mmio_base = 0x1000;
	assert_int_equal(tmodel_add(m, &cfg, &tmodel_ops, NULL, NULL), -EINVAL);
	assert_log_count("inside the MMIO hole", 2);

	dk_device_config_init(&cfg);
	cfg.name = "a-name-that-is-far-too-long-for-a-device";
	assert_int_equal(tmodel_add(m, &cfg, &tmodel_ops, NULL, NULL), -EINVAL);

	/* Nothing was placed by any of these. */
	assert_null(dk_machine_find_device(m, "dk-tmodel0"));
}

static void placement_conflicts(void **state)
{
	struct dk_device_config cfg;
	struct platform_device *a, *b;
	struct resource *ra, *rb;

	(void)state;
	dk_device_config_init(&cfg);
	cfg.name = "one";
	cfg.requester_id = 0x0108;
	cfg.mmio_base = DK_MMIO_BASE + 0x10000;
	assert_int_equal(tmodel_add(m, &cfg, &tmodel_ops, NULL, &a), 0);
	assert_non_null(a);

	cfg.name = "one";
	cfg.requester_id = 0;
	cfg.mmio_base = 0;
	assert_int_equal(tmodel_add(m, &cfg, &tmodel_ops, NULL, NULL), -EEXIST);
	cfg.name = "two";
	cfg.requester_id = 0x0108;
	assert_int_equal(tmodel_add(m, &cfg, &tmodel_ops, NULL, NULL), -EEXIST);
	assert_log_count("01:01.0 is taken by one", 1);
	cfg.requester_id = 0;
	cfg.mmio_base = DK_MMIO_BASE + 0x10000;
	assert_int_equal(tmodel_add(m, &cfg, &tmodel_ops, NULL, NULL), -EBUSY);
	assert_log_count("overlaps one", 1);

	cfg.mmio_base = 0;
	assert_int_equal(tmodel_add(m, &cfg, &tmodel_ops, NULL, &b), 0);
	ra = platform_get_resource(a, IORESOURCE_MEM, 0);
	rb = platform_get_resource(b, IORESOURCE_MEM, 0);
	assert_non_null(ra);
	assert_non_null(rb);
	assert_true(ra->end < rb->start || rb->end < ra->start);
	assert_int_equal(resource_size(rb), 4096);
	assert_int_not_equal(a->dev.requester_id, b->dev.requester_id);
	assert_int_not_equal(platform_get_irq(a, 0), platform_get_irq(b, 0));
	assert_int_equal(platform_get_irq(a, 1), platform_get_irq(a, 0) + 1);
}

static void doorbell_kicks_the_device_thread(void **state)
{
	struct platform_device *pdev;
	struct tmodel *t;
	void __iomem *regs;

	(void)state;
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, &t, &pdev), 0);
	regs = ioremap(platform_get_resource(pdev, IORESOURCE_MEM, 0)->start,
		       4096);
	assert_non_null(regs);
	for (int i = 1; i <= 50; i++) {
		writel(1, (char __iomem *)regs + TM_DOORBELL);
		assert_true(DK_WAIT_UNTIL(
			__atomic_load_n(&t->runs, __ATOMIC_ACQUIRE) == i,
			5000));
	}
	/* Idle: no run without a kick. */
	assert_int_equal(__atomic_load_n(&t->runs, __ATOMIC_ACQUIRE), 50);
}

static int irqs_seen;

static irqreturn_t count_irq(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	__atomic_add_fetch(&irqs_seen, 1, __ATOMIC_ACQ_REL);
	return IRQ_HANDLED;
}

static void interrupts_reach_the_handler(void **state)
{
	struct platform_device *pdev;
	struct dk_counters c;
	struct tmodel *t;
	void __iomem *regs;
	int irq;

	(void)state;
	irqs_seen = 0;
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, &t, &pdev), 0);
	irq = platform_get_irq(pdev, 0);
	assert_true(irq > 0);
	assert_int_equal(request_irq(irq, count_irq, 0, "tmodel", t), 0);
	regs = ioremap(platform_get_resource(pdev, IORESOURCE_MEM, 0)->start,
		       4096);
	writel(1, (char __iomem *)regs + TM_IRQ_ON);
	for (int i = 1; i <= 20; i++) {
		writel(1, (char __iomem *)regs + TM_DOORBELL);
		assert_true(DK_WAIT_UNTIL(
			__atomic_load_n(&irqs_seen, __ATOMIC_ACQUIRE) == i,
			5000));
	}
	assert_int_equal(dk_device_counters(pdev, &c), 0);
	assert_int_equal(c.irqs, 20);
	assert_int_equal(c.mmio_writes, 21);

	/* An index the device does not have is refused, not delivered. */
	dk_hw_irq_raise(&t->hw, 7);
	assert_log_count("interrupt index 7", 1);
	free_irq(irq, t);
}

static void irq_line_is_edge_triggered(void **state)
{
	struct dk_hw_irq_line line = { 0 };
	struct platform_device *pdev;
	struct dk_counters c;
	struct tmodel *t;

	(void)state;
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, &t, &pdev), 0);
	dk_hw_irq_update(&t->hw, &line, 0, 0);	/* stays low */
	dk_hw_irq_update(&t->hw, &line, 0, 1);	/* rises: one message */
	dk_hw_irq_update(&t->hw, &line, 0, 3);	/* still high */
	dk_hw_irq_update(&t->hw, &line, 0, 0);	/* falls */
	dk_hw_irq_update(&t->hw, &line, 0, 2);	/* rises: one more */
	dk_device_counters(pdev, &c);
	assert_int_equal(c.irqs, 2);
}

static void destroy_with_kicks_in_flight(void **state)
{
	struct platform_device *pdev;
	struct dk_machine *m2;
	int released = 0;
	struct tmodel *t;
	void __iomem *regs;

	(void)state;
	/* Replace the fixture's machine for this one test. */
	assert_int_equal(dk_machine_destroy(m), 0);
	assert_int_equal(dk_machine_create(NULL, &m2), 0);
	assert_int_equal(tmodel_add(m2, NULL, &tmodel_ops, &t, &pdev), 0);
	t->released = &released;
	regs = ioremap(platform_get_resource(pdev, IORESOURCE_MEM, 0)->start,
		       4096);
	for (int i = 0; i < 1000; i++)
		writel(1, (char __iomem *)regs + TM_DOORBELL);
	assert_int_equal(dk_machine_destroy(m2), 0);
	assert_int_equal(released, 1);
	assert_int_equal(dk_machine_create(NULL, &m), 0);
}

static void polling_option_keeps_semantics(void **state)
{
	struct dk_machine_config cfg;
	struct platform_device *pdev;
	struct tmodel *t;
	void __iomem *regs;
	int irq;

	(void)state;
	/* The fixture's machine makes way for one with the polling option. */
	assert_int_equal(dk_machine_destroy(m), 0);
	dk_machine_config_init(&cfg);
	cfg.poll_us = 200;
	assert_int_equal(dk_machine_create(&cfg, &m), 0);
	irqs_seen = 0;
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, &t, &pdev), 0);
	irq = platform_get_irq(pdev, 0);
	assert_int_equal(request_irq(irq, count_irq, 0, "tmodel", t), 0);
	regs = ioremap(platform_get_resource(pdev, IORESOURCE_MEM, 0)->start,
		       4096);
	writel(1, (char __iomem *)regs + TM_IRQ_ON);
	for (int i = 1; i <= 200; i++) {
		writel(1, (char __iomem *)regs + TM_DOORBELL);
		assert_true(DK_WAIT_UNTIL(
			__atomic_load_n(&irqs_seen, __ATOMIC_ACQUIRE) == i,
			5000));
		/* Every other round, let the threads fall asleep first. */
		if (i % 2)
			for (int k = 0; k < 10; k++)
				dk_test_yield();
	}
	assert_int_equal(__atomic_load_n(&t->runs, __ATOMIC_ACQUIRE), 200);
	free_irq(irq, t);
	/* Teardown destroys it while threads may still be spinning. */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			bad_models_are_refused_and_released, setup, teardown),
		cmocka_unit_test_setup_teardown(placement_conflicts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			doorbell_kicks_the_device_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupts_reach_the_handler,
						setup, teardown),
		cmocka_unit_test_setup_teardown(irq_line_is_edge_triggered,
						setup, teardown),
		cmocka_unit_test_setup_teardown(destroy_with_kicks_in_flight,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			polling_option_keeps_semantics, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
