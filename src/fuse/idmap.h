/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * User and group id translation between the guest and the host
 * (--translate-uid / --translate-gid), in the rule syntax of the Rust
 * virtiofsd:
 *
 *   guest:GUEST_BASE:HOST_BASE:COUNT     guest ids -> host ids, 1:1
 *   host:HOST_BASE:GUEST_BASE:COUNT      host ids -> guest ids, 1:1
 *   squash-guest:GUEST_BASE:HOST_ID:COUNT  a guest range -> one host id
 *   squash-host:HOST_BASE:GUEST_ID:COUNT   a host range -> one guest id
 *   forbid-guest:GUEST_BASE:COUNT        guest ids that may own nothing
 *   map:GUEST_BASE:HOST_BASE:COUNT       guest: and host: at once
 *
 * The two directions are independent; an id no rule covers passes
 * unchanged. No rule may name 4294967295, which is no id. Source ranges of one direction must not overlap, so at most
 * one rule answers for an id and the order of the rules does not matter.
 *
 * The map is built once from the command line and then only read, by any
 * number of threads, without a lock.
 */
#ifndef VFSD_FUSE_IDMAP_H
#define VFSD_FUSE_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idmap_range {
	uint32_t from;		/* first id of the source range */
	uint32_t to;		/* first id (or the only id) of the target */
	uint32_t count;		/* ids in the source range, at least 1 */
	uint8_t kind;		/* enum idmap_kind */
};

struct idmap {
	struct idmap_range *to_host;	/* guest -> host rules */
	size_t n_to_host;
	struct idmap_range *to_guest;	/* host -> guest rules */
	size_t n_to_guest;
};

/**
 * Add one rule. 0, or -EINVAL (syntax, a count of 0, a range that passes
 * 2^32), EEXIST (its source range overlaps one of the same direction's),
 * ENOMEM. On error the map is unchanged.
 */
int idmap_add(struct idmap *m, const char *rule);

/** Free the rules; the map is then empty and may be reused. */
void idmap_clear(struct idmap *m);

/** True if no rule was added: the ids pass unchanged both ways. */
static inline bool idmap_empty(const struct idmap *m)
{
	return !m || (!m->n_to_host && !m->n_to_guest);
}

/**
 * The host id a guest id stands for, in *out. 0, or -EPERM when a
 * forbid-guest rule covers it (the guest may not give it to a file).
 */
int idmap_to_host(const struct idmap *m, uint32_t guest, uint32_t *out);

/** The id the guest is shown for a host id. */
uint32_t idmap_to_guest(const struct idmap *m, uint32_t host);

#endif
