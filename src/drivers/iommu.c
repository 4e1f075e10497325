// SPDX-License-Identifier: MIT
/*
 * iommu.c - driver for DK-IOMMU (docs/hw/iommu.md); being written.
 */
#include <errno.h>
#include "kernel/internal.h"

int dk__iommu_driver_init(struct dk_machine *m)
{
	(void)m;
	dk__err("iommu: the DK-IOMMU driver is not built yet");
	return -ENODEV;
}

int dk__iommu_driver_exit(struct dk_machine *m)
{
	(void)m;
	return 0;
}
