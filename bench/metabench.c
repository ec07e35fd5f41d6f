/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Metadata loops for bench/fuse.sh, in one process so that the timing is
 * the file system's and not fork/exec's.
 *
 *   metabench files DIR N         create, stat, unlink N files in DIR;
 *                                 prints "create R", "stat R", "unlink R"
 *                                 (operations per second)
 *   metabench readdir DIR N PASS  fills DIR with N empty files (not timed),
 *                                 lists it PASS times; prints
 *                                 "readdir R" (entries per second)
 *   metabench statloop FILE SEC   stat(FILE) for SEC seconds; prints
 *                                 "stat_us U" (microseconds per call)
 *   metabench fstatloop FILE SEC  the same with fstat() on one open fd
 *
 * Every failed call ends the run with exit status 1 and a message naming
 * the call, so a broken mount never reports a rate.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("clock_gettime");
		exit(1);
	}
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "metabench: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static long parse_count(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > 100000000) {
		fprintf(stderr, "metabench: bad count '%s'\n", s);
		exit(2);
	}
	return v;
}

static void name_of(char *buf, size_t len, const char *dir, long i)
{
	int n = snprintf(buf, len, "%s/f%07ld", dir, i);

	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "metabench: path too long in %s\n", dir);
		exit(2);
	}
}

static void create_files(const char *dir, long n)
{
	char path[4096];
	long i;
	int fd;

	for (i = 0; i < n; i++) {
		name_of(path, sizeof(path), dir, i);
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			die("open", path);
		if (close(fd) != 0)
			die("close", path);
	}
}

static void stat_files(const char *dir, long n)
{
	char path[4096];
	struct stat st;
	long i;

	for (i = 0; i < n; i++) {
		name_of(path, sizeof(path), dir, i);
		if (stat(path, &st) != 0)
			die("stat", path);
	}
}

static void unlink_files(const char *dir, long n)
{
	char path[4096];
	long i;

	for (i = 0; i < n; i++) {
		name_of(path, sizeof(path), dir, i);
		if (unlink(path) != 0)
			die("unlink", path);
	}
}

static int run_files(const char *dir, long n)
{
	double t0, t1, t2, t3;

	t0 = now();
	create_files(dir, n);
	t1 = now();
	stat_files(dir, n);
	t2 = now();
	unlink_files(dir, n);
	t3 = now();
	printf("create %.1f\nstat %.1f\nunlink %.1f\n", n / (t1 - t0),
	       n / (t2 - t1), n / (t3 - t2));
	return 0;
}

/* One full listing; returns the number of entries seen. */
static long list_once(const char *dir)
{
	struct dirent *de;
	long count = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		die("opendir", dir);
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		count++;
	}
	if (errno != 0)
		die("readdir", dir);
	if (closedir(d) != 0)
		die("closedir", dir);
	return count;
}

static int run_readdir(const char *dir, long n, long passes)
{
	double t0, t1;
	long p, seen;

	create_files(dir, n);
	t0 = now();
	for (p = 0; p < passes; p++) {
		seen = list_once(dir);
		/* "." and ".." come with the files */
		if (seen != n + 2) {
			fprintf(stderr, "metabench: %s listed %ld of %ld\n",
				dir, seen, n + 2);
			return 1;
		}
	}
	t1 = now();
	unlink_files(dir, n);
	printf("readdir %.1f\n", (double)n * passes / (t1 - t0));
	return 0;
}

static int run_statloop(const char *file, long seconds, int use_fd)
{
	double start, end, t;
	struct stat st;
	long calls = 0;
	int fd = -1, i;

	if (use_fd) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("open", file);
	}
	start = now();
	end = start + seconds;
	do {
		/* a clock read per 256 calls keeps its cost out of the figure */
		for (i = 0; i < 256; i++) {
			if (use_fd ? fstat(fd, &st) : stat(file, &st))
				die(use_fd ? "fstat" : "stat", file);
		}
		calls += 256;
		t = now();
	} while (t < end);
	if (fd >= 0 && close(fd) != 0)
		die("close", file);
	printf("stat_us %.3f\n", (t - start) * 1e6 / calls);
	return 0;
}

static int usage(void)
{
	fputs("usage: metabench files DIR N | readdir DIR N PASSES |"
	      " statloop FILE SECONDS | fstatloop FILE SECONDS\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "files") == 0)
		return run_files(argv[2], parse_count(argv[3]));
	if (argc == 5 && strcmp(argv[1], "readdir") == 0)
		return run_readdir(argv[2], parse_count(argv[3]),
				   parse_count(argv[4]));
	if (argc == 4 && strcmp(argv[1], "statloop") == 0)
		return run_statloop(argv[2], parse_count(argv[3]), 0);
	if (argc == 4 && strcmp(argv[1], "fstatloop") == 0)
		return run_statloop(argv[2], parse_count(argv[3]), 1);
	return usage();
}
