// SPDX-License-Identifier: MIT
/*
 * log_test.c - the log sink: levels from KERN_ prefixes, dev_printk's
 * prefix, trailing newlines, sink replacement and restore.
 */
#include <string.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include "dk_test.h"

struct seen {
	int n;
	int level;
	char msg[256];
};

static void sink(void *ctx, int level, const char *msg)
{
	struct seen *s = ctx;

	s->n++;
	s->level = level;
	strncpy(s->msg, msg, sizeof(s->msg) - 1);
}

static void levels_and_prefixes(void **state)
{
	struct seen s = { 0 };
	struct device_driver drv = { .name = "drv" };
	struct device dev = { .init_name = "dev0", .driver = &drv };

	(void)state;
	dk_log_set_sink(sink, &s);
	pr_err("disk %d on fire\n", 3);
	assert_int_equal(s.level, DK_LOG_ERR);
	assert_string_equal(s.msg, "disk 3 on fire");
	pr_warn("w");
	assert_int_equal(s.level, DK_LOG_WARN);
	printk("plain\n\n");
	assert_int_equal(s.level, DK_LOG_INFO);
	assert_string_equal(s.msg, "plain");
	pr_debug("d");
	assert_int_equal(s.level, DK_LOG_DEBUG);
	dev_warn(&dev, "reg 0x%x\n", 0x10);
	assert_int_equal(s.level, DK_LOG_WARN);
	assert_string_equal(s.msg, "drv dev0: reg 0x10");
	dev.driver = NULL;
	dev_info(&dev, "x");
	assert_string_equal(s.msg, "(unbound) dev0: x");
	dev_err(NULL, "y");
	assert_string_equal(s.msg, "(unbound) (NULL device): y");
	dk_log(DK_LOG_ERR, "%s", "direct");
	assert_string_equal(s.msg, "direct");
	assert_int_equal(s.n, 8);
	dk_log_set_sink(NULL, NULL);
	/* Restored: the default sink, not ours, gets this one. */
	dk_log_set_level(DK_LOG_ERR - 1);	/* and prints nothing */
	pr_err("not seen");
	assert_int_equal(s.n, 8);
	dk_log_set_level(DK_LOG_WARN);
}

static void warn_on_reports_and_returns(void **state)
{
	int hits = 0;

	(void)state;
	dk_test_log_capture();
	for (int i = 0; i < 3; i++) {
		if (WARN_ON(i == 1))
			hits++;
		if (WARN_ON_ONCE(i >= 1))
			hits++;
	}
	assert_int_equal(hits, 3);
	assert_log_count("WARNING: i == 1", 1);
	assert_log_count("WARNING: i >= 1", 1);	/* once, though true twice */
	dk_test_log_release();
}

static void long_messages_are_cut_not_overrun(void **state)
{
	struct seen s = { 0 };
	char big[4000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dk_log_set_sink(sink, &s);
	pr_err("%s", big);
	dk_log_set_sink(NULL, NULL);
	assert_int_equal(s.n, 1);
	assert_int_equal(strlen(s.msg), sizeof(s.msg) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(levels_and_prefixes),
		cmocka_unit_test(warn_on_reports_and_returns),
		cmocka_unit_test(long_messages_are_cut_not_overrun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
