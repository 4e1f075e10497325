// SPDX-License-Identifier: MIT
/*
 * machine.c - create and destroy the machine: bring its subsystems up in
 * layer order (services, hardware, software) and down in reverse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/platform_device.h>
#include <dmakit/machine.h>
#include "core/internal.h"
#include "hw/internal.h"
#include "kernel/internal.h"

void dk_machine_config_init(struct dk_machine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_ram = 2;
	cfg->ram[0].base = DK_RAM_LOW_BASE;
	cfg->ram[0].size = DK_RAM_LOW_SIZE;
	cfg->ram[1].base = DK_RAM_HIGH_BASE;
	cfg->ram[1].size = DK_RAM_HIGH_SIZE;
	cfg->nr_irqs = 256;
	cfg->hw_cpu = -1;
}

struct dk_machine *dk_machine_current(void)
{
	return __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);
}

/* Subsystems in bring-up order; torn down in reverse. */
struct subsys {
	const char *name;
	int (*init)(struct dk_machine *m);
	int (*exit)(struct dk_machine *m);
};

static int ram_exit(struct dk_machine *m)
{
	dk__ram_exit(m);
	return 0;
}

static int mmio_exit(struct dk_machine *m)
{
	dk__mmio_exit(m);
	return 0;
}

static int intc_exit(struct dk_machine *m)
{
	dk__intc_exit(m);
	return 0;
}

static int trace_exit(struct dk_machine *m)
{
	dk__trace_exit(m);
	return 0;
}

/* Board wiring: the IOMMU model and its built-in driver, when configured. */
static int board_iommu_init(struct dk_machine *m)
{
	int ret;

	if (!m->cfg.iommu.present)
		return 0;
	ret = dk__iommu_hw_add(m);
	if (ret)
		return ret;
	return dk__iommu_driver_init(m);
}

static int board_iommu_exit(struct dk_machine *m)
{
	if (!m->cfg.iommu.present)
		return 0;
	return dk__iommu_driver_exit(m);
}

static int cpus_exit(struct dk_machine *m)
{
	dk__cpus_exit(m);
	return 0;
}

static const struct subsys subsystems[] = {
	{ "cpus", dk__cpus_init, cpus_exit },
	{ "trace", dk__trace_init, trace_exit },
	{ "ram", dk__ram_init, ram_exit },
	{ "mmio", dk__mmio_init, mmio_exit },
	{ "intc", dk__intc_init, intc_exit },
	{ "mm", dk__mm_init, dk__mm_exit },
	{ "slab", dk__slab_init, dk__slab_exit },
	{ "irq", dk__irq_init, dk__irq_exit },
	{ "softirq", dk__softirq_init, dk__softirq_exit },
	{ "workqueue", dk__wq_init, dk__wq_exit },
	{ "bus", dk__bus_init, dk__bus_exit },
	{ "dmaengine", dk__dmaengine_init, dk__dmaengine_exit },
	{ "dma", dk__dma_init, dk__dma_exit },
	{ "dma-debug", dk__dma_debug_init, dk__dma_debug_exit },
	{ "iommu-core", dk__iommu_core_init, dk__iommu_core_exit },
	{ "iommu", board_iommu_init, board_iommu_exit },
	{ "dmac-driver", dk__dmac_driver_init, dk__dmac_driver_exit },
};

static int teardown(struct dk_machine *m, size_t upto)
{
	int leaks = 0;

	while (upto-- > 0)
		leaks += subsystems[upto].exit(m);
	return leaks;
}

int dk_machine_create(const struct dk_machine_config *cfg,
		      struct dk_machine **out)
{
	struct dk_machine *m, *expected = NULL;
	size_t i;
	int ret;

	if (!out) {
		dk__err("dk_machine_create: out is NULL");
		return -EINVAL;
	}
	*out = NULL;
	if (cfg && (cfg->nr_irqs < 2 || cfg->nr_irqs > 1024)) {
		dk__err("dk_machine_create: nr_irqs %u outside 2..1024",
			cfg->nr_irqs);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if (cfg)
		m->cfg = *cfg;
	else
		dk_machine_config_init(&m->cfg);
	pthread_mutex_init(&m->dev_lock, NULL);
	m->clock_origin_ns = dk__host_ns();

	if (!__atomic_compare_exchange_n(&dk__m, &expected, m, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		dk__err("dk_machine_create: a machine exists already (one per process)");
		free(m);
		return -EBUSY;
	}
	for (i = 0; i < sizeof(subsystems) / sizeof(subsystems[0]); i++) {
		ret = subsystems[i].init(m);
		if (ret) {
			dk__err("dk_machine_create: %s: %s", subsystems[i].name,
				strerror(-ret));
			goto err_teardown;
		}
	}
	*out = m;
	return 0;

err_teardown:
	teardown(m, i);
	__atomic_store_n(&dk__m, NULL, __ATOMIC_RELEASE);
	pthread_mutex_destroy(&m->dev_lock);
	free(m);
	return ret;
}

int dk_machine_destroy(struct dk_machine *m)
{
	int leaks;

	if (!m)
		return 0;
	if (m != dk__m) {
		dk__err("dk_machine_destroy: %p is not the current machine",
			(void *)m);
		return 0;
	}
	/* Software lets go of the devices, then the devices stop. */
	dk__bus_unbind_all(m);
	dk__devices_stop(m);
	dk__devices_release(m);
	leaks = teardown(m, sizeof(subsystems) / sizeof(subsystems[0]));
	if (leaks)
		dk__err("dk_machine_destroy: %d leak report%s above", leaks,
			leaks == 1 ? "" : "s");
	__atomic_store_n(&dk__m, NULL, __ATOMIC_RELEASE);
	pthread_mutex_destroy(&m->dev_lock);
	free(m);
	return leaks;
}
