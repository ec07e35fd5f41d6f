/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host half: "host-prepare" fills a fresh share before the guest boots
 * and "host-check" verifies, once the guest is gone, what it left behind.
 * Both run natively on the host from the same static binary, so the
 * contents and patterns are defined in one place (e2e.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "e2e.h"

/*
 * The host ids that guest root and guest uid 1000 became: 0 and 1000,
 * unless the daemon ran without root in a user namespace (the runner's
 * --rootless), where E2E_HOST_IDS="ROOTUID:ROOTGID:USERUID:USERGID" says.
 */
static struct {
	unsigned int root_uid, root_gid, user_uid, user_gid;
} host_ids = { 0, 0, E2E_UID, E2E_GID };

static void read_host_ids(void)
{
	const char *v = getenv("E2E_HOST_IDS");

	if (v && *v && sscanf(v, "%u:%u:%u:%u", &host_ids.root_uid,
			&host_ids.root_gid, &host_ids.user_uid,
			&host_ids.user_gid) != 4) {
		fprintf(stderr, "E2E_HOST_IDS=%s is not UID:GID:UID:GID\n", v);
		exit(2);
	}
}

static bool is_root_owned(const struct stat *st)
{
	return st->st_uid == host_ids.root_uid && st->st_gid == host_ids.root_gid;
}

static bool is_user_owned(const struct stat *st)
{
	return st->st_uid == host_ids.user_uid && st->st_gid == host_ids.user_gid;
}

static int write_pattern_file(const char *path, size_t len, unsigned int seed)
{
	uint8_t *buf = malloc(len);
	int r;

	if (!buf)
		return -1;
	e2e_fill_pattern(buf, len, seed, 0);
	r = e2e_write_file(path, buf, len, 0644);
	free(buf);
	return r;
}

static int write_statfs(void)
{
	struct statvfs sv;
	char buf[128];
	int n;

	if (statvfs(e2e_mnt, &sv) < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%lu %lu %llu %lu\n", sv.f_bsize,
		     sv.f_frsize, (unsigned long long)sv.f_blocks,
		     sv.f_namemax);
	return e2e_write_file(e2e_path("host/statfs"), buf, (size_t)n, 0644);
}

int e2e_host_prepare(void)
{
	const char *hello = E2E_HOST_HELLO, *user = E2E_HOST_USER_TEXT;

	umask(0);
	if (mkdir(e2e_path("host"), 0755) < 0 ||
	    mkdir(e2e_path("host/sub"), 0755) < 0 ||
	    e2e_write_file(e2e_path("host/hello.txt"), hello, strlen(hello),
			   0644) < 0 ||
	    write_pattern_file(e2e_path("host/pattern.bin"),
			       E2E_HOST_PATTERN_LEN, E2E_SEED_HOST) < 0 ||
	    symlink("hello.txt", e2e_path("host/link")) < 0 ||
	    e2e_write_file(e2e_path("host/sub/nested.txt"), "nested\n", 7,
			   0644) < 0 ||
	    e2e_write_file(e2e_path("host/empty"), "", 0, 0644) < 0 ||
	    e2e_write_file(e2e_path("host/user.txt"), user, strlen(user),
			   0600) < 0 ||
	    chown(e2e_path("host/user.txt"), E2E_UID, E2E_GID) < 0 ||
	    write_statfs() < 0 || e2e_host_prepare_acl() < 0) {
		fprintf(stderr, "host-prepare %s: %s\n", e2e_mnt,
			strerror(errno));
		return 1;
	}
	return 0;
}

static void h_root_file(void)
{
	char name[96];
	char buf[128];
	struct stat a, b;
	ssize_t n;

	snprintf(name, sizeof(name),
		 "host: out/root.txt content, owner %u:%u (guest root), hard link",
		 host_ids.root_uid, host_ids.root_gid);
	n = e2e_read_file(e2e_path("out/root.txt"), buf, sizeof(buf));
	SYS(n);
	EXPECT((size_t)n == strlen(E2E_ROOT_TEXT) &&
		       memcmp(buf, E2E_ROOT_TEXT, (size_t)n) == 0,
	       "content differs ('%.*s')", (int)n, buf);
	SYS(lstat(e2e_path("out/root.txt"), &a));
	SYS(lstat(e2e_path("out/root-link.txt"), &b));
	EXPECT(is_root_owned(&a), "owner %u:%u, expected %u:%u", a.st_uid,
	       a.st_gid, host_ids.root_uid, host_ids.root_gid);
	EXPECT((a.st_mode & 07777) == 0644, "mode %o", a.st_mode & 07777);
	EXPECT(a.st_ino == b.st_ino && a.st_nlink == 2,
	       "hard link: ino %ju/%ju nlink %ju", (uintmax_t)a.st_ino,
	       (uintmax_t)b.st_ino, (uintmax_t)a.st_nlink);
	e2e_ok(name);
}

static void h_entries(void)
{
	const char *name = "host: out/ symlink, rename, mkdir, unlink";
	char buf[64];
	struct stat st;
	ssize_t n;

	n = readlink(e2e_path("out/symlink"), buf, sizeof(buf));
	SYS(n);
	EXPECT(n == 8 && memcmp(buf, "root.txt", 8) == 0,
	       "symlink target '%.*s'", (int)n, buf);
	n = e2e_read_file(e2e_path("out/after-rename"), buf, sizeof(buf));
	SYS(n);
	EXPECT(n == 8 && memcmp(buf, "renamed\n", 8) == 0,
	       "renamed file content");
	SYS_ERR(lstat(e2e_path("out/before-rename"), &st), ENOENT);
	SYS_ERR(lstat(e2e_path("out/deleted"), &st), ENOENT);
	SYS(lstat(e2e_path("out/dir"), &st));
	EXPECT(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0710,
	       "out/dir mode %o", st.st_mode);
	e2e_ok(name);
}

static void h_user_file(void)
{
	size_t cap = E2E_USER_PATTERN_LEN + 4096;
	uint8_t *buf = malloc(cap);
	struct stat st;
	char name[96];
	ssize_t n;

	snprintf(name, sizeof(name),
		 "host: out/user.bin byte for byte, owner %u:%u (guest uid 1000)",
		 host_ids.user_uid, host_ids.user_gid);
	EXPECT(buf, "malloc failed");
	n = e2e_read_file(e2e_path("out/user.bin"), buf, cap);
	if (n < 0) {
		free(buf);
		FAIL("read: %s", strerror(errno));
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != e2e_pattern(E2E_SEED_USER, (uint64_t)i)) {
			free(buf);
			FAIL("byte %zd differs", i);
		}
	}
	free(buf);
	EXPECT(n == E2E_USER_PATTERN_LEN, "%zd bytes, expected %d", n,
	       E2E_USER_PATTERN_LEN);
	SYS(lstat(e2e_path("out/user.bin"), &st));
	EXPECT(is_user_owned(&st), "owner %u:%u, expected %u:%u", st.st_uid,
	       st.st_gid, host_ids.user_uid, host_ids.user_gid);
	EXPECT((st.st_mode & 07777) == 0640, "mode %o", st.st_mode & 07777);
	SYS(lstat(e2e_path("out/user-dir"), &st));
	EXPECT(S_ISDIR(st.st_mode) && is_user_owned(&st) &&
		       (st.st_mode & 07777) == 0750,
	       "out/user-dir mode %o owner %u:%u", st.st_mode, st.st_uid,
	       st.st_gid);
	e2e_ok(name);
}

static void h_user_entries(void)
{
	const char *paths[] = { "t/userdir/mine", "t/userdir/subdir",
				"t/userdir/link", "t/userdir/nod" };
	struct stat st;
	char name[96];

	snprintf(name, sizeof(name),
		 "host: guest user's file, dir, symlink owned by %u:%u",
		 host_ids.user_uid, host_ids.user_gid);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		SYS(lstat(e2e_path(paths[i]), &st));
		EXPECT(is_user_owned(&st), "%s owner %u:%u", paths[i],
		       st.st_uid, st.st_gid);
	}
	SYS_ERR(lstat(e2e_path("t/private/new"), &st), ENOENT);
	SYS_ERR(lstat(e2e_path("out/stolen"), &st), ENOENT);
	SYS(lstat(e2e_path("t/root644"), &st));
	EXPECT(st.st_uid == host_ids.root_uid && st.st_size == 4 &&
		       (st.st_mode & 07777) == 0644,
	       "t/root644 changed: uid %u size %jd mode %o", st.st_uid,
	       (intmax_t)st.st_size, st.st_mode & 07777);
	e2e_ok(name);
}

static void h_host_files(void)
{
	const char *name = "host: host/ files unchanged";
	char buf[128];
	ssize_t n;

	n = e2e_read_file(e2e_path("host/hello.txt"), buf, sizeof(buf));
	SYS(n);
	EXPECT((size_t)n == strlen(E2E_HOST_HELLO) &&
		       memcmp(buf, E2E_HOST_HELLO, (size_t)n) == 0,
	       "host/hello.txt changed");
	n = readlink(e2e_path("host/link"), buf, sizeof(buf));
	EXPECT(n == 9 && memcmp(buf, "hello.txt", 9) == 0,
	       "host/link changed");
	e2e_ok(name);
}

int e2e_host_check(void)
{
	read_host_ids();
	h_root_file();
	h_entries();
	h_user_file();
	h_user_entries();
	h_host_files();
	e2e_host_check_acl();
	return 0;
}
