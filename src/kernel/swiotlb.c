// SPDX-License-Identifier: MIT
/*
 * swiotlb.c - the software I/O TLB: a pool of 2 KiB bounce slots below
 * 4 GiB for devices that cannot reach a buffer, and for every dma-direct
 * mapping when bouncing is forced.
 *
 * Geometry as Linux 6.1: slots of IO_TLB_SIZE, grouped in segments of
 * IO_TLB_SEGSIZE slots; a mapping is a run of free slots inside one
 * segment. Each slot's "list" counts the free slots from it to the end of
 * its segment, so a run of n is found by reading one counter. The pool is
 * split into areas (a power of two, each a whole number of segments), each
 * with its own lock, used count and search index; a thread starts in its
 * own area and moves on to the others when that one is full.
 *
 * The pool is built at machine creation from ZONE_DMA32 page blocks (at
 * most 4 MiB each, the allocator's largest), so it need not be physically
 * contiguous: segments are 256 KiB aligned and a table indexed by
 * phys >> 18 (below 4 GiB) maps an address to its segment in O(1). The
 * slot records (original address, sizes) live in host memory.
 *
 * Each thread keeps the last few runs it unmapped (up to TC_RUNS runs of
 * at most TC_MAX_SLOTS slots) in a thread cache, so a map/unmap loop reuses
 * one hot run with one atomic exchange per pair instead of two area lock
 * round trips and the free-list bookkeeping. A cached run is free for every
 * purpose but the search: its slot records say "not mapped" (a second
 * unmap or a sync is still reported), dk_swiotlb_stats() counts it as
 * free, and before a mapping fails for want of slots every thread's cache
 * is flushed back into the areas and the search retried: nothing is
 * stranded, no false exhaustion. A thread's cache goes back to the pool
 * when the thread exits and is dropped when the pool is destroyed.
 *
 * LOCKING: area->lock protects the list counts and (for free and newly
 * found runs) the slot records of the area's slots, and the area's index;
 * area->used is written under it and read atomically. The records of a
 * mapped or cached run belong to its owner (the mapper, then the thread
 * caching it); the bounce copies run without a lock. A cache entry is
 * filled only by its thread (a release store into an empty entry) and
 * emptied by an atomic exchange, by its thread or by a flusher, so exactly
 * one of them gets the run. tc_lock (a mutex) protects the thread-cache
 * registry (tc_all, each cache's pool); lock order: tc_lock, then an area
 * lock. rl_lock serializes the rare "buffer is full" rate limiting. Pool
 * geometry is read-only between init and exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/swiotlb.h>
#include "kernel/internal.h"

#define INVALID_PHYS_ADDR	(~(phys_addr_t)0)
#define IO_TLB_SEG_BYTES	((u64)IO_TLB_SIZE * IO_TLB_SEGSIZE)
#define IO_TLB_SEG_SHIFT	(IO_TLB_SHIFT + 7)	/* 256 KiB */
#define IO_TLB_MIN_BYTES	(1ull << 20)
#define IO_TLB_LOW_SEGS		(1ul << (32 - IO_TLB_SEG_SHIFT))
#define CHUNK_ORDER		(MAX_ORDER - 1)
#define CHUNK_BYTES		(PAGE_SIZE << CHUNK_ORDER)

/* The thread caches: runs kept per thread, and the largest cached run. */
#define TC_RUNS			4
#define TC_MAX_SLOTS		8

/* Linux's default ratelimit: 10 messages per 5 s. */
#define FULL_RL_BURST		10
#define FULL_RL_INTERVAL_NS	5000000000ull

struct io_tlb_slot {
	phys_addr_t orig_addr;	/* INVALID_PHYS_ADDR when free */
	u8 *orig_virt;		/* its CPU address */
	size_t alloc_size;	/* bytes of the mapping from this slot on */
	unsigned int list;	/* free slots from here to the segment end */
	unsigned int nslots;	/* on a mapping's first slot: its length */
};

struct io_tlb_area {
	int lock;		/* area_lock() */
	unsigned long used;	/* written under lock, read atomically */
	unsigned int index;	/* next search start, area-relative */
} __attribute__((aligned(64)));

struct io_tlb_chunk {
	struct page *page;	/* a block of alloc_pages() */
	unsigned int order;	/* its order, or -1u: alloc_pages_exact */
	size_t bytes;
};

/*
 * A thread's cache of free runs. run[] entries are 0 (empty) or
 * (first slot << 8 | nslots); see LOCKING for who may change them.
 */
struct io_tlb_tcache {
	unsigned long run[TC_RUNS];	/* atomic */
	struct io_tlb_mem *mem;		/* tc_lock: its pool, or NULL */
	struct io_tlb_tcache *next;	/* tc_lock: tc_all list */
	struct io_tlb_tcache **pprev;	/* tc_lock */
};

struct io_tlb_mem {
	u64 id;				/* unique: keys the thread caches */
	unsigned long nslabs;
	unsigned long area_nslabs;
	unsigned int nareas;
	unsigned int nsegs;
	phys_addr_t *seg_phys;		/* per segment */
	u8 **seg_virt;			/* per segment: CPU address */
	u32 *seg_of;			/* [phys >> 18]: segment + 1 */
	struct io_tlb_slot *slots;
	struct io_tlb_area *areas;
	struct io_tlb_chunk *chunks;
	unsigned int nchunks;
	int full_episode;		/* atomic: a "full" was reported */
	spinlock_t rl_lock;
	u64 rl_begin_ns;		/* under rl_lock */
	unsigned int rl_printed;	/* under rl_lock */
	unsigned long rl_missed;	/* under rl_lock */
};

/*
 * The area lock: a plain test-and-set lock that yields the CPU after a
 * short spin. Sections under it are short and never sleep; an uncontended
 * pair costs two atomics, half of what spinlock_t's adaptive mutex costs
 * on the map/unmap fast path.
 */
static inline void area_lock(int *l)
{
	unsigned int spins = 0;

	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(l, __ATOMIC_RELAXED)) {
			if (++spins > 64) {
				sched_yield();
				spins = 0;
			}
		}
	}
}

static inline void area_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

#define DK_TLS __thread __attribute__((tls_model("initial-exec")))

static unsigned int area_next;	/* atomic: hands threads their area */
static DK_TLS unsigned int tls_area = ~0u;

/* The thread-cache registry; see LOCKING. */
static pthread_mutex_t tc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct io_tlb_tcache *tc_all;		/* tc_lock */
static u64 tlb_next_id;				/* atomic */
static pthread_once_t tc_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t tc_key;
static int tc_key_err;
/* The calling thread's cache, and the id of the pool it serves (0: none). */
static DK_TLS struct io_tlb_tcache *tls_tc;
static DK_TLS u64 tls_tc_id;

/*
 * The machine's pool (m->dma->tlb), or NULL: one load instead of three on
 * every map, unmap and sync. One machine at a time, so one pool.
 */
static struct io_tlb_mem *tlb_live;	/* atomic */

static inline struct io_tlb_mem *tlb_mem(void)
{
	/* Acquire: pairs with the release in dk__swiotlb_init(). */
	return __atomic_load_n(&tlb_live, __ATOMIC_ACQUIRE);
}

static inline unsigned int nr_slots(u64 val)
{
	return (unsigned int)DIV_ROUND_UP(val, IO_TLB_SIZE);
}

static inline phys_addr_t slot_phys(const struct io_tlb_mem *mem,
				    unsigned long i)
{
	return mem->seg_phys[i / IO_TLB_SEGSIZE] +
	       ((phys_addr_t)(i % IO_TLB_SEGSIZE) << IO_TLB_SHIFT);
}

/* CPU address of slot @i. */
static inline u8 *slot_vaddr(const struct io_tlb_mem *mem, unsigned long i)
{
	return mem->seg_virt[i / IO_TLB_SEGSIZE] +
	       ((size_t)(i % IO_TLB_SEGSIZE) << IO_TLB_SHIFT);
}

static inline u8 *slot_virt(const struct io_tlb_mem *mem, phys_addr_t phys)
{
	u32 seg = mem->seg_of[phys >> IO_TLB_SEG_SHIFT] - 1;

	return mem->seg_virt[seg] + (phys & (IO_TLB_SEG_BYTES - 1));
}

/* Slot index of a pool address (the caller checked it is in the pool). */
static inline unsigned long slot_index(const struct io_tlb_mem *mem,
				       phys_addr_t phys)
{
	u32 seg = mem->seg_of[phys >> IO_TLB_SEG_SHIFT] - 1;

	return (unsigned long)seg * IO_TLB_SEGSIZE +
	       ((phys >> IO_TLB_SHIFT) & (IO_TLB_SEGSIZE - 1));
}

static inline bool in_pool(const struct io_tlb_mem *mem, phys_addr_t phys)
{
	return mem && phys < (1ull << 32) &&
	       mem->seg_of[phys >> IO_TLB_SEG_SHIFT] != 0;
}

static inline unsigned int io_tlb_offset(unsigned long i)
{
	return (unsigned int)(i & (IO_TLB_SEGSIZE - 1));
}

static inline unsigned int min_align_mask(struct device *dev)
{
	return dev->dma_parms ? dev->dma_parms->min_align_mask : 0;
}

static inline unsigned long seg_boundary(struct device *dev)
{
	if (dev->dma_parms && dev->dma_parms->segment_boundary_mask)
		return dev->dma_parms->segment_boundary_mask;
	return ~0UL;
}

/* Low bits of @addr a bounce buffer must keep (within a slot). */
static inline unsigned int align_offset(struct device *dev, u64 addr)
{
	return (unsigned int)(addr & min_align_mask(dev) & (IO_TLB_SIZE - 1));
}

bool is_swiotlb_buffer(struct device *dev, phys_addr_t paddr)
{
	(void)dev;
	return in_pool(tlb_mem(), paddr);
}

bool is_swiotlb_active(struct device *dev)
{
	(void)dev;
	return tlb_mem() != NULL;
}

bool is_swiotlb_force_bounce(struct device *dev)
{
	struct dk_machine *m = __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);

	(void)dev;
	return m && m->dma && m->dma->force_bounce && m->dma->tlb;
}

size_t swiotlb_max_mapping_size(struct device *dev)
{
	unsigned int mask = dev ? min_align_mask(dev) : 0;
	size_t min_align = 0;

	if (mask)
		min_align = ALIGN((size_t)mask, (size_t)IO_TLB_SIZE);
	return (size_t)IO_TLB_SEG_BYTES - min_align;
}

static unsigned long mem_used(struct io_tlb_mem *mem)
{
	unsigned long used = 0;

	for (unsigned int i = 0; i < mem->nareas; i++)
		used += __atomic_load_n(&mem->areas[i].used, __ATOMIC_RELAXED);
	return used;
}

static unsigned long pool_used(struct io_tlb_mem *mem);

int dk_swiotlb_stats(unsigned long *nslabs, unsigned long *used)
{
	struct io_tlb_mem *mem = tlb_mem();

	if (!mem)
		return -ENODEV;
	if (nslabs)
		*nslabs = mem->nslabs;
	if (used)
		*used = pool_used(mem);
	return 0;
}

/* Would @nslots slots from @start cross a (@mask + 1) boundary? */
static inline bool crosses_boundary(phys_addr_t start, unsigned int nslots,
				    unsigned long mask)
{
	u64 len = (u64)nslots << IO_TLB_SHIFT;

	if (mask == ~0ul)
		return false;
	return (start & mask) + len - 1 > mask;
}

/*
 * How far apart the search looks at candidate runs: don't loop over
 * unaligned slots once an alignment is asked for; mappings of a page or
 * more start on a page, as Linux.
 */
static inline unsigned int search_stride(struct device *dev,
					 size_t alloc_size,
					 unsigned int alloc_align_mask)
{
	unsigned int iotlb_align_mask =
		min_align_mask(dev) & ~(IO_TLB_SIZE - 1);
	unsigned int stride = (iotlb_align_mask >> IO_TLB_SHIFT) + 1;

	if (alloc_size >= PAGE_SIZE)
		stride = max(stride, stride << (PAGE_SHIFT - IO_TLB_SHIFT));
	stride = max(stride, (alloc_align_mask >> IO_TLB_SHIFT) + 1);
	return min(stride, (unsigned int)IO_TLB_SEGSIZE);
}

/* Record a newly taken run of @nslots at @si (owner or area lock). */
static inline void claim_records(struct io_tlb_mem *mem, unsigned long si,
				 unsigned int nslots, size_t alloc_size,
				 unsigned int offset)
{
	for (unsigned long i = si; i < si + nslots; i++) {
		mem->slots[i].alloc_size =
			alloc_size - (offset + ((i - si) << IO_TLB_SHIFT));
		mem->slots[i].nslots = 0;
	}
	mem->slots[si].nslots = nslots;
}

/*
 * Find and take @alloc_size bytes of slots in area @ai. Returns the global
 * slot index or -1.
 */
static long find_slots_area(struct device *dev, struct io_tlb_mem *mem,
			    unsigned int ai, phys_addr_t orig_addr,
			    size_t alloc_size, unsigned int alloc_align_mask)
{
	struct io_tlb_area *area = &mem->areas[ai];
	unsigned long boundary_mask = seg_boundary(dev);
	unsigned int iotlb_align_mask =
		min_align_mask(dev) & ~(IO_TLB_SIZE - 1);
	unsigned int nslots = nr_slots(alloc_size);
	unsigned int stride = search_stride(dev, alloc_size,
					    alloc_align_mask);
	unsigned int offset = align_offset(dev, orig_addr);
	unsigned long base = (unsigned long)ai * mem->area_nslabs;
	unsigned long index, wrap, i, si;
	unsigned int count = 0;

	area_lock(&area->lock);
	if (nslots > IO_TLB_SEGSIZE ||
	    nslots > mem->area_nslabs - area->used)
		goto not_found;
	index = ALIGN((unsigned long)area->index, (unsigned long)stride);
	if (index >= mem->area_nslabs)
		index = 0;
	wrap = index;
	do {
		si = base + index;
		if (orig_addr &&
		    (slot_phys(mem, si) & iotlb_align_mask) !=
			    (orig_addr & iotlb_align_mask)) {
			index = index + 1 >= mem->area_nslabs ? 0 : index + 1;
			continue;
		}
		if (mem->slots[si].list >= nslots &&
		    !crosses_boundary(slot_phys(mem, si), nslots,
				      boundary_mask) &&
		    !(slot_phys(mem, si) & alloc_align_mask))
			goto found;
		index += stride;
		if (index >= mem->area_nslabs)
			index = 0;
	} while (index != wrap);

not_found:
	area_unlock(&area->lock);
	return -1;

found:
	for (i = si; i < si + nslots; i++)
		mem->slots[i].list = 0;
	claim_records(mem, si, nslots, alloc_size, offset);
	/* Free slots before the run now end at it. */
	for (i = si; i-- > 0 && io_tlb_offset(i) != IO_TLB_SEGSIZE - 1 &&
		     mem->slots[i].list;)
		mem->slots[i].list = ++count;
	area->index = index + nslots < mem->area_nslabs ?
		      (unsigned int)(index + nslots) : 0;
	__atomic_store_n(&area->used, area->used + nslots, __ATOMIC_RELAXED);
	area_unlock(&area->lock);
	return (long)si;
}

static long find_slots(struct device *dev, struct io_tlb_mem *mem,
		       phys_addr_t orig_addr, size_t alloc_size,
		       unsigned int alloc_align_mask)
{
	unsigned int start, i;
	long index;

	if (tls_area == ~0u)
		tls_area = __atomic_fetch_add(&area_next, 1, __ATOMIC_RELAXED);
	start = tls_area & (mem->nareas - 1);
	i = start;
	do {
		index = find_slots_area(dev, mem, i, orig_addr, alloc_size,
					alloc_align_mask);
		if (index >= 0)
			return index;
		if (++i >= mem->nareas)
			i = 0;
	} while (i != start);
	return -1;
}

/* ---- freeing runs ------------------------------------------------------- */

/* Forget what the run of @nslots at @index stood for (its owner only). */
static inline void clear_records(struct io_tlb_mem *mem, unsigned long index,
				 unsigned int nslots)
{
	for (unsigned long i = index; i < index + nslots; i++) {
		mem->slots[i].orig_addr = INVALID_PHYS_ADDR;
		mem->slots[i].orig_virt = NULL;
		mem->slots[i].alloc_size = 0;
		mem->slots[i].nslots = 0;
	}
}

/*
 * Link the run of @nslots at @index, whose records are cleared, back into
 * its segment's free counts. The area lock is held.
 */
static void link_free_locked(struct io_tlb_mem *mem, struct io_tlb_area *area,
			     unsigned long ai, unsigned long index,
			     unsigned int nslots)
{
	unsigned long i;
	unsigned int count;

	if (index + nslots < ALIGN(index + 1, (unsigned long)IO_TLB_SEGSIZE))
		count = mem->slots[index + nslots].list;
	else
		count = 0;
	for (i = index + nslots; i-- > index;)
		mem->slots[i].list = ++count;
	/* Free slots before the run now reach further. */
	for (i = index; i-- > 0 && io_tlb_offset(i) != IO_TLB_SEGSIZE - 1 &&
			mem->slots[i].list;)
		mem->slots[i].list = ++count;
	/*
	 * Differs from Linux, which searches on from the last allocation:
	 * start the next search at the run just freed, whose lines are
	 * still in the cache (a map/unmap loop then reuses one hot slot
	 * instead of streaming through the whole pool).
	 */
	area->index = (unsigned int)(index - ai * mem->area_nslabs);
	__atomic_store_n(&area->used, area->used - nslots, __ATOMIC_RELAXED);
}

/* Give a cleared run back to its area. Takes the area lock. */
static void free_run(struct io_tlb_mem *mem, unsigned long index,
		     unsigned int nslots)
{
	unsigned long ai = index / mem->area_nslabs;
	struct io_tlb_area *area = &mem->areas[ai];

	area_lock(&area->lock);
	link_free_locked(mem, area, ai, index, nslots);
	area_unlock(&area->lock);
}

/* ---- thread caches ------------------------------------------------------ */

#define TC_RUN(index, nslots)	((unsigned long)(index) << 8 | (nslots))
#define TC_INDEX(v)		((v) >> 8)
#define TC_NSLOTS(v)		((unsigned int)((v) & 0xff))

/*
 * Empty @tc's entries; with @give_back their runs go back to @mem's areas,
 * otherwise they are dropped (the pool is going away). Returns the slots
 * emptied. tc_lock held.
 */
static unsigned long tc_drain(struct io_tlb_mem *mem, struct io_tlb_tcache *tc,
			      bool give_back)
{
	unsigned long n = 0;

	for (unsigned int i = 0; i < TC_RUNS; i++) {
		/* Acquire: pairs with the release in tc_put() (the records). */
		unsigned long v = __atomic_exchange_n(&tc->run[i], 0,
						      __ATOMIC_ACQUIRE);

		if (!v)
			continue;
		n += TC_NSLOTS(v);
		if (give_back)
			free_run(mem, TC_INDEX(v), TC_NSLOTS(v));
	}
	return n;
}

/* pthread key destructor: the thread exits; its runs go back. */
static void tc_thread_exit(void *arg)
{
	struct io_tlb_tcache *tc = arg;

	pthread_mutex_lock(&tc_lock);
	if (tc->mem)
		tc_drain(tc->mem, tc, true);
	*tc->pprev = tc->next;
	if (tc->next)
		tc->next->pprev = tc->pprev;
	pthread_mutex_unlock(&tc_lock);
	tls_tc = NULL;
	tls_tc_id = 0;
	free(tc);
}

static void tc_key_make(void)
{
	tc_key_err = pthread_key_create(&tc_key, tc_thread_exit);
}

/* Make the calling thread's cache serve @mem. NULL: no memory. */
static noinline struct io_tlb_tcache *tc_get_slow(struct io_tlb_mem *mem)
{
	struct io_tlb_tcache *tc;

	pthread_mutex_lock(&tc_lock);
	tc = tls_tc;
	if (!tc) {
		/* Without a destructor the cache could outlive its thread. */
		pthread_once(&tc_key_once, tc_key_make);
		tc = tc_key_err ? NULL : calloc(1, sizeof(*tc));
		if (!tc)
			goto out;
		if (pthread_setspecific(tc_key, tc)) {
			free(tc);
			tc = NULL;
			goto out;
		}
		tc->next = tc_all;
		if (tc_all)
			tc_all->pprev = &tc->next;
		tc->pprev = &tc_all;
		tc_all = tc;
		tls_tc = tc;
	}
	/* One pool at a time: the last one dropped this cache at its exit. */
	tc->mem = mem;
	tls_tc_id = mem->id;
out:
	pthread_mutex_unlock(&tc_lock);
	return tc;
}

/*
 * Whether the free run of @nslots at @si could have been found by the
 * search for this request (mask, stride, boundary and alignment).
 */
static inline bool run_fits(struct device *dev, struct io_tlb_mem *mem,
			    unsigned long si, unsigned int nslots,
			    phys_addr_t orig_addr, size_t alloc_size,
			    unsigned int alloc_align_mask)
{
	phys_addr_t phys = slot_phys(mem, si);
	unsigned int iotlb_align_mask =
		min_align_mask(dev) & ~(IO_TLB_SIZE - 1);
	unsigned int stride;

	if (orig_addr && iotlb_align_mask) {
		if ((phys & iotlb_align_mask) != (orig_addr & iotlb_align_mask))
			return false;
	} else {
		stride = search_stride(dev, alloc_size, alloc_align_mask);
		if (phys & (((phys_addr_t)stride << IO_TLB_SHIFT) - 1))
			return false;
	}
	return !crosses_boundary(phys, nslots, seg_boundary(dev)) &&
	       !(phys & alloc_align_mask);
}

/*
 * Take a run for @alloc_size bytes from the calling thread's cache.
 * Returns its first slot, or -1. No lock.
 */
static inline long tc_take(struct device *dev, struct io_tlb_mem *mem,
			   phys_addr_t orig_addr, size_t alloc_size,
			   unsigned int alloc_align_mask, unsigned int offset)
{
	unsigned int nslots = nr_slots(alloc_size);
	struct io_tlb_tcache *tc = tls_tc;

	if (tls_tc_id != mem->id || nslots > TC_MAX_SLOTS)
		return -1;
	for (unsigned int i = 0; i < TC_RUNS; i++) {
		unsigned long v = __atomic_load_n(&tc->run[i],
						  __ATOMIC_RELAXED);

		if (!v || TC_NSLOTS(v) != nslots ||
		    !run_fits(dev, mem, TC_INDEX(v), nslots, orig_addr,
			      alloc_size, alloc_align_mask))
			continue;
		/* A flusher may have taken it meanwhile: then it is 0. */
		if (__atomic_exchange_n(&tc->run[i], 0, __ATOMIC_ACQUIRE) != v)
			continue;
		claim_records(mem, TC_INDEX(v), nslots, alloc_size, offset);
		return (long)TC_INDEX(v);
	}
	return -1;
}

/*
 * Keep the unmapped run of @nslots at @index in the calling thread's
 * cache. Returns false (nothing done) if it does not go there. No lock.
 */
static inline bool tc_put(struct io_tlb_mem *mem, unsigned long index,
			  unsigned int nslots)
{
	struct io_tlb_tcache *tc;

	if (nslots > TC_MAX_SLOTS)
		return false;
	tc = likely(tls_tc_id == mem->id) ? tls_tc : tc_get_slow(mem);
	if (!tc)
		return false;
	for (unsigned int i = 0; i < TC_RUNS; i++) {
		/* Only this thread fills an entry: empty stays empty. */
		if (__atomic_load_n(&tc->run[i], __ATOMIC_RELAXED))
			continue;
		clear_records(mem, index, nslots);
		/* Release: the cleared records, for whoever takes the run. */
		__atomic_store_n(&tc->run[i], TC_RUN(index, nslots),
				 __ATOMIC_RELEASE);
		return true;
	}
	return false;
}

/* Flush every thread's cached runs into @mem. Returns the slots freed. */
static unsigned long tc_flush_all(struct io_tlb_mem *mem)
{
	unsigned long n = 0;

	pthread_mutex_lock(&tc_lock);
	for (struct io_tlb_tcache *tc = tc_all; tc; tc = tc->next)
		if (tc->mem == mem)
			n += tc_drain(mem, tc, true);
	pthread_mutex_unlock(&tc_lock);
	return n;
}

/*
 * Slots in use: the areas' counts less the cached runs. The areas are
 * read first: a run leaves a cache before its area count drops, so a
 * racing flush can only make the figure too high, never wrap it.
 */
static unsigned long pool_used(struct io_tlb_mem *mem)
{
	unsigned long used = mem_used(mem), cached = 0;

	pthread_mutex_lock(&tc_lock);
	for (struct io_tlb_tcache *tc = tc_all; tc; tc = tc->next) {
		if (tc->mem != mem)
			continue;
		for (unsigned int i = 0; i < TC_RUNS; i++)
			cached += TC_NSLOTS(__atomic_load_n(&tc->run[i],
							    __ATOMIC_RELAXED));
	}
	pthread_mutex_unlock(&tc_lock);
	return used > cached ? used - cached : 0;
}

/*
 * Report a full pool: once per episode (until a mapping succeeds again),
 * and at most FULL_RL_BURST times per FULL_RL_INTERVAL_NS, as Linux's
 * dev_warn_ratelimited().
 */
static void report_full(struct device *dev, struct io_tlb_mem *mem,
			size_t alloc_size)
{
	u64 now = dk__host_ns();
	bool print = false;
	unsigned long missed = 0;

	if (__atomic_exchange_n(&mem->full_episode, 1, __ATOMIC_RELAXED))
		return;
	spin_lock(&mem->rl_lock);
	if (!mem->rl_begin_ns ||
	    now - mem->rl_begin_ns >= FULL_RL_INTERVAL_NS) {
		missed = mem->rl_missed;
		mem->rl_begin_ns = now;
		mem->rl_printed = 0;
		mem->rl_missed = 0;
	}
	if (mem->rl_printed < FULL_RL_BURST) {
		mem->rl_printed++;
		print = true;
	} else {
		mem->rl_missed++;
	}
	spin_unlock(&mem->rl_lock);
	if (missed)
		dev_warn(dev, "swiotlb: %lu \"buffer is full\" messages suppressed",
			 missed);
	if (print)
		dev_warn(dev, "swiotlb buffer is full (sz: %zd bytes), total %lu (slots), used %lu (slots)",
			 alloc_size, mem->nslabs, pool_used(mem));
}

/* Copy between the original buffer and its bounce slot. */
static void bounce(struct device *dev, struct io_tlb_mem *mem,
		   phys_addr_t tlb_addr, size_t size,
		   enum dma_data_direction dir)
{
	unsigned long index = slot_index(mem, tlb_addr);
	phys_addr_t orig_addr = mem->slots[index].orig_addr;
	u8 *orig = mem->slots[index].orig_virt;
	size_t alloc_size = mem->slots[index].alloc_size;
	unsigned int tlb_offset, orig_offset;
	u8 *vaddr = slot_virt(mem, tlb_addr);

	if (orig_addr == INVALID_PHYS_ADDR) {
		dev_err(dev, "swiotlb: sync of %#llx (%zu bytes), which is not a live bounce buffer",
			(unsigned long long)tlb_addr, size);
		return;
	}
	tlb_offset = (unsigned int)(tlb_addr & (IO_TLB_SIZE - 1));
	orig_offset = align_offset(dev, orig_addr);
	if (tlb_offset < orig_offset) {
		dev_warn(dev, "Access before mapping start detected. orig offset %u, requested offset %u.",
			 orig_offset, tlb_offset);
		return;
	}
	tlb_offset -= orig_offset;
	if (tlb_offset > alloc_size) {
		dev_warn(dev, "Buffer overflow detected. Allocation size: %zu. Mapping size: %zu+%u.",
			 alloc_size, size, tlb_offset);
		return;
	}
	orig += tlb_offset;
	alloc_size -= tlb_offset;
	if (size > alloc_size) {
		dev_warn(dev, "Buffer overflow detected. Allocation size: %zu. Mapping size: %zu.",
			 alloc_size, size);
		size = alloc_size;
	}
	if (dir == DMA_TO_DEVICE)
		memcpy(vaddr, orig, size);
	else
		memcpy(orig, vaddr, size);
}

phys_addr_t swiotlb_tbl_map_single(struct device *dev, phys_addr_t orig_addr,
				   size_t mapping_size, size_t alloc_size,
				   unsigned int alloc_align_mask,
				   enum dma_data_direction dir,
				   unsigned long attrs)
{
	struct io_tlb_mem *mem = tlb_mem();
	unsigned int offset;
	unsigned int i, nslots;
	long index;
	phys_addr_t tlb_addr;
	u8 *orig_virt = phys_to_virt(orig_addr);

	(void)dir;
	if (!mem) {
		dev_warn(dev, "Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer");
		return (phys_addr_t)DMA_MAPPING_ERROR;
	}
	if (mapping_size > alloc_size) {
		dev_warn(dev, "Invalid sizes (mapping: %zd bytes, alloc: %zd bytes)",
			 mapping_size, alloc_size);
		return (phys_addr_t)DMA_MAPPING_ERROR;
	}
	if (!orig_virt) {
		dev_err(dev, "swiotlb: %#llx is not RAM", (unsigned long long)orig_addr);
		return (phys_addr_t)DMA_MAPPING_ERROR;
	}
	offset = align_offset(dev, orig_addr);
	index = tc_take(dev, mem, orig_addr, alloc_size + offset,
			alloc_align_mask, offset);
	if (index < 0)
		index = find_slots(dev, mem, orig_addr, alloc_size + offset,
				   alloc_align_mask);
	/* Before calling the pool full, take back every cached run. */
	if (unlikely(index < 0) && tc_flush_all(mem))
		index = find_slots(dev, mem, orig_addr, alloc_size + offset,
				   alloc_align_mask);
	if (index < 0) {
		if (!(attrs & DMA_ATTR_NO_WARN))
			report_full(dev, mem, alloc_size + offset);
		return (phys_addr_t)DMA_MAPPING_ERROR;
	}
	if (__builtin_expect(__atomic_load_n(&mem->full_episode,
					     __ATOMIC_RELAXED), 0))
		__atomic_store_n(&mem->full_episode, 0, __ATOMIC_RELAXED);

	/* Each slot remembers the original address it stands for. */
	nslots = nr_slots(alloc_size + offset);
	for (i = 0; i < nslots; i++) {
		mem->slots[index + i].orig_addr =
			orig_addr + ((phys_addr_t)i << IO_TLB_SHIFT);
		mem->slots[index + i].orig_virt =
			orig_virt + ((size_t)i << IO_TLB_SHIFT);
	}
	tlb_addr = slot_phys(mem, (unsigned long)index) + offset;
	/*
	 * Always copy the original in, even for DMA_FROM_DEVICE: the device
	 * may not overwrite it all, and stale slot contents must not leak.
	 * (What bounce() would do, without looking the slot up again.)
	 */
	memcpy(slot_vaddr(mem, (unsigned long)index) + offset, orig_virt,
	       mapping_size);
	return tlb_addr;
}

/* Free the slots of the bounce buffer at @tlb_addr, or report why not. */
static void release_slots(struct device *dev, struct io_tlb_mem *mem,
			  phys_addr_t tlb_addr, size_t mapping_size)
{
	unsigned int offset = align_offset(dev, tlb_addr);
	unsigned long index = slot_index(mem, tlb_addr - offset);
	unsigned long ai = index / mem->area_nslabs;
	struct io_tlb_area *area = &mem->areas[ai];
	unsigned int nslots;

	area_lock(&area->lock);
	nslots = mem->slots[index].nslots;
	if (!nslots || mem->slots[index].orig_addr == INVALID_PHYS_ADDR) {
		area_unlock(&area->lock);
		dev_err(dev, "swiotlb: unmap of %#llx (%zu bytes), which is not the start of a live bounce buffer (double unmap?)",
			(unsigned long long)tlb_addr, mapping_size);
		return;
	}
	clear_records(mem, index, nslots);
	link_free_locked(mem, area, ai, index, nslots);
	area_unlock(&area->lock);
}

void swiotlb_tbl_unmap_single(struct device *dev, phys_addr_t tlb_addr,
			      size_t mapping_size,
			      enum dma_data_direction dir,
			      unsigned long attrs)
{
	struct io_tlb_mem *mem = tlb_mem();
	unsigned int offset, nslots;
	unsigned long index;

	if (!in_pool(mem, tlb_addr)) {
		dev_err(dev, "swiotlb: unmap of %#llx, which is not in the bounce pool",
			(unsigned long long)tlb_addr);
		return;
	}
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
	    (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL))
		bounce(dev, mem, tlb_addr, mapping_size, DMA_FROM_DEVICE);
	/*
	 * A live run's records are its owner's: check them without the
	 * lock, and keep the run in this thread's cache if there is room.
	 * Anything else (a bad address included) takes the locked path.
	 */
	offset = align_offset(dev, tlb_addr);
	index = slot_index(mem, tlb_addr - offset);
	nslots = mem->slots[index].nslots;
	if (nslots && mem->slots[index].orig_addr != INVALID_PHYS_ADDR &&
	    tc_put(mem, index, nslots))
		return;
	release_slots(dev, mem, tlb_addr, mapping_size);
}

void swiotlb_sync_single_for_device(struct device *dev, phys_addr_t tlb_addr,
				    size_t size, enum dma_data_direction dir)
{
	struct io_tlb_mem *mem = tlb_mem();

	if (!in_pool(mem, tlb_addr))
		return;
	if (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL)
		bounce(dev, mem, tlb_addr, size, DMA_TO_DEVICE);
	else if (dir != DMA_FROM_DEVICE)
		dev_err(dev, "swiotlb: sync for device with direction %d",
			(int)dir);
}

void swiotlb_sync_single_for_cpu(struct device *dev, phys_addr_t tlb_addr,
				 size_t size, enum dma_data_direction dir)
{
	struct io_tlb_mem *mem = tlb_mem();

	if (!in_pool(mem, tlb_addr))
		return;
	if (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL)
		bounce(dev, mem, tlb_addr, size, DMA_FROM_DEVICE);
	else if (dir != DMA_TO_DEVICE)
		dev_err(dev, "swiotlb: sync for cpu with direction %d",
			(int)dir);
}

dma_addr_t swiotlb_map(struct device *dev, phys_addr_t paddr, size_t size,
		       enum dma_data_direction dir, unsigned long attrs)
{
	phys_addr_t tlb_addr;

	tlb_addr = swiotlb_tbl_map_single(dev, paddr, size, size, 0, dir,
					  attrs);
	if (tlb_addr == (phys_addr_t)DMA_MAPPING_ERROR)
		return DMA_MAPPING_ERROR;
	/* Bus address = physical address without an IOMMU. */
	if (!dk__dma_capable(dev, tlb_addr, size, true)) {
		swiotlb_tbl_unmap_single(dev, tlb_addr, size, dir,
					 attrs | DMA_ATTR_SKIP_CPU_SYNC);
		dev_warn(dev, "swiotlb addr %#llx+%zu overflow (mask %llx, bus limit %llx).",
			 (unsigned long long)tlb_addr, size,
			 (unsigned long long)dma_get_mask(dev),
			 (unsigned long long)dev->bus_dma_limit);
		return DMA_MAPPING_ERROR;
	}
	return tlb_addr;
}

/* ---- pool lifecycle ----------------------------------------------------- */

static unsigned int default_areas(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	unsigned int a = 1;

	while ((long)a < n && a < 64)
		a <<= 1;
	return a;
}

static void free_pool(struct io_tlb_mem *mem)
{
	for (unsigned int i = 0; i < mem->nchunks; i++) {
		struct io_tlb_chunk *c = &mem->chunks[i];

		if (c->order == ~0u)
			free_pages_exact(page_address(c->page), c->bytes);
		else
			__free_pages(c->page, c->order);
	}
	free(mem->chunks);
	free(mem->seg_phys);
	free(mem->seg_virt);
	free(mem->seg_of);
	free(mem->slots);
	free(mem->areas);
	free(mem);
}

/* Take @bytes of ZONE_DMA32 in blocks and index their segments. */
static int alloc_pool(struct io_tlb_mem *mem, u64 bytes)
{
	unsigned int seg = 0;
	u64 left = bytes;

	mem->chunks = calloc(DIV_ROUND_UP(bytes, CHUNK_BYTES),
			     sizeof(*mem->chunks));
	if (!mem->chunks)
		return -ENOMEM;
	while (left) {
		struct io_tlb_chunk *c = &mem->chunks[mem->nchunks];
		u64 n = min(left, (u64)CHUNK_BYTES);
		phys_addr_t phys;
		u8 *virt;

		if (n == CHUNK_BYTES) {
			c->page = alloc_pages(GFP_DMA32 | __GFP_NOWARN,
					      CHUNK_ORDER);
			c->order = CHUNK_ORDER;
		} else {
			void *p = alloc_pages_exact(n, GFP_DMA32 |
							       __GFP_NOWARN);

			c->page = p ? virt_to_page(p) : NULL;
			c->order = ~0u;
		}
		if (!c->page)
			return -ENOMEM;
		c->bytes = n;
		mem->nchunks++;
		phys = page_to_phys(c->page);
		virt = page_address(c->page);
		for (u64 off = 0; off < n; off += IO_TLB_SEG_BYTES, seg++) {
			mem->seg_phys[seg] = phys + off;
			mem->seg_virt[seg] = virt + off;
			mem->seg_of[(phys + off) >> IO_TLB_SEG_SHIFT] = seg + 1;
		}
		left -= n;
	}
	return 0;
}

int dk__swiotlb_init(struct dk_machine *m, struct dk_dma_state *st)
{
	const struct dk_dma_config *cfg = &m->cfg.dma;
	struct io_tlb_mem *mem;
	u64 bytes = cfg->swiotlb_size ? cfg->swiotlb_size :
					IO_TLB_DEFAULT_SIZE;
	unsigned int nareas = cfg->swiotlb_areas ? cfg->swiotlb_areas :
						  default_areas();
	unsigned long i;
	int ret;

	/* Linux sets the pool up only when someone may need it. */
	if (!st->force_bounce && st->ram_top < (1ull << 32))
		return 0;
	if (nareas & (nareas - 1)) {
		dk__err("swiotlb: swiotlb_areas %u is not a power of two",
			nareas);
		return -EINVAL;
	}
	if (bytes > (2ull << 30)) {
		dk__err("swiotlb: swiotlb_size %llu is above 2 GiB",
			(unsigned long long)bytes);
		return -EINVAL;
	}
	bytes = max(ALIGN(bytes, IO_TLB_SEG_BYTES), IO_TLB_MIN_BYTES);

	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	mem->id = __atomic_add_fetch(&tlb_next_id, 1, __ATOMIC_RELAXED);
	mem->nslabs = (unsigned long)(bytes >> IO_TLB_SHIFT);
	mem->nsegs = (unsigned int)(mem->nslabs / IO_TLB_SEGSIZE);
	/* Each area a whole number of segments. */
	while (nareas > 1 && mem->nsegs % nareas)
		nareas >>= 1;
	mem->nareas = nareas;
	mem->area_nslabs = mem->nslabs / nareas;
	mem->seg_phys = calloc(mem->nsegs, sizeof(*mem->seg_phys));
	mem->seg_virt = calloc(mem->nsegs, sizeof(*mem->seg_virt));
	mem->seg_of = calloc(IO_TLB_LOW_SEGS, sizeof(*mem->seg_of));
	mem->slots = calloc(mem->nslabs, sizeof(*mem->slots));
	mem->areas = aligned_alloc(64, ALIGN(nareas * sizeof(*mem->areas),
					     (size_t)64));
	if (!mem->seg_phys || !mem->seg_virt || !mem->seg_of || !mem->slots ||
	    !mem->areas) {
		ret = -ENOMEM;
		goto err_free;
	}
	memset(mem->areas, 0, nareas * sizeof(*mem->areas));
	spin_lock_init(&mem->rl_lock);
	for (i = 0; i < mem->nslabs; i++) {
		mem->slots[i].list = IO_TLB_SEGSIZE - io_tlb_offset(i);
		mem->slots[i].orig_addr = INVALID_PHYS_ADDR;
	}
	ret = alloc_pool(mem, bytes);
	if (ret) {
		if (st->force_bounce) {
			dk__err("swiotlb: cannot allocate %llu bytes below 4 GiB for the bounce pool (swiotlb=force)",
				(unsigned long long)bytes);
			goto err_free;
		}
		dk__warn("swiotlb: cannot allocate %llu bytes below 4 GiB; no bounce buffering",
			 (unsigned long long)bytes);
		free_pool(mem);
		return 0;
	}
	st->tlb = mem;
	/* Release: the pool is built before anyone can find it. */
	__atomic_store_n(&tlb_live, mem, __ATOMIC_RELEASE);
	return 0;

err_free:
	free_pool(mem);
	return ret;
}

int dk__swiotlb_exit(struct dk_machine *m, struct dk_dma_state *st)
{
	struct io_tlb_mem *mem = st->tlb;
	int leaks = 0;

	(void)m;
	if (!mem)
		return 0;
	__atomic_store_n(&tlb_live, NULL, __ATOMIC_RELAXED);
	/* Cached runs are free slots, not mappings: drop them. */
	pthread_mutex_lock(&tc_lock);
	for (struct io_tlb_tcache *tc = tc_all; tc; tc = tc->next) {
		if (tc->mem != mem)
			continue;
		tc_drain(mem, tc, false);
		tc->mem = NULL;
	}
	pthread_mutex_unlock(&tc_lock);
	for (unsigned long i = 0; i < mem->nslabs; i++) {
		struct io_tlb_slot *s = &mem->slots[i];

		if (!s->nslots)
			continue;
		if (leaks < 8)
			dk__err("swiotlb: bounce buffer %#llx (%u slots) for %#llx still mapped at destroy",
				(unsigned long long)slot_phys(mem, i),
				s->nslots, (unsigned long long)s->orig_addr);
		leaks++;
	}
	if (leaks > 8)
		dk__err("swiotlb: %d bounce buffers still mapped at destroy (first 8 listed)",
			leaks);
	st->tlb = NULL;
	free_pool(mem);
	return leaks > 8 ? 9 : leaks;
}
