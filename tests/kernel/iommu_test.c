// SPDX-License-Identifier: MIT
/*
 * iommu_test.c - the IOMMU core against a mock IOMMU driver that keeps its
 * mappings in host memory and records every call: bad input, registration
 * and probing, groups, default domains for each configuration, the page
 * sizes a map is split into, unwinding of a failed map, unmap of what is
 * not mapped, strict invalidation, fault dispatch and its rate limit, the
 * flush queue (flushed exactly when full, when its timer fires on a manual
 * clock, at unregister; each callback exactly once; from two threads), and
 * leak reports at destroy.
 *
 * Then end to end through the DK-IOMMU driver and hardware, the test
 * thread acting as the device: reads and writes through mapped IOVAs,
 * faults outside them and on a permission, superpages, an UNMANAGED
 * domain attached and detached, strict unmap closing the translation at
 * once, and in lazy mode the stale window that stays open until the flush
 * queue is flushed (by hand or by its timer).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include <dmakit/hw/dma.h>
#include <dmakit/machine.h>
#include "dk_test.h"
#include "tmodel.h"

#define SZ_4K	0x1000UL
#define SZ_2M	0x200000UL
#define SZ_1G	0x40000000UL

#define MOCK_NO_IOMMU_RID	0x0f00	/* probe_device refuses it */
#define MOCK_MAX_CALLS		64

/* ---- the mock driver ----------------------------------------------------- */

struct mock_map {
	unsigned long iova;
	phys_addr_t pa;
	size_t size;
	int prot;
};

struct mock_dom {
	struct iommu_domain dom;
	pthread_mutex_t lock;
	struct mock_map *maps;		/* under lock */
	size_t nr, cap;
};

struct mock_call {
	char op;			/* 'M' map_pages, 'U' unmap_pages */
	unsigned long iova;
	size_t pgsize, count;
};

static struct mock {
	struct iommu_device iommu;
	pthread_mutex_t lock;		/* protects calls */
	struct mock_call calls[MOCK_MAX_CALLS];
	int nr_calls;
	/* behaviour */
	bool no_blocked, no_unmanaged, no_fq, record;
	bool free_pt_page;		/* unmap of a 2M page frees a table */
	int fail_map_call;		/* fail the n-th map_pages */
	struct device *fail_attach;	/* attach_dev of it fails */
	/* counters, atomic */
	int flushes, syncs, sync_maps, attaches, detaches, probes, releases;
	int domains;			/* live */
} mk;

static struct mock_dom *to_mock(struct iommu_domain *d)
{
	return container_of(d, struct mock_dom, dom);
}

static int ld(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void inc(int *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_ACQ_REL);
}

static void record(char op, unsigned long iova, size_t pgsize, size_t count)
{
	if (!mk.record)
		return;
	pthread_mutex_lock(&mk.lock);
	if (mk.nr_calls < MOCK_MAX_CALLS)
		mk.calls[mk.nr_calls++] =
			(struct mock_call){ op, iova, pgsize, count };
	pthread_mutex_unlock(&mk.lock);
}

static struct mock_map *find(struct mock_dom *md, unsigned long iova)
{
	for (size_t i = 0; i < md->nr; i++)
		if (iova >= md->maps[i].iova &&
		    iova - md->maps[i].iova < md->maps[i].size)
			return &md->maps[i];
	return NULL;
}

static struct iommu_domain *mock_domain_alloc(unsigned int type)
{
	struct mock_dom *md;

	if ((type == IOMMU_DOMAIN_BLOCKED && mk.no_blocked) ||
	    (type == IOMMU_DOMAIN_UNMANAGED && mk.no_unmanaged) ||
	    (type == IOMMU_DOMAIN_DMA_FQ && mk.no_fq))
		return NULL;
	md = calloc(1, sizeof(*md));
	pthread_mutex_init(&md->lock, NULL);
	md->dom.geometry.aperture_end = (1UL << 48) - 1;
	md->dom.geometry.force_aperture = true;
	inc(&mk.domains);
	return &md->dom;
}

static void mock_free(struct iommu_domain *d)
{
	struct mock_dom *md = to_mock(d);

	pthread_mutex_destroy(&md->lock);
	free(md->maps);
	free(md);
	__atomic_fetch_sub(&mk.domains, 1, __ATOMIC_ACQ_REL);
}

static int mock_attach(struct iommu_domain *d, struct device *dev)
{
	(void)d;
	if (dev == mk.fail_attach)
		return -ENOSPC;
	inc(&mk.attaches);
	return 0;
}

static void mock_detach(struct iommu_domain *d, struct device *dev)
{
	(void)d;
	(void)dev;
	inc(&mk.detaches);
}

static int mock_map_pages(struct iommu_domain *d, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct mock_dom *md = to_mock(d);
	static int calls;
	int ret = 0;

	(void)gfp;
	record('M', iova, pgsize, pgcount);
	if (mk.fail_map_call && ++calls == mk.fail_map_call) {
		calls = 0;
		/* Map one page, then fail, as a driver out of memory would. */
		pgcount = pgcount > 1 ? 1 : 0;
		ret = -ENOMEM;
	}
	pthread_mutex_lock(&md->lock);
	for (size_t i = 0; i < pgcount; i++) {
		unsigned long a = iova + i * pgsize;

		for (size_t j = 0; j < md->nr; j++) {
			struct mock_map *x = &md->maps[j];

			if (a < x->iova + x->size && x->iova < a + pgsize) {
				pthread_mutex_unlock(&md->lock);
				return -EEXIST;
			}
		}
		if (md->nr == md->cap) {
			md->cap = md->cap ? 2 * md->cap : 16;
			md->maps = realloc(md->maps,
					   md->cap * sizeof(*md->maps));
		}
		md->maps[md->nr++] = (struct mock_map){ a, paddr + i * pgsize,
							pgsize, prot };
		*mapped += pgsize;
	}
	pthread_mutex_unlock(&md->lock);
	return ret;
}

static size_t mock_unmap_pages(struct iommu_domain *d, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *g)
{
	struct mock_dom *md = to_mock(d);
	size_t done = 0;

	record('U', iova, pgsize, pgcount);
	pthread_mutex_lock(&md->lock);
	while (done < pgsize * pgcount) {
		struct mock_map *x = find(md, iova + done);
		size_t sz;

		if (!x || x->iova != iova + done)
			break;
		sz = x->size;
		if (sz == SZ_2M && mk.free_pt_page) {
			struct page *pg = alloc_pages(GFP_ATOMIC, 0);

			if (pg)
				list_add_tail(&pg->lru, &g->freelist);
		}
		*x = md->maps[--md->nr];
		done += sz;
	}
	pthread_mutex_unlock(&md->lock);
	if (done)
		iommu_iotlb_gather_add_range(g, iova, done);
	return done;
}

static void mock_flush_all(struct iommu_domain *d)
{
	(void)d;
	inc(&mk.flushes);
}

static void mock_sync(struct iommu_domain *d, struct iommu_iotlb_gather *g)
{
	(void)d;
	(void)g;
	inc(&mk.syncs);
}

static void mock_sync_map(struct iommu_domain *d, unsigned long iova,
			  size_t size)
{
	(void)d;
	(void)iova;
	(void)size;
	inc(&mk.sync_maps);
}

static phys_addr_t mock_iova_to_phys(struct iommu_domain *d, dma_addr_t iova)
{
	struct mock_dom *md = to_mock(d);
	struct mock_map *x;
	phys_addr_t pa = 0;

	pthread_mutex_lock(&md->lock);
	x = find(md, (unsigned long)iova);
	if (x)
		pa = x->pa + (iova - x->iova);
	pthread_mutex_unlock(&md->lock);
	return pa;
}

static struct iommu_device *mock_probe(struct device *dev)
{
	if (dev->requester_id == MOCK_NO_IOMMU_RID)
		return ERR_PTR(-ENODEV);
	inc(&mk.probes);
	return &mk.iommu;
}

static void mock_release(struct device *dev)
{
	(void)dev;
	inc(&mk.releases);
}

static const struct iommu_domain_ops mock_dom_ops = {
	.attach_dev = mock_attach,
	.detach_dev = mock_detach,
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.flush_iotlb_all = mock_flush_all,
	.iotlb_sync_map = mock_sync_map,
	.iotlb_sync = mock_sync,
	.iova_to_phys = mock_iova_to_phys,
	.free = mock_free,
};

static const struct iommu_ops mock_ops = {
	.domain_alloc = mock_domain_alloc,
	.probe_device = mock_probe,
	.release_device = mock_release,
	.device_group = dk_board_device_group,
	.default_domain_ops = &mock_dom_ops,
	.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
};

/* ---- machines ------------------------------------------------------------ */

static struct dk_machine *m;
static bool registered;

static void mock_reset(void)
{
	memset(&mk, 0, sizeof(mk));
	pthread_mutex_init(&mk.lock, NULL);
}

static void machine_up(int def, bool lazy, bool manual, unsigned int fq_size)
{
	struct dk_machine_config cfg;

	dk_machine_config_init(&cfg);
	cfg.manual_clock = manual;
	cfg.iommu.default_domain = def;
	cfg.iommu.lazy = lazy;
	cfg.iommu.fq_size = fq_size;
	assert_int_equal(dk_machine_create(&cfg, &m), 0);
}

static void mock_register(void)
{
	assert_int_equal(iommu_device_register(&mk.iommu, &mock_ops, NULL), 0);
	registered = true;
}

static int machine_down(void)
{
	int leaks;

	if (registered)
		iommu_device_unregister(&mk.iommu);
	registered = false;
	leaks = dk_machine_destroy(m);
	m = NULL;
	assert_int_equal(ld(&mk.domains), 0);
	return leaks;
}

static struct device *add_dev(int group, uint16_t rid)
{
	struct dk_device_config cfg;
	struct platform_device *pdev;

	dk_device_config_init(&cfg);
	cfg.iommu_group = group;
	cfg.requester_id = rid;
	assert_int_equal(tmodel_add(m, &cfg, &tmodel_nothread_ops, NULL,
				    &pdev),
			 0);
	return &pdev->dev;
}

static int setup(void **state)
{
	(void)state;
	mock_reset();
	dk_test_log_capture();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (m)
		assert_int_equal(machine_down(), 0);
	dk_test_log_release();
	pthread_mutex_destroy(&mk.lock);
	return 0;
}

/* ---- bad input ----------------------------------------------------------- */

static const struct iommu_ops bad_ops = {
	.domain_alloc = mock_domain_alloc,
	.probe_device = mock_probe,
	.pgsize_bitmap = SZ_4K,
};

static int count_dev(struct device *dev, void *data)
{
	(void)dev;
	(*(int *)data)++;
	return 0;
}

static void bad_input(void **state)
{
	struct iommu_domain *d, *def;
	struct iommu_group *grp;
	struct device *dev, *nodev;
	int n = 0;

	(void)state;
	machine_up(DK_IOMMU_DEFAULT_DMA, false, true, 0);
	dev = add_dev(-1, 0);

	/* No IOMMU yet. */
	assert_false(iommu_present(&platform_bus_type));
	assert_false(iommu_present(NULL));
	assert_null(iommu_domain_alloc(&platform_bus_type));
	assert_log_count("no IOMMU is registered", 1);
	assert_false(device_iommu_mapped(dev));
	assert_null(iommu_group_get(dev));
	assert_null(iommu_get_domain_for_dev(dev));
	assert_null(iommu_get_dma_domain(NULL));
	assert_int_equal(iommu_device_register(NULL, &mock_ops, NULL),
			 -EINVAL);
	assert_int_equal(iommu_device_register(&mk.iommu, &bad_ops, NULL),
			 -EINVAL);
	assert_int_equal(iommu_device_register(&mk.iommu, NULL, NULL),
			 -EINVAL);
	assert_log_count("need an iommu_device and ops", 3);
	iommu_device_unregister(&mk.iommu);
	assert_log_count("is not registered", 1);

	mock_register();
	assert_int_equal(iommu_device_register(&mk.iommu, &mock_ops, NULL),
			 -EEXIST);
	assert_true(iommu_present(&platform_bus_type));
	assert_null(iommu_domain_alloc(NULL));
	assert_log_count("is not &platform_bus_type", 2);
	nodev = add_dev(-1, MOCK_NO_IOMMU_RID);
	assert_false(device_iommu_mapped(nodev));
	d = iommu_domain_alloc(&platform_bus_type);
	assert_non_null(d);
	def = iommu_get_dma_domain(dev);
	assert_non_null(def);

	/* NULL everywhere. */
	assert_int_equal(iommu_attach_device(NULL, dev), -EINVAL);
	assert_int_equal(iommu_attach_device(d, NULL), -EINVAL);
	assert_int_equal(iommu_attach_device(d, nodev), -ENODEV);
	assert_log_count("device has no IOMMU", 1);
	iommu_detach_device(NULL, dev);
	iommu_detach_device(d, nodev);
	assert_int_equal(iommu_attach_group(NULL, NULL), -EINVAL);
	assert_int_equal(iommu_attach_group(d, (struct iommu_group *)&n),
			 -EINVAL);
	assert_log_count("is not a live group", 1);
	iommu_detach_group(d, NULL);
	assert_int_equal(iommu_group_id(NULL), -EINVAL);
	assert_int_equal(iommu_group_for_each_dev(NULL, &n, count_dev),
			 -EINVAL);
	iommu_group_put(NULL);
	iommu_domain_free(NULL);
	assert_int_equal(iommu_map(NULL, 0, 0, SZ_4K, IOMMU_READ), -EINVAL);
	assert_int_equal(iommu_unmap(NULL, 0, SZ_4K), 0);
	assert_int_equal(iommu_unmap_fast(d, 0, SZ_4K, NULL), 0);
	iommu_iotlb_sync(NULL, NULL);
	iommu_flush_iotlb_all(NULL);
	assert_int_equal(iommu_iova_to_phys(NULL, 0), 0);
	iommu_set_fault_handler(NULL, NULL, NULL);
	assert_int_equal(dk_iommu_fq_queue(NULL, NULL, 0, SZ_4K, NULL, NULL),
			 -EINVAL);
	assert_int_equal(dk_iommu_fq_queue(d, NULL, 0, SZ_4K, NULL, NULL),
			 -EINVAL);
	assert_log_count("has no flush queue", 1);
	dk_iommu_fq_flush(NULL);
	assert_int_equal(dk_iommu_fq_pending(d), 0);

	/* Alignment, range, domain types. */
	assert_int_equal(iommu_map(d, 0x1800, 0x40000000, SZ_4K, IOMMU_READ),
			 -EINVAL);
	assert_int_equal(iommu_map(d, 0x1000, 0x40000800, SZ_4K, IOMMU_READ),
			 -EINVAL);
	assert_int_equal(iommu_map(d, 0x1000, 0x40000000, 0x800, IOMMU_READ),
			 -EINVAL);
	assert_log_count("unaligned: iova", 3);
	assert_int_equal(iommu_map(d, 1UL << 48, 0x40000000, SZ_4K,
				   IOMMU_READ),
			 -EINVAL);
	assert_log_count("outside domain", 1);
	assert_int_equal(iommu_map(d, ~0UL & ~(SZ_4K - 1), 0, 2 * SZ_4K,
				   IOMMU_READ),
			 -EINVAL);
	assert_log_count("wraps around", 1);
	assert_int_equal(iommu_unmap(d, 0x1800, SZ_4K), 0);
	assert_int_equal(mk.nr_calls, 0);

	/* Freeing what is not a user's live domain. */
	iommu_domain_free(def);
	assert_log_count("not from iommu_domain_alloc()", 1);
	assert_ptr_equal(iommu_get_dma_domain(dev), def);
	assert_int_equal(iommu_attach_device(def, dev), -EINVAL);
	assert_int_equal(iommu_attach_device(d, dev), 0);
	iommu_domain_free(d);
	assert_log_count("still attached to 1 group", 1);
	iommu_detach_device(d, dev);
	assert_ptr_equal(iommu_get_domain_for_dev(dev), def);
	iommu_detach_device(d, dev);
	assert_log_count("not to domain", 1);
	iommu_domain_free(d);
	iommu_domain_free(d);
	assert_log_count("is not a live domain (freed twice?)", 1);
	assert_int_equal(iommu_attach_device(d, dev), -EINVAL);

	/* Group references. */
	grp = iommu_group_get(dev);
	assert_non_null(grp);
	iommu_group_put(grp);
	iommu_group_put(grp);
	assert_log_count("no reference left", 1);
	assert_int_equal(iommu_group_for_each_dev(grp, &n, NULL), -EINVAL);
	dev_iommu_priv_set(NULL, &n);
	assert_null(dev_iommu_priv_get(NULL));
}

/* ---- registration, probing and groups ------------------------------------ */

static int stop_at_first(struct device *dev, void *data)
{
	*(struct device **)data = dev;
	return 7;
}

static void probe_and_groups(void **state)
{
	struct device *a, *b, *c, *e, *seen = NULL;
	struct iommu_group *ga, *gb, *gc;
	struct iommu_domain *d, *def;
	int n = 0;

	(void)state;
	machine_up(DK_IOMMU_DEFAULT_DMA, false, true, 0);
	a = add_dev(3, 0);
	b = add_dev(3, 0);
	mock_register();
	/* Existing devices were probed at registration, later ones on add. */
	assert_int_equal(ld(&mk.probes), 2);
	c = add_dev(-1, 0);
	e = add_dev(3, 0);
	assert_int_equal(ld(&mk.probes), 4);
	assert_true(device_iommu_mapped(a) && device_iommu_mapped(c));

	ga = iommu_group_get(a);
	gb = iommu_group_get(b);
	gc = iommu_group_get(c);
	assert_ptr_equal(ga, gb);
	assert_ptr_not_equal(ga, gc);
	assert_int_not_equal(iommu_group_id(ga), iommu_group_id(gc));
	assert_int_equal(iommu_group_for_each_dev(ga, &n, count_dev), 0);
	assert_int_equal(n, 3);
	assert_int_equal(iommu_group_for_each_dev(ga, &seen, stop_at_first),
			 7);
	assert_ptr_equal(seen, a);

	/* One default domain per group, shared by its devices. */
	def = iommu_get_dma_domain(a);
	assert_non_null(def);
	assert_int_equal(def->type, IOMMU_DOMAIN_DMA);
	assert_ptr_equal(iommu_get_dma_domain(b), def);
	assert_ptr_equal(iommu_get_dma_domain(e), def);
	assert_ptr_equal(iommu_get_domain_for_dev(e), def);
	assert_ptr_not_equal(iommu_get_dma_domain(c), def);
	assert_int_equal(ld(&mk.attaches), 4);

	d = iommu_domain_alloc(&platform_bus_type);
	assert_non_null(d);
	assert_int_equal(d->type, IOMMU_DOMAIN_UNMANAGED);
	assert_int_equal(d->pgsize_bitmap, SZ_4K | SZ_2M | SZ_1G);
	assert_int_equal(iommu_attach_device(d, a), -EINVAL);
	assert_log_count("use iommu_attach_group()", 1);
	assert_ptr_equal(iommu_get_domain_for_dev(a), def);

	assert_int_equal(iommu_attach_group(d, ga), 0);
	assert_int_equal(ld(&mk.attaches), 7);
	assert_ptr_equal(iommu_get_domain_for_dev(a), d);
	assert_ptr_equal(iommu_get_domain_for_dev(e), d);
	assert_ptr_equal(iommu_get_dma_domain(a), def);
	assert_int_equal(iommu_attach_group(d, ga), -EBUSY);
	assert_int_equal(iommu_attach_device(d, c), 0);
	assert_ptr_equal(iommu_get_domain_for_dev(c), d);
	iommu_detach_group(d, ga);
	assert_ptr_equal(iommu_get_domain_for_dev(b), def);
	iommu_detach_device(d, c);
	assert_ptr_equal(iommu_get_domain_for_dev(c),
			 iommu_get_dma_domain(c));
	assert_int_equal(ld(&mk.detaches), 0);

	/* A device that fails to attach: the group is left as it was. */
	mk.fail_attach = b;
	assert_int_equal(iommu_attach_group(d, ga), -ENOSPC);
	assert_ptr_equal(iommu_get_domain_for_dev(a), def);
	mk.fail_attach = NULL;

	iommu_domain_free(d);
	iommu_group_put(ga);
	iommu_group_put(gb);
	iommu_group_put(gc);

	iommu_device_unregister(&mk.iommu);
	registered = false;
	assert_int_equal(ld(&mk.releases), 4);
	assert_false(device_iommu_mapped(a));
	assert_null(iommu_get_domain_for_dev(a));
	assert_int_equal(ld(&mk.domains), 0);
	/* Registering again probes everything again. */
	mock_register();
	assert_int_equal(ld(&mk.probes), 8);
	assert_true(device_iommu_mapped(e));
}

/* ---- default domains ---------------------------------------------------- */

struct def_case {
	int def;
	bool lazy, no_blocked, no_unmanaged, no_fq;
	unsigned int want;	/* ~0u: no domain */
};

static void default_domains(void **state)
{
	static const struct def_case cases[] = {
		{ DK_IOMMU_DEFAULT_DMA, false, false, false, false,
		  IOMMU_DOMAIN_DMA },
		{ DK_IOMMU_DEFAULT_DMA, true, false, false, false,
		  IOMMU_DOMAIN_DMA_FQ },
		{ DK_IOMMU_DEFAULT_DMA, true, false, false, true,
		  IOMMU_DOMAIN_DMA },
		{ DK_IOMMU_DEFAULT_IDENTITY, false, false, false, false,
		  IOMMU_DOMAIN_IDENTITY },
		{ DK_IOMMU_DEFAULT_BLOCKED, false, false, false, false,
		  IOMMU_DOMAIN_BLOCKED },
		{ DK_IOMMU_DEFAULT_BLOCKED, false, true, false, false,
		  IOMMU_DOMAIN_UNMANAGED },
		{ DK_IOMMU_DEFAULT_BLOCKED, false, true, true, false, ~0u },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct def_case *k = &cases[i];
		struct iommu_domain *d, *u;
		struct device *dev;

		mock_reset();
		mk.no_blocked = k->no_blocked;
		mk.no_unmanaged = k->no_unmanaged;
		mk.no_fq = k->no_fq;
		machine_up(k->def, k->lazy, true, 0);
		mock_register();
		dev = add_dev(-1, 0);
		d = iommu_get_dma_domain(dev);
		print_message("case %zu: default domain %p type %#x\n", i,
			      (void *)d, d ? d->type : 0);
		if (k->want == ~0u) {
			assert_null(d);
			assert_null(iommu_get_domain_for_dev(dev));
			assert_log_count("left with no domain", 1);
			machine_down();
			continue;
		}
		assert_non_null(d);
		assert_int_equal(d->type, k->want);
		assert_ptr_equal(iommu_get_domain_for_dev(dev), d);
		assert_int_equal(d->fq != NULL, k->want == IOMMU_DOMAIN_DMA_FQ);
		if (k->want == IOMMU_DOMAIN_IDENTITY) {
			assert_int_equal(iommu_iova_to_phys(d, 0x12345678),
					 0x12345678);
			assert_int_equal(iommu_map(d, 0, 0x40000000, SZ_4K,
						   IOMMU_READ),
					 -EINVAL);
			assert_log_count("only paging domains", 1);
		}
		if (k->want == IOMMU_DOMAIN_BLOCKED)
			assert_int_equal(iommu_iova_to_phys(d, 0x1000), 0);
		/* Attach and detach come back to the default (or blocked). */
		if (!k->no_unmanaged) {
			u = iommu_domain_alloc(&platform_bus_type);
			assert_int_equal(iommu_attach_device(u, dev), 0);
			iommu_detach_device(u, dev);
			assert_ptr_equal(iommu_get_domain_for_dev(dev), d);
			iommu_domain_free(u);
		}
		assert_int_equal(machine_down(), 0);
	}
}

/* ---- map splitting ------------------------------------------------------ */

static void expect_calls(const struct mock_call *want, int n)
{
	for (int i = 0; i < n && i < mk.nr_calls; i++) {
		if (want[i].op != mk.calls[i].op ||
		    want[i].iova != mk.calls[i].iova ||
		    want[i].pgsize != mk.calls[i].pgsize ||
		    want[i].count != mk.calls[i].count)
			fail_msg("call %d: want %c 0x%lx pgsize 0x%zx x%zu, got %c 0x%lx pgsize 0x%zx x%zu",
				 i, want[i].op, want[i].iova, want[i].pgsize,
				 want[i].count, mk.calls[i].op,
				 mk.calls[i].iova, mk.calls[i].pgsize,
				 mk.calls[i].count);
	}
	assert_int_equal(mk.nr_calls, n);
	mk.nr_calls = 0;
}

static void map_split(void **state)
{
	/* 2 x 4K, 1 x 2M, 1 x 1G, 2M, 3 x 4K: crossing every boundary. */
	const unsigned long iova = SZ_1G - SZ_2M - 2 * SZ_4K;
	const phys_addr_t pa = 0x100000000ull + iova;
	const size_t size = 2 * SZ_4K + SZ_2M + SZ_1G + SZ_2M + 3 * SZ_4K;
	const struct mock_call want[] = {
		{ 'M', iova, SZ_4K, 2 },
		{ 'M', SZ_1G - SZ_2M, SZ_2M, 1 },
		{ 'M', SZ_1G, SZ_1G, 1 },
		{ 'M', 2 * SZ_1G, SZ_2M, 1 },
		{ 'M', 2 * SZ_1G + SZ_2M, SZ_4K, 3 },
	};
	const struct mock_call want_unmap[] = {
		{ 'U', iova, SZ_4K, 2 },
		{ 'U', SZ_1G - SZ_2M, SZ_2M, 1 },
		{ 'U', SZ_1G, SZ_1G, 1 },
		{ 'U', 2 * SZ_1G, SZ_2M, 1 },
		{ 'U', 2 * SZ_1G + SZ_2M, SZ_4K, 3 },
	};
	/* iova and pa differ modulo 2M: 4K pages only, in one call. */
	const struct mock_call want_4k[] = {
		{ 'M', SZ_2M, SZ_4K, 1024 },
	};
	/* 1G aligned but only 2M + 4K long. */
	const struct mock_call want_short[] = {
		{ 'M', SZ_1G * 3, SZ_2M, 1 },
		{ 'M', SZ_1G * 3 + SZ_2M, SZ_4K, 1 },
	};
	struct iommu_domain *d;

	(void)state;
	machine_up(DK_IOMMU_DEFAULT_DMA, false, true, 0);
	mock_register();
	add_dev(-1, 0);
	d = iommu_domain_alloc(&platform_bus_type);
	mk.record = true;

	assert_int_equal(iommu_map(d, iova, pa, size,
				   IOMMU_READ | IOMMU_WRITE),
			 0);
	expect_calls(want, 5);
	assert_int_equal(ld(&mk.sync_maps), 1);
	assert_int_equal(iommu_iova_to_phys(d, iova + 0x123), pa + 0x123);
	assert_int_equal(iommu_iova_to_phys(d, SZ_1G + 0x12345678),
			 pa + (SZ_1G + 0x12345678 - iova));
	assert_int_equal(iommu_iova_to_phys(d, iova - SZ_4K), 0);
	assert_int_equal(iommu_unmap(d, iova, size), size);
	expect_calls(want_unmap, 5);
	assert_int_equal(iommu_iova_to_phys(d, iova), 0);

	assert_int_equal(iommu_map(d, SZ_2M, 0x40001000, 2 * SZ_2M,
				   IOMMU_READ),
			 0);
	expect_calls(want_4k, 1);
	assert_int_equal(iommu_unmap(d, SZ_2M, 2 * SZ_2M), 2 * SZ_2M);
	mk.nr_calls = 0;

	assert_int_equal(iommu_map_atomic(d, SZ_1G * 3, SZ_1G * 5,
					  SZ_2M + SZ_4K, IOMMU_WRITE),
			 0);
	expect_calls(want_short, 2);
	/* A 4K unmap inside a 2M page unmaps the whole superpage. */
	assert_int_equal(iommu_unmap(d, SZ_1G * 3, SZ_4K), SZ_2M);
	assert_int_equal(iommu_unmap(d, SZ_1G * 3 + SZ_2M, SZ_4K), SZ_4K);
	mk.record = false;
	iommu_domain_free(d);
}

/* ---- map failures and unmap of what is not mapped ------------------------ */

static void map_failures(void **state)
{
	struct iommu_domain *d;

	(void)state;
	machine_up(DK_IOMMU_DEFAULT_DMA, false, true, 0);
	mock_register();
	add_dev(-1, 0);
	d = iommu_domain_alloc(&platform_bus_type);

	/* Fails in its 2nd map_pages call: the 4K pages go again. */
	mk.fail_map_call = 2;
	assert_int_equal(iommu_map(d, SZ_2M - 2 * SZ_4K, 0x40000000 - 2 * SZ_4K,
				   2 * SZ_4K + 2 * SZ_2M, IOMMU_READ),
			 -ENOMEM);
	mk.fail_map_call = 0;
	assert_log_count("error -12 after mapping", 1);
	assert_int_equal(to_mock(d)->nr, 0);
	assert_int_equal(ld(&mk.sync_maps), 0);

	/* Overlap: -EEXIST, the old mapping intact, nothing new left. */
	assert_int_equal(iommu_map(d, 0x10000, 0x40010000, SZ_4K, IOMMU_READ),
			 0);
	assert_int_equal(iommu_map(d, 0xe000, 0x50000000, 4 * SZ_4K,
				   IOMMU_READ),
			 -EEXIST);
	assert_log_count("overlaps a mapping at 0x10000", 1);
	assert_int_equal(to_mock(d)->nr, 1);
	assert_int_equal(iommu_iova_to_phys(d, 0x10000), 0x40010000);
	assert_int_equal(iommu_iova_to_phys(d, 0xe000), 0);

	/* Unmap of what is not mapped: 0 and one message. */
	dk_test_log_clear();
	assert_int_equal(iommu_unmap(d, 0x20000, SZ_4K), 0);
	assert_log_count("nothing is mapped at iova 0x20000", 1);
	assert_int_equal(iommu_unmap(d, 0x10000, SZ_4K), SZ_4K);
	assert_int_equal(iommu_unmap(d, 0x10000, SZ_4K), 0);
	assert_log_count("nothing is mapped at iova 0x10000", 1);
	assert_int_equal(iommu_map(d, 0, 0x40000000, 0, IOMMU_READ), 0);
	iommu_domain_free(d);
}

/* ---- strict invalidation ------------------------------------------------- */

static void strict_unmap(void **state)
{
	struct iommu_iotlb_gather g;
	struct iommu_domain *d;
	struct device *dev;
	unsigned long before;

	(void)state;
	machine_up(DK_IOMMU_DEFAULT_DMA, false, true, 0);
	mock_register();
	dev = add_dev(-1, 0);
	d = iommu_get_dma_domain(dev);
	assert_int_equal(d->type, IOMMU_DOMAIN_DMA);
	mk.free_pt_page = true;
	before = nr_free_pages();
	assert_int_equal(iommu_map(d, SZ_2M, 0x40000000, SZ_2M, IOMMU_READ),
			 0);
	assert_int_equal(iommu_unmap(d, SZ_2M, SZ_2M), SZ_2M);
	assert_int_equal(ld(&mk.syncs), 1);
	assert_int_equal(ld(&mk.flushes), 0);
	/* The page-table page the driver left in the gather was freed. */
	assert_int_equal(nr_free_pages(), before);

	/* The fast form defers to iommu_iotlb_sync(). */
	iommu_iotlb_gather_init(&g);
	assert_int_equal(iommu_map(d, SZ_2M, 0x40000000, SZ_2M, IOMMU_READ),
			 0);
	assert_int_equal(iommu_unmap_fast(d, SZ_2M, SZ_2M, &g), SZ_2M);
	assert_int_equal(ld(&mk.syncs), 1);
	assert_int_equal(g.start, SZ_2M);
	assert_int_equal(g.end, 2 * SZ_2M - 1);
	iommu_iotlb_sync(d, &g);
	assert_int_equal(ld(&mk.syncs), 2);
	assert_true(list_empty(&g.freelist));
	assert_int_equal(nr_free_pages(), before);
	iommu_flush_iotlb_all(d);
	assert_int_equal(ld(&mk.flushes), 1);
}

/* ---- faults -------------------------------------------------------------- */

static struct {
	int calls;
	struct iommu_domain *domain;
	struct device *dev;
	unsigned long iova;
	int flags;
	void *token;
} fh;

static int fault_handler(struct iommu_domain *domain, struct device *dev,
			 unsigned long iova, int flags, void *token)
{
	fh.calls++;
	fh.domain = domain;
	fh.dev = dev;
	fh.iova = iova;
	fh.flags = flags;
	fh.token = token;
	return 0;
}

static void faults(void **state)
{
	struct iommu_domain *d;
	struct device *dev;
	int token;

	(void)state;
	memset(&fh, 0, sizeof(fh));
	machine_up(DK_IOMMU_DEFAULT_DMA, false, true, 0);
	mock_register();
	dev = add_dev(-1, 0);
	d = iommu_get_domain_for_dev(dev);

	iommu_set_fault_handler(d, fault_handler, &token);
	assert_int_equal(report_iommu_fault(d, dev, 0xdead000,
					    IOMMU_FAULT_WRITE),
			 0);
	assert_int_equal(fh.calls, 1);
	assert_ptr_equal(fh.domain, d);
	assert_ptr_equal(fh.dev, dev);
	assert_int_equal(fh.iova, 0xdead000);
	assert_int_equal(fh.flags, IOMMU_FAULT_WRITE);
	assert_ptr_equal(fh.token, &token);
	assert_log_count("iommu fault", 0);

	/* No handler: -ENOSYS, a rate-limited line (10 per 5 s). */
	iommu_set_fault_handler(d, NULL, NULL);
	dk_test_log_clear();
	for (int i = 0; i < 25; i++)
		assert_int_equal(report_iommu_fault(d, dev, 0x1000,
						    IOMMU_FAULT_READ),
				 -ENOSYS);
	assert_int_equal(fh.calls, 1);
	assert_log_count("iommu fault: dev ", 10);
	assert_log_count("iova 0x1000 flags 0x0 (read)", 10);
	assert_int_equal(dk_clock_advance(5000000000ull), 0);
	assert_int_equal(report_iommu_fault(NULL, dev, 0x2000,
					    IOMMU_FAULT_WRITE),
			 -ENOSYS);
	assert_log_count("15 fault messages suppressed", 1);
	assert_log_count("iova 0x2000 flags 0x1 (write)", 1);
}

/* ---- the flush queue ----------------------------------------------------- */

static unsigned long done_iova_sum;

static void done_cb(void *ctx, unsigned long iova, size_t size)
{
	(void)size;
	__atomic_fetch_add((int *)ctx, 1, __ATOMIC_ACQ_REL);
	__atomic_fetch_add(&done_iova_sum, iova, __ATOMIC_RELAXED);
}

static struct iommu_domain *lazy_domain(unsigned int fq_size, bool manual)
{
	struct device *dev;
	struct iommu_domain *d;

	machine_up(DK_IOMMU_DEFAULT_DMA, true, manual, fq_size);
	mock_register();
	dev = add_dev(-1, 0);
	d = iommu_get_dma_domain(dev);
	assert_int_equal(d->type, IOMMU_DOMAIN_DMA_FQ);
	return d;
}

static void fq_full(void **state)
{
	int ctx = 0;
	struct iommu_domain *d;
	unsigned long before;
	int i;

	(void)state;
	done_iova_sum = 0;
	d = lazy_domain(4, true);
	mk.free_pt_page = true;
	before = nr_free_pages();

	/* Four unmaps fit: nothing invalidated yet, pages not freed yet. */
	for (i = 0; i < 4; i++) {
		assert_int_equal(iommu_map(d, SZ_2M * (i + 1), 0x40000000,
					   SZ_2M, IOMMU_READ),
				 0);
		assert_int_equal(iommu_unmap(d, SZ_2M * (i + 1), SZ_2M),
				 SZ_2M);
	}
	assert_int_equal(ld(&mk.syncs), 0);
	assert_int_equal(ld(&mk.flushes), 0);
	assert_int_equal(dk_iommu_fq_pending(d), 4);
	assert_int_equal(nr_free_pages(), before - 4);

	/* The fifth finds it full: one flush, then it is queued. */
	assert_int_equal(iommu_map(d, SZ_4K, 0x40000000, SZ_4K, IOMMU_READ),
			 0);
	assert_int_equal(iommu_unmap(d, SZ_4K, SZ_4K), SZ_4K);
	assert_int_equal(ld(&mk.flushes), 1);
	assert_int_equal(dk_iommu_fq_pending(d), 1);
	assert_int_equal(nr_free_pages(), before);

	/* Callbacks: each exactly once, only after the flush. */
	assert_int_equal(dk_iommu_fq_queue(d, NULL, 0x5000, SZ_4K, done_cb,
					   &ctx),
			 0);
	assert_int_equal(dk_iommu_fq_queue(d, NULL, 0x6000, SZ_4K, done_cb,
					   &ctx),
			 0);
	assert_int_equal(dk_iommu_fq_queue(d, NULL, 0x7000, SZ_4K, done_cb,
					   &ctx),
			 0);
	assert_int_equal(ld(&ctx), 0);
	assert_int_equal(dk_iommu_fq_pending(d), 4);
	assert_int_equal(dk_iommu_fq_queue(d, NULL, 0x8000, SZ_4K, done_cb,
					   &ctx),
			 0);
	assert_int_equal(ld(&mk.flushes), 2);
	assert_int_equal(ld(&ctx), 3);
	dk_iommu_fq_flush(d);
	assert_int_equal(ld(&mk.flushes), 3);
	assert_int_equal(ld(&ctx), 4);
	assert_int_equal(done_iova_sum, 0x5000 + 0x6000 + 0x7000 + 0x8000);
	/* Empty: a flush does not bother the hardware. */
	dk_iommu_fq_flush(d);
	assert_int_equal(ld(&mk.flushes), 3);
	assert_int_equal(ld(&ctx), 4);
	assert_int_equal(ld(&mk.syncs), 0);
}

static void fq_timer(void **state)
{
	int ctx = 0;
	struct iommu_domain *d;

	(void)state;
	d = lazy_domain(0, true);	/* 256 entries, 10 ms */
	assert_int_equal(dk_iommu_fq_queue(d, NULL, 0x1000, SZ_4K, done_cb,
					   &ctx),
			 0);
	assert_int_equal(dk_clock_advance(5000000), 0);
	assert_int_equal(dk_iommu_fq_queue(d, NULL, 0x2000, SZ_4K, done_cb,
					   &ctx),
			 0);
	assert_int_equal(dk_clock_advance(4999999), 0);
	assert_int_equal(ld(&mk.flushes), 0);
	assert_int_equal(ld(&ctx), 0);
	/* 10 ms after the first entry: both go. */
	assert_int_equal(dk_clock_advance(1), 0);
	assert_true(DK_WAIT_UNTIL(ld(&ctx) == 2, 5000));
	assert_int_equal(ld(&mk.flushes), 1);
	assert_int_equal(dk_iommu_fq_pending(d), 0);

	/* The timer is armed again by the next entry, not before. */
	assert_int_equal(dk_clock_advance(20000000), 0);
	assert_int_equal(ld(&mk.flushes), 1);
	assert_int_equal(dk_iommu_fq_queue(d, NULL, 0x3000, SZ_4K, done_cb,
					   &ctx),
			 0);
	assert_int_equal(dk_clock_advance(9000000), 0);
	assert_int_equal(ld(&ctx), 2);
	assert_int_equal(dk_clock_advance(1000000), 0);
	assert_true(DK_WAIT_UNTIL(ld(&ctx) == 3, 5000));
	assert_int_equal(ld(&mk.flushes), 2);
}

static void fq_at_unregister(void **state)
{
	int ctx = 0;
	struct iommu_domain *d;

	(void)state;
	d = lazy_domain(0, true);
	for (int i = 0; i < 5; i++)
		assert_int_equal(dk_iommu_fq_queue(d, NULL, SZ_4K * i, SZ_4K,
						   done_cb, &ctx),
				 0);
	assert_int_equal(ld(&ctx), 0);
	/* The driver unbinds: the default domain is flushed, then freed. */
	iommu_device_unregister(&mk.iommu);
	registered = false;
	assert_int_equal(ld(&ctx), 5);
	assert_int_equal(ld(&mk.flushes), 1);
	assert_int_equal(ld(&mk.domains), 0);
}

struct fq_thread {
	struct iommu_domain *d;
	int n;
	int *hits;		/* one counter per entry, atomic */
};

static void hit_cb(void *ctx, unsigned long iova, size_t size)
{
	(void)size;
	__atomic_fetch_add(&((int *)ctx)[iova / SZ_4K], 1, __ATOMIC_ACQ_REL);
}

static void *fq_worker(void *arg)
{
	struct fq_thread *t = arg;

	for (int i = 0; i < t->n; i++)
		if (dk_iommu_fq_queue(t->d, NULL, SZ_4K * (unsigned long)i,
				      SZ_4K, hit_cb, t->hits))
			return arg;
	return NULL;
}

static void fq_threads(void **state)
{
	int n = 20000 * (int)dk_test_stress();
	struct fq_thread t[2];
	pthread_t th[2];
	void *ret;

	(void)state;
	t[0].d = t[1].d = lazy_domain(64, false);	/* real-time timer */
	for (int k = 0; k < 2; k++) {
		t[k].n = n;
		t[k].hits = calloc((size_t)n, sizeof(int));
		assert_int_equal(pthread_create(&th[k], NULL, fq_worker, &t[k]),
				 0);
	}
	for (int k = 0; k < 2; k++) {
		assert_int_equal(pthread_join(th[k], &ret), 0);
		assert_null(ret);
	}
	dk_iommu_fq_flush(t[0].d);
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < n; i++)
			if (ld(&t[k].hits[i]) != 1)
				fail_msg("thread %d entry %d: %d callbacks, want 1",
					 k, i, ld(&t[k].hits[i]));
		free(t[k].hits);
	}
	assert_true(ld(&mk.flushes) >= 2 * n / 64);
}

/* ---- leaks --------------------------------------------------------------- */

static void leak_reports(void **state)
{
	struct iommu_domain *d;
	struct iommu_group *g;
	struct device *dev;

	(void)state;
	machine_up(DK_IOMMU_DEFAULT_DMA, false, true, 0);
	mock_register();
	dev = add_dev(-1, 0);
	d = iommu_domain_alloc(&platform_bus_type);
	assert_int_equal(iommu_attach_device(d, dev), 0);
	g = iommu_group_get(dev);
	assert_non_null(g);
	/* Neither freed nor put: two reports at destroy, nothing lost. */
	assert_int_equal(machine_down(), 2);
	assert_log_count("from iommu_domain_alloc() was never freed", 1);
	assert_log_count("reference from iommu_group_get() never put", 1);
}

/* ---- end to end: the DK-IOMMU driver and hardware ------------------------ */


#define E2E_IOVA	0x10000000UL

static struct {
	struct tmodel *tm;
	struct device *dev;
	struct iommu_domain *d;
	struct page *pg;	/* 2 MiB, naturally aligned */
	phys_addr_t pa;
	uint8_t *va;
} e;

static void e2e_up(bool lazy)
{
	struct dk_machine_config cfg;
	struct dk_device_config dc;
	struct platform_device *pdev;

	dk_machine_config_init(&cfg);
	cfg.iommu.present = true;
	cfg.iommu.lazy = lazy;
	cfg.manual_clock = true;
	assert_int_equal(dk_machine_create(&cfg, &m), 0);
	dk_device_config_init(&dc);
	assert_int_equal(tmodel_add(m, &dc, &tmodel_nothread_ops, &e.tm,
				    &pdev),
			 0);
	e.dev = &pdev->dev;
	e.d = iommu_get_dma_domain(e.dev);
	assert_non_null(e.d);
	assert_int_equal(e.d->type,
			 lazy ? IOMMU_DOMAIN_DMA_FQ : IOMMU_DOMAIN_DMA);
	e.pg = alloc_pages(GFP_KERNEL, 9);
	assert_non_null(e.pg);
	e.pa = page_to_phys(e.pg);
	e.va = page_address(e.pg);
	for (size_t i = 0; i < SZ_2M; i++)
		e.va[i] = (uint8_t)(i * 7 + 1);
}

static int e2e_teardown(void **state)
{
	(void)state;
	if (e.pg)
		__free_pages(e.pg, 9);
	memset(&e, 0, sizeof(e));
	return teardown(state);
}

static int dev_read(unsigned long iova, void *buf, size_t len)
{
	return dk_dma_read(&e.tm->hw, iova, buf, len);
}

static void e2e_strict(void **state)
{
	uint8_t buf[64];

	(void)state;
	e2e_up(false);
	assert_int_equal(iommu_map(e.d, E2E_IOVA, e.pa, SZ_4K,
				   IOMMU_READ | IOMMU_WRITE),
			 0);
	assert_int_equal(iommu_iova_to_phys(e.d, E2E_IOVA + 0x10),
			 e.pa + 0x10);
	assert_int_equal(dev_read(E2E_IOVA + 16, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, e.va + 16, sizeof(buf));
	assert_int_equal(dk_dma_write(&e.tm->hw, E2E_IOVA + 100, "hello", 5),
			 0);
	assert_memory_equal(e.va + 100, "hello", 5);

	/* Outside the mapping: a fault, no data, reported by the core. */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(dev_read(E2E_IOVA + SZ_4K, buf, sizeof(buf)),
			 -EFAULT);
	assert_int_equal(buf[0], 0xee);
	assert_true(DK_WAIT_UNTIL(dk_test_log_count("iommu fault: dev ") == 1,
				  5000));
	assert_log_count("iova 0x10001000 flags 0x0 (read)", 1);

	/* Read-only: a write faults, a read works. */
	assert_int_equal(iommu_map(e.d, E2E_IOVA + 2 * SZ_4K, e.pa + SZ_4K,
				   SZ_4K, IOMMU_READ),
			 0);
	assert_int_equal(dk_dma_write(&e.tm->hw, E2E_IOVA + 2 * SZ_4K, "x",
				      1),
			 -EFAULT);
	assert_int_equal(dev_read(E2E_IOVA + 2 * SZ_4K, buf, 8), 0);
	assert_memory_equal(buf, e.va + SZ_4K, 8);

	/* Strict: the translation is gone as soon as iommu_unmap returns. */
	assert_int_equal(iommu_unmap(e.d, E2E_IOVA, SZ_4K), SZ_4K);
	assert_int_equal(dev_read(E2E_IOVA + 16, buf, 8), -EFAULT);
	assert_int_equal(iommu_iova_to_phys(e.d, E2E_IOVA), 0);
	assert_int_equal(iommu_unmap(e.d, E2E_IOVA + 2 * SZ_4K, SZ_4K),
			 SZ_4K);

	/* A 2 MiB superpage, and an overlap refused by the driver. */
	assert_int_equal(iommu_map(e.d, SZ_1G, e.pa, SZ_2M, IOMMU_READ), 0);
	assert_int_equal(iommu_map(e.d, SZ_1G + SZ_4K, e.pa, SZ_4K,
				   IOMMU_READ),
			 -EEXIST);
	assert_int_equal(dev_read(SZ_1G + SZ_2M / 2 + 5, buf, sizeof(buf)),
			 0);
	assert_memory_equal(buf, e.va + SZ_2M / 2 + 5, sizeof(buf));
	assert_int_equal(iommu_unmap(e.d, SZ_1G, SZ_2M), SZ_2M);
	assert_int_equal(dev_read(SZ_1G, buf, 8), -EFAULT);
}

static void e2e_lazy(void **state)
{
	uint8_t buf[32];

	(void)state;
	e2e_up(true);
	assert_int_equal(iommu_map(e.d, E2E_IOVA, e.pa, SZ_4K, IOMMU_READ), 0);
	assert_int_equal(dev_read(E2E_IOVA, buf, sizeof(buf)), 0);
	assert_int_equal(iommu_unmap(e.d, E2E_IOVA, SZ_4K), SZ_4K);
	assert_int_equal(iommu_iova_to_phys(e.d, E2E_IOVA), 0);
	assert_int_equal(dk_iommu_fq_pending(e.d), 1);
	/* The stale window: the IOTLB still holds the old translation. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(dev_read(E2E_IOVA, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, e.va, sizeof(buf));
	/* ... and it closes at the flush. */
	dk_iommu_fq_flush(e.d);
	assert_int_equal(dk_iommu_fq_pending(e.d), 0);
	assert_int_equal(dev_read(E2E_IOVA, buf, sizeof(buf)), -EFAULT);

	/* Or when the queue's timer fires (10 ms, machine clock). */
	assert_int_equal(iommu_map(e.d, E2E_IOVA + SZ_2M, e.pa + SZ_4K, SZ_4K,
				   IOMMU_READ),
			 0);
	assert_int_equal(dev_read(E2E_IOVA + SZ_2M, buf, sizeof(buf)), 0);
	assert_int_equal(iommu_unmap(e.d, E2E_IOVA + SZ_2M, SZ_4K), SZ_4K);
	assert_int_equal(dk_clock_advance(9000000), 0);
	assert_int_equal(dev_read(E2E_IOVA + SZ_2M, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, e.va + SZ_4K, sizeof(buf));
	assert_int_equal(dk_clock_advance(1000000), 0);
	assert_int_equal(dk_iommu_fq_pending(e.d), 0);
	assert_int_equal(dev_read(E2E_IOVA + SZ_2M, buf, sizeof(buf)),
			 -EFAULT);
}

static void e2e_unmanaged(void **state)
{
	struct iommu_domain *u;
	uint8_t buf[16];

	(void)state;
	e2e_up(false);
	u = iommu_domain_alloc(&platform_bus_type);
	assert_non_null(u);
	assert_int_equal(iommu_map(e.d, E2E_IOVA, e.pa, SZ_4K, IOMMU_READ), 0);
	assert_int_equal(iommu_map(u, E2E_IOVA, e.pa + SZ_4K, SZ_4K,
				   IOMMU_READ),
			 0);
	assert_int_equal(iommu_attach_device(u, e.dev), 0);
	assert_ptr_equal(iommu_get_domain_for_dev(e.dev), u);
	assert_int_equal(dev_read(E2E_IOVA, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, e.va + SZ_4K, sizeof(buf));
	iommu_detach_device(u, e.dev);
	assert_int_equal(dev_read(E2E_IOVA, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, e.va, sizeof(buf));
	assert_int_equal(iommu_unmap(u, E2E_IOVA, SZ_4K), SZ_4K);
	iommu_domain_free(u);
	assert_int_equal(iommu_unmap(e.d, E2E_IOVA, SZ_4K), SZ_4K);
	assert_int_equal(dev_read(E2E_IOVA, buf, sizeof(buf)), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_and_groups, setup,
						teardown),
		cmocka_unit_test_setup_teardown(default_domains, setup,
						teardown),
		cmocka_unit_test_setup_teardown(map_split, setup, teardown),
		cmocka_unit_test_setup_teardown(map_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(strict_unmap, setup, teardown),
		cmocka_unit_test_setup_teardown(faults, setup, teardown),
		cmocka_unit_test_setup_teardown(fq_full, setup, teardown),
		cmocka_unit_test_setup_teardown(fq_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(fq_at_unregister, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fq_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(leak_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(e2e_strict, setup,
						e2e_teardown),
		cmocka_unit_test_setup_teardown(e2e_lazy, setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(e2e_unmanaged, setup,
						e2e_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
