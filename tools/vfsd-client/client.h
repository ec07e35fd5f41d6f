/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the three modes share: options, starting (or reaching) a back end,
 * bringing a session up to FUSE_INIT, and TAP-style result lines.
 */
#ifndef VFSD_CLIENT_CLIENT_H
#define VFSD_CLIENT_CLIENT_H

#include "fusemsg.h"

struct client_opts {
	char **backend_argv; /* after "--"; "{socket}" and "{dir}" substituted */
	const char *socket_path; /* an already running back end */
	char *shared_dir;
	bool own_dir; /* created by us, removed at exit */
	unsigned int depth;
	unsigned int queues; /* request queues; 0 = bench both 1 and 2 */
	unsigned int depth_set; /* --depth given: bench only that depth */
	double duration; /* seconds per bench run */
	unsigned int halt_poll_us; /* bench: poll the used rings before sleeping */
	unsigned int entries; /* READDIRPLUS directory size */
	const char *workloads; /* comma list or NULL for all */
	const char *only; /* case filter (substring) for check/attack */
	bool smoke;
	bool csv;
	bool list;
	bool require_reuse; /* attack: an inode number must be seen reused */
	int timeout_ms; /* how long a reply may take before "hang" */
	const char *tag; /* check: the --tag the back end was given */
};

struct client_session {
	struct vc_dev dev;
	struct fm_queue q[VC_MAX_QUEUES]; /* q[0] hiprio, q[1..] requests */
	unsigned int nreq;
	struct fuse_init_out init;
	char sock_path[108];
	char log_path[108]; /* with session_cfg.keep_log; removed at the end */
};

/* Session parameters beyond the options. */
struct session_cfg {
	unsigned int nreq; /* request queues */
	unsigned int slots; /* per queue */
	size_t in_cap, out_cap;
	bool no_init; /* stop before FUSE_INIT */
	bool no_start; /* stop after connecting (raw socket tests) */
	bool event_idx;
	bool keep_log; /* the back end's stderr in client_session.log_path */
	struct vc_mem_layout layout;
};

int session_open(struct client_session *cs, const struct client_opts *o,
		 const struct session_cfg *cfg);
/* Close the socket and give the back end timeout_ms to exit by itself. */
int session_close(struct client_session *cs, int timeout_ms);
void session_free(struct client_session *cs);
bool session_can_spawn(const struct client_opts *o);
/* Remove a spawned back end's socket and the lock file beside it. */
void session_unlink_socket(const char *sock_path);
/*
 * Start a back end from the options' argv (and extra, if not NULL, as one
 * more argument) on a new socket path written to sock_path, and connect.
 */
int session_spawn_dev(struct vc_dev *dev, char *sock_path, size_t path_len,
		      const struct client_opts *o, const char *extra);

void client_remove_tree(const char *dir);
/* Remove everything below dir, which stays (it may be a mount point). */
void client_empty_tree(const char *dir);

/* Describe a waitpid() status: "exit 0", "signal 11 (SIGSEGV)". */
const char *status_str(int status, char *buf, size_t len);

int bench_main(struct client_opts *o);
int limit_main(struct client_opts *o);
int check_main(struct client_opts *o);

/* A check case's verdict, with its reason written to msg. */
enum { PASS = 0, FAIL = 1, SKIP = 77 };

/* Write the reason to msg and return verdict. */
int say(char *msg, size_t len, int verdict, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A catalogue of cases run one after the other, with TAP output. */
struct tap_suite {
	const char *what;	/* the mode, for messages */
	/* Case k's name, or NULL past the last one. */
	const char *(*name)(unsigned int k);
	/* Run only when named with --case. */
	bool (*named_only)(unsigned int k);
	int (*run)(unsigned int k, const struct client_opts *o, char *msg,
		   size_t len);
};

/* --list, or every selected case; exit status 1 if one failed. */
int tap_main(const struct tap_suite *t, struct client_opts *o);
/* The check case security_ctx (check_secctx.c). */
int check_secctx(struct client_session *cs, const struct client_opts *o,
		 char *msg, size_t len);
/* The cases of check_hostile.c, run only when named with --case. */
int check_setlkw_reinit(struct client_session *cs, const struct client_opts *o,
			char *msg, size_t len);
int check_setlkw_destroy(struct client_session *cs,
			 const struct client_opts *o, char *msg, size_t len);
int check_blocked_disconnect(struct client_session *cs,
			     const struct client_opts *o, char *msg,
			     size_t len);
/* Before the back end starts: a hung FUSE mount in the share; after: gone. */
int check_stuck_prepare(const struct client_opts *o, char *msg, size_t len);
void check_stuck_finish(void);
int check_stuck_disconnect(struct client_session *cs,
			   const struct client_opts *o, char *msg, size_t len);
int check_memfd_truncate_payload(struct client_session *cs,
				 const struct client_opts *o, char *msg,
				 size_t len);
int check_memfd_truncate_ring(struct client_session *cs,
			      const struct client_opts *o, char *msg,
			      size_t len);
int attack_main(struct client_opts *o);
int migrate_main(struct client_opts *o);
int probe_main(struct client_opts *o);

#endif
