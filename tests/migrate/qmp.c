/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A QMP client for the migration test (no socat on a fresh machine):
 *
 *   qmp SOCKET COMMAND...
 *
 * connects to QEMU's QMP socket, leaves capabilities negotiation, sends
 * each COMMAND (a JSON object) and prints its answer (the line with
 * "return" or "error"; events in between are skipped). Exit status 1 if
 * an answer was an error, 2 on a connection problem or after 60 s.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[65536];
static size_t have;

/* The next line from fd into line (NUL-terminated); -1 on failure. */
static int read_line(int fd, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - buf);

			if (len >= size)
				len = size - 1;
			memcpy(line, buf, len);
			line[len] = 0;
			have -= (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, have);
			return 0;
		}
		if (have == sizeof(buf) || poll(&p, 1, 60000) <= 0)
			return -1;
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
}

/* Send cmd and print its answer: 0 a return, 1 an error, -1 trouble. */
static int command(int fd, const char *cmd, int print)
{
	static char line[65536];

	if (write(fd, cmd, strlen(cmd)) < 0 || write(fd, "\n", 1) != 1)
		return -1;
	while (!read_line(fd, line, sizeof(line))) {
		if (strstr(line, "\"event\""))
			continue;
		if (print)
			printf("%s\n", line);
		return strstr(line, "\"return\"") ? 0 : 1;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char greeting[65536];
	int fd, rc = 0;

	if (argc < 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: qmp SOCKET COMMAND...\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    read_line(fd, greeting, sizeof(greeting)) ||
	    command(fd, "{\"execute\":\"qmp_capabilities\"}", 0)) {
		perror("qmp: connect");
		return 2;
	}
	for (int i = 2; i < argc && rc < 2; i++) {
		int r = command(fd, argv[i], 1);

		rc = r < 0 ? 2 : r ? 1 : rc;
	}
	close(fd);
	return rc;
}
