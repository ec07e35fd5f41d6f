/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Regular files: OPEN, CREATE and the operations on an open fh.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/pt_internal.h"

/*
 * The open(2) flags a guest may pass on. Everything else is dropped: O_CREAT
 * and O_EXCL (the kernel strips them, a hostile guest may not), O_NOFOLLOW
 * (the proc link is followed on purpose), O_PATH, O_TMPFILE, O_DIRECTORY,
 * O_NOCTTY and O_CLOEXEC, which is always ours to set.
 */
#define PT_OPEN_FLAGS                                                     \
	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT | \
	 O_NOATIME | O_LARGEFILE | O_TRUNC)

static int open_flags(struct pt_fs *fs, uint32_t guest, int *flags)
{
	int f = (int)(guest & PT_OPEN_FLAGS);

	if ((f & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	/*
	 * With writeback caching the guest kernel reads pages to fill partial
	 * writes, and appends at the size it knows itself.
	 */
	if (atomic_load(&fs->writeback)) {
		if ((f & O_ACCMODE) == O_WRONLY)
			f = (f & ~O_ACCMODE) | O_RDWR;
		f &= ~O_APPEND;
	}
	*flags = f;
	return 0;
}

/*
 * FUSE_OPEN_KILL_SUIDGID: the host drops the bits itself on O_TRUNC when
 * the thread has no CAP_FSETID, but a guest root may have given that up
 * while the daemon, running as root, still holds it.
 */
static int open_kill_priv(struct pt_fs *fs, uint32_t flags, int fd)
{
	int err;

	if (!(flags & VFS_OPEN_KILL_SUIDGID))
		return 0;
	err = pt_kill_suidgid(fs, NULL, fd);
	/* Not the owner: no CAP_FSETID either, the truncate cleared them. */
	return err == -EPERM ? 0 : err;
}

int pt_op_open(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
	       uint32_t flags, uint64_t *fh)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	int fd, oflags, err;

	(void)ctx;
	err = open_flags(fs, flags, &oflags);
	if (!err)
		err = pt_policy_open(&fs->policy, oflags);
	if (err)
		return err;
	err = pt_req_inode(fs, nodeid, &ino);
	if (err)
		return err;
	if (S_ISDIR(ino->type))
		return -EISDIR;
	err = pt_reopen(fs, ino, oflags, &fd);
	if (err)
		return err;
	err = open_kill_priv(fs, flags, fd);
	if (!err && (oflags & O_TRUNC))
		err = pt_drop_mapped_caps(fs, ino, fd);
	if (!err)
		err = handle_new(&fs->handles, fd, HANDLE_FILE, fh);
	if (err)
		close(fd);
	else
		inode_opened(&fs->inodes, nodeid);
	return err;
}

/*
 * An existing name without O_EXCL: open it like OPEN would, data only.
 * *held: a reference to its inode on success.
 */
static int create_existing(struct pt_fs *fs, struct pt_inode *dir,
			   const char *name, int oflags, struct vfs_entry *out,
			   int *fd, struct pt_inode **held)
{
	struct pt_inode *ino;
	struct vfs_entry e;
	int err;

	err = pt_lookup_fd(fs, dir, dir->fd, name, &e, &ino);
	if (err)
		return err;
	if (S_ISDIR(ino->type))
		err = -EISDIR;
	else
		err = pt_reopen(fs, ino, oflags, fd);
	if (err) {
		inode_unlookup(&fs->inodes, ino);
		inode_put(&fs->inodes, ino);
		return err;
	}
	*out = e;
	*held = ino;
	return 0;
}

/*
 * A file we just created as name in dir: enter the inode behind the fd
 * (*held: a reference to it).
 */
static int create_new(struct pt_fs *fs, struct pt_inode *dir,
		      const char *name, int fd, struct vfs_entry *out,
		      struct pt_inode **held)
{
	const struct inode_at at = { dir, name };
	struct pt_fdname n;
	int pathfd, err;

	/*
	 * Through the fd, not the name: the name may already be something
	 * else, the open file cannot.
	 */
	pt_fd_name(fd, &n);
	pathfd = openat(fs->proc_fd, n.s, O_PATH | O_CLOEXEC);
	if (pathfd < 0)
		return -errno;
	err = pt_entry_from_fd(fs, pathfd, &at, out, held);
	if (err)
		close(pathfd);
	return err;
}

/* A write or truncate drops file capabilities, also under a mapped name. */
static int write_drop_caps(struct pt_fs *fs, uint64_t nodeid, int fd)
{
	struct pt_inode *ino;

	/* The fh alone names the file: an unknown nodeid changes nothing. */
	if (pt_req_inode(fs, nodeid, &ino))
		return 0;
	return pt_drop_mapped_caps(fs, ino, fd);
}

/*
 * The same for a WRITE, once per handle: after the first write removed
 * them, only a SETXATTR of the mapped name can bring them back.
 */
static int write_handle_drop_caps(struct pt_fs *fs, uint64_t nodeid,
				  struct pt_handle *h)
{
	unsigned int gen = atomic_load(&fs->caps_gen) + 1;
	int err;

	if (atomic_load(&h->caps_seen) == gen)
		return 0;
	err = write_drop_caps(fs, nodeid, h->fd);
	if (!err)
		atomic_store(&h->caps_seen, gen);
	return err;
}

/*
 * A new file with the guest's security label: created unnamed, labelled,
 * then linked under name, so that nobody ever sees it without the label.
 * EEXIST when name exists; EOPNOTSUPP when the host has no O_TMPFILE.
 */
static int create_labelled(struct pt_fs *fs, const struct vfs_ctx *ctx,
			   struct pt_inode *dir, const char *name, int oflags,
			   mode_t perm, int *fd)
{
	struct pt_fdname n;
	int tflags = oflags & ~O_TRUNC;
	int tfd, err;

	/* An unnamed file must be writable: O_RDONLY (0) becomes O_RDWR. */
	if ((tflags & O_ACCMODE) == O_RDONLY)
		tflags |= O_RDWR;
	err = PT_GUEST_ALLOWED(PT_CAPS_DAC,
			       tfd = openat(dir->fd, ".",
					    tflags | O_TMPFILE | O_CLOEXEC,
					    perm));
	if (err)
		return err == -EISDIR ? -EOPNOTSUPP : err;
	err = pt_secctx_set(fs, ctx, tfd);
	if (!err) {
		pt_fd_name(tfd, &n);
		err = PT_GUEST_ALLOWED(PT_CAPS_DAC,
				       linkat(fs->proc_fd, n.s, dir->fd, name,
					      AT_SYMLINK_FOLLOW));
	}
	if (err) {
		close(tfd);
		return err;
	}
	*fd = tfd;
	return 0;
}

/* Create name in dir and open it; EEXIST when it is there already. */
static int create_fd(struct pt_fs *fs, const struct vfs_ctx *ctx,
		     struct pt_inode *dir, const char *name, int oflags,
		     mode_t perm, int *fd)
{
	int err;

	if (ctx->secctx) {
		err = create_labelled(fs, ctx, dir, name, oflags, perm, fd);
		if (err != -EOPNOTSUPP)
			return err;
	}
	/*
	 * Always O_EXCL first: opening an existing name with O_CREAT alone
	 * would open a device node or fifo that sits there. O_NOFOLLOW so a
	 * symlink is never created through.
	 */
	err = PT_GUEST_ALLOWED(PT_CAPS_DAC,
			       *fd = openat(dir->fd, name,
					    oflags | O_CREAT | O_EXCL |
						    O_NOFOLLOW | O_CLOEXEC,
					    perm));
	if (err)
		return err;
	/* No O_TMPFILE on this host: label it before the guest hears of it. */
	err = pt_secctx_set(fs, ctx, *fd);
	if (err) {
		(void)unlinkat(dir->fd, name, 0);
		close(*fd);
	}
	return err;
}

int pt_op_create(void *opaque, const struct vfs_ctx *ctx, uint64_t parent,
		 const char *name, uint32_t mode, uint32_t flags,
		 uint32_t umask, struct vfs_entry *out, uint64_t *fh)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *dir, *ino = NULL;
	struct vfs_entry e;
	struct pt_charge c;
	int fd, oflags, err;
	mode_t perm;

	err = pt_name_check(name);
	if (!err)
		err = open_flags(fs, flags, &oflags);
	if (err)
		return err;
	err = pt_policy_create(&fs->policy, 0, pt_label_size(ctx), &c);
	if (err)
		return err;
	err = pt_req_inode(fs, parent, &dir);
	if (!err)
		err = pt_create_mode(fs, dir, mode, umask, &perm);
	if (err)
		goto out;
	err = create_fd(fs, ctx, dir, name, oflags,
			pt_policy_mode(&fs->policy, S_IFREG, perm), &fd);
	if (!err) {
		err = create_new(fs, dir, name, fd, &e, &ino);
		if (err) {
			close(fd);
			goto out;
		}
	} else {
		if (err != -EEXIST || (flags & O_EXCL))
			goto out;
		err = create_existing(fs, dir, name, oflags, &e, &fd, &ino);
		if (err)
			goto out;
		err = open_kill_priv(fs, flags, fd);
		if (!err && (oflags & O_TRUNC) && fs->xattrmap)
			err = pt_drop_mapped_caps(fs, ino, fd);
		if (err) {
			close(fd);
			inode_forget(&fs->inodes, e.nodeid, 1);
			goto out;
		}
	}
	err = handle_new(&fs->handles, fd, HANDLE_FILE, fh);
	if (err) {
		close(fd);
		inode_forget(&fs->inodes, e.nodeid, 1);
		goto out;
	}
	/* Held until then: an open file's inode keeps its fd from the start. */
	inode_opened(&fs->inodes, e.nodeid);
	*out = e;
out:
	inode_put(&fs->inodes, ino);
	pt_policy_done(&fs->policy, &c);
	return err;
}

/* Bytes in src; saturates rather than wraps. */
static uint64_t iov_total(const struct iovec *src, unsigned int cnt)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < cnt; i++) {
		if (src[i].iov_len > UINT64_MAX - sum)
			return UINT64_MAX;
		sum += src[i].iov_len;
	}
	return sum;
}

/* Reference the guest's open file fh, or EBADF. */
static int file_get(struct pt_fs *fs, uint64_t fh, struct pt_handle **h)
{
	*h = handle_get(&fs->handles, fh, HANDLE_FILE);
	return *h ? 0 : -EBADF;
}

int pt_op_read(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
	       uint64_t fh, uint64_t off, const struct iovec *dst,
	       unsigned int cnt, size_t *nread)
{
	struct pt_fs *fs = opaque;
	struct pt_handle *h;
	ssize_t n;
	int err;

	(void)ctx;
	(void)nodeid;
	if (off > INT64_MAX || cnt > IOV_MAX)
		return -EINVAL;
	err = file_get(fs, fh, &h);
	if (err)
		return err;
	/* Straight into the guest's buffers: no bounce copy. */
	n = preadv(h->fd, dst, (int)cnt, (off_t)off);
	if (n < 0)
		err = -errno;
	else
		*nread = (size_t)n;
	handle_put(&fs->handles, h);
	return err;
}

int pt_op_write(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, uint64_t off, const struct iovec *src,
		unsigned int cnt, bool kill_priv, size_t *nwritten)
{
	struct pt_fs *fs = opaque;
	struct pt_charge c = { 0, 0 };
	struct pt_handle *h;
	ssize_t n;
	int err;

	(void)ctx;
	if (off > INT64_MAX || cnt > IOV_MAX)
		return -EINVAL;
	err = file_get(fs, fh, &h);
	if (err)
		return err;
	/*
	 * Running as a guest root we hold CAP_FSETID and the host would keep
	 * set-user-ID: drop it first, as the guest kernel asked.
	 */
	if (kill_priv) {
		err = pt_kill_suidgid(fs, NULL, h->fd);
		/* Not the owner: then no CAP_FSETID, the host clears them. */
		if (err == -EPERM)
			err = 0;
	}
	if (!err)
		err = pt_policy_write(&fs->policy, h->fd, off,
				      iov_total(src, cnt), &c);
	if (!err && fs->xattrmap)
		err = write_handle_drop_caps(fs, nodeid, h);
	if (!err) {
		n = pwritev(h->fd, src, (int)cnt, (off_t)off);
		if (n < 0)
			err = -errno;
		else
			*nwritten = (size_t)n;
	}
	pt_policy_done(&fs->policy, &c);
	handle_put(&fs->handles, h);
	return err;
}

int pt_op_flush(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, uint64_t lock_owner)
{
	struct pt_fs *fs = opaque;
	struct pt_handle *h;
	int fd, err;

	(void)ctx;
	err = file_get(fs, fh, &h);
	if (err)
		return err;
	/* close(2) in the guest: its POSIX locks on the file go with it. */
	pt_locks_drop_owner(fs, nodeid, lock_owner);
	/*
	 * close() of a duplicate reports the errors the host filesystem keeps
	 * for close (NFS, for instance) and drops our POSIX locks, like the
	 * guest's close() would, while the handle stays open.
	 */
	fd = dup(h->fd);
	if (fd < 0)
		err = -errno;
	else if (close(fd))
		err = -errno;
	handle_put(&fs->handles, h);
	return err;
}

int pt_op_release(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		  uint64_t fh)
{
	struct pt_fs *fs = opaque;
	int err;

	(void)ctx;
	/* The guest's OFD locks on the file end with its last fd. */
	pt_locks_drop_handle(fs, nodeid, fh);
	err = handle_release(&fs->handles, fh, HANDLE_FILE);
	if (!err)
		inode_closed(&fs->inodes, nodeid);
	return err;
}

int pt_op_fsync(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, bool datasync)
{
	struct pt_fs *fs = opaque;
	struct pt_handle *h;
	int err;

	(void)ctx;
	(void)nodeid;
	err = file_get(fs, fh, &h);
	if (err)
		return err;
	if (datasync ? fdatasync(h->fd) : fsync(h->fd))
		err = -errno;
	handle_put(&fs->handles, h);
	return err;
}

int pt_op_fallocate(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		    uint64_t fh, uint32_t mode, uint64_t off, uint64_t len)
{
	struct pt_fs *fs = opaque;
	struct pt_handle *h;
	struct pt_charge c;
	int err;

	(void)ctx;
	(void)nodeid;
	if (off > INT64_MAX || len > INT64_MAX || mode > INT_MAX)
		return -EINVAL;
	err = file_get(fs, fh, &h);
	if (err)
		return err;
	err = pt_policy_fallocate(&fs->policy, h->fd, mode, off, len, &c);
	if (!err && fallocate(h->fd, (int)mode, (off_t)off, (off_t)len))
		err = -errno;
	pt_policy_done(&fs->policy, &c);
	handle_put(&fs->handles, h);
	return err;
}

int pt_op_lseek(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, uint64_t off, uint32_t whence, uint64_t *result)
{
	struct pt_fs *fs = opaque;
	struct pt_handle *h;
	off_t r;
	int err;

	(void)ctx;
	(void)nodeid;
	/*
	 * The kernel sends only SEEK_DATA and SEEK_HOLE; the fd position is
	 * never used for I/O (preadv/pwritev), so SET/END are harmless too.
	 */
	if (whence != SEEK_DATA && whence != SEEK_HOLE && whence != SEEK_SET &&
	    whence != SEEK_END)
		return -EINVAL;
	/*
	 * A negative offset goes to the host too: its answer differs by
	 * filesystem (ENXIO on ext4, the first data on btrfs).
	 */
	err = file_get(fs, fh, &h);
	if (err)
		return err;
	r = lseek(h->fd, (off_t)off, (int)whence);
	if (r < 0)
		err = -errno;
	else
		*result = (uint64_t)r;
	handle_put(&fs->handles, h);
	return err;
}
