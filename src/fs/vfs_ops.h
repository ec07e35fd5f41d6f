/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filesystem contract between the FUSE session and a filesystem
 * implementation (the passthrough in fs/).
 *
 * Conventions, for every function:
 *  - Return 0 on success or -errno, the kernel's convention and the FUSE
 *    reply's: fuse/reply.c passes it on (and counts it by its positive
 *    errno, the one place the sign turns). A positive value is a bug, which
 *    the reply turns into EIO and logs.
 *  - nodeid and fh come from the guest and are untrusted: an implementation
 *    validates them against its tables and answers EBADF (unknown fh) or
 *    ESTALE/ENOENT (unknown nodeid) rather than trusting them.
 *  - Names are NUL-terminated, already checked to be non-empty, shorter than
 *    NAME_MAX+1 and without '/'. "." and ".." may still arrive and are the
 *    implementation's to refuse where they make no sense.
 *  - ctx carries the caller's credentials. The session calls begin() with
 *    them before every operation that acts for a caller, and end() after
 *    it, so that no operation can run with another request's identity;
 *    the operations themselves never switch to the caller.
 *  - Out-parameters are written only on success.
 *  - The filesystem never sees an opcode or an iovec of the request; READ
 *    and WRITE get iovecs of payload only.
 */
#ifndef VFSD_FS_VFS_OPS_H
#define VFSD_FS_VFS_OPS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "util/statefmt.h"

#define VFS_ROOT_ID 1ULL

/**
 * A security label the guest's kernel computed for a file being created
 * (FUSE_SECURITY_CTX): an xattr to set on the new inode before the guest
 * learns of it.
 */
struct vfs_secctx {
	const char *name;	/* "security.*", NUL-terminated */
	const void *value;
	size_t size;		/* at most XATTR_SIZE_MAX */
};

/** Who is asking. */
struct vfs_ctx {
	uint32_t uid;
	uint32_t gid;
	uint32_t pid;
	/*
	 * The guest may not use the caller's ids (--translate-uid
	 * forbid-guest): uid and gid are nobody's, and the host's refusals
	 * are not overruled for it.
	 */
	bool unmapped;
	/*
	 * NULL, or for a request that may wait long (SETLKW) a flag that
	 * turns true when the guest interrupts it: the implementation then
	 * stops waiting and answers EINTR.
	 */
	const atomic_bool *interrupted;
	/*
	 * NULL, or for CREATE, MKDIR, MKNOD, SYMLINK and TMPFILE the label
	 * for the new inode.
	 */
	const struct vfs_secctx *secctx;
	/*
	 * NULL, or a flag that turns true when the connection the request
	 * came on goes away: a waiting implementation stops as for
	 * interrupted.
	 */
	const atomic_bool *cancelled;
};

/** What the session agreed with the kernel at INIT, for ops that care. */
struct vfs_conn {
	bool writeback_cache;	/* open O_WRONLY as O_RDWR, ignore O_APPEND */
	bool killpriv_v2;	/* clear suid/sgid on write/truncate/chown ourselves */
	bool posix_acl;
	bool dont_mask;		/* the umask is ours to apply */
	/*
	 * FUSE_SUBMOUNTS: the guest gives each mount inside the share a
	 * device of its own. Without it every file shows the mount's one
	 * st_dev, and inode numbers from two devices could collide.
	 */
	bool submounts;
};

/** A looked-up inode: the nodeid gained one lookup reference. */
struct vfs_entry {
	uint64_t nodeid;
	uint64_t generation;
	struct stat attr;
	/*
	 * A directory on another device than its parent (a mount inside the
	 * share): told to a guest that agreed to FUSE_SUBMOUNTS, which then
	 * gives it its own st_dev so inode numbers of both never collide.
	 */
	bool submount;
};

enum {
	VFS_SET_MODE = 1u << 0,
	VFS_SET_UID = 1u << 1,
	VFS_SET_GID = 1u << 2,
	VFS_SET_SIZE = 1u << 3,
	VFS_SET_ATIME = 1u << 4,
	VFS_SET_MTIME = 1u << 5,
	VFS_SET_ATIME_NOW = 1u << 6,
	VFS_SET_MTIME_NOW = 1u << 7,
	VFS_SET_CTIME = 1u << 8,
	VFS_SET_KILL_SUIDGID = 1u << 9,
};

struct vfs_setattr {
	uint32_t valid; /* VFS_SET_* */
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint64_t size;
	struct timespec atime;
	struct timespec mtime;
	struct timespec ctime;
};

/** One directory entry handed to the session's packer. */
struct vfs_dirent {
	const char *name;
	size_t namelen;
	uint64_t ino;
	uint32_t type;	/* DT_* */
	uint64_t next_off; /* cookie that resumes after this entry */
	/* READDIRPLUS only: the looked-up entry; nodeid 0 for "." and "..". */
	const struct vfs_entry *entry;
};

/**
 * Packer callback: 0 = entry taken, 1 = buffer full (entry NOT taken).
 * On 1 the implementation stops, and for READDIRPLUS drops the lookup
 * reference it took for the entry that was not taken.
 */
typedef int (*vfs_fill_fn)(void *arg, const struct vfs_dirent *d);

/*
 * Flags for open/create, as open(2) flags from the guest (O_*), plus:
 * the guest asks that set-user-ID and set-group-ID be cleared as the file
 * is opened (FUSE_OPEN_KILL_SUIDGID, sent with O_TRUNC by a caller that
 * lacks CAP_FSETID). Bit 31 is no open(2) flag.
 */
#define VFS_OPEN_KILL_SUIDGID (1u << 31)

/*
 * setxattr flag: the caller is, in the guest's eyes, neither in the
 * file's group nor holding CAP_FSETID (FUSE_SETXATTR_ACL_KILL_SGID).
 * Bit 31 is no XATTR_* flag.
 */
#define VFS_SETXATTR_KILL_SGID (1u << 31)

/** A POSIX byte-range lock, as struct flock has it with SEEK_SET. */
struct vfs_lock {
	uint64_t start;
	uint64_t end;	/* last byte, inclusive; INT64_MAX and above: to EOF */
	uint32_t type;	/* F_RDLCK, F_WRLCK or F_UNLCK */
	uint32_t pid;	/* GETLK: the holder's pid as the host reports it */
};

struct vfs_ops {
	/**
	 * Connection negotiated; called once per INIT. init() and destroy()
	 * never run at the same time, but operations of the previous
	 * connection may still be running (a lock wait, a slow system call):
	 * the session does not wait for them, so neither may free what an
	 * operation in flight holds.
	 */
	void (*init)(void *fs, const struct vfs_conn *conn);
	/**
	 * Guest unmounted or went away: forget every inode and handle, and
	 * call off every lock wait. See init() on operations in flight.
	 */
	void (*destroy)(void *fs);

	/**
	 * A request of ctx's caller begins: the calling thread runs as that
	 * caller until end(). 0, or the -errno the request is
	 * answered with (an id the host cannot take). Called around every
	 * operation but forget(), release(), releasedir() and flush(),
	 * which act for no one.
	 */
	int (*begin)(void *fs, const struct vfs_ctx *ctx);
	/**
	 * The operation begin() was called for has returned: what the
	 * filesystem held for that request (its inodes) is released here.
	 */
	void (*end)(void *fs);

	int (*lookup)(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		      const char *name, struct vfs_entry *out);
	/** Drop nlookup references; unknown nodeids are ignored. No reply. */
	void (*forget)(void *fs, uint64_t nodeid, uint64_t nlookup);

	/** fh is NULL unless the guest named an open file. */
	int (*getattr)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		       const uint64_t *fh, struct stat *out);
	int (*setattr)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		       const uint64_t *fh, const struct vfs_setattr *in,
		       struct stat *out);
	int (*access)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		      uint32_t mask);
	int (*statfs)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		      struct statvfs *out);

	/** *len = bytes of target placed in buf (not NUL-terminated). */
	int (*readlink)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
			char *buf, size_t size, size_t *len);
	int (*symlink)(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		       const char *name, const char *target,
		       struct vfs_entry *out);
	/** mode includes the file type; umask already applied or passed. */
	int (*mknod)(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		     const char *name, uint32_t mode, uint32_t rdev,
		     uint32_t umask, struct vfs_entry *out);
	int (*mkdir)(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		     const char *name, uint32_t mode, uint32_t umask,
		     struct vfs_entry *out);
	int (*unlink)(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		      const char *name);
	int (*rmdir)(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		     const char *name);
	/** flags: RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT or 0. */
	int (*rename)(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		      const char *name, uint64_t newparent, const char *newname,
		      uint32_t flags);
	int (*link)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		    uint64_t newparent, const char *newname,
		    struct vfs_entry *out);

	int (*open)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		    uint32_t flags, uint64_t *fh);
	int (*create)(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		      const char *name, uint32_t mode, uint32_t flags,
		      uint32_t umask, struct vfs_entry *out, uint64_t *fh);
	/** Read into dst (guest memory); *nread may be short at EOF. */
	int (*read)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		    uint64_t fh, uint64_t off, const struct iovec *dst,
		    unsigned int cnt, size_t *nread);
	/** kill_priv: the guest asks to clear suid/sgid (FUSE_WRITE_KILL_SUIDGID). */
	int (*write)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     uint64_t fh, uint64_t off, const struct iovec *src,
		     unsigned int cnt, bool kill_priv, size_t *nwritten);
	int (*flush)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     uint64_t fh, uint64_t lock_owner);
	int (*release)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		       uint64_t fh);
	/**
	 * FUSE passthrough: the backing file for the file open handle fh of
	 * nodeid names, if it is a regular file (decided on its fd). One per
	 * inode: the first open registers it with attach(arg, fd) (the
	 * kernel's backing id, > 0, or -errno), the last handle to go drops
	 * it with detach(arg, id). 0 with *id set, or -errno
	 * (EINVAL: not a regular file, or set-user/group-ID).
	 */
	int (*passthrough)(void *fs, uint64_t nodeid, uint64_t fh,
			   int32_t (*attach)(void *arg, int fd),
			   void (*detach)(void *arg, int32_t id), void *arg,
			   int32_t *id);
	int (*fsync)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     uint64_t fh, bool datasync);
	int (*fallocate)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
			 uint64_t fh, uint32_t mode, uint64_t off,
			 uint64_t len);
	int (*lseek)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     uint64_t fh, uint64_t off, uint32_t whence,
		     uint64_t *result);

	int (*opendir)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		       uint32_t flags, uint64_t *fh);
	/**
	 * Emit entries from cookie off until fill() reports full or the
	 * directory ends. Offsets are the host's telldir cookies, so they stay
	 * valid across entries added or removed in between.
	 */
	int (*readdir)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		       uint64_t fh, uint64_t off, bool plus, vfs_fill_fn fill,
		       void *arg);
	int (*releasedir)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
			  uint64_t fh);
	int (*fsyncdir)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
			uint64_t fh, bool datasync);

	/*
	 * Extended attributes. name is NUL-terminated, non-empty and at most
	 * XATTR_NAME_MAX bytes; values are at most XATTR_SIZE_MAX bytes.
	 */
	/**
	 * flags: XATTR_CREATE, XATTR_REPLACE or 0, and VFS_SETXATTR_KILL_SGID
	 * when the guest asks that setting an ACL also clear set-group-ID.
	 */
	int (*setxattr)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
			const char *name, const void *value, size_t size,
			uint32_t flags);
	/**
	 * size 0 is a probe: *len = the value's size, buf untouched. Else
	 * the value goes to buf; ERANGE if it is larger than size.
	 * ENODATA when there is no such attribute.
	 */
	int (*getxattr)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
			const char *name, void *buf, size_t size, size_t *len);
	/** Like getxattr, for the NUL-separated list of names. */
	int (*listxattr)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
			 char *buf, size_t size, size_t *len);
	int (*removexattr)(void *fs, const struct vfs_ctx *ctx,
			   uint64_t nodeid, const char *name);

	/*
	 * POSIX record locks, owned by (nodeid, owner) as the guest's kernel
	 * names its lock owners; a FLUSH with that owner drops them all.
	 */
	/** lk in: the lock wanted; out: a conflicting lock or F_UNLCK. */
	int (*getlk)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     uint64_t fh, uint64_t owner, struct vfs_lock *lk);
	/**
	 * Take or drop (F_UNLCK) a lock. EAGAIN on a conflict unless wait,
	 * which an implementation honours only if it can block this thread.
	 */
	int (*setlk)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     uint64_t fh, uint64_t owner, const struct vfs_lock *lk,
		     bool wait);
	/** flock(2) on the handle: type F_RDLCK (shared), F_WRLCK, F_UNLCK. */
	int (*flock)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     uint64_t fh, uint32_t type, bool wait);

	/** copy_file_range(2) between two open files; *copied may be short. */
	int (*copy_file_range)(void *fs, const struct vfs_ctx *ctx,
			       uint64_t nodeid_in, uint64_t fh_in,
			       uint64_t off_in, uint64_t nodeid_out,
			       uint64_t fh_out, uint64_t off_out, uint64_t len,
			       uint64_t *copied);
	/** syncfs(2) of the filesystem nodeid lives on. */
	int (*syncfs)(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid);
	/**
	 * open(2) with O_TMPFILE in directory parent: an unnamed regular
	 * file, entered and opened like CREATE's result. flags must ask for
	 * writing; EINVAL otherwise.
	 */
	int (*tmpfile)(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		       uint32_t mode, uint32_t flags, uint32_t umask,
		       struct vfs_entry *out, uint64_t *fh);

	/*
	 * Migration (docs/MIGRATION.md), called with no operation running
	 * (every queue stopped). NULL: the filesystem has no state to carry.
	 */
	/**
	 * Append the filesystem's sections to the state in b. EBUSY while
	 * the guest holds locks (they are not carried), ENOMEM.
	 */
	int (*state_save)(void *fs, struct wbuf *b);
	/**
	 * Take over the guest's nodeids and handles from v, after
	 * forgetting everything known. On failure nothing is known (as
	 * after destroy()) and -errno is returned.
	 */
	int (*state_load)(void *fs, const struct state_view *v);
};

#endif
