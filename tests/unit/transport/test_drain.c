/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * transport/drain.c with real threads: a "serving" thread reads one-byte
 * requests from a pipe as a /dev/fuse worker reads /dev/fuse, and the test
 * (slot 0) asks to wait for the requests received before its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport/drain.h"
#include "util/thread.h"

#define SECOND 1000000000ull

struct server {
	struct drain *d;
	int req[2];		/* requests, one byte each */
	int hold[2];		/* what a 'h' or 'p' request waits for */
	pthread_t thread;
	atomic_bool handled;	/* an 'r' request was handled */
	atomic_bool parked;	/* a 'p' request is parked */
	atomic_uint rounds;	/* returns from read(2), EINTR too */
};

/* Requests: 'r' slow, 'h' waits for hold, 'p' waits parked, 'q' quits. */
static void *server_main(void *arg)
{
	struct server *sv = arg;
	struct drain_slot *s = drain_slot(sv->d, 1);
	char c, x;

	drain_bind(s);
	for (;;) {
		ssize_t n;

		drain_idle(s);
		n = read(sv->req[0], &c, 1);
		drain_busy(s);
		atomic_fetch_add(&sv->rounds, 1);
		if (n != 1)
			continue;
		if (c == 'q')
			return NULL;
		if (c == 'r') {
			usleep(20000);
			atomic_store(&sv->handled, true);
		} else if (c == 'h') {
			while (read(sv->hold[0], &x, 1) != 1)
				;
		} else if (c == 'p') {
			s->order.park(&s->order, true);
			atomic_store(&sv->parked, true);
			while (read(sv->hold[0], &x, 1) != 1)
				;
			s->order.park(&s->order, false);
		}
	}
}

static int setup(void **state)
{
	static struct server sv;

	assert_int_equal(thread_wake_init(), 0);
	sv.d = drain_new(2);
	assert_non_null(sv.d);
	assert_int_equal(pipe(sv.req), 0);
	assert_int_equal(pipe(sv.hold), 0);
	atomic_init(&sv.handled, false);
	atomic_init(&sv.parked, false);
	atomic_init(&sv.rounds, 0);
	drain_bind(drain_slot(sv.d, 0));
	assert_int_equal(thread_create_nosig(&sv.thread, server_main, &sv), 0);
	/* Until it is bound a wait would not wait for it. */
	while (!atomic_load(&drain_slot(sv.d, 1)->bound))
		usleep(1000);
	*state = &sv;
	return 0;
}

static int teardown(void **state)
{
	struct server *sv = *state;

	assert_int_equal(write(sv->req[1], "q", 1), 1);
	pthread_join(sv->thread, NULL);
	drain_free(sv->d);
	close(sv->req[0]);
	close(sv->req[1]);
	close(sv->hold[0]);
	close(sv->hold[1]);
	return 0;
}

static bool wait_earlier(struct server *sv, uint64_t timeout_ns)
{
	const struct req_order *o = &drain_slot(sv->d, 0)->order;

	return o->wait_earlier(o, timeout_ns);
}

/* A thread that sits in read(2) with nothing to come is woken. */
static void test_idle_thread_woken(void **state)
{
	struct server *sv = *state;
	unsigned int before = atomic_load(&sv->rounds);

	assert_true(wait_earlier(sv, 10 * SECOND));
	assert_true(atomic_load(&sv->rounds) > before);
}

/* A request sent before the wait began is handled when the wait ends. */
static void test_earlier_request_handled(void **state)
{
	struct server *sv = *state;

	atomic_store(&sv->handled, false);
	assert_int_equal(write(sv->req[1], "r", 1), 1);
	assert_true(wait_earlier(sv, 10 * SECOND));
	assert_true(atomic_load(&sv->handled));
}

/* A thread that does not come round: the wait ends at its bound. */
static void test_bounded(void **state)
{
	struct server *sv = *state;

	assert_int_equal(write(sv->req[1], "h", 1), 1);
	assert_false(wait_earlier(sv, SECOND / 20));
	assert_int_equal(write(sv->hold[1], "x", 1), 1);
	assert_true(wait_earlier(sv, 10 * SECOND));
}

/* A parked thread is not waited for (else this would be false). */
static void test_parked_not_waited_for(void **state)
{
	struct server *sv = *state;

	atomic_store(&sv->parked, false);
	assert_int_equal(write(sv->req[1], "p", 1), 1);
	while (!atomic_load(&sv->parked))
		usleep(1000);
	assert_true(wait_earlier(sv, 10 * SECOND));
	assert_int_equal(write(sv->hold[1], "x", 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_thread_woken),
		cmocka_unit_test(test_earlier_request_handled),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_parked_not_waited_for),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
