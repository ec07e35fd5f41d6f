/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LOOKUP and FORGET: how host files become nodeids and stop being them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs/pt_internal.h"
#include "policy/creds.h"

static struct timespec ts_of(const struct statx_timestamp *t)
{
	return (struct timespec){ .tv_sec = t->tv_sec, .tv_nsec = t->tv_nsec };
}

/*
 * One call for both: with file handles on, the mount is part of the inode's
 * key. A kernel before 5.8 cannot tell the mount; lookups then take no
 * handle (their mount id never matches the handle's).
 */
int pt_statx(int fd, struct stat *st, uint64_t *mnt_id)
{
	return pt_statx_at(fd, "", st, mnt_id);
}

int pt_statx_at(int dirfd, const char *name, struct stat *st,
		uint64_t *mnt_id)
{
	int flags = AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH);
	struct statx x;

	if (statx(dirfd, name, flags, STATX_BASIC_STATS | STATX_MNT_ID, &x))
		return -errno;
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(x.stx_dev_major, x.stx_dev_minor);
	st->st_ino = x.stx_ino;
	st->st_mode = x.stx_mode;
	st->st_nlink = x.stx_nlink;
	st->st_uid = x.stx_uid;
	st->st_gid = x.stx_gid;
	st->st_rdev = makedev(x.stx_rdev_major, x.stx_rdev_minor);
	st->st_size = (off_t)x.stx_size;
	st->st_blksize = (blksize_t)x.stx_blksize;
	st->st_blocks = (blkcnt_t)x.stx_blocks;
	st->st_atim = ts_of(&x.stx_atime);
	st->st_mtim = ts_of(&x.stx_mtime);
	st->st_ctim = ts_of(&x.stx_ctime);
	/* The old mount id is an int; a larger one counts as unknown. */
	*mnt_id = (x.stx_mask & STATX_MNT_ID) && x.stx_mnt_id <= UINT32_MAX ?
			  x.stx_mnt_id :
			  0;
	return 0;
}

int pt_entry_from_fd(struct pt_fs *fs, int pathfd, const struct inode_at *at,
		     struct vfs_entry *out, struct pt_inode **held)
{
	struct pt_inode *ino;
	uint64_t mnt_id = 0;
	struct stat st;
	int err;

	if (fs->inodes.reopen != INODE_BY_HANDLE) {
		if (fstatat(pathfd, "", &st,
			    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			return -errno;
	} else {
		err = pt_statx(pathfd, &st, &mnt_id);
		if (err)
			return err;
	}
	err = inode_insert_at(&fs->inodes, pathfd, &st, mnt_id, at, &ino);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	out->nodeid = ino->nodeid;
	out->generation = 0;
	out->attr = st;
	pt_attr_ino(fs, &out->attr);
	if (held)
		*held = ino;
	else
		inode_put(&fs->inodes, ino);
	return 0;
}

/*
 * O_NOFOLLOW: a symlink is looked up as itself, never through. The guest
 * kernel checked the search permission on dirfd (a group of the caller's
 * the host does not see may grant it).
 */
static int open_path(struct pt_fs *fs, int dirfd, const char *name, int *fd)
{
	int err;

	err = PT_GUEST_ALLOWED(PT_CAPS_DAC,
			       *fd = openat(dirfd, name,
					    O_PATH | O_NOFOLLOW | O_CLOEXEC));
	if (err && inode_out_of_fds(err) &&
	    inode_shed(&fs->inodes, PT_SHED_FDS))
		err = PT_GUEST_ALLOWED(PT_CAPS_DAC,
				       *fd = openat(dirfd, name,
						    O_PATH | O_NOFOLLOW |
							    O_CLOEXEC));
	return err ? inode_fd_error(&fs->inodes, err) : 0;
}

int pt_lookup_fd(struct pt_fs *fs, struct pt_inode *dir, int dirfd,
		 const char *name, struct vfs_entry *out,
		 struct pt_inode **held)
{
	const struct inode_at at = { dir, name };
	int fd, err;

	err = open_path(fs, dirfd, name, &fd);
	if (err)
		return err;
	err = pt_entry_from_fd(fs, fd, &at, out, held);
	if (err)
		close(fd);
	return err;
}

/*
 * A path inside the share that the guest could name is at most PATH_MAX
 * bytes, so at most PATH_MAX / 2 directories deep ("a/a/..."): a walk up
 * that is longer has left the share, or never reaches its root in time.
 */
#define PT_MAX_DEPTH (PATH_MAX / 2)

/*
 * Is the directory fd inside the share: does walking ".." up from it reach
 * the share's root before the top of its tree (where ".." is itself)? 0, or
 * ENOENT for a directory outside; the kernel answers ENOENT itself for a
 * directory moved out of the share when the share is a mount of its own
 * (policy/mounts.h). Runs as root: the walk needs search permission on
 * every directory above fd, whoever asked.
 */
static int inside_share(struct pt_fs *fs, int fd)
{
	dev_t dev = 0;
	ino_t ino = 0;
	int cur = fd, up, err = -ENOENT;
	struct stat st;

	for (unsigned int depth = 0; depth <= PT_MAX_DEPTH; depth++) {
		if (fstatat(cur, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
			err = -errno;
			break;
		}
		if (st.st_dev == fs->root->dev && st.st_ino == fs->root->ino) {
			err = 0;
			break;
		}
		/* The top of the host's tree: the share was not above. */
		if (depth && st.st_dev == dev && st.st_ino == ino)
			break;
		dev = st.st_dev;
		ino = st.st_ino;
		up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0) {
			err = -errno;
			break;
		}
		if (cur != fd)
			close(cur);
		cur = up;
	}
	if (cur != fd)
		close(cur);
	return err;
}

/*
 * LOOKUP ".." of a directory other than the root: its parent, only if
 * that is inside the share. A directory the host moved out of the share
 * (the guest keeps its nodeid) is not a door to the host's tree: its ".."
 * is ENOENT, as from QEMU's virtiofsd.
 */
static int lookup_parent(struct pt_fs *fs, const struct pt_inode *dir,
			 struct vfs_entry *out)
{
	struct creds_saved saved;
	int fd, err, back;

	err = open_path(fs, dir->fd, "..", &fd);
	if (err)
		return err;
	err = creds_daemon_begin(&saved);
	if (err) {
		close(fd);
		return err;
	}
	err = inside_share(fs, fd);
	/* Back to the caller whatever happened: nothing runs as root. */
	back = creds_daemon_end(&saved);
	if (!err)
		err = back;
	if (!err)
		err = pt_entry_from_fd(fs, fd, NULL, out, NULL);
	if (err)
		close(fd);
	return err;
}

int pt_op_lookup(void *opaque, const struct vfs_ctx *ctx, uint64_t parent,
		 const char *name, struct vfs_entry *out)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *dir;
	const char *what = name;
	int err;

	(void)ctx;
	if (!name || !name[0] || strchr(name, '/'))
		return -EINVAL;
	err = pt_req_dir(fs, parent, &dir);
	if (err)
		return err;
	/*
	 * ".." is asked for by NFS export (the parent of a directory); at the
	 * root it must stay at the root, or the guest walks out of the share.
	 * The root's (dev, ino) always maps to the pinned root inode, so
	 * comparing the inode is enough to know we are at the top.
	 */
	if (!strcmp(name, "..") && dir == fs->root)
		what = ".";
	if (!strcmp(what, ".."))
		err = lookup_parent(fs, dir, out);
	else
		/* "." is dir itself: it keeps the name it has. */
		err = pt_lookup_fd(fs, strcmp(what, ".") ? dir : NULL, dir->fd,
				   what, out, NULL);
	/* "." and ".." lead to a directory the guest already placed. */
	if (!err && strcmp(name, ".") && strcmp(name, ".."))
		out->submount = S_ISDIR(out->attr.st_mode) &&
				out->attr.st_dev != dir->dev;
	return err;
}

void pt_op_forget(void *opaque, uint64_t nodeid, uint64_t nlookup)
{
	struct pt_fs *fs = opaque;

	inode_forget(&fs->inodes, nodeid, nlookup);
}
