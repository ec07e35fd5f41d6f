/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The lock graph on its own: the copy of an owner's ranges follows POSIX
 * (replace, split, merge), gives up past its bound, and the search follows
 * waits from owner to owner without looping.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fs/pt_lockgraph.h"

static void expect_ranges(const struct plg_holder *h,
			  const struct plg_range *want, unsigned int n)
{
	assert_int_equal(h->n, n);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(h->r[i].start, want[i].start);
		assert_int_equal(h->r[i].end, want[i].end);
		assert_int_equal(h->r[i].type, want[i].type);
	}
}

static void test_ranges(void **state)
{
	struct plg g = { 0 };
	struct plg_holder h;

	(void)state;
	plg_holder_init(&h, 1, 1);
	/* Not in the graph: nothing is kept. */
	plg_hold(&h, F_WRLCK, 0, 9);
	assert_int_equal(h.n, 0);
	plg_link(&g, &h);

	plg_hold(&h, F_WRLCK, 10, 19);
	plg_hold(&h, F_WRLCK, 30, 39);
	plg_hold(&h, F_WRLCK, 20, 29);	/* joins both neighbours */
	expect_ranges(&h, (struct plg_range[]){ { 10, 39, F_WRLCK } }, 1);
	plg_hold(&h, F_RDLCK, 15, 24);	/* splits it */
	expect_ranges(&h,
		      (struct plg_range[]){ { 10, 14, F_WRLCK },
					    { 15, 24, F_RDLCK },
					    { 25, 39, F_WRLCK } },
		      3);
	plg_hold(&h, F_UNLCK, 12, 26);
	expect_ranges(&h,
		      (struct plg_range[]){ { 10, 11, F_WRLCK },
					    { 27, 39, F_WRLCK } },
		      2);
	plg_hold(&h, F_RDLCK, 0, INT64_MAX);	/* covers everything */
	expect_ranges(&h, (struct plg_range[]){ { 0, INT64_MAX, F_RDLCK } },
		      1);
	plg_hold(&h, F_UNLCK, 0, 0);
	plg_hold(&h, F_UNLCK, INT64_MAX, INT64_MAX);
	expect_ranges(&h, (struct plg_range[]){ { 1, INT64_MAX - 1, F_RDLCK } },
		      1);
	plg_hold(&h, F_UNLCK, 0, INT64_MAX);
	assert_int_equal(h.n, 0);

	/* Every other byte: past the bound the holder is given up. */
	for (uint64_t i = 0; i < 2000; i++)
		plg_hold(&h, F_WRLCK, 2 * i, 2 * i);
	assert_true(h.untracked);
	assert_int_equal(h.n, 0);
	plg_hold(&h, F_WRLCK, 0, 0);
	assert_int_equal(h.n, 0);
	plg_unlink(&g, &h);
	assert_null(g.holders);
	plg_holder_fini(&h);
}

/*
 * Many owners, each under its own bound: past the bound of all together
 * the later ones are given up, and what is kept stays within it.
 */
static void test_total_bound(void **state)
{
	enum { OWNERS = 70, EACH = 1000 };
	static struct plg_holder h[OWNERS];
	struct plg g = { 0 };
	unsigned int given_up = 0;

	(void)state;
	for (unsigned int o = 0; o < OWNERS; o++) {
		plg_holder_init(&h[o], 1, o);
		plg_link(&g, &h[o]);
		for (uint64_t i = 0; i < EACH; i++)
			plg_hold(&h[o], F_WRLCK, 2 * i, 2 * i);
		given_up += h[o].untracked;
		assert_true(g.nranges <= 65536);
	}
	assert_int_equal(given_up, OWNERS - 65);
	assert_int_equal(g.nranges, 65 * EACH);
	/* An owner let go gives its ranges back. */
	plg_unlink(&g, &h[0]);
	assert_int_equal(g.nranges, 64 * EACH);
	plg_hold(&h[0], F_WRLCK, 0, 0);
	assert_int_equal(g.nranges, 64 * EACH);
	for (unsigned int o = 1; o < OWNERS; o++)
		plg_unlink(&g, &h[o]);
	assert_int_equal(g.nranges, 0);
	for (unsigned int o = 0; o < OWNERS; o++)
		plg_holder_fini(&h[o]);
}

static void hold(struct plg *g, struct plg_holder *h, uint64_t nodeid,
		 uint64_t owner, uint32_t type, uint64_t start, uint64_t end)
{
	plg_holder_init(h, nodeid, owner);
	plg_link(g, h);
	plg_hold(h, type, start, end);
}

static struct plg_wait waiting(uint64_t nodeid, uint64_t owner,
			       uint32_t type, uint64_t start, uint64_t end)
{
	struct plg_wait w = { .nodeid = nodeid, .owner = owner,
			      .start = start, .end = end, .type = type };

	return w;
}

/*
 * A ring of owners: owner i holds byte i and waits for byte i + 1. The
 * last one asking for byte 0 closes it; a ring that does not pass through
 * the asker is no cycle of its.
 */
static void test_search(void **state)
{
	enum { N = 40 };
	struct plg g = { 0 };
	struct plg_holder h[N];
	struct plg_wait w[N], ask;

	(void)state;
	for (unsigned int i = 0; i < N; i++)
		hold(&g, &h[i], 7, 100 + i, F_WRLCK, i, i);
	for (unsigned int i = 0; i < N - 1; i++) {
		w[i] = waiting(7, 100 + i, F_WRLCK, i + 1, i + 1);
		plg_wait_add(&g, &w[i]);
	}
	ask = waiting(7, 100 + N - 1, F_WRLCK, 0, 0);
	assert_true(plg_would_deadlock(&g, &ask));
	/* The same wait on another file, or as a reader of a reader. */
	ask.nodeid = 8;
	assert_false(plg_would_deadlock(&g, &ask));
	plg_hold(&h[0], F_RDLCK, 0, 0);
	ask = waiting(7, 100 + N - 1, F_RDLCK, 0, 0);
	assert_false(plg_would_deadlock(&g, &ask));

	/* Owners 0..N-2 waiting around a ring of their own: ends, no cycle. */
	plg_wait_del(&g, &w[N - 2]);
	w[N - 2] = waiting(7, 100 + N - 2, F_WRLCK, 0, 0);
	plg_hold(&h[0], F_WRLCK, 0, 0);
	plg_wait_add(&g, &w[N - 2]);
	ask = waiting(7, 100 + N - 1, F_WRLCK, 5, 5);
	assert_false(plg_would_deadlock(&g, &ask));

	for (int i = 0; i < N - 1; i++)
		plg_wait_del(&g, &w[i]);
	assert_null(g.waits);
	for (int i = 0; i < N; i++) {
		plg_unlink(&g, &h[i]);
		plg_holder_fini(&h[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_total_bound),
		cmocka_unit_test(test_search),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
