/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli/options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/option_values.h"
#include "fs/passthrough.h"
#include "util/log.h"

enum {
	OPT_SOCKET_PATH = 256,
	OPT_FUSE_MOUNT,
	OPT_SOCKET_GROUP,
	OPT_STATS_SOCKET,
	OPT_FD,
	OPT_SHARED_DIR,
	OPT_CACHE,
	OPT_WRITEBACK,
	OPT_NO_READDIRPLUS,
	OPT_ALLOW_DIRECT_IO,
	OPT_SANDBOX,
	OPT_SECCOMP,
	OPT_MODCAPS,
	OPT_THREAD_POOL_SIZE,
	OPT_POLL_MAX_US,
	OPT_RLIMIT_NOFILE,
	OPT_LOG_LEVEL,
	OPT_SYSLOG,
	OPT_XATTR,
	OPT_NO_XATTR,
	OPT_POSIX_LOCK,
	OPT_FLOCK,
	OPT_POSIX_ACL,
	OPT_SECURITY_LABEL,
	OPT_KILLPRIV_V2,
	OPT_NO_KILLPRIV_V2,
	OPT_XATTRMAP,
	OPT_PRINT_CAPS,
	OPT_NODEV,
	OPT_NOSUID,
	OPT_READONLY,
	OPT_MIN_FREE_INODES,
	OPT_MIN_FREE_SPACE,
	OPT_TRANSLATE_UID,
	OPT_TRANSLATE_GID,
	OPT_INODE_FILE_HANDLES,
	OPT_INODE_FD_BUDGET,
	OPT_MAX_OPEN_HANDLES,
	OPT_ANNOUNCE_SUBMOUNTS,
	OPT_NO_ANNOUNCE_SUBMOUNTS,
	OPT_TAG,
	OPT_SOCKET,
	OPT_ALLOW_MMAP,
	OPT_NO_ALLOW_MMAP,
	OPT_PRESERVE_NOATIME,
	OPT_UID_MAP,
	OPT_GID_MAP,
	OPT_MIGRATION_MODE,
	OPT_MIGRATION_ON_ERROR,
	OPT_MIGRATION_VERIFY_HANDLES,
	OPT_MIGRATION_CONFIRM_PATHS,
	/* the identity of a --fuse-mount (cli/fuse_mount_opts.c) */
	OPT_FSNAME,
	OPT_SUBTYPE,
	OPT_UNSUPPORTED,
};

/*
 * Options of QEMU's and the Rust virtiofsd that vfsd does not do yet. They
 * are listed so that a user gets the reason by name rather than a generic
 * "unknown option", and so that nothing is silently ignored.
 */
static const struct option unsupported_opts[] = {
	{ "shared-dir-fd", required_argument, NULL, OPT_UNSUPPORTED },
};

static const struct option supported_opts[] = {
	{ "socket-path", required_argument, NULL, OPT_SOCKET_PATH },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "fuse-mount", required_argument, NULL, OPT_FUSE_MOUNT },
	{ "socket-group", required_argument, NULL, OPT_SOCKET_GROUP },
	{ "stats-socket", required_argument, NULL, OPT_STATS_SOCKET },
	{ "fd", required_argument, NULL, OPT_FD },
	{ "shared-dir", required_argument, NULL, OPT_SHARED_DIR },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "translate-uid", required_argument, NULL, OPT_TRANSLATE_UID },
	{ "translate-gid", required_argument, NULL, OPT_TRANSLATE_GID },
	{ "writeback", no_argument, NULL, OPT_WRITEBACK },
	{ "no-readdirplus", no_argument, NULL, OPT_NO_READDIRPLUS },
	{ "allow-direct-io", no_argument, NULL, OPT_ALLOW_DIRECT_IO },
	{ "allow-mmap", no_argument, NULL, OPT_ALLOW_MMAP },
	{ "no-allow-mmap", no_argument, NULL, OPT_NO_ALLOW_MMAP },
	{ "preserve-noatime", no_argument, NULL, OPT_PRESERVE_NOATIME },
	{ "uid-map", required_argument, NULL, OPT_UID_MAP },
	{ "gid-map", required_argument, NULL, OPT_GID_MAP },
	{ "sandbox", required_argument, NULL, OPT_SANDBOX },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "modcaps", required_argument, NULL, OPT_MODCAPS },
	{ "thread-pool-size", required_argument, NULL, OPT_THREAD_POOL_SIZE },
	{ "poll-max-us", required_argument, NULL, OPT_POLL_MAX_US },
	{ "rlimit-nofile", required_argument, NULL, OPT_RLIMIT_NOFILE },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "xattr", no_argument, NULL, OPT_XATTR },
	{ "no-xattr", no_argument, NULL, OPT_NO_XATTR },
	{ "posix-lock", no_argument, NULL, OPT_POSIX_LOCK },
	{ "flock", no_argument, NULL, OPT_FLOCK },
	{ "posix-acl", no_argument, NULL, OPT_POSIX_ACL },
	{ "security-label", no_argument, NULL, OPT_SECURITY_LABEL },
	{ "killpriv-v2", no_argument, NULL, OPT_KILLPRIV_V2 },
	{ "no-killpriv-v2", no_argument, NULL, OPT_NO_KILLPRIV_V2 },
	{ "xattrmap", required_argument, NULL, OPT_XATTRMAP },
	{ "print-capabilities", no_argument, NULL, OPT_PRINT_CAPS },
	{ "nodev", no_argument, NULL, OPT_NODEV },
	{ "nosuid", no_argument, NULL, OPT_NOSUID },
	{ "readonly", no_argument, NULL, OPT_READONLY },
	{ "min-free-inodes", required_argument, NULL, OPT_MIN_FREE_INODES },
	{ "min-free-space", required_argument, NULL, OPT_MIN_FREE_SPACE },
	{ "inode-file-handles", optional_argument, NULL,
	  OPT_INODE_FILE_HANDLES },
	{ "inode-fd-budget", required_argument, NULL, OPT_INODE_FD_BUDGET },
	{ "max-open-handles", required_argument, NULL, OPT_MAX_OPEN_HANDLES },
	{ "announce-submounts", no_argument, NULL, OPT_ANNOUNCE_SUBMOUNTS },
	{ "no-announce-submounts", no_argument, NULL,
	  OPT_NO_ANNOUNCE_SUBMOUNTS },
	{ "fsname", required_argument, NULL, OPT_FSNAME },
	{ "subtype", required_argument, NULL, OPT_SUBTYPE },
	{ "migration-mode", required_argument, NULL, OPT_MIGRATION_MODE },
	{ "migration-on-error", required_argument, NULL,
	  OPT_MIGRATION_ON_ERROR },
	{ "migration-verify-handles", no_argument, NULL,
	  OPT_MIGRATION_VERIFY_HANDLES },
	{ "migration-confirm-paths", no_argument, NULL,
	  OPT_MIGRATION_CONFIRM_PATHS },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
};

static void options_defaults(struct vfsd_options *o)
{
	memset(o, 0, sizeof(*o));
	o->action = VFSD_SERVE;
	o->listen_fd = -1;
	o->cache = FUSE_CACHE_AUTO;
	o->readdirplus = true;
	/*
	 * Unlike virtiofsd: a shared mmap of a file opened for direct I/O
	 * (--cache=never or metadata) fails with ENODEV without it, on guests
	 * whose kernel offers it (6.6 on) for no reason the guest can see.
	 */
	o->allow_mmap = true;
	/*
	 * virtiofsd's default. The guest kernel then clears set-user-ID
	 * after another user's write with a SETATTR whose reply tells it the
	 * new mode; with killpriv_v2 the daemon clears it and the guest
	 * shows the old mode until its attributes time out.
	 */
	o->killpriv_v2 = false;
	/* virtiofsd's default: libvirt passes nothing to keep it. */
	o->announce_submounts = true;
	o->sandbox = VFSD_SANDBOX_NAMESPACE;
	o->seccomp = VFSD_SECCOMP_KILL;
	o->log_level = LOG_LVL_INFO;
	/* Bounded fds by default: see docs/ARCHITECTURE.md, "Memory and fd bounds". */
	o->inode_file_handles = INODE_FH_PREFER;
	o->poll_max_us = VFSD_POLL_MAX_US_DEFAULT;
}

static struct option *build_longopts(void)
{
	size_t ns = ARRAY_SIZE(supported_opts);
	size_t nu = ARRAY_SIZE(unsupported_opts);
	struct option *all = calloc(ns + nu + 1, sizeof(*all));

	if (!all)
		return NULL;
	memcpy(all, supported_opts, sizeof(supported_opts));
	memcpy(all + ns, unsupported_opts, sizeof(unsupported_opts));
	return all;
}

static int apply_opt(struct vfsd_options *o, int c, const char *arg,
		     const char *name, char *err, size_t errlen)
{
	uint64_t v;

	switch (c) {
	case OPT_SOCKET_PATH:
	case OPT_SOCKET: /* virtiofsd's older, deprecated name */
		return opt_set_string(&o->socket_path, arg) ?
			       opt_fail(err, errlen, "out of memory") : 0;
	case OPT_TAG:
		return opt_set_tag(o, arg, err, errlen);
	case OPT_FUSE_MOUNT:
		return opt_set_string(&o->fuse_mount, arg) ?
			       opt_fail(err, errlen, "out of memory") : 0;
	case OPT_SOCKET_GROUP:
		return opt_set_string(&o->socket_group, arg) ?
			       opt_fail(err, errlen, "out of memory") : 0;
	case OPT_STATS_SOCKET:
		return opt_set_string(&o->stats_socket, arg) ?
			       opt_fail(err, errlen, "out of memory") : 0;
	case OPT_SHARED_DIR:
		return opt_set_string(&o->shared_dir, arg) ?
			       opt_fail(err, errlen, "out of memory") : 0;
	case OPT_FD:
		if (opt_parse_u64(arg, INT32_MAX, &v) || v < 3)
			return opt_fail(err, errlen, "invalid --fd '%s'", arg);
		o->listen_fd = (int)v;
		return 0;
	case OPT_CACHE:
		return opt_set_cache(o, arg, err, errlen);
	case OPT_WRITEBACK:
		o->writeback = true;
		return 0;
	case OPT_NO_READDIRPLUS:
		o->readdirplus = false;
		o->readdirplus_set = true;
		return 0;
	case OPT_ALLOW_DIRECT_IO:
		o->allow_direct_io = true;
		return 0;
	case OPT_ALLOW_MMAP:
	case OPT_NO_ALLOW_MMAP:
		o->allow_mmap = c == OPT_ALLOW_MMAP;
		return 0;
	case OPT_PRESERVE_NOATIME:
		o->preserve_noatime = true;
		return 0;
	case OPT_UID_MAP:
	case OPT_GID_MAP:
		return opt_add_ns_range(c == OPT_UID_MAP ? &o->uid_ns_map :
							   &o->gid_ns_map,
					name, arg, err, errlen);
	case OPT_XATTR:
	case OPT_NO_XATTR:
		o->xattr = c == OPT_XATTR;
		return 0;
	case OPT_POSIX_LOCK:
		o->posix_lock = true;
		return 0;
	case OPT_FLOCK:
		o->flock = true;
		return 0;
	case OPT_POSIX_ACL:
		o->posix_acl = true;
		return 0;
	case OPT_SECURITY_LABEL:
		o->security_label = true;
		return 0;
	case OPT_KILLPRIV_V2:
	case OPT_NO_KILLPRIV_V2:
		o->killpriv_v2 = c == OPT_KILLPRIV_V2;
		return 0;
	case OPT_XATTRMAP:
		return opt_set_xattrmap(o, arg, err, errlen);
	case OPT_NODEV:
		o->nodev = true;
		return 0;
	case OPT_NOSUID:
		o->nosuid = true;
		return 0;
	case OPT_READONLY:
		o->readonly = true;
		return 0;
	case OPT_TRANSLATE_UID:
	case OPT_TRANSLATE_GID:
		return opt_add_idmap(c == OPT_TRANSLATE_UID ? &o->uid_map :
							       &o->gid_map,
				     name, arg, err, errlen);
	case OPT_MIN_FREE_INODES:
		return opt_set_min_free_inodes(o, arg, err, errlen);
	case OPT_MIN_FREE_SPACE:
		return opt_set_min_free_space(o, arg, err, errlen);
	case OPT_INODE_FILE_HANDLES:
		/* Bare, as the Rust virtiofsd takes it: prefer. */
		return opt_set_inode_fh(o, arg ? arg : "prefer", err, errlen);
	case OPT_INODE_FD_BUDGET:
		/* One fd per inode, as QEMU's virtiofsd keeps them. */
		if (!strcmp(arg, "unlimited")) {
			o->inode_fd_budget = PT_FD_BUDGET_UNLIMITED;
			return 0;
		}
		return opt_set_count(&o->inode_fd_budget, "inode-fd-budget", arg,
				     err, errlen);
	case OPT_MAX_OPEN_HANDLES:
		return opt_set_count(&o->max_open_handles, "max-open-handles",
				     arg, err, errlen);
	case OPT_ANNOUNCE_SUBMOUNTS:
	case OPT_NO_ANNOUNCE_SUBMOUNTS:
		o->announce_submounts = c == OPT_ANNOUNCE_SUBMOUNTS;
		return 0;
	case OPT_FSNAME:
		return opt_set_fsname(o, arg, err, errlen);
	case OPT_SUBTYPE:
		return opt_set_subtype(o, arg, err, errlen);
	case OPT_SANDBOX:
		return opt_set_sandbox(o, arg, err, errlen);
	case OPT_SECCOMP:
		return opt_set_seccomp(o, arg, err, errlen);
	case OPT_MODCAPS:
		return opt_set_modcaps(o, arg, err, errlen);
	case OPT_THREAD_POOL_SIZE:
		return opt_set_thread_pool(o, arg, err, errlen);
	case OPT_POLL_MAX_US:
		if (opt_parse_u64(arg, VFSD_POLL_MAX_US_LIMIT, &v))
			return opt_fail(err, errlen,
					"invalid --poll-max-us '%s' (0 to %u)",
					arg, VFSD_POLL_MAX_US_LIMIT);
		o->poll_max_us = v;
		return 0;
	case OPT_RLIMIT_NOFILE:
		/* 0 leaves the limit alone, as in virtiofsd. */
		if (opt_parse_u64(arg, UINT32_MAX, &v))
			return opt_fail(err, errlen, "invalid --rlimit-nofile '%s'",
				    arg);
		o->rlimit_nofile = v;
		o->rlimit_nofile_set = true;
		return 0;
	case OPT_LOG_LEVEL:
		return opt_set_log_level(o, arg, err, errlen);
	case OPT_SYSLOG:
		o->use_syslog = true;
		return 0;
	case OPT_PRINT_CAPS:
		o->action = VFSD_PRINT_CAPABILITIES;
		return 0;
	case 'V':
		o->action = VFSD_VERSION;
		return 0;
	case 'h':
		o->action = VFSD_HELP;
		return 0;
	case 'd':
		o->log_level = LOG_LVL_DEBUG;
		return 0;
	case 'f':
		/* vfsd never daemonizes: foreground is all there is. */
		return 0;
	case 'o':
		return options_parse_legacy(o, arg, err, errlen);
	case OPT_MIGRATION_MODE:
		return opt_set_migration_mode(o, arg, err, errlen);
	case OPT_MIGRATION_ON_ERROR:
		return opt_set_migration_on_error(o, arg, err, errlen);
	case OPT_MIGRATION_VERIFY_HANDLES:
		o->migration_verify_handles = true;
		return 0;
	case OPT_MIGRATION_CONFIRM_PATHS:
		o->migration_confirm_paths = true;
		return 0;
	case OPT_UNSUPPORTED:
		return opt_fail(err, errlen, "option '--%s' is not supported yet",
			    name);
	default:
		return opt_fail(err, errlen, "invalid option");
	}
}

/* Name of the argument getopt just rejected, for the error line. */
static const char *bad_arg(int argc, char *const argv[])
{
	int i = optind - 1;

	if (i >= 0 && i < argc)
		return argv[i];
	return "?";
}

int options_parse(struct vfsd_options *o, int argc, char *const argv[],
		  char *err, size_t errlen)
{
	struct option *longopts = build_longopts();
	int ret = 0;

	options_defaults(o);
	if (!longopts)
		return opt_fail(err, errlen, "out of memory");

	opterr = 0;
	optind = 0; /* full re-initialisation: parse may run more than once */
	for (;;) {
		int idx = -1;
		int c = getopt_long(argc, argv, ":hVdfo:", longopts, &idx);
		const char *name = idx >= 0 ? longopts[idx].name : NULL;

		if (c == -1)
			break;
		if (c == '?') {
			ret = optopt && optopt < 256 ?
				      opt_fail(err, errlen, "unknown option '-%c'",
					   optopt) :
				      opt_fail(err, errlen, "unknown option '%s'",
					   bad_arg(argc, argv));
			break;
		}
		if (c == ':') {
			ret = opt_fail(err, errlen, "option '%s' needs a value",
				   bad_arg(argc, argv));
			break;
		}
		ret = apply_opt(o, c, optarg, name, err, errlen);
		if (ret)
			break;
	}
	if (!ret && optind < argc)
		ret = opt_fail(err, errlen, "unexpected argument '%s'",
			   argv[optind]);
	if (!ret && !o->readdirplus_set && o->cache == FUSE_CACHE_NEVER)
		o->readdirplus = false; /* nothing would cache what it returns */
	/* These only mean something with xattrs, so they ask for them. */
	if (!ret && (o->posix_acl || o->security_label || o->xattrmap))
		o->xattr = true;
	free(longopts);
	return ret;
}

void options_free(struct vfsd_options *o)
{
	free(o->fuse_mount);
	free(o->fsname);
	free(o->subtype);
	o->fsname = o->subtype = NULL;
	free(o->socket_path);
	free(o->socket_group);
	free(o->stats_socket);
	free(o->tag);
	o->tag = NULL;
	free(o->shared_dir);
	free(o->modcaps);
	free(o->xattrmap);
	o->modcaps = NULL;
	idmap_clear(&o->uid_map);
	idmap_clear(&o->gid_map);
	o->xattrmap = NULL;
	o->fuse_mount = o->socket_path = o->socket_group = NULL;
	o->shared_dir = NULL;
	o->stats_socket = NULL;
}
