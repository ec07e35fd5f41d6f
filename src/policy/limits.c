/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy/limits.h"

#include <errno.h>
#include <sys/resource.h>

#include "util/log.h"

int limits_raise_nofile(uint64_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (!want) {
		/* Best effort: the soft limit up to whatever the hard one is. */
		if (rl.rlim_cur == rl.rlim_max)
			return 0;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return -errno;
		log_debug("RLIMIT_NOFILE raised to %llu",
			  (unsigned long long)rl.rlim_cur);
		return 0;
	}
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want; /* needs CAP_SYS_RESOURCE, and fs.nr_open */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	return 0;
}

int limits_set_nofile(bool given, uint64_t n)
{
	if (given && n == 0)
		return 0;
	return limits_raise_nofile(given ? n : 0);
}
