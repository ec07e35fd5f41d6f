/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vhost-user device state machine: one vu_<msg>_exec() per request
 * (features, memory table, vring setup and start/stop), driven by the
 * socket thread. Queue threads are started and stopped through
 * struct vu_dev_ops, so this file never creates a thread itself.
 *
 * Start rule (vhost-user spec, "Starting and stopping rings"): a ring runs
 * once it has a size, addresses, a kick fd and guest memory, and is enabled;
 * rings are enabled from the start unless VHOST_USER_F_PROTOCOL_FEATURES was
 * negotiated, in which case SET_VRING_ENABLE enables them. GET_VRING_BASE
 * stops a ring after its in-flight requests complete.
 */
#ifndef VFSD_TRANSPORT_VU_DEV_H
#define VFSD_TRANSPORT_VU_DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "transport/guest_mem.h"
#include "transport/virtq.h"
#include "transport/vu_conn.h"
#include "transport/vu_log.h"
#include "transport/vu_state.h"

/* hiprio + 16 request queues (QEMU wants >= 1 + num-request-queues). */
#define VU_MAX_QUEUES 17u

/* Virtio feature bits offered to the front end. */
#define VU_OFFERED_FEATURES                                         \
	((1ULL << 32 /* VIRTIO_F_VERSION_1 */) |                   \
	 (1ULL << 28 /* VIRTIO_RING_F_INDIRECT_DESC */) |          \
	 (1ULL << 29 /* VIRTIO_RING_F_EVENT_IDX */) |              \
	 (1ULL << VHOST_F_LOG_ALL) |                                \
	 (1ULL << VHOST_USER_F_PROTOCOL_FEATURES))

/* DEVICE_STATE is added when the daemon has state to carry (vu_dev_set_state). */
#define VU_OFFERED_PROTOCOL_FEATURES                  \
	((1ULL << VHOST_USER_PROTOCOL_F_MQ) |        \
	 (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD) | \
	 (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK))

/*
 * The virtio-fs config space: the tag (36 bytes, NUL-padded, not
 * terminated when full) and the number of request queues, little-endian
 * (<linux/virtio_fs.h>).
 */
#define VU_FS_TAG_SIZE 36u
#define VU_FS_CONFIG_SIZE (VU_FS_TAG_SIZE + 4u)

struct vu_queue {
	/*
	 * Serialises the used-ring side of vq (vq_push/vq_notify), vq.call_fd
	 * and err_fd between the queue thread, the workers and the socket
	 * thread. A leaf lock: nothing else is taken while it is held.
	 */
	pthread_mutex_t lock;
	struct virtq vq;		/* used side protected by lock */

	int err_fd;			/* protected by lock */
	/*
	 * SET_VRING_ADDR with VHOST_VRING_F_LOG: the used ring is logged
	 * at log_gpa (vu_dev_log_used()). Protected by lock.
	 */
	bool log_used;
	uint64_t log_gpa;

	/* The fields below belong to the socket thread. */
	int kick_fd;
	uint64_t desc_uva;
	uint64_t avail_uva;
	uint64_t used_uva;
	bool addr_set;
	bool used_sync;			/* take used->idx from the ring */
	bool enabled;			/* SET_VRING_ENABLE */
	bool running;			/* its queue thread exists */
};

struct vu_dev;

struct vu_dev_ops {
	/* Start serving q[idx]; returns 0 or -errno. */
	int (*queue_start)(struct vu_dev *dev, unsigned int idx);
	/*
	 * Stop serving q[idx]; returns 0 when its in-flight work is done, or
	 * -EBUSY when requests were left running (the front end is gone and
	 * they are stuck): the device is then abandoned.
	 */
	int (*queue_stop)(struct vu_dev *dev, unsigned int idx);
};

/* Everything here belongs to the socket thread unless noted otherwise. */
struct vu_dev {
	const struct vu_dev_ops *ops;
	uint64_t features;
	uint64_t protocol_features;
	bool owner_set;
	/*
	 * A queue could not be stopped: threads may still use the rings and
	 * guest memory, so nothing is stopped, freed or unmapped any more and
	 * the message that tried ends the connection.
	 */
	bool abandoned;
	/*
	 * With a tag (--tag) the device offers VHOST_USER_PROTOCOL_F_CONFIG
	 * and answers GET_CONFIG; without one it offers neither, because
	 * QEMU 7.1 to 8.0 crash on a vhost-user-fs back end that does.
	 */
	bool has_config;
	uint8_t config[VU_FS_CONFIG_SIZE];
	/* Read by queue threads; changed only while every queue is stopped. */
	struct guest_mem mem;
	struct vu_queue q[VU_MAX_QUEUES];
	/* Dirty page logging (vu_log.h); markers run in any thread. */
	struct vu_log log;
	/*
	 * Migration: what the state is (NULL: the device has none to carry
	 * and does not offer DEVICE_STATE), the transfer under way, and how
	 * the last one ended (0, or -errno; -EINPROGRESS before its CHECK).
	 */
	const struct vu_state_ops *state_ops;
	struct vu_xfer *xfer;
	bool xfer_load;
	int xfer_result;
};

/** Returns 0 or -errno (mutex setup). */
int vu_dev_init(struct vu_dev *dev, const struct vu_dev_ops *ops);

/**
 * Advertise tag (1 to VU_FS_TAG_SIZE bytes; longer is cut) in the config
 * space. Call before serving.
 */
void vu_dev_set_tag(struct vu_dev *dev, const char *tag);

/**
 * Offer VHOST_USER_PROTOCOL_F_DEVICE_STATE with ops (which must outlive
 * the device) as the state it carries. Call before serving.
 */
void vu_dev_set_state(struct vu_dev *dev, const struct vu_state_ops *ops);

/** Stop every queue, close every fd, unmap guest memory (not if abandoned). */
void vu_dev_cleanup(struct vu_dev *dev);

/**
 * Whoever completes a request of q calls this under q->lock once its
 * reply is in out (cnt device-writable iovecs) and the used element
 * pushed: while VHOST_F_LOG_ALL is on, the pages it wrote are logged.
 */
void vu_dev_log_slow(struct vu_dev *dev, struct vu_queue *q,
		     const struct iovec *out, unsigned int cnt);

static inline void vu_dev_log_done(struct vu_dev *dev, struct vu_queue *q,
				   const struct iovec *out, unsigned int cnt)
{
	if (vu_log_active(&dev->log))
		vu_dev_log_slow(dev, q, out, cnt);
}

/**
 * Act on one checked message (see vu_msg_check()). Fds the device keeps are
 * taken out of msg; the caller closes the rest. If *reply is set on return,
 * msg holds the reply to send. Returns 0, or -EPROTO when the connection
 * must end (a request that needs an answer we cannot give, or a device
 * abandoned to requests that would not stop).
 */
int vu_dev_process(struct vu_dev *dev, struct vu_msg *msg, bool *reply);

#endif
