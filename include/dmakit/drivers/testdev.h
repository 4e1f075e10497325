/* SPDX-License-Identifier: MIT */
/*
 * drivers/testdev.h - client API of the test copy device's driver
 * (src/drivers/testdev.c, platform driver "dk-testdev").
 *
 * Register the driver once the machine exists; it binds to every test
 * device, present or added later. A client finds a bound device and asks it
 * to copy or fill. Each device runs one transfer at a time: synchronous
 * callers queue behind each other; an asynchronous request made while a
 * transfer is in flight fails with -EBUSY.
 *
 * Bus addresses are physical addresses (virt_to_phys() of kmalloc() or
 * alloc_pages() memory): there is no DMA mapping API yet, so the driver
 * passes what it is given straight to the device. Later issues add
 * dma_map_single() and the IOMMU; then the addresses come from there.
 */
#ifndef DMAKIT_DRIVERS_TESTDEV_H
#define DMAKIT_DRIVERS_TESTDEV_H

#include <stddef.h>
#include <linux/types.h>
#include <dmakit/api.h>

struct platform_device;
struct dk_testdev;

/**
 * typedef dk_testdev_done_fn - an asynchronous transfer finished
 * @arg: the client's pointer
 * @result: 0, -EFAULT (the device reported a DMA fault), -EIO (another
 *          device error), -ENODEV (the driver unbound before it finished)
 *
 * Context: hard-IRQ (the driver's interrupt handler) for a finished
 * transfer; process (the unbinding thread) for -ENODEV. Must not sleep;
 * may start the next transfer on the same device.
 */
typedef void (*dk_testdev_done_fn)(void *arg, int result);

/**
 * dk_testdev_driver_register() - register the "dk-testdev" platform driver
 *
 * Probes every test device on the machine; ones added later are probed
 * when they appear. A device whose probe fails stays unbound (logged).
 * Context: process. Return: 0, or what platform_driver_register() returns
 * (-EBUSY if already registered, -ENODEV without a machine).
 */
DK_API int dk_testdev_driver_register(void);

/**
 * dk_testdev_driver_unregister() - unbind from every device, unregister
 *
 * Each bound device's in-flight transfer is aborted and its client told
 * -ENODEV; handles from dk_testdev_get() become invalid.
 * Context: process; not concurrently with calls on the same devices.
 */
DK_API void dk_testdev_driver_unregister(void);

/**
 * dk_testdev_get() - the @index-th bound test device, in binding order
 * @index: 0 for the first
 *
 * Context: process; takes the driver's device-list mutex.
 * Return: a handle valid until the driver unbinds from it, or NULL.
 */
DK_API struct dk_testdev *dk_testdev_get(unsigned int index);

/**
 * dk_testdev_from_pdev() - the handle of @pdev if this driver is bound to it
 * Context: process. Return: the handle or NULL.
 */
DK_API struct dk_testdev *dk_testdev_from_pdev(struct platform_device *pdev);

/** dk_testdev_name() - the device's instance name ("" for NULL) */
DK_API const char *dk_testdev_name(const struct dk_testdev *td);

/**
 * dk_testdev_copy() - copy @len bytes from bus address @src to @dst, wait
 * @td: the device
 * @dst: destination bus address
 * @src: source bus address (must not overlap @dst)
 * @len: 1 .. 0xffffffff bytes
 *
 * Waits for the interrupt, at most a generous time for @len (1 s plus
 * 10 ms per MiB); on timeout the transfer is aborted.
 * Context: process (sleeps); serializes with other callers on @td.
 * Return: 0; -EINVAL (bad argument, logged); -EFAULT (DMA fault reported
 * by the device: nothing beyond the faulting burst was written); -EIO
 * (another device error); -ETIMEDOUT; -ENODEV (driver unbound meanwhile);
 * -EBUSY (an asynchronous transfer is in flight).
 */
DK_API int dk_testdev_copy(struct dk_testdev *td, dma_addr_t dst,
			   dma_addr_t src, size_t len);

/**
 * dk_testdev_fill() - write @len bytes of the 8-byte @pattern at @dst, wait
 *
 * Byte i of the destination is byte (i mod 8) of @pattern, least
 * significant first. Context and return: as dk_testdev_copy().
 */
DK_API int dk_testdev_fill(struct dk_testdev *td, dma_addr_t dst, u64 pattern,
			   size_t len);

/**
 * dk_testdev_copy_async() - start a copy; @done is called when it ends
 * @td: the device
 * @dst: destination bus address
 * @src: source bus address
 * @len: 1 .. 0xffffffff bytes
 * @done: called exactly once if this returns 0 (see dk_testdev_done_fn)
 * @arg: passed to @done
 *
 * Context: process, or a done callback (does not sleep).
 * Return: 0 (started); -EINVAL; -EBUSY (a transfer is in flight); -ENODEV.
 */
DK_API int dk_testdev_copy_async(struct dk_testdev *td, dma_addr_t dst,
				 dma_addr_t src, size_t len,
				 dk_testdev_done_fn done, void *arg);

/** dk_testdev_fill_async() - start a fill; see dk_testdev_copy_async() */
DK_API int dk_testdev_fill_async(struct dk_testdev *td, dma_addr_t dst,
				 u64 pattern, size_t len,
				 dk_testdev_done_fn done, void *arg);

#endif
