// SPDX-License-Identifier: MIT
/*
 * trace.c - the trace recorder: per-thread event buffers, the track
 * registry, the time-ordered merge and the Chrome/Perfetto JSON export.
 *
 * Recording. Each thread that emits gets a small per-machine record
 * (struct trace_rec), found through an initial-exec TLS slot tagged with the
 * trace state's epoch (unique per machine), so a record of an older machine
 * is never touched. Each recording has a generation number, unique in the
 * process; a thread's first event in a recording allocates a buffer for it
 * under trace_state.lock (the only allocation), and later events append to
 * that buffer without lock or allocation. A full buffer counts drops.
 * Buffers and records belong to the machine: a thread that exits leaves its
 * buffer readable; buffers are freed at the next start or at machine exit.
 *
 * Stopping safely. An emitter sets its record's busy flag (seq_cst), then
 * reads the active generation (seq_cst); the stopper clears the generation
 * (seq_cst), then waits for every busy flag to drop. Whichever goes second
 * sees the other, so after dk_trace_stop() no thread writes any buffer and
 * the release store of busy = 0 publishes the events to the reader.
 *
 * Timestamps are host CLOCK_MONOTONIC minus the machine's origin, also in
 * manual-clock mode: a trace shows real durations even while the machine
 * clock stands still (in real-time mode this equals dk_clock_ns()).
 *
 * LOCKING: trace_state.lock protects recording, walkers, bufs, nr_bufs,
 * recs, nr_recs and cap; active_gen is written under it and read
 * atomically. trace_state.track_lock protects the track table, the name
 * graveyard and the thread counter; irq_tracks are written under it and
 * read atomically. Never take lock while holding track_lock or vice versa.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "core/internal.h"

#define TRACE_DEFAULT_EVENTS	65536u
#define TRACE_MAX_EVENTS	(1u << 26)	/* 2.5 GiB of events/thread */
#define TRACE_MAX_TRACKS	(1u << 20)
#define TRACE_MAX_IRQ_VECTOR	1024u

int dk__trace_on;

/* Recording generations and machine epochs, unique in the process. */
static uint64_t trace_gen_counter;
static uint64_t trace_epoch_counter;

struct trace_buf {
	uint32_t n;		/* written by the owner only */
	uint32_t cap;
	uint64_t dropped;	/* written by the owner, read atomically */
	struct dk_trace_event ev[];
};

/* One per thread that ever emitted on this machine; cache-line sized. */
struct trace_rec {
	int busy;		/* atomic; set while the owner writes */
	uint64_t gen;		/* owner only: recording buf belongs to */
	struct trace_buf *buf;	/* owner only */
} __attribute__((aligned(64)));

struct trace_track {
	int kind;
	char *name;
};

struct dk_trace_state {
	uint64_t epoch;
	uint64_t active_gen;		/* atomic; 0 while not recording */

	pthread_mutex_t lock;
	bool recording;
	unsigned int walkers;		/* dk_trace_foreach() running */
	size_t cap;			/* events per buffer */
	struct trace_buf **bufs;	/* in registration order */
	size_t nr_bufs, bufs_alloc;
	struct trace_rec **recs;
	size_t nr_recs, recs_alloc;
	uint64_t lost;			/* atomic; lost to ENOMEM */

	pthread_mutex_t track_lock;
	struct trace_track *tracks;	/* index = id - 1 */
	uint32_t nr_tracks, tracks_alloc;
	char **graveyard;		/* replaced names, freed at exit */
	size_t nr_graveyard;
	unsigned int nr_threads;	/* for "thread N" names */
	uint32_t irq_tracks[TRACE_MAX_IRQ_VECTOR + 1];
};

/* The calling thread's record and track, valid when epoch matches. */
struct trace_tls {
	uint64_t epoch;
	struct trace_rec *rec;
	uint32_t track;
};

static __thread struct trace_tls trace_tls
	__attribute__((tls_model("initial-exec")));

static struct dk_trace_state *trace_state_of(struct dk_machine *m)
{
	return m ? m->trace : NULL;
}

static struct dk_trace_state *trace_current(void)
{
	return trace_state_of(__atomic_load_n(&dk__m, __ATOMIC_ACQUIRE));
}


static void trace_tls_sync(struct dk_trace_state *ts)
{
	if (trace_tls.epoch != ts->epoch) {
		trace_tls.epoch = ts->epoch;
		trace_tls.rec = NULL;
		trace_tls.track = 0;
	}
}

/* Grow *arr (of *alloc elements of @size) to hold @need. */
static int trace_grow(void *arr, size_t *alloc, size_t need, size_t size)
{
	void **p = arr;
	size_t n = *alloc ? *alloc : 8;
	void *q;

	if (need <= *alloc)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*alloc = n;
	return 0;
}

/* ---- tracks -------------------------------------------------------------- */

static uint32_t track_add_locked(struct dk_trace_state *ts, int kind,
				 const char *name)
{
	size_t alloc = ts->tracks_alloc;
	char *copy;

	if (ts->nr_tracks >= TRACE_MAX_TRACKS) {
		dk__err("trace: no room for track '%s' (%u tracks)", name,
			ts->nr_tracks);
		return 0;
	}
	if (trace_grow(&ts->tracks, &alloc, ts->nr_tracks + 1,
		       sizeof(*ts->tracks)))
		return 0;
	ts->tracks_alloc = (uint32_t)alloc;
	copy = strdup(name);
	if (!copy)
		return 0;
	ts->tracks[ts->nr_tracks].kind = kind;
	ts->tracks[ts->nr_tracks].name = copy;
	return ++ts->nr_tracks;
}

/**
 * dk__trace_track_new() - register a named track
 * @kind: DK_TRACK_*
 * @name: copied
 *
 * Context: any; takes track_lock. Return: the id (>= 1), 0 on error or
 * without a machine.
 */
uint32_t dk__trace_track_new(int kind, const char *name)
{
	struct dk_trace_state *ts = trace_current();
	uint32_t id;

	if (!ts)
		return 0;
	if (kind < DK_TRACK_CPU || kind > DK_TRACK_IOMMU) {
		dk__err("trace: track '%s': bad kind %d (expected 1..4)",
			name ? name : "(null)", kind);
		return 0;
	}
	pthread_mutex_lock(&ts->track_lock);
	id = track_add_locked(ts, kind, name ? name : "");
	pthread_mutex_unlock(&ts->track_lock);
	return id;
}

/**
 * dk__trace_irq_track() - the track of interrupt @vector, made on first use
 * @vector: 1..1024
 * @name: the handler's name (may be NULL); used only on first use
 *
 * Context: any, including hard IRQ; takes track_lock on first use only.
 * Return: the track id, 0 for a bad vector or without a machine.
 */
uint32_t dk__trace_irq_track(unsigned int vector, const char *name)
{
	struct dk_trace_state *ts = trace_current();
	char buf[96];
	uint32_t id;

	if (!ts || vector == 0 || vector > TRACE_MAX_IRQ_VECTOR)
		return 0;
	id = __atomic_load_n(&ts->irq_tracks[vector], __ATOMIC_ACQUIRE);
	if (id)
		return id;
	if (name && *name)
		snprintf(buf, sizeof(buf), "irq %u %s", vector, name);
	else
		snprintf(buf, sizeof(buf), "irq %u", vector);
	pthread_mutex_lock(&ts->track_lock);
	id = ts->irq_tracks[vector];
	if (!id) {
		id = track_add_locked(ts, DK_TRACK_IRQ, buf);
		__atomic_store_n(&ts->irq_tracks[vector], id,
				 __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&ts->track_lock);
	return id;
}

static bool trace_is_main_thread(void)
{
	return syscall(SYS_gettid) == getpid();
}

/**
 * dk__trace_self() - the calling thread's CPU track
 *
 * Registered on first use, named by dk__trace_name_self() if it was
 * called, "main" for the process's main thread, "thread N" otherwise.
 * Context: any; takes track_lock on first use. Return: id, 0 without machine.
 */
uint32_t dk__trace_self(void)
{
	struct dk_trace_state *ts = trace_current();
	char buf[32];

	if (!ts)
		return 0;
	trace_tls_sync(ts);
	if (trace_tls.track)
		return trace_tls.track;
	pthread_mutex_lock(&ts->track_lock);
	if (trace_is_main_thread())
		snprintf(buf, sizeof(buf), "main");
	else
		snprintf(buf, sizeof(buf), "thread %u", ++ts->nr_threads);
	trace_tls.track = track_add_locked(ts, DK_TRACK_CPU, buf);
	pthread_mutex_unlock(&ts->track_lock);
	return trace_tls.track;
}

/**
 * dk__trace_name_self() - name the calling thread's CPU track
 * @name: copied; a track that exists already is renamed
 *
 * Context: any; takes track_lock.
 */
void dk__trace_name_self(const char *name)
{
	struct dk_trace_state *ts = trace_current();
	struct trace_track *t;
	char *copy, **g;
	size_t alloc;

	if (!ts || !name)
		return;
	trace_tls_sync(ts);
	pthread_mutex_lock(&ts->track_lock);
	if (!trace_tls.track) {
		trace_tls.track = track_add_locked(ts, DK_TRACK_CPU, name);
		goto out;
	}
	/* Keep the old name alive: someone may hold its pointer. */
	alloc = ts->nr_graveyard;
	copy = strdup(name);
	if (!copy || trace_grow(&ts->graveyard, &alloc, ts->nr_graveyard + 1,
				sizeof(*ts->graveyard))) {
		free(copy);
		goto out;
	}
	g = ts->graveyard;
	t = &ts->tracks[trace_tls.track - 1];
	g[ts->nr_graveyard++] = t->name;
	t->name = copy;
out:
	pthread_mutex_unlock(&ts->track_lock);
}

const char *dk_trace_track_name(struct dk_machine *m, uint32_t track)
{
	struct dk_trace_state *ts = trace_state_of(m);
	const char *name = "";

	if (!ts)
		return name;
	pthread_mutex_lock(&ts->track_lock);
	if (track >= 1 && track <= ts->nr_tracks)
		name = ts->tracks[track - 1].name;
	pthread_mutex_unlock(&ts->track_lock);
	return name;
}

int dk_trace_track_kind(struct dk_machine *m, uint32_t track)
{
	struct dk_trace_state *ts = trace_state_of(m);
	int kind = 0;

	if (!ts)
		return 0;
	pthread_mutex_lock(&ts->track_lock);
	if (track >= 1 && track <= ts->nr_tracks)
		kind = ts->tracks[track - 1].kind;
	pthread_mutex_unlock(&ts->track_lock);
	return kind;
}

/* ---- recording ----------------------------------------------------------- */

static struct trace_rec *trace_rec_get(struct dk_trace_state *ts)
{
	struct trace_rec *rec;
	size_t alloc;

	trace_tls_sync(ts);
	if (trace_tls.rec)
		return trace_tls.rec;
	rec = aligned_alloc(64, sizeof(*rec));
	if (!rec)
		return NULL;
	memset(rec, 0, sizeof(*rec));
	pthread_mutex_lock(&ts->lock);
	alloc = ts->recs_alloc;
	if (trace_grow(&ts->recs, &alloc, ts->nr_recs + 1, sizeof(*ts->recs))) {
		pthread_mutex_unlock(&ts->lock);
		free(rec);
		return NULL;
	}
	ts->recs_alloc = alloc;
	ts->recs[ts->nr_recs++] = rec;
	pthread_mutex_unlock(&ts->lock);
	trace_tls.rec = rec;
	return rec;
}

/*
 * Give @rec a buffer for recording @gen. Called with rec->busy clear (the
 * stopper may hold lock while it waits for busy flags). Returns 0 or -1
 * when the recording ended meanwhile or memory ran out.
 */
static int trace_buf_register(struct dk_trace_state *ts,
			      struct trace_rec *rec, uint64_t gen)
{
	struct trace_buf *b;
	size_t alloc;

	pthread_mutex_lock(&ts->lock);
	if (__atomic_load_n(&ts->active_gen, __ATOMIC_RELAXED) != gen)
		goto err_unlock;
	alloc = ts->bufs_alloc;
	if (trace_grow(&ts->bufs, &alloc, ts->nr_bufs + 1, sizeof(*ts->bufs)))
		goto err_lost;
	ts->bufs_alloc = alloc;
	b = malloc(sizeof(*b) + ts->cap * sizeof(b->ev[0]));
	if (!b)
		goto err_lost;
	b->n = 0;
	b->cap = (uint32_t)ts->cap;
	b->dropped = 0;
	ts->bufs[ts->nr_bufs++] = b;
	rec->buf = b;
	rec->gen = gen;
	pthread_mutex_unlock(&ts->lock);
	return 0;

err_lost:
	__atomic_add_fetch(&ts->lost, 1, __ATOMIC_RELAXED);
err_unlock:
	pthread_mutex_unlock(&ts->lock);
	return -1;
}

/**
 * dk__trace_emit() - record one event (called through dk__trace())
 * @track: track id
 * @type: enum dk_trace_type
 * @a: first argument (see enum dk_trace_type)
 * @b: second argument
 * @c: third argument
 *
 * Context: any thread; no lock and no allocation except on the thread's
 * first event of a recording.
 */
void dk__trace_emit(uint32_t track, uint16_t type, uint64_t a, uint64_t b,
		    uint64_t c)
{
	struct dk_machine *m = __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);
	struct dk_trace_state *ts = trace_state_of(m);
	struct dk_trace_event *ev;
	struct trace_rec *rec;
	struct trace_buf *buf;
	uint64_t now, gen;

	if (!ts)
		return;
	/* Host time even with a manual clock: see the file comment. */
	now = dk__host_ns() - m->clock_origin_ns;
	rec = trace_rec_get(ts);
	if (!rec) {
		__atomic_add_fetch(&ts->lost, 1, __ATOMIC_RELAXED);
		return;
	}
	for (;;) {
		/* Pairs with dk_trace_stop(): busy is visible before gen. */
		__atomic_store_n(&rec->busy, 1, __ATOMIC_SEQ_CST);
		gen = __atomic_load_n(&ts->active_gen, __ATOMIC_SEQ_CST);
		if (!gen)
			goto out;
		if (rec->gen == gen)
			break;
		__atomic_store_n(&rec->busy, 0, __ATOMIC_RELEASE);
		if (trace_buf_register(ts, rec, gen))
			return;
	}
	buf = rec->buf;
	if (__builtin_expect(buf->n < buf->cap, 1)) {
		ev = &buf->ev[buf->n];
		ev->ts_ns = now;
		ev->track = track;
		ev->type = type;
		ev->pad = 0;
		ev->a = a;
		ev->b = b;
		ev->c = c;
		buf->n++;
	} else {
		__atomic_store_n(&buf->dropped, buf->dropped + 1,
				 __ATOMIC_RELAXED);
	}
out:
	/* Publishes the event to whoever sees busy == 0 (the stopper). */
	__atomic_store_n(&rec->busy, 0, __ATOMIC_RELEASE);
}

static void trace_free_bufs_locked(struct dk_trace_state *ts)
{
	for (size_t i = 0; i < ts->nr_bufs; i++)
		free(ts->bufs[i]);
	ts->nr_bufs = 0;
	__atomic_store_n(&ts->lost, 0, __ATOMIC_RELAXED);
}

int dk_trace_start(struct dk_machine *m, size_t events_per_thread)
{
	struct dk_trace_state *ts = trace_state_of(m);
	uint64_t gen;

	if (!ts) {
		dk__err("dk_trace_start: no machine");
		return -EINVAL;
	}
	if (!events_per_thread)
		events_per_thread = TRACE_DEFAULT_EVENTS;
	if (events_per_thread > TRACE_MAX_EVENTS) {
		dk__err("dk_trace_start: %zu events per thread, at most %u",
			events_per_thread, TRACE_MAX_EVENTS);
		return -EINVAL;
	}
	pthread_mutex_lock(&ts->lock);
	if (ts->recording || ts->walkers) {
		bool rec = ts->recording;

		pthread_mutex_unlock(&ts->lock);
		dk__err("dk_trace_start: %s",
			rec ? "already recording"
			    : "the last recording is being read");
		return -EBUSY;
	}
	/* Stopped: no emitter can reach these buffers any more. */
	trace_free_bufs_locked(ts);
	ts->cap = events_per_thread;
	gen = __atomic_add_fetch(&trace_gen_counter, 1, __ATOMIC_RELAXED);
	ts->recording = true;
	__atomic_store_n(&ts->active_gen, gen, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dk__trace_on, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&ts->lock);
	return 0;
}

static void trace_stop_locked(struct dk_trace_state *ts)
{
	if (!ts->recording)
		return;
	__atomic_store_n(&dk__trace_on, 0, __ATOMIC_RELAXED);
	/* Pairs with dk__trace_emit(): gen cleared before busy is read. */
	__atomic_store_n(&ts->active_gen, 0, __ATOMIC_SEQ_CST);
	for (size_t i = 0; i < ts->nr_recs; i++)
		while (__atomic_load_n(&ts->recs[i]->busy, __ATOMIC_SEQ_CST))
			sched_yield();
	ts->recording = false;
}

void dk_trace_stop(struct dk_machine *m)
{
	struct dk_trace_state *ts = trace_state_of(m);

	if (!ts)
		return;
	pthread_mutex_lock(&ts->lock);
	trace_stop_locked(ts);
	pthread_mutex_unlock(&ts->lock);
}

uint64_t dk_trace_dropped(struct dk_machine *m)
{
	struct dk_trace_state *ts = trace_state_of(m);
	uint64_t n;

	if (!ts)
		return 0;
	pthread_mutex_lock(&ts->lock);
	n = __atomic_load_n(&ts->lost, __ATOMIC_RELAXED);
	for (size_t i = 0; i < ts->nr_bufs; i++)
		n += __atomic_load_n(&ts->bufs[i]->dropped, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&ts->lock);
	return n;
}

void dk_trace_mark(const char *label)
{
	dk__trace_cpu(DK_EV_MARK, (uint64_t)(uintptr_t)label, 0, 0);
}

/* ---- reading ------------------------------------------------------------- */

struct merge_cursor {
	uint64_t ts;
	uint32_t buf;	/* registration order: breaks ties (stable) */
	uint32_t pos;
};

static bool cursor_before(const struct merge_cursor *x,
			  const struct merge_cursor *y)
{
	return x->ts < y->ts || (x->ts == y->ts && x->buf < y->buf);
}

static void heap_down(struct merge_cursor *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, s = i;
		struct merge_cursor t;

		if (l < n && cursor_before(&h[l], &h[s]))
			s = l;
		if (r < n && cursor_before(&h[r], &h[s]))
			s = r;
		if (s == i)
			return;
		t = h[i];
		h[i] = h[s];
		h[s] = t;
		i = s;
	}
}

int dk_trace_foreach(struct dk_machine *m,
		     int (*fn)(const struct dk_trace_event *ev, void *ctx),
		     void *ctx)
{
	struct dk_trace_state *ts = trace_state_of(m);
	struct merge_cursor *heap;
	struct trace_buf **bufs;
	size_t nr_bufs, n = 0;
	int ret = 0;

	if (!ts || !fn) {
		dk__err("dk_trace_foreach: %s is NULL", ts ? "fn" : "machine");
		return -EINVAL;
	}
	pthread_mutex_lock(&ts->lock);
	if (ts->recording) {
		pthread_mutex_unlock(&ts->lock);
		dk__err("dk_trace_foreach: still recording (call dk_trace_stop() first)");
		return -EBUSY;
	}
	/* walkers keeps dk_trace_start() from freeing what we read. */
	ts->walkers++;
	bufs = ts->bufs;
	nr_bufs = ts->nr_bufs;
	pthread_mutex_unlock(&ts->lock);

	heap = malloc((nr_bufs ? nr_bufs : 1) * sizeof(*heap));
	if (!heap) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nr_bufs; i++) {
		if (!bufs[i]->n)
			continue;
		heap[n].ts = bufs[i]->ev[0].ts_ns;
		heap[n].buf = (uint32_t)i;
		heap[n].pos = 0;
		n++;
	}
	for (size_t i = n / 2; i-- > 0;)
		heap_down(heap, n, i);
	while (n) {
		struct trace_buf *b = bufs[heap[0].buf];

		ret = fn(&b->ev[heap[0].pos], ctx);
		if (ret)
			break;
		if (++heap[0].pos < b->n)
			heap[0].ts = b->ev[heap[0].pos].ts_ns;
		else
			heap[0] = heap[--n];
		heap_down(heap, n, 0);
	}
	free(heap);
out:
	pthread_mutex_lock(&ts->lock);
	ts->walkers--;
	pthread_mutex_unlock(&ts->lock);
	return ret;
}

/* ---- export -------------------------------------------------------------- */

/* How each type is drawn: phase, slice name, argument names and formats. */
struct trace_fmt {
	const char *name;
	const char *slice;	/* name of a B/E slice */
	char ph;
	const char *arg[3];
	char fmt[4];	/* per argument: x hex, u unsigned, d signed */
};

static const struct trace_fmt trace_fmts[DK_EV_TYPE_MAX] = {
	[DK_EV_MMIO_READ] = { "mmio_read", NULL, 'i',
			      { "offset", "value", "size" }, "xxu" },
	[DK_EV_MMIO_WRITE] = { "mmio_write", NULL, 'i',
			       { "offset", "value", "size" }, "xxu" },
	[DK_EV_MMIO_BAD] = { "mmio_bad", NULL, 'i',
			     { "phys", "size", "write" }, "xuu" },
	[DK_EV_DOORBELL] = { "doorbell", NULL, 'i', { "offset", "value" },
			     "xx" },
	[DK_EV_DMA_READ] = { "dma_read", NULL, 'i', { "bus", "len", "phys" },
			     "xux" },
	[DK_EV_DMA_WRITE] = { "dma_write", NULL, 'i', { "bus", "len", "phys" },
			      "xux" },
	[DK_EV_DMA_FAULT] = { "dma_fault", NULL, 'i', { "bus", "len", "err" },
			      "xud" },
	[DK_EV_IRQ_RAISE] = { "irq_raise", NULL, 'i', { "vector", "index" },
			      "uu" },
	[DK_EV_IRQ_BEGIN] = { "irq_begin", "irq", 'B', { "vector" }, "u" },
	[DK_EV_IRQ_END] = { "irq_end", "irq", 'E', { "vector", "ret" }, "uu" },
	[DK_EV_TASKLET_BEGIN] = { "tasklet_begin", "tasklet", 'B', { "func" },
				  "x" },
	[DK_EV_TASKLET_END] = { "tasklet_end", "tasklet", 'E', { "func" },
				"x" },
	[DK_EV_WORK_BEGIN] = { "work_begin", "work", 'B', { "func" }, "x" },
	[DK_EV_WORK_END] = { "work_end", "work", 'E', { "func" }, "x" },
	[DK_EV_DEV_RUN_BEGIN] = { "dev_run_begin", "dev_run", 'B', { NULL },
				  "" },
	[DK_EV_DEV_RUN_END] = { "dev_run_end", "dev_run", 'E', { NULL }, "" },
	[DK_EV_MARK] = { "mark", NULL, 'i', { NULL }, "" },
	[DK_EV_IOMMU_MISS] = { "iotlb_miss", NULL, 'i',
			       { "rid", "iova", "did" }, "xxu" },
	[DK_EV_IOMMU_WALK] = { "iommu_walk", NULL, 'i',
			       { "rid", "iova", "phys" }, "xxx" },
	[DK_EV_IOMMU_FAULT] = { "iommu_fault", NULL, 'i',
				{ "rid", "iova", "reason" }, "xxx" },
	[DK_EV_IOMMU_INVAL] = { "iommu_inval", NULL, 'i',
				{ "lo", "hi", "iqh" }, "xxx" },
};

const char *dk_trace_type_name(unsigned int type)
{
	if (type >= DK_EV_TYPE_MAX || !trace_fmts[type].name)
		return "?";
	return trace_fmts[type].name;
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

struct json_ctx {
	FILE *f;
	struct trace_track *tracks;	/* snapshot of kinds and names */
	uint32_t nr_tracks;
	bool *used;			/* [track]: track 0 .. nr_tracks */
	bool kind_used[DK_TRACK_IOMMU + 1];
	bool first;
};

static int json_pid(const struct json_ctx *jc, uint32_t track)
{
	if (track >= 1 && track <= jc->nr_tracks)
		return jc->tracks[track - 1].kind;
	return DK_TRACK_CPU;
}

static void json_sep(struct json_ctx *jc)
{
	fputs(jc->first ? "\n" : ",\n", jc->f);
	jc->first = false;
}

static int json_event(const struct dk_trace_event *ev, void *p)
{
	struct json_ctx *jc = p;
	const struct trace_fmt *tf = NULL;
	const uint64_t v[3] = { ev->a, ev->b, ev->c };
	const char *name;
	FILE *f = jc->f;
	char ph = 'i';
	int pid = json_pid(jc, ev->track);

	if (ev->type < DK_EV_TYPE_MAX && trace_fmts[ev->type].name) {
		tf = &trace_fmts[ev->type];
		ph = tf->ph;
	}
	if (ev->type == DK_EV_MARK)
		name = ev->a ? (const char *)(uintptr_t)ev->a : "mark";
	else if (tf)
		name = tf->slice ? tf->slice : tf->name;
	else
		name = "?";
	if (ev->track <= jc->nr_tracks)
		jc->used[ev->track] = true;
	jc->kind_used[pid] = true;

	json_sep(jc);
	fputs("{\"name\":", f);
	json_string(f, name);
	fprintf(f, ",\"ph\":\"%c\",\"ts\":%" PRIu64 ".%03u,\"pid\":%d,"
		"\"tid\":%" PRIu32, ph, ev->ts_ns / 1000,
		(unsigned int)(ev->ts_ns % 1000), pid, ev->track);
	if (ph == 'i')
		fputs(",\"s\":\"t\"", f);
	if (!tf) {
		fprintf(f, ",\"args\":{\"type\":%u,\"a\":\"0x%" PRIx64
			"\",\"b\":\"0x%" PRIx64 "\",\"c\":\"0x%" PRIx64 "\"}}",
			ev->type, ev->a, ev->b, ev->c);
		return 0;
	}
	if (tf->fmt[0]) {
		fputs(",\"args\":{", f);
		for (int i = 0; i < 3 && tf->fmt[i]; i++) {
			fprintf(f, "%s\"%s\":", i ? "," : "", tf->arg[i]);
			if (tf->fmt[i] == 'x')
				fprintf(f, "\"0x%" PRIx64 "\"", v[i]);
			else if (tf->fmt[i] == 'd')
				fprintf(f, "%" PRId64, (int64_t)v[i]);
			else
				fprintf(f, "%" PRIu64, v[i]);
		}
		fputc('}', f);
	}
	fputc('}', f);
	return 0;
}

static const char *const json_kind_names[] = {
	[DK_TRACK_CPU] = "CPU",
	[DK_TRACK_DEVICE] = "devices",
	[DK_TRACK_IRQ] = "interrupts",
	[DK_TRACK_IOMMU] = "IOMMU",
};

static void json_metadata(struct json_ctx *jc)
{
	FILE *f = jc->f;

	for (int k = DK_TRACK_CPU; k <= DK_TRACK_IOMMU; k++) {
		if (!jc->kind_used[k])
			continue;
		json_sep(jc);
		fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"ts\":0,"
			"\"pid\":%d,\"tid\":0,\"args\":{\"name\":\"%s\"}}", k,
			json_kind_names[k]);
		json_sep(jc);
		fprintf(f, "{\"name\":\"process_sort_index\",\"ph\":\"M\","
			"\"ts\":0,\"pid\":%d,\"tid\":0,"
			"\"args\":{\"sort_index\":%d}}", k, k);
	}
	for (uint32_t t = 0; t <= jc->nr_tracks; t++) {
		if (!jc->used[t])
			continue;
		json_sep(jc);
		fprintf(f, "{\"name\":\"thread_name\",\"ph\":\"M\",\"ts\":0,"
			"\"pid\":%d,\"tid\":%" PRIu32 ",\"args\":{\"name\":",
			json_pid(jc, t), t);
		json_string(f, t ? jc->tracks[t - 1].name : "unknown");
		fputs("}}", f);
	}
}

int dk_trace_write_json(struct dk_machine *m, FILE *f)
{
	struct dk_trace_state *ts = trace_state_of(m);
	struct json_ctx jc = { .f = f, .first = true };
	int ret;

	if (!ts || !f) {
		dk__err("dk_trace_write_json: %s is NULL",
			ts ? "stream" : "machine");
		return -EINVAL;
	}
	pthread_mutex_lock(&ts->lock);
	ret = ts->recording ? -EBUSY : 0;
	pthread_mutex_unlock(&ts->lock);
	if (ret) {
		dk__err("dk_trace_write_json: still recording (call dk_trace_stop() first)");
		return ret;
	}
	/* Names stay valid until exit; copy the table's entries. */
	pthread_mutex_lock(&ts->track_lock);
	jc.nr_tracks = ts->nr_tracks;
	jc.tracks = malloc((jc.nr_tracks + 1) * sizeof(*jc.tracks));
	if (jc.tracks)
		memcpy(jc.tracks, ts->tracks,
		       jc.nr_tracks * sizeof(*jc.tracks));
	pthread_mutex_unlock(&ts->track_lock);
	jc.used = calloc(jc.nr_tracks + 1, sizeof(*jc.used));
	if (!jc.tracks || !jc.used) {
		ret = -ENOMEM;
		goto out;
	}
	fputs("{\"traceEvents\":[", f);
	ret = dk_trace_foreach(m, json_event, &jc);
	if (ret)
		goto out;
	json_metadata(&jc);
	fprintf(f, "\n],\"displayTimeUnit\":\"ns\",\"otherData\":"
		"{\"dropped\":%" PRIu64 "}}\n", dk_trace_dropped(m));
	if (fflush(f) || ferror(f)) {
		dk__err("dk_trace_write_json: write error");
		ret = -EIO;
	}
out:
	free(jc.used);
	free(jc.tracks);
	return ret;
}

int dk_trace_export_json(struct dk_machine *m, const char *path)
{
	FILE *f;
	int ret;

	if (!m || !path) {
		dk__err("dk_trace_export_json: %s is NULL",
			m ? "path" : "machine");
		return -EINVAL;
	}
	f = fopen(path, "w");
	if (!f) {
		ret = -errno;
		dk__err("dk_trace_export_json: cannot open '%s' for writing: %s",
			path, strerror(-ret));
		return ret;
	}
	ret = dk_trace_write_json(m, f);
	if (fclose(f) && !ret) {
		ret = -errno;
		dk__err("dk_trace_export_json: closing '%s': %s", path,
			strerror(-ret));
	}
	return ret;
}

/* ---- machine lifecycle --------------------------------------------------- */

/**
 * dk__trace_init() - give @m an empty trace state (not recording)
 * @m: the machine being created
 *
 * Context: process, from dk_machine_create(). Return: 0 or -ENOMEM.
 */
int dk__trace_init(struct dk_machine *m)
{
	struct dk_trace_state *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return -ENOMEM;
	ts->epoch = __atomic_add_fetch(&trace_epoch_counter, 1,
				       __ATOMIC_RELAXED);
	pthread_mutex_init(&ts->lock, NULL);
	pthread_mutex_init(&ts->track_lock, NULL);
	m->trace = ts;
	return 0;
}

/**
 * dk__trace_exit() - stop recording and free every buffer, record and track
 * @m: the machine being destroyed
 *
 * Context: process, from dk_machine_destroy(), after the machine's threads
 * were joined.
 */
void dk__trace_exit(struct dk_machine *m)
{
	struct dk_trace_state *ts = m->trace;

	if (!ts)
		return;
	pthread_mutex_lock(&ts->lock);
	trace_stop_locked(ts);
	trace_free_bufs_locked(ts);
	pthread_mutex_unlock(&ts->lock);
	free(ts->bufs);
	for (size_t i = 0; i < ts->nr_recs; i++)
		free(ts->recs[i]);
	free(ts->recs);
	for (uint32_t i = 0; i < ts->nr_tracks; i++)
		free(ts->tracks[i].name);
	free(ts->tracks);
	for (size_t i = 0; i < ts->nr_graveyard; i++)
		free(ts->graveyard[i]);
	free(ts->graveyard);
	pthread_mutex_destroy(&ts->track_lock);
	pthread_mutex_destroy(&ts->lock);
	m->trace = NULL;
	free(ts);
}
