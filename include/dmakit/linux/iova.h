/* SPDX-License-Identifier: MIT */
/*
 * linux/iova.h - the IOVA allocator: ranges of I/O virtual page frames
 * handed out top-down below a device's DMA limit, as drivers/iommu/iova.c.
 *
 * Differs from Linux (same names, same results, better costs):
 * - the tree is an AVL tree augmented with the largest free gap (and the
 *   largest aligned fit for alignments up to 64) in each subtree, so
 *   alloc_iova() finds the highest fitting range below the limit in
 *   O(log n) however fragmented the domain is (no cached node, no
 *   max32_alloc_size fast-fail);
 * - the range caches are per thread (not per CPU): each thread that calls
 *   alloc_iova_fast()/free_iova_fast() on a domain gets its own pair of
 *   magazines per size class; they are returned at thread exit, reclaimed
 *   by put_iova_domain() and flushed (every thread's) before an
 *   alloc_iova_fast(..., true) reports exhaustion;
 * - misuse (size 0, a limit below start_pfn, freeing a pfn that is not
 *   allocated, a double free, a free with the wrong size class) is reported
 *   through the log and leaves the domain intact;
 * - reserve_iova() merges with overlapping reservations into one range and
 *   refuses (NULL) a range that overlaps an allocated one;
 * - struct iova nodes live on the host heap; iova_cache_get()/put() only
 *   count their users.
 */
#ifndef DMAKIT_LINUX_IOVA_H
#define DMAKIT_LINUX_IOVA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/spinlock.h>
#include <dmakit/api.h>

/* The anchor node sits at the very top of every domain. */
#define IOVA_ANCHOR			(~0UL)
/* Cached size classes: orders 0..IOVA_RANGE_CACHE_MAX_SIZE - 1 granules. */
#define IOVA_RANGE_CACHE_MAX_SIZE	6

/* Alignments 2^1 .. 2^IOVA_FIT_ORDERS get an exact subtree summary. */
#define IOVA_FIT_ORDERS		6

/**
 * struct iova_node - the allocator's bookkeeping in each range
 *
 * Private to the allocator (protected by the domain's iova_rbtree_lock).
 * max_fit[a - 1] is the largest request that an aligned (2^a) start can
 * place in some gap of the subtree, saturated at 0xffff.
 */
struct iova_node {
	struct iova *left, *right, *parent;
	unsigned long gap;	/* free pfns just below pfn_lo */
	unsigned long max_gap;	/* largest gap in this subtree */
	unsigned short max_fit[IOVA_FIT_ORDERS];
	signed char height;	/* AVL height, leaf = 1 */
	unsigned char flags;	/* IOVA_NODE_* (iova.c) */
};

/**
 * struct iova - one allocated (or reserved) range of page frames
 * @pfn_hi: last page frame of the range (inclusive)
 * @pfn_lo: first page frame of the range
 * @node: the allocator's tree linkage; do not touch
 */
struct iova {
	unsigned long pfn_hi;
	unsigned long pfn_lo;
	struct iova_node node;
};

struct iova_rcache;

/**
 * struct iova_domain - an IOVA space
 * @iova_rbtree_lock: protects the tree (@root and every node's @node)
 * @root: the tree of allocated and reserved ranges, keyed by pfn_lo
 * @granule: bytes per page frame (power of two, at most PAGE_SIZE)
 * @start_pfn: lowest page frame ever allocated
 * @dma_32bit_pfn: first page frame at or above 4 GiB
 * @anchor: the node at IOVA_ANCHOR that bounds the space from above
 * @rcaches: range caches, after iova_domain_init_rcaches(); NULL before
 * @rc_id: unique id of this incarnation of the domain (thread caches)
 * @magic: set by init_iova_domain(), cleared by put_iova_domain()
 * @nr_ranges: ranges in the tree, anchor excluded (under the lock)
 */
struct iova_domain {
	spinlock_t iova_rbtree_lock;
	struct iova *root;
	unsigned long granule;
	unsigned long start_pfn;
	unsigned long dma_32bit_pfn;
	struct iova anchor;
	struct iova_rcache *rcaches;
	uint64_t rc_id;
	unsigned int magic;
	unsigned long nr_ranges;
};

/** iova_size() - page frames in @iova */
static inline unsigned long iova_size(struct iova *iova)
{
	return iova->pfn_hi - iova->pfn_lo + 1;
}

/** iova_shift() - log2 of the domain's granule */
static inline unsigned long iova_shift(struct iova_domain *iovad)
{
	return iovad->granule ? (unsigned long)__builtin_ctzl(iovad->granule)
			      : 0;
}

/** iova_mask() - offset bits within one granule */
static inline unsigned long iova_mask(struct iova_domain *iovad)
{
	return iovad->granule - 1;
}

/** iova_offset() - offset of @iova within its granule */
static inline size_t iova_offset(struct iova_domain *iovad, dma_addr_t iova)
{
	return iova & iova_mask(iovad);
}

/** iova_align() - @size rounded up to whole granules */
static inline size_t iova_align(struct iova_domain *iovad, size_t size)
{
	return (size + iova_mask(iovad)) & ~(size_t)iova_mask(iovad);
}

/** iova_align_down() - @size rounded down to whole granules */
static inline size_t iova_align_down(struct iova_domain *iovad, size_t size)
{
	return size & ~(size_t)iova_mask(iovad);
}

/** iova_dma_addr() - bus address of the first byte of @iova */
static inline dma_addr_t iova_dma_addr(struct iova_domain *iovad,
				       struct iova *iova)
{
	return (dma_addr_t)iova->pfn_lo << iova_shift(iovad);
}

/** iova_pfn() - page frame of bus address @iova */
static inline unsigned long iova_pfn(struct iova_domain *iovad,
				     dma_addr_t iova)
{
	return (unsigned long)(iova >> iova_shift(iovad));
}

/**
 * iova_cache_get() - take a reference on the struct iova allocator
 *
 * Context: process. Return: 0 (nodes come from the host heap).
 */
DK_API int iova_cache_get(void);

/**
 * iova_cache_put() - drop a reference taken by iova_cache_get()
 *
 * An unbalanced put is reported. Context: process.
 */
DK_API void iova_cache_put(void);

/**
 * iova_rcache_range() - largest size (bytes at PAGE_SIZE granules) the
 * range caches serve
 */
DK_API unsigned long iova_rcache_range(void);

/**
 * init_iova_domain() - set up an empty IOVA space
 * @iovad: the domain (embedded by its owner)
 * @granule: bytes per page frame; a power of two, at most PAGE_SIZE
 * @start_pfn: lowest page frame that may be allocated
 *
 * A bad @granule is reported and leaves the domain unusable (every
 * allocation fails). Context: process; takes no lock.
 */
DK_API void init_iova_domain(struct iova_domain *iovad, unsigned long granule,
			     unsigned long start_pfn);

/**
 * iova_domain_init_rcaches() - enable the range caches of @iovad
 * @iovad: an initialised domain
 *
 * Context: process. Return: 0, -ENOMEM, or -EINVAL for a domain that is
 * not initialised; calling it twice is harmless.
 */
DK_API int iova_domain_init_rcaches(struct iova_domain *iovad);

/**
 * put_iova_domain() - tear a domain down
 * @iovad: the domain
 *
 * Frees every range still allocated or reserved and every range cached by
 * any thread. No other thread may use the domain meanwhile.
 * Context: process; takes the thread-cache registry lock and the tree lock.
 */
DK_API void put_iova_domain(struct iova_domain *iovad);

/**
 * alloc_iova() - allocate @size page frames from the tree
 * @iovad: the domain
 * @size: page frames (> 0)
 * @limit_pfn: highest page frame the range may use (inclusive)
 * @size_aligned: align pfn_lo to roundup_pow_of_two(@size)
 *
 * Takes the highest fitting range at or below @limit_pfn and at or above
 * the domain's start_pfn. Exhaustion returns NULL quietly; bad input is
 * reported. Context: any; takes iova_rbtree_lock.
 * Return: the new range, or NULL.
 */
DK_API struct iova *alloc_iova(struct iova_domain *iovad, unsigned long size,
			       unsigned long limit_pfn, bool size_aligned);

/**
 * __free_iova() - free a range returned by alloc_iova() or reserve_iova()
 * @iovad: the domain
 * @iova: the range; one that is not in @iovad is reported and left alone
 *
 * Context: any; takes iova_rbtree_lock.
 */
DK_API void __free_iova(struct iova_domain *iovad, struct iova *iova);

/**
 * free_iova() - free the range that contains @pfn
 * @iovad: the domain
 * @pfn: a page frame inside an allocated range
 *
 * A pfn in no range, or in a range sitting in a cache (already freed with
 * free_iova_fast()), is reported and nothing is freed.
 * Context: any; takes iova_rbtree_lock.
 */
DK_API void free_iova(struct iova_domain *iovad, unsigned long pfn);

/**
 * find_iova() - the range that contains @pfn
 * @iovad: the domain
 * @pfn: a page frame
 *
 * Context: any; takes iova_rbtree_lock. Return: the range or NULL (ranges
 * parked in a cache are still found, as in Linux).
 */
DK_API struct iova *find_iova(struct iova_domain *iovad, unsigned long pfn);

/**
 * reserve_iova() - carve [@pfn_lo, @pfn_hi] out of the allocatable space
 * @iovad: the domain
 * @pfn_lo: first page frame
 * @pfn_hi: last page frame (inclusive, >= @pfn_lo, < IOVA_ANCHOR)
 *
 * Overlapping reservations merge into one range (returned). A range that
 * overlaps an allocated one is refused with a report.
 * Context: any; takes iova_rbtree_lock. Return: the reservation or NULL.
 */
DK_API struct iova *reserve_iova(struct iova_domain *iovad,
				 unsigned long pfn_lo, unsigned long pfn_hi);

/**
 * alloc_iova_fast() - allocate through the caller's range cache
 * @iovad: the domain
 * @size: page frames (> 0); below 32 it is rounded up to a power of two
 * @limit_pfn: highest page frame the range may use (inclusive)
 * @flush_rcache: on exhaustion, flush every thread's cache and retry once
 *
 * Sizes up to 32 granules come from the calling thread's magazines when
 * they hold a fitting range; others (and misses) come from alloc_iova()
 * with size_aligned. Never returns page frame 0.
 * Context: any; takes the caller's cache lock, rarely the depot lock and
 * iova_rbtree_lock, and the registry lock only to flush.
 * Return: the first page frame, or 0.
 */
DK_API unsigned long alloc_iova_fast(struct iova_domain *iovad,
				     unsigned long size,
				     unsigned long limit_pfn,
				     bool flush_rcache);

/**
 * free_iova_fast() - free a range into the caller's range cache
 * @iovad: the domain
 * @pfn: first page frame, as returned by alloc_iova_fast()
 * @size: the size passed to alloc_iova_fast()
 *
 * A double free, a free with another size class, or a pfn that is not the
 * start of an allocated range is reported and nothing changes (two threads
 * racing to free the same range at the same instant may escape the check).
 * Context: any; takes the caller's cache lock, rarely the depot lock and
 * iova_rbtree_lock.
 */
DK_API void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
			   unsigned long size);

#endif
