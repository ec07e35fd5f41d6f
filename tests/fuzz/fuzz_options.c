/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command line parsers: the legacy "-o a=b,c" dialect (with ",,"
 * escapes) and the whole argv parser, which libvirt and users both feed.
 * The error text must always be a terminated string, and a successful
 * parse must leave a state options_free() can release.
 *
 * Input: u8 mode, then bytes. Even mode: the bytes are one -o argument
 * given to options_parse_legacy() after the defaults. Odd mode: the bytes,
 * split at NUL, are argv[1..] of options_parse().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_setup(LOG_LVL_ERR, false);
	return 0;
}

static void fz_check_err(const char *err, size_t len)
{
	if (strnlen(err, len) >= len)
		__builtin_trap();
}

static void fz_legacy(char *arg)
{
	static char prog[] = "vfsd";
	char *argv[] = { prog, NULL };
	struct vfsd_options o;
	char err[256];

	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	if (options_parse(&o, 1, argv, err, sizeof(err)))
		__builtin_trap();
	if (options_parse_legacy(&o, arg, err, sizeof(err)))
		fz_check_err(err, sizeof(err));
	options_free(&o);
}

static void fz_argv(char *buf, size_t len)
{
	static char prog[] = "vfsd";
	char *argv[FZ_MAX_ARGS + 2] = { prog };
	struct vfsd_options o;
	char err[256];
	int argc = 1;

	for (size_t i = 0; i < len && argc <= FZ_MAX_ARGS; argc++) {
		argv[argc] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	if (options_parse(&o, argc, argv, err, sizeof(err)))
		fz_check_err(err, sizeof(err));
	options_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	if (size < 1 || size > 8192)
		return 0;
	/* Exactly sized (plus the terminator) so ASan sees any over-read. */
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if (data[0] & 1)
		fz_argv(buf, size - 1);
	else
		fz_legacy(buf);
	free(buf);
	return 0;
}
