/* SPDX-License-Identifier: MIT */
/*
 * hw/internal.h - the hardware side's internals: simulated RAM, the MMIO
 * bus, the interrupt controller, the device core and the DMA path's
 * translation hook.
 *
 * Included by src/hw/, by src/core/machine.c (to build the machine), by the
 * software side only for the three doors of the wall (dk__mmio_access for
 * readl/writel, the intc's CPU interface for the hard-IRQ thread, the RAM
 * region lookup for virt_to_phys), and by unit tests of hardware modules.
 */
#ifndef DK_HW_INTERNAL_H
#define DK_HW_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <dmakit/hw/device.h>
#include "core/internal.h"

#define DK_PAGE_SHIFT 12
#define DK_PAGE_SIZE  (1ull << DK_PAGE_SHIFT)

/* ---- RAM (hw/ram.c) ------------------------------------------------------ */

/* Frame state bits, one byte per 4 KiB frame, accessed atomically. */
#define DK_FRAME_NOT_PRESENT 0x01	/* swapped out: DMA must not touch it */

struct dk_ram_region {
	uint64_t base;		/* physical */
	uint64_t size;
	uint8_t *host;		/* lazily committed host mapping */
	uint8_t *frame_state;	/* one byte per frame, lazily committed */
	uint64_t nr_not_present;	/* frames with NOT_PRESENT; atomic */
};

struct dk_ram {
	unsigned int nr;
	struct dk_ram_region region[DK_MAX_RAM_REGIONS];
};

/* Validates cfg->ram (alignment, overlap, MMIO hole) and maps it. */
int dk__ram_init(struct dk_machine *m);
void dk__ram_exit(struct dk_machine *m);

/* Region containing physical @phys, or NULL. */
static inline const struct dk_ram_region *
dk__ram_region(const struct dk_ram *ram, uint64_t phys)
{
	for (unsigned int i = 0; i < ram->nr; i++) {
		const struct dk_ram_region *r = &ram->region[i];

		if (phys - r->base < r->size)
			return r;
	}
	return NULL;
}

/* Region whose host mapping contains @p, or NULL. */
const struct dk_ram_region *dk__ram_region_of_host(const struct dk_ram *ram,
						   const void *p);

/* Set or clear DK_FRAME_NOT_PRESENT on every frame of [phys, phys+len). */
int dk__ram_set_present(struct dk_machine *m, uint64_t phys, uint64_t len,
			bool present);

/* ---- MMIO bus (hw/mmio.c) ----------------------------------------------- */

struct dk_mmio {
	uint8_t *host_window;		/* PROT_NONE reservation, DK_MMIO_SIZE */
	struct dk_hw_dev **page_dev;	/* one slot per 4 KiB of the hole */
};

int dk__mmio_init(struct dk_machine *m);
void dk__mmio_exit(struct dk_machine *m);

/* Claim the window [base, base+size) for @dev; -EBUSY if taken. */
int dk__mmio_claim(struct dk_machine *m, struct dk_hw_dev *dev, uint64_t base,
		   uint64_t size);
/* Find a free, size-aligned window; 0 when none. */
uint64_t dk__mmio_find_free(struct dk_machine *m, uint64_t size);
void dk__mmio_release(struct dk_machine *m, struct dk_hw_dev *dev);

/* The device whose window holds @phys, or NULL. */
struct dk_hw_dev *dk__mmio_dev_at(struct dk_machine *m, uint64_t phys);

/*
 * One bus transaction from the CPU: @size bytes at physical @phys. Checks
 * width and alignment against the device, takes its reg_lock, calls the
 * handler, counts and traces. Returns 0, or -ENXIO (no device), -EINVAL
 * (bad width or alignment); on error reads yield all ones.
 */
int dk__mmio_access(struct dk_machine *m, uint64_t phys, unsigned int size,
		    bool write, uint64_t *val);

/* ---- interrupt controller (hw/intc.c) ------------------------------------- */

int dk__intc_init(struct dk_machine *m);
void dk__intc_exit(struct dk_machine *m);

/* Reserve @n consecutive vectors; returns the first or 0 when none. */
unsigned int dk__intc_alloc(struct dk_machine *m, unsigned int n);

/* Device side: an MSI write for @vector (latched, edge). */
void dk__intc_raise(struct dk_machine *m, unsigned int vector);

/*
 * CPU side, used by the hard-IRQ thread (kernel/irq.c) only.
 *
 * dk__intc_ack() sleeps until a vector is pending, unmasked and not in
 * service, marks it in service, clears its pending latch and returns it;
 * it returns 0 once dk__intc_stop() was called. dk__intc_eoi() ends the
 * service; a message latched meanwhile makes the vector deliverable again.
 * dk__intc_retrigger() latches @vector again without counting a message
 * (a delivery the CPU could not take: line disabled). Masking latches.
 */
unsigned int dk__intc_ack(struct dk_machine *m);
void dk__intc_eoi(struct dk_machine *m, unsigned int vector);
void dk__intc_mask(struct dk_machine *m, unsigned int vector, bool masked);
void dk__intc_retrigger(struct dk_machine *m, unsigned int vector);
void dk__intc_stop(struct dk_machine *m);

/* Per-vector counts and state (for tests and tools). */
struct dk_intc_stats {
	uint64_t raised;	/* messages received */
	uint64_t delivered;	/* acknowledged by the CPU */
	uint64_t invalid;	/* machine-wide: messages to invalid vectors */
	bool pending, masked, in_service;
};
/* Returns -EINVAL (invalid is still filled) for an invalid vector. */
int dk__intc_stats(struct dk_machine *m, unsigned int vector,
		   struct dk_intc_stats *st);

/* ---- device core (hw/device.c) --------------------------------------------- */

/* Stop and join every device thread (machine destroy, first step). */
void dk__devices_stop(struct dk_machine *m);
/* Release every device's state (machine destroy, after software is gone). */
void dk__devices_release(struct dk_machine *m);

/* ---- DMA request lines and clock sleeps (hw/dmareq.c) ---------------------- */

struct platform_device;

/* The device model behind a platform device, or NULL. */
struct dk_hw_dev *dk__hw_dev_of(struct dk_machine *m,
				struct platform_device *pdev);

/*
 * Wire @periph's request output @out to @dmac's input @line (board setup).
 * Context: process; takes m->dev_lock. Return: 0; -EINVAL (no such output
 * or input); -EBUSY (either end already wired).
 */
int dk__dmareq_connect(struct dk_machine *m, struct dk_hw_dev *periph,
		       unsigned int out, struct dk_hw_dev *dmac,
		       unsigned int line);

/* A manual clock moved: wake device threads in dk_hw_sleep_until(). */
void dk__hw_clock_moved(struct dk_machine *m);

/* ---- DMA controller and FIFO models (hw/dmac*.c, hw/fifo.c) --------------- */

/* Place the models (core/board.c calls them); as dk_hw_device_add(). */
int dk__dmac_add(struct dk_machine *m, const struct dk_device_config *cfg,
		 struct platform_device **out);
int dk__fifo_add(struct dk_machine *m, const struct dk_device_config *cfg,
		 struct platform_device **out);

/* ---- IOMMU hardware (hw/iommu*.c) ------------------------------------------ */

/*
 * Place the IOMMU model at DK_IOMMU_BASE (machine create, after the bus
 * exists, when cfg.iommu.present). It publishes platform device "dk-iommu".
 */
int dk__iommu_hw_add(struct dk_machine *m);

/* ---- translation hook for the DMA path (hw/dma.c) ------------------------- */

/*
 * struct dk_dma_xlate - what an IOMMU plugs into the DMA path
 * @translate: translate the page holding @bus for @dev; on success set
 *             *@phys to the physical address of @bus and *@len to how many
 *             bytes from @bus on are contiguous under the same translation
 *             (at least 1, at most to the end of the page or superpage).
 *             Return 0 or -EFAULT after recording a fault.
 */
struct dk_dma_xlate {
	int (*translate)(struct dk_machine *m, struct dk_hw_dev *dev,
			 uint64_t bus, bool write, uint64_t *phys,
			 uint64_t *len);
	/*
	 * The IOMMU's form of the same (used instead of @translate when set):
	 * it gets its own hook back and the caller's in-flight slot, where it
	 * counts statistics; *len is in/out: the bytes wanted in, the bytes
	 * contiguous out (may cover several pages that translate to
	 * contiguous physical memory). @gen, if set, is bumped (seq_cst) by every
	 * invalidation: the DMA path may keep a translation in its slot only
	 * while *@gen is unchanged since the call that made it began.
	 */
	int (*translate_slot)(const struct dk_dma_xlate *x,
			      struct dk_hw_dev *dev, struct dk_dma_slot *slot,
			      uint64_t bus, bool write, uint64_t *phys,
			      uint64_t *len);
	const uint64_t *gen;
};

/*
 * Wait until every DMA-path call that is in flight on @m when this is
 * called has returned (hw/dma.c). Takes m->dev_lock briefly to list the
 * devices, then spins/yields on their markers with no lock held; the
 * caller may hold its own register lock, never one the DMA path takes.
 */
void dk__dma_drain(struct dk_machine *m);

/* The device's DMA counters, summed over its in-flight slots. */
void dk__dma_counters(const struct dk_hw_dev *dev, uint64_t *rd_txns,
		      uint64_t *rd_bytes, uint64_t *wr_txns,
		      uint64_t *wr_bytes);

/*
 * The debug-only bus monitor (hw/dma.c), the wall's one documented
 * exception, for dma-debug: true if the device with requester id @rid has
 * a DMA-path call in flight touching bus range [@bus, @bus + @len). A
 * snapshot without locks (relaxed/acquire loads of the in-flight markers),
 * cheap: a scan of the device list and DK_DMA_SLOTS slots. It sees one
 * DMA-path call, never a transfer paused between calls. Devices are only
 * added while no DMA API call runs concurrently (probe order) and removed
 * after the software side has let go of them.
 */
bool dk__dma_monitor_busy(struct dk_machine *m, uint16_t rid, uint64_t bus,
			  uint64_t len);

#endif
