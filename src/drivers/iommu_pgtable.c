// SPDX-License-Identifier: MIT
/*
 * iommu_pgtable.c - DK-IOMMU I/O page tables (docs/hw/iommu.md section 5):
 * map, unmap, software walk, and freeing tables, for the driver in
 * drivers/iommu.c.
 *
 * Tables are RAM pages the hardware walks; each has a shadow node in
 * kmalloc memory that holds its CPU address and its children's nodes, so
 * the walk is pointer chasing only. Mapping or unmapping one 4 KiB page
 * once the tables exist allocates nothing and takes no lock: a walk down
 * the shadow, one load and one store of the leaf entry.
 *
 * Table pages are freed when an unmap covers the whole range a table
 * spans (as Linux's VT-d and Arm drivers do): such a table is empty after
 * the unmap, and under the core's contract (concurrent calls touch
 * disjoint ranges) nobody else is using it. Their pages go on the
 * gather's freelist and are freed only after the invalidation that makes
 * the hardware forget them. A table emptied piece by piece stays until
 * such an unmap, until a superpage is mapped over it (then it is freed
 * after an invalidation), or until the domain is freed; so a map/unmap
 * cycle of one page never allocates.
 *
 * LOCKING: pt->lock (spinlock) serializes installing and removing tables:
 * a new table's entry and shadow pointer are published with release
 * stores, in that order, so a lock-free walker that sees the shadow
 * pointer also finds the hardware entry in place. Leaf entries are written
 * with atomic stores without the lock (the core never maps or unmaps the
 * same range from two threads). Entries are read by the hardware model on
 * device threads: every entry access is an __atomic one.
 */
#include <errno.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include "core/internal.h"
#include "drivers/iommu_pgtable.h"

#define PTE_RW		(DMAR_PTE_R | DMAR_PTE_W)

static inline unsigned int pt_shift(unsigned int level)
{
	return 12 + 9 * (level - 1);
}

static inline unsigned int pt_idx(u64 iova, unsigned int level)
{
	return (unsigned int)(iova >> pt_shift(level)) & (DMAR_PT_ENTRIES - 1);
}

static inline u64 pte_load(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void pte_store(u64 *p, u64 v)
{
	/* Orders the table's contents before the entry that exposes it. */
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline struct dmar_pt_node *kid_load(struct dmar_pt_node **p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void kid_store(struct dmar_pt_node **p, struct dmar_pt_node *v)
{
	/* Pairs with kid_load(): the hardware entry is in place before. */
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static unsigned int pt_width(const struct dmar_pgtable *pt)
{
	return pt->levels == 4 ? 48 : 39;
}

/* Level whose entries map @pgsize, or 0 for an unsupported size. */
static unsigned int pt_level_of(size_t pgsize)
{
	switch (pgsize) {
	case 1ul << 12:
		return 1;
	case 1ul << 21:
		return 2;
	case 1ul << 30:
		return 3;
	default:
		return 0;
	}
}

static struct dmar_pt_node *pt_node_alloc(unsigned int level, gfp_t gfp)
{
	struct dmar_pt_node *n = kmalloc(sizeof(*n), gfp);

	if (!n)
		return NULL;
	n->hw = (u64 *)get_zeroed_page(gfp);
	if (!n->hw)
		goto err_free_node;
	n->kids = NULL;
	if (level > 1) {
		n->kids = kzalloc(DMAR_PT_ENTRIES * sizeof(*n->kids), gfp);
		if (!n->kids)
			goto err_free_page;
	}
	return n;

err_free_page:
	free_page((unsigned long)n->hw);
err_free_node:
	kfree(n);
	return NULL;
}

/* Free a node that was never visible to the hardware. */
static void pt_node_free_now(struct dmar_pt_node *n)
{
	free_page((unsigned long)n->hw);
	kfree(n->kids);
	kfree(n);
}

/*
 * Put the pages of @n (a table of @level) and of every table below it on
 * @freelist and free their shadows. Caller holds pt->lock or owns @pt.
 */
static void pt_free_subtree(struct dmar_pgtable *pt, struct dmar_pt_node *n,
			    unsigned int level, struct list_head *freelist)
{
	struct page *page;

	if (n->kids) {
		for (unsigned int i = 0; i < DMAR_PT_ENTRIES; i++)
			if (n->kids[i])
				pt_free_subtree(pt, n->kids[i], level - 1,
						freelist);
	}
	page = virt_to_page(n->hw);
	list_add_tail(&page->lru, freelist);
	__atomic_sub_fetch(&pt->nr_tables, 1, __ATOMIC_RELAXED);
	kfree(n->kids);
	kfree(n);
}

/* Detach the child table at @n[@i] (n at @level) and free its subtree. */
static void pt_remove_kid(struct dmar_pgtable *pt, struct dmar_pt_node *n,
			  unsigned int level, unsigned int i,
			  struct list_head *freelist)
{
	struct dmar_pt_node *kid = n->kids[i];

	DK_ASSERT(dk_spin_is_held(&pt->lock));
	pte_store(&n->hw[i], 0);
	kid_store(&n->kids[i], NULL);
	pt_free_subtree(pt, kid, level - 1, freelist);
}

/* True if no leaf is mapped anywhere below @n (a table of @level). */
static bool pt_subtree_empty(struct dmar_pt_node *n, unsigned int level)
{
	for (unsigned int i = 0; i < DMAR_PT_ENTRIES; i++) {
		struct dmar_pt_node *kid = n->kids ? n->kids[i] : NULL;

		if (kid) {
			if (!pt_subtree_empty(kid, level - 1))
				return false;
		} else if (pte_load(&n->hw[i]) & PTE_RW) {
			return false;
		}
	}
	return true;
}

/*
 * The child table of @n (at @level) at index @i, installed if missing.
 * Return: the child, or NULL with *@err set (-ENOMEM; -EEXIST when a
 * superpage is mapped there).
 */
static struct dmar_pt_node *pt_install(struct dmar_pgtable *pt,
				       struct dmar_pt_node *n,
				       unsigned int level, unsigned int i,
				       gfp_t gfp, int *err)
{
	struct dmar_pt_node *new, *kid;

	/* Allocate outside the lock: @gfp may sleep. */
	new = pt_node_alloc(level - 1, gfp);
	if (!new) {
		*err = -ENOMEM;
		return NULL;
	}
	spin_lock(&pt->lock);
	kid = n->kids[i];
	if (!kid) {
		if (pte_load(&n->hw[i]) & PTE_RW) {
			*err = -EEXIST;
		} else {
			pte_store(&n->hw[i],
				  virt_to_phys(new->hw) | PTE_RW);
			kid_store(&n->kids[i], new);
			__atomic_add_fetch(&pt->nr_tables, 1,
					   __ATOMIC_RELAXED);
			kid = new;
			new = NULL;
		}
	}
	spin_unlock(&pt->lock);
	if (new)
		pt_node_free_now(new);
	return kid;
}

/* The table of level @tl on the way to @iova, installing tables. */
static struct dmar_pt_node *pt_walk_alloc(struct dmar_pgtable *pt, u64 iova,
					  unsigned int tl, gfp_t gfp, int *err)
{
	struct dmar_pt_node *n = pt->root;

	for (unsigned int l = pt->levels; l > tl; l--) {
		unsigned int i = pt_idx(iova, l);
		struct dmar_pt_node *kid = kid_load(&n->kids[i]);

		if (unlikely(!kid)) {
			kid = pt_install(pt, n, l, i, gfp, err);
			if (!kid)
				return NULL;
		}
		n = kid;
	}
	return n;
}

/* The table of level @tl on the way to @iova, or NULL if missing. */
static struct dmar_pt_node *pt_walk(struct dmar_pgtable *pt, u64 iova,
				    unsigned int tl)
{
	struct dmar_pt_node *n = pt->root;

	for (unsigned int l = pt->levels; l > tl && n; l--)
		n = kid_load(&n->kids[pt_idx(iova, l)]);
	return n;
}

/*
 * A superpage is to be mapped at @n[@i] (level @tl) where a table sits:
 * if nothing is mapped below it, remove it, invalidate, free its pages.
 * Return: 0 (the slot is free now) or -EEXIST.
 */
static int pt_replace_empty(struct dmar_pgtable *pt, struct dmar_pt_node *n,
			    unsigned int tl, unsigned int i, u64 iova)
{
	LIST_HEAD(freelist);
	u64 span = 1ull << pt_shift(tl);
	int ret = -EEXIST;

	spin_lock(&pt->lock);
	if (!n->kids[i]) {
		ret = 0;
	} else if (pt_subtree_empty(n->kids[i], tl - 1)) {
		pt_remove_kid(pt, n, tl, i, &freelist);
		ret = 0;
	}
	spin_unlock(&pt->lock);
	if (!list_empty(&freelist)) {
		if (pt->flush_range)
			pt->flush_range(pt->flush_arg,
					(unsigned long)(iova & ~(span - 1)),
					span);
		dmar_pt_put_pages(&freelist);
	}
	return ret;
}

int dmar_pt_map(struct dmar_pgtable *pt, unsigned long iova, phys_addr_t paddr,
		size_t pgsize, size_t pgcount, int prot, gfp_t gfp,
		size_t *mapped)
{
	unsigned int tl = pt_level_of(pgsize);
	struct dmar_pt_node *n = NULL;
	u64 bits = 0, end;
	size_t k;
	int ret = 0;

	if (prot & IOMMU_READ)
		bits |= DMAR_PTE_R;
	if (prot & IOMMU_WRITE)
		bits |= DMAR_PTE_W;
	if (!tl || !bits || !pgcount || (iova | paddr) & (pgsize - 1) ||
	    __builtin_add_overflow((u64)iova, (u64)pgsize * pgcount, &end) ||
	    end > 1ull << pt_width(pt) || (paddr & ~DMAR_PTE_ADDR)) {
		pr_err("dk-iommu: map of %zu x %#zx at iova %#lx -> %#llx prot %#x: bad arguments (%u-bit table)\n",
		       pgcount, pgsize, iova, (unsigned long long)paddr, prot,
		       pt_width(pt));
		return -EINVAL;
	}
	if (tl > 1)
		bits |= DMAR_PTE_PS;

	for (k = 0; k < pgcount; k++) {
		u64 va = iova + k * pgsize;
		unsigned int i = pt_idx(va, tl);
		u64 *slot;

		if (!n || i == 0) {
			n = pt_walk_alloc(pt, va, tl, gfp, &ret);
			if (!n)
				goto err_undo;
		}
		if (tl > 1 && unlikely(kid_load(&n->kids[i]))) {
			ret = pt_replace_empty(pt, n, tl, i, va);
			if (ret)
				goto err_undo;
		}
		slot = &n->hw[i];
		if (unlikely(pte_load(slot) & PTE_RW)) {
			ret = -EEXIST;
			goto err_undo;
		}
		pte_store(slot, (paddr + k * pgsize) | bits);
	}
	*mapped += pgsize * pgcount;
	return 0;

err_undo:
	/* Entries written by this call were never handed out: clear them. */
	while (k--) {
		n = pt_walk(pt, iova + k * pgsize, tl);
		if (n)
			pte_store(&n->hw[pt_idx(iova + k * pgsize, tl)], 0);
	}
	return ret;
}

/*
 * Free, below @n (a table of @level spanning from @base), every table whose
 * whole span lies inside [start, end). Caller holds pt->lock.
 */
static void pt_prune(struct dmar_pgtable *pt, struct dmar_pt_node *n,
		     unsigned int level, u64 base, u64 start, u64 end,
		     struct list_head *freelist)
{
	unsigned int shift = pt_shift(level);
	u64 span = 1ull << shift;
	unsigned int first =
		start > base ? (unsigned int)((start - base) >> shift) : 0;
	u64 last_va = min(end - 1, base + (span << 9) - 1);
	unsigned int last = (unsigned int)((last_va - base) >> shift);

	for (unsigned int i = first; i <= last; i++) {
		struct dmar_pt_node *kid = n->kids[i];
		u64 sb = base + (u64)i * span;

		if (!kid)
			continue;
		if (sb >= start && sb + span <= end)
			pt_remove_kid(pt, n, level, i, freelist);
		else if (level - 1 >= 2)
			pt_prune(pt, kid, level - 1, sb, start, end, freelist);
	}
}

size_t dmar_pt_unmap(struct dmar_pgtable *pt, unsigned long iova,
		     size_t pgsize, size_t pgcount,
		     struct iommu_iotlb_gather *gather)
{
	unsigned int tl = pt_level_of(pgsize);
	unsigned long start = iova;
	struct dmar_pt_node *n = NULL;
	size_t unmapped = 0;

	if (!tl || (iova & (pgsize - 1)) || !pgcount) {
		pr_err("dk-iommu: unmap of %zu x %#zx at iova %#lx: bad arguments\n",
		       pgcount, pgsize, iova);
		return 0;
	}
	for (size_t k = 0; k < pgcount; k++, iova += pgsize) {
		unsigned int i = pt_idx(iova, tl);
		u64 pte;

		if (!n || i == 0) {
			/* Walk down, stopping at a superpage on the way. */
			struct dmar_pt_node *p = pt->root;
			unsigned int l;

			for (l = pt->levels; l > tl; l--) {
				unsigned int j = pt_idx(iova, l);
				struct dmar_pt_node *kid;

				kid = kid_load(&p->kids[j]);

				if (kid) {
					p = kid;
					continue;
				}
				pte = pte_load(&p->hw[j]);
				if ((pte & PTE_RW) && (pte & DMAR_PTE_PS) &&
				    !(iova & ((1ul << pt_shift(l)) - 1))) {
					/* A bigger page starts here: as
					 * Linux's VT-d driver, unmap it
					 * whole and say so. */
					pte_store(&p->hw[j], 0);
					unmapped += 1ul << pt_shift(l);
				} else if (pte & PTE_RW) {
					u64 big = 1ull << pt_shift(l);
					u64 at = iova & ~(big - 1);

					pr_err("dk-iommu: unmap of %#zx at iova %#lx inside a %#llx superpage mapped at %#llx\n",
					       pgsize, iova,
					       (unsigned long long)big,
					       (unsigned long long)at);
				}
				goto out;
			}
			n = p;
		}
		if (tl > 1 && kid_load(&n->kids[i])) {
			/* Mapped with smaller pages: the range covers the
			 * whole table below, free it. */
			spin_lock(&pt->lock);
			if (n->kids[i])
				pt_remove_kid(pt, n, tl, i, &gather->freelist);
			spin_unlock(&pt->lock);
		} else {
			pte = pte_load(&n->hw[i]);
			if (!(pte & PTE_RW))
				goto out;
			pte_store(&n->hw[i], 0);
		}
		unmapped += pgsize;
	}
out:
	if (!unmapped)
		return 0;
	iommu_iotlb_gather_add_range(gather, start, unmapped);
	if (unmapped >= (1ul << 21) && pt->levels > 1) {
		spin_lock(&pt->lock);
		pt_prune(pt, pt->root, pt->levels, 0, start,
			 (u64)start + unmapped, &gather->freelist);
		spin_unlock(&pt->lock);
	}
	return unmapped;
}

phys_addr_t dmar_pt_iova_to_phys(struct dmar_pgtable *pt, u64 iova)
{
	struct dmar_pt_node *n = pt->root;

	if (iova >> pt_width(pt))
		return 0;
	for (unsigned int l = pt->levels; l >= 1 && n; l--) {
		unsigned int i = pt_idx(iova, l);
		u64 pte = pte_load(&n->hw[i]);
		u64 size = 1ull << pt_shift(l);

		if (!(pte & PTE_RW))
			return 0;
		if (l == 1 || (pte & DMAR_PTE_PS))
			return ((pte & DMAR_PTE_ADDR) & ~(size - 1)) |
			       (iova & (size - 1));
		n = kid_load(&n->kids[i]);
	}
	return 0;
}

void dmar_pt_put_pages(struct list_head *freelist)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, freelist, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

int dmar_pt_init(struct dmar_pgtable *pt, unsigned int levels)
{
	pt->levels = levels;
	spin_lock_init(&pt->lock);
	pt->root = pt_node_alloc(levels, GFP_KERNEL);
	if (!pt->root)
		return -ENOMEM;
	pt->root_phys = virt_to_phys(pt->root->hw);
	pt->nr_tables = 1;
	return 0;
}

void dmar_pt_destroy(struct dmar_pgtable *pt)
{
	LIST_HEAD(freelist);

	if (!pt->root)
		return;
	pt_free_subtree(pt, pt->root, pt->levels, &freelist);
	pt->root = NULL;
	dmar_pt_put_pages(&freelist);
}
