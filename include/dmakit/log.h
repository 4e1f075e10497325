/* SPDX-License-Identifier: MIT */
/*
 * log.h - where dmakit's messages go.
 *
 * Every report the platform makes (a device fault, an MMIO access to nowhere,
 * a leak at destroy, printk from kernel code) goes through one sink. The
 * default sink prints warnings and errors to stderr; tests install their own
 * to assert that a report was made exactly once.
 */
#ifndef DMAKIT_LOG_H
#define DMAKIT_LOG_H

#include <dmakit/api.h>

enum dk_log_level {
	DK_LOG_ERR = 3,
	DK_LOG_WARN = 4,
	DK_LOG_INFO = 6,
	DK_LOG_DEBUG = 7,
};

/**
 * typedef dk_log_sink_fn - receives one complete message
 * @ctx: the pointer given to dk_log_set_sink()
 * @level: a DK_LOG_* value
 * @msg: the message, without a trailing newline
 *
 * Context: any thread, possibly a device or hard-IRQ thread; must not sleep
 * for long and must not call back into dmakit.
 */
typedef void (*dk_log_sink_fn)(void *ctx, int level, const char *msg);

/**
 * dk_log_set_sink() - install a sink (NULL restores the default)
 * @fn: the sink
 * @ctx: passed to @fn
 *
 * Context: process; the change is atomic with respect to messages in flight.
 */
DK_API void dk_log_set_sink(dk_log_sink_fn fn, void *ctx);

/**
 * dk_log_set_level() - most verbose level the default sink prints
 * @level: a DK_LOG_* value (default DK_LOG_WARN)
 */
DK_API void dk_log_set_level(int level);

/**
 * dk_log() - emit one message
 * @level: a DK_LOG_* value
 * @fmt: printf format
 *
 * Context: any.
 */
DK_API void dk_log(int level, const char *fmt, ...) DK_PRINTF(2, 3);

#endif
