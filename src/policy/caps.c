/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy/caps.h"

#include <cap-ng.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/compiler.h"

/*
 * CAP_DAC_READ_SEARCH is added by main.c when inode file handles are on
 * (open_by_handle_at() needs it), so it is not here.
 */
static const int default_caps[] = {
	CAP_CHOWN,	  CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID,
	CAP_SETGID,	  CAP_SETUID,	    CAP_MKNOD,	CAP_SETFCAP,
};

caps_set_t caps_default(void)
{
	caps_set_t set = 0;

	for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
		set |= (caps_set_t)1 << default_caps[i];
	return set;
}

/* Capability number of name ("sys_admin", "CAP_SYS_ADMIN"), or -1. */
static int cap_number(const char *name)
{
	char lower[64];
	size_t n = strlen(name);
	int cap;

	if (!strncasecmp(name, "cap_", 4)) {
		name += 4;
		n -= 4;
	}
	if (n == 0 || n >= sizeof(lower))
		return -1;
	for (size_t i = 0; i <= n; i++)
		lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ?
					  name[i] - 'A' + 'a' : name[i]);
	cap = capng_name_to_capability(lower);
	if (cap < 0 || cap > CAP_LAST_CAP || cap >= 64)
		return -1;
	return cap;
}

int caps_parse_mod(const char *mod, caps_set_t *set, char *err,
		   size_t errlen)
{
	caps_set_t result = *set;
	const char *p = mod;

	if (!*p) {
		snprintf(err, errlen, "empty --modcaps");
		return -1;
	}
	while (*p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[64];
		int cap;

		if (len < 2 || len >= sizeof(item) ||
		    (p[0] != '+' && p[0] != '-')) {
			snprintf(err, errlen,
				 "invalid --modcaps item '%.*s' (+name or -name)",
				 (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		memcpy(item, p + 1, len - 1);
		item[len - 1] = '\0';
		cap = cap_number(item);
		if (cap < 0) {
			snprintf(err, errlen, "unknown capability '%s'", item);
			return -1;
		}
		if (p[0] == '+')
			result |= (caps_set_t)1 << cap;
		else
			result &= ~((caps_set_t)1 << cap);
		if (!end)
			break;
		p = end + 1;
		if (!*p) {
			snprintf(err, errlen, "--modcaps ends with ':'");
			return -1;
		}
	}
	*set = result;
	return 0;
}

caps_set_t caps_borrowable(caps_set_t set)
{
	static const int guest_decided[] = {
		CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN,     CAP_FSETID,
		CAP_SETFCAP,	  CAP_MKNOD,  CAP_SYS_ADMIN,
	};
	caps_set_t b = 0;

	for (size_t i = 0; i < ARRAY_SIZE(guest_decided); i++)
		b |= (caps_set_t)1 << guest_decided[i];
	return set & b;
}

caps_set_t caps_held_back(caps_set_t set)
{
	return set & ((caps_set_t)1 << CAP_SYS_ADMIN);
}

int caps_apply(caps_set_t set)
{
	caps_set_t held = caps_held_back(set);

	capng_clear(CAPNG_SELECT_BOTH);
	for (int cap = 0; cap <= CAP_LAST_CAP && cap < 64; cap++) {
		caps_set_t bit = (caps_set_t)1 << cap;

		if (!(set & bit))
			continue;
		if (capng_update(CAPNG_ADD,
				 ((held & bit) ? 0 : CAPNG_EFFECTIVE) |
					 CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
				 (unsigned int)cap))
			return -EINVAL;
	}
	/* Drops the bounding set first, while CAP_SETPCAP is still held. */
	if (capng_apply(CAPNG_SELECT_BOTH))
		return -EPERM;
	return 0;
}

/* The hex value of "key:\t..." in a status text; -1 if missing or bad. */
static int status_hex(const char *status, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *p = status;
	char *end;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			errno = 0;
			*out = strtoull(p + klen + 1, &end, 16);
			if (errno || end == p + klen + 1 ||
			    (*end != '\n' && *end != '\0'))
				return -1;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

int caps_verify(const char *status, caps_set_t set, char *err,
		unsigned int errlen)
{
	static const char *const keys[] = { "CapEff", "CapPrm", "CapInh" };
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		caps_set_t want = i == 2 ? 0 :
				  i == 0 ? set & ~caps_held_back(set) : set;

		if (status_hex(status, keys[i], &v)) {
			snprintf(err, errlen, "no %s in /proc/self/status",
				 keys[i]);
			return -1;
		}
		if (v != want) {
			snprintf(err, errlen,
				 "%s is %016" PRIx64 ", expected %016" PRIx64,
				 keys[i], v, want);
			return -1;
		}
	}
	return 0;
}
