/* SPDX-License-Identifier: MIT */
/*
 * machine.h - create and destroy the virtual machine, add devices, read
 * counters and the clock.
 *
 * One machine exists per process at a time: the Linux-named API acts on it as
 * kernel code acts on its one kernel. Creating it starts the hard-IRQ,
 * tasklet and workqueue threads; adding a device starts that device's thread;
 * destroying it stops and joins them all, unbinds drivers and reports every
 * page, kmalloc object and mapping still held.
 */
#ifndef DMAKIT_MACHINE_H
#define DMAKIT_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <dmakit/api.h>

struct dk_machine;
struct platform_device;

#define DK_MAX_RAM_REGIONS 4

/* Default physical layout: 2 GiB below 4 GiB, 2 GiB above, MMIO hole. */
#define DK_RAM_LOW_BASE   0x40000000ull
#define DK_RAM_LOW_SIZE   0x80000000ull
#define DK_RAM_HIGH_BASE  0x100000000ull
#define DK_RAM_HIGH_SIZE  0x80000000ull
#define DK_MMIO_BASE      0xf0000000ull
#define DK_MMIO_SIZE      0x10000000ull

struct dk_ram_region_config {
	uint64_t base;	/* page aligned, outside the MMIO hole */
	uint64_t size;	/* page multiple */
};

/* Where the IOMMU's register window sits (docs/hw/iommu.md). */
#define DK_IOMMU_BASE 0xfed90000ull

/* Domain a device gets when it appears (struct dk_iommu_config). */
enum dk_iommu_default {
	DK_IOMMU_DEFAULT_DMA = 0,	/* translated, for the DMA API */
	DK_IOMMU_DEFAULT_IDENTITY,	/* pass-through (iommu=pt) */
	DK_IOMMU_DEFAULT_BLOCKED,	/* every access faults */
};

/**
 * struct dk_iommu_config - the machine's IOMMU and how the kernel uses it
 * @present: place the IOMMU (hardware) and bind its driver (software)
 * @iotlb_entries: IOTLB size (0: 512); a multiple of @iotlb_ways
 * @iotlb_ways: IOTLB associativity (0: 8)
 * @ctx_entries: context-cache entries (0: 64)
 * @psc_entries: paging-structure cache entries per level (0: 32; a power
 *               of two)
 * @fault_regs: fault recording registers (0: 8; at most 128)
 * @levels: page-table levels of the domains the kernel builds, 3 or 4
 *          (0: 4); the hardware takes both
 * @default_domain: enum dk_iommu_default (the kernel's iommu.passthrough)
 * @lazy: DMA domains invalidate through a flush queue (iommu.strict=0)
 * @fq_size: flush-queue entries before a flush (0: 256)
 * @fq_timeout_ms: longest an unmap waits for its flush (0: 10)
 */
struct dk_iommu_config {
	bool present;
	unsigned int iotlb_entries;
	unsigned int iotlb_ways;
	unsigned int ctx_entries;
	unsigned int psc_entries;
	unsigned int fault_regs;
	unsigned int levels;
	int default_domain;
	bool lazy;
	unsigned int fq_size;
	unsigned int fq_timeout_ms;
};

/**
 * struct dk_dma_config - the DMA-mapping layer (fields default when 0)
 * @swiotlb_size: bytes of the swiotlb bounce pool, taken from RAM below
 *                4 GiB at creation (0: 64 MiB as Linux; rounded up to
 *                256 KiB, at least 1 MiB). The pool exists when RAM
 *                reaches above 4 GiB or @force_bounce is set.
 * @swiotlb_areas: areas (own lock each) of the pool, a power of two
 *                 (0: the host's CPUs rounded up to a power of two)
 * @force_bounce: every dma-direct streaming mapping bounces through the
 *                pool (Linux's swiotlb=force): how missing syncs show
 * @debug: dma-debug checks every DMA-mapping call (linux/dma-debug.h);
 *         also on when the environment has DK_DMA_DEBUG=1 (or "abort")
 * @debug_mode: DK_DMA_DEBUG_WARN (0 means warn) or DK_DMA_DEBUG_ABORT
 * @debug_entries: mappings dma-debug's table can track (0: 65536 as
 *                 Linux; each thread's latest DMA_TO_DEVICE streaming
 *                 mapping is kept aside, beyond it); when they run out it
 *                 says so and disables itself
 */
struct dk_dma_config {
	uint64_t swiotlb_size;
	unsigned int swiotlb_areas;
	bool force_bounce;
	bool debug;
	int debug_mode;
	unsigned int debug_entries;
};

/**
 * struct dk_machine_config - what dk_machine_create() builds
 * @nr_ram: number of RAM regions in @ram
 * @ram: the regions; they may not overlap each other or the MMIO hole
 * @nr_irqs: interrupt vectors (MSI-like), 1..1024; vector 0 is never valid
 * @manual_clock: the clock stands still until dk_clock_advance() moves it
 * @poll_us: the polling option: device, hard-IRQ and softirq threads spin
 *           this long for new work after finishing some, before they
 *           sleep (0, the default: sleep at once). Trades CPU for wake-up
 *           latency on machines with cores to spare.
 * @hw_cpu: CPU partitioning (-1, the default: none). With a CPU number,
 *          every device model's thread (the modelled hardware) runs on
 *          that CPU only, and the machine's software threads (hard IRQ,
 *          softirq, workqueues) on the other CPUs the creating thread may
 *          use, as if the controllers were silicon of their own: the
 *          kernel never competes with them for a core. The caller places
 *          its own threads (a benchmark keeps them off @hw_cpu). Needs at
 *          least 2 usable CPUs, @hw_cpu one of them.
 * @iommu: the IOMMU (absent unless @iommu.present)
 * @dma: the DMA-mapping layer (swiotlb size, forced bouncing)
 */
struct dk_machine_config {
	unsigned int nr_ram;
	struct dk_ram_region_config ram[DK_MAX_RAM_REGIONS];
	unsigned int nr_irqs;
	bool manual_clock;
	unsigned int poll_us;
	int hw_cpu;
	struct dk_iommu_config iommu;
	struct dk_dma_config dma;
};

/**
 * dk_machine_config_init() - fill @cfg with the default machine
 * @cfg: the config to fill
 *
 * Two RAM regions (DK_RAM_LOW_*, DK_RAM_HIGH_*), 256 vectors, real time,
 * no CPU partitioning (hw_cpu -1), no IOMMU (set cfg->iommu.present to add
 * one; the other iommu fields default when left 0).
 */
DK_API void dk_machine_config_init(struct dk_machine_config *cfg);

/**
 * dk_machine_create() - build and start a machine
 * @cfg: the layout, or NULL for the defaults
 * @out: receives the machine
 *
 * RAM is reserved lazily: an untouched machine costs address space only.
 *
 * Context: process.
 * Return: 0; -EBUSY if a machine exists; -EINVAL for a bad layout (the
 * message says which region and why); -ENOMEM.
 */
DK_API int dk_machine_create(const struct dk_machine_config *cfg,
			     struct dk_machine **out);

/**
 * dk_machine_destroy() - stop everything and free the machine
 * @m: the machine (NULL is ignored)
 *
 * Unbinds every driver (calling remove), stops device threads mid-transfer
 * if need be, joins every thread, then reports each leaked page, kmalloc
 * object and IRQ still requested through the log.
 *
 * Context: process; not from a thread the machine owns.
 * Return: the number of leak reports made (0 when clean).
 */
DK_API int dk_machine_destroy(struct dk_machine *m);

/** dk_machine_current() - the machine that exists, or NULL */
DK_API struct dk_machine *dk_machine_current(void);

/**
 * struct dk_device_config - where a device sits on the machine
 * @name: instance name, unique ("testdev0"); NULL picks one
 * @requester_id: bus:dev.fn as (bus << 8 | dev << 3 | fn); 0 picks one
 * @mmio_base: physical base of the register window in the MMIO hole,
 *             4 KiB aligned; 0 places it automatically
 * @dma_bits: address bits the device drives on the bus (1..64; 0 means 64).
 *            A device cannot reach above them: the DMA path refuses.
 * @iommu_group: devices with the same non-negative group share a domain;
 *               -1 gives the device a group of its own
 */
struct dk_device_config {
	const char *name;
	uint16_t requester_id;
	uint64_t mmio_base;
	unsigned int dma_bits;
	int iommu_group;
};

/** dk_device_config_init() - defaults: auto name, id, window; 64 bits */
DK_API void dk_device_config_init(struct dk_device_config *cfg);

/**
 * dk_machine_add_testdev() - add the test copy device (docs/hw/testdev.md)
 * @m: the machine
 * @cfg: placement, or NULL for defaults
 * @out: receives the platform device software binds to (may be NULL)
 *
 * Context: process.
 * Return: 0, -EINVAL (bad placement, message says why), -EEXIST (name or
 * requester id taken), -ENOSPC (no room in the MMIO hole or no vectors).
 */
DK_API int dk_machine_add_testdev(struct dk_machine *m,
				  const struct dk_device_config *cfg,
				  struct platform_device **out);

/**
 * dk_machine_enable_p2p() - let @initiator's DMA reach @target's registers
 * @m: the machine
 * @initiator: the bus master
 * @target: the device whose MMIO window it may access
 *
 * Without this, a DMA that lands in an MMIO window is refused (-ENXIO). With
 * it, the access is performed as register reads/writes of @target in
 * naturally aligned 4- or 8-byte pieces (the range must be 4-byte aligned).
 * A device's DMA into its own window, or into the IOMMU's, is always
 * refused (re-entrancy).
 *
 * Context: process; takes the machine's device lock.
 * Return: 0 (also if already enabled); -EINVAL (NULL, unknown device, the
 * pair is the same device or the target is the IOMMU); -ENOSPC (the
 * initiator has DK_P2P_MAX targets already).
 */
DK_API int dk_machine_enable_p2p(struct dk_machine *m,
				 struct platform_device *initiator,
				 struct platform_device *target);

/**
 * dk_machine_add_dmac() - add a DK-DMAC DMA controller (docs/hw/dmac.md)
 * @m: the machine
 * @cfg: placement, or NULL for defaults
 * @out: receives its platform device ("dk-dmac"), may be NULL
 *
 * Context: process. Return: as dk_machine_add_testdev().
 */
DK_API int dk_machine_add_dmac(struct dk_machine *m,
			       const struct dk_device_config *cfg,
			       struct platform_device **out);

/**
 * dk_machine_add_fifo() - add a DK-FIFO peripheral (docs/hw/fifo.md)
 * @m: the machine
 * @cfg: placement, or NULL for defaults
 * @out: receives its platform device ("dk-fifo"), may be NULL
 *
 * Context: process. Return: as dk_machine_add_testdev().
 */
DK_API int dk_machine_add_fifo(struct dk_machine *m,
			       const struct dk_device_config *cfg,
			       struct platform_device **out);

/**
 * dk_machine_connect_dma() - wire a peripheral to a DMA controller, as a
 * board file (or device tree) describes it
 * @m: the machine
 * @periph: the peripheral
 * @req: which of its DMA request outputs
 * @name: the name its driver asks for: dma_request_chan(dev, @name)
 * @dmac: the DMA controller
 * @line: the controller's request input the output is wired to
 *
 * Wires the request line (hardware), lets @dmac reach @periph's registers
 * (peer-to-peer, for its data register), and registers the slave-map entry
 * (@periph, @name) -> (@dmac, @line) that the dmaengine core resolves.
 * Context: process. Return: 0; -EINVAL (bad argument, message says which);
 * -EBUSY (input or output already wired); -ENOSPC.
 */
DK_API int dk_machine_connect_dma(struct dk_machine *m,
				  struct platform_device *periph,
				  unsigned int req, const char *name,
				  struct platform_device *dmac,
				  unsigned int line);

/** dk_machine_find_device() - the platform device named @name, or NULL */
DK_API struct platform_device *dk_machine_find_device(struct dk_machine *m,
						      const char *name);

/**
 * struct dk_counters - what one device did, since it was added
 *
 * Counted by the hardware side; readable at any time (each field is read
 * atomically, the set is not a snapshot).
 */
struct dk_counters {
	uint64_t mmio_reads;
	uint64_t mmio_writes;
	uint64_t dma_read_txns;
	uint64_t dma_read_bytes;
	uint64_t dma_write_txns;
	uint64_t dma_write_bytes;
	uint64_t irqs;
	uint64_t faults;
};

/**
 * dk_device_counters() - read a device's counters
 * @pdev: the device
 * @out: receives the counters
 * Return: 0 or -EINVAL.
 */
DK_API int dk_device_counters(struct platform_device *pdev,
			      struct dk_counters *out);

/**
 * struct dk_iommu_counters - what the IOMMU did (its statistics registers,
 * docs/hw/iommu.md section 2.8), readable without going through MMIO
 */
struct dk_iommu_counters {
	uint64_t translations;
	uint64_t iotlb_hits;
	uint64_t iotlb_misses;
	uint64_t walks;
	uint64_t faults_recorded;
	uint64_t faults_dropped;
	uint64_t invalidations;
	uint64_t ctx_hits;
	uint64_t ctx_misses;
	uint64_t psc_hits;
	uint64_t psc_misses;
};

/**
 * dk_iommu_counters() - read the IOMMU's counters
 * @m: the machine
 * @out: receives them
 *
 * Context: process; takes the machine's device lock.
 * Return: 0; -EINVAL (NULL or not the current machine); -ENODEV (the
 * machine has no IOMMU).
 */
DK_API int dk_iommu_counters(struct dk_machine *m,
			     struct dk_iommu_counters *out);

/** dk_machine_print_counters() - one line per device (and the IOMMU) to @f */
DK_API void dk_machine_print_counters(struct dk_machine *m, FILE *f);

/** dk_clock_ns() - the machine clock in ns (0 at creation) */
DK_API uint64_t dk_clock_ns(void);

/**
 * dk_clock_advance() - move a manual clock forward, firing due timers
 * @ns: how far
 * Return: 0; -EINVAL if the clock is not manual or there is no machine.
 */
DK_API int dk_clock_advance(uint64_t ns);

#endif
