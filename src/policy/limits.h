/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Process resource limits the daemon sets for itself before serving. */
#ifndef VFSD_POLICY_LIMITS_H
#define VFSD_POLICY_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

/**
 * Raise RLIMIT_NOFILE: to want if non-zero (an error if the hard limit is
 * lower and cannot be raised), else as far as the hard limit allows, since
 * every inode the guest knows costs an O_PATH fd. Returns 0 or -errno.
 */
int limits_raise_nofile(uint64_t want);

/**
 * --rlimit-nofile: not given, raise to the hard limit; given as 0, leave
 * the limit alone (virtiofsd's meaning); else set it to n.
 */
int limits_set_nofile(bool given, uint64_t n);

#endif
