/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pt_ops locks on a temporary directory: POSIX locks per (file, owner) on
 * host OFD locks, seen by host processes; FLUSH dropping an owner's locks;
 * a SETLKW that waits; flock on the handle; forged fh/nodeid pairs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/creds.h"
#include "pt_fixture.h"

#define OWNER_A 0x1111
#define OWNER_B 0x2222

static struct vfs_lock vl(uint32_t type, uint64_t start, uint64_t end)
{
	struct vfs_lock l = { .start = start, .end = end, .type = type };

	return l;
}

static int setlk(struct env *e, uint64_t node, uint64_t fh, uint64_t owner,
		 uint32_t type, uint64_t start, uint64_t end)
{
	struct vfs_lock l = vl(type, start, end);

	return ops->setlk(e->fs, &root_ctx, node, fh, owner, &l, false);
}

static uint64_t open_fh(struct env *e, uint64_t node, uint32_t flags)
{
	uint64_t fh;

	assert_int_equal(ops->open(e->fs, &root_ctx, node, flags, &fh), 0);
	return fh;
}

/* A host process asks about byte off of path: 1 locked, 0 free. */
static int host_locked(const char *path, off_t off)
{
	pid_t pid;
	int st;

	assert_int_equal(creds_reset(), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				    .l_start = off, .l_len = 1 };
		int fd = open(path, O_RDWR);

		if (fd < 0 || fcntl(fd, F_GETLK, &fl) < 0)
			_exit(2);
		_exit(fl.l_type == F_UNLCK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_owners(void **state)
{
	struct env *e = *state;
	uint64_t fa, fa2, fb, node;
	struct vfs_lock l;

	REQUIRE_ROOT();
	node = do_create(e, VFS_ROOT_ID, "f", &fa);
	fa2 = open_fh(e, node, O_RDWR);
	fb = open_fh(e, node, O_RDWR);

	assert_int_equal(setlk(e, node, fa, OWNER_A, F_WRLCK, 0, 9), 0);
	assert_int_equal(host_locked(hp(e, "f"), 5), 1);
	assert_int_equal(host_locked(hp(e, "f"), 10), 0);

	/* The same owner through another fh: no conflict. */
	l = vl(F_WRLCK, 0, INT64_MAX);
	assert_int_equal(ops->getlk(e->fs, &root_ctx, node, fa2, OWNER_A, &l),
			 0);
	assert_int_equal(l.type, F_UNLCK);
	assert_int_equal(setlk(e, node, fa2, OWNER_A, F_RDLCK, 5, 20), 0);

	/* Another owner sees the merged lock and cannot take it. */
	l = vl(F_RDLCK, 2, 2);
	assert_int_equal(ops->getlk(e->fs, &root_ctx, node, fb, OWNER_B, &l),
			 0);
	assert_int_equal(l.type, F_WRLCK);
	assert_int_equal(l.start, 0);
	assert_int_equal(l.end, 4);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_RDLCK, 3, 3), EAGAIN);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_RDLCK, 10, 10), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 10, 10), EAGAIN);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 21, INT64_MAX),
			 0);
	assert_int_equal(host_locked(hp(e, "f"), 1000000), 1);

	/* An unlock of part of the range. */
	assert_int_equal(setlk(e, node, fa, OWNER_A, F_UNLCK, 0, 2), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 0, 2), 0);

	/* FLUSH of owner A (a close in the guest): all of A's locks go. */
	assert_int_equal(ops->flush(e->fs, &root_ctx, node, fa2, OWNER_A), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 3, 20), 0);
	assert_int_equal(ops->flush(e->fs, &root_ctx, node, fb, OWNER_B), 0);
	assert_int_equal(host_locked(hp(e, "f"), 5), 0);
	assert_int_equal(host_locked(hp(e, "f"), 1000000), 0);

	assert_int_equal(ops->release(e->fs, &root_ctx, node, fa), 0);
	assert_int_equal(ops->release(e->fs, &root_ctx, node, fa2), 0);
	assert_int_equal(ops->release(e->fs, &root_ctx, node, fb), 0);
}

/*
 * The guest's OFD locks: the owner is its open file, and the kernel sends
 * no unlock when the file's last fd goes, only the RELEASE of the fh.
 */
static void test_release_ends_open_file_locks(void **state)
{
	struct env *e = *state;
	uint64_t fa, fa2, fb, node;

	REQUIRE_ROOT();
	node = do_create(e, VFS_ROOT_ID, "f", &fa);
	fa2 = open_fh(e, node, O_RDWR);
	fb = open_fh(e, node, O_RDWR);

	assert_int_equal(setlk(e, node, fa, OWNER_A, F_WRLCK, 0, 9), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 5, 5), EAGAIN);
	/* Another fh released: the lock stays. */
	assert_int_equal(ops->release(e->fs, &root_ctx, node, fa2), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 5, 5), EAGAIN);
	assert_int_equal(host_locked(hp(e, "f"), 0), 1);
	/* The fh it was taken through released: gone, for the host too. */
	assert_int_equal(ops->release(e->fs, &root_ctx, node, fa), 0);
	assert_int_equal(host_locked(hp(e, "f"), 0), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 0, 9), 0);
	assert_int_equal(ops->release(e->fs, &root_ctx, node, fb), 0);
	assert_int_equal(host_locked(hp(e, "f"), 5), 0);
}

static void test_refusals(void **state)
{
	struct env *e = *state;
	uint64_t fh, ro, other, node, node2;
	struct vfs_lock l;

	REQUIRE_ROOT();
	node = do_create(e, VFS_ROOT_ID, "f", &fh);
	node2 = do_create(e, VFS_ROOT_ID, "g", &other);
	ro = open_fh(e, node, O_RDONLY);

	/* Write lock through a read-only fh, as fcntl(2): EBADF. */
	assert_int_equal(setlk(e, node, ro, OWNER_A, F_WRLCK, 0, 0), EBADF);
	assert_int_equal(setlk(e, node, ro, OWNER_A, F_RDLCK, 0, 0), 0);
	/* An fh of another file, an unknown fh, an unknown nodeid. */
	assert_int_equal(setlk(e, node, other, OWNER_A, F_RDLCK, 0, 0), EBADF);
	assert_int_equal(setlk(e, node, 999, OWNER_A, F_RDLCK, 0, 0), EBADF);
	assert_int_equal(setlk(e, 999, fh, OWNER_A, F_RDLCK, 0, 0), ESTALE);
	/* Ranges and types that make no sense. */
	assert_int_equal(setlk(e, node, fh, OWNER_A, F_WRLCK, 9, 3), EINVAL);
	assert_int_equal(setlk(e, node, fh, OWNER_A, F_WRLCK,
			       (uint64_t)INT64_MAX + 1, UINT64_MAX),
			 EINVAL);
	assert_int_equal(setlk(e, node, fh, OWNER_A, 7, 0, 0), EINVAL);
	l = vl(F_UNLCK, 0, 0);
	assert_int_equal(ops->getlk(e->fs, &root_ctx, node, fh, OWNER_A, &l),
			 EINVAL);
	assert_int_equal(ops->flock(e->fs, &root_ctx, node, fh, 9, false),
			 EINVAL);
	(void)node2;
}

struct waiter {
	struct env *e;
	uint64_t node, fh;
	int ret;
	atomic_int tid;		/* the waiting thread, once it runs */
	atomic_bool interrupted;
	atomic_bool cancelled;
	bool flock;
};

static void *wait_lock(void *arg)
{
	struct waiter *w = arg;
	struct vfs_lock l = vl(F_WRLCK, 0, 0);
	struct vfs_ctx ctx = root_ctx;

	ctx.interrupted = &w->interrupted;
	ctx.cancelled = &w->cancelled;
	atomic_store(&w->tid, (int)gettid());
	if (w->flock)
		w->ret = ops->flock(w->e->fs, &ctx, w->node, w->fh, F_WRLCK,
				    true);
	else
		w->ret = ops->setlk(w->e->fs, &ctx, w->node, w->fh, OWNER_B,
				    &l, true);
	return NULL;
}

/*
 * Until the waiter sleeps between two attempts: it has found the lock
 * taken, so what the test does next happens during its wait, however
 * slowly a loaded machine scheduled it.
 */
static void await_waiting(struct waiter *w)
{
	char path[64], buf[32];

	for (int i = 0; i < 2000; i++) {
		int tid = atomic_load(&w->tid);
		FILE *f;

		if (tid) {
			snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
			f = fopen(path, "r");
			if (f) {
				bool sleeping = fgets(buf, sizeof(buf), f) &&
					(!strncmp(buf, "230 ", 4) ||
					 !strncmp(buf, "35 ", 3));

				fclose(f);
				if (sleeping)
					return;
			}
		}
		usleep(5 * 1000);
	}
	fail_msg("the waiter never started to wait");
}

static void test_setlkw_waits(void **state)
{
	struct env *e = *state;
	struct waiter w = { .e = e, .ret = -1 };
	uint64_t fa;
	pthread_t th;

	REQUIRE_ROOT();
	w.node = do_create(e, VFS_ROOT_ID, "f", &fa);
	w.fh = open_fh(e, w.node, O_RDWR);
	assert_int_equal(setlk(e, w.node, fa, OWNER_A, F_WRLCK, 0, 0), 0);
	assert_int_equal(pthread_create(&th, NULL, wait_lock, &w), 0);
	await_waiting(&w);
	/* Still waiting while A holds it. */
	assert_int_equal(__atomic_load_n(&w.ret, __ATOMIC_SEQ_CST), -1);
	assert_int_equal(setlk(e, w.node, fa, OWNER_A, F_UNLCK, 0, 0), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.ret, 0);
	assert_int_equal(setlk(e, w.node, fa, OWNER_A, F_WRLCK, 0, 0), EAGAIN);
	/* A new connection starts without the old one's locks. */
	ops->destroy(e->fs);
	assert_int_equal(host_locked(hp(e, "f"), 0), 0);
}

/* A lock held on the host for good: a new connection calls the wait off. */
static void test_wait_called_off(void **state)
{
	struct env *e = *state;
	struct waiter w = { .e = e, .ret = -1 };
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	uint64_t fa;
	pthread_t th;
	int hfd;

	REQUIRE_ROOT();
	w.node = do_create(e, VFS_ROOT_ID, "f", &fa);
	w.fh = fa;
	assert_int_equal(creds_reset(), 0);
	hfd = open(hp(e, "f"), O_RDWR);
	assert_true(hfd >= 0);
	assert_int_equal(fcntl(hfd, F_OFD_SETLK, &fl), 0);
	assert_int_equal(pthread_create(&th, NULL, wait_lock, &w), 0);
	await_waiting(&w);
	assert_int_equal(__atomic_load_n(&w.ret, __ATOMIC_SEQ_CST), -1);
	ops->destroy(e->fs);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.ret, EINTR);
	close(hfd);
}

/*
 * The guest interrupts a wait, or the front end goes away during it (POSIX
 * lock, then flock, each way): EINTR.
 */
static void test_wait_interrupted(void **state)
{
	struct env *e = *state;
	struct waiter w = { .e = e, .ret = -1 };
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	pthread_t th;
	int hfd;

	REQUIRE_ROOT();
	w.node = do_create(e, VFS_ROOT_ID, "f", &w.fh);
	assert_int_equal(creds_reset(), 0);
	hfd = open(hp(e, "f"), O_RDWR);
	assert_true(hfd >= 0);
	assert_int_equal(fcntl(hfd, F_OFD_SETLK, &fl), 0);
	assert_int_equal(flock(hfd, LOCK_EX), 0);
	for (int i = 0; i < 4; i++) {
		w.flock = i & 1;
		w.ret = -1;
		atomic_init(&w.interrupted, false);
		atomic_init(&w.cancelled, false);
		atomic_init(&w.tid, 0);
		assert_int_equal(pthread_create(&th, NULL, wait_lock, &w), 0);
		await_waiting(&w);
		assert_int_equal(__atomic_load_n(&w.ret, __ATOMIC_SEQ_CST), -1);
		atomic_store(i < 2 ? &w.interrupted : &w.cancelled, true);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_int_equal(w.ret, EINTR);
	}
	close(hfd);
	assert_int_equal(ops->release(e->fs, &root_ctx, w.node, w.fh), 0);
}

static void test_flock(void **state)
{
	struct env *e = *state;
	uint64_t f1, f2, node;

	REQUIRE_ROOT();
	node = do_create(e, VFS_ROOT_ID, "f", &f1);
	f2 = open_fh(e, node, O_RDONLY);
	assert_int_equal(ops->flock(e->fs, &root_ctx, node, f1, F_WRLCK, false),
			 0);
	assert_int_equal(ops->flock(e->fs, &root_ctx, node, f2, F_RDLCK, false),
			 EWOULDBLOCK);
	/* A host process sees it too. */
	{
		int fd, r;

		assert_int_equal(creds_reset(), 0);
		fd = open(hp(e, "f"), O_RDONLY);
		assert_true(fd >= 0);
		r = flock(fd, LOCK_SH | LOCK_NB);
		assert_int_equal(r, -1);
		close(fd);
	}
	/* Downgrade, then a second shared lock fits. */
	assert_int_equal(ops->flock(e->fs, &root_ctx, node, f1, F_RDLCK, false),
			 0);
	assert_int_equal(ops->flock(e->fs, &root_ctx, node, f2, F_RDLCK, true),
			 0);
	/* Releasing the handle drops its flock. */
	assert_int_equal(ops->release(e->fs, &root_ctx, node, f2), 0);
	assert_int_equal(ops->flock(e->fs, &root_ctx, node, f1, F_WRLCK, false),
			 0);
	assert_int_equal(ops->flock(e->fs, &root_ctx, node, f1, F_UNLCK, false),
			 0);
	assert_int_equal(ops->release(e->fs, &root_ctx, node, f1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_owners),
		PT_TEST(test_release_ends_open_file_locks),
		PT_TEST(test_refusals),
		PT_TEST(test_setlkw_waits),
		PT_TEST(test_wait_called_off),
		PT_TEST(test_wait_interrupted),
		PT_TEST(test_flock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
