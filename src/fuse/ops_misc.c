/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * COPY_FILE_RANGE, SYNCFS, TMPFILE and IOCTL.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "fuse/ops.h"
#include "fuse/reply.h"

void op_copy_file_range(struct fuse_call *c)
{
	struct fuse_copy_file_range_in in;
	uint64_t copied = 0;
	int err;

	if (!ops_has(c, c->s->ops->copy_file_range))
		return;
	if (fr_read_obj(&c->r, &in, sizeof(in))) {
		reply_err(c, -EINVAL);
		return;
	}
	if (in.flags || in.off_in > INT64_MAX || in.off_out > INT64_MAX) {
		reply_err(c, -EINVAL);
		return;
	}
	/*
	 * One request moves no more than one WRITE may: a copy of a whole
	 * file would otherwise hold its worker (and the reserve's charge)
	 * for as long as the host takes to copy it. A short count is an
	 * answer copy_file_range(2) may give; the guest asks again for the
	 * rest. It also keeps the count within the 32-bit reply.
	 */
	if (in.len > c->conn.max_write)
		in.len = c->conn.max_write;
	err = c->s->ops->copy_file_range(c->s->fs, &c->ctx, c->hdr.nodeid,
					 in.fh_in, in.off_in, in.nodeid_out,
					 in.fh_out, in.off_out, in.len,
					 &copied);
	if (!err && copied > in.len)
		err = -EIO;
	if (err)
		reply_err(c, err);
	else
		reply_write(c, (uint32_t)copied);
}

void op_syncfs(struct fuse_call *c)
{
	struct fuse_syncfs_in in;

	if (!ops_has(c, c->s->ops->syncfs))
		return;
	if (fr_read_obj(&c->r, &in, sizeof(in))) {
		reply_err(c, -EINVAL);
		return;
	}
	reply_err(c, c->s->ops->syncfs(c->s->fs, &c->ctx, c->hdr.nodeid));
}

void op_tmpfile(struct fuse_call *c)
{
	const struct vfs_ops *ops = c->s->ops;
	struct secctx sc = { .value = NULL };
	char name[NAME_MAX + 1];
	struct fuse_create_in in;
	struct vfs_secctx vs;
	struct vfs_entry e;
	uint64_t fh;
	int err;

	if (!ops_has(c, c->s->ops->tmpfile))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	/*
	 * The kernel adds a name for the unnamed file; it means nothing, but
	 * a security context may follow it.
	 */
	if (!err && c->conn.security_ctx && fr_remaining(&c->r))
		err = fr_read_str(&c->r, name, sizeof(name));
	if (!err)
		err = ops_begin_secctx(c, &sc, &vs);
	if (!err)
		err = ops->tmpfile(c->s->fs, &c->ctx, c->hdr.nodeid, in.mode,
				   ops_guest_open_flags(c->s, in.flags),
				   in.umask, &e, &fh);
	ops_end_secctx(c, &sc);
	if (err) {
		reply_err(c, err);
		return;
	}
	if (reply_create(c, &e, fh, ops_open_flags(c->s, false), 0)) {
		if (ops->release)
			ops->release(c->s->fs, &c->ctx, e.nodeid, fh);
		if (ops->forget)
			ops->forget(c->s->fs, e.nodeid, 1);
	}
}

void op_ioctl(struct fuse_call *c)
{
	/*
	 * No ioctl is passed to the host: each would be a new way for the
	 * guest to reach the host kernel. The guest's callers see ENOTTY, as
	 * from a filesystem without ioctls.
	 */
	reply_err(c, -ENOTTY);
}
