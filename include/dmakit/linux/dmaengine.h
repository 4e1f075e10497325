/* SPDX-License-Identifier: MIT */
/*
 * linux/dmaengine.h - the dmaengine API: clients request a channel,
 * configure it, prepare descriptors, submit them, issue them and get a
 * callback; providers (DMA controller drivers) describe their controller in
 * a struct dma_device and register it.
 *
 * Same names, types and semantics as Linux 6.1, with these differences:
 * - The client helpers Linux has as static inlines (dmaengine_prep_*,
 *   dmaengine_submit, dma_async_issue_pending, dmaengine_tx_status, ...)
 *   are library functions here: they check their arguments and the
 *   channel's state (NULL, released, op missing) and log a clear error
 *   instead of crashing. Their return values are Linux's (NULL from a prep,
 *   -ENOSYS for a missing pause/resume/config/terminate, ...).
 * - dma_request_chan() resolves through the board's slave map
 *   (dk_machine_connect_dma()) and the providers' filter.map; no device
 *   tree or ACPI. It returns -ENODEV when no map entry names the pair,
 *   -EPROBE_DEFER while the controller has no registered dma_device, and
 *   -EBUSY when all its channels are taken or refused by its filter
 *   (Linux says -EPROBE_DEFER for the last case too).
 * - No public (shared) channels: every channel is exclusive to the client
 *   that requested it (dmaengine_get()/dma_find_channel() do not exist).
 * - No async_tx dependency chains, no unmap data, no metadata, no RAID ops
 *   (xor/pq prep ops are absent; their capability bits exist).
 *
 * Callbacks run in tasklet context (at irq exit on the hard-IRQ thread,
 * or on the softirq thread), in cookie order
 * per channel, for providers built on virt-dma; see Documentation in
 * Linux's client.rst for the rules a client follows.
 */
#ifndef DMAKIT_LINUX_DMAENGINE_H
#define DMAKIT_LINUX_DMAENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dmakit/api.h>
#include <linux/types.h>
#include <linux/list.h>
#include <linux/err.h>
#include <linux/errno.h>

struct device;
struct scatterlist;

/* ---- cookies and status -------------------------------------------------- */

/**
 * typedef dma_cookie_t - an opaque transaction id, > 0 once submitted;
 * < 0 is an error from dmaengine_submit().
 */
typedef s32 dma_cookie_t;
#define DMA_MIN_COOKIE	1

static inline int dma_submit_error(dma_cookie_t cookie)
{
	return cookie < 0 ? cookie : 0;
}

/**
 * enum dma_status - DMA transaction status
 * @DMA_COMPLETE: transaction completed
 * @DMA_IN_PROGRESS: transaction not yet processed
 * @DMA_PAUSED: transaction is paused
 * @DMA_ERROR: transaction failed
 * @DMA_OUT_OF_ORDER: the device completes out of order (cookies invalid)
 */
enum dma_status {
	DMA_COMPLETE,
	DMA_IN_PROGRESS,
	DMA_PAUSED,
	DMA_ERROR,
	DMA_OUT_OF_ORDER,
};

/**
 * enum dma_transaction_type - capability bits of a dma_device (cap_mask)
 */
enum dma_transaction_type {
	DMA_MEMCPY,
	DMA_XOR,
	DMA_PQ,
	DMA_XOR_VAL,
	DMA_PQ_VAL,
	DMA_MEMSET,
	DMA_MEMSET_SG,
	DMA_INTERRUPT,
	DMA_PRIVATE,
	DMA_ASYNC_TX,
	DMA_SLAVE,
	DMA_CYCLIC,
	DMA_INTERLEAVE,
	DMA_COMPLETION_NO_ORDER,
	DMA_REPEAT,
	DMA_LOAD_EOT,
/* last transaction type for creation of the capabilities mask */
	DMA_TX_TYPE_END,
};

/**
 * enum dma_transfer_direction - direction of a transfer
 * @DMA_MEM_TO_MEM: async/memcpy mode
 * @DMA_MEM_TO_DEV: slave mode, memory to device (FIFO)
 * @DMA_DEV_TO_MEM: slave mode, device (FIFO) to memory
 * @DMA_DEV_TO_DEV: slave mode, device to device
 * @DMA_TRANS_NONE: invalid
 */
enum dma_transfer_direction {
	DMA_MEM_TO_MEM,
	DMA_MEM_TO_DEV,
	DMA_DEV_TO_MEM,
	DMA_DEV_TO_DEV,
	DMA_TRANS_NONE,
};

/* ---- interleaved transfers ----------------------------------------------- */

/**
 * struct data_chunk - one chunk of a frame
 * @size: bytes to read from source (= bytes written to destination)
 * @icg: inter-chunk gap, bytes to skip after this chunk on both sides
 * @dst_icg: gap on the destination side (overrides @icg when non-zero)
 * @src_icg: gap on the source side (overrides @icg when non-zero)
 */
struct data_chunk {
	size_t size;
	size_t icg;
	size_t dst_icg;
	size_t src_icg;
};

/**
 * struct dma_interleaved_template - a 2-D transfer
 * @src_start: bus address of the first chunk's source
 * @dst_start: bus address of the first chunk's destination
 * @dir: direction
 * @src_inc: source address increments after each chunk
 * @dst_inc: destination address increments after each chunk
 * @src_sgl: apply the gaps (icg) on the source side
 * @dst_sgl: apply the gaps (icg) on the destination side
 * @numf: number of frames
 * @frame_size: chunks per frame (entries in @sgl)
 * @sgl: the chunks of one frame
 */
struct dma_interleaved_template {
	dma_addr_t src_start;
	dma_addr_t dst_start;
	enum dma_transfer_direction dir;
	bool src_inc;
	bool dst_inc;
	bool src_sgl;
	bool dst_sgl;
	size_t numf;
	size_t frame_size;
	struct data_chunk sgl[];
};

/* Gap after chunk @chunk on the destination side. */
static inline size_t dmaengine_get_dst_icg(struct dma_interleaved_template *xt,
					   struct data_chunk *chunk)
{
	if (!xt->dst_inc)
		return 0;
	if (!xt->dst_sgl)
		return 0;
	return chunk->dst_icg ? chunk->dst_icg : chunk->icg;
}

/* Gap after chunk @chunk on the source side. */
static inline size_t dmaengine_get_src_icg(struct dma_interleaved_template *xt,
					   struct data_chunk *chunk)
{
	if (!xt->src_inc)
		return 0;
	if (!xt->src_sgl)
		return 0;
	return chunk->src_icg ? chunk->src_icg : chunk->icg;
}

/* ---- descriptor flags ---------------------------------------------------- */

/**
 * enum dma_ctrl_flags - flags of a prep call and of tx->flags
 * @DMA_PREP_INTERRUPT: raise a completion interrupt/callback for this one
 * @DMA_CTRL_ACK: the client is done with the descriptor's dependency
 *                bookkeeping (async_tx); slave clients pass it at prep
 * @DMA_PREP_PQ_DISABLE_P: RAID (unused here)
 * @DMA_PREP_PQ_DISABLE_Q: RAID (unused here)
 * @DMA_PREP_CONTINUE: RAID (unused here)
 * @DMA_PREP_FENCE: later operations depend on this one's result
 * @DMA_CTRL_REUSE: the descriptor survives completion, for resubmission,
 *                  until dmaengine_desc_free() (set with
 *                  dmaengine_desc_set_reuse())
 * @DMA_PREP_CMD: command-format descriptor
 * @DMA_PREP_REPEAT: repeat until a new one with LOAD_EOT is queued
 * @DMA_PREP_LOAD_EOT: replace the repeating transfer at its end
 */
enum dma_ctrl_flags {
	DMA_PREP_INTERRUPT = (1 << 0),
	DMA_CTRL_ACK = (1 << 1),
	DMA_PREP_PQ_DISABLE_P = (1 << 2),
	DMA_PREP_PQ_DISABLE_Q = (1 << 3),
	DMA_PREP_CONTINUE = (1 << 4),
	DMA_PREP_FENCE = (1 << 5),
	DMA_CTRL_REUSE = (1 << 6),
	DMA_PREP_CMD = (1 << 7),
	DMA_PREP_REPEAT = (1 << 8),
	DMA_PREP_LOAD_EOT = (1 << 9),
};

/* ---- capability mask ----------------------------------------------------- */

/* typedef dma_cap_mask_t - one bit per enum dma_transaction_type */
typedef struct {
	unsigned long bits[1];
} dma_cap_mask_t;

#define dma_cap_set(tx, mask)	__dma_cap_set((tx), &(mask))
static inline void __dma_cap_set(enum dma_transaction_type tx_type,
				 dma_cap_mask_t *dstp)
{
	dstp->bits[0] |= 1ul << tx_type;
}

#define dma_cap_clear(tx, mask)	__dma_cap_clear((tx), &(mask))
static inline void __dma_cap_clear(enum dma_transaction_type tx_type,
				   dma_cap_mask_t *dstp)
{
	dstp->bits[0] &= ~(1ul << tx_type);
}

#define dma_cap_zero(mask)	__dma_cap_zero(&(mask))
static inline void __dma_cap_zero(dma_cap_mask_t *dstp)
{
	dstp->bits[0] = 0;
}

#define dma_has_cap(tx, mask)	__dma_has_cap((tx), &(mask))
static inline bool __dma_has_cap(enum dma_transaction_type tx_type,
				 const dma_cap_mask_t *srcp)
{
	return (srcp->bits[0] >> tx_type) & 1ul;
}

#define for_each_dma_cap_mask(cap, mask)                                     \
	for ((cap) = 0; (cap) < DMA_TX_TYPE_END; (cap)++)                    \
		if (__dma_has_cap((cap), &(mask)))

/* ---- slave configuration ------------------------------------------------- */

/**
 * enum dma_slave_buswidth - width of a peripheral register, in bytes
 */
enum dma_slave_buswidth {
	DMA_SLAVE_BUSWIDTH_UNDEFINED = 0,
	DMA_SLAVE_BUSWIDTH_1_BYTE = 1,
	DMA_SLAVE_BUSWIDTH_2_BYTES = 2,
	DMA_SLAVE_BUSWIDTH_3_BYTES = 3,
	DMA_SLAVE_BUSWIDTH_4_BYTES = 4,
	DMA_SLAVE_BUSWIDTH_8_BYTES = 8,
	DMA_SLAVE_BUSWIDTH_16_BYTES = 16,
	DMA_SLAVE_BUSWIDTH_32_BYTES = 32,
	DMA_SLAVE_BUSWIDTH_64_BYTES = 64,
	DMA_SLAVE_BUSWIDTH_128_BYTES = 128,
};

/**
 * struct dma_slave_config - a slave channel's peripheral side
 * @direction: deprecated (the prep call's direction is what counts)
 * @src_addr: bus address of the peripheral register DEV_TO_MEM reads
 * @dst_addr: bus address of the peripheral register MEM_TO_DEV writes
 * @src_addr_width: width of @src_addr accesses
 * @dst_addr_width: width of @dst_addr accesses
 * @src_maxburst: words per burst on the source side
 * @dst_maxburst: words per burst on the destination side
 * @src_port_window_size: register area size on the source side (words)
 * @dst_port_window_size: register area size on the destination side
 * @device_fc: the peripheral is the flow controller
 * @peripheral_config: provider-specific extra configuration
 * @peripheral_size: size of @peripheral_config
 *
 * Applies to descriptors prepared after dmaengine_slave_config() only.
 */
struct dma_slave_config {
	enum dma_transfer_direction direction;
	phys_addr_t src_addr;
	phys_addr_t dst_addr;
	enum dma_slave_buswidth src_addr_width;
	enum dma_slave_buswidth dst_addr_width;
	u32 src_maxburst;
	u32 dst_maxburst;
	u32 src_port_window_size;
	u32 dst_port_window_size;
	bool device_fc;
	void *peripheral_config;
	size_t peripheral_size;
};

/**
 * enum dma_residue_granularity - how precise a reported residue is
 * @DMA_RESIDUE_GRANULARITY_DESCRIPTOR: no residue; a cookie is either
 *   in progress (residue = whole) or complete (0)
 * @DMA_RESIDUE_GRANULARITY_SEGMENT: updated per SG entry / cyclic period
 * @DMA_RESIDUE_GRANULARITY_BURST: updated per burst (progress counter)
 */
enum dma_residue_granularity {
	DMA_RESIDUE_GRANULARITY_DESCRIPTOR = 0,
	DMA_RESIDUE_GRANULARITY_SEGMENT = 1,
	DMA_RESIDUE_GRANULARITY_BURST = 2,
};

/**
 * struct dma_slave_caps - what a channel supports (dma_get_slave_caps())
 * @src_addr_widths: bit mask of source bus widths (bit n: n bytes)
 * @dst_addr_widths: bit mask of destination bus widths
 * @directions: bit mask of enum dma_transfer_direction
 * @min_burst: smallest burst
 * @max_burst: largest burst
 * @max_sg_burst: largest number of SG entries per burst
 * @cmd_pause: pause supported (and so the residue of a paused transfer)
 * @cmd_resume: resume supported
 * @cmd_terminate: terminate supported
 * @residue_granularity: residue precision
 * @descriptor_reuse: DMA_CTRL_REUSE supported
 */
struct dma_slave_caps {
	u32 src_addr_widths;
	u32 dst_addr_widths;
	u32 directions;
	u32 min_burst;
	u32 max_burst;
	u32 max_sg_burst;
	bool cmd_pause;
	bool cmd_resume;
	bool cmd_terminate;
	enum dma_residue_granularity residue_granularity;
	bool descriptor_reuse;
};

/* ---- results and descriptors --------------------------------------------- */

/**
 * enum dmaengine_tx_result - outcome of a transaction (callback_result)
 * @DMA_TRANS_NOERROR: success
 * @DMA_TRANS_READ_FAILED: reading the source failed
 * @DMA_TRANS_WRITE_FAILED: writing the destination failed
 * @DMA_TRANS_ABORTED: aborted (not reached by a terminate: terminated
 *                     descriptors get no callback at all)
 */
enum dmaengine_tx_result {
	DMA_TRANS_NOERROR = 0,
	DMA_TRANS_READ_FAILED,
	DMA_TRANS_WRITE_FAILED,
	DMA_TRANS_ABORTED,
};

/**
 * struct dmaengine_result - what callback_result receives
 * @result: the outcome
 * @residue: bytes not transferred
 */
struct dmaengine_result {
	enum dmaengine_tx_result result;
	u32 residue;
};

typedef void (*dma_async_tx_callback)(void *dma_async_param);
typedef void (*dma_async_tx_callback_result)(
	void *dma_async_param, const struct dmaengine_result *result);

struct dma_chan;

/**
 * struct dma_async_tx_descriptor - a prepared transaction
 * @cookie: the transaction's cookie once submitted (0 once completed)
 * @flags: enum dma_ctrl_flags given at prep (+ DMA_CTRL_REUSE)
 * @phys: bus address of the hardware descriptor (provider's)
 * @chan: the channel it was prepared on
 * @tx_submit: provider hook behind dmaengine_submit()
 * @desc_free: provider hook behind dmaengine_desc_free()
 * @callback: legacy completion callback (used when @callback_result is
 *            NULL)
 * @callback_result: completion callback with the result; preferred
 * @callback_param: passed to the callback
 *
 * The client sets the callback fields between prep and submit; after
 * submit the descriptor belongs to the engine (unless DMA_CTRL_REUSE).
 */
struct dma_async_tx_descriptor {
	dma_cookie_t cookie;
	enum dma_ctrl_flags flags;
	dma_addr_t phys;
	struct dma_chan *chan;
	dma_cookie_t (*tx_submit)(struct dma_async_tx_descriptor *tx);
	int (*desc_free)(struct dma_async_tx_descriptor *tx);
	dma_async_tx_callback callback;
	dma_async_tx_callback_result callback_result;
	void *callback_param;
};

/**
 * struct dma_tx_state - filled in by dmaengine_tx_status()
 * @last: last completed cookie
 * @used: last issued (assigned) cookie
 * @residue: bytes left of the queried transaction (0 when the provider
 *           does not report it, see residue_granularity)
 * @in_flight_bytes: bytes sitting in the controller's FIFO
 */
struct dma_tx_state {
	dma_cookie_t last;
	dma_cookie_t used;
	u32 residue;
	u32 in_flight_bytes;
};

/* ---- channels ------------------------------------------------------------ */

struct dma_device;

/**
 * struct dma_chan - a DMA channel
 * @device: the dma_device it belongs to
 * @slave: the client device (dma_request_chan()), else NULL
 * @cookie: last cookie assigned (provider lock; read locklessly)
 * @completed_cookie: last cookie completed (provider lock; read
 *                    locklessly)
 * @chan_id: index within @device, set at registration
 * @name: "dma:<slave name>" after dma_request_chan(), else NULL
 * @device_node: link in dma_device.channels (the provider adds it)
 * @client_count: 1 while a client holds the channel, else 0 (dmaengine
 *                mutex; read atomically by the client calls' checks)
 * @private: the provider's / filter's; after a slave-map request on a
 *           provider without filter.fn it holds the request line as
 *           (void *)(uintptr_t)line
 * @dk_name: "dma<dev_id>chan<chan_id>" (dma_chan_name())
 *
 * Providers embed it (usually through struct virt_dma_chan) and link it
 * into dma_device.channels before dma_async_device_register().
 */
struct dma_chan {
	struct dma_device *device;
	struct device *slave;
	dma_cookie_t cookie;
	dma_cookie_t completed_cookie;
	int chan_id;
	const char *name;
	struct list_head device_node;
	int client_count;
	void *private;
	char dk_name[32];
};

/**
 * typedef dma_filter_fn - client or provider channel filter
 * @chan: a free channel that has the capabilities asked for
 * @filter_param: the requester's parameter (for slave-map requests: the
 *                request line, (void *)(uintptr_t)line)
 *
 * Return: true to take @chan. Called with the dmaengine mutex held;
 * must not request or release channels.
 */
typedef bool (*dma_filter_fn)(struct dma_chan *chan, void *filter_param);

/**
 * struct dma_slave_map - associates a slave device and its channel name
 * with the parameter its controller's filter gets
 * @devname: client device name (dev_name())
 * @slave: channel name (dma_request_chan()'s @name)
 * @param: opaque parameter for the filter function
 */
struct dma_slave_map {
	const char *devname;
	const char *slave;
	void *param;
};

/**
 * struct dma_filter - a provider's filter and slave map
 * @fn: filter function consulted by dma_request_chan() (may be NULL)
 * @mapcnt: entries in @map
 * @map: provider-registered slave map (the board's map, registered with
 *       dk_machine_connect_dma(), is consulted first)
 */
struct dma_filter {
	dma_filter_fn fn;
	int mapcnt;
	const struct dma_slave_map *map;
};

/* ---- the provider -------------------------------------------------------- */

/* log2 alignment a device needs for copies (copy_align, fill_align). */
enum dmaengine_alignment {
	DMAENGINE_ALIGN_1_BYTE = 0,
	DMAENGINE_ALIGN_2_BYTES = 1,
	DMAENGINE_ALIGN_4_BYTES = 2,
	DMAENGINE_ALIGN_8_BYTES = 3,
	DMAENGINE_ALIGN_16_BYTES = 4,
	DMAENGINE_ALIGN_32_BYTES = 5,
	DMAENGINE_ALIGN_64_BYTES = 6,
	DMAENGINE_ALIGN_128_BYTES = 7,
	DMAENGINE_ALIGN_256_BYTES = 8,
};

/**
 * struct dma_device - a DMA controller, as its driver describes it
 * @chancnt: number of channels (set by registration)
 * @privatecnt: channels held by clients (dmaengine mutex)
 * @channels: the struct dma_chan list (linked through device_node)
 * @global_node: link in the registered-device list (dmaengine mutex)
 * @filter: the provider's filter and slave map
 * @cap_mask: capabilities (DMA_MEMCPY, DMA_SLAVE, DMA_CYCLIC, ...)
 * @copy_align: log2 alignment of memcpy offsets and length
 * @fill_align: log2 alignment of memset offsets and length
 * @dev_id: assigned at registration
 * @dev: the controller's struct device (its platform device's dev)
 * @src_addr_widths: bit mask of supported source widths (bit n: n bytes)
 * @dst_addr_widths: bit mask of supported destination widths
 * @directions: bit mask of supported enum dma_transfer_direction
 * @min_burst: smallest burst
 * @max_burst: largest burst
 * @max_sg_burst: largest SG entries per burst (0: no limit)
 * @descriptor_reuse: DMA_CTRL_REUSE supported
 * @residue_granularity: residue precision
 * @device_alloc_chan_resources: a client takes the channel (process
 *   context, may sleep); returns >= 0 or -errno
 * @device_free_chan_resources: the client released it (process context,
 *   after device_synchronize)
 * @device_prep_dma_memcpy: prepare a copy (any context, no sleep)
 * @device_prep_dma_memset: prepare a fill
 * @device_prep_slave_sg: prepare a slave transfer
 * @device_prep_dma_cyclic: prepare a cyclic slave transfer
 * @device_prep_interleaved_dma: prepare a 2-D transfer
 * @device_caps: per-channel override of dma_get_slave_caps()
 * @device_config: store a slave config for later preps
 * @device_pause: pause the channel (synchronous)
 * @device_resume: resume it
 * @device_terminate_all: abort all transfers of the channel, no callbacks
 *   for them; any context, may return before the hardware stopped
 * @device_synchronize: wait until the hardware and the callbacks of the
 *   channel are quiet (process context)
 * @device_tx_status: status and residue of a cookie (any context)
 * @device_issue_pending: push submitted work to the hardware (any context)
 * @device_release: called at unregister (optional)
 *
 * Registration requires device_tx_status and device_issue_pending, and a
 * prep op for each of MEMCPY, MEMSET, CYCLIC, INTERLEAVE claimed in
 * @cap_mask (SLAVE is not checked, as in Linux).
 */
struct dma_device {
	unsigned int chancnt;
	unsigned int privatecnt;
	struct list_head channels;
	struct list_head global_node;
	struct dma_filter filter;
	dma_cap_mask_t cap_mask;
	enum dmaengine_alignment copy_align;
	enum dmaengine_alignment fill_align;

	int dev_id;
	struct device *dev;

	u32 src_addr_widths;
	u32 dst_addr_widths;
	u32 directions;
	u32 min_burst;
	u32 max_burst;
	u32 max_sg_burst;
	bool descriptor_reuse;
	enum dma_residue_granularity residue_granularity;

	int (*device_alloc_chan_resources)(struct dma_chan *chan);
	void (*device_free_chan_resources)(struct dma_chan *chan);

	struct dma_async_tx_descriptor *(*device_prep_dma_memcpy)(
		struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		size_t len, unsigned long flags);
	struct dma_async_tx_descriptor *(*device_prep_dma_memset)(
		struct dma_chan *chan, dma_addr_t dest, int value, size_t len,
		unsigned long flags);
	struct dma_async_tx_descriptor *(*device_prep_slave_sg)(
		struct dma_chan *chan, struct scatterlist *sgl,
		unsigned int sg_len, enum dma_transfer_direction direction,
		unsigned long flags, void *context);
	struct dma_async_tx_descriptor *(*device_prep_dma_cyclic)(
		struct dma_chan *chan, dma_addr_t buf_addr, size_t buf_len,
		size_t period_len, enum dma_transfer_direction direction,
		unsigned long flags);
	struct dma_async_tx_descriptor *(*device_prep_interleaved_dma)(
		struct dma_chan *chan, struct dma_interleaved_template *xt,
		unsigned long flags);

	void (*device_caps)(struct dma_chan *chan,
			    struct dma_slave_caps *caps);
	int (*device_config)(struct dma_chan *chan,
			     struct dma_slave_config *config);
	int (*device_pause)(struct dma_chan *chan);
	int (*device_resume)(struct dma_chan *chan);
	int (*device_terminate_all)(struct dma_chan *chan);
	void (*device_synchronize)(struct dma_chan *chan);

	enum dma_status (*device_tx_status)(struct dma_chan *chan,
					    dma_cookie_t cookie,
					    struct dma_tx_state *txstate);
	void (*device_issue_pending)(struct dma_chan *chan);
	void (*device_release)(struct dma_device *dev);

	bool dk_registered;	/* dmaengine mutex */
};

/* ---- provider registration ----------------------------------------------- */

/**
 * dma_async_device_register() - register a DMA controller
 * @device: filled in, with its channels linked into @device->channels
 *
 * Validates the ops against @cap_mask, numbers the channels, assigns
 * @dev_id and names each channel "dma<dev_id>chan<chan_id>"; from then on
 * clients can request its channels.
 *
 * Context: process; takes the dmaengine mutex.
 * Return: 0; -ENODEV (NULL device, no channels, no machine); -EIO (no dev,
 * a claimed capability without its op, no device_tx_status or
 * device_issue_pending); -EBUSY (registered already).
 */
DK_API int dma_async_device_register(struct dma_device *device);

/**
 * dma_async_device_unregister() - remove a DMA controller
 * @device: as registered
 *
 * Each channel still held by a client is reported (a leak: the client must
 * release it before the driver goes away) and counted in the leaks of
 * dk_machine_destroy().
 *
 * Context: process; takes the dmaengine mutex.
 */
DK_API void dma_async_device_unregister(struct dma_device *device);

/**
 * dma_async_tx_descriptor_init() - bind a descriptor to its channel
 * @tx: the descriptor
 * @chan: its channel
 * Context: any.
 */
static inline void
dma_async_tx_descriptor_init(struct dma_async_tx_descriptor *tx,
			     struct dma_chan *chan)
{
	tx->chan = chan;
}

/**
 * dma_get_any_slave_channel() - take any free channel of @device
 * @device: a registered device
 *
 * For a provider's own translation of a request (Linux: of_xlate).
 * Context: process; takes the dmaengine mutex.
 * Return: the channel (alloc_chan_resources called) or NULL.
 */
DK_API struct dma_chan *dma_get_any_slave_channel(struct dma_device *device);

/**
 * dma_get_slave_channel() - take @chan exclusively
 * @chan: a channel of a registered device
 * Context: process; takes the dmaengine mutex.
 * Return: @chan, or NULL when it is taken.
 */
DK_API struct dma_chan *dma_get_slave_channel(struct dma_chan *chan);

/* ---- client: channels ---------------------------------------------------- */

/**
 * dma_request_chan() - take the channel the board wired to @dev as @name
 * @dev: the client device
 * @name: the channel's name (e.g. "rx", "tx")
 *
 * Looks up (dev_name(@dev), @name) in the board's slave map (then in each
 * provider's filter.map), finds the registered dma_device whose dev is the
 * mapped controller and takes a free DMA_SLAVE channel its filter.fn
 * accepts for the map's parameter (the request line, as
 * (void *)(uintptr_t)line). A provider without filter.fn gets the first
 * free channel, with chan->private set to that parameter.
 *
 * Context: process; takes the dmaengine mutex, calls
 * device_alloc_chan_resources.
 * Return: the channel, or ERR_PTR(): -EINVAL (NULL argument), -ENODEV (no
 * map entry), -EPROBE_DEFER (the controller has not registered),
 * -EBUSY (no free channel accepted), or the alloc_chan_resources error.
 */
DK_API struct dma_chan *dma_request_chan(struct device *dev, const char *name);

/**
 * dma_request_chan_by_mask() - take any free channel with @mask's caps
 * @mask: capabilities the channel must have
 *
 * Context: process; takes the dmaengine mutex.
 * Return: the channel, or ERR_PTR(-EPROBE_DEFER) when no device is
 * registered, ERR_PTR(-ENODEV) when none fits.
 */
DK_API struct dma_chan *dma_request_chan_by_mask(const dma_cap_mask_t *mask);

/**
 * __dma_request_channel() - take a channel with @mask's caps that @fn
 * accepts
 * @mask: capabilities the channel must have
 * @fn: filter, NULL to take the first fitting channel
 * @fn_param: passed to @fn
 * @np: unused (device tree node), pass NULL
 *
 * Context: process; takes the dmaengine mutex.
 * Return: the channel or NULL.
 */
DK_API struct dma_chan *__dma_request_channel(const dma_cap_mask_t *mask,
					      dma_filter_fn fn, void *fn_param,
					      void *np);
#define dma_request_channel(mask, x, y)                                      \
	__dma_request_channel(&(mask), x, y, NULL)

/**
 * dma_release_channel() - give the channel back
 * @chan: as requested
 *
 * Synchronizes the channel (device_synchronize: no callback of it runs
 * afterwards), then calls device_free_chan_resources. Releasing a channel
 * that is not held is reported and does nothing.
 *
 * Context: process (not from a callback); takes the dmaengine mutex.
 */
DK_API void dma_release_channel(struct dma_chan *chan);

/** dma_chan_name() - "dma<dev_id>chan<chan_id>". Context: any. */
static inline const char *dma_chan_name(struct dma_chan *chan)
{
	return chan->dk_name;
}

/**
 * dmaengine_get_dma_device() - the device to DMA-map buffers for @chan with
 * Context: any.
 */
static inline struct device *dmaengine_get_dma_device(struct dma_chan *chan)
{
	return chan->device->dev;
}

/* ---- client: configuration ----------------------------------------------- */

/**
 * dmaengine_slave_config() - set the peripheral side for later preps
 * @chan: a held channel
 * @config: copied by the provider
 *
 * Context: any (provider-defined; ours take a spinlock).
 * Return: 0, -ENOSYS (no device_config), -EINVAL (bad argument or a
 * released channel), or the provider's error.
 */
DK_API int dmaengine_slave_config(struct dma_chan *chan,
				  struct dma_slave_config *config);

/**
 * dma_get_slave_caps() - what @chan supports
 * @chan: a channel
 * @caps: filled in
 *
 * Context: any.
 * Return: 0; -EINVAL (NULL); -ENXIO (the device has neither DMA_SLAVE nor
 * DMA_CYCLIC, or declares no directions) - as Linux.
 */
DK_API int dma_get_slave_caps(struct dma_chan *chan,
			      struct dma_slave_caps *caps);

static inline bool is_slave_direction(enum dma_transfer_direction direction)
{
	return (direction == DMA_MEM_TO_DEV) ||
	       (direction == DMA_DEV_TO_MEM) ||
	       (direction == DMA_DEV_TO_DEV);
}

/* ---- client: preparation -------------------------------------------------
 *
 * Each prep returns NULL (with a logged reason) for a NULL or released
 * channel, a device without the matching capability or op (cyclic needs
 * only the op, as in Linux), or the provider's failure. Context: any,
 * including callbacks; never sleeps.
 */

/** dmaengine_prep_slave_sg() - transfer a DMA-mapped scatterlist */
DK_API struct dma_async_tx_descriptor *
dmaengine_prep_slave_sg(struct dma_chan *chan, struct scatterlist *sgl,
			unsigned int sg_len, enum dma_transfer_direction dir,
			unsigned long flags);

/** dmaengine_prep_slave_single() - transfer one DMA-mapped buffer */
DK_API struct dma_async_tx_descriptor *
dmaengine_prep_slave_single(struct dma_chan *chan, dma_addr_t buf,
			    size_t len, enum dma_transfer_direction dir,
			    unsigned long flags);

/** dmaengine_prep_dma_cyclic() - ring buffer, callback per period */
DK_API struct dma_async_tx_descriptor *
dmaengine_prep_dma_cyclic(struct dma_chan *chan, dma_addr_t buf_addr,
			  size_t buf_len, size_t period_len,
			  enum dma_transfer_direction dir, unsigned long flags);

/**
 * dmaengine_prep_dma_memcpy() - copy @len bytes from @src to @dest
 *
 * Linux calls chan->device->device_prep_dma_memcpy directly; this helper
 * does that after checking DMA_MEMCPY.
 */
DK_API struct dma_async_tx_descriptor *
dmaengine_prep_dma_memcpy(struct dma_chan *chan, dma_addr_t dest,
			  dma_addr_t src, size_t len, unsigned long flags);

/** dmaengine_prep_dma_memset() - fill @len bytes at @dest with @value */
DK_API struct dma_async_tx_descriptor *
dmaengine_prep_dma_memset(struct dma_chan *chan, dma_addr_t dest, int value,
			  size_t len, unsigned long flags);

/**
 * dmaengine_prep_interleaved_dma() - a 2-D transfer; DMA_PREP_REPEAT needs
 * DMA_REPEAT and DMA_PREP_LOAD_EOT needs DMA_LOAD_EOT in cap_mask
 */
DK_API struct dma_async_tx_descriptor *
dmaengine_prep_interleaved_dma(struct dma_chan *chan,
			       struct dma_interleaved_template *xt,
			       unsigned long flags);

/* ---- client: submission and status --------------------------------------- */

/**
 * dmaengine_submit() - queue @desc on its channel (does not start it)
 * @desc: a prepared descriptor
 *
 * Context: any; takes the provider's channel lock.
 * Return: the cookie (> 0), or -EINVAL (NULL, no channel, released
 * channel), -EBUSY (submitted already and not yet completed).
 */
DK_API dma_cookie_t dmaengine_submit(struct dma_async_tx_descriptor *desc);

/**
 * dma_async_issue_pending() - start the submitted descriptors
 * @chan: a held channel
 * Context: any, including hard-IRQ and callbacks.
 */
DK_API void dma_async_issue_pending(struct dma_chan *chan);

/**
 * dmaengine_tx_status() - status (and residue) of @cookie
 * @chan: the channel
 * @cookie: as dmaengine_submit() returned
 * @state: filled in when non-NULL (last, used, residue)
 *
 * Context: any; lockless on the cookie counters (the provider may take
 * its lock to compute the residue).
 * Return: enum dma_status; DMA_ERROR for a NULL or released channel.
 */
DK_API enum dma_status dmaengine_tx_status(struct dma_chan *chan,
					   dma_cookie_t cookie,
					   struct dma_tx_state *state);

/**
 * dma_async_is_complete() - test a cookie against the channel's counters
 * @cookie: the cookie
 * @last_complete: last completed cookie
 * @last_used: last assigned cookie
 *
 * A cookie newer than @last_used reads as complete, as in Linux.
 * Return: DMA_COMPLETE or DMA_IN_PROGRESS.
 */
static inline enum dma_status dma_async_is_complete(dma_cookie_t cookie,
						    dma_cookie_t last_complete,
						    dma_cookie_t last_used)
{
	if (last_complete <= last_used) {
		if ((cookie <= last_complete) || (cookie > last_used))
			return DMA_COMPLETE;
	} else {
		if ((cookie <= last_complete) && (cookie > last_used))
			return DMA_COMPLETE;
	}
	return DMA_IN_PROGRESS;
}

/**
 * dma_async_is_tx_complete() - dmaengine_tx_status() returning the
 * last completed and last used cookies
 * Context: any.
 */
DK_API enum dma_status dma_async_is_tx_complete(struct dma_chan *chan,
						dma_cookie_t cookie,
						dma_cookie_t *last,
						dma_cookie_t *used);

/**
 * dma_sync_wait() - issue pending, then poll @cookie for up to 5000 ms
 * @chan: the channel
 * @cookie: the cookie
 *
 * Context: process (it polls; it yields the CPU between polls).
 * Return: the final status; DMA_ERROR after logging "timeout!".
 */
DK_API enum dma_status dma_sync_wait(struct dma_chan *chan,
				     dma_cookie_t cookie);

/* ---- client: control ----------------------------------------------------- */

/**
 * dmaengine_pause() - pause the channel's active transfer
 * Context: provider-defined (any for ours).
 * Return: 0, -ENOSYS (no device_pause), -EINVAL (bad channel), or the
 * provider's error.
 */
DK_API int dmaengine_pause(struct dma_chan *chan);

/** dmaengine_resume() - resume it; -ENOSYS without device_resume */
DK_API int dmaengine_resume(struct dma_chan *chan);

/**
 * dmaengine_terminate_async() - abort every transfer of the channel
 * @chan: the channel
 *
 * No callback is called for the aborted transfers; one already running
 * (or taken by the tasklet) may still finish after this returns. Call
 * dmaengine_synchronize() before freeing anything the transfers or the
 * callbacks use.
 * Context: any, including the channel's own callback.
 * Return: 0, -ENOSYS (no device_terminate_all), -EINVAL.
 */
DK_API int dmaengine_terminate_async(struct dma_chan *chan);

/**
 * dmaengine_synchronize() - wait until the hardware no longer touches the
 * memory of terminated transfers and no callback of @chan runs or will run
 * Context: process, never from a callback of @chan (reported).
 */
DK_API void dmaengine_synchronize(struct dma_chan *chan);

/**
 * dmaengine_terminate_sync() - dmaengine_terminate_async() +
 * dmaengine_synchronize()
 * Context: process, never from a callback.
 * Return: as dmaengine_terminate_async().
 */
DK_API int dmaengine_terminate_sync(struct dma_chan *chan);

/** dmaengine_terminate_all() - deprecated: the async form */
static inline int dmaengine_terminate_all(struct dma_chan *chan)
{
	return dmaengine_terminate_async(chan);
}

/* ---- descriptor flags and reuse ------------------------------------------ */

static inline void async_tx_ack(struct dma_async_tx_descriptor *tx)
{
	tx->flags |= DMA_CTRL_ACK;
}

static inline void async_tx_clear_ack(struct dma_async_tx_descriptor *tx)
{
	tx->flags &= ~DMA_CTRL_ACK;
}

static inline bool async_tx_test_ack(struct dma_async_tx_descriptor *tx)
{
	return (tx->flags & DMA_CTRL_ACK) == DMA_CTRL_ACK;
}

/**
 * dmaengine_desc_set_reuse() - keep @tx after completion for resubmission
 * Context: any (before submit).
 * Return: 0; -EPERM when the channel's caps say no descriptor_reuse;
 * dma_get_slave_caps()'s error (-ENXIO for a device without SLAVE/CYCLIC).
 */
DK_API int dmaengine_desc_set_reuse(struct dma_async_tx_descriptor *tx);

static inline void
dmaengine_desc_clear_reuse(struct dma_async_tx_descriptor *tx)
{
	tx->flags &= ~DMA_CTRL_REUSE;
}

static inline bool
dmaengine_desc_test_reuse(struct dma_async_tx_descriptor *tx)
{
	return (tx->flags & DMA_CTRL_REUSE) == DMA_CTRL_REUSE;
}

/**
 * dmaengine_desc_free() - free a reusable descriptor (not in flight)
 * Context: any.
 * Return: 0; -EPERM when @desc is not reusable; -EINVAL (NULL); -ENOSYS
 * (the provider has no desc_free).
 */
DK_API int dmaengine_desc_free(struct dma_async_tx_descriptor *desc);

#endif
