/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reserve of free space and inodes a guest cannot take
 * (--min-free-space, --min-free-inodes): the accounting behind the answers
 * of pt_policy.h, which says what each operation is charged.
 *
 * A request that may allocate on the host is charged, before it runs, the
 * most it may allocate, and gets ENOSPC, with nothing done, when that would
 * reach into the reserve. The host's free counts come from fstatvfs() of
 * the share's root (f_bavail, f_favail), read again at most every
 * PT_RESERVE_CACHE_NS, and at every charge once the last reading was within
 * PT_RESERVE_NEAR_* of the reserve.
 *
 * Charges are taken off the cached reading until the next one. A new
 * reading cannot show what requests still running are about to allocate,
 * so their charges (pending, until pt_reserve_done()) are taken off it too:
 * requests running side by side never reach into the reserve between them,
 * whatever the reading they were checked against.
 */
#ifndef VFSD_FS_PT_RESERVE_H
#define VFSD_FS_PT_RESERVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PT_RESERVE_CACHE_NS (100ull * 1000 * 1000)
/* Closer than this to a reserve, every charge reads the host afresh. */
#define PT_RESERVE_NEAR_BYTES (64ull << 20)
#define PT_RESERVE_NEAR_INODES 1024ull

/* What one request may take from the host filesystem. */
struct pt_charge {
	uint64_t bytes;
	uint64_t inodes;
};

/* What the host filesystem has left for us. */
struct pt_space {
	uint64_t bytes;
	uint64_t inodes;
	bool inodes_counted;	/* false: the filesystem keeps no count */
};

struct pt_reserve {
	/* Set at pt_reserve_init() and then constant (tests change them). */
	uint64_t min_free_space;	/* bytes; 0: none */
	uint64_t min_free_inodes;	/* 0: none */
	uint64_t block;		/* allocation unit (f_frsize), a power of 2 */
	int statfs_fd;		/* the share's root; not ours to close */

	pthread_mutex_t lock;	/* a leaf: nothing is called under it */
	/* protected by lock */
	bool cached;
	uint64_t cached_at_ns;
	struct pt_space space;	/* the last reading less charges since */
	struct pt_charge pending;	/* charged, not yet pt_reserve_done() */
};

/** statfs_fd: any fd on the share's filesystem, or -1 (block 4096). */
int pt_reserve_init(struct pt_reserve *r, uint64_t min_free_space,
		    uint64_t min_free_inodes, int statfs_fd);
void pt_reserve_fini(struct pt_reserve *r);

/**
 * Charge need: 0 with *taken = need, or ENOSPC (or fstatvfs's errno) with
 * *taken zero. Nothing is charged without a reserve, nor for a zero need,
 * which always passes.
 */
int pt_reserve_take(struct pt_reserve *r, const struct pt_charge *need,
		    struct pt_charge *taken);

/** The request charged taken has returned from its system call. */
void pt_reserve_done(struct pt_reserve *r, const struct pt_charge *taken);

/** Bytes of the whole blocks that [off, off + len) touches; saturates. */
uint64_t pt_reserve_span(const struct pt_reserve *r, uint64_t off,
			 uint64_t len);

/**
 * Bytes of the blocks of [off, off + len) in the open file fd that are not
 * allocated yet (holes, and beyond the end of the file; all of them when
 * fd appends, or after PT_RESERVE_MAX_EXTENTS extents): what writing the
 * range may allocate. 0 or the errno of fstat.
 */
int pt_reserve_holes(const struct pt_reserve *r, int fd, uint64_t off,
		     uint64_t len, uint64_t *bytes);
#define PT_RESERVE_MAX_EXTENTS 64

/**
 * The reserve test itself on a reading of the host: 0 or -ENOSPC for need.
 * A part of need that is zero, or whose reserve is, is not checked. Pure.
 */
int pt_reserve_ok(const struct pt_reserve *r, const struct pt_space *s,
		  const struct pt_charge *need);

#endif
