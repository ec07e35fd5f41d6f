/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Request metrics for operators: per-opcode counts, errors and latency
 * histograms (log-2 buckets in microseconds), errors by errno, bytes read
 * and written, requests in flight. Recording is a handful of relaxed
 * atomic adds per request, so it can stay on; a snapshot taken while
 * requests run may be off by the requests being recorded at that moment.
 */
#ifndef VFSD_FUSE_STATS_H
#define VFSD_FUSE_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Opcodes 1..51 by number; slot 0 collects unknown and malformed ones. */
#define FUSE_STATS_NOPS 64
/* Bucket i counts durations below 2^i us; the last one everything else. */
#define FUSE_STATS_NBUCKETS 24
/* Errors above this are counted as this (the kernel's limit is 511). */
#define FUSE_STATS_NERRNO 512

struct fuse_stats;

/** What the filesystem and the process hold; filled by whoever serves it. */
struct fuse_stats_gauges {
	uint64_t inodes;
	uint64_t handles;
	uint64_t open_fds;
	uint64_t inode_fds;	/* O_PATH fds of inodes (fs/inode.h budget) */
	uint64_t inode_fd_budget;	/* 0: one fd per inode */
	uint64_t inode_evictions;	/* inode fds closed for the budget */
	uint64_t inode_reopens;	/* inode fds opened again (handle or name) */
	uint64_t inode_stale;	/* reopens that found the file gone */
	const char *inode_mode;	/* how a closed inode is opened; or NULL */
};

enum fuse_stats_format {
	FUSE_STATS_TEXT,
	FUSE_STATS_JSON,
	FUSE_STATS_PROMETHEUS,
};

/** 0 with the counters in *out, or -ENOMEM. */
int fuse_stats_new(struct fuse_stats **out);
void fuse_stats_free(struct fuse_stats *st);

/** Monotonic time in nanoseconds, for fuse_stats_end(). */
uint64_t fuse_stats_now(void);

/** A request started (counts it in flight). */
void fuse_stats_begin(struct fuse_stats *st);

/**
 * A request ended: opcode as received, err the positive errno of its reply
 * (0 on success or when none is sent), started as from fuse_stats_now(),
 * rbytes/wbytes the file data it read or wrote.
 */
void fuse_stats_end(struct fuse_stats *st, uint32_t opcode, int err,
		    uint64_t started, uint64_t rbytes, uint64_t wbytes);

/**
 * Render a snapshot in fmt into a malloc'ed NUL-terminated string (*out,
 * its length in *len). 0 or -errno.
 */
int fuse_stats_render(const struct fuse_stats *st,
		      const struct fuse_stats_gauges *g,
		      enum fuse_stats_format fmt, char **out, size_t *len);

/** "text", "json", "prometheus" -> 0 and *fmt; -1 for anything else. */
int fuse_stats_parse_format(const char *name, enum fuse_stats_format *fmt);

#endif
