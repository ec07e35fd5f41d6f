// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfsd-client check, the cases of a hostile guest and front end that need
 * more than one request in flight at once or a back end started with
 * particular options (tests/client/meson.build names them):
 * - setlkw_reinit, setlkw_destroy: a SETLKW that waits for a lock another
 *   guest owner holds, then INIT or DESTROY, then the unlock that would end
 *   the wait (and, with DESTROY, a FORGET and an INTERRUPT on the hiprio
 *   queue). Every one of them must be answered: a request that waits must
 *   hold nothing the others need. Needs --posix-lock and a thread pool.
 */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The case's verdict, with its reason in msg (msg and len in scope). */
#define VERDICT(v, ...) (snprintf(msg, len, __VA_ARGS__), (v))

/* The answer of a slot that came back: 0, -errno, or -ETIMEDOUT. */
static int answer(struct fm_queue *q, struct fm_slot *s, int timeout_ms)
{
	int r = fm_wait(q, s, timeout_ms);

	return r ? r : fm_reply(s, NULL, NULL);
}

static const char *errname(int r)
{
	return r ? strerror(-r) : "ok";
}

/* A new file in the root and owner 1's write lock on all of it. */
static int wedge_file(struct client_session *cs, const struct client_opts *o,
		      const char *name, uint64_t *nid, uint64_t *fh)
{
	struct fm_queue *q = &cs->q[1];
	struct fuse_entry_out e;
	int r = fm_do_create(q, FUSE_ROOT_ID, name, 0100644, &e, fh);

	if (r)
		return r;
	*nid = e.nodeid;
	fm_fill_lk(&q->slots[0], FUSE_SETLK, *nid, *fh, 1, F_WRLCK);
	r = fm_call(q, &q->slots[0], o->timeout_ms);
	return r ? r : fm_reply(&q->slots[0], NULL, NULL);
}

/* INIT (a guest that rebooted without unmounting) or DESTROY. */
static void fill_reset(struct fm_slot *s, bool destroy)
{
	if (!destroy) {
		fm_fill_init(s, FUSE_KERNEL_VERSION, FUSE_KERNEL_MINOR_VERSION,
			     FUSE_ASYNC_READ | FUSE_POSIX_LOCKS,
			     sizeof(struct fuse_init_in));
		return;
	}
	fm_begin(s, FUSE_DESTROY, 0);
	fm_end(s, sizeof(struct fuse_out_header));
}

/* After the case: the session serves again (DESTROY needs a new INIT). */
static int wedge_after(struct client_session *cs, bool destroy,
		       const char *sum, char *msg, size_t len)
{
	struct fuse_attr_out a;
	struct fuse_init_out io;
	int r = destroy ? fm_do_init(&cs->q[1], &io) : 0;

	if (!r)
		r = fm_do_getattr(&cs->q[1], FUSE_ROOT_ID, &a);
	if (r)
		return VERDICT(FAIL, "%s; GETATTR afterwards: %s", sum,
			       errname(r));
	return VERDICT(PASS, "%s", sum);
}

/*
 * The reset (and with DESTROY the hiprio FORGET and INTERRUPT) behind the
 * waiter, then owner 1's unlock, each in its own slot.
 */
static void wedge_send(struct client_session *cs, struct fm_slot *waiter,
		       uint64_t nid, uint64_t fh, bool destroy)
{
	struct fm_queue *q = &cs->q[1], *hq = &cs->q[0];

	fill_reset(&q->slots[2], destroy);
	fm_submit(&q->slots[2]);
	/* Let it queue behind the waiter before anything else comes. */
	usleep(100 * 1000);
	if (destroy) {
		fm_fill_forget(&hq->slots[0], nid, 1);
		fm_submit(&hq->slots[0]);
		fm_fill_interrupt(&hq->slots[1], waiter->unique);
		fm_submit(&hq->slots[1]);
	}
	fm_fill_lk(&q->slots[3], FUSE_SETLK, nid, fh, 1, F_UNLCK);
	fm_submit(&q->slots[3]);
}

/* Every answer must come: a late one is a wedge. */
static int wedge_judge(struct client_session *cs, const struct client_opts *o,
		       char *msg, size_t len, bool destroy)
{
	struct fm_queue *q = &cs->q[1], *hq = &cs->q[0];
	int ru = answer(q, &q->slots[3], o->timeout_ms);
	int rr = answer(q, &q->slots[2], o->timeout_ms);
	int rw = answer(q, &q->slots[1], o->timeout_ms);
	bool hi_back = !destroy ||
		       (!fm_wait(hq, &hq->slots[0], o->timeout_ms) &&
			!fm_wait(hq, &hq->slots[1], o->timeout_ms));
	char sum[200];

	snprintf(sum, sizeof(sum), "unlock: %s, %s: %s, SETLKW: %s%s",
		 errname(ru), destroy ? "DESTROY" : "INIT", errname(rr),
		 errname(rw), !destroy ? "" : hi_back ?
		 ", hiprio FORGET and INTERRUPT back" :
		 ", hiprio FORGET or INTERRUPT stuck");
	if (ru == -ETIMEDOUT || rr == -ETIMEDOUT || rw == -ETIMEDOUT ||
	    !hi_back || ru == -EBADMSG || rr == -EBADMSG || rw == -EBADMSG)
		return VERDICT(FAIL, "%s; wedged (no answer within %d ms)",
			       sum, o->timeout_ms);
	if (rr)
		return VERDICT(FAIL, "%s; the reset failed", sum);
	return wedge_after(cs, destroy, sum, msg, len);
}

static int wedge(struct client_session *cs, const struct client_opts *o,
		 char *msg, size_t len, bool destroy)
{
	struct fm_queue *q = &cs->q[1];
	struct fm_slot *waiter = &q->slots[1];
	uint64_t nid, fh;
	int r;

	if (!(cs->init.flags & FUSE_POSIX_LOCKS))
		return VERDICT(FAIL, "POSIX locks not offered: run the back "
			       "end with --posix-lock");
	r = wedge_file(cs, o, destroy ? "wedge_destroy" : "wedge_reinit",
		       &nid, &fh);
	if (r)
		return VERDICT(FAIL, "owner 1's lock: %s", errname(r));
	fm_fill_lk(waiter, FUSE_SETLKW, nid, fh, 2, F_WRLCK);
	fm_submit(waiter);
	r = answer(q, waiter, 300);
	if (r != -ETIMEDOUT)
		return VERDICT(FAIL, "owner 2's SETLKW did not wait (%s); the "
			       "back end needs a thread pool", errname(r));
	wedge_send(cs, waiter, nid, fh, destroy);
	return wedge_judge(cs, o, msg, len, destroy);
}

int check_setlkw_reinit(struct client_session *cs, const struct client_opts *o,
			char *msg, size_t len)
{
	return wedge(cs, o, msg, len, false);
}

int check_setlkw_destroy(struct client_session *cs,
			 const struct client_opts *o, char *msg, size_t len)
{
	return wedge(cs, o, msg, len, true);
}
