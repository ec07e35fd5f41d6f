/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FUSE requests against the real passthrough filesystem, on the scratch
 * share (scratch.h); every 256 inputs it is emptied and repopulated, so
 * state carries over only a little between inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/passthrough.h"
#include "fuse_driver.h"
#include "scratch.h"
#include "policy/creds.h"
#include "util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long runs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_setup(LOG_LVL_ERR, false);
	fz_scratch_init("fuzz_fuse_pt");
	return 0;
}

/* Requests run with the guest's uid; the fuzzer itself must stay root. */
static void fz_back_to_root(void)
{
	if (creds_reset()) {
		fprintf(stderr, "fuzz_fuse_pt: creds_reset failed\n");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_opts opts = { .shared_dir = fz_share_path() };
	struct fuse_session *s;
	struct pt_fs *fs;
	int err = 0;

	if (++runs % 256 == 0)
		fz_populate();
	err = pt_new(&fs, &opts);
	if (err) {
		fprintf(stderr, "fuzz_fuse_pt: pt_new: %s\n", strerror(-err));
		abort();
	}
	if (!fuse_session_new(&s, &pt_ops, fs, fz_session_opts())) {
		fz_fuse_run(s, data, size, fz_back_to_root);
		fuse_session_free(s);
	}
	pt_free(fs);
	return 0;
}
