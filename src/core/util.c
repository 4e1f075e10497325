// SPDX-License-Identifier: MIT
/*
 * util.c - the current machine pointer, machine threads, the clock, and
 * invariant failures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/kernel.h>
#include "core/internal.h"
#include "hw/internal.h"
#include "kernel/internal.h"

struct dk_machine *dk__m;

struct thread_start {
	void *(*fn)(void *);
	void *arg;
	char name[16];
};

static void *thread_trampoline(void *p)
{
	struct thread_start ts = *(struct thread_start *)p;

	free(p);
	pthread_setname_np(pthread_self(), ts.name);
	dk__trace_name_self(ts.name);
	return ts.fn(ts.arg);
}

int dk__cpus_init(struct dk_machine *m)
{
	int cpu = m->cfg.hw_cpu;
	cpu_set_t *sw, *hw;
	size_t size;
	long ncpu;

	if (cpu < 0)
		return 0;
	ncpu = sysconf(_SC_NPROCESSORS_CONF);
	if (ncpu < 1)
		ncpu = CPU_SETSIZE;
	size = CPU_ALLOC_SIZE(ncpu);
	sw = CPU_ALLOC(ncpu);
	hw = CPU_ALLOC(ncpu);
	if (!sw || !hw) {
		if (sw)
			CPU_FREE(sw);
		if (hw)
			CPU_FREE(hw);
		return -ENOMEM;
	}
	CPU_ZERO_S(size, sw);
	if (pthread_getaffinity_np(pthread_self(), size, sw) ||
	    cpu >= ncpu || !CPU_ISSET_S(cpu, size, sw) ||
	    CPU_COUNT_S(size, sw) < 2) {
		dk__err("dk_machine_create: hw_cpu %d: the creating thread may run on %d CPUs%s; partitioning needs 2 or more, hw_cpu one of them",
			cpu, CPU_COUNT_S(size, sw),
			cpu < ncpu && CPU_ISSET_S(cpu, size, sw) ?
				"" : ", not on that one");
		CPU_FREE(sw);
		CPU_FREE(hw);
		return -EINVAL;
	}
	/* Devices on hw_cpu alone; software on the creator's CPUs but it. */
	CPU_CLR_S(cpu, size, sw);
	CPU_ZERO_S(size, hw);
	CPU_SET_S(cpu, size, hw);
	m->cpus[DK_THREAD_SOFTWARE] = sw;
	m->cpus[DK_THREAD_DEVICE] = hw;
	m->cpus_size = size;
	return 0;
}

void dk__cpus_exit(struct dk_machine *m)
{
	for (int i = 0; i < 2; i++) {
		if (m->cpus[i])
			CPU_FREE(m->cpus[i]);
		m->cpus[i] = NULL;
	}
}

int dk__thread_start(struct dk_machine *m, enum dk_thread_role role,
		     pthread_t *t, const char *name, void *(*fn)(void *),
		     void *arg)
{
	struct thread_start *ts = malloc(sizeof(*ts));
	pthread_attr_t attr;
	int ret;

	if (!ts)
		return -ENOMEM;
	ts->fn = fn;
	ts->arg = arg;
	snprintf(ts->name, sizeof(ts->name), "%s", name);
	pthread_attr_init(&attr);
	/* cfg.hw_cpu: the thread's side of the partition. */
	if (m && m->cpus[role])
		pthread_attr_setaffinity_np(&attr, m->cpus_size, m->cpus[role]);
	ret = pthread_create(t, &attr, thread_trampoline, ts);
	pthread_attr_destroy(&attr);
	if (ret) {
		free(ts);
		return -ret;
	}
	return 0;
}

uint64_t dk__host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void dk__cond_init(pthread_cond_t *c)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* The condition variable this thread just spun for in vain, if any. */
static __thread const pthread_cond_t *spun_on
	__attribute__((tls_model("initial-exec")));

void dk__cond_wait_polled(struct dk_machine *m, pthread_cond_t *c,
			  pthread_mutex_t *l, const unsigned long *events)
{
	uint64_t poll = m ? (uint64_t)m->cfg.poll_us * 1000 : 0;
	unsigned long seen;
	uint64_t end;

	if (!poll || spun_on == c) {
		spun_on = NULL;
		pthread_cond_wait(c, l);
		return;
	}
	seen = __atomic_load_n(events, __ATOMIC_ACQUIRE);
	end = dk__host_ns() + poll;
	pthread_mutex_unlock(l);
	for (;;) {
		for (int i = 0; i < 64; i++) {
			cpu_relax();
			if (__atomic_load_n(events, __ATOMIC_ACQUIRE) != seen)
				goto out;
		}
		if (dk__host_ns() >= end) {
			/* In vain: the caller re-checks, then we sleep. */
			spun_on = c;
			break;
		}
	}
out:
	pthread_mutex_lock(l);
}

uint64_t dk_clock_ns(void)
{
	struct dk_machine *m = __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);

	if (!m)
		return 0;
	if (m->cfg.manual_clock)
		return __atomic_load_n(&m->manual_now_ns, __ATOMIC_ACQUIRE);
	return dk__host_ns() - m->clock_origin_ns;
}

int dk_clock_advance(uint64_t ns)
{
	struct dk_machine *m = __atomic_load_n(&dk__m, __ATOMIC_ACQUIRE);

	if (!m || !m->cfg.manual_clock) {
		dk__err("dk_clock_advance: %s", m ? "the machine clock is not manual"
						  : "no machine");
		return -EINVAL;
	}
	__atomic_add_fetch(&m->manual_now_ns, ns, __ATOMIC_ACQ_REL);
	dk__softirq_clock_moved(m);
	dk__hw_clock_moved(m);
	return 0;
}

struct timespec dk__clock_deadline(uint64_t when_ns)
{
	struct dk_machine *m = dk__m;
	uint64_t host;
	struct timespec ts;

	if (!m || m->cfg.manual_clock)
		host = dk__host_ns() + 3600ull * 1000000000ull;
	else
		host = m->clock_origin_ns + when_ns;
	ts.tv_sec = (time_t)(host / 1000000000ull);
	ts.tv_nsec = (long)(host % 1000000000ull);
	return ts;
}

void dk__assert_fail(const char *what, const char *file, int line,
		     const char *func)
{
	dk_log(DK_LOG_ERR, "dmakit: invariant failed: %s at %s:%d %s()", what,
	       file, line, func);
	abort();
}

void dk_bug(const char *what, const char *file, int line)
{
	dk_log(DK_LOG_ERR, "kernel BUG: %s at %s:%d", what, file, line);
	abort();
}
