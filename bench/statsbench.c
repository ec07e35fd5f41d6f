/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The recording cost of fuse/stats.c alone, without a file system in the
 * way: fuse_stats_begin() + fuse_stats_now() + fuse_stats_end() per
 * simulated request, on 1 and on N threads sharing one struct fuse_stats
 * (the daemon's worker pool). Built and run by bench/stats-cost.sh.
 *
 *   statsbench THREADS ITERATIONS   prints "record_ns T N" per request
 */
#include <linux/fuse.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuse/stats.h"

static struct fuse_stats *st;
static unsigned long iters;

static void *loop(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < iters; i++) {
		uint64_t t;

		fuse_stats_begin(st);
		t = fuse_stats_now();
		fuse_stats_end(st, FUSE_GETATTR, (i & 15) ? 0 : 2, t, 0, 0);
	}
	return NULL;
}

int main(int argc, char *argv[])
{
	pthread_t th[64];
	unsigned int n;
	uint64_t t0, t1;

	if (argc != 3)
		return 2;
	n = (unsigned int)strtoul(argv[1], NULL, 0);
	iters = strtoul(argv[2], NULL, 0);
	if (!n || n > 64 || !iters)
		return 2;
	st = fuse_stats_new();
	if (!st)
		return 1;
	t0 = fuse_stats_now();
	for (unsigned int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, loop, NULL))
			return 1;
	for (unsigned int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	t1 = fuse_stats_now();
	/* Wall time per request of one thread: what each request pays. */
	printf("record_ns %u %.1f\n", n, (double)(t1 - t0) / (double)iters);
	fuse_stats_free(st);
	return 0;
}
