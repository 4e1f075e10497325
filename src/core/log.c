// SPDX-License-Identifier: MIT
/*
 * log.c - the log sink, printk and dev_printk.
 *
 * LOCKING: the sink pointer pair is swapped under sink_lock and read under
 * it; messages are formatted before the lock is taken, and the sink is
 * called with sink_lock held so that a sink being replaced is never called
 * after dk_log_set_sink() returned.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/device.h>
#include <linux/printk.h>
#include "core/internal.h"

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static dk_log_sink_fn sink_fn;	/* under sink_lock */
static void *sink_ctx;		/* under sink_lock */
static int default_level = DK_LOG_WARN;

static const char *level_name(int level)
{
	switch (level) {
	case 0: case 1: case 2: case DK_LOG_ERR:
		return "error";
	case DK_LOG_WARN:
		return "warning";
	case 5: case DK_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void dk_log_set_sink(dk_log_sink_fn fn, void *ctx)
{
	pthread_mutex_lock(&sink_lock);
	sink_fn = fn;
	sink_ctx = ctx;
	pthread_mutex_unlock(&sink_lock);
}

void dk_log_set_level(int level)
{
	__atomic_store_n(&default_level, level, __ATOMIC_RELAXED);
}

static void log_emit(int level, char *msg)
{
	size_t n = strlen(msg);

	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	pthread_mutex_lock(&sink_lock);
	if (sink_fn)
		sink_fn(sink_ctx, level, msg);
	else if (level <= __atomic_load_n(&default_level, __ATOMIC_RELAXED))
		fprintf(stderr, "dmakit %s: %s\n", level_name(level), msg);
	pthread_mutex_unlock(&sink_lock);
}

static void log_v(int level, const char *prefix, const char *fmt, va_list ap)
{
	char msg[1024];
	int n = 0;

	if (prefix)
		n = snprintf(msg, sizeof(msg), "%s", prefix);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	log_emit(level, msg);
}

void dk_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(level, NULL, fmt, ap);
	va_end(ap);
}

/* Strip a KERN_<LEVEL> prefix; default level is info. */
static const char *kern_level(const char *fmt, int *level)
{
	*level = DK_LOG_INFO;
	if (fmt[0] == KERN_SOH[0] && fmt[1] >= '0' && fmt[1] <= '7') {
		*level = fmt[1] - '0';
		return fmt + 2;
	}
	return fmt;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int level;

	fmt = kern_level(fmt, &level);
	va_start(ap, fmt);
	log_v(level, NULL, fmt, ap);
	va_end(ap);
	return 0;
}

void dev_printk(const char *lvl, const struct device *dev, const char *fmt,
		...)
{
	char prefix[128];
	va_list ap;
	int level;

	kern_level(lvl, &level);
	snprintf(prefix, sizeof(prefix), "%s %s: ",
		 dev && dev->driver ? dev->driver->name : "(unbound)",
		 dev ? dev_name(dev) : "(NULL device)");
	va_start(ap, fmt);
	log_v(level, prefix, fmt, ap);
	va_end(ap);
}
