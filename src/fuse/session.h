/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FUSE session: negotiates INIT with the kernel and dispatches every
 * later request to the filesystem behind struct vfs_ops. Knows nothing of
 * how requests arrive (see fuse/req.h).
 */
#ifndef VFSD_FUSE_SESSION_H
#define VFSD_FUSE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "fs/vfs_ops.h"
#include "fuse/idmap.h"
#include "fuse/req.h"
#include "fuse/stats.h"
#include "util/wire.h"

enum fuse_cache_mode {
	FUSE_CACHE_NEVER,	/* no guest caching: timeouts 0, direct io */
	FUSE_CACHE_AUTO,	/* short timeouts, cache kept while unchanged */
	FUSE_CACHE_ALWAYS,	/* long timeouts, keep cache */
	FUSE_CACHE_METADATA,	/* long timeouts, direct io for file data */
};

struct fuse_session_opts {
	enum fuse_cache_mode cache;
	bool writeback;		/* offer FUSE_WRITEBACK_CACHE */
	bool readdirplus;	/* offer FUSE_DO_READDIRPLUS */
	bool allow_direct_io;	/* honour the guest's O_DIRECT */
	bool allow_mmap;	/* offer FUSE_DIRECT_IO_ALLOW_MMAP */
	bool preserve_noatime;	/* pass O_NOATIME on (else drop it) */
	bool posix_acl;		/* offer FUSE_POSIX_ACL with FUSE_DONT_MASK */
	bool security_ctx;	/* offer FUSE_SECURITY_CTX */
	bool no_killpriv_v2;	/* do not offer FUSE_HANDLE_KILLPRIV_V2 */
	bool xattr;		/* serve the xattr opcodes, else ENOSYS */
	bool posix_lock;	/* offer FUSE_POSIX_LOCKS */
	bool flock;		/* offer FUSE_FLOCK_LOCKS */
	bool submounts;		/* offer FUSE_SUBMOUNTS (--announce-submounts) */
	bool io_uring;		/* offer FUSE_OVER_IO_URING (transport's rings) */
	/*
	 * Offer FUSE_PASSTHROUGH: regular files opened with caching on are
	 * handed to the kernel with backing_open(backing_arg, fd) (the
	 * transport's FUSE_DEV_IOC_BACKING_OPEN), closed again with
	 * backing_close when their handle goes.
	 */
	bool passthrough;
	int32_t (*backing_open)(void *arg, int fd);
	void (*backing_close)(void *arg, int32_t id);
	void *backing_arg;
	/*
	 * How many SETLKW/blocking flock requests may wait for a lock at
	 * once, each blocking the thread that serves it. The transport's
	 * thread count less one, so one thread is always left to serve the
	 * unlock that ends a wait; 0 (requests served in the queue threads)
	 * makes a conflicting SETLKW answer EAGAIN at once.
	 */
	unsigned int lock_waiters_max;
	uint32_t max_write;	/* bytes; the transport's limit */
	uint32_t max_readahead;
	bool stats;		/* record request metrics (fuse/stats.h) */
	/*
	 * --translate-uid/--translate-gid, or NULL: owned by the caller and
	 * unchanged for the session's life.
	 */
	const struct idmap *uid_map;
	const struct idmap *gid_map;
};

struct fuse_session;

/** 0 with the session in *out, or -errno (-ENOMEM). */
int fuse_session_new(struct fuse_session **out, const struct vfs_ops *ops,
		     void *fs, const struct fuse_session_opts *opts);
void fuse_session_free(struct fuse_session *s);

/** The fuse_req_handler the transports call; thread-safe. */
void fuse_session_process(void *session, struct fuse_req *req);

/** For virtio_fs_opts.may_block: whether req may wait long. */
bool fuse_session_may_block(void *session, const struct fuse_req *req);

/** The session's metrics, NULL unless opts.stats was set. */
const struct fuse_stats *fuse_session_stats(const struct fuse_session *s);

/** True once the kernel sent DESTROY (the transport may stop). */
bool fuse_session_destroyed(const struct fuse_session *s);

/*
 * Migration (docs/MIGRATION.md, fuse/session_state.c), while no request
 * runs: the device state, written by the source and taken over by the
 * destination.
 */

/**
 * The whole state into b (state_begin() to state_finish()). 0, or -EBUSY
 * while the guest holds locks, -EMSGSIZE, -ENOMEM.
 */
int fuse_session_state_save(struct fuse_session *s, struct wbuf *b);

/**
 * Take over the state of len bytes at buf: the connection and the
 * filesystem's nodeids and handles. 0, or -errno with the reason logged;
 * then nothing is known and the session has no connection.
 */
int fuse_session_state_load(struct fuse_session *s, const void *buf,
			    size_t len);

#endif
