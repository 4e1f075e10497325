// SPDX-License-Identifier: MIT
/*
 * dma_debug.c - dma-debug: a table of every live DMA mapping and the checks
 * Linux's kernel/dma/debug.c makes against it (our own code, same classes
 * and report texts), plus what a simulator can know: not-present pages and
 * a device transfer in flight on a range being unmapped (asked of the
 * debug-only bus monitor, dk__dma_monitor_busy()).
 *
 * The table is a hash of entries keyed by bus address (Linux's: bits 13 and
 * up, 16384 buckets), each entry naming the device, size, direction, type
 * (single, page, sg, coherent, resource), the CPU side, the mapping call
 * site and whether dma_mapping_error() was called. Entries come from a
 * preallocated array (cfg.dma.debug_entries, 65536 by default) handed out
 * by a bump index, then recycled through per-bucket free lists (an unmap
 * and the next map of the same address meet in the same bucket, so the hot
 * path takes one lock per call); a map that finds none steals from the
 * other buckets, and when every entry is in use dma-debug says so once and
 * disables itself, as Linux does.
 *
 * Scatterlists (Linux's CONFIG_DMA_API_DEBUG_SG, always on): each segment
 * dma_map_sg() returns is checked against dma_get_max_seg_size() and
 * dma_get_seg_boundary(), one report per offending segment and class.
 * Linux compares the CPU entry's length (sg->length) of the same index;
 * we compare the DMA segment's (sg_dma_len()), which is what the device
 * is given and what the limits are about (the two are equal unless the
 * backend merged entries). Each CPU entry is checked as Linux's
 * check_for_stack()/check_for_illegal_area() do, on the success path only
 * where the front end already found no physical address, and on every
 * entry when the backend refused the list (the map_sg_bad hook).
 *
 * Cacheline tracking: a mapping the device may write (not DMA_TO_DEVICE) is
 * also chained by its first cacheline; a second one on the same cacheline
 * is reported as Linux's "cacheline tracking EEXIST", and the 9th (more
 * than 7 overlaps) once as "exceeded 7 overlapping mappings".
 *
 * The dma_mapping_error() check is remembered per thread: the entry the
 * thread mapped last is marked without a lookup when the driver checks
 * that address right away (the usual pattern); anything else looks it up.
 *
 * The thread's slot. Each thread keeps its latest streaming DMA_TO_DEVICE
 * mapping (single or page; the device only reads it, so no cacheline
 * tracking) out of the table, in a slot of its own: mapping, checking and
 * unmapping it again on the same thread — the common case — takes no lock
 * and no atomic read-modify-write. Every other lookup (an unmap, sync or
 * dma_mapping_error() from another thread, a mismatching unmap, the leak
 * scans, the entry count) also searches the slots, which every thread can
 * read: a slot entry is published with a release store of its state
 * (a generation), read optimistically and trusted only if the state did
 * not change meanwhile, and taken by another thread with a
 * compare-and-swap of that state. The owner empties its slot with a plain
 * store, so two threads unmapping the same slot mapping at the same
 * instant (a driver bug) may both pass where the table would report one.
 * cfg.dma.debug_entries counts table entries; the slots are extra.
 *
 * Reports: "DMA-API: <driver> <device>: <Linux's text> [at <call site>]
 * [mapped at <call site>]", one log line each, counted per class and per
 * device; in abort mode abort() follows the report. A summary is printed
 * on demand and at machine destroy when errors happened.
 *
 * LOCKING: each hash bucket has a spinlock (an atomic flag) protecting its
 * chain, free list and count; each cacheline bucket has one protecting its
 * chain. Order: hash bucket, then cacheline bucket; the pool lock is taken
 * alone. Reports are logged with no table lock held (the log sink is a
 * user callback). report_lock (a mutex) protects the per-device counts and
 * serializes the summary. Entry fields are written under their bucket lock;
 * id and map_err are also touched by the dma_mapping_error() fast path and
 * so are atomics. slot_lock serializes additions to the slot registry
 * (a list read without it); slot states and fields are atomics, as above.
 * dk_dma_debug_enable()/_disable() and init/exit must not race with
 * DMA-mapping calls.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/device.h>
#include <linux/dma-debug.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include "hw/internal.h"
#include "kernel/internal.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define DBG_TLS __thread __attribute__((tls_model("initial-exec")))

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#else
#define cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

#define HASH_SIZE	16384	/* buckets, as Linux */
#define HASH_SHIFT	13	/* bus address bits below the bucket index */
#define CL_SIZE		4096	/* cacheline-tracking buckets */
#define CL_SHIFT	6	/* 64-byte cachelines */
#define CL_MAX_OVERLAP	7	/* Linux's ACTIVE_CACHELINE_MAX_OVERLAP */
#define DEF_ENTRIES	65536	/* Linux's PREALLOC_DMA_DEBUG_ENTRIES */
#define STEAL_BATCH	16
#define MAX_DEVS	64	/* devices in the summary */
#define MAX_LOGGED	10000	/* reports logged; counted beyond */

enum dbg_type {
	T_SINGLE,
	T_PAGE,
	T_SG,
	T_COHERENT,
	T_RESOURCE,
	T_NR
};

/* Linux's words; "scather-gather" [sic] is how Linux spells it. */
static const char *const type_name[T_NR] = {
	[T_SINGLE] = "single",
	[T_PAGE] = "page",
	[T_SG] = "scather-gather",
	[T_COHERENT] = "coherent",
	[T_RESOURCE] = "resource",
};

enum { MAP_ERR_NA, MAP_ERR_NOT_CHECKED, MAP_ERR_CHECKED };

static const char *dir_name(int dir)
{
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return "DMA_BIDIRECTIONAL";
	case DMA_TO_DEVICE:
		return "DMA_TO_DEVICE";
	case DMA_FROM_DEVICE:
		return "DMA_FROM_DEVICE";
	default:
		return "DMA_NONE";
	}
}

static const char *const class_name[DK_DMA_DEBUG_NR_CLASSES] = {
	[DK_DMA_DEBUG_FREE_INVALID] = "free_invalid",
	[DK_DMA_DEBUG_FREE_UNKNOWN] = "free_unknown",
	[DK_DMA_DEBUG_FREE_SIZE] = "free_size",
	[DK_DMA_DEBUG_FREE_TYPE] = "free_type",
	[DK_DMA_DEBUG_FREE_CPU_ADDR] = "free_cpu_addr",
	[DK_DMA_DEBUG_FREE_SG_COUNT] = "free_sg_count",
	[DK_DMA_DEBUG_FREE_DIR] = "free_dir",
	[DK_DMA_DEBUG_MAP_ERR_UNCHECKED] = "map_err_unchecked",
	[DK_DMA_DEBUG_SYNC_UNKNOWN] = "sync_unknown",
	[DK_DMA_DEBUG_SYNC_RANGE] = "sync_range",
	[DK_DMA_DEBUG_SYNC_DIR] = "sync_dir",
	[DK_DMA_DEBUG_SYNC_CPU_RO] = "sync_cpu_ro",
	[DK_DMA_DEBUG_SYNC_DEV_WO] = "sync_dev_wo",
	[DK_DMA_DEBUG_SYNC_SG_COUNT] = "sync_sg_count",
	[DK_DMA_DEBUG_MAP_STACK] = "map_stack",
	[DK_DMA_DEBUG_MAP_INVALID] = "map_invalid",
	[DK_DMA_DEBUG_MAP_NOT_PRESENT] = "map_not_present",
	[DK_DMA_DEBUG_IN_FLIGHT] = "in_flight",
	[DK_DMA_DEBUG_OVERLAP] = "overlap",
	[DK_DMA_DEBUG_OVERLAP_LIMIT] = "overlap_limit",
	[DK_DMA_DEBUG_LEAK] = "leak",
	[DK_DMA_DEBUG_SG_MAX_SEG] = "sg_max_seg",
	[DK_DMA_DEBUG_SG_BOUNDARY] = "sg_boundary",
};

/*
 * struct dbg_entry - one tracked mapping (fields under its bucket's lock,
 * except @id and @map_err: atomics)
 */
struct dbg_entry {
	struct dbg_entry *next;		/* bucket chain or free list */
	struct dbg_entry *cl_next;	/* cacheline chain */
	struct device *dev;
	u64 dma_addr;
	u64 size;
	u64 paddr;		/* CPU side; DK_PHYS_INVALID if none */
	void *cpu_addr;		/* coherent: what the allocation returned */
	const void *caller;	/* where it was mapped */
	u64 id;			/* atomic; 0 while free */
	int sg_call_ents;
	int sg_mapped_ents;
	u8 type;
	u8 dir;
	u8 map_err;		/* atomic; MAP_ERR_* */
	u8 cl_tracked;		/* chained by cacheline */
	u8 leak_reported;
};

struct dbg_bucket {
	int lock;
	unsigned int count;	/* written under lock, read atomically */
	struct dbg_entry *head;
	struct dbg_entry *free;
} __attribute__((aligned(32)));

struct dbg_cl_bucket {
	int lock;
	struct dbg_entry *head;
};

struct dbg_state {
	struct dk_machine *m;
	const struct dk_ram *ram;	/* the machine's RAM regions */
	struct dbg_bucket *hash;
	struct dbg_cl_bucket *cl;
	struct dbg_entry *pool;
	unsigned int nr_pool;
	int pool_lock;
	unsigned int pool_next;		/* under pool_lock: bump index */
	struct dbg_entry *pool_free;	/* under pool_lock */
	u64 max_size;			/* atomic: largest mapping seen */
	int oom;			/* atomic: out of entries, disabled */
	int overlap_warned;		/* atomic: the limit WARN_ONCE */
	struct dbg_slot *slots;		/* atomic head; never shrinks */
	int slot_lock;			/* serializes additions */
	u64 serial;			/* tells this state from earlier ones */
};

/*
 * struct dbg_slot - one thread's latest streaming DMA_TO_DEVICE mapping,
 * kept out of the table (see "the thread's slot" in the file comment).
 * @state: 0 empty, else (generation << 1) | 1; atomic. The owner writes
 *         the fields only while it is 0, then publishes a new generation
 *         (release); it empties its own slot with a store, any other
 *         thread only with a compare-and-swap from the state it read.
 * @owned: a live thread owns it (atomic); a thread's exit gives it up,
 *         and a thread without a slot adopts an empty unowned one.
 * The entry fields are atomics (others read them optimistically and trust
 * them only if @state did not change meanwhile).
 */
struct dbg_slot {
	u64 state;
	int owned;
	u64 gen;			/* owner only */
	struct device *dev;
	u64 dma_addr;
	u64 size;
	u64 paddr;
	const void *caller;
	u64 id;
	u8 type;
	u8 dir;
	u8 map_err;
	u8 leak_reported;
	struct dbg_slot *next;		/* registry, set before publication */
};

static struct dbg_state *dbg;		/* atomic; init .. exit */
static int dbg_mode;			/* atomic; DK_DMA_DEBUG_* */
static unsigned long err_count[DK_DMA_DEBUG_NR_CLASSES];	/* atomic */
static unsigned long nr_logged;		/* atomic */
static u64 id_base_next = 1ull << 32;	/* atomic */
static u64 state_serial_next = 1;	/* atomic */

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	const struct device *dev;
	char name[48];
	unsigned long n[DK_DMA_DEBUG_NR_CLASSES];
} dev_errs[MAX_DEVS];			/* under report_lock */
static unsigned int nr_dev_errs;	/* under report_lock */

/* Per thread: ids, the last mapping, the stack's bounds. */
static DBG_TLS u64 tls_id_base, tls_id_next;
static DBG_TLS struct dbg_entry *tls_last_e;
static DBG_TLS u64 tls_last_id;
static DBG_TLS const struct device *tls_last_dev;
static DBG_TLS u64 tls_last_addr;
static DBG_TLS uintptr_t tls_stk_lo, tls_stk_hi;
static DBG_TLS bool tls_stk_known;
static DBG_TLS struct dbg_slot *tls_slot;
static DBG_TLS u64 tls_slot_serial;	/* the state tls_slot belongs to */

static const struct dk_dma_debug_ops dbg_ops;

/* ---- locks --------------------------------------------------------------- */

static inline void dbg_lock(int *l)
{
	unsigned int spins = 0;

	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(l, __ATOMIC_RELAXED)) {
			/* 2 cores: a preempted holder must get to run. */
			if (++spins > 64)
				sched_yield();
			else
				cpu_relax();
		}
	}
}

static inline void dbg_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* ---- reports ------------------------------------------------------------- */

static void caller_name(const void *pc, char *buf, size_t n)
{
	Dl_info info;

	if (!pc) {
		snprintf(buf, n, "?");
		return;
	}
	if (dladdr(pc, &info) && info.dli_sname)
		snprintf(buf, n, "%s+%#lx", info.dli_sname,
			 (unsigned long)((uintptr_t)pc -
					 (uintptr_t)info.dli_saddr));
	else
		snprintf(buf, n, "%p", pc);
}

static void count_dev(int cls, const struct device *dev)
{
	unsigned int i;

	pthread_mutex_lock(&report_lock);
	for (i = 0; i < nr_dev_errs; i++)
		if (dev_errs[i].dev == dev)
			break;
	if (i == nr_dev_errs && i < MAX_DEVS) {
		dev_errs[i].dev = dev;
		snprintf(dev_errs[i].name, sizeof(dev_errs[i].name), "%s",
			 dev ? dev_name(dev) : "NULL");
		nr_dev_errs++;
	}
	if (i < MAX_DEVS)
		dev_errs[i].n[cls]++;
	pthread_mutex_unlock(&report_lock);
}

/*
 * One report: count it, log it with the call site (and where the mapping
 * was made, if @e), abort in abort mode. No table lock may be held.
 */
static void __attribute__((format(printf, 5, 6)))
report(int cls, struct device *dev, const struct dbg_entry *e,
       const void *caller, const char *fmt, ...)
{
	char msg[512], at[128], mapped[160] = "";
	va_list ap;

	__atomic_add_fetch(&err_count[cls], 1, __ATOMIC_RELAXED);
	count_dev(cls, dev);
	if (__atomic_add_fetch(&nr_logged, 1, __ATOMIC_RELAXED) >
	    MAX_LOGGED) {
		if (__atomic_load_n(&dbg_mode, __ATOMIC_RELAXED) !=
		    DK_DMA_DEBUG_ABORT)
			return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	caller_name(caller, at, sizeof(at));
	if (e) {
		char c[128];

		caller_name(e->caller, c, sizeof(c));
		snprintf(mapped, sizeof(mapped), " [mapped at %s]", c);
	}
	dk_log(DK_LOG_ERR, "DMA-API: %s %s: %s [at %s]%s",
	       dev && dev->driver && dev->driver->name ? dev->driver->name :
							   "(unbound)",
	       dev ? dev_name(dev) : "NULL", msg, at, mapped);
	if (__atomic_load_n(&nr_logged, __ATOMIC_RELAXED) == MAX_LOGGED)
		dk_log(DK_LOG_ERR, "DMA-API: %d reports logged; further ones are only counted",
		       MAX_LOGGED);
	if (__atomic_load_n(&dbg_mode, __ATOMIC_RELAXED) ==
	    DK_DMA_DEBUG_ABORT) {
		dk_log(DK_LOG_ERR, "DMA-API: abort mode: aborting after the report above");
		abort();
	}
}

/* ---- the table ----------------------------------------------------------- */

static inline struct dbg_state *dbg_get(void)
{
	struct dbg_state *st = __atomic_load_n(&dbg, __ATOMIC_ACQUIRE);

	if (unlikely(!st || __atomic_load_n(&st->oom, __ATOMIC_RELAXED)))
		return NULL;
	return st;
}

static inline struct dbg_bucket *bucket_of(struct dbg_state *st, u64 addr)
{
	return &st->hash[(addr >> HASH_SHIFT) & (HASH_SIZE - 1)];
}

static inline struct dbg_cl_bucket *cl_of(struct dbg_state *st, u64 cln)
{
	return &st->cl[(cln ^ (cln >> 12)) & (CL_SIZE - 1)];
}

static inline u64 next_id(void)
{
	if (unlikely(!tls_id_base))
		tls_id_base = __atomic_fetch_add(&id_base_next, 1ull << 32,
						 __ATOMIC_RELAXED);
	return tls_id_base | (++tls_id_next & 0xffffffffull);
}

/* An entry from the pool, stealing from bucket free lists if need be. */
static struct dbg_entry *pool_get(struct dbg_state *st)
{
	struct dbg_entry *e = NULL;

	dbg_lock(&st->pool_lock);
	if (st->pool_free) {
		e = st->pool_free;
		st->pool_free = e->next;
	} else if (st->pool_next < st->nr_pool) {
		e = &st->pool[st->pool_next++];
	}
	dbg_unlock(&st->pool_lock);
	if (e)
		return e;
	for (unsigned int i = 0; i < HASH_SIZE && !e; i++) {
		struct dbg_bucket *b = &st->hash[i];
		struct dbg_entry *got = NULL, *f;
		unsigned int n = 0;

		if (!__atomic_load_n(&b->free, __ATOMIC_RELAXED))
			continue;
		dbg_lock(&b->lock);
		while ((f = b->free) && n++ < STEAL_BATCH) {
			b->free = f->next;
			f->next = got;
			got = f;
		}
		dbg_unlock(&b->lock);
		if (!got)
			continue;
		e = got;
		got = got->next;
		dbg_lock(&st->pool_lock);
		while (got) {
			f = got->next;
			got->next = st->pool_free;
			st->pool_free = got;
			got = f;
		}
		dbg_unlock(&st->pool_lock);
	}
	return e;
}

static void out_of_entries(struct dbg_state *st)
{
	if (__atomic_exchange_n(&st->oom, 1, __ATOMIC_RELAXED))
		return;
	dk_log(DK_LOG_ERR, "DMA-API: debugging out of memory - disabling (all %u entries in use; raise cfg.dma.debug_entries)",
	       st->nr_pool);
	dk__dma_debug_register(NULL);
	__atomic_store_n(&dbg_mode, DK_DMA_DEBUG_OFF, __ATOMIC_RELAXED);
}

/* Count the entries of @e's cacheline; caller holds @e's hash bucket. */
static unsigned int cl_insert(struct dbg_state *st, struct dbg_entry *e)
{
	u64 cln = e->paddr >> CL_SHIFT;
	struct dbg_cl_bucket *c = cl_of(st, cln);
	unsigned int n = 0;

	dbg_lock(&c->lock);
	for (struct dbg_entry *o = c->head; o; o = o->cl_next)
		if (o->paddr >> CL_SHIFT == cln)
			n++;
	e->cl_next = c->head;
	c->head = e;
	e->cl_tracked = 1;
	dbg_unlock(&c->lock);
	return n;
}

static void cl_remove(struct dbg_state *st, struct dbg_entry *e)
{
	struct dbg_cl_bucket *c = cl_of(st, e->paddr >> CL_SHIFT);

	dbg_lock(&c->lock);
	for (struct dbg_entry **pp = &c->head; *pp; pp = &(*pp)->cl_next) {
		if (*pp == e) {
			*pp = e->cl_next;
			break;
		}
	}
	dbg_unlock(&c->lock);
	e->cl_tracked = 0;
}

/*
 * Track @ref (dev, dma_addr, size, paddr, ... filled in). @track_cl: chain
 * it by cacheline. Returns the entry (for the per-thread fast path) or NULL.
 */
static struct dbg_entry *add_entry(struct dbg_state *st,
				   const struct dbg_entry *ref, bool track_cl,
				   unsigned long attrs)
{
	struct dbg_bucket *b = bucket_of(st, ref->dma_addr);
	struct dbg_entry *e;
	unsigned int overlap = 0;
	u64 id = next_id();

	dbg_lock(&b->lock);
	e = b->free;
	if (likely(e)) {
		b->free = e->next;
	} else {
		dbg_unlock(&b->lock);
		e = pool_get(st);
		if (!e) {
			out_of_entries(st);
			return NULL;
		}
		dbg_lock(&b->lock);
	}
	/* Field by field: cheaper than a struct copy on this hot path. */
	e->dev = ref->dev;
	e->dma_addr = ref->dma_addr;
	e->size = ref->size;
	e->paddr = ref->paddr;
	e->cpu_addr = ref->cpu_addr;
	e->caller = ref->caller;
	e->sg_call_ents = ref->sg_call_ents;
	e->sg_mapped_ents = ref->sg_mapped_ents;
	e->type = ref->type;
	e->dir = ref->dir;
	__atomic_store_n(&e->map_err, ref->map_err, __ATOMIC_RELAXED);
	e->cl_next = NULL;
	e->cl_tracked = 0;
	e->leak_reported = 0;
	__atomic_store_n(&e->id, id, __ATOMIC_RELAXED);
	e->next = b->head;
	b->head = e;
	__atomic_store_n(&b->count, b->count + 1, __ATOMIC_RELAXED);
	if (track_cl)
		overlap = cl_insert(st, e);
	dbg_unlock(&b->lock);

	if (unlikely(ref->size > __atomic_load_n(&st->max_size,
						 __ATOMIC_RELAXED))) {
		u64 old = __atomic_load_n(&st->max_size, __ATOMIC_RELAXED);

		while (old < ref->size &&
		       !__atomic_compare_exchange_n(&st->max_size, &old,
						    ref->size, true,
						    __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED))
			;
	}
	if (unlikely(overlap)) {
		if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
			report(DK_DMA_DEBUG_OVERLAP, ref->dev, ref, ref->caller,
			       "cacheline tracking EEXIST, overlapping mappings aren't supported [device address=0x%016llx] [size=%llu bytes] [cacheline=0x%llx] [mapped with %s] [%u already on it]",
			       (unsigned long long)ref->dma_addr,
			       (unsigned long long)ref->size,
			       (unsigned long long)(ref->paddr >> CL_SHIFT),
			       dir_name(ref->dir), overlap);
		if (overlap > CL_MAX_OVERLAP &&
		    !__atomic_exchange_n(&st->overlap_warned, 1,
					 __ATOMIC_RELAXED))
			report(DK_DMA_DEBUG_OVERLAP_LIMIT, ref->dev, ref,
			       ref->caller,
			       "exceeded %d overlapping mappings of cacheline 0x%llx",
			       CL_MAX_OVERLAP,
			       (unsigned long long)(ref->paddr >> CL_SHIFT));
	}
	return e;
}

/* ---- the thread's slot --------------------------------------------------- */

/*
 * Slot fields: acquire loads and release stores (plain moves on x86). A
 * store is ordered after the owner's emptying of the slot, a load before
 * the reader's re-read of the state: a copy mixing two generations fails
 * that re-read.
 */
#define SLOT_LD(f)	__atomic_load_n(&(f), __ATOMIC_ACQUIRE)
#define SLOT_ST(f, v)	__atomic_store_n(&(f), (v), __ATOMIC_RELEASE)

/*
 * Slots outlive their threads: at a thread's exit its slot is given up
 * (what it holds stays a mapping), and adopted again once empty, so the
 * registry grows with the threads mapping at once, not with all threads
 * ever. The thread-exit destructor finds its slot through a record that
 * names the state it belongs to; slot_owner_lock orders it against
 * state_free().
 */
struct slot_owner {
	u64 serial;
	struct dbg_slot *sl;
};

static pthread_key_t slot_key;
static pthread_once_t slot_key_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t slot_owner_lock = PTHREAD_MUTEX_INITIALIZER;

static void slot_owner_exit(void *p)
{
	struct slot_owner *o = p;
	struct dbg_state *st;

	pthread_mutex_lock(&slot_owner_lock);
	st = __atomic_load_n(&dbg, __ATOMIC_ACQUIRE);
	if (st && st->serial == o->serial)
		__atomic_store_n(&o->sl->owned, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&slot_owner_lock);
	free(o);
}

static void slot_key_init(void)
{
	if (pthread_key_create(&slot_key, slot_owner_exit))
		slot_key = (pthread_key_t)-1;
}

/* The calling thread's slot in @st, taken on first use; NULL if none. */
static struct dbg_slot *slot_mine(struct dbg_state *st)
{
	struct slot_owner *o;
	struct dbg_slot *sl;

	if (likely(tls_slot && tls_slot_serial == st->serial))
		return tls_slot;
	pthread_once(&slot_key_once, slot_key_init);
	if (slot_key == (pthread_key_t)-1)
		return NULL;
	o = pthread_getspecific(slot_key);
	if (!o) {
		o = malloc(sizeof(*o));
		if (!o)
			return NULL;
	}
	dbg_lock(&st->slot_lock);
	for (sl = st->slots; sl; sl = sl->next) {
		int free_slot = 0;

		if (!__atomic_load_n(&sl->state, __ATOMIC_ACQUIRE) &&
		    __atomic_compare_exchange_n(&sl->owned, &free_slot, 1,
						false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			break;
	}
	if (!sl) {
		sl = calloc(1, sizeof(*sl));
		if (sl) {
			sl->owned = 1;
			sl->next = st->slots;
			__atomic_store_n(&st->slots, sl, __ATOMIC_RELEASE);
		}
	}
	dbg_unlock(&st->slot_lock);
	if (!sl) {
		if (!pthread_getspecific(slot_key))
			free(o);
		return NULL;
	}
	o->serial = st->serial;
	o->sl = sl;
	pthread_setspecific(slot_key, o);
	tls_slot = sl;
	tls_slot_serial = st->serial;
	return sl;
}

/*
 * A consistent copy of @sl's entry, if it holds one: *@state is the state
 * it was read under. Any thread.
 */
static bool slot_read(struct dbg_slot *sl, struct dbg_entry *out,
		      u64 *state)
{
	u64 s1 = __atomic_load_n(&sl->state, __ATOMIC_ACQUIRE);

	if (!s1)
		return false;
	memset(out, 0, sizeof(*out));
	out->dev = SLOT_LD(sl->dev);
	out->dma_addr = SLOT_LD(sl->dma_addr);
	out->size = SLOT_LD(sl->size);
	out->paddr = SLOT_LD(sl->paddr);
	out->caller = SLOT_LD(sl->caller);
	out->id = SLOT_LD(sl->id);
	out->type = SLOT_LD(sl->type);
	out->dir = SLOT_LD(sl->dir);
	out->map_err = SLOT_LD(sl->map_err);
	out->leak_reported = SLOT_LD(sl->leak_reported);
	if (__atomic_load_n(&sl->state, __ATOMIC_RELAXED) != s1)
		return false;
	*state = s1;
	return true;
}

static inline struct dbg_slot *slots_first(struct dbg_state *st)
{
	return __atomic_load_n(&st->slots, __ATOMIC_ACQUIRE);
}

/*
 * Take @dev's mapping at @addr out of whichever thread's slot holds it
 * (an unmap by another thread, or a retried one); its copy in *@out.
 */
static bool slot_steal(struct dbg_state *st, struct device *dev, u64 addr,
		       struct dbg_entry *out)
{
	for (struct dbg_slot *sl = slots_first(st); sl; sl = sl->next) {
		u64 s;

		if (!slot_read(sl, out, &s) || out->dev != dev ||
		    out->dma_addr != addr)
			continue;
		if (__atomic_compare_exchange_n(&sl->state, &s, 0, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return true;
	}
	return false;
}

/* A copy of the slot entry of @dev containing @addr; false if none. */
static bool slot_containing(struct dbg_state *st, struct device *dev,
			    u64 addr, struct dbg_entry *out)
{
	for (struct dbg_slot *sl = slots_first(st); sl; sl = sl->next) {
		u64 s;

		if (slot_read(sl, out, &s) && out->dev == dev &&
		    addr >= out->dma_addr && addr - out->dma_addr < out->size)
			return true;
	}
	return false;
}

/* dma_mapping_error() on a mapping in some thread's slot. */
static bool slot_mark_checked(struct dbg_state *st, struct device *dev,
			      u64 addr)
{
	for (struct dbg_slot *sl = slots_first(st); sl; sl = sl->next) {
		struct dbg_entry e;
		u64 s;

		if (slot_read(sl, &e, &s) && e.dev == dev &&
		    e.dma_addr == addr) {
			SLOT_ST(sl->map_err, MAP_ERR_CHECKED);
			return true;
		}
	}
	return false;
}

/* How well @e matches @ref (same device and address): 0..4. */
static int match_level(const struct dbg_entry *e, const struct dbg_entry *ref)
{
	int lvl = 0;

	lvl += e->size == ref->size;
	lvl += e->type == ref->type;
	lvl += e->dir == ref->dir;
	lvl += !ref->sg_call_ents || e->sg_call_ents == ref->sg_call_ents;
	return lvl;
}

/* Best match for @ref in its (locked) bucket; *pprev: link to it. */
static struct dbg_entry *find_exact(struct dbg_bucket *b,
				    const struct dbg_entry *ref,
				    struct dbg_entry ***pprev)
{
	struct dbg_entry *best = NULL, **best_pp = NULL;
	int best_lvl = -1;

	for (struct dbg_entry **pp = &b->head; *pp; pp = &(*pp)->next) {
		struct dbg_entry *e = *pp;
		int lvl;

		if (e->dev != ref->dev || e->dma_addr != ref->dma_addr)
			continue;
		lvl = match_level(e, ref);
		if (lvl > best_lvl) {
			best = e;
			best_pp = pp;
			best_lvl = lvl;
			if (lvl == 4)
				break;
		}
	}
	if (pprev)
		*pprev = best_pp;
	return best;
}

static void check_in_flight(struct dbg_state *st, const struct dbg_entry *e,
			    const void *caller, const char *what)
{
	if (!e->dev->requester_id ||
	    !dk__dma_monitor_busy(st->m, e->dev->requester_id, e->dma_addr,
				  e->size))
		return;
	report(DK_DMA_DEBUG_IN_FLIGHT, e->dev, e, caller,
	       "device driver %s DMA memory while the device is transferring to or from it [device address=0x%016llx] [size=%llu bytes] [mapped as %s] [mapped with %s]",
	       what, (unsigned long long)e->dma_addr,
	       (unsigned long long)e->size, type_name[e->type],
	       dir_name(e->dir));
}

/*
 * An unmap or free of @ref. @first_of_call: report an sg count mismatch
 * (a property of the whole call) only once. Returns false if no mapping
 * matched.
 */
static bool check_unmap(struct dbg_state *st, const struct dbg_entry *ref,
			const void *caller, bool first_of_call)
{
	struct dbg_bucket *b;
	struct dbg_entry *e, **pp, snap;
	struct device *dev = ref->dev;
	const void *mapped_at;
	bool clean;
	u64 size;
	u8 map_err;

	if (unlikely(ref->dma_addr == DMA_MAPPING_ERROR)) {
		report(DK_DMA_DEBUG_FREE_INVALID, dev, NULL, caller,
		       "device driver tries to free an invalid DMA memory address");
		return false;
	}
	b = bucket_of(st, ref->dma_addr);
	dbg_lock(&b->lock);
	e = find_exact(b, ref, &pp);
	if (unlikely(!e)) {
		dbg_unlock(&b->lock);
		/* Not in the table: in some thread's slot? */
		if (slot_steal(st, dev, ref->dma_addr, &snap)) {
			clean = false;
			goto checks;
		}
		report(DK_DMA_DEBUG_FREE_UNKNOWN, dev, NULL, caller,
		       "device driver tries to free DMA memory it has not allocated [device address=0x%016llx] [size=%llu bytes]",
		       (unsigned long long)ref->dma_addr,
		       (unsigned long long)ref->size);
		return false;
	}
	*pp = e->next;
	__atomic_store_n(&b->count, b->count - 1, __ATOMIC_RELAXED);
	if (e->cl_tracked)
		cl_remove(st, e);
	map_err = __atomic_load_n(&e->map_err, __ATOMIC_RELAXED);
	clean = e->size == ref->size && e->type == ref->type &&
		e->dir == ref->dir && map_err != MAP_ERR_NOT_CHECKED &&
		(e->type != T_COHERENT || e->cpu_addr == ref->cpu_addr) &&
		(e->type != T_SG || !ref->sg_call_ents ||
		 e->sg_call_ents == ref->sg_call_ents);
	if (!clean) {
		snap = *e;
		snap.map_err = map_err;
	}
	size = e->size;
	mapped_at = e->caller;
	__atomic_store_n(&e->id, 0, __ATOMIC_RELAXED);
	e->next = b->free;
	b->free = e;
	dbg_unlock(&b->lock);

	if (likely(clean)) {
		/* The common case: what was mapped is what is unmapped. */
		struct dbg_entry probe;

		probe.dev = dev;
		probe.dma_addr = ref->dma_addr;
		probe.size = size;
		probe.type = ref->type;
		probe.dir = ref->dir;
		probe.caller = mapped_at;
		check_in_flight(st, &probe, caller,
				ref->type == T_COHERENT ? "frees" : "unmaps");
		return true;
	}
checks:
	check_in_flight(st, &snap, caller,
			ref->type == T_COHERENT ? "frees" : "unmaps");
	if (unlikely(ref->size != snap.size))
		report(DK_DMA_DEBUG_FREE_SIZE, dev, &snap, caller,
		       "device driver frees DMA memory with different size [device address=0x%016llx] [map size=%llu bytes] [unmap size=%llu bytes]",
		       (unsigned long long)ref->dma_addr,
		       (unsigned long long)snap.size,
		       (unsigned long long)ref->size);
	if (unlikely(ref->type != snap.type))
		report(DK_DMA_DEBUG_FREE_TYPE, dev, &snap, caller,
		       "device driver frees DMA memory with wrong function [device address=0x%016llx] [size=%llu bytes] [mapped as %s] [unmapped as %s]",
		       (unsigned long long)ref->dma_addr,
		       (unsigned long long)ref->size, type_name[snap.type],
		       type_name[ref->type]);
	else if (unlikely(snap.type == T_COHERENT &&
			  ref->cpu_addr != snap.cpu_addr))
		report(DK_DMA_DEBUG_FREE_CPU_ADDR, dev, &snap, caller,
		       "device driver frees DMA memory with different CPU address [device address=0x%016llx] [size=%llu bytes] [cpu alloc address=%p] [cpu free address=%p]",
		       (unsigned long long)ref->dma_addr,
		       (unsigned long long)ref->size, snap.cpu_addr,
		       ref->cpu_addr);
	if (unlikely(first_of_call && ref->type == T_SG &&
		     ref->sg_call_ents &&
		     ref->sg_call_ents != snap.sg_call_ents))
		report(DK_DMA_DEBUG_FREE_SG_COUNT, dev, &snap, caller,
		       "device driver frees DMA sg list with different entry count [map count=%d] [unmap count=%d]",
		       snap.sg_call_ents, ref->sg_call_ents);
	if (unlikely(ref->dir != snap.dir))
		report(DK_DMA_DEBUG_FREE_DIR, dev, &snap, caller,
		       "device driver frees DMA memory with different direction [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [unmapped with %s]",
		       (unsigned long long)ref->dma_addr,
		       (unsigned long long)ref->size, dir_name(snap.dir),
		       dir_name(ref->dir));
	if (unlikely(snap.map_err == MAP_ERR_NOT_CHECKED))
		report(DK_DMA_DEBUG_MAP_ERR_UNCHECKED, dev, &snap, caller,
		       "device driver failed to check map error [device address=0x%016llx] [size=%llu bytes] [mapped as %s]",
		       (unsigned long long)ref->dma_addr,
		       (unsigned long long)ref->size, type_name[snap.type]);
	return true;
}

/* The entry of @dev containing @addr, copied to @out; false if none. */
static bool find_containing(struct dbg_state *st, struct device *dev,
			    u64 addr, struct dbg_entry *out)
{
	u64 max = __atomic_load_n(&st->max_size, __ATOMIC_RELAXED);
	u64 steps = (max >> HASH_SHIFT) + 1;
	u64 key = addr;

	if (steps > HASH_SIZE)
		steps = HASH_SIZE;
	for (u64 i = 0; i <= steps; i++, key -= 1ull << HASH_SHIFT) {
		struct dbg_bucket *b = bucket_of(st, key);
		bool found = false;

		if (!__atomic_load_n(&b->count, __ATOMIC_RELAXED))
			continue;
		dbg_lock(&b->lock);
		for (struct dbg_entry *e = b->head; e; e = e->next) {
			if (e->dev == dev && addr >= e->dma_addr &&
			    addr - e->dma_addr < e->size) {
				*out = *e;
				found = true;
				break;
			}
		}
		dbg_unlock(&b->lock);
		if (found)
			return true;
		if (key < (1ull << HASH_SHIFT))
			break;
	}
	return slot_containing(st, dev, addr, out);
}

static bool check_sync(struct dbg_state *st, const struct dbg_entry *ref,
		       bool to_cpu, const void *caller, bool first_of_call)
{
	struct device *dev = ref->dev;
	struct dbg_entry e;
	u64 end;

	if (!find_containing(st, dev, ref->dma_addr, &e)) {
		report(DK_DMA_DEBUG_SYNC_UNKNOWN, dev, NULL, caller,
		       "device driver tries to sync DMA memory it has not allocated [device address=0x%016llx] [size=%llu bytes]",
		       (unsigned long long)ref->dma_addr,
		       (unsigned long long)ref->size);
		return false;
	}
	end = ref->dma_addr - e.dma_addr + ref->size;
	if (end > e.size)
		report(DK_DMA_DEBUG_SYNC_RANGE, dev, &e, caller,
		       "device driver syncs DMA memory outside allocated range [device address=0x%016llx] [allocation size=%llu bytes] [sync offset+size=%llu]",
		       (unsigned long long)e.dma_addr,
		       (unsigned long long)e.size, (unsigned long long)end);
	if (first_of_call && ref->type == T_SG && ref->sg_call_ents &&
	    e.type == T_SG && ref->sg_call_ents != e.sg_call_ents)
		report(DK_DMA_DEBUG_SYNC_SG_COUNT, dev, &e, caller,
		       "device driver syncs DMA sg list with different entry count [map count=%d] [sync count=%d]",
		       e.sg_call_ents, ref->sg_call_ents);
	if (e.dir == DMA_BIDIRECTIONAL)
		return true;
	if (ref->dir != e.dir)
		report(DK_DMA_DEBUG_SYNC_DIR, dev, &e, caller,
		       "device driver syncs DMA memory with different direction [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [synced with %s]",
		       (unsigned long long)ref->dma_addr,
		       (unsigned long long)e.size, dir_name(e.dir),
		       dir_name(ref->dir));
	if (to_cpu && e.dir != DMA_FROM_DEVICE && ref->dir != DMA_TO_DEVICE)
		report(DK_DMA_DEBUG_SYNC_CPU_RO, dev, &e, caller,
		       "device driver syncs device read-only DMA memory for cpu [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [synced with %s]",
		       (unsigned long long)ref->dma_addr,
		       (unsigned long long)e.size, dir_name(e.dir),
		       dir_name(ref->dir));
	if (!to_cpu && e.dir != DMA_TO_DEVICE && ref->dir != DMA_FROM_DEVICE)
		report(DK_DMA_DEBUG_SYNC_DEV_WO, dev, &e, caller,
		       "device driver syncs device write-only DMA memory to device [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [synced with %s]",
		       (unsigned long long)ref->dma_addr,
		       (unsigned long long)e.size, dir_name(e.dir),
		       dir_name(ref->dir));
	return true;
}

/* Segments dma_map_sg() returned for the list starting at @sg (0: unknown). */
static int sg_mapped_ents(struct dbg_state *st, struct device *dev,
			  struct scatterlist *sg)
{
	struct dbg_bucket *b = bucket_of(st, sg_dma_address(sg));
	int n = 0;

	dbg_lock(&b->lock);
	for (struct dbg_entry *e = b->head; e; e = e->next) {
		if (e->dev == dev && e->dma_addr == sg_dma_address(sg) &&
		    e->type == T_SG) {
			n = e->sg_mapped_ents;
			break;
		}
	}
	dbg_unlock(&b->lock);
	return n;
}

/* ---- memory that cannot be DMA-mapped ------------------------------------ */

static void stack_bounds(void)
{
	pthread_attr_t a;
	void *lo;
	size_t sz;

	tls_stk_known = true;
	if (pthread_getattr_np(pthread_self(), &a))
		return;
	if (!pthread_attr_getstack(&a, &lo, &sz)) {
		tls_stk_lo = (uintptr_t)lo;
		tls_stk_hi = (uintptr_t)lo + sz;
	}
	pthread_attr_destroy(&a);
}

static inline bool on_stack(const void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;

	if (unlikely(!tls_stk_known))
		stack_bounds();
	return a < tls_stk_hi && a + len > tls_stk_lo;
}

/* The RAM region holding host range [p, p + len), or NULL. */
static inline const struct dk_ram_region *
region_of_host(const struct dbg_state *st, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;

	for (unsigned int i = 0; i < st->ram->nr; i++) {
		const struct dk_ram_region *r = &st->ram->region[i];

		if (a - (uintptr_t)r->host < r->size)
			return len <= r->size - (a - (uintptr_t)r->host) ?
				       r : NULL;
	}
	return NULL;
}

static void check_present_slow(struct device *dev, phys_addr_t phys,
			       size_t size, const void *caller)
{
	phys_addr_t p = phys & PAGE_MASK;

	for (; p < phys + size; p += PAGE_SIZE) {
		struct page *pg = phys_to_page(p);

		if (pg && !dk_page_is_present(pg)) {
			report(DK_DMA_DEBUG_MAP_NOT_PRESENT, dev, NULL, caller,
			       "device driver maps memory from a page that is not present (swapped out: pin it first) [phys=0x%016llx] [page=0x%016llx] [len=%zu]",
			       (unsigned long long)phys,
			       (unsigned long long)p, size);
			return;
		}
	}
}

/* Cheap unless some frame of the region is not present. */
static inline void check_present(const struct dbg_state *st,
				 struct device *dev, phys_addr_t phys,
				 size_t size, const void *caller)
{
	for (unsigned int i = 0; i < st->ram->nr; i++) {
		const struct dk_ram_region *r = &st->ram->region[i];

		if (phys - r->base < r->size) {
			if (likely(!__atomic_load_n(&r->nr_not_present,
						    __ATOMIC_RELAXED)))
				return;
			break;
		}
	}
	check_present_slow(dev, phys, size, caller);
}

/*
 * Physical address of sg entry @s's data, or DK_PHYS_INVALID when it has no
 * page or a pointer that is not a struct page of RAM (page_to_phys() logs
 * that one).
 */
static inline phys_addr_t sg_entry_phys(struct scatterlist *s)
{
	struct page *pg = sg_page(s);
	phys_addr_t phys;

	if (!pg)
		return DK_PHYS_INVALID;
	phys = page_to_phys(pg);
	return phys == DK_PHYS_INVALID ? phys : phys + s->offset;
}

/*
 * Linux's check_for_stack()/check_for_illegal_area() on sg entry @idx,
 * whose data is at @phys (sg_entry_phys()). An entry set by sg_set_buf()
 * on memory outside simulated RAM has no page and keeps no CPU address,
 * so stack and malloc cannot be told apart: it is an invalid area. A
 * pointer that is not a struct page is taken, as Linux's VMAP_STACK check
 * does, as probably pointing at the data: on the stack, it is a stack
 * mapping. Returns whether it reported.
 */
static bool check_sg_entry(const struct dbg_state *st, struct device *dev,
			   struct scatterlist *s, int idx, phys_addr_t phys,
			   const void *caller)
{
	struct page *pg = sg_page(s);
	const struct dk_ram_region *r;
	const u8 *addr;

	if (phys != DK_PHYS_INVALID) {
		r = dk__ram_region(st->ram, phys);
		if (likely(r && s->length <= r->size - (phys - r->base)))
			return false;
		report(DK_DMA_DEBUG_MAP_INVALID, dev, NULL, caller,
		       "device driver maps memory from invalid area [sg entry=%d] [phys=0x%016llx] [len=%u] (runs beyond simulated RAM)",
		       idx, (unsigned long long)phys, s->length);
		return true;
	}
	if (!pg) {
		report(DK_DMA_DEBUG_MAP_INVALID, dev, NULL, caller,
		       "device driver maps memory from invalid area [sg entry=%d] [page=NULL] [offset=%u] [len=%u] (no struct page: set from memory outside simulated RAM, stack or malloc)",
		       idx, s->offset, s->length);
		return true;
	}
	addr = (const u8 *)pg + s->offset;
	if (on_stack(addr, s->length ? s->length : 1))
		report(DK_DMA_DEBUG_MAP_STACK, dev, NULL, caller,
		       "device driver maps memory from stack [probable addr=%p] [sg entry=%d] [len=%u] (a stack address where a struct page belongs)",
		       (const void *)addr, idx, s->length);
	else
		report(DK_DMA_DEBUG_MAP_INVALID, dev, NULL, caller,
		       "device driver maps memory from invalid area [sg entry=%d] [page=%p] [offset=%u] [len=%u] (not a struct page of simulated RAM)",
		       idx, (void *)pg, s->offset, s->length);
	return true;
}

/*
 * Linux's check_sg_segment() on mapped segment @idx: longer than
 * @max_seg, or crossing a @boundary (mask) line. One report per class.
 */
static inline void check_sg_segment(struct device *dev, struct scatterlist *s,
				    int idx, unsigned int max_seg,
				    u64 boundary, const void *caller)
{
	u64 start = sg_dma_address(s), len = sg_dma_len(s);

	if (unlikely(len > max_seg))
		report(DK_DMA_DEBUG_SG_MAX_SEG, dev, NULL, caller,
		       "mapping sg segment longer than device claims to support [len=%llu] [max=%u] [device address=0x%016llx] [segment=%d]",
		       (unsigned long long)len, max_seg,
		       (unsigned long long)start, idx);
	if (unlikely(len && ((start ^ (start + len - 1)) & ~boundary)))
		report(DK_DMA_DEBUG_SG_BOUNDARY, dev, NULL, caller,
		       "mapping sg segment across boundary [start=0x%016llx] [end=0x%016llx] [boundary=0x%016llx] [size=%llu bytes] [segment=%d]",
		       (unsigned long long)start,
		       (unsigned long long)(start + len - 1),
		       (unsigned long long)boundary,
		       (unsigned long long)len, idx);
}

/* ---- the hooks ----------------------------------------------------------- */

/* A reference entry for a lookup or an insert: the fields every hook sets. */
static inline void ref_init(struct dbg_entry *ref, struct device *dev,
			    dma_addr_t dma_addr, u64 size)
{
	memset(ref, 0, sizeof(*ref));
	ref->dev = dev;
	ref->dma_addr = dma_addr;
	ref->size = size;
}

/* dma_map_single() refused @addr: say why, as Linux's checks would. */
static void hook_map_single_bad(struct device *dev, const void *addr,
				size_t len, const void *caller)
{
	struct dbg_state *st = dbg_get();

	if (!st)
		return;
	if (unlikely(on_stack(addr, len))) {
		report(DK_DMA_DEBUG_MAP_STACK, dev, NULL, caller,
		       "device driver maps memory from stack [addr=%p] [len=%zu]",
		       addr, len);
		return;
	}
	if (unlikely(!len || !region_of_host(st, addr, len)))
		report(DK_DMA_DEBUG_MAP_INVALID, dev, NULL, caller,
		       "device driver maps memory from invalid area [addr=%p] [len=%zu] (not simulated RAM)",
		       addr, len);
}

static void hook_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			  int dir, dma_addr_t dma_addr, unsigned long attrs,
			  bool single, const void *caller)
{
	struct dbg_state *st = dbg_get();
	struct dbg_entry ref, *e;
	struct dbg_slot *sl;

	if (!st || dma_addr == DMA_MAPPING_ERROR)
		return;
	/*
	 * The thread's slot, when free, takes a mapping the device only
	 * reads (no cacheline tracking): no lock, no atomic RMW.
	 */
	if (dir == DMA_TO_DEVICE && (sl = slot_mine(st)) &&
	    !__atomic_load_n(&sl->state, __ATOMIC_RELAXED)) {
		check_present(st, dev, phys, size, caller);
		SLOT_ST(sl->dev, dev);
		SLOT_ST(sl->dma_addr, (u64)dma_addr);
		SLOT_ST(sl->size, (u64)size);
		SLOT_ST(sl->paddr, (u64)phys);
		SLOT_ST(sl->caller, caller);
		SLOT_ST(sl->id, next_id());
		SLOT_ST(sl->type, (u8)(single ? T_SINGLE : T_PAGE));
		SLOT_ST(sl->dir, (u8)dir);
		SLOT_ST(sl->map_err, (u8)MAP_ERR_NOT_CHECKED);
		SLOT_ST(sl->leak_reported, (u8)0);
		sl->gen++;
		/* Release: the fields before the state that publishes them. */
		__atomic_store_n(&sl->state, sl->gen << 1 | 1, __ATOMIC_RELEASE);
		return;
	}
	ref.dev = dev;
	ref.dma_addr = dma_addr;
	ref.size = size;
	ref.paddr = phys;
	ref.cpu_addr = NULL;
	ref.caller = caller;
	ref.sg_call_ents = ref.sg_mapped_ents = 0;
	ref.type = single ? T_SINGLE : T_PAGE;
	ref.dir = (u8)dir;
	ref.map_err = MAP_ERR_NOT_CHECKED;
	check_present(st, dev, ref.paddr, size, caller);
	e = add_entry(st, &ref, dir != DMA_TO_DEVICE, attrs);
	if (likely(e)) {
		tls_last_e = e;
		tls_last_id = __atomic_load_n(&e->id, __ATOMIC_RELAXED);
		tls_last_dev = dev;
		tls_last_addr = dma_addr;
	}
}

static void hook_mapping_error(struct device *dev, dma_addr_t dma_addr,
			       const void *caller)
{
	struct dbg_state *st = dbg_get();
	struct dbg_bucket *b;
	bool found = false;

	(void)caller;
	if (!st)
		return;
	/* Fast paths: the mapping this thread just made. */
	if (likely(tls_slot && tls_slot_serial == st->serial &&
		   __atomic_load_n(&tls_slot->state, __ATOMIC_RELAXED) &&
		   SLOT_LD(tls_slot->dev) == dev &&
		   SLOT_LD(tls_slot->dma_addr) == dma_addr)) {
		SLOT_ST(tls_slot->map_err, (u8)MAP_ERR_CHECKED);
		return;
	}
	if (likely(tls_last_e && tls_last_dev == dev &&
		   tls_last_addr == dma_addr &&
		   __atomic_load_n(&tls_last_e->id, __ATOMIC_RELAXED) ==
			   tls_last_id)) {
		__atomic_store_n(&tls_last_e->map_err, MAP_ERR_CHECKED,
				 __ATOMIC_RELAXED);
		return;
	}
	if (dma_addr == DMA_MAPPING_ERROR)
		return;
	b = bucket_of(st, dma_addr);
	dbg_lock(&b->lock);
	for (struct dbg_entry *e = b->head; e; e = e->next) {
		if (e->dev == dev && e->dma_addr == dma_addr &&
		    __atomic_load_n(&e->map_err, __ATOMIC_RELAXED) ==
			    MAP_ERR_NOT_CHECKED) {
			__atomic_store_n(&e->map_err, MAP_ERR_CHECKED,
					 __ATOMIC_RELAXED);
			found = true;
			break;
		}
	}
	dbg_unlock(&b->lock);
	if (!found)
		slot_mark_checked(st, dev, dma_addr);
}

static void hook_unmap_page(struct device *dev, dma_addr_t addr, size_t size,
			    int dir, bool single, const void *caller)
{
	struct dbg_state *st = dbg_get();
	struct dbg_entry ref;

	if (!st)
		return;
	/*
	 * The mapping in this thread's slot, unmapped as it was mapped: done
	 * here, without a lock. (Emptied with a plain store: only a racing
	 * unmap of the same mapping by another thread, itself a bug, could
	 * take it too, and be left unreported.) Anything else goes the
	 * table's way, which also finds slot entries.
	 */
	if (likely(tls_slot && tls_slot_serial == st->serial)) {
		struct dbg_slot *sl = tls_slot;
		u64 state = __atomic_load_n(&sl->state, __ATOMIC_ACQUIRE);

		if (state && SLOT_LD(sl->dev) == dev &&
		    SLOT_LD(sl->dma_addr) == addr &&
		    SLOT_LD(sl->size) == size && SLOT_LD(sl->dir) == dir &&
		    SLOT_LD(sl->type) == (single ? T_SINGLE : T_PAGE) &&
		    SLOT_LD(sl->map_err) != MAP_ERR_NOT_CHECKED) {
			struct dbg_entry probe;

			__atomic_store_n(&sl->state, 0, __ATOMIC_RELEASE);
			probe.dev = dev;
			probe.dma_addr = addr;
			probe.size = size;
			probe.type = single ? T_SINGLE : T_PAGE;
			probe.dir = (u8)dir;
			probe.caller = SLOT_LD(sl->caller);
			check_in_flight(st, &probe, caller, "unmaps");
			return;
		}
	}
	/* The fields check_unmap() reads for this type, no more. */
	ref.dev = dev;
	ref.dma_addr = addr;
	ref.size = size;
	ref.cpu_addr = NULL;
	ref.sg_call_ents = 0;
	ref.type = single ? T_SINGLE : T_PAGE;
	ref.dir = (u8)dir;
	check_unmap(st, &ref, caller, true);
}

static void hook_map_sg(struct device *dev, struct scatterlist *sg, int nents,
			int mapped_ents, int dir, unsigned long attrs,
			const void *caller)
{
	struct dbg_state *st = dbg_get();
	struct scatterlist *s;
	unsigned int max_seg;
	u64 boundary;
	int i;

	if (!st || mapped_ents <= 0)
		return;
	for_each_sg(sg, s, nents, i) {
		phys_addr_t phys = sg_entry_phys(s);

		/* No physical address: a backend mapped it anyway. */
		if (unlikely(phys == DK_PHYS_INVALID)) {
			check_sg_entry(st, dev, s, i, phys, caller);
			continue;
		}
		check_present(st, dev, phys, s->length, caller);
	}
	max_seg = dma_get_max_seg_size(dev);
	boundary = dma_get_seg_boundary(dev);
	for_each_sg(sg, s, mapped_ents, i) {
		struct dbg_entry ref;

		check_sg_segment(dev, s, i, max_seg, boundary, caller);

		ref_init(&ref, dev, sg_dma_address(s), sg_dma_len(s));
		ref.paddr = page_to_phys(sg_page(s)) + s->offset;
		ref.caller = caller;
		ref.sg_call_ents = nents;
		ref.sg_mapped_ents = mapped_ents;
		ref.type = T_SG;
		ref.dir = (u8)dir;
		ref.map_err = MAP_ERR_NA;
		if (!add_entry(st, &ref, dir != DMA_TO_DEVICE, attrs))
			return;
	}
}

/*
 * The backend refused the list: report each entry that is not DMA-able
 * memory (Linux checks them in debug_dma_map_sg(), which our front end
 * calls only on success). @nents may overstate the list: stop at its end.
 */
static void hook_map_sg_bad(struct device *dev, struct scatterlist *sg,
			    int nents, const void *caller)
{
	struct dbg_state *st = dbg_get();
	struct scatterlist *s;
	int i;

	if (!st)
		return;
	for (i = 0, s = sg; i < nents && s; i++, s = sg_next(s))
		check_sg_entry(st, dev, s, i, sg_entry_phys(s), caller);
}

/*
 * Check each mapped segment of an sg list with @check (unmap or sync). An
 * unknown list is reported once, not per segment: after the first failure
 * on a list dma-debug does not know, the walk stops.
 */
static void sg_walk(struct device *dev, struct scatterlist *sg, int nelems,
		    int dir, bool (*check)(struct dbg_state *st,
					   const struct dbg_entry *ref,
					   bool to_cpu, const void *caller,
					   bool first_of_call),
		    bool to_cpu, const void *caller)
{
	struct dbg_state *st = dbg_get();
	struct scatterlist *s;
	int i, mapped;

	if (!st)
		return;
	mapped = sg_mapped_ents(st, dev, sg);
	for_each_sg(sg, s, nelems, i) {
		struct dbg_entry ref;

		if (mapped && i >= mapped)
			break;
		ref_init(&ref, dev, sg_dma_address(s), sg_dma_len(s));
		ref.sg_call_ents = nelems;
		ref.type = T_SG;
		ref.dir = (u8)dir;
		if (!check(st, &ref, to_cpu, caller, i == 0) && !mapped)
			break;
	}
}

static bool unmap_check(struct dbg_state *st, const struct dbg_entry *ref,
			bool to_cpu, const void *caller, bool first_of_call)
{
	(void)to_cpu;
	return check_unmap(st, ref, caller, first_of_call);
}

static void hook_unmap_sg(struct device *dev, struct scatterlist *sg,
			  int nelems, int dir, const void *caller)
{
	sg_walk(dev, sg, nelems, dir, unmap_check, false, caller);
}

static void hook_alloc_coherent(struct device *dev, size_t size,
				dma_addr_t dma_addr, void *virt,
				unsigned long attrs, const void *caller)
{
	struct dbg_state *st = dbg_get();
	struct dbg_entry ref;

	if (!st || !virt || dma_addr == DMA_MAPPING_ERROR)
		return;
	ref_init(&ref, dev, dma_addr, size);
	ref.paddr = virt_to_phys(virt);
	ref.cpu_addr = virt;
	ref.caller = caller;
	ref.type = T_COHERENT;
	ref.dir = DMA_BIDIRECTIONAL;
	ref.map_err = MAP_ERR_NA;
	add_entry(st, &ref, ref.paddr != DK_PHYS_INVALID, attrs);
}

static void hook_free_coherent(struct device *dev, size_t size, void *virt,
			       dma_addr_t addr, const void *caller)
{
	struct dbg_state *st = dbg_get();
	struct dbg_entry ref;

	if (!st)
		return;
	ref_init(&ref, dev, addr, size);
	ref.cpu_addr = virt;
	ref.type = T_COHERENT;
	ref.dir = DMA_BIDIRECTIONAL;
	check_unmap(st, &ref, caller, true);
}

static void hook_map_resource(struct device *dev, phys_addr_t addr,
			      size_t size, int dir, dma_addr_t dma_addr,
			      unsigned long attrs, const void *caller)
{
	struct dbg_state *st = dbg_get();
	struct dbg_entry ref, *e;

	if (!st || dma_addr == DMA_MAPPING_ERROR)
		return;
	ref_init(&ref, dev, dma_addr, size);
	ref.paddr = addr;
	ref.caller = caller;
	ref.type = T_RESOURCE;
	ref.dir = (u8)dir;
	ref.map_err = MAP_ERR_NOT_CHECKED;
	e = add_entry(st, &ref, dir != DMA_TO_DEVICE, attrs);
	if (e) {
		tls_last_e = e;
		tls_last_id = __atomic_load_n(&e->id, __ATOMIC_RELAXED);
		tls_last_dev = dev;
		tls_last_addr = dma_addr;
	}
}

static void hook_unmap_resource(struct device *dev, dma_addr_t dma_addr,
				size_t size, int dir, const void *caller)
{
	struct dbg_state *st = dbg_get();
	struct dbg_entry ref;

	if (!st)
		return;
	ref_init(&ref, dev, dma_addr, size);
	ref.type = T_RESOURCE;
	ref.dir = (u8)dir;
	check_unmap(st, &ref, caller, true);
}

static void sync_single(struct device *dev, dma_addr_t addr, size_t size,
			int dir, bool to_cpu, const void *caller)
{
	struct dbg_state *st = dbg_get();
	struct dbg_entry ref;

	if (!st)
		return;
	ref_init(&ref, dev, addr, size);
	ref.type = T_SINGLE;
	ref.dir = (u8)dir;
	check_sync(st, &ref, to_cpu, caller, true);
}

static void hook_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
				     size_t size, int dir, const void *caller)
{
	sync_single(dev, addr, size, dir, true, caller);
}

static void hook_sync_single_for_device(struct device *dev, dma_addr_t addr,
					size_t size, int dir,
					const void *caller)
{
	sync_single(dev, addr, size, dir, false, caller);
}

static void sync_sg(struct device *dev, struct scatterlist *sg, int nelems,
		    int dir, bool to_cpu, const void *caller)
{
	sg_walk(dev, sg, nelems, dir, check_sync, to_cpu, caller);
}

static void hook_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg,
				 int nelems, int dir, const void *caller)
{
	sync_sg(dev, sg, nelems, dir, true, caller);
}

static void hook_sync_sg_for_device(struct device *dev,
				    struct scatterlist *sg, int nelems,
				    int dir, const void *caller)
{
	sync_sg(dev, sg, nelems, dir, false, caller);
}

static const struct dk_dma_debug_ops dbg_ops = {
	.map_single_bad = hook_map_single_bad,
	.map_phys = hook_map_phys,
	.mapping_error = hook_mapping_error,
	.unmap_page = hook_unmap_page,
	.map_sg = hook_map_sg,
	.map_sg_bad = hook_map_sg_bad,
	.unmap_sg = hook_unmap_sg,
	.alloc_coherent = hook_alloc_coherent,
	.free_coherent = hook_free_coherent,
	.map_resource = hook_map_resource,
	.unmap_resource = hook_unmap_resource,
	.sync_single_for_cpu = hook_sync_single_for_cpu,
	.sync_single_for_device = hook_sync_single_for_device,
	.sync_sg_for_cpu = hook_sync_sg_for_cpu,
	.sync_sg_for_device = hook_sync_sg_for_device,
};

/* ---- leaks --------------------------------------------------------------- */

/*
 * Report @dev's entries not yet reported (all of them with @all), marking
 * them reported. Returns how many are pending (reported now or before).
 */
static unsigned int report_pending(struct dbg_state *st, struct device *dev,
				   const char *when)
{
	unsigned int per[T_NR] = { 0 }, fresh = 0, pending = 0;
	struct dbg_entry first;

	for (unsigned int i = 0; i < HASH_SIZE; i++) {
		struct dbg_bucket *b = &st->hash[i];

		if (!__atomic_load_n(&b->count, __ATOMIC_RELAXED))
			continue;
		dbg_lock(&b->lock);
		for (struct dbg_entry *e = b->head; e; e = e->next) {
			if (e->dev != dev)
				continue;
			pending++;
			if (e->leak_reported)
				continue;
			if (!fresh++)
				first = *e;
			per[e->type]++;
			e->leak_reported = 1;
		}
		dbg_unlock(&b->lock);
	}
	for (struct dbg_slot *sl = slots_first(st); sl; sl = sl->next) {
		struct dbg_entry e;
		u64 state;

		if (!slot_read(sl, &e, &state) || e.dev != dev)
			continue;
		pending++;
		if (e.leak_reported)
			continue;
		if (!fresh++)
			first = e;
		per[e.type]++;
		SLOT_ST(sl->leak_reported, (u8)1);
	}
	if (fresh)
		report(DK_DMA_DEBUG_LEAK, dev, &first, NULL,
		       "device driver has pending DMA allocations while released from device [count=%u] One of leaked entries details: [device address=0x%016llx] [size=%llu bytes] [mapped with %s] [mapped as %s] [single=%u page=%u sg=%u coherent=%u resource=%u] (%s)",
		       fresh, (unsigned long long)first.dma_addr,
		       (unsigned long long)first.size, dir_name(first.dir),
		       type_name[first.type], per[T_SINGLE], per[T_PAGE],
		       per[T_SG], per[T_COHERENT], per[T_RESOURCE], when);
	return pending;
}

unsigned int dk__dma_debug_nr_slots(void)
{
	struct dbg_state *st = dbg_get();
	unsigned int n = 0;

	for (struct dbg_slot *sl = st ? slots_first(st) : NULL; sl;
	     sl = sl->next)
		n++;
	return n;
}

void dk__dma_debug_device_released(struct device *dev)
{
	struct dbg_state *st = dbg_get();

	if (!st || !dev)
		return;
	report_pending(st, dev, "driver unbound");
}

/* ---- switches, counters, summary ----------------------------------------- */

static void state_free(struct dbg_state *st)
{
	struct dbg_slot *sl, *next;

	if (!st)
		return;
	/* No thread-exit destructor is inside a slot while they go. */
	pthread_mutex_lock(&slot_owner_lock);
	for (sl = st->slots; sl; sl = next) {
		next = sl->next;
		free(sl);
	}
	pthread_mutex_unlock(&slot_owner_lock);
	free(st->pool);
	free(st->cl);
	free(st->hash);
	free(st);
}

static struct dbg_state *state_new(struct dk_machine *m)
{
	struct dbg_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->m = m;
	st->ram = m->ram;
	st->serial = __atomic_fetch_add(&state_serial_next, 1,
					__ATOMIC_RELAXED);
	st->nr_pool = m->cfg.dma.debug_entries ? m->cfg.dma.debug_entries :
						DEF_ENTRIES;
	/* calloc: untouched entries and buckets stay uncommitted. */
	st->hash = calloc(HASH_SIZE, sizeof(*st->hash));
	st->cl = calloc(CL_SIZE, sizeof(*st->cl));
	st->pool = calloc(st->nr_pool, sizeof(*st->pool));
	if (!st->hash || !st->cl || !st->pool) {
		state_free(st);
		return NULL;
	}
	return st;
}

static void counters_reset(void)
{
	for (int i = 0; i < DK_DMA_DEBUG_NR_CLASSES; i++)
		__atomic_store_n(&err_count[i], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&nr_logged, 0, __ATOMIC_RELAXED);
	pthread_mutex_lock(&report_lock);
	memset(dev_errs, 0, sizeof(dev_errs));
	nr_dev_errs = 0;
	pthread_mutex_unlock(&report_lock);
}

int dk_dma_debug_enable(int mode)
{
	struct dk_machine *m = __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);
	struct dbg_state *st, *old;

	if (mode != DK_DMA_DEBUG_WARN && mode != DK_DMA_DEBUG_ABORT) {
		dk__err("dk_dma_debug_enable: mode %d is neither DK_DMA_DEBUG_WARN (%d) nor DK_DMA_DEBUG_ABORT (%d)",
			mode, DK_DMA_DEBUG_WARN, DK_DMA_DEBUG_ABORT);
		return -EINVAL;
	}
	if (!m) {
		dk__err("dk_dma_debug_enable: no machine");
		return -ENODEV;
	}
	old = __atomic_load_n(&dbg, __ATOMIC_ACQUIRE);
	if (old && __atomic_load_n(&dbg_mode, __ATOMIC_RELAXED) !=
			   DK_DMA_DEBUG_OFF) {
		__atomic_store_n(&dbg_mode, mode, __ATOMIC_RELAXED);
		return 0;
	}
	/* Off (or self-disabled): start afresh. */
	st = state_new(m);
	if (!st)
		return -ENOMEM;
	counters_reset();
	__atomic_store_n(&dbg_mode, mode, __ATOMIC_RELAXED);
	__atomic_store_n(&dbg, st, __ATOMIC_RELEASE);
	dk__dma_debug_register(&dbg_ops);
	/* No DMA-mapping call runs concurrently (see the kernel-doc). */
	state_free(old);
	return 0;
}

void dk_dma_debug_disable(void)
{
	dk__dma_debug_register(NULL);
	__atomic_store_n(&dbg_mode, DK_DMA_DEBUG_OFF, __ATOMIC_RELAXED);
}

int dk_dma_debug_mode(void)
{
	return __atomic_load_n(&dbg_mode, __ATOMIC_RELAXED);
}

unsigned long dk_dma_debug_errors(int cls)
{
	unsigned long n = 0;

	if (cls == -1) {
		for (int i = 0; i < DK_DMA_DEBUG_NR_CLASSES; i++)
			n += __atomic_load_n(&err_count[i], __ATOMIC_RELAXED);
		return n;
	}
	if (cls < 0 || cls >= DK_DMA_DEBUG_NR_CLASSES)
		return 0;
	return __atomic_load_n(&err_count[cls], __ATOMIC_RELAXED);
}

const char *dk_dma_debug_class_name(int cls)
{
	if (cls < 0 || cls >= DK_DMA_DEBUG_NR_CLASSES)
		return "?";
	return class_name[cls];
}

unsigned long dk_dma_debug_entries(void)
{
	struct dbg_state *st = dbg_get();
	unsigned long n = 0;

	if (!st || !__atomic_load_n(&dbg_mode, __ATOMIC_RELAXED))
		return 0;
	for (unsigned int i = 0; i < HASH_SIZE; i++)
		n += __atomic_load_n(&st->hash[i].count, __ATOMIC_RELAXED);
	for (struct dbg_slot *sl = slots_first(st); sl; sl = sl->next)
		n += !!__atomic_load_n(&sl->state, __ATOMIC_RELAXED);
	return n;
}

/* Print the summary to @f, or through the log when @f is NULL. */
static void summary(FILE *f)
{
	char line[512];
	int len;

#define OUT(...)                                                             \
	do {                                                                 \
		if (f)                                                       \
			fprintf(f, __VA_ARGS__);                             \
		else                                                         \
			dk_log(DK_LOG_WARN, __VA_ARGS__);                    \
	} while (0)

	pthread_mutex_lock(&report_lock);
	OUT("dma-debug summary: %lu error%s, mode %s%s", dk_dma_debug_errors(-1),
	    dk_dma_debug_errors(-1) == 1 ? "" : "s",
	    dk_dma_debug_mode() == DK_DMA_DEBUG_ABORT ? "abort" :
	    dk_dma_debug_mode() == DK_DMA_DEBUG_WARN ? "warn" : "off",
	    f ? "\n" : "");
	len = 0;
	for (int i = 0; i < DK_DMA_DEBUG_NR_CLASSES; i++) {
		unsigned long n = dk_dma_debug_errors(i);

		if (n && len < (int)sizeof(line))
			len += snprintf(line + len, sizeof(line) - (size_t)len,
					" %s=%lu", class_name[i], n);
	}
	if (len)
		OUT("dma-debug summary: per class:%s%s", line, f ? "\n" : "");
	for (unsigned int d = 0; d < nr_dev_errs; d++) {
		len = 0;
		for (int i = 0; i < DK_DMA_DEBUG_NR_CLASSES; i++) {
			if (dev_errs[d].n[i] && len < (int)sizeof(line))
				len += snprintf(line + len,
						sizeof(line) - (size_t)len,
						" %s=%lu", class_name[i],
						dev_errs[d].n[i]);
		}
		OUT("dma-debug summary: device %s:%s%s", dev_errs[d].name,
		    line, f ? "\n" : "");
	}
	pthread_mutex_unlock(&report_lock);
#undef OUT
}

void dk_dma_debug_summary(FILE *f)
{
	if (!f) {
		dk__err("dk_dma_debug_summary: stream is NULL");
		return;
	}
	summary(f);
}

/* ---- machine hooks ------------------------------------------------------- */

int dk__dma_debug_init(struct dk_machine *m)
{
	const char *env = getenv("DK_DMA_DEBUG");
	int mode = DK_DMA_DEBUG_OFF;

	/* The config decides when it asks for dma-debug; else the env. */
	if (m->cfg.dma.debug)
		mode = m->cfg.dma.debug_mode == DK_DMA_DEBUG_ABORT ?
			       DK_DMA_DEBUG_ABORT : DK_DMA_DEBUG_WARN;
	else if (env && (!strcmp(env, "1") || !strcmp(env, "warn")))
		mode = DK_DMA_DEBUG_WARN;
	else if (env && !strcmp(env, "abort"))
		mode = DK_DMA_DEBUG_ABORT;
	if (m->cfg.dma.debug_mode != DK_DMA_DEBUG_OFF &&
	    m->cfg.dma.debug_mode != DK_DMA_DEBUG_WARN &&
	    m->cfg.dma.debug_mode != DK_DMA_DEBUG_ABORT) {
		dk__err("dma-debug: cfg.dma.debug_mode %d is not a DK_DMA_DEBUG_* mode",
			m->cfg.dma.debug_mode);
		return -EINVAL;
	}
	counters_reset();
	if (mode == DK_DMA_DEBUG_OFF)
		return 0;
	return dk_dma_debug_enable(mode);
}

int dk__dma_debug_exit(struct dk_machine *m)
{
	struct dbg_state *st = __atomic_load_n(&dbg, __ATOMIC_ACQUIRE);

	(void)m;
	dk__dma_debug_register(NULL);
	if (!st)
		return 0;
	if (!__atomic_load_n(&st->oom, __ATOMIC_RELAXED) &&
	    __atomic_load_n(&dbg_mode, __ATOMIC_RELAXED) != DK_DMA_DEBUG_OFF) {
		/* One report per device with mappings not reported yet. */
		for (;;) {
			struct device *dev = NULL;

			for (unsigned int i = 0; i < HASH_SIZE && !dev; i++)
				for (struct dbg_entry *e = st->hash[i].head;
				     e; e = e->next)
					if (!e->leak_reported) {
						dev = e->dev;
						break;
					}
			for (struct dbg_slot *sl = st->slots; sl && !dev;
			     sl = sl->next) {
				struct dbg_entry e;
				u64 state;

				if (slot_read(sl, &e, &state) &&
				    !e.leak_reported)
					dev = e.dev;
			}
			if (!dev)
				break;
			report_pending(st, dev, "platform destroyed");
		}
	}
	if (dk_dma_debug_errors(-1))
		summary(NULL);
	__atomic_store_n(&dbg, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&dbg_mode, DK_DMA_DEBUG_OFF, __ATOMIC_RELAXED);
	state_free(st);
	/*
	 * Not added to dk_machine_destroy()'s count: what a leaked mapping
	 * holds (bounce slots, IOVAs, pages) is counted by its owner; the
	 * reports are in dk_dma_debug_errors(DK_DMA_DEBUG_LEAK).
	 */
	return 0;
}
