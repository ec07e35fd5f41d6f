/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The choice of --inode-file-handles where the command line leaves it
 * open, and its check against the capabilities the server keeps. Each
 * writes why into why (len bytes), the end of the passthrough's startup
 * line. rootless: vfsd was started by an ordinary user.
 */
#ifndef VFSD_CLI_FILE_HANDLES_H
#define VFSD_CLI_FILE_HANDLES_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/options.h"
#include "policy/caps.h"

/** Handles where no handle reaches past the share, else names. */
void file_handles_default(struct vfsd_options *o, bool rootless, char *why,
			  size_t len);
/**
 * Without CAP_DAC_READ_SEARCH in caps: prefer falls back to names, and
 * mandatory is an error, told on stderr (true).
 */
bool file_handles_without_cap(struct vfsd_options *o, bool rootless,
			      caps_set_t caps, char *why, size_t len);

#endif
