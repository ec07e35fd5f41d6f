/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest memory as the front end describes it in SET_MEM_TABLE: up to eight
 * regions, each known by its guest-physical address (what descriptors carry)
 * and by its address in the front end's own process (what SET_VRING_ADDR
 * carries). Both translate to the daemon's mapping of the region.
 *
 * The table is not locked: the owner replaces or clears it only while no
 * queue thread or worker uses it (see virtio_fs.c).
 */
#ifndef VFSD_TRANSPORT_GUEST_MEM_H
#define VFSD_TRANSPORT_GUEST_MEM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/vu_proto.h"

struct gm_region {
	uint64_t gpa;		/* guest-physical start */
	uint64_t size;		/* bytes, > 0 */
	uint64_t uva;		/* front end's virtual start */
	uint8_t *host;		/* our address of gpa */
	void *map_base;		/* NULL for borrowed (test) memory */
	size_t map_len;
};

struct guest_mem {
	unsigned int nregions;
	struct gm_region r[VHOST_USER_MAX_RAM_SLOTS];
	/*
	 * Set by the SIGBUS handler when a page of a mapped region turned
	 * out to be gone (the front end shrank its file): from then on the
	 * daemon reads zeros there and the queues stop (gm_vanished()).
	 */
	atomic_bool vanished;
	_Atomic uintptr_t vanished_at;	/* the first address that faulted */
	atomic_bool vanish_logged;
};

/** An empty table. */
void gm_init(struct guest_mem *gm);

/** Unmap every region this table mapped and leave it empty. */
void gm_clear(struct guest_mem *gm);

/**
 * Replace gm with the regions of a SET_MEM_TABLE payload of len bytes and its
 * nfds fds (one per region, in order). Every fd is closed, on success and on
 * failure alike. On failure gm is left empty. Returns 0 or -EINVAL/-ENOMEM.
 *
 * A front end may shrink a region's file after this (QEMU's
 * memory-backend-memfd seals it against that by default; a file backend
 * cannot be sealed): a load or store of ours on a page past the new end
 * raises SIGBUS. The mapped regions are guarded: the SIGBUS handler maps
 * anonymous zero pages over the rest of the region, sets gm->vanished and
 * returns, so the access completes (reading zeros) and the queues stop at
 * their next look at the ring. A fault anywhere else goes to the handler
 * that was there before (the default: the process dies). Copies the kernel
 * makes (preadv/pwritev of READ and WRITE) fail with EFAULT instead.
 */
int gm_set_table(struct guest_mem *gm, const void *payload, size_t len,
		 const int *fds, unsigned int nfds);

/**
 * Add a region backed by memory the caller owns (tests and tools): it is
 * never unmapped. Rejects the same things gm_set_table() rejects.
 */
int gm_add_host_region(struct guest_mem *gm, uint64_t gpa, uint64_t size,
		       uint64_t uva, void *host);

/**
 * Translate guest-physical gpa. On success *len is clipped to what is
 * contiguous in the region holding gpa (at most the *len asked for) and the
 * host address is returned; NULL if gpa is in no region or *len is 0.
 */
void *gm_gpa_to_hva(const struct guest_mem *gm, uint64_t gpa, uint64_t *len);

/** The whole of [uva, uva + len) in one region, or NULL. */
void *gm_uva_to_hva(const struct guest_mem *gm, uint64_t uva, uint64_t len);

/**
 * Whether part of gm vanished under us (see gm_set_table()): whoever
 * reads the rings stops there. One relaxed load, for the hot path.
 */
static inline bool gm_vanished(const struct guest_mem *gm)
{
	return atomic_load_explicit(&gm->vanished, memory_order_relaxed);
}

/** Log, once per table, that gm vanished and where. */
void gm_report_vanished(struct guest_mem *gm);

#endif
