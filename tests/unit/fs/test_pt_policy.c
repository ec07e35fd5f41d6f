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
#include <stdlib.h>
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
	struct pt_charge c;

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
	assert_int_equal(pt_policy_setxattr(&p, "security.capability", 4, &c),
			 -EPERM);
	assert_int_equal(pt_policy_setxattr(&p, "user.x", 4, &c), 0);
	pt_policy_fini(&p);
}

/* MKNOD of mode and rdev under p. */
static int mknod_answer(struct pt_policy *p, mode_t mode, dev_t rdev)
{
	struct pt_charge c;

	return pt_policy_mknod(p, mode, rdev, 0, &c);
}

static void test_nodev(void **state)
{
	struct pt_policy p;

	(void)state;
	policy_with(&p, &(struct pt_opts){ .shared_dir = "/" });
	assert_int_equal(mknod_answer(&p, S_IFCHR, makedev(1, 3)), 0);
	pt_policy_fini(&p);

	policy_with(&p, &(struct pt_opts){ .shared_dir = "/", .nodev = true });
	assert_int_equal(mknod_answer(&p, S_IFCHR, makedev(1, 3)), -EPERM);
	assert_int_equal(mknod_answer(&p, S_IFBLK, makedev(8, 0)), -EPERM);
	assert_int_equal(mknod_answer(&p, S_IFBLK, makedev(0, 0)), -EPERM);
	/* A whiteout names no device. */
	assert_int_equal(mknod_answer(&p, S_IFCHR, makedev(0, 0)), 0);
	assert_int_equal(mknod_answer(&p, S_IFIFO, 0), 0);
	assert_int_equal(mknod_answer(&p, S_IFSOCK, 0), 0);
	assert_int_equal(mknod_answer(&p, S_IFREG, 0), 0);
	pt_policy_fini(&p);
}

static void test_readonly(void **state)
{
	struct pt_policy p;
	struct pt_charge c;
	struct statvfs sv = { 0 };

	(void)state;
	policy_with(&p, &(struct pt_opts){ .shared_dir = "/", .readonly = true });
	assert_int_equal(pt_policy_open(&p, O_RDONLY), 0);
	assert_int_equal(pt_policy_open(&p, O_RDONLY | O_NOATIME), 0);
	assert_int_equal(pt_policy_open(&p, O_WRONLY), -EROFS);
	assert_int_equal(pt_policy_open(&p, O_RDWR), -EROFS);
	assert_int_equal(pt_policy_open(&p, O_RDONLY | O_TRUNC), -EROFS);
	assert_int_equal(pt_policy_create(&p, 0, 0, &c), -EROFS);
	assert_int_equal(pt_policy_modify(&p), -EROFS);
	assert_int_equal(pt_policy_fallocate(&p, -1, 0, 0, 1, &c), -EROFS);
	assert_int_equal(pt_policy_write(&p, -1, 0, 1, &c), -EROFS);
	assert_int_equal(mknod_answer(&p, S_IFIFO, 0), -EROFS);
	assert_int_equal(pt_policy_setxattr(&p, "user.x", 1, &c), -EROFS);
	assert_int_equal(pt_policy_link(&p, &c), -EROFS);
	assert_int_equal(pt_policy_rename(&p, RENAME_WHITEOUT, &c), -EROFS);
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

static int reserve_ok(const struct pt_policy *p, const struct pt_space *s,
		      uint64_t bytes, uint64_t inodes)
{
	return pt_reserve_ok(&p->reserve, s,
			     &(struct pt_charge){ bytes, inodes });
}

static void test_reserve_arithmetic(void **state)
{
	struct pt_policy p;
	struct pt_space s = { .bytes = 100, .inodes = 10, .inodes_counted = true };

	(void)state;
	policy_with(&p, &(struct pt_opts){ .shared_dir = "/",
					   .min_free_space = 60,
					   .min_free_inodes = 8 });
	assert_int_equal(reserve_ok(&p, &s, 40, 0), 0);
	assert_int_equal(reserve_ok(&p, &s, 41, 0), -ENOSPC);
	assert_int_equal(reserve_ok(&p, &s, UINT64_MAX, 0), -ENOSPC);
	assert_int_equal(reserve_ok(&p, &s, 0, 2), 0);
	assert_int_equal(reserve_ok(&p, &s, 0, 3), -ENOSPC);
	assert_int_equal(reserve_ok(&p, &s, 0, UINT64_MAX), -ENOSPC);
	s.bytes = 59;
	assert_int_equal(reserve_ok(&p, &s, 1, 0), -ENOSPC);
	/* Asking for nothing (a rewrite of allocated blocks) always passes. */
	assert_int_equal(reserve_ok(&p, &s, 0, 0), 0);
	assert_int_equal(reserve_ok(&p, &s, 0, 1), 0);
	/* A filesystem without an inode count is never short of inodes. */
	s = (struct pt_space){ .bytes = 100, .inodes = 0 };
	assert_int_equal(reserve_ok(&p, &s, 0, 1), 0);
	/* A reserve of inodes alone does not count bytes. */
	p.reserve.min_free_space = 0;
	assert_int_equal(reserve_ok(&p, &s, UINT64_MAX, 0), 0);
	pt_policy_fini(&p);
}

/* Charge c under p, check what was charged, and end it. */
static void charged(struct pt_policy *p, int err, const struct pt_charge *c,
		    uint64_t bytes, uint64_t inodes)
{
	assert_int_equal(err, 0);
	assert_int_equal(c->bytes, bytes);
	assert_int_equal(c->inodes, inodes);
	assert_int_equal(p->reserve.pending.bytes, bytes);
	assert_int_equal(p->reserve.pending.inodes, inodes);
	pt_policy_done(p, c);
	assert_int_equal(p->reserve.pending.bytes, 0);
	assert_int_equal(p->reserve.pending.inodes, 0);
}

/* What each kind of request is charged: whole blocks, inodes. */
static void test_charges(void **state)
{
	struct pt_reserve *r;
	struct pt_policy p;
	struct pt_charge c;
	uint64_t b;
	int fd;

	(void)state;
	policy_with(&p, &(struct pt_opts){ .shared_dir = "/" });
	r = &p.reserve;
	assert_int_equal(r->block, 4096);
	assert_int_equal(pt_reserve_span(r, 0, 0), 0);
	assert_int_equal(pt_reserve_span(r, 0, 1), 4096);
	assert_int_equal(pt_reserve_span(r, 4095, 2), 8192);
	assert_int_equal(pt_reserve_span(r, 4096, 4096), 4096);
	assert_int_equal(pt_reserve_span(r, UINT64_MAX - 10, 100), UINT64_MAX);
	assert_int_equal(pt_reserve_span(r, UINT64_MAX - 10, 1), UINT64_MAX);
	assert_int_equal(pt_reserve_span(r, INT64_MAX, 1), 4096);
	/* No reserve: nothing is charged, nothing is refused. */
	assert_int_equal(pt_policy_create(&p, 100, 0, &c), 0);
	assert_int_equal(c.bytes + c.inodes, 0);
	pt_policy_fini(&p);

	/* A reserve of one byte and one inode on /tmp: every charge fits. */
	fd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pt_policy_init(&p, &(struct pt_opts){
						    .shared_dir = "/tmp",
						    .min_free_space = 1,
						    .min_free_inodes = 1 },
					fd),
			 0);
	b = p.reserve.block;
	charged(&p, pt_policy_create(&p, 0, 0, &c), &c, b, 1);
	/* A symlink's target and a label come on top. */
	charged(&p, pt_policy_create(&p, b + 1, 0, &c), &c, 3 * b, 1);
	charged(&p, pt_policy_create(&p, 0, 30, &c), &c, 2 * b, 2);
	charged(&p, pt_policy_link(&p, &c), &c, b, 1);
	charged(&p, pt_policy_rename(&p, 0, &c), &c, b, 0);
	charged(&p, pt_policy_rename(&p, RENAME_NOREPLACE, &c), &c, b, 0);
	charged(&p, pt_policy_rename(&p, RENAME_WHITEOUT, &c), &c, b, 1);
	charged(&p, pt_policy_rename(&p, RENAME_EXCHANGE, &c), &c, 0, 0);
	/* 6 + 5000 bytes and overhead, billed by the KiB as tmpfs does. */
	charged(&p, pt_policy_setxattr(&p, "user.x", 5000, &c), &c,
		pt_reserve_span(&p.reserve, 0, 5006), 6);
	charged(&p, pt_policy_mknod(&p, S_IFCHR, makedev(0, 0), 0, &c), &c, b,
		1);
	charged(&p, pt_policy_fallocate(&p, -1, FALLOC_FL_PUNCH_HOLE |
					FALLOC_FL_KEEP_SIZE, 0, 1 << 20, &c),
		&c, 0, 0);
	charged(&p, pt_policy_fallocate(&p, -1, 0, 1, 2 * b, &c), &c, 3 * b, 0);
	charged(&p, pt_policy_write(&p, -1, b, 10, &c), &c, b, 0);
	pt_policy_fini(&p);
	close(fd);
}

/* Blocks a write into a sparse file may allocate (pt_reserve_holes()). */
static void test_holes(void **state)
{
	char path[] = "/tmp/vfsd-holes.XXXXXX";
	char block[4096];
	struct pt_policy p;
	uint64_t b;
	int fd;

	(void)state;
	policy_with(&p, &(struct pt_opts){ .shared_dir = "/" });
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	memset(block, 'x', sizeof(block));
	/* Data in blocks 0 and 4, holes in 1-3 and 5-15: 64 KiB long. */
	assert_int_equal(pwrite(fd, block, 4096, 0), 4096);
	assert_int_equal(pwrite(fd, block, 4096, 4 * 4096), 4096);
	assert_int_equal(ftruncate(fd, 16 * 4096), 0);
	assert_int_equal(pt_reserve_holes(&p.reserve, fd, 0, 4096, &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(pt_reserve_holes(&p.reserve, fd, 100, 10, &b), 0);
	assert_int_equal(b, 0);
	/* Only where the filesystem really keeps holes. */
	if (lseek(fd, 0, SEEK_HOLE) == 4096) {
		assert_int_equal(pt_reserve_holes(&p.reserve, fd, 0, 5 * 4096,
						  &b), 0);
		assert_int_equal(b, 3 * 4096);
		assert_int_equal(pt_reserve_holes(&p.reserve, fd, 4096 + 1, 1,
						  &b), 0);
		assert_int_equal(b, 4096);
		assert_int_equal(pt_reserve_holes(&p.reserve, fd, 0, 16 * 4096,
						  &b), 0);
		assert_int_equal(b, 14 * 4096);
	}
	/* Beyond the end, all of it. */
	assert_int_equal(pt_reserve_holes(&p.reserve, fd, 16 * 4096, 8192, &b),
			 0);
	assert_int_equal(b, 8192);
	close(fd);
	pt_policy_fini(&p);
}

static void setattr_mode(struct env *e, uint64_t nodeid, uint32_t mode,
			 int expect)
{
	struct vfs_setattr in = { .valid = VFS_SET_MODE, .mode = mode };
	struct stat st;

	assert_int_equal(OP(setattr, e->fs, &root_ctx, nodeid, NULL, &in, &st),
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
	assert_int_equal(OP(create, e->fs, &root_ctx, VFS_ROOT_ID, "f",
				     S_IFREG | 06755, O_RDWR, 0, &ent, &fh),
			 0);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_mode & 07777, 0755);

	setattr_mode(e, ent.nodeid, 06711, 0);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_mode & 07777, 0711);

	/* Linux takes a new directory's set-group-ID from its parent. */
	assert_int_equal(chmod(e->dir, 02755), 0);
	assert_int_equal(OP(mkdir, e->fs, &root_ctx, VFS_ROOT_ID, "d",
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
	assert_int_equal(OP(setattr, e->fs, &root_ctx, id, NULL, &in, &st), 0);
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
	assert_int_equal(OP(mknod, e->fs, &root_ctx, VFS_ROOT_ID, "null",
				    S_IFCHR | 0666, (1u << 8) | 3u, 0, &ent),
			 -EPERM);
	assert_int_equal(lstat(hp(e, "null"), &st), -1);
	assert_int_equal(OP(mknod, e->fs, &root_ctx, VFS_ROOT_ID, "fifo",
				    S_IFIFO | 0644, 0, 0, &ent),
			 0);
	e->fs->policy.nodev = false;
	assert_int_equal(OP(mknod, e->fs, &root_ctx, VFS_ROOT_ID, "null",
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
	assert_int_equal(OP(write, e->fs, &root_ctx, id, fh, 0, &iov, 1,
				    false, &n),
			 -EROFS);
	assert_int_equal(OP(open, e->fs, &root_ctx, id, O_WRONLY, &rfh), -EROFS);
	assert_int_equal(OP(create, e->fs, &root_ctx, VFS_ROOT_ID, "g",
				     S_IFREG | 0644, O_RDWR, 0, &ent, &rfh),
			 -EROFS);
	assert_int_equal(OP(mkdir, e->fs, &root_ctx, VFS_ROOT_ID, "d",
				    S_IFDIR | 0755, 0, &ent),
			 -EROFS);
	assert_int_equal(OP(rename, e->fs, &root_ctx, VFS_ROOT_ID, "f",
				     VFS_ROOT_ID, "h", 0),
			 -EROFS);
	assert_int_equal(OP(unlink, e->fs, &root_ctx, VFS_ROOT_ID, "f"), -EROFS);
	assert_int_equal(OP(setattr, e->fs, &root_ctx, id, NULL, &in, &st),
			 -EROFS);
	assert_int_equal(OP(fallocate, e->fs, &root_ctx, id, fh, 0, 0, 10),
			 -EROFS);
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, id, "user.a", "1", 1,
				       0),
			 -EROFS);

	/* Reading goes on. */
	assert_int_equal(OP(open, e->fs, &root_ctx, id, O_RDONLY, &rfh), 0);
	iov = (struct iovec){ .iov_base = buf, .iov_len = sizeof(buf) - 1 };
	assert_int_equal(OP(read, e->fs, &root_ctx, id, rfh, 0, &iov, 1, &n),
			 0);
	assert_int_equal(n, 4);
	assert_string_equal(buf, "data");
	assert_int_equal(OP(statfs, e->fs, &root_ctx, id, &sv), 0);
	assert_true(sv.f_flag & ST_RDONLY);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_size, 4);
}

/* Whether the host keeps a hole at off in path (SEEK_HOLE says so). */
static bool lseek_hole_at(const char *path, off_t off)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool hole;

	assert_true(fd >= 0);
	hole = lseek(fd, off, SEEK_HOLE) == off;
	close(fd);
	return hole;
}

static void test_ops_reserve(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct iovec iov = { .iov_base = "abcd", .iov_len = 4 };
	struct statvfs sv;
	struct stat st;
	uint64_t fh, id, sfh, sid, copied;
	size_t n = 0;

	REQUIRE_ROOT();
	id = do_create(e, VFS_ROOT_ID, "f", &fh);
	write_str(e, fh, 0, "12345678");
	sid = do_create(e, VFS_ROOT_ID, "sparse", &sfh);
	write_str(e, sfh, 0, "data");
	assert_int_equal(truncate(hp(e, "sparse"), 1 << 20), 0);
	/* More than any test machine has: every allocation trips. */
	e->fs->policy.reserve.min_free_space = UINT64_MAX / 2;
	assert_int_equal(OP(create, e->fs, &root_ctx, VFS_ROOT_ID, "g",
				     S_IFREG | 0644, O_RDWR, 0, &ent, &fh),
			 -ENOSPC);
	assert_int_equal(OP(mkdir, e->fs, &root_ctx, VFS_ROOT_ID, "d",
				    S_IFDIR | 0755, 0, &ent),
			 -ENOSPC);
	assert_int_equal(OP(symlink, e->fs, &root_ctx, VFS_ROOT_ID, "l", "f",
				      &ent),
			 -ENOSPC);
	/*
	 * Growing the file into a new block is refused; rewriting what is
	 * there, or growing it inside its last block, is not.
	 */
	assert_int_equal(OP(write, e->fs, &root_ctx, id, fh, 4094, &iov, 1,
				    false, &n),
			 -ENOSPC);
	assert_int_equal(OP(write, e->fs, &root_ctx, id, fh, 6, &iov, 1, false,
				    &n),
			 0);
	assert_int_equal(OP(write, e->fs, &root_ctx, id, fh, 2, &iov, 1, false,
				    &n),
			 0);
	assert_int_equal(n, 4);
	/* Allocating what is there already allocates nothing. */
	assert_int_equal(OP(fallocate, e->fs, &root_ctx, id, fh, 0, 0, 4096),
			 0);
	assert_int_equal(OP(fallocate, e->fs, &root_ctx, id, fh, 0, 0, 8192),
			 -ENOSPC);
	/*
	 * A file grown by truncate is a hole: writing into it allocates as
	 * much as growing a file does, although its size stays.
	 */
	iov = (struct iovec){ .iov_base = "abcd", .iov_len = 4 };
	assert_int_equal(OP(write, e->fs, &root_ctx, sid, sfh, 65536, &iov,
				    1, false, &n),
			 lseek_hole_at(hp(e, "sparse"), 4096) ? -ENOSPC : 0);
	assert_int_equal(OP(write, e->fs, &root_ctx, sid, sfh, 0, &iov, 1,
				    false, &n),
			 0);
	assert_int_equal(OP(copy_file_range, e->fs, &root_ctx, id, fh, 0, sid,
					      sfh, 65536, 4, &copied),
			 lseek_hole_at(hp(e, "sparse"), 4096) ? -ENOSPC : 0);
	assert_int_equal(OP(fallocate, e->fs, &root_ctx, sid, sfh, 0, 65536,
					4096),
			 lseek_hole_at(hp(e, "sparse"), 4096) ? -ENOSPC : 0);
	/* New names, links and xattrs take space too. */
	assert_int_equal(OP(link, e->fs, &root_ctx, id, VFS_ROOT_ID, "f2",
				   &ent),
			 -ENOSPC);
	assert_int_equal(OP(rename, e->fs, &root_ctx, VFS_ROOT_ID, "f",
				     VFS_ROOT_ID, "f3", 0),
			 -ENOSPC);
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, id, "user.a", "1", 1,
				       0),
			 -ENOSPC);
	assert_int_equal(OP(tmpfile, e->fs, &root_ctx, VFS_ROOT_ID,
				      S_IFREG | 0644, O_RDWR, 0, &ent, &fh),
			 -ENOSPC);
	/* Trading places takes nothing; deleting frees space. */
	assert_int_equal(OP(rename, e->fs, &root_ctx, VFS_ROOT_ID, "f",
				     VFS_ROOT_ID, "sparse", RENAME_EXCHANGE),
			 0);
	assert_int_equal(OP(unlink, e->fs, &root_ctx, VFS_ROOT_ID, "f"), 0);
	assert_int_equal(lstat(hp(e, "f2"), &st) + lstat(hp(e, "f3"), &st), -2);

	/* Inodes, where the host filesystem counts them. */
	assert_int_equal(statvfs(e->dir, &sv), 0);
	e->fs->policy.reserve.min_free_space = 0;
	e->fs->policy.reserve.min_free_inodes = UINT64_MAX / 2;
	e->fs->policy.reserve.cached = false;
	assert_int_equal(OP(mkdir, e->fs, &root_ctx, VFS_ROOT_ID, "d",
				    S_IFDIR | 0755, 0, &ent),
			 sv.f_files ? -ENOSPC : 0);
	/* RENAME_WHITEOUT leaves an inode (a 0:0 device) at the old name. */
	assert_int_equal(OP(rename, e->fs, &root_ctx, VFS_ROOT_ID, "sparse",
				     VFS_ROOT_ID, "w", RENAME_WHITEOUT),
			 sv.f_files ? -ENOSPC : 0);
	assert_int_equal(OP(rename, e->fs, &root_ctx, VFS_ROOT_ID,
				     sv.f_files ? "sparse" : "w", VFS_ROOT_ID,
				     "w2", 0),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_strip),
		cmocka_unit_test(test_nodev),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_reserve_arithmetic),
		cmocka_unit_test(test_charges),
		cmocka_unit_test(test_holes),
		PT_TEST(test_ops_nosuid),
		PT_TEST(test_ops_nodev),
		PT_TEST(test_ops_readonly),
		PT_TEST(test_ops_reserve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
