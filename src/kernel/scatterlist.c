// SPDX-License-Identifier: MIT
/*
 * scatterlist.c - scatterlist helpers and sg_table allocation, as Linux's
 * lib/scatterlist.c: tables longer than one page of entries are chained
 * arrays of SG_MAX_SINGLE_ALLOC entries from kmalloc.
 *
 * No locks: a list belongs to its caller.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include "kernel/internal.h"

phys_addr_t sg_phys(struct scatterlist *sg)
{
	struct page *page = sg ? sg_page(sg) : NULL;
	phys_addr_t phys;

	if (!page)
		return DK_PHYS_INVALID;
	phys = page_to_phys(page);
	return phys == DK_PHYS_INVALID ? phys : phys + sg->offset;
}

void *sg_virt(struct scatterlist *sg)
{
	struct page *page = sg ? sg_page(sg) : NULL;
	u8 *va;

	if (!page) {
		dk__err("sg_virt(%p): the entry has no page", (void *)sg);
		return NULL;
	}
	va = page_address(page);
	return va ? va + sg->offset : NULL;
}

void sg_init_table(struct scatterlist *sgl, unsigned int nents)
{
	if (!sgl || !nents) {
		dk__err("sg_init_table(%p, %u): no entries", (void *)sgl,
			nents);
		return;
	}
	memset(sgl, 0, sizeof(*sgl) * nents);
	sg_mark_end(&sgl[nents - 1]);
}

void sg_set_buf(struct scatterlist *sg, const void *buf, unsigned int buflen)
{
	struct page *page = virt_to_page(buf);

	if (!page)
		dk__err("sg_set_buf: %p (+%u bytes) is not in simulated RAM (stack or malloc?): the entry gets no page and cannot be DMA-mapped",
			buf, buflen);
	sg_set_page(sg, page, buflen,
		    page ? (unsigned int)offset_in_page(buf) : 0);
}

void sg_init_one(struct scatterlist *sg, const void *buf, unsigned int buflen)
{
	sg_init_table(sg, 1);
	sg_set_buf(sg, buf, buflen);
}

int sg_nents(struct scatterlist *sg)
{
	int nents;

	for (nents = 0; sg; sg = sg_next(sg))
		nents++;
	return nents;
}

int sg_nents_for_len(struct scatterlist *sg, u64 len)
{
	int nents;
	u64 total;

	if (!len)
		return 0;
	for (nents = 0, total = 0; sg; sg = sg_next(sg)) {
		nents++;
		total += sg->length;
		if (total >= len)
			return nents;
	}
	return -EINVAL;
}

struct scatterlist *sg_last(struct scatterlist *s, unsigned int nents)
{
	struct scatterlist *sg, *ret = NULL;
	unsigned int i;

	for_each_sg(s, sg, nents, i)
		ret = sg;
	return ret;
}

void sg_free_table(struct sg_table *table)
{
	struct scatterlist *sgl, *next;
	unsigned int num_ents;

	if (!table || !table->sgl)
		return;
	sgl = table->sgl;
	num_ents = table->orig_nents;
	while (num_ents) {
		unsigned int alloc_size = num_ents, sg_size;

		if (alloc_size > SG_MAX_SINGLE_ALLOC) {
			next = sg_chain_ptr(&sgl[SG_MAX_SINGLE_ALLOC - 1]);
			alloc_size = SG_MAX_SINGLE_ALLOC;
			sg_size = alloc_size - 1;
		} else {
			sg_size = alloc_size;
			next = NULL;
		}
		num_ents -= sg_size;
		kfree(sgl);
		sgl = next;
	}
	table->sgl = NULL;
	table->nents = table->orig_nents = 0;
}

static int alloc_table(struct sg_table *table, unsigned int nents,
		       gfp_t gfp_mask)
{
	struct scatterlist *sg, *prv = NULL;
	unsigned int left = nents;

	do {
		unsigned int sg_size, alloc_size = left;

		/* A full array gives its last entry to the chain link. */
		if (alloc_size > SG_MAX_SINGLE_ALLOC) {
			alloc_size = SG_MAX_SINGLE_ALLOC;
			sg_size = alloc_size - 1;
		} else {
			sg_size = alloc_size;
		}
		left -= sg_size;
		sg = kmalloc(alloc_size * sizeof(*sg), gfp_mask);
		if (!sg) {
			/* Count the link so sg_free_table() frees it all. */
			if (prv)
				table->nents = ++table->orig_nents;
			return -ENOMEM;
		}
		sg_init_table(sg, alloc_size);
		table->nents = table->orig_nents += sg_size;
		if (prv)
			sg_chain(prv, SG_MAX_SINGLE_ALLOC, sg);
		else
			table->sgl = sg;
		if (!left)
			sg_mark_end(&sg[sg_size - 1]);
		prv = sg;
	} while (left);
	return 0;
}

int sg_alloc_table(struct sg_table *table, unsigned int nents, gfp_t gfp_mask)
{
	int ret;

	if (!table) {
		dk__err("sg_alloc_table: table is NULL");
		return -EINVAL;
	}
	memset(table, 0, sizeof(*table));
	if (!nents) {
		dk__err("sg_alloc_table: 0 entries");
		return -EINVAL;
	}
	ret = alloc_table(table, nents, gfp_mask);
	if (ret)
		sg_free_table(table);
	return ret;
}

int sg_alloc_table_from_pages(struct sg_table *sgt, struct page **pages,
			      unsigned int n_pages, unsigned int offset,
			      unsigned long size, gfp_t gfp_mask)
{
	const unsigned long max_seg = UINT_MAX & PAGE_MASK;
	unsigned int chunks = 0, i, cur;
	struct scatterlist *s;
	unsigned long seg_len, pfn;
	int ret;

	if (!sgt || !pages || !n_pages || offset >= PAGE_SIZE || !size ||
	    offset + size > (unsigned long)n_pages * PAGE_SIZE) {
		dk__err("sg_alloc_table_from_pages: bad arguments (%u pages, offset %u, size %lu)",
			n_pages, offset, size);
		if (sgt)
			memset(sgt, 0, sizeof(*sgt));
		return -EINVAL;
	}
	for (i = 0; i < n_pages; i++) {
		if (!pages[i] || page_to_phys(pages[i]) == DK_PHYS_INVALID) {
			dk__err("sg_alloc_table_from_pages: page %u (%p) is not a page of simulated RAM",
				i, (void *)pages[i]);
			memset(sgt, 0, sizeof(*sgt));
			return -EINVAL;
		}
	}
	/* Count runs of physically contiguous pages (segments). */
	for (i = 0; i < n_pages; i = cur) {
		seg_len = PAGE_SIZE;
		pfn = page_to_pfn(pages[i]);
		for (cur = i + 1; cur < n_pages; cur++) {
			if (page_to_pfn(pages[cur]) != pfn + (cur - i) ||
			    seg_len + PAGE_SIZE > max_seg)
				break;
			seg_len += PAGE_SIZE;
		}
		chunks++;
	}
	ret = sg_alloc_table(sgt, chunks, gfp_mask);
	if (ret)
		return ret;
	s = sgt->sgl;
	for (i = 0; i < n_pages; i = cur) {
		unsigned long chunk_size;

		seg_len = PAGE_SIZE;
		pfn = page_to_pfn(pages[i]);
		for (cur = i + 1; cur < n_pages; cur++) {
			if (page_to_pfn(pages[cur]) != pfn + (cur - i) ||
			    seg_len + PAGE_SIZE > max_seg)
				break;
			seg_len += PAGE_SIZE;
		}
		chunk_size = ((unsigned long)(cur - i) << PAGE_SHIFT) - offset;
		sg_set_page(s, pages[i], (unsigned int)min(size, chunk_size),
			    offset);
		size -= min(size, chunk_size);
		offset = 0;
		s = sg_next(s);
	}
	return 0;
}

/* Copy between a list and a linear buffer; @to_buffer picks the way. */
static size_t sg_copy_buffer(struct scatterlist *sgl, unsigned int nents,
			     void *buf, size_t buflen, bool to_buffer)
{
	struct scatterlist *sg;
	size_t done = 0;
	unsigned int i;

	if (!sgl || !buf)
		return 0;
	for (i = 0, sg = sgl; sg && i < nents; i++, sg = sg_next(sg)) {
		size_t n = min((size_t)sg->length, buflen - done);
		u8 *va;

		if (!n)
			break;
		va = sg_virt(sg);
		if (!va)
			break;
		if (to_buffer)
			memcpy((u8 *)buf + done, va, n);
		else
			memcpy(va, (u8 *)buf + done, n);
		done += n;
		if (done == buflen)
			break;
	}
	return done;
}

size_t sg_copy_from_buffer(struct scatterlist *sgl, unsigned int nents,
			   const void *buf, size_t buflen)
{
	return sg_copy_buffer(sgl, nents, (void *)buf, buflen, false);
}

size_t sg_copy_to_buffer(struct scatterlist *sgl, unsigned int nents,
			 void *buf, size_t buflen)
{
	return sg_copy_buffer(sgl, nents, buf, buflen, true);
}
