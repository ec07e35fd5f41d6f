/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The opcodes beyond the core: xattrs, locks, COPY_FILE_RANGE, SYNCFS,
 * IOCTL, POLL. A filesystem of its own here records the calls; the
 * requests go through fuse_session_process() like the kernel's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/xattr.h>
#include <cmocka.h>

#include "fuse/session_int.h"
#include "harness.h"

static struct {
	int ret;
	unsigned int calls;
	uint64_t nodeid;
	char name[512];
	char value[1 << 16];
	size_t size;		/* size argument the op got */
	uint32_t flags;
	const char *data;	/* what get/list report */
	size_t data_len;
	uint64_t fh, owner;
	struct vfs_lock lk;	/* what setlk/getlk got */
	struct vfs_lock lk_out;	/* what getlk answers */
	bool wait;
	const char *op;
	bool block;		/* setlk waits for an INTERRUPT */
	atomic_bool waiting;
} px;

static int px_setxattr(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		       const char *name, const void *value, size_t size,
		       uint32_t flags)
{
	(void)fs;
	(void)ctx;
	px.calls++;
	px.nodeid = nodeid;
	strcpy(px.name, name);
	assert_true(size <= sizeof(px.value));
	memcpy(px.value, value, size);
	px.size = size;
	px.flags = flags;
	return px.ret;
}

static int px_get(size_t size, void *buf, size_t *len)
{
	px.size = size;
	if (px.ret)
		return px.ret;
	if (size && px.data_len > size)
		return -ERANGE;
	if (size)
		memcpy(buf, px.data, px.data_len);
	*len = px.data_len;
	return 0;
}

static int px_getxattr(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		       const char *name, void *buf, size_t size, size_t *len)
{
	(void)fs;
	(void)ctx;
	px.calls++;
	px.nodeid = nodeid;
	strcpy(px.name, name);
	return px_get(size, buf, len);
}

static int px_listxattr(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
			char *buf, size_t size, size_t *len)
{
	(void)fs;
	(void)ctx;
	px.calls++;
	px.nodeid = nodeid;
	return px_get(size, buf, len);
}

static int px_removexattr(void *fs, const struct vfs_ctx *ctx,
			  uint64_t nodeid, const char *name)
{
	(void)fs;
	(void)ctx;
	px.calls++;
	px.nodeid = nodeid;
	strcpy(px.name, name);
	return px.ret;
}

static int px_getlk(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		    uint64_t fh, uint64_t owner, struct vfs_lock *lk)
{
	(void)fs;
	(void)ctx;
	px.calls++;
	px.op = "getlk";
	px.nodeid = nodeid;
	px.fh = fh;
	px.owner = owner;
	px.lk = *lk;
	if (!px.ret)
		*lk = px.lk_out;
	return px.ret;
}

static int px_setlk(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		    uint64_t fh, uint64_t owner, const struct vfs_lock *lk,
		    bool wait)
{
	(void)fs;
	(void)ctx;
	px.calls++;
	px.op = "setlk";
	px.nodeid = nodeid;
	px.fh = fh;
	px.owner = owner;
	px.lk = *lk;
	px.wait = wait;
	if (px.block) {
		/* Up to 10 s for the INTERRUPT, as a host wait would poll. */
		if (!ctx->interrupted)
			return -EIO;
		atomic_store(&px.waiting, true);
		for (int i = 0; i < 10000; i++) {
			if (atomic_load(ctx->interrupted))
				return -EINTR;
			usleep(1000);
		}
		return -ETIMEDOUT;
	}
	return px.ret;
}

static int px_flock(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		    uint64_t fh, uint32_t type, bool wait)
{
	(void)fs;
	(void)ctx;
	px.calls++;
	px.op = "flock";
	px.nodeid = nodeid;
	px.fh = fh;
	px.lk.type = type;
	px.wait = wait;
	return px.ret;
}

static int px_copy(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid_in,
		   uint64_t fh_in, uint64_t off_in, uint64_t nodeid_out,
		   uint64_t fh_out, uint64_t off_out, uint64_t len,
		   uint64_t *copied)
{
	(void)fs;
	(void)ctx;
	px.calls++;
	px.op = "copy";
	px.nodeid = nodeid_in;
	px.fh = fh_in;
	px.lk.start = off_in;
	px.owner = nodeid_out;
	px.lk.end = off_out;
	px.size = (size_t)len;
	px.lk.pid = (uint32_t)fh_out;
	*copied = len / 2;
	return px.ret;
}

static int px_syncfs(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid)
{
	(void)fs;
	(void)ctx;
	px.calls++;
	px.op = "syncfs";
	px.nodeid = nodeid;
	return px.ret;
}

static int px_tmpfile(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		      uint32_t mode, uint32_t flags, uint32_t umask,
		      struct vfs_entry *out, uint64_t *fh)
{
	(void)fs;
	(void)ctx;
	px.calls++;
	px.op = "tmpfile";
	px.nodeid = parent;
	px.flags = flags;
	px.size = mode;
	px.owner = umask;
	memset(out, 0, sizeof(*out));
	out->nodeid = 42;
	out->attr.st_mode = S_IFREG | 0600;
	*fh = 43;
	return px.ret;
}

static const struct vfs_ops px_ops = {
	.copy_file_range = px_copy,
	.syncfs = px_syncfs,
	.tmpfile = px_tmpfile,
	.getlk = px_getlk,
	.setlk = px_setlk,
	.flock = px_flock,
	.setxattr = px_setxattr,
	.getxattr = px_getxattr,
	.listxattr = px_listxattr,
	.removexattr = px_removexattr,
};

struct px_ctx {
	struct fuse_session *s;
	struct tmsg m;
	struct fuse_out_header oh;
	uint8_t body[1 << 17];
	struct fuse_init_out init;
};

static struct px_ctx *px_start(const struct fuse_session_opts *o,
			       uint32_t init_flags)
{
	struct px_ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	memset(&px, 0, sizeof(px));
	assert_int_equal(fuse_session_new(&c->s, &px_ops, NULL, o), 0);
	assert_int_equal(t_init(c->s, 7, 38, init_flags, 0, 1u << 17,
				&c->init, NULL),
			 0);
	return c;
}

static void px_end(struct px_ctx *c)
{
	fuse_session_free(c->s);
	free(c);
}

static const struct fuse_session_opts *px_opts(bool xattr)
{
	static struct fuse_session_opts o;

	o = *t_default_opts();
	o.xattr = xattr;
	return &o;
}

static size_t px_call(struct px_ctx *c, size_t outlen)
{
	return t_call(c->s, &c->m, &c->oh, c->body, outlen);
}

static void setxattr_msg(struct px_ctx *c, bool ext, uint32_t size,
			 uint32_t flags, const char *name, const void *value,
			 size_t vlen)
{
	struct fuse_setxattr_in in = { .size = size, .flags = flags };

	tm_start(&c->m, FUSE_SETXATTR, 7);
	tm_add(&c->m, &in, ext ? sizeof(in) : FUSE_COMPAT_SETXATTR_IN_SIZE);
	tm_add_str(&c->m, name);
	tm_add(&c->m, value, vlen);
}

static void test_init_flags(void **state)
{
	struct fuse_session_opts o = *px_opts(true);
	struct px_ctx *c;

	(void)state;
	c = px_start(&o, 0xffffffffu);
	assert_true(c->init.flags & FUSE_SETXATTR_EXT);
	assert_false(c->init.flags & FUSE_POSIX_LOCKS);
	assert_false(c->init.flags & FUSE_FLOCK_LOCKS);
	px_end(c);

	o.xattr = false;
	o.posix_lock = true;
	o.flock = true;
	c = px_start(&o, 0xffffffffu);
	assert_false(c->init.flags & FUSE_SETXATTR_EXT);
	assert_true(c->init.flags & FUSE_POSIX_LOCKS);
	assert_true(c->init.flags & FUSE_FLOCK_LOCKS);
	px_end(c);

	/* Nothing the kernel did not offer. */
	c = px_start(&o, FUSE_ASYNC_READ);
	assert_false(c->init.flags & (FUSE_POSIX_LOCKS | FUSE_FLOCK_LOCKS));
	px_end(c);
}

static void test_xattr_off(void **state)
{
	static const uint32_t codes[] = { FUSE_SETXATTR, FUSE_GETXATTR,
					  FUSE_LISTXATTR, FUSE_REMOVEXATTR };
	struct fuse_getxattr_in gi = { .size = 64 };
	struct px_ctx *c = px_start(px_opts(false), 0xffffffffu);

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		tm_start(&c->m, codes[i], 7);
		tm_add(&c->m, &gi, sizeof(gi));
		tm_add_str(&c->m, "user.a");
		px_call(c, 4096);
		assert_int_equal(c->oh.error, -ENOSYS);
	}
	assert_int_equal(px.calls, 0);
	px_end(c);
}

static void test_setxattr(void **state)
{
	struct px_ctx *c = px_start(px_opts(true), 0xffffffffu);
	char big[XATTR_NAME_MAX + 2];

	(void)state;
	/* The kernel agreed to SETXATTR_EXT: the 16-byte struct. */
	setxattr_msg(c, true, 5, XATTR_CREATE, "user.k", "v\0lue", 5);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(px.calls, 1);
	assert_int_equal(px.nodeid, 7);
	assert_string_equal(px.name, "user.k");
	assert_int_equal(px.size, 5);
	assert_memory_equal(px.value, "v\0lue", 5);
	assert_int_equal(px.flags, XATTR_CREATE);

	/* An empty value. */
	setxattr_msg(c, true, 0, 0, "user.e", "", 0);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(px.size, 0);

	/* The guest's ACL_KILL_SGID reaches the filesystem as its flag. */
	{
		struct fuse_setxattr_in in = {
			.size = 1,
			.setxattr_flags = FUSE_SETXATTR_ACL_KILL_SGID,
		};

		tm_start(&c->m, FUSE_SETXATTR, 7);
		tm_add(&c->m, &in, sizeof(in));
		tm_add_str(&c->m, "system.posix_acl_access");
		tm_add(&c->m, "a", 1);
		px_call(c, 4096);
		assert_int_equal(c->oh.error, 0);
		assert_int_equal(px.flags, VFS_SETXATTR_KILL_SGID);
	}
	/* ...and a guest cannot pass that bit as an XATTR_* flag. */
	setxattr_msg(c, true, 1, VFS_SETXATTR_KILL_SGID, "user.k", "x", 1);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -EINVAL);

	/* The filesystem's error goes back. */
	px.ret = -EEXIST;
	setxattr_msg(c, true, 1, XATTR_CREATE, "user.k", "x", 1);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -EEXIST);
	px.ret = 0;

	px.calls = 0;
	/* A value larger than the request holds. */
	setxattr_msg(c, true, 10, 0, "user.k", "abc", 3);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -EINVAL);
	/* Larger than any VFS allows. */
	setxattr_msg(c, true, XATTR_SIZE_MAX + 1, 0, "user.k", "abc", 3);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -E2BIG);
	/* Unknown flags. */
	setxattr_msg(c, true, 1, 4, "user.k", "x", 1);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -EINVAL);
	/* A name over XATTR_NAME_MAX, an empty one, one without its NUL. */
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	setxattr_msg(c, true, 1, 0, big, "x", 1);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -ERANGE);
	setxattr_msg(c, true, 1, 0, "", "x", 1);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -ERANGE);
	{
		struct fuse_setxattr_in in = { .size = 0 };

		tm_start(&c->m, FUSE_SETXATTR, 7);
		tm_add(&c->m, &in, sizeof(in));
		tm_add(&c->m, "user.k", 6);
		px_call(c, 4096);
		assert_int_equal(c->oh.error, -EINVAL);
	}
	assert_int_equal(px.calls, 0);
	px_end(c);
}

/* Without SETXATTR_EXT the kernel sends the 8-byte struct. */
static void test_setxattr_compat(void **state)
{
	struct px_ctx *c = px_start(px_opts(true), FUSE_ASYNC_READ);

	(void)state;
	assert_false(c->init.flags & FUSE_SETXATTR_EXT);
	setxattr_msg(c, false, 2, XATTR_REPLACE, "user.c", "hi", 2);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_string_equal(px.name, "user.c");
	assert_memory_equal(px.value, "hi", 2);
	assert_int_equal(px.flags, XATTR_REPLACE);
	px_end(c);
}

static void getxattr_msg(struct px_ctx *c, uint32_t opcode, uint32_t size,
			 const char *name)
{
	struct fuse_getxattr_in in = { .size = size };

	tm_start(&c->m, opcode, 9);
	tm_add(&c->m, &in, sizeof(in));
	if (name)
		tm_add_str(&c->m, name);
}

static void test_getxattr(void **state)
{
	struct px_ctx *c = px_start(px_opts(true), 0xffffffffu);
	struct fuse_getxattr_out go;
	size_t n;

	(void)state;
	px.data = "value";
	px.data_len = 5;
	/* A probe answers with the size only. */
	getxattr_msg(c, FUSE_GETXATTR, 0, "user.v");
	n = px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(n, sizeof(c->oh) + sizeof(go));
	memcpy(&go, c->body, sizeof(go));
	assert_int_equal(go.size, 5);
	assert_int_equal(px.size, 0);
	assert_string_equal(px.name, "user.v");
	assert_int_equal(px.nodeid, 9);

	getxattr_msg(c, FUSE_GETXATTR, 100, "user.v");
	n = px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(n, sizeof(c->oh) + 5);
	assert_memory_equal(c->body, "value", 5);
	assert_int_equal(px.size, 100);

	getxattr_msg(c, FUSE_GETXATTR, 4, "user.v");
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -ERANGE);

	/* A huge size is clamped to what an attribute can hold. */
	getxattr_msg(c, FUSE_GETXATTR, UINT32_MAX, "user.v");
	px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(px.size, XATTR_SIZE_MAX);

	px.ret = -ENODATA;
	getxattr_msg(c, FUSE_GETXATTR, 100, "user.none");
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -ENODATA);
	px.ret = 0;

	/* No name at all. */
	px.calls = 0;
	getxattr_msg(c, FUSE_GETXATTR, 100, NULL);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -EINVAL);
	assert_int_equal(px.calls, 0);
	px_end(c);
}

static void test_listxattr_removexattr(void **state)
{
	struct px_ctx *c = px_start(px_opts(true), 0xffffffffu);
	struct fuse_getxattr_out go;

	(void)state;
	px.data = "user.a\0user.b";
	px.data_len = 14;
	getxattr_msg(c, FUSE_LISTXATTR, 0, NULL);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	memcpy(&go, c->body, sizeof(go));
	assert_int_equal(go.size, 14);

	getxattr_msg(c, FUSE_LISTXATTR, 14, NULL);
	assert_int_equal(px_call(c, 4096), sizeof(c->oh) + 14);
	assert_memory_equal(c->body, "user.a\0user.b", 14);

	getxattr_msg(c, FUSE_LISTXATTR, 13, NULL);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -ERANGE);

	/* Reply room shorter than the list: E2BIG, never an over-run. */
	getxattr_msg(c, FUSE_LISTXATTR, 14, NULL);
	px_call(c, sizeof(c->oh) + 10);
	assert_int_equal(c->oh.error, -E2BIG);

	tm_start(&c->m, FUSE_REMOVEXATTR, 11);
	tm_add_str(&c->m, "user.gone");
	px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_string_equal(px.name, "user.gone");
	assert_int_equal(px.nodeid, 11);

	px.ret = -ENODATA;
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -ENODATA);
	px_end(c);
}

static const struct fuse_session_opts *px_lock_opts(bool posix, bool flock,
						    unsigned int waiters)
{
	static struct fuse_session_opts o;

	o = *t_default_opts();
	o.posix_lock = posix;
	o.flock = flock;
	o.lock_waiters_max = waiters;
	return &o;
}

static void lk_msg(struct px_ctx *c, uint32_t opcode, uint32_t type,
		   uint64_t start, uint64_t end, uint32_t lk_flags)
{
	struct fuse_lk_in in = {
		.fh = 21,
		.owner = 0xabcdef,
		.lk = { .start = start, .end = end, .type = type, .pid = 77 },
		.lk_flags = lk_flags,
	};

	tm_start(&c->m, opcode, 5);
	tm_add(&c->m, &in, sizeof(in));
}

static void test_getlk(void **state)
{
	struct px_ctx *c = px_start(px_lock_opts(true, false, 0), 0xffffffffu);
	struct fuse_lk_out out;

	(void)state;
	px.lk_out = (struct vfs_lock){ .start = 3, .end = INT64_MAX,
				       .type = F_RDLCK, .pid = 9 };
	lk_msg(c, FUSE_GETLK, F_WRLCK, 0, 10, 0);
	assert_int_equal(px_call(c, 4096), sizeof(c->oh) + sizeof(out));
	assert_int_equal(c->oh.error, 0);
	memcpy(&out, c->body, sizeof(out));
	assert_int_equal(out.lk.type, F_RDLCK);
	assert_int_equal(out.lk.start, 3);
	assert_int_equal(out.lk.end, INT64_MAX);
	assert_int_equal(out.lk.pid, 9);
	assert_string_equal(px.op, "getlk");
	assert_int_equal(px.fh, 21);
	assert_int_equal(px.owner, 0xabcdef);
	assert_int_equal(px.nodeid, 5);
	assert_int_equal(px.lk.start, 0);
	assert_int_equal(px.lk.end, 10);
	assert_int_equal(px.lk.type, F_WRLCK);

	/* No conflict: F_UNLCK and nothing else. */
	px.lk_out = (struct vfs_lock){ .start = 1, .end = 2, .type = F_UNLCK };
	lk_msg(c, FUSE_GETLK, F_WRLCK, 0, 10, 0);
	px_call(c, 4096);
	memcpy(&out, c->body, sizeof(out));
	assert_int_equal(out.lk.type, F_UNLCK);
	assert_int_equal(out.lk.start, 0);

	px.ret = -EBADF;
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -EBADF);
	px.ret = 0;

	/* flock has no GETLK; a short body is refused before any call. */
	px.calls = 0;
	lk_msg(c, FUSE_GETLK, F_WRLCK, 0, 10, FUSE_LK_FLOCK);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -ENOSYS);
	tm_start(&c->m, FUSE_GETLK, 5);
	tm_add(&c->m, "short", 5);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -EINVAL);
	assert_int_equal(px.calls, 0);
	px_end(c);
}

static void test_setlk_and_wait_slots(void **state)
{
	struct px_ctx *c = px_start(px_lock_opts(true, true, 1), 0xffffffffu);

	(void)state;
	lk_msg(c, FUSE_SETLK, F_WRLCK, 4, 8, 0);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_string_equal(px.op, "setlk");
	assert_false(px.wait);
	assert_int_equal(px.lk.start, 4);
	assert_int_equal(px.lk.end, 8);
	assert_int_equal(px.owner, 0xabcdef);

	/* One waiter slot: SETLKW may wait. */
	lk_msg(c, FUSE_SETLKW, F_RDLCK, 0, INT64_MAX, 0);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_true(px.wait);
	assert_int_equal(px.lk.type, F_RDLCK);

	/* flock through the same opcodes. */
	lk_msg(c, FUSE_SETLKW, F_WRLCK, 0, 0, FUSE_LK_FLOCK);
	px_call(c, 4096);
	assert_string_equal(px.op, "flock");
	assert_true(px.wait);
	assert_int_equal(px.fh, 21);
	lk_msg(c, FUSE_SETLK, F_UNLCK, 0, 0, FUSE_LK_FLOCK);
	px.ret = -EAGAIN;
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -EAGAIN);
	assert_false(px.wait);
	px_end(c);

	/* No slot (requests served in the queue threads): never waits. */
	c = px_start(px_lock_opts(true, true, 0), 0xffffffffu);
	lk_msg(c, FUSE_SETLKW, F_WRLCK, 0, 1, 0);
	px_call(c, 4096);
	assert_string_equal(px.op, "setlk");
	assert_false(px.wait);
	px_end(c);
}

/* Each family is served only when its option is on. */
static void test_lock_options(void **state)
{
	struct px_ctx *c = px_start(px_lock_opts(false, true, 4), 0xffffffffu);

	(void)state;
	lk_msg(c, FUSE_SETLK, F_WRLCK, 0, 1, 0);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -ENOSYS);
	lk_msg(c, FUSE_GETLK, F_WRLCK, 0, 1, 0);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -ENOSYS);
	assert_int_equal(px.calls, 0);
	lk_msg(c, FUSE_SETLK, F_WRLCK, 0, 1, FUSE_LK_FLOCK);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(px.calls, 1);
	px_end(c);

	c = px_start(px_lock_opts(true, false, 4), 0xffffffffu);
	lk_msg(c, FUSE_SETLKW, F_WRLCK, 0, 1, FUSE_LK_FLOCK);
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -ENOSYS);
	assert_int_equal(px.calls, 0);
	px_end(c);
}

static void test_copy_file_range(void **state)
{
	struct px_ctx *c = px_start(t_default_opts(), 0xffffffffu);
	struct fuse_copy_file_range_in in = {
		.fh_in = 1, .off_in = 100, .nodeid_out = 8, .fh_out = 2,
		.off_out = 200, .len = 1000, .flags = 0,
	};
	struct fuse_write_out wo;

	(void)state;
	tm_start(&c->m, FUSE_COPY_FILE_RANGE, 6);
	tm_add(&c->m, &in, sizeof(in));
	assert_int_equal(px_call(c, 4096), sizeof(c->oh) + sizeof(wo));
	memcpy(&wo, c->body, sizeof(wo));
	assert_int_equal(wo.size, 500);
	assert_int_equal(px.nodeid, 6);
	assert_int_equal(px.fh, 1);
	assert_int_equal(px.lk.start, 100);
	assert_int_equal(px.owner, 8);
	assert_int_equal(px.lk.pid, 2);
	assert_int_equal(px.lk.end, 200);
	assert_int_equal(px.size, 1000);

	/* A copy longer than a WRITE may be is cut down to max_write. */
	in.len = UINT64_MAX;
	tm_start(&c->m, FUSE_COPY_FILE_RANGE, 6);
	tm_add(&c->m, &in, sizeof(in));
	px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_int_equal(px.size, 1u << 20);
	in.len = (1u << 20) + 1;
	tm_start(&c->m, FUSE_COPY_FILE_RANGE, 6);
	tm_add(&c->m, &in, sizeof(in));
	px_call(c, 4096);
	assert_int_equal(px.size, 1u << 20);

	/* Flags and offsets the host cannot take. */
	px.calls = 0;
	in.len = 10;
	in.flags = 1;
	tm_start(&c->m, FUSE_COPY_FILE_RANGE, 6);
	tm_add(&c->m, &in, sizeof(in));
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -EINVAL);
	in.flags = 0;
	in.off_out = (uint64_t)INT64_MAX + 1;
	tm_start(&c->m, FUSE_COPY_FILE_RANGE, 6);
	tm_add(&c->m, &in, sizeof(in));
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -EINVAL);
	assert_int_equal(px.calls, 0);

	px.ret = -EXDEV;
	in.off_out = 0;
	tm_start(&c->m, FUSE_COPY_FILE_RANGE, 6);
	tm_add(&c->m, &in, sizeof(in));
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -EXDEV);
	px_end(c);
}

static void test_syncfs_ioctl_poll(void **state)
{
	struct px_ctx *c = px_start(t_default_opts(), 0xffffffffu);
	struct fuse_syncfs_in si = { 0 };
	struct fuse_ioctl_in ii = { .fh = 1, .cmd = 0x80086601 };
	struct fuse_poll_in pi = { .fh = 1 };

	(void)state;
	tm_start(&c->m, FUSE_SYNCFS, 1);
	tm_add(&c->m, &si, sizeof(si));
	px_call(c, 4096);
	assert_int_equal(c->oh.error, 0);
	assert_string_equal(px.op, "syncfs");
	assert_int_equal(px.nodeid, 1);

	px.calls = 0;
	tm_start(&c->m, FUSE_IOCTL, 3);
	tm_add(&c->m, &ii, sizeof(ii));
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -ENOTTY);
	/* The kernel takes ENOSYS as "no poll" and reports always ready. */
	tm_start(&c->m, FUSE_POLL, 3);
	tm_add(&c->m, &pi, sizeof(pi));
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -ENOSYS);
	assert_int_equal(px.calls, 0);
	px_end(c);
}

static void test_tmpfile(void **state)
{
	struct px_ctx *c = px_start(t_default_opts(), 0xffffffffu);
	struct fuse_create_in in = { .flags = O_RDWR | O_DIRECT,
				     .mode = S_IFREG | 0640, .umask = 022 };
	struct fuse_entry_out eo;
	struct fuse_open_out oo;

	(void)state;
	tm_start(&c->m, FUSE_TMPFILE, 4);
	tm_add(&c->m, &in, sizeof(in));
	tm_add_str(&c->m, "#123");
	assert_int_equal(px_call(c, 4096),
			 sizeof(c->oh) + sizeof(eo) + sizeof(oo));
	memcpy(&eo, c->body, sizeof(eo));
	memcpy(&oo, c->body + sizeof(eo), sizeof(oo));
	assert_int_equal(eo.nodeid, 42);
	assert_int_equal(oo.fh, 43);
	assert_int_equal(px.nodeid, 4);
	assert_int_equal(px.size, S_IFREG | 0640);
	assert_int_equal(px.owner, 022);
	/* O_DIRECT only with allow_direct_io. */
	assert_int_equal(px.flags, O_RDWR);

	px.ret = -EOPNOTSUPP;
	tm_start(&c->m, FUSE_TMPFILE, 4);
	tm_add(&c->m, &in, sizeof(in));
	px_call(c, 4096);
	assert_int_equal(c->oh.error, -EOPNOTSUPP);
	px_end(c);
}

struct lk_thread {
	struct fuse_session *s;
	struct tmsg m;
	uint8_t out[256];
	size_t n;
};

static void *run_lk(void *arg)
{
	struct lk_thread *t = arg;

	t->n = t_run(t->s, t->m.buf, t->m.len, t->out, sizeof(t->out));
	return NULL;
}

/* INTERRUPT of a waiting SETLKW: it gives up and answers EINTR. */
static void test_setlkw_interrupt(void **state)
{
	struct px_ctx *c = px_start(px_lock_opts(true, false, 2), 0xffffffffu);
	struct lk_thread *t = calloc(1, sizeof(*t));
	struct fuse_interrupt_in ii = { 0 };
	struct fuse_lk_in in = { .fh = 1, .owner = 2,
				 .lk = { .type = F_WRLCK, .end = 9 } };
	struct fuse_out_header oh;
	pthread_t th;

	(void)state;
	assert_non_null(t);
	t->s = c->s;
	tm_start(&t->m, FUSE_SETLKW, 5);
	tm_add(&t->m, &in, sizeof(in));
	tm_finish(&t->m);
	px.block = true;
	atomic_init(&px.waiting, false);
	assert_int_equal(pthread_create(&th, NULL, run_lk, t), 0);
	while (!atomic_load(&px.waiting))
		usleep(1000);

	/* Someone else's unique first: nothing happens. */
	ii.unique = tm_hdr(&t->m)->unique + 2;
	tm_start(&c->m, FUSE_INTERRUPT, 0);
	tm_add(&c->m, &ii, sizeof(ii));
	assert_int_equal(px_call(c, 4096), 0);
	usleep(20 * 1000);
	assert_int_equal(t->n, 0);

	ii.unique = tm_hdr(&t->m)->unique;
	tm_start(&c->m, FUSE_INTERRUPT, 0);
	tm_add(&c->m, &ii, sizeof(ii));
	assert_int_equal(px_call(c, 4096), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(t->n, sizeof(oh));
	memcpy(&oh, t->out, sizeof(oh));
	assert_int_equal(oh.error, -EINTR);
	assert_true(px.wait);
	/* The slot and the waiter entry are gone again. */
	assert_int_equal(atomic_load(&c->s->lock_waiters), 0);
	px.block = false;
	free(t);
	px_end(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_flags),
		cmocka_unit_test(test_xattr_off),
		cmocka_unit_test(test_setxattr),
		cmocka_unit_test(test_setxattr_compat),
		cmocka_unit_test(test_getxattr),
		cmocka_unit_test(test_listxattr_removexattr),
		cmocka_unit_test(test_getlk),
		cmocka_unit_test(test_setlk_and_wait_slots),
		cmocka_unit_test(test_lock_options),
		cmocka_unit_test(test_copy_file_range),
		cmocka_unit_test(test_syncfs_ioctl_poll),
		cmocka_unit_test(test_tmpfile),
		cmocka_unit_test(test_setlkw_interrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
