/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vfsd check --shared-dir DIR`: audit the host side of a share and print
 * PASS, WARN or FAIL per item, each non-pass with the command or fstab line
 * that fixes it. Exit status 0 (all pass), 1 (warnings) or 2 (failures).
 */
#ifndef VFSD_CLI_SETUP_CHECK_H
#define VFSD_CLI_SETUP_CHECK_H

#include <stdbool.h>

enum check_status {
	CHECK_PASS,
	CHECK_WARN,
	CHECK_FAIL,
};

/**
 * Whether an absolute, resolved path is "/" or a system directory that must
 * never be shared (/etc, /usr, /proc and everything under them, ...).
 */
bool setup_is_system_dir(const char *path);

/** `vfsd check ARGS`: argv[0] is "check". Returns the exit status. */
int setup_check_main(int argc, char *argv[]);

#endif
