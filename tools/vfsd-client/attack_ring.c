/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Broken descriptor chains and rings. Each case starts from a valid
 * GETATTR of the root built in the attack slot, then breaks one thing
 * about how it is presented to the back end.
 */
#include "attack.h"

#include <errno.h>
#include <string.h>

#include <linux/virtio_config.h>

#define HDR sizeof(struct fuse_in_header)
#define F_N VRING_DESC_F_NEXT
#define F_W VRING_DESC_F_WRITE
#define F_I VRING_DESC_F_INDIRECT

static struct fm_slot *getattr_root(struct attack_ctx *a)
{
	struct fm_slot *s = attack_slot(a);

	fm_fill_getattr(s, FUSE_ROOT_ID);
	return s;
}

static struct vring_desc D(uint64_t addr, uint32_t len, uint16_t flags,
			   uint16_t next)
{
	return (struct vring_desc){ addr, len, flags, next };
}

static uint32_t out_len(void)
{
	return (uint32_t)(sizeof(struct fuse_out_header) +
			  sizeof(struct fuse_attr_out));
}

static enum attack_result short_in_header(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	struct vring_desc d[] = { D(s->in_gpa, 20, F_N, 1),
				  D(s->out_gpa, out_len(), F_W, 0) };

	return attack_chain(a, d, 2);
}

static enum attack_result hdr_len(struct attack_ctx *a, uint32_t len)
{
	struct fm_slot *s = getattr_root(a);

	fm_in_hdr(s)->len = len;
	return attack_send(a, s);
}

static enum attack_result hdr_len_larger(struct attack_ctx *a)
{
	return hdr_len(a, (uint32_t)attack_slot(a)->in_len + 4096);
}

static enum attack_result hdr_len_smaller(struct attack_ctx *a)
{
	return hdr_len(a, 20);
}

static enum attack_result hdr_len_huge(struct attack_ctx *a)
{
	return hdr_len(a, 0xffffffffu);
}

static enum attack_result hdr_len_misses_args(struct attack_ctx *a)
{
	struct fm_slot *s = attack_slot(a);

	fm_fill_lookup(s, FUSE_ROOT_ID, "file");
	fm_in_hdr(s)->len = HDR;
	return attack_send(a, s);
}

static enum attack_result no_writable_buffer(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	struct vring_desc d[] = { D(s->in_gpa, (uint32_t)s->in_len, 0, 0) };

	return attack_chain(a, d, 1);
}

static enum attack_result reply_buffer_too_small(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	struct vring_desc d[] = { D(s->in_gpa, (uint32_t)s->in_len, F_N, 1),
				  D(s->out_gpa, 8, F_W, 0) };

	return attack_chain(a, d, 2);
}

static enum attack_result only_writable(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	struct vring_desc d[] = { D(s->in_gpa, (uint32_t)s->in_len, F_W | F_N, 1),
				  D(s->out_gpa, out_len(), F_W, 0) };

	return attack_chain(a, d, 2);
}

static enum attack_result readable_after_writable(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	struct vring_desc d[] = {
		D(s->in_gpa, HDR, F_N, 1),
		D(s->out_gpa, out_len(), F_W | F_N, 2),
		D(s->in_gpa + HDR, (uint32_t)(s->in_len - HDR), 0, 0),
	};

	return attack_chain(a, d, 3);
}

static enum attack_result zero_length_desc(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	struct vring_desc d[] = {
		D(s->in_gpa, 0, F_N, 1),
		D(s->in_gpa, (uint32_t)s->in_len, F_N, 2),
		D(s->out_gpa, out_len(), F_W, 0),
	};

	return attack_chain(a, d, 3);
}

static enum attack_result huge_writable_desc(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	struct vring_desc d[] = { D(s->in_gpa, (uint32_t)s->in_len, F_N, 1),
				  D(s->out_gpa, 0xffffffffu, F_W, 0) };

	return attack_chain(a, d, 2);
}

static enum attack_result in_at(struct attack_ctx *a, struct fm_slot *s,
				uint64_t gpa)
{
	struct vring_desc d[] = { D(gpa, (uint32_t)s->in_len, F_N, 1),
				  D(s->out_gpa, out_len(), F_W, 0) };

	return attack_chain(a, d, 2);
}

static enum attack_result desc_outside_memory(struct attack_ctx *a)
{
	return in_at(a, getattr_root(a), a->cs->dev.mem_size + (16u << 20));
}

static enum attack_result desc_addr_wraps(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	struct vring_desc d[] = { D(0xfffffffffffff000ull, 0x2000, F_N, 1),
				  D(s->out_gpa, out_len(), F_W, 0) };

	return attack_chain(a, d, 2);
}

/* The request starts 20 bytes before the end of region 0. */
static enum attack_result desc_straddle(struct attack_ctx *a)
{
	struct vc_dev *dev = &a->cs->dev;
	struct fm_slot *s = getattr_root(a);
	uint64_t end = dev->regions[0].gpa + dev->regions[0].size;

	/* Our mapping is one piece, so the copy lands in both regions. */
	memcpy(dev->mem + dev->regions[0].size - 20, s->in, s->in_len);
	return in_at(a, s, end - 20);
}

static enum attack_result chain_loop(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	struct vring_desc d[] = {
		D(s->in_gpa, HDR, F_N, 1),
		D(s->in_gpa + HDR, (uint32_t)(s->in_len - HDR), F_N, 0),
	};

	return attack_chain(a, d, 2);
}

static enum attack_result chain_self_loop(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	struct vring_desc d[] = { D(s->in_gpa, (uint32_t)s->in_len, F_N, 0) };

	return attack_chain(a, d, 1);
}

static enum attack_result chain_next_out_of_range(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	struct vring_desc d[] = { D(s->in_gpa, (uint32_t)s->in_len, F_N,
				    (uint16_t)(s->vq->num + 5)) };

	return attack_chain(a, d, 1);
}

static enum attack_result avail_head_out_of_range(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);

	(void)s;
	vc_vq_publish(s->vq, (uint16_t)(s->vq->num + 3));
	return attack_wait(a, s);
}

static enum attack_result avail_idx_jump(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	struct vc_vq *vq = s->vq;

	__atomic_store_n(&vq->avail->idx, (uint16_t)(vq->avail_idx + vq->num + 10),
			 __ATOMIC_RELEASE);
	vc_vq_kick(vq);
	return attack_wait(a, s);
}

/* An indirect table in guest RAM, filled by the case. */
static struct vring_desc *table(struct attack_ctx *a, unsigned int n,
				uint64_t *gpa)
{
	*gpa = vc_alloc(&a->cs->dev, 16ull * n, 16);
	return *gpa == UINT64_MAX ? NULL : vc_ptr(&a->cs->dev, *gpa);
}

static enum attack_result indirect(struct attack_ctx *a, uint64_t addr,
				   uint32_t len)
{
	struct vring_desc d[] = { D(addr, len, F_I, 0) };

	return attack_chain(a, d, 1);
}

/* A valid two-entry table for the GETATTR in the slot. */
static struct vring_desc *valid_table(struct attack_ctx *a, uint64_t *gpa)
{
	struct fm_slot *s = getattr_root(a);
	struct vring_desc *t = table(a, 2, gpa);

	if (t) {
		t[0] = D(s->in_gpa, (uint32_t)s->in_len, F_N, 1);
		t[1] = D(s->out_gpa, out_len(), F_W, 0);
	}
	return t;
}

static enum attack_result indirect_valid(struct attack_ctx *a)
{
	uint64_t t;

	if (!(a->cs->dev.features & (1ull << VIRTIO_RING_F_INDIRECT_DESC))) {
		attack_note(a, "INDIRECT_DESC not offered: not sent");
		return AR_OK;
	}
	if (!valid_table(a, &t))
		return AR_BAD;
	return indirect(a, t, 32);
}

static enum attack_result indirect_self_nested(struct attack_ctx *a)
{
	uint64_t t;
	struct vring_desc *d = valid_table(a, &t);

	if (!d)
		return AR_BAD;
	d[1] = D(t, 32, F_I, 0);
	return indirect(a, t, 32);
}

static enum attack_result indirect_nested(struct attack_ctx *a)
{
	uint64_t t2, t;
	struct vring_desc *d;

	if (!valid_table(a, &t2) || !(d = table(a, 1, &t)))
		return AR_BAD;
	d[0] = D(t2, 32, F_I, 0);
	return indirect(a, t, 16);
}

static enum attack_result indirect_loop(struct attack_ctx *a)
{
	uint64_t t;
	struct vring_desc *d = valid_table(a, &t);

	if (!d)
		return AR_BAD;
	d[1].flags |= F_N;
	d[1].next = 0;
	return indirect(a, t, 32);
}

static enum attack_result indirect_next_out_of_table(struct attack_ctx *a)
{
	uint64_t t;
	struct vring_desc *d = valid_table(a, &t);

	if (!d)
		return AR_BAD;
	d[0].next = 7;
	return indirect(a, t, 32);
}

static enum attack_result indirect_len_not_multiple(struct attack_ctx *a)
{
	uint64_t t;

	return valid_table(a, &t) ? indirect(a, t, 17) : AR_BAD;
}

static enum attack_result indirect_zero_len(struct attack_ctx *a)
{
	uint64_t t;

	return valid_table(a, &t) ? indirect(a, t, 0) : AR_BAD;
}

static enum attack_result indirect_outside_memory(struct attack_ctx *a)
{
	getattr_root(a);
	return indirect(a, a->cs->dev.mem_size + (1u << 20), 32);
}

static enum attack_result indirect_longer_than_ring(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	unsigned int n = s->vq->num + 8;
	uint64_t t;
	struct vring_desc *d = table(a, n, &t);

	if (!d)
		return AR_BAD;
	d[0] = D(s->in_gpa, (uint32_t)s->in_len, F_N, 1);
	d[1] = D(s->out_gpa, out_len(), F_W | F_N, 2);
	for (unsigned int i = 2; i < n; i++)
		d[i] = D(s->out_gpa + 512, 8, F_W | F_N, (uint16_t)(i + 1));
	d[n - 1].flags = F_W;
	return indirect(a, t, 16 * n);
}

static enum attack_result indirect_in_chain_middle(struct attack_ctx *a)
{
	struct fm_slot *s = getattr_root(a);
	uint64_t t;
	struct vring_desc *td = table(a, 1, &t);
	struct vring_desc d[] = { D(s->in_gpa, (uint32_t)s->in_len, F_N, 1),
				  D(t, 16, F_I, 0) };

	if (!td)
		return AR_BAD;
	td[0] = D(s->out_gpa, out_len(), F_W, 0);
	return attack_chain(a, d, 2);
}

#define RING_CASE(n, f) { n, f, RING_BAD, { 0 } }
#define RING_OR_OK(n, f) { n, f, RING_BAD | A_OK, { 0 } }

const struct attack_case attack_ring_cases[] = {
	RING_CASE("short_in_header", short_in_header),
	RING_CASE("hdr_len_larger_than_buffers", hdr_len_larger),
	RING_CASE("hdr_len_smaller_than_header", hdr_len_smaller),
	RING_CASE("hdr_len_huge", hdr_len_huge),
	RING_CASE("hdr_len_misses_args", hdr_len_misses_args),
	RING_CASE("no_writable_buffer", no_writable_buffer),
	RING_CASE("reply_buffer_too_small", reply_buffer_too_small),
	RING_CASE("only_writable_buffers", only_writable),
	RING_CASE("readable_after_writable", readable_after_writable),
	RING_OR_OK("zero_length_desc", zero_length_desc),
	RING_CASE("huge_writable_desc", huge_writable_desc),
	RING_CASE("desc_outside_memory", desc_outside_memory),
	RING_CASE("desc_addr_wraps", desc_addr_wraps),
	{ "desc_straddle_regions_gap", desc_straddle, RING_BAD,
	  { .layout = { 2, 1u << 20 } } },
	{ "desc_straddle_regions_contiguous", desc_straddle, RING_BAD | A_OK,
	  { .layout = { 2, 0 } } },
	RING_CASE("chain_loop", chain_loop),
	RING_CASE("chain_self_loop", chain_self_loop),
	RING_CASE("chain_next_out_of_range", chain_next_out_of_range),
	RING_CASE("avail_head_out_of_range", avail_head_out_of_range),
	RING_CASE("avail_idx_jump", avail_idx_jump),
	{ "indirect_valid", indirect_valid, A_OK | A_ALIVE, { 0 } },
	RING_CASE("indirect_self_nested", indirect_self_nested),
	RING_CASE("indirect_nested", indirect_nested),
	RING_CASE("indirect_loop", indirect_loop),
	RING_CASE("indirect_next_out_of_table", indirect_next_out_of_table),
	RING_CASE("indirect_len_not_multiple", indirect_len_not_multiple),
	RING_CASE("indirect_zero_len", indirect_zero_len),
	RING_CASE("indirect_outside_memory", indirect_outside_memory),
	RING_OR_OK("indirect_longer_than_ring", indirect_longer_than_ring),
	RING_OR_OK("indirect_in_chain_middle", indirect_in_chain_middle),
	{ NULL },
};
