// SPDX-License-Identifier: MIT
/*
 * iommu_cache.c - the DK-IOMMU's set-associative caches (IOTLB, context
 * cache, paging-structure caches): one generic seqlocked cache.
 *
 * Each set is a seqlock: readers (device threads translating) never write
 * shared memory, they load the sequence word, the entries and the sequence
 * word again and retry on a change. A writer (an insert after a walk, an
 * invalidation) takes the set by CAS of the sequence word from even to odd
 * and publishes each store with release order, then makes the word even
 * again. Entries are replaced round-robin within a set, empty ways first.
 *
 * LOCKING: per set, as above; no other lock. Writers of one set spin
 * briefly on each other (a set is held for a few stores).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "hw/iommu_priv.h"

int sa_init(struct sa_cache *c, unsigned int entries, unsigned int ways)
{
	size_t stride;

	if (!entries || !ways || entries % ways)
		return -EINVAL;
	c->ways = ways;
	c->sets = entries / ways;
	stride = sizeof(struct sa_set) + ways * sizeof(struct sa_entry);
	c->stride = (stride + 63) & ~(size_t)63;
	c->set_mask = (c->sets & (c->sets - 1)) ? 0 : c->sets - 1;
	if (c->sets == 1)
		c->set_mask = 0;	/* h % 1 == 0 too, but keep it cheap */
	if (posix_memalign((void **)&c->mem, 64, c->stride * c->sets))
		return -ENOMEM;
	memset(c->mem, 0, c->stride * c->sets);
	return 0;
}

void sa_free(struct sa_cache *c)
{
	free(c->mem);
	c->mem = NULL;
}

uint32_t sa_lock(struct sa_set *s)
{
	unsigned int spins = 0;

	for (;;) {
		uint32_t q = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

		if (!(q & 1) &&
		    __atomic_compare_exchange_n(&s->seq, &q, q + 1, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return q + 1;
		if (++spins > 64)
			sched_yield();
	}
}

void sa_unlock(struct sa_set *s, uint32_t q)
{
	/* Release: the entry stores precede the even sequence word. */
	__atomic_store_n(&s->seq, q + 1, __ATOMIC_RELEASE);
}

static void sa_store(struct sa_entry *e, uint64_t tag, uint64_t d0,
		     uint64_t d1)
{
	/* Release: a reader that sees any of these sees the odd sequence. */
	__atomic_store_n(&e->tag, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&e->d0, d0, __ATOMIC_RELEASE);
	__atomic_store_n(&e->d1, d1, __ATOMIC_RELEASE);
	__atomic_store_n(&e->tag, tag, __ATOMIC_RELEASE);
}

void sa_insert(const struct sa_cache *c, struct sa_set *s, uint64_t tag,
	       uint64_t d0, uint64_t d1)
{
	uint32_t q = sa_lock(s);
	unsigned int victim = c->ways;

	for (unsigned int w = 0; w < c->ways; w++) {
		uint64_t t = __atomic_load_n(&s->e[w].tag, __ATOMIC_RELAXED);

		if (t == tag) {
			victim = w;
			break;
		}
		if (!t && victim == c->ways)
			victim = w;
	}
	if (victim == c->ways) {
		victim = s->next;
		s->next = (s->next + 1) % c->ways;
	}
	sa_store(&s->e[victim], tag, d0, d1);
	sa_unlock(s, q);
}

unsigned int sa_drop_set(const struct sa_cache *c, struct sa_set *s,
			 sa_match_fn match, const void *arg)
{
	unsigned int n = 0;
	uint32_t q = sa_lock(s);

	for (unsigned int w = 0; w < c->ways; w++) {
		struct sa_entry e = {
			.tag = __atomic_load_n(&s->e[w].tag, __ATOMIC_RELAXED),
			.d0 = __atomic_load_n(&s->e[w].d0, __ATOMIC_RELAXED),
			.d1 = __atomic_load_n(&s->e[w].d1, __ATOMIC_RELAXED),
		};

		if (e.tag && (!match || match(&e, arg))) {
			__atomic_store_n(&s->e[w].tag, 0, __ATOMIC_RELEASE);
			n++;
		}
	}
	sa_unlock(s, q);
	return n;
}

unsigned int sa_drop_all(const struct sa_cache *c, sa_match_fn match,
			 const void *arg)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->sets; i++)
		n += sa_drop_set(c, (struct sa_set *)(c->mem + i * c->stride),
				 match, arg);
	return n;
}
