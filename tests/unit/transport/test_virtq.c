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
#include <unistd.h>

#include <cmocka.h>

#include "transport/virtq.h"

/*
 * Fake guest: two adjacent regions. Region A holds the rings and an
 * indirect table area; buffers live in both, so one can straddle them.
 */
#define QSZ 8
#define GPA_A 0x100000ULL
#define GPA_B (GPA_A + REGION_SIZE)
#define UVA_A 0x7f0000000000ULL
#define UVA_B 0x7f1000000000ULL
#define REGION_SIZE 0x10000ULL
#define DESC_OFF 0x0
#define AVAIL_OFF 0x1000
#define USED_OFF 0x2000
#define IND_OFF 0x3000
#define DATA_OFF 0x8000

struct fake {
	struct guest_mem gm;
	struct virtq vq;
	uint8_t *a;
	uint8_t *b;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	struct iovec iov[VQ_MAX_IOV];
	struct vq_chain c;
};

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->a = aligned_alloc(4096, REGION_SIZE);
	f->b = aligned_alloc(4096, REGION_SIZE);
	assert_non_null(f->a);
	assert_non_null(f->b);
	memset(f->a, 0, REGION_SIZE);
	memset(f->b, 0, REGION_SIZE);
	gm_init(&f->gm);
	assert_int_equal(gm_add_host_region(&f->gm, GPA_A, REGION_SIZE, UVA_A,
					    f->a), 0);
	assert_int_equal(gm_add_host_region(&f->gm, GPA_B, REGION_SIZE, UVA_B,
					    f->b), 0);
	vq_init(&f->vq, 1);
	f->vq.num = QSZ;
	f->vq.indirect = true;
	assert_int_equal(vq_map(&f->vq, &f->gm, UVA_A + DESC_OFF,
				UVA_A + AVAIL_OFF, UVA_A + USED_OFF), 0);
	f->desc = (struct vring_desc *)(f->a + DESC_OFF);
	f->avail = (struct vring_avail *)(f->a + AVAIL_OFF);
	f->used = (struct vring_used *)(f->a + USED_OFF);
	f->c.iov = f->iov;
	f->c.iov_cap = VQ_MAX_IOV;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	if (f->vq.call_fd >= 0)
		close(f->vq.call_fd);
	free(f->a);
	free(f->b);
	free(f);
	return 0;
}

static void set_desc(struct vring_desc *t, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	t[i] = (struct vring_desc){ addr, len, flags, next };
}

/* Offer head as the next available chain. */
static void offer(struct fake *f, uint16_t head)
{
	f->avail->ring[f->avail->idx % QSZ] = head;
	f->avail->idx++;
}

static void test_empty(void **state)
{
	struct fake *f = *state;

	assert_int_equal(vq_pop(&f->vq, &f->c), 0);
	assert_false(f->vq.broken);
}

static void test_normal_chain(void **state)
{
	struct fake *f = *state;

	set_desc(f->desc, 0, GPA_A + DATA_OFF, 40, VRING_DESC_F_NEXT, 1);
	set_desc(f->desc, 1, GPA_A + DATA_OFF + 100, 10, VRING_DESC_F_NEXT, 5);
	set_desc(f->desc, 5, GPA_B + 0x200, 4096, VRING_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.head, 0);
	assert_int_equal(f->c.out_cnt, 2);
	assert_int_equal(f->c.in_cnt, 1);
	assert_int_equal(f->c.out_len, 50);
	assert_int_equal(f->c.in_len, 4096);
	assert_ptr_equal(f->iov[0].iov_base, f->a + DATA_OFF);
	assert_int_equal(f->iov[0].iov_len, 40);
	assert_ptr_equal(f->iov[1].iov_base, f->a + DATA_OFF + 100);
	assert_ptr_equal(f->iov[2].iov_base, f->b + 0x200);
	assert_int_equal(f->iov[2].iov_len, 4096);
	assert_int_equal(f->vq.last_avail_idx, 1);
	assert_int_equal(vq_pop(&f->vq, &f->c), 0);
}

static void test_straddling_buffer_splits(void **state)
{
	struct fake *f = *state;

	set_desc(f->desc, 2, GPA_B - 16, 48, VRING_DESC_F_WRITE, 0);
	offer(f, 2);
	assert_int_equal(vq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.in_cnt, 2);
	assert_ptr_equal(f->iov[0].iov_base, f->a + REGION_SIZE - 16);
	assert_int_equal(f->iov[0].iov_len, 16);
	assert_ptr_equal(f->iov[1].iov_base, f->b);
	assert_int_equal(f->iov[1].iov_len, 32);
	assert_int_equal(f->c.in_len, 48);
}

static void expect_broken(struct fake *f)
{
	assert_int_equal(vq_pop(&f->vq, &f->c), -EIO);
	assert_true(f->vq.broken);
	assert_int_equal(f->vq.last_avail_idx, 0);
	/* Stays broken: nothing more is popped. */
	assert_int_equal(vq_pop(&f->vq, &f->c), -EIO);
}

static void test_looped_chain(void **state)
{
	struct fake *f = *state;

	set_desc(f->desc, 0, GPA_A + DATA_OFF, 8, VRING_DESC_F_NEXT, 1);
	set_desc(f->desc, 1, GPA_A + DATA_OFF, 8, VRING_DESC_F_NEXT, 2);
	set_desc(f->desc, 2, GPA_A + DATA_OFF, 8, VRING_DESC_F_NEXT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_self_loop_through_next(void **state)
{
	struct fake *f = *state;

	set_desc(f->desc, 3, GPA_A + DATA_OFF, 8, VRING_DESC_F_NEXT, 3);
	offer(f, 3);
	expect_broken(f);
}

static void test_full_length_chain_is_fine(void **state)
{
	struct fake *f = *state;

	for (unsigned int i = 0; i < QSZ; i++)
		set_desc(f->desc, i, GPA_A + DATA_OFF + i * 16, 16,
			 i + 1 < QSZ ? VRING_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	offer(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.out_cnt, QSZ);
}

static void test_next_out_of_range(void **state)
{
	struct fake *f = *state;

	set_desc(f->desc, 0, GPA_A + DATA_OFF, 8, VRING_DESC_F_NEXT, QSZ);
	offer(f, 0);
	expect_broken(f);
}

static void test_head_out_of_range(void **state)
{
	struct fake *f = *state;

	offer(f, QSZ);
	expect_broken(f);
}

static void test_avail_idx_jump(void **state)
{
	struct fake *f = *state;

	f->avail->idx = QSZ + 1;
	expect_broken(f);
}

static void test_address_out_of_range(void **state)
{
	struct fake *f = *state;

	set_desc(f->desc, 0, GPA_A - 8, 8, 0, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_address_runs_off_memory(void **state)
{
	struct fake *f = *state;

	set_desc(f->desc, 0, GPA_B + REGION_SIZE - 8, 16, VRING_DESC_F_WRITE,
		 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_address_wraps(void **state)
{
	struct fake *f = *state;

	set_desc(f->desc, 0, UINT64_MAX - 4, 0x100, 0, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_zero_length_buffers(void **state)
{
	struct fake *f = *state;

	/* Zero-length buffers carry nothing and need no translation. */
	set_desc(f->desc, 0, 0, 0, VRING_DESC_F_NEXT, 1);
	set_desc(f->desc, 1, GPA_A + DATA_OFF, 16, VRING_DESC_F_NEXT, 2);
	set_desc(f->desc, 2, 0xdead0000, 0, VRING_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.out_cnt, 1);
	assert_int_equal(f->c.in_cnt, 0);
	assert_int_equal(f->c.out_len, 16);
}

static void test_readable_after_writable(void **state)
{
	struct fake *f = *state;

	set_desc(f->desc, 0, GPA_A + DATA_OFF, 8,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(f->desc, 1, GPA_A + DATA_OFF + 8, 8, 0, 0);
	offer(f, 0);
	expect_broken(f);
}

static struct vring_desc *ind_table(struct fake *f)
{
	return (struct vring_desc *)(f->a + IND_OFF);
}

static void test_indirect_chain(void **state)
{
	struct fake *f = *state;
	struct vring_desc *t = ind_table(f);

	set_desc(t, 0, GPA_A + DATA_OFF, 40, VRING_DESC_F_NEXT, 2);
	set_desc(t, 2, GPA_B, 128, VRING_DESC_F_WRITE, 0);
	set_desc(f->desc, 4, GPA_A + IND_OFF, 3 * 16, VRING_DESC_F_INDIRECT,
		 0);
	offer(f, 4);
	assert_int_equal(vq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.head, 4);
	assert_int_equal(f->c.out_cnt, 1);
	assert_int_equal(f->c.in_cnt, 1);
	assert_ptr_equal(f->iov[1].iov_base, f->b);
}

static void test_indirect_pointing_at_itself(void **state)
{
	struct fake *f = *state;
	struct vring_desc *t = ind_table(f);

	set_desc(t, 0, GPA_A + IND_OFF, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(f->desc, 0, GPA_A + IND_OFF, 16, VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_nested_indirect(void **state)
{
	struct fake *f = *state;
	struct vring_desc *t = ind_table(f);

	set_desc(t, 0, GPA_A + DATA_OFF, 8, VRING_DESC_F_NEXT, 1);
	set_desc(t, 1, GPA_A + IND_OFF + 0x100, 32, VRING_DESC_F_INDIRECT, 0);
	set_desc(f->desc, 0, GPA_A + IND_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_loop(void **state)
{
	struct fake *f = *state;
	struct vring_desc *t = ind_table(f);

	set_desc(t, 0, GPA_A + DATA_OFF, 8, VRING_DESC_F_NEXT, 1);
	set_desc(t, 1, GPA_A + DATA_OFF, 8, VRING_DESC_F_NEXT, 0);
	set_desc(f->desc, 0, GPA_A + IND_OFF, 32, VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_bad_length(void **state)
{
	struct fake *f = *state;

	set_desc(f->desc, 0, GPA_A + IND_OFF, 20, VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_zero_length(void **state)
{
	struct fake *f = *state;

	set_desc(f->desc, 0, GPA_A + IND_OFF, 0, VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_with_next(void **state)
{
	struct fake *f = *state;

	set_desc(ind_table(f), 0, GPA_A + DATA_OFF, 8, 0, 0);
	set_desc(f->desc, 0, GPA_A + IND_OFF, 16,
		 VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	set_desc(f->desc, 1, GPA_A + DATA_OFF, 8, 0, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_after_direct(void **state)
{
	struct fake *f = *state;

	set_desc(ind_table(f), 0, GPA_A + DATA_OFF, 8, 0, 0);
	set_desc(f->desc, 0, GPA_A + DATA_OFF, 8, VRING_DESC_F_NEXT, 1);
	set_desc(f->desc, 1, GPA_A + IND_OFF, 16, VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_not_negotiated(void **state)
{
	struct fake *f = *state;

	f->vq.indirect = false;
	set_desc(ind_table(f), 0, GPA_A + DATA_OFF, 8, 0, 0);
	set_desc(f->desc, 0, GPA_A + IND_OFF, 16, VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_indirect_table_outside_memory(void **state)
{
	struct fake *f = *state;

	/* Table straddles the end of the last region. */
	set_desc(f->desc, 0, GPA_B + REGION_SIZE - 16, 32,
		 VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_chain_longer_than_queue(void **state)
{
	struct fake *f = *state;
	struct vring_desc *t = ind_table(f);

	for (unsigned int i = 0; i <= QSZ; i++)
		set_desc(t, i, GPA_A + DATA_OFF, 8,
			 i < QSZ ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	set_desc(f->desc, 0, GPA_A + IND_OFF, (QSZ + 1) * 16,
		 VRING_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_too_many_iovecs(void **state)
{
	struct fake *f = *state;

	f->c.iov_cap = 2;
	set_desc(f->desc, 0, GPA_A + DATA_OFF, 8, VRING_DESC_F_NEXT, 1);
	set_desc(f->desc, 1, GPA_B - 8, 16, 0, 0);
	offer(f, 0);
	expect_broken(f);
}

static void test_push_used(void **state)
{
	struct fake *f = *state;

	vq_sync_used_idx(&f->vq);
	vq_push(&f->vq, 5, 123);
	vq_push(&f->vq, 2, 0);
	assert_int_equal(f->used->idx, 2);
	assert_int_equal(f->used->ring[0].id, 5);
	assert_int_equal(f->used->ring[0].len, 123);
	assert_int_equal(f->used->ring[1].id, 2);
	assert_int_equal(f->used->ring[1].len, 0);
}

static void test_push_wraps_ring(void **state)
{
	struct fake *f = *state;

	f->used->idx = 0xfffe;
	vq_sync_used_idx(&f->vq);
	for (unsigned int i = 0; i < 3; i++)
		vq_push(&f->vq, (uint16_t)i, 1);
	assert_int_equal(f->used->idx, 1);
	assert_int_equal(f->used->ring[0xfffe % QSZ].id, 0);
	assert_int_equal(f->used->ring[0].id, 2);
}

static void test_notify_without_event_idx(void **state)
{
	struct fake *f = *state;

	vq_push(&f->vq, 0, 0);
	assert_true(vq_should_notify(&f->vq));
	f->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	assert_false(vq_should_notify(&f->vq));
}

static void test_notify_event_idx(void **state)
{
	struct fake *f = *state;
	uint16_t *used_event = &f->avail->ring[QSZ];

	f->vq.event_idx = true;
	/* The flag means nothing with EVENT_IDX. */
	f->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	vq_push(&f->vq, 0, 0);
	/* First decision after a (re)start always notifies. */
	assert_true(vq_should_notify(&f->vq));
	/* Driver wants an interrupt when used idx passes 3. */
	*used_event = 3;
	vq_push(&f->vq, 1, 0); /* used idx 2 */
	assert_false(vq_should_notify(&f->vq));
	vq_push(&f->vq, 2, 0); /* 3 */
	assert_false(vq_should_notify(&f->vq));
	vq_push(&f->vq, 3, 0); /* 4: crossed event + 1 */
	assert_true(vq_should_notify(&f->vq));
	/* Already told; the driver did not move its event. */
	vq_push(&f->vq, 4, 0);
	assert_false(vq_should_notify(&f->vq));
	/* Batch that jumps over the event index still notifies. */
	*used_event = 5;
	vq_push(&f->vq, 5, 0);
	vq_push(&f->vq, 6, 0);
	assert_true(vq_should_notify(&f->vq));
}

static void test_notify_signals_call_fd(void **state)
{
	struct fake *f = *state;
	eventfd_t v = 0;

	f->vq.call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(f->vq.call_fd >= 0);
	vq_push(&f->vq, 0, 0);
	vq_notify(&f->vq);
	assert_int_equal(eventfd_read(f->vq.call_fd, &v), 0);
	assert_int_equal(v, 1);
	f->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	vq_push(&f->vq, 1, 0);
	vq_notify(&f->vq);
	assert_int_equal(eventfd_read(f->vq.call_fd, &v), -1);
}

static void test_arm_notify(void **state)
{
	struct fake *f = *state;
	uint16_t *avail_event = (uint16_t *)&f->used->ring[QSZ];

	f->vq.event_idx = true;
	set_desc(f->desc, 0, GPA_A + DATA_OFF, 8, 0, 0);
	offer(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->c), 1);
	assert_false(vq_arm_notify(&f->vq));
	assert_int_equal(*avail_event, 1);
	offer(f, 0);
	assert_true(vq_arm_notify(&f->vq));
}

/*
 * While the device polls, the driver is told not to kick: without
 * EVENT_IDX by VRING_USED_F_NO_NOTIFY, which re-arming clears again; with
 * EVENT_IDX avail_event stays behind what the driver publishes next.
 */
static void test_suppress_notify(void **state)
{
	struct fake *f = *state;
	uint16_t *avail_event = (uint16_t *)&f->used->ring[QSZ];

	vq_suppress_notify(&f->vq);
	assert_int_equal(f->used->flags, VRING_USED_F_NO_NOTIFY);
	set_desc(f->desc, 0, GPA_A + DATA_OFF, 8, 0, 0);
	offer(f, 0);
	assert_true(vq_arm_notify(&f->vq));
	assert_int_equal(f->used->flags, 0);
	assert_int_equal(vq_pop(&f->vq, &f->c), 1);
	assert_false(vq_arm_notify(&f->vq));

	f->vq.event_idx = true;
	assert_false(vq_arm_notify(&f->vq));
	assert_int_equal(*avail_event, 1);
	offer(f, 0);
	/* The first chain after re-arming is kicked for... */
	assert_true(vring_need_event(*avail_event, 2, 1));
	assert_int_equal(vq_pop(&f->vq, &f->c), 1);
	vq_suppress_notify(&f->vq);
	assert_int_equal(f->used->flags, 0);
	/* ...the next one, while the device polls, is not. */
	offer(f, 0);
	assert_false(vring_need_event(*avail_event, 3, 2));
	assert_int_equal(vq_pop(&f->vq, &f->c), 1);
	assert_false(vq_arm_notify(&f->vq));
	assert_int_equal(*avail_event, 3);
}

/* A chain the driver published but never kicked for is still seen. */
static void test_has_avail(void **state)
{
	struct fake *f = *state;

	assert_false(vq_has_avail(&f->vq));
	set_desc(f->desc, 0, GPA_A + DATA_OFF, 8, 0, 0);
	offer(f, 0);
	assert_true(vq_has_avail(&f->vq));
	assert_int_equal(vq_pop(&f->vq, &f->c), 1);
	assert_false(vq_has_avail(&f->vq));
	vq_set_broken(&f->vq, "test");
	offer(f, 0);
	assert_false(vq_has_avail(&f->vq));
}

/* Signal again only while the driver's used_event lags the used ring. */
static void test_renotify(void **state)
{
	struct fake *f = *state;
	uint16_t *used_event = &f->avail->ring[QSZ];
	eventfd_t v = 0;

	f->vq.call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(f->vq.call_fd >= 0);
	/* Without EVENT_IDX there is no telling what the driver saw. */
	vq_push(&f->vq, 0, 0);
	assert_false(vq_renotify(&f->vq));
	f->vq.event_idx = true;
	/* The driver consumed everything: used_event == used idx. */
	*used_event = 1;
	assert_false(vq_renotify(&f->vq));
	assert_int_equal(eventfd_read(f->vq.call_fd, &v), -1);
	/* Two more pushed, the driver still at 1: it missed them. */
	vq_push(&f->vq, 1, 0);
	vq_push(&f->vq, 2, 0);
	assert_true(vq_renotify(&f->vq));
	assert_int_equal(eventfd_read(f->vq.call_fd, &v), 0);
	assert_int_equal(v, 1);
	/* It caught up. */
	*used_event = 3;
	assert_false(vq_renotify(&f->vq));
}

static void test_map_rejects(void **state)
{
	struct fake *f = *state;

	f->vq.num = 6; /* not a power of two */
	assert_int_equal(vq_map(&f->vq, &f->gm, UVA_A, UVA_A + AVAIL_OFF,
				UVA_A + USED_OFF), -EINVAL);
	f->vq.num = QSZ;
	/* Misaligned descriptor table. */
	assert_int_equal(vq_map(&f->vq, &f->gm, UVA_A + 8, UVA_A + AVAIL_OFF,
				UVA_A + USED_OFF), -EINVAL);
	/* Used ring runs off the end of its region. */
	assert_int_equal(vq_map(&f->vq, &f->gm, UVA_A, UVA_A + AVAIL_OFF,
				UVA_A + REGION_SIZE - 16), -EINVAL);
	/* Not in guest memory at all. */
	assert_int_equal(vq_map(&f->vq, &f->gm, 0x1000, UVA_A + AVAIL_OFF,
				UVA_A + USED_OFF), -EINVAL);
	/* An unmapped queue pops nothing. */
	assert_int_equal(vq_pop(&f->vq, &f->c), -EIO);
}

static bool iov_inside(const struct fake *f, const struct iovec *v)
{
	const uint8_t *p = v->iov_base;

	if (p >= f->a && p < f->a + REGION_SIZE)
		return v->iov_len <= (size_t)(f->a + REGION_SIZE - p);
	if (p >= f->b && p < f->b + REGION_SIZE)
		return v->iov_len <= (size_t)(f->b + REGION_SIZE - p);
	return false;
}

/* Mostly-plausible garbage: addresses near the regions, small indices. */
static uint64_t rnd_addr(unsigned int *seed)
{
	static const uint64_t bases[] = { GPA_A, GPA_B, GPA_B + REGION_SIZE,
					  0, UINT64_MAX - 0x100 };

	return bases[rand_r(seed) % 5] + (uint64_t)(rand_r(seed) % 0x11000) -
	       0x800;
}

static void test_random_rings_never_escape(void **state)
{
	struct fake *f = *state;
	struct vring_desc *ind = ind_table(f);
	unsigned int seed = 12345;
	unsigned int popped = 0, broken = 0;
	int saved_stderr = dup(STDERR_FILENO);
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

	/* Every broken ring logs a line; keep the test output readable. */
	assert_true(saved_stderr >= 0 && devnull >= 0);
	assert_int_equal(dup2(devnull, STDERR_FILENO), STDERR_FILENO);
	for (unsigned int round = 0; round < 3000; round++) {
		for (unsigned int i = 0; i < QSZ; i++)
			set_desc(f->desc, i, rnd_addr(&seed),
				 (uint32_t)(rand_r(&seed) % 0x3000),
				 (uint16_t)(rand_r(&seed) % 8),
				 (uint16_t)(rand_r(&seed) % (QSZ + 2)));
		for (unsigned int i = 0; i < 2 * QSZ; i++)
			set_desc(ind, i, rnd_addr(&seed),
				 (uint32_t)(rand_r(&seed) % 0x3000),
				 (uint16_t)(rand_r(&seed) % 8),
				 (uint16_t)(rand_r(&seed) % (2 * QSZ)));
		/* Sometimes point an indirect descriptor at the table. */
		if (rand_r(&seed) % 2)
			set_desc(f->desc, (unsigned int)rand_r(&seed) % QSZ,
				 GPA_A + IND_OFF,
				 (uint32_t)(16 * (rand_r(&seed) % (QSZ + 2))),
				 VRING_DESC_F_INDIRECT, 0);
		f->avail->ring[f->vq.last_avail_idx % QSZ] =
			(uint16_t)(rand_r(&seed) % (QSZ + 1));
		f->avail->idx = (uint16_t)(f->vq.last_avail_idx + 1);
		f->vq.broken = false;
		switch (vq_pop(&f->vq, &f->c)) {
		case 1:
			popped++;
			for (unsigned int i = 0; i < f->c.out_cnt + f->c.in_cnt;
			     i++)
				assert_true(iov_inside(f, &f->iov[i]));
			break;
		case -EIO:
			broken++;
			assert_true(f->vq.broken);
			break;
		default:
			fail_msg("unexpected pop result");
		}
	}
	assert_int_equal(dup2(saved_stderr, STDERR_FILENO), STDERR_FILENO);
	close(saved_stderr);
	close(devnull);
	print_message("# random rings: %u popped, %u broken\n", popped, broken);
	/* Both outcomes were exercised. */
	assert_true(popped > 0);
	assert_true(broken > 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_empty),
		T(test_normal_chain),
		T(test_straddling_buffer_splits),
		T(test_looped_chain),
		T(test_self_loop_through_next),
		T(test_full_length_chain_is_fine),
		T(test_next_out_of_range),
		T(test_head_out_of_range),
		T(test_avail_idx_jump),
		T(test_address_out_of_range),
		T(test_address_runs_off_memory),
		T(test_address_wraps),
		T(test_zero_length_buffers),
		T(test_readable_after_writable),
		T(test_indirect_chain),
		T(test_indirect_pointing_at_itself),
		T(test_nested_indirect),
		T(test_indirect_loop),
		T(test_indirect_bad_length),
		T(test_indirect_zero_length),
		T(test_indirect_with_next),
		T(test_indirect_after_direct),
		T(test_indirect_not_negotiated),
		T(test_indirect_table_outside_memory),
		T(test_chain_longer_than_queue),
		T(test_too_many_iovecs),
		T(test_push_used),
		T(test_push_wraps_ring),
		T(test_notify_without_event_idx),
		T(test_notify_event_idx),
		T(test_notify_signals_call_fd),
		T(test_arm_notify),
		T(test_suppress_notify),
		T(test_has_avail),
		T(test_renotify),
		T(test_map_rejects),
		T(test_random_rings_never_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
