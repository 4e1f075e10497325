/* SPDX-License-Identifier: MIT */
/*
 * linux/gfp.h - allocation flags (gfp_t) and the page allocator's entry
 * points (alloc_pages, __get_free_pages, free_pages, ...).
 *
 * The machine has two zones: ZONE_DMA32 (RAM below 4 GiB) and ZONE_NORMAL
 * (RAM above). Without a zone modifier an allocation takes ZONE_NORMAL
 * first and falls back to ZONE_DMA32, as Linux on x86-64 does.
 */
#ifndef DMAKIT_LINUX_GFP_H
#define DMAKIT_LINUX_GFP_H

#include <stdbool.h>
#include <linux/types.h>
#include <dmakit/api.h>

struct page;

/* Zone modifiers. */
#define __GFP_DMA		0x01u
#define __GFP_HIGHMEM		0x02u	/* ignored: no highmem */
#define __GFP_DMA32		0x04u

/* Action modifiers. */
#define __GFP_HIGH		0x20u	/* may use emergency reserves */
#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define __GFP_ZERO		0x100u	/* return zeroed memory */
#define __GFP_NOWARN		0x200u	/* no failure message */
#define __GFP_RETRY_MAYFAIL	0x400u
#define __GFP_NOFAIL		0x800u
#define __GFP_NORETRY		0x1000u
#define __GFP_COMP		0x4000u
#define __GFP_DIRECT_RECLAIM	0x40000u	/* caller may sleep */
#define __GFP_KSWAPD_RECLAIM	0x80000u
#define __GFP_RECLAIM	(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_ACCOUNT		0x100000u

#define GFP_ATOMIC	(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL	(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT	(__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO	(__GFP_RECLAIM)
#define GFP_NOFS	(__GFP_RECLAIM | __GFP_IO)
#define GFP_USER	(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_HIGHUSER	(GFP_USER | __GFP_HIGHMEM)
#define GFP_DMA32	__GFP_DMA32
/* Ours: as GFP_DMA32 (by default no memory below 16 MiB exists). */
#define GFP_DMA		__GFP_DMA

/* True if @gfp lets the allocator sleep (process context only). */
static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return !!(gfp & __GFP_DIRECT_RECLAIM);
}

/**
 * alloc_pages() - allocate 2^@order physically contiguous pages
 * @gfp: GFP_* flags; GFP_DMA32/GFP_DMA restrict to RAM below 4 GiB
 * @order: 0..MAX_ORDER-1 (10)
 *
 * Context: process if @gfp allows blocking (might_sleep() checks),
 * otherwise any; takes a zone lock.
 * Return: the first page of the block, or NULL (one "page allocation
 * failure" message unless __GFP_NOWARN; an order above 10 is reported
 * likewise).
 */
DK_API struct page *alloc_pages(gfp_t gfp, unsigned int order);

/**
 * __free_pages() - free a block from alloc_pages()
 * @page: its first page (NULL is ignored)
 * @order: the order it was allocated with
 *
 * A page that is not allocated, a double free, a wrong order or a block
 * holding a pinned page is reported ("Bad page state") and nothing is
 * freed. Swapped-out pages become present again.
 *
 * Context: any; takes a zone lock.
 */
DK_API void __free_pages(struct page *page, unsigned int order);

/**
 * __get_free_pages() - alloc_pages() returning the CPU address
 * @gfp: GFP_* flags
 * @order: 0..10
 *
 * Context: as alloc_pages(). Return: the address as unsigned long, or 0.
 */
DK_API unsigned long __get_free_pages(gfp_t gfp, unsigned int order);

/**
 * get_zeroed_page() - one zeroed page's CPU address
 * @gfp: GFP_* flags
 *
 * Context: as alloc_pages(). Return: the address, or 0.
 */
DK_API unsigned long get_zeroed_page(gfp_t gfp);

/**
 * free_pages() - free a block from __get_free_pages()
 * @addr: its CPU address (0 is ignored)
 * @order: the order it was allocated with
 *
 * Context: any. An address outside simulated RAM is reported.
 */
DK_API void free_pages(unsigned long addr, unsigned int order);

/**
 * alloc_pages_exact() - allocate exactly PAGE_ALIGN(@size) bytes
 * @size: bytes (up to 4 MiB)
 * @gfp: GFP_* flags
 *
 * The pages beyond PAGE_ALIGN(@size) in the power-of-two block are freed.
 * Context: as alloc_pages(). Return: the CPU address, or NULL.
 */
DK_API void *alloc_pages_exact(size_t size, gfp_t gfp);

/**
 * free_pages_exact() - free memory from alloc_pages_exact()
 * @virt: the address it returned
 * @size: the size given to it
 *
 * Context: any.
 */
DK_API void free_pages_exact(void *virt, size_t size);

/**
 * nr_free_pages() - free pages in all zones
 *
 * Context: any; no lock (a momentary value).
 */
DK_API unsigned long nr_free_pages(void);

#define alloc_page(gfp)			alloc_pages(gfp, 0)
#define __free_page(page)		__free_pages((page), 0)
#define __get_free_page(gfp)		__get_free_pages((gfp), 0)
#define free_page(addr)			free_pages((addr), 0)

#endif
