/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FUSE over io_uring (Linux 6.14+, with /sys/module/fuse/parameters/
 * enable_uring set): the kernel hands each request to a ring entry of the
 * queue of the CPU its caller runs on, and takes the reply with the next
 * fetch, one io_uring_enter() per request instead of a read() and a
 * write(). /dev/fuse still carries INIT, FORGET and INTERRUPT.
 *
 * The rings are made before the process confines itself: each may only
 * issue IORING_OP_URING_CMD on its one registered file, the /dev/fuse fd
 * (IORING_REGISTER_RESTRICTIONS), so the seccomp filter needs to allow
 * io_uring_enter() alone, and a ring cannot open, read or write anything
 * else.
 *
 * One thread per queue; an entry's header and payload buffers are its own.
 */
#ifndef VFSD_TRANSPORT_DEVFUSE_URING_H
#define VFSD_TRANSPORT_DEVFUSE_URING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuse/req.h"

struct devfuse_uring;

/** Whether the kernel lets FUSE use io_uring now (the module parameter). */
bool devfuse_uring_enabled(void);

/**
 * Make the rings for device fd devfd, one per possible CPU, for requests of
 * up to max_write bytes of data, into *out. 0, or -errno (*out NULL) where
 * io_uring or FUSE's use of it is unavailable: the caller serves over
 * /dev/fuse alone.
 */
int devfuse_uring_prepare(struct devfuse_uring **out, int devfd,
			  size_t max_write);

/**
 * After an INIT reply that agreed FUSE_OVER_IO_URING: register every entry
 * and start the queue threads, which serve until the connection ends. An
 * idle thread polls its completion ring up to poll_max_ns (self-tuned as
 * the virtio queue threads do; 0: never) before it sleeps.
 * Returns 0 or -errno.
 */
int devfuse_uring_start(struct devfuse_uring *u, fuse_req_handler handler,
			void *session, uint64_t poll_max_ns);

/**
 * The connection has ended: tell the queue threads to stop and join them,
 * until deadline_ms (thread_now_ms() time). 0 when all were joined,
 * -ETIMEDOUT when one is stuck in the kernel (then u must not be freed).
 * u may be NULL.
 */
int devfuse_uring_stop(struct devfuse_uring *u, uint64_t deadline_ms);

/** Join the queue threads devfuse_uring_stop() did not, and free all. */
void devfuse_uring_free(struct devfuse_uring *u);

#endif
