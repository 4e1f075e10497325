// SPDX-License-Identifier: MIT
/*
 * iova.c - the IOVA allocator's tree: init/put of a domain, alloc_iova,
 * free_iova, __free_iova, find_iova, reserve_iova, and the augmented AVL
 * tree underneath them. The range caches (alloc_iova_fast) are in
 * iova_rcache.c.
 *
 * The tree holds every allocated or reserved range, keyed by pfn_lo, plus
 * an anchor at IOVA_ANCHOR. Each node records the free gap just below it
 * (from its predecessor's pfn_hi + 1, or start_pfn, to its pfn_lo - 1) and
 * two summaries of its subtree: the largest gap, and for each alignment
 * 2^1..2^6 the largest request an aligned start can place in one of its
 * gaps (six u16, updated as one vector). A top-down search for the highest
 * fit below a limit then skips every subtree that cannot hold the request
 * at its alignment and every right subtree wholly above the limit: only
 * the paths along the limit and the answer are walked, O(log n) whatever
 * the fragmentation, where Linux walks the tree linearly from a cached
 * node. Inserting or erasing a node changes its own gap and its
 * successor's; both paths are refreshed up to where nothing changes.
 *
 * LOCKING: iova_rbtree_lock (a spinlock_t) protects the tree: root, every
 * node's struct iova_node and pfn range, and nr_ranges. Nodes are host
 * memory (malloc), allocated before the lock is taken.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/iova.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include "kernel/iova_internal.h"

#define N(x)		((x)->node)

static int iova_cache_users;	/* atomic */

/* ---- tree primitives ----------------------------------------------------- */

static inline int t_height(const struct iova *n)
{
	return n ? N(n).height : 0;
}

static inline unsigned long t_max_gap(const struct iova *n)
{
	return n ? N(n).max_gap : 0;
}

/* max_fit saturates at IOVA_FIT_SAT, meaning "at least IOVA_FIT_EXACT". */
#define IOVA_FIT_SAT	0xffffu
#define IOVA_FIT_EXACT	0xffc0u

/*
 * Largest request an aligned (2^@a) start can place in @n's own gap: from
 * the first aligned frame in the gap to its end (the gap minus the padding
 * up to alignment), saturated. The scalar twin of t_update()'s vector code.
 */
static inline unsigned int t_own_fit(const struct iova *n, unsigned int a)
{
	unsigned long gap = N(n).gap,
		      pad = (0UL - (n->pfn_lo - gap)) & ((1UL << a) - 1);

	if (gap >= IOVA_FIT_SAT)
		return IOVA_FIT_SAT;
	return gap > pad ? (unsigned int)(gap - pad) : 0;
}

/*
 * The six max_fit lanes, height and flags make up 16 bytes, handled as one
 * vector of eight u16 (lanes 6 and 7 are masked off and never written).
 */
typedef unsigned short iova_v8 __attribute__((vector_size(16)));
_Static_assert(offsetof(struct iova_node, max_fit) + sizeof(iova_v8) <=
	       sizeof(struct iova_node), "max_fit vector overruns the node");

static const iova_v8 fit_masks = { 1, 3, 7, 15, 31, 63, 0, 0 };
static const iova_v8 fit_lanes = { 0xffff, 0xffff, 0xffff, 0xffff,
				   0xffff, 0xffff, 0, 0 };

static inline iova_v8 v_load(const struct iova *n)
{
	iova_v8 v;

	memcpy(&v, N(n).max_fit, sizeof(v));
	return v;
}

static inline iova_v8 v_max(iova_v8 a, iova_v8 b)
{
	iova_v8 m = (iova_v8)(a > b);

	return (a & m) | (b & ~m);
}

/*
 * Recompute height and the subtree summaries from the children.
 * Return: whether a summary (max_gap, max_fit) changed.
 */
static inline bool t_update(struct iova *n)
{
	const struct iova *l = N(n).left, *r = N(n).right;
	int hl = l ? N(l).height : 0, hr = r ? N(r).height : 0;
	unsigned long g = N(n).gap;
	iova_v8 v;
	bool changed;

	N(n).height = (signed char)(1 + (hl > hr ? hl : hr));
	if (g >= IOVA_FIT_SAT) {
		v = fit_lanes;
	} else {
		unsigned short ng = (unsigned short)(0UL - (n->pfn_lo - g));
		iova_v8 pad = (iova_v8){ ng, ng, ng, ng, ng, ng, 0, 0 } &
			      fit_masks;
		iova_v8 gv = (iova_v8){ 0, 0, 0, 0, 0, 0, 0, 0 } +
			     (unsigned short)g;

		v = (gv - pad) & (iova_v8)(gv > pad);
	}
	if (l) {
		if (N(l).max_gap > g)
			g = N(l).max_gap;
		v = v_max(v, v_load(l));
	}
	if (r) {
		if (N(r).max_gap > g)
			g = N(r).max_gap;
		v = v_max(v, v_load(r));
	}
	v &= fit_lanes;
	changed = g != N(n).max_gap ||
		  memcmp(N(n).max_fit, &v, sizeof(N(n).max_fit));
	N(n).max_gap = g;
	memcpy(N(n).max_fit, &v, sizeof(N(n).max_fit));
	return changed;
}

/* Free frames between @pred (NULL: the bottom) and @n, above start_pfn. */
static inline unsigned long t_gap_below(const struct iova_domain *iovad,
					const struct iova *n,
					const struct iova *pred)
{
	unsigned long lo = pred ? pred->pfn_hi + 1 : 0;

	if (lo < iovad->start_pfn)
		lo = iovad->start_pfn;
	return n->pfn_lo > lo ? n->pfn_lo - lo : 0;
}

static struct iova *t_next(struct iova *n)
{
	struct iova *p;

	if (N(n).right) {
		n = N(n).right;
		while (N(n).left)
			n = N(n).left;
		return n;
	}
	for (p = N(n).parent; p && n == N(p).right; p = N(p).parent)
		n = p;
	return p;
}

static struct iova *t_prev(struct iova *n)
{
	struct iova *p;

	if (N(n).left) {
		n = N(n).left;
		while (N(n).right)
			n = N(n).right;
		return n;
	}
	for (p = N(n).parent; p && n == N(p).left; p = N(p).parent)
		n = p;
	return p;
}

static inline void t_replace_child(struct iova_domain *iovad, struct iova *p,
				   struct iova *old, struct iova *new)
{
	if (!p)
		iovad->root = new;
	else if (N(p).left == old)
		N(p).left = new;
	else
		N(p).right = new;
}

static struct iova *t_rotate_left(struct iova_domain *iovad, struct iova *x)
{
	struct iova *y = N(x).right;

	N(x).right = N(y).left;
	if (N(y).left)
		N(N(y).left).parent = x;
	N(y).parent = N(x).parent;
	t_replace_child(iovad, N(x).parent, x, y);
	N(y).left = x;
	N(x).parent = y;
	t_update(x);
	t_update(y);
	return y;
}

static struct iova *t_rotate_right(struct iova_domain *iovad, struct iova *x)
{
	struct iova *y = N(x).left;

	N(x).left = N(y).right;
	if (N(y).right)
		N(N(y).right).parent = x;
	N(y).parent = N(x).parent;
	t_replace_child(iovad, N(x).parent, x, y);
	N(y).right = x;
	N(x).parent = y;
	t_update(x);
	t_update(y);
	return y;
}

/*
 * Rebalance and refresh from @n towards the root. The walk stops at the
 * first node whose height and summaries come out unchanged without a
 * rotation (nothing above can change), but never before it has passed
 * @must (a node whose summaries are stale whatever its children say).
 */
static void t_fixup(struct iova_domain *iovad, struct iova *n,
		    struct iova *must)
{
	while (n) {
		int oldh = N(n).height, bf;
		bool changed = t_update(n);

		if (n == must)
			must = NULL;
		bf = t_height(N(n).left) - t_height(N(n).right);
		if (bf > 1) {
			struct iova *l = N(n).left;

			if (t_height(N(l).left) < t_height(N(l).right))
				t_rotate_left(iovad, l);
			n = t_rotate_right(iovad, n);
		} else if (bf < -1) {
			struct iova *r = N(n).right;

			if (t_height(N(r).right) < t_height(N(r).left))
				t_rotate_right(iovad, r);
			n = t_rotate_left(iovad, n);
		} else if (!changed && N(n).height == oldh && !must) {
			return;
		}
		n = N(n).parent;
	}
}

/* @n's gap changed: refresh the subtree maxima above it. */
static void t_propagate(struct iova *n)
{
	while (n && t_update(n))
		n = N(n).parent;
}

static void t_insert(struct iova_domain *iovad, struct iova *x)
{
	struct iova **link = &iovad->root, *parent = NULL;
	struct iova *pred = NULL, *succ = NULL;

	while (*link) {
		parent = *link;
		if (x->pfn_lo < parent->pfn_lo) {
			succ = parent;
			link = &N(parent).left;
		} else {
			pred = parent;
			link = &N(parent).right;
		}
	}
	N(x).left = N(x).right = NULL;
	N(x).parent = parent;
	N(x).height = 1;
	N(x).gap = t_gap_below(iovad, x, pred);
	t_update(x);
	*link = x;
	if (succ)
		N(succ).gap = t_gap_below(iovad, succ, x);
	t_fixup(iovad, parent, NULL);
	if (succ)
		t_propagate(succ);
}

static void t_erase(struct iova_domain *iovad, struct iova *x)
{
	struct iova *succ = t_next(x), *pred = t_prev(x), *fix, *must = NULL;

	if (succ)
		N(succ).gap = t_gap_below(iovad, succ, pred);
	if (!N(x).left || !N(x).right) {
		struct iova *child = N(x).left ? N(x).left : N(x).right;

		fix = N(x).parent;
		t_replace_child(iovad, fix, x, child);
		if (child)
			N(child).parent = fix;
	} else {
		struct iova *y = N(x).right;

		while (N(y).left)
			y = N(y).left;
		if (N(y).parent != x) {
			fix = N(y).parent;
			N(fix).left = N(y).right;
			if (N(y).right)
				N(N(y).right).parent = fix;
			N(y).right = N(x).right;
			N(N(x).right).parent = y;
		} else {
			fix = y;
		}
		N(y).left = N(x).left;
		N(N(x).left).parent = y;
		N(y).parent = N(x).parent;
		t_replace_child(iovad, N(x).parent, x, y);
		N(y).height = N(x).height;
		must = y;	/* it now heads what was x's subtree */
	}
	t_fixup(iovad, fix, must);
	if (succ)
		t_propagate(succ);
}

/* The range containing @pfn (anchor included), or NULL. */
static struct iova *t_find(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova *n = iovad->root;

	while (n) {
		if (pfn < n->pfn_lo)
			n = N(n).left;
		else if (pfn > n->pfn_hi)
			n = N(n).right;
		else
			return n;
	}
	return NULL;
}

/* The lowest range whose pfn_hi >= @pfn (anchor at worst). */
static struct iova *t_first_ending_at_or_after(struct iova_domain *iovad,
					       unsigned long pfn)
{
	struct iova *n = iovad->root, *best = NULL;

	while (n) {
		if (n->pfn_hi >= pfn) {
			best = n;
			n = N(n).left;
		} else {
			n = N(n).right;
		}
	}
	return best;
}

/*
 * Highest start aligned to 2^@a in @n's own gap for @size frames within
 * [@lo, @limit]; false if it has none.
 */
static inline bool t_gap_fit(const struct iova *n, unsigned long size,
			     unsigned int a, unsigned long lo,
			     unsigned long limit, unsigned long *out)
{
	unsigned long glo, ghi, p;

	if (N(n).gap < size)
		return false;
	glo = n->pfn_lo - N(n).gap;
	if (glo < lo)
		glo = lo;
	ghi = n->pfn_lo - 1;
	if (ghi > limit)
		ghi = limit;
	if (ghi < glo || ghi - glo < size - 1)
		return false;
	p = (ghi - (size - 1)) & ~((1UL << a) - 1);
	if (p < glo)
		return false;
	*out = p;
	return true;
}

/*
 * Whether @n's subtree has a gap that fits @size frames at a 2^@a aligned
 * start (exact for a <= IOVA_FIT_ORDERS and unsaturated sizes; otherwise
 * only the necessary condition on the largest gap).
 */
static inline bool t_may_fit(const struct iova *n, unsigned long size,
			     unsigned int a)
{
	if (N(n).max_gap < size)
		return false;
	if (a == 0 || a > IOVA_FIT_ORDERS || size >= IOVA_FIT_EXACT)
		return true;
	return N(n).max_fit[a - 1] >= size;
}

/*
 * Highest fitting start in @n's subtree, visiting gaps from the top down:
 * right subtree (unless wholly above @limit), own gap, left subtree
 * (unless wholly below @lo). A subtree without a fitting gap is skipped
 * without a visit, so only the paths along @limit and @lo are walked
 * beyond the one that leads to the answer: O(log n).
 */
static bool t_search(const struct iova *n, unsigned long size,
		     unsigned int a, unsigned long lo, unsigned long limit,
		     unsigned long *out)
{
	while (n && t_may_fit(n, size, a)) {
		const struct iova *r = N(n).right;

		if (r && n->pfn_hi < limit && limit - n->pfn_hi >= size &&
		    t_may_fit(r, size, a) &&
		    t_search(r, size, a, lo, limit, out))
			return true;
		if (t_gap_fit(n, size, a, lo, limit, out))
			return true;
		if (n->pfn_lo - N(n).gap <= lo)
			return false;
		n = N(n).left;
	}
	return false;
}

/* ---- internal interface (iova_internal.h) -------------------------------- */

void dk__iova_domain_bad(struct iova_domain *iovad, const char *who)
{
	if (!iovad)
		pr_err("%s: NULL iova_domain\n", who);
	else
		pr_err("%s: iova_domain %p is not initialised (init_iova_domain() missing, failed, or put_iova_domain() already called)\n",
		       who, (void *)iovad);
}

int dk__iova_alloc_locked(struct iova_domain *iovad, struct iova *new,
			  unsigned long size, unsigned long align,
			  unsigned long lo_pfn, unsigned long limit_pfn)
{
	unsigned long pfn;

	if (limit_pfn > IOVA_ANCHOR - 1)
		limit_pfn = IOVA_ANCHOR - 1;
	if (lo_pfn > limit_pfn || limit_pfn - lo_pfn < size - 1)
		return -ENOSPC;
	if (!t_search(iovad->root, size, (unsigned int)__builtin_ctzl(align),
		      lo_pfn, limit_pfn, &pfn))
		return -ENOSPC;
	memset(&new->node, 0, sizeof(new->node));
	new->pfn_lo = pfn;
	new->pfn_hi = pfn + size - 1;
	t_insert(iovad, new);
	iovad->nr_ranges++;
	return 0;
}

struct iova *dk__iova_find_exact_locked(struct iova_domain *iovad,
					unsigned long pfn)
{
	struct iova *n = t_find(iovad, pfn);

	if (!n || n->pfn_lo != pfn || (N(n).flags & IOVA_NODE_ANCHOR))
		return NULL;
	return n;
}

void dk__iova_remove_locked(struct iova_domain *iovad, struct iova *iova)
{
	t_erase(iovad, iova);
	iovad->nr_ranges--;
	free(iova);
}

/* Returns the subtree height, or -1 after reporting a broken invariant. */
static int t_check(struct iova_domain *iovad, struct iova *n,
		   struct iova *parent, struct iova **prev, unsigned long *cnt)
{
	int hl, hr;
	unsigned long want;
	unsigned int a;

	if (!n)
		return 0;
	if (N(n).parent != parent) {
		pr_err("iova check: [%#lx-%#lx] parent link broken\n",
		       n->pfn_lo, n->pfn_hi);
		return -1;
	}
	hl = t_check(iovad, N(n).left, n, prev, cnt);
	if (hl < 0)
		return -1;
	if (n->pfn_lo > n->pfn_hi) {
		pr_err("iova check: inverted range [%#lx-%#lx]\n", n->pfn_lo,
		       n->pfn_hi);
		return -1;
	}
	if (*prev && (*prev)->pfn_hi >= n->pfn_lo) {
		pr_err("iova check: [%#lx-%#lx] overlaps or precedes [%#lx-%#lx]\n",
		       n->pfn_lo, n->pfn_hi, (*prev)->pfn_lo, (*prev)->pfn_hi);
		return -1;
	}
	want = t_gap_below(iovad, n, *prev);
	if (N(n).gap != want) {
		pr_err("iova check: [%#lx-%#lx] gap %lu, expected %lu\n",
		       n->pfn_lo, n->pfn_hi, N(n).gap, want);
		return -1;
	}
	*prev = n;
	(*cnt)++;
	hr = t_check(iovad, N(n).right, n, prev, cnt);
	if (hr < 0)
		return -1;
	if (hl - hr > 1 || hr - hl > 1 ||
	    N(n).height != 1 + (hl > hr ? hl : hr)) {
		pr_err("iova check: [%#lx-%#lx] height %d, children %d/%d\n",
		       n->pfn_lo, n->pfn_hi, N(n).height, hl, hr);
		return -1;
	}
	want = N(n).gap;
	if (t_max_gap(N(n).left) > want)
		want = t_max_gap(N(n).left);
	if (t_max_gap(N(n).right) > want)
		want = t_max_gap(N(n).right);
	if (N(n).max_gap != want) {
		pr_err("iova check: [%#lx-%#lx] max_gap %lu, expected %lu\n",
		       n->pfn_lo, n->pfn_hi, N(n).max_gap, want);
		return -1;
	}
	for (a = 1; a <= IOVA_FIT_ORDERS; a++) {
		unsigned int f = N(n).gap ? t_own_fit(n, a) : 0;

		if (N(n).left && N(N(n).left).max_fit[a - 1] > f)
			f = N(N(n).left).max_fit[a - 1];
		if (N(n).right && N(N(n).right).max_fit[a - 1] > f)
			f = N(N(n).right).max_fit[a - 1];
		if (N(n).max_fit[a - 1] != f) {
			pr_err("iova check: [%#lx-%#lx] max_fit[%u] %u, expected %u\n",
			       n->pfn_lo, n->pfn_hi, a, N(n).max_fit[a - 1],
			       f);
			return -1;
		}
	}
	return N(n).height;
}

int dk__iova_check(struct iova_domain *iovad)
{
	struct iova *prev = NULL;
	unsigned long cnt = 0;
	int ret = 0;

	if (!dk__iova_domain_ok(iovad, "dk__iova_check"))
		return -EINVAL;
	spin_lock(&iovad->iova_rbtree_lock);
	if (t_check(iovad, iovad->root, NULL, &prev, &cnt) < 0)
		ret = -EUCLEAN;
	else if (prev != &iovad->anchor)
		ret = -EUCLEAN;
	else if (cnt != iovad->nr_ranges + 1) {
		pr_err("iova check: %lu nodes, nr_ranges %lu + anchor\n", cnt,
		       iovad->nr_ranges);
		ret = -EUCLEAN;
	}
	spin_unlock(&iovad->iova_rbtree_lock);
	return ret;
}

/* ---- Linux API ----------------------------------------------------------- */

int iova_cache_get(void)
{
	__atomic_add_fetch(&iova_cache_users, 1, __ATOMIC_RELAXED);
	return 0;
}

void iova_cache_put(void)
{
	int v = __atomic_load_n(&iova_cache_users, __ATOMIC_RELAXED);

	do {
		if (v <= 0) {
			pr_err("iova_cache_put: no user left (unbalanced put)\n");
			return;
		}
	} while (!__atomic_compare_exchange_n(&iova_cache_users, &v, v - 1,
					      false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
}

unsigned long iova_rcache_range(void)
{
	return PAGE_SIZE << (IOVA_RANGE_CACHE_MAX_SIZE - 1);
}

void init_iova_domain(struct iova_domain *iovad, unsigned long granule,
		      unsigned long start_pfn)
{
	if (!iovad) {
		pr_err("init_iova_domain: NULL iova_domain\n");
		return;
	}
	memset(iovad, 0, sizeof(*iovad));
	if (!granule || (granule & (granule - 1)) || granule > PAGE_SIZE) {
		pr_err("init_iova_domain(%p): granule %#lx is not a power of two at most PAGE_SIZE (%#lx); domain unusable\n",
		       (void *)iovad, granule, PAGE_SIZE);
		return;
	}
	if (start_pfn >= IOVA_ANCHOR) {
		pr_err("init_iova_domain(%p): start_pfn %#lx leaves no space; domain unusable\n",
		       (void *)iovad, start_pfn);
		return;
	}
	spin_lock_init(&iovad->iova_rbtree_lock);
	iovad->granule = granule;
	iovad->start_pfn = start_pfn;
	iovad->dma_32bit_pfn = 1UL << (32 - iova_shift(iovad));
	iovad->anchor.pfn_lo = iovad->anchor.pfn_hi = IOVA_ANCHOR;
	N(&iovad->anchor).flags = IOVA_NODE_ANCHOR;
	t_insert(iovad, &iovad->anchor);
	iovad->magic = IOVA_DOMAIN_MAGIC;
}

void put_iova_domain(struct iova_domain *iovad)
{
	struct iova *n, *p;

	if (!dk__iova_domain_ok(iovad, "put_iova_domain"))
		return;
	dk__iova_rcache_destroy(iovad);
	spin_lock(&iovad->iova_rbtree_lock);
	/* Post-order walk freeing every node but the embedded anchor. */
	n = iovad->root;
	while (n) {
		if (N(n).left) {
			n = N(n).left;
			continue;
		}
		if (N(n).right) {
			n = N(n).right;
			continue;
		}
		p = N(n).parent;
		if (p) {
			if (N(p).left == n)
				N(p).left = NULL;
			else
				N(p).right = NULL;
		}
		if (n != &iovad->anchor)
			free(n);
		n = p;
	}
	iovad->root = NULL;
	iovad->nr_ranges = 0;
	iovad->magic = 0;
	spin_unlock(&iovad->iova_rbtree_lock);
}

struct iova *alloc_iova(struct iova_domain *iovad, unsigned long size,
			unsigned long limit_pfn, bool size_aligned)
{
	struct iova *new;
	unsigned long align = 1;
	int ret;

	if (!dk__iova_domain_ok(iovad, "alloc_iova"))
		return NULL;
	if (!size) {
		pr_err("alloc_iova(%p): size 0 (limit_pfn %#lx)\n",
		       (void *)iovad, limit_pfn);
		return NULL;
	}
	if (limit_pfn < iovad->start_pfn) {
		pr_err("alloc_iova(%p): limit_pfn %#lx is below start_pfn %#lx (size %lu)\n",
		       (void *)iovad, limit_pfn, iovad->start_pfn, size);
		return NULL;
	}
	if (limit_pfn > IOVA_ANCHOR - 1)
		limit_pfn = IOVA_ANCHOR - 1;
	if (size > limit_pfn - iovad->start_pfn + 1 || size > (1UL << 62))
		return NULL;	/* can never fit: exhaustion, not misuse */
	if (size_aligned && size > 1)
		align = 1UL << (64 - __builtin_clzl(size - 1));
	new = malloc(sizeof(*new));
	if (!new)
		return NULL;
	spin_lock(&iovad->iova_rbtree_lock);
	ret = dk__iova_alloc_locked(iovad, new, size, align, iovad->start_pfn,
				    limit_pfn);
	spin_unlock(&iovad->iova_rbtree_lock);
	if (ret) {
		free(new);
		return NULL;
	}
	return new;
}

/* Refuse to free a range parked in a cache; untrack it otherwise. Locked. */
static bool iova_free_ok_locked(struct iova_domain *iovad, struct iova *n,
				const char *who, unsigned long pfn)
{
	unsigned int st = dk__iova_rcache_state(iovad, n->pfn_lo);

	if (st & IOVA_ST_CACHED) {
		pr_err("%s(%p): pfn %#lx: range [%#lx-%#lx] was already freed with free_iova_fast() (double free)\n",
		       who, (void *)iovad, pfn, n->pfn_lo, n->pfn_hi);
		return false;
	}
	if (st)
		dk__iova_rcache_untrack(iovad, n->pfn_lo);
	return true;
}

void __free_iova(struct iova_domain *iovad, struct iova *iova)
{
	struct iova *n;

	if (!dk__iova_domain_ok(iovad, "__free_iova"))
		return;
	if (!iova) {
		pr_err("__free_iova(%p): NULL iova\n", (void *)iovad);
		return;
	}
	spin_lock(&iovad->iova_rbtree_lock);
	n = t_find(iovad, iova->pfn_lo);
	if (n != iova || (N(n).flags & IOVA_NODE_ANCHOR)) {
		spin_unlock(&iovad->iova_rbtree_lock);
		pr_err("__free_iova(%p): iova %p [%#lx-%#lx] is not a range of this domain (double free?)\n",
		       (void *)iovad, (void *)iova, iova->pfn_lo, iova->pfn_hi);
		return;
	}
	if (!iova_free_ok_locked(iovad, n, "__free_iova", n->pfn_lo)) {
		spin_unlock(&iovad->iova_rbtree_lock);
		return;
	}
	dk__iova_remove_locked(iovad, n);
	spin_unlock(&iovad->iova_rbtree_lock);
}

void free_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova *n;

	if (!dk__iova_domain_ok(iovad, "free_iova"))
		return;
	spin_lock(&iovad->iova_rbtree_lock);
	n = t_find(iovad, pfn);
	if (!n || (N(n).flags & IOVA_NODE_ANCHOR)) {
		spin_unlock(&iovad->iova_rbtree_lock);
		pr_err("free_iova(%p): pfn %#lx is not allocated (double free or bad pfn)\n",
		       (void *)iovad, pfn);
		return;
	}
	if (!iova_free_ok_locked(iovad, n, "free_iova", pfn)) {
		spin_unlock(&iovad->iova_rbtree_lock);
		return;
	}
	dk__iova_remove_locked(iovad, n);
	spin_unlock(&iovad->iova_rbtree_lock);
}

int dk__iova_free_exact(struct iova_domain *iovad, unsigned long pfn,
			const char *who)
{
	struct iova *n;

	spin_lock(&iovad->iova_rbtree_lock);
	n = dk__iova_find_exact_locked(iovad, pfn);
	if (!n) {
		spin_unlock(&iovad->iova_rbtree_lock);
		pr_err("%s(%p): pfn %#lx is not the start of an allocated range (double free or bad pfn)\n",
		       who, (void *)iovad, pfn);
		return -ENOENT;
	}
	if (!iova_free_ok_locked(iovad, n, who, pfn)) {
		spin_unlock(&iovad->iova_rbtree_lock);
		return -EBUSY;
	}
	dk__iova_remove_locked(iovad, n);
	spin_unlock(&iovad->iova_rbtree_lock);
	return 0;
}

struct iova *find_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova *n;

	if (!dk__iova_domain_ok(iovad, "find_iova"))
		return NULL;
	spin_lock(&iovad->iova_rbtree_lock);
	n = t_find(iovad, pfn);
	if (n && (N(n).flags & IOVA_NODE_ANCHOR))
		n = NULL;
	spin_unlock(&iovad->iova_rbtree_lock);
	return n;
}

/*
 * Reserve under the lock. Return: the reservation, NULL with *@busy set if
 * an allocated range is in the way (reported by the caller), or NULL.
 */
static struct iova *reserve_locked(struct iova_domain *iovad,
				   unsigned long lo, unsigned long hi,
				   struct iova **spare, struct iova **busy)
{
	struct iova *n, *next, *keep = NULL;

	n = t_first_ending_at_or_after(iovad, lo);
	for (next = n; next && next->pfn_lo <= hi; next = t_next(next)) {
		if (!(N(next).flags & IOVA_NODE_RESERVED)) {
			*busy = next;
			return NULL;
		}
		if (next->pfn_lo <= lo && next->pfn_hi >= hi)
			return next;	/* already reserved as a whole */
	}
	/* Merge every overlapping reservation into the first one. */
	while (n && n->pfn_lo <= hi) {
		next = t_next(n);
		if (n->pfn_lo < lo)
			lo = n->pfn_lo;
		if (n->pfn_hi > hi)
			hi = n->pfn_hi;
		t_erase(iovad, n);
		iovad->nr_ranges--;
		if (keep)
			free(n);
		else
			keep = n;
		n = next;
	}
	if (!keep) {
		keep = *spare;
		*spare = NULL;
	}
	memset(&keep->node, 0, sizeof(keep->node));
	keep->pfn_lo = lo;
	keep->pfn_hi = hi;
	N(keep).flags = IOVA_NODE_RESERVED;
	t_insert(iovad, keep);
	iovad->nr_ranges++;
	return keep;
}

struct iova *reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo,
			  unsigned long pfn_hi)
{
	struct iova *spare, *res, *busy = NULL;
	unsigned long blo = 0, bhi = 0;
	bool flushed = false;

	if (!dk__iova_domain_ok(iovad, "reserve_iova"))
		return NULL;
	if (pfn_lo > pfn_hi || pfn_hi >= IOVA_ANCHOR ||
	    pfn_hi > (~0UL >> iova_shift(iovad))) {
		pr_err("reserve_iova(%p): bad range [%#lx-%#lx]\n",
		       (void *)iovad, pfn_lo, pfn_hi);
		return NULL;
	}
	spare = malloc(sizeof(*spare));
	if (!spare)
		return NULL;
	for (;;) {
		spin_lock(&iovad->iova_rbtree_lock);
		res = reserve_locked(iovad, pfn_lo, pfn_hi, &spare, &busy);
		if (busy) {
			blo = busy->pfn_lo;
			bhi = busy->pfn_hi;
		}
		spin_unlock(&iovad->iova_rbtree_lock);
		if (res || !busy || flushed || !iovad->rcaches)
			break;
		/* Maybe the range in the way only sits in a cache. */
		dk__iova_rcache_flush_all(iovad);
		flushed = true;
		busy = NULL;
	}
	free(spare);
	if (!res && busy)
		pr_err("reserve_iova(%p): [%#lx-%#lx] overlaps allocated range [%#lx-%#lx]\n",
		       (void *)iovad, pfn_lo, pfn_hi, blo, bhi);
	return res;
}
