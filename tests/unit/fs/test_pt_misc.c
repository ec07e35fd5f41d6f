/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pt_ops COPY_FILE_RANGE, SYNCFS and TMPFILE on a temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/creds.h"
#include "pt_fixture.h"

static void test_copy_file_range(void **state)
{
	struct env *e = *state;
	uint64_t fa, fb, ro, na, nb, copied = 0;
	char buf[64];

	REQUIRE_ROOT();
	na = do_create(e, VFS_ROOT_ID, "a", &fa);
	nb = do_create(e, VFS_ROOT_ID, "b", &fb);
	write_str(e, fa, 0, "0123456789");
	assert_int_equal(OP(copy_file_range, e->fs, &root_ctx, na, fa, 2, nb,
					      fb, 5, 6, &copied),
			 0);
	assert_int_equal(copied, 6);
	memset(buf, 'x', sizeof(buf));
	host_read(hp(e, "b"), buf, sizeof(buf));
	assert_memory_equal(buf, "\0\0\0\0\0" "234567", 11);

	/* Past the end of the source: nothing to copy. */
	assert_int_equal(OP(copy_file_range, e->fs, &root_ctx, na, fa, 100,
					      nb, fb, 0, 6, &copied),
			 0);
	assert_int_equal(copied, 0);

	/* A read-only target, unknown handles. */
	assert_int_equal(OP(open, e->fs, &root_ctx, nb, O_RDONLY, &ro), 0);
	assert_int_equal(OP(copy_file_range, e->fs, &root_ctx, na, fa, 0, nb,
					      ro, 0, 4, &copied),
			 -EBADF);
	assert_int_equal(OP(copy_file_range, e->fs, &root_ctx, na, 999, 0, nb,
					      fb, 0, 4, &copied),
			 -EBADF);
	assert_int_equal(OP(copy_file_range, e->fs, &root_ctx, na, fa, 0, nb,
					      999, 0, 4, &copied),
			 -EBADF);
	assert_int_equal(OP(release, e->fs, &root_ctx, nb, ro), 0);
	assert_int_equal(OP(release, e->fs, &root_ctx, na, fa), 0);
	assert_int_equal(OP(release, e->fs, &root_ctx, nb, fb), 0);
}

static void test_syncfs(void **state)
{
	struct env *e = *state;

	REQUIRE_ROOT();
	assert_int_equal(OP(syncfs, e->fs, &user_ctx, VFS_ROOT_ID), 0);
	assert_int_equal(OP(syncfs, e->fs, &root_ctx, 999), 0);
}

static void test_tmpfile(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent, linked;
	struct stat st;
	uint64_t fh, dnode;
	char buf[16];

	REQUIRE_ROOT();
	assert_int_equal(chmod(e->dir, 0777), 0);
	assert_int_equal(OP(tmpfile, e->fs, &user_ctx, VFS_ROOT_ID,
				      S_IFREG | 0640, O_RDWR, 0, &ent, &fh),
			 0);
	assert_true(S_ISREG(ent.attr.st_mode));
	assert_int_equal(ent.attr.st_mode & 07777, 0640);
	assert_int_equal(ent.attr.st_nlink, 0);
	assert_int_equal(ent.attr.st_uid, 1000);
	write_str(e, fh, 0, "unnamed");
	/* Named later, as linkat(AT_EMPTY_PATH) does. */
	assert_int_equal(OP(link, e->fs, &root_ctx, ent.nodeid, VFS_ROOT_ID,
				   "named", &linked),
			 0);
	assert_int_equal(linked.nodeid, ent.nodeid);
	host_stat(hp(e, "named"), &st);
	assert_int_equal(st.st_nlink, 1);
	memset(buf, 0, sizeof(buf));
	host_read(hp(e, "named"), buf, sizeof(buf));
	assert_string_equal(buf, "unnamed");
	assert_int_equal(OP(release, e->fs, &root_ctx, ent.nodeid, fh), 0);

	/* Read-only, a file as the directory, an unknown one. */
	assert_int_equal(OP(tmpfile, e->fs, &root_ctx, VFS_ROOT_ID,
				      S_IFREG | 0600, O_RDONLY, 0, &ent, &fh),
			 -EINVAL);
	assert_int_equal(OP(tmpfile, e->fs, &root_ctx, linked.nodeid,
				      S_IFREG | 0600, O_RDWR, 0, &ent, &fh),
			 -ENOTDIR);
	assert_int_equal(OP(tmpfile, e->fs, &root_ctx, 999, S_IFREG | 0600,
				      O_RDWR, 0, &ent, &fh),
			 -ESTALE);
	assert_int_equal(OP(tmpfile, e->fs, &root_ctx, VFS_ROOT_ID,
				      S_IFCHR | 0600, O_RDWR, 0, &ent, &fh),
			 -EINVAL);
	/* The caller's rights on the directory count. */
	assert_int_equal(mkdir(hp(e, "closed"), 0755), 0);
	dnode = do_lookup(e, VFS_ROOT_ID, "closed");
	assert_int_equal(OP(tmpfile, e->fs, &user_ctx, dnode, S_IFREG | 0600,
				      O_RDWR, 0, &ent, &fh),
			 -EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_copy_file_range),
		PT_TEST(test_syncfs),
		PT_TEST(test_tmpfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
