/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hostile migration traffic (VHOST_USER_PROTOCOL_F_DEVICE_STATE and the
 * dirty log): state requests while rings run, with no fd or another kind
 * of fd, CHECK_DEVICE_STATE with nothing transferred, and garbage state
 * streams: random bytes, a real state cut short, a stream over the size a
 * state may have, and one whose front end never closes its end. Each must
 * be refused (an error reply, CHECK_DEVICE_STATE non-zero) without a
 * crash, a hang or a leak, and the daemon must serve a guest afterwards.
 */
#include "attack.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

/* SET_DEVICE_STATE_FD with fd (or none): AR_ERR if refused. */
static enum attack_result state_fd(struct attack_ctx *a, uint32_t direction,
				   uint32_t phase, int fd)
{
	struct vu_device_state ds = { direction, phase };
	uint64_t v;
	int r = vc_send(&a->cs->dev, VHOST_USER_SET_DEVICE_STATE_FD, 0, &ds,
			sizeof(ds), &fd, fd >= 0);

	if (fd >= 0)
		close(fd);
	if (!r)
		r = vc_recv(&a->cs->dev, VHOST_USER_SET_DEVICE_STATE_FD, &v,
			    sizeof(v));
	if (r == -EPIPE || r == -ECONNRESET)
		return AR_CLOSED;
	if (r == -ETIMEDOUT)
		return AR_NONE;
	if (r < 0)
		return AR_BAD;
	return (v & 0xff) ? AR_ERR : AR_OK;
}

static enum attack_result check_result(struct attack_ctx *a)
{
	int r = vc_check_state(&a->cs->dev);

	return r == -EREMOTEIO ? AR_ERR : r == -EPIPE ? AR_CLOSED :
	       r == -ETIMEDOUT ? AR_NONE : r ? AR_BAD : AR_OK;
}

/* Stop the rings (the stopped phase), or restart them and the session. */
static int rings(struct attack_ctx *a, bool stop)
{
	struct vc_dev *d = &a->cs->dev;
	unsigned int base;
	int r = 0;

	for (unsigned int i = 0; !r && i < d->nvqs; i++)
		r = stop ? vc_vq_stop(d, i, &base) : vc_vq_start(d, i);
	/* A refused load leaves no connection: the guest mounts again. */
	if (!r && !stop)
		r = fm_do_init(&a->cs->q[1], &a->cs->init);
	return r;
}

static enum attack_result state_while_running(struct attack_ctx *a)
{
	int p[2];
	enum attack_result res;

	if (pipe2(p, O_CLOEXEC))
		return AR_BAD;
	res = state_fd(a, VHOST_USER_TRANSFER_STATE_SAVE, 0, p[1]);
	close(p[0]);
	return res;
}

static enum attack_result state_no_fd(struct attack_ctx *a)
{
	return state_fd(a, VHOST_USER_TRANSFER_STATE_SAVE, 0, -1);
}

static enum attack_result state_bad_phase(struct attack_ctx *a)
{
	int p[2];
	enum attack_result res;

	if (pipe2(p, O_CLOEXEC) || rings(a, true))
		return AR_BAD;
	res = state_fd(a, VHOST_USER_TRANSFER_STATE_LOAD, 7, p[0]);
	close(p[1]);
	return rings(a, false) ? AR_BAD : res;
}

static enum attack_result check_without_transfer(struct attack_ctx *a)
{
	return check_result(a);
}

/*
 * Load len bytes of buf (or, with buf NULL, len bytes of noise) through
 * fd kind: 0 a pipe closed after the bytes, 1 a pipe left open (CHECK
 * must give up by itself), 2 an eventfd instead of a pipe.
 */
static enum attack_result load(struct attack_ctx *a, const uint8_t *buf,
			       size_t len, int kind)
{
	enum attack_result res;
	size_t done = 0;
	uint8_t noise[4096];
	int p[2] = { -1, -1 };

	if (rings(a, true))
		return AR_BAD;
	if (kind == 2)
		p[0] = eventfd(1, EFD_CLOEXEC);
	else if (pipe2(p, O_CLOEXEC))
		return AR_BAD;
	res = state_fd(a, VHOST_USER_TRANSFER_STATE_LOAD, 0, p[0]);
	for (unsigned int i = 0; i < sizeof(noise); i++)
		noise[i] = (uint8_t)(i * 2654435761u >> 24);
	while (res == AR_OK && p[1] >= 0 && done < len) {
		size_t n = len - done < sizeof(noise) ? len - done : sizeof(noise);
		ssize_t w = write(p[1], buf ? buf + done : noise, n);

		if (w <= 0)
			break;	/* EPIPE: it stopped taking more */
		done += (size_t)w;
	}
	if (kind != 1 && p[1] >= 0)
		close(p[1]);
	if (res == AR_OK)
		res = check_result(a);
	if (kind == 1)
		close(p[1]);
	attack_note(a, "%zu of %zu bytes taken", done, len);
	return rings(a, false) ? AR_BAD : res;
}

static enum attack_result load_noise(struct attack_ctx *a)
{
	return load(a, NULL, 100000, 0);
}

static enum attack_result load_nothing(struct attack_ctx *a)
{
	return load(a, NULL, 0, 0);
}

/* Past STATE_MAX_SIZE (128 MiB): refused without taking it all. */
static enum attack_result load_oversized(struct attack_ctx *a)
{
	return load(a, NULL, (129u << 20), 0);
}

static enum attack_result load_never_closed(struct attack_ctx *a)
{
	return load(a, NULL, 1000, 1);
}

static enum attack_result load_eventfd(struct attack_ctx *a)
{
	return load(a, NULL, 0, 2);
}

/* The daemon's own state, cut short, and with a byte of it changed. */
static enum attack_result load_own_spoiled(struct attack_ctx *a, bool cut)
{
	enum attack_result res;
	uint8_t *st;
	size_t len;

	if (rings(a, true))
		return AR_BAD;
	if (vc_state_save(&a->cs->dev, &st, &len))
		return AR_BAD;
	if (rings(a, false)) {
		free(st);
		return AR_BAD;
	}
	if (cut)
		len -= len / 3;
	else
		st[len - 5] ^= 0x10;
	res = load(a, st, len, 0);
	free(st);
	return res;
}

static enum attack_result load_truncated(struct attack_ctx *a)
{
	return load_own_spoiled(a, true);
}

static enum attack_result load_flipped(struct attack_ctx *a)
{
	return load_own_spoiled(a, false);
}

/* SET_LOG_BASE with a file that may shrink, and one too small. */
static enum attack_result log_base(struct attack_ctx *a, bool sealable,
				   uint64_t size)
{
	struct vu_log_desc d = { .mmap_size = size };
	int fd = memfd_create("vfsd-client-log",
			      MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));
	enum attack_result res;

	if (fd < 0 || ftruncate(fd, 4096))
		return AR_BAD;
	res = attack_msg(a, VHOST_USER_SET_LOG_BASE, &d, sizeof(d), &fd, 1);
	close(fd);
	return res;
}

static enum attack_result log_base_unsealed(struct attack_ctx *a)
{
	return log_base(a, false, 4096);
}

static enum attack_result log_base_past_eof(struct attack_ctx *a)
{
	return log_base(a, true, 1u << 30);
}

#define STATE_ERR (A_ERR | A_ALIVE)

const struct attack_case attack_state_cases[] = {
	{ "state_save_while_running", state_while_running, STATE_ERR, { 0 } },
	{ "state_fd_missing", state_no_fd, SOCK_BAD, { .no_start = true } },
	{ "state_bad_phase", state_bad_phase, STATE_ERR, { 0 } },
	{ "state_check_without_transfer", check_without_transfer, STATE_ERR,
	  { 0 } },
	{ "state_load_noise", load_noise, STATE_ERR, { 0 } },
	{ "state_load_nothing", load_nothing, STATE_ERR, { 0 } },
	{ "state_load_oversized", load_oversized, STATE_ERR, { 0 } },
	{ "state_load_never_closed", load_never_closed, STATE_ERR, { 0 } },
	{ "state_load_eventfd", load_eventfd, STATE_ERR, { 0 } },
	{ "state_load_truncated", load_truncated, STATE_ERR, { 0 } },
	{ "state_load_flipped", load_flipped, STATE_ERR, { 0 } },
	{ "log_base_unsealed", log_base_unsealed, STATE_ERR, { 0 } },
	{ "log_base_past_eof", log_base_past_eof, STATE_ERR, { 0 } },
	{ NULL },
};
