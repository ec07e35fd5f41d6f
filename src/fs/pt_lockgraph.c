/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest owners' held ranges and waits, and the search for a cycle in
 * them (see pt_lockgraph.h).
 *
 * A copy that lags behind the host should miss a deadlock rather than
 * report one that is not there: callers drop ranges before the host
 * unlocks them and add ranges after the host granted them, and whatever
 * cannot be copied (no memory, too many ranges) makes the holder hold
 * nothing here.
 */
#include <fcntl.h>
#include <stdlib.h>

#include "fs/pt_lockgraph.h"
#include "util/compiler.h"

/*
 * The guest chooses how many ranges an owner holds; past this many on a
 * file its locks there are not followed (a missed deadlock waits, as
 * before detection existed) instead of costing the daemon unbounded memory.
 */
#define PLG_MAX_RANGES 1024

/*
 * The same over all owners together, so that the copies cost the daemon
 * at most this many ranges (1.5 MiB) whatever the number of owners.
 */
#define PLG_MAX_TOTAL_RANGES 65536

/* How many owners one search follows, as the kernel bounds its own. */
#define PLG_MAX_OWNERS 64

void plg_holder_init(struct plg_holder *h, uint64_t nodeid, uint64_t owner)
{
	*h = (struct plg_holder){ .nodeid = nodeid, .owner = owner };
}

static void holder_forget(struct plg_holder *h)
{
	if (h->g)
		h->g->nranges -= h->n;
	free(h->r);
	h->r = NULL;
	h->n = 0;
}

void plg_holder_fini(struct plg_holder *h)
{
	holder_forget(h);
}

static void list_add(struct plg_link **head, struct plg_link *e)
{
	e->next = *head;
	if (e->next)
		e->next->pprev = &e->next;
	e->pprev = head;
	*head = e;
	e->linked = true;
}

static void list_del(struct plg_link *e)
{
	if (!e->linked)
		return;
	*e->pprev = e->next;
	if (e->next)
		e->next->pprev = e->pprev;
	e->next = NULL;
	e->pprev = NULL;
	e->linked = false;
}

void plg_link(struct plg *g, struct plg_holder *h)
{
	list_add(&g->holders, &h->link);
	h->g = g;
}

void plg_unlink(struct plg *g, struct plg_holder *h)
{
	(void)g;
	list_del(&h->link);
	holder_forget(h);
	h->g = NULL;
}

void plg_hold(struct plg_holder *h, uint32_t type, uint64_t start,
	      uint64_t end)
{
	struct plg_range *out;
	unsigned int k = 0, m = 0;
	struct plg_range want = { start, end, type };
	bool placed = type == F_UNLCK;

	if (!h->link.linked || h->untracked || (!h->n && placed))
		return;
	/* At most one range splits in two, plus the new one. */
	out = malloc(((size_t)h->n + 2) * sizeof(*out));
	if (!out) {
		holder_forget(h);
		h->untracked = true;
		return;
	}
	/* POSIX: the new lock replaces whatever the owner held under it. */
	for (unsigned int i = 0; i < h->n; i++) {
		struct plg_range r = h->r[i];

		if (r.end < start) {
			out[k++] = r;
			continue;
		}
		if (r.start > end) {
			if (!placed) {
				out[k++] = want;
				placed = true;
			}
			out[k++] = r;
			continue;
		}
		if (r.start < start)
			out[k++] = (struct plg_range){ r.start, start - 1,
						       r.type };
		if (!placed) {
			out[k++] = want;
			placed = true;
		}
		if (r.end > end)
			out[k++] = (struct plg_range){ end + 1, r.end, r.type };
	}
	if (!placed)
		out[k++] = want;

	/* Adjacent ranges of one type are one lock, as the kernel merges. */
	for (unsigned int i = 0; i < k; i++) {
		if (m && out[m - 1].type == out[i].type &&
		    out[m - 1].end + 1 == out[i].start)
			out[m - 1].end = out[i].end;
		else
			out[m++] = out[i];
	}
	holder_forget(h);
	h->r = out;
	h->n = m;
	h->g->nranges += m;
	if (m > PLG_MAX_RANGES || h->g->nranges > PLG_MAX_TOTAL_RANGES) {
		holder_forget(h);
		h->untracked = true;
	} else if (!m) {
		holder_forget(h);
	}
}

void plg_wait_add(struct plg *g, struct plg_wait *w)
{
	list_add(&g->waits, &w->link);
}

void plg_wait_del(struct plg *g, struct plg_wait *w)
{
	(void)g;
	list_del(&w->link);
}

/* Whether h holds a range that keeps w waiting. */
static bool holder_blocks(const struct plg_holder *h, const struct plg_wait *w)
{
	unsigned int lo = 0, hi = h->n;

	/* The ranges are disjoint and sorted, so their ends are too. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (h->r[mid].end < w->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (unsigned int i = lo; i < h->n && h->r[i].start <= w->end; i++)
		if (h->r[i].type == F_WRLCK || w->type == F_WRLCK)
			return true;
	return false;
}

struct plg_search {
	uint64_t me;
	uint64_t seen[PLG_MAX_OWNERS];
	unsigned int n;
};

/*
 * Note the owners that keep w waiting; true when one of them is the
 * owner the search started from.
 */
static bool add_blockers(const struct plg *g, const struct plg_wait *w,
			 struct plg_search *s)
{
	for (const struct plg_link *e = g->holders; e; e = e->next) {
		const struct plg_holder *h =
			container_of(e, struct plg_holder, link);
		unsigned int i;

		/* An owner's own locks never keep it waiting. */
		if (h->nodeid != w->nodeid || h->owner == w->owner ||
		    !holder_blocks(h, w))
			continue;
		if (h->owner == s->me)
			return true;
		for (i = 0; i < s->n && s->seen[i] != h->owner; i++)
			;
		if (i == s->n && s->n < PLG_MAX_OWNERS)
			s->seen[s->n++] = h->owner;
	}
	return false;
}

bool plg_would_deadlock(const struct plg *g, const struct plg_wait *w)
{
	struct plg_search s = { .me = w->owner };

	if (add_blockers(g, w, &s))
		return true;
	/*
	 * Breadth first through the blockers that wait themselves: every
	 * owner is followed once, so a cycle that does not pass through w's
	 * owner ends the search instead of looping.
	 */
	for (unsigned int i = 0; i < s.n; i++)
		for (const struct plg_link *e = g->waits; e; e = e->next) {
			const struct plg_wait *v =
				container_of(e, struct plg_wait, link);

			if (v->owner == s.seen[i] && add_blockers(g, v, &s))
				return true;
		}
	return false;
}
