/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --fsname and --subtype: what a --fuse-mount is called in /proc/mounts.
 * Tools find a mount by these two fields (umount SOURCE, findmnt -S/-t,
 * xfstests' TEST_DEV and FSTYP), so a mount helper must be able to set
 * them, as libfuse's fsname= and subtype= options do.
 */
#include <stdbool.h>
#include <string.h>

#include "cli/option_values.h"

/* The kernel takes a source of up to a page; a name is far shorter. */
#define FSNAME_MAX 1024
#define SUBTYPE_MAX 64

static bool subtype_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	       c == '+';
}

int opt_set_fsname(struct vfsd_options *o, const char *val, char *err,
		   size_t errlen)
{
	size_t len = strlen(val);

	if (len == 0 || len > FSNAME_MAX)
		return opt_fail(err, errlen,
				"invalid --fsname: 1 to %d bytes", FSNAME_MAX);
	/* A control character would make /proc/mounts lines unreadable. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)val[i] < 0x20 || val[i] == 0x7f)
			return opt_fail(err, errlen,
					"invalid --fsname: control character");
	return opt_set_string(&o->fsname, val) ?
		       opt_fail(err, errlen, "out of memory") : 0;
}

int opt_set_subtype(struct vfsd_options *o, const char *val, char *err,
		    size_t errlen)
{
	size_t len = strlen(val);

	/*
	 * mount(8) looks for /sbin/mount.fuse.SUBTYPE: no '/' and nothing a
	 * mount table would have to escape.
	 */
	if (len > SUBTYPE_MAX)
		return opt_fail(err, errlen,
				"invalid --subtype: at most %d bytes",
				SUBTYPE_MAX);
	for (size_t i = 0; i < len; i++)
		if (!subtype_char(val[i]))
			return opt_fail(err, errlen,
					"invalid --subtype '%s': letters, digits and _-.+ only",
					val);
	return opt_set_string(&o->subtype, val) ?
		       opt_fail(err, errlen, "out of memory") : 0;
}
