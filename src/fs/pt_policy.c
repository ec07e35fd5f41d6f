/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host-side policy flags and what each operation is charged against
 * the reserve (pt_policy.h).
 */
#include "fs/pt_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

/*
 * tmpfs bills an xattr's name and value (and a little of its own) to the
 * same space as its inodes, one inode per KiB; the overhead is at most
 * this much.
 */
#define PT_XATTR_INODE_BYTES 1024u
#define PT_XATTR_OVERHEAD 128u

int pt_policy_init(struct pt_policy *p, const struct pt_opts *opts,
		   int statfs_fd)
{
	memset(p, 0, sizeof(*p));
	p->nodev = opts->nodev;
	p->nosuid = opts->nosuid;
	p->readonly = opts->readonly;
	return pt_reserve_init(&p->reserve, opts->min_free_space,
			       opts->min_free_inodes, statfs_fd);
}

void pt_policy_fini(struct pt_policy *p)
{
	pt_reserve_fini(&p->reserve);
}

int pt_policy_modify(const struct pt_policy *p)
{
	return p->readonly ? -EROFS : 0;
}

int pt_policy_open(const struct pt_policy *p, int oflags)
{
	if (!p->readonly)
		return 0;
	if ((oflags & O_ACCMODE) != O_RDONLY || (oflags & O_TRUNC))
		return -EROFS;
	return 0;
}

/* Charge need unless read-only. */
static int charge(struct pt_policy *p, const struct pt_charge *need,
		  struct pt_charge *c)
{
	*c = (struct pt_charge){ 0, 0 };
	if (p->readonly)
		return -EROFS;
	return pt_reserve_take(&p->reserve, need, c);
}

/* An xattr of size bytes (name and value), in blocks and in inodes. */
static struct pt_charge xattr_cost(const struct pt_policy *p, size_t size)
{
	uint64_t billed = (uint64_t)size + PT_XATTR_OVERHEAD;

	return (struct pt_charge){
		.bytes = pt_reserve_span(&p->reserve, 0, size),
		.inodes = (billed + PT_XATTR_INODE_BYTES - 1) /
			  PT_XATTR_INODE_BYTES,
	};
}

/*
 * A new inode: itself, a block for its name in the directory (or its own
 * first block, for a directory), data blocks and a label.
 */
static struct pt_charge new_inode(const struct pt_policy *p, size_t data,
				  size_t label)
{
	struct pt_charge c = { p->reserve.block, 1 };

	c.bytes += pt_reserve_span(&p->reserve, 0, data);
	if (label) {
		struct pt_charge x = xattr_cost(p, label);

		c.bytes += x.bytes;
		c.inodes += x.inodes;
	}
	return c;
}

int pt_policy_create(struct pt_policy *p, size_t data, size_t label,
		     struct pt_charge *c)
{
	struct pt_charge need = new_inode(p, data, label);

	return charge(p, &need, c);
}

int pt_policy_mknod(struct pt_policy *p, mode_t mode, dev_t rdev,
		    size_t label, struct pt_charge *c)
{
	bool dev = S_ISBLK(mode) || S_ISCHR(mode);

	*c = (struct pt_charge){ 0, 0 };
	if (p->readonly)
		return -EROFS;
	/* A 0:0 character device is a whiteout, not a device. */
	if (p->nodev && dev && !(S_ISCHR(mode) && rdev == makedev(0, 0)))
		return -EPERM;
	return pt_policy_create(p, 0, label, c);
}

int pt_policy_link(struct pt_policy *p, struct pt_charge *c)
{
	struct pt_charge need = { p->reserve.block, 1 };

	return charge(p, &need, c);
}

int pt_policy_rename(struct pt_policy *p, uint32_t flags, struct pt_charge *c)
{
	struct pt_charge need = { p->reserve.block, 0 };

	/* Two names trade places: nothing new. */
	if (flags & RENAME_EXCHANGE)
		need.bytes = 0;
	/* The whiteout left at the old name is an inode (a 0:0 device). */
	if (flags & RENAME_WHITEOUT)
		need.inodes = 1;
	return charge(p, &need, c);
}

mode_t pt_policy_mode(const struct pt_policy *p, mode_t type, mode_t perm)
{
	perm &= 07777;
	if (!p->nosuid)
		return perm;
	perm &= ~(mode_t)S_ISUID;
	/* On a directory set-group-ID only hands its group to new entries. */
	if (!S_ISDIR(type))
		perm &= ~(mode_t)S_ISGID;
	return perm;
}

int pt_policy_setxattr(struct pt_policy *p, const char *name, size_t size,
		       struct pt_charge *c)
{
	struct pt_charge need;

	*c = (struct pt_charge){ 0, 0 };
	if (p->readonly)
		return -EROFS;
	/* File capabilities grant privilege on exec just as set-user-ID. */
	if (p->nosuid && name && !strcmp(name, "security.capability"))
		return -EPERM;
	need = xattr_cost(p, (name ? strlen(name) : 0) + size);
	return charge(p, &need, c);
}

/* Charge the blocks of a data range; near the reserve only its holes. */
static int charge_range(struct pt_policy *p, int fd, uint64_t off,
			uint64_t len, struct pt_charge *c)
{
	struct pt_charge need = { pt_reserve_span(&p->reserve, off, len), 0 };
	int err;

	err = charge(p, &need, c);
	if (err != -ENOSPC)
		return err;
	/*
	 * Counting the holes costs system calls: only when the range as a
	 * whole does not fit. Blocks already allocated need nothing more.
	 */
	err = pt_reserve_holes(&p->reserve, fd, off, len, &need.bytes);
	if (err)
		return err;
	return charge(p, &need, c);
}

int pt_policy_write(struct pt_policy *p, int fd, uint64_t off, uint64_t len,
		    struct pt_charge *c)
{
	return charge_range(p, fd, off, len, c);
}

int pt_policy_fallocate(struct pt_policy *p, int fd, uint32_t mode,
			uint64_t off, uint64_t len, struct pt_charge *c)
{
	*c = (struct pt_charge){ 0, 0 };
	/* Punching and collapsing free space; every other mode may take some. */
	if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE))
		return pt_policy_modify(p);
	return charge_range(p, fd, off, len, c);
}

void pt_policy_done(struct pt_policy *p, const struct pt_charge *c)
{
	pt_reserve_done(&p->reserve, c);
}

void pt_policy_statfs(const struct pt_policy *p, struct statvfs *sv)
{
	if (p->readonly)
		sv->f_flag |= ST_RDONLY;
}
