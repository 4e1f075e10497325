// SPDX-License-Identifier: MIT
/*
 * iova_test.c - the IOVA allocator (linux/iova.h): bad input first, then
 * alignment, limits, top-down order, reservations, find_iova, exhaustion
 * and recovery, the range caches (no false exhaustion across threads,
 * thread exit returning magazines, teardown with live and cached ranges),
 * a random run checked exactly against a reference bitmap (alloc_iova must
 * return the highest fitting range), fragmentation churn and two threads
 * at once. The tree's invariants are checked with dk__iova_check().
 *
 * No machine is needed: struct iova nodes live on the host heap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/iova.h>
#include <linux/mm.h>
#include "dk_test.h"
#include "kernel/iova_internal.h"

static int setup(void **state)
{
	(void)state;
	dk_test_log_capture();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_log_count(NULL, 0);	/* nothing unexpected was reported */
	dk_test_log_release();
	return 0;
}

static unsigned long pow2_up(unsigned long x)
{
	unsigned long p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

static void check_tree(struct iova_domain *d)
{
	int ret = dk__iova_check(d);

	if (ret)
		dk_test_log_dump();
	assert_int_equal(ret, 0);
}

/* ---- bad input ----------------------------------------------------------- */

static void bad_domain_is_reported(void **state)
{
	struct iova_domain d;

	(void)state;
	assert_null(alloc_iova(NULL, 1, 100, false));
	assert_log_count("NULL iova_domain", 1);
	dk_test_log_clear();

	memset(&d, 0, sizeof(d));
	assert_null(alloc_iova(&d, 1, 100, false));
	assert_int_equal(alloc_iova_fast(&d, 1, 100, true), 0);
	free_iova(&d, 5);
	free_iova_fast(&d, 5, 1);
	assert_null(find_iova(&d, 5));
	assert_int_equal(iova_domain_init_rcaches(&d), -EINVAL);
	put_iova_domain(&d);
	assert_log_count("is not initialised", 7);
	dk_test_log_clear();

	init_iova_domain(&d, 3000, 1);
	assert_log_count("granule 0xbb8 is not a power of two", 1);
	assert_null(alloc_iova(&d, 1, 100, false));
	assert_log_count("is not initialised", 1);
	dk_test_log_clear();
	init_iova_domain(&d, 2 * PAGE_SIZE, 1);
	assert_log_count("is not a power of two at most PAGE_SIZE", 1);
	dk_test_log_clear();

	iova_cache_put();
	assert_log_count("unbalanced put", 1);
	dk_test_log_clear();
	assert_int_equal(iova_cache_get(), 0);
	iova_cache_put();
	assert_log_count(NULL, 0);
}

static void bad_requests_are_reported_and_harmless(void **state)
{
	struct iova_domain d;
	struct iova *a, *r;
	unsigned long pfn;

	(void)state;
	init_iova_domain(&d, PAGE_SIZE, 16);
	assert_int_equal(iova_domain_init_rcaches(&d), 0);
	a = alloc_iova(&d, 4, 1000, true);
	assert_non_null(a);
	pfn = alloc_iova_fast(&d, 2, 1000, true);
	assert_int_not_equal(pfn, 0);

	assert_null(alloc_iova(&d, 0, 1000, false));
	assert_log_count("size 0", 1);
	assert_null(alloc_iova(&d, 1, 15, false));
	assert_log_count("limit_pfn 0xf is below start_pfn 0x10", 1);
	assert_int_equal(alloc_iova_fast(&d, 0, 1000, true), 0);
	assert_int_equal(alloc_iova_fast(&d, 1, 3, true), 0);
	assert_log_count("alloc_iova_fast", 2);
	dk_test_log_clear();

	free_iova(&d, 500);		/* never allocated */
	assert_log_count("pfn 0x1f4 is not allocated", 1);
	__free_iova(&d, NULL);
	assert_log_count("NULL iova", 1);
	free_iova_fast(&d, 501, 1);	/* never allocated */
	assert_log_count("pfn 0x1f5 is not the start of an allocated range", 1);
	free_iova_fast(&d, pfn, 0);
	assert_log_count("with size 0", 1);
	free_iova_fast(&d, pfn, 1);	/* allocated with 2 frames */
	assert_log_count("was allocated with 2 frames, freed with size 1", 1);
	dk_test_log_clear();

	free_iova_fast(&d, pfn, 2);	/* correct: into the cache */
	assert_log_count(NULL, 0);
	free_iova_fast(&d, pfn, 2);	/* double free */
	assert_log_count("already free (double free)", 1);
	free_iova(&d, pfn);		/* the tree path sees it too */
	assert_log_count("already freed with free_iova_fast() (double free)", 1);
	assert_int_equal(dk__iova_rcache_count(&d), 1);
	dk_test_log_clear();

	pfn = a->pfn_lo;
	free_iova(&d, pfn + 1);		/* any pfn inside frees it */
	assert_log_count(NULL, 0);
	free_iova(&d, pfn);		/* double free */
	assert_log_count("is not allocated (double free or bad pfn)", 1);
	dk_test_log_clear();

	assert_null(reserve_iova(&d, 20, 10));
	assert_null(reserve_iova(&d, 10, IOVA_ANCHOR));
	assert_log_count("bad range", 2);
	a = alloc_iova(&d, 8, 100, true);
	assert_non_null(a);
	r = reserve_iova(&d, a->pfn_lo - 2, a->pfn_lo + 1);
	assert_null(r);
	assert_log_count("overlaps allocated range", 1);
	dk_test_log_clear();
	/* Before refusing, it flushed the caches (the range in the way might
	 * only have been cached): the cached range is gone. */
	assert_int_equal(dk__iova_rcache_count(&d), 0);
	__free_iova(&d, a);
	check_tree(&d);
	assert_int_equal(d.nr_ranges, 0);
	put_iova_domain(&d);
	assert_log_count(NULL, 0);
}

/* ---- tree semantics ------------------------------------------------------ */

static void alignment_all_sizes(void **state)
{
	struct iova_domain d;
	struct iova *v[64];
	unsigned long size, pfn;

	(void)state;
	init_iova_domain(&d, PAGE_SIZE, 1);
	for (size = 1; size <= 64; size++) {
		unsigned long limit = 0xfffff - size * 7;	/* odd ones */

		v[size - 1] = alloc_iova(&d, size, limit, true);
		assert_non_null(v[size - 1]);
		assert_int_equal(iova_size(v[size - 1]), size);
		assert_int_equal(v[size - 1]->pfn_lo % pow2_up(size), 0);
		assert_true(v[size - 1]->pfn_hi <= limit);
	}
	check_tree(&d);
	for (size = 1; size <= 64; size++)
		__free_iova(&d, v[size - 1]);
	assert_int_equal(d.nr_ranges, 0);

	assert_int_equal(iova_domain_init_rcaches(&d), 0);
	for (size = 1; size <= 64; size++) {
		unsigned long want = size < 32 ? pow2_up(size) : size;

		pfn = alloc_iova_fast(&d, size, 0x7ffff, true);
		assert_int_not_equal(pfn, 0);
		assert_int_equal(pfn % pow2_up(size), 0);
		assert_non_null(find_iova(&d, pfn));
		assert_int_equal(iova_size(find_iova(&d, pfn)), want);
		free_iova_fast(&d, pfn, size);
	}
	check_tree(&d);
	put_iova_domain(&d);
}

static void limits_and_top_down_order(void **state)
{
	uint64_t seed = dk_test_seed();
	struct iova_domain d;
	struct iova *a, *b, *c;
	unsigned int i;

	(void)state;
	init_iova_domain(&d, PAGE_SIZE, 0x100);
	assert_int_equal(d.dma_32bit_pfn, 1UL << 20);
	a = alloc_iova(&d, 1, 0xfffff, false);
	b = alloc_iova(&d, 1, 0xfffff, false);
	c = alloc_iova(&d, 3, 0xfffff, false);
	assert_int_equal(a->pfn_lo, 0xfffff);
	assert_int_equal(b->pfn_lo, 0xffffe);
	assert_int_equal(c->pfn_lo, 0xffffb);
	assert_int_equal(c->pfn_hi, 0xffffd);
	__free_iova(&d, b);
	b = alloc_iova(&d, 2, 0xfffff, false);	/* hole too small */
	assert_int_equal(b->pfn_lo, 0xffff9);
	c = alloc_iova(&d, 1, 0xfffff, false);	/* the hole, top-down */
	assert_int_equal(c->pfn_lo, 0xffffe);
	/* A limit above 4 GiB and one far below both work at once. */
	a = alloc_iova(&d, 16, ~0UL >> 12, true);
	assert_int_equal(a->pfn_lo, (~0UL >> 12) - 15);
	a = alloc_iova(&d, 4, 0x103, false);	/* exactly fits at start */
	assert_int_equal(a->pfn_lo, 0x100);
	assert_null(alloc_iova(&d, 1, 0x103, false));
	assert_null(alloc_iova(&d, 1, 0x100, false));

	for (i = 0; i < 2000; i++) {
		unsigned long limit = 0x100 + dk_test_rand(&seed) % 0x100000;
		unsigned long size = 1 + dk_test_rand(&seed) % 64;

		a = alloc_iova(&d, size, limit, i & 1);
		if (!a)
			continue;
		assert_true(a->pfn_hi <= limit);
		assert_true(a->pfn_lo >= 0x100);
		if (i & 1)
			assert_int_equal(a->pfn_lo % pow2_up(size), 0);
	}
	check_tree(&d);
	put_iova_domain(&d);
}

static void reserve_and_find(void **state)
{
	struct iova_domain d;
	struct iova *r1, *r2, *r3, *a;
	unsigned long n = 0;

	(void)state;
	init_iova_domain(&d, PAGE_SIZE, 1);
	r1 = reserve_iova(&d, 100, 120);
	assert_non_null(r1);
	assert_ptr_equal(reserve_iova(&d, 105, 110), r1);	/* inside */
	r2 = reserve_iova(&d, 115, 130);	/* merges */
	assert_non_null(r2);
	assert_int_equal(r2->pfn_lo, 100);
	assert_int_equal(r2->pfn_hi, 130);
	r3 = reserve_iova(&d, 150, 160);
	r2 = reserve_iova(&d, 90, 155);		/* swallows both */
	assert_non_null(r3);
	assert_int_equal(r2->pfn_lo, 90);
	assert_int_equal(r2->pfn_hi, 160);
	assert_int_equal(d.nr_ranges, 1);
	assert_ptr_equal(find_iova(&d, 90), r2);
	assert_ptr_equal(find_iova(&d, 160), r2);
	assert_null(find_iova(&d, 89));
	assert_null(find_iova(&d, 161));
	assert_null(find_iova(&d, IOVA_ANCHOR));
	reserve_iova(&d, 200, 200);
	check_tree(&d);

	/* Fill [1, 255]: every allocation avoids the reservations. */
	while ((a = alloc_iova(&d, 1 + n % 3, 255, n & 1))) {
		assert_true(a->pfn_hi < 90 || a->pfn_lo > 160);
		assert_true(a->pfn_hi < 200 || a->pfn_lo > 200);
		assert_ptr_equal(find_iova(&d, a->pfn_hi), a);
		n++;
	}
	assert_true(n > 20);
	while ((a = alloc_iova(&d, 1, 255, false)))
		assert_true(a->pfn_hi < 90 || a->pfn_lo > 160);
	check_tree(&d);
	free_iova(&d, 95);		/* a reservation can be freed */
	a = alloc_iova(&d, 71, 255, false);
	assert_non_null(a);
	assert_int_equal(a->pfn_lo, 90);
	check_tree(&d);
	put_iova_domain(&d);
}

static void exhaustion_then_recovery(void **state)
{
	struct iova_domain d;
	struct iova *v[64];
	unsigned long p[64], pfn;
	unsigned int i;

	(void)state;
	init_iova_domain(&d, PAGE_SIZE, 1);
	for (i = 0; i < 64; i++)
		assert_non_null(v[i] = alloc_iova(&d, 1, 64, false));
	assert_null(alloc_iova(&d, 1, 64, false));
	__free_iova(&d, v[17]);
	v[17] = alloc_iova(&d, 1, 64, false);
	assert_non_null(v[17]);
	assert_null(alloc_iova(&d, 1, 64, false));
	for (i = 0; i < 64; i++)
		free_iova(&d, v[i]->pfn_lo);
	assert_int_equal(d.nr_ranges, 0);

	/* The fast path: exhaustion is 0, a free makes room again. */
	assert_int_equal(iova_domain_init_rcaches(&d), 0);
	for (i = 0; i < 64; i++) {
		p[i] = alloc_iova_fast(&d, 1, 64, true);
		assert_int_not_equal(p[i], 0);
	}
	assert_int_equal(alloc_iova_fast(&d, 1, 64, false), 0);
	assert_int_equal(alloc_iova_fast(&d, 1, 64, true), 0);
	assert_int_equal(p[3], 61);		/* top-down */
	assert_int_equal(p[4], 60);
	free_iova_fast(&d, p[4], 1);
	pfn = alloc_iova_fast(&d, 1, 64, false);	/* from the cache */
	assert_int_equal(pfn, p[4]);
	free_iova_fast(&d, pfn, 1);
	/* A bigger size class needs the cached frames flushed to the tree. */
	free_iova_fast(&d, p[3], 1);
	assert_int_equal(alloc_iova_fast(&d, 2, 64, false), 0);
	pfn = alloc_iova_fast(&d, 2, 64, true);
	assert_int_equal(pfn, 60);
	assert_int_equal(dk__iova_rcache_count(&d), 0);
	check_tree(&d);
	put_iova_domain(&d);
	assert_log_count(NULL, 0);
}

/* ---- the caches and threads ---------------------------------------------- */

struct xthread {
	struct iova_domain *d;
	unsigned long *pfns;
	unsigned int n;
	unsigned long size;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stage;		/* main -> thread: 1 go, 2 exit */
	int done;		/* thread -> main: stages completed */
};

static void x_wait_stage(struct xthread *x, int stage)
{
	pthread_mutex_lock(&x->lock);
	while (x->stage < stage)
		pthread_cond_wait(&x->cond, &x->lock);
	pthread_mutex_unlock(&x->lock);
}

static void x_set(struct xthread *x, int *field, int v)
{
	pthread_mutex_lock(&x->lock);
	*field = v;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
}

static int x_done(struct xthread *x)
{
	int v;

	pthread_mutex_lock(&x->lock);
	v = x->done;
	pthread_mutex_unlock(&x->lock);
	return v;
}

/* Free every pfn through this thread's cache, then idle until told. */
static void *x_free_then_idle(void *arg)
{
	struct xthread *x = arg;
	unsigned int i;

	x_wait_stage(x, 1);
	for (i = 0; i < x->n; i++)
		free_iova_fast(x->d, x->pfns[i], x->size);
	x_set(x, &x->done, 1);
	x_wait_stage(x, 2);
	return NULL;
}

static void x_init(struct xthread *x, struct iova_domain *d,
		   unsigned long *pfns, unsigned int n, unsigned long size)
{
	memset(x, 0, sizeof(*x));
	x->d = d;
	x->pfns = pfns;
	x->n = n;
	x->size = size;
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->cond, NULL);
}

static void x_destroy(struct xthread *x)
{
	pthread_mutex_destroy(&x->lock);
	pthread_cond_destroy(&x->cond);
}

static void no_false_exhaustion_across_threads(void **state)
{
	enum { NR = 600 };	/* > 2 magazines + depot share of one class */
	static unsigned long pfns[NR];
	struct iova_domain d;
	struct xthread x;
	pthread_t t;
	unsigned int i;

	(void)state;
	/* Frames [4, NR + 3]: exactly NR / 4 blocks of 4 as well. */
	init_iova_domain(&d, PAGE_SIZE, 4);
	assert_int_equal(iova_domain_init_rcaches(&d), 0);
	for (i = 0; i < NR; i++) {
		pfns[i] = alloc_iova_fast(&d, 1, NR + 3, true);
		assert_int_not_equal(pfns[i], 0);
	}
	assert_int_equal(alloc_iova_fast(&d, 1, NR + 3, true), 0);

	/* Another thread frees them all into its cache and stays alive. */
	x_init(&x, &d, pfns, NR, 1);
	assert_int_equal(pthread_create(&t, NULL, x_free_then_idle, &x), 0);
	x_set(&x, &x.stage, 1);
	assert_true(DK_WAIT_UNTIL(x_done(&x) == 1, 10000));
	assert_int_equal(dk__iova_rcache_count(&d), NR);

	/* Sizes the idle thread's cache cannot serve: must flush it. */
	for (i = 0; i < NR / 4; i++)
		assert_int_not_equal(alloc_iova_fast(&d, 4, NR + 3, true), 0);
	assert_int_equal(alloc_iova_fast(&d, 1, NR + 3, true), 0);
	assert_int_equal(dk__iova_rcache_count(&d), 0);
	check_tree(&d);
	x_set(&x, &x.stage, 2);
	pthread_join(t, NULL);
	x_destroy(&x);
	put_iova_domain(&d);
}

static void thread_exit_returns_magazines(void **state)
{
	enum { NR = 100 };
	static unsigned long pfns[NR];
	struct iova_domain d;
	struct xthread x;
	pthread_t t;
	unsigned int i;

	(void)state;
	init_iova_domain(&d, PAGE_SIZE, 1);
	assert_int_equal(iova_domain_init_rcaches(&d), 0);
	for (i = 0; i < NR; i++)
		assert_int_not_equal(pfns[i] = alloc_iova_fast(&d, 1, NR, 1),
				     0);
	x_init(&x, &d, pfns, NR, 1);
	assert_int_equal(pthread_create(&t, NULL, x_free_then_idle, &x), 0);
	x_set(&x, &x.stage, 1);
	x_set(&x, &x.stage, 2);
	pthread_join(t, NULL);
	x_destroy(&x);
	/* Partial magazines went back to the tree at thread exit. */
	assert_int_equal(dk__iova_rcache_count(&d), 0);
	assert_int_equal(d.nr_ranges, 0);
	/* So even without flushing, everything can be allocated again. */
	for (i = 0; i < NR; i++)
		assert_int_not_equal(alloc_iova_fast(&d, 1, NR, false), 0);
	check_tree(&d);
	put_iova_domain(&d);
}

static void put_with_live_and_cached_ranges(void **state)
{
	enum { NR = 300 };
	static unsigned long pfns[NR];
	struct iova_domain d;
	struct xthread x;
	pthread_t t;
	unsigned int i;

	(void)state;
	init_iova_domain(&d, PAGE_SIZE, 1);
	assert_int_equal(iova_domain_init_rcaches(&d), 0);
	for (i = 0; i < NR; i++)
		assert_int_not_equal(pfns[i] = alloc_iova_fast(&d, 2, ~0UL, 1),
				     0);
	for (i = 0; i < 50; i++)		/* cached by this thread */
		free_iova_fast(&d, pfns[i], 2);
	assert_non_null(alloc_iova(&d, 1000, ~0UL, true));	/* live */
	assert_non_null(reserve_iova(&d, 10, 20));
	/* Another thread caches 200 and is still alive at put. */
	x_init(&x, &d, pfns + 50, 200, 2);
	assert_int_equal(pthread_create(&t, NULL, x_free_then_idle, &x), 0);
	x_set(&x, &x.stage, 1);
	assert_true(DK_WAIT_UNTIL(x_done(&x) == 1, 10000));
	assert_int_equal(dk__iova_rcache_count(&d), 250);
	put_iova_domain(&d);	/* frees all: LSan has the last word */
	/* Reuse the same struct while the other thread's TLS still points
	 * at its old cache: a new incarnation must not see it. */
	init_iova_domain(&d, PAGE_SIZE, 1);
	assert_int_equal(iova_domain_init_rcaches(&d), 0);
	x_set(&x, &x.stage, 2);
	pthread_join(t, NULL);	/* its destructor finds nothing */
	x_destroy(&x);
	i = (unsigned int)alloc_iova_fast(&d, 1, 10, true);
	assert_int_equal(i, 10);
	free_iova_fast(&d, i, 1);
	put_iova_domain(&d);
}

/* ---- random run against a reference bitmap ------------------------------- */

#define REF_START	16UL
#define REF_FRAMES	4096UL
#define REF_END		(REF_START + REF_FRAMES - 1)

struct ref_range {
	struct iova *iova;	/* tree path */
	unsigned long lo, size;	/* size as allocated (rounded on fast) */
	unsigned long asked;	/* size passed by the caller */
};

/* Highest aligned start of a free run of @size in [REF_START, @limit]. */
static unsigned long ref_highest_fit(const unsigned char *used,
				     unsigned long size, unsigned long align,
				     unsigned long limit)
{
	unsigned long p, run = 0;

	for (p = limit + 1; p-- > REF_START;) {
		run = used[p] ? 0 : run + 1;
		if (run >= size && p % align == 0)
			return p;
	}
	return 0;
}

static void ref_mark(unsigned char *used, unsigned long lo,
		     unsigned long size, unsigned char v)
{
	unsigned long i;

	for (i = 0; i < size; i++) {
		assert_int_equal(used[lo + i], !v);
		used[lo + i] = v;
	}
}

static void run_random(bool fast, unsigned int ops)
{
	uint64_t seed = dk_test_seed() ^ (fast ? 0x5a5a : 0);
	unsigned char *used = calloc(REF_END + 1, 1);
	struct ref_range *live = calloc(REF_FRAMES, sizeof(*live));
	unsigned int nr = 0, i, fails = 0;
	struct iova_domain d;

	assert_non_null(used);
	assert_non_null(live);
	init_iova_domain(&d, PAGE_SIZE, REF_START);
	if (fast)
		assert_int_equal(iova_domain_init_rcaches(&d), 0);
	for (i = 0; i < ops; i++) {
		uint64_t r = dk_test_rand(&seed);
		unsigned long asked = 1 + (r >> 8) % 40;
		unsigned long limit = REF_START + (r >> 20) % REF_FRAMES;
		bool aligned = (r >> 40) & 1;

		if (nr && (r % 100) < 45) {
			unsigned int j = (unsigned int)((r >> 32) % nr);
			struct ref_range *x = &live[j];

			if (fast)
				free_iova_fast(&d, x->lo, x->asked);
			else if (r & 0x100)
				__free_iova(&d, x->iova);
			else
				free_iova(&d, x->lo + (r >> 50) % x->size);
			ref_mark(used, x->lo, x->size, 0);
			live[j] = live[--nr];
			continue;
		}
		if (!fast) {
			unsigned long al = aligned ? pow2_up(asked) : 1;
			unsigned long want = ref_highest_fit(used, asked, al,
							     limit);
			struct iova *a = alloc_iova(&d, asked, limit, aligned);

			if (!want) {
				assert_null(a);
				fails++;
				continue;
			}
			assert_non_null(a);
			assert_int_equal(a->pfn_lo, want);
			assert_int_equal(iova_size(a), asked);
			live[nr].iova = a;
			live[nr].lo = a->pfn_lo;
			live[nr].size = asked;
		} else {
			unsigned long sz = asked < 32 ? pow2_up(asked) : asked;
			unsigned long pfn = alloc_iova_fast(&d, asked, limit,
							    r & 0x200);

			if (!pfn) {
				/* With a flush, no fit may remain at all. */
				if (r & 0x200)
					assert_int_equal(
						ref_highest_fit(used, sz,
								pow2_up(sz),
								limit), 0);
				fails++;
				continue;
			}
			assert_true(pfn >= REF_START);
			assert_true(pfn + sz - 1 <= limit);
			assert_int_equal(pfn % pow2_up(sz), 0);
			live[nr].iova = NULL;
			live[nr].lo = pfn;
			live[nr].size = sz;
		}
		live[nr].asked = asked;
		ref_mark(used, live[nr].lo, live[nr].size, 1);
		nr++;
		if (i % 512 == 0)
			check_tree(&d);
	}
	check_tree(&d);
	assert_true(fails > 0);		/* the run reached exhaustion */
	while (nr) {
		nr--;
		if (fast)
			free_iova_fast(&d, live[nr].lo, live[nr].asked);
		else
			free_iova(&d, live[nr].lo);
	}
	if (fast) {
		assert_int_equal(d.nr_ranges, dk__iova_rcache_count(&d));
		dk__iova_rcache_flush_all(&d);
	}
	assert_int_equal(d.nr_ranges, 0);
	check_tree(&d);
	put_iova_domain(&d);
	free(used);
	free(live);
}

static void random_tree_matches_reference(void **state)
{
	(void)state;
	run_random(false, 6000 * dk_test_stress());
}

static void random_fast_matches_reference(void **state)
{
	(void)state;
	run_random(true, 6000 * dk_test_stress());
}

/* ---- fragmentation churn ------------------------------------------------- */

static void fragmentation_churn(void **state)
{
	enum { LIVE = 10000 };
	uint64_t seed = dk_test_seed() ^ 0xc0ffee;
	unsigned int rounds = 30000 * dk_test_stress(), i, pass;
	struct iova **v = calloc(LIVE, sizeof(*v));
	struct iova_domain d;

	(void)state;
	assert_non_null(v);
	for (pass = 0; pass < 2; pass++) {
		/* 32-bit limit: the space Linux fast-fails under churn. */
		unsigned long limit = pass ? 0xfffff : ~0UL >> 12;

		init_iova_domain(&d, PAGE_SIZE, 1);
		for (i = 0; i < LIVE; i++) {
			v[i] = alloc_iova(&d, 1 + dk_test_rand(&seed) % 32,
					  limit, true);
			assert_non_null(v[i]);
		}
		for (i = 0; i < rounds; i++) {
			unsigned int j = (unsigned int)
				(dk_test_rand(&seed) % LIVE);
			unsigned long size = 1 + dk_test_rand(&seed) % 32;

			__free_iova(&d, v[j]);
			v[j] = alloc_iova(&d, size, limit, true);
			assert_non_null(v[j]);
			assert_true(v[j]->pfn_hi <= limit);
		}
		assert_int_equal(d.nr_ranges, LIVE);
		check_tree(&d);
		put_iova_domain(&d);
	}
	free(v);
}

/* ---- two threads at once ------------------------------------------------- */

struct cthread {
	struct iova_domain *d;
	uint64_t seed;
	unsigned int ops;
	unsigned long lo[512], size[512];
	bool tree[512];
	unsigned int nr;
};

static void *c_main(void *arg)
{
	struct cthread *c = arg;
	unsigned int i;

	for (i = 0; i < c->ops; i++) {
		uint64_t r = dk_test_rand(&c->seed);
		unsigned long size = 1 + (r >> 8) % 32;
		unsigned int j;

		if (c->nr == 512 || (c->nr && (r & 1))) {
			j = (unsigned int)((r >> 20) % c->nr);
			if (c->tree[j])
				free_iova(c->d, c->lo[j]);
			else
				free_iova_fast(c->d, c->lo[j], c->size[j]);
			c->nr--;
			c->lo[j] = c->lo[c->nr];
			c->size[j] = c->size[c->nr];
			c->tree[j] = c->tree[c->nr];
			continue;
		}
		j = c->nr;
		c->tree[j] = (r & 0x30) == 0;
		if (c->tree[j]) {
			struct iova *a = alloc_iova(c->d, size, 0xfffff, true);

			if (!a)
				continue;
			c->lo[j] = a->pfn_lo;
			c->size[j] = size;
		} else {
			c->lo[j] = alloc_iova_fast(c->d, size, 0xfffff, true);
			if (!c->lo[j])
				continue;
			c->size[j] = size;
		}
		c->nr++;
	}
	return NULL;
}

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a,
		      y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

static void two_threads_concurrently(void **state)
{
	static struct cthread c[2];
	unsigned long *ranges;
	struct iova_domain d;
	pthread_t t[2];
	unsigned int i, j, n = 0;

	(void)state;
	/* Small enough that both threads hit exhaustion and flushes. */
	init_iova_domain(&d, PAGE_SIZE, 0xfffff - 8192);
	assert_int_equal(iova_domain_init_rcaches(&d), 0);
	for (i = 0; i < 2; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].d = &d;
		c[i].seed = dk_test_seed() + i * 7919;
		c[i].ops = 40000 * dk_test_stress();
		assert_int_equal(pthread_create(&t[i], NULL, c_main, &c[i]),
				 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	check_tree(&d);
	ranges = calloc(2 * 512 * 2, sizeof(*ranges));
	assert_non_null(ranges);
	for (i = 0; i < 2; i++)
		for (j = 0; j < c[i].nr; j++) {
			struct iova *a = find_iova(&d, c[i].lo[j]);
			unsigned long sz = c[i].size[j];

			if (!c[i].tree[j] && sz < 32)
				sz = pow2_up(sz);
			assert_non_null(a);
			assert_int_equal(a->pfn_lo, c[i].lo[j]);
			assert_int_equal(iova_size(a), sz);
			ranges[n++] = a->pfn_lo;
			ranges[n++] = a->pfn_hi;
		}
	/* Sort by start (pairs), then no range may overlap the next. */
	qsort(ranges, n / 2, 2 * sizeof(*ranges), cmp_ul);
	for (i = 2; i < n; i += 2)
		assert_true(ranges[i] > ranges[i - 1]);
	for (i = 0; i < 2; i++)
		for (j = 0; j < c[i].nr; j++) {
			if (c[i].tree[j])
				free_iova(&d, c[i].lo[j]);
			else
				free_iova_fast(&d, c[i].lo[j], c[i].size[j]);
		}
	/* The threads have exited: only this thread's cache may hold any. */
	assert_int_equal(d.nr_ranges, dk__iova_rcache_count(&d));
	free(ranges);
	put_iova_domain(&d);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(bad_domain_is_reported),
		T(bad_requests_are_reported_and_harmless),
		T(alignment_all_sizes),
		T(limits_and_top_down_order),
		T(reserve_and_find),
		T(exhaustion_then_recovery),
		T(no_false_exhaustion_across_threads),
		T(thread_exit_returns_magazines),
		T(put_with_live_and_cached_ranges),
		T(random_tree_matches_reference),
		T(random_fast_matches_reference),
		T(fragmentation_churn),
		T(two_threads_concurrently),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
