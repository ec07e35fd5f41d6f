/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "-o key[=value],key..." syntax of QEMU's C virtiofsd, which libvirt 9.0
 * still emits: `--fd=N -o source=DIR,cache=none,no_xattr`. libvirt escapes a
 * comma inside a value by doubling it, so ",," is a literal comma and a
 * single ',' separates options.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/option_values.h"
#include "cli/options.h"
#include "util/log.h"

enum legacy_kind {
	LEGACY_FLAG_OK,		/* accepted; nothing to change */
	LEGACY_UNSUPPORTED,	/* recognised but not available yet */
	LEGACY_VALUE,		/* needs "=value", handled by name */
	LEGACY_SET_BOOL,	/* flag that sets a bool option */
	LEGACY_SPECIAL,		/* flag handled by name (legacy_special) */
};

struct legacy_opt {
	const char *name;
	enum legacy_kind kind;
	size_t bool_offset;
	bool bool_value;
};

#define BOOL_OPT(n, field, v) \
	{ n, LEGACY_SET_BOOL, offsetof(struct vfsd_options, field), v }

static const struct legacy_opt legacy_opts[] = {
	{ "source", LEGACY_VALUE, 0, false },
	{ "cache", LEGACY_VALUE, 0, false },
	{ "sandbox", LEGACY_VALUE, 0, false },
	{ "modcaps", LEGACY_VALUE, 0, false },
	{ "log_level", LEGACY_VALUE, 0, false },
	{ "loglevel", LEGACY_VALUE, 0, false },
	{ "thread_pool_size", LEGACY_VALUE, 0, false },
	{ "min_free_inodes", LEGACY_VALUE, 0, false },
	{ "min_free_space", LEGACY_VALUE, 0, false },
	{ "inode_file_handles", LEGACY_VALUE, 0, false },
	{ "xattrmap", LEGACY_VALUE, 0, false },
	BOOL_OPT("nodev", nodev, true),
	BOOL_OPT("nosuid", nosuid, true),
	BOOL_OPT("readonly", readonly, true),
	BOOL_OPT("ro", readonly, true),
	BOOL_OPT("writeback", writeback, true),
	BOOL_OPT("no_writeback", writeback, false),
	BOOL_OPT("allow_direct_io", allow_direct_io, true),
	BOOL_OPT("no_allow_direct_io", allow_direct_io, false),
	BOOL_OPT("xattr", xattr, true),
	BOOL_OPT("no_xattr", xattr, false),
	BOOL_OPT("flock", flock, true),
	BOOL_OPT("no_flock", flock, false),
	BOOL_OPT("posix_lock", posix_lock, true),
	BOOL_OPT("no_posix_lock", posix_lock, false),
	BOOL_OPT("posix_acl", posix_acl, true),
	BOOL_OPT("no_posix_acl", posix_acl, false),
	BOOL_OPT("security_label", security_label, true),
	BOOL_OPT("no_security_label", security_label, false),
	BOOL_OPT("killpriv_v2", killpriv_v2, true),
	BOOL_OPT("no_killpriv_v2", killpriv_v2, false),
	BOOL_OPT("announce_submounts", announce_submounts, true),
	BOOL_OPT("no_announce_submounts", announce_submounts, false),
	{ "readdirplus", LEGACY_SPECIAL, 0, false },
	{ "no_readdirplus", LEGACY_SPECIAL, 0, false },
	{ "debug", LEGACY_SPECIAL, 0, false },
	/*
	 * A mount option of QEMU's C virtiofsd (who may use the FUSE mount
	 * it never had on the host): a virtio-fs device has none, and the
	 * guest decides who may use its own mount.
	 */
	{ "allow_root", LEGACY_FLAG_OK, 0, false },
	/* "Off" forms of features vfsd does not offer are already true. */
	{ "norace", LEGACY_FLAG_OK, 0, false },
	{ "timeout", LEGACY_UNSUPPORTED, 0, false },
};

static const struct legacy_opt *legacy_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(legacy_opts); i++)
		if (!strcmp(legacy_opts[i].name, name))
			return &legacy_opts[i];
	return NULL;
}

static int legacy_value(struct vfsd_options *o, const char *key,
			const char *val, char *err, size_t errlen)
{
	if (!strcmp(key, "source")) {
		if (!*val)
			return opt_fail(err, errlen, "-o source= needs a directory");
		return opt_set_string(&o->shared_dir, val) ?
			       opt_fail(err, errlen, "out of memory") : 0;
	}
	if (!strcmp(key, "cache"))
		return opt_set_cache(o, val, err, errlen);
	if (!strcmp(key, "sandbox"))
		return opt_set_sandbox(o, val, err, errlen);
	if (!strcmp(key, "modcaps"))
		return opt_set_modcaps(o, val, err, errlen);
	if (!strcmp(key, "log_level") || !strcmp(key, "loglevel"))
		return opt_set_log_level(o, val, err, errlen);
	if (!strcmp(key, "min_free_inodes"))
		return opt_set_min_free_inodes(o, val, err, errlen);
	if (!strcmp(key, "min_free_space"))
		return opt_set_min_free_space(o, val, err, errlen);
	if (!strcmp(key, "inode_file_handles"))
		return opt_set_inode_fh(o, val, err, errlen);
	if (!strcmp(key, "xattrmap"))
		return opt_set_xattrmap(o, val, err, errlen);
	return opt_set_thread_pool(o, val, err, errlen);
}

/* Flags that change more than one field, or not a bool. */
static void legacy_special(struct vfsd_options *o, const char *name)
{
	if (!strcmp(name, "debug")) {
		o->log_level = LOG_LVL_DEBUG;
		return;
	}
	o->readdirplus = !strcmp(name, "readdirplus");
	o->readdirplus_set = true;
}

static int legacy_apply(struct vfsd_options *o, char *item, char *err,
			size_t errlen)
{
	char *eq = strchr(item, '=');
	const char *val = NULL;
	const struct legacy_opt *opt;

	if (eq) {
		*eq = '\0';
		val = eq + 1;
	}
	opt = legacy_find(item);
	if (!opt)
		return opt_fail(err, errlen, "unknown option '-o %s'", item);
	if (opt->kind == LEGACY_UNSUPPORTED)
		return opt_fail(err, errlen, "option '-o %s' is not supported yet",
				item);
	if ((opt->kind == LEGACY_VALUE) != (val != NULL))
		return opt_fail(err, errlen, val ?
				"option '-o %s' takes no value" :
				"option '-o %s' needs a value", item);
	switch (opt->kind) {
	case LEGACY_VALUE:
		return legacy_value(o, item, val, err, errlen);
	case LEGACY_SET_BOOL:
		*(bool *)((char *)o + opt->bool_offset) = opt->bool_value;
		return 0;
	case LEGACY_SPECIAL:
		legacy_special(o, item);
		return 0;
	default:
		return 0;
	}
}

/*
 * Copy the next item of arg (up to an unescaped comma) into item with ",,"
 * folded to ','. Returns the position after the separator, or NULL at the
 * end of arg.
 */
static const char *legacy_next(const char *p, char *item)
{
	size_t n = 0;

	for (; *p; p++) {
		if (*p == ',') {
			if (p[1] != ',')
				break;
			p++;
		}
		item[n++] = *p;
	}
	item[n] = '\0';
	return *p ? p + 1 : NULL;
}

int options_parse_legacy(struct vfsd_options *o, const char *arg, char *err,
			 size_t errlen)
{
	char *item = malloc(strlen(arg) + 1);
	const char *p = arg;
	int ret = 0;

	if (!item)
		return opt_fail(err, errlen, "out of memory");
	while (p && !ret) {
		p = legacy_next(p, item);
		if (*item)
			ret = legacy_apply(o, item, err, errlen);
	}
	free(item);
	return ret;
}
