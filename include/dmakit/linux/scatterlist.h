/* SPDX-License-Identifier: MIT */
/*
 * linux/scatterlist.h - scatter/gather lists and tables.
 *
 * As Linux: an entry's page_link holds the struct page pointer with two
 * flag bits (SG_CHAIN: the entry points at the next array instead of a
 * page; SG_END: the last entry). sg_alloc_table() chains arrays of at most
 * SG_MAX_SINGLE_ALLOC entries (one page's worth) for longer lists. The
 * arrays come from kmalloc (simulated RAM). dma_address/dma_length are
 * filled by dma_map_sg(); read them with sg_dma_address()/sg_dma_len().
 */
#ifndef DMAKIT_LINUX_SCATTERLIST_H
#define DMAKIT_LINUX_SCATTERLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <dmakit/api.h>

struct scatterlist {
	unsigned long page_link;
	unsigned int offset;
	unsigned int length;
	dma_addr_t dma_address;
	unsigned int dma_length;
};

/**
 * struct sg_table - a scatterlist and its lengths
 * @sgl: the first entry
 * @nents: entries mapped by dma_map_sgtable() (DMA segments)
 * @orig_nents: entries of the CPU list
 */
struct sg_table {
	struct scatterlist *sgl;
	unsigned int nents;
	unsigned int orig_nents;
};

#define SG_CHAIN	0x01UL
#define SG_END		0x02UL
#define SG_PAGE_LINK_MASK (SG_CHAIN | SG_END)

/* Entries in one chained array: one page's worth, as Linux. */
#define SG_MAX_SINGLE_ALLOC (PAGE_SIZE / sizeof(struct scatterlist))

#define sg_dma_address(sg)	((sg)->dma_address)
#define sg_dma_len(sg)		((sg)->dma_length)

static inline unsigned int __sg_flags(struct scatterlist *sg)
{
	return (unsigned int)(sg->page_link & SG_PAGE_LINK_MASK);
}

static inline bool sg_is_chain(struct scatterlist *sg)
{
	return sg->page_link & SG_CHAIN;
}

static inline bool sg_is_last(struct scatterlist *sg)
{
	return sg->page_link & SG_END;
}

static inline struct scatterlist *sg_chain_ptr(struct scatterlist *sg)
{
	return (struct scatterlist *)(sg->page_link & ~SG_PAGE_LINK_MASK);
}

/* The page of a (non-chain) entry. */
static inline struct page *sg_page(struct scatterlist *sg)
{
	return (struct page *)(sg->page_link & ~SG_PAGE_LINK_MASK);
}

/* Set the page, keeping the entry's SG_CHAIN/SG_END bits. */
static inline void sg_assign_page(struct scatterlist *sg, struct page *page)
{
	sg->page_link = (sg->page_link & SG_PAGE_LINK_MASK) |
			(unsigned long)page;
}

/** sg_set_page() - point an entry at @len bytes of @page from @offset */
static inline void sg_set_page(struct scatterlist *sg, struct page *page,
			       unsigned int len, unsigned int offset)
{
	sg_assign_page(sg, page);
	sg->offset = offset;
	sg->length = len;
}

/** sg_mark_end() - make @sg the last entry */
static inline void sg_mark_end(struct scatterlist *sg)
{
	sg->page_link |= SG_END;
	sg->page_link &= ~SG_CHAIN;
}

/** sg_unmark_end() - @sg is no longer the last entry */
static inline void sg_unmark_end(struct scatterlist *sg)
{
	sg->page_link &= ~SG_END;
}

/** sg_next() - the entry after @sg (following chains), or NULL at the end */
static inline struct scatterlist *sg_next(struct scatterlist *sg)
{
	if (sg_is_last(sg))
		return NULL;
	sg++;
	if (sg_is_chain(sg))
		sg = sg_chain_ptr(sg);
	return sg;
}

/**
 * sg_chain() - link array @prv (of @prv_nents entries) to array @sgl
 *
 * The last entry of @prv becomes the chain link and holds no data.
 */
static inline void sg_chain(struct scatterlist *prv, unsigned int prv_nents,
			    struct scatterlist *sgl)
{
	struct scatterlist *link = &prv[prv_nents - 1];

	link->offset = 0;
	link->length = 0;
	link->page_link = ((unsigned long)sgl | SG_CHAIN) & ~SG_END;
}

#define for_each_sg(sglist, sg, nr, __i)                                     \
	for (__i = 0, sg = (sglist); __i < (nr); __i++, sg = sg_next(sg))

/* Every CPU entry of a table (orig_nents). */
#define for_each_sgtable_sg(sgt, sg, i)                                      \
	for_each_sg((sgt)->sgl, sg, (sgt)->orig_nents, i)

/* Every DMA segment of a mapped table (nents). */
#define for_each_sgtable_dma_sg(sgt, sg, i)                                  \
	for_each_sg((sgt)->sgl, sg, (sgt)->nents, i)

/**
 * sg_phys() - physical address of an entry's data
 * Context: any. Return: the address, or DK_PHYS_INVALID if the entry has
 * no page of simulated RAM.
 */
DK_API phys_addr_t sg_phys(struct scatterlist *sg);

/**
 * sg_virt() - CPU address of an entry's data
 * Context: any. Return: the address, or NULL (logged) without a page.
 */
DK_API void *sg_virt(struct scatterlist *sg);

/**
 * sg_init_table() - zero @nents entries and mark the last one the end
 * Context: any.
 */
DK_API void sg_init_table(struct scatterlist *sgl, unsigned int nents);

/** sg_init_one() - a one-entry list for @buflen bytes at @buf */
DK_API void sg_init_one(struct scatterlist *sg, const void *buf,
			unsigned int buflen);

/**
 * sg_set_buf() - point an entry at @buflen bytes at CPU address @buf
 *
 * @buf must be in simulated RAM (kmalloc, pages): memory that is not (stack,
 * malloc) is reported and the entry gets no page, so mapping it fails.
 * Context: any.
 */
DK_API void sg_set_buf(struct scatterlist *sg, const void *buf,
		       unsigned int buflen);

/**
 * sg_nents() - entries in the list from @sg to its end mark
 * Context: any. Return: the count (0 for NULL).
 */
DK_API int sg_nents(struct scatterlist *sg);

/**
 * sg_nents_for_len() - entries needed to cover @len bytes
 * Context: any. Return: the count, 0 if @len is 0, -EINVAL if the list is
 * shorter than @len.
 */
DK_API int sg_nents_for_len(struct scatterlist *sg, u64 len);

/** sg_last() - the last of @nents entries of @s */
DK_API struct scatterlist *sg_last(struct scatterlist *s, unsigned int nents);

/**
 * sg_alloc_table() - allocate a table of @nents entries
 * @table: the table to fill
 * @nents: entries (> 0)
 * @gfp_mask: kmalloc flags
 *
 * Lists longer than SG_MAX_SINGLE_ALLOC are built from chained arrays, as
 * Linux does (each full array gives its last entry to the chain link).
 * Context: process if @gfp_mask may sleep.
 * Return: 0, -EINVAL (NULL @table or @nents 0), -ENOMEM (nothing is left
 * allocated).
 */
DK_API int sg_alloc_table(struct sg_table *table, unsigned int nents,
			  gfp_t gfp_mask);

/**
 * sg_free_table() - free the arrays of a table from sg_alloc_table()
 * Context: any. NULL or an empty table is ignored.
 */
DK_API void sg_free_table(struct sg_table *table);

/**
 * sg_alloc_table_from_pages() - a table for @size bytes of @pages
 * @sgt: the table to fill
 * @pages: @n_pages pages
 * @n_pages: how many
 * @offset: where the data starts in the first page (< PAGE_SIZE)
 * @size: bytes of data
 * @gfp_mask: kmalloc flags
 *
 * Physically contiguous pages are merged into one entry, as Linux does
 * (without a segment limit beyond UINT_MAX rounded down to pages).
 * Context: process if @gfp_mask may sleep.
 * Return: 0, -EINVAL (bad arguments, a NULL or foreign page), -ENOMEM.
 */
DK_API int sg_alloc_table_from_pages(struct sg_table *sgt,
				     struct page **pages,
				     unsigned int n_pages, unsigned int offset,
				     unsigned long size, gfp_t gfp_mask);

/**
 * sg_copy_from_buffer() - copy @buflen bytes from @buf into the list
 * Context: any. Return: bytes copied (the list may be shorter).
 */
DK_API size_t sg_copy_from_buffer(struct scatterlist *sgl, unsigned int nents,
				  const void *buf, size_t buflen);

/**
 * sg_copy_to_buffer() - copy up to @buflen bytes from the list into @buf
 * Context: any. Return: bytes copied.
 */
DK_API size_t sg_copy_to_buffer(struct scatterlist *sgl, unsigned int nents,
				void *buf, size_t buflen);

#endif
