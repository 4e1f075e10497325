// SPDX-License-Identifier: MIT
/*
 * iommu.c - the DK-IOMMU model (docs/hw/iommu.md); being written.
 */
#include <errno.h>
#include "hw/internal.h"

int dk__iommu_hw_add(struct dk_machine *m)
{
	(void)m;
	dk__err("iommu: the DK-IOMMU model is not built yet");
	return -ENODEV;
}
