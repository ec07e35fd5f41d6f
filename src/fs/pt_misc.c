/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * COPY_FILE_RANGE, SYNCFS and TMPFILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/pt_internal.h"
#include "policy/creds.h"

int pt_op_copy_file_range(void *opaque, const struct vfs_ctx *ctx,
			  uint64_t nodeid_in, uint64_t fh_in, uint64_t off_in,
			  uint64_t nodeid_out, uint64_t fh_out,
			  uint64_t off_out, uint64_t len, uint64_t *copied)
{
	struct pt_fs *fs = opaque;
	struct pt_handle *in, *out;
	struct pt_charge c;
	loff_t oi = (loff_t)off_in, oo = (loff_t)off_out;
	ssize_t n;
	int err;

	(void)ctx;
	(void)nodeid_in;
	(void)nodeid_out;
	in = handle_get(&fs->handles, fh_in, HANDLE_FILE);
	if (!in)
		return -EBADF;
	out = handle_get(&fs->handles, fh_out, HANDLE_FILE);
	if (!out) {
		handle_put(&fs->handles, in);
		return -EBADF;
	}
	/*
	 * The host checks the fds' modes, overlapping ranges within one
	 * file and the caller's limits, and drops set-user-ID on the target
	 * as a write would.
	 */
	err = pt_policy_write(&fs->policy, out->fd, off_out, len, &c);
	n = err ? 0 : copy_file_range(in->fd, &oi, out->fd, &oo, (size_t)len, 0);
	if (n < 0)
		err = -errno;
	else if (!err)
		*copied = (uint64_t)n;
	pt_policy_done(&fs->policy, &c);
	handle_put(&fs->handles, out);
	handle_put(&fs->handles, in);
	return err;
}

int pt_op_syncfs(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid)
{
	struct pt_fs *fs = opaque;
	struct creds_saved saved;
	int fd, err, back;

	(void)ctx;
	(void)nodeid;
	/*
	 * Whatever inode the guest names, the filesystem to sync is the
	 * share's; syncfs() takes no O_PATH fd, so the root is reopened.
	 * Syncing needs no rights of the caller's.
	 */
	err = creds_daemon_begin(&saved);
	if (err)
		return err;
	err = pt_reopen(fs, fs->root, O_RDONLY | O_DIRECTORY, &fd);
	back = creds_daemon_end(&saved);
	if (!err) {
		if (syncfs(fd))
			err = -errno;
		close(fd);
	}
	return err ? err : back;
}

/* The O_TMPFILE flags a guest may pass on: access mode and data flags. */
#define PT_TMPFILE_FLAGS (O_ACCMODE | O_DSYNC | O_SYNC | O_NOATIME | O_EXCL)

int pt_op_tmpfile(void *opaque, const struct vfs_ctx *ctx, uint64_t parent,
		  uint32_t mode, uint32_t flags, uint32_t umask,
		  struct vfs_entry *out, uint64_t *fh)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *dir;
	struct pt_fdname n;
	struct pt_charge c;
	int fd, pathfd, oflags, err;
	mode_t perm;

	oflags = (int)(flags & PT_TMPFILE_FLAGS);
	if ((oflags & O_ACCMODE) == O_RDONLY || (oflags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (!S_ISREG(mode) && (mode & S_IFMT))
		return -EINVAL;
	err = pt_req_dir(fs, parent, &dir);
	if (err)
		return err;
	err = pt_policy_create(&fs->policy, 0, pt_label_size(ctx), &c);
	if (!err)
		err = pt_create_mode(fs, dir, mode, umask, &perm);
	/* "." of the directory's O_PATH fd: created in it, as the caller. */
	fd = -1;
	if (!err)
		err = PT_GUEST_ALLOWED(PT_CAPS_DAC,
				       fd = openat(dir->fd, ".",
						   oflags | O_TMPFILE |
							   O_CLOEXEC,
						   pt_policy_mode(&fs->policy,
								  S_IFREG,
								  perm)));
	/* Unnamed until linked: labelled before anyone can see it. */
	if (!err)
		err = pt_secctx_set(fs, ctx, fd);
	pt_policy_done(&fs->policy, &c);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	/* The inode's own O_PATH fd, through the link of the open one. */
	pt_fd_name(fd, &n);
	pathfd = openat(fs->proc_fd, n.s, O_PATH | O_CLOEXEC);
	if (pathfd < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	/* Nameless until the guest links it: its fd stays open till then. */
	err = pt_entry_from_fd(fs, pathfd, NULL, out, NULL);
	if (err) {
		close(pathfd);
		close(fd);
		return err;
	}
	err = handle_new(&fs->handles, fd, HANDLE_FILE, fh);
	if (err) {
		close(fd);
		pt_op_forget(fs, out->nodeid, 1);
	} else {
		inode_opened(&fs->inodes, out->nodeid);
	}
	return err;
}
