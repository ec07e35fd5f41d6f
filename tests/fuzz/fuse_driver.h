/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared part of the FUSE request fuzz targets: turns one fuzzer input
 * into a sequence of requests, each split into exactly-sized heap pieces
 * (so ASan sees any stray access) and run through fuse_session_process()
 * after a valid INIT. The reply framing is checked after every request;
 * a violation traps.
 *
 * Input: records of
 *	u8  split	low nibble: in pieces - 1, high nibble: out pieces - 1
 *	u16 room	reply room in bytes (little endian)
 *	u16 len		request bytes that follow (clipped to what is left)
 *	len bytes	the request, fuse_in_header first
 *
 * A header nodeid, or a first body field (the fh of READ, WRITE, ...), at
 * or above 0xfffffffffffff000 is replaced by one of the last eight nodeids
 * (fhs) that replies of the same input handed out, picked by its low
 * three bits.
 */
#ifndef VFSD_TESTS_FUZZ_FUSE_DRIVER_H
#define VFSD_TESTS_FUZZ_FUSE_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "fuse/session.h"

/** Options every FUSE target uses (cache=auto, readdirplus, 1 MiB writes). */
const struct fuse_session_opts *fz_session_opts(void);

/**
 * Run INIT then every record of data through s; after_each (may be NULL)
 * runs after each request.
 */
void fz_fuse_run(struct fuse_session *s, const uint8_t *data, size_t size,
		 void (*after_each)(void));

#endif
