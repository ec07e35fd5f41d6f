/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device state of a migration (docs/MIGRATION.md): the stream's
 * frame, the SESSION section (the connection the guest's kernel
 * negotiated, which it does not negotiate again on the destination) and
 * the filesystem's sections behind it.
 *
 * The destination re-runs the negotiation on the kernel's own INIT with
 * its own options and must agree to exactly what the source agreed to: a
 * guest that was promised POSIX locks, writeback caching or security
 * labels must not move to a daemon that was not started to give them.
 */
#include <errno.h>
#include <string.h>

#include "fuse/session.h"
#include "fuse/session_int.h"
#include "util/log.h"

/* SESSION payload v1: 40 bytes, fields after it are a later version's. */
#define SESSION_SEC_SIZE 40u

static void write_session(struct fuse_session *s, struct wbuf *b)
{
	const struct fuse_init_in *in = &s->init_in;
	size_t mark = state_section_begin(b, STATE_SEC_SESSION, 0);
	struct fuse_agreed ag;

	session_agreed_unpack(atomic_load(&s->agreed), &ag);
	wbuf_u32(b, in->major);
	wbuf_u32(b, in->minor);
	wbuf_u64(b, (uint64_t)in->flags | (uint64_t)in->flags2 << 32);
	wbuf_u32(b, in->max_readahead);
	wbuf_u32(b, 0);
	wbuf_u64(b, s->agreed_flags);
	wbuf_u32(b, ag.max_write);
	wbuf_u32(b, 0);
	state_section_end(b, mark);
}

int fuse_session_state_save(struct fuse_session *s, struct wbuf *b)
{
	int err = 0;

	state_begin(b);
	pthread_mutex_lock(&s->reset_lock);
	/* No section when no guest is mounted: the destination waits too. */
	if (atomic_load(&s->agreed))
		write_session(s, b);
	pthread_mutex_unlock(&s->reset_lock);
	if (s->ops->state_save)
		err = s->ops->state_save(s->fs, b);
	if (err) {
		if (err == -ENOMEM && b->failed && b->len >= b->max)
			err = -EMSGSIZE;
		return err;
	}
	err = state_finish(b);
	if (err == -EMSGSIZE)
		log_err("migration: the state is over %u bytes", STATE_MAX_SIZE);
	return err;
}

/* The source's connection, as the kernel started it and as agreed. */
struct session_rec {
	struct fuse_init_in in;
	uint64_t agreed;
	uint32_t max_write;
};

static int read_session(struct rbuf *r, struct session_rec *sr)
{
	uint64_t kflags;

	memset(sr, 0, sizeof(*sr));
	sr->in.major = rbuf_u32(r);
	sr->in.minor = rbuf_u32(r);
	kflags = rbuf_u64(r);
	sr->in.max_readahead = rbuf_u32(r);
	(void)rbuf_u32(r);
	sr->agreed = rbuf_u64(r);
	sr->max_write = rbuf_u32(r);
	(void)rbuf_u32(r);
	if (r->failed) {
		log_err("migration state refused: the SESSION section is cut "
			"short");
		return -EINVAL;
	}
	sr->in.flags = (uint32_t)kflags;
	sr->in.flags2 = (uint32_t)(kflags >> 32);
	if (sr->in.major != FUSE_KERNEL_VERSION ||
	    sr->in.minor < FUSE_SESSION_MIN_MINOR) {
		log_err("migration state refused: FUSE %u.%u", sr->in.major,
			sr->in.minor);
		return -EINVAL;
	}
	return 0;
}

/* Agree here to what the source agreed to, or refuse. */
static int renegotiate(struct fuse_session *s, const struct session_rec *sr,
		       struct vfs_conn *conn, struct fuse_agreed *ag)
{
	struct fuse_init_out out;
	uint64_t agreed;

	memset(&out, 0, sizeof(out));
	agreed = session_negotiate(s, &sr->in, &out, conn, ag);
	if (agreed == sr->agreed && ag->max_write == sr->max_write)
		return 0;
	log_err("migration state refused: the guest's connection agreed to "
		"flags %#llx and max_write %u on the source, this daemon's "
		"options give %#llx and %u (start it with the source's "
		"options)", (unsigned long long)sr->agreed, sr->max_write,
		(unsigned long long)agreed, ag->max_write);
	return -EPROTO;
}

int fuse_session_state_load(struct fuse_session *s, const void *buf,
			    size_t len)
{
	struct state_view v;
	struct session_rec sr;
	struct fuse_agreed ag;
	struct vfs_conn conn;
	bool connect;
	char why[256];
	int err;

	err = state_parse(buf, len, &v, why, sizeof(why));
	if (err) {
		log_err("migration state refused: %s", why);
		return err;
	}
	connect = v.has[STATE_SEC_SESSION];
	if (connect) {
		err = read_session(&v.sec[STATE_SEC_SESSION], &sr);
		if (!err)
			err = renegotiate(s, &sr, &conn, &ag);
		if (err)
			return err;
	}
	pthread_mutex_lock(&s->reset_lock);
	/* Whatever this daemon served before is over (the fs forgets it). */
	atomic_store(&s->agreed, 0);
	err = s->ops->state_load ? s->ops->state_load(s->fs, &v) : 0;
	if (!err && connect) {
		if (s->ops->init)
			s->ops->init(s->fs, &conn);
		s->init_in = sr.in;
		s->agreed_flags = sr.agreed;
		atomic_store(&s->destroyed, false);
		atomic_store(&s->agreed, session_agreed_pack(&ag));
	}
	pthread_mutex_unlock(&s->reset_lock);
	return err;
}
