// SPDX-License-Identifier: MIT
/*
 * map_bench.c - `dmakit map-bench`: the DMA map benchmark, after Linux's
 * kernel/dma/map_benchmark.c and its selftest (our own code).
 *
 * N threads each take a buffer of `granule` pages and, until the time is
 * up, dirty it (unless the direction is FROM_DEVICE), time
 * dma_map_single(), wait `delay` ns (the transfer Linux calls
 * dma_trans_ns), and time dma_unmap_single(). Each thread keeps the mean
 * and the sum of squared deviations of its samples (Welford); at the end
 * they are merged exactly (Chan et al.) into one average and one
 * (population) standard deviation per operation.
 *
 * The backend decides the machine: dma-direct (bus = physical), swiotlb
 * (every mapping bounced: the machine forces bouncing), or an IOMMU whose
 * default domain serves the DMA API, with strict or lazy (flush queue)
 * invalidation.
 *
 * Differs from Linux: latencies are printed in ns with one decimal (Linux
 * truncates each sample to 100 ns units); --seconds takes fractions; the
 * machine has one NUMA node, so --node takes -1 or 0. As in Linux, the
 * clock reads around each call are part of what is measured.
 *
 * LOCKING: each thread writes only its own struct mb_thread until it is
 * joined; mb_stop is an atomic flag.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include <linux/swiotlb.h>
#include <dmakit/machine.h>
#include "cli.h"
#include "running_stat.h"

/* Linux's limits (include/linux/map_benchmark.h). */
#define MB_MAX_THREADS		1024
#define MB_MAX_SECONDS		300.0
#define MB_MAX_DELAY_NS		10000000ul	/* 10 ms */
#define MB_MAX_GRANULE		1024		/* pages */

/* The bounce pool the swiotlb backend may take from low RAM. */
#define MB_MAX_POOL		(1ull << 30)

enum mb_backend { MB_DIRECT, MB_SWIOTLB, MB_IOMMU_STRICT, MB_IOMMU_LAZY };

static const char *const mb_backend_names[] = {
	[MB_DIRECT] = "direct",
	[MB_SWIOTLB] = "swiotlb",
	[MB_IOMMU_STRICT] = "iommu-strict",
	[MB_IOMMU_LAZY] = "iommu-lazy",
};

static const struct {
	const char *name;
	enum dma_data_direction dir;
} mb_dirs[] = {
	{ "bidirectional", DMA_BIDIRECTIONAL },
	{ "to_device", DMA_TO_DEVICE },
	{ "from_device", DMA_FROM_DEVICE },
};

struct mb_params {
	unsigned int threads;
	double seconds;
	unsigned int granule;
	unsigned int dir_idx;
	enum mb_backend backend;
	unsigned long delay_ns;
	int node;
};


struct mb_thread {
	pthread_t tid;
	unsigned int id;
	const struct mb_params *p;
	struct device *dev;
	void *buf;
	size_t len;
	uint64_t deadline_ns;
	struct running_stat map, unmap;
	int err;
};

static int mb_stop;	/* atomic: a thread failed, everyone stops */

static inline uint64_t mb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *mb_thread_main(void *arg)
{
	struct mb_thread *t = arg;
	enum dma_data_direction dir = mb_dirs[t->p->dir_idx].dir;
	unsigned long delay = t->p->delay_ns;

	for (;;) {
		uint64_t t0, t1, t2, t3;
		dma_addr_t a;

		if (__atomic_load_n(&mb_stop, __ATOMIC_RELAXED))
			break;
		/* As Linux: a write-back has something to write. */
		if (dir != DMA_FROM_DEVICE)
			memset(t->buf, 0x66, t->len);
		t0 = mb_now_ns();
		a = dma_map_single(t->dev, t->buf, t->len, dir);
		t1 = mb_now_ns();
		if (dma_mapping_error(t->dev, a)) {
			fprintf(stderr, "map-bench: dma_map_single failed on %s (thread %u, %zu bytes, %s)\n",
				dev_name(t->dev), t->id, t->len,
				mb_dirs[t->p->dir_idx].name);
			t->err = -EIO;
			__atomic_store_n(&mb_stop, 1, __ATOMIC_RELAXED);
			break;
		}
		/* The transfer: a busy wait, as Linux's ndelay(). */
		if (delay)
			while (mb_now_ns() - t1 < delay)
				;
		t2 = mb_now_ns();
		dma_unmap_single(t->dev, a, t->len, dir);
		t3 = mb_now_ns();
		running_stat_add(&t->map, (double)(t1 - t0));
		running_stat_add(&t->unmap, (double)(t3 - t2));
		if (t3 >= t->deadline_ns)
			break;
	}
	return NULL;
}

/* ---- options ------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dmakit map-bench [--threads N] [--seconds S] [--granule PAGES]\n"
		"                        [--dir DIR] [--backend BACKEND] [--delay NS]\n"
		"                        [--node N]\n"
		"  Times dma_map_single() and dma_unmap_single() in a loop, as Linux's\n"
		"  dma_map_benchmark, and prints the average and standard deviation of\n"
		"  each (in ns; Linux prints units of 100 ns).\n"
		"  --threads N      threads mapping at once, 1-%d (default 1)\n"
		"  --seconds S      duration, above 0 and at most %.0f, fractions allowed\n"
		"                   (default 20)\n"
		"  --granule PAGES  pages per mapping, 1-%d (default 1)\n"
		"  --dir DIR        bidirectional (default), to_device or from_device\n"
		"  --backend B      direct (default): dma-direct, bus = physical\n"
		"                   swiotlb: every mapping bounced (forced bouncing)\n"
		"                   iommu-strict: IOMMU DMA domain, IOTLB flushed at\n"
		"                     each unmap\n"
		"                   iommu-lazy: IOMMU DMA domain with a flush queue\n"
		"  --delay NS       busy wait between map and unmap (the transfer),\n"
		"                   0-%lu ns (default 0)\n"
		"  --node N         NUMA node: -1 (default) or 0, the only one\n",
		MB_MAX_THREADS, MB_MAX_SECONDS, MB_MAX_GRANULE, MB_MAX_DELAY_NS);
}

/* Parse a whole decimal integer in [min, max]. */
static bool mb_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int mb_bad(const char *what, const char *arg, const char *range)
{
	fprintf(stderr, "map-bench: invalid %s '%s', must be %s\n", what, arg,
		range);
	return 2;
}

/* Returns 0, 2 (usage error) or -1 (--help printed). */
static int mb_parse(int argc, char **argv, struct mb_params *p)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 's' },
		{ "granule", required_argument, NULL, 'g' },
		{ "dir", required_argument, NULL, 'd' },
		{ "backend", required_argument, NULL, 'b' },
		{ "delay", required_argument, NULL, 'x' },
		{ "node", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char range[64];
	char *end;
	long v;
	size_t i;
	int c;

	p->threads = 1;
	p->seconds = 20;
	p->granule = 1;
	p->dir_idx = 0;
	p->backend = MB_DIRECT;
	p->delay_ns = 0;
	p->node = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:s:g:d:b:x:n:h", opts,
				NULL)) != -1) {
		switch (c) {
		case 't':
			if (!mb_parse_long(optarg, 1, MB_MAX_THREADS, &v))
				return mb_bad("number of threads", optarg,
					      "in 1-1024");
			p->threads = (unsigned int)v;
			break;
		case 's':
			errno = 0;
			p->seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(p->seconds > 0) ||
			    p->seconds > MB_MAX_SECONDS)
				return mb_bad("number of seconds", optarg,
					      "above 0 and at most 300");
			break;
		case 'g':
			if (!mb_parse_long(optarg, 1, MB_MAX_GRANULE, &v))
				return mb_bad("granule", optarg,
					      "in 1-1024 pages");
			p->granule = (unsigned int)v;
			break;
		case 'd':
			for (i = 0; i < sizeof(mb_dirs) / sizeof(mb_dirs[0]); i++)
				if (!strcmp(optarg, mb_dirs[i].name))
					break;
			if (i == sizeof(mb_dirs) / sizeof(mb_dirs[0]))
				return mb_bad("dma direction", optarg,
					      "bidirectional, to_device or from_device");
			p->dir_idx = (unsigned int)i;
			break;
		case 'b':
			for (i = 0; i <= MB_IOMMU_LAZY; i++)
				if (!strcmp(optarg, mb_backend_names[i]))
					break;
			if (i > MB_IOMMU_LAZY)
				return mb_bad("backend", optarg,
					      "direct, swiotlb, iommu-strict or iommu-lazy");
			p->backend = (enum mb_backend)i;
			break;
		case 'x':
			snprintf(range, sizeof(range), "in 0-%lu ns",
				 MB_MAX_DELAY_NS);
			if (!mb_parse_long(optarg, 0, (long)MB_MAX_DELAY_NS,
					   &v))
				return mb_bad("transmit delay", optarg, range);
			p->delay_ns = (unsigned long)v;
			break;
		case 'n':
			if (!mb_parse_long(optarg, -1, 0, &v))
				return mb_bad("numa node", optarg,
					      "-1 or 0 (the machine has one node)");
			p->node = (int)v;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "map-bench: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	return 0;
}

/* ---- the machine -------------------------------------------------------- */

/* Bytes of bounce pool @p needs: every thread's mapping at once, twice. */
static uint64_t mb_pool_bytes(const struct mb_params *p)
{
	uint64_t need = 2ull * p->threads * p->granule * PAGE_SIZE;

	return need < IO_TLB_DEFAULT_SIZE ? 0 : need;
}

/* Checks that need no machine. Returns 0 or 2 (usage error). */
static int mb_check(const struct mb_params *p)
{
	size_t len = (size_t)p->granule * PAGE_SIZE;

	if (p->backend != MB_SWIOTLB)
		return 0;
	if (len > (size_t)IO_TLB_SEGSIZE * IO_TLB_SIZE) {
		fprintf(stderr, "map-bench: granule %u pages (%zu bytes) is above swiotlb's largest mapping (%u bytes, %u pages)\n",
			p->granule, len, IO_TLB_SEGSIZE * IO_TLB_SIZE,
			IO_TLB_SEGSIZE * IO_TLB_SIZE / (unsigned int)PAGE_SIZE);
		return 2;
	}
	if (mb_pool_bytes(p) > MB_MAX_POOL) {
		fprintf(stderr, "map-bench: %u threads x %u pages need a %" PRIu64
			" MiB bounce pool; at most %llu MiB (use fewer threads or a smaller granule)\n",
			p->threads, p->granule, mb_pool_bytes(p) >> 20,
			MB_MAX_POOL >> 20);
		return 2;
	}
	return 0;
}

static int mb_machine(const struct mb_params *p, struct dk_machine **m,
		      struct device **dev)
{
	struct dk_machine_config cfg;
	struct platform_device *pdev;
	int ret;

	dk_machine_config_init(&cfg);
	switch (p->backend) {
	case MB_DIRECT:
		break;
	case MB_SWIOTLB:
		cfg.dma.force_bounce = true;
		cfg.dma.swiotlb_size = mb_pool_bytes(p);
		break;
	case MB_IOMMU_STRICT:
	case MB_IOMMU_LAZY:
		cfg.iommu.present = true;
		cfg.iommu.default_domain = DK_IOMMU_DEFAULT_DMA;
		cfg.iommu.lazy = p->backend == MB_IOMMU_LAZY;
		break;
	}
	ret = dk_machine_create(&cfg, m);
	if (ret) {
		fprintf(stderr, "map-bench: dk_machine_create (%s backend): %s\n",
			mb_backend_names[p->backend], strerror(-ret));
		return ret;
	}
	ret = dk_machine_add_testdev(*m, NULL, &pdev);
	if (ret) {
		fprintf(stderr, "map-bench: dk_machine_add_testdev: %s\n",
			strerror(-ret));
		return ret;
	}
	*dev = &pdev->dev;
	ret = dma_set_mask_and_coherent(*dev, DMA_BIT_MASK(64));
	if (ret) {
		fprintf(stderr, "map-bench: failed to set dma_mask on device %s: %s\n",
			dev_name(*dev), strerror(-ret));
		return ret;
	}
	if ((p->backend == MB_IOMMU_STRICT || p->backend == MB_IOMMU_LAZY) &&
	    !get_dma_ops(*dev)) {
		fprintf(stderr, "map-bench: %s: device %s is on dma-direct, not behind an IOMMU DMA domain (no IOMMU DMA backend in this build?)\n",
			mb_backend_names[p->backend], dev_name(*dev));
		return -EOPNOTSUPP;
	}
	return 0;
}

/* ---- the command -------------------------------------------------------- */

/* Cost of one clock read, which every sample includes twice over. */
static double mb_clock_cost(void)
{
	uint64_t t0 = mb_now_ns(), t1;
	unsigned int i;

	for (i = 0; i < 10000; i++)
		(void)mb_now_ns();
	t1 = mb_now_ns();
	return (double)(t1 - t0) / (i + 1);
}

static int mb_run(const struct mb_params *p, struct device *dev,
		  struct mb_thread *th)
{
	size_t len = (size_t)p->granule * PAGE_SIZE;
	uint64_t deadline;
	unsigned int i, started = 0;
	int ret = 0;

	for (i = 0; i < p->threads; i++) {
		th[i].id = i;
		th[i].p = p;
		th[i].dev = dev;
		th[i].len = len;
		th[i].buf = alloc_pages_exact(len, GFP_KERNEL);
		if (!th[i].buf) {
			fprintf(stderr, "map-bench: cannot allocate %u pages for thread %u (%u threads x %u pages in all)\n",
				p->granule, i, p->threads, p->granule);
			ret = -ENOMEM;
			goto out_free;
		}
		/* Pre-fault: lazily committed RAM must not be timed. */
		memset(th[i].buf, 0, len);
	}
	deadline = mb_now_ns() + (uint64_t)(p->seconds * 1e9);
	__atomic_store_n(&mb_stop, 0, __ATOMIC_RELAXED);
	for (i = 0; i < p->threads; i++) {
		th[i].deadline_ns = deadline;
		ret = pthread_create(&th[i].tid, NULL, mb_thread_main, &th[i]);
		if (ret) {
			fprintf(stderr, "map-bench: create dma_map thread %u failed: %s\n",
				i, strerror(ret));
			__atomic_store_n(&mb_stop, 1, __ATOMIC_RELAXED);
			ret = -ret;
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(th[i].tid, NULL);
		if (th[i].err && !ret)
			ret = th[i].err;
	}
out_free:
	for (i = 0; i < p->threads; i++)
		if (th[i].buf)
			free_pages_exact(th[i].buf, len);
	return ret;
}

int dk_tool_map_bench(int argc, char **argv)
{
	struct mb_params p;
	struct running_stat map = { 0 }, unmap = { 0 };
	struct mb_thread *th = NULL;
	struct dk_machine *m = NULL;
	struct device *dev = NULL;
	int ret, leaks;

	ret = mb_parse(argc, argv, &p);
	if (ret)
		return ret < 0 ? 0 : ret;
	ret = mb_check(&p);
	if (ret)
		return ret;

	printf("dma mapping benchmark: backend %s, threads %u, seconds %g, granule %u page%s (%zu bytes), dir %s, delay %lu ns, node %d\n",
	       mb_backend_names[p.backend], p.threads, p.seconds, p.granule,
	       p.granule == 1 ? "" : "s", (size_t)p.granule * PAGE_SIZE,
	       mb_dirs[p.dir_idx].name, p.delay_ns, p.node);
	printf("latencies in ns (Linux's tool prints units of 100 ns); each includes a clock read of ~%.0f ns\n",
	       mb_clock_cost());
	fflush(stdout);

	th = calloc(p.threads, sizeof(*th));
	if (!th) {
		fprintf(stderr, "map-bench: out of memory\n");
		return 1;
	}
	ret = mb_machine(&p, &m, &dev);
	if (!ret)
		ret = mb_run(&p, dev, th);
	if (!ret) {
		for (unsigned int i = 0; i < p.threads; i++) {
			running_stat_merge(&map, &th[i].map);
			running_stat_merge(&unmap, &th[i].unmap);
		}
	}
	free(th);
	leaks = m ? dk_machine_destroy(m) : 0;
	if (ret)
		return 1;
	printf("map latency: avg %.1f ns, stddev %.1f ns; unmap latency: avg %.1f ns, stddev %.1f ns; %" PRIu64 " map/unmap pairs\n",
	       map.mean, running_stat_stddev(&map), unmap.mean,
	       running_stat_stddev(&unmap), map.n);
	if (leaks) {
		fprintf(stderr, "map-bench: %d leak report%s at machine destroy\n",
			leaks, leaks == 1 ? "" : "s");
		return 1;
	}
	return 0;
}
