/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Value parsers shared by the modern and the legacy (-o) option syntax, so
 * that "--cache=none" and "-o cache=none" cannot drift apart.
 */
#ifndef VFSD_CLI_OPTION_VALUES_H
#define VFSD_CLI_OPTION_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include "cli/options.h"
#include "util/compiler.h"

/** Format a one-line reason into err; always returns -1. */
int opt_fail(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);

/** Decimal without sign or suffix, at most max. 0 or -1. */
int opt_parse_u64(const char *s, uint64_t max, uint64_t *out);

/** Replace *dst by a copy of val. 0 or -1 (out of memory). */
int opt_set_string(char **dst, const char *val);

int opt_set_cache(struct vfsd_options *o, const char *val, char *err,
		  size_t errlen);
/* --migration-mode: find-paths or file-handles. */
int opt_set_migration_mode(struct vfsd_options *o, const char *val,
			   char *err, size_t errlen);
/* --migration-on-error: abort or guest-error. */
int opt_set_migration_on_error(struct vfsd_options *o, const char *val,
			       char *err, size_t errlen);
int opt_set_sandbox(struct vfsd_options *o, const char *val, char *err,
		    size_t errlen);
int opt_set_log_level(struct vfsd_options *o, const char *val, char *err,
		      size_t errlen);
int opt_set_seccomp(struct vfsd_options *o, const char *val, char *err,
		    size_t errlen);
/** Syntax only ("+name:-name"); the names are checked by policy/caps. */
int opt_set_modcaps(struct vfsd_options *o, const char *val, char *err,
		    size_t errlen);
/** A count of inodes, decimal. */
int opt_set_min_free_inodes(struct vfsd_options *o, const char *val,
			    char *err, size_t errlen);
/** Bytes, decimal with an optional K, M, G or T suffix (powers of 1024). */
int opt_set_min_free_space(struct vfsd_options *o, const char *val,
			   char *err, size_t errlen);
/** The size syntax of --min-free-space. 0 or -1. */
int opt_parse_size(const char *s, uint64_t *out);
/** --NAME=VAL: a count from 1 to UINT32_MAX into *dst. */
int opt_set_count(uint64_t *dst, const char *name, const char *val,
		  char *err, size_t errlen);
/** never, prefer or mandatory (--inode-file-handles). */
int opt_set_inode_fh(struct vfsd_options *o, const char *val, char *err,
		    size_t errlen);
/** xattr map rules, checked by the parser of fs/xattrmap.h. */
int opt_set_xattrmap(struct vfsd_options *o, const char *val, char *err,
		     size_t errlen);
int opt_set_thread_pool(struct vfsd_options *o, const char *val, char *err,
			size_t errlen);

/** --tag: 1 to 36 bytes, the size of virtio_fs_config.tag. */
int opt_set_tag(struct vfsd_options *o, const char *val, char *err,
		size_t errlen);

/** Add a --uid-map/--gid-map range (policy/userns.h syntax). */
int opt_add_ns_range(struct userns_map *m, const char *name, const char *val,
		     char *err, size_t errlen);

/** Add a --translate-uid/--translate-gid rule (fuse/idmap.h syntax). */
int opt_add_idmap(struct idmap *m, const char *name, const char *val,
		  char *err, size_t errlen);

/*
 * --fsname and --subtype (cli/fuse_mount_opts.c): the source and type
 * of a --fuse-mount in /proc/mounts.
 */
int opt_set_fsname(struct vfsd_options *o, const char *val, char *err,
		   size_t errlen);
int opt_set_subtype(struct vfsd_options *o, const char *val, char *err,
		    size_t errlen);

#endif
