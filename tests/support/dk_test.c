// SPDX-License-Identifier: MIT
/*
 * dk_test.c - see dk_test.h.
 *
 * LOCKING: the capture buffer is protected by cap_lock; the log sink may be
 * called from any machine thread.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dmakit/machine.h>
#include "dk_test.h"

#define CAP_MAX 4096

static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static char *cap_msgs[CAP_MAX];	/* under cap_lock */
static int cap_n;		/* under cap_lock */
static int cap_lost;		/* under cap_lock */

static void cap_sink(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	pthread_mutex_lock(&cap_lock);
	if (cap_n < CAP_MAX)
		cap_msgs[cap_n++] = strdup(msg);
	else
		cap_lost++;
	pthread_mutex_unlock(&cap_lock);
}

void dk_test_log_clear(void)
{
	pthread_mutex_lock(&cap_lock);
	for (int i = 0; i < cap_n; i++)
		free(cap_msgs[i]);
	cap_n = 0;
	cap_lost = 0;
	pthread_mutex_unlock(&cap_lock);
}

void dk_test_log_capture(void)
{
	dk_test_log_clear();
	dk_log_set_sink(cap_sink, NULL);
}

void dk_test_log_release(void)
{
	dk_log_set_sink(NULL, NULL);
	dk_test_log_clear();
}

int dk_test_log_count(const char *needle)
{
	int c = 0;

	pthread_mutex_lock(&cap_lock);
	for (int i = 0; i < cap_n; i++)
		if (!needle || strstr(cap_msgs[i], needle))
			c++;
	pthread_mutex_unlock(&cap_lock);
	return c;
}

void dk_test_log_dump(void)
{
	pthread_mutex_lock(&cap_lock);
	fprintf(stderr, "captured log (%d message%s, %d lost):\n", cap_n,
		cap_n == 1 ? "" : "s", cap_lost);
	for (int i = 0; i < cap_n; i++)
		fprintf(stderr, "  [%d] %s\n", i, cap_msgs[i]);
	pthread_mutex_unlock(&cap_lock);
}

uint64_t dk_test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void dk_test_yield(void)
{
	struct timespec ts = { 0, 100000 };	/* 0.1 ms between polls */

	nanosleep(&ts, NULL);
}

int dk_test_poll(int (*cond)(void *), void *arg, unsigned int ms)
{
	uint64_t end = dk_test_now_ms() + ms;

	for (;;) {
		if (cond(arg))
			return 1;
		if (dk_test_now_ms() >= end)
			return 0;
		dk_test_yield();
	}
}

unsigned int dk_test_stress(void)
{
	const char *s = getenv("DK_STRESS");
	long v = s ? strtol(s, NULL, 10) : 1;

	return v < 1 ? 1 : (unsigned int)v;
}

uint64_t dk_test_seed(void)
{
	static uint64_t seed;
	const char *s;

	if (seed)
		return seed;
	s = getenv("DK_SEED");
	if (s)
		seed = strtoull(s, NULL, 0);
	else
		seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	if (!seed)
		seed = 1;
	fprintf(stderr, "seed: DK_SEED=%llu\n", (unsigned long long)seed);
	return seed;
}

uint64_t dk_test_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

struct dk_machine *dk_test_machine_up(const struct dk_machine_config *cfg)
{
	struct dk_machine *m;

	dk_test_log_capture();
	if (dk_machine_create(cfg, &m)) {
		dk_test_log_dump();
		return NULL;
	}
	return m;
}

int dk_test_machine_down(struct dk_machine *m)
{
	int leaks = dk_machine_destroy(m);

	if (leaks)
		dk_test_log_dump();
	dk_test_log_release();
	return leaks;
}
