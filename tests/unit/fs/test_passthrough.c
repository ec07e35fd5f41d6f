/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pt_ops on a temporary directory, checking what happens on the host:
 * names, links, symlinks, special files, callers' credentials, unknown ids.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "policy/creds.h"
#include "pt_fixture.h"

static void test_create_write_read(void **state)
{
	struct env *e = *state;
	char buf[64] = { 0 };
	struct iovec iov[2] = { { buf, 3 }, { buf + 3, sizeof(buf) - 3 } };
	struct stat st;
	uint64_t fh, id, fh2;
	size_t n = 0;

	REQUIRE_ROOT();
	id = do_create(e, VFS_ROOT_ID, "f", &fh);
	assert_true(id > VFS_ROOT_ID);
	write_str(e, fh, 0, "hello world");

	assert_int_equal(OP(read, e->fs, &root_ctx, id, fh, 0, iov, 2, &n),
			 0);
	assert_int_equal(n, 11);
	assert_memory_equal(buf, "hello world", 11);
	n = 99;
	assert_int_equal(OP(read, e->fs, &root_ctx, id, fh, 6, iov, 2, &n),
			 0);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(OP(flush, e->fs, &root_ctx, id, fh, 0), 0);
	assert_int_equal(OP(fsync, e->fs, &root_ctx, id, fh, true), 0);
	assert_int_equal(OP(release, e->fs, &root_ctx, id, fh), 0);
	/* The fh is dead now. */
	assert_int_equal(OP(read, e->fs, &root_ctx, id, fh, 0, iov, 2, &n),
			 -EBADF);

	host_read(hp(e, "f"), buf, sizeof(buf));
	assert_string_equal(buf, "hello world");
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_mode & 07777, 0644);

	/* Looked up again: the same nodeid, now with two lookups. */
	assert_int_equal(do_lookup(e, VFS_ROOT_ID, "f"), id);
	assert_int_equal(OP(getattr, e->fs, &root_ctx, id, NULL, &st), 0);
	assert_int_equal(st.st_size, 11);
	assert_true(S_ISREG(st.st_mode));

	/* OPEN of the existing file; CREATE of it without and with O_EXCL. */
	assert_int_equal(OP(open, e->fs, &root_ctx, id, O_RDONLY, &fh2), 0);
	assert_true(fh2 != fh);
	assert_int_equal(OP(release, e->fs, &root_ctx, id, fh2), 0);
	assert_int_equal(do_create(e, VFS_ROOT_ID, "f", &fh2), id);
	assert_int_equal(OP(release, e->fs, &root_ctx, id, fh2), 0);
	{
		struct vfs_entry ent;

		assert_int_equal(OP(create, e->fs, &root_ctx, VFS_ROOT_ID,
					     "f", 0644,
					     O_RDWR | O_CREAT | O_EXCL, 0,
					     &ent, &fh2),
				 -EEXIST);
		assert_int_equal(OP(create, e->fs, &root_ctx, VFS_ROOT_ID,
					     "..", 0644, O_RDWR | O_CREAT, 0,
					     &ent, &fh2),
				 -EINVAL);
	}
	assert_int_equal(handle_count(&e->fs->handles), 0);
}

static void test_rename(void **state)
{
	struct env *e = *state;
	char buf[32];
	uint64_t fh, a, b, sub;

	REQUIRE_ROOT();
	a = do_create(e, VFS_ROOT_ID, "a", &fh);
	write_str(e, fh, 0, "AAA");
	OP(release, e->fs, &root_ctx, a, fh);
	b = do_create(e, VFS_ROOT_ID, "b", &fh);
	write_str(e, fh, 0, "BBB");
	OP(release, e->fs, &root_ctx, b, fh);

	assert_int_equal(OP(rename, e->fs, &root_ctx, VFS_ROOT_ID, "a",
				     VFS_ROOT_ID, "b", RENAME_NOREPLACE),
			 -EEXIST);
	assert_int_equal(OP(rename, e->fs, &root_ctx, VFS_ROOT_ID, "a",
				     VFS_ROOT_ID, "b", RENAME_EXCHANGE),
			 0);
	host_read(hp(e, "a"), buf, sizeof(buf));
	assert_string_equal(buf, "BBB");
	host_read(hp(e, "b"), buf, sizeof(buf));
	assert_string_equal(buf, "AAA");
	/* nodeids follow the files, not the names. */
	assert_int_equal(do_lookup(e, VFS_ROOT_ID, "a"), b);

	assert_int_equal(mkdir(hp(e, "sub"), 0755), 0);
	/* Looked up first: OP() does not nest (one request at a time). */
	sub = do_lookup(e, VFS_ROOT_ID, "sub");
	assert_int_equal(OP(rename, e->fs, &root_ctx, VFS_ROOT_ID, "a",
				     sub, "moved", 0),
			 0);
	host_read(hp(e, "sub/moved"), buf, sizeof(buf));
	assert_string_equal(buf, "BBB");
	assert_int_equal(access(hp(e, "a"), F_OK), -1);

	assert_int_equal(OP(rename, e->fs, &root_ctx, VFS_ROOT_ID, "b",
				     VFS_ROOT_ID, "c", 0x80),
			 -EINVAL);
	assert_int_equal(OP(rename, e->fs, &root_ctx, VFS_ROOT_ID, "b",
				     VFS_ROOT_ID, "..", 0),
			 -EINVAL);
	assert_int_equal(OP(rename, e->fs, &root_ctx, VFS_ROOT_ID, "b", a,
				     "x", 0),
			 -ENOTDIR);
}

static void test_link_counts(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct stat st;
	uint64_t fh, id;

	REQUIRE_ROOT();
	id = do_create(e, VFS_ROOT_ID, "f", &fh);
	OP(release, e->fs, &root_ctx, id, fh);
	assert_int_equal(OP(link, e->fs, &root_ctx, id, VFS_ROOT_ID, "g",
				   &ent),
			 0);
	assert_int_equal(ent.nodeid, id);
	assert_int_equal(ent.attr.st_nlink, 2);
	host_stat(hp(e, "g"), &st);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(OP(link, e->fs, &root_ctx, id, VFS_ROOT_ID, "g",
				   &ent),
			 -EEXIST);
	/* Directories cannot be hard-linked. */
	assert_int_equal(OP(link, e->fs, &root_ctx, VFS_ROOT_ID, VFS_ROOT_ID,
				   "root2", &ent),
			 -EPERM);

	assert_int_equal(OP(unlink, e->fs, &root_ctx, VFS_ROOT_ID, "g"), 0);
	assert_int_equal(OP(getattr, e->fs, &root_ctx, id, NULL, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	/* Unlinked but still known to the guest: getattr works on it. */
	assert_int_equal(OP(unlink, e->fs, &root_ctx, VFS_ROOT_ID, "f"), 0);
	assert_int_equal(OP(getattr, e->fs, &root_ctx, id, NULL, &st), 0);
	assert_int_equal(st.st_nlink, 0);
}

static void test_unlink_rmdir(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	uint64_t d, fh, f;

	REQUIRE_ROOT();
	assert_int_equal(OP(mkdir, e->fs, &root_ctx, VFS_ROOT_ID, "d", 0750, 0,
				    &ent),
			 0);
	d = ent.nodeid;
	assert_true(S_ISDIR(ent.attr.st_mode));
	assert_int_equal(ent.attr.st_mode & 07777, 0750);
	f = do_create(e, d, "x", &fh);
	OP(release, e->fs, &root_ctx, f, fh);

	assert_int_equal(OP(rmdir, e->fs, &root_ctx, VFS_ROOT_ID, "d"),
			 -ENOTEMPTY);
	assert_int_equal(OP(unlink, e->fs, &root_ctx, VFS_ROOT_ID, "d"),
			 -EISDIR);
	assert_int_equal(OP(rmdir, e->fs, &root_ctx, d, "x"), -ENOTDIR);
	assert_int_equal(OP(unlink, e->fs, &root_ctx, d, "x"), 0);
	assert_int_equal(OP(unlink, e->fs, &root_ctx, d, "x"), -ENOENT);
	assert_int_equal(OP(rmdir, e->fs, &root_ctx, VFS_ROOT_ID, "d"), 0);
	assert_int_equal(OP(lookup, e->fs, &root_ctx, VFS_ROOT_ID, "d", &ent),
			 -ENOENT);
	assert_int_equal(access(hp(e, "d"), F_OK), -1);
	/* "." and ".." are no names to remove. */
	assert_int_equal(OP(rmdir, e->fs, &root_ctx, VFS_ROOT_ID, "."),
			 -EINVAL);
	assert_int_equal(OP(unlink, e->fs, &root_ctx, VFS_ROOT_ID, ".."),
			 -EINVAL);
	/* Creating inside a removed directory fails cleanly. */
	assert_int_equal(OP(mkdir, e->fs, &root_ctx, d, "y", 0755, 0, &ent),
			 -ENOENT);
}

static void test_symlink_outside(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	char buf[64];
	size_t len = 0;
	uint64_t id, fh;

	REQUIRE_ROOT();
	assert_int_equal(OP(symlink, e->fs, &root_ctx, VFS_ROOT_ID, "etc",
				      "/etc", &ent),
			 0);
	id = ent.nodeid;
	assert_true(S_ISLNK(ent.attr.st_mode));
	/* A host-made link to a host file is no better. */
	assert_int_equal(symlink("/etc/passwd", hp(e, "pw")), 0);

	assert_int_equal(OP(lookup, e->fs, &root_ctx, VFS_ROOT_ID, "pw", &ent),
			 0);
	assert_true(S_ISLNK(ent.attr.st_mode));
	assert_int_equal(OP(open, e->fs, &root_ctx, ent.nodeid, O_RDONLY, &fh),
			 -ELOOP);
	assert_int_equal(OP(open, e->fs, &root_ctx, id, O_RDONLY, &fh), -ELOOP);
	assert_int_equal(OP(opendir, e->fs, &root_ctx, id, 0, &fh), -ENOTDIR);
	assert_int_equal(OP(lookup, e->fs, &root_ctx, id, "passwd", &ent),
			 -ENOTDIR);
	assert_int_equal(OP(create, e->fs, &root_ctx, VFS_ROOT_ID, "pw", 0644,
				     O_RDWR | O_CREAT, 0, &ent, &fh),
			 -ELOOP);
	/* Nothing got through: /etc/passwd keeps its size. */
	{
		struct stat a, b;

		assert_int_equal(stat("/etc/passwd", &a), 0);
		assert_int_equal(OP(mkdir, e->fs, &root_ctx, id, "x", 0755, 0,
					    &ent),
				 -ENOTDIR);
		assert_int_equal(stat("/etc/passwd", &b), 0);
		assert_int_equal(a.st_size, b.st_size);
	}
	assert_int_equal(OP(readlink, e->fs, &root_ctx, id, buf, sizeof(buf),
				       &len),
			 0);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "/etc", 4);
	assert_int_equal(OP(readlink, e->fs, &root_ctx, VFS_ROOT_ID, buf,
				       sizeof(buf), &len),
			 -EINVAL);
	/* chmod of a symlink would follow it through /proc. */
	{
		struct vfs_setattr sa = { .valid = VFS_SET_MODE, .mode = 0777 };
		struct stat st;

		assert_int_equal(OP(setattr, e->fs, &root_ctx, id, NULL, &sa,
					      &st),
				 -EOPNOTSUPP);
	}
}

static void test_dotdot(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	uint64_t sub, subsub;

	REQUIRE_ROOT();
	assert_int_equal(do_lookup(e, VFS_ROOT_ID, ".."), VFS_ROOT_ID);
	assert_int_equal(do_lookup(e, VFS_ROOT_ID, "."), VFS_ROOT_ID);
	assert_int_equal(mkdir(hp(e, "sub"), 0755), 0);
	assert_int_equal(mkdir(hp(e, "sub/subsub"), 0755), 0);
	sub = do_lookup(e, VFS_ROOT_ID, "sub");
	subsub = do_lookup(e, sub, "subsub");
	assert_int_equal(do_lookup(e, sub, ".."), VFS_ROOT_ID);
	assert_int_equal(do_lookup(e, sub, "."), sub);
	assert_int_equal(do_lookup(e, subsub, ".."), sub);
	/* Climbing from the root again stays there. */
	assert_int_equal(do_lookup(e, do_lookup(e, sub, ".."), ".."),
			 VFS_ROOT_ID);
	assert_int_equal(OP(lookup, e->fs, &root_ctx, VFS_ROOT_ID, "a/b",
				     &ent),
			 -EINVAL);
	assert_int_equal(OP(lookup, e->fs, &root_ctx, VFS_ROOT_ID, "", &ent),
			 -EINVAL);
}

static void test_special_files_refused(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct stat st;
	uint64_t fh, fifo;

	REQUIRE_ROOT();
	assert_int_equal(OP(mknod, e->fs, &root_ctx, VFS_ROOT_ID, "p",
				    S_IFIFO | 0666, 0, 0, &ent),
			 0);
	fifo = ent.nodeid;
	assert_true(S_ISFIFO(ent.attr.st_mode));
	host_stat(hp(e, "p"), &st);
	assert_true(S_ISFIFO(st.st_mode));
	/* Opening would block a worker (fifo) or reach host hardware. */
	assert_int_equal(OP(open, e->fs, &root_ctx, fifo, O_RDONLY, &fh),
			 -ENXIO);
	assert_int_equal(OP(open, e->fs, &root_ctx, fifo, O_WRONLY, &fh),
			 -ENXIO);
	assert_int_equal(OP(create, e->fs, &root_ctx, VFS_ROOT_ID, "p", 0644,
				     O_RDWR | O_CREAT, 0, &ent, &fh),
			 -ENXIO);
	{
		struct vfs_setattr sa = { .valid = VFS_SET_SIZE, .size = 0 };

		assert_int_equal(OP(setattr, e->fs, &root_ctx, fifo, NULL, &sa,
					      &st),
				 -EINVAL);
	}

	/* /dev/null's numbers, in FUSE's encoding: created, never opened. */
	assert_int_equal(OP(mknod, e->fs, &root_ctx, VFS_ROOT_ID, "null",
				    S_IFCHR | 0666, (1u << 8) | 3u, 0, &ent),
			 0);
	host_stat(hp(e, "null"), &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 1);
	assert_int_equal(minor(st.st_rdev), 3);
	assert_int_equal(OP(open, e->fs, &root_ctx, ent.nodeid, O_RDWR, &fh),
			 -ENXIO);

	assert_int_equal(OP(mknod, e->fs, &root_ctx, VFS_ROOT_ID, "s",
				    S_IFSOCK | 0600, 0, 0, &ent),
			 0);
	assert_int_equal(OP(open, e->fs, &root_ctx, ent.nodeid, O_RDWR, &fh),
			 -ENXIO);
	assert_int_equal(OP(mknod, e->fs, &root_ctx, VFS_ROOT_ID, "r",
				    S_IFREG | 0600, 0, 0, &ent),
			 0);
	assert_int_equal(OP(mknod, e->fs, &root_ctx, VFS_ROOT_ID, "dd",
				    S_IFDIR | 0700, 0, 0, &ent),
			 -EINVAL);
	assert_int_equal(handle_count(&e->fs->handles), 0);
}

static void test_nonroot_caller(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct stat st;
	uint64_t fh, priv, pub;

	REQUIRE_ROOT();
	/* The share itself is root's 0700 from mkdtemp: open it up. */
	assert_int_equal(chmod(e->dir, 0755), 0);
	assert_int_equal(mkdir(hp(e, "priv"), 0700), 0);
	assert_int_equal(mkdir(hp(e, "pub"), 0777), 0);
	assert_int_equal(chmod(hp(e, "pub"), 0777), 0);
	host_touch(hp(e, "priv/secret"), 0600);
	priv = do_lookup(e, VFS_ROOT_ID, "priv");
	pub = do_lookup(e, VFS_ROOT_ID, "pub");

	assert_int_equal(OP(create, e->fs, &user_ctx, priv, "f", 0644,
				     O_RDWR | O_CREAT, 0, &ent, &fh),
			 -EACCES);
	assert_int_equal(OP(lookup, e->fs, &user_ctx, priv, "secret", &ent),
			 -EACCES);
	assert_int_equal(OP(mkdir, e->fs, &user_ctx, priv, "d", 0755, 0,
				    &ent),
			 -EACCES);
	assert_int_equal(OP(opendir, e->fs, &user_ctx, priv, 0, &fh), -EACCES);
	assert_int_equal(OP(access, e->fs, &user_ctx, priv, R_OK), -EACCES);
	assert_int_equal(OP(access, e->fs, &root_ctx, priv, R_OK | W_OK), 0);
	assert_int_equal(OP(access, e->fs, &user_ctx, pub, W_OK | X_OK), 0);
	assert_int_equal(OP(access, e->fs, &user_ctx, pub, 0x100), -EINVAL);

	assert_int_equal(OP(create, e->fs, &user_ctx, pub, "mine", 0640,
				     O_RDWR | O_CREAT, 0, &ent, &fh),
			 0);
	assert_int_equal(ent.attr.st_uid, 1000);
	OP(release, e->fs, &user_ctx, ent.nodeid, fh);
	host_stat(hp(e, "pub/mine"), &st);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1000);
	assert_int_equal(st.st_mode & 07777, 0640);

	assert_int_equal(OP(mkdir, e->fs, &user_ctx, pub, "dir", 0755, 0,
				    &ent),
			 0);
	host_stat(hp(e, "pub/dir"), &st);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(OP(symlink, e->fs, &user_ctx, pub, "ln", "mine",
				      &ent),
			 0);
	host_stat(hp(e, "pub/ln"), &st);
	assert_int_equal(st.st_uid, 1000);

	/* Not the owner: no chown to someone else, no chmod of root's file. */
	{
		struct vfs_setattr sa = { .valid = VFS_SET_UID, .uid = 0 };
		uint64_t mine = do_lookup(e, pub, "mine");

		assert_int_equal(OP(setattr, e->fs, &user_ctx, mine, NULL, &sa,
					      &st),
				 -EPERM);
		sa = (struct vfs_setattr){ .valid = VFS_SET_MODE, .mode = 0777 };
		assert_int_equal(OP(setattr, e->fs, &user_ctx, priv, NULL, &sa,
					      &st),
				 -EPERM);
		assert_int_equal(OP(setattr, e->fs, &user_ctx, mine, NULL, &sa,
					      &st),
				 0);
		assert_int_equal(st.st_mode & 07777, 0777);
	}
	/* The daemon's own identity is untouched: real uid still root. */
	assert_int_equal(getuid(), 0);
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(geteuid(), 0);
}

static void test_unknown_ids_and_forget(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct stat st;
	char b[8];
	struct iovec iov = { b, sizeof(b) };
	size_t n;
	uint64_t fh, id, id2;

	REQUIRE_ROOT();
	assert_int_equal(OP(getattr, e->fs, &root_ctx, 0, NULL, &st), -ESTALE);
	assert_int_equal(OP(getattr, e->fs, &root_ctx, UINT64_MAX, NULL, &st),
			 -ESTALE);
	assert_int_equal(OP(lookup, e->fs, &root_ctx, 77, "x", &ent), -ESTALE);
	assert_int_equal(OP(open, e->fs, &root_ctx, 77, O_RDONLY, &fh),
			 -ESTALE);
	assert_int_equal(OP(read, e->fs, &root_ctx, 1, 12345, 0, &iov, 1, &n),
			 -EBADF);
	assert_int_equal(OP(release, e->fs, &root_ctx, 1, 12345), -EBADF);
	assert_int_equal(OP(releasedir, e->fs, &root_ctx, 1, 0), -EBADF);
	ops->forget(e->fs, 999, 1);
	ops->forget(e->fs, VFS_ROOT_ID, UINT64_MAX);
	assert_int_equal(OP(getattr, e->fs, &root_ctx, VFS_ROOT_ID, NULL, &st),
			 0);

	host_touch(hp(e, "f"), 0644);
	id = do_lookup(e, VFS_ROOT_ID, "f");
	ops->forget(e->fs, id, 1);
	assert_int_equal(OP(getattr, e->fs, &root_ctx, id, NULL, &st), -ESTALE);
	id2 = do_lookup(e, VFS_ROOT_ID, "f");
	assert_true(id2 > id);

	/* An open file survives its inode being forgotten. */
	assert_int_equal(OP(open, e->fs, &root_ctx, id2, O_RDWR, &fh), 0);
	ops->forget(e->fs, id2, 1);
	write_str(e, fh, 0, "still");
	assert_int_equal(OP(release, e->fs, &root_ctx, id2, fh), 0);

	/* DESTROY forgets everything but the root. */
	do_lookup(e, VFS_ROOT_ID, "f");
	assert_int_equal(OP(opendir, e->fs, &root_ctx, VFS_ROOT_ID, 0, &fh),
			 0);
	ops->destroy(e->fs);
	assert_int_equal(inode_count(&e->fs->inodes), 1);
	assert_int_equal(handle_count(&e->fs->handles), 0);
	assert_int_equal(OP(getattr, e->fs, &root_ctx, VFS_ROOT_ID, NULL, &st),
			 0);
}

static void test_out_of_fds(void **state)
{
	struct env *e = *state;
	struct rlimit old, low;
	struct vfs_entry ent;
	char name[16];
	uint64_t fh, ids[64];
	int i, n = 0, err = 0, probe;

	REQUIRE_ROOT();
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		host_touch(hp(e, name), 0644);
	}
	/* Room for a handful of fds above what is open now. */
	probe = open("/", O_PATH | O_CLOEXEC);
	assert_true(probe >= 0);
	close(probe);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)probe + 8;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);

	for (i = 0; i < 64 && !err; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		err = OP(lookup, e->fs, &root_ctx, VFS_ROOT_ID, name, &ent);
		if (!err)
			ids[n++] = ent.nodeid;
	}
	if (e->fs->inodes.reopen != INODE_KEEP_FDS) {
		/* Idle inodes closed their fds: every lookup fit. */
		assert_int_equal(err, 0);
		assert_int_equal(n, 64);
		assert_int_equal(OP(open, e->fs, &root_ctx, ids[0], O_RDONLY,
					   &fh), 0);
		assert_int_equal(OP(release, e->fs, &root_ctx, ids[0], fh), 0);
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
		return;
	}
	/* An error reply, not a crash; and the table is still consistent. */
	assert_int_equal(err, -EMFILE);
	assert_true(n >= 1 && n < 64);
	assert_int_equal(OP(open, e->fs, &root_ctx, ids[0], O_RDONLY, &fh),
			 -EMFILE);
	assert_int_equal(OP(opendir, e->fs, &root_ctx, VFS_ROOT_ID, 0, &fh),
			 -EMFILE);
	assert_int_equal(handle_count(&e->fs->handles), 0);
	assert_int_equal(inode_count(&e->fs->inodes), (uint64_t)n + 1);

	/* Forgetting frees fds, and lookups work again. */
	for (i = 0; i < n; i++)
		ops->forget(e->fs, ids[i], 1);
	assert_int_equal(OP(lookup, e->fs, &root_ctx, VFS_ROOT_ID, "f63",
				     &ent),
			 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_create_write_read),
		PT_TEST(test_rename),
		PT_TEST(test_link_counts),
		PT_TEST(test_unlink_rmdir),
		PT_TEST(test_symlink_outside),
		PT_TEST(test_dotdot),
		PT_TEST(test_special_files_refused),
		PT_TEST(test_nonroot_caller),
		PT_TEST(test_unknown_ids_and_forget),
		PT_TEST(test_out_of_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
