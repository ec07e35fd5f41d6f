/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int share_fd = -1;
static char share_path[64];

/* Remove everything below dirfd (one level of fd per depth). */
static void fz_empty(int dirfd, unsigned int depth)
{
	DIR *d;
	struct dirent *e;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd, e->d_name, 0) == 0)
			continue;
		if (depth < 64) {
			int sub = openat(dirfd, e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						 O_CLOEXEC);

			if (sub >= 0) {
				fz_empty(sub, depth + 1);
				close(sub);
			}
		}
		if (unlinkat(dirfd, e->d_name, AT_REMOVEDIR) && errno != ENOENT)
			fprintf(stderr, "fuzz: cannot remove %s: %m\n",
				e->d_name);
	}
	closedir(d);
}

void fz_populate(void)
{
	static const char text[] = "hello from the scratch share\n";
	int fd;

	/* Requests may have chmod'ed the root; other uids must get in. */
	if (fchmod(share_fd, 0777))
		perror("fuzz: chmod share");
	fz_empty(share_fd, 0);
	fd = openat(share_fd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, text, sizeof(text) - 1) < 0)
			perror("fuzz: write");
		close(fd);
	}
	if (mkdirat(share_fd, "dir", 0755) == 0) {
		int sub = openat(share_fd, "dir",
				 O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (sub >= 0) {
			fd = openat(sub, "inner", O_WRONLY | O_CREAT | O_CLOEXEC,
				    0600);
			if (fd >= 0)
				close(fd);
			close(sub);
		}
	}
	if (symlinkat("/etc/passwd", share_fd, "out"))
		perror("fuzz: symlink");
	if (mknodat(share_fd, "fifo", S_IFIFO | 0644, 0))
		perror("fuzz: mkfifo");
}

/* A private, size-capped tmpfs reached only through share_fd. */
static int fz_private_tmpfs(const char *dir)
{
	if (unshare(CLONE_NEWNS))
		return -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	if (mount("vfsd-fuzz", dir, "tmpfs", MS_NOSUID | MS_NODEV,
		  "size=16m,nr_inodes=4096,mode=0777"))
		return -1;
	return 0;
}

/* Make share_fd a directory fd reached only by share_path. */
static void fz_open_share(const char *dir, bool mounted)
{
	int path_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char proc[64];

	if (path_fd < 0) {
		perror("fuzz: open share");
		exit(1);
	}
	if (mounted && (umount2(dir, MNT_DETACH) || rmdir(dir)))
		perror("fuzz: detach scratch tmpfs");
	if (!mounted)
		fprintf(stderr, "fuzz: no private tmpfs, using %s\n",
			dir);
	/* fz_empty() needs a readable directory fd, not an O_PATH one. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path_fd);
	share_fd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (share_fd < 0) {
		perror("fuzz: reopen share");
		exit(1);
	}
	close(path_fd);
	snprintf(share_path, sizeof(share_path), "/proc/self/fd/%d", share_fd);
}

void fz_scratch_init(const char *who)
{
	char dir[] = "/tmp/vfsd-fuzz.XXXXXX";

	if (!mkdtemp(dir)) {
		fprintf(stderr, "%s: mkdtemp: %m\n", who);
		exit(1);
	}
	fz_open_share(dir, fz_private_tmpfs(dir) == 0);
	fz_populate();
}

const char *fz_share_path(void)
{
	return share_path;
}
