// SPDX-License-Identifier: MIT
/*
 * iommu.c - the DK-IOMMU model (docs/hw/iommu.md): placement on the
 * machine, the register file, global commands, fault recording and the
 * two interrupt messages (0: fault event, 1: invalidation completion).
 *
 * The model has no thread: translation runs on the requesting device's
 * thread (iommu_walk.c), the invalidation queue inside the IQT write
 * (iommu_qi.c). Enabling translation publishes &io->xlate in m->xlate
 * (release); disabling clears it, bumps the generation and drains the DMA
 * in flight.
 *
 * LOCKING: see iommu_priv.h. Register handlers run under hw.reg_lock and
 * take fault_lock for FSTS, FECTL and the FRCDs; device threads take only
 * fault_lock (dk__iommu_fault()). A fault is logged under fault_lock
 * (dk_log takes only the log sink's lock) and its interrupt raised there
 * (the interrupt controller's lock only).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hw/iommu_priv.h"

/* ---- generation ------------------------------------------------------------- */

/**
 * dk__iommu_bump() - start a new generation after an invalidation
 * @io: the IOMMU
 *
 * seq_cst RMW: ordered before dk__dma_drain()'s reads of the markers, and
 * a DMA-path call that takes its marker after those reads loads it (and
 * synchronizes with the flush that preceded it).
 * Context: any; no lock needed.
 */
void dk__iommu_bump(struct dk_iommu *io)
{
	__atomic_add_fetch(&io->gen, 1, __ATOMIC_SEQ_CST);
}

/* ---- faults ------------------------------------------------------------------ */

/* Caller holds fault_lock. */
static uint32_t fsts_locked(struct dk_iommu *io)
{
	uint32_t v = io->fsts | io->fri << FSTS_FRI_SHIFT;

	for (unsigned int i = 0; i < io->nfr; i++) {
		if (io->frcd[i].hi & FRCD_F) {
			v |= FSTS_PPF;
			break;
		}
	}
	return v;
}

/* A fault event (status bits newly set): send message 0 or latch IP. */
static void fault_event_locked(struct dk_iommu *io)
{
	if (io->fectl & ECTL_IM)
		io->fectl |= ECTL_IP;
	else
		dk_hw_irq_raise(&io->hw, 0);
}

/* VT-d: a latched event whose status software cleared is forgotten. */
static void fault_ip_recheck_locked(struct dk_iommu *io)
{
	if ((io->fectl & ECTL_IP) &&
	    !(fsts_locked(io) & (FSTS_PFO | FSTS_PPF | FSTS_IQE | FSTS_ICE)))
		io->fectl &= ~ECTL_IP;
}

/**
 * dk__iommu_fsts_set() - set FSTS bits (IQE, ICE) and signal the event
 * @io: the IOMMU
 * @bits: FSTS_IQE and/or FSTS_ICE
 *
 * Context: under hw.reg_lock; takes fault_lock.
 */
void dk__iommu_fsts_set(struct dk_iommu *io, uint32_t bits)
{
	pthread_mutex_lock(&io->fault_lock);
	if ((io->fsts & bits) != bits) {
		io->fsts |= bits;
		fault_event_locked(io);
	}
	pthread_mutex_unlock(&io->fault_lock);
}

/**
 * dk__iommu_fault() - a translation request faulted: record it
 * @io: the IOMMU
 * @dev: requesting device
 * @iova: the faulting address
 * @write: write request
 * @reason: fault reason (section 7)
 * @fpd: the device's context entry has FPD set
 *
 * Records in the next FRCD (round-robin) unless FPD is set, an identical
 * fault is pending (coalesced), or the register is full (PFO). Logs each
 * recorded fault once.
 * Context: a device thread translating; takes fault_lock.
 * Return: -EFAULT.
 */
int dk__iommu_fault(struct dk_iommu *io, struct dk_hw_dev *dev, uint64_t iova,
		    bool write, unsigned int reason, bool fpd)
{
	uint64_t page = iova & ~(DK_PAGE_SIZE - 1);
	uint64_t hi = (uint64_t)dev->requester_id |
		      (uint64_t)reason << 32 | (write ? 0 : FRCD_T) | FRCD_F;
	struct frcd *r;
	uint32_t before;

	dk__trace(io->track, DK_EV_IOMMU_FAULT, dev->requester_id, iova,
		  reason | (write ? 0x100u : 0));
	if (fpd) {
		io_gstat(io, ST_DROPPED, 1);
		return -EFAULT;
	}
	pthread_mutex_lock(&io->fault_lock);
	for (unsigned int i = 0; i < io->nfr; i++) {
		if ((io->frcd[i].hi & FRCD_F) &&
		    (io->frcd[i].hi & (FRCD_T | 0xff0000ffffull)) ==
			    (hi & (FRCD_T | 0xff0000ffffull)) &&
		    io->frcd[i].lo == page) {
			/* Coalesced: counted neither recorded nor dropped. */
			pthread_mutex_unlock(&io->fault_lock);
			return -EFAULT;
		}
	}
	before = fsts_locked(io);
	r = &io->frcd[io->fri];
	if (r->hi & FRCD_F) {
		io_gstat(io, ST_DROPPED, 1);
		if (!(io->fsts & FSTS_PFO)) {
			io->fsts |= FSTS_PFO;
			dk__err("dk-iommu: fault log full (%u registers): faults are dropped until software clears them (FSTS.PFO); first dropped: %s %s of 0x%llx: %s",
				io->nfr, dev->name, write ? "write" : "read",
				(unsigned long long)iova,
				dk__iommu_reason(reason));
			fault_event_locked(io);
		}
		pthread_mutex_unlock(&io->fault_lock);
		return -EFAULT;
	}
	r->lo = page;
	r->hi = hi;
	io->fri = (io->fri + 1) % io->nfr;
	io_gstat(io, ST_FAULT, 1);
	dk__err("dk-iommu: fault: %s (requester %02x:%02x.%u) %s at IOVA 0x%llx: reason 0x%x, %s",
		dev->name, dev->requester_id >> 8,
		(dev->requester_id >> 3) & 0x1f, dev->requester_id & 7,
		write ? "write" : "read", (unsigned long long)iova, reason,
		dk__iommu_reason(reason));
	if (!(before & FSTS_PPF))
		fault_event_locked(io);
	pthread_mutex_unlock(&io->fault_lock);
	return -EFAULT;
}

/* ---- global commands ------------------------------------------------------------ */

static void set_gsts(struct dk_iommu *io, uint32_t v)
{
	__atomic_store_n(&io->gsts, v, __ATOMIC_RELEASE);
}

static void gcmd(struct dk_iommu *io, uint32_t cmd)
{
	struct dk_machine *m = io->m;
	uint32_t st = io->gsts;

	if (cmd & GSTS_RTPS) {
		__atomic_store_n(&io->rtp, io->rtaddr & ADDR_MASK,
				 __ATOMIC_RELEASE);
		st |= GSTS_RTPS;
		dk__iommu_flush_all(io);
		dk__iommu_bump(io);
		io->drain_needed = true;
	}
	if ((cmd & GSTS_QIES) && !(st & GSTS_QIES)) {
		uint64_t base = io->iqa & ADDR_MASK;
		uint64_t size = DK_PAGE_SIZE << (io->iqa & 7);
		const struct dk_ram_region *r = dk__ram_region(m->ram, base);

		if (!r || r->base + r->size - base < size) {
			dk__err("dk-iommu: GCMD.QIE with IQA 0x%llx: the queue is not in RAM (FSTS.ICE)",
				(unsigned long long)io->iqa);
			dk__iommu_fsts_set(io, FSTS_ICE);
		} else {
			io->iqh = io->iqt = 0;
			st |= GSTS_QIES;
		}
	} else if (!(cmd & GSTS_QIES)) {
		st &= ~GSTS_QIES;
	}
	if ((cmd & GSTS_TES) && !(st & GSTS_TES)) {
		if (!(st & GSTS_RTPS)) {
			dk__err("dk-iommu: GCMD.TE without a root table pointer (FSTS.ICE)");
			dk__iommu_fsts_set(io, FSTS_ICE);
		} else {
			st |= GSTS_TES;
			dk__iommu_bump(io);
			/* Release: the model is set up for translating calls. */
			__atomic_store_n(&m->xlate, &io->xlate,
					 __ATOMIC_RELEASE);
		}
	} else if (!(cmd & GSTS_TES) && (st & GSTS_TES)) {
		st &= ~GSTS_TES;
		__atomic_store_n(&m->xlate, NULL, __ATOMIC_RELEASE);
		dk__iommu_bump(io);
		io->drain_needed = true;
	}
	set_gsts(io, st);
	if (io->drain_needed) {
		dk__dma_drain(m);
		io->drain_needed = false;
	}
}

/* ---- registers -------------------------------------------------------------------- */

static struct dk_iommu *to_iommu(struct dk_hw_dev *d)
{
	return io_from(d, hw);
}

static uint64_t stat_read(struct dk_iommu *io, uint64_t sel)
{
	struct dk_machine *m = io->m;
	uint64_t v;

	if (sel >= ST_NR)
		return 0;
	v = __atomic_load_n(&io->stat[sel], __ATOMIC_RELAXED);
	if (sel == ST_FAULT || sel == ST_DROPPED || sel == ST_INVAL)
		return v;
	pthread_mutex_lock(&m->dev_lock);
	for (unsigned int i = 0; i < m->nr_devs; i++)
		for (unsigned int k = 0; k < DK_DMA_SLOTS; k++)
			v += __atomic_load_n(&m->devs[i]->dma_slot[k].stat[sel],
					     __ATOMIC_RELAXED);
	pthread_mutex_unlock(&m->dev_lock);
	return v;
}

static uint64_t reg_read64(struct dk_iommu *io, uint64_t off)
{
	uint64_t v = 0;

	switch (off) {
	case IOMMU_VER:
		return IOMMU_VERSION;
	case IOMMU_CAP:
		return io->cap;
	case IOMMU_GCMD:
		return 0;
	case IOMMU_GSTS:
		return io->gsts;
	case IOMMU_RTADDR:
		return io->rtaddr;
	case IOMMU_FSTS:
		pthread_mutex_lock(&io->fault_lock);
		v = fsts_locked(io);
		pthread_mutex_unlock(&io->fault_lock);
		return v;
	case IOMMU_FECTL:
		pthread_mutex_lock(&io->fault_lock);
		v = io->fectl;
		pthread_mutex_unlock(&io->fault_lock);
		return v;
	case IOMMU_IQH:
		return io->iqh;
	case IOMMU_IQT:
		return io->iqt;
	case IOMMU_IQA:
		return io->iqa;
	case IOMMU_ICS:
		return io->ics;
	case IOMMU_IECTL:
		return io->iectl;
	case IOMMU_STAT_SEL:
		return io->stat_sel;
	case IOMMU_STAT_VAL:
		return stat_read(io, io->stat_sel);
	}
	if (off >= IOMMU_FRCD && off < IOMMU_FRCD + 16ull * io->nfr) {
		const struct frcd *r = &io->frcd[(off - IOMMU_FRCD) / 16];

		pthread_mutex_lock(&io->fault_lock);
		v = (off & 8) ? r->hi : r->lo;
		pthread_mutex_unlock(&io->fault_lock);
		return v;
	}
	dk__err("dk-iommu: read of unknown register offset 0x%llx",
		(unsigned long long)off);
	return 0;
}

static uint64_t iommu_mmio_read(struct dk_hw_dev *d, uint64_t off,
				unsigned int size)
{
	uint64_t v = reg_read64(to_iommu(d), off & ~7ull);

	return size == 8 ? v : (v >> ((off & 4) * 8)) & 0xffffffffull;
}

/* Write @val under @mask to the register at the 8-byte aligned @off. */
static void reg_write64(struct dk_iommu *io, uint64_t off, uint64_t val,
			uint64_t mask)
{
	uint64_t w1c = val & mask;

#define MERGE(reg) ((reg) = ((reg) & ~mask) | (val & mask))
	switch (off) {
	case IOMMU_VER:
	case IOMMU_CAP:
	case IOMMU_GSTS:
	case IOMMU_IQH:
	case IOMMU_STAT_VAL:
		dk__err("dk-iommu: write to read-only register 0x%llx ignored",
			(unsigned long long)off);
		return;
	case IOMMU_GCMD:
		if (mask & 0xffffffffull)
			gcmd(io, (uint32_t)val);
		return;
	case IOMMU_RTADDR:
		MERGE(io->rtaddr);
		io->rtaddr &= ADDR_MASK;
		return;
	case IOMMU_FSTS:
		pthread_mutex_lock(&io->fault_lock);
		io->fsts &= ~(uint32_t)(w1c & (FSTS_PFO | FSTS_IQE | FSTS_ICE));
		fault_ip_recheck_locked(io);
		pthread_mutex_unlock(&io->fault_lock);
		return;
	case IOMMU_FECTL:
		pthread_mutex_lock(&io->fault_lock);
		if (mask & ECTL_IM) {
			if (val & ECTL_IM) {
				io->fectl |= ECTL_IM;
			} else {
				io->fectl &= ~ECTL_IM;
				if (io->fectl & ECTL_IP) {
					io->fectl &= ~ECTL_IP;
					dk_hw_irq_raise(&io->hw, 0);
				}
			}
		}
		pthread_mutex_unlock(&io->fault_lock);
		return;
	case IOMMU_IQT: {
		uint64_t t = io->iqt;
		uint64_t qsize = DK_PAGE_SIZE << (io->iqa & 7);

		t = (t & ~mask) | (val & mask);
		if ((t & ~IQ_OFF_MASK) || t >= qsize) {
			dk__err("dk-iommu: IQT 0x%llx is outside the 0x%llx-byte queue or has reserved bits (FSTS.ICE)",
				(unsigned long long)t,
				(unsigned long long)qsize);
			dk__iommu_fsts_set(io, FSTS_ICE);
			return;
		}
		io->iqt = t;
		dk__iommu_qi_run(io);
		return;
	}
	case IOMMU_IQA:
		MERGE(io->iqa);
		io->iqa &= ADDR_MASK | 7;
		return;
	case IOMMU_ICS:
		if (w1c & ICS_IWC) {
			io->ics &= ~ICS_IWC;
			io->iectl &= ~ECTL_IP;
		}
		return;
	case IOMMU_IECTL:
		if (mask & ECTL_IM) {
			if (val & ECTL_IM) {
				io->iectl |= ECTL_IM;
			} else {
				io->iectl &= ~ECTL_IM;
				if (io->iectl & ECTL_IP) {
					io->iectl &= ~ECTL_IP;
					dk_hw_irq_raise(&io->hw, 1);
				}
			}
		}
		return;
	case IOMMU_STAT_SEL:
		MERGE(io->stat_sel);
		return;
	}
#undef MERGE
	if (off >= IOMMU_FRCD && off < IOMMU_FRCD + 16ull * io->nfr) {
		struct frcd *r = &io->frcd[(off - IOMMU_FRCD) / 16];

		if (!(off & 8))
			return;		/* FI is read-only */
		pthread_mutex_lock(&io->fault_lock);
		if (w1c & FRCD_F)
			r->hi &= ~FRCD_F;
		fault_ip_recheck_locked(io);
		pthread_mutex_unlock(&io->fault_lock);
		return;
	}
	dk__err("dk-iommu: write of 0x%llx to unknown register offset 0x%llx ignored",
		(unsigned long long)val, (unsigned long long)off);
}

static void iommu_mmio_write(struct dk_hw_dev *d, uint64_t off, uint64_t val,
			     unsigned int size)
{
	uint64_t shift = size == 8 ? 0 : (off & 4) * 8;
	uint64_t mask = size == 8 ? ~0ull : 0xffffffffull << shift;

	reg_write64(to_iommu(d), off & ~7ull, val << shift, mask);
}

static void iommu_reset(struct dk_hw_dev *d)
{
	struct dk_iommu *io = to_iommu(d);

	if (__atomic_load_n(&io->m->xlate, __ATOMIC_ACQUIRE) == &io->xlate)
		__atomic_store_n(&io->m->xlate, NULL, __ATOMIC_RELEASE);
	set_gsts(io, 0);
	__atomic_store_n(&io->rtp, 0, __ATOMIC_RELEASE);
	io->rtaddr = io->iqa = io->iqh = io->iqt = io->stat_sel = 0;
	io->ics = 0;
	io->iectl = ECTL_IM;
	dk__iommu_flush_all(io);
	dk__iommu_bump(io);
	pthread_mutex_lock(&io->fault_lock);
	io->fsts = 0;
	io->fectl = ECTL_IM;
	io->fri = 0;
	memset(io->frcd, 0, io->nfr * sizeof(*io->frcd));
	pthread_mutex_unlock(&io->fault_lock);
}

static void iommu_free(struct dk_iommu *io)
{
	sa_free(&io->iotlb);
	sa_free(&io->ctxc);
	for (unsigned int l = 0; l < 3; l++)
		sa_free(&io->psc[l]);
	free(io->frcd);
	pthread_mutex_destroy(&io->fault_lock);
	free(io);
}

static void iommu_release(struct dk_hw_dev *d)
{
	struct dk_iommu *io = to_iommu(d);
	struct dk_machine *m = io->m;

	if (m && __atomic_load_n(&m->xlate, __ATOMIC_ACQUIRE) == &io->xlate)
		__atomic_store_n(&m->xlate, NULL, __ATOMIC_RELEASE);
	iommu_free(io);
}

static const struct dk_hw_ops iommu_ops = {
	.name = "dk-iommu",
	.mmio_size = 4096,
	.nr_irqs = 2,
	.access_sizes = 4 | 8,
	.reset = iommu_reset,
	.mmio_read = iommu_mmio_read,
	.mmio_write = iommu_mmio_write,
	.release = iommu_release,
};

/* Largest of 8, 4, 2, 1 ways that divides @entries. */
static unsigned int ways_for(unsigned int entries)
{
	unsigned int w = 8;

	while (w > 1 && (entries % w))
		w /= 2;
	return w;
}

/* Sizes from the machine's config, defaulted and checked. */
static int iommu_sizes(struct dk_iommu *io, const struct dk_iommu_config *c)
{
	unsigned int tlb = c->iotlb_entries ? c->iotlb_entries : 512;
	unsigned int ways = c->iotlb_ways ? c->iotlb_ways :
			    (tlb < 8 ? tlb : 8);
	unsigned int cc = c->ctx_entries ? c->ctx_entries : 64;
	unsigned int psc = c->psc_entries ? c->psc_entries : 32;
	unsigned int nfr = c->fault_regs ? c->fault_regs : 8;
	unsigned int psc_log2 = (unsigned int)__builtin_ctz(psc);
	int ret;

	if (tlb > 0xffff || ways > 0xff || tlb % ways || cc > 0xffff ||
	    (psc & (psc - 1)) || psc_log2 > 16 || nfr > 128) {
		dk__err("dk-iommu: bad cache sizes: IOTLB %u entries / %u ways (a multiple, at most 65535 / 255), context cache %u (at most 65535), PSC %u per level (a power of two, at most 65536), %u fault registers (at most 128)",
			tlb, ways, cc, psc, nfr);
		return -EINVAL;
	}
	ret = sa_init(&io->iotlb, tlb, ways);
	if (!ret)
		ret = sa_init(&io->ctxc, cc, ways_for(cc));
	for (unsigned int l = 0; l < 3 && !ret; l++)
		ret = sa_init(&io->psc[l], psc, ways_for(psc));
	if (ret)
		return ret;
	io->nfr = nfr;
	io->frcd = calloc(nfr, sizeof(*io->frcd));
	if (!io->frcd)
		return -ENOMEM;
	io->cap = (uint64_t)(nfr - 1) | 0x1f00ull | (uint64_t)tlb << 16 |
		  (uint64_t)ways << 32 | (uint64_t)cc << 40 |
		  (uint64_t)psc_log2 << 56;
	return 0;
}

/**
 * dk__iommu_hw_add() - place the DK-IOMMU at DK_IOMMU_BASE
 * @m: the machine (its cfg.iommu holds the sizes)
 *
 * Publishes platform device "dk-iommu" with 2 interrupt vectors.
 * Context: process (machine create, or a unit test).
 * Return: 0 or -errno (bad sizes: -EINVAL, logged).
 */
int dk__iommu_hw_add(struct dk_machine *m)
{
	struct dk_device_config cfg;
	struct dk_iommu *io;
	int ret;

	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->m = m;
	pthread_mutex_init(&io->fault_lock, NULL);
	io->gen = 1;
	io->xlate.translate_slot = dk__iommu_translate;
	io->xlate.gen = &io->gen;
	io->hw.dma_target_refused = true;
	ret = iommu_sizes(io, &m->cfg.iommu);
	if (ret) {
		iommu_free(io);
		return ret;
	}
	io->track = dk__trace_track_new(DK_TRACK_IOMMU, "dk-iommu");
	dk_device_config_init(&cfg);
	cfg.name = "dk-iommu";
	cfg.mmio_base = DK_IOMMU_BASE;
	return dk_hw_device_add(m, &cfg, &io->hw, &iommu_ops, NULL);
}

int dk_iommu_counters(struct dk_machine *m, struct dk_iommu_counters *out)
{
	struct dk_hw_dev *hw;
	struct dk_iommu *io;

	if (!m || m != dk__m || !out) {
		dk__err("dk_iommu_counters: %s", !out ? "out is NULL" :
			"not the current machine");
		return -EINVAL;
	}
	hw = dk__mmio_dev_at(m, DK_IOMMU_BASE);
	if (!hw || hw->ops != &iommu_ops)
		return -ENODEV;
	io = (struct dk_iommu *)hw;	/* hw is the first member */
	out->translations = stat_read(io, ST_XLATE);
	out->iotlb_hits = stat_read(io, ST_IOTLB_HIT);
	out->iotlb_misses = stat_read(io, ST_IOTLB_MISS);
	out->walks = stat_read(io, ST_WALK);
	out->faults_recorded = stat_read(io, ST_FAULT);
	out->faults_dropped = stat_read(io, ST_DROPPED);
	out->invalidations = stat_read(io, ST_INVAL);
	out->ctx_hits = stat_read(io, ST_CC_HIT);
	out->ctx_misses = stat_read(io, ST_CC_MISS);
	out->psc_hits = stat_read(io, ST_PSC_HIT);
	out->psc_misses = stat_read(io, ST_PSC_MISS);
	return 0;
}
