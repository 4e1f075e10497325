/* SPDX-License-Identifier: MIT */
/*
 * dmac_desc.h - a DK-DMAC descriptor (docs/hw/dmac.md section 3) written
 * by a test that drives the controller by its registers: 64 bytes at @p,
 * reserved words 0, RESULT/RBYTES cleared.
 */
#ifndef DK_TEST_DMAC_DESC_H
#define DK_TEST_DMAC_DESC_H

#include <stdint.h>
#include <string.h>
#include <dmakit/hw/dmac.h>

static inline void dk_test_dmac_desc(void *p, uint64_t src, uint64_t dst,
				     uint32_t len, uint32_t ctl,
				     uint64_t next)
{
	uint8_t *d = p;

	memset(d, 0, DMAC_DESC_SIZE);
	memcpy(d + DMAC_D_SRC, &src, 8);
	memcpy(d + DMAC_D_DST, &dst, 8);
	memcpy(d + DMAC_D_LEN, &len, 4);
	memcpy(d + DMAC_D_CTL, &ctl, 4);
	memcpy(d + DMAC_D_NEXT, &next, 8);
}

#endif
