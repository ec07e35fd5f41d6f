/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pt_ops extended attributes through an xattr map: the names that land on
 * the host, the names the guest lists, and the errors of refused names.
 */
#include <errno.h>
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
	assert_int_equal(ops->setxattr(e->fs, &root_ctx, node, "trusted.x",
				       "tv", 2, 0),
			 0);
	assert_int_equal(ops->setxattr(e->fs, &root_ctx, node, "user.plain",
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

	assert_int_equal(ops->getxattr(e->fs, &root_ctx, node, "trusted.x",
				       buf, sizeof(buf), &len),
			 0);
	assert_int_equal(len, 2);
	assert_memory_equal(buf, "tv", 2);
	/* The prefixed name itself is not the guest's to touch. */
	assert_int_equal(ops->setxattr(e->fs, &root_ctx, node,
				       "user.virtiofs.y", "1", 1, 0),
			 EPERM);
	assert_int_equal(ops->getxattr(e->fs, &root_ctx, node,
				       "user.virtiofs.trusted.x", buf,
				       sizeof(buf), &len),
			 ENODATA);
	assert_int_equal(ops->removexattr(e->fs, &root_ctx, node,
					  "user.virtiofs.trusted.x"),
			 EPERM);
	assert_int_equal(ops->setxattr(e->fs, &root_ctx, node, "user.nosup.a",
				       "1", 1, 0),
			 EOPNOTSUPP);
	assert_int_equal(ops->getxattr(e->fs, &root_ctx, node, "user.nosup.a",
				       buf, sizeof(buf), &len),
			 EOPNOTSUPP);

	assert_int_equal(ops->removexattr(e->fs, &root_ctx, node,
					  "trusted.x"),
			 0);
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(getxattr(hp(e, "f"), "user.virtiofs.trusted.x", buf,
				  sizeof(buf)),
			 -1);
	ops->release(e->fs, &root_ctx, node, fh);
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
	assert_int_equal(ops->listxattr(e->fs, &root_ctx, node, NULL, 0,
					&len),
			 0);
	assert_int_equal(len, sizeof(want));
	assert_int_equal(ops->listxattr(e->fs, &root_ctx, node, buf,
					sizeof(want) - 1, &len),
			 ERANGE);
	assert_int_equal(ops->listxattr(e->fs, &root_ctx, node, buf,
					sizeof(buf), &len),
			 0);
	assert_int_equal(len, sizeof(want));
	/* Host order is not ours to promise: look for each name. */
	assert_non_null(memmem(buf, len, "trusted.x", sizeof("trusted.x")));
	assert_non_null(memmem(buf, len, "user.plain", sizeof("user.plain")));
	ops->release(e->fs, &root_ctx, node, fh);
	e->fs->xattrmap = NULL;
	xattrmap_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_names_on_host),
		PT_TEST(test_list_mapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
