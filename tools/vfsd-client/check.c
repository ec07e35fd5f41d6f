/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd-client check: protocol conformance of a vhost-user-fs back end.
 * Each case runs against a fresh back end and ends by closing the socket:
 * whatever else it tests, the back end must then exit with status 0.
 * Output is TAP; the exit status is non-zero when any case fails.
 */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/virtio_config.h>

struct check_case {
	const char *name;
	int (*fn)(struct client_session *cs, const struct client_opts *o,
		  char *msg, size_t len);
	struct session_cfg cfg;
	/* Needs a back end started with particular options: only with --case. */
	bool named_only;
	/* Host state the back end must find at its start, and its removal. */
	int (*prepare)(const struct client_opts *o, char *msg, size_t len);
	void (*finish)(void);
};

static int root_ok(struct client_session *cs, unsigned int q, char *msg,
		   size_t len)
{
	struct fuse_attr_out a;
	int r = fm_do_getattr(&cs->q[q], FUSE_ROOT_ID, &a);

	if (r)
		return say(msg, len, FAIL, "GETATTR root on queue %u: %s", q,
			   strerror(-r));
	if (!S_ISDIR(a.attr.mode))
		return say(msg, len, FAIL, "root is not a directory");
	return PASS;
}

static int c_features(struct client_session *cs, const struct client_opts *o,
		      char *msg, size_t len)
{
	struct vc_opts vo = { .indirect = true };
	struct vc_dev *d = &cs->dev;
	int r = vc_negotiate(d, &vo);

	(void)o;
	if (r)
		return say(msg, len, FAIL, "negotiation: %s", strerror(-r));
	if (!(d->backend_features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)))
		return say(msg, len, FAIL, "no VHOST_USER_F_PROTOCOL_FEATURES");
	if ((d->backend_protocol_features & (1ull << VHOST_USER_PROTOCOL_F_MQ)) &&
	    d->queue_num < 2)
		return say(msg, len, FAIL, "GET_QUEUE_NUM %llu < 2",
			   (unsigned long long)d->queue_num);
	/* The socket still answers after SET_FEATURES. */
	r = vc_get_u64(d, VHOST_USER_GET_FEATURES, &vo.mem_size);
	if (r || vo.mem_size != d->backend_features)
		return say(msg, len, FAIL, "GET_FEATURES after SET_FEATURES");
	return say(msg, len, PASS, "features %#llx protocol %#llx queues %llu",
		   (unsigned long long)d->backend_features,
		   (unsigned long long)d->backend_protocol_features,
		   (unsigned long long)d->queue_num);
}

static int c_init(struct client_session *cs, const struct client_opts *o,
		  char *msg, size_t len)
{
	(void)o;
	if (cs->init.max_write < 4096)
		return say(msg, len, FAIL, "max_write %u", cs->init.max_write);
	if (root_ok(cs, 1, msg, len))
		return FAIL;
	return say(msg, len, PASS, "FUSE %u.%u max_write %u flags %#x",
		   cs->init.major, cs->init.minor, cs->init.max_write,
		   cs->init.flags);
}

/* The Linux driver sends FORGET on the hiprio queue; it has no reply. */
static int c_hiprio(struct client_session *cs, const struct client_opts *o,
		    char *msg, size_t len)
{
	struct fm_slot *s = &cs->q[0].slots[0];

	fm_fill_forget(s, FUSE_ROOT_ID + 1000, 1);
	if (fm_call(&cs->q[0], s, o->timeout_ms))
		return say(msg, len, FAIL, "FORGET on hiprio never came back");
	if (s->used_len)
		return say(msg, len, FAIL, "FORGET came back with %u bytes",
			   s->used_len);
	return root_ok(cs, 1, msg, len);
}

/*
 * Anything else on the hiprio queue is refused: its one thread must never
 * wait on a request that can last (a SETLKW), or the FORGETs behind it
 * would wait too.
 */
static int c_hiprio_refuses(struct client_session *cs,
			    const struct client_opts *o, char *msg, size_t len)
{
	struct fm_slot *s = &cs->q[0].slots[0];
	int r;

	fm_fill_getattr(s, FUSE_ROOT_ID);
	if (fm_call(&cs->q[0], s, o->timeout_ms))
		return say(msg, len, FAIL, "GETATTR on hiprio never came back");
	r = fm_reply(s, NULL, NULL);
	if (r == 0 || r == -EBADMSG)
		return say(msg, len, FAIL, "GETATTR on hiprio: %s",
			   r ? "malformed reply" : "served");
	if (root_ok(cs, 1, msg, len))
		return FAIL;
	return say(msg, len, PASS, "GETATTR on hiprio: %s", strerror(-r));
}

static int c_ring_restart(struct client_session *cs,
			  const struct client_opts *o, char *msg, size_t len)
{
	struct fm_queue *q = &cs->q[1];
	struct fm_slot *s = &q->slots[1];
	unsigned int base;
	int r;

	for (int i = 0; i < 4; i++)
		if (root_ok(cs, 1, msg, len))
			return FAIL;
	r = vc_vq_stop(&cs->dev, 1, &base);
	if (r)
		return say(msg, len, FAIL, "GET_VRING_BASE: %s", strerror(-r));
	if (base != q->vq->avail_idx)
		return say(msg, len, FAIL, "GET_VRING_BASE %u, expected %u",
			   base, q->vq->avail_idx);
	/* Queued while stopped: it must wait for the restart. */
	fm_fill_getattr(s, FUSE_ROOT_ID);
	fm_submit(s);
	if (vc_vq_wait(q->vq, 300) > 0)
		return say(msg, len, FAIL, "a stopped ring was processed");
	r = vc_vq_start(&cs->dev, 1);
	if (r)
		return say(msg, len, FAIL, "restart: %s", strerror(-r));
	vc_vq_kick(q->vq);
	if (vc_vq_wait(q->vq, o->timeout_ms) <= 0)
		return say(msg, len, FAIL, "request queued while stopped was lost");
	fm_reap(q, NULL, q->nslots);
	if (!s->done || fm_reply(s, NULL, NULL))
		return say(msg, len, FAIL, "bad reply after restart");
	if (root_ok(cs, 1, msg, len))
		return FAIL;
	return say(msg, len, PASS, "stopped at %u, resumed", base);
}

/* The same, with KICK sent before CALL as some front ends order them. */
static int c_ring_restart_kick_first(struct client_session *cs,
				     const struct client_opts *o, char *msg,
				     size_t len)
{
	cs->dev.kick_before_call = true;
	return c_ring_restart(cs, o, msg, len);
}

static int c_enable(struct client_session *cs, const struct client_opts *o,
		    char *msg, size_t len)
{
	struct fm_queue *q = &cs->q[1];
	struct fm_slot *s = &q->slots[1];
	uint64_t f;
	bool early;
	int r;

	if (!(cs->dev.features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)))
		return say(msg, len, SKIP, "no protocol features");
	r = vc_vq_enable(&cs->dev, 1, false);
	if (r)
		return say(msg, len, FAIL, "disable: %s", strerror(-r));
	fm_fill_getattr(s, FUSE_ROOT_ID);
	fm_submit(s);
	early = vc_vq_wait(q->vq, 300) > 0;
	if (vc_get_u64(&cs->dev, VHOST_USER_GET_FEATURES, &f))
		return say(msg, len, FAIL, "socket silent while a ring is disabled");
	r = vc_vq_enable(&cs->dev, 1, true);
	if (r)
		return say(msg, len, FAIL, "enable: %s", strerror(-r));
	vc_vq_kick(q->vq);
	if (vc_vq_wait(q->vq, o->timeout_ms) <= 0)
		return say(msg, len, FAIL, "request lost across disable/enable");
	fm_reap(q, NULL, q->nslots);
	if (!s->done || fm_reply(s, NULL, NULL))
		return say(msg, len, FAIL, "bad reply after enable");
	if (root_ok(cs, 1, msg, len))
		return FAIL;
	return say(msg, len, PASS, "%s", early ? "disabled ring was still served"
					      : "disabled ring held requests");
}

/* Send one INIT and classify the answer: -errno, or the major it claims. */
static int raw_init(struct client_session *cs, const struct client_opts *o,
		    uint32_t major, uint32_t minor, size_t in_size, uint32_t *got)
{
	struct fm_slot *s = &cs->q[1].slots[0];
	struct fuse_init_out io;
	const void *p;
	size_t len;
	int r;

	fm_fill_init(s, major, minor, FUSE_ASYNC_READ | FUSE_BIG_WRITES,
		     in_size);
	r = fm_call(&cs->q[1], s, o->timeout_ms);
	if (r)
		return r;
	r = fm_reply(s, &p, &len);
	if (r)
		return r;
	if (len < 8)
		return -EBADMSG;
	memcpy(&io, p, len < sizeof(io) ? len : sizeof(io));
	*got = io.major;
	return 0;
}

static int c_init_old(struct client_session *cs, const struct client_opts *o,
		      char *msg, size_t len)
{
	uint32_t major = 0;
	/* Before 7.36 fuse_init_in was 16 bytes long. */
	int r = raw_init(cs, o, 7, 31, 16, &major);

	if (r || major != 7)
		return say(msg, len, FAIL, "7.31 INIT: %s",
			   r ? strerror(-r) : "wrong major");
	return root_ok(cs, 1, msg, len);
}

static int c_init_major8(struct client_session *cs,
			 const struct client_opts *o, char *msg, size_t len)
{
	uint32_t major = 0;
	int r = raw_init(cs, o, 8, 0, sizeof(struct fuse_init_in), &major);

	if (r == -EBADMSG || r == -ETIMEDOUT)
		return say(msg, len, FAIL, "%s", strerror(-r));
	if (r == 0 && major != 7)
		return say(msg, len, FAIL, "answered major %u", major);
	return say(msg, len, PASS, "%s", r ? strerror(-r) : "offered 7");
}

static int c_init_major6(struct client_session *cs,
			 const struct client_opts *o, char *msg, size_t len)
{
	uint32_t major = 0;
	int r = raw_init(cs, o, 6, 0, 16, &major);

	if (r == 0 || r == -EBADMSG || r == -ETIMEDOUT)
		return say(msg, len, FAIL, "%s", r ? strerror(-r) : "accepted 6.x");
	return say(msg, len, PASS, "%s", strerror(-r));
}

static int c_before_init(struct client_session *cs,
			 const struct client_opts *o, char *msg, size_t len)
{
	struct fuse_attr_out a;
	int r = fm_do_getattr(&cs->q[1], FUSE_ROOT_ID, &a);

	(void)o;
	if (r == 0 || r == -EBADMSG || r == -ETIMEDOUT)
		return say(msg, len, FAIL, "GETATTR before INIT: %s",
			   r ? strerror(-r) : "served");
	return say(msg, len, PASS, "%s", strerror(-r));
}

static int c_init_twice(struct client_session *cs,
			const struct client_opts *o, char *msg, size_t len)
{
	uint32_t major = 0;
	int r = raw_init(cs, o, 7, FUSE_KERNEL_MINOR_VERSION,
			 sizeof(struct fuse_init_in), &major);

	if (r == -EBADMSG || r == -ETIMEDOUT)
		return say(msg, len, FAIL, "second INIT: %s", strerror(-r));
	if (root_ok(cs, 1, msg, len))
		return FAIL;
	return say(msg, len, PASS, "second INIT: %s", r ? strerror(-r) : "accepted");
}

static int c_two_queues(struct client_session *cs,
			const struct client_opts *o, char *msg, size_t len)
{
	(void)o;
	if (root_ok(cs, 1, msg, len) || root_ok(cs, 2, msg, len))
		return FAIL;
	return PASS;
}

static int c_event_idx(struct client_session *cs,
		       const struct client_opts *o, char *msg, size_t len)
{
	struct fm_queue *q = &cs->q[1];

	(void)o;
	if (!(cs->dev.features & (1ull << VIRTIO_RING_F_EVENT_IDX)))
		return say(msg, len, SKIP, "EVENT_IDX not offered");
	for (int round = 0; round < 50; round++) {
		for (unsigned int i = 0; i < q->nslots; i++) {
			fm_fill_getattr(&q->slots[i], FUSE_ROOT_ID);
			fm_submit(&q->slots[i]);
		}
		for (unsigned int i = 0; i < q->nslots; i++)
			while (!q->slots[i].done) {
				if (vc_vq_wait(q->vq, o->timeout_ms) <= 0)
					return say(msg, len, FAIL,
						   "lost a notification in round %d",
						   round);
				fm_reap(q, NULL, q->nslots);
			}
	}
	return PASS;
}

/*
 * A driver whose kick got lost (a missing barrier between its avail->idx
 * store and its avail_event load): the request must still be served, by
 * the idle queue thread's second look.
 */
static int c_lost_kick(struct client_session *cs, const struct client_opts *o,
		       char *msg, size_t len)
{
	struct fm_queue *q = &cs->q[1];
	struct fm_slot *s = &q->slots[0];
	const void *payload;
	size_t plen;
	uint64_t t0;

	if (root_ok(cs, 1, msg, len))
		return FAIL;
	fm_fill_getattr(s, FUSE_ROOT_ID);
	q->vq->no_kick = true;
	t0 = vc_now_ns();
	fm_submit(s);
	q->vq->no_kick = false;
	if (vc_vq_wait(q->vq, o->timeout_ms) <= 0)
		return say(msg, len, FAIL, "a request without a kick waited "
			   "%d ms unserved", o->timeout_ms);
	fm_reap(q, NULL, q->nslots);
	if (!s->done || fm_reply(s, &payload, &plen) != 0)
		return say(msg, len, FAIL, "GETATTR without a kick failed");
	return say(msg, len, PASS, "served after %llu ms",
		   (unsigned long long)((vc_now_ns() - t0) / 1000000));
}

/*
 * A driver that missed an interrupt: its used_event lags (as when its
 * store to used_event and load of used->idx were reordered), so the reply
 * itself signals nothing. The call eventfd must still fire.
 */
static int c_lost_interrupt(struct client_session *cs,
			    const struct client_opts *o, char *msg, size_t len)
{
	struct fm_queue *q = &cs->q[1];
	struct vc_vq *vq = q->vq;
	struct fm_slot *s = &q->slots[0];
	struct pollfd pfd = { .fd = vq->call_fd, .events = POLLIN };
	uint64_t v, t0;
	int r;

	if (!(cs->dev.features & (1ull << VIRTIO_RING_F_EVENT_IDX)))
		return say(msg, len, SKIP, "EVENT_IDX not offered");
	if (root_ok(cs, 1, msg, len))
		return FAIL;
	while (read(vq->call_fd, &v, sizeof(v)) == sizeof(v))
		;
	/* "Interrupt me after entry last_used - 1": long since passed. */
	__atomic_store_n(&vq->avail->ring[vq->num],
			 (uint16_t)(vq->last_used - 1), __ATOMIC_RELEASE);
	fm_fill_getattr(s, FUSE_ROOT_ID);
	t0 = vc_now_ns();
	fm_submit(s);
	r = poll(&pfd, 1, o->timeout_ms);
	if (r <= 0)
		return say(msg, len, FAIL, "no interrupt in %d ms for a reply "
			   "the driver had not seen", o->timeout_ms);
	fm_reap(q, NULL, q->nslots);
	if (!s->done)
		return say(msg, len, FAIL, "interrupt without a reply");
	return say(msg, len, PASS, "interrupt after %llu ms",
		   (unsigned long long)((vc_now_ns() - t0) / 1000000));
}

/*
 * A back end stopped and continued (SIGSTOP/SIGCONT, as a debugger or job
 * control does) while its queue threads sit in a timed poll: the kernel
 * resumes that poll through restart_syscall, which the seccomp allowlist
 * must hold, or the daemon dies by SIGSYS.
 */
static int c_stop_continue(struct client_session *cs,
			   const struct client_opts *o, char *msg, size_t len)
{
	pid_t tree[16];
	int n = vc_proc_tree(cs->dev.pid, tree, 16);

	(void)o;
	if (n <= 0)
		return say(msg, len, FAIL, "no back end process");
	if (root_ok(cs, 1, msg, len))
		return FAIL;
	/* Idle queue threads wait in poll() with a timeout. */
	usleep(200 * 1000);
	for (int i = 0; i < n; i++)
		kill(tree[i], SIGSTOP);
	usleep(200 * 1000);
	for (int i = 0; i < n; i++)
		kill(tree[i], SIGCONT);
	/* Past the poll timeout, so every thread has resumed its wait. */
	usleep(1500 * 1000);
	if (!vc_alive(&cs->dev))
		return say(msg, len, FAIL, "the back end died after SIGCONT");
	if (root_ok(cs, 1, msg, len))
		return FAIL;
	return say(msg, len, PASS, "%d processes stopped and continued", n);
}

static int c_disconnect_inflight(struct client_session *cs,
				 const struct client_opts *o, char *msg,
				 size_t len)
{
	struct fm_queue *q = &cs->q[1];

	(void)o;
	(void)msg;
	(void)len;
	for (unsigned int i = 0; i < q->nslots; i++) {
		fm_fill_read(&q->slots[i], FUSE_READDIRPLUS, FUSE_ROOT_ID, 0,
			     0, 4096);
		fm_submit(&q->slots[i]);
	}
	return PASS;
}

/*
 * --tag: the back end offers VHOST_USER_PROTOCOL_F_CONFIG only with a tag
 * (QEMU 7.1 to 8.0 crash on a vhost-user-fs back end that offers it), and
 * then GET_CONFIG returns struct virtio_fs_config: the tag NUL-padded to
 * 36 bytes and the number of request queues. Windows past the 40 bytes
 * get the error answer, and the socket keeps serving.
 */
static int c_config_tag(struct client_session *cs, const struct client_opts *o,
			char *msg, size_t len)
{
	struct vc_opts vo = { .indirect = true };
	struct vc_dev *d = &cs->dev;
	uint8_t cfg[40], junk[64];
	uint32_t nreq;
	uint64_t f;
	size_t tl;
	int r = vc_negotiate(d, &vo);

	if (r)
		return say(msg, len, FAIL, "negotiation: %s", strerror(-r));
	if (!o->tag)
		return (d->backend_protocol_features &
			(1ull << VHOST_USER_PROTOCOL_F_CONFIG)) ?
			       say(msg, len, FAIL,
				   "CONFIG offered without a tag") :
			       say(msg, len, PASS, "no tag, CONFIG not offered");
	if (!(d->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_CONFIG)))
		return say(msg, len, FAIL, "tag given, CONFIG not offered");
	r = vc_get_config(d, 0, sizeof(cfg), cfg);
	if (r)
		return say(msg, len, FAIL, "GET_CONFIG: %s", strerror(-r));
	tl = strlen(o->tag);
	if (tl > 36 || memcmp(cfg, o->tag, tl))
		return say(msg, len, FAIL, "tag '%.36s', expected '%s'",
			   (char *)cfg, o->tag);
	for (size_t i = tl; i < 36; i++)
		if (cfg[i])
			return say(msg, len, FAIL, "byte %zu after the tag is %u",
				   i, cfg[i]);
	memcpy(&nreq, cfg + 36, sizeof(nreq));
	if (nreq < 1)
		return say(msg, len, FAIL, "num_request_queues %u", nreq);
	if (vc_get_config(d, 36, 8, junk) != -EREMOTEIO ||
	    vc_get_config(d, 0xfffffffcu, 8, junk) != -EREMOTEIO)
		return say(msg, len, FAIL,
			   "a window past the config space was answered");
	r = vc_get_u64(d, VHOST_USER_GET_FEATURES, &f);
	if (r)
		return say(msg, len, FAIL, "no answer after the bad windows: %s",
			   strerror(-r));
	return say(msg, len, PASS, "tag '%s', %u request queues", o->tag, nreq);
}

static int c_nothing(struct client_session *cs, const struct client_opts *o,
		     char *msg, size_t len)
{
	(void)cs;
	(void)o;
	(void)msg;
	(void)len;
	return PASS;
}

#define CFG(...) { .slots = 8, .in_cap = 8192, .out_cap = 65536, __VA_ARGS__ }

static const struct check_case cases[] = {
	{ "features", c_features, CFG(.no_start = true) },
	{ "config_tag", c_config_tag, CFG(.no_start = true) },
	{ "disconnect_before_setup", c_nothing, CFG(.no_start = true) },
	{ "request_before_init", c_before_init, CFG(.no_init = true) },
	{ "init", c_init, CFG() },
	{ "init_7_31_short_struct", c_init_old, CFG(.no_init = true) },
	{ "init_major_8", c_init_major8, CFG(.no_init = true) },
	{ "init_major_6", c_init_major6, CFG(.no_init = true) },
	{ "init_twice", c_init_twice, CFG() },
	{ "hiprio_forget", c_hiprio, CFG() },
	{ "hiprio_refuses_getattr", c_hiprio_refuses, CFG() },
	{ "ring_stop_restart", c_ring_restart, CFG() },
	{ "ring_restart_kick_before_call", c_ring_restart_kick_first, CFG() },
	{ "queue_disable_enable", c_enable, CFG() },
	{ "event_idx", c_event_idx, CFG(.event_idx = true) },
	{ "lost_kick", c_lost_kick, CFG() },
	{ "lost_interrupt", c_lost_interrupt, CFG(.event_idx = true) },
	{ "stop_continue", c_stop_continue, CFG() },
	{ "two_request_queues", c_two_queues, CFG(.nreq = 2) },
	{ "disconnect_idle", c_nothing, CFG() },
	{ "disconnect_inflight", c_disconnect_inflight, CFG() },
	{ "security_ctx", check_secctx, CFG(.no_init = true) },
	{ "setlkw_reinit", check_setlkw_reinit, CFG(), true },
	{ "setlkw_destroy", check_setlkw_destroy, CFG(), true },
	{ "blocked_disconnect", check_blocked_disconnect, CFG(), true },
	{ "stuck_disconnect", check_stuck_disconnect, CFG(), true,
	  check_stuck_prepare, check_stuck_finish },
	{ "memfd_truncate_payload", check_memfd_truncate_payload,
	  CFG(.keep_log = true) },
	{ "memfd_truncate_ring", check_memfd_truncate_ring,
	  CFG(.keep_log = true) },
	{ NULL },
};

static int run_case(const struct check_case *c, const struct client_opts *o,
		    char *msg, size_t len)
{
	struct session_cfg cfg = c->cfg;
	struct client_session cs;
	char st[64], prev[520];
	int v, r;

	msg[0] = '\0';
	if (!cfg.nreq)
		cfg.nreq = 1;
	if (c->prepare) {
		v = c->prepare(o, msg, len);
		if (v != PASS) {
			if (c->finish)
				c->finish();
			return v;
		}
	}
	r = session_open(&cs, o, &cfg);
	if (r == -EOPNOTSUPP) {
		v = say(msg, len, SKIP, "back end has too few queues");
	} else if (r) {
		v = say(msg, len, FAIL, "set-up: %s", strerror(-r));
	} else {
		v = c->fn(&cs, o, msg, len);
	}
	snprintf(prev, sizeof(prev), "%s%s", msg, msg[0] ? "; " : "");
	if (cs.dev.spawned && session_close(&cs, o->timeout_ms)) {
		v = say(msg, len, FAIL, "%sstill running %d ms after disconnect",
			prev, o->timeout_ms);
	} else if (cs.dev.spawned &&
		   (!WIFEXITED(cs.dev.exit_status) ||
		    WEXITSTATUS(cs.dev.exit_status))) {
		/* Cases that expect an early exit have said so already. */
		if (v != FAIL)
			v = say(msg, len, FAIL, "%s%s after disconnect", prev,
				status_str(cs.dev.exit_status, st, sizeof(st)));
	}
	session_free(&cs);
	if (c->finish)
		c->finish();
	return v;
}

static const char *case_name(unsigned int k)
{
	return cases[k].name;
}

static bool case_named_only(unsigned int k)
{
	return cases[k].named_only;
}

static int case_run(unsigned int k, const struct client_opts *o, char *msg,
		    size_t len)
{
	return run_case(&cases[k], o, msg, len);
}

int check_main(struct client_opts *o)
{
	static const struct tap_suite suite = {
		"check", case_name, case_named_only, case_run,
	};

	return tap_main(&suite, o);
}
