// SPDX-License-Identifier: MIT
/*
 * dma.c - the device-side DMA access path.
 *
 * A transfer is resolved in two passes: the first walks the whole bus range
 * (reach check, translation, RAM lookup, present check) without touching
 * data, so a refused transfer moves nothing; the second copies each run of
 * physically contiguous RAM with one memcpy. Without an IOMMU a range is one
 * run per RAM region, so the cost per call is a few comparisons; with one,
 * the first pass keeps up to RUNS_MAX runs and only a longer scatter walks
 * the translation a second time.
 *
 * Nothing here takes a lock: per-device counters are relaxed atomics and
 * frame state bytes are read with relaxed loads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <dmakit/hw/dma.h>
#include "hw/internal.h"

#define RUNS_MAX 16

struct dma_run {
	uint8_t *host;
	uint64_t len;
};

struct dma_span {
	struct dma_run run[RUNS_MAX];
	unsigned int nr;	/* runs kept; the walk may have seen more */
	bool overflow;		/* more runs than RUNS_MAX: walk again */
	uint64_t first_phys;
};

static const char *dir_name(bool write)
{
	return write ? "write" : "read";
}

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

/*
 * Resolve [bus, bus+len) for @dev into host runs. With @span NULL the
 * runs are checked only. On error the fault is recorded and returned.
 */
static int dma_walk(struct dk_hw_dev *dev, uint64_t bus, uint64_t len,
		    bool write, struct dma_span *span, bool record)
{
	struct dk_machine *m = dev->machine;
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
		uint64_t phys, run, bad;
		int ret;

		if (m->xlate) {
			ret = m->xlate->translate(m, dev, pos, write, &phys,
						  &run);
			if (ret) {
				__atomic_add_fetch(&dev->counters.faults, 1,
						   __ATOMIC_RELAXED);
				dk__trace(dev->trace_track, DK_EV_DMA_FAULT,
					  bus, len, (uint64_t)ret);
				return ret;	/* the IOMMU recorded it */
			}
			if (run > left)
				run = left;
		} else {
			phys = pos;
			run = left;
		}
		r = dk__ram_region(m->ram, phys);
		if (!r) {
			struct dk_hw_dev *peer = dk__mmio_dev_at(m, phys);

			if (!record)
				return -ENXIO;
			if (peer) {
				char why[96];

				snprintf(why, sizeof(why),
					 "MMIO window of %s (peer-to-peer DMA is not enabled)",
					 peer->name);
				return dma_fault(dev, bus, len, write, -ENXIO,
						 why, phys);
			}
			return dma_fault(dev, bus, len, write, -ENXIO,
					 "no RAM", phys);
		}
		if (run > r->base + r->size - phys)
			run = r->base + r->size - phys;
		if (!frames_present(r, phys, run, &bad)) {
			if (!record)
				return -EIO;
			return dma_fault(dev, bus, len, write, -EIO,
					 "page not present (swapped out: was the buffer pinned?)",
					 bad);
		}
		if (span) {
			if (pos == bus)
				span->first_phys = phys;
			if (span->nr < RUNS_MAX) {
				span->run[span->nr].host =
					r->host + (phys - r->base);
				span->run[span->nr].len = run;
				span->nr++;
			} else {
				span->overflow = true;
			}
		}
		pos += run;
		left -= run;
	}
	return 0;
}

/* Iterates over the runs of a span, walking again past RUNS_MAX. */
struct dma_cursor {
	struct dk_hw_dev *dev;
	const struct dma_span *span;
	bool write;
	unsigned int idx;
	uint64_t bus;		/* bus address of the current run's start */
	uint8_t *host;
	uint64_t left;		/* bytes left in the current run */
};

static void cursor_init(struct dma_cursor *c, struct dk_hw_dev *dev,
			const struct dma_span *span, uint64_t bus, bool write)
{
	c->dev = dev;
	c->span = span;
	c->write = write;
	c->idx = 0;
	c->bus = bus;
	c->host = span->run[0].host;
	c->left = span->run[0].len;
}

/* Current run exhausted: step to the next one. */
static void cursor_next(struct dma_cursor *c, uint64_t consumed_total,
			uint64_t start_bus, uint64_t total)
{
	struct dma_span one;

	c->idx++;
	if (c->idx < c->span->nr) {
		c->host = c->span->run[c->idx].host;
		c->left = c->span->run[c->idx].len;
		return;
	}
	/* Past the kept runs: resolve the next run again (already checked). */
	memset(&one, 0, sizeof(one));
	dma_walk(c->dev, start_bus + consumed_total, total - consumed_total,
		 c->write, &one, false);
	c->host = one.run[0].host;
	c->left = one.run[0].len;
}

static void count(struct dk_hw_dev *dev, bool write, uint64_t len)
{
	if (write) {
		__atomic_add_fetch(&dev->counters.dma_write_txns, 1,
				   __ATOMIC_RELAXED);
		__atomic_add_fetch(&dev->counters.dma_write_bytes, len,
				   __ATOMIC_RELAXED);
	} else {
		__atomic_add_fetch(&dev->counters.dma_read_txns, 1,
				   __ATOMIC_RELAXED);
		__atomic_add_fetch(&dev->counters.dma_read_bytes, len,
				   __ATOMIC_RELAXED);
	}
}

/* Move between a host buffer and a bus range. */
static int dma_xfer(struct dk_hw_dev *dev, uint64_t bus, void *buf,
		    size_t len, bool write)
{
	struct dma_span span;
	struct dma_cursor c;
	uint8_t *p = buf;
	uint64_t done = 0;
	int ret;

	if (!dev || (!buf && len)) {
		dk__err("dk_dma_%s: %s is NULL", dir_name(write),
			dev ? "buffer" : "device");
		return -EINVAL;
	}
	if (!len)
		return 0;
	span.nr = 0;
	span.overflow = false;
	ret = dma_walk(dev, bus, len, write, &span, true);
	if (ret)
		return ret;
	cursor_init(&c, dev, &span, bus, write);
	for (;;) {
		if (write)
			memcpy(c.host, p + done, c.left);
		else
			memcpy(p + done, c.host, c.left);
		done += c.left;
		if (done == len)
			break;
		cursor_next(&c, done, bus, len);
	}
	count(dev, write, len);
	dk__trace(dev->trace_track, write ? DK_EV_DMA_WRITE : DK_EV_DMA_READ,
		  bus, len, span.first_phys);
	return 0;
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
	struct dma_span s_span, d_span;
	struct dma_cursor s, d;
	uint64_t done = 0, s_done = 0, d_done = 0;
	int ret;

	if (!dev) {
		dk__err("dk_dma_copy: device is NULL");
		return -EINVAL;
	}
	if (!len)
		return 0;
	s_span.nr = d_span.nr = 0;
	s_span.overflow = d_span.overflow = false;
	ret = dma_walk(dev, src, len, false, &s_span, true);
	if (ret)
		return ret;
	ret = dma_walk(dev, dst, len, true, &d_span, true);
	if (ret)
		return ret;
	cursor_init(&s, dev, &s_span, src, false);
	cursor_init(&d, dev, &d_span, dst, true);
	while (done < len) {
		uint64_t n = s.left < d.left ? s.left : d.left;

		memmove(d.host, s.host, n);
		done += n;
		s.host += n;
		s.left -= n;
		d.host += n;
		d.left -= n;
		s_done += n;
		d_done += n;
		if (done == len)
			break;
		if (!s.left)
			cursor_next(&s, s_done, src, len);
		if (!d.left)
			cursor_next(&d, d_done, dst, len);
	}
	count(dev, false, len);
	count(dev, true, len);
	dk__trace(dev->trace_track, DK_EV_DMA_READ, src, len, s_span.first_phys);
	dk__trace(dev->trace_track, DK_EV_DMA_WRITE, dst, len,
		  d_span.first_phys);
	return 0;
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
	struct dma_cursor c;
	uint64_t done = 0;
	int ret;

	if (!dev) {
		dk__err("dk_dma_fill: device is NULL");
		return -EINVAL;
	}
	if (!len)
		return 0;
	span.nr = 0;
	span.overflow = false;
	ret = dma_walk(dev, dst, len, true, &span, true);
	if (ret)
		return ret;
	cursor_init(&c, dev, &span, dst, true);
	for (;;) {
		fill_bytes(c.host, pattern, done & 7, c.left);
		done += c.left;
		if (done == len)
			break;
		cursor_next(&c, done, dst, len);
	}
	count(dev, true, len);
	dk__trace(dev->trace_track, DK_EV_DMA_WRITE, dst, len, span.first_phys);
	return 0;
}
