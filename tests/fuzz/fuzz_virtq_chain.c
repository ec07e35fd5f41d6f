/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The split-ring descriptor walker over fake guest memory: two adjacent
 * regions of plain heap memory (each its own exactly-sized allocation, so
 * ASan sees any access past a region), the first filled with the input:
 * descriptor table, avail ring, and an area for indirect tables and
 * buffers. Every chain popped must fit the iovec array and point inside
 * guest memory; its buffers are read and written in full, then pushed.
 *
 * Input: u8 config (bits 0-2: queue size 1 << n, bit 3 INDIRECT_DESC,
 * bit 4 EVENT_IDX, bits 5-7: starting last_avail_idx offset), then the
 * bytes of region A.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/virtq.h"
#include "util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REGION 0x1000u
#define GPA_A 0x10000ULL
#define GPA_B (GPA_A + REGION)
#define UVA_A 0x7f0000000000ULL
#define UVA_B 0x7f0000100000ULL
#define DESC_OFF 0x000u
#define AVAIL_OFF 0x400u
#define USED_OFF 0x600u

static struct iovec fz_iov[VQ_MAX_IOV];
static volatile uint8_t fz_sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_setup(LOG_LVL_ERR, false);
	return 0;
}

static bool fz_inside(const uint8_t *p, size_t len, const uint8_t *base)
{
	return p >= base && (size_t)(p - base) <= REGION &&
	       len <= REGION - (size_t)(p - base);
}

static void fz_check_chain(const struct vq_chain *c, const uint8_t *a,
			   const uint8_t *b)
{
	size_t out = 0, in = 0;
	uint8_t sum = 0;

	if (c->out_cnt + c->in_cnt > c->iov_cap)
		__builtin_trap();
	for (unsigned int i = 0; i < c->out_cnt + c->in_cnt; i++) {
		uint8_t *p = c->iov[i].iov_base;
		size_t len = c->iov[i].iov_len;

		if (!fz_inside(p, len, a) && !fz_inside(p, len, b))
			__builtin_trap();
		if (i < c->out_cnt) {
			out += len;
			for (size_t j = 0; j < len; j++)
				sum ^= p[j];
		} else {
			in += len;
			memset(p, 0x5a, len);
		}
	}
	if (out != c->out_len || in != c->in_len)
		__builtin_trap();
	fz_sink = sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vq_chain c = { .iov = fz_iov, .iov_cap = VQ_MAX_IOV };
	uint8_t *a, *b;
	struct guest_mem gm;
	struct virtq vq;
	uint8_t cfg;

	if (size < 1)
		return 0;
	cfg = data[0];
	a = malloc(REGION);
	b = malloc(REGION);
	if (!a || !b)
		goto out;
	memset(a, 0, REGION);
	memset(b, 0xa5, REGION);
	memcpy(a, data + 1, size - 1 < REGION ? size - 1 : REGION);
	gm_init(&gm);
	if (gm_add_host_region(&gm, GPA_A, REGION, UVA_A, a) ||
	    gm_add_host_region(&gm, GPA_B, REGION, UVA_B, b))
		__builtin_trap();
	vq_init(&vq, 1);
	vq.num = (uint16_t)(1u << (cfg & 7));
	vq.indirect = cfg & 8;
	vq.event_idx = cfg & 16;
	if (vq_map(&vq, &gm, UVA_A + DESC_OFF, UVA_A + AVAIL_OFF,
		   UVA_A + USED_OFF))
		__builtin_trap();
	vq.last_avail_idx = (uint16_t)(cfg >> 5);
	for (unsigned int n = 0; n < 2u * vq.num; n++) {
		int r = vq_pop(&vq, &c);

		if (r != 1) {
			if (r != 0 && !vq.broken)
				__builtin_trap();
			break;
		}
		fz_check_chain(&c, a, b);
		vq_push(&vq, c.head, (uint32_t)c.in_len);
		(void)vq_should_notify(&vq);
	}
	(void)vq_arm_notify(&vq);
	gm_clear(&gm);
out:
	free(a);
	free(b);
	return 0;
}
