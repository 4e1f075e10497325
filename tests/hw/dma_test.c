// SPDX-License-Identifier: MIT
/*
 * dma_test.c - the device-side DMA path: reads, writes, copies and fills by
 * bus address; reach, RAM, MMIO and present checks; all-or-nothing on a
 * refusal; counters; multi-run translation through the hook.
 *
 * The test thread acts as the device (the path takes no device lock).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/io.h>
#include <linux/platform_device.h>
#include "dk_test.h"
#include "tmodel.h"
#include <dmakit/hw/dma.h>
#include "hw/internal.h"

static struct dk_machine *m;
static struct tmodel *t;
static struct platform_device *pdev;

static int make(const struct dk_machine_config *mc, unsigned int dma_bits)
{
	struct dk_device_config cfg;

	dk_test_log_capture();
	if (dk_machine_create(mc, &m))
		return -1;
	dk_device_config_init(&cfg);
	cfg.name = "dmadev";
	cfg.dma_bits = dma_bits;
	return tmodel_add(m, &cfg, &tmodel_nothread_ops, &t, &pdev);
}

static int setup(void **state)
{
	(void)state;
	return make(NULL, 0);
}

static int teardown(void **state)
{
	int leaks;

	(void)state;
	m->xlate = NULL;
	leaks = dk_machine_destroy(m);
	dk_test_log_release();
	return leaks;
}

static uint8_t *host(uint64_t phys)
{
	return phys_to_virt(phys);
}

static void pattern(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

static void read_write_round_trip_in_both_regions(void **state)
{
	const uint64_t addrs[] = { DK_RAM_LOW_BASE + 0x1234,
				   DK_RAM_HIGH_BASE + 0x100000 - 7 };
	uint8_t buf[10000], back[10000];
	struct dk_counters c;

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		pattern(buf, sizeof(buf), (unsigned int)k);
		assert_int_equal(dk_dma_write(&t->hw, addrs[k], buf,
					      sizeof(buf)), 0);
		assert_memory_equal(host(addrs[k]), buf, sizeof(buf));
		memset(back, 0, sizeof(back));
		assert_int_equal(dk_dma_read(&t->hw, addrs[k], back,
					     sizeof(back)), 0);
		assert_memory_equal(back, buf, sizeof(buf));
	}
	assert_int_equal(dk_dma_read(&t->hw, addrs[0], NULL, 0), 0);
	dk_device_counters(pdev, &c);
	assert_int_equal(c.dma_write_txns, 2);
	assert_int_equal(c.dma_read_txns, 2);
	assert_int_equal(c.dma_write_bytes, 2 * sizeof(buf));
	assert_int_equal(c.dma_read_bytes, 2 * sizeof(buf));
	assert_int_equal(c.faults, 0);
}

static void refusals_move_nothing(void **state)
{
	uint64_t last_low = DK_RAM_LOW_BASE + DK_RAM_LOW_SIZE;
	uint64_t mmio = platform_get_resource(pdev, IORESOURCE_MEM, 0)->start;
	uint8_t buf[8192];
	struct dk_counters c;

	(void)state;
	memset(buf, 0xab, sizeof(buf));
	memset(host(last_low - 4096), 0, 4096);
	/* Runs off the end of low RAM into the hole. */
	assert_int_equal(dk_dma_write(&t->hw, last_low - 4096, buf, 8192),
			 -ENXIO);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(host(last_low - 4096)[i], 0);
	assert_log_count("no RAM at", 1);
	/* Below RAM. */
	assert_int_equal(dk_dma_read(&t->hw, 0x1000, buf, 16), -ENXIO);
	/* Into a device's own register window. */
	assert_int_equal(dk_dma_write(&t->hw, mmio, buf, 4), -ENXIO);
	assert_log_count("MMIO window of dmadev", 1);
	/* Address wrap-around. */
	assert_int_equal(dk_dma_read(&t->hw, ~0ull - 2, buf, 16), -ENXIO);
	/* Copy whose destination is bad: the source is not even read. */
	assert_int_equal(dk_dma_copy(&t->hw, 0x2000, DK_RAM_LOW_BASE, 64),
			 -ENXIO);
	assert_int_equal(dk_dma_fill(&t->hw, 0x2000, 1, 64), -ENXIO);
	assert_int_equal(dk_dma_read(NULL, DK_RAM_LOW_BASE, buf, 1), -EINVAL);
	assert_int_equal(dk_dma_write(&t->hw, DK_RAM_LOW_BASE, NULL, 1),
			 -EINVAL);
	dk_device_counters(pdev, &c);
	assert_int_equal(c.faults, 6);
	assert_int_equal(c.dma_read_txns + c.dma_write_txns, 0);
	assert_int_equal(c.dma_read_bytes + c.dma_write_bytes, 0);
}

static void not_present_page_is_refused(void **state)
{
	uint64_t phys = DK_RAM_LOW_BASE + 0x200000;
	uint8_t buf[3 * 4096];

	(void)state;
	memset(host(phys), 0, sizeof(buf));
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(dk__ram_set_present(m, phys + 4096, 4096, false), 0);
	assert_int_equal(dk_dma_write(&t->hw, phys, buf, sizeof(buf)), -EIO);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(host(phys)[i], 0);
	assert_log_count("page not present", 1);
	/* Entirely before or after it is fine. */
	assert_int_equal(dk_dma_write(&t->hw, phys, buf, 4096), 0);
	assert_int_equal(dk_dma_write(&t->hw, phys + 8192, buf, 4096), 0);
	assert_int_equal(dk__ram_set_present(m, phys + 4096, 4096, true), 0);
	assert_int_equal(dk_dma_write(&t->hw, phys, buf, sizeof(buf)), 0);
	assert_memory_equal(host(phys), buf, sizeof(buf));
}

static int reach_setup(void **state)
{
	(void)state;
	return make(NULL, 32);
}

static void device_cannot_reach_above_its_bits(void **state)
{
	uint8_t buf[64] = { 1 };

	(void)state;
	assert_int_equal(dk_dma_write(&t->hw, DK_RAM_HIGH_BASE, buf, 64),
			 -ENXIO);
	assert_log_count("beyond the device's address reach", 1);
	/* A range that starts below 4 GiB and ends above is refused whole. */
	assert_int_equal(dk_dma_read(&t->hw, 0xfffffff0ull, buf, 32), -ENXIO);
	assert_log_count("beyond the device's address reach", 2);
	assert_int_equal(dk_dma_write(&t->hw, DK_RAM_LOW_BASE, buf, 64), 0);
}

static void copy_and_fill(void **state)
{
	uint64_t src = DK_RAM_HIGH_BASE + 0x3001, dst = DK_RAM_LOW_BASE + 0x7;
	size_t n = 3 * 1024 * 1024 + 5;
	uint8_t *ref = malloc(n);
	struct dk_counters c;

	(void)state;
	pattern(ref, n, 9);
	memcpy(host(src), ref, n);
	assert_int_equal(dk_dma_copy(&t->hw, dst, src, n), 0);
	assert_memory_equal(host(dst), ref, n);

	/* Overlapping, within one region: memmove semantics. */
	assert_int_equal(dk_dma_copy(&t->hw, dst + 100, dst, 1000), 0);
	assert_memory_equal(host(dst + 100), ref, 1000);

	/* Fill keeps the pattern's phase from the transfer's start. */
	assert_int_equal(dk_dma_fill(&t->hw, dst + 3, 0x0807060504030201ull,
				     203), 0);
	for (size_t i = 0; i < 203; i++)
		assert_int_equal(host(dst + 3)[i], (i % 8) + 1);
	dk_device_counters(pdev, &c);
	assert_int_equal(c.dma_read_txns, 2);
	assert_int_equal(c.dma_write_txns, 3);
	assert_int_equal(c.dma_write_bytes, n + 1000 + 203);
	free(ref);
}

static int adjacent_setup(void **state)
{
	struct dk_machine_config mc;

	(void)state;
	dk_machine_config_init(&mc);
	mc.nr_ram = 2;
	mc.ram[0].base = 0x40000000;
	mc.ram[0].size = 0x10000000;
	mc.ram[1].base = 0x50000000;
	mc.ram[1].size = 0x10000000;
	return make(&mc, 0);
}

static void transfer_across_adjacent_regions(void **state)
{
	uint64_t at = 0x50000000 - 5000;
	uint8_t buf[10000], back[10000];

	(void)state;
	pattern(buf, sizeof(buf), 3);
	assert_int_equal(dk_dma_write(&t->hw, at, buf, sizeof(buf)), 0);
	assert_memory_equal(host(at), buf, 5000);
	assert_memory_equal(host(0x50000000), buf + 5000, 5000);
	assert_int_equal(dk_dma_read(&t->hw, at, back, sizeof(back)), 0);
	assert_memory_equal(back, buf, sizeof(buf));
}

/* A translation that maps bus page i to physical page (N - 1 - i). */
#define XL_BUS   0x10000000000ull
#define XL_PAGES 64
static uint64_t xl_phys_base;
static uint64_t xl_fault_page = ~0ull;

static int reverse_translate(struct dk_machine *mm, struct dk_hw_dev *dev,
			     uint64_t bus, bool write, uint64_t *phys,
			     uint64_t *len)
{
	uint64_t page = (bus - XL_BUS) >> DK_PAGE_SHIFT;

	(void)mm;
	(void)dev;
	(void)write;
	if (bus < XL_BUS || page >= XL_PAGES || page == xl_fault_page)
		return -EFAULT;
	*phys = xl_phys_base + ((XL_PAGES - 1 - page) << DK_PAGE_SHIFT) +
		(bus & (DK_PAGE_SIZE - 1));
	*len = DK_PAGE_SIZE - (bus & (DK_PAGE_SIZE - 1));
	return 0;
}

static const struct dk_dma_xlate reverse_xlate = {
	.translate = reverse_translate,
};

static void translation_hook_many_runs(void **state)
{
	size_t n = XL_PAGES * DK_PAGE_SIZE - 100;
	uint8_t *buf = malloc(n), *back = malloc(n);
	struct dk_counters c;

	(void)state;
	xl_phys_base = DK_RAM_LOW_BASE + 0x1000000;
	m->xlate = &reverse_xlate;
	pattern(buf, n, 77);
	assert_int_equal(dk_dma_write(&t->hw, XL_BUS + 50, buf, n), 0);
	/* Bus page 0 landed in the last physical page. */
	assert_memory_equal(host(xl_phys_base + (XL_PAGES - 1) * 4096 + 50),
			    buf, 4096 - 50);
	/* And the tail, in bus page 63, in physical page 0. */
	assert_memory_equal(host(xl_phys_base), buf + 63 * 4096 - 50,
			    n - (63 * 4096 - 50));
	assert_int_equal(dk_dma_read(&t->hw, XL_BUS + 50, back, n), 0);
	assert_memory_equal(back, buf, n);
	memset(back, 0, n);
	assert_int_equal(dk_dma_copy(&t->hw, XL_BUS + 10, XL_BUS + 50, 40000),
			 0);
	assert_int_equal(dk_dma_read(&t->hw, XL_BUS + 10, back, 40000), 0);
	assert_memory_equal(back, buf, 40000);

	/* A fault in page 40 of 64: nothing at all is written. */
	xl_fault_page = 40;
	memset(buf, 0xee, n);
	assert_int_equal(dk_dma_write(&t->hw, XL_BUS, buf, XL_PAGES * 4096),
			 -EFAULT);
	assert_int_equal(dk_dma_read(&t->hw, XL_BUS + 10, back, 4096), 0);
	assert_int_not_equal(back[0], 0xee);
	dk_device_counters(pdev, &c);
	assert_int_equal(c.faults, 1);
	xl_fault_page = ~0ull;
	free(buf);
	free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			read_write_round_trip_in_both_regions, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals_move_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(not_present_page_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			device_cannot_reach_above_its_bits, reach_setup,
			teardown),
		cmocka_unit_test_setup_teardown(copy_and_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(
			transfer_across_adjacent_regions, adjacent_setup,
			teardown),
		cmocka_unit_test_setup_teardown(translation_hook_many_runs,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
