// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Extended attributes. An inode is held as an O_PATH fd, on which the
 * f*xattr calls fail (EBADF), and the path forms would need the /proc link
 * as a path, which follows a symlink. So regular files and directories are
 * reopened through /proc/self/fd; everything else is kept out (see
 * xattr_fd()).
 *
 * With an xattr map (fs/xattrmap.h) every name the guest sends is mapped
 * to the host's before anything is looked up, and every list the host
 * returns is mapped back, hidden names dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/pt_internal.h"
#include "fs/xattrmap.h"
#include "policy/creds.h"

/* A host xattr name: XATTR_NAME_MAX bytes and the NUL. */
struct pt_xname {
	char s[XATTR_NAME_MAX + 1];
};

/*
 * The host's name for the guest's; EPERM or EOPNOTSUPP when the map
 * refuses it. *host points at name itself when there is no map.
 */
static int xattr_host_name(const struct pt_fs *fs, const char *name,
			   struct pt_xname *buf, const char **host)
{
	int err;

	*host = name;
	if (!fs->xattrmap)
		return 0;
	err = xattrmap_to_host(fs->xattrmap, name, buf->s, sizeof(buf->s));
	if (!err)
		*host = buf->s;
	return err;
}

/*
 * An fd to run f*xattr on, as the caller; -1 with ENOTSUP-like outcome in
 * *skip for inodes that have none. The reopen itself runs as root: the fd
 * only carries the inode, and the xattr calls check the caller's rights on
 * that inode (read for get/list, write or ownership for set/remove) no
 * matter how the fd was opened, so a user may set an attribute on a file
 * it can write but not read, as on the host.
 */
static int xattr_fd(struct pt_fs *fs, const struct pt_inode *ino, int *fd,
		    bool *skip)
{
	struct creds_saved saved;
	int err, back;

	*skip = false;
	/*
	 * A symlink's attributes would be reached only by following it, and
	 * a device node or fifo is never opened: neither is offered.
	 */
	if (!S_ISREG(ino->type) && !S_ISDIR(ino->type)) {
		*skip = true;
		return 0;
	}
	err = creds_daemon_begin(&saved);
	if (err)
		return err;
	err = pt_reopen(fs, ino, O_RDONLY | O_NONBLOCK, fd);
	back = creds_daemon_end(&saved);
	if (!err && back)
		close(*fd);
	return err ? err : back;
}

/* Look nodeid up and open it for xattrs; on success put both after use. */
static int xattr_begin(struct pt_fs *fs, uint64_t nodeid,
		       struct pt_inode **ino, int *fd, bool *skip)
{
	int err = pt_inode_get(fs, nodeid, ino);

	*fd = -1;
	if (err)
		return err;
	err = xattr_fd(fs, *ino, fd, skip);
	if (err)
		inode_put(&fs->inodes, *ino);
	return err;
}

/*
 * What a guest-checked xattr call on the host name may borrow: access
 * through a group the host does not see (read or write permission),
 * ownership for ACLs and sticky directories, CAP_SETFCAP for file
 * capabilities, which the guest kernel removes itself when a user writes
 * a file carrying them, and CAP_SYS_ADMIN for trusted.*, kept only on
 * request (--modcaps=+sys_admin).
 */
static creds_caps_t xattr_caps(const char *name)
{
	creds_caps_t caps = PT_CAPS_DAC_OWNER;

	if (!strcmp(name, "security.capability"))
		caps |= CREDS_CAP(CAP_SETFCAP);
	if (!strncmp(name, "trusted.", 8))
		caps |= CREDS_CAP(CAP_SYS_ADMIN);
	return caps;
}

/*
 * trusted.* without CAP_SYS_ADMIN is not refused on a read: the host
 * answers ENODATA, as if there were none. The guest kernel checked the
 * capability before it asked, so the borrow comes first.
 */
static bool xattr_trusted_begin(const char *name)
{
	return !strncmp(name, "trusted.", 8) &&
	       creds_borrow(CREDS_CAP(CAP_SYS_ADMIN));
}

static void xattr_end(struct pt_fs *fs, struct pt_inode *ino, int fd)
{
	if (fd >= 0)
		close(fd);
	inode_put(&fs->inodes, ino);
}

/*
 * An ACL was set by a caller the guest says may not keep set-group-ID;
 * it owns the file (or could not have set the ACL), so it may chmod.
 */
static int xattr_kill_sgid(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return errno;
	if (!(st.st_mode & S_ISGID))
		return 0;
	if (fchmod(fd, st.st_mode & 07777 & ~(mode_t)S_ISGID))
		return errno;
	return 0;
}

/* Whether host name is where the map keeps security.capability. */
static bool is_mapped_caps(const struct pt_fs *fs, const char *name)
{
	struct pt_xname hn;
	const char *caps;

	return !xattr_host_name(fs, "security.capability", &hn, &caps) &&
	       strcmp(caps, "security.capability") && !strcmp(caps, name);
}

int pt_op_setxattr(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		   const char *name, const void *value, size_t size,
		   uint32_t flags)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	struct pt_xname hn;
	struct pt_charge c;
	bool skip;
	int fd, err;

	err = xattr_host_name(fs, name, &hn, &name);
	if (!err)
		err = pt_policy_setxattr(&fs->policy, name, size, &c);
	if (err)
		return err;
	(void)ctx;
	err = xattr_begin(fs, nodeid, &ino, &fd, &skip);
	if (err) {
		pt_policy_done(&fs->policy, &c);
		return err;
	}
	if (skip)
		err = EPERM;
	else
		err = PT_GUEST_ALLOWED(xattr_caps(name),
				       fsetxattr(fd, name, value, size,
						 (int)(flags &
						       ~VFS_SETXATTR_KILL_SGID)));
	if (!err && (flags & VFS_SETXATTR_KILL_SGID))
		err = xattr_kill_sgid(fd);
	pt_policy_done(&fs->policy, &c);
	/* Open handles must look for file capabilities again (pt_file.c). */
	if (!err && fs->xattrmap && is_mapped_caps(fs, name))
		atomic_fetch_add(&fs->caps_gen, 1);
	xattr_end(fs, ino, fd);
	return err;
}

int pt_op_getxattr(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		   const char *name, void *buf, size_t size, size_t *len)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	struct pt_xname hn;
	ssize_t n = 0;
	bool skip, trusted;
	int fd, err;

	(void)ctx;
	err = xattr_host_name(fs, name, &hn, &name);
	/* A name the map refuses is one the guest simply does not have. */
	if (err == EPERM)
		err = ENODATA;
	if (!err)
		err = xattr_begin(fs, nodeid, &ino, &fd, &skip);
	if (err)
		return err;
	trusted = xattr_trusted_begin(name);
	if (skip)
		err = ENODATA;
	else
		err = PT_GUEST_ALLOWED(xattr_caps(name),
				       n = fgetxattr(fd, name,
						     size ? buf : NULL, size));
	if (trusted)
		creds_return();
	xattr_end(fs, ino, fd);
	if (!err)
		*len = (size_t)n;
	return err;
}

/*
 * The whole host list, mapped for the guest: a probe must answer the
 * mapped size, so the host's list is always read in full.
 */
static int xattr_list_mapped(const struct pt_fs *fs, int fd, char *buf,
			     size_t size, size_t *len)
{
	char *list = malloc(XATTR_LIST_MAX);
	ssize_t n;
	size_t m;
	int err = 0;

	if (!list)
		return ENOMEM;
	n = flistxattr(fd, list, XATTR_LIST_MAX);
	if (n < 0) {
		err = errno;
	} else {
		m = xattrmap_list_to_guest(fs->xattrmap, list, (size_t)n);
		if (size && m > size)
			err = ERANGE;
		else if (size)
			memcpy(buf, list, m);
		*len = m;
	}
	free(list);
	return err;
}

int pt_op_listxattr(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		    char *buf, size_t size, size_t *len)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	ssize_t n = 0;
	size_t mlen = 0;
	bool skip, admin;
	int fd, err;

	err = xattr_begin(fs, nodeid, &ino, &fd, &skip);
	if (err)
		return err;
	/*
	 * The host lists trusted.* only to CAP_SYS_ADMIN, which the guest's
	 * root has in its own kernel; it is held back here (xattr_caps()).
	 */
	admin = ctx->uid == 0 && creds_borrow(CREDS_CAP(CAP_SYS_ADMIN));
	/* An inode whose attributes are not offered lists none. */
	if (skip)
		n = 0;
	else if (fs->xattrmap)
		err = xattr_list_mapped(fs, fd, buf, size, &mlen);
	else if ((n = flistxattr(fd, size ? buf : NULL, size)) < 0)
		err = errno;
	if (admin)
		creds_return();
	xattr_end(fs, ino, fd);
	if (!err)
		*len = fs->xattrmap && !skip ? mlen : (size_t)n;
	return err;
}

int pt_op_removexattr(void *opaque, const struct vfs_ctx *ctx,
		      uint64_t nodeid, const char *name)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	struct pt_xname hn;
	bool skip;
	int fd, err;

	err = xattr_host_name(fs, name, &hn, &name);
	if (!err)
		err = pt_policy_modify(&fs->policy);
	if (err)
		return err;
	(void)ctx;
	err = xattr_begin(fs, nodeid, &ino, &fd, &skip);
	if (err)
		return err;
	if (skip)
		err = EPERM;
	else
		err = PT_GUEST_ALLOWED(xattr_caps(name), fremovexattr(fd, name));
	xattr_end(fs, ino, fd);
	return err;
}

int pt_secctx_set(struct pt_fs *fs, const struct vfs_ctx *ctx, int fd)
{
	const struct vfs_secctx *sc = ctx->secctx;
	struct creds_saved saved;
	struct pt_xname hn;
	const char *name;
	int err, e2;

	if (!sc)
		return 0;
	err = xattr_host_name(fs, sc->name, &hn, &name);
	/* A map that refuses the label's name: the file gets none. */
	if (err == EPERM || err == EOPNOTSUPP)
		return 0;
	if (err)
		return err;
	/*
	 * The label is the guest kernel's, not the caller's: security.* needs
	 * CAP_SYS_ADMIN on the host, which the caller's ids do not carry.
	 */
	err = creds_daemon_begin(&saved);
	if (err)
		return err;
	if (fsetxattr(fd, name, sc->value, sc->size, 0))
		err = errno;
	e2 = creds_daemon_end(&saved);
	return err ? err : e2;
}

size_t pt_label_size(const struct vfs_ctx *ctx)
{
	const struct vfs_secctx *sc = ctx->secctx;

	return sc ? strlen(sc->name) + sc->size : 0;
}

int pt_secctx_new_entry(struct pt_fs *fs, const struct vfs_ctx *ctx,
			struct pt_inode *dir, const char *name,
			struct vfs_entry *out)
{
	int dirfd = dir->fd;
	struct pt_inode *ino;
	bool isdir, skip;
	int fd, err;

	if (!ctx->secctx)
		return pt_lookup_fd(fs, dir, dirfd, name, out, NULL);
	err = pt_lookup_fd(fs, dir, dirfd, name, out, &ino);
	if (err)
		return err;
	isdir = S_ISDIR(ino->type);
	/* Symlinks and special files carry no xattrs here (xattr_fd()). */
	if (S_ISREG(ino->type) || isdir) {
		err = xattr_fd(fs, ino, &fd, &skip);
		if (!err) {
			err = pt_secctx_set(fs, ctx, fd);
			close(fd);
		}
	}
	inode_put(&fs->inodes, ino);
	if (err) {
		/* Never leave the guest a file without the label it asked. */
		inode_forget(&fs->inodes, out->nodeid, 1);
		(void)unlinkat(dirfd, name, isdir ? AT_REMOVEDIR : 0);
	}
	return err;
}

/*
 * The host drops security.capability itself on a write, truncate or chown
 * (file capabilities do not survive a change of the file or its owner),
 * but not the user.* name a map keeps them under. So the daemon drops
 * that one, whoever the caller is. Nothing to do without such a map.
 */
int pt_drop_mapped_caps(struct pt_fs *fs, const struct pt_inode *ino,
			int fd)
{
	static const char caps[] = "security.capability";
	struct creds_saved saved;
	struct pt_xname hn;
	const char *name;
	int rfd = -1, err;

	if (!fs->xattrmap || xattr_host_name(fs, caps, &hn, &name) ||
	    !strcmp(name, caps))
		return 0;
	/* A writer may remove it through its own fd: the common case. */
	if (fd >= 0 && (!fremovexattr(fd, name) || errno == ENODATA))
		return 0;
	if (!S_ISREG(ino->type))
		return 0;
	err = creds_daemon_begin(&saved);
	if (err)
		return err;
	if (!pt_reopen(fs, ino, O_RDONLY | O_NONBLOCK, &rfd)) {
		(void)fremovexattr(rfd, name);
		close(rfd);
	}
	return creds_daemon_end(&saved);
}
