/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd-client limit: the host syscalls behind each bench workload, issued
 * directly by one thread in a loop. No daemon can beat this row; the
 * distance to it is what the virtio-fs path costs.
 */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1ull << 20)
#define DATA_SIZE (64 * MIB)

struct limit {
	int dir, big, data, wfile;
	uint8_t *buf;
	uint64_t rng, seq, n, bytes;
	unsigned int entries;
};

static uint64_t rnd(struct limit *l)
{
	l->rng ^= l->rng << 13;
	l->rng ^= l->rng >> 7;
	l->rng ^= l->rng << 17;
	return l->rng;
}

static int l_getattr(struct limit *l)
{
	struct stat st;

	return fstatat(l->dir, "data", &st, AT_SYMLINK_NOFOLLOW);
}

/* What a passthrough lookup does: an O_PATH open, a stat, a close later. */
static int l_lookup_hit(struct limit *l)
{
	char name[32];
	struct stat st;
	int fd;

	snprintf(name, sizeof(name), "e%06llu",
		 (unsigned long long)(l->n % (l->entries < 256 ? l->entries : 256)));
	fd = openat(l->big, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int l_lookup_miss(struct limit *l)
{
	char name[32];
	struct stat st;

	snprintf(name, sizeof(name), "missing%llu",
		 (unsigned long long)(l->n % 1000));
	return fstatat(l->big, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	       errno != ENOENT ? -1 : 0;
}

static int l_open_release(struct limit *l)
{
	int fd = openat(l->dir, "data", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -1 : close(fd);
}

static int l_read4k(struct limit *l)
{
	off_t off = (off_t)(rnd(l) % (DATA_SIZE / 4096)) * 4096;

	l->bytes += 4096;
	return pread(l->data, l->buf, 4096, off) == 4096 ? 0 : -1;
}

static int l_read1m(struct limit *l)
{
	if (l->seq + MIB > DATA_SIZE)
		l->seq = 0;
	l->bytes += MIB;
	l->seq += MIB;
	return pread(l->data, l->buf, MIB, (off_t)(l->seq - MIB)) == (ssize_t)MIB ?
		       0 : -1;
}

static int l_write4k(struct limit *l)
{
	off_t off = (off_t)(rnd(l) % (DATA_SIZE / 4096)) * 4096;

	l->bytes += 4096;
	return pwrite(l->wfile, l->buf, 4096, off) == 4096 ? 0 : -1;
}

static int l_write1m(struct limit *l)
{
	if (l->seq + MIB > DATA_SIZE)
		l->seq = 0;
	l->bytes += MIB;
	l->seq += MIB;
	return pwrite(l->wfile, l->buf, MIB, (off_t)(l->seq - MIB)) ==
		       (ssize_t)MIB ? 0 : -1;
}

static int l_create_unlink(struct limit *l)
{
	char name[32];
	int fd;

	snprintf(name, sizeof(name), "cu.%llu", (unsigned long long)l->n);
	fd = openat(l->dir, name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0 || close(fd))
		return -1;
	return unlinkat(l->dir, name, 0);
}

/* getdents plus a stat per entry: what READDIRPLUS costs on the host. */
static int l_readdirplus(struct limit *l)
{
	int fd = openat(l->big, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	struct stat st;
	unsigned int n = 0;
	DIR *d;

	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(l->big, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			break;
		n++;
	}
	closedir(d);
	return n == l->entries ? 0 : -1;
}

static const struct {
	const char *name;
	int (*fn)(struct limit *l);
} loops[] = {
	{ "getattr", l_getattr },
	{ "lookup_hit", l_lookup_hit },
	{ "lookup_miss", l_lookup_miss },
	{ "open_release", l_open_release },
	{ "read_4k_rand", l_read4k },
	{ "read_1m_seq", l_read1m },
	{ "write_4k_rand", l_write4k },
	{ "write_1m_seq", l_write1m },
	{ "create_unlink", l_create_unlink },
	{ "readdirplus", l_readdirplus },
};

static int fixture(struct limit *l, const char *shared)
{
	char name[32];
	struct stat st;
	int fd;

	fd = open(shared, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (mkdirat(fd, "vfsd-limit", 0755) && errno != EEXIST)
		return -1;
	l->dir = openat(fd, "vfsd-limit", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(fd);
	if (l->dir < 0)
		return -1;
	l->data = openat(l->dir, "data", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	l->wfile = openat(l->dir, "wfile", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
	if (l->data < 0 || l->wfile < 0 || fstat(l->data, &st))
		return -1;
	for (uint64_t off = 0; st.st_size != DATA_SIZE && off < DATA_SIZE;
	     off += MIB) {
		fm_pattern_fill(l->buf, off, MIB);
		if (pwrite(l->data, l->buf, MIB, (off_t)off) != (ssize_t)MIB)
			return -1;
	}
	snprintf(name, sizeof(name), "big-%u", l->entries);
	if (mkdirat(l->dir, name, 0755) && errno != EEXIST)
		return -1;
	l->big = openat(l->dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->big < 0)
		return -1;
	for (unsigned int i = 0; i < l->entries; i++) {
		snprintf(name, sizeof(name), "e%06u", i);
		if (mknodat(l->big, name, S_IFREG | 0644, 0) && errno != EEXIST)
			return -1;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int limit_main(struct client_opts *o)
{
	struct limit l = { .rng = 0x2545f4914f6cdd1dull };
	size_t cap = 1u << 22;
	uint64_t *lat = malloc(cap * sizeof(*lat));
	int failed = 0;

	if (o->list) {
		for (size_t i = 0; i < sizeof(loops) / sizeof(loops[0]); i++)
			printf("%s\n", loops[i].name);
		free(lat);
		return 0;
	}
	l.entries = o->entries ? o->entries : 10000;
	l.buf = aligned_alloc(4096, MIB);
	if (!lat || !l.buf || fixture(&l, o->shared_dir)) {
		perror("vfsd-client limit: fixture");
		free(lat);
		free(l.buf);
		return 1;
	}
	fm_pattern_fill(l.buf, 0, MIB);
	bench_print_head(o);
	for (size_t i = 0; i < sizeof(loops) / sizeof(loops[0]); i++) {
		struct run_result res = { 0 };
		uint64_t t0 = vc_now_ns(), end = t0 + (uint64_t)(o->duration * 1e9);
		uint64_t cpu0;
		size_t nlat = 0;
		int err = 0;

		if (o->workloads && !strstr(o->workloads, loops[i].name))
			continue;
		l.n = l.bytes = l.seq = 0;
		cpu0 = vc_proc_cpu_ns(getpid());
		for (uint64_t now = t0; now < end && !err;) {
			err = loops[i].fn(&l);
			l.n++;
			uint64_t t = vc_now_ns();

			if (nlat < cap)
				lat[nlat++] = t - now;
			now = t;
		}
		res.secs = (double)(vc_now_ns() - t0) / 1e9;
		res.cpu_ns = vc_proc_cpu_ns(getpid()) - cpu0;
		res.ops = l.n - (err != 0);
		res.bytes = l.bytes;
		qsort(lat, nlat, sizeof(*lat), cmp_u64);
		if (nlat) {
			res.p50_ns = lat[nlat / 2];
			res.p99_ns = lat[nlat * 99 / 100];
			res.p999_ns = lat[nlat * 999 / 1000];
		}
		bench_print_row(o, loops[i].name, 0, 1, &res,
				err ? strerror(errno) : "ok");
		failed |= err != 0;
	}
	free(lat);
	free(l.buf);
	return failed;
}
