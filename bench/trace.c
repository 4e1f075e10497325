// SPDX-License-Identifier: MIT
/*
 * trace.c - benchmarks of trace emission: the cost of an event while no
 * trace records (against an empty loop) and while one records (against the
 * same loop with tracing off).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include "bench.h"
#include "core/internal.h"

struct trace_bench {
	struct dk_machine *m;
	uint32_t track;
	int ret;
};

/* The loop every variant shares; the barrier keeps it from folding. */
static void trace_loop(struct trace_bench *tb, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		dk__trace(tb->track, DK_EV_DOORBELL, 0x10, i, 0);
		__asm__ volatile("" ::: "memory");
	}
}

static void empty_loop(void *ctx, uint64_t iters)
{
	(void)ctx;
	for (uint64_t i = 0; i < iters; i++)
		__asm__ volatile("" ::: "memory");
}

static void trace_off(void *ctx, uint64_t iters)
{
	trace_loop(ctx, iters);
}

/* Each round records into a fresh buffer big enough for all its events. */
static void trace_on(void *ctx, uint64_t iters)
{
	struct trace_bench *tb = ctx;
	int ret = dk_trace_start(tb->m, iters);

	if (ret) {
		tb->ret = ret;
		return;
	}
	trace_loop(tb, iters);
	dk_trace_stop(tb->m);
	if (dk_trace_dropped(tb->m))
		tb->ret = -ENOSPC;
}

static int trace_bench_run(const struct dk_bench *b, FILE *out)
{
	struct dk_bench_closure off = { trace_off, NULL };
	struct dk_bench_closure empty = { empty_loop, NULL };
	struct dk_bench_closure on = { trace_on, NULL };
	bool recording = b->arg != NULL;
	struct dk_bench_pair_result r;
	struct trace_bench tb = { 0 };
	int ret;

	ret = dk_machine_create(NULL, &tb.m);
	if (ret)
		return ret;
	tb.track = dk__trace_track_new(DK_TRACK_DEVICE, "bench");
	off.ctx = &tb;
	on.ctx = &tb;
	if (recording)
		ret = dk_bench_pair(&on, &off, 0, &r);
	else
		ret = dk_bench_pair(&off, &empty, 0, &r);
	if (!ret)
		ret = tb.ret;
	if (!ret)
		dk_bench_report(out, b->name, r.value_ns, "ns", r.baseline_ns);
	dk_machine_destroy(tb.m);
	return ret;
}

static const int trace_recording = 1;

const struct dk_bench dk_bench_trace[] = {
	{ "trace_event_off", "ns per trace event while off, vs an empty loop",
	  trace_bench_run, NULL },
	{ "trace_event_on", "ns per trace event while recording, vs off",
	  trace_bench_run, &trace_recording },
	{ NULL },
};
