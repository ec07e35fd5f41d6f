/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Table sizes of the passthrough for the metrics an operator reads
 * (vfsd --stats-socket). Safe to call from any thread while serving.
 */
#ifndef VFSD_FS_PT_STATS_H
#define VFSD_FS_PT_STATS_H

#include <stdint.h>

struct pt_fs;

struct pt_sizes {
	uint64_t inodes;	/* inode table entries, the root included */
	uint64_t handles;	/* open file and directory handles */
	uint64_t open_fds;	/* fds of the process; 0 if unreadable */
	uint64_t inode_fds;	/* inode O_PATH fds open now */
	uint64_t inode_fd_budget;	/* 0: one fd per inode */
	uint64_t inode_evictions;	/* idle inode fds closed, ever */
	uint64_t inode_reopens;	/* idle inode fds opened again, ever */
	uint64_t inode_stale;	/* reopens that found the file gone, ever */
	const char *inode_mode;	/* inode_reopen_name() */
};

void pt_sizes(struct pt_fs *fs, struct pt_sizes *out);

#endif
