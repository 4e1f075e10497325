// SPDX-License-Identifier: MIT
/*
 * intc.c - the interrupt controller: MSI vectors with edge semantics.
 *
 * Device threads send messages (dk__intc_raise); the CPU side (the hard-IRQ
 * thread in kernel/irq.c) acknowledges the next deliverable vector, runs
 * the handlers, and signals end-of-interrupt. Per vector:
 *   pending   - a message arrived and was not yet delivered (one bit: any
 *               number of messages while latched make one delivery)
 *   masked    - software disabled the vector; messages latch
 *   in_service- delivered, EOI not yet written; messages latch
 * A vector is deliverable when pending and neither masked nor in service.
 * Vector 0 is never valid. Lowest deliverable vector goes first.
 *
 * LOCKING: intc->lock protects every field below it in struct dk_intc;
 * the CPU side sleeps on intc->cond. Raise, ack, EOI and mask are O(1)
 * apart from the word scan in ack.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hw/internal.h"

#define WORD_BITS 64u

struct dk_intc_vec {
	uint64_t raised;	/* messages received */
	uint64_t delivered;	/* acknowledged by the CPU side */
};

struct dk_intc {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* the CPU side waits here */
	unsigned long events;		/* atomic; bumped with each wake-up */
	struct dk_machine *m;
	unsigned int nr;		/* vectors, including vector 0 */
	unsigned int nr_words;
	unsigned int next_free;		/* dk__intc_alloc cursor */
	bool stopping;
	uint64_t invalid;		/* raises of invalid vectors */
	uint64_t *pending;		/* bitmaps, nr_words each */
	uint64_t *masked;
	uint64_t *in_service;
	struct dk_intc_vec *vec;
};

static inline void bit_set(uint64_t *map, unsigned int v)
{
	map[v / WORD_BITS] |= 1ull << (v % WORD_BITS);
}

static inline void bit_clear(uint64_t *map, unsigned int v)
{
	map[v / WORD_BITS] &= ~(1ull << (v % WORD_BITS));
}

static inline bool bit_test(const uint64_t *map, unsigned int v)
{
	return map[v / WORD_BITS] >> (v % WORD_BITS) & 1;
}

static bool intc_deliverable(const struct dk_intc *ic, unsigned int v)
{
	return bit_test(ic->pending, v) && !bit_test(ic->masked, v) &&
	       !bit_test(ic->in_service, v);
}

/* Valid vectors are 1 .. nr-1. */
static bool intc_valid(const struct dk_intc *ic, unsigned int v)
{
	return v > 0 && v < ic->nr;
}

int dk__intc_init(struct dk_machine *m)
{
	struct dk_intc *ic;
	unsigned int nr = m->cfg.nr_irqs;

	if (nr < 2 || nr > 1024) {
		dk__err("intc: nr_irqs %u outside 2..1024", nr);
		return -EINVAL;
	}
	ic = calloc(1, sizeof(*ic));
	if (!ic)
		return -ENOMEM;
	ic->nr = nr;
	ic->nr_words = (nr + WORD_BITS - 1) / WORD_BITS;
	ic->next_free = 1;
	ic->pending = calloc(3 * (size_t)ic->nr_words, sizeof(uint64_t));
	ic->vec = calloc(nr, sizeof(*ic->vec));
	if (!ic->pending || !ic->vec) {
		free(ic->pending);
		free(ic->vec);
		free(ic);
		return -ENOMEM;
	}
	ic->masked = ic->pending + ic->nr_words;
	ic->in_service = ic->masked + ic->nr_words;
	pthread_mutex_init(&ic->lock, NULL);
	dk__cond_init(&ic->cond);
	ic->m = m;
	m->intc = ic;
	return 0;
}

void dk__intc_exit(struct dk_machine *m)
{
	struct dk_intc *ic = m->intc;

	if (!ic)
		return;
	pthread_cond_destroy(&ic->cond);
	pthread_mutex_destroy(&ic->lock);
	free(ic->pending);
	free(ic->vec);
	free(ic);
	m->intc = NULL;
}

unsigned int dk__intc_alloc(struct dk_machine *m, unsigned int n)
{
	struct dk_intc *ic = m->intc;
	unsigned int first = 0;

	if (!ic || n == 0)
		return 0;
	pthread_mutex_lock(&ic->lock);
	if (n <= ic->nr - ic->next_free) {
		first = ic->next_free;
		ic->next_free += n;
	}
	pthread_mutex_unlock(&ic->lock);
	if (!first)
		dk__err("intc: no room for %u vectors (%u of %u in use)", n,
			ic->next_free - 1, ic->nr - 1);
	return first;
}

void dk__intc_raise(struct dk_machine *m, unsigned int vector)
{
	struct dk_intc *ic = m->intc;
	bool wake;

	if (!intc_valid(ic, vector)) {
		pthread_mutex_lock(&ic->lock);
		ic->invalid++;
		pthread_mutex_unlock(&ic->lock);
		dk__err("intc: MSI write to invalid vector %u (valid 1..%u), dropped",
			vector, ic->nr - 1);
		return;
	}
	pthread_mutex_lock(&ic->lock);
	ic->vec[vector].raised++;
	bit_set(ic->pending, vector);
	wake = intc_deliverable(ic, vector);
	pthread_mutex_unlock(&ic->lock);
	if (wake)
		dk__cond_signal_polled(&ic->cond, &ic->events, false);
}

/* Lowest deliverable vector, or 0. Caller holds ic->lock. */
static unsigned int intc_next(const struct dk_intc *ic)
{
	for (unsigned int w = 0; w < ic->nr_words; w++) {
		uint64_t ready = ic->pending[w] & ~ic->masked[w] &
				 ~ic->in_service[w];

		if (ready)
			return w * WORD_BITS +
			       (unsigned int)__builtin_ctzll(ready);
	}
	return 0;
}

unsigned int dk__intc_ack(struct dk_machine *m)
{
	struct dk_intc *ic = m->intc;
	unsigned int v;

	pthread_mutex_lock(&ic->lock);
	while (!ic->stopping && !(v = intc_next(ic)))
		dk__cond_wait_polled(ic->m, &ic->cond, &ic->lock, &ic->events);
	if (ic->stopping) {
		v = 0;
	} else {
		bit_clear(ic->pending, v);
		bit_set(ic->in_service, v);
		ic->vec[v].delivered++;
	}
	pthread_mutex_unlock(&ic->lock);
	return v;
}

void dk__intc_eoi(struct dk_machine *m, unsigned int vector)
{
	struct dk_intc *ic = m->intc;
	bool wake;

	if (!intc_valid(ic, vector))
		return;
	pthread_mutex_lock(&ic->lock);
	bit_clear(ic->in_service, vector);
	wake = intc_deliverable(ic, vector);
	pthread_mutex_unlock(&ic->lock);
	if (wake)
		dk__cond_signal_polled(&ic->cond, &ic->events, false);
}

void dk__intc_mask(struct dk_machine *m, unsigned int vector, bool masked)
{
	struct dk_intc *ic = m->intc;
	bool wake = false;

	if (!intc_valid(ic, vector))
		return;
	pthread_mutex_lock(&ic->lock);
	if (masked) {
		bit_set(ic->masked, vector);
	} else {
		bit_clear(ic->masked, vector);
		wake = intc_deliverable(ic, vector);
	}
	pthread_mutex_unlock(&ic->lock);
	if (wake)
		dk__cond_signal_polled(&ic->cond, &ic->events, false);
}

void dk__intc_retrigger(struct dk_machine *m, unsigned int vector)
{
	struct dk_intc *ic = m->intc;
	bool wake;

	if (!intc_valid(ic, vector))
		return;
	pthread_mutex_lock(&ic->lock);
	bit_set(ic->pending, vector);
	wake = intc_deliverable(ic, vector);
	pthread_mutex_unlock(&ic->lock);
	if (wake)
		dk__cond_signal_polled(&ic->cond, &ic->events, false);
}

void dk__intc_stop(struct dk_machine *m)
{
	struct dk_intc *ic = m->intc;

	pthread_mutex_lock(&ic->lock);
	ic->stopping = true;
	pthread_mutex_unlock(&ic->lock);
	dk__cond_signal_polled(&ic->cond, &ic->events, true);
}

int dk__intc_stats(struct dk_machine *m, unsigned int vector,
		   struct dk_intc_stats *st)
{
	struct dk_intc *ic = m->intc;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&ic->lock);
	st->invalid = ic->invalid;
	if (intc_valid(ic, vector)) {
		st->raised = ic->vec[vector].raised;
		st->delivered = ic->vec[vector].delivered;
		st->pending = bit_test(ic->pending, vector);
		st->masked = bit_test(ic->masked, vector);
		st->in_service = bit_test(ic->in_service, vector);
	}
	pthread_mutex_unlock(&ic->lock);
	return intc_valid(ic, vector) ? 0 : -EINVAL;
}
