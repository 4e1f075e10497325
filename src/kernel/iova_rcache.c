// SPDX-License-Identifier: MIT
/*
 * iova_rcache.c - the IOVA range caches: alloc_iova_fast(),
 * free_iova_fast() and iova_domain_init_rcaches(), after Bonwick & Adams'
 * magazines as Linux has them, but per thread instead of per CPU.
 *
 * Each thread that uses a domain's fast path gets a struct iova_tcache
 * (found through an initial-exec TLS one-entry cache keyed by the domain's
 * unique rc_id): for each size class (1..32 granules, orders 0..5) a
 * "loaded" and a "prev" magazine of up to 127 page frames. Behind them a
 * depot per class keeps up to 32 full magazines and a pool of empty ones
 * (no allocation churn when magazines change hands). Cached ranges stay
 * allocated in the tree, as in Linux; flushing a magazine frees them there.
 *
 * Every thread cache is registered with its domain and with its thread.
 * It is returned to the depot / tree when its thread exits (pthread key
 * destructor), freed by put_iova_domain(), and drained - every thread's,
 * plus the depot - before alloc_iova_fast(..., true) reports exhaustion:
 * no range is stranded in an idle thread's cache.
 *
 * A byte map (one byte per page frame, in 256 Ki-frame leaves found by a
 * small open-addressed table) records for each range start handed out by
 * the fast path whether it is live or cached and its size order, so a
 * double free or a free with the wrong size class is caught with one
 * lookup instead of a tree walk under the lock.
 *
 * LOCKING: iova_reg_lock (a mutex) protects the registry: every domain's
 * thread-cache list, every thread's list, and tcache creation/retirement.
 * Each tcache has its own small spin lock (taken by its owner on every
 * fast operation, by flushers rarely); each depot has one. Lock order:
 * registry, tcache, depot, tree (iova_rbtree_lock). Byte-map slots are
 * created under the tree lock and published with release stores; state
 * bytes are relaxed atomics written by the range's current owner.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <linux/compiler.h>
#include <linux/iova.h>
#include <linux/printk.h>
#include "kernel/iova_internal.h"

#define DK_TLS __thread __attribute__((tls_model("initial-exec")))

#define IOVA_MAG_SIZE		127
#define IOVA_MAX_GLOBAL_MAGS	32
#define IOVA_MAX_EMPTY_MAGS	32
#define IOVA_NR_CLASSES		IOVA_RANGE_CACHE_MAX_SIZE
#define IOVA_BM_SHIFT		18	/* 2^18 frames per leaf */
#define IOVA_BM_SLOTS		1024	/* at most, per domain */

struct iova_magazine {
	unsigned long size;
	unsigned long pfns[IOVA_MAG_SIZE];
};

/* A test-and-set lock that yields the CPU when it has spun long enough. */
struct iova_lk {
	int v;
};

struct iova_tcache {
	struct iova_lk lock;	/* protects loaded[] and prev[] */
	struct iova_magazine *loaded[IOVA_NR_CLASSES];
	struct iova_magazine *prev[IOVA_NR_CLASSES];
	/* The owner's memo of its last byte-map leaf (owner only). */
	unsigned long bm_key;
	uint8_t *bm_leaf;
	/* The rest: registry lock. */
	struct iova_domain *iovad;
	uint64_t id;
	struct iova_tcache *dom_next, **dom_pprev;
	struct iova_tcache *thr_next, **thr_pprev;
};

struct iova_depot {
	struct iova_lk lock;	/* protects everything below */
	unsigned int nr_full, nr_empty;
	struct iova_magazine *full[IOVA_MAX_GLOBAL_MAGS];
	struct iova_magazine *empty[IOVA_MAX_EMPTY_MAGS];
};

struct iova_rcache {
	struct iova_depot depot[IOVA_NR_CLASSES];
	struct iova_tcache *threads;		/* registry lock */
	unsigned long bm_key[IOVA_BM_SLOTS];	/* leaf no. + 1; 0 free */
	uint8_t *bm_leaf[IOVA_BM_SLOTS];
};

static pthread_mutex_t iova_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t iova_next_id;			/* atomic */
static pthread_key_t iova_key;
static pthread_once_t iova_key_once = PTHREAD_ONCE_INIT;
static int iova_key_err;

static DK_TLS struct iova_tcache *iova_thr_head;	/* registry lock */
static DK_TLS bool iova_keyed;			/* registry lock */
static DK_TLS uint64_t iova_last_id;			/* this thread */
static DK_TLS struct iova_tcache *iova_last_tc;		/* this thread */

/* ---- small lock ---------------------------------------------------------- */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static noinline void lk_lock_slow(struct iova_lk *l)
{
	unsigned int spins = 0;

	for (;;) {
		while (__atomic_load_n(&l->v, __ATOMIC_RELAXED)) {
			if (++spins < 128)
				cpu_relax();
			else
				sched_yield();	/* holder preempted? */
		}
		if (!__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE))
			return;
	}
}

static inline void lk_lock(struct iova_lk *l)
{
	/* Acquire: pairs with the release in lk_unlock(). */
	if (likely(!__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE)))
		return;
	lk_lock_slow(l);
}

static inline void lk_unlock(struct iova_lk *l)
{
	/* Release: publishes the magazine updates made under the lock. */
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

/* ---- byte map ------------------------------------------------------------ */

static inline unsigned int bm_hash(unsigned long key)
{
	return (unsigned int)((key * 0x9E3779B97F4A7C15ull) >> 54) &
	       (IOVA_BM_SLOTS - 1);
}

/* State byte of @pfn, or NULL if its leaf does not exist. Any context. */
static inline uint8_t *bm_byte(struct iova_rcache *rc, unsigned long pfn)
{
	unsigned long key = (pfn >> IOVA_BM_SHIFT) + 1, k;
	unsigned int h = bm_hash(key), i;

	for (i = 0; i < IOVA_BM_SLOTS; i++) {
		/* Acquire: pairs with the release publishing the slot. */
		k = __atomic_load_n(&rc->bm_key[h], __ATOMIC_ACQUIRE);
		if (k == key)
			return __atomic_load_n(&rc->bm_leaf[h],
					       __ATOMIC_RELAXED) +
			       (pfn & ((1UL << IOVA_BM_SHIFT) - 1));
		if (!k)
			return NULL;
		h = (h + 1) & (IOVA_BM_SLOTS - 1);
	}
	return NULL;
}

/* As bm_byte(), creating the leaf. Tree lock held. NULL: no memory/room. */
static uint8_t *bm_byte_create(struct iova_rcache *rc, unsigned long pfn)
{
	unsigned long key = (pfn >> IOVA_BM_SHIFT) + 1, k;
	unsigned int h = bm_hash(key), i;
	uint8_t *leaf;

	for (i = 0; i < IOVA_BM_SLOTS; i++) {
		k = __atomic_load_n(&rc->bm_key[h], __ATOMIC_RELAXED);
		if (k == key)
			return rc->bm_leaf[h] +
			       (pfn & ((1UL << IOVA_BM_SHIFT) - 1));
		if (!k)
			break;
		h = (h + 1) & (IOVA_BM_SLOTS - 1);
	}
	if (i == IOVA_BM_SLOTS)
		return NULL;	/* table full: this range is not cached */
	leaf = calloc(1UL << IOVA_BM_SHIFT, 1);
	if (!leaf)
		return NULL;
	__atomic_store_n(&rc->bm_leaf[h], leaf, __ATOMIC_RELAXED);
	/* Release: the leaf pointer is visible before the key. */
	__atomic_store_n(&rc->bm_key[h], key, __ATOMIC_RELEASE);
	return leaf + (pfn & ((1UL << IOVA_BM_SHIFT) - 1));
}

/* As bm_byte(), through the calling thread's one-leaf memo in @tc. */
static inline uint8_t *bm_byte_tc(struct iova_rcache *rc,
				  struct iova_tcache *tc, unsigned long pfn)
{
	uint8_t *b;

	if (likely(tc->bm_key == (pfn >> IOVA_BM_SHIFT) + 1))
		return tc->bm_leaf + (pfn & ((1UL << IOVA_BM_SHIFT) - 1));
	b = bm_byte(rc, pfn);
	if (b) {
		tc->bm_key = (pfn >> IOVA_BM_SHIFT) + 1;
		tc->bm_leaf = b - (pfn & ((1UL << IOVA_BM_SHIFT) - 1));
	}
	return b;
}

static inline unsigned int bm_get(uint8_t *b)
{
	return b ? __atomic_load_n(b, __ATOMIC_RELAXED) : 0;
}

static inline void bm_set(uint8_t *b, unsigned int st)
{
	__atomic_store_n(b, (uint8_t)st, __ATOMIC_RELAXED);
}

unsigned int dk__iova_rcache_state(struct iova_domain *iovad,
				   unsigned long pfn)
{
	return iovad->rcaches ? bm_get(bm_byte(iovad->rcaches, pfn)) : 0;
}

void dk__iova_rcache_untrack(struct iova_domain *iovad, unsigned long pfn)
{
	uint8_t *b = iovad->rcaches ? bm_byte(iovad->rcaches, pfn) : NULL;

	if (b)
		bm_set(b, 0);
}

/* ---- magazines and depot ------------------------------------------------- */

static struct iova_magazine *mag_alloc(void)
{
	struct iova_magazine *m = malloc(sizeof(*m));

	if (m)
		m->size = 0;
	return m;
}

/* Take a range that ends at or below the limit (start <= @maxpfn). */
static inline unsigned long mag_pop(struct iova_magazine *m,
				    unsigned long maxpfn)
{
	unsigned long n = m->size, i = n - 1, pfn;

	while (m->pfns[i] > maxpfn) {
		if (!i)
			return 0;
		i--;
	}
	pfn = m->pfns[i];
	m->pfns[i] = m->pfns[n - 1];
	m->size = n - 1;
	return pfn;
}

/* Free every range of @m in the tree. Caller holds no tree/depot lock. */
static void mag_drain(struct iova_domain *iovad, struct iova_magazine *m)
{
	unsigned long i;

	if (!m->size)
		return;
	spin_lock(&iovad->iova_rbtree_lock);
	for (i = 0; i < m->size; i++) {
		unsigned long pfn = m->pfns[i];
		struct iova *n = dk__iova_find_exact_locked(iovad, pfn);

		dk__iova_rcache_untrack(iovad, pfn);
		if (n)
			dk__iova_remove_locked(iovad, n);
		else
			pr_err("iova(%p): cached pfn %#lx has no range (internal error)\n",
			       (void *)iovad, pfn);
	}
	spin_unlock(&iovad->iova_rbtree_lock);
	m->size = 0;
}

/* Keep empty @m in the depot's pool, or free it. */
static void depot_recycle(struct iova_depot *d, struct iova_magazine *m)
{
	m->size = 0;
	lk_lock(&d->lock);
	if (d->nr_empty < IOVA_MAX_EMPTY_MAGS) {
		d->empty[d->nr_empty++] = m;
		m = NULL;
	}
	lk_unlock(&d->lock);
	free(m);
}

/* Exchange the empty *@mag for a full magazine. */
static bool depot_get_full(struct iova_depot *d, struct iova_magazine **mag)
{
	struct iova_magazine *e;

	lk_lock(&d->lock);
	if (!d->nr_full) {
		lk_unlock(&d->lock);
		return false;
	}
	e = *mag;
	*mag = d->full[--d->nr_full];
	if (d->nr_empty < IOVA_MAX_EMPTY_MAGS) {
		d->empty[d->nr_empty++] = e;
		e = NULL;
	}
	lk_unlock(&d->lock);
	free(e);
	return true;
}

/*
 * Hand the full @full to the depot and return an empty magazine for it;
 * if the depot has no room, *@spill receives @full for the caller to
 * drain. NULL (and nothing changed) if no empty magazine can be had.
 */
static struct iova_magazine *depot_put_full(struct iova_depot *d,
					    struct iova_magazine *full,
					    struct iova_magazine **spill)
{
	struct iova_magazine *e = NULL;

	lk_lock(&d->lock);
	if (d->nr_empty)
		e = d->empty[--d->nr_empty];
	lk_unlock(&d->lock);
	if (!e)
		e = mag_alloc();
	if (!e)
		return NULL;
	lk_lock(&d->lock);
	if (d->nr_full < IOVA_MAX_GLOBAL_MAGS) {
		d->full[d->nr_full++] = full;
		full = NULL;
	}
	lk_unlock(&d->lock);
	*spill = full;
	return e;
}

static void depot_drain(struct iova_domain *iovad, struct iova_depot *d)
{
	struct iova_magazine *mags[IOVA_MAX_GLOBAL_MAGS];
	unsigned int n, i;

	lk_lock(&d->lock);
	n = d->nr_full;
	memcpy(mags, d->full, n * sizeof(mags[0]));
	d->nr_full = 0;
	lk_unlock(&d->lock);
	for (i = 0; i < n; i++) {
		mag_drain(iovad, mags[i]);
		depot_recycle(d, mags[i]);
	}
}

/* ---- thread caches ------------------------------------------------------- */

static void tc_free(struct iova_tcache *tc)
{
	unsigned int k;

	for (k = 0; k < IOVA_NR_CLASSES; k++) {
		free(tc->loaded[k]);
		free(tc->prev[k]);
	}
	free(tc);
}

static struct iova_tcache *tc_create(void)
{
	struct iova_tcache *tc = calloc(1, sizeof(*tc));
	unsigned int k;

	if (!tc)
		return NULL;
	for (k = 0; k < IOVA_NR_CLASSES; k++) {
		tc->loaded[k] = mag_alloc();
		tc->prev[k] = mag_alloc();
		if (!tc->loaded[k] || !tc->prev[k]) {
			tc_free(tc);
			return NULL;
		}
	}
	return tc;
}

/*
 * Unregister and free @tc. With @give_back, its ranges go back to the
 * depot (full magazines, while there is room) or the tree; otherwise they
 * are simply dropped (the domain is being torn down). Registry lock held.
 */
static void tc_retire(struct iova_tcache *tc, bool give_back)
{
	struct iova_domain *iovad = tc->iovad;
	unsigned int k, j;

	lk_lock(&tc->lock);
	for (k = 0; give_back && k < IOVA_NR_CLASSES; k++) {
		struct iova_depot *d = &iovad->rcaches->depot[k];
		struct iova_magazine **mp[2] = { &tc->loaded[k], &tc->prev[k] };

		for (j = 0; j < 2; j++) {
			struct iova_magazine *m = *mp[j];

			if (m->size == IOVA_MAG_SIZE) {
				lk_lock(&d->lock);
				if (d->nr_full < IOVA_MAX_GLOBAL_MAGS) {
					d->full[d->nr_full++] = m;
					*mp[j] = NULL;
				}
				lk_unlock(&d->lock);
				if (!*mp[j])
					continue;
			}
			mag_drain(iovad, m);
			depot_recycle(d, m);
			*mp[j] = NULL;
		}
	}
	lk_unlock(&tc->lock);
	*tc->dom_pprev = tc->dom_next;
	if (tc->dom_next)
		tc->dom_next->dom_pprev = tc->dom_pprev;
	*tc->thr_pprev = tc->thr_next;
	if (tc->thr_next)
		tc->thr_next->thr_pprev = tc->thr_pprev;
	tc_free(tc);
}

/* pthread key destructor: the thread is exiting; return its caches. */
static void iova_thread_exit(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&iova_reg_lock);
	while (iova_thr_head)
		tc_retire(iova_thr_head, true);
	iova_keyed = false;
	pthread_mutex_unlock(&iova_reg_lock);
	iova_last_id = 0;
	iova_last_tc = NULL;
}

static void iova_key_make(void)
{
	iova_key_err = pthread_key_create(&iova_key, iova_thread_exit);
}

static struct iova_tcache *tc_lookup_slow(struct iova_domain *iovad)
{
	struct iova_rcache *rc = iovad->rcaches;
	struct iova_tcache *tc;

	pthread_mutex_lock(&iova_reg_lock);
	for (tc = iova_thr_head; tc; tc = tc->thr_next)
		if (tc->iovad == iovad && tc->id == iovad->rc_id)
			goto found;
	if (!iova_keyed) {
		/* Without a destructor the cache could outlive its thread. */
		pthread_once(&iova_key_once, iova_key_make);
		if (iova_key_err ||
		    pthread_setspecific(iova_key, &iova_thr_head))
			goto out;
		iova_keyed = true;
	}
	tc = tc_create();
	if (!tc)
		goto out;
	tc->iovad = iovad;
	tc->id = iovad->rc_id;
	tc->dom_next = rc->threads;
	if (rc->threads)
		rc->threads->dom_pprev = &tc->dom_next;
	tc->dom_pprev = &rc->threads;
	rc->threads = tc;
	tc->thr_next = iova_thr_head;
	if (iova_thr_head)
		iova_thr_head->thr_pprev = &tc->thr_next;
	tc->thr_pprev = &iova_thr_head;
	iova_thr_head = tc;
found:
	iova_last_id = iovad->rc_id;
	iova_last_tc = tc;
out:
	pthread_mutex_unlock(&iova_reg_lock);
	return tc;
}

/* The calling thread's cache for @iovad (rcaches on), or NULL. */
static inline struct iova_tcache *tc_get(struct iova_domain *iovad)
{
	if (likely(iova_last_id == iovad->rc_id))
		return iova_last_tc;
	return tc_lookup_slow(iovad);
}

static inline unsigned long tc_pop(struct iova_rcache *rc,
				   struct iova_tcache *tc, unsigned int k,
				   unsigned long maxpfn)
{
	struct iova_magazine *m;
	unsigned long pfn = 0;

	lk_lock(&tc->lock);
	m = tc->loaded[k];
	if (unlikely(!m->size)) {
		if (tc->prev[k]->size) {
			tc->loaded[k] = tc->prev[k];
			tc->prev[k] = m;
		} else if (!depot_get_full(&rc->depot[k], &tc->loaded[k])) {
			goto out;
		}
		m = tc->loaded[k];
	}
	pfn = mag_pop(m, maxpfn);
out:
	lk_unlock(&tc->lock);
	return pfn;
}

static inline bool tc_push(struct iova_domain *iovad, struct iova_tcache *tc,
			   unsigned int k, unsigned long pfn)
{
	struct iova_magazine *m, *spill = NULL;

	lk_lock(&tc->lock);
	m = tc->loaded[k];
	if (unlikely(m->size == IOVA_MAG_SIZE)) {
		if (tc->prev[k]->size < IOVA_MAG_SIZE) {
			tc->loaded[k] = tc->prev[k];
			tc->prev[k] = m;
		} else {
			struct iova_magazine *e;

			e = depot_put_full(&iovad->rcaches->depot[k], m,
					   &spill);
			if (!e) {
				lk_unlock(&tc->lock);
				return false;
			}
			tc->loaded[k] = e;
		}
		m = tc->loaded[k];
	}
	m->pfns[m->size++] = pfn;
	lk_unlock(&tc->lock);
	if (spill) {
		/* The depot is full: this magazine goes back to the tree. */
		mag_drain(iovad, spill);
		depot_recycle(&iovad->rcaches->depot[k], spill);
	}
	return true;
}

/* ---- internal interface -------------------------------------------------- */

void dk__iova_rcache_flush_all(struct iova_domain *iovad)
{
	struct iova_rcache *rc = iovad->rcaches;
	struct iova_tcache *tc;
	unsigned int k;

	if (!rc)
		return;
	pthread_mutex_lock(&iova_reg_lock);
	for (tc = rc->threads; tc; tc = tc->dom_next) {
		lk_lock(&tc->lock);
		for (k = 0; k < IOVA_NR_CLASSES; k++) {
			mag_drain(iovad, tc->loaded[k]);
			mag_drain(iovad, tc->prev[k]);
		}
		lk_unlock(&tc->lock);
	}
	for (k = 0; k < IOVA_NR_CLASSES; k++)
		depot_drain(iovad, &rc->depot[k]);
	pthread_mutex_unlock(&iova_reg_lock);
}

unsigned long dk__iova_rcache_count(struct iova_domain *iovad)
{
	struct iova_rcache *rc = iovad->rcaches;
	struct iova_tcache *tc;
	unsigned long n = 0;
	unsigned int k, i;

	if (!rc)
		return 0;
	pthread_mutex_lock(&iova_reg_lock);
	for (tc = rc->threads; tc; tc = tc->dom_next) {
		lk_lock(&tc->lock);
		for (k = 0; k < IOVA_NR_CLASSES; k++)
			n += tc->loaded[k]->size + tc->prev[k]->size;
		lk_unlock(&tc->lock);
	}
	for (k = 0; k < IOVA_NR_CLASSES; k++) {
		lk_lock(&rc->depot[k].lock);
		for (i = 0; i < rc->depot[k].nr_full; i++)
			n += rc->depot[k].full[i]->size;
		lk_unlock(&rc->depot[k].lock);
	}
	pthread_mutex_unlock(&iova_reg_lock);
	return n;
}

void dk__iova_rcache_destroy(struct iova_domain *iovad)
{
	struct iova_rcache *rc = iovad->rcaches;
	unsigned int k, i;

	if (!rc)
		return;
	pthread_mutex_lock(&iova_reg_lock);
	while (rc->threads)
		tc_retire(rc->threads, false);
	pthread_mutex_unlock(&iova_reg_lock);
	for (k = 0; k < IOVA_NR_CLASSES; k++) {
		for (i = 0; i < rc->depot[k].nr_full; i++)
			free(rc->depot[k].full[i]);
		for (i = 0; i < rc->depot[k].nr_empty; i++)
			free(rc->depot[k].empty[i]);
	}
	for (i = 0; i < IOVA_BM_SLOTS; i++)
		free(rc->bm_leaf[i]);
	iovad->rcaches = NULL;
	iovad->rc_id = 0;
	free(rc);
}

/* ---- Linux API ----------------------------------------------------------- */

int iova_domain_init_rcaches(struct iova_domain *iovad)
{
	struct iova_rcache *rc;

	if (!dk__iova_domain_ok(iovad, "iova_domain_init_rcaches"))
		return -EINVAL;
	if (iovad->rcaches)
		return 0;
	rc = calloc(1, sizeof(*rc));
	if (!rc)
		return -ENOMEM;
	iovad->rc_id = __atomic_add_fetch(&iova_next_id, 1, __ATOMIC_RELAXED);
	iovad->rcaches = rc;
	return 0;
}

/* Size order of a cacheable (power-of-two, <= 32) size, else -1. */
static inline int iova_size_order(unsigned long size)
{
	if (size & (size - 1) ||
	    size > (1UL << (IOVA_RANGE_CACHE_MAX_SIZE - 1)))
		return -1;
	return __builtin_ctzl(size);
}

static inline unsigned long iova_round_size(unsigned long size)
{
	if (size < (1UL << (IOVA_RANGE_CACHE_MAX_SIZE - 1)) && size > 1)
		size = 1UL << (64 - __builtin_clzl(size - 1));
	return size;
}

unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn, bool flush_rcache)
{
	struct iova_rcache *rc;
	struct iova *new;
	unsigned long pfn, lo, align;
	int k, ret;

	if (unlikely(!dk__iova_domain_ok(iovad, "alloc_iova_fast")))
		return 0;
	if (unlikely(!size || limit_pfn < iovad->start_pfn || !limit_pfn)) {
		pr_err("alloc_iova_fast(%p): bad request: size %lu, limit_pfn %#lx (start_pfn %#lx)\n",
		       (void *)iovad, size, limit_pfn, iovad->start_pfn);
		return 0;
	}
	size = iova_round_size(size);
	k = iova_size_order(size);
	rc = iovad->rcaches;
	if (likely(rc && k >= 0 && limit_pfn >= size - 1)) {
		struct iova_tcache *tc = tc_get(iovad);

		if (likely(tc)) {
			pfn = tc_pop(rc, tc, (unsigned int)k,
				     limit_pfn - (size - 1));
			if (likely(pfn)) {
				bm_set(bm_byte_tc(rc, tc, pfn),
				       IOVA_ST_LIVE | (unsigned int)k);
				return pfn;
			}
		}
	}

	if (size > (1UL << 62))
		return 0;
	align = size > 1 ? 1UL << (64 - __builtin_clzl(size - 1)) : 1;
	lo = iovad->start_pfn ? iovad->start_pfn : 1;	/* 0 is failure */
	new = malloc(sizeof(*new));
	if (!new)
		return 0;
	for (;;) {
		spin_lock(&iovad->iova_rbtree_lock);
		ret = dk__iova_alloc_locked(iovad, new, size, align, lo,
					    limit_pfn);
		if (!ret && rc && k >= 0) {
			uint8_t *b = bm_byte_create(rc, new->pfn_lo);

			if (b)
				bm_set(b, IOVA_ST_LIVE | (unsigned int)k);
		}
		spin_unlock(&iovad->iova_rbtree_lock);
		if (!ret)
			return new->pfn_lo;
		if (!flush_rcache || !rc)
			break;
		/* Replenish from every thread's cache and the depot, once. */
		flush_rcache = false;
		dk__iova_rcache_flush_all(iovad);
	}
	free(new);
	return 0;
}

void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
		    unsigned long size)
{
	struct iova_rcache *rc;
	struct iova_tcache *tc;
	struct iova *n;
	uint8_t *b;
	unsigned int st;
	int k;

	if (unlikely(!dk__iova_domain_ok(iovad, "free_iova_fast")))
		return;
	if (unlikely(!size)) {
		pr_err("free_iova_fast(%p): pfn %#lx with size 0\n",
		       (void *)iovad, pfn);
		return;
	}
	size = iova_round_size(size);
	k = iova_size_order(size);
	rc = iovad->rcaches;
	if (!rc || k < 0) {
		dk__iova_free_exact(iovad, pfn, "free_iova_fast");
		return;
	}
	tc = tc_get(iovad);
	b = likely(tc) ? bm_byte_tc(rc, tc, pfn) : bm_byte(rc, pfn);
	st = bm_get(b);
	if (likely(st == (IOVA_ST_LIVE | (unsigned int)k))) {
		/* Mark it cached before another thread can pop it. */
		bm_set(b, IOVA_ST_CACHED | (unsigned int)k);
		if (likely(tc && tc_push(iovad, tc, (unsigned int)k, pfn)))
			return;
		bm_set(b, IOVA_ST_LIVE | (unsigned int)k);
		dk__iova_free_exact(iovad, pfn, "free_iova_fast");
		return;
	}
	if (st & IOVA_ST_CACHED) {
		pr_err("free_iova_fast(%p): pfn %#lx (size %lu) is already free (double free)\n",
		       (void *)iovad, pfn, size);
		return;
	}
	if (st & IOVA_ST_LIVE) {
		pr_err("free_iova_fast(%p): pfn %#lx was allocated with %lu frames, freed with size %lu\n",
		       (void *)iovad, pfn, 1UL << (st & IOVA_ST_ORDER), size);
		return;
	}
	/* Not from the fast path (alloc_iova or untracked): check the tree. */
	spin_lock(&iovad->iova_rbtree_lock);
	n = dk__iova_find_exact_locked(iovad, pfn);
	if (n && iova_size(n) == size &&
	    !(n->node.flags & IOVA_NODE_RESERVED) &&
	    (b = bm_byte_create(rc, pfn))) {
		bm_set(b, IOVA_ST_CACHED | (unsigned int)k);
		spin_unlock(&iovad->iova_rbtree_lock);
		if (tc && tc_push(iovad, tc, (unsigned int)k, pfn))
			return;
		bm_set(b, IOVA_ST_LIVE | (unsigned int)k);
	} else {
		spin_unlock(&iovad->iova_rbtree_lock);
	}
	dk__iova_free_exact(iovad, pfn, "free_iova_fast");
}
