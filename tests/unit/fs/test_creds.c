/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-thread credentials: effective ids only, per thread, back to root. */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/creds.h"

static int need_root(void **state)
{
	(void)state;
	return 0;
}

/* Switching ids needs root; elsewhere the tests are skipped. */
#define REQUIRE_ROOT()            \
	do {                      \
		if (geteuid() != 0) \
			skip();   \
	} while (0)

static int back_to_root(void **state)
{
	(void)state;
	return creds_reset() ? -1 : 0;
}

static void test_switch_and_back(void **state)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	(void)state;
	REQUIRE_ROOT();
	assert_int_equal(creds_switch(1000, 1001), 0);
	assert_int_equal(getresuid(&r, &e, &s), 0);
	assert_int_equal(getresgid(&rg, &eg, &sg), 0);
	/* Only the effective ids move: real and saved stay root. */
	assert_int_equal(r, 0);
	assert_int_equal(e, 1000);
	assert_int_equal(s, 0);
	assert_int_equal(rg, 0);
	assert_int_equal(eg, 1001);
	assert_int_equal(sg, 0);
	assert_int_equal(getgroups(0, NULL), 0);

	/* Another non-root user: goes through root on the way. */
	assert_int_equal(creds_switch(2000, 2001), 0);
	assert_int_equal(geteuid(), 2000);
	assert_int_equal(getegid(), 2001);

	/* Same gid, other uid; and guest root. */
	assert_int_equal(creds_switch(2002, 2001), 0);
	assert_int_equal(geteuid(), 2002);
	assert_int_equal(creds_switch(0, 0), 0);
	assert_int_equal(geteuid(), 0);
	assert_int_equal(getegid(), 0);
	assert_int_equal(creds_switch(0, 5), 0);
	assert_int_equal(geteuid(), 0);
	assert_int_equal(getegid(), 5);

	assert_int_equal(creds_reset(), 0);
	assert_int_equal(geteuid(), 0);
	assert_int_equal(getegid(), 0);
}

static void test_invalid_id_refused(void **state)
{
	(void)state;
	REQUIRE_ROOT();
	assert_int_equal(creds_switch(1000, 1000), 0);
	/* -1 would mean "unchanged" to the syscall: refused, not ignored. */
	assert_int_equal(creds_switch(CREDS_INVALID_ID, 1000), EPERM);
	assert_int_equal(creds_switch(1000, CREDS_INVALID_ID), EPERM);
	assert_int_equal(geteuid(), 1000);
	assert_int_equal(creds_reset(), 0);
}

static void *other_thread(void *arg)
{
	uid_t *seen = arg;

	seen[0] = geteuid();
	if (creds_switch(3000, 3000))
		return NULL;
	seen[1] = geteuid();
	return NULL;
}

static void test_per_thread(void **state)
{
	uid_t seen[2] = { 99, 99 };
	pthread_t th;

	(void)state;
	REQUIRE_ROOT();
	assert_int_equal(creds_switch(1000, 1000), 0);
	assert_int_equal(pthread_create(&th, NULL, other_thread, seen), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	/*
	 * A new thread starts with a copy of its creator's ids (clone copies
	 * the task's credentials), then changes only itself.
	 */
	assert_int_equal(seen[0], 1000);
	assert_int_equal(seen[1], 3000);
	assert_int_equal(geteuid(), 1000);
	assert_int_equal(creds_reset(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_switch_and_back, need_root,
						back_to_root),
		cmocka_unit_test_setup_teardown(test_invalid_id_refused,
						need_root, back_to_root),
		cmocka_unit_test_setup_teardown(test_per_thread, need_root,
						back_to_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
