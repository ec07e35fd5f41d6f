/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Directory listing: every name exactly once, telldir/seekdir and
 * getdents64 offsets that can be returned to, and entries added or removed
 * while a listing is under way (seen at most once; the untouched ones
 * exactly once). cf_bigdir() does the same over N entries.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "conform.h"

#define FUSE_MAGIC 0x65735546

/*
 * A FUSE daemon holds an fd for every inode the kernel remembers, so a
 * listing of 100k entries would need 100k fds unless the kernel forgets
 * some. On a FUSE mount the kernel's dentry and inode caches are dropped
 * every DROP_EVERY entries (as memory pressure would), when allowed.
 */
#define DROP_EVERY 4096
static int on_fuse;

static void drop_caches(long i)
{
	int fd;

	if (!on_fuse || i % DROP_EVERY != DROP_EVERY - 1)
		return;
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0)
		return;
	if (write(fd, "2", 1) < 0)
		on_fuse = 0;	/* not allowed: do without */
	close(fd);
}

/* Entries are "f" (made first) or "g" (added during a listing) + number. */
struct tally {
	long n_f, n_g;
	unsigned char *f, *g;	/* times each name was seen */
	long dots, strange;	/* "." and "..", and any other name */
};

static int tally_init(struct tally *t, long n_f, long n_g)
{
	memset(t, 0, sizeof(*t));
	t->n_f = n_f;
	t->n_g = n_g;
	t->f = calloc((size_t)n_f + 1, 1);
	t->g = calloc((size_t)n_g + 1, 1);
	return t->f && t->g ? 0 : -1;
}

static void tally_free(struct tally *t)
{
	free(t->f);
	free(t->g);
}

static void tally_name(struct tally *t, const char *name)
{
	char *end;
	long i;

	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		t->dots++;
		return;
	}
	if ((name[0] != 'f' && name[0] != 'g') || !name[1]) {
		t->strange++;
		return;
	}
	i = strtol(name + 1, &end, 10);
	if (*end || i < 0 || i >= (name[0] == 'f' ? t->n_f : t->n_g)) {
		t->strange++;
		return;
	}
	unsigned char *c = name[0] == 'f' ? &t->f[i] : &t->g[i];

	if (*c < 255)
		(*c)++;
}

static int make_entries(int dfd, char kind, long from, long to)
{
	char name[32];

	for (long i = from; i < to; i++) {
		int fd;

		snprintf(name, sizeof(name), "%c%07ld", kind, i);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			return -1;
		close(fd);
		drop_caches(i);
	}
	return 0;
}

/* Read up to MAX entries (all when MAX < 0) with a BUFSZ getdents64 buffer. */
static long list_some(int dfd, struct tally *t, long max, size_t bufsz)
{
	char buf[65536];
	long seen = 0;

	if (bufsz > sizeof(buf))
		bufsz = sizeof(buf);
	for (;;) {
		ssize_t n, pos = 0;

		if (max >= 0 && seen >= max)
			return seen;
		n = getdents64(dfd, buf, bufsz);
		if (n < 0)
			return -1;
		if (n == 0)
			return seen;
		while (pos < n) {
			struct dirent64 *d = (struct dirent64 *)(buf + pos);

			tally_name(t, d->d_name);
			drop_caches(seen++);
			pos += d->d_reclen;
		}
	}
}

/* "ok" when every f below N_F (except removed ones) was seen once. */
static void judge(const char *name, const struct tally *t, long removed_step)
{
	long missing = 0, dup = 0, removed_dup = 0, added_dup = 0;

	for (long i = 0; i < t->n_f; i++) {
		int removed = removed_step && i % removed_step == 0;

		if (removed && t->f[i] > 1)
			removed_dup++;
		else if (!removed && t->f[i] == 0)
			missing++;
		else if (!removed && t->f[i] > 1)
			dup++;
	}
	for (long i = 0; i < t->n_g; i++)
		if (t->g[i] > 1)
			added_dup++;
	if (!missing && !dup && !removed_dup && !added_dup && !t->strange &&
	    t->dots == 2)
		cf_res(name, "ok");
	else
		cf_res(name, "missing=%ld dup=%ld removed-dup=%ld added-dup=%ld "
		       "dots=%ld strange=%ld", missing, dup, removed_dup,
		       added_dup, t->dots, t->strange);
}

static int full_listing(const char *name, int dfd, long n)
{
	struct tally t;

	if (tally_init(&t, n, 0))
		return -1;
	if (lseek(dfd, 0, SEEK_SET) < 0 || list_some(dfd, &t, -1, 32768) < 0)
		cf_res(name, "%s", cf_errname(errno));
	else
		judge(name, &t, 0);
	tally_free(&t);
	return 0;
}

/* Save about 50 (d_off, next name) pairs, then seek back to each. */
static void offsets_case(const char *name, int dfd, long n)
{
	enum { SAVED = 50 };
	static char next[SAVED][256];
	off_t offs[SAVED];
	char buf[32768];
	long every = n / SAVED > 0 ? n / SAVED : 1, k = 0, idx = 0, bad = 0;
	int want_next = -1;

	if (lseek(dfd, 0, SEEK_SET) < 0)
		goto fail;
	for (;;) {
		ssize_t r = getdents64(dfd, buf, sizeof(buf)), pos = 0;

		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		while (pos < r) {
			struct dirent64 *d = (struct dirent64 *)(buf + pos);

			if (want_next >= 0) {
				snprintf(next[want_next], sizeof(next[0]), "%s",
					 d->d_name);
				want_next = -1;
			}
			if (idx++ % every == 0 && k < SAVED) {
				offs[k] = d->d_off;
				want_next = (int)k++;
			}
			pos += d->d_reclen;
		}
	}
	if (want_next >= 0)
		k--;	/* the last entry has no next one */
	for (long i = 0; i < k; i++) {
		ssize_t r;

		if (lseek(dfd, offs[i], SEEK_SET) < 0)
			goto fail;
		r = getdents64(dfd, buf, sizeof(buf));
		if (r <= 0 || strcmp(((struct dirent64 *)buf)->d_name, next[i]))
			bad++;
	}
	if (bad)
		cf_res(name, "mismatch=%ld of %ld", bad, k);
	else
		cf_res(name, "ok");
	return;
fail:
	cf_res(name, "%s", cf_errname(errno));
}

/* List a third, remove every 7th f and add N/10 g, list the rest. */
static void churn_case(const char *name, int dfd, long n, size_t bufsz)
{
	struct tally t;
	char ent[32];
	long n_g = n / 10 > 0 ? n / 10 : 1;

	if (tally_init(&t, n, n_g))
		return;
	if (lseek(dfd, 0, SEEK_SET) < 0 || list_some(dfd, &t, n / 3, bufsz) < 0)
		goto fail;
	for (long i = 0; i < n; i += 7) {
		snprintf(ent, sizeof(ent), "f%07ld", i);
		if (unlinkat(dfd, ent, 0) < 0)
			goto fail;
		drop_caches(i / 7);
	}
	if (make_entries(dfd, 'g', 0, n_g) < 0 ||
	    list_some(dfd, &t, -1, bufsz) < 0)
		goto fail;
	judge(name, &t, 7);
	tally_free(&t);
	return;
fail:
	cf_res(name, "%s", cf_errname(errno));
	tally_free(&t);
}

int cf_bigdir(const char *dir, long n, const char *prefix)
{
	char name[128];
	struct statfs sfs;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	on_fuse = dfd >= 0 && fstatfs(dfd, &sfs) == 0 && sfs.f_type == FUSE_MAGIC;
	if (dfd < 0 || make_entries(dfd, 'f', 0, n) < 0) {
		snprintf(name, sizeof(name), "%s.create", prefix);
		cf_res(name, "%s", cf_errname(errno));
		if (dfd >= 0)
			close(dfd);
		return 1;
	}
	snprintf(name, sizeof(name), "%s.every-name-once", prefix);
	full_listing(name, dfd, n);
	snprintf(name, sizeof(name), "%s.offsets-stable", prefix);
	offsets_case(name, dfd, n);
	snprintf(name, sizeof(name), "%s.add-remove-during-listing", prefix);
	churn_case(name, dfd, n, 4096);
	close(dfd);
	return 0;
}

/* libc's telldir/seekdir on a small directory. */
static void seekdir_case(void)
{
	struct dirent *d;
	char want[256] = "";
	long pos = -1, i = 0;
	DIR *dir = opendir("dl");

	if (!dir) {
		cf_res("seekdir.back", "%s", cf_errname(errno));
		return;
	}
	while ((d = readdir(dir))) {
		if (i++ == 20)
			pos = telldir(dir);
		else if (pos >= 0 && !want[0])
			snprintf(want, sizeof(want), "%s", d->d_name);
	}
	seekdir(dir, pos);
	d = readdir(dir);
	cf_expect("seekdir.back", pos >= 0 && d && !strcmp(d->d_name, want),
		  "mismatch");
	rewinddir(dir);
	d = readdir(dir);
	cf_expect("rewinddir.first", d != NULL, "empty");
	closedir(dir);
}

void cf_run_dir(void)
{
	int dfd, fd;
	char buf[4096];
	ssize_t n;

	if (cf_mkdir("dl", 0755))
		return;
	dfd = open("dl", O_RDONLY | O_DIRECTORY);
	if (cf_setup_rc("dl", dfd))
		return;
	if (make_entries(dfd, 'f', 0, 100) < 0) {
		cf_setup_rc("dl-entries", -1);
		close(dfd);
		return;
	}
	full_listing("readdir.every-name-once", dfd, 100);
	offsets_case("readdir.offsets-stable", dfd, 100);
	seekdir_case();
	churn_case("readdir.add-remove-small-buffer", dfd, 100, 256);
	close(dfd);
	if (cf_mkdir("dl2", 0755))
		return;
	dfd = open("dl2", O_RDONLY | O_DIRECTORY);
	if (cf_setup_rc("dl2", dfd))
		return;
	cf_rc("readdir.rmdir-while-open", rmdir("dl2"));
	n = getdents64(dfd, buf, sizeof(buf));
	if (n < 0)
		cf_res("readdir.removed-dir", "%s", cf_errname(errno));
	else
		cf_res("readdir.removed-dir", "%zd", n);
	fd = openat(dfd, "x", O_CREAT | O_WRONLY, 0644);
	cf_rc("readdir.create-in-removed-dir", fd);
	if (fd >= 0)
		close(fd);
	close(dfd);
	if (cf_mkdir("dl3", 0755))
		return;
	cf_rc("readdir.scale", cf_bigdir("dl3", 1000, "readdir.scale") ? -1 : 0);
	cf_rc("readdir.ebadf", getdents64(-1, buf, sizeof(buf)));
	fd = open("dl/f0000001", O_RDONLY);
	if (fd >= 0) {
		cf_rc("readdir.enotdir", getdents64(fd, buf, sizeof(buf)));
		close(fd);
	}
}
