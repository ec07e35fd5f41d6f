/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LOOKUP and FORGET: how host files become nodeids and stop being them.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fs/pt_internal.h"

int pt_entry_from_fd(struct pt_fs *fs, int pathfd, struct vfs_entry *out,
		     struct pt_inode **held)
{
	struct pt_inode *ino;
	struct stat st;
	int err;

	if (fstatat(pathfd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return errno;
	err = inode_insert(&fs->inodes, pathfd, &st, &ino);
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
out:
	inode_put(&fs->inodes, dir);
	return err;
}

void pt_op_forget(void *opaque, uint64_t nodeid, uint64_t nlookup)
{
	struct pt_fs *fs = opaque;

	inode_forget(&fs->inodes, nodeid, nlookup);
}
