/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inode table: every host inode the guest can name, keyed both by the
 * nodeid given to the guest and by the host's (st_dev, st_ino).
 *
 * Two counts live on each inode:
 *  - nlookup, the guest's lookup count. It comes from the guest and is
 *    untrusted: additions are overflow-checked, FORGET subtracts at most what
 *    is there. At zero the inode leaves both maps at once, so the guest can no
 *    longer name it and a new lookup of the same file gets a NEW nodeid.
 *  - refs, our own references held while an operation uses the inode. The O_PATH
 *    fd is closed and the inode freed only when both are zero, so a FORGET
 *    racing with an operation never closes the fd under it.
 * nodeids come from a 64-bit counter and are never reused.
 *
 * Locking: one mutex per table protects the maps, the counter and both counts
 * of every inode. No other lock is taken while it is held, so it nests inside
 * any lock of the callers (a directory handle's lock, for READDIRPLUS).
 */
#ifndef VFSD_FS_INODE_H
#define VFSD_FS_INODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fs/htab.h"

struct pt_inode {
	/* Set at creation and then constant. */
	uint64_t nodeid;
	dev_t dev;
	ino_t ino;
	int fd;		/* O_PATH | O_NOFOLLOW, owned by the inode */
	mode_t type;	/* S_IFMT bits */

	/* protected by inode_table.lock */
	uint64_t nlookup;
	uint64_t refs;
	bool pinned;	/* the root: never forgotten */
	bool hashed;	/* still in both maps */
	struct htab_node by_id;
	struct htab_node by_key;
};

struct inode_table {
	pthread_mutex_t lock;
	/* protected by lock */
	struct htab ids;	/* nodeid -> inode */
	struct htab keys;	/* hash(dev, ino) -> inode */
	uint64_t next_id;
};

/** 0 or a positive errno. */
int inode_table_init(struct inode_table *t);
/** Closes every fd; no inode may be in use. */
void inode_table_fini(struct inode_table *t);

/**
 * Enter the inode of an O_PATH fd and stat: if (dev, ino) is known, its
 * nlookup grows by one and fd is closed; otherwise a new inode takes fd with
 * nlookup 1. Either way *out holds one reference (inode_put() it).
 * Fails with EOVERFLOW (nlookup would wrap) or ENOMEM, leaving fd open.
 */
int inode_insert(struct inode_table *t, int fd, const struct stat *st,
		 struct pt_inode **out);

/** Like inode_insert() for the root: nodeid VFS_ROOT_ID, never forgotten. */
int inode_insert_root(struct inode_table *t, int fd, const struct stat *st,
		      struct pt_inode **out);

/** Reference the inode the guest calls nodeid; NULL if it names none. */
struct pt_inode *inode_get(struct inode_table *t, uint64_t nodeid);

/** Take one more reference on an inode already held. */
void inode_ref(struct inode_table *t, struct pt_inode *ino);

/** Drop a reference from inode_get()/inode_insert()/inode_ref(). */
void inode_put(struct inode_table *t, struct pt_inode *ino);

/**
 * Subtract n (clamped to what is there) from nodeid's lookup count; unknown
 * nodeids and the root are ignored.
 */
void inode_forget(struct inode_table *t, uint64_t nodeid, uint64_t n);

/** Drop one lookup of an inode held by reference (undo an insert). */
void inode_unlookup(struct inode_table *t, struct pt_inode *ino);

/** Forget every inode but the root (guest unmounted or re-initialised). */
void inode_forget_all(struct inode_table *t);

/** Number of inodes the guest can name (root included). */
uint64_t inode_count(struct inode_table *t);

#endif
