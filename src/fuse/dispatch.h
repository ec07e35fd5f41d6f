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
};

struct fuse_op_desc {
	fuse_op_fn fn;
	size_t min_in;		/* bytes of body the op needs at least */
	const char *name;
	unsigned int flags;	/* FOP_* */
};

/** The table entry for an opcode, NULL if we do not handle it. */
const struct fuse_op_desc *dispatch_lookup(uint32_t opcode);

/** Process one request: the body of fuse_session_process(). */
void dispatch_request(struct fuse_session *s, struct fuse_req *req);

#endif
