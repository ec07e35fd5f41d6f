/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli/option_values.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/xattrmap.h"
#include "util/log.h"

int opt_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int opt_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	/* strtoull would accept leading blanks and a minus sign. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int opt_set_string(char **dst, const char *val)
{
	char *copy = strdup(val);

	if (!copy)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

int opt_set_cache(struct vfsd_options *o, const char *val, char *err,
		  size_t errlen)
{
	/* "none" is the spelling libvirt and QEMU's virtiofsd use for never. */
	if (!strcmp(val, "never") || !strcmp(val, "none"))
		o->cache = FUSE_CACHE_NEVER;
	else if (!strcmp(val, "metadata"))
		o->cache = FUSE_CACHE_METADATA;
	else if (!strcmp(val, "auto"))
		o->cache = FUSE_CACHE_AUTO;
	else if (!strcmp(val, "always"))
		o->cache = FUSE_CACHE_ALWAYS;
	else
		return opt_fail(err, errlen,
				"invalid cache mode '%s' (never, metadata, auto or always)",
				val);
	return 0;
}

int opt_set_sandbox(struct vfsd_options *o, const char *val, char *err,
		    size_t errlen)
{
	if (!strcmp(val, "none"))
		o->sandbox = VFSD_SANDBOX_NONE;
	else if (!strcmp(val, "namespace"))
		o->sandbox = VFSD_SANDBOX_NAMESPACE;
	else if (!strcmp(val, "chroot"))
		o->sandbox = VFSD_SANDBOX_CHROOT;
	else
		return opt_fail(err, errlen,
			"invalid sandbox mode '%s' (namespace, chroot or none)",
			val);
	return 0;
}

int opt_set_migration_mode(struct vfsd_options *o, const char *val,
			   char *err, size_t errlen)
{
	if (!strcmp(val, "find-paths"))
		o->migration_mode = PT_MIGRATE_FIND_PATHS;
	else if (!strcmp(val, "file-handles"))
		o->migration_mode = PT_MIGRATE_FILE_HANDLES;
	else
		return opt_fail(err, errlen,
			"invalid migration mode '%s' (find-paths or "
			"file-handles)", val);
	return 0;
}

int opt_set_migration_on_error(struct vfsd_options *o, const char *val,
			       char *err, size_t errlen)
{
	if (!strcmp(val, "abort"))
		o->migration_on_error = PT_MIGRATE_ABORT;
	else if (!strcmp(val, "guest-error"))
		o->migration_on_error = PT_MIGRATE_GUEST_ERROR;
	else
		return opt_fail(err, errlen,
			"invalid migration error action '%s' (abort or "
			"guest-error)", val);
	return 0;
}

int opt_set_inode_fh(struct vfsd_options *o, const char *val, char *err,
		     size_t errlen)
{
	if (!strcmp(val, "never"))
		o->inode_file_handles = INODE_FH_NEVER;
	else if (!strcmp(val, "prefer") || !strcmp(val, "fallback"))
		o->inode_file_handles = INODE_FH_PREFER; /* fallback: old name */
	else if (!strcmp(val, "mandatory"))
		o->inode_file_handles = INODE_FH_MANDATORY;
	else
		return opt_fail(err, errlen,
			"invalid inode file handles mode '%s' "
			"(never, prefer or mandatory)", val);
	o->inode_file_handles_set = true;
	return 0;
}

int opt_set_log_level(struct vfsd_options *o, const char *val, char *err,
		      size_t errlen)
{
	int level;

	/* The Rust virtiofsd's extra level names. */
	if (!strcmp(val, "trace"))
		val = "debug";
	else if (!strcmp(val, "off"))
		val = "err";
	level = log_level_parse(val);
	if (level < 0)
		return opt_fail(err, errlen,
				"invalid log level '%s' (error, warn, info, debug)",
				val);
	o->log_level = level;
	return 0;
}

int opt_set_seccomp(struct vfsd_options *o, const char *val, char *err,
		    size_t errlen)
{
	if (!strcmp(val, "none"))
		o->seccomp = VFSD_SECCOMP_NONE;
	else if (!strcmp(val, "kill"))
		o->seccomp = VFSD_SECCOMP_KILL;
	else if (!strcmp(val, "log"))
		o->seccomp = VFSD_SECCOMP_LOG;
	else if (!strcmp(val, "trap"))
		o->seccomp = VFSD_SECCOMP_TRAP;
	else
		return opt_fail(err, errlen,
				"invalid seccomp mode '%s' (kill, log, trap or none)",
				val);
	return 0;
}

int opt_set_modcaps(struct vfsd_options *o, const char *val, char *err,
		    size_t errlen)
{
	const char *p = val;

	/* Each ':'-separated item is a sign and a non-empty name. */
	do {
		if ((*p != '+' && *p != '-') || p[1] == '\0' || p[1] == ':')
			return opt_fail(err, errlen,
					"invalid --modcaps '%s' (+name:-name...)",
					val);
		p = strchr(p, ':');
		if (p)
			p++; /* not after NULL: NULL + 1 is undefined */
	} while (p);
	return opt_set_string(&o->modcaps, val) ?
		       opt_fail(err, errlen, "out of memory") : 0;
}

int opt_set_thread_pool(struct vfsd_options *o, const char *val, char *err,
			size_t errlen)
{
	uint64_t v;

	if (opt_parse_u64(val, 1024, &v))
		return opt_fail(err, errlen,
				"invalid thread pool size '%s' (0 to 1024)", val);
	o->thread_pool_size = (unsigned int)v;
	o->thread_pool_size_set = true;
	return 0;
}

int opt_set_count(uint64_t *dst, const char *name, const char *val,
		  char *err, size_t errlen)
{
	uint64_t v;

	if (opt_parse_u64(val, UINT32_MAX, &v) || v == 0)
		return opt_fail(err, errlen, "invalid --%s '%s'", name, val);
	*dst = v;
	return 0;
}

int opt_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	size_t len = strlen(s);
	unsigned int shift = 0;
	char num[24];
	uint64_t v;

	for (size_t i = 0; len && units[i]; i++) {
		if (toupper((unsigned char)s[len - 1]) == units[i]) {
			shift = 10 * (unsigned int)(i + 1);
			len--;
			break;
		}
	}
	if (!len || len >= sizeof(num))
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	if (opt_parse_u64(num, UINT64_MAX >> shift, &v))
		return -1;
	*out = v << shift;
	return 0;
}

int opt_set_min_free_space(struct vfsd_options *o, const char *val,
			   char *err, size_t errlen)
{
	if (opt_parse_size(val, &o->min_free_space))
		return opt_fail(err, errlen,
				"invalid free space reserve '%s' (bytes, or a "
				"number with K, M, G or T)", val);
	return 0;
}

int opt_set_min_free_inodes(struct vfsd_options *o, const char *val,
			    char *err, size_t errlen)
{
	if (opt_parse_u64(val, UINT64_MAX, &o->min_free_inodes))
		return opt_fail(err, errlen,
				"invalid free inode reserve '%s'", val);
	return 0;
}

int opt_set_tag(struct vfsd_options *o, const char *val, char *err,
		size_t errlen)
{
	/* The config space holds 36 bytes, not NUL-terminated when full. */
	if (!*val || strlen(val) > VFSD_TAG_MAX)
		return opt_fail(err, errlen,
				"invalid --tag '%s' (1 to %d bytes)", val,
				VFSD_TAG_MAX);
	return opt_set_string(&o->tag, val) ?
		       opt_fail(err, errlen, "out of memory") : 0;
}

int opt_add_ns_range(struct userns_map *m, const char *name, const char *val,
		     char *err, size_t errlen)
{
	switch (userns_add_range(m, val)) {
	case 0:
		return 0;
	case -ERANGE:
		return opt_fail(err, errlen,
				"--%s '%s': the range is empty or passes 4294967295",
				name, val);
	case -EEXIST:
		return opt_fail(err, errlen,
				"--%s '%s' overlaps an earlier range", name, val);
	case -ENOSPC:
		return opt_fail(err, errlen, "more than %d --%s ranges",
				USERNS_MAX_RANGES, name);
	default:
		return opt_fail(err, errlen,
				"invalid --%s '%s' (:inside:outside:count:, e.g. :0:1000:1:)",
				name, val);
	}
}

int opt_add_idmap(struct idmap *m, const char *name, const char *val,
		  char *err, size_t errlen)
{
	switch (idmap_add(m, val)) {
	case 0:
		return 0;
	case -EEXIST:
		return opt_fail(err, errlen,
				"--%s '%s' overlaps an earlier rule of the same direction",
				name, val);
	case -ENOMEM:
		return opt_fail(err, errlen, "out of memory");
	default:
		return opt_fail(err, errlen,
				"invalid --%s '%s' (guest|host|squash-guest|squash-host|map:FROM:TO:COUNT or forbid-guest:FROM:COUNT)",
				name, val);
	}
}

int opt_set_xattrmap(struct vfsd_options *o, const char *val, char *err,
		     size_t errlen)
{
	struct xattrmap *m = NULL;
	char why[160];
	int ret;

	/* Checked now, so a bad map fails with its reason before serving. */
	ret = xattrmap_parse(val, strlen(val), &m, why, sizeof(why));
	if (ret == -ENOMEM)
		return opt_fail(err, errlen, "out of memory");
	if (ret)
		return opt_fail(err, errlen, "invalid xattr map: %s", why);
	xattrmap_free(m);
	return opt_set_string(&o->xattrmap, val) ?
		       opt_fail(err, errlen, "out of memory") : 0;
}
