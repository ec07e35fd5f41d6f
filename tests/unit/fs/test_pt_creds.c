/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the host refuses and the guest allowed (fs/pt_internal.h,
 * PT_GUEST_ALLOWED). The guest's user 1000 is taken to be in group 2000 by
 * a supplementary group, which FUSE does not carry: the guest kernel let
 * each request through with it. With borrowing configured (the daemon's
 * default as root) the host answers as the guest decided; without it
 * (--translate-uid sends the guest's root elsewhere) the host's refusal
 * stands. Ownership of what is created and the clearing of set-user-ID
 * after another user's write stay the host's rules for the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/xattr.h>

#include "policy/creds.h"
#include "pt_fixture.h"

#define SUPP_GID 2000

/* What caps_borrowable() gives the daemon's default set. */
static void borrowing(bool on)
{
	creds_configure_caps(on ? CREDS_CAP(CAP_DAC_OVERRIDE) |
					  CREDS_CAP(CAP_FOWNER) |
					  CREDS_CAP(CAP_CHOWN) |
					  CREDS_CAP(CAP_FSETID) |
					  CREDS_CAP(CAP_SETFCAP) |
					  CREDS_CAP(CAP_MKNOD) :
				  0,
			     0);
}

static int borrow_teardown(void **state)
{
	borrowing(false);
	return pt_teardown(state);
}

#define CREDS_TEST(f) \
	cmocka_unit_test_setup_teardown(f, pt_setup, borrow_teardown)

/* A host file (or directory) with owner, group and mode. */
static void host_file(struct env *e, const char *rel, uid_t uid, gid_t gid,
		      mode_t mode, bool dir)
{
	const char *p = hp(e, rel);

	if (dir) {
		assert_int_equal(creds_reset(), 0);
		assert_int_equal(mkdir(p, 0700), 0);
	} else {
		host_touch(p, 0600);
	}
	assert_int_equal(chown(p, uid, gid), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static struct stat host_st(struct env *e, const char *rel)
{
	struct stat st;

	host_stat(hp(e, rel), &st);
	return st;
}

/* OPEN by user 1000: read through the group, then exec-only. */
static void test_open_through_group_and_exec_only(void **state)
{
	struct env *e = *state;
	uint64_t fh, grp, xonly;

	REQUIRE_ROOT();
	host_file(e, "grp", 0, SUPP_GID, 0640, false);
	host_file(e, "xonly", 0, 0, 0711, false);
	grp = do_lookup(e, VFS_ROOT_ID, "grp");
	xonly = do_lookup(e, VFS_ROOT_ID, "xonly");

	borrowing(false);
	assert_int_equal(OP(open, e->fs, &user_ctx, grp, O_RDONLY, &fh),
			 -EACCES);
	assert_int_equal(OP(open, e->fs, &user_ctx, xonly, O_RDONLY, &fh),
			 -EACCES);
	borrowing(true);
	assert_int_equal(OP(open, e->fs, &user_ctx, grp, O_RDONLY, &fh), 0);
	assert_int_equal(OP(release, e->fs, &user_ctx, grp, fh), 0);
	/* The guest kernel allowed the exec: the file is opened to be run. */
	assert_int_equal(OP(open, e->fs, &user_ctx, xonly, O_RDONLY, &fh), 0);
	assert_int_equal(OP(release, e->fs, &user_ctx, xonly, fh), 0);
}

/*
 * LOOKUP and CREATE in a directory of the group: the new file is the
 * caller's, as the guest's user made it.
 */
static void test_create_in_group_dir(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct stat st;
	uint64_t dir, fh;

	REQUIRE_ROOT();
	host_file(e, "gd", 0, SUPP_GID, 0770, true);
	host_touch(hp(e, "gd/old"), 0644);
	dir = do_lookup(e, VFS_ROOT_ID, "gd");

	borrowing(false);
	assert_int_equal(OP(lookup, e->fs, &user_ctx, dir, "old", &ent),
			 -EACCES);
	assert_int_equal(OP(create, e->fs, &user_ctx, dir, "new",
			    S_IFREG | 0640, O_RDWR, 0, &ent, &fh),
			 -EACCES);
	assert_int_equal(OP(mkdir, e->fs, &user_ctx, dir, "sub", 0750, 0,
			    &ent),
			 -EACCES);
	borrowing(true);
	assert_int_equal(OP(lookup, e->fs, &user_ctx, dir, "old", &ent), 0);
	assert_int_equal(OP(create, e->fs, &user_ctx, dir, "new",
			    S_IFREG | 0640, O_RDWR, 0, &ent, &fh),
			 0);
	assert_int_equal(OP(release, e->fs, &user_ctx, ent.nodeid, fh), 0);
	st = host_st(e, "gd/new");
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1000);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(OP(mkdir, e->fs, &user_ctx, dir, "sub", 0750, 0,
			    &ent),
			 0);
	st = host_st(e, "gd/sub");
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1000);
	assert_int_equal(OP(unlink, e->fs, &user_ctx, dir, "new"), 0);
}

/* chgrp to the supplementary group, and chmod g+s by the owner. */
static void test_owner_chgrp_and_setgid(void **state)
{
	struct env *e = *state;
	struct vfs_setattr sa = { .valid = VFS_SET_GID, .gid = SUPP_GID };
	struct stat st;
	uint64_t id;

	REQUIRE_ROOT();
	host_file(e, "mine", 1000, 1000, 0644, false);
	id = do_lookup(e, VFS_ROOT_ID, "mine");

	borrowing(false);
	assert_int_equal(OP(setattr, e->fs, &user_ctx, id, NULL, &sa, &st),
			 -EPERM);
	borrowing(true);
	assert_int_equal(OP(setattr, e->fs, &user_ctx, id, NULL, &sa, &st), 0);
	assert_int_equal(host_st(e, "mine").st_gid, SUPP_GID);

	/*
	 * The owner is in the file's group by the guest's word: its
	 * set-group-ID stays, which the host, without the group, drops.
	 */
	sa = (struct vfs_setattr){ .valid = VFS_SET_MODE, .mode = 02755 };
	borrowing(false);
	assert_int_equal(OP(setattr, e->fs, &user_ctx, id, NULL, &sa, &st), 0);
	assert_int_equal(host_st(e, "mine").st_mode & 07777, 0755);
	borrowing(true);
	assert_int_equal(OP(setattr, e->fs, &user_ctx, id, NULL, &sa, &st), 0);
	assert_int_equal(host_st(e, "mine").st_mode & 07777, 02755);
	assert_int_equal(st.st_mode & 07777, 02755);
}

/*
 * Another user's write to a set-user-ID and set-group-ID file: the host
 * clears both for it (it is not in the file's group), never kept by a
 * borrowed CAP_FSETID. Without killpriv_v2 the guest sends the clearing
 * as a SETATTR of the writer's, by older rules that keep set-group-ID on a
 * file that is not group-executable: the host's rules decide that too.
 */
static void test_killpriv_by_another_user(void **state)
{
	struct env *e = *state;
	struct vfs_setattr sa = { .valid = VFS_SET_MODE, .mode = 02666 };
	struct iovec iov = { "x", 1 };
	struct stat st;
	uint64_t id, fh;
	size_t n;

	REQUIRE_ROOT();
	borrowing(true);
	host_file(e, "suid", 3000, 3000, 06666, false);
	id = do_lookup(e, VFS_ROOT_ID, "suid");
	assert_int_equal(OP(open, e->fs, &user_ctx, id, O_RDWR, &fh), 0);
	assert_int_equal(OP(write, e->fs, &user_ctx, id, fh, 0, &iov, 1, false,
			    &n),
			 0);
	assert_int_equal(host_st(e, "suid").st_mode & 07777, 0666);

	assert_int_equal(creds_reset(), 0);
	assert_int_equal(chmod(hp(e, "suid"), 06666), 0);
	borrowing(false);
	assert_int_equal(OP(setattr, e->fs, &user_ctx, id, NULL, &sa, &st),
			 -EPERM);
	borrowing(true);
	assert_int_equal(OP(setattr, e->fs, &user_ctx, id, NULL, &sa, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0666);
	assert_int_equal(OP(release, e->fs, &user_ctx, id, fh), 0);
}

/*
 * A user who may write a file with file capabilities: the guest kernel
 * removes security.capability before the write, as the writer.
 */
static void test_remove_file_capability(void **state)
{
	struct env *e = *state;
	struct vfs_cap_data cap;
	uint64_t id;

	REQUIRE_ROOT();
	memset(&cap, 0, sizeof(cap));
	cap.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
	cap.data[0].permitted = 1u << CAP_NET_RAW;
	host_file(e, "capped", 0, 0, 0666, false);
	if (setxattr(hp(e, "capped"), "security.capability", &cap,
		     sizeof(cap), 0))
		skip();
	id = do_lookup(e, VFS_ROOT_ID, "capped");

	borrowing(false);
	assert_int_equal(OP(removexattr, e->fs, &user_ctx, id,
			    "security.capability"),
			 -EPERM);
	borrowing(true);
	assert_int_equal(OP(removexattr, e->fs, &user_ctx, id,
			    "security.capability"),
			 0);
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(getxattr(hp(e, "capped"), "security.capability",
				  NULL, 0),
			 -1);
	assert_int_equal(errno, ENODATA);
}

/*
 * CVE-2022-0358 with borrowing on: CAP_FSETID is never borrowed to create,
 * so an outsider's file in a set-group-ID directory still loses the bit.
 */
static void test_no_setgid_for_outsider(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	uint64_t dir, fh;

	REQUIRE_ROOT();
	borrowing(true);
	host_file(e, "g", 0, 4242, 02777, true);
	dir = do_lookup(e, VFS_ROOT_ID, "g");
	assert_int_equal(OP(create, e->fs, &user_ctx, dir, "u",
			    S_IFREG | 02755, O_RDWR, 0, &ent, &fh),
			 0);
	assert_int_equal(OP(release, e->fs, &user_ctx, ent.nodeid, fh), 0);
	assert_int_equal(host_st(e, "g/u").st_mode & 07777, 0755);
	/* And the thread has nothing left raised after the requests. */
	assert_false(creds_borrow(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CREDS_TEST(test_open_through_group_and_exec_only),
		CREDS_TEST(test_create_in_group_dir),
		CREDS_TEST(test_owner_chgrp_and_setgid),
		CREDS_TEST(test_killpriv_by_another_user),
		CREDS_TEST(test_remove_file_capability),
		CREDS_TEST(test_no_setgid_for_outsider),
	};

	/* The daemon runs with umask 0; so must its host-side checks. */
	umask(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
