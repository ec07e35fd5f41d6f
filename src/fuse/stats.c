/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Request metrics. Every counter is a relaxed atomic: the numbers are for
 * people and scrapers, nothing orders other memory by them, and a relaxed
 * add is a single locked instruction with no fence. Each thread adds to a
 * shard of its own (no cache line shared between cores on the request
 * path); rendering adds the shards up counter by counter, so a snapshot is
 * exact only when idle.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuse/dispatch.h"
#include "fuse/stats.h"
#include "util/compiler.h"

typedef atomic_uint_fast64_t counter_t;

struct fuse_op_stats {
	counter_t count;
	counter_t errors;
	counter_t sum_us;
	counter_t hist[FUSE_STATS_NBUCKETS];
};

/* One thread's counters (or a few threads', past FUSE_STATS_SHARDS). */
struct stats_shard {
	struct fuse_op_stats op[FUSE_STATS_NOPS];
	counter_t by_errno[FUSE_STATS_NERRNO];
	counter_t bytes_read;
	counter_t bytes_written;
	atomic_int_fast64_t in_flight;	/* may go negative; the sum may not */
} __attribute__((aligned(64)));

/*
 * Threads that serve requests at once on different cores would bounce one
 * line of counters between them on every request; each records into a
 * shard of its own instead, and a snapshot adds the shards up.
 */
#define FUSE_STATS_SHARDS 16u

struct fuse_stats {
	struct stats_shard shard[FUSE_STATS_SHARDS];
};

static atomic_uint stats_next_shard;
static _Thread_local unsigned int stats_my_shard = UINT_MAX;

static struct stats_shard *my_shard(struct fuse_stats *st)
{
	if (unlikely(stats_my_shard == UINT_MAX))
		stats_my_shard = atomic_fetch_add_explicit(&stats_next_shard, 1,
							   memory_order_relaxed) %
				 FUSE_STATS_SHARDS;
	return &st->shard[stats_my_shard];
}

static void add(counter_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(const counter_t *c)
{
	return atomic_load_explicit((counter_t *)c, memory_order_relaxed);
}

int fuse_stats_new(struct fuse_stats **out)
{
	struct fuse_stats *st;
	int ret;

	/* Zeroed memory is a valid initial state for these atomics. */
	ret = posix_memalign((void **)&st, 64, sizeof(*st));
	if (ret)
		return -ret;
	memset(st, 0, sizeof(*st));
	*out = st;
	return 0;
}

void fuse_stats_free(struct fuse_stats *st)
{
	free(st);
}

uint64_t fuse_stats_now(void)
{
	struct timespec ts;

	/* Cannot fail for CLOCK_MONOTONIC; a zero only skews one sample. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void fuse_stats_begin(struct fuse_stats *st)
{
	atomic_fetch_add_explicit(&my_shard(st)->in_flight, 1,
				  memory_order_relaxed);
}

static unsigned int op_slot(uint32_t opcode)
{
	if (opcode >= FUSE_STATS_NOPS || !dispatch_lookup(opcode))
		return 0;
	return opcode;
}

static unsigned int bucket_of(uint64_t us)
{
	unsigned int b = 0;

	while (b < FUSE_STATS_NBUCKETS - 1 && us >= (1ull << b))
		b++;
	return b;
}

void fuse_stats_end(struct fuse_stats *fst, uint32_t opcode, int err,
		    uint64_t started, uint64_t rbytes, uint64_t wbytes)
{
	struct stats_shard *st = my_shard(fst);
	struct fuse_op_stats *o = &st->op[op_slot(opcode)];
	uint64_t now = fuse_stats_now();
	uint64_t us = now > started ? (now - started) / 1000 : 0;

	add(&o->count, 1);
	add(&o->sum_us, us);
	add(&o->hist[bucket_of(us)], 1);
	if (err) {
		add(&o->errors, 1);
		if (err < 0 || err >= FUSE_STATS_NERRNO)
			err = FUSE_STATS_NERRNO - 1;
		add(&st->by_errno[err], 1);
	}
	if (rbytes)
		add(&st->bytes_read, rbytes);
	if (wbytes)
		add(&st->bytes_written, wbytes);
	atomic_fetch_sub_explicit(&st->in_flight, 1, memory_order_relaxed);
}

int fuse_stats_parse_format(const char *name, enum fuse_stats_format *fmt)
{
	static const char *const names[] = {
		[FUSE_STATS_TEXT] = "text",
		[FUSE_STATS_JSON] = "json",
		[FUSE_STATS_PROMETHEUS] = "prometheus",
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(name, names[i])) {
			*fmt = (enum fuse_stats_format)i;
			return 0;
		}
	}
	return -1;
}

/* A growing output string; the first failure sticks and ends the render. */
struct sbuf {
	char *s;
	size_t len, cap;
	int err;
};

static __printf(2, 3) void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	for (;;) {
		if (b->err)
			return;
		room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = -EINVAL;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->err = -ENOMEM;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

static const char *op_name(unsigned int slot)
{
	const struct fuse_op_desc *d = slot ? dispatch_lookup(slot) : NULL;

	return d ? d->name : "UNKNOWN";
}

static void errno_name(int e, char *buf, size_t len)
{
	const char *n = e < FUSE_STATS_NERRNO - 1 ? strerrorname_np(e) : NULL;

	if (n)
		snprintf(buf, len, "%s", n);
	else if (e == FUSE_STATS_NERRNO - 1)
		snprintf(buf, len, "other");
	else
		snprintf(buf, len, "%d", e);
}

/* Upper bound in us of the bucket holding the q-quantile, 0 if none. */
static uint64_t quantile_le(const struct fuse_op_stats *o, uint64_t count,
			    unsigned int permille)
{
	uint64_t want = (count * permille + 999) / 1000, seen = 0;

	for (unsigned int b = 0; b < FUSE_STATS_NBUCKETS; b++) {
		seen += get(&o->hist[b]);
		if (seen >= want && want)
			return 1ull << b;
	}
	return 1ull << (FUSE_STATS_NBUCKETS - 1);
}

static const char *mode_of(const struct fuse_stats_gauges *g)
{
	return g->inode_mode ? g->inode_mode : "unknown";
}

static void render_text(const struct stats_shard *st,
			const struct fuse_stats_gauges *g, struct sbuf *b)
{
	char name[32];

	sb_printf(b, "%-16s %12s %10s %10s %10s %10s\n", "OPCODE", "COUNT",
		  "ERRORS", "AVG_US", "P50<=US", "P99<=US");
	for (unsigned int i = 0; i < FUSE_STATS_NOPS; i++) {
		const struct fuse_op_stats *o = &st->op[i];
		uint64_t n = get(&o->count);

		if (!n)
			continue;
		sb_printf(b, "%-16s %12llu %10llu %10llu %10llu %10llu\n",
			  op_name(i), (unsigned long long)n,
			  (unsigned long long)get(&o->errors),
			  (unsigned long long)(get(&o->sum_us) / n),
			  (unsigned long long)quantile_le(o, n, 500),
			  (unsigned long long)quantile_le(o, n, 990));
	}
	sb_printf(b, "\n%-16s %12s\n", "ERRNO", "COUNT");
	for (int e = 1; e < FUSE_STATS_NERRNO; e++) {
		uint64_t n = get(&st->by_errno[e]);

		if (!n)
			continue;
		errno_name(e, name, sizeof(name));
		sb_printf(b, "%-16s %12llu\n", name, (unsigned long long)n);
	}
	sb_printf(b, "\nbytes read       %llu\nbytes written    %llu\n"
		  "in flight        %lld\ninodes           %llu\n"
		  "handles          %llu\nopen fds         %llu\n"
		  "inode fds        %llu\ninode fd budget  %llu\n"
		  "inode evictions  %llu\ninode reopens    %llu\n"
		  "inode stale      %llu\ninode mode       %s\n",
		  (unsigned long long)get(&st->bytes_read),
		  (unsigned long long)get(&st->bytes_written),
		  (long long)atomic_load_explicit(
			  &((struct stats_shard *)st)->in_flight,
			  memory_order_relaxed),
		  (unsigned long long)g->inodes,
		  (unsigned long long)g->handles,
		  (unsigned long long)g->open_fds,
		  (unsigned long long)g->inode_fds,
		  (unsigned long long)g->inode_fd_budget,
		  (unsigned long long)g->inode_evictions,
		  (unsigned long long)g->inode_reopens,
		  (unsigned long long)g->inode_stale, mode_of(g));
}

static void render_json(const struct stats_shard *st,
			const struct fuse_stats_gauges *g, struct sbuf *b)
{
	const char *sep = "";
	char name[32];

	sb_printf(b, "{\n  \"bucket_upper_bounds_us\": [");
	for (unsigned int k = 0; k + 1 < FUSE_STATS_NBUCKETS; k++)
		sb_printf(b, "%s%llu", k ? ", " : "", 1ull << k);
	sb_printf(b, "],\n  \"requests\": {");
	for (unsigned int i = 0; i < FUSE_STATS_NOPS; i++) {
		const struct fuse_op_stats *o = &st->op[i];
		uint64_t n = get(&o->count);

		if (!n)
			continue;
		sb_printf(b, "%s\n    \"%s\": {\"count\": %llu, \"errors\": %llu, "
			  "\"latency_sum_us\": %llu, \"latency_buckets\": [",
			  sep, op_name(i), (unsigned long long)n,
			  (unsigned long long)get(&o->errors),
			  (unsigned long long)get(&o->sum_us));
		for (unsigned int k = 0; k < FUSE_STATS_NBUCKETS; k++)
			sb_printf(b, "%s%llu", k ? ", " : "",
				  (unsigned long long)get(&o->hist[k]));
		sb_printf(b, "]}");
		sep = ",";
	}
	sb_printf(b, "\n  },\n  \"errors_by_errno\": {");
	sep = "";
	for (int e = 1; e < FUSE_STATS_NERRNO; e++) {
		uint64_t n = get(&st->by_errno[e]);

		if (!n)
			continue;
		errno_name(e, name, sizeof(name));
		sb_printf(b, "%s\"%s\": %llu", sep, name, (unsigned long long)n);
		sep = ", ";
	}
	sb_printf(b, "},\n  \"bytes_read\": %llu,\n  \"bytes_written\": %llu,\n"
		  "  \"in_flight\": %lld,\n  \"inodes\": %llu,\n"
		  "  \"handles\": %llu,\n  \"open_fds\": %llu,\n"
		  "  \"inode_fds\": %llu,\n  \"inode_fd_budget\": %llu,\n"
		  "  \"inode_evictions\": %llu,\n  \"inode_stale\": %llu,\n"
		  "  \"inode_mode\": \"%s\",\n  \"inode_reopens\": %llu\n}\n",
		  (unsigned long long)get(&st->bytes_read),
		  (unsigned long long)get(&st->bytes_written),
		  (long long)atomic_load_explicit(
			  &((struct stats_shard *)st)->in_flight,
			  memory_order_relaxed),
		  (unsigned long long)g->inodes,
		  (unsigned long long)g->handles,
		  (unsigned long long)g->open_fds,
		  (unsigned long long)g->inode_fds,
		  (unsigned long long)g->inode_fd_budget,
		  (unsigned long long)g->inode_evictions,
		  (unsigned long long)g->inode_stale, mode_of(g),
		  (unsigned long long)g->inode_reopens);
}

static void prom_head(struct sbuf *b, const char *name, const char *type,
		      const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_histograms(const struct stats_shard *st, struct sbuf *b)
{
	prom_head(b, "vfsd_request_duration_microseconds", "histogram",
		  "Time from receiving a FUSE request to its reply.");
	for (unsigned int i = 0; i < FUSE_STATS_NOPS; i++) {
		const struct fuse_op_stats *o = &st->op[i];
		uint64_t n = get(&o->count), cum = 0;

		if (!n)
			continue;
		for (unsigned int k = 0; k + 1 < FUSE_STATS_NBUCKETS; k++) {
			cum += get(&o->hist[k]);
			sb_printf(b, "vfsd_request_duration_microseconds_bucket"
				  "{op=\"%s\",le=\"%llu\"} %llu\n", op_name(i),
				  1ull << k, (unsigned long long)cum);
		}
		sb_printf(b, "vfsd_request_duration_microseconds_bucket"
			  "{op=\"%s\",le=\"+Inf\"} %llu\n"
			  "vfsd_request_duration_microseconds_sum{op=\"%s\"} %llu\n"
			  "vfsd_request_duration_microseconds_count{op=\"%s\"} %llu\n",
			  op_name(i), (unsigned long long)n, op_name(i),
			  (unsigned long long)get(&o->sum_us), op_name(i),
			  (unsigned long long)n);
	}
}

static void prom_ops(const struct stats_shard *st, struct sbuf *b, bool errors)
{
	for (unsigned int i = 0; i < FUSE_STATS_NOPS; i++) {
		const struct fuse_op_stats *o = &st->op[i];

		if (!get(&o->count))
			continue;
		sb_printf(b, "%s{op=\"%s\"} %llu\n",
			  errors ? "vfsd_request_errors_total" :
				   "vfsd_requests_total",
			  op_name(i),
			  (unsigned long long)get(errors ? &o->errors :
							   &o->count));
	}
}

static void render_prometheus(const struct stats_shard *st,
			      const struct fuse_stats_gauges *g,
			      struct sbuf *b)
{
	char name[32];

	prom_head(b, "vfsd_requests_total", "counter",
		  "FUSE requests served, by opcode.");
	prom_ops(st, b, false);
	prom_head(b, "vfsd_request_errors_total", "counter",
		  "FUSE requests answered with an error, by opcode.");
	prom_ops(st, b, true);
	prom_head(b, "vfsd_errors_total", "counter",
		  "FUSE error replies, by errno.");
	for (int e = 1; e < FUSE_STATS_NERRNO; e++) {
		uint64_t n = get(&st->by_errno[e]);

		if (!n)
			continue;
		errno_name(e, name, sizeof(name));
		sb_printf(b, "vfsd_errors_total{errno=\"%s\"} %llu\n", name,
			  (unsigned long long)n);
	}
	prom_histograms(st, b);
	prom_head(b, "vfsd_read_bytes_total", "counter",
		  "File data returned by READ.");
	sb_printf(b, "vfsd_read_bytes_total %llu\n",
		  (unsigned long long)get(&st->bytes_read));
	prom_head(b, "vfsd_written_bytes_total", "counter",
		  "File data received by successful WRITE requests.");
	sb_printf(b, "vfsd_written_bytes_total %llu\n",
		  (unsigned long long)get(&st->bytes_written));
	prom_head(b, "vfsd_requests_in_flight", "gauge",
		  "FUSE requests being processed.");
	sb_printf(b, "vfsd_requests_in_flight %lld\n",
		  (long long)atomic_load_explicit(
			  &((struct stats_shard *)st)->in_flight,
			  memory_order_relaxed));
	prom_head(b, "vfsd_inodes", "gauge", "Entries in the inode table.");
	sb_printf(b, "vfsd_inodes %llu\n", (unsigned long long)g->inodes);
	prom_head(b, "vfsd_handles", "gauge", "Open file and directory handles.");
	sb_printf(b, "vfsd_handles %llu\n", (unsigned long long)g->handles);
	prom_head(b, "vfsd_open_fds", "gauge", "File descriptors of the server.");
	sb_printf(b, "vfsd_open_fds %llu\n", (unsigned long long)g->open_fds);
	prom_head(b, "vfsd_inode_fds", "gauge",
		  "O_PATH fds of inodes (--inode-fd-budget).");
	sb_printf(b, "vfsd_inode_fds %llu\n", (unsigned long long)g->inode_fds);
	prom_head(b, "vfsd_inode_fd_budget", "gauge",
		  "Inode fds kept open at most (0: one per inode).");
	sb_printf(b, "vfsd_inode_fd_budget{mode=\"%s\"} %llu\n", mode_of(g),
		  (unsigned long long)g->inode_fd_budget);
	prom_head(b, "vfsd_inode_evictions_total", "counter",
		  "Idle inode fds closed for the budget.");
	sb_printf(b, "vfsd_inode_evictions_total %llu\n",
		  (unsigned long long)g->inode_evictions);
	prom_head(b, "vfsd_inode_reopens_total", "counter",
		  "Idle inode fds opened again, by file handle or by name.");
	sb_printf(b, "vfsd_inode_reopens_total %llu\n",
		  (unsigned long long)g->inode_reopens);
	prom_head(b, "vfsd_inode_stale_total", "counter",
		  "Reopens that found the inode's file gone (ESTALE).");
	sb_printf(b, "vfsd_inode_stale_total %llu\n",
		  (unsigned long long)g->inode_stale);
}

/* Every shard's counters added into one. */
static void stats_sum(const struct fuse_stats *fst, struct stats_shard *sum)
{
	for (unsigned int i = 0; i < FUSE_STATS_SHARDS; i++) {
		const struct stats_shard *sh = &fst->shard[i];
		int_fast64_t f;

		for (unsigned int op = 0; op < FUSE_STATS_NOPS; op++) {
			const struct fuse_op_stats *o = &sh->op[op];
			struct fuse_op_stats *t = &sum->op[op];

			add(&t->count, get(&o->count));
			add(&t->errors, get(&o->errors));
			add(&t->sum_us, get(&o->sum_us));
			for (unsigned int b = 0; b < FUSE_STATS_NBUCKETS; b++)
				add(&t->hist[b], get(&o->hist[b]));
		}
		for (unsigned int e = 0; e < FUSE_STATS_NERRNO; e++)
			add(&sum->by_errno[e], get(&sh->by_errno[e]));
		add(&sum->bytes_read, get(&sh->bytes_read));
		add(&sum->bytes_written, get(&sh->bytes_written));
		f = atomic_load_explicit(&((struct stats_shard *)sh)->in_flight,
					 memory_order_relaxed);
		atomic_fetch_add_explicit(&sum->in_flight, f,
					  memory_order_relaxed);
	}
}

int fuse_stats_render(const struct fuse_stats *fst,
		      const struct fuse_stats_gauges *g,
		      enum fuse_stats_format fmt, char **out, size_t *len)
{
	struct stats_shard *st;
	struct sbuf b = { 0 };

	/* Aligned as its type says (the sanitizers check). */
	if (posix_memalign((void **)&st, _Alignof(struct stats_shard),
			   sizeof(*st)))
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	stats_sum(fst, st);
	if (fmt == FUSE_STATS_JSON)
		render_json(st, g, &b);
	else if (fmt == FUSE_STATS_PROMETHEUS)
		render_prometheus(st, g, &b);
	else
		render_text(st, g, &b);
	free(st);
	if (b.err) {
		free(b.s);
		return b.err;
	}
	*out = b.s;
	*len = b.len;
	return 0;
}
