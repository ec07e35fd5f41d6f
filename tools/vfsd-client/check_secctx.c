/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd-client check security_ctx: FUSE_SECURITY_CTX as a guest kernel with
 * an LSM uses it. INIT offers the flag; MKDIR and CREATE carry a context
 * block after their names (laid out as fs/fuse/dir.c builds it); the label
 * must then be readable with GETXATTR and present on the host, under its
 * own name or a user.virtiofs. name when the back end maps it. A block
 * whose size lies must be refused without creating anything. A back end
 * that does not take the flag is a skip.
 */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

#define SC_NAME "security.selinux"
#define SC_LABEL "system_u:object_r:vfsd_client_t:s0"
#define SC_OUT (sizeof(struct fuse_out_header) + 4096)

static int sc_say(char *msg, size_t len, int v, const char *what, int r)
{
	snprintf(msg, len, "%s: %s", what, r < 0 ? strerror(-r) : "wrong");
	return v;
}

/* INIT offering FUSE_SECURITY_CTX; 1 when the back end took it. */
static int sc_init(struct client_session *cs, const struct client_opts *o)
{
	struct fm_slot *s = &cs->q[1].slots[0];
	struct fuse_init_out io;
	int r;

	fm_fill_init(s, FUSE_KERNEL_VERSION, FUSE_KERNEL_MINOR_VERSION,
		     FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_MAX_PAGES |
			     FUSE_INIT_EXT | FUSE_SECURITY_CTX,
		     sizeof(struct fuse_init_in));
	r = fm_call_copy(&cs->q[1], s, o->timeout_ms, &io, sizeof(io));
	if (r)
		return r;
	return (io.flags2 & (uint32_t)(FUSE_SECURITY_CTX >> 32)) ? 1 : 0;
}

/* The block: header, one record, padded; hsize 0 means the true size. */
static void sc_block(struct fm_slot *s, uint32_t hsize)
{
	size_t rec = sizeof(struct fuse_secctx) + sizeof(SC_NAME) +
		     strlen(SC_LABEL);
	size_t total = sizeof(struct fuse_secctx_header) + FUSE_REC_ALIGN(rec);
	uint8_t *b = fm_space(s, total);
	struct fuse_secctx_header h = { .size = hsize ? hsize : (uint32_t)total,
					.nr_secctx = 1 };
	struct fuse_secctx f = { .size = (uint32_t)strlen(SC_LABEL) };

	memset(b, 0, total);
	memcpy(b, &h, sizeof(h));
	b += sizeof(h);
	memcpy(b, &f, sizeof(f));
	b += sizeof(f);
	memcpy(b, SC_NAME, sizeof(SC_NAME));
	b += sizeof(SC_NAME);
	memcpy(b, SC_LABEL, strlen(SC_LABEL));
}

/* op on the root with its fixed argument, name and a context block. */
static int sc_entry_call(struct client_session *cs,
			 const struct client_opts *o, uint32_t op,
			 const void *arg, size_t arglen, const char *name,
			 uint32_t hsize, uint64_t *nodeid)
{
	struct fm_slot *s = &cs->q[1].slots[0];
	struct fuse_entry_out e;
	int r;

	fm_begin(s, op, FUSE_ROOT_ID);
	fm_arg(s, arg, arglen);
	fm_name(s, name);
	sc_block(s, hsize);
	fm_end(s, SC_OUT);
	r = fm_call_copy(&cs->q[1], s, o->timeout_ms, &e, sizeof(e));
	if (r)
		return r;
	*nodeid = e.nodeid;
	return 0;
}

static int sc_mkdir(struct client_session *cs, const struct client_opts *o,
		    const char *name, uint32_t hsize, uint64_t *nodeid)
{
	struct fuse_mkdir_in in = { .mode = 0755 };

	return sc_entry_call(cs, o, FUSE_MKDIR, &in, sizeof(in), name, hsize,
			     nodeid);
}

static int sc_create(struct client_session *cs, const struct client_opts *o,
		     const char *name, uint64_t *nodeid)
{
	/* O_RDWR, a regular file 0644. */
	struct fuse_create_in in = { .flags = 02, .mode = 0100644 };

	return sc_entry_call(cs, o, FUSE_CREATE, &in, sizeof(in), name, 0,
			     nodeid);
}

/* GETXATTR SC_NAME of nodeid must give the label back. */
static int sc_label_back(struct client_session *cs,
			 const struct client_opts *o, uint64_t nodeid)
{
	struct fm_slot *s = &cs->q[1].slots[0];
	struct fuse_getxattr_in in = { .size = 256 };
	const void *p;
	size_t len;
	int r;

	fm_begin(s, FUSE_GETXATTR, nodeid);
	fm_arg(s, &in, sizeof(in));
	fm_name(s, SC_NAME);
	fm_end(s, SC_OUT);
	r = fm_call(&cs->q[1], s, o->timeout_ms);
	if (!r)
		r = fm_reply(s, &p, &len);
	if (r)
		return r;
	if (len != strlen(SC_LABEL) || memcmp(p, SC_LABEL, len))
		return 1;
	return 0;
}

/* On the host, under the name itself or the user.virtiofs. one. */
static int sc_on_host(const struct client_opts *o, const char *name)
{
	char path[4096], buf[256];
	ssize_t n;

	if (!o->shared_dir)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", o->shared_dir, name);
	n = lgetxattr(path, SC_NAME, buf, sizeof(buf));
	if (n < 0)
		n = lgetxattr(path, "user.virtiofs." SC_NAME, buf, sizeof(buf));
	if (n != (ssize_t)strlen(SC_LABEL) || memcmp(buf, SC_LABEL, (size_t)n))
		return 1;
	return 0;
}

int check_secctx(struct client_session *cs, const struct client_opts *o,
		 char *msg, size_t len)
{
	struct fuse_entry_out e;
	uint64_t nid = 0;
	int r = sc_init(cs, o);

	if (r < 0)
		return sc_say(msg, len, FAIL, "INIT", r);
	if (!r) {
		snprintf(msg, len, "back end did not take FUSE_SECURITY_CTX");
		return SKIP;
	}
	r = sc_mkdir(cs, o, "secctx-dir", 0, &nid);
	if (r)
		return sc_say(msg, len, FAIL, "MKDIR with a context", r);
	r = sc_label_back(cs, o, nid);
	if (r)
		return sc_say(msg, len, FAIL, "GETXATTR of the directory", r);
	if (sc_on_host(o, "secctx-dir"))
		return sc_say(msg, len, FAIL, "directory label on the host", 0);
	r = sc_create(cs, o, "secctx-file", &nid);
	if (r)
		return sc_say(msg, len, FAIL, "CREATE with a context", r);
	r = sc_label_back(cs, o, nid);
	if (r)
		return sc_say(msg, len, FAIL, "GETXATTR of the file", r);
	if (sc_on_host(o, "secctx-file"))
		return sc_say(msg, len, FAIL, "file label on the host", 0);

	/* A header size past the request: refused, nothing created. */
	r = sc_mkdir(cs, o, "secctx-bad", 4096, &nid);
	if (r != -EINVAL)
		return sc_say(msg, len, FAIL, "MKDIR with a lying block", r);
	r = fm_do_lookup(&cs->q[1], FUSE_ROOT_ID, "secctx-bad", &e);
	if (r != -ENOENT)
		return sc_say(msg, len, FAIL, "LOOKUP after the refusal", r);
	return PASS;
}
