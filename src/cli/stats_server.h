/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The --stats-socket server: one thread answers each connection with one
 * rendering of the session's metrics. A client writes one line ("text",
 * "json" or "prometheus"), reads the answer, and the daemon closes.
 */
#ifndef VFSD_CLI_STATS_SERVER_H
#define VFSD_CLI_STATS_SERVER_H

#include "fuse/stats.h"

typedef void (*stats_gauges_fn)(void *arg, struct fuse_stats_gauges *g);

struct stats_server;

/**
 * Serve listen_fd (a listening unix socket, taken over) from a new thread,
 * started with signals blocked (util/thread.h) like every thread but the
 * one that serves. gauges fills the table sizes at each request. Returns
 * 0 with the server in *out, or -errno.
 */
int stats_server_start(struct stats_server **out, int listen_fd,
		       const struct fuse_stats *st, stats_gauges_fn gauges,
		       void *arg);

/** Stop and join the thread, close the socket. NULL is ok. */
void stats_server_stop(struct stats_server *srv);

#endif
