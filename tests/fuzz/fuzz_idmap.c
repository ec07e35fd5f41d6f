/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The --translate-uid/--translate-gid rule parser (fuse/idmap.c). The
 * input, split at newlines, is a list of rules added in order. Whatever
 * is accepted must keep the map's promises: source ranges of a direction
 * never overlap, no rule maps to the no-id 4294967295, and an id at or
 * next to any range edge translates without touching memory it should not.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuse/idmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_RULE 128

static void fz_check_disjoint(const struct idmap_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!r[i].count || (uint64_t)r[i].from + r[i].count > UINT32_MAX)
			__builtin_trap();
		for (size_t j = i + 1; j < n; j++) {
			uint64_t ei = (uint64_t)r[i].from + r[i].count;
			uint64_t ej = (uint64_t)r[j].from + r[j].count;

			if (r[i].from < ej && r[j].from < ei)
				__builtin_trap();
		}
	}
}

static void fz_probe(const struct idmap *m, uint32_t id)
{
	uint32_t host = 0;
	int err = idmap_to_host(m, id, &host);

	if (err && err != -EPERM)
		__builtin_trap();
	/* Only an id no rule covers may come out as the no-id. */
	if (!err && host == UINT32_MAX && id != UINT32_MAX)
		__builtin_trap();
	if (idmap_to_guest(m, id) == UINT32_MAX && id != UINT32_MAX)
		__builtin_trap();
}

static void fz_probe_edges(const struct idmap *m, const struct idmap_range *r,
			   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t last = r[i].from + (r[i].count - 1);

		fz_probe(m, r[i].from);
		fz_probe(m, r[i].from - 1);
		fz_probe(m, last);
		fz_probe(m, last + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idmap m = { 0 };
	size_t pos = 0;

	while (pos < size) {
		char rule[FZ_MAX_RULE];
		size_t len = 0;
		size_t before_h = m.n_to_host, before_g = m.n_to_guest;
		int err;

		while (pos < size && data[pos] != '\n' && len < sizeof(rule) - 1)
			rule[len++] = (char)data[pos++];
		pos++;
		rule[len] = '\0';
		err = idmap_add(&m, rule);
		if (err != 0 && err != -EINVAL && err != -EEXIST && err != -ENOMEM)
			__builtin_trap();
		/* A refused rule leaves the map as it was. */
		if (err && (m.n_to_host != before_h || m.n_to_guest != before_g))
			__builtin_trap();
	}
	fz_check_disjoint(m.to_host, m.n_to_host);
	fz_check_disjoint(m.to_guest, m.n_to_guest);
	fz_probe_edges(&m, m.to_host, m.n_to_host);
	fz_probe_edges(&m, m.to_guest, m.n_to_guest);
	fz_probe(&m, 0);
	fz_probe(&m, UINT32_MAX);
	idmap_clear(&m);
	return 0;
}
