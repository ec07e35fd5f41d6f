/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Dirty page logging (VHOST_F_LOG_ALL, vu_proto.h): while the front end
 * migrates the guest's memory, every page the daemon writes (reply
 * buffers, used rings) is marked in a bitmap the front end shares, so it
 * sends that page again.
 *
 * The bitmap is the front end's memfd, mapped by SET_LOG_BASE. It must be
 * sealed against shrinking (QEMU seals it; a file that could shrink under
 * us would turn our stores into SIGBUS), or sealable by us. A new one may
 * come while queues run (memory hot-plug): markers hold the lock for
 * reading, the swap holds it for writing.
 */
#ifndef VFSD_TRANSPORT_VU_LOG_H
#define VFSD_TRANSPORT_VU_LOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "transport/guest_mem.h"

/* The largest bitmap accepted: 16 TiB of guest memory. */
#define VU_LOG_MAX_SIZE (512ULL << 20)

struct vu_log {
	pthread_rwlock_t lock;	/* write: the mapping changes */
	uint8_t *bits;		/* protected by lock; NULL: no log */
	uint64_t size;		/* bytes of bits; protected by lock */
	void *map;
	size_t map_len;
	/* VHOST_F_LOG_ALL negotiated: one relaxed load on the hot path. */
	atomic_bool on;
};

int vu_log_init(struct vu_log *l);
/** Unmap; no marker may run. */
void vu_log_fini(struct vu_log *l);

/**
 * Map size bytes at offset of fd as the bitmap (fd is closed, whatever
 * happens). 0, or -EINVAL (too large, past the file's end, not sealed
 * against shrinking and not sealable), -errno of mmap.
 */
int vu_log_set(struct vu_log *l, int fd, uint64_t size, uint64_t offset);

/** VHOST_F_LOG_ALL on or off (SET_FEATURES). */
void vu_log_enable(struct vu_log *l, bool on);

static inline bool vu_log_active(struct vu_log *l)
{
	return atomic_load_explicit(&l->on, memory_order_relaxed);
}

/** Mark [gpa, gpa + len) dirty. */
void vu_log_gpa(struct vu_log *l, uint64_t gpa, uint64_t len);

/** Mark the guest pages behind cnt iovecs (our addresses in gm) dirty. */
void vu_log_iov(struct vu_log *l, const struct guest_mem *gm,
		const struct iovec *iov, unsigned int cnt);

#endif
