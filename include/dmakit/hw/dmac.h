/* SPDX-License-Identifier: MIT */
/*
 * hw/dmac.h - the DK-DMAC DMA controller's hardware interface, as published
 * in its datasheet (docs/hw/dmac.md).
 *
 * Interface: one 4 KiB register window (32- or 64-bit accesses, naturally
 * aligned; a 64-bit access is the low half then the high half), 8
 * interrupt vectors (index n: channel n), 16 DMA request inputs, one DMA
 * port (descriptor fetch, data, status write-back). Model name and platform
 * driver name: "dk-dmac".
 *
 * For model authors, tests and tools. Drivers are written from the
 * datasheet and keep their own definitions.
 */
#ifndef DMAKIT_HW_DMAC_H
#define DMAKIT_HW_DMAC_H

#define DMAC_NAME		"dk-dmac"
#define DMAC_MMIO_SIZE		0x1000
#define DMAC_NCHAN		8
#define DMAC_NREQ		16
#define DMAC_MAX_BURST		0x10000u	/* copy/fill bytes per turn */

#define DMAC_ID			0x000
#define   DMAC_ID_VALUE		0x444b4443u	/* "DKDC" */
#define DMAC_VERSION		0x004
#define   DMAC_VERSION_VALUE	0x00010000u
#define DMAC_CAP		0x008
#define   DMAC_CAP_VALUE	(0xf0000000u | 0x0f000000u | (7u << 16) | \
				 (0x0fu << 8) | DMAC_NCHAN)
#define DMAC_GINT_STATUS	0x010
#define DMAC_GCTRL		0x014
#define   DMAC_GCTRL_RESET	(1u << 0)

#define DMAC_CH_BASE		0x100
#define DMAC_CH_STRIDE		0x40
#define DMAC_CH(n)		(DMAC_CH_BASE + DMAC_CH_STRIDE * (n))
#define DMAC_CH_CTRL		0x00
#define   DMAC_CTRL_EN		(1u << 0)
#define   DMAC_CTRL_REQ_SHIFT	8
#define   DMAC_CTRL_REQ_MASK	(0xfu << DMAC_CTRL_REQ_SHIFT)
#define DMAC_CH_CMD		0x04
#define   DMAC_CMD_START	(1u << 0)
#define   DMAC_CMD_PAUSE	(1u << 1)
#define   DMAC_CMD_RESUME	(1u << 2)
#define   DMAC_CMD_ABORT	(1u << 3)
#define DMAC_CH_STATUS		0x08
#define   DMAC_STATE_MASK	0x3u
#define   DMAC_STATE_IDLE	0u
#define   DMAC_STATE_BUSY	1u
#define   DMAC_STATE_PAUSED	2u
#define   DMAC_STATE_ERROR	3u
#define   DMAC_ERR_SHIFT	8
#define   DMAC_ERR_MASK		(0xffu << DMAC_ERR_SHIFT)
#define DMAC_CH_DESC_PTR	0x10	/* 64 */
#define DMAC_CH_CUR_DESC	0x18	/* 64, RO */
#define DMAC_CH_BYTES		0x20
#define DMAC_CH_INT_STATUS	0x24
#define DMAC_CH_INT_MASK	0x28
#define   DMAC_INT_DONE		(1u << 0)
#define   DMAC_INT_ERROR	(1u << 1)
#define   DMAC_INT_ABORTED	(1u << 2)
#define   DMAC_INT_IDLE		(1u << 3)
#define   DMAC_INT_ALL		0xfu
#define DMAC_CH_COMPLETED	0x2c

/* Error codes (STATUS.ERR, RESULT.ERR). */
#define DMAC_ERR_DESC_FETCH	0x01
#define DMAC_ERR_DESC_INVALID	0x02
#define DMAC_ERR_READ		0x03
#define DMAC_ERR_WRITE		0x04
#define DMAC_ERR_STATUS_WB	0x05
#define DMAC_ERR_ALIGN		0x06

/* Descriptor layout. */
#define DMAC_DESC_SIZE		64
#define DMAC_D_SRC		0x00
#define DMAC_D_DST		0x08
#define DMAC_D_LEN		0x10
#define DMAC_D_CTL		0x14
#define   DMAC_OP_MASK		0xfu
#define   DMAC_OP_COPY		0u
#define   DMAC_OP_FILL		1u
#define   DMAC_OP_DEV_TO_MEM	2u
#define   DMAC_OP_MEM_TO_DEV	3u
#define   DMAC_CTL_IRQ		(1u << 4)
#define   DMAC_CTL_LAST		(1u << 5)
#define   DMAC_CTL_WIDTH_SHIFT	8
#define   DMAC_CTL_WIDTH_MASK	(7u << DMAC_CTL_WIDTH_SHIFT)
#define   DMAC_CTL_BURST_SHIFT	12
#define   DMAC_CTL_BURST_MASK	(7u << DMAC_CTL_BURST_SHIFT)
#define   DMAC_CTL_RESERVED	(~(DMAC_OP_MASK | DMAC_CTL_IRQ |	\
				   DMAC_CTL_LAST | (3u << 8) |		\
				   DMAC_CTL_BURST_MASK))
#define DMAC_D_NEXT		0x18
#define DMAC_D_RESULT		0x20
#define   DMAC_RESULT_DONE	(1u << 31)
#define   DMAC_RESULT_ERR_MASK	0xffu
#define DMAC_D_RBYTES		0x24

#endif
