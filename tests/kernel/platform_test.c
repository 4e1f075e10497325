// SPDX-License-Identifier: MIT
/*
 * platform_test.c - the platform bus: driver registration, matching and
 * probe order, failed probes, remove on unregister and on destroy,
 * resources, default DMA masks, device lookup and counters.
 */
#include <errno.h>
#include <string.h>
#include <linux/platform_device.h>
#include "dk_test.h"
#include "tmodel.h"

static struct dk_machine *m;
static int probes, removes, probe_ret;
static struct platform_device *last_probed;

static int setup(void **state)
{
	(void)state;
	probes = removes = probe_ret = 0;
	last_probed = NULL;
	dk_test_log_capture();
	return dk_machine_create(NULL, &m);
}

static int teardown(void **state)
{
	(void)state;
	return dk_test_machine_down(m);
}

static int t_probe(struct platform_device *pdev)
{
	probes++;
	if (probe_ret)
		return probe_ret;
	last_probed = pdev;
	platform_set_drvdata(pdev, &probes);
	return 0;
}

static int t_remove(struct platform_device *pdev)
{
	assert_ptr_equal(platform_get_drvdata(pdev), &probes);
	removes++;
	return 0;
}

static struct platform_driver t_driver = {
	.probe = t_probe,
	.remove = t_remove,
	.driver = { .name = "dk-tmodel" },
};

static void bad_registrations(void **state)
{
	struct platform_driver noname = { .probe = t_probe };
	struct platform_driver noprobe = { .driver = { .name = "x" } };
	struct platform_driver twin = t_driver;

	(void)state;
	assert_int_equal(platform_driver_register(NULL), -EINVAL);
	assert_int_equal(platform_driver_register(&noname), -EINVAL);
	assert_int_equal(platform_driver_register(&noprobe), -EINVAL);
	assert_log_count("lacks a name or probe", 3);
	assert_int_equal(platform_driver_register(&t_driver), 0);
	assert_int_equal(platform_driver_register(&t_driver), -EBUSY);
	assert_int_equal(platform_driver_register(&twin), -EBUSY);
	assert_log_count("registered already", 2);
	platform_driver_unregister(&twin);
	assert_log_count("is not registered", 1);
	platform_driver_unregister(&t_driver);
}

static void probe_before_and_after_devices(void **state)
{
	struct platform_device *a, *b;

	(void)state;
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, NULL, &a), 0);
	assert_null(a->dev.driver);
	assert_int_equal(platform_driver_register(&t_driver), 0);
	assert_int_equal(probes, 1);
	assert_ptr_equal(last_probed, a);
	assert_string_equal(a->dev.driver->name, "dk-tmodel");
	/* A device that appears later is probed when it appears. */
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, NULL, &b), 0);
	assert_int_equal(probes, 2);
	assert_ptr_equal(last_probed, b);
	assert_int_equal(a->id, 0);
	assert_int_equal(b->id, 1);
	/* A model of another name is left alone. */
	assert_int_equal(tmodel_add(m, NULL, &tmodel_nothread_ops, NULL, NULL),
			 0);
	assert_int_equal(probes, 2);
	platform_driver_unregister(&t_driver);
	assert_int_equal(removes, 2);
	assert_null(a->dev.driver);
	assert_null(platform_get_drvdata(a));
}

static void failed_probe_leaves_device_unbound(void **state)
{
	struct platform_device *a;

	(void)state;
	probe_ret = -ENODEV;
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, NULL, &a), 0);
	assert_int_equal(platform_driver_register(&t_driver), 0);
	assert_int_equal(probes, 1);
	assert_null(a->dev.driver);
	assert_log_count("probe failed with error -19", 1);
	platform_driver_unregister(&t_driver);
	assert_int_equal(removes, 0);
}

static void destroy_removes_bound_devices(void **state)
{
	(void)state;
	assert_int_equal(platform_driver_register(&t_driver), 0);
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, NULL, NULL), 0);
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, NULL, NULL), 0);
	assert_int_equal(dk_machine_destroy(m), 0);
	assert_int_equal(removes, 2);
	/* The next machine starts with no driver registered. */
	assert_int_equal(dk_machine_create(NULL, &m), 0);
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, NULL, NULL), 0);
	assert_int_equal(probes, 2);
}

static void resources_masks_and_lookup(void **state)
{
	struct dk_device_config cfg;
	struct platform_device *a;
	struct dk_counters c;
	struct resource *r;

	(void)state;
	dk_device_config_init(&cfg);
	cfg.name = "board-dev";
	cfg.requester_id = 0x0310;
	cfg.mmio_base = DK_MMIO_BASE + 0x40000;
	cfg.dma_bits = 40;
	assert_int_equal(tmodel_add(m, &cfg, &tmodel_ops, NULL, &a), 0);
	assert_ptr_equal(dk_machine_find_device(m, "board-dev"), a);
	assert_null(dk_machine_find_device(m, "nope"));
	assert_null(dk_machine_find_device(m, NULL));
	assert_string_equal(dev_name(&a->dev), "board-dev");
	assert_string_equal(a->name, "dk-tmodel");
	assert_int_equal(a->dev.requester_id, 0x0310);
	assert_int_equal(a->dev.dma_bits_hint, 40);
	/* As in Linux, a platform device starts with 32-bit masks. */
	assert_true(*a->dev.dma_mask == 0xffffffffull);
	assert_true(a->dev.coherent_dma_mask == 0xffffffffull);
	assert_int_equal(a->dev.dma_parms->max_segment_size, 65536);

	r = platform_get_resource(a, IORESOURCE_MEM, 0);
	assert_non_null(r);
	assert_true(r->start == DK_MMIO_BASE + 0x40000);
	assert_true(resource_size(r) == 4096);
	assert_null(platform_get_resource(a, IORESOURCE_MEM, 1));
	assert_null(platform_get_resource(NULL, IORESOURCE_MEM, 0));
	assert_true(platform_get_irq(a, 0) > 0);
	assert_true(platform_get_irq(a, 1) > 0);
	assert_int_equal(platform_get_irq(a, 2), -ENXIO);
	assert_log_count("IRQ index 2 not found", 1);

	assert_int_equal(dk_device_counters(NULL, &c), -EINVAL);
	assert_int_equal(dk_device_counters(a, NULL), -EINVAL);
	assert_int_equal(dk_device_counters(a, &c), 0);
	assert_int_equal(c.mmio_reads + c.mmio_writes + c.irqs, 0);
}

static void dev_printk_names_driver_and_device(void **state)
{
	struct platform_device *a;

	(void)state;
	assert_int_equal(platform_driver_register(&t_driver), 0);
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, NULL, &a), 0);
	dev_err(&a->dev, "value %d\n", 42);
	assert_log_count("dk-tmodel dk-tmodel0: value 42", 1);
}

static bool provider_bound;

static int consumer_probe(struct platform_device *pdev)
{
	(void)pdev;
	probes++;
	return provider_bound ? 0 : -EPROBE_DEFER;
}

static int provider_probe(struct platform_device *pdev)
{
	(void)pdev;
	provider_bound = true;
	return 0;
}

static struct platform_driver consumer = {
	.probe = consumer_probe,
	.driver = { .name = "dk-tmodel" },
};

static struct platform_driver provider = {
	.probe = provider_probe,
	.driver = { .name = "dk-tmodel-nt" },
};

static void deferred_probe_is_retried(void **state)
{
	struct platform_device *c, *p;

	(void)state;
	provider_bound = false;
	assert_int_equal(tmodel_add(m, NULL, &tmodel_ops, NULL, &c), 0);
	assert_int_equal(platform_driver_register(&consumer), 0);
	assert_int_equal(probes, 1);
	assert_null(c->dev.driver);
	assert_log_count("probe deferred", 1);
	/* The provider binds: the consumer is probed again, and binds. */
	assert_int_equal(tmodel_add(m, NULL, &tmodel_nothread_ops, NULL, &p),
			 0);
	assert_int_equal(platform_driver_register(&provider), 0);
	assert_non_null(p->dev.driver);
	assert_int_equal(probes, 2);
	assert_ptr_equal(c->dev.driver, &consumer.driver);
	assert_log_count("probe failed", 0);
	platform_driver_unregister(&consumer);
	platform_driver_unregister(&provider);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_registrations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(probe_before_and_after_devices,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			failed_probe_leaves_device_unbound, setup, teardown),
		cmocka_unit_test_setup_teardown(destroy_removes_bound_devices,
						setup, teardown),
		cmocka_unit_test_setup_teardown(resources_masks_and_lookup,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			dev_printk_names_driver_and_device, setup, teardown),
		cmocka_unit_test_setup_teardown(deferred_probe_is_retried,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
