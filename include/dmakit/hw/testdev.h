/* SPDX-License-Identifier: MIT */
/*
 * hw/testdev.h - the test copy device's hardware interface, as published in
 * its datasheet (docs/hw/testdev.md).
 *
 * Interface: one 4 KiB register window of 32-bit registers (32- or 64-bit
 * accesses, naturally aligned; a 64-bit access is the low half then the high
 * half), one interrupt vector (index 0), one DMA port that reads and writes
 * RAM by bus address. Model name and platform driver name: "dk-testdev".
 *
 * This header is for model authors, tests and tools that decode register
 * traffic. Drivers are written from the datasheet and keep their own
 * definitions (src/drivers/testdev.c does), as a vendor's driver would.
 */
#ifndef DMAKIT_HW_TESTDEV_H
#define DMAKIT_HW_TESTDEV_H

#define TESTDEV_NAME		"dk-testdev"
#define TESTDEV_MMIO_SIZE	0x1000
#define TESTDEV_NR_IRQS		1
/* The device moves data in bursts through an internal buffer this big. */
#define TESTDEV_BURST		0x10000u

#define TESTDEV_ID		0x000	/* RO */
#define   TESTDEV_ID_VALUE	0x444b5444u	/* ASCII "DKTD" */
#define TESTDEV_VERSION		0x004	/* RO: major << 16 | minor */
#define   TESTDEV_VERSION_VALUE	0x00010000u	/* 1.0 */
#define TESTDEV_CTRL		0x008	/* RW */
#define   TESTDEV_CTRL_OP_MASK	0x3u		/* operation, latched */
#define   TESTDEV_CTRL_OP_COPY	0x0u
#define   TESTDEV_CTRL_OP_FILL	0x1u
#define   TESTDEV_CTRL_IRQ_EN	(1u << 8)	/* master interrupt enable */
#define   TESTDEV_CTRL_RW_MASK	(TESTDEV_CTRL_OP_MASK | TESTDEV_CTRL_IRQ_EN)
#define TESTDEV_SRC_LO		0x010	/* RW: source bus address [31:0] */
#define TESTDEV_SRC_HI		0x014	/* RW: source bus address [63:32] */
#define TESTDEV_DST_LO		0x018	/* RW: destination bus address */
#define TESTDEV_DST_HI		0x01c	/* RW */
#define TESTDEV_LEN		0x020	/* RW: bytes, 1 .. 0xffffffff */
#define TESTDEV_FILL_LO		0x028	/* RW: fill pattern [31:0] */
#define TESTDEV_FILL_HI		0x02c	/* RW: fill pattern [63:32] */
#define TESTDEV_DOORBELL	0x030	/* WO, reads 0 */
#define   TESTDEV_DB_START	(1u << 0)
#define   TESTDEV_DB_ABORT	(1u << 1)
#define TESTDEV_STATUS		0x034	/* RO */
#define   TESTDEV_STATE_MASK	0x3u
#define   TESTDEV_STATE_IDLE	0x0u
#define   TESTDEV_STATE_BUSY	0x1u
#define   TESTDEV_STATE_DONE	0x2u
#define   TESTDEV_STATE_ERROR	0x3u
#define   TESTDEV_ERR_SHIFT	8
#define   TESTDEV_ERR_MASK	(0xfu << TESTDEV_ERR_SHIFT)
#define   TESTDEV_ERR_NONE	0x0u
#define   TESTDEV_ERR_SRC_FAULT	0x1u	/* DMA read refused */
#define   TESTDEV_ERR_DST_FAULT	0x2u	/* DMA write refused */
#define   TESTDEV_ERR_ZERO_LEN	0x3u
#define   TESTDEV_ERR_BAD_OP	0x4u
#define   TESTDEV_ERR_ABORTED	0x5u
#define   TESTDEV_STATUS_REJECTED (1u << 16)	/* doorbell refused: busy */
#define TESTDEV_BYTES_DONE	0x038	/* RO: bytes moved by this transfer */
#define TESTDEV_INT_STATUS	0x040	/* RW1C */
#define   TESTDEV_INT_DONE	(1u << 0)
#define   TESTDEV_INT_ERROR	(1u << 1)
#define   TESTDEV_INT_REJECT	(1u << 2)
#define   TESTDEV_INT_ALL	0x7u
#define TESTDEV_INT_MASK	0x044	/* RW: 1 enables the source */

#endif
