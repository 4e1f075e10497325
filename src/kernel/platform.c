// SPDX-License-Identifier: MIT
/*
 * platform.c - the platform bus: devices the machine placed, drivers bound
 * to them by name, probe and remove; and the machine-level device queries
 * (find by name, counters).
 *
 * LOCKING: bus->lock (a mutex) protects the device and driver lists and
 * every binding; probe and remove run under it, so a device is never probed
 * and removed at once. Drivers must not register or unregister drivers
 * from probe or remove.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include "hw/internal.h"
#include "kernel/internal.h"

#define MAX_DRIVERS 64

struct dk_pdev {
	struct platform_device pdev;
	struct list_head node;
	struct dk_hw_dev *hw;	/* for counters only: drivers never see it */
	bool deferred;		/* last probe said -EPROBE_DEFER */
	struct resource res[1 + 64];
	char name[32];
	char model[32];
};

struct dk_platform_bus {
	struct mutex lock;
	struct list_head devices;		/* of struct dk_pdev */
	struct platform_driver *drivers[MAX_DRIVERS];
	unsigned int nr_drivers;
};

int dk__bus_init(struct dk_machine *m)
{
	struct dk_platform_bus *bus = calloc(1, sizeof(*bus));

	if (!bus)
		return -ENOMEM;
	mutex_init(&bus->lock);
	INIT_LIST_HEAD(&bus->devices);
	m->bus = bus;
	return 0;
}

static bool match(const struct platform_driver *drv,
		  const struct platform_device *pdev)
{
	return !strcmp(drv->driver.name, pdev->name);
}

/* Caller holds bus->lock. Return: true if @drv bound to @d. */
static bool probe_one(struct platform_driver *drv, struct dk_pdev *d)
{
	struct device *dev = &d->pdev.dev;
	int ret;

	dev->driver = &drv->driver;
	ret = drv->probe(&d->pdev);
	d->deferred = ret == -EPROBE_DEFER;
	if (ret) {
		if (d->deferred)
			dev_info(dev, "probe deferred; retried when another driver binds\n");
		else
			dev_err(dev, "probe failed with error %d\n", ret);
		dev->driver = NULL;
		dev->driver_data = NULL;
		return false;
	}
	return true;
}

/* Caller holds bus->lock. The driver registered for @d's name, if any. */
static struct platform_driver *driver_for(struct dk_platform_bus *bus,
					  struct dk_pdev *d)
{
	for (unsigned int i = 0; i < bus->nr_drivers; i++)
		if (match(bus->drivers[i], &d->pdev))
			return bus->drivers[i];
	return NULL;
}

/*
 * A driver just bound: what it provides (a DMA channel, an IOMMU) may be
 * what a deferred probe waited for. Retry them, as Linux's deferred-probe
 * list does, until a pass binds nothing more. Caller holds bus->lock.
 */
static void retry_deferred(struct dk_platform_bus *bus)
{
	bool progress = true;
	struct dk_pdev *d;

	while (progress) {
		progress = false;
		list_for_each_entry(d, &bus->devices, node) {
			struct platform_driver *drv;

			if (!d->deferred || d->pdev.dev.driver)
				continue;
			drv = driver_for(bus, d);
			if (drv && probe_one(drv, d))
				progress = true;
		}
	}
}

/* Caller holds bus->lock: probe @d with @drv, then retry deferred ones. */
static void bind(struct dk_platform_bus *bus, struct platform_driver *drv,
		 struct dk_pdev *d)
{
	if (probe_one(drv, d))
		retry_deferred(bus);
}

/* Caller holds bus->lock. */
static void remove_one(struct platform_driver *drv, struct dk_pdev *d)
{
	if (drv->remove)
		drv->remove(&d->pdev);
	/* As Linux's BUS_NOTIFY_UNBOUND_DRIVER: dma-debug checks for leaks. */
	dk__dma_debug_device_released(&d->pdev.dev);
	d->pdev.dev.driver = NULL;
	d->pdev.dev.driver_data = NULL;
}

int dk__bus_add_device(struct dk_machine *m, struct dk_hw_dev *hw,
		       struct platform_device **out)
{
	struct dk_platform_bus *bus = m->bus;
	struct dk_pdev *d = calloc(1, sizeof(*d)), *o;
	struct device *dev;
	unsigned int i;

	if (!d)
		return -ENOMEM;
	snprintf(d->name, sizeof(d->name), "%s", hw->name);
	snprintf(d->model, sizeof(d->model), "%s", hw->ops->name);
	d->hw = hw;
	d->pdev.name = d->model;
	d->res[0].start = hw->mmio_base;
	d->res[0].end = hw->mmio_base + hw->ops->mmio_size - 1;
	d->res[0].name = d->name;
	d->res[0].flags = IORESOURCE_MEM;
	for (i = 0; i < hw->ops->nr_irqs; i++) {
		d->res[1 + i].start = d->res[1 + i].end = hw->irq_base + i;
		d->res[1 + i].name = d->name;
		d->res[1 + i].flags = IORESOURCE_IRQ;
	}
	d->pdev.num_resources = 1 + hw->ops->nr_irqs;
	d->pdev.resource = d->res;

	dev = &d->pdev.dev;
	dev->init_name = d->name;
	dev->requester_id = hw->requester_id;
	dev->iommu_group_hint = hw->iommu_group;
	dev->dma_bits_hint = hw->dma_limit == ~0ull ? 64 :
			     (unsigned int)__builtin_popcountll(hw->dma_limit);
	/* Platform devices start with 32-bit masks, as in Linux. */
	dev->dma_mask_store = 0xffffffffull;
	dev->dma_mask = &dev->dma_mask_store;
	dev->coherent_dma_mask = 0xffffffffull;
	dev->bus_dma_limit = 0;
	dev->dma_parms_store.max_segment_size = 65536;
	dev->dma_parms_store.segment_boundary_mask = 0xffffffffUL;
	dev->dma_parms = &dev->dma_parms_store;

	mutex_lock(&bus->lock);
	d->pdev.id = 0;
	list_for_each_entry(o, &bus->devices, node)
		if (!strcmp(o->model, d->model))
			d->pdev.id++;
	list_add_tail(&d->node, &bus->devices);
	/* As a bus notifier would: the IOMMU core sees it before any driver. */
	dk__iommu_probe_device(dev);
	if (driver_for(bus, d))
		bind(bus, driver_for(bus, d), d);
	mutex_unlock(&bus->lock);
	if (out)
		*out = &d->pdev;
	return 0;
}

int platform_driver_register(struct platform_driver *drv)
{
	struct dk_machine *m = dk__m;
	struct dk_platform_bus *bus;
	struct dk_pdev *d;
	unsigned int i;

	if (!drv || !drv->driver.name || !drv->probe) {
		pr_err("platform_driver_register: driver %s lacks a name or probe\n",
		       drv && drv->driver.name ? drv->driver.name : "(NULL)");
		return -EINVAL;
	}
	if (!m) {
		pr_err("platform_driver_register: %s: no machine\n",
		       drv->driver.name);
		return -ENODEV;
	}
	bus = m->bus;
	mutex_lock(&bus->lock);
	for (i = 0; i < bus->nr_drivers; i++) {
		if (bus->drivers[i] == drv ||
		    !strcmp(bus->drivers[i]->driver.name, drv->driver.name)) {
			mutex_unlock(&bus->lock);
			pr_err("platform_driver_register: a driver named %s is registered already\n",
			       drv->driver.name);
			return -EBUSY;
		}
	}
	if (bus->nr_drivers == MAX_DRIVERS) {
		mutex_unlock(&bus->lock);
		pr_err("platform_driver_register: %s: %d drivers registered already\n",
		       drv->driver.name, MAX_DRIVERS);
		return -ENOSPC;
	}
	bus->drivers[bus->nr_drivers++] = drv;
	list_for_each_entry(d, &bus->devices, node)
		if (!d->pdev.dev.driver && match(drv, &d->pdev))
			bind(bus, drv, d);
	mutex_unlock(&bus->lock);
	return 0;
}

void platform_driver_unregister(struct platform_driver *drv)
{
	struct dk_machine *m = dk__m;
	struct dk_platform_bus *bus;
	struct dk_pdev *d;
	unsigned int i;

	if (!m || !drv)
		return;
	bus = m->bus;
	mutex_lock(&bus->lock);
	for (i = 0; i < bus->nr_drivers && bus->drivers[i] != drv; i++)
		;
	if (i == bus->nr_drivers) {
		mutex_unlock(&bus->lock);
		pr_err("platform_driver_unregister: %s is not registered\n",
		       drv->driver.name ? drv->driver.name : "(unnamed)");
		return;
	}
	list_for_each_entry(d, &bus->devices, node)
		if (d->pdev.dev.driver == &drv->driver)
			remove_one(drv, d);
	bus->drivers[i] = bus->drivers[--bus->nr_drivers];
	mutex_unlock(&bus->lock);
}

void dk__bus_unbind_all(struct dk_machine *m)
{
	struct dk_platform_bus *bus = m->bus;
	struct dk_pdev *d;

	if (!bus)
		return;
	mutex_lock(&bus->lock);
	/* Newest first: the IOMMU, placed first, is unbound last. */
	list_for_each_entry_reverse(d, &bus->devices, node) {
		struct device_driver *dd = d->pdev.dev.driver;

		if (dd)
			remove_one(container_of(dd, struct platform_driver,
						driver), d);
	}
	bus->nr_drivers = 0;
	mutex_unlock(&bus->lock);
}

int dk__bus_exit(struct dk_machine *m)
{
	struct dk_platform_bus *bus = m->bus;
	struct dk_pdev *d, *n;

	if (!bus)
		return 0;
	list_for_each_entry_safe(d, n, &bus->devices, node) {
		list_del(&d->node);
		free(d);
	}
	mutex_destroy(&bus->lock);
	free(bus);
	m->bus = NULL;
	return 0;
}

struct resource *platform_get_resource(struct platform_device *pdev,
				       unsigned int type, unsigned int num)
{
	if (!pdev)
		return NULL;
	for (u32 i = 0; i < pdev->num_resources; i++) {
		struct resource *r = &pdev->resource[i];

		if (resource_type(r) == type && num-- == 0)
			return r;
	}
	return NULL;
}

int platform_get_irq(struct platform_device *pdev, unsigned int num)
{
	struct resource *r = platform_get_resource(pdev, IORESOURCE_IRQ, num);

	if (!r) {
		if (pdev)
			dev_err(&pdev->dev, "IRQ index %u not found\n", num);
		return -ENXIO;
	}
	return (int)r->start;
}

struct platform_device *dk_machine_find_device(struct dk_machine *m,
					       const char *name)
{
	struct dk_pdev *d, *found = NULL;

	if (!m || !name || m != dk__m)
		return NULL;
	mutex_lock(&m->bus->lock);
	list_for_each_entry(d, &m->bus->devices, node) {
		if (!strcmp(d->name, name)) {
			found = d;
			break;
		}
	}
	mutex_unlock(&m->bus->lock);
	return found ? &found->pdev : NULL;
}

int dk_device_counters(struct platform_device *pdev, struct dk_counters *out)
{
	const struct dk_hw_counters *c;

	if (!pdev || !out || !dk__m) {
		pr_err("dk_device_counters: %s is NULL\n",
		       !pdev ? "device" : !out ? "out" : "the machine");
		return -EINVAL;
	}
	c = &container_of(pdev, struct dk_pdev, pdev)->hw->counters;
	out->mmio_reads = __atomic_load_n(&c->mmio_reads, __ATOMIC_RELAXED);
	out->mmio_writes = __atomic_load_n(&c->mmio_writes, __ATOMIC_RELAXED);
	dk__dma_counters(container_of(pdev, struct dk_pdev, pdev)->hw,
			 &out->dma_read_txns, &out->dma_read_bytes,
			 &out->dma_write_txns, &out->dma_write_bytes);
	out->irqs = __atomic_load_n(&c->irqs, __ATOMIC_RELAXED);
	out->faults = __atomic_load_n(&c->faults, __ATOMIC_RELAXED);
	return 0;
}

void dk_machine_print_counters(struct dk_machine *m, FILE *f)
{
	struct dk_iommu_counters io;
	struct dk_pdev *d;

	if (!m || m != dk__m || !f)
		return;
	fprintf(f, "%-12s %10s %10s %10s %14s %10s %14s %8s %8s\n", "device",
		"mmio_rd", "mmio_wr", "dma_rd", "dma_rd_bytes", "dma_wr",
		"dma_wr_bytes", "irqs", "faults");
	mutex_lock(&m->bus->lock);
	list_for_each_entry(d, &m->bus->devices, node) {
		struct dk_counters c;

		dk_device_counters(&d->pdev, &c);
		fprintf(f, "%-12s %10llu %10llu %10llu %14llu %10llu %14llu %8llu %8llu\n",
			d->name, (unsigned long long)c.mmio_reads,
			(unsigned long long)c.mmio_writes,
			(unsigned long long)c.dma_read_txns,
			(unsigned long long)c.dma_read_bytes,
			(unsigned long long)c.dma_write_txns,
			(unsigned long long)c.dma_write_bytes,
			(unsigned long long)c.irqs,
			(unsigned long long)c.faults);
	}
	mutex_unlock(&m->bus->lock);
	if (!dk_iommu_counters(m, &io))
		fprintf(f, "iommu: %llu translations, IOTLB %llu hits / %llu misses, %llu walks, %llu faults (%llu dropped), %llu invalidations\n",
			(unsigned long long)io.translations,
			(unsigned long long)io.iotlb_hits,
			(unsigned long long)io.iotlb_misses,
			(unsigned long long)io.walks,
			(unsigned long long)io.faults_recorded,
			(unsigned long long)io.faults_dropped,
			(unsigned long long)io.invalidations);
}
