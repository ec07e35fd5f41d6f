/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reserve's accounting (pt_reserve.h).
 */
#include "fs/pt_reserve.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define PT_RESERVE_DEFAULT_BLOCK 4096u
/* Larger units than this are not allocation units we can round to. */
#define PT_RESERVE_MAX_BLOCK (1u << 20)

static uint64_t fs_block(int statfs_fd)
{
	struct statvfs sv;
	uint64_t b;

	if (statfs_fd < 0 || fstatvfs(statfs_fd, &sv))
		return PT_RESERVE_DEFAULT_BLOCK;
	b = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
	/* Rounding needs a power of two; anything odd gets the usual 4 KiB. */
	if (b < 512 || b > PT_RESERVE_MAX_BLOCK || (b & (b - 1)))
		return PT_RESERVE_DEFAULT_BLOCK;
	return b;
}

int pt_reserve_init(struct pt_reserve *r, uint64_t min_free_space,
		    uint64_t min_free_inodes, int statfs_fd)
{
	memset(r, 0, sizeof(*r));
	r->min_free_space = min_free_space;
	r->min_free_inodes = min_free_inodes;
	r->statfs_fd = statfs_fd;
	r->block = fs_block(statfs_fd);
	return -pthread_mutex_init(&r->lock, NULL);
}

void pt_reserve_fini(struct pt_reserve *r)
{
	pthread_mutex_destroy(&r->lock);
}

static bool active(const struct pt_reserve *r)
{
	return r->min_free_space || r->min_free_inodes;
}

int pt_reserve_ok(const struct pt_reserve *r, const struct pt_space *s,
		  const struct pt_charge *need)
{
	/*
	 * Written so that no sum can wrap: need comes from the guest. A
	 * reserve of inodes alone leaves bytes to the host filesystem.
	 */
	if (need->bytes && r->min_free_space &&
	    (s->bytes < r->min_free_space ||
	     s->bytes - r->min_free_space < need->bytes))
		return -ENOSPC;
	if (!need->inodes || !s->inodes_counted || !r->min_free_inodes)
		return 0;
	if (s->inodes < r->min_free_inodes ||
	    s->inodes - r->min_free_inodes < need->inodes)
		return -ENOSPC;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool near_reserve(const struct pt_reserve *r, const struct pt_space *s)
{
	if (s->bytes < r->min_free_space + PT_RESERVE_NEAR_BYTES)
		return true;
	return s->inodes_counted &&
	       s->inodes < r->min_free_inodes + PT_RESERVE_NEAR_INODES;
}

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Bring the cached reading up to date if it is old or near the reserve. */
static int refresh(struct pt_reserve *r)
{
	uint64_t now = now_ns();
	struct statvfs sv;

	if (r->cached && now - r->cached_at_ns < PT_RESERVE_CACHE_NS &&
	    !near_reserve(r, &r->space))
		return 0;
	if (fstatvfs(r->statfs_fd, &sv))
		return -errno;
	/* f_bavail/f_favail: what is left to unprivileged users, not root's. */
	r->space.bytes = minus((uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize,
			       r->pending.bytes);
	r->space.inodes = minus((uint64_t)sv.f_favail, r->pending.inodes);
	/* btrfs and others allocate inodes freely and report no count. */
	r->space.inodes_counted = sv.f_files != 0;
	r->cached = true;
	r->cached_at_ns = now;
	return 0;
}

int pt_reserve_take(struct pt_reserve *r, const struct pt_charge *need,
		    struct pt_charge *taken)
{
	int err;

	*taken = (struct pt_charge){ 0, 0 };
	if (!active(r) || (!need->bytes && !need->inodes))
		return 0;
	pthread_mutex_lock(&r->lock);
	err = refresh(r);
	if (!err)
		err = pt_reserve_ok(r, &r->space, need);
	if (!err) {
		r->space.bytes = minus(r->space.bytes, need->bytes);
		r->space.inodes = minus(r->space.inodes, need->inodes);
		r->pending.bytes += need->bytes;
		r->pending.inodes += need->inodes;
		*taken = *need;
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}

void pt_reserve_done(struct pt_reserve *r, const struct pt_charge *taken)
{
	if (!taken->bytes && !taken->inodes)
		return;
	pthread_mutex_lock(&r->lock);
	r->pending.bytes = minus(r->pending.bytes, taken->bytes);
	r->pending.inodes = minus(r->pending.inodes, taken->inodes);
	pthread_mutex_unlock(&r->lock);
}

static uint64_t round_down(const struct pt_reserve *r, uint64_t x)
{
	return x & ~(r->block - 1);
}

/* Callers keep x at most round_down(UINT64_MAX): no wrap. */
static uint64_t round_up(const struct pt_reserve *r, uint64_t x)
{
	return round_down(r, x + r->block - 1);
}

uint64_t pt_reserve_span(const struct pt_reserve *r, uint64_t off,
			 uint64_t len)
{
	if (!len)
		return 0;
	/* No file reaches so far: whatever is asked cannot fit. */
	if (off > UINT64_MAX - len || off + len > round_down(r, UINT64_MAX))
		return UINT64_MAX;
	return round_up(r, off + len) - round_down(r, off);
}

/*
 * Where the hole that holds or follows pos begins, or pos itself when the
 * file has nothing there (at or beyond its end).
 */
static uint64_t next_hole(int fd, uint64_t pos)
{
	off_t h = lseek(fd, (off_t)pos, SEEK_HOLE);

	return h < 0 ? pos : (uint64_t)h;
}

/* Where data begins again after the hole at pos, or end if not before. */
static uint64_t next_data(int fd, uint64_t pos, uint64_t end)
{
	off_t d = lseek(fd, (off_t)pos, SEEK_DATA);

	return d < 0 || (uint64_t)d > end ? end : (uint64_t)d;
}

int pt_reserve_holes(const struct pt_reserve *r, int fd, uint64_t off,
		     uint64_t len, uint64_t *bytes)
{
	uint64_t end, pos = off, done = 0, sum = 0;
	int fl = fcntl(fd, F_GETFL);
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	/* An appending fd writes at the end, wherever the guest says. */
	if (fl < 0 || (fl & O_APPEND) || off > INT64_MAX ||
	    len > INT64_MAX - off) {
		*bytes = pt_reserve_span(r, off, len);
		return 0;
	}
	end = off + len;
	for (unsigned int i = 0; pos < end; i++) {
		uint64_t h, d, from, to;

		/* Files of many small extents: the rest counts as a hole. */
		h = i < PT_RESERVE_MAX_EXTENTS ? next_hole(fd, pos) : pos;
		if (h >= end)
			break;
		d = h < (uint64_t)st.st_size && i < PT_RESERVE_MAX_EXTENTS ?
			    next_data(fd, h, end) : end;
		/*
		 * A hole after data (the file's end, say) begins in a block
		 * the data holds: the next one is the first to allocate.
		 */
		from = h > pos ? round_up(r, h) : round_down(r, h);
		to = round_up(r, d);
		if (from < done)
			from = done;
		if (to > from)
			sum += to - from;
		done = to;
		pos = d;
	}
	*bytes = sum;
	return 0;
}
