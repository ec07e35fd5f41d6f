/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session life cycle. A fresh back end per session when we were given its
 * command line: check and attack cases must not see each other's damage.
 */
#include "client.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned int spawn_seq;

bool session_can_spawn(const struct client_opts *o)
{
	return o->backend_argv && o->backend_argv[0];
}

/* Replace every "{socket}", "{dir}" and "{fd}" in one argument. */
static char *subst(const char *arg, const char *sock, const char *dir,
		   int fd)
{
	size_t cap = strlen(arg) + 1;
	char fdnum[16];
	const char *p;
	char *out, *w;

	snprintf(fdnum, sizeof(fdnum), "%d", fd);
	for (p = arg; (p = strchr(p, '{')); p++)
		cap += strlen(sock) + strlen(dir) + strlen(fdnum);
	out = malloc(cap);
	if (!out)
		return NULL;
	for (w = out, p = arg; *p;) {
		if (!strncmp(p, "{socket}", 8)) {
			w = stpcpy(w, sock);
			p += 8;
		} else if (!strncmp(p, "{dir}", 5)) {
			w = stpcpy(w, dir);
			p += 5;
		} else if (!strncmp(p, "{fd}", 4)) {
			w = stpcpy(w, fdnum);
			p += 4;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	return out;
}

/*
 * A vfsd back end keeps a lock file beside its socket (SOCKET.pid). Left
 * behind, a root-owned one in /tmp refuses a rootless back end of a later
 * client whose pid (and so socket path) is the same: removed before the
 * spawn and with the socket.
 */
static void unlink_lock_file(const char *sock_path)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s.pid", sock_path) < (int)sizeof(p))
		unlink(p);
}

void session_unlink_socket(const char *sock_path)
{
	unlink(sock_path);
	unlink_lock_file(sock_path);
}

/*
 * "{fd}" asks for libvirt's way: we listen, and the back end inherits
 * the listener as that fd number.
 */
int session_spawn_dev(struct vc_dev *dev, char *sock_path, size_t path_len,
		      const struct client_opts *o, const char *extra)
{
	int listen_fd = -1;
	char **argv;
	size_t n = 0;
	int r = 0;

	/* The uid too: another user's leftover lock file cannot be removed. */
	snprintf(sock_path, path_len, "/tmp/vfsd-client.%u.%d.%u.sock",
		 (unsigned int)getuid(), (int)getpid(), spawn_seq++);
	unlink_lock_file(sock_path);
	while (o->backend_argv[n]) {
		if (strstr(o->backend_argv[n], "{fd}") && listen_fd < 0) {
			listen_fd = vc_listen_inherit(sock_path);
			if (listen_fd < 0)
				return listen_fd;
		}
		n++;
	}
	argv = calloc(n + 2, sizeof(*argv));
	if (!argv) {
		if (listen_fd >= 0)
			close(listen_fd);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n + (extra != NULL) && !r; i++) {
		argv[i] = subst(i < n ? o->backend_argv[i] : extra, sock_path,
				o->shared_dir, listen_fd);
		if (!argv[i])
			r = -ENOMEM;
	}
	if (r && listen_fd >= 0)
		close(listen_fd);
	if (!r)
		r = vc_spawn(dev, argv, sock_path, 10000, listen_fd);
	for (size_t i = 0; i < n + 1; i++)
		free(argv[i]);
	free(argv);
	return r;
}

static int spawn(struct client_session *cs, const struct client_opts *o)
{
	return session_spawn_dev(&cs->dev, cs->sock_path,
				 sizeof(cs->sock_path), o, NULL);
}

static unsigned int pow2_at_least(unsigned int n)
{
	unsigned int p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

int session_open(struct client_session *cs, const struct client_opts *o,
		 const struct session_cfg *cfg)
{
	struct vc_opts vo = {
		.nvqs = 1 + cfg->nreq,
		.indirect = true,
		.event_idx = cfg->event_idx,
		.layout = cfg->layout,
	};
	size_t per_q;
	int r;

	memset(cs, 0, sizeof(*cs));
	vc_init(&cs->dev);
	cs->dev.timeout_ms = o->timeout_ms;
	if (cfg->keep_log) {
		snprintf(cs->log_path, sizeof(cs->log_path),
			 "/tmp/vfsd-client.%d.%u.log", (int)getpid(), spawn_seq);
		unlink(cs->log_path);
		cs->dev.log_path = cs->log_path;
	}
	cs->nreq = cfg->nreq;
	if (session_can_spawn(o))
		r = spawn(cs, o);
	else
		r = vc_connect(&cs->dev, o->socket_path, 5000);
	if (r || cfg->no_start)
		return r;
	vo.queue_size = pow2_at_least(cfg->slots * FM_DESC_PER_SLOT);
	if (vo.queue_size < 128)
		vo.queue_size = 128;
	per_q = (size_t)cfg->slots * (cfg->in_cap + cfg->out_cap + 8192) +
		(size_t)vo.queue_size * 32 + 3 * 4096;
	vo.mem_size = per_q * vo.nvqs + (16u << 20);
	r = vc_setup(&cs->dev, &vo);
	if (r)
		return r;
	for (unsigned int i = 0; i < vo.nvqs; i++) {
		r = fm_queue_init(&cs->q[i], &cs->dev, i, cfg->slots,
				  cfg->in_cap, cfg->out_cap);
		if (r)
			return r;
	}
	if (cfg->no_init)
		return 0;
	r = fm_do_init(&cs->q[1], &cs->init);
	if (!r && cs->init.major != FUSE_KERNEL_VERSION)
		r = -EPROTO;
	return r;
}

int session_close(struct client_session *cs, int timeout_ms)
{
	vc_disconnect(&cs->dev);
	if (!cs->dev.spawned)
		return 0;
	return vc_wait_exit(&cs->dev, timeout_ms);
}

void session_free(struct client_session *cs)
{
	vc_disconnect(&cs->dev);
	vc_kill(&cs->dev);
	for (unsigned int i = 0; i < VC_MAX_QUEUES; i++)
		fm_queue_free(&cs->q[i]);
	if (cs->sock_path[0])
		session_unlink_socket(cs->sock_path);
	if (cs->log_path[0])
		unlink(cs->log_path);
}

const char *status_str(int status, char *buf, size_t len)
{
	if (status < 0)
		snprintf(buf, len, "running");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status %#x", status);
	return buf;
}

int say(char *msg, size_t len, int verdict, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return verdict;
}

static void tap_line(unsigned int n, const char *name, int verdict,
		     const char *msg)
{
	printf("%s %u - %s%s%s\n", verdict == FAIL ? "not ok" : "ok", n, name,
	       verdict == SKIP ? " # SKIP " : msg[0] ? " # " : "", msg);
	fflush(stdout);
}

static bool tap_selected(const struct tap_suite *t, unsigned int k,
			 const struct client_opts *o)
{
	if (!o->only)
		return !t->named_only(k);
	return strstr(t->name(k), o->only) != NULL;
}

int tap_main(const struct tap_suite *t, struct client_opts *o)
{
	unsigned int n = 0, failed = 0, i = 0;
	char msg[512];

	for (unsigned int k = 0; t->name(k); k++)
		n += tap_selected(t, k, o);
	if (o->list) {
		for (unsigned int k = 0; t->name(k); k++)
			printf("%s\n", t->name(k));
		return 0;
	}
	if (!session_can_spawn(o)) {
		fprintf(stderr, "vfsd-client %s: needs -- BACKEND ARGV\n",
			t->what);
		return 2;
	}
	printf("TAP version 13\n1..%u\n", n);
	for (unsigned int k = 0; t->name(k); k++) {
		int v;

		if (!tap_selected(t, k, o))
			continue;
		msg[0] = 0;
		v = t->run(k, o, msg, sizeof(msg));
		tap_line(++i, t->name(k), v, msg);
		failed += v == FAIL;
	}
	return failed ? 1 : 0;
}
