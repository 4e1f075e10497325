/* SPDX-License-Identifier: MIT */
/*
 * linux/delay.h - busy delays and sleeps.
 *
 * udelay/ndelay/mdelay busy-wait (allowed in atomic context); msleep,
 * usleep_range, ssleep and fsleep sleep and report a call from atomic
 * context (might_sleep). Differs from Linux: all of them use host real
 * time, not the machine clock, so a manual clock never stalls a sleeper.
 */
#ifndef DMAKIT_LINUX_DELAY_H
#define DMAKIT_LINUX_DELAY_H

#include <dmakit/api.h>

/** ndelay() - busy-wait @ns nanoseconds. Context: any. */
DK_API void ndelay(unsigned long ns);
/** udelay() - busy-wait @us microseconds. Context: any. */
DK_API void udelay(unsigned long us);
/** mdelay() - busy-wait @ms milliseconds. Context: any. */
DK_API void mdelay(unsigned long ms);
/** msleep() - sleep at least @ms milliseconds. Context: process. */
DK_API void msleep(unsigned int ms);
/** msleep_interruptible() - msleep(); returns 0 (no signals here). */
DK_API unsigned long msleep_interruptible(unsigned int ms);
/** usleep_range() - sleep between @min and @max us. Context: process. */
DK_API void usleep_range(unsigned long min, unsigned long max);
/** ssleep() - sleep @s seconds. Context: process. */
DK_API void ssleep(unsigned int s);
/** fsleep() - sleep @us microseconds. Context: process. */
DK_API void fsleep(unsigned long us);

#endif
