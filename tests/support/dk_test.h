/* SPDX-License-Identifier: MIT */
/*
 * dk_test.h - helpers shared by the unit tests: cmocka, a log capture that
 * lets a test assert a report was made exactly once, polling with a
 * deadline (tests never sleep to wait), the stress-size knob and seeds.
 */
#ifndef DK_TEST_H
#define DK_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dmakit/log.h>

/* ---- log capture --------------------------------------------------------- */

/* Start capturing every message (default sink silenced). */
void dk_test_log_capture(void);
/* Stop capturing, restore the default sink, forget what was captured. */
void dk_test_log_release(void);
/* Number of captured messages containing @needle (all of them if NULL). */
int dk_test_log_count(const char *needle);
/* Forget what was captured so far. */
void dk_test_log_clear(void);
/* Print what was captured (for a failing test's diagnosis). */
void dk_test_log_dump(void);

/* Assert exactly @n captured messages contain @needle; dump them if not. */
#define assert_log_count(needle, n)                                          \
	do {                                                                 \
		int __c = dk_test_log_count(needle);                         \
		if (__c != (n))                                              \
			dk_test_log_dump();                                  \
		assert_int_equal(__c, (n));                                  \
	} while (0)

/* ---- a whole machine ------------------------------------------------------ */

struct dk_machine;
struct dk_machine_config;

/*
 * Capture the log and create a machine (@cfg NULL: the default one);
 * NULL on failure, with the log dumped.
 */
struct dk_machine *dk_test_machine_up(const struct dk_machine_config *cfg);

/*
 * Destroy @m, dump the captured log if it reported leaks, release the
 * capture. Returns the leak reports (a cmocka teardown can return it).
 */
int dk_test_machine_down(struct dk_machine *m);

/* ---- waiting ------------------------------------------------------------- */

/*
 * Poll @cond (an expression) until true or @ms milliseconds pass; evaluates
 * to true if it became true. Yields between polls.
 */
int dk_test_poll(int (*cond)(void *), void *arg, unsigned int ms);
#define DK_WAIT_UNTIL(expr, ms)                                              \
	({                                                                   \
		uint64_t __end = dk_test_now_ms() + (ms);                    \
		int __ok;                                                    \
		while (!(__ok = !!(expr)) && dk_test_now_ms() < __end)       \
			dk_test_yield();                                     \
		__ok;                                                        \
	})
uint64_t dk_test_now_ms(void);
void dk_test_yield(void);

/* ---- sizes and seeds ------------------------------------------------------- */

/* DK_STRESS (environment, default 1): multiplies stress sizes. */
unsigned int dk_test_stress(void);
/* DK_SEED (environment) or a time-based seed; printed once. */
uint64_t dk_test_seed(void);
/* xorshift64* */
uint64_t dk_test_rand(uint64_t *state);

#endif
