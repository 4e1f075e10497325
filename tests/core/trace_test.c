// SPDX-License-Identifier: MIT
/*
 * trace_test.c - tests of core/trace.c on a partial machine (only the trace
 * subsystem): on/off, concurrent recording, drops, merge order, early stop,
 * -EBUSY, the JSON export checked by a small JSON parser, export errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/internal.h"
#include "dk_test.h"

static struct dk_machine *tm;

static int setup(void **state)
{
	(void)state;
	tm = calloc(1, sizeof(*tm));
	assert_non_null(tm);
	/* Enough of the config for the trace: real-time clock. */
	tm->cfg.nr_irqs = 256;
	tm->clock_origin_ns = dk__host_ns();
	__atomic_store_n(&dk__m, tm, __ATOMIC_RELEASE);
	assert_int_equal(dk__trace_init(tm), 0);
	dk_test_log_capture();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dk_test_log_release();
	dk__trace_exit(tm);
	assert_null(tm->trace);
	__atomic_store_n(&dk__m, NULL, __ATOMIC_RELEASE);
	free(tm);
	tm = NULL;
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

struct collect {
	struct dk_trace_event *ev;
	size_t n, cap;
	int stop_after;		/* 0: never */
	int calls;
};

static int collect_fn(const struct dk_trace_event *ev, void *p)
{
	struct collect *c = p;

	c->calls++;
	if (c->n < c->cap)
		c->ev[c->n++] = *ev;
	if (c->stop_after && c->calls == c->stop_after)
		return 7;
	return 0;
}

static void collect_init(struct collect *c, size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->cap = cap;
	c->ev = calloc(cap ? cap : 1, sizeof(*c->ev));
	assert_non_null(c->ev);
}

/* ---- bad arguments ------------------------------------------------------- */

static int dummy_fn(const struct dk_trace_event *ev, void *p)
{
	(void)ev;
	(void)p;
	return 0;
}

static void test_bad_args(void **state)
{
	(void)state;
	assert_int_equal(dk_trace_start(NULL, 0), -EINVAL);
	assert_int_equal(dk_trace_start(tm, (size_t)1 << 40), -EINVAL);
	assert_log_count("at most", 1);
	assert_int_equal(dk_trace_foreach(NULL, dummy_fn, NULL), -EINVAL);
	assert_int_equal(dk_trace_foreach(tm, NULL, NULL), -EINVAL);
	assert_int_equal(dk_trace_write_json(tm, NULL), -EINVAL);
	assert_int_equal(dk_trace_write_json(NULL, stdout), -EINVAL);
	assert_int_equal(dk_trace_export_json(tm, NULL), -EINVAL);
	assert_int_equal(dk_trace_export_json(NULL, "/tmp/x.json"), -EINVAL);
	assert_int_equal(dk_trace_dropped(NULL), 0);
	assert_string_equal(dk_trace_track_name(tm, 0), "");
	assert_string_equal(dk_trace_track_name(tm, 12345), "");
	assert_string_equal(dk_trace_track_name(NULL, 1), "");
	assert_int_equal(dk_trace_track_kind(tm, 99), 0);
	assert_int_equal(dk__trace_track_new(0, "x"), 0);
	assert_int_equal(dk__trace_track_new(5, "x"), 0);
	assert_log_count("bad kind", 2);
	assert_int_equal(dk__trace_irq_track(0, "x"), 0);
	assert_int_equal(dk__trace_irq_track(1025, "x"), 0);
	assert_string_equal(dk_trace_type_name(0), "?");
	assert_string_equal(dk_trace_type_name(DK_EV_TYPE_MAX), "?");
	assert_string_equal(dk_trace_type_name(DK_EV_DMA_READ), "dma_read");
	dk_trace_stop(NULL);
	dk_trace_stop(tm);	/* not recording: nothing happens */
}

/* ---- on / off ------------------------------------------------------------ */

static void test_off_records_nothing(void **state)
{
	struct collect c;

	(void)state;
	collect_init(&c, 16);
	assert_int_equal(__atomic_load_n(&dk__trace_on, __ATOMIC_RELAXED), 0);
	dk__trace(1, DK_EV_DOORBELL, 1, 2, 3);
	dk__trace_cpu(DK_EV_MARK, 0, 0, 0);
	dk_trace_mark("off");
	/* Even a direct emit outside a recording is ignored. */
	dk__trace_emit(1, DK_EV_DOORBELL, 1, 2, 3);
	assert_int_equal(dk_trace_foreach(tm, collect_fn, &c), 0);
	assert_int_equal(c.calls, 0);

	/* Start, stop: the same calls after stop record nothing either. */
	assert_int_equal(dk_trace_start(tm, 0), 0);
	assert_int_equal(__atomic_load_n(&dk__trace_on, __ATOMIC_RELAXED), 1);
	dk_trace_mark("on");
	dk_trace_stop(tm);
	assert_int_equal(__atomic_load_n(&dk__trace_on, __ATOMIC_RELAXED), 0);
	dk_trace_mark("off again");
	dk__trace_emit(1, DK_EV_DOORBELL, 1, 2, 3);
	assert_int_equal(dk_trace_foreach(tm, collect_fn, &c), 0);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.ev[0].type, DK_EV_MARK);
	assert_string_equal((const char *)(uintptr_t)c.ev[0].a, "on");
	assert_int_equal(c.ev[0].track, dk__trace_self());
	assert_string_equal(dk_trace_track_name(tm, c.ev[0].track), "main");
	assert_int_equal(dk_trace_track_kind(tm, c.ev[0].track),
			 DK_TRACK_CPU);
	free(c.ev);
}

static void test_events_exact(void **state)
{
	uint32_t dev = dk__trace_track_new(DK_TRACK_DEVICE, "dev0");
	struct collect c;

	(void)state;
	assert_int_not_equal(dev, 0);
	assert_string_equal(dk_trace_track_name(tm, dev), "dev0");
	assert_int_equal(dk_trace_track_kind(tm, dev), DK_TRACK_DEVICE);
	collect_init(&c, 64);
	assert_int_equal(dk_trace_start(tm, 0), 0);
	for (int i = 0; i < 10; i++)
		dk__trace(dev, DK_EV_MMIO_WRITE, 0x10, (uint64_t)i, 4);
	dk_trace_stop(tm);
	assert_int_equal(dk_trace_foreach(tm, collect_fn, &c), 0);
	assert_int_equal(c.calls, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(c.ev[i].track, dev);
		assert_int_equal(c.ev[i].type, DK_EV_MMIO_WRITE);
		assert_int_equal(c.ev[i].a, 0x10);
		assert_int_equal(c.ev[i].b, i);
		assert_int_equal(c.ev[i].c, 4);
		if (i)
			assert_true(c.ev[i].ts_ns >= c.ev[i - 1].ts_ns);
	}
	assert_int_equal(dk_trace_dropped(tm), 0);

	/* A new recording discards the old one. */
	assert_int_equal(dk_trace_start(tm, 0), 0);
	dk_trace_stop(tm);
	c.calls = 0;
	assert_int_equal(dk_trace_foreach(tm, collect_fn, &c), 0);
	assert_int_equal(c.calls, 0);
	free(c.ev);
}

static void test_busy(void **state)
{
	struct collect c;
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	collect_init(&c, 1);
	assert_int_equal(dk_trace_start(tm, 0), 0);
	assert_int_equal(dk_trace_start(tm, 0), -EBUSY);
	assert_log_count("already recording", 1);
	assert_int_equal(dk_trace_foreach(tm, collect_fn, &c), -EBUSY);
	assert_int_equal(dk_trace_write_json(tm, f), -EBUSY);
	assert_log_count("still recording", 2);
	assert_int_equal(ftell(f), 0);
	dk_trace_stop(tm);
	dk_trace_stop(tm);
	assert_int_equal(dk_trace_start(tm, 0), 0);
	dk_trace_stop(tm);
	fclose(f);
	free(c.ev);
}

static void test_dropped(void **state)
{
	struct collect c;

	(void)state;
	collect_init(&c, 64);
	assert_int_equal(dk_trace_start(tm, 8), 0);
	for (int i = 0; i < 20; i++)
		dk__trace_cpu(DK_EV_WORK_BEGIN, (uint64_t)i, 0, 0);
	assert_int_equal(dk_trace_dropped(tm), 12);
	dk_trace_stop(tm);
	assert_int_equal(dk_trace_dropped(tm), 12);
	assert_int_equal(dk_trace_foreach(tm, collect_fn, &c), 0);
	assert_int_equal(c.calls, 8);
	for (int i = 0; i < 8; i++)	/* the first 8 were kept */
		assert_int_equal(c.ev[i].a, i);
	/* The next recording starts from zero. */
	assert_int_equal(dk_trace_start(tm, 8), 0);
	dk_trace_stop(tm);
	assert_int_equal(dk_trace_dropped(tm), 0);
	free(c.ev);
}

static void test_foreach_early_stop(void **state)
{
	struct collect c;

	(void)state;
	collect_init(&c, 64);
	c.stop_after = 3;
	assert_int_equal(dk_trace_start(tm, 0), 0);
	for (int i = 0; i < 10; i++)
		dk__trace_cpu(DK_EV_DOORBELL, (uint64_t)i, 0, 0);
	dk_trace_stop(tm);
	assert_int_equal(dk_trace_foreach(tm, collect_fn, &c), 7);
	assert_int_equal(c.calls, 3);
	/* Reading again is allowed and gives the same start. */
	c.calls = 0;
	c.n = 0;
	assert_int_equal(dk_trace_foreach(tm, collect_fn, &c), 7);
	assert_int_equal(c.calls, 3);
	assert_int_equal(c.ev[2].a, 2);
	free(c.ev);
}

/* ---- threads ------------------------------------------------------------- */

#define NR_THREADS 4

struct worker {
	pthread_t thr;
	unsigned int idx;
	unsigned int nr_events;
	uint32_t track;
	pthread_barrier_t *go;
};

static void *worker_main(void *p)
{
	struct worker *w = p;
	char name[16];

	snprintf(name, sizeof(name), "worker%u", w->idx);
	dk__trace_name_self(name);
	w->track = dk__trace_self();
	pthread_barrier_wait(w->go);
	for (unsigned int i = 0; i < w->nr_events; i++)
		dk__trace_cpu(DK_EV_TASKLET_BEGIN, w->idx, i, 0);
	return NULL;	/* exits: its buffer stays readable */
}

struct order_check {
	uint64_t last_ts;
	uint64_t next_seq[NR_THREADS];
	unsigned int per_thread[NR_THREADS];
	unsigned int total;
	int bad;
};

static int order_fn(const struct dk_trace_event *ev, void *p)
{
	struct order_check *oc = p;

	if (ev->ts_ns < oc->last_ts || ev->a >= NR_THREADS ||
	    ev->b != oc->next_seq[ev->a]) {
		oc->bad++;
		return 0;
	}
	oc->last_ts = ev->ts_ns;
	oc->next_seq[ev->a]++;
	oc->per_thread[ev->a]++;
	oc->total++;
	return 0;
}

static void test_threads_concurrent(void **state)
{
	unsigned int n = 20000 * dk_test_stress();
	struct worker w[NR_THREADS];
	struct order_check oc;
	pthread_barrier_t go;

	(void)state;
	memset(&oc, 0, sizeof(oc));
	pthread_barrier_init(&go, NULL, NR_THREADS);
	assert_int_equal(dk_trace_start(tm, n), 0);
	for (unsigned int i = 0; i < NR_THREADS; i++) {
		w[i].idx = i;
		w[i].nr_events = n;
		w[i].go = &go;
		assert_int_equal(pthread_create(&w[i].thr, NULL, worker_main,
						&w[i]), 0);
	}
	for (unsigned int i = 0; i < NR_THREADS; i++)
		pthread_join(w[i].thr, NULL);
	dk_trace_stop(tm);
	pthread_barrier_destroy(&go);

	assert_int_equal(dk_trace_dropped(tm), 0);
	assert_int_equal(dk_trace_foreach(tm, order_fn, &oc), 0);
	assert_int_equal(oc.bad, 0);
	assert_int_equal(oc.total, NR_THREADS * n);
	for (unsigned int i = 0; i < NR_THREADS; i++) {
		char name[16];

		assert_int_equal(oc.per_thread[i], n);
		snprintf(name, sizeof(name), "worker%u", i);
		assert_string_equal(dk_trace_track_name(tm, w[i].track), name);
		assert_int_equal(dk_trace_track_kind(tm, w[i].track),
				 DK_TRACK_CPU);
	}
}

/* Threads emit while the main thread stops and restarts recordings. */
struct churn {
	int stop;
};

static void *churn_main(void *p)
{
	struct churn *ch = p;

	while (!__atomic_load_n(&ch->stop, __ATOMIC_ACQUIRE)) {
		dk__trace_cpu(DK_EV_MARK, (uint64_t)(uintptr_t)"churn", 0, 0);
	}
	return NULL;
}

static void test_restart_while_emitting(void **state)
{
	struct churn ch = { 0 };
	unsigned int rounds = 50 * dk_test_stress();
	pthread_t t[2];
	struct collect c;

	(void)state;
	collect_init(&c, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn_main, &ch),
				 0);
	for (unsigned int r = 0; r < rounds; r++) {
		assert_int_equal(dk_trace_start(tm, 64), 0);
		sched_yield();
		dk_trace_stop(tm);
		c.calls = 0;
		assert_int_equal(dk_trace_foreach(tm, collect_fn, &c), 0);
		assert_true(c.calls <= 2 * 64);
	}
	__atomic_store_n(&ch.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	free(c.ev);
}

/* ---- tracks -------------------------------------------------------------- */

static void test_tracks(void **state)
{
	uint32_t self = dk__trace_self(), irq, irq2, iommu;

	(void)state;
	assert_int_not_equal(self, 0);
	assert_int_equal(dk__trace_self(), self);
	assert_string_equal(dk_trace_track_name(tm, self), "main");
	dk__trace_name_self("renamed");
	assert_int_equal(dk__trace_self(), self);
	assert_string_equal(dk_trace_track_name(tm, self), "renamed");

	irq = dk__trace_irq_track(33, "testdev0");
	irq2 = dk__trace_irq_track(33, "other");
	assert_int_not_equal(irq, 0);
	assert_int_equal(irq, irq2);
	assert_string_equal(dk_trace_track_name(tm, irq), "irq 33 testdev0");
	assert_int_equal(dk_trace_track_kind(tm, irq), DK_TRACK_IRQ);
	assert_string_equal(dk_trace_track_name(tm, dk__trace_irq_track(7,
									 NULL)),
			    "irq 7");
	iommu = dk__trace_track_new(DK_TRACK_IOMMU, "iommu");
	assert_int_equal(dk_trace_track_kind(tm, iommu), DK_TRACK_IOMMU);
	assert_int_equal(dk__trace_track_new(DK_TRACK_DEVICE, NULL),
			 iommu + 1);
	assert_string_equal(dk_trace_track_name(tm, iommu + 1), "");
}

/* A new machine never reuses the old machine's record or track. */
static void test_new_machine(void **state)
{
	struct collect c;
	uint32_t t1;

	(void)state;
	collect_init(&c, 8);
	assert_int_equal(dk_trace_start(tm, 4), 0);
	dk_trace_mark("first machine");
	dk_trace_stop(tm);
	t1 = dk__trace_self();
	dk__trace_track_new(DK_TRACK_DEVICE, "pad");
	teardown(state);
	setup(state);
	/* Track 1 is a device now: a stale TLS track id would say 1. */
	assert_int_equal(dk__trace_track_new(DK_TRACK_DEVICE, "first"), 1);
	assert_int_equal(dk_trace_start(tm, 4), 0);
	dk_trace_mark("second machine");
	dk_trace_stop(tm);
	assert_int_equal(dk_trace_foreach(tm, collect_fn, &c), 0);
	assert_int_equal(c.calls, 1);
	assert_string_equal((const char *)(uintptr_t)c.ev[0].a,
			    "second machine");
	assert_int_equal(t1, 1);
	assert_int_equal(c.ev[0].track, 2);
	assert_string_equal(dk_trace_track_name(tm, 2), "main");
	free(c.ev);
}

/* ---- JSON ---------------------------------------------------------------- */

/*
 * A small JSON validator: checks the grammar, and for each object in the
 * traceEvents array that ph, ts, pid and tid are present; collects names.
 */
struct jp {
	const char *s;
	int depth;
	int in_events;		/* parsing the traceEvents array */
	int nr_events, nr_meta, nr_bad;
	char names[64][64];
	int nr_names;
	int saw_display_unit;
};

static void jp_ws(struct jp *p)
{
	while (*p->s == ' ' || *p->s == '\n' || *p->s == '\t' ||
	       *p->s == '\r')
		p->s++;
}

/* Parses a string; stores up to @cap-1 decoded bytes in @out if not NULL. */
static int jp_string(struct jp *p, char *out, size_t cap)
{
	size_t n = 0;

	if (*p->s != '"')
		return -1;
	p->s++;
	while (*p->s != '"') {
		char ch = *p->s;

		if (!ch || (unsigned char)ch < 0x20)
			return -1;
		if (ch == '\\') {
			p->s++;
			switch (*p->s) {
			case '"': case '\\': case '/': ch = *p->s; break;
			case 'n': ch = '\n'; break;
			case 't': ch = '\t'; break;
			case 'r': ch = '\r'; break;
			case 'b': ch = '\b'; break;
			case 'f': ch = '\f'; break;
			case 'u': {
				unsigned int v;

				if (sscanf(p->s + 1, "%4x", &v) != 1)
					return -1;
				ch = (char)v;
				p->s += 4;
				break;
			}
			default:
				return -1;
			}
		}
		if (out && n + 1 < cap)
			out[n++] = ch;
		p->s++;
	}
	p->s++;
	if (out)
		out[n] = '\0';
	return 0;
}

static int jp_value(struct jp *p, int is_event);

static int jp_number(struct jp *p)
{
	char *end;

	strtod(p->s, &end);
	if (end == p->s)
		return -1;
	p->s = end;
	return 0;
}

static int jp_object(struct jp *p, int is_event)
{
	int have = 0;
	char key[64], name[64] = "", ph[8] = "";

	p->s++;
	jp_ws(p);
	if (*p->s == '}') {
		p->s++;
		goto done;
	}
	for (;;) {
		jp_ws(p);
		if (jp_string(p, key, sizeof(key)))
			return -1;
		jp_ws(p);
		if (*p->s++ != ':')
			return -1;
		jp_ws(p);
		if (is_event && !strcmp(key, "name") && *p->s == '"') {
			if (jp_string(p, name, sizeof(name)))
				return -1;
		} else if (is_event && !strcmp(key, "ph") && *p->s == '"') {
			if (jp_string(p, ph, sizeof(ph)))
				return -1;
		} else {
			if (p->depth == 0 && !strcmp(key, "traceEvents"))
				p->in_events = 1;
			if (p->depth == 0 && !strcmp(key, "displayTimeUnit"))
				p->saw_display_unit = 1;
			p->depth++;
			if (jp_value(p, 0))
				return -1;
			p->depth--;
			p->in_events = 0;
		}
		if (!strcmp(key, "ph"))
			have |= 1;
		else if (!strcmp(key, "ts"))
			have |= 2;
		else if (!strcmp(key, "pid"))
			have |= 4;
		else if (!strcmp(key, "tid"))
			have |= 8;
		jp_ws(p);
		if (*p->s == ',') {
			p->s++;
			continue;
		}
		if (*p->s++ != '}')
			return -1;
		break;
	}
done:
	if (is_event) {
		p->nr_events++;
		if (have != 15)
			p->nr_bad++;
		if (!strcmp(ph, "M"))
			p->nr_meta++;
		if (p->nr_names < 64)
			snprintf(p->names[p->nr_names++], 64, "%s", name);
	}
	return 0;
}

static int jp_array(struct jp *p)
{
	int events = p->in_events;

	p->s++;
	jp_ws(p);
	if (*p->s == ']') {
		p->s++;
		return 0;
	}
	for (;;) {
		jp_ws(p);
		p->depth++;
		if (jp_value(p, events))
			return -1;
		p->depth--;
		jp_ws(p);
		if (*p->s == ',') {
			p->s++;
			continue;
		}
		return *p->s++ == ']' ? 0 : -1;
	}
}

static int jp_value(struct jp *p, int is_event)
{
	jp_ws(p);
	switch (*p->s) {
	case '{':
		return jp_object(p, is_event);
	case '[':
		return jp_array(p);
	case '"':
		return jp_string(p, NULL, 0);
	case 't':
		return strncmp(p->s, "true", 4) ? -1 : (p->s += 4, 0);
	case 'f':
		return strncmp(p->s, "false", 5) ? -1 : (p->s += 5, 0);
	case 'n':
		return strncmp(p->s, "null", 4) ? -1 : (p->s += 4, 0);
	default:
		return jp_number(p);
	}
}

static int jp_has_name(const struct jp *p, const char *name)
{
	int n = 0;

	for (int i = 0; i < p->nr_names; i++)
		if (!strcmp(p->names[i], name))
			n++;
	return n;
}

static void test_json(void **state)
{
	uint32_t dev = dk__trace_track_new(DK_TRACK_DEVICE, "dev \"q\" \\ 1");
	uint32_t irq = dk__trace_irq_track(40, "testdev0");
	uint32_t iommu = dk__trace_track_new(DK_TRACK_IOMMU, "iommu");
	char *buf = NULL;
	size_t len = 0;
	struct jp p;
	FILE *f;

	(void)state;
	(void)iommu;
	assert_int_equal(dk_trace_start(tm, 0), 0);
	dk__trace(dev, DK_EV_MMIO_WRITE, 0x10, 0xdeadbeef, 4);
	dk__trace(dev, DK_EV_DOORBELL, 0x14, 1, 0);
	dk__trace(dev, DK_EV_DEV_RUN_BEGIN, 0, 0, 0);
	dk__trace(dev, DK_EV_DMA_READ, 0x100000, 4096, 0x40000000);
	dk__trace(dev, DK_EV_DMA_FAULT, 0x200000, 64, (uint64_t)-14);
	dk__trace(dev, DK_EV_IRQ_RAISE, 40, 0, 0);
	dk__trace(dev, DK_EV_DEV_RUN_END, 0, 0, 0);
	dk__trace(irq, DK_EV_IRQ_BEGIN, 40, 0, 0);
	dk__trace(irq, DK_EV_IRQ_END, 40, 1, 0);
	dk__trace_cpu(DK_EV_TASKLET_BEGIN, 0x1234, 0, 0);
	dk_trace_mark("label \"quoted\"\n\x01");
	dk__trace_cpu(DK_EV_TASKLET_END, 0x1234, 0, 0);
	dk__trace(iommu, 99, 1, 2, 3);	/* unknown type still exported */
	dk_trace_stop(tm);

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(dk_trace_write_json(tm, f), 0);
	fclose(f);

	memset(&p, 0, sizeof(p));
	p.s = buf;
	if (jp_value(&p, 0))
		fail_msg("bad JSON near offset %td: %.40s", p.s - buf, p.s);
	jp_ws(&p);
	assert_int_equal(*p.s, '\0');
	assert_true(p.saw_display_unit);
	assert_int_equal(p.nr_bad, 0);
	/* 13 events + 4 process names + 4 sort indexes + 4 thread names. */
	assert_int_equal(p.nr_events, 13 + 12);
	assert_int_equal(p.nr_meta, 12);
	assert_int_equal(jp_has_name(&p, "label \"quoted\"\n\x01"), 1);
	assert_int_equal(jp_has_name(&p, "process_name"), 4);
	assert_int_equal(jp_has_name(&p, "thread_name"), 4);
	assert_int_equal(jp_has_name(&p, "irq"), 2);
	assert_int_equal(jp_has_name(&p, "dev_run"), 2);
	assert_int_equal(jp_has_name(&p, "mmio_write"), 1);
	assert_int_equal(jp_has_name(&p, "?"), 1);

	/* Facts in the text: units, hex addresses, names, escapes. */
	assert_non_null(strstr(buf, "\"displayTimeUnit\":\"ns\""));
	assert_non_null(strstr(buf, "\"ph\":\"B\""));
	assert_non_null(strstr(buf, "\"ph\":\"E\""));
	assert_non_null(strstr(buf, "\"s\":\"t\""));
	assert_non_null(strstr(buf, "\"bus\":\"0x100000\",\"len\":4096,"
				    "\"phys\":\"0x40000000\""));
	assert_non_null(strstr(buf, "\"offset\":\"0x10\",\"value\":"
				    "\"0xdeadbeef\",\"size\":4"));
	assert_non_null(strstr(buf, "\"err\":-14"));
	assert_non_null(strstr(buf, "\"dev \\\"q\\\" \\\\ 1\""));
	assert_non_null(strstr(buf, "\"irq 40 testdev0\""));
	assert_non_null(strstr(buf, "\"name\":\"interrupts\""));
	free(buf);
}

static void test_json_ts_format(void **state)
{
	char *buf = NULL, *p;
	size_t len = 0;
	FILE *f;

	(void)state;
	/* Shift the origin so the timestamp is known to be >= 1 s. */
	tm->clock_origin_ns -= 1000000000ull;
	assert_int_equal(dk_trace_start(tm, 0), 0);
	dk_trace_mark("t");
	dk_trace_stop(tm);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(dk_trace_write_json(tm, f), 0);
	fclose(f);
	p = strstr(buf, "\"ts\":");
	assert_non_null(p);
	p += 5;
	/* microseconds with exactly three decimals (ns precision) */
	assert_true(strspn(p, "0123456789") >= 7);
	p += strspn(p, "0123456789");
	assert_int_equal(*p, '.');
	assert_int_equal(strspn(p + 1, "0123456789"), 3);
	free(buf);
}

static void test_export(void **state)
{
	char path[] = "/tmp/dk_trace_testXXXXXX";
	char head[32] = "";
	int fd;
	FILE *f;

	(void)state;
	assert_int_equal(dk_trace_export_json(tm, "/nonexistent-dir/t.json"),
			 -ENOENT);
	assert_log_count("/nonexistent-dir/t.json", 1);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(dk_trace_start(tm, 0), 0);
	dk_trace_mark("export");
	dk_trace_stop(tm);
	assert_int_equal(dk_trace_export_json(tm, path), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(head, sizeof(head), f));
	fclose(f);
	unlink(path);
	assert_string_equal(head, "{\"traceEvents\":[\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_records_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_events_exact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_early_stop, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_threads_concurrent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restart_while_emitting,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_tracks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_machine, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_ts_format, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_export, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
