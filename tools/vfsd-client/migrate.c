/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd-client migrate: plays QEMU's part of a live migration. A guest (RAM,
 * rings, FUSE requests) talks to a source back end; at switch-over its
 * rings are stopped, the source's state is read through a pipe, a second
 * back end on the same shared directory is started, given the state and
 * the same RAM and ring positions, and the guest goes on with the same
 * nodeids and file handles there. TAP, one fresh pair of back ends per
 * case; both must exit 0 when their front end goes.
 */
#include "migrate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIG_IN_CAP (8192u + 65536u)
#define MIG_OUT_CAP (65536u + 4096u)

static bool argv_has(const struct client_opts *o, const char *arg)
{
	for (char **a = o->backend_argv; a && *a; a++)
		if (!strcmp(*a, arg))
			return true;
	return false;
}

int mig_open(struct mig *m, const struct client_opts *o)
{
	const struct session_cfg cfg = {
		.nreq = 1,
		.slots = 4,
		.in_cap = MIG_IN_CAP,
		.out_cap = MIG_OUT_CAP,
		.event_idx = true,
	};

	memset(m, 0, sizeof(*m));
	vc_init(&m->dst);
	m->o = o;
	m->file_handles = argv_has(o, "--migration-mode=file-handles");
	m->guest_error = argv_has(o, "--migration-on-error=guest-error");
	return session_open(&m->src, o, &cfg);
}

int mig_stop_source(struct mig *m)
{
	unsigned int base;
	int r = 0;

	for (unsigned int i = 0; !r && i < m->src.dev.nvqs; i++)
		r = vc_vq_stop(&m->src.dev, i, &base);
	return r;
}

int mig_resume_source(struct mig *m)
{
	int r = 0;

	for (unsigned int i = 0; !r && i < m->src.dev.nvqs; i++)
		r = vc_vq_start(&m->src.dev, i);
	return r;
}

int mig_save(struct mig *m)
{
	uint64_t t0 = vc_now_ns();
	int r;

	free(m->state);
	m->state = NULL;
	r = vc_state_save(&m->src.dev, &m->state, &m->state_len);
	m->save_ns = vc_now_ns() - t0;
	return r;
}

int mig_start_dest(struct mig *m, const char *extra)
{
	struct vc_opts vo = {
		.indirect = true,
		.event_idx = true,
		.nvqs = m->src.dev.nvqs,
	};
	int r;

	/* A destination QEMU has the guest's RAM; ours shares the source's. */
	r = vc_clone_guest(&m->dst, &m->src.dev);
	if (!r)
		r = session_spawn_dev(&m->dst, m->dst_sock, sizeof(m->dst_sock),
				      m->o, extra);
	m->dst_up = !r;
	if (!r)
		r = vc_negotiate(&m->dst, &vo);
	if (!r && !(m->dst.protocol_features &
		    (1ull << VHOST_USER_PROTOCOL_F_DEVICE_STATE)))
		r = -EOPNOTSUPP;
	return r;
}

int mig_load(struct mig *m, const uint8_t *buf, size_t len)
{
	uint64_t t0 = vc_now_ns();
	int r = vc_state_load(&m->dst, buf, len);

	m->load_ns = vc_now_ns() - t0;
	return r;
}

int mig_switch(struct mig *m)
{
	int r = vc_send_mem_table(&m->dst);

	for (unsigned int i = 0; !r && i < m->dst.nvqs; i++)
		r = vc_vq_start(&m->dst, i);
	if (r)
		return r;
	for (unsigned int i = 0; i < m->dst.nvqs; i++)
		fm_queue_rebind(&m->src.q[i], &m->dst);
	/* The RAM is the destination's now: the source may go. */
	m->src.dev.mem_shared = true;
	m->dst.mem_shared = false;
	m->moved = true;
	return 0;
}

int mig_move(struct mig *m)
{
	int r = mig_stop_source(m);

	if (!r)
		r = mig_save(m);
	if (!r)
		r = mig_start_dest(m, NULL);
	if (!r)
		r = mig_load(m, m->state, m->state_len);
	if (!r)
		r = mig_switch(m);
	return r;
}

/* Both back ends must end with status 0 once their front end is gone. */
void mig_close(struct mig *m, bool *exits_ok)
{
	int a = 0, b = 0;

	*exits_ok = true;
	if (m->dst_up) {
		vc_disconnect(&m->dst);
		a = vc_wait_exit(&m->dst, 5000);
		*exits_ok = !a && m->dst.exit_status == 0;
		vc_kill(&m->dst);
		session_unlink_socket(m->dst_sock);
	}
	b = session_close(&m->src, 5000);
	*exits_ok = *exits_ok && !b && m->src.dev.exit_status == 0;
	session_free(&m->src);
	free(m->state);
	m->state = NULL;
}

int mq_read(struct fm_queue *q, uint64_t nodeid, uint64_t fh, uint64_t off,
	    void *buf, uint32_t size, size_t *got)
{
	struct fm_slot *s = &q->slots[0];
	const void *p;
	size_t len;
	int r;

	fm_fill_read(s, FUSE_READ, nodeid, fh, off, size);
	r = fm_call(q, s, 10000);
	if (!r)
		r = fm_reply(s, &p, &len);
	if (r)
		return r;
	if (len > size)
		return -EBADMSG;
	memcpy(buf, p, len);
	*got = len;
	return 0;
}

int mq_rename(struct fm_queue *q, uint64_t parent, const char *name,
	      uint64_t newparent, const char *newname)
{
	struct fm_slot *s = &q->slots[0];
	struct fuse_rename_in in = { .newdir = newparent };

	fm_begin(s, FUSE_RENAME, parent);
	fm_arg(s, &in, sizeof(in));
	fm_name(s, name);
	fm_name(s, newname);
	fm_end(s, sizeof(struct fuse_out_header));
	return fm_call_copy(q, s, 10000, NULL, 0);
}

int mq_readdir(struct fm_queue *q, uint64_t nodeid, uint64_t fh,
	       uint64_t off, uint32_t size,
	       void (*fn)(void *arg, const char *name, size_t len), void *arg,
	       uint64_t *next, unsigned int *count)
{
	struct fm_slot *s = &q->slots[0];
	const uint8_t *p;
	const void *pv;
	size_t len, pos = 0;
	int r;

	fm_fill_read(s, FUSE_READDIR, nodeid, fh, off, size);
	r = fm_call(q, s, 10000);
	if (!r)
		r = fm_reply(s, &pv, &len);
	if (r)
		return r;
	p = pv;
	*count = 0;
	while (len - pos >= FUSE_NAME_OFFSET) {
		struct fuse_dirent d;
		size_t rec;

		memcpy(&d, p + pos, sizeof(d));
		rec = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + d.namelen);
		if (d.namelen == 0 || rec > len - pos)
			return -EBADMSG;
		fn(arg, (const char *)p + pos + FUSE_NAME_OFFSET, d.namelen);
		*next = d.off;
		(*count)++;
		pos += rec;
	}
	return pos == len ? 0 : -EBADMSG;
}

static int run_case(const struct mig_case *c, const struct client_opts *o,
		    char *msg, size_t len)
{
	struct mig m;
	bool exits_ok;
	int v, r;

	msg[0] = 0;
	r = mig_open(&m, o);
	if (r) {
		snprintf(msg, len, "source session: %s", strerror(-r));
		v = FAIL;
	} else {
		v = c->fn(&m, msg, len);
	}
	mig_close(&m, &exits_ok);
	/* Each case starts from an empty share. */
	client_empty_tree(o->shared_dir);
	if (v != FAIL && !exits_ok) {
		snprintf(msg, len, "a back end did not exit 0 after its "
			 "front end left");
		v = FAIL;
	}
	return v;
}

static const char *case_name(unsigned int k)
{
	return mig_cases[k].name;
}

static bool case_named_only(unsigned int k)
{
	return mig_cases[k].named_only;
}

static int case_run(unsigned int k, const struct client_opts *o, char *msg,
		    size_t len)
{
	return run_case(&mig_cases[k], o, msg, len);
}

int migrate_main(struct client_opts *o)
{
	static const struct tap_suite suite = {
		"migrate", case_name, case_named_only, case_run,
	};

	return tap_main(&suite, o);
}
