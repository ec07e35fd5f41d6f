/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pt_ops extended attributes on a temporary directory: probes, ERANGE,
 * ENODATA, create/replace flags, the caller's rights, and inodes whose
 * attributes are not offered (symlinks, device nodes, fifos).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "policy/creds.h"
#include "util/compiler.h"
#include "util/xattrat.h"
#include "pt_fixture.h"

static size_t get(struct env *e, const struct vfs_ctx *ctx, uint64_t node,
		  const char *name, char *buf, size_t size, int want)
{
	size_t len = 12345;

	assert_int_equal(OP(getxattr, e->fs, ctx, node, name, buf, size,
				       &len),
			 want);
	return len;
}

static void test_set_get_list_remove(void **state)
{
	struct env *e = *state;
	char buf[256];
	uint64_t fh, node;
	size_t len;

	REQUIRE_ROOT();
	node = do_create(e, VFS_ROOT_ID, "f", &fh);
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, node, "user.a",
				       "hello", 5, 0),
			 0);
	/* Probe, exact size, too small. */
	assert_int_equal(get(e, &root_ctx, node, "user.a", NULL, 0, 0), 5);
	assert_int_equal(get(e, &root_ctx, node, "user.a", buf, 5, 0), 5);
	assert_memory_equal(buf, "hello", 5);
	get(e, &root_ctx, node, "user.a", buf, 4, -ERANGE);
	get(e, &root_ctx, node, "user.none", buf, sizeof(buf), -ENODATA);

	/* Empty values exist and are not "no attribute". */
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, node, "user.empty",
				       "", 0, 0),
			 0);
	assert_int_equal(get(e, &root_ctx, node, "user.empty", buf, 8, 0), 0);

	/* XATTR_CREATE on an existing name, XATTR_REPLACE on a missing one. */
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, node, "user.a", "x",
				       1, XATTR_CREATE),
			 -EEXIST);
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, node, "user.b", "x",
				       1, XATTR_REPLACE),
			 -ENODATA);
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, node, "user.a", "xy",
				       2, XATTR_REPLACE),
			 0);
	assert_int_equal(get(e, &root_ctx, node, "user.a", buf, 8, 0), 2);

	/* The list: probe gives its size, a short buffer ERANGE. */
	assert_int_equal(OP(listxattr, e->fs, &root_ctx, node, NULL, 0, &len),
			 0);
	assert_int_equal(len, sizeof("user.a") + sizeof("user.empty"));
	assert_int_equal(OP(listxattr, e->fs, &root_ctx, node, buf, 3, &len),
			 -ERANGE);
	assert_int_equal(OP(listxattr, e->fs, &root_ctx, node, buf,
					sizeof(buf), &len),
			 0);
	assert_int_equal(len, sizeof("user.a") + sizeof("user.empty"));
	assert_true(memmem(buf, len, "user.a", sizeof("user.a")) != NULL);

	assert_int_equal(OP(removexattr, e->fs, &root_ctx, node, "user.a"), 0);
	assert_int_equal(OP(removexattr, e->fs, &root_ctx, node, "user.a"),
			 -ENODATA);
	/* What the host sees. */
	assert_int_equal(getxattr(hp(e, "f"), "user.empty", NULL, 0), 0);
	assert_int_equal(getxattr(hp(e, "f"), "user.a", NULL, 0), -1);

	/* The root directory too. */
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, VFS_ROOT_ID,
				       "user.d", "1", 1, 0),
			 0);
	assert_int_equal(get(e, &root_ctx, VFS_ROOT_ID, "user.d", buf, 8, 0),
			 1);

	assert_int_equal(OP(getxattr, e->fs, &root_ctx, 999, "user.a", buf, 8,
				       &len),
			 -ESTALE);
	assert_int_equal(OP(release, e->fs, &root_ctx, node, fh), 0);
}

/* The host checks the caller's rights on the inode, not the daemon's. */
static void test_caller_rights(void **state)
{
	struct env *e = *state;
	char buf[16];
	uint64_t node;

	REQUIRE_ROOT();
	host_touch(hp(e, "ro"), 0644);
	host_touch(hp(e, "wo"), 0622);
	host_touch(hp(e, "none"), 0600);
	assert_int_equal(setxattr(hp(e, "none"), "user.s", "1", 1, 0), 0);
	assert_int_equal(chmod(e->dir, 0755), 0);

	node = do_lookup(e, VFS_ROOT_ID, "ro");
	/* Readable but not writable for uid 1000. */
	assert_int_equal(OP(setxattr, e->fs, &user_ctx, node, "user.x", "1",
				       1, 0),
			 -EACCES);
	get(e, &user_ctx, node, "user.x", buf, sizeof(buf), -ENODATA);
	/* trusted.* is for the host's root only. */
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, node, "trusted.t",
				       "1", 1, 0),
			 0);
	get(e, &user_ctx, node, "trusted.t", buf, sizeof(buf), -ENODATA);

	/* Writable but not readable: set works, get does not. */
	node = do_lookup(e, VFS_ROOT_ID, "wo");
	assert_int_equal(chmod(hp(e, "wo"), 0602), 0);
	assert_int_equal(OP(setxattr, e->fs, &user_ctx, node, "user.w", "2",
				       1, 0),
			 0);
	get(e, &user_ctx, node, "user.w", buf, sizeof(buf), -EACCES);

	node = do_lookup(e, VFS_ROOT_ID, "none");
	get(e, &user_ctx, node, "user.s", buf, sizeof(buf), -EACCES);
	assert_int_equal(OP(removexattr, e->fs, &user_ctx, node, "user.s"),
			 -EACCES);
	assert_int_equal(get(e, &root_ctx, node, "user.s", buf, sizeof(buf),
			     0),
			 1);
}

/*
 * Symlinks, device nodes and fifos: never followed, never opened. Their
 * own attributes are reached through the *xattrat() calls (Linux 6.13+),
 * with the host's answers: user.* refused on them, trusted.* root's.
 */
static void test_special_inodes(void **state)
{
	struct env *e = *state;
	static const char *const names[] = { "link", "null", "fifo" };
	/* ENOSYS before Linux 6.13; anything else means it is there. */
	bool xattrat = xattrat_list(AT_FDCWD, "/", 0, NULL, 0) >= 0 ||
		       errno != ENOSYS;
	char buf[16];
	size_t len;

	REQUIRE_ROOT();
	host_touch(hp(e, "target"), 0644);
	assert_int_equal(setxattr(hp(e, "target"), "user.t", "1", 1, 0), 0);
	assert_int_equal(symlink("target", hp(e, "link")), 0);
	assert_int_equal(mknod(hp(e, "null"), S_IFCHR | 0666, makedev(1, 3)),
			 0);
	assert_int_equal(mkfifo(hp(e, "fifo"), 0666), 0);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		uint64_t node = do_lookup(e, VFS_ROOT_ID, names[i]);
		const char *path = hp(e, names[i]);
		int set;

		get(e, &root_ctx, node, "user.t", buf, sizeof(buf), -ENODATA);
		assert_int_equal(OP(setxattr, e->fs, &root_ctx, node,
					       "user.t", "1", 1, 0),
				 -EPERM);
		set = OP(setxattr, e->fs, &root_ctx, node, "trusted.x", "1", 1,
			 0);
		/* A kernel without the calls: none offered (EPERM). */
		if (!xattrat) {
			assert_int_equal(set, -EPERM);
			continue;
		}
		assert_int_equal(set, 0);
		assert_int_equal(lgetxattr(path, "trusted.x", buf, sizeof(buf)),
				 1);
		assert_int_equal(get(e, &root_ctx, node, "trusted.x", buf,
				     sizeof(buf), 0),
				 1);
		assert_int_equal(OP(listxattr, e->fs, &root_ctx, node, buf,
						sizeof(buf), &len),
				 0);
		assert_int_equal(len, sizeof("trusted.x"));
		assert_int_equal(OP(removexattr, e->fs, &root_ctx, node,
						  "trusted.x"),
				 0);
		assert_int_equal(lgetxattr(path, "trusted.x", buf, sizeof(buf)),
				 -1);
		assert_int_equal(errno, ENODATA);
	}
	/* The link's target kept its attribute and gained none. */
	assert_int_equal(listxattr(hp(e, "target"), buf, sizeof(buf)),
			 (ssize_t)sizeof("user.t"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_set_get_list_remove),
		PT_TEST(test_caller_rights),
		PT_TEST(test_special_inodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
