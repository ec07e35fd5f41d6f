/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deadlock detection between the guest's POSIX lock owners.
 *
 * Host OFD locks have none, so vfsd keeps a copy of what each guest owner
 * holds and waits for, and looks for a cycle in "waits for a range held
 * by" before a request waits, as the kernel's posix_locks_deadlock() does
 * for local files. The host's locks stay the authority on who gets a lock;
 * this copy only decides whether a wait would never end. Host processes'
 * locks are not in it.
 *
 * Nothing here locks: the caller serialises every call (pt_locks.lock).
 */
#ifndef VFSD_FS_PT_LOCKGRAPH_H
#define VFSD_FS_PT_LOCKGRAPH_H

#include <stdbool.h>
#include <stdint.h>

/* An entry of one of the graph's lists. */
struct plg_link {
	struct plg_link *next, **pprev;
	bool linked;
};

struct plg_range {
	uint64_t start, end;	/* inclusive */
	uint32_t type;		/* F_RDLCK or F_WRLCK */
};

struct plg;

/* What one (nodeid, owner) holds; embedded in its lock description. */
struct plg_holder {
	uint64_t nodeid;
	uint64_t owner;
	struct plg_range *r;	/* sorted, disjoint, neighbours merged */
	unsigned int n;
	/* The copy was given up (no memory, too many ranges): holds nothing. */
	bool untracked;
	struct plg_link link;	/* in plg.holders */
	struct plg *g;		/* the graph it is linked in, or NULL */
};

/* A request waiting for a lock; lives on the waiting thread's stack. */
struct plg_wait {
	uint64_t nodeid;
	uint64_t owner;
	uint64_t start, end;
	uint32_t type;
	struct plg_link link;	/* in plg.waits */
};

struct plg {
	struct plg_link *holders;
	struct plg_link *waits;
	unsigned int nranges;	/* the holders' ranges, all together */
};

void plg_holder_init(struct plg_holder *h, uint64_t nodeid, uint64_t owner);
/** Free the copy of the ranges; h must be unlinked. */
void plg_holder_fini(struct plg_holder *h);
void plg_link(struct plg *g, struct plg_holder *h);
/** h's description is going: it holds nothing from now on. */
void plg_unlink(struct plg *g, struct plg_holder *h);

/**
 * h's owner now holds type (F_RDLCK, F_WRLCK, or F_UNLCK for nothing) on
 * [start, end], in place of what it held there. No-op once unlinked.
 */
void plg_hold(struct plg_holder *h, uint32_t type, uint64_t start,
	      uint64_t end);

void plg_wait_add(struct plg *g, struct plg_wait *w);
void plg_wait_del(struct plg *g, struct plg_wait *w);

/**
 * Whether w's owner waiting for w would close a cycle: an owner holding a
 * range w conflicts with waits, directly or through further waiting
 * owners, for a range w's owner holds.
 */
bool plg_would_deadlock(const struct plg *g, const struct plg_wait *w);

#endif
