/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pt_ops extended attributes through an xattr map: the names that land on
 * the host, the names the guest lists, and the errors of refused names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "fs/xattrmap.h"
#include "policy/creds.h"
#include "pt_fixture.h"

/* The rule set the e2e run uses: trusted.* and security.* moved aside. */
static const char rules[] =
	":prefix:all:trusted.:user.virtiofs.:"
	":prefix:all:security.:user.virtiofs.:"
	":bad:server::trusted.:"
	":bad:server::security.:"
	":bad:client:user.virtiofs.::"
	":unsupported:all:user.nosup.:user.nosup.:"
	":ok:all:::";

static struct xattrmap *use_map(struct env *e)
{
	struct xattrmap *m = NULL;
	char err[128];

	assert_int_equal(xattrmap_parse(rules, strlen(rules), &m, err,
					sizeof(err)),
			 0);
	e->fs->xattrmap = m;
	return m;
}

static void test_names_on_host(void **state)
{
	struct env *e = *state;
	struct xattrmap *m;
	uint64_t fh, node;
	char buf[64];
	size_t len = 0;

	REQUIRE_ROOT();
	m = use_map(e);
	node = do_create(e, VFS_ROOT_ID, "f", &fh);
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, node, "trusted.x",
				       "tv", 2, 0),
			 0);
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, node, "user.plain",
				       "u", 1, 0),
			 0);
	assert_int_equal(creds_reset(), 0);
	/* On the host the guest's trusted.x is a user attribute. */
	assert_int_equal(getxattr(hp(e, "f"), "user.virtiofs.trusted.x", buf,
				  sizeof(buf)),
			 2);
	assert_int_equal(getxattr(hp(e, "f"), "trusted.x", buf, sizeof(buf)),
			 -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(getxattr(hp(e, "f"), "user.plain", buf, sizeof(buf)),
			 1);

	assert_int_equal(OP(getxattr, e->fs, &root_ctx, node, "trusted.x",
				       buf, sizeof(buf), &len),
			 0);
	assert_int_equal(len, 2);
	assert_memory_equal(buf, "tv", 2);
	/* The prefixed name itself is not the guest's to touch. */
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, node,
				       "user.virtiofs.y", "1", 1, 0),
			 -EPERM);
	assert_int_equal(OP(getxattr, e->fs, &root_ctx, node,
				       "user.virtiofs.trusted.x", buf,
				       sizeof(buf), &len),
			 -ENODATA);
	assert_int_equal(OP(removexattr, e->fs, &root_ctx, node,
					  "user.virtiofs.trusted.x"),
			 -EPERM);
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, node, "user.nosup.a",
				       "1", 1, 0),
			 -EOPNOTSUPP);
	assert_int_equal(OP(getxattr, e->fs, &root_ctx, node, "user.nosup.a",
				       buf, sizeof(buf), &len),
			 -EOPNOTSUPP);

	assert_int_equal(OP(removexattr, e->fs, &root_ctx, node,
					  "trusted.x"),
			 0);
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(getxattr(hp(e, "f"), "user.virtiofs.trusted.x", buf,
				  sizeof(buf)),
			 -1);
	OP(release, e->fs, &root_ctx, node, fh);
	e->fs->xattrmap = NULL;
	xattrmap_free(m);
}

static void test_list_mapped(void **state)
{
	struct env *e = *state;
	struct xattrmap *m;
	uint64_t fh, node;
	char buf[256];
	size_t len = 0;
	static const char want[] = "trusted.x\0user.plain";

	REQUIRE_ROOT();
	node = do_create(e, VFS_ROOT_ID, "f", &fh);
	assert_int_equal(creds_reset(), 0);
	/* What the host has: a host-only trusted label, the mapped one. */
	assert_int_equal(setxattr(hp(e, "f"), "trusted.host", "h", 1, 0), 0);
	assert_int_equal(setxattr(hp(e, "f"), "user.virtiofs.trusted.x", "t",
				  1, 0),
			 0);
	assert_int_equal(setxattr(hp(e, "f"), "user.plain", "p", 1, 0), 0);
	assert_int_equal(setxattr(hp(e, "f"), "user.nosup.hidden", "n", 1, 0),
			 0);
	m = use_map(e);

	/* The probe answers the mapped size, not the host's. */
	assert_int_equal(OP(listxattr, e->fs, &root_ctx, node, NULL, 0,
					&len),
			 0);
	assert_int_equal(len, sizeof(want));
	assert_int_equal(OP(listxattr, e->fs, &root_ctx, node, buf,
					sizeof(want) - 1, &len),
			 -ERANGE);
	assert_int_equal(OP(listxattr, e->fs, &root_ctx, node, buf,
					sizeof(buf), &len),
			 0);
	assert_int_equal(len, sizeof(want));
	/* Host order is not ours to promise: look for each name. */
	assert_non_null(memmem(buf, len, "trusted.x", sizeof("trusted.x")));
	assert_non_null(memmem(buf, len, "user.plain", sizeof("user.plain")));
	OP(release, e->fs, &root_ctx, node, fh);
	e->fs->xattrmap = NULL;
	xattrmap_free(m);
}

#define LABEL "system_u:object_r:tmp_t:s0"

static void expect_label(struct env *e, const char *rel, const char *name,
			 bool want)
{
	char buf[64];
	ssize_t n;

	assert_int_equal(creds_reset(), 0);
	n = lgetxattr(hp(e, rel), name, buf, sizeof(buf));
	if (!want) {
		assert_int_equal(n, -1);
		return;
	}
	if (n != (ssize_t)strlen(LABEL))
		fail_msg("%s %s: %zd (errno %d)", rel, name, n, errno);
	assert_memory_equal(buf, LABEL, strlen(LABEL));
}

/* The guest's security context on every kind of new inode, as a user. */
static void test_secctx_labels(void **state)
{
	struct env *e = *state;
	struct vfs_secctx sc = { "security.selinux", LABEL, strlen(LABEL) };
	struct vfs_ctx ctx = user_ctx;
	struct vfs_entry ent;
	struct xattrmap *m;
	uint64_t fh;

	REQUIRE_ROOT();
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(chmod(e->dir, 0777), 0);
	ctx.secctx = &sc;
	assert_int_equal(OP(create, e->fs, &ctx, VFS_ROOT_ID, "f",
				     S_IFREG | 0644, O_RDONLY, 0, &ent, &fh),
			 0);
	assert_int_equal(OP(release, e->fs, &ctx, ent.nodeid, fh), 0);
	expect_label(e, "f", "security.selinux", true);
	/* Still the caller's file, not root's. */
	{
		struct stat st;

		host_stat(hp(e, "f"), &st);
		assert_int_equal(st.st_uid, 1000);
	}
	/* An existing name is opened, not labelled again, not replaced. */
	assert_int_equal(OP(create, e->fs, &ctx, VFS_ROOT_ID, "f",
				     S_IFREG | 0644, O_RDWR | O_EXCL, 0, &ent,
				     &fh),
			 -EEXIST);
	assert_int_equal(OP(mkdir, e->fs, &ctx, VFS_ROOT_ID, "d", 0755, 0,
				    &ent),
			 0);
	expect_label(e, "d", "security.selinux", true);
	assert_int_equal(OP(mknod, e->fs, &ctx, VFS_ROOT_ID, "n",
				    S_IFREG | 0644, 0, 0, &ent),
			 0);
	expect_label(e, "n", "security.selinux", true);
	assert_int_equal(OP(tmpfile, e->fs, &ctx, VFS_ROOT_ID, S_IFREG | 0600,
				      O_RDWR, 0, &ent, &fh),
			 0);
	assert_int_equal(OP(release, e->fs, &ctx, ent.nodeid, fh), 0);
	/* Symlinks carry no xattrs here: created, unlabelled. */
	assert_int_equal(OP(symlink, e->fs, &ctx, VFS_ROOT_ID, "l", "f",
				      &ent),
			 0);
	expect_label(e, "l", "security.selinux", false);

	/* Through the map the label lands under the mapped name. */
	m = use_map(e);
	assert_int_equal(OP(mkdir, e->fs, &ctx, VFS_ROOT_ID, "md", 0755, 0,
				    &ent),
			 0);
	expect_label(e, "md", "user.virtiofs.security.selinux", true);
	expect_label(e, "md", "security.selinux", false);
	e->fs->xattrmap = NULL;
	xattrmap_free(m);
}

static bool host_has(struct env *e, const char *rel, const char *name)
{
	assert_int_equal(creds_reset(), 0);
	return getxattr(hp(e, rel), name, NULL, 0) >= 0;
}

/* File capabilities under a mapped name go where the real ones would. */
static void test_mapped_caps_dropped(void **state)
{
	struct env *e = *state;
	static const char cap_host[] = "user.virtiofs.security.capability";
	struct iovec iov = { (void *)"w", 1 };
	struct vfs_setattr sa = { .valid = VFS_SET_UID, .uid = 1000 };
	struct xattrmap *m;
	struct stat st;
	uint64_t fh, node;
	size_t n;

	REQUIRE_ROOT();
	m = use_map(e);
	node = do_create(e, VFS_ROOT_ID, "f", &fh);
#define SET_CAPS()                                                        \
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, node,            \
				       "security.capability", "c", 1, 0), \
			 0)
	SET_CAPS();
	assert_true(host_has(e, "f", cap_host));
	assert_int_equal(OP(write, e->fs, &root_ctx, node, fh, 0, &iov, 1,
				    false, &n),
			 0);
	assert_false(host_has(e, "f", cap_host));
	/* Set again while open: the same handle's next write drops them. */
	SET_CAPS();
	assert_int_equal(OP(write, e->fs, &root_ctx, node, fh, 0, &iov, 1,
				    false, &n),
			 0);
	assert_false(host_has(e, "f", cap_host));

	SET_CAPS();
	assert_int_equal(OP(setattr, e->fs, &root_ctx, node, NULL, &sa, &st),
			 0);
	assert_false(host_has(e, "f", cap_host));
	assert_int_equal(OP(release, e->fs, &root_ctx, node, fh), 0);

	SET_CAPS();
	assert_int_equal(OP(open, e->fs, &root_ctx, node, O_WRONLY | O_TRUNC,
				   &fh),
			 0);
	assert_false(host_has(e, "f", cap_host));
	/* Other attributes stay. */
	assert_int_equal(OP(setxattr, e->fs, &root_ctx, node, "user.keep",
				       "k", 1, 0),
			 0);
	assert_int_equal(OP(write, e->fs, &root_ctx, node, fh, 0, &iov, 1,
				    false, &n),
			 0);
	assert_true(host_has(e, "f", "user.keep"));
	assert_int_equal(OP(release, e->fs, &root_ctx, node, fh), 0);
#undef SET_CAPS
	e->fs->xattrmap = NULL;
	xattrmap_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_names_on_host),
		PT_TEST(test_list_mapped),
		PT_TEST(test_secctx_labels),
		PT_TEST(test_mapped_caps_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
