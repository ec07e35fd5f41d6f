/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pt_ops called directly on a temporary directory, checking what happens on
 * the host. Runs as root (the daemon does); skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/passthrough.h"
#include "fs/pt_internal.h"
#include "policy/creds.h"

static const struct vfs_ctx root_ctx = { .uid = 0, .gid = 0, .pid = 1 };
static const struct vfs_ctx user_ctx = { .uid = 1000, .gid = 1000, .pid = 2 };
static const struct vfs_ops *ops = &pt_ops;

struct env {
	char dir[64];
	struct pt_fs *fs;
};

/* Host path of rel inside the share (a few may be live at once). */
static const char *hp(struct env *e, const char *rel)
{
	static char path[4][512];
	static unsigned int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", e->dir, rel);
	return p;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	int err = 0;

	if (!e)
		return -1;
	strcpy(e->dir, "/tmp/vfsd-pt-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	e->fs = pt_new(&(struct pt_opts){ .shared_dir = e->dir }, &err);
	if (!e->fs)
		return -1;
	*state = e;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	struct env *e = *state;
	int ret;

	if (creds_reset())
		return -1;
	pt_free(e->fs);
	ret = nftw(e->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(e);
	return ret ? -1 : 0;
}

#define REQUIRE_ROOT()            \
	do {                      \
		if (geteuid() != 0) \
			skip();   \
	} while (0)

static uint64_t do_lookup(struct env *e, uint64_t parent, const char *name)
{
	struct vfs_entry ent;

	assert_int_equal(ops->lookup(e->fs, &root_ctx, parent, name, &ent), 0);
	return ent.nodeid;
}

static uint64_t do_create(struct env *e, uint64_t parent, const char *name,
			  uint64_t *fh)
{
	struct vfs_entry ent;

	assert_int_equal(ops->create(e->fs, &root_ctx, parent, name,
				     S_IFREG | 0644, O_RDWR | O_CREAT, 022,
				     &ent, fh),
			 0);
	return ent.nodeid;
}

static void write_str(struct env *e, uint64_t fh, uint64_t off, const char *s)
{
	struct iovec iov = { .iov_base = (void *)s, .iov_len = strlen(s) };
	size_t n = 0;

	assert_int_equal(ops->write(e->fs, &root_ctx, 0, fh, off, &iov, 1,
				    false, &n),
			 0);
	assert_int_equal(n, strlen(s));
}

static void host_stat(const char *p, struct stat *st)
{
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(lstat(p, st), 0);
}

static void host_touch(const char *p, mode_t mode)
{
	int fd;

	assert_int_equal(creds_reset(), 0);
	fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
}

static void host_read(const char *p, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	assert_int_equal(creds_reset(), 0);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, size - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

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

	assert_int_equal(ops->read(e->fs, &root_ctx, id, fh, 0, iov, 2, &n),
			 0);
	assert_int_equal(n, 11);
	assert_memory_equal(buf, "hello world", 11);
	n = 99;
	assert_int_equal(ops->read(e->fs, &root_ctx, id, fh, 6, iov, 2, &n),
			 0);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(ops->flush(e->fs, &root_ctx, id, fh, 0), 0);
	assert_int_equal(ops->fsync(e->fs, &root_ctx, id, fh, true), 0);
	assert_int_equal(ops->release(e->fs, &root_ctx, id, fh), 0);
	/* The fh is dead now. */
	assert_int_equal(ops->read(e->fs, &root_ctx, id, fh, 0, iov, 2, &n),
			 EBADF);

	host_read(hp(e, "f"), buf, sizeof(buf));
	assert_string_equal(buf, "hello world");
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_mode & 07777, 0644);

	/* Looked up again: the same nodeid, now with two lookups. */
	assert_int_equal(do_lookup(e, VFS_ROOT_ID, "f"), id);
	assert_int_equal(ops->getattr(e->fs, &root_ctx, id, NULL, &st), 0);
	assert_int_equal(st.st_size, 11);
	assert_true(S_ISREG(st.st_mode));

	/* OPEN of the existing file; CREATE of it without and with O_EXCL. */
	assert_int_equal(ops->open(e->fs, &root_ctx, id, O_RDONLY, &fh2), 0);
	assert_true(fh2 != fh);
	assert_int_equal(ops->release(e->fs, &root_ctx, id, fh2), 0);
	assert_int_equal(do_create(e, VFS_ROOT_ID, "f", &fh2), id);
	assert_int_equal(ops->release(e->fs, &root_ctx, id, fh2), 0);
	{
		struct vfs_entry ent;

		assert_int_equal(ops->create(e->fs, &root_ctx, VFS_ROOT_ID,
					     "f", 0644,
					     O_RDWR | O_CREAT | O_EXCL, 0,
					     &ent, &fh2),
				 EEXIST);
		assert_int_equal(ops->create(e->fs, &root_ctx, VFS_ROOT_ID,
					     "..", 0644, O_RDWR | O_CREAT, 0,
					     &ent, &fh2),
				 EINVAL);
	}
	assert_int_equal(handle_count(&e->fs->handles), 0);
}

struct coll {
	unsigned int limit;
	unsigned int n;
	char names[128][32];
	uint64_t off[128];
	uint64_t nodeid[128];
	uint32_t type[128];
};

static int collect(void *arg, const struct vfs_dirent *d)
{
	struct coll *c = arg;

	if (c->n >= c->limit || c->n >= 128)
		return 1;
	assert_true(d->namelen < sizeof(c->names[0]));
	memcpy(c->names[c->n], d->name, d->namelen);
	c->names[c->n][d->namelen] = '\0';
	c->off[c->n] = d->next_off;
	c->type[c->n] = d->type;
	c->nodeid[c->n] = d->entry ? d->entry->nodeid : UINT64_MAX;
	c->n++;
	return 0;
}

static int count_name(const struct coll *c, const char *name)
{
	unsigned int i;
	int k = 0;

	for (i = 0; i < c->n; i++)
		k += !strcmp(c->names[i], name);
	return k;
}

/* Read on in batches of `batch` entries from the last offset seen. */
static void read_rest(struct env *e, uint64_t fh, struct coll *c,
		      unsigned int batch, bool plus, uint64_t off)
{
	for (;;) {
		unsigned int before = c->n;

		c->limit = c->n + batch;
		assert_int_equal(ops->readdir(e->fs, &root_ctx, 0, fh, off,
					      plus, collect, c),
				 0);
		if (c->n == before)
			return;
		off = c->off[c->n - 1];
	}
}

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
	assert_int_equal(ops->opendir(e->fs, &root_ctx, VFS_ROOT_ID, 0, &fh),
			 0);
	/* First 5 entries, then new ones appear, then the rest in threes. */
	c->limit = 5;
	assert_int_equal(ops->readdir(e->fs, &root_ctx, VFS_ROOT_ID, fh, 0,
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
	assert_int_equal(ops->readdir(e->fs, &root_ctx, VFS_ROOT_ID, fh,
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

		assert_int_equal(ops->read(e->fs, &root_ctx, VFS_ROOT_ID, fh, 0,
					   &iov, 1, &n),
				 EBADF);
	}
	assert_int_equal(ops->fsyncdir(e->fs, &root_ctx, VFS_ROOT_ID, fh,
				       false),
			 0);
	assert_int_equal(ops->releasedir(e->fs, &root_ctx, VFS_ROOT_ID, fh), 0);
	assert_int_equal(ops->readdir(e->fs, &root_ctx, VFS_ROOT_ID, fh, 0,
				      false, collect, c2),
			 EBADF);
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

	assert_int_equal(ops->opendir(e->fs, &root_ctx, VFS_ROOT_ID, 0, &fh),
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
		ino = inode_get(&e->fs->inodes, c->nodeid[i]);
		assert_non_null(ino);
		assert_int_equal(ino->nlookup, 2);
		inode_put(&e->fs->inodes, ino);
		ops->forget(e->fs, c->nodeid[i], 2);
	}
	assert_int_equal(inode_count(&e->fs->inodes), before);
	assert_int_equal(ops->releasedir(e->fs, &root_ctx, VFS_ROOT_ID, fh), 0);
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
	assert_int_equal(ops->opendir(e->fs, &user_ctx, dir, 0, &fh), 0);
	c->limit = 10;
	assert_int_equal(ops->readdir(e->fs, &user_ctx, dir, fh, 0, true,
				      collect, c),
			 0);
	assert_int_equal(c->n, 3);
	assert_int_equal(count_name(c, "x"), 1);
	for (i = 0; i < c->n; i++)
		assert_int_equal(c->nodeid[i], 0);
	assert_int_equal(ops->releasedir(e->fs, &user_ctx, dir, fh), 0);
	free(c);
}

static void test_rename(void **state)
{
	struct env *e = *state;
	char buf[32];
	uint64_t fh, a, b;

	REQUIRE_ROOT();
	a = do_create(e, VFS_ROOT_ID, "a", &fh);
	write_str(e, fh, 0, "AAA");
	ops->release(e->fs, &root_ctx, a, fh);
	b = do_create(e, VFS_ROOT_ID, "b", &fh);
	write_str(e, fh, 0, "BBB");
	ops->release(e->fs, &root_ctx, b, fh);

	assert_int_equal(ops->rename(e->fs, &root_ctx, VFS_ROOT_ID, "a",
				     VFS_ROOT_ID, "b", RENAME_NOREPLACE),
			 EEXIST);
	assert_int_equal(ops->rename(e->fs, &root_ctx, VFS_ROOT_ID, "a",
				     VFS_ROOT_ID, "b", RENAME_EXCHANGE),
			 0);
	host_read(hp(e, "a"), buf, sizeof(buf));
	assert_string_equal(buf, "BBB");
	host_read(hp(e, "b"), buf, sizeof(buf));
	assert_string_equal(buf, "AAA");
	/* nodeids follow the files, not the names. */
	assert_int_equal(do_lookup(e, VFS_ROOT_ID, "a"), b);

	assert_int_equal(mkdir(hp(e, "sub"), 0755), 0);
	assert_int_equal(ops->rename(e->fs, &root_ctx, VFS_ROOT_ID, "a",
				     do_lookup(e, VFS_ROOT_ID, "sub"), "moved",
				     0),
			 0);
	host_read(hp(e, "sub/moved"), buf, sizeof(buf));
	assert_string_equal(buf, "BBB");
	assert_int_equal(access(hp(e, "a"), F_OK), -1);

	assert_int_equal(ops->rename(e->fs, &root_ctx, VFS_ROOT_ID, "b",
				     VFS_ROOT_ID, "c", 0x80),
			 EINVAL);
	assert_int_equal(ops->rename(e->fs, &root_ctx, VFS_ROOT_ID, "b",
				     VFS_ROOT_ID, "..", 0),
			 EINVAL);
	assert_int_equal(ops->rename(e->fs, &root_ctx, VFS_ROOT_ID, "b", a,
				     "x", 0),
			 ENOTDIR);
}

static void test_link_counts(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct stat st;
	uint64_t fh, id;

	REQUIRE_ROOT();
	id = do_create(e, VFS_ROOT_ID, "f", &fh);
	ops->release(e->fs, &root_ctx, id, fh);
	assert_int_equal(ops->link(e->fs, &root_ctx, id, VFS_ROOT_ID, "g",
				   &ent),
			 0);
	assert_int_equal(ent.nodeid, id);
	assert_int_equal(ent.attr.st_nlink, 2);
	host_stat(hp(e, "g"), &st);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(ops->link(e->fs, &root_ctx, id, VFS_ROOT_ID, "g",
				   &ent),
			 EEXIST);
	/* Directories cannot be hard-linked. */
	assert_int_equal(ops->link(e->fs, &root_ctx, VFS_ROOT_ID, VFS_ROOT_ID,
				   "root2", &ent),
			 EPERM);

	assert_int_equal(ops->unlink(e->fs, &root_ctx, VFS_ROOT_ID, "g"), 0);
	assert_int_equal(ops->getattr(e->fs, &root_ctx, id, NULL, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	/* Unlinked but still known to the guest: getattr works on it. */
	assert_int_equal(ops->unlink(e->fs, &root_ctx, VFS_ROOT_ID, "f"), 0);
	assert_int_equal(ops->getattr(e->fs, &root_ctx, id, NULL, &st), 0);
	assert_int_equal(st.st_nlink, 0);
}

static void test_unlink_rmdir(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	uint64_t d, fh, f;

	REQUIRE_ROOT();
	assert_int_equal(ops->mkdir(e->fs, &root_ctx, VFS_ROOT_ID, "d", 0750, 0,
				    &ent),
			 0);
	d = ent.nodeid;
	assert_true(S_ISDIR(ent.attr.st_mode));
	assert_int_equal(ent.attr.st_mode & 07777, 0750);
	f = do_create(e, d, "x", &fh);
	ops->release(e->fs, &root_ctx, f, fh);

	assert_int_equal(ops->rmdir(e->fs, &root_ctx, VFS_ROOT_ID, "d"),
			 ENOTEMPTY);
	assert_int_equal(ops->unlink(e->fs, &root_ctx, VFS_ROOT_ID, "d"),
			 EISDIR);
	assert_int_equal(ops->rmdir(e->fs, &root_ctx, d, "x"), ENOTDIR);
	assert_int_equal(ops->unlink(e->fs, &root_ctx, d, "x"), 0);
	assert_int_equal(ops->unlink(e->fs, &root_ctx, d, "x"), ENOENT);
	assert_int_equal(ops->rmdir(e->fs, &root_ctx, VFS_ROOT_ID, "d"), 0);
	assert_int_equal(ops->lookup(e->fs, &root_ctx, VFS_ROOT_ID, "d", &ent),
			 ENOENT);
	assert_int_equal(access(hp(e, "d"), F_OK), -1);
	/* "." and ".." are no names to remove. */
	assert_int_equal(ops->rmdir(e->fs, &root_ctx, VFS_ROOT_ID, "."),
			 EINVAL);
	assert_int_equal(ops->unlink(e->fs, &root_ctx, VFS_ROOT_ID, ".."),
			 EINVAL);
	/* Creating inside a removed directory fails cleanly. */
	assert_int_equal(ops->mkdir(e->fs, &root_ctx, d, "y", 0755, 0, &ent),
			 ENOENT);
}

static void test_symlink_outside(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	char buf[64];
	size_t len = 0;
	uint64_t id, fh;

	REQUIRE_ROOT();
	assert_int_equal(ops->symlink(e->fs, &root_ctx, VFS_ROOT_ID, "etc",
				      "/etc", &ent),
			 0);
	id = ent.nodeid;
	assert_true(S_ISLNK(ent.attr.st_mode));
	/* A host-made link to a host file is no better. */
	assert_int_equal(symlink("/etc/passwd", hp(e, "pw")), 0);

	assert_int_equal(ops->lookup(e->fs, &root_ctx, VFS_ROOT_ID, "pw", &ent),
			 0);
	assert_true(S_ISLNK(ent.attr.st_mode));
	assert_int_equal(ops->open(e->fs, &root_ctx, ent.nodeid, O_RDONLY, &fh),
			 ELOOP);
	assert_int_equal(ops->open(e->fs, &root_ctx, id, O_RDONLY, &fh), ELOOP);
	assert_int_equal(ops->opendir(e->fs, &root_ctx, id, 0, &fh), ENOTDIR);
	assert_int_equal(ops->lookup(e->fs, &root_ctx, id, "passwd", &ent),
			 ENOTDIR);
	assert_int_equal(ops->create(e->fs, &root_ctx, VFS_ROOT_ID, "pw", 0644,
				     O_RDWR | O_CREAT, 0, &ent, &fh),
			 ELOOP);
	/* Nothing got through: /etc/passwd keeps its size. */
	{
		struct stat a, b;

		assert_int_equal(stat("/etc/passwd", &a), 0);
		assert_int_equal(ops->mkdir(e->fs, &root_ctx, id, "x", 0755, 0,
					    &ent),
				 ENOTDIR);
		assert_int_equal(stat("/etc/passwd", &b), 0);
		assert_int_equal(a.st_size, b.st_size);
	}
	assert_int_equal(ops->readlink(e->fs, &root_ctx, id, buf, sizeof(buf),
				       &len),
			 0);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "/etc", 4);
	assert_int_equal(ops->readlink(e->fs, &root_ctx, VFS_ROOT_ID, buf,
				       sizeof(buf), &len),
			 EINVAL);
	/* chmod of a symlink would follow it through /proc. */
	{
		struct vfs_setattr sa = { .valid = VFS_SET_MODE, .mode = 0777 };
		struct stat st;

		assert_int_equal(ops->setattr(e->fs, &root_ctx, id, NULL, &sa,
					      &st),
				 EOPNOTSUPP);
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
	assert_int_equal(ops->lookup(e->fs, &root_ctx, VFS_ROOT_ID, "a/b",
				     &ent),
			 EINVAL);
	assert_int_equal(ops->lookup(e->fs, &root_ctx, VFS_ROOT_ID, "", &ent),
			 EINVAL);
}

static void test_special_files_refused(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct stat st;
	uint64_t fh, fifo;

	REQUIRE_ROOT();
	assert_int_equal(ops->mknod(e->fs, &root_ctx, VFS_ROOT_ID, "p",
				    S_IFIFO | 0666, 0, 0, &ent),
			 0);
	fifo = ent.nodeid;
	assert_true(S_ISFIFO(ent.attr.st_mode));
	host_stat(hp(e, "p"), &st);
	assert_true(S_ISFIFO(st.st_mode));
	/* Opening would block a worker (fifo) or reach host hardware. */
	assert_int_equal(ops->open(e->fs, &root_ctx, fifo, O_RDONLY, &fh),
			 ENXIO);
	assert_int_equal(ops->open(e->fs, &root_ctx, fifo, O_WRONLY, &fh),
			 ENXIO);
	assert_int_equal(ops->create(e->fs, &root_ctx, VFS_ROOT_ID, "p", 0644,
				     O_RDWR | O_CREAT, 0, &ent, &fh),
			 ENXIO);
	{
		struct vfs_setattr sa = { .valid = VFS_SET_SIZE, .size = 0 };

		assert_int_equal(ops->setattr(e->fs, &root_ctx, fifo, NULL, &sa,
					      &st),
				 EINVAL);
	}

	/* /dev/null's numbers, in FUSE's encoding: created, never opened. */
	assert_int_equal(ops->mknod(e->fs, &root_ctx, VFS_ROOT_ID, "null",
				    S_IFCHR | 0666, (1u << 8) | 3u, 0, &ent),
			 0);
	host_stat(hp(e, "null"), &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 1);
	assert_int_equal(minor(st.st_rdev), 3);
	assert_int_equal(ops->open(e->fs, &root_ctx, ent.nodeid, O_RDWR, &fh),
			 ENXIO);

	assert_int_equal(ops->mknod(e->fs, &root_ctx, VFS_ROOT_ID, "s",
				    S_IFSOCK | 0600, 0, 0, &ent),
			 0);
	assert_int_equal(ops->open(e->fs, &root_ctx, ent.nodeid, O_RDWR, &fh),
			 ENXIO);
	assert_int_equal(ops->mknod(e->fs, &root_ctx, VFS_ROOT_ID, "r",
				    S_IFREG | 0600, 0, 0, &ent),
			 0);
	assert_int_equal(ops->mknod(e->fs, &root_ctx, VFS_ROOT_ID, "dd",
				    S_IFDIR | 0700, 0, 0, &ent),
			 EINVAL);
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

	assert_int_equal(ops->create(e->fs, &user_ctx, priv, "f", 0644,
				     O_RDWR | O_CREAT, 0, &ent, &fh),
			 EACCES);
	assert_int_equal(ops->lookup(e->fs, &user_ctx, priv, "secret", &ent),
			 EACCES);
	assert_int_equal(ops->mkdir(e->fs, &user_ctx, priv, "d", 0755, 0,
				    &ent),
			 EACCES);
	assert_int_equal(ops->opendir(e->fs, &user_ctx, priv, 0, &fh), EACCES);
	assert_int_equal(ops->access(e->fs, &user_ctx, priv, R_OK), EACCES);
	assert_int_equal(ops->access(e->fs, &root_ctx, priv, R_OK | W_OK), 0);
	assert_int_equal(ops->access(e->fs, &user_ctx, pub, W_OK | X_OK), 0);
	assert_int_equal(ops->access(e->fs, &user_ctx, pub, 0x100), EINVAL);

	assert_int_equal(ops->create(e->fs, &user_ctx, pub, "mine", 0640,
				     O_RDWR | O_CREAT, 0, &ent, &fh),
			 0);
	assert_int_equal(ent.attr.st_uid, 1000);
	ops->release(e->fs, &user_ctx, ent.nodeid, fh);
	host_stat(hp(e, "pub/mine"), &st);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1000);
	assert_int_equal(st.st_mode & 07777, 0640);

	assert_int_equal(ops->mkdir(e->fs, &user_ctx, pub, "dir", 0755, 0,
				    &ent),
			 0);
	host_stat(hp(e, "pub/dir"), &st);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(ops->symlink(e->fs, &user_ctx, pub, "ln", "mine",
				      &ent),
			 0);
	host_stat(hp(e, "pub/ln"), &st);
	assert_int_equal(st.st_uid, 1000);

	/* Not the owner: no chown to someone else, no chmod of root's file. */
	{
		struct vfs_setattr sa = { .valid = VFS_SET_UID, .uid = 0 };
		uint64_t mine = do_lookup(e, pub, "mine");

		assert_int_equal(ops->setattr(e->fs, &user_ctx, mine, NULL, &sa,
					      &st),
				 EPERM);
		sa = (struct vfs_setattr){ .valid = VFS_SET_MODE, .mode = 0777 };
		assert_int_equal(ops->setattr(e->fs, &user_ctx, priv, NULL, &sa,
					      &st),
				 EPERM);
		assert_int_equal(ops->setattr(e->fs, &user_ctx, mine, NULL, &sa,
					      &st),
				 0);
		assert_int_equal(st.st_mode & 07777, 0777);
	}
	/* The daemon's own identity is untouched: real uid still root. */
	assert_int_equal(getuid(), 0);
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(geteuid(), 0);
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
	assert_int_equal(ops->setattr(e->fs, &root_ctx, id, NULL, &sa, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_mode, S_IFREG | 0600);

	sa = (struct vfs_setattr){ .valid = VFS_SET_UID | VFS_SET_GID,
				   .uid = 1234, .gid = 5678 };
	assert_int_equal(ops->setattr(e->fs, &root_ctx, id, NULL, &sa, &st), 0);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 5678);

	sa = (struct vfs_setattr){ .valid = VFS_SET_SIZE, .size = 100 };
	assert_int_equal(ops->setattr(e->fs, &root_ctx, id, NULL, &sa, &st), 0);
	assert_int_equal(st.st_size, 100);
	sa.size = 10;
	assert_int_equal(ops->setattr(e->fs, &root_ctx, id, &fh, &sa, &st), 0);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_size, 10);
	sa.size = UINT64_MAX;
	assert_int_equal(ops->setattr(e->fs, &root_ctx, id, NULL, &sa, &st),
			 EINVAL);
	sa.size = 1;
	{
		uint64_t bad = fh + 1000;

		assert_int_equal(ops->setattr(e->fs, &root_ctx, id, &bad, &sa,
					      &st),
				 EBADF);
	}
	sa = (struct vfs_setattr){ .valid = VFS_SET_SIZE, .size = 0 };
	assert_int_equal(ops->setattr(e->fs, &root_ctx, VFS_ROOT_ID, NULL, &sa,
				      &st),
			 EISDIR);

	sa = (struct vfs_setattr){ .valid = VFS_SET_ATIME | VFS_SET_MTIME,
				   .atime = { 1000, 5 }, .mtime = { 2000, 7 } };
	assert_int_equal(ops->setattr(e->fs, &root_ctx, id, NULL, &sa, &st), 0);
	host_stat(hp(e, "f"), &st);
	assert_int_equal(st.st_atim.tv_sec, 1000);
	assert_int_equal(st.st_atim.tv_nsec, 5);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	assert_int_equal(st.st_mtim.tv_nsec, 7);

	sa = (struct vfs_setattr){ .valid = VFS_SET_MTIME | VFS_SET_MTIME_NOW };
	assert_int_equal(ops->setattr(e->fs, &root_ctx, id, &fh, &sa, &st), 0);
	assert_true(st.st_mtim.tv_sec > 2000);
	assert_int_equal(st.st_atim.tv_sec, 1000);

	/* UTIME_NOW smuggled in as nanoseconds is refused. */
	sa = (struct vfs_setattr){ .valid = VFS_SET_ATIME,
				   .atime = { 0, UTIME_NOW } };
	assert_int_equal(ops->setattr(e->fs, &root_ctx, id, NULL, &sa, &st),
			 EINVAL);

	/* KILL_SUIDGID with a truncate clears set-user-ID even for root. */
	assert_int_equal(chmod(hp(e, "f"), 04755), 0);
	sa = (struct vfs_setattr){ .valid = VFS_SET_SIZE | VFS_SET_KILL_SUIDGID,
				   .size = 0 };
	assert_int_equal(ops->setattr(e->fs, &root_ctx, id, NULL, &sa, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);

	assert_int_equal(ops->release(e->fs, &root_ctx, id, fh), 0);
	sa = (struct vfs_setattr){ .valid = VFS_SET_MODE, .mode = 0644 };
	assert_int_equal(ops->setattr(e->fs, &root_ctx, 424242, NULL, &sa, &st),
			 ESTALE);
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
	assert_int_equal(ops->getattr(e->fs, &root_ctx, 0, NULL, &st), ESTALE);
	assert_int_equal(ops->getattr(e->fs, &root_ctx, UINT64_MAX, NULL, &st),
			 ESTALE);
	assert_int_equal(ops->lookup(e->fs, &root_ctx, 77, "x", &ent), ESTALE);
	assert_int_equal(ops->open(e->fs, &root_ctx, 77, O_RDONLY, &fh),
			 ESTALE);
	assert_int_equal(ops->read(e->fs, &root_ctx, 1, 12345, 0, &iov, 1, &n),
			 EBADF);
	assert_int_equal(ops->release(e->fs, &root_ctx, 1, 12345), EBADF);
	assert_int_equal(ops->releasedir(e->fs, &root_ctx, 1, 0), EBADF);
	ops->forget(e->fs, 999, 1);
	ops->forget(e->fs, VFS_ROOT_ID, UINT64_MAX);
	assert_int_equal(ops->getattr(e->fs, &root_ctx, VFS_ROOT_ID, NULL, &st),
			 0);

	host_touch(hp(e, "f"), 0644);
	id = do_lookup(e, VFS_ROOT_ID, "f");
	ops->forget(e->fs, id, 1);
	assert_int_equal(ops->getattr(e->fs, &root_ctx, id, NULL, &st), ESTALE);
	id2 = do_lookup(e, VFS_ROOT_ID, "f");
	assert_true(id2 > id);

	/* An open file survives its inode being forgotten. */
	assert_int_equal(ops->open(e->fs, &root_ctx, id2, O_RDWR, &fh), 0);
	ops->forget(e->fs, id2, 1);
	write_str(e, fh, 0, "still");
	assert_int_equal(ops->release(e->fs, &root_ctx, id2, fh), 0);

	/* DESTROY forgets everything but the root. */
	do_lookup(e, VFS_ROOT_ID, "f");
	assert_int_equal(ops->opendir(e->fs, &root_ctx, VFS_ROOT_ID, 0, &fh),
			 0);
	ops->destroy(e->fs);
	assert_int_equal(inode_count(&e->fs->inodes), 1);
	assert_int_equal(handle_count(&e->fs->handles), 0);
	assert_int_equal(ops->getattr(e->fs, &root_ctx, VFS_ROOT_ID, NULL, &st),
			 0);
}

static void test_file_ops(void **state)
{
	struct env *e = *state;
	struct statvfs sv;
	uint64_t fh, id, r = 0;

	REQUIRE_ROOT();
	id = do_create(e, VFS_ROOT_ID, "f", &fh);
	assert_int_equal(ops->fallocate(e->fs, &root_ctx, id, fh, 0, 0, 8192),
			 0);
	write_str(e, fh, 0, "head");
	write_str(e, fh, 1 << 20, "tail");
	assert_int_equal(ops->lseek(e->fs, &root_ctx, id, fh, 0, SEEK_DATA, &r),
			 0);
	assert_int_equal(r, 0);
	/* Where the hole starts depends on the host filesystem's blocks. */
	assert_int_equal(ops->lseek(e->fs, &root_ctx, id, fh, 0, SEEK_HOLE, &r),
			 0);
	assert_true(r >= 4 && r <= (1 << 20) + 4);
	assert_int_equal(ops->lseek(e->fs, &root_ctx, id, fh, (1 << 20) + 4,
				    SEEK_DATA, &r),
			 ENXIO);
	assert_int_equal(ops->lseek(e->fs, &root_ctx, id, fh, 0, 99, &r),
			 EINVAL);
	assert_int_equal(ops->fallocate(e->fs, &root_ctx, id, fh, 0,
					UINT64_MAX, 1),
			 EINVAL);
	assert_int_equal(ops->statfs(e->fs, &root_ctx, id, &sv), 0);
	assert_true(sv.f_bsize > 0);
	assert_int_equal(ops->release(e->fs, &root_ctx, id, fh), 0);
	assert_int_equal(ops->open(e->fs, &root_ctx, VFS_ROOT_ID, O_RDONLY,
				   &fh),
			 EISDIR);
	assert_int_equal(ops->open(e->fs, &root_ctx, id, O_ACCMODE, &fh),
			 EINVAL);
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
	ops->release(e->fs, &root_ctx, id, fh);

	ops->init(e->fs, &conn);
	/* O_WRONLY becomes O_RDWR (page cache fills), O_APPEND is dropped. */
	assert_int_equal(ops->open(e->fs, &root_ctx, id, O_WRONLY | O_APPEND,
				   &fh),
			 0);
	assert_int_equal(ops->read(e->fs, &root_ctx, id, fh, 0, &iov, 1, &n),
			 0);
	assert_int_equal(n, 10);
	write_str(e, fh, 2, "ab");
	host_read(hp(e, "f"), buf, sizeof(buf));
	assert_string_equal(buf, "01ab456789");
	ops->release(e->fs, &root_ctx, id, fh);

	conn.writeback_cache = false;
	ops->init(e->fs, &conn);
	assert_int_equal(ops->open(e->fs, &root_ctx, id, O_WRONLY, &fh), 0);
	assert_int_equal(ops->read(e->fs, &root_ctx, id, fh, 0, &iov, 1, &n),
			 EBADF);
	ops->release(e->fs, &root_ctx, id, fh);
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
		MT_CHECK(!ops->create(e->fs, ctx, a->dir, name, 0600,
				      O_RDWR | O_CREAT | O_TRUNC, 0, &ent,
				      &fh));
		MT_CHECK(geteuid() == ctx->uid && getegid() == ctx->gid);
		MT_CHECK(ent.attr.st_uid == ctx->uid);
		iov.iov_len = (size_t)snprintf(buf, sizeof(buf), "%s", name);
		MT_CHECK(!ops->write(e->fs, ctx, ent.nodeid, fh, 0, &iov, 1,
				     false, &n));
		iov.iov_len = sizeof(buf);
		MT_CHECK(!ops->read(e->fs, ctx, ent.nodeid, fh, 0, &iov, 1,
				    &n));
		MT_CHECK(n == strlen(name) && !memcmp(buf, name, n));
		MT_CHECK(!ops->release(e->fs, ctx, ent.nodeid, fh));
		ops->forget(e->fs, ent.nodeid, 1);
		if (i % 16 == 0) {
			struct mt_ids ids = { .n = 0 };
			unsigned int k;

			MT_CHECK(!ops->opendir(e->fs, ctx, a->dir, 0, &dfh));
			MT_CHECK(!ops->readdir(e->fs, ctx, a->dir, dfh, 0, true,
					       mt_fill, &ids));
			MT_CHECK(!ops->releasedir(e->fs, ctx, a->dir, dfh));
			MT_CHECK(ids.n >= 2);
			for (k = 0; k < ids.n; k++)
				if (ids.id[k])
					ops->forget(e->fs, ids.id[k], 1);
		}
		if (i % 8 == 7)
			MT_CHECK(!ops->unlink(e->fs, ctx, a->dir, name));
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

#define PT_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_create_write_read),
		PT_TEST(test_readdir_offsets),
		PT_TEST(test_readdirplus),
		PT_TEST(test_readdirplus_unsearchable),
		PT_TEST(test_rename),
		PT_TEST(test_link_counts),
		PT_TEST(test_unlink_rmdir),
		PT_TEST(test_symlink_outside),
		PT_TEST(test_dotdot),
		PT_TEST(test_special_files_refused),
		PT_TEST(test_nonroot_caller),
		PT_TEST(test_setattr),
		PT_TEST(test_unknown_ids_and_forget),
		PT_TEST(test_file_ops),
		PT_TEST(test_writeback_open),
		PT_TEST(test_concurrent_users),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
