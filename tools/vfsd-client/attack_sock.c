/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lying vhost-user messages: bad memory tables, sizes that do not match
 * the payload, unknown requests, ring set-up with impossible values, and
 * file descriptors where none belong. The front end is only semi-trusted,
 * but a bad message must still be refused or end the connection cleanly,
 * and every fd that came with it must be closed.
 */
#include "attack.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1ull << 20)

static int new_memfd(size_t size)
{
	int fd = memfd_create("vfsd-client-attack", MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void close_all(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* SET_MEM_TABLE claiming nclaim regions, carrying nsent of them. */
static enum attack_result mem_table(struct attack_ctx *a, uint32_t nclaim,
				    const struct vu_mem_region *r,
				    unsigned int nsent, const int *fds, int nfds)
{
	uint8_t buf[8 + 16 * sizeof(struct vu_mem_region)];

	memcpy(buf, &nclaim, 4);
	memset(buf + 4, 0, 4);
	if (nsent)
		memcpy(buf + 8, r, nsent * sizeof(*r));
	return attack_msg(a, VHOST_USER_SET_MEM_TABLE, buf,
			  (uint32_t)(8 + nsent * sizeof(*r)), fds, nfds);
}

static struct vu_mem_region region(uint64_t gpa, uint64_t size, uint64_t off)
{
	return (struct vu_mem_region){ gpa, size, 0x7f0000000000ull + gpa, off };
}

static enum attack_result mem_table_bad_fd(struct attack_ctx *a)
{
	struct vu_mem_region r = region(0, 2 * MIB, 0);
	int fd = eventfd(0, EFD_CLOEXEC);
	enum attack_result res = mem_table(a, 1, &r, 1, &fd, 1);

	close_all(&fd, 1);
	return res;
}

static enum attack_result mem_table_no_fd(struct attack_ctx *a)
{
	struct vu_mem_region r = region(0, 2 * MIB, 0);

	return mem_table(a, 1, &r, 1, NULL, 0);
}

static enum attack_result mem_table_fd_count_mismatch(struct attack_ctx *a)
{
	struct vu_mem_region r[2] = { region(0, 2 * MIB, 0),
				      region(4 * MIB, 2 * MIB, 2 * MIB) };
	int fd = new_memfd(4 * MIB);
	enum attack_result res = mem_table(a, 2, r, 2, &fd, 1);

	close_all(&fd, 1);
	return res;
}

static enum attack_result mem_table_too_many_regions(struct attack_ctx *a)
{
	struct vu_mem_region r[VHOST_USER_MAX_RAM_SLOTS + 1];
	int fds[VHOST_USER_MAX_RAM_SLOTS + 1];
	enum attack_result res;
	int fd = new_memfd(2 * MIB);

	for (unsigned int i = 0; i <= VHOST_USER_MAX_RAM_SLOTS; i++) {
		r[i] = region(i * 4 * MIB, 2 * MIB, 0);
		fds[i] = fd;
	}
	res = mem_table(a, VHOST_USER_MAX_RAM_SLOTS + 1, r,
			VHOST_USER_MAX_RAM_SLOTS + 1, fds,
			VHOST_USER_MAX_RAM_SLOTS + 1);
	close_all(&fd, 1);
	return res;
}

static enum attack_result mem_table_nregions_lie(struct attack_ctx *a)
{
	struct vu_mem_region r = region(0, 2 * MIB, 0);
	int fd = new_memfd(2 * MIB);
	enum attack_result res = mem_table(a, VHOST_USER_MAX_RAM_SLOTS, &r, 1,
					   &fd, 1);

	close_all(&fd, 1);
	return res;
}

static enum attack_result mem_table_overlap(struct attack_ctx *a)
{
	struct vu_mem_region r[2] = { region(0, 2 * MIB, 0),
				      region(MIB, 2 * MIB, 0) };
	int fd = new_memfd(4 * MIB);
	int fds[2] = { fd, fd };
	enum attack_result res = mem_table(a, 2, r, 2, fds, 2);

	close_all(&fd, 1);
	return res;
}

static enum attack_result mem_table_size_wraps(struct attack_ctx *a)
{
	struct vu_mem_region r = region(0xffffffffffff0000ull, 0x20000, 0);
	int fd = new_memfd(2 * MIB);
	enum attack_result res = mem_table(a, 1, &r, 1, &fd, 1);

	close_all(&fd, 1);
	return res;
}

static enum attack_result mem_table_offset_past_eof(struct attack_ctx *a)
{
	struct vu_mem_region r = region(0, 2 * MIB, 64 * MIB);
	int fd = new_memfd(4 * MIB);
	enum attack_result res = mem_table(a, 1, &r, 1, &fd, 1);

	close_all(&fd, 1);
	return res;
}

static enum attack_result mem_table_zero_regions(struct attack_ctx *a)
{
	return mem_table(a, 0, NULL, 0, NULL, 0);
}

/* A valid table, again and again: old mappings and fds must go. */
static enum attack_result mem_table_repeat(struct attack_ctx *a)
{
	for (int i = 0; i < 50; i++) {
		int r = vc_send_mem_table(&a->cs->dev);

		if (r == -EPIPE || r == -ECONNRESET)
			return AR_CLOSED;
		if (r)
			return AR_ERR;
	}
	return AR_OK;
}

static enum attack_result msg_size_too_big(struct attack_ctx *a)
{
	struct vu_msg_hdr h = { VHOST_USER_GET_FEATURES, VHOST_USER_VERSION,
				0x7fffffffu };
	uint64_t v;
	int r = vc_send_raw(&a->cs->dev, &h, sizeof(h), NULL, 0);

	if (r)
		return AR_CLOSED;
	r = vc_recv(&a->cs->dev, VHOST_USER_GET_FEATURES, &v, sizeof(v));
	return r == -EPIPE || r == -ECONNRESET ? AR_CLOSED :
	       r == -ETIMEDOUT ? AR_NONE : r < 0 ? AR_ERR : AR_OK;
}

static enum attack_result msg_payload_short(struct attack_ctx *a)
{
	uint32_t idx = 1;

	return attack_msg(a, VHOST_USER_SET_VRING_NUM, &idx, sizeof(idx), NULL, 0);
}

static enum attack_result msg_payload_long(struct attack_ctx *a)
{
	uint64_t junk[8] = { a->cs->dev.features, ~0ull, ~0ull };

	return attack_msg(a, VHOST_USER_SET_FEATURES, junk, sizeof(junk), NULL, 0);
}

static enum attack_result msg_unknown_request(struct attack_ctx *a)
{
	uint64_t v = 0;

	return attack_msg(a, 200, &v, sizeof(v), NULL, 0);
}

static enum attack_result msg_request_zero(struct attack_ctx *a)
{
	uint64_t v = 0;

	return attack_msg(a, VHOST_USER_NONE, &v, sizeof(v), NULL, 0);
}

static enum attack_result msg_bad_version(struct attack_ctx *a)
{
	struct vu_msg_hdr h = { VHOST_USER_GET_FEATURES, 0, 0 };
	uint64_t v;
	int r = vc_send_raw(&a->cs->dev, &h, sizeof(h), NULL, 0);

	if (r)
		return AR_CLOSED;
	r = vc_recv(&a->cs->dev, VHOST_USER_GET_FEATURES, &v, sizeof(v));
	return r == -EPIPE || r == -ECONNRESET ? AR_CLOSED :
	       r == -ETIMEDOUT ? AR_NONE : r < 0 ? AR_ERR : AR_OK;
}

static enum attack_result msg_truncated(struct attack_ctx *a)
{
	struct vu_msg_hdr h = { VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, 8 };

	return vc_send_raw(&a->cs->dev, &h, 6, NULL, 0) ? AR_CLOSED : AR_NONE;
}

static enum attack_result vring_num(struct attack_ctx *a, uint32_t idx,
				    uint32_t num)
{
	struct vu_vring_state st = { idx, num };

	return attack_msg(a, VHOST_USER_SET_VRING_NUM, &st, sizeof(st), NULL, 0);
}

static enum attack_result vring_num_zero(struct attack_ctx *a)
{
	return vring_num(a, 1, 0);
}

static enum attack_result vring_num_not_pow2(struct attack_ctx *a)
{
	return vring_num(a, 1, 100);
}

static enum attack_result vring_num_huge(struct attack_ctx *a)
{
	return vring_num(a, 1, 1u << 20);
}

static enum attack_result vring_index_out_of_range(struct attack_ctx *a)
{
	return vring_num(a, 200, 128);
}

static enum attack_result start_bad_ring(struct attack_ctx *a)
{
	int kick = eventfd(0, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC);
	struct vu_vring_state en = { 1, 1 };
	uint64_t idx = 1, one = 1;
	enum attack_result r;

	r = attack_msg(a, VHOST_USER_SET_VRING_CALL, &idx, sizeof(idx), &call, 1);
	if (r == AR_OK)
		r = attack_msg(a, VHOST_USER_SET_VRING_KICK, &idx, sizeof(idx),
			       &kick, 1);
	if (r == AR_OK)
		r = attack_msg(a, VHOST_USER_SET_VRING_ENABLE, &en, sizeof(en),
			       NULL, 0);
	if (r == AR_OK && write(kick, &one, sizeof(one)) != sizeof(one))
		r = AR_BAD;
	if (r == AR_OK)
		usleep(200000);
	close(kick);
	close(call);
	return r;
}

static enum attack_result vring_addr_unmapped(struct attack_ctx *a)
{
	struct vc_opts vo = { .mem_size = 4 * MIB };
	struct vu_vring_addr ad = { .index = 1, .desc_user_addr = 0x1000,
				    .used_user_addr = 0x2000,
				    .avail_user_addr = 0x3000 };
	enum attack_result r;

	if (vc_mem_create(&a->cs->dev, &vo) || vc_send_mem_table(&a->cs->dev))
		return AR_BAD;
	r = vring_num(a, 1, 128);
	if (r != AR_OK)
		return r;
	r = attack_msg(a, VHOST_USER_SET_VRING_ADDR, &ad, sizeof(ad), NULL, 0);
	if (r != AR_OK)
		return r;
	/* Accepted for now: start the ring and make the back end look. */
	return start_bad_ring(a);
}

static enum attack_result vring_kick_no_fd(struct attack_ctx *a)
{
	uint64_t v = 1;

	return attack_msg(a, VHOST_USER_SET_VRING_KICK, &v, sizeof(v), NULL, 0);
}

static enum attack_result vring_call_many_fds(struct attack_ctx *a)
{
	int fds[20];
	uint64_t v = 1;
	enum attack_result r;

	for (int i = 0; i < 20; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	r = attack_msg(a, VHOST_USER_SET_VRING_CALL, &v, sizeof(v), fds, 20);
	close_all(fds, 20);
	return r;
}

static enum attack_result fds_on_get_features(struct attack_ctx *a)
{
	int fds[8];
	uint64_t v;
	int r;

	for (int i = 0; i < 8; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	r = vc_send(&a->cs->dev, VHOST_USER_GET_FEATURES, 0, NULL, 0, fds, 8);
	close_all(fds, 8);
	if (r)
		return AR_CLOSED;
	r = vc_recv(&a->cs->dev, VHOST_USER_GET_FEATURES, &v, sizeof(v));
	return r == -EPIPE || r == -ECONNRESET ? AR_CLOSED :
	       r == -ETIMEDOUT ? AR_NONE : r < 0 ? AR_ERR : AR_OK;
}

static enum attack_result get_vring_base_bad_index(struct attack_ctx *a)
{
	struct vu_vring_state st = { 500, 0 };
	int r = vc_send(&a->cs->dev, VHOST_USER_GET_VRING_BASE, 0, &st,
			sizeof(st), NULL, 0);

	if (r)
		return AR_CLOSED;
	r = vc_recv(&a->cs->dev, VHOST_USER_GET_VRING_BASE, &st, sizeof(st));
	return r == -EPIPE || r == -ECONNRESET ? AR_CLOSED :
	       r == -ETIMEDOUT ? AR_NONE : r < 0 ? AR_ERR : AR_OK;
}

#define SOCK_CASE(n, f) { n, f, SOCK_BAD, { .no_start = true } }
#define SOCK_OR_OK(n, f) { n, f, SOCK_BAD | A_OK, { .no_start = true } }

const struct attack_case attack_sock_cases[] = {
	SOCK_CASE("mem_table_bad_fd", mem_table_bad_fd),
	SOCK_CASE("mem_table_no_fd", mem_table_no_fd),
	SOCK_CASE("mem_table_fd_count_mismatch", mem_table_fd_count_mismatch),
	SOCK_CASE("mem_table_too_many_regions", mem_table_too_many_regions),
	SOCK_CASE("mem_table_nregions_lie", mem_table_nregions_lie),
	SOCK_CASE("mem_table_overlap", mem_table_overlap),
	SOCK_CASE("mem_table_size_wraps", mem_table_size_wraps),
	SOCK_OR_OK("mem_table_offset_past_eof", mem_table_offset_past_eof),
	SOCK_OR_OK("mem_table_zero_regions", mem_table_zero_regions),
	{ "mem_table_repeat", mem_table_repeat, A_OK | A_ALIVE, { 0 } },
	{ "msg_size_too_big", msg_size_too_big, SOCK_BAD | A_NONE,
	  { .no_start = true } },
	SOCK_CASE("msg_payload_short", msg_payload_short),
	SOCK_OR_OK("msg_payload_long", msg_payload_long),
	SOCK_CASE("msg_unknown_request", msg_unknown_request),
	SOCK_CASE("msg_request_zero", msg_request_zero),
	{ "msg_bad_version", msg_bad_version, SOCK_BAD | A_NONE,
	  { .no_start = true } },
	{ "msg_truncated_header", msg_truncated, SOCK_BAD | A_NONE,
	  { .no_start = true } },
	SOCK_CASE("vring_num_zero", vring_num_zero),
	SOCK_CASE("vring_num_not_power_of_2", vring_num_not_pow2),
	SOCK_CASE("vring_num_huge", vring_num_huge),
	SOCK_CASE("vring_index_out_of_range", vring_index_out_of_range),
	SOCK_OR_OK("vring_addr_unmapped", vring_addr_unmapped),
	SOCK_CASE("vring_kick_without_fd", vring_kick_no_fd),
	SOCK_OR_OK("vring_call_many_fds", vring_call_many_fds),
	SOCK_OR_OK("fds_on_get_features", fds_on_get_features),
	SOCK_OR_OK("get_vring_base_bad_index", get_vring_base_bad_index),
	{ NULL },
};
