/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * READ/WRITE zero-copy and directory packing through
 * fuse_session_process(), with the reply room split in pieces.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

/* ---- file I/O ---- */

static void test_read_across_out_iovecs(void **state)
{
	struct t_ctx *c = *state;
	static const size_t out_parts[] = { 16, 5, 0, 30, 3, 200 };
	struct fuse_read_in ri = { .fh = 4, .offset = 100, .size = 50 };
	char data[64];
	uint8_t out[254];
	struct fuse_out_header oh;
	size_t n, inlen;

	for (int i = 0; i < 64; i++)
		data[i] = (char)('A' + i % 26);
	mock.data = data;
	mock.data_len = 64;
	tm_start(c->m, FUSE_READ, 3);
	tm_add(c->m, &ri, sizeof(ri));
	tm_finish(c->m);
	inlen = c->m->len;
	n = t_run_split(c->s, c->m->buf, &inlen, 1, out, out_parts, 6);
	assert_int_equal(n, sizeof(oh) + 50);
	memcpy(&oh, out, sizeof(oh));
	assert_int_equal(oh.error, 0);
	assert_int_equal(oh.len, n);
	assert_memory_equal(out + sizeof(oh), data, 50);
	/* 5 | 30 | 3 | 12: four pieces, the empty one left out. */
	assert_int_equal(mock.iov_cnt, 4);
	assert_int_equal(mock.fh, 4);
	assert_int_equal(mock.off, 100);
	assert_int_equal(mock.nodeid, 3);
}

static void test_read_capped(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_session_opts o = *t_default_opts();
	struct fuse_read_in ri = { .size = 100000 };
	static char data[8192];

	memset(data, 'z', sizeof(data));
	/* Capped by the out room. */
	mock.data = data;
	mock.data_len = sizeof(data);
	tm_start(c->m, FUSE_READ, 3);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(t_ctx_call(c, sizeof(c->oh) + 10), sizeof(c->oh) + 10);
	assert_int_equal(c->oh.error, 0);

	/* Capped by max_write. */
	o.max_write = 4096;
	fuse_session_free(c->s);
	c->s = t_session(&o);
	mock.data = data;
	mock.data_len = sizeof(data);
	tm_start(c->m, FUSE_READ, 3);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(t_ctx_call(c, sizeof(c->body)), sizeof(c->oh) + 4096);

	/* Short at EOF, and errors. */
	mock.data_len = 7;
	tm_start(c->m, FUSE_READ, 3);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(t_ctx_call(c, 512), sizeof(c->oh) + 7);
	mock.ret = -EBADF;
	tm_start(c->m, FUSE_READ, 3);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(t_ctx_call(c, 512), sizeof(c->oh));
	assert_int_equal(c->oh.error, -EBADF);
}

static void test_write(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_write_in wi = { .fh = 5, .offset = 9, .size = 26,
				    .write_flags = FUSE_WRITE_KILL_SUIDGID };
	static const size_t in_parts[] = { 40, 30, 0, 16, 10, 10 };
	struct fuse_write_out wo;
	uint8_t out[64];
	size_t outlen = sizeof(out), n;

	tm_start(c->m, FUSE_WRITE, 3);
	tm_add(c->m, &wi, sizeof(wi));
	tm_add(c->m, "abcdefghijklmnopqrstuvwxyz", 26);
	tm_finish(c->m);
	assert_int_equal(c->m->len, 106);
	n = t_run_split(c->s, c->m->buf, in_parts, 6, out, &outlen, 1);
	assert_int_equal(n, sizeof(c->oh) + sizeof(wo));
	memcpy(&c->oh, out, sizeof(c->oh));
	memcpy(&wo, out + sizeof(c->oh), sizeof(wo));
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(wo.size, 26);
	assert_int_equal(mock.written_len, 26);
	assert_memory_equal(mock.written, "abcdefghijklmnopqrstuvwxyz", 26);
	/* abcdef (the rest of the 16-byte piece) | ghijklmnop | qrstuvwxyz */
	assert_int_equal(mock.iov_cnt, 3);
	assert_true(mock.kill_priv);
	assert_int_equal(mock.fh, 5);
	assert_int_equal(mock.off, 9);
}

static void test_write_bad_sizes(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_session_opts o = *t_default_opts();
	struct fuse_write_in wi = { .size = 26 };
	static char big[8192];

	/* Short payload. */
	tm_start(c->m, FUSE_WRITE, 3);
	tm_add(c->m, &wi, sizeof(wi));
	tm_add(c->m, "abcdefghijklmnopqrstuvwxy", 25);
	t_ctx_call(c, 256);
	assert_int_equal(c->oh.error, -EINVAL);
	/* More than announced. */
	tm_start(c->m, FUSE_WRITE, 3);
	tm_add(c->m, &wi, sizeof(wi));
	tm_add(c->m, "abcdefghijklmnopqrstuvwxyz!", 27);
	t_ctx_call(c, 256);
	assert_int_equal(c->oh.error, -EINVAL);
	assert_int_equal(mock.calls, 0);

	/* More than max_write, even if present. */
	o.max_write = 4096;
	fuse_session_free(c->s);
	c->s = t_session(&o);
	wi.size = sizeof(big);
	tm_start(c->m, FUSE_WRITE, 3);
	tm_add(c->m, &wi, sizeof(wi));
	tm_add(c->m, big, sizeof(big));
	t_ctx_call(c, 256);
	assert_int_equal(c->oh.error, -EINVAL);
	assert_int_equal(mock.calls, 0);
}

static void test_small_file_ops(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_flush_in fi = { .fh = 1, .lock_owner = 0xabc };
	struct fuse_fsync_in si = { .fh = 2,
				    .fsync_flags = FUSE_FSYNC_FDATASYNC };
	struct fuse_fallocate_in ai = { .fh = 3, .offset = 10, .length = 20,
					.mode = 1 };
	struct fuse_lseek_in li = { .fh = 4, .offset = 30, .whence = 3 };
	struct fuse_release_in ri = { .fh = 5 };
	struct fuse_lseek_out lo;

	tm_start(c->m, FUSE_FLUSH, 1);
	tm_add(c->m, &fi, sizeof(fi));
	t_ctx_call(c, 256);
	assert_string_equal(mock.last_op, "flush");
	assert_int_equal(mock.lock_owner, 0xabc);

	tm_start(c->m, FUSE_FSYNC, 1);
	tm_add(c->m, &si, sizeof(si));
	t_ctx_call(c, 256);
	assert_string_equal(mock.last_op, "fsync");
	assert_true(mock.datasync);
	assert_int_equal(mock.fh, 2);

	tm_start(c->m, FUSE_FSYNCDIR, 1);
	si.fsync_flags = 0;
	tm_add(c->m, &si, sizeof(si));
	t_ctx_call(c, 256);
	assert_string_equal(mock.last_op, "fsyncdir");
	assert_false(mock.datasync);

	tm_start(c->m, FUSE_FALLOCATE, 1);
	tm_add(c->m, &ai, sizeof(ai));
	t_ctx_call(c, 256);
	assert_int_equal(mock.off, 10);
	assert_int_equal(mock.len, 20);
	assert_int_equal(mock.mode, 1);

	tm_start(c->m, FUSE_LSEEK, 1);
	tm_add(c->m, &li, sizeof(li));
	t_ctx_call(c, 256);
	memcpy(&lo, c->body, sizeof(lo));
	assert_int_equal(lo.offset, 31);
	assert_int_equal(mock.whence, 3);

	tm_start(c->m, FUSE_RELEASE, 1);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(t_ctx_call(c, 256), sizeof(c->oh));
	assert_int_equal(mock.releases, 1);
	assert_int_equal(mock.fh, 5);
	tm_start(c->m, FUSE_RELEASEDIR, 1);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(t_ctx_call(c, 256), sizeof(c->oh));
	assert_int_equal(mock.releases, 2);
}

/* ---- directories ---- */

static void test_readdir_until_full(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_read_in ri = { .fh = 8, .offset = 0, .size = 200 };
	size_t n, pos = 0;
	unsigned int i = 0;

	mock.dir_entries = 100;
	tm_start(c->m, FUSE_READDIR, 2);
	tm_add(c->m, &ri, sizeof(ri));
	n = t_ctx_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_true(n - sizeof(c->oh) <= 200);
	assert_true(mock.dir_saw_full);
	/* "eN": 24 + 2 or 3 bytes, padded to 32: six fit in 200. */
	assert_int_equal(mock.dir_taken, 6);
	while (pos < n - sizeof(c->oh)) {
		struct fuse_dirent d;
		char name[8];

		memcpy(&d, c->body + pos, sizeof(d));
		snprintf(name, sizeof(name), "e%u", i);
		assert_int_equal(d.namelen, strlen(name));
		assert_memory_equal(c->body + pos + FUSE_NAME_OFFSET, name,
				    d.namelen);
		assert_int_equal(d.ino, 500 + i);
		assert_int_equal(d.off, i + 1);
		assert_int_equal(d.type, 8);
		/* Padding is zeroed, not left as the buffer's old bytes. */
		for (size_t p = FUSE_NAME_OFFSET + d.namelen;
		     p < FUSE_DIRENT_SIZE(&d); p++)
			assert_int_equal(c->body[pos + p], 0);
		pos += FUSE_DIRENT_SIZE(&d);
		i++;
	}
	assert_int_equal(pos, n - sizeof(c->oh));
	assert_int_equal(i, 6);

	/* The out room caps the kernel's size. */
	mock.dir_taken = 0;
	ri.size = 4096;
	tm_start(c->m, FUSE_READDIR, 2);
	tm_add(c->m, &ri, sizeof(ri));
	n = t_ctx_call(c, sizeof(c->oh) + 70);
	assert_int_equal(n, sizeof(c->oh) + 64);
	assert_int_equal(mock.dir_taken, 2);
}

static void test_readdir_end_and_errors(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_read_in ri = { .fh = 8, .offset = 3, .size = 4096 };

	/* From offset 3 of 5: two entries then the end. */
	mock.dir_entries = 5;
	tm_start(c->m, FUSE_READDIR, 2);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(t_ctx_call(c, 8192), sizeof(c->oh) + 64);
	assert_false(mock.dir_saw_full);
	assert_int_equal(mock.off, 3);

	/* An error after some entries: the entries win. */
	mock.dir_ret = -EIO;
	tm_start(c->m, FUSE_READDIR, 2);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(t_ctx_call(c, 8192), sizeof(c->oh) + 64);
	assert_int_equal(c->oh.error, 0);
	/* An error with nothing packed is the reply. */
	ri.offset = 5;
	tm_start(c->m, FUSE_READDIR, 2);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(t_ctx_call(c, 8192), sizeof(c->oh));
	assert_int_equal(c->oh.error, -EIO);
	/* No room for a header: nothing at all. */
	tm_start(c->m, FUSE_READDIR, 2);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(t_ctx_call(c, 10), 0);
}

static void test_readdirplus_until_full(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_read_in ri = { .fh = 8, .offset = 0, .size = 4096 };
	size_t n, pos = 0, one;
	unsigned int i = 0;
	uint64_t first_node = mock.next_nodeid;

	mock.dir_entries = 100;
	tm_start(c->m, FUSE_READDIRPLUS, 2);
	tm_add(c->m, &ri, sizeof(ri));
	n = t_ctx_call(c, 8192);
	assert_int_equal(c->oh.error, 0);
	one = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + 2);
	assert_int_equal(one, 160);
	/* 10 * 160 + 15 * 160 ... all names are 2-3 chars: 160 each. */
	assert_int_equal(mock.dir_taken, 4096 / 160);
	assert_true(mock.dir_saw_full);
	while (pos < n - sizeof(c->oh)) {
		struct fuse_direntplus d;

		memcpy(&d, c->body + pos, sizeof(d));
		assert_int_equal(d.entry_out.nodeid, first_node + i);
		assert_int_equal(d.entry_out.entry_valid, 1);
		assert_int_equal(d.entry_out.attr.size, 4242);
		assert_int_equal(d.dirent.off, i + 1);
		assert_int_equal(d.dirent.ino, 500 + i);
		pos += FUSE_DIRENTPLUS_SIZE(&d);
		i++;
	}
	assert_int_equal(pos, n - sizeof(c->oh));
	assert_int_equal(i, mock.dir_taken);
	/* The entry that did not fit had its reference dropped. */
	assert_int_equal(mock.nforget, 1);
	assert_int_equal(mock.forget[0][0], first_node + i);
}

static void test_opendir_flags(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_session_opts o = *t_default_opts();
	struct fuse_open_in oi = { .flags = O_RDONLY | O_DIRECTORY };
	struct fuse_open_out oo;

	o.cache = FUSE_CACHE_ALWAYS;
	fuse_session_free(c->s);
	c->s = t_session(&o);
	tm_start(c->m, FUSE_OPENDIR, 2);
	tm_add(c->m, &oi, sizeof(oi));
	t_ctx_call(c, 256);
	assert_int_equal(c->oh.error, 0);
	memcpy(&oo, c->body, sizeof(oo));
	assert_int_equal(oo.open_flags, FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR);
	assert_int_equal(oo.fh, mock.next_fh - 1);
	assert_int_equal(mock.flags, O_RDONLY | O_DIRECTORY);
}

#define T(f) cmocka_unit_test_setup_teardown(f, t_ctx_setup, t_ctx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_read_across_out_iovecs),
		T(test_read_capped),
		T(test_write),
		T(test_write_bad_sizes),
		T(test_small_file_ops),
		T(test_readdir_until_full),
		T(test_readdir_end_and_errors),
		T(test_readdirplus_until_full),
		T(test_opendir_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
