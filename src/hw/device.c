// SPDX-License-Identifier: MIT
/*
 * device.c - the device core: placing a model on the machine, its thread,
 * kicks, and the interrupt messages it sends.
 *
 * LOCKING: m->dev_lock protects m->devs and the uniqueness checks while a
 * device is added. Each device's thr_lock protects kicked and stopping;
 * stopping is also read without the lock (atomic) by dk_hw_stopping().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <dmakit/hw/device.h>
#include "hw/internal.h"
#include "kernel/internal.h"

void dk_device_config_init(struct dk_device_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->iommu_group = -1;
}

static int ops_check(const struct dk_hw_ops *ops)
{
	if (!ops || !ops->name || !ops->reset || !ops->mmio_read ||
	    !ops->mmio_write || !ops->release) {
		dk__err("dk_hw_device_add: model %s lacks a required op (name, reset, mmio_read, mmio_write, release)",
			ops && ops->name ? ops->name : "(unnamed)");
		return -EINVAL;
	}
	if (!ops->mmio_size || ops->mmio_size & (DK_PAGE_SIZE - 1) ||
	    ops->mmio_size > DK_MMIO_SIZE) {
		dk__err("dk_hw_device_add: model %s: mmio_size 0x%llx is not a 4 KiB multiple within the MMIO hole",
			ops->name, (unsigned long long)ops->mmio_size);
		return -EINVAL;
	}
	if (!ops->access_sizes || (ops->access_sizes & ~(1u | 2u | 4u | 8u))) {
		dk__err("dk_hw_device_add: model %s: access_sizes 0x%x must be a non-empty subset of 1|2|4|8",
			ops->name, ops->access_sizes);
		return -EINVAL;
	}
	if (ops->nr_dmareq_out > DK_DMAREQ_OUT_MAX ||
	    ops->nr_dmareq_in > DK_DMAREQ_IN_MAX ||
	    (ops->nr_dmareq_in && !ops->dmareq)) {
		dk__err("dk_hw_device_add: model %s: %u request outputs (at most %d), %u request inputs (at most %d, need ops->dmareq)",
			ops->name, ops->nr_dmareq_out, DK_DMAREQ_OUT_MAX,
			ops->nr_dmareq_in, DK_DMAREQ_IN_MAX);
		return -EINVAL;
	}
	if (ops->nr_irqs > 64) {
		dk__err("dk_hw_device_add: model %s: %u vectors (at most 64)",
			ops->name, ops->nr_irqs);
		return -EINVAL;
	}
	return 0;
}

/* Caller holds m->dev_lock. */
static struct dk_hw_dev *find_by_name(struct dk_machine *m, const char *name)
{
	for (unsigned int i = 0; i < m->nr_devs; i++)
		if (!strcmp(m->devs[i]->name, name))
			return m->devs[i];
	return NULL;
}

/* Caller holds m->dev_lock. */
static struct dk_hw_dev *find_by_rid(struct dk_machine *m, uint16_t rid)
{
	for (unsigned int i = 0; i < m->nr_devs; i++)
		if (m->devs[i]->requester_id == rid)
			return m->devs[i];
	return NULL;
}

static void *dev_thread(void *arg)
{
	struct dk_hw_dev *dev = arg;

	pthread_mutex_lock(&dev->thr_lock);
	for (;;) {
		while (!dev->kicked && !dev->stopping)
			dk__cond_wait_polled(dev->machine, &dev->thr_cond,
					     &dev->thr_lock, &dev->kicks);
		if (dev->stopping)
			break;
		dev->kicked = false;
		pthread_mutex_unlock(&dev->thr_lock);
		dk__trace(dev->trace_track, DK_EV_DEV_RUN_BEGIN, 0, 0, 0);
		dev->ops->run(dev);
		dk__trace(dev->trace_track, DK_EV_DEV_RUN_END, 0, 0, 0);
		pthread_mutex_lock(&dev->thr_lock);
	}
	pthread_mutex_unlock(&dev->thr_lock);
	return NULL;
}

/* Caller holds m->dev_lock; fills name, requester id and window. */
static int place(struct dk_machine *m, const struct dk_device_config *cfg,
		 struct dk_hw_dev *dev, const struct dk_hw_ops *ops)
{
	unsigned int bits = cfg->dma_bits ? cfg->dma_bits : 64;
	uint64_t base;
	int ret;

	if (cfg->dma_bits > 64) {
		dk__err("dk_hw_device_add: %s: dma_bits %u (1..64)", ops->name,
			cfg->dma_bits);
		return -EINVAL;
	}
	if (m->nr_devs == DK_MAX_DEVICES) {
		dk__err("dk_hw_device_add: %s: the machine holds %d devices already",
			ops->name, DK_MAX_DEVICES);
		return -ENOSPC;
	}
	if (cfg->name) {
		if (!cfg->name[0] || strlen(cfg->name) >= sizeof(dev->name_buf)) {
			dk__err("dk_hw_device_add: device name \"%s\" must be 1..%zu characters",
				cfg->name, sizeof(dev->name_buf) - 1);
			return -EINVAL;
		}
		if (find_by_name(m, cfg->name)) {
			dk__err("dk_hw_device_add: a device named %s exists",
				cfg->name);
			return -EEXIST;
		}
		snprintf(dev->name_buf, sizeof(dev->name_buf), "%s", cfg->name);
	} else {
		for (unsigned int n = 0;; n++) {
			snprintf(dev->name_buf, sizeof(dev->name_buf), "%.24s%u",
				 ops->name, n);
			if (!find_by_name(m, dev->name_buf))
				break;
		}
	}
	dev->name = dev->name_buf;

	if (cfg->requester_id) {
		struct dk_hw_dev *o = find_by_rid(m, cfg->requester_id);

		if (o) {
			dk__err("%s: requester id %02x:%02x.%u is taken by %s",
				dev->name, cfg->requester_id >> 8,
				(cfg->requester_id >> 3) & 0x1f,
				cfg->requester_id & 7, o->name);
			return -EEXIST;
		}
		dev->requester_id = cfg->requester_id;
	} else {
		/* Bus 0, one device number per device, function 0. */
		uint16_t rid = 1 << 3;

		while (find_by_rid(m, rid))
			rid += 1 << 3;
		dev->requester_id = rid;
	}

	base = cfg->mmio_base;
	if (!base) {
		base = dk__mmio_find_free(m, ops->mmio_size);
		if (!base) {
			dk__err("%s: no free 0x%llx-byte window in the MMIO hole",
				dev->name, (unsigned long long)ops->mmio_size);
			return -ENOSPC;
		}
	}
	ret = dk__mmio_claim(m, dev, base, ops->mmio_size);
	if (ret)
		return ret;
	dev->mmio_base = base;
	dev->dma_limit = bits == 64 ? ~0ull : (1ull << bits) - 1;
	dev->iommu_group = cfg->iommu_group;
	return 0;
}

int dk_hw_device_add(struct dk_machine *m, const struct dk_device_config *cfg,
		     struct dk_hw_dev *dev, const struct dk_hw_ops *ops,
		     struct platform_device **out)
{
	struct dk_device_config defaults;
	int ret;

	if (out)
		*out = NULL;
	if (!dev) {
		dk__err("dk_hw_device_add: dev is NULL");
		return -EINVAL;
	}
	if (!m || m != dk__m) {
		dk__err("dk_hw_device_add: %p is not the current machine",
			(void *)m);
		ret = -EINVAL;
		goto err_release;
	}
	ret = ops_check(ops);
	if (ret)
		goto err_release;
	if (!cfg) {
		dk_device_config_init(&defaults);
		cfg = &defaults;
	}
	dev->ops = ops;
	dev->machine = m;

	pthread_mutex_lock(&m->dev_lock);
	ret = place(m, cfg, dev, ops);
	if (ret)
		goto err_unlock;
	if (ops->nr_irqs) {
		dev->irq_base = dk__intc_alloc(m, ops->nr_irqs);
		if (!dev->irq_base) {
			dk__err("%s: no %u free interrupt vectors", dev->name,
				ops->nr_irqs);
			ret = -ENOSPC;
			goto err_unclaim;
		}
	}
	pthread_mutex_init(&dev->reg_lock, NULL);
	pthread_mutex_init(&dev->thr_lock, NULL);
	dk__cond_init(&dev->thr_cond);
	dev->trace_track = dk__trace_track_new(DK_TRACK_DEVICE, dev->name);
	ops->reset(dev);
	if (ops->run) {
		char tname[16];

		snprintf(tname, sizeof(tname), "%.15s", dev->name);
		ret = dk__thread_start(m, DK_THREAD_DEVICE, &dev->thread,
				       tname, dev_thread, dev);
		if (ret)
			goto err_locks;
		dev->has_thread = true;
	}
	m->devs[m->nr_devs++] = dev;
	pthread_mutex_unlock(&m->dev_lock);

	/* Publish to software last: a driver may probe it right away. */
	ret = dk__bus_add_device(m, dev, out);
	if (ret)
		dk__err("%s: placed, but the platform bus refused it (%d)",
			dev->name, ret);
	/*
	 * A refused device stays on the machine (its thread runs, its window
	 * answers) and is released at destroy: taking it apart here would
	 * race with a probe that already saw it.
	 */
	return ret;

err_locks:
	pthread_cond_destroy(&dev->thr_cond);
	pthread_mutex_destroy(&dev->thr_lock);
	pthread_mutex_destroy(&dev->reg_lock);
	/* Vectors stay reserved: the interrupt controller has no free. */
err_unclaim:
	dk__mmio_release(m, dev);
err_unlock:
	pthread_mutex_unlock(&m->dev_lock);
err_release:
	if (ops && ops->release)
		ops->release(dev);
	return ret;
}

void dk_hw_kick(struct dk_hw_dev *dev)
{
	pthread_mutex_lock(&dev->thr_lock);
	dev->kicked = true;
	dk__cond_signal_polled(&dev->thr_cond, &dev->kicks, false);
	pthread_mutex_unlock(&dev->thr_lock);
}

bool dk_hw_stopping(struct dk_hw_dev *dev)
{
	return __atomic_load_n(&dev->stopping, __ATOMIC_ACQUIRE);
}

void dk_hw_irq_raise(struct dk_hw_dev *dev, unsigned int idx)
{
	if (idx >= dev->ops->nr_irqs) {
		dk__err("%s: interrupt index %u raised, device has %u", dev->name,
			idx, dev->ops->nr_irqs);
		return;
	}
	__atomic_add_fetch(&dev->counters.irqs, 1, __ATOMIC_RELAXED);
	dk__trace(dev->trace_track, DK_EV_IRQ_RAISE, dev->irq_base + idx, idx,
		  0);
	dk__intc_raise(dev->machine, dev->irq_base + idx);
}

void dk_hw_irq_update(struct dk_hw_dev *dev, struct dk_hw_irq_line *line,
		      unsigned int idx, uint64_t pending)
{
	bool now = pending != 0;

	if (now && !line->asserted)
		dk_hw_irq_raise(dev, idx);
	line->asserted = now;
}

void dk__devices_stop(struct dk_machine *m)
{
	pthread_mutex_lock(&m->dev_lock);
	for (unsigned int i = 0; i < m->nr_devs; i++) {
		struct dk_hw_dev *dev = m->devs[i];

		if (!dev->has_thread)
			continue;
		pthread_mutex_lock(&dev->thr_lock);
		__atomic_store_n(&dev->stopping, true, __ATOMIC_RELEASE);
		dk__cond_signal_polled(&dev->thr_cond, &dev->kicks, true);
		pthread_mutex_unlock(&dev->thr_lock);
		pthread_join(dev->thread, NULL);
		dev->has_thread = false;
	}
	pthread_mutex_unlock(&m->dev_lock);
}

void dk__devices_release(struct dk_machine *m)
{
	pthread_mutex_lock(&m->dev_lock);
	while (m->nr_devs) {
		struct dk_hw_dev *dev = m->devs[--m->nr_devs];

		dk__mmio_release(m, dev);
		pthread_cond_destroy(&dev->thr_cond);
		pthread_mutex_destroy(&dev->thr_lock);
		pthread_mutex_destroy(&dev->reg_lock);
		dev->ops->release(dev);
	}
	pthread_mutex_unlock(&m->dev_lock);
}
