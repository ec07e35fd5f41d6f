/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Permission checks as the unprivileged guest user: a forked child drops
 * to uid/gid 1000 and sees EACCES/EPERM where root's files deny it, owns
 * what it creates, and leaves out/user.bin for the host to check.
 */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

static void t_eacces_dir(void)
{
	const char *name = "user: EACCES in a root-only 0700 directory";
	struct stat st;

	SYS_ERR(open(e2e_path("t/private/secret"), O_RDONLY), EACCES);
	SYS_ERR(stat(e2e_path("t/private/secret"), &st), EACCES);
	SYS_ERR(open(e2e_path("t/private"), O_RDONLY | O_DIRECTORY), EACCES);
	SYS_ERR(open(e2e_path("t/private/new"), O_WRONLY | O_CREAT, 0644),
		EACCES);
	SYS_ERR(mkdir(e2e_path("t/private/newdir"), 0755), EACCES);
	/* The directory itself stays visible to a stat of its own. */
	SYS(stat(e2e_path("t/private"), &st));
	EXPECT((st.st_mode & 07777) == 0700 && st.st_uid == 0,
	       "t/private mode %o uid %u", st.st_mode & 07777, st.st_uid);
	e2e_ok(name);
}

static void t_eacces_file(void)
{
	const char *name = "user: EACCES on root's files, parent dir";
	struct stat st;

	SYS_ERR(open(e2e_path("t/root600"), O_RDONLY), EACCES);
	SYS_ERR(open(e2e_path("t/root644"), O_WRONLY), EACCES);
	SYS_ERR(truncate(e2e_path("t/root644"), 0), EACCES);
	SYS_ERR(unlink(e2e_path("t/root644")), EACCES);
	SYS_ERR(rename(e2e_path("t/root644"), e2e_path("out/stolen")), EACCES);
	SYS_ERR(open(e2e_path("t/user-new"), O_WRONLY | O_CREAT, 0644), EACCES);
	SYS(stat(e2e_path("t/root644"), &st));
	EXPECT(st.st_size == 4, "root644 size %jd after refused writes",
	       (intmax_t)st.st_size);
	e2e_ok(name);
}

static void t_access(void)
{
	const char *name = "ACCESS access(2) as the non-root user";

	SYS_ERR(access(e2e_path("t/root600"), R_OK), EACCES);
	SYS(access(e2e_path("t/root644"), R_OK));
	SYS_ERR(access(e2e_path("t/root644"), W_OK), EACCES);
	SYS_ERR(access(e2e_path("t/root644"), X_OK), EACCES);
	SYS(access(e2e_path("t/root644"), F_OK));
	SYS_ERR(access(e2e_path("t/private/secret"), F_OK), EACCES);
	SYS_ERR(access(e2e_path("t/nothing-here"), F_OK), ENOENT);
	SYS(access(e2e_path("t/userdir"), R_OK | W_OK | X_OK));
	SYS(access(e2e_path("host/user.txt"), R_OK | W_OK));
	e2e_ok(name);
}

static void t_owned(void)
{
	const char *name = "user: created file/dir/symlink owned by 1000";
	struct stat st;
	int fd;

	fd = open(e2e_path("t/userdir/mine"), O_RDWR | O_CREAT | O_EXCL, 0640);
	SYS(fd);
	int r = fstat(fd, &st);

	close(fd);
	EXPECT(r == 0, "fstat: %s", strerror(errno));
	EXPECT(st.st_uid == E2E_UID && st.st_gid == E2E_GID,
	       "fstat owner %u:%u", st.st_uid, st.st_gid);
	SYS(stat(e2e_path("t/userdir/mine"), &st));
	EXPECT(st.st_uid == E2E_UID && st.st_gid == E2E_GID,
	       "stat owner %u:%u", st.st_uid, st.st_gid);
	EXPECT((st.st_mode & 07777) == 0640, "mode %o", st.st_mode & 07777);
	SYS(mkdir(e2e_path("t/userdir/subdir"), 0700));
	SYS(stat(e2e_path("t/userdir/subdir"), &st));
	EXPECT(st.st_uid == E2E_UID && st.st_gid == E2E_GID,
	       "dir owner %u:%u", st.st_uid, st.st_gid);
	SYS(symlink("mine", e2e_path("t/userdir/link")));
	SYS(lstat(e2e_path("t/userdir/link"), &st));
	EXPECT(st.st_uid == E2E_UID && st.st_gid == E2E_GID,
	       "symlink owner %u:%u", st.st_uid, st.st_gid);
	SYS(mknod(e2e_path("t/userdir/nod"), S_IFREG | 0600, 0));
	SYS(stat(e2e_path("t/userdir/nod"), &st));
	EXPECT(st.st_uid == E2E_UID && st.st_gid == E2E_GID,
	       "mknod owner %u:%u", st.st_uid, st.st_gid);
	e2e_ok(name);
}

static void t_eperm_chown(void)
{
	const char *name = "user: EPERM on chown to another user";
	struct stat st;

	SYS_ERR(chown(e2e_path("t/userdir/mine"), 0, (gid_t)-1), EPERM);
	SYS_ERR(chown(e2e_path("t/userdir/mine"), 1001, (gid_t)-1), EPERM);
	SYS_ERR(chown(e2e_path("t/userdir/mine"), (uid_t)-1, 0), EPERM);
	SYS_ERR(chown(e2e_path("t/root644"), E2E_UID, E2E_GID), EPERM);
	SYS_ERR(chmod(e2e_path("t/root644"), 0666), EPERM);
	SYS_ERR(utimensat(AT_FDCWD, e2e_path("t/root644"),
			  (struct timespec[2]){ { .tv_sec = 1 },
						{ .tv_sec = 1 } }, 0),
		EPERM);
	/* Its own file, its own group: allowed. */
	SYS(chown(e2e_path("t/userdir/mine"), E2E_UID, E2E_GID));
	SYS(chmod(e2e_path("t/userdir/mine"), 0600));
	SYS(stat(e2e_path("t/userdir/mine"), &st));
	EXPECT(st.st_uid == E2E_UID && (st.st_mode & 07777) == 0600,
	       "uid %u mode %o", st.st_uid, st.st_mode & 07777);
	e2e_ok(name);
}

static void t_sticky(void)
{
	const char *name = "user: sticky directory protects root's file";

	SYS_ERR(unlink(e2e_path("t/sticky/roots")), EPERM);
	SYS_ERR(rename(e2e_path("t/sticky/roots"), e2e_path("t/sticky/x")),
		EPERM);
	SYS(e2e_write_file(e2e_path("t/sticky/users"), "u", 1, 0644));
	SYS(unlink(e2e_path("t/sticky/users")));
	e2e_ok(name);
}

static void t_host_user_file(void)
{
	const char *name = "user: reads its host-owned 0600 file";
	char buf[128];
	ssize_t n;

	n = e2e_read_file(e2e_path("host/user.txt"), buf, sizeof(buf));
	SYS(n);
	EXPECT((size_t)n == strlen(E2E_HOST_USER_TEXT) &&
		       memcmp(buf, E2E_HOST_USER_TEXT, (size_t)n) == 0,
	       "content differs");
	e2e_ok(name);
}

static void t_out_user(void)
{
	const char *name = "user: writes out/user.bin for the host";
	uint8_t *buf = malloc(E2E_USER_PATTERN_LEN);

	EXPECT(buf, "malloc failed");
	e2e_fill_pattern(buf, E2E_USER_PATTERN_LEN, E2E_SEED_USER, 0);
	int r = e2e_write_file(e2e_path("out/user.bin"), buf,
			       E2E_USER_PATTERN_LEN, 0640);
	int e = errno;

	free(buf);
	EXPECT(r == 0, "write out/user.bin: %s", strerror(e));
	SYS(mkdir(e2e_path("out/user-dir"), 0750));
	e2e_ok(name);
}

static void run_as_user(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(E2E_GID, E2E_GID, E2E_GID) < 0 ||
	    setresuid(E2E_UID, E2E_UID, E2E_UID) < 0) {
		e2e_fail("user: drop to uid 1000", "%s", strerror(errno));
		_exit(1);
	}
	if (geteuid() != E2E_UID || getegid() != E2E_GID) {
		e2e_fail("user: drop to uid 1000", "still %u:%u", geteuid(),
			 getegid());
		_exit(1);
	}
	t_eacces_dir();
	t_eacces_file();
	t_access();
	t_owned();
	t_eperm_chown();
	t_sticky();
	t_host_user_file();
	t_out_user();
	fflush(stdout);
	_exit(0);
}

/* Root prepares what the user is denied or allowed. */
static void t_setup(void)
{
	const char *name = "user checks setup (root)";

	SYS(mkdir(e2e_path("t/private"), 0700));
	SYS(e2e_write_file(e2e_path("t/private/secret"), "s", 1, 0600));
	SYS(e2e_write_file(e2e_path("t/root600"), "r600", 4, 0600));
	SYS(e2e_write_file(e2e_path("t/root644"), "r644", 4, 0644));
	SYS(mkdir(e2e_path("t/userdir"), 0755));
	SYS(chown(e2e_path("t/userdir"), E2E_UID, E2E_GID));
	SYS(mkdir(e2e_path("t/sticky"), 01777));
	SYS(e2e_write_file(e2e_path("t/sticky/roots"), "r", 1, 0666));
	e2e_ok(name);
}

void e2e_run_user(void)
{
	const char *name = "user: child exited cleanly";
	int status;
	pid_t pid;

	t_setup();
	fflush(stdout);
	pid = fork();
	SYS(pid);
	if (pid == 0)
		run_as_user();
	SYS(waitpid(pid, &status, 0));
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "child status %#x", status);
	e2e_ok(name);
}
