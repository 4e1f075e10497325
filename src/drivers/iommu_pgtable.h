/* SPDX-License-Identifier: MIT */
/*
 * drivers/iommu_pgtable.h - the DK-IOMMU driver's page-table code
 * (drivers/iommu_pgtable.c), shared with drivers/iommu.c and its unit test.
 *
 * Included by src/drivers/iommu*.c and tests/drivers/iommu_test.c only.
 *
 * A domain's I/O page table (docs/hw/iommu.md section 5) lives in RAM pages
 * the hardware walks. Next to it the driver keeps a software shadow in
 * kmalloc memory: for each table a node with its CPU address and, for
 * tables above level 1, the nodes of its children, so a walk never converts
 * physical addresses back to virtual ones.
 */
#ifndef DK_DRIVERS_IOMMU_PGTABLE_H
#define DK_DRIVERS_IOMMU_PGTABLE_H

#include <linux/iommu.h>
#include <linux/spinlock.h>
#include <linux/types.h>

/* Page-table entry bits (datasheet section 5). */
#define DMAR_PTE_R		(1ull << 0)
#define DMAR_PTE_W		(1ull << 1)
#define DMAR_PTE_PS		(1ull << 7)
#define DMAR_PTE_ADDR		0x000ffffffffff000ull

#define DMAR_PT_ENTRIES		512
#define DMAR_PGSIZES		((1ul << 12) | (1ul << 21) | (1ul << 30))

/**
 * struct dmar_pt_node - shadow of one table
 * @hw: the table in RAM (CPU address), 512 entries the hardware reads
 * @kids: for tables above level 1, the child table of each entry (or NULL)
 */
struct dmar_pt_node {
	u64 *hw;
	struct dmar_pt_node **kids;
};

/**
 * struct dmar_pgtable - one domain's page table
 * @root: the top table (never freed before the domain)
 * @root_phys: its physical address, for context entries
 * @levels: 3 (39-bit IOVA) or 4 (48-bit)
 * @lock: serializes installing and removing tables (not leaf writes)
 * @nr_tables: table pages held, root included; atomic
 * @flush_range: invalidate the IOTLB and paging-structure caches for
 *               [iova, iova + size) and wait; used when map_pages replaces
 *               an empty table by a superpage
 * @flush_arg: passed to @flush_range
 */
struct dmar_pgtable {
	struct dmar_pt_node *root;
	phys_addr_t root_phys;
	unsigned int levels;
	spinlock_t lock;
	long nr_tables;
	void (*flush_range)(void *arg, unsigned long iova, size_t size);
	void *flush_arg;
};

/* Allocate the root table. Context: process. Return: 0 or -ENOMEM. */
int dmar_pt_init(struct dmar_pgtable *pt, unsigned int levels);

/*
 * Free every table at once. The caller made sure no device uses them and
 * the caches hold nothing of them. Context: process.
 */
void dmar_pt_destroy(struct dmar_pgtable *pt);

/*
 * Map @pgcount pages of @pgsize (4 KiB, 2 MiB or 1 GiB) from @iova to
 * @paddr and add the bytes to *@mapped. On error nothing this call wrote
 * stays and *@mapped is unchanged.
 * Context: any if @gfp does not block; lock-free once the tables exist.
 * Return: 0, -EEXIST (something is mapped there), -ENOMEM, -EINVAL.
 */
int dmar_pt_map(struct dmar_pgtable *pt, unsigned long iova, phys_addr_t paddr,
		size_t pgsize, size_t pgcount, int prot, gfp_t gfp,
		size_t *mapped);

/*
 * Unmap @pgcount pages of @pgsize from @iova; tables the range covers
 * entirely go to @gather's freelist. Stops at the first page not mapped.
 * Context: any. Return: bytes unmapped.
 */
size_t dmar_pt_unmap(struct dmar_pgtable *pt, unsigned long iova,
		     size_t pgsize, size_t pgcount,
		     struct iommu_iotlb_gather *gather);

/* Software walk. Context: any. Return: the physical address, or 0. */
phys_addr_t dmar_pt_iova_to_phys(struct dmar_pgtable *pt, u64 iova);

/* Free the pages on @freelist (after their invalidation). Context: any. */
void dmar_pt_put_pages(struct list_head *freelist);

/*
 * Table pages a paging domain of this driver holds (root included), or -1
 * for another domain. For tests. Context: any.
 */
long dk__iommu_domain_table_pages(struct iommu_domain *domain);

#endif
