/* SPDX-License-Identifier: MIT */
/*
 * linux/mm.h - struct page, page and address conversions, pinning, and
 * our swap simulation.
 *
 * Every 4 KiB frame of simulated RAM has a struct page in host memory (the
 * region's mem_map, lazily committed; never inside simulated RAM). A page
 * can be pinned (dk_page_pin / unpin_user_page, the pin_user_pages() idea)
 * and swapped out (dk_page_swap_out): a swapped-out frame keeps its CPU
 * mapping but is "not present" to DMA, which then fails with -EIO. That is
 * the classic bug of a DMA buffer that was never pinned.
 */
#ifndef DMAKIT_LINUX_MM_H
#define DMAKIT_LINUX_MM_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/list.h>
#include <linux/gfp.h>
#include <dmakit/api.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE-1))
#define PAGE_ALIGN(addr) (((addr) + PAGE_SIZE - 1) & PAGE_MASK)
#define PAGE_ALIGNED(addr) (((unsigned long)(addr) & (PAGE_SIZE - 1)) == 0)
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)

/* Orders 0..MAX_ORDER-1, as Linux 6.1 (4 MiB blocks at most). */
#define MAX_ORDER	11

/**
 * struct page - the allocator's record of one 4 KiB frame
 * @flags: PG_* state bits of a block's first page; under the zone lock
 * @lru: free-list link of a free block; under the zone lock
 * @order: order of the block this page heads; under the zone lock
 * @dk_pincount: pins on this frame (dk_page_pin); atomic, changed under the
 *               zone lock
 * @slab_cache: kmalloc/kmem_cache owning the frame, or NULL (slab.c);
 *              atomic
 * @slab: slab.c's record of its slab or large allocation; under the
 *        owning cache's lock
 * @private: free for the page's owner
 *
 * Only the first page of a block (free or allocated) carries flags; the
 * others stay zero. Users must not write these fields.
 */
struct page {
	unsigned long flags;
	struct list_head lru;
	unsigned int order;
	int dk_pincount;
	void *slab_cache;
	void *slab;
	unsigned long private;
};

/* page->flags bits. */
#define PG_buddy	0x1ul	/* heads a free block */
#define PG_allocated	0x2ul	/* heads an allocated block */

/** get_order() - smallest order whose block holds @size bytes (@size > 0) */
static inline int get_order(unsigned long size)
{
	int order = 0;

	size = (size - 1) >> PAGE_SHIFT;
	while (size) {
		order++;
		size >>= 1;
	}
	return order;
}

/**
 * page_address() - the CPU address of a page's frame
 * @page: a page of simulated RAM
 *
 * Context: any; no lock. Return: the address, or NULL (logged) for a
 * pointer that is not a struct page of this machine.
 */
DK_API void *page_address(const struct page *page);

/**
 * page_to_pfn() - frame number (physical address >> PAGE_SHIFT) of @page
 * Context: any. Return: the pfn, or ~0ul (logged) for a foreign pointer.
 */
DK_API unsigned long page_to_pfn(const struct page *page);

/**
 * pfn_to_page() - struct page of a frame number
 * Context: any. Return: the page, or NULL if @pfn is not RAM.
 */
DK_API struct page *pfn_to_page(unsigned long pfn);

/**
 * page_to_phys() - physical address of @page
 * Context: any. Return: the address, or DK_PHYS_INVALID for a foreign
 * pointer.
 */
DK_API phys_addr_t page_to_phys(const struct page *page);

/**
 * phys_to_page() - struct page of the frame holding @phys (ours)
 * Context: any. Return: the page, or NULL if @phys is not RAM.
 */
DK_API struct page *phys_to_page(phys_addr_t phys);

/** dk_virt_to_page() - see virt_to_page() */
DK_API struct page *dk_virt_to_page(const void *addr);
/** dk_virt_addr_valid() - see virt_addr_valid() */
DK_API bool dk_virt_addr_valid(const void *addr);

/*
 * virt_to_page() - struct page of the frame holding CPU address @kaddr, or
 * NULL if it is not in simulated RAM. virt_addr_valid() - whether @kaddr
 * is in simulated RAM. Both take a pointer or an unsigned long, as Linux.
 */
#define virt_to_page(kaddr) dk_virt_to_page((const void *)(uintptr_t)(kaddr))
#define virt_addr_valid(kaddr)                                               \
	dk_virt_addr_valid((const void *)(uintptr_t)(kaddr))

/**
 * dk_page_pin() - pin an allocated page so it cannot be swapped out
 * @page: a page inside an allocated block
 *
 * Like pin_user_pages(): a swapped-out page is brought back in first.
 * Pins nest; each needs one unpin_user_page().
 *
 * Context: any; takes the zone lock.
 * Return: 0, or -EINVAL (logged) if @page is not RAM or not allocated.
 */
DK_API int dk_page_pin(struct page *page);

/**
 * unpin_user_page() - drop a pin taken by dk_page_pin()
 * @page: the pinned page
 *
 * Unpinning a page that is not pinned is reported and ignored.
 * Context: any; takes the zone lock.
 */
DK_API void unpin_user_page(struct page *page);

/**
 * dk_page_swap_out() - simulate the kernel swapping a page out
 * @page: a page inside an allocated block
 *
 * The frame keeps its CPU mapping and contents, but DMA to or from it
 * fails with -EIO until dk_page_swap_in() (or until it is freed).
 *
 * Context: any; takes the zone lock.
 * Return: 0, -EBUSY if the page is pinned, -EINVAL (logged) if @page is
 * not RAM or not allocated.
 */
DK_API int dk_page_swap_out(struct page *page);

/**
 * dk_page_swap_in() - make a swapped-out page present again
 * @page: a page inside an allocated block
 *
 * Context: any; takes the zone lock. Return: 0 or -EINVAL (logged).
 */
DK_API int dk_page_swap_in(struct page *page);

/**
 * dk_page_is_present() - whether DMA may touch @page's frame
 * Context: any; no lock. Return: false also for a foreign pointer.
 */
DK_API bool dk_page_is_present(const struct page *page);

#endif
