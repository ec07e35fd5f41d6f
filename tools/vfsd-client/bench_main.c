/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd-client bench: build the fixture through the back end itself, then
 * run every workload for each queue count and depth and print one row per
 * run. The fixture lives in <shared>/vfsd-bench and is reused by later
 * sessions, so only the first session pays for the big directory.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB (1ull << 20)

static int entry_name_fill(struct bench *b, struct fm_slot *s)
{
	char name[32];

	snprintf(name, sizeof(name), "e%06llu", (unsigned long long)s->aux);
	fm_fill_mknod(s, b->big_nid, name, 0100644);
	return 0;
}

static void mkent_fill(struct bench *b, struct fm_slot *s)
{
	if (s->step == 0) {
		s->aux = b->counter++;
		entry_name_fill(b, s);
	} else {
		fm_fill_forget(s, s->nodeid, 1);
	}
}

static int mkent_reply(struct bench *b, struct fm_slot *s)
{
	const struct fuse_entry_out *e;
	const void *p;
	size_t len;
	int r;

	if (s->step == 1)
		return 1;
	r = fm_reply(s, &p, &len);
	if (r == -EEXIST)
		return 1;
	if (r || len < sizeof(*e)) {
		snprintf(b->err, sizeof(b->err), "MKNOD: %s",
			 r ? strerror(-r) : "short reply");
		return -1;
	}
	e = p;
	s->nodeid = e->nodeid;
	s->step = 1;
	return 0;
}

static const struct workload mkentries = { "mkentries", false, mkent_fill,
					   mkent_reply, NULL };

static int lookup_or(struct fm_queue *q, uint64_t parent, const char *name,
		     bool dir, struct fuse_entry_out *e)
{
	int r = fm_do_lookup(q, parent, name, e);

	if (r == -ENOENT && dir)
		r = fm_do_mkdir(q, parent, name, e);
	return r;
}

static int make_data(struct bench *b, struct fm_queue *q)
{
	struct fuse_entry_out e;
	uint8_t *buf = malloc(b->io_max);
	uint64_t fh;
	int r;

	if (!buf)
		return -ENOMEM;
	r = fm_do_lookup(q, b->dir_nid, "data", &e);
	if (!r && e.attr.size == b->data_size)
		goto done;
	if (!r)
		fm_do_unlink(q, FUSE_UNLINK, b->dir_nid, "data");
	r = fm_do_create(q, b->dir_nid, "data", 0644, &e, &fh);
	for (uint64_t off = 0; !r && off < b->data_size; off += b->io_max) {
		fm_pattern_fill(buf, off, b->io_max);
		r = fm_do_write(q, e.nodeid, fh, off, buf, b->io_max);
	}
	if (!r)
		r = fm_do_release(q, FUSE_RELEASE, e.nodeid, fh);
done:
	free(buf);
	b->data_nid = e.nodeid;
	b->data_ino = e.attr.ino;
	return r;
}

static int make_bigdir(struct bench *b, struct fm_queue *q)
{
	struct fuse_entry_out e;
	struct run_result res;
	char name[48], done[64];
	uint64_t fh;
	int r;

	snprintf(name, sizeof(name), "big-%u", b->nentries);
	snprintf(done, sizeof(done), "big-%u.done", b->nentries);
	r = lookup_or(q, b->dir_nid, name, true, &e);
	if (r)
		return r;
	b->big_nid = e.nodeid;
	if (fm_do_lookup(q, b->dir_nid, done, &e) == 0)
		return 0;
	b->counter = 0;
	r = bench_run(b, &mkentries, 1, b->cs->q[1].nslots, 1e9, b->nentries,
		      &res);
	if (r) {
		fprintf(stderr, "vfsd-client: fixture: %s\n", b->err);
		return r;
	}
	r = fm_do_create(q, b->dir_nid, done, 0644, &e, &fh);
	return r ? r : fm_do_release(q, FUSE_RELEASE, e.nodeid, fh);
}

static int fixture(struct bench *b)
{
	struct fm_queue *q = &b->cs->q[1];
	struct fuse_entry_out e;
	int r;

	r = lookup_or(q, FUSE_ROOT_ID, "vfsd-bench", true, &e);
	if (r)
		return r;
	b->dir_nid = e.nodeid;
	r = make_data(b, q);
	if (!r)
		r = make_bigdir(b, q);
	if (r)
		return r;
	/* Look it up first: some back ends only unlink names they know. */
	r = fm_do_lookup(q, b->dir_nid, "wfile", &e);
	if (!r)
		r = fm_do_unlink(q, FUSE_UNLINK, b->dir_nid, "wfile");
	if (r && r != -ENOENT)
		return r;
	r = fm_do_create(q, b->dir_nid, "wfile", 0644, &e, &b->wfile_fh);
	if (r)
		return r;
	b->wfile_nid = e.nodeid;
	return fm_do_open(q, FUSE_OPEN, b->data_nid, 0, &b->data_fh);
}

void bench_print_head(const struct client_opts *o)
{
	if (o->csv)
		printf("workload,queues,depth,ops,secs,ops_s,mb_s,p50_us,p99_us,"
		       "p999_us,cpu_us_op,client_us_op,cpu_pct,status\n");
	else
		printf("%-14s %2s %5s %9s %10s %9s %8s %8s %8s %9s %9s %7s  %s\n",
		       "workload", "q", "depth", "ops", "ops/s", "MB/s",
		       "p50_us", "p99_us", "p999_us", "cpu_us/op", "cl_us/op",
		       "cpu_%", "status");
}

void bench_print_row(const struct client_opts *o, const char *wl,
		      unsigned int nq, unsigned int depth,
		      const struct run_result *r, const char *status)
{
	double ops_s = r->secs > 0 ? (double)r->ops / r->secs : 0;
	double mb_s = r->secs > 0 ? (double)r->bytes / r->secs / 1e6 : 0;
	double cpu = r->ops ? (double)r->cpu_ns / 1e3 / (double)r->ops : 0;
	double cl = r->ops ? (double)r->client_ns / 1e3 / (double)r->ops : 0;
	/* Of one core, over the run: the idle row's number. */
	double pct = r->secs > 0 ? (double)r->cpu_ns / 1e7 / r->secs : 0;

	if (o->csv)
		printf("%s,%u,%u,%llu,%.3f,%.1f,%.2f,%.1f,%.1f,%.1f,%.2f,%.2f,%.2f,%s\n",
		       wl, nq, depth, (unsigned long long)r->ops, r->secs, ops_s,
		       mb_s, (double)r->p50_ns / 1e3, (double)r->p99_ns / 1e3,
		       (double)r->p999_ns / 1e3, cpu, cl, pct, status);
	else
		printf("%-14s %2u %5u %9llu %10.0f %9.1f %8.1f %8.1f %8.1f %9.2f %9.2f %7.2f  %s\n",
		       wl, nq, depth, (unsigned long long)r->ops, ops_s, mb_s,
		       (double)r->p50_ns / 1e3, (double)r->p99_ns / 1e3,
		       (double)r->p999_ns / 1e3, cpu, cl, pct, status);
	fflush(stdout);
}

static bool wanted(const struct client_opts *o, const char *name)
{
	const char *p = o->workloads;
	size_t n = strlen(name);

	if (!p)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == o->workloads || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return true;
		p += n;
	}
	return false;
}

static int bench_session(struct client_opts *o, struct bench *b,
			 unsigned int nq, const unsigned int *depths,
			 unsigned int ndepths)
{
	struct session_cfg cfg = {
		.nreq = nq,
		/* One more for a background stream (mixed_fsync). */
		.slots = depths[ndepths - 1] + 1,
		.in_cap = MIB + 16384 + 16ull * (o->entries + 16),
		.out_cap = MIB + 4096,
	};
	struct client_session cs;
	struct run_result res = { 0 };
	int failed = 0, r;

	r = session_open(&cs, o, &cfg);
	if (r == -EOPNOTSUPP) {
		for (unsigned int d = 0; d < ndepths; d++)
			for (const struct workload *w = bench_workloads; w->name; w++)
				if (wanted(o, w->name))
					bench_print_row(o, w->name, nq, depths[d], &res,
						  "unsupported-queues");
		session_free(&cs);
		return 0;
	}
	if (r) {
		fprintf(stderr, "vfsd-client: session with %u request queue(s): %s\n",
			nq, strerror(-r));
		session_free(&cs);
		return 1;
	}
	b->cs = &cs;
	b->io_max = cs.init.max_write < MIB ? cs.init.max_write & ~4095u : MIB;
	if ((cs.init.flags & FUSE_MAX_PAGES) && cs.init.max_pages &&
	    cs.init.max_pages * 4096u < b->io_max)
		b->io_max = cs.init.max_pages * 4096u;
	if (b->io_max < 4096) {
		fprintf(stderr, "vfsd-client: max_write %u is too small\n",
			cs.init.max_write);
		session_free(&cs);
		return 1;
	}
	memset(b->wmap, 0, b->wsize / 4096 / 8 + 1);
	memset(b->lookup_nid, 0, b->nlookup_names * sizeof(*b->lookup_nid));
	memset(b->lookup_cnt, 0, b->nlookup_names * sizeof(*b->lookup_cnt));
	b->wseq_done = b->wseq_off = b->seq_off = 0;
	r = fixture(b);
	if (r) {
		fprintf(stderr, "vfsd-client: fixture: %s\n", strerror(-r));
		session_free(&cs);
		return 1;
	}
	for (unsigned int d = 0; d < ndepths; d++) {
		for (const struct workload *w = bench_workloads; w->name; w++) {
			if (!wanted(o, w->name))
				continue;
			r = bench_run(b, w, nq, depths[d], o->duration,
				      o->smoke ? 64 : UINT64_MAX, &res);
			bench_print_row(o, w->name, nq, depths[d], &res,
				  r ? b->err : "ok");
			if (r && !o->csv)
				fprintf(stderr, "vfsd-client: %s: %s\n",
					w->name, b->err);
			failed |= r != 0;
			if (r && !vc_alive(&cs.dev))
				goto out;
		}
	}
out:
	bench_free_slots(&cs);
	session_close(&cs, o->timeout_ms);
	session_free(&cs);
	return failed;
}

int bench_main(struct client_opts *o)
{
	unsigned int depths[2] = { 1, 16 }, ndepths = 2;
	unsigned int queues[2] = { 1, 2 }, nqueues = 2;
	struct bench b = { .o = o, .rng = 0x2545f4914f6cdd1dull };
	int failed = 0;

	if (o->list) {
		for (const struct workload *w = bench_workloads; w->name; w++)
			printf("%s\n", w->name);
		return 0;
	}
	if (!o->entries)
		o->entries = o->smoke ? 500 : 10000;
	if (o->smoke) {
		depths[0] = o->depth_set ? o->depth : 4;
		ndepths = 1;
		queues[0] = o->queues ? o->queues : 1;
		nqueues = 1;
		o->duration = 2;
	}
	if (o->depth_set) {
		depths[0] = o->depth;
		ndepths = 1;
	}
	if (o->queues) {
		queues[0] = o->queues;
		nqueues = 1;
	}
	if (o->socket_path && nqueues > 1)
		nqueues = 1; /* one connection only: no fresh session per row */
	b.nentries = o->entries;
	b.nlookup_names = b.nentries < 256 ? b.nentries : 256;
	b.data_size = o->smoke ? 4 * MIB : 64 * MIB;
	b.wsize = b.data_size;
	b.verify = o->smoke;
	b.lookup_nid = calloc(b.nlookup_names, sizeof(*b.lookup_nid));
	b.lookup_cnt = calloc(b.nlookup_names, sizeof(*b.lookup_cnt));
	b.wmap = calloc(b.wsize / 4096 / 8 + 1, 1);
	if (!b.lookup_nid || !b.lookup_cnt || !b.wmap)
		return 1;
	bench_print_head(o);
	for (unsigned int i = 0; i < nqueues; i++)
		failed |= bench_session(o, &b, queues[i], depths, ndepths);
	free(b.lookup_nid);
	free(b.lookup_cnt);
	free(b.wmap);
	return failed;
}
