/* SPDX-License-Identifier: MIT */
/*
 * tmodel.h - a tiny register-file device model for tests of the device
 * core, the MMIO bus and the platform bus.
 *
 * 16 32-bit registers at 0x00..0x3c (64-bit access allowed), two vectors.
 * A write to TM_DOORBELL kicks the device thread; each run counts itself
 * and raises vector 0 if TM_IRQ_ON is non-zero. Offsets 0x40 and up are
 * unknown: logged, reads return 0.
 */
#ifndef DK_TMODEL_H
#define DK_TMODEL_H

#include <dmakit/hw/device.h>

#define TM_REG0		0x00
#define TM_IRQ_ON	0x08
#define TM_DOORBELL	0x3c
#define TM_NR_REGS	16

struct tmodel {
	struct dk_hw_dev hw;
	uint32_t regs[TM_NR_REGS];	/* under hw.reg_lock */
	int runs;			/* atomic */
	int *released;			/* set to 1 by release, if non-NULL */
};

extern const struct dk_hw_ops tmodel_ops;
extern const struct dk_hw_ops tmodel_nothread_ops;

/*
 * calloc a model and add it with @ops; returns dk_hw_device_add()'s result
 * (on failure the core has released the model and *@out_model is NULL).
 */
int tmodel_add(struct dk_machine *m, const struct dk_device_config *cfg,
	       const struct dk_hw_ops *ops, struct tmodel **out_model,
	       struct platform_device **out_pdev);

/*
 * Capture the log, create a machine (@cfg NULL: the default one) and add
 * one tmodel_nothread_ops model; NULL on failure. *@tm and *@dev receive
 * the model and its struct device. Tear down with dk_test_machine_down().
 */
struct device;
struct dk_machine *tmodel_machine_up(const struct dk_machine_config *cfg,
				     struct tmodel **tm, struct device **dev);

#endif
