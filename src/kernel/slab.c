// SPDX-License-Identifier: MIT
/*
 * slab.c - kmalloc and kmem_cache over the page allocator.
 *
 * A cache carves slabs (blocks of 2^order pages from alloc_pages) into
 * equal objects. Every slab has a record in host memory holding a stack of
 * free object indices and a bitmap of allocated objects: nothing about the
 * allocator is stored inside simulated RAM, so a device that writes into a
 * freed object cannot corrupt it, and a double free is caught exactly.
 * Each page of a slab points at its cache (page->slab_cache) and slab
 * record (page->slab), which is how kfree() finds the owner.
 *
 * kmalloc uses power-of-two caches kmalloc-8 .. kmalloc-8192, and a
 * dma-kmalloc-* twin set whose slabs come from ZONE_DMA32. Bigger requests
 * take whole pages; they are tracked by a sentinel cache ("kmalloc-large")
 * so kfree() and the leak report treat them the same way.
 *
 * A cache keeps at most one empty slab; further empty slabs go back to the
 * page allocator.
 *
 * LOCKING: each cache's spinlock protects its slab lists, its counters and
 * the slab records (free stack, bitmap) of its slabs, plus page->slab of
 * their pages; page->slab_cache is written under it and read atomically
 * (kfree re-checks it under the lock). The cache list is protected by
 * slab_state.lock (a mutex; cache creation may sleep). Lock order: cache
 * list lock, then cache lock, then the page allocator's zone lock.
 * Constructors run without any lock held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "kernel/internal.h"

#define NR_KMALLOC	11	/* 8 .. 8192 */
#define LEAK_SHOW	4	/* addresses listed per leak report */
#define CACHE_LINE	64

struct kmem_cache {
	spinlock_t lock;
	struct list_head partial;	/* under lock: some objects free */
	struct list_head full;		/* under lock: no object free */
	struct list_head empty;		/* under lock: all free (<= 1) */
	unsigned long nr_empty;		/* under lock */
	unsigned long live;		/* under lock: objects allocated */
	struct list_head large;		/* under lock: kmalloc-large */
	unsigned int object_size;	/* what users may touch */
	unsigned int size;		/* stride between objects */
	unsigned int align;
	unsigned int order;		/* pages per slab: 2^order */
	unsigned int objs;		/* objects per slab */
	gfp_t zone_gfp;			/* __GFP_DMA32 or 0 */
	slab_flags_t flags;
	void (*ctor)(void *);
	bool kmalloc;			/* a kmalloc size class */
	bool destroyed;			/* destroy refused (live) */
	char *name;
	struct list_head node;		/* under slab_state.lock */
};

struct slab {
	struct list_head list;		/* under cache lock */
	struct page *page;
	char *base;
	unsigned int inuse;		/* under cache lock */
	unsigned int nr_free;		/* under cache lock: in free[] */
	unsigned long *used;		/* under cache lock: bitmap */
	uint16_t free[];		/* under cache lock: free indices */
};

/* A kmalloc above KMALLOC_MAX_CACHE_SIZE: whole pages. */
struct large_alloc {
	struct list_head list;		/* under large cache lock */
	struct page *page;
	void *addr;
	size_t size;
	unsigned int order;
};

struct dk_slab_state {
	pthread_mutex_t lock;
	struct list_head caches;	/* under lock */
	struct kmem_cache *kmalloc[2][NR_KMALLOC];	/* [dma32][class] */
	struct kmem_cache large;
};

static struct dk_slab_state *slab_get(void)
{
	struct dk_machine *m = __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);

	return m ? m->slab : NULL;
}

static unsigned int kmalloc_index(size_t size)
{
	if (size <= 8)
		return 0;
	return (unsigned int)(64 - __builtin_clzl(size - 1)) - 3;
}

/* ---- slabs --------------------------------------------------------------- */

static struct slab *slab_new(struct kmem_cache *c, gfp_t flags)
{
	size_t words = (c->objs + 63) / 64;
	size_t off = sizeof(struct slab) + c->objs * sizeof(uint16_t);
	struct slab *s;
	struct page *page;

	off = (off + sizeof(unsigned long) - 1) & ~(sizeof(unsigned long) - 1);
	s = calloc(1, off + words * sizeof(unsigned long));
	if (!s)
		return NULL;
	page = alloc_pages((flags & ~(__GFP_ZERO | __GFP_DMA | __GFP_DMA32)) |
				   c->zone_gfp,
			   c->order);
	if (!page) {
		free(s);
		return NULL;
	}
	s->page = page;
	s->base = page_address(page);
	s->used = (unsigned long *)((char *)s + off);
	/* Pop order gives ascending addresses. */
	for (unsigned int i = 0; i < c->objs; i++)
		s->free[i] = (uint16_t)(c->objs - 1 - i);
	s->nr_free = c->objs;
	if (c->ctor)
		for (unsigned int i = 0; i < c->objs; i++)
			c->ctor(s->base + (size_t)i * c->size);
	return s;
}

/* Make @s findable from its pages; cache lock held. */
static void slab_publish(struct kmem_cache *c, struct slab *s)
{
	DK_ASSERT(dk_spin_is_held(&c->lock));
	for (unsigned long i = 0; i < (1ul << c->order); i++) {
		s->page[i].slab = s;
		__atomic_store_n(&s->page[i].slab_cache, (void *)c,
				 __ATOMIC_RELEASE);
	}
}

/* Detach @s from its pages; cache lock held. Free with slab_release(). */
static void slab_unpublish(struct kmem_cache *c, struct slab *s)
{
	DK_ASSERT(dk_spin_is_held(&c->lock));
	for (unsigned long i = 0; i < (1ul << c->order); i++) {
		__atomic_store_n(&s->page[i].slab_cache, NULL,
				 __ATOMIC_RELEASE);
		s->page[i].slab = NULL;
	}
}

static void slab_release(struct kmem_cache *c, struct slab *s)
{
	__free_pages(s->page, c->order);
	free(s);
}

static bool slab_test_used(const struct slab *s, unsigned int idx)
{
	return s->used[idx / 64] & (1ul << (idx % 64));
}

/* ---- allocation ---------------------------------------------------------- */

static void *cache_alloc(struct kmem_cache *c, gfp_t flags)
{
	struct slab *s;

	if (gfpflags_allow_blocking(flags))
		might_sleep();
	for (;;) {
		spin_lock(&c->lock);
		if (list_empty(&c->partial) && !list_empty(&c->empty)) {
			list_move(c->empty.next, &c->partial);
			c->nr_empty--;
		}
		if (!list_empty(&c->partial)) {
			unsigned int idx;
			void *obj;

			s = list_first_entry(&c->partial, struct slab, list);
			idx = s->free[--s->nr_free];
			s->used[idx / 64] |= 1ul << (idx % 64);
			s->inuse++;
			c->live++;
			if (!s->nr_free)
				list_move(&s->list, &c->full);
			spin_unlock(&c->lock);
			obj = s->base + (size_t)idx * c->size;
			if (flags & __GFP_ZERO)
				memset(obj, 0, c->object_size);
			return obj;
		}
		spin_unlock(&c->lock);
		/* Grow without the lock: page allocation and ctors. */
		s = slab_new(c, flags);
		if (!s)
			return NULL;
		spin_lock(&c->lock);
		slab_publish(c, s);
		list_add(&s->list, &c->partial);
		spin_unlock(&c->lock);
	}
}

static void *kmalloc_large(struct dk_slab_state *st, size_t size,
			   gfp_t flags)
{
	struct kmem_cache *c = &st->large;
	struct large_alloc *la;
	unsigned int order = (unsigned int)get_order(size);
	struct page *page;

	if (size > KMALLOC_MAX_SIZE) {
		if (!(flags & __GFP_NOWARN))
			dk__err("kmalloc(%zu): above KMALLOC_MAX_SIZE (%lu)",
				size, KMALLOC_MAX_SIZE);
		return NULL;
	}
	la = malloc(sizeof(*la));
	if (!la)
		return NULL;
	page = alloc_pages(flags, order);
	if (!page) {
		free(la);
		return NULL;
	}
	la->page = page;
	la->addr = page_address(page);
	la->size = size;
	la->order = order;
	spin_lock(&c->lock);
	list_add_tail(&la->list, &c->large);
	c->live++;
	page->slab = la;
	__atomic_store_n(&page->slab_cache, (void *)c, __ATOMIC_RELEASE);
	spin_unlock(&c->lock);
	return la->addr;
}

void *kmalloc(size_t size, gfp_t flags)
{
	struct dk_slab_state *st = slab_get();

	if (!size)
		return ZERO_SIZE_PTR;
	if (!st) {
		dk__err("kmalloc(%zu): no machine (slab not initialised)", size);
		return NULL;
	}
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_large(st, size, flags);
	return cache_alloc(st->kmalloc[!!(flags & (__GFP_DMA | __GFP_DMA32))]
				      [kmalloc_index(size)],
			   flags);
}

void *kmem_cache_alloc(struct kmem_cache *cachep, gfp_t flags)
{
	if (!cachep) {
		dk__err("kmem_cache_alloc: cache is NULL");
		return NULL;
	}
	return cache_alloc(cachep, flags);
}

/* ---- freeing ------------------------------------------------------------- */

/*
 * Find the cache owning @p and lock it; returns NULL (nothing locked) after
 * reporting if @p is not slab memory. *@page receives @p's page.
 */
static struct kmem_cache *obj_lock_owner(const void *p, const char *fn,
					 struct page **pagep)
{
	struct page *page = virt_to_page(p);
	struct kmem_cache *c;

	if (!page) {
		dk__err("%s(%p): not an address in simulated RAM (kmalloc did not return it); nothing freed",
			fn, p);
		return NULL;
	}
	for (;;) {
		c = __atomic_load_n(&page->slab_cache, __ATOMIC_ACQUIRE);
		if (!c) {
			dk__err("%s(%p): phys 0x%llx is not slab memory (kmalloc did not return it); nothing freed",
				fn, p, (unsigned long long)virt_to_phys(p));
			return NULL;
		}
		spin_lock(&c->lock);
		/* The slab may have changed hands before we took the lock. */
		if (__atomic_load_n(&page->slab_cache, __ATOMIC_RELAXED) == c)
			break;
		spin_unlock(&c->lock);
	}
	*pagep = page;
	return c;
}

enum obj_err { OBJ_OK, OBJ_INSIDE, OBJ_NOT_ALLOCATED, OBJ_OTHER_CACHE };

/* Free @p; @expect is the cache kmem_cache_free() was given, or NULL. */
static void obj_free(const void *p, struct kmem_cache *expect, const char *fn)
{
	struct kmem_cache *c;
	struct slab *s, *release = NULL;
	struct large_alloc *la = NULL;
	enum obj_err err = OBJ_OK;
	struct page *page;
	const char *start = NULL;
	unsigned int idx;
	size_t off;

	c = obj_lock_owner(p, fn, &page);
	if (!c)
		return;
	if (expect && c != expect) {
		err = OBJ_OTHER_CACHE;
	} else if (!c->size) {			/* kmalloc-large */
		la = page->slab;
		if (la->addr != p) {
			err = OBJ_INSIDE;
			start = la->addr;
			la = NULL;
		} else {
			list_del(&la->list);
			c->live--;
			page->slab = NULL;
			__atomic_store_n(&page->slab_cache, NULL,
					 __ATOMIC_RELEASE);
		}
	} else {
		s = page->slab;
		off = (size_t)((const char *)p - s->base);
		idx = (unsigned int)(off / c->size);
		if (off % c->size) {
			err = OBJ_INSIDE;
			start = s->base + (size_t)idx * c->size;
		} else if (!slab_test_used(s, idx)) {
			err = OBJ_NOT_ALLOCATED;
		} else {
			s->used[idx / 64] &= ~(1ul << (idx % 64));
			s->free[s->nr_free++] = (uint16_t)idx;
			s->inuse--;
			c->live--;
			if (!s->inuse) {
				if (c->nr_empty) {
					list_del(&s->list);
					slab_unpublish(c, s);
					release = s;
				} else {
					list_move(&s->list, &c->empty);
					c->nr_empty++;
				}
			} else if (s->nr_free == 1) {
				list_move(&s->list, &c->partial);
			}
		}
	}
	spin_unlock(&c->lock);

	switch (err) {
	case OBJ_OK:
		break;
	case OBJ_INSIDE:
		dk__err("%s(%p): points inside the object at %p of %s, not at its start; nothing freed",
			fn, p, start, c->name);
		break;
	case OBJ_NOT_ALLOCATED:
		dk__err("%s(%p): double free or invalid free: object of %s (phys 0x%llx) is not allocated; nothing freed",
			fn, p, c->name, (unsigned long long)virt_to_phys(p));
		break;
	case OBJ_OTHER_CACHE:
		dk__err("%s(%s, %p): object belongs to cache %s; nothing freed",
			fn, expect->name, p, c->name);
		break;
	}
	if (la) {
		__free_pages(la->page, la->order);
		free(la);
	}
	if (release)
		slab_release(c, release);
}

void kfree(const void *objp)
{
	if (ZERO_OR_NULL_PTR(objp))
		return;
	obj_free(objp, NULL, "kfree");
}

void kmem_cache_free(struct kmem_cache *cachep, void *objp)
{
	if (!objp)
		return;
	if (!cachep) {
		dk__err("kmem_cache_free(NULL, %p): cache is NULL; nothing freed",
			objp);
		return;
	}
	obj_free(objp, cachep, "kmem_cache_free");
}

size_t ksize(const void *objp)
{
	struct kmem_cache *c;
	struct page *page;
	size_t size = 0;

	if (ZERO_OR_NULL_PTR(objp))
		return 0;
	c = obj_lock_owner(objp, "ksize", &page);
	if (!c)
		return 0;
	if (!c->size) {
		struct large_alloc *la = page->slab;

		if (la->addr == objp)
			size = PAGE_SIZE << la->order;
	} else {
		struct slab *s = page->slab;
		size_t off = (size_t)((const char *)objp - s->base);

		if (!(off % c->size) &&
		    slab_test_used(s, (unsigned int)(off / c->size)))
			size = c->object_size;
	}
	spin_unlock(&c->lock);
	if (!size)
		dk__err("ksize(%p): not the start of an allocated object of %s",
			objp, c->name);
	return size;
}

void *krealloc(const void *objp, size_t new_size, gfp_t flags)
{
	size_t ks;
	void *n;

	if (!new_size) {
		kfree(objp);
		return ZERO_SIZE_PTR;
	}
	if (ZERO_OR_NULL_PTR(objp))
		return kmalloc(new_size, flags);
	ks = ksize(objp);
	if (!ks)
		return NULL;
	if (ks >= new_size)
		return (void *)objp;
	n = kmalloc(new_size, flags);
	if (!n)
		return NULL;
	memcpy(n, objp, ks);
	kfree(objp);
	return n;
}

void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = kmalloc(len, gfp);

	if (p && len)
		memcpy(p, src, len);
	return p;
}

char *kstrdup(const char *s, gfp_t gfp)
{
	if (!s)
		return NULL;
	return kmemdup(s, strlen(s) + 1, gfp);
}

/* ---- caches -------------------------------------------------------------- */

static int cache_setup(struct kmem_cache *c, const char *name,
		       unsigned int size, unsigned int align,
		       slab_flags_t flags, void (*ctor)(void *))
{
	unsigned int min_order, order;

	c->name = strdup(name);
	if (!c->name)
		return -ENOMEM;
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = CACHE_LINE;

		while (size <= ralign / 2)
			ralign /= 2;
		if (align < ralign)
			align = ralign;
	}
	if (align < ARCH_KMALLOC_MINALIGN)
		align = ARCH_KMALLOC_MINALIGN;
	c->object_size = size;
	c->align = align;
	c->size = (size + align - 1) & ~(align - 1);
	/* Enough pages for 8 objects when that costs at most 8 pages. */
	min_order = (unsigned int)get_order(c->size > align ? c->size : align);
	order = min_order;
	while (order < 3 && (PAGE_SIZE << order) / c->size < 8)
		order++;
	c->order = order;
	c->objs = (unsigned int)((PAGE_SIZE << order) / c->size);
	c->zone_gfp = (flags & (SLAB_CACHE_DMA | SLAB_CACHE_DMA32))
			      ? __GFP_DMA32 : 0;
	c->flags = flags;
	c->ctor = ctor;
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->partial);
	INIT_LIST_HEAD(&c->full);
	INIT_LIST_HEAD(&c->empty);
	INIT_LIST_HEAD(&c->large);
	return 0;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, slab_flags_t flags,
				     void (*ctor)(void *))
{
	struct dk_slab_state *st = slab_get();
	struct kmem_cache *c;

	if (!st || !name || !size || size > KMALLOC_MAX_SIZE ||
	    (align & (align - 1)) || align > KMALLOC_MAX_SIZE) {
		dk__err("kmem_cache_create(%s, size %u, align %u): %s",
			name ? name : "(null)", size, align,
			!st ? "no machine"
			: !name ? "name is NULL"
			: (!size || size > KMALLOC_MAX_SIZE)
				? "size must be 1..4194304"
				: "align must be 0 or a power of two up to 4 MiB");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || cache_setup(c, name, size, align, flags, ctor)) {
		dk__err("kmem_cache_create(%s): out of host memory", name);
		free(c);
		return NULL;
	}
	pthread_mutex_lock(&st->lock);
	list_add_tail(&c->node, &st->caches);
	pthread_mutex_unlock(&st->lock);
	return c;
}

/* Up to LEAK_SHOW live object addresses of @c into @buf; cache lock held. */
static void cache_live_list(struct kmem_cache *c, char *buf, size_t len)
{
	struct list_head *lists[2] = { &c->partial, &c->full };
	struct large_alloc *la;
	struct slab *s;
	int shown = 0;

	buf[0] = '\0';
	list_for_each_entry(la, &c->large, list) {
		size_t n = strlen(buf);

		if (shown++ == LEAK_SHOW)
			return;
		snprintf(buf + n, len - n, "%s%p (phys 0x%llx, %zu bytes)",
			 n ? ", " : "", la->addr,
			 (unsigned long long)virt_to_phys(la->addr), la->size);
	}
	for (int l = 0; l < 2; l++) {
		list_for_each_entry(s, lists[l], list) {
			for (unsigned int i = 0; i < c->objs; i++) {
				size_t n = strlen(buf);
				char *obj = s->base + (size_t)i * c->size;

				if (!slab_test_used(s, i))
					continue;
				if (shown++ == LEAK_SHOW)
					return;
				snprintf(buf + n, len - n,
					 "%s%p (phys 0x%llx)", n ? ", " : "",
					 (void *)obj,
					 (unsigned long long)virt_to_phys(obj));
			}
		}
	}
}

/* Give every slab and large block of @c back; cache lock not held. */
static void cache_free_all(struct kmem_cache *c)
{
	struct list_head *lists[3] = { &c->partial, &c->full, &c->empty };
	struct large_alloc *la, *ln;
	struct slab *s, *n;
	LIST_HEAD(gone);

	spin_lock(&c->lock);
	for (int l = 0; l < 3; l++) {
		list_for_each_entry_safe(s, n, lists[l], list) {
			slab_unpublish(c, s);
			list_move(&s->list, &gone);
		}
	}
	list_for_each_entry(la, &c->large, list) {
		la->page->slab = NULL;
		__atomic_store_n(&la->page->slab_cache, NULL,
				 __ATOMIC_RELEASE);
	}
	c->nr_empty = 0;
	c->live = 0;
	spin_unlock(&c->lock);
	list_for_each_entry_safe(s, n, &gone, list)
		slab_release(c, s);
	list_for_each_entry_safe(la, ln, &c->large, list) {
		__free_pages(la->page, la->order);
		free(la);
	}
	INIT_LIST_HEAD(&c->large);
}

static void cache_free_struct(struct kmem_cache *c)
{
	free(c->name);
	free(c);
}

void kmem_cache_destroy(struct kmem_cache *cachep)
{
	struct dk_slab_state *st = slab_get();
	struct kmem_cache *c;
	unsigned long live;
	bool found = false;
	char list[384];

	if (!cachep)
		return;
	if (!st) {
		dk__err("kmem_cache_destroy(%p): no machine", (void *)cachep);
		return;
	}
	pthread_mutex_lock(&st->lock);
	list_for_each_entry(c, &st->caches, node) {
		if (c == cachep && !c->kmalloc) {
			found = true;
			break;
		}
	}
	if (!found) {
		pthread_mutex_unlock(&st->lock);
		dk__err("kmem_cache_destroy(%p): not a live cache (destroyed twice?)",
			(void *)cachep);
		return;
	}
	spin_lock(&cachep->lock);
	live = cachep->live;
	if (live)
		cache_live_list(cachep, list, sizeof(list));
	spin_unlock(&cachep->lock);
	if (live) {
		cachep->destroyed = true;
		pthread_mutex_unlock(&st->lock);
		dk__err("kmem_cache_destroy %s: Slab cache still has objects: %lu live: %s%s; not destroyed",
			cachep->name, live, list, live > LEAK_SHOW ? ", ..." : "");
		return;
	}
	list_del(&cachep->node);
	pthread_mutex_unlock(&st->lock);
	cache_free_all(cachep);
	cache_free_struct(cachep);
}

/* ---- init and exit ------------------------------------------------------- */

int dk__slab_init(struct dk_machine *m)
{
	struct dk_slab_state *st;
	char name[32];
	int ret = -ENOMEM;

	if (!m->mm) {
		dk__err("slab: the page allocator is not initialised");
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	INIT_LIST_HEAD(&st->caches);
	if (cache_setup(&st->large, "kmalloc-large", 1, 8, 0, NULL))
		goto err_free;
	st->large.size = 0;	/* marks the large sentinel */
	st->large.kmalloc = true;
	for (int dma = 0; dma < 2; dma++) {
		for (unsigned int i = 0; i < NR_KMALLOC; i++) {
			struct kmem_cache *c = calloc(1, sizeof(*c));
			unsigned int size = 8u << i;

			snprintf(name, sizeof(name), "%skmalloc-%u",
				 dma ? "dma-" : "", size);
			if (!c || cache_setup(c, name, size, size,
					      dma ? SLAB_CACHE_DMA32 : 0,
					      NULL)) {
				free(c);
				goto err_caches;
			}
			c->kmalloc = true;
			st->kmalloc[dma][i] = c;
			list_add_tail(&c->node, &st->caches);
		}
	}
	m->slab = st;
	return 0;

err_caches:
	while (!list_empty(&st->caches)) {
		struct kmem_cache *c = list_first_entry(&st->caches,
							struct kmem_cache,
							node);

		list_del(&c->node);
		cache_free_struct(c);
	}
	free(st->large.name);
err_free:
	pthread_mutex_destroy(&st->lock);
	free(st);
	return ret;
}

/* Report @c's live objects; returns how many. */
static unsigned long cache_report_leaks(struct kmem_cache *c)
{
	char list[384];
	unsigned long live;

	spin_lock(&c->lock);
	live = c->live;
	if (live)
		cache_live_list(c, list, sizeof(list));
	spin_unlock(&c->lock);
	if (live && c->size)
		dk__err("slab: leak: %lu object%s of %s (%u bytes) still allocated at destroy: %s%s",
			live, live == 1 ? "" : "s", c->name, c->object_size,
			list, live > LEAK_SHOW ? ", ..." : "");
	else if (live)
		dk__err("slab: leak: %lu object%s of %s still allocated at destroy: %s%s",
			live, live == 1 ? "" : "s", c->name, list,
			live > LEAK_SHOW ? ", ..." : "");
	return live;
}

int dk__slab_exit(struct dk_machine *m)
{
	struct dk_slab_state *st = m->slab;
	unsigned long reports = 0;

	if (!st)
		return 0;
	reports += cache_report_leaks(&st->large);
	cache_free_all(&st->large);
	while (!list_empty(&st->caches)) {
		struct kmem_cache *c = list_first_entry(&st->caches,
							struct kmem_cache,
							node);

		reports += cache_report_leaks(c);
		if (!c->kmalloc && !c->destroyed) {
			dk__err("slab: leak: kmem_cache %s was never destroyed",
				c->name);
			reports++;
		}
		list_del(&c->node);
		cache_free_all(c);
		cache_free_struct(c);
	}
	free(st->large.name);
	pthread_mutex_destroy(&st->lock);
	free(st);
	m->slab = NULL;
	return (int)reports;
}
