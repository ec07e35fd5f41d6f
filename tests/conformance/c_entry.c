/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names: mkdir, rmdir, unlink, open(O_CREAT), symlink, readlink, link, mknod. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "conform.h"

/* A name of LEN times C in BUF (which holds LEN + 1). */
static const char *long_name(char *buf, char c, size_t len)
{
	memset(buf, c, len);
	buf[len] = '\0';
	return buf;
}

static void mkdir_cases(void)
{
	char name[300];
	struct stat a, b;

	if (cf_mkdir("d", 0755))
		return;
	cf_rc("mkdir.ok", mkdir("d/sub", 0755));
	cf_rc("mkdir.eexist", mkdir("d/sub", 0755));
	cf_rc("mkdir.eexist-file", (cf_mkfile("d/f", 0644, 0), mkdir("d/f", 0755)));
	cf_rc("mkdir.enoent-parent", mkdir("d/missing/x", 0755));
	cf_rc("mkdir.enotdir-parent", mkdir("d/f/x", 0755));
	cf_rc("mkdir.name-255", mkdir(long_name(name, 'd', 255), 0755));
	cf_rc("mkdir.enametoolong-256", mkdir(long_name(name, 'd', 256), 0755));
	if (stat("d/sub", &a) == 0)
		cf_res("mkdir.new-nlink", "nlink=%lu", (unsigned long)a.st_nlink);
	if (stat("d", &a) == 0 && mkdir("d/sub2", 0700) == 0 &&
	    stat("d", &b) == 0)
		cf_res("mkdir.parent-nlink-delta", "%ld",
		       (long)b.st_nlink - (long)a.st_nlink);
	if (stat("d/sub2", &a) == 0)
		cf_res("mkdir.mode-0700", "%o", a.st_mode & 07777);
	umask(077);
	if (mkdir("d/sub3", 0777) == 0 && stat("d/sub3", &a) == 0)
		cf_res("mkdir.umask-077", "%o", a.st_mode & 07777);
	umask(022);
}

static void rmdir_cases(void)
{
	if (cf_mkdir("r", 0755) || cf_mkdir("r/full", 0755) ||
	    cf_mkdir("r/empty", 0755) || cf_mkfile("r/full/f", 0644, 0))
		return;
	cf_rc("rmdir.ok", rmdir("r/empty"));
	cf_rc("rmdir.enoent", rmdir("r/empty"));
	cf_rc("rmdir.enotempty", rmdir("r/full"));
	cf_rc("rmdir.enotdir", rmdir("r/full/f"));
	cf_rc("rmdir.dot", rmdir("r/full/."));
	cf_rc("rmdir.dotdot", rmdir("r/full/.."));
	cf_rc("unlink.ok", unlink("r/full/f"));
	cf_rc("unlink.enoent", unlink("r/full/f"));
	cf_rc("unlink.eisdir", unlink("r/full"));
	cf_rc("unlink.enotdir-parent",
	      (cf_mkfile("r/g", 0644, 0), unlink("r/g/x")));
	cf_rc("rmdir.after-empty", rmdir("r/full"));
}

static void open_create_cases(void)
{
	char name[PATH_MAX + 16];
	int fd;

	if (cf_mkdir("o", 0755) || cf_mkfile("o/exists", 0644, 10))
		return;
	fd = open("o/new", O_WRONLY | O_CREAT, 0640);
	cf_rc("open.creat", fd);
	if (fd >= 0)
		close(fd);
	cf_fd("open.creat-excl-eexist",
	      open("o/exists", O_WRONLY | O_CREAT | O_EXCL, 0644));
	fd = open("o/exists", O_WRONLY | O_CREAT, 0600);
	cf_rc("open.creat-existing", fd);
	if (fd >= 0)
		close(fd);
	cf_fd("open.enoent", open("o/missing", O_RDONLY));
	cf_fd("open.enoent-parent", open("o/missing/x", O_RDWR | O_CREAT, 0644));
	cf_fd("open.enotdir-parent", open("o/exists/x", O_RDONLY));
	cf_fd("open.eisdir-write", open("o", O_WRONLY));
	cf_fd("open.eisdir-creat", open("o", O_RDONLY | O_CREAT, 0644));
	cf_fd("open.directory-on-file", open("o/exists", O_RDONLY | O_DIRECTORY));
	cf_fd("open.name-255", open(long_name(name, 'o', 255), O_CREAT | O_WRONLY, 0644));
	cf_fd("open.enametoolong-256",
	      open(long_name(name, 'o', 256), O_CREAT | O_WRONLY, 0644));
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (size_t i = 100; i < sizeof(name) - 1; i += 100)
		name[i] = '/';
	cf_fd("open.enametoolong-path", open(name, O_RDONLY));
	if (symlink("dangling-target", "o/dangling") == 0) {
		cf_fd("open.creat-excl-dangling-symlink",
		      open("o/dangling", O_CREAT | O_EXCL | O_WRONLY, 0644));
		fd = open("o/dangling", O_CREAT | O_WRONLY, 0644);
		cf_rc("open.creat-through-dangling-symlink", fd);
		if (fd >= 0)
			close(fd);
		cf_rc("open.symlink-target-created",
		      access("o/dangling-target", F_OK));
	}
}

static void symlink_cases(void)
{
	char target[PATH_MAX + 1], buf[PATH_MAX + 1];
	struct stat st;
	ssize_t n;

	if (cf_mkdir("s", 0755) || cf_mkfile("s/file", 0644, 5))
		return;
	cf_rc("symlink.ok", symlink("file", "s/link"));
	cf_rc("symlink.eexist", symlink("file", "s/link"));
	cf_rc("symlink.eexist-file", symlink("x", "s/file"));
	cf_rc("symlink.enoent-parent", symlink("x", "s/missing/l"));
	n = readlink("s/link", buf, sizeof(buf) - 1);
	if (n >= 0)
		buf[n] = '\0';
	cf_res("readlink.value", "%s", n >= 0 ? buf : cf_errname(errno));
	n = readlink("s/link", buf, 2);
	cf_res("readlink.short-buffer", "%zd", n);
	cf_rc("readlink.einval-file", readlink("s/file", buf, sizeof(buf)));
	cf_rc("readlink.enoent", readlink("s/nothing", buf, sizeof(buf)));
	if (lstat("s/link", &st) == 0)
		cf_res("symlink.lstat", "size=%lld mode=%o",
		       (long long)st.st_size, st.st_mode & 07777);
	if (stat("s/link", &st) == 0)
		cf_res("symlink.stat-follows", "size=%lld",
		       (long long)st.st_size);
	memset(target, 't', PATH_MAX - 1);
	target[PATH_MAX - 1] = '\0';
	cf_rc("symlink.target-4095", symlink(target, "s/long"));
	n = readlink("s/long", buf, sizeof(buf));
	cf_res("readlink.target-4095", "%zd", n);
	target[PATH_MAX - 1] = 't';
	target[PATH_MAX] = '\0';
	cf_rc("symlink.enametoolong-target-4096", symlink(target, "s/long2"));
	cf_rc("symlink.loop-create", symlink("loop-b", "s/loop-a") |
					     symlink("loop-a", "s/loop-b"));
	cf_rc("symlink.loop-stat", stat("s/loop-a", &st));
	cf_fd("symlink.loop-open", open("s/loop-a", O_RDONLY));
	cf_rc("symlink.loop-lstat", lstat("s/loop-a", &st));
	if (!cf_setup_rc("s/self", symlink("self", "s/self")))
		cf_fd("symlink.self-open", open("s/self", O_RDONLY));
	cf_fd("symlink.nofollow-open", open("s/link", O_RDONLY | O_NOFOLLOW));
	cf_fd("symlink.nofollow-path-open",
	      open("s/link", O_PATH | O_NOFOLLOW));
	cf_fd("symlink.through-file-enotdir", open("s/link/x", O_RDONLY));
	cf_rc("symlink.unlink", unlink("s/link"));
	cf_rc("symlink.target-kept", access("s/file", F_OK));
}

static void link_cases(void)
{
	struct stat st;

	if (cf_mkdir("l", 0755) || cf_mkfile("l/f", 0644, 3) ||
	    cf_mkdir("l/dir", 0755))
		return;
	cf_rc("link.ok", link("l/f", "l/f2"));
	if (stat("l/f", &st) == 0)
		cf_res("link.nlink-after-link", "nlink=%lu",
		       (unsigned long)st.st_nlink);
	cf_rc("link.eexist", link("l/f", "l/f2"));
	cf_rc("link.enoent", link("l/none", "l/x"));
	cf_rc("link.eperm-dir", link("l/dir", "l/dir2"));
	cf_rc("link.third", link("l/f2", "l/dir/f3"));
	if (stat("l/f", &st) == 0)
		cf_res("link.nlink-three", "nlink=%lu",
		       (unsigned long)st.st_nlink);
	cf_rc("link.unlink-one", unlink("l/f"));
	if (stat("l/f2", &st) == 0)
		cf_res("link.nlink-after-unlink", "nlink=%lu size=%lld",
		       (unsigned long)st.st_nlink, (long long)st.st_size);
	if (symlink("f2", "l/sym") == 0) {
		cf_rc("link.symlink-nofollow", linkat(AT_FDCWD, "l/sym",
						      AT_FDCWD, "l/sym2", 0));
		if (lstat("l/sym2", &st) == 0)
			cf_res("link.symlink-nofollow-type", "%s",
			       S_ISLNK(st.st_mode) ? "symlink" : "other");
		cf_rc("link.symlink-follow",
		      linkat(AT_FDCWD, "l/sym", AT_FDCWD, "l/sym3",
			     AT_SYMLINK_FOLLOW));
		if (lstat("l/sym3", &st) == 0)
			cf_res("link.symlink-follow-type", "%s nlink=%lu",
			       S_ISREG(st.st_mode) ? "file" : "other",
			       (unsigned long)st.st_nlink);
	}
}

static void mknod_cases(void)
{
	struct stat st;
	char c = 0;
	int fd;

	if (cf_mkdir("n", 0755))
		return;
	cf_rc("mkfifo.ok", mkfifo("n/fifo", 0644));
	if (lstat("n/fifo", &st) == 0)
		cf_res("mkfifo.type", "%s", S_ISFIFO(st.st_mode) ? "fifo" : "other");
	cf_rc("mkfifo.eexist", mkfifo("n/fifo", 0644));
	fd = open("n/fifo", O_RDWR | O_NONBLOCK);
	cf_rc("mkfifo.open-rdwr", fd);
	if (fd >= 0) {
		ssize_t w = write(fd, "p", 1);
		ssize_t r = read(fd, &c, 1);

		cf_expect("mkfifo.write-read", w == 1 && r == 1 && c == 'p',
			  "mismatch");
		close(fd);
	}
	cf_rc("mknod.regular", mknod("n/reg", S_IFREG | 0644, 0));
	if (lstat("n/reg", &st) == 0)
		cf_res("mknod.regular-type", "%s size=%lld",
		       S_ISREG(st.st_mode) ? "file" : "other",
		       (long long)st.st_size);
	cf_rc("mknod.socket", mknod("n/sock", S_IFSOCK | 0644, 0));
	cf_rc("mknod.einval-type", mknod("n/bad", 0170000 | 0644, 0));
}

void cf_run_entry(void)
{
	mkdir_cases();
	rmdir_cases();
	open_create_cases();
	symlink_cases();
	link_cases();
	mknod_cases();
}
