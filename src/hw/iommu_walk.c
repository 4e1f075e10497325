// SPDX-License-Identifier: MIT
/*
 * iommu_walk.c - DK-IOMMU translation: the DMA path's hook, the context
 * lookup (context cache, then root and context tables in RAM), the IOTLB,
 * the paging-structure caches and the 3/4-level page walk; and the cache
 * flushes the invalidation queue asks for.
 *
 * Runs on the requesting device's thread. Tables are read straight from
 * simulated RAM through the regions' host mappings (the IOMMU is not a bus
 * master of itself), each quadword with a relaxed atomic load: whatever
 * software wrote, the walk either finds a valid entry or records a fault.
 *
 * Tags. IOTLB: valid | size << 1 | DID << 3 | page << 19 (page: IOVA >>
 * 12, 21 or 30); data: page address | R | W. Context cache: valid |
 * requester id << 1; data: table pointer | TT << 2 | FPD << 1, and DID |
 * AW << 16. Paging-structure cache of level L (2, 3, 4): valid | DID << 1
 * | (IOVA >> (12 + 9 (L - 1))) << 17; data: the next table's address.
 *
 * LOCKING: none of its own; the caches' sets are seqlocks (iommu_cache.c).
 * A fault takes fault_lock (iommu.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include "hw/iommu_priv.h"

#define SZ_HASH 0x9e3779b1u	/* spreads the three page sizes' sets */

struct io_ctx {
	uint64_t ptr;
	unsigned int did, tt, aw;
	bool fpd;
};

const char *dk__iommu_reason(unsigned int fr)
{
	static const char *const why[] = {
		[FR_ROOT_NP] = "root entry not present",
		[FR_CTX_NP] = "context entry not present (device blocked)",
		[FR_CTX_INVALID] = "invalid context entry (reserved TT or AW)",
		[FR_WIDTH] = "address beyond the table width",
		[FR_WRITE] = "write to a page not writable",
		[FR_READ] = "read from a page not readable",
		[FR_PT_ADDR] = "page table address is not RAM",
		[FR_RT_ADDR] = "root table address is not RAM",
		[FR_CT_ADDR] = "context table address is not RAM",
		[FR_ROOT_RSVD] = "reserved bit set in a root entry",
		[FR_CTX_RSVD] = "reserved bit set in a context entry",
		[FR_PTE_RSVD] = "reserved bit or misplaced PS in a page table entry",
	};

	if (fr < sizeof(why) / sizeof(why[0]) && why[fr])
		return why[fr];
	return "unknown";
}

static uint64_t ctx_hash(unsigned int rid)
{
	return ((uint64_t)rid * 0x9e3779b1u) >> 7;
}

static uint64_t ld(const uint64_t *q)
{
	return __atomic_load_n(q, __ATOMIC_RELAXED);
}

/* Context of @dev: from the context cache or the tables. */
static int ctx_get(struct dk_iommu *io, struct dk_dma_slot *s,
		   struct dk_hw_dev *dev, uint64_t bus, bool write,
		   struct io_ctx *ctx)
{
	unsigned int rid = dev->requester_id;
	uint64_t tag = 1 | (uint64_t)rid << 1;
	struct sa_set *set = sa_set(&io->ctxc, ctx_hash(rid));
	uint64_t d0 = 0, d1 = 0, rtp, lo, hi;
	const uint64_t *q;

	if (sa_lookup(&io->ctxc, set, tag, &d0, &d1)) {
		io_stat(s, ST_CC_HIT);
		goto unpack;
	}
	io_stat(s, ST_CC_MISS);
	rtp = __atomic_load_n(&io->rtp, __ATOMIC_ACQUIRE);
	q = io_ram_q(io, rtp + (rid >> 8) * 16);
	if (!q)
		return dk__iommu_fault(io, dev, bus, write, FR_RT_ADDR, false);
	lo = ld(q);
	hi = ld(q + 1);
	if (!(lo & 1))
		return dk__iommu_fault(io, dev, bus, write, FR_ROOT_NP, false);
	if ((lo & ~(ADDR_MASK | 1)) || hi)
		return dk__iommu_fault(io, dev, bus, write, FR_ROOT_RSVD,
				       false);
	q = io_ram_q(io, (lo & ADDR_MASK) + (rid & 0xff) * 16);
	if (!q)
		return dk__iommu_fault(io, dev, bus, write, FR_CT_ADDR, false);
	lo = ld(q);
	hi = ld(q + 1);
	if (!(lo & 1))
		return dk__iommu_fault(io, dev, bus, write, FR_CTX_NP, false);
	if ((lo & ~(ADDR_MASK | 0xf)) || (hi & ~0xffff07ull))
		return dk__iommu_fault(io, dev, bus, write, FR_CTX_RSVD,
				       false);
	d0 = lo & (ADDR_MASK | 0xe);
	d1 = ((hi >> 8) & 0xffff) | (hi & 7) << 16;
	ctx->tt = (unsigned int)(d0 >> 2) & 3;
	ctx->aw = (unsigned int)(d1 >> 16) & 7;
	if (ctx->tt == 1 || ctx->tt == 3 ||
	    (ctx->tt == 0 && ctx->aw != 1 && ctx->aw != 2))
		return dk__iommu_fault(io, dev, bus, write, FR_CTX_INVALID,
				       lo & 2);
	sa_insert(&io->ctxc, set, tag, d0, d1);
unpack:
	ctx->ptr = d0 & ADDR_MASK;
	ctx->fpd = d0 & 2;
	ctx->tt = (unsigned int)(d0 >> 2) & 3;
	ctx->did = (unsigned int)d1 & 0xffff;
	ctx->aw = (unsigned int)(d1 >> 16) & 7;
	return 0;
}

static int walk(struct dk_iommu *io, struct dk_dma_slot *s,
		struct dk_hw_dev *dev, const struct io_ctx *ctx, uint64_t bus,
		bool write, uint64_t *phys, uint64_t *len)
{
	unsigned int levels = ctx->aw == 1 ? 3 : 4;
	uint64_t table = ctx->ptr, d0 = 0, d1 = 0;
	unsigned int lvl = levels, l;
	bool psc_hit = false;

	io_stat(s, ST_WALK);
	for (l = 2; l <= levels; l++) {
		uint64_t region = bus >> (12 + 9 * (l - 1));
		uint64_t tag = 1 | (uint64_t)ctx->did << 1 | region << 17;
		struct sa_cache *c = &io->psc[l - 2];

		if (sa_lookup(c, sa_set(c, region), tag, &d0, &d1)) {
			table = d0;
			lvl = l - 1;
			psc_hit = true;
			break;
		}
	}
	io_stat(s, psc_hit ? ST_PSC_HIT : ST_PSC_MISS);
	for (; lvl >= 1; lvl--) {
		unsigned int shift = 12 + 9 * (lvl - 1);
		uint64_t size = 1ull << shift, pte, addr;
		const uint64_t *q = io_ram_q(io, table +
					     ((bus >> shift) & 511) * 8);
		bool ps;

		if (!q)
			return dk__iommu_fault(io, dev, bus, write, FR_PT_ADDR,
					       ctx->fpd);
		pte = ld(q);
		if (!(pte & 3))
			return dk__iommu_fault(io, dev, bus, write,
					       write ? FR_WRITE : FR_READ,
					       ctx->fpd);
		ps = pte & 0x80;
		if ((pte & ~(ADDR_MASK | 0xfff)) ||
		    (ps && (lvl == 1 || lvl == 4)))
			return dk__iommu_fault(io, dev, bus, write,
					       FR_PTE_RSVD, ctx->fpd);
		addr = pte & ADDR_MASK;
		if (lvl > 1 && !ps) {
			struct sa_cache *c = &io->psc[lvl - 2];
			uint64_t region = bus >> shift;

			sa_insert(c, sa_set(c, region),
				  1 | (uint64_t)ctx->did << 1 | region << 17,
				  addr, 0);
			table = addr;
			continue;
		}
		if (addr & (size - 1))
			return dk__iommu_fault(io, dev, bus, write,
					       FR_PTE_RSVD, ctx->fpd);
		if (!(pte & (write ? 2 : 1)))
			return dk__iommu_fault(io, dev, bus, write,
					       write ? FR_WRITE : FR_READ,
					       ctx->fpd);
		{
			uint64_t page = bus >> shift;
			uint64_t sz = lvl - 1;
			uint64_t tag = 1 | sz << 1 |
				       (uint64_t)ctx->did << 3 | page << 19;

			sa_insert(&io->iotlb,
				  sa_set(&io->iotlb, page + sz * SZ_HASH), tag,
				  addr | (pte & 3), 0);
		}
		*phys = addr + (bus & (size - 1));
		*len = size - (bus & (size - 1));
		dk__trace(io->track, DK_EV_IOMMU_WALK, dev->requester_id, bus,
			  *phys);
		return 0;
	}
	return dk__iommu_fault(io, dev, bus, write, FR_PTE_RSVD, ctx->fpd);
}

/*
 * The caller wants @want bytes from @bus and the first page hit the IOTLB:
 * go on through the following pages of the same size while they hit too,
 * with the rights asked for, and are physically contiguous (each lookup
 * counted as a translation and a hit). A burst, as a bus master issues it.
 */
static void extend(struct dk_iommu *io, struct dk_dma_slot *slot,
		   const struct io_ctx *ctx, uint64_t bus, bool write,
		   uint64_t want, uint64_t sz, uint64_t phys, uint64_t *len,
		   const unsigned int *way0)
{
	unsigned int shift = 12 + 9 * (unsigned int)sz;
	uint64_t limit = 1ull << (ctx->aw == 1 ? 39 : 48);
	uint64_t tagbase = 1 | sz << 1 | (uint64_t)ctx->did << 3;
	unsigned int way = *way0;
	uint64_t n = 0;

	while (*len < want && bus + *len < limit) {
		uint64_t page = (bus + *len) >> shift, d0 = 0, d1 = 0;

		if (!sa_lookup_hint(&io->iotlb,
				    sa_set(&io->iotlb, page + sz * SZ_HASH),
				    tagbase | page << 19, &d0, &d1, &way) ||
		    !(d0 & (write ? 2 : 1)) ||
		    (d0 & ADDR_MASK) != phys + *len)
			break;
		n++;
		*len += 1ull << shift;
	}
	/* One translation and one hit per page, counted once at the end. */
	if (n) {
		for (unsigned int i = 0; i < 2; i++) {
			unsigned int st = i ? ST_IOTLB_HIT : ST_XLATE;

			__atomic_store_n(&slot->stat[st],
					 __atomic_load_n(&slot->stat[st],
							 __ATOMIC_RELAXED) + n,
					 __ATOMIC_RELAXED);
		}
	}
}

/**
 * dk__iommu_translate() - the DMA path's translation hook (translate_slot)
 * @x: &io->xlate
 * @dev: the requesting device
 * @slot: the caller's in-flight slot (statistics are counted there)
 * @bus: IOVA
 * @write: write request
 * @phys: receives the physical address
 * @len: in: the bytes the caller wants; out: the bytes left in the page
 *       or superpage, extended over following IOTLB hits that continue it
 *       physically (see extend())
 *
 * Context: the device's thread (or whoever acts as the device), inside a
 * DMA-path call. Takes no lock on a hit; fault_lock on a fault.
 * Return: 0 or -EFAULT after recording the fault.
 */
int dk__iommu_translate(const struct dk_dma_xlate *x, struct dk_hw_dev *dev,
			struct dk_dma_slot *slot, uint64_t bus, bool write,
			uint64_t *phys, uint64_t *len)
{
	struct dk_iommu *io = io_from(x, xlate);
	struct io_ctx ctx = { 0 };
	uint64_t want = *len;
	unsigned int way = 0;
	int ret;

	io_stat(slot, ST_XLATE);
	ret = ctx_get(io, slot, dev, bus, write, &ctx);
	if (ret)
		return ret;
	if (ctx.tt == 2) {
		/* Pass-through: identity, in 1 GiB steps. */
		*phys = bus;
		*len = (1ull << 30) - (bus & ((1ull << 30) - 1));
		return 0;
	}
	if (bus >> (ctx.aw == 1 ? 39 : 48))
		return dk__iommu_fault(io, dev, bus, write, FR_WIDTH, ctx.fpd);
	for (uint64_t sz = 0; sz < 3; sz++) {
		unsigned int shift = 12 + 9 * (unsigned int)sz;
		uint64_t page = bus >> shift, d0 = 0, d1 = 0;
		uint64_t tag = 1 | sz << 1 | (uint64_t)ctx.did << 3 |
			       page << 19;

		if (sa_lookup_hint(&io->iotlb,
				   sa_set(&io->iotlb, page + sz * SZ_HASH),
				   tag, &d0, &d1, &way)) {
			uint64_t size = 1ull << shift;

			/* Too few rights cached: walk again (may upgrade). */
			if (!(d0 & (write ? 2 : 1)))
				break;
			io_stat(slot, ST_IOTLB_HIT);
			*phys = (d0 & ADDR_MASK) + (bus & (size - 1));
			*len = size - (bus & (size - 1));
			if (want > *len)
				extend(io, slot, &ctx, bus, write, want, sz,
				       *phys, len, &way);
			return 0;
		}
	}
	io_stat(slot, ST_IOTLB_MISS);
	dk__trace(io->track, DK_EV_IOMMU_MISS, dev->requester_id, bus, ctx.did);
	return walk(io, slot, dev, &ctx, bus, write, phys, len);
}

/* ---- flushes ---------------------------------------------------------------- */

struct flush_arg {
	unsigned int did;
	uint64_t sz;		/* IOTLB size code */
	unsigned int shift;	/* PSC: region shift */
	uint64_t first, last;	/* page / region range */
};

static bool m_iotlb_did(const struct sa_entry *e, const void *p)
{
	const struct flush_arg *a = p;

	return ((e->tag >> 3) & 0xffff) == a->did;
}

static bool m_psc_did(const struct sa_entry *e, const void *p)
{
	const struct flush_arg *a = p;

	return ((e->tag >> 1) & 0xffff) == a->did;
}

static bool m_ctx_did(const struct sa_entry *e, const void *p)
{
	const struct flush_arg *a = p;

	return (e->d1 & 0xffff) == a->did;
}

static bool m_ctx_sid(const struct sa_entry *e, const void *p)
{
	const struct flush_arg *a = p;

	return ((e->tag >> 1) & 0xffff) == a->did;	/* did holds the sid */
}

static bool m_iotlb_range(const struct sa_entry *e, const void *p)
{
	const struct flush_arg *a = p;
	uint64_t page = e->tag >> 19;

	return m_iotlb_did(e, a) && ((e->tag >> 1) & 3) == a->sz &&
	       page >= a->first && page <= a->last;
}

static bool m_psc_range(const struct sa_entry *e, const void *p)
{
	const struct flush_arg *a = p;
	uint64_t region = e->tag >> 17;

	return m_psc_did(e, a) && region >= a->first && region <= a->last;
}

static void all_caches(struct dk_iommu *io, struct sa_cache **c)
{
	c[0] = &io->iotlb;
	c[1] = &io->ctxc;
	c[2] = &io->psc[0];
	c[3] = &io->psc[1];
	c[4] = &io->psc[2];
}

/* Drop everything (SRTP, global invalidations, reset). */
void dk__iommu_flush_all(struct dk_iommu *io)
{
	struct sa_cache *c[5];

	all_caches(io, c);
	for (unsigned int i = 0; i < 5; i++)
		if (c[i]->mem)
			sa_drop_all(c[i], NULL, NULL);
}

/* Drop what is cached for domain @did in the caches selected. */
void dk__iommu_flush_did(struct dk_iommu *io, unsigned int did, bool ctx,
			 bool iotlb, bool psc)
{
	struct flush_arg a = { .did = did };

	if (ctx)
		sa_drop_all(&io->ctxc, m_ctx_did, &a);
	if (iotlb)
		sa_drop_all(&io->iotlb, m_iotlb_did, &a);
	if (psc)
		for (unsigned int l = 0; l < 3; l++)
			sa_drop_all(&io->psc[l], m_psc_did, &a);
}

/* Drop the context-cache entry of requester @sid. */
void dk__iommu_flush_sid(struct dk_iommu *io, unsigned int sid)
{
	struct flush_arg a = { .did = sid };

	sa_drop_set(&io->ctxc, sa_set(&io->ctxc, ctx_hash(sid)), m_ctx_sid,
		    &a);
}

/* Drop IOTLB (and unless @ih PSC) entries of @did overlapping the range. */
void dk__iommu_flush_pages(struct dk_iommu *io, unsigned int did,
			   uint64_t addr, unsigned int am, bool ih)
{
	uint64_t end = addr + (DK_PAGE_SIZE << am) - 1;

	for (uint64_t sz = 0; sz < 3; sz++) {
		unsigned int shift = 12 + 9 * (unsigned int)sz;
		struct flush_arg a = { .did = did, .sz = sz,
				       .first = addr >> shift,
				       .last = end >> shift };

		if (a.last - a.first + 1 >= io->iotlb.sets) {
			sa_drop_all(&io->iotlb, m_iotlb_range, &a);
			continue;
		}
		for (uint64_t p = a.first; p <= a.last; p++)
			sa_drop_set(&io->iotlb,
				    sa_set(&io->iotlb, p + sz * SZ_HASH),
				    m_iotlb_range, &a);
	}
	if (ih)
		return;
	for (unsigned int l = 2; l <= 4; l++) {
		struct sa_cache *c = &io->psc[l - 2];
		unsigned int shift = 12 + 9 * (l - 1);
		struct flush_arg a = { .did = did, .first = addr >> shift,
				       .last = end >> shift };

		if (a.last - a.first + 1 >= c->sets) {
			sa_drop_all(c, m_psc_range, &a);
			continue;
		}
		for (uint64_t r = a.first; r <= a.last; r++)
			sa_drop_set(c, sa_set(c, r), m_psc_range, &a);
	}
}
