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
#include "cli/setup_check.h"
#include "cli/setup_config.h"
#include "fs/passthrough.h"
#include "fuse/session.h"
#include "policy/limits.h"
#include "transport/devfuse.h"
#include "transport/virtio_fs.h"
#include "util/log.h"

/* Read by the signal handler: what to clean up on SIGTERM/SIGINT/SIGHUP. */
static const char *volatile socket_to_unlink;
static const char *volatile mount_to_detach;

static void on_terminate(int sig)
{
	(void)sig;
	if (socket_to_unlink)
		unlink(socket_to_unlink);
	/*
	 * Detach, then exit: closing the device fd ends the connection, so
	 * nothing stays mounted whatever the guest-side users still hold.
	 */
	if (mount_to_detach)
		devfuse_unmount(mount_to_detach);
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

static int serve_vhost_user(const struct vfsd_options *o,
			    struct fuse_session *session)
{
	struct virtio_fs_opts topts = { .thread_pool_size = o->thread_pool_size };
	int listen_fd = o->listen_fd;
	int ret;

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
	/*
	 * An inherited listening fd is libvirt's: leave it as we found it,
	 * like every other inherited fd (libvirt's pidfile lock among them).
	 */
	if (o->socket_path) {
		socket_to_unlink = NULL;
		if (unlink(o->socket_path) && errno != ENOENT)
			log_warn("unlink %s: %s", o->socket_path,
				 strerror(errno));
		close(listen_fd);
	}
	if (ret < 0) {
		log_err("vhost-user session failed: %s", strerror(-ret));
		return 1;
	}
	log_info("front end disconnected, exiting");
	return 0;
}

static int serve_devfuse(const struct vfsd_options *o,
			 struct fuse_session *session, size_t max_write)
{
	struct devfuse_opts dopts = {
		.threads = o->thread_pool_size ? o->thread_pool_size : 4,
		.max_write = max_write,
	};
	int fd, ret;

	fd = devfuse_mount(o->fuse_mount, o->shared_dir);
	if (fd < 0)
		fatal("cannot mount on '%s': %s", o->fuse_mount,
		      strerror(-fd));
	mount_to_detach = o->fuse_mount;
	log_info("serving '%s' on %s", o->shared_dir, o->fuse_mount);
	ret = devfuse_serve(fd, &dopts, fuse_session_process, session);
	/* The kernel ended the connection (unmount or abort): clear it up. */
	devfuse_unmount(o->fuse_mount);
	mount_to_detach = NULL;
	close(fd);
	if (ret < 0) {
		log_err("/dev/fuse session failed: %s", strerror(-ret));
		return 1;
	}
	return 0;
}

static int serve(const struct vfsd_options *o)
{
	struct pt_opts popts = { .shared_dir = o->shared_dir };
	struct fuse_session_opts sopts;
	struct fuse_session *session;
	struct pt_fs *fs;
	int err = 0, ret;

	fs = pt_new(&popts, &err);
	if (!fs)
		fatal("cannot open shared directory '%s': %s", o->shared_dir,
		      strerror(err));
	session_opts_from(o, &sopts);
	session = fuse_session_new(&pt_ops, fs, &sopts);
	if (!session)
		fatal("cannot create FUSE session: %s", strerror(errno));

	if (o->fuse_mount)
		ret = serve_devfuse(o, session, sopts.max_write);
	else
		ret = serve_vhost_user(o, session);
	fuse_session_free(session);
	pt_free(fs);
	return ret;
}

int main(int argc, char *argv[])
{
	struct vfsd_options o;
	char err[512];
	int ret;

	if (argc > 1 && !strcmp(argv[1], "check"))
		return setup_check_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "config"))
		return setup_config_main(argc - 1, argv + 1);
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
