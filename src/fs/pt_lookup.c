/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LOOKUP and FORGET: how host files become nodeids and stop being them.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs/pt_internal.h"

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
	struct statx x;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
		  STATX_BASIC_STATS | STATX_MNT_ID, &x))
		return errno;
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
	*mnt_id = (x.stx_mask & STATX_MNT_ID) ? x.stx_mnt_id : 0;
	return 0;
}

int pt_entry_from_fd(struct pt_fs *fs, int pathfd, struct vfs_entry *out,
		     struct pt_inode **held)
{
	struct pt_inode *ino;
	uint64_t mnt_id = 0;
	struct stat st;
	int err;

	if (fs->inodes.fh_mode == INODE_FH_NEVER) {
		if (fstatat(pathfd, "", &st,
			    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			return errno;
	} else {
		err = pt_statx(pathfd, &st, &mnt_id);
		if (err)
			return err;
	}
	err = inode_insert(&fs->inodes, pathfd, &st, mnt_id, &ino);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	out->nodeid = ino->nodeid;
	out->generation = 0;
	out->attr = st;
	if (held)
		*held = ino;
	else
		inode_put(&fs->inodes, ino);
	return 0;
}

int pt_lookup_fd(struct pt_fs *fs, int dirfd, const char *name,
		 struct vfs_entry *out, struct pt_inode **held)
{
	int fd, err;

	/* O_NOFOLLOW: a symlink is looked up as itself, never through. */
	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && inode_out_of_fds(errno) &&
	    inode_shed(&fs->inodes, PT_SHED_FDS))
		fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno;
	err = pt_entry_from_fd(fs, fd, out, held);
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

	if (!name || !name[0] || strchr(name, '/'))
		return EINVAL;
	err = pt_enter(ctx);
	if (err)
		return err;
	err = pt_inode_get(fs, parent, &dir);
	if (err)
		return err;
	if (!S_ISDIR(dir->type)) {
		err = ENOTDIR;
		goto out;
	}
	/*
	 * ".." is asked for by NFS export (the parent of a directory); at the
	 * root it must stay at the root, or the guest walks out of the share.
	 * The root's (dev, ino) always maps to the pinned root inode, so
	 * comparing the inode is enough to know we are at the top.
	 */
	if (!strcmp(name, "..") && dir == fs->root)
		what = ".";
	err = pt_lookup_fd(fs, dir->fd, what, out, NULL);
	/* "." and ".." lead to a directory the guest already placed. */
	if (!err && strcmp(name, ".") && strcmp(name, ".."))
		out->submount = S_ISDIR(out->attr.st_mode) &&
				out->attr.st_dev != dir->dev;
out:
	inode_put(&fs->inodes, dir);
	return err;
}

void pt_op_forget(void *opaque, uint64_t nodeid, uint64_t nlookup)
{
	struct pt_fs *fs = opaque;

	inode_forget(&fs->inodes, nodeid, nlookup);
}
