/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded writer over the device-writable iovecs of a request.
 *
 * Writes never go past the room the transport described. A write that does
 * not fit fails with E2BIG and writes nothing; the writer is then unchanged.
 */
#ifndef VFSD_FUSE_WRITER_H
#define VFSD_FUSE_WRITER_H

#include <stddef.h>
#include <sys/uio.h>

#include "util/compiler.h"

struct fw_pos {
	unsigned int idx;	/* current iovec */
	size_t off;		/* offset inside iov[idx] */
};

struct fuse_writer {
	const struct iovec *iov;
	unsigned int cnt;
	struct fw_pos pos;
	size_t room;		/* writable bytes left */
	size_t bytes_written;	/* reserved, written and committed bytes */
};

/** A reserved slot, filled later with fw_fill() (e.g. the reply header). */
struct fw_mark {
	struct fw_pos pos;
	size_t at;		/* bytes_written when reserved */
	size_t len;
};

void fw_init(struct fuse_writer *w, const struct iovec *iov, unsigned int cnt);

/** Bytes still writable. */
size_t fw_room(const struct fuse_writer *w);

/** Bytes taken so far: the reply length. */
size_t fw_bytes_written(const struct fuse_writer *w);

/** Copy size bytes from src. */
int fw_write(struct fuse_writer *w, const void *src, size_t size) __must_check;

/** Write size zero bytes (dirent padding). */
int fw_zero(struct fuse_writer *w, size_t size) __must_check;

/** Take the next size bytes now and fill them later with fw_fill(). */
int fw_reserve(struct fuse_writer *w, size_t size,
	       struct fw_mark *mark) __must_check;

/** Copy size bytes (<= the reserved length) into a reserved slot. */
int fw_fill(const struct fuse_writer *w, const struct fw_mark *mark,
	    const void *src, size_t size) __must_check;

/**
 * Describe the next size bytes of room in place as at most max iovecs,
 * without taking them: the caller places data there (e.g. preadv) and then
 * takes what it placed with fw_commit(). Zero-length iovecs are left out.
 */
int fw_payload_iov(const struct fuse_writer *w, size_t size, struct iovec *iov,
		   unsigned int max, unsigned int *cnt) __must_check;

/** Bytes of room within the next max non-empty iovecs. */
size_t fw_room_iov(const struct fuse_writer *w, unsigned int max);

/** Take n bytes placed through fw_payload_iov(). */
int fw_commit(struct fuse_writer *w, size_t n) __must_check;

/** Forget everything after mark's end: the writer continues from there. */
void fw_rewind(struct fuse_writer *w, const struct fw_mark *mark);

#endif
