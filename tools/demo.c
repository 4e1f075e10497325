// SPDX-License-Identifier: MIT
/*
 * demo.c - `dmakit demo [--trace FILE] [--quiet]`: one transfer of the test
 * copy device, explained step by step for a newcomer.
 *
 * The demo is a list of steps (struct demo_step). Each prints what it is
 * about to do, does it, and says what happened; the transfer step records a
 * trace and narrates its events in time order: the driver's register
 * writes, the doorbell, the device thread's DMA transactions, the interrupt
 * message, the handler on the hard-IRQ thread. Then the IOMMU: the device
 * gets a domain of its own, copies between IOVAs that iommu_map() set up
 * (IOVA vs physical address, IOTLB misses then hits from the IOMMU's
 * statistics registers), and is finally told to write outside its mapping:
 * blocked, with the fault shown. Then the DMA mapping API, the way a
 * driver gets its bus addresses: a coherent buffer (CPU, physical and bus
 * address), a streaming mapping of kmalloc() buffers for a copy, and a
 * second test device that drives only 32 address bits, whose buffers
 * above 4 GiB are bounced through swiotlb. Later issues append steps
 * (dmaengine) to the table; teardown always runs last.
 *
 * LOCKING: the log sink may run on any machine thread; it only calls
 * printf, which locks stdout per call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <dmakit/drivers/testdev.h>
#include <dmakit/hw/testdev.h>
#include <dmakit/log.h>
#include <dmakit/machine.h>
#include <dmakit/trace.h>
#include "cli.h"

#define DEMO_LEN	16384
#define DEMO_PATTERN	0x5a

/* Where the IOMMU steps put the buffers in the device's address space. */
#define DEMO_IOVA_SRC	0x10000000ull
#define DEMO_IOVA_DST	0x20000000ull
#define DEMO_BAD_LEN	4096

/* DK-IOMMU statistics registers (docs/hw/iommu.md section 2.8). */
#define IOMMU_STAT_SEL		0x0c0
#define IOMMU_STAT_VAL		0x0c8
enum { ST_XLATE, ST_HIT, ST_MISS, ST_WALK, ST_FAULT, ST_NR = 5 };

struct demo {
	bool quiet;
	const char *trace_path;

	struct dk_machine_config cfg;
	struct dk_machine *m;
	struct platform_device *pdev;
	struct dk_testdev *td;
	bool driver_registered;
	u8 *src, *dst;
	phys_addr_t src_phys, dst_phys;
	int leaks;

	/* The IOMMU steps. */
	struct iommu_domain *dom;
	bool attached, src_mapped, dst_mapped;
	void __iomem *iommu_regs;

	/* The DMA-mapping steps: what is mapped, on which device. */
	u8 *coh;
	dma_addr_t coh_dma;
	struct device *map_dev;
	dma_addr_t src_dma, dst_dma;
	bool src_dma_mapped, dst_dma_mapped;
	struct platform_device *pdev32;
	struct dk_testdev *td32;
};

struct demo_step {
	const char *title;
	int (*run)(struct demo *d);
};

static bool demo_quiet;

/* Narration: silent with --quiet. */
static void say(const char *fmt, ...) DK_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
	va_list ap;

	if (demo_quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* Every message the platform logs, shown indented in the story. */
static void demo_log_sink(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level <= DK_LOG_WARN) {
		/* Keep the story in order when both go to one file. */
		fflush(stdout);
		fprintf(stderr, "    log: %s\n", msg);
	}
	else if (level <= DK_LOG_INFO && !demo_quiet)
		printf("    log: %s\n", msg);
}

/* ---- step 1: the machine ------------------------------------------------- */

static int step_machine(struct demo *d)
{
	int ret;

	dk_machine_config_init(&d->cfg);
	/* The IOMMU steps need one; devices start in pass-through. */
	d->cfg.iommu.present = true;
	d->cfg.iommu.default_domain = DK_IOMMU_DEFAULT_IDENTITY;
	say("dk_machine_create() builds a virtual machine: simulated RAM, an MMIO\n"
	    "bus, an interrupt controller, an IOMMU, and the kernel's threads\n"
	    "(hard IRQ, softirq, workqueue). Its physical address map:\n");
	for (unsigned int i = 0; i < d->cfg.nr_ram; i++) {
		const struct dk_ram_region_config *r = &d->cfg.ram[i];

		say("    RAM       0x%010" PRIx64 " - 0x%010" PRIx64 "  (%" PRIu64
		    " MiB, committed only when touched)\n",
		    r->base, r->base + r->size - 1, r->size >> 20);
	}
	say("    MMIO hole 0x%010llx - 0x%010llx  (device register windows)\n",
	    DK_MMIO_BASE, DK_MMIO_BASE + DK_MMIO_SIZE - 1);
	say("    IOMMU     0x%010llx  (DK-IOMMU registers; devices start in\n"
	    "              pass-through until they get a domain of their own)\n",
	    DK_IOMMU_BASE);
	ret = dk_machine_create(&d->cfg, &d->m);
	if (ret) {
		fprintf(stderr, "demo: dk_machine_create: %s\n", strerror(-ret));
		return ret;
	}
	say("The machine is up with %u interrupt vectors; its clock has run\n"
	    "%.1f ms since creation.\n", d->cfg.nr_irqs,
	    (double)dk_clock_ns() / 1e6);
	return 0;
}

/* ---- step 2: the device -------------------------------------------------- */

static int step_device(struct demo *d)
{
	struct resource *win;
	u16 rid;
	int ret, irq;

	say("dk_machine_add_testdev() plugs in the test copy device (datasheet:\n"
	    "docs/hw/testdev.md). The hardware side gets a register window, an\n"
	    "interrupt vector and a thread of its own; the software side sees a\n"
	    "platform device named \"%s\" that a driver can bind to.\n",
	    TESTDEV_NAME);
	ret = dk_machine_add_testdev(d->m, NULL, &d->pdev);
	if (ret) {
		fprintf(stderr, "demo: dk_machine_add_testdev: %s\n",
			strerror(-ret));
		return ret;
	}
	win = platform_get_resource(d->pdev, IORESOURCE_MEM, 0);
	irq = platform_get_irq(d->pdev, 0);
	rid = d->pdev->dev.requester_id;
	say("    name          %s\n", dev_name(&d->pdev->dev));
	say("    requester id  %02x:%02x.%u  (what it puts on the bus with each DMA)\n",
	    rid >> 8, (rid >> 3) & 0x1f, rid & 7);
	if (win)
		say("    registers     0x%llx - 0x%llx  (%llu bytes)\n",
		    (unsigned long long)win->start,
		    (unsigned long long)win->end,
		    (unsigned long long)resource_size(win));
	say("    interrupt     vector %d\n", irq);
	say("    address bits  %u\n", d->pdev->dev.dma_bits_hint);
	return 0;
}

/* ---- step 3: the driver -------------------------------------------------- */

static int step_driver(struct demo *d)
{
	int ret;

	say("The driver (src/drivers/testdev.c) registers as platform driver\n"
	    "\"%s\". Its probe maps the register window with ioremap(), checks\n"
	    "the ID register, enables the device's interrupt sources and\n"
	    "request_irq()s the vector. It was written from the datasheet and\n"
	    "reaches the device only through readl/writel and the interrupt.\n",
	    TESTDEV_NAME);
	ret = dk_testdev_driver_register();
	if (ret) {
		fprintf(stderr, "demo: dk_testdev_driver_register: %s\n",
			strerror(-ret));
		return ret;
	}
	d->driver_registered = true;
	d->td = dk_testdev_from_pdev(d->pdev);
	if (!d->td) {
		fprintf(stderr, "demo: the driver did not bind to %s\n",
			dev_name(&d->pdev->dev));
		return -ENODEV;
	}
	say("The driver is bound to %s.\n", dk_testdev_name(d->td));
	return 0;
}

/* ---- step 4: buffers ----------------------------------------------------- */

static int step_buffers(struct demo *d)
{
	say("kmalloc() takes two %d-byte buffers from simulated RAM. The CPU\n"
	    "uses their virtual addresses; the device needs bus addresses. The\n"
	    "device is in pass-through (its IOMMU domain is the identity), so\n"
	    "bus address = physical address = virt_to_phys().\n",
	    DEMO_LEN);
	d->src = kmalloc(DEMO_LEN, GFP_KERNEL);
	d->dst = kmalloc(DEMO_LEN, GFP_KERNEL);
	if (!d->src || !d->dst) {
		fprintf(stderr, "demo: kmalloc(%d) failed\n", DEMO_LEN);
		return -ENOMEM;
	}
	for (size_t i = 0; i < DEMO_LEN; i++)
		d->src[i] = (u8)(DEMO_PATTERN ^ i);
	memset(d->dst, 0, DEMO_LEN);
	d->src_phys = virt_to_phys(d->src);
	d->dst_phys = virt_to_phys(d->dst);
	say("    source       virt %p  phys 0x%llx  (filled with a pattern)\n",
	    (void *)d->src, (unsigned long long)d->src_phys);
	say("    destination  virt %p  phys 0x%llx  (zeroed)\n", (void *)d->dst,
	    (unsigned long long)d->dst_phys);
	return 0;
}

/* ---- step 5: the transfer, from the trace -------------------------------- */

static const char *reg_name(uint64_t off, unsigned int size)
{
	switch (off) {
	case TESTDEV_ID:		return "ID";
	case TESTDEV_VERSION:		return "VERSION";
	case TESTDEV_CTRL:		return "CTRL";
	case TESTDEV_SRC_LO:		return size == 8 ? "SRC" : "SRC_LO";
	case TESTDEV_SRC_HI:		return "SRC_HI";
	case TESTDEV_DST_LO:		return size == 8 ? "DST" : "DST_LO";
	case TESTDEV_DST_HI:		return "DST_HI";
	case TESTDEV_LEN:		return "LEN";
	case TESTDEV_FILL_LO:		return size == 8 ? "FILL" : "FILL_LO";
	case TESTDEV_FILL_HI:		return "FILL_HI";
	case TESTDEV_DOORBELL:		return "DOORBELL";
	case TESTDEV_STATUS:		return "STATUS";
	case TESTDEV_BYTES_DONE:	return "BYTES_DONE";
	case TESTDEV_INT_STATUS:	return "INT_STATUS";
	case TESTDEV_INT_MASK:		return "INT_MASK";
	default:			return "?";
	}
}

struct narrate {
	struct demo *d;
	uint64_t t0;
	bool started, programmed, rang, running, raised, in_irq, woke;
	unsigned int events;
};

/* One line of explanation before a new phase of the story. */
static void phase(bool *seen, const char *text)
{
	if (*seen)
		return;
	*seen = true;
	say("\n  %s\n", text);
}

static int narrate_event(const struct dk_trace_event *ev, void *p)
{
	struct narrate *n = p;
	struct dk_machine *m = n->d->m;
	const char *track = dk_trace_track_name(m, ev->track);
	char what[160];

	if (!n->events++)
		n->t0 = ev->ts_ns;
	switch (ev->type) {
	case DK_EV_MMIO_WRITE:
		if (!n->in_irq)
			phase(&n->programmed,
			      "The driver programs the transfer. Each writel() is one MMIO\n"
			      "  transaction: the device model's register handler runs on the\n"
			      "  caller's thread and the event lands on the device's track.");
		snprintf(what, sizeof(what), "%s writes %-10s <- 0x%" PRIx64 "%s",
			 n->in_irq ? "handler" : "driver",
			 reg_name(ev->a, (unsigned int)ev->c), ev->b,
			 ev->c == 8 ? " (64-bit)" : "");
		break;
	case DK_EV_MMIO_READ:
		snprintf(what, sizeof(what), "%s reads  %-10s -> 0x%" PRIx64,
			 n->in_irq ? "handler" : "driver",
			 reg_name(ev->a, (unsigned int)ev->c), ev->b);
		break;
	case DK_EV_MMIO_BAD:
		snprintf(what, sizeof(what),
			 "MMIO access to nowhere: phys 0x%" PRIx64, ev->a);
		break;
	case DK_EV_DOORBELL:
		snprintf(what, sizeof(what),
			 "doorbell: the device latches SRC, DST, LEN, CTRL and kicks its thread");
		n->rang = true;
		break;
	case DK_EV_DEV_RUN_BEGIN:
		phase(&n->running,
		      "The device thread wakes up and works alone, as a bus master: it\n"
		      "  reads the source into its 64 KiB burst buffer, then writes it to\n"
		      "  the destination, through the DMA path (bus address -> RAM).");
		snprintf(what, sizeof(what), "device thread starts work");
		break;
	case DK_EV_DEV_RUN_END:
		snprintf(what, sizeof(what), "device thread idles");
		break;
	case DK_EV_DMA_READ:
	case DK_EV_DMA_WRITE:
		snprintf(what, sizeof(what),
			 "DMA %-5s %6" PRIu64 " bytes at bus 0x%" PRIx64
			 " (RAM phys 0x%" PRIx64 ")",
			 ev->type == DK_EV_DMA_READ ? "read" : "write", ev->b,
			 ev->a, ev->c);
		break;
	case DK_EV_DMA_FAULT:
		snprintf(what, sizeof(what),
			 "DMA FAULT: %" PRIu64 " bytes at bus 0x%" PRIx64
			 " refused (%d)",
			 ev->b, ev->a, (int)(int64_t)ev->c);
		break;
	case DK_EV_IRQ_RAISE:
		phase(&n->raised,
		      "Finished: the device sets STATUS=DONE and INT_STATUS.DONE. DONE is\n"
		      "  unmasked and IRQ_EN set, so it sends its interrupt message.");
		snprintf(what, sizeof(what), "interrupt message, vector %" PRIu64,
			 ev->a);
		break;
	case DK_EV_IRQ_BEGIN:
		phase(&n->in_irq,
		      "The interrupt controller delivers the vector to the hard-IRQ\n"
		      "  thread, which runs the driver's handler: it reads INT_STATUS,\n"
		      "  writes it back to acknowledge (write 1 to clear), reads STATUS\n"
		      "  and completes the completion the caller sleeps on.");
		snprintf(what, sizeof(what), "handler for vector %" PRIu64 " begins",
			 ev->a);
		break;
	case DK_EV_IRQ_END:
		snprintf(what, sizeof(what),
			 "handler returns %s", ev->b ? "IRQ_HANDLED" : "IRQ_NONE");
		n->in_irq = false;
		n->woke = true;
		break;
	case DK_EV_MARK:
		if (n->woke)
			say("\n  The caller wakes up with the result.\n");
		snprintf(what, sizeof(what), "%s",
			 ev->a ? (const char *)(uintptr_t)ev->a : "(mark)");
		break;
	default:
		snprintf(what, sizeof(what), "%s a=0x%" PRIx64 " b=0x%" PRIx64,
			 dk_trace_type_name(ev->type), ev->a, ev->b);
		break;
	}
	say("    %8.1f us  %-20.20s %s\n", (double)(ev->ts_ns - n->t0) / 1000.0,
	    track[0] ? track : "?", what);
	return 0;
}

static int step_transfer(struct demo *d)
{
	struct narrate n = { .d = d };
	int ret, ret2;

	say("dk_testdev_copy() copies the source to the destination and sleeps\n"
	    "until the interrupt says it is done. A trace records everything on\n"
	    "the way; here it is, in time order (time, track, event):\n");
	ret = dk_trace_start(d->m, 0);
	if (ret) {
		fprintf(stderr, "demo: dk_trace_start: %s\n", strerror(-ret));
		return ret;
	}
	dk_trace_mark("demo: dk_testdev_copy() called");
	ret = dk_testdev_copy(d->td, d->dst_phys, d->src_phys, DEMO_LEN);
	dk_trace_mark("demo: dk_testdev_copy() returned");
	dk_trace_stop(d->m);
	if (ret) {
		fprintf(stderr, "demo: dk_testdev_copy: %s\n", strerror(-ret));
		return ret;
	}
	ret2 = dk_trace_foreach(d->m, narrate_event, &n);
	if (ret2)
		fprintf(stderr, "demo: dk_trace_foreach: %s\n", strerror(-ret2));
	say("\n  %u events recorded, %" PRIu64 " dropped.\n", n.events,
	    dk_trace_dropped(d->m));
	if (d->trace_path) {
		ret2 = dk_trace_export_json(d->m, d->trace_path);
		if (ret2) {
			fprintf(stderr, "demo: writing the trace to %s: %s\n",
				d->trace_path, strerror(-ret2));
			return ret2;
		}
		say("  Trace written to %s (Chrome/Perfetto JSON: open it in the\n"
		    "  Perfetto UI or chrome://tracing; one track per thread,\n"
		    "  device and interrupt vector).\n", d->trace_path);
	}
	return 0;
}

/* ---- step 6: check ------------------------------------------------------- */

static int step_verify(struct demo *d)
{
	for (size_t i = 0; i < DEMO_LEN; i++) {
		if (d->dst[i] != d->src[i]) {
			fprintf(stderr, "demo: byte %zu of the destination is 0x%02x, expected 0x%02x\n",
				i, d->dst[i], d->src[i]);
			return -EIO;
		}
	}
	say("The CPU reads the destination through its virtual address: all %d\n"
	    "bytes match the source.\n", DEMO_LEN);
	return 0;
}

/* ---- step 7: counters ---------------------------------------------------- */

static int step_counters(struct demo *d)
{
	struct dk_counters c;
	int ret;

	ret = dk_device_counters(d->pdev, &c);
	if (ret) {
		fprintf(stderr, "demo: dk_device_counters: %s\n",
			strerror(-ret));
		return ret;
	}
	say("The hardware side counts what each device did since it was added\n"
	    "(probe's register accesses included):\n");
	say("    MMIO reads %" PRIu64 ", writes %" PRIu64 "\n", c.mmio_reads,
	    c.mmio_writes);
	say("    DMA reads  %" PRIu64 " (%" PRIu64 " bytes), writes %" PRIu64
	    " (%" PRIu64 " bytes)\n", c.dma_read_txns, c.dma_read_bytes,
	    c.dma_write_txns, c.dma_write_bytes);
	say("    interrupts %" PRIu64 ", faults %" PRIu64 "\n", c.irqs,
	    c.faults);
	if (!demo_quiet) {
		say("dk_machine_print_counters() prints the same, one line per device:\n");
		dk_machine_print_counters(d->m, stdout);
	}
	return 0;
}

/* ---- step 8: the IOMMU gives the device its own address space ------------ */

static struct {
	int count;		/* atomic */
	unsigned long iova;	/* atomic */
	int flags;		/* atomic */
	const char *dev;	/* atomic */
} demo_fault;

/* The domain's fault handler: hard-IRQ context, so it only records. */
static int demo_fault_handler(struct iommu_domain *domain, struct device *dev,
			      unsigned long iova, int flags, void *token)
{
	(void)domain;
	(void)token;
	__atomic_store_n(&demo_fault.iova, iova, __ATOMIC_RELAXED);
	__atomic_store_n(&demo_fault.flags, flags, __ATOMIC_RELAXED);
	__atomic_store_n(&demo_fault.dev, dev_name(dev), __ATOMIC_RELAXED);
	__atomic_add_fetch(&demo_fault.count, 1, __ATOMIC_RELEASE);
	return 0;
}

static uint64_t iommu_stat(struct demo *d, unsigned int which)
{
	writeq(which, (char __iomem *)d->iommu_regs + IOMMU_STAT_SEL);
	return readq((char __iomem *)d->iommu_regs + IOMMU_STAT_VAL);
}

static void iommu_stats(struct demo *d, uint64_t st[ST_NR])
{
	for (unsigned int i = 0; i < ST_NR; i++)
		st[i] = iommu_stat(d, i);
}

static int step_iommu_domain(struct demo *d)
{
	struct device *dev = &d->pdev->dev;
	int ret;

	say("The IOMMU sits between every device and memory. A domain is an I/O\n"
	    "address space: page tables in RAM that the IOMMU walks, written by\n"
	    "its driver (src/drivers/iommu.c). iommu_domain_alloc() makes one,\n"
	    "iommu_attach_device() points the device's context entry (found by\n"
	    "its requester id) at it, and iommu_map() fills the tables.\n");
	d->iommu_regs = ioremap(DK_IOMMU_BASE, 4096);
	if (!d->iommu_regs) {
		fprintf(stderr, "demo: ioremap of the IOMMU failed\n");
		return -ENODEV;
	}
	d->dom = iommu_domain_alloc(&platform_bus_type);
	if (!d->dom) {
		fprintf(stderr, "demo: iommu_domain_alloc failed\n");
		return -ENOMEM;
	}
	iommu_set_fault_handler(d->dom, demo_fault_handler, NULL);
	ret = iommu_attach_device(d->dom, dev);
	if (ret) {
		fprintf(stderr, "demo: iommu_attach_device: %s\n",
			strerror(-ret));
		return ret;
	}
	d->attached = true;
	ret = iommu_map(d->dom, DEMO_IOVA_SRC, d->src_phys, DEMO_LEN,
			IOMMU_READ);
	if (ret) {
		fprintf(stderr, "demo: iommu_map (source): %s\n", strerror(-ret));
		return ret;
	}
	d->src_mapped = true;
	ret = iommu_map(d->dom, DEMO_IOVA_DST, d->dst_phys, DEMO_LEN,
			IOMMU_WRITE);
	if (ret) {
		fprintf(stderr, "demo: iommu_map (destination): %s\n",
			strerror(-ret));
		return ret;
	}
	d->dst_mapped = true;
	say("%s now has its own address space, where only this exists:\n",
	    dev_name(dev));
	say("    source       IOVA 0x%llx -> phys 0x%llx  (%d bytes, device may read)\n",
	    DEMO_IOVA_SRC,
	    (unsigned long long)iommu_iova_to_phys(d->dom, DEMO_IOVA_SRC),
	    DEMO_LEN);
	say("    destination  IOVA 0x%llx -> phys 0x%llx  (%d bytes, device may write)\n",
	    DEMO_IOVA_DST,
	    (unsigned long long)iommu_iova_to_phys(d->dom, DEMO_IOVA_DST),
	    DEMO_LEN);
	say("Every other address faults, including the buffers' physical ones.\n");
	return 0;
}

/* ---- step 9: a copy through the IOMMU ------------------------------------ */

static int narrate_dma(const struct dk_trace_event *ev, void *p)
{
	(void)p;
	switch (ev->type) {
	case DK_EV_DMA_READ:
	case DK_EV_DMA_WRITE:
		say("    DMA %-5s %6" PRIu64 " bytes at IOVA 0x%" PRIx64
		    "  -> translated to phys 0x%" PRIx64 "\n",
		    ev->type == DK_EV_DMA_READ ? "read" : "write", ev->b,
		    ev->a, ev->c);
		break;
	case DK_EV_DMA_FAULT:
		say("    DMA refused: %" PRIu64 " bytes at IOVA 0x%" PRIx64
		    " (%d)\n", ev->b, ev->a, (int)(int64_t)ev->c);
		break;
	default:
		break;
	}
	return 0;
}

static int iommu_copy(struct demo *d, uint64_t st[ST_NR])
{
	uint64_t before[ST_NR];
	int ret;

	iommu_stats(d, before);
	ret = dk_trace_start(d->m, 0);
	if (ret) {
		fprintf(stderr, "demo: dk_trace_start: %s\n", strerror(-ret));
		return ret;
	}
	ret = dk_testdev_copy(d->td, DEMO_IOVA_DST, DEMO_IOVA_SRC, DEMO_LEN);
	dk_trace_stop(d->m);
	if (ret) {
		fprintf(stderr, "demo: dk_testdev_copy through the IOMMU: %s\n",
			strerror(-ret));
		return ret;
	}
	dk_trace_foreach(d->m, narrate_dma, d);
	iommu_stats(d, st);
	for (unsigned int i = 0; i < ST_NR; i++)
		st[i] -= before[i];
	say("    IOMMU: %" PRIu64 " page translations, %" PRIu64
	    " IOTLB misses (each a page-table walk: %" PRIu64 "), %" PRIu64
	    " IOTLB hits\n", st[ST_XLATE], st[ST_MISS], st[ST_WALK],
	    st[ST_HIT]);
	return 0;
}

static int step_iommu_copy(struct demo *d)
{
	uint64_t first[ST_NR], second[ST_NR];
	int ret;

	memset(d->dst, 0, DEMO_LEN);
	say("The driver is unchanged: it hands the device bus addresses, which\n"
	    "are now IOVAs. Each DMA page goes through the IOMMU: the IOTLB (its\n"
	    "translation cache) first, a walk of the page tables in RAM on a\n"
	    "miss. The first copy finds the IOTLB cold:\n");
	ret = iommu_copy(d, first);
	if (ret)
		return ret;
	say("The same copy again finds every translation cached:\n");
	ret = iommu_copy(d, second);
	if (ret)
		return ret;
	if (!first[ST_MISS] || second[ST_HIT] < DEMO_LEN / 4096) {
		fprintf(stderr, "demo: expected IOTLB misses then hits, saw %" PRIu64
			" misses then %" PRIu64 " hits\n", first[ST_MISS],
			second[ST_HIT]);
		return -EIO;
	}
	for (size_t i = 0; i < DEMO_LEN; i++) {
		if (d->dst[i] != d->src[i]) {
			fprintf(stderr, "demo: byte %zu of the destination is 0x%02x, expected 0x%02x\n",
				i, d->dst[i], d->src[i]);
			return -EIO;
		}
	}
	say("The CPU checks the destination: all %d bytes match the source.\n",
	    DEMO_LEN);
	return 0;
}

/* ---- step 10: outside the mapping ---------------------------------------- */

static int step_iommu_fault(struct demo *d)
{
	uint64_t bad = DEMO_IOVA_DST + DEMO_LEN - DEMO_BAD_LEN / 2;
	uint64_t before[ST_NR], after[ST_NR], end;
	size_t i;
	int ret;

	say("Now the device is told to write %d bytes at IOVA 0x%" PRIx64 ": the\n"
	    "first half is the end of its destination, the second half is not\n"
	    "mapped. A buggy or hostile device would do this; the IOMMU checks\n"
	    "the whole request before anything moves.\n", DEMO_BAD_LEN, bad);
	memset(d->dst, 0, DEMO_LEN);
	iommu_stats(d, before);
	ret = dk_trace_start(d->m, 0);
	if (ret)
		return ret;
	ret = dk_testdev_copy(d->td, bad, DEMO_IOVA_SRC, DEMO_BAD_LEN);
	dk_trace_stop(d->m);
	if (ret != -EFAULT) {
		fprintf(stderr, "demo: the copy outside the mapping returned %d, expected -EFAULT\n",
			ret);
		return ret ? ret : -EIO;
	}
	dk_trace_foreach(d->m, narrate_dma, d);
	say("dk_testdev_copy() returned -EFAULT: the device reported a DMA fault.\n");
	/* The fault interrupt runs on the hard-IRQ thread: wait for it. */
	end = dk_clock_ns() + 2000000000ull;
	while (!__atomic_load_n(&demo_fault.count, __ATOMIC_ACQUIRE) &&
	       dk_clock_ns() < end)
		sched_yield();
	iommu_stats(d, after);
	if (__atomic_load_n(&demo_fault.count, __ATOMIC_ACQUIRE) != 1) {
		fprintf(stderr, "demo: the fault handler ran %d times, expected once\n",
			demo_fault.count);
		return -EIO;
	}
	say("The IOMMU recorded the fault (requester id, IOVA, reason) in a\n"
	    "fault register and raised its interrupt; the driver's handler read\n"
	    "the record (the log line above) and called report_iommu_fault(),\n"
	    "which ran the domain's fault handler:\n");
	say("    fault handler: device %s, IOVA 0x%lx, %s  (faults recorded: %" PRIu64 ")\n",
	    demo_fault.dev, demo_fault.iova,
	    demo_fault.flags & IOMMU_FAULT_WRITE ? "write" : "read",
	    after[ST_FAULT] - before[ST_FAULT]);
	for (i = 0; i < DEMO_LEN; i++) {
		if (d->dst[i]) {
			fprintf(stderr, "demo: byte %zu of the destination was written (0x%02x) by a refused request\n",
				i, d->dst[i]);
			return -EIO;
		}
	}
	say("Not one byte was written, not even the half that was mapped.\n");
	return 0;
}

/* ---- step 11: unmap, detach ---------------------------------------------- */

static void iommu_undo(struct demo *d)
{
	if (d->src_mapped)
		iommu_unmap(d->dom, DEMO_IOVA_SRC, DEMO_LEN);
	if (d->dst_mapped)
		iommu_unmap(d->dom, DEMO_IOVA_DST, DEMO_LEN);
	d->src_mapped = d->dst_mapped = false;
	if (d->attached)
		iommu_detach_device(d->dom, &d->pdev->dev);
	d->attached = false;
	if (d->dom)
		iommu_domain_free(d->dom);
	d->dom = NULL;
	if (d->iommu_regs)
		iounmap(d->iommu_regs);
	d->iommu_regs = NULL;
}

static int step_iommu_unmap(struct demo *d)
{
	size_t n;
	u64 phys;
	int ret;

	say("iommu_unmap() clears the page-table entries and waits for the\n"
	    "IOTLB invalidation (queued to the IOMMU, with a wait descriptor):\n"
	    "afterwards the device cannot reach the buffers any more.\n");
	n = iommu_unmap(d->dom, DEMO_IOVA_SRC, DEMO_LEN);
	n += iommu_unmap(d->dom, DEMO_IOVA_DST, DEMO_LEN);
	d->src_mapped = d->dst_mapped = false;
	phys = iommu_iova_to_phys(d->dom, DEMO_IOVA_SRC);
	if (n != 2 * DEMO_LEN || phys) {
		fprintf(stderr, "demo: unmapped %zu bytes (expected %d); IOVA 0x%llx still -> 0x%llx\n",
			n, 2 * DEMO_LEN, DEMO_IOVA_SRC,
			(unsigned long long)phys);
		return -EIO;
	}
	iommu_undo(d);
	say("The device is detached and back in pass-through; the domain and\n"
	    "its page tables are freed. Physical addresses work again:\n");
	memset(d->dst, 0, DEMO_LEN);
	ret = dk_testdev_copy(d->td, d->dst_phys, d->src_phys, DEMO_LEN);
	if (ret || memcmp(d->dst, d->src, DEMO_LEN)) {
		fprintf(stderr, "demo: copy in pass-through after detach: %s\n",
			ret ? strerror(-ret) : "data differs");
		return ret ? ret : -EIO;
	}
	say("    copy 0x%llx -> 0x%llx (physical), %d bytes verified\n",
	    (unsigned long long)d->src_phys, (unsigned long long)d->dst_phys,
	    DEMO_LEN);
	return 0;
}

/* ---- step 12: a coherent buffer ------------------------------------------ */

#define DEMO_COH_LEN	4096
#define DEMO_MSG	"written by the CPU, copied by the device"

static int step_coherent(struct demo *d)
{
	struct device *dev = &d->pdev->dev;
	size_t half = DEMO_COH_LEN / 2;
	int ret;

	say("From here on the driver asks the DMA mapping API for bus addresses\n"
	    "instead of computing them: the same calls as Linux's\n"
	    "<linux/dma-mapping.h>. First it says what the device can reach:\n"
	    "dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)); without it the\n"
	    "API assumes 32 bits, as Linux does.\n");
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret) {
		fprintf(stderr, "demo: dma_set_mask_and_coherent(%s, 64 bits): %s\n",
			dev_name(dev), strerror(-ret));
		return ret;
	}
	say("dma_alloc_coherent() gives a buffer that CPU and device share for\n"
	    "as long as it lives, with no ownership handoffs: zeroed, below the\n"
	    "coherent mask, and with a bus address for the device.\n");
	d->coh = dma_alloc_coherent(dev, DEMO_COH_LEN, &d->coh_dma,
				    GFP_KERNEL);
	if (!d->coh) {
		fprintf(stderr, "demo: dma_alloc_coherent(%s, %d) failed\n",
			dev_name(dev), DEMO_COH_LEN);
		return -ENOMEM;
	}
	say("    CPU address  %p\n", (void *)d->coh);
	say("    physical     0x%llx  (virt_to_phys(): where it is in RAM)\n",
	    (unsigned long long)virt_to_phys(d->coh));
	say("    bus address  0x%llx  (what the device is given; the device is in\n"
	    "                 pass-through, so dma-direct hands out the physical\n"
	    "                 address)\n", (unsigned long long)d->coh_dma);
	memcpy(d->coh, DEMO_MSG, sizeof(DEMO_MSG));
	ret = dk_testdev_copy(d->td, d->coh_dma + half, d->coh_dma,
			      sizeof(DEMO_MSG));
	if (ret) {
		fprintf(stderr, "demo: copy within the coherent buffer: %s\n",
			strerror(-ret));
		return ret;
	}
	if (memcmp(d->coh + half, DEMO_MSG, sizeof(DEMO_MSG))) {
		fprintf(stderr, "demo: the coherent buffer's second half does not hold the message\n");
		return -EIO;
	}
	say("The CPU writes a message in the first half, the device copies it\n"
	    "to bus address 0x%llx (the second half), and the CPU reads it there\n"
	    "at once, with no sync: \"%s\".\n",
	    (unsigned long long)(d->coh_dma + half), d->coh + half);
	return 0;
}

/* ---- step 13: a streaming mapping ----------------------------------------- */

/* Unmap what the mapping steps left mapped (copying back as unmap does). */
static void dma_unmap_all(struct demo *d)
{
	if (d->src_dma_mapped)
		dma_unmap_single(d->map_dev, d->src_dma, DEMO_LEN,
				 DMA_TO_DEVICE);
	if (d->dst_dma_mapped)
		dma_unmap_single(d->map_dev, d->dst_dma, DEMO_LEN,
				 DMA_FROM_DEVICE);
	d->src_dma_mapped = d->dst_dma_mapped = false;
}

/* Map the source for reading and the destination for writing by @dev. */
static int dma_map_both(struct demo *d, struct device *dev)
{
	d->map_dev = dev;
	d->src_dma = dma_map_single(dev, d->src, DEMO_LEN, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, d->src_dma)) {
		fprintf(stderr, "demo: dma_map_single(%s, source, %d, DMA_TO_DEVICE) failed\n",
			dev_name(dev), DEMO_LEN);
		return -ENOMEM;
	}
	d->src_dma_mapped = true;
	d->dst_dma = dma_map_single(dev, d->dst, DEMO_LEN, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, d->dst_dma)) {
		fprintf(stderr, "demo: dma_map_single(%s, destination, %d, DMA_FROM_DEVICE) failed\n",
			dev_name(dev), DEMO_LEN);
		return -ENOMEM;
	}
	d->dst_dma_mapped = true;
	return 0;
}

static int check_dst(struct demo *d, const char *what)
{
	for (size_t i = 0; i < DEMO_LEN; i++) {
		if (d->dst[i] != d->src[i]) {
			fprintf(stderr, "demo: %s: byte %zu of the destination is 0x%02x, expected 0x%02x\n",
				what, i, d->dst[i], d->src[i]);
			return -EIO;
		}
	}
	return 0;
}

static int step_streaming(struct demo *d)
{
	struct device *dev = &d->pdev->dev;
	int ret;

	say("A streaming mapping lends an ordinary buffer (here the two kmalloc()\n"
	    "buffers) to the device for one transfer. dma_map_single() gives the\n"
	    "bus address and a direction: DMA_TO_DEVICE for the source,\n"
	    "DMA_FROM_DEVICE for the destination.\n");
	memset(d->dst, 0, DEMO_LEN);
	ret = dma_map_both(d, dev);
	if (ret)
		return ret;
	say("    source       phys 0x%llx -> bus 0x%llx\n",
	    (unsigned long long)d->src_phys, (unsigned long long)d->src_dma);
	say("    destination  phys 0x%llx -> bus 0x%llx\n",
	    (unsigned long long)d->dst_phys, (unsigned long long)d->dst_dma);
	say("The device can reach the buffers where they are (64-bit mask, no\n"
	    "translation), so the bus addresses are the physical ones. On a\n"
	    "machine whose IOMMU gives devices a DMA domain (default_domain =\n"
	    "DK_IOMMU_DEFAULT_DMA) the same call returns an IOVA, and the IOMMU\n"
	    "translates it (`dmakit map-bench --backend iommu-strict` times it).\n");
	ret = dk_testdev_copy(d->td, d->dst_dma, d->src_dma, DEMO_LEN);
	if (ret) {
		fprintf(stderr, "demo: copy between streaming mappings: %s\n",
			strerror(-ret));
		return ret;
	}
	say("Between map and unmap the buffer belongs to the device and the CPU\n"
	    "must not touch it; dma_sync_single_for_cpu() lends it back to the CPU\n"
	    "for a look and dma_sync_single_for_device() returns it, while\n"
	    "dma_unmap_single() after the copy gives it back for good.\n");
	dma_unmap_all(d);
	ret = check_dst(d, "after a streaming copy");
	if (ret)
		return ret;
	say("    copy 0x%llx -> 0x%llx, unmapped, %d bytes verified\n",
	    (unsigned long long)d->src_dma, (unsigned long long)d->dst_dma,
	    DEMO_LEN);
	return 0;
}

/* ---- step 14: a bounce through swiotlb ------------------------------------ */

static int step_bounce(struct demo *d)
{
	struct dk_device_config dc;
	struct device *dev;
	unsigned long used = 0;
	bool stale;
	int ret;

	say("Not every device reaches all of RAM. A second test device drives\n"
	    "only 32 address bits (dk_device_config.dma_bits = 32) and its\n"
	    "driver says so with dma_set_mask(DMA_BIT_MASK(32)); the source and\n"
	    "destination lie above 4 GiB, out of its reach.\n");
	if (d->src_phys < (1ull << 32) || d->dst_phys < (1ull << 32)) {
		fprintf(stderr, "demo: the buffers are below 4 GiB (0x%llx, 0x%llx): nothing to bounce\n",
			(unsigned long long)d->src_phys,
			(unsigned long long)d->dst_phys);
		return -EIO;
	}
	dk_device_config_init(&dc);
	dc.dma_bits = 32;
	ret = dk_machine_add_testdev(d->m, &dc, &d->pdev32);
	if (ret) {
		fprintf(stderr, "demo: dk_machine_add_testdev (32 bits): %s\n",
			strerror(-ret));
		return ret;
	}
	d->td32 = dk_testdev_from_pdev(d->pdev32);
	if (!d->td32) {
		fprintf(stderr, "demo: the driver did not bind to %s\n",
			dev_name(&d->pdev32->dev));
		return -ENODEV;
	}
	dev = &d->pdev32->dev;
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (ret) {
		fprintf(stderr, "demo: dma_set_mask_and_coherent(%s, 32 bits): %s\n",
			dev_name(dev), strerror(-ret));
		return ret;
	}
	memset(d->dst, 0, DEMO_LEN);
	ret = dma_map_both(d, dev);
	if (ret)
		return ret;
	dk_swiotlb_stats(NULL, &used);
	say("The driver is bound to %s. dma_map_single() sees that the device\n"
	    "cannot reach the buffers and takes bounce slots in the swiotlb pool,\n"
	    "below 4 GiB; the source is copied into its slot at once:\n",
	    dev_name(dev));
	say("    source       phys 0x%llx -> bus 0x%llx  (%s)\n",
	    (unsigned long long)d->src_phys, (unsigned long long)d->src_dma,
	    is_swiotlb_buffer(dev, d->src_dma) ? "a swiotlb slot" : "?");
	say("    destination  phys 0x%llx -> bus 0x%llx  (%s)\n",
	    (unsigned long long)d->dst_phys, (unsigned long long)d->dst_dma,
	    is_swiotlb_buffer(dev, d->dst_dma) ? "a swiotlb slot" : "?");
	say("    swiotlb: %lu slots of %d bytes in use\n", used, IO_TLB_SIZE);
	if (!is_swiotlb_buffer(dev, d->src_dma) ||
	    !is_swiotlb_buffer(dev, d->dst_dma) ||
	    d->src_dma + DEMO_LEN > (1ull << 32) ||
	    d->dst_dma + DEMO_LEN > (1ull << 32)) {
		fprintf(stderr, "demo: expected swiotlb slots below 4 GiB, got bus 0x%llx and 0x%llx\n",
			(unsigned long long)d->src_dma,
			(unsigned long long)d->dst_dma);
		return -EIO;
	}
	ret = dk_testdev_copy(d->td32, d->dst_dma, d->src_dma, DEMO_LEN);
	if (ret) {
		fprintf(stderr, "demo: copy between bounce slots: %s\n",
			strerror(-ret));
		return ret;
	}
	/* Peeking while the device owns it: the point is what is there. */
	stale = d->dst[0] == 0 && d->dst[DEMO_LEN - 1] == 0;
	say("The device copied slot to slot. The destination buffer itself is\n"
	    "%s: the data sits in the bounce slot until\n"
	    "dma_unmap_single() (or dma_sync_single_for_cpu()) copies it back.\n",
	    stale ? "still all zeros" : "not yet up to date");
	dma_unmap_all(d);
	ret = check_dst(d, "after the bounce");
	if (ret)
		return ret;
	dk_swiotlb_stats(NULL, &used);
	say("After the unmap: %d bytes verified in the destination above 4 GiB,\n"
	    "and the slots are free again (%lu in use).\n", DEMO_LEN, used);
	return 0;
}

/* ---- dmaengine: one transaction, start to finish -------------------------- */

#define DEMO_DMA_LEN	(4u << 20)

/* What the completion callback saw; written in tasklet context. */
static struct {
	int calls;		/* atomic */
	uint64_t at_ns;		/* atomic */
	uint64_t cpu_loops;	/* atomic: the CPU's count when it fired */
	char thread[32];	/* written before calls is released */
} demo_dma_cb;

static uint64_t demo_dma_loops;	/* atomic: the CPU's busy-work counter */

/* The callback: tasklet (softirq) context, must not sleep. */
static void demo_dma_callback(void *param)
{
	(void)param;
	if (pthread_getname_np(pthread_self(), demo_dma_cb.thread,
			       sizeof(demo_dma_cb.thread)))
		snprintf(demo_dma_cb.thread, sizeof(demo_dma_cb.thread), "?");
	__atomic_store_n(&demo_dma_cb.cpu_loops,
			 __atomic_load_n(&demo_dma_loops, __ATOMIC_RELAXED),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&demo_dma_cb.at_ns, dk_clock_ns(), __ATOMIC_RELAXED);
	__atomic_add_fetch(&demo_dma_cb.calls, 1, __ATOMIC_RELEASE);
}

static const char *demo_dma_status(enum dma_status s)
{
	switch (s) {
	case DMA_COMPLETE:	return "DMA_COMPLETE";
	case DMA_IN_PROGRESS:	return "DMA_IN_PROGRESS";
	case DMA_PAUSED:	return "DMA_PAUSED";
	case DMA_ERROR:		return "DMA_ERROR";
	default:		return "DMA_OUT_OF_ORDER";
	}
}

static int step_dmaengine(struct demo *d)
{
	struct platform_device *dmac;
	struct dma_async_tx_descriptor *tx;
	struct dma_chan *chan = NULL;
	struct device *dev = NULL;
	struct dma_tx_state state;
	dma_cap_mask_t mask;
	dma_addr_t src_bus = 0, dst_bus = 0;
	dma_cookie_t cookie, last, used;
	enum dma_status st;
	uint64_t t0, end, sum = 0, loops = 0;
	u8 *src = NULL, *dst = NULL;
	int ret;

	say("A DMA controller moves data by itself: software writes descriptors\n"
	    "(source, destination, length) to memory, rings a doorbell and goes\n"
	    "on working; the controller fetches them by DMA, copies, and raises\n"
	    "an interrupt. dmaengine is the kernel API for it. The questions:\n"
	    "how to do a single DMA transaction, how to start it, and is there\n"
	    "a callback when it is finished? Here is the answer, run.\n\n");
	ret = dk_machine_add_dmac(d->m, NULL, &dmac);
	if (ret) {
		fprintf(stderr, "demo: dk_machine_add_dmac: %s\n",
			strerror(-ret));
		return ret;
	}
	say("1. dk_machine_add_dmac() plugs in a DK-DMAC (docs/hw/dmac.md) as %s;\n"
	    "   its driver (built in) probed it and registered its channels with\n"
	    "   dma_async_device_register().\n",
	    dev_name(&dmac->dev));

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_channel(mask, NULL, NULL);
	if (!chan) {
		fprintf(stderr, "demo: dma_request_channel(DMA_MEMCPY) found no channel\n");
		ret = -ENODEV;
		goto out;
	}
	dev = dmaengine_get_dma_device(chan);
	say("2. dma_request_channel(DMA_MEMCPY) gives channel %s, ours alone\n"
	    "   until dma_release_channel().\n", dma_chan_name(chan));

	src = dma_alloc_coherent(dev, DEMO_DMA_LEN, &src_bus, GFP_KERNEL);
	dst = dma_alloc_coherent(dev, DEMO_DMA_LEN, &dst_bus, GFP_KERNEL);
	if (!src || !dst) {
		fprintf(stderr, "demo: dma_alloc_coherent(%u) on %s failed\n",
			DEMO_DMA_LEN, dev_name(dev));
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < DEMO_DMA_LEN; i++)
		src[i] = (u8)(i * 13 + 1);
	memset(dst, 0, DEMO_DMA_LEN);
	say("3. dma_alloc_coherent() on the controller's device (%s: for a\n"
	    "   DMA transfer the mapping device is the one doing the DMA):\n"
	    "     source       virt %p  bus 0x%llx  (%u KiB, a pattern)\n"
	    "     destination  virt %p  bus 0x%llx  (zeroed)\n",
	    dev_name(dev), (void *)src, (unsigned long long)src_bus,
	    DEMO_DMA_LEN >> 10, (void *)dst, (unsigned long long)dst_bus);

	tx = dmaengine_prep_dma_memcpy(chan, dst_bus, src_bus, DEMO_DMA_LEN,
				       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
	if (!tx) {
		fprintf(stderr, "demo: dmaengine_prep_dma_memcpy failed\n");
		ret = -EIO;
		goto out;
	}
	say("4. dmaengine_prep_dma_memcpy(chan, dst, src, len,\n"
	    "   DMA_PREP_INTERRUPT | DMA_CTRL_ACK) builds the descriptor (the\n"
	    "   hardware's is at bus 0x%llx). Nothing moves yet.\n",
	    (unsigned long long)tx->phys);

	memset(&demo_dma_cb, 0, sizeof(demo_dma_cb));
	__atomic_store_n(&demo_dma_loops, 0, __ATOMIC_RELAXED);
	tx->callback = demo_dma_callback;
	tx->callback_param = NULL;
	say("5. The callback: tx->callback = fn, tx->callback_param = arg. It\n"
	    "   is called once, when the transfer is finished.\n");

	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie)) {
		fprintf(stderr, "demo: dmaengine_submit: %d\n", cookie);
		ret = -EIO;
		goto out;
	}
	st = dma_async_is_tx_complete(chan, cookie, NULL, NULL);
	say("6. dmaengine_submit() queues it and returns cookie %d. Status:\n"
	    "   %s; the controller has not been told yet:\n"
	    "   submit does not start anything.\n", cookie,
	    demo_dma_status(st));

	/* Said first: printing must not eat the time the CPU works in. */
	say("7. dma_async_issue_pending(chan) starts it: the driver writes the\n"
	    "   descriptor's address and rings the channel's doorbell (MMIO).\n");
	t0 = dk_clock_ns();
	dma_async_issue_pending(chan);

	/* The CPU works while the controller copies. */
	end = t0 + 5000000000ull;
	while (!__atomic_load_n(&demo_dma_cb.calls, __ATOMIC_ACQUIRE)) {
		for (unsigned int k = 0; k < 64; k++)
			sum = ((sum ^ (loops + k)) * 0x9e3779b97f4a7c15ull) ^
			      (sum >> 29);
		loops++;
		__atomic_store_n(&demo_dma_loops, loops, __ATOMIC_RELAXED);
		if ((loops & 1023) == 0) {
			if (dk_clock_ns() > end)
				break;
			sched_yield();	/* 2 cores: let the machine run too */
		}
	}
	if (!__atomic_load_n(&demo_dma_cb.calls, __ATOMIC_ACQUIRE)) {
		fprintf(stderr, "demo: no callback within 5 s (status %s)\n",
			demo_dma_status(dmaengine_tx_status(chan, cookie,
							    NULL)));
		dmaengine_terminate_sync(chan);
		ret = -ETIMEDOUT;
		goto out;
	}
	say("8. Meanwhile the CPU kept working: %" PRIu64 " loop iterations of\n"
	    "   arithmetic (result 0x%016" PRIx64 ") while the controller moved\n"
	    "   %u KiB by itself.\n", loops, sum, DEMO_DMA_LEN >> 10);
	say("9. The callback fired %.1f us after issue_pending, on thread \"%s\"\n"
	    "   in tasklet context: the interrupt handler completed the cookie\n"
	    "   and scheduled the tasklet, which ran as the interrupt returned\n"
	    "   (on the hard-IRQ thread, as Linux runs softirqs at irq exit; the\n"
	    "   softirq thread takes what is left over), when the CPU had done\n"
	    "   %" PRIu64 " iterations.\n",
	    (double)(__atomic_load_n(&demo_dma_cb.at_ns, __ATOMIC_RELAXED) -
		     t0) / 1000.0, demo_dma_cb.thread,
	    __atomic_load_n(&demo_dma_cb.cpu_loops, __ATOMIC_RELAXED));

	st = dma_async_is_tx_complete(chan, cookie, &last, &used);
	memset(&state, 0, sizeof(state));
	dmaengine_tx_status(chan, cookie, &state);
	say("10. dma_async_is_tx_complete(): %s (last completed cookie %d,\n"
	    "    last used %d); dmaengine_tx_status() residue %u bytes.\n",
	    demo_dma_status(st), last, used, state.residue);
	if (st != DMA_COMPLETE) {
		fprintf(stderr, "demo: the transaction is %s after its callback\n",
			demo_dma_status(st));
		ret = -EIO;
		goto out;
	}
	for (size_t i = 0; i < DEMO_DMA_LEN; i++) {
		if (dst[i] != src[i]) {
			fprintf(stderr, "demo: byte %zu of the destination is 0x%02x, expected 0x%02x\n",
				i, dst[i], src[i]);
			ret = -EIO;
			goto out;
		}
	}
	if (__atomic_load_n(&demo_dma_cb.calls, __ATOMIC_ACQUIRE) != 1) {
		fprintf(stderr, "demo: the callback ran %d times, expected once\n",
			demo_dma_cb.calls);
		ret = -EIO;
		goto out;
	}
	say("11. The CPU checks the destination: all %u bytes match. Then\n"
	    "    dma_free_coherent() and dma_release_channel().\n",
	    DEMO_DMA_LEN);
	ret = 0;
out:
	if (dst)
		dma_free_coherent(dev, DEMO_DMA_LEN, dst, dst_bus);
	if (src)
		dma_free_coherent(dev, DEMO_DMA_LEN, src, src_bus);
	if (chan)
		dma_release_channel(chan);
	return ret;
}

/* ---- teardown (always runs) ---------------------------------------------- */

static int teardown(struct demo *d)
{
	if (!d->m)
		return 0;
	iommu_undo(d);
	dma_unmap_all(d);
	if (d->coh)
		dma_free_coherent(&d->pdev->dev, DEMO_COH_LEN, d->coh,
				  d->coh_dma);
	d->coh = NULL;
	kfree(d->src);
	kfree(d->dst);
	d->src = d->dst = NULL;
	if (d->driver_registered)
		dk_testdev_driver_unregister();
	d->driver_registered = false;
	d->leaks = dk_machine_destroy(d->m);
	d->m = NULL;
	say("The buffers are freed, the driver unbinds (remove: free_irq), and\n"
	    "dk_machine_destroy() stops the device and kernel threads and checks\n"
	    "that nothing was left behind: %d leak report%s.\n", d->leaks,
	    d->leaks == 1 ? "" : "s");
	return d->leaks ? -EIO : 0;
}

/*
 * The story, in order. Later issues append steps here (dmaengine channel)
 * before the teardown.
 */
static const struct demo_step demo_steps[] = {
	{ "Create the machine",			step_machine },
	{ "Place the test device",		step_device },
	{ "Bind the driver",			step_driver },
	{ "Allocate DMA buffers",		step_buffers },
	{ "Copy, and watch it happen",		step_transfer },
	{ "Check the data",			step_verify },
	{ "Read the counters",			step_counters },
	{ "Give the device an IOMMU domain",	step_iommu_domain },
	{ "Copy through the IOMMU",		step_iommu_copy },
	{ "Reach outside the mapping",		step_iommu_fault },
	{ "Unmap and detach",			step_iommu_unmap },
	{ "A coherent buffer",			step_coherent },
	{ "A streaming mapping",		step_streaming },
	{ "A bounce through swiotlb",		step_bounce },
	{ "dmaengine: one transaction, start to finish", step_dmaengine },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dmakit demo [--trace FILE] [--quiet]\n"
		"  Walks through one transfer of the test copy device, step by step,\n"
		"  then the same device behind the IOMMU: translated, then blocked;\n"
		"  then the DMA mapping API: a coherent buffer, a streaming mapping\n"
		"  and a bounce through swiotlb for a 32-bit device.\n"
		"  --trace FILE  also write the transfer's trace (Chrome/Perfetto JSON)\n"
		"  --quiet       print only the result\n");
}

int dk_tool_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trace", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo d = { 0 };
	size_t nr = sizeof(demo_steps) / sizeof(demo_steps[0]);
	const char *failed = NULL;
	size_t i;
	int c, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "t:qh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			d.trace_path = optarg;
			break;
		case 'q':
			d.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "demo: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	demo_quiet = d.quiet;
	dk_log_set_sink(demo_log_sink, NULL);

	for (i = 0; i < nr && !ret; i++) {
		say("\n== Step %zu: %s ==\n", i + 1, demo_steps[i].title);
		ret = demo_steps[i].run(&d);
		if (ret)
			failed = demo_steps[i].title;
	}
	say("\n== Step %zu: Tear down ==\n", nr + 1);
	c = teardown(&d);
	if (c && !ret) {
		ret = c;
		failed = "Tear down";
	}
	dk_log_set_sink(NULL, NULL);

	if (ret) {
		fprintf(stderr, "demo: FAILED at \"%s\": %s\n", failed,
			strerror(-ret));
		return 1;
	}
	printf("%sdemo: %d bytes copied by the test device, verified; through the IOMMU too; a write outside the mapping blocked; through DMA mappings and a swiotlb bounce too; %d leaks\n",
	       demo_quiet ? "" : "\n", DEMO_LEN, d.leaks);
	return 0;
}
