// SPDX-License-Identifier: MIT
/*
 * iommu_isolation.c - what an IOMMU is for: a device gets its own I/O
 * address space holding only what software mapped for it. A copy between
 * two mapped IOVAs works; a copy to memory nobody mapped for the device is
 * blocked before a byte moves, recorded, and reported to the domain's
 * fault handler.
 *
 * Build against the installed library:
 *   cc iommu_isolation.c $(pkg-config --cflags --libs dmakit)
 */
#include <stdio.h>
#include <string.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include <dmakit/drivers/testdev.h>
#include <dmakit/machine.h>

#define SRC_IOVA 0x10000000ul
#define DST_IOVA 0x20000000ul

static int faults;

/* Hard-IRQ context (the IOMMU driver's fault interrupt): no sleeping. */
static int on_fault(struct iommu_domain *dom, struct device *dev,
		    unsigned long iova, int flags, void *token)
{
	(void)dom;
	(void)token;
	__atomic_add_fetch(&faults, 1, __ATOMIC_RELAXED);
	printf("  fault handler: %s %s at IOVA 0x%lx\n", dev_name(dev),
	       flags & IOMMU_FAULT_WRITE ? "write" : "read", iova);
	return 0;
}

int main(void)
{
	struct dk_machine_config cfg;
	struct platform_device *pdev;
	struct iommu_domain *dom = NULL;
	struct page *src, *dst, *victim;
	struct dk_testdev *td;
	struct dk_machine *m;
	int ret = -1, leaks;

	dk_machine_config_init(&cfg);
	cfg.iommu.present = true;
	if (dk_machine_create(&cfg, &m))
		return 1;
	src = alloc_page(GFP_KERNEL);
	dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	victim = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (dk_machine_add_testdev(m, NULL, &pdev) ||
	    dk_testdev_driver_register() || !src || !dst || !victim)
		goto out;
	td = dk_testdev_from_pdev(pdev);

	/* The device's address space: two pages, nothing else. */
	dom = iommu_domain_alloc(&platform_bus_type);
	if (!dom || iommu_attach_device(dom, &pdev->dev))
		goto out;
	iommu_set_fault_handler(dom, on_fault, NULL);
	if (iommu_map(dom, SRC_IOVA, page_to_phys(src), PAGE_SIZE,
		      IOMMU_READ) ||
	    iommu_map(dom, DST_IOVA, page_to_phys(dst), PAGE_SIZE,
		      IOMMU_WRITE))
		goto out;

	memset(page_address(src), 0x5a, PAGE_SIZE);
	ret = dk_testdev_copy(td, DST_IOVA, SRC_IOVA, PAGE_SIZE);
	printf("copy IOVA 0x%lx -> 0x%lx: %s\n", SRC_IOVA, DST_IOVA,
	       !ret && !memcmp(page_address(src), page_address(dst), PAGE_SIZE)
	       ? "ok" : "FAILED");
	if (ret)
		goto out;

	/* The victim page's physical address means nothing to the device. */
	ret = dk_testdev_copy(td, page_to_phys(victim), SRC_IOVA, PAGE_SIZE);
	printf("copy to physical 0x%llx (not mapped for the device): %s\n",
	       (unsigned long long)page_to_phys(victim),
	       ret ? "blocked" : "NOT BLOCKED");
	ret = !ret || ((u8 *)page_address(victim))[0] != 0 ||
	      __atomic_load_n(&faults, __ATOMIC_RELAXED) != 1;

out:
	if (dom) {
		iommu_unmap(dom, SRC_IOVA, PAGE_SIZE);
		iommu_unmap(dom, DST_IOVA, PAGE_SIZE);
		iommu_detach_device(dom, &pdev->dev);
		iommu_domain_free(dom);
	}
	if (src)
		__free_page(src);
	if (dst)
		__free_page(dst);
	if (victim)
		__free_page(victim);
	dk_testdev_driver_unregister();
	leaks = dk_machine_destroy(m);
	return ret || leaks ? 1 : 0;
}
