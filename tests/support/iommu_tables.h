/* SPDX-License-Identifier: MIT */
/*
 * iommu_tables.h - a table builder for DK-IOMMU tests and benchmarks
 * (docs/hw/iommu.md), in the manner of QEMU's libqos: root, context and
 * page tables and invalidation descriptors written straight into simulated
 * RAM, registers programmed through the MMIO door, as a driver would.
 *
 * Table pages come from a pool of physically contiguous blocks taken from
 * the page allocator (freed by iot_fini()). Entries are written with
 * relaxed atomic stores (the IOMMU reads them atomically). Not thread-safe:
 * one builder per test thread.
 */
#ifndef DK_IOMMU_TABLES_H
#define DK_IOMMU_TABLES_H

#include <stdbool.h>
#include <stdint.h>
#include <dmakit/machine.h>

#define IOT_R		1ull
#define IOT_W		2ull
#define IOT_RW		3ull
#define IOT_PS		0x80ull

#define IOT_SZ_4K	(1ull << 12)
#define IOT_SZ_2M	(1ull << 21)
#define IOT_SZ_1G	(1ull << 30)

#define IOT_TT_XLATE	0
#define IOT_TT_PT	2

/* Registers (offsets in the window at DK_IOMMU_BASE). */
#define IOT_VER		0x000
#define IOT_CAP		0x008
#define IOT_GCMD	0x010
#define IOT_GSTS	0x018
#define   IOT_TE	(1u << 31)
#define   IOT_SRTP	(1u << 30)
#define   IOT_QIE	(1u << 26)
#define IOT_RTADDR	0x020
#define IOT_FSTS	0x030
#define   IOT_PFO	(1u << 0)
#define   IOT_PPF	(1u << 1)
#define   IOT_IQE	(1u << 4)
#define   IOT_ICE	(1u << 5)
#define IOT_FECTL	0x038
#define   IOT_IM	(1u << 31)
#define   IOT_IP	(1u << 30)
#define IOT_IQH		0x080
#define IOT_IQT		0x088
#define IOT_IQA		0x090
#define IOT_ICS		0x098
#define IOT_IECTL	0x0a0
#define IOT_STAT_SEL	0x0c0
#define IOT_STAT_VAL	0x0c8
#define IOT_FRCD(i)	(0x100 + 16 * (i))

#define IOT_MAX_CHUNKS	64

struct iot {
	struct dk_machine *m;
	struct page *chunk[IOT_MAX_CHUNKS];
	unsigned int nr_chunks;
	uint64_t next, end;	/* bump allocation in the last chunk */
	uint64_t root;		/* root table (physical) */
	uint64_t queue;		/* invalidation queue, 0 until iot_qi_init */
	unsigned int qs;	/* queue: 2^qs pages */
	uint64_t tail;		/* software's copy of IQT */
	uint64_t status;	/* status word for waits (physical) */
	uint32_t status_seq;
	uint32_t gcmd;		/* TE | QIE as last commanded */
};

/* Set up on machine @m (allocates the root table). Return 0 or -ENOMEM. */
int iot_init(struct iot *t, struct dk_machine *m);
/* Free every page the builder took. */
void iot_fini(struct iot *t);

/* A zeroed 4 KiB page of simulated RAM; its physical address (0: none). */
uint64_t iot_page(struct iot *t);
/* Host address of physical @phys (RAM). */
void *iot_host(struct iot *t, uint64_t phys);
void iot_wq(struct iot *t, uint64_t phys, uint64_t v);
uint64_t iot_rq(struct iot *t, uint64_t phys);

/* Registers through the MMIO door (8-byte accesses). */
uint64_t iot_reg(struct iot *t, uint64_t off);
void iot_reg_write(struct iot *t, uint64_t off, uint64_t v);
uint64_t iot_stat(struct iot *t, unsigned int counter);

/* Context entry of requester @rid (root entry made present as needed). */
void iot_context(struct iot *t, uint16_t rid, unsigned int tt,
		 unsigned int aw, uint16_t did, uint64_t pgtable, bool fpd);
/* Raw context entry (for garbage tests). */
void iot_context_raw(struct iot *t, uint16_t rid, uint64_t lo, uint64_t hi);
/* Physical address of the context entry of @rid (0 if the bus has none). */
uint64_t iot_context_addr(struct iot *t, uint16_t rid);

/* A new, empty page table root. */
uint64_t iot_pgtable(struct iot *t);
/*
 * Map @size (4K/2M/1G) at @iova to @phys with @perm in the table at @root
 * with @levels (3 or 4). Return 0, -EINVAL (misaligned, bad size, too
 * wide), -EEXIST (something mapped there), -ENOMEM.
 */
int iot_map(struct iot *t, uint64_t root, unsigned int levels, uint64_t iova,
	    uint64_t phys, uint64_t size, uint64_t perm);
/* Clear the leaf mapping @iova; returns its size or 0 if none. */
uint64_t iot_unmap(struct iot *t, uint64_t root, unsigned int levels,
		   uint64_t iova);
/* Physical address of the leaf entry for @iova of @size (0 if absent). */
uint64_t iot_pte_addr(struct iot *t, uint64_t root, unsigned int levels,
		      uint64_t iova, uint64_t size);

/* Program RTADDR + SRTP, the queue (2^@qs pages) + QIE, then TE. */
int iot_enable(struct iot *t, unsigned int qs);
void iot_gcmd(struct iot *t, uint32_t set, uint32_t clear);

/* Descriptors. */
#define IOT_DESC_CC_GLOBAL()		(0x1ull | 1 << 4)
#define IOT_DESC_CC_DOMAIN(did)		(0x1ull | 2 << 4 | (uint64_t)(did) << 16)
#define IOT_DESC_CC_DEVICE(did, sid)	(0x1ull | 3 << 4 | (uint64_t)(did) << 16 | (uint64_t)(sid) << 32)
#define IOT_DESC_IOTLB_GLOBAL()		(0x2ull | 1 << 4)
#define IOT_DESC_IOTLB_DOMAIN(did)	(0x2ull | 2 << 4 | (uint64_t)(did) << 16)
#define IOT_DESC_IOTLB_PAGE(did)	(0x2ull | 3 << 4 | (uint64_t)(did) << 16)
#define IOT_DESC_IOTLB_PAGE_HI(addr, am, ih) \
	((addr) | (uint64_t)(am) | ((ih) ? 0x40ull : 0))
#define IOT_DESC_WAIT(data, iflag, sw) \
	(0x5ull | ((iflag) ? 0x10ull : 0) | ((sw) ? 0x20ull : 0) | (uint64_t)(data) << 32)

/* Write one descriptor at the tail (no IQT write). */
void iot_qi_put(struct iot *t, uint64_t lo, uint64_t hi);
/* Write IQT (processes everything queued). */
void iot_qi_kick(struct iot *t);
/* Put a wait with SW (and @iflag), kick; return true if the status arrived. */
bool iot_qi_wait(struct iot *t, bool iflag);
/* Page-selective IOTLB invalidation of [iova, iova + 2^am pages) + wait. */
bool iot_flush_pages(struct iot *t, uint16_t did, uint64_t iova,
		     unsigned int am);
/* Global context-cache + IOTLB invalidation + wait. */
bool iot_flush_all(struct iot *t);

#endif
