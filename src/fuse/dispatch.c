/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Request dispatch. The header is copied out of the request once, checked
 * against what the transport really handed us, and from then on only the
 * copy is used. The body reader is limited to the header's len, so an op
 * never sees bytes the kernel did not declare.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuse/dispatch.h"
#include "fuse/ops.h"
#include "fuse/reply.h"
#include "fuse/stats.h"
#include "util/compiler.h"
#include "util/log.h"

/* The overflow id of Linux (/proc/sys/kernel/overflowuid). */
#define DISPATCH_NOBODY 65534u

/* The name is the opcode without its "FUSE_" prefix. */
#define OP(code, fn, in, flags) [code] = { fn, in, &#code[5], flags }

/*
 * Opcodes absent here get ENOSYS, which the kernel remembers per
 * connection: BMAP (for block-device filesystems), POLL, and the DAX
 * window's SETUPMAPPING and REMOVEMAPPING. Adding one is one line here
 * plus its decoder; what each op may answer is in fuse/ops.h.
 */
static const struct fuse_op_desc fuse_op_table[] = {
	OP(FUSE_LOOKUP, op_lookup, 0, 0),
	OP(FUSE_FORGET, op_forget, sizeof(struct fuse_forget_in),
	   FOP_NOREPLY | FOP_HIPRIO | FOP_NOCALLER),
	OP(FUSE_GETATTR, op_getattr, sizeof(struct fuse_getattr_in), 0),
	OP(FUSE_SETATTR, op_setattr, sizeof(struct fuse_setattr_in), 0),
	OP(FUSE_READLINK, op_readlink, 0, 0),
	OP(FUSE_SYMLINK, op_symlink, 0, FOP_NEWFILE),
	OP(FUSE_MKNOD, op_mknod, sizeof(struct fuse_mknod_in), FOP_NEWFILE),
	OP(FUSE_MKDIR, op_mkdir, sizeof(struct fuse_mkdir_in), FOP_NEWFILE),
	OP(FUSE_UNLINK, op_unlink, 0, 0),
	OP(FUSE_RMDIR, op_rmdir, 0, 0),
	OP(FUSE_RENAME, op_rename, sizeof(struct fuse_rename_in), 0),
	OP(FUSE_LINK, op_link, sizeof(struct fuse_link_in), 0),
	OP(FUSE_OPEN, op_open, sizeof(struct fuse_open_in), 0),
	OP(FUSE_READ, op_read, sizeof(struct fuse_read_in), FOP_BIGIO),
	OP(FUSE_WRITE, op_write, sizeof(struct fuse_write_in), FOP_BIGIO),
	OP(FUSE_STATFS, op_statfs, 0, 0),
	OP(FUSE_RELEASE, op_release, sizeof(struct fuse_release_in),
	   FOP_NOCALLER),
	OP(FUSE_FSYNC, op_fsync, sizeof(struct fuse_fsync_in), FOP_MAYBLOCK),
	OP(FUSE_FLUSH, op_flush, sizeof(struct fuse_flush_in), FOP_NOCALLER),
	/* major and minor: older kernels send less than the full struct. */
	OP(FUSE_INIT, op_init, 2 * sizeof(uint32_t),
	   FOP_PREINIT | FOP_NOCALLER),
	OP(FUSE_SETXATTR, op_setxattr, FUSE_COMPAT_SETXATTR_IN_SIZE, 0),
	OP(FUSE_GETXATTR, op_getxattr, sizeof(struct fuse_getxattr_in), 0),
	OP(FUSE_LISTXATTR, op_listxattr, sizeof(struct fuse_getxattr_in), 0),
	OP(FUSE_REMOVEXATTR, op_removexattr, 0, 0),
	OP(FUSE_GETLK, op_getlk, sizeof(struct fuse_lk_in), 0),
	OP(FUSE_SETLK, op_setlk, sizeof(struct fuse_lk_in), 0),
	OP(FUSE_SETLKW, op_setlkw, sizeof(struct fuse_lk_in), FOP_MAYBLOCK),
	OP(FUSE_OPENDIR, op_opendir, sizeof(struct fuse_open_in), 0),
	OP(FUSE_READDIR, op_readdir, sizeof(struct fuse_read_in), FOP_MAYBLOCK),
	OP(FUSE_RELEASEDIR, op_releasedir, sizeof(struct fuse_release_in),
	   FOP_NOCALLER),
	OP(FUSE_FSYNCDIR, op_fsyncdir, sizeof(struct fuse_fsync_in),
	   FOP_MAYBLOCK),
	OP(FUSE_ACCESS, op_access, sizeof(struct fuse_access_in), 0),
	OP(FUSE_CREATE, op_create, sizeof(struct fuse_create_in), FOP_NEWFILE),
	OP(FUSE_INTERRUPT, op_interrupt, sizeof(struct fuse_interrupt_in),
	   FOP_NOREPLY | FOP_HIPRIO | FOP_NOCALLER),
	OP(FUSE_DESTROY, op_destroy, 0, FOP_NOCALLER),
	OP(FUSE_BATCH_FORGET, op_batch_forget,
	   sizeof(struct fuse_batch_forget_in),
	   FOP_NOREPLY | FOP_HIPRIO | FOP_NOCALLER),
	OP(FUSE_FALLOCATE, op_fallocate, sizeof(struct fuse_fallocate_in),
	   FOP_MAYBLOCK),
	OP(FUSE_READDIRPLUS, op_readdirplus, sizeof(struct fuse_read_in),
	   FOP_MAYBLOCK),
	OP(FUSE_RENAME2, op_rename2, sizeof(struct fuse_rename2_in), 0),
	OP(FUSE_LSEEK, op_lseek, sizeof(struct fuse_lseek_in), 0),
	OP(FUSE_IOCTL, op_ioctl, 0, 0),
	OP(FUSE_COPY_FILE_RANGE, op_copy_file_range,
	   sizeof(struct fuse_copy_file_range_in), FOP_MAYBLOCK),
	OP(FUSE_SYNCFS, op_syncfs, sizeof(struct fuse_syncfs_in), FOP_MAYBLOCK),
	OP(FUSE_TMPFILE, op_tmpfile, sizeof(struct fuse_create_in), FOP_NEWFILE),
};

const struct fuse_op_desc *dispatch_lookup(uint32_t opcode)
{
	if (opcode >= ARRAY_SIZE(fuse_op_table) || !fuse_op_table[opcode].fn)
		return NULL;
	return &fuse_op_table[opcode];
}

/* Error reply, except for the opcodes the kernel expects none for. */
static void dispatch_fail(struct fuse_call *c, const struct fuse_op_desc *op,
			  int err)
{
	if (op && (op->flags & FOP_NOREPLY))
		return;
	reply_err(c, err);
}

/* Checks the header copy against the request; 0 or the error to reply. */
static int dispatch_check_header(struct fuse_call *c, size_t total)
{
	if (c->hdr.len < sizeof(c->hdr) || c->hdr.len > total) {
		log_debug("unique %llu: header len %u, request holds %zu",
			  (unsigned long long)c->hdr.unique, c->hdr.len,
			  total);
		return -EINVAL;
	}
	fr_init(&c->r, c->req->in, c->req->in_cnt, c->hdr.len);
	/* Already read once: cannot fail. */
	if (fr_skip(&c->r, sizeof(c->hdr)))
		return -EINVAL;
	return 0;
}

/*
 * The one place a request takes its caller's identity: the filesystem
 * switches to it in begin() and no operation does so itself, so none can
 * run with the ids of the request its worker served before.
 */
static void dispatch_as_caller(struct fuse_call *c,
			       const struct fuse_op_desc *op)
{
	const struct vfs_ops *ops = c->s->ops;
	int err = ops->begin ? ops->begin(c->s->fs, &c->ctx) : 0;

	if (err) {
		dispatch_fail(c, op, err);
		return;
	}
	op->fn(c);
	if (ops->end)
		ops->end(c->s->fs);
}

/*
 * Runs op if the connection allows it. No lock is held around the op:
 * the connection was loaded once (c->conn), and INIT and DESTROY serialise
 * only with each other (fuse/session.c), so a request that waits holds
 * nothing another request needs.
 */
static void dispatch_op(struct fuse_call *c, const struct fuse_op_desc *op)
{
	if (!c->conn.max_write && !(op && (op->flags & FOP_PREINIT)))
		dispatch_fail(c, op, -EIO);
	else if (!op)
		reply_err(c, -ENOSYS);
	else if (fr_remaining(&c->r) < op->min_in)
		dispatch_fail(c, op, -EINVAL);
	else if (op->flags & FOP_NOCALLER)
		op->fn(c);
	else
		dispatch_as_caller(c, op);
}

/*
 * The hiprio queue (virtio-fs queue 0) carries FORGET, BATCH_FORGET and
 * INTERRUPT only (virtio spec, "Device Operation: High Priority Queue"):
 * its one thread must never wait on a request that can last, or the
 * FORGETs and INTERRUPTs behind it would wait too.
 */
static bool dispatch_queue_ok(const struct fuse_call *c,
			      const struct fuse_op_desc *op)
{
	if (c->req->queue != 0 || (op && (op->flags & FOP_HIPRIO)))
		return true;
	log_debug("unique %llu: opcode %u on the hiprio queue",
		  (unsigned long long)c->hdr.unique, c->hdr.opcode);
	return false;
}

/*
 * The host identity the request runs as. A forbid-guest id may not own a
 * new file; any other request of that caller runs as nobody, the one
 * identity that gains nothing on the host.
 */
static int dispatch_caller(struct fuse_call *c, const struct fuse_op_desc *op)
{
	int uerr = idmap_to_host(c->s->opts.uid_map, c->hdr.uid, &c->ctx.uid);
	int gerr = idmap_to_host(c->s->opts.gid_map, c->hdr.gid, &c->ctx.gid);

	if (!uerr && !gerr)
		return 0;
	if (op && (op->flags & FOP_NEWFILE))
		return -EPERM;
	if (uerr)
		c->ctx.uid = DISPATCH_NOBODY;
	if (gerr)
		c->ctx.gid = DISPATCH_NOBODY;
	c->ctx.unmapped = true;
	return 0;
}

static void dispatch_one(struct fuse_session *s, struct fuse_req *req,
			 struct fuse_call *c)
{
	const struct fuse_op_desc *op;
	size_t total;
	int err;

	memset(c, 0, sizeof(*c));
	c->s = s;
	c->req = req;
	req->reply_sent = false;
	req->reply_len = 0;

	fr_init(&c->r, req->in, req->in_cnt, SIZE_MAX);
	total = fr_remaining(&c->r);
	if (fr_read_obj(&c->r, &c->hdr, sizeof(c->hdr))) {
		/* No unique to echo: the transport matches by buffer. */
		log_debug("request of %zu bytes has no room for a header",
			  total);
		memset(&c->hdr, 0, sizeof(c->hdr));
		reply_err(c, -EINVAL);
		return;
	}
	op = dispatch_lookup(c->hdr.opcode);
	log_debug("unique %llu %s (%u) nodeid %llu len %u uid %u gid %u pid %u",
		  (unsigned long long)c->hdr.unique, op ? op->name : "UNKNOWN",
		  c->hdr.opcode, (unsigned long long)c->hdr.nodeid, c->hdr.len,
		  c->hdr.uid, c->hdr.gid, c->hdr.pid);

	err = dispatch_check_header(c, total);
	if (err) {
		dispatch_fail(c, op, err);
		return;
	}
	err = dispatch_caller(c, op);
	if (err) {
		dispatch_fail(c, op, err);
		return;
	}
	if (!dispatch_queue_ok(c, op)) {
		dispatch_fail(c, op, -EINVAL);
		return;
	}
	c->ctx.pid = c->hdr.pid;
	c->ctx.cancelled = req->cancelled;
	session_agreed_unpack(atomic_load_explicit(&s->agreed,
						   memory_order_acquire),
			      &c->conn);
	dispatch_op(c, op);
	if (!req->reply_sent && !(op && (op->flags & FOP_NOREPLY))) {
		log_err("%s finished without a reply", op ? op->name : "?");
		reply_err(c, -EIO);
	}
}

/*
 * READ and WRITE up to this size are served where they arrive: a page-cache
 * hit of 64 KiB copies in a few microseconds, less than a hand-off costs.
 */
#define DISPATCH_INLINE_IO_MAX (64u << 10)

/*
 * Copy len bytes at off of the request to dst: straight from the first
 * buffer where it holds them (a virtio driver puts the header and the
 * arguments there), else through a reader. False if the request is shorter.
 */
static bool dispatch_peek(const struct fuse_req *req, size_t off, void *dst,
			  size_t len)
{
	struct fuse_reader r;

	if (req->in_cnt && req->in[0].iov_len >= off + len) {
		memcpy(dst, (const char *)req->in[0].iov_base + off, len);
		return true;
	}
	fr_init(&r, req->in, req->in_cnt, SIZE_MAX);
	return !fr_skip(&r, off) && !fr_read_obj(&r, dst, len);
}

bool dispatch_may_block(const struct fuse_req *req)
{
	struct fuse_in_header hdr;
	struct fuse_read_in io;	/* size sits where fuse_write_in has it */
	const struct fuse_op_desc *op;

	/*
	 * A hint only, for every request a queue thread pops: dispatch_one()
	 * reads and checks everything again where the request runs.
	 */
	if (!dispatch_peek(req, 0, &hdr, sizeof(hdr)))
		return false;
	op = dispatch_lookup(hdr.opcode);
	if (!op)
		return false;
	if (op->flags & FOP_MAYBLOCK)
		return true;
	if (!(op->flags & FOP_BIGIO) ||
	    !dispatch_peek(req, sizeof(hdr), &io, sizeof(io)))
		return false;
	return io.size > DISPATCH_INLINE_IO_MAX;
}

/* File data moved by a request that succeeded, for the metrics. */
static void dispatch_bytes(const struct fuse_call *c, uint64_t *rbytes,
			   uint64_t *wbytes)
{
	size_t hdr = sizeof(struct fuse_out_header);
	size_t win = sizeof(struct fuse_in_header) +
		     sizeof(struct fuse_write_in);

	*rbytes = 0;
	*wbytes = 0;
	if (!c->req->reply_sent || c->reply_error)
		return;
	if (c->hdr.opcode == FUSE_READ && c->req->reply_len > hdr)
		*rbytes = c->req->reply_len - hdr;
	else if (c->hdr.opcode == FUSE_WRITE && c->hdr.len > win)
		*wbytes = c->hdr.len - win;
}

void dispatch_request(struct fuse_session *s, struct fuse_req *req)
{
	struct fuse_call c;
	uint64_t started, rbytes, wbytes;

	if (!s->stats) {
		dispatch_one(s, req, &c);
		return;
	}
	fuse_stats_begin(s->stats);
	started = fuse_stats_now();
	dispatch_one(s, req, &c);
	dispatch_bytes(&c, &rbytes, &wbytes);
	fuse_stats_end(s->stats, c.hdr.opcode,
		       c.req->reply_sent ? c.reply_error : 0, started, rbytes,
		       wbytes);
}
