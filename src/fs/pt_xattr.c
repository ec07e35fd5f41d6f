/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Extended attributes. An inode is held as an O_PATH fd, on which the
 * f*xattr calls fail (EBADF), and so do the *xattrat() calls with
 * AT_EMPTY_PATH (Linux 6.18 refuses O_PATH fds there too). So regular
 * files and directories are reopened through /proc/self/fd, and every
 * other type (symlinks, device nodes, fifos, sockets), which is never
 * opened, is reached by the *xattrat() calls through its /proc/self/fd
 * link: following that link lands on the inode the O_PATH fd pins,
 * never beyond it, so a symlink's own attributes are the ones read. On
 * a kernel without those calls (before 6.13) such inodes have none.
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
#include "util/xattrat.h"

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
 * Where an xattr call goes: fd, reopened from a regular file or
 * directory, or (fd -1) the /proc/self/fd link n of any other inode.
 */
struct xattr_at {
	int fd;
	int proc_fd;
	struct pt_fdname n;
};

/*
 * The target of the xattr calls on ino, run as the caller. The reopen
 * itself runs as root: the fd only carries the inode, and the xattr calls
 * check the caller's rights on that inode (read for get/list, write or
 * ownership for set/remove) no matter how the fd was opened, so a user
 * may set an attribute on a file it can write but not read, as on the
 * host. Any other type is never opened (a device node would be the
 * host's device): its O_PATH fd is checked to be the inode's, as
 * pt_reopen() does, and its link used.
 */
static int xattr_target(struct pt_fs *fs, const struct pt_inode *ino,
			struct xattr_at *t)
{
	struct creds_saved saved;
	struct stat st;
	int err, back;

	t->fd = -1;
	t->proc_fd = fs->proc_fd;
	if (!S_ISREG(ino->type) && !S_ISDIR(ino->type)) {
		err = pt_stat(ino, &st);
		if (!err && !inode_matches(ino, &st))
			err = -ESTALE;
		if (!err)
			pt_fd_name(ino->fd, &t->n);
		return err;
	}
	err = creds_daemon_begin(&saved);
	if (err)
		return err;
	err = pt_reopen(fs, ino, O_RDONLY | O_NONBLOCK, &t->fd);
	back = creds_daemon_end(&saved);
	if (!err && back) {
		close(t->fd);
		t->fd = -1;
	}
	return err ? err : back;
}

/*
 * The four calls on a target, as system calls (-1 and errno). Without
 * the *xattrat() calls (ENOSYS) an inode that is never opened has no
 * attributes and takes none: EPERM to set or remove, ENODATA to get, an
 * empty list.
 */
static int xattr_set(const struct xattr_at *t, const char *name,
		     const void *value, size_t size, int flags)
{
	int r;

	if (t->fd >= 0)
		return fsetxattr(t->fd, name, value, size, flags);
	r = xattrat_set(t->proc_fd, t->n.s, 0, name, value, size, flags);
	if (r < 0 && errno == ENOSYS)
		errno = EPERM;
	return r;
}

static ssize_t xattr_get(const struct xattr_at *t, const char *name,
			 void *buf, size_t size)
{
	ssize_t r;

	if (t->fd >= 0)
		return fgetxattr(t->fd, name, buf, size);
	r = xattrat_get(t->proc_fd, t->n.s, 0, name, buf, size);
	if (r < 0 && errno == ENOSYS)
		errno = ENODATA;
	return r;
}

static ssize_t xattr_list(const struct xattr_at *t, char *buf, size_t size)
{
	ssize_t r;

	if (t->fd >= 0)
		return flistxattr(t->fd, buf, size);
	r = xattrat_list(t->proc_fd, t->n.s, 0, buf, size);
	return r < 0 && errno == ENOSYS ? 0 : r;
}

static int xattr_remove(const struct xattr_at *t, const char *name)
{
	int r;

	if (t->fd >= 0)
		return fremovexattr(t->fd, name);
	r = xattrat_remove(t->proc_fd, t->n.s, 0, name);
	if (r < 0 && errno == ENOSYS)
		errno = EPERM;
	return r;
}

/* Look nodeid up and find its target; on success xattr_end() it. */
static int xattr_begin(struct pt_fs *fs, uint64_t nodeid,
		       struct pt_inode **ino, struct xattr_at *t)
{
	int err = pt_req_inode(fs, nodeid, ino);

	t->fd = -1;
	if (err)
		return err;
	return xattr_target(fs, *ino, t);
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

static bool is_acl_name(const char *name)
{
	return !strcmp(name, "system.posix_acl_access") ||
	       !strcmp(name, "system.posix_acl_default");
}

/*
 * xattr_caps() for a change. Only the owner may change a file's ACL, and
 * a guest kernel checks that before it asks only with FUSE_POSIX_ACL
 * agreed (or from Linux 6.2 on): without it, Linux 6.1 passes a user's
 * setfacl on someone else's file through unchecked (xfstests
 * generic/237). So ownership is borrowed for an ACL then only for guest
 * root; a non-root guest process with CAP_FOWNER is refused too, the one
 * case this gets wrong, and the safe side of it.
 */
static creds_caps_t xattr_change_caps(struct pt_fs *fs,
				      const struct vfs_ctx *ctx,
				      const char *name)
{
	creds_caps_t caps = xattr_caps(name);

	if (is_acl_name(name) && ctx->uid != 0 &&
	    !atomic_load_explicit(&fs->posix_acl, memory_order_relaxed))
		caps &= ~PT_CAPS_OWNER;
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

static void xattr_end(const struct xattr_at *t)
{
	if (t->fd >= 0)
		close(t->fd);
}

/*
 * An ACL was set by a caller the guest says may not keep set-group-ID;
 * it owns the file (or could not have set the ACL), so it may chmod.
 */
static int xattr_kill_sgid(const struct pt_inode *ino,
			   const struct xattr_at *t)
{
	struct stat st;
	int err = pt_stat(ino, &st);
	mode_t mode;

	if (err || !(st.st_mode & S_ISGID))
		return err;
	mode = st.st_mode & 07777 & ~(mode_t)S_ISGID;
	if (t->fd >= 0 ? fchmod(t->fd, mode) :
			 fchmodat(t->proc_fd, t->n.s, mode, 0))
		return -errno;
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
	struct xattr_at t;
	int err;

	err = xattr_host_name(fs, name, &hn, &name);
	if (!err)
		err = pt_policy_setxattr(&fs->policy, name, size, &c);
	if (err)
		return err;
	err = xattr_begin(fs, nodeid, &ino, &t);
	if (err) {
		pt_policy_done(&fs->policy, &c);
		return err;
	}
	err = PT_GUEST_ALLOWED(xattr_change_caps(fs, ctx, name),
			       xattr_set(&t, name, value, size,
					 (int)(flags & ~VFS_SETXATTR_KILL_SGID)));
	if (!err && (flags & VFS_SETXATTR_KILL_SGID))
		err = xattr_kill_sgid(ino, &t);
	pt_policy_done(&fs->policy, &c);
	/* Open handles must look for file capabilities again (pt_file.c). */
	if (!err && fs->xattrmap && is_mapped_caps(fs, name))
		atomic_fetch_add(&fs->caps_gen, 1);
	xattr_end(&t);
	return err;
}

int pt_op_getxattr(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		   const char *name, void *buf, size_t size, size_t *len)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	struct pt_xname hn;
	struct xattr_at t;
	ssize_t n = 0;
	bool trusted;
	int err;

	(void)ctx;
	err = xattr_host_name(fs, name, &hn, &name);
	/* A name the map refuses is one the guest simply does not have. */
	if (err == -EPERM)
		err = -ENODATA;
	if (!err)
		err = xattr_begin(fs, nodeid, &ino, &t);
	if (err)
		return err;
	trusted = xattr_trusted_begin(name);
	err = PT_GUEST_ALLOWED(xattr_caps(name),
			       n = xattr_get(&t, name, size ? buf : NULL, size));
	if (trusted)
		creds_return();
	xattr_end(&t);
	if (!err)
		*len = (size_t)n;
	return err;
}

/*
 * The whole host list, mapped for the guest: a probe must answer the
 * mapped size, so the host's list is always read in full.
 */
static int xattr_list_mapped(const struct pt_fs *fs,
			     const struct xattr_at *t, char *buf, size_t size,
			     size_t *len)
{
	char *list = malloc(XATTR_LIST_MAX);
	ssize_t n;
	size_t m;
	int err = 0;

	if (!list)
		return -ENOMEM;
	n = xattr_list(t, list, XATTR_LIST_MAX);
	if (n < 0) {
		err = -errno;
	} else {
		m = xattrmap_list_to_guest(fs->xattrmap, list, (size_t)n);
		if (size && m > size)
			err = -ERANGE;
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
	struct xattr_at t;
	ssize_t n = 0;
	size_t mlen = 0;
	bool admin;
	int err;

	err = xattr_begin(fs, nodeid, &ino, &t);
	if (err)
		return err;
	/*
	 * The host lists trusted.* only to CAP_SYS_ADMIN, which the guest's
	 * root has in its own kernel; it is held back here (xattr_caps()).
	 */
	admin = ctx->uid == 0 && creds_borrow(CREDS_CAP(CAP_SYS_ADMIN));
	if (fs->xattrmap)
		err = xattr_list_mapped(fs, &t, buf, size, &mlen);
	else if ((n = xattr_list(&t, size ? buf : NULL, size)) < 0)
		err = -errno;
	if (admin)
		creds_return();
	xattr_end(&t);
	if (!err)
		*len = fs->xattrmap ? mlen : (size_t)n;
	return err;
}

int pt_op_removexattr(void *opaque, const struct vfs_ctx *ctx,
		      uint64_t nodeid, const char *name)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	struct pt_xname hn;
	struct xattr_at t;
	int err;

	err = xattr_host_name(fs, name, &hn, &name);
	if (!err)
		err = pt_policy_modify(&fs->policy);
	if (err)
		return err;
	err = xattr_begin(fs, nodeid, &ino, &t);
	if (err)
		return err;
	err = PT_GUEST_ALLOWED(xattr_change_caps(fs, ctx, name),
			       xattr_remove(&t, name));
	xattr_end(&t);
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
	if (err == -EPERM || err == -EOPNOTSUPP)
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
		err = -errno;
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
	struct xattr_at t;
	bool isdir;
	int err;

	if (!ctx->secctx)
		return pt_lookup_fd(fs, dir, dirfd, name, out, NULL);
	err = pt_lookup_fd(fs, dir, dirfd, name, out, &ino);
	if (err)
		return err;
	isdir = S_ISDIR(ino->type);
	/* Symlinks and special files get no label (pt_secctx_set() takes an fd). */
	if (S_ISREG(ino->type) || isdir) {
		err = xattr_target(fs, ino, &t);
		if (!err) {
			err = pt_secctx_set(fs, ctx, t.fd);
			close(t.fd);
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
