// SPDX-License-Identifier: MIT
/*
 * iommu_qi.c - DK-IOMMU queued invalidation (docs/hw/iommu.md section 6):
 * descriptors read from the queue in RAM inside the IQT write, the cache
 * flushes they ask for, and the wait descriptor's fence.
 *
 * Every invalidation descriptor, once its flush is done, bumps the
 * generation (seq_cst): a DMA-path call that begins after the bump sees it
 * and drops what its slot cached. A wait descriptor then drains the
 * in-flight markers (dk__dma_drain(): every DMA-path call in flight when
 * the drain looked has returned) before it writes the status word and
 * raises its interrupt, so after the status word no device access uses a
 * translation an earlier descriptor invalidated.
 *
 * LOCKING: runs under hw.reg_lock (the IQT write). The drain holds no lock
 * that translation takes: device threads translating take only the cache
 * sets' seqlocks and fault_lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include "hw/iommu_priv.h"

#define DESC_CC		0x1
#define DESC_IOTLB	0x2
#define DESC_WAIT	0x5

/* Perform one descriptor; false if it is invalid. */
static bool qi_one(struct dk_iommu *io, uint64_t lo, uint64_t hi)
{
	unsigned int type = lo & 0xf, g = (lo >> 4) & 3;
	unsigned int did = (lo >> 16) & 0xffff;

	switch (type) {
	case DESC_CC:
		/* Reserved: [15:6], [63:48]; the high quadword. */
		if (!g || (lo & 0xffff00000000ffc0ull) || hi)
			return false;
		if (g == 1)
			dk__iommu_flush_all(io);
		else if (g == 2)
			dk__iommu_flush_did(io, did, true, true, true);
		else {
			dk__iommu_flush_sid(io, (lo >> 32) & 0xffff);
			dk__iommu_flush_did(io, did, false, true, true);
		}
		break;
	case DESC_IOTLB:
		/* Reserved: [15:6], [63:32]; high [11:7] when page-selective. */
		if (!g || (lo & 0xffffffff0000ffc0ull))
			return false;
		if (g == 1) {
			struct sa_cache *c[4] = { &io->iotlb, &io->psc[0],
						  &io->psc[1], &io->psc[2] };

			for (unsigned int i = 0; i < 4; i++)
				sa_drop_all(c[i], NULL, NULL);
		} else if (g == 2) {
			dk__iommu_flush_did(io, did, false, true, true);
		} else {
			unsigned int am = hi & 0x3f;
			uint64_t addr = hi & ~0xfffull;

			if ((hi & 0xf80) || am > 18 ||
			    (addr & ((DK_PAGE_SIZE << am) - 1)))
				return false;
			dk__iommu_flush_pages(io, did, addr, am, hi & 0x40);
		}
		break;
	case DESC_WAIT: {
		uint32_t *status = NULL;

		/* Reserved: [3:0] is the type, [31:6]; high [1:0]. */
		if ((lo & 0xffffffc0ull) || (hi & 3))
			return false;
		if (lo & 0x20) {
			const struct dk_ram_region *r =
				dk__ram_region(io->m->ram, hi);

			if (!r || r->base + r->size - hi < 4)
				return false;
			status = (uint32_t *)(r->host + (hi - r->base));
		}
		if (io->drain_needed) {
			dk__dma_drain(io->m);
			io->drain_needed = false;
		}
		if (status)
			/* Release: software reading it sees the effects. */
			__atomic_store_n(status, (uint32_t)(lo >> 32),
					 __ATOMIC_RELEASE);
		if ((lo & 0x10) && !(io->ics & ICS_IWC)) {
			io->ics |= ICS_IWC;
			if (io->iectl & ECTL_IM)
				io->iectl |= ECTL_IP;
			else
				dk_hw_irq_raise(&io->hw, 1);
		}
		io_gstat(io, ST_INVAL, 1);
		return true;
	}
	default:
		return false;
	}
	io_gstat(io, ST_INVAL, 1);
	dk__iommu_bump(io);
	io->drain_needed = true;
	return true;
}

/**
 * dk__iommu_qi_run() - process descriptors from IQH up to IQT
 * @io: the IOMMU
 *
 * Stops at an invalid descriptor with FSTS.IQE set and IQH on it.
 * Context: the IQT writer's thread, under hw.reg_lock.
 */
void dk__iommu_qi_run(struct dk_iommu *io)
{
	uint64_t base = io->iqa & ADDR_MASK;
	uint64_t qsize = DK_PAGE_SIZE << (io->iqa & 7);

	if (!(io->gsts & GSTS_QIES))
		return;
	pthread_mutex_lock(&io->fault_lock);
	if (io->fsts & FSTS_IQE) {
		pthread_mutex_unlock(&io->fault_lock);
		return;
	}
	pthread_mutex_unlock(&io->fault_lock);
	while (io->iqh != io->iqt) {
		const uint64_t *q = io_ram_q(io, base + io->iqh);
		uint64_t lo, hi;

		if (!q) {
			dk__err("dk-iommu: invalidation queue at 0x%llx + 0x%llx is not RAM",
				(unsigned long long)base,
				(unsigned long long)io->iqh);
			dk__iommu_fsts_set(io, FSTS_IQE);
			return;
		}
		lo = __atomic_load_n(q, __ATOMIC_ACQUIRE);
		hi = __atomic_load_n(q + 1, __ATOMIC_ACQUIRE);
		dk__trace(io->track, DK_EV_IOMMU_INVAL, lo, hi, io->iqh);
		if (!qi_one(io, lo, hi)) {
			dk__err("dk-iommu: invalid invalidation descriptor at queue offset 0x%llx: 0x%016llx 0x%016llx (processing stopped, FSTS.IQE)",
				(unsigned long long)io->iqh,
				(unsigned long long)hi,
				(unsigned long long)lo);
			dk__iommu_fsts_set(io, FSTS_IQE);
			return;
		}
		io->iqh = (io->iqh + 16) & (qsize - 1);
	}
}
