/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stop of a virtio-fs queue thread (transport/virtio_fs.c), and its
 * bound. Requests that wait for the guest (lock waits) give up at once
 * (fuse_req.cancelled); a request still running VSRV_STOP_GRACE_MS later
 * has its thread woken with THREAD_WAKE_SIGNAL every VSRV_WAKE_MS, so a
 * blocking system call returns EINTR; and once the front end is gone,
 * requests still running VSRV_GONE_DEADLINE_MS later (an uninterruptible
 * wait: a hung network or FUSE filesystem in the share) are abandoned: the
 * serving loop returns VIRTIO_FS_ABANDONED and the process exits without
 * them. While the front end is there (GET_VRING_BASE of a VM that pauses)
 * the stop waits as long as the requests take: a slow fsync that cannot be
 * interrupted is no reason to take the device away from a guest.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "transport/virtio_fs_int.h"
#include "util/compiler.h"
#include "util/log.h"
#include "util/thread.h"

#define VSRV_STOP_GRACE_MS 100
#define VSRV_WAKE_MS 100
#define VSRV_GONE_DEADLINE_MS 2000

/* Wait on qt->idle (q->lock held) for ms milliseconds at most. */
static void vsrv_idle_wait_ms(struct vsrv_qthread *qt, struct vu_queue *q,
			     uint64_t ms)
{
	uint64_t until = thread_now_ms() + ms;
	struct timespec ts = {
		.tv_sec = (time_t)(until / 1000),
		.tv_nsec = (long)(until % 1000) * 1000000,
	};

	(void)pthread_cond_timedwait(&qt->idle, &q->lock, &ts);
}

/* Under q->lock: interrupt the system call of every running request. */
static void vsrv_wake_running(struct vsrv_qthread *qt)
{
	for (struct vsrv_work *w = qt->all; w != NULL; w = w->all_next)
		if (atomic_load_explicit(&w->running, memory_order_acquire))
			thread_wake(w->runner);
}

/* Whether the front end hung up (checked while a stop waits). */
static bool vsrv_front_end_gone(struct vsrv_server *srv)
{
	struct pollfd pfd = { .fd = srv->sock, .events = POLLRDHUP };

	if (!srv->gone && poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		srv->gone = true;
	return srv->gone;
}

/*
 * Wait for the queue thread to finish its requests, waking those that
 * outlast the grace. False if the front end is gone and they still ran
 * VSRV_GONE_DEADLINE_MS later.
 */
static bool vsrv_queue_drain(struct vsrv_server *srv, struct vsrv_qthread *qt)
{
	struct vu_queue *q = &srv->dev.q[qt->idx];
	uint64_t start = thread_now_ms(), gone_at = 0;
	bool exited;

	pthread_mutex_lock(&q->lock);
	/* A queue thread waiting for room must see the stop too. */
	pthread_cond_broadcast(&qt->idle);
	while (!qt->exited) {
		uint64_t now = thread_now_ms();

		if (!gone_at && vsrv_front_end_gone(srv))
			gone_at = now;
		if (gone_at && now - gone_at >= VSRV_GONE_DEADLINE_MS)
			break;
		if (now - start >= VSRV_STOP_GRACE_MS)
			vsrv_wake_running(qt);
		vsrv_idle_wait_ms(qt, q, VSRV_WAKE_MS);
	}
	exited = qt->exited;
	pthread_mutex_unlock(&q->lock);
	return exited;
}

int vsrv_queue_stop(struct vu_dev *dev, unsigned int idx)
{
	struct vsrv_server *srv = container_of(dev, struct vsrv_server, dev);
	struct vsrv_qthread *qt = &srv->qt[idx];

	atomic_store_explicit(&qt->stopping, true, memory_order_release);
	/*
	 * The queue thread waits for every request in flight; one waiting for
	 * a guest lock would hold the stop, and so the disconnect, forever.
	 */
	atomic_store_explicit(&qt->cancelled, true, memory_order_release);
	if (eventfd_write(qt->stop_fd, 1) < 0)
		log_err("virtqueue %u: stop: %s", idx, strerror(errno));
	if (!vsrv_queue_drain(srv, qt)) {
		log_err("virtqueue %u: requests still in a system call %d ms "
			"after the front end left; giving up on them", idx,
			VSRV_GONE_DEADLINE_MS);
		return -EBUSY;
	}
	pthread_join(qt->thread, NULL);
	if (close(qt->stop_fd) < 0)
		log_warn("close: %s", strerror(errno));
	qt->stop_fd = -1;
	log_debug("virtqueue %u stopped", idx);
	return 0;
}
