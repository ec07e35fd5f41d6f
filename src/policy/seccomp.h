/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The system-call allowlist of the serving process. Everything the daemon
 * does after setup is on it (seccomp.c documents each entry and how the
 * list was measured); anything else is the guest having found a way to
 * make the daemon do something it never does, and ends the process.
 *
 * Modes (--seccomp=):
 *   kill  default: a call off the list kills the whole process (SIGSYS)
 *   log   the call is allowed and logged by the kernel (audit/dmesg); for
 *         finding a missing entry on a new kernel or libc
 *   trap  the call fails: SIGSYS is delivered, the handler writes the
 *         syscall number to stderr and exits with status 1
 *   none  no filter
 * The filter also sets no_new_privs, and is installed for every thread.
 */
#ifndef VFSD_POLICY_SECCOMP_H
#define VFSD_POLICY_SECCOMP_H

#include <stdbool.h>

enum seccomp_mode {
	SECCOMP_MODE_NONE,
	SECCOMP_MODE_KILL,
	SECCOMP_MODE_LOG,
	SECCOMP_MODE_TRAP,
};

/*
 * Also allow what the server needs to undo on the host at exit when no
 * supervisor does it for it (--sandbox=none): unlink the socket path.
 */
#define SECCOMP_ALLOW_HOST_CLEANUP 1u
/*
 * --syslog: glibc's syslog() reconnects to /dev/log after an error, so
 * socket(AF_UNIX, ...) (only that family) and connect are allowed.
 */
#define SECCOMP_ALLOW_SYSLOG 2u

/**
 * Install the filter (nothing in none mode); flags is SECCOMP_ALLOW_*.
 * Returns 0, or -errno (-ENOSYS: no allowlist for this architecture).
 */
int seccomp_apply(enum seccomp_mode mode, unsigned int flags);

/** Number of system calls on the allowlist of this architecture. */
unsigned int seccomp_allowlist_size(void);

/**
 * Whether the system call named name ("execve") is on the allowlist
 * (flags as for seccomp_apply()). Unknown names are not.
 */
bool seccomp_allowlisted(const char *name, unsigned int flags);

/**
 * Check a /proc/self/status text: "Seccomp: 2" (filter) and
 * "NoNewPrivs: 1", or "Seccomp: 0" in none mode. Pure. 0, or -1 with err.
 */
int seccomp_verify(const char *status, enum seccomp_mode mode, char *err,
		   unsigned int errlen);

#endif
