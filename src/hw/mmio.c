// SPDX-License-Identifier: MIT
/*
 * mmio.c - the MMIO bus: device register windows in the MMIO hole, and the
 * dispatch of one CPU access to the device that owns the address.
 *
 * The hole [DK_MMIO_BASE, DK_MMIO_BASE + DK_MMIO_SIZE) is mirrored by a
 * PROT_NONE host reservation (so an ioremap()ed address dereferenced by
 * hand faults), and decoded in O(1) through a table with one device pointer
 * per 4 KiB of the hole.
 *
 * LOCKING: page_dev slots are written under m->dev_lock when devices are
 * added or released and read with acquire loads by the accessors. A
 * handler runs under its device's reg_lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "hw/internal.h"

#define NR_SLOTS (DK_MMIO_SIZE >> DK_PAGE_SHIFT)

int dk__mmio_init(struct dk_machine *m)
{
	struct dk_mmio *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return -ENOMEM;
	mm->page_dev = calloc(NR_SLOTS, sizeof(*mm->page_dev));
	if (!mm->page_dev)
		goto err_free_mm;
	mm->host_window = mmap(NULL, DK_MMIO_SIZE, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			       0);
	if (mm->host_window == MAP_FAILED)
		goto err_free_slots;
	m->mmio = mm;
	return 0;

err_free_slots:
	free(mm->page_dev);
err_free_mm:
	free(mm);
	return -ENOMEM;
}

void dk__mmio_exit(struct dk_machine *m)
{
	if (!m->mmio)
		return;
	munmap(m->mmio->host_window, DK_MMIO_SIZE);
	free(m->mmio->page_dev);
	free(m->mmio);
	m->mmio = NULL;
}

static bool window_ok(uint64_t base, uint64_t size)
{
	return size && !(base & (DK_PAGE_SIZE - 1)) &&
	       !(size & (DK_PAGE_SIZE - 1)) && base >= DK_MMIO_BASE &&
	       size <= DK_MMIO_SIZE && base - DK_MMIO_BASE <= DK_MMIO_SIZE - size;
}

int dk__mmio_claim(struct dk_machine *m, struct dk_hw_dev *dev, uint64_t base,
		   uint64_t size)
{
	uint64_t first, n, i;

	if (!window_ok(base, size)) {
		dk__err("%s: MMIO window 0x%llx+0x%llx is not 4 KiB aligned inside the MMIO hole 0x%llx-0x%llx",
			dev->name, (unsigned long long)base,
			(unsigned long long)size, DK_MMIO_BASE,
			DK_MMIO_BASE + DK_MMIO_SIZE - 1);
		return -EINVAL;
	}
	first = (base - DK_MMIO_BASE) >> DK_PAGE_SHIFT;
	n = size >> DK_PAGE_SHIFT;
	for (i = 0; i < n; i++) {
		struct dk_hw_dev *o = m->mmio->page_dev[first + i];

		if (o) {
			dk__err("%s: MMIO window 0x%llx+0x%llx overlaps %s at 0x%llx",
				dev->name, (unsigned long long)base,
				(unsigned long long)size, o->name,
				(unsigned long long)o->mmio_base);
			return -EBUSY;
		}
	}
	for (i = 0; i < n; i++)
		__atomic_store_n(&m->mmio->page_dev[first + i], dev,
				 __ATOMIC_RELEASE);
	return 0;
}

uint64_t dk__mmio_find_free(struct dk_machine *m, uint64_t size)
{
	uint64_t n = size >> DK_PAGE_SHIFT, slot, i;

	if (!n || size & (DK_PAGE_SIZE - 1) || size > DK_MMIO_SIZE)
		return 0;
	/* Size-aligned placement, as firmware assigns BARs. */
	for (slot = 0; slot + n <= NR_SLOTS; slot += n) {
		for (i = 0; i < n; i++)
			if (m->mmio->page_dev[slot + i])
				break;
		if (i == n)
			return DK_MMIO_BASE + (slot << DK_PAGE_SHIFT);
	}
	return 0;
}

void dk__mmio_release(struct dk_machine *m, struct dk_hw_dev *dev)
{
	for (uint64_t i = 0; i < NR_SLOTS; i++)
		if (m->mmio->page_dev[i] == dev)
			__atomic_store_n(&m->mmio->page_dev[i], NULL,
					 __ATOMIC_RELEASE);
}

struct dk_hw_dev *dk__mmio_dev_at(struct dk_machine *m, uint64_t phys)
{
	if (phys - DK_MMIO_BASE >= DK_MMIO_SIZE)
		return NULL;
	return __atomic_load_n(
		&m->mmio->page_dev[(phys - DK_MMIO_BASE) >> DK_PAGE_SHIFT],
		__ATOMIC_ACQUIRE);
}

int dk__mmio_access(struct dk_machine *m, uint64_t phys, unsigned int size,
		    bool write, uint64_t *val)
{
	struct dk_hw_dev *dev = dk__mmio_dev_at(m, phys);
	uint64_t off;

	if (!dev) {
		dk__err("MMIO %u-byte %s at phys 0x%llx: no device there",
			size, write ? "write" : "read",
			(unsigned long long)phys);
		dk__trace_cpu(DK_EV_MMIO_BAD, phys, size, write);
		if (!write)
			*val = ~0ull;
		return -ENXIO;
	}
	off = phys - dev->mmio_base;
	if (!(size & dev->ops->access_sizes) || (phys & (size - 1))) {
		dk__err("%s: MMIO %u-byte %s at offset 0x%llx: %s (device takes widths mask 0x%x)",
			dev->name, size, write ? "write" : "read",
			(unsigned long long)off,
			phys & (size - 1) ? "misaligned" : "unsupported width",
			dev->ops->access_sizes);
		__atomic_add_fetch(&dev->counters.faults, 1, __ATOMIC_RELAXED);
		dk__trace_cpu(DK_EV_MMIO_BAD, phys, size, write);
		if (!write)
			*val = ~0ull;
		return -EINVAL;
	}
	if (write) {
		/* Traced first: a doorbell's effects must not precede it. */
		__atomic_add_fetch(&dev->counters.mmio_writes, 1,
				   __ATOMIC_RELAXED);
		dk__trace(dev->trace_track, DK_EV_MMIO_WRITE, off, *val, size);
		pthread_mutex_lock(&dev->reg_lock);
		dev->ops->mmio_write(dev, off, *val, size);
		pthread_mutex_unlock(&dev->reg_lock);
		return 0;
	}
	pthread_mutex_lock(&dev->reg_lock);
	*val = dev->ops->mmio_read(dev, off, size);
	pthread_mutex_unlock(&dev->reg_lock);
	if (size < 8)
		*val &= (1ull << (size * 8)) - 1;
	__atomic_add_fetch(&dev->counters.mmio_reads, 1, __ATOMIC_RELAXED);
	dk__trace(dev->trace_track, DK_EV_MMIO_READ, off, *val, size);
	return 0;
}
