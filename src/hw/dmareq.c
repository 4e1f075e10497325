// SPDX-License-Identifier: MIT
/*
 * dmareq.c - DMA request lines between peripherals and DMA controllers, and
 * the machine-clock sleep of device threads.
 *
 * A peripheral drives up to DK_DMAREQ_OUT_MAX request outputs (levels, one
 * bit each in dev->dmareq_level). The board wires an output to one input of
 * a controller (dk__dmareq_connect()); a level change calls the
 * controller's ops->dmareq, which wakes its engine; the engine reads the
 * live level with dk_hw_dmareq_input(). The level is the truth, the call is
 * only a wake-up, so a late or reordered call cannot leave a controller
 * believing a stale level.
 *
 * dk_hw_sleep_until() lets a device thread wait for machine time; with a
 * manual clock, dk_clock_advance() calls dk__hw_clock_moved() to wake it.
 *
 * LOCKING: the wiring fields are written under m->dev_lock (once, at board
 * setup) and read with acquire loads; dmareq_level is an atomic word whose
 * writers the peripheral serializes. timed_sleep is under the device's
 * thr_lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/platform_device.h>
#include "hw/internal.h"

void dk_hw_dmareq_set(struct dk_hw_dev *dev, unsigned int out, bool level)
{
	uint32_t bit, old;
	struct dk_hw_dev *dst;

	if (!dev || out >= dev->ops->nr_dmareq_out) {
		dk__err("dk_hw_dmareq_set: %s: output %u (device has %u)",
			dev ? dev->name : "(null)", out,
			dev ? dev->ops->nr_dmareq_out : 0);
		return;
	}
	bit = 1u << out;
	/* Release: what the peripheral did before asserting is visible. */
	if (level)
		old = __atomic_fetch_or(&dev->dmareq_level, bit,
					__ATOMIC_ACQ_REL);
	else
		old = __atomic_fetch_and(&dev->dmareq_level, ~bit,
					 __ATOMIC_ACQ_REL);
	if (!!(old & bit) == level)
		return;
	dst = __atomic_load_n(&dev->dmareq_dst[out], __ATOMIC_ACQUIRE);
	if (dst)
		dst->ops->dmareq(dst, dev->dmareq_dst_line[out], level);
}

bool dk_hw_dmareq_input(struct dk_hw_dev *dev, unsigned int line)
{
	struct dk_hw_dev *src;
	unsigned int out;

	if (!dev || line >= DK_DMAREQ_IN_MAX)
		return false;
	src = __atomic_load_n(&dev->dmareq_src[line], __ATOMIC_ACQUIRE);
	if (!src)
		return false;
	out = dev->dmareq_src_out[line];
	return __atomic_load_n(&src->dmareq_level, __ATOMIC_ACQUIRE) &
	       (1u << out);
}

struct dk_hw_dev *dk__hw_dev_of(struct dk_machine *m,
				struct platform_device *pdev)
{
	if (!m || !pdev || !pdev->num_resources || !pdev->resource)
		return NULL;
	return dk__mmio_dev_at(m, pdev->resource[0].start);
}

int dk__dmareq_connect(struct dk_machine *m, struct dk_hw_dev *periph,
		       unsigned int out, struct dk_hw_dev *dmac,
		       unsigned int line)
{
	int ret = 0;

	if (!m || !periph || !dmac) {
		dk__err("dk__dmareq_connect: NULL machine or device");
		return -EINVAL;
	}
	if (out >= periph->ops->nr_dmareq_out) {
		dk__err("dma request: %s has %u request outputs, asked for output %u",
			periph->name, periph->ops->nr_dmareq_out, out);
		return -EINVAL;
	}
	if (!dmac->ops->dmareq || line >= dmac->ops->nr_dmareq_in) {
		dk__err("dma request: %s has %u request inputs, asked for input %u",
			dmac->name,
			dmac->ops->dmareq ? dmac->ops->nr_dmareq_in : 0, line);
		return -EINVAL;
	}
	pthread_mutex_lock(&m->dev_lock);
	if (periph->dmareq_dst[out]) {
		dk__err("dma request: %s output %u is already wired to %s input %u",
			periph->name, out, periph->dmareq_dst[out]->name,
			periph->dmareq_dst_line[out]);
		ret = -EBUSY;
	} else if (dmac->dmareq_src[line]) {
		dk__err("dma request: %s input %u is already wired to %s output %u",
			dmac->name, line, dmac->dmareq_src[line]->name,
			dmac->dmareq_src_out[line]);
		ret = -EBUSY;
	} else {
		/* Release: the index is set before the pointer is seen. */
		dmac->dmareq_src_out[line] = out;
		__atomic_store_n(&dmac->dmareq_src[line], periph,
				 __ATOMIC_RELEASE);
		periph->dmareq_dst_line[out] = line;
		__atomic_store_n(&periph->dmareq_dst[out], dmac,
				 __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&m->dev_lock);
	if (!ret && (__atomic_load_n(&periph->dmareq_level, __ATOMIC_ACQUIRE) &
		     (1u << out)))
		dmac->ops->dmareq(dmac, line, true);
	return ret;
}

void dk_hw_sleep_until(struct dk_hw_dev *dev, uint64_t when_ns)
{
	struct timespec ts = dk__clock_deadline(when_ns);

	pthread_mutex_lock(&dev->thr_lock);
	dev->timed_sleep = true;
	/*
	 * The clock is checked under thr_lock after timed_sleep is set: an
	 * advance either is seen here or finds timed_sleep and signals.
	 */
	if (!dev->kicked && !dev->stopping && dk_clock_ns() < when_ns)
		pthread_cond_timedwait(&dev->thr_cond, &dev->thr_lock, &ts);
	dev->timed_sleep = false;
	dev->kicked = false;
	pthread_mutex_unlock(&dev->thr_lock);
}

void dk__hw_clock_moved(struct dk_machine *m)
{
	pthread_mutex_lock(&m->dev_lock);
	for (unsigned int i = 0; i < m->nr_devs; i++) {
		struct dk_hw_dev *dev = m->devs[i];

		if (!dev->has_thread)
			continue;
		pthread_mutex_lock(&dev->thr_lock);
		if (dev->timed_sleep)
			pthread_cond_broadcast(&dev->thr_cond);
		pthread_mutex_unlock(&dev->thr_lock);
	}
	pthread_mutex_unlock(&m->dev_lock);
}
