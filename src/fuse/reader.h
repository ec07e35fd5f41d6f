/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded reader over the device-readable iovecs of a request.
 *
 * Every byte of a request is read through here: objects are copied out of
 * (guest) memory before anyone looks at them, and nothing past the limit
 * given at init (the header's len) or past the end of the iovecs is ever
 * touched. All functions fail with EINVAL and then leave the reader where it
 * was.
 */
#ifndef VFSD_FUSE_READER_H
#define VFSD_FUSE_READER_H

#include <stddef.h>
#include <sys/uio.h>

#include "util/compiler.h"

struct fuse_reader {
	const struct iovec *iov;
	unsigned int cnt;
	unsigned int idx;	/* current iovec */
	size_t off;		/* offset inside iov[idx] */
	size_t remaining;	/* readable bytes left, limit included */
};

/**
 * Start reading iov[0..cnt). At most limit bytes will be readable (pass
 * SIZE_MAX for "all of them").
 */
void fr_init(struct fuse_reader *r, const struct iovec *iov, unsigned int cnt,
	     size_t limit);

/** Bytes still readable. */
size_t fr_remaining(const struct fuse_reader *r);

/** Copy the next size bytes to dst. */
int fr_read_obj(struct fuse_reader *r, void *dst, size_t size) __must_check;

/** Step over the next size bytes. */
int fr_skip(struct fuse_reader *r, size_t size) __must_check;

/**
 * Split off the next size bytes: sub reads exactly those, r steps past
 * them. For a record whose own length field bounds what is inside it.
 */
int fr_sub(struct fuse_reader *r, size_t size,
	   struct fuse_reader *sub) __must_check;

/**
 * Copy a NUL-terminated string of at most cap bytes (NUL included) to dst
 * and step past its NUL. ENAMETOOLONG when cap bytes hold no NUL and more
 * follow; EINVAL when the request ends before a NUL.
 */
int fr_read_str(struct fuse_reader *r, char *dst, size_t cap) __must_check;

/**
 * Describe the next size bytes in place as at most max iovecs (no copy; for
 * bulk payloads only) and step past them. Zero-length iovecs are left out.
 */
int fr_payload_iov(struct fuse_reader *r, size_t size, struct iovec *out,
		   unsigned int max, unsigned int *cnt) __must_check;

#endif
