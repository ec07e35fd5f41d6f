/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conform: the POSIX conformance table of a directory.
 *
 *   conform [run] DIR          every case, in a scratch dir made under DIR
 *   conform bigdir DIR N       list a directory of N entries made under DIR
 *
 * Prints "case<TAB>result" lines; exit status 0 unless the program itself
 * could not run (the results are compared by the runner, not judged here).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conform.h"

const char *cf_base;

const char *cf_errname(int err)
{
	static char buf[16];
	const char *s = strerrorname_np(err);

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

void cf_res(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%s\t", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void cf_rc(const char *name, long rc)
{
	int err = errno;

	if (rc >= 0)
		cf_res(name, "ok");
	else
		cf_res(name, "%s", cf_errname(err));
}

void cf_fd(const char *name, int fd)
{
	cf_rc(name, fd);
	if (fd >= 0)
		close(fd);
}

void cf_expect(const char *name, int cond, const char *otherwise)
{
	cf_res(name, "%s", cond ? "ok" : otherwise);
}

int cf_setup_rc(const char *what, long rc)
{
	int err = errno;

	if (rc >= 0)
		return 0;
	printf("setup.%s\t%s\n", what, cf_errname(err));
	return -1;
}

int cf_mkfile(const char *path, mode_t mode, size_t len)
{
	char buf[4096];
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (cf_setup_rc(path, fd))
		return -1;
	memset(buf, 'x', sizeof(buf));
	while (len && !rc) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		ssize_t w = write(fd, buf, n);

		if (w <= 0) {
			rc = cf_setup_rc(path, -1);
			break;
		}
		len -= (size_t)w;
	}
	/* The mode wanted, whatever the umask of the caller. */
	if (!rc)
		rc = cf_setup_rc(path, fchmod(fd, mode));
	close(fd);
	return rc;
}

int cf_mkdir(const char *path, mode_t mode)
{
	if (cf_setup_rc(path, mkdir(path, mode)))
		return -1;
	return cf_setup_rc(path, chmod(path, mode));
}

ssize_t cf_read_file(const char *path, void *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while (got < cap) {
		n = read(fd, (char *)buf + got, cap - got);
		if (n < 0) {
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

void cf_tick(void)
{
	/* Coarse clocks tick every few ms; 30 ms is past any of them. */
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

const char *cf_ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec)
		return "same";
	if (b->tv_sec > a->tv_sec ||
	    (b->tv_sec == a->tv_sec && b->tv_nsec > a->tv_nsec))
		return "newer";
	return "older";
}

int cf_child(void (*fn)(void *), void *arg, int as_user)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (as_user && (setgroups(0, NULL) < 0 ||
				setresgid(CF_GID, CF_GID, CF_GID) < 0 ||
				setresuid(CF_UID, CF_UID, CF_UID) < 0)) {
			printf("setup.drop-to-uid-%d\t%s\n", CF_UID,
			       cf_errname(errno));
			fflush(stdout);
			_exit(127);
		}
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

static int rm_tree(const char *path)
{
	return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

static void usage(void)
{
	fprintf(stderr, "usage: conform [run] DIR\n"
			"       conform bigdir DIR N\n");
	exit(2);
}

static int run_table(const char *base)
{
	char scratch[4096];
	int n, rc = 0;

	cf_base = base;
	n = snprintf(scratch, sizeof(scratch), "%s/conform.XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof(scratch))
		usage();
	if (!mkdtemp(scratch) || chmod(scratch, 0777) < 0 ||
	    chdir(scratch) < 0) {
		fprintf(stderr, "conform: scratch dir under %s: %s\n", base,
			strerror(errno));
		return 1;
	}
	umask(022);
	setvbuf(stdout, NULL, _IOLBF, 0);
	cf_run_entry();
	cf_run_rename();
	cf_run_file();
	cf_run_space();
	cf_run_attr();
	cf_run_xattr();
	cf_run_lock();
	cf_run_user();
	cf_run_dir();
	if (chdir("/") < 0 || rm_tree(scratch) < 0) {
		fprintf(stderr, "conform: cannot remove %s: %s\n", scratch,
			strerror(errno));
		rc = 1;
	}
	return rc;
}

static int run_bigdir(const char *base, const char *count)
{
	char dir[4096], *end;
	long n;
	int len, rc;

	errno = 0;
	n = strtol(count, &end, 10);
	if (errno || *end || n < 1 || n > 10 * 1000 * 1000)
		usage();
	len = snprintf(dir, sizeof(dir), "%s/conform-bigdir.XXXXXX", base);
	if (len < 0 || (size_t)len >= sizeof(dir))
		usage();
	if (!mkdtemp(dir)) {
		fprintf(stderr, "conform: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = cf_bigdir(dir, n, "bigdir");
	if (rm_tree(dir) < 0) {
		fprintf(stderr, "conform: cannot remove %s: %s\n", dir,
			strerror(errno));
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 2)
		return run_table(argv[1]);
	if (argc == 3 && !strcmp(argv[1], "run"))
		return run_table(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "bigdir"))
		return run_bigdir(argv[2], argv[3]);
	usage();
	return 2;
}
