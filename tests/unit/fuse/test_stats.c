/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Request metrics: recording, buckets, and the three renderings. */
#include <errno.h>
#include <linux/fuse.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuse/stats.h"

static const struct fuse_stats_gauges gauges = {
	.inodes = 7, .handles = 3, .open_fds = 11, .inode_fds = 5,
	.inode_fd_budget = 512, .inode_evictions = 9, .inode_reopens = 2,
	.inode_stale = 1, .inode_mode = "by name",
};

static char *render(const struct fuse_stats *st, enum fuse_stats_format f)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(fuse_stats_render(st, &gauges, f, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

/* started this many microseconds ago, give or take the test's own time */
static uint64_t ago(uint64_t us)
{
	return fuse_stats_now() - us * 1000;
}

static void test_counts_and_errors(void **state)
{
	struct fuse_stats *st = NULL;
	char *s;

	(void)state;
	assert_int_equal(fuse_stats_new(&st), 0);
	for (int i = 0; i < 3; i++) {
		fuse_stats_begin(st);
		fuse_stats_end(st, FUSE_CREATE, 0, ago(0), 0, 0);
	}
	fuse_stats_begin(st);
	fuse_stats_end(st, FUSE_LOOKUP, ENOENT, ago(0), 0, 0);
	fuse_stats_begin(st);
	fuse_stats_end(st, FUSE_READ, 0, ago(0), 4096, 0);
	fuse_stats_begin(st);
	fuse_stats_end(st, FUSE_WRITE, 0, ago(0), 0, 100);
	fuse_stats_begin(st);	/* one still running */

	s = render(st, FUSE_STATS_PROMETHEUS);
	assert_non_null(strstr(s, "vfsd_requests_total{op=\"CREATE\"} 3\n"));
	assert_non_null(strstr(s, "vfsd_request_errors_total{op=\"LOOKUP\"} 1\n"));
	assert_non_null(strstr(s, "vfsd_errors_total{errno=\"ENOENT\"} 1\n"));
	assert_non_null(strstr(s, "vfsd_read_bytes_total 4096\n"));
	assert_non_null(strstr(s, "vfsd_written_bytes_total 100\n"));
	assert_non_null(strstr(s, "vfsd_requests_in_flight 1\n"));
	assert_non_null(strstr(s, "vfsd_inodes 7\n"));
	assert_non_null(strstr(s, "vfsd_handles 3\n"));
	assert_non_null(strstr(s, "vfsd_open_fds 11\n"));
	assert_non_null(strstr(s, "vfsd_inode_fds 5\n"));
	assert_non_null(strstr(s, "vfsd_inode_reopens_total 2\n"));
	assert_non_null(strstr(s, "vfsd_inode_fd_budget{mode=\"by name\"} 512\n"));
	assert_non_null(strstr(s, "vfsd_inode_evictions_total 9\n"));
	assert_non_null(strstr(s, "vfsd_inode_stale_total 1\n"));
	assert_non_null(strstr(s, "# TYPE vfsd_request_duration_microseconds histogram\n"));
	assert_non_null(strstr(s,
		"vfsd_request_duration_microseconds_bucket{op=\"CREATE\",le=\"+Inf\"} 3\n"));
	assert_null(strstr(s, "op=\"GETATTR\""));
	free(s);
	fuse_stats_free(st);
}

static void test_histogram_buckets(void **state)
{
	struct fuse_stats *st = NULL;
	char *s;

	(void)state;
	assert_int_equal(fuse_stats_new(&st), 0);
	/* 2.5 ms lies in [2048, 4096) us: bucket 12, below the le="4096" line. */
	fuse_stats_begin(st);
	fuse_stats_end(st, FUSE_FSYNC, 0, ago(2500), 0, 0);
	/* A start in the future (clock trouble) counts as 0 us. */
	fuse_stats_begin(st);
	fuse_stats_end(st, FUSE_FSYNC, 0, fuse_stats_now() + 1000000000, 0, 0);

	s = render(st, FUSE_STATS_PROMETHEUS);
	assert_non_null(strstr(s,
		"vfsd_request_duration_microseconds_bucket{op=\"FSYNC\",le=\"1\"} 1\n"));
	assert_non_null(strstr(s,
		"vfsd_request_duration_microseconds_bucket{op=\"FSYNC\",le=\"2048\"} 1\n"));
	assert_non_null(strstr(s,
		"vfsd_request_duration_microseconds_bucket{op=\"FSYNC\",le=\"4096\"} 2\n"));
	assert_non_null(strstr(s,
		"vfsd_request_duration_microseconds_count{op=\"FSYNC\"} 2\n"));
	free(s);
	fuse_stats_free(st);
}

static void test_unknown_and_odd_errors(void **state)
{
	struct fuse_stats *st = NULL;
	char *s;

	(void)state;
	assert_int_equal(fuse_stats_new(&st), 0);
	fuse_stats_begin(st);
	fuse_stats_end(st, 0xdeadbeef, ENOSYS, ago(0), 0, 0);
	fuse_stats_begin(st);
	fuse_stats_end(st, FUSE_NOTIFY_REPLY, 100000, ago(0), 0, 0);
	fuse_stats_begin(st);
	fuse_stats_end(st, FUSE_GETATTR, -5, ago(0), 0, 0);

	s = render(st, FUSE_STATS_JSON);
	assert_non_null(strstr(s, "\"UNKNOWN\": {\"count\": 2, \"errors\": 2"));
	assert_non_null(strstr(s, "\"ENOSYS\": 1"));
	assert_non_null(strstr(s, "\"other\": 2"));
	assert_non_null(strstr(s, "\"in_flight\": 0"));
	assert_non_null(strstr(s, "\"open_fds\": 11,"));
	assert_non_null(strstr(s, "\"inode_fds\": 5,"));
	assert_non_null(strstr(s, "\"inode_evictions\": 9,"));
	assert_non_null(strstr(s, "\"inode_mode\": \"by name\","));
	assert_non_null(strstr(s, "\"inode_reopens\": 2\n}"));
	free(s);
	fuse_stats_free(st);
}

static void test_text_table(void **state)
{
	struct fuse_stats *st = NULL;
	char *s;

	(void)state;
	assert_int_equal(fuse_stats_new(&st), 0);
	for (int i = 0; i < 10; i++) {
		fuse_stats_begin(st);
		fuse_stats_end(st, FUSE_MKDIR, i == 0 ? EEXIST : 0, ago(0), 0, 0);
	}
	s = render(st, FUSE_STATS_TEXT);
	assert_non_null(strstr(s, "OPCODE"));
	assert_non_null(strstr(s, "MKDIR"));
	assert_non_null(strstr(s, "EEXIST"));
	assert_non_null(strstr(s, "open fds         11\n"));
	assert_non_null(strstr(s, "inode evictions  9\n"));
	assert_non_null(strstr(s, "inode mode       by name\n"));
	free(s);
	fuse_stats_free(st);
}

static void test_formats(void **state)
{
	enum fuse_stats_format f;

	(void)state;
	assert_int_equal(fuse_stats_parse_format("json", &f), 0);
	assert_int_equal(f, FUSE_STATS_JSON);
	assert_int_equal(fuse_stats_parse_format("prometheus", &f), 0);
	assert_int_equal(f, FUSE_STATS_PROMETHEUS);
	assert_int_equal(fuse_stats_parse_format("text", &f), 0);
	assert_int_equal(f, FUSE_STATS_TEXT);
	assert_int_equal(fuse_stats_parse_format("JSON", &f), -1);
	assert_int_equal(fuse_stats_parse_format("", &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_errors),
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_unknown_and_odd_errors),
		cmocka_unit_test(test_text_table),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
