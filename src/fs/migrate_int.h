/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the files of the migration (migrate_save.c, migrate_load.c,
 * migrate_walk.c); not for other files.
 */
#ifndef VFSD_FS_MIGRATE_INT_H
#define VFSD_FS_MIGRATE_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "fs/migrate.h"

/* What a walk's visitor makes of the fd it was given. */
enum mig_visit {
	/* Not the record's file: nothing below it is looked for. */
	MIG_SKIP,
	/* The walk keeps the fd for what lies below, and closes it. */
	MIG_KEEP,
	/*
	 * The visitor owns it now, and keeps it open until the last record
	 * below it was visited (the walk opens those from it).
	 */
	MIG_TAKEN,
};

/*
 * A walk down a list of records, each named by a parent earlier in the
 * list and one component, the first being the share's root: every record
 * is opened with openat(parent's fd, name, O_PATH | O_NOFOLLOW), the way
 * a lookup opens it, so nothing outside the share is reached and nothing
 * but an O_PATH fd is opened. A directory's fd stays open until its last
 * child was visited: in depth-first order, about as many as the tree is
 * deep.
 */
struct mig_walk_ops {
	/** The parent of record i, or MIG_NO_PARENT. */
	uint32_t (*parent)(void *arg, size_t i);
	/** Record i's name, NUL-terminated, into buf; false: it has none. */
	bool (*name)(void *arg, size_t i, char buf[MIG_NAME_MAX + 1]);
	/**
	 * Record i was found as fd (st, mnt_id from statx), or not (fd -1,
	 * err); what becomes of fd is the answer.
	 */
	enum mig_visit (*visit)(void *arg, size_t i, int fd, int err,
				const struct stat *st, uint64_t mnt_id);
};

/* visit()'s err for a record not looked for: its directory was not found. */
#define MIG_WALK_NO_PARENT (-ESRCH)

/** Walk n records from root_fd (record 0). 0 or -ENOMEM. */
int mig_walk(size_t n, int root_fd, const struct mig_walk_ops *ops,
	     void *arg);

/** CLOCK_MONOTONIC in microseconds, for the log lines. */
uint64_t mig_now_us(void);

/** Does fd (an open file of ours) hold a lock: POSIX, OFD or flock? */
bool mig_fd_locked(int proc_fd, int fd);

#endif
