/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small language helpers shared by every layer. Depends on nothing but the
 * compiler.
 */
#ifndef VFSD_UTIL_COMPILER_H
#define VFSD_UTIL_COMPILER_H

#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define __must_check __attribute__((warn_unused_result))
#define __unused __attribute__((unused))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __noreturn __attribute__((noreturn))

#endif
