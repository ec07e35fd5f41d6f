/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cli tests' shorthand: options_parse over "vfsd" and the arguments. */
#ifndef VFSD_TESTS_UNIT_CLI_PARSE_ARGV_H
#define VFSD_TESTS_UNIT_CLI_PARSE_ARGV_H

#include "cli/options.h"

#define PARSE(o, err, ...)                                                 \
	({                                                                 \
		char *argv_[] = { "vfsd", __VA_ARGS__, NULL };             \
		options_parse(o, (int)(sizeof(argv_) / sizeof(argv_[0])) - 1, \
			      argv_, err, sizeof(err));                    \
	})

#endif
