// SPDX-License-Identifier: MIT
/*
 * machine_test.c - machine create/destroy: one at a time, bad layouts,
 * leak reports at destroy, the clock, repeated create/destroy cycles, CPU
 * partitioning (cfg.hw_cpu: device threads on it, software off it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/slab.h>
#include <linux/io.h>
#include <linux/platform_device.h>
#include <dmakit/machine.h>
#include "dk_test.h"
#include "tmodel.h"

static int setup(void **state)
{
	(void)state;
	dk_test_log_capture();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dk_test_log_release();
	return dk_machine_current() ? -1 : 0;
}

static void one_machine_at_a_time(void **state)
{
	struct dk_machine *m, *m2 = (void *)1;

	(void)state;
	assert_int_equal(dk_machine_create(NULL, NULL), -EINVAL);
	assert_int_equal(dk_machine_create(NULL, &m), 0);
	assert_ptr_equal(dk_machine_current(), m);
	assert_int_equal(dk_machine_create(NULL, &m2), -EBUSY);
	assert_null(m2);
	assert_log_count("a machine exists already", 1);
	assert_int_equal(dk_machine_destroy(m), 0);
	assert_null(dk_machine_current());
	assert_int_equal(dk_machine_destroy(NULL), 0);
}

static void bad_layouts_are_refused(void **state)
{
	struct dk_machine_config cfg;
	struct dk_machine *m;

	(void)state;
	dk_machine_config_init(&cfg);
	cfg.nr_irqs = 1;
	assert_int_equal(dk_machine_create(&cfg, &m), -EINVAL);
	assert_null(m);

	dk_machine_config_init(&cfg);
	cfg.ram[0].base = 0x1234;	/* not page aligned */
	assert_int_equal(dk_machine_create(&cfg, &m), -EINVAL);

	dk_machine_config_init(&cfg);
	cfg.ram[1].base = DK_RAM_LOW_BASE + 0x1000;	/* overlaps region 0 */
	assert_int_equal(dk_machine_create(&cfg, &m), -EINVAL);

	dk_machine_config_init(&cfg);
	cfg.ram[0].base = DK_MMIO_BASE - 0x1000;	/* into the MMIO hole */
	cfg.ram[0].size = 0x2000;
	assert_int_equal(dk_machine_create(&cfg, &m), -EINVAL);

	dk_machine_config_init(&cfg);
	cfg.nr_ram = 0;
	assert_int_equal(dk_machine_create(&cfg, &m), -EINVAL);
	assert_null(dk_machine_current());
	/* Each refusal said why. */
	assert_true(dk_test_log_count("dk_machine_create") >= 5);

	/* And a good machine can still be made afterwards. */
	assert_int_equal(dk_machine_create(NULL, &m), 0);
	assert_int_equal(dk_machine_destroy(m), 0);
}

static irqreturn_t nop_irq(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return IRQ_HANDLED;
}

static void destroy_reports_leaks(void **state)
{
	struct dk_machine *m;
	struct page *pg;
	void *p;

	(void)state;
	assert_int_equal(dk_machine_create(NULL, &m), 0);
	p = kmalloc(100, GFP_KERNEL);
	pg = alloc_pages(GFP_KERNEL, 2);
	assert_non_null(p);
	assert_non_null(pg);
	assert_int_equal(request_irq(5, nop_irq, 0, "leaky", &p), 0);
	dk_test_log_clear();
	/* One report for the kmalloc object, one for the pages, one IRQ. */
	assert_int_equal(dk_machine_destroy(m), 3);
	assert_true(dk_test_log_count("leak") >= 1);
	assert_log_count("3 leak reports above", 1);
}

static void manual_clock(void **state)
{
	struct dk_machine_config cfg;
	struct dk_machine *m;

	(void)state;
	assert_int_equal(dk_machine_create(NULL, &m), 0);
	assert_int_equal(dk_clock_advance(10), -EINVAL);
	assert_log_count("not manual", 1);
	assert_int_equal(dk_machine_destroy(m), 0);
	assert_int_equal(dk_clock_advance(10), -EINVAL);

	dk_machine_config_init(&cfg);
	cfg.manual_clock = true;
	assert_int_equal(dk_machine_create(&cfg, &m), 0);
	assert_int_equal(dk_clock_ns(), 0);
	assert_int_equal(dk_clock_advance(1500), 0);
	assert_int_equal(dk_clock_ns(), 1500);
	assert_int_equal(dk_machine_destroy(m), 0);
}

static void many_cycles(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++) {
		struct dk_machine *m;
		void *p;

		assert_int_equal(dk_machine_create(NULL, &m), 0);
		p = kzalloc(4096, GFP_KERNEL);
		assert_non_null(p);
		assert_true(virt_to_phys(p) != DK_PHYS_INVALID);
		kfree(p);
		assert_int_equal(dk_machine_destroy(m), 0);
	}
}

/* ---- CPU partitioning -------------------------------------------------- */

static cpu_set_t irq_cpus;	/* the handler's affinity */
static int irq_seen;		/* atomic */

static irqreturn_t affinity_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	CPU_ZERO(&irq_cpus);
	pthread_getaffinity_np(pthread_self(), sizeof(irq_cpus), &irq_cpus);
	__atomic_store_n(&irq_seen, 1, __ATOMIC_RELEASE);
	return IRQ_HANDLED;
}

static void cpu_partitioning(void **state)
{
	struct dk_machine_config cfg;
	struct platform_device *pdev;
	struct dk_machine *m;
	struct tmodel *tm;
	cpu_set_t mine, dev_cpus;
	void __iomem *regs;
	int hw = -1, irq;

	(void)state;
	dk_machine_config_init(&cfg);
	assert_int_equal(cfg.hw_cpu, -1);
	cfg.hw_cpu = CPU_SETSIZE - 1;	/* not one this thread may use */
	assert_int_equal(dk_machine_create(&cfg, &m), -EINVAL);
	assert_null(m);
	assert_log_count("hw_cpu 1023", 1);
	assert_null(dk_machine_current());

	CPU_ZERO(&mine);
	assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof(mine),
						&mine), 0);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &mine))
			hw = c;
	if (CPU_COUNT(&mine) < 2) {
		/* One CPU: partitioning is refused with a message. */
		cfg.hw_cpu = hw;
		assert_int_equal(dk_machine_create(&cfg, &m), -EINVAL);
		assert_log_count("partitioning needs 2 or more", 1);
		return;
	}
	cfg.hw_cpu = hw;		/* the last CPU we may use */
	assert_int_equal(dk_machine_create(&cfg, &m), 0);
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, &tm, &pdev), 0);
	/* The device's thread: that CPU alone. */
	CPU_ZERO(&dev_cpus);
	assert_int_equal(pthread_getaffinity_np(tm->hw.thread,
						sizeof(dev_cpus), &dev_cpus),
			 0);
	assert_int_equal(CPU_COUNT(&dev_cpus), 1);
	assert_true(CPU_ISSET(hw, &dev_cpus));
	/* The hard-IRQ thread: every other CPU of ours, not that one. */
	irq = platform_get_irq(pdev, 0);
	assert_true(irq > 0);
	assert_int_equal(request_irq((unsigned int)irq, affinity_handler, 0,
				     "affinity", tm), 0);
	regs = ioremap(pdev->resource[0].start, 0x1000);
	assert_non_null(regs);
	writel(1, (char __iomem *)regs + TM_IRQ_ON);
	writel(1, (char __iomem *)regs + TM_DOORBELL);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&irq_seen, __ATOMIC_ACQUIRE),
				  5000));
	assert_false(CPU_ISSET(hw, &irq_cpus));
	CPU_CLR(hw, &mine);
	assert_true(CPU_EQUAL(&irq_cpus, &mine));
	free_irq((unsigned int)irq, tm);
	iounmap(regs);
	assert_int_equal(dk_machine_destroy(m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(one_machine_at_a_time, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bad_layouts_are_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(destroy_reports_leaks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(manual_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(many_cycles, setup, teardown),
		cmocka_unit_test_setup_teardown(cpu_partitioning, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
