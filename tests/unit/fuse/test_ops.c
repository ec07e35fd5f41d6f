// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-op decoding and reply packing through fuse_session_process():
 * READ/WRITE zero-copy, directory packing, names, attributes and the cache
 * mode's effect on replies.
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
#include <sys/sysmacros.h>
#include <cmocka.h>

#include "fuse/reply.h"
#include "harness.h"

struct ctx {
	struct fuse_session *s;
	struct tmsg *m;
	struct fuse_out_header oh;
	uint8_t body[1 << 16];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->m = malloc(sizeof(*c->m));
	assert_non_null(c->m);
	c->s = t_session(NULL);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	fuse_session_free(c->s);
	free(c->m);
	free(c);
	return 0;
}

static size_t call(struct ctx *c, size_t outlen)
{
	return t_call(c->s, c->m, &c->oh, c->body, outlen);
}

/* ---- names ---- */

static void test_name_checks(void **state)
{
	struct ctx *c = *state;
	char longname[300];

	tm_start(c->m, FUSE_LOOKUP, 1);
	tm_add(c->m, "abc", 3); /* no NUL */
	call(c, 256);
	assert_int_equal(c->oh.error, -EINVAL);

	tm_start(c->m, FUSE_LOOKUP, 1);
	tm_add_str(c->m, "a/b");
	call(c, 256);
	assert_int_equal(c->oh.error, -EINVAL);

	tm_start(c->m, FUSE_LOOKUP, 1);
	tm_add_str(c->m, "");
	call(c, 256);
	assert_int_equal(c->oh.error, -EINVAL);

	memset(longname, 'x', sizeof(longname));
	longname[256] = '\0';
	tm_start(c->m, FUSE_LOOKUP, 1);
	tm_add_str(c->m, longname);
	call(c, 256);
	assert_int_equal(c->oh.error, -ENAMETOOLONG);
	assert_int_equal(mock.calls, 0);

	longname[255] = '\0';
	tm_start(c->m, FUSE_LOOKUP, 1);
	tm_add_str(c->m, longname);
	call(c, 256);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(strlen(mock.name), 255);
}

static void test_name_nul_past_len(void **state)
{
	struct ctx *c = *state;
	uint8_t out[256];
	struct fuse_out_header oh;

	tm_start(c->m, FUSE_LOOKUP, 1);
	tm_add_str(c->m, "name");
	tm_finish(c->m);
	/* The NUL is in the buffer but not inside len. */
	tm_hdr(c->m)->len -= 1;
	t_run(c->s, c->m->buf, c->m->len, out, sizeof(out));
	memcpy(&oh, out, sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	assert_int_equal(mock.calls, 0);
}

/* ---- entries ---- */

static void check_entry(const struct ctx *c, uint64_t valid)
{
	struct fuse_entry_out e;

	assert_int_equal(c->oh.len, sizeof(c->oh) + sizeof(e));
	memcpy(&e, c->body, sizeof(e));
	assert_int_equal(e.nodeid, mock.next_nodeid - 1);
	assert_int_equal(e.generation, 3);
	assert_int_equal(e.entry_valid, valid);
	assert_int_equal(e.attr_valid, valid);
	assert_int_equal(e.attr.ino, e.nodeid + 1000);
	assert_int_equal(e.attr.size, 4242);
	assert_int_equal(e.attr.mode, 0100644);
	assert_int_equal(e.attr.mtime, 1700000000);
	assert_int_equal(e.attr.mtimensec, 123456789);
}

static void test_lookup_entry(void **state)
{
	struct ctx *c = *state;

	tm_start(c->m, FUSE_LOOKUP, 5);
	tm_add_str(c->m, "file");
	call(c, 512);
	assert_int_equal(c->oh.error, 0);
	assert_string_equal(mock.last_op, "lookup");
	assert_int_equal(mock.parent, 5);
	check_entry(c, 1);
}

static void test_cache_modes(void **state)
{
	static const struct {
		enum fuse_cache_mode mode;
		uint64_t valid;
		uint32_t open_flags;
	} cases[] = {
		{ FUSE_CACHE_NEVER, 0, FOPEN_DIRECT_IO },
		{ FUSE_CACHE_AUTO, 1, 0 },
		{ FUSE_CACHE_ALWAYS, 86400, FOPEN_KEEP_CACHE },
	};
	struct ctx *c = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fuse_session_opts o = *t_default_opts();
		struct fuse_open_in oi = { .flags = O_RDWR | O_DIRECT };
		struct fuse_open_out oo;
		struct fuse_attr_out ao;

		o.cache = cases[i].mode;
		fuse_session_free(c->s);
		c->s = t_session(&o);

		tm_start(c->m, FUSE_LOOKUP, 1);
		tm_add_str(c->m, "f");
		call(c, 512);
		check_entry(c, cases[i].valid);

		tm_start(c->m, FUSE_GETATTR, 1);
		{
			struct fuse_getattr_in gi = { 0 };

			tm_add(c->m, &gi, sizeof(gi));
		}
		call(c, 512);
		memcpy(&ao, c->body, sizeof(ao));
		assert_int_equal(ao.attr_valid, cases[i].valid);

		tm_start(c->m, FUSE_OPEN, 9);
		tm_add(c->m, &oi, sizeof(oi));
		call(c, 512);
		assert_int_equal(c->oh.error, 0);
		memcpy(&oo, c->body, sizeof(oo));
		assert_int_equal(oo.open_flags, cases[i].open_flags);
		assert_int_equal(oo.fh, mock.next_fh - 1);
		/* O_DIRECT is not honoured unless allowed. */
		assert_int_equal(mock.flags, O_RDWR);
	}
}

static void test_open_direct_allowed(void **state)
{
	struct ctx *c = *state;
	struct fuse_session_opts o = *t_default_opts();
	struct fuse_open_in oi = { .flags = O_RDONLY | O_DIRECT };

	o.allow_direct_io = true;
	fuse_session_free(c->s);
	c->s = t_session(&o);
	tm_start(c->m, FUSE_OPEN, 9);
	tm_add(c->m, &oi, sizeof(oi));
	call(c, 512);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(mock.flags, O_RDONLY | O_DIRECT);
}

static void test_open_reply_lost_releases(void **state)
{
	struct ctx *c = *state;
	struct fuse_open_in oi = { .flags = O_RDONLY };

	tm_start(c->m, FUSE_OPEN, 9);
	tm_add(c->m, &oi, sizeof(oi));
	assert_int_equal(call(c, sizeof(c->oh) + 4), sizeof(c->oh));
	assert_int_equal(c->oh.error, -E2BIG);
	assert_int_equal(mock.releases, 1);
	assert_int_equal(mock.fh, mock.next_fh - 1);

	tm_start(c->m, FUSE_OPENDIR, 9);
	tm_add(c->m, &oi, sizeof(oi));
	assert_int_equal(call(c, 8), 0);
	assert_int_equal(mock.releases, 2);
}

static void test_create(void **state)
{
	struct ctx *c = *state;
	struct fuse_create_in ci = { .flags = O_WRONLY | O_CREAT | O_DIRECT,
				     .mode = 0100640, .umask = 022 };
	struct fuse_open_out oo;

	tm_start(c->m, FUSE_CREATE, 3);
	tm_add(c->m, &ci, sizeof(ci));
	tm_add_str(c->m, "new");
	call(c, 512);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(c->oh.len, sizeof(c->oh) +
					    sizeof(struct fuse_entry_out) +
					    sizeof(oo));
	memcpy(&oo, c->body + sizeof(struct fuse_entry_out), sizeof(oo));
	assert_int_equal(oo.fh, mock.next_fh - 1);
	assert_int_equal(mock.parent, 3);
	assert_string_equal(mock.name, "new");
	assert_int_equal(mock.mode, 0100640);
	assert_int_equal(mock.umask, 022);
	assert_int_equal(mock.flags, O_WRONLY | O_CREAT);

	/* Room for the entry but not the open: both are taken back. */
	tm_start(c->m, FUSE_CREATE, 3);
	tm_add(c->m, &ci, sizeof(ci));
	tm_add_str(c->m, "new2");
	call(c, sizeof(c->oh) + sizeof(struct fuse_entry_out) + 4);
	assert_int_equal(c->oh.error, -E2BIG);
	assert_int_equal(mock.releases, 1);
	assert_int_equal(mock.nforget, 1);
	assert_int_equal(mock.forget[0][0], mock.next_nodeid - 1);
}

static void test_mknod_mkdir_symlink_link(void **state)
{
	struct ctx *c = *state;
	struct fuse_mknod_in mi = { .mode = 010644, .rdev = 0x1234,
				    .umask = 027 };
	struct fuse_mkdir_in di = { .mode = 0755, .umask = 022 };
	struct fuse_link_in li = { .oldnodeid = 55 };

	tm_start(c->m, FUSE_MKNOD, 2);
	tm_add(c->m, &mi, sizeof(mi));
	tm_add_str(c->m, "fifo");
	call(c, 512);
	assert_int_equal(c->oh.error, 0);
	assert_string_equal(mock.last_op, "mknod");
	assert_int_equal(mock.mode, 010644);
	assert_int_equal(mock.rdev, 0x1234);
	assert_int_equal(mock.umask, 027);
	check_entry(c, 1);

	tm_start(c->m, FUSE_MKDIR, 2);
	tm_add(c->m, &di, sizeof(di));
	tm_add_str(c->m, "dir");
	call(c, 512);
	assert_string_equal(mock.last_op, "mkdir");
	assert_string_equal(mock.name, "dir");
	assert_int_equal(mock.mode, 0755);
	check_entry(c, 1);

	tm_start(c->m, FUSE_SYMLINK, 2);
	tm_add_str(c->m, "lnk");
	tm_add_str(c->m, "../some/where");
	call(c, 512);
	assert_string_equal(mock.last_op, "symlink");
	assert_string_equal(mock.name, "lnk");
	assert_string_equal(mock.name2, "../some/where");
	check_entry(c, 1);

	/* Target without NUL. */
	tm_start(c->m, FUSE_SYMLINK, 2);
	tm_add_str(c->m, "lnk");
	tm_add(c->m, "abc", 3);
	mock.calls = 0;
	call(c, 512);
	assert_int_equal(c->oh.error, -EINVAL);
	assert_int_equal(mock.calls, 0);

	/* LINK: header = new parent, body = existing inode. */
	tm_start(c->m, FUSE_LINK, 2);
	tm_add(c->m, &li, sizeof(li));
	tm_add_str(c->m, "hard");
	call(c, 512);
	assert_string_equal(mock.last_op, "link");
	assert_int_equal(mock.nodeid, 55);
	assert_int_equal(mock.newparent, 2);
	assert_string_equal(mock.name, "hard");
	check_entry(c, 1);
}

static void test_unlink_rmdir_rename(void **state)
{
	struct ctx *c = *state;
	struct fuse_rename_in ri = { .newdir = 8 };
	struct fuse_rename2_in r2 = { .newdir = 9, .flags = 1 /* NOREPLACE */ };

	tm_start(c->m, FUSE_UNLINK, 2);
	tm_add_str(c->m, "gone");
	assert_int_equal(call(c, 512), sizeof(c->oh));
	assert_int_equal(c->oh.error, 0);
	assert_string_equal(mock.last_op, "unlink");
	assert_string_equal(mock.name, "gone");

	mock.ret = ENOTEMPTY;
	tm_start(c->m, FUSE_RMDIR, 2);
	tm_add_str(c->m, "d");
	call(c, 512);
	assert_int_equal(c->oh.error, -ENOTEMPTY);
	assert_string_equal(mock.last_op, "rmdir");
	mock.ret = 0;

	tm_start(c->m, FUSE_RENAME, 2);
	tm_add(c->m, &ri, sizeof(ri));
	tm_add_str(c->m, "a");
	tm_add_str(c->m, "b");
	call(c, 512);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(mock.parent, 2);
	assert_int_equal(mock.newparent, 8);
	assert_string_equal(mock.name, "a");
	assert_string_equal(mock.name2, "b");
	assert_int_equal(mock.flags, 0);

	tm_start(c->m, FUSE_RENAME2, 2);
	tm_add(c->m, &r2, sizeof(r2));
	tm_add_str(c->m, "c");
	tm_add_str(c->m, "d");
	call(c, 512);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(mock.newparent, 9);
	assert_int_equal(mock.flags, 1);

	/* Unknown rename flags, and a missing second name. */
	mock.calls = 0;
	r2.flags = 1u << 7;
	tm_start(c->m, FUSE_RENAME2, 2);
	tm_add(c->m, &r2, sizeof(r2));
	tm_add_str(c->m, "c");
	tm_add_str(c->m, "d");
	call(c, 512);
	assert_int_equal(c->oh.error, -EINVAL);
	tm_start(c->m, FUSE_RENAME, 2);
	tm_add(c->m, &ri, sizeof(ri));
	tm_add_str(c->m, "a");
	call(c, 512);
	assert_int_equal(c->oh.error, -EINVAL);
	assert_int_equal(mock.calls, 0);
}

/* ---- attributes ---- */

static void test_getattr_fh(void **state)
{
	struct ctx *c = *state;
	struct fuse_getattr_in gi = { .fh = 99 };

	tm_start(c->m, FUSE_GETATTR, 4);
	tm_add(c->m, &gi, sizeof(gi));
	call(c, 512);
	assert_false(mock.has_fh);
	gi.getattr_flags = FUSE_GETATTR_FH;
	tm_start(c->m, FUSE_GETATTR, 4);
	tm_add(c->m, &gi, sizeof(gi));
	call(c, 512);
	assert_true(mock.has_fh);
	assert_int_equal(mock.fh, 99);
	assert_int_equal(c->oh.len, sizeof(c->oh) + sizeof(struct fuse_attr_out));
}

static void test_setattr(void **state)
{
	struct ctx *c = *state;
	struct fuse_setattr_in si = {
		.valid = FATTR_MODE | FATTR_SIZE | FATTR_FH | FATTR_MTIME |
			 FATTR_ATIME_NOW | FATTR_KILL_SUIDGID |
			 FATTR_LOCKOWNER,
		.fh = 12, .size = 777, .mode = 0640, .mtime = 55,
		.mtimensec = 66, .uid = 3, .gid = 4,
	};
	struct fuse_attr_out ao;

	tm_start(c->m, FUSE_SETATTR, 4);
	tm_add(c->m, &si, sizeof(si));
	call(c, 512);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(mock.sa.valid, VFS_SET_MODE | VFS_SET_SIZE |
						VFS_SET_MTIME |
						VFS_SET_ATIME_NOW |
						VFS_SET_KILL_SUIDGID);
	assert_true(mock.has_fh);
	assert_int_equal(mock.fh, 12);
	assert_int_equal(mock.sa.size, 777);
	assert_int_equal(mock.sa.mode, 0640);
	assert_int_equal(mock.sa.mtime.tv_sec, 55);
	assert_int_equal(mock.sa.mtime.tv_nsec, 66);
	memcpy(&ao, c->body, sizeof(ao));
	assert_int_equal(ao.attr.size, 777);

	/* Nanoseconds out of range would be UTIME_NOW/OMIT on the host. */
	mock.calls = 0;
	si.mtimensec = 1000000000u;
	tm_start(c->m, FUSE_SETATTR, 4);
	tm_add(c->m, &si, sizeof(si));
	call(c, 512);
	assert_int_equal(c->oh.error, -EINVAL);
	assert_int_equal(mock.calls, 0);
}

static void test_statfs_readlink_access(void **state)
{
	struct ctx *c = *state;
	struct fuse_statfs_out so;
	struct fuse_access_in ai = { .mask = 4 };

	tm_start(c->m, FUSE_STATFS, 1);
	call(c, 512);
	assert_int_equal(c->oh.len, sizeof(c->oh) + sizeof(so));
	memcpy(&so, c->body, sizeof(so));
	assert_int_equal(so.st.blocks, 1000);
	assert_int_equal(so.st.bfree, 500);
	assert_int_equal(so.st.bavail, 400);
	assert_int_equal(so.st.files, 77);
	assert_int_equal(so.st.ffree, 66);
	assert_int_equal(so.st.bsize, 4096);
	assert_int_equal(so.st.frsize, 512);
	assert_int_equal(so.st.namelen, 255);

	mock.data = "target/path";
	mock.data_len = 11;
	tm_start(c->m, FUSE_READLINK, 6);
	assert_int_equal(call(c, 512), sizeof(c->oh) + 11);
	assert_memory_equal(c->body, "target/path", 11);
	/* Room for the header only: E2BIG, not a truncated target. */
	tm_start(c->m, FUSE_READLINK, 6);
	assert_int_equal(call(c, sizeof(c->oh) + 5), sizeof(c->oh));
	assert_int_equal(c->oh.error, -E2BIG);

	tm_start(c->m, FUSE_ACCESS, 6);
	tm_add(c->m, &ai, sizeof(ai));
	call(c, 512);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(mock.mask, 4);
}

static void test_attr_conversion(void **state)
{
	struct ctx *c = *state;
	struct stat st;
	struct fuse_attr a;

	(void)c;
	memset(&st, 0, sizeof(st));
	st.st_ino = 123;
	st.st_mode = 020600;
	st.st_nlink = 2;
	st.st_uid = 5;
	st.st_gid = 6;
	st.st_rdev = makedev(259, 0x12345);
	st.st_size = 1 << 30;
	st.st_blocks = 8;
	st.st_blksize = 4096;
	st.st_atim.tv_sec = 10;
	st.st_atim.tv_nsec = 11;
	st.st_ctim.tv_sec = 12;
	st.st_ctim.tv_nsec = 13;
	reply_fill_attr(&a, &st);
	assert_int_equal(a.ino, 123);
	assert_int_equal(a.mode, 020600);
	assert_int_equal(a.nlink, 2);
	assert_int_equal(a.uid, 5);
	assert_int_equal(a.gid, 6);
	/* new_encode_dev(), as the guest kernel decodes it. */
	assert_int_equal(a.rdev, (0x45u) | (259u << 8) | (0x123u << 20));
	assert_int_equal(a.size, 1u << 30);
	assert_int_equal(a.blocks, 8);
	assert_int_equal(a.blksize, 4096);
	assert_int_equal(a.atime, 10);
	assert_int_equal(a.atimensec, 11);
	assert_int_equal(a.ctime, 12);
	assert_int_equal(a.ctimensec, 13);
	assert_int_equal(a.flags, 0);
}

/* ---- file I/O ---- */

static void test_read_across_out_iovecs(void **state)
{
	struct ctx *c = *state;
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
	struct ctx *c = *state;
	struct fuse_session_opts o = *t_default_opts();
	struct fuse_read_in ri = { .size = 100000 };
	static char data[8192];

	memset(data, 'z', sizeof(data));
	/* Capped by the out room. */
	mock.data = data;
	mock.data_len = sizeof(data);
	tm_start(c->m, FUSE_READ, 3);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(call(c, sizeof(c->oh) + 10), sizeof(c->oh) + 10);
	assert_int_equal(c->oh.error, 0);

	/* Capped by max_write. */
	o.max_write = 4096;
	fuse_session_free(c->s);
	c->s = t_session(&o);
	mock.data = data;
	mock.data_len = sizeof(data);
	tm_start(c->m, FUSE_READ, 3);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(call(c, sizeof(c->body)), sizeof(c->oh) + 4096);

	/* Short at EOF, and errors. */
	mock.data_len = 7;
	tm_start(c->m, FUSE_READ, 3);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(call(c, 512), sizeof(c->oh) + 7);
	mock.ret = EBADF;
	tm_start(c->m, FUSE_READ, 3);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(call(c, 512), sizeof(c->oh));
	assert_int_equal(c->oh.error, -EBADF);
}

static void test_write(void **state)
{
	struct ctx *c = *state;
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
	struct ctx *c = *state;
	struct fuse_session_opts o = *t_default_opts();
	struct fuse_write_in wi = { .size = 26 };
	static char big[8192];

	/* Short payload. */
	tm_start(c->m, FUSE_WRITE, 3);
	tm_add(c->m, &wi, sizeof(wi));
	tm_add(c->m, "abcdefghijklmnopqrstuvwxy", 25);
	call(c, 256);
	assert_int_equal(c->oh.error, -EINVAL);
	/* More than announced. */
	tm_start(c->m, FUSE_WRITE, 3);
	tm_add(c->m, &wi, sizeof(wi));
	tm_add(c->m, "abcdefghijklmnopqrstuvwxyz!", 27);
	call(c, 256);
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
	call(c, 256);
	assert_int_equal(c->oh.error, -EINVAL);
	assert_int_equal(mock.calls, 0);
}

static void test_small_file_ops(void **state)
{
	struct ctx *c = *state;
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
	call(c, 256);
	assert_string_equal(mock.last_op, "flush");
	assert_int_equal(mock.lock_owner, 0xabc);

	tm_start(c->m, FUSE_FSYNC, 1);
	tm_add(c->m, &si, sizeof(si));
	call(c, 256);
	assert_string_equal(mock.last_op, "fsync");
	assert_true(mock.datasync);
	assert_int_equal(mock.fh, 2);

	tm_start(c->m, FUSE_FSYNCDIR, 1);
	si.fsync_flags = 0;
	tm_add(c->m, &si, sizeof(si));
	call(c, 256);
	assert_string_equal(mock.last_op, "fsyncdir");
	assert_false(mock.datasync);

	tm_start(c->m, FUSE_FALLOCATE, 1);
	tm_add(c->m, &ai, sizeof(ai));
	call(c, 256);
	assert_int_equal(mock.off, 10);
	assert_int_equal(mock.len, 20);
	assert_int_equal(mock.mode, 1);

	tm_start(c->m, FUSE_LSEEK, 1);
	tm_add(c->m, &li, sizeof(li));
	call(c, 256);
	memcpy(&lo, c->body, sizeof(lo));
	assert_int_equal(lo.offset, 31);
	assert_int_equal(mock.whence, 3);

	tm_start(c->m, FUSE_RELEASE, 1);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(call(c, 256), sizeof(c->oh));
	assert_int_equal(mock.releases, 1);
	assert_int_equal(mock.fh, 5);
	tm_start(c->m, FUSE_RELEASEDIR, 1);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(call(c, 256), sizeof(c->oh));
	assert_int_equal(mock.releases, 2);
}

/* ---- directories ---- */

static void test_readdir_until_full(void **state)
{
	struct ctx *c = *state;
	struct fuse_read_in ri = { .fh = 8, .offset = 0, .size = 200 };
	size_t n, pos = 0;
	unsigned int i = 0;

	mock.dir_entries = 100;
	tm_start(c->m, FUSE_READDIR, 2);
	tm_add(c->m, &ri, sizeof(ri));
	n = call(c, 4096);
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
	n = call(c, sizeof(c->oh) + 70);
	assert_int_equal(n, sizeof(c->oh) + 64);
	assert_int_equal(mock.dir_taken, 2);
}

static void test_readdir_end_and_errors(void **state)
{
	struct ctx *c = *state;
	struct fuse_read_in ri = { .fh = 8, .offset = 3, .size = 4096 };

	/* From offset 3 of 5: two entries then the end. */
	mock.dir_entries = 5;
	tm_start(c->m, FUSE_READDIR, 2);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(call(c, 8192), sizeof(c->oh) + 64);
	assert_false(mock.dir_saw_full);
	assert_int_equal(mock.off, 3);

	/* An error after some entries: the entries win. */
	mock.dir_ret = EIO;
	tm_start(c->m, FUSE_READDIR, 2);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(call(c, 8192), sizeof(c->oh) + 64);
	assert_int_equal(c->oh.error, 0);
	/* An error with nothing packed is the reply. */
	ri.offset = 5;
	tm_start(c->m, FUSE_READDIR, 2);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(call(c, 8192), sizeof(c->oh));
	assert_int_equal(c->oh.error, -EIO);
	/* No room for a header: nothing at all. */
	tm_start(c->m, FUSE_READDIR, 2);
	tm_add(c->m, &ri, sizeof(ri));
	assert_int_equal(call(c, 10), 0);
}

static void test_readdirplus_until_full(void **state)
{
	struct ctx *c = *state;
	struct fuse_read_in ri = { .fh = 8, .offset = 0, .size = 4096 };
	size_t n, pos = 0, one;
	unsigned int i = 0;
	uint64_t first_node = mock.next_nodeid;

	mock.dir_entries = 100;
	tm_start(c->m, FUSE_READDIRPLUS, 2);
	tm_add(c->m, &ri, sizeof(ri));
	n = call(c, 8192);
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
	struct ctx *c = *state;
	struct fuse_session_opts o = *t_default_opts();
	struct fuse_open_in oi = { .flags = O_RDONLY | O_DIRECTORY };
	struct fuse_open_out oo;

	o.cache = FUSE_CACHE_ALWAYS;
	fuse_session_free(c->s);
	c->s = t_session(&o);
	tm_start(c->m, FUSE_OPENDIR, 2);
	tm_add(c->m, &oi, sizeof(oi));
	call(c, 256);
	assert_int_equal(c->oh.error, 0);
	memcpy(&oo, c->body, sizeof(oo));
	assert_int_equal(oo.open_flags, FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR);
	assert_int_equal(oo.fh, mock.next_fh - 1);
	assert_int_equal(mock.flags, O_RDONLY | O_DIRECTORY);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_name_checks),
		T(test_name_nul_past_len),
		T(test_lookup_entry),
		T(test_cache_modes),
		T(test_open_direct_allowed),
		T(test_open_reply_lost_releases),
		T(test_create),
		T(test_mknod_mkdir_symlink_link),
		T(test_unlink_rmdir_rename),
		T(test_getattr_fh),
		T(test_setattr),
		T(test_statfs_readlink_access),
		T(test_attr_conversion),
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
