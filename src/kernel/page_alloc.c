// SPDX-License-Identifier: MIT
/*
 * page_alloc.c - the page allocator over simulated RAM: a binary buddy
 * allocator (orders 0..MAX_ORDER-1) per zone, struct page and the address
 * conversions (virt_to_phys, page_address, pfn_to_page, ...), pinning and
 * the swap simulation, and the leak report at machine destroy.
 *
 * Zones: ZONE_DMA32 holds RAM below 4 GiB, ZONE_NORMAL RAM above; a region
 * that straddles 4 GiB is split between them. Each (region, zone) pair is a
 * span; blocks are naturally aligned in pfn space and never cross a span,
 * so buddies merge only inside one span.
 *
 * struct page lives in a per-region mem_map in host memory, mapped lazily:
 * only the first page of a block (free or allocated) carries flags and an
 * order, so building the free lists touches one struct page per 4 MiB, and
 * the rest of mem_map stays uncommitted until used.
 *
 * LOCKING: each zone's spinlock protects its free lists, its free page
 * count, and the flags/order/lru of every page in its spans. Pin counts are
 * atomic and changed under the zone lock so that swap-out sees a stable
 * value. The region table is written at init and read-only afterwards.
 * Messages are logged after the zone lock is released.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include "hw/internal.h"
#include "kernel/internal.h"

#define DMA32_END_PFN (0x100000000ul >> PAGE_SHIFT)
#define LEAK_SHOW 8	/* blocks listed by the leak report */

enum { ZONE_DMA32, ZONE_NORMAL, NR_ZONES };

static const char *const zone_names[NR_ZONES] = { "DMA32", "Normal" };

struct free_area {
	struct list_head free_list;
	unsigned long nr_free;
};

struct zone {
	spinlock_t lock;
	struct free_area free_area[MAX_ORDER];	/* under lock */
	unsigned long free_pages;	/* under lock; read atomically */
	unsigned long present_pages;	/* constant after init */
};

struct mm_region {
	unsigned long start_pfn, end_pfn;
	struct page *mem_map;		/* lazily committed host memory */
	size_t map_bytes;
	uint8_t *host;
	uint8_t *frame_state;
};

struct dk_mm {
	unsigned int nr;
	struct mm_region region[DK_MAX_RAM_REGIONS];
	struct zone zones[NR_ZONES];
};

static struct dk_mm *mm_get(void)
{
	struct dk_machine *m = __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);

	return m ? m->mm : NULL;
}

static struct mm_region *region_of_pfn(struct dk_mm *mm, unsigned long pfn)
{
	for (unsigned int i = 0; i < mm->nr; i++) {
		struct mm_region *r = &mm->region[i];

		if (pfn >= r->start_pfn && pfn < r->end_pfn)
			return r;
	}
	return NULL;
}

static struct mm_region *region_of_page(struct dk_mm *mm,
					const struct page *page)
{
	uintptr_t a = (uintptr_t)page;

	for (unsigned int i = 0; mm && i < mm->nr; i++) {
		struct mm_region *r = &mm->region[i];
		uintptr_t off = a - (uintptr_t)r->mem_map;

		if (off < (r->end_pfn - r->start_pfn) * sizeof(struct page) &&
		    off % sizeof(struct page) == 0)
			return r;
	}
	return NULL;
}

static unsigned long region_pfn(const struct mm_region *r,
				const struct page *page)
{
	return r->start_pfn + (unsigned long)(page - r->mem_map);
}

static struct page *region_page(const struct mm_region *r, unsigned long pfn)
{
	return &r->mem_map[pfn - r->start_pfn];
}

static int zone_idx(unsigned long pfn)
{
	return pfn < DMA32_END_PFN ? ZONE_DMA32 : ZONE_NORMAL;
}

/* The span (region part inside one zone) holding @pfn: [*lo, *hi). */
static void span_of(const struct mm_region *r, unsigned long pfn,
		    unsigned long *lo, unsigned long *hi)
{
	if (pfn < DMA32_END_PFN) {
		*lo = r->start_pfn;
		*hi = r->end_pfn < DMA32_END_PFN ? r->end_pfn : DMA32_END_PFN;
	} else {
		*lo = r->start_pfn > DMA32_END_PFN ? r->start_pfn
						   : DMA32_END_PFN;
		*hi = r->end_pfn;
	}
}

/* ---- buddy core (zone lock held) ----------------------------------------- */

static void zone_add_free(struct zone *z, struct page *p, unsigned int order)
{
	p->flags = PG_buddy;
	p->order = order;
	list_add(&p->lru, &z->free_area[order].free_list);
	z->free_area[order].nr_free++;
}

static void zone_del_free(struct zone *z, struct page *p, unsigned int order)
{
	list_del(&p->lru);
	p->flags = 0;
	p->order = 0;
	z->free_area[order].nr_free--;
}

static void zone_free_pages_add(struct zone *z, long delta)
{
	__atomic_store_n(&z->free_pages,
			 __atomic_load_n(&z->free_pages, __ATOMIC_RELAXED) +
				 (unsigned long)delta,
			 __ATOMIC_RELAXED);
}

static unsigned long zone_free(struct zone *z)
{
	return __atomic_load_n(&z->free_pages, __ATOMIC_RELAXED);
}

static struct page *buddy_alloc(struct zone *z, unsigned int order)
{
	DK_ASSERT(dk_spin_is_held(&z->lock));
	for (unsigned int o = order; o < MAX_ORDER; o++) {
		struct page *p;

		if (list_empty(&z->free_area[o].free_list))
			continue;
		p = list_first_entry(&z->free_area[o].free_list, struct page,
				     lru);
		zone_del_free(z, p, o);
		/* Give back the upper halves; a block lies in one mem_map. */
		while (o > order) {
			o--;
			zone_add_free(z, p + (1ul << o), o);
		}
		p->flags = PG_allocated;
		p->order = order;
		zone_free_pages_add(z, -(long)(1l << order));
		return p;
	}
	return NULL;
}

static void buddy_free(struct zone *z, const struct mm_region *r,
		       unsigned long pfn, unsigned int order)
{
	unsigned long lo, hi;

	DK_ASSERT(dk_spin_is_held(&z->lock));
	span_of(r, pfn, &lo, &hi);
	zone_free_pages_add(z, (long)(1l << order));
	while (order < MAX_ORDER - 1) {
		unsigned long bpfn = pfn ^ (1ul << order);
		struct page *b;

		if (bpfn < lo || bpfn + (1ul << order) > hi)
			break;
		b = region_page(r, bpfn);
		if (!(b->flags & PG_buddy) || b->order != order)
			break;
		zone_del_free(z, b, order);
		pfn &= ~(1ul << order);
		order++;
	}
	zone_add_free(z, region_page(r, pfn), order);
}

/* Head of the block (free or allocated) that holds @pfn, or NULL. */
static struct page *block_head(const struct mm_region *r, unsigned long pfn)
{
	unsigned long lo, hi;

	span_of(r, pfn, &lo, &hi);
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		unsigned long h = pfn & ~((1ul << o) - 1);
		struct page *p;

		if (h < lo)
			break;
		p = region_page(r, h);
		if ((p->flags & (PG_buddy | PG_allocated)) &&
		    pfn < h + (1ul << p->order))
			return p;
	}
	return NULL;
}

/* ---- allocation ---------------------------------------------------------- */

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	struct dk_mm *mm = mm_get();
	int zl[NR_ZONES], nz = 0;
	struct page *p = NULL;

	if (!mm) {
		dk__err("alloc_pages(order %u): no machine", order);
		return NULL;
	}
	if (order >= MAX_ORDER) {
		if (!(gfp & __GFP_NOWARN))
			dk__err("alloc_pages: order %u is above the maximum order %d (4 MiB)",
				order, MAX_ORDER - 1);
		return NULL;
	}
	if (gfpflags_allow_blocking(gfp))
		might_sleep();
	if (!(gfp & (__GFP_DMA | __GFP_DMA32)))
		zl[nz++] = ZONE_NORMAL;
	zl[nz++] = ZONE_DMA32;
	for (int i = 0; i < nz && !p; i++) {
		struct zone *z = &mm->zones[zl[i]];

		if (!z->present_pages)
			continue;
		spin_lock(&z->lock);
		p = buddy_alloc(z, order);
		spin_unlock(&z->lock);
	}
	if (!p) {
		if (!(gfp & __GFP_NOWARN))
			dk__warn("page allocation failure: order:%u, mode:%#x, zones %s%s%s: free pages DMA32 %lu, Normal %lu",
				 order, gfp, zone_names[zl[0]],
				 nz > 1 ? "," : "",
				 nz > 1 ? zone_names[zl[1]] : "",
				 zone_free(&mm->zones[ZONE_DMA32]),
				 zone_free(&mm->zones[ZONE_NORMAL]));
		return NULL;
	}
	if (gfp & __GFP_ZERO)
		memset(page_address(p), 0, PAGE_SIZE << order);
	return p;
}

enum free_err {
	FREE_OK,
	FREE_NOT_ALLOCATED,
	FREE_DOUBLE,
	FREE_WRONG_ORDER,
	FREE_PINNED,
};

void __free_pages(struct page *page, unsigned int order)
{
	struct dk_mm *mm = mm_get();
	struct mm_region *r;
	enum free_err err = FREE_OK;
	unsigned long pfn, pinned_pfn = 0;
	unsigned int had_order = 0;
	struct zone *z;

	if (!page)
		return;
	r = region_of_page(mm, page);
	if (!r) {
		dk__err("Bad page state: __free_pages(%p, order %u): not a struct page of simulated RAM",
			(void *)page, order);
		return;
	}
	pfn = region_pfn(r, page);
	if (order >= MAX_ORDER) {
		dk__err("Bad page state: __free_pages(phys 0x%lx, order %u): order above the maximum %d; nothing freed",
			pfn << PAGE_SHIFT, order, MAX_ORDER - 1);
		return;
	}
	if (__atomic_load_n(&page->slab_cache, __ATOMIC_ACQUIRE)) {
		dk__err("Bad page state: __free_pages(phys 0x%lx, order %u): page belongs to the slab allocator (use kfree); nothing freed",
			pfn << PAGE_SHIFT, order);
		return;
	}
	z = &mm->zones[zone_idx(pfn)];
	spin_lock(&z->lock);
	if (!(page->flags & PG_allocated)) {
		err = (page->flags & PG_buddy) ? FREE_DOUBLE
					       : FREE_NOT_ALLOCATED;
	} else if (page->order != order) {
		err = FREE_WRONG_ORDER;
		had_order = page->order;
	} else {
		for (unsigned long i = 0; i < (1ul << order); i++) {
			if (__atomic_load_n(&page[i].dk_pincount,
					    __ATOMIC_RELAXED)) {
				err = FREE_PINNED;
				pinned_pfn = pfn + i;
				break;
			}
		}
	}
	if (err == FREE_OK) {
		/* A freed page is present again, like a swap entry dropped. */
		for (unsigned long i = 0; i < (1ul << order); i++) {
			uint8_t *st = &r->frame_state[pfn + i - r->start_pfn];
			uint8_t keep = (uint8_t)~DK_FRAME_NOT_PRESENT;

			if (__atomic_load_n(st, __ATOMIC_RELAXED) &
			    DK_FRAME_NOT_PRESENT)
				__atomic_fetch_and(st, keep, __ATOMIC_RELEASE);
		}
		page->flags = 0;
		page->order = 0;
		buddy_free(z, r, pfn, order);
	}
	spin_unlock(&z->lock);

	switch (err) {
	case FREE_OK:
		break;
	case FREE_DOUBLE:
		dk__err("Bad page state: __free_pages(phys 0x%lx, order %u): double free (the block is already free); nothing freed",
			pfn << PAGE_SHIFT, order);
		break;
	case FREE_NOT_ALLOCATED:
		dk__err("Bad page state: __free_pages(phys 0x%lx, order %u): page is not the start of an allocated block (already freed, or inside another block); nothing freed",
			pfn << PAGE_SHIFT, order);
		break;
	case FREE_WRONG_ORDER:
		dk__err("Bad page state: __free_pages(phys 0x%lx, order %u): block was allocated with order %u; nothing freed",
			pfn << PAGE_SHIFT, order, had_order);
		break;
	case FREE_PINNED:
		dk__err("Bad page state: __free_pages(phys 0x%lx, order %u): page at phys 0x%lx is still pinned; nothing freed",
			pfn << PAGE_SHIFT, order, pinned_pfn << PAGE_SHIFT);
		break;
	}
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *p = alloc_pages(gfp & ~__GFP_HIGHMEM, order);

	return p ? (unsigned long)page_address(p) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

void free_pages(unsigned long addr, unsigned int order)
{
	struct page *p;

	if (!addr)
		return;
	p = virt_to_page(addr);
	if (!p || offset_in_page(addr)) {
		dk__err("Bad page state: free_pages(%#lx, order %u): %s; nothing freed",
			addr, order,
			p ? "address is not page aligned"
			  : "address is not in simulated RAM");
		return;
	}
	__free_pages(p, order);
}

void *alloc_pages_exact(size_t size, gfp_t gfp)
{
	unsigned long nr = PAGE_ALIGN(size) >> PAGE_SHIFT;
	struct dk_mm *mm;
	struct page *p;
	struct zone *z;
	unsigned int order;

	if (!size) {
		dk__err("alloc_pages_exact: size is 0");
		return NULL;
	}
	order = (unsigned int)get_order(size);
	p = alloc_pages(gfp, order);
	if (!p)
		return NULL;
	/* Split the block into order-0 pages; free the tail beyond @size. */
	mm = mm_get();
	z = &mm->zones[zone_idx(page_to_pfn(p))];
	spin_lock(&z->lock);
	p->order = 0;
	for (unsigned long i = 1; i < (1ul << order); i++) {
		p[i].flags = PG_allocated;
		p[i].order = 0;
	}
	spin_unlock(&z->lock);
	for (unsigned long i = nr; i < (1ul << order); i++)
		__free_pages(&p[i], 0);
	return page_address(p);
}

void free_pages_exact(void *virt, size_t size)
{
	struct page *p = virt_to_page(virt);
	unsigned long nr = PAGE_ALIGN(size) >> PAGE_SHIFT;

	if (!virt)
		return;
	if (!p || offset_in_page(virt)) {
		dk__err("Bad page state: free_pages_exact(%p, size %zu): %s; nothing freed",
			virt, size,
			p ? "address is not page aligned"
			  : "address is not in simulated RAM");
		return;
	}
	for (unsigned long i = 0; i < nr; i++)
		__free_pages(&p[i], 0);
}

unsigned long nr_free_pages(void)
{
	struct dk_mm *mm = mm_get();
	unsigned long n = 0;

	for (int i = 0; mm && i < NR_ZONES; i++)
		n += __atomic_load_n(&mm->zones[i].free_pages,
				     __ATOMIC_RELAXED);
	return n;
}

/* ---- conversions --------------------------------------------------------- */

void *page_address(const struct page *page)
{
	struct mm_region *r = region_of_page(mm_get(), page);

	if (!r) {
		dk__err("page_address(%p): not a struct page of simulated RAM",
			(const void *)page);
		return NULL;
	}
	return r->host + ((size_t)(page - r->mem_map) << PAGE_SHIFT);
}

unsigned long page_to_pfn(const struct page *page)
{
	struct mm_region *r = region_of_page(mm_get(), page);

	if (!r) {
		dk__err("page_to_pfn(%p): not a struct page of simulated RAM",
			(const void *)page);
		return ~0ul;
	}
	return region_pfn(r, page);
}

struct page *pfn_to_page(unsigned long pfn)
{
	struct dk_mm *mm = mm_get();
	struct mm_region *r = mm ? region_of_pfn(mm, pfn) : NULL;

	return r ? region_page(r, pfn) : NULL;
}

phys_addr_t page_to_phys(const struct page *page)
{
	struct mm_region *r = region_of_page(mm_get(), page);

	if (!r) {
		dk__err("page_to_phys(%p): not a struct page of simulated RAM",
			(const void *)page);
		return DK_PHYS_INVALID;
	}
	return (phys_addr_t)region_pfn(r, page) << PAGE_SHIFT;
}

struct page *phys_to_page(phys_addr_t phys)
{
	if (phys == DK_PHYS_INVALID)
		return NULL;
	return pfn_to_page((unsigned long)(phys >> PAGE_SHIFT));
}

bool dk__phys_range_has_ram(phys_addr_t phys, size_t size)
{
	struct dk_machine *m = __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; m && m->ram && i < m->ram->nr; i++) {
		const struct dk_ram_region *r = &m->ram->region[i];

		if (phys < r->base + r->size && r->base <= phys + (size - 1))
			return true;
	}
	return false;
}

phys_addr_t virt_to_phys(const volatile void *addr)
{
	struct dk_machine *m = __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);
	const struct dk_ram_region *r;

	if (!m || !m->ram)
		return DK_PHYS_INVALID;
	r = dk__ram_region_of_host(m->ram, (const void *)addr);
	if (!r)
		return DK_PHYS_INVALID;
	return r->base + (uint64_t)((uintptr_t)addr - (uintptr_t)r->host);
}

void *phys_to_virt(phys_addr_t phys)
{
	struct dk_machine *m = __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);
	const struct dk_ram_region *r;

	if (!m || !m->ram)
		return NULL;
	r = dk__ram_region(m->ram, phys);
	return r ? r->host + (phys - r->base) : NULL;
}

struct page *dk_virt_to_page(const void *addr)
{
	return phys_to_page(virt_to_phys(addr));
}

bool dk_virt_addr_valid(const void *addr)
{
	return virt_to_phys(addr) != DK_PHYS_INVALID;
}

/* ---- pinning and swap ---------------------------------------------------- */

enum pin_op { PIN, UNPIN, SWAP_OUT, SWAP_IN };
static const char *const pin_op_names[] = {
	"dk_page_pin", "unpin_user_page", "dk_page_swap_out",
	"dk_page_swap_in",
};

static int page_pin_op(struct page *page, enum pin_op op)
{
	struct dk_mm *mm = mm_get();
	struct mm_region *r = region_of_page(mm, page);
	struct page *head;
	unsigned long pfn;
	struct zone *z;
	int ret = 0;

	if (!r) {
		dk__err("%s(%p): not a struct page of simulated RAM",
			pin_op_names[op], (void *)page);
		return -EINVAL;
	}
	pfn = region_pfn(r, page);
	z = &mm->zones[zone_idx(pfn)];
	spin_lock(&z->lock);
	head = block_head(r, pfn);
	if (!head || !(head->flags & PG_allocated)) {
		ret = -EINVAL;
	} else {
		switch (op) {
		case PIN:
			__atomic_fetch_add(&page->dk_pincount, 1,
					   __ATOMIC_RELAXED);
			fallthrough;
		case SWAP_IN:
			dk__ram_set_present(dk__m, (uint64_t)pfn << PAGE_SHIFT,
					    PAGE_SIZE, true);
			break;
		case UNPIN:
			if (!__atomic_load_n(&page->dk_pincount,
					     __ATOMIC_RELAXED))
				ret = -ENOENT;
			else
				__atomic_fetch_sub(&page->dk_pincount, 1,
						   __ATOMIC_RELAXED);
			break;
		case SWAP_OUT:
			if (__atomic_load_n(&page->dk_pincount,
					    __ATOMIC_RELAXED))
				ret = -EBUSY;
			else
				dk__ram_set_present(dk__m,
						    (uint64_t)pfn << PAGE_SHIFT,
						    PAGE_SIZE, false);
			break;
		}
	}
	spin_unlock(&z->lock);
	if (ret == -EINVAL)
		dk__err("%s(phys 0x%lx): page is not allocated", pin_op_names[op],
			pfn << PAGE_SHIFT);
	else if (ret == -ENOENT)
		dk__err("unpin_user_page(phys 0x%lx): page is not pinned",
			pfn << PAGE_SHIFT);
	return ret;
}

int dk_page_pin(struct page *page)
{
	return page_pin_op(page, PIN);
}

void unpin_user_page(struct page *page)
{
	page_pin_op(page, UNPIN);
}

int dk_page_swap_out(struct page *page)
{
	return page_pin_op(page, SWAP_OUT);
}

int dk_page_swap_in(struct page *page)
{
	return page_pin_op(page, SWAP_IN);
}

bool dk_page_is_present(const struct page *page)
{
	struct mm_region *r = region_of_page(mm_get(), page);

	if (!r)
		return false;
	return !(__atomic_load_n(&r->frame_state[page - r->mem_map],
				 __ATOMIC_ACQUIRE) &
		 DK_FRAME_NOT_PRESENT);
}

/* ---- init and exit ------------------------------------------------------- */

static void mm_carve(struct dk_mm *mm, struct mm_region *r, unsigned long lo,
		     unsigned long hi)
{
	struct zone *z = &mm->zones[zone_idx(lo)];
	unsigned long pfn = lo;

	spin_lock(&z->lock);
	while (pfn < hi) {
		unsigned int order = MAX_ORDER - 1;

		while ((pfn & ((1ul << order) - 1)) ||
		       pfn + (1ul << order) > hi)
			order--;
		zone_add_free(z, region_page(r, pfn), order);
		zone_free_pages_add(z, (long)(1l << order));
		pfn += 1ul << order;
	}
	z->present_pages += hi - lo;
	spin_unlock(&z->lock);
}

static void mm_unmap(struct dk_mm *mm)
{
	for (unsigned int i = 0; i < mm->nr; i++)
		if (mm->region[i].mem_map)
			munmap(mm->region[i].mem_map, mm->region[i].map_bytes);
}

int dk__mm_init(struct dk_machine *m)
{
	struct dk_mm *mm;

	if (!m->ram) {
		dk__err("mm: RAM is not initialised");
		return -EINVAL;
	}
	mm = calloc(1, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	for (int i = 0; i < NR_ZONES; i++) {
		spin_lock_init(&mm->zones[i].lock);
		for (int o = 0; o < MAX_ORDER; o++)
			INIT_LIST_HEAD(&mm->zones[i].free_area[o].free_list);
	}
	for (unsigned int i = 0; i < m->ram->nr; i++) {
		const struct dk_ram_region *rr = &m->ram->region[i];
		struct mm_region *r = &mm->region[i];
		void *map;

		r->start_pfn = (unsigned long)(rr->base >> PAGE_SHIFT);
		r->end_pfn = (unsigned long)((rr->base + rr->size) >>
					     PAGE_SHIFT);
		r->host = rr->host;
		r->frame_state = rr->frame_state;
		r->map_bytes = (r->end_pfn - r->start_pfn) *
			       sizeof(struct page);
		map = mmap(NULL, r->map_bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (map == MAP_FAILED) {
			dk__err("mm: cannot reserve %zu bytes for the mem_map of region %u",
				r->map_bytes, i);
			mm_unmap(mm);
			free(mm);
			return -ENOMEM;
		}
		/* Small pages: touching one struct page commits 4 KiB only. */
		madvise(map, r->map_bytes, MADV_NOHUGEPAGE);
		r->mem_map = map;
		mm->nr = i + 1;
	}
	for (unsigned int i = 0; i < mm->nr; i++) {
		struct mm_region *r = &mm->region[i];

		if (r->start_pfn < DMA32_END_PFN)
			mm_carve(mm, r, r->start_pfn,
				 r->end_pfn < DMA32_END_PFN ? r->end_pfn
							    : DMA32_END_PFN);
		if (r->end_pfn > DMA32_END_PFN)
			mm_carve(mm, r,
				 r->start_pfn > DMA32_END_PFN ? r->start_pfn
							      : DMA32_END_PFN,
				 r->end_pfn);
	}
	m->mm = mm;
	return 0;
}

/* Walk the blocks of [lo, hi); report allocated ones. */
static void mm_leak_walk(const struct mm_region *r, unsigned long lo,
			 unsigned long hi, unsigned long *blocks,
			 unsigned long *pages, char *buf, size_t len)
{
	unsigned long pfn = lo;

	while (pfn < hi) {
		const struct page *p = region_page(r, pfn);

		if (p->flags & PG_allocated) {
			size_t n = strlen(buf);

			if (*blocks < LEAK_SHOW && n < len)
				snprintf(buf + n, len - n, "%s0x%lx order %u",
					 *blocks ? ", " : "",
					 pfn << PAGE_SHIFT, p->order);
			(*blocks)++;
			*pages += 1ul << p->order;
		}
		if (p->flags & (PG_allocated | PG_buddy))
			pfn += 1ul << p->order;
		else
			pfn++;
	}
}

int dk__mm_exit(struct dk_machine *m)
{
	struct dk_mm *mm = m->mm;
	unsigned long blocks = 0, pages = 0, used = 0;
	char list[512] = "";

	if (!mm)
		return 0;
	for (int i = 0; i < NR_ZONES; i++)
		used += mm->zones[i].present_pages -
			__atomic_load_n(&mm->zones[i].free_pages,
					__ATOMIC_RELAXED);
	if (used) {
		for (unsigned int i = 0; i < mm->nr; i++) {
			const struct mm_region *r = &mm->region[i];
			unsigned long mid = r->end_pfn < DMA32_END_PFN
						    ? r->end_pfn
						    : DMA32_END_PFN;

			if (r->start_pfn < mid)
				mm_leak_walk(r, r->start_pfn, mid, &blocks,
					     &pages, list, sizeof(list));
			if (r->end_pfn > DMA32_END_PFN)
				mm_leak_walk(r,
					     r->start_pfn > DMA32_END_PFN
						     ? r->start_pfn
						     : DMA32_END_PFN,
					     r->end_pfn, &blocks, &pages, list,
					     sizeof(list));
		}
		dk__err("mm: leak: %lu page%s in %lu block%s still allocated at destroy: %s%s",
			pages, pages == 1 ? "" : "s", blocks,
			blocks == 1 ? "" : "s", list,
			blocks > LEAK_SHOW ? ", ..." : "");
	}
	mm_unmap(mm);
	free(mm);
	m->mm = NULL;
	return (int)blocks;
}
