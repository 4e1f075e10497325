// SPDX-License-Identifier: MIT
/*
 * iommu.c - driver for DK-IOMMU, written from its datasheet
 * (docs/hw/iommu.md): probe and remove, root and context tables, the
 * queued invalidation interface, fault interrupts, and the struct
 * iommu_ops / iommu_domain_ops the IOMMU core calls. The page tables
 * themselves are in drivers/iommu_pgtable.c.
 *
 * The machine has one IOMMU; the core's domain_alloc() carries no device,
 * so the bound instance is a file-level pointer (dmar_inst).
 *
 * Domains: UNMANAGED, DMA and DMA_FQ translate through a page table of
 * cfg.iommu.levels levels (3 or 4); IDENTITY programs pass-through context
 * entries (TT = 10); BLOCKED leaves the context entry not present. Every
 * domain but BLOCKED has its own domain id (DID), which tags the caches.
 *
 * Invalidation: one queue (4 KiB, 256 descriptors) for every thread.
 * A submission writes its descriptors and a wait descriptor whose status
 * write carries a sequence number, writes IQT, and reads the status word,
 * all under qi_lock. The hardware processes the queue inside the IQT
 * write, so the queue never holds more than one submission.
 *
 * LOCKING (outer to inner): ctx_lock (spinlock) serializes programming
 * context entries and installing context tables; dmar->lock (spinlock)
 * protects the requester-id map, each dmar_dev's domain pointer, the
 * domain list, the DID bitmap and nr_devs; qi_lock (spinlock) protects the
 * queue, its tail and the sequence number. The fault handler (hard IRQ)
 * takes dmar->lock to look a requester up, and qi_lock to repair a queue
 * error; it calls report_iommu_fault() with no lock held. dmar_inst_lock
 * (mutex) protects dmar_inst against probe and remove.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "kernel/internal.h"
#include "drivers/iommu_pgtable.h"

#define DRV_NAME "dk-iommu"

/* Registers (datasheet section 2). */
#define DMAR_VER		0x000
#define   VER_MAJOR(v)		(((v) >> 16) & 0xffff)
#define   VER_MINOR(v)		((v) & 0xffff)
#define DMAR_CAP		0x008
#define   CAP_NFR(c)		(((c) & 0xff) + 1)
#define   CAP_SL39		(1ull << 8)
#define   CAP_SL48		(1ull << 9)
#define   CAP_SP2M		(1ull << 10)
#define   CAP_SP1G		(1ull << 11)
#define   CAP_PT		(1ull << 12)
#define   CAP_IOTLB_ENTRIES(c)	(((c) >> 16) & 0xffff)
#define   CAP_IOTLB_WAYS(c)	(((c) >> 32) & 0xff)
#define DMAR_GCMD		0x010
#define DMAR_GSTS		0x018
#define   GCMD_TE		(1u << 31)
#define   GCMD_SRTP		(1u << 30)
#define   GCMD_QIE		(1u << 26)
#define DMAR_RTADDR		0x020
#define DMAR_FSTS		0x030
#define   FSTS_PFO		(1u << 0)
#define   FSTS_PPF		(1u << 1)
#define   FSTS_IQE		(1u << 4)
#define   FSTS_ICE		(1u << 5)
#define   FSTS_FRI(s)		(((s) >> 8) & 0xff)
#define DMAR_FECTL		0x038
#define   ECTL_IM		(1u << 31)
#define DMAR_IQH		0x080
#define DMAR_IQT		0x088
#define DMAR_IQA		0x090
#define DMAR_ICS		0x098
#define   ICS_IWC		(1u << 0)
#define DMAR_IECTL		0x0a0
#define DMAR_FRCD(i)		(0x100 + 16 * (i))
#define   FRCD_FI_MASK		(~0xfffull)
#define   FRCD_SID(h)		((u16)((h) & 0xffff))
#define   FRCD_FR(h)		((unsigned int)(((h) >> 32) & 0xff))
#define   FRCD_T_READ		(1ull << 62)
#define   FRCD_F		(1ull << 63)

#define DMAR_WINDOW		0x1000

/* Root and context entries (sections 3 and 4). */
#define RE_P			(1ull << 0)
#define CE_P			(1ull << 0)
#define CE_FPD			(1ull << 1)
#define CE_TT_PT		(2ull << 2)
#define CE_AW(levels)		((levels) == 4 ? 2ull : 1ull)
#define CE_DID(hi)		((u16)(((hi) >> 8) & 0xffff))
#define ADDR_MASK		0x000ffffffffff000ull

/* Invalidation descriptors (section 6). */
#define QI_CC			0x1ull
#define QI_IOTLB		0x2ull
#define QI_WAIT			0x5ull
#define QI_G_GLOBAL		(1ull << 4)
#define QI_G_DOMAIN		(2ull << 4)
#define QI_G_DEVICE		(3ull << 4)	/* context cache */
#define QI_G_PAGE		(3ull << 4)	/* IOTLB */
#define QI_DID(d)		((u64)(d) << 16)
#define QI_SID(s)		((u64)(s) << 32)
#define QI_IH			(1ull << 6)
#define QI_AM_MAX		18
#define QI_WAIT_IF		(1ull << 4)
#define QI_WAIT_SW		(1ull << 5)
#define QI_WAIT_DATA(d)		((u64)(d) << 32)

#define QI_SIZE			4096u	/* one page: QS = 0 */
#define QI_DESC			16u
/* How long the status word may take: 1 s at most. */
#define QI_POLL_NS		1000000000ull
#define QI_MAX_DESC		4

#define NR_DIDS			65536u

struct dmar_domain;

/* What the driver knows of one device it probed. */
struct dmar_dev {
	struct device *dev;
	u16 sid;
	struct dmar_domain *domain;	/* attached; under dmar->lock */
};

struct dmar_domain {
	struct iommu_domain domain;
	struct list_head node;		/* in dmar->domains; dmar->lock */
	struct dmar *dmar;		/* NULL once the IOMMU is gone */
	u16 did;			/* 0 for BLOCKED */
	bool paging;
	bool used;			/* ever attached (caches may hold
					 * it); atomic */
	unsigned int nr_devs;		/* attached devices; dmar->lock */
	struct dmar_pgtable pt;		/* paging domains */
};

struct dmar {
	struct iommu_device iommu;
	struct platform_device *pdev;
	struct device *dev;
	void __iomem *regs;
	u64 cap;
	unsigned int nr_fr;
	unsigned int levels;
	int irq_fault, irq_inv;
	u32 gcmd;			/* persistent GCMD bits: TE, QIE */
	bool registered;

	spinlock_t ctx_lock;
	u64 *root;			/* root table (RAM) */
	u64 *ctx[256];			/* by bus; ctx_lock */

	spinlock_t lock;
	struct dmar_dev **sid_map[256];	/* by bus, then devfn; lock */
	unsigned long *did_map;		/* allocated DIDs; lock */
	struct list_head domains;	/* every live domain; lock */

	spinlock_t qi_lock;
	u64 *qi;			/* the queue (RAM) */
	unsigned int qi_tail;		/* byte offset; qi_lock */
	u32 qi_seq;			/* last status data; qi_lock */
	u32 *qi_status;			/* status word (RAM) */
	phys_addr_t qi_status_phys;
};

static DEFINE_MUTEX(dmar_inst_lock);
static struct dmar *dmar_inst;		/* under dmar_inst_lock; atomic */

static const struct iommu_domain_ops dmar_domain_ops;
static const struct iommu_ops dmar_ops;

static inline struct dmar_domain *to_dmar_domain(struct iommu_domain *d)
{
	return container_of(d, struct dmar_domain, domain);
}

static inline u64 dmar_readq(struct dmar *d, unsigned int off)
{
	return readq((char __iomem *)d->regs + off);
}

static inline void dmar_writeq(struct dmar *d, unsigned int off, u64 val)
{
	writeq(val, (char __iomem *)d->regs + off);
}

static const char *dmar_reason(unsigned int fr)
{
	static const char *const names[] = {
		[0x1] = "root entry not present",
		[0x2] = "context entry not present (device blocked)",
		[0x3] = "invalid context entry",
		[0x4] = "address beyond the table width",
		[0x5] = "write to a page not writable",
		[0x6] = "read from a page not readable",
		[0x7] = "page table address not RAM",
		[0x8] = "root table address not RAM",
		[0x9] = "context table address not RAM",
		[0xa] = "reserved bit in a root entry",
		[0xb] = "reserved bit in a context entry",
		[0xc] = "reserved bit or misplaced PS in a page-table entry",
	};

	if (fr < ARRAY_SIZE(names) && names[fr])
		return names[fr];
	return "unknown reason";
}

/* Reasons that mean the tables this driver wrote are wrong. */
static bool dmar_reason_is_driver_bug(unsigned int fr)
{
	return fr == 0x3 || fr >= 0x7;
}

/* ---- global command ------------------------------------------------------ */

/*
 * Issue a GCMD command: the persistent bits (TE, QIE) are written with
 * every command, as in VT-d. Check that GSTS shows @want_set.
 */
static int dmar_gcmd(struct dmar *d, u32 oneshot, u32 want_mask, u32 want)
{
	u32 sts;

	dmar_writeq(d, DMAR_GCMD, d->gcmd | oneshot);
	sts = (u32)dmar_readq(d, DMAR_GSTS);
	if ((sts & want_mask) != want) {
		dev_err(d->dev, "GCMD %#x: GSTS is %#x, expected %#x in mask %#x (FSTS %#llx)",
			d->gcmd | oneshot, sts, want, want_mask,
			(unsigned long long)dmar_readq(d, DMAR_FSTS));
		return -EIO;
	}
	return 0;
}

/* ---- queued invalidation ------------------------------------------------- */

static void qi_write_desc(struct dmar *d, unsigned int off, u64 lo, u64 hi)
{
	u64 *slot = d->qi + off / 8;

	__atomic_store_n(&slot[0], lo, __ATOMIC_RELAXED);
	__atomic_store_n(&slot[1], hi, __ATOMIC_RELAXED);
}

/*
 * FSTS.IQE is set: log the descriptor at IQH (a driver bug), replace it by
 * a global IOTLB invalidation (always valid, never wrong), clear IQE so the
 * next IQT write resumes. Caller holds qi_lock. Return: true if IQE was set.
 */
static bool qi_repair_locked(struct dmar *d)
{
	u64 fsts = dmar_readq(d, DMAR_FSTS);
	unsigned int head;
	u64 *bad;

	DK_ASSERT(dk_spin_is_held(&d->qi_lock));
	if (!(fsts & FSTS_IQE))
		return false;
	head = (unsigned int)(dmar_readq(d, DMAR_IQH) & (QI_SIZE - 1)) &
	       ~(QI_DESC - 1);
	bad = d->qi + head / 8;
	dev_err(d->dev, "invalidation queue error at IQH %#x: descriptor 0x%016llx 0x%016llx refused by the hardware (driver bug); replaced by a global IOTLB invalidation",
		head,
		(unsigned long long)__atomic_load_n(&bad[0], __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&bad[1], __ATOMIC_RELAXED));
	qi_write_desc(d, head, QI_IOTLB | QI_G_GLOBAL, 0);
	dmar_writeq(d, DMAR_FSTS, FSTS_IQE);
	return true;
}

/*
 * Submit @n descriptors and a wait descriptor, write IQT, and wait for the
 * status word. Context: any (does not sleep); takes qi_lock.
 * Return: 0, or -ETIMEDOUT (logged) if the status never appeared.
 */
static int qi_submit(struct dmar *d, const u64 (*desc)[2], unsigned int n)
{
	unsigned int tail, tries = 0;
	u64 deadline = 0;
	u32 seq;

	spin_lock(&d->qi_lock);
	tail = d->qi_tail;
	for (unsigned int k = 0; k < n; k++) {
		qi_write_desc(d, tail, desc[k][0], desc[k][1]);
		tail = (tail + QI_DESC) & (QI_SIZE - 1);
	}
	seq = ++d->qi_seq;
	qi_write_desc(d, tail, QI_WAIT | QI_WAIT_SW | QI_WAIT_DATA(seq),
		      d->qi_status_phys);
	tail = (tail + QI_DESC) & (QI_SIZE - 1);
	d->qi_tail = tail;
	dmar_writeq(d, DMAR_IQT, tail);

	/* Written inside the IQT write; poll with a bound all the same. */
	while (__atomic_load_n(d->qi_status, __ATOMIC_ACQUIRE) != seq) {
		if (qi_repair_locked(d)) {
			if (++tries > QI_MAX_DESC + 1)
				break;
			dmar_writeq(d, DMAR_IQT, tail);
			continue;
		}
		if (!deadline)
			deadline = dk__host_ns() + QI_POLL_NS;
		else if (dk__host_ns() > deadline)
			break;
		sched_yield();
	}
	if (__atomic_load_n(d->qi_status, __ATOMIC_ACQUIRE) != seq) {
		dev_err(d->dev, "invalidation wait %u: status word %#x after the IQT write (IQH %#llx IQT %#x FSTS %#llx)",
			seq, __atomic_load_n(d->qi_status, __ATOMIC_RELAXED),
			(unsigned long long)dmar_readq(d, DMAR_IQH), tail,
			(unsigned long long)dmar_readq(d, DMAR_FSTS));
		spin_unlock(&d->qi_lock);
		return -ETIMEDOUT;
	}
	spin_unlock(&d->qi_lock);
	return 0;
}

static void qi_flush_domain(struct dmar *d, u16 did)
{
	const u64 desc[1][2] = { { QI_IOTLB | QI_G_DOMAIN | QI_DID(did), 0 } };

	qi_submit(d, desc, 1);
}

/* Page-selective invalidation of [start, last], or domain-selective. */
static void qi_flush_range(struct dmar *d, u16 did, u64 start, u64 last,
			   bool leaf_only)
{
	u64 pfn = start >> 12, lpfn = last >> 12, diff = pfn ^ lpfn;
	unsigned int am = diff ? 64 - (unsigned int)__builtin_clzll(diff) : 0;
	u64 desc[1][2];

	if (am > QI_AM_MAX) {
		qi_flush_domain(d, did);
		return;
	}
	desc[0][0] = QI_IOTLB | QI_G_PAGE | QI_DID(did);
	desc[0][1] = ((pfn >> am) << (12 + am)) | (leaf_only ? QI_IH : 0) | am;
	qi_submit(d, desc, 1);
}

/* ---- domain ids ---------------------------------------------------------- */

static int did_alloc(struct dmar *d)
{
	const unsigned int bpl = 8 * sizeof(unsigned long);
	int did = -ENOSPC;

	spin_lock(&d->lock);
	for (unsigned int w = 0; w < NR_DIDS / bpl; w++) {
		unsigned long free = ~d->did_map[w];

		if (!free)
			continue;
		did = (int)(w * bpl + (unsigned int)__builtin_ctzl(free));
		d->did_map[w] |= 1ul << (did % bpl);
		break;
	}
	spin_unlock(&d->lock);
	return did;
}

static void did_free_locked(struct dmar *d, u16 did)
{
	const unsigned int bpl = 8 * sizeof(unsigned long);

	d->did_map[did / bpl] &= ~(1ul << (did % bpl));
}

/* ---- devices ------------------------------------------------------------- */

static struct dmar *dmar_get(void)
{
	return __atomic_load_n(&dmar_inst, __ATOMIC_ACQUIRE);
}

/* Caller holds d->lock. */
static struct dmar_dev *sid_lookup_locked(struct dmar *d, u16 sid)
{
	struct dmar_dev **bus = d->sid_map[sid >> 8];

	return bus ? bus[sid & 0xff] : NULL;
}

static struct dmar_dev *dmar_dev_of(struct dmar *d, struct device *dev)
{
	struct dmar_dev *info;

	spin_lock(&d->lock);
	info = sid_lookup_locked(d, dev->requester_id);
	if (info && info->dev != dev)
		info = NULL;
	spin_unlock(&d->lock);
	return info;
}

static struct iommu_device *dmar_probe_device(struct device *dev)
{
	struct dmar *d = dmar_get();
	struct dmar_dev *info, **bus, **newbus = NULL;
	u16 sid = dev->requester_id;

	if (!d || dev == d->dev)
		return ERR_PTR(-ENODEV);
	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->dev = dev;
	info->sid = sid;
	if (!d->sid_map[sid >> 8]) {
		newbus = kcalloc(256, sizeof(*newbus), GFP_KERNEL);
		if (!newbus) {
			kfree(info);
			return ERR_PTR(-ENOMEM);
		}
	}
	spin_lock(&d->lock);
	bus = d->sid_map[sid >> 8];
	if (!bus) {
		bus = d->sid_map[sid >> 8] = newbus;
		newbus = NULL;
	}
	if (bus[sid & 0xff]) {
		spin_unlock(&d->lock);
		dev_err(dev, "requester id %02x:%02x.%u already belongs to %s",
			sid >> 8, (sid >> 3) & 0x1f, sid & 7,
			dev_name(bus[sid & 0xff]->dev));
		kfree(newbus);
		kfree(info);
		return ERR_PTR(-EBUSY);
	}
	bus[sid & 0xff] = info;
	spin_unlock(&d->lock);
	kfree(newbus);
	return &d->iommu;
}

/* ---- context entries ----------------------------------------------------- */

static u64 *ctx_entry(struct dmar *d, u16 sid)
{
	u64 *table = d->ctx[sid >> 8];

	return table ? table + 2 * (sid & 0xff) : NULL;
}

/* Make sure the context table of @sid's bus exists. Context: process. */
static int ctx_table_get(struct dmar *d, u16 sid)
{
	unsigned int bus = sid >> 8;
	u64 *table;

	spin_lock(&d->ctx_lock);
	table = d->ctx[bus];
	spin_unlock(&d->ctx_lock);
	if (table)
		return 0;
	table = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	spin_lock(&d->ctx_lock);
	if (!d->ctx[bus]) {
		d->ctx[bus] = table;
		/* A new root entry: the root entry was not present, and the
		 * hardware caches no not-present root entry (section 2.2:
		 * SRTP invalidated everything). */
		__atomic_store_n(&d->root[2 * bus + 1], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&d->root[2 * bus],
				 virt_to_phys(table) | RE_P, __ATOMIC_RELEASE);
		table = NULL;
	}
	spin_unlock(&d->ctx_lock);
	if (table)
		free_page((unsigned long)table);
	return 0;
}

/*
 * Clear @sid's context entry and invalidate what the hardware cached of it.
 * Caller holds ctx_lock.
 */
static void ctx_clear_locked(struct dmar *d, u16 sid)
{
	u64 *ce = ctx_entry(d, sid);
	u64 lo, hi;
	u16 old_did;

	if (!ce)
		return;
	lo = __atomic_load_n(&ce[0], __ATOMIC_RELAXED);
	hi = __atomic_load_n(&ce[1], __ATOMIC_RELAXED);
	if (!(lo & CE_P))
		return;
	old_did = CE_DID(hi);
	__atomic_store_n(&ce[0], 0, __ATOMIC_RELEASE);
	__atomic_store_n(&ce[1], 0, __ATOMIC_RELEASE);
	{
		const u64 desc[2][2] = {
			{ QI_CC | QI_G_DEVICE | QI_DID(old_did) |
				  QI_SID(sid), 0 },
			{ QI_IOTLB | QI_G_DOMAIN | QI_DID(old_did), 0 },
		};

		qi_submit(d, desc, 2);
	}
}

/* Program @sid's context entry for @dom (BLOCKED: leave it cleared). */
static void ctx_set_locked(struct dmar *d, u16 sid, struct dmar_domain *dom)
{
	u64 *ce = ctx_entry(d, sid);
	u64 lo, hi;

	/* A present entry is never rewritten in place: the hardware could
	 * read half of each. Clear and invalidate it first. */
	ctx_clear_locked(d, sid);
	if (dom->domain.type == IOMMU_DOMAIN_BLOCKED)
		return;
	hi = CE_AW(d->levels) | ((u64)dom->did << 8);
	if (dom->paging)
		lo = dom->pt.root_phys | CE_P;
	else
		lo = CE_TT_PT | CE_P;
	__atomic_store_n(&ce[1], hi, __ATOMIC_RELAXED);
	/* P last: the high quadword is in place when the entry appears. */
	__atomic_store_n(&ce[0], lo, __ATOMIC_RELEASE);
	{
		const u64 desc[2][2] = {
			{ QI_CC | QI_G_DEVICE | QI_DID(dom->did) |
				  QI_SID(sid), 0 },
			{ QI_IOTLB | QI_G_DOMAIN | QI_DID(dom->did), 0 },
		};

		qi_submit(d, desc, 2);
	}
}

/* Record that @info now uses @dom (NULL: none). */
static void dev_set_domain(struct dmar *d, struct dmar_dev *info,
			   struct dmar_domain *dom)
{
	spin_lock(&d->lock);
	if (info->domain)
		info->domain->nr_devs--;
	info->domain = dom;
	if (dom) {
		dom->nr_devs++;
		__atomic_store_n(&dom->used, true, __ATOMIC_RELAXED);
	}
	spin_unlock(&d->lock);
}

static void dmar_release_device(struct device *dev)
{
	struct dmar *d = dmar_get();
	struct dmar_dev *info;
	u16 sid = dev->requester_id;

	if (!d)
		return;
	info = dmar_dev_of(d, dev);
	if (!info)
		return;
	spin_lock(&d->ctx_lock);
	ctx_clear_locked(d, sid);
	spin_unlock(&d->ctx_lock);
	dev_set_domain(d, info, NULL);
	spin_lock(&d->lock);
	d->sid_map[sid >> 8][sid & 0xff] = NULL;
	spin_unlock(&d->lock);
	/* The fault handler may have looked @info up: let it finish. */
	synchronize_irq((unsigned int)d->irq_fault);
	kfree(info);
}

/* ---- domains ------------------------------------------------------------- */

static void dmar_flush_range_cb(void *arg, unsigned long iova, size_t size)
{
	struct dmar_domain *dom = arg;
	struct dmar *d = dom->dmar;

	if (d && __atomic_load_n(&dom->used, __ATOMIC_RELAXED))
		qi_flush_range(d, dom->did, iova, iova + size - 1, false);
}

static struct iommu_domain *dmar_domain_alloc(unsigned int type)
{
	struct dmar *d = dmar_get();
	struct dmar_domain *dom;
	int did = 0;

	if (!d)
		return NULL;
	switch (type) {
	case IOMMU_DOMAIN_UNMANAGED:
	case IOMMU_DOMAIN_DMA:
	case IOMMU_DOMAIN_DMA_FQ:
	case IOMMU_DOMAIN_IDENTITY:
	case IOMMU_DOMAIN_BLOCKED:
		break;
	default:
		return NULL;
	}
	dom = kzalloc(sizeof(*dom), GFP_KERNEL);
	if (!dom)
		return NULL;
	if (type != IOMMU_DOMAIN_BLOCKED) {
		did = did_alloc(d);
		if (did < 0) {
			dev_err(d->dev, "no free domain id (all %u in use)",
				NR_DIDS);
			goto err_free;
		}
	}
	dom->did = (u16)did;
	dom->dmar = d;
	dom->paging = type & __IOMMU_DOMAIN_PAGING;
	dom->domain.type = type;
	dom->domain.ops = &dmar_domain_ops;
	if (dom->paging) {
		if (dmar_pt_init(&dom->pt, d->levels))
			goto err_free_did;
		dom->pt.flush_range = dmar_flush_range_cb;
		dom->pt.flush_arg = dom;
		dom->domain.pgsize_bitmap = DMAR_PGSIZES;
		dom->domain.geometry.aperture_start = 0;
		dom->domain.geometry.aperture_end =
			(1ull << (d->levels == 4 ? 48 : 39)) - 1;
		dom->domain.geometry.force_aperture = true;
	}
	spin_lock(&d->lock);
	list_add_tail(&dom->node, &d->domains);
	spin_unlock(&d->lock);
	return &dom->domain;

err_free_did:
	spin_lock(&d->lock);
	did_free_locked(d, dom->did);
	spin_unlock(&d->lock);
err_free:
	kfree(dom);
	return NULL;
}

static void dmar_domain_free(struct iommu_domain *domain)
{
	struct dmar_domain *dom = to_dmar_domain(domain);
	struct dmar *d;

	mutex_lock(&dmar_inst_lock);
	d = dom->dmar;
	if (d) {
		spin_lock(&d->lock);
		if (dom->nr_devs)
			dev_err(d->dev, "domain %u freed with %u device(s) attached",
				dom->did, dom->nr_devs);
		list_del(&dom->node);
		spin_unlock(&d->lock);
		/* A reused DID must find nothing cached. */
		if (dom->used && dom->domain.type != IOMMU_DOMAIN_BLOCKED)
			qi_flush_domain(d, dom->did);
		/* No fault handler still holds this domain. */
		synchronize_irq((unsigned int)d->irq_fault);
		spin_lock(&d->lock);
		if (dom->domain.type != IOMMU_DOMAIN_BLOCKED)
			did_free_locked(d, dom->did);
		spin_unlock(&d->lock);
	}
	mutex_unlock(&dmar_inst_lock);
	if (dom->paging)
		dmar_pt_destroy(&dom->pt);
	kfree(dom);
}

static int dmar_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct dmar_domain *dom = to_dmar_domain(domain);
	struct dmar *d = dom->dmar;
	struct dmar_dev *info;
	int ret;

	if (!d || d != dmar_get()) {
		dev_err(dev, "attach to a domain of an IOMMU that is gone");
		return -ENODEV;
	}
	info = dmar_dev_of(d, dev);
	if (!info) {
		dev_err(dev, "attach: the IOMMU did not probe this device");
		return -ENODEV;
	}
	ret = ctx_table_get(d, info->sid);
	if (ret)
		return ret;
	spin_lock(&d->ctx_lock);
	ctx_set_locked(d, info->sid, dom);
	dev_set_domain(d, info, dom);
	spin_unlock(&d->ctx_lock);
	return 0;
}

static void dmar_detach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct dmar_domain *dom = to_dmar_domain(domain);
	struct dmar *d = dom->dmar;
	struct dmar_dev *info;

	if (!d)
		return;
	info = dmar_dev_of(d, dev);
	if (!info)
		return;
	spin_lock(&d->ctx_lock);
	if (info->domain == dom) {
		ctx_clear_locked(d, info->sid);
		dev_set_domain(d, info, NULL);
	}
	spin_unlock(&d->ctx_lock);
}

static int dmar_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct dmar_domain *dom = to_dmar_domain(domain);

	if (unlikely(!dom->paging))
		return -EINVAL;
	return dmar_pt_map(&dom->pt, iova, paddr, pgsize, pgcount, prot, gfp,
			   mapped);
}

static size_t dmar_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	struct dmar_domain *dom = to_dmar_domain(domain);

	if (unlikely(!dom->paging))
		return 0;
	return dmar_pt_unmap(&dom->pt, iova, pgsize, pgcount, gather);
}

static void dmar_iotlb_sync(struct iommu_domain *domain,
			    struct iommu_iotlb_gather *gather)
{
	struct dmar_domain *dom = to_dmar_domain(domain);
	struct dmar *d = dom->dmar;

	/* Nothing can be cached for a domain no device ever used. */
	if (d && __atomic_load_n(&dom->used, __ATOMIC_RELAXED) &&
	    gather->end >= gather->start)
		/* Leaves only (IH) when no table was freed. */
		qi_flush_range(d, dom->did, gather->start, gather->end,
			       list_empty(&gather->freelist));
	dmar_pt_put_pages(&gather->freelist);
}

static void dmar_flush_iotlb_all(struct iommu_domain *domain)
{
	struct dmar_domain *dom = to_dmar_domain(domain);
	struct dmar *d = dom->dmar;

	if (d && __atomic_load_n(&dom->used, __ATOMIC_RELAXED))
		qi_flush_domain(d, dom->did);
}

static phys_addr_t dmar_iova_to_phys(struct iommu_domain *domain,
				     dma_addr_t iova)
{
	struct dmar_domain *dom = to_dmar_domain(domain);

	if (domain->type == IOMMU_DOMAIN_IDENTITY)
		return iova;
	if (!dom->paging)
		return 0;
	return dmar_pt_iova_to_phys(&dom->pt, iova);
}

long dk__iommu_domain_table_pages(struct iommu_domain *domain)
{
	struct dmar_domain *dom;

	if (!domain || domain->ops != &dmar_domain_ops)
		return -1;
	dom = to_dmar_domain(domain);
	if (!dom->paging)
		return 0;
	return __atomic_load_n(&dom->pt.nr_tables, __ATOMIC_RELAXED);
}

static const struct iommu_domain_ops dmar_domain_ops = {
	.attach_dev = dmar_attach_dev,
	.detach_dev = dmar_detach_dev,
	.map_pages = dmar_map_pages,
	.unmap_pages = dmar_unmap_pages,
	.flush_iotlb_all = dmar_flush_iotlb_all,
	.iotlb_sync = dmar_iotlb_sync,
	.iova_to_phys = dmar_iova_to_phys,
	.free = dmar_domain_free,
};

static const struct iommu_ops dmar_ops = {
	.domain_alloc = dmar_domain_alloc,
	.probe_device = dmar_probe_device,
	.release_device = dmar_release_device,
	.device_group = dk_board_device_group,
	.default_domain_ops = &dmar_domain_ops,
	.pgsize_bitmap = DMAR_PGSIZES,
};

/* ---- interrupts ---------------------------------------------------------- */

static void dmar_handle_fault(struct dmar *d, u64 lo, u64 hi)
{
	u16 sid = FRCD_SID(hi);
	unsigned int fr = FRCD_FR(hi);
	bool read = hi & FRCD_T_READ;
	unsigned long iova = (unsigned long)(lo & FRCD_FI_MASK);
	struct dmar_domain *dom = NULL;
	struct device *dev = NULL;
	struct dmar_dev *info;
	int ret = -ENOSYS;

	spin_lock(&d->lock);
	info = sid_lookup_locked(d, sid);
	if (info) {
		dev = info->dev;
		dom = info->domain;
	}
	spin_unlock(&d->lock);

	if (dmar_reason_is_driver_bug(fr))
		dev_err(d->dev, "fault reason %#x (%s) for %02x:%02x.%u at iova %#lx: the translation tables are broken (driver bug)",
			fr, dmar_reason(fr), sid >> 8, (sid >> 3) & 0x1f,
			sid & 7, iova);
	if (dev && dom)
		ret = report_iommu_fault(&dom->domain, dev, iova,
					 read ? IOMMU_FAULT_READ :
						IOMMU_FAULT_WRITE);
	if (!dev)
		dev_err(d->dev, "DMA %s fault from unknown requester %02x:%02x.%u at iova %#lx: reason %#x (%s)",
			read ? "read" : "write", sid >> 8, (sid >> 3) & 0x1f,
			sid & 7, iova, fr, dmar_reason(fr));
	else if (ret)
		dev_err(dev, "DMA %s fault at iova %#lx (requester %02x:%02x.%u): reason %#x (%s)",
			read ? "read" : "write", iova, sid >> 8,
			(sid >> 3) & 0x1f, sid & 7, fr, dmar_reason(fr));
	else
		dev_info(dev, "DMA %s fault at iova %#lx (requester %02x:%02x.%u): reason %#x (%s); the domain's fault handler took it",
			 read ? "read" : "write", iova, sid >> 8,
			 (sid >> 3) & 0x1f, sid & 7, fr, dmar_reason(fr));
}

static irqreturn_t dmar_fault_irq(int irq, void *data)
{
	struct dmar *d = data;
	u64 fsts = dmar_readq(d, DMAR_FSTS);
	unsigned int pass;

	(void)irq;
	if (!(fsts & (FSTS_PFO | FSTS_PPF | FSTS_IQE | FSTS_ICE)))
		return IRQ_NONE;
	/* A fault arriving while PPF stays set sends no new message: go
	 * round until PPF is clear. */
	for (pass = 0; (fsts & FSTS_PPF) && pass < 8; pass++) {
		unsigned int first = FSTS_FRI(fsts) % d->nr_fr;

		for (unsigned int k = 0; k < d->nr_fr; k++) {
			unsigned int i = (first + k) % d->nr_fr;
			u64 hi = dmar_readq(d, DMAR_FRCD(i) + 8), lo;

			if (!(hi & FRCD_F))
				continue;
			lo = dmar_readq(d, DMAR_FRCD(i));
			dmar_writeq(d, DMAR_FRCD(i) + 8, FRCD_F);
			dmar_handle_fault(d, lo, hi);
		}
		fsts = dmar_readq(d, DMAR_FSTS);
	}
	if (fsts & FSTS_PPF)
		dev_err(d->dev, "faults keep coming: FSTS %#llx after %u passes",
			(unsigned long long)fsts, pass);
	if (fsts & FSTS_PFO) {
		dev_err(d->dev, "fault log overflow: every one of the %u fault recording registers was full, later faults were dropped",
			d->nr_fr);
		dmar_writeq(d, DMAR_FSTS, FSTS_PFO);
	}
	if (fsts & FSTS_IQE) {
		spin_lock(&d->qi_lock);
		if (qi_repair_locked(d))
			dmar_writeq(d, DMAR_IQT, d->qi_tail);
		spin_unlock(&d->qi_lock);
	}
	if (fsts & FSTS_ICE) {
		dev_err(d->dev, "invalid command reported (FSTS.ICE): GCMD.TE without a root table or QIE without IQA (driver bug)");
		dmar_writeq(d, DMAR_FSTS, FSTS_ICE);
	}
	return IRQ_HANDLED;
}

static irqreturn_t dmar_inv_irq(int irq, void *data)
{
	struct dmar *d = data;
	u64 ics = dmar_readq(d, DMAR_ICS);

	(void)irq;
	if (!(ics & ICS_IWC))
		return IRQ_NONE;
	dmar_writeq(d, DMAR_ICS, ICS_IWC);
	return IRQ_HANDLED;
}

/* ---- probe and remove ---------------------------------------------------- */

static void dmar_free_tables(struct dmar *d)
{
	for (unsigned int b = 0; b < 256; b++) {
		free_page((unsigned long)d->ctx[b]);
		d->ctx[b] = NULL;
		kfree(d->sid_map[b]);
		d->sid_map[b] = NULL;
	}
	free_page((unsigned long)d->root);
	free_page((unsigned long)d->qi);
	kfree(d->qi_status);
	kfree(d->did_map);
}

static int dmar_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	unsigned int levels = dk__m->cfg.iommu.levels;
	struct resource *res;
	struct dmar *d;
	u64 ver;
	int ret;

	if (!levels)
		levels = 4;
	if (levels != 3 && levels != 4) {
		dev_err(dev, "cfg.iommu.levels is %u: the tables have 3 or 4 levels",
			levels);
		return -EINVAL;
	}
	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!res || resource_size(res) < DMAR_WINDOW) {
		dev_err(dev, "no register window of %u bytes", DMAR_WINDOW);
		return -ENODEV;
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->pdev = pdev;
	d->dev = dev;
	d->levels = levels;
	spin_lock_init(&d->ctx_lock);
	spin_lock_init(&d->lock);
	spin_lock_init(&d->qi_lock);
	INIT_LIST_HEAD(&d->domains);
	d->irq_fault = platform_get_irq(pdev, 0);
	d->irq_inv = platform_get_irq(pdev, 1);
	if (d->irq_fault < 0 || d->irq_inv < 0) {
		dev_err(dev, "need 2 interrupt vectors, got %d and %d",
			d->irq_fault, d->irq_inv);
		ret = -ENXIO;
		goto err_free;
	}
	d->regs = ioremap(res->start, DMAR_WINDOW);
	if (!d->regs) {
		ret = -ENOMEM;
		goto err_free;
	}
	ver = dmar_readq(d, DMAR_VER);
	d->cap = dmar_readq(d, DMAR_CAP);
	d->nr_fr = (unsigned int)CAP_NFR(d->cap);
	if (VER_MAJOR(ver) != 1) {
		dev_err(dev, "VER %#llx: this driver knows major version 1",
			(unsigned long long)ver);
		ret = -ENODEV;
		goto err_unmap;
	}
	if (!(d->cap & (levels == 4 ? CAP_SL48 : CAP_SL39)) ||
	    !(d->cap & CAP_SP2M) || !(d->cap & CAP_SP1G) ||
	    !(d->cap & CAP_PT)) {
		dev_err(dev, "CAP %#llx lacks %u-level tables, superpages or pass-through",
			(unsigned long long)d->cap, levels);
		ret = -ENODEV;
		goto err_unmap;
	}

	ret = -ENOMEM;
	d->root = (u64 *)get_zeroed_page(GFP_KERNEL);
	d->qi = (u64 *)get_zeroed_page(GFP_KERNEL);
	d->qi_status = kzalloc(sizeof(u32), GFP_KERNEL);
	d->did_map = kcalloc(NR_DIDS / (8 * sizeof(unsigned long)),
			     sizeof(unsigned long), GFP_KERNEL);
	if (!d->root || !d->qi || !d->qi_status || !d->did_map)
		goto err_tables;
	d->qi_status_phys = virt_to_phys(d->qi_status);
	/* DID 0 is for BLOCKED domains: never in a context entry. */
	d->did_map[0] = 1;

	/* Quiet hardware first: whatever a previous owner left enabled. */
	d->gcmd = 0;
	dmar_writeq(d, DMAR_GCMD, 0);
	dmar_writeq(d, DMAR_FECTL, ECTL_IM);
	dmar_writeq(d, DMAR_FSTS, FSTS_PFO | FSTS_IQE | FSTS_ICE);
	for (unsigned int i = 0; i < d->nr_fr; i++)
		dmar_writeq(d, DMAR_FRCD(i) + 8, FRCD_F);

	/* Programming sequence, datasheet section 8. */
	dmar_writeq(d, DMAR_RTADDR, virt_to_phys(d->root));
	ret = dmar_gcmd(d, GCMD_SRTP, GCMD_SRTP, GCMD_SRTP);
	if (ret)
		goto err_tables;
	dmar_writeq(d, DMAR_IQT, 0);
	/* QS = 0: a queue of one page. */
	dmar_writeq(d, DMAR_IQA, virt_to_phys(d->qi));
	d->gcmd |= GCMD_QIE;
	ret = dmar_gcmd(d, 0, GCMD_QIE, GCMD_QIE);
	if (ret)
		goto err_disable;
	d->qi_tail = 0;

	ret = request_irq((unsigned int)d->irq_fault, dmar_fault_irq, 0,
			  "dk-iommu-fault", d);
	if (ret) {
		dev_err(dev, "request_irq(%d) for faults: %d", d->irq_fault,
			ret);
		goto err_disable;
	}
	ret = request_irq((unsigned int)d->irq_inv, dmar_inv_irq, 0,
			  "dk-iommu-inv", d);
	if (ret) {
		dev_err(dev, "request_irq(%d) for invalidations: %d",
			d->irq_inv, ret);
		goto err_free_fault_irq;
	}
	dmar_writeq(d, DMAR_FECTL, 0);

	/* Nothing is attached yet: every device is blocked once TE is on,
	 * until the core gives it its default domain below. */
	d->gcmd |= GCMD_TE;
	ret = dmar_gcmd(d, 0, GCMD_TE, GCMD_TE);
	if (ret)
		goto err_mask;

	platform_set_drvdata(pdev, d);
	mutex_lock(&dmar_inst_lock);
	__atomic_store_n(&dmar_inst, d, __ATOMIC_RELEASE);
	mutex_unlock(&dmar_inst_lock);
	ret = iommu_device_register(&d->iommu, &dmar_ops, dev);
	if (ret) {
		dev_err(dev, "iommu_device_register: %d", ret);
		goto err_unpublish;
	}
	d->registered = true;
	dev_info(dev, "DK-IOMMU %u.%u at %#llx: %u-level tables, %u fault registers, IOTLB %llu entries x %llu ways, irqs %d/%d",
		 (unsigned int)VER_MAJOR(ver), (unsigned int)VER_MINOR(ver),
		 (unsigned long long)res->start, levels, d->nr_fr,
		 (unsigned long long)CAP_IOTLB_ENTRIES(d->cap),
		 (unsigned long long)CAP_IOTLB_WAYS(d->cap), d->irq_fault,
		 d->irq_inv);
	return 0;

err_unpublish:
	mutex_lock(&dmar_inst_lock);
	__atomic_store_n(&dmar_inst, NULL, __ATOMIC_RELEASE);
	mutex_unlock(&dmar_inst_lock);
	platform_set_drvdata(pdev, NULL);
err_mask:
	dmar_writeq(d, DMAR_FECTL, ECTL_IM);
	free_irq((unsigned int)d->irq_inv, d);
err_free_fault_irq:
	free_irq((unsigned int)d->irq_fault, d);
err_disable:
	d->gcmd = 0;
	dmar_writeq(d, DMAR_GCMD, 0);
err_tables:
	dmar_free_tables(d);
err_unmap:
	iounmap(d->regs);
err_free:
	kfree(d);
	return ret;
}

static int dmar_remove(struct platform_device *pdev)
{
	struct dmar *d = platform_get_drvdata(pdev);
	struct dmar_domain *dom;

	if (!d)
		return 0;
	/* The core releases every device: their context entries go. */
	if (d->registered)
		iommu_device_unregister(&d->iommu);

	mutex_lock(&dmar_inst_lock);
	__atomic_store_n(&dmar_inst, NULL, __ATOMIC_RELEASE);
	/* Domains their owners have not freed yet outlive the hardware. */
	spin_lock(&d->lock);
	list_for_each_entry(dom, &d->domains, node)
		dom->dmar = NULL;
	INIT_LIST_HEAD(&d->domains);
	spin_unlock(&d->lock);
	mutex_unlock(&dmar_inst_lock);

	/* Block everything still programmed, then stop translating. */
	spin_lock(&d->ctx_lock);
	for (unsigned int b = 0; b < 256; b++)
		__atomic_store_n(&d->root[2 * b], 0, __ATOMIC_RELEASE);
	spin_unlock(&d->ctx_lock);
	{
		const u64 desc[2][2] = { { QI_CC | QI_G_GLOBAL, 0 },
					 { QI_IOTLB | QI_G_GLOBAL, 0 } };

		qi_submit(d, desc, 2);
	}
	d->gcmd &= ~GCMD_TE;
	dmar_gcmd(d, 0, GCMD_TE, 0);
	d->gcmd &= ~GCMD_QIE;
	dmar_gcmd(d, 0, GCMD_QIE, 0);
	dmar_writeq(d, DMAR_FECTL, ECTL_IM);
	free_irq((unsigned int)d->irq_inv, d);
	free_irq((unsigned int)d->irq_fault, d);
	dmar_writeq(d, DMAR_FSTS, FSTS_PFO | FSTS_IQE | FSTS_ICE);

	dmar_free_tables(d);
	platform_set_drvdata(pdev, NULL);
	iounmap(d->regs);
	kfree(d);
	return 0;
}

static struct platform_driver dmar_driver = {
	.probe = dmar_probe,
	.remove = dmar_remove,
	.driver = { .name = DRV_NAME },
};

/**
 * dk__iommu_driver_init() - register the DK-IOMMU platform driver
 * @m: the machine (its cfg.iommu says how to use the hardware)
 *
 * Binds to the "dk-iommu" device the board placed; a failing probe is
 * logged and leaves the IOMMU off (every DMA passes untranslated).
 * Context: process (machine create). Return: 0 or -errno.
 */
int dk__iommu_driver_init(struct dk_machine *m)
{
	(void)m;
	return platform_driver_register(&dmar_driver);
}

/**
 * dk__iommu_driver_exit() - unbind and unregister the driver
 * @m: the machine
 *
 * Does nothing when the driver is not bound (after dk__bus_unbind_all(),
 * or after a failed probe).
 * Context: process (machine destroy). Return: 0 (leaks are the
 * allocators' reports).
 */
int dk__iommu_driver_exit(struct dk_machine *m)
{
	(void)m;
	/*
	 * At machine destroy the bus has already unbound every driver and
	 * forgotten them (dk__bus_unbind_all()): unregistering again would
	 * be reported. Only a bound driver is still registered here.
	 */
	if (dmar_get())
		platform_driver_unregister(&dmar_driver);
	return 0;
}
