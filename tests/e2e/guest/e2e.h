/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest-side end-to-end checks: a static program run inside a virtio-fs
 * mount that reports one TAP line per check on stdout.
 */
#ifndef VFSD_E2E_H
#define VFSD_E2E_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <string.h>

/** The unprivileged guest user (and group) the permission checks run as. */
#define E2E_UID 1000
#define E2E_GID 1000

/** Seeds of the byte patterns shared with the host (see e2e_pattern()). */
#define E2E_SEED_HOST 1  /* host/pattern.bin, written by the host */
#define E2E_SEED_USER 2  /* out/user.bin, written by the guest user */

/** Sizes of the pattern files. */
#define E2E_HOST_PATTERN_LEN (256 * 1024 + 17)
#define E2E_USER_PATTERN_LEN (1024 * 1024 + 123)

/** Contents shared with the host side (tests/e2e/run-guest.sh). */
#define E2E_HOST_HELLO "hello from the host\n"
#define E2E_HOST_USER_TEXT "owned by uid 1000 on the host\n"
#define E2E_ROOT_TEXT "written by guest root\n"

/** Paths: the mount point and the scratch dir the checks work in. */
extern const char *e2e_mnt;

/** Absolute path of REL under the mount; valid until 8 more calls. */
const char *e2e_path(const char *rel);

/** Byte @i of the pattern with @seed; the host generates the same bytes. */
uint8_t e2e_pattern(unsigned int seed, uint64_t i);
void e2e_fill_pattern(uint8_t *buf, size_t len, unsigned int seed,
		      uint64_t off);

/** Report one check; reasons are printf-style. */
void e2e_ok(const char *name);
void e2e_fail(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Read all of PATH into BUF (at most CAP bytes); returns length or -1. */
ssize_t e2e_read_file(const char *path, void *buf, size_t cap);
/** Create/replace PATH with LEN bytes of DATA at MODE; 0 or -1. */
int e2e_write_file(const char *path, const void *data, size_t len,
		   unsigned int mode);

/*
 * Check helpers for functions of the form
 *   static void t_x(void) { const char *name = "x"; ... e2e_ok(name); }
 * Each failure reports the reason (with errno) and leaves the check.
 */
#define FAIL(...)                                \
	do {                                     \
		e2e_fail(name, __VA_ARGS__);     \
		return;                          \
	} while (0)

#define EXPECT(cond, ...)                        \
	do {                                     \
		if (!(cond))                     \
			FAIL(__VA_ARGS__);       \
	} while (0)

/* A call that must succeed (result >= 0). */
#define SYS(call)                                                          \
	do {                                                               \
		if ((call) < 0)                                            \
			FAIL("%s: %s (errno %d)", #call, strerror(errno), \
			     errno);                                       \
	} while (0)

/* A call that must fail with errno ERR. */
#define SYS_ERR(call, err)                                                 \
	do {                                                               \
		errno = 0;                                                 \
		if ((call) >= 0)                                           \
			FAIL("%s succeeded, expected %s", #call, #err);    \
		if (errno != (err))                                        \
			FAIL("%s: %s (errno %d), expected %s", #call,      \
			     strerror(errno), errno, #err);                \
	} while (0)

/** Check groups, one per source file. */
void e2e_run_host_files(void);
void e2e_run_entry(void);
void e2e_run_attr(void);
void e2e_run_file(void);
void e2e_run_dir(void);
void e2e_run_user(void);
void e2e_run_posix(void);
void e2e_run_acl(void);

/** True when QEMU's virtiofsd serves (host/daemon); vfsd when not said. */
bool e2e_is_virtiofsd(void);

/** True when the runner started the daemon with FLAG (host/daemon-args). */
bool e2e_daemon_has(const char *flag);

/** Host side: fill a fresh share (0 or 1); report checks of the result. */
int e2e_host_prepare(void);
int e2e_host_check(void);
/** The share's files for e2e_acl.c (0 or -1), and their host checks. */
int e2e_host_prepare_acl(void);
void e2e_host_check_acl(void);

#endif
