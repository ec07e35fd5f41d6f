/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-fs over vhost-user: accepts the front end (QEMU) on a listening
 * socket and serves its queues until it disconnects.
 */
#ifndef VFSD_TRANSPORT_VIRTIO_FS_H
#define VFSD_TRANSPORT_VIRTIO_FS_H

#include <stdbool.h>

#include "fuse/req.h"
#include "transport/vu_state.h"

struct virtio_fs_opts {
	/*
	 * Worker threads, one pool for all request queues; 0 = every request
	 * is handled in its queue thread.
	 */
	unsigned int thread_pool_size;
	/*
	 * NULL: with a pool, every request goes to it. Else the queue thread
	 * serves a request itself unless may_block(session, req) says it can
	 * wait long (fsync, a lock wait, large I/O): that one goes to the
	 * pool, so nothing quick waits behind it.
	 */
	bool (*may_block)(void *session, const struct fuse_req *req);
	/* Longest poll of an empty ring before sleeping (ns); 0 = never. */
	uint64_t poll_max_ns;
	/* --tag: advertised in the config space (GET_CONFIG), or NULL */
	const char *tag;
	/* The device state a migration carries (vu_state.h), or NULL. */
	const struct vu_state_ops *state;
};

/**
 * Create, bind and listen on a unix socket at path: a stale socket file is
 * unlinked first, the socket is made mode 0600 and, if group is not NULL,
 * chgrp'ed to it (mode 0660). Returns the fd or -errno; logs the reason.
 */
int virtio_fs_listen(const char *path, const char *group);

/* virtio_fs_serve(): requests were left running, see there. */
#define VIRTIO_FS_ABANDONED 1

/**
 * Accept one front end on listen_fd and serve it until it disconnects.
 * Every request is handed to handler(session, req). Returns 0 on a clean
 * disconnect, -errno on a setup failure, or VIRTIO_FS_ABANDONED when the
 * front end is gone and requests were still stuck in a system call after
 * the stop's deadline: their threads still run the handler, so the caller
 * must not free the session and should end the process (_exit) at once.
 */
int virtio_fs_serve(int listen_fd, const struct virtio_fs_opts *opts,
		    fuse_req_handler handler, void *session);

#endif
