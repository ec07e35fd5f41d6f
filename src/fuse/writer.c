/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded writer: the only code that stores into reply buffers.
 *
 * Mirrors fuse/reader.c: a position (iovec, offset) plus a byte budget,
 * checked before any byte moves.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuse/writer.h"

void fw_init(struct fuse_writer *w, const struct iovec *iov, unsigned int cnt)
{
	size_t total = 0;

	for (unsigned int i = 0; i < cnt; i++) {
		if (__builtin_add_overflow(total, iov[i].iov_len, &total)) {
			total = SIZE_MAX;
			break;
		}
	}
	w->iov = iov;
	w->cnt = cnt;
	w->pos.idx = 0;
	w->pos.off = 0;
	w->room = total;
	w->bytes_written = 0;
}

size_t fw_room(const struct fuse_writer *w)
{
	return w->room;
}

size_t fw_bytes_written(const struct fuse_writer *w)
{
	return w->bytes_written;
}

typedef void (*fw_piece_fn)(void *arg, char *p, size_t len);

/*
 * Walk size bytes from *pos over iov, calling fn per contiguous piece, and
 * leave *pos after them. The caller has checked size against the room.
 */
static int fw_walk(const struct fuse_writer *w, struct fw_pos *pos,
		   size_t size, fw_piece_fn fn, void *arg)
{
	struct fw_pos p = *pos;
	size_t left = size;

	while (left) {
		size_t avail, n;

		if (p.idx >= w->cnt)
			return -E2BIG;
		avail = w->iov[p.idx].iov_len - p.off;
		if (!avail) {
			p.idx++;
			p.off = 0;
			continue;
		}
		n = avail < left ? avail : left;
		if (fn)
			fn(arg, (char *)w->iov[p.idx].iov_base + p.off, n);
		p.off += n;
		left -= n;
	}
	*pos = p;
	return 0;
}

static int fw_advance(struct fuse_writer *w, size_t size, fw_piece_fn fn,
		      void *arg)
{
	int ret;

	if (size > w->room)
		return -E2BIG;
	ret = fw_walk(w, &w->pos, size, fn, arg);
	if (ret)
		return ret;
	w->room -= size;
	w->bytes_written += size;
	return 0;
}

struct fw_copy {
	const char *src;
};

static void fw_copy_piece(void *arg, char *p, size_t len)
{
	struct fw_copy *c = arg;

	memcpy(p, c->src, len);
	c->src += len;
}

static void fw_zero_piece(void *arg __unused, char *p, size_t len)
{
	memset(p, 0, len);
}

int fw_write(struct fuse_writer *w, const void *src, size_t size)
{
	struct fw_copy c = { .src = src };

	return fw_advance(w, size, fw_copy_piece, &c);
}

int fw_zero(struct fuse_writer *w, size_t size)
{
	return fw_advance(w, size, fw_zero_piece, NULL);
}

int fw_reserve(struct fuse_writer *w, size_t size, struct fw_mark *mark)
{
	struct fw_pos start = w->pos;
	int ret = fw_advance(w, size, NULL, NULL);

	if (ret)
		return ret;
	mark->pos = start;
	mark->at = w->bytes_written - size;
	mark->len = size;
	return 0;
}

int fw_fill(const struct fuse_writer *w, const struct fw_mark *mark,
	    const void *src, size_t size)
{
	struct fw_copy c = { .src = src };
	struct fw_pos p = mark->pos;

	if (size > mark->len)
		return -E2BIG;
	return fw_walk(w, &p, size, fw_copy_piece, &c);
}

struct fw_vec {
	struct iovec *out;
	unsigned int max;
	unsigned int cnt;
	int err;
};

static void fw_vec_piece(void *arg, char *p, size_t len)
{
	struct fw_vec *v = arg;

	if (v->cnt >= v->max) {
		v->err = -E2BIG;
		return;
	}
	v->out[v->cnt].iov_base = p;
	v->out[v->cnt].iov_len = len;
	v->cnt++;
}

int fw_payload_iov(const struct fuse_writer *w, size_t size, struct iovec *iov,
		   unsigned int max, unsigned int *cnt)
{
	struct fw_vec v = { .out = iov, .max = max };
	struct fw_pos p = w->pos;
	int ret;

	if (size > w->room)
		return -E2BIG;
	ret = fw_walk(w, &p, size, fw_vec_piece, &v);
	if (ret)
		return ret;
	if (v.err)
		return v.err;
	*cnt = v.cnt;
	return 0;
}

size_t fw_room_iov(const struct fuse_writer *w, unsigned int max)
{
	struct fw_pos p = w->pos;
	size_t sum = 0;

	while (max && p.idx < w->cnt && sum < w->room) {
		size_t avail = w->iov[p.idx].iov_len - p.off;

		if (avail) {
			/* Cannot overflow: bounded by room, a size_t. */
			sum += avail < w->room - sum ? avail : w->room - sum;
			max--;
		}
		p.idx++;
		p.off = 0;
	}
	return sum;
}

int fw_commit(struct fuse_writer *w, size_t n)
{
	return fw_advance(w, n, NULL, NULL);
}

void fw_rewind(struct fuse_writer *w, const struct fw_mark *mark)
{
	struct fw_pos p = mark->pos;
	size_t total = w->room + w->bytes_written;

	/* The slot was taken from these iovecs, so this walk cannot fail. */
	if (fw_walk(w, &p, mark->len, NULL, NULL))
		return;
	w->pos = p;
	w->bytes_written = mark->at + mark->len;
	w->room = total - w->bytes_written;
}
