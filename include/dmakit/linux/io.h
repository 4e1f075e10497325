/* SPDX-License-Identifier: MIT */
/*
 * linux/io.h - MMIO accessors, ioremap, and the CPU's view of RAM.
 *
 * ioremap() returns an address inside a reserved, inaccessible host range:
 * a raw dereference faults like a wild pointer would, and readl()/writel()
 * decode it in O(1) and run the device model's register handler on the
 * calling thread. Accessors are fully ordered (every one is a bus
 * transaction in program order), so the _relaxed variants are the same.
 * An access to no device, of a width the device does not take, or not
 * naturally aligned, is logged with the address: reads return all ones (a
 * bus master abort), writes are dropped.
 */
#ifndef DMAKIT_LINUX_IO_H
#define DMAKIT_LINUX_IO_H

#include <linux/types.h>
#include <dmakit/api.h>

/**
 * ioremap() - map a device's register window for the CPU
 * @phys: physical address inside a device's window
 * @size: bytes; the range must lie within that one window
 *
 * Context: process. Return: the mapping, or NULL (logged) if the range is
 * not inside one device's window.
 */
DK_API void __iomem *ioremap(phys_addr_t phys, size_t size);

/** iounmap() - forget a mapping (no-op: mappings are address arithmetic) */
DK_API void iounmap(volatile void __iomem *addr);

DK_API u8 readb(const volatile void __iomem *addr);
DK_API u16 readw(const volatile void __iomem *addr);
DK_API u32 readl(const volatile void __iomem *addr);
DK_API u64 readq(const volatile void __iomem *addr);
DK_API void writeb(u8 val, volatile void __iomem *addr);
DK_API void writew(u16 val, volatile void __iomem *addr);
DK_API void writel(u32 val, volatile void __iomem *addr);
DK_API void writeq(u64 val, volatile void __iomem *addr);

#define readb_relaxed readb
#define readw_relaxed readw
#define readl_relaxed readl
#define readq_relaxed readq
#define writeb_relaxed writeb
#define writew_relaxed writew
#define writel_relaxed writel
#define writeq_relaxed writeq

/* lo_hi 64-bit access for devices with 32-bit registers only. */
static inline void lo_hi_writeq(u64 val, volatile void __iomem *addr)
{
	writel((u32)val, addr);
	writel((u32)(val >> 32), (volatile char __iomem *)addr + 4);
}

static inline u64 lo_hi_readq(const volatile void __iomem *addr)
{
	u64 lo = readl(addr);

	return lo | (u64)readl((const volatile char __iomem *)addr + 4) << 32;
}

/*
 * The CPU's view of simulated RAM. virt_to_phys() of memory that is not in
 * simulated RAM (stack, malloc) returns DK_PHYS_INVALID; phys_to_virt() of
 * an address that is not RAM returns NULL.
 */
#define DK_PHYS_INVALID ((phys_addr_t)~0ull)

DK_API phys_addr_t virt_to_phys(const volatile void *addr);
DK_API void *phys_to_virt(phys_addr_t phys);

#endif
