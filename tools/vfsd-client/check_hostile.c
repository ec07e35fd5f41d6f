/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd-client check, the cases of a hostile guest and front end that need
 * more than one request in flight at once or a back end started with
 * particular options (tests/client/meson.build names them):
 * - setlkw_reinit, setlkw_destroy: a SETLKW that waits for a lock another
 *   guest owner holds, then INIT or DESTROY, then the unlock that would end
 *   the wait (and, with DESTROY, a FORGET and an INTERRUPT on the hiprio
 *   queue). Every one of them must be answered: a request that waits must
 *   hold nothing the others need. Needs --posix-lock and a thread pool.
 * - blocked_disconnect, stuck_disconnect: the front end disconnects while a
 *   request is blocked in a system call, one a signal interrupts (an open
 *   waiting for a host process's lease) and one only a fatal signal ends
 *   (a FUSE mount in the share that never answers). The back end must exit
 *   all the same, with status 0. Need root.
 * - memfd_truncate_payload, memfd_truncate_ring (in the default run): guest
 *   RAM that shrinks under the back end.
 */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
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

/*
 * After the disconnect the back end must exit within o->timeout_ms (the
 * harness's hang deadline, far above vfsd's bound), whatever its request
 * is stuck in. The harness then checks the exit status.
 */
static int disconnect_judge(struct client_session *cs,
			    const struct client_opts *o, char *msg, size_t len,
			    const char *what)
{
	uint64_t t0 = vc_now_ns();
	int r = session_close(cs, o->timeout_ms);
	unsigned int ms = (unsigned int)((vc_now_ns() - t0) / 1000000);

	if (r)
		return VERDICT(FAIL, "still running %u ms after the "
			       "disconnect, with %s", ms, what);
	return VERDICT(PASS, "exited %u ms after the disconnect, with %s", ms,
		       what);
}

/* Sent, and not answered: the request is blocked in the back end. */
static int send_blocked(struct fm_queue *q, struct fm_slot *s, char *msg,
			size_t len, const char *what)
{
	int r;

	fm_submit(s);
	r = answer(q, s, 300);
	if (r != -ETIMEDOUT)
		return VERDICT(FAIL, "%s did not block: %s", what, errname(r));
	return PASS;
}

/*
 * An OPEN for writing of a file a host process holds a read lease on
 * blocks in the back end's open(2) until the holder lets go or the lease
 * break time (/proc/sys/fs/lease-break-time, 45 s) passes. The holder here
 * never lets go while the front end disconnects.
 */
int check_blocked_disconnect(struct client_session *cs,
			     const struct client_opts *o, char *msg,
			     size_t len)
{
	struct fm_queue *q = &cs->q[1];
	struct fuse_entry_out e;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	char path[4096];
	int fd, v;

	snprintf(path, sizeof(path), "%s/leased", o->shared_dir);
	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return VERDICT(FAIL, "create %s: %s", path, strerror(errno));
	/* The break notice (SIGIO) must not end us; we never let go. */
	sigaction(SIGIO, &ign, &old);
	if (fcntl(fd, F_SETLEASE, F_RDLCK) < 0) {
		v = VERDICT(SKIP, "the host refuses a lease: %s",
			    strerror(errno));
		goto out;
	}
	v = fm_do_lookup(q, FUSE_ROOT_ID, "leased", &e);
	if (v) {
		v = VERDICT(FAIL, "LOOKUP leased: %s", errname(v));
		goto out;
	}
	fm_fill_open(&q->slots[1], FUSE_OPEN, e.nodeid, O_WRONLY);
	v = send_blocked(q, &q->slots[1], msg, len, "OPEN of a leased file");
	if (v == PASS)
		v = disconnect_judge(cs, o, msg, len,
				     "an OPEN waiting for a host lease");
out:
	fcntl(fd, F_SETLEASE, F_UNLCK);
	close(fd);
	sigaction(SIGIO, &old, NULL);
	return v;
}

/*
 * stuck_disconnect: a FUSE mount in the share whose server never answers
 * (not even its INIT), as a hung network or FUSE filesystem would. Every
 * request into it waits in the kernel until a fatal signal: no wakeup of
 * the back end's own can end it, so only its deadline does.
 */
static int hung_fd = -1;
static char hung_dir[4096];

int check_stuck_prepare(const struct client_opts *o, char *msg, size_t len)
{
	char opts[128];

	snprintf(hung_dir, sizeof(hung_dir), "%s/hung", o->shared_dir);
	if (mkdir(hung_dir, 0755) < 0 && errno != EEXIST)
		return VERDICT(FAIL, "mkdir %s: %s", hung_dir, strerror(errno));
	/* CLOEXEC: the back end must not hold the mount's device open. */
	hung_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (hung_fd < 0)
		return VERDICT(SKIP, "/dev/fuse: %s", strerror(errno));
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", hung_fd);
	if (mount("vfsd-client-hung", hung_dir, "fuse", MS_NOSUID | MS_NODEV,
		  opts) < 0) {
		int err = errno;

		close(hung_fd);
		hung_fd = -1;
		return VERDICT(SKIP, "mount fuse: %s", strerror(err));
	}
	return PASS;
}

void check_stuck_finish(void)
{
	if (hung_fd < 0)
		return;
	/* The last close of its device aborts the connection. */
	close(hung_fd);
	hung_fd = -1;
	if (umount2(hung_dir, MNT_DETACH) < 0)
		fprintf(stderr, "vfsd-client: umount %s: %s\n", hung_dir,
			strerror(errno));
	rmdir(hung_dir);
}

int check_stuck_disconnect(struct client_session *cs,
			   const struct client_opts *o, char *msg, size_t len)
{
	struct fm_queue *q = &cs->q[1];
	int v;

	fm_fill_lookup(&q->slots[1], FUSE_ROOT_ID, "hung");
	v = send_blocked(q, &q->slots[1], msg, len,
			 "LOOKUP of a hung FUSE mount");
	if (v != PASS)
		return v;
	return disconnect_judge(cs, o, msg, len,
				"a LOOKUP stuck in a hung FUSE mount");
}

/*
 * memfd_truncate_payload, memfd_truncate_ring: the front end shrinks the
 * file behind guest RAM after SET_MEM_TABLE, below a request's buffers
 * (the rings stay) or to nothing (the rings go too), and kicks. The back
 * end must not die by SIGBUS: it logs the event once, stops the queue (or
 * fails the request), and exits 0 on disconnect. We touch none of the lost
 * pages ourselves: they would raise SIGBUS here too.
 */

/* Lines of the back end's log that contain text. */
static int log_count(const struct client_session *cs, const char *text)
{
	char line[1024];
	FILE *f = fopen(cs->log_path, "r");
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

static bool log_wait(const struct client_session *cs, const char *text,
		     int timeout_ms)
{
	uint64_t end = vc_now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (!log_count(cs, text) && vc_now_ns() < end)
		usleep(20 * 1000);
	return log_count(cs, text) > 0;
}

static int vanish_judge(struct client_session *cs, const struct client_opts *o,
			char *msg, size_t len, const char *what)
{
	struct vc_vq *vq = cs->q[1].vq;
	bool seen = log_wait(cs, "SIGBUS", o->timeout_ms);
	char st[64];
	int n;

	/* More kicks, more faults: the event is still told only once. */
	vc_vq_kick(vq);
	usleep(300 * 1000);
	vc_vq_kick(vq);
	usleep(300 * 1000);
	n = log_count(cs, "SIGBUS");
	if (!vc_alive(&cs->dev))
		return VERDICT(FAIL, "%s: the back end died (%s)", what,
			       status_str(cs->dev.exit_status, st, sizeof(st)));
	if (!seen || n != 1)
		return VERDICT(FAIL, "%s: %d log lines about the SIGBUS, "
			       "expected one", what, n);
	/* Whole again (zeros), so that nothing of ours can fault. */
	if (ftruncate(cs->dev.mem_fd, (off_t)cs->dev.mem_size) < 0)
		return VERDICT(FAIL, "ftruncate back: %s", strerror(errno));
	return VERDICT(PASS, "%s: logged once, still serving the socket",
		       what);
}

int check_memfd_truncate_payload(struct client_session *cs,
				 const struct client_opts *o, char *msg,
				 size_t len)
{
	struct fm_slot *s = &cs->q[1].slots[1];
	/* One region at guest address 0: addresses are file offsets. */
	off_t keep = (off_t)(s->in_gpa & ~(uint64_t)4095);

	/* The rings are allocated first, below every request buffer. */
	fm_fill_getattr(s, FUSE_ROOT_ID);
	if (ftruncate(cs->dev.mem_fd, keep) < 0)
		return VERDICT(FAIL, "ftruncate: %s", strerror(errno));
	fm_submit(s);
	return vanish_judge(cs, o, msg, len, "request buffers gone");
}

int check_memfd_truncate_ring(struct client_session *cs,
			      const struct client_opts *o, char *msg,
			      size_t len)
{
	struct fm_queue *q = &cs->q[1];
	struct fm_slot *s = &q->slots[1];

	fm_fill_getattr(s, FUSE_ROOT_ID);
	q->vq->no_kick = true;
	fm_submit(s);
	q->vq->no_kick = false;
	if (ftruncate(cs->dev.mem_fd, 0) < 0)
		return VERDICT(FAIL, "ftruncate: %s", strerror(errno));
	vc_vq_kick(q->vq);
	return vanish_judge(cs, o, msg, len, "rings and buffers gone");
}
