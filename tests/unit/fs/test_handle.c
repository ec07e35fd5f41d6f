/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The handle table: untrusted fh keys, kinds, release racing with use. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/handle.h"

static int new_fd(void)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static int setup(void **state)
{
	static struct handle_table t;

	if (handle_table_init(&t))
		return -1;
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	handle_table_fini(*state);
	return 0;
}

static void test_new_get_release(void **state)
{
	struct handle_table *t = *state;
	struct pt_handle *h;
	uint64_t fh;
	int fd = new_fd();

	assert_int_equal(handle_new(t, fd, HANDLE_FILE, &fh), 0);
	h = handle_get(t, fh, HANDLE_FILE);
	assert_non_null(h);
	assert_int_equal(h->fd, fd);
	assert_int_equal(h->fh, fh);
	handle_put(t, h);
	assert_int_equal(handle_count(t), 1);

	assert_int_equal(handle_release(t, fh, HANDLE_FILE), 0);
	assert_false(fd_open(fd));
	assert_null(handle_get(t, fh, HANDLE_FILE));
	assert_int_equal(handle_release(t, fh, HANDLE_FILE), -EBADF);
	assert_int_equal(handle_count(t), 0);
}

static void test_unknown_and_wrong_kind(void **state)
{
	struct handle_table *t = *state;
	uint64_t ffh, dfh;

	assert_null(handle_get(t, 0, HANDLE_FILE));
	assert_null(handle_get(t, UINT64_MAX, HANDLE_DIR));
	assert_int_equal(handle_release(t, 42, HANDLE_FILE), -EBADF);

	assert_int_equal(handle_new(t, new_fd(), HANDLE_FILE, &ffh), 0);
	assert_int_equal(handle_new(t, new_fd(), HANDLE_DIR, &dfh), 0);
	assert_true(ffh != dfh);
	/* A file fh used as a directory (or the reverse) names nothing. */
	assert_null(handle_get(t, ffh, HANDLE_DIR));
	assert_null(handle_get(t, dfh, HANDLE_FILE));
	assert_int_equal(handle_release(t, ffh, HANDLE_DIR), -EBADF);
	assert_int_equal(handle_release(t, dfh, HANDLE_FILE), -EBADF);
	assert_int_equal(handle_count(t), 2);
	assert_int_equal(handle_release(t, ffh, HANDLE_FILE), 0);
	assert_int_equal(handle_release(t, dfh, HANDLE_DIR), 0);
}

static void test_release_while_in_use(void **state)
{
	struct handle_table *t = *state;
	struct pt_handle *h;
	uint64_t fh;
	int fd = new_fd();

	assert_int_equal(handle_new(t, fd, HANDLE_DIR, &fh), 0);
	h = handle_get(t, fh, HANDLE_DIR);
	assert_non_null(h);
	/* RELEASEDIR arrives while a READDIR still uses the handle. */
	assert_int_equal(handle_release(t, fh, HANDLE_DIR), 0);
	assert_null(handle_get(t, fh, HANDLE_DIR));
	assert_true(fd_open(fd));
	pthread_mutex_lock(&h->dir_lock);
	pthread_mutex_unlock(&h->dir_lock);
	handle_put(t, h);
	assert_false(fd_open(fd));
}

static void test_fh_never_reused(void **state)
{
	struct handle_table *t = *state;
	uint64_t fh, last = 0;
	int i;

	for (i = 0; i < 500; i++) {
		assert_int_equal(handle_new(t, new_fd(), HANDLE_FILE, &fh), 0);
		assert_true(fh > last);
		assert_null(handle_get(t, last, HANDLE_FILE));
		last = fh;
		assert_int_equal(handle_release(t, fh, HANDLE_FILE), 0);
	}
	for (i = 0; i < 500; i++) {
		assert_int_equal(handle_new(t, new_fd(), HANDLE_FILE, &fh), 0);
		assert_true(fh > last);
		last = fh;
	}
	assert_int_equal(handle_count(t), 500);
}

static void test_limit(void **state)
{
	struct handle_table *t = *state;
	uint64_t fh[3], extra;
	int fd = new_fd();

	handle_table_limit(t, 3);
	assert_int_equal(handle_new(t, new_fd(), HANDLE_FILE, &fh[0]), 0);
	assert_int_equal(handle_new(t, new_fd(), HANDLE_DIR, &fh[1]), 0);
	assert_int_equal(handle_new(t, new_fd(), HANDLE_FILE, &fh[2]), 0);
	/* Files and directories together: the fourth is one too many. */
	assert_int_equal(handle_new(t, fd, HANDLE_DIR, &extra), -EMFILE);
	assert_int_equal(handle_new(t, fd, HANDLE_FILE, &extra), -EMFILE);
	/* The fd stays the caller's. */
	assert_true(fd_open(fd));
	assert_int_equal(handle_count(t), 3);
	/* A release makes room again. */
	assert_int_equal(handle_release(t, fh[1], HANDLE_DIR), 0);
	assert_int_equal(handle_new(t, fd, HANDLE_DIR, &extra), 0);
	fd = new_fd();
	assert_int_equal(handle_new(t, fd, HANDLE_FILE, &fh[1]), -EMFILE);
	close(fd);
}

static void test_release_all(void **state)
{
	struct handle_table *t = *state;
	struct pt_handle *h;
	uint64_t a, b;
	int fa = new_fd(), fb = new_fd();

	assert_int_equal(handle_new(t, fa, HANDLE_FILE, &a), 0);
	assert_int_equal(handle_new(t, fb, HANDLE_DIR, &b), 0);
	h = handle_get(t, b, HANDLE_DIR);
	handle_release_all(t);
	assert_int_equal(handle_count(t), 0);
	assert_null(handle_get(t, a, HANDLE_FILE));
	assert_false(fd_open(fa));
	assert_true(fd_open(fb)); /* still in use */
	handle_put(t, h);
	assert_false(fd_open(fb));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_get_release, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_wrong_kind,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_while_in_use,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fh_never_reused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_all, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
