/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Permission bits of new and changed files: the umask left to the daemon
 * with POSIX ACLs (applied only where no default ACL decides), the
 * set-group-ID directory rules, and set-user-ID cleared on an open with
 * FUSE_OPEN_KILL_SUIDGID.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <string.h>
#include <sys/xattr.h>

#include "policy/creds.h"
#include "pt_fixture.h"

static void acl_on(struct env *e, bool dont_mask)
{
	struct vfs_conn conn = { .posix_acl = true, .dont_mask = dont_mask };

	ops->init(e->fs, &conn);
}

/* A minimal ACL: user::u group::g other::o, as the xattr carries it. */
struct acl3 {
	struct posix_acl_xattr_header h;
	struct posix_acl_xattr_entry e[3];
};

static struct acl3 acl3(uint16_t u, uint16_t g, uint16_t o)
{
	struct acl3 a = {
		.h = { .a_version = POSIX_ACL_XATTR_VERSION },
		.e = {
			{ ACL_USER_OBJ, u, (uint32_t)ACL_UNDEFINED_ID },
			{ ACL_GROUP_OBJ, g, (uint32_t)ACL_UNDEFINED_ID },
			{ ACL_OTHER, o, (uint32_t)ACL_UNDEFINED_ID },
		},
	};

	return a;
}

/* A default ACL of user::rwx group::rwx other::r-x on the host path p. */
static void host_default_acl(const char *p)
{
	struct acl3 acl = acl3(7, 7, 5);

	assert_int_equal(creds_reset(), 0);
	assert_int_equal(setxattr(p, "system.posix_acl_default", &acl,
				  sizeof(acl), 0),
			 0);
}

static mode_t host_mode(const char *p)
{
	struct stat st;

	host_stat(p, &st);
	return st.st_mode & 07777;
}

static void test_umask_without_default_acl(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	uint64_t fh;

	REQUIRE_ROOT();
	/* The guest sent the mode unmasked: the umask is ours to apply. */
	acl_on(e, true);
	assert_int_equal(OP(mkdir, e->fs, &root_ctx, VFS_ROOT_ID, "d", 0777,
				    027, &ent),
			 0);
	assert_int_equal(host_mode(hp(e, "d")), 0750);
	assert_int_equal(OP(create, e->fs, &root_ctx, VFS_ROOT_ID, "f",
				     S_IFREG | 0666, O_RDWR, 077, &ent, &fh),
			 0);
	assert_int_equal(host_mode(hp(e, "f")), 0600);
	assert_int_equal(OP(release, e->fs, &root_ctx, ent.nodeid, fh), 0);
	assert_int_equal(OP(mknod, e->fs, &root_ctx, VFS_ROOT_ID, "p",
				    S_IFIFO | 0666, 0, 022, &ent),
			 0);
	assert_int_equal(host_mode(hp(e, "p")), 0644);

	/* Without FUSE_DONT_MASK the guest masked it already: no second go. */
	acl_on(e, false);
	assert_int_equal(OP(mkdir, e->fs, &root_ctx, VFS_ROOT_ID, "d2", 0775,
				    027, &ent),
			 0);
	assert_int_equal(host_mode(hp(e, "d2")), 0775);
}

static void test_default_acl_wins_over_umask(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	uint64_t dir, fh;

	REQUIRE_ROOT();
	acl_on(e, true);
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(mkdir(hp(e, "acl"), 0777), 0);
	host_default_acl(hp(e, "acl"));
	dir = do_lookup(e, VFS_ROOT_ID, "acl");

	/* 0666 through the default ACL (other r-x): 0664, umask 077 unused. */
	assert_int_equal(OP(create, e->fs, &user_ctx, dir, "f",
				     S_IFREG | 0666, O_RDWR, 077, &ent, &fh),
			 0);
	assert_int_equal(host_mode(hp(e, "acl/f")), 0664);
	assert_int_equal(OP(release, e->fs, &user_ctx, ent.nodeid, fh), 0);
	/* A new directory inherits the default ACL itself. */
	assert_int_equal(OP(mkdir, e->fs, &user_ctx, dir, "sub", 0777, 077,
				    &ent),
			 0);
	assert_int_equal(host_mode(hp(e, "acl/sub")), 0775);
	assert_int_equal(getxattr(hp(e, "acl/sub"), "system.posix_acl_default",
				  NULL, 0) > 0,
			 1);
}

/*
 * CVE-2022-0358: QEMU's virtiofsd created files with CAP_FSETID held, so
 * a guest user could create a set-group-ID file in a set-group-ID
 * directory of a group it is not in. Here the host kernel clears the bit
 * for a caller without the group, as it would for a local process.
 */
static void test_cve_2022_0358_sgid_dir(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct stat st;
	uint64_t dir, fh;

	REQUIRE_ROOT();
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(mkdir(hp(e, "g"), 0777), 0);
	assert_int_equal(chown(hp(e, "g"), 0, 4242), 0);
	assert_int_equal(chmod(hp(e, "g"), 02777), 0);
	dir = do_lookup(e, VFS_ROOT_ID, "g");

	assert_int_equal(OP(create, e->fs, &user_ctx, dir, "u",
				     S_IFREG | 02755, O_RDWR, 0, &ent, &fh),
			 0);
	assert_int_equal(OP(release, e->fs, &user_ctx, ent.nodeid, fh), 0);
	host_stat(hp(e, "g/u"), &st);
	/* The directory's group, and no set-group-ID for an outsider. */
	assert_int_equal(st.st_gid, 4242);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_mode & 07777, 0755);

	assert_int_equal(OP(mknod, e->fs, &user_ctx, dir, "n",
				    S_IFREG | 02755, 0, 0, &ent),
			 0);
	assert_int_equal(host_mode(hp(e, "g/n")), 0755);

	/* A new directory keeps the group and set-group-ID. */
	assert_int_equal(OP(mkdir, e->fs, &user_ctx, dir, "sub", 0755, 0,
				    &ent),
			 0);
	host_stat(hp(e, "g/sub"), &st);
	assert_int_equal(st.st_gid, 4242);
	assert_int_equal(st.st_mode & 07777, 02755);

	/* Root holds CAP_FSETID: its set-group-ID file stays so. */
	assert_int_equal(OP(create, e->fs, &root_ctx, dir, "r",
				     S_IFREG | 02755, O_RDWR, 0, &ent, &fh),
			 0);
	assert_int_equal(OP(release, e->fs, &root_ctx, ent.nodeid, fh), 0);
	host_stat(hp(e, "g/r"), &st);
	assert_int_equal(st.st_gid, 4242);
	assert_int_equal(st.st_mode & 07777, 02755);
}

static void test_open_kill_suidgid(void **state)
{
	struct env *e = *state;
	uint64_t fh, id;

	REQUIRE_ROOT();
	id = do_create(e, VFS_ROOT_ID, "s", &fh);
	assert_int_equal(OP(release, e->fs, &root_ctx, id, fh), 0);
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(chmod(hp(e, "s"), 06755), 0);

	/* A root O_TRUNC keeps the bits, as on the host... */
	assert_int_equal(OP(open, e->fs, &root_ctx, id, O_WRONLY | O_TRUNC,
				   &fh),
			 0);
	assert_int_equal(OP(release, e->fs, &root_ctx, id, fh), 0);
	assert_int_equal(host_mode(hp(e, "s")), 06755);
	/* ...unless the guest says its caller lacks CAP_FSETID. */
	assert_int_equal(OP(open, e->fs, &root_ctx, id,
				   O_WRONLY | O_TRUNC | VFS_OPEN_KILL_SUIDGID,
				   &fh),
			 0);
	assert_int_equal(OP(release, e->fs, &root_ctx, id, fh), 0);
	assert_int_equal(host_mode(hp(e, "s")), 0755);

	/* CREATE of the existing name does the same. */
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(chmod(hp(e, "s"), 06755), 0);
	{
		struct vfs_entry ent;

		assert_int_equal(OP(create, e->fs, &root_ctx, VFS_ROOT_ID,
					     "s", S_IFREG | 0644,
					     O_RDWR | O_TRUNC |
						     VFS_OPEN_KILL_SUIDGID,
					     0, &ent, &fh),
				 0);
		assert_int_equal(OP(release, e->fs, &root_ctx, ent.nodeid,
					      fh),
				 0);
		ops->forget(e->fs, ent.nodeid, 1);
	}
	assert_int_equal(host_mode(hp(e, "s")), 0755);

	/* A user's O_TRUNC: the host drops them itself. */
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(chmod(hp(e, "s"), 06777), 0);
	assert_int_equal(OP(open, e->fs, &user_ctx, id,
				   O_WRONLY | O_TRUNC | VFS_OPEN_KILL_SUIDGID,
				   &fh),
			 0);
	assert_int_equal(OP(release, e->fs, &user_ctx, id, fh), 0);
	assert_int_equal(host_mode(hp(e, "s")), 0777);
}

/* FUSE_SETXATTR_ACL_KILL_SGID: the guest's word clears set-group-ID. */
static void test_acl_kill_sgid(void **state)
{
	struct env *e = *state;
	struct acl3 acl = acl3(7, 5, 0);
	uint64_t fh, id;

	REQUIRE_ROOT();
	acl_on(e, true);
	id = do_create(e, VFS_ROOT_ID, "g", &fh);
	assert_int_equal(OP(release, e->fs, &root_ctx, id, fh), 0);
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(chmod(hp(e, "g"), 02770), 0);
	/* Root holds CAP_FSETID: without the flag the bit stays. */
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, id,
				       "system.posix_acl_access", &acl,
				       sizeof(acl), 0),
			 0);
	assert_int_equal(host_mode(hp(e, "g")), 02750);
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, id,
				       "system.posix_acl_access", &acl,
				       sizeof(acl), VFS_SETXATTR_KILL_SGID),
			 0);
	assert_int_equal(host_mode(hp(e, "g")), 0750);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_umask_without_default_acl),
		PT_TEST(test_default_acl_wins_over_umask),
		PT_TEST(test_cve_2022_0358_sgid_dir),
		PT_TEST(test_open_kill_suidgid),
		PT_TEST(test_acl_kill_sgid),
	};

	/* The daemon runs with umask 0; so must its host-side checks. */
	umask(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
