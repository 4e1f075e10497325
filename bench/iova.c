// SPDX-License-Identifier: MIT
/*
 * iova.c - benchmarks of the IOVA allocator, in ns per alloc+free pair:
 *
 *   iova_fast_pair       alloc_iova_fast + free_iova_fast of one granule,
 *                        the per-thread magazine hit (Linux: ~20 ns);
 *   iova_churn_10k       10,000 live ranges of random sizes 1-32 granules;
 *                        each iteration frees a random one and allocates a
 *                        new random size, through the caches (Linux:
 *                        ~22-23 ns);
 *   iova_tree_churn_10k  the same churn with the caches off: alloc_iova +
 *                        free_iova on the augmented tree (Linux: ~12 us,
 *                        its linear walk after random frees).
 *
 * All below a 32-bit limit (dma-iommu's first attempt for PCI devices).
 * No natural baseline: the lines print `baseline=- ratio=-`. The allocator
 * needs no machine (nodes and magazines live on the host heap).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/iova.h>
#include <linux/mm.h>
#include "bench.h"

#define IOVA_BENCH_LIVE		10000
#define IOVA_BENCH_LIMIT	0xfffffUL	/* 4 GiB at 4 KiB granules */

struct iova_bench {
	struct iova_domain d;
	bool fast;
	uint64_t rng;
	unsigned long *pfn;	/* live ranges: start ... */
	unsigned long *size;	/* ... and size asked */
	int err;
};

static inline uint64_t ib_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static void fast_pair(void *p, uint64_t iters)
{
	struct iova_bench *b = p;

	for (uint64_t i = 0; i < iters; i++) {
		unsigned long pfn = alloc_iova_fast(&b->d, 1, IOVA_BENCH_LIMIT,
						    true);

		if (!pfn) {
			b->err = -ENOSPC;
			return;
		}
		free_iova_fast(&b->d, pfn, 1);
	}
}

static unsigned long ib_alloc(struct iova_bench *b, unsigned long size)
{
	struct iova *a;

	if (b->fast)
		return alloc_iova_fast(&b->d, size, IOVA_BENCH_LIMIT, true);
	a = alloc_iova(&b->d, size, IOVA_BENCH_LIMIT, true);
	return a ? a->pfn_lo : 0;
}

static void ib_free(struct iova_bench *b, unsigned long pfn,
		    unsigned long size)
{
	if (b->fast)
		free_iova_fast(&b->d, pfn, size);
	else
		free_iova(&b->d, pfn);
}

static void churn(void *p, uint64_t iters)
{
	struct iova_bench *b = p;

	for (uint64_t i = 0; i < iters; i++) {
		uint64_t r = ib_rand(&b->rng);
		unsigned int j = (unsigned int)((r >> 32) % IOVA_BENCH_LIVE);
		unsigned long size = 1 + (r & 31);
		unsigned long pfn;

		ib_free(b, b->pfn[j], b->size[j]);
		pfn = ib_alloc(b, size);
		if (!pfn) {
			b->err = -ENOSPC;
			b->pfn[j] = ib_alloc(b, b->size[j]);
			return;
		}
		b->pfn[j] = pfn;
		b->size[j] = size;
	}
}

static int ib_setup(struct iova_bench *b, bool fast, unsigned int live)
{
	unsigned int i;

	memset(b, 0, sizeof(*b));
	b->fast = fast;
	b->rng = 0x9e3779b97f4a7c15ull;
	init_iova_domain(&b->d, PAGE_SIZE, 1);
	if (fast && iova_domain_init_rcaches(&b->d))
		goto err_put;
	if (!live)
		return 0;
	b->pfn = calloc(live, sizeof(*b->pfn));
	b->size = calloc(live, sizeof(*b->size));
	if (!b->pfn || !b->size)
		goto err_free;
	for (i = 0; i < live; i++) {
		b->size[i] = 1 + (ib_rand(&b->rng) & 31);
		b->pfn[i] = ib_alloc(b, b->size[i]);
		if (!b->pfn[i])
			goto err_free;
	}
	return 0;

err_free:
	free(b->pfn);
	free(b->size);
err_put:
	put_iova_domain(&b->d);
	return -ENOMEM;
}

static void ib_teardown(struct iova_bench *b)
{
	put_iova_domain(&b->d);	/* frees live and cached ranges */
	free(b->pfn);
	free(b->size);
}

static int iova_bench_run(const struct dk_bench *bn, FILE *out)
{
	const char *kind = bn->arg;
	bool pair = !strcmp(kind, "pair");
	struct dk_bench_closure v = { pair ? fast_pair : churn, NULL };
	struct dk_bench_pair_result r;
	struct iova_bench *b = malloc(sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	ret = ib_setup(b, strcmp(kind, "tree"), pair ? 0 : IOVA_BENCH_LIVE);
	if (ret) {
		free(b);
		return ret;
	}
	v.ctx = b;
	ret = dk_bench_pair(&v, NULL, 0, &r);
	if (!ret && b->err)
		ret = b->err;
	if (!ret)
		dk_bench_report(out, bn->name, r.value_ns, "ns", -1);
	ib_teardown(b);
	free(b);
	return ret;
}

const struct dk_bench dk_bench_iova[] = {
	{ "iova_fast_pair",
	  "alloc_iova_fast + free_iova_fast of 1 granule (magazine hit), ns",
	  iova_bench_run, "pair" },
	{ "iova_churn_10k",
	  "free a random one of 10k live ranges (1-32 granules) + alloc, cached, ns",
	  iova_bench_run, "churn" },
	{ "iova_tree_churn_10k",
	  "the same churn, caches off: alloc_iova + free_iova on the tree, ns",
	  iova_bench_run, "tree" },
	{ NULL, NULL, NULL, NULL },
};
