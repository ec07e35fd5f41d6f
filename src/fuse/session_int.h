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
	 * What INIT agreed, packed into one word (session_agreed_pack()):
	 * every request loads it once, without a lock, into fuse_call.conn,
	 * so a request sees one whole connection, never half of one, and no
	 * request waits for INIT or DESTROY or makes them wait. 0 when there
	 * is no connection (before INIT, during INIT/DESTROY, after DESTROY).
	 * Written only with reset_lock held.
	 */
	_Atomic uint64_t agreed;
	/* Set when the kernel refused a backing file: no more attempts. */
	atomic_bool passthrough_off;
	/*
	 * Serialises INIT and DESTROY with each other, and nothing else:
	 * requests in flight never take it, so one that waits (a SETLKW, a
	 * stuck system call) cannot hold a re-INIT, nor the requests queued
	 * after it. Taken before any lock in fs/ (init()/destroy() run under
	 * it); nothing in this layer is taken while it is held.
	 */
	pthread_mutex_t reset_lock;
	/*
	 * The kernel's INIT of the connection and the flags agreed on it,
	 * for a migration to carry (fuse/session_state.c). Protected by
	 * reset_lock.
	 */
	struct fuse_init_in init_in;
	uint64_t agreed_flags;

	/* Read by the transport without a lock. */
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

/** The agreed connection as a request sees it (fuse_session.agreed). */
struct fuse_agreed {
	uint32_t max_write;	/* 0: no connection */
	bool security_ctx;	/* CREATE, MKDIR, MKNOD, SYMLINK carry contexts */
	bool setxattr_ext;	/* 7.33 fuse_setxattr_in */
	bool submounts;		/* FUSE_ATTR_SUBMOUNT agreed */
	bool passthrough;	/* FUSE_PASSTHROUGH agreed */
};

static inline uint64_t session_agreed_pack(const struct fuse_agreed *a)
{
	return (uint64_t)a->max_write | (uint64_t)a->security_ctx << 32 |
	       (uint64_t)a->setxattr_ext << 33 | (uint64_t)a->submounts << 34 |
	       (uint64_t)a->passthrough << 35;
}

static inline void session_agreed_unpack(uint64_t w, struct fuse_agreed *a)
{
	a->max_write = (uint32_t)w;
	a->security_ctx = (w >> 32) & 1;
	a->setxattr_ext = (w >> 33) & 1;
	a->submounts = (w >> 34) & 1;
	a->passthrough = (w >> 35) & 1;
}

/**
 * What the session's options agree to for the kernel's INIT in: the
 * reply, what the filesystem and requests see, and all agreed flags.
 */
uint64_t session_negotiate(const struct fuse_session *s,
			   const struct fuse_init_in *in,
			   struct fuse_init_out *out, struct vfs_conn *conn,
			   struct fuse_agreed *ag);

/** One request in flight: lives on the processing thread's stack. */
struct fuse_call {
	struct fuse_session *s;
	struct fuse_req *req;
	struct fuse_in_header hdr;	/* copied out and validated */
	struct fuse_agreed conn;	/* loaded once, before the op ran */
	struct vfs_ctx ctx;
	struct fuse_reader r;		/* the body: after hdr, up to hdr.len */

	/* Reply state, owned by fuse/reply.c. */
	struct fuse_writer w;
	struct fw_mark out_hdr;
	int reply_error;		/* positive errno of the reply sent */
};

#endif
