/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vfsd stats`: one request line to the daemon's stats socket, its answer
 * copied to stdout. The daemon renders every format, so this side stays a
 * pipe and cannot disagree with what a scraper sees on the same socket.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/stats_client.h"

static int usage(void)
{
	fprintf(stderr, "usage: vfsd stats SOCKET [--json|--prometheus]\n");
	return 2;
}

static int stats_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies the answer to stdout; 0, or -1 with errno set. */
static int copy_answer(int fd)
{
	char buf[8192];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return -1;
	}
}

int stats_client_main(int argc, char *argv[])
{
	const char *path = NULL, *req = "text\n";
	int fd, ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			req = "json\n";
		else if (!strcmp(argv[i], "--prometheus"))
			req = "prometheus\n";
		else if (!strcmp(argv[i], "--text"))
			req = "text\n";
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			return usage();
	}
	if (!path)
		return usage();
	fd = stats_connect(path);
	if (fd < 0) {
		fprintf(stderr, "vfsd stats: cannot connect to '%s': %s\n", path,
			strerror(errno));
		return 1;
	}
	if (write_all(fd, req, strlen(req))) {
		fprintf(stderr, "vfsd stats: send: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	ret = copy_answer(fd);
	if (ret)
		fprintf(stderr, "vfsd stats: %s\n", strerror(errno));
	close(fd);
	if (fflush(stdout) == EOF)
		ret = -1;
	return ret ? 1 : 0;
}
