/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --translate-uid/--translate-gid rules: parsing, both directions, refusals. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fuse/idmap.h"

static uint32_t host_of(const struct idmap *m, uint32_t guest)
{
	uint32_t h = 0xdeadbeef;

	assert_int_equal(idmap_to_host(m, guest, &h), 0);
	return h;
}

static void test_empty_map_passes_ids(void **state)
{
	struct idmap m = { 0 };

	(void)state;
	assert_true(idmap_empty(&m));
	assert_true(idmap_empty(NULL));
	assert_int_equal(host_of(&m, 1000), 1000);
	assert_int_equal(host_of(NULL, 0), 0);
	assert_int_equal(idmap_to_guest(&m, UINT32_MAX), UINT32_MAX);
	assert_int_equal(idmap_to_guest(NULL, 7), 7);
}

static void test_map_is_both_ways(void **state)
{
	struct idmap m = { 0 };

	(void)state;
	assert_int_equal(idmap_add(&m, "map:1000:2000:10"), 0);
	assert_false(idmap_empty(&m));
	assert_int_equal(host_of(&m, 1000), 2000);
	assert_int_equal(host_of(&m, 1009), 2009);
	assert_int_equal(host_of(&m, 1010), 1010);	/* past the range */
	assert_int_equal(host_of(&m, 999), 999);
	assert_int_equal(idmap_to_guest(&m, 2000), 1000);
	assert_int_equal(idmap_to_guest(&m, 2009), 1009);
	assert_int_equal(idmap_to_guest(&m, 2010), 2010);
	/* Only the host->guest rule covers host 1000: unchanged. */
	assert_int_equal(idmap_to_guest(&m, 1000), 1000);
	idmap_clear(&m);
	assert_true(idmap_empty(&m));
}

static void test_one_way_rules(void **state)
{
	struct idmap m = { 0 };

	(void)state;
	assert_int_equal(idmap_add(&m, "guest:0:100000:65536"), 0);
	assert_int_equal(idmap_add(&m, "host:100000:0:65536"), 0);
	assert_int_equal(host_of(&m, 0), 100000);
	assert_int_equal(host_of(&m, 65535), 165535);
	assert_int_equal(idmap_to_guest(&m, 100001), 1);
	idmap_clear(&m);

	assert_int_equal(idmap_add(&m, "guest:5:6:1"), 0);
	assert_int_equal(host_of(&m, 5), 6);
	/* A guest-only rule says nothing about the host's ids. */
	assert_int_equal(idmap_to_guest(&m, 6), 6);
	idmap_clear(&m);
}

static void test_squash(void **state)
{
	struct idmap m = { 0 };

	(void)state;
	/* Every id (0 to 4294967294) to 1001, as the Rust virtiofsd's README. */
	assert_int_equal(idmap_add(&m, "squash-guest:0:1001:4294967296"), -EINVAL);
	assert_int_equal(idmap_add(&m, "squash-guest:0:1001:4294967295"), 0);
	assert_int_equal(idmap_add(&m, "host:1001:1000:1"), 0);
	assert_int_equal(host_of(&m, 0), 1001);
	assert_int_equal(host_of(&m, 4294967294u), 1001);
	assert_int_equal(host_of(&m, 4294967295u), 4294967295u);
	assert_int_equal(idmap_to_guest(&m, 1001), 1000);
	assert_int_equal(idmap_to_guest(&m, 0), 0);
	idmap_clear(&m);

	assert_int_equal(idmap_add(&m, "squash-host:500:65534:100"), 0);
	assert_int_equal(idmap_to_guest(&m, 550), 65534);
	assert_int_equal(idmap_to_guest(&m, 600), 600);
	idmap_clear(&m);
}

static void test_forbid(void **state)
{
	struct idmap m = { 0 };
	uint32_t h = 77;

	(void)state;
	assert_int_equal(idmap_add(&m, "forbid-guest:0:1"), 0);
	assert_int_equal(idmap_to_host(&m, 0, &h), -EPERM);
	assert_int_equal(h, 77);
	assert_int_equal(host_of(&m, 1), 1);
	/* Forbidding is guest-side only: host root still shows as 0. */
	assert_int_equal(idmap_to_guest(&m, 0), 0);
	/* Three numbers are a syntax error for forbid-guest. */
	assert_int_equal(idmap_add(&m, "forbid-guest:5:6:7"), -EINVAL);
	idmap_clear(&m);
}

static void test_overlap_refused_and_map_unchanged(void **state)
{
	struct idmap m = { 0 };

	(void)state;
	assert_int_equal(idmap_add(&m, "guest:100:200:10"), 0);
	assert_int_equal(idmap_add(&m, "guest:109:0:1"), -EEXIST);
	assert_int_equal(idmap_add(&m, "forbid-guest:95:6"), -EEXIST);
	/* map: overlaps on its guest side, nothing of it is added. */
	assert_int_equal(idmap_add(&m, "map:105:5000:1"), -EEXIST);
	assert_int_equal(m.n_to_host, 1);
	assert_int_equal(m.n_to_guest, 0);
	assert_int_equal(idmap_to_guest(&m, 5000), 5000);
	/* Adjacent ranges do not overlap. */
	assert_int_equal(idmap_add(&m, "guest:110:0:1"), 0);
	assert_int_equal(idmap_add(&m, "guest:99:0:1"), 0);
	/* Each direction is checked on its own. */
	assert_int_equal(idmap_add(&m, "host:100:300:10"), 0);
	assert_int_equal(idmap_add(&m, "map:1:100:1"), -EEXIST);
	idmap_clear(&m);
}

static void test_bad_syntax(void **state)
{
	static const char *const bad[] = {
		"", ":", "map", "map:", "map:1:2", "map:1:2:3:", "map:1:2:3:4",
		"Map:1:2:3", "maps:1:2:3", "map:-1:2:3", "map:+1:2:3",
		"map: 1:2:3", "map:1:2:0", "map:1::3", "map:a:2:3",
		"map:4294967296:0:1", "map:99999999999:0:1",
		"map:4294967295:0:2", "map:0:4294967295:2",
		"guest:4294967290:0:7", "forbid-guest:1", "forbid-guest:1:0",
		"squash-guest:1:2", "host:1:2:3:4",
		/* 4294967295 is no id, on either side of any rule. */
		"map:4294967295:0:1", "map:0:4294967295:1", "guest:1:4294967294:2",
		"squash-guest:0:4294967295:10", "squash-host:4294967295:0:1",
		"forbid-guest:4294967295:1",
	};
	struct idmap m = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = idmap_add(&m, bad[i]);

		if (err != -EINVAL)
			fail_msg("rule '%s' gave %d, expected EINVAL", bad[i], err);
	}
	assert_int_equal(idmap_add(&m, NULL), -EINVAL);
	assert_true(idmap_empty(&m));
	/* The last real id is a valid one-id range on either side. */
	assert_int_equal(idmap_add(&m, "map:4294967294:0:1"), 0);
	assert_int_equal(idmap_add(&m, "squash-guest:0:4294967294:10"), 0);
	assert_int_equal(host_of(&m, 4294967294u), 0);
	assert_int_equal(host_of(&m, 3), 4294967294u);
	assert_int_equal(idmap_to_guest(&m, 0), 4294967294u);
	idmap_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_map_passes_ids),
		cmocka_unit_test(test_map_is_both_ways),
		cmocka_unit_test(test_one_way_rules),
		cmocka_unit_test(test_squash),
		cmocka_unit_test(test_forbid),
		cmocka_unit_test(test_overlap_refused_and_map_unchanged),
		cmocka_unit_test(test_bad_syntax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
