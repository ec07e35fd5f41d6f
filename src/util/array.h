/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Arrays that grow by doubling. Depends on libc only.
 */
#ifndef VFSD_UTIL_ARRAY_H
#define VFSD_UTIL_ARRAY_H

#include <errno.h>
#include <stdlib.h>

/**
 * Make room for one more element in *v (n used of *cap, each size bytes),
 * doubling from first. 0 or -ENOMEM; *v and *cap change only on success.
 */
static inline int array_room(void **v, size_t n, size_t *cap, size_t size,
			     size_t first)
{
	size_t want;
	void *p;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2 : first;
	p = reallocarray(*v, want, size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = want;
	return 0;
}

#endif
