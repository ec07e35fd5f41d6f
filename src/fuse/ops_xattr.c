/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Extended attributes: SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR.
 *
 * With xattrs switched off every one of them answers ENOSYS, which the
 * guest's kernel remembers and turns into EOPNOTSUPP for its callers.
 */
#include <errno.h>
#include <limits.h>
#include <sys/xattr.h>
#include <stdlib.h>
#include <string.h>

#include "fuse/ops.h"
#include "fuse/reply.h"

/* Guards ahead of ops_has(): the option wins over what the filesystem has. */
static bool ops_xattr_off(struct fuse_call *c)
{
	if (c->s->opts.xattr)
		return false;
	reply_err(c, -ENOSYS);
	return true;
}

/* A name as the VFS allows it: non-empty, at most XATTR_NAME_MAX bytes. */
static int ops_read_xattr_name(struct fuse_call *c, char *buf)
{
	int ret = fr_read_str(&c->r, buf, XATTR_NAME_MAX + 1);

	if (ret == -ENAMETOOLONG)
		return -ERANGE;
	if (ret)
		return ret;
	return buf[0] ? 0 : -ERANGE;
}

void op_setxattr(struct fuse_call *c)
{
	struct fuse_setxattr_in in;
	size_t insize = c->conn.setxattr_ext ? sizeof(in) :
					     FUSE_COMPAT_SETXATTR_IN_SIZE;
	char name[XATTR_NAME_MAX + 1];
	void *value = NULL;
	int err;

	if (ops_xattr_off(c))
		return;
	if (!ops_has(c, c->s->ops->setxattr))
		return;
	memset(&in, 0, sizeof(in));
	err = fr_read_obj(&c->r, &in, insize);
	if (!err)
		err = ops_read_xattr_name(c, name);
	if (!err && in.size > XATTR_SIZE_MAX)
		err = -E2BIG;
	if (!err && (in.flags & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE)))
		err = -EINVAL;
	if (!err) {
		/* One byte more so an empty value is not a NULL buffer. */
		value = malloc((size_t)in.size + 1);
		if (!value)
			err = -ENOMEM;
	}
	if (!err)
		err = fr_read_obj(&c->r, value, in.size);
	/*
	 * The host kernel clears set-group-ID itself when an ACL is set by
	 * a caller, whose ids the filesystem runs the call with, who may not
	 * keep it; the guest's word covers a root without CAP_FSETID.
	 */
	if (!err && (in.setxattr_flags & FUSE_SETXATTR_ACL_KILL_SGID))
		in.flags |= VFS_SETXATTR_KILL_SGID;
	if (!err)
		err = c->s->ops->setxattr(c->s->fs, &c->ctx, c->hdr.nodeid,
					  name, value, in.size, in.flags);
	free(value);
	reply_err(c, err);
}

/* GETXATTR and LISTXATTR answer alike: a size for a probe, else data. */
static void ops_xattr_reply(struct fuse_call *c, uint32_t want, int err,
			    const void *buf, size_t len)
{
	struct fuse_getxattr_out out;

	if (err) {
		reply_err(c, err);
	} else if (!want) {
		memset(&out, 0, sizeof(out));
		out.size = (uint32_t)len;
		(void)reply_buf(c, &out, sizeof(out));
	} else {
		reply_data(c, buf, len);
	}
}

/* Room for a value or list the guest asked for, clamped to the VFS limit. */
static int ops_xattr_buf(uint32_t want, size_t limit, char **buf,
			 size_t *size)
{
	*size = want < limit ? want : limit;
	*buf = malloc(*size + 1);
	return *buf ? 0 : -ENOMEM;
}

void op_getxattr(struct fuse_call *c)
{
	struct fuse_getxattr_in in;
	char name[XATTR_NAME_MAX + 1];
	char *buf = NULL;
	size_t size = 0, len = 0;
	int err;

	if (ops_xattr_off(c))
		return;
	if (!ops_has(c, c->s->ops->getxattr))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = ops_read_xattr_name(c, name);
	if (!err)
		err = ops_xattr_buf(in.size, XATTR_SIZE_MAX, &buf, &size);
	if (!err)
		err = c->s->ops->getxattr(c->s->fs, &c->ctx, c->hdr.nodeid,
					  name, buf, size, &len);
	if (!err && (len > UINT32_MAX || (size && len > size)))
		err = -EIO;
	ops_xattr_reply(c, in.size, err, buf, len);
	free(buf);
}

void op_listxattr(struct fuse_call *c)
{
	struct fuse_getxattr_in in;
	char *buf = NULL;
	size_t size = 0, len = 0;
	int err;

	if (ops_xattr_off(c))
		return;
	if (!ops_has(c, c->s->ops->listxattr))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = ops_xattr_buf(in.size, XATTR_LIST_MAX, &buf, &size);
	if (!err)
		err = c->s->ops->listxattr(c->s->fs, &c->ctx, c->hdr.nodeid,
					   buf, size, &len);
	if (!err && (len > UINT32_MAX || (size && len > size)))
		err = -EIO;
	ops_xattr_reply(c, in.size, err, buf, len);
	free(buf);
}

void op_removexattr(struct fuse_call *c)
{
	char name[XATTR_NAME_MAX + 1];
	int err;

	if (ops_xattr_off(c))
		return;
	if (!ops_has(c, c->s->ops->removexattr))
		return;
	err = ops_read_xattr_name(c, name);
	if (!err)
		err = c->s->ops->removexattr(c->s->fs, &c->ctx, c->hdr.nodeid,
					     name);
	reply_err(c, err);
}
