/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Name-space operations: LOOKUP, SYMLINK/READLINK, MKNOD, MKDIR, UNLINK,
 * RMDIR, RENAME, RENAME2 and LINK, each observed through the results a
 * guest program sees (stat, readlink, content, errno).
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "e2e.h"

static int content_is(const char *path, const char *want)
{
	char buf[256];
	ssize_t n = e2e_read_file(path, buf, sizeof(buf));

	return n >= 0 && (size_t)n == strlen(want) &&
	       memcmp(buf, want, (size_t)n) == 0;
}

static void t_lookup(void)
{
	const char *name = "LOOKUP existing, missing, through a file";
	struct stat st;

	SYS(e2e_write_file(e2e_path("t/lk"), "x", 1, 0644));
	SYS(stat(e2e_path("t/lk"), &st));
	EXPECT(S_ISREG(st.st_mode), "t/lk mode %o", st.st_mode);
	SYS_ERR(stat(e2e_path("t/no-such-name"), &st), ENOENT);
	SYS_ERR(stat(e2e_path("t/no-such-dir/x"), &st), ENOENT);
	SYS_ERR(stat(e2e_path("t/lk/x"), &st), ENOTDIR);
	e2e_ok(name);
}

/*
 * The guest kernel passes names up to FUSE_NAME_MAX (1024) bytes on; the
 * host's 255-byte limit must come back as ENAMETOOLONG.
 */
static void t_long_name(void)
{
	const char *name = "LOOKUP/CREATE/MKDIR 256-byte name: ENAMETOOLONG";
	char longname[2 + 256 + 1];
	struct stat st;

	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "t/", 2);
	longname[sizeof(longname) - 1] = '\0';
	SYS_ERR(stat(e2e_path(longname), &st), ENAMETOOLONG);
	SYS_ERR(open(e2e_path(longname), O_WRONLY | O_CREAT, 0644),
		ENAMETOOLONG);
	SYS_ERR(mkdir(e2e_path(longname), 0755), ENAMETOOLONG);
	/* 255 bytes is still a valid name. */
	longname[sizeof(longname) - 2] = '\0';
	SYS(mknod(e2e_path(longname), S_IFREG | 0644, 0));
	SYS(stat(e2e_path(longname), &st));
	SYS(unlink(e2e_path(longname)));
	e2e_ok(name);
}

static void t_symlink(void)
{
	const char *name = "SYMLINK and READLINK";
	const char *target = "some/where/../target name";
	char buf[256];
	struct stat st;
	ssize_t n;

	SYS(symlink(target, e2e_path("t/sl")));
	SYS(lstat(e2e_path("t/sl"), &st));
	EXPECT(S_ISLNK(st.st_mode), "mode %o", st.st_mode);
	EXPECT((size_t)st.st_size == strlen(target), "st_size %jd",
	       (intmax_t)st.st_size);
	n = readlink(e2e_path("t/sl"), buf, sizeof(buf));
	SYS(n);
	EXPECT((size_t)n == strlen(target) && memcmp(buf, target, (size_t)n) == 0,
	       "readlink gave '%.*s'", (int)n, buf);
	SYS_ERR(symlink("x", e2e_path("t/sl")), EEXIST);
	SYS_ERR(readlink(e2e_path("t/lk"), buf, sizeof(buf)), EINVAL);
	/* A dangling link is an entry of its own: lstat works, stat fails. */
	SYS_ERR(stat(e2e_path("t/sl"), &st), ENOENT);
	e2e_ok(name);
}

static void t_symlink_follow(void)
{
	const char *name = "SYMLINK relative link followed by the guest";

	SYS(e2e_write_file(e2e_path("t/sl-target"), "via link\n", 9, 0644));
	SYS(symlink("sl-target", e2e_path("t/sl2")));
	EXPECT(content_is(e2e_path("t/sl2"), "via link\n"),
	       "content through link differs");
	e2e_ok(name);
}

static void t_mknod_reg(void)
{
	const char *name = "MKNOD regular file";
	struct stat st;

	SYS(mknod(e2e_path("t/nod-reg"), S_IFREG | 0640, 0));
	SYS(stat(e2e_path("t/nod-reg"), &st));
	EXPECT(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0640 &&
		       st.st_size == 0,
	       "mode %o size %jd", st.st_mode, (intmax_t)st.st_size);
	SYS_ERR(mknod(e2e_path("t/nod-reg"), S_IFREG | 0640, 0), EEXIST);
	e2e_ok(name);
}

static void t_mknod_fifo(void)
{
	const char *name = "MKNOD fifo";
	struct stat st;

	SYS(mkfifo(e2e_path("t/nod-fifo"), 0600));
	SYS(lstat(e2e_path("t/nod-fifo"), &st));
	EXPECT(S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0600,
	       "mode %o", st.st_mode);
	e2e_ok(name);
}

static void t_mknod_socket(void)
{
	const char *name = "MKNOD unix socket via bind";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *p = e2e_path("t/nod-sock");
	struct stat st;
	int fd;

	EXPECT(strlen(p) < sizeof(sa.sun_path), "path too long for bind");
	memcpy(sa.sun_path, p, strlen(p) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	SYS(fd);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		FAIL("bind %s: %s (errno %d)", p, strerror(e), e);
	}
	close(fd);
	SYS(lstat(p, &st));
	EXPECT(S_ISSOCK(st.st_mode), "mode %o", st.st_mode);
	e2e_ok(name);
}

static void t_mkdir(void)
{
	const char *name = "MKDIR mode, EEXIST, nested";
	struct stat st;

	SYS(mkdir(e2e_path("t/d1"), 0750));
	SYS(stat(e2e_path("t/d1"), &st));
	EXPECT(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750,
	       "mode %o", st.st_mode);
	EXPECT(st.st_nlink == 2, "new dir st_nlink %ju",
	       (uintmax_t)st.st_nlink);
	SYS_ERR(mkdir(e2e_path("t/d1"), 0755), EEXIST);
	SYS_ERR(mkdir(e2e_path("t/lk"), 0755), EEXIST);
	SYS(mkdir(e2e_path("t/d1/d2"), 0700));
	SYS(stat(e2e_path("t/d1/d2"), &st));
	EXPECT(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700,
	       "nested mode %o", st.st_mode);
	SYS_ERR(mkdir(e2e_path("t/missing/d"), 0755), ENOENT);
	e2e_ok(name);
}

static void t_unlink(void)
{
	const char *name = "UNLINK file, ENOENT, EISDIR";
	struct stat st;

	SYS(e2e_write_file(e2e_path("t/ul"), "u", 1, 0644));
	SYS(unlink(e2e_path("t/ul")));
	SYS_ERR(stat(e2e_path("t/ul"), &st), ENOENT);
	SYS_ERR(unlink(e2e_path("t/ul")), ENOENT);
	SYS_ERR(unlink(e2e_path("t/d1")), EISDIR);
	SYS(unlink(e2e_path("t/sl")));
	SYS_ERR(lstat(e2e_path("t/sl"), &st), ENOENT);
	e2e_ok(name);
}

static void t_unlink_open(void)
{
	const char *name = "UNLINK while open: data stays readable";
	char buf[16];
	int fd;

	SYS(e2e_write_file(e2e_path("t/ul-open"), "still here", 10, 0644));
	fd = open(e2e_path("t/ul-open"), O_RDONLY);
	SYS(fd);
	if (unlink(e2e_path("t/ul-open")) < 0) {
		close(fd);
		FAIL("unlink: %s", strerror(errno));
	}
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	int e = errno;

	close(fd);
	EXPECT(n == 10 && memcmp(buf, "still here", 10) == 0,
	       "pread after unlink gave %zd (%s)", n, n < 0 ? strerror(e) : "");
	e2e_ok(name);
}

static void t_rmdir(void)
{
	const char *name = "RMDIR empty, ENOTEMPTY, ENOTDIR";
	struct stat st;

	SYS(mkdir(e2e_path("t/rd"), 0755));
	SYS(e2e_write_file(e2e_path("t/rd/f"), "f", 1, 0644));
	SYS_ERR(rmdir(e2e_path("t/rd")), ENOTEMPTY);
	SYS_ERR(rmdir(e2e_path("t/rd/f")), ENOTDIR);
	SYS(unlink(e2e_path("t/rd/f")));
	SYS(rmdir(e2e_path("t/rd")));
	SYS_ERR(stat(e2e_path("t/rd"), &st), ENOENT);
	SYS_ERR(rmdir(e2e_path("t/rd")), ENOENT);
	e2e_ok(name);
}

static void t_rename(void)
{
	const char *name = "RENAME file, over existing, directory across dirs";
	struct stat st;

	SYS(e2e_write_file(e2e_path("t/rn-a"), "A", 1, 0644));
	SYS(rename(e2e_path("t/rn-a"), e2e_path("t/rn-b")));
	SYS_ERR(stat(e2e_path("t/rn-a"), &st), ENOENT);
	EXPECT(content_is(e2e_path("t/rn-b"), "A"), "rn-b content");

	SYS(e2e_write_file(e2e_path("t/rn-c"), "C", 1, 0644));
	SYS(rename(e2e_path("t/rn-c"), e2e_path("t/rn-b")));
	EXPECT(content_is(e2e_path("t/rn-b"), "C"), "rn-b not replaced");
	SYS_ERR(stat(e2e_path("t/rn-c"), &st), ENOENT);

	SYS(mkdir(e2e_path("t/rn-d"), 0755));
	SYS(e2e_write_file(e2e_path("t/rn-d/in"), "in", 2, 0644));
	SYS(rename(e2e_path("t/rn-d"), e2e_path("t/d1/rn-d")));
	EXPECT(content_is(e2e_path("t/d1/rn-d/in"), "in"),
	       "content of moved directory");
	SYS_ERR(stat(e2e_path("t/rn-d"), &st), ENOENT);
	SYS_ERR(rename(e2e_path("t/rn-missing"), e2e_path("t/rn-x")), ENOENT);
	SYS_ERR(rename(e2e_path("t/rn-b"), e2e_path("t/d1")), EISDIR);
	e2e_ok(name);
}

static void t_rename_noreplace(void)
{
	const char *name = "RENAME2 RENAME_NOREPLACE";

	SYS(e2e_write_file(e2e_path("t/nr-a"), "a", 1, 0644));
	SYS(e2e_write_file(e2e_path("t/nr-b"), "b", 1, 0644));
	SYS_ERR(renameat2(AT_FDCWD, e2e_path("t/nr-a"), AT_FDCWD,
			  e2e_path("t/nr-b"), RENAME_NOREPLACE),
		EEXIST);
	EXPECT(content_is(e2e_path("t/nr-a"), "a") &&
		       content_is(e2e_path("t/nr-b"), "b"),
	       "files changed by a refused rename");
	SYS(renameat2(AT_FDCWD, e2e_path("t/nr-a"), AT_FDCWD,
		      e2e_path("t/nr-c"), RENAME_NOREPLACE));
	EXPECT(content_is(e2e_path("t/nr-c"), "a"), "nr-c content");
	e2e_ok(name);
}

static void t_rename_exchange(void)
{
	const char *name = "RENAME2 RENAME_EXCHANGE swaps";
	struct stat st;

	SYS(e2e_write_file(e2e_path("t/ex-a"), "first", 5, 0644));
	SYS(mkdir(e2e_path("t/ex-b"), 0755));
	SYS(e2e_write_file(e2e_path("t/ex-b/f"), "second", 6, 0644));
	SYS(renameat2(AT_FDCWD, e2e_path("t/ex-a"), AT_FDCWD,
		      e2e_path("t/ex-b"), RENAME_EXCHANGE));
	SYS(stat(e2e_path("t/ex-a"), &st));
	EXPECT(S_ISDIR(st.st_mode), "ex-a is not the directory now");
	EXPECT(content_is(e2e_path("t/ex-a/f"), "second"), "ex-a/f content");
	EXPECT(content_is(e2e_path("t/ex-b"), "first"), "ex-b content");
	SYS_ERR(renameat2(AT_FDCWD, e2e_path("t/ex-a"), AT_FDCWD,
			  e2e_path("t/ex-missing"), RENAME_EXCHANGE),
		ENOENT);
	e2e_ok(name);
}

static void t_link(void)
{
	const char *name = "LINK st_nlink and shared inode";
	struct stat a, b;

	SYS(e2e_write_file(e2e_path("t/ln-a"), "L", 1, 0644));
	SYS(link(e2e_path("t/ln-a"), e2e_path("t/ln-b")));
	SYS(stat(e2e_path("t/ln-a"), &a));
	SYS(stat(e2e_path("t/ln-b"), &b));
	EXPECT(a.st_ino == b.st_ino, "inodes differ: %ju %ju",
	       (uintmax_t)a.st_ino, (uintmax_t)b.st_ino);
	EXPECT(a.st_nlink == 2 && b.st_nlink == 2, "st_nlink %ju/%ju",
	       (uintmax_t)a.st_nlink, (uintmax_t)b.st_nlink);
	SYS(e2e_write_file(e2e_path("t/ln-b"), "M", 1, 0644));
	EXPECT(content_is(e2e_path("t/ln-a"), "M"), "write via link not seen");
	SYS(link(e2e_path("t/ln-a"), e2e_path("t/ln-c")));
	SYS(stat(e2e_path("t/ln-c"), &a));
	EXPECT(a.st_nlink == 3, "st_nlink %ju after a second link",
	       (uintmax_t)a.st_nlink);
	SYS(unlink(e2e_path("t/ln-a")));
	SYS(unlink(e2e_path("t/ln-c")));
	SYS(stat(e2e_path("t/ln-b"), &b));
	EXPECT(b.st_nlink == 1, "st_nlink %ju after unlinks",
	       (uintmax_t)b.st_nlink);
	SYS_ERR(link(e2e_path("t/ln-b"), e2e_path("t/lk")), EEXIST);
	SYS_ERR(link(e2e_path("t/d1"), e2e_path("t/ln-dir")), EPERM);
	e2e_ok(name);
}

void e2e_run_entry(void)
{
	t_lookup();
	t_long_name();
	t_symlink();
	t_symlink_follow();
	t_mknod_reg();
	t_mknod_fifo();
	t_mknod_socket();
	t_mkdir();
	t_unlink();
	t_unlink_open();
	t_rmdir();
	t_rename();
	t_rename_noreplace();
	t_rename_exchange();
	t_link();
}
