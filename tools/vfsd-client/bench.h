/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bench workloads and the closed-loop engine that runs them. */
#ifndef VFSD_CLIENT_BENCH_H
#define VFSD_CLIENT_BENCH_H

#include "client.h"

struct bench {
	struct client_session *cs;
	const struct client_opts *o;
	uint64_t dir_nid;
	uint64_t data_nid, data_ino, data_fh, data_size;
	uint64_t wfile_nid, wfile_fh, wsize;
	uint64_t big_nid;
	uint32_t io_max; /* bytes per READ/WRITE request */
	uint32_t nentries, nlookup_names;
	uint64_t rng, counter, seq_off, wseq_off, wseq_done;
	uint64_t *lookup_nid;
	uint32_t *lookup_cnt;
	uint8_t *wmap; /* 4 KiB blocks of the write file written this session */
	bool verify;
	uint64_t bytes;
	char err[160];
};

struct workload {
	const char *name;
	bool io; /* report MB/s */
	void (*fill)(struct bench *b, struct fm_slot *s);
	/* 1: operation complete, 0: fill the next step, -1: failure */
	int (*reply)(struct bench *b, struct fm_slot *s);
	int (*after)(struct bench *b);
	/*
	 * Background slots: one more slot per queue than the depth runs
	 * slot_fill/slot_reply beside the others; its operations are neither
	 * counted nor timed (mixed: the fsync stream).
	 */
	void (*bg_fill)(struct bench *b, struct fm_slot *s);
	int (*bg_reply)(struct bench *b, struct fm_slot *s);
};

struct run_result {
	uint64_t ops, bytes, p50_ns, p99_ns, p999_ns, bg_ops;
	uint64_t cpu_ns;	/* the back end's threads (schedstat) */
	uint64_t client_ns;	/* this process */
	double secs;
};

struct run_state {
	uint64_t *lat;
	size_t nlat, cap;
	uint64_t ops, bg_ops, started, max_ops, end, progress;
	unsigned int inflight, depth;
	bool stop;
};

extern const struct workload bench_workloads[];

int bench_run(struct bench *b, const struct workload *w, unsigned int nq,
	      unsigned int depth, double secs, uint64_t max_ops,
	      struct run_result *res);

/* Free what the workloads hung on the session's slots. */
void bench_free_slots(struct client_session *cs);
void bench_print_head(const struct client_opts *o);
void bench_print_row(const struct client_opts *o, const char *wl,
		     unsigned int nq, unsigned int depth,
		     const struct run_result *r, const char *status);

#endif
