/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sparse files, SEEK_DATA/SEEK_HOLE, fallocate modes, st_blocks. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conform.h"

#define MIB (1024 * 1024)

static void stat_res(const char *name, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		cf_res(name, "%s", cf_errname(errno));
		return;
	}
	/* Allocation depends on the filesystem: only whether there is any. */
	cf_res(name, "size=%lld blocks%s", (long long)st.st_size,
	       st.st_blocks ? ">0" : "=0");
}

static void seek_res(const char *name, int fd, off_t off, int whence)
{
	off_t r = lseek(fd, off, whence);

	if (r < 0)
		cf_res(name, "%s", cf_errname(errno));
	else
		cf_res(name, "%lld", (long long)r);
}

/* Whether LEN bytes at OFF read back as zeros. */
static const char *zeros(int fd, off_t off, size_t len)
{
	char buf[4096];

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		ssize_t r = pread(fd, buf, n, off);

		if (r < 0)
			return cf_errname(errno);
		if ((size_t)r != n)
			return "short";
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return "data";
		len -= n;
		off += (off_t)n;
	}
	return "zeros";
}

static void sparse_cases(void)
{
	int fd = open("sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (cf_setup_rc("sparse", fd))
		return;
	cf_res("sparse.pwrite-1mib", "%zd", pwrite(fd, "data", 4, MIB));
	stat_res("sparse.stat", fd);
	seek_res("seek.data-from-0", fd, 0, SEEK_DATA);
	seek_res("seek.hole-from-0", fd, 0, SEEK_HOLE);
	seek_res("seek.hole-in-data", fd, MIB, SEEK_HOLE);
	seek_res("seek.data-at-eof", fd, MIB + 4, SEEK_DATA);
	seek_res("seek.hole-past-eof", fd, MIB + 10, SEEK_HOLE);
	seek_res("seek.data-negative", fd, -1, SEEK_DATA);
	cf_res("sparse.hole-reads", "%s", zeros(fd, 4096, 8192));
	if (ftruncate(fd, 4 * MIB) == 0) {
		stat_res("sparse.truncate-up", fd);
		seek_res("seek.data-after-truncate-up", fd, MIB + 4096,
			 SEEK_DATA);
	}
	close(fd);
	fd = open("empty", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		seek_res("seek.data-empty", fd, 0, SEEK_DATA);
		seek_res("seek.hole-empty", fd, 0, SEEK_HOLE);
		close(fd);
	}
}

static void falloc_case(const char *name, int fd, int mode, off_t off,
			off_t len)
{
	char sname[96];

	cf_rc(name, fallocate(fd, mode, off, len));
	snprintf(sname, sizeof(sname), "%s-stat", name);
	stat_res(sname, fd);
}

static void fallocate_cases(void)
{
	char data[4 * 4096];
	int fd, ro;

	fd = open("falloc", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (cf_setup_rc("falloc", fd))
		return;
	falloc_case("fallocate.default", fd, 0, 0, 64 * 1024);
	cf_res("fallocate.default-reads", "%s", zeros(fd, 0, 64 * 1024));
	falloc_case("fallocate.keep-size", fd, FALLOC_FL_KEEP_SIZE, 64 * 1024,
		    64 * 1024);
	memset(data, 'd', sizeof(data));
	if (pwrite(fd, data, sizeof(data), 0) != (ssize_t)sizeof(data))
		cf_setup_rc("falloc-write", -1);
	cf_rc("fallocate.punch-hole",
	      fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096,
			4096));
	cf_res("fallocate.punch-hole-reads", "%s %s", zeros(fd, 4096, 4096),
	       zeros(fd, 8192, 4096));
	seek_res("fallocate.punch-hole-seek-hole", fd, 0, SEEK_HOLE);
	cf_rc("fallocate.punch-without-keep-size",
	      fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
	cf_rc("fallocate.zero-range",
	      fallocate(fd, FALLOC_FL_ZERO_RANGE, 8192, 4096));
	cf_res("fallocate.zero-range-reads", "%s", zeros(fd, 8192, 4096));
	falloc_case("fallocate.zero-range-extend", fd, FALLOC_FL_ZERO_RANGE,
		    64 * 1024, 8192);
	falloc_case("fallocate.collapse-range", fd, FALLOC_FL_COLLAPSE_RANGE, 0,
		    4096);
	falloc_case("fallocate.insert-range", fd, FALLOC_FL_INSERT_RANGE, 0,
		    4096);
	cf_rc("fallocate.einval-len-0", fallocate(fd, 0, 0, 0));
	cf_rc("fallocate.einval-negative", fallocate(fd, 0, -1, 10));
	cf_rc("fallocate.unknown-mode", fallocate(fd, 0x4000, 0, 4096));
	close(fd);
	ro = open("falloc", O_RDONLY);
	if (ro >= 0) {
		cf_rc("fallocate.ebadf-rdonly", fallocate(ro, 0, 0, 4096));
		close(ro);
	}
	fd = open(".", O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		cf_rc("fallocate.dir", fallocate(fd, 0, 0, 4096));
		close(fd);
	}
}

static void truncate_cases(void)
{
	struct stat st;

	if (cf_mkfile("tr", 0644, 1000))
		return;
	cf_rc("truncate.grow", truncate("tr", 5000));
	if (stat("tr", &st) == 0)
		cf_res("truncate.grow-size", "size=%lld", (long long)st.st_size);
	cf_rc("truncate.shrink", truncate("tr", 10));
	if (stat("tr", &st) == 0)
		cf_res("truncate.shrink-size", "size=%lld", (long long)st.st_size);
	cf_rc("truncate.negative", truncate("tr", -1));
	cf_rc("truncate.eisdir", truncate(".", 0));
	cf_rc("truncate.enoent", truncate("tr-none", 0));
}

void cf_run_space(void)
{
	sparse_cases();
	fallocate_cases();
	truncate_cases();
}
