/* SPDX-License-Identifier: MIT */
/*
 * dmakit.h - the platform API in one include: the machine and its devices,
 * counters and clock (machine.h), the log sink (log.h), tracing (trace.h).
 * The Linux-compatible API is under <linux/...> with -I include/dmakit.
 */
#ifndef DMAKIT_DMAKIT_H
#define DMAKIT_DMAKIT_H

#include <dmakit/log.h>
#include <dmakit/machine.h>
#include <dmakit/trace.h>

#endif
