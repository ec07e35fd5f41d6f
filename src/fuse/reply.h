/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replies. The only place that writes a fuse_out_header. Errors arrive as
 * -errno, which is what the kernel expects; the statistics' positive errno
 * is the one place the sign turns.
 *
 * Every request with a reply gets exactly one call of one reply_*() (or one
 * reply_payload_begin()/_end() or reply_dir_begin()/_end() pair). If the
 * reply buffers cannot hold a fuse_out_header nothing is sent; if they hold
 * the header but not the body, the reply becomes -E2BIG.
 *
 * The reply_*() that return int tell whether the reply reached the buffers
 * (0) or not (an errno): a caller that handed out a lookup reference or a
 * handle in it must then take it back, since the kernel will never know.
 */
#ifndef VFSD_FUSE_REPLY_H
#define VFSD_FUSE_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>

#include "fs/vfs_ops.h"
#include "fuse/session_int.h"

/** err: 0 (plain success) or -errno. */
void reply_err(struct fuse_call *c, int err);
/** Success with no body. */
void reply_ok(struct fuse_call *c);
/** Success with size bytes of body from arg. */
int reply_buf(struct fuse_call *c, const void *arg, size_t size);

int reply_entry(struct fuse_call *c, const struct vfs_entry *e);
void reply_attr(struct fuse_call *c, const struct stat *st);
/* backing_id: FUSE_PASSTHROUGH's (with FOPEN_PASSTHROUGH), else 0. */
int reply_open(struct fuse_call *c, uint64_t fh, uint32_t open_flags,
	       int32_t backing_id);
int reply_create(struct fuse_call *c, const struct vfs_entry *e, uint64_t fh,
		 uint32_t open_flags, int32_t backing_id);
/** Body copied from buf (READLINK). */
void reply_data(struct fuse_call *c, const void *buf, size_t len);
void reply_statfs(struct fuse_call *c, const struct statvfs *st);
void reply_write(struct fuse_call *c, uint32_t size);
void reply_lseek(struct fuse_call *c, uint64_t offset);

/**
 * Zero-copy data reply (READ): reserves the header and describes room for
 * up to max bytes of payload, no more than the buffers hold, as at most
 * max_iov iovecs in place. *room is the byte count they cover (may be 0).
 * On error nothing is sent yet: the caller replies with reply_err().
 */
int reply_payload_begin(struct fuse_call *c, size_t max, struct iovec *iov,
			unsigned int max_iov, unsigned int *cnt, size_t *room);
/** Send the header with n payload bytes (n <= room), or -err if err. */
void reply_payload_end(struct fuse_call *c, size_t n, int err);

/** Packer state for READDIR/READDIRPLUS: the vfs_fill_fn argument. */
struct reply_dir {
	struct fuse_call *c;
	size_t left;		/* bytes of the kernel's size still free */
	bool plus;
	unsigned int count;	/* entries packed */
};

/**
 * Start a directory reply of at most size bytes of entries. On error
 * nothing is sent yet: the caller replies with reply_err().
 */
int reply_dir_begin(struct fuse_call *c, struct reply_dir *d, size_t size,
		    bool plus);
/** The vfs_fill_fn: 0 = packed, 1 = full (not packed). */
int reply_dir_fill(void *arg, const struct vfs_dirent *ent);
/**
 * Send what was packed; err from the filesystem becomes the reply only if
 * nothing was packed (the kernel asks again from the last offset).
 */
void reply_dir_end(struct reply_dir *d, int err);

/** Fill a fuse_attr from a host stat (exported for tests and packers). */
void reply_fill_attr(const struct fuse_session *s, struct fuse_attr *a,
		     const struct stat *st);

#endif
