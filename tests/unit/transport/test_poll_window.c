/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "transport/poll_window.h"

#define US 1000ull
#define MAX (100 * US)

static void feed(struct poll_window *pw, uint64_t gap, unsigned int n)
{
	while (n--)
		pw_record(pw, gap, false);
}

/* A queue thread that has seen a busy guest: twenty 5 us gaps. */
static void busy(struct poll_window *pw)
{
	pw_init(pw, MAX);
	feed(pw, 5 * US, 20);
}

/* Idle periods that get no polling from now on. */
static unsigned int periods_off(struct poll_window *pw)
{
	unsigned int off = 0;

	while (pw_window(pw) == 0)
		off++;
	return off;
}

/* Off, and before any gap was seen: sleep at once. */
static void test_off_and_fresh(void **state)
{
	struct poll_window pw;

	(void)state;
	pw_init(&pw, 0);
	feed(&pw, 5 * US, 20);
	assert_int_equal(pw_window(&pw), 0);
	pw_init(&pw, MAX);
	assert_int_equal(pw_window(&pw), 0);
}

/* Short gaps: a window that covers them, bounded by the maximum. */
static void test_short_gaps_poll(void **state)
{
	struct poll_window pw;
	uint64_t w;

	(void)state;
	busy(&pw);
	w = pw_window(&pw);
	assert_true(w > 5 * US);
	assert_true(w <= MAX);
	feed(&pw, 90 * US, 40);
	assert_int_equal(pw_window(&pw), MAX);
}

/* One pause among short gaps keeps the window (QEMU's would drop to 0). */
static void test_one_long_gap_keeps_window(void **state)
{
	struct poll_window pw;
	uint64_t w;

	(void)state;
	busy(&pw);
	w = pw_window(&pw);
	pw_record(&pw, 1000000 * US, false);
	assert_int_equal(pw_window(&pw), w);
}

/* Mostly gaps longer than the maximum: polling would burn the core. */
static void test_long_gaps_stop_polling(void **state)
{
	struct poll_window pw;

	(void)state;
	busy(&pw);
	feed(&pw, 2000 * US, 30);
	assert_int_equal(pw_window(&pw), 0);
	/* And it comes back when the guest gets busy again. */
	feed(&pw, 5 * US, 30);
	assert_true(pw_window(&pw) > 0);
}

/* Preempted while polling: off for a while, longer each time in a row. */
static void test_preemption_backs_off(void **state)
{
	struct poll_window pw;

	(void)state;
	busy(&pw);
	pw_record(&pw, 5 * US, true);
	assert_int_equal(periods_off(&pw), PW_BACKOFF_MIN);
	pw_record(&pw, 5 * US, true);
	assert_int_equal(periods_off(&pw), 2 * PW_BACKOFF_MIN);
	/* Clean polls shorten the next backoff again. */
	feed(&pw, 5 * US, 1);
	pw_record(&pw, 5 * US, true);
	assert_int_equal(periods_off(&pw), 2 * PW_BACKOFF_MIN);
	feed(&pw, 5 * US, 10);
	pw_record(&pw, 5 * US, true);
	assert_int_equal(periods_off(&pw), PW_BACKOFF_MIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_and_fresh),
		cmocka_unit_test(test_short_gaps_poll),
		cmocka_unit_test(test_one_long_gap_keeps_window),
		cmocka_unit_test(test_long_gaps_stop_polling),
		cmocka_unit_test(test_preemption_backs_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
