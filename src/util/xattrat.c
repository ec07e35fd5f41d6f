/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/xattrat.h"

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's struct xattr_args, version 0 (16 bytes). */
struct xattrat_args {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

static long xattrat_call(long nr, long a, long b, long c, long d, long e,
			 long f)
{
	if (nr < 0) {
		errno = ENOSYS;
		return -1;
	}
	return syscall(nr, a, b, c, d, e, f);
}

int xattrat_set(int dirfd, const char *path, int at_flags, const char *name,
		const void *value, size_t size, int flags)
{
	struct xattrat_args args = {
		.value = (uintptr_t)value,
		.size = (uint32_t)size,
		.flags = (uint32_t)flags,
	};

	if (size > UINT32_MAX) {
		errno = E2BIG;
		return -1;
	}
	return (int)xattrat_call(XATTRAT_NR_SET, dirfd, (long)path, at_flags,
				 (long)name, (long)&args, sizeof(args));
}

ssize_t xattrat_get(int dirfd, const char *path, int at_flags,
		    const char *name, void *value, size_t size)
{
	struct xattrat_args args = {
		.value = (uintptr_t)value,
		.size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
	};

	return xattrat_call(XATTRAT_NR_GET, dirfd, (long)path, at_flags,
			    (long)name, (long)&args, sizeof(args));
}

ssize_t xattrat_list(int dirfd, const char *path, int at_flags, char *list,
		     size_t size)
{
	return xattrat_call(XATTRAT_NR_LIST, dirfd, (long)path, at_flags,
			    (long)list, (long)size, 0);
}

int xattrat_remove(int dirfd, const char *path, int at_flags,
		   const char *name)
{
	return (int)xattrat_call(XATTRAT_NR_REMOVE, dirfd, (long)path,
				 at_flags, (long)name, 0, 0);
}
