/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FUSE request building and reply parsing over the front end's rings.
 * Every reply is checked against what the used ring says was written:
 * a back end that reports more bytes than it may have, or a header that
 * disagrees, is a protocol error, not data.
 */
#include "fusemsg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t next_unique = 1;

int fm_queue_init(struct fm_queue *q, struct vc_dev *dev, unsigned int vq_idx,
		  unsigned int nslots, size_t in_cap, size_t out_cap)
{
	struct vc_vq *vq = &dev->vqs[vq_idx];

	if ((size_t)nslots * FM_DESC_PER_SLOT > vq->num)
		return -EINVAL;
	q->dev = dev;
	q->vq = vq;
	q->nslots = nslots;
	q->slots = calloc(nslots, sizeof(*q->slots));
	if (!q->slots)
		return -ENOMEM;
	for (unsigned int i = 0; i < nslots; i++) {
		struct fm_slot *s = &q->slots[i];

		s->dev = dev;
		s->vq = vq;
		s->head = (uint16_t)(i * FM_DESC_PER_SLOT);
		s->in_cap = in_cap;
		s->out_cap = out_cap;
		s->in_gpa = vc_alloc(dev, in_cap, 4096);
		s->out_gpa = vc_alloc(dev, out_cap, 4096);
		if (s->in_gpa == UINT64_MAX || s->out_gpa == UINT64_MAX)
			return -ENOMEM;
		s->in = vc_ptr(dev, s->in_gpa);
		s->out = vc_ptr(dev, s->out_gpa);
	}
	return 0;
}

void fm_queue_rebind(struct fm_queue *q, struct vc_dev *dev)
{
	unsigned int idx = q->vq ? q->vq->index : 0;

	q->dev = dev;
	q->vq = &dev->vqs[idx];
	for (unsigned int i = 0; i < q->nslots; i++) {
		q->slots[i].dev = dev;
		q->slots[i].vq = q->vq;
	}
}

void fm_queue_free(struct fm_queue *q)
{
	free(q->slots);
	q->slots = NULL;
	q->nslots = 0;
}

struct fuse_in_header *fm_in_hdr(struct fm_slot *s)
{
	return (struct fuse_in_header *)s->in;
}

void fm_begin(struct fm_slot *s, uint32_t opcode, uint64_t nodeid)
{
	struct fuse_in_header h = {
		.opcode = opcode,
		.unique = next_unique++,
		.nodeid = nodeid,
		.pid = (uint32_t)getpid(),
	};

	memcpy(s->in, &h, sizeof(h));
	s->in_len = sizeof(h);
	s->seg_start = 0;
	s->nseg = 0;
	s->unique = h.unique;
	s->opcode = opcode;
	s->done = false;
	s->used_len = 0;
}

/* Callers size their requests to the slot; overflowing it is our bug. */
void *fm_space(struct fm_slot *s, size_t len)
{
	void *p;

	if (len > s->in_cap - s->in_len)
		abort();
	p = s->in + s->in_len;
	s->in_len += len;
	return p;
}

void fm_arg(struct fm_slot *s, const void *arg, size_t len)
{
	memcpy(fm_space(s, len), arg, len);
}

void fm_name(struct fm_slot *s, const char *name)
{
	fm_arg(s, name, strlen(name) + 1);
}

static void add_seg(struct fm_slot *s, uint64_t gpa, size_t len, bool write)
{
	if (s->nseg == FM_MAX_SEGS)
		abort();
	s->seg[s->nseg++] = (struct fm_seg){ gpa, (uint32_t)len, write };
}

void fm_split(struct fm_slot *s)
{
	if (s->in_len > s->seg_start)
		add_seg(s, s->in_gpa + s->seg_start, s->in_len - s->seg_start,
			false);
	s->seg_start = s->in_len;
}

void fm_end(struct fm_slot *s, size_t reply_len)
{
	fm_split(s);
	fm_in_hdr(s)->len = (uint32_t)s->in_len;
	if (reply_len > s->out_cap)
		abort();
	add_seg(s, s->out_gpa, sizeof(struct fuse_out_header), true);
	if (reply_len > sizeof(struct fuse_out_header))
		add_seg(s, s->out_gpa + sizeof(struct fuse_out_header),
			reply_len - sizeof(struct fuse_out_header), true);
	memset(s->out, 0, sizeof(struct fuse_out_header));
}

void fm_submit(struct fm_slot *s)
{
	struct vc_vq *vq = s->vq;

	for (unsigned int i = 0; i < s->nseg; i++) {
		struct vring_desc *d = &vq->desc[s->head + i];

		d->addr = s->seg[i].gpa;
		d->len = s->seg[i].len;
		d->flags = s->seg[i].write ? VRING_DESC_F_WRITE : 0;
		d->next = 0;
		if (i + 1 < s->nseg) {
			d->flags |= VRING_DESC_F_NEXT;
			d->next = (uint16_t)(s->head + i + 1);
		}
	}
	s->busy = true;
	s->done = false;
	s->t0 = vc_now_ns();
	vc_vq_publish(vq, s->head);
}

int fm_reap(struct fm_queue *q, struct fm_slot **done, unsigned int max)
{
	unsigned int n = 0;
	uint32_t id, len;

	while (n < max && vc_vq_get_used(q->vq, &id, &len)) {
		struct fm_slot *s;

		if (id % FM_DESC_PER_SLOT || id / FM_DESC_PER_SLOT >= q->nslots)
			continue; /* not a head we published: ignore it */
		s = &q->slots[id / FM_DESC_PER_SLOT];
		if (!s->busy)
			continue;
		s->busy = false;
		s->done = true;
		s->used_len = len;
		if (done)
			done[n] = s;
		n++;
	}
	return (int)n;
}

int fm_call(struct fm_queue *q, struct fm_slot *s, int timeout_ms)
{
	fm_submit(s);
	return fm_wait(q, s, timeout_ms);
}

int fm_wait(struct fm_queue *q, struct fm_slot *s, int timeout_ms)
{
	uint64_t deadline = vc_now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (!s->done) {
		int64_t left = (int64_t)(deadline - vc_now_ns()) / 1000000;

		if (left <= 0 || vc_vq_wait(q->vq, (int)left) <= 0) {
			if (!s->done && vc_vq_wait(q->vq, 0) <= 0)
				return -ETIMEDOUT;
		}
		fm_reap(q, NULL, q->nslots);
	}
	return 0;
}

int fm_reply(struct fm_slot *s, const void **payload, size_t *len)
{
	struct fuse_out_header oh;
	size_t cap = 0;

	for (unsigned int i = 0; i < s->nseg; i++)
		if (s->seg[i].write)
			cap += s->seg[i].len;
	if (s->used_len < sizeof(oh) || s->used_len > cap)
		return -EBADMSG;
	memcpy(&oh, s->out, sizeof(oh));
	if (oh.unique != s->unique || oh.len != s->used_len)
		return -EBADMSG;
	if (oh.error > 0 || oh.error < -4095)
		return -EBADMSG;
	if (oh.error)
		return oh.error;
	if (payload)
		*payload = s->out + sizeof(oh);
	if (len)
		*len = oh.len - sizeof(oh);
	return 0;
}

/* Reply room: header plus the largest answer the opcode can give. */
#define REPLY(x) (sizeof(struct fuse_out_header) + (x))

void fm_fill_init(struct fm_slot *s, uint32_t major, uint32_t minor,
		  uint64_t flags, size_t in_size)
{
	struct fuse_init_in in = {
		.major = major,
		.minor = minor,
		.max_readahead = 1u << 20,
		.flags = (uint32_t)flags,
		.flags2 = (uint32_t)(flags >> 32),
	};

	fm_begin(s, FUSE_INIT, 0);
	fm_arg(s, &in, in_size < sizeof(in) ? in_size : sizeof(in));
	fm_end(s, REPLY(sizeof(struct fuse_init_out)));
}

void fm_fill_lookup(struct fm_slot *s, uint64_t parent, const char *name)
{
	fm_begin(s, FUSE_LOOKUP, parent);
	fm_name(s, name);
	fm_end(s, REPLY(sizeof(struct fuse_entry_out)));
}

void fm_fill_forget(struct fm_slot *s, uint64_t nodeid, uint64_t nlookup)
{
	struct fuse_forget_in in = { .nlookup = nlookup };

	fm_begin(s, FUSE_FORGET, nodeid);
	fm_arg(s, &in, sizeof(in));
	fm_split(s);
	fm_in_hdr(s)->len = (uint32_t)s->in_len;
}

void fm_fill_batch_forget(struct fm_slot *s, const uint64_t *nodeids,
			  uint32_t count)
{
	struct fuse_batch_forget_in in = { .count = count };

	fm_begin(s, FUSE_BATCH_FORGET, 0);
	fm_arg(s, &in, sizeof(in));
	for (uint32_t i = 0; i < count; i++) {
		struct fuse_forget_one one = { .nodeid = nodeids[i], .nlookup = 1 };

		fm_arg(s, &one, sizeof(one));
	}
	fm_split(s);
	fm_in_hdr(s)->len = (uint32_t)s->in_len;
}

void fm_fill_lk(struct fm_slot *s, uint32_t opcode, uint64_t nodeid,
		uint64_t fh, uint64_t owner, uint32_t type)
{
	struct fuse_lk_in in = {
		.fh = fh,
		.owner = owner,
		.lk = { .start = 0, .end = INT64_MAX, .type = type },
	};

	fm_begin(s, opcode, nodeid);
	fm_arg(s, &in, sizeof(in));
	fm_end(s, REPLY(sizeof(struct fuse_lk_out)));
}

void fm_fill_interrupt(struct fm_slot *s, uint64_t unique)
{
	struct fuse_interrupt_in in = { .unique = unique };

	fm_begin(s, FUSE_INTERRUPT, 0);
	fm_arg(s, &in, sizeof(in));
	fm_split(s);
	fm_in_hdr(s)->len = (uint32_t)s->in_len;
}

void fm_fill_getattr(struct fm_slot *s, uint64_t nodeid)
{
	struct fuse_getattr_in in = { 0 };

	fm_begin(s, FUSE_GETATTR, nodeid);
	fm_arg(s, &in, sizeof(in));
	fm_end(s, REPLY(sizeof(struct fuse_attr_out)));
}

void fm_fill_open(struct fm_slot *s, uint32_t opcode, uint64_t nodeid,
		  uint32_t flags)
{
	struct fuse_open_in in = { .flags = flags };

	fm_begin(s, opcode, nodeid);
	fm_arg(s, &in, sizeof(in));
	fm_end(s, REPLY(sizeof(struct fuse_open_out)));
}

void fm_fill_release(struct fm_slot *s, uint32_t opcode, uint64_t nodeid,
		     uint64_t fh)
{
	struct fuse_release_in in = { .fh = fh };

	fm_begin(s, opcode, nodeid);
	fm_arg(s, &in, sizeof(in));
	fm_end(s, REPLY(0));
}

void fm_fill_read(struct fm_slot *s, uint32_t opcode, uint64_t nodeid,
		  uint64_t fh, uint64_t off, uint32_t size)
{
	struct fuse_read_in in = { .fh = fh, .offset = off, .size = size };

	fm_begin(s, opcode, nodeid);
	fm_arg(s, &in, sizeof(in));
	fm_end(s, REPLY(size));
}

void *fm_fill_write(struct fm_slot *s, uint64_t nodeid, uint64_t fh,
		    uint64_t off, uint32_t size)
{
	struct fuse_write_in in = { .fh = fh, .offset = off, .size = size };
	void *data;

	fm_begin(s, FUSE_WRITE, nodeid);
	fm_arg(s, &in, sizeof(in));
	fm_split(s);
	data = fm_space(s, size);
	fm_end(s, REPLY(sizeof(struct fuse_write_out)));
	return data;
}

void fm_fill_create(struct fm_slot *s, uint64_t parent, const char *name,
		    uint32_t mode)
{
	struct fuse_create_in in = {
		.flags = 02 /* O_RDWR */ | 0100 /* O_CREAT */ | 0200 /* O_EXCL */,
		.mode = mode,
	};

	fm_begin(s, FUSE_CREATE, parent);
	fm_arg(s, &in, sizeof(in));
	fm_name(s, name);
	fm_end(s, REPLY(sizeof(struct fuse_entry_out) +
			sizeof(struct fuse_open_out)));
}

void fm_fill_mknod(struct fm_slot *s, uint64_t parent, const char *name,
		   uint32_t mode)
{
	struct fuse_mknod_in in = { .mode = mode };

	fm_begin(s, FUSE_MKNOD, parent);
	fm_arg(s, &in, sizeof(in));
	fm_name(s, name);
	fm_end(s, REPLY(sizeof(struct fuse_entry_out)));
}

void fm_fill_mkdir(struct fm_slot *s, uint64_t parent, const char *name)
{
	struct fuse_mkdir_in in = { .mode = 0755 };

	fm_begin(s, FUSE_MKDIR, parent);
	fm_arg(s, &in, sizeof(in));
	fm_name(s, name);
	fm_end(s, REPLY(sizeof(struct fuse_entry_out)));
}

void fm_fill_unlink(struct fm_slot *s, uint32_t opcode, uint64_t parent,
		    const char *name)
{
	fm_begin(s, opcode, parent);
	fm_name(s, name);
	fm_end(s, REPLY(0));
}

#define SYNC_TIMEOUT_MS 10000

static struct fm_slot *idle_slot(struct fm_queue *q)
{
	for (unsigned int i = 0; i < q->nslots; i++)
		if (!q->slots[i].busy)
			return &q->slots[i];
	return NULL;
}

int fm_call_copy(struct fm_queue *q, struct fm_slot *s, int timeout_ms,
		 void *out, size_t want)
{
	const void *p;
	size_t len;
	int r = fm_call(q, s, timeout_ms);

	if (r)
		return r;
	r = fm_reply(s, &p, &len);
	if (r)
		return r;
	if (len < want)
		return -EBADMSG;
	if (want)
		memcpy(out, p, want);
	return 0;
}

int fm_do_init(struct fm_queue *q, struct fuse_init_out *out)
{
	struct fm_slot *s = idle_slot(q);
	const void *p;
	size_t len;
	int r;

	if (!s)
		return -EBUSY;
	fm_fill_init(s, FUSE_KERNEL_VERSION, FUSE_KERNEL_MINOR_VERSION,
		     FUSE_ASYNC_READ | FUSE_POSIX_LOCKS | FUSE_ATOMIC_O_TRUNC |
			     FUSE_EXPORT_SUPPORT | FUSE_BIG_WRITES |
			     FUSE_DO_READDIRPLUS | FUSE_ASYNC_DIO |
			     FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES |
			     FUSE_INIT_EXT,
		     sizeof(struct fuse_init_in));
	r = fm_call(q, s, SYNC_TIMEOUT_MS);
	if (r)
		return r;
	r = fm_reply(s, &p, &len);
	if (r)
		return r;
	/* Older servers answer with a shorter fuse_init_out. */
	memset(out, 0, sizeof(*out));
	if (len < FUSE_COMPAT_22_INIT_OUT_SIZE)
		return -EBADMSG;
	memcpy(out, p, len < sizeof(*out) ? len : sizeof(*out));
	return 0;
}

int fm_do_lookup(struct fm_queue *q, uint64_t parent, const char *name,
		 struct fuse_entry_out *out)
{
	struct fm_slot *s = idle_slot(q);

	if (!s)
		return -EBUSY;
	fm_fill_lookup(s, parent, name);
	return fm_call_copy(q, s, SYNC_TIMEOUT_MS, out, sizeof(*out));
}

int fm_do_getattr(struct fm_queue *q, uint64_t nodeid, struct fuse_attr_out *out)
{
	struct fm_slot *s = idle_slot(q);

	if (!s)
		return -EBUSY;
	fm_fill_getattr(s, nodeid);
	return fm_call_copy(q, s, SYNC_TIMEOUT_MS, out, sizeof(*out));
}

int fm_do_open(struct fm_queue *q, uint32_t opcode, uint64_t nodeid,
	       uint32_t flags, uint64_t *fh)
{
	struct fm_slot *s = idle_slot(q);
	struct fuse_open_out o;
	int r;

	if (!s)
		return -EBUSY;
	fm_fill_open(s, opcode, nodeid, flags);
	r = fm_call_copy(q, s, SYNC_TIMEOUT_MS, &o, sizeof(o));
	if (!r)
		*fh = o.fh;
	return r;
}

int fm_do_release(struct fm_queue *q, uint32_t opcode, uint64_t nodeid,
		  uint64_t fh)
{
	struct fm_slot *s = idle_slot(q);

	if (!s)
		return -EBUSY;
	fm_fill_release(s, opcode, nodeid, fh);
	return fm_call_copy(q, s, SYNC_TIMEOUT_MS, NULL, 0);
}

/* FORGET has no reply; the chain still comes back, with nothing written. */
int fm_do_forget(struct fm_queue *q, uint64_t nodeid, uint64_t nlookup)
{
	struct fm_slot *s = idle_slot(q);

	if (!s)
		return -EBUSY;
	fm_fill_forget(s, nodeid, nlookup);
	return fm_call(q, s, SYNC_TIMEOUT_MS);
}

int fm_do_mkdir(struct fm_queue *q, uint64_t parent, const char *name,
		struct fuse_entry_out *out)
{
	struct fm_slot *s = idle_slot(q);

	if (!s)
		return -EBUSY;
	fm_fill_mkdir(s, parent, name);
	return fm_call_copy(q, s, SYNC_TIMEOUT_MS, out, sizeof(*out));
}

int fm_do_unlink(struct fm_queue *q, uint32_t opcode, uint64_t parent,
		 const char *name)
{
	struct fm_slot *s = idle_slot(q);

	if (!s)
		return -EBUSY;
	fm_fill_unlink(s, opcode, parent, name);
	return fm_call_copy(q, s, SYNC_TIMEOUT_MS, NULL, 0);
}

int fm_do_write(struct fm_queue *q, uint64_t nodeid, uint64_t fh, uint64_t off,
		const void *data, uint32_t size)
{
	struct fm_slot *s = idle_slot(q);
	struct fuse_write_out wo;
	int r;

	if (!s)
		return -EBUSY;
	memcpy(fm_fill_write(s, nodeid, fh, off, size), data, size);
	r = fm_call_copy(q, s, SYNC_TIMEOUT_MS, &wo, sizeof(wo));
	if (!r && wo.size != size)
		return -EIO;
	return r;
}

int fm_do_create(struct fm_queue *q, uint64_t parent, const char *name,
		 uint32_t mode, struct fuse_entry_out *e, uint64_t *fh)
{
	struct fm_slot *s = idle_slot(q);
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out;
	int r;

	if (!s)
		return -EBUSY;
	fm_fill_create(s, parent, name, mode);
	r = fm_call_copy(q, s, SYNC_TIMEOUT_MS, &out, sizeof(out));
	if (!r) {
		*e = out.e;
		*fh = out.o.fh;
	}
	return r;
}

void fm_pattern_fill(void *buf, uint64_t off, size_t len)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = (off + i * 8) ^ 0x9e3779b97f4a7c15ull;
}

bool fm_pattern_check(const void *buf, uint64_t off, size_t len)
{
	const uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++)
		if (w[i] != ((off + i * 8) ^ 0x9e3779b97f4a7c15ull))
			return false;
	return true;
}
