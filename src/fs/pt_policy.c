/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host-side policy flags and the free-space reserve (pt_policy.h).
 */
#include "fs/pt_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>

int pt_policy_init(struct pt_policy *p, const struct pt_opts *opts,
		   int statfs_fd)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->nodev = opts->nodev;
	p->nosuid = opts->nosuid;
	p->readonly = opts->readonly;
	p->min_free_space = opts->min_free_space;
	p->min_free_inodes = opts->min_free_inodes;
	p->statfs_fd = statfs_fd;
	err = pthread_mutex_init(&p->lock, NULL);
	return err;
}

void pt_policy_fini(struct pt_policy *p)
{
	pthread_mutex_destroy(&p->lock);
}

int pt_policy_modify(const struct pt_policy *p)
{
	return p->readonly ? EROFS : 0;
}

int pt_policy_open(const struct pt_policy *p, int oflags)
{
	if (!p->readonly)
		return 0;
	if ((oflags & O_ACCMODE) != O_RDONLY || (oflags & O_TRUNC))
		return EROFS;
	return 0;
}

static bool has_reserve(const struct pt_policy *p)
{
	return p->min_free_space || p->min_free_inodes;
}

int pt_policy_reserve_ok(const struct pt_policy *p, const struct pt_space *s,
			 uint64_t need, uint64_t need_inodes)
{
	/* Written so that no sum can wrap: need comes from the guest. */
	if (s->bytes < p->min_free_space ||
	    s->bytes - p->min_free_space < need)
		return ENOSPC;
	if (!s->inodes_counted || !p->min_free_inodes)
		return 0;
	if (s->inodes < p->min_free_inodes ||
	    s->inodes - p->min_free_inodes < need_inodes)
		return ENOSPC;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool near_reserve(const struct pt_policy *p, const struct pt_space *s)
{
	if (s->bytes < p->min_free_space + PT_POLICY_NEAR_BYTES)
		return true;
	return s->inodes_counted &&
	       s->inodes < p->min_free_inodes + PT_POLICY_NEAR_INODES;
}

/* Bring the cached reading up to date if it is old or near the reserve. */
static int refresh(struct pt_policy *p)
{
	uint64_t now = now_ns();
	struct statvfs sv;

	if (p->cached && now - p->cached_at_ns < PT_POLICY_CACHE_NS &&
	    !near_reserve(p, &p->space))
		return 0;
	if (fstatvfs(p->statfs_fd, &sv))
		return errno;
	/* f_bavail/f_favail: what is left to unprivileged users, not root's. */
	p->space.bytes = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	p->space.inodes = (uint64_t)sv.f_favail;
	/* btrfs and others allocate inodes freely and report no count. */
	p->space.inodes_counted = sv.f_files != 0;
	p->cached = true;
	p->cached_at_ns = now;
	return 0;
}

/*
 * Check need against the reserve and, when it fits, take it from the
 * cached reading so that checks until the next reading stay conservative.
 */
static int reserve_take(struct pt_policy *p, uint64_t need,
			uint64_t need_inodes)
{
	int err;

	if (!has_reserve(p))
		return 0;
	pthread_mutex_lock(&p->lock);
	err = refresh(p);
	if (!err)
		err = pt_policy_reserve_ok(p, &p->space, need, need_inodes);
	if (!err) {
		p->space.bytes -= need;
		if (p->space.inodes_counted)
			p->space.inodes -= need_inodes < p->space.inodes ?
						   need_inodes :
						   p->space.inodes;
	}
	pthread_mutex_unlock(&p->lock);
	return err;
}

int pt_policy_create(struct pt_policy *p)
{
	if (p->readonly)
		return EROFS;
	return reserve_take(p, 0, 1);
}

int pt_policy_mknod(struct pt_policy *p, mode_t mode, dev_t rdev)
{
	bool dev = S_ISBLK(mode) || S_ISCHR(mode);

	if (p->readonly)
		return EROFS;
	/* A 0:0 character device is a whiteout, not a device. */
	if (p->nodev && dev && !(S_ISCHR(mode) && rdev == makedev(0, 0)))
		return EPERM;
	return reserve_take(p, 0, 1);
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

int pt_policy_setxattr(const struct pt_policy *p, const char *name)
{
	if (p->readonly)
		return EROFS;
	/* File capabilities grant privilege on exec just as set-user-ID. */
	if (p->nosuid && name && !strcmp(name, "security.capability"))
		return EPERM;
	return 0;
}

int pt_policy_alloc(struct pt_policy *p, uint64_t need)
{
	if (p->readonly)
		return EROFS;
	return reserve_take(p, need, 0);
}

int pt_policy_write(struct pt_policy *p, int fd, uint64_t off, uint64_t len)
{
	struct stat st;
	uint64_t end;
	int err;

	if (p->readonly)
		return EROFS;
	err = reserve_take(p, len, 0);
	if (err != ENOSPC)
		return err;
	/* Near the reserve: only what grows the file needs new space. */
	if (fstat(fd, &st))
		return errno;
	end = off > UINT64_MAX - len ? UINT64_MAX : off + len;
	if (st.st_size < 0 || end <= (uint64_t)st.st_size)
		return 0;
	return reserve_take(p, end - (uint64_t)st.st_size, 0);
}

void pt_policy_statfs(const struct pt_policy *p, struct statvfs *sv)
{
	if (p->readonly)
		sv->f_flag |= ST_RDONLY;
}
