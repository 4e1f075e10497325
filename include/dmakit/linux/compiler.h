/* SPDX-License-Identifier: MIT */
/*
 * linux/compiler.h - branch hints, annotations and once-accessors.
 *
 * READ_ONCE/WRITE_ONCE are relaxed atomics here (not volatile accesses) so
 * that ThreadSanitizer sees them as intended races.
 */
#ifndef DMAKIT_LINUX_COMPILER_H
#define DMAKIT_LINUX_COMPILER_H

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#define barrier()	__asm__ __volatile__("" ::: "memory")

#define __must_check	__attribute__((warn_unused_result))
#define __maybe_unused	__attribute__((unused))
#define __always_unused	__attribute__((unused))
#ifndef __always_inline
#define __always_inline	inline __attribute__((always_inline))
#endif
#define noinline	__attribute__((noinline))
#define __cold		__attribute__((cold))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __aligned(x)	__attribute__((aligned(x)))
#define __packed	__attribute__((packed))
#ifndef fallthrough
#define fallthrough	__attribute__((fallthrough))
#endif

#define READ_ONCE(x)	 __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

#endif
