// SPDX-License-Identifier: MIT
/*
 * testdev_test.c - the test copy device end to end through its driver
 * (src/drivers/testdev.c): copies of many sizes and alignments with guard
 * bytes, fills, faults reported as errors, asynchronous callbacks counted
 * exactly, two devices driven from two threads, unbind and rebind, and
 * machine destroy with transfers in flight. Every test ends with a leak
 * check at destroy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/io.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <dmakit/drivers/testdev.h>
#include <dmakit/machine.h>
#include "dk_test.h"

#define GUARD		64
#define GUARD_BYTE	0xe5
/* Not RAM, not MMIO. */
#define NOWHERE		0x10000000ull

static struct dk_machine *m;
static struct platform_device *pdev;
static struct dk_testdev *td;

static int setup(void **st)
{
	(void)st;
	dk_test_log_capture();
	if (dk_machine_create(NULL, &m))
		return -1;
	if (dk_machine_add_testdev(m, NULL, &pdev))
		return -1;
	if (dk_testdev_driver_register())
		return -1;
	td = dk_testdev_from_pdev(pdev);
	assert_log_count("DK-TESTDEV 1.0, registers at", 1);	/* probe */
	dk_test_log_clear();
	return td ? 0 : -1;
}

static int teardown(void **st)
{
	int leaks;

	(void)st;
	if (!m)
		return 0;
	leaks = dk_machine_destroy(m);
	if (leaks)
		dk_test_log_dump();
	dk_test_log_release();
	m = NULL;
	return leaks;
}

/* A kmalloc()ed buffer of @len bytes at offset @off, guarded both sides. */
struct gbuf {
	u8 *base;
	u8 *p;
	size_t len;
	size_t total;
};

static void gbuf_alloc(struct gbuf *b, size_t len, size_t off)
{
	b->total = len + off + 2 * GUARD;
	b->base = kmalloc(b->total, GFP_KERNEL);
	assert_non_null(b->base);
	memset(b->base, GUARD_BYTE, b->total);
	b->p = b->base + GUARD + off;
	b->len = len;
}

static void gbuf_check_guards(const struct gbuf *b)
{
	for (const u8 *q = b->base; q < b->p; q++)
		if (*q != GUARD_BYTE)
			fail_msg("guard byte %td before a %zu-byte buffer is 0x%02x",
				 b->p - q, b->len, *q);
	for (const u8 *q = b->p + b->len; q < b->base + b->total; q++)
		if (*q != GUARD_BYTE)
			fail_msg("guard byte %td after a %zu-byte buffer is 0x%02x",
				 q - (b->p + b->len), b->len, *q);
}

static void gbuf_free(struct gbuf *b)
{
	kfree(b->base);
	b->base = b->p = NULL;
}

static dma_addr_t bus(const void *p)
{
	return virt_to_phys(p);
}

static void pattern(u8 *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (u8)(i * 131 + seed + (i >> 8));
}

/* ---- bad arguments ------------------------------------------------------- */

static void bad_arguments(void **st)
{
	u8 *buf = kmalloc(64, GFP_KERNEL);

	(void)st;
	assert_non_null(buf);
	assert_int_equal(dk_testdev_copy(NULL, bus(buf), bus(buf), 8),
			 -EINVAL);
	assert_int_equal(dk_testdev_copy(td, bus(buf), bus(buf + 32), 0),
			 -EINVAL);
	assert_int_equal(dk_testdev_copy(td, bus(buf), bus(buf + 32),
					 (size_t)1 << 32), -EINVAL);
	assert_int_equal(dk_testdev_fill(td, bus(buf), 0, 0), -EINVAL);
	assert_int_equal(dk_testdev_copy_async(td, bus(buf), bus(buf + 32),
					       8, NULL, NULL), -EINVAL);
	assert_int_equal(dk_testdev_fill_async(NULL, bus(buf), 0, 8, NULL,
					       NULL), -EINVAL);
	assert_true(dk_test_log_count(NULL) >= 5);

	assert_null(dk_testdev_from_pdev(NULL));
	assert_ptr_equal(dk_testdev_get(0), td);
	assert_null(dk_testdev_get(1));
	assert_string_equal(dk_testdev_name(NULL), "");
	assert_string_equal(dk_testdev_name(td), dev_name(&pdev->dev));
	assert_int_equal(dk_testdev_driver_register(), -EBUSY);
	kfree(buf);
}

/* ---- copies and fills ---------------------------------------------------- */

static void copy_one(size_t len, size_t soff, size_t doff, uint64_t seed)
{
	struct gbuf s, d;
	int ret;

	gbuf_alloc(&s, len, soff);
	gbuf_alloc(&d, len, doff);
	pattern(s.p, len, seed);
	ret = dk_testdev_copy(td, bus(d.p), bus(s.p), len);
	if (ret)
		fail_msg("copy of %zu bytes (src +%zu, dst +%zu): %d", len,
			 soff, doff, ret);
	if (memcmp(d.p, s.p, len)) {
		for (size_t i = 0; i < len; i++)
			if (d.p[i] != s.p[i])
				fail_msg("copy of %zu bytes: byte %zu is 0x%02x, expected 0x%02x",
					 len, i, d.p[i], s.p[i]);
	}
	gbuf_check_guards(&s);
	gbuf_check_guards(&d);
	gbuf_free(&s);
	gbuf_free(&d);
}

static void copies_of_many_sizes(void **st)
{
	static const size_t sizes[] = {
		1, 2, 3, 7, 8, 9, 63, 64, 65, 511, 4095, 4096, 4097, 65535,
		65536, 65537, 131072 + 3, 1000000, (3u << 20) + 5,
	};
	uint64_t seed = dk_test_seed();
	struct dk_counters c;

	(void)st;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		copy_one(sizes[i], i % 8, (i * 3) % 8, i);
	for (unsigned int i = 0; i < 20 * dk_test_stress(); i++) {
		size_t len = 1 + dk_test_rand(&seed) % 300000;

		copy_one(len, dk_test_rand(&seed) % 8,
			 dk_test_rand(&seed) % 8, i);
	}
	assert_int_equal(dk_device_counters(pdev, &c), 0);
	assert_true(c.faults == 0);
	assert_log_count(NULL, 0);
}

static void fills(void **st)
{
	static const size_t sizes[] = { 1, 5, 8, 13, 4096, 65537, 1 << 20 };
	const u64 pat = 0xf0e1d2c3b4a59687ull;

	(void)st;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct gbuf d;

		gbuf_alloc(&d, sizes[k], k % 8);
		assert_int_equal(dk_testdev_fill(td, bus(d.p), pat, sizes[k]),
				 0);
		for (size_t i = 0; i < sizes[k]; i++)
			if (d.p[i] != (u8)(pat >> (8 * (i % 8))))
				fail_msg("fill of %zu: byte %zu is 0x%02x",
					 sizes[k], i, d.p[i]);
		gbuf_check_guards(&d);
		gbuf_free(&d);
	}
}

static void faults_are_errors(void **st)
{
	struct dk_counters c0, c1;
	struct gbuf s, d;

	(void)st;
	gbuf_alloc(&s, 4096, 0);
	gbuf_alloc(&d, 4096, 0);
	pattern(s.p, 4096, 1);
	memset(d.p, 0, 4096);
	assert_int_equal(dk_device_counters(pdev, &c0), 0);

	assert_int_equal(dk_testdev_copy(td, NOWHERE, bus(s.p), 4096),
			 -EFAULT);
	assert_log_count("DMA write fault", 1);
	assert_int_equal(dk_testdev_copy(td, bus(d.p), NOWHERE, 4096),
			 -EFAULT);
	assert_log_count("DMA read fault", 1);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(d.p[i], 0);
	assert_int_equal(dk_testdev_fill(td, NOWHERE, 0, 16), -EFAULT);
	assert_log_count("DMA write fault", 2);
	assert_log_count("refused", 3);	/* the bus reported each once */

	assert_int_equal(dk_device_counters(pdev, &c1), 0);
	assert_true(c1.faults - c0.faults == 3);
	assert_true(c1.irqs - c0.irqs == 3);

	/* Still works. */
	assert_int_equal(dk_testdev_copy(td, bus(d.p), bus(s.p), 4096), 0);
	assert_memory_equal(d.p, s.p, 4096);
	gbuf_check_guards(&s);
	gbuf_check_guards(&d);
	gbuf_free(&s);
	gbuf_free(&d);
}

/* ---- asynchronous -------------------------------------------------------- */

struct async_ctx {
	int calls;		/* atomic */
	int errors;		/* atomic: calls with result != 0 */
	int last;		/* atomic */
	/* Chain mode: the callback starts the next copy itself. */
	int chain_left;		/* touched by the callback only */
	int started;		/* atomic: accepted submissions */
	struct dk_testdev *dev;
	dma_addr_t dst, src;
	size_t len;
	u8 *free_on_end[2];	/* freed by the callback that ends a chain */
	int ended;		/* atomic */
};

static void async_done(void *arg, int result)
{
	struct async_ctx *a = arg;

	__atomic_store_n(&a->last, result, __ATOMIC_RELAXED);
	if (result)
		__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&a->calls, 1, __ATOMIC_RELEASE);
}

static int calls(struct async_ctx *a)
{
	return __atomic_load_n(&a->calls, __ATOMIC_ACQUIRE);
}

static void async_copies_counted_exactly(void **st)
{
	struct async_ctx a = { 0 };
	const int n = 50 * (int)dk_test_stress();
	struct gbuf s, d;
	int ret, busy = 0, accepted = 0;

	(void)st;
	gbuf_alloc(&s, 1 << 20, 3);
	gbuf_alloc(&d, 1 << 20, 5);
	pattern(s.p, s.len, 7);
	for (int i = 0; i < n; i++) {
		size_t len = 1 + (size_t)i * 977;

		memset(d.p, 0, len);
		assert_int_equal(dk_testdev_copy_async(td, bus(d.p), bus(s.p),
						       len, async_done, &a),
				 0);
		accepted++;
		assert_true(DK_WAIT_UNTIL(calls(&a) == accepted, 5000));
		assert_int_equal(__atomic_load_n(&a.last, __ATOMIC_RELAXED),
				 0);
		assert_memory_equal(d.p, s.p, len);
	}
	/* A second request while one is in flight is refused, not queued. */
	ret = dk_testdev_copy_async(td, bus(d.p), bus(s.p), d.len,
				    async_done, &a);
	assert_int_equal(ret, 0);
	accepted++;
	ret = dk_testdev_fill_async(td, bus(d.p), 0, d.len, async_done, &a);
	if (ret == -EBUSY)
		busy++;
	else
		accepted += ret == 0;
	ret = dk_testdev_copy(td, bus(d.p), bus(s.p), 16);
	assert_true(ret == 0 || ret == -EBUSY);
	assert_true(DK_WAIT_UNTIL(calls(&a) == accepted, 5000));
	assert_int_equal(calls(&a), accepted);
	assert_int_equal(__atomic_load_n(&a.errors, __ATOMIC_RELAXED), 0);
	(void)busy;
	gbuf_check_guards(&s);
	gbuf_check_guards(&d);
	gbuf_free(&s);
	gbuf_free(&d);
	assert_int_equal(calls(&a), accepted);
}

/* Starts the next copy from the callback until chain_left runs out. */
static void chain_done(void *arg, int result)
{
	struct async_ctx *a = arg;
	bool more = false;

	if (result)
		__atomic_add_fetch(&a->errors, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&a->last, result, __ATOMIC_RELAXED);
	if (!result && a->chain_left > 0) {
		a->chain_left--;
		if (!dk_testdev_copy_async(a->dev, a->dst, a->src, a->len,
					   chain_done, a)) {
			__atomic_add_fetch(&a->started, 1, __ATOMIC_RELAXED);
			more = true;
		}
	}
	if (!more) {
		/* The chain ends here: release its buffers (any context). */
		kfree(a->free_on_end[0]);
		kfree(a->free_on_end[1]);
		a->free_on_end[0] = a->free_on_end[1] = NULL;
		__atomic_store_n(&a->ended, 1, __ATOMIC_RELEASE);
	}
	__atomic_add_fetch(&a->calls, 1, __ATOMIC_RELEASE);
}

static void start_chain(struct async_ctx *a, struct dk_testdev *dev,
			size_t len, int links)
{
	u8 *s = kmalloc(len, GFP_KERNEL), *d = kmalloc(len, GFP_KERNEL);

	assert_non_null(s);
	assert_non_null(d);
	pattern(s, len, 3);
	memset(a, 0, sizeof(*a));
	a->dev = dev;
	a->src = bus(s);
	a->dst = bus(d);
	a->len = len;
	a->chain_left = links;
	a->free_on_end[0] = s;
	a->free_on_end[1] = d;
	assert_int_equal(dk_testdev_copy_async(dev, a->dst, a->src, len,
					       chain_done, a), 0);
	__atomic_add_fetch(&a->started, 1, __ATOMIC_RELAXED);
}

static void callbacks_can_submit(void **st)
{
	struct async_ctx a;
	const int links = 100;

	(void)st;
	start_chain(&a, td, 8192, links);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&a.ended,
						  __ATOMIC_ACQUIRE), 10000));
	assert_int_equal(__atomic_load_n(&a.started, __ATOMIC_RELAXED),
			 links + 1);
	assert_int_equal(calls(&a), links + 1);
	assert_int_equal(__atomic_load_n(&a.errors, __ATOMIC_RELAXED), 0);
}

/* ---- two devices, two threads -------------------------------------------- */

struct worker {
	struct dk_testdev *dev;
	uint64_t seed;
	int rounds;
	int failures;
	char msg[160];
};

static void *worker_main(void *p)
{
	struct worker *w = p;

	for (int i = 0; i < w->rounds && !w->failures; i++) {
		size_t len = 1 + dk_test_rand(&w->seed) % 200000;
		u8 *s = kmalloc(len, GFP_KERNEL), *d = kmalloc(len, GFP_KERNEL);
		int ret;

		if (!s || !d) {
			snprintf(w->msg, sizeof(w->msg), "kmalloc(%zu) failed",
				 len);
			w->failures++;
		} else {
			pattern(s, len, w->seed);
			memset(d, 0, len);
			ret = dk_testdev_copy(w->dev, bus(d), bus(s), len);
			if (ret || memcmp(s, d, len)) {
				snprintf(w->msg, sizeof(w->msg),
					 "%s: copy of %zu bytes: %d%s",
					 dk_testdev_name(w->dev), len, ret,
					 ret ? "" : " (data differs)");
				w->failures++;
			}
		}
		kfree(s);
		kfree(d);
	}
	return NULL;
}

static void two_devices_two_threads(void **st)
{
	struct platform_device *pdev2;
	struct worker w[2] = { 0 };
	pthread_t t[2];
	struct dk_counters c[2];
	uint64_t seed = dk_test_seed();

	(void)st;
	/* Added after the driver registered: probed on arrival. */
	assert_int_equal(dk_machine_add_testdev(m, NULL, &pdev2), 0);
	w[0].dev = td;
	w[1].dev = dk_testdev_from_pdev(pdev2);
	assert_non_null(w[1].dev);
	assert_ptr_equal(dk_testdev_get(1), w[1].dev);
	for (int i = 0; i < 2; i++) {
		w[i].seed = seed + (uint64_t)i + 1;
		w[i].rounds = 40 * (int)dk_test_stress();
		assert_int_equal(pthread_create(&t[i], NULL, worker_main,
						&w[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		if (w[i].failures)
			fail_msg("worker %d: %s", i, w[i].msg);
	}
	assert_int_equal(dk_device_counters(pdev, &c[0]), 0);
	assert_int_equal(dk_device_counters(pdev2, &c[1]), 0);
	for (int i = 0; i < 2; i++) {
		assert_true(c[i].irqs == (uint64_t)w[i].rounds);
		assert_true(c[i].faults == 0);
	}
}

/* ---- unbind, rebind, destroy --------------------------------------------- */

static void unbind_and_rebind(void **st)
{
	struct async_ctx a;

	(void)st;
	/*
	 * Unbind with a chain in flight: every accepted copy gets exactly
	 * one callback; the last one either finished (0, and the resubmit
	 * was refused) or was cut off (-ENODEV).
	 */
	start_chain(&a, td, 1 << 20, 1 << 30);
	assert_true(DK_WAIT_UNTIL(calls(&a) >= 2, 5000));
	dk_testdev_driver_unregister();
	assert_true(__atomic_load_n(&a.ended, __ATOMIC_ACQUIRE));
	assert_int_equal(calls(&a),
			 __atomic_load_n(&a.started, __ATOMIC_RELAXED));
	assert_in_range(__atomic_load_n(&a.errors, __ATOMIC_RELAXED), 0, 1);
	assert_true(__atomic_load_n(&a.last, __ATOMIC_RELAXED) == 0 ||
		    __atomic_load_n(&a.last, __ATOMIC_RELAXED) == -ENODEV);
	assert_null(dk_testdev_from_pdev(pdev));
	assert_null(dk_testdev_get(0));

	assert_int_equal(dk_testdev_driver_register(), 0);
	td = dk_testdev_from_pdev(pdev);
	assert_non_null(td);
	copy_one(100000, 1, 2, 5);
	dk_testdev_driver_unregister();
	assert_int_equal(dk_testdev_driver_register(), 0);
	td = dk_testdev_from_pdev(pdev);
	assert_non_null(td);
	copy_one(3, 0, 0, 6);
}

static void destroy_with_transfers_in_flight(void **st)
{
	struct async_ctx a[2];
	struct platform_device *pdev2;
	int leaks;

	(void)st;
	assert_int_equal(dk_machine_add_testdev(m, NULL, &pdev2), 0);
	start_chain(&a[0], td, 4 << 20, 1 << 30);
	start_chain(&a[1], dk_testdev_from_pdev(pdev2), 1 << 20, 1 << 30);
	/* Let both chains get going. */
	assert_true(DK_WAIT_UNTIL(calls(&a[0]) >= 1 && calls(&a[1]) >= 1,
				  5000));
	leaks = dk_machine_destroy(m);
	m = NULL;
	if (leaks)
		dk_test_log_dump();
	assert_int_equal(leaks, 0);
	for (int i = 0; i < 2; i++) {
		assert_true(__atomic_load_n(&a[i].ended, __ATOMIC_ACQUIRE));
		assert_int_equal(calls(&a[i]), __atomic_load_n(
				 &a[i].started, __ATOMIC_RELAXED));
		assert_in_range(__atomic_load_n(&a[i].errors,
						__ATOMIC_RELAXED), 0, 1);
	}
	dk_test_log_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_arguments, setup,
						teardown),
		cmocka_unit_test_setup_teardown(copies_of_many_sizes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fills, setup, teardown),
		cmocka_unit_test_setup_teardown(faults_are_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(async_copies_counted_exactly,
						setup, teardown),
		cmocka_unit_test_setup_teardown(callbacks_can_submit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(two_devices_two_threads, setup,
						teardown),
		cmocka_unit_test_setup_teardown(unbind_and_rebind, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			destroy_with_transfers_in_flight, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
