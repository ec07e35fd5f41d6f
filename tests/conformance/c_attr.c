/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Attributes: chmod, chown, utimensat, timestamp updates, statfs, access. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "conform.h"

static void mode_cases(void)
{
	struct stat st;

	if (cf_mkfile("mode", 0644, 0))
		return;
	cf_rc("chmod.ok", chmod("mode", 0751));
	if (stat("mode", &st) == 0)
		cf_res("chmod.mode", "%o", st.st_mode & 07777);
	cf_rc("chmod.setuid-root", chmod("mode", 04755));
	if (stat("mode", &st) == 0)
		cf_res("chmod.setuid-mode", "%o", st.st_mode & 07777);
	cf_rc("chmod.enoent", chmod("mode-none", 0644));
	if (symlink("mode", "mode-link") == 0)
		cf_rc("chmod.symlink-nofollow",
		      fchmodat(AT_FDCWD, "mode-link", 0600, AT_SYMLINK_NOFOLLOW));
	cf_rc("chown.root-to-user", chown("mode", CF_UID, CF_GID));
	if (stat("mode", &st) == 0)
		cf_res("chown.owner", "%u:%u mode=%o", st.st_uid, st.st_gid,
		       st.st_mode & 07777);
	cf_rc("chown.keep", chown("mode", (uid_t)-1, (gid_t)-1));
	cf_rc("lchown.symlink", lchown("mode-link", CF_UID, CF_GID));
	if (lstat("mode-link", &st) == 0)
		cf_res("lchown.symlink-owner", "%u:%u", st.st_uid, st.st_gid);
	if (stat("mode", &st) == 0)
		cf_res("lchown.target-owner", "%u:%u", st.st_uid, st.st_gid);
	cf_rc("access.r-ok", access("mode", R_OK));
	if (chmod("mode", 0644) == 0)
		cf_rc("access.x-ok-root-no-x", access("mode", X_OK));
	cf_rc("access.x-ok-root-dir", access(".", X_OK));
}

static void utimens_cases(void)
{
	struct timespec ts[2] = { { 1000000000, 123456789 },
				  { 1100000000, 987654321 } };
	struct stat a, b;

	if (cf_mkfile("ut", 0644, 0))
		return;
	cf_rc("utimensat.set", utimensat(AT_FDCWD, "ut", ts, 0));
	if (stat("ut", &a) == 0)
		cf_expect("utimensat.read-back",
			  a.st_atim.tv_sec == ts[0].tv_sec &&
				  a.st_atim.tv_nsec == ts[0].tv_nsec &&
				  a.st_mtim.tv_sec == ts[1].tv_sec &&
				  a.st_mtim.tv_nsec == ts[1].tv_nsec,
			  "differs");
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_nsec = UTIME_NOW;
	cf_tick();
	cf_rc("utimensat.omit-now", utimensat(AT_FDCWD, "ut", ts, 0));
	if (stat("ut", &b) == 0)
		cf_res("utimensat.omit-now-effect", "atime=%s mtime=%s",
		       cf_ts_cmp(&a.st_atim, &b.st_atim),
		       cf_ts_cmp(&a.st_mtim, &b.st_mtim));
	cf_rc("utimensat.null-now", utimensat(AT_FDCWD, "ut", NULL, 0));
	ts[0].tv_nsec = 1000000000;
	cf_rc("utimensat.einval-nsec", utimensat(AT_FDCWD, "ut", ts, 0));
	if (symlink("ut", "ut-link") == 0) {
		struct timespec t2[2] = { { 5, 0 }, { 6, 0 } };

		cf_rc("utimensat.symlink-nofollow",
		      utimensat(AT_FDCWD, "ut-link", t2, AT_SYMLINK_NOFOLLOW));
		if (lstat("ut-link", &a) == 0 && stat("ut", &b) == 0)
			cf_res("utimensat.symlink-nofollow-effect",
			       "link-mtime=%lld target-mtime-changed=%s",
			       (long long)a.st_mtim.tv_sec,
			       b.st_mtim.tv_sec == 6 ? "yes" : "no");
	}
	cf_rc("utimensat.enoent", utimensat(AT_FDCWD, "ut-none", NULL, 0));
	cf_rc("utimensat.pre-epoch", utimensat(AT_FDCWD, "ut",
		(struct timespec[2]){ { -1, 0 }, { -86400, 5 } }, 0));
	if (stat("ut", &a) == 0)
		cf_res("utimensat.pre-epoch-value", "atime=%lld mtime=%lld.%ld",
		       (long long)a.st_atim.tv_sec, (long long)a.st_mtim.tv_sec,
		       a.st_mtim.tv_nsec);
}

/* Which of atime, mtime, ctime changed across OP (PATH before, AFTER after). */
static void ts_case2(const char *name, const char *path, const char *after,
		     int (*op)(void))
{
	struct stat a, b;
	int rc;

	if (stat(path, &a) < 0) {
		cf_res(name, "%s", cf_errname(errno));
		return;
	}
	cf_tick();
	rc = op();
	if (rc < 0) {
		cf_res(name, "%s", cf_errname(errno));
		return;
	}
	if (stat(after, &b) < 0) {
		cf_res(name, "%s", cf_errname(errno));
		return;
	}
	cf_res(name, "atime=%s mtime=%s ctime=%s",
	       cf_ts_cmp(&a.st_atim, &b.st_atim),
	       cf_ts_cmp(&a.st_mtim, &b.st_mtim),
	       cf_ts_cmp(&a.st_ctim, &b.st_ctim));
}

static void ts_case(const char *name, const char *path, int (*op)(void))
{
	ts_case2(name, path, path, op);
}

static int op_write(void)
{
	int fd = open("tsd/f", O_WRONLY);
	int rc = fd < 0 ? -1 : (int)write(fd, "w", 1);

	if (fd >= 0)
		close(fd);
	return rc;
}

static int op_read(void)
{
	char c;
	int fd = open("tsd/f", O_RDONLY);
	int rc = fd < 0 ? -1 : (int)read(fd, &c, 1);

	if (fd >= 0)
		close(fd);
	return rc;
}

static int op_chmod(void) { return chmod("tsd/f", 0600); }
static int op_chown(void) { return chown("tsd/f", 0, 0); }
static int op_truncate(void) { return truncate("tsd/f", 100); }
static int op_rename(void) { return rename("tsd/f", "tsd/g"); }
static int op_rename_back(void) { return rename("tsd/g", "tsd/f"); }
static int op_link(void) { return link("tsd/f", "tsd/h"); }
static int op_unlink(void) { return unlink("tsd/h"); }
static int op_create(void) { return cf_mkfile("tsd/new", 0644, 0); }
static int op_mkdir(void) { return mkdir("tsd/sub", 0755); }
static int op_setxattr(void) { return setxattr("tsd/f", "user.t", "v", 1, 0); }

static int op_readdir(void)
{
	char buf[4096];
	int fd = open("tsd", O_RDONLY | O_DIRECTORY);
	int rc = fd < 0 ? -1 : (int)getdents64(fd, buf, sizeof(buf));

	if (fd >= 0)
		close(fd);
	return rc;
}

static void timestamp_cases(void)
{
	if (cf_mkdir("tsd", 0755) || cf_mkfile("tsd/f", 0644, 10))
		return;
	ts_case("times.write-file", "tsd/f", op_write);
	ts_case("times.read-after-write", "tsd/f", op_read);
	ts_case("times.chmod-file", "tsd/f", op_chmod);
	ts_case("times.chown-file", "tsd/f", op_chown);
	ts_case("times.truncate-file", "tsd/f", op_truncate);
	ts_case("times.setxattr-file", "tsd/f", op_setxattr);
	ts_case("times.rename-dir", "tsd", op_rename);
	ts_case2("times.rename-file", "tsd/g", "tsd/f", op_rename_back);
	ts_case("times.link-file", "tsd/f", op_link);
	ts_case("times.unlink-file", "tsd/f", op_unlink);
	ts_case("times.link-dir", "tsd", op_link);
	ts_case("times.unlink-dir", "tsd", op_unlink);
	ts_case("times.create-dir", "tsd", op_create);
	ts_case("times.mkdir-dir", "tsd", op_mkdir);
	ts_case("times.readdir-dir", "tsd", op_readdir);
}

static void statfs_cases(void)
{
	struct statfs s;
	struct statvfs v;

	if (statfs(".", &s) < 0) {
		cf_res("statfs.ok", "%s", cf_errname(errno));
		return;
	}
	cf_res("statfs.ok", "ok");
	cf_expect("statfs.bsize", s.f_bsize > 0, "0");
	cf_expect("statfs.blocks", s.f_blocks > 0 && s.f_bfree <= s.f_blocks &&
		  s.f_bavail <= s.f_bfree, "inconsistent");
	cf_expect("statfs.files", s.f_files > 0 && s.f_ffree <= s.f_files,
		  "inconsistent");
	cf_res("statfs.namelen", "%ld", (long)s.f_namelen);
	cf_expect("statvfs.frsize", statvfs(".", &v) == 0 && v.f_frsize > 0,
		  "0");
	cf_rc("statfs.enoent", statfs("statfs-none", &s));
}

static void stat_cases(void)
{
	struct stat st;

	if (cf_mkfile("st", 0640, 4096))
		return;
	if (stat("st", &st) == 0) {
		cf_res("stat.file", "size=%lld nlink=%lu mode=%o type=%s",
		       (long long)st.st_size, (unsigned long)st.st_nlink,
		       st.st_mode & 07777, S_ISREG(st.st_mode) ? "file" : "?");
		cf_expect("stat.blocks", st.st_blocks > 0, "0");
		cf_expect("stat.blksize", st.st_blksize > 0, "0");
		cf_res("stat.owner", "%u:%u", st.st_uid, st.st_gid);
	}
	cf_rc("stat.enoent", stat("st-none", &st));
	cf_rc("stat.enotdir", stat("st/x", &st));
	cf_rc("stat.empty-path", stat("", &st));
	cf_rc("fstatat.empty-path", fstatat(AT_FDCWD, "", &st, AT_EMPTY_PATH));
	if (stat(".", &st) == 0)
		cf_res("stat.dir", "type=%s", S_ISDIR(st.st_mode) ? "dir" : "?");
}

void cf_run_attr(void)
{
	stat_cases();
	mode_cases();
	utimens_cases();
	timestamp_cases();
	statfs_cases();
}
