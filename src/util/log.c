/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static enum log_level threshold = LOG_LVL_INFO;
static bool to_syslog;

void log_setup(enum log_level level, bool use_syslog)
{
	threshold = level;
	if (use_syslog && !to_syslog)
		/* Connect now: a sandboxed daemon has no /dev/log later. */
		openlog("vfsd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	to_syslog = use_syslog;
}

int log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{ "err", LOG_LVL_ERR },	  { "error", LOG_LVL_ERR },
		{ "warn", LOG_LVL_WARN }, { "warning", LOG_LVL_WARN },
		{ "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i].name) == 0)
			return (int)names[i].level;
	return -1;
}

bool log_enabled(enum log_level level)
{
	return level <= threshold;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	char line[1024];

	if (!log_enabled(level))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (to_syslog)
		syslog(prio[level], "%s", line);
	else
		fprintf(stderr, "vfsd: %s: %s\n", tag[level], line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
