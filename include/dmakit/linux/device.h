/* SPDX-License-Identifier: MIT */
/*
 * linux/device.h - struct device, drivers, and dev_*() logging.
 *
 * Differs from Linux: no kobject, no sysfs, no reference counting; a device
 * lives from dk_machine_add_*() to dk_machine_destroy(). The fields the DMA
 * API reads (masks, dma_parms, the IOMMU group) are the kernel's.
 */
#ifndef DMAKIT_LINUX_DEVICE_H
#define DMAKIT_LINUX_DEVICE_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/printk.h>
#include <dmakit/api.h>

struct device;
struct iommu_group;
struct dev_iommu;
struct dma_map_ops;

struct device_driver {
	const char *name;
};

/* Segment limits the DMA API honours when it merges scatterlists. */
struct device_dma_parameters {
	unsigned int max_segment_size;
	unsigned int min_align_mask;
	unsigned long segment_boundary_mask;
};

/**
 * struct device - what the kernel knows of a device
 * @init_name: instance name (dev_name())
 * @driver: the bound driver, NULL when none
 * @driver_data: dev_set_drvdata()
 * @dma_mask: points at @dma_mask_store once the bus sets it up
 * @coherent_dma_mask: mask for dma_alloc_coherent()
 * @bus_dma_limit: what the bus between device and memory can carry
 * @dma_parms: segment limits (points at @dma_parms_store)
 * @iommu_group: the device's group once the IOMMU core has seen it
 * @iommu: IOMMU core's per-device data
 * @dma_ops_priv: the DMA-mapping layer's per-device data
 * @dma_ops: the device's DMA backend; NULL means dma-direct (see
 *           <linux/dma-map-ops.h>: get_dma_ops(), set_dma_ops())
 * @requester_id: bus:dev.fn, as the IOMMU sees it (a PCI-style property the
 *                platform gives every device here)
 * @dma_bits_hint: address bits the hardware drives, as a datasheet says;
 *                 the DMA mask is still the driver's to set
 * @iommu_group_hint: the board's grouping (dk_device_config.iommu_group):
 *                    devices with the same non-negative value share a
 *                    group; -1 means a group of its own
 */
struct device {
	const char *init_name;
	struct device *parent;
	struct device_driver *driver;
	void *driver_data;
	u64 *dma_mask;
	u64 coherent_dma_mask;
	u64 bus_dma_limit;
	struct device_dma_parameters *dma_parms;
	struct iommu_group *iommu_group;
	struct dev_iommu *iommu;
	void *dma_ops_priv;
	const struct dma_map_ops *dma_ops;
	u16 requester_id;
	unsigned int dma_bits_hint;
	int iommu_group_hint;

	u64 dma_mask_store;
	struct device_dma_parameters dma_parms_store;
};

static inline const char *dev_name(const struct device *dev)
{
	return dev->init_name ? dev->init_name : "(no name)";
}

static inline void dev_set_drvdata(struct device *dev, void *data)
{
	dev->driver_data = data;
}

static inline void *dev_get_drvdata(const struct device *dev)
{
	return dev->driver_data;
}

/** dev_printk() - printk() prefixed with the driver and device names */
DK_API void dev_printk(const char *level, const struct device *dev,
		       const char *fmt, ...) DK_PRINTF(3, 4);

#define dev_err(dev, fmt, ...)  dev_printk(KERN_ERR, dev, fmt, ##__VA_ARGS__)
#define dev_warn(dev, fmt, ...) dev_printk(KERN_WARNING, dev, fmt, ##__VA_ARGS__)
#define dev_info(dev, fmt, ...) dev_printk(KERN_INFO, dev, fmt, ##__VA_ARGS__)
#define dev_dbg(dev, fmt, ...)  dev_printk(KERN_DEBUG, dev, fmt, ##__VA_ARGS__)

#endif
