/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "transport/drain.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/compiler.h"
#include "util/thread.h"

/*
 * How long a thread that sits waiting for requests is left before it is
 * woken again: a wake sent just before it went to sleep is lost.
 */
#define DRAIN_REKICK_NS 1000000ull	/* 1 ms */
/* Looks between yields before the first sleep. */
#define DRAIN_YIELDS 64
/* The pauses between looks after that. */
#define DRAIN_PAUSE_MIN_NS 20000L	/* 20 us */
#define DRAIN_PAUSE_MAX_NS 1000000L	/* 1 ms */

struct drain {
	unsigned int n;
	struct drain_slot *slot;
};

static uint64_t drain_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A wait's view of one other thread. */
struct drain_view {
	unsigned int target;	/* its count at the end of its next round */
	unsigned int kicked;	/* its count when last woken */
	uint64_t kicked_at;
	bool done;
};

/*
 * Whether s needs nothing more from the wait: it has made its round since
 * the wait began, or it waits for other requests itself. Else wake it if
 * it sits waiting for requests (again if a wake may have been lost).
 */
static bool drain_look(struct drain_slot *s, struct drain_view *w,
		       uint64_t now)
{
	unsigned int v = atomic_load_explicit(&s->seq, memory_order_acquire);

	if ((int)(v - w->target) >= 0 ||
	    atomic_load_explicit(&s->parked, memory_order_acquire))
		return true;
	if ((v & 1) && (v != w->kicked || now - w->kicked_at >= DRAIN_REKICK_NS)) {
		thread_wake_tid(s->tid);
		w->kicked = v;
		w->kicked_at = now;
	}
	return false;
}

/*
 * Every other thread at once, so the wait lasts as long as the slowest
 * of them, not their sum. Short yields first: a woken thread takes a few
 * microseconds, less than the shortest sleep.
 */
static bool drain_wait_all(struct drain *d, struct drain_view *w,
			   uint64_t deadline)
{
	struct timespec pause = { 0, DRAIN_PAUSE_MIN_NS };

	for (unsigned int round = 0;; round++) {
		uint64_t now = drain_now();
		bool all = true;

		for (unsigned int i = 0; i < d->n; i++) {
			if (!w[i].done)
				w[i].done = drain_look(&d->slot[i], &w[i], now);
			all = all && w[i].done;
		}
		if (all)
			return true;
		if (now >= deadline)
			return false;
		if (round < DRAIN_YIELDS) {
			sched_yield();
			continue;
		}
		nanosleep(&pause, NULL);
		if (pause.tv_nsec < DRAIN_PAUSE_MAX_NS)
			pause.tv_nsec *= 2;
	}
}

static bool drain_wait_earlier(const struct req_order *o, uint64_t timeout_ns)
{
	struct drain_slot *self = container_of(o, struct drain_slot, order);
	struct drain *d = self->d;
	uint64_t deadline = drain_now() + timeout_ns;
	struct drain_view *w = calloc(d->n, sizeof(*w));
	bool done;

	if (!w)
		return false;
	for (unsigned int i = 0; i < d->n; i++) {
		struct drain_slot *s = &d->slot[i];
		unsigned int v = atomic_load_explicit(&s->seq,
						      memory_order_acquire);

		/* A thread not running yet has received nothing. */
		w[i].done = s == self ||
			    !atomic_load_explicit(&s->bound,
						  memory_order_acquire);
		/* The end of its next round of handling that began after now. */
		w[i].target = (v | 1) + 2;
	}
	/* Those that wait for this request do not wait for it. */
	atomic_store_explicit(&self->parked, true, memory_order_release);
	done = drain_wait_all(d, w, deadline);
	atomic_store_explicit(&self->parked, false, memory_order_release);
	free(w);
	return done;
}

static void drain_park(const struct req_order *o, bool parked)
{
	struct drain_slot *self = container_of(o, struct drain_slot, order);

	atomic_store_explicit(&self->parked, parked, memory_order_release);
}

struct drain *drain_new(unsigned int n)
{
	struct drain *d = calloc(1, sizeof(*d));
	void *p = NULL;

	if (!d || posix_memalign(&p, _Alignof(struct drain_slot),
				 (size_t)n * sizeof(struct drain_slot))) {
		free(d);
		return NULL;
	}
	memset(p, 0, (size_t)n * sizeof(struct drain_slot));
	d->n = n;
	d->slot = p;
	for (unsigned int i = 0; i < n; i++) {
		struct drain_slot *s = &d->slot[i];

		s->order.wait_earlier = drain_wait_earlier;
		s->order.park = drain_park;
		s->d = d;
		atomic_init(&s->seq, 0);
		atomic_init(&s->parked, false);
		atomic_init(&s->bound, false);
	}
	return d;
}

void drain_free(struct drain *d)
{
	if (!d)
		return;
	free(d->slot);
	free(d);
}

struct drain_slot *drain_slot(struct drain *d, unsigned int i)
{
	return &d->slot[i];
}

void drain_bind(struct drain_slot *s)
{
	s->tid = gettid();
	atomic_store_explicit(&s->bound, true, memory_order_release);
}
