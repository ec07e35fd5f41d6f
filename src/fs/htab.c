/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fs/htab.h"

#include <errno.h>
#include <stdlib.h>

#define HTAB_MIN_BUCKETS 64u

/* splitmix64's finaliser: keys are often sequential ids or inode numbers. */
static size_t bucket_of(const struct htab *h, uint64_t key)
{
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return (size_t)key & h->mask;
}

int htab_init(struct htab *h)
{
	h->buckets = calloc(HTAB_MIN_BUCKETS, sizeof(*h->buckets));
	if (!h->buckets)
		return -ENOMEM;
	h->mask = HTAB_MIN_BUCKETS - 1;
	h->count = 0;
	return 0;
}

void htab_fini(struct htab *h)
{
	free(h->buckets);
	h->buckets = NULL;
	h->mask = 0;
	h->count = 0;
}

static void grow(struct htab *h)
{
	size_t old_n = h->mask + 1, new_n, i;
	struct htab_node **nb, *n, *next;
	struct htab old = *h;

	if (old_n > SIZE_MAX / 2 / sizeof(*nb))
		return;
	new_n = old_n * 2;
	nb = calloc(new_n, sizeof(*nb));
	if (!nb)
		return; /* longer chains, still correct */
	h->buckets = nb;
	h->mask = new_n - 1;
	for (i = 0; i < old_n; i++) {
		for (n = old.buckets[i]; n; n = next) {
			size_t b = bucket_of(h, n->key);

			next = n->next;
			n->next = nb[b];
			nb[b] = n;
		}
	}
	free(old.buckets);
}

void htab_insert(struct htab *h, struct htab_node *n, uint64_t key)
{
	size_t b;

	/* Load factor 1: grow when there are as many nodes as buckets. */
	if (h->count > h->mask)
		grow(h);
	n->key = key;
	b = bucket_of(h, key);
	n->next = h->buckets[b];
	h->buckets[b] = n;
	h->count++;
}

void htab_remove(struct htab *h, struct htab_node *n)
{
	struct htab_node **pp = &h->buckets[bucket_of(h, n->key)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			h->count--;
			return;
		}
	}
}

struct htab_node *htab_first(const struct htab *h, uint64_t key)
{
	struct htab_node *n = h->buckets[bucket_of(h, key)];

	while (n && n->key != key)
		n = n->next;
	return n;
}

struct htab_node *htab_next(const struct htab_node *n, uint64_t key)
{
	for (n = n->next; n; n = n->next)
		if (n->key == key)
			return (struct htab_node *)n;
	return NULL;
}

struct htab_node *htab_take_all(struct htab *h)
{
	struct htab_node *list = NULL, *n, *next;
	size_t i;

	for (i = 0; i <= h->mask && h->count; i++) {
		for (n = h->buckets[i]; n; n = next) {
			next = n->next;
			n->next = list;
			list = n;
			h->count--;
		}
		h->buckets[i] = NULL;
	}
	return list;
}

void htab_for_each(const struct htab *h,
		   void (*fn)(void *arg, struct htab_node *n), void *arg)
{
	for (size_t i = 0; i <= h->mask; i++) {
		struct htab_node *n, *next;

		for (n = h->buckets[i]; n; n = next) {
			next = n->next;
			fn(arg, n);
		}
	}
}
