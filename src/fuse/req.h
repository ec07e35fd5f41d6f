/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one type shared by the transports and the FUSE session.
 *
 * A transport (virtio-fs queue or /dev/fuse) turns whatever it received into
 * two iovec arrays of host-virtual addresses: the bytes of the request and
 * the room for the reply. The session reads the first only through
 * fuse/reader.h and writes the second only through fuse/writer.h, so neither
 * can be over-run, whatever lengths the guest put in its headers.
 *
 * For virtio-fs both arrays point into guest memory that the guest can change
 * at any time: the session copies every header out before looking at it and
 * leaves only READ/WRITE payloads in place.
 */
#ifndef VFSD_FUSE_REQ_H
#define VFSD_FUSE_REQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/*
 * How a transport that serves one connection from several threads lets a
 * request wait for the requests it received before it. The kernel sends
 * some requests without waiting for their answers (RELEASE, which ends a
 * flock) and the next ones from another CPU, whose queue another thread
 * may serve first: a request whose answer depends on an earlier one
 * having been handled asks for them here (transport/drain.h).
 */
struct req_order {
	/*
	 * Wait, at most timeout_ns, until every request the transport had
	 * received before this one has been handled; true if they were. It
	 * does not wait for requests that are waiting themselves (parked).
	 */
	bool (*wait_earlier)(const struct req_order *o, uint64_t timeout_ns);
	/*
	 * This request waits for something another request may end (a lock):
	 * wait_earlier() of other requests does not wait for it meanwhile.
	 */
	void (*park)(const struct req_order *o, bool parked);
};

struct fuse_req {
	/* Device-readable buffers: the request, header first. */
	const struct iovec *in;
	unsigned int in_cnt;
	/* Device-writable buffers: room for the reply, header first. */
	const struct iovec *out;
	unsigned int out_cnt;

	/* Set by the session: bytes written into out, 0 when nothing is sent. */
	size_t reply_len;
	bool reply_sent;

	/* Which virtqueue the request came from (0 = hiprio); 1 for /dev/fuse. */
	unsigned int queue;

	/*
	 * NULL, or set by the transport to a flag that turns true when the
	 * queue stops (the front end went away or reset the device): a
	 * request that waits for something only the guest can end, such as
	 * a lock another of its processes holds, gives up then, because the
	 * stop waits for every request in flight.
	 */
	const atomic_bool *cancelled;

	/* NULL, or the transport's struct req_order for this request. */
	const struct req_order *order;
};

/*
 * Transport-facing entry point: process one request synchronously, write the
 * reply (if the opcode has one) into req->out and set req->reply_len. Never
 * fails: a malformed request gets an error reply or, if it has no room for
 * one, no reply at all.
 */
typedef void (*fuse_req_handler)(void *session, struct fuse_req *req);

#endif
