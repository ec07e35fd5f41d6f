/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Namespaces, pivot_root and chroot for the serving process, and the
 * supervisor that stays on the host to clean up after it.
 */
#include "policy/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/compiler.h"
#include "util/log.h"

static const char *const ns_names[] = { "mnt", "pid", "net", "ipc", "uts" };

/* The supervisor's namespaces, recorded before the split. */
static ino_t host_ns[ARRAY_SIZE(ns_names)];
static bool host_ns_known;

/* What "/" must be once confined: the shared directory. */
static dev_t share_dev;
static ino_t share_ino;

/*
 * /proc as it was before confinement. The server keeps it only until the
 * self-checks are done, so that they can read /proc/self after pivot_root.
 */
static int proc_fd = -1;

/* Set by sandbox_enter(): LeakSanitizer must know (below). */
static bool confined;

/* The server, for the supervisor's signal forwarding. */
static volatile pid_t server_pid;

static int record_host_ns(void)
{
	char path[64];
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_names[i]);
		if (stat(path, &st))
			return -errno;
		host_ns[i] = st.st_ino;
	}
	host_ns_known = true;
	return 0;
}

static void forward_signal(int sig)
{
	int saved = errno;

	if (server_pid > 0)
		kill(server_pid, sig);
	errno = saved;
}

static void supervisor_signals(void)
{
	struct sigaction sa = { .sa_handler = forward_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		log_warn("supervisor: sigaction: %s", strerror(errno));
}

/* Die the way the server died, so the caller's wait() sees the same. */
static __noreturn void exit_like(int status)
{
	struct rlimit no_core = { 0, 0 };
	int sig;

	if (WIFEXITED(status))
		exit(WEXITSTATUS(status));
	sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
	/* The server's memory holds guest data: no core file of it here. */
	if (setrlimit(RLIMIT_CORE, &no_core))
		log_warn("supervisor: setrlimit(RLIMIT_CORE): %s",
			 strerror(errno));
	signal(sig, SIG_DFL);
	raise(sig);
	exit(128 + sig);
}

/*
 * Wait until the server exits, or says it gave up on threads stuck in the
 * kernel (sandbox_abandon()): such a process cannot end until the kernel
 * lets those threads go (a FUSE request its daemon already read and never
 * answers waits even through SIGKILL), and the launcher must not wait for
 * that. Returns the server's wait status; exit 0 when it gave up.
 */
static int supervise_wait(pid_t pid, int gave_up_fd)
{
	int pidfd = pidfd_open(pid, 0), status = 0;
	struct pollfd p[2] = {
		{ .fd = pidfd, .events = POLLIN },
		{ .fd = gave_up_fd, .events = POLLIN },
	};
	char c;

	/* Without a pidfd (or a pipe), wait as before: the first case only. */
	while (pidfd >= 0 && gave_up_fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("supervisor: poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents && read(gave_up_fd, &c, 1) == 1) {
			close(pidfd);
			return 0;
		}
		/* The server's end closed without a word: it is exiting. */
		p[1].fd = -1;
	}
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			log_err("supervisor: waitpid: %s", strerror(errno));
			return 1 << 8;
		}
	}
	return status;
}

static __noreturn void supervise(pid_t pid, const struct sandbox_cleanup *c,
				 int gave_up_fd)
{
	int status;

	server_pid = pid;
	supervisor_signals();
	for (unsigned int i = 0; i < ARRAY_SIZE(c->fds); i++)
		if (c->fds[i] >= 0 && close(c->fds[i]))
			log_warn("supervisor: close: %s", strerror(errno));
	status = supervise_wait(pid, gave_up_fd);
	server_pid = 0;
	if (WIFSIGNALED(status))
		log_err("server process killed by signal %d (%s)",
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (c->socket_path && unlink(c->socket_path) && errno != ENOENT)
		log_warn("unlink %s: %s", c->socket_path, strerror(errno));
	if (c->stats_socket && unlink(c->stats_socket) && errno != ENOENT)
		log_warn("unlink %s: %s", c->stats_socket, strerror(errno));
	if (c->fuse_mount && c->unmount)
		c->unmount(c->fuse_mount);
	exit_like(status);
}

/*
 * The server must not outlive the supervisor: nothing would clean up after
 * it, and a pid namespace's init left running is a stray process.
 */
static int tie_to_supervisor(int alive_fd)
{
	struct pollfd p = { .fd = alive_fd, .events = POLLIN };
	int n;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		return -errno;
	/* It may have died before the prctl: its end of the pipe says so. */
	n = poll(&p, 1, 0);
	if (n < 0)
		return -errno;
	if (n > 0 && (p.revents & (POLLHUP | POLLERR)))
		return -ESRCH;
	return 0;
}

/* The server's end of the pipe sandbox_abandon() writes to, or -1. */
static int gave_up_wfd = -1;

void sandbox_abandon(void)
{
	static const char c = 'A';

	/* Nothing to tell without a supervisor; an error changes nothing. */
	if (gave_up_wfd >= 0 && write(gave_up_wfd, &c, 1) != 1)
		log_warn("telling the supervisor: %s", strerror(errno));
}

int sandbox_fork(enum sandbox_mode mode, const struct sandbox_cleanup *cleanup)
{
	int alive[2], gave_up[2], own_pidns = -1;
	pid_t pid;
	int ret;

	/*
	 * Unconfined, the server can clean up itself, except a FUSE mount:
	 * unmounting needs CAP_SYS_ADMIN, which it will not keep.
	 */
	if (mode == SANDBOX_NONE && !(cleanup && cleanup->fuse_mount))
		return 0;
	ret = record_host_ns();
	if (ret)
		return ret;
	if (pipe2(alive, O_CLOEXEC))
		return -errno;
	if (pipe2(gave_up, O_CLOEXEC)) {
		ret = -errno;
		close(alive[0]);
		close(alive[1]);
		return ret;
	}
	/* Only children enter a new pid namespace: the server is its init. */
	if (mode == SANDBOX_NAMESPACE) {
		own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (own_pidns < 0 || unshare(CLONE_NEWPID)) {
			ret = -errno;
			goto out;
		}
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	if (pid > 0) {
		/*
		 * Anything the supervisor starts later (a sanitizer's helper)
		 * belongs in the host's pid namespace, not the server's.
		 */
		/*
		 * EPERM: a rootless supervisor's user namespace does not own
		 * the host's pid namespace; its children stay in the new one.
		 */
		if (own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) &&
		    errno != EPERM)
			log_warn("supervisor: setns: %s", strerror(errno));
		if (own_pidns >= 0)
			close(own_pidns);
		close(alive[0]);
		close(gave_up[1]);
		supervise(pid, cleanup, gave_up[0]);
	}
	if (own_pidns >= 0)
		close(own_pidns);
	close(alive[1]);
	close(gave_up[0]);
	gave_up_wfd = gave_up[1];
	ret = tie_to_supervisor(alive[0]);
	close(alive[0]);
	return ret;
out:
	if (own_pidns >= 0)
		close(own_pidns);
	close(alive[0]);
	close(alive[1]);
	close(gave_up[0]);
	close(gave_up[1]);
	return ret;
}

static int enter_namespaces(const char *dir)
{
	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS))
		return -errno;
	/*
	 * Nothing done from here on may reach the host's mount table; slave
	 * still lets the host's unmounts reach us, so a copy of a mount kept
	 * here never pins a host file system (the FUSE mount among them).
	 */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		return -errno;
	/* pivot_root needs the new root to be a mount point. */
	if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL))
		return -errno;
	if (chdir(dir))
		return -errno;
	/* Stacks the old root on top of the new one, at "/". */
	if (syscall(SYS_pivot_root, ".", "."))
		return -errno;
	/*
	 * Detach the old root with everything below it: no path the server
	 * resolves can reach the host's tree any more.
	 */
	if (umount2(".", MNT_DETACH))
		return -errno;
	if (chdir("/"))
		return -errno;
	return 0;
}

static int enter_chroot(const char *dir)
{
	if (chdir(dir))
		return -errno;
	if (chroot("."))
		return -errno;
	if (chdir("/"))
		return -errno;
	return 0;
}

int sandbox_enter(enum sandbox_mode mode, const char *dir)
{
	struct stat st;

	proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0)
		return -errno;
	if (stat(dir, &st))
		return -errno;
	share_dev = st.st_dev;
	share_ino = st.st_ino;
	switch (mode) {
	case SANDBOX_NAMESPACE:
		confined = true;
		return enter_namespaces(dir);
	case SANDBOX_CHROOT:
		confined = true;
		return enter_chroot(dir);
	case SANDBOX_NONE:
		return 0;
	}
	return -EINVAL;
}

#if defined(__SANITIZE_ADDRESS__)
/*
 * LeakSanitizer's exit-time check reads /proc/<pid>/task by path, which a
 * confined server no longer has: it would die with a fatal error instead
 * of exiting with the server's status. Leak checks of the daemon run with
 * --sandbox=none.
 */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return confined;
}
#endif

int sandbox_drop_groups(void)
{
	if (setgroups(0, NULL))
		return -errno;
	return 0;
}

int sandbox_read_status(char *buf, unsigned int len)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	if (len == 0)
		return -EINVAL;
	fd = openat(proc_fd, "self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return 0;
}

static int verify_namespaces(char *err, unsigned int errlen)
{
	char path[64];
	struct stat st;

	if (!host_ns_known) {
		snprintf(err, errlen, "namespaces of the host were not recorded");
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++) {
		snprintf(path, sizeof(path), "self/ns/%s", ns_names[i]);
		if (fstatat(proc_fd, path, &st, 0)) {
			snprintf(err, errlen, "stat /proc/%s: %s", path,
				 strerror(errno));
			return -1;
		}
		if (st.st_ino == host_ns[i]) {
			snprintf(err, errlen, "still in the host's %s namespace",
				 ns_names[i]);
			return -1;
		}
	}
	if (getpid() != 1) {
		snprintf(err, errlen, "not init of the new pid namespace");
		return -1;
	}
	return 0;
}

int sandbox_verify(enum sandbox_mode mode, char *err, unsigned int errlen)
{
	struct stat st;

	if (mode == SANDBOX_NONE)
		return 0;
	if (mode == SANDBOX_NAMESPACE && verify_namespaces(err, errlen))
		return -1;
	if (stat("/", &st) || st.st_dev != share_dev ||
	    st.st_ino != share_ino) {
		snprintf(err, errlen, "\"/\" is not the shared directory");
		return -1;
	}
	/* ".." of the root must be the root itself. */
	if (stat("/..", &st) || st.st_dev != share_dev ||
	    st.st_ino != share_ino) {
		snprintf(err, errlen, "\"/..\" leads out of the shared directory");
		return -1;
	}
	return 0;
}

void sandbox_finish(void)
{
	if (proc_fd >= 0 && close(proc_fd))
		log_warn("close /proc: %s", strerror(errno));
	proc_fd = -1;
}
