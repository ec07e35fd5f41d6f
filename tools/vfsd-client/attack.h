/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hostile-traffic catalogue and the harness that judges each case. */
#ifndef VFSD_CLIENT_ATTACK_H
#define VFSD_CLIENT_ATTACK_H

#include "client.h"

/* What came back for the hostile request or message. */
enum attack_result {
	AR_OK, /* a success reply (or ack 0) */
	AR_ERR, /* an error reply (or a non-zero ack) */
	AR_DROP, /* the chain came back with nothing written */
	AR_NONE, /* nothing at all within the deadline */
	AR_CLOSED, /* the back end closed the socket */
	AR_BAD, /* a malformed reply, or the case saw a security failure */
	AR_COUNT,
};

/* Outcomes a case accepts (bits), beyond never crashing, hanging or leaking. */
#define A_OK (1u << AR_OK)
#define A_ERR (1u << AR_ERR)
#define A_DROP (1u << AR_DROP)
#define A_NONE (1u << AR_NONE)
#define A_CLOSED (1u << AR_CLOSED)
#define A_EXIT (1u << 8) /* the back end may exit (not by a signal) */
#define A_ALIVE (1u << 9) /* the request queue must still serve afterwards */

/* FUSE-level nonsense on a sound ring: an error reply, and keep serving. */
#define FUSE_BAD (A_ERR | A_ALIVE)
/* A broken ring: drop it, stop the queue or the device, or exit. */
#define RING_BAD (A_ERR | A_DROP | A_NONE | A_EXIT)
/* A bad vhost-user message: refuse it, or end the connection. */
#define SOCK_BAD (A_ERR | A_CLOSED | A_EXIT)

struct attack_ctx {
	struct client_session *cs;
	const struct client_opts *o;
	const char *outside; /* a host directory outside the share */
	uint64_t root_ino;
	int wait_ms; /* how long to wait for the hostile request */
	const uint8_t *reply; /* where a raw chain's answer lands, or NULL */
	bool skip; /* the case cannot be tried here (the note says why) */
	char note[320];
};

struct attack_case {
	const char *name;
	enum attack_result (*fn)(struct attack_ctx *a);
	unsigned int accept;
	struct session_cfg cfg;
	/*
	 * Mount options of a tmpfs made the share of this case alone (as
	 * root), or NULL for the shared directory.
	 */
	const char *tmpfs;
	/* Back end arguments after the others (vfsd's own), or NULL. */
	const char *const *args;
};

extern const struct attack_case attack_fuse_cases[];
extern const struct attack_case attack_bounds_cases[];
extern const struct attack_case attack_ring_cases[];
extern const struct attack_case attack_sock_cases[];
extern const struct attack_case attack_host_cases[];
extern const struct attack_case attack_names_cases[];
extern const struct attack_case attack_state_cases[];

/* Helpers for the cases. */
void attack_note(struct attack_ctx *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct fm_slot *attack_slot(struct attack_ctx *a);
enum attack_result attack_wait(struct attack_ctx *a, struct fm_slot *s);
enum attack_result attack_send(struct attack_ctx *a, struct fm_slot *s);
enum attack_result attack_chain(struct attack_ctx *a,
				const struct vring_desc *d, unsigned int n);
enum attack_result attack_msg(struct attack_ctx *a, uint32_t req,
			      const void *payload, uint32_t size,
			      const int *fds, int nfds);

#endif
