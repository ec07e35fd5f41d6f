/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Attribute operations, plus the small ones with no home of their own.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "fuse/ops.h"
#include "fuse/reply.h"
#include "util/log.h"

void op_getattr(struct fuse_call *c)
{
	struct fuse_getattr_in in;
	struct stat st;
	int err;

	if (!ops_has(c, c->s->ops->getattr))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = c->s->ops->getattr(c->s->fs, &c->ctx, c->hdr.nodeid,
					 (in.getattr_flags & FUSE_GETATTR_FH) ?
						 &in.fh : NULL,
					 &st);
	if (err)
		reply_err(c, err);
	else
		reply_attr(c, &st);
}

/* FATTR_* to VFS_SET_*; flags we do not act on (LOCKOWNER) are dropped. */
static void ops_setattr_decode(const struct fuse_setattr_in *in,
			       struct vfs_setattr *out)
{
	static const struct {
		uint32_t fattr;
		uint32_t vfs;
	} map[] = {
		{ FATTR_MODE, VFS_SET_MODE },
		{ FATTR_UID, VFS_SET_UID },
		{ FATTR_GID, VFS_SET_GID },
		{ FATTR_SIZE, VFS_SET_SIZE },
		{ FATTR_ATIME, VFS_SET_ATIME },
		{ FATTR_MTIME, VFS_SET_MTIME },
		{ FATTR_ATIME_NOW, VFS_SET_ATIME_NOW },
		{ FATTR_MTIME_NOW, VFS_SET_MTIME_NOW },
		{ FATTR_CTIME, VFS_SET_CTIME },
		{ FATTR_KILL_SUIDGID, VFS_SET_KILL_SUIDGID },
	};

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (in->valid & map[i].fattr)
			out->valid |= map[i].vfs;
	out->mode = in->mode;
	out->uid = in->uid;
	out->gid = in->gid;
	out->size = in->size;
	out->atime.tv_sec = (time_t)in->atime;
	out->atime.tv_nsec = in->atimensec;
	out->mtime.tv_sec = (time_t)in->mtime;
	out->mtime.tv_nsec = in->mtimensec;
	out->ctime.tv_sec = (time_t)in->ctime;
	out->ctime.tv_nsec = in->ctimensec;
}

static bool ops_nsec_ok(uint32_t nsec)
{
	return nsec < 1000000000u;
}

/* A chown names guest ids: the host file gets what they stand for. */
static int ops_setattr_owner(const struct fuse_call *c, struct vfs_setattr *sa)
{
	int err = 0;

	if (sa->valid & VFS_SET_UID)
		err = idmap_to_host(c->s->opts.uid_map, sa->uid, &sa->uid);
	if (!err && (sa->valid & VFS_SET_GID))
		err = idmap_to_host(c->s->opts.gid_map, sa->gid, &sa->gid);
	return err;
}

void op_setattr(struct fuse_call *c)
{
	struct fuse_setattr_in in;
	struct vfs_setattr sa;
	struct stat st;
	int err;

	if (!ops_has(c, c->s->ops->setattr))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (err) {
		reply_err(c, err);
		return;
	}
	/* Out-of-range nanoseconds would reach utimensat() as UTIME_* codes. */
	if (((in.valid & FATTR_ATIME) && !ops_nsec_ok(in.atimensec)) ||
	    ((in.valid & FATTR_MTIME) && !ops_nsec_ok(in.mtimensec)) ||
	    ((in.valid & FATTR_CTIME) && !ops_nsec_ok(in.ctimensec))) {
		reply_err(c, -EINVAL);
		return;
	}
	ops_setattr_decode(&in, &sa);
	err = ops_setattr_owner(c, &sa);
	if (err) {
		reply_err(c, err);
		return;
	}
	err = c->s->ops->setattr(c->s->fs, &c->ctx, c->hdr.nodeid,
				 (in.valid & FATTR_FH) ? &in.fh : NULL, &sa,
				 &st);
	if (err)
		reply_err(c, err);
	else
		reply_attr(c, &st);
}

void op_readlink(struct fuse_call *c)
{
	char buf[PATH_MAX];
	size_t len = 0;
	int err;

	if (!ops_has(c, c->s->ops->readlink))
		return;
	err = c->s->ops->readlink(c->s->fs, &c->ctx, c->hdr.nodeid, buf,
				  sizeof(buf), &len);
	if (!err && len > sizeof(buf))
		err = -EIO;
	if (err)
		reply_err(c, err);
	else
		reply_data(c, buf, len);
}

void op_access(struct fuse_call *c)
{
	struct fuse_access_in in;
	int err;

	if (!ops_has(c, c->s->ops->access))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = c->s->ops->access(c->s->fs, &c->ctx, c->hdr.nodeid,
					in.mask);
	reply_err(c, err);
}

void op_statfs(struct fuse_call *c)
{
	struct statvfs st;
	int err;

	if (!ops_has(c, c->s->ops->statfs))
		return;
	err = c->s->ops->statfs(c->s->fs, &c->ctx, c->hdr.nodeid, &st);
	if (err)
		reply_err(c, err);
	else
		reply_statfs(c, &st);
}

void op_interrupt(struct fuse_call *c)
{
	struct fuse_interrupt_in in;

	/*
	 * Requests run to completion on their thread; only a lock wait can
	 * last, and that one gives up (EINTR). Any other request just
	 * finishes: the kernel gets its reply as usual.
	 */
	if (!fr_read_obj(&c->r, &in, sizeof(in))) {
		log_debug("INTERRUPT of unique %llu",
			  (unsigned long long)in.unique);
		ops_lock_interrupt(c->s, in.unique);
	}
}
