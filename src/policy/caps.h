/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The capabilities the server keeps: those its file operations need as
 * root on behalf of any guest user, nothing else (no CAP_SYS_ADMIN, no
 * CAP_NET_*, no CAP_SYS_PTRACE, ...). The kept set is the default below,
 * adjusted by --modcaps=+name:-name (names as in capabilities(7), without
 * the "cap_" prefix, any case).
 *
 * Default set, each needed by an operation the guest can ask for:
 *   CHOWN         chown to another user; creating files owned by the caller
 *   DAC_OVERRIDE  a guest root's access to files it does not own
 *   FOWNER        utimes/chmod/xattrs on files of another user (guest root)
 *   FSETID        keep set-user/group-ID on write and chown (guest root)
 *   SETGID        per-thread setresgid and setgroups (policy/creds.h)
 *   SETUID        per-thread setresuid (policy/creds.h)
 *   MKNOD         MKNOD of device nodes (guest root)
 *   SETFCAP       security.capability xattrs
 * This is QEMU virtiofsd's set.
 */
#ifndef VFSD_POLICY_CAPS_H
#define VFSD_POLICY_CAPS_H

#include <stddef.h>
#include <stdint.h>

/** Bit n set = capability n kept. */
typedef uint64_t caps_set_t;

/** The default set described above. */
caps_set_t caps_default(void);

/**
 * Apply a --modcaps string ("+sys_admin:-mknod", ':' separated, each item
 * '+' or '-' and a name) to *set. Pure. Returns 0, or -1 with a reason in
 * err (unknown name, missing sign, empty item); *set is then unchanged.
 */
int caps_parse_mod(const char *mod, caps_set_t *set, char *err,
		   size_t errlen);

/**
 * The capabilities that stay out of the effective set although kept:
 * CAP_SYS_ADMIN, which only a request for a trusted.* xattr borrows
 * (policy/creds.h). Pure.
 */
caps_set_t caps_held_back(caps_set_t set);

/**
 * Of set, the capabilities a request of a guest user may borrow where the
 * host refuses what the guest kernel allowed (policy/creds.h): those whose
 * checks the guest kernel makes itself. Never CAP_DAC_READ_SEARCH, which
 * opens any inode by handle. Pure.
 */
caps_set_t caps_borrowable(caps_set_t set);

/**
 * Make set the process's permitted set and set less caps_held_back() its
 * effective set, empty the inheritable and ambient sets and reduce the
 * bounding set to set. Call single-threaded (capabilities are per
 * thread; threads created later inherit them). Returns 0 or -errno.
 */
int caps_apply(caps_set_t set);

/**
 * Check a /proc/self/status text: CapPrm must be exactly set, CapEff set
 * less caps_held_back(), and CapInh empty. Pure. Returns 0, or -1 with a
 * reason in err.
 */
int caps_verify(const char *status, caps_set_t set, char *err,
		unsigned int errlen);

#endif
