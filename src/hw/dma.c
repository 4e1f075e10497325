// SPDX-License-Identifier: MIT
/*
 * dma.c - the device-side DMA access path, its in-flight markers and
 * peer-to-peer DMA.
 *
 * A transfer is resolved in two passes: the first walks the whole bus range
 * (reach check, translation, RAM or peer lookup, present check) without
 * touching data, so a refused transfer moves nothing; the second copies each
 * run of physically contiguous RAM with one memcpy (adjacent runs are
 * merged). Without an IOMMU a range is one run per RAM region, so the cost
 * per call is a few comparisons; with one, the first pass keeps up to
 * RUNS_MAX runs and a longer scatter is resolved again RUNS_MAX runs at a
 * time while copying.
 *
 * In-flight markers. Every dk_dma_* call holds one of its device's
 * DK_DMA_SLOTS slots for its whole duration: taken with a seq_cst CAS that
 * makes slot->seq odd, released with a release store that makes it even.
 * The translation hook (m->xlate) is read once per call after the slot is
 * taken. An IOMMU invalidation first bumps its generation (seq_cst), then
 * dk__dma_drain() reads every slot (seq_cst) and waits for each odd value
 * to change: a call that took its slot before that read is waited for; a
 * call that took it after sees the new generation and the invalidated
 * caches (the generation bump is a release RMW that its seq_cst load reads
 * from). One call is bounded: it never sleeps and never waits for the
 * IOMMU (a DMA into the IOMMU's window is refused), so the drain ends.
 *
 * Bus monitor (debug only). Each call also publishes the bus ranges it
 * touches in its slot, so dk__dma_monitor_busy() can tell dma-debug that
 * a device is reading or writing a range software is unmapping or freeing:
 * DESIGN.md's one documented exception to the wall.
 *
 * Device-side translation cache. With an IOMMU that publishes a
 * generation, each slot keeps its last read and last write translation
 * (bus range -> physical), valid only while the generation is the one read
 * at the start of the call that made them: the DMI-like fast path, revoked
 * by every invalidation.
 *
 * Peer-to-peer. A run that lands in an MMIO window is refused unless the
 * initiator enabled that target (dk_machine_enable_p2p()); its own window
 * and the IOMMU's are always refused. An enabled run moves as register
 * accesses of the target through dk__mmio_access() (its reg_lock), in
 * naturally aligned 4- or 8-byte pieces.
 *
 * LOCKING: none on the data path. Per-device counters are relaxed atomics,
 * frame state bytes are read with relaxed loads, p2p_target[] is written
 * under m->dev_lock and read atomically. dk__dma_drain() takes m->dev_lock
 * only to copy the device list.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <dmakit/hw/dma.h>
#include <linux/platform_device.h>
#include "hw/internal.h"

#define RUNS_MAX 32

struct dma_run {
	uint8_t *host;		/* NULL: a peer's MMIO window */
	uint64_t phys;
	uint64_t len;
};

struct dma_span {
	struct dma_run run[RUNS_MAX];
	unsigned int nr;	/* runs kept */
	uint64_t first_phys;
};

/* One DMA-path call. */
struct dma_call {
	struct dk_hw_dev *dev;
	struct dk_machine *m;
	const struct dk_dma_xlate *x;
	struct dk_dma_slot *slot;
	bool cache;		/* the slot's translation cache may be used */
};

static const char *dir_name(bool write)
{
	return write ? "write" : "read";
}

/* ---- in-flight markers ---------------------------------------------------- */

static void call_begin(struct dma_call *c, struct dk_hw_dev *dev)
{
	struct dk_dma_slot *s;
	unsigned int spins = 0;

	c->dev = dev;
	c->m = dev->machine;
	for (;;) {
		for (unsigned int i = 0; i < DK_DMA_SLOTS; i++) {
			uint64_t v;

			s = &dev->dma_slot[i];
			v = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
			/* seq_cst: ordered before the drainer's read or after. */
			if (!(v & 1) &&
			    __atomic_compare_exchange_n(&s->seq, &v, v + 1, false,
							__ATOMIC_SEQ_CST,
							__ATOMIC_RELAXED))
				goto got;
		}
		if (++spins > 16)
			sched_yield();
	}
got:
	c->slot = s;
	c->x = __atomic_load_n(&c->m->xlate, __ATOMIC_ACQUIRE);
	c->cache = c->x && c->x->translate_slot && c->x->gen;
	if (c->cache) {
		/* seq_cst: reads a bump ordered before the drainer's read. */
		uint64_t gen = __atomic_load_n(c->x->gen, __ATOMIC_SEQ_CST);

		if (s->gen != gen) {
			s->gen = gen;
			s->rd_bus = s->rd_end = 0;
			s->wr_bus = s->wr_end = 0;
		}
	}
}

/*
 * Publish the bus ranges this call touches for the bus monitor: bus
 * first, length last with release, so a monitor that sees the length
 * sees its bus address.
 */
static void call_mark(struct dma_call *c, unsigned int i, uint64_t bus,
		      uint64_t len)
{
	__atomic_store_n(&c->slot->busy_bus[i], bus, __ATOMIC_RELAXED);
	__atomic_store_n(&c->slot->busy_len[i], len, __ATOMIC_RELEASE);
}

static void call_end(struct dma_call *c)
{
	uint64_t v = __atomic_load_n(&c->slot->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&c->slot->busy_len[0], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->slot->busy_len[1], 0, __ATOMIC_RELAXED);

	/* Release: everything this call read or wrote precedes the drain. */
	__atomic_store_n(&c->slot->seq, v + 1, __ATOMIC_RELEASE);
}

void dk__dma_drain(struct dk_machine *m)
{
	struct dk_hw_dev *devs[DK_MAX_DEVICES];
	unsigned int n;

	pthread_mutex_lock(&m->dev_lock);
	n = m->nr_devs;
	memcpy(devs, m->devs, n * sizeof(devs[0]));
	pthread_mutex_unlock(&m->dev_lock);
	for (unsigned int i = 0; i < n; i++) {
		for (unsigned int k = 0; k < DK_DMA_SLOTS; k++) {
			uint64_t *seq = &devs[i]->dma_slot[k].seq;
			uint64_t v = __atomic_load_n(seq, __ATOMIC_SEQ_CST);
			unsigned int spins = 0;

			if (!(v & 1))
				continue;
			/* Acquire: the call's accesses precede what follows. */
			while (__atomic_load_n(seq, __ATOMIC_ACQUIRE) == v) {
				if (++spins > 64)
					sched_yield();
			}
		}
	}
}

bool dk__dma_monitor_busy(struct dk_machine *m, uint16_t rid, uint64_t bus,
			  uint64_t len)
{
	unsigned int n = __atomic_load_n(&m->nr_devs, __ATOMIC_ACQUIRE);
	struct dk_hw_dev *dev = NULL;

	for (unsigned int i = 0; i < n && i < DK_MAX_DEVICES; i++) {
		struct dk_hw_dev *d = __atomic_load_n(&m->devs[i],
						      __ATOMIC_RELAXED);

		if (d && d->requester_id == rid) {
			dev = d;
			break;
		}
	}
	if (!dev || !len)
		return false;
	for (unsigned int k = 0; k < DK_DMA_SLOTS; k++) {
		struct dk_dma_slot *s = &dev->dma_slot[k];

		if (!(__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) & 1))
			continue;
		for (unsigned int i = 0; i < 2; i++) {
			/* Acquire: pairs with call_mark()'s release. */
			uint64_t l = __atomic_load_n(&s->busy_len[i],
						     __ATOMIC_ACQUIRE);
			uint64_t b = __atomic_load_n(&s->busy_bus[i],
						     __ATOMIC_RELAXED);

			if (l && b < bus + len && bus < b + l)
				return true;
		}
	}
	return false;
}

/* ---- resolving a range ------------------------------------------------------ */

static int dma_fault(struct dk_hw_dev *dev, uint64_t bus, uint64_t len,
		     bool write, int err, const char *why, uint64_t at)
{
	__atomic_add_fetch(&dev->counters.faults, 1, __ATOMIC_RELAXED);
	dk__trace(dev->trace_track, DK_EV_DMA_FAULT, bus, len, (uint64_t)err);
	dk__err("%s: DMA %s of %llu bytes at bus 0x%llx refused: %s at 0x%llx",
		dev->name, dir_name(write), (unsigned long long)len,
		(unsigned long long)bus, why, (unsigned long long)at);
	return err;
}

/* Check that the frames of [phys, phys+len) in @r are present. */
static bool frames_present(const struct dk_ram_region *r, uint64_t phys,
			   uint64_t len, uint64_t *bad)
{
	uint64_t f = (phys - r->base) >> DK_PAGE_SHIFT;
	uint64_t last = (phys + len - 1 - r->base) >> DK_PAGE_SHIFT;

	if (!__atomic_load_n(&r->nr_not_present, __ATOMIC_ACQUIRE))
		return true;
	for (; f <= last; f++) {
		if (__atomic_load_n(&r->frame_state[f], __ATOMIC_RELAXED) &
		    DK_FRAME_NOT_PRESENT) {
			*bad = r->base + (f << DK_PAGE_SHIFT);
			return false;
		}
	}
	return true;
}

/* Translate @pos (@want bytes wanted); *run: bytes contiguous from it. */
static int dma_xlate(struct dma_call *c, uint64_t pos, uint64_t want,
		     bool write, uint64_t *phys, uint64_t *run)
{
	struct dk_dma_slot *s = c->slot;
	int ret;

	if (!c->x) {
		*phys = pos;
		*run = ~0ull;
		return 0;
	}
	if (!c->cache)
		return c->x->translate(c->m, c->dev, pos, write, phys, run);
	if (write && pos - s->wr_bus < s->wr_end - s->wr_bus) {
		*phys = s->wr_phys + (pos - s->wr_bus);
		*run = s->wr_end - pos;
		return 0;
	}
	if (!write && pos - s->rd_bus < s->rd_end - s->rd_bus) {
		*phys = s->rd_phys + (pos - s->rd_bus);
		*run = s->rd_end - pos;
		return 0;
	}
	*run = want;
	ret = c->x->translate_slot(c->x, c->dev, s, pos, write, phys, run);
	if (ret)
		return ret;
	if (write) {
		s->wr_bus = pos;
		s->wr_end = pos + *run;
		s->wr_phys = *phys;
	} else {
		s->rd_bus = pos;
		s->rd_end = pos + *run;
		s->rd_phys = *phys;
	}
	return 0;
}

static bool p2p_enabled(struct dk_hw_dev *dev, struct dk_hw_dev *peer)
{
	for (unsigned int i = 0; i < DK_P2P_MAX; i++) {
		struct dk_hw_dev *t =
			__atomic_load_n(&dev->p2p_target[i], __ATOMIC_ACQUIRE);

		if (!t)
			return false;
		if (t == peer)
			return true;
	}
	return false;
}

/* Add a run to @span; false when it is full (the run was not added). */
static bool span_add(struct dma_span *span, uint8_t *host, uint64_t phys,
		     uint64_t len)
{
	struct dma_run *last = span->nr ? &span->run[span->nr - 1] : NULL;

	if (last && host && last->host && last->host + last->len == host) {
		last->len += len;
		return true;
	}
	if (span->nr == RUNS_MAX)
		return false;
	span->run[span->nr].host = host;
	span->run[span->nr].phys = phys;
	span->run[span->nr].len = len;
	span->nr++;
	return true;
}

/*
 * Resolve [bus, bus+len) into runs. @record: first pass (check and report
 * everything). @span may be NULL (check only); when it fills up, the walk
 * stops there (the cursor resolves the rest later).
 */
static int dma_walk(struct dma_call *c, uint64_t bus, uint64_t len,
		    bool write, struct dma_span *span, bool record)
{
	struct dk_hw_dev *dev = c->dev;
	struct dk_machine *m = c->m;
	uint64_t pos = bus, left = len;

	if (len - 1 > dev->dma_limit || bus > dev->dma_limit - (len - 1)) {
		if (!record)
			return -ENXIO;
		return dma_fault(dev, bus, len, write, -ENXIO,
				 "beyond the device's address reach",
				 dev->dma_limit);
	}
	while (left) {
		const struct dk_ram_region *r;
		uint8_t *host = NULL;
		uint64_t phys, run, bad;
		int ret;

		ret = dma_xlate(c, pos, left, write, &phys, &run);
		if (ret) {
			__atomic_add_fetch(&dev->counters.faults, 1,
					   __ATOMIC_RELAXED);
			dk__trace(dev->trace_track, DK_EV_DMA_FAULT, bus, len,
				  (uint64_t)ret);
			return ret;	/* the IOMMU recorded it */
		}
		if (run > left)
			run = left;
		r = dk__ram_region(m->ram, phys);
		if (r) {
			if (run > r->base + r->size - phys)
				run = r->base + r->size - phys;
			if (!frames_present(r, phys, run, &bad)) {
				if (!record)
					return -EIO;
				return dma_fault(dev, bus, len, write, -EIO,
						 "page not present (swapped out: was the buffer pinned?)",
						 bad);
			}
			host = r->host + (phys - r->base);
		} else {
			struct dk_hw_dev *peer = dk__mmio_dev_at(m, phys);
			char why[128];

			if (!record)
				return -ENXIO;
			if (!peer)
				return dma_fault(dev, bus, len, write, -ENXIO,
						 "no RAM", phys);
			if (peer == dev || peer->dma_target_refused ||
			    !p2p_enabled(dev, peer)) {
				snprintf(why, sizeof(why),
					 "MMIO window of %s (%s)", peer->name,
					 peer == dev ?
					 "its own registers: re-entrant DMA" :
					 peer->dma_target_refused ?
					 "never a DMA target" :
					 "peer-to-peer DMA is not enabled");
				return dma_fault(dev, bus, len, write, -ENXIO,
						 why, phys);
			}
			if (run > peer->mmio_base + peer->ops->mmio_size - phys)
				run = peer->mmio_base + peer->ops->mmio_size -
				      phys;
			if ((phys | run) & 3 || !(peer->ops->access_sizes & 4)) {
				snprintf(why, sizeof(why),
					 "peer-to-peer run of %llu bytes in %s not 4-byte aligned or 4-byte accesses not taken",
					 (unsigned long long)run, peer->name);
				return dma_fault(dev, bus, len, write, -ENXIO,
						 why, phys);
			}
		}
		if (span) {
			if (pos == bus)
				span->first_phys = phys;
			if (!span_add(span, host, phys, run))
				return 0;
		}
		pos += run;
		left -= run;
	}
	return 0;
}

/* Iterates over the runs of a range, resolving again past RUNS_MAX. */
struct dma_cursor {
	struct dma_call *call;
	struct dma_span *span;
	bool write;
	unsigned int idx;
	uint64_t start, total, done;	/* bus start, length, consumed */
	uint8_t *host;			/* NULL: MMIO at phys */
	uint64_t phys;
	uint64_t left;			/* bytes left in the current run */
};

static void cursor_load(struct dma_cursor *cur)
{
	cur->host = cur->span->run[cur->idx].host;
	cur->phys = cur->span->run[cur->idx].phys;
	cur->left = cur->span->run[cur->idx].len;
}

static void cursor_init(struct dma_cursor *cur, struct dma_call *c,
			struct dma_span *span, uint64_t bus, uint64_t total,
			bool write)
{
	cur->call = c;
	cur->span = span;
	cur->write = write;
	cur->idx = 0;
	cur->start = bus;
	cur->total = total;
	cur->done = 0;
	cursor_load(cur);
}

static void cursor_advance(struct dma_cursor *cur, uint64_t n)
{
	cur->done += n;
	cur->left -= n;
	if (cur->host)
		cur->host += n;
	cur->phys += n;
	if (cur->left || cur->done == cur->total)
		return;
	if (++cur->idx < cur->span->nr) {
		cursor_load(cur);
		return;
	}
	/* Past the kept runs: resolve the next ones (checked already). */
	cur->span->nr = 0;
	dma_walk(cur->call, cur->start + cur->done, cur->total - cur->done,
		 cur->write, cur->span, false);
	cur->idx = 0;
	cursor_load(cur);
}

/* ---- moving data -------------------------------------------------------------- */

static unsigned int piece_size(uint64_t dphys, const uint8_t *dh,
			       uint64_t sphys, const uint8_t *sh, uint64_t n)
{
	if (n >= 8 && (dh || !(dphys & 7)) && (sh || !(sphys & 7)))
		return 8;
	return 4;
}

/*
 * Small, aligned transfers — descriptors, status and result words — move as
 * whole words, with acquire loads and release stores, as coherent hardware
 * moves an aligned word: a word the CPU publishes with a release store is
 * seen whole, and what the device wrote before a status word is visible to
 * a CPU that reads that word with an acquire load. Larger transfers are
 * bulk data and use memmove.
 */
#define SMALL_MAX 64

static bool small_words(uint8_t *dh, const uint8_t *sh, uint64_t n)
{
	uintptr_t a = (uintptr_t)dh | (uintptr_t)sh | (uintptr_t)n;

	if (!(a & 7)) {
		for (uint64_t i = 0; i < n; i += 8)
			__atomic_store_n((uint64_t *)(dh + i),
					 __atomic_load_n((const uint64_t *)(sh + i),
							 __ATOMIC_ACQUIRE),
					 __ATOMIC_RELEASE);
		return true;
	}
	if (!(a & 3)) {
		for (uint64_t i = 0; i < n; i += 4)
			__atomic_store_n((uint32_t *)(dh + i),
					 __atomic_load_n((const uint32_t *)(sh + i),
							 __ATOMIC_ACQUIRE),
					 __ATOMIC_RELEASE);
		return true;
	}
	return false;
}

/*
 * Move @n bytes; either side may be RAM (host pointer) or a peer's window
 * (host NULL, physical address). @pat: fill pattern source instead of @sh
 * when @sh and @sphys are both unused (fill).
 */
static void move(struct dma_call *c, uint8_t *dh, uint64_t dphys,
		 const uint8_t *sh, uint64_t sphys, uint64_t n)
{
	uint64_t off = 0;

	if (dh && sh) {
		if (n <= SMALL_MAX && small_words(dh, sh, n))
			return;
		memmove(dh, sh, n);
		return;
	}
	while (off < n) {
		unsigned int sz = piece_size(dphys + off, dh, sphys + off, sh,
					     n - off);
		uint64_t v = 0;

		if (sh)
			memcpy(&v, sh + off, sz);
		else
			dk__mmio_access(c->m, sphys + off, sz, false, &v);
		if (dh)
			memcpy(dh + off, &v, sz);
		else
			dk__mmio_access(c->m, dphys + off, sz, true, &v);
		off += sz;
	}
}

_Static_assert(sizeof(struct dk_dma_slot) % 64 == 0,
	       "DMA slots share no cache line");

enum { DMA_RD_TXNS, DMA_RD_BYTES, DMA_WR_TXNS, DMA_WR_BYTES };

/* The slot's holder is its only writer: a load and a store, no RMW. */
static inline void slot_add(struct dk_dma_slot *s, unsigned int i, uint64_t n)
{
	__atomic_store_n(&s->dma[i],
			 __atomic_load_n(&s->dma[i], __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

static void count(struct dma_call *c, bool write, uint64_t len)
{
	slot_add(c->slot, write ? DMA_WR_TXNS : DMA_RD_TXNS, 1);
	slot_add(c->slot, write ? DMA_WR_BYTES : DMA_RD_BYTES, len);
}

void dk__dma_counters(const struct dk_hw_dev *dev, uint64_t *rd_txns,
		      uint64_t *rd_bytes, uint64_t *wr_txns,
		      uint64_t *wr_bytes)
{
	uint64_t v[4] = { 0 };

	for (unsigned int k = 0; k < DK_DMA_SLOTS; k++)
		for (unsigned int i = 0; i < 4; i++)
			v[i] += __atomic_load_n(&dev->dma_slot[k].dma[i],
						__ATOMIC_RELAXED);
	*rd_txns = v[DMA_RD_TXNS];
	*rd_bytes = v[DMA_RD_BYTES];
	*wr_txns = v[DMA_WR_TXNS];
	*wr_bytes = v[DMA_WR_BYTES];
}

/*
 * First pass for a range: check it all; if it fits in RUNS_MAX runs the
 * same walk fills @span, otherwise a second walk fills the first RUNS_MAX.
 */
static int resolve(struct dma_call *c, uint64_t bus, uint64_t len,
		   bool write, struct dma_span *span)
{
	int ret;

	span->nr = 0;
	ret = dma_walk(c, bus, len, write, span, true);
	if (ret)
		return ret;
	/* The span filled up before the end: check the rest too. */
	{
		uint64_t covered = 0;

		for (unsigned int i = 0; i < span->nr; i++)
			covered += span->run[i].len;
		if (covered < len)
			return dma_walk(c, bus + covered, len - covered, write,
					NULL, true);
	}
	return 0;
}

/* Move between a host buffer and a bus range. */
static int dma_xfer(struct dk_hw_dev *dev, uint64_t bus, void *buf,
		    size_t len, bool write)
{
	struct dma_span span;
	struct dma_cursor cur;
	struct dma_call c;
	uint8_t *p = buf;
	int ret;

	if (!dev || (!buf && len)) {
		dk__err("dk_dma_%s: %s is NULL", dir_name(write),
			dev ? "buffer" : "device");
		return -EINVAL;
	}
	if (!len)
		return 0;
	call_begin(&c, dev);
	call_mark(&c, 0, bus, len);
	ret = resolve(&c, bus, len, write, &span);
	if (ret)
		goto out;
	cursor_init(&cur, &c, &span, bus, len, write);
	while (cur.done < len) {
		uint64_t n = cur.left;
		uint8_t *h = p + cur.done;

		if (write)
			move(&c, cur.host, cur.phys, h, 0, n);
		else
			move(&c, h, 0, cur.host, cur.phys, n);
		cursor_advance(&cur, n);
	}
	count(&c, write, len);
	dk__trace(dev->trace_track, write ? DK_EV_DMA_WRITE : DK_EV_DMA_READ,
		  bus, len, span.first_phys);
out:
	call_end(&c);
	return ret;
}

int dk_dma_read(struct dk_hw_dev *dev, uint64_t bus, void *buf, size_t len)
{
	return dma_xfer(dev, bus, buf, len, false);
}

int dk_dma_write(struct dk_hw_dev *dev, uint64_t bus, const void *buf,
		 size_t len)
{
	return dma_xfer(dev, bus, (void *)buf, len, true);
}

int dk_dma_copy(struct dk_hw_dev *dev, uint64_t dst, uint64_t src, size_t len)
{
	return dk_dma_copy_side(dev, dst, src, len, NULL);
}

int dk_dma_copy_side(struct dk_hw_dev *dev, uint64_t dst, uint64_t src,
		     size_t len, bool *write_failed)
{
	struct dma_span s_span, d_span;
	struct dma_cursor s, d;
	struct dma_call c;
	int ret;

	if (write_failed)
		*write_failed = false;
	if (!dev) {
		dk__err("dk_dma_copy: device is NULL");
		return -EINVAL;
	}
	if (!len)
		return 0;
	call_begin(&c, dev);
	call_mark(&c, 0, src, len);
	call_mark(&c, 1, dst, len);
	ret = resolve(&c, src, len, false, &s_span);
	if (!ret) {
		ret = resolve(&c, dst, len, true, &d_span);
		if (ret && write_failed)
			*write_failed = true;
	}
	if (ret)
		goto out;
	cursor_init(&s, &c, &s_span, src, len, false);
	cursor_init(&d, &c, &d_span, dst, len, true);
	while (s.done < len) {
		uint64_t n = s.left < d.left ? s.left : d.left;

		move(&c, d.host, d.phys, s.host, s.phys, n);
		cursor_advance(&s, n);
		cursor_advance(&d, n);
	}
	count(&c, false, len);
	count(&c, true, len);
	dk__trace(dev->trace_track, DK_EV_DMA_READ, src, len, s_span.first_phys);
	dk__trace(dev->trace_track, DK_EV_DMA_WRITE, dst, len,
		  d_span.first_phys);
out:
	call_end(&c);
	return ret;
}

/* Store @n bytes of the pattern, @phase bytes into it, at @p. */
static void fill_bytes(uint8_t *p, uint64_t pattern, uint64_t phase,
		       uint64_t n)
{
	uint8_t pat[64];

	for (unsigned int i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(pattern >> (8 * ((phase + i) & 7)));
	while (n >= sizeof(pat)) {
		memcpy(p, pat, sizeof(pat));
		p += sizeof(pat);
		n -= sizeof(pat);
	}
	memcpy(p, pat, n);
}

int dk_dma_fill(struct dk_hw_dev *dev, uint64_t dst, uint64_t pattern,
		size_t len)
{
	struct dma_span span;
	struct dma_cursor cur;
	struct dma_call c;
	int ret;

	if (!dev) {
		dk__err("dk_dma_fill: device is NULL");
		return -EINVAL;
	}
	if (!len)
		return 0;
	call_begin(&c, dev);
	call_mark(&c, 0, dst, len);
	ret = resolve(&c, dst, len, true, &span);
	if (ret)
		goto out;
	cursor_init(&cur, &c, &span, dst, len, true);
	while (cur.done < len) {
		uint64_t n = cur.left;

		if (cur.host) {
			fill_bytes(cur.host, pattern, cur.done & 7, n);
		} else {
			/* A peer's registers: 8-byte pieces of the pattern. */
			for (uint64_t o = 0; o < n; o += 4) {
				uint8_t b[4];

				fill_bytes(b, pattern, (cur.done + o) & 7, 4);
				move(&c, NULL, cur.phys + o, b, 0, 4);
			}
		}
		cursor_advance(&cur, n);
	}
	count(&c, true, len);
	dk__trace(dev->trace_track, DK_EV_DMA_WRITE, dst, len, span.first_phys);
out:
	call_end(&c);
	return ret;
}

/* ---- peer-to-peer enable ------------------------------------------------------- */

static struct dk_hw_dev *hw_of(struct dk_machine *m,
			       struct platform_device *pdev)
{
	if (!pdev || !pdev->num_resources || !pdev->resource)
		return NULL;
	return dk__mmio_dev_at(m, pdev->resource[0].start);
}

int dk_machine_enable_p2p(struct dk_machine *m,
			  struct platform_device *initiator,
			  struct platform_device *target)
{
	struct dk_hw_dev *ini, *tgt;
	int ret = -ENOSPC;

	if (!m || m != dk__m) {
		dk__err("dk_machine_enable_p2p: %p is not the current machine",
			(void *)m);
		return -EINVAL;
	}
	ini = hw_of(m, initiator);
	tgt = hw_of(m, target);
	if (!ini || !tgt) {
		dk__err("dk_machine_enable_p2p: %s device is NULL or has no register window",
			!ini ? "initiator" : "target");
		return -EINVAL;
	}
	if (ini == tgt || tgt->dma_target_refused) {
		dk__err("dk_machine_enable_p2p: %s -> %s: %s", ini->name,
			tgt->name, ini == tgt ?
			"a device's DMA into its own window is always refused" :
			"the target never accepts DMA");
		return -EINVAL;
	}
	pthread_mutex_lock(&m->dev_lock);
	for (unsigned int i = 0; i < DK_P2P_MAX; i++) {
		if (ini->p2p_target[i] == tgt) {
			ret = 0;
			break;
		}
		if (!ini->p2p_target[i]) {
			/* Release: the target is fully set up for readers. */
			__atomic_store_n(&ini->p2p_target[i], tgt,
					 __ATOMIC_RELEASE);
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&m->dev_lock);
	if (ret)
		dk__err("dk_machine_enable_p2p: %s has %d peer-to-peer targets already",
			ini->name, DK_P2P_MAX);
	return ret;
}
