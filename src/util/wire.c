/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/wire.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void wbuf_init(struct wbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void wbuf_free(struct wbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static bool wbuf_grow(struct wbuf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *p;

	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max)
		cap = b->max;
	p = realloc(b->p, cap);
	if (!p)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

void *wbuf_reserve(struct wbuf *b, size_t n)
{
	void *at;

	if (b->failed || n > b->max - b->len) {
		b->failed = true;
		return NULL;
	}
	if (b->len + n > b->cap && !wbuf_grow(b, b->len + n)) {
		b->failed = true;
		return NULL;
	}
	at = b->p + b->len;
	b->len += n;
	return at;
}

void wbuf_put(struct wbuf *b, const void *src, size_t n)
{
	void *at = wbuf_reserve(b, n);

	if (at && n)
		memcpy(at, src, n);
}

void wbuf_u16(struct wbuf *b, uint16_t v)
{
	wbuf_put(b, &v, sizeof(v));
}

void wbuf_u32(struct wbuf *b, uint32_t v)
{
	wbuf_put(b, &v, sizeof(v));
}

void wbuf_u64(struct wbuf *b, uint64_t v)
{
	wbuf_put(b, &v, sizeof(v));
}

void wbuf_patch_u32(struct wbuf *b, size_t at, uint32_t v)
{
	if (!b->failed && at <= b->len && sizeof(v) <= b->len - at)
		memcpy(b->p + at, &v, sizeof(v));
}

void wbuf_patch_u64(struct wbuf *b, size_t at, uint64_t v)
{
	if (!b->failed && at <= b->len && sizeof(v) <= b->len - at)
		memcpy(b->p + at, &v, sizeof(v));
}

void rbuf_init(struct rbuf *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
	r->failed = false;
}

const uint8_t *rbuf_bytes(struct rbuf *r, size_t n)
{
	const uint8_t *at;

	if (r->failed || n > r->len - r->pos) {
		r->failed = true;
		return NULL;
	}
	at = r->p + r->pos;
	r->pos += n;
	return at;
}

/* Copy n bytes out, or zeros once the reader failed. */
static void rbuf_copy(struct rbuf *r, void *out, size_t n)
{
	const uint8_t *at = rbuf_bytes(r, n);

	if (at)
		memcpy(out, at, n);
	else
		memset(out, 0, n);
}

uint16_t rbuf_u16(struct rbuf *r)
{
	uint16_t v;

	rbuf_copy(r, &v, sizeof(v));
	return v;
}

uint32_t rbuf_u32(struct rbuf *r)
{
	uint32_t v;

	rbuf_copy(r, &v, sizeof(v));
	return v;
}

uint64_t rbuf_u64(struct rbuf *r)
{
	uint64_t v;

	rbuf_copy(r, &v, sizeof(v));
	return v;
}

struct rbuf rbuf_sub(struct rbuf *r, size_t n)
{
	struct rbuf s;
	const uint8_t *at = rbuf_bytes(r, n);

	rbuf_init(&s, at, at ? n : 0);
	s.failed = at == NULL;
	return s;
}

/* The reflected Castagnoli polynomial. */
#define CRC32C_POLY 0x82f63b78u

static uint32_t crc32c_table[256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void crc32c_make_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc32c_table[i] = c;
	}
}

uint32_t crc32c(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *s = p;

	pthread_once(&crc32c_once, crc32c_make_table);
	crc = ~crc;
	while (n--)
		crc = crc32c_table[(crc ^ *s++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
