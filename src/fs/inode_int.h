/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by inode.c (the table, its counts and the LRU) and inode_name.c
 * (names and the reopen through them); not for other files. Every
 * *_locked function runs with inode_table.lock held.
 */
#ifndef VFSD_FS_INODE_INT_H
#define VFSD_FS_INODE_INT_H

#include "fs/inode.h"

/*
 * Fds taken out of the table under its lock, closed after it is dropped.
 * Each change adds at most one fd over the budget, so a few per call keep
 * the count at the budget.
 */
#define INODE_EVICT_BATCH 4

/* How many idle fds to close when an open() ran out of fds. */
#define INODE_SHED 16

/* What to do once the lock is dropped: fds to close, inodes to free. */
struct inode_later {
	unsigned int n;
	int fds[INODE_EVICT_BATCH];
	struct pt_inode *dead;	/* linked through lru_next */
};

/** Close and free what l holds (after unlocking). */
void inode_later_run(struct inode_later *l);

/** The inode keyed (dev, ino, mnt_id), or NULL. */
struct pt_inode *inode_find_key_locked(const struct inode_table *t,
				       dev_t dev, ino_t ino, uint64_t mnt_id);

struct inode_id;

/* inode_new_locked(): in the nodeid map only, or in neither map. */
#define INODE_NEW_UNKEYED 1u
#define INODE_NEW_UNHASHED 2u

/**
 * A new inode for fd (-1: none) and st, with one lookup and one
 * reference, taking over id->fh; in both maps unless how says otherwise.
 * NULL without memory.
 */
struct pt_inode *inode_new_locked(struct inode_table *t, int fd,
				  const struct stat *st, uint64_t mnt_id,
				  uint64_t nodeid, struct inode_id *id,
				  unsigned int how);

/** One more reference, which takes i off the LRU. */
void inode_hold_locked(struct inode_table *t, struct pt_inode *i);

/**
 * After a change to what may close i's fd (a reference, an open, a name):
 * i on the LRU or off it, then idle fds closed while over the budget.
 */
void inode_lru_update_locked(struct inode_table *t, struct pt_inode *i,
			     struct inode_later *l);

/** Give fd (open, of i's file) to i if its own is closed; else keep it. */
bool inode_adopt_locked(struct inode_table *t, struct pt_inode *i, int fd,
			struct inode_later *l);

/**
 * i (by name, with an id) is known as name in parent from now on (parent
 * NULL: by no name). The old parent may go with it. False, and nothing
 * changed, if there is no memory for the name.
 */
bool inode_set_parent_locked(struct inode_table *t, struct pt_inode *i,
			     struct pt_inode *parent, const char *name,
			     struct inode_later *l);

/* inode_id.c */

/* A file's id and how it was taken, for an inode about to be made. */
struct inode_id {
	struct file_handle *fh;
	bool by_handle;
	bool fid;
};

/**
 * Does a lookup of (st, mnt_id) need the file's id: a file new to the
 * table, or a known inode whose fd was closed (the number may be reused)?
 */
bool inode_needs_id(struct inode_table *t, const struct stat *st,
		    uint64_t mnt_id);

/** The id the table's mode wants for the new file fd is; 0 or -errno. */
int inode_take_id(struct inode_table *t, int fd, const struct stat *st,
		  uint64_t mnt_id, struct inode_id *id);

/** A mount fd to open handles of mount mnt_id on, from fd (a directory). */
int inode_ensure_mount(struct inode_table *t, int fd, mode_t type,
		       uint64_t mnt_id);

/** Open the held inode i, by handle, if its fd is closed. */
int inode_reopen_by_handle(struct inode_table *t, struct pt_inode *i);

/* inode_name.c */

/**
 * A lookup found i (new or known) as at->name in at->dir: remember it,
 * unless i is found again by handle, has no id, or at->dir is i itself or
 * below it (a bind mount of a directory inside itself).
 */
void iname_seen_locked(struct inode_table *t, struct pt_inode *i,
		       const struct inode_at *at, struct inode_later *l);

/** Open the held inode i, by name, if its fd is closed. */
int iname_reopen(struct inode_table *t, struct pt_inode *i);

#endif
