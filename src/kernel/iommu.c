// SPDX-License-Identifier: MIT
/*
 * iommu.c - the IOMMU core (Linux 6.1's drivers/iommu/iommu.c, our own
 * code): IOMMU instances registered by drivers, the devices they claim,
 * groups (devices that must share a domain), default domains per group,
 * attach and detach, map and unmap (split into the largest page sizes that
 * fit, strict or through the flush queue of iommu_fq.c), and fault
 * dispatch to a domain's handler.
 *
 * Every device the platform bus publishes is recorded here (struct
 * dev_iommu) as it appears; when an IOMMU registers it probes the devices
 * already recorded, and later ones as they come. A probed device is in a
 * group; the group's first device decides its default domain (from the
 * machine's dk_iommu_config: DMA, DMA_FQ when lazy, IDENTITY or BLOCKED,
 * unless the driver's def_domain_type says otherwise), and every device of
 * the group is attached to the group's current domain.
 *
 * Domains are allocated by the driver (ops->domain_alloc) and freed by it
 * (ops->free); the core keeps a record of each live one so that a domain
 * that is freed twice, attached while freed, or never freed is reported
 * instead of corrupting anything. map/unmap/iova_to_phys take no core lock
 * (their cost is the driver's page-table code), so they check only what
 * they can see in the domain itself.
 *
 * LOCKING: core->lock (a mutex, process context) protects the lists of
 * IOMMUs, devices, groups and domain records, every group's fields and
 * every record's fields. Group->domain, group->default_domain and
 * dev->iommu_group are also written with atomic stores so that
 * iommu_get_domain_for_dev() and friends read them without the lock. The
 * platform bus calls in with its own lock held (bus lock, then core lock);
 * driver ops are called under core->lock, user callbacks of the flush
 * queue never are. report_iommu_fault() takes no lock at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/spinlock.h>
#include "core/internal.h"
#include "kernel/internal.h"

/* The platform bus, the only bus (Linux's bus_type, reduced to a name). */
struct bus_type {
	const char *name;
};

struct bus_type platform_bus_type = { .name = "platform" };

/* Rate limit of the fault log line: printk_ratelimited()'s defaults. */
#define FAULT_RL_INTERVAL_NS	(5ull * 1000000000ull)
#define FAULT_RL_BURST		10

/* What the core knows of one device (dev->iommu). */
struct dev_iommu {
	struct list_head node;		/* in core->devices */
	struct list_head group_node;	/* in group->devices */
	struct device *dev;
	struct iommu_device *iommu;	/* the IOMMU that claimed it */
	struct iommu_group *group;
	void *priv;			/* dev_iommu_priv_set() */
};

struct iommu_group {
	struct list_head node;		/* core->groups or ->zombies */
	struct list_head devices;	/* struct dev_iommu.group_node */
	unsigned int nr_devices;
	int id;
	int hint;			/* members' board hint, or -1 */
	int refs;			/* iommu_group_get(); atomic */
	struct iommu_device *iommu;
	struct iommu_domain *default_domain;	/* atomic store */
	struct iommu_domain *blocking_domain;
	struct iommu_domain *domain;	/* current; atomic store */
};

/* The core's record of one live domain. */
struct dom_rec {
	struct list_head node;		/* core->domains or ->leaked */
	struct iommu_domain *domain;
	struct iommu_device *iommu;
	unsigned int type;
	bool user;			/* from iommu_domain_alloc() */
	unsigned int groups;		/* groups it is current for */
};

struct dk_iommu_core {
	struct mutex lock;
	struct list_head iommus;	/* struct iommu_device.list */
	struct list_head devices;	/* struct dev_iommu.node */
	struct list_head groups;
	struct list_head zombies;	/* unregistered, refs left */
	struct list_head domains;	/* struct dom_rec */
	struct list_head leaked;	/* user domains never freed */
	int next_group_id;
	struct iommu_device *probing;	/* during device_group() */
	/* report_iommu_fault() rate limit; atomics. */
	uint64_t rl_begin_ns;
	int rl_printed;
	int rl_missed;
};

static struct dk_iommu_core *core_get(void)
{
	struct dk_machine *m = dk__m;

	return m ? m->iommu_core : NULL;
}

static const char *dom_type_name(unsigned int type)
{
	switch (type) {
	case IOMMU_DOMAIN_BLOCKED:
		return "BLOCKED";
	case IOMMU_DOMAIN_IDENTITY:
		return "IDENTITY";
	case IOMMU_DOMAIN_UNMANAGED:
		return "UNMANAGED";
	case IOMMU_DOMAIN_DMA:
		return "DMA";
	case IOMMU_DOMAIN_DMA_FQ:
		return "DMA-FQ";
	default:
		return "unknown";
	}
}

static struct dom_rec *rec_find(struct dk_iommu_core *c,
				const struct iommu_domain *d)
{
	struct dom_rec *r;

	list_for_each_entry(r, &c->domains, node)
		if (r->domain == d)
			return r;
	return NULL;
}

static bool group_known(struct dk_iommu_core *c, const struct iommu_group *g)
{
	struct iommu_group *x;

	list_for_each_entry(x, &c->groups, node)
		if (x == g)
			return true;
	return false;
}

/* ---- init / exit --------------------------------------------------------- */

/**
 * dk__iommu_core_init() - set up the core's state (m->iommu_core)
 * @m: the machine being created
 * Context: process, from dk_machine_create(). Return: 0 or -ENOMEM.
 */
int dk__iommu_core_init(struct dk_machine *m)
{
	struct dk_iommu_core *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	mutex_init(&c->lock);
	INIT_LIST_HEAD(&c->iommus);
	INIT_LIST_HEAD(&c->devices);
	INIT_LIST_HEAD(&c->groups);
	INIT_LIST_HEAD(&c->zombies);
	INIT_LIST_HEAD(&c->domains);
	INIT_LIST_HEAD(&c->leaked);
	m->iommu_core = c;
	return 0;
}

static void group_free(struct iommu_group *g)
{
	list_del(&g->node);
	free(g);
}

/**
 * dk__iommu_core_exit() - report what was left behind, free the state
 * @m: the machine being destroyed (every driver unbound already)
 *
 * Reports each domain from iommu_domain_alloc() never freed, each group
 * reference never put, and an IOMMU whose driver never unregistered it.
 * Context: process, from dk_machine_destroy(). Return: the reports made.
 */
int dk__iommu_core_exit(struct dk_machine *m)
{
	struct dk_iommu_core *c = m->iommu_core;
	struct iommu_device *iommu, *itmp;
	struct dev_iommu *di, *dtmp;
	struct iommu_group *g, *gtmp;
	struct dom_rec *r, *rtmp;
	int leaks = 0;

	if (!c)
		return 0;
	/* A driver that never unregistered: its ops are gone, forget all. */
	list_for_each_entry_safe(iommu, itmp, &c->iommus, list) {
		pr_err("iommu: an IOMMU (%s) is still registered at exit: its driver never called iommu_device_unregister()\n",
		       iommu->dev ? dev_name(iommu->dev) : "no device");
		list_del(&iommu->list);
		leaks++;
	}
	list_for_each_entry_safe(r, rtmp, &c->domains, node) {
		if (r->user) {
			pr_err("iommu: domain %p (%s) from iommu_domain_alloc() was never freed\n",
			       (void *)r->domain, dom_type_name(r->type));
			leaks++;
		}
		list_del(&r->node);
		free(r);
	}
	list_for_each_entry_safe(r, rtmp, &c->leaked, node) {
		pr_err("iommu: domain %p (%s) from iommu_domain_alloc() was never freed (freed when its IOMMU unregistered)\n",
		       (void *)r->domain, dom_type_name(r->type));
		leaks++;
		list_del(&r->node);
		free(r);
	}
	list_for_each_entry_safe(g, gtmp, &c->groups, node)
		list_add_tail(&g->node, &c->zombies);
	list_for_each_entry_safe(g, gtmp, &c->zombies, node) {
		int refs = __atomic_load_n(&g->refs, __ATOMIC_RELAXED);

		if (refs) {
			pr_err("iommu: group %d: %d reference%s from iommu_group_get() never put\n",
			       g->id, refs, refs == 1 ? "" : "s");
			leaks++;
		}
		group_free(g);
	}
	list_for_each_entry_safe(di, dtmp, &c->devices, node) {
		list_del(&di->node);
		free(di);
	}
	mutex_destroy(&c->lock);
	free(c);
	m->iommu_core = NULL;
	return leaks;
}

/* ---- domains ------------------------------------------------------------- */

/*
 * Allocate a domain of @type from @iommu's driver and record it.
 * Caller holds core->lock.
 */
static struct iommu_domain *domain_alloc(struct dk_iommu_core *c,
					 struct iommu_device *iommu,
					 unsigned int type, bool user)
{
	const struct iommu_ops *ops = iommu->ops;
	const struct iommu_domain_ops *dops;
	struct iommu_domain *d;
	struct dom_rec *r;

	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	d = ops->domain_alloc(type);
	if (IS_ERR_OR_NULL(d)) {
		free(r);
		return NULL;
	}
	d->type = type;
	if (!d->ops)
		d->ops = ops->default_domain_ops;
	if (!d->pgsize_bitmap)
		d->pgsize_bitmap = ops->pgsize_bitmap;
	d->handler = NULL;
	d->handler_token = NULL;
	d->fq = NULL;
	dops = d->ops;
	if (!dops || !dops->attach_dev || !dops->free ||
	    ((type & __IOMMU_DOMAIN_PAGING) &&
	     (!dops->map_pages || !dops->unmap_pages || !dops->iova_to_phys))) {
		pr_err("iommu: the driver's %s domain %p lacks ops (attach_dev, free, map_pages, unmap_pages, iova_to_phys): not used\n",
		       dom_type_name(type), (void *)d);
		if (dops && dops->free)
			dops->free(d);
		free(r);
		return NULL;
	}
	if (type == IOMMU_DOMAIN_DMA_FQ) {
		int ret = dk__iommu_fq_init(d);

		if (ret) {
			pr_warn("iommu: no flush queue for domain %p (error %d): falling back to strict invalidation\n",
				(void *)d, ret);
			d->type = IOMMU_DOMAIN_DMA;
		}
	}
	/* A default DMA domain gets its IOVA space for the DMA API. */
	if (!user && (d->type & __IOMMU_DOMAIN_DMA_API) &&
	    dk__iommu_dma_cookie_get(d)) {
		pr_err("iommu: no IOVA space for %s domain %p: not used\n",
		       dom_type_name(d->type), (void *)d);
		dk__iommu_fq_destroy(d);
		dops->free(d);
		free(r);
		return NULL;
	}
	r->domain = d;
	r->iommu = iommu;
	r->type = d->type;
	r->user = user;
	list_add_tail(&r->node, &c->domains);
	return d;
}

/* Flush and free a domain already taken off the records; no lock held. */
static void domain_release(struct iommu_domain *d)
{
	dk__iommu_fq_destroy(d);
	dk__iommu_dma_cookie_put(d);	/* after the queue's IOVA frees */
	d->ops->free(d);
}

/* ---- groups and attachment ----------------------------------------------- */

static struct iommu_group *group_new(struct dk_iommu_core *c, int hint)
{
	struct iommu_group *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	INIT_LIST_HEAD(&g->devices);
	g->id = c->next_group_id++;
	g->hint = hint;
	g->iommu = c->probing;
	list_add_tail(&g->node, &c->groups);
	return g;
}

static void rec_count(struct dk_iommu_core *c, struct iommu_domain *d,
		      int delta)
{
	struct dom_rec *r = d ? rec_find(c, d) : NULL;

	if (r)
		r->groups += delta;
}

/*
 * Make @new the current domain of every device of @g (NULL: detach them,
 * Linux's platform-specific "no domain"). On failure every device goes back
 * to the old domain. Caller holds core->lock.
 */
static int group_set_domain(struct dk_iommu_core *c, struct iommu_group *g,
			    struct iommu_domain *new)
{
	struct iommu_domain *old = g->domain;
	struct dev_iommu *di, *undo;
	int ret = 0;

	if (old == new)
		return 0;
	if (!new) {
		list_for_each_entry(di, &g->devices, group_node)
			if (old->ops->detach_dev)
				old->ops->detach_dev(old, di->dev);
		goto done;
	}
	list_for_each_entry(di, &g->devices, group_node) {
		ret = new->ops->attach_dev(new, di->dev);
		if (ret) {
			dev_err(di->dev, "iommu: attaching to %s domain %p failed with error %d\n",
				dom_type_name(new->type), (void *)new, ret);
			goto err_undo;
		}
	}
done:
	rec_count(c, old, -1);
	rec_count(c, new, +1);
	__atomic_store_n(&g->domain, new, __ATOMIC_RELEASE);
	return 0;

err_undo:
	list_for_each_entry(undo, &g->devices, group_node) {
		if (undo == di)
			break;
		if (old)
			old->ops->attach_dev(old, undo->dev);
		else if (new->ops->detach_dev)
			new->ops->detach_dev(new, undo->dev);
	}
	return ret;
}

/*
 * The group's blocking domain: a BLOCKED domain, or (for drivers without
 * one, as Linux does) an empty UNMANAGED domain, which blocks everything
 * just the same. NULL if neither can be had. Caller holds core->lock.
 */
static struct iommu_domain *group_blocking(struct dk_iommu_core *c,
					   struct iommu_group *g)
{
	if (g->blocking_domain)
		return g->blocking_domain;
	g->blocking_domain = domain_alloc(c, g->iommu, IOMMU_DOMAIN_BLOCKED,
					  false);
	if (!g->blocking_domain)
		g->blocking_domain = domain_alloc(c, g->iommu,
						  IOMMU_DOMAIN_UNMANAGED,
						  false);
	return g->blocking_domain;
}

static unsigned int config_def_type(struct dk_machine *m)
{
	switch (m->cfg.iommu.default_domain) {
	case DK_IOMMU_DEFAULT_IDENTITY:
		return IOMMU_DOMAIN_IDENTITY;
	case DK_IOMMU_DEFAULT_BLOCKED:
		return IOMMU_DOMAIN_BLOCKED;
	case DK_IOMMU_DEFAULT_DMA:
		break;
	default:
		pr_warn("iommu: default_domain %d is not a dk_iommu_default: using DMA\n",
			m->cfg.iommu.default_domain);
		break;
	}
	return m->cfg.iommu.lazy ? IOMMU_DOMAIN_DMA_FQ : IOMMU_DOMAIN_DMA;
}

static unsigned int def_domain_type(struct iommu_device *iommu,
				    struct device *dev)
{
	int t = iommu->ops->def_domain_type ?
		iommu->ops->def_domain_type(dev) : 0;

	switch (t) {
	case 0:
		return config_def_type(dk__m);
	case IOMMU_DOMAIN_IDENTITY:
	case IOMMU_DOMAIN_DMA:
	case IOMMU_DOMAIN_DMA_FQ:
		return (unsigned int)t;
	default:
		dev_warn(dev, "iommu: def_domain_type gave %#x, not a default domain type: ignored\n",
			 t);
		return config_def_type(dk__m);
	}
}

/* Give a new group its default domain and attach it. Caller holds lock. */
static void group_default_domain(struct dk_iommu_core *c,
				 struct iommu_group *g, struct device *dev)
{
	unsigned int type = def_domain_type(g->iommu, dev);
	struct dev_iommu *di;
	struct iommu_domain *d;

	if (type == IOMMU_DOMAIN_BLOCKED) {
		d = group_blocking(c, g);
		if (!d)
			dev_warn(dev, "iommu: the driver has no BLOCKED or UNMANAGED domain: group %d left with no domain\n",
				 g->id);
	} else {
		d = domain_alloc(c, g->iommu, type, false);
		if (!d && type != IOMMU_DOMAIN_DMA) {
			d = domain_alloc(c, g->iommu, IOMMU_DOMAIN_DMA, false);
			if (d)
				dev_warn(dev, "iommu: no default domain of type %s for group %d: falling back to DMA\n",
					 dom_type_name(type), g->id);
		}
		if (!d)
			dev_err(dev, "iommu: no default domain for group %d: its devices have no domain\n",
				g->id);
	}
	__atomic_store_n(&g->default_domain, d, __ATOMIC_RELEASE);
	if (d && group_set_domain(c, g, d)) {
		dev_err(dev, "iommu: group %d could not attach its default %s domain\n",
			g->id, dom_type_name(d->type));
		return;
	}
	/* The DMA API goes through a DMA domain, as iommu_setup_dma_ops(). */
	list_for_each_entry(di, &g->devices, group_node)
		dk__iommu_setup_dma_ops(di->dev, d);
}

/* Try each registered IOMMU on @di. Caller holds core->lock. */
static void probe_one(struct dk_iommu_core *c, struct dev_iommu *di,
		      struct iommu_device *only)
{
	struct device *dev = di->dev;
	struct iommu_device *iommu;
	struct iommu_group *g;
	struct iommu_device *claimed;

	list_for_each_entry(iommu, &c->iommus, list) {
		if (only && iommu != only)
			continue;
		if (dev == iommu->dev)
			continue;	/* the IOMMU is not its own master */
		claimed = iommu->ops->probe_device(dev);
		if (IS_ERR_OR_NULL(claimed))
			continue;
		di->iommu = iommu;
		c->probing = iommu;
		g = iommu->ops->device_group ? iommu->ops->device_group(dev) :
			generic_device_group(dev);
		c->probing = NULL;
		if (!IS_ERR_OR_NULL(g) && group_known(c, g) && !g->iommu)
			g->iommu = iommu;
		if (IS_ERR_OR_NULL(g) || !group_known(c, g) ||
		    g->iommu != iommu) {
			dev_err(dev, "iommu: the driver gave no usable group (%p): device not translated\n",
				(void *)g);
			if (iommu->ops->release_device)
				iommu->ops->release_device(dev);
			di->iommu = NULL;
			return;
		}
		list_add_tail(&di->group_node, &g->devices);
		g->nr_devices++;
		di->group = g;
		__atomic_store_n(&dev->iommu_group, g, __ATOMIC_RELEASE);
		dev_info(dev, "Adding to iommu group %d\n", g->id);
		if (g->nr_devices == 1 && !g->default_domain && !g->domain) {
			group_default_domain(c, g, dev);
		} else if (g->domain) {
			int ret = g->domain->ops->attach_dev(g->domain, dev);

			if (ret)
				dev_err(dev, "iommu: attaching to group %d's %s domain failed with error %d\n",
					g->id, dom_type_name(g->domain->type),
					ret);
			else
				dk__iommu_setup_dma_ops(dev,
							g->default_domain);
		}
		return;
	}
}

/**
 * dk__iommu_probe_device() - a device appeared on the platform bus
 * @dev: the device
 *
 * Records it, and lets a registered IOMMU claim it (group, default domain).
 * Context: process; called by the platform bus with its lock held; takes
 * core->lock.
 */
void dk__iommu_probe_device(struct device *dev)
{
	struct dk_iommu_core *c = core_get();
	struct dev_iommu *di;

	if (!c || !dev)
		return;
	mutex_lock(&c->lock);
	if (dev->iommu) {
		mutex_unlock(&c->lock);
		return;
	}
	di = calloc(1, sizeof(*di));
	if (!di) {
		mutex_unlock(&c->lock);
		dev_err(dev, "iommu: out of memory: device not translated\n");
		return;
	}
	di->dev = dev;
	INIT_LIST_HEAD(&di->group_node);
	list_add_tail(&di->node, &c->devices);
	dev->iommu = di;
	probe_one(c, di, NULL);
	mutex_unlock(&c->lock);
}

/* ---- provider side ------------------------------------------------------- */

static bool ops_valid(const struct iommu_ops *ops)
{
	const struct iommu_domain_ops *d = ops ? ops->default_domain_ops : NULL;

	return ops && ops->domain_alloc && ops->probe_device &&
	       ops->pgsize_bitmap && d && d->attach_dev && d->map_pages &&
	       d->unmap_pages && d->iova_to_phys && d->free;
}

/**
 * iommu_device_register() - an IOMMU driver offers its hardware
 * @iommu: embedded in the driver's state
 * @ops: its operations (domain_alloc, probe_device, pgsize_bitmap and
 *       default_domain_ops with attach_dev, map_pages, unmap_pages,
 *       iova_to_phys and free are required)
 * @hwdev: the IOMMU's own device (never probed as a master), or NULL
 *
 * Context: process (also from the driver's probe, under the bus lock);
 * takes core->lock; calls the driver's ops under it.
 * Return: 0, -EINVAL (logged), -EEXIST if registered already, -ENODEV
 * without a machine.
 */
int iommu_device_register(struct iommu_device *iommu,
			  const struct iommu_ops *ops, struct device *hwdev)
{
	struct dk_iommu_core *c = core_get();
	struct iommu_device *x;
	struct dev_iommu *di;
	static const char *const policy[] = { "Translated", "Passthrough",
					      "Blocked" };
	int def;

	if (!c) {
		pr_err("iommu_device_register: no machine\n");
		return -ENODEV;
	}
	if (!iommu || !ops_valid(ops)) {
		pr_err("iommu_device_register: %s: need an iommu_device and ops with domain_alloc, probe_device, pgsize_bitmap and default_domain_ops (attach_dev, map_pages, unmap_pages, iova_to_phys, free)\n",
		       hwdev ? dev_name(hwdev) : "(no device)");
		return -EINVAL;
	}
	mutex_lock(&c->lock);
	list_for_each_entry(x, &c->iommus, list) {
		if (x == iommu) {
			mutex_unlock(&c->lock);
			pr_err("iommu_device_register: %p is registered already\n",
			       (void *)iommu);
			return -EEXIST;
		}
	}
	iommu->ops = ops;
	iommu->dev = hwdev;
	list_add_tail(&iommu->list, &c->iommus);
	def = dk__m->cfg.iommu.default_domain;
	pr_info("iommu: Default domain type: %s\n",
		def >= 0 && def <= 2 ? policy[def] : policy[0]);
	if (def == DK_IOMMU_DEFAULT_DMA || def < 0 || def > 2)
		pr_info("iommu: DMA domain TLB invalidation policy: %s mode\n",
			dk__m->cfg.iommu.lazy ? "lazy" : "strict");
	list_for_each_entry(di, &c->devices, node)
		if (!di->iommu)
			probe_one(c, di, iommu);
	mutex_unlock(&c->lock);
	return 0;
}

/**
 * iommu_device_unregister() - the driver withdraws its IOMMU
 * @iommu: as registered
 *
 * Its devices are released (ops->release_device) and lose their group; the
 * default and blocking domains are flushed and freed; a domain a user
 * allocated and never freed is freed too and reported at machine destroy.
 * A group someone still holds a reference to lives on until then.
 * Context: process (also from the driver's remove, under the bus lock);
 * takes core->lock; flush-queue callbacks run without it.
 */
void iommu_device_unregister(struct iommu_device *iommu)
{
	struct dk_iommu_core *c = core_get();
	struct iommu_device *x;
	struct dev_iommu *di;
	struct iommu_group *g, *gtmp;
	struct dom_rec *r, *rtmp;
	LIST_HEAD(dead);
	bool found = false;

	if (!c || !iommu) {
		pr_err("iommu_device_unregister: %s\n",
		       c ? "iommu is NULL" : "no machine");
		return;
	}
	mutex_lock(&c->lock);
	list_for_each_entry(x, &c->iommus, list)
		if (x == iommu)
			found = true;
	if (!found) {
		mutex_unlock(&c->lock);
		pr_err("iommu_device_unregister: %p is not registered\n",
		       (void *)iommu);
		return;
	}
	list_for_each_entry(di, &c->devices, node) {
		if (di->iommu != iommu)
			continue;
		if (iommu->ops->release_device)
			iommu->ops->release_device(di->dev);
		dk__iommu_setup_dma_ops(di->dev, NULL);	/* dma-direct */
		list_del_init(&di->group_node);
		__atomic_store_n(&di->dev->iommu_group, NULL, __ATOMIC_RELEASE);
		di->group = NULL;
		di->iommu = NULL;
		di->priv = NULL;
	}
	list_for_each_entry_safe(g, gtmp, &c->groups, node) {
		if (g->iommu != iommu)
			continue;
		__atomic_store_n(&g->domain, NULL, __ATOMIC_RELEASE);
		__atomic_store_n(&g->default_domain, NULL, __ATOMIC_RELEASE);
		g->blocking_domain = NULL;
		g->nr_devices = 0;
		INIT_LIST_HEAD(&g->devices);
		if (__atomic_load_n(&g->refs, __ATOMIC_RELAXED))
			list_move_tail(&g->node, &c->zombies);
		else
			group_free(g);
	}
	list_for_each_entry_safe(r, rtmp, &c->domains, node) {
		if (r->iommu != iommu)
			continue;
		list_move_tail(&r->node, &dead);
	}
	list_del(&iommu->list);
	mutex_unlock(&c->lock);

	list_for_each_entry_safe(r, rtmp, &dead, node) {
		domain_release(r->domain);
		list_del(&r->node);
		if (r->user) {
			mutex_lock(&c->lock);
			list_add_tail(&r->node, &c->leaked);
			mutex_unlock(&c->lock);
		} else {
			free(r);
		}
	}
}

/*
 * A group for @dev: with @share, the group of the IOMMU being probed whose
 * members have the same board hint, if there is one.
 */
static struct iommu_group *device_group(struct device *dev, bool share)
{
	struct dk_iommu_core *c = core_get();
	struct iommu_group *g = NULL, *x;
	bool locked;

	if (!c || !dev) {
		pr_err("iommu: device_group: %s\n",
		       c ? "dev is NULL" : "no machine");
		return ERR_PTR(-EINVAL);
	}
	locked = dk_mutex_is_held(&c->lock);
	if (!locked)
		mutex_lock(&c->lock);
	if (share && dev->iommu_group_hint >= 0) {
		list_for_each_entry(x, &c->groups, node) {
			if (x->hint == dev->iommu_group_hint &&
			    x->iommu == c->probing) {
				g = x;
				break;
			}
		}
	}
	if (!g)
		g = group_new(c, share ? dev->iommu_group_hint : -1);
	if (!locked)
		mutex_unlock(&c->lock);
	return g ? g : ERR_PTR(-ENOMEM);
}

/**
 * generic_device_group() - a new group for @dev alone
 * @dev: the device being probed
 * Context: process; the driver's device_group op (core->lock held by the
 * core, taken otherwise). Return: the group or an ERR_PTR.
 */
struct iommu_group *generic_device_group(struct device *dev)
{
	return device_group(dev, false);
}

/**
 * dk_board_device_group() - the group the board gave @dev
 * @dev: the device being probed
 * Context: as generic_device_group(). Return: the group or an ERR_PTR.
 */
struct iommu_group *dk_board_device_group(struct device *dev)
{
	return device_group(dev, true);
}

/**
 * dev_iommu_priv_get() - the driver's data for @dev
 * @dev: a device
 * Context: any; no lock. Return: what dev_iommu_priv_set() stored, or NULL.
 */
void *dev_iommu_priv_get(struct device *dev)
{
	struct dev_iommu *di = dev ? dev->iommu : NULL;

	return di ? __atomic_load_n(&di->priv, __ATOMIC_ACQUIRE) : NULL;
}

/**
 * dev_iommu_priv_set() - store the driver's data for @dev
 * @dev: a device the core has recorded (every device on the bus)
 * @priv: the data
 * Context: any; no lock.
 */
void dev_iommu_priv_set(struct device *dev, void *priv)
{
	struct dev_iommu *di = dev ? dev->iommu : NULL;

	if (!di) {
		pr_err("dev_iommu_priv_set: %s is not known to the IOMMU core\n",
		       dev ? dev_name(dev) : "(NULL device)");
		return;
	}
	__atomic_store_n(&di->priv, priv, __ATOMIC_RELEASE);
}

/* ---- faults -------------------------------------------------------------- */

static bool fault_ratelimit(struct dk_iommu_core *c)
{
	uint64_t now = dk_clock_ns();
	uint64_t begin = __atomic_load_n(&c->rl_begin_ns, __ATOMIC_RELAXED);
	int missed;

	if (now - begin >= FAULT_RL_INTERVAL_NS &&
	    __atomic_compare_exchange_n(&c->rl_begin_ns, &begin, now, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		missed = __atomic_exchange_n(&c->rl_missed, 0,
					     __ATOMIC_RELAXED);
		__atomic_store_n(&c->rl_printed, 0, __ATOMIC_RELAXED);
		if (missed)
			pr_warn("report_iommu_fault: %d fault messages suppressed\n",
				missed);
	}
	if (__atomic_fetch_add(&c->rl_printed, 1, __ATOMIC_RELAXED) <
	    FAULT_RL_BURST)
		return true;
	__atomic_fetch_add(&c->rl_missed, 1, __ATOMIC_RELAXED);
	return false;
}

/**
 * report_iommu_fault() - hand a translation fault to the domain's handler
 * @domain: the domain @dev is attached to (NULL: none)
 * @dev: the faulting device
 * @iova: the faulting address
 * @flags: IOMMU_FAULT_READ or IOMMU_FAULT_WRITE
 *
 * Without a handler (or when it returns -ENOSYS) logs one rate-limited
 * line (10 per 5 s of machine time, as printk_ratelimited()).
 * Context: any, usually the IOMMU driver's hard-IRQ handler; takes no lock.
 * Return: the handler's result, or -ENOSYS.
 */
int report_iommu_fault(struct iommu_domain *domain, struct device *dev,
		       unsigned long iova, int flags)
{
	struct dk_iommu_core *c = core_get();
	iommu_fault_handler_t h = NULL;
	void *token = NULL;
	int ret = -ENOSYS;

	if (domain) {
		h = __atomic_load_n(&domain->handler, __ATOMIC_ACQUIRE);
		token = __atomic_load_n(&domain->handler_token,
					__ATOMIC_RELAXED);
	}
	if (h)
		ret = h(domain, dev, iova, flags, token);
	if (ret == -ENOSYS && (!c || fault_ratelimit(c)))
		pr_err("iommu fault: dev %s iova 0x%lx flags 0x%x (%s) domain %p: no fault handler took it\n",
		       dev ? dev_name(dev) : "(unknown)", iova, flags,
		       flags & IOMMU_FAULT_WRITE ? "write" : "read",
		       (void *)domain);
	return ret;
}

/**
 * iommu_set_fault_handler() - install @domain's fault handler
 * @domain: the domain
 * @handler: called by report_iommu_fault() in hard-IRQ context, or NULL
 * @token: its last argument
 * Context: any; no lock.
 */
void iommu_set_fault_handler(struct iommu_domain *domain,
			     iommu_fault_handler_t handler, void *token)
{
	if (!domain) {
		pr_err("iommu_set_fault_handler: domain is NULL\n");
		return;
	}
	__atomic_store_n(&domain->handler_token, token, __ATOMIC_RELAXED);
	__atomic_store_n(&domain->handler, handler, __ATOMIC_RELEASE);
}

/* ---- consumer side: presence, domains, groups ---------------------------- */

/**
 * iommu_present() - whether an IOMMU translates @bus
 * @bus: &platform_bus_type
 * Context: any; takes core->lock. Return: true if an IOMMU is registered.
 */
bool iommu_present(struct bus_type *bus)
{
	struct dk_iommu_core *c = core_get();
	bool ret;

	if (bus != &platform_bus_type) {
		pr_err("iommu_present: bus %p is not &platform_bus_type\n",
		       (void *)bus);
		return false;
	}
	if (!c)
		return false;
	mutex_lock(&c->lock);
	ret = !list_empty(&c->iommus);
	mutex_unlock(&c->lock);
	return ret;
}

/**
 * device_iommu_mapped() - whether @dev is behind an IOMMU (has a group)
 * @dev: the device
 * Context: any; no lock.
 */
bool device_iommu_mapped(struct device *dev)
{
	return dev && __atomic_load_n(&dev->iommu_group, __ATOMIC_ACQUIRE);
}

/**
 * iommu_domain_alloc() - a new UNMANAGED domain
 * @bus: &platform_bus_type
 * Context: process; takes core->lock. Return: the domain, or NULL (logged).
 */
struct iommu_domain *iommu_domain_alloc(struct bus_type *bus)
{
	struct dk_iommu_core *c = core_get();
	struct iommu_domain *d = NULL;

	if (bus != &platform_bus_type) {
		pr_err("iommu_domain_alloc: bus %p is not &platform_bus_type\n",
		       (void *)bus);
		return NULL;
	}
	if (!c) {
		pr_err("iommu_domain_alloc: no machine\n");
		return NULL;
	}
	mutex_lock(&c->lock);
	if (list_empty(&c->iommus))
		pr_err("iommu_domain_alloc: no IOMMU is registered\n");
	else
		d = domain_alloc(c, list_first_entry(&c->iommus,
						     struct iommu_device, list),
				 IOMMU_DOMAIN_UNMANAGED, true);
	mutex_unlock(&c->lock);
	if (!d && c && !list_empty(&c->iommus))
		pr_err("iommu_domain_alloc: the driver gave no UNMANAGED domain\n");
	return d;
}

/**
 * iommu_domain_free() - free a domain from iommu_domain_alloc()
 * @domain: the domain; it must be attached to no group
 *
 * A NULL, unknown (e.g. already freed), default or still attached domain
 * is reported and left alone.
 * Context: process; takes core->lock; flush-queue callbacks run without it.
 */
void iommu_domain_free(struct iommu_domain *domain)
{
	struct dk_iommu_core *c = core_get();
	struct dom_rec *r;

	if (!domain || !c) {
		pr_err("iommu_domain_free: %s\n",
		       c ? "domain is NULL" : "no machine");
		return;
	}
	mutex_lock(&c->lock);
	r = rec_find(c, domain);
	if (!r) {
		mutex_unlock(&c->lock);
		pr_err("iommu_domain_free: %p is not a live domain (freed twice?)\n",
		       (void *)domain);
		return;
	}
	if (!r->user) {
		mutex_unlock(&c->lock);
		pr_err("iommu_domain_free: %p is a group's %s default or blocking domain, not from iommu_domain_alloc(): not freed\n",
		       (void *)domain, dom_type_name(r->type));
		return;
	}
	if (r->groups) {
		mutex_unlock(&c->lock);
		pr_err("iommu_domain_free: domain %p is still attached to %u group%s: detach first; not freed\n",
		       (void *)domain, r->groups, r->groups == 1 ? "" : "s");
		return;
	}
	list_del(&r->node);
	mutex_unlock(&c->lock);
	free(r);
	domain_release(domain);
}

/* Common checks of attach/detach; returns the group or NULL (logged). */
static struct iommu_group *dev_group(const char *fn,
				    struct iommu_domain *domain,
				    struct device *dev, int *err)
{
	struct dev_iommu *di;

	*err = -EINVAL;
	if (!domain || !dev) {
		pr_err("%s: %s is NULL\n", fn, domain ? "dev" : "domain");
		return NULL;
	}
	di = dev->iommu;
	if (!di || !di->group) {
		dev_err(dev, "%s: device has no IOMMU (not behind one, or not probed)\n",
			fn);
		*err = -ENODEV;
		return NULL;
	}
	return di->group;
}

/* Caller holds core->lock. */
static int attach_group_locked(struct dk_iommu_core *c, const char *fn,
			       struct iommu_domain *domain,
			       struct iommu_group *g)
{
	struct dom_rec *r = rec_find(c, domain);
	struct iommu_domain *cur = g->domain;

	if (!r) {
		pr_err("%s: %p is not a live domain (freed?)\n", fn,
		       (void *)domain);
		return -EINVAL;
	}
	if (!r->user) {
		pr_err("%s: domain %p is a group's %s default or blocking domain; attach one from iommu_domain_alloc()\n",
		       fn, (void *)domain, dom_type_name(r->type));
		return -EINVAL;
	}
	if (r->iommu != g->iommu) {
		pr_err("%s: domain %p belongs to another IOMMU than group %d\n",
		       fn, (void *)domain, g->id);
		return -EINVAL;
	}
	if (cur && cur != g->default_domain && cur != g->blocking_domain) {
		pr_err("%s: group %d is attached to domain %p already (detach it first)\n",
		       fn, g->id, (void *)cur);
		return -EBUSY;
	}
	return group_set_domain(c, g, domain);
}

/* Back to the default domain (or none). Caller holds core->lock. */
static void detach_group_locked(struct dk_iommu_core *c, const char *fn,
				struct iommu_domain *domain,
				struct iommu_group *g)
{
	if (g->domain != domain) {
		pr_err("%s: group %d is attached to %p, not to domain %p\n",
		       fn, g->id, (void *)g->domain, (void *)domain);
		return;
	}
	if (domain == g->default_domain || domain == g->blocking_domain) {
		pr_err("%s: domain %p is group %d's own %s domain: nothing to detach\n",
		       fn, (void *)domain, g->id, dom_type_name(domain->type));
		return;
	}
	if (group_set_domain(c, g, g->default_domain))
		pr_err("%s: group %d could not go back to its default domain\n",
		       fn, g->id);
}

/**
 * iommu_attach_device() - attach @dev, alone in its group, to @domain
 * @domain: a domain from iommu_domain_alloc()
 * @dev: the device
 *
 * Context: process; takes core->lock.
 * Return: 0; -ENODEV if @dev has no IOMMU; -EINVAL for a NULL or unknown
 * domain or a group of more than one device (use iommu_attach_group());
 * -EBUSY if the group is attached to another domain already; or the
 * driver's error.
 */
int iommu_attach_device(struct iommu_domain *domain, struct device *dev)
{
	struct dk_iommu_core *c = core_get();
	struct iommu_group *g;
	int ret;

	if (!c)
		return -ENODEV;
	mutex_lock(&c->lock);
	g = dev_group("iommu_attach_device", domain, dev, &ret);
	if (!g)
		goto out;
	if (g->nr_devices != 1) {
		dev_err(dev, "iommu_attach_device: group %d has %u devices, which must share a domain: use iommu_attach_group()\n",
			g->id, g->nr_devices);
		ret = -EINVAL;
		goto out;
	}
	ret = attach_group_locked(c, "iommu_attach_device", domain, g);
out:
	mutex_unlock(&c->lock);
	return ret;
}

/**
 * iommu_detach_device() - return @dev from @domain to its default domain
 * @domain: the domain @dev is attached to
 * @dev: the device, alone in its group
 * Context: process; takes core->lock. Misuse is reported and ignored.
 */
void iommu_detach_device(struct iommu_domain *domain, struct device *dev)
{
	struct dk_iommu_core *c = core_get();
	struct iommu_group *g;
	int err;

	if (!c)
		return;
	mutex_lock(&c->lock);
	g = dev_group("iommu_detach_device", domain, dev, &err);
	if (g && g->nr_devices != 1)
		dev_err(dev, "iommu_detach_device: group %d has %u devices: use iommu_detach_group()\n",
			g->id, g->nr_devices);
	else if (g)
		detach_group_locked(c, "iommu_detach_device", domain, g);
	mutex_unlock(&c->lock);
}

/**
 * iommu_attach_group() - attach every device of @group to @domain
 * @domain: a domain from iommu_domain_alloc()
 * @group: a group (from iommu_group_get())
 * Context: process; takes core->lock.
 * Return: 0, -EINVAL, -EBUSY or the driver's error (then nothing changed).
 */
int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	struct dk_iommu_core *c = core_get();
	int ret;

	if (!c)
		return -ENODEV;
	if (!domain || !group) {
		pr_err("iommu_attach_group: %s is NULL\n",
		       domain ? "group" : "domain");
		return -EINVAL;
	}
	mutex_lock(&c->lock);
	if (!group_known(c, group)) {
		pr_err("iommu_attach_group: %p is not a live group\n",
		       (void *)group);
		ret = -EINVAL;
	} else {
		ret = attach_group_locked(c, "iommu_attach_group", domain,
					  group);
	}
	mutex_unlock(&c->lock);
	return ret;
}

/**
 * iommu_detach_group() - return @group from @domain to its default domain
 * @domain: the domain the group is attached to
 * @group: the group
 * Context: process; takes core->lock. Misuse is reported and ignored.
 */
void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	struct dk_iommu_core *c = core_get();

	if (!c)
		return;
	if (!domain || !group) {
		pr_err("iommu_detach_group: %s is NULL\n",
		       domain ? "group" : "domain");
		return;
	}
	mutex_lock(&c->lock);
	if (!group_known(c, group))
		pr_err("iommu_detach_group: %p is not a live group\n",
		       (void *)group);
	else
		detach_group_locked(c, "iommu_detach_group", domain, group);
	mutex_unlock(&c->lock);
}

/**
 * iommu_get_domain_for_dev() - the domain @dev's group is attached to now
 * @dev: the device
 * Context: any; no lock. Return: the domain, or NULL.
 */
struct iommu_domain *iommu_get_domain_for_dev(struct device *dev)
{
	struct iommu_group *g =
		dev ? __atomic_load_n(&dev->iommu_group, __ATOMIC_ACQUIRE) :
		      NULL;

	return g ? __atomic_load_n(&g->domain, __ATOMIC_ACQUIRE) : NULL;
}

/**
 * iommu_get_dma_domain() - @dev's default domain (what the DMA API uses)
 * @dev: the device
 * Context: any; no lock. Return: the domain, or NULL.
 */
struct iommu_domain *iommu_get_dma_domain(struct device *dev)
{
	struct iommu_group *g =
		dev ? __atomic_load_n(&dev->iommu_group, __ATOMIC_ACQUIRE) :
		      NULL;

	return g ? __atomic_load_n(&g->default_domain, __ATOMIC_ACQUIRE) :
		   NULL;
}

/**
 * iommu_group_get() - @dev's group, with a reference
 * @dev: the device
 * Context: any; no lock. Return: the group (put it with iommu_group_put())
 * or NULL.
 */
struct iommu_group *iommu_group_get(struct device *dev)
{
	struct iommu_group *g =
		dev ? __atomic_load_n(&dev->iommu_group, __ATOMIC_ACQUIRE) :
		      NULL;

	if (g)
		__atomic_fetch_add(&g->refs, 1, __ATOMIC_RELAXED);
	return g;
}

/**
 * iommu_group_put() - drop a reference from iommu_group_get()
 * @group: the group, or NULL
 * Context: any; no lock. A put without a get is reported and ignored.
 */
void iommu_group_put(struct iommu_group *group)
{
	int refs;

	if (!group)
		return;
	refs = __atomic_load_n(&group->refs, __ATOMIC_RELAXED);
	do {
		if (refs <= 0) {
			pr_err("iommu_group_put: group %d has no reference left (put twice?)\n",
			       group->id);
			return;
		}
	} while (!__atomic_compare_exchange_n(&group->refs, &refs, refs - 1,
					      false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
}

/**
 * iommu_group_id() - the number of @group
 * @group: the group
 * Context: any. Return: the id (>= 0), or -EINVAL for NULL.
 */
int iommu_group_id(struct iommu_group *group)
{
	if (!group) {
		pr_err("iommu_group_id: group is NULL\n");
		return -EINVAL;
	}
	return group->id;
}

/**
 * iommu_group_for_each_dev() - call @fn on each device of @group
 * @group: the group
 * @data: @fn's second argument
 * @fn: stops the walk by returning non-zero
 *
 * Context: process; @fn runs under core->lock (as Linux runs it under the
 * group mutex): it must not call the attach/detach/alloc/free API.
 * Return: the first non-zero @fn result, 0, or -EINVAL.
 */
int iommu_group_for_each_dev(struct iommu_group *group, void *data,
			     int (*fn)(struct device *, void *))
{
	struct dk_iommu_core *c = core_get();
	struct dev_iommu *di;
	int ret = 0;

	if (!c || !group || !fn) {
		pr_err("iommu_group_for_each_dev: %s\n",
		       !c ? "no machine" : !group ? "group is NULL" :
						    "fn is NULL");
		return -EINVAL;
	}
	mutex_lock(&c->lock);
	if (!group_known(c, group)) {
		pr_err("iommu_group_for_each_dev: %p is not a live group\n",
		       (void *)group);
		ret = -EINVAL;
	} else {
		list_for_each_entry(di, &group->devices, group_node) {
			ret = fn(di->dev, data);
			if (ret)
				break;
		}
	}
	mutex_unlock(&c->lock);
	return ret;
}

/* ---- map / unmap --------------------------------------------------------- */

static inline unsigned long mask_upto(unsigned int bit)
{
	return bit >= 63 ? ~0UL : (1UL << (bit + 1)) - 1;
}

/*
 * The largest page size of @bitmap that fits the alignment of iova and
 * paddr and the remaining @size, and how many of them to map before a
 * larger size becomes usable (Linux's iommu_pgsize(), our own code).
 * The caller made iova, paddr and size multiples of the smallest size.
 */
static size_t pick_pgsize(unsigned long bitmap, unsigned long iova,
			  phys_addr_t paddr, size_t size, size_t *count)
{
	unsigned long merge = iova | (unsigned long)paddr;
	unsigned long sizes, bigger, next;
	unsigned int idx;
	size_t span = size;

	sizes = bitmap & mask_upto(63 - (unsigned int)__builtin_clzl(size));
	if (merge)
		sizes &= mask_upto((unsigned int)__builtin_ctzl(merge));
	idx = 63 - (unsigned int)__builtin_clzl(sizes);
	bigger = bitmap & ~mask_upto(idx);
	if (bigger) {
		next = 1UL << __builtin_ctzl(bigger);
		/* Only worth it if iova and paddr sit alike in the big page. */
		if (!((iova ^ (unsigned long)paddr) & (next - 1))) {
			unsigned long off = next - (merge & (next - 1));

			if (off + next <= size)
				span = off;
		}
	}
	*count = span >> idx;
	return 1UL << idx;
}

/* Checks shared by map and unmap; 0 or -EINVAL (logged). */
static int range_check(const char *fn, struct iommu_domain *d,
		       unsigned long iova, phys_addr_t paddr, size_t size,
		       bool has_paddr)
{
	unsigned long min;

	if (!d) {
		pr_err("%s: domain is NULL\n", fn);
		return -EINVAL;
	}
	if (!(d->type & __IOMMU_DOMAIN_PAGING)) {
		pr_err("%s: domain %p is %s: only paging domains map and unmap\n",
		       fn, (void *)d, dom_type_name(d->type));
		return -EINVAL;
	}
	if (!d->pgsize_bitmap) {
		pr_err("%s: domain %p supports no page size\n", fn, (void *)d);
		return -EINVAL;
	}
	min = 1UL << __builtin_ctzl(d->pgsize_bitmap);
	if ((iova | (has_paddr ? (unsigned long)paddr : 0) | size) &
	    (min - 1)) {
		if (has_paddr)
			pr_err("%s: unaligned: iova 0x%lx pa 0x%llx size 0x%zx min_pagesz 0x%lx\n",
			       fn, iova, (unsigned long long)paddr, size, min);
		else
			pr_err("%s: unaligned: iova 0x%lx size 0x%zx min_pagesz 0x%lx\n",
			       fn, iova, size, min);
		return -EINVAL;
	}
	if (size && iova + size - 1 < iova) {
		pr_err("%s: iova 0x%lx size 0x%zx wraps around\n", fn, iova,
		       size);
		return -EINVAL;
	}
	if (size && d->geometry.aperture_end &&
	    (iova < d->geometry.aperture_start ||
	     iova + size - 1 > d->geometry.aperture_end)) {
		pr_err("%s: iova 0x%lx size 0x%zx is outside domain %p's aperture 0x%llx-0x%llx\n",
		       fn, iova, size, (void *)d,
		       (unsigned long long)d->geometry.aperture_start,
		       (unsigned long long)d->geometry.aperture_end);
		return -EINVAL;
	}
	return 0;
}

static size_t unmap_range(struct iommu_domain *d, unsigned long iova,
			  size_t size, struct iommu_iotlb_gather *gather)
{
	const struct iommu_domain_ops *ops = d->ops;
	size_t done = 0, n, count, pgsize;

	while (done < size) {
		if (size - done == (d->pgsize_bitmap & -d->pgsize_bitmap)) {
			/* The common one-smallest-page case. */
			pgsize = size - done;
			count = 1;
		} else {
			pgsize = pick_pgsize(d->pgsize_bitmap, iova, iova,
					     size - done, &count);
		}
		n = ops->unmap_pages(d, iova, pgsize, count, gather);
		if (!n)
			break;
		iova += n;
		done += n;
	}
	return done;
}

/* Invalidate what @gather holds, strictly; free its leftover pages. */
static void gather_sync(struct iommu_domain *d,
			struct iommu_iotlb_gather *gather)
{
	struct page *pg, *tmp;

	if (d->ops->iotlb_sync)
		d->ops->iotlb_sync(d, gather);
	else if (d->ops->flush_iotlb_all)
		d->ops->flush_iotlb_all(d);
	list_for_each_entry_safe(pg, tmp, &gather->freelist, lru) {
		list_del(&pg->lru);
		__free_pages(pg, 0);
	}
	iommu_iotlb_gather_init(gather);
}

/* iommu_unmap() minus the argument checks. */
static size_t unmap_sync(struct iommu_domain *d, unsigned long iova,
			 size_t size)
{
	struct iommu_iotlb_gather gather;
	size_t n;

	iommu_iotlb_gather_init(&gather);
	gather.queued = d->fq != NULL;
	n = unmap_range(d, iova, size, &gather);
	if (gather.queued) {
		if (n || !list_empty(&gather.freelist))
			dk_iommu_fq_queue(d, &gather, iova, n, NULL, NULL);
	} else if (n || !list_empty(&gather.freelist)) {
		gather_sync(d, &gather);
	}
	return n;
}

static int map_common(const char *fn, struct iommu_domain *d,
		      unsigned long iova, phys_addr_t paddr, size_t size,
		      int prot, gfp_t gfp)
{
	const struct iommu_domain_ops *ops;
	unsigned long cur = iova;
	size_t left = size, pgsize, count, mapped;
	int ret = range_check(fn, d, iova, paddr, size, true);

	if (ret)
		return ret;
	ops = d->ops;
	while (left) {
		if (left == (d->pgsize_bitmap & -d->pgsize_bitmap)) {
			pgsize = left;
			count = 1;
		} else {
			pgsize = pick_pgsize(d->pgsize_bitmap, cur, paddr,
					     left, &count);
		}
		mapped = 0;
		ret = ops->map_pages(d, cur, paddr, pgsize, count, prot, gfp,
				     &mapped);
		if (mapped > pgsize * count) {
			pr_err("%s: driver says it mapped 0x%zx bytes of 0x%zx\n",
			       fn, mapped, pgsize * count);
			mapped = pgsize * count;
		}
		left -= mapped;
		if (!ret && !mapped) {
			pr_err("%s: driver mapped nothing at iova 0x%lx (pgsize 0x%zx count %zu) and no error\n",
			       fn, cur, pgsize, count);
			ret = -EIO;
		}
		if (ret)
			break;
		cur += mapped;
		paddr += mapped;
	}
	if (ret) {
		/* Leave nothing behind: unmap what this call mapped. */
		if (size - left)
			unmap_sync(d, iova, size - left);
		if (ret != -EEXIST)
			pr_err("%s: iova 0x%lx size 0x%zx: error %d after mapping 0x%zx bytes (unmapped again)\n",
			       fn, iova, size, ret, size - left);
		else
			pr_err("%s: iova 0x%lx size 0x%zx overlaps a mapping at 0x%lx: nothing mapped\n",
			       fn, iova, size, iova + (size - left));
		return ret;
	}
	if (ops->iotlb_sync_map)
		ops->iotlb_sync_map(d, iova, size);
	return 0;
}

/**
 * iommu_map() - map [iova, iova + size) to [paddr, paddr + size)
 * @domain: a paging domain (UNMANAGED, DMA, DMA_FQ)
 * @iova: I/O virtual address, aligned to the smallest page size
 * @paddr: physical address, likewise aligned
 * @size: bytes, likewise
 * @prot: IOMMU_READ | IOMMU_WRITE | ...
 *
 * Split into the largest page sizes that fit. On any failure nothing of
 * this call stays mapped.
 * Context: process (may sleep: page tables are allocated GFP_KERNEL);
 * takes no core lock.
 * Return: 0; -EINVAL (NULL or non-paging domain, unaligned, outside the
 * aperture); the driver's error (-EEXIST on overlap, -ENOMEM).
 */
int iommu_map(struct iommu_domain *domain, unsigned long iova,
	      phys_addr_t paddr, size_t size, int prot)
{
	might_sleep();
	return map_common("iommu_map", domain, iova, paddr, size, prot,
			  GFP_KERNEL);
}

/**
 * iommu_map_atomic() - iommu_map() with GFP_ATOMIC page-table allocations
 * Context: any but hard-IRQ; takes no core lock. Return: as iommu_map().
 */
int iommu_map_atomic(struct iommu_domain *domain, unsigned long iova,
		     phys_addr_t paddr, size_t size, int prot)
{
	return map_common("iommu_map_atomic", domain, iova, paddr, size, prot,
			  GFP_ATOMIC);
}

/**
 * iommu_unmap() - unmap [iova, iova + size) and invalidate the IOTLB
 * @domain: a paging domain
 * @iova: aligned to the smallest page size
 * @size: likewise
 *
 * Strict domains (UNMANAGED, DMA) wait for the invalidation; a DMA_FQ
 * domain queues it (the device may still use the old translation until the
 * queue is flushed).
 * Context: process or softirq; takes no core lock.
 * Return: bytes unmapped; 0 (logged) for bad arguments or when nothing
 * was mapped at @iova.
 */
size_t iommu_unmap(struct iommu_domain *domain, unsigned long iova,
		   size_t size)
{
	size_t n;

	if (range_check("iommu_unmap", domain, iova, 0, size, false))
		return 0;
	n = unmap_sync(domain, iova, size);
	if (!n && size)
		pr_err("iommu_unmap: nothing is mapped at iova 0x%lx (size 0x%zx) in domain %p\n",
		       iova, size, (void *)domain);
	return n;
}

/**
 * iommu_unmap_fast() - unmap without invalidating; record what must be
 * @domain: a paging domain
 * @iova: aligned to the smallest page size
 * @size: likewise
 * @iotlb_gather: collects the range and freed page-table pages; pass it to
 *                iommu_iotlb_sync() or dk_iommu_fq_queue()
 * Context: process or softirq; no core lock. Return: bytes unmapped.
 */
size_t iommu_unmap_fast(struct iommu_domain *domain, unsigned long iova,
			size_t size, struct iommu_iotlb_gather *iotlb_gather)
{
	if (!iotlb_gather) {
		pr_err("iommu_unmap_fast: iotlb_gather is NULL\n");
		return 0;
	}
	if (range_check("iommu_unmap_fast", domain, iova, 0, size, false))
		return 0;
	return unmap_range(domain, iova, size, iotlb_gather);
}

/**
 * iommu_iotlb_sync() - invalidate what @iotlb_gather collected, and wait
 * @domain: the domain unmapped from
 * @iotlb_gather: reinitialised afterwards; its page-table pages are freed
 * Context: process or softirq; no core lock.
 */
void iommu_iotlb_sync(struct iommu_domain *domain,
		      struct iommu_iotlb_gather *iotlb_gather)
{
	if (!domain || !iotlb_gather) {
		pr_err("iommu_iotlb_sync: %s is NULL\n",
		       domain ? "iotlb_gather" : "domain");
		return;
	}
	gather_sync(domain, iotlb_gather);
}

/**
 * iommu_flush_iotlb_all() - invalidate everything cached for @domain
 * @domain: the domain
 * Context: process or softirq; no core lock.
 */
void iommu_flush_iotlb_all(struct iommu_domain *domain)
{
	if (!domain) {
		pr_err("iommu_flush_iotlb_all: domain is NULL\n");
		return;
	}
	if (domain->ops && domain->ops->flush_iotlb_all)
		domain->ops->flush_iotlb_all(domain);
}

/**
 * iommu_iova_to_phys() - where @iova goes in @domain
 * @domain: the domain
 * @iova: the address
 * Context: any; no core lock.
 * Return: the physical address; @iova itself for an IDENTITY domain; 0
 * when nothing is mapped there (or for a BLOCKED or NULL domain).
 */
phys_addr_t iommu_iova_to_phys(struct iommu_domain *domain, dma_addr_t iova)
{
	if (!domain) {
		pr_err("iommu_iova_to_phys: domain is NULL\n");
		return 0;
	}
	if (domain->type == IOMMU_DOMAIN_IDENTITY)
		return (phys_addr_t)iova;
	if (!(domain->type & __IOMMU_DOMAIN_PAGING))
		return 0;
	return domain->ops->iova_to_phys(domain, iova);
}
