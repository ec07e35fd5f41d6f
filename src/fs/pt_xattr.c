// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Extended attributes. An inode is held as an O_PATH fd, on which the
 * f*xattr calls fail (EBADF), and the path forms would need the /proc link
 * as a path, which follows a symlink. So regular files and directories are
 * reopened through /proc/self/fd; everything else is kept out (see
 * xattr_fd()).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/pt_internal.h"
#include "policy/creds.h"

/*
 * An fd to run f*xattr on, as the caller; -1 with ENOTSUP-like outcome in
 * *skip for inodes that have none. The reopen itself runs as root: the fd
 * only carries the inode, and the xattr calls check the caller's rights on
 * that inode (read for get/list, write or ownership for set/remove) no
 * matter how the fd was opened, so a user may set an attribute on a file
 * it can write but not read, as on the host.
 */
static int xattr_fd(struct pt_fs *fs, const struct vfs_ctx *ctx,
		    const struct pt_inode *ino, int *fd, bool *skip)
{
	int err;

	*skip = false;
	/*
	 * A symlink's attributes would be reached only by following it, and
	 * a device node or fifo is never opened: neither is offered.
	 */
	if (!S_ISREG(ino->type) && !S_ISDIR(ino->type)) {
		*skip = true;
		return pt_enter(ctx);
	}
	err = creds_reset();
	if (!err)
		err = pt_reopen(fs, ino, O_RDONLY | O_NONBLOCK, fd);
	if (err)
		return err;
	err = pt_enter(ctx);
	if (err)
		close(*fd);
	return err;
}

/* Look nodeid up and open it for xattrs; on success put both after use. */
static int xattr_begin(struct pt_fs *fs, const struct vfs_ctx *ctx,
		       uint64_t nodeid, struct pt_inode **ino, int *fd,
		       bool *skip)
{
	int err = pt_inode_get(fs, nodeid, ino);

	*fd = -1;
	if (err)
		return err;
	err = xattr_fd(fs, ctx, *ino, fd, skip);
	if (err)
		inode_put(&fs->inodes, *ino);
	return err;
}

static void xattr_end(struct pt_fs *fs, struct pt_inode *ino, int fd)
{
	if (fd >= 0)
		close(fd);
	inode_put(&fs->inodes, ino);
}

int pt_op_setxattr(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		   const char *name, const void *value, size_t size,
		   uint32_t flags)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	bool skip;
	int fd, err;

	err = pt_policy_setxattr(&fs->policy, name);
	if (err)
		return err;
	err = xattr_begin(fs, ctx, nodeid, &ino, &fd, &skip);
	if (err)
		return err;
	if (skip)
		err = EPERM;
	else if (fsetxattr(fd, name, value, size, (int)flags))
		err = errno;
	xattr_end(fs, ino, fd);
	return err;
}

int pt_op_getxattr(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		   const char *name, void *buf, size_t size, size_t *len)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	ssize_t n = 0;
	bool skip;
	int fd, err;

	err = xattr_begin(fs, ctx, nodeid, &ino, &fd, &skip);
	if (err)
		return err;
	if (skip)
		err = ENODATA;
	else if ((n = fgetxattr(fd, name, size ? buf : NULL, size)) < 0)
		err = errno;
	xattr_end(fs, ino, fd);
	if (!err)
		*len = (size_t)n;
	return err;
}

int pt_op_listxattr(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		    char *buf, size_t size, size_t *len)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	ssize_t n = 0;
	bool skip;
	int fd, err;

	err = xattr_begin(fs, ctx, nodeid, &ino, &fd, &skip);
	if (err)
		return err;
	/* An inode whose attributes are not offered lists none. */
	if (!skip && (n = flistxattr(fd, size ? buf : NULL, size)) < 0)
		err = errno;
	xattr_end(fs, ino, fd);
	if (!err)
		*len = (size_t)n;
	return err;
}

int pt_op_removexattr(void *opaque, const struct vfs_ctx *ctx,
		      uint64_t nodeid, const char *name)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	bool skip;
	int fd, err;

	err = pt_policy_modify(&fs->policy);
	if (err)
		return err;
	err = xattr_begin(fs, ctx, nodeid, &ino, &fd, &skip);
	if (err)
		return err;
	if (skip)
		err = EPERM;
	else if (fremovexattr(fd, name))
		err = errno;
	xattr_end(fs, ino, fd);
	return err;
}
