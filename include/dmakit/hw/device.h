/* SPDX-License-Identifier: MIT */
/*
 * hw/device.h - the interface between the machine and a device model.
 *
 * A device model is one state struct with a struct dk_hw_dev embedded first,
 * a const ops table, and a register window. The machine gives it:
 *  - MMIO dispatch: software's readl/writel on its window call
 *    ops->mmio_read/mmio_write on the caller's thread, under the device's
 *    register lock (dev->reg_lock), after the core has checked the access
 *    width (ops->access_sizes) and alignment;
 *  - a device thread that calls ops->run whenever the model was kicked
 *    (dk_hw_kick(), typically from a doorbell write) and sleeps otherwise;
 *  - the DMA path (hw/dma.h) to reach RAM by bus address;
 *  - interrupt vectors, raised with dk_hw_irq_raise().
 * A model never calls software and never dereferences a pointer software
 * handed it.
 *
 * LOCKING: reg_lock serializes register handlers with whatever the device
 * thread does to the same registers. Never run the DMA path or raise an
 * interrupt while a caller may be waiting on reg_lock for long: copy what the
 * transfer needs under the lock, drop it, move the data.
 */
#ifndef DMAKIT_HW_DEVICE_H
#define DMAKIT_HW_DEVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <dmakit/api.h>
#include <dmakit/machine.h>

struct dk_hw_dev;

#define DK_DMA_SLOTS	4	/* concurrent DMA-path calls per device */
#define DK_P2P_MAX	8	/* peer-to-peer targets per initiator */
#define DK_DMA_SLOT_STATS 11
#define DK_DMAREQ_OUT_MAX 4	/* DMA request outputs per device */
#define DK_DMAREQ_IN_MAX 32	/* DMA request inputs per controller */

/*
 * struct dk_dma_slot - an in-flight marker of one DMA-path call (private to
 * hw/dma.c and the IOMMU model)
 * @seq: odd while a call holds the slot: taken with a seq_cst CAS from an
 *       even value, released with a release store of the next even value.
 *       An IOMMU invalidation wait reads it (seq_cst) and, if odd, waits
 *       until it changes.
 * The other fields belong to the slot's holder (handed over through @seq):
 * @gen: IOMMU generation the cached translations below were made under
 * @rd_bus/@rd_end/@rd_phys: last read translation, [rd_bus, rd_end)
 * @wr_bus/@wr_end/@wr_phys: last write translation
 * @stat: IOMMU statistics counted by this slot's holder; written with
 *        relaxed atomic stores, summed by the IOMMU's STAT_VAL
 * @busy_bus/@busy_len: the bus ranges the current call touches (a copy has
 *        two), for the debug-only bus monitor dk__dma_monitor_busy();
 *        atomic, the lengths are 0 while the slot is free
 * @dma: the device's DMA counters (read transactions, read bytes, write
 *       transactions, write bytes) counted by this slot's holder, as @stat;
 *       dk_device_counters() adds them up
 */
struct dk_dma_slot {
	uint64_t seq;
	uint64_t gen;
	uint64_t rd_bus, rd_end, rd_phys;
	uint64_t wr_bus, wr_end, wr_phys;
	uint64_t stat[DK_DMA_SLOT_STATS];
	uint64_t busy_bus[2];
	uint64_t busy_len[2];
	uint64_t dma[4];
	uint64_t pad[5];	/* 256 bytes: no false sharing between slots */
};

/**
 * struct dk_hw_ops - what a device model implements
 * @name: model name; also the platform driver name that binds to it
 * @mmio_size: size of the register window (4 KiB multiple)
 * @nr_irqs: interrupt vectors the device needs
 * @access_sizes: bitmask of allowed access widths in bytes (1|2|4|8)
 * @reset: put registers in their reset state (required); called before the
 *         thread starts and on demand
 * @mmio_read: register read (required); offset in the window, @size bytes
 * @mmio_write: register write (required)
 * @run: device-thread body, called after a kick; returns when it has no more
 *       work (optional: a device without a thread leaves it NULL)
 * @release: free the model's state, after the thread is joined (required)
 * @nr_dmareq_out: DMA request outputs the device drives (a peripheral),
 *                 at most DK_DMAREQ_OUT_MAX; see dk_hw_dmareq_set()
 * @nr_dmareq_in: DMA request inputs (a DMA controller), at most
 *                DK_DMAREQ_IN_MAX; needs @dmareq
 * @dmareq: a wired request input @line changed to @level (optional; a DMA
 *          controller). Called on the thread that drove the output (a
 *          peripheral's MMIO handler or device thread, possibly under the
 *          peripheral's reg_lock), never under this device's reg_lock: it
 *          must not take this device's reg_lock (a CPU may hold it while
 *          waiting for this device's thread). Typically records nothing
 *          and kicks the thread, which reads dk_hw_dmareq_input().
 */
struct dk_hw_ops {
	const char *name;
	uint64_t mmio_size;
	unsigned int nr_irqs;
	unsigned int access_sizes;
	void (*reset)(struct dk_hw_dev *dev);
	uint64_t (*mmio_read)(struct dk_hw_dev *dev, uint64_t off,
			      unsigned int size);
	void (*mmio_write)(struct dk_hw_dev *dev, uint64_t off, uint64_t val,
			   unsigned int size);
	void (*run)(struct dk_hw_dev *dev);
	void (*release)(struct dk_hw_dev *dev);
	unsigned int nr_dmareq_out;
	unsigned int nr_dmareq_in;
	void (*dmareq)(struct dk_hw_dev *dev, unsigned int line, bool level);
};

/**
 * struct dk_hw_counters - what a device did (read as struct dk_counters)
 *
 * Relaxed atomics. Register accesses are counted by CPU threads,
 * interrupts and faults by the device's side: the two groups sit on
 * different cache lines so that a CPU polling a register does not slow the
 * device's accounting. DMA transactions and bytes are counted per
 * in-flight slot (struct dk_dma_slot's @dma: no atomic read-modify-write
 * on the data path); dk_device_counters() adds them up.
 */
struct dk_hw_counters {
	uint64_t mmio_reads;
	uint64_t mmio_writes;
	_Alignas(64) uint64_t irqs;
	uint64_t faults;
};

/**
 * struct dk_hw_dev - the machine's view of a device; embed it first
 * @name: instance name
 * @ops: the model
 * @machine: the machine it sits on
 * @requester_id: bus:dev.fn, as the IOMMU will see it
 * @mmio_base: physical base of the window
 * @irq_base: first vector; the device owns irq_base .. irq_base + nr_irqs - 1
 * @dma_limit: highest bus address the device can drive
 * @iommu_group: group number (devices sharing one share a domain)
 * @reg_lock: serializes register handlers (see LOCKING above)
 * @counters: what the device did
 * @trace_track: trace track of the device
 */
struct dk_hw_dev {
	const char *name;
	const struct dk_hw_ops *ops;
	struct dk_machine *machine;
	uint16_t requester_id;
	uint64_t mmio_base;
	unsigned int irq_base;
	uint64_t dma_limit;
	int iommu_group;
	pthread_mutex_t reg_lock;
	struct dk_hw_counters counters;
	uint32_t trace_track;

	/* Device thread; private to the core. */
	pthread_t thread;
	pthread_mutex_t thr_lock;
	pthread_cond_t thr_cond;
	bool kicked;	/* under thr_lock */
	unsigned long kicks;	/* atomic; bumped under thr_lock (polling) */
	bool stopping;	/* written under thr_lock, read atomically */
	bool has_thread;
	char name_buf[32];

	/*
	 * Private to the DMA path and the IOMMU model (hw/dma.c,
	 * hw/iommu*.c): in-flight markers, peer-to-peer targets.
	 */
	struct dk_dma_slot dma_slot[DK_DMA_SLOTS];
	struct dk_hw_dev *p2p_target[DK_P2P_MAX];	/* under m->dev_lock;
							 * read atomically */
	bool dma_target_refused;	/* never a peer-to-peer target */

	/*
	 * DMA request wiring (hw/dmareq.c). dmareq_level: bit n is output n's
	 * level (atomic). The wiring is set under m->dev_lock and read
	 * atomically: dmareq_dst[n]/dmareq_dst_line[n] say where output n
	 * goes, dmareq_src[l]/dmareq_src_out[l] what drives input l.
	 */
	uint32_t dmareq_level;
	struct dk_hw_dev *dmareq_dst[DK_DMAREQ_OUT_MAX];
	unsigned int dmareq_dst_line[DK_DMAREQ_OUT_MAX];
	struct dk_hw_dev *dmareq_src[DK_DMAREQ_IN_MAX];
	unsigned int dmareq_src_out[DK_DMAREQ_IN_MAX];
	bool timed_sleep;	/* under thr_lock: in dk_hw_sleep_until() */
};

/**
 * dk_hw_device_add() - place a model on the machine and start it
 * @m: the machine
 * @cfg: placement (see struct dk_device_config)
 * @dev: the model's embedded struct, zero-initialized except for what the
 *       model set up; its state struct must stay valid until ops->release
 * @ops: the model
 * @out: receives the platform device that software binds to (may be NULL)
 *
 * Validates @ops once (required ops present, sizes sane), places the window
 * and the vectors, calls ops->reset, starts the device thread and publishes
 * the platform device. On failure nothing is kept and ops->release is
 * called, so the caller need not free its state.
 *
 * Context: process.
 * Return: 0 or -errno (see dk_machine_add_testdev()).
 */
DK_API int dk_hw_device_add(struct dk_machine *m,
			    const struct dk_device_config *cfg,
			    struct dk_hw_dev *dev, const struct dk_hw_ops *ops,
			    struct platform_device **out);

/**
 * dk_hw_kick() - wake the device thread to call ops->run
 * @dev: the device
 *
 * Kicks that arrive while ops->run runs are not lost: run is called again.
 * Context: any (typically an MMIO handler under reg_lock).
 */
DK_API void dk_hw_kick(struct dk_hw_dev *dev);

/**
 * dk_hw_stopping() - true once the machine wants the device thread to end
 *
 * A long ops->run checks this between chunks and returns early.
 */
DK_API bool dk_hw_stopping(struct dk_hw_dev *dev);

/**
 * dk_hw_sleep_until() - sleep in ops->run until a machine time, a kick or stop
 * @dev: the device
 * @when_ns: machine time (dk_clock_ns()) to wake at
 *
 * For models that pace themselves by the machine clock. Returns at once if
 * a kick is pending or the device is stopping, else when the clock reaches
 * @when_ns (with a manual clock: when dk_clock_advance() moves it; the
 * caller re-checks the time), on a kick, or at stop. Consumes the pending
 * kick: the caller re-examines all its state after it returns.
 * Context: the device's own thread (inside ops->run); no lock held.
 */
DK_API void dk_hw_sleep_until(struct dk_hw_dev *dev, uint64_t when_ns);

/**
 * dk_hw_dmareq_set() - drive one of the device's DMA request outputs
 * @dev: the peripheral
 * @out: output index, 0 .. ops->nr_dmareq_out - 1
 * @level: true to assert
 *
 * Records the level and, when it changed and the output is wired, calls the
 * controller's ops->dmareq with its input line. Calls for one output must
 * be serialized by the peripheral (its reg_lock, typically). Cheap: one
 * atomic when the level does not change.
 * Context: any thread of the peripheral (MMIO handler, device thread).
 */
DK_API void dk_hw_dmareq_set(struct dk_hw_dev *dev, unsigned int out,
			     bool level);

/**
 * dk_hw_dmareq_input() - the current level of a controller's request input
 * @dev: the controller
 * @line: input, 0 .. ops->nr_dmareq_in - 1
 *
 * Return: the level of the output wired to @line; false if none is wired.
 * Context: any; lock-free (acquire loads).
 */
DK_API bool dk_hw_dmareq_input(struct dk_hw_dev *dev, unsigned int line);

/**
 * dk_hw_irq_raise() - send the device's interrupt message @idx
 * @dev: the device
 * @idx: 0 .. ops->nr_irqs - 1
 *
 * An MSI write: edge, latched by the interrupt controller while the handler
 * runs or the vector is disabled, delivered once.
 * Context: any; takes the interrupt controller's lock only.
 */
DK_API void dk_hw_irq_raise(struct dk_hw_dev *dev, unsigned int idx);

/**
 * struct dk_hw_irq_line - edge detector for status & mask style interrupts
 *
 * Call dk_hw_irq_update() with (status & mask) after every change: it sends
 * the message when the value goes from zero to non-zero.
 */
struct dk_hw_irq_line {
	bool asserted;
};

/**
 * dk_hw_irq_update() - send @idx on a zero to non-zero transition
 * @dev: the device
 * @line: the line's state (protected by the caller, usually reg_lock)
 * @idx: vector index
 * @pending: status & mask
 */
DK_API void dk_hw_irq_update(struct dk_hw_dev *dev, struct dk_hw_irq_line *line,
			     unsigned int idx, uint64_t pending);

#endif
