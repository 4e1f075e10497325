// SPDX-License-Identifier: MIT
/*
 * testdev_copy.c - the smallest complete dmakit program: a machine, the
 * test copy device and its driver, one copy between two kmalloc() buffers,
 * a check, and a clean teardown.
 *
 * Build against the installed library:
 *   cc testdev_copy.c $(pkg-config --cflags --libs dmakit)
 */
#include <stdio.h>
#include <string.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <dmakit/drivers/testdev.h>
#include <dmakit/machine.h>

#define LEN 65536

int main(void)
{
	struct platform_device *pdev;
	struct dk_machine *m;
	struct dk_testdev *td;
	unsigned char *src, *dst;
	int ret, leaks;

	ret = dk_machine_create(NULL, &m);
	if (ret) {
		fprintf(stderr, "dk_machine_create: %d\n", ret);
		return 1;
	}
	ret = dk_machine_add_testdev(m, NULL, &pdev);
	if (!ret)
		ret = dk_testdev_driver_register();
	td = dk_testdev_from_pdev(pdev);
	if (ret || !td) {
		fprintf(stderr, "no bound test device (%d)\n", ret);
		dk_machine_destroy(m);
		return 1;
	}

	/* Buffers in simulated RAM; without an IOMMU, bus = physical. */
	src = kmalloc(LEN, GFP_KERNEL);
	dst = kzalloc(LEN, GFP_KERNEL);
	if (src && dst) {
		for (int i = 0; i < LEN; i++)
			src[i] = (unsigned char)(i * 7);
		ret = dk_testdev_copy(td, virt_to_phys(dst), virt_to_phys(src),
				      LEN);
		if (!ret && memcmp(src, dst, LEN))
			ret = -1;
		printf("copy of %d bytes by %s: %s\n", LEN, dk_testdev_name(td),
		       ret ? "FAILED" : "ok");
	} else {
		ret = -1;
	}
	kfree(src);
	kfree(dst);

	dk_testdev_driver_unregister();
	leaks = dk_machine_destroy(m);
	return ret || leaks ? 1 : 0;
}
