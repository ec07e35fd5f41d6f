/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The walk down migrated paths (fs/migrate_int.h), and the look at an
 * fd's locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs/migrate_int.h"
#include "fs/pt_internal.h"

/* last[i]: the last record whose parent is i, or MIG_NO_PARENT. */
static uint32_t *last_children(size_t n, const struct mig_walk_ops *ops,
			       void *arg)
{
	uint32_t *last = malloc(n * sizeof(*last));

	if (!last)
		return NULL;
	memset(last, 0xff, n * sizeof(*last));
	for (size_t i = 1; i < n; i++) {
		uint32_t p = ops->parent(arg, i);

		if (p != MIG_NO_PARENT && p < i)
			last[p] = (uint32_t)i;
	}
	return last;
}

/* Open record i below its parent's fd pfd. */
static int walk_one(int pfd, const char *name, int *fd, struct stat *st,
		    uint64_t *mnt_id)
{
	int err;

	*fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	err = pt_statx(*fd, st, mnt_id);
	if (err) {
		close(*fd);
		*fd = -1;
	}
	return err;
}

/* fds[i] of a directory records below it are opened from; ours or not. */
struct walk_fd {
	int fd;
	bool ours;
};

static void walk_close(struct walk_fd *w)
{
	if (w->ours && w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

int mig_walk(size_t n, int root_fd, const struct mig_walk_ops *ops,
	     void *arg)
{
	uint32_t *last = n ? last_children(n, ops, arg) : NULL;
	struct walk_fd *fds = n ? calloc(n, sizeof(*fds)) : NULL;
	char name[MIG_NAME_MAX + 1];

	if (n && (!last || !fds)) {
		free(last);
		free(fds);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t p = i ? ops->parent(arg, i) : MIG_NO_PARENT;
		struct walk_fd w = { -1, i != 0 };
		struct stat st = { 0 };
		uint64_t mnt_id = 0;
		enum mig_visit v;
		int err;

		if (i == 0) {
			err = pt_statx(root_fd, &st, &mnt_id);
			w.fd = err ? -1 : root_fd;
		} else if (p == MIG_NO_PARENT || p >= i ||
			   !ops->name(arg, i, name)) {
			err = -ESTALE;
		} else if (fds[p].fd < 0) {
			err = MIG_WALK_NO_PARENT;
		} else {
			err = walk_one(fds[p].fd, name, &w.fd, &st, &mnt_id);
		}
		v = ops->visit(arg, i, w.fd, err, &st, mnt_id);
		if (v == MIG_SKIP)
			walk_close(&w);
		else if (v == MIG_TAKEN)
			w.ours = false;
		/* Kept while records below it are still to come. */
		if (last[i] != MIG_NO_PARENT)
			fds[i] = w;
		else
			walk_close(&w);
		if (p != MIG_NO_PARENT && p < i && last[p] == i)
			walk_close(&fds[p]);
	}
	free(last);
	free(fds);
	return 0;
}

bool mig_fd_locked(int proc_fd, int fd)
{
	char path[64], buf[4096];
	size_t have = 0;
	bool locked = false;
	ssize_t r;
	int in;

	/* /proc/self/fdinfo/N lists the locks that description holds. */
	snprintf(path, sizeof(path), "../fdinfo/%d", fd);
	in = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return true;	/* cannot tell: better refused than dropped */
	while (!locked && (r = read(in, buf + have, sizeof(buf) - 1 - have)) > 0) {
		have += (size_t)r;
		buf[have] = 0;
		locked = strstr(buf, "lock:") != NULL;
		/* Keep a tail that may hold half of "lock:". */
		if (have > 8) {
			memmove(buf, buf + have - 8, 8);
			have = 8;
		}
	}
	if (r < 0)
		locked = true;
	close(in);
	return locked;
}

uint64_t mig_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
