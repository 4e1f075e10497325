// SPDX-License-Identifier: MIT
/*
 * dmaengine.c - the dmaengine core: provider registration, exclusive
 * channel allocation (by mask and filter, and through the board's slave
 * map), and the checked client entry points that call the provider's ops.
 *
 * Semantics are Linux 6.1's (drivers/dma/dmaengine.c and the inlines of
 * include/linux/dmaengine.h); the differences are listed in
 * <linux/dmaengine.h>.
 *
 * LOCKING: the state's mutex (Linux's dma_list_mutex) protects the list of
 * registered devices, each device's dk_registered/privatecnt/cap_mask
 * DMA_PRIVATE bit, the slave map, and every channel's client_count, name
 * and slave. It is held across device_alloc_chan_resources, and across
 * device_synchronize + device_free_chan_resources at release, as in Linux:
 * those ops may sleep but must not request or release channels.
 * client_count is also read without the mutex (atomically) by the client
 * calls, to refuse a released channel with a message; a client racing its
 * own release is still a bug, only a reported one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/device.h>
#include <linux/dmaengine.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include "kernel/internal.h"
#include "kernel/dmaengine_internal.h"

/* One board slave-map entry (dk_machine_connect_dma()). */
struct dk_dma_map_entry {
	struct list_head node;
	char *devname;
	char *name;
	struct platform_device *dmac;
	unsigned int line;
};

/*
 * struct dk_dmaengine_state - m->dmaengine
 * @lock: see LOCKING
 * @devices: registered struct dma_device, by global_node (@lock)
 * @map: struct dk_dma_map_entry (@lock)
 * @next_dev_id: dev_id of the next registration (@lock)
 * @leaks: leak reports made at unregister, returned by exit (@lock)
 */
struct dk_dmaengine_state {
	struct mutex lock;
	struct list_head devices;
	struct list_head map;
	int next_dev_id;
	int leaks;
};

static struct dk_dmaengine_state *de_state(const char *func)
{
	struct dk_machine *m = __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);

	if (!m || !m->dmaengine) {
		pr_err("%s: no machine (dmaengine is not up)\n", func);
		return NULL;
	}
	return m->dmaengine;
}

static int chan_clients(struct dma_chan *chan)
{
	return __atomic_load_n(&chan->client_count, __ATOMIC_RELAXED);
}

static void chan_set_clients(struct dma_chan *chan, int n)
{
	__atomic_store_n(&chan->client_count, n, __ATOMIC_RELAXED);
}

/* A channel a client may use: non-NULL, of a device, held. */
static bool chan_ok(struct dma_chan *chan, const char *func)
{
	if (!chan) {
		pr_err("%s: NULL channel\n", func);
		return false;
	}
	if (IS_ERR(chan)) {
		pr_err("%s: channel is an error pointer (%ld)\n", func,
		       PTR_ERR(chan));
		return false;
	}
	if (!chan->device) {
		pr_err("%s: channel %p belongs to no dma_device\n", func,
		       (void *)chan);
		return false;
	}
	if (chan_clients(chan) < 1) {
		pr_err("%s: channel %s is not held by a client (released or "
		       "never requested)\n", func, chan->dk_name);
		return false;
	}
	return true;
}

/* ---- machine hooks ------------------------------------------------------- */

int dk__dmaengine_init(struct dk_machine *m)
{
	struct dk_dmaengine_state *st;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	mutex_init(&st->lock);
	INIT_LIST_HEAD(&st->devices);
	INIT_LIST_HEAD(&st->map);
	m->dmaengine = st;
	return 0;
}

int dk__dmaengine_exit(struct dk_machine *m)
{
	struct dk_dmaengine_state *st = m->dmaengine;
	struct dk_dma_map_entry *e, *n;
	struct dma_device *d;
	struct dma_chan *chan;
	int leaks;

	if (!st)
		return 0;
	mutex_lock(&st->lock);
	leaks = st->leaks;
	list_for_each_entry(d, &st->devices, global_node) {
		int held = 0;

		list_for_each_entry(chan, &d->channels, device_node) {
			if (chan_clients(chan)) {
				pr_err("dmaengine: leak: channel %s (%s) never "
				       "released\n", chan->dk_name,
				       chan->name ? chan->name : "no name");
				held++;
			}
		}
		pr_err("dmaengine: leak: DMA controller %s (dma%d) never "
		       "unregistered, %d channel(s) held\n",
		       d->dev ? dev_name(d->dev) : "?", d->dev_id, held);
		leaks += 1 + held;
	}
	list_for_each_entry_safe(e, n, &st->map, node) {
		list_del(&e->node);
		free(e->devname);
		free(e->name);
		free(e);
	}
	mutex_unlock(&st->lock);
	mutex_destroy(&st->lock);
	m->dmaengine = NULL;
	free(st);
	return leaks;
}

/**
 * dk__dma_slave_map_add() - record a board slave-map entry
 * @m: the machine
 * @devname: the client device's dev_name()
 * @name: the channel name the client asks for
 * @dmac: the DMA controller's platform device
 * @line: its request line; the controller's filter gets
 *        (void *)(uintptr_t)@line
 *
 * Context: process; takes the dmaengine mutex.
 * Return: 0, -EINVAL (NULL argument), -EEXIST (the pair is mapped
 * already), -ENOMEM, -ENODEV (dmaengine is not up).
 */
int dk__dma_slave_map_add(struct dk_machine *m, const char *devname,
			  const char *name, struct platform_device *dmac,
			  unsigned int line)
{
	struct dk_dmaengine_state *st;
	struct dk_dma_map_entry *e;
	int ret = 0;

	if (!m || !devname || !name || !dmac) {
		pr_err("dk__dma_slave_map_add: NULL argument (m %p devname %p "
		       "name %p dmac %p)\n", (void *)m, (const void *)devname,
		       (const void *)name, (void *)dmac);
		return -EINVAL;
	}
	st = m->dmaengine;
	if (!st) {
		pr_err("dk__dma_slave_map_add: dmaengine is not up\n");
		return -ENODEV;
	}
	mutex_lock(&st->lock);
	list_for_each_entry(e, &st->map, node) {
		if (!strcmp(e->devname, devname) && !strcmp(e->name, name)) {
			pr_err("dk__dma_slave_map_add: %s:%s is mapped "
			       "already (to %s line %u)\n", devname, name,
			       dev_name(&e->dmac->dev), e->line);
			ret = -EEXIST;
			goto out_unlock;
		}
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	e->devname = strdup(devname);
	e->name = strdup(name);
	if (!e->devname || !e->name) {
		free(e->devname);
		free(e->name);
		free(e);
		ret = -ENOMEM;
		goto out_unlock;
	}
	e->dmac = dmac;
	e->line = line;
	list_add_tail(&e->node, &st->map);
out_unlock:
	mutex_unlock(&st->lock);
	return ret;
}

/* ---- provider registration ----------------------------------------------- */

static const struct {
	enum dma_transaction_type cap;
	const char *name;
} unsupported_caps[] = {
	{ DMA_XOR, "xor" },
	{ DMA_XOR_VAL, "xor_val" },
	{ DMA_PQ, "pq" },
	{ DMA_PQ_VAL, "pq_val" },
	{ DMA_MEMSET_SG, "memset_sg" },
	{ DMA_INTERRUPT, "interrupt" },
};

static int device_check_ops(struct dma_device *device)
{
	const char *name = dev_name(device->dev);
	size_t i;

#define CHECK_CAP(cap, op)                                                   \
	do {                                                                 \
		if (dma_has_cap(cap, device->cap_mask) && !device->op) {    \
			pr_err("%s: Device claims capability %s, but op is " \
			       "not %s\n", name, #cap, #op);                \
			return -EIO;                                         \
		}                                                            \
	} while (0)

	CHECK_CAP(DMA_MEMCPY, device_prep_dma_memcpy);
	CHECK_CAP(DMA_MEMSET, device_prep_dma_memset);
	CHECK_CAP(DMA_CYCLIC, device_prep_dma_cyclic);
	CHECK_CAP(DMA_INTERLEAVE, device_prep_interleaved_dma);
#undef CHECK_CAP
	for (i = 0; i < ARRAY_SIZE(unsupported_caps); i++) {
		if (dma_has_cap(unsupported_caps[i].cap, device->cap_mask)) {
			pr_err("%s: Device claims capability %s, which dmakit "
			       "has no op for\n", name,
			       unsupported_caps[i].name);
			return -EIO;
		}
	}
	if (!device->device_tx_status) {
		pr_err("%s: Device device_tx_status is not defined\n", name);
		return -EIO;
	}
	if (!device->device_issue_pending) {
		pr_err("%s: Device device_issue_pending is not defined\n",
		       name);
		return -EIO;
	}
	return 0;
}

int dma_async_device_register(struct dma_device *device)
{
	struct dk_dmaengine_state *st;
	struct dma_chan *chan;
	unsigned int n = 0;
	int ret;

	if (!device) {
		pr_err("dma_async_device_register: NULL device\n");
		return -ENODEV;
	}
	if (!device->dev) {
		pr_err("DMA device must have dev\n");
		return -EIO;
	}
	st = de_state(__func__);
	if (!st)
		return -ENODEV;
	might_sleep();
	ret = device_check_ops(device);
	if (ret)
		return ret;
	if (!device->channels.next || list_empty(&device->channels)) {
		dev_err(device->dev, "%s: device has no channels!\n",
			__func__);
		return -ENODEV;
	}

	mutex_lock(&st->lock);
	if (device->dk_registered) {
		mutex_unlock(&st->lock);
		dev_err(device->dev, "%s: registered already (dma%d)\n",
			__func__, device->dev_id);
		return -EBUSY;
	}
	device->dev_id = st->next_dev_id++;
	list_for_each_entry(chan, &device->channels, device_node) {
		if (!chan->device)
			chan->device = device;
		chan->chan_id = (int)n++;
		chan->client_count = 0;
		chan->slave = NULL;
		chan->name = NULL;
		snprintf(chan->dk_name, sizeof(chan->dk_name), "dma%dchan%d",
			 device->dev_id, chan->chan_id);
	}
	device->chancnt = n;
	device->privatecnt = 0;
	dma_cap_clear(DMA_PRIVATE, device->cap_mask);
	device->dk_registered = true;
	list_add_tail(&device->global_node, &st->devices);
	mutex_unlock(&st->lock);
	return 0;
}

/* Drop @chan's client; dmaengine mutex held. Calls synchronize + free. */
static void chan_put_locked(struct dma_chan *chan)
{
	struct dma_device *device = chan->device;

	chan_set_clients(chan, 0);
	if (device->device_synchronize)
		device->device_synchronize(chan);
	if (device->device_free_chan_resources)
		device->device_free_chan_resources(chan);
	if (device->privatecnt && --device->privatecnt == 0)
		dma_cap_clear(DMA_PRIVATE, device->cap_mask);
	free((void *)chan->name);
	chan->name = NULL;
	chan->slave = NULL;
}

void dma_async_device_unregister(struct dma_device *device)
{
	struct dk_dmaengine_state *st;
	struct dma_chan *chan;

	if (!device) {
		pr_err("dma_async_device_unregister: NULL device\n");
		return;
	}
	st = de_state(__func__);
	if (!st)
		return;
	might_sleep();
	mutex_lock(&st->lock);
	if (!device->dk_registered) {
		mutex_unlock(&st->lock);
		pr_err("dma_async_device_unregister: device %p (%s) is not "
		       "registered\n", (void *)device,
		       device->dev ? dev_name(device->dev) : "no dev");
		return;
	}
	list_for_each_entry(chan, &device->channels, device_node) {
		if (!chan_clients(chan))
			continue;
		/* The client leaked it: take it back so the driver can go. */
		pr_err("dma_async_device_unregister called while %d clients "
		       "hold a reference (leak: channel %s, %s)\n",
		       chan_clients(chan), chan->dk_name,
		       chan->name ? chan->name : "no name");
		st->leaks++;
		if (device->device_terminate_all)
			device->device_terminate_all(chan);
		chan_put_locked(chan);
	}
	list_del(&device->global_node);
	device->dk_registered = false;
	mutex_unlock(&st->lock);
	if (device->device_release)
		device->device_release(device);
}

/* ---- channel allocation -------------------------------------------------- */

/* Take @chan for a client; dmaengine mutex held. */
static int chan_get_locked(struct dma_chan *chan)
{
	struct dma_device *device = chan->device;
	int ret;

	if (chan_clients(chan))
		return -EBUSY;
	if (device->device_alloc_chan_resources) {
		ret = device->device_alloc_chan_resources(chan);
		if (ret < 0) {
			dev_err(device->dev, "%s: alloc_chan_resources "
				"failed: %d\n", chan->dk_name, ret);
			return ret;
		}
	}
	chan_set_clients(chan, 1);
	dma_cap_set(DMA_PRIVATE, device->cap_mask);
	device->privatecnt++;
	return 0;
}

static bool device_satisfies_mask(struct dma_device *device,
				  const dma_cap_mask_t *want)
{
	return (device->cap_mask.bits[0] & want->bits[0]) == want->bits[0];
}

/* First free channel of @device with @mask that @fn accepts; mutex held. */
static struct dma_chan *private_candidate(const dma_cap_mask_t *mask,
					  struct dma_device *device,
					  dma_filter_fn fn, void *fn_param)
{
	struct dma_chan *chan;

	if (mask && !device_satisfies_mask(device, mask))
		return NULL;
	list_for_each_entry(chan, &device->channels, device_node) {
		if (chan_clients(chan))
			continue;
		if (fn && !fn(chan, fn_param))
			continue;
		return chan;
	}
	return NULL;
}

struct dma_chan *__dma_request_channel(const dma_cap_mask_t *mask,
				       dma_filter_fn fn, void *fn_param,
				       void *np)
{
	struct dk_dmaengine_state *st = de_state(__func__);
	struct dma_device *device;
	struct dma_chan *chan = NULL;

	(void)np;
	if (!st)
		return NULL;
	if (!mask) {
		pr_err("__dma_request_channel: NULL mask\n");
		return NULL;
	}
	might_sleep();
	mutex_lock(&st->lock);
	list_for_each_entry(device, &st->devices, global_node) {
		chan = private_candidate(mask, device, fn, fn_param);
		if (!chan)
			continue;
		if (!chan_get_locked(chan))
			break;
		chan = NULL;
	}
	mutex_unlock(&st->lock);
	pr_debug("__dma_request_channel: %s (%s)\n", chan ? "success" : "fail",
		 chan ? chan->dk_name : "none");
	return chan;
}

struct dma_chan *dma_request_chan_by_mask(const dma_cap_mask_t *mask)
{
	struct dk_dmaengine_state *st = de_state(__func__);
	struct dma_chan *chan;
	bool any;

	if (!st)
		return ERR_PTR(-ENODEV);
	if (!mask) {
		pr_err("dma_request_chan_by_mask: NULL mask\n");
		return ERR_PTR(-EINVAL);
	}
	chan = __dma_request_channel(mask, NULL, NULL, NULL);
	if (chan)
		return chan;
	mutex_lock(&st->lock);
	any = !list_empty(&st->devices);
	mutex_unlock(&st->lock);
	return ERR_PTR(any ? -ENODEV : -EPROBE_DEFER);
}

/* The registered device whose struct device is @dev; mutex held. */
static struct dma_device *device_by_dev(struct dk_dmaengine_state *st,
					struct device *dev)
{
	struct dma_device *d;

	list_for_each_entry(d, &st->devices, global_node)
		if (d->dev == dev)
			return d;
	return NULL;
}

/* Take a slave channel of @d for @param; mutex held. */
static struct dma_chan *slave_candidate(struct dma_device *d, void *param,
					const char *who, const char *name)
{
	dma_cap_mask_t mask;
	struct dma_chan *chan;
	void *old_private;
	int ret;

	dma_cap_zero(mask);
	dma_cap_set(DMA_SLAVE, mask);
	if (!device_satisfies_mask(d, &mask)) {
		pr_err("dma_request_chan: %s:%s maps to %s, which has no "
		       "DMA_SLAVE capability\n", who, name, dev_name(d->dev));
		return ERR_PTR(-ENODEV);
	}
	chan = private_candidate(&mask, d, d->filter.fn, param);
	if (!chan) {
		pr_err("dma_request_chan: %s:%s: no free channel on %s "
		       "(%u channels) for request %lu\n", who, name,
		       dev_name(d->dev), d->chancnt,
		       (unsigned long)(uintptr_t)param);
		return ERR_PTR(-EBUSY);
	}
	old_private = chan->private;
	if (!d->filter.fn)
		chan->private = param;
	ret = chan_get_locked(chan);
	if (ret) {
		chan->private = old_private;
		return ERR_PTR(ret);
	}
	return chan;
}

struct dma_chan *dma_request_chan(struct device *dev, const char *name)
{
	struct dk_dmaengine_state *st;
	struct dk_dma_map_entry *e;
	struct dma_device *d;
	struct dma_chan *chan = NULL;
	const char *who;
	bool mapped = false;
	char *cname;

	if (!dev || !name) {
		pr_err("dma_request_chan: NULL %s\n", dev ? "name" : "device");
		return ERR_PTR(-EINVAL);
	}
	st = de_state(__func__);
	if (!st)
		return ERR_PTR(-ENODEV);
	might_sleep();
	who = dev_name(dev);

	mutex_lock(&st->lock);
	/* The board's map first. */
	list_for_each_entry(e, &st->map, node) {
		if (strcmp(e->devname, who) || strcmp(e->name, name))
			continue;
		mapped = true;
		d = device_by_dev(st, &e->dmac->dev);
		if (!d)
			continue;
		chan = slave_candidate(d, (void *)(uintptr_t)e->line, who,
				       name);
		if (!IS_ERR(chan))
			break;
	}
	/* Then the providers' own maps (Linux's filter.map). */
	if (!chan || IS_ERR(chan)) {
		list_for_each_entry(d, &st->devices, global_node) {
			const struct dma_slave_map *map = NULL;
			struct dma_chan *c;
			int i;

			for (i = 0; i < d->filter.mapcnt && d->filter.map;
			     i++) {
				if (!strcmp(d->filter.map[i].devname, who) &&
				    !strcmp(d->filter.map[i].slave, name)) {
					map = &d->filter.map[i];
					break;
				}
			}
			if (!map)
				continue;
			mapped = true;
			c = slave_candidate(d, map->param, who, name);
			if (!IS_ERR(c) || !chan) {
				chan = c;
				if (!IS_ERR(c))
					break;
			}
		}
	}
	if (!mapped) {
		mutex_unlock(&st->lock);
		pr_err("dma_request_chan: no slave map entry for %s:%s\n", who,
		       name);
		return ERR_PTR(-ENODEV);
	}
	if (!chan) {
		mutex_unlock(&st->lock);
		pr_debug("dma_request_chan: %s:%s: controller not registered "
			 "yet\n", who, name);
		return ERR_PTR(-EPROBE_DEFER);
	}
	if (IS_ERR(chan)) {
		mutex_unlock(&st->lock);
		return chan;
	}
	if (asprintf(&cname, "dma:%s", name) < 0)
		cname = NULL;
	chan->name = cname;
	chan->slave = dev;
	mutex_unlock(&st->lock);
	return chan;
}

struct dma_chan *dma_get_slave_channel(struct dma_chan *chan)
{
	struct dk_dmaengine_state *st = de_state(__func__);
	struct dma_chan *ret = NULL;

	if (!st)
		return NULL;
	if (!chan || !chan->device) {
		pr_err("dma_get_slave_channel: %s\n",
		       chan ? "channel of no device" : "NULL channel");
		return NULL;
	}
	might_sleep();
	mutex_lock(&st->lock);
	if (chan->device->dk_registered && !chan_get_locked(chan))
		ret = chan;
	mutex_unlock(&st->lock);
	return ret;
}

struct dma_chan *dma_get_any_slave_channel(struct dma_device *device)
{
	struct dk_dmaengine_state *st = de_state(__func__);
	struct dma_chan *chan, *ret = NULL;

	if (!st)
		return NULL;
	if (!device) {
		pr_err("dma_get_any_slave_channel: NULL device\n");
		return NULL;
	}
	might_sleep();
	mutex_lock(&st->lock);
	if (device->dk_registered) {
		list_for_each_entry(chan, &device->channels, device_node) {
			if (!chan_get_locked(chan)) {
				ret = chan;
				break;
			}
		}
	}
	mutex_unlock(&st->lock);
	return ret;
}

void dma_release_channel(struct dma_chan *chan)
{
	struct dk_dmaengine_state *st = de_state(__func__);

	if (!st)
		return;
	if (!chan || IS_ERR(chan) || !chan->device) {
		pr_err("dma_release_channel: %s\n",
		       !chan ? "NULL channel" :
		       IS_ERR(chan) ? "error pointer" :
				      "channel of no device");
		return;
	}
	if (in_interrupt()) {
		pr_err("dma_release_channel: %s released from interrupt or "
		       "callback context; not released\n", chan->dk_name);
		return;
	}
	might_sleep();
	mutex_lock(&st->lock);
	if (chan_clients(chan) != 1) {
		mutex_unlock(&st->lock);
		pr_err("dma_release_channel: channel %s is not held (released "
		       "twice?)\n", chan->dk_name);
		return;
	}
	chan_put_locked(chan);
	mutex_unlock(&st->lock);
}

/* ---- client: configuration and preparation ------------------------------- */

int dmaengine_slave_config(struct dma_chan *chan,
			   struct dma_slave_config *config)
{
	if (!chan_ok(chan, __func__))
		return -EINVAL;
	if (!config) {
		pr_err("dmaengine_slave_config: %s: NULL config\n",
		       chan->dk_name);
		return -EINVAL;
	}
	if (!chan->device->device_config)
		return -ENOSYS;
	return chan->device->device_config(chan, config);
}

int dma_get_slave_caps(struct dma_chan *chan, struct dma_slave_caps *caps)
{
	struct dma_device *device;

	if (!chan || IS_ERR(chan) || !caps || !chan->device) {
		pr_err("dma_get_slave_caps: NULL %s\n",
		       !caps ? "caps" : "channel or device");
		return -EINVAL;
	}
	device = chan->device;
	if (!dma_has_cap(DMA_SLAVE, device->cap_mask) &&
	    !dma_has_cap(DMA_CYCLIC, device->cap_mask))
		return -ENXIO;
	if (!device->directions)
		return -ENXIO;
	memset(caps, 0, sizeof(*caps));
	caps->src_addr_widths = device->src_addr_widths;
	caps->dst_addr_widths = device->dst_addr_widths;
	caps->directions = device->directions;
	caps->min_burst = device->min_burst;
	caps->max_burst = device->max_burst;
	caps->max_sg_burst = device->max_sg_burst;
	caps->residue_granularity = device->residue_granularity;
	caps->descriptor_reuse = device->descriptor_reuse;
	/* Each command is advertised by its own op, as Linux does. */
	caps->cmd_pause = !!device->device_pause;
	caps->cmd_resume = !!device->device_resume;
	caps->cmd_terminate = !!device->device_terminate_all;
	if (device->device_caps)
		device->device_caps(chan, caps);
	return 0;
}

/* Can @chan prepare an operation of @cap with @op? Logs why not. */
static bool prep_ok(struct dma_chan *chan, const char *func, int cap,
		    const void *op)
{
	if (!chan_ok(chan, func))
		return false;
	if (cap >= 0 &&
	    !dma_has_cap((enum dma_transaction_type)cap,
			 chan->device->cap_mask)) {
		pr_err("%s: %s: the device lacks the capability (cap %d)\n",
		       func, chan->dk_name, cap);
		return false;
	}
	if (!op) {
		pr_err("%s: %s: the device has no prep op for it\n", func,
		       chan->dk_name);
		return false;
	}
	return true;
}

struct dma_async_tx_descriptor *
dmaengine_prep_slave_sg(struct dma_chan *chan, struct scatterlist *sgl,
			unsigned int sg_len, enum dma_transfer_direction dir,
			unsigned long flags)
{
	if (!prep_ok(chan, __func__, -1,
		     chan && !IS_ERR(chan) && chan->device ?
		     (const void *)chan->device->device_prep_slave_sg : NULL))
		return NULL;
	if (!sgl || !sg_len || !is_slave_direction(dir)) {
		pr_err("dmaengine_prep_slave_sg: %s: bad argument (sgl %p, "
		       "sg_len %u, direction %d)\n", chan->dk_name,
		       (void *)sgl, sg_len, (int)dir);
		return NULL;
	}
	return chan->device->device_prep_slave_sg(chan, sgl, sg_len, dir,
						  flags, NULL);
}

struct dma_async_tx_descriptor *
dmaengine_prep_slave_single(struct dma_chan *chan, dma_addr_t buf,
			    size_t len, enum dma_transfer_direction dir,
			    unsigned long flags)
{
	struct scatterlist sg;

	if (!prep_ok(chan, __func__, -1,
		     chan && !IS_ERR(chan) && chan->device ?
		     (const void *)chan->device->device_prep_slave_sg : NULL))
		return NULL;
	if (!is_slave_direction(dir)) {
		pr_err("dmaengine_prep_slave_single: %s: direction %d is not "
		       "a slave direction\n", chan->dk_name, (int)dir);
		return NULL;
	}
	/* The provider copies what it needs from @sg during the call. */
	sg_init_table(&sg, 1);
	sg_dma_address(&sg) = buf;
	sg_dma_len(&sg) = (unsigned int)len;
	return chan->device->device_prep_slave_sg(chan, &sg, 1, dir, flags,
						  NULL);
}

struct dma_async_tx_descriptor *
dmaengine_prep_dma_cyclic(struct dma_chan *chan, dma_addr_t buf_addr,
			  size_t buf_len, size_t period_len,
			  enum dma_transfer_direction dir, unsigned long flags)
{
	/* Only the op is needed, not DMA_CYCLIC in cap_mask, as Linux. */
	if (!prep_ok(chan, __func__, -1,
		     chan && !IS_ERR(chan) && chan->device ?
		     (const void *)chan->device->device_prep_dma_cyclic : NULL))
		return NULL;
	if (!buf_len || !period_len) {
		pr_err("dmaengine_prep_dma_cyclic: %s: buffer %zu bytes, "
		       "period %zu bytes\n", chan->dk_name, buf_len,
		       period_len);
		return NULL;
	}
	return chan->device->device_prep_dma_cyclic(chan, buf_addr, buf_len,
						    period_len, dir, flags);
}

struct dma_async_tx_descriptor *
dmaengine_prep_dma_memcpy(struct dma_chan *chan, dma_addr_t dest,
			  dma_addr_t src, size_t len, unsigned long flags)
{
	if (!prep_ok(chan, __func__, DMA_MEMCPY,
		     chan && !IS_ERR(chan) && chan->device ?
		     (const void *)chan->device->device_prep_dma_memcpy : NULL))
		return NULL;
	return chan->device->device_prep_dma_memcpy(chan, dest, src, len,
						    flags);
}

struct dma_async_tx_descriptor *
dmaengine_prep_dma_memset(struct dma_chan *chan, dma_addr_t dest, int value,
			  size_t len, unsigned long flags)
{
	if (!prep_ok(chan, __func__, DMA_MEMSET,
		     chan && !IS_ERR(chan) && chan->device ?
		     (const void *)chan->device->device_prep_dma_memset : NULL))
		return NULL;
	return chan->device->device_prep_dma_memset(chan, dest, value, len,
						    flags);
}

struct dma_async_tx_descriptor *
dmaengine_prep_interleaved_dma(struct dma_chan *chan,
			       struct dma_interleaved_template *xt,
			       unsigned long flags)
{
	struct dma_device *d;

	if (!prep_ok(chan, __func__, -1,
		     chan && !IS_ERR(chan) && chan->device ?
		     (const void *)chan->device->device_prep_interleaved_dma :
		     NULL))
		return NULL;
	d = chan->device;
	if (!xt) {
		pr_err("dmaengine_prep_interleaved_dma: %s: NULL template\n",
		       chan->dk_name);
		return NULL;
	}
	if ((flags & DMA_PREP_REPEAT) && !dma_has_cap(DMA_REPEAT, d->cap_mask))
		return NULL;
	if ((flags & DMA_PREP_LOAD_EOT) &&
	    !dma_has_cap(DMA_LOAD_EOT, d->cap_mask))
		return NULL;
	return d->device_prep_interleaved_dma(chan, xt, flags);
}

/* ---- client: submission, status, control --------------------------------- */

dma_cookie_t dmaengine_submit(struct dma_async_tx_descriptor *desc)
{
	if (!desc) {
		pr_err("dmaengine_submit: NULL descriptor\n");
		return -EINVAL;
	}
	if (!desc->tx_submit) {
		pr_err("dmaengine_submit: descriptor %p has no tx_submit (not "
		       "prepared by a provider)\n", (void *)desc);
		return -EINVAL;
	}
	if (!chan_ok(desc->chan, __func__))
		return -EINVAL;
	return desc->tx_submit(desc);
}

void dma_async_issue_pending(struct dma_chan *chan)
{
	if (!chan_ok(chan, __func__))
		return;
	chan->device->device_issue_pending(chan);
}

enum dma_status dmaengine_tx_status(struct dma_chan *chan, dma_cookie_t cookie,
				    struct dma_tx_state *state)
{
	if (!chan_ok(chan, __func__))
		return DMA_ERROR;
	return chan->device->device_tx_status(chan, cookie, state);
}

enum dma_status dma_async_is_tx_complete(struct dma_chan *chan,
					 dma_cookie_t cookie,
					 dma_cookie_t *last,
					 dma_cookie_t *used)
{
	struct dma_tx_state state = { 0 };
	enum dma_status status;

	if (!chan_ok(chan, __func__))
		return DMA_ERROR;
	status = chan->device->device_tx_status(chan, cookie, &state);
	if (last)
		*last = state.last;
	if (used)
		*used = state.used;
	return status;
}

enum dma_status dma_sync_wait(struct dma_chan *chan, dma_cookie_t cookie)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(5000);
	enum dma_status status;

	if (!chan_ok(chan, __func__))
		return DMA_ERROR;
	dma_async_issue_pending(chan);
	for (;;) {
		status = dma_async_is_tx_complete(chan, cookie, NULL, NULL);
		if (status != DMA_IN_PROGRESS)
			break;
		if (time_after_eq(jiffies, timeout)) {
			dev_err(chan->device->dev, "%s: timeout!\n", __func__);
			return DMA_ERROR;
		}
		sched_yield();	/* cpu_relax() on a 2-core host */
	}
	return status;
}

int dmaengine_pause(struct dma_chan *chan)
{
	if (!chan_ok(chan, __func__))
		return -EINVAL;
	if (!chan->device->device_pause)
		return -ENOSYS;
	return chan->device->device_pause(chan);
}

int dmaengine_resume(struct dma_chan *chan)
{
	if (!chan_ok(chan, __func__))
		return -EINVAL;
	if (!chan->device->device_resume)
		return -ENOSYS;
	return chan->device->device_resume(chan);
}

int dmaengine_terminate_async(struct dma_chan *chan)
{
	if (!chan_ok(chan, __func__))
		return -EINVAL;
	if (!chan->device->device_terminate_all)
		return -ENOSYS;
	return chan->device->device_terminate_all(chan);
}

void dmaengine_synchronize(struct dma_chan *chan)
{
	if (!chan_ok(chan, __func__))
		return;
	if (in_interrupt()) {
		pr_err("dmaengine_synchronize: %s: called from interrupt or "
		       "callback context (would wait for itself); not "
		       "synchronized\n", chan->dk_name);
		return;
	}
	might_sleep();
	if (chan->device->device_synchronize)
		chan->device->device_synchronize(chan);
}

int dmaengine_terminate_sync(struct dma_chan *chan)
{
	int ret;

	if (!chan_ok(chan, __func__))
		return -EINVAL;
	if (in_interrupt()) {
		pr_err("dmaengine_terminate_sync: %s: called from interrupt or "
		       "callback context; use dmaengine_terminate_async\n",
		       chan->dk_name);
		return -EINVAL;
	}
	ret = dmaengine_terminate_async(chan);
	if (ret)
		return ret;
	dmaengine_synchronize(chan);
	return 0;
}

int dmaengine_desc_set_reuse(struct dma_async_tx_descriptor *tx)
{
	struct dma_slave_caps caps;
	int ret;

	if (!tx || !tx->chan) {
		pr_err("dmaengine_desc_set_reuse: %s\n",
		       tx ? "descriptor has no channel" : "NULL descriptor");
		return -EINVAL;
	}
	ret = dma_get_slave_caps(tx->chan, &caps);
	if (ret)
		return ret;
	if (!caps.descriptor_reuse)
		return -EPERM;
	tx->flags |= DMA_CTRL_REUSE;
	return 0;
}

int dmaengine_desc_free(struct dma_async_tx_descriptor *desc)
{
	if (!desc) {
		pr_err("dmaengine_desc_free: NULL descriptor\n");
		return -EINVAL;
	}
	if (!dmaengine_desc_test_reuse(desc))
		return -EPERM;
	if (!desc->desc_free) {
		pr_err("dmaengine_desc_free: descriptor %p has no desc_free\n",
		       (void *)desc);
		return -ENOSYS;
	}
	return desc->desc_free(desc);
}
