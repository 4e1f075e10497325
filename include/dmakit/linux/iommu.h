/* SPDX-License-Identifier: MIT */
/*
 * linux/iommu.h - the IOMMU core API (Linux 6.1 names and semantics):
 * domains, groups, map/unmap, fault handlers; and the provider side an
 * IOMMU driver implements (struct iommu_ops, struct iommu_domain_ops).
 *
 * The system's uapi <linux/iommu.h> comes first; this header only adds.
 * Differs from Linux: the bus argument of iommu_domain_alloc() and
 * iommu_present() is the platform bus (the only bus); lazy invalidation
 * applies to IOMMU_DOMAIN_DMA_FQ domains and is tuned by the machine's
 * dk_iommu_config (fq_size, fq_timeout_ms).
 */
#ifndef DMAKIT_LINUX_IOMMU_H
#define DMAKIT_LINUX_IOMMU_H

#include_next <linux/iommu.h>
#include <linux/types.h>
#include <linux/list.h>
#include <linux/device.h>
#include <dmakit/api.h>

/* Permissions for iommu_map(). */
#define IOMMU_READ	(1 << 0)
#define IOMMU_WRITE	(1 << 1)
#define IOMMU_CACHE	(1 << 2)
#define IOMMU_NOEXEC	(1 << 3)
#define IOMMU_MMIO	(1 << 4)
#define IOMMU_PRIV	(1 << 5)

/* flags of a fault handler call */
#define IOMMU_FAULT_READ	0x0
#define IOMMU_FAULT_WRITE	0x1

struct iommu_domain;
struct iommu_group;
struct iommu_device;
struct iommu_ops;
struct iommu_dma_cookie;
struct bus_type;

/* The platform bus: the bus argument of iommu_domain_alloc(). */
extern DK_API struct bus_type platform_bus_type;

/**
 * typedef iommu_fault_handler_t - a domain's fault handler
 *
 * Called from report_iommu_fault(), in the IOMMU driver's interrupt
 * handler (hard-IRQ context): must not sleep. Return 0 if handled,
 * -ENOSYS to let the core log the fault.
 */
typedef int (*iommu_fault_handler_t)(struct iommu_domain *domain,
				     struct device *dev, unsigned long iova,
				     int flags, void *token);

struct iommu_domain_geometry {
	dma_addr_t aperture_start;
	dma_addr_t aperture_end;
	bool force_aperture;
};

#define __IOMMU_DOMAIN_PAGING	(1U << 0)
#define __IOMMU_DOMAIN_DMA_API	(1U << 1)
#define __IOMMU_DOMAIN_PT	(1U << 2)
#define __IOMMU_DOMAIN_DMA_FQ	(1U << 3)

#define IOMMU_DOMAIN_BLOCKED	(0U)
#define IOMMU_DOMAIN_IDENTITY	(__IOMMU_DOMAIN_PT)
#define IOMMU_DOMAIN_UNMANAGED	(__IOMMU_DOMAIN_PAGING)
#define IOMMU_DOMAIN_DMA	(__IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API)
#define IOMMU_DOMAIN_DMA_FQ                                                  \
	(__IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API | __IOMMU_DOMAIN_DMA_FQ)

/**
 * struct iommu_domain - one I/O address space
 * @type: IOMMU_DOMAIN_*
 * @ops: the driver's domain operations
 * @pgsize_bitmap: page sizes the domain's tables can map
 * @handler: fault handler (iommu_set_fault_handler())
 * @handler_token: its argument
 * @geometry: the IOVA range the domain translates
 * @iova_cookie: the DMA-API layer's data (dma-iommu)
 * @fq: the core's flush queue (DMA_FQ domains); private
 */
struct iommu_domain {
	unsigned int type;
	const struct iommu_domain_ops *ops;
	unsigned long pgsize_bitmap;
	iommu_fault_handler_t handler;
	void *handler_token;
	struct iommu_domain_geometry geometry;
	struct iommu_dma_cookie *iova_cookie;
	void *fq;
};

static inline bool iommu_is_dma_domain(struct iommu_domain *domain)
{
	return domain->type & __IOMMU_DOMAIN_DMA_API;
}

/**
 * struct iommu_iotlb_gather - IOVA range an unmap must invalidate
 * @start: first byte
 * @end: last byte (inclusive)
 * @pgsize: the page size being unmapped
 * @freelist: page-table pages to free after the invalidation
 * @queued: the invalidation is deferred to the flush queue
 */
struct iommu_iotlb_gather {
	unsigned long start;
	unsigned long end;
	size_t pgsize;
	struct list_head freelist;
	bool queued;
};

static inline void iommu_iotlb_gather_init(struct iommu_iotlb_gather *g)
{
	g->start = ~0UL;
	g->end = 0;
	g->pgsize = 0;
	INIT_LIST_HEAD(&g->freelist);
	g->queued = false;
}

/* Widen @g to cover [iova, iova + size). */
static inline void iommu_iotlb_gather_add_range(struct iommu_iotlb_gather *g,
						unsigned long iova,
						size_t size)
{
	unsigned long end = iova + size - 1;

	if (g->start > iova)
		g->start = iova;
	if (g->end < end)
		g->end = end;
}

/**
 * struct iommu_domain_ops - what a driver does for one domain
 *
 * Called by the core with the arguments checked: sizes are multiples of a
 * supported page size, iova and paddr aligned to it, ranges inside the
 * geometry. map_pages/unmap_pages may be called concurrently for disjoint
 * ranges (Linux's contract); the driver serializes what it shares.
 *
 * The details the core relies on (as Linux 6.1):
 * - attach_dev() replaces whatever domain @dev is attached to: the core
 *   does not detach first. detach_dev() (optional) is called only when a
 *   group is left with no domain at all.
 * - map_pages() adds to *@mapped the bytes it mapped, also when it fails
 *   part-way (the core unmaps them); an overlap with an existing mapping
 *   fails (-EEXIST) without changing that mapping.
 * - unmap_pages() returns the bytes unmapped (0 if nothing is mapped at
 *   @iova; more than asked when a superpage covers it), widens
 *   @iotlb_gather (iommu_iotlb_gather_add_range()) and puts page-table
 *   pages it no longer needs on @iotlb_gather->freelist: order-0 pages from
 *   alloc_pages(), linked through page->lru. It must not invalidate when
 *   @iotlb_gather->queued is set (the flush queue will).
 * - iotlb_sync() invalidates the gathered range and waits; it may free the
 *   freelist itself, whatever it leaves there the core frees afterwards.
 * - flush_iotlb_all() invalidates everything cached for the domain and
 *   waits; it may be called on a domain with no device attached.
 * - iotlb_sync(), flush_iotlb_all(), unmap_pages() and iova_to_phys() may
 *   run in atomic context (the flush-queue timer, iommu_map_atomic()
 *   callers): no sleeping, no mutex.
 */
struct iommu_domain_ops {
	int (*attach_dev)(struct iommu_domain *domain, struct device *dev);
	void (*detach_dev)(struct iommu_domain *domain, struct device *dev);
	int (*map_pages)(struct iommu_domain *domain, unsigned long iova,
			 phys_addr_t paddr, size_t pgsize, size_t pgcount,
			 int prot, gfp_t gfp, size_t *mapped);
	size_t (*unmap_pages)(struct iommu_domain *domain, unsigned long iova,
			      size_t pgsize, size_t pgcount,
			      struct iommu_iotlb_gather *iotlb_gather);
	void (*flush_iotlb_all)(struct iommu_domain *domain);
	void (*iotlb_sync_map)(struct iommu_domain *domain, unsigned long iova,
			       size_t size);
	void (*iotlb_sync)(struct iommu_domain *domain,
			   struct iommu_iotlb_gather *iotlb_gather);
	phys_addr_t (*iova_to_phys)(struct iommu_domain *domain,
				    dma_addr_t iova);
	void (*free)(struct iommu_domain *domain);
};

/**
 * struct iommu_ops - what an IOMMU driver registers
 * @domain_alloc: a new domain of a type (NULL if unsupported)
 * @probe_device: claim @dev (return the iommu_device, or ERR_PTR(-ENODEV))
 * @release_device: forget @dev
 * @device_group: the group @dev belongs to (the core's helpers below)
 * @def_domain_type: the domain type @dev needs, or 0 for the default
 * @default_domain_ops: domain ops for domains this driver allocates
 * @pgsize_bitmap: page sizes supported
 */
struct iommu_ops {
	struct iommu_domain *(*domain_alloc)(unsigned int iommu_domain_type);
	struct iommu_device *(*probe_device)(struct device *dev);
	void (*release_device)(struct device *dev);
	struct iommu_group *(*device_group)(struct device *dev);
	int (*def_domain_type)(struct device *dev);
	const struct iommu_domain_ops *default_domain_ops;
	unsigned long pgsize_bitmap;
};

/** struct iommu_device - one IOMMU instance, as the core knows it */
struct iommu_device {
	struct list_head list;
	const struct iommu_ops *ops;
	struct device *dev;
};

/* ---- provider side ------------------------------------------------------- */

/**
 * iommu_device_register() - an IOMMU driver offers its hardware
 * @iommu: embedded in the driver's state
 * @ops: its operations
 * @hwdev: the IOMMU's own device
 *
 * Every device already on the bus, and each one added later, is probed:
 * put in a group and attached to its default domain.
 * Context: process. Return: 0 or -errno.
 */
DK_API int iommu_device_register(struct iommu_device *iommu,
				 const struct iommu_ops *ops,
				 struct device *hwdev);
DK_API void iommu_device_unregister(struct iommu_device *iommu);

/** generic_device_group() - a new group for @dev alone */
DK_API struct iommu_group *generic_device_group(struct device *dev);

/**
 * dk_board_device_group() - the group the board gave @dev
 *
 * Devices with the same dev->iommu_group_hint (>= 0) share one group; -1
 * gives a group of its own. The usual device_group op of a driver here.
 */
DK_API struct iommu_group *dk_board_device_group(struct device *dev);

/**
 * report_iommu_fault() - hand a translation fault to the domain's handler
 * @domain: the domain @dev was attached to
 * @dev: the faulting device
 * @iova: the faulting address
 * @flags: IOMMU_FAULT_READ or IOMMU_FAULT_WRITE
 *
 * Context: any (the IOMMU driver's interrupt handler). Return: the
 * handler's result, or -ENOSYS when the domain has none.
 */
DK_API int report_iommu_fault(struct iommu_domain *domain, struct device *dev,
			      unsigned long iova, int flags);

/*
 * dev_iommu_priv_get() / dev_iommu_priv_set() - the driver's per-device
 * data, valid from its probe_device() to its release_device(). Context:
 * any; no lock.
 */
DK_API void *dev_iommu_priv_get(struct device *dev);
DK_API void dev_iommu_priv_set(struct device *dev, void *priv);

/* ---- consumer side ------------------------------------------------------- */

DK_API bool iommu_present(struct bus_type *bus);
DK_API bool device_iommu_mapped(struct device *dev);

/* Context: process. Return: a domain of type UNMANAGED, or NULL. */
DK_API struct iommu_domain *iommu_domain_alloc(struct bus_type *bus);
DK_API void iommu_domain_free(struct iommu_domain *domain);

/*
 * Attach @dev (whose group must hold it alone, as in Linux: else -EINVAL)
 * to @domain, replacing its default domain; detach returns it there.
 */
DK_API int iommu_attach_device(struct iommu_domain *domain,
			       struct device *dev);
DK_API void iommu_detach_device(struct iommu_domain *domain,
				struct device *dev);
DK_API int iommu_attach_group(struct iommu_domain *domain,
			      struct iommu_group *group);
DK_API void iommu_detach_group(struct iommu_domain *domain,
			       struct iommu_group *group);

DK_API struct iommu_domain *iommu_get_domain_for_dev(struct device *dev);
DK_API struct iommu_domain *iommu_get_dma_domain(struct device *dev);

DK_API struct iommu_group *iommu_group_get(struct device *dev);
DK_API void iommu_group_put(struct iommu_group *group);
DK_API int iommu_group_id(struct iommu_group *group);
DK_API int iommu_group_for_each_dev(struct iommu_group *group, void *data,
				    int (*fn)(struct device *, void *));

/**
 * iommu_map() - map [iova, iova + size) to [paddr, paddr + size)
 *
 * Split into the largest page sizes that fit. Unaligned arguments,
 * overlap with an existing mapping, or a range outside the domain get
 * -EINVAL (or -EEXIST for overlap) and leave nothing mapped.
 * Context: process (may allocate page tables).
 */
DK_API int iommu_map(struct iommu_domain *domain, unsigned long iova,
		     phys_addr_t paddr, size_t size, int prot);
DK_API int iommu_map_atomic(struct iommu_domain *domain, unsigned long iova,
			    phys_addr_t paddr, size_t size, int prot);

/**
 * iommu_unmap() - unmap [iova, iova + size) and invalidate the IOTLB
 *
 * Strict domains wait for the invalidation; DMA_FQ domains queue it.
 * Return: bytes unmapped (0 when nothing was mapped there: reported).
 */
DK_API size_t iommu_unmap(struct iommu_domain *domain, unsigned long iova,
			  size_t size);
DK_API size_t iommu_unmap_fast(struct iommu_domain *domain,
			       unsigned long iova, size_t size,
			       struct iommu_iotlb_gather *iotlb_gather);
DK_API void iommu_iotlb_sync(struct iommu_domain *domain,
			     struct iommu_iotlb_gather *iotlb_gather);
DK_API void iommu_flush_iotlb_all(struct iommu_domain *domain);

DK_API phys_addr_t iommu_iova_to_phys(struct iommu_domain *domain,
				      dma_addr_t iova);

DK_API void iommu_set_fault_handler(struct iommu_domain *domain,
				    iommu_fault_handler_t handler,
				    void *token);

/* ---- the flush queue (ours) ---------------------------------------------- */

/*
 * Differs from Linux: dma-iommu's per-CPU flush queue is here a per-domain
 * queue in the core, for IOMMU_DOMAIN_DMA_FQ domains, sized and timed by
 * the machine's dk_iommu_config (fq_size entries, fq_timeout_ms).
 * iommu_unmap() on such a domain queues its invalidation by itself; the DMA
 * API layer uses dk_iommu_fq_queue() to free IOVAs only after the flush.
 */

/* Called once per queued entry, after the IOTLB flush that covers it. */
typedef void (*dk_iommu_fq_done_t)(void *ctx, unsigned long iova,
				   size_t size);

/**
 * dk_iommu_fq_queue() - defer the invalidation of an unmapped range (ours)
 * @domain: an IOMMU_DOMAIN_DMA_FQ domain
 * @gather: what iommu_unmap_fast() gathered (its freelist pages are freed
 *          after the flush; @gather is reinitialised), or NULL
 * @iova: first byte of the range already unmapped
 * @size: its size
 * @done: called after the flush (softirq or process context: must not
 *        sleep), or NULL
 * @ctx: @done's first argument
 *
 * A queue that is full is flushed first (one flush_iotlb_all() and wait,
 * then every entry's frees and @done); the queue's timer flushes what
 * waited fq_timeout_ms. @done is never called from inside this call for
 * this entry.
 * Context: any but hard-IRQ; takes the queue's locks (not across @done).
 * Return: 0, or -EINVAL (logged) if @domain has no flush queue.
 */
DK_API int dk_iommu_fq_queue(struct iommu_domain *domain,
			     struct iommu_iotlb_gather *gather,
			     unsigned long iova, size_t size,
			     dk_iommu_fq_done_t done, void *ctx);

/**
 * dk_iommu_fq_flush() - flush @domain's queue now (ours)
 * @domain: a DMA_FQ domain (other domains: nothing to do)
 *
 * On return every range queued before the call is invalidated and its
 * frees and callback have run (those of a flush running concurrently in
 * another thread may still be running).
 * Context: process or softirq (also from a @done callback).
 */
DK_API void dk_iommu_fq_flush(struct iommu_domain *domain);

/** dk_iommu_fq_pending() - entries waiting in @domain's queue (ours) */
DK_API unsigned int dk_iommu_fq_pending(struct iommu_domain *domain);

#endif
