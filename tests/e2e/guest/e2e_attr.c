/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Attribute operations: GETATTR and every SETATTR path a guest program
 * has (chmod, chown, truncate, ftruncate, utimensat).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

static void t_getattr(void)
{
	const char *name = "GETATTR stat and fstat";
	struct stat st, fst;
	int fd;

	SYS(e2e_write_file(e2e_path("t/ga"), "12345", 5, 0644));
	SYS(stat(e2e_path("t/ga"), &st));
	EXPECT(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644,
	       "mode %o", st.st_mode);
	EXPECT(st.st_size == 5, "st_size %jd", (intmax_t)st.st_size);
	EXPECT(st.st_nlink == 1, "st_nlink %ju", (uintmax_t)st.st_nlink);
	EXPECT(st.st_uid == 0 && st.st_gid == 0, "owner %u:%u", st.st_uid,
	       st.st_gid);
	EXPECT(st.st_blksize > 0, "st_blksize %ld", (long)st.st_blksize);
	fd = open(e2e_path("t/ga"), O_RDONLY);
	SYS(fd);
	int r = fstat(fd, &fst);
	int e = errno;

	close(fd);
	EXPECT(r == 0, "fstat: %s", strerror(e));
	EXPECT(fst.st_ino == st.st_ino && fst.st_size == 5,
	       "fstat ino %ju size %jd", (uintmax_t)fst.st_ino,
	       (intmax_t)fst.st_size);
	SYS(stat(e2e_mnt, &st));
	EXPECT(S_ISDIR(st.st_mode), "mount root mode %o", st.st_mode);
	e2e_ok(name);
}

static void t_chmod(void)
{
	const char *name = "SETATTR chmod and fchmod";
	struct stat st;
	int fd;

	SYS(chmod(e2e_path("t/ga"), 0641));
	SYS(stat(e2e_path("t/ga"), &st));
	EXPECT((st.st_mode & 07777) == 0641, "mode %o after chmod",
	       st.st_mode & 07777);
	fd = open(e2e_path("t/ga"), O_RDONLY);
	SYS(fd);
	int r = fchmod(fd, 04755);
	int e = errno;

	close(fd);
	EXPECT(r == 0, "fchmod: %s", strerror(e));
	SYS(stat(e2e_path("t/ga"), &st));
	EXPECT((st.st_mode & 07777) == 04755, "mode %o after fchmod",
	       st.st_mode & 07777);
	SYS(chmod(e2e_path("t/d1"), 01777));
	SYS(stat(e2e_path("t/d1"), &st));
	EXPECT((st.st_mode & 07777) == 01777 && S_ISDIR(st.st_mode),
	       "dir mode %o after chmod", st.st_mode);
	SYS(chmod(e2e_path("t/d1"), 0755));
	e2e_ok(name);
}

static void t_chown(void)
{
	const char *name = "SETATTR chown, lchown";
	struct stat st;

	SYS(chown(e2e_path("t/ga"), 1234, 5678));
	SYS(stat(e2e_path("t/ga"), &st));
	EXPECT(st.st_uid == 1234 && st.st_gid == 5678, "owner %u:%u",
	       st.st_uid, st.st_gid);
	SYS(chown(e2e_path("t/ga"), (uid_t)-1, 0));
	SYS(stat(e2e_path("t/ga"), &st));
	EXPECT(st.st_uid == 1234 && st.st_gid == 0,
	       "owner %u:%u after gid-only chown", st.st_uid, st.st_gid);
	SYS(symlink("ga", e2e_path("t/ga-link")));
	SYS(lchown(e2e_path("t/ga-link"), 4321, 4321));
	SYS(lstat(e2e_path("t/ga-link"), &st));
	EXPECT(st.st_uid == 4321 && st.st_gid == 4321, "link owner %u:%u",
	       st.st_uid, st.st_gid);
	SYS(stat(e2e_path("t/ga"), &st));
	EXPECT(st.st_uid == 1234, "lchown changed the target (uid %u)",
	       st.st_uid);
	SYS(chown(e2e_path("t/ga"), 0, 0));
	e2e_ok(name);
}

static void t_truncate(void)
{
	const char *name = "SETATTR truncate by path (grow, shrink)";
	char buf[200];
	struct stat st;
	ssize_t n;

	SYS(e2e_write_file(e2e_path("t/tr"), "abcdef", 6, 0644));
	SYS(truncate(e2e_path("t/tr"), 100));
	SYS(stat(e2e_path("t/tr"), &st));
	EXPECT(st.st_size == 100, "size %jd after grow", (intmax_t)st.st_size);
	n = e2e_read_file(e2e_path("t/tr"), buf, sizeof(buf));
	SYS(n);
	EXPECT(n == 100, "read %zd bytes after grow", n);
	EXPECT(memcmp(buf, "abcdef", 6) == 0, "head changed by grow");
	for (int i = 6; i < 100; i++)
		EXPECT(buf[i] == 0, "byte %d is %#x after grow", i,
		       (unsigned char)buf[i]);
	SYS(truncate(e2e_path("t/tr"), 3));
	SYS(stat(e2e_path("t/tr"), &st));
	EXPECT(st.st_size == 3, "size %jd after shrink", (intmax_t)st.st_size);
	n = e2e_read_file(e2e_path("t/tr"), buf, sizeof(buf));
	EXPECT(n == 3 && memcmp(buf, "abc", 3) == 0, "content after shrink");
	SYS_ERR(truncate(e2e_path("t/d1"), 0), EISDIR);
	e2e_ok(name);
}

static void t_ftruncate(void)
{
	const char *name = "SETATTR ftruncate on an open fd";
	char buf[16];
	struct stat st;
	int fd;

	fd = open(e2e_path("t/ftr"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	SYS(fd);
	ssize_t w = write(fd, "0123456789", 10);
	int r1 = ftruncate(fd, 4);
	int r2 = fstat(fd, &st);
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	int r3 = ftruncate(fd, 8192);
	struct stat st2;
	int r4 = fstat(fd, &st2);

	close(fd);
	EXPECT(w == 10 && r1 == 0 && r2 == 0 && r3 == 0 && r4 == 0,
	       "write/ftruncate/fstat failed (%zd %d %d %d %d)", w, r1, r2,
	       r3, r4);
	EXPECT(st.st_size == 4, "size %jd after ftruncate(4)",
	       (intmax_t)st.st_size);
	EXPECT(n == 4 && memcmp(buf, "0123", 4) == 0, "content after shrink");
	EXPECT(st2.st_size == 8192, "size %jd after ftruncate(8192)",
	       (intmax_t)st2.st_size);
	fd = open(e2e_path("t/ftr"), O_RDONLY);
	SYS(fd);
	r1 = ftruncate(fd, 0);
	int e = errno;

	close(fd);
	EXPECT(r1 < 0 && (e == EINVAL || e == EBADF),
	       "ftruncate on O_RDONLY fd: %d (%s)", r1, strerror(e));
	e2e_ok(name);
}

static void t_utimens(void)
{
	const char *name = "SETATTR utimensat explicit atime/mtime";
	struct timespec ts[2] = {
		{ .tv_sec = 1000000000, .tv_nsec = 123456789 },
		{ .tv_sec = 1234567890, .tv_nsec = 987654321 },
	};
	struct stat st;

	SYS(e2e_write_file(e2e_path("t/ut"), "t", 1, 0644));
	SYS(utimensat(AT_FDCWD, e2e_path("t/ut"), ts, 0));
	SYS(stat(e2e_path("t/ut"), &st));
	EXPECT(st.st_atim.tv_sec == ts[0].tv_sec &&
		       st.st_atim.tv_nsec == ts[0].tv_nsec,
	       "atime %jd.%09ld", (intmax_t)st.st_atim.tv_sec,
	       st.st_atim.tv_nsec);
	EXPECT(st.st_mtim.tv_sec == ts[1].tv_sec &&
		       st.st_mtim.tv_nsec == ts[1].tv_nsec,
	       "mtime %jd.%09ld", (intmax_t)st.st_mtim.tv_sec,
	       st.st_mtim.tv_nsec);

	/* UTIME_OMIT leaves atime alone while mtime changes. */
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = 1500000000;
	ts[1].tv_nsec = 5;
	SYS(utimensat(AT_FDCWD, e2e_path("t/ut"), ts, 0));
	SYS(stat(e2e_path("t/ut"), &st));
	EXPECT(st.st_atim.tv_sec == 1000000000 &&
		       st.st_atim.tv_nsec == 123456789,
	       "UTIME_OMIT changed atime to %jd.%09ld",
	       (intmax_t)st.st_atim.tv_sec, st.st_atim.tv_nsec);
	EXPECT(st.st_mtim.tv_sec == 1500000000 && st.st_mtim.tv_nsec == 5,
	       "mtime %jd.%09ld", (intmax_t)st.st_mtim.tv_sec,
	       st.st_mtim.tv_nsec);

	/* The link itself, not its target. */
	ts[0] = (struct timespec){ .tv_sec = 1100000000 };
	ts[1] = (struct timespec){ .tv_sec = 1100000001 };
	SYS(symlink("ut", e2e_path("t/ut-link")));
	SYS(utimensat(AT_FDCWD, e2e_path("t/ut-link"), ts,
		      AT_SYMLINK_NOFOLLOW));
	SYS(lstat(e2e_path("t/ut-link"), &st));
	EXPECT(st.st_mtim.tv_sec == 1100000001, "link mtime %jd",
	       (intmax_t)st.st_mtim.tv_sec);
	SYS(stat(e2e_path("t/ut"), &st));
	EXPECT(st.st_mtim.tv_sec == 1500000000,
	       "AT_SYMLINK_NOFOLLOW changed the target (mtime %jd)",
	       (intmax_t)st.st_mtim.tv_sec);
	e2e_ok(name);
}

static void t_utime_now(void)
{
	const char *name = "SETATTR utimensat UTIME_NOW and futimens";
	struct timespec old[2] = { { .tv_sec = 100 }, { .tv_sec = 200 } };
	struct timespec now[2] = { { .tv_nsec = UTIME_NOW },
				   { .tv_nsec = UTIME_NOW } };
	struct timespec before, after;
	struct stat st;
	int fd;

	SYS(utimensat(AT_FDCWD, e2e_path("t/ut"), old, 0));
	SYS(clock_gettime(CLOCK_REALTIME, &before));
	SYS(utimensat(AT_FDCWD, e2e_path("t/ut"), now, 0));
	SYS(clock_gettime(CLOCK_REALTIME, &after));
	SYS(stat(e2e_path("t/ut"), &st));
	/*
	 * The host sets the time from its own clock; the guest clock
	 * started from the host's RTC, so allow a few seconds of skew.
	 */
	EXPECT(st.st_atim.tv_sec >= before.tv_sec - 5 &&
		       st.st_atim.tv_sec <= after.tv_sec + 5,
	       "atime %jd not near now %jd", (intmax_t)st.st_atim.tv_sec,
	       (intmax_t)before.tv_sec);
	EXPECT(st.st_mtim.tv_sec >= before.tv_sec - 5 &&
		       st.st_mtim.tv_sec <= after.tv_sec + 5,
	       "mtime %jd not near now %jd", (intmax_t)st.st_mtim.tv_sec,
	       (intmax_t)before.tv_sec);

	fd = open(e2e_path("t/ut"), O_RDWR);
	SYS(fd);
	int r = futimens(fd, old);
	int e = errno;
	int r2 = fstat(fd, &st);

	close(fd);
	EXPECT(r == 0 && r2 == 0, "futimens: %s", strerror(e));
	EXPECT(st.st_atim.tv_sec == 100 && st.st_mtim.tv_sec == 200,
	       "futimens times %jd/%jd", (intmax_t)st.st_atim.tv_sec,
	       (intmax_t)st.st_mtim.tv_sec);
	e2e_ok(name);
}

static void t_mtime_on_write(void)
{
	const char *name = "write updates mtime and ctime";
	struct timespec old[2] = { { .tv_sec = 300 }, { .tv_sec = 400 } };
	struct stat st;

	SYS(utimensat(AT_FDCWD, e2e_path("t/ut"), old, 0));
	SYS(e2e_write_file(e2e_path("t/ut"), "new", 3, 0644));
	SYS(stat(e2e_path("t/ut"), &st));
	EXPECT(st.st_mtim.tv_sec > 400, "mtime %jd still old",
	       (intmax_t)st.st_mtim.tv_sec);
	EXPECT(st.st_ctim.tv_sec > 400, "ctime %jd", (intmax_t)st.st_ctim.tv_sec);
	e2e_ok(name);
}

void e2e_run_attr(void)
{
	t_getattr();
	t_chmod();
	t_chown();
	t_truncate();
	t_ftruncate();
	t_utimens();
	t_utime_now();
	t_mtime_on_write();
}
