/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's side of the live migration test (tests/migrate): a program
 * that does, while the VM moves from one host daemon to another, what
 * made the Rust virtiofsd abort a migration, and more:
 *  - appends numbered records to a file it holds open (log),
 *  - overwrites blocks of another file it holds open read-write (data),
 *  - replaces a third file by rename every few rounds (cfg.tmp -> cfg),
 *  - reads a host-made file through an fd opened at the start (ro),
 *  - lists a directory through a handle opened at the start, one entry a
 *    round, rewinding at its end (dir),
 *  - reads a file a host process keeps replacing by rename (hostcfg): the
 *    guest's kernel may still know a replaced one when the VM moves,
 *    which must neither fail the migration nor reach the program (ESTALE
 *    makes the kernel look the name up again),
 * until the host creates DIR/stop (or SECONDS pass). Then it writes
 * DIR/result, and prints TAP lines of its own checks.
 *
 *   mig_writer run DIR SECONDS        in the guest
 *   mig_writer verify DIR             on the host, afterwards: every
 *                                     byte of log, data and cfg as the
 *                                     rounds of DIR/result must have left
 *                                     them; TAP lines
 *   mig_writer prepare DIR            on the host, before: ro and dir
 *   mig_writer hostcfg DIR V          on the host: hostcfg, version V, put
 *                                     in place by rename
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REC 512u		/* bytes of a log record */
#define BLK 4096u		/* bytes of a data block */
#define NBLK 64u		/* blocks of data */
#define RO_SIZE (64u * 1024u)
#define DIR_ENTRIES 40u
#define CFG_EVERY 4u		/* rounds between replacements of cfg */

static int tap_n, tap_fail;

static void check(const char *what, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(const char *what, int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - %s", ok ? "ok" : "not ok", ++tap_n, what);
	if (!ok && fmt) {
		printf(": ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	printf("\n");
	fflush(stdout);
	tap_fail += !ok;
}

/* Word k of the bytes round r wrote at off of a file (tag a file's id). */
static uint64_t word(uint32_t tag, uint64_t r, uint64_t off, size_t k)
{
	return ((uint64_t)tag << 56 | r << 24 | (off + 8 * k)) ^
	       0x9e3779b97f4a7c15ull;
}

static void fill(void *buf, size_t len, uint32_t tag, uint64_t r,
		 uint64_t off)
{
	uint64_t *w = buf;

	for (size_t k = 0; k < len / 8; k++)
		w[k] = word(tag, r, off, k);
}

static int same(const void *buf, size_t len, uint32_t tag, uint64_t r,
		uint64_t off)
{
	const uint64_t *w = buf;

	for (size_t k = 0; k < len / 8; k++)
		if (w[k] != word(tag, r, off, k))
			return 0;
	return 1;
}

static char *path(const char *dir, const char *name)
{
	static char p[4][4096];
	static int n;
	char *s = p[n++ % 4];

	snprintf(s, sizeof(p[0]), "%s/%s", dir, name);
	return s;
}

static int full_write(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/* The round that last wrote block b, of rounds 0..n-1 (-1: none). */
static long last_writer(unsigned long n, unsigned int b)
{
	for (unsigned long r = n; r-- > 0;)
		if ((r * 7) % NBLK == b)
			return (long)r;
	return -1;
}

static int prepare(const char *dir)
{
	static uint8_t buf[RO_SIZE];
	int fd;

	fill(buf, sizeof(buf), 3, 0, 0);
	fd = open(path(dir, "ro"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || full_write(fd, buf, sizeof(buf), 0) || close(fd))
		return 1;
	if (mkdir(path(dir, "dir"), 0755) && errno != EEXIST)
		return 1;
	for (unsigned int k = 0; k < DIR_ENTRIES; k++) {
		char name[32];

		snprintf(name, sizeof(name), "dir/e%02u", k);
		fd = open(path(dir, name), O_WRONLY | O_CREAT, 0644);
		if (fd < 0 || close(fd))
			return 1;
	}
	return 0;
}

struct held {
	int log, data, ro;
	DIR *d;
	unsigned long ro_bad, dir_bad, dir_seen, io_err;
	unsigned long host_reads, host_bad;
};

/* A whole version of hostcfg, whichever it is. */
static int read_hostcfg(const char *dir)
{
	static uint8_t buf[REC + 1];
	uint64_t v;
	int fd = open(path(dir, "hostcfg"), O_RDONLY);
	ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf), 0);

	if (fd >= 0)
		close(fd);
	if (n != REC)
		return -1;
	memcpy(&v, buf, 8);
	v = ((v ^ 0x9e3779b97f4a7c15ull) >> 24) & 0xffffffffu;
	return same(buf, REC, 5, v, 0) ? 0 : -1;
}

static int write_hostcfg(const char *dir, uint64_t v)
{
	static uint8_t buf[REC];
	int fd;

	fill(buf, REC, 5, v, 0);
	fd = open(path(dir, "hostcfg.tmp"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || full_write(fd, buf, REC, 0) || close(fd))
		return 1;
	return rename(path(dir, "hostcfg.tmp"), path(dir, "hostcfg")) != 0;
}

static int stop_asked(const char *dir, time_t until)
{
	struct stat st;

	return !stat(path(dir, "stop"), &st) || time(NULL) >= until;
}

/* One round r of everything the held files see. */
static void round_once(const char *dir, struct held *h, unsigned long r)
{
	static uint8_t rec[REC], blk[BLK], ro[BLK];
	unsigned int b = (unsigned int)((r * 7) % NBLK);
	struct dirent *e;
	off_t roff = (off_t)((r * 4096 * 3) % RO_SIZE);
	int fd;

	fill(rec, REC, 1, r, 0);
	if (write(h->log, rec, REC) != REC)
		h->io_err++;
	fill(blk, BLK, 2, r, (uint64_t)b * BLK);
	if (full_write(h->data, blk, BLK, (off_t)b * BLK))
		h->io_err++;
	if (r % CFG_EVERY == 0) {
		fill(rec, REC, 4, r, 0);
		fd = open(path(dir, "cfg.tmp"), O_WRONLY | O_CREAT | O_TRUNC,
			  0644);
		if (fd < 0 || full_write(fd, rec, REC, 0) || fsync(fd) ||
		    close(fd) ||
		    rename(path(dir, "cfg.tmp"), path(dir, "cfg")))
			h->io_err++;
	}
	if (r % 8 == 0 && fsync(h->log))
		h->io_err++;
	if (!stat(path(dir, "hostcfg"), &(struct stat){ 0 })) {
		h->host_reads++;
		h->host_bad += read_hostcfg(dir) != 0;
	}
	if (pread(h->ro, ro, BLK, roff) != BLK ||
	    !same(ro, BLK, 3, 0, (uint64_t)roff))
		h->ro_bad++;
	errno = 0;
	e = readdir(h->d);
	if (!e && errno)
		h->dir_bad++;
	else if (!e)
		rewinddir(h->d);
	else if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		 (strncmp(e->d_name, "e", 1) || atoi(e->d_name + 1) >=
						     (int)DIR_ENTRIES))
		h->dir_bad++;
	else
		h->dir_seen++;
}

static int run(const char *dir, int seconds)
{
	static uint8_t zero[NBLK * BLK];
	time_t until = time(NULL) + seconds;
	struct held h = { 0 };
	unsigned long r = 0;
	FILE *f;
	int fd;

	h.log = open(path(dir, "log"), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
		     0644);
	h.data = open(path(dir, "data"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	h.ro = open(path(dir, "ro"), O_RDONLY);
	h.d = opendir(path(dir, "dir"));
	check("opened the files it holds", h.log >= 0 && h.data >= 0 &&
	      h.ro >= 0 && h.d, "%s", strerror(errno));
	if (h.log < 0 || h.data < 0 || h.ro < 0 || !h.d ||
	    full_write(h.data, zero, sizeof(zero), 0))
		return 1;
	fd = open(path(dir, "running"), O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
	while (!stop_asked(dir, until))
		round_once(dir, &h, r++);
	check("every write and rename succeeded", !h.io_err, "%lu failed",
	      h.io_err);
	check("the held read-only file read back right", !h.ro_bad,
	      "%lu bad reads", h.ro_bad);
	check("the held directory listed its entries", !h.dir_bad &&
	      h.dir_seen > 0, "%lu bad, %lu seen", h.dir_bad, h.dir_seen);
	check("every read of the file the host replaces saw a whole version",
	      !h.host_bad, "%lu of %lu failed", h.host_bad, h.host_reads);
	check("stopped by the host, not the clock", time(NULL) < until,
	      "%d s passed", seconds);
	if (fsync(h.log) || fsync(h.data) || close(h.log) || close(h.data) ||
	    close(h.ro) || closedir(h.d))
		check("files closed", 0, "%s", strerror(errno));
	f = fopen(path(dir, "result"), "w");
	if (!f || fprintf(f, "%lu\n", r) < 0 || fclose(f))
		check("result written", 0, "%s", strerror(errno));
	printf("# %lu rounds, %lu reads of hostcfg\n", r, h.host_reads);
	return tap_fail != 0;
}

/* The host's check of every byte the rounds left. */
static int verify(const char *dir)
{
	static uint8_t buf[NBLK * BLK];
	unsigned long n = 0, bad = 0;
	struct stat st;
	long w;
	FILE *f = fopen(path(dir, "result"), "r");
	int fd;

	check("result written by the guest", f && fscanf(f, "%lu", &n) == 1 &&
	      n > 0, "no rounds");
	if (f)
		fclose(f);
	fd = open(path(dir, "log"), O_RDONLY);
	check("log holds one record per round",
	      fd >= 0 && !fstat(fd, &st) && (unsigned long)st.st_size == n * REC,
	      "%lld bytes for %lu rounds", fd >= 0 ? (long long)st.st_size : -1,
	      n);
	for (unsigned long r = 0; fd >= 0 && r < n; r++)
		if (pread(fd, buf, REC, (off_t)(r * REC)) != REC ||
		    !same(buf, REC, 1, r, 0))
			bad++;
	check("every log record is the round's, in order", fd >= 0 && !bad,
	      "%lu bad records", bad);
	if (fd >= 0)
		close(fd);
	bad = 0;
	fd = open(path(dir, "data"), O_RDONLY);
	if (fd < 0 || pread(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		bad = NBLK;
	for (unsigned int b = 0; b < NBLK && bad < NBLK; b++) {
		const uint8_t *p = buf + (size_t)b * BLK;

		w = last_writer(n, b);
		/* A block no round wrote is still the zeros of the start. */
		if (w < 0 ? p[0] || memcmp(p, p + 1, BLK - 1) :
			    !same(p, BLK, 2, (uint64_t)w, (uint64_t)b * BLK))
			bad++;
	}
	check("every data block holds its last writer's bytes", !bad,
	      "%lu bad blocks", bad);
	if (fd >= 0)
		close(fd);
	fd = open(path(dir, "cfg"), O_RDONLY);
	w = (long)(((n - 1) / CFG_EVERY) * CFG_EVERY);
	check("cfg is the last round's replacement",
	      fd >= 0 && pread(fd, buf, REC + 1, 0) == REC &&
	      same(buf, REC, 4, (uint64_t)w, 0), "not round %ld's", w);
	if (fd >= 0)
		close(fd);
	check("no cfg.tmp left", stat(path(dir, "cfg.tmp"), &st) && errno ==
	      ENOENT, "still there");
	printf("1..%d\n", tap_n);
	return tap_fail != 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "run")) {
		int rc = run(argv[2], atoi(argv[3]));

		printf("1..%d\n", tap_n);
		return rc;
	}
	if (argc == 3 && !strcmp(argv[1], "verify"))
		return verify(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "prepare"))
		return prepare(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "hostcfg"))
		return write_hostcfg(argv[2], strtoull(argv[3], NULL, 10));
	fprintf(stderr, "usage: mig_writer run DIR SECONDS | verify DIR | "
		"prepare DIR | hostcfg DIR V\n");
	return 2;
}
