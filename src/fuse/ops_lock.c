/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Locks: GETLK, SETLK, SETLKW (POSIX record locks, or flock(2) with
 * FUSE_LK_FLOCK), offered to the kernel only with the posix_lock and flock
 * options; a kernel that was not offered them never sends them, and a
 * guest that sends them anyway gets ENOSYS.
 *
 * A waiting SETLKW blocks the thread serving it. The session lets at most
 * opts.lock_waiters_max requests wait at once, which the transport sizes so
 * a thread always remains for the unlock that ends a wait; any further
 * SETLKW is tried without waiting and answers EAGAIN on a conflict. An
 * INTERRUPT of a waiting request makes it give up with EINTR.
 *
 * A flock ends when the kernel sends RELEASE for the open file, a request
 * it does not wait for; over several queues (FUSE over io_uring: one per
 * CPU) the holder's RELEASE and the next process's lock request may be
 * picked up by two threads in either order. So a flock that is refused
 * without waiting is tried once more after the requests the transport had
 * received before it are handled (struct req_order), for at most
 * OPS_LOCK_ORDER_NS: a lock its holder let go of before this request was
 * sent is then free. POSIX locks end at FLUSH, which close(2) waits for.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "fuse/ops.h"
#include "fuse/reply.h"

/*
 * How long a refused flock waits for the requests received before it:
 * they take microseconds unless one of them waits itself (a thread busy
 * with a lock wait, an fsync); the refusal then comes this much later.
 */
#define OPS_LOCK_ORDER_NS 100000000ull	/* 100 ms */

/* The family the request belongs to is switched on, else ENOSYS. */
static bool ops_lock_allowed(struct fuse_call *c, const struct fuse_lk_in *in)
{
	bool flock = in->lk_flags & FUSE_LK_FLOCK;

	if (flock ? c->s->opts.flock : c->s->opts.posix_lock)
		return true;
	reply_err(c, -ENOSYS);
	return false;
}

static void ops_lock_in(const struct fuse_lk_in *in, struct vfs_lock *lk)
{
	memset(lk, 0, sizeof(*lk));
	lk->start = in->lk.start;
	lk->end = in->lk.end;
	lk->type = in->lk.type;
}

void op_getlk(struct fuse_call *c)
{
	struct fuse_lk_in in;
	struct fuse_lk_out out;
	struct vfs_lock lk;
	int err;

	if (fr_read_obj(&c->r, &in, sizeof(in))) {
		reply_err(c, -EINVAL);
		return;
	}
	if (!ops_lock_allowed(c, &in))
		return;
	if (!ops_has(c, c->s->ops->getlk))
		return;
	/* flock(2) has no "who holds it" query. */
	if (in.lk_flags & FUSE_LK_FLOCK) {
		reply_err(c, -EINVAL);
		return;
	}
	ops_lock_in(&in, &lk);
	err = c->s->ops->getlk(c->s->fs, &c->ctx, c->hdr.nodeid, in.fh,
			       in.owner, &lk);
	if (err) {
		reply_err(c, err);
		return;
	}
	memset(&out, 0, sizeof(out));
	out.lk.type = lk.type;
	if (lk.type != F_UNLCK) {
		out.lk.start = lk.start;
		out.lk.end = lk.end;
		out.lk.pid = lk.pid;
	}
	(void)reply_buf(c, &out, sizeof(out));
}

/* Claim a waiter slot; false when every slot is taken. */
static bool ops_lock_wait_begin(struct fuse_session *s)
{
	unsigned int n = atomic_load(&s->lock_waiters);

	do {
		if (n >= s->opts.lock_waiters_max)
			return false;
	} while (!atomic_compare_exchange_weak(&s->lock_waiters, &n, n + 1));
	return true;
}

static void ops_waiter_add(struct fuse_session *s, struct fuse_waiter *w)
{
	pthread_mutex_lock(&s->waiters_lock);
	w->next = s->waiters;
	s->waiters = w;
	pthread_mutex_unlock(&s->waiters_lock);
}

static void ops_waiter_del(struct fuse_session *s, struct fuse_waiter *w)
{
	struct fuse_waiter **pp;

	pthread_mutex_lock(&s->waiters_lock);
	for (pp = &s->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&s->waiters_lock);
}

void ops_lock_interrupt(struct fuse_session *s, uint64_t unique)
{
	pthread_mutex_lock(&s->waiters_lock);
	for (struct fuse_waiter *w = s->waiters; w; w = w->next)
		if (w->unique == unique)
			atomic_store(&w->interrupted, true);
	pthread_mutex_unlock(&s->waiters_lock);
}

/* The lock (flock or POSIX) in asks for, waiting if wait. */
static int ops_setlk_do(struct fuse_call *c, const struct fuse_lk_in *in,
			const struct vfs_lock *lk, bool wait)
{
	if (in->lk_flags & FUSE_LK_FLOCK)
		return c->s->ops->flock ?
			       c->s->ops->flock(c->s->fs, &c->ctx,
						c->hdr.nodeid, in->fh,
						lk->type, wait) :
			       -ENOSYS;
	return c->s->ops->setlk ?
		       c->s->ops->setlk(c->s->fs, &c->ctx, c->hdr.nodeid,
					in->fh, in->owner, lk, wait) :
		       -ENOSYS;
}

/*
 * A flock refused without waiting: once more after the requests received
 * before this one, of which the holder's RELEASE may be one.
 */
static int ops_flock_after_earlier(struct fuse_call *c,
				   const struct fuse_lk_in *in,
				   const struct vfs_lock *lk)
{
	const struct req_order *o = c->req->order;

	if (!o || !o->wait_earlier(o, OPS_LOCK_ORDER_NS))
		return -EAGAIN;
	return ops_setlk_do(c, in, lk, false);
}

static void ops_setlk_common(struct fuse_call *c, bool sleep)
{
	const struct req_order *o = c->req->order;
	struct fuse_lk_in in;
	struct fuse_waiter waiter;
	struct vfs_lock lk;
	bool wait = false;
	int err;

	if (fr_read_obj(&c->r, &in, sizeof(in))) {
		reply_err(c, -EINVAL);
		return;
	}
	if (!ops_lock_allowed(c, &in))
		return;
	ops_lock_in(&in, &lk);
	/* An unlock never waits and needs no slot. */
	if (sleep && lk.type != F_UNLCK)
		wait = ops_lock_wait_begin(c->s);
	if (wait) {
		waiter.unique = c->hdr.unique;
		atomic_init(&waiter.interrupted, false);
		ops_waiter_add(c->s, &waiter);
		c->ctx.interrupted = &waiter.interrupted;
		/* Others' wait_earlier() must not wait for this wait. */
		if (o)
			o->park(o, true);
	}
	err = ops_setlk_do(c, &in, &lk, wait);
	if (err == -EAGAIN && !wait && (in.lk_flags & FUSE_LK_FLOCK))
		err = ops_flock_after_earlier(c, &in, &lk);
	if (wait) {
		if (o)
			o->park(o, false);
		c->ctx.interrupted = NULL;
		ops_waiter_del(c->s, &waiter);
		atomic_fetch_sub(&c->s->lock_waiters, 1);
	}
	reply_err(c, err);
}

void op_setlk(struct fuse_call *c)
{
	ops_setlk_common(c, false);
}

void op_setlkw(struct fuse_call *c)
{
	ops_setlk_common(c, true);
}
