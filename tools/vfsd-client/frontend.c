/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhost-user front end: socket messages with SCM_RIGHTS, memfd guest RAM,
 * split rings with kick/call eventfds. The sequence of set-up messages is
 * the one QEMU's vhost-user-fs device sends, so a back end that works here
 * sees what it will see under QEMU.
 */
#include "frontend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>

#include "util/compiler.h"

uint64_t vc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vc_init(struct vc_dev *dev)
{
	memset(dev, 0, sizeof(*dev));
	dev->sock = -1;
	dev->mem_fd = -1;
	dev->log_fd = -1;
	dev->exit_status = -1;
	dev->timeout_ms = 5000;
	for (unsigned int i = 0; i < VC_MAX_QUEUES; i++) {
		dev->vqs[i].kick_fd = -1;
		dev->vqs[i].call_fd = -1;
	}
}

static int connect_once(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static void peer_pid(struct vc_dev *dev)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (!dev->pid &&
	    getsockopt(dev->sock, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0)
		dev->pid = uc.pid;
}

int vc_connect(struct vc_dev *dev, const char *sock_path, int wait_ms)
{
	uint64_t deadline = vc_now_ns() + (uint64_t)wait_ms * 1000000u;
	int fd;

	for (;;) {
		fd = connect_once(sock_path);
		if (fd >= 0)
			break;
		if (dev->spawned && !vc_alive(dev))
			return -ECHILD;
		if (vc_now_ns() > deadline)
			return fd;
		usleep(5000);
	}
	dev->sock = fd;
	peer_pid(dev);
	return 0;
}

int vc_spawn(struct vc_dev *dev, char *const argv[], const char *sock_path,
	     int wait_ms, int listen_fd)
{
	const char *log = dev->log_path ? dev->log_path :
			  getenv("VFSD_CLIENT_BACKEND_LOG");
	pid_t pid;

	/* An inherited listener is already bound at sock_path. */
	if (listen_fd < 0)
		unlink(sock_path);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log ? log : "/dev/null",
			      O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		/* A back end must not outlive a client that was killed. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp(argv[0], argv);
		_exit(127);
	}
	dev->pid = pid;
	dev->spawned = true;
	if (listen_fd >= 0)
		close(listen_fd); /* the back end's now, as libvirt does */
	return vc_connect(dev, sock_path, wait_ms);
}

int vc_listen_inherit(const char *sock_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sock_path);
	unlink(sock_path);
	/* No CLOEXEC: the back end inherits it (--fd=N). */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static void reap(struct vc_dev *dev, int flags)
{
	int status;

	if (!dev->spawned || dev->exit_status >= 0)
		return;
	if (waitpid(dev->pid, &status, flags) == dev->pid)
		dev->exit_status = status;
}

bool vc_alive(struct vc_dev *dev)
{
	if (dev->spawned) {
		reap(dev, WNOHANG);
		return dev->exit_status < 0;
	}
	return dev->pid > 0 && kill(dev->pid, 0) == 0;
}

int vc_wait_exit(struct vc_dev *dev, int timeout_ms)
{
	uint64_t deadline = vc_now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (vc_alive(dev)) {
		if (vc_now_ns() > deadline)
			return -ETIMEDOUT;
		usleep(2000);
	}
	return 0;
}

void vc_kill(struct vc_dev *dev)
{
	if (dev->spawned && vc_alive(dev)) {
		kill(dev->pid, SIGKILL);
		reap(dev, 0);
	}
}

void vc_disconnect(struct vc_dev *dev)
{
	if (dev->sock >= 0)
		close(dev->sock);
	dev->sock = -1;
	for (unsigned int i = 0; i < VC_MAX_QUEUES; i++) {
		struct vc_vq *vq = &dev->vqs[i];

		if (vq->kick_fd >= 0)
			close(vq->kick_fd);
		if (vq->call_fd >= 0)
			close(vq->call_fd);
		vq->kick_fd = vq->call_fd = -1;
	}
	if (dev->mem && !dev->mem_shared)
		munmap(dev->mem, dev->mem_size);
	dev->mem = NULL;
	if (dev->mem_fd >= 0)
		close(dev->mem_fd);
	dev->mem_fd = -1;
	if (dev->log)
		munmap(dev->log, dev->log_size);
	dev->log = NULL;
	if (dev->log_fd >= 0)
		close(dev->log_fd);
	dev->log_fd = -1;
}

int vc_send_raw(struct vc_dev *dev, const void *buf, size_t len,
		const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 32)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds < 0 || nfds > 32)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	do {
		n = sendmsg(dev->sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int vc_send(struct vc_dev *dev, uint32_t req, uint32_t flags,
	    const void *payload, uint32_t size, const int *fds, int nfds)
{
	uint8_t buf[sizeof(struct vu_msg_hdr) + VHOST_USER_MAX_PAYLOAD];
	struct vu_msg_hdr hdr = {
		.request = req,
		.flags = VHOST_USER_VERSION | flags,
		.size = size,
	};

	if (size > VHOST_USER_MAX_PAYLOAD)
		return -EINVAL;
	memcpy(buf, &hdr, sizeof(hdr));
	if (size)
		memcpy(buf + sizeof(hdr), payload, size);
	return vc_send_raw(dev, buf, sizeof(hdr) + size, fds, nfds);
}

/* Read exactly len bytes, or fail with -ETIMEDOUT / -EPIPE. */
static int read_full(struct vc_dev *dev, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = dev->sock, .events = POLLIN };
		ssize_t n;
		int r = poll(&pfd, 1, dev->timeout_ms);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = read(dev->sock, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vc_recv(struct vc_dev *dev, uint32_t req, void *payload, uint32_t size)
{
	uint8_t junk[VHOST_USER_MAX_PAYLOAD];
	struct vu_msg_hdr hdr;
	int r = read_full(dev, &hdr, sizeof(hdr));

	if (r)
		return r;
	if (hdr.size > VHOST_USER_MAX_PAYLOAD)
		return -EPROTO;
	if (hdr.size == size) {
		r = read_full(dev, payload, size);
	} else {
		r = read_full(dev, junk, hdr.size);
		if (!r)
			r = -EPROTO;
	}
	if (r)
		return r;
	if (hdr.request != req ||
	    (hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    !(hdr.flags & VHOST_USER_REPLY_MASK))
		return -EPROTO;
	return (int)hdr.size;
}

int vc_get_u64(struct vc_dev *dev, uint32_t req, uint64_t *val)
{
	int r = vc_send(dev, req, 0, NULL, 0, NULL, 0);

	if (r)
		return r;
	r = vc_recv(dev, req, val, sizeof(*val));
	return r < 0 ? r : 0;
}

static bool reply_ack(struct vc_dev *dev)
{
	return dev->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK);
}

/* With REPLY_ACK, a set-message can ask for a u64 status (0 = success). */
int vc_wait_ack(struct vc_dev *dev, uint32_t req, uint32_t flags)
{
	uint64_t status;
	int r;

	if (!(flags & VHOST_USER_NEED_REPLY_MASK))
		return 0;
	r = vc_recv(dev, req, &status, sizeof(status));
	if (r < 0)
		return r;
	return status ? -EREMOTEIO : 0;
}

static uint32_t ack_flag(struct vc_dev *dev)
{
	return reply_ack(dev) ? VHOST_USER_NEED_REPLY_MASK : 0;
}

int vc_set_u64(struct vc_dev *dev, uint32_t req, uint64_t val)
{
	uint32_t fl = ack_flag(dev);
	int r = vc_send(dev, req, fl, &val, sizeof(val), NULL, 0);

	return r ? r : vc_wait_ack(dev, req, fl);
}

int vc_set_state(struct vc_dev *dev, uint32_t req, unsigned int idx,
		 unsigned int num)
{
	struct vu_vring_state st = { .index = idx, .num = num };
	uint32_t fl = ack_flag(dev);
	int r = vc_send(dev, req, fl, &st, sizeof(st), NULL, 0);

	return r ? r : vc_wait_ack(dev, req, fl);
}

int vc_negotiate(struct vc_dev *dev, const struct vc_opts *o)
{
	uint64_t want = (1ull << VIRTIO_F_VERSION_1) |
			(1ull << VHOST_USER_F_PROTOCOL_FEATURES);
	/* What QEMU 10.2's vhost-user-fs asks for. */
	uint64_t pwant = (1ull << VHOST_USER_PROTOCOL_F_MQ) |
			 (1ull << VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
			 (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
			 (1ull << VHOST_USER_PROTOCOL_F_CONFIG) |
			 (1ull << VHOST_USER_PROTOCOL_F_DEVICE_STATE);
	int r;

	if (o->indirect)
		want |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (o->event_idx)
		want |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	r = vc_get_u64(dev, VHOST_USER_GET_FEATURES, &dev->backend_features);
	if (r)
		return r;
	if (!(dev->backend_features & (1ull << VIRTIO_F_VERSION_1)))
		return -ENOTSUP;
	dev->features = want & dev->backend_features;
	if (dev->features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)) {
		r = vc_get_u64(dev, VHOST_USER_GET_PROTOCOL_FEATURES,
			       &dev->backend_protocol_features);
		if (r)
			return r;
		/* Acked only after SET_PROTOCOL_FEATURES went through. */
		r = vc_send(dev, VHOST_USER_SET_PROTOCOL_FEATURES, 0,
			    &(uint64_t){ pwant & dev->backend_protocol_features },
			    sizeof(uint64_t), NULL, 0);
		if (r)
			return r;
		dev->protocol_features = pwant & dev->backend_protocol_features;
		if (dev->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_MQ)) {
			r = vc_get_u64(dev, VHOST_USER_GET_QUEUE_NUM,
				       &dev->queue_num);
			if (r)
				return r;
		}
	}
	r = vc_send(dev, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	if (r)
		return r;
	return vc_set_u64(dev, VHOST_USER_SET_FEATURES, dev->features);
}

int vc_get_config(struct vc_dev *dev, uint32_t offset, uint32_t size,
		  void *out)
{
	struct vu_config c = { .offset = offset, .size = size };
	struct vu_msg_hdr hdr;
	int r;

	if (size > VHOST_USER_MAX_CONFIG_SIZE)
		return -EINVAL;
	r = vc_send(dev, VHOST_USER_GET_CONFIG, 0, &c,
		    VHOST_USER_CONFIG_HDR_SIZE + size, NULL, 0);
	if (!r)
		r = read_full(dev, &hdr, sizeof(hdr));
	if (r)
		return r;
	if (hdr.request != VHOST_USER_GET_CONFIG ||
	    !(hdr.flags & VHOST_USER_REPLY_MASK))
		return -EPROTO;
	if (hdr.size == 0)
		return -EREMOTEIO; /* the back end's "no" */
	if (hdr.size != VHOST_USER_CONFIG_HDR_SIZE + size)
		return -EPROTO;
	r = read_full(dev, &c, hdr.size);
	if (r)
		return r;
	if (c.offset != offset || c.size != size)
		return -EPROTO;
	memcpy(out, c.region, size);
	return 0;
}

static uint64_t off_to_gpa(const struct vc_dev *dev, uint64_t off)
{
	for (unsigned int i = 0; i < dev->nregions; i++) {
		const struct vc_region *rg = &dev->regions[i];

		if (off >= rg->offset && off - rg->offset < rg->size)
			return rg->gpa + (off - rg->offset);
	}
	return UINT64_MAX;
}

void *vc_ptr(struct vc_dev *dev, uint64_t gpa)
{
	for (unsigned int i = 0; i < dev->nregions; i++) {
		const struct vc_region *rg = &dev->regions[i];

		if (gpa >= rg->gpa && gpa - rg->gpa < rg->size)
			return dev->mem + rg->offset + (gpa - rg->gpa);
	}
	return NULL;
}

/*
 * Bump allocator over the memfd. An allocation never crosses from one
 * region into the next, so every buffer is contiguous in both spaces.
 */
uint64_t vc_alloc(struct vc_dev *dev, size_t size, size_t align)
{
	size_t off = (dev->mem_brk + align - 1) & ~(align - 1);

	for (unsigned int i = 0; i < dev->nregions; i++) {
		const struct vc_region *rg = &dev->regions[i];
		uint64_t end = rg->offset + rg->size;

		if (off >= end)
			continue;
		if (off < rg->offset)
			off = rg->offset;
		if (size <= end - off) {
			dev->mem_brk = off + size;
			memset(dev->mem + off, 0, size);
			return off_to_gpa(dev, off);
		}
	}
	return UINT64_MAX;
}

int vc_mem_create(struct vc_dev *dev, const struct vc_opts *o)
{
	size_t half;

	dev->mem_size = (o->mem_size + 0x1fffff) & ~(size_t)0x1fffff;
	dev->mem_fd = memfd_create("vfsd-client-ram", MFD_CLOEXEC);
	if (dev->mem_fd < 0)
		return -errno;
	if (ftruncate(dev->mem_fd, (off_t)dev->mem_size) < 0)
		return -errno;
	dev->mem = mmap(NULL, dev->mem_size, PROT_READ | PROT_WRITE,
			MAP_SHARED, dev->mem_fd, 0);
	if (dev->mem == MAP_FAILED) {
		dev->mem = NULL;
		return -errno;
	}
	dev->mem_brk = 0;
	if (o->layout.nregions == 2) {
		half = dev->mem_size / 2;
		dev->nregions = 2;
		dev->regions[0] = (struct vc_region){ 0, half, 0 };
		dev->regions[1] = (struct vc_region){ half + o->layout.hole,
						      half, half };
	} else {
		dev->nregions = 1;
		dev->regions[0] = (struct vc_region){ 0, dev->mem_size, 0 };
	}
	return 0;
}

int vc_send_mem_table(struct vc_dev *dev)
{
	struct vu_mem_table mt = { .nregions = dev->nregions };
	int fds[VC_MAX_REGIONS];
	uint32_t fl = ack_flag(dev);
	int r;

	for (unsigned int i = 0; i < dev->nregions; i++) {
		mt.regions[i].guest_phys_addr = dev->regions[i].gpa;
		mt.regions[i].memory_size = dev->regions[i].size;
		mt.regions[i].userspace_addr =
			(uint64_t)(uintptr_t)(dev->mem + dev->regions[i].offset);
		mt.regions[i].mmap_offset = dev->regions[i].offset;
		fds[i] = dev->mem_fd;
	}
	r = vc_send(dev, VHOST_USER_SET_MEM_TABLE, fl, &mt,
		    (uint32_t)(8 + dev->nregions * sizeof(mt.regions[0])), fds,
		    (int)dev->nregions);
	return r ? r : vc_wait_ack(dev, VHOST_USER_SET_MEM_TABLE, fl);
}

int vc_vq_alloc(struct vc_dev *dev, unsigned int idx, unsigned int num)
{
	struct vc_vq *vq = &dev->vqs[idx];

	vq->index = idx;
	vq->num = num;
	vq->event_idx = dev->features & (1ull << VIRTIO_RING_F_EVENT_IDX);
	vq->desc_gpa = vc_alloc(dev, 16ull * num, 4096);
	vq->avail_gpa = vc_alloc(dev, 6 + 2ull * num, 4096);
	vq->used_gpa = vc_alloc(dev, 6 + 8ull * num, 4096);
	if (vq->desc_gpa == UINT64_MAX || vq->avail_gpa == UINT64_MAX ||
	    vq->used_gpa == UINT64_MAX)
		return -ENOMEM;
	vq->desc = vc_ptr(dev, vq->desc_gpa);
	vq->avail = vc_ptr(dev, vq->avail_gpa);
	vq->used = vc_ptr(dev, vq->used_gpa);
	vq->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vq->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vq->kick_fd < 0 || vq->call_fd < 0)
		return -errno;
	if (idx >= dev->nvqs)
		dev->nvqs = idx + 1;
	return 0;
}

static int send_fd_msg(struct vc_dev *dev, uint32_t req, unsigned int idx,
		       int fd)
{
	uint64_t v = idx;
	uint32_t fl = ack_flag(dev);
	int r = vc_send(dev, req, fl, &v, sizeof(v), &fd, 1);

	return r ? r : vc_wait_ack(dev, req, fl);
}

int vc_vq_enable(struct vc_dev *dev, unsigned int idx, bool on)
{
	if (!(dev->features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)))
		return 0;
	return vc_set_state(dev, VHOST_USER_SET_VRING_ENABLE, idx, on);
}

int vc_vq_set_addr(struct vc_dev *dev, unsigned int idx, bool log)
{
	struct vc_vq *vq = &dev->vqs[idx];
	struct vu_vring_addr a = {
		.index = idx,
		.flags = log ? 1u << VHOST_VRING_F_LOG : 0,
		.desc_user_addr = (uint64_t)(uintptr_t)vq->desc,
		.used_user_addr = (uint64_t)(uintptr_t)vq->used,
		.avail_user_addr = (uint64_t)(uintptr_t)vq->avail,
		.log_guest_addr = vq->used_gpa,
	};
	uint32_t fl = ack_flag(dev);
	int r = vc_send(dev, VHOST_USER_SET_VRING_ADDR, fl, &a, sizeof(a),
			NULL, 0);

	return r ? r : vc_wait_ack(dev, VHOST_USER_SET_VRING_ADDR, fl);
}

int vc_vq_start(struct vc_dev *dev, unsigned int idx)
{
	struct vc_vq *vq = &dev->vqs[idx];
	int r;

	r = vc_set_state(dev, VHOST_USER_SET_VRING_NUM, idx, vq->num);
	if (!r)
		r = vc_set_state(dev, VHOST_USER_SET_VRING_BASE, idx,
				 vq->base);
	if (!r)
		r = vc_vq_set_addr(dev, idx,
				   dev->features & (1ull << VHOST_F_LOG_ALL));
	/*
	 * CALL before KICK: KICK starts the ring, and a back end may have to
	 * signal completions of requests already queued at once.
	 */
	if (!r && !dev->kick_before_call)
		r = send_fd_msg(dev, VHOST_USER_SET_VRING_CALL, idx,
				vq->call_fd);
	if (!r)
		r = send_fd_msg(dev, VHOST_USER_SET_VRING_KICK, idx,
				vq->kick_fd);
	if (!r && dev->kick_before_call)
		r = send_fd_msg(dev, VHOST_USER_SET_VRING_CALL, idx,
				vq->call_fd);
	if (!r)
		r = vc_vq_enable(dev, idx, true);
	return r;
}

int vc_vq_stop(struct vc_dev *dev, unsigned int idx, unsigned int *base)
{
	struct vu_vring_state st = { .index = idx };
	int r = vc_send(dev, VHOST_USER_GET_VRING_BASE, 0, &st, sizeof(st),
			NULL, 0);

	if (r)
		return r;
	r = vc_recv(dev, VHOST_USER_GET_VRING_BASE, &st, sizeof(st));
	if (r < 0)
		return r;
	if (st.index != idx)
		return -EPROTO;
	*base = st.num;
	dev->vqs[idx].base = (uint16_t)st.num;
	return 0;
}

int vc_setup(struct vc_dev *dev, const struct vc_opts *o)
{
	int r = vc_negotiate(dev, o);

	/* Starting a queue the back end does not have may end it (virtiofsd). */
	if (!r && dev->queue_num && o->nvqs > dev->queue_num)
		r = -EOPNOTSUPP;
	if (!r)
		r = vc_mem_create(dev, o);
	if (!r)
		r = vc_send_mem_table(dev);
	for (unsigned int i = 0; !r && i < o->nvqs; i++)
		r = vc_vq_alloc(dev, i, o->queue_size);
	for (unsigned int i = 0; !r && i < o->nvqs; i++)
		r = vc_vq_start(dev, i);
	return r;
}

void vc_vq_kick(struct vc_vq *vq)
{
	uint64_t one = 1;

	if (write(vq->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("vfsd-client: kick");
}

void vc_vq_publish(struct vc_vq *vq, uint16_t head)
{
	uint16_t old = vq->avail_idx;
	bool notify;

	vq->avail->ring[old % vq->num] = head;
	vq->avail_idx = (uint16_t)(old + 1);
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	/* The index store must be visible before we read the suppression. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx)
		notify = vring_need_event(
			__atomic_load_n((uint16_t *)&vq->used->ring[vq->num],
					__ATOMIC_ACQUIRE),
			vq->avail_idx, old);
	else
		notify = !(__atomic_load_n(&vq->used->flags, __ATOMIC_ACQUIRE) &
			   VRING_USED_F_NO_NOTIFY);
	if (notify && !vq->no_kick)
		vc_vq_kick(vq);
}

bool vc_vq_get_used(struct vc_vq *vq, uint32_t *id, uint32_t *len)
{
	uint16_t idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	struct vring_used_elem *e;

	if (idx == vq->last_used)
		return false;
	e = &vq->used->ring[vq->last_used % vq->num];
	*id = e->id;
	*len = e->len;
	vq->last_used++;
	if (vq->event_idx)
		__atomic_store_n(&vq->avail->ring[vq->num], vq->last_used,
				 __ATOMIC_RELEASE);
	return true;
}

static void drain_eventfd(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		perror("vfsd-client: call eventfd");
}

static bool vq_has_used(struct vc_vq *vq)
{
	return __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE) !=
	       vq->last_used;
}

int vc_vq_wait(struct vc_vq *vq, int timeout_ms)
{
	uint64_t deadline = vc_now_ns() + (uint64_t)timeout_ms * 1000000u;

	for (;;) {
		struct pollfd pfd = { .fd = vq->call_fd, .events = POLLIN };
		int64_t left;

		if (vq_has_used(vq))
			return 1;
		left = (int64_t)(deadline - vc_now_ns()) / 1000000;
		if (left < 0)
			return 0;
		/* Poll in slices: a back end that skips the call is still seen. */
		if (poll(&pfd, 1, left > 50 ? 50 : (int)left) > 0)
			drain_eventfd(vq->call_fd);
	}
}

/*
 * A vCPU with KVM's halt polling looks for its interrupt for a while before
 * it gives the core up; here the "interrupt" is a used element.
 */
int vc_wait_any_halt_poll(struct vc_dev *dev, uint64_t poll_ns,
			  int timeout_ms)
{
	uint64_t t0, now, prev;
	unsigned int spins = 0;

	if (poll_ns) {
		t0 = now = vc_now_ns();
		do {
			for (unsigned int i = 0; i < dev->nvqs; i++)
				if (vq_has_used(&dev->vqs[i]))
					return 1;
			/*
			 * KVM stops polling when another task wants the core
			 * (single_task_running); a yield, then a clock jump,
			 * is how that looks from here.
			 */
			if (++spins % 16 == 0)
				sched_yield();
			else
				cpu_relax();
			prev = now;
			now = vc_now_ns();
		} while (now - t0 < poll_ns && now - prev < 20000);
	}
	return vc_wait_any(dev, timeout_ms);
}

int vc_wait_any(struct vc_dev *dev, int timeout_ms)
{
	struct pollfd pfd[VC_MAX_QUEUES];
	int r;

	for (unsigned int i = 0; i < dev->nvqs; i++) {
		if (vq_has_used(&dev->vqs[i]))
			return 1;
		pfd[i] = (struct pollfd){ .fd = dev->vqs[i].call_fd,
					  .events = POLLIN };
	}
	r = poll(pfd, dev->nvqs, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	for (unsigned int i = 0; i < dev->nvqs; i++)
		if (pfd[i].revents & POLLIN)
			drain_eventfd(pfd[i].fd);
	return r;
}
