// SPDX-License-Identifier: MIT
/*
 * testdev.c - driver for the DK-TESTDEV copy engine, written from its
 * datasheet (docs/hw/testdev.md) with the Linux-style API only: the
 * platform bus, ioremap/readl/writel, request_irq, completions.
 *
 * One transfer at a time per device. dk_testdev_copy()/_fill() program the
 * registers, ring the doorbell and sleep on a completion; the _async forms
 * return at once and the interrupt handler calls the client's function.
 * The interrupt handler reads INT_STATUS, acknowledges it, reads STATUS and
 * hands the result to whoever waits.
 *
 * Bus addresses are what the client passes: physical addresses today (no
 * DMA mapping API exists yet; dma_map_single() and the IOMMU come later).
 *
 * LOCKING: td_list_lock (mutex) protects td_list. Per device, td->lock
 * (mutex) serializes synchronous callers and is taken by remove to wait for
 * the last of them; td->slock (spinlock) protects busy, removing, done_fn,
 * done_arg and result, and is held while the completion is signalled so a
 * late interrupt cannot complete the next transfer's waiter. Client
 * callbacks run with no lock held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <time.h>
#include <linux/completion.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <dmakit/drivers/testdev.h>

#define DRV_NAME "dk-testdev"

/* Registers, from the datasheet section 2. */
#define TD_ID			0x000
#define   TD_ID_MAGIC		0x444b5444u
#define TD_VERSION		0x004
#define   TD_VERSION_MAJOR(v)	((v) >> 16)
#define   TD_VERSION_MINOR(v)	((v) & 0xffff)
#define TD_CTRL			0x008
#define   TD_CTRL_OP_COPY	0x0u
#define   TD_CTRL_OP_FILL	0x1u
#define   TD_CTRL_IRQ_EN	(1u << 8)
#define TD_SRC			0x010	/* 64-bit: SRC_LO, SRC_HI */
#define TD_DST			0x018	/* 64-bit: DST_LO, DST_HI */
#define TD_LEN			0x020
#define TD_FILL			0x028	/* 64-bit: FILL_LO, FILL_HI */
#define TD_DOORBELL		0x030
#define   TD_DB_START		(1u << 0)
#define   TD_DB_ABORT		(1u << 1)
#define TD_STATUS		0x034
#define   TD_STATE(s)		((s) & 0x3u)
#define   TD_STATE_IDLE		0x0u
#define   TD_STATE_BUSY		0x1u
#define   TD_STATE_DONE		0x2u
#define   TD_STATE_ERROR	0x3u
#define   TD_ERR(s)		(((s) >> 8) & 0xfu)
#define   TD_ERR_SRC_FAULT	0x1u
#define   TD_ERR_DST_FAULT	0x2u
#define   TD_ERR_ZERO_LEN	0x3u
#define   TD_ERR_BAD_OP		0x4u
#define   TD_ERR_ABORTED	0x5u
#define TD_BYTES_DONE		0x038
#define TD_INT_STATUS		0x040
#define   TD_INT_DONE		(1u << 0)
#define   TD_INT_ERROR		(1u << 1)
#define   TD_INT_REJECT		(1u << 2)
#define   TD_INT_ALL		0x7u
#define TD_INT_MASK		0x044

#define TD_WINDOW		0x1000
#define TD_MAX_LEN		0xffffffffull
/* Time to stop at a burst boundary after ABORT; bursts are 64 KiB. */
#define TD_ABORT_WAIT_MS	2000

struct dk_testdev {
	struct platform_device *pdev;
	struct device *dev;
	void __iomem *regs;
	int irq;
	struct list_head node;		/* in td_list, under td_list_lock */

	struct mutex lock;		/* serializes synchronous callers */
	spinlock_t slock;
	bool busy;			/* a transfer is in flight */
	bool removing;			/* remove started: refuse new work */
	dk_testdev_done_fn done_fn;	/* NULL for a synchronous transfer */
	void *done_arg;
	int result;			/* of the last finished transfer */
	struct completion done;
};

struct td_req {
	u32 op;
	dma_addr_t dst;
	dma_addr_t src;
	u64 pattern;
	size_t len;
};

static DEFINE_MUTEX(td_list_lock);
static LIST_HEAD(td_list);

static struct platform_driver td_driver;

static inline u32 td_read(struct dk_testdev *td, unsigned int off)
{
	return readl((char __iomem *)td->regs + off);
}

static inline void td_write(struct dk_testdev *td, unsigned int off, u32 val)
{
	writel(val, (char __iomem *)td->regs + off);
}

static inline void td_write64(struct dk_testdev *td, unsigned int off,
			      u64 val)
{
	writeq(val, (char __iomem *)td->regs + off);
}

static unsigned long long td_host_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What a finished transfer's STATUS means for the client. */
static int td_status_result(struct dk_testdev *td, u32 status, u32 bytes)
{
	switch (TD_STATE(status)) {
	case TD_STATE_DONE:
		return 0;
	case TD_STATE_ERROR:
		break;
	default:
		dev_err(td->dev, "interrupt with STATUS 0x%08x: neither DONE nor ERROR",
			status);
		return -EIO;
	}
	switch (TD_ERR(status)) {
	case TD_ERR_SRC_FAULT:
	case TD_ERR_DST_FAULT:
		dev_err(td->dev, "DMA %s fault after %u bytes (STATUS 0x%08x)",
			TD_ERR(status) == TD_ERR_SRC_FAULT ? "read" : "write",
			bytes, status);
		return -EFAULT;
	case TD_ERR_ABORTED:
		return -ECANCELED;
	default:
		dev_err(td->dev, "transfer failed: error code %u (STATUS 0x%08x)",
			TD_ERR(status), status);
		return -EIO;
	}
}

/*
 * Hand @result to whoever waits for the transfer in flight, if any.
 * Context: hard IRQ or process; takes td->slock.
 */
static void td_finish(struct dk_testdev *td, int result)
{
	dk_testdev_done_fn fn;
	void *arg;

	spin_lock(&td->slock);
	if (!td->busy) {
		spin_unlock(&td->slock);
		return;
	}
	td->busy = false;
	td->result = result;
	fn = td->done_fn;
	arg = td->done_arg;
	td->done_fn = NULL;
	/* Under slock: the next transfer reinits only after busy is false. */
	complete(&td->done);
	spin_unlock(&td->slock);
	if (fn)
		fn(arg, result);
}

static irqreturn_t td_irq(int irq, void *data)
{
	struct dk_testdev *td = data;
	u32 pending, status, bytes;

	pending = td_read(td, TD_INT_STATUS);
	if (!pending)
		return IRQ_NONE;
	td_write(td, TD_INT_STATUS, pending);	/* write 1 to clear */
	if (pending & TD_INT_REJECT)
		dev_warn(td->dev, "device refused a doorbell while busy (driver bug)");
	if (!(pending & (TD_INT_DONE | TD_INT_ERROR)))
		return IRQ_HANDLED;
	status = td_read(td, TD_STATUS);
	bytes = td_read(td, TD_BYTES_DONE);
	td_finish(td, td_status_result(td, status, bytes));
	return IRQ_HANDLED;
}

/* Program and start one transfer. Context: process or a done callback. */
static int td_start(struct dk_testdev *td, const struct td_req *rq,
		    dk_testdev_done_fn fn, void *arg)
{
	if (!td) {
		pr_err(DRV_NAME ": transfer on a NULL device\n");
		return -EINVAL;
	}
	if (!rq->len || rq->len > TD_MAX_LEN) {
		dev_err(td->dev, "transfer of %zu bytes: the device takes 1..%llu",
			rq->len, TD_MAX_LEN);
		return -EINVAL;
	}
	spin_lock(&td->slock);
	if (td->removing) {
		spin_unlock(&td->slock);
		return -ENODEV;
	}
	if (td->busy) {
		spin_unlock(&td->slock);
		return -EBUSY;
	}
	td->busy = true;
	td->done_fn = fn;
	td->done_arg = arg;
	reinit_completion(&td->done);
	spin_unlock(&td->slock);

	/* busy is ours: nobody else touches the transfer registers now. */
	if (rq->op == TD_CTRL_OP_FILL)
		td_write64(td, TD_FILL, rq->pattern);
	else
		td_write64(td, TD_SRC, rq->src);
	td_write64(td, TD_DST, rq->dst);
	td_write(td, TD_LEN, (u32)rq->len);
	td_write(td, TD_CTRL, rq->op | TD_CTRL_IRQ_EN);
	td_write(td, TD_DOORBELL, TD_DB_START);
	return 0;
}

/* Ask the device to stop and wait until it is not BUSY; false if wedged. */
static bool td_abort_and_wait(struct dk_testdev *td)
{
	unsigned long long end = td_host_ms() + TD_ABORT_WAIT_MS;

	if (TD_STATE(td_read(td, TD_STATUS)) != TD_STATE_BUSY)
		return true;
	td_write(td, TD_DOORBELL, TD_DB_ABORT);
	while (TD_STATE(td_read(td, TD_STATUS)) == TD_STATE_BUSY) {
		if (td_host_ms() > end)
			return false;
		sched_yield();
	}
	return true;
}

static int td_sync(struct dk_testdev *td, const struct td_req *rq)
{
	unsigned long timeout;
	int ret;

	might_sleep();
	if (!td) {
		pr_err(DRV_NAME ": transfer on a NULL device\n");
		return -EINVAL;
	}
	mutex_lock(&td->lock);
	ret = td_start(td, rq, NULL, NULL);
	if (ret)
		goto out_unlock;
	timeout = msecs_to_jiffies(1000 + 10 * (unsigned int)(rq->len >> 20));
	if (!wait_for_completion_timeout(&td->done, timeout)) {
		dev_err(td->dev, "%zu-byte transfer timed out after %u ms (STATUS 0x%08x, %u bytes done): aborting",
			rq->len, jiffies_to_msecs(timeout),
			td_read(td, TD_STATUS), td_read(td, TD_BYTES_DONE));
		if (!td_abort_and_wait(td))
			dev_err(td->dev, "device still busy after abort");
		/* The ERROR interrupt may be on its way: let it land first. */
		wait_for_completion_timeout(&td->done,
					    msecs_to_jiffies(TD_ABORT_WAIT_MS));
		ret = -ETIMEDOUT;
		goto out_unlock;
	}
	spin_lock(&td->slock);
	ret = td->result;
	spin_unlock(&td->slock);
	if (ret == -ECANCELED)
		ret = -EIO;	/* nobody aborted it on purpose */
out_unlock:
	mutex_unlock(&td->lock);
	return ret;
}

int dk_testdev_copy(struct dk_testdev *td, dma_addr_t dst, dma_addr_t src,
		    size_t len)
{
	struct td_req rq = { .op = TD_CTRL_OP_COPY, .dst = dst, .src = src,
			     .len = len };

	return td_sync(td, &rq);
}

int dk_testdev_fill(struct dk_testdev *td, dma_addr_t dst, u64 pattern,
		    size_t len)
{
	struct td_req rq = { .op = TD_CTRL_OP_FILL, .dst = dst,
			     .pattern = pattern, .len = len };

	return td_sync(td, &rq);
}

int dk_testdev_copy_async(struct dk_testdev *td, dma_addr_t dst,
			  dma_addr_t src, size_t len, dk_testdev_done_fn done,
			  void *arg)
{
	struct td_req rq = { .op = TD_CTRL_OP_COPY, .dst = dst, .src = src,
			     .len = len };

	if (!done) {
		pr_err(DRV_NAME ": asynchronous copy without a done function\n");
		return -EINVAL;
	}
	return td_start(td, &rq, done, arg);
}

int dk_testdev_fill_async(struct dk_testdev *td, dma_addr_t dst, u64 pattern,
			  size_t len, dk_testdev_done_fn done, void *arg)
{
	struct td_req rq = { .op = TD_CTRL_OP_FILL, .dst = dst,
			     .pattern = pattern, .len = len };

	if (!done) {
		pr_err(DRV_NAME ": asynchronous fill without a done function\n");
		return -EINVAL;
	}
	return td_start(td, &rq, done, arg);
}

static int td_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct dk_testdev *td;
	struct resource *res;
	u32 id, ver;
	int irq, ret;

	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!res || resource_size(res) < TD_WINDOW) {
		dev_err(dev, "no register window of %u bytes", TD_WINDOW);
		return -ENODEV;
	}
	irq = platform_get_irq(pdev, 0);
	if (irq < 0) {
		dev_err(dev, "no interrupt vector (%d)", irq);
		return irq;
	}
	td = kzalloc(sizeof(*td), GFP_KERNEL);
	if (!td)
		return -ENOMEM;
	td->pdev = pdev;
	td->dev = dev;
	td->irq = irq;
	INIT_LIST_HEAD(&td->node);
	mutex_init(&td->lock);
	spin_lock_init(&td->slock);
	init_completion(&td->done);

	td->regs = ioremap(res->start, TD_WINDOW);
	if (!td->regs) {
		ret = -ENOMEM;
		goto err_free;
	}
	id = td_read(td, TD_ID);
	ver = td_read(td, TD_VERSION);
	if (id != TD_ID_MAGIC || TD_VERSION_MAJOR(ver) != 1) {
		dev_err(dev, "ID 0x%08x version 0x%08x: expected ID 0x%08x, major version 1",
			id, ver, TD_ID_MAGIC);
		ret = -ENODEV;
		goto err_unmap;
	}
	/* Quiet the device, drop stale events, enable our interrupt sources. */
	td_write(td, TD_CTRL, 0);
	td_write(td, TD_INT_STATUS, TD_INT_ALL);
	td_write(td, TD_INT_MASK, TD_INT_ALL);

	ret = request_irq(irq, td_irq, 0, dev_name(dev), td);
	if (ret) {
		dev_err(dev, "request_irq(%d) failed: %d", irq, ret);
		goto err_unmap;
	}
	platform_set_drvdata(pdev, td);
	mutex_lock(&td_list_lock);
	list_add_tail(&td->node, &td_list);
	mutex_unlock(&td_list_lock);
	dev_info(dev, "DK-TESTDEV %u.%u, registers at %#llx (ioremap %p), irq %d",
		 TD_VERSION_MAJOR(ver), TD_VERSION_MINOR(ver),
		 (unsigned long long)res->start, td->regs, irq);
	return 0;

err_unmap:
	iounmap(td->regs);
err_free:
	mutex_destroy(&td->lock);
	kfree(td);
	return ret;
}

static int td_remove(struct platform_device *pdev)
{
	struct dk_testdev *td = platform_get_drvdata(pdev);
	int result = -ENODEV;
	bool idle, was_busy;

	mutex_lock(&td_list_lock);
	list_del_init(&td->node);
	mutex_unlock(&td_list_lock);

	spin_lock(&td->slock);
	td->removing = true;
	was_busy = td->busy;
	spin_unlock(&td->slock);

	/*
	 * No more interrupt messages, then no handler: free_irq() waits for
	 * a running one, which may have started a transfer from a client
	 * callback before it saw removing. Only then is nobody left who
	 * could ring the doorbell: stop the engine so it no longer writes
	 * RAM the client may free once told.
	 */
	td_write(td, TD_INT_MASK, 0);
	free_irq(td->irq, td);
	td_write(td, TD_CTRL, 0);
	idle = td_abort_and_wait(td);
	if (!idle)
		dev_err(td->dev, "device still busy %u ms after abort",
			TD_ABORT_WAIT_MS);

	/*
	 * A transfer the interrupt did not finish: say how it ended. STATUS
	 * of an earlier, already reported transfer is not news.
	 */
	if (idle && was_busy) {
		u32 status = td_read(td, TD_STATUS);

		if (TD_STATE(status) == TD_STATE_DONE)
			result = 0;
		else if (TD_STATE(status) == TD_STATE_ERROR &&
			 TD_ERR(status) != TD_ERR_ABORTED)
			result = td_status_result(td, status,
						  td_read(td, TD_BYTES_DONE));
	}
	td_finish(td, result);
	td_write(td, TD_INT_STATUS, TD_INT_ALL);

	/* Wait for a synchronous caller woken above to leave. */
	mutex_lock(&td->lock);
	mutex_unlock(&td->lock);

	platform_set_drvdata(pdev, NULL);
	iounmap(td->regs);
	mutex_destroy(&td->lock);
	kfree(td);
	return 0;
}

static struct platform_driver td_driver = {
	.probe = td_probe,
	.remove = td_remove,
	.driver = { .name = DRV_NAME },
};

int dk_testdev_driver_register(void)
{
	return platform_driver_register(&td_driver);
}

void dk_testdev_driver_unregister(void)
{
	platform_driver_unregister(&td_driver);
}

struct dk_testdev *dk_testdev_get(unsigned int index)
{
	struct dk_testdev *td, *found = NULL;

	mutex_lock(&td_list_lock);
	list_for_each_entry(td, &td_list, node) {
		if (!index--) {
			found = td;
			break;
		}
	}
	mutex_unlock(&td_list_lock);
	return found;
}

struct dk_testdev *dk_testdev_from_pdev(struct platform_device *pdev)
{
	struct dk_testdev *td, *found = NULL;

	if (!pdev)
		return NULL;
	mutex_lock(&td_list_lock);
	list_for_each_entry(td, &td_list, node) {
		if (td->pdev == pdev) {
			found = td;
			break;
		}
	}
	mutex_unlock(&td_list_lock);
	return found;
}

const char *dk_testdev_name(const struct dk_testdev *td)
{
	return td ? dev_name(td->dev) : "";
}
