/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * POSIX record locks and flock.
 *
 * The guest's kernel owns POSIX locks per (file, lock owner), where the
 * owner is one of its processes, not per open file. Host OFD locks belong to
 * an open file description instead, so each (nodeid, owner) the guest locks
 * with gets a description of its own, opened here: locks of one owner never
 * conflict with each other whichever fh they come through, and locks of two
 * owners conflict as on the host, with host processes included. A FLUSH
 * with the owner (the guest closing any of its fds on the file) closes that
 * description, which drops all of the owner's locks on the file as close(2)
 * does.
 *
 * flock locks belong to the open file, so they are taken on the handle's
 * own fd and go away when the handle is released.
 *
 * A request that may wait for a lock does not sleep in the host's blocking
 * call: it retries with a growing pause, so that a new connection (the
 * guest rebooted or unmounted) calls every wait off instead of leaving a
 * thread blocked on a lock nobody will release, and a front end that goes
 * away (ctx->cancelled) does not wait for the guest's locks to end.
 *
 * Host OFD locks have no deadlock detection, so two guest owners that each
 * wait for a range the other holds would wait for ever. Before each pause
 * of a wait the request looks for such a cycle among the guest's owners
 * (pt_lockgraph.c) and answers EDEADLK if it would close one, as F_SETLKW
 * on a local file does; host processes' locks are not seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs/pt_internal.h"
#include "fs/pt_lockgraph.h"
#include "policy/creds.h"
#include "util/log.h"

/* FUSE's "to the end of the file" (OFFSET_MAX in the kernel). */
#define PT_LOCK_EOF ((uint64_t)INT64_MAX)

/*
 * Each lock owner costs an open fd: a guest that locks with many owners
 * runs into ENOLCK here instead of into the daemon's fd limit.
 */
#define PT_LOCK_MAX_OWNERS 4096

/* Pauses between the attempts of a waiting request. */
#define PT_LOCK_POLL_MIN_NS 1000000L	/* 1 ms */
#define PT_LOCK_POLL_MAX_NS 64000000L	/* 64 ms */

/* One (nodeid, owner) and the description its locks live on. */
struct pt_plock {
	/* Set at creation and then constant. */
	uint64_t nodeid;
	uint64_t owner;
	uint64_t fh;		/* the handle of its first request */
	int fd;
	struct pt_inode *ino;	/* referenced while the entry lives */

	/* protected by pt_locks.lock */
	unsigned int refs;	/* the list's one while listed, and users' */
	struct pt_plock *next;
	struct plg_holder hold;	/* in the graph while listed */
};

/*
 * Lock order: pt_locks.lock is a leaf; it is never held across a host
 * lock call (a SETLKW may block in one for a long time).
 */
struct pt_locks {
	pthread_mutex_t lock;
	struct pt_plock *head;	/* protected by lock */
	unsigned int count;	/* protected by lock */
	struct plg graph;	/* protected by lock */
	/* Bumped by pt_locks_clear(): waits begun before it give up. */
	atomic_uint gen;
};

int pt_locks_new(struct pt_locks **out)
{
	struct pt_locks *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	err = -pthread_mutex_init(&l->lock, NULL);
	if (err) {
		free(l);
		return err;
	}
	atomic_init(&l->gen, 0);
	*out = l;
	return 0;
}

static void plock_free(struct pt_fs *fs, struct pt_plock *p)
{
	plg_holder_fini(&p->hold);
	if (close(p->fd))
		log_warn("close lock fd: %m");
	inode_put(&fs->inodes, p->ino);
	free(p);
}

static void plock_put(struct pt_fs *fs, struct pt_plock *p)
{
	bool last;

	pthread_mutex_lock(&fs->locks->lock);
	last = --p->refs == 0;
	pthread_mutex_unlock(&fs->locks->lock);
	if (last)
		plock_free(fs, p);
}

enum plock_match {
	PLOCK_OWNER,	/* this (nodeid, owner) */
	PLOCK_FH,	/* reached first through this (nodeid, fh) */
	PLOCK_ALL,
};

static bool plock_matches(const struct pt_plock *p, uint64_t nodeid,
			  uint64_t key, enum plock_match how)
{
	switch (how) {
	case PLOCK_OWNER:
		return p->nodeid == nodeid && p->owner == key;
	case PLOCK_FH:
		return p->nodeid == nodeid && p->fh == key;
	case PLOCK_ALL:
		return true;
	}
	return false;
}

/* Unlist the entries that match and close those no request still uses. */
static void plock_drop(struct pt_fs *fs, uint64_t nodeid, uint64_t key,
		       enum plock_match how)
{
	struct pt_locks *l = fs->locks;
	struct pt_plock **pp, *p, *dead = NULL;

	pthread_mutex_lock(&l->lock);
	for (pp = &l->head; (p = *pp);) {
		if (!plock_matches(p, nodeid, key, how)) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		l->count--;
		/* Its locks go with it, before close(2) drops them. */
		plg_unlink(&l->graph, &p->hold);
		if (--p->refs == 0) {
			p->next = dead;
			dead = p;
		}
	}
	pthread_mutex_unlock(&l->lock);
	while ((p = dead)) {
		dead = p->next;
		plock_free(fs, p);
	}
}

void pt_locks_drop_owner(struct pt_fs *fs, uint64_t nodeid, uint64_t owner)
{
	plock_drop(fs, nodeid, owner, PLOCK_OWNER);
}

void pt_locks_drop_handle(struct pt_fs *fs, uint64_t nodeid, uint64_t fh)
{
	if (fs->locks)
		plock_drop(fs, nodeid, fh, PLOCK_FH);
}

void pt_locks_clear(struct pt_fs *fs)
{
	atomic_fetch_add(&fs->locks->gen, 1);
	plock_drop(fs, 0, 0, PLOCK_ALL);
}

void pt_locks_free(struct pt_fs *fs)
{
	if (!fs->locks)
		return;
	pt_locks_clear(fs);
	pthread_mutex_destroy(&fs->locks->lock);
	free(fs->locks);
	fs->locks = NULL;
}

int pt_locks_each_fd(struct pt_fs *fs, int (*fn)(void *arg, int fd),
		     void *arg)
{
	struct pt_locks *l = fs->locks;
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	for (struct pt_plock *p = l->head; p && !ret; p = p->next)
		ret = fn(arg, p->fd);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static struct pt_plock *plock_find(struct pt_locks *l, uint64_t nodeid,
				   uint64_t owner)
{
	for (struct pt_plock *p = l->head; p; p = p->next)
		if (p->nodeid == nodeid && p->owner == owner)
			return p;
	return NULL;
}

/*
 * A description for the owner's locks. Opened as root and read-write when
 * the host allows: whether a read or write lock may be taken is decided by
 * the guest's fh (lock_check_mode()), not by this fd, which one owner
 * shares between all its fhs on the file.
 */
static int plock_reopen(struct pt_fs *fs, struct pt_inode *ino, int *fd)
{
	int err;

	if (S_ISDIR(ino->type))
		return pt_reopen(fs, ino, O_RDONLY, fd);
	err = pt_reopen(fs, ino, O_RDWR | O_NONBLOCK, fd);
	if (err == -EACCES || err == -EROFS || err == -ETXTBSY)
		err = pt_reopen(fs, ino, O_RDONLY | O_NONBLOCK, fd);
	return err;
}

static int plock_open(struct pt_fs *fs, struct pt_inode *ino, int *fd)
{
	struct creds_saved saved;
	int err, back;

	err = creds_daemon_begin(&saved);
	if (err)
		return err;
	err = plock_reopen(fs, ino, fd);
	back = creds_daemon_end(&saved);
	if (!err && back)
		close(*fd);
	return err ? err : back;
}

/*
 * The entry for (ino, owner), created if need be with fh as the handle that
 * ends it; plock_put() it.
 */
static int plock_get(struct pt_fs *fs, struct pt_inode *ino, uint64_t owner,
		     uint64_t fh, struct pt_plock **out)
{
	struct pt_locks *l = fs->locks;
	struct pt_plock *p, *q;
	int err;

	pthread_mutex_lock(&l->lock);
	p = plock_find(l, ino->nodeid, owner);
	if (p)
		p->refs++;
	pthread_mutex_unlock(&l->lock);
	if (p) {
		*out = p;
		return 0;
	}

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	err = plock_open(fs, ino, &p->fd);
	if (err) {
		free(p);
		return err;
	}
	p->nodeid = ino->nodeid;
	p->owner = owner;
	p->fh = fh;
	p->ino = ino;
	plg_holder_init(&p->hold, ino->nodeid, owner);
	inode_ref(&fs->inodes, ino);
	p->refs = 2;

	pthread_mutex_lock(&l->lock);
	/* Another request of the same owner may have been quicker. */
	q = plock_find(l, ino->nodeid, owner);
	if (q) {
		q->refs++;
	} else if (l->count >= PT_LOCK_MAX_OWNERS) {
		err = -ENOLCK;
	} else {
		p->next = l->head;
		l->head = p;
		l->count++;
		plg_link(&l->graph, &p->hold);
	}
	pthread_mutex_unlock(&l->lock);
	if (q || err) {
		plock_free(fs, p);
		p = q;
	}
	if (err)
		return err;
	*out = p;
	return 0;
}

/* Find fh among file or directory handles. */
static struct pt_handle *lock_handle(struct pt_fs *fs, uint64_t fh)
{
	struct pt_handle *h = handle_get(&fs->handles, fh, HANDLE_FILE);

	return h ? h : handle_get(&fs->handles, fh, HANDLE_DIR);
}

/*
 * fh must be open on the very inode nodeid names (a guest could pair any
 * fh with any nodeid), and open for reading to read-lock, for writing to
 * write-lock, as fcntl(2) requires (EBADF otherwise).
 */
static int lock_check_fh(const struct pt_handle *h,
			 const struct pt_inode *ino, uint32_t type)
{
	struct stat st;
	int fl;

	if (fstat(h->fd, &st))
		return -errno;
	if (st.st_dev != ino->dev || st.st_ino != ino->ino)
		return -EBADF;
	if (type == F_UNLCK)
		return 0;
	fl = fcntl(h->fd, F_GETFL);
	if (fl < 0)
		return -errno;
	fl &= O_ACCMODE;
	if (type == F_RDLCK && fl == O_WRONLY)
		return -EBADF;
	if (type == F_WRLCK && fl == O_RDONLY)
		return -EBADF;
	return 0;
}

static int lock_to_flock(const struct vfs_lock *lk, struct flock *fl)
{
	if (lk->type != F_RDLCK && lk->type != F_WRLCK && lk->type != F_UNLCK)
		return -EINVAL;
	if (lk->start > PT_LOCK_EOF || lk->end < lk->start)
		return -EINVAL;
	fl->l_type = (short)lk->type;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)lk->start;
	fl->l_len = lk->end >= PT_LOCK_EOF ? 0 :
					     (off_t)(lk->end - lk->start + 1);
	fl->l_pid = 0;	/* F_OFD_* insist on it */
	return 0;
}

static void lock_from_flock(const struct flock *fl, struct vfs_lock *lk)
{
	lk->type = (uint32_t)fl->l_type;
	if (fl->l_type == F_UNLCK)
		return;
	lk->start = (uint64_t)fl->l_start;
	lk->end = fl->l_len == 0 ? PT_LOCK_EOF :
				   (uint64_t)(fl->l_start + fl->l_len - 1);
	/* An OFD lock has no process: -1 from the host reads as none. */
	lk->pid = fl->l_pid > 0 ? (uint32_t)fl->l_pid : 0;
}

/* One attempt without waiting: 0, -EAGAIN for a conflict, or an error. */
static int lock_try(int fd, const struct flock *fl, int flock_op)
{
	int ret;

	if (flock_op)
		ret = flock(fd, flock_op | LOCK_NB);
	else
		ret = fcntl(fd, F_OFD_SETLK, fl);
	if (!ret)
		return 0;
	/* fcntl(2) may say EACCES for a conflict; the guest expects EAGAIN. */
	return errno == EACCES || errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

/*
 * Whether waiting for w would never end; if not, w is recorded as waiting
 * (the caller takes it out). Recording and looking at once, under the
 * lock, means of two requests that close a cycle together the later one
 * sees the earlier one's wait; and the one answered EDEADLK leaves the
 * graph at once, so the other owners of the cycle keep waiting.
 */
static bool lock_would_deadlock(struct pt_locks *l, struct plg_wait *w)
{
	bool dead;

	pthread_mutex_lock(&l->lock);
	if (!w->link.linked)
		plg_wait_add(&l->graph, w);
	dead = plg_would_deadlock(&l->graph, w);
	if (dead)
		plg_wait_del(&l->graph, w);
	pthread_mutex_unlock(&l->lock);
	return dead;
}

/*
 * flock_op 0: the POSIX lock fl on fd; else flock(2) with that op. w, for
 * a POSIX lock that may wait, is what the wait is recorded as.
 */
static int lock_set(struct pt_fs *fs, const struct vfs_ctx *ctx, int fd,
		    const struct flock *fl, int flock_op, bool wait,
		    struct plg_wait *w)
{
	unsigned int gen = atomic_load(&fs->locks->gen);
	struct timespec pause = { 0, PT_LOCK_POLL_MIN_NS };
	int err;

	while ((err = lock_try(fd, fl, flock_op)) == -EAGAIN && wait) {
		if (atomic_load(&fs->locks->gen) != gen)
			return -EINTR;
		if (ctx->interrupted && atomic_load(ctx->interrupted))
			return -EINTR;
		if (ctx->cancelled && atomic_load(ctx->cancelled))
			return -EINTR;
		/*
		 * Before every pause, not only the first: as on the kernel's
		 * retry after a wakeup, the cycle may have closed meanwhile
		 * through an owner that had not been waiting yet.
		 */
		if (w && lock_would_deadlock(fs->locks, w))
			return -EDEADLK;
		if (nanosleep(&pause, NULL) && errno != EINTR)
			return -errno;
		if (pause.tv_nsec < PT_LOCK_POLL_MAX_NS)
			pause.tv_nsec *= 2;
	}
	return err;
}

/* The owner's lock lk (fl for the host) on its description. */
static int plock_set(struct pt_fs *fs, const struct vfs_ctx *ctx,
		     struct pt_plock *p, const struct vfs_lock *lk,
		     const struct flock *fl, bool wait)
{
	struct pt_locks *l = fs->locks;
	struct plg_wait w = {
		.nodeid = p->nodeid,
		.owner = p->owner,
		.start = lk->start,
		.end = lk->end < PT_LOCK_EOF ? lk->end : PT_LOCK_EOF,
		.type = lk->type,
	};
	int err;

	/*
	 * Ranges leave the graph before the host lets them go and enter it
	 * once the host granted them: a graph lagging behind the host (another
	 * thread of the owner changing its locks meanwhile) then misses a
	 * cycle rather than invents one. Only a downgrade, write to read, is
	 * stronger in the graph than on the host until its update.
	 */
	if (lk->type == F_UNLCK) {
		pthread_mutex_lock(&l->lock);
		plg_hold(&p->hold, F_UNLCK, w.start, w.end);
		pthread_mutex_unlock(&l->lock);
		return lock_set(fs, ctx, p->fd, fl, 0, false, NULL);
	}
	/* No lock of ours is held while waiting. */
	err = lock_set(fs, ctx, p->fd, fl, 0, wait, wait ? &w : NULL);
	pthread_mutex_lock(&l->lock);
	plg_wait_del(&l->graph, &w);
	if (!err)
		plg_hold(&p->hold, w.type, w.start, w.end);
	pthread_mutex_unlock(&l->lock);
	return err;
}

/* The checks GETLK and SETLK share; on success put *h after use. */
static int lock_begin(struct pt_fs *fs, uint64_t nodeid, uint64_t fh,
		      uint32_t type, struct pt_inode **ino,
		      struct pt_handle **h)
{
	int err;

	err = pt_req_inode(fs, nodeid, ino);
	if (err)
		return err;
	*h = lock_handle(fs, fh);
	if (!*h)
		return -EBADF;
	err = lock_check_fh(*h, *ino, type);
	if (err)
		handle_put(&fs->handles, *h);
	return err;
}

int pt_op_getlk(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, uint64_t owner, struct vfs_lock *lk)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	struct pt_handle *h;
	struct pt_plock *p;
	struct flock fl;
	int err;

	(void)ctx;
	err = lock_to_flock(lk, &fl);
	if (!err && lk->type == F_UNLCK)
		err = -EINVAL;
	if (!err)
		err = lock_begin(fs, nodeid, fh, F_UNLCK, &ino, &h);
	if (err)
		return err;
	err = plock_get(fs, ino, owner, fh, &p);
	if (!err) {
		if (fcntl(p->fd, F_OFD_GETLK, &fl))
			err = -errno;
		plock_put(fs, p);
	}
	handle_put(&fs->handles, h);
	if (!err)
		lock_from_flock(&fl, lk);
	return err;
}

int pt_op_setlk(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, uint64_t owner, const struct vfs_lock *lk,
		bool wait)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	struct pt_handle *h;
	struct pt_plock *p;
	struct flock fl;
	int err;

	err = lock_to_flock(lk, &fl);
	if (!err)
		err = lock_begin(fs, nodeid, fh, lk->type, &ino, &h);
	if (err)
		return err;
	err = plock_get(fs, ino, owner, fh, &p);
	if (!err) {
		err = plock_set(fs, ctx, p, lk, &fl, wait);
		plock_put(fs, p);
	}
	handle_put(&fs->handles, h);
	return err;
}

int pt_op_flock(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		uint64_t fh, uint32_t type, bool wait)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	struct pt_handle *h;
	int op, err;

	switch (type) {
	case F_RDLCK:
		op = LOCK_SH;
		break;
	case F_WRLCK:
		op = LOCK_EX;
		break;
	case F_UNLCK:
		op = LOCK_UN;
		break;
	default:
		return -EINVAL;
	}
	/* flock(2) needs no particular access mode. */
	err = lock_begin(fs, nodeid, fh, F_UNLCK, &ino, &h);
	if (err)
		return err;
	err = lock_set(fs, ctx, h->fd, NULL, op, wait, NULL);
	if (!err && op != LOCK_UN)
		atomic_store_explicit(&h->flocked, true, memory_order_relaxed);
	handle_put(&fs->handles, h);
	return err;
}
