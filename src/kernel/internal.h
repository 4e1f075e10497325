/* SPDX-License-Identifier: MIT */
/*
 * kernel/internal.h - the software side's subsystem hooks and execution
 * context tracking.
 *
 * Included by src/kernel/, src/core/machine.c and unit tests.
 *
 * Each subsystem's init runs in dk_machine_create() in the order listed
 * here; its exit runs in reverse order from dk_machine_destroy() and
 * returns how many leak reports it made (0 when nothing was left behind).
 */
#ifndef DK_KERNEL_INTERNAL_H
#define DK_KERNEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/dma-direction.h>
#include <linux/types.h>
#include "core/internal.h"

struct device;

/* Page allocator over simulated RAM (kernel/page_alloc.c). */
int dk__mm_init(struct dk_machine *m);
int dk__mm_exit(struct dk_machine *m);
/* Any byte of [@phys, @phys + @size) in simulated RAM (@size > 0). */
bool dk__phys_range_has_ram(phys_addr_t phys, size_t size);

/* kmalloc and kmem_cache (kernel/slab.c). */
int dk__slab_init(struct dk_machine *m);
int dk__slab_exit(struct dk_machine *m);

/* Hard-IRQ thread and request_irq (kernel/irq.c). */
int dk__irq_init(struct dk_machine *m);
int dk__irq_exit(struct dk_machine *m);
/*
 * Call @hook on the hard-IRQ thread after each interrupt (end-of-interrupt
 * written), as Linux's irq_exit(). NULL removes it and returns only once
 * the thread is out of the old hook.
 */
void dk__irq_set_exit_hook(struct dk_machine *m,
			   void (*hook)(struct dk_machine *m));

/* Tasklets and timers: the softirq thread (kernel/softirq.c). */
int dk__softirq_init(struct dk_machine *m);
int dk__softirq_exit(struct dk_machine *m);
/* Wake the softirq thread: a manual clock moved (core/clock.c calls it). */
void dk__softirq_clock_moved(struct dk_machine *m);

/* Workqueues (kernel/workqueue.c). */
int dk__wq_init(struct dk_machine *m);
int dk__wq_exit(struct dk_machine *m);

/* Platform bus (kernel/platform.c). */
int dk__bus_init(struct dk_machine *m);
/* Unbind every driver (calls remove); first step of destroy. */
void dk__bus_unbind_all(struct dk_machine *m);
int dk__bus_exit(struct dk_machine *m);
/* Publish a device the hardware side placed; probes a matching driver. */
int dk__bus_add_device(struct dk_machine *m, struct dk_hw_dev *hw,
		       struct platform_device **out);

/* dmaengine core (kernel/dmaengine.c): registered DMA controllers, the
 * board's slave map; exit reports channels and controllers left behind. */
int dk__dmaengine_init(struct dk_machine *m);
int dk__dmaengine_exit(struct dk_machine *m);

/* IOMMU core (kernel/iommu.c): groups, domains, the flush queue. */
int dk__iommu_core_init(struct dk_machine *m);
int dk__iommu_core_exit(struct dk_machine *m);
/* A device appeared on the bus: give it a group and its default domain. */
void dk__iommu_probe_device(struct device *dev);
/* The flush queue of a DMA_FQ domain (kernel/iommu_fq.c): set up
 * domain->fq from the machine's config, and flush and free it. */
struct iommu_domain;
int dk__iommu_fq_init(struct iommu_domain *domain);
void dk__iommu_fq_destroy(struct iommu_domain *domain);

/*
 * dma-iommu (kernel/dma_iommu.c): the IOVA space ("cookie") of a default
 * DMA/DMA_FQ domain, set up when the core creates the domain and put
 * after its flush queue is destroyed; and the choice of a device's DMA
 * backend (iommu_dma_ops for such a domain, dma-direct otherwise). The
 * count of live cookies is for leak checks in tests.
 */
int dk__iommu_dma_cookie_get(struct iommu_domain *domain);
void dk__iommu_dma_cookie_put(struct iommu_domain *domain);
void dk__iommu_setup_dma_ops(struct device *dev, struct iommu_domain *domain);
long dk__iommu_dma_nr_cookies(void);

/* IOMMU driver (drivers/iommu.c): register the platform driver that binds
 * "dk-iommu" and registers the IOMMU with the core; and unregister it. */
int dk__iommu_driver_init(struct dk_machine *m);
int dk__iommu_driver_exit(struct dk_machine *m);

/* DK-DMAC driver (drivers/dmac.c): register the platform driver that binds
 * "dk-dmac" devices and registers each with dmaengine; and unregister it. */
int dk__dmac_driver_init(struct dk_machine *m);
int dk__dmac_driver_exit(struct dk_machine *m);

/* ---- DMA mapping (kernel/dma_mapping.c, dma_direct.c, swiotlb.c) -------- */


struct page;
struct scatterlist;
struct io_tlb_mem;

/*
 * The DMA-mapping layer's machine state (m->dma), set up by dk__dma_init()
 * and read-only until dk__dma_exit().
 * @force_bounce: cfg.dma.force_bounce (swiotlb=force)
 * @ram_top: last byte of RAM (for the required mask)
 * @dma32_top: last byte of RAM below 4 GiB, 0 if none (lowest zone's top)
 * @tlb: the swiotlb pool, NULL when there is none
 */
struct dk_dma_state {
	bool force_bounce;
	u64 ram_top;
	u64 dma32_top;
	struct io_tlb_mem *tlb;
};

int dk__dma_init(struct dk_machine *m);
int dk__dma_exit(struct dk_machine *m);

/* swiotlb pool: built by dk__dma_init(); exit returns leak reports. */
int dk__swiotlb_init(struct dk_machine *m, struct dk_dma_state *st);
int dk__swiotlb_exit(struct dk_machine *m, struct dk_dma_state *st);

/*
 * dma-direct (kernel/dma_direct.c): what the front end calls when
 * dev->dma_ops is NULL. Arguments are validated by the front end.
 */
bool dk__dma_capable(struct device *dev, dma_addr_t addr, size_t size,
		     bool is_ram);
int dk__dma_direct_supported(struct device *dev, u64 mask);
u64 dk__dma_direct_get_required_mask(struct device *dev);
size_t dk__dma_direct_max_mapping_size(struct device *dev);
void *dk__dma_direct_alloc(struct device *dev, size_t size,
			   dma_addr_t *dma_handle, gfp_t gfp,
			   unsigned long attrs);
void dk__dma_direct_free(struct device *dev, size_t size, void *cpu_addr,
			 dma_addr_t dma_handle, unsigned long attrs);
dma_addr_t dk__dma_direct_map_phys(struct device *dev, phys_addr_t phys,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs);
void dk__dma_direct_unmap_phys(struct device *dev, dma_addr_t addr,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs);
int dk__dma_direct_map_sg(struct device *dev, struct scatterlist *sgl,
			  int nents, enum dma_data_direction dir,
			  unsigned long attrs);
void dk__dma_direct_unmap_sg(struct device *dev, struct scatterlist *sgl,
			     int nents, enum dma_data_direction dir,
			     unsigned long attrs);
dma_addr_t dk__dma_direct_map_resource(struct device *dev, phys_addr_t phys,
				       size_t size,
				       enum dma_data_direction dir,
				       unsigned long attrs);
void dk__dma_direct_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
					size_t size,
					enum dma_data_direction dir);
void dk__dma_direct_sync_single_for_device(struct device *dev,
					   dma_addr_t addr, size_t size,
					   enum dma_data_direction dir);
void dk__dma_direct_sync_sg_for_cpu(struct device *dev,
				    struct scatterlist *sgl, int nents,
				    enum dma_data_direction dir);
void dk__dma_direct_sync_sg_for_device(struct device *dev,
				       struct scatterlist *sgl, int nents,
				       enum dma_data_direction dir);

/*
 * The dma-debug seam. kernel/dma_mapping.c calls these hooks, when a table
 * is registered, after each operation (as Linux's debug_dma_*() calls in
 * kernel/dma/mapping.c), with the result and @caller, the return address
 * into the driver. map_single_bad runs only when dma_map_single() refuses
 * a buffer that is not simulated RAM (Linux's debug_dma_map_single()
 * checks, made where they can fail: simulated RAM is never a stack);
 * map_sg_bad likewise runs only when the backend refuses an sg list (the
 * entry checks of Linux's debug_dma_map_sg(): stack, memory outside RAM);
 * map_phys gets the CPU physical address the front end already has;
 * @single tells dma_map_single from dma_map_page. Every hook is optional.
 * Register at dma-debug's init, unregister (NULL) at its exit; hooks may
 * run on any thread, concurrently.
 */
struct dk_dma_debug_ops {
	void (*map_single_bad)(struct device *dev, const void *addr,
			       size_t len, const void *caller);
	void (*map_phys)(struct device *dev, phys_addr_t phys, size_t size,
			 int dir, dma_addr_t dma_addr, unsigned long attrs,
			 bool single, const void *caller);
	void (*mapping_error)(struct device *dev, dma_addr_t dma_addr,
			      const void *caller);
	void (*unmap_page)(struct device *dev, dma_addr_t addr, size_t size,
			   int dir, bool single, const void *caller);
	void (*map_sg)(struct device *dev, struct scatterlist *sg, int nents,
		       int mapped_ents, int dir, unsigned long attrs,
		       const void *caller);
	void (*unmap_sg)(struct device *dev, struct scatterlist *sg,
			 int nelems, int dir, const void *caller);
	void (*alloc_coherent)(struct device *dev, size_t size,
			       dma_addr_t dma_addr, void *virt,
			       unsigned long attrs, const void *caller);
	void (*free_coherent)(struct device *dev, size_t size, void *virt,
			      dma_addr_t addr, const void *caller);
	void (*map_resource)(struct device *dev, phys_addr_t addr, size_t size,
			     int dir, dma_addr_t dma_addr, unsigned long attrs,
			     const void *caller);
	void (*unmap_resource)(struct device *dev, dma_addr_t dma_addr,
			       size_t size, int dir, const void *caller);
	void (*sync_single_for_cpu)(struct device *dev, dma_addr_t dma_handle,
				    size_t size, int dir, const void *caller);
	void (*sync_single_for_device)(struct device *dev,
				       dma_addr_t dma_handle, size_t size,
				       int dir, const void *caller);
	void (*sync_sg_for_cpu)(struct device *dev, struct scatterlist *sg,
				int nelems, int dir, const void *caller);
	void (*sync_sg_for_device)(struct device *dev, struct scatterlist *sg,
				   int nelems, int dir, const void *caller);
	void (*map_sg_bad)(struct device *dev, struct scatterlist *sg,
			   int nents, const void *caller);
};

/* Install (or with NULL remove) the dma-debug hooks; returns the old. */
const struct dk_dma_debug_ops *
dk__dma_debug_register(const struct dk_dma_debug_ops *ops);

/*
 * dma-debug itself (kernel/dma_debug.c): init (after the DMA layer) turns
 * it on from cfg.dma.debug or DK_DMA_DEBUG; exit reports mappings still
 * tracked (one report per device, counted in dk_dma_debug_errors()) and
 * returns 0: their resources are counted by their owners.
 * dk__dma_debug_device_released() is the bus notifier: the platform bus
 * calls it after a driver's remove, to report the device's pending DMA
 * allocations (no-op when dma-debug is off).
 */
int dk__dma_debug_init(struct dk_machine *m);
int dk__dma_debug_exit(struct dk_machine *m);
void dk__dma_debug_device_released(struct device *dev);
/* Threads' slots dma-debug keeps (for tests: they are reused). */
unsigned int dk__dma_debug_nr_slots(void);

/*
 * dmaengine slave map (kernel/dmaengine.c): the board says that @devname's
 * dma_request_chan(dev, @name) means a channel of @dmac, configured for
 * request input @line (dk_machine_connect_dma() calls it).
 */
struct platform_device;
int dk__dma_slave_map_add(struct dk_machine *m, const char *devname,
			  const char *name, struct platform_device *dmac,
			  unsigned int line);

/* ---- execution contexts (kernel/locking.c) ------------------------------ */

enum dk_context {
	DK_CTX_PROCESS = 0,
	DK_CTX_HARDIRQ = 1,
	DK_CTX_SOFTIRQ = 2,	/* tasklets and timers */
};

/* Set by the hard-IRQ and softirq threads around handlers. */
void dk__context_enter(enum dk_context ctx);
void dk__context_exit(enum dk_context ctx);
enum dk_context dk__context(void);

#endif
