/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Little-endian byte streams for the migration state (docs/MIGRATION.md):
 * a growing buffer to write one, a bounded reader to parse one, and the
 * CRC-32C that guards it. Pure: no I/O.
 *
 * Both keep a sticky failure flag, so a writer or parser checks once at
 * the end instead of after every field: a write past the buffer's bound
 * (or out of memory) makes every later write a no-op, and a read past the
 * end yields zeros and NULL from then on. Nothing read from a failed
 * reader may be used.
 */
#ifndef VFSD_UTIL_WIRE_H
#define VFSD_UTIL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the state stream is little-endian; big-endian hosts are not supported"
#endif

struct wbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	size_t max;	/* bound on len */
	bool failed;	/* out of memory or over max: nothing more is written */
};

/** An empty buffer that may grow to max bytes. */
void wbuf_init(struct wbuf *b, size_t max);
void wbuf_free(struct wbuf *b);

/** Room for n more bytes at the end, now counted in len; NULL on failure. */
void *wbuf_reserve(struct wbuf *b, size_t n);
void wbuf_put(struct wbuf *b, const void *src, size_t n);
void wbuf_u16(struct wbuf *b, uint16_t v);
void wbuf_u32(struct wbuf *b, uint32_t v);
void wbuf_u64(struct wbuf *b, uint64_t v);
/** Overwrite a u32 or u64 written earlier at offset at (a length). */
void wbuf_patch_u32(struct wbuf *b, size_t at, uint32_t v);
void wbuf_patch_u64(struct wbuf *b, size_t at, uint64_t v);

struct rbuf {
	const uint8_t *p;
	size_t len;
	size_t pos;
	bool failed;	/* a read went past len */
};

void rbuf_init(struct rbuf *r, const void *p, size_t len);
uint16_t rbuf_u16(struct rbuf *r);
uint32_t rbuf_u32(struct rbuf *r);
uint64_t rbuf_u64(struct rbuf *r);
/** n bytes in place, or NULL (and failed) if fewer are left. */
const uint8_t *rbuf_bytes(struct rbuf *r, size_t n);
/** The next n bytes as a reader of their own (failed if fewer are left). */
struct rbuf rbuf_sub(struct rbuf *r, size_t n);

static inline size_t rbuf_left(const struct rbuf *r)
{
	return r->failed ? 0 : r->len - r->pos;
}

/** CRC-32C (Castagnoli) of n bytes, continuing from crc (0 to start). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif
