/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd-client probe: what a back end's options mean to a guest, as
 * "key=value" lines a script can compare between two back ends started
 * with the same command line (tests/libvirt/argv-replay.sh runs the argv
 * libvirt builds against vfsd and the Rust virtiofsd).
 *
 * One session: the vhost-user features (and the tag, with CONFIG), an
 * INIT offering what a Linux 6.6 guest offers, then as guest root a
 * CREATE of probe-root (entry and attr timeouts, open flags), SETXATTR on
 * it, OPENDIR of the root, and as guest uid 1000 a CREATE of probe-user
 * (its owner, on the host, is the script's to check). Meanwhile, from
 * /proc, the serving process of the back end's tree (the one with the most
 * threads): its threads, open-file limit, uid, uid_map, and whether its
 * root is the shared directory.
 */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Linux 6.6 (FUSE 7.39) names missing from this machine's header. */
#ifndef FUSE_DIRECT_IO_ALLOW_MMAP
#define FUSE_DIRECT_IO_ALLOW_MMAP (1ULL << 36)
#endif

#define PROBE_USER 1000

static const char *err_name(int r)
{
	static char buf[16];

	switch (r) {
	case 0: return "0";
	case -ENOSYS: return "ENOSYS";
	case -EOPNOTSUPP: return "EOPNOTSUPP";
	case -EPERM: return "EPERM";
	case -EACCES: return "EACCES";
	case -EINVAL: return "EINVAL";
	case -EEXIST: return "EEXIST";
	default:
		snprintf(buf, sizeof(buf), "%d", r);
		return buf;
	}
}

/* INIT as a 6.6 guest kernel offers it; 0 with *agreed, or -errno. */
static int probe_init(struct client_session *cs, const struct client_opts *o,
		      uint64_t *agreed_out)
{
	static const struct {
		const char *name;
		uint64_t flag;
	} named[] = {
		{ "posix_locks", FUSE_POSIX_LOCKS },
		{ "flock_locks", FUSE_FLOCK_LOCKS },
		{ "readdirplus", FUSE_DO_READDIRPLUS },
		{ "writeback_cache", FUSE_WRITEBACK_CACHE },
		{ "submounts", FUSE_SUBMOUNTS },
		{ "killpriv_v2", FUSE_HANDLE_KILLPRIV_V2 },
		{ "setxattr_ext", FUSE_SETXATTR_EXT },
		{ "posix_acl", FUSE_POSIX_ACL },
		{ "security_ctx", FUSE_SECURITY_CTX },
		{ "allow_mmap", FUSE_DIRECT_IO_ALLOW_MMAP },
	};
	uint64_t offer = FUSE_ASYNC_READ | FUSE_POSIX_LOCKS |
			 FUSE_ATOMIC_O_TRUNC | FUSE_EXPORT_SUPPORT |
			 FUSE_BIG_WRITES | FUSE_DONT_MASK | FUSE_FLOCK_LOCKS |
			 FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO |
			 FUSE_ASYNC_DIO | FUSE_WRITEBACK_CACHE |
			 FUSE_PARALLEL_DIROPS | FUSE_HANDLE_KILLPRIV |
			 FUSE_POSIX_ACL | FUSE_MAX_PAGES | FUSE_SUBMOUNTS |
			 FUSE_HANDLE_KILLPRIV_V2 | FUSE_SETXATTR_EXT |
			 FUSE_INIT_EXT | FUSE_SECURITY_CTX |
			 FUSE_DIRECT_IO_ALLOW_MMAP;
	struct fm_slot *s = &cs->q[1].slots[0];
	struct fuse_init_out io;
	uint64_t agreed;
	int r;

	fm_fill_init(s, FUSE_KERNEL_VERSION, FUSE_KERNEL_MINOR_VERSION, offer,
		     sizeof(struct fuse_init_in));
	r = fm_call_copy(&cs->q[1], s, o->timeout_ms, &io, sizeof(io));
	if (r)
		return r;
	agreed = io.flags | (uint64_t)io.flags2 << 32;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		printf("init.%s=%d\n", named[i].name, !!(agreed & named[i].flag));
	*agreed_out = agreed;
	return 0;
}

/* CREATE name as uid:gid; the entry and open flags. */
static int probe_create(struct client_session *cs, const struct client_opts *o,
			const char *name, uint32_t uid,
			struct fuse_entry_out *e, struct fuse_open_out *op)
{
	struct fm_slot *s = &cs->q[1].slots[0];
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out;
	int r;

	fm_fill_create(s, FUSE_ROOT_ID, name, 0100644);
	fm_in_hdr(s)->uid = uid;
	fm_in_hdr(s)->gid = uid;
	r = fm_call_copy(&cs->q[1], s, o->timeout_ms, &out, sizeof(out));
	if (!r) {
		*e = out.e;
		*op = out.o;
	}
	return r;
}

static int probe_setxattr(struct client_session *cs,
			  const struct client_opts *o, uint64_t nodeid,
			  bool ext)
{
	struct fm_slot *s = &cs->q[1].slots[0];
	struct fuse_setxattr_in in = { .size = 1 };
	const void *p;
	size_t len;
	int r;

	fm_begin(s, FUSE_SETXATTR, nodeid);
	/* With SETXATTR_EXT the kernel sends the longer struct. */
	fm_arg(s, &in, ext ? sizeof(in) : FUSE_COMPAT_SETXATTR_IN_SIZE);
	fm_name(s, "user.vfsd-probe");
	fm_arg(s, "1", 1);
	fm_end(s, sizeof(struct fuse_out_header));
	r = fm_call(&cs->q[1], s, o->timeout_ms);
	return r ? r : fm_reply(s, &p, &len);
}

static void print_open(const char *what, const struct fuse_open_out *op)
{
	printf("%s.direct_io=%d\n%s.keep_cache=%d\n%s.cache_dir=%d\n", what,
	       !!(op->open_flags & FOPEN_DIRECT_IO), what,
	       !!(op->open_flags & FOPEN_KEEP_CACHE), what,
	       !!(op->open_flags & FOPEN_CACHE_DIR));
}

/* OPENDIR of the root: its open flags. */
static int probe_opendir(struct client_session *cs,
			 const struct client_opts *o)
{
	struct fm_slot *s = &cs->q[1].slots[0];
	struct fuse_open_out op;
	int r;

	fm_fill_open(s, FUSE_OPENDIR, FUSE_ROOT_ID, 0200000 /* O_DIRECTORY */);
	r = fm_call_copy(&cs->q[1], s, o->timeout_ms, &op, sizeof(op));
	if (r)
		return r;
	print_open("opendir", &op);
	return fm_do_release(&cs->q[1], FUSE_RELEASEDIR, FUSE_ROOT_ID, op.fh);
}

/* The line of /proc/PID/FILE that starts with key, after it; "" if none. */
static void proc_field(pid_t pid, const char *file, const char *key,
		       char *out, size_t len)
{
	char path[64], line[256];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)))
			continue;
		snprintf(out, len, "%s", line + strlen(key) + strspn(line + strlen(key), " \t"));
		out[strcspn(out, "\n")] = '\0';
		break;
	}
	fclose(f);
}

/* /proc/PID/uid_map, lines joined by ';', blanks squeezed. */
static void proc_uid_map(pid_t pid, char *out, size_t len)
{
	char path[64], line[128];
	size_t n = 0;
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && n < len) {
		unsigned long a, b, c;

		if (sscanf(line, "%lu %lu %lu", &a, &b, &c) == 3)
			n += (size_t)snprintf(out + n, len - n, "%s%lu %lu %lu",
					      n ? ";" : "", a, b, c);
	}
	fclose(f);
}

static void probe_proc(struct client_session *cs, const struct client_opts *o)
{
	pid_t tree[16], server = cs->dev.pid;
	long best = -1;
	char buf[256], path[64];
	struct stat share, root;
	int n = vc_proc_tree(cs->dev.pid, tree, 16);

	for (int i = 0; i < n; i++) {
		long t;

		proc_field(tree[i], "status", "Threads:", buf, sizeof(buf));
		t = atol(buf);
		if (t > best) {
			best = t;
			server = tree[i];
		}
	}
	printf("proc.processes=%d\nproc.threads=%ld\n", n, best);
	proc_field(server, "limits", "Max open files", buf, sizeof(buf));
	printf("proc.nofile=%ld\n", atol(buf));
	proc_field(server, "status", "Uid:", buf, sizeof(buf));
	printf("proc.uid=%ld\n", atol(buf));
	proc_uid_map(server, buf, sizeof(buf));
	printf("proc.uid_map=%s\n", buf);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)server);
	printf("proc.root_is_share=%d\n",
	       o->shared_dir && !stat(o->shared_dir, &share) &&
		       !stat(path, &root) && share.st_dev == root.st_dev &&
		       share.st_ino == root.st_ino);
}

static void probe_config(struct client_session *cs)
{
	struct vc_dev *d = &cs->dev;
	char cfg[40] = "";

	printf("config=%d\n", !!(d->protocol_features &
				 (1ull << VHOST_USER_PROTOCOL_F_CONFIG)));
	if ((d->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_CONFIG)) &&
	    vc_get_config(d, 0, sizeof(cfg), cfg) == 0)
		printf("tag=%.36s\n", cfg);
}

static int probe_files(struct client_session *cs, const struct client_opts *o,
		       bool setxattr_ext)
{
	struct fuse_entry_out e;
	struct fuse_open_out op;
	int r = probe_create(cs, o, "probe-root", 0, &e, &op);

	printf("create.root=%s\n", err_name(r));
	if (r)
		return r;
	printf("entry_valid=%llu\nattr_valid=%llu\n",
	       (unsigned long long)e.entry_valid,
	       (unsigned long long)e.attr_valid);
	print_open("open", &op);
	fm_do_release(&cs->q[1], FUSE_RELEASE, e.nodeid, op.fh);
	printf("setxattr=%s\n",
	       err_name(probe_setxattr(cs, o, e.nodeid, setxattr_ext)));
	r = probe_opendir(cs, o);
	if (r)
		printf("opendir=%s\n", err_name(r));
	r = probe_create(cs, o, "probe-user", PROBE_USER, &e, &op);
	printf("create.user=%s\n", err_name(r));
	if (!r) {
		printf("user.uid=%u\nuser.gid=%u\n", e.attr.uid, e.attr.gid);
		fm_do_release(&cs->q[1], FUSE_RELEASE, e.nodeid, op.fh);
	}
	return 0;
}

int probe_main(struct client_opts *o)
{
	struct session_cfg cfg = { .nreq = 1, .slots = 4, .in_cap = 8192,
				   .out_cap = 65536, .no_init = true };
	struct client_session cs;
	uint64_t agreed = 0;
	int r;

	if (!session_can_spawn(o) && !o->socket_path) {
		fprintf(stderr, "vfsd-client probe: needs -- BACKEND ARGV\n");
		return 2;
	}
	r = session_open(&cs, o, &cfg);
	if (!r) {
		probe_config(&cs);
		r = probe_init(&cs, o, &agreed);
	}
	/* The SETXATTR request grows with FUSE_SETXATTR_EXT, as the kernel's. */
	if (!r) {
		probe_proc(&cs, o);
		r = probe_files(&cs, o, agreed & FUSE_SETXATTR_EXT);
	}
	if (r)
		fprintf(stderr, "vfsd-client probe: %s\n", strerror(-r));
	fflush(stdout);
	session_close(&cs, o->timeout_ms);
	session_free(&cs);
	return r ? 1 : 0;
}
