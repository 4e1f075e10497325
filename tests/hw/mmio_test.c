// SPDX-License-Identifier: MIT
/*
 * mmio_test.c - the MMIO bus and the CPU's accessors: decode, dispatch,
 * widths, alignment, accesses to nowhere, counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <linux/io.h>
#include <linux/platform_device.h>
#include "dk_test.h"
#include "tmodel.h"
#include "hw/internal.h"

static struct dk_machine *m;
static struct platform_device *pdev;
static struct tmodel *t;
static char __iomem *regs;
static uint64_t base;

static int setup(void **state)
{
	struct dk_device_config cfg;

	(void)state;
	dk_test_log_capture();
	if (dk_machine_create(NULL, &m))
		return -1;
	dk_device_config_init(&cfg);
	cfg.name = "regs";
	if (tmodel_add(m, &cfg, &tmodel_ops, &t, &pdev))
		return -1;
	base = platform_get_resource(pdev, IORESOURCE_MEM, 0)->start;
	regs = ioremap(base, 4096);
	return regs ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return dk_test_machine_down(m);
}

static void ioremap_refuses_what_is_not_one_window(void **state)
{
	(void)state;
	assert_null(ioremap(base + 4096, 4));	/* after the window */
	assert_null(ioremap(base + 4000, 200));	/* runs off its end */
	assert_null(ioremap(base, 0));
	assert_null(ioremap(DK_RAM_LOW_BASE, 4096));	/* RAM is not MMIO */
	assert_log_count("not inside one device's register window", 4);
	assert_ptr_equal(ioremap(base + 8, 8), regs + 8);
}

static void accesses_to_nowhere_read_all_ones(void **state)
{
	uint64_t v = 0;
	int x = 0;

	(void)state;
	assert_int_equal(readl(&x), 0xffffffffu);	/* a stack address */
	assert_log_count("not an address ioremap() returned", 1);
	writel(5, &x);
	assert_log_count("not an address ioremap() returned", 2);
	/* A hole address no device claims. */
	assert_int_equal(dk__mmio_access(m, DK_MMIO_BASE + DK_MMIO_SIZE - 4096,
					 4, false, &v),
			 -ENXIO);
	assert_true(v == ~0ull);
	assert_log_count("no device there", 1);
}

static void widths_and_alignment_are_checked(void **state)
{
	struct dk_counters c;

	(void)state;
	assert_int_equal(readb(regs), 0xff);		/* takes 4|8 only */
	assert_int_equal(readw(regs), 0xffff);
	assert_log_count("unsupported width", 2);
	assert_int_equal(readl(regs + 2), 0xffffffffu);
	writeq(1, regs + 4);
	assert_log_count("misaligned", 2);
	dk_device_counters(pdev, &c);
	assert_int_equal(c.faults, 4);
	assert_int_equal(c.mmio_reads, 0);
	assert_int_equal(c.mmio_writes, 0);
}

static void registers_round_trip_and_are_counted(void **state)
{
	struct dk_counters c;

	(void)state;
	writel(0xdeadbeef, regs + TM_REG0);
	assert_int_equal(readl(regs + TM_REG0), 0xdeadbeef);
	writeq(0x0123456789abcdefull, regs + 0x10);
	assert_true(readq(regs + 0x10) == 0x0123456789abcdefull);
	assert_int_equal(readl(regs + 0x14), 0x01234567);
	lo_hi_writeq(0xfedcba9876543210ull, regs + 0x20);
	assert_true(lo_hi_readq(regs + 0x20) == 0xfedcba9876543210ull);
	/* The model's own complaint about an unknown register. */
	assert_int_equal(readl(regs + 0x100), 0);
	assert_log_count("read of unknown register 0x100", 1);
	dk_device_counters(pdev, &c);
	assert_int_equal(c.mmio_writes, 4);
	assert_int_equal(c.mmio_reads, 6);
	assert_int_equal(c.faults, 0);
}

static void narrow_device_takes_bytes(void **state)
{
	struct tmodel *n;
	struct platform_device *np;
	char __iomem *r;

	(void)state;
	assert_int_equal(tmodel_add(m, NULL, &tmodel_nothread_ops, &n, &np), 0);
	r = ioremap(platform_get_resource(np, IORESOURCE_MEM, 0)->start, 64);
	writel(0x11223344, r);
	assert_int_equal(readb(r + 0), 0x44);	/* model returns the word */
	writeb(0x55, r + 4);
	assert_int_equal(readl(r + 4), 0x55);
	assert_int_equal(dk_test_log_count(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			ioremap_refuses_what_is_not_one_window, setup, teardown),
		cmocka_unit_test_setup_teardown(
			accesses_to_nowhere_read_all_ones, setup, teardown),
		cmocka_unit_test_setup_teardown(
			widths_and_alignment_are_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(
			registers_round_trip_and_are_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(narrow_device_takes_bytes,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
