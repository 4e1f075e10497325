/* SPDX-License-Identifier: MIT */
/*
 * linux/dmapool.h - pools of small coherent DMA blocks (descriptors), as
 * Linux 6.1's mm/dmapool.c.
 *
 * Blocks are carved from pages got with dma_alloc_coherent() for the
 * pool's device: each is aligned as asked and never crosses the pool's
 * boundary. Pages stay in the pool until dma_pool_destroy(). Differs from
 * Linux: bad frees and double frees are always checked (Linux only with
 * DMAPOOL_DEBUG); no sysfs "pools" file.
 */
#ifndef DMAKIT_LINUX_DMAPOOL_H
#define DMAKIT_LINUX_DMAPOOL_H

#include <stddef.h>
#include <linux/types.h>
#include <linux/gfp.h>
#include <dmakit/api.h>

struct device;
struct dma_pool;

/**
 * dma_pool_create() - a pool of @size-byte blocks for @dev
 * @name: for messages (up to 31 characters kept)
 * @dev: the device that will DMA to the blocks
 * @size: block size (> 0; rounded up to 4 and to @align)
 * @align: block alignment, a power of two (0: 1)
 * @boundary: blocks never cross a multiple of it; a power of two >= the
 *            block size, or 0 for none (beyond a page)
 *
 * Context: process (may sleep). Return: the pool, or NULL (logged).
 */
DK_API struct dma_pool *dma_pool_create(const char *name, struct device *dev,
					size_t size, size_t align,
					size_t boundary);

/**
 * dma_pool_destroy() - free a pool and its pages
 * @pool: the pool (NULL is ignored)
 *
 * A page that still has allocated blocks is reported ("dma_pool_destroy
 * NAME, ADDR busy") and left allocated, as Linux does: the device may
 * still be using it (the machine then reports it at destroy).
 * Context: process.
 */
DK_API void dma_pool_destroy(struct dma_pool *pool);

/**
 * dma_pool_alloc() - a block from @pool
 * @pool: the pool
 * @mem_flags: GFP flags for a new page; __GFP_ZERO zeroes the block
 * @handle: receives the block's bus address
 *
 * Context: process if @mem_flags may sleep; takes the pool lock.
 * Return: the block's CPU address, or NULL.
 */
DK_API void *dma_pool_alloc(struct dma_pool *pool, gfp_t mem_flags,
			    dma_addr_t *handle);

/** dma_pool_zalloc() - dma_pool_alloc() of a zeroed block */
static inline void *dma_pool_zalloc(struct dma_pool *pool, gfp_t mem_flags,
				    dma_addr_t *handle)
{
	return dma_pool_alloc(pool, mem_flags | __GFP_ZERO, handle);
}

/**
 * dma_pool_free() - give a block back
 * @pool: its pool
 * @vaddr: its CPU address
 * @dma: its bus address
 *
 * A block not from @pool, a mismatched @dma, a pointer inside a block or a
 * double free is reported and ignored.
 * Context: any; takes the pool lock.
 */
DK_API void dma_pool_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma);

#endif
