/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Directory operations: OPENDIR, READDIR/READDIRPLUS, RELEASEDIR and
 * FSYNCDIR. Listings are read with getdents64 and a small buffer so that
 * one listing takes many requests, each resuming from the offset cookie of
 * the previous one.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"

#define BIG_N 2000
#define MUT_N 600
#define NAME_MAX_LEN 64

/* How often each expected name was seen; names outside the set count. */
struct seen {
	int n;
	char (*names)[NAME_MAX_LEN];
	int *count;
	unsigned char *type;
	ino_t *ino;
	int dots;
	int unknown;
	char unknown_name[NAME_MAX_LEN];
};

static int seen_init(struct seen *s, int n)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->names = calloc((size_t)n, sizeof(*s->names));
	s->count = calloc((size_t)n, sizeof(*s->count));
	s->type = calloc((size_t)n, sizeof(*s->type));
	s->ino = calloc((size_t)n, sizeof(*s->ino));
	return s->names && s->count && s->type && s->ino ? 0 : -1;
}

static void seen_free(struct seen *s)
{
	free(s->names);
	free(s->count);
	free(s->type);
	free(s->ino);
}

static int seen_find(const struct seen *s, const char *nm)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->names[i], nm) == 0)
			return i;
	return -1;
}

static void seen_add(struct seen *s, const struct dirent64 *d)
{
	int i;

	if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) {
		s->dots++;
		return;
	}
	i = seen_find(s, d->d_name);
	if (i < 0) {
		if (!s->unknown++)
			snprintf(s->unknown_name, sizeof(s->unknown_name), "%.63s",
				 d->d_name);
		return;
	}
	s->count[i]++;
	s->type[i] = d->d_type;
	s->ino[i] = (ino_t)d->d_ino;
}

/*
 * Read up to @max_entries names (all if negative) with a small getdents64
 * buffer. Returns the number of entries read, or -1 with errno set.
 */
static int read_entries(int fd, struct seen *s, int max_entries)
{
	char buf[1024];
	int got = 0;

	for (;;) {
		ssize_t n = getdents64(fd, buf, sizeof(buf));

		if (n < 0)
			return -1;
		if (n == 0)
			return got;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			seen_add(s, d);
			got++;
			off += d->d_reclen;
		}
		if (max_entries >= 0 && got >= max_entries)
			return got;
	}
}

static void big_name(char *out, int i)
{
	snprintf(out, NAME_MAX_LEN, "entry-%04d-with-a-longer-name", i);
}

static void t_readdir_big(void)
{
	const char *name = "READDIR/READDIRPLUS 2000 entries, each once";
	struct seen s;
	int fd, n;

	SYS(mkdir(e2e_path("t/bigdir"), 0755));
	EXPECT(seen_init(&s, BIG_N) == 0, "calloc failed");
	for (int i = 0; i < BIG_N; i++) {
		char p[NAME_MAX_LEN + 8];

		big_name(s.names[i], i);
		snprintf(p, sizeof(p), "t/bigdir/%s", s.names[i]);
		/* Every 100th entry a directory, for d_type. */
		int r = i % 100 ? mknod(e2e_path(p), S_IFREG | 0644, 0) :
				  mkdir(e2e_path(p), 0755);
		if (r < 0) {
			seen_free(&s);
			FAIL("create %s: %s", p, strerror(errno));
		}
	}
	fd = open(e2e_path("t/bigdir"), O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		seen_free(&s);
		FAIL("opendir: %s", strerror(errno));
	}
	n = read_entries(fd, &s, -1);
	int e = errno;
	int c = close(fd);

	if (n < 0 || c < 0) {
		seen_free(&s);
		FAIL("getdents64/close: %s", strerror(n < 0 ? e : errno));
	}
	for (int i = 0; i < BIG_N; i++) {
		unsigned char want = i % 100 ? DT_REG : DT_DIR;
		char p[NAME_MAX_LEN + 8];
		struct stat st;
		int cnt = s.count[i], ty = s.type[i];

		if (cnt != 1 || ty != want) {
			seen_free(&s);
			FAIL("entry %d seen %d times, d_type %d", i, cnt, ty);
		}
		snprintf(p, sizeof(p), "t/bigdir/%s", s.names[i]);
		if (lstat(e2e_path(p), &st) < 0 || st.st_ino != s.ino[i]) {
			seen_free(&s);
			FAIL("%s: d_ino differs from st_ino", p);
		}
	}
	int dots = s.dots, unknown = s.unknown;

	seen_free(&s);
	EXPECT(dots == 2, "'.' and '..' seen %d times in all", dots);
	EXPECT(unknown == 0, "%d unexpected names", unknown);
	EXPECT(n == BIG_N + 2, "%d entries read", n);
	e2e_ok(name);
}

static void t_readdir_stdio(void)
{
	const char *name = "OPENDIR/READDIR via opendir(3), rewinddir, RELEASEDIR";
	int count = 0, count2 = 0;
	struct dirent *d;
	DIR *dir;

	dir = opendir(e2e_path("t/bigdir"));
	EXPECT(dir, "opendir: %s", strerror(errno));
	errno = 0;
	while ((d = readdir(dir)))
		count++;
	int e = errno;

	rewinddir(dir);
	while ((d = readdir(dir)))
		count2++;
	int c = closedir(dir);

	EXPECT(e == 0, "readdir: %s", strerror(e));
	EXPECT(count == BIG_N + 2 && count2 == BIG_N + 2,
	       "listed %d then %d entries", count, count2);
	EXPECT(c == 0, "closedir: %s", strerror(errno));
	e2e_ok(name);
}

static int mut_create(struct seen *s, int i, const char *prefix)
{
	char p[NAME_MAX_LEN + 8];

	snprintf(s->names[i], NAME_MAX_LEN, "%s%04d", prefix, i);
	snprintf(p, sizeof(p), "t/mut/%s", s->names[i]);
	return mknod(e2e_path(p), S_IFREG | 0644, 0);
}

static int mut_remove(struct seen *s, int i)
{
	char p[NAME_MAX_LEN + 8];

	snprintf(p, sizeof(p), "t/mut/%s", s->names[i]);
	return unlink(e2e_path(p));
}

/* Remove 50 seen and 50 unseen entries, create 100 new ones. */
static int mutate(struct seen *s, unsigned char *removed)
{
	int seen_rm = 0, unseen_rm = 0;

	for (int i = 0; i < MUT_N && (seen_rm < 50 || unseen_rm < 50); i++) {
		int *quota = s->count[i] ? &seen_rm : &unseen_rm;

		if (*quota >= 50 || i % 3)
			continue;
		if (mut_remove(s, i) < 0)
			return -1;
		removed[i] = 1;
		(*quota)++;
	}
	for (int i = MUT_N; i < MUT_N + 100; i++)
		if (mut_create(s, i, "new-") < 0)
			return -1;
	return 0;
}

/* Every untouched entry once, nothing twice, nothing unknown. */
static const char *mut_verdict(const struct seen *s,
			       const unsigned char *removed, int full)
{
	static char why[128];

	for (int i = 0; i < s->n; i++) {
		int c = s->count[i];
		int must = full ? !removed[i] : i < MUT_N && !removed[i];

		if (c > 1 || (must && c != 1) || (full && removed[i] && c)) {
			snprintf(why, sizeof(why), "%s seen %d times%s",
				 s->names[i], c,
				 removed[i] ? " (removed)" :
				 i >= MUT_N ? " (created)" : "");
			return why;
		}
	}
	if (s->unknown) {
		snprintf(why, sizeof(why), "unexpected name %s",
			 s->unknown_name);
		return why;
	}
	return NULL;
}

static void t_readdir_mutate(void)
{
	const char *name = "READDIR with entries created/removed mid-listing";
	unsigned char removed[MUT_N + 100] = { 0 };
	const char *why;
	struct seen s;
	int fd;

	SYS(mkdir(e2e_path("t/mut"), 0755));
	EXPECT(seen_init(&s, MUT_N + 100) == 0, "calloc failed");
	for (int i = 0; i < MUT_N; i++) {
		if (mut_create(&s, i, "old-") < 0) {
			seen_free(&s);
			FAIL("mknod: %s", strerror(errno));
		}
	}
	fd = open(e2e_path("t/mut"), O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		seen_free(&s);
		FAIL("open: %s", strerror(errno));
	}
	int first = read_entries(fd, &s, 200);
	int m = first < 0 ? -1 : mutate(&s, removed);
	int rest = m < 0 ? -1 : read_entries(fd, &s, -1);

	why = rest < 0 ? strerror(errno) : mut_verdict(&s, removed, 0);
	if (!why) {
		/* A fresh pass from offset 0 sees exactly the new state. */
		memset(s.count, 0, (size_t)s.n * sizeof(*s.count));
		s.unknown = 0;
		if (lseek(fd, 0, SEEK_SET) != 0 ||
		    read_entries(fd, &s, -1) < 0)
			why = strerror(errno);
		else
			why = mut_verdict(&s, removed, 1);
	}
	close(fd);
	seen_free(&s);
	EXPECT(!why, "%s", why);
	e2e_ok(name);
}

static void t_fsyncdir(void)
{
	const char *name = "FSYNCDIR fsync on a directory fd";
	int fd;

	fd = open(e2e_path("t/bigdir"), O_RDONLY | O_DIRECTORY);
	SYS(fd);
	int r = fsync(fd);
	int e = errno;
	int r2 = fdatasync(fd);
	int e2 = errno;

	close(fd);
	EXPECT(r == 0, "fsync(dir): %s", strerror(e));
	EXPECT(r2 == 0, "fdatasync(dir): %s", strerror(e2));
	e2e_ok(name);
}

static void t_readdir_empty(void)
{
	const char *name = "READDIR empty directory has only . and ..";
	struct seen s;
	int fd, n;

	SYS(mkdir(e2e_path("t/empty"), 0755));
	EXPECT(seen_init(&s, 1) == 0, "calloc failed");
	fd = open(e2e_path("t/empty"), O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		seen_free(&s);
		FAIL("open: %s", strerror(errno));
	}
	n = read_entries(fd, &s, -1);
	close(fd);
	int dots = s.dots, unknown = s.unknown;

	seen_free(&s);
	EXPECT(n == 2 && dots == 2 && unknown == 0,
	       "%d entries (%d dots, %d other)", n, dots, unknown);
	e2e_ok(name);
}

/* 255-byte names fill each READDIR reply with few, maximal entries. */
static void t_readdir_long_names(void)
{
	const char *name = "READDIR 150 entries with 255-byte names";
	char nm[NAME_MAX + 1], p[NAME_MAX + 16], buf[2048];
	int fd, count = 0, bad = 0;
	unsigned char seen[150] = { 0 };

	SYS(mkdir(e2e_path("t/longnames"), 0755));
	for (int i = 0; i < 150; i++) {
		memset(nm, 'a' + i % 26, NAME_MAX);
		nm[NAME_MAX] = '\0';
		snprintf(nm, 5, "%04d", i);
		nm[4] = '-';
		snprintf(p, sizeof(p), "t/longnames/%s", nm);
		SYS(mknod(e2e_path(p), S_IFREG | 0644, 0));
	}
	fd = open(e2e_path("t/longnames"), O_RDONLY | O_DIRECTORY);
	SYS(fd);
	for (;;) {
		ssize_t n = getdents64(fd, buf, sizeof(buf));

		if (n <= 0) {
			bad += n < 0;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			int i = atoi(d->d_name);

			off += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			count++;
			if (strlen(d->d_name) != NAME_MAX || i < 0 || i >= 150 ||
			    seen[i]++)
				bad++;
		}
	}
	close(fd);
	EXPECT(!bad && count == 150, "%d entries, %d bad or repeated", count,
	       bad);
	e2e_ok(name);
}

void e2e_run_dir(void)
{
	t_readdir_empty();
	t_readdir_big();
	t_readdir_stdio();
	t_readdir_mutate();
	t_readdir_long_names();
	t_fsyncdir();
}
