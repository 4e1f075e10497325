/* SPDX-License-Identifier: MIT */
/*
 * linux/types.h - kernel integer and address types.
 *
 * The system's <linux/types.h> comes first (glibc and other system headers
 * include it); this header only adds the kernel-internal names.
 */
#ifndef DMAKIT_LINUX_TYPES_H
#define DMAKIT_LINUX_TYPES_H

#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;

/* Bus address as a device puts it on the bus (an IOVA behind an IOMMU). */
typedef u64 dma_addr_t;
/* Simulated physical address. */
typedef u64 phys_addr_t;
typedef phys_addr_t resource_size_t;
typedef unsigned int gfp_t;

#ifndef __iomem
#define __iomem
#endif

#endif
