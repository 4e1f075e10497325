// SPDX-License-Identifier: MIT
/*
 * dma_iommu.c - dma-iommu, the DMA API backend of devices whose default
 * IOMMU domain translates (IOMMU_DOMAIN_DMA and IOMMU_DOMAIN_DMA_FQ), as
 * Linux 6.1's drivers/iommu/dma-iommu.c (our own code): each such domain
 * gets a struct iommu_dma_cookie holding an IOVA space; a mapping takes an
 * IOVA range below the device's mask from it and iommu_map()s the buffer
 * there; an unmap removes the translation and gives the range back, at
 * once in a strict domain, only after the flush queue's IOTLB flush in a
 * DMA_FQ (lazy) domain, so that an IOVA is never handed out again while a
 * stale IOTLB entry may still point at the old page.
 *
 * The IOMMU core calls dk__iommu_dma_cookie_get() when it creates a
 * default DMA/DMA_FQ domain, dk__iommu_dma_cookie_put() when it frees it,
 * and dk__iommu_setup_dma_ops() to install (or remove) iommu_dma_ops on a
 * device as its group gets its default domain (or the IOMMU goes).
 *
 * Choices, and where we differ from Linux:
 * - IOVA granule = the domain's smallest page size, start pfn 1 (IOVA 0 is
 *   never handed out, it is also the IOVA allocator's failure value) or
 *   the aperture's first page, range caches on.
 * - Every device first tries an IOVA below 4 GiB when its mask is wider
 *   (Linux does so for PCI devices only, unless iommu.forcedac=1): every
 *   device here has a PCI-style requester id, and single-address-cycle
 *   addresses are what such a device handles best.
 * - Coherent memory is one physically contiguous block from the page
 *   allocator, from any zone (the IOMMU makes it reachable), at most
 *   4 MiB, always zeroed (also with DMA_ATTR_NO_KERNEL_MAPPING, where the
 *   struct page is returned as the cookie). Linux can also remap scattered
 *   pages into one CPU range; simulated RAM has no such remapping.
 * - No bouncing: Linux bounces untrusted devices' unaligned buffers
 *   through swiotlb; no device here is marked untrusted, so the sync ops
 *   are absent (dma_need_sync() is false) and whole granules are mapped.
 * - map_sg maps each entry with its own iommu_map() call into one IOVA
 *   range laid out as Linux lays it out (entries padded so that none
 *   crosses the segment boundary) but the padding itself stays unmapped:
 *   Linux maps it onto the pages after the previous entry.
 * - Misuse the backend can see (unmap of an address nothing is mapped at,
 *   a free whose handle does not translate to its buffer) is reported and
 *   nothing is freed; dma-debug in the front end sees the rest. A domain
 *   freed while mappings are still live reports how many.
 *
 * LOCKING: no lock of its own. The cookie is written at domain creation
 * and teardown only (core lock held, no mapping possible); the IOVA
 * allocator and the IOMMU core serialize what they share; cookie->live is
 * atomic. Flush-queue callbacks (iommu_dma_fq_done()) run in whatever
 * thread flushes the queue, with no lock held.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/iova.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/scatterlist.h>
#include "kernel/internal.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/**
 * struct iommu_dma_cookie - what dma-iommu keeps per DMA domain
 * @iovad: the domain's IOVA space
 * @domain: the domain it belongs to
 * @live: streaming, coherent and resource mappings not yet unmapped
 *        (atomic; reported when the domain is freed with some left)
 */
struct iommu_dma_cookie {
	struct iova_domain iovad;
	struct iommu_domain *domain;
	long live;
};

static long nr_cookies;		/* atomic: cookies alive, for leak checks */

static const struct dma_map_ops iommu_dma_ops;

/* ---- cookies ------------------------------------------------------------- */

/**
 * dk__iommu_dma_cookie_get() - give a DMA domain its IOVA space
 * @domain: a new IOMMU_DOMAIN_DMA or DMA_FQ domain with its pgsize_bitmap
 *          and geometry set
 *
 * Context: process (the IOMMU core, core lock held).
 * Return: 0 (also if it has one already), -EINVAL (no usable granule,
 * logged) or -ENOMEM.
 */
int dk__iommu_dma_cookie_get(struct iommu_domain *domain)
{
	struct iommu_dma_cookie *c;
	unsigned long granule, base_pfn = 1;
	int ret;

	if (!domain)
		return -EINVAL;
	if (domain->iova_cookie)
		return 0;
	granule = domain->pgsize_bitmap & -domain->pgsize_bitmap;
	if (!granule || granule > PAGE_SIZE) {
		pr_err("dma-iommu: domain %p: smallest page size %#lx is not a usable IOVA granule (at most %#lx): no DMA API on it\n",
		       (void *)domain, granule, PAGE_SIZE);
		return -EINVAL;
	}
	if (domain->geometry.force_aperture &&
	    (domain->geometry.aperture_start >> __builtin_ctzl(granule)) >
		    base_pfn)
		base_pfn = domain->geometry.aperture_start >>
			   __builtin_ctzl(granule);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	init_iova_domain(&c->iovad, granule, base_pfn);
	ret = iova_domain_init_rcaches(&c->iovad);
	if (ret) {
		put_iova_domain(&c->iovad);
		free(c);
		return ret;
	}
	c->domain = domain;
	domain->iova_cookie = c;
	__atomic_fetch_add(&nr_cookies, 1, __ATOMIC_RELAXED);
	return 0;
}

/**
 * dk__iommu_dma_cookie_put() - tear down a DMA domain's IOVA space
 * @domain: a domain being freed (without a cookie: nothing to do)
 *
 * Call after the domain's flush queue is destroyed (its callbacks give
 * IOVAs back to this space). Mappings still live are reported, then their
 * IOVAs go with the space.
 * Context: process; nobody maps through @domain any more.
 */
void dk__iommu_dma_cookie_put(struct iommu_domain *domain)
{
	struct iommu_dma_cookie *c = domain ? domain->iova_cookie : NULL;
	long live;

	if (!c)
		return;
	live = __atomic_load_n(&c->live, __ATOMIC_ACQUIRE);
	if (live)
		pr_err("dma-iommu: domain %p freed with %ld DMA mapping%s still live (never unmapped): their IOVAs are dropped\n",
		       (void *)domain, live, live == 1 ? "" : "s");
	put_iova_domain(&c->iovad);
	domain->iova_cookie = NULL;
	free(c);
	__atomic_fetch_sub(&nr_cookies, 1, __ATOMIC_RELAXED);
}

/** dk__iommu_dma_nr_cookies() - cookies alive (tests: 0 after destroy) */
long dk__iommu_dma_nr_cookies(void)
{
	return __atomic_load_n(&nr_cookies, __ATOMIC_RELAXED);
}

/**
 * dk__iommu_setup_dma_ops() - choose @dev's DMA backend from its domain
 * @dev: a device the IOMMU core has (or no longer has)
 * @domain: its group's default domain, or NULL when it has none
 *
 * A DMA or DMA_FQ domain with a cookie gives iommu_dma_ops; anything else
 * (IDENTITY, BLOCKED, none) gives dma-direct, as Linux's
 * iommu_setup_dma_ops().
 * Context: process (the IOMMU core, core lock held), before a driver maps.
 */
void dk__iommu_setup_dma_ops(struct device *dev, struct iommu_domain *domain)
{
	if (!dev)
		return;
	if (domain && iommu_is_dma_domain(domain) && domain->iova_cookie)
		set_dma_ops(dev, &iommu_dma_ops);
	else if (get_dma_ops(dev) == &iommu_dma_ops)
		set_dma_ops(dev, NULL);
}

/* ---- helpers ------------------------------------------------------------- */

/* The device's DMA domain, or NULL (logged): the IOMMU went away. */
static inline struct iommu_domain *dma_domain(struct device *dev,
					      const char *fn)
{
	struct iommu_domain *d = iommu_get_dma_domain(dev);

	if (likely(d && d->iova_cookie))
		return d;
	dev_err(dev, "%s: the device has no DMA domain with an IOVA space (IOMMU unregistered?)",
		fn);
	return NULL;
}

static inline int dma_info_to_prot(enum dma_data_direction dir,
				   unsigned long attrs)
{
	/* Devices here are cache-coherent. */
	int prot = IOMMU_CACHE;

	if (attrs & DMA_ATTR_PRIVILEGED)
		prot |= IOMMU_PRIV;
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return prot | IOMMU_READ | IOMMU_WRITE;
	case DMA_TO_DEVICE:
		return prot | IOMMU_READ;
	case DMA_FROM_DEVICE:
		return prot | IOMMU_WRITE;
	default:
		return 0;
	}
}

/* Highest bus address a mapping for @dev may use under @mask. */
static inline u64 dma_limit(struct device *dev, struct iommu_domain *d,
			    u64 mask)
{
	if (dev->bus_dma_limit && dev->bus_dma_limit < mask)
		mask = dev->bus_dma_limit;
	if (d->geometry.force_aperture && d->geometry.aperture_end < mask)
		mask = d->geometry.aperture_end;
	return mask;
}

/* @size bytes (whole granules) of IOVA below @limit; 0 when exhausted. */
static dma_addr_t iova_get(struct iommu_dma_cookie *c, size_t size,
			   u64 limit)
{
	struct iova_domain *iovad = &c->iovad;
	unsigned long shift = iova_shift(iovad);
	unsigned long n = (unsigned long)(size >> shift), pfn = 0;

	if (unlikely((limit >> shift) < iovad->start_pfn))
		return 0;
	/* Single-address-cycle first (Linux: PCI devices only). */
	if (limit > DMA_BIT_MASK(32))
		pfn = alloc_iova_fast(iovad, n, DMA_BIT_MASK(32) >> shift,
				      false);
	if (!pfn)
		pfn = alloc_iova_fast(iovad, n,
				      (unsigned long)(limit >> shift), true);
	return (dma_addr_t)pfn << shift;
}

static inline void iova_put(struct iommu_dma_cookie *c, dma_addr_t iova,
			    size_t size)
{
	struct iova_domain *iovad = &c->iovad;

	free_iova_fast(iovad, iova_pfn(iovad, iova),
		       (unsigned long)(size >> iova_shift(iovad)));
}

/* Flush-queue callback: the IOTLB no longer holds the range; reuse it. */
static void iommu_dma_fq_done(void *ctx, unsigned long iova, size_t size)
{
	iova_put(ctx, iova, size);
}

/*
 * Map [phys, phys + size) at a fresh IOVA below @mask, keeping phys's
 * offset within the granule. Returns the bus address or DMA_MAPPING_ERROR
 * (logged unless DMA_ATTR_NO_WARN); nothing is left behind on failure.
 */
static dma_addr_t map_phys(struct device *dev, struct iommu_domain *d,
			   phys_addr_t phys, size_t size, int prot, u64 mask,
			   unsigned long attrs, const char *fn)
{
	struct iommu_dma_cookie *c = d->iova_cookie;
	size_t off = iova_offset(&c->iovad, phys), len;
	dma_addr_t iova;
	int ret;

	len = iova_align(&c->iovad, size + off);
	if (unlikely(len < size)) {
		dev_err(dev, "%s: %#llx + %zu bytes wraps around",
			fn, (unsigned long long)phys, size);
		return DMA_MAPPING_ERROR;
	}
	iova = iova_get(c, len, dma_limit(dev, d, mask));
	if (unlikely(!iova)) {
		if (!(attrs & DMA_ATTR_NO_WARN))
			dev_err(dev, "%s: out of IOVA space: no %zu bytes free below %#llx (mask %#llx) in domain %p",
				fn, len,
				(unsigned long long)dma_limit(dev, d, mask),
				(unsigned long long)mask, (void *)d);
		return DMA_MAPPING_ERROR;
	}
	ret = iommu_map_atomic(d, iova, phys - off, len, prot);
	if (unlikely(ret)) {
		iova_put(c, iova, len);
		dev_err(dev, "%s: iommu_map of %#llx (+%zu bytes) at IOVA %#llx failed with error %d",
			fn, (unsigned long long)(phys - off), len,
			(unsigned long long)iova, ret);
		return DMA_MAPPING_ERROR;
	}
	__atomic_fetch_add(&c->live, 1, __ATOMIC_RELAXED);
	return iova + off;
}

/*
 * Finish an unmap that gathered [iova, iova + len): strict domains
 * invalidate and free the IOVA now, DMA_FQ domains queue both. With
 * @free_iova false only the invalidation is done (the range is suspect).
 */
static void unmap_finish(struct iommu_domain *d, struct iommu_dma_cookie *c,
			 struct iommu_iotlb_gather *g, dma_addr_t iova,
			 size_t len, bool free_iova)
{
	if (g->queued &&
	    !dk_iommu_fq_queue(d, g, (unsigned long)iova, len,
			       free_iova ? iommu_dma_fq_done : NULL, c))
		return;
	iommu_iotlb_sync(d, g);
	if (free_iova)
		iova_put(c, iova, len);
}

/* Undo map_phys() for the mapping at @dma_addr of @size bytes. */
static void unmap_addr(struct device *dev, struct iommu_domain *d,
		       dma_addr_t dma_addr, size_t size, const char *fn)
{
	struct iommu_dma_cookie *c = d->iova_cookie;
	size_t off = iova_offset(&c->iovad, dma_addr), len, n;
	struct iommu_iotlb_gather g;
	dma_addr_t iova = dma_addr - off;

	len = iova_align(&c->iovad, size + off);
	if (unlikely(dma_addr == DMA_MAPPING_ERROR || !size || len < size)) {
		dev_err(dev, "%s: bad mapping: address %#llx, %zu bytes",
			fn, (unsigned long long)dma_addr, size);
		return;
	}
	iommu_iotlb_gather_init(&g);
	g.queued = d->fq != NULL;
	n = iommu_unmap_fast(d, (unsigned long)iova, len, &g);
	if (likely(n == len)) {
		__atomic_fetch_sub(&c->live, 1, __ATOMIC_RELAXED);
		unmap_finish(d, c, &g, iova, len, true);
		return;
	}
	if (!n) {
		dev_err(dev, "%s: nothing is mapped at IOVA %#llx (%zu bytes): not a live mapping of this device; nothing freed",
			fn, (unsigned long long)dma_addr, size);
		return;
	}
	/* Wrong size: keep the IOVA range rather than corrupt the space. */
	dev_err(dev, "%s: unmapped %zu bytes at IOVA %#llx, expected %zu: wrong size? the IOVA range is not freed",
		fn, n, (unsigned long long)iova, len);
	unmap_finish(d, c, &g, iova, n, false);
}

/* ---- coherent memory ----------------------------------------------------- */

static void *iommu_dma_alloc(struct device *dev, size_t size,
			     dma_addr_t *handle, gfp_t gfp,
			     unsigned long attrs)
{
	struct iommu_domain *d = dma_domain(dev, "dma_alloc_attrs");
	unsigned int order;
	struct page *page;
	phys_addr_t phys;
	dma_addr_t iova;

	if (!d)
		return NULL;
	size = PAGE_ALIGN(size);
	order = (unsigned int)get_order(size);
	if (order > MAX_ORDER - 1) {
		dev_err(dev, "dma_alloc_attrs: %zu bytes is above the largest contiguous block dma-iommu can give (4 MiB)",
			size);
		return NULL;
	}
	/* Any zone: the IOMMU puts it below the mask. */
	gfp &= ~(gfp_t)(__GFP_ZERO | __GFP_DMA | __GFP_DMA32 |
			__GFP_HIGHMEM);
	page = alloc_pages(gfp, order);
	if (!page)
		return NULL;
	phys = page_to_phys(page);
	memset(page_address(page), 0, size);
	iova = map_phys(dev, d, phys, size,
			dma_info_to_prot(DMA_BIDIRECTIONAL, attrs),
			dev->coherent_dma_mask, attrs, "dma_alloc_attrs");
	if (iova == DMA_MAPPING_ERROR) {
		__free_pages(page, order);
		return NULL;
	}
	*handle = iova;
	/* Linux returns the struct page as an opaque cookie. */
	if (attrs & DMA_ATTR_NO_KERNEL_MAPPING)
		return page;
	return page_address(page);
}

static void iommu_dma_free(struct device *dev, size_t size, void *cpu_addr,
			   dma_addr_t handle, unsigned long attrs)
{
	struct iommu_domain *d = dma_domain(dev, "dma_free_attrs");
	unsigned int order = (unsigned int)get_order(PAGE_ALIGN(size));
	phys_addr_t phys, mapped;

	if (!d)
		return;
	if (attrs & DMA_ATTR_NO_KERNEL_MAPPING)
		phys = virt_addr_valid(cpu_addr) ? DK_PHYS_INVALID :
						   page_to_phys(cpu_addr);
	else
		phys = virt_to_phys(cpu_addr);
	if (phys == DK_PHYS_INVALID || (phys & ~PAGE_MASK)) {
		dev_err(dev, "dma_free_attrs: %s %p (%zu bytes) is not memory from dma_alloc_attrs; nothing freed",
			(attrs & DMA_ATTR_NO_KERNEL_MAPPING) ? "cookie" :
							       "cpu_addr",
			cpu_addr, size);
		return;
	}
	mapped = handle == DMA_MAPPING_ERROR || (handle & ~PAGE_MASK) ? 0 :
		 iommu_iova_to_phys(d, handle);
	if (mapped != phys) {
		dev_err(dev, "dma_free_attrs: handle %#llx translates to %#llx, not to cpu_addr %p (phys %#llx, %zu bytes); nothing freed",
			(unsigned long long)handle,
			(unsigned long long)mapped, cpu_addr,
			(unsigned long long)phys, size);
		return;
	}
	unmap_addr(dev, d, handle, PAGE_ALIGN(size), "dma_free_attrs");
	/* The page allocator reports a wrong order (size) or double free. */
	__free_pages(phys_to_page(phys), order);
}

/* ---- streaming mappings -------------------------------------------------- */

static dma_addr_t iommu_dma_map_page(struct device *dev, struct page *page,
				     unsigned long offset, size_t size,
				     enum dma_data_direction dir,
				     unsigned long attrs)
{
	struct iommu_domain *d = dma_domain(dev, "dma_map_page");

	if (unlikely(!d))
		return DMA_MAPPING_ERROR;
	return map_phys(dev, d, page_to_phys(page) + offset, size,
			dma_info_to_prot(dir, attrs), dma_get_mask(dev), attrs,
			"dma_map_page");
}

static void iommu_dma_unmap_page(struct device *dev, dma_addr_t handle,
				 size_t size, enum dma_data_direction dir,
				 unsigned long attrs)
{
	struct iommu_domain *d = dma_domain(dev, "dma_unmap_page");

	(void)dir;
	(void)attrs;
	if (likely(d))
		unmap_addr(dev, d, handle, size, "dma_unmap_page");
}

static dma_addr_t iommu_dma_map_resource(struct device *dev,
					 phys_addr_t phys, size_t size,
					 enum dma_data_direction dir,
					 unsigned long attrs)
{
	struct iommu_domain *d = dma_domain(dev, "dma_map_resource");

	if (!d)
		return DMA_MAPPING_ERROR;
	return map_phys(dev, d, phys, size,
			dma_info_to_prot(dir, attrs) | IOMMU_MMIO,
			dma_get_mask(dev), attrs, "dma_map_resource");
}

static void iommu_dma_unmap_resource(struct device *dev, dma_addr_t handle,
				     size_t size,
				     enum dma_data_direction dir,
				     unsigned long attrs)
{
	struct iommu_domain *d = dma_domain(dev, "dma_unmap_resource");

	(void)dir;
	(void)attrs;
	if (d)
		unmap_addr(dev, d, handle, size, "dma_unmap_resource");
}

/* ---- scatterlists -------------------------------------------------------- */

/*
 * The layout of a list in its IOVA range (Linux's): each entry takes whole
 * granules and keeps its offset within the first; an entry that would
 * cross a segment boundary starts at the next one instead. The range is
 * aligned to a power of two at least its size (alloc_iova_fast()), so when
 * padding is needed at all the range starts on a boundary, and placing
 * relative to its start is placing absolutely.
 */
struct sg_place {
	size_t used;		/* bytes of the range laid out so far */
	size_t at;		/* this entry's place in the range */
	size_t off;		/* its offset within its first granule */
	size_t alen;		/* the granules it takes, in bytes */
};

static inline void sg_place_next(struct iova_domain *iovad,
				 unsigned long bmask, phys_addr_t phys,
				 unsigned int len, struct sg_place *p)
{
	size_t pad = (bmask - p->used + 1) & bmask;

	p->off = iova_offset(iovad, phys);
	p->alen = iova_align(iovad, (size_t)len + p->off);
	if (pad && pad < p->alen)
		p->used += pad;
	p->at = p->used;
	p->used += p->alen;
}

/* Whether [phys, phys + size) is one run of simulated RAM. */
static bool phys_is_ram(phys_addr_t phys, size_t size)
{
	u8 *a, *b;

	if (phys == DK_PHYS_INVALID || !size || phys + size - 1 < phys)
		return false;
	a = phys_to_virt(phys);
	b = phys_to_virt(phys + size - 1);
	return a && b && (size_t)(b - a) == size - 1;
}

/* Unmap the first @nr entries mapped by iommu_dma_map_sg() at @iova. */
static void sg_unmap_entries(struct iommu_domain *d, struct scatterlist *sgl,
			     int nr, dma_addr_t iova, unsigned long bmask,
			     struct iommu_iotlb_gather *g)
{
	struct iommu_dma_cookie *c = d->iova_cookie;
	struct sg_place p = { 0 };
	struct scatterlist *s;
	int i;

	for_each_sg(sgl, s, nr, i) {
		sg_place_next(&c->iovad, bmask, sg_phys(s), s->length, &p);
		iommu_unmap_fast(d, (unsigned long)(iova + p.at), p.alen, g);
	}
}

static int iommu_dma_map_sg(struct device *dev, struct scatterlist *sgl,
			    int nents, enum dma_data_direction dir,
			    unsigned long attrs)
{
	struct iommu_domain *d = dma_domain(dev, "dma_map_sg");
	struct iommu_dma_cookie *c;
	struct iova_domain *iovad;
	unsigned long bmask = dma_get_seg_boundary(dev);
	u64 max_len = dma_get_max_seg_size(dev), cur_len = 0;
	int prot = dma_info_to_prot(dir, attrs), i, count = 0, ret;
	struct scatterlist *s, *cur = sgl;
	struct iommu_iotlb_gather g;
	struct sg_place p = { 0 };
	size_t prev_end = 0, total;
	bool prev_full = false;
	dma_addr_t iova;
	u64 limit;

	if (!d)
		return -EIO;
	c = d->iova_cookie;
	iovad = &c->iovad;
	if (bmask < iovad->granule - 1) {
		dev_err(dev, "dma_map_sg: segment boundary mask %#lx is below the IOVA granule (%#lx): cannot be honoured",
			bmask, iovad->granule);
		return -EINVAL;
	}
	/* Check every entry and lay the list out. */
	for_each_sg(sgl, s, nents, i) {
		phys_addr_t phys = sg_phys(s);

		if (!s->length || !phys_is_ram(phys, s->length)) {
			dev_err(dev, "dma_map_sg: entry %d (page %p, offset %u, %u bytes) %s",
				i, (void *)sg_page(s), s->offset, s->length,
				s->length ? "is not in simulated RAM" :
					    "is empty");
			return -EINVAL;
		}
		sg_place_next(iovad, bmask, phys, s->length, &p);
		if (p.used < p.alen) {
			dev_err(dev, "dma_map_sg: %d entries add up to more than the address space",
				nents);
			return -EINVAL;
		}
	}
	total = p.used;
	limit = dma_limit(dev, d, dma_get_mask(dev));
	iova = iova_get(c, total, limit);
	if (!iova) {
		if (!(attrs & DMA_ATTR_NO_WARN))
			dev_err(dev, "dma_map_sg: out of IOVA space: no %zu bytes free below %#llx for %d entries",
				total, (unsigned long long)limit, nents);
		return -ENOMEM;
	}
	/* Map each entry in its place. */
	memset(&p, 0, sizeof(p));
	for_each_sg(sgl, s, nents, i) {
		phys_addr_t phys = sg_phys(s);

		sg_place_next(iovad, bmask, phys, s->length, &p);
		ret = iommu_map_atomic(d, (unsigned long)(iova + p.at),
				       phys - p.off, p.alen, prot);
		if (ret) {
			dev_err(dev, "dma_map_sg: iommu_map of entry %d (%#llx, %zu bytes) at IOVA %#llx failed with error %d",
				i, (unsigned long long)(phys - p.off), p.alen,
				(unsigned long long)(iova + p.at), ret);
			goto err_unmap;
		}
	}
	/*
	 * Fill the DMA segments: an entry joins the previous segment when it
	 * starts a granule right where the previous one ended a granule, not
	 * on a segment boundary, and the sum stays within max_seg_size.
	 * Output entry @cur never runs ahead of input entry @s.
	 */
	memset(&p, 0, sizeof(p));
	for_each_sg(sgl, s, nents, i) {
		dma_addr_t addr;

		sg_place_next(iovad, bmask, sg_phys(s), s->length, &p);
		addr = iova + p.at + p.off;
		if (count && prev_full && !p.off && p.at == prev_end &&
		    (addr & bmask) && cur_len + s->length <= max_len) {
			cur_len += s->length;
		} else {
			if (count)
				cur = sg_next(cur);
			count++;
			cur_len = s->length;
			sg_dma_address(cur) = addr;
		}
		sg_dma_len(cur) = (unsigned int)cur_len;
		prev_full = p.off + s->length == p.alen;
		prev_end = p.at + p.alen;
	}
	/* The entries after the last segment carry no DMA segment. */
	for (s = sg_next(cur), i = count; s && i < nents; s = sg_next(s), i++) {
		sg_dma_address(s) = DMA_MAPPING_ERROR;
		sg_dma_len(s) = 0;
	}
	__atomic_fetch_add(&c->live, 1, __ATOMIC_RELAXED);
	return count;

err_unmap:
	/* Nothing was handed out yet: invalidate strictly, free at once. */
	iommu_iotlb_gather_init(&g);
	sg_unmap_entries(d, sgl, i, iova, bmask, &g);
	iommu_iotlb_sync(d, &g);
	iova_put(c, iova, total);
	return ret == -ENOMEM ? -ENOMEM : -EIO;
}

static void iommu_dma_unmap_sg(struct device *dev, struct scatterlist *sgl,
			       int nents, enum dma_data_direction dir,
			       unsigned long attrs)
{
	struct iommu_domain *d = dma_domain(dev, "dma_unmap_sg");
	struct iommu_dma_cookie *c;
	struct iova_domain *iovad;
	dma_addr_t start = 0, end = 0, run_lo = 0, run_hi = 0;
	struct iommu_iotlb_gather g;
	struct scatterlist *s;
	size_t bad = 0;
	int i;

	(void)dir;
	(void)attrs;
	if (!d)
		return;
	c = d->iova_cookie;
	iovad = &c->iovad;
	if (!sg_dma_len(sgl) || sg_dma_address(sgl) == DMA_MAPPING_ERROR) {
		dev_err(dev, "dma_unmap_sg: the list's first entry has no DMA segment (never mapped, or unmapped already); nothing done");
		return;
	}
	iommu_iotlb_gather_init(&g);
	g.queued = d->fq != NULL;
	/*
	 * The segments sit in one IOVA range, with unmapped padding between
	 * some of them: unmap each run of granules the segments cover.
	 */
	for_each_sg(sgl, s, nents, i) {
		dma_addr_t lo, hi;

		if (!sg_dma_len(s))
			break;
		lo = sg_dma_address(s) - iova_offset(iovad, sg_dma_address(s));
		hi = lo + iova_align(iovad, sg_dma_len(s) +
					    iova_offset(iovad,
							sg_dma_address(s)));
		if (i == 0) {
			start = lo;
			run_lo = lo;
		} else if (lo != run_hi) {
			if (iommu_unmap_fast(d, (unsigned long)run_lo,
					     run_hi - run_lo, &g) !=
			    run_hi - run_lo)
				bad++;
			run_lo = lo;
		}
		run_hi = hi;
		end = hi;
	}
	if (iommu_unmap_fast(d, (unsigned long)run_lo, run_hi - run_lo, &g) !=
	    run_hi - run_lo)
		bad++;
	if (bad) {
		dev_err(dev, "dma_unmap_sg: %zu run%s of the list's IOVA range %#llx-%#llx %s not mapped as dma_map_sg left them: the IOVA range is not freed",
			bad, bad == 1 ? "" : "s", (unsigned long long)start,
			(unsigned long long)end - 1, bad == 1 ? "was" : "were");
		unmap_finish(d, c, &g, start, end - start, false);
		return;
	}
	__atomic_fetch_sub(&c->live, 1, __ATOMIC_RELAXED);
	unmap_finish(d, c, &g, start, end - start, true);
}

/* ---- limits -------------------------------------------------------------- */

/* Everything can be put below 4 GiB: a 32-bit mask loses nothing. */
static u64 iommu_dma_get_required_mask(struct device *dev)
{
	(void)dev;
	return DMA_BIT_MASK(32);
}

/* Beyond the range caches' sizes, mapping gets slower (as Linux). */
static size_t iommu_dma_opt_mapping_size(void)
{
	return iova_rcache_range();
}

/* Segments can be merged across granule boundaries. */
static unsigned long iommu_dma_get_merge_boundary(struct device *dev)
{
	struct iommu_domain *d = iommu_get_dma_domain(dev);

	if (!d || !d->iova_cookie)
		return 0;
	return d->iova_cookie->iovad.granule - 1;
}

static const struct dma_map_ops iommu_dma_ops = {
	.alloc			= iommu_dma_alloc,
	.free			= iommu_dma_free,
	.map_page		= iommu_dma_map_page,
	.unmap_page		= iommu_dma_unmap_page,
	.map_sg			= iommu_dma_map_sg,
	.unmap_sg		= iommu_dma_unmap_sg,
	.map_resource		= iommu_dma_map_resource,
	.unmap_resource		= iommu_dma_unmap_resource,
	.get_required_mask	= iommu_dma_get_required_mask,
	.opt_mapping_size	= iommu_dma_opt_mapping_size,
	.get_merge_boundary	= iommu_dma_get_merge_boundary,
};
