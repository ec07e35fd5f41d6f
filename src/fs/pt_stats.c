/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Table sizes for metrics. The fd count reads /proc/self/fd through the
 * passthrough's own /proc fd, which stays reachable inside the sandbox.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fs/pt_internal.h"
#include "fs/pt_stats.h"
#include "util/log.h"

static uint64_t count_fds(int proc_fd)
{
	struct dirent *d;
	uint64_t n = 0;
	DIR *dir;
	int fd;

	fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_debug("open /proc/self/fd: %s", strerror(errno));
		return 0;
	}
	dir = fdopendir(fd);
	if (!dir) {
		log_debug("fdopendir /proc/self/fd: %s", strerror(errno));
		close(fd);
		return 0;
	}
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	/* Not counting the one opened for the count itself. */
	return n ? n - 1 : 0;
}

void pt_sizes(struct pt_fs *fs, struct pt_sizes *out)
{
	struct inode_fd_stats fds;

	out->inodes = inode_count(&fs->inodes);
	out->handles = handle_count(&fs->handles);
	out->open_fds = count_fds(fs->proc_fd);
	inode_fd_stats(&fs->inodes, &fds);
	out->inode_fds = fds.fds;
	out->inode_fd_budget = fds.budget;
	out->inode_evictions = fds.closed;
	out->inode_reopens = fds.reopened + fds.by_name;
	out->inode_stale = fds.stale;
	out->inode_mode = inode_reopen_name(fs->inodes.reopen);
}
