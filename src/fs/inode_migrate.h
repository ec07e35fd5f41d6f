/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inode table across a migration (fs/migrate.h): a snapshot of what
 * the guest knows for the source to send, and the entry of migrated
 * inodes under their old nodeids on the destination. Both run while no
 * operation does.
 */
#ifndef VFSD_FS_INODE_MIGRATE_H
#define VFSD_FS_INODE_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "fs/inode.h"

#define INODE_SNAP_NONE UINT32_MAX

/* One inode as the snapshot saw it; parents come before their children. */
struct inode_snap {
	struct pt_inode *ino;	/* held until inode_snapshot_free() */
	uint64_t nodeid;	/* 0: forgotten, kept as a parent by name */
	uint64_t nlookup;
	uint32_t parent;	/* index of its directory, or INODE_SNAP_NONE */
	char *name;		/* its name there, or NULL */
	mode_t type;
	dev_t dev;
	ino_t ino_nr;
	uint32_t mnt_id;	/* the table's key: 0 unless by handle */
	uint32_t opens;		/* the guest's open files of it */
	bool keyed;		/* false: its inode number went to another file */
	bool fd_open;		/* its fd is open (and stays so while held) */
	struct file_handle *id;	/* a copy of its file's id, or NULL */
	bool id_opens;		/* id is a handle (not an AT_HANDLE_FID id) */
};

/**
 * Every inode the guest can name, and the forgotten directories their
 * names go through, in depth-first order from the root (index 0). 0 or
 * ENOMEM; free with inode_snapshot_free().
 */
int inode_snapshot(struct inode_table *t, struct inode_snap **out,
		   size_t *n);
void inode_snapshot_free(struct inode_table *t, struct inode_snap *v,
			 size_t n);

/**
 * A new O_PATH fd of s's file from its handle (by file handle, when its
 * own is closed), checked to be that file. 0 or -errno (ESTALE).
 */
int inode_snap_open_handle(struct inode_table *t, const struct inode_snap *s,
			   int *fd);

/** A migrated inode to enter. */
struct inode_restore {
	uint64_t nodeid;	/* 0: only a directory names go through */
	uint64_t nlookup;
	int fd;			/* O_PATH, taken over on success */
	const struct stat *st;
	uint64_t mnt_id;
	/*
	 * The file's id as a table by name takes it (a handle, or with id_fid
	 * an AT_HANDLE_FID id), if the caller has it; else NULL and the
	 * table takes its own.
	 */
	const struct file_handle *id;
	bool id_fid;
	const struct inode_at *at;	/* its name, or NULL */
};

/**
 * Enter r as the guest had it: its nodeid (0: in no map), lookup count
 * and name, with the table's own file id; r->fd is the table's on
 * success, still the caller's on failure. *out holds one reference
 * (inode_put() it). EEXIST if the nodeid or the file is in the table
 * already, ENOMEM.
 */
int inode_restore(struct inode_table *t, const struct inode_restore *r,
		  struct pt_inode **out);

/**
 * Enter nodeid as an inode whose file is gone: ESTALE on every use until
 * the guest forgets it. EEXIST, ENOMEM.
 */
int inode_restore_stale(struct inode_table *t, uint64_t nodeid, mode_t type,
			uint64_t nlookup);

/** New nodeids from next on (never one the guest had). */
void inode_restore_next_id(struct inode_table *t, uint64_t next);

#endif
