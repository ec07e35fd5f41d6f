/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fuse/writer.h"

/* Pieces of 3, 0, 4, 0, 3 bytes, each its own allocation. */
static const size_t split_len[5] = { 3, 0, 4, 0, 3 };

static void alloc_iov(struct iovec *iov, const size_t *len, unsigned int cnt)
{
	for (unsigned int i = 0; i < cnt; i++) {
		iov[i].iov_base = malloc(len[i] ? len[i] : 1);
		assert_non_null(iov[i].iov_base);
		memset(iov[i].iov_base, '.', len[i]);
		iov[i].iov_len = len[i];
	}
}

static void gather(const struct iovec *iov, unsigned int cnt, char *dst)
{
	for (unsigned int i = 0; i < cnt; i++) {
		memcpy(dst, iov[i].iov_base, iov[i].iov_len);
		dst += iov[i].iov_len;
	}
	*dst = '\0';
}

static void free_iov(struct iovec *iov, unsigned int cnt)
{
	for (unsigned int i = 0; i < cnt; i++)
		free(iov[i].iov_base);
}

static void test_write_exact_and_too_big(void **state)
{
	size_t len = 8;
	struct iovec iov;
	struct fuse_writer w;
	char all[16];

	(void)state;
	alloc_iov(&iov, &len, 1);
	fw_init(&w, &iov, 1);
	assert_int_equal(fw_room(&w), 8);
	assert_int_equal(fw_write(&w, "abcde", 5), 0);
	/* Too big: E2BIG and nothing written. */
	assert_int_equal(fw_write(&w, "XYZW", 4), -E2BIG);
	assert_int_equal(fw_bytes_written(&w), 5);
	assert_int_equal(fw_write(&w, "fgh", 3), 0);
	assert_int_equal(fw_room(&w), 0);
	assert_int_equal(fw_write(&w, "i", 1), -E2BIG);
	assert_int_equal(fw_write(&w, "", 0), 0);
	gather(&iov, 1, all);
	assert_string_equal(all, "abcdefgh");
	assert_int_equal(fw_bytes_written(&w), 8);
	free_iov(&iov, 1);
}

static void test_multi_iov(void **state)
{
	struct iovec iov[5];
	struct fuse_writer w;
	char all[16];

	(void)state;
	alloc_iov(iov, split_len, 5);
	fw_init(&w, iov, 5);
	assert_int_equal(fw_room(&w), 10);
	assert_int_equal(fw_write(&w, "ab", 2), 0);
	assert_int_equal(fw_write(&w, "cdefg", 5), 0);
	assert_int_equal(fw_zero(&w, 1), 0);
	assert_int_equal(fw_write(&w, "ijk", 3), -E2BIG);
	assert_int_equal(fw_write(&w, "ij", 2), 0);
	gather(iov, 5, all);
	assert_memory_equal(all, "abcdefg\0ij", 10);
	free_iov(iov, 5);
}

static void test_no_room(void **state)
{
	struct fuse_writer w;
	struct fw_mark m;
	struct iovec out[1];
	unsigned int cnt = 5;

	(void)state;
	fw_init(&w, NULL, 0);
	assert_int_equal(fw_room(&w), 0);
	assert_int_equal(fw_write(&w, "a", 1), -E2BIG);
	assert_int_equal(fw_reserve(&w, 1, &m), -E2BIG);
	assert_int_equal(fw_payload_iov(&w, 1, out, 1, &cnt), -E2BIG);
	assert_int_equal(fw_payload_iov(&w, 0, out, 1, &cnt), 0);
	assert_int_equal(cnt, 0);
	assert_int_equal(fw_commit(&w, 1), -E2BIG);
	assert_int_equal(fw_bytes_written(&w), 0);
}

static void test_reserve_fill_across_pieces(void **state)
{
	struct iovec iov[5];
	struct fuse_writer w;
	struct fw_mark m;
	char all[16];

	(void)state;
	alloc_iov(iov, split_len, 5);
	fw_init(&w, iov, 5);
	assert_int_equal(fw_write(&w, "a", 1), 0);
	assert_int_equal(fw_reserve(&w, 5, &m), 0);
	assert_int_equal(fw_write(&w, "ghij", 4), 0);
	assert_int_equal(fw_fill(&w, &m, "BCDEFX", 6), -E2BIG);
	assert_int_equal(fw_fill(&w, &m, "BCDEF", 5), 0);
	gather(iov, 5, all);
	assert_string_equal(all, "aBCDEFghij");
	assert_int_equal(fw_reserve(&w, 1, &m), -E2BIG);
	free_iov(iov, 5);
}

static void test_rewind(void **state)
{
	struct iovec iov[5];
	struct fuse_writer w;
	struct fw_mark m;
	char all[16];

	(void)state;
	alloc_iov(iov, split_len, 5);
	fw_init(&w, iov, 5);
	assert_int_equal(fw_reserve(&w, 2, &m), 0);
	assert_int_equal(fw_write(&w, "cdefgh", 6), 0);
	fw_rewind(&w, &m);
	assert_int_equal(fw_bytes_written(&w), 2);
	assert_int_equal(fw_room(&w), 8);
	assert_int_equal(fw_write(&w, "CDEFGHIJ", 8), 0);
	assert_int_equal(fw_fill(&w, &m, "AB", 2), 0);
	gather(iov, 5, all);
	assert_string_equal(all, "ABCDEFGHIJ");
	free_iov(iov, 5);
}

static void test_payload_and_commit(void **state)
{
	struct iovec iov[5], out[4];
	struct fuse_writer w;
	unsigned int cnt = 0;
	char all[16];

	(void)state;
	alloc_iov(iov, split_len, 5);
	fw_init(&w, iov, 5);
	assert_int_equal(fw_write(&w, "H", 1), 0);
	assert_int_equal(fw_room_iov(&w, 1), 2);
	assert_int_equal(fw_room_iov(&w, 2), 6);
	assert_int_equal(fw_room_iov(&w, 100), 9);
	assert_int_equal(fw_payload_iov(&w, 10, out, 4, &cnt), -E2BIG);
	assert_int_equal(fw_payload_iov(&w, 9, out, 2, &cnt), -E2BIG);
	assert_int_equal(fw_payload_iov(&w, 7, out, 4, &cnt), 0);
	assert_int_equal(cnt, 3);
	assert_ptr_equal(out[0].iov_base, (char *)iov[0].iov_base + 1);
	assert_int_equal(out[0].iov_len, 2);
	assert_int_equal(out[1].iov_len, 4);
	assert_int_equal(out[2].iov_len, 1);
	/* Describing room takes nothing. */
	assert_int_equal(fw_bytes_written(&w), 1);
	memcpy(out[0].iov_base, "ab", 2);
	memcpy(out[1].iov_base, "cdef", 4);
	memcpy(out[2].iov_base, "g", 1);
	assert_int_equal(fw_commit(&w, 7), 0);
	assert_int_equal(fw_bytes_written(&w), 8);
	assert_int_equal(fw_commit(&w, 3), -E2BIG);
	assert_int_equal(fw_write(&w, "zz", 2), 0);
	gather(iov, 5, all);
	assert_string_equal(all, "Habcdefgzz");
	free_iov(iov, 5);
}

static void test_overflowing_lengths(void **state)
{
	char *mem = malloc(8);
	struct iovec iov[2] = { { mem, SIZE_MAX / 2 + 1 },
				{ mem, SIZE_MAX / 2 + 1 } };
	struct fuse_writer w;
	struct fw_mark m;

	(void)state;
	assert_non_null(mem);
	fw_init(&w, iov, 2);
	assert_int_equal(fw_room(&w), SIZE_MAX);
	assert_int_equal(fw_reserve(&w, 8, &m), 0);
	assert_int_equal(fw_fill(&w, &m, "01234567", 8), 0);
	assert_memory_equal(mem, "01234567", 8);
	assert_int_equal(fw_bytes_written(&w), 8);
	assert_int_equal(fw_room(&w), SIZE_MAX - 8);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_exact_and_too_big),
		cmocka_unit_test(test_multi_iov),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_reserve_fill_across_pieces),
		cmocka_unit_test(test_rewind),
		cmocka_unit_test(test_payload_and_commit),
		cmocka_unit_test(test_overflowing_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
