// SPDX-License-Identifier: MIT
/*
 * page_alloc_test.c - the buddy page allocator: bad frees and bad orders
 * (reported once each, nothing corrupted), every order, zone choice,
 * coalescing, exhaustion, zeroing, alloc_pages_exact, pinning and swap,
 * the leak report, a random run against a reference, and two threads.
 *
 * Runs on a partial machine (RAM + page allocator) with two small regions
 * so that exhaustion and full coalescing are cheap to reach.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include "dk_test.h"
#include "hw/internal.h"
#include "kernel/internal.h"

#define LOW_BASE	0x40000000ull
#define HIGH_BASE	0x100000000ull
#define REGION_SIZE	(16ull << 20)		/* 4 max-order blocks */
#define TOTAL_PAGES	(2 * REGION_SIZE / PAGE_SIZE)
#define G4		0x100000000ull

static struct dk_machine *m;

static int up(unsigned int nr, uint64_t size)
{
	m = calloc(1, sizeof(*m));
	if (!m)
		return -1;
	dk_machine_config_init(&m->cfg);
	m->cfg.nr_ram = nr;
	m->cfg.ram[0].base = LOW_BASE;
	m->cfg.ram[0].size = size;
	m->cfg.ram[1].base = HIGH_BASE;
	m->cfg.ram[1].size = size;
	dk__m = m;
	if (dk__ram_init(m))
		return -1;
	return dk__mm_init(m);
}

/* Tear down; returns the leak count dk__mm_exit reported. */
static int down(void)
{
	int leaks = dk__mm_exit(m);

	dk__ram_exit(m);
	dk__m = NULL;
	free(m);
	m = NULL;
	return leaks;
}

static int setup(void **state)
{
	(void)state;
	dk_test_log_capture();
	return up(2, REGION_SIZE);
}

static int teardown(void **state)
{
	int leaks;

	(void)state;
	leaks = down();
	if (leaks)
		dk_test_log_dump();
	dk_test_log_release();
	return leaks;
}

static void bad_orders_and_frees_are_reported_once(void **state)
{
	struct page fake, *p, *q;
	int on_stack;

	(void)state;
	assert_null(alloc_pages(GFP_KERNEL, MAX_ORDER));
	assert_log_count("order 11 is above the maximum order 10", 1);
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 40));
	assert_log_count(NULL, 1);

	__free_pages(NULL, 0);
	free_pages(0, 3);
	assert_log_count(NULL, 1);
	dk_test_log_clear();

	memset(&fake, 0, sizeof(fake));
	__free_pages(&fake, 0);
	assert_log_count("not a struct page of simulated RAM", 1);
	free_pages((unsigned long)&on_stack, 0);
	assert_log_count("address is not in simulated RAM", 1);
	assert_int_equal(nr_free_pages(), TOTAL_PAGES);

	p = alloc_pages(GFP_KERNEL, 2);
	assert_non_null(p);
	dk_test_log_clear();

	__free_pages(p, 11);
	assert_log_count("order above the maximum 10; nothing freed", 1);
	__free_pages(p, 1);
	assert_log_count("block was allocated with order 2; nothing freed", 1);
	__free_pages(p + 1, 0);
	assert_log_count("is not the start of an allocated block", 1);
	free_pages((unsigned long)page_address(p) + 8, 2);
	assert_log_count("address is not page aligned", 1);
	assert_int_equal(nr_free_pages(), TOTAL_PAGES - 4);
	assert_log_count(NULL, 4);

	/* The allocator is intact: the right free works, once. */
	__free_pages(p, 2);
	assert_int_equal(nr_free_pages(), TOTAL_PAGES);
	dk_test_log_clear();
	q = alloc_pages(GFP_KERNEL, 0);	/* reuses p's first page */
	__free_pages(p, 2);
	assert_log_count("nothing freed", 1);
	__free_pages(q, 0);
	__free_pages(q, 0);
	assert_log_count("double free", 1);
	assert_log_count(NULL, 2);
	assert_int_equal(nr_free_pages(), TOTAL_PAGES);
}

static void every_order_gives_an_aligned_usable_block(void **state)
{
	(void)state;
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		struct page *p = alloc_pages(GFP_KERNEL, o);
		phys_addr_t phys;
		char *va;

		assert_non_null(p);
		phys = page_to_phys(p);
		assert_int_equal(phys & ((PAGE_SIZE << o) - 1), 0);
		assert_int_equal(nr_free_pages(), TOTAL_PAGES - (1ul << o));
		va = page_address(p);
		assert_non_null(va);
		assert_ptr_equal(phys_to_virt(phys), va);
		assert_int_equal(virt_to_phys(va), phys);
		assert_ptr_equal(virt_to_page(va), p);
		assert_ptr_equal(virt_to_page(va + (PAGE_SIZE << o) - 1),
				 p + (1ul << o) - 1);
		assert_ptr_equal(phys_to_page(phys + 5), p);
		assert_int_equal(page_to_pfn(p), phys >> PAGE_SHIFT);
		assert_ptr_equal(pfn_to_page(page_to_pfn(p)), p);
		assert_true(virt_addr_valid(va));
		assert_true(virt_addr_valid((unsigned long)va));
		va[0] = 1;
		va[(PAGE_SIZE << o) - 1] = 2;
		__free_pages(p, o);
		assert_int_equal(nr_free_pages(), TOTAL_PAGES);
	}
	assert_false(virt_addr_valid(&state));
	assert_null(virt_to_page(&state));
	assert_null(pfn_to_page(0));
	assert_null(phys_to_page(DK_PHYS_INVALID));
	assert_int_equal(get_order(1), 0);
	assert_int_equal(get_order(PAGE_SIZE), 0);
	assert_int_equal(get_order(PAGE_SIZE + 1), 1);
	assert_int_equal(get_order(4ul << 20), 10);
	assert_int_equal(PAGE_ALIGN(4097ul), 8192);
	assert_int_equal(offset_in_page((void *)0x1234), 0x234);
	assert_log_count(NULL, 0);
}

static void zones_follow_the_gfp_flags(void **state)
{
	struct page *hi[4], *p;

	(void)state;
	p = alloc_pages(GFP_DMA32, 0);
	assert_true(page_to_phys(p) < G4);
	__free_pages(p, 0);
	p = alloc_pages(GFP_KERNEL | GFP_DMA, 3);
	assert_true(page_to_phys(p) < G4);
	__free_pages(p, 3);
	p = alloc_pages(GFP_KERNEL, 0);
	assert_true(page_to_phys(p) >= G4);
	__free_pages(p, 0);
	p = alloc_pages(GFP_ATOMIC, 1);
	assert_true(page_to_phys(p) >= G4);
	__free_pages(p, 1);

	/* Normal exhausted: GFP_KERNEL falls back to DMA32, silently. */
	for (int i = 0; i < 4; i++) {
		hi[i] = alloc_pages(GFP_KERNEL, MAX_ORDER - 1);
		assert_true(page_to_phys(hi[i]) >= G4);
	}
	p = alloc_pages(GFP_NOWAIT, 0);
	assert_non_null(p);
	assert_true(page_to_phys(p) < G4);
	__free_pages(p, 0);
	for (int i = 0; i < 4; i++)
		__free_pages(hi[i], MAX_ORDER - 1);
	assert_log_count(NULL, 0);
}

static void low_only_machine_serves_gfp_kernel_from_dma32(void **state)
{
	struct page *p;

	(void)state;
	assert_int_equal(down(), 0);
	assert_int_equal(up(1, REGION_SIZE), 0);
	assert_int_equal(nr_free_pages(), REGION_SIZE / PAGE_SIZE);
	p = alloc_pages(GFP_KERNEL, 4);
	assert_non_null(p);
	assert_true(page_to_phys(p) >= LOW_BASE && page_to_phys(p) < G4);
	__free_pages(p, 4);

	/* A region not aligned to 4 MiB still yields all its pages. */
	assert_int_equal(down(), 0);
	m = calloc(1, sizeof(*m));
	dk_machine_config_init(&m->cfg);
	m->cfg.nr_ram = 1;
	m->cfg.ram[0].base = 0x7000;
	m->cfg.ram[0].size = 0x5ff000;
	dk__m = m;
	assert_int_equal(dk__ram_init(m), 0);
	assert_int_equal(dk__mm_init(m), 0);
	assert_int_equal(nr_free_pages(), 0x5ff);
	p = alloc_pages(GFP_KERNEL, 0);
	assert_non_null(p);
	__free_pages(p, 0);
	assert_log_count(NULL, 0);
}

static void exhaustion_returns_null_with_one_message(void **state)
{
	struct page *blocks[8], *p;

	(void)state;
	for (int i = 0; i < 8; i++) {
		blocks[i] = alloc_pages(GFP_KERNEL, MAX_ORDER - 1);
		assert_non_null(blocks[i]);
	}
	assert_int_equal(nr_free_pages(), 0);
	assert_null(alloc_pages(GFP_KERNEL, 0));
	assert_log_count("page allocation failure: order:0", 1);
	assert_null(alloc_pages(GFP_DMA32, 3));
	assert_log_count("page allocation failure: order:3", 1);
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0));
	assert_null(alloc_pages_exact(3 * PAGE_SIZE,
				      GFP_KERNEL | __GFP_NOWARN));
	assert_log_count(NULL, 2);

	/* Give one block back: exactly that much is allocatable again. */
	__free_pages(blocks[5], MAX_ORDER - 1);
	for (unsigned int i = 0; i < 1u << (MAX_ORDER - 1); i++) {
		p = alloc_pages(GFP_KERNEL, 0);
		assert_non_null(p);
	}
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0));
	/* Order-0 pages freed one by one coalesce back into the block. */
	p = phys_to_page(page_to_phys(blocks[5]));
	for (unsigned int i = 0; i < 1u << (MAX_ORDER - 1); i++)
		__free_pages(p + i, 0);
	blocks[5] = alloc_pages(GFP_KERNEL, MAX_ORDER - 1);
	assert_non_null(blocks[5]);
	for (int i = 0; i < 8; i++)
		__free_pages(blocks[i], MAX_ORDER - 1);
	assert_int_equal(nr_free_pages(), TOTAL_PAGES);
	assert_log_count(NULL, 2);
}

static void zero_flag_and_zeroed_page_clear_memory(void **state)
{
	struct page *p;
	unsigned long a;
	char *va;

	(void)state;
	p = alloc_pages(GFP_KERNEL, 1);
	va = page_address(p);
	memset(va, 0xa5, 2 * PAGE_SIZE);
	__free_pages(p, 1);
	p = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1);
	assert_ptr_equal(page_address(p), va);	/* LIFO free lists */
	for (size_t i = 0; i < 2 * PAGE_SIZE; i++)
		if (va[i])
			fail_msg("byte %zu is 0x%x, expected 0", i, va[i]);
	memset(va, 0x5a, PAGE_SIZE);
	__free_pages(p, 1);
	a = get_zeroed_page(GFP_KERNEL);
	assert_true(a != 0);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(((char *)a)[i], 0);
	free_page(a);
	a = __get_free_pages(GFP_KERNEL, 3);
	assert_true(a && !offset_in_page(a));
	free_pages(a, 3);
	a = __get_free_page(GFP_DMA32);
	assert_true(virt_to_phys((void *)a) < G4);
	free_page(a);
	assert_int_equal(nr_free_pages(), TOTAL_PAGES);
	assert_log_count(NULL, 0);
}

static void alloc_pages_exact_takes_only_what_is_asked(void **state)
{
	char *a;
	char *b;

	(void)state;
	assert_null(alloc_pages_exact(0, GFP_KERNEL));
	assert_log_count("size is 0", 1);
	a = alloc_pages_exact(5 * PAGE_SIZE - 100, GFP_KERNEL);
	assert_non_null(a);
	assert_int_equal(nr_free_pages(), TOTAL_PAGES - 5);
	memset(a, 1, 5 * PAGE_SIZE);
	b = alloc_pages_exact(PAGE_SIZE, GFP_DMA32 | __GFP_ZERO);
	assert_true(virt_to_phys(b) < G4);
	assert_int_equal(b[100], 0);
	free_pages_exact(a, 5 * PAGE_SIZE - 100);
	free_pages_exact(b, PAGE_SIZE);
	assert_int_equal(nr_free_pages(), TOTAL_PAGES);
	free_pages_exact(&state, PAGE_SIZE);
	assert_log_count("free_pages_exact", 1);
	/* Coalesced: all eight max-order blocks are there. */
	for (int i = 0; i < 8; i++)
		assert_non_null(alloc_pages_exact(4 << 20, GFP_KERNEL));
	assert_int_equal(nr_free_pages(), 0);
	for (uint64_t off = 0; off < REGION_SIZE; off += 4 << 20) {
		free_pages_exact(phys_to_virt(LOW_BASE + off), 4 << 20);
		free_pages_exact(phys_to_virt(HIGH_BASE + off), 4 << 20);
	}
	assert_int_equal(nr_free_pages(), TOTAL_PAGES);
	assert_log_count(NULL, 2);
}

static void pin_and_swap_rules(void **state)
{
	struct page *p, *free_pg, fake;
	phys_addr_t phys;

	(void)state;
	p = alloc_pages(GFP_KERNEL, 1);
	phys = page_to_phys(p);
	free_pg = phys_to_page(phys + 2 * PAGE_SIZE);	/* free buddy */

	/* Bad arguments. */
	memset(&fake, 0, sizeof(fake));
	assert_int_equal(dk_page_pin(&fake), -EINVAL);
	assert_int_equal(dk_page_swap_out(&fake), -EINVAL);
	assert_false(dk_page_is_present(&fake));
	assert_log_count("not a struct page of simulated RAM", 2);
	assert_int_equal(dk_page_swap_out(free_pg), -EINVAL);
	assert_int_equal(dk_page_pin(free_pg), -EINVAL);
	assert_log_count("page is not allocated", 2);
	unpin_user_page(p);
	assert_log_count("page is not pinned", 1);
	dk_test_log_clear();

	/* Swap out and in, a tail page too. */
	assert_true(dk_page_is_present(p));
	assert_int_equal(dk_page_swap_out(p + 1), 0);
	assert_true(dk_page_is_present(p));
	assert_false(dk_page_is_present(p + 1));
	assert_int_equal(dk_page_swap_in(p + 1), 0);
	assert_true(dk_page_is_present(p + 1));

	/* A pinned page stays in; pins nest; pinning brings a page back. */
	assert_int_equal(dk_page_pin(p), 0);
	assert_int_equal(dk_page_pin(p), 0);
	assert_int_equal(dk_page_swap_out(p), -EBUSY);
	unpin_user_page(p);
	assert_int_equal(dk_page_swap_out(p), -EBUSY);
	unpin_user_page(p);
	assert_int_equal(dk_page_swap_out(p), 0);
	assert_false(dk_page_is_present(p));
	assert_int_equal(dk_page_pin(p), 0);
	assert_true(dk_page_is_present(p));

	/* A block holding a pinned page cannot be freed. */
	__free_pages(p, 1);
	assert_log_count("is still pinned; nothing freed", 1);
	assert_int_equal(nr_free_pages(), TOTAL_PAGES - 2);
	unpin_user_page(p);

	/* Freeing a swapped-out page makes its frame present again. */
	assert_int_equal(dk_page_swap_out(p + 1), 0);
	__free_pages(p, 1);
	assert_true(dk_page_is_present(p + 1));
	assert_int_equal(nr_free_pages(), TOTAL_PAGES);
	assert_log_count(NULL, 1);
}

static void leaks_are_reported_at_exit(void **state)
{
	(void)state;
	assert_non_null(alloc_pages(GFP_KERNEL, 0));
	assert_non_null(alloc_pages(GFP_DMA32, 3));
	assert_non_null(alloc_pages_exact(2 * PAGE_SIZE, GFP_KERNEL));
	assert_int_equal(down(), 4);
	assert_log_count("mm: leak: 11 pages in 4 blocks still allocated", 1);
	assert_log_count("order 3", 1);
	assert_log_count(NULL, 1);
	dk_test_log_clear();
	assert_int_equal(up(2, REGION_SIZE), 0);
}

/* ---- random run against a reference ------------------------------------- */

struct ref_block {
	struct page *page;
	unsigned int order;
	uint64_t tag;
};

static void random_run_matches_a_reference(void **state)
{
	unsigned int n = 4000 * dk_test_stress(), live = 0;
	struct ref_block *blk = calloc(512, sizeof(*blk));
	uint8_t *used = calloc(TOTAL_PAGES, 1);
	uint64_t seed = dk_test_seed(), rs = seed;
	unsigned long pages = 0;

	(void)state;
	print_message("random_run seed %llu\n", (unsigned long long)seed);
	assert_non_null(blk);
	assert_non_null(used);
	for (unsigned int step = 0; step < n; step++) {
		uint64_t r = dk_test_rand(&rs);

		if (live < 512 && (live == 0 || r % 100 < 55)) {
			unsigned int o = (unsigned int)(r >> 8) % 6;
			gfp_t gfp = (r >> 16) & 1 ? GFP_DMA32 : GFP_KERNEL;
			struct page *p = alloc_pages(gfp | __GFP_NOWARN, o);
			uint64_t *va;
			size_t idx;

			if (!p)
				continue;
			if (gfp == GFP_DMA32)
				assert_true(page_to_phys(p) < G4);
			idx = (size_t)(page_to_phys(p) >= HIGH_BASE
					       ? (page_to_phys(p) - HIGH_BASE) /
							 PAGE_SIZE +
							 REGION_SIZE / PAGE_SIZE
					       : (page_to_phys(p) - LOW_BASE) /
							 PAGE_SIZE);
			for (size_t i = 0; i < (1ul << o); i++) {
				if (used[idx + i])
					fail_msg("seed %llu step %u: page %zu handed out twice",
						 (unsigned long long)seed,
						 step, idx + i);
				used[idx + i] = 1;
			}
			va = page_address(p);
			va[0] = r;
			va[(PAGE_SIZE << o) / 8 - 1] = ~r;
			blk[live++] = (struct ref_block){ p, o, r };
			pages += 1ul << o;
		} else {
			unsigned int k = (unsigned int)((r >> 8) % live);
			struct ref_block b = blk[k];
			uint64_t *va = page_address(b.page);
			size_t idx;

			if (va[0] != b.tag ||
			    va[(PAGE_SIZE << b.order) / 8 - 1] != ~b.tag)
				fail_msg("seed %llu step %u: block contents changed",
					 (unsigned long long)seed, step);
			idx = (size_t)(page_to_phys(b.page) >= HIGH_BASE
					       ? (page_to_phys(b.page) -
						  HIGH_BASE) / PAGE_SIZE +
							 REGION_SIZE / PAGE_SIZE
					       : (page_to_phys(b.page) -
						  LOW_BASE) / PAGE_SIZE);
			memset(used + idx, 0, 1ul << b.order);
			__free_pages(b.page, b.order);
			blk[k] = blk[--live];
			pages -= 1ul << b.order;
		}
		if (nr_free_pages() != TOTAL_PAGES - pages)
			fail_msg("seed %llu step %u: %lu free pages, expected %llu",
				 (unsigned long long)seed, step,
				 nr_free_pages(), TOTAL_PAGES - pages);
	}
	while (live) {
		live--;
		__free_pages(blk[live].page, blk[live].order);
	}
	assert_int_equal(nr_free_pages(), TOTAL_PAGES);
	/* Fully coalesced. */
	for (int i = 0; i < 8; i++)
		assert_non_null(blk[i].page = alloc_pages(GFP_KERNEL, 10));
	for (int i = 0; i < 8; i++)
		__free_pages(blk[i].page, 10);
	free(blk);
	free(used);
	assert_log_count(NULL, 0);
}

/* ---- two threads -------------------------------------------------------- */

static void *churn(void *arg)
{
	uint64_t rs = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
	unsigned int n = 3000 * dk_test_stress();
	struct page *held[16] = { 0 };
	unsigned int order[16] = { 0 };
	uintptr_t bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		unsigned int k = (unsigned int)(dk_test_rand(&rs) % 16);

		if (held[k]) {
			uint64_t *va = page_address(held[k]);

			if (va[0] != (uintptr_t)arg + k)
				bad++;
			__free_pages(held[k], order[k]);
			held[k] = NULL;
		} else {
			order[k] = (unsigned int)(dk_test_rand(&rs) % 4);
			held[k] = alloc_pages(k & 1 ? GFP_DMA32 : GFP_KERNEL,
					      order[k]);
			if (!held[k]) {
				bad++;
				continue;
			}
			*(uint64_t *)page_address(held[k]) = (uintptr_t)arg + k;
		}
	}
	for (int k = 0; k < 16; k++)
		if (held[k])
			__free_pages(held[k], order[k]);
	return (void *)bad;
}

static void two_threads_alloc_and_free_concurrently(void **state)
{
	pthread_t t[2];
	void *bad[2];

	(void)state;
	for (uintptr_t i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn,
						(void *)(i << 32)),
				 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], &bad[i]), 0);
	assert_ptr_equal(bad[0], NULL);
	assert_ptr_equal(bad[1], NULL);
	assert_int_equal(nr_free_pages(), TOTAL_PAGES);
	assert_log_count(NULL, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(bad_orders_and_frees_are_reported_once),
		T(every_order_gives_an_aligned_usable_block),
		T(zones_follow_the_gfp_flags),
		T(low_only_machine_serves_gfp_kernel_from_dma32),
		T(exhaustion_returns_null_with_one_message),
		T(zero_flag_and_zeroed_page_clear_memory),
		T(alloc_pages_exact_takes_only_what_is_asked),
		T(pin_and_swap_rules),
		T(leaks_are_reported_at_exit),
		T(random_run_matches_a_reference),
		T(two_threads_alloc_and_free_concurrently),
	};
#undef T

	return cmocka_run_group_tests_name("kernel/page_alloc", tests, NULL,
					   NULL);
}
