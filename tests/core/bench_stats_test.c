// SPDX-License-Identifier: MIT
/*
 * bench_stats_test.c - tests of the benchmark framework (bench/bench.c,
 * linked into this test by tests/CMakeLists.txt): median, unit helpers,
 * the quick knob, calibration, interleaved rounds, the BENCH line and the
 * `dmakit bench` option handling; and the running mean and standard
 * deviation `dmakit map-bench` prints (tools/running_stat.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "cli.h"
#include "running_stat.h"
#include "dk_test.h"

static void test_median(void **state)
{
	double odd[] = { 5, 1, 3 };
	double even[] = { 4, 1, 3, 2 };
	double one[] = { 7 };
	double dup[] = { 2, 2, 9, 2, 1 };

	(void)state;
	assert_true(dk_bench_median(NULL, 0) == 0);
	assert_true(dk_bench_median(odd, 3) == 3);
	assert_true(odd[0] == 1 && odd[1] == 3 && odd[2] == 5); /* sorted */
	assert_true(dk_bench_median(even, 4) == 2.5);
	assert_true(dk_bench_median(one, 1) == 7);
	assert_true(dk_bench_median(dup, 5) == 2);
}

static void test_units(void **state)
{
	(void)state;
	/* 1000 bytes in 100 ns = 10 GB/s; 10 ops in 1000 ns = 10 Mops/s */
	assert_true(fabs(dk_bench_gbps(1000, 100) - 10.0) < 1e-9);
	assert_true(fabs(dk_bench_mops(10, 1000) - 10.0) < 1e-9);
	assert_true(dk_bench_gbps(1000, 0) == 0);
	assert_true(dk_bench_mops(10, -1) == 0);
}

static void test_quick_knob(void **state)
{
	(void)state;
	dk_bench_set_quick(false);
	assert_false(dk_bench_quick());
	assert_int_equal(dk_bench_rounds(), 7);
	assert_int_equal(dk_bench_target_ns(), 30000000);
	dk_bench_set_quick(true);
	assert_true(dk_bench_quick());
	assert_int_equal(dk_bench_rounds(), 5);
	assert_int_equal(dk_bench_target_ns(), 2000000);
}

/* ---- closures that record how they were called --------------------------- */

struct calls {
	char seq[4096];
	unsigned int n;
	uint64_t iters[4096];
	uint64_t ns_per_iter;	/* busy-wait per iteration */
};

static void busy(uint64_t ns)
{
	uint64_t end = dk_bench_now_ns() + ns;

	while (dk_bench_now_ns() < end)
		;
}

static void rec_v(void *p, uint64_t iters)
{
	struct calls *c = p;

	if (c->n < sizeof(c->seq)) {
		c->iters[c->n] = iters;
		c->seq[c->n++] = 'v';
	}
	busy(iters * c->ns_per_iter);
}

static void rec_b(void *p, uint64_t iters)
{
	struct calls *c = p;

	if (c->n < sizeof(c->seq)) {
		c->iters[c->n] = iters;
		c->seq[c->n++] = 'b';
	}
	busy(iters * c->ns_per_iter / 2);
}

static void test_pair_bad_args(void **state)
{
	struct dk_bench_closure v = { rec_v, NULL }, nofn = { NULL, NULL };
	struct dk_bench_pair_result r;

	(void)state;
	assert_int_equal(dk_bench_pair(NULL, NULL, 1, &r), -EINVAL);
	assert_int_equal(dk_bench_pair(&nofn, NULL, 1, &r), -EINVAL);
	assert_int_equal(dk_bench_pair(&v, &nofn, 1, &r), -EINVAL);
	assert_int_equal(dk_bench_pair(&v, NULL, 1, NULL), -EINVAL);
}

static void test_pair_interleaves(void **state)
{
	struct calls *c = calloc(1, sizeof(*c));
	struct dk_bench_closure v = { rec_v, c }, b = { rec_b, c };
	struct dk_bench_pair_result r;

	(void)state;
	assert_non_null(c);
	dk_bench_set_quick(true);
	c->ns_per_iter = 2000;
	assert_int_equal(dk_bench_pair(&v, &b, 3, &r), 0);
	/* Given iterations: no calibration, exactly 5 rounds, interleaved. */
	assert_int_equal(c->n, 10);
	assert_memory_equal(c->seq, "vbvbvbvbvb", 10);
	for (unsigned int i = 0; i < c->n; i++)
		assert_int_equal(c->iters[i], 3);
	assert_int_equal(r.rounds, 5);
	assert_int_equal(r.value_iters, 3);
	assert_int_equal(r.baseline_iters, 3);
	/* Busy-waits are lower bounds: 2000 and 1000 ns per iteration. */
	assert_true(r.value_ns >= 2000);
	assert_true(r.baseline_ns >= 1000);

	/* Without baseline: value rounds only, baseline 0. */
	c->n = 0;
	assert_int_equal(dk_bench_pair(&v, NULL, 2, &r), 0);
	assert_int_equal(c->n, 5);
	assert_memory_equal(c->seq, "vvvvv", 5);
	assert_true(r.baseline_ns == 0);

	/* Calibrated: some calibration runs, then 5 interleaved rounds. */
	c->n = 0;
	assert_int_equal(dk_bench_pair(&v, &b, 0, &r), 0);
	assert_true(c->n > 10);
	assert_memory_equal(c->seq + c->n - 10, "vbvbvbvbvb", 10);
	assert_int_equal(c->iters[c->n - 2], r.value_iters);
	assert_int_equal(c->iters[c->n - 1], r.baseline_iters);
	/* 2 ms rounds at >= 2 us (value), >= 1 us (baseline) per iteration */
	assert_true(r.value_iters >= 1 && r.value_iters <= 1000);
	assert_true(r.baseline_iters >= 1 && r.baseline_iters <= 2000);
	free(c);
}

static void test_calibrate(void **state)
{
	struct calls *c = calloc(1, sizeof(*c));
	struct dk_bench_closure v = { rec_v, c };
	uint64_t it;

	(void)state;
	assert_non_null(c);
	c->ns_per_iter = 1000;
	/* 1 ms at >= 1 us per iteration: at most 1000 iterations. */
	it = dk_bench_calibrate(&v, 1000000);
	assert_true(it >= 1 && it <= 1000);
	/* Grows from 1: the first run has one iteration. */
	assert_int_equal(c->iters[0], 1);
	assert_true(dk_bench_time(&v, 0) >= 1000);	/* 0 counts as 1 */
	free(c);
}

/* ---- the BENCH line ------------------------------------------------------ */

static char *read_all(FILE *f)
{
	long n = ftell(f);
	char *s = calloc(1, (size_t)n + 1);

	assert_non_null(s);
	rewind(f);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	return s;
}

static void test_report(void **state)
{
	FILE *f = tmpfile();
	char *s;

	(void)state;
	assert_non_null(f);
	dk_bench_report(f, "x_ns", 1.5, "ns", 3.0);
	dk_bench_report(f, "y_rate", 12.25, "GB/s", -1);
	dk_bench_report(f, "z_rate", 2, "Mops/s", NAN);
	dk_bench_report(f, "w", 2, "ns", 0);
	s = read_all(f);
	assert_string_equal(s,
		"BENCH x_ns 1.500 ns baseline=3.000 ratio=0.500\n"
		"BENCH y_rate 12.250 GB/s baseline=- ratio=-\n"
		"BENCH z_rate 2.000 Mops/s baseline=- ratio=-\n"
		"BENCH w 2.000 ns baseline=0.000 ratio=0.000\n");
	free(s);
	fclose(f);
}

static void spin_fn(void *ctx, uint64_t iters)
{
	(void)ctx;
	for (uint64_t i = 0; i < iters; i++)
		__asm__ volatile("" ::: "memory");
}

static int fig_run(const struct dk_bench *b, FILE *out)
{
	struct dk_bench_closure v = { spin_fn, NULL }, base = { spin_fn, NULL };
	struct dk_bench_pair_result r;
	int ret = dk_bench_pair(&v, &base, 0, &r);

	if (!ret)
		dk_bench_report(out, b->name, dk_bench_mops(1, r.value_ns),
				"Mops/s", dk_bench_mops(1, r.baseline_ns));
	return ret;
}

static int fig_fail(const struct dk_bench *b, FILE *out)
{
	(void)b;
	(void)out;
	return -ENODEV;
}

static void test_run_figure(void **state)
{
	const struct dk_bench ok = { "test_fig", "spin", fig_run, NULL };
	const struct dk_bench bad = { "test_bad", "fails", fig_fail, NULL };
	char name[64], unit[16];
	double value, base, ratio;
	FILE *f = tmpfile();
	uint64_t t0;
	char *s;

	(void)state;
	assert_non_null(f);
	dk_bench_set_quick(true);
	t0 = dk_bench_now_ns();
	assert_int_equal(dk_bench_run(&ok, f), 0);
	/* Quick mode is cheap: well under a second even with sanitizers. */
	assert_true(dk_bench_now_ns() - t0 < 2000000000ull);
	assert_int_equal(dk_bench_run(&bad, f), -ENODEV);
	s = read_all(f);
	assert_int_equal(sscanf(s, "BENCH %63s %lf %15s baseline=%lf ratio=%lf",
				name, &value, unit, &base, &ratio), 5);
	assert_string_equal(name, "test_fig");
	assert_string_equal(unit, "Mops/s");
	assert_true(value > 0 && base > 0 && ratio > 0);
	/* Exactly one line: the failing figure printed nothing. */
	assert_non_null(strchr(s, '\n'));
	assert_int_equal(strchr(s, '\n')[1], '\0');
	free(s);
	fclose(f);
}

static int run_tool(int argc, const char **argv)
{
	optind = 0;	/* glibc: full reinit between argument vectors */
	return dk_tool_bench(argc, (char **)argv);
}

static void test_tool_options(void **state)
{
	const char *bad[] = { "bench", "--frobnicate", NULL };
	const char *help[] = { "bench", "--help", NULL };
	const char *list[] = { "bench", "--list", NULL };
	const char *nomatch[] = { "bench", "--quick", "no_such_*", NULL };

	(void)state;
	assert_int_equal(run_tool(2, bad), 2);
	assert_int_equal(run_tool(2, help), 0);
	/* No group is linked into this test: nothing matches. */
	assert_int_equal(run_tool(2, list), 1);
	assert_int_equal(run_tool(3, nomatch), 1);
	assert_true(dk_bench_quick());
}

/* Welford and the pairwise merge against a two-pass computation. */
static void test_running_stat(void **state)
{
	struct running_stat all = { 0 }, a = { 0 }, b = { 0 }, none = { 0 };
	double x[1000], sum = 0, sq = 0, mean, sd;
	unsigned int i, n = 1000;

	(void)state;
	assert_true(running_stat_stddev(&none) == 0.0);
	/* Large offset, small spread: the naive formula loses it. */
	for (i = 0; i < n; i++)
		x[i] = 1e9 + (double)((i * 7919u) % 1000u) * 0.5;
	for (i = 0; i < n; i++)
		sum += x[i];
	mean = sum / n;
	for (i = 0; i < n; i++)
		sq += (x[i] - mean) * (x[i] - mean);
	sd = sqrt(sq / n);
	for (i = 0; i < n; i++) {
		running_stat_add(&all, x[i]);
		running_stat_add(i < 300 ? &a : &b, x[i]);
	}
	assert_int_equal(all.n, n);
	assert_true(fabs(all.mean - mean) < 1e-6);
	assert_true(fabs(running_stat_stddev(&all) - sd) < 1e-6 * sd);
	/* Two threads' summaries merge into the whole one. */
	running_stat_merge(&a, &none);
	assert_int_equal(a.n, 300);
	running_stat_merge(&none, &a);
	assert_int_equal(none.n, 300);
	running_stat_merge(&a, &b);
	assert_int_equal(a.n, n);
	assert_true(fabs(a.mean - mean) < 1e-6);
	assert_true(fabs(running_stat_stddev(&a) - sd) < 1e-6 * sd);
	/* One sample: no spread. */
	memset(&b, 0, sizeof(b));
	running_stat_add(&b, 42.0);
	assert_true(b.mean == 42.0 && running_stat_stddev(&b) == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_quick_knob),
		cmocka_unit_test(test_pair_bad_args),
		cmocka_unit_test(test_pair_interleaves),
		cmocka_unit_test(test_calibrate),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_run_figure),
		cmocka_unit_test(test_tool_options),
		cmocka_unit_test(test_running_stat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
