/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Command line of vfsd. Two dialects are accepted because libvirt and the
 * guides written for QEMU's virtiofsd use both:
 *  - the modern one: --shared-dir=DIR --cache=auto --fd=N ... (a value may
 *    follow '=' or the next argument), and
 *  - the legacy one: -o source=DIR,cache=none,no_xattr ... where a comma
 *    inside a value is written doubled (",,").
 * Parsing is pure (no I/O): validation against the host is options_check().
 */
#ifndef VFSD_CLI_OPTIONS_H
#define VFSD_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/inode_fh.h"
#include "fs/migrate.h"
#include "fuse/session.h"
#include "policy/userns.h"

/* Bytes of virtio_fs_config.tag (<linux/virtio_fs.h>), as virtiofsd. */
#define VFSD_TAG_MAX 36

enum vfsd_sandbox {
	VFSD_SANDBOX_NONE,
	VFSD_SANDBOX_NAMESPACE,
	VFSD_SANDBOX_CHROOT,
};

enum vfsd_seccomp {
	VFSD_SECCOMP_NONE,
	VFSD_SECCOMP_KILL,
	VFSD_SECCOMP_LOG,
	VFSD_SECCOMP_TRAP,
};

enum vfsd_action {
	VFSD_SERVE,
	VFSD_HELP,
	VFSD_VERSION,
	VFSD_PRINT_CAPABILITIES,
};

/*
 * --poll-max-us: KVM's halt polling waits up to 200 us; a queue thread's
 * window adapts below this bound (transport/poll_window.h).
 */
#define VFSD_POLL_MAX_US_DEFAULT 100u
#define VFSD_POLL_MAX_US_LIMIT 10000u

struct vfsd_options {
	enum vfsd_action action;

	/* Where requests come from: exactly one of these. */
	char *fuse_mount;	/* --fuse-mount: the host's /dev/fuse */
	/*
	 * How a --fuse-mount shows in /proc/mounts: --fsname is its source
	 * (NULL: the shared directory), --subtype its type "fuse.SUBTYPE"
	 * (NULL: "vfsd"; "": plain "fuse", as a libfuse daemon without
	 * -o subtype mounts).
	 */
	char *fsname;
	char *subtype;
	char *socket_path;
	char *socket_group;
	int listen_fd;		/* --fd; -1 when unset */
	char *tag;		/* --tag: the device's config-space tag, or NULL */
	char *stats_socket;	/* --stats-socket: metrics; NULL when unset */

	char *shared_dir;

	enum fuse_cache_mode cache;
	bool writeback;
	bool readdirplus;
	bool readdirplus_set;	/* given explicitly, else follows cache */
	bool allow_direct_io;
	bool allow_mmap;	/* FUSE_DIRECT_IO_ALLOW_MMAP; default on */
	bool preserve_noatime;	/* pass the guest's O_NOATIME on; default off */
	/*
	 * Default off, as in virtiofsd: libvirt's xattr='off' passes nothing.
	 * --posix-acl, --security-label and --xattrmap turn it on.
	 */
	bool xattr;
	bool posix_lock;	/* remote POSIX locks; default off */
	bool flock;		/* remote flock(2) locks; default off */
	bool posix_acl;		/* FUSE_POSIX_ACL; default off */
	bool security_label;	/* FUSE_SECURITY_CTX; default off */
	bool killpriv_v2;	/* FUSE_HANDLE_KILLPRIV_V2; default on */
	char *xattrmap;		/* --xattrmap rules (fs/xattrmap.h), or NULL */
	enum vfsd_sandbox sandbox;	/* default namespace */
	enum vfsd_seccomp seccomp;	/* default kill */
	char *modcaps;			/* --modcaps "+cap:-cap", or NULL */

	/* Host-side policy (fs/pt_policy.h): mount options in the daemon. */
	bool nodev;
	bool nosuid;
	bool readonly;
	uint64_t min_free_inodes;	/* 0: no reserve */
	uint64_t min_free_space;	/* bytes; 0: no reserve */

	/* --translate-uid/--translate-gid rules (fuse/idmap.h) */
	struct idmap uid_map;
	struct idmap gid_map;
	/* --uid-map/--gid-map: the user namespace of a rootless sandbox */
	struct userns_map uid_ns_map;
	struct userns_map gid_ns_map;

	/* Inode fds (fs/inode.h): default prefer, budget 0 = from the limit */
	enum inode_fh_mode inode_file_handles;
	/* Given on the command line; else chosen by the share's mounts. */
	bool inode_file_handles_set;
	uint64_t inode_fd_budget;
	uint64_t max_open_handles;	/* 0: from the fd budget */
	bool announce_submounts;	/* FUSE_SUBMOUNTS; default on */

	/* --migration-*: as virtiofsd's (fs/migrate.h, docs/MIGRATION.md) */
	enum pt_migrate_mode migration_mode;		/* default find-paths */
	enum pt_migrate_on_error migration_on_error;	/* default abort */
	bool migration_verify_handles;
	bool migration_confirm_paths;

	unsigned int thread_pool_size;
	/*
	 * Unset: the queue threads serve quick requests and hand those that
	 * may block to a pool (transport/virtio_fs.h, may_block).
	 */
	bool thread_pool_size_set;
	/* --poll-max-us: longest poll of an empty ring; 0 = never poll. */
	uint64_t poll_max_us;
	/* Unset: raise the soft limit to the hard one; 0: leave it alone. */
	uint64_t rlimit_nofile;
	bool rlimit_nofile_set;

	int log_level;		/* enum log_level */
	bool use_syslog;
	bool defaults_used;	/* the defaults file gave options */
};

/** Defaults, then argv. Returns 0, or -1 with a one-line reason in err. */
int options_parse(struct vfsd_options *o, int argc, char *const argv[],
		  char *err, size_t errlen);

/**
 * Apply one legacy "-o" argument (comma separated; ",," is a literal comma).
 * Returns 0, or -1 with a reason in err.
 */
int options_parse_legacy(struct vfsd_options *o, const char *arg, char *err,
			 size_t errlen);

/** Checks that need the host (directory exists, ...). 0 or -1 with err. */
int options_check(const struct vfsd_options *o, char *err, size_t errlen);

void options_free(struct vfsd_options *o);

/* Texts printed by --help, --version and --print-capabilities. */
void usage_print_help(const char *prog);
/** What to do next, on stderr: for a bare `vfsd`. */
void usage_print_short(const char *prog);
void usage_print_version(void);
void usage_print_capabilities(void);

#endif
