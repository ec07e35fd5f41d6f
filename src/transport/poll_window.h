/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How long a queue thread keeps watching an empty ring before it sleeps on
 * the kick eventfd: a self-tuning window, decided from the idle gaps it has
 * seen (time from "ring empty" to the next request).
 *
 * QEMU's iothreads and KVM's halt polling move one window by steps:
 * double it when the event came after the window but within the maximum,
 * cut it (to zero by default) when an event came later than the maximum.
 * One long pause of the guest so throws the whole window away, and it
 * takes several doublings to come back. Here a decayed histogram of the
 * recent gaps (log-2 buckets) decides in one step: poll only if most gaps
 * fit within the maximum, and then for twice the gap that covers nine in
 * ten of those that fit. A pause counts as one gap among many.
 *
 * Polling takes a core. On a machine with more runnable threads than
 * cores it would take it from the very thread that makes the next request
 * (the vCPU, or the front end), so a poll that finds itself preempted
 * (the clock jumped between two looks at the ring) stops at once and
 * polling is off for a number of idle periods that doubles each time it
 * happens again (and halves after each clean poll).
 *
 * pw_window()/pw_record() are pure logic on the caller's clock readings;
 * pw_poll() is the spin itself. No locks; one per polling thread.
 */
#ifndef VFSD_TRANSPORT_POLL_WINDOW_H
#define VFSD_TRANSPORT_POLL_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

/* Gaps in buckets of [2^(b+9), 2^(b+10)) ns: 0.5 us ... 1 ms and above. */
#define PW_BUCKETS 12u
/* A clock jump this long inside the poll loop means we were preempted. */
#define PW_PREEMPT_NS 20000u
/* Idle periods without polling after the first preemption seen, and the most. */
#define PW_BACKOFF_MIN 4u
#define PW_BACKOFF_MAX 1024u

struct poll_window {
	uint64_t max_ns;		/* 0: never poll */
	uint64_t window_ns;		/* the current decision */
	uint32_t hist[PW_BUCKETS + 1];	/* decayed weights; last: > max */
	unsigned int backoff;		/* idle periods left without polling */
	unsigned int backoff_next;	/* length of the next backoff */
};

/** Start with no history (no polling until a gap has been seen). */
void pw_init(struct poll_window *pw, uint64_t max_ns);

/** The window for the idle period that starts now (0: sleep at once). */
uint64_t pw_window(struct poll_window *pw);

/**
 * An idle period ended: gap_ns from "ring empty" to the request that ended
 * it (found by polling or after a wake-up); preempted if the poll loop saw
 * its clock jump by PW_PREEMPT_NS or more.
 */
void pw_record(struct poll_window *pw, uint64_t gap_ns, bool preempted);

/** CLOCK_MONOTONIC in ns (the vDSO: no system call). */
uint64_t pw_now(void);

/**
 * Spin for win ns (from pw_window()) from empty_ns on until ready(arg)
 * returns 1
 * (true) or -1 (false: stop polling), the window ends (false), or the
 * thread was preempted (false, *preempted set). Yields every few spins so
 * a thread that waits for this core gets it (KVM polls only while its task
 * is alone on the core, single_task_running(); from user space a yield is
 * the nearest), and the clock jump that follows ends the poll.
 */
bool pw_poll(uint64_t win, uint64_t empty_ns, int (*ready)(void *arg),
	     void *arg, bool *preempted);

#endif
