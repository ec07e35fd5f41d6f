/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small intrusive hash table keyed by a 64-bit value, backing the inode and
 * handle tables. Several nodes may share a key (the inode table hashes
 * (st_dev, st_ino) into one): walk them with htab_first()/htab_next() and
 * compare the full key in the containing object. Not thread-safe: the owner
 * serialises every call with its own lock.
 */
#ifndef VFSD_FS_HTAB_H
#define VFSD_FS_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct htab_node {
	struct htab_node *next;
	uint64_t key;
};

struct htab {
	struct htab_node **buckets;
	size_t mask;	/* bucket count - 1; the count is a power of two */
	size_t count;
};

/** 0 or -ENOMEM. */
int htab_init(struct htab *h);
/** Frees the buckets only; the nodes belong to the caller. */
void htab_fini(struct htab *h);

/** Insert n under key. Never fails: growth is skipped if memory is short. */
void htab_insert(struct htab *h, struct htab_node *n, uint64_t key);
/** Remove n, which must be in h. */
void htab_remove(struct htab *h, struct htab_node *n);

/** First node with key, or NULL. */
struct htab_node *htab_first(const struct htab *h, uint64_t key);
/** The node after n with the same key, or NULL. */
struct htab_node *htab_next(const struct htab_node *n, uint64_t key);

/**
 * Empty the table and return its nodes as a list linked through next (for
 * draining it in one pass). Keys are kept, so nodes may be inserted again.
 */
struct htab_node *htab_take_all(struct htab *h);

/** Call fn on every node; fn may not insert into or remove from h. */
void htab_for_each(const struct htab *h,
		   void (*fn)(void *arg, struct htab_node *n), void *arg);

#endif
