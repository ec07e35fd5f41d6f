/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Earlier requests first: the serving threads of a /dev/fuse connection
 * (read(2) workers, or FUSE-over-io_uring ring threads) publish their
 * progress, so that a request can wait until every request received
 * before it, on any thread, has been handled (struct req_order).
 *
 * A thread's progress is one counter it alone writes: odd while it waits
 * for requests, even while it handles what it got; two plain stores per
 * round, no lock and no shared write. A request waits for another thread
 * until that one has gone from waiting to handling and back at least once
 * after the wait began: what the kernel had handed to it by then, even
 * what was still on its way in (a read(2) that had taken a request, a
 * ring completion still to be posted by task work), it has then handled.
 * A thread that sits waiting for requests is woken (thread_wake()) to make
 * that round. The wait is bounded, and does not wait for threads that are
 * themselves waiting for other requests (parked), so two of them never
 * wait for each other.
 */
#ifndef VFSD_TRANSPORT_DRAIN_H
#define VFSD_TRANSPORT_DRAIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "fuse/req.h"

struct drain;

/* One serving thread's. Aligned so threads' counters share no line. */
struct drain_slot {
	struct req_order order;	/* what the thread's requests carry */
	struct drain *d;
	atomic_uint seq;	/* odd: waiting for requests */
	atomic_bool parked;	/* waiting for other requests to end */
	atomic_bool bound;	/* tid is set */
	pid_t tid;		/* the thread's, to wake it */
} __attribute__((aligned(64)));

/** Slots for n threads, or NULL without memory. */
struct drain *drain_new(unsigned int n);
/** After every thread that used it has ended. NULL is nothing. */
void drain_free(struct drain *d);
/** Slot i (below n). */
struct drain_slot *drain_slot(struct drain *d, unsigned int i);
/** The serving thread itself, once, before it takes any request. */
void drain_bind(struct drain_slot *s);

/* The thread is about to wait for requests (it handled all it had). */
static inline void drain_idle(struct drain_slot *s)
{
	unsigned int v = atomic_load_explicit(&s->seq, memory_order_relaxed);

	/* Release: what the requests handled did is seen with the count. */
	atomic_store_explicit(&s->seq, v | 1, memory_order_release);
}

/* The thread's wait for requests returned. */
static inline void drain_busy(struct drain_slot *s)
{
	unsigned int v = atomic_load_explicit(&s->seq, memory_order_relaxed);

	atomic_store_explicit(&s->seq, (v | 1) + 1, memory_order_relaxed);
}

#endif
