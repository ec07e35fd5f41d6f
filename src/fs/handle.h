/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Open file and directory handles, keyed by the fh given to the guest.
 *
 * fh values come from a 64-bit counter and are never reused, so a stale or
 * forged fh from the guest finds nothing (EBADF) instead of someone else's
 * file. A handle holds one reference for the table and one per operation
 * using it: RELEASE racing with READ takes the handle out of the table at
 * once, and the fd is closed when the READ drops the last reference.
 *
 * Locking: handle_table.lock protects the map, the counter and every
 * handle's refs/hashed. A directory handle's dir_lock protects its
 * getdents64 state and is held across a whole READDIR; the table lock is
 * never held while taking a dir_lock (order: dir_lock, then table locks).
 */
#ifndef VFSD_FS_HANDLE_H
#define VFSD_FS_HANDLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/htab.h"

enum handle_kind {
	HANDLE_FILE,
	HANDLE_DIR,
};

/*
 * Where a directory handle's getdents64 stream stands. No entries are kept
 * between READDIRs (fs/pt_dir.c reads into a buffer of its own per
 * request): an idle handle costs no more than its struct.
 */
struct pt_dirstate {
	uint64_t cookie; /* offset of the next entry: d_off of the one before */
	bool moved;	/* the fd stands past cookie: seek back to read on */
};

struct pt_handle {
	/* Set at creation and then constant. */
	uint64_t fh;
	int fd;		/* owned by the handle */
	enum handle_kind kind;

	/* protected by handle_table.lock */
	uint64_t refs;
	bool hashed;
	struct htab_node node;

	/*
	 * HANDLE_FILE with an xattr map that renames security.capability:
	 * pt_fs.caps_gen + 1 once a write through this handle removed the
	 * mapped name, so later writes skip it until the next SETXATTR of
	 * that name (fs/pt_xattr.c). 0 until then.
	 */
	atomic_uint caps_seen;

	/* HANDLE_FILE: the guest took a flock through it (fs/pt_lock.c). */
	atomic_bool flocked;

	/*
	 * Called with (hook_arg, hook_key) when the handle goes, or NULL:
	 * a file given to the kernel for passthrough (fs/pt_backing.c) lets
	 * go of its inode's backing file. Set once, under a reference.
	 */
	void (*release_hook)(void *arg, uint64_t key);
	void *hook_arg;
	uint64_t hook_key;

	/* HANDLE_DIR only. */
	pthread_mutex_t dir_lock;
	struct pt_dirstate dir; /* protected by dir_lock */
};

struct handle_table {
	pthread_mutex_t lock;
	/* protected by lock */
	struct htab fhs;
	uint64_t next_fh;
	/* Set by handle_table_limit() before any handle; then constant. */
	uint64_t max;		/* handles open at once; 0: no limit */
};

/** 0 or -errno. */
int handle_table_init(struct handle_table *t);
/** Closes every handle; none may be in use. */
void handle_table_fini(struct handle_table *t);

/**
 * At most max handles open at once (0: no limit), so that a guest that
 * opens without releasing runs into EMFILE rather than into the daemon's
 * fd limit and memory. Before the first handle_new().
 */
void handle_table_limit(struct handle_table *t, uint64_t max);

/**
 * Enter fd as a new handle. On success the table owns fd and *fh is the
 * guest's key for it; on failure (EMFILE at the limit, ENOMEM, EOVERFLOW)
 * fd is still the caller's.
 */
int handle_new(struct handle_table *t, int fd, enum handle_kind kind,
	       uint64_t *fh);

/** Reference the handle fh of the given kind; NULL if there is none. */
struct pt_handle *handle_get(struct handle_table *t, uint64_t fh,
			     enum handle_kind kind);
void handle_put(struct handle_table *t, struct pt_handle *h);

/** Take fh out of the table (EBADF if it names no handle of that kind). */
int handle_release(struct handle_table *t, uint64_t fh, enum handle_kind kind);

/** Release every handle (guest unmounted or re-initialised). */
void handle_release_all(struct handle_table *t);

/** Number of handles in the table. */
uint64_t handle_count(struct handle_table *t);

/*
 * Migration (fs/migrate.h), while no operation runs: every handle, for the
 * source to send; a migrated guest's handles under their old fhs.
 */

/** Every handle, each held (handle_put() it); free the array. ENOMEM. */
int handle_snapshot(struct handle_table *t, struct pt_handle ***out,
		    size_t *n);

/**
 * Enter fd as handle fh (owned by the table on success; *out is not
 * held). EEXIST if fh is taken, EMFILE at the limit, EINVAL, ENOMEM.
 */
int handle_restore(struct handle_table *t, int fd, enum handle_kind kind,
		   uint64_t fh, struct pt_handle **out);

/** New fhs from next on (never one the guest had). */
void handle_restore_next(struct handle_table *t, uint64_t next);

#endif
