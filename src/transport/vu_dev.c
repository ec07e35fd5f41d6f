/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "transport/vu_dev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/compiler.h"
#include "util/log.h"
#include "util/statefmt.h"

/* What an exec function asks the dispatcher to do next. */
enum vu_result {
	VU_DONE,	/* success, no payload: ack 0 if one was asked for */
	VU_FAILED,	/* refused: ack 1 if one was asked for */
	VU_REPLY,	/* msg now holds the payload of the reply */
	VU_FATAL,	/* end the connection */
};

static bool vu_has_feature(const struct vu_dev *dev, unsigned int bit)
{
	return (dev->features >> bit) & 1;
}

static void vu_close_fd(int *fd)
{
	if (*fd >= 0 && close(*fd) < 0)
		log_warn("vhost-user: close: %s", strerror(errno));
	*fd = -1;
}

/* Fresh ring state, as before the front end configured it. */
static void vu_queue_reset(struct vu_queue *q, unsigned int idx)
{
	vu_close_fd(&q->kick_fd);
	pthread_mutex_lock(&q->lock);
	vu_close_fd(&q->err_fd);
	vu_close_fd(&q->vq.call_fd);
	vq_init(&q->vq, idx);
	q->log_used = false;
	q->log_gpa = 0;
	pthread_mutex_unlock(&q->lock);
	q->desc_uva = q->avail_uva = q->used_uva = 0;
	q->addr_set = false;
	q->used_sync = false;
	q->enabled = false;
}

int vu_dev_init(struct vu_dev *dev, const struct vu_dev_ops *ops)
{
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->ops = ops;
	dev->xfer_result = -EINVAL;
	gm_init(&dev->mem);
	ret = vu_log_init(&dev->log);
	if (ret < 0)
		return ret;
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++) {
		struct vu_queue *q = &dev->q[i];

		ret = pthread_mutex_init(&q->lock, NULL);
		if (ret != 0) {
			while (i-- > 0)
				pthread_mutex_destroy(&dev->q[i].lock);
			vu_log_fini(&dev->log);
			return -ret;
		}
		q->kick_fd = q->err_fd = -1;
		vq_init(&q->vq, i);
	}
	return 0;
}

/*
 * 0 once q[idx] is stopped, -EBUSY if the device is abandoned (see
 * vu_dev.abandoned): the caller changes nothing and ends the connection.
 */
static int vu_queue_stop(struct vu_dev *dev, unsigned int idx)
{
	if (dev->abandoned)
		return -EBUSY;
	if (!dev->q[idx].running)
		return 0;
	if (dev->ops->queue_stop(dev, idx) < 0) {
		dev->abandoned = true;
		return -EBUSY;
	}
	dev->q[idx].running = false;
	return 0;
}

static bool vu_queue_enabled(const struct vu_dev *dev, const struct vu_queue *q)
{
	return q->enabled ||
	       !vu_has_feature(dev, VHOST_USER_F_PROTOCOL_FEATURES);
}

/* Start q[idx] if it has everything it needs and is not running yet. */
static void vu_queue_try_start(struct vu_dev *dev, unsigned int idx)
{
	struct vu_queue *q = &dev->q[idx];
	int ret;

	if (q->running || q->kick_fd < 0 || !q->addr_set || q->vq.num == 0 ||
	    dev->mem.nregions == 0 || !vu_queue_enabled(dev, q))
		return;
	q->vq.event_idx = vu_has_feature(dev, VIRTIO_RING_F_EVENT_IDX);
	q->vq.indirect = vu_has_feature(dev, VIRTIO_RING_F_INDIRECT_DESC);
	if (vq_map(&q->vq, &dev->mem, q->desc_uva, q->avail_uva,
		   q->used_uva) < 0) {
		vq_set_broken(&q->vq, "rings are not in guest memory");
		return;
	}
	if (q->used_sync) {
		vq_sync_used_idx(&q->vq);
		q->used_sync = false;
	}
	ret = dev->ops->queue_start(dev, idx);
	if (ret < 0) {
		log_err("virtqueue %u: cannot start: %s", idx, strerror(-ret));
		return;
	}
	q->running = true;
}

void vu_dev_cleanup(struct vu_dev *dev)
{
	vu_xfer_cancel(dev->xfer);
	dev->xfer = NULL;
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++)
		if (vu_queue_stop(dev, i))
			return;
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++) {
		vu_queue_reset(&dev->q[i], i);
		pthread_mutex_destroy(&dev->q[i].lock);
	}
	gm_clear(&dev->mem);
	vu_log_fini(&dev->log);
}

void vu_dev_set_state(struct vu_dev *dev, const struct vu_state_ops *ops)
{
	dev->state_ops = ops;
}

/* The bytes of a split ring's used ring (with its avail_event). */
static uint64_t vu_used_ring_size(const struct virtq *vq)
{
	return 4 + 8 * (uint64_t)vq->num + 2;
}

void vu_dev_log_slow(struct vu_dev *dev, struct vu_queue *q,
		     const struct iovec *out, unsigned int cnt)
{
	/*
	 * Every byte the chain let us write: a reply may fill less than its
	 * buffers, but an error reply after a short read leaves data there
	 * too, and a page sent twice costs less than one sent stale.
	 */
	vu_log_iov(&dev->log, &dev->mem, out, cnt);
	if (q->log_used)
		vu_log_gpa(&dev->log, q->log_gpa, vu_used_ring_size(&q->vq));
}

static enum vu_result vu_reply_u64(struct vu_msg *msg, uint64_t v)
{
	msg->payload.u64 = v;
	msg->hdr.size = sizeof(v);
	return VU_REPLY;
}

static enum vu_result vu_get_features_exec(struct vu_dev *dev __unused,
					   struct vu_msg *msg)
{
	return vu_reply_u64(msg, VU_OFFERED_FEATURES);
}

static enum vu_result vu_set_features_exec(struct vu_dev *dev,
					   struct vu_msg *msg)
{
	uint64_t f = msg->payload.u64;

	if (f & ~VU_OFFERED_FEATURES)
		log_warn("vhost-user: front end set unoffered features %#llx",
			 (unsigned long long)(f & ~VU_OFFERED_FEATURES));
	dev->features = f & VU_OFFERED_FEATURES;
	log_debug("vhost-user: features %#llx",
		  (unsigned long long)dev->features);
	vu_log_enable(&dev->log, vu_has_feature(dev, VHOST_F_LOG_ALL));
	/* Without protocol features every ring counts as enabled. */
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++)
		vu_queue_try_start(dev, i);
	return VU_DONE;
}

static uint64_t vu_protocol_features(const struct vu_dev *dev)
{
	uint64_t f = VU_OFFERED_PROTOCOL_FEATURES;

	if (dev->has_config)
		f |= 1ULL << VHOST_USER_PROTOCOL_F_CONFIG;
	if (dev->state_ops)
		f |= 1ULL << VHOST_USER_PROTOCOL_F_DEVICE_STATE;
	return f;
}

static enum vu_result vu_get_protocol_features_exec(struct vu_dev *dev,
						    struct vu_msg *msg)
{
	return vu_reply_u64(msg, vu_protocol_features(dev));
}

static enum vu_result vu_set_protocol_features_exec(struct vu_dev *dev,
						    struct vu_msg *msg)
{
	dev->protocol_features = msg->payload.u64 & vu_protocol_features(dev);
	return VU_DONE;
}

void vu_dev_set_tag(struct vu_dev *dev, const char *tag)
{
	size_t n = strnlen(tag, VU_FS_TAG_SIZE);
	uint32_t nreq = VU_MAX_QUEUES - 1; /* little-endian: see vu_proto.h */

	memset(dev->config, 0, sizeof(dev->config));
	memcpy(dev->config, tag, n);
	memcpy(dev->config + VU_FS_TAG_SIZE, &nreq, sizeof(nreq));
	dev->has_config = true;
}

/*
 * A window of the config space. offset and size come from the front end:
 * the window must lie inside the config space, or the answer is the
 * spec's error, an empty payload (a GET always gets an answer).
 */
static enum vu_result vu_get_config_exec(struct vu_dev *dev, struct vu_msg *msg)
{
	struct vu_config *c = &msg->payload.config;

	if (!dev->has_config ||
	    !(dev->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG)) ||
	    c->offset > VU_FS_CONFIG_SIZE ||
	    c->size > VU_FS_CONFIG_SIZE - c->offset) {
		log_warn("vhost-user: GET_CONFIG of %u bytes at %u refused",
			 c->size, c->offset);
		msg->hdr.size = 0;
		return VU_REPLY;
	}
	memcpy(c->region, dev->config + c->offset, c->size);
	msg->hdr.size = VHOST_USER_CONFIG_HDR_SIZE + c->size;
	return VU_REPLY;
}

/* The virtio-fs config space is read-only to the driver. */
static enum vu_result vu_set_config_exec(struct vu_dev *dev __unused,
					 struct vu_msg *msg)
{
	log_warn("vhost-user: SET_CONFIG of %u bytes at %u refused: read-only",
		 msg->payload.config.size, msg->payload.config.offset);
	return VU_FAILED;
}

static enum vu_result vu_set_owner_exec(struct vu_dev *dev,
					struct vu_msg *msg __unused)
{
	dev->owner_set = true;
	return VU_DONE;
}

static enum vu_result vu_reset_owner_exec(struct vu_dev *dev,
					  struct vu_msg *msg __unused)
{
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++) {
		if (vu_queue_stop(dev, i))
			return VU_FATAL;
		vu_queue_reset(&dev->q[i], i);
	}
	dev->features = 0;
	return VU_DONE;
}

static enum vu_result vu_get_queue_num_exec(struct vu_dev *dev __unused,
					    struct vu_msg *msg)
{
	return vu_reply_u64(msg, VU_MAX_QUEUES);
}

/*
 * Queue threads hold pointers into the old mappings (rings, in-flight
 * iovecs): stop them all, swap the table, and restart them on the new one.
 */
static enum vu_result vu_set_mem_table_exec(struct vu_dev *dev,
					    struct vu_msg *msg)
{
	bool was_running[VU_MAX_QUEUES];
	int ret;

	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++) {
		was_running[i] = dev->q[i].running;
		if (vu_queue_stop(dev, i))
			return VU_FATAL;
	}
	ret = gm_set_table(&dev->mem, &msg->payload, msg->hdr.size, msg->fds,
			   msg->nfds);
	/* gm_set_table() closed them all. */
	for (unsigned int i = 0; i < msg->nfds; i++)
		msg->fds[i] = -1;
	msg->nfds = 0;
	if (ret < 0)
		return VU_FAILED;
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++) {
		if (was_running[i])
			vu_queue_try_start(dev, i);
	}
	return VU_DONE;
}

/* The queue a vring_state message names, or NULL. */
static struct vu_queue *vu_state_queue(struct vu_dev *dev,
				       const struct vu_msg *msg)
{
	if (msg->payload.state.index >= VU_MAX_QUEUES) {
		log_err("vhost-user: %s for queue %u of %u",
			vu_request_name(msg->hdr.request),
			msg->payload.state.index, VU_MAX_QUEUES);
		return NULL;
	}
	return &dev->q[msg->payload.state.index];
}

static enum vu_result vu_set_vring_num_exec(struct vu_dev *dev,
					    struct vu_msg *msg)
{
	struct vu_queue *q = vu_state_queue(dev, msg);
	uint32_t num = msg->payload.state.num;

	if (q == NULL)
		return VU_FAILED;
	if (num == 0 || num > VQ_MAX_SIZE || (num & (num - 1)) != 0) {
		log_err("vhost-user: queue size %u is not a power of two <= %u",
			num, VQ_MAX_SIZE);
		return VU_FAILED;
	}
	if (vu_queue_stop(dev, msg->payload.state.index))
		return VU_FATAL;
	q->vq.num = (uint16_t)num;
	return VU_DONE;
}

/* Log the used ring at log_guest_addr from now on, or not. */
static void vu_queue_set_log(struct vu_queue *q, const struct vu_vring_addr *a)
{
	pthread_mutex_lock(&q->lock);
	q->log_used = a->flags & (1u << VHOST_VRING_F_LOG);
	q->log_gpa = a->log_guest_addr;
	pthread_mutex_unlock(&q->lock);
}

static enum vu_result vu_set_vring_addr_exec(struct vu_dev *dev,
					     struct vu_msg *msg)
{
	const struct vu_vring_addr *a = &msg->payload.addr;
	struct vu_queue *q;

	if (a->index >= VU_MAX_QUEUES) {
		log_err("vhost-user: SET_VRING_ADDR for queue %u", a->index);
		return VU_FAILED;
	}
	q = &dev->q[a->index];
	/*
	 * A migration turns logging on and off on running rings: the same
	 * addresses with another flag change nothing else, so the queue
	 * runs on (a stop would call off the guest's lock waits).
	 */
	if (q->running && q->desc_uva == a->desc_user_addr &&
	    q->avail_uva == a->avail_user_addr &&
	    q->used_uva == a->used_user_addr) {
		vu_queue_set_log(q, a);
		return VU_DONE;
	}
	if (vu_queue_stop(dev, a->index))
		return VU_FATAL;
	vu_queue_set_log(q, a);
	q->desc_uva = a->desc_user_addr;
	q->avail_uva = a->avail_user_addr;
	q->used_uva = a->used_user_addr;
	q->addr_set = true;
	q->used_sync = true;
	vu_queue_try_start(dev, a->index);
	return VU_DONE;
}

static enum vu_result vu_set_vring_base_exec(struct vu_dev *dev,
					     struct vu_msg *msg)
{
	struct vu_queue *q = vu_state_queue(dev, msg);

	if (q == NULL || msg->payload.state.num > UINT16_MAX)
		return VU_FAILED;
	if (vu_queue_stop(dev, msg->payload.state.index))
		return VU_FATAL;
	q->vq.last_avail_idx = (uint16_t)msg->payload.state.num;
	return VU_DONE;
}

/*
 * Stops the ring (its thread returns once in-flight requests completed) and
 * reports where the next run must resume. The front end sends the whole
 * configuration again before the next start, so the ring is reset.
 */
static enum vu_result vu_get_vring_base_exec(struct vu_dev *dev,
					     struct vu_msg *msg)
{
	struct vu_queue *q = vu_state_queue(dev, msg);
	unsigned int idx = msg->payload.state.index;

	if (q == NULL)
		return VU_FATAL;	/* it waits for an answer we cannot give */
	if (vu_queue_stop(dev, idx))
		return VU_FATAL;
	/* What the ring thread wrote last (avail_event) goes over too. */
	if (vu_log_active(&dev->log) && q->log_used && q->vq.used)
		vu_log_gpa(&dev->log, q->log_gpa, vu_used_ring_size(&q->vq));
	msg->payload.state.num = q->vq.last_avail_idx;
	msg->hdr.size = sizeof(msg->payload.state);
	vu_queue_reset(q, idx);
	return VU_REPLY;
}

/* The queue a SET_VRING_KICK/CALL/ERR names, or NULL if malformed. */
static struct vu_queue *vu_file_queue(struct vu_dev *dev,
				      const struct vu_msg *msg,
				      unsigned int *idx, int *fd)
{
	uint64_t v = msg->payload.u64;

	if (v & ~(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD_MASK) ||
	    (v & VHOST_USER_VRING_IDX_MASK) >= VU_MAX_QUEUES) {
		log_err("vhost-user: %s with bad payload %#llx",
			vu_request_name(msg->hdr.request),
			(unsigned long long)v);
		return NULL;
	}
	*idx = (unsigned int)(v & VHOST_USER_VRING_IDX_MASK);
	/* vu_msg_check() made sure the fd is there unless NOFD is set. */
	*fd = (v & VHOST_USER_VRING_NOFD_MASK) ? -1 : msg->fds[0];
	return &dev->q[*idx];
}

static enum vu_result vu_set_vring_kick_exec(struct vu_dev *dev,
					     struct vu_msg *msg)
{
	unsigned int idx;
	int fd;
	struct vu_queue *q = vu_file_queue(dev, msg, &idx, &fd);

	if (q == NULL)
		return VU_FAILED;
	if (vu_queue_stop(dev, idx))
		return VU_FATAL;
	vu_close_fd(&q->kick_fd);
	if (fd < 0) {
		/* Polling mode: not supported, the ring stays stopped. */
		log_warn("virtqueue %u: no kick fd, ring not started", idx);
		return VU_DONE;
	}
	q->kick_fd = fd;
	msg->fds[0] = -1;
	vu_queue_try_start(dev, idx);
	return VU_DONE;
}

static enum vu_result vu_set_vring_call_exec(struct vu_dev *dev,
					     struct vu_msg *msg)
{
	unsigned int idx;
	int fd, old;
	struct vu_queue *q = vu_file_queue(dev, msg, &idx, &fd);

	if (q == NULL)
		return VU_FAILED;
	if (fd >= 0)
		msg->fds[0] = -1;
	/* The front end swaps call fds while rings run (interrupt masking). */
	pthread_mutex_lock(&q->lock);
	old = q->vq.call_fd;
	q->vq.call_fd = fd;
	/*
	 * On a running ring a notification sent to the old fd may have been
	 * lost with it; a spurious interrupt is harmless, a lost one stalls
	 * the guest.
	 */
	if (fd >= 0 && q->running && eventfd_write(fd, 1) < 0)
		log_warn("virtqueue %u: call eventfd: %s", idx,
			 strerror(errno));
	pthread_mutex_unlock(&q->lock);
	vu_close_fd(&old);
	return VU_DONE;
}

static enum vu_result vu_set_vring_err_exec(struct vu_dev *dev,
					    struct vu_msg *msg)
{
	unsigned int idx;
	int fd, old;
	struct vu_queue *q = vu_file_queue(dev, msg, &idx, &fd);

	if (q == NULL)
		return VU_FAILED;
	if (fd >= 0)
		msg->fds[0] = -1;
	/* The queue thread signals it when the ring turns out broken. */
	pthread_mutex_lock(&q->lock);
	old = q->err_fd;
	q->err_fd = fd;
	pthread_mutex_unlock(&q->lock);
	vu_close_fd(&old);
	return VU_DONE;
}

static enum vu_result vu_set_vring_enable_exec(struct vu_dev *dev,
					       struct vu_msg *msg)
{
	struct vu_queue *q = vu_state_queue(dev, msg);
	unsigned int idx = msg->payload.state.index;

	if (q == NULL || msg->payload.state.num > 1)
		return VU_FAILED;
	q->enabled = msg->payload.state.num == 1;
	if (q->enabled)
		vu_queue_try_start(dev, idx);
	else if (vu_queue_stop(dev, idx))
		return VU_FATAL;
	return VU_DONE;
}

static bool vu_negotiated(const struct vu_dev *dev, unsigned int bit)
{
	return (dev->protocol_features >> bit) & 1;
}

static enum vu_result vu_set_log_base_exec(struct vu_dev *dev,
					   struct vu_msg *msg)
{
	bool shmfd = vu_negotiated(dev, VHOST_USER_PROTOCOL_F_LOG_SHMFD);
	int ret;

	ret = vu_log_set(&dev->log, msg->fds[0], msg->payload.log.mmap_size,
			 msg->payload.log.mmap_offset);
	msg->fds[0] = -1;	/* vu_log_set() closed it */
	/* With LOG_SHMFD the front end waits for an answer. */
	if (shmfd)
		return vu_reply_u64(msg, ret < 0 ? 1u : 0u);
	return ret < 0 ? VU_FAILED : VU_DONE;
}

/* An eventfd to tell the front end of log changes: we never need to. */
static enum vu_result vu_set_log_fd_exec(struct vu_dev *dev __unused,
					 struct vu_msg *msg __unused)
{
	return VU_DONE;
}

static bool vu_suspended(const struct vu_dev *dev)
{
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++)
		if (dev->q[i].running)
			return false;
	return true;
}

/* Start a save: the state is taken now, and written by a thread. */
static int vu_state_save_start(struct vu_dev *dev, int fd)
{
	struct wbuf b;
	int ret;

	wbuf_init(&b, STATE_MAX_SIZE);
	ret = dev->state_ops->save(dev->state_ops->ctx, &b);
	if (ret < 0) {
		wbuf_free(&b);
		close(fd);
		return ret;
	}
	return vu_xfer_save(&dev->xfer, fd, b.p, b.len);
}

/*
 * SET_DEVICE_STATE_FD: stopped phase only (the rings must all be stopped:
 * the state is taken, or given, while no request runs). The front end's
 * fd is used, none of ours goes back.
 */
static enum vu_result vu_set_device_state_fd_exec(struct vu_dev *dev,
						  struct vu_msg *msg)
{
	const struct vu_device_state *ds = &msg->payload.devstate;
	int fd = msg->fds[0], ret;

	vu_xfer_cancel(dev->xfer);
	dev->xfer = NULL;
	if (!dev->state_ops ||
	    !vu_negotiated(dev, VHOST_USER_PROTOCOL_F_DEVICE_STATE) ||
	    ds->phase != VHOST_USER_TRANSFER_STATE_PHASE_STOPPED ||
	    ds->direction > VHOST_USER_TRANSFER_STATE_LOAD ||
	    !vu_suspended(dev)) {
		log_err("vhost-user: SET_DEVICE_STATE_FD (direction %u, phase "
			"%u) refused: %s", ds->direction, ds->phase,
			!dev->state_ops ? "no state to carry" :
			!vu_suspended(dev) ? "rings still run" :
					     "not negotiated or unknown");
		dev->xfer_result = -EINVAL;
		return vu_reply_u64(msg, 1 | VHOST_USER_DEVICE_STATE_NOFD);
	}
	msg->fds[0] = -1;	/* the transfer's now */
	dev->xfer_load = ds->direction == VHOST_USER_TRANSFER_STATE_LOAD;
	if (dev->xfer_load)
		ret = vu_xfer_load(&dev->xfer, fd, STATE_MAX_SIZE);
	else
		ret = vu_state_save_start(dev, fd);
	dev->xfer_result = ret < 0 ? ret : -EINPROGRESS;
	if (ret < 0)
		log_err("vhost-user: state %s failed: %s",
			dev->xfer_load ? "load" : "save", strerror(-ret));
	return vu_reply_u64(msg, (ret < 0 ? 1 : 0) |
				      VHOST_USER_DEVICE_STATE_NOFD);
}

/*
 * How long CHECK_DEVICE_STATE waits for the transfer's thread. The front
 * end sends it after EOF, so the thread is done or about to be; only a
 * front end that sends it too early waits this long, and then fails.
 */
#define VU_XFER_CHECK_MS 2000

static int vu_state_check(struct vu_dev *dev)
{
	struct vu_xfer *x = dev->xfer;
	const void *buf = NULL;
	size_t len = 0;
	int ret;

	if (!x)
		return dev->xfer_result == -EINPROGRESS ? -EINVAL :
							  dev->xfer_result;
	dev->xfer = NULL;
	ret = vu_xfer_finish(x, VU_XFER_CHECK_MS, &buf, &len);
	if (ret < 0)
		log_err("vhost-user: state %s: %s", dev->xfer_load ? "load" :
			"save", ret == -EMSGSIZE ? "more bytes than a state "
			"may have" : strerror(-ret));
	/* A hostile front end may have restarted rings meanwhile. */
	if (!ret && dev->xfer_load && !vu_suspended(dev))
		ret = -EBUSY;
	if (!ret && dev->xfer_load)
		ret = dev->state_ops->load(dev->state_ops->ctx, buf, len);
	vu_xfer_cancel(x);
	return ret;
}

static enum vu_result vu_check_device_state_exec(struct vu_dev *dev,
						 struct vu_msg *msg)
{
	if (!dev->state_ops ||
	    !vu_negotiated(dev, VHOST_USER_PROTOCOL_F_DEVICE_STATE))
		return vu_reply_u64(msg, 1);
	dev->xfer_result = vu_state_check(dev);
	return vu_reply_u64(msg, dev->xfer_result ? 1 : 0);
}

typedef enum vu_result (*vu_exec_fn)(struct vu_dev *dev, struct vu_msg *msg);

static const vu_exec_fn vu_exec[VHOST_USER_MAX] = {
	[VHOST_USER_GET_FEATURES] = vu_get_features_exec,
	[VHOST_USER_SET_FEATURES] = vu_set_features_exec,
	[VHOST_USER_SET_OWNER] = vu_set_owner_exec,
	[VHOST_USER_RESET_OWNER] = vu_reset_owner_exec,
	[VHOST_USER_SET_MEM_TABLE] = vu_set_mem_table_exec,
	[VHOST_USER_SET_VRING_NUM] = vu_set_vring_num_exec,
	[VHOST_USER_SET_VRING_ADDR] = vu_set_vring_addr_exec,
	[VHOST_USER_SET_VRING_BASE] = vu_set_vring_base_exec,
	[VHOST_USER_GET_VRING_BASE] = vu_get_vring_base_exec,
	[VHOST_USER_SET_VRING_KICK] = vu_set_vring_kick_exec,
	[VHOST_USER_SET_VRING_CALL] = vu_set_vring_call_exec,
	[VHOST_USER_SET_VRING_ERR] = vu_set_vring_err_exec,
	[VHOST_USER_GET_PROTOCOL_FEATURES] = vu_get_protocol_features_exec,
	[VHOST_USER_SET_PROTOCOL_FEATURES] = vu_set_protocol_features_exec,
	[VHOST_USER_GET_QUEUE_NUM] = vu_get_queue_num_exec,
	[VHOST_USER_SET_VRING_ENABLE] = vu_set_vring_enable_exec,
	[VHOST_USER_GET_CONFIG] = vu_get_config_exec,
	[VHOST_USER_SET_CONFIG] = vu_set_config_exec,
	[VHOST_USER_SET_LOG_BASE] = vu_set_log_base_exec,
	[VHOST_USER_SET_LOG_FD] = vu_set_log_fd_exec,
	[VHOST_USER_SET_DEVICE_STATE_FD] = vu_set_device_state_fd_exec,
	[VHOST_USER_CHECK_DEVICE_STATE] = vu_check_device_state_exec,
};

int vu_dev_process(struct vu_dev *dev, struct vu_msg *msg, bool *reply)
{
	uint32_t req = msg->hdr.request;
	bool need_ack = (msg->hdr.flags & VHOST_USER_NEED_REPLY_MASK) &&
			(dev->protocol_features &
			 (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	enum vu_result res;

	log_debug("vhost-user: %s (%u bytes, %u fds)", vu_request_name(req),
		  msg->hdr.size, msg->nfds);
	*reply = false;
	if (req < VHOST_USER_MAX && vu_exec[req] != NULL) {
		res = vu_exec[req](dev, msg);
	} else {
		/* Nothing we offered leads here; an answer would be a guess. */
		log_warn("vhost-user: ignoring request %u", req);
		res = VU_FAILED;
	}
	switch (res) {
	case VU_FATAL:
		return -EPROTO;
	case VU_REPLY:
		break;
	case VU_DONE:
	case VU_FAILED:
		if (!need_ack)
			return 0;
		vu_reply_u64(msg, res == VU_DONE ? 0 : 1);
		break;
	}
	msg->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	*reply = true;
	return 0;
}
