/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The virtio-fs server's own types (virtio_fs.c), shared with its queue
 * stop (virtio_fs_stop.c) and with no other file.
 */
#ifndef VFSD_TRANSPORT_VIRTIO_FS_INT_H
#define VFSD_TRANSPORT_VIRTIO_FS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "transport/poll_window.h"
#include "transport/virtio_fs.h"
#include "transport/virtq.h"
#include "transport/vu_dev.h"

struct vsrv_server;

/* One request between pop and push. */
struct vsrv_work {
	struct vsrv_work *next;		/* pool queue or free list link */
	struct vsrv_work *all_next;	/* vsrv_qthread.all; protected by vu_queue.lock */
	/*
	 * Set (runner first) by the thread that runs the handler, cleared
	 * under vu_queue.lock when it completes: the stop wakes runner while
	 * it holds that lock and sees running, so the signal cannot reach a
	 * request of another queue the thread moved on to.
	 */
	atomic_bool running;
	pthread_t runner;
	unsigned int queue;
	uint16_t head;
	struct fuse_req req;
	struct iovec iov[VQ_MAX_IOV];
};

struct vsrv_qthread {
	struct vsrv_server *srv;
	unsigned int idx;
	pthread_t thread;
	int stop_fd;			/* eventfd: socket thread -> queue */
	atomic_bool stopping;		/* set before stop_fd fires */
	/* Set at stop: requests in flight stop waiting (fuse_req.cancelled). */
	atomic_bool cancelled;
	unsigned int inflight;		/* protected by vu_queue.lock */
	bool throttled;			/* protected by vu_queue.lock */
	struct vsrv_work *free_list;	/* protected by vu_queue.lock */
	/* Every work item of this queue, free or not: what the stop wakes. */
	struct vsrv_work *all;		/* protected by vu_queue.lock */
	bool exited;			/* protected by vu_queue.lock */
	bool rescue_logged;		/* queue thread only */
	struct poll_window pw;		/* queue thread only */
	pthread_cond_t idle;		/* CLOCK_MONOTONIC; under vu_queue.lock */
};

struct vsrv_pool {
	/* Protects head, tail and stopping. A leaf lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct vsrv_work *head;
	struct vsrv_work *tail;
	bool stopping;
	unsigned int nthreads;		/* started workers */
	pthread_t *threads;
};

struct vsrv_server {
	struct vu_dev dev;
	struct vsrv_qthread qt[VU_MAX_QUEUES];
	struct vsrv_pool pool;
	bool use_pool;
	bool (*may_block)(void *session, const struct fuse_req *req);
	uint64_t poll_max_ns;
	fuse_req_handler handler;
	void *session;
	int sock;			/* the front end's connection */
	bool gone;			/* socket thread only: sock hung up */
};

/**
 * vu_dev_ops.queue_stop: stop queue idx's thread within the bound of
 * virtio_fs_stop.c. 0, or -EBUSY when requests still ran after the front
 * end had gone (the serving loop then gives up on them).
 */
int vsrv_queue_stop(struct vu_dev *dev, unsigned int idx);

#endif
