/* SPDX-License-Identifier: MIT */
/*
 * drivers/fifo.h - client API of the DK-FIFO's driver (src/drivers/fifo.c,
 * platform driver "dk-fifo"), a dmaengine slave client.
 *
 * The board wires the FIFO's request outputs to a DMA controller with
 * dk_machine_connect_dma(m, fifo, 0, "rx", dmac, line) and
 * (m, fifo, 1, "tx", dmac, line'); probe takes both channels with
 * dma_request_chan() and configures them for the FIFO's data registers
 * (8-byte accesses, bursts of DK_FIFO_BURST_BYTES). While the controller
 * has no registered dma_device (its driver, built in, was unregistered),
 * probe fails with -EPROBE_DEFER and the device stays unbound until the
 * controller's driver binds again: the platform bus then retries it.
 *
 * Data moves only by DMA, through the controller: receive pops the RX
 * stream (byte i is dk_fifo_pattern(i, rx_seed), section 4 of
 * docs/hw/fifo.md) into memory; transmit pushes memory into the TX sink,
 * which can check it against the same pattern. One receive (or cyclic
 * receive) and one transmit may run at a time per FIFO.
 *
 * Buffers are CPU pointers into simulated RAM (kmalloc(), alloc_pages());
 * the driver DMA-maps them on the controller's device
 * (dmaengine_get_dma_device()) for the duration of the transfer. Lengths
 * are multiples of DK_FIFO_WIDTH bytes.
 */
#ifndef DMAKIT_DRIVERS_FIFO_H
#define DMAKIT_DRIVERS_FIFO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <dmakit/api.h>

struct platform_device;
struct scatterlist;
struct dma_chan;
struct dk_fifo;

/* Bus width (bytes) and burst (beats) the driver programs on both sides. */
#define DK_FIFO_WIDTH		8
#define DK_FIFO_BURST		16
#define DK_FIFO_BURST_BYTES	(DK_FIFO_WIDTH * DK_FIFO_BURST)

/** dk_fifo_pattern() - byte @i of a stream with @seed (datasheet 4) */
static inline u8 dk_fifo_pattern(u64 i, u8 seed)
{
	return (u8)(i * 7 + seed);
}

/**
 * typedef dk_fifo_done_fn - an asynchronous transfer ended
 * @arg: the client's pointer
 * @result: 0; -EIO (the controller reported an error); -ECANCELED
 *          (dk_fifo_cancel() or the driver unbinding stopped it)
 *
 * Context: tasklet (the DMA completion callback) for a finished transfer;
 * process (the canceller) for -ECANCELED. Must not sleep. The buffer is
 * unmapped already (the CPU may read it).
 */
typedef void (*dk_fifo_done_fn)(void *arg, int result);

/**
 * typedef dk_fifo_period_fn - a cyclic receive completed period(s)
 * @arg: the client's pointer
 *
 * Context: tasklet. Several periods that end before the tasklet runs give
 * one call, as in Linux: use dk_fifo_rx_cyclic_pos() for the position.
 */
typedef void (*dk_fifo_period_fn)(void *arg);

/**
 * dk_fifo_driver_register() - register the "dk-fifo" platform driver
 * Context: process. Return: 0, or platform_driver_register()'s error.
 */
DK_API int dk_fifo_driver_register(void);

/**
 * dk_fifo_driver_unregister() - unbind from every FIFO, unregister
 *
 * Transfers in flight are terminated (their clients told -ECANCELED), the
 * channels released.
 * Context: process; not concurrently with calls on the same FIFOs.
 */
DK_API void dk_fifo_driver_unregister(void);

/**
 * dk_fifo_get() - the @index-th bound FIFO, in binding order
 * Context: process; takes the driver's list mutex. Return: handle or NULL.
 */
DK_API struct dk_fifo *dk_fifo_get(unsigned int index);

/** dk_fifo_from_pdev() - the handle of @pdev if bound, else NULL */
DK_API struct dk_fifo *dk_fifo_from_pdev(struct platform_device *pdev);

/** dk_fifo_name() - the device's instance name ("" for NULL) */
DK_API const char *dk_fifo_name(const struct dk_fifo *f);

/** dk_fifo_chan() - the "rx" (@tx false) or "tx" channel, for inspection */
DK_API struct dma_chan *dk_fifo_chan(struct dk_fifo *f, bool tx);

/**
 * struct dk_fifo_setup - stream parameters (datasheet sections 4 and 5)
 * @rx_seed: RX pattern seed
 * @tx_seed: TX checker seed
 * @rx_rate: generator rate, bytes per ms of machine time (0: at once)
 * @tx_rate: sink rate (0: at once)
 * @tx_check: the sink checks every byte against the TX pattern
 */
struct dk_fifo_setup {
	u8 rx_seed;
	u8 tx_seed;
	u32 rx_rate;
	u32 tx_rate;
	bool tx_check;
};

/**
 * dk_fifo_setup() - stop both halves, flush both FIFOs (stream indices
 * back to 0) and apply @s
 * Context: process; takes the FIFO's lock.
 * Return: 0; -EINVAL (NULL); -EBUSY (a transfer is in flight).
 */
DK_API int dk_fifo_setup(struct dk_fifo *f, const struct dk_fifo_setup *s);

/**
 * dk_fifo_receive() - receive @len bytes of the RX stream into @buf
 * @f: the FIFO
 * @buf: simulated-RAM buffer
 * @len: bytes, a non-zero multiple of DK_FIFO_WIDTH
 * @timeout_ms: how long to wait for the transfer
 *
 * Maps @buf DMA_FROM_DEVICE, prepares a DEV_TO_MEM slave transfer
 * (dmaengine_prep_slave_single), submits, issues, turns the FIFO's RX
 * request on and sleeps until the callback. The stream continues where
 * the previous receive stopped.
 * Context: process (sleeps).
 * Return: 0; -EINVAL; -EBUSY (a receive is in flight); -ENOMEM (mapping);
 * -EIO (prep failed or the controller reported an error); -ETIMEDOUT
 * (the transfer was terminated).
 */
DK_API int dk_fifo_receive(struct dk_fifo *f, void *buf, size_t len,
			   unsigned int timeout_ms);

/**
 * dk_fifo_receive_sg() - dk_fifo_receive() into a scatterlist
 * @sgl: @nents entries of simulated RAM, each a multiple of DK_FIFO_WIDTH
 *
 * Maps the list with dma_map_sg(), transfers with dmaengine_prep_slave_sg.
 * Context and return: as dk_fifo_receive().
 */
DK_API int dk_fifo_receive_sg(struct dk_fifo *f, struct scatterlist *sgl,
			      unsigned int nents, unsigned int timeout_ms);

/**
 * dk_fifo_receive_async() - start a receive; @done is called when it ends
 * @done: called exactly once if this returns 0 (see dk_fifo_done_fn)
 * Context: process, or a done callback (does not sleep).
 * Return: 0 (started); -EINVAL; -EBUSY; -ENOMEM; -EIO.
 */
DK_API int dk_fifo_receive_async(struct dk_fifo *f, void *buf, size_t len,
				 dk_fifo_done_fn done, void *arg);

/**
 * dk_fifo_transmit() - send @len bytes of @buf to the TX sink
 *
 * Maps @buf DMA_TO_DEVICE, prepares a MEM_TO_DEV transfer, turns the TX
 * request on and sleeps until the callback, i.e. until the last byte is in
 * the TX FIFO; dk_fifo_tx_drain() waits for the sink to consume it.
 * Context and return: as dk_fifo_receive().
 */
DK_API int dk_fifo_transmit(struct dk_fifo *f, const void *buf, size_t len,
			    unsigned int timeout_ms);

/** dk_fifo_transmit_async() - start a transmit; see dk_fifo_receive_async() */
DK_API int dk_fifo_transmit_async(struct dk_fifo *f, const void *buf,
				  size_t len, dk_fifo_done_fn done, void *arg);

/**
 * dk_fifo_cancel() - terminate the FIFO's transfers (not a cyclic one)
 *
 * dmaengine_terminate_sync() on both channels; a transfer that had not
 * finished gets its done call with -ECANCELED.
 * Context: process, not from a done callback.
 */
DK_API void dk_fifo_cancel(struct dk_fifo *f);

/**
 * dk_fifo_tx_drain() - wait until the TX FIFO is empty
 * Context: process (polls the TX_LEVEL register, yielding).
 * Return: 0; -EINVAL; -ETIMEDOUT.
 */
DK_API int dk_fifo_tx_drain(struct dk_fifo *f, unsigned int timeout_ms);

/**
 * dk_fifo_rx_cyclic_start() - receive into a ring, forever
 * @f: the FIFO
 * @ring_len: ring size, a multiple of @period_len
 * @period_len: a non-zero multiple of DK_FIFO_BURST_BYTES
 * @fn: called per completed period (tasklet context; may be NULL)
 * @arg: passed to @fn
 * @ring: receives the ring's CPU address (dma_alloc_coherent() on the
 *        controller's device; valid until dk_fifo_rx_cyclic_stop())
 *
 * Prepares a cyclic DEV_TO_MEM transfer (dmaengine_prep_dma_cyclic) with a
 * callback per period, submits, issues and turns the RX request on.
 * Context: process.
 * Return: 0; -EINVAL; -EBUSY (a receive is in flight); -ENOMEM; -EIO.
 */
DK_API int dk_fifo_rx_cyclic_start(struct dk_fifo *f, size_t ring_len,
				   size_t period_len, dk_fifo_period_fn fn,
				   void *arg, void **ring);

/**
 * dk_fifo_rx_cyclic_pos() - where the controller writes next in the ring
 * @pos: receives the byte offset (ring_len - residue)
 * Context: any. Return: 0; -EINVAL (no cyclic receive running).
 */
DK_API int dk_fifo_rx_cyclic_pos(struct dk_fifo *f, size_t *pos);

/**
 * dk_fifo_rx_cyclic_stop() - terminate the cyclic receive, free the ring
 * @f: the FIFO
 * @last: if not NULL, receives the ring's final contents (ring_len bytes),
 *        copied after the controller stopped and before the ring is freed
 *
 * dmaengine_terminate_sync(): when it returns no period callback runs or
 * will run, and the controller no longer writes the ring.
 * Context: process, not from the period callback.
 * Return: 0; -EINVAL (none running).
 */
DK_API int dk_fifo_rx_cyclic_stop(struct dk_fifo *f, void *last);

/**
 * struct dk_fifo_stats - the FIFO's counters and the driver's
 * @rx_count: RX_COUNT, stream index of the next byte generated
 * @rx_dropped: RX_DROPPED
 * @tx_count: TX_COUNT, bytes the sink consumed
 * @tx_errors: TX_ERRORS, bytes the checker found wrong
 * @rx_level: RX_LEVEL
 * @tx_level: TX_LEVEL
 * @rx_bytes: bytes the driver's receives delivered since setup
 * @tx_bytes: bytes the driver's transmits pushed since setup
 * @error_irqs: error interrupts (overrun, underrun, mismatch) handled
 */
struct dk_fifo_stats {
	u64 rx_count;
	u32 rx_dropped;
	u64 tx_count;
	u32 tx_errors;
	u32 rx_level;
	u32 tx_level;
	u64 rx_bytes;
	u64 tx_bytes;
	u64 error_irqs;
};

/** dk_fifo_get_stats() - read them. Context: any. Return: 0 or -EINVAL. */
DK_API int dk_fifo_get_stats(struct dk_fifo *f, struct dk_fifo_stats *st);

#endif
