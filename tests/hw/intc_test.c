// SPDX-License-Identifier: MIT
/*
 * intc_test.c - the interrupt controller on its own: vector allocation,
 * invalid raises, edge latching while in service or masked, ordering,
 * per-vector counts, and stop waking a sleeping CPU side.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include "dk_test.h"
#include "hw/internal.h"

static struct dk_machine *mach;

static int setup(void **state)
{
	(void)state;
	mach = calloc(1, sizeof(*mach));
	dk_machine_config_init(&mach->cfg);
	dk__m = mach;
	assert_int_equal(dk__intc_init(mach), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dk__intc_exit(mach);
	dk__m = NULL;
	free(mach);
	dk_test_log_release();
	return 0;
}

static struct dk_intc_stats stats(unsigned int v)
{
	struct dk_intc_stats st;

	dk__intc_stats(mach, v, &st);
	return st;
}

static void bad_config_is_refused(void **state)
{
	struct dk_machine m2 = { 0 };

	(void)state;
	dk_test_log_capture();
	dk_machine_config_init(&m2.cfg);
	m2.cfg.nr_irqs = 1;
	assert_int_equal(dk__intc_init(&m2), -EINVAL);
	m2.cfg.nr_irqs = 1025;
	assert_int_equal(dk__intc_init(&m2), -EINVAL);
	assert_null(m2.intc);
	assert_log_count("nr_irqs", 2);
}

static void invalid_raises_are_logged_and_dropped(void **state)
{
	struct dk_intc_stats st;

	(void)state;
	dk_test_log_capture();
	dk__intc_raise(mach, 0);
	dk__intc_raise(mach, mach->cfg.nr_irqs);
	dk__intc_raise(mach, 100000);
	assert_log_count("invalid vector", 3);
	assert_int_equal(dk__intc_stats(mach, 0, &st), -EINVAL);
	assert_int_equal(st.invalid, 3);
	/* Nothing became deliverable. */
	for (unsigned int v = 1; v < mach->cfg.nr_irqs; v++)
		assert_false(stats(v).pending);
}

static void alloc_is_consecutive_and_bounded(void **state)
{
	unsigned int nr = mach->cfg.nr_irqs;

	(void)state;
	dk_test_log_capture();
	assert_int_equal(dk__intc_alloc(mach, 0), 0);
	assert_int_equal(dk__intc_alloc(mach, 4), 1);
	assert_int_equal(dk__intc_alloc(mach, 2), 5);
	assert_int_equal(dk__intc_alloc(mach, nr), 0);
	assert_log_count("no room", 1);
	assert_int_equal(dk__intc_alloc(mach, nr - 7), 7);
	assert_int_equal(dk__intc_alloc(mach, 1), 0);
}

static void raise_while_in_service_latches_once(void **state)
{
	struct dk_intc_stats st;

	(void)state;
	dk__intc_raise(mach, 33);
	assert_int_equal(dk__intc_ack(mach), 33);
	st = stats(33);
	assert_true(st.in_service);
	assert_false(st.pending);
	/* Three messages while in service: one latch. */
	dk__intc_raise(mach, 33);
	dk__intc_raise(mach, 33);
	dk__intc_raise(mach, 33);
	st = stats(33);
	assert_true(st.pending);
	assert_int_equal(st.raised, 4);
	assert_int_equal(st.delivered, 1);
	dk__intc_eoi(mach, 33);
	assert_int_equal(dk__intc_ack(mach), 33);
	dk__intc_eoi(mach, 33);
	st = stats(33);
	assert_false(st.pending);
	assert_false(st.in_service);
	assert_int_equal(st.raised, 4);
	assert_int_equal(st.delivered, 2);
}

static void masked_vector_latches_until_unmasked(void **state)
{
	struct dk_intc_stats st;

	(void)state;
	dk__intc_mask(mach, 9, true);
	dk__intc_raise(mach, 9);
	dk__intc_raise(mach, 9);
	st = stats(9);
	assert_true(st.pending);
	assert_true(st.masked);
	assert_int_equal(st.delivered, 0);
	/* Another vector goes past the masked one. */
	dk__intc_raise(mach, 12);
	assert_int_equal(dk__intc_ack(mach), 12);
	dk__intc_eoi(mach, 12);
	dk__intc_mask(mach, 9, false);
	assert_int_equal(dk__intc_ack(mach), 9);
	dk__intc_eoi(mach, 9);
	st = stats(9);
	assert_int_equal(st.raised, 2);
	assert_int_equal(st.delivered, 1);
	assert_false(st.pending);
}

static void lowest_vector_first_and_retrigger_is_not_counted(void **state)
{
	(void)state;
	dk__intc_raise(mach, 200);
	dk__intc_raise(mach, 70);
	dk__intc_raise(mach, 3);
	assert_int_equal(dk__intc_ack(mach), 3);
	assert_int_equal(dk__intc_ack(mach), 70);
	assert_int_equal(dk__intc_ack(mach), 200);
	dk__intc_eoi(mach, 3);
	dk__intc_eoi(mach, 70);
	dk__intc_eoi(mach, 200);
	dk__intc_retrigger(mach, 70);
	assert_int_equal(dk__intc_ack(mach), 70);
	dk__intc_eoi(mach, 70);
	assert_int_equal(stats(70).raised, 1);
	assert_int_equal(stats(70).delivered, 2);
}

static int ack_result = -1;

static void *acker(void *arg)
{
	(void)arg;
	__atomic_store_n(&ack_result, (int)dk__intc_ack(mach),
			 __ATOMIC_RELEASE);
	return NULL;
}

static void raise_wakes_and_stop_releases_a_sleeping_cpu(void **state)
{
	pthread_t t;

	(void)state;
	ack_result = -1;
	assert_int_equal(pthread_create(&t, NULL, acker, NULL), 0);
	dk__intc_raise(mach, 44);
	assert_true(DK_WAIT_UNTIL(__atomic_load_n(&ack_result,
						  __ATOMIC_ACQUIRE) == 44,
				  5000));
	pthread_join(t, NULL);
	dk__intc_eoi(mach, 44);

	ack_result = -1;
	assert_int_equal(pthread_create(&t, NULL, acker, NULL), 0);
	dk__intc_stop(mach);
	pthread_join(t, NULL);
	assert_int_equal(ack_result, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_config_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			invalid_raises_are_logged_and_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(
			alloc_is_consecutive_and_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(
			raise_while_in_service_latches_once, setup, teardown),
		cmocka_unit_test_setup_teardown(
			masked_vector_latches_until_unmasked, setup, teardown),
		cmocka_unit_test_setup_teardown(
			lowest_vector_first_and_retrigger_is_not_counted, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			raise_wakes_and_stop_releases_a_sleeping_cpu, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
