// SPDX-License-Identifier: MIT
/*
 * tmodel.c - see tmodel.h.
 *
 * LOCKING: regs under hw.reg_lock; runs is atomic.
 */
#include <errno.h>
#include <stdlib.h>
#include <dmakit/log.h>
#include <linux/platform_device.h>
#include "dk_test.h"
#include "tmodel.h"

static struct tmodel *to_tm(struct dk_hw_dev *d)
{
	return (struct tmodel *)d;
}

static void tm_reset(struct dk_hw_dev *d)
{
	for (int i = 0; i < TM_NR_REGS; i++)
		to_tm(d)->regs[i] = 0;
}

static uint64_t tm_read(struct dk_hw_dev *d, uint64_t off, unsigned int size)
{
	struct tmodel *t = to_tm(d);

	if (off + size > TM_NR_REGS * 4) {
		dk_log(DK_LOG_ERR, "%s: read of unknown register 0x%llx",
		       d->name, (unsigned long long)off);
		return 0;
	}
	if (size == 8)
		return t->regs[off / 4] | (uint64_t)t->regs[off / 4 + 1] << 32;
	return t->regs[off / 4];
}

static void tm_write(struct dk_hw_dev *d, uint64_t off, uint64_t val,
		     unsigned int size)
{
	struct tmodel *t = to_tm(d);

	if (off + size > TM_NR_REGS * 4) {
		dk_log(DK_LOG_ERR, "%s: write of unknown register 0x%llx",
		       d->name, (unsigned long long)off);
		return;
	}
	t->regs[off / 4] = (uint32_t)val;
	if (size == 8)
		t->regs[off / 4 + 1] = (uint32_t)(val >> 32);
	if (off == TM_DOORBELL && d->ops->run)
		dk_hw_kick(d);
}

static void tm_run(struct dk_hw_dev *d)
{
	struct tmodel *t = to_tm(d);
	uint32_t irq_on;

	pthread_mutex_lock(&d->reg_lock);
	irq_on = t->regs[TM_IRQ_ON / 4];
	pthread_mutex_unlock(&d->reg_lock);
	__atomic_add_fetch(&t->runs, 1, __ATOMIC_ACQ_REL);
	if (irq_on)
		dk_hw_irq_raise(d, 0);
}

static void tm_release(struct dk_hw_dev *d)
{
	struct tmodel *t = to_tm(d);

	if (t->released)
		*t->released = 1;
	free(t);
}

const struct dk_hw_ops tmodel_ops = {
	.name = "dk-tmodel",
	.mmio_size = 4096,
	.nr_irqs = 2,
	.access_sizes = 4 | 8,
	.reset = tm_reset,
	.mmio_read = tm_read,
	.mmio_write = tm_write,
	.run = tm_run,
	.release = tm_release,
};

const struct dk_hw_ops tmodel_nothread_ops = {
	.name = "dk-tmodel-nt",
	.mmio_size = 4096,
	.nr_irqs = 0,
	.access_sizes = 1 | 2 | 4 | 8,
	.reset = tm_reset,
	.mmio_read = tm_read,
	.mmio_write = tm_write,
	.release = tm_release,
};

struct dk_machine *tmodel_machine_up(const struct dk_machine_config *cfg,
				     struct tmodel **tm, struct device **dev)
{
	struct platform_device *pdev;
	struct dk_machine *m = dk_test_machine_up(cfg);

	if (!m)
		return NULL;
	if (tmodel_add(m, NULL, &tmodel_nothread_ops, tm, &pdev)) {
		dk_test_machine_down(m);
		return NULL;
	}
	*dev = &pdev->dev;
	return m;
}

int tmodel_add(struct dk_machine *m, const struct dk_device_config *cfg,
	       const struct dk_hw_ops *ops, struct tmodel **out_model,
	       struct platform_device **out_pdev)
{
	struct tmodel *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return -ENOMEM;
	if (out_model)
		*out_model = t;
	ret = dk_hw_device_add(m, cfg, &t->hw, ops, out_pdev);
	if (ret && out_model)
		*out_model = NULL;	/* released by the core */
	return ret;
}
