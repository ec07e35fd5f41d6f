/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pt_ops on a temporary directory: directory listing, attributes, file I/O
 * and several guest users at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "policy/creds.h"
#include "pt_fixture.h"

static void test_readdir_offsets(void **state)
{
	struct env *e = *state;
	struct coll *c = calloc(1, sizeof(*c)), *c2 = calloc(1, sizeof(*c2));
	char name[16];
	uint64_t fh;
	int i;

	REQUIRE_ROOT();
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "e%02d", i);
		host_touch(hp(e, name), 0644);
	}
	assert_int_equal(OP(opendir, e->fs, &root_ctx, VFS_ROOT_ID, 0, &fh),
			 0);
	/* First 5 entries, then new ones appear, then the rest in threes. */
	c->limit = 5;
	assert_int_equal(OP(readdir, e->fs, &root_ctx, VFS_ROOT_ID, fh, 0,
				      false, collect, c),
			 0);
	assert_int_equal(c->n, 5);
	host_touch(hp(e, "new1"), 0644);
	host_touch(hp(e, "new2"), 0644);
	read_rest(e, fh, c, 3, false, c->off[4]);

	assert_int_equal(count_name(c, "."), 1);
	assert_int_equal(count_name(c, ".."), 1);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "e%02d", i);
		assert_int_equal(count_name(c, name), 1);
	}
	/* Entries added meanwhile may or may not show, but only once. */
	assert_true(count_name(c, "new1") <= 1);
	assert_true(count_name(c, "new2") <= 1);
	assert_true(c->n >= 22 && c->n <= 24);

	/* Resuming at an old cookie gives what followed it the first time. */
	c2->limit = 2;
	assert_int_equal(OP(readdir, e->fs, &root_ctx, VFS_ROOT_ID, fh,
				      c->off[2], false, collect, c2),
			 0);
	assert_int_equal(c2->n, 2);
	assert_string_equal(c2->names[0], c->names[3]);
	assert_string_equal(c2->names[1], c->names[4]);

	/* From 0 again: everything, new entries included. */
	memset(c2, 0, sizeof(*c2));
	read_rest(e, fh, c2, 7, false, 0);
	assert_int_equal(c2->n, 24);
	assert_int_equal(count_name(c2, "new1"), 1);

	/* A directory fh is no file fh, and the other way round. */
	{
		char b[4];
		struct iovec iov = { b, sizeof(b) };
		size_t n;

		assert_int_equal(OP(read, e->fs, &root_ctx, VFS_ROOT_ID, fh, 0,
					   &iov, 1, &n),
				 -EBADF);
	}
	assert_int_equal(OP(fsyncdir, e->fs, &root_ctx, VFS_ROOT_ID, fh,
				       false),
			 0);
	assert_int_equal(OP(releasedir, e->fs, &root_ctx, VFS_ROOT_ID, fh), 0);
	assert_int_equal(OP(readdir, e->fs, &root_ctx, VFS_ROOT_ID, fh, 0,
				      false, collect, c2),
			 -EBADF);
	free(c);
	free(c2);
}

static void test_readdirplus(void **state)
{
	struct env *e = *state;
	struct coll *c = calloc(1, sizeof(*c));
	uint64_t fh, before, named = 0;
	unsigned int i;

	REQUIRE_ROOT();
	host_touch(hp(e, "a"), 0644);
	host_touch(hp(e, "b"), 0644);
	host_touch(hp(e, "c"), 0644);
	assert_int_equal(mkdir(hp(e, "d"), 0755), 0);
	before = inode_count(&e->fs->inodes);

	assert_int_equal(OP(opendir, e->fs, &root_ctx, VFS_ROOT_ID, 0, &fh),
			 0);
	/* Batches of 2: the packer refuses every third entry once. */
	read_rest(e, fh, c, 2, true, 0);
	assert_int_equal(c->n, 6);
	for (i = 0; i < c->n; i++) {
		if (!strcmp(c->names[i], ".") || !strcmp(c->names[i], "..")) {
			assert_int_equal(c->nodeid[i], 0);
			continue;
		}
		assert_true(c->nodeid[i] > VFS_ROOT_ID);
		assert_int_equal(c->nodeid[i],
				 do_lookup(e, VFS_ROOT_ID, c->names[i]));
		named++;
	}
	assert_int_equal(named, 4);
	/* Refused entries left no lookup behind: one inode per entry. */
	assert_int_equal(inode_count(&e->fs->inodes), before + 4);
	/* Each has exactly two lookups (readdirplus + do_lookup). */
	for (i = 0; i < c->n; i++) {
		struct pt_inode *ino;

		if (!c->nodeid[i])
			continue;
		assert_int_equal(inode_get(&e->fs->inodes, c->nodeid[i], &ino),
				 0);
		assert_int_equal(ino->nlookup, 2);
		inode_put(&e->fs->inodes, ino);
		ops->forget(e->fs, c->nodeid[i], 2);
	}
	assert_int_equal(inode_count(&e->fs->inodes), before);
	assert_int_equal(OP(releasedir, e->fs, &root_ctx, VFS_ROOT_ID, fh), 0);
	free(c);
}

static void test_readdirplus_unsearchable(void **state)
{
	struct env *e = *state;
	struct coll *c = calloc(1, sizeof(*c));
	uint64_t fh, dir;
	unsigned int i;

	REQUIRE_ROOT();
	assert_int_equal(chmod(e->dir, 0755), 0);
	/* Others may list it but not look anything up in it. */
	assert_int_equal(mkdir(hp(e, "ro"), 0744), 0);
	host_touch(hp(e, "ro/x"), 0644);
	dir = do_lookup(e, VFS_ROOT_ID, "ro");
	assert_int_equal(OP(opendir, e->fs, &user_ctx, dir, 0, &fh), 0);
	c->limit = 10;
	assert_int_equal(OP(readdir, e->fs, &user_ctx, dir, fh, 0, true,
				      collect, c),
			 0);
	assert_int_equal(c->n, 3);
	assert_int_equal(count_name(c, "x"), 1);
	for (i = 0; i < c->n; i++)
		assert_int_equal(c->nodeid[i], 0);
	assert_int_equal(OP(releasedir, e->fs, &user_ctx, dir, fh), 0);
	free(c);
}

static void test_setattr(void **state)
{
	struct env *e = *state;
	struct vfs_setattr sa;
	struct stat st;
	uint64_t fh, id;

	REQUIRE_ROOT();
	id = do_create(e, VFS_ROOT_ID, "f", &fh);

	sa = (struct vfs_setattr){ .valid = VFS_SET_MODE, .mode = S_IFREG | 0600 };
	assert_int_equal(OP(setattr, e->fs, &root_ctx, id, NULL, &sa, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_mode, S_IFREG | 0600);

	sa = (struct vfs_setattr){ .valid = VFS_SET_UID | VFS_SET_GID,
				   .uid = 1234, .gid = 5678 };
	assert_int_equal(OP(setattr, e->fs, &root_ctx, id, NULL, &sa, &st), 0);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 5678);

	sa = (struct vfs_setattr){ .valid = VFS_SET_SIZE, .size = 100 };
	assert_int_equal(OP(setattr, e->fs, &root_ctx, id, NULL, &sa, &st), 0);
	assert_int_equal(st.st_size, 100);
	sa.size = 10;
	assert_int_equal(OP(setattr, e->fs, &root_ctx, id, &fh, &sa, &st), 0);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_size, 10);
	sa.size = UINT64_MAX;
	assert_int_equal(OP(setattr, e->fs, &root_ctx, id, NULL, &sa, &st),
			 -EINVAL);
	sa.size = 1;
	{
		uint64_t bad = fh + 1000;

		assert_int_equal(OP(setattr, e->fs, &root_ctx, id, &bad, &sa,
					      &st),
				 -EBADF);
	}
	sa = (struct vfs_setattr){ .valid = VFS_SET_SIZE, .size = 0 };
	assert_int_equal(OP(setattr, e->fs, &root_ctx, VFS_ROOT_ID, NULL, &sa,
				      &st),
			 -EISDIR);

	sa = (struct vfs_setattr){ .valid = VFS_SET_ATIME | VFS_SET_MTIME,
				   .atime = { 1000, 5 }, .mtime = { 2000, 7 } };
	assert_int_equal(OP(setattr, e->fs, &root_ctx, id, NULL, &sa, &st), 0);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_atim.tv_sec, 1000);
	assert_int_equal(st.st_atim.tv_nsec, 5);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	assert_int_equal(st.st_mtim.tv_nsec, 7);

	sa = (struct vfs_setattr){ .valid = VFS_SET_MTIME | VFS_SET_MTIME_NOW };
	assert_int_equal(OP(setattr, e->fs, &root_ctx, id, &fh, &sa, &st), 0);
	assert_true(st.st_mtim.tv_sec > 2000);
	assert_int_equal(st.st_atim.tv_sec, 1000);

	/* UTIME_NOW smuggled in as nanoseconds is refused. */
	sa = (struct vfs_setattr){ .valid = VFS_SET_ATIME,
				   .atime = { 0, UTIME_NOW } };
	assert_int_equal(OP(setattr, e->fs, &root_ctx, id, NULL, &sa, &st),
			 -EINVAL);

	/* KILL_SUIDGID with a truncate clears set-user-ID even for root. */
	assert_int_equal(chmod(hp(e, "f"), 04755), 0);
	sa = (struct vfs_setattr){ .valid = VFS_SET_SIZE | VFS_SET_KILL_SUIDGID,
				   .size = 0 };
	assert_int_equal(OP(setattr, e->fs, &root_ctx, id, NULL, &sa, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);

	assert_int_equal(OP(release, e->fs, &root_ctx, id, fh), 0);
	sa = (struct vfs_setattr){ .valid = VFS_SET_MODE, .mode = 0644 };
	assert_int_equal(OP(setattr, e->fs, &root_ctx, 424242, NULL, &sa, &st),
			 -ESTALE);
}

static void test_file_ops(void **state)
{
	struct env *e = *state;
	struct statvfs sv;
	uint64_t fh, id, r = 0;

	REQUIRE_ROOT();
	id = do_create(e, VFS_ROOT_ID, "f", &fh);
	assert_int_equal(OP(fallocate, e->fs, &root_ctx, id, fh, 0, 0, 8192),
			 0);
	write_str(e, fh, 0, "head");
	write_str(e, fh, 1 << 20, "tail");
	assert_int_equal(OP(lseek, e->fs, &root_ctx, id, fh, 0, SEEK_DATA, &r),
			 0);
	assert_int_equal(r, 0);
	/* Where the hole starts depends on the host filesystem's blocks. */
	assert_int_equal(OP(lseek, e->fs, &root_ctx, id, fh, 0, SEEK_HOLE, &r),
			 0);
	assert_true(r >= 4 && r <= (1 << 20) + 4);
	assert_int_equal(OP(lseek, e->fs, &root_ctx, id, fh, (1 << 20) + 4,
				    SEEK_DATA, &r),
			 -ENXIO);
	assert_int_equal(OP(lseek, e->fs, &root_ctx, id, fh, 0, 99, &r),
			 -EINVAL);
	assert_int_equal(OP(fallocate, e->fs, &root_ctx, id, fh, 0,
					UINT64_MAX, 1),
			 -EINVAL);
	assert_int_equal(OP(statfs, e->fs, &root_ctx, id, &sv), 0);
	assert_true(sv.f_bsize > 0);
	assert_int_equal(OP(release, e->fs, &root_ctx, id, fh), 0);
	assert_int_equal(OP(open, e->fs, &root_ctx, VFS_ROOT_ID, O_RDONLY,
				   &fh),
			 -EISDIR);
	assert_int_equal(OP(open, e->fs, &root_ctx, id, O_ACCMODE, &fh),
			 -EINVAL);
}

static void test_write_kill_priv(void **state)
{
	struct env *e = *state;
	struct iovec iov = { (void *)"x", 1 };
	struct stat st;
	uint64_t fh, id;
	size_t n;

	REQUIRE_ROOT();
	id = do_create(e, VFS_ROOT_ID, "suid", &fh);
	assert_int_equal(chmod(hp(e, "suid"), 06755), 0);
	/* A root writer keeps the bits unless the guest says otherwise. */
	assert_int_equal(OP(write, e->fs, &root_ctx, id, fh, 0, &iov, 1,
				    false, &n),
			 0);
	host_stat(hp(e, "suid"), &st);
	assert_int_equal(st.st_mode & 07777, 06755);
	assert_int_equal(OP(write, e->fs, &root_ctx, id, fh, 0, &iov, 1, true,
				    &n),
			 0);
	host_stat(hp(e, "suid"), &st);
	assert_int_equal(st.st_mode & 07777, 0755);

	/* Set-group-ID without group-execute is not a privilege: kept. */
	assert_int_equal(chmod(hp(e, "suid"), 02744), 0);
	assert_int_equal(OP(write, e->fs, &root_ctx, id, fh, 0, &iov, 1, true,
				    &n),
			 0);
	host_stat(hp(e, "suid"), &st);
	assert_int_equal(st.st_mode & 07777, 02744);
	assert_int_equal(OP(release, e->fs, &root_ctx, id, fh), 0);
}

static void test_writeback_open(void **state)
{
	struct env *e = *state;
	struct vfs_conn conn = { .writeback_cache = true };
	char buf[16];
	struct iovec iov = { buf, sizeof(buf) };
	size_t n = 0;
	uint64_t fh, id;

	REQUIRE_ROOT();
	id = do_create(e, VFS_ROOT_ID, "f", &fh);
	write_str(e, fh, 0, "0123456789");
	OP(release, e->fs, &root_ctx, id, fh);

	ops->init(e->fs, &conn);
	/* O_WRONLY becomes O_RDWR (page cache fills), O_APPEND is dropped. */
	assert_int_equal(OP(open, e->fs, &root_ctx, id, O_WRONLY | O_APPEND,
				   &fh),
			 0);
	assert_int_equal(OP(read, e->fs, &root_ctx, id, fh, 0, &iov, 1, &n),
			 0);
	assert_int_equal(n, 10);
	write_str(e, fh, 2, "ab");
	host_read(hp(e, "f"), buf, sizeof(buf));
	assert_string_equal(buf, "01ab456789");
	OP(release, e->fs, &root_ctx, id, fh);

	conn.writeback_cache = false;
	ops->init(e->fs, &conn);
	assert_int_equal(OP(open, e->fs, &root_ctx, id, O_WRONLY, &fh), 0);
	assert_int_equal(OP(read, e->fs, &root_ctx, id, fh, 0, &iov, 1, &n),
			 -EBADF);
	OP(release, e->fs, &root_ctx, id, fh);
}

#define MT_THREADS 4
#define MT_ROUNDS 200

struct mt_arg {
	struct env *e;
	uint64_t dir;
	struct vfs_ctx ctx;
	int failed_line;
};

#define MT_CHECK(cond)                            \
	do {                                      \
		if (!(cond)) {                    \
			a->failed_line = __LINE__; \
			return NULL;              \
		}                                 \
	} while (0)

struct mt_ids {
	uint64_t id[64];
	unsigned int n;
};

/* Takes what fits and remembers the lookups, as the guest kernel would. */
static int mt_fill(void *arg, const struct vfs_dirent *d)
{
	struct mt_ids *ids = arg;

	if (ids->n == 64)
		return 1;
	ids->id[ids->n++] = d->entry->nodeid;
	return 0;
}

/* One guest user's traffic; the others run theirs at the same time. */
static void *mt_worker(void *arg)
{
	struct mt_arg *a = arg;
	struct env *e = a->e;
	const struct vfs_ctx *ctx = &a->ctx;
	struct vfs_entry ent;
	char name[32], buf[32];
	struct iovec iov = { buf, sizeof(buf) };
	uint64_t fh, dfh;
	size_t n;
	int i;

	for (i = 0; i < MT_ROUNDS; i++) {
		snprintf(name, sizeof(name), "u%u-%d", ctx->uid, i % 8);
		MT_CHECK(!OP(create, e->fs, ctx, a->dir, name, 0600,
				      O_RDWR | O_CREAT | O_TRUNC, 0, &ent,
				      &fh));
		MT_CHECK(geteuid() == ctx->uid && getegid() == ctx->gid);
		MT_CHECK(ent.attr.st_uid == ctx->uid);
		iov.iov_len = (size_t)snprintf(buf, sizeof(buf), "%s", name);
		MT_CHECK(!OP(write, e->fs, ctx, ent.nodeid, fh, 0, &iov, 1,
				     false, &n));
		iov.iov_len = sizeof(buf);
		MT_CHECK(!OP(read, e->fs, ctx, ent.nodeid, fh, 0, &iov, 1,
				    &n));
		MT_CHECK(n == strlen(name) && !memcmp(buf, name, n));
		MT_CHECK(!OP(release, e->fs, ctx, ent.nodeid, fh));
		ops->forget(e->fs, ent.nodeid, 1);
		if (i % 16 == 0) {
			struct mt_ids ids = { .n = 0 };
			unsigned int k;

			MT_CHECK(!OP(opendir, e->fs, ctx, a->dir, 0, &dfh));
			MT_CHECK(!OP(readdir, e->fs, ctx, a->dir, dfh, 0, true,
					       mt_fill, &ids));
			MT_CHECK(!OP(releasedir, e->fs, ctx, a->dir, dfh));
			MT_CHECK(ids.n >= 2);
			for (k = 0; k < ids.n; k++)
				if (ids.id[k])
					ops->forget(e->fs, ids.id[k], 1);
		}
		if (i % 8 == 7)
			MT_CHECK(!OP(unlink, e->fs, ctx, a->dir, name));
	}
	return NULL;
}

static void test_concurrent_users(void **state)
{
	struct env *e = *state;
	struct mt_arg args[MT_THREADS];
	pthread_t th[MT_THREADS];
	uint64_t dir;
	int i;

	REQUIRE_ROOT();
	assert_int_equal(chmod(e->dir, 0755), 0);
	assert_int_equal(mkdir(hp(e, "mt"), 0777), 0);
	assert_int_equal(chmod(hp(e, "mt"), 0777), 0);
	dir = do_lookup(e, VFS_ROOT_ID, "mt");
	for (i = 0; i < MT_THREADS; i++) {
		args[i] = (struct mt_arg){
			.e = e,
			.dir = dir,
			.ctx = { .uid = i ? 1000u + (unsigned)i : 0,
				 .gid = i ? 2000u + (unsigned)i : 0 },
		};
		assert_int_equal(pthread_create(&th[i], NULL, mt_worker,
						&args[i]),
				 0);
	}
	for (i = 0; i < MT_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].failed_line, 0);
	}
	/* Every lookup was forgotten, every handle released. */
	assert_int_equal(inode_count(&e->fs->inodes), 2);
	assert_int_equal(handle_count(&e->fs->handles), 0);
	{
		struct stat st;

		host_stat(hp(e, "mt/u1001-0"), &st);
		assert_int_equal(st.st_uid, 1001);
		assert_int_equal(st.st_gid, 2001);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_readdir_offsets),
		PT_TEST(test_readdirplus),
		PT_TEST(test_readdirplus_unsearchable),
		PT_TEST(test_setattr),
		PT_TEST(test_file_ops),
		PT_TEST(test_write_kill_priv),
		PT_TEST(test_writeback_open),
		PT_TEST(test_concurrent_users),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
