/* SPDX-License-Identifier: MIT */
/*
 * linux/platform_device.h - the platform bus: devices the machine placed,
 * drivers that bind to them by name.
 *
 * dk_machine_add_*() publishes a platform device named after its model
 * ("dk-testdev") with an IORESOURCE_MEM window and IORESOURCE_IRQ vectors.
 * platform_driver_register() probes every unbound device whose name matches;
 * a device added later is probed when it appears. Unregistering (or
 * destroying the machine) calls remove for each bound device.
 */
#ifndef DMAKIT_LINUX_PLATFORM_DEVICE_H
#define DMAKIT_LINUX_PLATFORM_DEVICE_H

#include <linux/device.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <dmakit/api.h>

struct platform_device {
	const char *name;	/* model name, matched against drivers */
	int id;			/* instance number among devices of that name */
	struct device dev;
	u32 num_resources;
	struct resource *resource;
};

#define to_platform_device(d) container_of((d), struct platform_device, dev)

struct platform_driver {
	int (*probe)(struct platform_device *pdev);
	int (*remove)(struct platform_device *pdev);
	struct device_driver driver;	/* .name is matched */
};

/**
 * platform_driver_register() - register @drv and probe matching devices
 *
 * A probe that fails leaves that device unbound (its error is logged) and
 * does not fail the registration, as in Linux.
 * Context: process. Return: 0, -EINVAL (no name or probe), -EBUSY (already
 * registered), -ENODEV (no machine).
 */
DK_API int platform_driver_register(struct platform_driver *drv);

/** platform_driver_unregister() - call remove for each bound device */
DK_API void platform_driver_unregister(struct platform_driver *drv);

/** platform_get_resource() - the @num-th resource of @type, or NULL */
DK_API struct resource *platform_get_resource(struct platform_device *pdev,
					      unsigned int type,
					      unsigned int num);

/** platform_get_irq() - the @num-th vector (> 0), or -ENXIO */
DK_API int platform_get_irq(struct platform_device *pdev, unsigned int num);

static inline void platform_set_drvdata(struct platform_device *pdev,
					void *data)
{
	dev_set_drvdata(&pdev->dev, data);
}

static inline void *platform_get_drvdata(const struct platform_device *pdev)
{
	return dev_get_drvdata(&pdev->dev);
}

#endif
