// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <linux/fuse.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "fuse_driver.h"

#define FZ_MAX_PIECES 16
#define FZ_MAX_ROOM (1u << 16)

const struct fuse_session_opts *fz_session_opts(void)
{
	static const struct fuse_session_opts o = {
		.cache = FUSE_CACHE_AUTO,
		.readdirplus = true,
		.max_write = 1u << 20,
		.max_readahead = 1u << 20,
	};

	return &o;
}

/* Split points come from the record itself, so a crash replays exactly. */
static uint32_t fz_next(uint32_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 17;
	*st ^= *st << 5;
	return *st;
}

static unsigned int fz_split(size_t total, unsigned int cnt, uint32_t *st,
			     size_t *parts)
{
	size_t left = total;

	for (unsigned int i = 0; i + 1 < cnt; i++) {
		parts[i] = left ? fz_next(st) % (left + 1) : 0;
		left -= parts[i];
	}
	parts[cnt - 1] = left;
	return cnt;
}

static void fz_free_pieces(struct iovec *iov, unsigned int cnt)
{
	for (unsigned int i = 0; i < cnt; i++)
		free(iov[i].iov_base);
}

/* Each piece its own allocation of exactly its size (1 byte for empty). */
static int fz_alloc_pieces(struct iovec *iov, const size_t *parts,
			   unsigned int cnt, const uint8_t *src)
{
	size_t pos = 0;

	for (unsigned int i = 0; i < cnt; i++) {
		iov[i].iov_base = malloc(parts[i] ? parts[i] : 1);
		iov[i].iov_len = parts[i];
		if (!iov[i].iov_base) {
			fz_free_pieces(iov, i);
			return -ENOMEM;
		}
		if (src)
			memcpy(iov[i].iov_base, src + pos, parts[i]);
		else
			memset(iov[i].iov_base, 0xa5, parts[i]);
		pos += parts[i];
	}
	return 0;
}

/* The reply, gathered back from its pieces, must be one framed message. */
static void fz_check_reply(const struct fuse_req *req, const uint8_t *in,
			   size_t inlen, size_t room)
{
	struct fuse_out_header oh;
	struct fuse_in_header ih;
	size_t got = 0;

	if (req->reply_len > room)
		__builtin_trap();
	if (!req->reply_sent || !req->reply_len)
		return;
	if (req->reply_len < sizeof(oh))
		__builtin_trap();
	for (unsigned int i = 0; i < req->out_cnt && got < sizeof(oh); i++) {
		size_t n = req->out[i].iov_len;

		if (n > sizeof(oh) - got)
			n = sizeof(oh) - got;
		memcpy((uint8_t *)&oh + got, req->out[i].iov_base, n);
		got += n;
	}
	if (oh.len != req->reply_len || oh.error > 0 || oh.error <= -512)
		__builtin_trap();
	if (oh.error && req->reply_len != sizeof(oh))
		__builtin_trap();
	if (inlen >= sizeof(ih)) {
		memcpy(&ih, in, sizeof(ih));
		if (oh.unique != ih.unique)
			__builtin_trap();
	}
}

static void fz_run_one(struct fuse_session *s, const uint8_t *in,
		       size_t inlen, uint8_t split, size_t room)
{
	struct iovec iin[FZ_MAX_PIECES], iout[FZ_MAX_PIECES];
	size_t in_parts[FZ_MAX_PIECES], out_parts[FZ_MAX_PIECES];
	uint32_t st = 0x9e3779b9u ^ ((uint32_t)split << 24) ^
		      (uint32_t)inlen ^ ((uint32_t)room << 8);
	unsigned int in_cnt = fz_split(inlen, 1 + (split & 15u), &st, in_parts);
	unsigned int out_cnt = fz_split(room, 1 + (split >> 4), &st, out_parts);
	struct fuse_req req = { .queue = 1 };

	if (fz_alloc_pieces(iin, in_parts, in_cnt, in))
		return;
	if (fz_alloc_pieces(iout, out_parts, out_cnt, NULL)) {
		fz_free_pieces(iin, in_cnt);
		return;
	}
	req.in = iin;
	req.in_cnt = in_cnt;
	req.out = iout;
	req.out_cnt = out_cnt;
	fuse_session_process(s, &req);
	fz_check_reply(&req, in, inlen, room);
	fz_free_pieces(iout, out_cnt);
	fz_free_pieces(iin, in_cnt);
}

static void fz_init(struct fuse_session *s)
{
	struct {
		struct fuse_in_header h;
		struct fuse_init_in in;
	} m = {
		.h = { .len = sizeof(m), .opcode = FUSE_INIT, .unique = 1 },
		.in = {
			.major = FUSE_KERNEL_VERSION,
			.minor = FUSE_KERNEL_MINOR_VERSION,
			.max_readahead = 1u << 20,
			.flags = 0xffffffffu,
			.flags2 = 0xffffffffu,
		},
	};

	fz_run_one(s, (const uint8_t *)&m, sizeof(m), 0x00,
		   sizeof(struct fuse_out_header) +
			   sizeof(struct fuse_init_out));
}

void fz_fuse_run(struct fuse_session *s, const uint8_t *data, size_t size,
		 void (*after_each)(void))
{
	size_t pos = 0;

	fz_init(s);
	if (after_each)
		after_each();
	while (size - pos >= 5) {
		uint8_t split = data[pos];
		size_t room = data[pos + 1] | (size_t)data[pos + 2] << 8;
		size_t len = data[pos + 3] | (size_t)data[pos + 4] << 8;

		pos += 5;
		if (len > size - pos)
			len = size - pos;
		if (room > FZ_MAX_ROOM)
			room = FZ_MAX_ROOM;
		fz_run_one(s, data + pos, len, split, room);
		if (after_each)
			after_each();
		pos += len;
	}
}
