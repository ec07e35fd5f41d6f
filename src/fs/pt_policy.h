/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host-side policy of the passthrough: what the administrator would
 * otherwise get from mount options (nodev, nosuid, ro) and a partition of
 * its own (a reserve of free space and inodes the guest cannot take).
 *
 * Each pt_op_* that changes the share asks here first; every answer is 0 or
 * the errno the guest gets (EROFS, EPERM, ENOSPC).
 *
 *  - nodev: MKNOD of a block or character device is EPERM. The 0:0
 *    character device, which is a whiteout (overlayfs, RENAME_WHITEOUT) and
 *    names no device, stays allowed.
 *  - nosuid: set-user-ID is stripped from every mode the guest sets (create
 *    and chmod) and dropped after a chown; set-group-ID likewise on
 *    everything but directories, where it only passes the group on to new
 *    entries. Stripping rather than refusing keeps tools that set modes
 *    (install(1), tar, cp -p) working. The security.capability xattr (file
 *    capabilities, setuid's modern form) cannot be set (EPERM).
 *  - readonly: every modifying operation is EROFS, and OPEN for writing or
 *    with O_TRUNC.
 *  - min_free_space / min_free_inodes: creates get ENOSPC while the share's
 *    filesystem has less free than the reserve; writes and allocations
 *    that would take it below get ENOSPC. The numbers come from fstatvfs()
 *    of the share's root, re-read at most every PT_POLICY_CACHE_NS unless
 *    the last reading was near the reserve, when each check re-reads them.
 */
#ifndef VFSD_FS_PT_POLICY_H
#define VFSD_FS_PT_POLICY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include "fs/passthrough.h"

#define PT_POLICY_CACHE_NS (100ull * 1000 * 1000)
/* Closer than this to a reserve, every check reads the host afresh. */
#define PT_POLICY_NEAR_BYTES (64ull << 20)
#define PT_POLICY_NEAR_INODES 1024ull

/* What the host filesystem has left for us. */
struct pt_space {
	uint64_t bytes;
	uint64_t inodes;
	bool inodes_counted;	/* false: the filesystem keeps no count */
};

struct pt_policy {
	bool nodev;
	bool nosuid;
	bool readonly;
	uint64_t min_free_space;
	uint64_t min_free_inodes;

	int statfs_fd;		/* the share's root; not ours to close */
	pthread_mutex_t lock;	/* guards the cache below */
	bool cached;
	uint64_t cached_at_ns;
	struct pt_space space;
};

/** Copy the flags of opts; statfs_fd is any fd on the share's filesystem. */
int pt_policy_init(struct pt_policy *p, const struct pt_opts *opts,
		   int statfs_fd);
void pt_policy_fini(struct pt_policy *p);

/** Any change to the share (RENAME, UNLINK, SETATTR, xattrs...). */
int pt_policy_modify(const struct pt_policy *p);

/** OPEN with these open(2) flags. */
int pt_policy_open(const struct pt_policy *p, int oflags);

/** A new directory entry (CREATE, MKDIR, SYMLINK, LINK, TMPFILE). */
int pt_policy_create(struct pt_policy *p);

/** MKNOD of mode (type bits included) and the host's rdev. */
int pt_policy_mknod(struct pt_policy *p, mode_t mode, dev_t rdev);

/** Permission bits a new or chmod'ed inode of type (S_IFMT bits) gets. */
mode_t pt_policy_mode(const struct pt_policy *p, mode_t type, mode_t perm);

/** Setting xattr name. */
int pt_policy_setxattr(const struct pt_policy *p, const char *name);

/**
 * Allocating up to need bytes of data (WRITE beyond the end, FALLOCATE,
 * COPY_FILE_RANGE). EROFS when read-only, ENOSPC when need would go into
 * the reserve.
 */
int pt_policy_alloc(struct pt_policy *p, uint64_t need);

/**
 * WRITE or COPY_FILE_RANGE of len bytes at off into the open file fd: only
 * what lies beyond the file's end counts against the reserve.
 */
int pt_policy_write(struct pt_policy *p, int fd, uint64_t off, uint64_t len);

/**
 * The reserve test itself, on a reading of the host: 0 or ENOSPC for need
 * bytes and need_inodes inodes. Pure.
 */
int pt_policy_reserve_ok(const struct pt_policy *p, const struct pt_space *s,
			 uint64_t need, uint64_t need_inodes);

/** STATFS: mark the answer read-only when it is. */
void pt_policy_statfs(const struct pt_policy *p, struct statvfs *sv);

#endif
