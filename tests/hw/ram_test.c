// SPDX-License-Identifier: MIT
/*
 * ram_test.c - simulated RAM: layout validation (one error per bad case),
 * lazy commitment of a default 4 GiB layout, the CPU view through
 * phys_to_virt/virt_to_phys, and the per-frame present flags.
 *
 * Runs on a partial machine: RAM only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/io.h>
#include "dk_test.h"
#include "hw/internal.h"

static struct dk_machine *m;

static int setup(void **state)
{
	(void)state;
	dk_test_log_capture();
	m = calloc(1, sizeof(*m));
	if (!m)
		return -1;
	dk_machine_config_init(&m->cfg);
	dk__m = m;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dk__ram_exit(m);
	dk__m = NULL;
	free(m);
	m = NULL;
	dk_test_log_release();
	return 0;
}

/* Expect dk__ram_init to refuse the layout with one message holding @msg. */
static void expect_bad_layout(const char *msg)
{
	dk_test_log_clear();
	assert_int_equal(dk__ram_init(m), -EINVAL);
	assert_null(m->ram);
	assert_log_count(msg, 1);
	assert_log_count(NULL, 1);
}

static void bad_layouts_are_refused_with_the_reason(void **state)
{
	struct dk_machine_config good = m->cfg;

	(void)state;
	m->cfg.nr_ram = 0;
	expect_bad_layout("nr_ram 0 outside 1..4");
	m->cfg.nr_ram = DK_MAX_RAM_REGIONS + 1;
	expect_bad_layout("nr_ram 5 outside 1..4");

	m->cfg = good;
	m->cfg.ram[1].size = 0;
	expect_bad_layout("region 1 (base 0x100000000): size is 0");

	m->cfg = good;
	m->cfg.ram[0].base += 0x800;
	expect_bad_layout("region 0 (base 0x40000800 size 0x80000000): base and size must be 4 KiB aligned");

	m->cfg = good;
	m->cfg.ram[1].size += 1;
	expect_bad_layout("region 1 (base 0x100000000 size 0x80000001)");

	m->cfg = good;
	m->cfg.ram[1].base = ~0ull - 0xfff;	/* wraps around */
	m->cfg.ram[1].size = 0x2000;
	expect_bad_layout("region 1 (base 0xfffffffffffff000 size 0x2000): ends beyond the 2^52");

	m->cfg = good;
	m->cfg.ram[1].base = (1ull << 52) - 0x1000;
	m->cfg.ram[1].size = 0x2000;
	expect_bad_layout("ends beyond the 2^52 physical limit");

	m->cfg = good;
	m->cfg.ram[0].size = 0xb0001000;	/* runs into 0xf0000000 */
	expect_bad_layout("region 0 [0x40000000-0xf0001000) overlaps the MMIO hole [0xf0000000-0x100000000)");

	m->cfg = good;
	m->cfg.ram[1].base = 0xfffff000;	/* last page of the hole */
	expect_bad_layout("overlaps the MMIO hole");

	m->cfg = good;
	m->cfg.nr_ram = 3;
	m->cfg.ram[2].base = 0x170000000ull;
	m->cfg.ram[2].size = 0x20000000ull;
	expect_bad_layout("region 2 [0x170000000-0x190000000) overlaps region 1 [0x100000000-0x180000000)");

	/* The good layout still works after all that. */
	m->cfg = good;
	dk_test_log_clear();
	assert_int_equal(dk__ram_init(m), 0);
	assert_non_null(m->ram);
	assert_int_equal(m->ram->nr, 2);
	assert_log_count(NULL, 0);
}

static long rss_kib(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void a_default_machine_costs_no_memory_until_touched(void **state)
{
	long before, after;

	(void)state;
	before = rss_kib();
	assert_true(before > 0);
	assert_int_equal(dk__ram_init(m), 0);
	after = rss_kib();
	/* 4 GiB of RAM and 1 MiB of frame state reserved: under 8 MiB used. */
	if (after - before >= 8 * 1024)
		fail_msg("RSS grew by %ld KiB for an untouched 4 GiB machine",
			 after - before);
	assert_int_equal(m->ram->region[0].size, DK_RAM_LOW_SIZE);
	assert_int_equal(m->ram->region[1].base, DK_RAM_HIGH_BASE);
}

static void cpu_view_reads_and_writes_ram(void **state)
{
	uint64_t lo = DK_RAM_LOW_BASE + 0x12345, hi = DK_RAM_HIGH_BASE + 0xfff8;
	int on_stack = 0;
	char *p, *q;

	(void)state;
	assert_int_equal(dk__ram_init(m), 0);
	p = phys_to_virt(lo);
	q = phys_to_virt(hi);
	assert_non_null(p);
	assert_non_null(q);
	assert_ptr_equal(p, m->ram->region[0].host + 0x12345);
	memcpy(p, "dmakit", 7);
	memcpy(q, "hi-ram!", 8);
	assert_string_equal((char *)phys_to_virt(lo), "dmakit");
	assert_string_equal(q, "hi-ram!");
	assert_int_equal(virt_to_phys(p), lo);
	assert_int_equal(virt_to_phys(q + 3), hi + 3);

	/* Edges of the regions. */
	assert_non_null(phys_to_virt(DK_RAM_LOW_BASE));
	assert_null(phys_to_virt(DK_RAM_LOW_BASE - 1));
	assert_non_null(phys_to_virt(DK_RAM_LOW_BASE + DK_RAM_LOW_SIZE - 1));
	assert_null(phys_to_virt(DK_RAM_LOW_BASE + DK_RAM_LOW_SIZE));
	assert_null(phys_to_virt(DK_MMIO_BASE));
	assert_null(phys_to_virt(DK_RAM_HIGH_BASE + DK_RAM_HIGH_SIZE));

	/* Host memory outside RAM has no physical address. */
	assert_int_equal(virt_to_phys(&on_stack), DK_PHYS_INVALID);
	assert_int_equal(virt_to_phys(m), DK_PHYS_INVALID);
	assert_ptr_equal(dk__ram_region_of_host(m->ram, q),
			 &m->ram->region[1]);
	assert_null(dk__ram_region_of_host(m->ram, &on_stack));
	assert_null(dk__ram_region_of_host(m->ram,
					   m->ram->region[0].host +
						   DK_RAM_LOW_SIZE));
	assert_log_count(NULL, 0);
}

static uint8_t frame_state(uint64_t phys)
{
	const struct dk_ram_region *r = dk__ram_region(m->ram, phys);

	return r->frame_state[(phys - r->base) >> DK_PAGE_SHIFT];
}

static void present_flags_follow_set_present(void **state)
{
	uint64_t a = DK_RAM_HIGH_BASE + 0x10000;

	(void)state;
	assert_int_equal(dk__ram_init(m), 0);

	/* Bad ranges first: outside RAM, across regions, empty, wrapping. */
	assert_int_equal(dk__ram_set_present(m, DK_MMIO_BASE, 4096, false),
			 -EINVAL);
	assert_int_equal(dk__ram_set_present(m, DK_RAM_LOW_BASE +
						    DK_RAM_LOW_SIZE - 4096,
					     8192, false),
			 -EINVAL);
	assert_int_equal(dk__ram_set_present(m, a, 0, false), -EINVAL);
	assert_int_equal(dk__ram_set_present(m, a, ~0ull, false), -EINVAL);
	assert_log_count("not inside one RAM region", 4);

	/* Everything starts present. */
	assert_int_equal(frame_state(a), 0);
	/* An unaligned range covers every frame it touches. */
	assert_int_equal(dk__ram_set_present(m, a + 0xff0, 0x20, false), 0);
	assert_int_equal(frame_state(a - 4096), 0);
	assert_int_equal(frame_state(a), DK_FRAME_NOT_PRESENT);
	assert_int_equal(frame_state(a + 4096), DK_FRAME_NOT_PRESENT);
	assert_int_equal(frame_state(a + 8192), 0);
	assert_int_equal(dk__ram_set_present(m, a, 8192, true), 0);
	assert_int_equal(frame_state(a), 0);
	assert_int_equal(frame_state(a + 4096), 0);

	/* The last frame of a region. */
	assert_int_equal(dk__ram_set_present(m, DK_RAM_LOW_BASE +
						    DK_RAM_LOW_SIZE - 4096,
					     4096, false),
			 0);
	assert_int_equal(frame_state(DK_RAM_LOW_BASE + DK_RAM_LOW_SIZE - 1),
			 DK_FRAME_NOT_PRESENT);
}

static void exit_unmaps_and_forgets(void **state)
{
	(void)state;
	assert_int_equal(dk__ram_init(m), 0);
	dk__ram_exit(m);
	assert_null(m->ram);
	assert_null(phys_to_virt(DK_RAM_LOW_BASE));
	dk__ram_exit(m);	/* twice is harmless */

	/* A small single-region machine. */
	m->cfg.nr_ram = 1;
	m->cfg.ram[0].base = 0x1000;
	m->cfg.ram[0].size = 0x3000;
	assert_int_equal(dk__ram_init(m), 0);
	assert_non_null(phys_to_virt(0x3fff));
	assert_null(phys_to_virt(0x4000));
	assert_null(phys_to_virt(0xfff));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			bad_layouts_are_refused_with_the_reason, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			a_default_machine_costs_no_memory_until_touched, setup,
			teardown),
		cmocka_unit_test_setup_teardown(cpu_view_reads_and_writes_ram,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			present_flags_follow_set_present, setup, teardown),
		cmocka_unit_test_setup_teardown(exit_unmaps_and_forgets,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("hw/ram", tests, NULL, NULL);
}
