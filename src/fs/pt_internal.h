/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared between the passthrough's source files; not for other layers.
 */
#ifndef VFSD_FS_PT_INTERNAL_H
#define VFSD_FS_PT_INTERNAL_H

#include <errno.h>
#include <linux/capability.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "fs/handle.h"
#include "fs/inode.h"
#include "fs/migrate.h"
#include "fs/passthrough.h"
#include "fs/pt_policy.h"
#include "fs/vfs_ops.h"
#include "policy/creds.h"

struct pt_locks;

struct pt_fs {
	int proc_fd;		/* O_PATH /proc/self/fd */
	struct pt_inode *root;	/* pinned; pt_fs holds a reference */
	struct inode_table inodes;
	struct handle_table handles;
	struct pt_locks *locks;	/* POSIX lock owners (pt_lock.c) */
	struct pt_backings *backings;	/* FUSE passthrough (pt_backing.c) */
	struct pt_policy policy;	/* fixed at pt_new() but for its cache */
	const struct xattrmap *xattrmap;	/* fixed at pt_new(); or NULL */
	struct pt_migrate_opts migrate;		/* fixed at pt_new() */

	/*
	 * Negotiated at INIT, read by every operation. Atomics rather than a
	 * lock: a re-INIT changes them while old requests may still run, and
	 * each flag is meaningful on its own.
	 */
	atomic_bool writeback;
	atomic_bool posix_acl;
	atomic_bool dont_mask;	/* the guest left the umask to us */
	atomic_bool submounts;	/* the guest tells mounts apart (pt_ino()) */
	/* SETXATTRs of a mapped security.capability (pt_handle.caps_seen) */
	atomic_uint caps_gen;
};

/**
 * Set the inode table up for opts (how closed inodes are found again, the
 * fd budget) as the share's root fd allows, and log it in one line. 0, or
 * the error of --inode-file-handles=mandatory without handles.
 */
int pt_setup_inodes(struct pt_fs *fs, const struct pt_opts *opts,
		    int root_fd);

/* Idle inode fds closed when an open() fails with EMFILE or ENFILE. */
#define PT_SHED_FDS 16

/* "<fd number>" for openat(proc_fd, ...): 10 digits, a sign and a NUL. */
struct pt_fdname {
	char s[16];
};

void pt_fd_name(int fd, struct pt_fdname *n);

/*
 * What the host refuses and the guest allowed. Every operation runs as its
 * caller (vfs_ops.begin()), but the caller's identity as FUSE carries it
 * is partial: no supplementary groups, none of the guest's ACL groups or
 * capabilities. The guest kernel has made its own checks with all of that
 * before it sent the request (virtio-fs and our /dev/fuse mount both use
 * default_permissions), so a refusal that only the partial identity
 * explains is overruled: the call is made once more with the capability
 * that stands for the guest's decision borrowed for it (policy/creds.h;
 * docs/SECURITY.md, "Credentials"). Ownership of what is created and the
 * host's clearing of set-user-ID stay the caller's: CAP_FSETID is never
 * borrowed this way.
 */
#define PT_CAPS_DAC CREDS_CAP(CAP_DAC_OVERRIDE)
#define PT_CAPS_OWNER CREDS_CAP(CAP_FOWNER)
#define PT_CAPS_DAC_OWNER (PT_CAPS_DAC | PT_CAPS_OWNER)

/*
 * EXPR is 0 or -errno; on EACCES or EPERM it is evaluated once
 * more with CAPS borrowed. The value is the last EXPR's.
 */
#define PT_GUEST_ALLOWED_ERR(caps, expr)                                 \
	({                                                               \
		int pt_err_ = (expr);                                    \
		if ((pt_err_ == -EACCES || pt_err_ == -EPERM) &&         \
		    creds_borrow(caps)) {                                \
			pt_err_ = (expr);                                \
			creds_return();                                  \
		}                                                        \
		pt_err_;                                                 \
	})

/* The same for a system call: CALL is negative with errno on failure. */
#define PT_GUEST_ALLOWED(caps, call) \
	PT_GUEST_ALLOWED_ERR(caps, (call) < 0 ? -errno : 0)

/**
 * The inode the guest calls nodeid, its fd open, for the operation running
 * on this thread: looked up at the first call, the same one at the next,
 * held until the request ends (vfs_ops end()), never released by the
 * operation. ESTALE, or the error of opening it again from its handle
 * (EMFILE, ENFILE); EIO outside begin() and end() (our bug).
 */
int pt_req_inode(struct pt_fs *fs, uint64_t nodeid, struct pt_inode **out);

/** pt_req_inode() of a directory: ENOTDIR for any other type. */
int pt_req_dir(struct pt_fs *fs, uint64_t nodeid, struct pt_inode **out);

/** EINVAL for names that can only be a trick here: "", ".", "..", "a/b". */
int pt_name_check(const char *name);

/** Attributes and mount id (0 if unknown) of an O_PATH fd, by statx. */
int pt_statx(int fd, struct stat *st, uint64_t *mnt_id);

/** The same of name in dirfd, never followed ("": dirfd itself). */
int pt_statx_at(int dirfd, const char *name, struct stat *st,
		uint64_t *mnt_id);

/** fstat of the inode itself (never what a symlink points to). */
int pt_stat(const struct pt_inode *ino, struct stat *st);

/**
 * The inode number the guest is shown for (dev, ino). A guest without
 * FUSE_SUBMOUNTS (the host's own FUSE client among them) sees one st_dev
 * for the whole share, where a file on another device than the share's
 * (a btrfs subvolume, a mount inside the share) may have the inode
 * number of another file: such a number is moved to a range of its
 * device's own (pt_attr.c).
 */
uint64_t pt_ino(const struct pt_fs *fs, dev_t dev, uint64_t ino);

/** pt_ino() applied to the attributes st. */
void pt_attr_ino(const struct pt_fs *fs, struct stat *st);

/**
 * Open an inode for I/O through /proc/self/fd. Only regular files and
 * directories: a device node, fifo or socket is refused (ENXIO) and a symlink
 * is ELOOP, so the daemon never opens anything but data.
 */
int pt_reopen(struct pt_fs *fs, const struct pt_inode *ino, int flags,
	      int *fd);

/**
 * Look name up in dirfd (an fd of the directory inode dir, or of the same
 * directory: a directory handle's) without following it, enter it in the
 * inode table as name in dir (dir NULL: the name is not remembered) and
 * fill out (one lookup reference). If held is not NULL it receives a
 * reference to the inode (inode_put() it); else none is kept.
 */
int pt_lookup_fd(struct pt_fs *fs, struct pt_inode *dir, int dirfd,
		 const char *name, struct vfs_entry *out,
		 struct pt_inode **held);

/**
 * Enter the file behind an O_PATH fd (taken over on success), found as
 * at->name in at->dir (at NULL: by no name).
 */
int pt_entry_from_fd(struct pt_fs *fs, int pathfd, const struct inode_at *at,
		     struct vfs_entry *out, struct pt_inode **held);

/**
 * Permission bits for a new file in dir from the guest's mode and umask
 * (the thread runs as the caller again on return).
 */
int pt_create_mode(struct pt_fs *fs, const struct pt_inode *dir,
		   uint32_t mode, uint32_t umask, mode_t *out);

/**
 * Clear set-user-ID, and set-group-ID if group-executable, on the open file
 * fd, or on ino when fd is -1. Regular files only; others are left alone.
 */
int pt_kill_suidgid(struct pt_fs *fs, const struct pt_inode *ino, int fd);

/**
 * Set ctx->secctx, if any, as an xattr (through the xattr map) on the
 * file open as fd. Runs as root; the thread has the caller's ids again
 * on return.
 */
int pt_secctx_set(struct pt_fs *fs, const struct vfs_ctx *ctx, int fd);

/** Bytes of the label (xattr name and value) ctx gives new files, or 0. */
size_t pt_label_size(const struct vfs_ctx *ctx);

/**
 * pt_lookup_fd() of a name just created in dir, labelled with
 * ctx->secctx first when there is one (regular files and directories);
 * if the label cannot be set the new name is removed again.
 */
int pt_secctx_new_entry(struct pt_fs *fs, const struct vfs_ctx *ctx,
			struct pt_inode *dir, const char *name,
			struct vfs_entry *out);

/**
 * With an xattr map that renames security.capability: remove the mapped
 * name from ino (through fd when it is open, else reopened as root), as
 * the host drops the real one on a write, truncate or chown. 0 or the
 * error of getting the caller's ids back.
 */
int pt_drop_mapped_caps(struct pt_fs *fs, const struct pt_inode *ino,
			int fd);

/* Migration (fs/migrate.h): migrate_save.c and migrate_load.c. */
int pt_state_save(struct pt_fs *fs, const struct pt_migrate_opts *o,
		  struct wbuf *b);
int pt_state_load(struct pt_fs *fs, const struct pt_migrate_opts *o,
		  const struct state_view *v);

/* The operations, one family per file. */
void pt_op_forget(void *fs, uint64_t nodeid, uint64_t nlookup);
int pt_op_lookup(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		 const char *name, struct vfs_entry *out);

int pt_op_getattr(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		  const uint64_t *fh, struct stat *out);
int pt_op_setattr(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		  const uint64_t *fh, const struct vfs_setattr *in,
		  struct stat *out);
int pt_op_access(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		 uint32_t mask);
int pt_op_statfs(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		 struct statvfs *out);
int pt_op_readlink(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		   char *buf, size_t size, size_t *len);

int pt_op_symlink(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		  const char *name, const char *target, struct vfs_entry *out);
int pt_op_mknod(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		const char *name, uint32_t mode, uint32_t rdev, uint32_t umask,
		struct vfs_entry *out);
int pt_op_mkdir(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		const char *name, uint32_t mode, uint32_t umask,
		struct vfs_entry *out);
int pt_op_unlink(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		 const char *name);
int pt_op_rmdir(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		const char *name);
int pt_op_rename(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		 const char *name, uint64_t newparent, const char *newname,
		 uint32_t flags);
int pt_op_link(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
	       uint64_t newparent, const char *newname, struct vfs_entry *out);

int pt_op_open(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
	       uint32_t flags, uint64_t *fh);
int pt_op_create(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		 const char *name, uint32_t mode, uint32_t flags,
		 uint32_t umask, struct vfs_entry *out, uint64_t *fh);
int pt_op_read(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
	       uint64_t fh, uint64_t off, const struct iovec *dst,
	       unsigned int cnt, size_t *nread);
int pt_op_write(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, uint64_t off, const struct iovec *src,
		unsigned int cnt, bool kill_priv, size_t *nwritten);
int pt_op_flush(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, uint64_t lock_owner);
int pt_op_release(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		  uint64_t fh);
int pt_op_passthrough(void *fs, uint64_t nodeid, uint64_t fh,
		      int32_t (*attach)(void *arg, int fd),
		      void (*detach)(void *arg, int32_t id), void *arg,
		      int32_t *id);
int pt_op_fsync(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, bool datasync);
int pt_op_fallocate(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		    uint64_t fh, uint32_t mode, uint64_t off, uint64_t len);
int pt_op_lseek(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, uint64_t off, uint32_t whence, uint64_t *result);

int pt_op_opendir(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		  uint32_t flags, uint64_t *fh);
int pt_op_readdir(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		  uint64_t fh, uint64_t off, bool plus, vfs_fill_fn fill,
		  void *arg);
int pt_op_releasedir(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     uint64_t fh);
int pt_op_fsyncdir(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		   uint64_t fh, bool datasync);

/* pt_lock.c: the owners' lock descriptions. */
int pt_locks_new(struct pt_locks **out);
/** Close every owner's description (guest gone); none may be in use. */
void pt_locks_free(struct pt_fs *fs);

/* FUSE passthrough's backing files, one per inode (pt_backing.c). */
int pt_backings_new(struct pt_fs *fs);
void pt_backings_free(struct pt_fs *fs);
/** Drop every owner's locks (a new connection starts with none). */
void pt_locks_clear(struct pt_fs *fs);
/** The guest closed a file of owner's: its locks on nodeid go. */
void pt_locks_drop_owner(struct pt_fs *fs, uint64_t nodeid, uint64_t owner);
/** fh was released: the descriptions first reached through it go. */
void pt_locks_drop_handle(struct pt_fs *fs, uint64_t nodeid, uint64_t fh);
/**
 * fn on every lock description's fd until it returns non-zero, which is
 * returned (a migration looks for locks held; fn makes no lock call).
 */
int pt_locks_each_fd(struct pt_fs *fs, int (*fn)(void *arg, int fd),
		     void *arg);

int pt_op_getlk(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, uint64_t owner, struct vfs_lock *lk);
int pt_op_setlk(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, uint64_t owner, const struct vfs_lock *lk,
		bool wait);
int pt_op_flock(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, uint32_t type, bool wait);

int pt_op_copy_file_range(void *fs, const struct vfs_ctx *ctx,
			  uint64_t nodeid_in, uint64_t fh_in, uint64_t off_in,
			  uint64_t nodeid_out, uint64_t fh_out,
			  uint64_t off_out, uint64_t len, uint64_t *copied);
int pt_op_syncfs(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid);
int pt_op_tmpfile(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		  uint32_t mode, uint32_t flags, uint32_t umask,
		  struct vfs_entry *out, uint64_t *fh);

int pt_op_setxattr(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		   const char *name, const void *value, size_t size,
		   uint32_t flags);
int pt_op_getxattr(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		   const char *name, void *buf, size_t size, size_t *len);
int pt_op_listxattr(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		    char *buf, size_t size, size_t *len);
int pt_op_removexattr(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		      const char *name);

#endif
