/* SPDX-License-Identifier: MIT */
/*
 * hw/fifo.h - the DK-FIFO streaming peripheral's hardware interface, as
 * published in its datasheet (docs/hw/fifo.md).
 *
 * Interface: one 4 KiB register window (32- or 64-bit accesses, naturally
 * aligned), one interrupt vector (index 0), two DMA request outputs
 * (0: RX, 1: TX); not a bus master. Model name and platform driver name:
 * "dk-fifo".
 *
 * For model authors, tests and tools. Drivers are written from the
 * datasheet and keep their own definitions.
 */
#ifndef DMAKIT_HW_FIFO_H
#define DMAKIT_HW_FIFO_H

#define FIFO_NAME		"dk-fifo"
#define FIFO_MMIO_SIZE		0x1000
#define FIFO_DEPTH_BYTES	4096u
#define FIFO_REQ_RX		0
#define FIFO_REQ_TX		1

#define FIFO_ID			0x000
#define   FIFO_ID_VALUE		0x444b4649u	/* "DKFI" */
#define FIFO_VERSION		0x004
#define   FIFO_VERSION_VALUE	0x00010000u
#define FIFO_DEPTH		0x008
#define FIFO_CTRL		0x00c
#define   FIFO_CTRL_RX_EN	(1u << 0)
#define   FIFO_CTRL_TX_EN	(1u << 1)
#define   FIFO_CTRL_TX_CHECK	(1u << 2)
#define   FIFO_CTRL_RX_DMA	(1u << 4)
#define   FIFO_CTRL_TX_DMA	(1u << 5)
#define   FIFO_CTRL_RX_FLUSH	(1u << 8)
#define   FIFO_CTRL_TX_FLUSH	(1u << 9)
#define   FIFO_CTRL_RW_MASK	0x37u
#define FIFO_STATUS		0x010
#define   FIFO_ST_RX_REQ	(1u << 0)
#define   FIFO_ST_TX_REQ	(1u << 1)
#define   FIFO_ST_RX_EMPTY	(1u << 2)
#define   FIFO_ST_RX_FULL	(1u << 3)
#define   FIFO_ST_TX_EMPTY	(1u << 4)
#define   FIFO_ST_TX_FULL	(1u << 5)
#define FIFO_RX_LEVEL		0x014
#define FIFO_TX_LEVEL		0x018
#define FIFO_RX_THRESH		0x01c
#define FIFO_TX_THRESH		0x020
#define   FIFO_THRESH_RESET	64u
#define FIFO_RX_RATE		0x024
#define FIFO_TX_RATE		0x028
#define FIFO_SEED		0x02c
#define FIFO_INT_STATUS		0x030
#define FIFO_INT_MASK		0x034
#define   FIFO_INT_RX_AVAIL	(1u << 0)
#define   FIFO_INT_TX_SPACE	(1u << 1)
#define   FIFO_INT_RX_OVERRUN	(1u << 2)
#define   FIFO_INT_RX_UNDERRUN	(1u << 3)
#define   FIFO_INT_TX_OVERRUN	(1u << 4)
#define   FIFO_INT_TX_UNDERRUN	(1u << 5)
#define   FIFO_INT_TX_MISMATCH	(1u << 6)
#define   FIFO_INT_ALL		0x7fu
#define FIFO_RX_DROPPED		0x038
#define FIFO_TX_ERRORS		0x03c
#define FIFO_RX_DATA		0x040
#define FIFO_TX_DATA		0x048
#define FIFO_RX_COUNT		0x050	/* 64 */
#define FIFO_TX_COUNT		0x058	/* 64 */

/* Byte @i of a stream with @seed. */
#define FIFO_PATTERN(i, seed)	((unsigned char)((i) * 7u + (seed)))

#endif
