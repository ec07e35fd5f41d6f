/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The --stats-socket thread. It uses only what the seccomp allowlist
 * already has for the vhost-user socket (poll, accept4, read, write,
 * close; eventfd to be stopped). A client gets a bounded time to send its
 * line and to take the answer, so one that stalls cannot hold the thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/stats_server.h"
#include "util/log.h"
#include "util/thread.h"

/* Per connection: the request line, then the answer, each this long. */
#define STATS_IO_TIMEOUT_MS 2000
#define STATS_LINE_MAX 32

struct stats_server {
	int listen_fd;
	int stop_fd;		/* eventfd: readable once stopping */
	pthread_t thread;
	const struct fuse_stats *st;
	stats_gauges_fn gauges;
	void *arg;
};

/* Waits for events on fd or a stop; >0 ready, 0 timed out/stopped, <0 err. */
static int stats_wait(struct stats_server *srv, int fd, short events,
		      int timeout)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = events },
		{ .fd = srv->stop_fd, .events = POLLIN },
	};
	int n;

	do
		n = poll(p, 2, timeout);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (p[1].revents)
		return 0;
	return n;
}

/* Reads the request line (up to newline or EOF); 0 or -1. */
static int stats_read_line(struct stats_server *srv, int fd, char *line,
			   size_t len)
{
	size_t got = 0;

	while (got + 1 < len) {
		ssize_t n;

		if (stats_wait(srv, fd, POLLIN, STATS_IO_TIMEOUT_MS) <= 0)
			return -1;
		n = read(fd, line + got, len - 1 - got);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return 0;
}

static void stats_write_all(struct stats_server *srv, int fd, const char *s,
			    size_t len)
{
	while (len) {
		ssize_t n;

		if (stats_wait(srv, fd, POLLOUT, STATS_IO_TIMEOUT_MS) <= 0)
			return;
		n = write(fd, s, len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void stats_answer(struct stats_server *srv, int fd)
{
	static const char bad[] = "error: send one line: text, json or prometheus\n";
	struct fuse_stats_gauges g = { 0 };
	enum fuse_stats_format fmt;
	char line[STATS_LINE_MAX];
	char *out;
	size_t len;
	int err;

	if (stats_read_line(srv, fd, line, sizeof(line)))
		return;
	if (fuse_stats_parse_format(line, &fmt)) {
		stats_write_all(srv, fd, bad, sizeof(bad) - 1);
		return;
	}
	if (srv->gauges)
		srv->gauges(srv->arg, &g);
	err = fuse_stats_render(srv->st, &g, fmt, &out, &len);
	if (err) {
		log_warn("stats: %s", strerror(-err));
		return;
	}
	stats_write_all(srv, fd, out, len);
	free(out);
}

static void *stats_thread(void *arg)
{
	struct stats_server *srv = arg;

	for (;;) {
		int ret = stats_wait(srv, srv->listen_fd, POLLIN, -1);
		int fd;

		if (ret <= 0) {
			if (ret < 0)
				log_warn("stats socket: %s", strerror(-ret));
			break;
		}
		fd = accept4(srv->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("stats accept: %s", strerror(errno));
			continue;
		}
		stats_answer(srv, fd);
		if (close(fd))
			log_debug("stats close: %s", strerror(errno));
	}
	return NULL;
}

int stats_server_start(struct stats_server **out, int listen_fd,
		       const struct fuse_stats *st, stats_gauges_fn gauges,
		       void *arg)
{
	struct stats_server *srv = calloc(1, sizeof(*srv));
	int ret;

	if (!srv)
		return -ENOMEM;
	srv->listen_fd = listen_fd;
	srv->st = st;
	srv->gauges = gauges;
	srv->arg = arg;
	/* poll() may report a client that is gone by the time we accept. */
	ret = fcntl(listen_fd, F_GETFL);
	if (ret < 0 || fcntl(listen_fd, F_SETFL, ret | O_NONBLOCK) < 0) {
		ret = -errno;
		goto fail;
	}
	srv->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (srv->stop_fd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = thread_create_nosig(&srv->thread, stats_thread, srv);
	if (ret) {
		close(srv->stop_fd);
		goto fail;
	}
	*out = srv;
	return 0;
fail:
	free(srv);
	return ret;
}

void stats_server_stop(struct stats_server *srv)
{
	uint64_t one = 1;
	int ret;

	if (!srv)
		return;
	if (write(srv->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("stats stop: %s", strerror(errno));
	ret = pthread_join(srv->thread, NULL);
	if (ret)
		log_warn("stats thread join: %s", strerror(ret));
	if (close(srv->stop_fd) || close(srv->listen_fd))
		log_debug("stats close: %s", strerror(errno));
	free(srv);
}
