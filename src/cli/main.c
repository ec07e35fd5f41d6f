/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd: parse the command line, check it against the host, set process
 * limits, open the shared directory, then serve one front end until it
 * disconnects. Every setup failure is one line on stderr and exit status 1;
 * a disconnect is a normal end (status 0), as libvirt expects.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/options.h"
#include "fs/passthrough.h"
#include "fuse/session.h"
#include "policy/limits.h"
#include "transport/virtio_fs.h"
#include "util/log.h"

/* Read by the signal handler: the socket file we created, if any. */
static const char *volatile socket_to_unlink;

static void on_terminate(int sig)
{
	(void)sig;
	if (socket_to_unlink)
		unlink(socket_to_unlink);
	_exit(0);
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };

	/* A front end that vanishes mid-write must not kill us. */
	if (sigaction(SIGPIPE, &sa, NULL))
		fatal("sigaction(SIGPIPE): %s", strerror(errno));
	sa.sa_handler = on_terminate;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		fatal("sigaction: %s", strerror(errno));
}

static void session_opts_from(const struct vfsd_options *o,
			      struct fuse_session_opts *s)
{
	memset(s, 0, sizeof(*s));
	s->cache = o->cache;
	s->writeback = o->writeback;
	s->readdirplus = o->readdirplus;
	s->allow_direct_io = o->allow_direct_io;
	s->max_write = 1u << 20;
	s->max_readahead = 1u << 20;
}

static int serve(const struct vfsd_options *o)
{
	struct virtio_fs_opts topts = { .thread_pool_size = o->thread_pool_size };
	struct pt_opts popts = { .shared_dir = o->shared_dir };
	struct fuse_session_opts sopts;
	struct fuse_session *session;
	struct pt_fs *fs;
	int listen_fd = o->listen_fd;
	int ret, err = 0;

	fs = pt_new(&popts, &err);
	if (!fs)
		fatal("cannot open shared directory '%s': %s", o->shared_dir,
		      strerror(err));
	session_opts_from(o, &sopts);
	session = fuse_session_new(&pt_ops, fs, &sopts);
	if (!session)
		fatal("cannot create FUSE session: %s", strerror(errno));

	if (o->socket_path) {
		listen_fd = virtio_fs_listen(o->socket_path, o->socket_group);
		if (listen_fd < 0)
			fatal("cannot listen on '%s': %s", o->socket_path,
			      strerror(-listen_fd));
		socket_to_unlink = o->socket_path;
	}
	log_info("serving '%s' on %s", o->shared_dir,
		 o->socket_path ? o->socket_path : "an inherited socket");

	ret = virtio_fs_serve(listen_fd, &topts, fuse_session_process,
			      session);
	if (o->socket_path) {
		socket_to_unlink = NULL;
		if (unlink(o->socket_path) && errno != ENOENT)
			log_warn("unlink %s: %s", o->socket_path,
				 strerror(errno));
	}
	/*
	 * The inherited listening fd is libvirt's; leave it open as we found
	 * it. Other inherited fds (the pidfile lock) are never touched.
	 */
	if (o->socket_path)
		close(listen_fd);
	fuse_session_free(session);
	pt_free(fs);
	if (ret < 0) {
		log_err("vhost-user session failed: %s", strerror(-ret));
		return 1;
	}
	log_info("front end disconnected, exiting");
	return 0;
}

int main(int argc, char *argv[])
{
	struct vfsd_options o;
	char err[512];
	int ret;

	if (options_parse(&o, argc, argv, err, sizeof(err))) {
		fprintf(stderr, "vfsd: %s\n", err);
		options_free(&o);
		return 1;
	}
	switch (o.action) {
	case VFSD_HELP:
		usage_print_help("vfsd");
		return 0;
	case VFSD_VERSION:
		usage_print_version();
		return 0;
	case VFSD_PRINT_CAPABILITIES:
		usage_print_capabilities();
		return 0;
	case VFSD_SERVE:
		break;
	}
	if (options_check(&o, err, sizeof(err))) {
		fprintf(stderr, "vfsd: %s\n", err);
		options_free(&o);
		return 1;
	}
	log_setup((enum log_level)o.log_level, o.use_syslog);
	setup_signals();
	/* Modes from the guest are already masked by the guest kernel. */
	umask(0);
	ret = limits_raise_nofile(o.rlimit_nofile);
	if (ret)
		fatal("cannot set RLIMIT_NOFILE to %llu: %s",
		      (unsigned long long)o.rlimit_nofile, strerror(-ret));

	ret = serve(&o);
	options_free(&o);
	return ret;
}
