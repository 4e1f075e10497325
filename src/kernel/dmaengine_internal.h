/* SPDX-License-Identifier: MIT */
/*
 * kernel/dmaengine_internal.h - the dmaengine provider helpers Linux keeps
 * in drivers/dma/dmaengine.h: cookie bookkeeping and callback snapshots.
 *
 * Included by DMA controller drivers (src/drivers/), kernel/virt-dma.[ch],
 * kernel/dmaengine.c and unit tests.
 *
 * Cookie arithmetic is Linux's: both counters start at DMA_MIN_COOKIE (1),
 * the first cookie assigned is 2, and after INT_MAX comes 1 again. The
 * counters are written under the provider's channel lock and read without
 * it (dma_cookie_status()), so every access is an __atomic one.
 */
#ifndef DK_KERNEL_DMAENGINE_INTERNAL_H
#define DK_KERNEL_DMAENGINE_INTERNAL_H

#include <limits.h>
#include <linux/dmaengine.h>
#include <dmakit/log.h>

/**
 * dma_cookie_init() - initialise a channel's cookie counters
 * @chan: the channel
 * Context: any, before the channel is used.
 */
static inline void dma_cookie_init(struct dma_chan *chan)
{
	__atomic_store_n(&chan->cookie, DMA_MIN_COOKIE, __ATOMIC_RELAXED);
	__atomic_store_n(&chan->completed_cookie, DMA_MIN_COOKIE,
			 __ATOMIC_RELAXED);
}

/**
 * dma_cookie_assign() - give @tx the channel's next cookie
 * @tx: the descriptor being submitted
 *
 * Context: any; the caller holds the provider's channel lock.
 * Return: the new cookie (2, 3, ... INT_MAX, 1, 2, ...).
 */
static inline dma_cookie_t dma_cookie_assign(struct dma_async_tx_descriptor *tx)
{
	struct dma_chan *chan = tx->chan;
	dma_cookie_t cookie;

	/* Unsigned step: INT_MAX + 1 must wrap, not be undefined. */
	cookie = (dma_cookie_t)((u32)__atomic_load_n(&chan->cookie,
						     __ATOMIC_RELAXED) + 1u);
	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	tx->cookie = cookie;
	__atomic_store_n(&chan->cookie, cookie, __ATOMIC_RELEASE);
	return cookie;
}

/**
 * dma_cookie_complete() - record @tx as the channel's last completed one
 * @tx: the completed descriptor (its cookie is zeroed)
 *
 * Completing a descriptor with no cookie (never submitted, or completed
 * twice) is reported and changes nothing (Linux: BUG_ON).
 *
 * Context: any; the caller holds the provider's channel lock.
 * Return: true when @tx was completed now, false after a report.
 */
static inline bool dma_cookie_complete(struct dma_async_tx_descriptor *tx)
{
	if (tx->cookie < DMA_MIN_COOKIE) {
		dk_log(DK_LOG_ERR,
		       "dmaengine: %s: completing descriptor %p with cookie %d "
		       "(not submitted, or completed twice)",
		       tx->chan ? tx->chan->dk_name : "?", (void *)tx,
		       tx->cookie);
		return false;
	}
	/* Release: a lockless poller that sees it sees the work before it. */
	__atomic_store_n(&tx->chan->completed_cookie, tx->cookie,
			 __ATOMIC_RELEASE);
	tx->cookie = 0;
	return true;
}

/**
 * dma_cookie_status() - status of @cookie from the channel's counters
 * @chan: the channel
 * @cookie: the cookie asked about
 * @state: when non-NULL gets last/used, residue and in_flight_bytes 0
 *
 * Context: any; lockless.
 * Return: DMA_COMPLETE or DMA_IN_PROGRESS.
 */
static inline enum dma_status dma_cookie_status(struct dma_chan *chan,
						dma_cookie_t cookie,
						struct dma_tx_state *state)
{
	dma_cookie_t used, complete;

	used = __atomic_load_n(&chan->cookie, __ATOMIC_ACQUIRE);
	complete = __atomic_load_n(&chan->completed_cookie, __ATOMIC_ACQUIRE);
	if (state) {
		state->last = complete;
		state->used = used;
		state->residue = 0;
		state->in_flight_bytes = 0;
	}
	return dma_async_is_complete(cookie, complete, used);
}

/** dma_set_residue() - set @state->residue when @state is non-NULL */
static inline void dma_set_residue(struct dma_tx_state *state, u32 residue)
{
	if (state)
		state->residue = residue;
}

/** dma_set_in_flight_bytes() - set @state->in_flight_bytes if non-NULL */
static inline void dma_set_in_flight_bytes(struct dma_tx_state *state,
					   u32 in_flight_bytes)
{
	if (state)
		state->in_flight_bytes = in_flight_bytes;
}

/**
 * struct dmaengine_desc_callback - a snapshot of a descriptor's callback
 * @callback: legacy form
 * @callback_result: result form (preferred)
 * @callback_param: its argument
 */
struct dmaengine_desc_callback {
	dma_async_tx_callback callback;
	dma_async_tx_callback_result callback_result;
	void *callback_param;
};

/**
 * dmaengine_desc_get_callback() - copy @tx's callback into @cb
 * Context: any; typically under the channel lock, before dropping it.
 */
static inline void
dmaengine_desc_get_callback(struct dma_async_tx_descriptor *tx,
			    struct dmaengine_desc_callback *cb)
{
	cb->callback = tx->callback;
	cb->callback_result = tx->callback_result;
	cb->callback_param = tx->callback_param;
}

/**
 * dmaengine_desc_callback_invoke() - call the snapshot's callback
 * @cb: from dmaengine_desc_get_callback()
 * @result: the outcome; NULL means success with residue 0
 *
 * callback_result wins over callback. Context: the tasklet, with no lock
 * held (never call a user callback under a lock).
 */
static inline void
dmaengine_desc_callback_invoke(struct dmaengine_desc_callback *cb,
			       const struct dmaengine_result *result)
{
	struct dmaengine_result dummy = {
		.result = DMA_TRANS_NOERROR,
		.residue = 0,
	};

	if (cb->callback_result) {
		if (!result)
			result = &dummy;
		cb->callback_result(cb->callback_param, result);
	} else if (cb->callback) {
		cb->callback(cb->callback_param);
	}
}

/** dmaengine_desc_get_callback_invoke() - snapshot and call at once */
static inline void
dmaengine_desc_get_callback_invoke(struct dma_async_tx_descriptor *tx,
				   const struct dmaengine_result *result)
{
	struct dmaengine_desc_callback cb;

	dmaengine_desc_get_callback(tx, &cb);
	dmaengine_desc_callback_invoke(&cb, result);
}

/** dmaengine_desc_callback_valid() - the snapshot has a callback */
static inline bool
dmaengine_desc_callback_valid(struct dmaengine_desc_callback *cb)
{
	return cb->callback || cb->callback_result;
}

#endif
