/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Levelled logging to stderr or syslog. Nothing is logged per request at the
 * default level (info): request tracing is debug only.
 */
#ifndef VFSD_UTIL_LOG_H
#define VFSD_UTIL_LOG_H

#include <stdbool.h>

#include "util/compiler.h"

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/** Choose the sink and threshold; safe to call again (e.g. after parsing). */
void log_setup(enum log_level level, bool use_syslog);
/** Parse "err|error|warn|warning|info|debug"; returns -1 if unknown. */
int log_level_parse(const char *name);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __printf(2, 3);

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                 \
	do {                                           \
		if (log_enabled(LOG_LVL_DEBUG))        \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__); \
	} while (0)

/** Log at error level and exit(1): for setup failures before serving. */
void fatal(const char *fmt, ...) __printf(1, 2) __noreturn;

#endif
