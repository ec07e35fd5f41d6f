/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport/vu_conn.h"
#include "transport/vu_dev.h"
#include "util/compiler.h"

static struct vu_msg *new_msg(uint32_t req, uint32_t size)
{
	static struct vu_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.request = req;
	m.hdr.flags = VHOST_USER_VERSION;
	m.hdr.size = size;
	for (unsigned int i = 0; i < VU_MAX_FDS; i++)
		m.fds[i] = -1;
	return &m;
}

static int check(const struct vu_msg *m)
{
	const char *why;

	return vu_msg_check(m, &why);
}

static void test_check_sizes(void **state)
{
	struct vu_msg *m;

	(void)state;
	m = new_msg(VHOST_USER_GET_FEATURES, 0);
	assert_int_equal(check(m), 0);
	m->hdr.size = 8;
	assert_int_equal(check(m), -EPROTO);
	m = new_msg(VHOST_USER_SET_FEATURES, 8);
	assert_int_equal(check(m), 0);
	m->hdr.size = 4;
	assert_int_equal(check(m), -EPROTO);
	m = new_msg(VHOST_USER_SET_VRING_ADDR, 40);
	assert_int_equal(check(m), 0);
	m->hdr.size = 48;
	assert_int_equal(check(m), -EPROTO);
	m = new_msg(VHOST_USER_SET_VRING_NUM, VHOST_USER_MAX_PAYLOAD + 1);
	assert_int_equal(check(m), -EMSGSIZE);
	/* A config window: header, then exactly the size it claims. */
	m = new_msg(VHOST_USER_GET_CONFIG, 100);
	m->payload.config.size = 88;
	assert_int_equal(check(m), 0);
	m->payload.config.size = 89;
	assert_int_equal(check(m), -EPROTO);
	m->payload.config.size = 0xffffffffu - 11;
	assert_int_equal(check(m), -EPROTO);
	m = new_msg(VHOST_USER_SET_CONFIG, 8);
	assert_int_equal(check(m), -EPROTO);
	m = new_msg(VHOST_USER_GET_CONFIG, 12 + 300);
	m->payload.config.size = 300;
	assert_int_equal(check(m), -EPROTO);
	/* Unknown requests pass here; the device refuses them. */
	m = new_msg(VHOST_USER_GET_INFLIGHT_FD, 100);
	assert_int_equal(check(m), 0);
	m = new_msg(12345, 0);
	assert_int_equal(check(m), 0);
}

static void test_check_header_flags(void **state)
{
	struct vu_msg *m;

	(void)state;
	m = new_msg(VHOST_USER_SET_OWNER, 0);
	m->hdr.flags = 2;
	assert_int_equal(check(m), -EPROTO);
	m->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	assert_int_equal(check(m), -EPROTO);
	m->hdr.flags = VHOST_USER_VERSION | VHOST_USER_NEED_REPLY_MASK;
	assert_int_equal(check(m), 0);
}

static void test_check_mem_table(void **state)
{
	struct vu_msg *m;

	(void)state;
	m = new_msg(VHOST_USER_SET_MEM_TABLE, 8 + 2 * 32);
	m->payload.mem.nregions = 2;
	m->nfds = 2;
	assert_int_equal(check(m), 0);
	/* Count says 3, size says 2. */
	m->payload.mem.nregions = 3;
	m->nfds = 3;
	assert_int_equal(check(m), -EPROTO);
	/* Fds disagree with the count. */
	m->payload.mem.nregions = 2;
	m->nfds = 1;
	assert_int_equal(check(m), -EPROTO);
	/* Count out of range, whatever the size says. */
	m = new_msg(VHOST_USER_SET_MEM_TABLE, 8 + 9 * 32);
	m->payload.mem.nregions = 9;
	m->nfds = 8;
	assert_int_equal(check(m), -EPROTO);
	m = new_msg(VHOST_USER_SET_MEM_TABLE, 4);
	assert_int_equal(check(m), -EPROTO);
}

static void test_check_vring_fds(void **state)
{
	struct vu_msg *m;

	(void)state;
	m = new_msg(VHOST_USER_SET_VRING_KICK, 8);
	m->payload.u64 = 1;
	m->nfds = 1;
	assert_int_equal(check(m), 0);
	m->nfds = 0;
	assert_int_equal(check(m), -EPROTO);
	m->payload.u64 = 1 | VHOST_USER_VRING_NOFD_MASK;
	assert_int_equal(check(m), 0);
	m->nfds = 1;
	assert_int_equal(check(m), -EPROTO);
	m = new_msg(VHOST_USER_GET_FEATURES, 0);
	m->nfds = 1;
	assert_int_equal(check(m), -EPROTO);
}

/* Send m's header and len bytes of payload, nfds copies of fd attached. */
static void send_raw(int sock, const struct vu_msg *m, size_t len, int fd,
		     unsigned int nfds)
{
	char ctl[CMSG_SPACE(16 * sizeof(int))];
	static uint8_t buf[sizeof(struct vu_msg_hdr) + VHOST_USER_MAX_PAYLOAD];
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > 0) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		for (unsigned int i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
	}
	len += sizeof(m->hdr);
	iov.iov_len = len;
	memcpy(buf, &m->hdr, sizeof(m->hdr));
	memcpy(buf + sizeof(m->hdr), &m->payload, len - sizeof(m->hdr));
	assert_int_equal(sendmsg(sock, &mh, 0), (ssize_t)len);
}

static unsigned int count_open_fds(void)
{
	unsigned int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static void test_recv_good_and_eof(void **state)
{
	int sv[2];
	struct vu_msg *m = new_msg(VHOST_USER_SET_FEATURES, 8);
	static struct vu_msg got;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	m->payload.u64 = 0x1234;
	send_raw(sv[0], m, 8, -1, 0);
	assert_int_equal(vu_recv(sv[1], &got), 1);
	assert_int_equal(got.hdr.request, VHOST_USER_SET_FEATURES);
	assert_int_equal(got.payload.u64, 0x1234);
	assert_int_equal(got.nfds, 0);
	close(sv[0]);
	assert_int_equal(vu_recv(sv[1], &got), 0);
	close(sv[1]);
}

static void test_recv_lying_size(void **state)
{
	int sv[2];
	struct vu_msg *m = new_msg(VHOST_USER_SET_FEATURES, 8);
	static struct vu_msg got;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* Claims 8 bytes, sends 4 and hangs up. */
	send_raw(sv[0], m, 4, -1, 0);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(vu_recv(sv[1], &got), 0);
	close(sv[0]);
	close(sv[1]);

	/* Huge size. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	m = new_msg(VHOST_USER_SET_FEATURES, 0xffffffff);
	send_raw(sv[0], m, 8, -1, 0);
	assert_int_equal(vu_recv(sv[1], &got), 0);
	close(sv[0]);
	close(sv[1]);
}

static void test_recv_too_many_fds(void **state)
{
	int sv[2];
	struct vu_msg *m;
	static struct vu_msg got;
	unsigned int before;
	int efd;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	efd = eventfd(0, EFD_CLOEXEC);
	assert_true(efd >= 0);
	before = count_open_fds();

	/* Nine fds: more than any message may carry. */
	m = new_msg(VHOST_USER_SET_MEM_TABLE, 8 + 8 * 32);
	m->payload.mem.nregions = 8;
	send_raw(sv[0], m, m->hdr.size, efd, 9);
	assert_int_equal(vu_recv(sv[1], &got), 0);
	assert_int_equal(count_open_fds(), before);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	before = count_open_fds();

	/* An fd on a message that carries none. */
	m = new_msg(VHOST_USER_SET_OWNER, 0);
	send_raw(sv[0], m, 0, efd, 1);
	assert_int_equal(vu_recv(sv[1], &got), 0);
	assert_int_equal(count_open_fds(), before);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);

	/* Unknown request with an fd: passed on, fd is the caller's. */
	m = new_msg(VHOST_USER_SET_LOG_FD, 0);
	send_raw(sv[0], m, 0, efd, 1);
	assert_int_equal(vu_recv(sv[1], &got), 1);
	assert_int_equal(got.nfds, 1);
	vu_msg_close_fds(&got);
	assert_int_equal(count_open_fds(), before);

	close(efd);
	close(sv[0]);
	close(sv[1]);
}

static void test_listen_perms_and_stale(void **state)
{
	char dir[] = "/tmp/vfsd-listen-XXXXXX";
	char path[64];
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);

	/* A regular file in the way is not ours to delete. */
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vu_listen(path, NULL), -EEXIST);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(unlink(path), 0);

	fd = vu_listen(path, NULL);
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	close(fd);

	/* The stale socket is replaced; a group makes it 0660. */
	fd = vu_listen(path, "0");
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, 0);
	close(fd);

	assert_int_equal(vu_listen(path, "no-such-group-vfsd"), -EINVAL);
	/* Too long for sun_path. */
	{
		char longp[200];

		memset(longp, 'x', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = '\0';
		assert_int_equal(vu_listen(longp, NULL), -ENAMETOOLONG);
	}
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

/* A device whose queue start/stop only count. */
static unsigned int started[VU_MAX_QUEUES], stopped[VU_MAX_QUEUES];

static int mock_start(struct vu_dev *dev, unsigned int idx)
{
	(void)dev;
	started[idx]++;
	return 0;
}

static int mock_stop(struct vu_dev *dev, unsigned int idx)
{
	(void)dev;
	stopped[idx]++;
	return 0;
}

static const struct vu_dev_ops mock_ops = { mock_start, mock_stop };

static struct vu_dev dev;
static uint8_t *guest;
#define GUEST_SIZE 0x10000
#define GUEST_UVA 0x7f0000000000ULL

static int dev_setup(void **state)
{
	(void)state;
	memset(started, 0, sizeof(started));
	memset(stopped, 0, sizeof(stopped));
	assert_int_equal(vu_dev_init(&dev, &mock_ops), 0);
	return 0;
}

static int dev_teardown(void **state)
{
	(void)state;
	vu_dev_cleanup(&dev);
	return 0;
}

static int process(struct vu_msg *m, bool *reply)
{
	int ret = vu_dev_process(&dev, m, reply);

	vu_msg_close_fds(m);
	return ret;
}

static uint64_t do_u64(uint32_t req, uint32_t flags, uint64_t v,
		       uint32_t size)
{
	struct vu_msg *m = new_msg(req, size);
	bool reply;

	m->hdr.flags |= flags;
	m->payload.u64 = v;
	assert_int_equal(process(m, &reply), 0);
	if (!reply)
		return UINT64_MAX;
	assert_int_equal(m->hdr.flags,
			 VHOST_USER_VERSION | VHOST_USER_REPLY_MASK);
	assert_int_equal(m->hdr.size, 8);
	return m->payload.u64;
}

static void test_dev_features(void **state)
{
	uint64_t f;

	(void)state;
	f = do_u64(VHOST_USER_GET_FEATURES, 0, 0, 0);
	assert_true(f & (1ULL << 32));
	assert_true(f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
	assert_true(f & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	assert_true(f & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES));
	assert_true(f & (1ULL << VHOST_F_LOG_ALL));
	f = do_u64(VHOST_USER_GET_PROTOCOL_FEATURES, 0, 0, 0);
	/* No DEVICE_STATE without state to carry (vu_dev_set_state()). */
	assert_int_equal(f, (1ULL << VHOST_USER_PROTOCOL_F_MQ) |
				    (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
				    (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	assert_true(do_u64(VHOST_USER_GET_QUEUE_NUM, 0, 0, 0) >= 17);
	/* No ack before REPLY_ACK is negotiated. */
	assert_int_equal(do_u64(VHOST_USER_SET_OWNER,
				VHOST_USER_NEED_REPLY_MASK, 0, 0),
			 UINT64_MAX);
	assert_int_equal(do_u64(VHOST_USER_SET_PROTOCOL_FEATURES, 0, f, 8),
			 UINT64_MAX);
	assert_int_equal(do_u64(VHOST_USER_SET_OWNER,
				VHOST_USER_NEED_REPLY_MASK, 0, 0),
			 0);
	/* Unknown request: error ack, or silence if none was asked for. */
	assert_int_equal(do_u64(VHOST_USER_SET_INFLIGHT_FD,
				VHOST_USER_NEED_REPLY_MASK, 0, 8),
			 1);
	assert_int_equal(do_u64(VHOST_USER_NET_SET_MTU, 0, 0, 8), UINT64_MAX);
	assert_int_equal(do_u64(999, VHOST_USER_NEED_REPLY_MASK, 0, 0), 1);
	/* Bad queue size and index get an error ack. */
	assert_int_equal(do_u64(VHOST_USER_SET_VRING_NUM,
				VHOST_USER_NEED_REPLY_MASK,
				1 | (100ULL << 32), 8),
			 1);
	assert_int_equal(do_u64(VHOST_USER_SET_VRING_NUM,
				VHOST_USER_NEED_REPLY_MASK,
				500 | (128ULL << 32), 8),
			 1);
	assert_int_equal(do_u64(VHOST_USER_SET_VRING_NUM,
				VHOST_USER_NEED_REPLY_MASK,
				1 | (128ULL << 32), 8),
			 0);
}

static void test_dev_get_vring_base_bad_index(void **state)
{
	struct vu_msg *m = new_msg(VHOST_USER_GET_VRING_BASE, 8);
	bool reply;

	(void)state;
	m->payload.state.index = VU_MAX_QUEUES;
	assert_int_equal(process(m, &reply), -EPROTO);
}

static void send_mem_table(void)
{
	struct vu_msg *m = new_msg(VHOST_USER_SET_MEM_TABLE, 8 + 32);
	int fd = memfd_create("guest", MFD_CLOEXEC);
	bool reply;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, GUEST_SIZE), 0);
	m->payload.mem.nregions = 1;
	m->payload.mem.regions[0] = (struct vu_mem_region){
		0, GUEST_SIZE, GUEST_UVA, 0 };
	m->fds[0] = fd;
	m->nfds = 1;
	assert_int_equal(process(m, &reply), 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	guest = gm_uva_to_hva(&dev.mem, GUEST_UVA, GUEST_SIZE);
	assert_non_null(guest);
}

static void setup_ring(unsigned int idx)
{
	struct vu_msg *m;
	bool reply;

	m = new_msg(VHOST_USER_SET_VRING_NUM, 8);
	m->payload.state = (struct vu_vring_state){ idx, 64 };
	assert_int_equal(process(m, &reply), 0);
	m = new_msg(VHOST_USER_SET_VRING_BASE, 8);
	m->payload.state = (struct vu_vring_state){ idx, 7 };
	assert_int_equal(process(m, &reply), 0);
	m = new_msg(VHOST_USER_SET_VRING_ADDR, 40);
	m->payload.addr = (struct vu_vring_addr){
		.index = idx,
		.desc_user_addr = GUEST_UVA,
		.avail_user_addr = GUEST_UVA + 0x1000,
		.used_user_addr = GUEST_UVA + 0x2000,
	};
	assert_int_equal(process(m, &reply), 0);
	m = new_msg(VHOST_USER_SET_VRING_KICK, 8);
	m->payload.u64 = idx;
	m->fds[0] = eventfd(0, EFD_CLOEXEC);
	m->nfds = 1;
	assert_int_equal(process(m, &reply), 0);
}

static void test_dev_ring_starts_on_enable(void **state)
{
	struct vu_msg *m;
	bool reply;

	(void)state;
	do_u64(VHOST_USER_SET_FEATURES, 0,
	       (1ULL << 32) | (1ULL << VHOST_USER_F_PROTOCOL_FEATURES), 8);
	send_mem_table();
	setup_ring(1);
	/* Protocol features negotiated: disabled until SET_VRING_ENABLE. */
	assert_int_equal(started[1], 0);
	m = new_msg(VHOST_USER_SET_VRING_ENABLE, 8);
	m->payload.state = (struct vu_vring_state){ 1, 1 };
	assert_int_equal(process(m, &reply), 0);
	assert_int_equal(started[1], 1);
	assert_true(dev.q[1].running);
	assert_int_equal(dev.q[1].vq.last_avail_idx, 7);

	/* A new memory table restarts the running ring on the new mapping. */
	send_mem_table();
	assert_int_equal(stopped[1], 1);
	assert_int_equal(started[1], 2);

	m = new_msg(VHOST_USER_GET_VRING_BASE, 8);
	m->payload.state = (struct vu_vring_state){ 1, 0 };
	assert_int_equal(process(m, &reply), 0);
	assert_true(reply);
	assert_int_equal(stopped[1], 2);
	assert_int_equal(m->payload.state.index, 1);
	assert_int_equal(m->payload.state.num, 7);
	assert_int_equal(m->hdr.size, 8);
	assert_false(dev.q[1].running);
	assert_int_equal(dev.q[1].kick_fd, -1);
}

static void test_dev_ring_starts_on_kick_without_protocol_features(
	void **state)
{
	(void)state;
	do_u64(VHOST_USER_SET_FEATURES, 0, 1ULL << 32, 8);
	send_mem_table();
	setup_ring(0);
	assert_int_equal(started[0], 1);
	/* A ring whose addresses are outside guest memory never runs. */
	setup_ring(2);
	assert_int_equal(started[2], 1);
	{
		struct vu_msg *m = new_msg(VHOST_USER_SET_VRING_ADDR, 40);
		bool reply;

		m->payload.addr = (struct vu_vring_addr){
			.index = 3,
			.desc_user_addr = 0x1000,
			.avail_user_addr = 0x2000,
			.used_user_addr = 0x3000,
		};
		assert_int_equal(process(m, &reply), 0);
		m = new_msg(VHOST_USER_SET_VRING_NUM, 8);
		m->payload.state = (struct vu_vring_state){ 3, 64 };
		assert_int_equal(process(m, &reply), 0);
		m = new_msg(VHOST_USER_SET_VRING_KICK, 8);
		m->payload.u64 = 3;
		m->fds[0] = eventfd(0, EFD_CLOEXEC);
		m->nfds = 1;
		assert_int_equal(process(m, &reply), 0);
		assert_int_equal(started[3], 0);
		assert_true(dev.q[3].vq.broken);
	}
}

static void test_dev_bad_vring_file_payload(void **state)
{
	(void)state;
	do_u64(VHOST_USER_SET_PROTOCOL_FEATURES, 0,
	       1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK, 8);
	assert_int_equal(do_u64(VHOST_USER_SET_VRING_CALL,
				VHOST_USER_NEED_REPLY_MASK,
				VU_MAX_QUEUES | VHOST_USER_VRING_NOFD_MASK, 8),
			 1);
	assert_int_equal(do_u64(VHOST_USER_SET_VRING_ERR,
				VHOST_USER_NEED_REPLY_MASK,
				(1ULL << 40) | VHOST_USER_VRING_NOFD_MASK, 8),
			 1);
	assert_int_equal(do_u64(VHOST_USER_SET_VRING_CALL,
				VHOST_USER_NEED_REPLY_MASK,
				1 | VHOST_USER_VRING_NOFD_MASK, 8),
			 0);
}

/* Attach the fds m's request needs (eventfds, or memfds for a table). */
static void attach_fds(struct vu_msg *m, unsigned int *seed)
{
	unsigned int n = 0;

	if (m->hdr.request == VHOST_USER_SET_MEM_TABLE) {
		n = m->payload.mem.nregions;
		for (unsigned int i = 0; i < n; i++) {
			m->fds[i] = memfd_create("r", MFD_CLOEXEC);
			assert_true(m->fds[i] >= 0);
			assert_int_equal(ftruncate(m->fds[i],
						   rand_r(seed) % 3 * 0x8000),
					 0);
		}
	} else if ((m->hdr.request == VHOST_USER_SET_VRING_KICK ||
		    m->hdr.request == VHOST_USER_SET_VRING_CALL ||
		    m->hdr.request == VHOST_USER_SET_VRING_ERR) &&
		   !(m->payload.u64 & VHOST_USER_VRING_NOFD_MASK)) {
		n = 1;
		m->fds[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		assert_true(m->fds[0] >= 0);
	}
	m->nfds = n;
}

/* Random but well-formed messages: the state machine never trips. */
static void test_dev_random_messages(void **state)
{
	static const uint32_t sizes[] = { 0, 8, 8, 0, 0, 0, 0, 0, 8, 40,
					  8, 8, 8, 8, 8, 0, 8, 0, 8 };
	unsigned int seed = 4242, accepted = 0;
	unsigned int before = count_open_fds();
	int saved_stderr = dup(STDERR_FILENO);
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

	(void)state;
	assert_true(saved_stderr >= 0 && devnull >= 0);
	assert_int_equal(dup2(devnull, STDERR_FILENO), STDERR_FILENO);
	for (unsigned int i = 0; i < 20000; i++) {
		static const uint32_t ring_reqs[] = {
			VHOST_USER_SET_VRING_NUM, VHOST_USER_SET_VRING_ADDR,
			VHOST_USER_SET_VRING_KICK, VHOST_USER_SET_VRING_ENABLE,
			VHOST_USER_SET_VRING_BASE, VHOST_USER_SET_VRING_CALL,
			VHOST_USER_SET_MEM_TABLE, VHOST_USER_SET_FEATURES,
		};
		bool sane = rand_r(&seed) % 4 != 0;
		uint32_t req = sane ? ring_reqs[(unsigned int)rand_r(&seed) %
						ARRAY_SIZE(ring_reqs)]
				    : (uint32_t)(rand_r(&seed) %
						 (VHOST_USER_MAX + 2));
		uint32_t size = req < ARRAY_SIZE(sizes) ? sizes[req] : 8;
		struct vu_msg *m;
		const char *why;
		bool reply;

		if (req == VHOST_USER_SET_MEM_TABLE)
			size = 8 + 32 * (uint32_t)(sane ? 1
							: 1 + rand_r(&seed) % 3);
		m = new_msg(req, size);
		if (rand_r(&seed) % 2)
			m->hdr.flags |= VHOST_USER_NEED_REPLY_MASK;
		for (unsigned int b = 0; b < size; b++)
			m->payload.raw[b] = (uint8_t)rand_r(&seed);
		/* Keep indices and sizes often in range. */
		if (size == 8 && sane) {
			m->payload.state.index %= 4;
			m->payload.state.num =
				req == VHOST_USER_SET_VRING_ENABLE ?
					(uint32_t)(rand_r(&seed) % 2) :
					1u << (rand_r(&seed) % 8);
		}
		if (req == VHOST_USER_SET_MEM_TABLE) {
			m->payload.mem.nregions = (size - 8) / 32;
			for (unsigned int r = 0; r < m->payload.mem.nregions;
			     r++) {
				m->payload.mem.regions[r].memory_size =
					0x1000 * (uint64_t)(rand_r(&seed) % 8);
				m->payload.mem.regions[r].mmap_offset =
					0x1000 * (uint64_t)(rand_r(&seed) % 4);
				m->payload.mem.regions[r].userspace_addr =
					0x10000 * (uint64_t)(rand_r(&seed) % 4);
				m->payload.mem.regions[r].guest_phys_addr =
					0x10000 * (uint64_t)(rand_r(&seed) % 4);
			}
		}
		if (req == VHOST_USER_SET_MEM_TABLE && sane)
			m->payload.mem.regions[0] = (struct vu_mem_region){
				0, 0x10000,
				0x10000 * (uint64_t)(rand_r(&seed) % 2), 0
			};
		if ((req == VHOST_USER_SET_VRING_KICK ||
		     req == VHOST_USER_SET_VRING_CALL ||
		     req == VHOST_USER_SET_VRING_ERR) && sane) {
			m->payload.u64 = (uint64_t)(rand_r(&seed) % 4);
			if (rand_r(&seed) % 8 == 0)
				m->payload.u64 |= VHOST_USER_VRING_NOFD_MASK;
		}
		if (req == VHOST_USER_SET_VRING_ADDR && sane) {
			m->payload.addr.index %= 4;
			m->payload.addr.desc_user_addr = 0x10000 *
				(uint64_t)(rand_r(&seed) % 4);
			m->payload.addr.avail_user_addr =
				m->payload.addr.desc_user_addr + 0x1000;
			m->payload.addr.used_user_addr =
				m->payload.addr.desc_user_addr + 0x2000;
		}
		attach_fds(m, &seed);
		if (vu_msg_check(m, &why) < 0) {
			vu_msg_close_fds(m);
			continue;
		}
		accepted++;
		if (vu_dev_process(&dev, m, &reply) == 0 && reply)
			assert_true(m->hdr.size <= sizeof(m->payload));
		vu_msg_close_fds(m);
		/* Running queues never outnumber what was started. */
		for (unsigned int q = 0; q < VU_MAX_QUEUES; q++)
			assert_true(started[q] - stopped[q] ==
				    (dev.q[q].running ? 1u : 0u));
	}
	assert_int_equal(dup2(saved_stderr, STDERR_FILENO), STDERR_FILENO);
	close(saved_stderr);
	close(devnull);
	{
		unsigned int starts = 0;

		for (unsigned int q = 0; q < VU_MAX_QUEUES; q++)
			starts += started[q];
		print_message("# random messages: %u accepted, %u starts\n",
			      accepted, starts);
		assert_true(starts > 0);
	}
	assert_true(accepted > 1000);
	vu_dev_cleanup(&dev);
	assert_int_equal(count_open_fds(), before);
	assert_int_equal(vu_dev_init(&dev, &mock_ops), 0);
}

/* GET_CONFIG of size bytes at offset; the reply's payload size. */
static uint32_t get_config(uint32_t offset, uint32_t size, uint8_t *out)
{
	struct vu_msg *m = new_msg(VHOST_USER_GET_CONFIG,
				   VHOST_USER_CONFIG_HDR_SIZE + size);
	bool reply = false;

	m->payload.config.offset = offset;
	m->payload.config.size = size;
	memset(m->payload.config.region, 0xee, size);
	assert_int_equal(check(m), 0);
	assert_int_equal(process(m, &reply), 0);
	assert_true(reply); /* a GET is always answered */
	assert_int_equal(m->hdr.flags, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK);
	if (m->hdr.size) {
		assert_int_equal(m->hdr.size, VHOST_USER_CONFIG_HDR_SIZE + size);
		assert_int_equal(m->payload.config.offset, offset);
		assert_int_equal(m->payload.config.size, size);
		memcpy(out, m->payload.config.region, size);
	}
	return m->hdr.size;
}

/*
 * --tag: CONFIG is offered only with a tag; the window is checked against
 * the 40-byte virtio_fs_config whatever the front end claims.
 */
static void test_dev_config_tag(void **state)
{
	uint8_t buf[64];
	uint32_t nreq;
	uint64_t f;

	(void)state;
	/* Without a tag: not offered, and GET_CONFIG gets the error answer. */
	f = do_u64(VHOST_USER_GET_PROTOCOL_FEATURES, 0, 0, 0);
	assert_false(f & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG));
	assert_int_equal(get_config(0, 40, buf), 0);

	vu_dev_set_tag(&dev, "share-tag");
	f = do_u64(VHOST_USER_GET_PROTOCOL_FEATURES, 0, 0, 0);
	assert_true(f & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG));
	/* Offered but not negotiated: still the error answer. */
	assert_int_equal(get_config(0, 40, buf), 0);
	assert_int_equal(do_u64(VHOST_USER_SET_PROTOCOL_FEATURES, 0, f, 8),
			 UINT64_MAX);

	assert_int_equal(get_config(0, 40, buf), 12 + 40);
	assert_memory_equal(buf, "share-tag", 9);
	for (unsigned int i = 9; i < 36; i++)
		assert_int_equal(buf[i], 0);
	memcpy(&nreq, buf + 36, 4);
	assert_int_equal(nreq, VU_MAX_QUEUES - 1);
	/* A window inside, and windows past the end or wrapping. */
	assert_int_equal(get_config(6, 3, buf), 12 + 3);
	assert_memory_equal(buf, "tag", 3);
	assert_int_equal(get_config(40, 0, buf), 12);
	assert_int_equal(get_config(36, 5, buf), 0);
	assert_int_equal(get_config(41, 0, buf), 0);
	assert_int_equal(get_config(0xfffffff0u, 0x20, buf), 0);
	assert_int_equal(get_config(0, 256, buf), 0);
	/* Read-only: SET_CONFIG gets an error ack. */
	{
		struct vu_msg *m = new_msg(VHOST_USER_SET_CONFIG, 12 + 4);
		bool reply;

		m->hdr.flags |= VHOST_USER_NEED_REPLY_MASK;
		m->payload.config.size = 4;
		assert_int_equal(check(m), 0);
		assert_int_equal(process(m, &reply), 0);
		assert_true(reply);
		assert_int_equal(m->payload.u64, 1);
	}
	/* A full 36-byte tag fills the field with no terminator. */
	vu_dev_set_tag(&dev, "0123456789abcdef0123456789abcdef0123");
	assert_int_equal(get_config(0, 37, buf), 12 + 37);
	assert_memory_equal(buf, "0123456789abcdef0123456789abcdef0123", 36);
	assert_int_equal(buf[36], 16);
}

#define D(fn) cmocka_unit_test_setup_teardown(fn, dev_setup, dev_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_sizes),
		cmocka_unit_test(test_check_header_flags),
		cmocka_unit_test(test_check_mem_table),
		cmocka_unit_test(test_check_vring_fds),
		cmocka_unit_test(test_recv_good_and_eof),
		cmocka_unit_test(test_recv_lying_size),
		cmocka_unit_test(test_recv_too_many_fds),
		cmocka_unit_test(test_listen_perms_and_stale),
		D(test_dev_features),
		D(test_dev_get_vring_base_bad_index),
		D(test_dev_ring_starts_on_enable),
		D(test_dev_ring_starts_on_kick_without_protocol_features),
		D(test_dev_bad_vring_file_payload),
		D(test_dev_random_messages),
		D(test_dev_config_tag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
