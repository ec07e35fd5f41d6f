/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inode table: every host inode the guest can name, keyed both by the
 * nodeid given to the guest and by the host's (st_dev, st_ino), plus the
 * mount id when file handles are on (a bind mount of the same filesystem is
 * another mount to reopen on).
 *
 * Two counts live on each inode:
 *  - nlookup, the guest's lookup count. It comes from the guest and is
 *    untrusted: additions are overflow-checked, FORGET subtracts at most what
 *    is there. At zero the inode leaves both maps at once, so the guest can no
 *    longer name it and a new lookup of the same file gets a NEW nodeid.
 *  - refs, our own references held while an operation uses the inode. The
 *    inode is freed only when both are zero, so a FORGET racing with an
 *    operation never closes the fd under it.
 * nodeids come from a 64-bit counter and are never reused.
 *
 * The fd budget. Each inode has an O_PATH fd; with file handles on
 * (inode_fh.h) an inode also keeps the handle of its file. While more inode
 * fds are open than the budget allows, the least recently used inodes that
 * have a handle and no reference (refs == 0) close their fd; inode_get()
 * opens it again from the handle. So the guest may know any number of
 * files while the daemon holds about budget fds for them, and an inode
 * whose fd is open costs what it did without handles: a reference taken and
 * dropped under the lock, plus two pointer updates on the LRU list.
 * An inode without a handle (mode never, or a filesystem without handles
 * in mode prefer) keeps its fd until it is forgotten.
 *
 * The one rule for users of ino->fd: it is open and does not change while
 * the caller holds a reference (from inode_get(), inode_insert() or
 * inode_ref()). It may be -1 or another fd at any other time.
 *
 * Identity. A nodeid names one host file for its whole life. While an
 * inode's fd is open it pins the file, so no other file can hold its
 * (st_dev, st_ino). Once the fd is closed for the budget the file may be
 * deleted and its inode number given to a new file (ext4 does so at once):
 * a lookup that finds such an inode by key adopts the new fd only if the
 * file type and the file handle (which carries the inode's generation)
 * are the same; otherwise the old inode leaves the key map, keeps its
 * nodeid, and answers ESTALE from then on (its handle no longer opens),
 * and the new file gets an inode of its own. A reopen by handle is checked
 * the same way (type, st_dev, st_ino) before the fd is used.
 *
 * Locking: one mutex per table protects the maps, the counter, both counts
 * and the fd of every inode, the LRU list and the mount table. No other
 * lock is taken while it is held, and no system call but close() of fds
 * already taken out of the table is made under it; it nests inside any
 * lock of the callers (a directory handle's lock, for READDIRPLUS).
 */
#ifndef VFSD_FS_INODE_H
#define VFSD_FS_INODE_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fs/htab.h"
#include "fs/inode_fh.h"

struct pt_inode {
	/* Set at creation and then constant. */
	uint64_t nodeid;
	dev_t dev;
	ino_t ino;
	uint64_t mnt_id;	/* 0 unless file handles are on */
	mode_t type;	/* S_IFMT bits */
	/* NULL: the fd is never closed before the inode goes. */
	struct file_handle *fh;

	/*
	 * protected by inode_table.lock; O_PATH | O_NOFOLLOW, owned by the
	 * inode, -1 while closed for the budget. Constant while refs > 0.
	 */
	int fd;
	uint64_t nlookup;
	uint64_t refs;
	bool pinned;	/* the root: never forgotten */
	bool hashed;	/* still in the nodeid map */
	/*
	 * Still in the key map: a lookup of (dev, ino) may find it. Cleared
	 * when another file turned out to hold its inode number.
	 */
	bool keyed;
	struct htab_node by_id;
	struct htab_node by_key;
	/* On the LRU list: hashed, fh, fd open and refs == 0. */
	bool on_lru;
	struct pt_inode *lru_prev, *lru_next;
};

/** Counters of the fd budget, for tests and metrics. */
struct inode_fd_stats {
	uint64_t fds;		/* inode fds open now */
	uint64_t budget;	/* 0: none */
	uint64_t idle;		/* inodes whose fd may be closed */
	uint64_t closed;	/* fds closed for the budget, ever */
	uint64_t reopened;	/* fds opened again from a handle, ever */
};

struct inode_table {
	pthread_mutex_t lock;
	/* protected by lock */
	struct htab ids;	/* nodeid -> inode */
	struct htab keys;	/* hash(dev, ino) -> inode */
	uint64_t next_id;
	/* Least recently used first. */
	struct pt_inode *lru_head, *lru_tail;
	struct ifh_mounts mounts;
	struct inode_fd_stats stats;

	/* Set by inode_table_config() before any other use; then constant. */
	enum inode_fh_mode fh_mode;
};

/** 0 or a positive errno. Mode never, no budget. */
int inode_table_init(struct inode_table *t);
/** Closes every fd; no inode may be in use. */
void inode_table_fini(struct inode_table *t);

/**
 * Keep file handles per mode, and at most fd_budget inode fds open where
 * handles allow (0: no bound). Before the first insert.
 */
void inode_table_config(struct inode_table *t, enum inode_fh_mode mode,
			uint64_t fd_budget);

/**
 * Enter the inode of an O_PATH fd, its stat and mount id (ignored in mode
 * never): if it is known, its nlookup grows by one and fd is closed (or
 * kept, if the inode's own was closed for the budget and the file's type
 * and handle show it is the same file); otherwise a new inode takes fd
 * with nlookup 1, and the file's handle if the mode asks for one. Either
 * way *out holds one reference (inode_put() it).
 * Fails with EOVERFLOW (nlookup would wrap), ENOMEM, or in mode mandatory
 * with the error of taking the handle, leaving fd open.
 */
int inode_insert(struct inode_table *t, int fd, const struct stat *st,
		 uint64_t mnt_id, struct pt_inode **out);

/**
 * Like inode_insert() for the root: nodeid VFS_ROOT_ID, never forgotten,
 * its fd never closed.
 */
int inode_insert_root(struct inode_table *t, int fd, const struct stat *st,
		      uint64_t mnt_id, struct pt_inode **out);

/**
 * Reference the inode the guest calls nodeid, its fd open: ESTALE if it
 * names none or its file is gone (its handle opens nothing, or another
 * file), or the error of opening it again (EMFILE, ENFILE, ENOMEM).
 */
int inode_get(struct inode_table *t, uint64_t nodeid, struct pt_inode **out);

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

/**
 * Close up to n idle inode fds whatever the budget, for a caller whose
 * open() failed with EMFILE or ENFILE; returns how many were closed (0:
 * retrying is pointless). The guest's open files take fds the budget does
 * not count, so the limit can be reached below the budget.
 */
unsigned int inode_shed(struct inode_table *t, unsigned int n);

/** True for the errors inode_shed() may cure. */
static inline bool inode_out_of_fds(int err)
{
	return err == EMFILE || err == ENFILE;
}

/**
 * Is st (an fstat of the fd an operation is about to use) the file ino was
 * made for: same type, st_dev and st_ino? Whatever the table remembers,
 * a decision about what may be opened is made on st.
 */
static inline bool inode_matches(const struct pt_inode *ino,
				 const struct stat *st)
{
	return (st->st_mode & S_IFMT) == ino->type && st->st_dev == ino->dev &&
	       st->st_ino == ino->ino;
}

/** A snapshot of the budget's counters. */
void inode_fd_stats(struct inode_table *t, struct inode_fd_stats *out);

#endif
