/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Split virtqueue (virtio 1.x, section 2.7), device side: pop a descriptor
 * chain as iovecs into guest memory, push the used element, decide whether
 * the driver wants an interrupt. Knows nothing of what the buffers carry.
 *
 * Everything in the ring is written by the guest at any time: each
 * descriptor is copied out once and only the copy is checked and used. A
 * malformed ring or chain marks the queue broken (logged once); a broken
 * queue pops nothing more.
 *
 * Concurrency: vq_pop() and vq_arm_notify() run in one thread (the queue
 * thread); vq_push() and vq_notify() are serialised by the owner's lock
 * (struct vu_queue.lock). The two sides touch disjoint fields.
 */
#ifndef VFSD_TRANSPORT_VIRTQ_H
#define VFSD_TRANSPORT_VIRTQ_H

#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "transport/guest_mem.h"

/* Largest queue the virtio spec allows for a split ring. */
#define VQ_MAX_SIZE 32768u
/* Most buffers one chain may become (after splitting at region ends). */
#define VQ_MAX_IOV 1024u

struct virtq {
	/* Configuration: set while the queue thread is not running. */
	unsigned int index;		/* for log messages */
	uint16_t num;			/* power of two, <= VQ_MAX_SIZE */
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;			/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	const struct guest_mem *mem;
	const struct vring_desc *desc;	/* NULL until mapped */
	struct vring_avail *avail;
	struct vring_used *used;

	/* Pop side: the queue thread only. */
	uint16_t last_avail_idx;
	bool suppressed;		/* VRING_USED_F_NO_NOTIFY set by us */

	/* Push side: protected by the owner's lock (vu_queue.lock). */
	uint16_t used_idx;
	uint16_t signalled_used;
	bool signalled_used_valid;
	int call_fd;			/* -1: nobody to notify */

	/* Set once by whichever side finds the ring malformed. */
	bool broken;
};

/*
 * One popped chain, named as the virtio spec names the directions: "out"
 * buffers go from the driver to the device (device-readable), "in" buffers
 * from the device to the driver (device-writable, VRING_DESC_F_WRITE). The
 * out iovecs come first, then the in ones. FUSE's in/out (request/reply)
 * is the other way round; transport/virtio_fs.c converts once.
 */
struct vq_chain {
	uint16_t head;
	unsigned int out_cnt;		/* device-readable iovecs */
	unsigned int in_cnt;		/* device-writable iovecs, after them */
	size_t out_len;			/* bytes the device may read */
	size_t in_len;			/* bytes the device may write */
	struct iovec *iov;		/* caller's array of iov_cap entries */
	unsigned int iov_cap;
};

/** Zero the queue, no fds, not mapped. */
void vq_init(struct virtq *vq, unsigned int index);

/**
 * Map the three rings from front-end addresses (SET_VRING_ADDR) through mem
 * and check their size and alignment for vq->num. Returns 0 or -EINVAL.
 */
int vq_map(struct virtq *vq, const struct guest_mem *mem, uint64_t desc_uva,
	   uint64_t avail_uva, uint64_t used_uva);

/** Read used->idx from the ring (a fresh start after SET_VRING_ADDR). */
void vq_sync_used_idx(struct virtq *vq);

/**
 * Pop the next available chain into c->iov. Returns 1 with *c filled, 0 if
 * the ring is empty, -EIO if the queue is (now) broken.
 */
int vq_pop(struct virtq *vq, struct vq_chain *c);

/** Put (head, len) in the used ring and publish it. Caller holds the lock. */
void vq_push(struct virtq *vq, uint16_t head, uint32_t len);

/** Whether the driver asked for an interrupt now. Caller holds the lock. */
bool vq_should_notify(struct virtq *vq);

/** vq_should_notify() and, if so, signal call_fd. Caller holds the lock. */
void vq_notify(struct virtq *vq);

/**
 * While the queue thread polls the ring: the driver need not kick. Without
 * EVENT_IDX this sets VRING_USED_F_NO_NOTIFY; with it, avail_event is
 * simply left behind (the driver kicks only when it crosses it). A hint:
 * a driver may kick anyway. Queue thread only.
 */
void vq_suppress_notify(struct virtq *vq);

/**
 * Before sleeping on the kick fd: ask for kicks again (with EVENT_IDX tell
 * the driver which index to kick at, else clear VRING_USED_F_NO_NOTIFY).
 * Returns true if more chains arrived meanwhile.
 */
bool vq_arm_notify(struct virtq *vq);

/*
 * Repair of lost notifications. Both sides of a ring publish an index and
 * then read the other's suppression field; that needs a full barrier on
 * both sides, and some drivers (a TCG guest under QEMU < 8.0 with one
 * possible vCPU) run without one. Then a kick or an interrupt can be lost
 * and the guest waits forever. The queue thread, idle for a while, calls
 * these two to look again.
 */

/** Chains the driver published without a kick we saw. Queue thread only. */
bool vq_has_avail(struct virtq *vq);

/**
 * With EVENT_IDX: signal again if the driver's used_event still lags the
 * used ring, i.e. it has not seen what we pushed. Returns true if it
 * signalled. Caller holds the lock.
 */
bool vq_renotify(struct virtq *vq);

/** Mark broken and log why, once. */
void vq_set_broken(struct virtq *vq, const char *why);

#endif
