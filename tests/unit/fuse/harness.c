/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

struct mock_fs mock;

void mock_reset(void)
{
	memset(&mock, 0, sizeof(mock));
	mock.next_nodeid = 100;
	mock.next_fh = 7;
}

static void mock_call(const char *op, const struct vfs_ctx *ctx)
{
	mock.calls++;
	mock.last_op = op;
	if (ctx)
		mock.ctx = *ctx;
}

static void mock_name(char *dst, const char *src)
{
	snprintf(dst, MOCK_NAME, "%s", src);
}

static void mock_fill_entry(struct vfs_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = mock.next_nodeid++;
	e->generation = 3;
	e->attr.st_ino = e->nodeid + 1000;
	e->attr.st_mode = 0100644;
	e->attr.st_nlink = 1;
	e->attr.st_size = 4242;
	e->attr.st_mtim.tv_sec = 1700000000;
	e->attr.st_mtim.tv_nsec = 123456789;
}

static void m_init(void *fs, const struct vfs_conn *conn)
{
	(void)fs;
	mock.init_calls++;
	mock.conn = *conn;
}

static void m_destroy(void *fs)
{
	(void)fs;
	mock.destroy_calls++;
}

static int m_lookup(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		    const char *name, struct vfs_entry *out)
{
	(void)fs;
	mock_call("lookup", ctx);
	mock.parent = parent;
	mock_name(mock.name, name);
	if (mock.ret)
		return mock.ret;
	mock_fill_entry(out);
	return 0;
}

static void m_forget(void *fs, uint64_t nodeid, uint64_t nlookup)
{
	(void)fs;
	if (mock.nforget < MOCK_MAX_FORGETS) {
		mock.forget[mock.nforget][0] = nodeid;
		mock.forget[mock.nforget][1] = nlookup;
	}
	mock.nforget++;
}

static int m_getattr(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     const uint64_t *fh, struct stat *out)
{
	struct vfs_entry e;

	(void)fs;
	mock_call("getattr", ctx);
	mock.nodeid = nodeid;
	mock.has_fh = fh != NULL;
	mock.fh = fh ? *fh : 0;
	if (mock.ret)
		return mock.ret;
	mock_fill_entry(&e);
	*out = e.attr;
	return 0;
}

static int m_setattr(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     const uint64_t *fh, const struct vfs_setattr *in,
		     struct stat *out)
{
	(void)fs;
	mock_call("setattr", ctx);
	mock.nodeid = nodeid;
	mock.has_fh = fh != NULL;
	mock.fh = fh ? *fh : 0;
	mock.sa = *in;
	if (mock.ret)
		return mock.ret;
	memset(out, 0, sizeof(*out));
	out->st_mode = 0100000 | in->mode;
	out->st_size = (off_t)in->size;
	return 0;
}

static int m_access(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		    uint32_t mask)
{
	(void)fs;
	mock_call("access", ctx);
	mock.nodeid = nodeid;
	mock.mask = mask;
	return mock.ret;
}

static int m_statfs(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		    struct statvfs *out)
{
	(void)fs;
	mock_call("statfs", ctx);
	mock.nodeid = nodeid;
	if (mock.ret)
		return mock.ret;
	memset(out, 0, sizeof(*out));
	out->f_blocks = 1000;
	out->f_bfree = 500;
	out->f_bavail = 400;
	out->f_files = 77;
	out->f_ffree = 66;
	out->f_bsize = 4096;
	out->f_frsize = 512;
	out->f_namemax = 255;
	return 0;
}

static int m_readlink(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		      char *buf, size_t size, size_t *len)
{
	(void)fs;
	mock_call("readlink", ctx);
	mock.nodeid = nodeid;
	if (mock.ret)
		return mock.ret;
	if (mock.data_len > size)
		return -ENAMETOOLONG;
	memcpy(buf, mock.data, mock.data_len);
	*len = mock.data_len;
	return 0;
}

static int m_symlink(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		     const char *name, const char *target,
		     struct vfs_entry *out)
{
	(void)fs;
	mock_call("symlink", ctx);
	mock.parent = parent;
	mock_name(mock.name, name);
	mock_name(mock.name2, target);
	if (mock.ret)
		return mock.ret;
	mock_fill_entry(out);
	return 0;
}

static int m_mknod(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		   const char *name, uint32_t mode, uint32_t rdev,
		   uint32_t umask, struct vfs_entry *out)
{
	(void)fs;
	mock_call("mknod", ctx);
	mock.parent = parent;
	mock_name(mock.name, name);
	mock.mode = mode;
	mock.rdev = rdev;
	mock.umask = umask;
	if (mock.ret)
		return mock.ret;
	mock_fill_entry(out);
	return 0;
}

static int m_mkdir(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		   const char *name, uint32_t mode, uint32_t umask,
		   struct vfs_entry *out)
{
	(void)fs;
	mock_call("mkdir", ctx);
	mock.parent = parent;
	mock_name(mock.name, name);
	mock.mode = mode;
	mock.umask = umask;
	if (mock.ret)
		return mock.ret;
	mock_fill_entry(out);
	return 0;
}

static int m_unlink(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		    const char *name)
{
	(void)fs;
	mock_call("unlink", ctx);
	mock.parent = parent;
	mock_name(mock.name, name);
	return mock.ret;
}

static int m_rmdir(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		   const char *name)
{
	(void)fs;
	mock_call("rmdir", ctx);
	mock.parent = parent;
	mock_name(mock.name, name);
	return mock.ret;
}

static int m_rename(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		    const char *name, uint64_t newparent, const char *newname,
		    uint32_t flags)
{
	(void)fs;
	mock_call("rename", ctx);
	mock.parent = parent;
	mock.newparent = newparent;
	mock_name(mock.name, name);
	mock_name(mock.name2, newname);
	mock.flags = flags;
	return mock.ret;
}

static int m_link(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		  uint64_t newparent, const char *newname,
		  struct vfs_entry *out)
{
	(void)fs;
	mock_call("link", ctx);
	mock.nodeid = nodeid;
	mock.newparent = newparent;
	mock_name(mock.name, newname);
	if (mock.ret)
		return mock.ret;
	mock_fill_entry(out);
	return 0;
}

static int m_open(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		  uint32_t flags, uint64_t *fh)
{
	(void)fs;
	mock_call("open", ctx);
	mock.nodeid = nodeid;
	mock.flags = flags;
	if (mock.ret)
		return mock.ret;
	*fh = mock.next_fh++;
	return 0;
}

static int m_create(void *fs, const struct vfs_ctx *ctx, uint64_t parent,
		    const char *name, uint32_t mode, uint32_t flags,
		    uint32_t umask, struct vfs_entry *out, uint64_t *fh)
{
	(void)fs;
	mock_call("create", ctx);
	mock.parent = parent;
	mock_name(mock.name, name);
	mock.mode = mode;
	mock.flags = flags;
	mock.umask = umask;
	if (mock.ret)
		return mock.ret;
	mock_fill_entry(out);
	*fh = mock.next_fh++;
	return 0;
}

static int m_read(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		  uint64_t fh, uint64_t off, const struct iovec *dst,
		  unsigned int cnt, size_t *nread)
{
	size_t done = 0;

	(void)fs;
	mock_call("read", ctx);
	mock.nodeid = nodeid;
	mock.fh = fh;
	mock.off = off;
	mock.iov_cnt = cnt;
	if (mock.ret)
		return mock.ret;
	for (unsigned int i = 0; i < cnt && done < mock.data_len; i++) {
		size_t n = dst[i].iov_len;

		if (n > mock.data_len - done)
			n = mock.data_len - done;
		memcpy(dst[i].iov_base, mock.data + done, n);
		done += n;
	}
	*nread = done;
	return 0;
}

static int m_write(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		   uint64_t fh, uint64_t off, const struct iovec *src,
		   unsigned int cnt, bool kill_priv, size_t *nwritten)
{
	(void)fs;
	mock_call("write", ctx);
	mock.nodeid = nodeid;
	mock.fh = fh;
	mock.off = off;
	mock.iov_cnt = cnt;
	mock.kill_priv = kill_priv;
	if (mock.ret)
		return mock.ret;
	mock.written_len = 0;
	for (unsigned int i = 0; i < cnt; i++) {
		assert_true(src[i].iov_len <=
			    sizeof(mock.written) - mock.written_len);
		memcpy(mock.written + mock.written_len, src[i].iov_base,
		       src[i].iov_len);
		mock.written_len += src[i].iov_len;
	}
	*nwritten = mock.written_len;
	return 0;
}

static int m_flush(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		   uint64_t fh, uint64_t lock_owner)
{
	(void)fs;
	mock_call("flush", ctx);
	mock.nodeid = nodeid;
	mock.fh = fh;
	mock.lock_owner = lock_owner;
	return mock.ret;
}

static int m_release(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     uint64_t fh)
{
	(void)fs;
	(void)ctx;
	mock.releases++;
	mock.nodeid = nodeid;
	mock.fh = fh;
	return 0;
}

static int m_fsync(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		   uint64_t fh, bool datasync)
{
	(void)fs;
	mock_call("fsync", ctx);
	mock.nodeid = nodeid;
	mock.fh = fh;
	mock.datasync = datasync;
	return mock.ret;
}

static int m_fallocate(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		       uint64_t fh, uint32_t mode, uint64_t off, uint64_t len)
{
	(void)fs;
	mock_call("fallocate", ctx);
	mock.nodeid = nodeid;
	mock.fh = fh;
	mock.mode = mode;
	mock.off = off;
	mock.len = len;
	return mock.ret;
}

static int m_lseek(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		   uint64_t fh, uint64_t off, uint32_t whence, uint64_t *result)
{
	(void)fs;
	mock_call("lseek", ctx);
	mock.nodeid = nodeid;
	mock.fh = fh;
	mock.off = off;
	mock.whence = whence;
	if (mock.ret)
		return mock.ret;
	*result = off + 1;
	return 0;
}

static int m_opendir(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     uint32_t flags, uint64_t *fh)
{
	(void)fs;
	mock_call("opendir", ctx);
	mock.nodeid = nodeid;
	mock.flags = flags;
	if (mock.ret)
		return mock.ret;
	*fh = mock.next_fh++;
	return 0;
}

static int m_readdir(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		     uint64_t fh, uint64_t off, bool plus, vfs_fill_fn fill,
		     void *arg)
{
	(void)fs;
	mock_call(plus ? "readdirplus" : "readdir", ctx);
	mock.nodeid = nodeid;
	mock.fh = fh;
	mock.off = off;
	if (mock.ret)
		return mock.ret;
	for (uint64_t i = off; i < mock.dir_entries; i++) {
		char name[32];
		struct vfs_entry e;
		struct vfs_dirent d = { 0 };
		int n = snprintf(name, sizeof(name), "e%llu",
				 (unsigned long long)i);

		d.name = name;
		d.namelen = (size_t)n;
		d.ino = 500 + i;
		d.type = 8; /* DT_REG */
		d.next_off = i + 1;
		if (plus) {
			mock_fill_entry(&e);
			d.entry = &e;
		}
		if (fill(arg, &d)) {
			mock.dir_saw_full = true;
			/* The contract: drop the reference of the entry not taken. */
			if (plus)
				m_forget(fs, e.nodeid, 1);
			break;
		}
		mock.dir_taken++;
	}
	return mock.dir_ret;
}

static int m_releasedir(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
			uint64_t fh)
{
	(void)fs;
	(void)ctx;
	mock.releases++;
	mock.nodeid = nodeid;
	mock.fh = fh;
	return 0;
}

static int m_fsyncdir(void *fs, const struct vfs_ctx *ctx, uint64_t nodeid,
		      uint64_t fh, bool datasync)
{
	(void)fs;
	mock_call("fsyncdir", ctx);
	mock.nodeid = nodeid;
	mock.fh = fh;
	mock.datasync = datasync;
	return mock.ret;
}

const struct vfs_ops mock_ops = {
	.init = m_init,
	.destroy = m_destroy,
	.lookup = m_lookup,
	.forget = m_forget,
	.getattr = m_getattr,
	.setattr = m_setattr,
	.access = m_access,
	.statfs = m_statfs,
	.readlink = m_readlink,
	.symlink = m_symlink,
	.mknod = m_mknod,
	.mkdir = m_mkdir,
	.unlink = m_unlink,
	.rmdir = m_rmdir,
	.rename = m_rename,
	.link = m_link,
	.open = m_open,
	.create = m_create,
	.read = m_read,
	.write = m_write,
	.flush = m_flush,
	.release = m_release,
	.fsync = m_fsync,
	.fallocate = m_fallocate,
	.lseek = m_lseek,
	.opendir = m_opendir,
	.readdir = m_readdir,
	.releasedir = m_releasedir,
	.fsyncdir = m_fsyncdir,
};

static uint64_t tm_unique = 1;

void tm_start(struct tmsg *m, uint32_t opcode, uint64_t nodeid)
{
	struct fuse_in_header h = {
		.opcode = opcode,
		.unique = tm_unique++ * 2,
		.nodeid = nodeid,
		.uid = 1001,
		.gid = 1002,
		.pid = 1003,
	};

	m->len = 0;
	tm_add(m, &h, sizeof(h));
}

void tm_add(struct tmsg *m, const void *p, size_t n)
{
	assert_true(n <= sizeof(m->buf) - m->len);
	memcpy(m->buf + m->len, p, n);
	m->len += n;
}

void tm_add_str(struct tmsg *m, const char *s)
{
	tm_add(m, s, strlen(s) + 1);
}

struct fuse_in_header *tm_hdr(struct tmsg *m)
{
	return (struct fuse_in_header *)(void *)m->buf;
}

void tm_finish(struct tmsg *m)
{
	tm_hdr(m)->len = (uint32_t)m->len;
}

static size_t pos_total(const size_t *parts, unsigned int cnt)
{
	size_t sum = 0;

	for (unsigned int i = 0; i < cnt; i++)
		sum += parts[i];
	return sum;
}

size_t t_run_split(struct fuse_session *s, const void *in,
		   const size_t *in_parts, unsigned int in_cnt, void *out,
		   const size_t *out_parts, unsigned int out_cnt)
{
	struct iovec iin[64], iout[64];
	struct fuse_req req = { 0 };
	size_t pos = 0;

	assert_true(in_cnt <= 64 && out_cnt <= 64);
	/* One exactly-sized allocation per piece: ASan catches any over-run. */
	for (unsigned int i = 0; i < in_cnt; i++) {
		iin[i].iov_len = in_parts[i];
		iin[i].iov_base = malloc(in_parts[i] ? in_parts[i] : 1);
		assert_non_null(iin[i].iov_base);
		memcpy(iin[i].iov_base, (const char *)in + pos, in_parts[i]);
		pos += in_parts[i];
	}
	for (unsigned int i = 0; i < out_cnt; i++) {
		iout[i].iov_len = out_parts[i];
		iout[i].iov_base = malloc(out_parts[i] ? out_parts[i] : 1);
		assert_non_null(iout[i].iov_base);
		memset(iout[i].iov_base, 0xa5, out_parts[i]);
	}
	req.in = iin;
	req.in_cnt = in_cnt;
	req.out = iout;
	req.out_cnt = out_cnt;
	req.queue = 1;
	fuse_session_process(s, &req);
	/* A reply length is only ever set by a reply that was sent. */
	if (req.reply_len)
		assert_true(req.reply_sent);
	assert_true(req.reply_len <= pos_total(out_parts, out_cnt));
	pos = 0;
	for (unsigned int i = 0; i < out_cnt; i++) {
		memcpy((char *)out + pos, iout[i].iov_base, out_parts[i]);
		pos += out_parts[i];
		free(iout[i].iov_base);
	}
	for (unsigned int i = 0; i < in_cnt; i++)
		free(iin[i].iov_base);
	return req.reply_len;
}

size_t t_run(struct fuse_session *s, const void *in, size_t inlen, void *out,
	     size_t outlen)
{
	return t_run_split(s, in, &inlen, 1, out, &outlen, 1);
}

size_t t_call(struct fuse_session *s, struct tmsg *m, struct fuse_out_header *oh,
	      void *body, size_t outlen)
{
	uint8_t *out = malloc(outlen ? outlen : 1);
	size_t n;

	assert_non_null(out);
	tm_finish(m);
	n = t_run(s, m->buf, m->len, out, outlen);
	memset(oh, 0, sizeof(*oh));
	if (n) {
		assert_true(n >= sizeof(*oh));
		memcpy(oh, out, sizeof(*oh));
		assert_int_equal(oh->len, n);
		assert_int_equal(oh->unique, tm_hdr(m)->unique);
		assert_true(oh->error <= 0 && oh->error > -512);
		if (body)
			memcpy(body, out + sizeof(*oh), n - sizeof(*oh));
	}
	free(out);
	return n;
}

const struct fuse_session_opts *t_default_opts(void)
{
	static const struct fuse_session_opts o = {
		.cache = FUSE_CACHE_AUTO,
		.readdirplus = true,
		.max_write = 1u << 20,
		.max_readahead = 1u << 20,
	};

	return &o;
}

int t_init(struct fuse_session *s, uint32_t major, uint32_t minor,
	   uint32_t flags, uint32_t flags2, uint32_t readahead,
	   struct fuse_init_out *out, size_t *out_len)
{
	struct fuse_init_in in = {
		.major = major,
		.minor = minor,
		.max_readahead = readahead,
		.flags = flags,
		.flags2 = flags2,
	};
	uint8_t reply[sizeof(struct fuse_out_header) + sizeof(*out)];
	struct fuse_out_header oh;
	struct tmsg *m = malloc(sizeof(*m));
	size_t n;

	assert_non_null(m);
	tm_start(m, FUSE_INIT, 0);
	tm_add(m, &in, sizeof(in));
	tm_finish(m);
	memset(reply, 0, sizeof(reply));
	n = t_run(s, m->buf, m->len, reply, sizeof(reply));
	assert_true(n >= sizeof(oh));
	memcpy(&oh, reply, sizeof(oh));
	assert_int_equal(oh.len, n);
	assert_int_equal(oh.unique, tm_hdr(m)->unique);
	free(m);
	memset(out, 0, sizeof(*out));
	memcpy(out, reply + sizeof(oh), n - sizeof(oh));
	if (out_len)
		*out_len = n - sizeof(oh);
	return oh.error;
}

struct fuse_session *t_session(const struct fuse_session_opts *opts)
{
	struct fuse_session *s;
	struct fuse_init_out out;

	mock_reset();
	assert_int_equal(fuse_session_new(&s, &mock_ops, &mock,
					  opts ? opts : t_default_opts()), 0);
	assert_int_equal(t_init(s, 7, 38, 0xffffffffu, 0,
				1u << 17, &out, NULL), 0);
	return s;
}

int t_ctx_setup(void **state)
{
	struct t_ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->m = malloc(sizeof(*c->m));
	assert_non_null(c->m);
	c->s = t_session(NULL);
	*state = c;
	return 0;
}

int t_ctx_teardown(void **state)
{
	struct t_ctx *c = *state;

	fuse_session_free(c->s);
	free(c->m);
	free(c);
	return 0;
}

size_t t_ctx_call(struct t_ctx *c, size_t outlen)
{
	return t_call(c->s, c->m, &c->oh, c->body, outlen);
}
