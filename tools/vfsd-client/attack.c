/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd-client attack: run each hostile case against a fresh back end and
 * record what it did: the answer to the hostile traffic, whether it still
 * serves afterwards, its fd count and RSS before and after, and how it
 * ends once we disconnect. A crash, a hang, a leak, a wrong acceptance or
 * a failure to exit on disconnect fails the case. Output is TAP.
 */
#include "attack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define FD_SLACK 2
#define RSS_SLACK_KB (64u * 1024)

static const char *const result_names[AR_COUNT] = {
	"ok", "error", "dropped", "none", "closed", "BAD",
};

enum after_state { ST_ALIVE, ST_BROKEN, ST_MUTE, ST_CLOSED, ST_DEAD };
static const char *const state_names[] = {
	"serving", "queue-broken", "socket-mute", "closed", "dead",
};

void attack_note(struct attack_ctx *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->note, sizeof(a->note), fmt, ap);
	va_end(ap);
}

struct fm_slot *attack_slot(struct attack_ctx *a)
{
	return &a->cs->q[1].slots[0];
}

/*
 * The answer to a raw chain lands in its first writable buffer. A header
 * the back end could not read leaves it no unique to echo, so an error
 * with unique 0 is still an error reply.
 */
static int raw_reply(struct attack_ctx *a, struct fm_slot *s)
{
	struct fuse_out_header oh;

	if (s->used_len < sizeof(oh) || s->used_len > s->seg[0].len)
		return -EBADMSG;
	memcpy(&oh, a->reply, sizeof(oh));
	if (oh.len != s->used_len || oh.error > 0 || oh.error < -4095 ||
	    (oh.unique != s->unique && !(oh.unique == 0 && oh.error)))
		return -EBADMSG;
	return oh.error;
}

enum attack_result attack_wait(struct attack_ctx *a, struct fm_slot *s)
{
	struct fm_queue *q = &a->cs->q[1];
	uint64_t deadline = vc_now_ns() + (uint64_t)a->wait_ms * 1000000u;
	int r;

	while (!s->done && vc_now_ns() < deadline) {
		if (!vc_alive(&a->cs->dev))
			break;
		vc_vq_wait(q->vq, 50);
		fm_reap(q, NULL, q->nslots);
	}
	if (!s->done)
		return AR_NONE;
	if (s->used_len == 0)
		return AR_DROP;
	r = a->reply ? raw_reply(a, s) : fm_reply(s, NULL, NULL);
	if (r == -EBADMSG) {
		struct fuse_out_header oh;

		memcpy(&oh, s->out, sizeof(oh));
		attack_note(a, "malformed reply: %u bytes used, header len %u error %d unique %llu (sent %llu)",
			    s->used_len, oh.len, oh.error,
			    (unsigned long long)oh.unique,
			    (unsigned long long)s->unique);
		return AR_BAD;
	}
	if (r < 0) {
		attack_note(a, "%s", strerror(-r));
		return AR_ERR;
	}
	return AR_OK;
}

enum attack_result attack_send(struct attack_ctx *a, struct fm_slot *s)
{
	a->reply = NULL;
	fm_submit(s);
	return attack_wait(a, s);
}

/* Writable bytes behind one descriptor, looking one level into a table. */
static uint64_t writable_len(struct attack_ctx *a, const struct vring_desc *d)
{
	const struct vring_desc *t;
	uint64_t sum = 0;

	if (!(d->flags & VRING_DESC_F_INDIRECT))
		return (d->flags & VRING_DESC_F_WRITE) ? d->len : 0;
	t = vc_ptr(&a->cs->dev, d->addr);
	if (!t || !vc_ptr(&a->cs->dev, d->addr + d->len - 1))
		return 0;
	for (uint32_t i = 0; i < d->len / sizeof(*t); i++)
		if ((t[i].flags & VRING_DESC_F_WRITE) &&
		    !(t[i].flags & VRING_DESC_F_INDIRECT))
			sum += t[i].len;
	return sum;
}

/* Put raw descriptors at the slot's head and publish it. */
enum attack_result attack_chain(struct attack_ctx *a,
				const struct vring_desc *d, unsigned int n)
{
	struct fm_slot *s = attack_slot(a);
	struct vc_vq *vq = s->vq;

	uint64_t cap = 0;

	a->reply = NULL;
	for (unsigned int i = 0; i < n && i < FM_DESC_PER_SLOT; i++) {
		vq->desc[s->head + i] = d[i];
		cap += writable_len(a, &d[i]);
		if (!a->reply && (d[i].flags & VRING_DESC_F_WRITE) &&
		    !(d[i].flags & VRING_DESC_F_INDIRECT))
			a->reply = vc_ptr(&a->cs->dev, d[i].addr);
	}
	/* Answers through an indirect table: its first writable entry. */
	if (!a->reply && n && (d[0].flags & VRING_DESC_F_INDIRECT)) {
		const struct vring_desc *t = vc_ptr(&a->cs->dev, d[0].addr);

		for (uint32_t i = 0; t && i < d[0].len / 16 && i < 64; i++)
			if (t[i].flags & VRING_DESC_F_WRITE) {
				a->reply = vc_ptr(&a->cs->dev, t[i].addr);
				break;
			}
	}
	if (!a->reply)
		a->reply = s->out;
	/* fm_reply() holds the answer to what the chain let be written. */
	s->nseg = 1;
	s->seg[0] = (struct fm_seg){ 0, (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap),
				     true };
	s->busy = true;
	s->done = false;
	vc_vq_publish(vq, s->head);
	return attack_wait(a, s);
}

/* Send one message with NEED_REPLY and classify the ack. */
enum attack_result attack_msg(struct attack_ctx *a, uint32_t req,
			      const void *payload, uint32_t size,
			      const int *fds, int nfds)
{
	struct vc_dev *d = &a->cs->dev;
	uint64_t status;
	int r = vc_send(d, req, VHOST_USER_NEED_REPLY_MASK, payload, size, fds,
			nfds);

	if (r == -EPIPE || r == -ECONNRESET)
		return AR_CLOSED;
	if (r)
		return AR_BAD;
	if (!(d->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK))) {
		/* No acks: a GET_FEATURES round trip shows it was survived. */
		r = vc_get_u64(d, VHOST_USER_GET_FEATURES, &status);
		return r == -EPIPE || r == -ECONNRESET ? AR_CLOSED :
		       r ? AR_NONE : AR_OK;
	}
	r = vc_recv(d, req, &status, sizeof(status));
	if (r == -EPIPE || r == -ECONNRESET)
		return AR_CLOSED;
	if (r == -ETIMEDOUT)
		return AR_NONE;
	if (r < 0) {
		attack_note(a, "malformed ack: %s", strerror(-r));
		return AR_BAD;
	}
	return status ? AR_ERR : AR_OK;
}

/* Does the request queue still answer? Uses the last slot. */
static bool queue_serves(struct attack_ctx *a)
{
	struct fm_queue *q = &a->cs->q[1];
	struct fm_slot *s = &q->slots[q->nslots - 1];

	if (s->busy)
		return false;
	fm_fill_getattr(s, FUSE_ROOT_ID);
	return fm_call(q, s, a->o->timeout_ms) == 0 && fm_reply(s, NULL, NULL) == 0;
}

static enum after_state assess(struct attack_ctx *a, const struct session_cfg *cfg,
			       enum attack_result res)
{
	struct vc_dev *d = &a->cs->dev;
	uint64_t f;
	int r;

	if (!vc_alive(d))
		return ST_DEAD;
	if (res == AR_CLOSED)
		return ST_CLOSED;
	if (!cfg->no_start && queue_serves(a))
		return ST_ALIVE;
	r = vc_get_u64(d, VHOST_USER_GET_FEATURES, &f);
	if (r == 0)
		return cfg->no_start ? ST_ALIVE : ST_BROKEN;
	if (!vc_alive(d))
		return ST_DEAD;
	return r == -ETIMEDOUT ? ST_MUTE : ST_CLOSED;
}

struct verdict {
	bool fail;
	char why[160];
};

static void judge(struct verdict *v, const char *why)
{
	if (!v->fail)
		snprintf(v->why, sizeof(v->why), "%s", why);
	v->fail = true;
}

/* A case's own share (a fresh tmpfs) and back end arguments. */
struct case_env {
	struct client_opts o;
	char dir[40];
	char **argv;
	bool mounted;
};

static void case_env_close(struct case_env *env)
{
	free(env->argv);
	env->argv = NULL;
	if (env->mounted && umount2(env->dir, MNT_DETACH))
		fprintf(stderr, "vfsd-client: umount %s: %s\n", env->dir,
			strerror(errno));
	if (env->dir[0])
		rmdir(env->dir);
	env->mounted = false;
	env->dir[0] = '\0';
}

static int case_env_open(const struct attack_case *c,
			 const struct client_opts *o, struct case_env *env)
{
	size_t n = 0, m = 0;

	memset(env, 0, sizeof(*env));
	env->o = *o;
	if (c->tmpfs) {
		snprintf(env->dir, sizeof(env->dir),
			 "/tmp/vfsd-client-case.XXXXXX");
		if (!mkdtemp(env->dir)) {
			env->dir[0] = '\0';
			return -errno;
		}
		if (mount("vfsd-client", env->dir, "tmpfs", 0, c->tmpfs)) {
			int r = -errno;

			case_env_close(env);
			return r;
		}
		env->mounted = true;
		env->o.shared_dir = env->dir;
	}
	if (c->args && o->backend_argv) {
		while (o->backend_argv[n])
			n++;
		while (c->args[m])
			m++;
		env->argv = calloc(n + m + 1, sizeof(*env->argv));
		if (!env->argv) {
			case_env_close(env);
			return -ENOMEM;
		}
		memcpy(env->argv, o->backend_argv, n * sizeof(*env->argv));
		memcpy(env->argv + n, c->args, m * sizeof(*env->argv));
		env->o.backend_argv = env->argv;
	}
	return 0;
}

static void run_session(const struct attack_case *c,
			const struct client_opts *o, const char *outside,
			unsigned int num, char *line, size_t len);

static void run_one(const struct attack_case *c, const struct client_opts *o,
		    const char *outside, unsigned int num, char *line,
		    size_t len)
{
	struct case_env env;
	int r = case_env_open(c, o, &env);

	if (r) {
		/* Only root may mount the case's tmpfs. */
		snprintf(line, len, "ok %u - %s # SKIP no share of its own: %s",
			 num, c->name, strerror(-r));
		return;
	}
	run_session(c, &env.o, outside, num, line, len);
	case_env_close(&env);
}

static void run_session(const struct attack_case *c,
			const struct client_opts *o, const char *outside,
			unsigned int num, char *line, size_t len)
{
	struct session_cfg cfg = c->cfg;
	struct client_session cs;
	struct attack_ctx a = { .cs = &cs, .o = o, .outside = outside };
	struct vc_proc_stat before = { 0 }, after = { 0 };
	struct verdict v = { 0 };
	struct fuse_attr_out ra;
	enum attack_result res = AR_NONE;
	enum after_state st = ST_DEAD;
	bool died_early, stats = false;
	char es[64];
	int r;

	a.wait_ms = o->timeout_ms < 2000 ? o->timeout_ms : 2000;
	if (!cfg.nreq)
		cfg.nreq = 1;
	if (!cfg.slots)
		cfg.slots = 16;
	if (!cfg.in_cap)
		cfg.in_cap = 65536;
	if (!cfg.out_cap)
		cfg.out_cap = 65536;
	r = session_open(&cs, o, &cfg);
	if (!r && cfg.no_start)
		r = vc_negotiate(&cs.dev, &(struct vc_opts){ .indirect = true });
	if (!r && !cfg.no_start) {
		r = fm_do_getattr(&cs.q[1], FUSE_ROOT_ID, &ra);
		a.root_ino = ra.attr.ino;
	}
	if (r) {
		judge(&v, "set-up failed");
		snprintf(a.note, sizeof(a.note), "%s", strerror(-r));
		goto out;
	}
	vc_proc_stat(cs.dev.pid, &before);
	res = c->fn(&a);
	st = assess(&a, &cfg, res);
	if (st == ST_ALIVE || st == ST_BROKEN) {
		stats = vc_proc_stat(cs.dev.pid, &after) == 0;
		if (stats && after.nfds > before.nfds + FD_SLACK)
			judge(&v, "fd leak");
		if (stats && after.rss_kb > before.rss_kb + RSS_SLACK_KB)
			judge(&v, "RSS grew");
	}
out:
	died_early = !vc_alive(&cs.dev);
	if (session_close(&cs, o->timeout_ms))
		judge(&v, "HANG: still running after disconnect");
	else if (cs.dev.exit_status >= 0 && WIFSIGNALED(cs.dev.exit_status))
		judge(&v, "CRASH");
	if (res == AR_BAD)
		judge(&v, "wrong answer");
	if (died_early && !(c->accept & A_EXIT))
		judge(&v, "exited on hostile input");
	if (!died_early && res != AR_CLOSED && !(c->accept & (1u << res)))
		judge(&v, "unexpected answer");
	if (res == AR_CLOSED && !(c->accept & A_CLOSED) && !died_early)
		judge(&v, "closed the connection");
	if ((c->accept & A_ALIVE) && st != ST_ALIVE && !died_early)
		judge(&v, "stopped serving");
	if (st == ST_MUTE && !(c->accept & A_NONE))
		judge(&v, "vhost-user socket stopped answering");
	if (a.skip && !v.fail) {
		snprintf(line, len, "ok %u - %s # SKIP %s", num, c->name,
			 a.note);
		session_free(&cs);
		return;
	}
	snprintf(line, len, "%s %u - %s # %s%s%s: answer=%s after=%s fds=%d->%d rss=%llu->%llukB end=%s%s%s",
		 v.fail ? "not ok" : "ok", num, c->name, v.fail ? "FAIL " : "",
		 v.fail ? v.why : "pass", "", result_names[res],
		 state_names[st], before.nfds, stats ? after.nfds : -1,
		 (unsigned long long)before.rss_kb,
		 (unsigned long long)(stats ? after.rss_kb : 0),
		 status_str(cs.dev.exit_status, es, sizeof(es)),
		 a.note[0] ? "; " : "", a.note);
	session_free(&cs);
}

/* Host-side fixtures the cases aim at, inside and outside the share. */
static int make_fixtures(const struct client_opts *o, char *outside, size_t len)
{
	char p[8320];
	int fd;

	if (strlen(o->shared_dir) > 4000)
		return -ENAMETOOLONG;
	snprintf(outside, len, "%s.outside", o->shared_dir);
	if (mkdir(outside, 0755) && errno != EEXIST)
		return -errno;
	snprintf(p, sizeof(p), "%s/secret", outside);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, "SECRET-OUTSIDE\n", 15) != 15) {
		close(fd);
		return -EIO;
	}
	close(fd);
	snprintf(p, sizeof(p), "%s/sub", o->shared_dir);
	if (mkdir(p, 0755) && errno != EEXIST)
		return -errno;
	snprintf(p, sizeof(p), "%s/sub/file", o->shared_dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	snprintf(p, sizeof(p), "%s/file", o->shared_dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, 65536)) {
		close(fd);
		return -errno;
	}
	close(fd);
	snprintf(p, sizeof(p), "%s/esc", o->shared_dir);
	unlink(p);
	snprintf(outside + strlen(outside), len - strlen(outside), "/secret");
	if (symlink(outside, p))
		return -errno;
	*strrchr(outside, '/') = '\0';
	snprintf(p, sizeof(p), "%s/escdir", o->shared_dir);
	unlink(p);
	if (symlink(outside, p))
		return -errno;
	/* /dev/null's numbers: harmless if a back end does open it. */
	snprintf(p, sizeof(p), "%s/nulldev", o->shared_dir);
	unlink(p);
	if (mknod(p, S_IFCHR | 0666, makedev(1, 3)))
		return -errno;
	return 0;
}

int attack_main(struct client_opts *o)
{
	const struct attack_case *const sets[] = {
		attack_fuse_cases, attack_bounds_cases, attack_ring_cases,
		attack_sock_cases, attack_host_cases, attack_names_cases,
		attack_state_cases,
	};
	const unsigned int nsets = sizeof(sets) / sizeof(sets[0]);
	char outside[4096], line[1024];
	unsigned int n = 0, i = 0, failed = 0;
	int r;

	if (o->list) {
		for (unsigned int k = 0; k < nsets; k++)
			for (const struct attack_case *c = sets[k]; c->name; c++)
				printf("%s\n", c->name);
		return 0;
	}
	if (!session_can_spawn(o)) {
		fprintf(stderr, "vfsd-client attack: needs -- BACKEND ARGV\n");
		return 2;
	}
	r = make_fixtures(o, outside, sizeof(outside));
	if (r) {
		fprintf(stderr, "vfsd-client attack: fixtures: %s\n",
			strerror(-r));
		return 1;
	}
	for (unsigned int k = 0; k < nsets; k++)
		for (const struct attack_case *c = sets[k]; c->name; c++)
			if (!o->only || strstr(c->name, o->only))
				n++;
	printf("TAP version 13\n1..%u\n", n);
	for (unsigned int k = 0; k < nsets; k++) {
		for (const struct attack_case *c = sets[k]; c->name; c++) {
			if (o->only && !strstr(c->name, o->only))
				continue;
			run_one(c, o, outside, ++i, line, sizeof(line));
			printf("%s\n", line);
			fflush(stdout);
			failed += !strncmp(line, "not ok", 6);
		}
	}
	client_remove_tree(outside);
	return failed ? 1 : 0;
}
