/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How the inode table keeps its fds, decided once at start from the
 * options and what the share's filesystem gives, and said in one line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fs/pt_internal.h"
#include "util/log.h"

/* Below this the budget would close and reopen fds on every request. */
#define PT_MIN_FD_BUDGET 64

/*
 * Half the open-file limit for inodes; the other half is left to files and
 * directories the guest opens, lock descriptions, mount fds and sockets.
 */
uint64_t pt_fd_budget_for(uint64_t nofile)
{
	if (nofile == RLIM_INFINITY)
		return 0;
	return nofile / 2 > PT_MIN_FD_BUDGET ? nofile / 2 : PT_MIN_FD_BUDGET;
}

uint64_t pt_default_fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	return pt_fd_budget_for(rl.rlim_cur);
}

/* Can the share's filesystem name its files, and may we open them so? */
static int probe_handles(int root_fd)
{
	struct file_handle *fh;
	uint64_t mnt_id;
	int dir_fd, fd, err;

	err = ifh_name(root_fd, &fh, &mnt_id);
	if (err)
		return err;
	/* A mount fd must not be O_PATH (inode.c keeps one the same way). */
	dir_fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		err = -errno;
		free(fh);
		return err;
	}
	err = ifh_open(dir_fd, fh, &fd);
	free(fh);
	close(dir_fd);
	if (err)
		return err;
	close(fd);
	return 0;
}

/* The ids the table would take on root_fd's filesystem, by name. */
static enum pt_ids probe_ids(int root_fd)
{
	struct file_handle *fh;

	if (!ifh_id(root_fd, false, &fh)) {
		free(fh);
		return PT_IDS_HANDLES;
	}
	if (!ifh_id(root_fd, true, &fh)) {
		free(fh);
		return PT_IDS_FID;
	}
	return PT_IDS_NONE;
}

int pt_probe_ids(int root_fd, enum pt_ids *ids)
{
	*ids = probe_ids(root_fd);
	return *ids == PT_IDS_HANDLES ? probe_handles(root_fd) : -EOPNOTSUPP;
}

/* The startup line: how inode fds are kept, and why. */
static void say_mode(const struct pt_fs *fs, const struct pt_opts *opts,
		     const char *note)
{
	const struct inode_table *t = &fs->inodes;
	const char *why = opts->inode_why ? opts->inode_why : "as asked";

	if (t->reopen == INODE_KEEP_FDS) {
		log_info("inode fds: one per inode, never closed (%s%s): a "
			 "guest that knows more files than RLIMIT_NOFILE allows "
			 "gets EMFILE", why, note);
		return;
	}
	log_info("inode fds: at most %llu open, a closed one reopened %s (%s%s)",
		 (unsigned long long)t->stats.budget,
		 inode_reopen_name(t->reopen), why, note);
}

bool pt_opens_by_handle(const struct pt_fs *fs)
{
	return fs->inodes.reopen == INODE_BY_HANDLE;
}

int pt_setup_inodes(struct pt_fs *fs, const struct pt_opts *opts,
		    int root_fd)
{
	enum inode_fh_mode mode = opts->inode_file_handles;
	uint64_t budget = opts->inode_fd_budget;
	char note[160] = "";
	int err = 0;

	if (mode != INODE_FH_NEVER)
		err = probe_handles(root_fd);
	if (err && mode == INODE_FH_MANDATORY) {
		log_err("no file handles for '%s' (%s), which "
			"--inode-file-handles=mandatory needs",
			opts->shared_dir, strerror(-err));
		return err;
	}
	if (err) {
		snprintf(note, sizeof(note),
			 "; its filesystem opens no file handles: %s",
			 strerror(-err));
		mode = INODE_FH_NEVER;
	}
	if (budget == PT_FD_BUDGET_UNLIMITED)
		budget = 0;
	else if (!budget)
		budget = pt_default_fd_budget();
	inode_table_config(&fs->inodes, mode, budget);
	if (fs->inodes.reopen == INODE_BY_NAME) {
		size_t len = strlen(note);

		switch (probe_ids(root_fd)) {
		case PT_IDS_HANDLES:
			break;
		case PT_IDS_FID:
			snprintf(note + len, sizeof(note) - len,
				 "; files told apart by AT_HANDLE_FID ids");
			break;
		case PT_IDS_NONE:
			log_warn("the filesystem of '%s' gives no file ids: "
				 "its inodes keep their fds, and a guest may "
				 "run the daemon out of them (overlayfs: "
				 "mount it with nfs_export=on, or use Linux "
				 "6.5 or later)",
				 opts->shared_dir);
			break;
		}
	}
	say_mode(fs, opts, note);
	return 0;
}
