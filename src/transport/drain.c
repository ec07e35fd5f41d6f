/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "transport/drain.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/compiler.h"
#include "util/thread.h"

/* How long a thread that sits waiting for requests is left before it is
 * woken again: a wake sent just before it went to sleep is lost. */
#define DRAIN_REKICK_NS 1000000ull	/* 1 ms */
/* The pauses between looks: short at first, a handler takes microseconds. */
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

/* Whether s has made its round since the count target was set. */
static bool drain_reached(const struct drain_slot *s, unsigned int target)
{
	unsigned int v = atomic_load_explicit(&s->seq, memory_order_acquire);

	return (int)(v - target) >= 0;
}

/*
 * Wait until s has gone through waiting for requests and handling them
 * once after now, waking it while it sits waiting; false at deadline.
 */
static bool drain_wait_one(struct drain_slot *s, uint64_t deadline)
{
	unsigned int v = atomic_load_explicit(&s->seq, memory_order_acquire);
	/* The end of its next round of handling that began after now. */
	unsigned int target = (v | 1) + 2, kicked = 0;
	struct timespec pause = { 0, DRAIN_PAUSE_MIN_NS };
	uint64_t now, kicked_at = 0;

	for (;;) {
		if (drain_reached(s, target) ||
		    atomic_load_explicit(&s->parked, memory_order_acquire))
			return true;
		now = drain_now();
		if (now >= deadline)
			return false;
		v = atomic_load_explicit(&s->seq, memory_order_relaxed);
		if ((v & 1) && (v != kicked || now - kicked_at >= DRAIN_REKICK_NS)) {
			thread_wake_tid(s->tid);
			kicked = v;
			kicked_at = now;
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
	bool done = true;

	/* Those that wait for this request do not wait for it. */
	atomic_store_explicit(&self->parked, true, memory_order_release);
	for (unsigned int i = 0; i < d->n && done; i++) {
		struct drain_slot *s = &d->slot[i];

		/* A thread not running yet has received nothing. */
		if (s == self ||
		    !atomic_load_explicit(&s->bound, memory_order_acquire))
			continue;
		done = drain_wait_one(s, deadline);
	}
	atomic_store_explicit(&self->parked, false, memory_order_release);
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

	if (!d || posix_memalign(&p, sizeof(struct drain_slot),
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
