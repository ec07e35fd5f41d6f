/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The front end's part of a migration, as QEMU 8.2+ plays it: the back
 * end's state through a pipe (SET_DEVICE_STATE_FD, read or written until
 * EOF, then CHECK_DEVICE_STATE), dirty page logging (SET_LOG_BASE with a
 * sealed memfd, VHOST_F_LOG_ALL, VHOST_VRING_F_LOG), and a second
 * connection to a destination back end that finds the guest's RAM and
 * rings as the source left them.
 */
#include "frontend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* SET_DEVICE_STATE_FD: 0 if accepted, -EREMOTEIO if refused. */
static int send_state_fd(struct vc_dev *dev, uint32_t direction, int fd)
{
	struct vu_device_state ds = {
		.direction = direction,
		.phase = VHOST_USER_TRANSFER_STATE_PHASE_STOPPED,
	};
	uint64_t v;
	int r = vc_send(dev, VHOST_USER_SET_DEVICE_STATE_FD, 0, &ds,
			sizeof(ds), &fd, 1);

	if (!r)
		r = vc_recv(dev, VHOST_USER_SET_DEVICE_STATE_FD, &v, sizeof(v));
	if (r < 0)
		return r;
	/* vfsd-client reads and writes its own pipe: no fd may come back. */
	if (!(v & VHOST_USER_DEVICE_STATE_NOFD))
		return -EPROTO;
	return (v & 0xff) ? -EREMOTEIO : 0;
}

int vc_check_state(struct vc_dev *dev)
{
	uint64_t v;
	int r = vc_send(dev, VHOST_USER_CHECK_DEVICE_STATE, 0, NULL, 0, NULL, 0);

	if (!r)
		r = vc_recv(dev, VHOST_USER_CHECK_DEVICE_STATE, &v, sizeof(v));
	if (r < 0)
		return r;
	return v ? -EREMOTEIO : 0;
}

/* Wait for fd to be ready for events, up to the device's reply deadline. */
static int wait_fd(const struct vc_dev *dev, int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int r;

	do {
		r = poll(&pfd, 1, dev->timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r ? 0 : -ETIMEDOUT;
}

int vc_state_save(struct vc_dev *dev, uint8_t **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	int p[2], r;

	*out = NULL;
	*len = 0;
	if (!buf)
		return -ENOMEM;
	if (pipe2(p, O_CLOEXEC)) {
		free(buf);
		return -errno;
	}
	r = send_state_fd(dev, VHOST_USER_TRANSFER_STATE_SAVE, p[1]);
	close(p[1]);
	/* Like QEMU: read until EOF, then ask whether it all went well. */
	while (!r) {
		ssize_t got;

		if (n == cap) {
			uint8_t *b = realloc(buf, cap * 2);

			if (!b) {
				r = -ENOMEM;
				break;
			}
			buf = b;
			cap *= 2;
		}
		r = wait_fd(dev, p[0], POLLIN);
		if (r)
			break;
		got = read(p[0], buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			r = -errno;
		else if (got == 0)
			break;
		else
			n += (size_t)got;
	}
	close(p[0]);
	if (r != -EREMOTEIO && (!r || r == -ETIMEDOUT)) {
		int c = vc_check_state(dev);

		if (!r)
			r = c;
	}
	if (r) {
		free(buf);
		return r;
	}
	*out = buf;
	*len = n;
	return 0;
}

int vc_state_load(struct vc_dev *dev, const uint8_t *buf, size_t len)
{
	size_t done = 0;
	int p[2], r, w;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	r = send_state_fd(dev, VHOST_USER_TRANSFER_STATE_LOAD, p[0]);
	close(p[0]);
	w = r;
	while (!w && done < len) {
		ssize_t n;

		w = wait_fd(dev, p[1], POLLOUT);
		if (w)
			break;
		n = write(p[1], buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		/* EPIPE: the back end stopped reading (more than it takes). */
		if (n < 0)
			w = -errno;
		else
			done += (size_t)n;
	}
	close(p[1]);
	if (r)
		return r;
	r = vc_check_state(dev);
	return r ? r : w;
}

int vc_set_log(struct vc_dev *dev, bool on)
{
	uint64_t f = dev->features;
	int r;

	if (on && dev->log_fd < 0) {
		/* One bit per 4 KiB page of guest RAM, sealed as QEMU's. */
		dev->log_size = (dev->mem_size / 4096 + 7) / 8;
		dev->log_size = (dev->log_size + 4095) & ~(size_t)4095;
		dev->log_fd = memfd_create("vfsd-client-log",
					   MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (dev->log_fd < 0)
			return -errno;
		if (ftruncate(dev->log_fd, (off_t)dev->log_size) ||
		    fcntl(dev->log_fd, F_ADD_SEALS,
			  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
			return -errno;
		dev->log = mmap(NULL, dev->log_size, PROT_READ | PROT_WRITE,
				MAP_SHARED, dev->log_fd, 0);
		if (dev->log == MAP_FAILED) {
			dev->log = NULL;
			return -errno;
		}
	}
	if (on) {
		struct vu_log_desc d = { .mmap_size = dev->log_size };
		uint64_t v;

		r = vc_send(dev, VHOST_USER_SET_LOG_BASE, 0, &d, sizeof(d),
			    &dev->log_fd, 1);
		if (!r)
			r = vc_recv(dev, VHOST_USER_SET_LOG_BASE, &v, sizeof(v));
		if (r < 0)
			return r;
		if (v)
			return -EREMOTEIO;
	}
	/* QEMU's order: features, then each ring's address with the flag. */
	f = on ? f | (1ull << VHOST_F_LOG_ALL) : f & ~(1ull << VHOST_F_LOG_ALL);
	r = vc_set_u64(dev, VHOST_USER_SET_FEATURES, f);
	if (r)
		return r;
	dev->features = f;
	for (unsigned int i = 0; !r && i < dev->nvqs; i++)
		r = vc_vq_set_addr(dev, i, on);
	return r;
}

bool vc_log_dirty(const struct vc_dev *dev, uint64_t gpa)
{
	uint64_t page = gpa / 4096;

	return dev->log && page / 8 < dev->log_size &&
	       (dev->log[page / 8] & (1u << (page % 8)));
}

void vc_log_clear(struct vc_dev *dev)
{
	if (dev->log)
		memset(dev->log, 0, dev->log_size);
}

int vc_clone_guest(struct vc_dev *dst, const struct vc_dev *src)
{
	*dst = *src;
	dst->sock = -1;
	dst->pid = 0;
	dst->spawned = false;
	dst->exit_status = -1;
	dst->log_fd = -1;
	dst->log = NULL;
	dst->features &= ~(1ull << VHOST_F_LOG_ALL);
	/* The same RAM and rings: the destination's copy of the guest. */
	dst->mem_fd = dup(src->mem_fd);
	dst->mem_shared = true;
	for (unsigned int i = 0; i < VC_MAX_QUEUES; i++) {
		struct vc_vq *vq = &dst->vqs[i];

		vq->kick_fd = vq->kick_fd >= 0 ? dup(vq->kick_fd) : -1;
		vq->call_fd = vq->call_fd >= 0 ? dup(vq->call_fd) : -1;
	}
	return dst->mem_fd < 0 ? -errno : 0;
}
