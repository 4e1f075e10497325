/* SPDX-License-Identifier: MIT */
/*
 * drivers/dmac.h - the DK-DMAC driver (src/drivers/dmac.c, platform driver
 * "dk-dmac"), a dmaengine provider.
 *
 * The driver is built in: dk_machine_create() registers it, so every
 * DK-DMAC placed with dk_machine_add_dmac() is probed and its channels are
 * registered with dmaengine at once; clients just request channels
 * (<linux/dmaengine.h>). These two calls exist to unbind and rebind the
 * controllers on a live machine (remove/rebind tests, a client that wants
 * the driver gone); calling dk_dmac_driver_register() while the driver is
 * registered does nothing and returns 0.
 */
#ifndef DMAKIT_DRIVERS_DMAC_H
#define DMAKIT_DRIVERS_DMAC_H

#include <dmakit/api.h>

/**
 * dk_dmac_driver_register() - register the DK-DMAC driver (if it is not)
 *
 * Probes every unbound "dk-dmac" device of the current machine.
 * Context: process. Return: 0 (also when registered already); -ENODEV (no
 * machine); the platform bus's error.
 */
DK_API int dk_dmac_driver_register(void);

/**
 * dk_dmac_driver_unregister() - unbind every DK-DMAC and unregister
 *
 * Each controller's remove unregisters its dma_device (channels still
 * held by clients are reported as leaks by dmaengine), aborts its channels
 * and frees its descriptors. The devices stay; dk_dmac_driver_register()
 * binds them again. Does nothing when the driver is not registered.
 * Context: process; not from a callback.
 */
DK_API void dk_dmac_driver_unregister(void);

#endif
