/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reply building. Replies are written straight into the reply buffers
 * through the bounded writer: the header slot is reserved first and filled
 * last, once the length is known.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "fuse/reply.h"
#include "util/log.h"

/*
 * The kernel rejects errors outside (-512, 0) in a reply; anything else a
 * filesystem returns is a bug on our side, reported as EIO.
 */
#define REPLY_MAX_ERRNO 511

/* Starts the one reply of this request; false if not even a header fits. */
static bool reply_begin(struct fuse_call *c)
{
	struct fuse_req *req = c->req;

	assert(!req->reply_sent);
	req->reply_sent = true;
	req->reply_len = 0;
	fw_init(&c->w, req->out, req->out_cnt);
	if (fw_reserve(&c->w, sizeof(struct fuse_out_header), &c->out_hdr)) {
		log_debug("unique %llu: reply buffers too small for a header",
			  (unsigned long long)c->hdr.unique);
		return false;
	}
	return true;
}

/* Fills the header; with err set, drops any body written so far. */
/*
 * Never the guest's doing: an op answered a positive or huge error, a sign
 * slip between conventions. The guest gets EIO; the slip is said once, so
 * that it does not go unseen (and no guest can flood the log with it).
 */
static void reply_bad_errno(const struct fuse_call *c, int err)
{
	static atomic_flag said = ATOMIC_FLAG_INIT;

	if (!atomic_flag_test_and_set(&said))
		log_err("opcode %u answered %d, which is no -errno: EIO "
			"(reported once)", c->hdr.opcode, err);
}

static void reply_finish(struct fuse_call *c, int err)
{
	struct fuse_out_header oh;
	size_t len;

	if (err > 0 || err < -REPLY_MAX_ERRNO) {
		reply_bad_errno(c, err);
		err = -EIO;
	}
	if (err)
		fw_rewind(&c->w, &c->out_hdr);
	len = fw_bytes_written(&c->w);
	if (len > UINT32_MAX) {
		err = -E2BIG;
		fw_rewind(&c->w, &c->out_hdr);
		len = fw_bytes_written(&c->w);
	}
	memset(&oh, 0, sizeof(oh));
	oh.len = (uint32_t)len;
	oh.error = err;
	/* The one place the sign turns: the statistics count errnos. */
	c->reply_error = -err;
	oh.unique = c->hdr.unique;
	if (fw_fill(&c->w, &c->out_hdr, &oh, sizeof(oh)))
		return;
	c->req->reply_len = len;
}

static int reply_parts(struct fuse_call *c, const struct iovec *parts,
		       unsigned int n)
{
	if (!reply_begin(c))
		return -E2BIG;
	for (unsigned int i = 0; i < n; i++) {
		if (fw_write(&c->w, parts[i].iov_base, parts[i].iov_len)) {
			log_debug("unique %llu: reply buffers too small",
				  (unsigned long long)c->hdr.unique);
			reply_finish(c, -E2BIG);
			return -E2BIG;
		}
	}
	reply_finish(c, 0);
	return 0;
}

void reply_err(struct fuse_call *c, int err)
{
	if (reply_begin(c))
		reply_finish(c, err);
}

void reply_ok(struct fuse_call *c)
{
	reply_err(c, 0);
}

int reply_buf(struct fuse_call *c, const void *arg, size_t size)
{
	struct iovec part = { .iov_base = (void *)arg, .iov_len = size };

	return reply_parts(c, &part, 1);
}

/* The kernel decodes rdev with new_decode_dev(). */
static uint32_t reply_encode_dev(dev_t dev)
{
	uint32_t ma = major(dev), mi = minor(dev);

	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
}

void reply_fill_attr(const struct fuse_session *s, struct fuse_attr *a,
		     const struct stat *st)
{
	memset(a, 0, sizeof(*a));
	a->ino = st->st_ino;
	a->size = (uint64_t)st->st_size;
	a->blocks = (uint64_t)st->st_blocks;
	a->atime = (uint64_t)st->st_atim.tv_sec;
	a->mtime = (uint64_t)st->st_mtim.tv_sec;
	a->ctime = (uint64_t)st->st_ctim.tv_sec;
	a->atimensec = (uint32_t)st->st_atim.tv_nsec;
	a->mtimensec = (uint32_t)st->st_mtim.tv_nsec;
	a->ctimensec = (uint32_t)st->st_ctim.tv_nsec;
	a->mode = st->st_mode;
	a->nlink = (uint32_t)st->st_nlink;
	a->uid = idmap_to_guest(s->opts.uid_map, st->st_uid);
	a->gid = idmap_to_guest(s->opts.gid_map, st->st_gid);
	a->rdev = reply_encode_dev(st->st_rdev);
	a->blksize = (uint32_t)st->st_blksize;
}

static void reply_fill_entry(const struct fuse_call *c,
			     struct fuse_entry_out *o,
			     const struct vfs_entry *e)
{
	memset(o, 0, sizeof(*o));
	o->nodeid = e->nodeid;
	o->generation = e->generation;
	o->entry_valid = c->s->entry_valid;
	o->attr_valid = c->s->entry_valid;
	reply_fill_attr(c->s, &o->attr, &e->attr);
	if (e->submount && c->conn.submounts)
		o->attr.flags |= FUSE_ATTR_SUBMOUNT;
}

int reply_entry(struct fuse_call *c, const struct vfs_entry *e)
{
	struct fuse_entry_out o;

	reply_fill_entry(c, &o, e);
	return reply_buf(c, &o, sizeof(o));
}

void reply_attr(struct fuse_call *c, const struct stat *st)
{
	struct fuse_attr_out o;

	memset(&o, 0, sizeof(o));
	o.attr_valid = c->s->entry_valid;
	reply_fill_attr(c->s, &o.attr, st);
	(void)reply_buf(c, &o, sizeof(o));
}

int reply_open(struct fuse_call *c, uint64_t fh, uint32_t open_flags,
	       int32_t backing_id)
{
	struct fuse_open_out o;

	memset(&o, 0, sizeof(o));
	o.fh = fh;
	o.open_flags = open_flags;
	/* 7.40's backing_id, where 7.38 has padding. */
	memcpy(&o.padding, &backing_id, sizeof(o.padding));
	return reply_buf(c, &o, sizeof(o));
}

int reply_create(struct fuse_call *c, const struct vfs_entry *e, uint64_t fh,
		 uint32_t open_flags, int32_t backing_id)
{
	struct fuse_entry_out eo;
	struct fuse_open_out oo;
	struct iovec parts[2] = {
		{ .iov_base = &eo, .iov_len = sizeof(eo) },
		{ .iov_base = &oo, .iov_len = sizeof(oo) },
	};

	reply_fill_entry(c, &eo, e);
	memset(&oo, 0, sizeof(oo));
	oo.fh = fh;
	oo.open_flags = open_flags;
	memcpy(&oo.padding, &backing_id, sizeof(oo.padding));
	return reply_parts(c, parts, 2);
}

void reply_data(struct fuse_call *c, const void *buf, size_t len)
{
	(void)reply_buf(c, buf, len);
}

void reply_statfs(struct fuse_call *c, const struct statvfs *st)
{
	struct fuse_statfs_out o;

	memset(&o, 0, sizeof(o));
	o.st.blocks = st->f_blocks;
	o.st.bfree = st->f_bfree;
	o.st.bavail = st->f_bavail;
	o.st.files = st->f_files;
	o.st.ffree = st->f_ffree;
	o.st.bsize = (uint32_t)st->f_bsize;
	o.st.namelen = (uint32_t)st->f_namemax;
	o.st.frsize = (uint32_t)st->f_frsize;
	(void)reply_buf(c, &o, sizeof(o));
}

void reply_write(struct fuse_call *c, uint32_t size)
{
	struct fuse_write_out o;

	memset(&o, 0, sizeof(o));
	o.size = size;
	(void)reply_buf(c, &o, sizeof(o));
}

void reply_lseek(struct fuse_call *c, uint64_t offset)
{
	struct fuse_lseek_out o = { .offset = offset };

	(void)reply_buf(c, &o, sizeof(o));
}

int reply_payload_begin(struct fuse_call *c, size_t max, struct iovec *iov,
			unsigned int max_iov, unsigned int *cnt, size_t *room)
{
	size_t n;

	if (!reply_begin(c))
		return -E2BIG;
	/*
	 * Buffers split into more pieces than we take give a short read;
	 * the kernel's own chains never are.
	 */
	n = fw_room_iov(&c->w, max_iov);
	if (n > max)
		n = max;
	if (fw_payload_iov(&c->w, n, iov, max_iov, cnt)) {
		reply_finish(c, -EIO);
		return -EIO;
	}
	*room = n;
	return 0;
}

void reply_payload_end(struct fuse_call *c, size_t n, int err)
{
	if (!err && fw_commit(&c->w, n))
		err = -EIO;
	reply_finish(c, err);
}

int reply_dir_begin(struct fuse_call *c, struct reply_dir *d, size_t size,
		    bool plus)
{
	if (!reply_begin(c))
		return -E2BIG;
	d->c = c;
	d->left = size < fw_room(&c->w) ? size : fw_room(&c->w);
	d->plus = plus;
	d->count = 0;
	return 0;
}

/* Size of one packed entry, 0 on overflow. */
static size_t reply_dirent_size(size_t base, size_t namelen)
{
	size_t len;

	if (__builtin_add_overflow(base, namelen, &len) ||
	    __builtin_add_overflow(len, (size_t)7, &len))
		return 0;
	return len & ~(size_t)7;
}

int reply_dir_fill(void *arg, const struct vfs_dirent *ent)
{
	struct reply_dir *d = arg;
	struct fuse_direntplus dp;
	struct fuse_dirent *de = &dp.dirent;
	const void *head = d->plus ? (const void *)&dp : (const void *)de;
	size_t base = d->plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
	size_t size, pad;

	/* Host names are never empty nor longer than NAME_MAX. */
	if (!ent->namelen || ent->namelen > NAME_MAX || !ent->name) {
		log_debug("skipping a directory entry of length %zu",
			  ent->namelen);
		/* Taken, so the filesystem keeps the reference: give it back. */
		if (d->plus && ent->entry && ent->entry->nodeid &&
		    d->c->s->ops->forget)
			d->c->s->ops->forget(d->c->s->fs, ent->entry->nodeid, 1);
		return 0;
	}
	size = reply_dirent_size(base, ent->namelen);
	if (!size || size > d->left)
		return 1;

	memset(&dp, 0, sizeof(dp));
	/* nodeid 0 tells the kernel "no entry for this name" ("." / ".."). */
	if (d->plus && ent->entry && ent->entry->nodeid)
		reply_fill_entry(d->c, &dp.entry_out, ent->entry);
	de->ino = ent->ino;
	de->off = ent->next_off;
	de->namelen = (uint32_t)ent->namelen;
	de->type = ent->type;
	pad = size - base - ent->namelen;
	/* These fit: size <= left <= the writer's room. */
	if (fw_write(&d->c->w, head, base) ||
	    fw_write(&d->c->w, ent->name, ent->namelen) ||
	    fw_zero(&d->c->w, pad))
		return 1;
	d->left -= size;
	d->count++;
	return 0;
}

void reply_dir_end(struct reply_dir *d, int err)
{
	reply_finish(d->c, d->count ? 0 : err);
}
