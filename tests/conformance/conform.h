/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The conformance table program: every case prints one line
 * "case-name<TAB>result" where the result is "ok", an errno name or a
 * short value, so that runs on different filesystems can be compared line
 * by line (tests/conformance/run-conformance.sh). Nothing printed depends
 * on the time, inode numbers or process ids.
 */
#ifndef VFSD_CONFORM_H
#define VFSD_CONFORM_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/** The unprivileged user (and group) the permission cases run as. */
#define CF_UID 1000
#define CF_GID 1000

/** Print "NAME<TAB>VALUE" (VALUE printf-style). */
void cf_res(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Print "ok" when RC >= 0, else the name of errno (read on entry). */
void cf_rc(const char *name, long rc);
/** cf_rc() for an fd, which is closed. */
void cf_fd(const char *name, int fd);
/** "ok" when COND, else the given value (a short explanation). */
void cf_expect(const char *name, int cond, const char *otherwise);
/** The symbolic name of an errno value ("ENOENT"). */
const char *cf_errname(int err);

/** Setup helpers; a failure prints "setup.WHAT<TAB>ERRNO" and returns -1. */
int cf_mkfile(const char *path, mode_t mode, size_t len);
int cf_mkdir(const char *path, mode_t mode);
int cf_setup_rc(const char *what, long rc);

/** Read all of PATH into BUF (at most CAP bytes): length, or -1. */
ssize_t cf_read_file(const char *path, void *buf, size_t cap);

/** Wait long enough that a new timestamp differs from the last one. */
void cf_tick(void);
/** "same", "newer" or "older": B compared with A. */
const char *cf_ts_cmp(const struct timespec *a, const struct timespec *b);

/**
 * Run FN(ARG) in a child process, as uid/gid CF_UID with no supplementary
 * groups when AS_USER; the child's output goes to the same stdout. Returns
 * the child's exit status, or -1 when it did not exit normally.
 */
int cf_child(void (*fn)(void *), void *arg, int as_user);

/** Case groups, one per source file; each runs in the scratch dir (cwd). */
void cf_run_entry(void);
void cf_run_rename(void);
void cf_run_file(void);
void cf_run_space(void);
void cf_run_attr(void);
void cf_run_xattr(void);
void cf_run_lock(void);
void cf_run_user(void);
void cf_run_dir(void);

/** Directory listing at scale; prints its own cases. 0, or 1 on a fault. */
int cf_bigdir(const char *dir, long n, const char *prefix);

/** The scratch directory's parent (for the cross-mount rename case). */
extern const char *cf_base;

#endif
