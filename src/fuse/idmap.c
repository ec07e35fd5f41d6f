/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fuse/idmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum idmap_kind {
	IDMAP_SHIFT,	/* from + i -> to + i */
	IDMAP_SQUASH,	/* from + i -> to */
	IDMAP_FORBID,	/* from + i -> refused */
};

enum idmap_dir { TO_HOST = 1, TO_GUEST = 2 };

struct idmap_type {
	const char *name;
	enum idmap_kind kind;
	unsigned int dirs;	/* enum idmap_dir bits */
	unsigned int nums;	/* numbers after the type: 3, or 2 for forbid */
};

static const struct idmap_type idmap_types[] = {
	{ "guest", IDMAP_SHIFT, TO_HOST, 3 },
	{ "host", IDMAP_SHIFT, TO_GUEST, 3 },
	{ "squash-guest", IDMAP_SQUASH, TO_HOST, 3 },
	{ "squash-host", IDMAP_SQUASH, TO_GUEST, 3 },
	{ "forbid-guest", IDMAP_FORBID, TO_HOST, 2 },
	{ "map", IDMAP_SHIFT, TO_HOST | TO_GUEST, 3 },
};

/* A decimal id: digits only (no sign, no space), at most 2^32 - 1. */
static int parse_id(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;

	if (!len || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/*
 * Split "TYPE:a:b[:c]" into its type and numbers; *n receives how many
 * numbers were there (at most 3).
 */
static int split_rule(const char *rule, const struct idmap_type **type,
		      uint32_t num[3], unsigned int *n)
{
	const char *colon = strchr(rule, ':');
	const char *p;
	size_t tlen;

	if (!colon)
		return -EINVAL;
	tlen = (size_t)(colon - rule);
	*type = NULL;
	for (size_t i = 0; i < sizeof(idmap_types) / sizeof(idmap_types[0]); i++)
		if (strlen(idmap_types[i].name) == tlen &&
		    !memcmp(idmap_types[i].name, rule, tlen))
			*type = &idmap_types[i];
	if (!*type)
		return -EINVAL;
	*n = 0;
	for (p = colon + 1;; p++) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (*n == 3 || parse_id(p, len, &num[*n]))
			return -EINVAL;
		(*n)++;
		if (!end)
			return 0;
		p = end;
	}
}

static bool overlaps(const struct idmap_range *r, size_t n, uint32_t from,
		     uint32_t count)
{
	uint64_t end = (uint64_t)from + count;

	for (size_t i = 0; i < n; i++) {
		uint64_t rend = (uint64_t)r[i].from + r[i].count;

		if (from < rend && r[i].from < end)
			return true;
	}
	return false;
}

static int append(struct idmap_range **v, size_t *n, struct idmap_range r)
{
	struct idmap_range *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = r;
	*v = nv;
	return 0;
}

int idmap_add(struct idmap *m, const char *rule)
{
	const struct idmap_type *t;
	struct idmap_range r, rev;
	uint32_t num[3];
	unsigned int n;
	int err;

	if (!rule)
		return -EINVAL;
	err = split_rule(rule, &t, num, &n);
	if (err || n != t->nums)
		return -EINVAL;
	if (t->kind == IDMAP_FORBID) {
		num[2] = num[1];
		num[1] = 0;
	}
	/*
	 * 4294967295 is no id: chown and setresuid read it as "unchanged".
	 * No rule may name it, on either side, and a range that runs into it
	 * is a typo, not a wish.
	 */
	if (!num[2] || (uint64_t)num[0] + num[2] - 1 >= UINT32_MAX ||
	    (t->kind != IDMAP_FORBID && num[1] == UINT32_MAX) ||
	    (t->kind == IDMAP_SHIFT && (uint64_t)num[1] + num[2] - 1 >= UINT32_MAX))
		return -EINVAL;

	r = (struct idmap_range){ num[0], num[1], num[2], (uint8_t)t->kind };
	/* map:G:H:N seen from the host's side is host:H:G:N. */
	rev = (struct idmap_range){ num[1], num[0], num[2], (uint8_t)t->kind };
	if (t->dirs == TO_GUEST)
		rev = r;
	if ((t->dirs & TO_HOST) && overlaps(m->to_host, m->n_to_host, r.from, r.count))
		return -EEXIST;
	if ((t->dirs & TO_GUEST) &&
	    overlaps(m->to_guest, m->n_to_guest, rev.from, rev.count))
		return -EEXIST;
	if (t->dirs & TO_HOST) {
		err = append(&m->to_host, &m->n_to_host, r);
		if (err)
			return err;
	}
	if (t->dirs & TO_GUEST) {
		err = append(&m->to_guest, &m->n_to_guest, rev);
		if (err) {
			/* Keep "unchanged on error": undo the first half. */
			if (t->dirs & TO_HOST)
				m->n_to_host--;
			return err;
		}
	}
	return 0;
}

void idmap_clear(struct idmap *m)
{
	free(m->to_host);
	free(m->to_guest);
	memset(m, 0, sizeof(*m));
}

static const struct idmap_range *find(const struct idmap_range *r, size_t n,
				      uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= r[i].from && id - r[i].from < r[i].count)
			return &r[i];
	return NULL;
}

static uint32_t apply(const struct idmap_range *r, uint32_t id)
{
	return r->kind == IDMAP_SHIFT ? r->to + (id - r->from) : r->to;
}

int idmap_to_host(const struct idmap *m, uint32_t guest, uint32_t *out)
{
	const struct idmap_range *r = m ? find(m->to_host, m->n_to_host, guest) : NULL;

	if (r && r->kind == IDMAP_FORBID)
		return -EPERM;
	*out = r ? apply(r, guest) : guest;
	return 0;
}

uint32_t idmap_to_guest(const struct idmap *m, uint32_t host)
{
	const struct idmap_range *r = m ? find(m->to_guest, m->n_to_guest, host) : NULL;

	return r ? apply(r, host) : host;
}
