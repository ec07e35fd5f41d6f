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
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "fuse/ops.h"
#include "fuse/reply.h"

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

static void ops_setlk_common(struct fuse_call *c, bool sleep)
{
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
	}
	if (in.lk_flags & FUSE_LK_FLOCK) {
		if (!c->s->ops->flock)
			err = -ENOSYS;
		else
			err = c->s->ops->flock(c->s->fs, &c->ctx,
					       c->hdr.nodeid, in.fh, lk.type,
					       wait);
	} else {
		if (!c->s->ops->setlk)
			err = -ENOSYS;
		else
			err = c->s->ops->setlk(c->s->fs, &c->ctx,
					       c->hdr.nodeid, in.fh, in.owner,
					       &lk, wait);
	}
	if (wait) {
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
