// SPDX-License-Identifier: MIT
/*
 * iommu_test.c - the DK-IOMMU model through its registers and tables in
 * RAM only (the table builder, tests/support/iommu_tables.h), as a driver
 * would; devices are tmodels whose DMA the test thread issues.
 *
 * The machine is made without cfg.iommu.present (so no driver binds) and
 * the model is placed with dk__iommu_hw_add(), with the sizes each test
 * wants.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include <dmakit/hw/dma.h>
#include "dk_test.h"
#include "hw/internal.h"
#include "iommu_tables.h"
#include "tmodel.h"

#define RID_A	0x0100	/* 01:00.0 */
#define RID_B	0x0108	/* 01:01.0 */
#define RID_C	0x0200	/* 02:00.0: bus 2 has no root entry */
#define DID_A	1
#define DID_B	2

enum { S_XLATE, S_HIT, S_MISS, S_WALK, S_FAULT, S_DROP, S_INVAL, S_CCH,
       S_CCM, S_PSCH, S_PSCM };

static struct dk_machine *m;
static struct tmodel *ta, *tb, *tc;
static struct platform_device *pa, *pb, *pc;
static struct dk_hw_dev *iodev;
static struct iot T;
static uint64_t pt_a, pt_b;	/* page tables: A 4-level, B 3-level */

struct sizes {
	unsigned int tlb, ways, cc, psc, nfr;
	bool no_enable;
};

static int make(const struct sizes *sz)
{
	struct dk_device_config cfg;

	dk_test_log_capture();
	if (dk_machine_create(NULL, &m))
		return -1;
	if (sz) {
		m->cfg.iommu.iotlb_entries = sz->tlb;
		m->cfg.iommu.iotlb_ways = sz->ways;
		m->cfg.iommu.ctx_entries = sz->cc;
		m->cfg.iommu.psc_entries = sz->psc;
		m->cfg.iommu.fault_regs = sz->nfr;
	}
	if (dk__iommu_hw_add(m))
		return -1;
	iodev = dk__mmio_dev_at(m, DK_IOMMU_BASE);
	dk_device_config_init(&cfg);
	cfg.name = "devA";
	cfg.requester_id = RID_A;
	if (tmodel_add(m, &cfg, &tmodel_nothread_ops, &ta, &pa))
		return -1;
	cfg.name = "devB";
	cfg.requester_id = RID_B;
	if (tmodel_add(m, &cfg, &tmodel_nothread_ops, &tb, &pb))
		return -1;
	cfg.name = "devC";
	cfg.requester_id = RID_C;
	if (tmodel_add(m, &cfg, &tmodel_nothread_ops, &tc, &pc))
		return -1;
	if (iot_init(&T, m))
		return -1;
	pt_a = iot_pgtable(&T);
	pt_b = iot_pgtable(&T);
	iot_context(&T, RID_A, IOT_TT_XLATE, 2, DID_A, pt_a, false);
	iot_context(&T, RID_B, IOT_TT_XLATE, 1, DID_B, pt_b, false);
	if (sz && sz->no_enable)
		return 0;
	return iot_enable(&T, 0);
}

static int setup(void **state)
{
	(void)state;
	return make(NULL);
}

static int teardown(void **state)
{
	int leaks;

	(void)state;
	iot_fini(&T);
	leaks = dk_machine_destroy(m);
	dk_test_log_release();
	return leaks;
}

static uint64_t data_page(uint8_t fill)
{
	uint64_t p = iot_page(&T);

	memset(iot_host(&T, p), fill, 4096);
	return p;
}

/* The first FRCD with F set: index, or -1. */
static int frcd_find(uint64_t *lo, uint64_t *hi)
{
	unsigned int nfr = (iot_reg(&T, IOT_CAP) & 0xff) + 1;

	for (unsigned int i = 0; i < nfr; i++) {
		*hi = iot_reg(&T, IOT_FRCD(i) + 8);
		if (*hi >> 63) {
			*lo = iot_reg(&T, IOT_FRCD(i));
			return (int)i;
		}
	}
	return -1;
}

static void frcd_clear_all(void)
{
	unsigned int nfr = (iot_reg(&T, IOT_CAP) & 0xff) + 1;

	for (unsigned int i = 0; i < nfr; i++)
		iot_reg_write(&T, IOT_FRCD(i) + 8, 1ull << 63);
	iot_reg_write(&T, IOT_FSTS, IOT_PFO | IOT_IQE | IOT_ICE);
}

/* Assert exactly one pending fault with these contents; clear it. */
static void expect_fault(uint16_t rid, uint64_t iova, bool read,
			 unsigned int reason)
{
	uint64_t lo = 0, hi = 0;
	int i = frcd_find(&lo, &hi);

	if (i < 0)
		dk_test_log_dump();
	assert_true(i >= 0);
	assert_int_equal(lo, iova & ~0xfffull);
	assert_int_equal(hi & 0xffff, rid);
	assert_int_equal((hi >> 32) & 0xff, reason);
	assert_int_equal((hi >> 62) & 1, read);
	iot_reg_write(&T, IOT_FRCD(i) + 8, 1ull << 63);
	assert_int_equal(frcd_find(&lo, &hi), -1);
}

/* ---- configuration and registers ------------------------------------------ */

static void bad_sizes_are_refused(void **state)
{
	const struct { unsigned int tlb, ways, psc, nfr; } bad[] = {
		{ 6, 4, 0, 0 }, { 0, 0, 3, 0 }, { 0, 0, 0, 200 },
		{ 70000, 0, 0, 0 },
	};

	(void)state;
	dk_test_log_capture();
	assert_int_equal(dk_machine_create(NULL, &m), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m->cfg.iommu.iotlb_entries = bad[i].tlb;
		m->cfg.iommu.iotlb_ways = bad[i].ways;
		m->cfg.iommu.psc_entries = bad[i].psc;
		m->cfg.iommu.fault_regs = bad[i].nfr;
		assert_int_equal(dk__iommu_hw_add(m), -EINVAL);
	}
	assert_log_count("bad cache sizes", 4);
	assert_null(dk__mmio_dev_at(m, DK_IOMMU_BASE));
	memset(&m->cfg.iommu, 0, sizeof(m->cfg.iommu));
	assert_int_equal(dk__iommu_hw_add(m), 0);
	assert_int_equal(dk_machine_destroy(m), 0);
	dk_test_log_release();
}

static void registers_after_reset(void **state)
{
	uint64_t cap, v = 0;

	(void)state;
	assert_int_equal(iot_reg(&T, IOT_VER), 0x00010000);
	cap = iot_reg(&T, IOT_CAP);
	assert_int_equal(cap & 0xff, 7);
	assert_int_equal((cap >> 8) & 0x1f, 0x1f);
	assert_int_equal((cap >> 16) & 0xffff, 512);
	assert_int_equal((cap >> 32) & 0xff, 8);
	assert_int_equal((cap >> 40) & 0xffff, 64);
	assert_int_equal(cap >> 56, 5);
	/* 32-bit halves. */
	dk__mmio_access(m, DK_IOMMU_BASE + IOT_CAP + 4, 4, false, &v);
	assert_int_equal(v, cap >> 32);
	assert_int_equal(iot_reg(&T, IOT_FECTL), IOT_IM);
	assert_int_equal(iot_reg(&T, IOT_IECTL), IOT_IM);
	assert_int_equal(iot_reg(&T, IOT_GSTS), 0);
	/* TE without a root pointer, QIE without a queue: ICE. */
	iot_reg_write(&T, IOT_GCMD, IOT_TE);
	assert_int_equal(iot_reg(&T, IOT_GSTS), 0);
	assert_true(iot_reg(&T, IOT_FSTS) & IOT_ICE);
	iot_reg_write(&T, IOT_FSTS, IOT_ICE);
	iot_reg_write(&T, IOT_IQA, 0x1000);
	iot_reg_write(&T, IOT_GCMD, IOT_QIE);
	assert_true(iot_reg(&T, IOT_FSTS) & IOT_ICE);
	assert_log_count("FSTS.ICE", 2);
	iot_reg_write(&T, IOT_FSTS, IOT_ICE);
	assert_int_equal(iot_reg(&T, IOT_FSTS), 0);
	/* Until TE, requests pass untranslated. */
	{
		uint64_t p = data_page(0x5c);
		uint8_t b[8];

		assert_int_equal(dk_dma_read(&ta->hw, p, b, 8), 0);
		assert_int_equal(b[3], 0x5c);
	}
	assert_int_equal(iot_enable(&T, 0), 0);
	assert_int_equal(iot_reg(&T, IOT_GSTS),
			 IOT_TE | IOT_SRTP | IOT_QIE);
	/* Unknown offsets: logged, read 0. */
	assert_int_equal(iot_reg(&T, 0x0f8), 0);
	assert_log_count("unknown register", 1);
}

static int setup_noenable(void **state)
{
	static const struct sizes s = { .no_enable = true };

	(void)state;
	return make(&s);
}

/* ---- translation --------------------------------------------------------------- */

struct ref {
	uint64_t iova, size, phys, perm;
};

static struct ref *ref_find(struct ref *r, unsigned int n, uint64_t iova,
			    uint64_t size)
{
	for (unsigned int i = 0; i < n; i++)
		if (iova < r[i].iova + r[i].size && r[i].iova < iova + size)
			return &r[i];
	return NULL;
}

static void probe(struct tmodel *d, struct ref *r, unsigned int n,
		  uint64_t iova, uint64_t *rng)
{
	struct ref *e = ref_find(r, n, iova, 8);
	uint8_t b[8], w[8];
	int ret;

	ret = dk_dma_read(&d->hw, iova, b, 8);
	if (!e || !(e->perm & IOT_R)) {
		assert_int_equal(ret, -EFAULT);
	} else {
		assert_int_equal(ret, 0);
		assert_memory_equal(b, iot_host(&T, e->phys + (iova - e->iova)),
				    8);
	}
	if (e && e->size == IOT_SZ_1G)
		return;		/* 1 GiB targets are only read */
	for (int i = 0; i < 8; i++)
		w[i] = (uint8_t)dk_test_rand(rng);
	ret = dk_dma_write(&d->hw, iova, w, 8);
	if (!e || !(e->perm & IOT_W)) {
		assert_int_equal(ret, -EFAULT);
	} else {
		assert_int_equal(ret, 0);
		assert_memory_equal(w, iot_host(&T, e->phys + (iova - e->iova)),
				    8);
	}
}

static void random_map_unmap(struct tmodel *d, uint64_t pt,
			     unsigned int levels, uint16_t did, uint64_t *rng)
{
	enum { NREF = 256 };
	struct ref r[NREF];
	unsigned int n = 0, ops = 300 * dk_test_stress();
	struct page *big = alloc_pages(GFP_KERNEL, 9);
	uint64_t big_phys;

	assert_non_null(big);
	big_phys = page_to_phys(big);
	/* Superpage targets: 2 MiB aligned from the allocator (order 9). */
	assert_int_equal(big_phys & (IOT_SZ_2M - 1), 0);
	for (unsigned int op = 0; op < ops; op++) {
		uint64_t x = dk_test_rand(rng);
		unsigned int kind = x % 16;

		if (kind < 10 && n < NREF) {
			uint64_t size = kind < 7 ? IOT_SZ_4K :
					kind < 9 ? IOT_SZ_2M : IOT_SZ_1G;
			uint64_t iova = (dk_test_rand(rng) % (8ull << 30)) &
					~(size - 1);
			uint64_t perm = 1 + dk_test_rand(rng) % 3;
			uint64_t phys = size == IOT_SZ_4K ? data_page(0) :
					size == IOT_SZ_2M ? big_phys :
					DK_RAM_HIGH_BASE + IOT_SZ_1G;
			int ret;

			if (ref_find(r, n, iova, size))
				continue;
			ret = iot_map(&T, pt, levels, iova, phys, size, perm);
			if (ret == -EEXIST)
				continue;	/* an empty table is in the way */
			assert_int_equal(ret, 0);
			r[n++] = (struct ref){ iova, size, phys, perm };
		} else if (kind < 14 && n) {
			unsigned int i = (unsigned int)(x >> 8) % n;
			unsigned int am = r[i].size == IOT_SZ_4K ? 0 :
					  r[i].size == IOT_SZ_2M ? 9 : 18;

			assert_int_equal(iot_unmap(&T, pt, levels, r[i].iova),
					 r[i].size);
			assert_true(iot_flush_pages(&T, did, r[i].iova, am));
			r[i] = r[--n];
		}
		/* Probes: inside mappings and at random. */
		for (int k = 0; k < 4; k++) {
			uint64_t iova;

			if (n && (k & 1)) {
				struct ref *e = &r[dk_test_rand(rng) % n];

				iova = e->iova +
				       ((dk_test_rand(rng) % e->size) & ~7ull);
			} else {
				iova = (dk_test_rand(rng) % (8ull << 30)) &
				       ~7ull;
			}
			probe(d, r, n, iova, rng);
		}
		if (!(op % 32))
			frcd_clear_all();
	}
	frcd_clear_all();
	__free_pages(big, 9);
}

static void translation_matches_reference(void **state)
{
	uint64_t seed = dk_test_seed(), rng = seed;

	(void)state;
	printf("translation_matches_reference: seed %llu\n",
	       (unsigned long long)seed);
	random_map_unmap(ta, pt_a, 4, DID_A, &rng);
	random_map_unmap(tb, pt_b, 3, DID_B, &rng);
}

static void small_caches_match_reference(void **state)
{
	uint64_t seed = dk_test_seed(), rng = seed;

	(void)state;
	random_map_unmap(ta, pt_a, 4, DID_A, &rng);
	random_map_unmap(tb, pt_b, 3, DID_B, &rng);
}

static int setup_small(void **state)
{
	static const struct sizes s = { .tlb = 2, .ways = 2, .cc = 2,
					.psc = 2 };

	(void)state;
	return make(&s);
}

static void permission_faults(void **state)
{
	uint64_t p = data_page(0x11), q = data_page(0x22);
	uint8_t b[16];
	struct dk_counters c;

	(void)state;
	assert_int_equal(iot_map(&T, pt_a, 4, 0x1000, p, IOT_SZ_4K, IOT_R), 0);
	assert_int_equal(iot_map(&T, pt_a, 4, 0x2000, q, IOT_SZ_4K, IOT_W), 0);
	memset(b, 0x99, sizeof(b));
	assert_int_equal(dk_dma_write(&ta->hw, 0x1008, b, 16), -EFAULT);
	expect_fault(RID_A, 0x1008, false, 0x5);
	assert_int_equal(((uint8_t *)iot_host(&T, p))[8], 0x11);
	assert_int_equal(dk_dma_read(&ta->hw, 0x2000, b, 16), -EFAULT);
	expect_fault(RID_A, 0x2000, true, 0x6);
	assert_int_equal(b[0], 0x99);
	/* A range that crosses into a read-only page moves nothing. */
	memset(b, 0x77, sizeof(b));
	assert_int_equal(dk_dma_write(&ta->hw, 0x2ff8, b, 16), -EFAULT);
	expect_fault(RID_A, 0x3000, false, 0x5);
	assert_int_equal(((uint8_t *)iot_host(&T, q))[0xff8], 0x22);
	assert_int_equal(dk_dma_read(&ta->hw, 0x1000, b, 16), 0);
	assert_int_equal(dk_dma_write(&ta->hw, 0x2000, b, 16), 0);
	dk_device_counters(pa, &c);
	assert_int_equal(c.faults, 3);
	assert_log_count("dk-iommu: fault", 3);
	assert_log_count("write to a page not writable", 2);
	assert_int_equal(iot_stat(&T, S_FAULT), 3);
}

static void blocked_and_passthrough(void **state)
{
	uint64_t p = data_page(0x3c);
	uint8_t b[8];

	(void)state;
	/* devC: bus 2 has no root entry. */
	assert_int_equal(dk_dma_read(&tc->hw, p, b, 8), -EFAULT);
	expect_fault(RID_C, p, true, 0x1);
	/* devC on a present bus but without a context entry: blocked. */
	iot_context_raw(&T, RID_C, 0, 0);
	assert_int_equal(dk_dma_read(&tc->hw, p, b, 8), -EFAULT);
	expect_fault(RID_C, p, true, 0x2);
	/* Pass-through: IOVA = physical. */
	iot_context(&T, RID_C, IOT_TT_PT, 0, 7, 0, false);
	assert_int_equal(dk_dma_read(&tc->hw, p, b, 8), 0);
	assert_int_equal(b[0], 0x3c);
	/* Back to blocked: the context cache keeps it until invalidated. */
	iot_context_raw(&T, RID_C, 0, 0);
	assert_int_equal(dk_dma_read(&tc->hw, p + 8, b, 8), 0);
	iot_qi_put(&T, IOT_DESC_CC_DEVICE(7, RID_C), 0);
	assert_true(iot_qi_wait(&T, false));
	assert_int_equal(dk_dma_read(&tc->hw, p + 16, b, 8), -EFAULT);
	expect_fault(RID_C, p, true, 0x2);
}

static void devices_are_isolated(void **state)
{
	uint64_t pa_pg = data_page(0xaa), pb_pg = data_page(0xbb);
	uint8_t b[8];

	(void)state;
	assert_int_equal(iot_map(&T, pt_a, 4, 0x40000, pa_pg, IOT_SZ_4K,
				 IOT_RW), 0);
	assert_int_equal(iot_map(&T, pt_b, 3, 0x40000, pb_pg, IOT_SZ_4K,
				 IOT_RW), 0);
	assert_int_equal(iot_map(&T, pt_a, 4, 0x80000, pa_pg, IOT_SZ_4K,
				 IOT_RW), 0);
	assert_int_equal(dk_dma_read(&ta->hw, 0x40000, b, 8), 0);
	assert_int_equal(b[0], 0xaa);
	assert_int_equal(dk_dma_read(&tb->hw, 0x40000, b, 8), 0);
	assert_int_equal(b[0], 0xbb);
	assert_int_equal(dk_dma_read(&tb->hw, 0x80000, b, 8), -EFAULT);
	expect_fault(RID_B, 0x80000, true, 0x6);
	/* B cannot reach A's page by its physical address either. */
	assert_int_equal(dk_dma_write(&tb->hw, pa_pg, b, 8), -EFAULT);
	expect_fault(RID_B, pa_pg, false, 0x5);
	assert_int_equal(((uint8_t *)iot_host(&T, pa_pg))[0], 0xaa);
}

static void stale_until_invalidated(void **state)
{
	uint64_t p = data_page(0x5a);
	uint8_t b[8];
	uint64_t hits;

	(void)state;
	assert_int_equal(iot_map(&T, pt_a, 4, 0x7000, p, IOT_SZ_4K, IOT_RW),
			 0);
	assert_int_equal(dk_dma_read(&ta->hw, 0x7800, b, 8), 0);
	assert_int_equal(iot_unmap(&T, pt_a, 4, 0x7000), IOT_SZ_4K);
	/* The lazy window: the IOTLB still holds the translation. */
	hits = iot_stat(&T, S_HIT);
	assert_int_equal(dk_dma_read(&ta->hw, 0x7000, b, 8), 0);
	assert_int_equal(b[0], 0x5a);
	assert_int_equal(iot_stat(&T, S_HIT), hits + 1);
	/* An invalidation of another domain changes nothing. */
	assert_true(iot_flush_pages(&T, DID_B, 0x7000, 0));
	assert_int_equal(dk_dma_read(&ta->hw, 0x7010, b, 8), 0);
	/* The right one closes it: every access faults. */
	assert_true(iot_flush_pages(&T, DID_A, 0x7000, 0));
	assert_int_equal(dk_dma_read(&ta->hw, 0x7000, b, 8), -EFAULT);
	assert_int_equal(dk_dma_write(&ta->hw, 0x7ff8, b, 8), -EFAULT);
	assert_int_equal(dk_dma_read(&ta->hw, 0x7800, b, 8), -EFAULT);
	/* Two distinct faults (read and write reasons); the retry coalesced. */
	assert_int_equal(iot_stat(&T, S_FAULT), 2);
	/* Superpage: stale, then gone after a domain-wide invalidation. */
	assert_int_equal(iot_map(&T, pt_a, 4, 0x40000000, p & ~(IOT_SZ_2M - 1),
				 IOT_SZ_2M, IOT_R), 0);
	assert_int_equal(dk_dma_read(&ta->hw, 0x40000000 + (p & (IOT_SZ_2M - 1)),
				     b, 8), 0);
	assert_int_equal(b[0], 0x5a);
	iot_unmap(&T, pt_a, 4, 0x40000000);
	assert_int_equal(dk_dma_read(&ta->hw, 0x40000000 + (p & (IOT_SZ_2M - 1))
				     + 8, b, 8), 0);
	iot_qi_put(&T, IOT_DESC_IOTLB_DOMAIN(DID_A), 0);
	assert_true(iot_qi_wait(&T, false));
	assert_int_equal(dk_dma_read(&ta->hw, 0x40000000, b, 8), -EFAULT);
}

/* ---- invalidation queue ------------------------------------------------------------ */

static uint64_t vec_raised(unsigned int idx)
{
	struct dk_intc_stats st;

	dk__intc_stats(m, iodev->irq_base + idx, &st);
	return st.raised;
}

static void wait_descriptor_status_and_interrupt(void **state)
{
	uint32_t *status = iot_host(&T, T.status);

	(void)state;
	assert_true(iot_qi_wait(&T, false));
	assert_int_equal(iot_reg(&T, IOT_ICS), 0);
	assert_int_equal(vec_raised(1), 0);
	/* IF while masked: IWC and IP, no message. */
	assert_true(iot_qi_wait(&T, true));
	assert_int_equal(iot_reg(&T, IOT_ICS), 1);
	assert_int_equal(iot_reg(&T, IOT_IECTL), IOT_IM | IOT_IP);
	assert_int_equal(vec_raised(1), 0);
	iot_reg_write(&T, IOT_IECTL, 0);
	assert_int_equal(vec_raised(1), 1);
	assert_int_equal(iot_reg(&T, IOT_IECTL), 0);
	/* IWC still set: no new message until software clears it. */
	assert_true(iot_qi_wait(&T, true));
	assert_int_equal(vec_raised(1), 1);
	iot_reg_write(&T, IOT_ICS, 1);
	assert_int_equal(iot_reg(&T, IOT_ICS), 0);
	assert_true(iot_qi_wait(&T, true));
	assert_int_equal(vec_raised(1), 2);
	/* A wait without SW writes nothing. */
	*status = 0;
	iot_qi_put(&T, IOT_DESC_WAIT(0x1234, false, false), 0);
	iot_qi_kick(&T);
	assert_int_equal(*status, 0);
	assert_int_equal(iot_reg(&T, IOT_IQH), T.tail);
	assert_int_equal(iot_stat(&T, S_INVAL), 5);
}

static void queue_wraps(void **state)
{
	(void)state;
	/* 256 descriptors per page; go round three times in batches. */
	for (int i = 0; i < 3 * 256 / 8; i++) {
		for (int k = 0; k < 7; k++)
			iot_qi_put(&T, IOT_DESC_IOTLB_PAGE(DID_A),
				   IOT_DESC_IOTLB_PAGE_HI(0x1000ull * k, 0,
							 false));
		assert_true(iot_qi_wait(&T, false));
		assert_int_equal(iot_reg(&T, IOT_IQH), T.tail);
	}
	assert_int_equal(iot_stat(&T, S_INVAL), 3 * 256);
	/* IQT beyond the queue: ICE, nothing processed. */
	iot_reg_write(&T, IOT_IQT, 0x1000);
	assert_true(iot_reg(&T, IOT_FSTS) & IOT_ICE);
	assert_log_count("outside the", 1);
}

static void garbage_descriptors_stop_the_queue(void **state)
{
	const uint64_t bad[][2] = {
		{ 0x7, 0 },				/* unknown type */
		{ 0x2, 0 },				/* G = 0 */
		{ IOT_DESC_IOTLB_GLOBAL() | 1ull << 8, 0 },	/* reserved */
		{ IOT_DESC_CC_GLOBAL(), 1 },		/* high not 0 */
		{ IOT_DESC_IOTLB_PAGE(1), IOT_DESC_IOTLB_PAGE_HI(0, 19, 0) },
		{ IOT_DESC_IOTLB_PAGE(1), IOT_DESC_IOTLB_PAGE_HI(0x1000, 1, 0) },
		{ IOT_DESC_IOTLB_PAGE(1), 0x100 },	/* reserved [11:7] */
		{ IOT_DESC_WAIT(1, false, true), 0x1000 },	/* not RAM */
		{ IOT_DESC_WAIT(1, false, true) | 1ull << 7, 0 },
	};
	uint32_t *status = iot_host(&T, T.status);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t at = T.tail;

		iot_qi_put(&T, bad[i][0], bad[i][1]);
		assert_false(iot_qi_wait(&T, false));
		assert_true(iot_reg(&T, IOT_FSTS) & IOT_IQE);
		assert_int_equal(iot_reg(&T, IOT_IQH), at);
		/* More writes of IQT do nothing while IQE is set. */
		iot_qi_kick(&T);
		assert_int_equal(iot_reg(&T, IOT_IQH), at);
		/* Fix it in place, clear IQE, kick: resumes from IQH. */
		iot_wq(&T, T.queue + at + 8, 0);
		iot_wq(&T, T.queue + at, IOT_DESC_IOTLB_GLOBAL());
		iot_reg_write(&T, IOT_FSTS, IOT_IQE);
		iot_qi_kick(&T);
		assert_int_equal(iot_reg(&T, IOT_IQH), T.tail);
		assert_int_equal(*status, T.status_seq);
	}
	assert_log_count("invalid invalidation descriptor", 9);
}

/* ---- garbage in the tables ---------------------------------------------------------- */

static void flush_all(void)
{
	assert_true(iot_flush_all(&T));
}

static void expect_read_fault(struct tmodel *d, uint16_t rid, uint64_t iova,
			      unsigned int reason)
{
	uint8_t b[8];

	flush_all();
	assert_int_equal(dk_dma_read(&d->hw, iova, b, 8), -EFAULT);
	expect_fault(rid, iova, true, reason);
}

static void garbage_tables_give_the_right_reason(void **state)
{
	uint64_t re = T.root + (RID_A >> 8) * 16;
	uint64_t re_v = iot_rq(&T, re);
	uint64_t ce = iot_context_addr(&T, RID_A);
	uint64_t ce_lo = iot_rq(&T, ce), ce_hi = iot_rq(&T, ce + 8);
	uint64_t p = data_page(1), pte;

	(void)state;
	assert_int_equal(iot_map(&T, pt_a, 4, 0x5000, p, IOT_SZ_4K, IOT_RW), 0);
	/* Root entry: reserved bit, reserved high, CTP not RAM. */
	iot_wq(&T, re, re_v | 0x20);
	expect_read_fault(ta, RID_A, 0x5000, 0xa);
	iot_wq(&T, re, re_v);
	iot_wq(&T, re + 8, 1);
	expect_read_fault(ta, RID_A, 0x5000, 0xa);
	iot_wq(&T, re + 8, 0);
	iot_wq(&T, re, 0x10000 | 1);
	expect_read_fault(ta, RID_A, 0x5000, 0x9);
	iot_wq(&T, re, re_v);
	/* Context entry: reserved bits, reserved TT, reserved AW. */
	iot_wq(&T, ce, ce_lo | 0x40);
	expect_read_fault(ta, RID_A, 0x5000, 0xb);
	iot_wq(&T, ce, ce_lo);
	iot_wq(&T, ce + 8, ce_hi | 1ull << 30);
	expect_read_fault(ta, RID_A, 0x5000, 0xb);
	iot_wq(&T, ce + 8, ce_hi);
	iot_wq(&T, ce, ce_lo | 1 << 2);
	expect_read_fault(ta, RID_A, 0x5000, 0x3);
	iot_wq(&T, ce, ce_lo);
	iot_wq(&T, ce + 8, (ce_hi & ~7ull) | 3);
	expect_read_fault(ta, RID_A, 0x5000, 0x3);
	iot_wq(&T, ce + 8, ce_hi);
	/* Page table root not RAM. */
	iot_wq(&T, ce, (ce_lo & 0xfff) | 0x20000);
	expect_read_fault(ta, RID_A, 0x5000, 0x7);
	iot_wq(&T, ce, ce_lo);
	/* Leaf: reserved high bits; PS in a level-1 entry. */
	pte = iot_pte_addr(&T, pt_a, 4, 0x5000, IOT_SZ_4K);
	iot_wq(&T, pte, p | IOT_RW | 1ull << 60);
	expect_read_fault(ta, RID_A, 0x5000, 0xc);
	iot_wq(&T, pte, p | IOT_RW | IOT_PS);
	expect_read_fault(ta, RID_A, 0x5000, 0xc);
	iot_wq(&T, pte, p | IOT_RW);
	/* PS in a level-4 entry; a misaligned superpage. */
	iot_wq(&T, pt_a + 8, p | IOT_RW | IOT_PS);
	expect_read_fault(ta, RID_A, 1ull << 39, 0xc);
	iot_wq(&T, pt_a + 8, 0);
	assert_int_equal(iot_map(&T, pt_a, 4, 1ull << 30, 0, IOT_SZ_1G,
				 IOT_R), 0);
	pte = iot_pte_addr(&T, pt_a, 4, 1ull << 30, IOT_SZ_1G);
	iot_wq(&T, pte, (DK_RAM_HIGH_BASE + IOT_SZ_2M) | IOT_R | IOT_PS);
	expect_read_fault(ta, RID_A, 1ull << 30, 0xc);
	/* Beyond the width: 48 bits for A, 39 for B. */
	expect_read_fault(ta, RID_A, 1ull << 48, 0x4);
	expect_read_fault(tb, RID_B, 1ull << 39, 0x4);
	/* The original still works. */
	flush_all();
	{
		uint8_t b[8];

		assert_int_equal(dk_dma_read(&ta->hw, 0x5000, b, 8), 0);
	}
	/* Root table not RAM. */
	iot_reg_write(&T, IOT_RTADDR, 0x3000);
	iot_gcmd(&T, IOT_SRTP, 0);
	{
		uint8_t b[8];

		assert_int_equal(dk_dma_read(&ta->hw, 0x5000, b, 8), -EFAULT);
		expect_fault(RID_A, 0x5000, true, 0x8);
	}
	iot_reg_write(&T, IOT_RTADDR, T.root);
	iot_gcmd(&T, IOT_SRTP, 0);
}

/* ---- fault recording ------------------------------------------------------------------- */

static int setup_nfr4(void **state)
{
	static const struct sizes s = { .nfr = 4 };

	(void)state;
	return make(&s);
}

static void fault_log_overflow_and_coalescing(void **state)
{
	uint8_t b[8];
	uint64_t lo, hi;

	(void)state;
	assert_int_equal((iot_reg(&T, IOT_CAP) & 0xff) + 1, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(dk_dma_read(&ta->hw, 0x10000 * (i + 1), b, 8),
				 -EFAULT);
	assert_int_equal(iot_reg(&T, IOT_FSTS), IOT_PPF);	/* FRI 0 */
	/* A repeat of a pending fault is coalesced. */
	assert_int_equal(dk_dma_read(&ta->hw, 0x10008, b, 8), -EFAULT);
	assert_int_equal(iot_stat(&T, S_FAULT), 4);
	assert_int_equal(iot_stat(&T, S_DROP), 0);
	/* A write to the same page is another fault: the log is full. */
	assert_int_equal(dk_dma_write(&ta->hw, 0x10000, b, 8), -EFAULT);
	assert_int_equal(iot_reg(&T, IOT_FSTS), IOT_PPF | IOT_PFO);
	assert_int_equal(iot_stat(&T, S_DROP), 1);
	assert_log_count("fault log full", 1);
	assert_log_count("dk-iommu: fault:", 4);
	/* Free register 0 and clear PFO: the next fault lands there. */
	iot_reg_write(&T, IOT_FRCD(0) + 8, 1ull << 63);
	iot_reg_write(&T, IOT_FSTS, IOT_PFO);
	assert_int_equal(dk_dma_read(&ta->hw, 0x90000, b, 8), -EFAULT);
	assert_int_equal(iot_reg(&T, IOT_FRCD(0)), 0x90000);
	assert_int_equal(iot_reg(&T, IOT_FSTS), IOT_PPF | 1 << 8);
	assert_int_equal(frcd_find(&lo, &hi), 0);
	assert_int_equal(iot_stat(&T, S_FAULT), 5);
}

static void fpd_suppresses_recording(void **state)
{
	uint8_t b[8];

	(void)state;
	iot_context(&T, RID_A, IOT_TT_XLATE, 2, DID_A, pt_a, true);
	flush_all();
	assert_int_equal(dk_dma_read(&ta->hw, 0x123000, b, 8), -EFAULT);
	assert_int_equal(frcd_find(&(uint64_t){ 0 }, &(uint64_t){ 0 }), -1);
	assert_int_equal(iot_stat(&T, S_DROP), 1);
	assert_int_equal(iot_stat(&T, S_FAULT), 0);
	assert_log_count("dk-iommu: fault", 0);
}

static void fault_interrupt(void **state)
{
	uint8_t b[8];

	(void)state;
	iot_reg_write(&T, IOT_FECTL, 0);
	assert_int_equal(dk_dma_read(&ta->hw, 0x1000, b, 8), -EFAULT);
	assert_int_equal(vec_raised(0), 1);
	/* PPF already set: no new event. */
	assert_int_equal(dk_dma_read(&ta->hw, 0x2000, b, 8), -EFAULT);
	assert_int_equal(vec_raised(0), 1);
	frcd_clear_all();
	/* Masked: IP latches, unmasking sends it. */
	iot_reg_write(&T, IOT_FECTL, IOT_IM);
	assert_int_equal(dk_dma_read(&ta->hw, 0x3000, b, 8), -EFAULT);
	assert_int_equal(vec_raised(0), 1);
	assert_int_equal(iot_reg(&T, IOT_FECTL), IOT_IM | IOT_IP);
	iot_reg_write(&T, IOT_FECTL, 0);
	assert_int_equal(vec_raised(0), 2);
	assert_int_equal(iot_reg(&T, IOT_FECTL), 0);
	/* Latched, then cleared by software before unmasking: forgotten. */
	frcd_clear_all();
	iot_reg_write(&T, IOT_FECTL, IOT_IM);
	assert_int_equal(dk_dma_read(&ta->hw, 0x4000, b, 8), -EFAULT);
	frcd_clear_all();
	iot_reg_write(&T, IOT_FECTL, 0);
	assert_int_equal(vec_raised(0), 2);
}

/* ---- caches and statistics -------------------------------------------------------------- */

static void statistics_are_exact(void **state)
{
	uint64_t p = data_page(1), q = data_page(2);
	uint8_t b[8];

	(void)state;
	assert_int_equal(iot_map(&T, pt_a, 4, 0x1000, p, IOT_SZ_4K, IOT_RW), 0);
	assert_int_equal(iot_map(&T, pt_a, 4, 0x2000, q, IOT_SZ_4K, IOT_RW), 0);
	/* X, Y, X, Y: the device keeps only its last read translation. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(dk_dma_read(&ta->hw, 0x1000 + 0x1000 * (i & 1),
					     b, 8), 0);
	/* A second read of the same range hits the device's own cache. */
	assert_int_equal(dk_dma_read(&ta->hw, 0x2000, b, 8), 0);
	assert_int_equal(iot_stat(&T, S_XLATE), 4);
	assert_int_equal(iot_stat(&T, S_CCM), 1);
	assert_int_equal(iot_stat(&T, S_CCH), 3);
	assert_int_equal(iot_stat(&T, S_MISS), 2);
	assert_int_equal(iot_stat(&T, S_HIT), 2);
	assert_int_equal(iot_stat(&T, S_WALK), 2);
	assert_int_equal(iot_stat(&T, S_PSCM), 1);
	assert_int_equal(iot_stat(&T, S_PSCH), 1);
	assert_true(iot_flush_pages(&T, DID_A, 0x1000, 0));
	assert_int_equal(iot_stat(&T, S_INVAL), 2);
	assert_int_equal(iot_stat(&T, S_FAULT), 0);
	assert_int_equal(iot_stat(&T, S_DROP), 0);
	assert_int_equal(iot_stat(&T, 11), 0);
	/* After the invalidation: X misses and walks, Y still hits. */
	assert_int_equal(dk_dma_read(&ta->hw, 0x1000, b, 8), 0);
	assert_int_equal(dk_dma_read(&ta->hw, 0x2000, b, 8), 0);
	assert_int_equal(iot_stat(&T, S_MISS), 3);
	assert_int_equal(iot_stat(&T, S_HIT), 3);
	/* Page-selective without IH dropped the PSC entries for it. */
	assert_int_equal(iot_stat(&T, S_PSCM), 2);
}

static void two_entry_caches_evict(void **state)
{
	uint64_t pg[3];
	uint8_t b[8];

	(void)state;
	for (int i = 0; i < 3; i++) {
		pg[i] = data_page((uint8_t)(0x10 + i));
		assert_int_equal(iot_map(&T, pt_a, 4, 0x1000ull * (i + 1), pg[i],
					 IOT_SZ_4K, IOT_RW), 0);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(dk_dma_read(&ta->hw, 0x1000ull * (i + 1), b, 8),
				 0);
	assert_int_equal(iot_stat(&T, S_MISS), 3);
	/* Page 1 was evicted: remapping it without invalidation shows. */
	iot_unmap(&T, pt_a, 4, 0x1000);
	assert_int_equal(iot_map(&T, pt_a, 4, 0x1000, pg[2], IOT_SZ_4K, IOT_RW),
			 0);
	assert_int_equal(dk_dma_read(&ta->hw, 0x1000, b, 8), 0);
	assert_int_equal(b[0], 0x12);
	assert_int_equal(iot_stat(&T, S_MISS), 4);
	/* Page 3 is still cached (stale use of a remapped page 3). */
	iot_unmap(&T, pt_a, 4, 0x3000);
	assert_int_equal(dk_dma_read(&ta->hw, 0x3000, b, 8), 0);
	assert_int_equal(b[0], 0x12);
	assert_int_equal(iot_stat(&T, S_HIT), 1);
	/* Three devices, two context-cache entries. */
	iot_context(&T, RID_C, IOT_TT_PT, 0, 9, 0, false);
	/* Decreasing addresses: the devices' own last-translation caches
	 * (which cover from the last address up) miss every time. */
	for (int i = 0; i < 3; i++) {
		uint64_t ccm = iot_stat(&T, S_CCM);

		assert_int_equal(dk_dma_read(&tc->hw, pg[0] + 0x800 - 8 * i, b,
					     8), 0);
		assert_int_equal(dk_dma_read(&tb->hw, 0x1000, b, 8), -EFAULT);
		assert_int_equal(dk_dma_read(&ta->hw, 0x2800 - 8 * i, b, 8), 0);
		assert_int_equal(iot_stat(&T, S_CCM), ccm + 3);
		frcd_clear_all();
	}
}

/* ---- the stale-use proof ---------------------------------------------------------------- */

struct hammer {
	struct tmodel *d;
	uint64_t iova;
	int stop;		/* atomic */
	uint64_t ok, faults;	/* atomic */
	uint64_t ok_after_fault;	/* atomic */
	uint64_t poison_seen;	/* atomic: a read returned poison */
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	uint8_t w[64], r[64];
	bool faulted = false;

	for (uint64_t n = 0; !__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE);
	     n++) {
		int ret;

		memset(w, (int)(n % 200) + 1, sizeof(w));
		ret = dk_dma_write(&h->d->hw, h->iova + (n % 60) * 64, w,
				   sizeof(w));
		if (!ret)
			ret = dk_dma_read(&h->d->hw, h->iova + 2048, r,
					  sizeof(r));
		if (ret) {
			faulted = true;
			__atomic_add_fetch(&h->faults, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (r[0] == 0xee)
			__atomic_add_fetch(&h->poison_seen, 1,
					   __ATOMIC_RELAXED);
		__atomic_add_fetch(&h->ok, 1, __ATOMIC_RELEASE);
		if (faulted)
			__atomic_add_fetch(&h->ok_after_fault, 1,
					   __ATOMIC_RELAXED);
	}
	return NULL;
}

static void nothing_stale_after_the_wait(void **state)
{
	unsigned int rounds = 40 * dk_test_stress();

	(void)state;
	for (unsigned int round = 0; round < rounds; round++) {
		struct hammer h = { .d = ta, .iova = 0x100000 + 0x1000ull * round };
		uint64_t p = data_page(0);
		uint8_t *host = iot_host(&T, p);
		pthread_t th;

		assert_int_equal(iot_map(&T, pt_a, 4, h.iova, p, IOT_SZ_4K,
					 IOT_RW), 0);
		assert_int_equal(pthread_create(&th, NULL, hammer_main, &h), 0);
		assert_true(DK_WAIT_UNTIL(__atomic_load_n(&h.ok,
							  __ATOMIC_ACQUIRE) >=
					  50 + round * 7, 10000));
		iot_unmap(&T, pt_a, 4, h.iova);
		assert_true(iot_flush_pages(&T, DID_A, h.iova, 0));
		/* Status seen: from here on nothing may touch the old page. */
		memset(host, 0xee, 4096);
		assert_true(DK_WAIT_UNTIL(__atomic_load_n(&h.faults,
							  __ATOMIC_RELAXED) >=
					  200, 10000));
		__atomic_store_n(&h.stop, 1, __ATOMIC_RELEASE);
		pthread_join(th, NULL);
		for (int i = 0; i < 4096; i++)
			if (host[i] != 0xee)
				fail_msg("round %u: byte %d of the old page is 0x%02x after the wait completed",
					 round, i, host[i]);
		assert_int_equal(h.ok_after_fault, 0);
		assert_int_equal(h.poison_seen, 0);
		frcd_clear_all();
	}
}

/* ---- peer-to-peer ------------------------------------------------------------------------- */

static void peer_to_peer(void **state)
{
	uint64_t bwin = platform_get_resource(pb, IORESOURCE_MEM, 0)->start;
	uint64_t awin = platform_get_resource(pa, IORESOURCE_MEM, 0)->start;
	uint32_t v[2] = { 0x11223344, 0x55667788 }, r[2] = { 0, 0 };
	struct platform_device *iommu_pdev =
		dk_machine_find_device(m, "dk-iommu");

	(void)state;
	/* Translation off: bus = physical. */
	iot_gcmd(&T, 0, IOT_TE);
	assert_int_equal(dk_dma_write(&ta->hw, bwin + TM_REG0, v, 8), -ENXIO);
	assert_log_count("peer-to-peer DMA is not enabled", 1);
	assert_int_equal(dk_machine_enable_p2p(NULL, pa, pb), -EINVAL);
	assert_int_equal(dk_machine_enable_p2p(m, pa, NULL), -EINVAL);
	assert_int_equal(dk_machine_enable_p2p(m, pa, pa), -EINVAL);
	assert_non_null(iommu_pdev);
	assert_int_equal(dk_machine_enable_p2p(m, pa, iommu_pdev), -EINVAL);
	assert_int_equal(dk_machine_enable_p2p(m, pa, pb), 0);
	assert_int_equal(dk_machine_enable_p2p(m, pa, pb), 0);
	assert_int_equal(dk_dma_write(&ta->hw, bwin + TM_REG0, v, 8), 0);
	pthread_mutex_lock(&tb->hw.reg_lock);
	assert_int_equal(tb->regs[0], 0x11223344);
	assert_int_equal(tb->regs[1], 0x55667788);
	pthread_mutex_unlock(&tb->hw.reg_lock);
	assert_int_equal(dk_dma_read(&ta->hw, bwin + TM_REG0, r, 8), 0);
	assert_memory_equal(r, v, 8);
	/* Only for that pair and direction; never its own window. */
	assert_int_equal(dk_dma_read(&tb->hw, awin, r, 4), -ENXIO);
	assert_int_equal(dk_dma_read(&ta->hw, awin, r, 4), -ENXIO);
	assert_log_count("re-entrant DMA", 1);
	assert_int_equal(dk_dma_read(&ta->hw, DK_IOMMU_BASE, r, 4), -ENXIO);
	assert_log_count("never a DMA target", 1);
	/* Unaligned. */
	assert_int_equal(dk_dma_read(&ta->hw, bwin + 2, r, 4), -ENXIO);
	/* Through the IOMMU: an IOVA mapped onto the peer's window. */
	iot_gcmd(&T, IOT_TE, 0);
	assert_int_equal(iot_map(&T, pt_a, 4, 0x9000, bwin, IOT_SZ_4K, IOT_RW),
			 0);
	r[0] = r[1] = 0;
	assert_int_equal(dk_dma_read(&ta->hw, 0x9000 + TM_REG0, r, 8), 0);
	assert_memory_equal(r, v, 8);
	assert_int_equal(dk_dma_fill(&ta->hw, 0x9000 + 8, 0x0102030405060708ull,
				     8), 0);
	pthread_mutex_lock(&tb->hw.reg_lock);
	assert_int_equal(tb->regs[2], 0x05060708);
	assert_int_equal(tb->regs[3], 0x01020304);
	pthread_mutex_unlock(&tb->hw.reg_lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_sizes_are_refused),
		cmocka_unit_test_setup_teardown(registers_after_reset,
						setup_noenable, teardown),
		cmocka_unit_test_setup_teardown(translation_matches_reference,
						setup, teardown),
		cmocka_unit_test_setup_teardown(small_caches_match_reference,
						setup_small, teardown),
		cmocka_unit_test_setup_teardown(permission_faults, setup,
						teardown),
		cmocka_unit_test_setup_teardown(blocked_and_passthrough, setup,
						teardown),
		cmocka_unit_test_setup_teardown(devices_are_isolated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(stale_until_invalidated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			wait_descriptor_status_and_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_wraps, setup, teardown),
		cmocka_unit_test_setup_teardown(
			garbage_descriptors_stop_the_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(
			garbage_tables_give_the_right_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(
			fault_log_overflow_and_coalescing, setup_nfr4, teardown),
		cmocka_unit_test_setup_teardown(fpd_suppresses_recording, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fault_interrupt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(statistics_are_exact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(two_entry_caches_evict,
						setup_small, teardown),
		cmocka_unit_test_setup_teardown(nothing_stale_after_the_wait,
						setup, teardown),
		cmocka_unit_test_setup_teardown(peer_to_peer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
