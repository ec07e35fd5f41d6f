/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The back end's state through the fd of SET_DEVICE_STATE_FD
 * (VHOST_USER_PROTOCOL_F_DEVICE_STATE): written to it on the source,
 * read from it on the destination, until EOF.
 *
 * The bytes move in a thread of their own, never in the vhost-user
 * thread: the front end reads (or writes) the pipe only after the reply to
 * SET_DEVICE_STATE_FD, and sends CHECK_DEVICE_STATE only after EOF, so
 * the socket must stay free meanwhile. The thread polls the fd and a
 * cancel eventfd, with the fd non-blocking, so it can always be stopped:
 * CHECK_DEVICE_STATE waits for it a bounded time, a disconnect at once.
 * A load reads at most STATE_MAX_SIZE bytes; a stream that goes on is
 * refused and its fd closed.
 */
#ifndef VFSD_TRANSPORT_VU_STATE_H
#define VFSD_TRANSPORT_VU_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/wire.h"

/** What the device state is made of, given by the daemon's owner. */
struct vu_state_ops {
	/** The whole state into b. 0 or -errno (-EBUSY: not now). */
	int (*save)(void *ctx, struct wbuf *b);
	/** Take over len bytes of state. 0 or -errno (reason logged). */
	int (*load)(void *ctx, const void *buf, size_t len);
	void *ctx;
};

struct vu_xfer;

/**
 * Write the len bytes of buf (taken over, free()d at the end) to fd
 * (taken over, closed at the end, which is the front end's EOF).
 */
int vu_xfer_save(struct vu_xfer **out, int fd, void *buf, size_t len);

/** Read fd (taken over) until EOF, at most max bytes. */
int vu_xfer_load(struct vu_xfer **out, int fd, size_t max);

/**
 * Wait up to timeout_ms for the transfer to end; cancelled if it has not.
 * 0 when every byte went through: then a load's bytes are in *buf and
 * *len, x's until vu_xfer_cancel(x). -ETIMEDOUT, -EMSGSIZE (a load past
 * max), -errno of the I/O. x is the caller's to vu_xfer_cancel() in every
 * case.
 */
int vu_xfer_finish(struct vu_xfer *x, int timeout_ms, const void **buf,
		   size_t *len);

/** Stop the transfer (if it still runs) and free it (NULL is fine). */
void vu_xfer_cancel(struct vu_xfer *x);

#endif
