/* SPDX-License-Identifier: MIT */
/*
 * linux/kernel.h - the everyday kernel helpers: container_of, min/max,
 * alignment, ARRAY_SIZE, WARN_ON.
 *
 * The system's <linux/kernel.h> comes first; this header only adds.
 */
#ifndef DMAKIT_LINUX_KERNEL_H
#define DMAKIT_LINUX_KERNEL_H

#include_next <linux/kernel.h>
#include <stddef.h>
#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/err.h>
#include <linux/printk.h>

#ifndef container_of
#define container_of(ptr, type, member)                                      \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))
#define min_t(t, a, b)	((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b)	((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define clamp(v, lo, hi) min(max(v, lo), hi)

#define __ALIGN_MASK(x, mask)	(((x) + (mask)) & ~(mask))
#define ALIGN(x, a)		__ALIGN_MASK(x, (__typeof__(x))(a) - 1)
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
#define round_up(x, y)		((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define round_down(x, y)	((x) & ~((__typeof__(x))((y) - 1)))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

#define upper_32_bits(n)	((u32)(((n) >> 16) >> 16))
#define lower_32_bits(n)	((u32)((n) & 0xffffffff))

/*
 * WARN_ON() reports the condition with its place and returns it; it never
 * stops the program. BUG_ON() is for the library's own invariants only.
 */
#define WARN_ON(cond)                                                        \
	({                                                                   \
		int __ret = !!(cond);                                        \
		if (unlikely(__ret))                                         \
			pr_warn("WARNING: %s at %s:%d %s()\n", #cond,        \
				__FILE__, __LINE__, __func__);               \
		unlikely(__ret);                                             \
	})
#define WARN_ON_ONCE(cond)                                                   \
	({                                                                   \
		static int __warned;                                         \
		int __ret = !!(cond);                                        \
		if (unlikely(__ret) &&                                       \
		    !__atomic_exchange_n(&__warned, 1, __ATOMIC_RELAXED))    \
			pr_warn("WARNING: %s at %s:%d %s()\n", #cond,        \
				__FILE__, __LINE__, __func__);               \
		unlikely(__ret);                                             \
	})
#define WARN(cond, ...)                                                      \
	({                                                                   \
		int __ret = !!(cond);                                        \
		if (unlikely(__ret))                                         \
			pr_warn(__VA_ARGS__);                                \
		unlikely(__ret);                                             \
	})

DK_API _Noreturn void dk_bug(const char *what, const char *file, int line);
#define BUG()		dk_bug("BUG()", __FILE__, __LINE__)
#define BUG_ON(cond)                                                         \
	do {                                                                 \
		if (unlikely(cond))                                          \
			dk_bug(#cond, __FILE__, __LINE__);                   \
	} while (0)

#endif
