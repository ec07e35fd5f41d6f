/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "transport/vu_state.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/thread.h"

/* Bytes per read of a load, and the first size of its buffer. */
#define VU_XFER_CHUNK (64u * 1024u)

struct vu_xfer {
	pthread_t thread;
	int fd;			/* the front end's pipe end; the thread's */
	int cancel_fd;		/* eventfd: the vhost-user thread -> thread */
	bool load;
	uint8_t *buf;
	size_t len;		/* save: bytes to write; load: read so far */
	size_t max;		/* load: the bound */
	size_t cap;		/* load: the size of buf's mapping */
	bool joined;		/* the thread is gone */

	pthread_mutex_t lock;
	pthread_cond_t done_cond;	/* CLOCK_MONOTONIC */
	bool done;		/* protected by lock */
	int result;		/* protected by lock: 0 or -errno */
};

/* Wait until fd is ready for events, or the transfer is cancelled. */
static int vu_xfer_wait(struct vu_xfer *x, short events)
{
	struct pollfd pfd[2] = {
		{ .fd = x->fd, .events = events },
		{ .fd = x->cancel_fd, .events = POLLIN },
	};

	for (;;) {
		int n = poll(pfd, 2, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (pfd[1].revents)
			return -ECANCELED;
		/* POLLHUP with data left: the read sees it, then EOF. */
		if (pfd[0].revents)
			return 0;
	}
}

static int vu_xfer_write_all(struct vu_xfer *x)
{
	size_t done = 0;

	while (done < x->len) {
		ssize_t n = write(x->fd, x->buf + done, x->len - done);
		int ret;

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		ret = vu_xfer_wait(x, POLLOUT);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * A load's buffer is a mapping of its own: the up to 128 MiB a front end
 * sent go back to the kernel when it is freed, whatever an allocator does
 * with a freed block (ASan's quarantine keeps them all).
 */
static int vu_xfer_grow(struct vu_xfer *x)
{
	size_t want = x->cap ? x->cap * 2 : VU_XFER_CHUNK;
	void *p;

	/* One byte past max tells an over-long stream from a full one. */
	if (want > x->max + 1)
		want = x->max + 1;
	if (x->cap)
		p = mremap(x->buf, x->cap, want, MREMAP_MAYMOVE);
	else
		p = mmap(NULL, want, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	x->buf = p;
	x->cap = want;
	return 0;
}

static int vu_xfer_read_all(struct vu_xfer *x)
{
	for (;;) {
		ssize_t n;
		int ret;

		if (x->len == x->cap) {
			if (x->len > x->max)
				return -EMSGSIZE;
			ret = vu_xfer_grow(x);
			if (ret < 0)
				return ret;
		}
		n = read(x->fd, x->buf + x->len, x->cap - x->len);
		if (n > 0) {
			x->len += (size_t)n;
			if (x->len > x->max)
				return -EMSGSIZE;
			continue;
		}
		if (n == 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		ret = vu_xfer_wait(x, POLLIN);
		if (ret < 0)
			return ret;
	}
}

static void *vu_xfer_thread(void *arg)
{
	struct vu_xfer *x = arg;
	int ret = x->load ? vu_xfer_read_all(x) : vu_xfer_write_all(x);

	/* The front end's EOF (save), or no more bytes taken (load). */
	if (close(x->fd) < 0 && !ret)
		ret = -errno;
	x->fd = -1;
	pthread_mutex_lock(&x->lock);
	x->done = true;
	x->result = ret;
	pthread_cond_broadcast(&x->done_cond);
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

static void vu_xfer_free(struct vu_xfer *x)
{
	if (x->fd >= 0)
		close(x->fd);
	if (x->cancel_fd >= 0)
		close(x->cancel_fd);
	pthread_cond_destroy(&x->done_cond);
	pthread_mutex_destroy(&x->lock);
	if (!x->load)
		free(x->buf);
	else if (x->cap && munmap(x->buf, x->cap) < 0)
		log_warn("vhost-user: state buffer: munmap: %s",
			 strerror(errno));
	free(x);
}

static int vu_xfer_start(struct vu_xfer **out, struct vu_xfer *x, int fd)
{
	pthread_condattr_t ca;
	int ret, fl;

	x->fd = fd;
	x->cancel_fd = eventfd(0, EFD_CLOEXEC);
	pthread_mutex_init(&x->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->done_cond, &ca);
	pthread_condattr_destroy(&ca);
	fl = fcntl(fd, F_GETFL);
	if (x->cancel_fd < 0 || fl < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		ret = -errno;
		vu_xfer_free(x);
		return ret;
	}
	ret = thread_create_nosig(&x->thread, vu_xfer_thread, x);
	if (ret < 0) {
		vu_xfer_free(x);
		return ret;
	}
	*out = x;
	return 0;
}

int vu_xfer_save(struct vu_xfer **out, int fd, void *buf, size_t len)
{
	struct vu_xfer *x = calloc(1, sizeof(*x));

	if (!x) {
		close(fd);
		free(buf);
		return -ENOMEM;
	}
	x->buf = buf;
	x->len = len;
	return vu_xfer_start(out, x, fd);
}

int vu_xfer_load(struct vu_xfer **out, int fd, size_t max)
{
	struct vu_xfer *x = calloc(1, sizeof(*x));

	if (!x) {
		close(fd);
		return -ENOMEM;
	}
	x->load = true;
	x->max = max;
	return vu_xfer_start(out, x, fd);
}

static void vu_xfer_stop(struct vu_xfer *x)
{
	if (x->joined)
		return;
	x->joined = true;
	if (eventfd_write(x->cancel_fd, 1) < 0)
		log_warn("vhost-user: state transfer cancel: %s",
			 strerror(errno));
	pthread_join(x->thread, NULL);
}

int vu_xfer_finish(struct vu_xfer *x, int timeout_ms, const void **buf,
		   size_t *len)
{
	struct timespec until;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&x->lock);
	while (!x->done &&
	       pthread_cond_timedwait(&x->done_cond, &x->lock, &until) !=
		       ETIMEDOUT)
		;
	ret = x->done ? x->result : -ETIMEDOUT;
	pthread_mutex_unlock(&x->lock);
	vu_xfer_stop(x);
	if (!ret && x->load) {
		*buf = x->buf;
		*len = x->len;
	}
	return ret;
}

void vu_xfer_cancel(struct vu_xfer *x)
{
	if (!x)
		return;
	vu_xfer_stop(x);
	vu_xfer_free(x);
}
