/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Name-space operations: lookup, forget, and everything that creates or
 * removes a name.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fuse/ops.h"
#include "fuse/reply.h"
#include "util/log.h"

int ops_read_name(struct fuse_call *c, char *buf)
{
	int ret = fr_read_str(&c->r, buf, NAME_MAX + 1);

	if (ret)
		return ret;
	/* A '/' would let the filesystem resolve more than one component. */
	if (!buf[0] || strchr(buf, '/'))
		return -EINVAL;
	return 0;
}

int ops_begin_secctx(struct fuse_call *c, struct secctx *sc,
		     struct vfs_secctx *vs)
{
	int err;

	memset(sc, 0, sizeof(*sc));
	if (!c->conn.security_ctx)
		return 0;
	err = secctx_read(&c->r, sc);
	if (err || !sc->present)
		return err;
	vs->name = sc->name;
	vs->value = sc->value;
	vs->size = sc->size;
	c->ctx.secctx = vs;
	return 0;
}

void ops_end_secctx(struct fuse_call *c, struct secctx *sc)
{
	c->ctx.secctx = NULL;
	secctx_free(sc);
}

bool ops_has(struct fuse_call *c, bool present)
{
	if (!present)
		reply_err(c, -ENOSYS);
	return present;
}

void ops_reply_entry(struct fuse_call *c, const struct vfs_entry *e)
{
	/* The kernel never saw the entry: give its lookup reference back. */
	if (reply_entry(c, e) && c->s->ops->forget)
		c->s->ops->forget(c->s->fs, e->nodeid, 1);
}

/* Replies with the entry or the error. */
static void ops_entry_done(struct fuse_call *c, int err,
			   const struct vfs_entry *e)
{
	if (err)
		reply_err(c, err);
	else
		ops_reply_entry(c, e);
}

void op_lookup(struct fuse_call *c)
{
	char name[NAME_MAX + 1];
	struct vfs_entry e;
	int err;

	if (!ops_has(c, c->s->ops->lookup))
		return;
	err = ops_read_name(c, name);
	if (!err)
		err = c->s->ops->lookup(c->s->fs, &c->ctx, c->hdr.nodeid, name,
					&e);
	ops_entry_done(c, err, &e);
}

void op_forget(struct fuse_call *c)
{
	struct fuse_forget_in in;

	if (fr_read_obj(&c->r, &in, sizeof(in)) || !c->s->ops->forget)
		return;
	c->s->ops->forget(c->s->fs, c->hdr.nodeid, in.nlookup);
}

void op_batch_forget(struct fuse_call *c)
{
	struct fuse_batch_forget_in in;
	struct fuse_forget_one one;
	size_t present;

	if (fr_read_obj(&c->r, &in, sizeof(in)) || !c->s->ops->forget)
		return;
	/* The count is the guest's word; the bytes present are the bound. */
	present = fr_remaining(&c->r) / sizeof(one);
	if (in.count > present)
		log_debug("BATCH_FORGET claims %u entries, carries %zu",
			  in.count, present);
	for (size_t i = 0; i < in.count && i < present; i++) {
		if (fr_read_obj(&c->r, &one, sizeof(one)))
			break;
		c->s->ops->forget(c->s->fs, one.nodeid, one.nlookup);
	}
}

void op_mknod(struct fuse_call *c)
{
	struct vfs_secctx vs;
	struct secctx sc = { .value = NULL };
	struct fuse_mknod_in in;
	char name[NAME_MAX + 1];
	struct vfs_entry e;
	int err;

	if (!ops_has(c, c->s->ops->mknod))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = ops_read_name(c, name);
	if (!err)
		err = ops_begin_secctx(c, &sc, &vs);
	if (!err)
		err = c->s->ops->mknod(c->s->fs, &c->ctx, c->hdr.nodeid, name,
				       in.mode, in.rdev, in.umask, &e);
	ops_end_secctx(c, &sc);
	ops_entry_done(c, err, &e);
}

void op_mkdir(struct fuse_call *c)
{
	struct vfs_secctx vs;
	struct secctx sc = { .value = NULL };
	struct fuse_mkdir_in in;
	char name[NAME_MAX + 1];
	struct vfs_entry e;
	int err;

	if (!ops_has(c, c->s->ops->mkdir))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = ops_read_name(c, name);
	if (!err)
		err = ops_begin_secctx(c, &sc, &vs);
	if (!err)
		err = c->s->ops->mkdir(c->s->fs, &c->ctx, c->hdr.nodeid, name,
				       in.mode, in.umask, &e);
	ops_end_secctx(c, &sc);
	ops_entry_done(c, err, &e);
}

void op_symlink(struct fuse_call *c)
{
	struct vfs_secctx vs;
	struct secctx sc = { .value = NULL };
	char name[NAME_MAX + 1];
	char target[PATH_MAX];
	struct vfs_entry e;
	int err;

	if (!ops_has(c, c->s->ops->symlink))
		return;
	err = ops_read_name(c, name);
	if (!err)
		err = fr_read_str(&c->r, target, sizeof(target));
	if (!err)
		err = ops_begin_secctx(c, &sc, &vs);
	if (!err)
		err = c->s->ops->symlink(c->s->fs, &c->ctx, c->hdr.nodeid,
					 name, target, &e);
	ops_end_secctx(c, &sc);
	ops_entry_done(c, err, &e);
}

void op_link(struct fuse_call *c)
{
	struct fuse_link_in in;
	char name[NAME_MAX + 1];
	struct vfs_entry e;
	int err;

	if (!ops_has(c, c->s->ops->link))
		return;
	err = fr_read_obj(&c->r, &in, sizeof(in));
	if (!err)
		err = ops_read_name(c, name);
	/* The header names the new parent, the body the existing inode. */
	if (!err)
		err = c->s->ops->link(c->s->fs, &c->ctx, in.oldnodeid,
				      c->hdr.nodeid, name, &e);
	ops_entry_done(c, err, &e);
}

void op_unlink(struct fuse_call *c)
{
	char name[NAME_MAX + 1];
	int err;

	if (!ops_has(c, c->s->ops->unlink))
		return;
	err = ops_read_name(c, name);
	if (!err)
		err = c->s->ops->unlink(c->s->fs, &c->ctx, c->hdr.nodeid, name);
	reply_err(c, err);
}

void op_rmdir(struct fuse_call *c)
{
	char name[NAME_MAX + 1];
	int err;

	if (!ops_has(c, c->s->ops->rmdir))
		return;
	err = ops_read_name(c, name);
	if (!err)
		err = c->s->ops->rmdir(c->s->fs, &c->ctx, c->hdr.nodeid, name);
	reply_err(c, err);
}

static void ops_do_rename(struct fuse_call *c, uint64_t newdir,
			  uint32_t flags)
{
	char name[NAME_MAX + 1], newname[NAME_MAX + 1];
	int err = 0;

	if (flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE |
				RENAME_WHITEOUT))
		err = -EINVAL;
	if (!err)
		err = ops_read_name(c, name);
	if (!err)
		err = ops_read_name(c, newname);
	if (!err)
		err = c->s->ops->rename(c->s->fs, &c->ctx, c->hdr.nodeid, name,
					newdir, newname, flags);
	reply_err(c, err);
}

void op_rename(struct fuse_call *c)
{
	struct fuse_rename_in in;

	if (!ops_has(c, c->s->ops->rename))
		return;
	if (fr_read_obj(&c->r, &in, sizeof(in))) {
		reply_err(c, -EINVAL);
		return;
	}
	ops_do_rename(c, in.newdir, 0);
}

void op_rename2(struct fuse_call *c)
{
	struct fuse_rename2_in in;

	if (!ops_has(c, c->s->ops->rename))
		return;
	if (fr_read_obj(&c->r, &in, sizeof(in))) {
		reply_err(c, -EINVAL);
		return;
	}
	ops_do_rename(c, in.newdir, in.flags);
}
