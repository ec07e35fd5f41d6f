/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-request credentials on the calling thread.
 *
 * The daemon runs as root; a request is performed with the effective uid and
 * gid of the guest process that made it, so the host kernel checks
 * permissions and new files belong to the guest's user. Only the effective
 * ids change: the real and saved ids stay 0, which is what allows switching
 * back. The raw syscalls are used because glibc's setresuid() and friends
 * apply the change to every thread of the process.
 *
 * Each thread remembers the ids it currently runs with, so consecutive
 * requests from the same user cost no syscall at all. On a thread's first
 * switch its supplementary groups are dropped (root's groups must not leak
 * into a guest user's permission checks).
 */
#ifndef VFSD_POLICY_CREDS_H
#define VFSD_POLICY_CREDS_H

#include <stdbool.h>
#include <stdint.h>

/** The id FUSE and the kernel use for "no id"; never switched to. */
#define CREDS_INVALID_ID ((uint32_t)-1)

/**
 * The daemon's own ids (0, 0 as root; the user's without root and without
 * a namespace root) and whether supplementary groups can be dropped. Call
 * once before request threads start; the default is root's (0, 0, true).
 * Requests of the guest's root then run as these ids.
 */
void creds_configure(uint32_t uid, uint32_t gid, bool drop_groups);

/**
 * Run the calling thread as euid uid / egid gid. Returns 0, or a positive
 * errno (EPERM for an id that cannot be used, EIO if a switch failed half
 * way; the thread is then back to root or will retry from scratch).
 */
int creds_switch(uint32_t uid, uint32_t gid);

/** Back to euid 0 / egid 0 on the calling thread. 0 or a positive errno. */
int creds_reset(void);

/**
 * The ids the calling thread runs with, as creds_switch() set them; false
 * if the thread never switched or is in an unknown state (treat as root).
 */
bool creds_current(uint32_t *uid, uint32_t *gid);

#endif
