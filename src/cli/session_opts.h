/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FUSE session's settings, from the options (cli/options.h).
 */
#ifndef VFSD_CLI_SESSION_OPTS_H
#define VFSD_CLI_SESSION_OPTS_H

#include <stdbool.h>

#include "cli/options.h"
#include "fuse/session.h"
#include "policy/caps.h"

/* Upper bound of --fuse-mount workers (their fds are opened up front). */
#define VFSD_MAX_DEVFUSE_THREADS 64
/* Largest READ or WRITE the session offers. */
#define VFSD_MAX_WRITE (1u << 20)

/** --fuse-mount workers: --thread-pool-size, 4 by default, at most 64. */
unsigned int devfuse_threads(const struct vfsd_options *o);
/** Workers of the vhost-user pool (0: the queue threads serve all). */
unsigned int vhost_pool_size(const struct vfsd_options *o);
/** All of *s from o, but FUSE passthrough and io_uring. */
void session_opts_from(const struct vfsd_options *o,
		       struct fuse_session_opts *s);
/**
 * FUSE passthrough in *s where the options, the user (rootless) and the
 * server's capabilities caps allow it, on the /dev/fuse fd devfd.
 */
void fuse_passthrough_opts(const struct vfsd_options *o, bool rootless,
			   caps_set_t caps, int devfd,
			   struct fuse_session_opts *s);

#endif
