/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-request credentials on the calling thread.
 *
 * The daemon runs as root; a request is performed with the effective uid and
 * gid of the guest process that made it, so that what it creates belongs to
 * the guest's user and the host kernel's own rules that depend on who acts
 * (clearing set-user-ID on a write, set-group-ID on a chmod) hold. Only the
 * effective ids change: the real and saved ids stay 0, which is what allows
 * switching back. The raw syscalls are used because glibc's setresuid() and
 * friends apply the change to every thread of the process.
 *
 * Each thread remembers the ids it currently runs with, so consecutive
 * requests from the same user cost no syscall at all. On a thread's first
 * switch its supplementary groups are dropped (root's groups must not leak
 * into a guest user's permission checks).
 *
 * The guest kernel has already checked each request with the caller's full
 * identity (supplementary groups, ACLs, its own capabilities), which FUSE
 * does not carry. Where the host refuses such a request for lack of what it
 * cannot see, the request borrows the capability that stands for the guest
 * kernel's decision, for one call (creds_borrow(); docs/SECURITY.md,
 * "Credentials").
 */
#ifndef VFSD_POLICY_CREDS_H
#define VFSD_POLICY_CREDS_H

#include <stdbool.h>
#include <stdint.h>

/** The id FUSE and the kernel use for "no id"; never switched to. */
#define CREDS_INVALID_ID ((uint32_t)-1)

/** A set of capabilities: bit n is capability n (as policy/caps.h). */
typedef uint64_t creds_caps_t;
#define CREDS_CAP(n) ((creds_caps_t)1 << (n))

/**
 * The daemon's own ids (0, 0 as root; the user's without root and without
 * a namespace root) and whether supplementary groups can be dropped. Call
 * once before request threads start; the default is root's (0, 0, true).
 * Requests of the guest's root then run as these ids.
 */
void creds_configure(uint32_t uid, uint32_t gid, bool drop_groups);

/**
 * What requests may borrow (a subset of the permitted set; 0, the default:
 * nothing), and what is held back: permitted, but effective only while
 * borrowed, even for the guest's root (CAP_SYS_ADMIN, kept only on request
 * and then for trusted.* xattrs alone). Call once, after the capabilities
 * were applied and before request threads start.
 */
void creds_configure_caps(creds_caps_t borrowable, creds_caps_t held_back);

/**
 * Run the calling thread as euid uid / egid gid. Returns 0, or -errno
 * (EPERM for an id that cannot be used, EIO if a switch failed half
 * way; the thread is then back to root or will retry from scratch).
 */
int creds_switch(uint32_t uid, uint32_t gid);

/** Back to euid 0 / egid 0 on the calling thread. 0 or -errno. */
int creds_reset(void);

/**
 * The ids the calling thread runs with, as creds_switch() set them; false
 * if the thread never switched or is in an unknown state (treat as root).
 */
bool creds_current(uint32_t *uid, uint32_t *gid);

/**
 * Raise those of caps that may be borrowed and are not effective on the
 * calling thread. True if any was: the caller makes its one call and then
 * calls creds_return(). False when there is nothing to raise (the call
 * would fail the same way again).
 */
bool creds_borrow(creds_caps_t caps);

/**
 * The daemon's own act that needs what it holds back (CAP_SYS_ADMIN for a
 * FUSE backing file), between creds_daemon_begin() and _end() only, never
 * for a guest's call: raised until creds_return(). False if nothing rose.
 */
bool creds_raise_held(void);

/** Lower all that creds_borrow() raised since the last return. */
void creds_return(void);

/** The ids a thread ran with before creds_daemon_begin(). */
struct creds_saved {
	bool switched;
	uint32_t uid;
	uint32_t gid;
};

/**
 * Run as the daemon itself for a moment (a reopen that only hands an fd
 * on, a label the guest kernel chose), remembering the caller's ids.
 * 0 or -errno; on error the thread's ids are unchanged or
 * unknown, and creds_daemon_end() must not be called.
 */
int creds_daemon_begin(struct creds_saved *s);

/** Back to the ids creds_daemon_begin() saved: 0, or -EIO. */
int creds_daemon_end(const struct creds_saved *s);

/**
 * A request begins: creds_switch(uid, gid), and whether it may borrow at
 * all (not for a caller whose ids were replaced because the guest may not
 * use them: the host's refusals stand for it). 0 or creds_switch()'s error.
 */
int creds_request_begin(uint32_t uid, uint32_t gid, bool may_borrow);

/**
 * A request is over: nothing it borrowed may outlive it (a safety net;
 * every borrow is returned where it was made).
 */
void creds_request_done(void);

#endif
