/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The passthrough's setup, teardown and the helpers every operation shares.
 */
#include "fs/passthrough.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/pt_internal.h"
#include "policy/creds.h"
#include "util/log.h"

/* Fewer open files than this and a guest could hardly work. */
#define PT_MIN_HANDLES 64

void pt_fd_name(int fd, struct pt_fdname *n)
{
	snprintf(n->s, sizeof(n->s), "%d", fd);
}

/*
 * The request running on this thread, from begin() to end(): the inodes
 * its operation named, each looked up once and released together at end(),
 * so that no operation releases one itself, forgets to, or takes one twice.
 * The credentials the request runs with are per thread too (policy/creds.c).
 */
#define PT_REQ_INODES 2	/* RENAME's two directories, LINK's file and directory */

struct pt_req {
	struct pt_fs *fs;	/* NULL outside a request */
	unsigned int n;
	uint64_t nodeid[PT_REQ_INODES];
	struct pt_inode *ino[PT_REQ_INODES];
};

static _Thread_local struct pt_req pt_req;

int pt_req_inode(struct pt_fs *fs, uint64_t nodeid, struct pt_inode **out)
{
	struct pt_req *r = &pt_req;
	unsigned int i;
	int err;

	/* Our bug, not the guest's: an operation outside begin() and end(). */
	if (r->fs != fs || r->n == PT_REQ_INODES) {
		log_err("inode %llu asked for outside a request's scope",
			  (unsigned long long)nodeid);
		return -EIO;
	}
	for (i = 0; i < r->n; i++) {
		if (r->nodeid[i] == nodeid) {
			*out = r->ino[i];
			return 0;
		}
	}
	err = inode_get(&fs->inodes, nodeid, &r->ino[r->n]);
	if (err)
		return err;
	r->nodeid[r->n] = nodeid;
	*out = r->ino[r->n++];
	return 0;
}

int pt_req_dir(struct pt_fs *fs, uint64_t nodeid, struct pt_inode **out)
{
	struct pt_inode *ino;
	int err = pt_req_inode(fs, nodeid, &ino);

	if (err)
		return err;
	if (!S_ISDIR(ino->type))
		return -ENOTDIR;
	*out = ino;
	return 0;
}

static void pt_req_begin(struct pt_fs *fs)
{
	pt_req.fs = fs;
	pt_req.n = 0;
}

static void pt_req_end(void)
{
	struct pt_req *r = &pt_req;

	while (r->n)
		inode_put(&r->fs->inodes, r->ino[--r->n]);
	r->fs = NULL;
}

int pt_name_check(const char *name)
{
	if (!name || !name[0] || strchr(name, '/'))
		return -EINVAL;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

int pt_stat(const struct pt_inode *ino, struct stat *st)
{
	if (fstatat(ino->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -errno;
	return 0;
}

int pt_reopen(struct pt_fs *fs, const struct pt_inode *ino, int flags,
	      int *fd)
{
	struct pt_fdname n;
	struct stat st;
	int nfd, err;

	/*
	 * The security decision of the whole daemon: only data is opened.
	 * Opening a device node as root would hand the guest the host's
	 * disks, and a fifo would block a worker forever. It is made on the
	 * inode's O_PATH fd itself, not on what the table remembers: that fd
	 * pins the inode whose type is checked here, so the proc link below
	 * can only reach that same inode. A file that is not the one the
	 * inode was made for (the table's bug) is ESTALE, never opened.
	 */
	err = pt_stat(ino, &st);
	if (err)
		return err;
	if (!inode_matches(ino, &st))
		return -ESTALE;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return -ENXIO;
	pt_fd_name(ino->fd, &n);
	/*
	 * O_NOFOLLOW would refuse the /proc magic link itself. The guest
	 * kernel checked the open (an execute-only file opened for exec, a
	 * file readable through a group the host does not see).
	 */
	err = PT_GUEST_ALLOWED(PT_CAPS_DAC,
			       nfd = openat(fs->proc_fd, n.s,
					    (flags & ~O_NOFOLLOW) | O_CLOEXEC));
	/* The guest's open files are worth more than idle inodes' fds. */
	if (err && inode_out_of_fds(err) &&
	    inode_shed(&fs->inodes, PT_SHED_FDS))
		err = PT_GUEST_ALLOWED(PT_CAPS_DAC,
				       nfd = openat(fs->proc_fd, n.s,
						    (flags & ~O_NOFOLLOW) |
							    O_CLOEXEC));
	if (err)
		return err;
	*fd = nfd;
	return 0;
}

/*
 * Whether dir has a default ACL. The O_PATH fd carries no xattrs and the
 * caller may have no read permission on dir, so the directory is reopened
 * as root; the caller's credentials come back before anything else runs.
 */
static int pt_default_acl(struct pt_fs *fs, const struct pt_inode *dir,
			  bool *has)
{
	struct creds_saved saved;
	ssize_t n = -1;
	int fd, err;

	err = creds_daemon_begin(&saved);
	if (err)
		return err;
	if (!pt_reopen(fs, dir, O_RDONLY | O_DIRECTORY, &fd)) {
		n = fgetxattr(fd, "system.posix_acl_default", NULL, 0);
		close(fd);
	}
	/* Back to the caller whatever happened: nothing runs as root. */
	*has = n > 0;
	return creds_daemon_end(&saved);
}

int pt_create_mode(struct pt_fs *fs, const struct pt_inode *dir,
		   uint32_t mode, uint32_t umask, mode_t *out)
{
	bool has_default = false;
	int err;

	/*
	 * With FUSE_DONT_MASK the guest kernel sends the mode unmasked: the
	 * umask applies only where no default ACL of the directory decides
	 * the new file's permissions instead, as on a local filesystem. The
	 * daemon's own umask is 0, so the host kernel adds nothing.
	 */
	if (atomic_load(&fs->dont_mask)) {
		err = pt_default_acl(fs, dir, &has_default);
		if (err)
			return err;
		if (!has_default)
			mode &= ~umask;
	}
	*out = (mode_t)(mode & 07777);
	return 0;
}

int pt_kill_suidgid(struct pt_fs *fs, const struct pt_inode *ino, int fd)
{
	struct pt_fdname n;
	struct stat st;
	mode_t mode;
	int err;

	if (fd >= 0) {
		if (fstat(fd, &st))
			return -errno;
	} else {
		err = pt_stat(ino, &st);
		if (err)
			return err;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	mode = st.st_mode & 07777;
	mode &= ~(mode_t)S_ISUID;
	/* Without group-execute, set-group-ID means mandatory locking. */
	if (mode & S_IXGRP)
		mode &= ~(mode_t)S_ISGID;
	if (mode == (st.st_mode & 07777))
		return 0;
	if (fd >= 0) {
		if (fchmod(fd, mode))
			return -errno;
		return 0;
	}
	pt_fd_name(ino->fd, &n);
	if (fchmodat(fs->proc_fd, n.s, mode, 0))
		return -errno;
	return 0;
}

/*
 * Open files and directories of the guest: half of what the inode fds
 * leave of the open-file limit. The other half is for lock descriptions
 * (pt_lock.c), sockets, eventfds and the guest's memory.
 */
static uint64_t default_handle_limit(const struct pt_opts *opts)
{
	uint64_t budget = opts->inode_fd_budget;
	struct rlimit rl;

	/* One fd per inode: as many as the guest knows; count half. */
	if (!budget || budget == PT_FD_BUDGET_UNLIMITED)
		budget = pt_default_fd_budget();
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur < budget + 2 * PT_MIN_HANDLES)
		return PT_MIN_HANDLES;
	return (rl.rlim_cur - budget) / 2;
}

int pt_new(struct pt_fs **out, const struct pt_opts *opts)
{
	return pt_new_at(out, opts, -1);
}

int pt_new_at(struct pt_fs **out, const struct pt_opts *opts, int root_fd)
{
	struct pt_fs *fs;
	uint64_t mnt_id, max_handles;
	struct stat st;
	int e;

	if (!opts || !opts->shared_dir) {
		e = -EINVAL;
		goto fail_opts;
	}
	fs = calloc(1, sizeof(*fs));
	if (!fs) {
		e = -ENOMEM;
		goto fail_opts;
	}
	fs->proc_fd = -1;
	fs->xattrmap = opts->xattrmap;
	fs->migrate = opts->migrate;
	atomic_init(&fs->writeback, false);
	atomic_init(&fs->posix_acl, false);
	atomic_init(&fs->dont_mask, false);
	atomic_init(&fs->submounts, false);
	atomic_init(&fs->caps_gen, 0);

	e = inode_table_init(&fs->inodes);
	if (e)
		goto fail_inodes;
	e = handle_table_init(&fs->handles);
	if (e)
		goto fail_handles;
	e = pt_locks_new(&fs->locks);
	if (e)
		goto fail_locks;
	e = pt_backings_new(fs);
	if (e)
		goto fail_backings;
	fs->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->proc_fd < 0) {
		e = -errno;
		log_err("open /proc/self/fd: %s", strerror(-e));
		goto fail_proc;
	}
	/* The administrator's path: following a symlink here is intended. */
	if (root_fd < 0)
		root_fd = open(opts->shared_dir,
			       O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		e = -errno;
		goto fail_root;
	}
	max_handles = opts->max_open_handles ? opts->max_open_handles :
					       default_handle_limit(opts);
	handle_table_limit(&fs->handles, max_handles);
	log_debug("open files and directories: at most %llu",
		  (unsigned long long)max_handles);
	e = pt_statx(root_fd, &st, &mnt_id);
	if (!e)
		e = pt_setup_inodes(fs, opts, root_fd);
	if (!e)
		e = inode_insert_root(&fs->inodes, root_fd, &st, mnt_id,
				      &fs->root);
	if (e)
		goto fail_root;
	/* The root inode owns it now. */
	root_fd = -1;
	e = pt_policy_init(&fs->policy, opts, fs->root->fd);
	if (e) {
		inode_put(&fs->inodes, fs->root);
		goto fail_root;
	}
	*out = fs;
	return 0;

fail_root:
	close(fs->proc_fd);
fail_proc:
	pt_backings_free(fs);
fail_backings:
	pt_locks_free(fs);
fail_locks:
	handle_table_fini(&fs->handles);
fail_handles:
	inode_table_fini(&fs->inodes);
fail_inodes:
	free(fs);
fail_opts:
	if (root_fd >= 0)
		close(root_fd);
	return e;
}

void pt_free(struct pt_fs *fs)
{
	if (!fs)
		return;
	pt_locks_free(fs);
	handle_table_fini(&fs->handles);
	pt_backings_free(fs);
	inode_put(&fs->inodes, fs->root);
	inode_table_fini(&fs->inodes);
	pt_policy_fini(&fs->policy);
	if (close(fs->proc_fd))
		log_warn("close /proc/self/fd: %s", strerror(errno));
	free(fs);
}

static void pt_op_init(void *opaque, const struct vfs_conn *conn)
{
	struct pt_fs *fs = opaque;

	atomic_store(&fs->writeback, conn->writeback_cache);
	atomic_store(&fs->posix_acl, conn->posix_acl);
	atomic_store(&fs->dont_mask, conn->dont_mask);
	atomic_store(&fs->submounts, conn->submounts);
	/*
	 * killpriv_v2 needs nothing stored: the guest marks each WRITE and
	 * SETATTR that must drop set-user-ID, and a chown on the host drops
	 * it by itself.
	 */
}

/*
 * The one switch to the caller's ids (fuse/dispatch.c calls it), and the
 * start of the request's inode scope.
 */
static int pt_op_begin(void *opaque, const struct vfs_ctx *ctx)
{
	int err = creds_request_begin(ctx->uid, ctx->gid, !ctx->unmapped);

	if (!err)
		pt_req_begin(opaque);
	return err;
}

static void pt_op_end(void *opaque)
{
	(void)opaque;
	pt_req_end();
	creds_request_done();
}

static void pt_op_destroy(void *opaque)
{
	struct pt_fs *fs = opaque;

	/*
	 * The guest's nodeids and fhs die with its mount. Requests still in
	 * flight keep their own references, so nothing is closed under them.
	 */
	handle_release_all(&fs->handles);
	pt_locks_clear(fs);
	inode_forget_all(&fs->inodes);
}

static int pt_op_state_save(void *opaque, struct wbuf *b)
{
	struct pt_fs *fs = opaque;

	return pt_state_save(fs, &fs->migrate, b);
}

static int pt_op_state_load(void *opaque, const struct state_view *v)
{
	struct pt_fs *fs = opaque;
	int err;

	/* What this daemon knew is replaced by what the guest had. */
	pt_op_destroy(fs);
	err = pt_state_load(fs, &fs->migrate, v);
	if (err)
		pt_op_destroy(fs);
	return err;
}

const struct vfs_ops pt_ops = {
	.init = pt_op_init,
	.destroy = pt_op_destroy,
	.begin = pt_op_begin,
	.end = pt_op_end,

	.lookup = pt_op_lookup,
	.forget = pt_op_forget,

	.getattr = pt_op_getattr,
	.setattr = pt_op_setattr,
	.access = pt_op_access,
	.statfs = pt_op_statfs,

	.readlink = pt_op_readlink,
	.symlink = pt_op_symlink,
	.mknod = pt_op_mknod,
	.mkdir = pt_op_mkdir,
	.unlink = pt_op_unlink,
	.rmdir = pt_op_rmdir,
	.rename = pt_op_rename,
	.link = pt_op_link,

	.open = pt_op_open,
	.create = pt_op_create,
	.read = pt_op_read,
	.write = pt_op_write,
	.flush = pt_op_flush,
	.release = pt_op_release,
	.passthrough = pt_op_passthrough,
	.fsync = pt_op_fsync,
	.fallocate = pt_op_fallocate,
	.lseek = pt_op_lseek,

	.opendir = pt_op_opendir,
	.readdir = pt_op_readdir,
	.releasedir = pt_op_releasedir,
	.fsyncdir = pt_op_fsyncdir,

	.setxattr = pt_op_setxattr,
	.getxattr = pt_op_getxattr,
	.listxattr = pt_op_listxattr,
	.removexattr = pt_op_removexattr,

	.getlk = pt_op_getlk,
	.setlk = pt_op_setlk,
	.flock = pt_op_flock,

	.copy_file_range = pt_op_copy_file_range,
	.syncfs = pt_op_syncfs,
	.tmpfile = pt_op_tmpfile,

	.state_save = pt_op_state_save,
	.state_load = pt_op_state_load,
};
