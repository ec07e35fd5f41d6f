/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-fs over vhost-user: accepts the front end (QEMU) on a listening
 * socket and serves its queues until it disconnects.
 */
#ifndef VFSD_TRANSPORT_VIRTIO_FS_H
#define VFSD_TRANSPORT_VIRTIO_FS_H

#include <stdbool.h>

#include "fuse/req.h"

struct virtio_fs_opts {
	/* Worker threads per request queue; 0 = handle in the queue thread. */
	unsigned int thread_pool_size;
	/* --tag: advertised in the config space (GET_CONFIG), or NULL */
	const char *tag;
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
