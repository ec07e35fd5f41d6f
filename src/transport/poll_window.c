/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "transport/poll_window.h"

#include <sched.h>
#include <string.h>
#include <time.h>

#include "util/compiler.h"

/*
 * Spins between two sched_yield()s (about a microsecond): a yield costs
 * about as much in a VM, and yielding less often kept a thread that waited
 * for the core waiting longer (measured: a depth-1 p50 of 22 us instead of
 * 15 us on a loaded 2-core machine).
 */
#define PW_YIELD_SPINS 16u

/* Each new gap weighs this much; older ones fade by 1/16 per gap. */
#define PW_UNIT (1u << 16)
#define PW_FIRST_SHIFT 9u

void pw_init(struct poll_window *pw, uint64_t max_ns)
{
	memset(pw, 0, sizeof(*pw));
	pw->max_ns = max_ns;
	pw->backoff_next = PW_BACKOFF_MIN;
}

/* Upper bound of bucket b in ns. */
static uint64_t pw_bound(unsigned int b)
{
	return 1ull << (b + PW_FIRST_SHIFT + 1);
}

static unsigned int pw_bucket(const struct poll_window *pw, uint64_t gap_ns)
{
	unsigned int b = 0;

	if (gap_ns > pw->max_ns)
		return PW_BUCKETS;
	while (b < PW_BUCKETS - 1 && gap_ns >= pw_bound(b))
		b++;
	return b;
}

/*
 * Most gaps must fit within the maximum (else polling mostly burns the
 * core); then the window covers nine in ten of those that fit, with room
 * to spare (a gap at the top of its bucket is twice its bottom).
 */
static uint64_t pw_decide(const struct poll_window *pw)
{
	uint64_t fit = 0, all, seen = 0;

	for (unsigned int b = 0; b < PW_BUCKETS; b++)
		fit += pw->hist[b];
	all = fit + pw->hist[PW_BUCKETS];
	if (fit == 0 || fit * 2 < all)
		return 0;
	for (unsigned int b = 0; b < PW_BUCKETS; b++) {
		seen += pw->hist[b];
		if (seen * 10 >= fit * 9) {
			uint64_t w = 2 * pw_bound(b);

			return w < pw->max_ns ? w : pw->max_ns;
		}
	}
	return pw->max_ns;
}

uint64_t pw_window(struct poll_window *pw)
{
	if (pw->max_ns == 0)
		return 0;
	if (pw->backoff > 0) {
		pw->backoff--;
		return 0;
	}
	return pw->window_ns;
}

void pw_record(struct poll_window *pw, uint64_t gap_ns, bool preempted)
{
	if (pw->max_ns == 0)
		return;
	for (unsigned int b = 0; b <= PW_BUCKETS; b++)
		pw->hist[b] -= pw->hist[b] / 16;
	pw->hist[pw_bucket(pw, gap_ns)] += PW_UNIT;
	pw->window_ns = pw_decide(pw);
	if (preempted) {
		pw->backoff = pw->backoff_next;
		if (pw->backoff_next < PW_BACKOFF_MAX)
			pw->backoff_next *= 2;
	} else if (pw->backoff == 0 && pw->backoff_next > PW_BACKOFF_MIN) {
		pw->backoff_next /= 2;
	}
}

uint64_t pw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool pw_poll(uint64_t win, uint64_t empty_ns, int (*ready)(void *arg),
	     void *arg, bool *preempted)
{
	uint64_t now = empty_ns, prev;
	unsigned int spins = 0;
	int r;

	*preempted = false;
	if (win == 0)
		return false;
	for (;;) {
		r = ready(arg);
		if (r)
			return r > 0;
		if (++spins % PW_YIELD_SPINS == 0)
			sched_yield();
		else
			cpu_relax();
		prev = now;
		now = pw_now();
		if (now - prev >= PW_PREEMPT_NS) {
			*preempted = true;
			return false;
		}
		if (now - empty_ns >= win)
			return false;
	}
}
