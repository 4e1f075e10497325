// SPDX-License-Identifier: MIT
/*
 * iommu_test.c - the DK-IOMMU driver (src/drivers/iommu*.c) end to end:
 * the IOMMU core API on a machine with the IOMMU, devices played by the
 * test thread through the DMA path (tmodel devices, dk_dma_read/write).
 *
 * Bad arguments first; then random map/unmap against a reference (all
 * page sizes, 3- and 4-level tables, seed printed), permission faults
 * counted exactly, identity and blocked default domains, two isolated
 * devices, strict unmap with a 2-entry IOTLB, page-table pages freed, a
 * bad descriptor in the invalidation queue, fault-log overflow, a broken
 * page-table entry, concurrent map/unmap, and remove/rebind. Every test
 * ends with a machine destroy that reports no leak.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <dmakit/hw/dma.h>
#include <dmakit/machine.h>
#include "dk_test.h"
#include "tmodel.h"
#include "kernel/internal.h"
#include "drivers/iommu_pgtable.h"

#define SZ_4K	0x1000ul
#define SZ_2M	0x200000ul
#define SZ_1G	0x40000000ul
#define RW	(IOMMU_READ | IOMMU_WRITE)

/* Registers the tests poke to play a buggy driver (datasheet section 2). */
#define RTADDR_REG	0x020
#define IQT_REG	0x088
#define IQA_REG	0x090

struct faults {
	int count;		/* atomic */
	unsigned long iova;	/* of the last one; atomic */
	int flags;		/* atomic */
	struct device *dev;	/* atomic */
};

struct env {
	struct dk_machine *m;
	struct tmodel *t[2];
	struct platform_device *pdev[2];
	struct iommu_domain *dom[2];
	struct faults f[2];
};

static int on_fault(struct iommu_domain *domain, struct device *dev,
		    unsigned long iova, int flags, void *token)
{
	struct faults *f = token;

	(void)domain;
	__atomic_store_n(&f->iova, iova, __ATOMIC_RELAXED);
	__atomic_store_n(&f->flags, flags, __ATOMIC_RELAXED);
	__atomic_store_n(&f->dev, dev, __ATOMIC_RELAXED);
	__atomic_add_fetch(&f->count, 1, __ATOMIC_RELEASE);
	return 0;
}

static int fault_count(struct faults *f)
{
	return __atomic_load_n(&f->count, __ATOMIC_ACQUIRE);
}

/* Wait for fault number @n and check it; then make sure no other came. */
static void expect_fault(struct faults *f, int n, unsigned long iova,
			 int flags, struct device *dev)
{
	if (!DK_WAIT_UNTIL(fault_count(f) >= n, 5000))
		dk_test_log_dump();
	assert_int_equal(fault_count(f), n);
	assert_int_equal(__atomic_load_n(&f->iova, __ATOMIC_RELAXED),
			 iova & ~(SZ_4K - 1));
	assert_int_equal(__atomic_load_n(&f->flags, __ATOMIC_RELAXED), flags);
	assert_ptr_equal(__atomic_load_n(&f->dev, __ATOMIC_RELAXED), dev);
}

static unsigned int fault_regs;	/* 0: the default */

static void machine_up(struct env *e, unsigned int levels, int def,
		       unsigned int nr_devs, bool tiny_iotlb)
{
	struct dk_machine_config cfg;

	memset(e, 0, sizeof(*e));
	/* A failed test left its machine: do not fail the next ones too. */
	if (dk_machine_current()) {
		dk_machine_destroy(dk_machine_current());
		dk_test_log_release();
	}
	dk_test_log_capture();
	dk_machine_config_init(&cfg);
	cfg.iommu.present = true;
	cfg.iommu.levels = levels;
	cfg.iommu.default_domain = def;
	cfg.iommu.fault_regs = fault_regs;
	if (tiny_iotlb) {
		cfg.iommu.iotlb_entries = 2;
		cfg.iommu.iotlb_ways = 2;
		cfg.iommu.psc_entries = 2;
		cfg.iommu.ctx_entries = 2;
	}
	assert_int_equal(dk_machine_create(&cfg, &e->m), 0);
	for (unsigned int i = 0; i < nr_devs; i++) {
		struct dk_device_config dc;

		dk_device_config_init(&dc);
		/* 01:01.0, 01:02.0 */
		dc.requester_id = (u16)(0x0108 + 8 * i);
		assert_int_equal(tmodel_add(e->m, &dc, &tmodel_nothread_ops,
					    &e->t[i], &e->pdev[i]), 0);
		assert_true(device_iommu_mapped(&e->pdev[i]->dev));
	}
}

/* An unmanaged domain for device @i, with the counting fault handler. */
static void domain_up(struct env *e, unsigned int i)
{
	e->dom[i] = iommu_domain_alloc(&platform_bus_type);
	assert_non_null(e->dom[i]);
	assert_int_equal(dk__iommu_domain_table_pages(e->dom[i]), 1);
	iommu_set_fault_handler(e->dom[i], on_fault, &e->f[i]);
	assert_int_equal(iommu_attach_device(e->dom[i], &e->pdev[i]->dev), 0);
	assert_ptr_equal(iommu_get_domain_for_dev(&e->pdev[i]->dev),
			 e->dom[i]);
}

static void machine_down(struct env *e)
{
	for (unsigned int i = 0; i < 2; i++) {
		if (!e->dom[i])
			continue;
		iommu_detach_device(e->dom[i], &e->pdev[i]->dev);
		iommu_domain_free(e->dom[i]);
		e->dom[i] = NULL;
	}
	assert_int_equal(dk_machine_destroy(e->m), 0);
	e->m = NULL;
	assert_log_count("leak", 0);
	dk_test_log_release();
}

/* ---- bad arguments ------------------------------------------------------- */

static void bad_arguments(void **state)
{
	struct env e;
	struct page *pg;
	phys_addr_t phys;
	size_t mapped = 0;

	(void)state;
	machine_up(&e, 4, DK_IOMMU_DEFAULT_DMA, 1, false);
	domain_up(&e, 0);
	pg = alloc_pages(GFP_KERNEL, 9);
	assert_non_null(pg);
	phys = page_to_phys(pg);

	assert_int_equal(iommu_map(e.dom[0], 0x1001, phys, SZ_4K, RW), -EINVAL);
	assert_int_equal(iommu_map(e.dom[0], 0x1000, phys + 1, SZ_4K, RW),
			 -EINVAL);
	assert_int_equal(iommu_map(e.dom[0], 1ul << 48, phys, SZ_4K, RW),
			 -EINVAL);
	/* The driver's own checks, below the core's. */
	dk_test_log_clear();
	assert_int_equal(e.dom[0]->ops->map_pages(e.dom[0], 0, phys, 8192, 1,
						  RW, GFP_KERNEL, &mapped),
			 -EINVAL);
	assert_int_equal(mapped, 0);
	assert_int_equal(e.dom[0]->ops->map_pages(e.dom[0], 0, phys, SZ_4K, 1,
						  0, GFP_KERNEL, &mapped),
			 -EINVAL);
	assert_log_count("bad arguments", 2);

	/* Overlap: -EEXIST, the existing mapping untouched, nothing added. */
	assert_int_equal(iommu_map(e.dom[0], SZ_2M + SZ_4K, phys, SZ_4K, RW),
			 0);
	assert_int_equal(iommu_map(e.dom[0], SZ_2M + SZ_4K, phys + SZ_4K,
				   SZ_4K, RW), -EEXIST);
	assert_int_equal(iommu_map(e.dom[0], SZ_2M, phys, SZ_2M, RW), -EEXIST);
	assert_int_equal(iommu_map(e.dom[0], SZ_2M - SZ_4K, phys, 3 * SZ_4K,
				   RW), -EEXIST);
	assert_int_equal(iommu_iova_to_phys(e.dom[0], SZ_2M + SZ_4K), phys);
	assert_int_equal(iommu_iova_to_phys(e.dom[0], SZ_2M - SZ_4K), 0);
	assert_int_equal(iommu_iova_to_phys(e.dom[0], SZ_2M), 0);
	/* Unmap of what is not mapped: nothing. */
	assert_int_equal(iommu_unmap(e.dom[0], 5 * SZ_2M, SZ_4K), 0);
	assert_int_equal(iommu_unmap(e.dom[0], SZ_2M + SZ_4K, SZ_4K), SZ_4K);
	assert_int_equal(iommu_iova_to_phys(e.dom[0], SZ_2M + SZ_4K), 0);

	__free_pages(pg, 9);
	machine_down(&e);
}

/* ---- random map/unmap against a reference -------------------------------- */

struct ref_map {
	u64 iova, size, phys;
	size_t pgsize;
	int prot;
};

#define REF_MAX		256
/* Small pages live in [WIN, WIN + WIN_SIZE). */
#define WIN		(2 * SZ_1G)
#define WIN_SIZE	(4 * SZ_2M)

struct rnd {
	struct env *e;
	uint64_t seed;
	phys_addr_t blk;	/* 4 MiB we own */
	phys_addr_t blk1g;	/* the 1 GiB frame around it */
	struct ref_map ref[REF_MAX];
	unsigned int nr;
	int faults;
};

static bool ref_overlaps(struct rnd *r, u64 iova, u64 size)
{
	for (unsigned int i = 0; i < r->nr; i++)
		if (iova < r->ref[i].iova + r->ref[i].size &&
		    r->ref[i].iova < iova + size)
			return true;
	return false;
}

/* A device access through @m at a random offset inside RAM we own. */
static void check_access(struct rnd *r, const struct ref_map *m)
{
	struct env *e = r->e;
	struct device *dev = &e->pdev[0]->dev;
	u64 off, iova, token = dk_test_rand(&r->seed), got = 0;
	u64 *cpu;

	if (m->pgsize == SZ_1G)
		off = (r->blk - r->blk1g) + (dk_test_rand(&r->seed) %
					     (2 * SZ_2M)) / 8 * 8;
	else
		off = (dk_test_rand(&r->seed) % m->size) / 8 * 8;
	iova = m->iova + off;
	cpu = phys_to_virt(m->phys + off);
	assert_non_null(cpu);

	if (m->prot & IOMMU_WRITE) {
		assert_int_equal(dk_dma_write(&e->t[0]->hw, iova, &token, 8),
				 0);
		assert_int_equal(__atomic_load_n(cpu, __ATOMIC_RELAXED), token);
	} else {
		assert_int_equal(dk_dma_write(&e->t[0]->hw, iova, &token, 8),
				 -EFAULT);
		expect_fault(&e->f[0], ++r->faults, iova, IOMMU_FAULT_WRITE,
			     dev);
	}
	token = ~token;
	__atomic_store_n(cpu, token, __ATOMIC_RELAXED);
	if (m->prot & IOMMU_READ) {
		assert_int_equal(dk_dma_read(&e->t[0]->hw, iova, &got, 8), 0);
		assert_int_equal(got, token);
	} else {
		assert_int_equal(dk_dma_read(&e->t[0]->hw, iova, &got, 8),
				 -EFAULT);
		expect_fault(&e->f[0], ++r->faults, iova, IOMMU_FAULT_READ,
			     dev);
	}
	assert_int_equal(iommu_iova_to_phys(e->dom[0], iova), m->phys + off);
	assert_int_equal(iommu_iova_to_phys(e->dom[0], m->iova), m->phys);
	assert_int_equal(iommu_iova_to_phys(e->dom[0], m->iova + m->size - 1),
			 m->phys + m->size - 1);
}

/* After an unmap (strict): the device faults there, and no walk finds it. */
static void check_gone(struct rnd *r, u64 iova)
{
	struct env *e = r->e;
	u64 got;

	assert_int_equal(iommu_iova_to_phys(e->dom[0], iova), 0);
	assert_int_equal(dk_dma_read(&e->t[0]->hw, iova, &got, 8), -EFAULT);
	expect_fault(&e->f[0], ++r->faults, iova, IOMMU_FAULT_READ,
		     &e->pdev[0]->dev);
}

static void random_step(struct rnd *r)
{
	static const int prots[] = { RW, RW, RW, IOMMU_READ, IOMMU_WRITE };
	struct env *e = r->e;
	uint64_t x = dk_test_rand(&r->seed);
	unsigned int op = x % 10;

	if (op < 5 && r->nr < REF_MAX) {
		struct ref_map m;
		unsigned int cls = (x >> 8) % 8, count = 1;
		int expect, ret;

		if (cls < 6) {
			count = 1 + (x >> 16) % 4;
			m.pgsize = SZ_4K;
			m.iova = WIN + ((x >> 20) %
					(WIN_SIZE / SZ_4K - count)) * SZ_4K;
			m.phys = r->blk + ((x >> 40) % (1024 - count)) * SZ_4K;
		} else if (cls == 6) {
			m.pgsize = SZ_2M;
			m.iova = WIN + ((x >> 20) % 4) * SZ_2M;
			m.phys = r->blk + ((x >> 40) % 2) * SZ_2M;
		} else {
			m.pgsize = SZ_1G;
			m.iova = ((x >> 20) % 4) * SZ_1G;
			m.phys = r->blk1g;
		}
		m.size = m.pgsize * count;
		m.prot = prots[(x >> 50) % 5];
		expect = ref_overlaps(r, m.iova, m.size) ? -EEXIST : 0;
		ret = iommu_map(e->dom[0], m.iova, m.phys, m.size, m.prot);
		if (ret != expect)
			print_message("map %#llx + %#llx -> %#llx: %d, expected %d\n",
				      (unsigned long long)m.iova,
				      (unsigned long long)m.size,
				      (unsigned long long)m.phys, ret, expect);
		assert_int_equal(ret, expect);
		if (!ret) {
			r->ref[r->nr++] = m;
			check_access(r, &m);
		}
	} else if (op < 9 && r->nr) {
		unsigned int i = (unsigned int)((x >> 8) % r->nr);
		struct ref_map m = r->ref[i];

		assert_int_equal(iommu_unmap(e->dom[0], m.iova, m.size),
				 m.size);
		r->ref[i] = r->ref[--r->nr];
		check_gone(r, m.iova + ((x >> 24) % m.size) / 8 * 8);
	} else {
		u64 iova = WIN + ((x >> 20) % (WIN_SIZE / SZ_4K)) * SZ_4K;

		if (!ref_overlaps(r, iova, SZ_4K))
			assert_int_equal(iommu_unmap(e->dom[0], iova, SZ_4K),
					 0);
	}
}

static void random_map_unmap(unsigned int levels)
{
	struct env e;
	struct rnd *r = calloc(1, sizeof(*r));
	struct page *blk;
	unsigned int steps = 300 * dk_test_stress();

	assert_non_null(r);
	machine_up(&e, levels, DK_IOMMU_DEFAULT_DMA, 1, false);
	domain_up(&e, 0);
	r->e = &e;
	r->seed = dk_test_seed();
	print_message("random_map_unmap: %u levels, seed %llu, %u steps\n",
		      levels, (unsigned long long)r->seed, steps);
	blk = alloc_pages(GFP_KERNEL, 10);
	assert_non_null(blk);
	r->blk = page_to_phys(blk);
	r->blk1g = r->blk & ~(SZ_1G - 1);

	for (unsigned int s = 0; s < steps; s++)
		random_step(r);
	for (unsigned int i = 0; i < r->nr; i++)
		check_access(r, &r->ref[i]);
	/* Unmap everything; then only the tables' skeleton may remain. */
	while (r->nr) {
		struct ref_map m = r->ref[--r->nr];

		assert_int_equal(iommu_unmap(e.dom[0], m.iova, m.size), m.size);
		check_gone(r, m.iova);
	}
	assert_int_equal(fault_count(&e.f[0]), r->faults);
	__free_pages(blk, 10);
	free(r);
	machine_down(&e);
}

static void random_map_unmap_4level(void **state)
{
	(void)state;
	random_map_unmap(4);
}

static void random_map_unmap_3level(void **state)
{
	(void)state;
	random_map_unmap(3);
}

/* ---- permission faults --------------------------------------------------- */

static void permission_faults_reach_the_handler(void **state)
{
	struct env e;
	struct page *pg;
	phys_addr_t phys;
	struct device *dev;
	u64 v = 0x1122334455667788ull, got = 0;
	u8 *cpu;

	(void)state;
	machine_up(&e, 4, DK_IOMMU_DEFAULT_DMA, 1, false);
	domain_up(&e, 0);
	dev = &e.pdev[0]->dev;
	pg = alloc_pages(GFP_KERNEL, 1);
	assert_non_null(pg);
	phys = page_to_phys(pg);
	cpu = page_address(pg);
	memset(cpu, 0xee, 2 * SZ_4K);

	assert_int_equal(iommu_map(e.dom[0], 0x10000, phys, SZ_4K, IOMMU_READ),
			 0);
	assert_int_equal(iommu_map(e.dom[0], 0x11000, phys + SZ_4K, SZ_4K,
				   IOMMU_WRITE), 0);
	dk_test_log_clear();
	/* Write to a read-only page: refused, nothing written. */
	assert_int_equal(dk_dma_write(&e.t[0]->hw, 0x10123, &v, 8), -EFAULT);
	expect_fault(&e.f[0], 1, 0x10123, IOMMU_FAULT_WRITE, dev);
	assert_int_equal(cpu[0x123], 0xee);
	/* Read from a write-only page. */
	assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x11ff8, &got, 8), -EFAULT);
	expect_fault(&e.f[0], 2, 0x11ff8, IOMMU_FAULT_READ, dev);
	assert_int_equal(got, 0);
	/* The allowed directions work. */
	assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x10000, &got, 8), 0);
	assert_int_equal(got, 0xeeeeeeeeeeeeeeeeull);
	assert_int_equal(dk_dma_write(&e.t[0]->hw, 0x11008, &v, 8), 0);
	assert_memory_equal(cpu + SZ_4K + 8, &v, 8);
	/* Beyond the table width (48 bits). */
	assert_int_equal(dk_dma_read(&e.t[0]->hw, 1ull << 48, &got, 8),
			 -EFAULT);
	expect_fault(&e.f[0], 3, 1ull << 48, IOMMU_FAULT_READ, dev);
	/* Each fault was logged once by the driver, as handled. */
	assert_log_count("the domain's fault handler took it", 3);
	assert_int_equal(fault_count(&e.f[0]), 3);

	assert_int_equal(iommu_unmap(e.dom[0], 0x10000, 2 * SZ_4K), 2 * SZ_4K);
	__free_pages(pg, 1);
	machine_down(&e);
}

/* ---- counters ---------------------------------------------------------------- */

static void counters_follow_the_traffic(void **state)
{
	struct dk_iommu_counters c0, c1;
	struct env e;
	struct page *pg;
	u64 got;

	(void)state;
	machine_up(&e, 4, DK_IOMMU_DEFAULT_DMA, 1, false);
	assert_int_equal(dk_iommu_counters(NULL, &c0), -EINVAL);
	assert_int_equal(dk_iommu_counters(e.m, NULL), -EINVAL);
	assert_log_count("dk_iommu_counters", 2);
	domain_up(&e, 0);
	pg = alloc_page(GFP_KERNEL);
	assert_non_null(pg);
	assert_int_equal(iommu_map(e.dom[0], 0x40000, page_to_phys(pg), SZ_4K,
				   IOMMU_READ), 0);
	assert_int_equal(dk_iommu_counters(e.m, &c0), 0);
	/* First read misses and walks; the second is served from a cache. */
	assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x40000, &got, 8), 0);
	assert_int_equal(dk_iommu_counters(e.m, &c1), 0);
	assert_int_equal(c1.iotlb_misses - c0.iotlb_misses, 1);
	assert_int_equal(c1.walks - c0.walks, 1);
	assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x40008, &got, 8), 0);
	assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x41000, &got, 8), -EFAULT);
	expect_fault(&e.f[0], 1, 0x41000, IOMMU_FAULT_READ,
		     &e.pdev[0]->dev);
	assert_int_equal(dk_iommu_counters(e.m, &c0), 0);
	assert_int_equal(c0.faults_recorded - c1.faults_recorded, 1);
	assert_true(c0.translations > c1.translations);
	assert_int_equal(iommu_unmap(e.dom[0], 0x40000, SZ_4K), SZ_4K);
	assert_int_equal(dk_iommu_counters(e.m, &c1), 0);
	assert_true(c1.invalidations > c0.invalidations);
	__free_page(pg);
	machine_down(&e);

	/* A machine without an IOMMU has no such counters. */
	assert_int_equal(dk_machine_create(NULL, &e.m), 0);
	assert_int_equal(dk_iommu_counters(e.m, &c0), -ENODEV);
	assert_int_equal(dk_machine_destroy(e.m), 0);
}

/* ---- identity and blocked default domains -------------------------------- */

static void identity_default_domain_passes_through(void **state)
{
	struct env e;
	struct iommu_domain *dom;
	struct page *pg;
	u64 v = 0xabcdef, got = 0;

	(void)state;
	machine_up(&e, 4, DK_IOMMU_DEFAULT_IDENTITY, 1, false);
	dom = iommu_get_domain_for_dev(&e.pdev[0]->dev);
	assert_non_null(dom);
	assert_int_equal(dom->type, IOMMU_DOMAIN_IDENTITY);
	assert_int_equal(iommu_iova_to_phys(dom, 0x12345678), 0x12345678);
	pg = alloc_page(GFP_KERNEL);
	assert_non_null(pg);
	assert_int_equal(dk_dma_write(&e.t[0]->hw, page_to_phys(pg) + 64, &v,
				      8), 0);
	assert_memory_equal((u8 *)page_address(pg) + 64, &v, 8);
	assert_int_equal(dk_dma_read(&e.t[0]->hw, page_to_phys(pg) + 64, &got,
				     8), 0);
	assert_int_equal(got, v);
	assert_log_count("reason 0x", 0);
	__free_page(pg);
	machine_down(&e);
}

static void blocked_default_domain_faults(void **state)
{
	struct env e;
	struct iommu_domain *dom;
	struct page *pg;
	u64 v = 0xabcdef;

	(void)state;
	machine_up(&e, 3, DK_IOMMU_DEFAULT_BLOCKED, 1, false);
	dom = iommu_get_domain_for_dev(&e.pdev[0]->dev);
	assert_non_null(dom);
	assert_int_equal(dom->type, IOMMU_DOMAIN_BLOCKED);
	pg = alloc_page(GFP_KERNEL | __GFP_ZERO);
	assert_non_null(pg);
	dk_test_log_clear();
	assert_int_equal(dk_dma_write(&e.t[0]->hw, page_to_phys(pg), &v, 8),
			 -EFAULT);
	assert_int_equal(*(u64 *)page_address(pg), 0);
	/* No handler on a blocked domain: the driver logs the fault. */
	if (!DK_WAIT_UNTIL(dk_test_log_count("DMA write fault at iova") == 1,
			   5000))
		dk_test_log_dump();
	assert_log_count("DMA write fault at iova", 1);
	assert_log_count("(requester 01:01.0): reason 0x2 (context entry not present", 1);
	__free_page(pg);
	machine_down(&e);
}

/* ---- two devices isolated ------------------------------------------------ */

static void two_devices_are_isolated(void **state)
{
	struct env e;
	struct page *pg;
	phys_addr_t phys;
	u64 a = 0xaaaa, b = 0xbbbb, got;
	u64 *cpu;

	(void)state;
	machine_up(&e, 4, DK_IOMMU_DEFAULT_DMA, 2, false);
	domain_up(&e, 0);
	domain_up(&e, 1);
	pg = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1);
	assert_non_null(pg);
	phys = page_to_phys(pg);
	cpu = page_address(pg);

	/* The same IOVA means different pages for the two devices. */
	assert_int_equal(iommu_map(e.dom[0], 0x400000, phys, SZ_4K, RW), 0);
	assert_int_equal(iommu_map(e.dom[1], 0x400000, phys + SZ_4K, SZ_4K,
				   RW), 0);
	assert_int_equal(iommu_map(e.dom[1], 0x800000, phys, SZ_4K, IOMMU_READ),
			 0);
	assert_int_equal(dk_dma_write(&e.t[0]->hw, 0x400000, &a, 8), 0);
	assert_int_equal(dk_dma_write(&e.t[1]->hw, 0x400000, &b, 8), 0);
	assert_int_equal(cpu[0], a);
	assert_int_equal(cpu[512], b);
	/* Device 1 reaches device 0's page only where its own domain maps
	 * it; device 0 does not see device 1's mapping at all. */
	assert_int_equal(dk_dma_read(&e.t[1]->hw, 0x800000, &got, 8), 0);
	assert_int_equal(got, a);
	assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x800000, &got, 8), -EFAULT);
	expect_fault(&e.f[0], 1, 0x800000, IOMMU_FAULT_READ,
		     &e.pdev[0]->dev);
	assert_int_equal(dk_dma_write(&e.t[1]->hw, 0x800000, &b, 8), -EFAULT);
	expect_fault(&e.f[1], 1, 0x800000, IOMMU_FAULT_WRITE,
		     &e.pdev[1]->dev);
	assert_int_equal(cpu[0], a);
	assert_int_equal(fault_count(&e.f[0]), 1);

	assert_int_equal(iommu_unmap(e.dom[0], 0x400000, SZ_4K), SZ_4K);
	assert_int_equal(iommu_unmap(e.dom[1], 0x400000, SZ_4K), SZ_4K);
	assert_int_equal(iommu_unmap(e.dom[1], 0x800000, SZ_4K), SZ_4K);
	__free_pages(pg, 1);
	machine_down(&e);
}

/* ---- strict unmap: every access faults afterwards ------------------------ */

static void strict_unmap_leaves_nothing_cached(void **state)
{
	struct env e;
	struct page *pg;
	phys_addr_t phys;
	struct device *dev;
	int n = 0;
	u64 got;

	(void)state;
	machine_up(&e, 4, DK_IOMMU_DEFAULT_DMA, 1, true);
	domain_up(&e, 0);
	dev = &e.pdev[0]->dev;
	pg = alloc_pages(GFP_KERNEL, 4);
	assert_non_null(pg);
	phys = page_to_phys(pg);

	for (int round = 0; round < 2; round++) {
		/* 4 KiB pages and a 2 MiB superpage, warmed in the IOTLB. */
		assert_int_equal(iommu_map(e.dom[0], 0x100000, phys,
					   16 * SZ_4K, RW), 0);
		assert_int_equal(iommu_map(e.dom[0], 0x40000000,
					   phys & ~(SZ_2M - 1), SZ_2M, RW),
				 0);
		for (int k = 0; k < 16; k++)
			assert_int_equal(dk_dma_read(&e.t[0]->hw,
						     0x100000 + k * SZ_4K,
						     &got, 8), 0);
		assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x40000000 +
					     (phys & (SZ_2M - 1)), &got, 8),
				 0);
		assert_int_equal(iommu_unmap(e.dom[0], 0x100000, 16 * SZ_4K),
				 16 * SZ_4K);
		assert_int_equal(iommu_unmap(e.dom[0], 0x40000000, SZ_2M),
				 SZ_2M);
		for (int k = 0; k < 16; k++) {
			assert_int_equal(dk_dma_read(&e.t[0]->hw,
						     0x100000 + k * SZ_4K,
						     &got, 8), -EFAULT);
			expect_fault(&e.f[0], ++n, 0x100000 + k * SZ_4K,
				     IOMMU_FAULT_READ, dev);
		}
		assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x40000000, &got,
					     8), -EFAULT);
		expect_fault(&e.f[0], ++n, 0x40000000, IOMMU_FAULT_READ, dev);
	}
	__free_pages(pg, 4);
	machine_down(&e);
}

/* ---- page-table pages ---------------------------------------------------- */

static void table_pages_are_freed(void **state)
{
	struct env e;
	struct page *pg;
	phys_addr_t phys;

	(void)state;
	machine_up(&e, 4, DK_IOMMU_DEFAULT_DMA, 1, false);
	domain_up(&e, 0);
	pg = alloc_pages(GFP_KERNEL, 10);
	assert_non_null(pg);
	phys = page_to_phys(pg);

	/* 512 small pages (phys not 2 MiB aligned: no superpage) fill one
	 * leaf table: root + level 3 + level 2 + level 1. */
	assert_int_equal(iommu_map(e.dom[0], SZ_1G, phys + SZ_4K, SZ_2M, RW),
			 0);
	assert_int_equal(dk__iommu_domain_table_pages(e.dom[0]), 4);
	assert_int_equal(iommu_iova_to_phys(e.dom[0], SZ_1G + SZ_2M - 1),
			 phys + SZ_4K + SZ_2M - 1);
	/* Unmapping the range the leaf table spans frees it. */
	assert_int_equal(iommu_unmap(e.dom[0], SZ_1G, SZ_2M), SZ_2M);
	assert_int_equal(dk__iommu_domain_table_pages(e.dom[0]), 3);
	/* A superpage where an emptied table sits replaces it. */
	assert_int_equal(iommu_map(e.dom[0], 2 * SZ_1G, phys + SZ_4K, SZ_4K,
				   RW), 0);
	assert_int_equal(dk__iommu_domain_table_pages(e.dom[0]), 5);
	assert_int_equal(iommu_unmap(e.dom[0], 2 * SZ_1G, SZ_4K), SZ_4K);
	assert_int_equal(iommu_map(e.dom[0], 2 * SZ_1G, phys, SZ_2M, RW), 0);
	assert_int_equal(dk__iommu_domain_table_pages(e.dom[0]), 4);
	assert_int_equal(iommu_iova_to_phys(e.dom[0], 2 * SZ_1G + 5),
			 phys + 5);
	assert_int_equal(iommu_unmap(e.dom[0], 2 * SZ_1G, SZ_2M), SZ_2M);
	assert_int_equal(iommu_map(e.dom[0], 2 * SZ_1G + SZ_2M, phys + SZ_4K,
				   SZ_4K, RW), 0);
	assert_int_equal(dk__iommu_domain_table_pages(e.dom[0]), 5);
	/* Unmapping a whole 1 GiB range frees every table below it. */
	assert_int_equal(iommu_unmap(e.dom[0], 2 * SZ_1G, SZ_1G), SZ_1G);
	assert_int_equal(dk__iommu_domain_table_pages(e.dom[0]), 3);
	assert_int_equal(iommu_iova_to_phys(e.dom[0], 2 * SZ_1G + SZ_2M), 0);
	__free_pages(pg, 10);
	machine_down(&e);
}

/* ---- the invalidation queue ---------------------------------------------- */

static void bad_descriptor_is_reported_and_skipped(void **state)
{
	struct env e;
	void __iomem *regs;
	struct page *pg;
	u64 iqt, *q, got;

	(void)state;
	machine_up(&e, 4, DK_IOMMU_DEFAULT_DMA, 1, false);
	domain_up(&e, 0);
	pg = alloc_page(GFP_KERNEL);
	assert_non_null(pg);

	/* Play a buggy driver: a descriptor of type 0xf at the tail. */
	regs = ioremap(DK_IOMMU_BASE, 4096);
	assert_non_null(regs);
	iqt = readq((char __iomem *)regs + IQT_REG);
	q = phys_to_virt(readq((char __iomem *)regs + IQA_REG) & ~0xfffull);
	assert_non_null(q);
	dk_test_log_clear();
	__atomic_store_n(&q[iqt / 8], 0xfull, __ATOMIC_RELAXED);
	__atomic_store_n(&q[iqt / 8 + 1], 0, __ATOMIC_RELAXED);
	writeq((iqt + 16) & 0xfff, (char __iomem *)regs + IQT_REG);
	assert_true(DK_WAIT_UNTIL(
		dk_test_log_count("invalidation queue error") == 1, 5000));
	assert_log_count("descriptor 0x000000000000000f 0x0000000000000000 refused", 1);

	/* The queue works again: a strict unmap still invalidates. */
	assert_int_equal(iommu_map(e.dom[0], 0x200000, page_to_phys(pg), SZ_4K,
				   RW), 0);
	assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x200000, &got, 8), 0);
	assert_int_equal(iommu_unmap(e.dom[0], 0x200000, SZ_4K), SZ_4K);
	assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x200000, &got, 8), -EFAULT);
	expect_fault(&e.f[0], 1, 0x200000, IOMMU_FAULT_READ, &e.pdev[0]->dev);
	assert_log_count("invalidation queue error", 1);
	assert_log_count("status word", 0);
	iounmap(regs);
	__free_page(pg);
	machine_down(&e);
}

/* ---- fault log overflow -------------------------------------------------- */

static void fault_log_overflow_is_reported(void **state)
{
	struct env e;
	struct platform_device *iommu;
	u64 got;
	int irq;

	(void)state;
	fault_regs = 1;
	machine_up(&e, 4, DK_IOMMU_DEFAULT_DMA, 1, false);
	fault_regs = 0;
	domain_up(&e, 0);
	iommu = dk_machine_find_device(e.m, "dk-iommu");
	assert_non_null(iommu);
	irq = platform_get_irq(iommu, 0);
	assert_true(irq > 0);

	/* Hold the fault interrupt: the one register fills, then overflows. */
	dk_test_log_clear();
	disable_irq((unsigned int)irq);
	for (int k = 0; k < 3; k++)
		assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x5000000 + k * SZ_4K,
					     &got, 8), -EFAULT);
	enable_irq((unsigned int)irq);
	expect_fault(&e.f[0], 1, 0x5000000, IOMMU_FAULT_READ,
		     &e.pdev[0]->dev);
	assert_true(DK_WAIT_UNTIL(dk_test_log_count("fault log overflow") == 1,
				  5000));
	/* The log works again afterwards. */
	assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x6000000, &got, 8), -EFAULT);
	expect_fault(&e.f[0], 2, 0x6000000, IOMMU_FAULT_READ,
		     &e.pdev[0]->dev);
	assert_log_count("fault log overflow", 1);
	machine_down(&e);
}

/* ---- broken page-table entry --------------------------------------------- */

/* Follow the hardware's path to @iova's 4 KiB leaf entry for @sid. */
static u64 *leaf_entry(void __iomem *regs, u16 sid, u64 iova)
{
	u64 *root = phys_to_virt(readq((char __iomem *)regs + RTADDR_REG) &
				 ~0xfffull);
	u64 *ctx, *t;
	int levels;

	assert_non_null(root);
	ctx = phys_to_virt(root[2 * (sid >> 8)] & 0x000ffffffffff000ull);
	assert_non_null(ctx);
	ctx += 2 * (sid & 0xff);
	levels = (ctx[1] & 7) == 2 ? 4 : 3;
	t = phys_to_virt(ctx[0] & 0x000ffffffffff000ull);
	for (int l = levels; l > 1; l--) {
		assert_non_null(t);
		t = phys_to_virt(t[(iova >> (12 + 9 * (l - 1))) & 511] &
				 0x000ffffffffff000ull);
	}
	assert_non_null(t);
	return &t[(iova >> 12) & 511];
}

static void broken_table_entry_is_reported(void **state)
{
	struct env e;
	void __iomem *regs;
	struct page *pg;
	u64 *pte, got;

	(void)state;
	machine_up(&e, 3, DK_IOMMU_DEFAULT_DMA, 1, false);
	domain_up(&e, 0);
	pg = alloc_page(GFP_KERNEL);
	assert_non_null(pg);
	assert_int_equal(iommu_map(e.dom[0], 0x7000000, page_to_phys(pg),
				   SZ_4K, RW), 0);
	regs = ioremap(DK_IOMMU_BASE, 4096);
	assert_non_null(regs);
	pte = leaf_entry(regs, e.pdev[0]->dev.requester_id, 0x7000000);
	assert_int_equal(*pte & ~0xfffull, page_to_phys(pg));

	/* A reserved bit, as a buggy driver would leave it. */
	dk_test_log_clear();
	__atomic_or_fetch(pte, 1ull << 60, __ATOMIC_RELEASE);
	assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x7000000, &got, 8), -EFAULT);
	expect_fault(&e.f[0], 1, 0x7000000, IOMMU_FAULT_READ,
		     &e.pdev[0]->dev);
	assert_log_count("dk-iommu: fault reason 0xc (", 1);
	assert_log_count("the translation tables are broken (driver bug)", 1);
	__atomic_and_fetch(pte, ~(1ull << 60), __ATOMIC_RELEASE);
	assert_int_equal(iommu_unmap(e.dom[0], 0x7000000, SZ_4K), SZ_4K);
	iounmap(regs);
	__free_page(pg);
	machine_down(&e);
}

/* ---- concurrent map/unmap in one domain ---------------------------------- */

struct worker {
	struct iommu_domain *dom;
	phys_addr_t phys;
	unsigned int id, iters;
	int errors;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	/* Interleaved pages: both threads share every leaf table. */
	for (unsigned int k = 0; k < w->iters; k++) {
		unsigned long iova = (k % 64) * 2 * SZ_2M / 64 +
				     (2 * (k % 256) + w->id) * SZ_4K;

		if (iommu_map(w->dom, iova, w->phys, SZ_4K, RW) ||
		    iommu_iova_to_phys(w->dom, iova + 8) != w->phys + 8 ||
		    iommu_unmap(w->dom, iova, SZ_4K) != SZ_4K ||
		    iommu_iova_to_phys(w->dom, iova))
			w->errors++;
	}
	return NULL;
}

static void concurrent_map_unmap_disjoint(void **state)
{
	struct env e;
	struct worker w[2];
	pthread_t th[2];
	struct page *pg;

	(void)state;
	machine_up(&e, 4, DK_IOMMU_DEFAULT_DMA, 1, false);
	domain_up(&e, 0);
	pg = alloc_pages(GFP_KERNEL, 1);
	assert_non_null(pg);
	for (unsigned int i = 0; i < 2; i++) {
		w[i] = (struct worker){ .dom = e.dom[0],
					.phys = page_to_phys(pg) + i * SZ_4K,
					.id = i,
					.iters = 5000 * dk_test_stress() };
		assert_int_equal(pthread_create(&th[i], NULL, worker_main,
						&w[i]), 0);
	}
	for (unsigned int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].errors, 0);
	}
	__free_pages(pg, 1);
	machine_down(&e);
}

/* ---- remove and rebind --------------------------------------------------- */

static void remove_and_rebind(void **state)
{
	struct env e;
	struct page *pg;
	u64 v = 0x77, got = 0;

	(void)state;
	machine_up(&e, 4, DK_IOMMU_DEFAULT_DMA, 1, false);
	pg = alloc_page(GFP_KERNEL | __GFP_ZERO);
	assert_non_null(pg);
	/* Translated: a physical address is not mapped. */
	assert_int_equal(dk_dma_read(&e.t[0]->hw, page_to_phys(pg), &got, 8),
			 -EFAULT);

	assert_int_equal(dk__iommu_driver_exit(e.m), 0);
	assert_false(device_iommu_mapped(&e.pdev[0]->dev));
	/* No driver, translation off: DMA goes straight to RAM. */
	assert_int_equal(dk_dma_write(&e.t[0]->hw, page_to_phys(pg), &v, 8), 0);
	assert_int_equal(*(u64 *)page_address(pg), v);

	assert_int_equal(dk__iommu_driver_init(e.m), 0);
	assert_true(device_iommu_mapped(&e.pdev[0]->dev));
	domain_up(&e, 0);
	assert_int_equal(iommu_map(e.dom[0], 0x3000, page_to_phys(pg), SZ_4K,
				   RW), 0);
	assert_int_equal(dk_dma_read(&e.t[0]->hw, 0x3000, &got, 8), 0);
	assert_int_equal(got, v);
	assert_int_equal(iommu_unmap(e.dom[0], 0x3000, SZ_4K), SZ_4K);
	__free_page(pg);
	machine_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(random_map_unmap_4level),
		cmocka_unit_test(random_map_unmap_3level),
		cmocka_unit_test(permission_faults_reach_the_handler),
		cmocka_unit_test(counters_follow_the_traffic),
		cmocka_unit_test(identity_default_domain_passes_through),
		cmocka_unit_test(blocked_default_domain_faults),
		cmocka_unit_test(two_devices_are_isolated),
		cmocka_unit_test(strict_unmap_leaves_nothing_cached),
		cmocka_unit_test(table_pages_are_freed),
		cmocka_unit_test(bad_descriptor_is_reported_and_skipped),
		cmocka_unit_test(fault_log_overflow_is_reported),
		cmocka_unit_test(broken_table_entry_is_reported),
		cmocka_unit_test(concurrent_map_unmap_disjoint),
		cmocka_unit_test(remove_and_rebind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
