// SPDX-License-Identifier: MIT
/*
 * iommu_tables.c - the DK-IOMMU table builder for tests and benchmarks
 * (see iommu_tables.h): table pages from a pool of page-allocator blocks,
 * entries written into simulated RAM, registers through dk__mmio_access(),
 * descriptors into the invalidation queue.
 */
#include <errno.h>
#include <string.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include "hw/internal.h"
#include "iommu_tables.h"

#define IOT_CHUNK_ORDER	8	/* 1 MiB blocks */
#define IOT_ADDR	0x000ffffffffff000ull

int iot_init(struct iot *t, struct dk_machine *m)
{
	memset(t, 0, sizeof(*t));
	t->m = m;
	t->root = iot_page(t);
	t->status = iot_page(t);
	return t->root && t->status ? 0 : -ENOMEM;
}

void iot_fini(struct iot *t)
{
	for (unsigned int i = 0; i < t->nr_chunks; i++)
		__free_pages(t->chunk[i], IOT_CHUNK_ORDER);
	t->nr_chunks = 0;
}

uint64_t iot_page(struct iot *t)
{
	uint64_t p;

	if (t->next == t->end) {
		struct page *pg;

		if (t->nr_chunks == IOT_MAX_CHUNKS)
			return 0;
		pg = alloc_pages(GFP_KERNEL, IOT_CHUNK_ORDER);
		if (!pg)
			return 0;
		t->chunk[t->nr_chunks++] = pg;
		t->next = page_to_phys(pg);
		t->end = t->next + (4096ull << IOT_CHUNK_ORDER);
	}
	p = t->next;
	t->next += 4096;
	memset(iot_host(t, p), 0, 4096);
	return p;
}

void *iot_host(struct iot *t, uint64_t phys)
{
	const struct dk_ram_region *r = dk__ram_region(t->m->ram, phys);

	return r ? r->host + (phys - r->base) : NULL;
}

void iot_wq(struct iot *t, uint64_t phys, uint64_t v)
{
	__atomic_store_n((uint64_t *)iot_host(t, phys), v, __ATOMIC_RELEASE);
}

uint64_t iot_rq(struct iot *t, uint64_t phys)
{
	return __atomic_load_n((uint64_t *)iot_host(t, phys), __ATOMIC_ACQUIRE);
}

uint64_t iot_reg(struct iot *t, uint64_t off)
{
	uint64_t v = 0;

	dk__mmio_access(t->m, DK_IOMMU_BASE + off, 8, false, &v);
	return v;
}

void iot_reg_write(struct iot *t, uint64_t off, uint64_t v)
{
	dk__mmio_access(t->m, DK_IOMMU_BASE + off, 8, true, &v);
}

uint64_t iot_stat(struct iot *t, unsigned int counter)
{
	iot_reg_write(t, IOT_STAT_SEL, counter);
	return iot_reg(t, IOT_STAT_VAL);
}

uint64_t iot_context_addr(struct iot *t, uint16_t rid)
{
	uint64_t re = iot_rq(t, t->root + (rid >> 8) * 16);

	if (!(re & 1))
		return 0;
	return (re & IOT_ADDR) + (rid & 0xff) * 16;
}

void iot_context_raw(struct iot *t, uint16_t rid, uint64_t lo, uint64_t hi)
{
	uint64_t ce = iot_context_addr(t, rid);

	if (!ce) {
		uint64_t ct = iot_page(t);

		iot_wq(t, t->root + (rid >> 8) * 16, ct | 1);
		ce = ct + (rid & 0xff) * 16;
	}
	iot_wq(t, ce + 8, hi);
	iot_wq(t, ce, lo);
}

void iot_context(struct iot *t, uint16_t rid, unsigned int tt,
		 unsigned int aw, uint16_t did, uint64_t pgtable, bool fpd)
{
	iot_context_raw(t, rid,
			pgtable | (uint64_t)tt << 2 | (fpd ? 2 : 0) | 1,
			(uint64_t)aw | (uint64_t)did << 8);
}

uint64_t iot_pgtable(struct iot *t)
{
	return iot_page(t);
}

static unsigned int size_level(uint64_t size)
{
	return size == IOT_SZ_4K ? 1 : size == IOT_SZ_2M ? 2 :
	       size == IOT_SZ_1G ? 3 : 0;
}

/* Entry address at level @leaf for @iova; allocate tables if @alloc. */
static uint64_t walk_to(struct iot *t, uint64_t root, unsigned int levels,
			uint64_t iova, unsigned int leaf, bool alloc,
			int *err)
{
	uint64_t table = root;

	for (unsigned int l = levels; l >= 1; l--) {
		uint64_t e = table + ((iova >> (12 + 9 * (l - 1))) & 511) * 8;
		uint64_t v;

		if (l == leaf)
			return e;
		v = iot_rq(t, e);
		if (v & IOT_RW) {
			if (v & IOT_PS) {
				*err = -EEXIST;
				return 0;
			}
			table = v & IOT_ADDR;
			continue;
		}
		if (!alloc) {
			*err = -ENOENT;
			return 0;
		}
		table = iot_page(t);
		if (!table) {
			*err = -ENOMEM;
			return 0;
		}
		iot_wq(t, e, table | IOT_RW);
	}
	*err = -EINVAL;
	return 0;
}

int iot_map(struct iot *t, uint64_t root, unsigned int levels, uint64_t iova,
	    uint64_t phys, uint64_t size, uint64_t perm)
{
	unsigned int leaf = size_level(size);
	int err = 0;
	uint64_t e;

	if (!leaf || (levels != 3 && levels != 4) || ((iova | phys) &
	    (size - 1)) || iova >> (levels == 3 ? 39 : 48))
		return -EINVAL;
	e = walk_to(t, root, levels, iova, leaf, true, &err);
	if (!e)
		return err;
	if (iot_rq(t, e) & IOT_RW)
		return -EEXIST;
	iot_wq(t, e, phys | (perm & IOT_RW) | (leaf > 1 ? IOT_PS : 0));
	return 0;
}

uint64_t iot_pte_addr(struct iot *t, uint64_t root, unsigned int levels,
		      uint64_t iova, uint64_t size)
{
	int err = 0;

	return walk_to(t, root, levels, iova, size_level(size), false, &err);
}

uint64_t iot_unmap(struct iot *t, uint64_t root, unsigned int levels,
		   uint64_t iova)
{
	for (unsigned int leaf = 1; leaf <= 3; leaf++) {
		uint64_t size = 1ull << (12 + 9 * (leaf - 1));
		uint64_t e = iot_pte_addr(t, root, levels, iova & ~(size - 1),
					  size);
		uint64_t v;

		if (!e)
			continue;
		v = iot_rq(t, e);
		if ((v & IOT_RW) && (leaf == 1 || (v & IOT_PS))) {
			iot_wq(t, e, 0);
			return size;
		}
	}
	return 0;
}

void iot_gcmd(struct iot *t, uint32_t set, uint32_t clear)
{
	t->gcmd = (t->gcmd | (set & (IOT_TE | IOT_QIE))) & ~clear;
	iot_reg_write(t, IOT_GCMD, t->gcmd | (set & IOT_SRTP));
}

int iot_enable(struct iot *t, unsigned int qs)
{
	t->qs = qs;
	t->queue = iot_page(t);
	for (unsigned int i = 1; i < (1u << qs); i++)
		if (iot_page(t) != t->queue + 4096ull * i)
			return -ENOMEM;	/* not contiguous: a new chunk */
	if (!t->queue)
		return -ENOMEM;
	iot_reg_write(t, IOT_RTADDR, t->root);
	iot_gcmd(t, IOT_SRTP, 0);
	iot_reg_write(t, IOT_IQA, t->queue | qs);
	iot_gcmd(t, IOT_QIE, 0);
	t->tail = 0;
	iot_gcmd(t, IOT_TE, 0);
	return (iot_reg(t, IOT_GSTS) & (IOT_TE | IOT_QIE)) ==
	       (IOT_TE | IOT_QIE) ? 0 : -EIO;
}

void iot_qi_put(struct iot *t, uint64_t lo, uint64_t hi)
{
	uint64_t qsize = 4096ull << t->qs;

	iot_wq(t, t->queue + t->tail + 8, hi);
	iot_wq(t, t->queue + t->tail, lo);
	t->tail = (t->tail + 16) & (qsize - 1);
}

void iot_qi_kick(struct iot *t)
{
	iot_reg_write(t, IOT_IQT, t->tail);
}

bool iot_qi_wait(struct iot *t, bool iflag)
{
	uint32_t want = ++t->status_seq;

	iot_qi_put(t, IOT_DESC_WAIT(want, iflag, true), t->status);
	iot_qi_kick(t);
	return __atomic_load_n((uint32_t *)iot_host(t, t->status),
			       __ATOMIC_ACQUIRE) == want;
}

bool iot_flush_pages(struct iot *t, uint16_t did, uint64_t iova,
		     unsigned int am)
{
	iot_qi_put(t, IOT_DESC_IOTLB_PAGE(did),
		   IOT_DESC_IOTLB_PAGE_HI(iova, am, false));
	return iot_qi_wait(t, false);
}

bool iot_flush_all(struct iot *t)
{
	iot_qi_put(t, IOT_DESC_CC_GLOBAL(), 0);
	iot_qi_put(t, IOT_DESC_IOTLB_GLOBAL(), 0);
	return iot_qi_wait(t, false);
}
