/* SPDX-License-Identifier: MIT */
/*
 * hw/dma.h - the device-side DMA access path.
 *
 * A device reaches RAM only here, by bus address. The path checks the
 * device's address reach, translates page by page through the machine's
 * translation hook (identity until an IOMMU is installed), refuses anything
 * that is not RAM or not present, and copies each physically contiguous run
 * with one memcpy. One call is one transaction in the device's counters and
 * one event in the trace. A refused access moves no data at all: the whole
 * range is checked before the first byte is copied.
 */
#ifndef DMAKIT_HW_DMA_H
#define DMAKIT_HW_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dmakit/api.h>

struct dk_hw_dev;

/**
 * dk_dma_read() - read memory as a bus master
 * @dev: the device
 * @bus: bus address (an IOVA when an IOMMU translates)
 * @buf: host destination (the model's own memory)
 * @len: bytes to read
 *
 * Context: device thread (or any thread acting as the device); no lock.
 * Return: 0; -ENXIO (beyond the device's reach, no RAM there, or an MMIO
 * window); -EIO (a page that is not present); -EFAULT (IOMMU fault). The
 * error is counted as a fault, traced and logged with device and address.
 */
DK_API int dk_dma_read(struct dk_hw_dev *dev, uint64_t bus, void *buf,
		       size_t len);

/** dk_dma_write() - write memory as a bus master; see dk_dma_read() */
DK_API int dk_dma_write(struct dk_hw_dev *dev, uint64_t bus, const void *buf,
			size_t len);

/**
 * dk_dma_copy() - copy between two bus ranges (a read and a write)
 * @dev: the device
 * @dst: destination bus address
 * @src: source bus address
 * @len: bytes
 *
 * Both ranges are checked before anything moves. Counted as one read and
 * one write transaction. Overlapping ranges behave as memmove.
 * Return: as dk_dma_read().
 */
DK_API int dk_dma_copy(struct dk_hw_dev *dev, uint64_t dst, uint64_t src,
		       size_t len);

/**
 * dk_dma_copy_side() - dk_dma_copy() that tells which side was refused
 * @dev: the device
 * @dst: destination bus address
 * @src: source bus address
 * @len: bytes
 * @write_failed: if not NULL, set to true when the destination range was
 *                refused, false otherwise (the source is checked first)
 *
 * Return: as dk_dma_copy().
 */
DK_API int dk_dma_copy_side(struct dk_hw_dev *dev, uint64_t dst, uint64_t src,
			    size_t len, bool *write_failed);

/**
 * dk_dma_fill() - write @len bytes of the repeated 8-byte @pattern
 * Return: as dk_dma_write().
 */
DK_API int dk_dma_fill(struct dk_hw_dev *dev, uint64_t dst, uint64_t pattern,
		       size_t len);

#endif
