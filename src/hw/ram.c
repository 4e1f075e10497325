// SPDX-License-Identifier: MIT
/*
 * ram.c - simulated physical RAM: layout validation, the lazily committed
 * host mapping of each region, and the per-frame state bytes (present or
 * swapped out) that the DMA path consults.
 *
 * Each region is one anonymous MAP_NORESERVE mapping: the host commits a
 * page only when something touches it, so an untouched 4 GiB machine costs
 * address space only. The frame state array (one byte per 4 KiB frame) is
 * mapped the same way; zero means present, so it needs no initialisation.
 *
 * LOCKING: the layout is written by dk__ram_init() before the machine is
 * published and never changes until dk__ram_exit(); frame state bytes are
 * read and written with __atomic builtins and need no lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "hw/internal.h"

/* Physical addresses must stay below 2^52 (the IOMMU's page tables). */
#define RAM_PHYS_LIMIT (1ull << 52)

static int ram_check_region(const struct dk_machine_config *cfg,
			    unsigned int i)
{
	const struct dk_ram_region_config *r = &cfg->ram[i];
	uint64_t end = r->base + r->size;

	if (!r->size) {
		dk__err("ram: region %u (base 0x%" PRIx64 "): size is 0", i,
			r->base);
		return -EINVAL;
	}
	if ((r->base | r->size) & (DK_PAGE_SIZE - 1)) {
		dk__err("ram: region %u (base 0x%" PRIx64 " size 0x%" PRIx64
			"): base and size must be 4 KiB aligned",
			i, r->base, r->size);
		return -EINVAL;
	}
	if (end < r->base || end > RAM_PHYS_LIMIT) {
		dk__err("ram: region %u (base 0x%" PRIx64 " size 0x%" PRIx64
			"): ends beyond the 2^52 physical limit",
			i, r->base, r->size);
		return -EINVAL;
	}
	if (r->base < DK_MMIO_BASE + DK_MMIO_SIZE && DK_MMIO_BASE < end) {
		dk__err("ram: region %u [0x%" PRIx64 "-0x%" PRIx64
			") overlaps the MMIO hole [0x%llx-0x%llx)",
			i, r->base, end, DK_MMIO_BASE,
			DK_MMIO_BASE + DK_MMIO_SIZE);
		return -EINVAL;
	}
	for (unsigned int j = 0; j < i; j++) {
		const struct dk_ram_region_config *o = &cfg->ram[j];

		if (r->base < o->base + o->size && o->base < end) {
			dk__err("ram: region %u [0x%" PRIx64 "-0x%" PRIx64
				") overlaps region %u [0x%" PRIx64
				"-0x%" PRIx64 ")",
				i, r->base, end, j, o->base,
				o->base + o->size);
			return -EINVAL;
		}
	}
	return 0;
}

static void *ram_map_lazy(uint64_t bytes)
{
	void *p;

	if (bytes > SIZE_MAX)
		return NULL;
	p = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void ram_unmap(struct dk_ram *ram)
{
	for (unsigned int i = 0; i < ram->nr; i++) {
		struct dk_ram_region *r = &ram->region[i];

		if (r->host)
			munmap(r->host, (size_t)r->size);
		if (r->frame_state)
			munmap(r->frame_state,
			       (size_t)(r->size >> DK_PAGE_SHIFT));
	}
}

int dk__ram_init(struct dk_machine *m)
{
	const struct dk_machine_config *cfg = &m->cfg;
	struct dk_ram *ram;
	int ret;

	if (cfg->nr_ram < 1 || cfg->nr_ram > DK_MAX_RAM_REGIONS) {
		dk__err("ram: nr_ram %u outside 1..%d", cfg->nr_ram,
			DK_MAX_RAM_REGIONS);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < cfg->nr_ram; i++) {
		ret = ram_check_region(cfg, i);
		if (ret)
			return ret;
	}
	ram = calloc(1, sizeof(*ram));
	if (!ram)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->nr_ram; i++) {
		struct dk_ram_region *r = &ram->region[i];

		ram->nr = i + 1;
		r->base = cfg->ram[i].base;
		r->size = cfg->ram[i].size;
		r->host = ram_map_lazy(r->size);
		r->frame_state = ram_map_lazy(r->size >> DK_PAGE_SHIFT);
		if (!r->host || !r->frame_state) {
			dk__err("ram: region %u: cannot reserve 0x%" PRIx64
				" bytes of host address space",
				i, r->size);
			ret = -ENOMEM;
			goto err_unmap;
		}
		/* Best effort: fewer TLB misses for bulk DMA copies. */
		madvise(r->host, (size_t)r->size, MADV_HUGEPAGE);
	}
	m->ram = ram;
	return 0;

err_unmap:
	ram_unmap(ram);
	free(ram);
	return ret;
}

void dk__ram_exit(struct dk_machine *m)
{
	if (!m->ram)
		return;
	ram_unmap(m->ram);
	free(m->ram);
	m->ram = NULL;
}

const struct dk_ram_region *dk__ram_region_of_host(const struct dk_ram *ram,
						   const void *p)
{
	uintptr_t a = (uintptr_t)p;

	if (!ram)
		return NULL;
	for (unsigned int i = 0; i < ram->nr; i++) {
		const struct dk_ram_region *r = &ram->region[i];

		if (a - (uintptr_t)r->host < r->size)
			return r;
	}
	return NULL;
}

int dk__ram_set_present(struct dk_machine *m, uint64_t phys, uint64_t len,
			bool present)
{
	const struct dk_ram_region *r;
	struct dk_ram_region *rw;
	uint64_t first, last;

	r = m->ram ? dk__ram_region(m->ram, phys) : NULL;
	if (!r || !len || len - 1 > r->base + r->size - 1 - phys) {
		dk__err("ram: set_present [0x%" PRIx64 " +0x%" PRIx64
			"]: not inside one RAM region", phys, len);
		return -EINVAL;
	}
	rw = &m->ram->region[r - m->ram->region];
	first = (phys - r->base) >> DK_PAGE_SHIFT;
	last = (phys + len - 1 - r->base) >> DK_PAGE_SHIFT;
	for (uint64_t f = first; f <= last; f++) {
		uint8_t old;

		/*
		 * The count lets the DMA path skip the per-frame scan while no
		 * frame of the region is out; it changes only on a transition.
		 */
		if (present) {
			old = __atomic_fetch_and(&r->frame_state[f],
						 (uint8_t)~DK_FRAME_NOT_PRESENT,
						 __ATOMIC_RELEASE);
			if (old & DK_FRAME_NOT_PRESENT)
				__atomic_sub_fetch(&rw->nr_not_present, 1,
						   __ATOMIC_RELEASE);
		} else {
			old = __atomic_fetch_or(&r->frame_state[f],
						DK_FRAME_NOT_PRESENT,
						__ATOMIC_RELEASE);
			if (!(old & DK_FRAME_NOT_PRESENT))
				__atomic_add_fetch(&rw->nr_not_present, 1,
						   __ATOMIC_RELEASE);
		}
	}
	return 0;
}
