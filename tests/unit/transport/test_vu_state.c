/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Migration messages of the vhost-user device: the state through a pipe
 * (SET_DEVICE_STATE_FD both ways, CHECK_DEVICE_STATE) moved by a thread
 * while the socket stays free, refused while rings run, bounded in size;
 * and the dirty log (SET_LOG_BASE, VHOST_F_LOG_ALL, VHOST_VRING_F_LOG).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport/vu_dev.h"

static int nop_queue(struct vu_dev *dev, unsigned int idx)
{
	(void)dev;
	(void)idx;
	return 0;
}

static const struct vu_dev_ops queue_ops = { nop_queue, nop_queue };

/* The daemon's state as the mock has it. */
static char saved[64] = "the state of the device";
static char loaded[64];
static size_t loaded_len;
static int save_ret, load_ret;

static int mock_save(void *ctx, struct wbuf *b)
{
	(void)ctx;
	wbuf_put(b, saved, strlen(saved));
	return save_ret;
}

static int mock_load(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	loaded_len = len;
	memcpy(loaded, buf, len < sizeof(loaded) ? len : sizeof(loaded));
	return load_ret;
}

static const struct vu_state_ops state_ops = { mock_save, mock_load, NULL };
static struct vu_dev dev;

static int setup(void **state)
{
	(void)state;
	save_ret = load_ret = 0;
	loaded_len = 0;
	assert_int_equal(vu_dev_init(&dev, &queue_ops), 0);
	vu_dev_set_state(&dev, &state_ops);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vu_dev_cleanup(&dev);
	return 0;
}

/* Send one message; the u64 of the reply, or UINT64_MAX for none. */
static uint64_t send(uint32_t req, const void *payload, uint32_t size, int fd)
{
	static struct vu_msg m;
	bool reply;

	memset(&m, 0, sizeof(m));
	m.hdr.request = req;
	m.hdr.flags = VHOST_USER_VERSION;
	m.hdr.size = size;
	if (size)
		memcpy(&m.payload, payload, size);
	for (unsigned int i = 0; i < VU_MAX_FDS; i++)
		m.fds[i] = -1;
	m.fds[0] = fd;
	m.nfds = fd >= 0;
	assert_int_equal(vu_msg_check(&m, &(const char *){ NULL }), 0);
	assert_int_equal(vu_dev_process(&dev, &m, &reply), 0);
	vu_msg_close_fds(&m);
	return reply ? m.payload.u64 : UINT64_MAX;
}

static void negotiate(bool device_state)
{
	uint64_t f = (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
		     (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD) |
		     (device_state ?
			      1ULL << VHOST_USER_PROTOCOL_F_DEVICE_STATE : 0);

	send(VHOST_USER_SET_PROTOCOL_FEATURES, &f, 8, -1);
}

static uint64_t set_state_fd(uint32_t direction, int fd)
{
	struct vu_device_state ds = { direction, 0 };

	return send(VHOST_USER_SET_DEVICE_STATE_FD, &ds, sizeof(ds), fd);
}

static uint64_t check_state(void)
{
	return send(VHOST_USER_CHECK_DEVICE_STATE, NULL, 0, -1);
}

static void test_offered(void **state)
{
	uint64_t f;

	(void)state;
	f = send(VHOST_USER_GET_PROTOCOL_FEATURES, NULL, 0, -1);
	assert_true(f & (1ULL << VHOST_USER_PROTOCOL_F_DEVICE_STATE));
	assert_true(f & (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD));
	/* Not negotiated: refused, with no fd back. */
	assert_int_equal(set_state_fd(0, memfd_create("x", MFD_CLOEXEC)),
			 1 | VHOST_USER_DEVICE_STATE_NOFD);
	assert_int_equal(check_state(), 1);
}

static void test_save(void **state)
{
	char buf[128];
	ssize_t n;
	int p[2];

	(void)state;
	negotiate(true);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(set_state_fd(VHOST_USER_TRANSFER_STATE_SAVE, p[1]),
			 VHOST_USER_DEVICE_STATE_NOFD);
	/* The socket answered before the pipe was read: a thread writes. */
	n = read(p[0], buf, sizeof(buf));
	assert_int_equal(n, (ssize_t)strlen(saved));
	assert_int_equal(read(p[0], buf, sizeof(buf)), 0);	/* EOF */
	close(p[0]);
	assert_int_equal(check_state(), 0);
	/* A save the daemon refuses (locks held): error, no transfer. */
	save_ret = -EBUSY;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(set_state_fd(VHOST_USER_TRANSFER_STATE_SAVE, p[1]),
			 1 | VHOST_USER_DEVICE_STATE_NOFD);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	assert_int_equal(check_state(), 1);
}

static void test_load(void **state)
{
	const char *s = "bytes from the source";
	int p[2];

	(void)state;
	negotiate(true);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(set_state_fd(VHOST_USER_TRANSFER_STATE_LOAD, p[0]),
			 VHOST_USER_DEVICE_STATE_NOFD);
	assert_int_equal(write(p[1], s, strlen(s)), (ssize_t)strlen(s));
	close(p[1]);
	assert_int_equal(check_state(), 0);
	assert_int_equal(loaded_len, strlen(s));
	assert_memory_equal(loaded, s, loaded_len);
	/* The daemon refuses what it got: CHECK_DEVICE_STATE says so. */
	load_ret = -EINVAL;
	assert_int_equal(pipe(p), 0);
	set_state_fd(VHOST_USER_TRANSFER_STATE_LOAD, p[0]);
	close(p[1]);
	assert_int_equal(check_state(), 1);
}

/* A front end that never closes its end: CHECK gives up, bounded. */
static void test_load_never_ends(void **state)
{
	int p[2];

	(void)state;
	negotiate(true);
	assert_int_equal(pipe(p), 0);
	set_state_fd(VHOST_USER_TRANSFER_STATE_LOAD, p[0]);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(check_state(), 1);
	assert_int_equal(loaded_len, 0);
	close(p[1]);
	/* And a disconnect in the middle of one stops its thread. */
	assert_int_equal(pipe(p), 0);
	set_state_fd(VHOST_USER_TRANSFER_STATE_LOAD, p[0]);
	close(p[1]);
}

/* More bytes than the bound: refused, the reader's end closed. */
static void test_xfer_bound(void **state)
{
	static char junk[4096];
	struct vu_xfer *x;
	const void *buf = NULL;
	size_t len = 0, sent = 0;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(vu_xfer_load(&x, p[0], 10000), 0);
	while (sent < 20000) {
		ssize_t n = write(p[1], junk, sizeof(junk));

		if (n < 0)
			break;	/* EPIPE: it stopped reading */
		sent += (size_t)n;
	}
	close(p[1]);
	assert_int_equal(vu_xfer_finish(x, 5000, &buf, &len), -EMSGSIZE);
	assert_null(buf);
	vu_xfer_cancel(x);
}

static void test_bad_requests(void **state)
{
	struct vu_device_state ds = { 0, 1 };	/* an iterative phase */
	int p[2];

	(void)state;
	negotiate(true);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(send(VHOST_USER_SET_DEVICE_STATE_FD, &ds, sizeof(ds),
			      p[1]),
			 1 | VHOST_USER_DEVICE_STATE_NOFD);
	ds = (struct vu_device_state){ 7, 0 };	/* no such direction */
	assert_int_equal(send(VHOST_USER_SET_DEVICE_STATE_FD, &ds, sizeof(ds),
			      dup(p[0])),
			 1 | VHOST_USER_DEVICE_STATE_NOFD);
	/* Refused requests close the fd they came with: EOF here. */
	assert_int_equal(read(p[0], &ds, 1), 0);
	close(p[0]);
	/* A running ring: not the stopped phase. */
	dev.q[1].running = true;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(set_state_fd(VHOST_USER_TRANSFER_STATE_SAVE, p[1]),
			 1 | VHOST_USER_DEVICE_STATE_NOFD);
	dev.q[1].running = false;
	close(p[0]);
}

static int log_memfd(size_t size, bool sealable)
{
	int fd = memfd_create("log", MFD_CLOEXEC |
					     (sealable ? MFD_ALLOW_SEALING : 0));

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static void test_dirty_log(void **state)
{
	struct vu_log_desc d = { .mmap_size = 4096 };
	uint64_t f = (1ULL << 32) | (1ULL << VHOST_F_LOG_ALL);
	uint8_t *bits;
	int fd;

	(void)state;
	negotiate(false);
	/* A file that could shrink under the mapping is refused. */
	assert_int_equal(send(VHOST_USER_SET_LOG_BASE, &d, sizeof(d),
			      log_memfd(4096, false)),
			 1);
	d.mmap_size = 8192;	/* past the file's end */
	assert_int_equal(send(VHOST_USER_SET_LOG_BASE, &d, sizeof(d),
			      log_memfd(4096, true)),
			 1);
	d.mmap_size = 4096;
	fd = log_memfd(4096, true);
	bits = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(bits != MAP_FAILED);
	assert_int_equal(send(VHOST_USER_SET_LOG_BASE, &d, sizeof(d), fd), 0);
	vu_log_gpa(&dev.log, 0x3000, 1);	/* off: nothing */
	send(VHOST_USER_SET_FEATURES, &f, 8, -1);
	assert_true(vu_log_active(&dev.log));
	vu_log_gpa(&dev.log, 0x3000, 0x2001);	/* pages 3, 4 and 5 */
	vu_log_gpa(&dev.log, 4096ULL * 8 * 4096, 1);	/* past the log */
	assert_int_equal(bits[0], 0x38);
	assert_int_equal(bits[1], 0);
	f &= ~(1ULL << VHOST_F_LOG_ALL);
	send(VHOST_USER_SET_FEATURES, &f, 8, -1);
	assert_false(vu_log_active(&dev.log));
	munmap(bits, 4096);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_offered),
		T(test_save),
		T(test_load),
		T(test_load_never_ends),
		cmocka_unit_test(test_xfer_bound),
		T(test_bad_requests),
		T(test_dirty_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
