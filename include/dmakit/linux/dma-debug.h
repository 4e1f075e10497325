/* SPDX-License-Identifier: MIT */
/*
 * linux/dma-debug.h - dma-debug (Linux's CONFIG_DMA_API_DEBUG): the switch,
 * the per-class error counters and the summary. Ours (prefix dk_); Linux
 * has no user API for it beyond debugfs.
 *
 * When on, every DMA-mapping call is checked against a table of the live
 * mappings (single, page, sg, coherent, resource), keyed by device and bus
 * address, and each misuse is reported once through the log, in Linux's
 * words, prefixed "DMA-API: <driver> <device>: " and followed by the call
 * site (and, for a mapping that exists, where it was made).
 *
 * It is on when struct dk_dma_config.debug is set, or when the environment
 * variable DK_DMA_DEBUG is "1" or "warn" ("abort": abort mode) at machine
 * creation; the test suite runs with DK_DMA_DEBUG=1. Off, it costs one
 * pointer test per call.
 *
 * The scatterlist segment checks of Linux's CONFIG_DMA_API_DEBUG_SG are
 * always on: each segment dma_map_sg() returns is checked against
 * dma_get_max_seg_size() and dma_get_seg_boundary().
 *
 * Differs from Linux: single and page mappings are told apart (Linux 6.1
 * calls both "single"); every report is logged, not only the first; the
 * abort mode is Linux's panic_on_warn for these reports; extra checks for
 * what a simulator can know (not-present pages, a device transfer in
 * flight on the range being unmapped or freed). Each thread's latest
 * streaming DMA_TO_DEVICE mapping is tracked without a lock (so the common
 * map/check/unmap on one thread stays cheap); two threads unmapping that
 * same mapping at the same instant may go unreported, where Linux reports
 * one of them. cfg.dma.debug_entries sizes the shared table only.
 */
#ifndef DMAKIT_LINUX_DMA_DEBUG_H
#define DMAKIT_LINUX_DMA_DEBUG_H

#include <stdio.h>
#include <dmakit/api.h>

/* Modes (struct dk_dma_config.debug_mode, dk_dma_debug_enable()). */
enum dk_dma_debug_mode {
	DK_DMA_DEBUG_OFF = 0,
	DK_DMA_DEBUG_WARN = 1,	/* count and log each report */
	DK_DMA_DEBUG_ABORT = 2,	/* log the report, then abort() */
};

/* Classes of reports (dk_dma_debug_errors()). */
enum dk_dma_debug_class {
	DK_DMA_DEBUG_FREE_INVALID,	/* unmap of DMA_MAPPING_ERROR */
	DK_DMA_DEBUG_FREE_UNKNOWN,	/* never mapped, or unmapped twice */
	DK_DMA_DEBUG_FREE_SIZE,		/* unmap size != map size */
	DK_DMA_DEBUG_FREE_TYPE,		/* wrong function (single/page/...) */
	DK_DMA_DEBUG_FREE_CPU_ADDR,	/* coherent free, other CPU address */
	DK_DMA_DEBUG_FREE_SG_COUNT,	/* unmap_sg nents != map_sg nents */
	DK_DMA_DEBUG_FREE_DIR,		/* unmap direction != map direction */
	DK_DMA_DEBUG_MAP_ERR_UNCHECKED,	/* dma_mapping_error() never called */
	DK_DMA_DEBUG_SYNC_UNKNOWN,	/* sync outside any mapping */
	DK_DMA_DEBUG_SYNC_RANGE,	/* sync beyond the end of the mapping */
	DK_DMA_DEBUG_SYNC_DIR,		/* sync direction != map direction */
	DK_DMA_DEBUG_SYNC_CPU_RO,	/* for_cpu on a TO_DEVICE mapping */
	DK_DMA_DEBUG_SYNC_DEV_WO,	/* for_device on a FROM_DEVICE one */
	DK_DMA_DEBUG_SYNC_SG_COUNT,	/* sync_sg nents != map_sg nents */
	DK_DMA_DEBUG_MAP_STACK,		/* maps the calling thread's stack */
	DK_DMA_DEBUG_MAP_INVALID,	/* maps memory outside simulated RAM */
	DK_DMA_DEBUG_MAP_NOT_PRESENT,	/* maps a not-present page */
	DK_DMA_DEBUG_IN_FLIGHT,		/* unmap/free under a device transfer */
	DK_DMA_DEBUG_OVERLAP,		/* cacheline tracking EEXIST */
	DK_DMA_DEBUG_OVERLAP_LIMIT,	/* more than 7 on one cacheline */
	DK_DMA_DEBUG_LEAK,		/* pending at unbind or destroy */
	DK_DMA_DEBUG_SG_MAX_SEG,	/* sg segment above max_seg_size */
	DK_DMA_DEBUG_SG_BOUNDARY,	/* sg segment crosses seg_boundary */
	DK_DMA_DEBUG_NR_CLASSES
};

/**
 * dk_dma_debug_enable() - switch dma-debug on (or change its mode)
 * @mode: DK_DMA_DEBUG_WARN or DK_DMA_DEBUG_ABORT
 *
 * Tracking starts now: mappings made while it was off are unknown to it,
 * so switch it on before mapping anything (machine creation does, from the
 * config or DK_DMA_DEBUG). Forgets what an earlier disable left behind.
 *
 * Context: process, with no DMA-mapping call running concurrently.
 * Return: 0; -EINVAL (bad mode); -ENODEV (no machine); -ENOMEM.
 */
DK_API int dk_dma_debug_enable(int mode);

/**
 * dk_dma_debug_disable() - switch dma-debug off (the counters stay)
 *
 * Context: process, with no DMA-mapping call running concurrently.
 */
DK_API void dk_dma_debug_disable(void);

/** dk_dma_debug_mode() - the current mode (DK_DMA_DEBUG_OFF when off) */
DK_API int dk_dma_debug_mode(void);

/**
 * dk_dma_debug_errors() - reports made in class @cls since it was enabled
 * @cls: an enum dk_dma_debug_class, or -1 for all classes
 * Context: any; no lock. Return: the count (0 for a bad class).
 */
DK_API unsigned long dk_dma_debug_errors(int cls);

/** dk_dma_debug_class_name() - short name of @cls ("free_unknown", ...) */
DK_API const char *dk_dma_debug_class_name(int cls);

/** dk_dma_debug_entries() - mappings tracked now (0 when off) */
DK_API unsigned long dk_dma_debug_entries(void);

/**
 * dk_dma_debug_summary() - print errors per class and per device to @f
 *
 * Printed through the log at machine destroy when errors happened.
 * Context: process; takes dma-debug's report lock.
 */
DK_API void dk_dma_debug_summary(FILE *f);

#endif
