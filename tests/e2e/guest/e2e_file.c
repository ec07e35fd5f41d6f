/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File I/O: OPEN, CREATE, READ, WRITE, FLUSH, RELEASE, FSYNC, FALLOCATE
 * and LSEEK, plus the files under out/ that the host checks afterwards.
 */
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

#define MIB (1024 * 1024)

static void t_open(void)
{
	const char *name = "OPEN modes and errors";
	int fd;

	fd = open(e2e_path("host/hello.txt"), O_RDONLY);
	SYS(fd);
	SYS(close(fd));
	fd = open(e2e_path("t/ga"), O_RDWR);
	SYS(fd);
	SYS(close(fd));
	SYS_ERR(open(e2e_path("t/nonexistent"), O_RDONLY), ENOENT);
	SYS_ERR(open(e2e_path("t/ga"), O_RDONLY | O_DIRECTORY), ENOTDIR);
	SYS_ERR(open(e2e_path("t/d1"), O_WRONLY), EISDIR);
	fd = open(e2e_path("t/d1"), O_RDONLY | O_DIRECTORY);
	SYS(fd);
	SYS(close(fd));
	e2e_ok(name);
}

static void t_create(void)
{
	const char *name = "CREATE O_CREAT|O_EXCL, EEXIST, O_TRUNC";
	struct stat st;
	int fd;

	fd = open(e2e_path("t/cr"), O_RDWR | O_CREAT | O_EXCL, 0600);
	SYS(fd);
	ssize_t w = write(fd, "created", 7);
	int r = fstat(fd, &st);

	close(fd);
	EXPECT(w == 7 && r == 0, "write/fstat on new file");
	EXPECT(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600,
	       "mode %o", st.st_mode);
	EXPECT(st.st_uid == 0 && st.st_gid == 0, "owner %u:%u", st.st_uid,
	       st.st_gid);
	SYS_ERR(open(e2e_path("t/cr"), O_RDWR | O_CREAT | O_EXCL, 0600),
		EEXIST);
	fd = open(e2e_path("t/cr"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	SYS(fd);
	r = fstat(fd, &st);
	close(fd);
	EXPECT(r == 0 && st.st_size == 0, "size %jd after O_TRUNC",
	       (intmax_t)st.st_size);
	EXPECT((st.st_mode & 07777) == 0600,
	       "O_CREAT on an existing file changed mode to %o",
	       st.st_mode & 07777);
	SYS_ERR(open(e2e_path("t/no-dir/cr"), O_WRONLY | O_CREAT, 0644),
		ENOENT);
	e2e_ok(name);
}

static void t_rw_small(void)
{
	const char *name = "READ/WRITE small";
	char buf[32];
	int fd;

	fd = open(e2e_path("t/rw"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	SYS(fd);
	ssize_t w = write(fd, "hello, world", 12);
	ssize_t r1 = pread(fd, buf, sizeof(buf), 0);
	ssize_t r2 = pread(fd, buf + 16, 5, 7);
	ssize_t r3 = pread(fd, buf + 24, 4, 12);

	close(fd);
	EXPECT(w == 12, "write returned %zd", w);
	EXPECT(r1 == 12 && memcmp(buf, "hello, world", 12) == 0,
	       "read back %zd bytes", r1);
	EXPECT(r2 == 5 && memcmp(buf + 16, "world", 5) == 0,
	       "pread at offset 7 gave %zd", r2);
	EXPECT(r3 == 0, "pread at EOF gave %zd", r3);
	e2e_ok(name);
}

static int check_pattern_fd(int fd, size_t len, unsigned int seed,
			    size_t *bad)
{
	uint8_t buf[65536];
	size_t off = 0;

	while (off < len) {
		/* An odd chunk size crosses page and request boundaries. */
		size_t want = len - off < 40000 ? len - off : 40000;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n <= 0)
			return n < 0 ? -1 : -2;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != e2e_pattern(seed, off + (size_t)i)) {
				*bad = off + (size_t)i;
				return -3;
			}
		}
		off += (size_t)n;
	}
	return 0;
}

static void t_rw_1mib(void)
{
	const char *name = "READ/WRITE 1 MiB in one call";
	size_t len = MIB;
	uint8_t *buf = malloc(len);
	size_t bad = 0;
	int fd, r;

	EXPECT(buf, "malloc failed");
	e2e_fill_pattern(buf, len, 7, 0);
	fd = open(e2e_path("t/big"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		free(buf);
		FAIL("open: %s", strerror(errno));
	}
	ssize_t w = write(fd, buf, len);
	int e = errno;

	free(buf);
	if (w != (ssize_t)len) {
		close(fd);
		FAIL("write returned %zd (%s)", w, w < 0 ? strerror(e) : "short");
	}
	SYS(close(fd));
	fd = open(e2e_path("t/big"), O_RDONLY);
	SYS(fd);
	r = check_pattern_fd(fd, len, 7, &bad);
	e = errno;
	close(fd);
	EXPECT(r != -1, "pread: %s", strerror(e));
	EXPECT(r != -2, "short file");
	EXPECT(r == 0, "byte %zu differs", bad);
	e2e_ok(name);
}

static void t_rw_offsets(void)
{
	const char *name = "WRITE at offsets leaves zero-filled gaps";
	const off_t off = 3 * 4096 + 5;
	char buf[3 * 4096 + 16];
	struct stat st;
	int fd;

	fd = open(e2e_path("t/off"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	SYS(fd);
	ssize_t w1 = pwrite(fd, "XYZ", 3, off);
	ssize_t w2 = pwrite(fd, "ab", 2, 1);
	int r = fstat(fd, &st);
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	close(fd);
	EXPECT(w1 == 3 && w2 == 2 && r == 0, "pwrite/fstat failed");
	EXPECT(st.st_size == off + 3, "size %jd", (intmax_t)st.st_size);
	EXPECT(n == off + 3, "read %zd bytes", n);
	EXPECT(buf[0] == 0 && buf[1] == 'a' && buf[2] == 'b',
	       "head bytes differ");
	for (off_t i = 3; i < off; i++)
		EXPECT(buf[i] == 0, "gap byte %jd is %#x", (intmax_t)i,
		       (unsigned char)buf[i]);
	EXPECT(memcmp(buf + off, "XYZ", 3) == 0, "data at offset differs");
	e2e_ok(name);
}

static void t_rw_64bit(void)
{
	const char *name = "WRITE/READ beyond 4 GiB (64-bit offsets)";
	const off_t off = 5LL * 1024 * 1024 * 1024 + 3;
	char buf[8] = { 0 };
	struct stat st;
	int fd;

	fd = open(e2e_path("t/huge"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	SYS(fd);
	ssize_t w = pwrite(fd, "far", 3, off);
	int e = errno;
	int r = fstat(fd, &st);
	ssize_t n = pread(fd, buf, sizeof(buf), off - 2);
	int c = close(fd);

	EXPECT(w == 3, "pwrite at %jd: %zd (%s)", (intmax_t)off, w,
	       strerror(e));
	EXPECT(r == 0 && st.st_size == off + 3, "size %jd",
	       (intmax_t)st.st_size);
	EXPECT(n == 5 && memcmp(buf, "\0\0far", 5) == 0, "read back %zd", n);
	EXPECT(c == 0, "close: %s", strerror(errno));
	SYS(unlink(e2e_path("t/huge")));
	e2e_ok(name);
}

/* One writer process: its own file, written in odd chunks, read back. */
static int parallel_child(int id)
{
	const size_t len = 3 * MIB + 1234;
	uint8_t *buf = malloc(len), *back = malloc(len);
	char rel[32];
	int fd, ok = 0;

	snprintf(rel, sizeof(rel), "t/par-%d", id);
	if (!buf || !back)
		return 1;
	e2e_fill_pattern(buf, len, 100 + (unsigned int)id, 0);
	fd = open(e2e_path(rel), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		size_t off = 0;

		while (off < len) {
			size_t n = len - off < 77777 ? len - off : 77777;

			if (pwrite(fd, buf + off, n, (off_t)off) != (ssize_t)n)
				break;
			off += n;
		}
		ok = off == len && pread(fd, back, len, 0) == (ssize_t)len &&
		     memcmp(buf, back, len) == 0;
		ok &= close(fd) == 0;
	}
	free(buf);
	free(back);
	return ok ? 0 : 1;
}

static void t_parallel(void)
{
	const char *name = "READ/WRITE from 4 processes at once";
	pid_t pids[4];
	int bad = 0;

	fflush(stdout);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(parallel_child(i));
		if (pids[i] < 0)
			bad++;
	}
	for (int i = 0; i < 4; i++) {
		int status;

		if (pids[i] > 0 && (waitpid(pids[i], &status, 0) < 0 ||
				    !WIFEXITED(status) || WEXITSTATUS(status)))
			bad++;
	}
	EXPECT(!bad, "%d of 4 writers failed or read back other data", bad);
	e2e_ok(name);
}

static void t_append(void)
{
	const char *name = "WRITE with O_APPEND";
	char buf[32];
	ssize_t n;
	int fd;

	SYS(e2e_write_file(e2e_path("t/app"), "base", 4, 0644));
	fd = open(e2e_path("t/app"), O_WRONLY | O_APPEND);
	SYS(fd);
	ssize_t w1 = write(fd, "-one", 4);
	off_t s = lseek(fd, 0, SEEK_SET);
	ssize_t w2 = write(fd, "-two", 4);

	close(fd);
	EXPECT(w1 == 4 && w2 == 4 && s == 0, "write/lseek failed");
	n = e2e_read_file(e2e_path("t/app"), buf, sizeof(buf));
	EXPECT(n == 12 && memcmp(buf, "base-one-two", 12) == 0,
	       "content '%.*s'", (int)(n > 0 ? n : 0), buf);
	e2e_ok(name);
}

static void t_flush_release(void)
{
	const char *name = "FLUSH/RELEASE on close, dup'ed fds";
	char buf[16];
	ssize_t n;
	int fd, fd2;

	fd = open(e2e_path("t/fl"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	SYS(fd);
	fd2 = dup(fd);
	if (fd2 < 0) {
		close(fd);
		FAIL("dup: %s", strerror(errno));
	}
	ssize_t w = write(fd2, "flushed", 7);
	int c2 = close(fd2);
	ssize_t w2 = write(fd, "!", 1);
	int c1 = close(fd);

	EXPECT(w == 7 && w2 == 1, "writes failed");
	EXPECT(c2 == 0 && c1 == 0, "close returned %d/%d", c2, c1);
	n = e2e_read_file(e2e_path("t/fl"), buf, sizeof(buf));
	EXPECT(n == 8 && memcmp(buf, "flushed!", 8) == 0,
	       "content after close");
	/* Many open/close cycles: every handle must be released. */
	for (int i = 0; i < 2000; i++) {
		fd = open(e2e_path("t/fl"), O_RDONLY);
		SYS(fd);
		SYS(close(fd));
	}
	e2e_ok(name);
}

static void t_fsync(void)
{
	const char *name = "FSYNC fsync and fdatasync";
	int fd;

	fd = open(e2e_path("t/fs"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	SYS(fd);
	ssize_t w = write(fd, "sync me", 7);
	int r1 = fsync(fd);
	int e1 = errno;
	ssize_t w2 = write(fd, "!", 1);
	int r2 = fdatasync(fd);
	int e2 = errno;

	close(fd);
	EXPECT(w == 7 && w2 == 1, "writes failed");
	EXPECT(r1 == 0, "fsync: %s", strerror(e1));
	EXPECT(r2 == 0, "fdatasync: %s", strerror(e2));
	e2e_ok(name);
}

static void t_fallocate(void)
{
	const char *name = "FALLOCATE grow, KEEP_SIZE, PUNCH_HOLE";
	uint8_t buf[16384];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(e2e_path("t/fa"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	SYS(fd);
	memset(buf, 0xab, sizeof(buf));
	int r0 = fallocate(fd, 0, 0, MIB);
	int e0 = errno;
	int r1 = fstat(fd, &st);
	off_t size_grown = st.st_size;
	int r2 = fallocate(fd, FALLOC_FL_KEEP_SIZE, MIB, MIB);
	int e2 = errno;
	int r3 = fstat(fd, &st);
	off_t size_kept = st.st_size;
	ssize_t w = pwrite(fd, buf, sizeof(buf), 0);
	int r4 = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			   4096, 8192);
	int e4 = errno;

	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	EXPECT(r0 == 0, "fallocate(0): %s", strerror(e0));
	EXPECT(r1 == 0 && size_grown == MIB, "size %jd after fallocate",
	       (intmax_t)size_grown);
	EXPECT(r2 == 0, "fallocate(KEEP_SIZE): %s", strerror(e2));
	EXPECT(r3 == 0 && size_kept == MIB, "size %jd after KEEP_SIZE",
	       (intmax_t)size_kept);
	EXPECT(w == (ssize_t)sizeof(buf), "pwrite %zd", w);
	EXPECT(r4 == 0, "fallocate(PUNCH_HOLE): %s", strerror(e4));
	EXPECT(n == (ssize_t)sizeof(buf), "pread %zd", n);
	for (int i = 0; i < (int)sizeof(buf); i++) {
		uint8_t want = i >= 4096 && i < 12288 ? 0 : 0xab;

		EXPECT(buf[i] == want, "byte %d is %#x, expected %#x", i,
		       buf[i], want);
	}
	SYS(stat(e2e_path("t/fa"), &st));
	EXPECT(st.st_size == MIB, "size %jd after punch", (intmax_t)st.st_size);
	e2e_ok(name);
}

static void t_lseek(void)
{
	const char *name = "LSEEK SEEK_DATA/SEEK_HOLE on a sparse file";
	uint8_t blk[4096];
	int fd;

	memset(blk, 0x5a, sizeof(blk));
	fd = open(e2e_path("t/sp"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	SYS(fd);
	ssize_t w1 = pwrite(fd, blk, sizeof(blk), 0);
	ssize_t w2 = pwrite(fd, blk, sizeof(blk), MIB);
	int fs = fsync(fd);
	off_t hole0 = lseek(fd, 0, SEEK_HOLE);
	off_t data1 = lseek(fd, 4096, SEEK_DATA);
	off_t hole1 = lseek(fd, MIB, SEEK_HOLE);
	off_t data0 = lseek(fd, 0, SEEK_DATA);
	off_t end = lseek(fd, 0, SEEK_END);
	off_t past = lseek(fd, MIB + 4096, SEEK_DATA);
	int epast = errno;

	close(fd);
	EXPECT(w1 == 4096 && w2 == 4096 && fs == 0, "setup writes failed");
	EXPECT(data0 == 0, "SEEK_DATA from 0 gave %jd", (intmax_t)data0);
	EXPECT(hole0 == 4096, "SEEK_HOLE from 0 gave %jd", (intmax_t)hole0);
	EXPECT(data1 == MIB, "SEEK_DATA from 4096 gave %jd", (intmax_t)data1);
	EXPECT(hole1 == MIB + 4096, "SEEK_HOLE from 1 MiB gave %jd",
	       (intmax_t)hole1);
	EXPECT(end == MIB + 4096, "SEEK_END gave %jd", (intmax_t)end);
	EXPECT(past == -1 && epast == ENXIO,
	       "SEEK_DATA at EOF gave %jd (%s), expected ENXIO",
	       (intmax_t)past, strerror(epast));
	e2e_ok(name);
}

/* Files under out/ are checked by the host once the guest is gone. */
static void t_out_root(void)
{
	const char *name = "out/ files for the host (root)";

	SYS(e2e_write_file(e2e_path("out/root.txt"), E2E_ROOT_TEXT,
			   strlen(E2E_ROOT_TEXT), 0644));
	SYS(link(e2e_path("out/root.txt"), e2e_path("out/root-link.txt")));
	SYS(symlink("root.txt", e2e_path("out/symlink")));
	SYS(e2e_write_file(e2e_path("out/before-rename"), "renamed\n", 8,
			   0644));
	SYS(rename(e2e_path("out/before-rename"),
		   e2e_path("out/after-rename")));
	SYS(mkdir(e2e_path("out/dir"), 0710));
	SYS(e2e_write_file(e2e_path("out/deleted"), "x", 1, 0644));
	SYS(unlink(e2e_path("out/deleted")));
	e2e_ok(name);
}

void e2e_run_file(void)
{
	t_open();
	t_create();
	t_rw_small();
	t_rw_1mib();
	t_rw_offsets();
	t_rw_64bit();
	t_parallel();
	t_append();
	t_flush_release();
	t_fsync();
	t_fallocate();
	t_lseek();
	t_out_root();
}
