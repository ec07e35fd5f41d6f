/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File operations. READ and WRITE payloads are never copied: the filesystem
 * gets iovecs pointing at the request's own buffers.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "fuse/fuse_kernel_ext.h"
#include "fuse/ops.h"
#include "fuse/reply.h"
#include "util/log.h"

/* preadv()/pwritev() take no more than this many pieces. */
#define OPS_MAX_IOV UIO_MAXIOV

/* The guest's open(2) flags, with its FUSE_OPEN_KILL_SUIDGID request. */
static uint32_t ops_vfs_open_flags(struct fuse_call *c, uint32_t flags,
				   uint32_t open_flags)
{
	flags = ops_guest_open_flags(c->s, flags) & ~VFS_OPEN_KILL_SUIDGID;
	if (open_flags & FUSE_OPEN_KILL_SUIDGID)
		flags |= VFS_OPEN_KILL_SUIDGID;
	return flags;
}

/*
 * With FUSE_PASSTHROUGH agreed and page caching on: the kernel gets the
 * opened file itself and reads and writes it without a request. Returns
 * the open flags to answer with; *id the backing id, 0 for none.
 */
static uint32_t ops_passthrough(struct fuse_call *c, uint64_t nodeid,
				uint64_t fh, int32_t *id)
{
	struct fuse_session *s = c->s;
	uint32_t flags = ops_open_flags(s, false);
	int err;

	*id = 0;
	if (!c->conn.passthrough || !s->ops->passthrough ||
	    (flags & FOPEN_DIRECT_IO) ||
	    atomic_load_explicit(&s->passthrough_off, memory_order_relaxed))
		return flags;
	err = s->ops->passthrough(s->fs, nodeid, fh, s->opts.backing_open,
				  s->opts.backing_close, s->opts.backing_arg,
				  id);
	if (err == -EPERM && !atomic_exchange(&s->passthrough_off, true))
		log_warn("FUSE passthrough off: the kernel refused a backing "
			 "file (no CAP_SYS_ADMIN; --modcaps=+sys_admin keeps it)");
	/* The kernel refuses the page-cache flags beside passthrough. */
	return err ? flags :
		     (flags & ~(uint32_t)(FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR)) |
			     FOPEN_PASSTHROUGH;
}

void op_open(struct fuse_call *c)
{
	const struct vfs_ops *ops = c->s->ops;
	struct fuse_open_in in;
	uint32_t flags;
	int32_t id;
	uint64_t fh;
	int err;

	if (!ops_has(c, c->s->ops->open))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = ops->open(c->s->fs, &c->ctx, c->hdr.nodeid,
				ops_vfs_open_flags(c, in.flags, in.open_flags),
				&fh);
	if (err) {
		reply_err(c, err);
		return;
	}
	flags = ops_passthrough(c, c->hdr.nodeid, fh, &id);
	/* The kernel never saw the handle: nobody else will release it. */
	if (reply_open(c, fh, flags, id) && ops->release)
		ops->release(c->s->fs, &c->ctx, c->hdr.nodeid, fh);
}

void op_create(struct fuse_call *c)
{
	const struct vfs_ops *ops = c->s->ops;
	struct fuse_create_in in;
	struct vfs_secctx vs;
	struct secctx sc = { .value = NULL };
	char name[NAME_MAX + 1];
	struct vfs_entry e;
	uint32_t flags;
	int32_t id;
	uint64_t fh;
	int err;

	if (!ops_has(c, c->s->ops->create))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = ops_read_name(c, name);
	if (!err)
		err = ops_begin_secctx(c, &sc, &vs);
	if (!err)
		err = ops->create(c->s->fs, &c->ctx, c->hdr.nodeid, name,
				  in.mode,
				  ops_vfs_open_flags(c, in.flags, in.open_flags),
				  in.umask, &e, &fh);
	ops_end_secctx(c, &sc);
	if (err) {
		reply_err(c, err);
		return;
	}
	flags = ops_passthrough(c, e.nodeid, fh, &id);
	if (reply_create(c, &e, fh, flags, id)) {
		if (ops->release)
			ops->release(c->s->fs, &c->ctx, e.nodeid, fh);
		if (ops->forget)
			ops->forget(c->s->fs, e.nodeid, 1);
	}
}

void op_read(struct fuse_call *c)
{
	struct iovec iov[OPS_MAX_IOV];
	struct fuse_read_in in;
	unsigned int cnt = 0;
	size_t size, room = 0, n = 0;
	int err;

	if (!ops_has(c, c->s->ops->read))
		return;
	if (fr_read_obj(&c->r, &in, sizeof(in)) || in.offset > INT64_MAX) {
		reply_err(c, -EINVAL);
		return;
	}
	size = in.size < c->conn.max_write ? in.size : c->conn.max_write;
	if (reply_payload_begin(c, size, iov, OPS_MAX_IOV, &cnt, &room))
		return;
	err = 0;
	if (room)
		err = c->s->ops->read(c->s->fs, &c->ctx, c->hdr.nodeid, in.fh,
				      in.offset, iov, cnt, &n);
	if (!err && n > room)
		err = -EIO;
	reply_payload_end(c, n, err);
}

void op_write(struct fuse_call *c)
{
	struct iovec iov[OPS_MAX_IOV];
	struct fuse_write_in in;
	unsigned int cnt = 0;
	size_t n = 0;
	int err;

	if (!ops_has(c, c->s->ops->write))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	/* The payload must be exactly what the header announces. */
	if (!err && (in.size > c->conn.max_write ||
		     fr_remaining(&c->r) != in.size || in.offset > INT64_MAX))
		err = -EINVAL;
	if (!err)
		err = fr_payload_iov(&c->r, in.size, iov, OPS_MAX_IOV, &cnt);
	if (!err)
		err = c->s->ops->write(c->s->fs, &c->ctx, c->hdr.nodeid, in.fh,
				       in.offset, iov, cnt,
				       in.write_flags & FUSE_WRITE_KILL_SUIDGID,
				       &n);
	if (!err && n > in.size)
		err = -EIO;
	if (err)
		reply_err(c, err);
	else
		reply_write(c, (uint32_t)n);
}

void op_flush(struct fuse_call *c)
{
	struct fuse_flush_in in;
	int err;

	if (!ops_has(c, c->s->ops->flush))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = c->s->ops->flush(c->s->fs, &c->ctx, c->hdr.nodeid, in.fh,
				       in.lock_owner);
	reply_err(c, err);
}

void op_release(struct fuse_call *c)
{
	struct fuse_release_in in;
	int err;

	if (!ops_has(c, c->s->ops->release))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = c->s->ops->release(c->s->fs, &c->ctx, c->hdr.nodeid,
					 in.fh);
	reply_err(c, err);
}

void op_fsync(struct fuse_call *c)
{
	struct fuse_fsync_in in;
	int err;

	if (!ops_has(c, c->s->ops->fsync))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = c->s->ops->fsync(c->s->fs, &c->ctx, c->hdr.nodeid, in.fh,
				       in.fsync_flags & FUSE_FSYNC_FDATASYNC);
	reply_err(c, err);
}

void op_fallocate(struct fuse_call *c)
{
	struct fuse_fallocate_in in;
	int err;

	if (!ops_has(c, c->s->ops->fallocate))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = c->s->ops->fallocate(c->s->fs, &c->ctx, c->hdr.nodeid,
					   in.fh, in.mode, in.offset,
					   in.length);
	reply_err(c, err);
}

void op_lseek(struct fuse_call *c)
{
	struct fuse_lseek_in in;
	uint64_t result = 0;
	int err;

	if (!ops_has(c, c->s->ops->lseek))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = c->s->ops->lseek(c->s->fs, &c->ctx, c->hdr.nodeid, in.fh,
				       in.offset, in.whence, &result);
	if (err)
		reply_err(c, err);
	else
		reply_lseek(c, result);
}
