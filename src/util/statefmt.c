/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/statefmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * Header: magic[8], version u32, header size u32, body size u64, body
 * CRC-32C u32, flags u32 (0), reserved u64 (0).
 */
#define OFF_BODY_LEN 16u
#define OFF_CRC 24u

void state_begin(struct wbuf *b)
{
	wbuf_put(b, STATE_MAGIC, STATE_MAGIC_LEN);
	wbuf_u32(b, STATE_VERSION);
	wbuf_u32(b, STATE_HDR_SIZE);
	wbuf_u64(b, 0);
	wbuf_u32(b, 0);
	wbuf_u32(b, 0);
	wbuf_u64(b, 0);
}

size_t state_section_begin(struct wbuf *b, uint32_t type, uint32_t flags)
{
	size_t mark = b->len;

	wbuf_u32(b, type);
	wbuf_u32(b, flags);
	wbuf_u64(b, 0);
	return mark;
}

void state_section_end(struct wbuf *b, size_t mark)
{
	if (!b->failed)
		wbuf_patch_u64(b, mark + 8, b->len - mark - STATE_SEC_HDR_SIZE);
}

int state_finish(struct wbuf *b)
{
	if (b->failed)
		return b->len >= b->max ? -EMSGSIZE : -ENOMEM;
	wbuf_patch_u64(b, OFF_BODY_LEN, b->len - STATE_HDR_SIZE);
	wbuf_patch_u32(b, OFF_CRC,
		       crc32c(0, b->p + STATE_HDR_SIZE,
			      b->len - STATE_HDR_SIZE));
	return 0;
}

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* The sections of a checked body. */
static int parse_sections(struct rbuf *body, struct state_view *v, char *err,
			  size_t errlen)
{
	while (rbuf_left(body)) {
		uint32_t type = rbuf_u32(body);
		uint32_t flags = rbuf_u32(body);
		uint64_t len = rbuf_u64(body);

		if (body->failed)
			return fail(err, errlen, -EINVAL,
				    "a section header is cut short");
		if (len > rbuf_left(body))
			return fail(err, errlen, -EINVAL,
				    "section %u claims %llu bytes, %zu follow",
				    type, (unsigned long long)len,
				    rbuf_left(body));
		if (type == 0 || type >= STATE_SEC_COUNT) {
			if (!(flags & STATE_SEC_OPTIONAL))
				return fail(err, errlen, -EPROTONOSUPPORT,
					    "unknown section %u", type);
			(void)rbuf_bytes(body, (size_t)len);
			continue;
		}
		if (v->has[type])
			return fail(err, errlen, -EINVAL,
				    "section %u appears twice", type);
		v->has[type] = true;
		v->sec[type] = rbuf_sub(body, (size_t)len);
	}
	return 0;
}

int state_parse(const void *buf, size_t len, struct state_view *v, char *err,
		size_t errlen)
{
	struct rbuf r, body;
	const uint8_t *magic;
	uint32_t hdr_size, crc;
	uint64_t body_len;

	memset(v, 0, sizeof(*v));
	if (len > STATE_MAX_SIZE)
		return fail(err, errlen, -EINVAL, "%zu bytes is over the %u "
			    "a state may have", len, STATE_MAX_SIZE);
	rbuf_init(&r, buf, len);
	magic = rbuf_bytes(&r, STATE_MAGIC_LEN);
	v->version = rbuf_u32(&r);
	hdr_size = rbuf_u32(&r);
	body_len = rbuf_u64(&r);
	crc = rbuf_u32(&r);
	if (r.failed || memcmp(magic, STATE_MAGIC, STATE_MAGIC_LEN))
		return fail(err, errlen, -EINVAL, "not a vfsd state (%zu bytes)",
			    len);
	if (v->version == 0 || v->version > STATE_VERSION)
		return fail(err, errlen, -EPROTONOSUPPORT,
			    "state version %u; this vfsd reads 1 to %u",
			    v->version, STATE_VERSION);
	/* A later version may have a longer header: its size says so. */
	if (hdr_size < STATE_HDR_SIZE || hdr_size > len)
		return fail(err, errlen, -EINVAL, "header size %u", hdr_size);
	if (body_len != len - hdr_size)
		return fail(err, errlen, -EINVAL,
			    "the body should have %llu bytes and has %zu "
			    "(truncated?)", (unsigned long long)body_len,
			    len - hdr_size);
	if (crc32c(0, (const uint8_t *)buf + hdr_size, len - hdr_size) != crc)
		return fail(err, errlen, -EINVAL, "checksum mismatch");
	rbuf_init(&body, (const uint8_t *)buf + hdr_size, len - hdr_size);
	return parse_sections(&body, v, err, errlen);
}
