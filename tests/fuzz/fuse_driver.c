/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <linux/fuse.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "fuse_driver.h"

#define FZ_MAX_PIECES 16
#define FZ_MAX_ROOM (1u << 16)
/* A nodeid or leading fh at or above this names a remembered one. */
#define FZ_MAGIC 0xfffffffffffff000ull
#define FZ_SLOTS 8

/* Nodeids and fhs handed out by earlier replies of the same input. */
static struct {
	uint64_t nodeid[FZ_SLOTS];
	uint64_t fh[FZ_SLOTS];
	unsigned int next_nodeid, next_fh;
} fz_ids;

const struct fuse_session_opts *fz_session_opts(void)
{
	static const struct fuse_session_opts o = {
		.cache = FUSE_CACHE_AUTO,
		.readdirplus = true,
		/* Offered, so an INIT that takes them reaches their decoders. */
		.posix_acl = true,
		.security_ctx = true,
		.xattr = true,
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

/* Gather the first len bytes of the reply (fewer if it is shorter). */
static size_t fz_gather(const struct fuse_req *req, uint8_t *dst, size_t len)
{
	size_t got = 0;

	if (len > req->reply_len)
		len = req->reply_len;
	for (unsigned int i = 0; i < req->out_cnt && got < len; i++) {
		size_t n = req->out[i].iov_len;

		if (n > len - got)
			n = len - got;
		memcpy(dst + got, req->out[i].iov_base, n);
		got += n;
	}
	return got;
}

static void fz_remember(const struct fuse_req *req, uint32_t opcode)
{
	struct {
		struct fuse_out_header h;
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} __attribute__((packed)) r;
	size_t n = fz_gather(req, (uint8_t *)&r, sizeof(r));
	size_t entry_end = sizeof(r.h) + sizeof(r.e);

	if (n < sizeof(r.h) + sizeof(uint64_t) || r.h.error)
		return;
	switch (opcode) {
	case FUSE_LOOKUP:
	case FUSE_MKDIR:
	case FUSE_MKNOD:
	case FUSE_SYMLINK:
	case FUSE_LINK:
		fz_ids.nodeid[fz_ids.next_nodeid++ % FZ_SLOTS] = r.e.nodeid;
		break;
	case FUSE_CREATE:
		fz_ids.nodeid[fz_ids.next_nodeid++ % FZ_SLOTS] = r.e.nodeid;
		if (n >= entry_end + sizeof(uint64_t))
			fz_ids.fh[fz_ids.next_fh++ % FZ_SLOTS] = r.o.fh;
		break;
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		memcpy(&fz_ids.fh[fz_ids.next_fh++ % FZ_SLOTS], &r.e,
		       sizeof(uint64_t));
		break;
	default:
		break;
	}
}

/*
 * Put remembered ids where the input asks for them: in the header's nodeid
 * and in the first body field (the fh of READ, WRITE, RELEASE, ...), so
 * the fuzzer reaches handles it could not guess.
 */
static void fz_substitute(uint8_t *in, size_t inlen)
{
	struct fuse_in_header h;
	uint64_t v;

	if (inlen < sizeof(h))
		return;
	memcpy(&h, in, sizeof(h));
	if (h.nodeid >= FZ_MAGIC) {
		h.nodeid = fz_ids.nodeid[h.nodeid % FZ_SLOTS];
		memcpy(in, &h, sizeof(h));
	}
	if (inlen < sizeof(h) + sizeof(v))
		return;
	memcpy(&v, in + sizeof(h), sizeof(v));
	if (v >= FZ_MAGIC) {
		v = fz_ids.fh[v % FZ_SLOTS];
		memcpy(in + sizeof(h), &v, sizeof(v));
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
	uint8_t *copy = malloc(inlen ? inlen : 1);
	struct fuse_in_header ih = { 0 };

	if (!copy)
		return;
	memcpy(copy, in, inlen);
	fz_substitute(copy, inlen);
	if (inlen >= sizeof(ih))
		memcpy(&ih, copy, sizeof(ih));
	if (fz_alloc_pieces(iin, in_parts, in_cnt, copy)) {
		free(copy);
		return;
	}
	if (fz_alloc_pieces(iout, out_parts, out_cnt, NULL)) {
		fz_free_pieces(iin, in_cnt);
		free(copy);
		return;
	}
	req.in = iin;
	req.in_cnt = in_cnt;
	req.out = iout;
	req.out_cnt = out_cnt;
	fuse_session_process(s, &req);
	fz_check_reply(&req, copy, inlen, room);
	if (inlen >= sizeof(ih))
		fz_remember(&req, ih.opcode);
	fz_free_pieces(iout, out_cnt);
	fz_free_pieces(iin, in_cnt);
	free(copy);
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

	memset(&fz_ids, 0, sizeof(fz_ids));
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
