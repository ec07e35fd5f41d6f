/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FUSE request decoding and dispatch against the mock filesystem of the
 * unit tests: every opcode reaches its decoder and reply packer without the
 * cost of real I/O. The first input byte picks the mock's answers (error or
 * success, directory size, data length), so error and success paths of
 * every reply are explored.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../unit/fuse/harness.h"
#include "fuse_driver.h"
#include "util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_data[8192];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_setup(LOG_LVL_ERR, false);
	for (size_t i = 0; i < sizeof(fz_data); i++)
		fz_data[i] = (char)('a' + i % 26);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuse_session *s;
	uint8_t knob = size ? data[0] : 0;

	mock_reset();
	mock.ret = (knob & 3) == 3 ? (int)(knob >> 2) % 40 + 1 : 0;
	mock.dir_entries = (knob >> 2) % 64;
	mock.dir_ret = knob & 0x80 ? -5 /* -EIO */ : 0;
	mock.data = fz_data;
	mock.data_len = (size_t)knob * 32;
	if (fuse_session_new(&s, &mock_ops, NULL, fz_session_opts()))
		return 0;
	if (size)
		fz_fuse_run(s, data + 1, size - 1, NULL);
	fuse_session_free(s);
	return 0;
}
