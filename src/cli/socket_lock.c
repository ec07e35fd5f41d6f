/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli/socket_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/option_values.h"

/* The pid the holder wrote, for the message; 0 if unreadable. */
static long holder_pid(const char *path)
{
	char buf[24];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int refuse_busy(const char *sock, const char *path, char *err,
		       size_t errlen)
{
	long pid = holder_pid(path);
	char who[48] = "another daemon";

	if (pid > 0)
		snprintf(who, sizeof(who), "another daemon (pid %ld)", pid);
	return opt_fail(err, errlen,
			"%s serves %s and holds %s: stop it first, or give this one another --socket-path",
			who, sock, path);
}

/* Our pid, in place of whatever a dead holder left. */
static int write_pid(int fd, const char *path, char *err, size_t errlen)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n)
		return opt_fail(err, errlen, "write %s: %s", path,
				strerror(errno));
	return 0;
}

int socket_lock(const char *socket_path, char *err, size_t errlen)
{
	size_t len = strlen(socket_path) + sizeof(".pid");
	char *path = malloc(len);
	struct stat held, now;
	int fd = -1, tries = 0;

	if (!path)
		return opt_fail(err, errlen, "out of memory");
	snprintf(path, len, "%s.pid", socket_path);
	for (;;) {
		/* Never through a link someone placed there. */
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
					O_NOCTTY, 0600);
		if (fd < 0) {
			opt_fail(err, errlen, "cannot create lock file %s: %s%s",
				 path, strerror(errno),
				 errno == EACCES ? " (the socket's directory is not writable by this user)" : "");
			break;
		}
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			if (errno == EWOULDBLOCK)
				refuse_busy(socket_path, path, err, errlen);
			else
				opt_fail(err, errlen, "flock %s: %s", path,
					 strerror(errno));
			close(fd);
			fd = -1;
			break;
		}
		/*
		 * The holder may have removed and recreated it between our
		 * open and flock: the lock counts only on the file at path.
		 */
		if (fstat(fd, &held) == 0 && stat(path, &now) == 0 &&
		    held.st_dev == now.st_dev && held.st_ino == now.st_ino)
			break;
		close(fd);
		fd = -1;
		if (++tries == 10) {
			opt_fail(err, errlen, "%s keeps being replaced", path);
			break;
		}
	}
	if (fd >= 0 && write_pid(fd, path, err, errlen)) {
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}
