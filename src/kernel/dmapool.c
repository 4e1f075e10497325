// SPDX-License-Identifier: MIT
/*
 * dmapool.c - pools of small coherent DMA blocks, as Linux's mm/dmapool.c.
 *
 * A pool carves pages of `allocation` bytes (at least a page) got with
 * dma_alloc_coherent() into blocks of `size` bytes: block k of a page sits
 * at (k / per_boundary) * boundary + (k % per_boundary) * size, so no block
 * crosses a multiple of the boundary (the page is aligned to its size, and
 * the boundary is a power of two). A bitmap per page says which blocks are
 * taken, which is how bad and double frees are caught. The pool and its
 * page records are kmalloc'd (destroy-time leak reports name them).
 *
 * LOCKING: pool->lock protects the page list, every bitmap and in_use
 * count. Pages are allocated and freed outside it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "kernel/internal.h"

#define BITS_PER_LONG	(8 * sizeof(unsigned long))

struct dma_pool {
	struct list_head page_list;	/* under lock */
	spinlock_t lock;
	size_t size;			/* block size */
	struct device *dev;
	size_t allocation;		/* bytes per page of the pool */
	size_t boundary;
	unsigned int per_boundary;	/* blocks between two boundaries */
	unsigned int nblocks;		/* blocks per page */
	char name[32];
};

struct dma_page {
	struct list_head page_list;
	void *vaddr;
	dma_addr_t dma;
	unsigned int in_use;		/* under pool->lock */
	unsigned long busy[];		/* bitmap, under pool->lock */
};

static size_t block_offset(const struct dma_pool *pool, unsigned int k)
{
	return (size_t)(k / pool->per_boundary) * pool->boundary +
	       (size_t)(k % pool->per_boundary) * pool->size;
}

/* Block index of @off, or -1 if @off is not a block start. */
static long offset_block(const struct dma_pool *pool, size_t off)
{
	size_t b = off / pool->boundary, r = off % pool->boundary;
	size_t k;

	if (r % pool->size || r / pool->size >= pool->per_boundary)
		return -1;
	k = b * pool->per_boundary + r / pool->size;
	return k < pool->nblocks ? (long)k : -1;
}

struct dma_pool *dma_pool_create(const char *name, struct device *dev,
				 size_t size, size_t align, size_t boundary)
{
	struct dma_pool *pool;
	size_t allocation;
	unsigned int n;

	if (!name || !dev) {
		dk__err("dma_pool_create: %s is NULL", !name ? "name" : "dev");
		return NULL;
	}
	if (align == 0) {
		align = 1;
	} else if (align & (align - 1)) {
		dev_err(dev, "dma_pool_create %s: align %zu is not a power of two",
			name, align);
		return NULL;
	}
	if (size == 0 || size > (4ul << 20)) {
		dev_err(dev, "dma_pool_create %s: size %zu is not in 1..4 MiB",
			name, size);
		return NULL;
	}
	if (size < 4)
		size = 4;
	size = ALIGN(size, align);
	allocation = max(size, (size_t)PAGE_SIZE);
	if (!boundary) {
		boundary = allocation;
	} else if (boundary < size || (boundary & (boundary - 1))) {
		dev_err(dev, "dma_pool_create %s: boundary %zu must be a power of two >= the block size %zu",
			name, boundary, size);
		return NULL;
	}
	boundary = min(boundary, allocation);

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return NULL;
	snprintf(pool->name, sizeof(pool->name), "%s", name);
	INIT_LIST_HEAD(&pool->page_list);
	spin_lock_init(&pool->lock);
	pool->dev = dev;
	pool->size = size;
	pool->allocation = allocation;
	pool->boundary = boundary;
	pool->per_boundary = (unsigned int)(boundary / size);
	for (n = 0; block_offset(pool, n) + size <= allocation; n++)
		;
	pool->nblocks = n;
	return pool;
}

static struct dma_page *pool_alloc_page(struct dma_pool *pool, gfp_t flags)
{
	size_t words = DIV_ROUND_UP(pool->nblocks, BITS_PER_LONG);
	struct dma_page *page;

	page = kzalloc(sizeof(*page) + words * sizeof(unsigned long), flags);
	if (!page)
		return NULL;
	page->vaddr = dma_alloc_coherent(pool->dev, pool->allocation,
					 &page->dma, flags);
	if (!page->vaddr) {
		kfree(page);
		return NULL;
	}
	return page;
}

/* Take a free block of @page; returns its index. Under pool->lock. */
static unsigned int page_take_block(struct dma_pool *pool,
				    struct dma_page *page)
{
	unsigned int w;

	DK_ASSERT(dk_spin_is_held(&pool->lock));
	for (w = 0;; w++) {
		unsigned long free = ~page->busy[w];
		unsigned int k;

		if (!free)
			continue;
		k = w * BITS_PER_LONG + (unsigned int)__builtin_ctzl(free);
		if (k >= pool->nblocks)
			continue;
		page->busy[w] |= 1ul << (k % BITS_PER_LONG);
		page->in_use++;
		return k;
	}
}

void *dma_pool_alloc(struct dma_pool *pool, gfp_t mem_flags,
		     dma_addr_t *handle)
{
	struct dma_page *page, *fresh = NULL;
	unsigned int k;
	void *ret;

	if (!pool || !handle) {
		dk__err("dma_pool_alloc: %s is NULL", !pool ? "pool" : "handle");
		return NULL;
	}
	for (;;) {
		spin_lock(&pool->lock);
		list_for_each_entry(page, &pool->page_list, page_list)
			if (page->in_use < pool->nblocks)
				goto ready;
		if (fresh) {
			page = fresh;
			list_add(&page->page_list, &pool->page_list);
			goto ready;
		}
		spin_unlock(&pool->lock);
		/* Allocate outside the lock, as Linux; may sleep. */
		fresh = pool_alloc_page(pool, mem_flags & ~(gfp_t)__GFP_ZERO);
		if (!fresh)
			return NULL;
	}
ready:
	k = page_take_block(pool, page);
	ret = (u8 *)page->vaddr + block_offset(pool, k);
	*handle = page->dma + block_offset(pool, k);
	spin_unlock(&pool->lock);
	if (fresh && page != fresh) {
		/* Another caller freed a block meanwhile; keep the page. */
		spin_lock(&pool->lock);
		list_add_tail(&fresh->page_list, &pool->page_list);
		spin_unlock(&pool->lock);
	}
	if (mem_flags & __GFP_ZERO)
		memset(ret, 0, pool->size);
	return ret;
}

void dma_pool_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma)
{
	struct dma_page *page;
	size_t off;
	long k;

	if (!pool) {
		dk__err("dma_pool_free: pool is NULL (block %p)", vaddr);
		return;
	}
	spin_lock(&pool->lock);
	list_for_each_entry(page, &pool->page_list, page_list) {
		if ((u8 *)vaddr >= (u8 *)page->vaddr &&
		    (u8 *)vaddr < (u8 *)page->vaddr + pool->allocation)
			goto found;
	}
	spin_unlock(&pool->lock);
	dev_err(pool->dev, "dma_pool_free %s, %p/%#llx (bad vaddr): not a block of this pool",
		pool->name, vaddr, (unsigned long long)dma);
	return;
found:
	off = (size_t)((u8 *)vaddr - (u8 *)page->vaddr);
	k = offset_block(pool, off);
	if (page->dma + off != dma) {
		spin_unlock(&pool->lock);
		dev_err(pool->dev, "dma_pool_free %s, %p (bad vaddr)/%#llx: the block's dma address is %#llx",
			pool->name, vaddr, (unsigned long long)dma,
			(unsigned long long)(page->dma + off));
		return;
	}
	if (k < 0) {
		spin_unlock(&pool->lock);
		dev_err(pool->dev, "dma_pool_free %s, %p/%#llx: not the start of a block (block size %zu)",
			pool->name, vaddr, (unsigned long long)dma,
			pool->size);
		return;
	}
	if (!(page->busy[k / BITS_PER_LONG] & (1ul << (k % BITS_PER_LONG)))) {
		spin_unlock(&pool->lock);
		dev_err(pool->dev, "dma_pool_free %s, dma %#llx already free",
			pool->name, (unsigned long long)dma);
		return;
	}
	page->busy[k / BITS_PER_LONG] &= ~(1ul << (k % BITS_PER_LONG));
	page->in_use--;
	spin_unlock(&pool->lock);
}

void dma_pool_destroy(struct dma_pool *pool)
{
	struct dma_page *page, *tmp;

	if (!pool)
		return;
	list_for_each_entry_safe(page, tmp, &pool->page_list, page_list) {
		list_del(&page->page_list);
		if (page->in_use) {
			/* The device may still use it: leak it, as Linux. */
			dev_err(pool->dev, "dma_pool_destroy %s, %p busy",
				pool->name, page->vaddr);
		} else {
			dma_free_coherent(pool->dev, pool->allocation,
					  page->vaddr, page->dma);
		}
		kfree(page);
	}
	kfree(pool);
}
