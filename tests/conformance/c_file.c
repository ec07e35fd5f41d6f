/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading and writing: open flags, EBADF, O_TMPFILE, copy_file_range, sync. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conform.h"

static long long size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (long long)st.st_size;
}

static void rw_cases(void)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open("rw", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (cf_setup_rc("rw", fd))
		return;
	n = write(fd, "0123456789", 10);
	cf_res("write.returns", "%zd", n);
	n = pread(fd, buf, sizeof(buf), 0);
	cf_expect("read.roundtrip", n == 10 && !memcmp(buf, "0123456789", 10),
		  "mismatch");
	cf_res("pread.past-eof", "%zd", pread(fd, buf, sizeof(buf), 100));
	cf_res("pwrite.past-eof", "%zd", pwrite(fd, "x", 1, 20));
	cf_res("pwrite.past-eof-size", "size=%lld", size_of("rw"));
	n = pread(fd, buf, 10, 10);
	cf_expect("pwrite.gap-reads-zero", n == 10 && buf[0] == 0 && buf[9] == 0,
		  "nonzero");
	cf_res("lseek.end", "%lld", (long long)lseek(fd, 0, SEEK_END));
	cf_rc("lseek.negative", lseek(fd, -1, SEEK_SET));
	cf_rc("lseek.bad-whence", lseek(fd, 0, 77));
	cf_rc("pwrite.negative-offset", pwrite(fd, "x", 1, -1));
	close(fd);

	fd = open("rw", O_RDONLY);
	if (cf_setup_rc("rw-ro", fd))
		return;
	cf_rc("write.ebadf-rdonly", write(fd, "x", 1));
	cf_rc("ftruncate.rdonly", ftruncate(fd, 0));
	close(fd);
	fd = open("rw", O_WRONLY);
	if (cf_setup_rc("rw-wo", fd))
		return;
	cf_rc("read.ebadf-wronly", read(fd, buf, 1));
	close(fd);
	cf_rc("read.ebadf-closed", read(fd, buf, 1));
	fd = open("rw", O_PATH);
	if (cf_setup_rc("rw-path", fd))
		return;
	cf_rc("read.ebadf-opath", read(fd, buf, 1));
	close(fd);
	fd = open(".", O_RDONLY | O_DIRECTORY);
	if (cf_setup_rc("dir", fd))
		return;
	cf_rc("read.eisdir", read(fd, buf, 1));
	close(fd);
	cf_fd("open.eisdir-rdwr", open(".", O_RDWR));
}

static void flag_cases(void)
{
	char buf[32];
	ssize_t n;
	int fd;

	if (cf_mkfile("trunc", 0644, 100))
		return;
	fd = open("trunc", O_WRONLY | O_TRUNC);
	cf_rc("open.trunc", fd);
	if (fd >= 0)
		close(fd);
	cf_res("open.trunc-size", "size=%lld", size_of("trunc"));
	if (cf_mkfile("trunc2", 0644, 100))
		return;
	fd = open("trunc2", O_RDONLY | O_TRUNC);
	if (fd >= 0)
		close(fd);
	cf_res("open.trunc-rdonly-size", "size=%lld", size_of("trunc2"));

	fd = open("app", O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
	if (cf_setup_rc("app", fd))
		return;
	n = write(fd, "abc", 3);
	if (lseek(fd, 0, SEEK_SET) == 0)
		n += write(fd, "def", 3);
	cf_res("open.append-writes", "%zd size=%lld", n, size_of("app"));
	cf_res("open.append-pwrite", "%zd size=%lld", pwrite(fd, "g", 1, 0),
	       size_of("app"));
	cf_res("open.append-offset", "%lld", (long long)lseek(fd, 0, SEEK_CUR));
	close(fd);
	n = cf_read_file("app", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	cf_res("open.append-content", "%s", buf);

	fd = open("app", O_WRONLY);
	if (fd >= 0) {
		cf_rc("fcntl.setfl-append", fcntl(fd, F_SETFL, O_APPEND));
		n = write(fd, "h", 1);
		cf_res("fcntl.setfl-append-size", "%zd size=%lld", n,
		       size_of("app"));
		close(fd);
	}
	fd = open("excl", O_RDWR | O_CREAT | O_EXCL, 0600);
	cf_rc("open.excl-new", fd);
	if (fd >= 0)
		close(fd);
	cf_fd("open.excl-again", open("excl", O_RDWR | O_CREAT | O_EXCL, 0600));
	cf_fd("open.excl-without-creat", open("excl", O_RDWR | O_EXCL));
}

static void tmpfile_cases(void)
{
	char proc[64];
	struct stat st;
	int fd;

	cf_fd("tmpfile.on-file", (cf_mkfile("tmp-file", 0644, 0),
				  open("tmp-file", O_TMPFILE | O_RDWR, 0600)));
	cf_fd("tmpfile.rdonly", open(".", O_TMPFILE | O_RDONLY, 0600));
	fd = open(".", O_TMPFILE | O_RDWR, 0600);
	cf_rc("tmpfile.open", fd);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0)
		cf_res("tmpfile.fstat", "nlink=%lu mode=%o",
		       (unsigned long)st.st_nlink, st.st_mode & 07777);
	cf_res("tmpfile.write", "%zd", write(fd, "tmp", 3));
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	cf_rc("tmpfile.linkat", linkat(AT_FDCWD, proc, AT_FDCWD, "tmp-linked",
				       AT_SYMLINK_FOLLOW));
	if (stat("tmp-linked", &st) == 0)
		cf_res("tmpfile.linked", "nlink=%lu size=%lld",
		       (unsigned long)st.st_nlink, (long long)st.st_size);
	close(fd);
	fd = open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600);
	if (fd >= 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		cf_rc("tmpfile.excl-linkat",
		      linkat(AT_FDCWD, proc, AT_FDCWD, "tmp-excl",
			     AT_SYMLINK_FOLLOW));
		close(fd);
	} else {
		cf_rc("tmpfile.excl-linkat", fd);
	}
}

static void copy_range_cases(void)
{
	char buf[8192];
	loff_t in_off = 0, out_off = 0;
	ssize_t n;
	int in, out, wr;

	if (cf_mkfile("cfr-src", 0644, 6000))
		return;
	in = open("cfr-src", O_RDONLY);
	out = open("cfr-dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (cf_setup_rc("cfr", in) || cf_setup_rc("cfr", out))
		return;
	n = copy_file_range(in, &in_off, out, &out_off, 4096, 0);
	cf_res("copy_file_range.copied", "%zd", n);
	cf_res("copy_file_range.offsets", "in=%lld out=%lld",
	       (long long)in_off, (long long)out_off);
	n = copy_file_range(in, &in_off, out, &out_off, 8192, 0);
	cf_res("copy_file_range.short-at-eof", "%zd", n);
	cf_res("copy_file_range.at-eof", "%zd",
	       copy_file_range(in, &in_off, out, &out_off, 10, 0));
	n = pread(out, buf, sizeof(buf), 0);
	cf_expect("copy_file_range.content", n == 6000 && buf[0] == 'x' &&
		  buf[5999] == 'x', "mismatch");
	in_off = 0;
	out_off = 100;
	cf_rc("copy_file_range.same-file-overlap",
	      copy_file_range(out, &in_off, out, &out_off, 1000, 0));
	cf_rc("copy_file_range.same-fd-same-offset",
	      copy_file_range(out, NULL, out, NULL, 10, 0));
	cf_rc("copy_file_range.einval-flags",
	      copy_file_range(in, NULL, out, NULL, 10, 1));
	wr = open("cfr-src", O_WRONLY);
	if (wr >= 0) {
		cf_rc("copy_file_range.ebadf-in-wronly",
		      copy_file_range(wr, NULL, out, NULL, 10, 0));
		close(wr);
	}
	cf_rc("copy_file_range.ebadf-out-rdonly",
	      copy_file_range(out, NULL, in, NULL, 10, 0));
	close(in);
	close(out);
}

static void sync_cases(void)
{
	int fd = open("sync", O_RDWR | O_CREAT, 0644);

	if (cf_setup_rc("sync", fd))
		return;
	cf_res("fsync.after-write", "%zd %s", write(fd, "s", 1),
	       fsync(fd) ? cf_errname(errno) : "ok");
	cf_rc("fdatasync.ok", fdatasync(fd));
	cf_rc("syncfs.ok", syncfs(fd));
	close(fd);
	fd = open(".", O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		cf_rc("fsync.dir", fsync(fd));
		close(fd);
	}
}

void cf_run_file(void)
{
	rw_cases();
	flag_cases();
	tmpfile_cases();
	copy_range_cases();
	sync_cases();
}
