/* SPDX-License-Identifier: MIT */
/*
 * running_stat.h - running mean and standard deviation of a stream of
 * samples (Welford's update), and the merge of two such summaries (Chan,
 * Golub and LeVeque's pairwise formula): each thread of a measurement
 * keeps its own, merged at the end. The standard deviation is the
 * population one (divided by n), as Linux's dma_map_benchmark reports.
 */
#ifndef DK_TOOLS_RUNNING_STAT_H
#define DK_TOOLS_RUNNING_STAT_H

#include <math.h>
#include <stdint.h>

struct running_stat {
	uint64_t n;
	double mean;
	double m2;	/* sum of squared deviations from the mean */
};

/* One more sample. */
static inline void running_stat_add(struct running_stat *s, double x)
{
	double d = x - s->mean;

	s->n++;
	s->mean += d / (double)s->n;
	s->m2 += d * (x - s->mean);
}

/* Merge @b into @a. */
static inline void running_stat_merge(struct running_stat *a,
				      const struct running_stat *b)
{
	double d, n;

	if (!b->n)
		return;
	if (!a->n) {
		*a = *b;
		return;
	}
	n = (double)a->n + (double)b->n;
	d = b->mean - a->mean;
	a->mean += d * (double)b->n / n;
	a->m2 += b->m2 + d * d * (double)a->n * (double)b->n / n;
	a->n += b->n;
}

static inline double running_stat_stddev(const struct running_stat *s)
{
	return s->n ? sqrt(s->m2 / (double)s->n) : 0.0;
}

#endif
