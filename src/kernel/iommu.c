// SPDX-License-Identifier: MIT
/*
 * iommu.c - the IOMMU core (being written: groups, domains, map/unmap, the
 * flush queue). Until an IOMMU driver registers, a device has no group and
 * no domain, which is what a machine without an IOMMU means.
 */
#include "kernel/internal.h"

int dk__iommu_core_init(struct dk_machine *m)
{
	(void)m;
	return 0;
}

int dk__iommu_core_exit(struct dk_machine *m)
{
	(void)m;
	return 0;
}

void dk__iommu_probe_device(struct device *dev)
{
	(void)dev;
}
