/* SPDX-License-Identifier: MIT */
/*
 * kernel/iova_internal.h - what the two halves of the IOVA allocator share:
 * the tree (iova.c) and the range caches (iova_rcache.c).
 *
 * Included by src/kernel/iova*.c and tests/kernel/iova_test.c only.
 */
#ifndef DK_KERNEL_IOVA_INTERNAL_H
#define DK_KERNEL_IOVA_INTERNAL_H

#include <stdint.h>
#include <linux/iova.h>

#define IOVA_DOMAIN_MAGIC	0x10fa10faU

/* struct iova_node.flags */
#define IOVA_NODE_RESERVED	1u	/* made by reserve_iova() */
#define IOVA_NODE_ANCHOR	2u	/* the domain's top sentinel */

/* ---- the tree (iova.c) --------------------------------------------------- */

/* Reports a NULL or uninitialised domain on behalf of @who. */
void dk__iova_domain_bad(struct iova_domain *iovad, const char *who);

/* Bad-domain check shared by every entry point; reports @who on failure. */
static inline bool dk__iova_domain_ok(struct iova_domain *iovad,
				      const char *who)
{
	if (__builtin_expect(iovad && iovad->magic == IOVA_DOMAIN_MAGIC, 1))
		return true;
	dk__iova_domain_bad(iovad, who);
	return false;
}

/*
 * Allocate from the tree into @new: the highest range of @size frames with
 * pfn_lo aligned to @align (a power of two) within [@lo_pfn, @limit_pfn].
 * Caller holds iova_rbtree_lock. Return: 0, or -ENOSPC (nothing fits).
 */
int dk__iova_alloc_locked(struct iova_domain *iovad, struct iova *new,
			  unsigned long size, unsigned long align,
			  unsigned long lo_pfn, unsigned long limit_pfn);

/* The range that starts exactly at @pfn, or NULL. Caller holds the lock. */
struct iova *dk__iova_find_exact_locked(struct iova_domain *iovad,
					unsigned long pfn);

/*
 * Free the range that starts exactly at @pfn (any size), refusing one that
 * sits in a cache; reports as @who. Takes the lock.
 * Return: 0, -ENOENT (no such range) or -EBUSY (cached: double free).
 */
int dk__iova_free_exact(struct iova_domain *iovad, unsigned long pfn,
			const char *who);

/* Unlink and free @iova. Caller holds the lock. */
void dk__iova_remove_locked(struct iova_domain *iovad, struct iova *iova);

/*
 * Check every invariant of the tree (order, no overlap, AVL balance,
 * parent links, gaps and subtree maxima). Takes the lock.
 * Return: 0, or -EUCLEAN after reporting the first broken invariant.
 */
int dk__iova_check(struct iova_domain *iovad);

/* ---- range caches (iova_rcache.c) ---------------------------------------- */

/* Free everything the caches hold (no tree updates: the tree goes next). */
void dk__iova_rcache_destroy(struct iova_domain *iovad);

/*
 * Cache state of the range starting at @pfn: 0 (not tracked), or
 * IOVA_ST_LIVE / IOVA_ST_CACHED ored with the size order. Caller holds
 * iova_rbtree_lock or owns the range.
 */
#define IOVA_ST_LIVE		0x40u
#define IOVA_ST_CACHED		0x80u
#define IOVA_ST_ORDER		0x0fu
unsigned int dk__iova_rcache_state(struct iova_domain *iovad,
				   unsigned long pfn);
/* Forget the state of @pfn (its range leaves the tree). Lock held. */
void dk__iova_rcache_untrack(struct iova_domain *iovad, unsigned long pfn);

/*
 * Flush every thread's magazines and the depot back to the tree.
 * Context: process or any; takes the registry, cache, depot and tree locks
 * in that order; the caller holds none of them.
 */
void dk__iova_rcache_flush_all(struct iova_domain *iovad);

/* Ranges sitting in caches (all threads and the depot), for tests. */
unsigned long dk__iova_rcache_count(struct iova_domain *iovad);

#endif
