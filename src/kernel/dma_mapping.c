// SPDX-License-Identifier: MIT
/*
 * dma_mapping.c - the DMA-mapping front end: device DMA limits (masks,
 * segment size and boundary, min_align_mask), argument checks, dispatch of
 * every call to dma-direct (dev->dma_ops NULL) or to the device's
 * struct dma_map_ops, and the dma-debug hooks after each call. Also the
 * machine hooks that set up the layer (and the swiotlb pool).
 *
 * As Linux's kernel/dma/mapping.c, except that bad arguments (NULL device,
 * invalid direction, memory outside simulated RAM, zero size) are reported
 * and fail the call instead of BUG().
 *
 * LOCKING: none here. The dma-debug table pointer is set atomically; the
 * machine state (m->dma) is read-only between init and exit.
 */
#include <errno.h>
#include <stdlib.h>
#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/swiotlb.h>
#include "kernel/internal.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

static const struct dk_dma_debug_ops *dma_debug;	/* atomic */

const struct dk_dma_debug_ops *
dk__dma_debug_register(const struct dk_dma_debug_ops *ops)
{
	return __atomic_exchange_n(&dma_debug, ops, __ATOMIC_ACQ_REL);
}

#define DEBUG_HOOK(hook, ...)                                                \
	do {                                                                 \
		const struct dk_dma_debug_ops *__d =                         \
			__atomic_load_n(&dma_debug, __ATOMIC_ACQUIRE);       \
		if (unlikely(__d != NULL) && __d->hook)                      \
			__d->hook(__VA_ARGS__);                              \
	} while (0)

#define CALLER() __builtin_extract_return_addr(__builtin_return_address(0))

/* A NULL device is a caller bug: report it, fail the call. */
static inline bool check_dev(struct device *dev, const char *fn)
{
	if (likely(dev != NULL))
		return true;
	dk__err("%s: NULL device", fn);
	return false;
}

static inline bool check_dir(struct device *dev, int dir, const char *fn)
{
	if (likely(valid_dma_direction((enum dma_data_direction)dir)))
		return true;
	dev_err(dev, "%s: invalid DMA direction %d (DMA_NONE is %d)", fn, dir,
		DMA_NONE);
	return false;
}

static inline bool check_mask(struct device *dev, const char *fn)
{
	if (likely(dev->dma_mask != NULL))
		return true;
	dev_err(dev, "%s: the device has no dma_mask (not DMA capable)", fn);
	return false;
}

static inline bool dma_map_direct(struct device *dev,
				  const struct dma_map_ops *ops)
{
	(void)dev;
	return likely(!ops);
}

/* ---- device DMA limits --------------------------------------------------- */

int dma_supported(struct device *dev, u64 mask)
{
	const struct dma_map_ops *ops;

	if (!check_dev(dev, "dma_supported"))
		return 0;
	ops = get_dma_ops(dev);
	if (dma_map_direct(dev, ops))
		return dk__dma_direct_supported(dev, mask);
	if (!ops->dma_supported)
		return 1;
	return ops->dma_supported(dev, mask);
}

int dma_set_mask(struct device *dev, u64 mask)
{
	if (!check_dev(dev, "dma_set_mask"))
		return -EIO;
	if (!dev->dma_mask || !dma_supported(dev, mask)) {
		dev_err(dev, "dma_set_mask: mask %#llx cannot be supported (RAM ends at %#llx; the lowest zone needs %#llx)",
			(unsigned long long)mask,
			(unsigned long long)(dk__m && dk__m->dma ?
					     dk__m->dma->ram_top : 0),
			(unsigned long long)(dk__m && dk__m->dma ?
					     dk__m->dma->dma32_top : 0));
		return -EIO;
	}
	*dev->dma_mask = mask;
	return 0;
}

int dma_set_coherent_mask(struct device *dev, u64 mask)
{
	if (!check_dev(dev, "dma_set_coherent_mask"))
		return -EIO;
	if (!dma_supported(dev, mask)) {
		dev_err(dev, "dma_set_coherent_mask: mask %#llx cannot be supported",
			(unsigned long long)mask);
		return -EIO;
	}
	dev->coherent_dma_mask = mask;
	return 0;
}

u64 dma_get_mask(struct device *dev)
{
	if (dev && dev->dma_mask && *dev->dma_mask)
		return *dev->dma_mask;
	return DMA_BIT_MASK(32);
}

u64 dma_get_required_mask(struct device *dev)
{
	const struct dma_map_ops *ops;

	if (!check_dev(dev, "dma_get_required_mask"))
		return DMA_BIT_MASK(32);
	ops = get_dma_ops(dev);
	if (!dma_map_direct(dev, ops) && ops->get_required_mask)
		return ops->get_required_mask(dev);
	return dk__dma_direct_get_required_mask(dev);
}

bool dma_addressing_limited(struct device *dev)
{
	u64 mask, limit;

	if (!check_dev(dev, "dma_addressing_limited"))
		return true;
	mask = dma_get_mask(dev);
	limit = dev->bus_dma_limit;
	if (limit && limit < mask)
		mask = limit;
	return mask < dma_get_required_mask(dev);
}

size_t dma_max_mapping_size(struct device *dev)
{
	const struct dma_map_ops *ops;

	if (!check_dev(dev, "dma_max_mapping_size"))
		return 0;
	ops = get_dma_ops(dev);
	if (dma_map_direct(dev, ops))
		return dk__dma_direct_max_mapping_size(dev);
	if (ops->max_mapping_size)
		return ops->max_mapping_size(dev);
	return SIZE_MAX;
}

size_t dma_opt_mapping_size(struct device *dev)
{
	const struct dma_map_ops *ops;
	size_t size = SIZE_MAX;

	if (!check_dev(dev, "dma_opt_mapping_size"))
		return 0;
	ops = get_dma_ops(dev);
	if (ops && ops->opt_mapping_size)
		size = ops->opt_mapping_size();
	return min(dma_max_mapping_size(dev), size);
}

int dma_set_max_seg_size(struct device *dev, unsigned int size)
{
	if (!check_dev(dev, "dma_set_max_seg_size"))
		return -EIO;
	if (!dev->dma_parms) {
		dev_err(dev, "dma_set_max_seg_size: the device has no dma_parms");
		return -EIO;
	}
	dev->dma_parms->max_segment_size = size;
	return 0;
}

unsigned int dma_get_max_seg_size(struct device *dev)
{
	if (dev && dev->dma_parms && dev->dma_parms->max_segment_size)
		return dev->dma_parms->max_segment_size;
	return 65536;
}

int dma_set_seg_boundary(struct device *dev, unsigned long mask)
{
	if (!check_dev(dev, "dma_set_seg_boundary"))
		return -EIO;
	if (!dev->dma_parms) {
		dev_err(dev, "dma_set_seg_boundary: the device has no dma_parms");
		return -EIO;
	}
	if (mask & (mask + 1)) {
		dev_err(dev, "dma_set_seg_boundary: mask %#lx is not a power of two minus one",
			mask);
		return -EINVAL;
	}
	dev->dma_parms->segment_boundary_mask = mask;
	return 0;
}

unsigned long dma_get_seg_boundary(struct device *dev)
{
	if (dev && dev->dma_parms && dev->dma_parms->segment_boundary_mask)
		return dev->dma_parms->segment_boundary_mask;
	return ~0UL;
}

unsigned long dma_get_seg_boundary_nr_pages(struct device *dev,
					    unsigned int page_shift)
{
	if (!dev)
		return (~0UL >> page_shift) + 1;
	return (dma_get_seg_boundary(dev) >> page_shift) + 1;
}

int dma_set_min_align_mask(struct device *dev, unsigned int min_align_mask)
{
	if (!check_dev(dev, "dma_set_min_align_mask"))
		return -EIO;
	if (!dev->dma_parms) {
		dev_err(dev, "dma_set_min_align_mask: the device has no dma_parms");
		return -EIO;
	}
	dev->dma_parms->min_align_mask = min_align_mask;
	return 0;
}

unsigned int dma_get_min_align_mask(struct device *dev)
{
	if (dev && dev->dma_parms)
		return dev->dma_parms->min_align_mask;
	return 0;
}

bool dma_need_sync(struct device *dev, dma_addr_t dma_addr)
{
	const struct dma_map_ops *ops;

	if (!check_dev(dev, "dma_need_sync"))
		return false;
	ops = get_dma_ops(dev);
	if (dma_map_direct(dev, ops))
		return is_swiotlb_buffer(dev, dma_addr);
	return ops->sync_single_for_cpu || ops->sync_single_for_device;
}

/* ---- coherent allocations ------------------------------------------------ */

void *dma_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle,
		      gfp_t flag, unsigned long attrs)
{
	const struct dma_map_ops *ops;
	void *cpu_addr;

	if (!check_dev(dev, "dma_alloc_attrs"))
		return NULL;
	if (!dma_handle || !size) {
		dev_err(dev, "dma_alloc_attrs: %s", !dma_handle ?
			"dma_handle is NULL" : "size is 0");
		return NULL;
	}
	*dma_handle = DMA_MAPPING_ERROR;
	if (!dev->coherent_dma_mask) {
		dev_err(dev, "dma_alloc_attrs: coherent_dma_mask is 0");
		return NULL;
	}
	if (flag & __GFP_COMP) {
		dev_err(dev, "dma_alloc_attrs: __GFP_COMP makes no sense for DMA memory");
		return NULL;
	}
	/* Let the implementation decide on the zone. */
	flag &= ~(gfp_t)(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);
	ops = get_dma_ops(dev);
	if (dma_map_direct(dev, ops))
		cpu_addr = dk__dma_direct_alloc(dev, size, dma_handle, flag,
						attrs);
	else if (ops->alloc)
		cpu_addr = ops->alloc(dev, size, dma_handle, flag, attrs);
	else
		return NULL;
	DEBUG_HOOK(alloc_coherent, dev, size, *dma_handle, cpu_addr, attrs,
		   CALLER());
	return cpu_addr;
}

void dma_free_attrs(struct device *dev, size_t size, void *cpu_addr,
		    dma_addr_t dma_handle, unsigned long attrs)
{
	const struct dma_map_ops *ops;

	if (!cpu_addr)
		return;
	if (!check_dev(dev, "dma_free_attrs"))
		return;
	DEBUG_HOOK(free_coherent, dev, size, cpu_addr, dma_handle, CALLER());
	ops = get_dma_ops(dev);
	if (dma_map_direct(dev, ops))
		dk__dma_direct_free(dev, size, cpu_addr, dma_handle, attrs);
	else if (ops->free)
		ops->free(dev, size, cpu_addr, dma_handle, attrs);
}

/* ---- streaming mappings -------------------------------------------------- */

/* Map [phys, phys + size), known to be RAM; @page is phys's page if known. */
static dma_addr_t map_phys(struct device *dev, struct page *page,
			   phys_addr_t phys, size_t size,
			   enum dma_data_direction dir, unsigned long attrs,
			   bool single, const void *caller)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);
	dma_addr_t addr;

	if (dma_map_direct(dev, ops)) {
		addr = dk__dma_direct_map_phys(dev, phys, size, dir, attrs);
	} else if (ops->map_page) {
		if (!page)
			page = phys_to_page(phys);
		addr = ops->map_page(dev, page, phys & ~PAGE_MASK, size, dir,
				     attrs);
	} else {
		dev_err(dev, "dma_map_page: the device's dma_map_ops has no map_page");
		addr = DMA_MAPPING_ERROR;
	}
	DEBUG_HOOK(map_phys, dev, phys, size, dir, addr, attrs, single,
		   caller);
	return addr;
}

static void unmap_addr(struct device *dev, dma_addr_t addr, size_t size,
		       enum dma_data_direction dir, unsigned long attrs,
		       bool single, const void *caller)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);

	if (dma_map_direct(dev, ops))
		dk__dma_direct_unmap_phys(dev, addr, size, dir, attrs);
	else if (ops->unmap_page)
		ops->unmap_page(dev, addr, size, dir, attrs);
	DEBUG_HOOK(unmap_page, dev, addr, size, dir, single, caller);
}

dma_addr_t dma_map_page_attrs(struct device *dev, struct page *page,
			      size_t offset, size_t size,
			      enum dma_data_direction dir,
			      unsigned long attrs)
{
	phys_addr_t phys;
	u8 *a, *b;

	if (unlikely(!check_dev(dev, "dma_map_page") ||
		     !check_dir(dev, dir, "dma_map_page") ||
		     !check_mask(dev, "dma_map_page")))
		return DMA_MAPPING_ERROR;
	if (unlikely(!page || !size)) {
		dev_err(dev, "dma_map_page: %s", !page ? "page is NULL" :
			"size is 0");
		return DMA_MAPPING_ERROR;
	}
	phys = page_to_phys(page);
	if (unlikely(phys == DK_PHYS_INVALID)) {
		dev_err(dev, "dma_map_page: %p is not a struct page of simulated RAM (offset %zu, %zu bytes)",
			(void *)page, offset, size);
		return DMA_MAPPING_ERROR;
	}
	phys += offset;
	a = phys_to_virt(phys);
	b = phys_to_virt(phys + size - 1);
	if (unlikely(!a || !b || (size_t)(b - a) != size - 1)) {
		dev_err(dev, "dma_map_page: phys %#llx (+%zu bytes) runs beyond simulated RAM",
			(unsigned long long)phys, size);
		return DMA_MAPPING_ERROR;
	}
	return map_phys(dev, page, phys, size, dir, attrs, false, CALLER());
}

void dma_unmap_page_attrs(struct device *dev, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir, unsigned long attrs)
{
	if (unlikely(!check_dev(dev, "dma_unmap_page") ||
		     !check_dir(dev, dir, "dma_unmap_page")))
		return;
	unmap_addr(dev, addr, size, dir, attrs, false, CALLER());
}

dma_addr_t dma_map_single_attrs(struct device *dev, void *ptr, size_t size,
				enum dma_data_direction dir,
				unsigned long attrs)
{
	const void *caller = CALLER();
	phys_addr_t phys, last;

	if (unlikely(!check_dev(dev, "dma_map_single") ||
		     !check_dir(dev, dir, "dma_map_single") ||
		     !check_mask(dev, "dma_map_single")))
		return DMA_MAPPING_ERROR;
	if (unlikely(!size)) {
		DEBUG_HOOK(map_single_bad, dev, ptr, size, caller);
		dev_err(dev, "dma_map_single: %p: size is 0", ptr);
		return DMA_MAPPING_ERROR;
	}
	phys = virt_to_phys(ptr);
	last = virt_to_phys((const char *)ptr + size - 1);
	if (unlikely(phys == DK_PHYS_INVALID || last != phys + size - 1)) {
		DEBUG_HOOK(map_single_bad, dev, ptr, size, caller);
		dev_err(dev, "dma_map_single: %p (+%zu bytes) is not in simulated RAM (stack or malloc?): it has no physical address and cannot be DMA-mapped",
			ptr, size);
		return DMA_MAPPING_ERROR;
	}
	return map_phys(dev, NULL, phys, size, dir, attrs, true, caller);
}

void dma_unmap_single_attrs(struct device *dev, dma_addr_t addr, size_t size,
			    enum dma_data_direction dir, unsigned long attrs)
{
	if (unlikely(!check_dev(dev, "dma_unmap_single") ||
		     !check_dir(dev, dir, "dma_unmap_single")))
		return;
	unmap_addr(dev, addr, size, dir, attrs, true, CALLER());
}

/* Returns segments (> 0) or -EINVAL, -ENOMEM, -EIO, as Linux. */
static int map_sg(struct device *dev, struct scatterlist *sg, int nents,
		  enum dma_data_direction dir, unsigned long attrs,
		  const char *fn, const void *caller)
{
	const struct dma_map_ops *ops;
	int ents;

	if (!check_dev(dev, fn) || !check_dir(dev, dir, fn) ||
	    !check_mask(dev, fn))
		return -EINVAL;
	if (!sg || nents <= 0) {
		dev_err(dev, "%s: %s", fn, !sg ? "scatterlist is NULL" :
			"no entries");
		return -EINVAL;
	}
	ops = get_dma_ops(dev);
	if (dma_map_direct(dev, ops)) {
		ents = dk__dma_direct_map_sg(dev, sg, nents, dir, attrs);
	} else if (ops->map_sg) {
		ents = ops->map_sg(dev, sg, nents, dir, attrs);
	} else {
		dev_err(dev, "%s: the device's dma_map_ops has no map_sg", fn);
		return -EIO;
	}
	if (likely(ents > 0)) {
		DEBUG_HOOK(map_sg, dev, sg, nents, ents, dir, attrs, caller);
		return ents;
	}
	/* Refused: dma-debug says which entries are not DMA-able memory. */
	DEBUG_HOOK(map_sg_bad, dev, sg, nents, caller);
	if (ents != -EINVAL && ents != -ENOMEM && ents != -EIO &&
	    ents != -EREMOTEIO) {
		dev_err(dev, "%s: backend returned %d", fn, ents);
		return -EIO;
	}
	return ents;
}

unsigned int dma_map_sg_attrs(struct device *dev, struct scatterlist *sg,
			      int nents, enum dma_data_direction dir,
			      unsigned long attrs)
{
	int ret = map_sg(dev, sg, nents, dir, attrs, "dma_map_sg", CALLER());

	return ret < 0 ? 0 : (unsigned int)ret;
}

int dma_map_sgtable(struct device *dev, struct sg_table *sgt,
		    enum dma_data_direction dir, unsigned long attrs)
{
	int nents;

	if (!check_dev(dev, "dma_map_sgtable"))
		return -EINVAL;
	if (!sgt) {
		dev_err(dev, "dma_map_sgtable: sg_table is NULL");
		return -EINVAL;
	}
	nents = map_sg(dev, sgt->sgl, (int)sgt->orig_nents, dir, attrs,
		       "dma_map_sgtable", CALLER());
	if (nents < 0)
		return nents;
	sgt->nents = (unsigned int)nents;
	return 0;
}

static void unmap_sg(struct device *dev, struct scatterlist *sg, int nents,
		     enum dma_data_direction dir, unsigned long attrs,
		     const char *fn, const void *caller)
{
	const struct dma_map_ops *ops;

	if (!check_dev(dev, fn) || !check_dir(dev, dir, fn))
		return;
	if (!sg || nents <= 0) {
		dev_err(dev, "%s: %s", fn, !sg ? "scatterlist is NULL" :
			"no entries");
		return;
	}
	DEBUG_HOOK(unmap_sg, dev, sg, nents, dir, caller);
	ops = get_dma_ops(dev);
	if (dma_map_direct(dev, ops))
		dk__dma_direct_unmap_sg(dev, sg, nents, dir, attrs);
	else if (ops->unmap_sg)
		ops->unmap_sg(dev, sg, nents, dir, attrs);
}

void dma_unmap_sg_attrs(struct device *dev, struct scatterlist *sg, int nents,
			enum dma_data_direction dir, unsigned long attrs)
{
	unmap_sg(dev, sg, nents, dir, attrs, "dma_unmap_sg", CALLER());
}

void dma_unmap_sgtable(struct device *dev, struct sg_table *sgt,
		       enum dma_data_direction dir, unsigned long attrs)
{
	if (!check_dev(dev, "dma_unmap_sgtable"))
		return;
	if (!sgt) {
		dev_err(dev, "dma_unmap_sgtable: sg_table is NULL");
		return;
	}
	unmap_sg(dev, sgt->sgl, (int)sgt->orig_nents, dir, attrs,
		 "dma_unmap_sgtable", CALLER());
}

dma_addr_t dma_map_resource(struct device *dev, phys_addr_t phys_addr,
			    size_t size, enum dma_data_direction dir,
			    unsigned long attrs)
{
	const struct dma_map_ops *ops;
	dma_addr_t addr = DMA_MAPPING_ERROR;

	if (!check_dev(dev, "dma_map_resource") ||
	    !check_dir(dev, dir, "dma_map_resource") ||
	    !check_mask(dev, "dma_map_resource"))
		return DMA_MAPPING_ERROR;
	if (!size) {
		dev_err(dev, "dma_map_resource: %#llx: size is 0",
			(unsigned long long)phys_addr);
		return DMA_MAPPING_ERROR;
	}
	if (phys_addr + size - 1 < phys_addr) {
		dev_err(dev, "dma_map_resource: %#llx (+%zu bytes) wraps around the address space",
			(unsigned long long)phys_addr, size);
		return DMA_MAPPING_ERROR;
	}
	/* Don't allow RAM to be mapped: that is what dma_map_page is for. */
	if (dk__phys_range_has_ram(phys_addr, size)) {
		dev_err(dev, "dma_map_resource: %#llx (+%zu bytes) is RAM; map RAM with dma_map_page/dma_map_single",
			(unsigned long long)phys_addr, size);
		return DMA_MAPPING_ERROR;
	}
	ops = get_dma_ops(dev);
	if (dma_map_direct(dev, ops))
		addr = dk__dma_direct_map_resource(dev, phys_addr, size, dir,
						   attrs);
	else if (ops->map_resource)
		addr = ops->map_resource(dev, phys_addr, size, dir, attrs);
	DEBUG_HOOK(map_resource, dev, phys_addr, size, dir, addr, attrs,
		   CALLER());
	return addr;
}

void dma_unmap_resource(struct device *dev, dma_addr_t addr, size_t size,
			enum dma_data_direction dir, unsigned long attrs)
{
	const struct dma_map_ops *ops;

	if (!check_dev(dev, "dma_unmap_resource") ||
	    !check_dir(dev, dir, "dma_unmap_resource"))
		return;
	ops = get_dma_ops(dev);
	if (!dma_map_direct(dev, ops) && ops->unmap_resource)
		ops->unmap_resource(dev, addr, size, dir, attrs);
	DEBUG_HOOK(unmap_resource, dev, addr, size, dir, CALLER());
}

int dma_mapping_error(struct device *dev, dma_addr_t dma_addr)
{
	DEBUG_HOOK(mapping_error, dev, dma_addr, CALLER());
	if (unlikely(dma_addr == DMA_MAPPING_ERROR))
		return -ENOMEM;
	return 0;
}

/* ---- ownership syncs ----------------------------------------------------- */

void dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr, size_t size,
			     enum dma_data_direction dir)
{
	const struct dma_map_ops *ops;

	if (!check_dev(dev, "dma_sync_single_for_cpu") ||
	    !check_dir(dev, dir, "dma_sync_single_for_cpu"))
		return;
	ops = get_dma_ops(dev);
	if (dma_map_direct(dev, ops))
		dk__dma_direct_sync_single_for_cpu(dev, addr, size, dir);
	else if (ops->sync_single_for_cpu)
		ops->sync_single_for_cpu(dev, addr, size, dir);
	DEBUG_HOOK(sync_single_for_cpu, dev, addr, size, dir, CALLER());
}

void dma_sync_single_for_device(struct device *dev, dma_addr_t addr,
				size_t size, enum dma_data_direction dir)
{
	const struct dma_map_ops *ops;

	if (!check_dev(dev, "dma_sync_single_for_device") ||
	    !check_dir(dev, dir, "dma_sync_single_for_device"))
		return;
	ops = get_dma_ops(dev);
	if (dma_map_direct(dev, ops))
		dk__dma_direct_sync_single_for_device(dev, addr, size, dir);
	else if (ops->sync_single_for_device)
		ops->sync_single_for_device(dev, addr, size, dir);
	DEBUG_HOOK(sync_single_for_device, dev, addr, size, dir, CALLER());
}

void dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg,
			 int nelems, enum dma_data_direction dir)
{
	const struct dma_map_ops *ops;

	if (!check_dev(dev, "dma_sync_sg_for_cpu") ||
	    !check_dir(dev, dir, "dma_sync_sg_for_cpu"))
		return;
	if (!sg || nelems <= 0) {
		dev_err(dev, "dma_sync_sg_for_cpu: empty scatterlist");
		return;
	}
	ops = get_dma_ops(dev);
	if (dma_map_direct(dev, ops))
		dk__dma_direct_sync_sg_for_cpu(dev, sg, nelems, dir);
	else if (ops->sync_sg_for_cpu)
		ops->sync_sg_for_cpu(dev, sg, nelems, dir);
	DEBUG_HOOK(sync_sg_for_cpu, dev, sg, nelems, dir, CALLER());
}

void dma_sync_sg_for_device(struct device *dev, struct scatterlist *sg,
			    int nelems, enum dma_data_direction dir)
{
	const struct dma_map_ops *ops;

	if (!check_dev(dev, "dma_sync_sg_for_device") ||
	    !check_dir(dev, dir, "dma_sync_sg_for_device"))
		return;
	if (!sg || nelems <= 0) {
		dev_err(dev, "dma_sync_sg_for_device: empty scatterlist");
		return;
	}
	ops = get_dma_ops(dev);
	if (dma_map_direct(dev, ops))
		dk__dma_direct_sync_sg_for_device(dev, sg, nelems, dir);
	else if (ops->sync_sg_for_device)
		ops->sync_sg_for_device(dev, sg, nelems, dir);
	DEBUG_HOOK(sync_sg_for_device, dev, sg, nelems, dir, CALLER());
}

/* ---- machine hooks ------------------------------------------------------- */

int dk__dma_init(struct dk_machine *m)
{
	struct dk_dma_state *st;
	int ret;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->force_bounce = m->cfg.dma.force_bounce;
	for (unsigned int i = 0; i < m->cfg.nr_ram; i++) {
		u64 base = m->cfg.ram[i].base, size = m->cfg.ram[i].size;
		u64 end = base + size - 1;

		if (!size)
			continue;
		st->ram_top = max(st->ram_top, end);
		if (base < (1ull << 32))
			st->dma32_top = max(st->dma32_top,
					    min(end, (u64)0xffffffffull));
	}
	ret = dk__swiotlb_init(m, st);
	if (ret) {
		free(st);
		return ret;
	}
	m->dma = st;
	return 0;
}

int dk__dma_exit(struct dk_machine *m)
{
	struct dk_dma_state *st = m->dma;
	int leaks;

	if (!st)
		return 0;
	leaks = dk__swiotlb_exit(m, st);
	m->dma = NULL;
	free(st);
	return leaks;
}
