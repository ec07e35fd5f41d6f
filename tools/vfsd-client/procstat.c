/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Back end process statistics from /proc: CPU time for the bench's cost per
 * operation, fd count and RSS for the attack catalogue's leak checks.
 */
#include "frontend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* One process: its parent, CPU ticks, RSS and fd count. */
static int one_stat(pid_t pid, pid_t *ppid, struct vc_proc_stat *st)
{
	char path[64], buf[8192];
	unsigned long long ut, stt;
	int pp;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -ESRCH;
	/* comm may hold spaces and parentheses: fields restart after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &pp, &ut, &stt) != 3)
		return -EIO;
	*ppid = pp;
	st->cpu_ticks = ut + stt;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -ESRCH;
	p = strstr(buf, "VmRSS:");
	st->rss_kb = p ? strtoull(p + 6, NULL, 10) : 0;
	p = strstr(buf, "RssAnon:");
	st->rss_anon_kb = p ? strtoull(p + 8, NULL, 10) : 0;
	st->nfds = count_fds(pid);
	return st->nfds < 0 ? st->nfds : 0;
}

/*
 * The whole process tree under pid, pid first: back ends that sandbox
 * themselves serve from a child (or grandchild) of the process we started.
 * Returns how many pids went into tree, or -errno.
 */
int vc_proc_tree(pid_t pid, pid_t *tree, unsigned int max)
{
	unsigned int n = 1;
	bool grew = true;
	pid_t pp;

	if (max == 0)
		return -EINVAL;
	tree[0] = pid;
	while (grew && n < max) {
		struct dirent *de;
		DIR *d = opendir("/proc");

		if (!d)
			return -errno;
		grew = false;
		while ((de = readdir(d)) && n < max) {
			struct vc_proc_stat one;
			pid_t q = (pid_t)atoi(de->d_name);
			bool known = false;

			if (q <= 0)
				continue;
			for (unsigned int i = 0; i < n; i++)
				known |= tree[i] == q;
			if (known || one_stat(q, &pp, &one))
				continue;
			for (unsigned int i = 0; i < n; i++) {
				if (pp == tree[i]) {
					tree[n++] = q;
					grew = true;
					break;
				}
			}
		}
		closedir(d);
	}
	return (int)n;
}

/* Run time of one process's threads, from /proc/PID/task/TID/schedstat. */
static uint64_t task_cpu_ns(pid_t pid)
{
	char path[96], buf[128];
	struct dirent *de;
	uint64_t sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat",
			 (int)pid, de->d_name);
		if (read_small(path, buf, sizeof(buf)) > 0)
			sum += strtoull(buf, NULL, 10);
	}
	closedir(d);
	return sum;
}

uint64_t vc_ticks_ns(uint64_t ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	return ticks * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
}

uint64_t vc_proc_cpu_ns(pid_t pid)
{
	enum { MAXP = 64 };
	pid_t tree[MAXP];
	uint64_t sum = 0;
	int n = vc_proc_tree(pid, tree, MAXP);

	for (int i = 0; i < n; i++)
		sum += task_cpu_ns(tree[i]);
	return sum;
}

int vc_proc_stat(pid_t pid, struct vc_proc_stat *st)
{
	enum { MAXP = 64 };
	pid_t tree[MAXP];
	pid_t pp;
	int n, r;

	memset(st, 0, sizeof(*st));
	n = vc_proc_tree(pid, tree, MAXP);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct vc_proc_stat one;

		r = one_stat(tree[i], &pp, &one);
		if (r && i == 0)
			return r;
		if (r)
			continue;
		st->cpu_ticks += one.cpu_ticks;
		st->rss_kb += one.rss_kb;
		st->rss_anon_kb += one.rss_anon_kb;
		st->nfds += one.nfds;
	}
	return 0;
}
