// SPDX-License-Identifier: MIT
/*
 * dma_direct.c - dma-direct, the backend of devices without DMA ops: the
 * bus address is the physical address. A buffer the device cannot reach
 * (above its mask or bus limit), or every buffer when bouncing is forced,
 * goes through swiotlb; coherent memory comes from the page allocator in
 * the zone the coherent mask allows.
 *
 * Called by the front end (dma_mapping.c), which has validated the device,
 * direction and sizes. No lock of its own: swiotlb takes its area locks.
 */
#include <errno.h>
#include <string.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/swiotlb.h>
#include "kernel/internal.h"

static inline struct dk_dma_state *dma_state(void)
{
	struct dk_machine *m = __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);

	return m ? m->dma : NULL;
}

static inline u64 min_not_zero_u64(u64 a, u64 b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

bool dk__dma_capable(struct device *dev, dma_addr_t addr, size_t size,
		     bool is_ram)
{
	dma_addr_t end = addr + size - 1;
	u64 mask = dev->dma_mask ? *dev->dma_mask : 0;

	(void)is_ram;
	if (addr == DMA_MAPPING_ERROR || end < addr)
		return false;
	return end <= min_not_zero_u64(mask, dev->bus_dma_limit);
}

int dk__dma_direct_supported(struct device *dev, u64 mask)
{
	struct dk_dma_state *st = dma_state();
	u64 min_mask;

	(void)dev;
	/* 32-bit masks are always satisfiable: ZONE_DMA32 exists for them. */
	if (mask >= DMA_BIT_MASK(32))
		return 1;
	if (!st)
		return 0;
	/* Smaller masks must still cover the lowest zone, as Linux. */
	min_mask = st->ram_top & PAGE_MASK;
	if (st->dma32_top)
		min_mask = min(min_mask, st->dma32_top & PAGE_MASK);
	return mask >= min_mask;
}

u64 dk__dma_direct_get_required_mask(struct device *dev)
{
	struct dk_dma_state *st = dma_state();
	u64 max_dma;

	(void)dev;
	if (!st || !st->ram_top)
		return DMA_BIT_MASK(32);
	max_dma = st->ram_top;
	return (1ULL << (63 - __builtin_clzll(max_dma))) * 2 - 1;
}

size_t dk__dma_direct_max_mapping_size(struct device *dev)
{
	if (is_swiotlb_active(dev) &&
	    (dma_addressing_limited(dev) || is_swiotlb_force_bounce(dev)))
		return swiotlb_max_mapping_size(dev);
	return SIZE_MAX;
}

/* ---- coherent memory ----------------------------------------------------- */

void *dk__dma_direct_alloc(struct device *dev, size_t size,
			   dma_addr_t *dma_handle, gfp_t gfp,
			   unsigned long attrs)
{
	struct dk_dma_state *st = dma_state();
	u64 limit = min_not_zero_u64(dev->coherent_dma_mask,
				     dev->bus_dma_limit);
	unsigned int order;
	struct page *page;
	phys_addr_t phys;

	size = PAGE_ALIGN(size);
	order = (unsigned int)get_order(size);
	if (order > MAX_ORDER - 1) {
		dev_err(dev, "dma_alloc_attrs: %zu bytes is above the largest contiguous block dma-direct can give (4 MiB)",
			size);
		return NULL;
	}
	/* We pick the zone: ZONE_DMA32 if the mask needs it. */
	gfp &= ~(gfp_t)(__GFP_ZERO | __GFP_DMA | __GFP_DMA32 |
			__GFP_HIGHMEM);
	if (st && limit < st->ram_top)
		gfp |= GFP_DMA32;
again:
	page = alloc_pages(gfp, order);
	if (!page)
		return NULL;
	phys = page_to_phys(page);
	if (phys + size - 1 > limit) {
		__free_pages(page, order);
		if (!(gfp & __GFP_DMA32)) {
			gfp |= GFP_DMA32;
			goto again;
		}
		dev_err(dev, "dma_alloc_attrs: no memory of %zu bytes below the coherent mask %#llx (ZONE_DMA32 gave %#llx)",
			size, (unsigned long long)limit,
			(unsigned long long)phys);
		return NULL;
	}
	*dma_handle = phys;
	/* Linux returns the struct page as an opaque cookie, unzeroed. */
	if (attrs & DMA_ATTR_NO_KERNEL_MAPPING)
		return page;
	memset(page_address(page), 0, size);
	return page_address(page);
}

void dk__dma_direct_free(struct device *dev, size_t size, void *cpu_addr,
			 dma_addr_t dma_handle, unsigned long attrs)
{
	unsigned int order = (unsigned int)get_order(PAGE_ALIGN(size));
	phys_addr_t phys;

	if (attrs & DMA_ATTR_NO_KERNEL_MAPPING) {
		/* cpu_addr is the struct page cookie. */
		if (!virt_addr_valid(cpu_addr))
			phys = page_to_phys(cpu_addr);
		else
			phys = DK_PHYS_INVALID;
		if (phys == DK_PHYS_INVALID) {
			dev_err(dev, "dma_free_attrs: cookie %p (DMA_ATTR_NO_KERNEL_MAPPING) is not a page from dma_alloc_attrs; nothing freed",
				cpu_addr);
			return;
		}
	} else {
		phys = virt_to_phys(cpu_addr);
		if (phys == DK_PHYS_INVALID) {
			dev_err(dev, "dma_free_attrs: cpu_addr %p (%zu bytes) is not in simulated RAM, so not from dma_alloc_attrs; nothing freed",
				cpu_addr, size);
			return;
		}
	}
	if (phys != dma_handle || (phys & ~PAGE_MASK)) {
		dev_err(dev, "dma_free_attrs: handle %#llx does not match cpu_addr %p (phys %#llx, %zu bytes); nothing freed",
			(unsigned long long)dma_handle, cpu_addr,
			(unsigned long long)phys, size);
		return;
	}
	/* The page allocator reports a wrong order (size) or double free. */
	__free_pages(phys_to_page(phys), order);
}

/* ---- streaming mappings ------------------------------------------------- */

dma_addr_t dk__dma_direct_map_phys(struct device *dev, phys_addr_t phys,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
	struct dk_dma_state *st = dma_state();

	if (__builtin_expect(st->force_bounce && st->tlb != NULL, 0))
		return swiotlb_map(dev, phys, size, dir, attrs);
	if (__builtin_expect(!dk__dma_capable(dev, phys, size, true), 0)) {
		if (st->tlb)
			return swiotlb_map(dev, phys, size, dir, attrs);
		dev_err(dev, "DMA addr %#llx+%zu overflow (mask %llx, bus limit %llx).",
			(unsigned long long)phys, size,
			(unsigned long long)dma_get_mask(dev),
			(unsigned long long)dev->bus_dma_limit);
		return DMA_MAPPING_ERROR;
	}
	return phys;
}

void dk__dma_direct_unmap_phys(struct device *dev, dma_addr_t addr,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	/* Copies back unless DMA_ATTR_SKIP_CPU_SYNC, then frees the slots. */
	if (__builtin_expect(is_swiotlb_buffer(dev, addr), 0))
		swiotlb_tbl_unmap_single(dev, addr, size, dir, attrs);
}

/* Whether [phys, phys + size) is one run of simulated RAM. */
static bool phys_is_ram(phys_addr_t phys, size_t size)
{
	u8 *a = phys_to_virt(phys), *b;

	if (!a || !size || phys + size - 1 < phys)
		return false;
	b = phys_to_virt(phys + size - 1);
	return b && (size_t)(b - a) == size - 1;
}

int dk__dma_direct_map_sg(struct device *dev, struct scatterlist *sgl,
			  int nents, enum dma_data_direction dir,
			  unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	/* Entry by entry: merging is an IOMMU backend's business. */
	for_each_sg(sgl, sg, nents, i) {
		phys_addr_t phys = sg_phys(sg);

		if (phys == DK_PHYS_INVALID ||
		    !phys_is_ram(phys, sg->length)) {
			dev_err(dev, "dma_map_sg: entry %d (page %p, offset %u, %u bytes) is not in simulated RAM",
				i, (void *)sg_page(sg), sg->offset,
				sg->length);
			goto out_unmap;
		}
		sg->dma_address = dk__dma_direct_map_phys(dev, phys,
							  sg->length, dir,
							  attrs);
		if (sg->dma_address == DMA_MAPPING_ERROR)
			goto out_unmap;
		sg_dma_len(sg) = sg->length;
	}
	return nents;

out_unmap:
	dk__dma_direct_unmap_sg(dev, sgl, i, dir,
				attrs | DMA_ATTR_SKIP_CPU_SYNC);
	return -EIO;
}

void dk__dma_direct_unmap_sg(struct device *dev, struct scatterlist *sgl,
			     int nents, enum dma_data_direction dir,
			     unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		dk__dma_direct_unmap_phys(dev, sg->dma_address,
					  sg_dma_len(sg), dir, attrs);
}

dma_addr_t dk__dma_direct_map_resource(struct device *dev, phys_addr_t phys,
				       size_t size,
				       enum dma_data_direction dir,
				       unsigned long attrs)
{
	(void)dir;
	(void)attrs;
	if (!dk__dma_capable(dev, phys, size, false)) {
		dev_err(dev, "DMA addr %#llx+%zu overflow (mask %llx, bus limit %llx).",
			(unsigned long long)phys, size,
			(unsigned long long)dma_get_mask(dev),
			(unsigned long long)dev->bus_dma_limit);
		return DMA_MAPPING_ERROR;
	}
	return phys;
}

void dk__dma_direct_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
					size_t size,
					enum dma_data_direction dir)
{
	if (is_swiotlb_buffer(dev, addr))
		swiotlb_sync_single_for_cpu(dev, addr, size, dir);
}

void dk__dma_direct_sync_single_for_device(struct device *dev,
					   dma_addr_t addr, size_t size,
					   enum dma_data_direction dir)
{
	if (is_swiotlb_buffer(dev, addr))
		swiotlb_sync_single_for_device(dev, addr, size, dir);
}

void dk__dma_direct_sync_sg_for_cpu(struct device *dev,
				    struct scatterlist *sgl, int nents,
				    enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		dk__dma_direct_sync_single_for_cpu(dev, sg_dma_address(sg),
						   sg->length, dir);
}

void dk__dma_direct_sync_sg_for_device(struct device *dev,
				       struct scatterlist *sgl, int nents,
				       enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		dk__dma_direct_sync_single_for_device(dev, sg_dma_address(sg),
						      sg->length, dir);
}
