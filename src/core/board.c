// SPDX-License-Identifier: MIT
/*
 * board.c - the board file: placing the DMA controller and the FIFO
 * peripheral, and wiring a peripheral to a controller as a device tree or
 * board file would (request line, peer-to-peer access, dmaengine slave map).
 *
 * LOCKING: none of its own; the helpers take m->dev_lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/device.h>
#include <linux/platform_device.h>
#include <dmakit/machine.h>
#include "core/internal.h"
#include "hw/internal.h"
#include "kernel/internal.h"

static bool board_machine_ok(struct dk_machine *m, const char *fn)
{
	if (!m || m != dk__m) {
		dk__err("%s: %p is not the current machine", fn, (void *)m);
		return false;
	}
	return true;
}

int dk_machine_add_dmac(struct dk_machine *m,
			const struct dk_device_config *cfg,
			struct platform_device **out)
{
	if (out)
		*out = NULL;
	if (!board_machine_ok(m, "dk_machine_add_dmac"))
		return -EINVAL;
	return dk__dmac_add(m, cfg, out);
}

int dk_machine_add_fifo(struct dk_machine *m,
			const struct dk_device_config *cfg,
			struct platform_device **out)
{
	if (out)
		*out = NULL;
	if (!board_machine_ok(m, "dk_machine_add_fifo"))
		return -EINVAL;
	return dk__fifo_add(m, cfg, out);
}

int dk_machine_connect_dma(struct dk_machine *m, struct platform_device *periph,
			   unsigned int req, const char *name,
			   struct platform_device *dmac, unsigned int line)
{
	struct dk_hw_dev *p_hw, *d_hw;
	int ret;

	if (!board_machine_ok(m, "dk_machine_connect_dma"))
		return -EINVAL;
	if (!name || !name[0]) {
		dk__err("dk_machine_connect_dma: the channel name is NULL or empty");
		return -EINVAL;
	}
	p_hw = dk__hw_dev_of(m, periph);
	d_hw = dk__hw_dev_of(m, dmac);
	if (!p_hw || !d_hw) {
		dk__err("dk_machine_connect_dma: %s is NULL or not a device of this machine",
			!p_hw ? "the peripheral" : "the DMA controller");
		return -EINVAL;
	}
	if (p_hw == d_hw) {
		dk__err("dk_machine_connect_dma: %s cannot serve itself",
			p_hw->name);
		return -EINVAL;
	}
	ret = dk__dmareq_connect(m, p_hw, req, d_hw, line);
	if (ret)
		return ret;
	ret = dk_machine_enable_p2p(m, dmac, periph);
	if (ret)
		return ret;
	return dk__dma_slave_map_add(m, dev_name(&periph->dev), name, dmac,
				     line);
}
