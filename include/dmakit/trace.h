/* SPDX-License-Identifier: MIT */
/*
 * trace.h - record what happened, on which track, and export it.
 *
 * Every layer emits events: register accesses, DMA transactions, faults,
 * interrupts, handlers, tasklets, callbacks. While no trace records, an
 * event costs one relaxed load and a predicted branch. While one records,
 * each thread appends to its own buffer (no lock, no allocation); when a
 * buffer is full, later events of that thread are counted as dropped.
 *
 * Tracks: one per CPU-side thread (the user's threads, the hard-IRQ,
 * tasklet and workqueue threads), one per device, one per interrupt vector
 * that fired, and the IOMMU.
 */
#ifndef DMAKIT_TRACE_H
#define DMAKIT_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <dmakit/api.h>

struct dk_machine;

enum dk_track_kind {
	DK_TRACK_CPU = 1,
	DK_TRACK_DEVICE = 2,
	DK_TRACK_IRQ = 3,
	DK_TRACK_IOMMU = 4,
};

/*
 * Event types. For each: what a, b and c hold. _BEGIN/_END pairs become
 * duration slices in the export; the others are instants.
 */
enum dk_trace_type {
	DK_EV_MMIO_READ = 1,	/* device track: a=offset b=value c=size */
	DK_EV_MMIO_WRITE,	/* device track: a=offset b=value c=size */
	DK_EV_MMIO_BAD,		/* CPU track: a=phys b=size c=write */
	DK_EV_DOORBELL,		/* device track: a=register offset b=value */
	DK_EV_DMA_READ,		/* device track: a=bus b=len c=phys of first run */
	DK_EV_DMA_WRITE,	/* device track: a=bus b=len c=phys of first run */
	DK_EV_DMA_FAULT,	/* device track: a=bus b=len c=-errno */
	DK_EV_IRQ_RAISE,	/* device track: a=vector b=index */
	DK_EV_IRQ_BEGIN,	/* irq track: a=vector */
	DK_EV_IRQ_END,		/* irq track: a=vector b=irqreturn */
	DK_EV_TASKLET_BEGIN,	/* CPU track: a=function address */
	DK_EV_TASKLET_END,	/* CPU track: a=function address */
	DK_EV_WORK_BEGIN,	/* CPU track: a=function address */
	DK_EV_WORK_END,		/* CPU track: a=function address */
	DK_EV_DEV_RUN_BEGIN,	/* device track: device thread starts work */
	DK_EV_DEV_RUN_END,	/* device track: device thread idles */
	DK_EV_MARK,		/* CPU track: a=pointer to a static string */
	DK_EV_IOMMU_MISS,	/* IOMMU track: a=requester id b=iova c=did */
	DK_EV_IOMMU_WALK,	/* IOMMU track: a=requester id b=iova c=phys */
	DK_EV_IOMMU_FAULT,	/* IOMMU track: a=requester id b=iova
				 * c=reason | write << 8 */
	DK_EV_IOMMU_INVAL,	/* IOMMU track: a=descriptor low b=high
				 * c=queue offset */
	DK_EV_TYPE_MAX
};

/**
 * struct dk_trace_event - one recorded event
 * @ts_ns: machine clock (host monotonic ns since the machine's creation)
 * @track: track id (see dk_trace_track_name())
 * @type: enum dk_trace_type
 */
struct dk_trace_event {
	uint64_t ts_ns;
	uint32_t track;
	uint16_t type;
	uint16_t pad;
	uint64_t a, b, c;
};

/**
 * dk_trace_start() - start recording
 * @m: the machine
 * @events_per_thread: buffer size per thread (0: 65536)
 *
 * Discards what an earlier recording kept.
 * Context: process. Return: 0, -EINVAL, -EBUSY (already recording), -ENOMEM.
 */
DK_API int dk_trace_start(struct dk_machine *m, size_t events_per_thread);

/** dk_trace_stop() - stop recording; the events stay until the next start */
DK_API void dk_trace_stop(struct dk_machine *m);

/**
 * dk_trace_foreach() - visit recorded events in time order
 * @m: the machine
 * @fn: called per event; a non-zero return stops the walk and is returned
 * @ctx: passed to @fn
 *
 * Context: process, after dk_trace_stop().
 * Return: 0, -EBUSY while recording, or what @fn returned.
 */
DK_API int dk_trace_foreach(struct dk_machine *m,
			    int (*fn)(const struct dk_trace_event *ev,
				      void *ctx),
			    void *ctx);

/** dk_trace_dropped() - events lost to full buffers in the last recording */
DK_API uint64_t dk_trace_dropped(struct dk_machine *m);

/** dk_trace_track_name() - name of @track ("" if unknown) */
DK_API const char *dk_trace_track_name(struct dk_machine *m, uint32_t track);

/** dk_trace_track_kind() - enum dk_track_kind of @track, 0 if unknown */
DK_API int dk_trace_track_kind(struct dk_machine *m, uint32_t track);

/** dk_trace_type_name() - short name of an event type ("?" if unknown) */
DK_API const char *dk_trace_type_name(unsigned int type);

/**
 * dk_trace_write_json() - write the recording in Chrome/Perfetto JSON
 * @m: the machine
 * @f: an open stream
 *
 * One process per track kind (CPU, devices, interrupts, IOMMU), one thread
 * per track, named with metadata events; _BEGIN/_END pairs as B/E slices.
 * Context: process, after dk_trace_stop().
 * Return: 0, -EBUSY while recording, -EIO on a write error.
 */
DK_API int dk_trace_write_json(struct dk_machine *m, FILE *f);

/** dk_trace_export_json() - dk_trace_write_json() to the file @path */
DK_API int dk_trace_export_json(struct dk_machine *m, const char *path);

/**
 * dk_trace_mark() - put a labelled instant on the calling thread's track
 * @label: a string that outlives the recording (a literal)
 */
DK_API void dk_trace_mark(const char *label);

#endif
