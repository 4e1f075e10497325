// SPDX-License-Identifier: MIT
/*
 * scatterlist_test.c - scatterlist helpers and tables: bad input, entry
 * setters and flags, chaining of tables longer than one page of entries
 * (as Linux builds them), tables from pages (contiguous pages merged),
 * copies to and from buffers, and no leak.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dmakit/machine.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include "dk_test.h"

static struct dk_machine *m;

static int setup(void **state)
{
	(void)state;
	m = dk_test_machine_up(NULL);
	return m ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return dk_test_machine_down(m);
}

static void bad_input(void **state)
{
	struct sg_table t;
	struct scatterlist sg;
	char stack_buf[8];
	struct page *pages[2] = { NULL, NULL };

	(void)state;
	assert_int_equal(sg_alloc_table(NULL, 4, GFP_KERNEL), -EINVAL);
	assert_int_equal(sg_alloc_table(&t, 0, GFP_KERNEL), -EINVAL);
	assert_null(t.sgl);
	sg_free_table(&t);	/* empty: ignored */
	sg_free_table(NULL);
	assert_int_equal(sg_alloc_table_from_pages(&t, pages, 2, 0, 100,
						   GFP_KERNEL), -EINVAL);
	assert_int_equal(sg_alloc_table_from_pages(&t, NULL, 2, 0, 100,
						   GFP_KERNEL), -EINVAL);
	assert_log_count("sg_alloc_table", 4);
	sg_init_one(&sg, stack_buf, sizeof(stack_buf));
	assert_log_count("not in simulated RAM", 1);
	assert_null(sg_page(&sg));
	assert_true(sg_phys(&sg) == DK_PHYS_INVALID);
	assert_null(sg_virt(&sg));
	assert_int_equal(sg_nents_for_len(&sg, 100), -EINVAL);
	assert_int_equal(sg_nents_for_len(&sg, 0), 0);
}

static void entries_and_flags(void **state)
{
	struct scatterlist sg[4];
	u8 *buf = kmalloc(300, GFP_KERNEL);

	(void)state;
	sg_init_table(sg, 4);
	assert_true(sg_is_last(&sg[3]));
	assert_false(sg_is_last(&sg[2]));
	sg_set_buf(&sg[0], buf, 100);
	sg_set_buf(&sg[1], buf + 100, 100);
	sg_set_buf(&sg[2], buf + 200, 50);
	sg_set_buf(&sg[3], buf + 250, 50);
	assert_true(sg_is_last(&sg[3]));	/* setters keep the flags */
	assert_ptr_equal(sg_virt(&sg[1]), buf + 100);
	assert_true(sg_phys(&sg[2]) == virt_to_phys(buf + 200));
	assert_ptr_equal(sg_page(&sg[0]), virt_to_page(buf));
	assert_int_equal(sg_nents(sg), 4);
	assert_int_equal(sg_nents_for_len(sg, 201), 3);
	assert_ptr_equal(sg_last(sg, 4), &sg[3]);
	sg_mark_end(&sg[1]);
	assert_int_equal(sg_nents(sg), 2);
	assert_null(sg_next(&sg[1]));
	sg_unmark_end(&sg[1]);
	assert_int_equal(sg_nents(sg), 4);
	kfree(buf);
}

static void chained_tables(void **state)
{
	unsigned int sizes[] = { 1, (unsigned int)SG_MAX_SINGLE_ALLOC,
				 (unsigned int)SG_MAX_SINGLE_ALLOC + 1,
				 5 * (unsigned int)SG_MAX_SINGLE_ALLOC + 3 };
	u8 *buf = kmalloc(16, GFP_KERNEL);

	(void)state;
	assert_int_equal(SG_MAX_SINGLE_ALLOC,
			 4096 / sizeof(struct scatterlist));
	for (unsigned int k = 0; k < 4; k++) {
		struct sg_table t;
		struct scatterlist *sg;
		unsigned int i, n = sizes[k], seen = 0, chains = 0;

		assert_int_equal(sg_alloc_table(&t, n, GFP_KERNEL), 0);
		assert_int_equal(t.orig_nents, n);
		assert_int_equal(t.nents, n);
		for_each_sgtable_sg(&t, sg, i) {
			sg_set_buf(sg, buf, 1 + i % 16);
			seen++;
		}
		assert_int_equal(seen, n);
		assert_int_equal(sg_nents(t.sgl), n);
		/* Chain links sit at the end of every full array. */
		for (sg = t.sgl, i = 0; i < n - 1; i++) {
			struct scatterlist *next = sg_next(sg);

			if (next != sg + 1)
				chains++;
			sg = next;
		}
		assert_true(sg_is_last(sg));
		assert_int_equal(chains, n > SG_MAX_SINGLE_ALLOC ?
				 (n - 2) / (SG_MAX_SINGLE_ALLOC - 1) : 0);
		sg_free_table(&t);
		assert_null(t.sgl);
	}
	kfree(buf);
}

static void table_from_pages_and_copies(void **state)
{
	struct page *blk = alloc_pages(GFP_KERNEL, 2), *lone =
		alloc_pages(GFP_KERNEL, 0);
	struct page *pages[5];
	struct sg_table t;
	u8 src[5 * 4096], dst[5 * 4096];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++)
		pages[i] = blk + i;	/* contiguous struct pages */
	pages[4] = lone;
	assert_int_equal(sg_alloc_table_from_pages(&t, pages, 5, 100,
						   5 * 4096 - 300,
						   GFP_KERNEL), 0);
	if (page_to_pfn(lone) == page_to_pfn(blk) + 4) {
		assert_int_equal(t.orig_nents, 1);
	} else {
		assert_int_equal(t.orig_nents, 2);
		assert_int_equal(t.sgl->offset, 100);
		assert_int_equal(t.sgl->length, 4 * 4096 - 100);
		assert_int_equal(sg_next(t.sgl)->length, 4096 - 200);
	}
	for (i = 0; i < sizeof(src); i++)
		src[i] = (u8)(i * 13);
	assert_int_equal(sg_copy_from_buffer(t.sgl, t.orig_nents, src,
					     sizeof(src)), 5 * 4096 - 300);
	assert_memory_equal((u8 *)page_address(blk) + 100, src, 4096 - 100);
	memset(dst, 0, sizeof(dst));
	assert_int_equal(sg_copy_to_buffer(t.sgl, t.orig_nents, dst, 1000),
			 1000);
	assert_memory_equal(dst, src, 1000);
	sg_free_table(&t);
	__free_pages(blk, 2);
	__free_pages(lone, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_input),
		cmocka_unit_test(entries_and_flags),
		cmocka_unit_test(chained_tables),
		cmocka_unit_test(table_from_pages_and_copies),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
