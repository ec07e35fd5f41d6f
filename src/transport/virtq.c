/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "transport/virtq.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>

#include "util/log.h"

void vq_init(struct virtq *vq, unsigned int index)
{
	memset(vq, 0, sizeof(*vq));
	vq->index = index;
	vq->call_fd = -1;
}

void vq_set_broken(struct virtq *vq, const char *why)
{
	/* Zero pages standing in for the ring make any nonsense. */
	if (vq->mem && gm_vanished(vq->mem))
		why = "its guest memory is gone";
	if (!__atomic_exchange_n(&vq->broken, true, __ATOMIC_RELAXED))
		log_err("virtqueue %u broken: %s", vq->index, why);
}

static bool vq_is_broken(const struct virtq *vq)
{
	return __atomic_load_n(&vq->broken, __ATOMIC_RELAXED);
}

/* The front end shrank the memory under the ring: pop nothing more. */
static bool vq_mem_gone(struct virtq *vq)
{
	if (!gm_vanished(vq->mem))
		return false;
	vq_set_broken(vq, "its guest memory is gone");
	return true;
}

int vq_map(struct virtq *vq, const struct guest_mem *mem, uint64_t desc_uva,
	   uint64_t avail_uva, uint64_t used_uva)
{
	/* Sizes per virtio 1.x 2.7: each ring ends with a 16-bit event field. */
	uint64_t n = vq->num;
	uint64_t desc_len = 16 * n;
	uint64_t avail_len = 4 + 2 * n + 2;
	uint64_t used_len = 4 + 8 * n + 2;
	void *d, *a, *u;

	vq->mem = mem;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	if (n == 0 || n > VQ_MAX_SIZE || (n & (n - 1)) != 0)
		return -EINVAL;
	/* Alignment the spec requires, and that our 16/32-bit accesses need. */
	if (desc_uva % 16 || avail_uva % 2 || used_uva % 4)
		return -EINVAL;
	d = gm_uva_to_hva(mem, desc_uva, desc_len);
	a = gm_uva_to_hva(mem, avail_uva, avail_len);
	u = gm_uva_to_hva(mem, used_uva, used_len);
	if (d == NULL || a == NULL || u == NULL)
		return -EINVAL;
	vq->desc = d;
	vq->avail = a;
	vq->used = u;
	return 0;
}

void vq_sync_used_idx(struct virtq *vq)
{
	vq->used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_RELAXED);
	vq->signalled_used_valid = false;
}

/* Everything the walk of one chain needs to carry along. */
struct vq_walk {
	const struct vring_desc *table;
	unsigned int table_len;
	unsigned int visited;
	bool indirect;
	bool seen_in;		/* a device-writable ("in") buffer was seen */
};

static void vq_read_desc(const struct vring_desc *table, unsigned int i,
			 struct vring_desc *d)
{
	/* One copy; the guest may rewrite the original while we look. */
	d->addr = __atomic_load_n(&table[i].addr, __ATOMIC_RELAXED);
	d->len = __atomic_load_n(&table[i].len, __ATOMIC_RELAXED);
	d->flags = __atomic_load_n(&table[i].flags, __ATOMIC_RELAXED);
	d->next = __atomic_load_n(&table[i].next, __ATOMIC_RELAXED);
}

/*
 * Append one buffer, split where it crosses from one region to the next;
 * in: device-writable (the spec's "in" direction).
 */
static int vq_add_buf(struct virtq *vq, struct vq_chain *c, uint64_t addr,
		      uint32_t len, bool in)
{
	size_t *total = in ? &c->in_len : &c->out_len;
	uint64_t left = len;

	if (__builtin_add_overflow(*total, (size_t)len, total)) {
		vq_set_broken(vq, "chain length overflows");
		return -EIO;
	}
	while (left > 0) {
		uint64_t chunk = left;
		void *p = gm_gpa_to_hva(vq->mem, addr, &chunk);
		unsigned int n = c->out_cnt + c->in_cnt;

		if (p == NULL) {
			vq_set_broken(vq, "buffer outside guest memory");
			return -EIO;
		}
		if (n >= c->iov_cap) {
			vq_set_broken(vq, "chain has too many buffers");
			return -EIO;
		}
		c->iov[n].iov_base = p;
		c->iov[n].iov_len = (size_t)chunk;
		if (in)
			c->in_cnt++;
		else
			c->out_cnt++;
		/* chunk <= left, and addr + chunk stays inside its region. */
		addr += chunk;
		left -= chunk;
	}
	return 0;
}

/*
 * Switch the walk to the indirect table d names. Only the head may be
 * indirect (as Linux builds them), it may not also chain on, and the table
 * must be whole descriptors, in one region, no longer than the queue.
 */
static int vq_enter_indirect(struct virtq *vq, struct vq_walk *w,
			     const struct vring_desc *d)
{
	uint64_t len = d->len;
	void *table;

	if (!vq->indirect) {
		vq_set_broken(vq, "indirect descriptor not negotiated");
		return -EIO;
	}
	if (w->indirect) {
		vq_set_broken(vq, "nested indirect descriptor");
		return -EIO;
	}
	if (w->visited != 1 || (d->flags & VRING_DESC_F_NEXT)) {
		vq_set_broken(vq, "indirect descriptor inside a chain");
		return -EIO;
	}
	if (len == 0 || len % sizeof(struct vring_desc) != 0 ||
	    len / sizeof(struct vring_desc) > vq->num) {
		vq_set_broken(vq, "indirect table has a bad length");
		return -EIO;
	}
	table = gm_gpa_to_hva(vq->mem, d->addr, &len);
	if (table == NULL || len != d->len) {
		vq_set_broken(vq, "indirect table outside guest memory");
		return -EIO;
	}
	if ((uintptr_t)table % _Alignof(struct vring_desc) != 0) {
		vq_set_broken(vq, "indirect table misaligned");
		return -EIO;
	}
	w->table = table;
	w->table_len = (unsigned int)(len / sizeof(struct vring_desc));
	w->visited = 0;
	w->indirect = true;
	return 0;
}

static int vq_walk_chain(struct virtq *vq, struct vq_chain *c, uint16_t head)
{
	struct vq_walk w = { .table = vq->desc, .table_len = vq->num };
	unsigned int i = head;
	struct vring_desc d;

	for (;;) {
		/* A table of n entries holds no loop-free chain longer than n. */
		if (++w.visited > w.table_len) {
			vq_set_broken(vq, "descriptor chain loops");
			return -EIO;
		}
		vq_read_desc(w.table, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (vq_enter_indirect(vq, &w, &d) < 0)
				return -EIO;
			i = 0;
			continue;
		}
		if (d.flags & VRING_DESC_F_WRITE) {
			w.seen_in = true;
		} else if (w.seen_in) {
			vq_set_broken(vq, "readable buffer after a writable one");
			return -EIO;
		}
		if (d.len > 0 &&
		    vq_add_buf(vq, c, d.addr, d.len, w.seen_in) < 0)
			return -EIO;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= w.table_len) {
			vq_set_broken(vq, "next descriptor out of range");
			return -EIO;
		}
	}
}

int vq_pop(struct virtq *vq, struct vq_chain *c)
{
	uint16_t avail_idx, head;

	if (vq_is_broken(vq) || vq->avail == NULL)
		return -EIO;
	/* Acquire: the ring entries below were written before idx. */
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	/* Zero pages in place of a vanished ring read as empty too. */
	if (avail_idx == vq->last_avail_idx)
		return vq_mem_gone(vq) ? -EIO : 0;
	if ((uint16_t)(avail_idx - vq->last_avail_idx) > vq->num) {
		vq_set_broken(vq, "available index moved past the queue size");
		return -EIO;
	}
	head = __atomic_load_n(&vq->avail->ring[vq->last_avail_idx % vq->num],
			       __ATOMIC_RELAXED);
	if (head >= vq->num) {
		vq_set_broken(vq, "head descriptor out of range");
		return -EIO;
	}
	c->head = head;
	c->out_cnt = 0;
	c->in_cnt = 0;
	c->out_len = 0;
	c->in_len = 0;
	if (vq_walk_chain(vq, c, head) < 0)
		return -EIO;
	/* What the ring said may have been zero pages standing in for it. */
	if (vq_mem_gone(vq))
		return -EIO;
	vq->last_avail_idx++;
	return 1;
}

void vq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx % vq->num];

	__atomic_store_n(&e->id, (uint32_t)head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, len, __ATOMIC_RELAXED);
	vq->used_idx++;
	/* Release: the element is visible before the index that covers it. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

bool vq_should_notify(struct virtq *vq)
{
	uint16_t old, event;
	bool valid;

	/*
	 * Full barrier: the driver must see our used->idx before we read its
	 * used_event/flags, or both sides could decide not to act.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	valid = vq->signalled_used_valid;
	vq->signalled_used = vq->used_idx;
	vq->signalled_used_valid = true;
	if (!valid)
		return true;
	event = __atomic_load_n(&vq->avail->ring[vq->num], __ATOMIC_RELAXED);
	return vring_need_event(event, vq->used_idx, old);
}

void vq_notify(struct virtq *vq)
{
	if (vq->call_fd < 0 || !vq_should_notify(vq))
		return;
	if (eventfd_write(vq->call_fd, 1) < 0)
		log_warn("virtqueue %u: call eventfd: %s", vq->index,
			 strerror(errno));
}

void vq_suppress_notify(struct virtq *vq)
{
	if (vq->event_idx || vq->suppressed || vq_is_broken(vq) ||
	    vq->used == NULL)
		return;
	/* Only the device writes used->flags. */
	__atomic_store_n(&vq->used->flags, VRING_USED_F_NO_NOTIFY,
			 __ATOMIC_RELAXED);
	vq->suppressed = true;
}

bool vq_arm_notify(struct virtq *vq)
{
	uint16_t *avail_event;

	if (vq_is_broken(vq) || vq->avail == NULL)
		return false;
	if (vq->event_idx) {
		avail_event = (uint16_t *)&vq->used->ring[vq->num];
		__atomic_store_n(avail_event, vq->last_avail_idx,
				 __ATOMIC_RELAXED);
	} else if (vq->suppressed) {
		__atomic_store_n(&vq->used->flags, 0, __ATOMIC_RELAXED);
		vq->suppressed = false;
	}
	/* Publish avail_event before looking at avail->idx once more. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_RELAXED) !=
	       vq->last_avail_idx;
}

bool vq_has_avail(struct virtq *vq)
{
	if (vq_is_broken(vq) || vq->avail == NULL)
		return false;
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) !=
	       vq->last_avail_idx;
}

bool vq_renotify(struct virtq *vq)
{
	uint16_t event;

	if (!vq->event_idx || vq->call_fd < 0 || vq->avail == NULL ||
	    vq_is_broken(vq))
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	event = __atomic_load_n(&vq->avail->ring[vq->num], __ATOMIC_RELAXED);
	/*
	 * A driver that consumed everything points used_event at used_idx.
	 * One still busy with callbacks off lags too; an interrupt more is
	 * harmless to it.
	 */
	if (event == vq->used_idx)
		return false;
	if (eventfd_write(vq->call_fd, 1) < 0) {
		log_warn("virtqueue %u: call eventfd: %s", vq->index,
			 strerror(errno));
		return false;
	}
	return true;
}
