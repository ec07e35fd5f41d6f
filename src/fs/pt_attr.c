/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GETATTR, SETATTR, ACCESS, STATFS and READLINK: operations on an inode
 * that need no open file of the guest's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/pt_internal.h"

/*
 * The inode numbers of a device other than the share's take its own range:
 * the top 32 bits are a mix of the device number, with the highest bit
 * set, so they never meet the numbers of the share's device below 2^63
 * (ext4's are 32-bit, XFS's and btrfs's far below), and the numbers of
 * two devices meet only if their mixes do (2^-31 per pair of devices).
 * The same file keeps its number while the device does (for the daemon's
 * life: a btrfs subvolume's anonymous device may change at a remount,
 * as the FUSE mount's own st_dev does), and hard links keep one number.
 */
uint64_t pt_ino(const struct pt_fs *fs, dev_t dev, uint64_t ino)
{
	uint64_t m = (uint64_t)dev * 0x9e3779b97f4a7c15ULL;

	if (dev == fs->root->dev || atomic_load(&fs->submounts))
		return ino;
	m ^= m >> 29;
	return ino ^ ((uint64_t)((uint32_t)(m >> 32) | 0x80000000u) << 32);
}

void pt_attr_ino(const struct pt_fs *fs, struct stat *st)
{
	st->st_ino = (ino_t)pt_ino(fs, st->st_dev, st->st_ino);
}

int pt_op_getattr(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		  const uint64_t *fh, struct stat *out)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	struct stat st;
	int err;

	/* The inode's own fd answers for any fh the guest may name. */
	(void)ctx;
	(void)fh;
	err = pt_req_inode(fs, nodeid, &ino);
	if (!err)
		err = pt_stat(ino, &st);
	if (!err) {
		pt_attr_ino(fs, &st);
		*out = st;
	}
	return err;
}

/* The guest's open file if it named one, else -1; EBADF if it is unknown. */
static int setattr_handle(struct pt_fs *fs, const uint64_t *fh,
			  struct pt_handle **h)
{
	*h = NULL;
	if (!fh)
		return 0;
	*h = handle_get(&fs->handles, *fh, HANDLE_FILE);
	return *h ? 0 : -EBADF;
}

static int chmod_inode(struct pt_fs *fs, struct pt_inode *ino,
		       struct pt_handle *h, mode_t mode)
{
	struct pt_fdname n;

	if (h)
		return fchmod(h->fd, mode) ? -errno : 0;
	pt_fd_name(ino->fd, &n);
	return fchmodat(fs->proc_fd, n.s, mode, 0) ? -errno : 0;
}

/*
 * Set-group-ID in the mode a chmod(2) sets is the guest kernel's decision:
 * it drops the bit for an owner outside the file's group by groups the
 * host does not see (setattr_prepare()), which the host, seeing the
 * primary group alone, would drop silently. Another user's SETATTR is the
 * clearing a write of theirs asks for (a guest without killpriv_v2), which
 * the guest computes by older rules than the host's (it keeps the bit of
 * a file that is not group-executable): there the host's rules for that
 * writer decide, as on a local filesystem.
 */
static bool chmod_by_owner(const struct pt_inode *ino)
{
	uint32_t uid, gid;
	struct stat st;

	return !pt_stat(ino, &st) && creds_current(&uid, &gid) &&
	       st.st_uid == uid;
}

static int set_mode(struct pt_fs *fs, struct pt_inode *ino,
		    struct pt_handle *h, uint32_t mode)
{
	bool keep_sgid;
	int err;

	/* Linux has no symlink modes; the proc path would follow it. */
	if (S_ISLNK(ino->type))
		return -EOPNOTSUPP;
	mode = pt_policy_mode(&fs->policy, ino->type, mode);
	keep_sgid = (mode & S_ISGID) && chmod_by_owner(ino) &&
		    creds_borrow(CREDS_CAP(CAP_FSETID));
	/* Not the owner: a write's clearing of set-user-ID (ATTR_FORCE). */
	err = PT_GUEST_ALLOWED_ERR(PT_CAPS_OWNER,
				   chmod_inode(fs, ino, h, (mode_t)mode));
	if (keep_sgid)
		creds_return();
	return err;
}

/*
 * With nosuid a chown must not leave set-user-ID behind. The host keeps it
 * when root changes the owner, so the outcome would depend on who asked.
 */
static int nosuid_after_chown(struct pt_fs *fs, struct pt_inode *ino)
{
	struct pt_fdname n;
	struct stat st;
	mode_t mode;
	int err;

	if (!fs->policy.nosuid || S_ISLNK(ino->type))
		return 0;
	err = pt_stat(ino, &st);
	if (err)
		return err;
	mode = pt_policy_mode(&fs->policy, st.st_mode & S_IFMT, st.st_mode);
	if (mode == (st.st_mode & 07777))
		return 0;
	pt_fd_name(ino->fd, &n);
	if (fchmodat(fs->proc_fd, n.s, mode, 0))
		return -errno;
	return 0;
}

static int set_owner(struct pt_inode *ino, const struct vfs_setattr *in)
{
	uid_t uid = (in->valid & VFS_SET_UID) ? in->uid : (uid_t)-1;
	gid_t gid = (in->valid & VFS_SET_GID) ? in->gid : (gid_t)-1;

	/* A chgrp to one of the owner's supplementary groups. */
	return PT_GUEST_ALLOWED(CREDS_CAP(CAP_CHOWN),
				fchownat(ino->fd, "", uid, gid,
					 AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW));
}

static int set_size(struct pt_fs *fs, struct pt_inode *ino,
		    struct pt_handle *h, uint64_t size)
{
	int fd, err;

	if (size > INT64_MAX)
		return -EINVAL;
	if (h) {
		if (ftruncate(h->fd, (off_t)size))
			return -errno;
		return 0;
	}
	if (S_ISDIR(ino->type))
		return -EISDIR;
	if (!S_ISREG(ino->type))
		return -EINVAL;
	err = pt_reopen(fs, ino, O_WRONLY, &fd);
	if (err)
		return err;
	err = ftruncate(fd, (off_t)size) ? -errno : 0;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static int guest_time(uint32_t valid, uint32_t set, uint32_t now,
		      const struct timespec *t, struct timespec *ts)
{
	if (valid & now) {
		ts->tv_sec = 0;
		ts->tv_nsec = UTIME_NOW;
	} else if (valid & set) {
		/*
		 * UTIME_NOW and UTIME_OMIT are nanosecond values: a guest could
		 * smuggle "now" past the ownership check without this.
		 */
		if (t->tv_nsec < 0 || t->tv_nsec >= 1000000000L)
			return -EINVAL;
		*ts = *t;
	} else {
		ts->tv_sec = 0;
		ts->tv_nsec = UTIME_OMIT;
	}
	return 0;
}

static int set_times(struct pt_inode *ino, struct pt_handle *h,
		     const struct vfs_setattr *in)
{
	struct timespec ts[2];
	int err;

	err = guest_time(in->valid, VFS_SET_ATIME, VFS_SET_ATIME_NOW,
			 &in->atime, &ts[0]);
	if (!err)
		err = guest_time(in->valid, VFS_SET_MTIME, VFS_SET_MTIME_NOW,
				 &in->mtime, &ts[1]);
	if (err)
		return err;
	/* "now" by a writer through a group, or an ACL entry. */
	if (h)
		return PT_GUEST_ALLOWED(PT_CAPS_DAC, futimens(h->fd, ts));
	/* The inode itself, symlink or not: no path is resolved. */
	return PT_GUEST_ALLOWED(PT_CAPS_DAC,
				utimensat(ino->fd, "", ts,
					  AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW));
}

static int do_setattr(struct pt_fs *fs, struct pt_inode *ino,
		      struct pt_handle *h, const struct vfs_setattr *in)
{
	int err;

	if (in->valid & VFS_SET_MODE) {
		err = set_mode(fs, ino, h, in->mode);
		if (err)
			return err;
	}
	if (in->valid & (VFS_SET_UID | VFS_SET_GID)) {
		err = set_owner(ino, in);
		if (!err)
			err = nosuid_after_chown(fs, ino);
		if (err)
			return err;
	}
	if (in->valid & VFS_SET_SIZE) {
		err = set_size(fs, ino, h, in->size);
		if (err)
			return err;
	}
	if (in->valid & (VFS_SET_ATIME | VFS_SET_MTIME | VFS_SET_ATIME_NOW |
			 VFS_SET_MTIME_NOW)) {
		err = set_times(ino, h, in);
		if (err)
			return err;
	}
	/*
	 * The guest asks us to drop privileges it may have lost (killpriv_v2);
	 * when running as root the host kernel would keep them.
	 */
	if ((in->valid & VFS_SET_KILL_SUIDGID) && !(in->valid & VFS_SET_MODE) &&
	    (in->valid & (VFS_SET_SIZE | VFS_SET_UID | VFS_SET_GID))) {
		err = pt_kill_suidgid(fs, ino, h ? h->fd : -1);
		/* Not the owner: no CAP_FSETID either, the host cleared them. */
		if (err && err != -EPERM)
			return err;
	}
	if (in->valid & (VFS_SET_SIZE | VFS_SET_UID | VFS_SET_GID))
		return pt_drop_mapped_caps(fs, ino, h ? h->fd : -1);
	return 0;
}

int pt_op_setattr(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		  const uint64_t *fh, const struct vfs_setattr *in,
		  struct stat *out)
{
	struct pt_fs *fs = opaque;
	struct pt_handle *h;
	struct pt_inode *ino;
	struct stat st;
	int err;

	(void)ctx;
	err = pt_policy_modify(&fs->policy);
	if (err)
		return err;
	err = pt_req_inode(fs, nodeid, &ino);
	if (!err)
		err = setattr_handle(fs, fh, &h);
	if (err)
		return err;
	err = do_setattr(fs, ino, h, in);
	if (!err)
		err = pt_stat(ino, &st);
	handle_put(&fs->handles, h);
	if (!err) {
		pt_attr_ino(fs, &st);
		*out = st;
	}
	return err;
}

int pt_op_access(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		 uint32_t mask)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	int err;

	(void)ctx;
	if (mask & ~(uint32_t)(R_OK | W_OK | X_OK))
		return -EINVAL;
	err = pt_req_inode(fs, nodeid, &ino);
	if (err)
		return err;
	/*
	 * AT_EACCESS: without it the kernel checks the real uid, which stays 0
	 * on every worker, and every access would be granted.
	 */
	if (faccessat(ino->fd, "", (int)mask, AT_EACCESS | AT_EMPTY_PATH |
		      AT_SYMLINK_NOFOLLOW))
		return -errno;
	return 0;
}

int pt_op_statfs(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		 struct statvfs *out)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	struct statvfs sv;
	int err;

	(void)ctx;
	err = pt_req_inode(fs, nodeid, &ino);
	if (err)
		return err;
	if (fstatvfs(ino->fd, &sv))
		return -errno;
	pt_policy_statfs(&fs->policy, &sv);
	*out = sv;
	return 0;
}

int pt_op_readlink(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		   char *buf, size_t size, size_t *len)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	ssize_t n;
	int err;

	(void)ctx;
	err = pt_req_inode(fs, nodeid, &ino);
	if (err)
		return err;
	if (!S_ISLNK(ino->type))
		return -EINVAL;
	n = readlinkat(ino->fd, "", buf, size);
	if (n < 0)
		return -errno;
	*len = (size_t)n;
	return 0;
}
