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
 * By name, a third: kids, the inodes that name this one as their directory.
 * A forgotten directory with kids leaves both maps but stays in memory as
 * the first step of their way back (its own name still leads to it).
 * nodeids come from a 64-bit counter and are never reused.
 *
 * The fd budget. Each inode has an O_PATH fd. While more inode fds are
 * open than the budget allows, the least recently used inodes that no
 * operation holds (refs == 0) and that can be found again close their fd;
 * inode_get() opens it again. So the guest may know any number of files
 * while the daemon holds about budget fds for them, and an inode whose fd
 * is open costs what it did without the budget: a reference taken and
 * dropped under the lock, plus two pointer updates on the LRU list.
 *
 * How a closed inode is found again (enum inode_reopen, chosen at start):
 *  - by file handle (inode_fh.h): open_by_handle_at(), which needs
 *    CAP_DAC_READ_SEARCH; the daemon keeps it only where no handle can
 *    reach past the share (a whole filesystem, policy/mounts.h).
 *  - by name (inode_name.c), with no capability: each inode remembers its
 *    directory's inode and its name there, kept right by the guest's own
 *    LOOKUP, CREATE, MKDIR, MKNOD, SYMLINK, LINK, RENAME and UNLINK, and
 *    is opened again with openat(dir_fd, name, O_PATH | O_NOFOLLOW) from
 *    the nearest ancestor whose fd is open. The file's id (its handle
 *    taken by name_to_handle_at(), which needs no capability, or the
 *    kernel's AT_HANDLE_FID where the filesystem cannot open handles)
 *    tells whether what the name leads to now is still the inode's file:
 *    if not, the answer is ESTALE, never the other file.
 *  - never (budget 0): every fd stays open until the inode is forgotten,
 *    as in QEMU's virtiofsd.
 * An inode that cannot be found again keeps its fd: one whose filesystem
 * gives no id, one without a name (the root, a file the guest unlinked or
 * made with O_TMPFILE), and one the guest has open (inode_opened()).
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
 * file type and the file id (which carries the inode's generation) are the
 * same; otherwise the old inode leaves the key map, keeps its nodeid, and
 * answers ESTALE from then on, and the new file gets an inode of its own.
 * A reopen, by handle or by name, is checked the same way (type, st_dev,
 * st_ino, and by name the id too) before the fd is used.
 *
 * Locking: one mutex per table protects the maps, the counter, the counts
 * and the fd, parent and name of every inode, the LRU list and the mount
 * table. No other lock is taken while it is held, and no system call but
 * close() of fds already taken out of the table is made under it; it nests
 * inside any lock of the callers (a directory handle's lock, for
 * READDIRPLUS).
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

/* How inodes whose fd was closed are opened again (see above). */
enum inode_reopen {
	INODE_KEEP_FDS,		/* no budget: never closed */
	INODE_BY_NAME,		/* through the parent chain, no capability */
	INODE_BY_HANDLE,	/* open_by_handle_at(); by name on a mount without */
};

/*
 * Laid out to take 136 bytes (a 144-byte malloc chunk): every known inode
 * has one, so each 16 bytes is 1.6 MB per 100,000 files.
 */
struct pt_inode {
	/* Set at creation and then constant. */
	uint64_t nodeid;
	dev_t dev;
	ino_t ino;
	/*
	 * The file's id: a handle open_by_handle_at() takes (by_handle;
	 * then constant), or one that only tells the file apart from others
	 * (by name). NULL: none, and the fd is never closed before the inode
	 * goes. By name the name follows the id in the same allocation (one
	 * malloc chunk per inode less), which a new name replaces: then
	 * protected by inode_table.lock.
	 */
	struct file_handle *fh;

	/*
	 * protected by inode_table.lock. By name: the directory (holding one
	 * of its kids) and the name in it this inode was last seen by (in
	 * fh's allocation); NULL when none is known, and then the fd is not
	 * closed.
	 */
	struct pt_inode *parent;
	const char *name;
	uint64_t nlookup;	/* protected by inode_table.lock */

	/* Constant: the mount (STATX_MNT_ID) when by handle, else 0. */
	uint32_t mnt_id;
	mode_t type;	/* constant: S_IFMT bits */
	/*
	 * protected by inode_table.lock; O_PATH | O_NOFOLLOW, owned by the
	 * inode, -1 while closed for the budget. Constant while refs > 0.
	 */
	int fd;
	/* protected by inode_table.lock, as everything below */
	uint32_t refs;
	uint32_t kids;	/* inodes whose parent this is */
	uint32_t opens;	/* the guest's open files of it: its fd stays */
	bool by_handle;	/* fh opens the file (else it is an id) */
	bool fid;	/* fh was taken with AT_HANDLE_FID */
	bool pinned;	/* the root: never forgotten */
	bool hashed;	/* still in the nodeid map */
	/*
	 * Still in the key map: a lookup of (dev, ino) may find it. Cleared
	 * when another file turned out to hold its inode number.
	 */
	bool keyed;
	bool on_lru;	/* hashed or kids, fh, fd open, closable, refs == 0 */
	bool buried;	/* out of every count, to be freed after unlock */
	struct htab_node by_id;
	struct htab_node by_key;
	struct pt_inode *lru_prev, *lru_next;
};

/** Counters of the fd budget, for tests and metrics. */
struct inode_fd_stats {
	uint64_t fds;		/* inode fds open now */
	uint64_t budget;	/* 0: none */
	uint64_t idle;		/* inodes whose fd may be closed */
	uint64_t no_id;		/* inodes that keep their fd: no file id */
	uint64_t closed;	/* fds closed for the budget, ever */
	uint64_t reopened;	/* fds opened again from a handle, ever */
	uint64_t by_name;	/* fds opened again by name (and dirs on the way) */
	uint64_t stale;		/* reopens refused: the file is not there */
};

struct inode_table {
	pthread_mutex_t lock;
	/* protected by lock */
	struct htab ids;	/* nodeid -> inode */
	struct htab keys;	/* hash(dev, ino) -> inode */
	uint64_t next_id;
	/* Least recently used first. */
	struct pt_inode *lru_head, *lru_tail;
	/* Mount ids (by handle) or st_dev (by name) -> how ids are taken. */
	struct ifh_mounts mounts;
	struct inode_fd_stats stats;
	bool told_out_of_fds;	/* inode_fd_error() logged once */

	/* Set by inode_table_config() before any other use; then constant. */
	enum inode_fh_mode fh_mode;
	enum inode_reopen reopen;
};

/** Where a lookup found a file: its directory's inode and its name. */
struct inode_at {
	struct pt_inode *dir;
	const char *name;
};

/** 0 or -errno. Mode never, no budget. */
int inode_table_init(struct inode_table *t);
/** Closes every fd; no inode may be in use. */
void inode_table_fini(struct inode_table *t);

/**
 * Keep at most fd_budget inode fds open (0: no bound, every fd kept) and
 * find closed inodes again by handle (mode prefer or mandatory) or by name
 * (mode never). Before the first insert.
 */
void inode_table_config(struct inode_table *t, enum inode_fh_mode mode,
			uint64_t fd_budget);

/**
 * Enter the inode of an O_PATH fd, its stat and mount id (ignored unless
 * by handle), found as at->name in at->dir (at NULL, or at->dir NULL: not
 * known): if it is known, its nlookup grows by one and fd is closed (or
 * kept, if the inode's own was closed for the budget and the file's type
 * and id show it is the same file), and it is known by this name from now
 * on; otherwise a new inode takes fd with nlookup 1, and the file's id if
 * the mode asks for one. Either way *out holds one reference (inode_put()
 * it). Fails with EOVERFLOW (nlookup would wrap), ENOMEM, or in mode
 * mandatory with the error of taking the handle, leaving fd open.
 */
int inode_insert_at(struct inode_table *t, int fd, const struct stat *st,
		    uint64_t mnt_id, const struct inode_at *at,
		    struct pt_inode **out);

/** inode_insert_at() of a file whose name is not known. */
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
 * names none or its file is gone (its handle opens nothing, or its name
 * leads nowhere or to another file), or the error of opening it again
 * (EMFILE, ENFILE, ENOMEM).
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
 * The guest opened a file or directory of nodeid: its fd stays open until
 * inode_closed(), so an open file the guest unlinks keeps working.
 */
void inode_opened(struct inode_table *t, uint64_t nodeid);

/** The guest closed one of nodeid's open files (unknown nodeids: none). */
void inode_closed(struct inode_table *t, uint64_t nodeid);

/** True if the table follows names (inode_renamed(), inode_unlinked()). */
static inline bool inode_tracks_names(const struct inode_table *t)
{
	return t->reopen != INODE_KEEP_FDS;
}

/**
 * What a name is, taken just before the guest removes or moves it: st and
 * mnt_id of its file (statx), or valid false (no such name).
 */
struct inode_was {
	bool valid;
	struct stat st;
	uint64_t mnt_id;
};

/**
 * The guest removed name from dir (UNLINK, RMDIR), where was was: the
 * inode known by that name is no longer (its fd, if open, stays).
 */
void inode_unlinked(struct inode_table *t, struct pt_inode *dir,
		    const char *name, const struct inode_was *was);

/**
 * The guest renamed (dir, name), which was src, to (newdir, newname),
 * which was dst (valid false: nothing); exchange: RENAME_EXCHANGE.
 */
void inode_renamed(struct inode_table *t, struct pt_inode *dir,
		   const char *name, struct pt_inode *newdir,
		   const char *newname, const struct inode_was *src,
		   const struct inode_was *dst, bool exchange);

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
	return err == -EMFILE || err == -ENFILE;
}

/**
 * err, as it goes back to the guest; the first EMFILE or ENFILE is logged
 * once, with what the administrator can do about it.
 */
int inode_fd_error(struct inode_table *t, int err);

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

/** "by file handle", "by name" or "one fd per inode". */
const char *inode_reopen_name(enum inode_reopen r);

#endif
