/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session state and the per-request call context, shared by the files of
 * the FUSE layer only (transports see session.h and req.h).
 */
#ifndef VFSD_FUSE_SESSION_INT_H
#define VFSD_FUSE_SESSION_INT_H

#include <linux/fuse.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "fs/vfs_ops.h"
#include "fuse/reader.h"
#include "fuse/req.h"
#include "fuse/session.h"
#include "fuse/writer.h"

/* Oldest protocol we speak: every request and reply struct is full size. */
#define FUSE_SESSION_MIN_MINOR 12

struct fuse_session {
	/* Set by fuse_session_new() and never changed: no lock. */
	const struct vfs_ops *ops;
	void *fs;
	struct fuse_session_opts opts;
	uint64_t entry_valid;	/* seconds, from opts.cache */
	uint32_t page_size;

	/*
	 * The INIT gate. INIT and DESTROY hold it for writing, every other
	 * request for reading: no request runs against a half-negotiated
	 * connection, and the filesystem's init()/destroy() never run under
	 * one of its operations. Taken before anything in fs/; nothing in
	 * this layer takes another lock while holding it. Writers are
	 * preferred so a stream of requests cannot starve a guest's re-INIT.
	 */
	pthread_rwlock_t gate;
	bool initialized;	/* protected by gate */
	uint32_t minor;		/* protected by gate: agreed minor version */
	uint32_t max_write;	/* protected by gate: agreed max_write */
	struct vfs_conn conn;	/* protected by gate */
	bool setxattr_ext;	/* protected by gate: 7.33 fuse_setxattr_in */
	bool submounts;		/* protected by gate: FUSE_ATTR_SUBMOUNT agreed */
	/* protected by gate: CREATE, MKDIR, MKNOD, SYMLINK carry contexts */
	bool security_ctx;

	/* Read by the transport without the gate. */
	atomic_bool destroyed;

	/* Requests blocked in a lock wait (fuse/ops_lock.c); no lock. */
	atomic_uint lock_waiters;
	/*
	 * The waiting ones, for INTERRUPT to find by unique. waiters_lock is
	 * a leaf: nothing else is taken while it is held.
	 */
	pthread_mutex_t waiters_lock;
	struct fuse_waiter *waiters;	/* protected by waiters_lock */

	struct fuse_stats *stats;	/* NULL: not recorded; atomics inside */
};

/** A request waiting for a lock; lives on its thread's stack. */
struct fuse_waiter {
	uint64_t unique;
	atomic_bool interrupted;
	struct fuse_waiter *next;	/* protected by waiters_lock */
};

/** One request in flight: lives on the processing thread's stack. */
struct fuse_call {
	struct fuse_session *s;
	struct fuse_req *req;
	struct fuse_in_header hdr;	/* copied out and validated */
	struct vfs_ctx ctx;
	struct fuse_reader r;		/* the body: after hdr, up to hdr.len */

	/* Reply state, owned by fuse/reply.c. */
	struct fuse_writer w;
	struct fw_mark out_hdr;
	int reply_error;		/* positive errno of the reply sent */
};

#endif
