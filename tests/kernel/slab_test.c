// SPDX-License-Identifier: MIT
/*
 * slab_test.c - kmalloc and kmem_cache: bad pointers and double frees
 * (reported once, nothing freed), every size class, alignment, zeroing,
 * zones, krealloc, kmem_cache with ctor and align, destroy with live
 * objects, the leak report, and two threads.
 *
 * Runs on a partial machine: RAM, the page allocator and slab.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "dk_test.h"
#include "hw/internal.h"
#include "kernel/internal.h"

#define G4 0x100000000ull

static struct dk_machine *m;

static int up(void)
{
	m = calloc(1, sizeof(*m));
	if (!m)
		return -1;
	dk_machine_config_init(&m->cfg);
	m->cfg.ram[0].size = 64ull << 20;
	m->cfg.ram[1].size = 64ull << 20;
	dk__m = m;
	if (dk__ram_init(m) || dk__mm_init(m))
		return -1;
	return dk__slab_init(m);
}

/* Returns slab leak reports * 1000 + page leak reports. */
static int down(void)
{
	int slab = dk__slab_exit(m), mm = dk__mm_exit(m);

	dk__ram_exit(m);
	dk__m = NULL;
	free(m);
	m = NULL;
	return slab * 1000 + mm;
}

static int setup(void **state)
{
	(void)state;
	dk_test_log_capture();
	return up();
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

static void bad_frees_are_reported_and_free_nothing(void **state)
{
	struct kmem_cache *a, *b;
	unsigned long pg;
	char *p, *q, *big;
	int on_stack;

	(void)state;
	kfree(NULL);
	kfree(ZERO_SIZE_PTR);
	kmem_cache_destroy(NULL);
	assert_log_count(NULL, 0);

	kfree(&on_stack);
	assert_log_count("not an address in simulated RAM", 1);
	pg = __get_free_page(GFP_KERNEL);
	kfree((void *)pg);
	assert_log_count("is not slab memory", 1);
	free_page(pg);

	p = kmalloc(64, GFP_KERNEL);
	q = kmalloc(64, GFP_KERNEL);
	memcpy(q, "survivor", 9);
	kfree(p + 8);
	assert_log_count("points inside the object", 1);
	kfree(p);
	kfree(p);
	assert_log_count("double free or invalid free", 1);
	assert_int_equal(ksize(p), 0);
	assert_log_count("ksize", 1);
	assert_string_equal(q, "survivor");
	/* The slot p held is handed out once, not twice. */
	p = kmalloc(64, GFP_KERNEL);
	big = kmalloc(64, GFP_KERNEL);
	assert_ptr_not_equal(p, big);
	assert_ptr_not_equal(p, q);
	assert_ptr_not_equal(big, q);
	kfree(p);
	kfree(big);

	big = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);
	__free_pages(virt_to_page(big), 1);
	assert_log_count("page belongs to the slab allocator (use kfree)", 1);
	kfree(big + 64);
	assert_log_count("points inside the object", 2);
	kfree(big);
	kfree(big);
	assert_log_count("is not slab memory", 2);

	a = kmem_cache_create("a", 24, 0, 0, NULL);
	b = kmem_cache_create("b", 24, 0, 0, NULL);
	p = kmem_cache_alloc(a, GFP_KERNEL);
	kmem_cache_free(b, p);
	assert_log_count("kmem_cache_free(b, ", 1);
	assert_log_count("object belongs to cache a", 1);
	kmem_cache_free(a, p);
	kmem_cache_free(NULL, p);
	assert_log_count("cache is NULL", 1);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	kmem_cache_destroy(b);
	assert_log_count("not a live cache", 1);

	assert_null(kmem_cache_create("c", 24, 3, 0, NULL));
	assert_log_count("align must be 0 or a power of two", 1);
	assert_null(kmem_cache_create("c", 0, 0, 0, NULL));
	assert_null(kmem_cache_create(NULL, 8, 0, 0, NULL));
	assert_log_count("kmem_cache_create", 3);
	assert_null(kmem_cache_alloc(NULL, GFP_KERNEL));

	assert_null(kmalloc_array(SIZE_MAX / 2, 4, GFP_KERNEL));
	assert_null(kcalloc(SIZE_MAX / 8 + 1, 8, GFP_KERNEL));
	assert_null(kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN));
	assert_int_equal(dk_test_log_count("above KMALLOC_MAX_SIZE"), 0);
	assert_null(kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL));
	assert_log_count("above KMALLOC_MAX_SIZE", 1);
	kfree(q);
}

static void every_size_is_aligned_usable_and_dma_able(void **state)
{
	static const size_t big[] = { 8193, 12288, 65536, 1 << 20,
				      KMALLOC_MAX_SIZE };

	(void)state;
	assert_ptr_equal(kmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	for (size_t size = 1; size <= KMALLOC_MAX_CACHE_SIZE; size++) {
		size_t class = 8;
		char *p;

		if (size > 64 && size % 61 && (size & (size - 1)) &&
		    ((size - 1) & (size - 2)))
			continue;	/* every small size, then a sample */
		while (class < size)
			class <<= 1;
		p = kmalloc(size, GFP_KERNEL);
		assert_non_null(p);
		if ((uintptr_t)p % class)
			fail_msg("kmalloc(%zu) = %p not aligned to %zu", size,
				 (void *)p, class);
		assert_int_equal(ksize(p), class);
		assert_true(virt_addr_valid(p));
		assert_true(virt_to_phys(p) >= G4);
		memset(p, 0x77, class);
		kfree(p);
	}
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		char *p = kmalloc(big[i], GFP_KERNEL);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % PAGE_SIZE, 0);
		assert_true(ksize(p) >= big[i]);
		p[0] = 1;
		p[big[i] - 1] = 2;
		kfree(p);
	}
	assert_log_count(NULL, 0);
}

static void dma32_requests_stay_below_4g(void **state)
{
	void *p[3];

	(void)state;
	p[0] = kmalloc(100, GFP_DMA32);
	p[1] = kzalloc(5000, GFP_KERNEL | GFP_DMA);
	p[2] = kmalloc(20000, GFP_DMA32);
	for (int i = 0; i < 3; i++) {
		assert_non_null(p[i]);
		assert_true(virt_to_phys(p[i]) < G4);
		kfree(p[i]);
	}
}

static void zeroing_variants_zero(void **state)
{
	struct kmem_cache *c;
	unsigned char *p;
	int *v;

	(void)state;
	p = kmalloc(256, GFP_KERNEL);
	memset(p, 0xee, 256);
	kfree(p);
	p = kzalloc(256, GFP_KERNEL);
	for (int i = 0; i < 256; i++)
		assert_int_equal(p[i], 0);
	kfree(p);
	v = kcalloc(10, sizeof(*v), GFP_KERNEL);
	for (int i = 0; i < 10; i++)
		assert_int_equal(v[i], 0);
	kvfree(v);
	p = kvzalloc(20000, GFP_KERNEL);
	assert_int_equal(p[19999], 0);
	kvfree(p);
	c = kmem_cache_create("z", 100, 0, 0, NULL);
	p = kmem_cache_alloc(c, GFP_KERNEL);
	memset(p, 0xee, 100);
	kmem_cache_free(c, p);
	p = kmem_cache_zalloc(c, GFP_KERNEL);
	for (int i = 0; i < 100; i++)
		assert_int_equal(p[i], 0);
	kmem_cache_free(c, p);
	kmem_cache_destroy(c);
	assert_log_count(NULL, 0);
}

static void krealloc_keeps_the_data(void **state)
{
	char *p, *n;

	(void)state;
	p = krealloc(NULL, 16, GFP_KERNEL);
	memcpy(p, "0123456789abcde", 16);
	n = krealloc(p, 12, GFP_KERNEL);	/* fits: same object */
	assert_ptr_equal(n, p);
	n = krealloc(p, 100, GFP_KERNEL);
	assert_string_equal(n, "0123456789abcde");
	memset(n + 16, 'x', 84);
	p = krealloc(n, 20000, GFP_KERNEL);
	assert_memory_equal(p, "0123456789abcde", 16);
	assert_int_equal(p[99], 'x');
	p[19999] = 'y';
	n = krealloc(p, 30000, GFP_KERNEL);
	assert_int_equal(n[19999], 'y');
	assert_ptr_equal(krealloc(n, 0, GFP_KERNEL), ZERO_SIZE_PTR);

	p = kmemdup("abc", 4, GFP_KERNEL);
	assert_string_equal(p, "abc");
	n = kstrdup("hello dma", GFP_KERNEL);
	assert_string_equal(n, "hello dma");
	assert_true(virt_addr_valid(n));
	assert_null(kstrdup(NULL, GFP_KERNEL));
	kfree(p);
	kfree(n);
	assert_log_count(NULL, 0);
}

static int ctor_calls;

static void thing_ctor(void *obj)
{
	__atomic_fetch_add(&ctor_calls, 1, __ATOMIC_RELAXED);
	memcpy(obj, "ctor", 5);
}

struct thing {
	char tag[8];
	long v[3];
};

static void caches_construct_align_and_reuse(void **state)
{
	struct kmem_cache *c, *h, *k, *d;
	void *objs[100];
	struct thing *t;
	char *x;

	(void)state;
	c = kmem_cache_create("things", 40, 256, 0, thing_ctor);
	assert_non_null(c);
	for (int i = 0; i < 100; i++) {
		objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
		assert_non_null(objs[i]);
		assert_int_equal((uintptr_t)objs[i] % 256, 0);
		assert_string_equal(objs[i], "ctor");
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(objs[i], objs[j]);
	}
	/* 16 objects per 4 KiB slab: 7 slabs, all constructed up front. */
	assert_int_equal(ctor_calls, 7 * 16);
	for (int i = 0; i < 100; i++)
		kmem_cache_free(c, objs[i]);
	/* Objects come back in their constructed state, no ctor again. */
	x = kmem_cache_alloc(c, GFP_KERNEL);
	assert_string_equal(x, "ctor");
	assert_int_equal(ksize(x), 40);
	assert_int_equal(ctor_calls, 7 * 16);	/* an empty slab is kept */
	kfree(x);					/* kfree works too */
	kmem_cache_destroy(c);

	h = kmem_cache_create("hw", 40, 0, SLAB_HWCACHE_ALIGN, NULL);
	x = kmem_cache_alloc(h, GFP_KERNEL);
	assert_int_equal((uintptr_t)x % 64, 0);
	kmem_cache_free(h, x);
	kmem_cache_destroy(h);

	k = KMEM_CACHE(thing, 0);
	t = kmem_cache_alloc(k, GFP_ATOMIC);
	assert_int_equal((uintptr_t)t % __alignof__(struct thing), 0);
	kmem_cache_free(k, t);
	kmem_cache_destroy(k);

	d = kmem_cache_create("dma", 3000, 0, SLAB_CACHE_DMA32, NULL);
	x = kmem_cache_alloc(d, GFP_KERNEL);
	assert_true(virt_to_phys(x) < G4);
	kmem_cache_free(d, x);
	kmem_cache_destroy(d);

	d = kmem_cache_create("huge", 300000, 0, 0, NULL);
	x = kmem_cache_alloc(d, GFP_KERNEL);
	x[299999] = 1;
	kmem_cache_free(d, x);
	kmem_cache_destroy(d);
	assert_log_count(NULL, 0);
}

static void destroy_with_live_objects_is_refused(void **state)
{
	struct kmem_cache *c;
	void *p, *q;

	(void)state;
	c = kmem_cache_create("busy", 32, 0, 0, NULL);
	p = kmem_cache_alloc(c, GFP_KERNEL);
	q = kmem_cache_alloc(c, GFP_KERNEL);
	kmem_cache_destroy(c);
	assert_log_count("kmem_cache_destroy busy: Slab cache still has objects: 2 live", 1);
	/* Still usable, destroyable once empty. */
	kmem_cache_free(c, p);
	kmem_cache_free(c, q);
	kmem_cache_destroy(c);
	assert_log_count(NULL, 1);
}

static void leaks_are_reported_at_exit(void **state)
{
	struct kmem_cache *c;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_non_null(kmalloc(50, GFP_KERNEL));
	assert_non_null(kmalloc(100000, GFP_KERNEL));
	c = kmem_cache_create("forgotten", 16, 0, 0, NULL);
	assert_non_null(c);
	/* 3 + 1 objects + 1 undestroyed cache; slab gave every page back. */
	assert_int_equal(down(), 5 * 1000 + 0);
	assert_log_count("slab: leak: 3 objects of kmalloc-64 (64 bytes)", 1);
	assert_log_count("slab: leak: 1 object of kmalloc-large", 1);
	assert_log_count("100000 bytes", 1);
	assert_log_count("kmem_cache forgotten was never destroyed", 1);
	assert_log_count(NULL, 3);
	dk_test_log_clear();
	assert_int_equal(up(), 0);
}

static void many_objects_are_distinct(void **state)
{
	unsigned int n = 20000;
	uint64_t **objs = malloc(n * sizeof(*objs));

	(void)state;
	for (unsigned int i = 0; i < n; i++) {
		objs[i] = kmalloc(32, GFP_KERNEL);
		assert_non_null(objs[i]);
		objs[i][0] = i;
		objs[i][3] = ~(uint64_t)i;
	}
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(objs[i][0], i);
		assert_int_equal(objs[i][3], ~(uint64_t)i);
		kfree(objs[i]);
	}
	free(objs);
	assert_log_count(NULL, 0);
}

static void gfp_kernel_under_a_spinlock_is_reported(void **state)
{
	static DEFINE_SPINLOCK(lock);
	struct page *pg, *pg2;
	void *p, *q;

	(void)state;
	spin_lock(&lock);
	p = kmalloc(32, GFP_ATOMIC);
	pg = alloc_pages(GFP_NOWAIT, 1);
	assert_non_null(p);
	assert_non_null(pg);
	assert_log_count(NULL, 0);
	q = kmalloc(32, GFP_KERNEL);		/* from p's slab */
	assert_log_count("sleeping function called from invalid context", 1);
	pg2 = alloc_pages(GFP_KERNEL, 0);
	assert_log_count("sleeping function called from invalid context", 2);
	spin_unlock(&lock);
	kfree(p);
	kfree(q);
	__free_pages(pg, 1);
	__free_pages(pg2, 0);
	assert_log_count(NULL, 2);
}

static void *churn(void *arg)
{
	uint64_t rs = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 7;
	unsigned int n = 20000 * dk_test_stress();
	uint64_t *held[32] = { 0 };
	uintptr_t bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		unsigned int k = (unsigned int)(dk_test_rand(&rs) % 32);

		if (held[k]) {
			if (held[k][0] != (uintptr_t)arg + k)
				bad++;
			kfree(held[k]);
			held[k] = NULL;
		} else {
			size_t size = 8 + dk_test_rand(&rs) %
						  (k < 4 ? 20000 : 600);

			held[k] = kmalloc(size, k & 1 ? GFP_DMA32 : GFP_KERNEL);
			if (!held[k]) {
				bad++;
				continue;
			}
			held[k][0] = (uintptr_t)arg + k;
		}
	}
	for (int k = 0; k < 32; k++)
		kfree(held[k]);
	return (void *)bad;
}

static void two_threads_kmalloc_concurrently(void **state)
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
	assert_log_count(NULL, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(bad_frees_are_reported_and_free_nothing),
		T(every_size_is_aligned_usable_and_dma_able),
		T(dma32_requests_stay_below_4g),
		T(zeroing_variants_zero),
		T(krealloc_keeps_the_data),
		T(caches_construct_align_and_reuse),
		T(destroy_with_live_objects_is_refused),
		T(leaks_are_reported_at_exit),
		T(many_objects_are_distinct),
		T(gfp_kernel_under_a_spinlock_is_reported),
		T(two_threads_kmalloc_concurrently),
	};
#undef T

	return cmocka_run_group_tests_name("kernel/slab", tests, NULL, NULL);
}
