/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Namespace operations: MKDIR, MKNOD, SYMLINK, LINK, UNLINK, RMDIR, RENAME.
 * Each works on a directory's O_PATH fd and one name in it, so no path is
 * ever resolved and no symlink followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs/pt_internal.h"

/* Check name and find the directory parent. */
static int enter_dir(struct pt_fs *fs, uint64_t parent, const char *name,
		     struct pt_inode **dir)
{
	int err = pt_name_check(name);

	return err ? err : pt_req_dir(fs, parent, dir);
}

int pt_op_mkdir(void *opaque, const struct vfs_ctx *ctx, uint64_t parent,
		const char *name, uint32_t mode, uint32_t umask,
		struct vfs_entry *out)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *dir;
	struct pt_charge c;
	mode_t perm;
	int err;

	err = enter_dir(fs, parent, name, &dir);
	if (!err)
		err = pt_policy_create(&fs->policy, 0, pt_label_size(ctx),
				       &c);
	if (err)
		return err;
	err = pt_create_mode(fs, dir, mode, umask, &perm);
	if (!err)
		err = PT_GUEST_ALLOWED(PT_CAPS_DAC,
				       mkdirat(dir->fd, name,
					       pt_policy_mode(&fs->policy,
							      S_IFDIR, perm)));
	if (!err)
		err = pt_secctx_new_entry(fs, ctx, dir, name, out);
	pt_policy_done(&fs->policy, &c);
	return err;
}

/* FUSE carries rdev in the kernel's 32-bit new_encode_dev() format. */
static dev_t decode_rdev(uint32_t rdev)
{
	unsigned int major = (rdev & 0xfff00u) >> 8;
	unsigned int minor = (rdev & 0xffu) | ((rdev >> 12) & 0xfff00u);

	return makedev(major, minor);
}

int pt_op_mknod(void *opaque, const struct vfs_ctx *ctx, uint64_t parent,
		const char *name, uint32_t mode, uint32_t rdev, uint32_t umask,
		struct vfs_entry *out)
{
	struct pt_fs *fs = opaque;
	mode_t type = mode & S_IFMT;
	struct pt_inode *dir;
	struct pt_charge c;
	dev_t dev;
	mode_t perm;
	int err;

	/*
	 * Device nodes may be created (guest root may, if the host kernel
	 * lets us): the daemon itself never opens them (pt_reopen()).
	 */
	if (!S_ISREG(type) && !S_ISFIFO(type) && !S_ISSOCK(type) &&
	    !S_ISCHR(type) && !S_ISBLK(type))
		return -EINVAL;
	dev = (S_ISCHR(type) || S_ISBLK(type)) ? decode_rdev(rdev) : 0;
	err = enter_dir(fs, parent, name, &dir);
	/* Only a regular file gets a label (pt_secctx_new_entry()). */
	if (!err)
		err = pt_policy_mknod(&fs->policy, type, dev,
				      S_ISREG(type) ? pt_label_size(ctx) : 0,
				      &c);
	if (err)
		return err;
	err = pt_create_mode(fs, dir, mode, umask, &perm);
	/* A device node: the guest kernel checked CAP_MKNOD itself. */
	if (!err)
		err = PT_GUEST_ALLOWED(PT_CAPS_DAC | CREDS_CAP(CAP_MKNOD),
				       mknodat(dir->fd, name,
					       type | pt_policy_mode(
							      &fs->policy,
							      type, perm),
					       dev));
	if (!err)
		err = pt_secctx_new_entry(fs, ctx, dir, name, out);
	pt_policy_done(&fs->policy, &c);
	return err;
}

int pt_op_symlink(void *opaque, const struct vfs_ctx *ctx, uint64_t parent,
		  const char *name, const char *target, struct vfs_entry *out)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *dir;
	struct pt_charge c;
	int err;

	/* The target is only text to us: it is never resolved on the host. */
	if (!target)
		return -EINVAL;
	err = enter_dir(fs, parent, name, &dir);
	if (!err)
		err = pt_policy_create(&fs->policy, strlen(target), 0, &c);
	if (err)
		return err;
	err = PT_GUEST_ALLOWED(PT_CAPS_DAC, symlinkat(target, dir->fd, name));
	if (!err)
		err = pt_secctx_new_entry(fs, ctx, dir, name, out);
	pt_policy_done(&fs->policy, &c);
	return err;
}

int pt_op_link(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
	       uint64_t newparent, const char *newname, struct vfs_entry *out)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *dir, *ino;
	struct pt_fdname n;
	struct pt_charge c;
	int err;

	(void)ctx;
	err = enter_dir(fs, newparent, newname, &dir);
	if (!err)
		err = pt_policy_link(&fs->policy, &c);
	if (err)
		return err;
	err = pt_req_inode(fs, nodeid, &ino);
	if (err)
		goto out;
	if (S_ISDIR(ino->type)) {
		err = -EPERM;
		goto out;
	}
	/*
	 * linkat(fd, "", AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH, which a
	 * guest user does not have. The proc link, followed, is the inode
	 * itself (a symlink included): nothing else can be reached by it.
	 */
	pt_fd_name(ino->fd, &n);
	/*
	 * The host's protected_hardlinks asks for ownership or read and
	 * write access, which the guest kernel checked with its own rules.
	 */
	err = PT_GUEST_ALLOWED(PT_CAPS_DAC_OWNER,
			       linkat(fs->proc_fd, n.s, dir->fd, newname,
				      AT_SYMLINK_FOLLOW));
	if (!err)
		err = pt_lookup_fd(fs, dir, dir->fd, newname, out, NULL);
out:
	pt_policy_done(&fs->policy, &c);
	return err;
}

/*
 * What name in dir is, just before the guest removes or moves it, for the
 * inode table to follow (only when it finds inodes again by name).
 */
static void name_was(struct pt_fs *fs, const struct pt_inode *dir,
		     const char *name, struct inode_was *w)
{
	w->valid = inode_tracks_names(&fs->inodes) &&
		   !pt_statx_at(dir->fd, name, &w->st, &w->mnt_id);
}

static int remove_entry(struct pt_fs *fs, uint64_t parent, const char *name,
			int flags)
{
	struct pt_inode *dir;
	struct inode_was was;
	int err;

	err = pt_policy_modify(&fs->policy);
	if (!err)
		err = enter_dir(fs, parent, name, &dir);
	if (err)
		return err;
	name_was(fs, dir, name, &was);
	/* A sticky directory asks for ownership; the guest checked it. */
	err = PT_GUEST_ALLOWED(PT_CAPS_DAC_OWNER,
			       unlinkat(dir->fd, name, flags));
	if (!err)
		inode_unlinked(&fs->inodes, dir, name, &was);
	return err;
}

int pt_op_unlink(void *opaque, const struct vfs_ctx *ctx, uint64_t parent,
		 const char *name)
{
	(void)ctx;
	return remove_entry(opaque, parent, name, 0);
}

int pt_op_rmdir(void *opaque, const struct vfs_ctx *ctx, uint64_t parent,
		const char *name)
{
	(void)ctx;
	return remove_entry(opaque, parent, name, AT_REMOVEDIR);
}

int pt_op_rename(void *opaque, const struct vfs_ctx *ctx, uint64_t parent,
		 const char *name, uint64_t newparent, const char *newname,
		 uint32_t flags)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *dir, *newdir;
	struct inode_was src, dst;
	struct pt_charge c;
	int err;

	if (flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE |
				RENAME_WHITEOUT))
		return -EINVAL;
	(void)ctx;
	err = pt_name_check(newname);
	if (err)
		return err;
	err = enter_dir(fs, parent, name, &dir);
	if (!err)
		err = pt_policy_rename(&fs->policy, flags, &c);
	if (err)
		return err;
	err = pt_req_dir(fs, newparent, &newdir);
	if (err)
		goto out;
	name_was(fs, dir, name, &src);
	name_was(fs, newdir, newname, &dst);
	err = PT_GUEST_ALLOWED(PT_CAPS_DAC_OWNER,
			       renameat2(dir->fd, name, newdir->fd, newname,
					 flags));
	if (!err)
		inode_renamed(&fs->inodes, dir, name, newdir, newname, &src,
			      &dst, flags & RENAME_EXCHANGE);
out:
	pt_policy_done(&fs->policy, &c);
	return err;
}
