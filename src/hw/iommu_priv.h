/* SPDX-License-Identifier: MIT */
/*
 * hw/iommu_priv.h - the DK-IOMMU model's private state, shared by its files
 * (docs/hw/iommu.md is the contract):
 *   iommu.c        registers, fault recording, interrupts, placement
 *   iommu_cache.c  seqlocked set-associative caches (IOTLB, context cache,
 *                  paging-structure caches)
 *   iommu_walk.c   translation: context lookup, page walk, the DMA hook
 *   iommu_qi.c     queued invalidation and the wait fence
 *
 * Included by src/hw/iommu*.c only.
 *
 * LOCKING: hw.reg_lock (taken by the MMIO core around the handlers)
 * protects the registers and the invalidation queue; the queue is
 * processed inside the IQT write under it. fault_lock protects FSTS, FECTL
 * and the fault recording registers; it is taken by translating device
 * threads (never reg_lock: an invalidation wait holds reg_lock while it
 * drains in-flight DMA) and by the register handlers (reg_lock ->
 * fault_lock). Each cache set is its own seqlock: readers retry, writers
 * take the set by CAS on its sequence word. gen, rtp and gsts are read
 * atomically without a lock.
 */
#ifndef DK_HW_IOMMU_PRIV_H
#define DK_HW_IOMMU_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include "hw/internal.h"

/* ---- registers (section 2) ----------------------------------------------- */
#define IOMMU_VER	0x000
#define IOMMU_CAP	0x008
#define IOMMU_GCMD	0x010
#define IOMMU_GSTS	0x018
#define   GSTS_TES	(1u << 31)
#define   GSTS_RTPS	(1u << 30)
#define   GSTS_QIES	(1u << 26)
#define IOMMU_RTADDR	0x020
#define IOMMU_FSTS	0x030
#define   FSTS_PFO	(1u << 0)
#define   FSTS_PPF	(1u << 1)
#define   FSTS_IQE	(1u << 4)
#define   FSTS_ICE	(1u << 5)
#define   FSTS_FRI_SHIFT 8
#define IOMMU_FECTL	0x038
#define   ECTL_IM	(1u << 31)
#define   ECTL_IP	(1u << 30)
#define IOMMU_IQH	0x080
#define IOMMU_IQT	0x088
#define IOMMU_IQA	0x090
#define IOMMU_ICS	0x098
#define   ICS_IWC	(1u << 0)
#define IOMMU_IECTL	0x0a0
#define IOMMU_STAT_SEL	0x0c0
#define IOMMU_STAT_VAL	0x0c8
#define IOMMU_FRCD	0x100
#define   FRCD_F	(1ull << 63)
#define   FRCD_T	(1ull << 62)

#define IOMMU_VERSION	0x00010000u
#define ADDR_MASK	0x000ffffffffff000ull	/* bits 51:12 */
#define IQ_OFF_MASK	0x7fff0ull		/* bits 18:4 */

/* Statistics counters (section 2.8). */
enum {
	ST_XLATE, ST_IOTLB_HIT, ST_IOTLB_MISS, ST_WALK, ST_FAULT,
	ST_DROPPED, ST_INVAL, ST_CC_HIT, ST_CC_MISS, ST_PSC_HIT, ST_PSC_MISS,
	ST_NR
};

/* Fault reasons (section 7). */
enum {
	FR_ROOT_NP = 0x1, FR_CTX_NP, FR_CTX_INVALID, FR_WIDTH, FR_WRITE,
	FR_READ, FR_PT_ADDR, FR_RT_ADDR, FR_CT_ADDR, FR_ROOT_RSVD,
	FR_CTX_RSVD, FR_PTE_RSVD,
};

/* ---- caches (iommu_cache.c) --------------------------------------------- */

struct sa_entry {
	uint64_t tag;		/* bit 0: valid; 0 = empty */
	uint64_t d0, d1;
};

struct sa_set {
	uint32_t seq;		/* odd while a writer holds the set */
	uint32_t next;		/* round-robin victim, under the set */
	uint64_t pad;
	struct sa_entry e[];
};

struct sa_cache {
	unsigned int sets, ways;
	size_t stride;		/* bytes per set */
	uint64_t set_mask;	/* sets - 1 when a power of two, else 0 */
	uint8_t *mem;
};

int sa_init(struct sa_cache *c, unsigned int entries, unsigned int ways);
void sa_free(struct sa_cache *c);

static inline struct sa_set *sa_set(const struct sa_cache *c, uint64_t h)
{
	uint64_t i = c->set_mask ? (h & c->set_mask) : (h % c->sets);

	return (struct sa_set *)(c->mem + i * c->stride);
}

/* Look @tag up in @s; lock-free (retries while a writer holds the set). */
static inline bool sa_lookup(const struct sa_cache *c, struct sa_set *s,
			     uint64_t tag, uint64_t *d0, uint64_t *d1)
{
	for (;;) {
		uint32_t q = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		bool hit = false;

		if (q & 1)
			continue;
		for (unsigned int w = 0; w < c->ways; w++) {
			/*
			 * Acquire: a value from a newer writer carries its
			 * odd sequence store with it, so the check below
			 * sees the change and retries.
			 */
			if (__atomic_load_n(&s->e[w].tag, __ATOMIC_ACQUIRE) ==
			    tag) {
				*d0 = __atomic_load_n(&s->e[w].d0,
						      __ATOMIC_ACQUIRE);
				*d1 = __atomic_load_n(&s->e[w].d1,
						      __ATOMIC_ACQUIRE);
				hit = true;
				break;
			}
		}
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) == q)
			return hit;
	}
}

/*
 * sa_lookup() that tries way *@way first and leaves there the way it hit:
 * a run of pages inserted in order sits in the same way of consecutive
 * sets, so a burst looks at one entry per page instead of scanning.
 */
static inline bool sa_lookup_hint(const struct sa_cache *c, struct sa_set *s,
				  uint64_t tag, uint64_t *d0, uint64_t *d1,
				  unsigned int *way)
{
	unsigned int h = *way;

	for (;;) {
		uint32_t q = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		bool hit = false;

		if (q & 1)
			continue;
		/* Acquire loads as in sa_lookup(). */
		if (h < c->ways &&
		    __atomic_load_n(&s->e[h].tag, __ATOMIC_ACQUIRE) == tag) {
			*d0 = __atomic_load_n(&s->e[h].d0, __ATOMIC_ACQUIRE);
			*d1 = __atomic_load_n(&s->e[h].d1, __ATOMIC_ACQUIRE);
			hit = true;
		}
		for (unsigned int w = 0; !hit && w < c->ways; w++) {
			if (__atomic_load_n(&s->e[w].tag, __ATOMIC_ACQUIRE) ==
			    tag) {
				*d0 = __atomic_load_n(&s->e[w].d0,
						      __ATOMIC_ACQUIRE);
				*d1 = __atomic_load_n(&s->e[w].d1,
						      __ATOMIC_ACQUIRE);
				hit = true;
				h = w;
			}
		}
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) == q) {
			*way = h;
			return hit;
		}
	}
}

uint32_t sa_lock(struct sa_set *s);
void sa_unlock(struct sa_set *s, uint32_t q);
void sa_insert(const struct sa_cache *c, struct sa_set *s, uint64_t tag,
	       uint64_t d0, uint64_t d1);
/* Drop the entries for which @match returns true; returns how many. */
typedef bool (*sa_match_fn)(const struct sa_entry *e, const void *arg);
unsigned int sa_drop_set(const struct sa_cache *c, struct sa_set *s,
			 sa_match_fn match, const void *arg);
unsigned int sa_drop_all(const struct sa_cache *c, sa_match_fn match,
			 const void *arg);

/* ---- the model ------------------------------------------------------------- */

struct frcd {
	uint64_t lo, hi;
};

struct dk_iommu {
	struct dk_hw_dev hw;		/* first */
	struct dk_dma_xlate xlate;	/* what m->xlate points at with TE */
	struct dk_machine *m;
	uint32_t track;			/* DK_TRACK_IOMMU */

	/* Caches; psc[0..2]: entries of levels 2, 3 and 4. */
	struct sa_cache iotlb, ctxc, psc[3];
	uint64_t gen;			/* atomic: bumped per invalidation */
	uint64_t rtp;			/* atomic: latched root table, 0 none */

	/* Registers, under hw.reg_lock. */
	uint64_t cap;
	uint64_t rtaddr;
	uint64_t iqa, iqh, iqt;
	uint64_t stat_sel;
	uint32_t gsts;			/* written under reg_lock; atomic */
	uint32_t ics, iectl;
	bool drain_needed;		/* an invalidation since the last drain */
	struct dk_hw_irq_line unused;

	/* Faults, under fault_lock. */
	pthread_mutex_t fault_lock;
	uint32_t fsts;			/* PFO, IQE, ICE (PPF, FRI derived) */
	uint32_t fectl;
	unsigned int nfr, fri;
	struct frcd *frcd;

	/* Statistics not counted on device slots; atomic. */
	uint64_t stat[ST_NR];
};

#define io_from(ptr, member) \
	((struct dk_iommu *)((char *)(ptr) - offsetof(struct dk_iommu, member)))

static inline void io_stat(struct dk_dma_slot *s, unsigned int i)
{
	/* Only the slot's holder writes it: no read-modify-write needed. */
	__atomic_store_n(&s->stat[i],
			 __atomic_load_n(&s->stat[i], __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

static inline void io_gstat(struct dk_iommu *io, unsigned int i, uint64_t n)
{
	__atomic_add_fetch(&io->stat[i], n, __ATOMIC_RELAXED);
}

/* Host pointer of the 8-byte aligned quadword at RAM @phys, or NULL. */
static inline uint64_t *io_ram_q(struct dk_iommu *io, uint64_t phys)
{
	const struct dk_ram_region *r = dk__ram_region(io->m->ram, phys);

	if (!r || (phys & 7) || r->base + r->size - phys < 8)
		return NULL;
	return (uint64_t *)(r->host + (phys - r->base));
}

/* iommu.c */
int dk__iommu_fault(struct dk_iommu *io, struct dk_hw_dev *dev, uint64_t iova,
		    bool write, unsigned int reason, bool fpd);
void dk__iommu_fsts_set(struct dk_iommu *io, uint32_t bits);
void dk__iommu_bump(struct dk_iommu *io);

/* iommu_walk.c */
int dk__iommu_translate(const struct dk_dma_xlate *x, struct dk_hw_dev *dev,
			struct dk_dma_slot *slot, uint64_t bus, bool write,
			uint64_t *phys, uint64_t *len);
void dk__iommu_flush_all(struct dk_iommu *io);
void dk__iommu_flush_did(struct dk_iommu *io, unsigned int did,
			 bool ctx, bool iotlb, bool psc);
void dk__iommu_flush_sid(struct dk_iommu *io, unsigned int sid);
void dk__iommu_flush_pages(struct dk_iommu *io, unsigned int did,
			   uint64_t addr, unsigned int am, bool ih);
const char *dk__iommu_reason(unsigned int fr);

/* iommu_qi.c */
void dk__iommu_qi_run(struct dk_iommu *io);

#endif
