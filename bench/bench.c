// SPDX-License-Identifier: MIT
/*
 * bench.c - the benchmark framework (timer, median, calibration, interleaved
 * value/baseline rounds, the BENCH line) and `dmakit bench`.
 *
 * Single-threaded: everything here runs on the thread running the command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench.h"
#include "cli.h"

#define BENCH_ROUNDS		7
#define BENCH_QUICK_ROUNDS	5
#define BENCH_TARGET_NS		30000000ull	/* 30 ms per round */
#define BENCH_QUICK_TARGET_NS	2000000ull	/* 2 ms */
#define BENCH_MAX_ITERS		(1ull << 40)

/*
 * The tables, in `--list` order. Weak so that the statistics test can link
 * this file without the groups (each of which needs a whole machine); in
 * the dmakit binary every group is linked in.
 */
#pragma weak dk_bench_trace
#pragma weak dk_bench_dma_path
#pragma weak dk_bench_dma_map
#pragma weak dk_bench_dma_map_iommu
#pragma weak dk_bench_dma_debug
#pragma weak dk_bench_iommu_hw
#pragma weak dk_bench_iova
#pragma weak dk_bench_iommu
#pragma weak dk_bench_dmaengine

static const struct dk_bench *const bench_groups[] = {
	dk_bench_trace,
	dk_bench_dma_path,
	dk_bench_dma_map,
	dk_bench_dma_map_iommu,
	dk_bench_dma_debug,
	dk_bench_iommu_hw,
	dk_bench_iova,
	dk_bench_iommu,
	dk_bench_dmaengine,
};

#define BENCH_NR_GROUPS (sizeof(bench_groups) / sizeof(bench_groups[0]))

static int bench_quick_forced = -1;	/* -1: ask the environment */

uint64_t dk_bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int bench_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

double dk_bench_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp);
	if (n & 1)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool dk_bench_quick(void)
{
	const char *e;

	if (bench_quick_forced >= 0)
		return bench_quick_forced;
	e = getenv("DK_BENCH_QUICK");
	return e && *e && strcmp(e, "0");
}

void dk_bench_set_quick(bool quick)
{
	bench_quick_forced = quick;
}

unsigned int dk_bench_rounds(void)
{
	return dk_bench_quick() ? BENCH_QUICK_ROUNDS : BENCH_ROUNDS;
}

uint64_t dk_bench_target_ns(void)
{
	return dk_bench_quick() ? BENCH_QUICK_TARGET_NS : BENCH_TARGET_NS;
}

static uint64_t bench_elapsed(const struct dk_bench_closure *c,
			      uint64_t iters)
{
	uint64_t t0 = dk_bench_now_ns(), t;

	c->fn(c->ctx, iters);
	t = dk_bench_now_ns() - t0;
	return t ? t : 1;
}

double dk_bench_time(const struct dk_bench_closure *c, uint64_t iters)
{
	if (!iters)
		iters = 1;
	return (double)bench_elapsed(c, iters) / (double)iters;
}

uint64_t dk_bench_calibrate(const struct dk_bench_closure *c,
			    uint64_t target_ns)
{
	uint64_t iters = 1, t;
	double want;

	if (!target_ns)
		target_ns = dk_bench_target_ns();
	/* Grow until a run is long enough to extrapolate from (~1/10). */
	for (;;) {
		t = bench_elapsed(c, iters);
		if (t >= target_ns / 10 || iters >= BENCH_MAX_ITERS)
			break;
		if (t < target_ns / 1000)
			iters *= 16;
		else
			iters *= 2;
	}
	want = (double)iters * (double)target_ns / (double)t;
	if (want < 1)
		return 1;
	if (want > (double)BENCH_MAX_ITERS)
		return BENCH_MAX_ITERS;
	return (uint64_t)want;
}

int dk_bench_pair(const struct dk_bench_closure *value,
		  const struct dk_bench_closure *baseline, uint64_t iters,
		  struct dk_bench_pair_result *out)
{
	double v[BENCH_ROUNDS], b[BENCH_ROUNDS];
	unsigned int rounds = dk_bench_rounds();
	uint64_t vi, bi = 0;

	if (!value || !value->fn || !out || (baseline && !baseline->fn)) {
		fprintf(stderr, "dk_bench_pair: NULL %s\n",
			out ? "closure" : "result");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	/* Calibration doubles as warm-up (caches, page faults, clocks). */
	vi = iters ? iters : dk_bench_calibrate(value, 0);
	if (baseline)
		bi = iters ? iters : dk_bench_calibrate(baseline, 0);
	for (unsigned int r = 0; r < rounds; r++) {
		v[r] = dk_bench_time(value, vi);
		if (baseline)
			b[r] = dk_bench_time(baseline, bi);
	}
	out->value_ns = dk_bench_median(v, rounds);
	out->baseline_ns = baseline ? dk_bench_median(b, rounds) : 0;
	out->value_iters = vi;
	out->baseline_iters = bi;
	out->rounds = rounds;
	return 0;
}

void dk_bench_report(FILE *out, const char *name, double value,
		     const char *unit, double baseline)
{
	if (isnan(baseline) || baseline < 0) {
		fprintf(out, "BENCH %s %.3f %s baseline=- ratio=-\n", name,
			value, unit);
	} else {
		fprintf(out, "BENCH %s %.3f %s baseline=%.3f ratio=%.3f\n",
			name, value, unit, baseline,
			baseline > 0 ? value / baseline : 0.0);
	}
	fflush(out);
}

double dk_bench_gbps(double bytes, double ns)
{
	return ns > 0 ? bytes / ns : 0;	/* bytes per ns == 10^9 B/s */
}

double dk_bench_mops(double ops, double ns)
{
	return ns > 0 ? ops * 1000.0 / ns : 0;
}

int dk_bench_run(const struct dk_bench *b, FILE *out)
{
	int ret = b->run(b, out);

	if (ret)
		fprintf(stderr, "dmakit bench: %s failed: %s\n", b->name,
			strerror(ret < 0 ? -ret : ret));
	return ret;
}

/* ---- dmakit bench -------------------------------------------------------- */

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: dmakit bench [--list] [--quick] [PATTERN...]\n"
		"  Runs every benchmark whose name matches one of the glob\n"
		"  PATTERNs (all without one) and prints one line per figure:\n"
		"  BENCH <name> <value> <unit> baseline=<value> ratio=<value>\n"
		"  -l, --list   list the benchmarks instead of running them\n"
		"  -q, --quick  fewer, shorter rounds (also DK_BENCH_QUICK=1)\n"
		"  -h, --help   this text\n");
}

static bool bench_matches(const char *name, char **pats, int npats)
{
	if (!npats)
		return true;
	for (int i = 0; i < npats; i++)
		if (!fnmatch(pats[i], name, 0))
			return true;
	return false;
}

/**
 * dk_tool_bench() - `dmakit bench [--list] [--quick] [PATTERN...]`
 * @argc: argument count (argv[0] is "bench")
 * @argv: arguments
 *
 * Return: 0; 1 if a benchmark failed or none matched; 2 on a usage error.
 */
int dk_tool_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool list = false;
	int o, matched = 0, failed = 0;

	while ((o = getopt_long(argc, argv, "lqh", opts, NULL)) != -1) {
		switch (o) {
		case 'l':
			list = true;
			break;
		case 'q':
			dk_bench_set_quick(true);
			break;
		case 'h':
			bench_usage(stdout);
			return 0;
		default:
			bench_usage(stderr);
			return 2;
		}
	}
	for (size_t g = 0; g < BENCH_NR_GROUPS; g++) {
		const struct dk_bench *b = bench_groups[g];

		for (; b && b->name; b++) {
			if (!bench_matches(b->name, argv + optind,
					   argc - optind))
				continue;
			matched++;
			if (list)
				printf("%-28s %s\n", b->name,
				       b->desc ? b->desc : "");
			else if (dk_bench_run(b, stdout))
				failed++;
		}
	}
	if (!matched && optind >= argc) {
		fprintf(stderr, "dmakit bench: no benchmark is built in\n");
		return 1;
	}
	if (!matched) {
		fprintf(stderr, "dmakit bench: no benchmark matches");
		for (int i = optind; i < argc; i++)
			fprintf(stderr, " '%s'", argv[i]);
		fprintf(stderr, "; see dmakit bench --list\n");
		return 1;
	}
	return failed ? 1 : 0;
}
