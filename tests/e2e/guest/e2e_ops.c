/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * e2e_ops: the guest half of the end-to-end test.
 *
 *   e2e_ops run MOUNTPOINT      run every check inside a virtio-fs mount
 *   e2e_ops host-prepare DIR    fill a fresh share before the guest boots
 *   e2e_ops host-check DIR      check, on the host, what the guest wrote
 *   e2e_ops pattern SEED LEN    write LEN pattern bytes to stdout
 *
 * "run" and "host-check" print "ok N - name" or "not ok N - name: reason"
 * per check and a closing "1..N" plan; they exit 0 only if every check
 * passed. The checks
 * fork a child that drops to uid/gid 1000, so the counters live in shared
 * memory to keep one numbering across both processes.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

struct e2e_counts {
	int run;
	int failed;
};

const char *e2e_mnt;
static struct e2e_counts *counts;

const char *e2e_path(const char *rel)
{
	static char bufs[8][PATH_MAX];
	static unsigned int next;
	char *b = bufs[next++ % 8];

	snprintf(b, PATH_MAX, "%s/%s", e2e_mnt, rel);
	return b;
}

uint8_t e2e_pattern(unsigned int seed, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull + seed;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	return (uint8_t)x;
}

void e2e_fill_pattern(uint8_t *buf, size_t len, unsigned int seed,
		      uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = e2e_pattern(seed, off + i);
}

/* Seconds since the previous report: slow operations show in the log. */
static double elapsed(void)
{
	static struct timespec last;
	struct timespec now;
	double d = 0;

	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return 0;
	if (last.tv_sec)
		d = (double)(now.tv_sec - last.tv_sec) +
		    (double)(now.tv_nsec - last.tv_nsec) / 1e9;
	last = now;
	return d;
}

void e2e_ok(const char *name)
{
	int n = __atomic_add_fetch(&counts->run, 1, __ATOMIC_SEQ_CST);
	double d = elapsed();

	printf("ok %d - %s\n# check %d took %.2f s\n", n, name, n, d);
	fflush(stdout);
}

void e2e_fail(const char *name, const char *fmt, ...)
{
	int n = __atomic_add_fetch(&counts->run, 1, __ATOMIC_SEQ_CST);
	double d = elapsed();
	va_list ap;

	__atomic_add_fetch(&counts->failed, 1, __ATOMIC_SEQ_CST);
	printf("not ok %d - %s: ", n, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n# check %d took %.2f s\n", n, d);
	fflush(stdout);
}

ssize_t e2e_read_file(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < cap) {
		ssize_t n = read(fd, (char *)buf + got, cap - got);

		if (n < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (close(fd) < 0)
		return -1;
	return (ssize_t)got;
}

int e2e_write_file(const char *path, const void *data, size_t len,
		   unsigned int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t put = 0;

	if (fd < 0)
		return -1;
	while (put < len) {
		ssize_t n = write(fd, (const char *)data + put, len - put);

		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			errno = e;
			return -1;
		}
		put += (size_t)n;
	}
	return close(fd);
}

static int cmd_pattern(const char *seed_s, const char *len_s)
{
	unsigned long seed = strtoul(seed_s, NULL, 0);
	unsigned long long len = strtoull(len_s, NULL, 0);
	uint8_t buf[65536];

	for (unsigned long long off = 0; off < len;) {
		size_t n = sizeof(buf);

		if (len - off < n)
			n = (size_t)(len - off);
		e2e_fill_pattern(buf, n, (unsigned int)seed, off);
		if (fwrite(buf, 1, n, stdout) != n)
			return 1;
		off += n;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* The scratch directories: t/ for root's checks, out/ for the host. */
static int setup_dirs(void)
{
	if (mkdir(e2e_path("t"), 0755) < 0) {
		printf("Bail out! mkdir %s: %s\n", e2e_path("t"),
		       strerror(errno));
		return -1;
	}
	if (mkdir(e2e_path("out"), 0777) < 0 ||
	    chmod(e2e_path("out"), 0777) < 0) {
		printf("Bail out! mkdir %s: %s\n", e2e_path("out"),
		       strerror(errno));
		return -1;
	}
	return 0;
}

static int counts_init(void)
{
	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return -1;
	}
	elapsed();
	return 0;
}

static int finish(const char *what)
{
	printf("1..%d\n", counts->run);
	printf("# %s: %d checks, %d failed\n", what, counts->run,
	       counts->failed);
	fflush(stdout);
	return counts->failed ? 1 : 0;
}

static int cmd_run(const char *mnt)
{
	struct stat st;

	e2e_mnt = mnt;
	if (counts_init() < 0)
		return 1;
	/* Modes in the checks are exact: no umask bits in the way. */
	umask(0);
	if (stat(mnt, &st) < 0 || !S_ISDIR(st.st_mode)) {
		printf("Bail out! %s is not a directory\n", mnt);
		return 1;
	}
	if (setup_dirs() < 0)
		return 1;

	e2e_run_host_files();
	e2e_run_entry();
	e2e_run_attr();
	e2e_run_file();
	e2e_run_dir();
	e2e_run_user();
	e2e_run_posix();
	e2e_run_acl();
	return finish("guest");
}

static int cmd_host_check(const char *dir)
{
	e2e_mnt = dir;
	if (counts_init() < 0)
		return 1;
	e2e_host_check();
	return finish("host");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "run") == 0)
		return cmd_run(argv[2]);
	if (argc == 3 && strcmp(argv[1], "host-prepare") == 0) {
		e2e_mnt = argv[2];
		return e2e_host_prepare();
	}
	if (argc == 3 && strcmp(argv[1], "host-check") == 0)
		return cmd_host_check(argv[2]);
	if (argc == 4 && strcmp(argv[1], "pattern") == 0)
		return cmd_pattern(argv[2], argv[3]);
	fprintf(stderr, "usage: %s run MOUNTPOINT | host-prepare DIR | host-check DIR |"
		" pattern SEED LEN\n",
		argv[0]);
	return 2;
}
