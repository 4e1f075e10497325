/* SPDX-License-Identifier: MIT */
/*
 * linux/ioport.h - struct resource: a device's register window or vectors.
 */
#ifndef DMAKIT_LINUX_IOPORT_H
#define DMAKIT_LINUX_IOPORT_H

#include <linux/types.h>

#define IORESOURCE_IO	0x00000100
#define IORESOURCE_MEM	0x00000200
#define IORESOURCE_IRQ	0x00000400
#define IORESOURCE_TYPE_BITS 0x00001f00

struct resource {
	resource_size_t start;
	resource_size_t end;	/* inclusive, as in Linux */
	const char *name;
	unsigned long flags;
};

static inline resource_size_t resource_size(const struct resource *r)
{
	return r->end - r->start + 1;
}

static inline unsigned long resource_type(const struct resource *r)
{
	return r->flags & IORESOURCE_TYPE_BITS;
}

#endif
