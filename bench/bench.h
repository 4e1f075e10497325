/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the benchmark framework behind `dmakit bench`.
 *
 * A benchmark file (bench/<group>.c) defines one table, terminated by an
 * entry whose name is NULL:
 *
 *	const struct dk_bench dk_bench_dma_path[] = {
 *		{ "dma_path_copy_64KiB", "DMA path copy vs memcpy, 64 KiB",
 *		  dma_path_copy_run, &size_64k },
 *		{ "dma_path_copy_1MiB", "...", dma_path_copy_run, &size_1m },
 *		{ NULL },
 *	};
 *
 * and adds a line for it in bench_groups[] in bench/bench.c (the groups are
 * declared weak there, so a table whose file is missing is simply absent).
 * Each entry is one figure: its run function measures and prints exactly
 * one line through dk_bench_report():
 *
 *	BENCH <name> <value> <unit> baseline=<value> ratio=<value/baseline>
 *
 * (`baseline=- ratio=-` when the figure has no natural baseline). Units are
 * "ns" (per operation), "GB/s" (10^9 bytes/s) and "Mops/s".
 *
 * A run function usually looks like this:
 *
 *	static void copy_dma(void *ctx, uint64_t iters) { ... iters copies }
 *	static void copy_memcpy(void *ctx, uint64_t iters) { ... }
 *
 *	static int dma_path_copy_run(const struct dk_bench *b, FILE *out)
 *	{
 *		const size_t *len = b->arg;
 *		struct my_ctx c;	// set up, pre-fault buffers
 *		struct dk_bench_closure v = { copy_dma, &c };
 *		struct dk_bench_closure base = { copy_memcpy, &c };
 *		struct dk_bench_pair_result r;
 *		int ret = dk_bench_pair(&v, &base, 0, &r);
 *
 *		if (!ret)
 *			dk_bench_report(out, b->name,
 *				dk_bench_gbps(*len, r.value_ns), "GB/s",
 *				dk_bench_gbps(*len, r.baseline_ns));
 *		// tear down
 *		return ret;
 *	}
 *
 * dk_bench_pair() calibrates each closure so one round takes about 30 ms
 * (2 ms with DK_BENCH_QUICK=1 or `--quick`), then runs at least 5 rounds
 * interleaved (value, baseline, value, baseline, ...) and returns the median
 * time per iteration of each. The framework is single-threaded: call it from
 * the thread running `dmakit bench`.
 */
#ifndef DK_BENCH_H
#define DK_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/**
 * struct dk_bench - one figure of `dmakit bench`
 * @name: figure name, matched by the PATTERN glob (fnmatch); NULL ends a table
 * @desc: one line for `dmakit bench --list`
 * @run: measures and prints exactly one line with dk_bench_report();
 *       returns 0 or -errno (then it prints nothing on stdout, and says why
 *       on stderr or through the log)
 * @arg: free for @run (e.g. a size)
 */
struct dk_bench {
	const char *name;
	const char *desc;
	int (*run)(const struct dk_bench *b, FILE *out);
	const void *arg;
};

/* A measured operation: does @iters iterations of the thing being timed. */
typedef void (*dk_bench_fn)(void *ctx, uint64_t iters);

/** struct dk_bench_closure - a function and its context */
struct dk_bench_closure {
	dk_bench_fn fn;
	void *ctx;
};

/**
 * struct dk_bench_pair_result - what dk_bench_pair() measured
 * @value_ns: median ns per iteration of the measured closure
 * @baseline_ns: median ns per iteration of the baseline (0 if none)
 * @value_iters: iterations per round of the measured closure
 * @baseline_iters: iterations per round of the baseline
 * @rounds: rounds of each that were run (>= 5)
 */
struct dk_bench_pair_result {
	double value_ns;
	double baseline_ns;
	uint64_t value_iters;
	uint64_t baseline_iters;
	unsigned int rounds;
};

/** dk_bench_now_ns() - CLOCK_MONOTONIC in ns */
uint64_t dk_bench_now_ns(void);

/**
 * dk_bench_median() - median of @n values (mean of the middle two if even)
 * @v: the values; sorted in place
 * @n: how many; 0 gives 0
 */
double dk_bench_median(double *v, size_t n);

/** dk_bench_quick() - true with DK_BENCH_QUICK=1 or after `--quick` */
bool dk_bench_quick(void);

/** dk_bench_set_quick() - force quick mode on or off (tests, `--quick`) */
void dk_bench_set_quick(bool quick);

/** dk_bench_rounds() - rounds per figure: 5 quick, 7 otherwise */
unsigned int dk_bench_rounds(void);

/** dk_bench_target_ns() - wanted round time: 2 ms quick, 30 ms otherwise */
uint64_t dk_bench_target_ns(void);

/**
 * dk_bench_calibrate() - iterations for one round of about @target_ns
 * @c: the closure; it is run several times while scaling up
 * @target_ns: wanted round time (0: dk_bench_target_ns())
 *
 * Return: at least 1.
 */
uint64_t dk_bench_calibrate(const struct dk_bench_closure *c,
			    uint64_t target_ns);

/**
 * dk_bench_time() - ns per iteration of one run of @iters iterations
 * @c: the closure
 * @iters: iterations (>= 1)
 */
double dk_bench_time(const struct dk_bench_closure *c, uint64_t iters);

/**
 * dk_bench_pair() - measure a closure against its baseline, interleaved
 * @value: what is measured
 * @baseline: what it is compared with, or NULL
 * @iters: iterations per round for both, or 0 to calibrate each to
 *         dk_bench_target_ns()
 * @out: receives the medians (ns per iteration)
 *
 * Runs dk_bench_rounds() rounds of value then baseline, and takes the
 * median of each. Return: 0, or -EINVAL for a NULL closure or result.
 */
int dk_bench_pair(const struct dk_bench_closure *value,
		  const struct dk_bench_closure *baseline, uint64_t iters,
		  struct dk_bench_pair_result *out);

struct dk_machine;
struct dk_device_config;
struct dk_hw_dev;
struct platform_device;

/**
 * dk_bench_dev_add() - place a register-less bus master for a benchmark
 * @m: the machine
 * @cfg: placement, or NULL for defaults
 * @hw: receives the model (for dk_dma_*), may be NULL
 * @pdev: receives its platform device (for the DMA API), may be NULL
 *
 * Return: 0 or dk_hw_device_add()'s error.
 */
int dk_bench_dev_add(struct dk_machine *m, const struct dk_device_config *cfg,
		     struct dk_hw_dev **hw, struct platform_device **pdev);

/**
 * dk_bench_iommu_up() - a machine with an IOMMU and one bench device in
 * its default DMA domain (DMA_FQ when @lazy), DMA masks set to 64 bits
 * @lazy: lazy (flush-queued) invalidation instead of strict
 * @m: receives the machine
 * @dev: receives the device
 * @domain: receives its domain (may be NULL)
 *
 * Return: 0, or -errno with nothing left behind.
 */
struct iommu_domain;
struct device;
int dk_bench_iommu_up(bool lazy, struct dk_machine **m, struct device **dev,
		      struct iommu_domain **domain);

/**
 * dk_bench_report() - print the one line of a figure
 * @out: the stream (stdout under `dmakit bench`)
 * @name: the figure's name
 * @value: the figure, in @unit
 * @unit: "ns", "GB/s" or "Mops/s"
 * @baseline: the baseline in @unit; negative or NaN prints
 *            `baseline=- ratio=-`
 */
void dk_bench_report(FILE *out, const char *name, double value,
		     const char *unit, double baseline);

/** dk_bench_gbps() - GB/s (10^9 B/s) for @bytes moved in @ns (0 if ns <= 0) */
double dk_bench_gbps(double bytes, double ns);

/** dk_bench_mops() - Mops/s for @ops operations in @ns (0 if ns <= 0) */
double dk_bench_mops(double ops, double ns);

/**
 * dk_bench_run() - run one figure, reporting a failure on stderr
 * @b: the figure
 * @out: where its line goes
 * Return: what @b->run returned.
 */
int dk_bench_run(const struct dk_bench *b, FILE *out);

/*
 * The groups. Each is defined in its own bench/<group>.c; they are weak in
 * bench.c, so a missing one is skipped.
 */
extern const struct dk_bench dk_bench_trace[];	/* bench/trace.c */
extern const struct dk_bench dk_bench_dma_path[];	/* bench/dma_path.c */
extern const struct dk_bench dk_bench_dma_map[];	/* bench/dma_map.c */
extern const struct dk_bench dk_bench_dma_map_iommu[]; /* dma_map_iommu.c */
extern const struct dk_bench dk_bench_dma_debug[];	/* bench/dma_debug.c */
extern const struct dk_bench dk_bench_iommu_hw[];	/* bench/iommu_hw.c */
extern const struct dk_bench dk_bench_iova[];		/* bench/iova.c */
extern const struct dk_bench dk_bench_iommu[];	/* bench/iommu.c */
extern const struct dk_bench dk_bench_dmaengine[];	/* bench/dmaengine.c */

#endif
