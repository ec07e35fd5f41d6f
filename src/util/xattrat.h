/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Linux 6.13's setxattrat(), getxattrat(), listxattrat() and
 * removexattrat(), which Debian 12's headers and libc lack. Each works
 * like its path form (setxattr(), ...) on path relative to dirfd, and
 * like the system call: -1 with errno on failure, ENOSYS on a kernel or
 * an architecture without them.
 */
#ifndef VFSD_UTIL_XATTRAT_H
#define VFSD_UTIL_XATTRAT_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The numbers, the same on x86_64 and aarch64 (new calls share one
 * table); -1 where unknown. policy/seccomp.c allows them by these.
 */
#if defined(__x86_64__) || defined(__aarch64__)
#define XATTRAT_NR_SET 463
#define XATTRAT_NR_GET 464
#define XATTRAT_NR_LIST 465
#define XATTRAT_NR_REMOVE 466
#else
#define XATTRAT_NR_SET (-1)
#define XATTRAT_NR_GET (-1)
#define XATTRAT_NR_LIST (-1)
#define XATTRAT_NR_REMOVE (-1)
#endif

int xattrat_set(int dirfd, const char *path, int at_flags, const char *name,
		const void *value, size_t size, int flags);
ssize_t xattrat_get(int dirfd, const char *path, int at_flags,
		    const char *name, void *value, size_t size);
ssize_t xattrat_list(int dirfd, const char *path, int at_flags, char *list,
		     size_t size);
int xattrat_remove(int dirfd, const char *path, int at_flags,
		   const char *name);

#endif
