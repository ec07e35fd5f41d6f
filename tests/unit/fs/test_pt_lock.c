/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pt_ops locks on a temporary directory: POSIX locks per (file, owner) on
 * host OFD locks, seen by host processes; FLUSH dropping an owner's locks;
 * a SETLKW that waits; flock on the handle; forged fh/nodeid pairs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
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

	return OP(setlk, e->fs, &root_ctx, node, fh, owner, &l, false);
}

static uint64_t open_fh(struct env *e, uint64_t node, uint32_t flags)
{
	uint64_t fh;

	assert_int_equal(OP(open, e->fs, &root_ctx, node, flags, &fh), 0);
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
	assert_int_equal(OP(getlk, e->fs, &root_ctx, node, fa2, OWNER_A, &l),
			 0);
	assert_int_equal(l.type, F_UNLCK);
	assert_int_equal(setlk(e, node, fa2, OWNER_A, F_RDLCK, 5, 20), 0);

	/* Another owner sees the merged lock and cannot take it. */
	l = vl(F_RDLCK, 2, 2);
	assert_int_equal(OP(getlk, e->fs, &root_ctx, node, fb, OWNER_B, &l),
			 0);
	assert_int_equal(l.type, F_WRLCK);
	assert_int_equal(l.start, 0);
	assert_int_equal(l.end, 4);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_RDLCK, 3, 3), -EAGAIN);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_RDLCK, 10, 10), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 10, 10), -EAGAIN);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 21, INT64_MAX),
			 0);
	assert_int_equal(host_locked(hp(e, "f"), 1000000), 1);

	/* An unlock of part of the range. */
	assert_int_equal(setlk(e, node, fa, OWNER_A, F_UNLCK, 0, 2), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 0, 2), 0);

	/* FLUSH of owner A (a close in the guest): all of A's locks go. */
	assert_int_equal(OP(flush, e->fs, &root_ctx, node, fa2, OWNER_A), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 3, 20), 0);
	assert_int_equal(OP(flush, e->fs, &root_ctx, node, fb, OWNER_B), 0);
	assert_int_equal(host_locked(hp(e, "f"), 5), 0);
	assert_int_equal(host_locked(hp(e, "f"), 1000000), 0);

	assert_int_equal(OP(release, e->fs, &root_ctx, node, fa), 0);
	assert_int_equal(OP(release, e->fs, &root_ctx, node, fa2), 0);
	assert_int_equal(OP(release, e->fs, &root_ctx, node, fb), 0);
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
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 5, 5), -EAGAIN);
	/* Another fh released: the lock stays. */
	assert_int_equal(OP(release, e->fs, &root_ctx, node, fa2), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 5, 5), -EAGAIN);
	assert_int_equal(host_locked(hp(e, "f"), 0), 1);
	/* The fh it was taken through released: gone, for the host too. */
	assert_int_equal(OP(release, e->fs, &root_ctx, node, fa), 0);
	assert_int_equal(host_locked(hp(e, "f"), 0), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 0, 9), 0);
	assert_int_equal(OP(release, e->fs, &root_ctx, node, fb), 0);
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
	assert_int_equal(setlk(e, node, ro, OWNER_A, F_WRLCK, 0, 0), -EBADF);
	assert_int_equal(setlk(e, node, ro, OWNER_A, F_RDLCK, 0, 0), 0);
	/* An fh of another file, an unknown fh, an unknown nodeid. */
	assert_int_equal(setlk(e, node, other, OWNER_A, F_RDLCK, 0, 0), -EBADF);
	assert_int_equal(setlk(e, node, 999, OWNER_A, F_RDLCK, 0, 0), -EBADF);
	assert_int_equal(setlk(e, 999, fh, OWNER_A, F_RDLCK, 0, 0), -ESTALE);
	/* Ranges and types that make no sense. */
	assert_int_equal(setlk(e, node, fh, OWNER_A, F_WRLCK, 9, 3), -EINVAL);
	assert_int_equal(setlk(e, node, fh, OWNER_A, F_WRLCK,
			       (uint64_t)INT64_MAX + 1, UINT64_MAX),
			 -EINVAL);
	assert_int_equal(setlk(e, node, fh, OWNER_A, 7, 0, 0), -EINVAL);
	l = vl(F_UNLCK, 0, 0);
	assert_int_equal(OP(getlk, e->fs, &root_ctx, node, fh, OWNER_A, &l),
			 -EINVAL);
	assert_int_equal(OP(flock, e->fs, &root_ctx, node, fh, 9, false),
			 -EINVAL);
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
		w->ret = OP(flock, w->e->fs, &ctx, w->node, w->fh, F_WRLCK,
				    true);
	else
		w->ret = OP(setlk, w->e->fs, &ctx, w->node, w->fh, OWNER_B,
				    &l, true);
	return NULL;
}

/*
 * Until the waiter sleeps between two attempts: it has found the lock
 * taken, so what the test does next happens during its wait, however
 * slowly a loaded machine scheduled it.
 */
static void await_tid_waiting(atomic_int *tidp)
{
	char path[64], buf[32];

	for (int i = 0; i < 2000; i++) {
		int tid = atomic_load(tidp);
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

static void await_waiting(struct waiter *w)
{
	await_tid_waiting(&w->tid);
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
	assert_int_equal(setlk(e, w.node, fa, OWNER_A, F_WRLCK, 0, 0), -EAGAIN);
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
	assert_int_equal(w.ret, -EINTR);
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
		assert_int_equal(w.ret, -EINTR);
	}
	close(hfd);
	assert_int_equal(OP(release, e->fs, &root_ctx, w.node, w.fh), 0);
}

static void test_flock(void **state)
{
	struct env *e = *state;
	uint64_t f1, f2, node;

	REQUIRE_ROOT();
	node = do_create(e, VFS_ROOT_ID, "f", &f1);
	f2 = open_fh(e, node, O_RDONLY);
	assert_int_equal(OP(flock, e->fs, &root_ctx, node, f1, F_WRLCK, false),
			 0);
	assert_int_equal(OP(flock, e->fs, &root_ctx, node, f2, F_RDLCK, false),
			 -EWOULDBLOCK);
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
	assert_int_equal(OP(flock, e->fs, &root_ctx, node, f1, F_RDLCK, false),
			 0);
	assert_int_equal(OP(flock, e->fs, &root_ctx, node, f2, F_RDLCK, true),
			 0);
	/* Releasing the handle drops its flock. */
	assert_int_equal(OP(release, e->fs, &root_ctx, node, f2), 0);
	assert_int_equal(OP(flock, e->fs, &root_ctx, node, f1, F_WRLCK, false),
			 0);
	assert_int_equal(OP(flock, e->fs, &root_ctx, node, f1, F_UNLCK, false),
			 0);
	assert_int_equal(OP(release, e->fs, &root_ctx, node, f1), 0);
}

/* Create name, then open it again for each further fh pointer until NULL. */
static uint64_t file_fhs(struct env *e, const char *name, uint64_t *fh, ...)
{
	uint64_t node = do_create(e, VFS_ROOT_ID, name, fh);
	va_list ap;

	va_start(ap, fh);
	while ((fh = va_arg(ap, uint64_t *)))
		*fh = open_fh(e, node, O_RDWR);
	va_end(ap);
	return node;
}

static void release_fhs(struct env *e, uint64_t node, const uint64_t *fh,
			int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(OP(release, e->fs, &root_ctx, node, fh[i]),
				 0);
}

/* A SETLKW of any owner and range in a thread of its own. */
struct req {
	struct env *e;
	uint64_t node, fh, owner, start, end;
	uint32_t type;
	pthread_t th;
	atomic_int ret;		/* -1 until it returns */
	atomic_int tid;
	atomic_bool interrupted;
};

static void *req_run(void *arg)
{
	struct req *r = arg;
	struct vfs_lock l = vl(r->type, r->start, r->end);
	struct vfs_ctx ctx = root_ctx;

	ctx.interrupted = &r->interrupted;
	atomic_store(&r->tid, (int)gettid());
	atomic_store(&r->ret, OP(setlk, r->e->fs, &ctx, r->node, r->fh,
					 r->owner, &l, true));
	return NULL;
}

static void req_start(struct req *r, struct env *e, uint64_t node,
		      uint64_t fh, uint64_t owner, uint32_t type,
		      uint64_t start, uint64_t end)
{
	*r = (struct req){ .e = e, .node = node, .fh = fh, .owner = owner,
			   .start = start, .end = end, .type = type };
	atomic_init(&r->ret, -1);
	atomic_init(&r->tid, 0);
	atomic_init(&r->interrupted, false);
	assert_int_equal(pthread_create(&r->th, NULL, req_run, r), 0);
}

/* Started, it finds the lock taken and waits (not answered EDEADLK). */
static void req_waiting(struct req *r, struct env *e, uint64_t node,
			uint64_t fh, uint64_t owner, uint32_t type,
			uint64_t start, uint64_t end)
{
	req_start(r, e, node, fh, owner, type, start, end);
	await_tid_waiting(&r->tid);
	assert_int_equal(atomic_load(&r->ret), -1);
}

/*
 * Its answer, which should come without waiting for any lock to end: one
 * still waiting after 10 s is interrupted, and answers EINTR.
 */
static int req_join(struct req *r)
{
	for (int i = 0; i < 1000 && atomic_load(&r->ret) == -1; i++)
		usleep(10 * 1000);
	atomic_store(&r->interrupted, true);
	assert_int_equal(pthread_join(r->th, NULL), 0);
	return atomic_load(&r->ret);
}

/* A SETLKW from this thread that must not wait. */
static int setlkw(struct env *e, uint64_t node, uint64_t fh, uint64_t owner,
		  uint32_t type, uint64_t start, uint64_t end)
{
	struct req r;

	req_start(&r, e, node, fh, owner, type, start, end);
	return req_join(&r);
}

/*
 * Two owners each hold a byte and wait for the other's: the request that
 * closes the cycle answers EDEADLK, and the other one waits on until the
 * lock is free.
 */
static void test_deadlock_two_owners(void **state)
{
	struct env *e = *state;
	uint64_t fa, fb, node;
	struct req a;

	REQUIRE_ROOT();
	node = file_fhs(e, "f", &fa, &fb, NULL);
	assert_int_equal(setlk(e, node, fa, OWNER_A, F_WRLCK, 0, 0), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 1, 1), 0);
	req_waiting(&a, e, node, fa, OWNER_A, F_WRLCK, 1, 1);
	assert_int_equal(setlkw(e, node, fb, OWNER_B, F_WRLCK, 0, 0), -EDEADLK);
	/* A read lock conflicts as much. */
	assert_int_equal(setlkw(e, node, fb, OWNER_B, F_RDLCK, 0, 5), -EDEADLK);
	assert_int_equal(atomic_load(&a.ret), -1);
	/* B's own lock is untouched by the refusals. */
	assert_int_equal(host_locked(hp(e, "f"), 1), 1);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_UNLCK, 1, 1), 0);
	assert_int_equal(req_join(&a), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 1, 1), -EAGAIN);
	release_fhs(e, node, (uint64_t[]){ fa, fb }, 2);
}

/* A waits for B, B for C, and C asks for A's byte. */
static void test_deadlock_three_owners(void **state)
{
	struct env *e = *state;
	uint64_t fh[3], node, owner[3] = { OWNER_A, OWNER_B, 0x3333 };
	struct req w[2];

	REQUIRE_ROOT();
	node = file_fhs(e, "f", &fh[0], &fh[1], &fh[2], NULL);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(setlk(e, node, fh[i], owner[i], F_WRLCK,
				       10 * i, 10 * i + 9), 0);
	for (unsigned int i = 0; i < 2; i++)
		req_waiting(&w[i], e, node, fh[i], owner[i], F_WRLCK,
			    10 * i + 15, 10 * i + 15);
	assert_int_equal(setlkw(e, node, fh[2], owner[2], F_WRLCK, 5, 5),
			 -EDEADLK);
	/* Not a cycle: C asking for a free byte. */
	assert_int_equal(setlkw(e, node, fh[2], owner[2], F_WRLCK, 40, 40), 0);
	/* The chain unwinds as each owner lets go. */
	assert_int_equal(setlk(e, node, fh[2], owner[2], F_UNLCK, 0, 100), 0);
	assert_int_equal(req_join(&w[1]), 0);
	assert_int_equal(atomic_load(&w[0].ret), -1);
	assert_int_equal(setlk(e, node, fh[1], owner[1], F_UNLCK, 0, 100), 0);
	assert_int_equal(req_join(&w[0]), 0);
	release_fhs(e, node, fh, 3);
}

/*
 * An owner's own locks never make a cycle: A upgrading or extending what
 * it holds waits for B, whose wait for A is none.
 */
static void test_deadlock_own_locks(void **state)
{
	struct env *e = *state;
	uint64_t fa, fa2, fb, node;
	struct req a;

	REQUIRE_ROOT();
	node = file_fhs(e, "f", &fa, &fa2, &fb, NULL);
	assert_int_equal(setlk(e, node, fa, OWNER_A, F_RDLCK, 0, 9), 0);
	assert_int_equal(setlkw(e, node, fa, OWNER_A, F_WRLCK, 0, 9), 0);
	assert_int_equal(setlkw(e, node, fa2, OWNER_A, F_RDLCK, 0, 4), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_RDLCK, 15, 15), 0);
	req_waiting(&a, e, node, fa2, OWNER_A, F_WRLCK, 0, 19);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_UNLCK, 15, 15), 0);
	assert_int_equal(req_join(&a), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_RDLCK, 19, 19), -EAGAIN);
	release_fhs(e, node, (uint64_t[]){ fa, fa2, fb }, 3);
}

/*
 * Waits that close no cycle wait: B for A while A waits for nothing, C for
 * B behind it; readers do not block readers; and locks that are gone
 * (unlocked, or the owner's file closed) keep nobody waiting.
 */
static void test_deadlock_none(void **state)
{
	struct env *e = *state;
	uint64_t fa, fb, fc, node;
	struct req b, c, a;

	REQUIRE_ROOT();
	node = file_fhs(e, "f", &fa, &fb, &fc, NULL);
	assert_int_equal(setlk(e, node, fa, OWNER_A, F_WRLCK, 0, 0), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 1, 1), 0);
	req_waiting(&b, e, node, fb, OWNER_B, F_WRLCK, 0, 0);
	req_waiting(&c, e, node, fc, 0x3333, F_WRLCK, 1, 1);
	assert_int_equal(setlk(e, node, fa, OWNER_A, F_UNLCK, 0, 0), 0);
	assert_int_equal(req_join(&b), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_UNLCK, 0, 1), 0);
	assert_int_equal(req_join(&c), 0);
	assert_int_equal(setlk(e, node, fc, 0x3333, F_UNLCK, 0, 1), 0);

	/* Read locks: A waits for B's read lock, B reads A's. */
	assert_int_equal(setlk(e, node, fa, OWNER_A, F_RDLCK, 0, 0), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_RDLCK, 1, 1), 0);
	req_waiting(&a, e, node, fa, OWNER_A, F_WRLCK, 1, 1);
	assert_int_equal(setlkw(e, node, fb, OWNER_B, F_RDLCK, 0, 0), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_UNLCK, 0, 1), 0);
	assert_int_equal(req_join(&a), 0);

	/*
	 * Part of A's range unlocked, then all of it closed, while A waits
	 * for B: B waiting for C's read locks where A's were is no cycle.
	 */
	assert_int_equal(setlk(e, node, fa, OWNER_A, F_UNLCK, 0, 100), 0);
	assert_int_equal(setlk(e, node, fa, OWNER_A, F_WRLCK, 10, 19), 0);
	assert_int_equal(setlk(e, node, fa, OWNER_A, F_UNLCK, 12, 13), 0);
	assert_int_equal(setlk(e, node, fc, 0x3333, F_RDLCK, 12, 13), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_WRLCK, 30, 30), 0);
	req_waiting(&a, e, node, fa, OWNER_A, F_WRLCK, 30, 30);
	req_waiting(&b, e, node, fb, OWNER_B, F_WRLCK, 12, 13);
	assert_int_equal(setlk(e, node, fc, 0x3333, F_UNLCK, 0, 100), 0);
	assert_int_equal(req_join(&b), 0);
	/* What A kept on either side of the hole still closes a cycle. */
	assert_int_equal(setlkw(e, node, fb, OWNER_B, F_WRLCK, 14, 14),
			 -EDEADLK);
	assert_int_equal(setlkw(e, node, fb, OWNER_B, F_WRLCK, 11, 11),
			 -EDEADLK);
	/* A's wait interrupted: A waits for nothing, B may wait for A. */
	atomic_store(&a.interrupted, true);
	assert_int_equal(req_join(&a), -EINTR);
	req_waiting(&b, e, node, fb, OWNER_B, F_WRLCK, 14, 14);
	/* A closes the file: its locks go, B has its byte. */
	assert_int_equal(OP(flush, e->fs, &root_ctx, node, fa, OWNER_A), 0);
	assert_int_equal(req_join(&b), 0);
	assert_int_equal(setlk(e, node, fc, 0x3333, F_RDLCK, 16, 16), 0);
	req_waiting(&a, e, node, fa, OWNER_A, F_WRLCK, 30, 30);
	req_waiting(&b, e, node, fb, OWNER_B, F_WRLCK, 10, 19);
	assert_int_equal(setlk(e, node, fc, 0x3333, F_UNLCK, 0, 100), 0);
	assert_int_equal(req_join(&b), 0);
	assert_int_equal(setlk(e, node, fb, OWNER_B, F_UNLCK, 0, 100), 0);
	assert_int_equal(req_join(&a), 0);
	release_fhs(e, node, (uint64_t[]){ fa, fb, fc }, 3);
}

/* A cycle through two files: each owner holds one and waits for the other. */
static void test_deadlock_two_files(void **state)
{
	struct env *e = *state;
	uint64_t fa, fb, ga, gb, f, g;
	struct req a;

	REQUIRE_ROOT();
	f = file_fhs(e, "f", &fa, &fb, NULL);
	g = file_fhs(e, "g", &ga, &gb, NULL);
	assert_int_equal(setlk(e, f, fa, OWNER_A, F_WRLCK, 0, INT64_MAX), 0);
	assert_int_equal(setlk(e, g, gb, OWNER_B, F_WRLCK, 0, INT64_MAX), 0);
	req_waiting(&a, e, g, ga, OWNER_A, F_WRLCK, 100, 200);
	assert_int_equal(setlkw(e, f, fb, OWNER_B, F_WRLCK, 1000000, 1000000),
			 -EDEADLK);
	/* Closing the file ends B's locks on it, and A's wait. */
	assert_int_equal(OP(flush, e->fs, &root_ctx, g, gb, OWNER_B), 0);
	assert_int_equal(req_join(&a), 0);
	assert_int_equal(setlk(e, g, gb, OWNER_B, F_WRLCK, 150, 150), -EAGAIN);
	release_fhs(e, f, (uint64_t[]){ fa, fb }, 2);
	release_fhs(e, g, (uint64_t[]){ ga, gb }, 2);
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
		PT_TEST(test_deadlock_two_owners),
		PT_TEST(test_deadlock_three_owners),
		PT_TEST(test_deadlock_own_locks),
		PT_TEST(test_deadlock_none),
		PT_TEST(test_deadlock_two_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
