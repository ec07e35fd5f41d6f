/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd: parse the command line, check it against the host, set process
 * limits, open the socket or FUSE mount, split off the sandboxed server,
 * open the shared directory, confine the server (namespaces, capabilities,
 * seccomp, each checked back), then serve one front end until it
 * disconnects. Every setup failure is one line on stderr and exit status 1;
 * a disconnect is a normal end (status 0), as libvirt expects.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/defaults_file.h"
#include "cli/file_handles.h"
#include "cli/options.h"
#include "cli/setup_check.h"
#include "cli/session_opts.h"
#include "cli/setup_config.h"
#include "cli/socket_lock.h"
#include "cli/stats_client.h"
#include "cli/stats_server.h"
#include "fs/passthrough.h"
#include "fs/pt_stats.h"
#include "fs/xattrmap.h"
#include "fuse/idmap.h"
#include "fuse/session.h"
#include "policy/caps.h"
#include "policy/creds.h"
#include "policy/limits.h"
#include "policy/mounts.h"
#include "policy/sandbox.h"
#include "policy/seccomp.h"
#include "policy/userns.h"
#include "transport/devfuse.h"
#include "transport/virtio_fs.h"
#include "util/log.h"


/* Started by an ordinary user (decided before any user namespace). */
static bool rootless;

/* Read by the signal handler: what to clean up on SIGTERM/SIGINT/SIGHUP. */
static const char *volatile socket_to_unlink;
static const char *volatile mount_to_detach;
static const char *volatile stats_to_unlink;

static void on_terminate(int sig)
{
	(void)sig;
	if (socket_to_unlink)
		unlink(socket_to_unlink);
	if (stats_to_unlink)
		unlink(stats_to_unlink);
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


/* What requests come from, opened on the host before any confinement. */
struct endpoint {
	int fd;			/* listening socket or /dev/fuse */
	unsigned int nspare;
	int spare[VFSD_MAX_DEVFUSE_THREADS];	/* /dev/fuse clones */
	/* FUSE over io_uring, made before confinement; NULL without. */
	struct devfuse_uring *uring;
	int stats_fd;		/* --stats-socket listener, or -1 */
	int lock_fd;		/* SOCKET.pid, locked; -1 without a path */
	/* The server must clean up on the host itself (no supervisor). */
	bool self_cleanup;
};

/* Bound before confinement, like the vhost-user socket. */
static void open_stats_socket(const struct vfsd_options *o,
			      struct endpoint *ep)
{
	ep->stats_fd = -1;
	if (!o->stats_socket)
		return;
	ep->stats_fd = virtio_fs_listen(o->stats_socket, NULL);
	if (ep->stats_fd < 0)
		fatal("cannot listen on '%s': %s", o->stats_socket,
		      strerror(-ep->stats_fd));
	stats_to_unlink = o->stats_socket;
}

/*
 * One daemon per socket path, decided before anything on the host is
 * touched or logged: a second one says one line and leaves. -1 without a
 * path (--fd: the socket is libvirt's, and so is the pid file).
 */
static int lock_socket(const struct vfsd_options *o)
{
	char err[512];
	int fd;

	if (!o->socket_path || o->fuse_mount)
		return -1;
	fd = socket_lock(o->socket_path, err, sizeof(err));
	if (fd < 0)
		fatal("%s", err);
	return fd;
}

static void open_endpoint(const struct vfsd_options *o, struct endpoint *ep,
			  int lock_fd)
{
	memset(ep, 0, sizeof(*ep));
	ep->lock_fd = lock_fd;
	open_stats_socket(o, ep);
	/* Unmounting needs CAP_SYS_ADMIN: a supervisor keeps it for that. */
	ep->self_cleanup = o->sandbox == VFSD_SANDBOX_NONE && !o->fuse_mount;
	if (!o->fuse_mount) {
		ep->fd = o->listen_fd;
		if (!o->socket_path)
			return;
		ep->fd = virtio_fs_listen(o->socket_path, o->socket_group);
		if (ep->fd < 0)
			fatal("cannot listen on '%s': %s", o->socket_path,
			      strerror(-ep->fd));
		socket_to_unlink = o->socket_path;
		return;
	}
	ep->fd = devfuse_mount(o->fuse_mount,
			       o->fsname ? o->fsname : o->shared_dir,
			       o->subtype ? o->subtype : "vfsd");
	if (ep->fd < 0)
		fatal("cannot mount on '%s': %s", o->fuse_mount,
		      strerror(-ep->fd));
	mount_to_detach = o->fuse_mount;
	/* Once confined there is no /dev/fuse to open for the workers. */
	for (; ep->nspare + 1 < devfuse_threads(o); ep->nspare++) {
		ep->spare[ep->nspare] = open("/dev/fuse", O_RDWR | O_CLOEXEC);
		if (ep->spare[ep->nspare] < 0)
			fatal("open /dev/fuse: %s", strerror(errno));
	}
}

/* The device state a migration carries: the FUSE session's (and fs's). */
static int state_save(void *ctx, struct wbuf *b)
{
	return fuse_session_state_save(ctx, b);
}

static int state_load(void *ctx, const void *buf, size_t len)
{
	return fuse_session_state_load(ctx, buf, len);
}

static int serve_vhost_user(const struct vfsd_options *o,
			    const struct endpoint *ep,
			    struct fuse_session *session)
{
	const struct vu_state_ops state = {
		.save = state_save,
		.load = state_load,
		.ctx = session,
	};
	struct virtio_fs_opts topts = {
		.thread_pool_size = vhost_pool_size(o),
		.may_block = o->thread_pool_size_set ? NULL :
			     fuse_session_may_block,
		.poll_max_ns = o->poll_max_us * 1000,
		.tag = o->tag,
		.state = &state,
	};
	int ret;

	log_info("serving '%s' on %s", o->shared_dir,
		 o->socket_path ? o->socket_path : "an inherited socket");
	ret = virtio_fs_serve(ep->fd, &topts, fuse_session_process, session);
	/*
	 * An inherited listening fd is libvirt's: leave it as we found it,
	 * like every other inherited fd (libvirt's pidfile lock among them).
	 * A confined server leaves the socket path to its supervisor: the
	 * same path inside the share would be a guest's file.
	 */
	if (o->socket_path) {
		socket_to_unlink = NULL;
		if (ep->self_cleanup && unlink(o->socket_path) &&
		    errno != ENOENT)
			log_warn("unlink %s: %s", o->socket_path,
				 strerror(errno));
		close(ep->fd);
	}
	if (ret < 0) {
		log_err("vhost-user session failed: %s", strerror(-ret));
		return 1;
	}
	if (ret == VIRTIO_FS_ABANDONED) {
		/*
		 * Threads stuck in the kernel still hold the session and the
		 * filesystem: end without freeing them; the kernel ends the
		 * threads (and the supervisor clears up on the host).
		 */
		log_warn("front end disconnected with requests stuck in the "
			 "kernel; exiting without them");
		sandbox_abandon();
		_exit(0);
	}
	log_info("front end disconnected, exiting");
	return 0;
}

static int serve_devfuse(const struct vfsd_options *o,
			 const struct endpoint *ep,
			 struct fuse_session *session, size_t max_write)
{
	struct devfuse_opts dopts = {
		.threads = ep->nspare + 1,
		.max_write = max_write,
		.spare_fds = ep->spare,
		.uring = ep->uring,
		.poll_max_ns = o->poll_max_us * 1000,
	};
	int ret;

	log_info("serving '%s' on %s", o->shared_dir, o->fuse_mount);
	ret = devfuse_serve(ep->fd, &dopts, fuse_session_process, session);
	/* The kernel ended the connection (unmount or abort): clear it up. */
	if (ep->self_cleanup)
		devfuse_unmount(o->fuse_mount);
	mount_to_detach = NULL;
	close(ep->fd);
	if (ret < 0) {
		log_err("/dev/fuse session failed: %s", strerror(-ret));
		return 1;
	}
	if (ret == DEVFUSE_ABANDONED) {
		/* As for a vhost-user front end that left (serve_vhost()). */
		log_warn("mount ended with requests stuck in the kernel; "
			 "exiting without them");
		sandbox_abandon();
		_exit(0);
	}
	return 0;
}

/* What to do about an EPERM, appended to the error line. */
static const char *sandbox_hint(int ret)
{
	if (ret != -EPERM)
		return "";
	if (!rootless)
		return " (no CAP_SYS_ADMIN here, as in a container: try "
		       "--sandbox=chroot, or --sandbox=none)";
	return " (vfsd runs without root: --sandbox=namespace and chroot need "
	       "user namespaces, --sandbox=none needs nothing; or start it "
	       "as root)";
}

/*
 * Split off the server (namespace and chroot mode; and none mode with a
 * FUSE mount). The supervisor keeps the host-side cleanup; the server must
 * never touch those paths again.
 */
static void split_off_server(const struct vfsd_options *o,
			     const struct endpoint *ep)
{
	struct sandbox_cleanup c = {
		.socket_path = socket_to_unlink,
		.stats_socket = stats_to_unlink,
		.fuse_mount = mount_to_detach,
		.unmount = devfuse_unmount,
		.fds = { ep->fd, ep->stats_fd },
	};
	int ret;

	char err[512];

	/* An inherited socket is libvirt's, the supervisor leaves it open. */
	if (!o->fuse_mount && !o->socket_path)
		c.fds[0] = -1;
	/*
	 * Without root the namespaces (and chroot) need a user namespace
	 * first; supervisor and server both live in it.
	 */
	if (rootless && o->sandbox != VFSD_SANDBOX_NONE &&
	    userns_enter(&o->uid_ns_map, &o->gid_ns_map, err, sizeof(err)))
		fatal("%s", err);
	ret = sandbox_fork((enum sandbox_mode)o->sandbox, &c);
	if (ret)
		fatal("cannot start the sandboxed server: %s%s", strerror(-ret),
		      sandbox_hint(ret));
	if (!ep->self_cleanup) {
		socket_to_unlink = NULL;
		mount_to_detach = NULL;
		stats_to_unlink = NULL;
		/* The supervisor keeps the socket's lock; the server has no use. */
		if (ep->lock_fd >= 0)
			close(ep->lock_fd);
	}
}

static const char *const sandbox_names[] = {
	[VFSD_SANDBOX_NONE] = "none",
	[VFSD_SANDBOX_NAMESPACE] = "namespace",
	[VFSD_SANDBOX_CHROOT] = "chroot",
};

/* Read the result back from /proc: refuse to serve if it is not so. */
static void verify_confinement(const struct vfsd_options *o,
			       caps_set_t caps)
{
	static char status[8192];
	char err[256];
	int ret;

	ret = sandbox_read_status(status, sizeof(status));
	if (ret)
		fatal("self-check: cannot read /proc/self/status: %s",
		      strerror(-ret));
	if (sandbox_verify((enum sandbox_mode)o->sandbox, err, sizeof(err)) ||
	    caps_verify(status, caps, err, sizeof(err)) ||
	    seccomp_verify(status, (enum seccomp_mode)o->seccomp, err,
			   sizeof(err)))
		fatal("self-check failed: %s", err);
	sandbox_finish();
	log_info("sandbox %s, seccomp %s (%u system calls), capabilities %016llx",
		 sandbox_names[o->sandbox],
		 o->seccomp == VFSD_SECCOMP_NONE ? "off" : "on",
		 seccomp_allowlist_size(), (unsigned long long)caps);
}

/* Whether the guest's root runs as the daemon's own ids (creds.h). */
static bool guest_root_is_daemon(const struct vfsd_options *o)
{
	uint32_t host;

	return !idmap_to_host(&o->uid_map, 0, &host) && host == 0;
}

/*
 * The privilege drop, in the one order that works: each step needs what
 * the next one takes away (pivot_root needs CAP_SYS_ADMIN, the bounding
 * set needs CAP_SETPCAP, and the filter forbids all of them).
 */
static void confine(const struct vfsd_options *o, const struct endpoint *ep,
		    caps_set_t caps)
{
	int ret;

	bool groups_dropped = true;

	ret = sandbox_enter((enum sandbox_mode)o->sandbox, o->shared_dir);
	if (ret)
		fatal("cannot enter the %s sandbox: %s%s",
		      sandbox_names[o->sandbox], strerror(-ret),
		      sandbox_hint(ret));
	ret = sandbox_drop_groups();
	/*
	 * Without root (or in a user namespace that maps only the caller's
	 * gid) they are the user's own: they grant the guest nothing the
	 * user does not have, and the kernel keeps them.
	 */
	if (ret == -EPERM && rootless)
		groups_dropped = false;
	else if (ret)
		fatal("cannot drop supplementary groups: %s", strerror(-ret));
	creds_configure((uint32_t)geteuid(), (uint32_t)getegid(),
			groups_dropped);
	/* An unconfined user process has none to drop. */
	ret = caps ? caps_apply(caps) : 0;
	if (ret)
		fatal("cannot drop capabilities: %s", strerror(-ret));
	/*
	 * What a guest user's request borrows stands for what the guest's
	 * root may do anyway: nothing where --translate-uid makes the
	 * guest's root someone else on the host (docs/SECURITY.md).
	 */
	creds_configure_caps(guest_root_is_daemon(o) ? caps_borrowable(caps) :
						       0,
			     caps_held_back(caps));
	ret = seccomp_apply((enum seccomp_mode)o->seccomp,
			    (ep->self_cleanup ? SECCOMP_ALLOW_HOST_CLEANUP : 0) |
				    (o->use_syslog ? SECCOMP_ALLOW_SYSLOG : 0));
	if (ret)
		fatal("cannot install the seccomp filter: %s", strerror(-ret));
	verify_confinement(o, caps);
}

/*
 * Test hook, only in the tests' vfsd-test-hooks (meson option test_hooks;
 * the installed vfsd has no such switch): with VFSD_TEST_SECCOMP_VIOLATION
 * in the environment the confined server makes one system call that is
 * not on the allowlist, so that tests can see it kill (or be logged).
 */
static void seccomp_self_test(void)
{
#ifdef VFSD_TEST_HOOKS
	long r;

	if (!getenv("VFSD_TEST_SECCOMP_VIOLATION"))
		return;
	log_warn("test: calling personality(2), which is not allowed");
	r = syscall(SYS_personality, 0xffffffffUL);
	log_warn("test: personality(2) returned %ld, the process lives on", r);
#endif
}

static void stats_gauges(void *fs, struct fuse_stats_gauges *g)
{
	struct pt_sizes z;

	pt_sizes(fs, &z);
	g->inodes = z.inodes;
	g->handles = z.handles;
	g->open_fds = z.open_fds;
	g->inode_fds = z.inode_fds;
	g->inode_fd_budget = z.inode_fd_budget;
	g->inode_evictions = z.inode_evictions;
	g->inode_reopens = z.inode_reopens;
	g->inode_stale = z.inode_stale;
	g->inode_mode = z.inode_mode;
}

/* Runs confined, like the request threads: started after confine(). */
static struct stats_server *start_stats(const struct endpoint *ep,
					const struct fuse_session *session,
					struct pt_fs *fs)
{
	struct stats_server *srv;
	int ret;

	if (ep->stats_fd < 0)
		return NULL;
	ret = stats_server_start(&srv, ep->stats_fd,
				 fuse_session_stats(session), stats_gauges, fs);
	if (ret)
		fatal("cannot start the stats thread: %s", strerror(-ret));
	return srv;
}

static void stop_stats(const struct vfsd_options *o, const struct endpoint *ep,
		       struct stats_server *srv)
{
	if (!srv)
		return;
	stats_server_stop(srv);
	stats_to_unlink = NULL;
	if (ep->self_cleanup && unlink(o->stats_socket) && errno != ENOENT)
		log_warn("unlink %s: %s", o->stats_socket, strerror(errno));
}

/*
 * Without root, the server's user namespace owns no mount namespace yet,
 * and a detached copy of the share's mount (open_share) needs one: it gets
 * its own before the copy (namespace and chroot mode). Being a less
 * privileged copy, it sends the host no mount events (the kernel makes its
 * shared mounts slaves).
 */
static void private_mounts(const struct vfsd_options *o)
{
	if (!rootless || o->sandbox == VFSD_SANDBOX_NONE)
		return;
	if (unshare(CLONE_NEWNS))
		fatal("cannot create a mount namespace: %s", strerror(errno));
}

/*
 * The filesystem works from a detached copy of the share's mount where it
 * can (policy/mounts.h): then the kernel, not only src/fs, keeps ".." in
 * the share, in every sandbox mode.
 */
static int open_share(struct pt_fs **fs, const struct pt_opts *popts)
{
	bool detached;
	int fd, ret;

	ret = mounts_open_share(popts->shared_dir, &fd, &detached);
	if (ret)
		return ret;
	if (detached)
		log_debug("serving from a detached copy of the mount of '%s'",
			  popts->shared_dir);
	else
		log_warn("cannot copy the mount of '%s' (no CAP_SYS_ADMIN?): "
			 "only the filesystem's own checks keep \"..\" inside it",
			 popts->shared_dir);
	return pt_new_at(fs, popts, fd);
}

/*
 * May a migration's file handles be opened here (fs/migrate.h)? Only if
 * no handle of the share's filesystems names a file outside it. Read
 * from the host's mount table, before any namespace.
 */
static bool share_is_whole(const struct vfsd_options *o)
{
	bool whole = false;

	if (mounts_share_is_whole(o->shared_dir, &whole))
		return false;
	return whole;
}

/* Why inodes are kept as they are: the end of pt_new()'s startup line. */
static char inode_why[160];

static int serve(const struct vfsd_options *o, caps_set_t caps, int lock_fd)
{
	struct pt_opts popts = {
		.shared_dir = o->shared_dir,
		.nodev = o->nodev,
		.nosuid = o->nosuid,
		.readonly = o->readonly,
		.min_free_inodes = o->min_free_inodes,
		.min_free_space = o->min_free_space,
		.inode_file_handles = o->inode_file_handles,
		.inode_fd_budget = o->inode_fd_budget,
		.max_open_handles = o->max_open_handles,
		.inode_why = inode_why,
		.migrate = {
			.mode = o->migration_mode,
			.on_error = o->migration_on_error,
			.verify_handles = o->migration_verify_handles,
			.confirm_paths = o->migration_confirm_paths,
		},
	};
	struct fuse_session_opts sopts;
	struct fuse_session *session;
	struct stats_server *stats;
	struct xattrmap *xmap = NULL;
	struct endpoint ep;
	struct pt_fs *fs;
	char why[160];
	int ret;

	/* Checked at parse time already; this is the copy that serves. */
	if (o->xattrmap && xattrmap_parse(o->xattrmap, strlen(o->xattrmap),
					  &xmap, why, sizeof(why)))
		fatal("invalid xattr map: %s", why);
	popts.xattrmap = xmap;
	popts.migrate.handles_inside = share_is_whole(o);
	open_endpoint(o, &ep, lock_fd);
	split_off_server(o, &ep);
	/*
	 * The server's own rings (the supervisor must not hold the device
	 * through them), made while io_uring_setup() is still allowed.
	 */
	if (o->fuse_mount) {
		/* Where it fails ep.uring stays NULL: /dev/fuse alone serves. */
		(void)devfuse_uring_prepare(&ep.uring, ep.fd, VFSD_MAX_WRITE);
	}
	/* In the server: /proc/self is now this process. */
	private_mounts(o);
	ret = open_share(&fs, &popts);
	if (ret)
		fatal("cannot open shared directory '%s': %s", o->shared_dir,
		      strerror(-ret));
	session_opts_from(o, &sopts);
	sopts.io_uring = ep.uring != NULL;
	fuse_passthrough_opts(o, rootless, caps, ep.fd, &sopts);
	ret = fuse_session_new(&session, &pt_ops, fs, &sopts);
	if (ret)
		fatal("cannot create FUSE session: %s", strerror(-ret));
	/* Handles asked for but not opened (none here): no capability. */
	if (!pt_opens_by_handle(fs))
		caps &= ~((caps_set_t)1 << CAP_DAC_READ_SEARCH);
	confine(o, &ep, caps);
	seccomp_self_test();
	stats = start_stats(&ep, session, fs);

	if (o->fuse_mount)
		ret = serve_devfuse(o, &ep, session, sopts.max_write);
	else
		ret = serve_vhost_user(o, &ep, session);
	stop_stats(o, &ep, stats);
	fuse_session_free(session);
	pt_free(fs);
	xattrmap_free(xmap);
	return ret;
}


/* The capabilities the server keeps; 0 with a reason in err on error. */
static int server_caps(struct vfsd_options *o, caps_set_t *caps, char *err,
		       size_t errlen)
{
	*caps = caps_default();
	/* open_by_handle_at() wants it; see docs/SECURITY.md. */
	if (o->inode_file_handles != INODE_FH_NEVER && !rootless)
		*caps |= (caps_set_t)1 << CAP_DAC_READ_SEARCH;
	if (o->modcaps && caps_parse_mod(o->modcaps, caps, err, errlen))
		return -1;
	/* A user's daemon without namespaces has none to keep or drop. */
	if (rootless && o->sandbox == VFSD_SANDBOX_NONE)
		*caps = 0;
	return 0;
}

/*
 * argv, with the defaults file read first when vfsd is to serve (not for
 * --help or --print-capabilities: libvirt must learn what vfsd offers
 * whatever an administrator wrote there). 0, or 1 after printing why.
 */
static int parse_command_line(struct vfsd_options *o, int argc, char *argv[])
{
	struct defaults d;
	const char *path = defaults_file_path();
	char err[512], **all = NULL;
	int n, ret;

	if (options_parse(o, argc, argv, err, sizeof(err)))
		goto fail;
	if (o->action != VFSD_SERVE)
		return 0;
	if (defaults_load(path, &d, err, sizeof(err)))
		goto fail;
	options_free(o);
	if (d.argc > 1 && options_parse(o, d.argc, d.argv, err, sizeof(err))) {
		fprintf(stderr, "vfsd: %s: %s\n", path, err);
		defaults_free(&d);
		return 1;
	}
	options_free(o);
	n = defaults_merge(&d, argc, argv, &all);
	ret = n < 0 ? -1 : options_parse(o, n, all, err, sizeof(err));
	if (n < 0)
		snprintf(err, sizeof(err), "out of memory");
	else if (!ret && d.argc > 1)
		o->defaults_used = true;
	free(all);
	defaults_free(&d);
	if (!ret)
		return 0;
fail:
	fprintf(stderr, "vfsd: %s\n", err);
	return 1;
}

int main(int argc, char *argv[])
{
	struct vfsd_options o;
	caps_set_t caps;
	char err[512];
	int ret, lock_fd;

	if (argc > 1 && !strcmp(argv[1], "check"))
		return setup_check_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "config"))
		return setup_config_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "stats"))
		return stats_client_main(argc - 1, argv + 1);
	if (argc == 1) {
		usage_print_short("vfsd");
		return 1;
	}
	rootless = geteuid() != 0;
	if (parse_command_line(&o, argc, argv)) {
		options_free(&o);
		return 1;
	}
	switch (o.action) {
	case VFSD_HELP:
		usage_print_help("vfsd");
		options_free(&o);
		return 0;
	case VFSD_VERSION:
		usage_print_version();
		options_free(&o);
		return 0;
	case VFSD_PRINT_CAPABILITIES:
		usage_print_capabilities();
		options_free(&o);
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
	lock_fd = lock_socket(&o);
	if (o.defaults_used)
		log_info("options from %s read before the command line",
			 defaults_file_path());
	file_handles_default(&o, rootless, inode_why, sizeof(inode_why));
	if (server_caps(&o, &caps, err, sizeof(err))) {
		fprintf(stderr, "vfsd: %s\n", err);
		options_free(&o);
		return 1;
	}
	if (file_handles_without_cap(&o, rootless, caps, inode_why,
				     sizeof(inode_why))) {
		options_free(&o);
		return 1;
	}
	setup_signals();
	/* Modes from the guest are already masked by the guest kernel. */
	umask(0);
	ret = limits_set_nofile(o.rlimit_nofile_set, o.rlimit_nofile);
	if (ret)
		fatal("cannot set RLIMIT_NOFILE to %llu: %s%s",
		      (unsigned long long)o.rlimit_nofile, strerror(-ret),
		      ret == -EPERM ? " (above the hard limit: that takes "
				      "CAP_SYS_RESOURCE; see ulimit -Hn)" : "");

	ret = serve(&o, caps, lock_fd);
	options_free(&o);
	return ret;
}
