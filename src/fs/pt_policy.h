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
 *  - min_free_space / min_free_inodes: every operation that may allocate on
 *    the host is charged, before it runs, the most it may allocate, and
 *    gets ENOSPC, with nothing done, if that would reach into the reserve
 *    (pt_reserve.h). The charges, which docs/SECURITY.md lists per opcode:
 *    a new inode (CREATE, MKNOD, MKDIR, SYMLINK, TMPFILE, and the whiteout
 *    of RENAME_WHITEOUT) costs an inode and a block for its directory
 *    entry, plus a symlink's target and a security label; a new name
 *    (LINK, RENAME) a block, and LINK an inode too (tmpfs bills each link
 *    as one); SETXATTR its name and value, in blocks and in inodes (tmpfs
 *    bills xattrs to its inode space, ext4 may give a large value an inode
 *    of its own); WRITE, FALLOCATE and COPY_FILE_RANGE every block their
 *    range touches, and near the reserve only the blocks of the range that
 *    are not allocated yet (holes, the end of the file), so that rewriting
 *    a file goes on while filling a sparse one stops.
 */
#ifndef VFSD_FS_PT_POLICY_H
#define VFSD_FS_PT_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include "fs/passthrough.h"
#include "fs/pt_reserve.h"

struct pt_policy {
	bool nodev;
	bool nosuid;
	bool readonly;
	struct pt_reserve reserve;
};

/** Copy the flags of opts; statfs_fd is any fd on the share's filesystem. */
int pt_policy_init(struct pt_policy *p, const struct pt_opts *opts,
		   int statfs_fd);
void pt_policy_fini(struct pt_policy *p);

/** Any change to the share (RENAME, UNLINK, SETATTR, xattrs...). */
int pt_policy_modify(const struct pt_policy *p);

/** OPEN with these open(2) flags. */
int pt_policy_open(const struct pt_policy *p, int oflags);

/**
 * The calls below that charge the reserve fill *c with what they charged
 * (zero when they fail): give it back to pt_policy_done() once the system
 * call it was for has returned, whatever its outcome.
 */

/**
 * A new inode (CREATE, MKDIR, SYMLINK, TMPFILE) with data bytes of its own
 * (a symlink's target) and a security label of label bytes (name and
 * value; 0 for none).
 */
int pt_policy_create(struct pt_policy *p, size_t data, size_t label,
		     struct pt_charge *c);

/** MKNOD of mode (type bits included), the host's rdev, and a label. */
int pt_policy_mknod(struct pt_policy *p, mode_t mode, dev_t rdev,
		    size_t label, struct pt_charge *c);

/** LINK: a new name for an inode. */
int pt_policy_link(struct pt_policy *p, struct pt_charge *c);

/** RENAME with RENAME_* flags: a new name, and an inode for a whiteout. */
int pt_policy_rename(struct pt_policy *p, uint32_t flags, struct pt_charge *c);

/** Permission bits a new or chmod'ed inode of type (S_IFMT bits) gets. */
mode_t pt_policy_mode(const struct pt_policy *p, mode_t type, mode_t perm);

/** Setting xattr name (the host's name) to a value of size bytes. */
int pt_policy_setxattr(struct pt_policy *p, const char *name, size_t size,
		       struct pt_charge *c);

/**
 * WRITE or COPY_FILE_RANGE of len bytes at off into the open file fd:
 * EROFS when read-only, ENOSPC when the blocks it may allocate would go
 * into the reserve.
 */
int pt_policy_write(struct pt_policy *p, int fd, uint64_t off, uint64_t len,
		    struct pt_charge *c);

/** FALLOCATE of mode over len bytes at off in the open file fd. */
int pt_policy_fallocate(struct pt_policy *p, int fd, uint32_t mode,
			uint64_t off, uint64_t len, struct pt_charge *c);

/** The system call charged c has returned. */
void pt_policy_done(struct pt_policy *p, const struct pt_charge *c);

/** STATFS: mark the answer read-only when it is. */
void pt_policy_statfs(const struct pt_policy *p, struct statvfs *sv);

#endif
