/* SPDX-License-Identifier: MIT */
/*
 * linux/errno.h - the system's error numbers plus the kernel-only ones.
 *
 * glibc's <errno.h> includes <linux/errno.h>; so the system's header comes
 * first and this one only adds what the kernel has beyond it.
 */
#ifndef DMAKIT_LINUX_ERRNO_H
#define DMAKIT_LINUX_ERRNO_H

#include_next <linux/errno.h>

#ifndef ERESTARTSYS
#define ERESTARTSYS	512
#endif
#ifndef ENOIOCTLCMD
#define ENOIOCTLCMD	515
#endif
#ifndef EPROBE_DEFER
#define EPROBE_DEFER	517	/* driver asks to be probed again later */
#endif
#ifndef ENOTSUPP
#define ENOTSUPP	524	/* operation not supported (kernel-internal) */
#endif

#endif
