/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhost-user messages through the real receive path and device state
 * machine: each record is written, with the fds it asks for, into one end
 * of a socketpair; vu_recv() reads, checks and takes it from the other end
 * (non-blocking, so a header that promises more bytes than were sent ends
 * the connection instead of hanging) and vu_dev_process() acts on it.
 * When a queue starts, its ring is drained right away over the memfd guest
 * memory, the way a queue thread would, so the fuzzer reaches the
 * descriptor walker through SET_MEM_TABLE and SET_VRING_ADDR too.
 *
 * Input: u16 n (little endian) and n bytes of guest memory image, copied
 * to the start of every 64 KiB memfd (so rings and chains can be laid
 * out), then records of
 *	u8  fds		count (% 9) and kind ((/ 9) % 4: eventfd, 64 KiB
 *			memfd, 4 KiB memfd, /dev/null)
 *	u16 len		bytes that follow (little endian), sent as they are:
 *			a vu_msg_hdr, then its payload, or anything else
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport/vu_dev.h"
#include "util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_CHAINS 64

static struct iovec fz_iov[VQ_MAX_IOV];
static volatile uint8_t fz_sink;
static const uint8_t *fz_image;
static size_t fz_image_len;

/* Touch every byte the chain gave us: reads out, writes in (spec names). */
static void fz_use_chain(const struct vq_chain *c)
{
	uint8_t sum = 0;

	for (unsigned int i = 0; i < c->out_cnt; i++) {
		const uint8_t *p = c->iov[i].iov_base;

		for (size_t j = 0; j < c->iov[i].iov_len; j++)
			sum ^= p[j];
	}
	for (unsigned int i = c->out_cnt; i < c->out_cnt + c->in_cnt; i++)
		memset(c->iov[i].iov_base, 0x5a, c->iov[i].iov_len);
	fz_sink = sum;
}

static int fz_queue_start(struct vu_dev *dev, unsigned int idx)
{
	struct vu_queue *q = &dev->q[idx];
	struct vq_chain c = { .iov = fz_iov, .iov_cap = VQ_MAX_IOV };

	for (unsigned int n = 0; n < FZ_MAX_CHAINS; n++) {
		if (vq_pop(&q->vq, &c) != 1)
			break;
		if (c.out_cnt + c.in_cnt > c.iov_cap)
			__builtin_trap();
		fz_use_chain(&c);
		pthread_mutex_lock(&q->lock);
		vq_push(&q->vq, c.head, (uint32_t)c.in_len);
		vq_notify(&q->vq);
		pthread_mutex_unlock(&q->lock);
	}
	return 0;
}

static void fz_queue_stop(struct vu_dev *dev, unsigned int idx)
{
	(void)dev;
	(void)idx;
}

static const struct vu_dev_ops fz_ops = { fz_queue_start, fz_queue_stop };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Every bad message is logged at error level: too slow to keep. */
	log_setup(LOG_LVL_ERR, false);
	return 0;
}

static int fz_make_fd(unsigned int kind)
{
	int fd;

	switch (kind) {
	case 0:
		return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	case 1:
	case 2:
		fd = memfd_create("fuzz-guest", MFD_CLOEXEC);
		if (fd < 0)
			return -1;
		if (ftruncate(fd, kind == 1 ? 0x10000 : 0x1000) ||
		    (kind == 1 && fz_image_len &&
		     pwrite(fd, fz_image, fz_image_len, 0) !=
			     (ssize_t)fz_image_len)) {
			close(fd);
			return -1;
		}
		return fd;
	default:
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	}
}

/* Send bytes with n fresh fds of one kind; our copies are closed after. */
static int fz_send(int sock, const uint8_t *p, size_t len, uint8_t spec)
{
	union {
		char buf[CMSG_SPACE(VU_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)p, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned int n = spec % 9, kind = spec / 9 % 4;
	int fds[VU_MAX_FDS];
	unsigned int made = 0;
	ssize_t sent;

	for (; made < n; made++) {
		fds[made] = fz_make_fd(kind);
		if (fds[made] < 0)
			break;
	}
	if (made) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(made * sizeof(int));
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(made * sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), fds, made * sizeof(int));
	}
	sent = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	for (unsigned int i = 0; i < made; i++)
		close(fds[i]);
	return sent == (ssize_t)len ? 0 : -1;
}

static int fz_pending(int sock)
{
	int n = 0;

	if (ioctl(sock, FIONREAD, &n))
		return 0;
	return n;
}

/* Receive and act on whatever is queued; false: the connection ends. */
static bool fz_drain(struct vu_dev *dev, int sock, struct vu_msg *msg)
{
	while (fz_pending(sock) > 0) {
		bool reply = false;
		int ret;

		if (vu_recv(sock, msg) != 1)
			return false;
		ret = vu_dev_process(dev, msg, &reply);
		vu_msg_close_fds(msg);
		if (ret < 0)
			return false;
		if (reply && msg->hdr.size > sizeof(msg->payload))
			__builtin_trap();
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vu_msg msg;
	struct vu_dev dev;
	size_t pos = 0;
	int sv[2];

	if (size < 2)
		return 0;
	fz_image_len = data[0] | (size_t)data[1] << 8;
	if (fz_image_len > size - 2)
		fz_image_len = size - 2;
	fz_image = data + 2;
	pos = 2 + fz_image_len;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 0;
	if (fcntl(sv[1], F_SETFL, O_NONBLOCK) || vu_dev_init(&dev, &fz_ops)) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	/* Half the inputs with a tag: GET_CONFIG's window checks then run. */
	if (data[0] & 1)
		vu_dev_set_tag(&dev, "fuzz");
	while (size - pos >= 3) {
		uint8_t spec = data[pos];
		size_t len = data[pos + 1] | (size_t)data[pos + 2] << 8;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		if (len && fz_send(sv[0], data + pos, len, spec))
			break;
		pos += len;
		if (!fz_drain(&dev, sv[1], &msg))
			break;
	}
	vu_dev_cleanup(&dev);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
