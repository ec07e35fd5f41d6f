/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lock conflicts between two processes: fcntl F_SETLK/F_GETLK, OFD locks
 * and flock. The parent holds a lock; a child tries one and prints what
 * it got. Blocking waits are never used, so no case can hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "conform.h"

/* One file per kind, so that a lock one kind leaves cannot reach the next. */
static const char *lockfile = "lock-posix";

struct attempt {
	const char *name;
	int kind;	/* 'p' posix, 'o' OFD, 'f' flock, 'g' F_GETLK */
	short type;	/* F_RDLCK / F_WRLCK, or LOCK_SH / LOCK_EX */
	off_t start, len;
	pid_t holder;	/* for 'g': the parent's pid */
};

static int fl_lock(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
			    .l_start = start, .l_len = len };

	return fcntl(fd, cmd, &fl);
}

static const char *type_name(short t)
{
	return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" :
	       t == F_UNLCK ? "F_UNLCK" : "?";
}

/* F_GETLK as the child sees it; l_pid as a relation, never a number. */
static void getlk_child(const struct attempt *a, int fd)
{
	struct flock fl = { .l_type = a->type, .l_whence = SEEK_SET,
			    .l_start = a->start, .l_len = a->len };

	if (fcntl(fd, F_GETLK, &fl) < 0) {
		cf_res(a->name, "%s", cf_errname(errno));
		return;
	}
	if (fl.l_type == F_UNLCK) {
		cf_res(a->name, "F_UNLCK");
		return;
	}
	cf_res(a->name, "%s start=%lld len=%lld pid=%s", type_name(fl.l_type),
	       (long long)fl.l_start, (long long)fl.l_len,
	       fl.l_pid == a->holder ? "holder" :
	       fl.l_pid == 0 ? "0" : fl.l_pid == -1 ? "-1" : "other");
}

static void attempt_child(void *arg)
{
	const struct attempt *a = arg;
	int fd = open(lockfile, O_RDWR);

	if (fd < 0) {
		cf_res(a->name, "%s", cf_errname(errno));
		return;
	}
	switch (a->kind) {
	case 'p':
		cf_rc(a->name, fl_lock(fd, F_SETLK, a->type, a->start, a->len));
		break;
	case 'o':
		cf_rc(a->name, fl_lock(fd, F_OFD_SETLK, a->type, a->start,
				       a->len));
		break;
	case 'f':
		cf_rc(a->name, flock(fd, a->type | LOCK_NB));
		break;
	case 'g':
		getlk_child(a, fd);
		break;
	}
	close(fd);
}

static void try_lock(const char *name, int kind, short type, off_t start,
		     off_t len)
{
	struct attempt a = { name, kind, type, start, len, getpid() };

	if (cf_child(attempt_child, &a, 0) != 0)
		cf_res(name, "child-failed");
}

static void posix_cases(void)
{
	int fd, fd2;

	fd = open(lockfile, O_RDWR);
	if (cf_setup_rc("posix", fd))
		return;
	cf_rc("posix.setlk-wr", fl_lock(fd, F_SETLK, F_WRLCK, 0, 10));
	try_lock("posix.conflict-wr", 'p', F_WRLCK, 0, 10);
	try_lock("posix.conflict-rd", 'p', F_RDLCK, 5, 1);
	try_lock("posix.no-overlap", 'p', F_WRLCK, 10, 10);
	try_lock("posix.getlk-conflict", 'g', F_WRLCK, 0, 0);
	try_lock("posix.getlk-free-range", 'g', F_WRLCK, 100, 5);
	cf_rc("posix.relock-own", fl_lock(fd, F_SETLK, F_WRLCK, 0, 20));
	cf_rc("posix.downgrade-rd", fl_lock(fd, F_SETLK, F_RDLCK, 0, 10));
	try_lock("posix.shared-rd", 'p', F_RDLCK, 0, 10);
	try_lock("posix.wr-on-rd", 'p', F_WRLCK, 0, 10);
	cf_rc("posix.unlock", fl_lock(fd, F_SETLK, F_UNLCK, 0, 0));
	try_lock("posix.after-unlock", 'p', F_WRLCK, 0, 10);
	cf_rc("posix.einval-type", fl_lock(fd, F_SETLK, 42, 0, 1));
	cf_rc("posix.einval-negative", fl_lock(fd, F_SETLK, F_WRLCK, -5, 1));
	if (fl_lock(fd, F_SETLK, F_WRLCK, 0, 0) == 0) {
		/* Closing any fd of the file drops the process's locks. */
		fd2 = open(lockfile, O_RDONLY);
		if (fd2 >= 0)
			close(fd2);
		try_lock("posix.dropped-by-other-close", 'p', F_WRLCK, 0, 1);
	}
	close(fd);
	fd = open(lockfile, O_RDONLY);
	if (fd >= 0) {
		cf_rc("posix.ebadf-wr-on-rdonly",
		      fl_lock(fd, F_SETLK, F_WRLCK, 0, 1));
		close(fd);
	}
}

static void ofd_cases(void)
{
	struct flock fl;
	int fd, fd2;

	fd = open(lockfile, O_RDWR);
	fd2 = open(lockfile, O_RDWR);
	if (cf_setup_rc("ofd", fd) || cf_setup_rc("ofd", fd2))
		return;
	cf_rc("ofd.setlk-wr", fl_lock(fd, F_OFD_SETLK, F_WRLCK, 0, 10));
	cf_rc("ofd.same-process-other-fd",
	      fl_lock(fd2, F_OFD_SETLK, F_WRLCK, 0, 10));
	try_lock("ofd.conflict-child", 'o', F_WRLCK, 5, 10);
	try_lock("ofd.conflict-posix", 'p', F_RDLCK, 0, 1);
	try_lock("ofd.no-overlap", 'o', F_WRLCK, 10, 10);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd2, F_OFD_GETLK, &fl) == 0)
		cf_res("ofd.getlk", "%s start=%lld len=%lld pid=%d",
		       type_name(fl.l_type), (long long)fl.l_start,
		       (long long)fl.l_len, fl.l_pid);
	else
		cf_res("ofd.getlk", "%s", cf_errname(errno));
	cf_rc("ofd.einval-pid", fcntl(fd2, F_OFD_SETLK,
		&(struct flock){ .l_type = F_WRLCK, .l_pid = 1 }));
	close(fd2);
	try_lock("ofd.kept-after-other-close", 'o', F_WRLCK, 0, 1);
	cf_rc("ofd.unlock", fl_lock(fd, F_OFD_SETLK, F_UNLCK, 0, 0));
	try_lock("ofd.after-unlock", 'o', F_WRLCK, 0, 10);
	/*
	 * The last child's lock went with its last fd of the file. Asked
	 * through fd, which was open all along: a new child's open file
	 * could reuse the dead one's address, which FUSE makes its lock owner.
	 */
	cf_rc("ofd.released-by-child-exit",
	      fl_lock(fd, F_OFD_SETLK, F_WRLCK, 0, 10));
	close(fd);
}

static void flock_cases(void)
{
	int fd, fd2;

	fd = open(lockfile, O_RDWR);
	fd2 = open(lockfile, O_RDWR);
	if (cf_setup_rc("flock", fd) || cf_setup_rc("flock", fd2))
		return;
	cf_rc("flock.ex", flock(fd, LOCK_EX | LOCK_NB));
	try_lock("flock.conflict-ex", 'f', LOCK_EX, 0, 0);
	try_lock("flock.conflict-sh", 'f', LOCK_SH, 0, 0);
	cf_rc("flock.same-process-other-fd", flock(fd2, LOCK_SH | LOCK_NB));
	try_lock("flock.independent-of-posix", 'p', F_WRLCK, 0, 0);
	cf_rc("flock.downgrade-sh", flock(fd, LOCK_SH | LOCK_NB));
	try_lock("flock.shared-sh", 'f', LOCK_SH, 0, 0);
	try_lock("flock.ex-on-sh", 'f', LOCK_EX, 0, 0);
	cf_rc("flock.unlock", flock(fd, LOCK_UN));
	try_lock("flock.after-unlock", 'f', LOCK_EX, 0, 0);
	cf_rc("flock.einval-op", flock(fd, 0));
	cf_rc("flock.ex-again", flock(fd, LOCK_EX | LOCK_NB));
	close(fd);
	try_lock("flock.released-on-close", 'f', LOCK_EX, 0, 0);
	close(fd2);
}

void cf_run_lock(void)
{
	if (cf_mkfile("lock-posix", 0666, 100) ||
	    cf_mkfile("lock-ofd", 0666, 100) ||
	    cf_mkfile("lock-flock", 0666, 100))
		return;
	posix_cases();
	lockfile = "lock-ofd";
	ofd_cases();
	lockfile = "lock-flock";
	flock_cases();
}
