/* SPDX-License-Identifier: MIT */
/*
 * linux/dma-mapping.h - the DMA mapping API: device DMA limits, coherent
 * allocations, streaming mappings of buffers, pages, scatterlists and MMIO
 * resources, and ownership syncs.
 *
 * As Linux 6.1. Each device goes either to dma-direct (dev->dma_ops NULL:
 * bus address = physical address; a buffer the device cannot reach with
 * its mask, or every buffer when the machine forces bouncing, goes through
 * the swiotlb bounce pool) or to the ops table the IOMMU layer installs
 * (<linux/dma-map-ops.h>).
 *
 * Differs from Linux: an invalid direction, a NULL device or memory that is
 * not in simulated RAM (stack, malloc: it has no physical address) is
 * logged and the call fails (DMA_MAPPING_ERROR, NULL, 0, -EINVAL) instead of
 * a BUG(); devices are cache-coherent, so syncs matter for bounce buffers.
 */
#ifndef DMAKIT_LINUX_DMA_MAPPING_H
#define DMAKIT_LINUX_DMA_MAPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/device.h>
#include <linux/dma-direction.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <dmakit/api.h>

/* Attributes (unsigned long attrs), same bits as Linux. */
#define DMA_ATTR_WEAK_ORDERING		(1UL << 1)	/* accepted */
#define DMA_ATTR_WRITE_COMBINE		(1UL << 2)	/* accepted */
#define DMA_ATTR_NO_KERNEL_MAPPING	(1UL << 4)	/* a cookie */
#define DMA_ATTR_SKIP_CPU_SYNC		(1UL << 5)	/* no copy */
#define DMA_ATTR_FORCE_CONTIGUOUS	(1UL << 6)	/* always so */
#define DMA_ATTR_ALLOC_SINGLE_PAGES	(1UL << 7)	/* accepted */
#define DMA_ATTR_NO_WARN		(1UL << 8)	/* no "full" message */
#define DMA_ATTR_PRIVILEGED		(1UL << 9)	/* for the IOMMU */

/* What a failed mapping returns; test it with dma_mapping_error(). */
#define DMA_MAPPING_ERROR	(~(dma_addr_t)0)

#define DMA_BIT_MASK(n)	(((n) == 64) ? ~0ULL : ((1ULL << (n)) - 1))

/* ---- device DMA limits --------------------------------------------------- */

/**
 * dma_supported() - whether @dev can use DMA with @mask
 * @dev: the device
 * @mask: a DMA mask
 *
 * dma-direct takes any mask of 32 bits or more, and a smaller one only if
 * it still covers the lowest zone (here ZONE_DMA32: the RAM below 4 GiB) up
 * to the top of RAM, as Linux's dma_direct_supported(). An ops table decides
 * through its dma_supported op (none: any mask).
 * Context: any. Return: 1 or 0.
 */
DK_API int dma_supported(struct device *dev, u64 mask);

/**
 * dma_set_mask() - set the streaming DMA mask
 * @dev: the device
 * @mask: addresses the device can generate, e.g. DMA_BIT_MASK(32)
 *
 * The mask is the driver's word: a device whose hardware drives fewer bits
 * than its mask (dev->dma_bits_hint) faults on the bus, as on hardware.
 * Context: process. Return: 0, or -EIO (the mask cannot be supported, or
 * the device has no dma_mask pointer).
 */
DK_API int dma_set_mask(struct device *dev, u64 mask);

/**
 * dma_set_coherent_mask() - set the mask for dma_alloc_coherent()
 * Context: process. Return: 0 or -EIO, as dma_set_mask().
 */
DK_API int dma_set_coherent_mask(struct device *dev, u64 mask);

/**
 * dma_set_mask_and_coherent() - set both masks
 * Context: process. Return: 0 or -EIO (then neither or only the streaming
 * mask changed, as in Linux).
 */
static inline int dma_set_mask_and_coherent(struct device *dev, u64 mask)
{
	int rc = dma_set_mask(dev, mask);

	if (rc == 0)
		dma_set_coherent_mask(dev, mask);
	return rc;
}

/**
 * dma_get_mask() - the streaming mask, or DMA_BIT_MASK(32) if none is set
 * Context: any.
 */
DK_API u64 dma_get_mask(struct device *dev);

/**
 * dma_get_required_mask() - smallest mask that reaches all of RAM
 * Context: any.
 */
DK_API u64 dma_get_required_mask(struct device *dev);

/**
 * dma_addressing_limited() - whether @dev cannot reach all of RAM directly
 * Context: any. Return: true if its mask (or bus limit) is below
 * dma_get_required_mask().
 */
DK_API bool dma_addressing_limited(struct device *dev);

/**
 * dma_max_mapping_size() - largest single mapping @dev may make
 *
 * Through dma-direct: swiotlb_max_mapping_size() (256 KiB less the
 * min_align_mask rounding) when bouncing applies (the device is addressing
 * limited or bouncing is forced), SIZE_MAX otherwise.
 * Context: any.
 */
DK_API size_t dma_max_mapping_size(struct device *dev);

/** dma_opt_mapping_size() - size beyond which mapping cost grows */
DK_API size_t dma_opt_mapping_size(struct device *dev);

/**
 * dma_set_max_seg_size() - longest segment the device takes in a list
 * Context: process. Return: 0, or -EIO if the device has no dma_parms.
 */
DK_API int dma_set_max_seg_size(struct device *dev, unsigned int size);
/** dma_get_max_seg_size() - the max segment size (64 KiB if unset) */
DK_API unsigned int dma_get_max_seg_size(struct device *dev);

/**
 * dma_set_seg_boundary() - a segment must not cross a (@mask + 1) boundary
 * Context: process. Return: 0, or -EIO if the device has no dma_parms.
 */
DK_API int dma_set_seg_boundary(struct device *dev, unsigned long mask);
/** dma_get_seg_boundary() - the boundary mask (ULONG_MAX if unset) */
DK_API unsigned long dma_get_seg_boundary(struct device *dev);
/**
 * dma_get_seg_boundary_nr_pages() - the boundary in pages of 1 << @page_shift
 * (for IOVA allocators)
 */
DK_API unsigned long dma_get_seg_boundary_nr_pages(struct device *dev,
						   unsigned int page_shift);

/**
 * dma_set_min_align_mask() - low address bits swiotlb must preserve
 * Context: process. Return: 0, or -EIO if the device has no dma_parms.
 */
DK_API int dma_set_min_align_mask(struct device *dev,
				  unsigned int min_align_mask);
/** dma_get_min_align_mask() - the min_align_mask (0 if unset) */
DK_API unsigned int dma_get_min_align_mask(struct device *dev);

/**
 * dma_need_sync() - whether syncs of mapping @dma_addr do anything
 *
 * True for a bounce buffer (and whatever an ops table says).
 * Context: any.
 */
DK_API bool dma_need_sync(struct device *dev, dma_addr_t dma_addr);

/* ---- coherent allocations ------------------------------------------------ */

/**
 * dma_alloc_attrs() - allocate memory shared by CPU and device
 * @dev: the device
 * @size: bytes (rounded up to whole pages; at most 4 MiB through
 *        dma-direct, the page allocator's largest block)
 * @dma_handle: receives the bus address (DMA_MAPPING_ERROR on failure)
 * @flag: GFP flags; zone flags are ignored: the coherent mask picks the
 *        zone (ZONE_DMA32 when the mask cannot reach all of RAM)
 * @attrs: DMA_ATTR_*; with DMA_ATTR_NO_KERNEL_MAPPING the return value is
 *         an opaque cookie (the struct page), not for CPU access, and the
 *         memory is not zeroed, as Linux
 *
 * The memory is zeroed and lies wholly below the coherent mask.
 * Context: process if @flag may sleep (GFP_KERNEL), any with GFP_ATOMIC.
 * Return: the CPU address (or cookie), or NULL (logged).
 */
DK_API void *dma_alloc_attrs(struct device *dev, size_t size,
			     dma_addr_t *dma_handle, gfp_t flag,
			     unsigned long attrs);

/**
 * dma_free_attrs() - free memory from dma_alloc_attrs()
 * @dev: the device
 * @size: the size given to dma_alloc_attrs()
 * @cpu_addr: what it returned (NULL is ignored)
 * @dma_handle: the handle it gave
 * @attrs: the attributes it was given
 *
 * A handle that does not belong to @cpu_addr, or memory that is not from
 * dma_alloc_attrs(), is reported and nothing is freed.
 * Context: any (not a sleeping one required).
 */
DK_API void dma_free_attrs(struct device *dev, size_t size, void *cpu_addr,
			   dma_addr_t dma_handle, unsigned long attrs);

static inline void *dma_alloc_coherent(struct device *dev, size_t size,
				       dma_addr_t *dma_handle, gfp_t gfp)
{
	return dma_alloc_attrs(dev, size, dma_handle, gfp,
			       (gfp & __GFP_NOWARN) ? DMA_ATTR_NO_WARN : 0);
}

static inline void dma_free_coherent(struct device *dev, size_t size,
				     void *cpu_addr, dma_addr_t dma_handle)
{
	dma_free_attrs(dev, size, cpu_addr, dma_handle, 0);
}

/* ---- streaming mappings -------------------------------------------------- */

/**
 * dma_map_page_attrs() - map @size bytes of @page from @offset for DMA
 * @dev: the device
 * @page: a page of simulated RAM
 * @offset: byte offset into the page (may reach into the following pages)
 * @size: bytes
 * @dir: DMA_TO_DEVICE, DMA_FROM_DEVICE or DMA_BIDIRECTIONAL
 * @attrs: DMA_ATTR_* (SKIP_CPU_SYNC skips the bounce copy)
 *
 * The buffer belongs to the device until unmapped or synced for the CPU.
 * Context: any; swiotlb takes one area lock.
 * Return: the bus address, or DMA_MAPPING_ERROR (check with
 * dma_mapping_error()).
 */
DK_API dma_addr_t dma_map_page_attrs(struct device *dev, struct page *page,
				     size_t offset, size_t size,
				     enum dma_data_direction dir,
				     unsigned long attrs);

/**
 * dma_unmap_page_attrs() - end a mapping from dma_map_page_attrs()
 *
 * Give the address, size and direction of the mapping. For a bounce buffer
 * the data comes back to the original buffer (FROM_DEVICE/BIDIRECTIONAL,
 * unless DMA_ATTR_SKIP_CPU_SYNC) and the slots are freed.
 * Context: any; swiotlb takes one area lock.
 */
DK_API void dma_unmap_page_attrs(struct device *dev, dma_addr_t addr,
				 size_t size, enum dma_data_direction dir,
				 unsigned long attrs);

/**
 * dma_map_single_attrs() - map a CPU buffer for DMA
 * @ptr: CPU address in simulated RAM (kmalloc, page allocator). Memory
 *       that is not (stack, malloc) has no physical address: the call
 *       reports device, address and size and fails.
 *
 * Otherwise as dma_map_page_attrs().
 */
DK_API dma_addr_t dma_map_single_attrs(struct device *dev, void *ptr,
				       size_t size,
				       enum dma_data_direction dir,
				       unsigned long attrs);

/** dma_unmap_single_attrs() - end a mapping from dma_map_single_attrs() */
DK_API void dma_unmap_single_attrs(struct device *dev, dma_addr_t addr,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs);

/**
 * dma_map_sg_attrs() - map the @nents entries of a scatterlist
 *
 * Fills each mapped segment's sg_dma_address()/sg_dma_len(). dma-direct
 * maps entry by entry (no merging); an IOMMU backend may merge.
 * Context: any.
 * Return: the number of DMA segments, 0 on failure (nothing stays mapped).
 */
DK_API unsigned int dma_map_sg_attrs(struct device *dev,
				     struct scatterlist *sg, int nents,
				     enum dma_data_direction dir,
				     unsigned long attrs);

/**
 * dma_unmap_sg_attrs() - unmap a list; @nents is the count given to map
 * (not the count it returned), as Linux requires
 */
DK_API void dma_unmap_sg_attrs(struct device *dev, struct scatterlist *sg,
			       int nents, enum dma_data_direction dir,
			       unsigned long attrs);

/**
 * dma_map_sgtable() - map a table's orig_nents entries, setting its nents
 * Context: any.
 * Return: 0; -EINVAL (bad arguments, will not succeed on retry), -ENOMEM
 * (out of IOVA space: retry later), -EIO (anything else, e.g. swiotlb full
 * as Linux's dma-direct reports it).
 */
DK_API int dma_map_sgtable(struct device *dev, struct sg_table *sgt,
			   enum dma_data_direction dir, unsigned long attrs);

/** dma_unmap_sgtable() - unmap a table mapped by dma_map_sgtable() */
DK_API void dma_unmap_sgtable(struct device *dev, struct sg_table *sgt,
			      enum dma_data_direction dir,
			      unsigned long attrs);

/**
 * dma_map_resource() - map an MMIO range (e.g. a peripheral's FIFO) so
 * @dev can reach it
 * @phys_addr: physical address of the range; RAM is refused
 *
 * Through dma-direct the bus address is the physical address, if the
 * device's mask reaches it.
 * Context: any. Return: the bus address or DMA_MAPPING_ERROR.
 */
DK_API dma_addr_t dma_map_resource(struct device *dev, phys_addr_t phys_addr,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs);

/** dma_unmap_resource() - end a mapping from dma_map_resource() */
DK_API void dma_unmap_resource(struct device *dev, dma_addr_t addr,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs);

/**
 * dma_mapping_error() - whether a map call failed
 * Context: any. Return: -ENOMEM if @dma_addr is DMA_MAPPING_ERROR, else 0.
 */
DK_API int dma_mapping_error(struct device *dev, dma_addr_t dma_addr);

/* ---- ownership syncs ----------------------------------------------------- */

/**
 * dma_sync_single_for_cpu() - give a (part of a) mapping back to the CPU
 * @addr: a bus address inside a streaming mapping
 * @size: bytes from @addr
 * @dir: the mapping's direction
 *
 * For a bounce buffer, FROM_DEVICE and BIDIRECTIONAL copy the device's
 * data back into the original buffer. Without this call the CPU reads
 * stale data under swiotlb.
 * Context: any.
 */
DK_API void dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir);

/**
 * dma_sync_single_for_device() - give a mapping back to the device
 *
 * For a bounce buffer, TO_DEVICE and BIDIRECTIONAL copy the CPU's data
 * into the bounce slot.
 * Context: any.
 */
DK_API void dma_sync_single_for_device(struct device *dev, dma_addr_t addr,
				       size_t size,
				       enum dma_data_direction dir);

static inline void dma_sync_single_range_for_cpu(struct device *dev,
		dma_addr_t addr, unsigned long offset, size_t size,
		enum dma_data_direction dir)
{
	dma_sync_single_for_cpu(dev, addr + offset, size, dir);
}

static inline void dma_sync_single_range_for_device(struct device *dev,
		dma_addr_t addr, unsigned long offset, size_t size,
		enum dma_data_direction dir)
{
	dma_sync_single_for_device(dev, addr + offset, size, dir);
}

/** dma_sync_sg_for_cpu() - sync a mapped list; @nelems as given to map */
DK_API void dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg,
				int nelems, enum dma_data_direction dir);
/** dma_sync_sg_for_device() - sync a mapped list for the device */
DK_API void dma_sync_sg_for_device(struct device *dev, struct scatterlist *sg,
				   int nelems, enum dma_data_direction dir);

static inline void dma_sync_sgtable_for_cpu(struct device *dev,
		struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_sync_sg_for_cpu(dev, sgt->sgl, (int)sgt->orig_nents, dir);
}

static inline void dma_sync_sgtable_for_device(struct device *dev,
		struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_sync_sg_for_device(dev, sgt->sgl, (int)sgt->orig_nents, dir);
}

#define dma_map_single(d, a, s, r) dma_map_single_attrs(d, a, s, r, 0)
#define dma_unmap_single(d, a, s, r) dma_unmap_single_attrs(d, a, s, r, 0)
#define dma_map_sg(d, s, n, r) dma_map_sg_attrs(d, s, n, r, 0)
#define dma_unmap_sg(d, s, n, r) dma_unmap_sg_attrs(d, s, n, r, 0)
#define dma_map_page(d, p, o, s, r) dma_map_page_attrs(d, p, o, s, r, 0)
#define dma_unmap_page(d, a, s, r) dma_unmap_page_attrs(d, a, s, r, 0)

#endif
