/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-fs over vhost-user: the serving loop and its threads.
 *
 * Threads:
 * - The caller's thread runs the vhost-user socket (vu_recv -> vu_dev ->
 *   vu_send). It alone configures queues, starts and stops queue threads and
 *   replaces guest memory, the last only while every queue thread is stopped.
 * - Each started virtqueue has one queue thread. It poll()s the kick eventfd
 *   and its own stop eventfd (and, idle for a second, looks for a kick or
 *   an interrupt the driver lost: vsrv_rescue), pops every available chain
 *   and turns it into a struct fuse_req whose iovecs point into guest
 *   memory (nothing of the FUSE message is copied here). Queue 0 (hiprio: FORGET, BATCH_FORGET,
 *   INTERRUPT) is always handled in its queue thread.
 * - With thread_pool_size > 0, request queues hand their requests to one
 *   pool of that many worker threads, shared by all queues: all of them,
 *   or with opts->may_block only those that may block (the queue thread
 *   serves the rest itself). Without a pool the queue thread calls the
 *   handler itself.
 * - A queue thread whose ring went empty watches it for a while before it
 *   sleeps (poll_window.h), with the driver's kicks suppressed meanwhile;
 *   it re-arms them and looks once more before poll().
 * Whoever ran the handler completes the request: vq_push() and vq_notify()
 * under the queue's vu_queue.lock, then drops the queue's in-flight count
 * and puts the work item on the queue's free list. A queue never has more
 * requests in flight than its size (a driver re-offering busy heads makes
 * the queue thread wait), so its memory use is bounded too.
 * A queue thread told to stop pops nothing more, waits until its in-flight
 * count is zero, and exits; so after queue_stop() no thread touches the
 * ring or the guest memory behind that queue.
 *
 * The stop is bounded: transport/virtio_fs_stop.c.
 *
 * Lock order: vu_queue.lock and vsrv_pool.lock are leaves; neither is held
 * while taking the other, and no lock is held while a handler runs.
 *
 * Names: vsrv_ is this server's own prefix (vfs_ is the filesystem's
 * contract, fs/vfs_ops.h); the public calls are virtio_fs_*().
 */
#include "transport/virtio_fs.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "transport/poll_window.h"
#include "transport/virtio_fs_int.h"
#include "transport/vu_conn.h"
#include "transport/vu_dev.h"
#include "util/compiler.h"
#include "util/log.h"
#include "util/thread.h"

int virtio_fs_listen(const char *path, const char *group)
{
	return vu_listen(path, group);
}

/*
 * Push the reply of w, recycle w, and wake the queue thread if it waits for
 * room (throttled) or for the last request (stopping).
 */
static void vsrv_complete(struct vsrv_server *srv, struct vsrv_work *w)
{
	struct vu_queue *q = &srv->dev.q[w->queue];
	struct vsrv_qthread *qt = &srv->qt[w->queue];
	size_t room = 0;
	uint32_t len;

	for (unsigned int i = 0; i < w->req.out_cnt; i++)
		room += w->req.out[i].iov_len;
	len = (uint32_t)(w->req.reply_len <= room ? w->req.reply_len : room);
	if (w->req.reply_len > room)
		log_err("virtqueue %u: reply of %zu bytes exceeds %zu",
			w->queue, w->req.reply_len, room);

	pthread_mutex_lock(&q->lock);
	atomic_store_explicit(&w->running, false, memory_order_relaxed);
	vq_push(&q->vq, w->head, len);
	vu_dev_log_done(&srv->dev, q, w->req.out, w->req.out_cnt);
	vq_notify(&q->vq);
	w->next = qt->free_list;
	qt->free_list = w;
	if (--qt->inflight == 0 || qt->throttled)
		pthread_cond_broadcast(&qt->idle);
	pthread_mutex_unlock(&q->lock);
}

static void vsrv_run(struct vsrv_server *srv, struct vsrv_work *w)
{
	w->runner = pthread_self();
	atomic_store_explicit(&w->running, true, memory_order_release);
	srv->handler(srv->session, &w->req);
	vsrv_complete(srv, w);
}

static void *vsrv_worker(void *arg)
{
	struct vsrv_server *srv = arg;
	struct vsrv_pool *p = &srv->pool;
	struct vsrv_work *w;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		w = p->head;
		if (w != NULL) {
			p->head = w->next;
			if (p->head == NULL)
				p->tail = NULL;
		}
		pthread_mutex_unlock(&p->lock);
		if (w == NULL)
			return NULL;
		vsrv_run(srv, w);
	}
}

static void vsrv_pool_submit(struct vsrv_pool *p, struct vsrv_work *w)
{
	w->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail != NULL)
		p->tail->next = w;
	else
		p->head = w;
	p->tail = w;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void vsrv_pool_stop(struct vsrv_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	p->threads = NULL;
	p->nthreads = 0;
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

static int vsrv_pool_start(struct vsrv_server *srv, unsigned int n)
{
	struct vsrv_pool *p = &srv->pool;
	int ret;

	memset(p, 0, sizeof(*p));
	if (pthread_mutex_init(&p->lock, NULL) != 0)
		return -ENOMEM;
	if (pthread_cond_init(&p->cond, NULL) != 0) {
		pthread_mutex_destroy(&p->lock);
		return -ENOMEM;
	}
	p->threads = calloc(n, sizeof(*p->threads));
	if (p->threads == NULL) {
		vsrv_pool_stop(p);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++) {
		ret = thread_create_nosig(&p->threads[i], vsrv_worker, srv);
		if (ret < 0) {
			log_err("thread pool: %s", strerror(-ret));
			vsrv_pool_stop(p);
			return ret;
		}
		p->nthreads++;
	}
	return 0;
}

static bool vsrv_stopping(struct vsrv_qthread *qt)
{
	return atomic_load_explicit(&qt->stopping, memory_order_acquire);
}

/*
 * Pop one chain into w and hand it on. Returns 1 if a chain was taken,
 * 0 if the ring is empty, -EIO if the queue is broken.
 */
static int vsrv_take_one(struct vsrv_qthread *qt, struct vsrv_work *w,
			bool pooled)
{
	struct vsrv_server *srv = qt->srv;
	struct vu_queue *q = &srv->dev.q[qt->idx];
	struct vq_chain c = { .iov = w->iov, .iov_cap = VQ_MAX_IOV };
	int ret;

	ret = vq_pop(&q->vq, &c);
	if (ret <= 0)
		return ret;
	w->queue = qt->idx;
	w->head = c.head;
	/*
	 * The one place the directions turn: the spec's "out" (device-readable)
	 * buffers hold FUSE's in (the request), its "in" (device-writable) ones
	 * FUSE's out (the reply).
	 */
	w->req = (struct fuse_req){
		.in = w->iov,
		.in_cnt = c.out_cnt,
		.out = w->iov + c.out_cnt,
		.out_cnt = c.in_cnt,
		.queue = qt->idx,
		.cancelled = &qt->cancelled,
	};
	pthread_mutex_lock(&q->lock);
	qt->inflight++;
	pthread_mutex_unlock(&q->lock);
	if (pooled && (srv->may_block == NULL ||
		       srv->may_block(srv->session, &w->req)))
		vsrv_pool_submit(&srv->pool, w);
	else
		vsrv_run(srv, w);
	return 1;
}

/*
 * A work item for the next chain. A driver may not have more chains in
 * flight than the queue has descriptors; one that re-offers heads still in
 * flight waits here instead of growing our memory without bound.
 */
static struct vsrv_work *vsrv_get_work(struct vsrv_qthread *qt)
{
	struct vu_queue *q = &qt->srv->dev.q[qt->idx];
	struct vsrv_work *w;

	pthread_mutex_lock(&q->lock);
	while (qt->inflight >= q->vq.num && !vsrv_stopping(qt)) {
		qt->throttled = true;
		pthread_cond_wait(&qt->idle, &q->lock);
	}
	qt->throttled = false;
	w = qt->free_list;
	if (w != NULL)
		qt->free_list = w->next;
	pthread_mutex_unlock(&q->lock);
	if (w != NULL)
		return w;
	w = malloc(sizeof(*w));
	if (w == NULL)
		return NULL;
	atomic_init(&w->running, false);
	pthread_mutex_lock(&q->lock);
	w->all_next = qt->all;
	qt->all = w;
	pthread_mutex_unlock(&q->lock);
	return w;
}

static void vsrv_put_work(struct vsrv_qthread *qt, struct vsrv_work *w)
{
	struct vu_queue *q = &qt->srv->dev.q[qt->idx];

	pthread_mutex_lock(&q->lock);
	w->next = qt->free_list;
	qt->free_list = w;
	pthread_mutex_unlock(&q->lock);
}

/* Serve until the ring is empty (notifications are not re-armed here). */
static int vsrv_drain(struct vsrv_qthread *qt, bool pooled)
{
	struct vsrv_work *w;
	int ret;

	while (!vsrv_stopping(qt)) {
		w = vsrv_get_work(qt);
		/* Told to stop while waiting for room: pop nothing more. */
		if (w != NULL && vsrv_stopping(qt)) {
			vsrv_put_work(qt, w);
			return 0;
		}
		if (w == NULL) {
			/* Left in the ring; the next kick retries. */
			log_err("virtqueue %u: out of memory", qt->idx);
			return 0;
		}
		ret = vsrv_take_one(qt, w, pooled);
		if (ret == 1)
			continue;
		vsrv_put_work(qt, w);
		return ret < 0 ? -EIO : 0;
	}
	return 0;
}

/* For pw_poll(): a chain came (1), or the queue stops (-1). */
static int vsrv_ring_ready(void *arg)
{
	struct vsrv_qthread *qt = arg;

	if (vq_has_avail(&qt->srv->dev.q[qt->idx].vq))
		return 1;
	return vsrv_stopping(qt) ? -1 : 0;
}

/*
 * The ring went empty at empty_ns: watch it for the poll window with kicks
 * suppressed. True if a chain came.
 */
static bool vsrv_poll_ring(struct vsrv_qthread *qt, uint64_t empty_ns,
			  bool *preempted)
{
	uint64_t win = pw_window(&qt->pw);

	*preempted = false;
	if (win == 0)
		return false;
	vq_suppress_notify(&qt->srv->dev.q[qt->idx].vq);
	return pw_poll(win, empty_ns, vsrv_ring_ready, qt, preempted);
}

/*
 * An idle queue thread looks at its ring this often for a lost kick or a
 * lost interrupt (vq_has_avail, vq_renotify): rare enough to cost nothing,
 * soon enough that a guest which lost one stalls for a second, not forever.
 */
#define VSRV_RESCUE_MS 1000

/* After a quiet VSRV_RESCUE_MS: true if chains wait that no kick announced. */
static bool vsrv_rescue(struct vsrv_qthread *qt)
{
	struct vu_queue *q = &qt->srv->dev.q[qt->idx];
	bool kick_lost, call_lost;

	/* Guest memory vanished: the pop stops the queue. */
	if (gm_vanished(&qt->srv->dev.mem))
		return true;
	kick_lost = vq_has_avail(&q->vq);
	pthread_mutex_lock(&q->lock);
	call_lost = vq_renotify(&q->vq);
	pthread_mutex_unlock(&q->lock);
	if ((kick_lost || call_lost) && !qt->rescue_logged) {
		qt->rescue_logged = true;
		log_warn("virtqueue %u: the driver missed %s, served anyway "
			 "(a guest without memory barriers?); logged once",
			 qt->idx, kick_lost && call_lost ?
			 "a kick and an interrupt" : kick_lost ? "a kick" :
			 "an interrupt");
	}
	return kick_lost;
}

/* Wait for a kick or a stop; false when the thread should end. */
static bool vsrv_wait_kick(struct vsrv_qthread *qt, int kick_fd)
{
	struct pollfd pfd[2] = {
		{ .fd = kick_fd, .events = POLLIN },
		{ .fd = qt->stop_fd, .events = POLLIN },
	};
	eventfd_t v;
	int n;

	for (;;) {
		n = poll(pfd, 2, VSRV_RESCUE_MS);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("virtqueue %u: poll: %s", qt->idx,
				strerror(errno));
			return false;
		}
		if (n == 0) {
			if (vsrv_stopping(qt))
				return false;
			if (vsrv_rescue(qt))
				return true;
			continue;
		}
		if (pfd[1].revents || vsrv_stopping(qt))
			return false;
		if (pfd[0].revents & POLLIN) {
			/* Readable, so this does not block. */
			if (eventfd_read(kick_fd, &v) < 0 && errno != EAGAIN)
				log_warn("virtqueue %u: kick: %s", qt->idx,
					 strerror(errno));
			return true;
		}
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			log_err("virtqueue %u: kick fd failed", qt->idx);
			return false;
		}
	}
}

/*
 * Tell the front end (SET_VRING_ERR) that this ring stopped for good, and
 * log (once) if its guest memory vanishing is why.
 */
static void vsrv_report_broken(struct vsrv_server *srv, struct vu_queue *q)
{
	gm_report_vanished(&srv->dev.mem);
	pthread_mutex_lock(&q->lock);
	if (q->err_fd >= 0 && eventfd_write(q->err_fd, 1) < 0)
		log_warn("virtqueue %u: error eventfd: %s", q->vq.index,
			 strerror(errno));
	pthread_mutex_unlock(&q->lock);
}

static void *vsrv_queue_thread(void *arg)
{
	struct vsrv_qthread *qt = arg;
	struct vsrv_server *srv = qt->srv;
	struct vu_queue *q = &srv->dev.q[qt->idx];
	/* kick_fd does not change while this thread runs. */
	int kick_fd = q->kick_fd;
	bool pooled = srv->use_pool && qt->idx != 0;
	bool polling = srv->poll_max_ns > 0 && qt->idx != 0;
	bool preempted = false;
	uint64_t empty_ns = 0;
	struct vsrv_work *w;

	/* A kick may have come before we were started: look once first. */
	for (;;) {
		if (vsrv_drain(qt, pooled) < 0) {
			vsrv_report_broken(srv, q);
			break;
		}
		if (vsrv_stopping(qt))
			break;
		if (polling) {
			empty_ns = pw_now();
			if (vsrv_poll_ring(qt, empty_ns, &preempted)) {
				pw_record(&qt->pw, pw_now() - empty_ns,
					  false);
				continue;
			}
		}
		/* Re-arm, then look once more: a chain may have slipped in. */
		if (vq_arm_notify(&q->vq))
			continue;
		if (!vsrv_wait_kick(qt, kick_fd))
			break;
		if (polling)
			pw_record(&qt->pw, pw_now() - empty_ns, preempted);
	}
	/* A restarted ring must not find kicks still suppressed. */
	(void)vq_arm_notify(&q->vq);

	pthread_mutex_lock(&q->lock);
	while (qt->inflight > 0)
		pthread_cond_wait(&qt->idle, &q->lock);
	/* The stop looks at the work items only until it sees this. */
	qt->exited = true;
	pthread_cond_broadcast(&qt->idle);
	w = qt->all;
	qt->all = NULL;
	qt->free_list = NULL;
	pthread_mutex_unlock(&q->lock);
	while (w != NULL) {
		struct vsrv_work *next = w->all_next;

		free(w);
		w = next;
	}
	return NULL;
}

static int vsrv_queue_start(struct vu_dev *dev, unsigned int idx)
{
	struct vsrv_server *srv = container_of(dev, struct vsrv_server, dev);
	struct vsrv_qthread *qt = &srv->qt[idx];
	int ret;

	qt->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (qt->stop_fd < 0)
		return -errno;
	/* Relaxed: pthread_create() below orders them before the thread. */
	atomic_store_explicit(&qt->stopping, false, memory_order_relaxed);
	atomic_store_explicit(&qt->cancelled, false, memory_order_relaxed);
	qt->inflight = 0;
	qt->throttled = false;
	qt->free_list = NULL;
	qt->all = NULL;
	qt->exited = false;
	qt->rescue_logged = false;
	pw_init(&qt->pw, srv->poll_max_ns);
	ret = thread_create_nosig(&qt->thread, vsrv_queue_thread, qt);
	if (ret < 0) {
		if (close(qt->stop_fd) < 0)
			log_warn("close: %s", strerror(errno));
		qt->stop_fd = -1;
		return ret;
	}
	log_debug("virtqueue %u started", idx);
	return 0;
}

static const struct vu_dev_ops vsrv_dev_ops = {
	.queue_start = vsrv_queue_start,
	.queue_stop = vsrv_queue_stop,
};

static int vsrv_server_init(struct vsrv_server *srv,
			   const struct virtio_fs_opts *opts,
			   fuse_req_handler handler, void *session)
{
	pthread_condattr_t ca;
	int ret;

	srv->handler = handler;
	srv->session = session;
	if (opts) {
		srv->may_block = opts->may_block;
		srv->poll_max_ns = opts->poll_max_ns;
	}
	ret = pthread_condattr_init(&ca);
	if (ret != 0)
		return -ret;
	/* Stop deadlines must not move with the wall clock. */
	ret = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (unsigned int i = 0; ret == 0 && i < VU_MAX_QUEUES; i++) {
		srv->qt[i].srv = srv;
		srv->qt[i].idx = i;
		srv->qt[i].stop_fd = -1;
		ret = pthread_cond_init(&srv->qt[i].idle, &ca);
		if (ret != 0) {
			while (i-- > 0)
				pthread_cond_destroy(&srv->qt[i].idle);
		}
	}
	pthread_condattr_destroy(&ca);
	if (ret != 0)
		return -ret;
	ret = vu_dev_init(&srv->dev, &vsrv_dev_ops);
	if (ret == 0 && opts && opts->tag)
		vu_dev_set_tag(&srv->dev, opts->tag);
	if (ret == 0 && opts && opts->state)
		vu_dev_set_state(&srv->dev, opts->state);
	if (ret == 0 && opts && opts->thread_pool_size > 0) {
		ret = vsrv_pool_start(srv, opts->thread_pool_size);
		if (ret < 0)
			vu_dev_cleanup(&srv->dev);
		else
			srv->use_pool = true;
	}
	if (ret < 0) {
		for (unsigned int i = 0; i < VU_MAX_QUEUES; i++)
			pthread_cond_destroy(&srv->qt[i].idle);
	}
	return ret;
}

static void vsrv_server_cleanup(struct vsrv_server *srv)
{
	/* Queue threads first: they feed the pool. */
	vu_dev_cleanup(&srv->dev);
	if (srv->dev.abandoned)
		return;
	if (srv->use_pool)
		vsrv_pool_stop(&srv->pool);
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++)
		pthread_cond_destroy(&srv->qt[i].idle);
}

/* The socket loop: returns when the front end is gone or misbehaved. */
static void vsrv_socket_loop(struct vsrv_server *srv, int fd)
{
	struct vu_msg *msg = malloc(sizeof(*msg));
	bool reply;
	int ret;

	if (msg == NULL) {
		log_err("vhost-user: out of memory");
		return;
	}
	while (vu_recv(fd, msg) == 1) {
		ret = vu_dev_process(&srv->dev, msg, &reply);
		vu_msg_close_fds(msg);
		if (ret < 0)
			break;
		if (reply) {
			ret = vu_send(fd, msg);
			if (ret < 0) {
				log_err("vhost-user: send: %s", strerror(-ret));
				break;
			}
		}
	}
	free(msg);
}

int virtio_fs_serve(int listen_fd, const struct virtio_fs_opts *opts,
		    fuse_req_handler handler, void *session)
{
	struct vsrv_server *srv;
	int fd, ret;

	ret = thread_wake_init();
	if (ret < 0)
		return ret;
	fd = vu_accept(listen_fd);
	if (fd < 0)
		return fd;
	log_info("vhost-user front end connected");
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		ret = -ENOMEM;
		goto out_close;
	}
	ret = vsrv_server_init(srv, opts, handler, session);
	if (ret < 0) {
		log_err("virtio-fs: setup: %s", strerror(-ret));
		free(srv);
		goto out_close;
	}
	srv->sock = fd;
	vsrv_socket_loop(srv, fd);
	srv->gone = true;
	vsrv_server_cleanup(srv);
	if (srv->dev.abandoned) {
		/* Stuck threads still point into srv: leave it to the exit. */
		ret = VIRTIO_FS_ABANDONED;
		goto out_close;
	}
	free(srv);
out_close:
	if (close(fd) < 0)
		log_warn("close: %s", strerror(errno));
	return ret;
}
