/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Extended attributes, POSIX and flock locks between two processes,
 * copy_file_range, syncfs and ioctl. Where QEMU's virtiofsd answers
 * differently by design (docs/CONFORMANCE.md), a check accepts that answer
 * only when the runner says virtiofsd is serving (host/daemon).
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

bool e2e_is_virtiofsd(void)
{
	char buf[32];
	ssize_t n = e2e_read_file(e2e_path("host/daemon"), buf,
				  sizeof(buf) - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strncmp(buf, "virtiofsd", 9) == 0;
}

static void t_xattr(void)
{
	const char *name = "SETXATTR/GETXATTR/LISTXATTR/REMOVEXATTR";
	const char *p = e2e_path("t/xa");
	char buf[256];
	ssize_t n;

	SYS(e2e_write_file(p, "x", 1, 0644));
	errno = 0;
	if (setxattr(p, "user.e2e", "value", 5, 0) < 0 &&
	    errno == EOPNOTSUPP && e2e_is_virtiofsd()) {
		/* QEMU's virtiofsd has xattrs off unless -o xattr. */
		e2e_ok("SETXATTR (virtiofsd without -o xattr: EOPNOTSUPP)");
		return;
	}
	SYS(getxattr(p, "user.e2e", NULL, 0));
	n = getxattr(p, "user.e2e", NULL, 0);
	EXPECT(n == 5, "size probe gave %zd", n);
	n = getxattr(p, "user.e2e", buf, sizeof(buf));
	EXPECT(n == 5 && !memcmp(buf, "value", 5), "value of %zd bytes", n);
	SYS_ERR(getxattr(p, "user.e2e", buf, 4), ERANGE);
	SYS_ERR(getxattr(p, "user.none", buf, sizeof(buf)), ENODATA);
	SYS_ERR(setxattr(p, "user.e2e", "v", 1, XATTR_CREATE), EEXIST);
	SYS_ERR(setxattr(p, "user.new", "v", 1, XATTR_REPLACE), ENODATA);
	SYS(setxattr(p, "user.e2e", "v2", 2, XATTR_REPLACE));
	SYS(setxattr(p, "user.empty", "", 0, XATTR_CREATE));
	n = getxattr(p, "user.empty", buf, sizeof(buf));
	EXPECT(n == 0, "empty value gave %zd", n);

	n = listxattr(p, NULL, 0);
	EXPECT(n == (ssize_t)(sizeof("user.e2e") + sizeof("user.empty")),
	       "list size probe gave %zd", n);
	SYS_ERR(listxattr(p, buf, 3), ERANGE);
	n = listxattr(p, buf, sizeof(buf));
	EXPECT(n == (ssize_t)(sizeof("user.e2e") + sizeof("user.empty")) &&
		       memmem(buf, (size_t)n, "user.e2e", 9) &&
		       memmem(buf, (size_t)n, "user.empty", 11),
	       "list of %zd bytes", n);
	SYS(removexattr(p, "user.e2e"));
	SYS_ERR(removexattr(p, "user.e2e"), ENODATA);
	SYS_ERR(getxattr(p, "user.e2e", buf, sizeof(buf)), ENODATA);

	/* Directories carry them too. */
	SYS(setxattr(e2e_path("t"), "user.dir", "d", 1, 0));
	n = getxattr(e2e_path("t"), "user.dir", buf, sizeof(buf));
	EXPECT(n == 1 && buf[0] == 'd', "directory value of %zd bytes", n);
	SYS(removexattr(e2e_path("t"), "user.dir"));
	e2e_ok(name);
}

/* Large values up to what the VFS allows, and one byte over. */
static void t_xattr_sizes(void)
{
	const char *name = "xattr value sizes (64 KiB, E2BIG past it)";
	const char *p = e2e_path("t/xa");
	static char big[65537], back[65536];
	ssize_t n;

	memset(big, 'b', sizeof(big));
	errno = 0;
	if (setxattr(p, "user.big", big, 4000, 0) < 0 && errno == EOPNOTSUPP &&
	    e2e_is_virtiofsd()) {
		e2e_ok("xattr sizes (virtiofsd without -o xattr: EOPNOTSUPP)");
		return;
	}
	SYS(getxattr(p, "user.big", back, sizeof(back)));
	n = getxattr(p, "user.big", back, sizeof(back));
	EXPECT(n == 4000 && !memcmp(back, big, 4000), "4000 back as %zd", n);
	SYS_ERR(setxattr(p, "user.big", big, sizeof(big), 0), E2BIG);
	/* ext4 keeps at most a block per value unless ea_inode: either way
	 * what was stored comes back whole. */
	if (setxattr(p, "user.big", big, 65536, 0) == 0) {
		n = getxattr(p, "user.big", back, sizeof(back));
		EXPECT(n == 65536 && !memcmp(back, big, 65536),
		       "64 KiB back as %zd", n);
	}
	SYS(removexattr(p, "user.big"));
	e2e_ok(name);
}

/* Runs fn in a child; 0 when it exited 0. */
static int in_child(int (*fn)(int fd, const char *arg), int fd,
		    const char *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(fd, arg));
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static struct flock lk(short type, off_t start, off_t len)
{
	struct flock l;

	memset(&l, 0, sizeof(l));
	l.l_type = type;
	l.l_whence = SEEK_SET;
	l.l_start = start;
	l.l_len = len;
	return l;
}

/* In the child: the parent's write lock on [0, 10) blocks it there only. */
static int child_sees_lock(int fd, const char *arg)
{
	struct flock l = lk(F_WRLCK, 5, 1);

	(void)arg;
	if (fcntl(fd, F_GETLK, &l) < 0)
		return 1;
	if (l.l_type != F_WRLCK || l.l_start != 0 || l.l_len != 10)
		return 2;
	l = lk(F_RDLCK, 0, 1);
	if (fcntl(fd, F_SETLK, &l) == 0 ||
	    (errno != EAGAIN && errno != EACCES))
		return 3;
	/* Past the parent's range: free. */
	l = lk(F_WRLCK, 10, 5);
	if (fcntl(fd, F_SETLK, &l) < 0)
		return 4;
	l = lk(F_WRLCK, 20, 5);
	if (fcntl(fd, F_SETLKW, &l) < 0)
		return 5;
	return 0;
}

/* In the child: after the parent's unlock the whole file is free. */
static int child_takes_all(int fd, const char *arg)
{
	struct flock l = lk(F_WRLCK, 0, 0);

	(void)arg;
	if (fcntl(fd, F_GETLK, &l) < 0 || l.l_type != F_UNLCK)
		return 1;
	l = lk(F_WRLCK, 0, 0);
	return fcntl(fd, F_SETLK, &l) < 0 ? 2 : 0;
}

static void t_posix_locks(void)
{
	const char *name = "POSIX locks between two processes";
	const char *p = e2e_path("t/locks");
	struct flock l;
	int fd, r;

	SYS(e2e_write_file(p, "0123456789abcdef", 16, 0644));
	fd = open(p, O_RDWR);
	SYS(fd);
	l = lk(F_WRLCK, 0, 10);
	if (fcntl(fd, F_SETLK, &l) < 0) {
		close(fd);
		FAIL("F_SETLK: %s", strerror(errno));
	}
	/* Our own lock never conflicts with us. */
	l = lk(F_WRLCK, 0, 16);
	r = fcntl(fd, F_GETLK, &l);
	if (r < 0 || l.l_type != F_UNLCK) {
		close(fd);
		FAIL("own F_GETLK: %d type %d", r, l.l_type);
	}
	r = in_child(child_sees_lock, fd, NULL);
	if (r) {
		close(fd);
		FAIL("child with the parent's lock held: step %d", r);
	}
	l = lk(F_UNLCK, 0, 0);
	if (fcntl(fd, F_SETLK, &l) < 0) {
		close(fd);
		FAIL("F_UNLCK: %s", strerror(errno));
	}
	r = in_child(child_takes_all, fd, NULL);
	close(fd);
	EXPECT(r == 0, "child after unlock: step %d", r);
	e2e_ok(name);
}

/* A lock dies with the closing of any fd of its owner on the file. */
static void t_posix_lock_close(void)
{
	const char *name = "POSIX lock released by close of another fd";
	const char *p = e2e_path("t/locks");
	struct flock l;
	int fd, fd2, r;

	fd = open(p, O_RDWR);
	SYS(fd);
	fd2 = open(p, O_RDONLY);
	if (fd2 < 0) {
		close(fd);
		FAIL("second open: %s", strerror(errno));
	}
	l = lk(F_WRLCK, 0, 0);
	if (fcntl(fd, F_SETLK, &l) < 0) {
		close(fd);
		close(fd2);
		FAIL("F_SETLK: %s", strerror(errno));
	}
	close(fd2);
	r = in_child(child_takes_all, fd, NULL);
	close(fd);
	EXPECT(r == 0, "child after the close: step %d", r);
	e2e_ok(name);
}

/* In the child: wait for the parent's lock, which it drops in a moment. */
static int child_waits(int fd, const char *arg)
{
	struct flock l = lk(F_WRLCK, 0, 1);
	struct timespec t0, t1;
	long ms;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (fcntl(fd, F_SETLKW, &l) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	/* Taken only once the parent let go, 300 ms after the fork. */
	return ms < 150 ? 2 : 0;
}

static void t_posix_lock_wait(void)
{
	const char *name = "F_SETLKW waits for the other process's unlock";
	const char *p = e2e_path("t/locks");
	struct flock l = lk(F_WRLCK, 0, 1);
	pid_t pid;
	int fd, st;

	fd = open(p, O_RDWR);
	SYS(fd);
	if (fcntl(fd, F_SETLK, &l) < 0) {
		close(fd);
		FAIL("F_SETLK: %s", strerror(errno));
	}
	pid = fork();
	if (pid == 0)
		_exit(child_waits(fd, NULL));
	usleep(300 * 1000);
	l = lk(F_UNLCK, 0, 0);
	st = fcntl(fd, F_SETLK, &l);
	if (pid < 0 || st < 0) {
		close(fd);
		FAIL("fork/unlock: %s", strerror(errno));
	}
	st = -1;
	waitpid(pid, &st, 0);
	close(fd);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
	e2e_ok(name);
}

/*
 * In the child: hold [1, 2), tell the parent, then wait for the parent's
 * [0, 1). 0 once it has it, 3 when answered EDEADLK.
 */
static int child_cross_waits(int fd, int ready)
{
	struct flock l = lk(F_WRLCK, 1, 1);

	if (fcntl(fd, F_SETLK, &l) < 0)
		return 1;
	if (write(ready, "x", 1) != 1)
		return 2;
	l = lk(F_WRLCK, 0, 1);
	if (fcntl(fd, F_SETLKW, &l) == 0)
		return 0;
	return errno == EDEADLK ? 3 : 4;
}

/*
 * Two processes each hold a byte and wait for the other's: one of them is
 * answered EDEADLK, as on a local file. Which one depends on whether the
 * child waits already when the parent asks (most likely, after 300 ms);
 * either closes the cycle, and the other then gets its lock.
 */
static void t_posix_lock_deadlock(void)
{
	const char *name = "F_SETLKW that would deadlock answers EDEADLK";
	const char *p = e2e_path("t/locks");
	struct flock l = lk(F_WRLCK, 0, 1);
	int fd, pfd[2], st = -1, r, err;
	pid_t pid;
	char c;

	fd = open(p, O_RDWR);
	SYS(fd);
	if (fcntl(fd, F_SETLK, &l) < 0 || pipe(pfd) < 0) {
		close(fd);
		FAIL("F_SETLK/pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		_exit(child_cross_waits(fd, pfd[1]));
	}
	close(pfd[1]);
	r = pid < 0 ? -1 : (int)read(pfd[0], &c, 1);
	close(pfd[0]);
	if (r != 1) {
		if (pid > 0)
			waitpid(pid, &st, 0);
		close(fd);
		FAIL("child never held its byte: status %#x", st);
	}
	usleep(300 * 1000);
	l = lk(F_WRLCK, 1, 1);
	r = fcntl(fd, F_SETLKW, &l);
	err = errno;
	/* Whichever of us was refused, the child may have [0, 1) now. */
	l = lk(F_UNLCK, 0, 0);
	if (fcntl(fd, F_SETLK, &l) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		close(fd);
		FAIL("F_UNLCK: %s", strerror(errno));
	}
	waitpid(pid, &st, 0);
	close(fd);
	EXPECT(WIFEXITED(st), "child status %#x", st);
	EXPECT((r < 0 && err == EDEADLK && WEXITSTATUS(st) == 0) ||
		       (r == 0 && WEXITSTATUS(st) == 3),
	       "parent F_SETLKW %d (%s), child exit %d", r,
	       r < 0 ? strerror(err) : "taken", WEXITSTATUS(st));
	e2e_ok(name);
}

static int child_flock(int fd, const char *path)
{
	int fd2 = open(path, O_RDWR);
	int ret = 0;

	(void)fd;
	if (fd2 < 0)
		return 1;
	if (flock(fd2, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK)
		ret = 2;
	close(fd2);
	return ret;
}

static void t_flock(void)
{
	const char *name = "flock exclusive, shared, conflicts";
	const char *p = e2e_path("t/flock");
	int fd, fd2 = -1, r;

	SYS(e2e_write_file(p, "f", 1, 0644));
	fd = open(p, O_RDWR);
	SYS(fd);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		FAIL("LOCK_EX: %s", strerror(errno));
	}
	r = in_child(child_flock, -1, p);
	if (r) {
		close(fd);
		FAIL("other open file while LOCK_EX held: step %d", r);
	}
	fd2 = open(p, O_RDONLY);
	r = fd2 < 0 ? -1 : flock(fd2, LOCK_SH | LOCK_NB);
	if (r == 0 || errno != EWOULDBLOCK) {
		close(fd);
		close(fd2);
		FAIL("LOCK_SH on a second open: %d %s", r, strerror(errno));
	}
	r = flock(fd, LOCK_UN);
	if (!r)
		r = flock(fd2, LOCK_SH | LOCK_NB);
	if (!r)
		r = flock(fd, LOCK_SH | LOCK_NB);
	close(fd);
	close(fd2);
	EXPECT(r == 0, "after LOCK_UN two shared locks: %s", strerror(errno));
	e2e_ok(name);
}

static void t_copy_file_range(void)
{
	const char *name = "copy_file_range between two files";
	static char src[100000], back[100000];
	loff_t in_off = 1000, out_off = 10;
	ssize_t n, done = 0;
	int in, out;

	e2e_fill_pattern((uint8_t *)src, sizeof(src), 7, 0);
	SYS(e2e_write_file(e2e_path("t/cfr_in"), src, sizeof(src), 0644));
	in = open(e2e_path("t/cfr_in"), O_RDONLY);
	SYS(in);
	out = open(e2e_path("t/cfr_out"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		close(in);
		FAIL("open out: %s", strerror(errno));
	}
	while (done < 50000) {
		n = copy_file_range(in, &in_off, out, &out_off,
				    (size_t)(50000 - done), 0);
		if (n <= 0)
			break;
		done += n;
	}
	close(in);
	close(out);
	EXPECT(done == 50000, "copied %zd: %s", done, strerror(errno));
	EXPECT(in_off == 51000 && out_off == 50010, "offsets %lld %lld",
	       (long long)in_off, (long long)out_off);
	n = e2e_read_file(e2e_path("t/cfr_out"), back, sizeof(back));
	EXPECT(n == 50010, "out holds %zd bytes", n);
	for (int i = 0; i < 10; i++)
		EXPECT(back[i] == 0, "hole byte %d is %d", i, back[i]);
	EXPECT(!memcmp(back + 10, src + 1000, 50000), "copied bytes differ");
	e2e_ok(name);
}

static void t_syncfs_ioctl(void)
{
	const char *name = "syncfs; ioctl answers ENOTTY";
	int fd, flags;

	fd = open(e2e_path("t/xa"), O_RDONLY);
	SYS(fd);
	if (syncfs(fd) < 0) {
		close(fd);
		FAIL("syncfs: %s", strerror(errno));
	}
	errno = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 || errno != ENOTTY) {
		int e = errno;

		close(fd);
		FAIL("FS_IOC_GETFLAGS: %s", strerror(e));
	}
	close(fd);
	e2e_ok(name);
}

static void t_tmpfile(void)
{
	const char *name = "O_TMPFILE, then linked into the directory";
	char buf[16];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(e2e_path("t"), O_TMPFILE | O_RDWR, 0640);
	if (fd < 0 && errno == EOPNOTSUPP && e2e_is_virtiofsd()) {
		/* QEMU 7.2's virtiofsd has no FUSE_TMPFILE. */
		e2e_ok("O_TMPFILE (virtiofsd: EOPNOTSUPP)");
		return;
	}
	SYS(fd);
	if (write(fd, "tmpdata", 7) != 7 || fstat(fd, &st) < 0) {
		close(fd);
		FAIL("write/fstat: %s", strerror(errno));
	}
	if (st.st_nlink != 0 || (st.st_mode & 07777) != 0640) {
		close(fd);
		FAIL("nlink %ju mode %o", (uintmax_t)st.st_nlink, st.st_mode);
	}
	if (linkat(fd, "", AT_FDCWD, e2e_path("t/tmp_linked"),
		   AT_EMPTY_PATH) < 0) {
		close(fd);
		FAIL("linkat: %s", strerror(errno));
	}
	close(fd);
	n = e2e_read_file(e2e_path("t/tmp_linked"), buf, sizeof(buf));
	EXPECT(n == 7 && !memcmp(buf, "tmpdata", 7), "linked file: %zd", n);
	SYS_ERR(open(e2e_path("t"), O_TMPFILE | O_RDONLY, 0600), EINVAL);
	SYS_ERR(open(e2e_path("t/xa"), O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	e2e_ok(name);
}

void e2e_run_posix(void)
{
	t_xattr();
	t_xattr_sizes();
	t_posix_locks();
	t_posix_lock_close();
	t_posix_lock_wait();
	t_posix_lock_deadlock();
	t_flock();
	t_copy_file_range();
	t_syncfs_ioctl();
	t_tmpfile();
}
