/* SPDX-License-Identifier: MIT */
/*
 * linux/swiotlb.h - the software I/O TLB: a bounce pool below 4 GiB for
 * devices that cannot reach a buffer (and for every mapping when bouncing
 * is forced, the swiotlb=force of Linux).
 *
 * As Linux 6.1: 2 KiB slots, mappings of at most one 128-slot segment
 * (256 KiB), areas with their own locks, min_align_mask honoured, the
 * original buffer always copied into the slot at map time. Our pool is
 * built at machine creation from ZONE_DMA32 pages (struct dk_dma_config:
 * swiotlb_size, default 64 MiB) when RAM reaches above 4 GiB or bouncing
 * is forced; the per-slot records (original address, sizes) live in host
 * memory. Used by dma-direct, and by an IOMMU backend that bounces.
 */
#ifndef DMAKIT_LINUX_SWIOTLB_H
#define DMAKIT_LINUX_SWIOTLB_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/dma-direction.h>
#include <dmakit/api.h>

struct device;

#define IO_TLB_SEGSIZE	128	/* slots per segment: largest mapping */
#define IO_TLB_SHIFT	11
#define IO_TLB_SIZE	(1 << IO_TLB_SHIFT)
#define IO_TLB_DEFAULT_SIZE (64UL << 20)

/**
 * swiotlb_tbl_map_single() - bounce @mapping_size bytes at @phys
 * @dev: the device (its min_align_mask and segment boundary are honoured)
 * @phys: physical address of the original buffer
 * @mapping_size: bytes to copy
 * @alloc_size: bytes of slots to reserve (>= @mapping_size)
 * @alloc_align_mask: extra alignment of the slot run (0: none)
 * @dir: the mapping's direction
 * @attrs: DMA_ATTR_NO_WARN silences the "buffer is full" message
 *
 * Copies the original into the slots whatever the direction, as Linux.
 * Context: any; takes one area lock at a time (none when the thread's
 * cache of unmapped runs has a fit), and the thread-cache registry mutex
 * when the pool looks full (every thread's cache is flushed first).
 * Return: the bounce buffer's physical address, or
 * (phys_addr_t)DMA_MAPPING_ERROR when the pool is absent or full.
 */
DK_API phys_addr_t swiotlb_tbl_map_single(struct device *dev,
					  phys_addr_t phys,
					  size_t mapping_size,
					  size_t alloc_size,
					  unsigned int alloc_align_mask,
					  enum dma_data_direction dir,
					  unsigned long attrs);

/**
 * swiotlb_tbl_unmap_single() - copy back (FROM_DEVICE/BIDIRECTIONAL unless
 * DMA_ATTR_SKIP_CPU_SYNC) and free the slots of a bounce buffer
 *
 * An address that is not the start of a live bounce buffer is reported and
 * ignored. The slots may stay in the calling thread's cache for its next
 * mapping; they count as free. Context: any; takes one area lock, or
 * none (the thread's cache), and the thread-cache registry mutex on the
 * thread's first use of the pool.
 */
DK_API void swiotlb_tbl_unmap_single(struct device *dev, phys_addr_t tlb_addr,
				     size_t mapping_size,
				     enum dma_data_direction dir,
				     unsigned long attrs);

/** swiotlb_sync_single_for_device() - copy in for TO_DEVICE/BIDIRECTIONAL */
DK_API void swiotlb_sync_single_for_device(struct device *dev,
					   phys_addr_t tlb_addr, size_t size,
					   enum dma_data_direction dir);

/** swiotlb_sync_single_for_cpu() - copy out for FROM_DEVICE/BIDIRECTIONAL */
DK_API void swiotlb_sync_single_for_cpu(struct device *dev,
					phys_addr_t tlb_addr, size_t size,
					enum dma_data_direction dir);

/**
 * swiotlb_map() - bounce a buffer for dma-direct: swiotlb_tbl_map_single()
 * and a check that @dev can reach the bounce buffer
 * Context: any. Return: the bus address or DMA_MAPPING_ERROR.
 */
DK_API dma_addr_t swiotlb_map(struct device *dev, phys_addr_t phys,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs);

/**
 * is_swiotlb_buffer() - whether @paddr lies in the bounce pool
 * Context: any; no lock (O(1)).
 */
DK_API bool is_swiotlb_buffer(struct device *dev, phys_addr_t paddr);

/** is_swiotlb_active() - whether the machine has a bounce pool */
DK_API bool is_swiotlb_active(struct device *dev);

/** is_swiotlb_force_bounce() - whether every dma-direct mapping bounces */
DK_API bool is_swiotlb_force_bounce(struct device *dev);

/**
 * swiotlb_max_mapping_size() - largest mapping: 256 KiB less the
 * min_align_mask rounded up to a slot
 */
DK_API size_t swiotlb_max_mapping_size(struct device *dev);

/**
 * dk_swiotlb_stats() - the pool's capacity and usage (Linux's debugfs
 * io_tlb_nslabs and io_tlb_used)
 * @nslabs: receives the slots in the pool (may be NULL)
 * @used: receives the slots in use (may be NULL)
 * Context: any; takes each area lock in turn.
 * Return: 0, or -ENODEV without a pool.
 */
DK_API int dk_swiotlb_stats(unsigned long *nslabs, unsigned long *used);

#endif
