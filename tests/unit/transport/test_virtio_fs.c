/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio_fs_serve() against a small front end in the test: a memfd as guest
 * RAM, split rings in it, the vhost-user handshake over the real socket,
 * then requests through the rings to a handler that echoes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport/virtio_fs.h"
#include "transport/vu_proto.h"

#define RAM_SIZE (1u << 20)
#define QSZ 16u
#define NQUEUES 2u
/* Per queue: rings at q * 0x4000, data at 0x10000 + q * 0x40000. */
#define RING_BASE(q) ((uint64_t)(q) * 0x4000)
#define DATA_BASE(q) (0x10000 + (uint64_t)(q) * 0x40000)
#define SLOT 0x1000

struct frontend {
	char dir[64];
	char path[96];
	int listen_fd;
	int sock;
	int memfd;
	uint8_t *ram;
	int kick[NQUEUES];
	int call[NQUEUES];
	int err[NQUEUES];
	uint16_t avail_idx[NQUEUES];
	pthread_t server;
	int server_ret;
	struct virtio_fs_opts opts;
};

static unsigned int handled[NQUEUES];

/* While blocked, handlers of queue 1 wait here (pool tests only). */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_closed;
static unsigned int gate_waiting;

static void gate_pass(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_waiting++;
	while (gate_closed)
		pthread_cond_wait(&gate_cond, &gate_lock);
	gate_waiting--;
	pthread_mutex_unlock(&gate_lock);
}

static void gate_set(bool closed)
{
	pthread_mutex_lock(&gate_lock);
	gate_closed = closed;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

static unsigned int gate_waiters(void)
{
	unsigned int n;

	pthread_mutex_lock(&gate_lock);
	n = gate_waiting;
	pthread_mutex_unlock(&gate_lock);
	return n;
}

/* Requests that wait for the stop of their queue, and those that saw it. */
#define UNTIL_STOP "until the queue stops"
static unsigned int waiting_for_stop, saw_stop;

/* A request that waits like a blocked lock: until its queue stops. */
static void wait_for_stop(const struct fuse_req *req)
{
	__atomic_fetch_add(&waiting_for_stop, 1, __ATOMIC_SEQ_CST);
	/* Bounded, so a broken stop fails the test instead of hanging it. */
	for (int i = 0; i < 10000; i++) {
		if (req->cancelled && atomic_load(req->cancelled)) {
			__atomic_fetch_add(&saw_stop, 1, __ATOMIC_SEQ_CST);
			return;
		}
		usleep(1000);
	}
}

/* Echo the request into the reply room, after a 4-byte queue tag. */
static void echo_handler(void *session, struct fuse_req *req)
{
	size_t n = 0;
	uint8_t buf[SLOT];

	(void)session;
	if (req->queue == 1)
		gate_pass();
	if (req->in_cnt > 0 && req->in[0].iov_len == strlen(UNTIL_STOP) &&
	    !memcmp(req->in[0].iov_base, UNTIL_STOP, strlen(UNTIL_STOP)))
		wait_for_stop(req);
	for (unsigned int i = 0; i < req->in_cnt; i++) {
		size_t len = req->in[i].iov_len;

		if (len > sizeof(buf) - n)
			len = sizeof(buf) - n;
		memcpy(buf + n, req->in[i].iov_base, len);
		n += len;
	}
	if (req->out_cnt > 0 && req->out[0].iov_len >= n + 4) {
		uint32_t tag = 0xfee10000u | req->queue;

		memcpy(req->out[0].iov_base, &tag, 4);
		memcpy((uint8_t *)req->out[0].iov_base + 4, buf, n);
		req->reply_len = n + 4;
	}
	if (req->queue < NQUEUES)
		__atomic_fetch_add(&handled[req->queue], 1, __ATOMIC_RELAXED);
}

static unsigned int nhandled(unsigned int q)
{
	return __atomic_load_n(&handled[q], __ATOMIC_RELAXED);
}

static void *server_main(void *arg)
{
	struct frontend *fe = arg;

	fe->server_ret = virtio_fs_serve(fe->listen_fd, &fe->opts,
					 echo_handler, NULL);
	return NULL;
}

static void send_msg(struct frontend *fe, uint32_t req, uint32_t flags,
		     const void *payload, uint32_t size, const int *fds,
		     unsigned int nfds)
{
	uint8_t buf[sizeof(struct vu_msg_hdr) + 512];
	struct vu_msg_hdr hdr = { req, VHOST_USER_VERSION | flags, size };
	char ctl[CMSG_SPACE(8 * sizeof(int))];
	struct iovec iov = { buf, sizeof(hdr) + size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	assert_true(size <= 512);
	memcpy(buf, &hdr, sizeof(hdr));
	if (size)
		memcpy(buf + sizeof(hdr), payload, size);
	if (nfds) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	assert_int_equal(sendmsg(fe->sock, &mh, MSG_NOSIGNAL),
			 (ssize_t)iov.iov_len);
}

static void recv_reply(struct frontend *fe, uint32_t req, void *payload,
		       uint32_t size)
{
	struct vu_msg_hdr hdr;

	assert_int_equal(recv(fe->sock, &hdr, sizeof(hdr), MSG_WAITALL),
			 sizeof(hdr));
	assert_int_equal(hdr.request, req);
	assert_int_equal(hdr.flags,
			 VHOST_USER_VERSION | VHOST_USER_REPLY_MASK);
	assert_int_equal(hdr.size, size);
	assert_int_equal(recv(fe->sock, payload, size, MSG_WAITALL), size);
}

static uint64_t get_u64(struct frontend *fe, uint32_t req)
{
	uint64_t v;

	send_msg(fe, req, 0, NULL, 0, NULL, 0);
	recv_reply(fe, req, &v, sizeof(v));
	return v;
}

/* Send with NEED_REPLY and expect a zero ack. */
static void call_acked(struct frontend *fe, uint32_t req, const void *p,
		       uint32_t size, const int *fds, unsigned int nfds)
{
	uint64_t ack = 99;

	send_msg(fe, req, VHOST_USER_NEED_REPLY_MASK, p, size, fds, nfds);
	recv_reply(fe, req, &ack, sizeof(ack));
	assert_int_equal(ack, 0);
}

static struct vring_desc *desc_of(struct frontend *fe, unsigned int q)
{
	return (struct vring_desc *)(fe->ram + RING_BASE(q));
}

static struct vring_avail *avail_of(struct frontend *fe, unsigned int q)
{
	return (struct vring_avail *)(fe->ram + RING_BASE(q) + 0x1000);
}

static struct vring_used *used_of(struct frontend *fe, unsigned int q)
{
	return (struct vring_used *)(fe->ram + RING_BASE(q) + 0x2000);
}

static void setup_ring(struct frontend *fe, unsigned int q,
		       uint16_t last_avail)
{
	uint64_t base = (uint64_t)(uintptr_t)fe->ram + RING_BASE(q);
	struct vu_vring_state st = { q, QSZ };
	struct vu_vring_addr addr = {
		.index = q,
		.desc_user_addr = base,
		.avail_user_addr = base + 0x1000,
		.used_user_addr = base + 0x2000,
	};
	uint64_t file = q;

	call_acked(fe, VHOST_USER_SET_VRING_NUM, &st, sizeof(st), NULL, 0);
	st.num = last_avail;
	call_acked(fe, VHOST_USER_SET_VRING_BASE, &st, sizeof(st), NULL, 0);
	call_acked(fe, VHOST_USER_SET_VRING_ADDR, &addr, sizeof(addr), NULL,
		   0);
	call_acked(fe, VHOST_USER_SET_VRING_KICK, &file, sizeof(file),
		   &fe->kick[q], 1);
	call_acked(fe, VHOST_USER_SET_VRING_CALL, &file, sizeof(file),
		   &fe->call[q], 1);
	call_acked(fe, VHOST_USER_SET_VRING_ERR, &file, sizeof(file),
		   &fe->err[q], 1);
	st.num = 1;
	call_acked(fe, VHOST_USER_SET_VRING_ENABLE, &st, sizeof(st), NULL, 0);
}

static void handshake(struct frontend *fe)
{
	uint64_t f, pf;
	struct vu_mem_table mt = { .nregions = 1 };

	f = get_u64(fe, VHOST_USER_GET_FEATURES);
	assert_true(f & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES));
	pf = get_u64(fe, VHOST_USER_GET_PROTOCOL_FEATURES);
	assert_true(pf & (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	send_msg(fe, VHOST_USER_SET_PROTOCOL_FEATURES, 0, &pf, sizeof(pf),
		 NULL, 0);
	assert_true(get_u64(fe, VHOST_USER_GET_QUEUE_NUM) >= 17);
	call_acked(fe, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0);
	call_acked(fe, VHOST_USER_SET_FEATURES, &f, sizeof(f), NULL, 0);
	mt.regions[0] = (struct vu_mem_region){
		.guest_phys_addr = 0,
		.memory_size = RAM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)fe->ram,
		.mmap_offset = 0,
	};
	call_acked(fe, VHOST_USER_SET_MEM_TABLE, &mt,
		   offsetof(struct vu_mem_table, regions) +
			   sizeof(struct vu_mem_region),
		   &fe->memfd, 1);
	for (unsigned int q = 0; q < NQUEUES; q++)
		setup_ring(fe, q, 0);
}

static int fe_setup(void **state, unsigned int pool)
{
	struct frontend *fe = calloc(1, sizeof(*fe));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	assert_non_null(fe);
	for (unsigned int q = 0; q < NQUEUES; q++)
		__atomic_store_n(&handled[q], 0, __ATOMIC_RELAXED);
	strcpy(fe->dir, "/tmp/vfsd-test-XXXXXX");
	assert_non_null(mkdtemp(fe->dir));
	snprintf(fe->path, sizeof(fe->path), "%s/sock", fe->dir);
	/* A stale socket from an earlier run is replaced. */
	fe->listen_fd = virtio_fs_listen(fe->path, NULL);
	assert_true(fe->listen_fd >= 0);
	assert_int_equal(close(fe->listen_fd), 0);
	fe->listen_fd = virtio_fs_listen(fe->path, NULL);
	assert_true(fe->listen_fd >= 0);
	assert_int_equal(stat(fe->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	fe->memfd = memfd_create("guest-ram", MFD_CLOEXEC);
	assert_true(fe->memfd >= 0);
	assert_int_equal(ftruncate(fe->memfd, RAM_SIZE), 0);
	fe->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fe->memfd, 0);
	assert_true(fe->ram != MAP_FAILED);
	for (unsigned int q = 0; q < NQUEUES; q++) {
		fe->kick[q] = eventfd(0, EFD_CLOEXEC);
		fe->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		fe->err[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		assert_true(fe->kick[q] >= 0 && fe->call[q] >= 0 &&
			    fe->err[q] >= 0);
	}
	fe->opts.thread_pool_size = pool;
	assert_int_equal(pthread_create(&fe->server, NULL, server_main, fe),
			 0);
	fe->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fe->sock >= 0);
	strcpy(sa.sun_path, fe->path);
	assert_int_equal(connect(fe->sock, (struct sockaddr *)&sa,
				 sizeof(sa)), 0);
	handshake(fe);
	*state = fe;
	return 0;
}

static int fe_setup_inline(void **state)
{
	return fe_setup(state, 0);
}

static int fe_setup_pool(void **state)
{
	return fe_setup(state, 3);
}

/* Hang up and check the server returns 0 with every thread gone. */
static int fe_teardown(void **state)
{
	struct frontend *fe = *state;

	close(fe->sock);
	pthread_join(fe->server, NULL);
	assert_int_equal(fe->server_ret, 0);
	close(fe->listen_fd);
	unlink(fe->path);
	rmdir(fe->dir);
	for (unsigned int q = 0; q < NQUEUES; q++) {
		close(fe->kick[q]);
		close(fe->call[q]);
		close(fe->err[q]);
	}
	munmap(fe->ram, RAM_SIZE);
	close(fe->memfd);
	free(fe);
	return 0;
}

/* Offer a two-buffer chain in slot s of queue q: request, reply room. */
static void offer(struct frontend *fe, unsigned int q, unsigned int s,
		  const char *text)
{
	struct vring_desc *d = desc_of(fe, q);
	struct vring_avail *a = avail_of(fe, q);
	uint64_t in = DATA_BASE(q) + s * 2 * SLOT;
	uint16_t head = (uint16_t)(2 * s);

	memcpy(fe->ram + in, text, strlen(text));
	memset(fe->ram + in + SLOT, 0, SLOT);
	d[head] = (struct vring_desc){ in, (uint32_t)strlen(text),
				       VRING_DESC_F_NEXT, (uint16_t)(head + 1) };
	d[head + 1] = (struct vring_desc){ in + SLOT, SLOT,
					   VRING_DESC_F_WRITE, 0 };
	a->ring[fe->avail_idx[q] % QSZ] = head;
	fe->avail_idx[q]++;
	__atomic_store_n(&a->idx, fe->avail_idx[q], __ATOMIC_RELEASE);
}

static void kick(struct frontend *fe, unsigned int q)
{
	assert_int_equal(eventfd_write(fe->kick[q], 1), 0);
}

/* Wait up to 5 s for used->idx of q to reach want. */
static void wait_used(struct frontend *fe, unsigned int q, uint16_t want)
{
	struct vring_used *u = used_of(fe, q);

	for (int i = 0; i < 5000; i++) {
		if (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == want)
			return;
		usleep(1000);
	}
	fail_msg("queue %u: used idx %u, want %u", q, u->idx, want);
}

static void check_reply(struct frontend *fe, unsigned int q, unsigned int s,
			const char *text)
{
	uint8_t *out = fe->ram + DATA_BASE(q) + s * 2 * SLOT + SLOT;
	uint32_t tag;

	memcpy(&tag, out, 4);
	assert_int_equal(tag, 0xfee10000u | q);
	assert_memory_equal(out + 4, text, strlen(text));
}

static void test_request_round_trip(void **state)
{
	struct frontend *fe = *state;
	struct vring_used *u = used_of(fe, 1);
	eventfd_t v;

	offer(fe, 1, 0, "hello, queue one");
	kick(fe, 1);
	wait_used(fe, 1, 1);
	assert_int_equal(u->ring[0].id, 0);
	assert_int_equal(u->ring[0].len, 4 + strlen("hello, queue one"));
	check_reply(fe, 1, 0, "hello, queue one");
	/* The first completion after a start always interrupts. */
	{
		struct pollfd pfd = { .fd = fe->call[1], .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, 5000), 1);
		assert_int_equal(eventfd_read(fe->call[1], &v), 0);
	}

	offer(fe, 0, 3, "forget");
	kick(fe, 0);
	wait_used(fe, 0, 1);
	assert_int_equal(used_of(fe, 0)->ring[0].id, 6);
	check_reply(fe, 0, 3, "forget");
	assert_int_equal(nhandled(0), 1);
	assert_int_equal(nhandled(1), 1);
}

static void test_many_requests(void **state)
{
	struct frontend *fe = *state;
	char text[32];

	for (unsigned int round = 0; round < 4; round++) {
		for (unsigned int s = 0; s < QSZ / 2; s++) {
			snprintf(text, sizeof(text), "round %u slot %u", round,
				 s);
			offer(fe, 1, s, text);
		}
		kick(fe, 1);
		wait_used(fe, 1, (uint16_t)((round + 1) * (QSZ / 2)));
		for (unsigned int s = 0; s < QSZ / 2; s++) {
			snprintf(text, sizeof(text), "round %u slot %u", round,
				 s);
			check_reply(fe, 1, s, text);
		}
	}
	assert_int_equal(nhandled(1), 4 * (QSZ / 2));
}

static void test_get_vring_base_stops_ring(void **state)
{
	struct frontend *fe = *state;
	struct vu_vring_state st = { 1, 0 };

	offer(fe, 1, 0, "one");
	offer(fe, 1, 1, "two");
	kick(fe, 1);
	wait_used(fe, 1, 2);
	send_msg(fe, VHOST_USER_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0);
	recv_reply(fe, VHOST_USER_GET_VRING_BASE, &st, sizeof(st));
	assert_int_equal(st.index, 1);
	assert_int_equal(st.num, 2);
	/* Stopped: a new request stays in the ring. */
	offer(fe, 1, 2, "three");
	kick(fe, 1);
	usleep(50000);
	assert_int_equal(used_of(fe, 1)->idx, 2);
	assert_int_equal(nhandled(1), 2);

	/* Restarted where it stopped (as after a guest reset): served. */
	setup_ring(fe, 1, (uint16_t)st.num);
	wait_used(fe, 1, 3);
	check_reply(fe, 1, 2, "three");
	assert_int_equal(used_of(fe, 1)->ring[2].id, 4);
	assert_int_equal(nhandled(1), 3);
}

static void test_broken_chain_spares_other_queues(void **state)
{
	struct frontend *fe = *state;
	struct vring_desc *d = desc_of(fe, 1);
	struct vu_vring_state st = { 1, 0 };

	/* A chain that loops back on itself. */
	offer(fe, 1, 0, "loop");
	d[1].flags = VRING_DESC_F_NEXT;
	d[1].next = 0;
	kick(fe, 1);
	offer(fe, 0, 0, "still alive");
	kick(fe, 0);
	wait_used(fe, 0, 1);
	check_reply(fe, 0, 0, "still alive");
	assert_int_equal(used_of(fe, 1)->idx, 0);
	/* The front end heard about it on the error eventfd. */
	{
		struct pollfd pfd = { .fd = fe->err[1], .events = POLLIN };
		eventfd_t v;

		assert_int_equal(poll(&pfd, 1, 5000), 1);
		assert_int_equal(eventfd_read(fe->err[1], &v), 0);
		assert_int_equal(eventfd_read(fe->err[0], &v), -1);
	}
	/* The control plane still answers; the bad chain was not consumed. */
	send_msg(fe, VHOST_USER_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0);
	recv_reply(fe, VHOST_USER_GET_VRING_BASE, &st, sizeof(st));
	assert_int_equal(st.num, 0);
}

static void test_mem_table_replaced_while_running(void **state)
{
	struct frontend *fe = *state;
	struct vu_mem_table mt = { .nregions = 1 };
	int fd = dup(fe->memfd);

	offer(fe, 1, 0, "before");
	kick(fe, 1);
	wait_used(fe, 1, 1);
	assert_true(fd >= 0);
	mt.regions[0] = (struct vu_mem_region){
		.guest_phys_addr = 0,
		.memory_size = RAM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)fe->ram,
	};
	call_acked(fe, VHOST_USER_SET_MEM_TABLE, &mt,
		   offsetof(struct vu_mem_table, regions) +
			   sizeof(struct vu_mem_region),
		   &fd, 1);
	close(fd);
	offer(fe, 1, 1, "after");
	kick(fe, 1);
	wait_used(fe, 1, 2);
	check_reply(fe, 1, 1, "after");
}

static void test_lying_message_disconnects(void **state)
{
	struct frontend *fe = *state;
	uint32_t junk = 1;

	/* SET_FEATURES with a 4-byte payload: the server hangs up. */
	send_msg(fe, VHOST_USER_SET_FEATURES, 0, &junk, sizeof(junk), NULL, 0);
	pthread_join(fe->server, NULL);
	assert_int_equal(fe->server_ret, 0);
	/* Teardown joins again: start a trivial stand-in. */
	fe->server_ret = 0;
	assert_int_equal(pthread_create(&fe->server, NULL, server_main, fe),
			 0);
	close(fe->sock);
	fe->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, fe->path);
		assert_int_equal(connect(fe->sock, (struct sockaddr *)&sa,
					 sizeof(sa)), 0);
	}
}

static void *open_gate_later(void *arg)
{
	(void)arg;
	usleep(300000);
	gate_set(false);
	return NULL;
}

/*
 * A driver that re-offers a head still in flight gets no more than a
 * queue's worth of requests in flight: the queue thread waits for room.
 */
static void test_inflight_bounded_by_queue_size(void **state)
{
	struct frontend *fe = *state;
	struct vu_vring_state st = { 1, 0 };
	pthread_t opener;

	gate_set(true);
	for (unsigned int i = 0; i < QSZ; i++)
		offer(fe, 1, 0, "same head");
	kick(fe, 1);
	for (int i = 0; i < 5000 && gate_waiters() < fe->opts.thread_pool_size;
	     i++)
		usleep(1000);
	assert_int_equal(gate_waiters(), fe->opts.thread_pool_size);
	/* Let the queue thread take the rest of the first batch. */
	usleep(100000);
	for (unsigned int i = 0; i < 4; i++)
		offer(fe, 1, 0, "same head");
	kick(fe, 1);
	usleep(50000);
	assert_int_equal(pthread_create(&opener, NULL, open_gate_later, NULL),
			 0);
	/* Stops the ring once the blocked requests complete. */
	send_msg(fe, VHOST_USER_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0);
	recv_reply(fe, VHOST_USER_GET_VRING_BASE, &st, sizeof(st));
	pthread_join(opener, NULL);
	assert_int_equal(st.num, QSZ);
	assert_int_equal(used_of(fe, 1)->idx, QSZ);
	assert_int_equal(nhandled(1), QSZ);
}

/*
 * A request that waits until its queue stops (a SETLKW on a lock another
 * guest process holds) does not hold the stop: GET_VRING_BASE, as QEMU
 * sends it when it goes away, is answered and the request completed.
 */
static void test_stop_cancels_waiting_request(void **state)
{
	struct frontend *fe = *state;
	struct vu_vring_state st = { 1, 0 };

	__atomic_store_n(&waiting_for_stop, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&saw_stop, 0, __ATOMIC_SEQ_CST);
	offer(fe, 1, 0, UNTIL_STOP);
	kick(fe, 1);
	for (int i = 0; i < 5000 &&
	     !__atomic_load_n(&waiting_for_stop, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	assert_int_equal(waiting_for_stop, 1);
	usleep(50000);
	assert_int_equal(used_of(fe, 1)->idx, 0);
	send_msg(fe, VHOST_USER_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0);
	recv_reply(fe, VHOST_USER_GET_VRING_BASE, &st, sizeof(st));
	assert_int_equal(saw_stop, 1);
	assert_int_equal(st.num, 1);
	assert_int_equal(used_of(fe, 1)->idx, 1);
	check_reply(fe, 1, 0, UNTIL_STOP);
}

#define I(fn) cmocka_unit_test_setup_teardown(fn, fe_setup_inline, fe_teardown)
#define P(fn) cmocka_unit_test_setup_teardown(fn, fe_setup_pool, fe_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		I(test_request_round_trip),
		I(test_many_requests),
		I(test_get_vring_base_stops_ring),
		I(test_broken_chain_spares_other_queues),
		I(test_mem_table_replaced_while_running),
		I(test_lying_message_disconnects),
		I(test_stop_cancels_waiting_request),
		P(test_request_round_trip),
		P(test_many_requests),
		P(test_get_vring_base_stops_ring),
		P(test_broken_chain_spares_other_queues),
		P(test_mem_table_replaced_while_running),
		P(test_inflight_bounded_by_queue_size),
		P(test_stop_cancels_waiting_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
