/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration state decoder (docs/MIGRATION.md) and its load, as a
 * destination daemon runs it: fuse_session_state_load() of one input on a
 * FUSE session over the real passthrough filesystem of the scratch share
 * (scratch.h), which holds a file, a directory, a symlink out of the share
 * and a fifo for the state's names to find.
 *
 * Input: a flag byte, then the stream. Flag bit 0 clear: the stream is a
 * body, wrapped here in a header with the right length and checksum, so
 * the fuzzer reaches the sections; set: taken as it is (the header
 * checks). After a load, whatever it restored is forgotten again, so fds
 * do not pile up between inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/passthrough.h"
#include "fuse/session.h"
#include "fuse_driver.h"
#include "policy/creds.h"
#include "scratch.h"
#include "util/log.h"
#include "util/statefmt.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pt_fs *fs;
static struct fuse_session *session;
static unsigned long runs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pt_opts opts = { 0 };

	(void)argc;
	(void)argv;
	log_setup(LOG_LVL_ERR, false);
	fz_scratch_init("fuzz_state");
	opts.shared_dir = fz_share_path();
	/* Closed inodes reopened by name: the walk a load sets up. */
	opts.inode_fd_budget = 8;
	if (pt_new(&fs, &opts) ||
	    fuse_session_new(&session, &pt_ops, fs, fz_session_opts())) {
		fprintf(stderr, "fuzz_state: setup failed\n");
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wbuf b;

	if (size < 1)
		return 0;
	if (++runs % 256 == 0)
		fz_populate();
	if (data[0] & 1) {
		(void)fuse_session_state_load(session, data + 1, size - 1);
	} else {
		wbuf_init(&b, STATE_MAX_SIZE);
		state_begin(&b);
		wbuf_put(&b, data + 1, size - 1);
		if (!state_finish(&b))
			(void)fuse_session_state_load(session, b.p, b.len);
		wbuf_free(&b);
	}
	pt_ops.destroy(fs);
	if (creds_reset())
		abort();
	return 0;
}
