/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filesystem's part of a migration (docs/MIGRATION.md): what the guest
 * holds (its nodeids with their lookup counts, its open files and
 * directories) written into the state stream on the source, and found
 * again on the destination by path (find-paths) or by file handle
 * (file-handles).
 *
 * Both run in the vhost-user thread while every queue is stopped, so no
 * operation runs meanwhile.
 *
 * What cannot be found again on the destination:
 *  - an inode the guest knows but has not open (unlinked, replaced by a
 *    rename, renamed by a host process) becomes stale there: ESTALE on
 *    every use, to which the guest kernel answers with a fresh lookup;
 *  - an open file or directory that cannot be found, or turns out to be
 *    another file, is a real loss: --migration-on-error=abort refuses the
 *    whole state (the guest stays on the source, which still has it all),
 *    guest-error drops the handle (EBADF on use) and the inode goes stale.
 * Locks the guest holds are not carried: the save is refused while it
 * holds any (POSIX, OFD or flock), so none is ever dropped.
 */
#ifndef VFSD_FS_MIGRATE_H
#define VFSD_FS_MIGRATE_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/statefmt.h"

/* --migration-mode */
enum pt_migrate_mode {
	PT_MIGRATE_FIND_PATHS,
	PT_MIGRATE_FILE_HANDLES,
};

/* --migration-on-error */
enum pt_migrate_on_error {
	PT_MIGRATE_ABORT,
	PT_MIGRATE_GUEST_ERROR,
};

/*
 * As in virtiofsd, the source decides how the state is made (mode,
 * verify_handles, confirm_paths: the stream says what it asks of the
 * destination) and the destination what a loss does (on_error).
 */
struct pt_migrate_opts {
	enum pt_migrate_mode mode;
	enum pt_migrate_on_error on_error;
	/* Every file's id must be compared, on the same filesystem. */
	bool verify_handles;
	/* The source checks each path before it sends it. */
	bool confirm_paths;
	/*
	 * The destination may open file handles from the stream: the share
	 * is the root of its filesystem (policy/mounts.h), so no handle of
	 * that filesystem names a file outside it.
	 */
	bool handles_inside;
};

/* The decoded FS, NODES and HANDLES sections; pointers into the stream. */

#define MIG_NO_PARENT UINT32_MAX
#define MIG_ID_MAX 128u		/* MAX_HANDLE_SZ */
#define MIG_NAME_MAX 255u	/* NAME_MAX */

/* mig_node.flags */
#define MIG_NODE_OPENABLE 1u	/* id is a file handle, not an AT_HANDLE_FID */

struct mig_node {
	uint64_t nodeid;	/* 0: a directory known only as a parent */
	uint64_t nlookup;
	uint32_t parent;	/* an earlier record, or MIG_NO_PARENT */
	uint32_t mode;		/* S_IFMT bits */
	uint32_t flags;
	int32_t id_type;
	uint16_t id_len;	/* 0: no id */
	uint16_t name_len;	/* 0 iff parent is MIG_NO_PARENT */
	const uint8_t *id;
	const char *name;	/* name_len bytes, not terminated */
	uint32_t nhandles;	/* open handles of it (counted by the decoder) */
};

/* The open(2) flags a handle is restored with: never O_TRUNC or O_CREAT. */
#define MIG_OPEN_FLAGS                                                   \
	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT | \
	 O_NOATIME | O_LARGEFILE)

enum mig_kind {
	MIG_FILE = 1,
	MIG_DIR = 2,
};

struct mig_handle {
	uint64_t fh;
	uint64_t nodeid;
	uint64_t cookie;	/* MIG_DIR: where the listing stood */
	uint32_t kind;
	uint32_t flags;		/* open(2) flags, within MIG_OPEN_FLAGS */
	uint32_t node;		/* the index of its node (found by the decoder) */
};

/* mig_fs.flags */
#define MIG_FS_VERIFY 1u	/* the source asks that every id be compared */

struct mig_fs {
	uint32_t mode;		/* the source's enum pt_migrate_mode */
	uint32_t flags;
	uint64_t next_nodeid;
	uint64_t next_fh;
	uint64_t fsid;		/* statfs f_fsid of the share; 0: unknown */
	int32_t root_id_type;
	uint16_t root_id_len;
	const uint8_t *root_id;
	size_t nnodes;
	struct mig_node *nodes;	/* [0] is the root */
	size_t nhandles;
	struct mig_handle *handles;
};

/**
 * Decode and check the filesystem's sections of v (pure: no I/O): bounds,
 * record order (a parent before its children, the root first), names
 * that are single components, unique nodeids and fhs, handles of known
 * nodeids of a fitting type. 0, or -EINVAL with a reason in err; on
 * success free *out with mig_fs_free().
 */
int mig_decode(const struct state_view *v, struct mig_fs *out, char *err,
	       size_t errlen);
void mig_fs_free(struct mig_fs *m);

/* What a record takes at least on the wire, for count checks. */
#define MIG_NODE_MIN_SIZE 36u
#define MIG_HANDLE_SIZE 32u
#define MIG_FS_MIN_SIZE 40u

#endif
