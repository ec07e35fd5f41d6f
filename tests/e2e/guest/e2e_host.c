/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files the host created before the guest booted (tests/e2e/run-guest.sh
 * prepare_share) are visible with the host's content, types and owners;
 * statvfs reports the host filesystem.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "e2e.h"

static void t_hello(void)
{
	const char *name = "host file read (content)";
	char buf[256];
	ssize_t n;

	n = e2e_read_file(e2e_path("host/hello.txt"), buf, sizeof(buf));
	SYS(n);
	EXPECT((size_t)n == strlen(E2E_HOST_HELLO) &&
		       memcmp(buf, E2E_HOST_HELLO, (size_t)n) == 0,
	       "content differs (%zd bytes: '%.*s')", n, (int)n, buf);
	e2e_ok(name);
}

static void t_pattern(void)
{
	const char *name = "host file read (256 KiB pattern)";
	size_t cap = E2E_HOST_PATTERN_LEN + 4096;
	uint8_t *buf = malloc(cap);
	struct stat st;
	ssize_t n;

	EXPECT(buf, "malloc failed");
	n = e2e_read_file(e2e_path("host/pattern.bin"), buf, cap);
	if (n < 0) {
		free(buf);
		FAIL("read host/pattern.bin: %s", strerror(errno));
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != e2e_pattern(E2E_SEED_HOST, (uint64_t)i)) {
			free(buf);
			FAIL("byte %zd differs", i);
		}
	}
	free(buf);
	EXPECT(n == E2E_HOST_PATTERN_LEN, "read %zd bytes, expected %d", n,
	       E2E_HOST_PATTERN_LEN);
	SYS(stat(e2e_path("host/pattern.bin"), &st));
	EXPECT(st.st_size == E2E_HOST_PATTERN_LEN, "st_size %jd",
	       (intmax_t)st.st_size);
	e2e_ok(name);
}

static void t_symlink(void)
{
	const char *name = "host symlink readlink and follow";
	char buf[256];
	struct stat st;
	ssize_t n;

	SYS(lstat(e2e_path("host/link"), &st));
	EXPECT(S_ISLNK(st.st_mode), "not a symlink (mode %o)", st.st_mode);
	n = readlink(e2e_path("host/link"), buf, sizeof(buf));
	SYS(n);
	EXPECT(n == 9 && memcmp(buf, "hello.txt", 9) == 0,
	       "readlink gave '%.*s'", (int)n, buf);
	n = e2e_read_file(e2e_path("host/link"), buf, sizeof(buf));
	SYS(n);
	EXPECT((size_t)n == strlen(E2E_HOST_HELLO) &&
		       memcmp(buf, E2E_HOST_HELLO, (size_t)n) == 0,
	       "content through the link differs");
	e2e_ok(name);
}

static void t_nested(void)
{
	const char *name = "host subdirectory and empty file";
	char buf[64];
	struct stat st;
	ssize_t n;

	SYS(stat(e2e_path("host/sub"), &st));
	EXPECT(S_ISDIR(st.st_mode), "host/sub mode %o", st.st_mode);
	n = e2e_read_file(e2e_path("host/sub/nested.txt"), buf, sizeof(buf));
	SYS(n);
	EXPECT(n == 7 && memcmp(buf, "nested\n", 7) == 0,
	       "nested.txt content differs");
	SYS(stat(e2e_path("host/empty"), &st));
	EXPECT(S_ISREG(st.st_mode) && st.st_size == 0,
	       "host/empty mode %o size %jd", st.st_mode,
	       (intmax_t)st.st_size);
	n = e2e_read_file(e2e_path("host/empty"), buf, sizeof(buf));
	SYS(n);
	EXPECT(n == 0, "read %zd bytes from an empty file", n);
	e2e_ok(name);
}

static void t_owner(void)
{
	const char *name = "host file owner and mode (uid 1000, 0600)";
	struct stat st;

	SYS(stat(e2e_path("host/user.txt"), &st));
	EXPECT(st.st_uid == E2E_UID && st.st_gid == E2E_GID,
	       "owner %u:%u", st.st_uid, st.st_gid);
	EXPECT((st.st_mode & 07777) == 0600, "mode %o", st.st_mode & 07777);
	SYS(stat(e2e_path("host/hello.txt"), &st));
	EXPECT(st.st_uid == 0 && st.st_gid == 0, "hello.txt owner %u:%u",
	       st.st_uid, st.st_gid);
	e2e_ok(name);
}

/* host/statfs holds "f_bsize f_frsize f_blocks f_namemax" of the share. */
static void t_statfs(void)
{
	const char *name = "STATFS statvfs matches the host filesystem";
	unsigned long long bsize, frsize, blocks, namemax;
	struct statvfs sv;
	char buf[256];
	ssize_t n;

	n = e2e_read_file(e2e_path("host/statfs"), buf, sizeof(buf) - 1);
	SYS(n);
	buf[n] = '\0';
	EXPECT(sscanf(buf, "%llu %llu %llu %llu", &bsize, &frsize, &blocks,
		      &namemax) == 4,
	       "host/statfs unreadable: '%s'", buf);
	SYS(statvfs(e2e_mnt, &sv));
	EXPECT(sv.f_bsize == bsize, "f_bsize %lu, host %llu", sv.f_bsize,
	       bsize);
	EXPECT(sv.f_frsize == frsize, "f_frsize %lu, host %llu", sv.f_frsize,
	       frsize);
	EXPECT(sv.f_blocks == blocks, "f_blocks %llu, host %llu",
	       (unsigned long long)sv.f_blocks, blocks);
	EXPECT(sv.f_namemax == namemax, "f_namemax %lu, host %llu",
	       sv.f_namemax, namemax);
	EXPECT(sv.f_bfree <= sv.f_blocks && sv.f_bavail <= sv.f_bfree,
	       "free counts inconsistent: blocks %llu bfree %llu bavail %llu",
	       (unsigned long long)sv.f_blocks,
	       (unsigned long long)sv.f_bfree,
	       (unsigned long long)sv.f_bavail);
	EXPECT(sv.f_files > 0 && sv.f_ffree <= sv.f_files,
	       "inode counts: files %llu ffree %llu",
	       (unsigned long long)sv.f_files,
	       (unsigned long long)sv.f_ffree);
	e2e_ok(name);
}

void e2e_run_host_files(void)
{
	t_hello();
	t_pattern();
	t_symlink();
	t_nested();
	t_owner();
	t_statfs();
}
