/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "transport/vu_dev.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/compiler.h"
#include "util/log.h"

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
	gm_init(&dev->mem);
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++) {
		struct vu_queue *q = &dev->q[i];

		ret = pthread_mutex_init(&q->lock, NULL);
		if (ret != 0) {
			while (i-- > 0)
				pthread_mutex_destroy(&dev->q[i].lock);
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
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++)
		if (vu_queue_stop(dev, i))
			return;
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++) {
		vu_queue_reset(&dev->q[i], i);
		pthread_mutex_destroy(&dev->q[i].lock);
	}
	gm_clear(&dev->mem);
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
	if (vu_queue_stop(dev, a->index))
		return VU_FATAL;
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
