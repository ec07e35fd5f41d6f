/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The frame of the migration state stream (docs/MIGRATION.md): a header
 * (magic, version, body length, CRC-32C of the body) and a body of typed
 * sections, each written by the layer that owns it (the FUSE session, the
 * filesystem). Pure: no I/O.
 *
 * Compatibility: a reader takes any version up to its own; a section type
 * it does not know is skipped if the writer marked it optional and refused
 * otherwise, so a newer writer can add what an older reader may ignore.
 */
#ifndef VFSD_UTIL_STATEFMT_H
#define VFSD_UTIL_STATEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/wire.h"

#define STATE_MAGIC "VFSDSTAT"
#define STATE_MAGIC_LEN 8u
/* The version this build writes, and the newest it reads. */
#define STATE_VERSION 1u
#define STATE_HDR_SIZE 40u
/* The largest stream written or read: about 2 million known inodes. */
#define STATE_MAX_SIZE (128u << 20)

enum state_section {
	STATE_SEC_SESSION = 1,	/* fuse/session_state.c */
	STATE_SEC_FS = 2,	/* fs/migrate_*.c: the share and counters */
	STATE_SEC_NODES = 3,	/* the inodes the guest knows */
	STATE_SEC_HANDLES = 4,	/* its open files and directories */
	STATE_SEC_COUNT,
};

/* Section flag: a reader that does not know the type may skip it. */
#define STATE_SEC_OPTIONAL 1u
#define STATE_SEC_HDR_SIZE 16u

/** Start a stream in b: the header, to be completed by state_finish(). */
void state_begin(struct wbuf *b);
/** Start a section; returns the mark state_section_end() needs. */
size_t state_section_begin(struct wbuf *b, uint32_t type, uint32_t flags);
void state_section_end(struct wbuf *b, size_t mark);
/** Fill the header's length and checksum. 0, or -ENOMEM / -EMSGSIZE. */
int state_finish(struct wbuf *b);

/** A parsed stream: the payload of each section the reader knows. */
struct state_view {
	uint32_t version;
	bool has[STATE_SEC_COUNT];
	struct rbuf sec[STATE_SEC_COUNT];
};

/**
 * Check the frame of a stream of len bytes (header, length, checksum,
 * sections) and find its sections; 0, or -EINVAL / -EPROTONOSUPPORT with
 * a reason in err. The views point into buf.
 */
int state_parse(const void *buf, size_t len, struct state_view *v, char *err,
		size_t errlen);

#endif
