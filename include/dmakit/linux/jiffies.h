/* SPDX-License-Identifier: MIT */
/*
 * linux/jiffies.h - jiffies at HZ=1000, derived from the machine clock
 * (dk_clock_ns()), and the conversions and comparisons around them.
 *
 * Differs from Linux: jiffies is a function of the machine clock, not a
 * variable, and starts at 0 when the machine is created (no INITIAL_JIFFIES
 * offset). With a manual clock it moves only with dk_clock_advance().
 */
#ifndef DMAKIT_LINUX_JIFFIES_H
#define DMAKIT_LINUX_JIFFIES_H

#include <limits.h>
#include <stdint.h>
#include <dmakit/api.h>

#define HZ		1000
#define MAX_JIFFY_OFFSET ((LONG_MAX >> 1) - 1)
#define MAX_SCHEDULE_TIMEOUT LONG_MAX

/**
 * dk_jiffies() - the machine clock in jiffies (ms)
 *
 * Context: any. Return: dk_clock_ns() / 1000000, 0 without a machine.
 */
DK_API unsigned long dk_jiffies(void);

#define jiffies		dk_jiffies()
#define jiffies_64	((uint64_t)dk_jiffies())
static inline uint64_t get_jiffies_64(void)
{
	return (uint64_t)dk_jiffies();
}

/* Wrap-safe comparisons, as in Linux. */
#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)
#define time_after_eq(a, b)	((long)((a) - (b)) >= 0)
#define time_before_eq(a, b)	time_after_eq(b, a)
#define time_in_range(a, b, c)                                               \
	(time_after_eq(a, b) && time_before_eq(a, c))
#define time_is_before_jiffies(a)	time_after(jiffies, a)
#define time_is_after_jiffies(a)	time_before(jiffies, a)
#define time_is_before_eq_jiffies(a)	time_after_eq(jiffies, a)
#define time_is_after_eq_jiffies(a)	time_before_eq(jiffies, a)

static inline unsigned int jiffies_to_msecs(unsigned long j)
{
	return (unsigned int)j;
}

static inline unsigned int jiffies_to_usecs(unsigned long j)
{
	return (unsigned int)(j * 1000u);
}

static inline uint64_t jiffies_to_nsecs(unsigned long j)
{
	return (uint64_t)j * 1000000ull;
}

static inline unsigned long msecs_to_jiffies(unsigned int m)
{
	return m;
}

static inline unsigned long usecs_to_jiffies(unsigned int u)
{
	return (u + 999u) / 1000u;
}

static inline unsigned long nsecs_to_jiffies(uint64_t n)
{
	return (unsigned long)((n + 999999ull) / 1000000ull);
}

static inline unsigned long round_jiffies(unsigned long j)
{
	return j;
}

static inline unsigned long round_jiffies_relative(unsigned long j)
{
	return j;
}

#endif
