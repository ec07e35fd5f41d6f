/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy/userns.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/log.h"

/* One decimal field of a range, up to the separator; NULL if malformed. */
static const char *parse_field(const char *p, char sep, uint32_t *out)
{
	unsigned long long v = 0;
	const char *start = p;

	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > UINT32_MAX)
			return NULL;
		p++;
	}
	if (p == start || *p != sep)
		return NULL;
	*out = (uint32_t)v;
	return p + 1;
}

int userns_add_range(struct userns_map *m, const char *spec)
{
	struct userns_range r;
	size_t len = strlen(spec);
	const char *p;
	char sep;

	/* The separator opens and closes the value: ":0:1000:1:". */
	if (len < 7)
		return -EINVAL;
	sep = spec[0];
	if (isalnum((unsigned char)sep) || spec[len - 1] != sep)
		return -EINVAL;
	p = parse_field(spec + 1, sep, &r.inside);
	if (p)
		p = parse_field(p, sep, &r.outside);
	if (p)
		p = parse_field(p, sep, &r.count);
	if (!p || *p)
		return -EINVAL;
	if (r.count == 0 || r.inside > UINT32_MAX - r.count ||
	    r.outside > UINT32_MAX - r.count)
		return -ERANGE;
	for (unsigned int i = 0; i < m->n; i++) {
		const struct userns_range *o = &m->r[i];

		if (r.inside < o->inside + o->count &&
		    o->inside < r.inside + r.count)
			return -EEXIST;
	}
	if (m->n >= USERNS_MAX_RANGES)
		return -ENOSPC;
	m->r[m->n++] = r;
	return 0;
}

int userns_maps_root(const struct userns_map *m)
{
	for (unsigned int i = 0; i < m->n; i++)
		if (m->r[i].inside == 0)
			return 1;
	return 0;
}

/* The map the kernel would be given: the caller's own id if none. */
static void effective_map(const struct userns_map *given, uint32_t own,
			  struct userns_map *out)
{
	if (given->n) {
		*out = *given;
		return;
	}
	out->n = 1;
	out->r[0] = (struct userns_range){ own, own, 1 };
}

/* One range of the caller's own id: a write without any helper. */
static bool map_is_own(const struct userns_map *m, uint32_t own)
{
	return m->n == 1 && m->r[0].outside == own && m->r[0].count == 1;
}

static int write_proc(pid_t pid, const char *file, const char *text,
		      char *err, size_t errlen)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -1;
	}
	n = write(fd, text, strlen(text));
	if (n != (ssize_t)strlen(text)) {
		snprintf(err, errlen, "write %s: %s", path,
			 n < 0 ? strerror(errno) : "short write");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Read until EOF or cap - 1 bytes into buf, NUL-terminated; the count. */
static size_t read_text(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

/*
 * Run newuidmap/newgidmap PID ranges... and wait for it. Its complaint,
 * if any, is folded into one line of err.
 */
static int run_helper(const char *tool, pid_t pid, const struct userns_map *m,
		      char *err, size_t errlen)
{
	char bufs[1 + USERNS_MAX_RANGES * 3][12];
	char *argv[2 + USERNS_MAX_RANGES * 3 + 1];
	unsigned int a = 0, b = 0;
	char out[200];
	size_t got;
	int pfd[2], status;
	pid_t child;

	argv[a++] = (char *)tool;
	snprintf(bufs[b], sizeof(bufs[b]), "%d", (int)pid);
	argv[a++] = bufs[b++];
	for (unsigned int i = 0; i < m->n; i++) {
		const uint32_t v[3] = { m->r[i].inside, m->r[i].outside,
					m->r[i].count };

		for (unsigned int k = 0; k < 3; k++) {
			snprintf(bufs[b], sizeof(bufs[b]), "%u", v[k]);
			argv[a++] = bufs[b++];
		}
	}
	argv[a] = NULL;
	if (pipe2(pfd, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	child = fork();
	if (child < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (child == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		execvp(tool, argv);
		dprintf(STDERR_FILENO, "%s", strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	got = read_text(pfd[0], out, sizeof(out));
	close(pfd[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	for (char *c = out; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	while (got && out[got - 1] == ' ')
		out[--got] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(err, errlen,
			 "%s: %s (install the uidmap package: it grants the ranges of /etc/subuid and /etc/subgid)",
			 tool, out);
	else
		snprintf(err, errlen,
			 "%s refused the ranges: %s (give this user the ids in /etc/%s, or pass smaller --%s ranges)",
			 tool, out, tool[3] == 'u' ? "subuid" : "subgid",
			 tool[3] == 'u' ? "uid-map" : "gid-map");
	return -1;
}

/* Write one map of pid: directly if it maps only our own id, else helper. */
static int write_map(pid_t pid, const struct userns_map *m, uint32_t own,
		     bool gid, char *err, size_t errlen)
{
	char line[48];

	if (!map_is_own(m, own))
		return run_helper(gid ? "newgidmap" : "newuidmap", pid, m, err,
				  errlen);
	/* Without a helper the kernel wants setgroups(2) given up first. */
	if (gid && write_proc(pid, "setgroups", "deny", err, errlen))
		return -1;
	snprintf(line, sizeof(line), "%u %u 1\n", m->r[0].inside, own);
	return write_proc(pid, gid ? "gid_map" : "uid_map", line, err, errlen);
}

/*
 * The helper child: wait until the parent has its new namespace, write
 * both maps from outside it, and report one line (empty: success).
 */
static __noreturn void map_writer(int go_fd, int done_fd, pid_t parent,
				  const struct userns_map *uids,
				  const struct userns_map *gids, uint32_t euid,
				  uint32_t egid)
{
	char err[400] = "";
	char c;

	if (read(go_fd, &c, 1) != 1)
		_exit(1);
	if (write_map(parent, uids, euid, false, err, sizeof(err)) == 0)
		write_map(parent, gids, egid, true, err, sizeof(err));
	if (write(done_fd, err, strlen(err) + 1) < 0)
		_exit(1);
	_exit(0);
}

static const char *unshare_hint(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return "user namespaces are not allowed for this user here "
		       "(kernel.unprivileged_userns_clone=0, an AppArmor or "
		       "seccomp policy, or a container); run vfsd as root, or "
		       "with --sandbox=none";
	case ENOSPC:
	case EUSERS:
		return "the limit of user namespaces is reached "
		       "(/proc/sys/user/max_user_namespaces)";
	case EINVAL:
		return "this kernel has no user namespaces; run vfsd as root";
	default:
		return strerror(e);
	}
}

/* Read the helper's one line; 0 if it reported success. */
static int read_report(int fd, char *err, size_t errlen)
{
	size_t got = read_text(fd, err, errlen);

	if (got == 0) {
		snprintf(err, errlen, "the helper that writes the id maps died");
		return -1;
	}
	return err[0] ? -1 : 0;
}

int userns_enter(const struct userns_map *uids, const struct userns_map *gids,
		 char *err, size_t errlen)
{
	uint32_t euid = (uint32_t)geteuid(), egid = (uint32_t)getegid();
	struct userns_map u, g;
	int go[2], done[2], status, ret = -1;
	char why[400];
	pid_t parent = getpid(), helper;

	effective_map(uids, euid, &u);
	effective_map(gids, egid, &g);
	if (pipe2(go, O_CLOEXEC))
		goto sys_fail;
	if (pipe2(done, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		goto sys_fail;
	}
	helper = fork();
	if (helper < 0) {
		close(go[0]);
		close(go[1]);
		close(done[0]);
		close(done[1]);
		goto sys_fail;
	}
	if (helper == 0) {
		close(go[1]);
		close(done[0]);
		map_writer(go[0], done[1], parent, &u, &g, euid, egid);
	}
	close(go[0]);
	close(done[1]);
	if (unshare(CLONE_NEWUSER)) {
		snprintf(err, errlen, "cannot create a user namespace: %s",
			 unshare_hint(errno));
		close(go[1]); /* the helper reads EOF and exits */
	} else if (write(go[1], "g", 1) != 1) {
		snprintf(err, errlen, "cannot wake the id-map helper: %s",
			 strerror(errno));
		close(go[1]);
	} else {
		close(go[1]);
		if (read_report(done[0], why, sizeof(why)))
			snprintf(err, errlen, "cannot map ids into the user namespace: %s",
				 why);
		else
			ret = 0;
	}
	close(done[0]);
	while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
		;
	if (ret)
		return -1;
	/* Become the namespace's root where there is one (libvirt maps 0). */
	if (userns_maps_root(&g) && setresgid(0, 0, 0)) {
		snprintf(err, errlen, "setresgid(0) in the user namespace: %s",
			 strerror(errno));
		return -1;
	}
	if (userns_maps_root(&u) && setresuid(0, 0, 0)) {
		snprintf(err, errlen, "setresuid(0) in the user namespace: %s",
			 strerror(errno));
		return -1;
	}
	log_debug("user namespace: uid %u gid %u outside, %u and %u ranges",
		  euid, egid, u.n, g.n);
	return 0;
sys_fail:
	snprintf(err, errlen, "user namespace set-up: %s", strerror(errno));
	return -1;
}
