// SPDX-License-Identifier: MIT
/*
 * bench_dev.c - a register-less device model for benchmarks: a bus master
 * the DMA path can count and the IOMMU can translate for, the bench thread
 * acting as the device. It has no thread and no interrupt.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <dmakit/hw/device.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/platform_device.h>
#include "bench.h"

static void bd_reset(struct dk_hw_dev *d)
{
	(void)d;
}

static uint64_t bd_read(struct dk_hw_dev *d, uint64_t off, unsigned int size)
{
	(void)d;
	(void)off;
	(void)size;
	return 0;
}

static void bd_write(struct dk_hw_dev *d, uint64_t off, uint64_t val,
		     unsigned int size)
{
	(void)d;
	(void)off;
	(void)val;
	(void)size;
}

static void bd_release(struct dk_hw_dev *d)
{
	free(d);
}

static const struct dk_hw_ops bench_dev_ops = {
	.name = "dk-benchdev",
	.mmio_size = 4096,
	.access_sizes = 4,
	.reset = bd_reset,
	.mmio_read = bd_read,
	.mmio_write = bd_write,
	.release = bd_release,
};

int dk_bench_dev_add(struct dk_machine *m, const struct dk_device_config *cfg,
		     struct dk_hw_dev **hw, struct platform_device **pdev)
{
	struct dk_hw_dev *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	/* On failure the core has released it. */
	ret = dk_hw_device_add(m, cfg, d, &bench_dev_ops, pdev);
	if (!ret && hw)
		*hw = d;
	return ret;
}

int dk_bench_iommu_up(bool lazy, struct dk_machine **m, struct device **dev,
		      struct iommu_domain **domain)
{
	struct dk_machine_config cfg;
	struct platform_device *pdev;
	struct iommu_domain *d;
	int ret;

	dk_machine_config_init(&cfg);
	cfg.iommu.present = true;
	cfg.iommu.lazy = lazy;
	ret = dk_machine_create(&cfg, m);
	if (ret)
		return ret;
	ret = dk_bench_dev_add(*m, NULL, NULL, &pdev);
	if (ret)
		goto err_destroy;
	*dev = &pdev->dev;
	ret = dma_set_mask_and_coherent(*dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_destroy;
	d = iommu_get_dma_domain(*dev);
	if (!d || d->type != (lazy ? IOMMU_DOMAIN_DMA_FQ : IOMMU_DOMAIN_DMA)) {
		fprintf(stderr, "bench: no %s default domain\n",
			lazy ? "DMA-FQ" : "DMA");
		ret = -ENODEV;
		goto err_destroy;
	}
	if (domain)
		*domain = d;
	return 0;

err_destroy:
	dk_machine_destroy(*m);
	*m = NULL;
	return ret;
}
