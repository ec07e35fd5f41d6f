/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The defaults file (VFSD_DEFAULTS_FILE, /etc/vfsd/defaults.conf in a
 * distribution's build): options read before the command line, which
 * overrides them. See defaults_file.c for the format.
 */
#ifndef VFSD_CLI_DEFAULTS_FILE_H
#define VFSD_CLI_DEFAULTS_FILE_H

#include <stddef.h>

struct defaults {
	int argc;	/* argv[0] is "vfsd", then the file's arguments */
	char **argv;	/* NULL-terminated */
	char *text;
};

/** The file to read: $VFSD_DEFAULTS_FILE if set, else the built-in path. */
const char *defaults_file_path(void);

/**
 * Read path into d (argc 1 when the file does not exist). Refuses a file
 * others than root and its owner can change. 0, or -1 with err.
 */
int defaults_load(const char *path, struct defaults *d, char *err,
		  size_t errlen);

/**
 * A new argv (free() the array only): argv[0], the defaults, argv[1..].
 * Returns its argc, or -1 out of memory.
 */
int defaults_merge(const struct defaults *d, int argc, char *const argv[],
		   char ***out);

void defaults_free(struct defaults *d);

#endif
