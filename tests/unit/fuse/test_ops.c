/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-op decoding through fuse_session_process(): names, entries,
 * attributes, open/create and the cache mode's effect on replies.
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

/* ---- names ---- */

static void test_name_checks(void **state)
{
	struct t_ctx *c = *state;
	char longname[300];

	tm_start(c->m, FUSE_LOOKUP, 1);
	tm_add(c->m, "abc", 3); /* no NUL */
	t_ctx_call(c, 256);
	assert_int_equal(c->oh.error, -EINVAL);

	tm_start(c->m, FUSE_LOOKUP, 1);
	tm_add_str(c->m, "a/b");
	t_ctx_call(c, 256);
	assert_int_equal(c->oh.error, -EINVAL);

	tm_start(c->m, FUSE_LOOKUP, 1);
	tm_add_str(c->m, "");
	t_ctx_call(c, 256);
	assert_int_equal(c->oh.error, -EINVAL);

	memset(longname, 'x', sizeof(longname));
	longname[256] = '\0';
	tm_start(c->m, FUSE_LOOKUP, 1);
	tm_add_str(c->m, longname);
	t_ctx_call(c, 256);
	assert_int_equal(c->oh.error, -ENAMETOOLONG);
	assert_int_equal(mock.calls, 0);

	longname[255] = '\0';
	tm_start(c->m, FUSE_LOOKUP, 1);
	tm_add_str(c->m, longname);
	t_ctx_call(c, 256);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(strlen(mock.name), 255);
}

static void test_name_nul_past_len(void **state)
{
	struct t_ctx *c = *state;
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

static void check_entry(const struct t_ctx *c, uint64_t valid)
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
	struct t_ctx *c = *state;

	tm_start(c->m, FUSE_LOOKUP, 5);
	tm_add_str(c->m, "file");
	t_ctx_call(c, 512);
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
	struct t_ctx *c = *state;

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
		t_ctx_call(c, 512);
		check_entry(c, cases[i].valid);

		tm_start(c->m, FUSE_GETATTR, 1);
		{
			struct fuse_getattr_in gi = { 0 };

			tm_add(c->m, &gi, sizeof(gi));
		}
		t_ctx_call(c, 512);
		memcpy(&ao, c->body, sizeof(ao));
		assert_int_equal(ao.attr_valid, cases[i].valid);

		tm_start(c->m, FUSE_OPEN, 9);
		tm_add(c->m, &oi, sizeof(oi));
		t_ctx_call(c, 512);
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
	struct t_ctx *c = *state;
	struct fuse_session_opts o = *t_default_opts();
	struct fuse_open_in oi = { .flags = O_RDONLY | O_DIRECT };

	o.allow_direct_io = true;
	fuse_session_free(c->s);
	c->s = t_session(&o);
	tm_start(c->m, FUSE_OPEN, 9);
	tm_add(c->m, &oi, sizeof(oi));
	t_ctx_call(c, 512);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(mock.flags, O_RDONLY | O_DIRECT);
}

static void test_open_reply_lost_releases(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_open_in oi = { .flags = O_RDONLY };

	tm_start(c->m, FUSE_OPEN, 9);
	tm_add(c->m, &oi, sizeof(oi));
	assert_int_equal(t_ctx_call(c, sizeof(c->oh) + 4), sizeof(c->oh));
	assert_int_equal(c->oh.error, -E2BIG);
	assert_int_equal(mock.releases, 1);
	assert_int_equal(mock.fh, mock.next_fh - 1);

	tm_start(c->m, FUSE_OPENDIR, 9);
	tm_add(c->m, &oi, sizeof(oi));
	assert_int_equal(t_ctx_call(c, 8), 0);
	assert_int_equal(mock.releases, 2);
}

static void test_create(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_create_in ci = { .flags = O_WRONLY | O_CREAT | O_DIRECT,
				     .mode = 0100640, .umask = 022 };
	struct fuse_open_out oo;

	tm_start(c->m, FUSE_CREATE, 3);
	tm_add(c->m, &ci, sizeof(ci));
	tm_add_str(c->m, "new");
	t_ctx_call(c, 512);
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
	t_ctx_call(c, sizeof(c->oh) + sizeof(struct fuse_entry_out) + 4);
	assert_int_equal(c->oh.error, -E2BIG);
	assert_int_equal(mock.releases, 1);
	assert_int_equal(mock.nforget, 1);
	assert_int_equal(mock.forget[0][0], mock.next_nodeid - 1);
}

static void test_mknod_mkdir_symlink_link(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_mknod_in mi = { .mode = 010644, .rdev = 0x1234,
				    .umask = 027 };
	struct fuse_mkdir_in di = { .mode = 0755, .umask = 022 };
	struct fuse_link_in li = { .oldnodeid = 55 };

	tm_start(c->m, FUSE_MKNOD, 2);
	tm_add(c->m, &mi, sizeof(mi));
	tm_add_str(c->m, "fifo");
	t_ctx_call(c, 512);
	assert_int_equal(c->oh.error, 0);
	assert_string_equal(mock.last_op, "mknod");
	assert_int_equal(mock.mode, 010644);
	assert_int_equal(mock.rdev, 0x1234);
	assert_int_equal(mock.umask, 027);
	check_entry(c, 1);

	tm_start(c->m, FUSE_MKDIR, 2);
	tm_add(c->m, &di, sizeof(di));
	tm_add_str(c->m, "dir");
	t_ctx_call(c, 512);
	assert_string_equal(mock.last_op, "mkdir");
	assert_string_equal(mock.name, "dir");
	assert_int_equal(mock.mode, 0755);
	check_entry(c, 1);

	tm_start(c->m, FUSE_SYMLINK, 2);
	tm_add_str(c->m, "lnk");
	tm_add_str(c->m, "../some/where");
	t_ctx_call(c, 512);
	assert_string_equal(mock.last_op, "symlink");
	assert_string_equal(mock.name, "lnk");
	assert_string_equal(mock.name2, "../some/where");
	check_entry(c, 1);

	/* Target without NUL. */
	tm_start(c->m, FUSE_SYMLINK, 2);
	tm_add_str(c->m, "lnk");
	tm_add(c->m, "abc", 3);
	mock.calls = 0;
	t_ctx_call(c, 512);
	assert_int_equal(c->oh.error, -EINVAL);
	assert_int_equal(mock.calls, 0);

	/* LINK: header = new parent, body = existing inode. */
	tm_start(c->m, FUSE_LINK, 2);
	tm_add(c->m, &li, sizeof(li));
	tm_add_str(c->m, "hard");
	t_ctx_call(c, 512);
	assert_string_equal(mock.last_op, "link");
	assert_int_equal(mock.nodeid, 55);
	assert_int_equal(mock.newparent, 2);
	assert_string_equal(mock.name, "hard");
	check_entry(c, 1);
}

static void test_unlink_rmdir_rename(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_rename_in ri = { .newdir = 8 };
	struct fuse_rename2_in r2 = { .newdir = 9, .flags = 1 /* NOREPLACE */ };

	tm_start(c->m, FUSE_UNLINK, 2);
	tm_add_str(c->m, "gone");
	assert_int_equal(t_ctx_call(c, 512), sizeof(c->oh));
	assert_int_equal(c->oh.error, 0);
	assert_string_equal(mock.last_op, "unlink");
	assert_string_equal(mock.name, "gone");

	mock.ret = -ENOTEMPTY;
	tm_start(c->m, FUSE_RMDIR, 2);
	tm_add_str(c->m, "d");
	t_ctx_call(c, 512);
	assert_int_equal(c->oh.error, -ENOTEMPTY);
	assert_string_equal(mock.last_op, "rmdir");
	mock.ret = 0;

	tm_start(c->m, FUSE_RENAME, 2);
	tm_add(c->m, &ri, sizeof(ri));
	tm_add_str(c->m, "a");
	tm_add_str(c->m, "b");
	t_ctx_call(c, 512);
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
	t_ctx_call(c, 512);
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
	t_ctx_call(c, 512);
	assert_int_equal(c->oh.error, -EINVAL);
	tm_start(c->m, FUSE_RENAME, 2);
	tm_add(c->m, &ri, sizeof(ri));
	tm_add_str(c->m, "a");
	t_ctx_call(c, 512);
	assert_int_equal(c->oh.error, -EINVAL);
	assert_int_equal(mock.calls, 0);
}

/* ---- attributes ---- */

static void test_getattr_fh(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_getattr_in gi = { .fh = 99 };

	tm_start(c->m, FUSE_GETATTR, 4);
	tm_add(c->m, &gi, sizeof(gi));
	t_ctx_call(c, 512);
	assert_false(mock.has_fh);
	gi.getattr_flags = FUSE_GETATTR_FH;
	tm_start(c->m, FUSE_GETATTR, 4);
	tm_add(c->m, &gi, sizeof(gi));
	t_ctx_call(c, 512);
	assert_true(mock.has_fh);
	assert_int_equal(mock.fh, 99);
	assert_int_equal(c->oh.len, sizeof(c->oh) + sizeof(struct fuse_attr_out));
}

static void test_setattr(void **state)
{
	struct t_ctx *c = *state;
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
	t_ctx_call(c, 512);
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
	t_ctx_call(c, 512);
	assert_int_equal(c->oh.error, -EINVAL);
	assert_int_equal(mock.calls, 0);
}

static void test_statfs_readlink_access(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_statfs_out so;
	struct fuse_access_in ai = { .mask = 4 };

	tm_start(c->m, FUSE_STATFS, 1);
	t_ctx_call(c, 512);
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
	assert_int_equal(t_ctx_call(c, 512), sizeof(c->oh) + 11);
	assert_memory_equal(c->body, "target/path", 11);
	/* Room for the header only: E2BIG, not a truncated target. */
	tm_start(c->m, FUSE_READLINK, 6);
	assert_int_equal(t_ctx_call(c, sizeof(c->oh) + 5), sizeof(c->oh));
	assert_int_equal(c->oh.error, -E2BIG);

	tm_start(c->m, FUSE_ACCESS, 6);
	tm_add(c->m, &ai, sizeof(ai));
	t_ctx_call(c, 512);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(mock.mask, 4);
}

static void test_attr_conversion(void **state)
{
	struct t_ctx *c = *state;
	struct fuse_session s;
	struct stat st;
	struct fuse_attr a;

	(void)c;
	memset(&s, 0, sizeof(s));
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
	reply_fill_attr(&s, &a, &st);
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

#define T(f) cmocka_unit_test_setup_teardown(f, t_ctx_setup, t_ctx_teardown)

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
