/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host-side policy flags: the decisions of fs/pt_policy.c on their own,
 * then through pt_ops on a temporary share, seen on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/pt_policy.h"
#include "pt_fixture.h"

static void policy_with(struct pt_policy *p, const struct pt_opts *o)
{
	assert_int_equal(pt_policy_init(p, o, -1), 0);
}

static void test_mode_strip(void **state)
{
	struct pt_policy p;

	(void)state;
	policy_with(&p, &(struct pt_opts){ .shared_dir = "/" });
	assert_int_equal(pt_policy_mode(&p, S_IFREG, 06755), 06755);
	assert_int_equal(pt_policy_mode(&p, S_IFREG, 0176755), 06755);
	pt_policy_fini(&p);

	policy_with(&p, &(struct pt_opts){ .shared_dir = "/", .nosuid = true });
	assert_int_equal(pt_policy_mode(&p, S_IFREG, 06755), 0755);
	assert_int_equal(pt_policy_mode(&p, S_IFREG, 02644), 0644);
	assert_int_equal(pt_policy_mode(&p, S_IFREG, 01777), 01777);
	/* Group inheritance on directories is kept. */
	assert_int_equal(pt_policy_mode(&p, S_IFDIR, 06775), 02775);
	assert_int_equal(pt_policy_mode(&p, S_IFIFO, 06644), 0644);
	assert_int_equal(pt_policy_setxattr(&p, "security.capability"), EPERM);
	assert_int_equal(pt_policy_setxattr(&p, "user.x"), 0);
	pt_policy_fini(&p);
}

static void test_nodev(void **state)
{
	struct pt_policy p;

	(void)state;
	policy_with(&p, &(struct pt_opts){ .shared_dir = "/" });
	assert_int_equal(pt_policy_mknod(&p, S_IFCHR, makedev(1, 3)), 0);
	pt_policy_fini(&p);

	policy_with(&p, &(struct pt_opts){ .shared_dir = "/", .nodev = true });
	assert_int_equal(pt_policy_mknod(&p, S_IFCHR, makedev(1, 3)), EPERM);
	assert_int_equal(pt_policy_mknod(&p, S_IFBLK, makedev(8, 0)), EPERM);
	assert_int_equal(pt_policy_mknod(&p, S_IFBLK, makedev(0, 0)), EPERM);
	/* A whiteout names no device. */
	assert_int_equal(pt_policy_mknod(&p, S_IFCHR, makedev(0, 0)), 0);
	assert_int_equal(pt_policy_mknod(&p, S_IFIFO, 0), 0);
	assert_int_equal(pt_policy_mknod(&p, S_IFSOCK, 0), 0);
	assert_int_equal(pt_policy_mknod(&p, S_IFREG, 0), 0);
	pt_policy_fini(&p);
}

static void test_readonly(void **state)
{
	struct pt_policy p;
	struct statvfs sv = { 0 };

	(void)state;
	policy_with(&p, &(struct pt_opts){ .shared_dir = "/", .readonly = true });
	assert_int_equal(pt_policy_open(&p, O_RDONLY), 0);
	assert_int_equal(pt_policy_open(&p, O_RDONLY | O_NOATIME), 0);
	assert_int_equal(pt_policy_open(&p, O_WRONLY), EROFS);
	assert_int_equal(pt_policy_open(&p, O_RDWR), EROFS);
	assert_int_equal(pt_policy_open(&p, O_RDONLY | O_TRUNC), EROFS);
	assert_int_equal(pt_policy_create(&p), EROFS);
	assert_int_equal(pt_policy_modify(&p), EROFS);
	assert_int_equal(pt_policy_alloc(&p, 1), EROFS);
	assert_int_equal(pt_policy_write(&p, -1, 0, 1), EROFS);
	assert_int_equal(pt_policy_mknod(&p, S_IFIFO, 0), EROFS);
	assert_int_equal(pt_policy_setxattr(&p, "user.x"), EROFS);
	pt_policy_statfs(&p, &sv);
	assert_true(sv.f_flag & ST_RDONLY);
	pt_policy_fini(&p);

	policy_with(&p, &(struct pt_opts){ .shared_dir = "/" });
	assert_int_equal(pt_policy_open(&p, O_RDWR | O_TRUNC), 0);
	assert_int_equal(pt_policy_modify(&p), 0);
	sv.f_flag = 0;
	pt_policy_statfs(&p, &sv);
	assert_false(sv.f_flag & ST_RDONLY);
	pt_policy_fini(&p);
}

static void test_reserve_arithmetic(void **state)
{
	struct pt_policy p;
	struct pt_space s = { .bytes = 100, .inodes = 10, .inodes_counted = true };

	(void)state;
	policy_with(&p, &(struct pt_opts){ .shared_dir = "/",
					   .min_free_space = 60,
					   .min_free_inodes = 8 });
	assert_int_equal(pt_policy_reserve_ok(&p, &s, 40, 0), 0);
	assert_int_equal(pt_policy_reserve_ok(&p, &s, 41, 0), ENOSPC);
	assert_int_equal(pt_policy_reserve_ok(&p, &s, UINT64_MAX, 0), ENOSPC);
	assert_int_equal(pt_policy_reserve_ok(&p, &s, 0, 2), 0);
	assert_int_equal(pt_policy_reserve_ok(&p, &s, 0, 3), ENOSPC);
	assert_int_equal(pt_policy_reserve_ok(&p, &s, 0, UINT64_MAX), ENOSPC);
	s.bytes = 59;
	assert_int_equal(pt_policy_reserve_ok(&p, &s, 0, 0), ENOSPC);
	/* A filesystem without an inode count is never short of inodes. */
	s = (struct pt_space){ .bytes = 100, .inodes = 0 };
	assert_int_equal(pt_policy_reserve_ok(&p, &s, 0, 1), 0);
	pt_policy_fini(&p);
}

static void setattr_mode(struct env *e, uint64_t nodeid, uint32_t mode,
			 int expect)
{
	struct vfs_setattr in = { .valid = VFS_SET_MODE, .mode = mode };
	struct stat st;

	assert_int_equal(ops->setattr(e->fs, &root_ctx, nodeid, NULL, &in, &st),
			 expect);
}

static void test_ops_nosuid(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct stat st;
	uint64_t fh, id;

	REQUIRE_ROOT();
	e->fs->policy.nosuid = true;
	assert_int_equal(ops->create(e->fs, &root_ctx, VFS_ROOT_ID, "f",
				     S_IFREG | 06755, O_RDWR, 0, &ent, &fh),
			 0);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_mode & 07777, 0755);

	setattr_mode(e, ent.nodeid, 06711, 0);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_mode & 07777, 0711);

	/* Linux takes a new directory's set-group-ID from its parent. */
	assert_int_equal(chmod(e->dir, 02755), 0);
	assert_int_equal(ops->mkdir(e->fs, &root_ctx, VFS_ROOT_ID, "d",
				    S_IFDIR | 06755, 0, &ent),
			 0);
	host_stat(hp(e, "d"), &st);
	assert_int_equal(st.st_mode & (S_ISUID | S_ISGID), S_ISGID);
	setattr_mode(e, ent.nodeid, 06755, 0);
	host_stat(hp(e, "d"), &st);
	assert_int_equal(st.st_mode & 07777, 02755);

	/* Set on the host behind our back, then chown'ed by guest root. */
	host_touch(hp(e, "s"), 0644);
	assert_int_equal(chmod(hp(e, "s"), 06755), 0);
	id = do_lookup(e, VFS_ROOT_ID, "s");
	struct vfs_setattr in = { .valid = VFS_SET_UID | VFS_SET_GID,
				  .uid = 1000, .gid = 1000 };
	assert_int_equal(ops->setattr(e->fs, &root_ctx, id, NULL, &in, &st), 0);
	host_stat(hp(e, "s"), &st);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_mode & 07777, 0755);
}

static void test_ops_nodev(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct stat st;

	REQUIRE_ROOT();
	e->fs->policy.nodev = true;
	assert_int_equal(ops->mknod(e->fs, &root_ctx, VFS_ROOT_ID, "null",
				    S_IFCHR | 0666, (1u << 8) | 3u, 0, &ent),
			 EPERM);
	assert_int_equal(lstat(hp(e, "null"), &st), -1);
	assert_int_equal(ops->mknod(e->fs, &root_ctx, VFS_ROOT_ID, "fifo",
				    S_IFIFO | 0644, 0, 0, &ent),
			 0);
	e->fs->policy.nodev = false;
	assert_int_equal(ops->mknod(e->fs, &root_ctx, VFS_ROOT_ID, "null",
				    S_IFCHR | 0666, (1u << 8) | 3u, 0, &ent),
			 0);
	host_stat(hp(e, "null"), &st);
	assert_true(S_ISCHR(st.st_mode));
}

static void test_ops_readonly(void **state)
{
	struct env *e = *state;
	struct vfs_setattr in = { .valid = VFS_SET_SIZE, .size = 0 };
	struct vfs_entry ent;
	struct statvfs sv;
	struct iovec iov;
	struct stat st;
	char buf[8] = "";
	uint64_t fh, rfh, id;
	size_t n = 0;

	REQUIRE_ROOT();
	id = do_create(e, VFS_ROOT_ID, "f", &fh);
	write_str(e, fh, 0, "data");
	e->fs->policy.readonly = true;

	iov = (struct iovec){ .iov_base = "x", .iov_len = 1 };
	assert_int_equal(ops->write(e->fs, &root_ctx, id, fh, 0, &iov, 1,
				    false, &n),
			 EROFS);
	assert_int_equal(ops->open(e->fs, &root_ctx, id, O_WRONLY, &rfh), EROFS);
	assert_int_equal(ops->create(e->fs, &root_ctx, VFS_ROOT_ID, "g",
				     S_IFREG | 0644, O_RDWR, 0, &ent, &rfh),
			 EROFS);
	assert_int_equal(ops->mkdir(e->fs, &root_ctx, VFS_ROOT_ID, "d",
				    S_IFDIR | 0755, 0, &ent),
			 EROFS);
	assert_int_equal(ops->rename(e->fs, &root_ctx, VFS_ROOT_ID, "f",
				     VFS_ROOT_ID, "h", 0),
			 EROFS);
	assert_int_equal(ops->unlink(e->fs, &root_ctx, VFS_ROOT_ID, "f"), EROFS);
	assert_int_equal(ops->setattr(e->fs, &root_ctx, id, NULL, &in, &st),
			 EROFS);
	assert_int_equal(ops->fallocate(e->fs, &root_ctx, id, fh, 0, 0, 10),
			 EROFS);
	assert_int_equal(ops->setxattr(e->fs, &root_ctx, id, "user.a", "1", 1,
				       0),
			 EROFS);

	/* Reading goes on. */
	assert_int_equal(ops->open(e->fs, &root_ctx, id, O_RDONLY, &rfh), 0);
	iov = (struct iovec){ .iov_base = buf, .iov_len = sizeof(buf) - 1 };
	assert_int_equal(ops->read(e->fs, &root_ctx, id, rfh, 0, &iov, 1, &n),
			 0);
	assert_int_equal(n, 4);
	assert_string_equal(buf, "data");
	assert_int_equal(ops->statfs(e->fs, &root_ctx, id, &sv), 0);
	assert_true(sv.f_flag & ST_RDONLY);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_size, 4);
}

static void test_ops_reserve(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct iovec iov = { .iov_base = "abcd", .iov_len = 4 };
	struct statvfs sv;
	uint64_t fh, id;
	size_t n = 0;

	REQUIRE_ROOT();
	id = do_create(e, VFS_ROOT_ID, "f", &fh);
	write_str(e, fh, 0, "12345678");
	/* More than any test machine has: every allocation trips. */
	e->fs->policy.min_free_space = UINT64_MAX / 2;
	assert_int_equal(ops->create(e->fs, &root_ctx, VFS_ROOT_ID, "g",
				     S_IFREG | 0644, O_RDWR, 0, &ent, &fh),
			 ENOSPC);
	assert_int_equal(ops->mkdir(e->fs, &root_ctx, VFS_ROOT_ID, "d",
				    S_IFDIR | 0755, 0, &ent),
			 ENOSPC);
	assert_int_equal(ops->symlink(e->fs, &root_ctx, VFS_ROOT_ID, "l", "f",
				      &ent),
			 ENOSPC);
	/* Growing the file is refused, rewriting what is there is not. */
	assert_int_equal(ops->write(e->fs, &root_ctx, id, fh, 6, &iov, 1, false,
				    &n),
			 ENOSPC);
	assert_int_equal(ops->write(e->fs, &root_ctx, id, fh, 2, &iov, 1, false,
				    &n),
			 0);
	assert_int_equal(n, 4);
	assert_int_equal(ops->fallocate(e->fs, &root_ctx, id, fh, 0, 0, 4096),
			 ENOSPC);
	/* Deleting frees space: always allowed. */
	assert_int_equal(ops->unlink(e->fs, &root_ctx, VFS_ROOT_ID, "f"), 0);

	/* Inodes, where the host filesystem counts them. */
	assert_int_equal(statvfs(e->dir, &sv), 0);
	e->fs->policy.min_free_space = 0;
	e->fs->policy.min_free_inodes = UINT64_MAX / 2;
	e->fs->policy.cached = false;
	assert_int_equal(ops->mkdir(e->fs, &root_ctx, VFS_ROOT_ID, "d",
				    S_IFDIR | 0755, 0, &ent),
			 sv.f_files ? ENOSPC : 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_strip),
		cmocka_unit_test(test_nodev),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_reserve_arithmetic),
		PT_TEST(test_ops_nosuid),
		PT_TEST(test_ops_nodev),
		PT_TEST(test_ops_readonly),
		PT_TEST(test_ops_reserve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
