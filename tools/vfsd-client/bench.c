/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd-client bench: closed-loop workloads with a fixed number of
 * requests in flight per request queue. An operation may take several
 * requests (OPEN then RELEASE); its latency spans all of them. Every reply
 * is checked, so a fast wrong answer counts as a failure, not a result.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_DIR "vfsd-bench"
#define LOOKUP_NAMES 256u

static int fail(struct bench *b, struct fm_slot *s, const char *what, int err)
{
	if (!b->err[0])
		snprintf(b->err, sizeof(b->err), "%s: %s (unique %llu)", what,
			 err == -EBADMSG ? "malformed reply" : strerror(-err),
			 (unsigned long long)s->unique);
	return -1;
}

/* The reply must succeed and carry at least min bytes. */
static int reply_ok(struct bench *b, struct fm_slot *s, const char *what,
		    const void **p, size_t min)
{
	size_t len;
	int r = fm_reply(s, p, &len);

	if (r)
		return fail(b, s, what, r);
	if (len < min)
		return fail(b, s, what, -EBADMSG);
	return 0;
}

static uint64_t rnd(struct bench *b)
{
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	return b->rng;
}

/* getattr: one inode, the answer must be that inode. */
static void getattr_fill(struct bench *b, struct fm_slot *s)
{
	fm_fill_getattr(s, b->data_nid);
}

static int getattr_reply(struct bench *b, struct fm_slot *s)
{
	const struct fuse_attr_out *a;

	if (reply_ok(b, s, "GETATTR", (const void **)&a, sizeof(*a)))
		return -1;
	if (a->attr.ino != b->data_ino || a->attr.size != b->data_size)
		return fail(b, s, "GETATTR attributes", -EBADMSG);
	return 1;
}

static void entry_name(char *buf, size_t len, uint64_t i)
{
	snprintf(buf, len, "e%06llu", (unsigned long long)i);
}

static void lookup_hit_fill(struct bench *b, struct fm_slot *s)
{
	char name[32];

	s->aux = b->counter++ % b->nlookup_names;
	entry_name(name, sizeof(name), s->aux);
	fm_fill_lookup(s, b->big_nid, name);
}

static int lookup_hit_reply(struct bench *b, struct fm_slot *s)
{
	const struct fuse_entry_out *e;

	if (reply_ok(b, s, "LOOKUP", (const void **)&e, sizeof(*e)))
		return -1;
	if (!e->nodeid || (e->attr.mode & 0170000) != 0100000)
		return fail(b, s, "LOOKUP entry", -EBADMSG);
	if (b->lookup_nid[s->aux] && b->lookup_nid[s->aux] != e->nodeid)
		return fail(b, s, "LOOKUP nodeid changed", -EBADMSG);
	b->lookup_nid[s->aux] = e->nodeid;
	b->lookup_cnt[s->aux]++;
	return 1;
}

/* Each successful LOOKUP took a reference; give them all back. */
static int lookup_hit_after(struct bench *b)
{
	for (unsigned int i = 0; i < b->nlookup_names; i++) {
		if (b->lookup_cnt[i] &&
		    fm_do_forget(&b->cs->q[1], b->lookup_nid[i],
				 b->lookup_cnt[i]))
			return -1;
		/* Forgotten: the next LOOKUP may hand out a new nodeid. */
		b->lookup_cnt[i] = 0;
		b->lookup_nid[i] = 0;
	}
	return 0;
}

static void lookup_miss_fill(struct bench *b, struct fm_slot *s)
{
	char name[32];

	snprintf(name, sizeof(name), "missing%llu",
		 (unsigned long long)(b->counter++ % 1000));
	fm_fill_lookup(s, b->big_nid, name);
}

static int lookup_miss_reply(struct bench *b, struct fm_slot *s)
{
	int r = fm_reply(s, NULL, NULL);

	/* A zero nodeid is the cacheable form of "no such entry". */
	if (r == 0) {
		const struct fuse_entry_out *e;

		if (reply_ok(b, s, "LOOKUP", (const void **)&e, sizeof(*e)))
			return -1;
		return e->nodeid ? fail(b, s, "LOOKUP of a missing name",
					-EBADMSG) : 1;
	}
	return r == -ENOENT ? 1 : fail(b, s, "LOOKUP of a missing name", r);
}

static void open_release_fill(struct bench *b, struct fm_slot *s)
{
	if (s->step == 0)
		fm_fill_open(s, FUSE_OPEN, b->data_nid, 0 /* O_RDONLY */);
	else
		fm_fill_release(s, FUSE_RELEASE, b->data_nid, s->fh);
}

static int open_release_reply(struct bench *b, struct fm_slot *s)
{
	const struct fuse_open_out *o;

	if (s->step == 0) {
		if (reply_ok(b, s, "OPEN", (const void **)&o, sizeof(*o)))
			return -1;
		s->fh = o->fh;
		s->step = 1;
		return 0;
	}
	return reply_ok(b, s, "RELEASE", NULL, 0) ? -1 : 1;
}

static void read_fill(struct bench *b, struct fm_slot *s, uint64_t off,
		      uint32_t size)
{
	s->aux = off;
	fm_fill_read(s, FUSE_READ, b->data_nid, b->data_fh, off, size);
}

static void read4k_fill(struct bench *b, struct fm_slot *s)
{
	read_fill(b, s, (rnd(b) % (b->data_size / 4096)) * 4096, 4096);
}

static void read1m_fill(struct bench *b, struct fm_slot *s)
{
	if (b->seq_off + b->io_max > b->data_size)
		b->seq_off = 0;
	read_fill(b, s, b->seq_off, b->io_max);
	b->seq_off += b->io_max;
}

static int read_reply(struct bench *b, struct fm_slot *s)
{
	const struct fuse_read_in *in =
		(const void *)(s->in + sizeof(struct fuse_in_header));
	const void *p;
	size_t len;
	int r = fm_reply(s, &p, &len);

	if (r)
		return fail(b, s, "READ", r);
	if (len != in->size)
		return fail(b, s, "READ short", -EBADMSG);
	if (b->verify && !fm_pattern_check(p, s->aux, len))
		return fail(b, s, "READ data differs from the file", -EBADMSG);
	b->bytes += len;
	return 1;
}

static void write4k_fill(struct bench *b, struct fm_slot *s)
{
	uint64_t blk = rnd(b) % (b->wsize / 4096);

	s->aux = blk;
	fm_pattern_fill(fm_fill_write(s, b->wfile_nid, b->wfile_fh, blk * 4096,
				      4096),
			blk * 4096, 4096);
}

static void write1m_fill(struct bench *b, struct fm_slot *s)
{
	if (b->wseq_off + b->io_max > b->wsize)
		b->wseq_off = 0;
	s->aux = b->wseq_off;
	fm_pattern_fill(fm_fill_write(s, b->wfile_nid, b->wfile_fh,
				      b->wseq_off, b->io_max),
			b->wseq_off, b->io_max);
	b->wseq_off += b->io_max;
}

static int write_reply(struct bench *b, struct fm_slot *s)
{
	const struct fuse_write_in *in =
		(const void *)(s->in + sizeof(struct fuse_in_header));
	const struct fuse_write_out *w;

	if (reply_ok(b, s, "WRITE", (const void **)&w, sizeof(*w)))
		return -1;
	if (w->size != in->size)
		return fail(b, s, "WRITE short", -EBADMSG);
	if (in->size == 4096)
		b->wmap[s->aux / 8] |= (uint8_t)(1u << (s->aux % 8));
	else if (in->offset + in->size > b->wseq_done)
		b->wseq_done = in->offset + in->size;
	b->bytes += w->size;
	return 1;
}

/* Read back what the write workloads stored: every byte must be there. */
static int write_verify(struct bench *b)
{
	struct fm_queue *q = &b->cs->q[1];
	struct fm_slot *s = &q->slots[0];
	const void *p;
	size_t len;
	uint64_t off;

	if (!b->verify)
		return 0;
	for (off = 0; off < b->wsize; off += 4096) {
		bool want = (b->wmap[off / 4096 / 8] >> (off / 4096 % 8)) & 1;

		want |= off < b->wseq_done;
		if (!want)
			continue;
		fm_fill_read(s, FUSE_READ, b->wfile_nid, b->wfile_fh, off, 4096);
		if (fm_call(q, s, b->o->timeout_ms) || fm_reply(s, &p, &len) ||
		    len != 4096 || !fm_pattern_check(p, off, len)) {
			snprintf(b->err, sizeof(b->err),
				 "read-back of written data at %llu differs",
				 (unsigned long long)off);
			return -1;
		}
	}
	return 0;
}

/*
 * mixed: GETATTRs at the given depth on a queue that also carries one
 * stream of 4 KiB WRITE + FSYNC, as a guest's database beside its shell.
 * Only the GETATTRs are counted and timed: compare their latency with the
 * getattr row's.
 */
static void fsync_stream_fill(struct bench *b, struct fm_slot *s)
{
	struct fuse_fsync_in in = { .fh = b->wfile_fh };

	if (s->step == 0) {
		write4k_fill(b, s);
		return;
	}
	fm_begin(s, FUSE_FSYNC, b->wfile_nid);
	fm_arg(s, &in, sizeof(in));
	fm_end(s, sizeof(struct fuse_out_header));
}

static int fsync_stream_reply(struct bench *b, struct fm_slot *s)
{
	if (s->step == 0) {
		if (write_reply(b, s) < 0)
			return -1;
		s->step = 1;
		return 0;
	}
	return reply_ok(b, s, "FSYNC", NULL, 0) ? -1 : 1;
}

static void create_unlink_fill(struct bench *b, struct fm_slot *s)
{
	char name[48];

	snprintf(name, sizeof(name), "cu.%u.%llu", s->head,
		 (unsigned long long)s->aux);
	switch (s->step) {
	case 0:
		s->aux = b->counter++;
		snprintf(name, sizeof(name), "cu.%u.%llu", s->head,
			 (unsigned long long)s->aux);
		fm_fill_create(s, b->dir_nid, name, 0644);
		break;
	case 1:
		fm_fill_release(s, FUSE_RELEASE, s->nodeid, s->fh);
		break;
	case 2:
		fm_fill_unlink(s, FUSE_UNLINK, b->dir_nid, name);
		break;
	default:
		fm_fill_forget(s, s->nodeid, 1);
		break;
	}
}

static int create_unlink_reply(struct bench *b, struct fm_slot *s)
{
	const struct fuse_entry_out *e;

	switch (s->step) {
	case 0:
		if (reply_ok(b, s, "CREATE", (const void **)&e,
			     sizeof(*e) + sizeof(struct fuse_open_out)))
			return -1;
		s->nodeid = e->nodeid;
		s->fh = ((const struct fuse_open_out *)(e + 1))->fh;
		break;
	case 1:
		if (reply_ok(b, s, "RELEASE", NULL, 0))
			return -1;
		break;
	case 2:
		if (reply_ok(b, s, "UNLINK", NULL, 0))
			return -1;
		break;
	default:
		return 1; /* FORGET: nothing comes back */
	}
	s->step++;
	return 0;
}

/* Nodeids handed out by one directory scan, to forget when it ends. */
struct scan {
	uint64_t *nids;
	uint32_t n, cap, entries;
	uint64_t off;
};

static void rdplus_fill(struct bench *b, struct fm_slot *s)
{
	struct scan *sc = s->priv;

	switch (s->step) {
	case 0:
		sc->n = sc->entries = 0;
		sc->off = 0;
		fm_fill_open(s, FUSE_OPENDIR, b->big_nid, 0200000 /* O_DIRECTORY */);
		break;
	case 1:
		fm_fill_read(s, FUSE_READDIRPLUS, b->big_nid, s->fh, sc->off,
			     32768);
		break;
	case 2:
		fm_fill_release(s, FUSE_RELEASEDIR, b->big_nid, s->fh);
		break;
	default:
		fm_fill_batch_forget(s, sc->nids, sc->n);
		break;
	}
}

static bool dot_or_dotdot(const char *n, uint32_t len)
{
	return (len == 1 && n[0] == '.') ||
	       (len == 2 && n[0] == '.' && n[1] == '.');
}

/* Walk one READDIRPLUS answer; returns entries seen, or -1. */
static int rdplus_parse(struct scan *sc, const uint8_t *p, size_t len)
{
	size_t pos = 0;
	int n = 0;

	while (len - pos >= FUSE_NAME_OFFSET_DIRENTPLUS) {
		struct fuse_direntplus d;
		size_t sz;

		memcpy(&d, p + pos, sizeof(d));
		sz = FUSE_DIRENTPLUS_SIZE(&d);
		if (d.dirent.namelen == 0 || d.dirent.namelen > 255 ||
		    sz > len - pos)
			return -1;
		if (!dot_or_dotdot((const char *)p + pos + FUSE_NAME_OFFSET_DIRENTPLUS,
				   d.dirent.namelen)) {
			if (!d.entry_out.nodeid || sc->n == sc->cap)
				return -1;
			sc->nids[sc->n++] = d.entry_out.nodeid;
			sc->entries++;
		}
		sc->off = d.dirent.off;
		pos += sz;
		n++;
	}
	return pos == len ? n : -1;
}

static int rdplus_reply(struct bench *b, struct fm_slot *s)
{
	struct scan *sc = s->priv;
	const struct fuse_open_out *o;
	const void *p;
	size_t len;
	int r;

	switch (s->step) {
	case 0:
		if (reply_ok(b, s, "OPENDIR", (const void **)&o, sizeof(*o)))
			return -1;
		s->fh = o->fh;
		s->step = 1;
		return 0;
	case 1:
		r = fm_reply(s, &p, &len);
		if (r)
			return fail(b, s, "READDIRPLUS", r);
		b->bytes += len;
		r = rdplus_parse(sc, p, len);
		if (r < 0)
			return fail(b, s, "READDIRPLUS entries", -EBADMSG);
		if (r == 0)
			s->step = 2;
		return 0;
	case 2:
		if (reply_ok(b, s, "RELEASEDIR", NULL, 0))
			return -1;
		if (sc->entries != b->nentries)
			return fail(b, s, "READDIRPLUS entry count", -EBADMSG);
		s->step = sc->n ? 3 : 4;
		return sc->n ? 0 : 1;
	default:
		return 1;
	}
}

static int rdplus_prepare(struct bench *b, unsigned int nq, unsigned int depth)
{
	for (unsigned int q = 1; q <= nq; q++) {
		for (unsigned int i = 0; i < depth; i++) {
			struct fm_slot *s = &b->cs->q[q].slots[i];
			struct scan *sc = s->priv;

			if (sc)
				continue;
			sc = calloc(1, sizeof(*sc));
			if (!sc)
				return -1;
			sc->cap = b->nentries + 16;
			sc->nids = calloc(sc->cap, sizeof(*sc->nids));
			s->priv = sc;
			if (!sc->nids)
				return -1;
		}
	}
	return 0;
}

void bench_free_slots(struct client_session *cs)
{
	for (unsigned int q = 1; q <= cs->nreq; q++) {
		for (unsigned int i = 0; i < cs->q[q].nslots; i++) {
			struct scan *sc = cs->q[q].slots[i].priv;

			if (sc)
				free(sc->nids);
			free(sc);
			cs->q[q].slots[i].priv = NULL;
		}
	}
}

const struct workload bench_workloads[] = {
	{ "getattr", false, getattr_fill, getattr_reply, NULL },
	{ "lookup_hit", false, lookup_hit_fill, lookup_hit_reply, lookup_hit_after },
	{ "lookup_miss", false, lookup_miss_fill, lookup_miss_reply, NULL },
	{ "open_release", false, open_release_fill, open_release_reply, NULL },
	{ "read_4k_rand", true, read4k_fill, read_reply, NULL },
	{ "read_1m_seq", true, read1m_fill, read_reply, NULL },
	{ "write_4k_rand", true, write4k_fill, write_reply, write_verify },
	{ "write_1m_seq", true, write1m_fill, write_reply, write_verify },
	{ "create_unlink", false, create_unlink_fill, create_unlink_reply, NULL },
	{ "readdirplus", true, rdplus_fill, rdplus_reply, NULL },
	{ "mixed_fsync", false, getattr_fill, getattr_reply, write_verify,
	  fsync_stream_fill, fsync_stream_reply },
	/* No requests: what the back end burns while the guest is idle. */
	{ "idle", false, NULL, NULL, NULL },
	{ NULL },
};

/* The background slot of a queue: the one after the timed ones. */
static bool is_bg(const struct fm_slot *s, unsigned int depth)
{
	return s->head / FM_DESC_PER_SLOT == depth;
}

static void start_op(struct bench *b, const struct workload *w,
		     struct fm_slot *s, unsigned int depth)
{
	s->step = 0;
	s->op_t0 = vc_now_ns();
	if (w->bg_fill && is_bg(s, depth))
		w->bg_fill(b, s);
	else
		w->fill(b, s);
	fm_submit(s);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Complete what came back on one queue; returns slots still busy. */
static unsigned int reap_queue(struct bench *b, const struct workload *w,
			       struct fm_queue *q, struct run_state *st)
{
	struct fm_slot *done[256];
	int n = fm_reap(q, done, 256);

	for (int i = 0; i < n; i++) {
		struct fm_slot *s = done[i];
		bool bg = w->bg_fill && is_bg(s, st->depth);
		int r = bg ? w->bg_reply(b, s) : w->reply(b, s);

		st->progress = vc_now_ns();
		if (r < 0) {
			st->stop = true;
			st->inflight--;
			continue;
		}
		if (r == 0) {
			if (bg)
				w->bg_fill(b, s);
			else
				w->fill(b, s);
			fm_submit(s);
			continue;
		}
		if (bg) {
			st->bg_ops++;
		} else {
			if (st->nlat < st->cap)
				st->lat[st->nlat++] = st->progress - s->op_t0;
			st->ops++;
		}
		st->inflight--;
		if (!st->stop && st->progress < st->end &&
		    st->started < st->max_ops) {
			st->started += !bg;
			st->inflight++;
			start_op(b, w, s, st->depth);
		}
	}
	return (unsigned int)n;
}

static uint64_t client_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The idle workload: nothing sent, the back end's CPU time measured. */
static void idle_wait(double secs)
{
	struct timespec ts = { .tv_sec = (time_t)secs,
			       .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Lay the ordered latencies into res: p50, p99, p99.9. */
static void percentiles(struct run_state *st, struct run_result *res)
{
	qsort(st->lat, st->nlat, sizeof(*st->lat), cmp_u64);
	if (!st->nlat)
		return;
	res->p50_ns = st->lat[st->nlat / 2];
	res->p99_ns = st->lat[(st->nlat * 99) / 100];
	res->p999_ns = st->lat[(st->nlat * 999) / 1000];
}

int bench_run(struct bench *b, const struct workload *w, unsigned int nq,
	      unsigned int depth, double secs, uint64_t max_ops,
	      struct run_result *res)
{
	struct run_state st = { .max_ops = max_ops, .depth = depth };
	uint64_t t0, cpu0, cpu1, cl0, poll_ns = b->o->halt_poll_us * 1000ull;
	struct vc_proc_stat p0, p1;

	memset(res, 0, sizeof(*res));
	b->err[0] = '\0';
	b->bytes = 0;
	if (w->fill == rdplus_fill && rdplus_prepare(b, nq, depth))
		return -ENOMEM;
	st.cap = 1u << 22;
	st.lat = malloc(st.cap * sizeof(*st.lat));
	if (!st.lat)
		return -ENOMEM;
	vc_proc_stat(b->cs->dev.pid, &p0);
	cpu0 = vc_proc_cpu_ns(b->cs->dev.pid);
	cl0 = client_cpu_ns();
	t0 = vc_now_ns();
	st.end = t0 + (uint64_t)(secs * 1e9);
	st.progress = t0;
	if (!w->fill)	/* a smoke run (bounded ops) only looks briefly */
		idle_wait(max_ops == UINT64_MAX ? secs : 0.1);
	for (unsigned int q = 1; w->fill && q <= nq; q++) {
		for (unsigned int i = 0; i < depth && st.started < max_ops; i++) {
			st.started++;
			st.inflight++;
			start_op(b, w, &b->cs->q[q].slots[i], depth);
		}
		if (w->bg_fill) {
			st.inflight++;
			start_op(b, w, &b->cs->q[q].slots[depth], depth);
		}
	}
	while (st.inflight) {
		if (vc_wait_any_halt_poll(&b->cs->dev, poll_ns, 50) < 0)
			break;
		for (unsigned int q = 1; q <= nq; q++)
			reap_queue(b, w, &b->cs->q[q], &st);
		if (vc_now_ns() - st.progress >
		    (uint64_t)b->o->timeout_ms * 1000000u) {
			snprintf(b->err, sizeof(b->err),
				 "no reply for %d ms with %u requests in flight",
				 b->o->timeout_ms, st.inflight);
			break;
		}
	}
	res->secs = (double)(vc_now_ns() - t0) / 1e9;
	res->client_ns = client_cpu_ns() - cl0;
	cpu1 = vc_proc_cpu_ns(b->cs->dev.pid);
	vc_proc_stat(b->cs->dev.pid, &p1);
	res->cpu_ns = cpu1 - cpu0;
	/*
	 * Threads that ended during the run (a peer's idle pool threads) took
	 * their schedstat with them: then only the process's own count, in
	 * clock ticks, is right.
	 */
	if (cpu1 < cpu0 || cpu1 - cpu0 + vc_ticks_ns(2) <
				   vc_ticks_ns(p1.cpu_ticks - p0.cpu_ticks))
		res->cpu_ns = vc_ticks_ns(p1.cpu_ticks - p0.cpu_ticks);
	res->ops = st.ops;
	res->bg_ops = st.bg_ops;
	res->bytes = b->bytes;
	percentiles(&st, res);
	free(st.lat);
	if (!b->err[0] && st.inflight)
		snprintf(b->err, sizeof(b->err), "connection lost");
	if (!b->err[0] && w->after && w->after(b) && !b->err[0])
		snprintf(b->err, sizeof(b->err), "cleanup after the run failed");
	return b->err[0] ? -EIO : 0;
}
