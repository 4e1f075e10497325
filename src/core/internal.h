/* SPDX-License-Identifier: MIT */
/*
 * core/internal.h - the machine object and services every side uses: the
 * current machine, threads, the clock, logging and trace emission.
 *
 * Included by the library's own sources and by unit tests only.
 *
 * The machine is a set of subsystems; each keeps its own state behind a
 * pointer and has an init and an exit function called in layer order by
 * dk_machine_create() and in reverse by dk_machine_destroy().
 */
#ifndef DK_CORE_INTERNAL_H
#define DK_CORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <dmakit/log.h>
#include <dmakit/machine.h>
#include <dmakit/trace.h>

struct dk_ram;
struct dk_mmio;
struct dk_intc;
struct dk_hw_dev;
struct dk_irq_state;
struct dk_softirq;
struct dk_wq_state;
struct dk_mm;
struct dk_slab_state;
struct dk_platform_bus;
struct dk_trace_state;
struct dk_dma_xlate;
struct dk_dma_state;
struct dk_iommu_core;
struct dk_dmaengine_state;

#define DK_MAX_DEVICES 64

struct dk_machine {
	struct dk_machine_config cfg;

	/* Hardware side. */
	struct dk_ram *ram;
	struct dk_mmio *mmio;
	struct dk_intc *intc;
	const struct dk_dma_xlate *xlate;	/* NULL: identity */
	pthread_mutex_t dev_lock;		/* protects devs, nr_devs */
	struct dk_hw_dev *devs[DK_MAX_DEVICES];
	unsigned int nr_devs;

	/* Software side. */
	struct dk_mm *mm;
	struct dk_slab_state *slab;
	struct dk_irq_state *irq;
	struct dk_softirq *softirq;
	struct dk_wq_state *wq;
	struct dk_platform_bus *bus;
	struct dk_dma_state *dma;		/* kernel/dma_mapping.c */
	struct dk_iommu_core *iommu_core;	/* kernel/iommu.c */
	struct dk_dmaengine_state *dmaengine;	/* kernel/dmaengine.c */

	/* Services. */
	struct dk_trace_state *trace;
	uint64_t clock_origin_ns;		/* CLOCK_MONOTONIC at create */
	uint64_t manual_now_ns;			/* atomic; manual clock */
	int leaks;				/* reports made at destroy */
	void *cpus[2];		/* cpu_set_t per enum dk_thread_role; NULL: any */
	size_t cpus_size;
};

/* The one machine; set between create and destroy. */
extern struct dk_machine *dk__m;

/* ---- threads --------------------------------------------------------- */

/* Which side of the wall a machine thread is on (CPU partitioning). */
enum dk_thread_role {
	DK_THREAD_SOFTWARE,	/* hard IRQ, softirq, workqueues */
	DK_THREAD_DEVICE,	/* a device model */
};

/**
 * dk__thread_start() - start a machine thread
 * @m: the machine (its cfg.hw_cpu places the thread)
 * @role: device model or software
 * @t: receives the thread
 * @name: short name for the trace and debugger (<= 15 characters)
 * @fn: body
 * @arg: passed to @fn
 *
 * The thread gets its own CPU trace track under @name.
 * Return: 0 or -errno.
 */
int dk__thread_start(struct dk_machine *m, enum dk_thread_role role,
		     pthread_t *t, const char *name, void *(*fn)(void *),
		     void *arg);

/*
 * CPU partitioning (cfg.hw_cpu): check it and record the software CPUs
 * (the creating thread's CPUs but hw_cpu) in @m. 0 or -EINVAL (logged).
 */
int dk__cpus_init(struct dk_machine *m);
void dk__cpus_exit(struct dk_machine *m);

/* ---- clock ------------------------------------------------------------ */

/* Host CLOCK_MONOTONIC in ns. */
uint64_t dk__host_ns(void);

/*
 * Absolute CLOCK_MONOTONIC deadline for a pthread_cond_timedwait waiting
 * until machine time @when_ns. In manual mode returns a deadline far away:
 * dk_clock_advance() wakes the waiters instead.
 */
struct timespec dk__clock_deadline(uint64_t when_ns);

/* ---- condition variables on CLOCK_MONOTONIC --------------------------- */

void dk__cond_init(pthread_cond_t *c);

/*
 * The polling option (dk_machine_config.poll_us). A thread that would sleep
 * on @c, in a loop that re-checks its condition under @l, waits with
 * dk__cond_wait_polled(): with the option on, the first call spins with @l
 * dropped until @events moves or the window closes, then returns for the
 * caller to re-check; the next call (same thread, same @c) sleeps. Every
 * waker bumps @events as it signals: dk__cond_signal_polled(), where a
 * plain signal would be (with or without @l held, as before).
 */
void dk__cond_wait_polled(struct dk_machine *m, pthread_cond_t *c,
			  pthread_mutex_t *l, const unsigned long *events);

static inline void dk__cond_signal_polled(pthread_cond_t *c,
					  unsigned long *events, bool all)
{
	__atomic_add_fetch(events, 1, __ATOMIC_RELEASE);
	if (all)
		pthread_cond_broadcast(c);
	else
		pthread_cond_signal(c);
}

/* ---- checks that stay on in test builds -------------------------------- */

#define DK_ASSERT(cond)                                                      \
	do {                                                                 \
		if (__builtin_expect(!(cond), 0))                            \
			dk__assert_fail(#cond, __FILE__, __LINE__, __func__); \
	} while (0)

_Noreturn void dk__assert_fail(const char *what, const char *file, int line,
			       const char *func);

/* ---- logging shortcuts ------------------------------------------------- */

#define dk__err(...)   dk_log(DK_LOG_ERR, __VA_ARGS__)
#define dk__warn(...)  dk_log(DK_LOG_WARN, __VA_ARGS__)
#define dk__info(...)  dk_log(DK_LOG_INFO, __VA_ARGS__)
#define dk__debug(...) dk_log(DK_LOG_DEBUG, __VA_ARGS__)

/* ---- trace emission (see core/trace.c) ---------------------------------- */

/* Non-zero while a trace is recording; read with a relaxed load. */
extern int dk__trace_on;

void dk__trace_emit(uint32_t track, uint16_t type, uint64_t a, uint64_t b,
		    uint64_t c);

/* Track of the calling thread (registered on first use). */
uint32_t dk__trace_self(void);

/* Register a named track of @kind (DK_TRACK_*); returns its id. */
uint32_t dk__trace_track_new(int kind, const char *name);

/* Name the calling thread's CPU track (done by dk__thread_start()). */
void dk__trace_name_self(const char *name);

/*
 * Track of interrupt vector @vector (1..1024), registered on first use as
 * "irq <vector> <name>" (@name may be NULL). Safe in hard-IRQ context.
 */
uint32_t dk__trace_irq_track(unsigned int vector, const char *name);

static inline void dk__trace(uint32_t track, uint16_t type, uint64_t a,
			     uint64_t b, uint64_t c)
{
	if (__builtin_expect(
		    __atomic_load_n(&dk__trace_on, __ATOMIC_RELAXED), 0))
		dk__trace_emit(track, type, a, b, c);
}

static inline void dk__trace_cpu(uint16_t type, uint64_t a, uint64_t b,
				 uint64_t c)
{
	if (__builtin_expect(
		    __atomic_load_n(&dk__trace_on, __ATOMIC_RELAXED), 0))
		dk__trace_emit(dk__trace_self(), type, a, b, c);
}

int dk__trace_init(struct dk_machine *m);
void dk__trace_exit(struct dk_machine *m);

#endif
