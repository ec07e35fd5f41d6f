/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fuse/reader.h"
#include "util/compiler.h"

static char *dup_bytes(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

static void free_iov(struct iovec *iov, unsigned int cnt)
{
	for (unsigned int i = 0; i < cnt; i++)
		free(iov[i].iov_base);
}

/* "abcdefghij" as pieces of 3, 0, 4, 0, 3 bytes. */
static void split_iov(struct iovec iov[5])
{
	static const char *s = "abcdefghij";
	static const size_t len[5] = { 3, 0, 4, 0, 3 };
	size_t pos = 0;

	for (unsigned int i = 0; i < 5; i++) {
		iov[i].iov_base = dup_bytes(s + pos, len[i]);
		iov[i].iov_len = len[i];
		pos += len[i];
	}
}

static void test_read_exact_and_past_end(void **state)
{
	struct iovec iov = { dup_bytes("0123456789", 10), 10 };
	struct fuse_reader r;
	char buf[16];

	(void)state;
	fr_init(&r, &iov, 1, SIZE_MAX);
	assert_int_equal(fr_remaining(&r), 10);
	assert_int_equal(fr_read_obj(&r, buf, 4), 0);
	assert_memory_equal(buf, "0123", 4);
	/* One byte too many fails and leaves the reader where it was. */
	assert_int_equal(fr_read_obj(&r, buf, 7), -EINVAL);
	assert_int_equal(fr_remaining(&r), 6);
	assert_int_equal(fr_read_obj(&r, buf, 6), 0);
	assert_memory_equal(buf, "456789", 6);
	assert_int_equal(fr_remaining(&r), 0);
	assert_int_equal(fr_read_obj(&r, buf, 1), -EINVAL);
	assert_int_equal(fr_read_obj(&r, buf, 0), 0);
	free_iov(&iov, 1);
}

static void test_limit_hides_tail(void **state)
{
	struct iovec iov = { dup_bytes("0123456789", 10), 10 };
	struct fuse_reader r;
	char buf[16];

	(void)state;
	fr_init(&r, &iov, 1, 6);
	assert_int_equal(fr_remaining(&r), 6);
	assert_int_equal(fr_read_obj(&r, buf, 7), -EINVAL);
	assert_int_equal(fr_skip(&r, 2), 0);
	assert_int_equal(fr_read_obj(&r, buf, 4), 0);
	assert_memory_equal(buf, "2345", 4);
	assert_int_equal(fr_read_obj(&r, buf, 1), -EINVAL);
	/* A limit larger than the buffers is capped by them. */
	fr_init(&r, &iov, 1, 100);
	assert_int_equal(fr_remaining(&r), 10);
	free_iov(&iov, 1);
}

static void test_multi_iov_with_empty_pieces(void **state)
{
	struct iovec iov[5];
	struct fuse_reader r;
	char buf[16];

	(void)state;
	split_iov(iov);
	fr_init(&r, iov, 5, SIZE_MAX);
	assert_int_equal(fr_remaining(&r), 10);
	assert_int_equal(fr_read_obj(&r, buf, 2), 0);
	assert_memory_equal(buf, "ab", 2);
	/* Across the first boundary and the empty piece after it. */
	assert_int_equal(fr_read_obj(&r, buf, 5), 0);
	assert_memory_equal(buf, "cdefg", 5);
	assert_int_equal(fr_read_obj(&r, buf, 4), -EINVAL);
	assert_int_equal(fr_read_obj(&r, buf, 3), 0);
	assert_memory_equal(buf, "hij", 3);
	assert_int_equal(fr_remaining(&r), 0);
	free_iov(iov, 5);
}

static void test_no_iovecs(void **state)
{
	struct fuse_reader r;
	struct iovec out[2];
	unsigned int cnt = 9;
	char buf[2];

	(void)state;
	fr_init(&r, NULL, 0, SIZE_MAX);
	assert_int_equal(fr_remaining(&r), 0);
	assert_int_equal(fr_read_obj(&r, buf, 1), -EINVAL);
	assert_int_equal(fr_read_str(&r, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(fr_payload_iov(&r, 0, out, 2, &cnt), 0);
	assert_int_equal(cnt, 0);
}

static void test_overflowing_lengths(void **state)
{
	char *mem = dup_bytes("abcdefgh", 8);
	/* Lengths that sum past SIZE_MAX: only the first 8 bytes exist. */
	struct iovec iov[2] = { { mem, SIZE_MAX / 2 + 1 },
				{ mem, SIZE_MAX / 2 + 1 } };
	struct fuse_reader r;
	char buf[8];

	(void)state;
	fr_init(&r, iov, 2, 8);
	assert_int_equal(fr_remaining(&r), 8);
	assert_int_equal(fr_read_obj(&r, buf, SIZE_MAX), -EINVAL);
	assert_int_equal(fr_skip(&r, SIZE_MAX), -EINVAL);
	assert_int_equal(fr_read_obj(&r, buf, 8), 0);
	assert_memory_equal(buf, "abcdefgh", 8);
	assert_int_equal(fr_read_obj(&r, buf, 1), -EINVAL);
	fr_init(&r, iov, 2, SIZE_MAX);
	assert_int_equal(fr_remaining(&r), SIZE_MAX);
	free(mem);
}

static void test_str(void **state)
{
	struct iovec iov = { dup_bytes("foo\0bar\0baz", 11), 11 };
	struct fuse_reader r;
	char buf[8];

	(void)state;
	fr_init(&r, &iov, 1, SIZE_MAX);
	assert_int_equal(fr_read_str(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "foo");
	assert_int_equal(fr_remaining(&r), 7);
	assert_int_equal(fr_read_str(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "bar");
	/* "baz" has no NUL before the end: refused, reader unchanged. */
	assert_int_equal(fr_read_str(&r, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(fr_remaining(&r), 3);
	free_iov(&iov, 1);
}

static void test_str_cap_and_limit(void **state)
{
	struct iovec iov = { dup_bytes("abcd\0", 5), 5 };
	struct fuse_reader r;
	char buf[5];

	(void)state;
	fr_init(&r, &iov, 1, SIZE_MAX);
	/* Four characters and the NUL need a cap of five. */
	assert_int_equal(fr_read_str(&r, buf, 4), -ENAMETOOLONG);
	assert_int_equal(fr_remaining(&r), 5);
	assert_int_equal(fr_read_str(&r, buf, 5), 0);
	assert_string_equal(buf, "abcd");
	/* The NUL lies past the limit: the string is unterminated. */
	fr_init(&r, &iov, 1, 4);
	assert_int_equal(fr_read_str(&r, buf, 5), -EINVAL);
	assert_int_equal(fr_read_str(&r, buf, 0), -ENAMETOOLONG);
	free_iov(&iov, 1);
}

static void test_str_across_iovecs(void **state)
{
	struct iovec iov[4] = {
		{ dup_bytes("ab", 2), 2 },
		{ dup_bytes("", 0), 0 },
		{ dup_bytes("c", 1), 1 },
		{ dup_bytes("d\0e", 3), 3 },
	};
	struct fuse_reader r;
	char buf[16];

	(void)state;
	fr_init(&r, iov, 4, SIZE_MAX);
	assert_int_equal(fr_read_str(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "abcd");
	assert_int_equal(fr_remaining(&r), 1);
	assert_int_equal(fr_read_obj(&r, buf, 1), 0);
	assert_int_equal(buf[0], 'e');
	free_iov(iov, 4);
}

static void test_payload_iov(void **state)
{
	struct iovec iov[5], out[4];
	struct fuse_reader r;
	unsigned int cnt = 0;
	char buf[4];

	(void)state;
	split_iov(iov);
	fr_init(&r, iov, 5, SIZE_MAX);
	assert_int_equal(fr_read_obj(&r, buf, 1), 0);
	/* bc | defg | h: empty pieces are left out. */
	assert_int_equal(fr_payload_iov(&r, 7, out, 4, &cnt), 0);
	assert_int_equal(cnt, 3);
	assert_ptr_equal(out[0].iov_base, (char *)iov[0].iov_base + 1);
	assert_int_equal(out[0].iov_len, 2);
	assert_ptr_equal(out[1].iov_base, iov[2].iov_base);
	assert_int_equal(out[1].iov_len, 4);
	assert_ptr_equal(out[2].iov_base, iov[4].iov_base);
	assert_int_equal(out[2].iov_len, 1);
	assert_int_equal(fr_remaining(&r), 2);
	assert_int_equal(fr_payload_iov(&r, 3, out, 4, &cnt), -EINVAL);
	assert_int_equal(fr_read_obj(&r, buf, 2), 0);
	assert_memory_equal(buf, "ij", 2);
	free_iov(iov, 5);
}

static void test_payload_iov_too_many_pieces(void **state)
{
	struct iovec iov[5], out[2];
	struct fuse_reader r;
	unsigned int cnt = 0;

	(void)state;
	split_iov(iov);
	fr_init(&r, iov, 5, SIZE_MAX);
	assert_int_equal(fr_payload_iov(&r, 10, out, 2, &cnt), -EINVAL);
	assert_int_equal(fr_remaining(&r), 10);
	assert_int_equal(fr_payload_iov(&r, 7, out, 2, &cnt), 0);
	assert_int_equal(cnt, 2);
	/* The limit also bounds payloads. */
	fr_init(&r, iov, 5, 5);
	assert_int_equal(fr_payload_iov(&r, 6, out, 2, &cnt), -EINVAL);
	free_iov(iov, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_exact_and_past_end),
		cmocka_unit_test(test_limit_hides_tail),
		cmocka_unit_test(test_multi_iov_with_empty_pieces),
		cmocka_unit_test(test_no_iovecs),
		cmocka_unit_test(test_overflowing_lengths),
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_str_cap_and_limit),
		cmocka_unit_test(test_str_across_iovecs),
		cmocka_unit_test(test_payload_iov),
		cmocka_unit_test(test_payload_iov_too_many_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
