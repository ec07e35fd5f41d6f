/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-thread credentials: effective ids only, per thread, back to root. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/creds.h"

/* The calling thread's effective set. */
static creds_caps_t effective(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	assert_int_equal(syscall(SYS_capget, &h, d), 0);
	return (creds_caps_t)d[0].effective | (creds_caps_t)d[1].effective << 32;
}

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
	assert_int_equal(creds_switch(CREDS_INVALID_ID, 1000), -EPERM);
	assert_int_equal(creds_switch(1000, CREDS_INVALID_ID), -EPERM);
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

#define DAC CREDS_CAP(CAP_DAC_OVERRIDE)
#define FSETID CREDS_CAP(CAP_FSETID)
#define ADMIN CREDS_CAP(CAP_SYS_ADMIN)

static void test_borrow_for_one_call(void **state)
{
	(void)state;
	REQUIRE_ROOT();
	creds_configure_caps(DAC | FSETID, 0);
	assert_int_equal(creds_switch(1000, 1000), 0);
	/* A user's thread: the kernel cleared the effective set. */
	assert_int_equal(effective(), 0);
	assert_true(creds_borrow(DAC));
	assert_int_equal(effective(), DAC);
	/* Borrows add up; one return lowers them all. */
	assert_true(creds_borrow(FSETID));
	assert_int_equal(effective(), DAC | FSETID);
	/* Nothing more to raise: the call would fail the same way again. */
	assert_false(creds_borrow(DAC));
	creds_return();
	assert_int_equal(effective(), 0);
	/* Never what was not made borrowable. */
	assert_false(creds_borrow(CREDS_CAP(CAP_CHOWN)));
	assert_int_equal(effective(), 0);
	creds_configure_caps(0, 0);
	assert_false(creds_borrow(DAC));
	creds_request_done();
	assert_int_equal(creds_reset(), 0);
}

/* The request is over: what it borrowed goes, whatever it forgot. */
static void test_request_done_returns(void **state)
{
	(void)state;
	REQUIRE_ROOT();
	creds_configure_caps(DAC, 0);
	assert_int_equal(creds_switch(1000, 1000), 0);
	assert_true(creds_borrow(DAC));
	creds_request_done();
	assert_int_equal(effective(), 0);
	creds_configure_caps(0, 0);
	assert_int_equal(creds_reset(), 0);
}

static void *held_back_thread(void *arg)
{
	creds_caps_t *seen = arg;

	/* As the daemon: every kept capability but the held-back one. */
	if (creds_switch(1000, 1000) || creds_reset())
		return NULL;
	seen[0] = effective();
	seen[1] = creds_borrow(ADMIN) ? effective() : 0;
	creds_return();
	seen[2] = effective();
	/* The daemon's own moment (a reopen) holds it back as well. */
	if (creds_switch(1000, 1000))
		return NULL;
	{
		struct creds_saved sv;

		if (creds_daemon_begin(&sv))
			return NULL;
		seen[3] = effective();
		if (creds_daemon_end(&sv))
			return NULL;
	}
	seen[4] = geteuid();
	return NULL;
}

static void test_held_back(void **state)
{
	creds_caps_t seen[5] = { 0, 0, 0, 0, 0 };
	pthread_t th;

	(void)state;
	REQUIRE_ROOT();
	/* In a thread of its own: this one keeps its capabilities. */
	creds_configure_caps(ADMIN, ADMIN);
	assert_int_equal(pthread_create(&th, NULL, held_back_thread, seen), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	creds_configure_caps(0, 0);
	assert_true(seen[0] & DAC);
	assert_false(seen[0] & ADMIN);
	assert_true(seen[1] & ADMIN);
	assert_false(seen[2] & ADMIN);
	assert_true(seen[3] & DAC);
	assert_false(seen[3] & ADMIN);
	assert_int_equal(seen[4], 1000);
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
		cmocka_unit_test_setup_teardown(test_borrow_for_one_call,
						need_root, back_to_root),
		cmocka_unit_test_setup_teardown(test_request_done_returns,
						need_root, back_to_root),
		cmocka_unit_test_setup_teardown(test_held_back, need_root,
						back_to_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
