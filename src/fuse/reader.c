/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded reader: the only code that dereferences request buffers.
 *
 * Position is an (iovec, offset) pair plus a byte budget. Every operation
 * works on a copy of the position and commits it only on success, so a
 * failed read leaves the reader untouched.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuse/reader.h"

void fr_init(struct fuse_reader *r, const struct iovec *iov, unsigned int cnt,
	     size_t limit)
{
	size_t total = 0;

	for (unsigned int i = 0; i < cnt; i++) {
		/* Saturate: the limit caps what is readable anyway. */
		if (__builtin_add_overflow(total, iov[i].iov_len, &total)) {
			total = SIZE_MAX;
			break;
		}
	}
	r->iov = iov;
	r->cnt = cnt;
	r->idx = 0;
	r->off = 0;
	r->remaining = total < limit ? total : limit;
}

size_t fr_remaining(const struct fuse_reader *r)
{
	return r->remaining;
}

/*
 * Walk size bytes from the current position, calling fn on each contiguous
 * piece. The budget check comes first, so the walk never leaves the iovecs.
 */
typedef int (*fr_piece_fn)(void *arg, const char *p, size_t len);

static int fr_walk(struct fuse_reader *r, size_t size, fr_piece_fn fn,
		   void *arg)
{
	unsigned int idx = r->idx;
	size_t off = r->off;
	size_t left = size;

	if (size > r->remaining)
		return -EINVAL;
	while (left) {
		size_t avail, n;

		if (idx >= r->cnt)
			return -EINVAL;
		avail = r->iov[idx].iov_len - off;
		if (!avail) {
			idx++;
			off = 0;
			continue;
		}
		n = avail < left ? avail : left;
		if (fn) {
			int ret = fn(arg, (const char *)r->iov[idx].iov_base +
					      off, n);

			if (ret)
				return ret;
		}
		off += n;
		left -= n;
	}
	r->idx = idx;
	r->off = off;
	r->remaining -= size;
	return 0;
}

struct fr_copy {
	char *dst;
};

static int fr_copy_piece(void *arg, const char *p, size_t len)
{
	struct fr_copy *c = arg;

	memcpy(c->dst, p, len);
	c->dst += len;
	return 0;
}

int fr_read_obj(struct fuse_reader *r, void *dst, size_t size)
{
	struct fr_copy c = { .dst = dst };

	return fr_walk(r, size, fr_copy_piece, &c);
}

int fr_skip(struct fuse_reader *r, size_t size)
{
	return fr_walk(r, size, NULL, NULL);
}

int fr_sub(struct fuse_reader *r, size_t size, struct fuse_reader *sub)
{
	struct fuse_reader s = *r;
	int ret;

	ret = fr_skip(r, size);
	if (ret)
		return ret;
	s.remaining = size;
	*sub = s;
	return 0;
}

int fr_read_str(struct fuse_reader *r, char *dst, size_t cap)
{
	size_t max = r->remaining < cap ? r->remaining : cap;
	unsigned int idx = r->idx;
	size_t off = r->off;
	size_t got = 0;

	/*
	 * Copy first, then look for the NUL in our copy: the guest may be
	 * rewriting the bytes while we read them.
	 */
	while (got < max) {
		size_t avail, n;
		char *nul;

		if (idx >= r->cnt)
			return -EINVAL;
		avail = r->iov[idx].iov_len - off;
		if (!avail) {
			idx++;
			off = 0;
			continue;
		}
		n = avail < max - got ? avail : max - got;
		memcpy(dst + got, (const char *)r->iov[idx].iov_base + off, n);
		nul = memchr(dst + got, '\0', n);
		if (nul) {
			size_t len = (size_t)(nul - dst) + 1;

			return fr_skip(r, len);
		}
		got += n;
		off += n;
	}
	/* More bytes follow but none was a NUL within cap: too long. */
	return max == cap && r->remaining > cap ? -ENAMETOOLONG : -EINVAL;
}

struct fr_vec {
	struct iovec *out;
	unsigned int max;
	unsigned int cnt;
};

static int fr_vec_piece(void *arg, const char *p, size_t len)
{
	struct fr_vec *v = arg;

	if (v->cnt >= v->max)
		return -EINVAL;
	v->out[v->cnt].iov_base = (void *)p;
	v->out[v->cnt].iov_len = len;
	v->cnt++;
	return 0;
}

int fr_payload_iov(struct fuse_reader *r, size_t size, struct iovec *out,
		   unsigned int max, unsigned int *cnt)
{
	struct fr_vec v = { .out = out, .max = max };
	int ret = fr_walk(r, size, fr_vec_piece, &v);

	if (ret)
		return ret;
	*cnt = v.cnt;
	return 0;
}
