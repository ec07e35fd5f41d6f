/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Directory handle operations. Entries are packed straight into the reply
 * buffers by fuse/reply.c as the filesystem produces them.
 */
#include <errno.h>
#include <string.h>

#include "fuse/ops.h"
#include "fuse/reply.h"

void op_opendir(struct fuse_call *c)
{
	const struct vfs_ops *ops = c->s->ops;
	struct fuse_open_in in;
	uint64_t fh;
	int err;

	if (!ops_has(c, c->s->ops->opendir))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = ops->opendir(c->s->fs, &c->ctx, c->hdr.nodeid, in.flags,
				   &fh);
	if (err) {
		reply_err(c, err);
		return;
	}
	if (reply_open(c, fh, ops_open_flags(c->s, true), 0) && ops->releasedir)
		ops->releasedir(c->s->fs, &c->ctx, c->hdr.nodeid, fh);
}

static void ops_do_readdir(struct fuse_call *c, bool plus)
{
	struct fuse_read_in in;
	struct reply_dir d;
	int err;

	if (!ops_has(c, c->s->ops->readdir))
		return;
	if (fr_read_obj(&c->r, &in, sizeof(in))) {
		reply_err(c, -EINVAL);
		return;
	}
	if (reply_dir_begin(c, &d, in.size, plus))
		return;
	err = c->s->ops->readdir(c->s->fs, &c->ctx, c->hdr.nodeid, in.fh,
				 in.offset, plus, reply_dir_fill, &d);
	reply_dir_end(&d, err);
}

void op_readdir(struct fuse_call *c)
{
	ops_do_readdir(c, false);
}

void op_readdirplus(struct fuse_call *c)
{
	ops_do_readdir(c, true);
}

void op_releasedir(struct fuse_call *c)
{
	struct fuse_release_in in;
	int err;

	if (!ops_has(c, c->s->ops->releasedir))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = c->s->ops->releasedir(c->s->fs, &c->ctx, c->hdr.nodeid,
					    in.fh);
	reply_err(c, err);
}

void op_fsyncdir(struct fuse_call *c)
{
	struct fuse_fsync_in in;
	int err;

	if (!ops_has(c, c->s->ops->fsyncdir))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = c->s->ops->fsyncdir(c->s->fs, &c->ctx, c->hdr.nodeid,
					  in.fh,
					  in.fsync_flags & FUSE_FSYNC_FDATASYNC);
	reply_err(c, err);
}
