/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The allowlist. Measured with `strace -f` over the /dev/fuse test
 * (tests/devfuse/run-devfuse.sh: the whole e2e program plus every exit path)
 * and the guest test (tests/e2e/run-guest.sh vfsd: a Debian kernel over
 * vhost-user), then completed from the code paths those runs do not take
 * (error paths, abort). Only what happens after setup is listed: mount,
 * pivot_root, unshare, prctl and the like are done before the
 * filter is installed and are never needed again.
 *
 * To add an architecture: add its table under its own #if, with the same
 * entries under that architecture's names (e.g. aarch64 has no open/unlink,
 * only openat/unlinkat) and check it with --seccomp=log over the tests.
 */
#include "policy/seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/compiler.h"
#include "util/xattrat.h"

struct allowed_syscall {
	int nr;
	const char *why;
};

#define ALLOW(name, reason) { SCMP_SYS(name), reason }

#if defined(__x86_64__)
static const struct allowed_syscall allowlist[] = {
	/* Requests: the FUSE device and its replies, eventfds, the socket. */
	ALLOW(read, "/dev/fuse requests, eventfd counters, /proc reads"),
	ALLOW(write, "/dev/fuse replies, eventfd kicks and calls, log lines"),
	ALLOW(readv, "vectored reads on the FUSE device"),
	ALLOW(writev, "vectored replies on the FUSE device"),
	ALLOW(poll, "queue threads on kick eventfds; the socket; the stats thread"),
	ALLOW(ppoll, "poll() on libcs that implement it with ppoll"),
	ALLOW(accept4, "the vhost-user connection; --stats-socket clients"),
	ALLOW(recvmsg, "vhost-user messages with their SCM_RIGHTS fds"),
	ALLOW(sendmsg, "vhost-user replies"),
	ALLOW(sendto, "syslog() lines (--syslog)"),
	ALLOW(eventfd2, "the queue threads' and the stats thread's stop eventfd"),
	ALLOW(mmap, "guest memory regions (SET_MEM_TABLE); malloc"),
	ALLOW(munmap, "guest memory on reset; malloc"),
	ALLOW(mprotect, "thread stack guard pages; malloc arenas"),
	ALLOW(mremap, "realloc() of large blocks"),
	ALLOW(madvise, "glibc returning freed thread stacks and arenas"),
	ALLOW(brk, "malloc"),
	ALLOW(ioctl, "FUSE_DEV_IOC_CLONE: one /dev/fuse fd per worker"),
	ALLOW(io_uring_enter, "FUSE over io_uring: the rings were made before "
	      "confinement and may only issue URING_CMD on /dev/fuse"),
	ALLOW(dup, "an inode's O_PATH fd duplicated for fdopendir"),
	ALLOW(fcntl, "fd flags; GETLK/SETLK/SETLKW as OFD locks"),
	ALLOW(close, "every fd the daemon opens"),

	/* File operations (src/fs), all relative to O_PATH fds. */
	ALLOW(openat, "LOOKUP (O_PATH), OPEN/CREATE via /proc/self/fd"),
	ALLOW(newfstatat, "GETATTR and every reply's attributes"),
	ALLOW(statx, "attributes with mount id for the inode key"),
	ALLOW(name_to_handle_at, "LOOKUP of a new file: its file handle"),
	ALLOW(open_by_handle_at, "an idle inode's fd opened again by handle"),
	ALLOW(fstatfs, "STATFS"),
	ALLOW(statfs, "STATFS on libcs that use the path form"),
	ALLOW(readlinkat, "READLINK"),
	ALLOW(getdents64, "READDIR, READDIRPLUS"),
	ALLOW(lseek, "READDIR offsets, LSEEK"),
	ALLOW(preadv, "READ into guest buffers"),
	ALLOW(pread64, "READ of a single buffer"),
	ALLOW(pwritev, "WRITE from guest buffers"),
	ALLOW(pwrite64, "WRITE of a single buffer"),
	ALLOW(ftruncate, "SETATTR size on an open file"),
	ALLOW(truncate, "SETATTR size via /proc/self/fd"),
	ALLOW(fallocate, "FALLOCATE"),
	ALLOW(fsync, "FSYNC, FSYNCDIR"),
	ALLOW(fdatasync, "FSYNC with the datasync flag"),
	ALLOW(mkdirat, "MKDIR"),
	ALLOW(mknodat, "MKNOD; CREATE of fifos and sockets"),
	ALLOW(symlinkat, "SYMLINK"),
	ALLOW(linkat, "LINK via the /proc/self/fd link"),
	ALLOW(unlinkat, "UNLINK, RMDIR"),
	ALLOW(renameat, "RENAME without flags"),
	ALLOW(renameat2, "RENAME2 (exchange, noreplace, whiteout)"),
	ALLOW(fchmodat, "SETATTR mode via /proc/self/fd"),
	ALLOW(fchmod, "killing set-user-ID on an open file"),
	ALLOW(fchownat, "SETATTR uid/gid"),
	ALLOW(fchown, "SETATTR uid/gid on an open file"),
	ALLOW(utimensat, "SETATTR times"),
	ALLOW(faccessat, "ACCESS"),
	ALLOW(faccessat2, "ACCESS with AT_EACCESS (glibc >= 2.33)"),
	ALLOW(umask, "CREATE without the guest's umask applied twice"),
	ALLOW(fsetxattr, "SETXATTR on a reopened file or directory"),
	ALLOW(fgetxattr, "GETXATTR on a reopened file or directory"),
	ALLOW(flistxattr, "LISTXATTR on a reopened file or directory"),
	ALLOW(fremovexattr, "REMOVEXATTR on a reopened file or directory"),
	/* Linux 6.13+, unknown to Debian 12's libseccomp: by number. */
	{ XATTRAT_NR_SET, "SETXATTR on a symlink or special file via /proc/self/fd" },
	{ XATTRAT_NR_GET, "GETXATTR on a symlink or special file via /proc/self/fd" },
	{ XATTRAT_NR_LIST, "LISTXATTR on a symlink or special file via /proc/self/fd" },
	{ XATTRAT_NR_REMOVE, "REMOVEXATTR on a symlink or special file via /proc/self/fd" },
	ALLOW(flock, "SETLK/SETLKW with FUSE_LK_FLOCK (--flock)"),
	ALLOW(copy_file_range, "COPY_FILE_RANGE between two open files"),
	ALLOW(syncfs, "SYNCFS of the share's file system"),

	/* Per-request credentials (policy/creds.c), per thread. */
	ALLOW(setresuid, "run a request as the guest caller's uid"),
	ALLOW(setresgid, "run a request as the guest caller's gid"),
	ALLOW(setgroups, "a thread's first switch drops root's groups"),
	/*
	 * Raising a kept capability in the effective set gives nothing that
	 * setresuid() back to the daemon's uid does not: the permitted set,
	 * which only shrinks, is the limit of both.
	 */
	ALLOW(capget, "the thread's capability sets, before a borrow"),
	ALLOW(capset, "borrow a kept capability for one call of a guest user's request"),

	/* Threads: the queue threads and the worker pool. */
	ALLOW(clone3, "pthread_create"),
	ALLOW(clone, "pthread_create where clone3 is unavailable"),
	ALLOW(set_robust_list, "new threads (glibc)"),
	ALLOW(rseq, "new threads register restartable sequences (glibc)"),
	ALLOW(futex, "mutexes, condition variables, pthread_join"),
	ALLOW(sched_yield, "spinning locks in glibc"),
	ALLOW(sched_getaffinity, "sysconf(_SC_NPROCESSORS_ONLN)"),
	ALLOW(rt_sigprocmask, "threads start with signals blocked"),
	ALLOW(rt_sigaction, "SIGSYS handler for --seccomp=trap; abort()"),
	ALLOW(rt_sigreturn, "returning from the SIGTERM/SIGSYS/wake handlers"),
	ALLOW(restart_syscall, "a timed poll resumed after SIGSTOP/SIGCONT or a debugger"),
	ALLOW(getrandom, "malloc arena randomisation in new threads"),
	ALLOW(sysinfo, "glibc's qsort() of a large array (a migration's state) sizes its buffer by the RAM there is"),
	ALLOW(clock_gettime, "timestamps where the vDSO is unavailable"),
	ALLOW(clock_nanosleep, "back-off sleeps"),
	ALLOW(nanosleep, "back-off sleeps on older libcs"),
	ALLOW(getpid, "log lines; abort()"),
	ALLOW(gettid, "abort() and raise()"),
	ALLOW(tgkill, "abort(); waking a worker stuck in a call (thread_wake)"),
	ALLOW(exit, "a thread ends"),
	ALLOW(exit_group, "the process ends"),
};

/* Host-side cleanup done by the server itself when there is no sandbox. */
static const struct allowed_syscall cleanup_list[] = {
	ALLOW(unlink, "remove the socket path at exit (--sandbox=none)"),
};

/* --syslog; socket() is further limited to AF_UNIX in add_syslog(). */
static const struct allowed_syscall syslog_list[] = {
	ALLOW(connect, "syslog() reconnecting to /dev/log"),
};

#if defined(__SANITIZE_ADDRESS__)
/* AddressSanitizer's runtime: the leak check at exit, reports. */
static const struct allowed_syscall sanitizer_list[] = {
	ALLOW(sigaltstack, "ASan's per-thread signal stacks"),
	ALLOW(prctl, "LeakSanitizer checks PR_GET_DUMPABLE"),
	ALLOW(ptrace, "LeakSanitizer stops the threads to scan them"),
	ALLOW(wait4, "LeakSanitizer waits for its tracer"),
	ALLOW(readlink, "ASan reads /proc/self/exe for reports"),
	ALLOW(open, "ASan reads /proc/self/maps"),
	ALLOW(getppid, "LeakSanitizer's tracer checks its parent"),
	ALLOW(kill, "LeakSanitizer's tracer"),
	ALLOW(pipe2, "ASan symbolizer pipes"),
	ALLOW(sched_getparam, "ASan thread registry"),
};
#endif
#if defined(VFSD_COVERAGE)
/*
 * A coverage build (-Db_coverage, scripts/coverage.sh): gcov writes its
 * counts at exit beside the objects. It asks whether their folders exist;
 * creating one (mkdir) fails with EACCES, so a daemon whose root is now the
 * share drops its counts instead of being killed or writing into the share.
 */
static const struct allowed_syscall coverage_list[] = {
	ALLOW(access, "gcov looks for the .gcda folders at exit"),
};
#endif
#define SECCOMP_HAVE_ALLOWLIST 1
#endif

#ifdef SECCOMP_HAVE_ALLOWLIST
static int add_list(scmp_filter_ctx ctx, const struct allowed_syscall *l,
		    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, l[i].nr, 0);

		if (ret)
			return ret;
	}
	return 0;
}

static int add_syslog(scmp_filter_ctx ctx)
{
	int ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				   SCMP_A0(SCMP_CMP_EQ, AF_UNIX));

	if (ret)
		return ret;
	return add_list(ctx, syslog_list, ARRAY_SIZE(syslog_list));
}

/*
 * Async-signal-safe: only write(2) and _exit(2), both on the allowlist.
 * The syscall number is formatted by hand (no stdio in a handler).
 */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[64] = "vfsd: seccomp: blocked system call ";
	size_t len = strlen(msg);
	char digits[12];
	int n = 0;
	unsigned int nr = (unsigned int)si->si_syscall;

	(void)sig;
	(void)uc;
	do {
		digits[n++] = (char)('0' + nr % 10);
		nr /= 10;
	} while (nr && n < (int)sizeof(digits));
	while (n > 0 && len < sizeof(msg) - 2)
		msg[len++] = digits[--n];
	msg[len++] = '\n';
	if (write(STDERR_FILENO, msg, len) < 0)
		_exit(1);
	_exit(1);
}

static int install_trap_handler(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys,
				.sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		return -errno;
	return 0;
}

static uint32_t default_action(enum seccomp_mode mode)
{
	switch (mode) {
	case SECCOMP_MODE_LOG:
		return SCMP_ACT_LOG;
	case SECCOMP_MODE_TRAP:
		return SCMP_ACT_TRAP;
	default:
		return SCMP_ACT_KILL_PROCESS;
	}
}

int seccomp_apply(enum seccomp_mode mode, unsigned int flags)
{
	scmp_filter_ctx ctx;
	int ret;

	if (mode == SECCOMP_MODE_NONE)
		return 0;
	if (mode == SECCOMP_MODE_TRAP) {
		ret = install_trap_handler();
		if (ret)
			return ret;
	}
	ctx = seccomp_init(default_action(mode));
	if (!ctx)
		return -ENOMEM;
	/* Threads started before the filter get it too. */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!ret)
		ret = add_list(ctx, allowlist, ARRAY_SIZE(allowlist));
	if (!ret && (flags & SECCOMP_ALLOW_HOST_CLEANUP))
		ret = add_list(ctx, cleanup_list, ARRAY_SIZE(cleanup_list));
	if (!ret && (flags & SECCOMP_ALLOW_SYSLOG))
		ret = add_syslog(ctx);
#if defined(__SANITIZE_ADDRESS__)
	if (!ret)
		ret = add_list(ctx, sanitizer_list, ARRAY_SIZE(sanitizer_list));
#endif
#if defined(VFSD_COVERAGE)
	if (!ret)
		ret = add_list(ctx, coverage_list, ARRAY_SIZE(coverage_list));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
				       SCMP_SYS(mkdir), 0);
#endif
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret;
}

unsigned int seccomp_allowlist_size(void)
{
	return ARRAY_SIZE(allowlist);
}

static bool in_list(const struct allowed_syscall *l, size_t n, int nr)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].nr == nr)
			return true;
	return false;
}

bool seccomp_allowlisted(const char *name, unsigned int flags)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return false;
	if (in_list(allowlist, ARRAY_SIZE(allowlist), nr))
		return true;
	if ((flags & SECCOMP_ALLOW_HOST_CLEANUP) &&
	    in_list(cleanup_list, ARRAY_SIZE(cleanup_list), nr))
		return true;
	/* socket() only with AF_UNIX: reported as on the list. */
	if ((flags & SECCOMP_ALLOW_SYSLOG) &&
	    (nr == SCMP_SYS(socket) ||
	     in_list(syslog_list, ARRAY_SIZE(syslog_list), nr)))
		return true;
#if defined(__SANITIZE_ADDRESS__)
	if (in_list(sanitizer_list, ARRAY_SIZE(sanitizer_list), nr))
		return true;
#endif
	return false;
}
#else
int seccomp_apply(enum seccomp_mode mode, unsigned int flags)
{
	(void)flags;
	return mode == SECCOMP_MODE_NONE ? 0 : -ENOSYS;
}

unsigned int seccomp_allowlist_size(void)
{
	return 0;
}

bool seccomp_allowlisted(const char *name, unsigned int flags)
{
	(void)name;
	(void)flags;
	return false;
}
#endif

/* The decimal value of "key:\t..." in a status text, or -1. */
static long status_dec(const char *status, const char *key)
{
	size_t klen = strlen(key);
	const char *p = status;
	char *end;
	long v;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			errno = 0;
			v = strtol(p + klen + 1, &end, 10);
			if (errno || end == p + klen + 1 ||
			    (*end != '\n' && *end != '\0'))
				return -1;
			return v;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

int seccomp_verify(const char *status, enum seccomp_mode mode, char *err,
		   unsigned int errlen)
{
	long want = mode == SECCOMP_MODE_NONE ? 0 : 2;
	long got = status_dec(status, "Seccomp");

	if (got != want) {
		snprintf(err, errlen, "Seccomp is %ld, expected %ld", got, want);
		return -1;
	}
	if (want && status_dec(status, "NoNewPrivs") != 1) {
		snprintf(err, errlen, "NoNewPrivs is not set");
		return -1;
	}
	return 0;
}
