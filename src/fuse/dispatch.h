/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Request dispatch: header checks, the connection check and the opcode
 * table.
 */
#ifndef VFSD_FUSE_DISPATCH_H
#define VFSD_FUSE_DISPATCH_H

#include <stddef.h>

#include "fuse/session_int.h"

typedef void (*fuse_op_fn)(struct fuse_call *c);

enum {
	FOP_NOREPLY = 1u << 0,	/* the kernel expects no reply */
	FOP_HIPRIO = 1u << 1,	/* allowed on the hiprio queue */
	FOP_PREINIT = 1u << 2,	/* allowed before INIT */
	FOP_NEWFILE = 1u << 3,	/* makes a file owned by the caller */
	FOP_MAYBLOCK = 1u << 4,	/* can take long: a worker runs it */
	FOP_BIGIO = 1u << 5,	/* READ/WRITE: FOP_MAYBLOCK when large */
	FOP_NOCALLER = 1u << 6,	/* acts for no one: no vfs_ops.begin() */
};

struct fuse_op_desc {
	fuse_op_fn fn;
	size_t min_in;		/* bytes of body the op needs at least */
	const char *name;
	unsigned int flags;	/* FOP_* */
};

/** The table entry for an opcode, NULL if we do not handle it. */
const struct fuse_op_desc *dispatch_lookup(uint32_t opcode);

/**
 * Whether req may take long (fsync, a lock wait, a big directory listing,
 * large I/O): the transport gives it to a worker rather than make quick
 * requests wait behind it. Reads only what it needs; never fails.
 */
bool dispatch_may_block(const struct fuse_req *req);

/** Process one request: the body of fuse_session_process(). */
void dispatch_request(struct fuse_session *s, struct fuse_req *req);

#endif
