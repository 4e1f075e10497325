// SPDX-License-Identifier: MIT
/*
 * dmaengine_memcpy.c - one DMA transaction through dmaengine, start to
 * finish, the way a kernel client writes it: request a channel, map the
 * buffers for the controller, prepare a descriptor, set the callback,
 * submit, issue pending, and let the callback say it is done.
 *
 * Build against the installed library:
 *   cc dmaengine_memcpy.c $(pkg-config --cflags --libs dmakit)
 */
#include <stdio.h>
#include <string.h>
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <dmakit/machine.h>

#define LEN (256 * 1024)

struct xfer {
	struct completion done;
	enum dmaengine_tx_result result;
};

/* Runs in tasklet context once the copy is done: must not sleep. */
static void copy_done(void *param, const struct dmaengine_result *res)
{
	struct xfer *x = param;

	x->result = res->result;
	complete(&x->done);
}

static int transfer(struct dma_chan *chan, u8 *dst, u8 *src)
{
	struct device *dev = dmaengine_get_dma_device(chan);
	struct dma_async_tx_descriptor *tx;
	dma_addr_t s, d;
	struct xfer x;
	dma_cookie_t cookie;
	int ret = -EIO;

	/* The controller does the DMA, so the buffers are mapped for it. */
	s = dma_map_single(dev, src, LEN, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, s))
		return -ENOMEM;
	d = dma_map_single(dev, dst, LEN, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, d)) {
		ret = -ENOMEM;
		goto unmap_src;
	}

	tx = dmaengine_prep_dma_memcpy(chan, d, s, LEN, DMA_PREP_INTERRUPT);
	if (!tx)
		goto unmap_dst;
	init_completion(&x.done);
	tx->callback_result = copy_done;
	tx->callback_param = &x;
	cookie = dmaengine_submit(tx);		/* queued, not started */
	if (dma_submit_error(cookie))
		goto unmap_dst;
	dma_async_issue_pending(chan);		/* now the controller runs */

	/* The CPU is free here; this program just waits for the callback. */
	if (!wait_for_completion_timeout(&x.done, msecs_to_jiffies(3000))) {
		dmaengine_terminate_sync(chan);
		ret = -ETIMEDOUT;
	} else {
		ret = x.result == DMA_TRANS_NOERROR ? 0 : -EIO;
	}
unmap_dst:
	dma_unmap_single(dev, d, LEN, DMA_FROM_DEVICE);
unmap_src:
	dma_unmap_single(dev, s, LEN, DMA_TO_DEVICE);
	return ret;
}

int main(void)
{
	struct dma_chan *chan;
	struct dk_machine *m;
	dma_cap_mask_t mask;
	u8 *src, *dst;
	int ret, leaks;

	ret = dk_machine_create(NULL, &m);
	if (ret)
		return 1;
	/* A DMA controller on the board; its driver is built in. */
	ret = dk_machine_add_dmac(m, NULL, NULL);
	if (ret)
		goto out;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_channel(mask, NULL, NULL);
	if (!chan) {
		ret = -ENODEV;
		goto out;
	}
	src = kmalloc(LEN, GFP_KERNEL);
	dst = kzalloc(LEN, GFP_KERNEL);
	if (src && dst) {
		for (int i = 0; i < LEN; i++)
			src[i] = (u8)(i * 13);
		ret = transfer(chan, dst, src);
		if (!ret && memcmp(src, dst, LEN))
			ret = -EIO;
		printf("dmaengine copy of %d bytes on %s: %s\n", LEN,
		       dma_chan_name(chan), ret ? "FAILED" : "ok");
	} else {
		ret = -ENOMEM;
	}
	kfree(src);
	kfree(dst);
	dma_release_channel(chan);
out:
	leaks = dk_machine_destroy(m);
	return ret || leaks ? 1 : 0;
}
