/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The passthrough filesystem: struct vfs_ops over a shared host directory.
 *
 * Usage:
 *	struct pt_opts opts = { .shared_dir = "/srv/share" };
 *	int err;
 *	struct pt_fs *fs = pt_new(&opts, &err);	// as root, before serving
 *	if (!fs) fatal("%s", strerror(err));
 *	session = fuse_session_new(&pt_ops, fs, ...);
 *	...
 *	pt_free(fs);				// after the last request
 *
 * Every host path is resolved with *at() calls relative to O_PATH fds,
 * never following a symlink, so nothing outside the shared directory can be
 * reached through it. Only regular files and directories are ever opened for
 * I/O; device nodes, fifos and sockets can be created and stat'ed but never
 * opened by the daemon. Each operation runs with the guest caller's uid/gid
 * (policy/creds.h) on the worker thread that performs it, and the thread
 * keeps those effective ids after the operation returns (the next request
 * from the same user then costs no syscall). Code that needs root on such a
 * thread afterwards (a signal handler, say) calls creds_reset() first, or
 * runs on a thread that never serves requests.
 *
 * pt_ops functions are thread-safe; pt_new() and pt_free() are not.
 */
#ifndef VFSD_FS_PASSTHROUGH_H
#define VFSD_FS_PASSTHROUGH_H

#include <stdbool.h>
#include <stdint.h>

#include "fs/inode_fh.h"
#include "fs/migrate.h"
#include "fs/vfs_ops.h"

struct xattrmap;

struct pt_opts {
	/* The directory to share. Must exist; opened once by pt_new(). */
	const char *shared_dir;

	/* Host-side policy (fs/pt_policy.h); all off by default. */
	bool nodev;		/* no block or character devices created */
	bool nosuid;		/* no set-user-ID / set-group-ID files */
	bool readonly;		/* every change EROFS */
	uint64_t min_free_space;	/* bytes left to the host; 0: none */
	uint64_t min_free_inodes;	/* inodes left to the host; 0: none */

	/*
	 * Inode fds (fs/inode.h): at most inode_fd_budget inode fds stay
	 * open, 0 meaning half of RLIMIT_NOFILE as it is when pt_new() runs,
	 * PT_FD_BUDGET_UNLIMITED one per inode, never closed. A closed inode
	 * is found again by file handle (PREFER, MANDATORY; needs
	 * CAP_DAC_READ_SEARCH) or by name (NEVER). MANDATORY fails pt_new()
	 * if the shared directory cannot give handles; PREFER then falls
	 * back to names. inode_why (or NULL) says why this mode, for the
	 * line pt_new() logs.
	 */
	enum inode_fh_mode inode_file_handles;
	uint64_t inode_fd_budget;
	const char *inode_why;

	/*
	 * Files and directories the guest may have open at once (EMFILE
	 * beyond); 0: half of what inode_fd_budget leaves of RLIMIT_NOFILE.
	 */
	uint64_t max_open_handles;

	/*
	 * Guest xattr names to host names (fs/xattrmap.h), or NULL to pass
	 * them unchanged. Must outlive the pt_fs.
	 */
	const struct xattrmap *xattrmap;

	/* --migration-*: how a migration's state is saved and loaded. */
	struct pt_migrate_opts migrate;
};

#define PT_FD_BUDGET_UNLIMITED UINT64_MAX

struct pt_fs;

/* What a filesystem gives to tell its files apart (fs/inode_fh.h). */
enum pt_ids {
	PT_IDS_NONE,	/* nothing: its inodes keep their fds */
	PT_IDS_FID,	/* AT_HANDLE_FID ids, which open nothing */
	PT_IDS_HANDLES,	/* file handles */
};

/** The inode fd budget for an open-file limit of nofile (0: no budget). */
uint64_t pt_fd_budget_for(uint64_t nofile);

/** pt_fd_budget_for() the process's open-file limit now. */
uint64_t pt_default_fd_budget(void);

/**
 * How the filesystem of root_fd (an O_PATH fd of a shared directory) tells
 * its files apart, into *ids, which is set whatever the answer. 0 if its
 * file handles open from here, else why not: -EOPNOTSUPP (it has none),
 * -EPERM (no CAP_DAC_READ_SEARCH). For `vfsd check`.
 */
int pt_probe_ids(int root_fd, enum pt_ids *ids);

/**
 * Open the shared directory and /proc/self/fd and set up the root inode
 * (nodeid VFS_ROOT_ID). Returns 0 with the filesystem in *out, or -errno.
 */
int pt_new(struct pt_fs **out, const struct pt_opts *opts);

/**
 * pt_new() on root_fd, an O_PATH fd of opts->shared_dir opened by the
 * caller (the daemon gives a detached copy of the share's mount,
 * policy/mounts.h), which it takes over, failure or not; -1 to open
 * opts->shared_dir as pt_new() does.
 */
int pt_new_at(struct pt_fs **out, const struct pt_opts *opts, int root_fd);

/** Close every inode and handle; no operation may be running. NULL is ok. */
void pt_free(struct pt_fs *fs);

/**
 * Does the inode table open closed inodes by file handle (and so need
 * CAP_DAC_READ_SEARCH)? False by name or with one fd per inode.
 */
bool pt_opens_by_handle(const struct pt_fs *fs);

/** The operations; their fs argument is the struct pt_fs from pt_new(). */
extern const struct vfs_ops pt_ops;

#endif
