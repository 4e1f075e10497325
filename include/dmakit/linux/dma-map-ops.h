/* SPDX-License-Identifier: MIT */
/*
 * linux/dma-map-ops.h - the per-device DMA backend seam, for code that
 * implements DMA mapping (the IOMMU layer's dma-iommu), not for drivers.
 *
 * A device with dev->dma_ops NULL uses dma-direct (bus = physical, with
 * swiotlb bouncing where the device cannot reach a buffer). An IOMMU layer
 * that gives a device a translating DMA domain installs its table with
 * set_dma_ops(); removing the domain sets it back to NULL. The DMA-mapping
 * front end (dma_map_page_attrs() and friends) validates arguments (device,
 * direction, dma_mask), then calls the op; an op left NULL makes the call
 * fail the way Linux fails it (DMA_MAPPING_ERROR, NULL, 0) with a message,
 * or do nothing for unmap/sync ops. dma-debug's hooks run in the front end
 * after the op, so a backend does not call them.
 */
#ifndef DMAKIT_LINUX_DMA_MAP_OPS_H
#define DMAKIT_LINUX_DMA_MAP_OPS_H

#include <linux/dma-mapping.h>

/**
 * struct dma_map_ops - a DMA backend, as Linux 6.1 (the subset we use)
 * @flags: none defined yet
 * @alloc: coherent allocation; fill *dma_handle; return CPU address or NULL
 * @free: undo @alloc
 * @map_page: streaming map; return bus address or DMA_MAPPING_ERROR
 * @unmap_page: undo @map_page (also used for dma_unmap_single)
 * @map_sg: map a list, fill sg_dma_address/len of the segments (the IOMMU
 *          backend may merge, honouring dma_get_max_seg_size() and
 *          dma_get_seg_boundary()); return segments, or -EINVAL, -ENOMEM,
 *          -EIO (never 0)
 * @unmap_sg: undo @map_sg; @nents is the count given to map
 * @map_resource: map an MMIO range; NULL makes dma_map_resource() fail
 * @unmap_resource: undo @map_resource
 * @sync_single_for_cpu: ownership to the CPU (bounce copy-back etc.)
 * @sync_single_for_device: ownership to the device
 * @sync_sg_for_cpu: as above for a list
 * @sync_sg_for_device: as above for a list
 * @dma_supported: whether a mask is acceptable (NULL: any mask)
 * @get_required_mask: NULL: dma-direct's answer
 * @max_mapping_size: NULL: SIZE_MAX
 * @opt_mapping_size: NULL: SIZE_MAX
 * @get_merge_boundary: NULL: 0 (no merging)
 */
struct dma_map_ops {
	unsigned int flags;
	void *(*alloc)(struct device *dev, size_t size,
		       dma_addr_t *dma_handle, gfp_t gfp,
		       unsigned long attrs);
	void (*free)(struct device *dev, size_t size, void *vaddr,
		     dma_addr_t dma_handle, unsigned long attrs);
	dma_addr_t (*map_page)(struct device *dev, struct page *page,
			       unsigned long offset, size_t size,
			       enum dma_data_direction dir,
			       unsigned long attrs);
	void (*unmap_page)(struct device *dev, dma_addr_t dma_handle,
			   size_t size, enum dma_data_direction dir,
			   unsigned long attrs);
	int (*map_sg)(struct device *dev, struct scatterlist *sg, int nents,
		      enum dma_data_direction dir, unsigned long attrs);
	void (*unmap_sg)(struct device *dev, struct scatterlist *sg,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs);
	dma_addr_t (*map_resource)(struct device *dev, phys_addr_t phys_addr,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs);
	void (*unmap_resource)(struct device *dev, dma_addr_t dma_handle,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs);
	void (*sync_single_for_cpu)(struct device *dev, dma_addr_t dma_handle,
				    size_t size, enum dma_data_direction dir);
	void (*sync_single_for_device)(struct device *dev,
				       dma_addr_t dma_handle, size_t size,
				       enum dma_data_direction dir);
	void (*sync_sg_for_cpu)(struct device *dev, struct scatterlist *sg,
				int nents, enum dma_data_direction dir);
	void (*sync_sg_for_device)(struct device *dev, struct scatterlist *sg,
				   int nents, enum dma_data_direction dir);
	int (*dma_supported)(struct device *dev, u64 mask);
	u64 (*get_required_mask)(struct device *dev);
	size_t (*max_mapping_size)(struct device *dev);
	size_t (*opt_mapping_size)(void);
	unsigned long (*get_merge_boundary)(struct device *dev);
};

/** get_dma_ops() - @dev's backend, NULL for dma-direct */
static inline const struct dma_map_ops *get_dma_ops(struct device *dev)
{
	return __atomic_load_n(&dev->dma_ops, __ATOMIC_ACQUIRE);
}

/**
 * set_dma_ops() - install a backend for @dev (NULL: back to dma-direct)
 *
 * Context: process, while the device has no live mapping (the IOMMU core
 * calls it when it attaches a domain, before a driver binds).
 */
static inline void set_dma_ops(struct device *dev,
			       const struct dma_map_ops *dma_ops)
{
	__atomic_store_n(&dev->dma_ops, dma_ops, __ATOMIC_RELEASE);
}

/* Devices here are cache-coherent: no arch cache maintenance. */
static inline bool dev_is_dma_coherent(struct device *dev)
{
	(void)dev;
	return true;
}

#endif
