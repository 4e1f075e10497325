// SPDX-License-Identifier: MIT
/*
 * io.c - ioremap and the MMIO accessors: the CPU's door to device
 * registers.
 *
 * An ioremap()ed address is DK_MMIO_BASE-relative inside the bus's PROT_NONE
 * reservation, so decoding it is a subtraction; each accessor is one bus
 * transaction (dk__mmio_access), fully ordered with every other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io.h>
#include <linux/printk.h>
#include "hw/internal.h"

void __iomem *ioremap(phys_addr_t phys, size_t size)
{
	struct dk_machine *m = dk__m;
	struct dk_hw_dev *dev;

	if (!m) {
		pr_err("ioremap(0x%llx, %zu): no machine\n",
		       (unsigned long long)phys, size);
		return NULL;
	}
	dev = dk__mmio_dev_at(m, phys);
	if (!dev || !size || dk__mmio_dev_at(m, phys + size - 1) != dev ||
	    phys + size - 1 < phys) {
		pr_err("ioremap(0x%llx, %zu): not inside one device's register window\n",
		       (unsigned long long)phys, size);
		return NULL;
	}
	return m->mmio->host_window + (phys - DK_MMIO_BASE);
}

void iounmap(volatile void __iomem *addr)
{
	(void)addr;
}

/* Physical address of an ioremap()ed pointer, or 0 after logging. */
static uint64_t decode(struct dk_machine *m, const volatile void *addr,
		       const char *op)
{
	uintptr_t off;

	if (!m) {
		pr_err("%s(%p): no machine\n", op, (const void *)addr);
		return 0;
	}
	off = (uintptr_t)addr - (uintptr_t)m->mmio->host_window;
	if (off >= DK_MMIO_SIZE) {
		pr_err("%s(%p): not an address ioremap() returned\n", op,
		       (const void *)addr);
		return 0;
	}
	return DK_MMIO_BASE + off;
}

static uint64_t mmio_read(const volatile void *addr, unsigned int size,
			  const char *op)
{
	struct dk_machine *m = dk__m;
	uint64_t phys = decode(m, addr, op), val = ~0ull;

	if (phys)
		dk__mmio_access(m, phys, size, false, &val);
	return val;
}

static void mmio_write(volatile void *addr, uint64_t val, unsigned int size,
		       const char *op)
{
	struct dk_machine *m = dk__m;
	uint64_t phys = decode(m, addr, op);

	if (phys)
		dk__mmio_access(m, phys, size, true, &val);
}

u8 readb(const volatile void __iomem *addr)
{
	return (u8)mmio_read(addr, 1, "readb");
}

u16 readw(const volatile void __iomem *addr)
{
	return (u16)mmio_read(addr, 2, "readw");
}

u32 readl(const volatile void __iomem *addr)
{
	return (u32)mmio_read(addr, 4, "readl");
}

u64 readq(const volatile void __iomem *addr)
{
	return mmio_read(addr, 8, "readq");
}

void writeb(u8 val, volatile void __iomem *addr)
{
	mmio_write(addr, val, 1, "writeb");
}

void writew(u16 val, volatile void __iomem *addr)
{
	mmio_write(addr, val, 2, "writew");
}

void writel(u32 val, volatile void __iomem *addr)
{
	mmio_write(addr, val, 4, "writel");
}

void writeq(u64 val, volatile void __iomem *addr)
{
	mmio_write(addr, val, 8, "writeq");
}
