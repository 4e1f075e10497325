/* SPDX-License-Identifier: MIT */
/*
 * linux/slab.h - kmalloc and kmem_cache.
 *
 * Objects live in simulated RAM: virt_to_phys() works on them and they may
 * be DMA-mapped, as in Linux. kmalloc sizes round up to powers of two from
 * 8 to 8192 bytes, naturally aligned; larger requests take whole pages (up
 * to KMALLOC_MAX_SIZE). GFP_DMA32 (or GFP_DMA) requests come from
 * dma-kmalloc-* caches whose slabs lie below 4 GiB. Allocator metadata
 * (free lists, bitmaps) is kept in host memory, never inside the objects,
 * so a device scribbling on freed memory cannot corrupt the allocator.
 */
#ifndef DMAKIT_LINUX_SLAB_H
#define DMAKIT_LINUX_SLAB_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/gfp.h>
#include <dmakit/api.h>

typedef unsigned int slab_flags_t;

#define SLAB_HWCACHE_ALIGN	0x00002000u	/* cache-line aligned */
#define SLAB_CACHE_DMA		0x00004000u	/* ours: as _DMA32 */
#define SLAB_CACHE_DMA32	0x00008000u	/* objects below 4 GiB */
#define SLAB_PANIC		0x00040000u	/* ours: no panic */
#define SLAB_TYPESAFE_BY_RCU	0x00080000u	/* accepted, ignored */
#define SLAB_RECLAIM_ACCOUNT	0x00020000u	/* accepted, ignored */
#define SLAB_ACCOUNT		0x04000000u	/* accepted, ignored */

/* kmalloc(0) returns this: not NULL, but must not be dereferenced. */
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((uintptr_t)(x) <= (uintptr_t)ZERO_SIZE_PTR)

#define KMALLOC_MIN_SIZE	8
#define KMALLOC_MAX_CACHE_SIZE	8192
#define KMALLOC_MAX_SIZE	(1ul << 22)	/* one MAX_ORDER-1 block */
#define ARCH_KMALLOC_MINALIGN	8

struct kmem_cache;

/**
 * kmalloc() - allocate @size bytes of simulated RAM
 * @size: bytes; 0 returns ZERO_SIZE_PTR
 * @flags: GFP_* flags (__GFP_ZERO zeroes, GFP_DMA32 takes RAM below 4 GiB)
 *
 * Context: process if @flags allows blocking (might_sleep() checks),
 * otherwise any; takes the size class's cache lock.
 * Return: the object, aligned to its power-of-two size (8 at least, 4 KiB
 * for page-backed sizes), or NULL.
 */
DK_API void *kmalloc(size_t size, gfp_t flags);

/**
 * kfree() - free memory from kmalloc() (or from kmem_cache_alloc())
 * @objp: the object; NULL and ZERO_SIZE_PTR are ignored
 *
 * A pointer the allocator did not return, a pointer into the middle of an
 * object, or a double free is reported and nothing is freed.
 * Context: any; takes the owning cache's lock.
 */
DK_API void kfree(const void *objp);

/**
 * ksize() - usable size of a kmalloc object (its size class)
 * @objp: the object
 *
 * Context: any. Return: bytes, or 0 (reported) for a bad pointer.
 */
DK_API size_t ksize(const void *objp);

/**
 * krealloc() - resize a kmalloc object, keeping its contents
 * @objp: the object, or NULL (then as kmalloc())
 * @new_size: the new size; 0 frees @objp and returns ZERO_SIZE_PTR
 * @flags: GFP_* flags
 *
 * Context: as kmalloc(). Return: the object (maybe moved) or NULL, in
 * which case @objp is untouched.
 */
DK_API void *krealloc(const void *objp, size_t new_size, gfp_t flags);

/** kmemdup() - kmalloc(@len) and copy @src into it; NULL on failure */
DK_API void *kmemdup(const void *src, size_t len, gfp_t gfp);

/** kstrdup() - kmalloc a copy of @s (NULL gives NULL) */
DK_API char *kstrdup(const char *s, gfp_t gfp);

static inline void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}

/* @n * @size bytes; NULL (silently, as Linux) if the product overflows. */
static inline void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kmalloc(bytes, flags);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags | __GFP_ZERO);
}

/*
 * Ours: kvmalloc() is kmalloc() (always physically contiguous, no vmalloc
 * fallback), so requests above KMALLOC_MAX_SIZE fail.
 */
static inline void *kvmalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags);
}

static inline void *kvzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}

static inline void *kvmalloc_array(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags);
}

static inline void *kvcalloc(size_t n, size_t size, gfp_t flags)
{
	return kcalloc(n, size, flags);
}

static inline void kvfree(const void *addr)
{
	kfree(addr);
}

/**
 * kmem_cache_create() - a cache of equal-sized objects
 * @name: for messages (copied)
 * @size: object size, 1..KMALLOC_MAX_SIZE
 * @align: required alignment (0 or a power of two); at least 8
 * @flags: SLAB_* flags (SLAB_HWCACHE_ALIGN, SLAB_CACHE_DMA32, ...)
 * @ctor: called on each object when its slab is created (objects must be
 *        freed in their constructed state), or NULL
 *
 * Context: process; takes the allocator's cache-list lock.
 * Return: the cache, or NULL (reported) for bad arguments or no memory.
 */
DK_API struct kmem_cache *kmem_cache_create(const char *name,
					    unsigned int size,
					    unsigned int align,
					    slab_flags_t flags,
					    void (*ctor)(void *));

/**
 * kmem_cache_alloc() - one object from @cachep
 * @cachep: the cache
 * @flags: GFP_* flags; __GFP_ZERO zeroes the object
 *
 * Context: as kmalloc(); takes the cache lock (and calls @ctor for a new
 * slab without holding it). Return: the object or NULL.
 */
DK_API void *kmem_cache_alloc(struct kmem_cache *cachep, gfp_t flags);

static inline void *kmem_cache_zalloc(struct kmem_cache *cachep, gfp_t flags)
{
	return kmem_cache_alloc(cachep, flags | __GFP_ZERO);
}

/**
 * kmem_cache_free() - return an object to its cache
 * @cachep: the cache it came from
 * @objp: the object (NULL is ignored)
 *
 * An object of another cache, a bad pointer or a double free is reported
 * and nothing is freed. Context: any; takes the cache lock.
 */
DK_API void kmem_cache_free(struct kmem_cache *cachep, void *objp);

/**
 * kmem_cache_destroy() - destroy an empty cache
 * @cachep: the cache (NULL is ignored)
 *
 * A cache that still has objects is reported (count and addresses) and,
 * as in Linux, not destroyed; the machine's destroy reports it again.
 * Context: process; takes the cache-list lock and the cache lock.
 */
DK_API void kmem_cache_destroy(struct kmem_cache *cachep);

/** KMEM_CACHE() - a cache for struct @__struct, aligned as the struct */
#define KMEM_CACHE(__struct, __flags)                                        \
	kmem_cache_create(#__struct, sizeof(struct __struct),                \
			  __alignof__(struct __struct), (__flags), NULL)

#endif
