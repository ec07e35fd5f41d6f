/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuse_session_process() end to end on real byte buffers: INIT negotiation,
 * the INIT gate, header checks, no-reply opcodes and reply framing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#define OFFERED                                                        \
	(FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS | \
	 FUSE_BIG_WRITES | FUSE_ATOMIC_O_TRUNC | FUSE_HANDLE_KILLPRIV_V2 | \
	 FUSE_MAX_PAGES)

static struct fuse_session *fresh(const struct fuse_session_opts *o)
{
	struct fuse_session *s;

	mock_reset();
	assert_int_equal(fuse_session_new(&s, &mock_ops, &mock,
					  o ? o : t_default_opts()), 0);
	return s;
}

static struct tmsg *msg(void)
{
	struct tmsg *m = malloc(sizeof(*m));

	assert_non_null(m);
	return m;
}

static void add_getattr(struct tmsg *m, uint64_t nodeid)
{
	struct fuse_getattr_in in = { 0 };

	tm_start(m, FUSE_GETATTR, nodeid);
	tm_add(m, &in, sizeof(in));
}

/* ---- what a queue thread hands to a worker ---- */

/* dispatch_may_block() over m split into buffers at the given offsets. */
static bool may_block_split(struct tmsg *m, size_t cut1, size_t cut2)
{
	struct iovec iov[3] = {
		{ m->buf, cut1 },
		{ m->buf + cut1, cut2 - cut1 },
		{ m->buf + cut2, m->len - cut2 },
	};
	struct fuse_req req = { .in = iov, .in_cnt = 3 };

	return fuse_session_may_block(NULL, &req);
}

static bool may_block(struct tmsg *m)
{
	tm_finish(m);
	return may_block_split(m, m->len, m->len);
}

static void add_io(struct tmsg *m, uint32_t opcode, uint32_t size)
{
	struct fuse_read_in in = { .size = size };

	tm_start(m, opcode, 2);
	tm_add(m, &in, sizeof(in));
}

static void test_may_block(void **state)
{
	struct tmsg *m = msg();
	struct fuse_fsync_in fs = { 0 };

	(void)state;
	add_getattr(m, 2);
	assert_false(may_block(m));
	tm_start(m, FUSE_FSYNC, 2);
	tm_add(m, &fs, sizeof(fs));
	assert_true(may_block(m));
	add_io(m, FUSE_READ, 4096);
	assert_false(may_block(m));
	add_io(m, FUSE_READ, 1u << 20);
	assert_true(may_block(m));
	add_io(m, FUSE_WRITE, 128u << 10);
	assert_true(may_block(m));
	/* The size in a buffer of its own, and split across two. */
	assert_true(may_block_split(m, sizeof(struct fuse_in_header),
				    sizeof(struct fuse_in_header) + 20));
	assert_true(may_block_split(m, 10, 60));
	/* Too short for a header, or an opcode nobody knows: served inline. */
	m->len = 20;
	assert_false(may_block_split(m, 10, 20));
	tm_start(m, 4242, 2);
	assert_false(may_block(m));
	free(m);
}

/* ---- INIT ---- */

static void test_init_full(void **state)
{
	struct fuse_session *s = fresh(NULL);
	struct fuse_init_out out;
	size_t len;

	(void)state;
	assert_int_equal(t_init(s, 7, 38, 0xffffffffu, 0, 128 << 10, &out,
				&len), 0);
	assert_int_equal(len, sizeof(out));
	assert_int_equal(out.major, 7);
	assert_int_equal(out.minor, 38);
	assert_int_equal(out.flags, OFFERED | FUSE_DO_READDIRPLUS |
					   FUSE_READDIRPLUS_AUTO |
					   FUSE_INIT_EXT);
	assert_int_equal(out.flags2, 0);
	assert_int_equal(out.max_write, 1u << 20);
	assert_int_equal(out.max_pages, (1u << 20) / 4096);
	assert_int_equal(out.max_readahead, 128 << 10);
	assert_int_equal(out.time_gran, 1);
	assert_int_equal(mock.init_calls, 1);
	assert_true(mock.conn.killpriv_v2);
	assert_false(mock.conn.writeback_cache);
	assert_false(mock.conn.posix_acl);
	assert_false(fuse_session_destroyed(s));
	fuse_session_free(s);
}

static void test_init_old_minor(void **state)
{
	struct fuse_session *s = fresh(NULL);
	struct fuse_init_out out;
	size_t len;

	(void)state;
	/* 7.31 knows no flags2, even if the bit is set. */
	assert_int_equal(t_init(s, 7, 31, FUSE_ASYNC_READ | FUSE_INIT_EXT,
				0xffffffffu, 1 << 20, &out, &len),
			 0);
	assert_int_equal(out.minor, 31);
	assert_int_equal(len, sizeof(out));
	assert_int_equal(out.flags, FUSE_ASYNC_READ | FUSE_INIT_EXT);
	assert_int_equal(out.flags2, 0);
	fuse_session_free(s);

	/* Before 7.23 the reply is the 24-byte compat struct. */
	s = fresh(NULL);
	assert_int_equal(t_init(s, 7, 22, FUSE_ASYNC_READ, 0, 1 << 20, &out,
				&len), 0);
	assert_int_equal(out.minor, 22);
	assert_int_equal(len, FUSE_COMPAT_22_INIT_OUT_SIZE);
	fuse_session_free(s);
}

static void test_init_minor_too_old(void **state)
{
	struct fuse_session *s = fresh(NULL);
	struct fuse_init_out out;

	(void)state;
	assert_int_equal(t_init(s, 7, 11, 0, 0, 0, &out, NULL), -EPROTO);
	assert_int_equal(mock.init_calls, 0);
	fuse_session_free(s);
}

static void test_init_newer_minor_capped(void **state)
{
	struct fuse_session *s = fresh(NULL);
	struct fuse_init_out out;

	(void)state;
	assert_int_equal(t_init(s, 7, 99, 0, 0, 0, &out, NULL), 0);
	assert_int_equal(out.minor, FUSE_KERNEL_MINOR_VERSION);
	fuse_session_free(s);
}

static void test_init_major_8_then_7(void **state)
{
	struct fuse_session *s = fresh(NULL);
	struct fuse_init_out out;
	struct fuse_out_header oh;
	struct tmsg *m = msg();

	(void)state;
	assert_int_equal(t_init(s, 8, 0, 0xffffffffu, 0, 0, &out, NULL), 0);
	assert_int_equal(out.major, 7);
	assert_int_equal(out.flags, 0);
	assert_int_equal(mock.init_calls, 0);
	/* Not initialised yet. */
	add_getattr(m, 1);
	t_call(s, m, &oh, NULL, 256);
	assert_int_equal(oh.error, -EIO);
	assert_int_equal(t_init(s, 7, 38, 0, 0, 0, &out, NULL), 0);
	assert_int_equal(mock.init_calls, 1);
	add_getattr(m, 1);
	t_call(s, m, &oh, NULL, 256);
	assert_int_equal(oh.error, 0);
	free(m);
	fuse_session_free(s);
}

static void test_init_major_6(void **state)
{
	struct fuse_session *s = fresh(NULL);
	struct fuse_init_out out;

	(void)state;
	assert_int_equal(t_init(s, 6, 38, 0, 0, 0, &out, NULL), -EPROTO);
	assert_int_equal(mock.init_calls, 0);
	fuse_session_free(s);
}

static void test_init_flags_intersect(void **state)
{
	struct fuse_session_opts o = *t_default_opts();
	struct fuse_session *s;
	struct fuse_init_out out;

	(void)state;
	o.writeback = true;
	o.posix_acl = false;
	o.readdirplus = false;
	s = fresh(&o);
	assert_int_equal(t_init(s, 7, 38,
				FUSE_ASYNC_READ | FUSE_WRITEBACK_CACHE |
					FUSE_POSIX_ACL | FUSE_DO_READDIRPLUS |
					FUSE_SPLICE_READ,
				0, 0, &out, NULL),
			 0);
	assert_int_equal(out.flags, FUSE_ASYNC_READ | FUSE_WRITEBACK_CACHE);
	assert_true(mock.conn.writeback_cache);
	assert_false(mock.conn.posix_acl);
	assert_false(mock.conn.killpriv_v2);
	fuse_session_free(s);

	o.writeback = false;
	o.posix_acl = true;
	s = fresh(&o);
	assert_int_equal(t_init(s, 7, 38,
				FUSE_WRITEBACK_CACHE | FUSE_POSIX_ACL, 0, 0,
				&out, NULL),
			 0);
	assert_int_equal(out.flags, FUSE_POSIX_ACL);
	assert_true(mock.conn.posix_acl);
	fuse_session_free(s);
}

static void test_init_limits(void **state)
{
	struct fuse_session_opts o = *t_default_opts();
	struct fuse_session *s;
	struct fuse_init_out out;

	(void)state;
	o.max_write = 128 << 10;
	o.max_readahead = 64 << 10;
	s = fresh(&o);
	assert_int_equal(t_init(s, 7, 38, FUSE_MAX_PAGES, 0, 128 << 10, &out,
				NULL), 0);
	assert_int_equal(out.max_write, 128 << 10);
	assert_int_equal(out.max_pages, 32);
	assert_int_equal(out.max_readahead, 64 << 10);
	fuse_session_free(s);

	/* No preference: the kernel's readahead; max_write defaults. */
	o.max_write = 0;
	o.max_readahead = 0;
	s = fresh(&o);
	assert_int_equal(t_init(s, 7, 38, 0, 0, 12345, &out, NULL), 0);
	assert_int_equal(out.max_readahead, 12345);
	assert_int_equal(out.max_write, 1u << 20);
	fuse_session_free(s);
}

static void test_init_short_body(void **state)
{
	struct fuse_session *s = fresh(NULL);
	struct fuse_out_header oh;
	struct tmsg *m = msg();
	uint32_t major = 7;

	(void)state;
	/* major without minor */
	tm_start(m, FUSE_INIT, 0);
	tm_add(m, &major, sizeof(major));
	t_call(s, m, &oh, NULL, 256);
	assert_int_equal(oh.error, -EINVAL);
	assert_int_equal(mock.init_calls, 0);
	free(m);
	fuse_session_free(s);
}

static void test_reinit_resets_fs(void **state)
{
	struct fuse_session *s = t_session(NULL);
	struct fuse_init_out out;

	(void)state;
	assert_int_equal(mock.destroy_calls, 0);
	/* A guest that rebooted: the old connection's state goes. */
	assert_int_equal(t_init(s, 7, 38, 0, 0, 0, &out, NULL), 0);
	assert_int_equal(mock.destroy_calls, 1);
	assert_int_equal(mock.init_calls, 2);
	fuse_session_free(s);
}

static void test_destroy(void **state)
{
	struct fuse_session *s = t_session(NULL);
	struct fuse_init_out out;
	struct fuse_out_header oh;
	struct tmsg *m = msg();

	(void)state;
	tm_start(m, FUSE_DESTROY, 0);
	assert_int_equal(t_call(s, m, &oh, NULL, 64), sizeof(oh));
	assert_int_equal(oh.error, 0);
	assert_int_equal(mock.destroy_calls, 1);
	assert_true(fuse_session_destroyed(s));
	add_getattr(m, 1);
	t_call(s, m, &oh, NULL, 256);
	assert_int_equal(oh.error, -EIO);
	/* A later mount starts over. */
	assert_int_equal(t_init(s, 7, 38, 0, 0, 0, &out, NULL), 0);
	assert_false(fuse_session_destroyed(s));
	assert_int_equal(mock.destroy_calls, 1);
	free(m);
	fuse_session_free(s);
}

/* ---- gate and header checks ---- */

static void test_before_init(void **state)
{
	struct fuse_session *s = fresh(NULL);
	struct fuse_out_header oh;
	struct tmsg *m = msg();
	struct fuse_forget_in f = { .nlookup = 1 };

	(void)state;
	add_getattr(m, 1);
	assert_int_equal(t_call(s, m, &oh, NULL, 256), sizeof(oh));
	assert_int_equal(oh.error, -EIO);
	tm_start(m, FUSE_DESTROY, 0);
	t_call(s, m, &oh, NULL, 256);
	assert_int_equal(oh.error, -EIO);
	assert_int_equal(mock.destroy_calls, 0);
	/* No reply for FORGET, even now. */
	tm_start(m, FUSE_FORGET, 5);
	tm_add(m, &f, sizeof(f));
	assert_int_equal(t_call(s, m, &oh, NULL, 256), 0);
	assert_int_equal(mock.calls, 0);
	assert_int_equal(mock.nforget, 0);
	free(m);
	fuse_session_free(s);
}

static void test_unknown_opcode(void **state)
{
	struct fuse_session *s = t_session(NULL);
	static const uint32_t ops[] = { 0, FUSE_BMAP, FUSE_POLL,
					FUSE_SETUPMAPPING, FUSE_REMOVEMAPPING,
					4096, 0xffffffffu, CUSE_INIT };
	struct fuse_out_header oh;
	struct tmsg *m = msg();

	(void)state;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		tm_start(m, ops[i], 1);
		tm_add(m, "0123456789abcdef0123456789abcdef", 32);
		assert_int_equal(t_call(s, m, &oh, NULL, 256), sizeof(oh));
		assert_int_equal(oh.error, -ENOSYS);
	}
	assert_int_equal(mock.calls, 0);
	free(m);
	fuse_session_free(s);
}

static void test_len_larger_than_buffers(void **state)
{
	struct fuse_session *s = t_session(NULL);
	struct fuse_out_header oh;
	struct tmsg *m = msg();
	uint8_t out[64];

	(void)state;
	add_getattr(m, 1);
	tm_finish(m);
	tm_hdr(m)->len = (uint32_t)m->len + 1;
	assert_int_equal(t_run(s, m->buf, m->len, out, sizeof(out)),
			 sizeof(oh));
	memcpy(&oh, out, sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	assert_int_equal(oh.unique, tm_hdr(m)->unique);

	tm_hdr(m)->len = 0xffffffffu;
	t_run(s, m->buf, m->len, out, sizeof(out));
	memcpy(&oh, out, sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);

	/* Shorter than its own header. */
	tm_hdr(m)->len = sizeof(struct fuse_in_header) - 1;
	t_run(s, m->buf, m->len, out, sizeof(out));
	memcpy(&oh, out, sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	assert_int_equal(mock.calls, 0);
	free(m);
	fuse_session_free(s);
}

static void test_no_room_for_in_header(void **state)
{
	struct fuse_session *s = t_session(NULL);
	struct fuse_out_header oh;
	struct tmsg *m = msg();
	uint8_t out[64];
	size_t n;

	(void)state;
	add_getattr(m, 1);
	tm_finish(m);
	n = t_run(s, m->buf, sizeof(struct fuse_in_header) - 1, out,
		  sizeof(out));
	assert_int_equal(n, sizeof(oh));
	memcpy(&oh, out, sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	assert_int_equal(oh.unique, 0);
	assert_int_equal(t_run(s, m->buf, 0, out, sizeof(out)), sizeof(oh));
	assert_int_equal(mock.calls, 0);
	free(m);
	fuse_session_free(s);
}

static void test_truncated_body(void **state)
{
	struct fuse_session *s = t_session(NULL);
	struct fuse_out_header oh;
	struct tmsg *m = msg();
	struct fuse_getattr_in in = { 0 };

	(void)state;
	tm_start(m, FUSE_GETATTR, 1);
	tm_add(m, &in, sizeof(in) - 1);
	t_call(s, m, &oh, NULL, 256);
	assert_int_equal(oh.error, -EINVAL);
	/* Body bytes beyond len do not count. */
	tm_start(m, FUSE_GETATTR, 1);
	tm_add(m, &in, sizeof(in));
	tm_finish(m);
	tm_hdr(m)->len -= 1;
	{
		uint8_t out[256];

		t_run(s, m->buf, m->len, out, sizeof(out));
		memcpy(&oh, out, sizeof(oh));
	}
	assert_int_equal(oh.error, -EINVAL);
	assert_int_equal(mock.calls, 0);
	free(m);
	fuse_session_free(s);
}

static void test_header_split_across_iovecs(void **state)
{
	struct fuse_session *s = t_session(NULL);
	static const size_t in_parts[] = { 1, 0, 7, 20, 0, 12, 16 };
	static const size_t out_parts[] = { 3, 0, 5, 8, 200 };
	struct fuse_out_header oh;
	struct fuse_attr_out ao;
	struct tmsg *m = msg();
	uint8_t out[216];
	size_t n;

	(void)state;
	add_getattr(m, 42);
	tm_finish(m);
	assert_int_equal(m->len, 56);
	n = t_run_split(s, m->buf, in_parts, 7, out, out_parts, 5);
	assert_int_equal(n, sizeof(oh) + sizeof(ao));
	memcpy(&oh, out, sizeof(oh));
	memcpy(&ao, out + sizeof(oh), sizeof(ao));
	assert_int_equal(oh.error, 0);
	assert_int_equal(oh.len, n);
	assert_int_equal(oh.unique, tm_hdr(m)->unique);
	assert_int_equal(mock.nodeid, 42);
	assert_int_equal(ao.attr.size, 4242);
	free(m);
	fuse_session_free(s);
}

static void test_forget(void **state)
{
	struct fuse_session *s = t_session(NULL);
	struct fuse_forget_in f = { .nlookup = 3 };
	struct fuse_out_header oh;
	struct tmsg *m = msg();

	(void)state;
	tm_start(m, FUSE_FORGET, 77);
	tm_add(m, &f, sizeof(f));
	assert_int_equal(t_call(s, m, &oh, NULL, 256), 0);
	assert_int_equal(mock.nforget, 1);
	assert_int_equal(mock.forget[0][0], 77);
	assert_int_equal(mock.forget[0][1], 3);
	/* Truncated FORGET: dropped, still no reply. */
	tm_start(m, FUSE_FORGET, 77);
	tm_add(m, &f, 4);
	assert_int_equal(t_call(s, m, &oh, NULL, 256), 0);
	assert_int_equal(mock.nforget, 1);
	/* INTERRUPT: no reply either. */
	tm_start(m, FUSE_INTERRUPT, 0);
	tm_add(m, &f, sizeof(f));
	assert_int_equal(t_call(s, m, &oh, NULL, 256), 0);
	free(m);
	fuse_session_free(s);
}

static void test_batch_forget_lying_count(void **state)
{
	struct fuse_session *s = t_session(NULL);
	struct fuse_batch_forget_in b = { .count = 1000 };
	struct fuse_forget_one one;
	struct fuse_out_header oh;
	struct tmsg *m = msg();

	(void)state;
	tm_start(m, FUSE_BATCH_FORGET, 0);
	tm_add(m, &b, sizeof(b));
	for (uint64_t i = 0; i < 3; i++) {
		one.nodeid = 10 + i;
		one.nlookup = i + 1;
		tm_add(m, &one, sizeof(one));
	}
	/* Half an entry more: not a whole one, not used. */
	tm_add(m, &one, sizeof(one) / 2);
	assert_int_equal(t_call(s, m, &oh, NULL, 256), 0);
	assert_int_equal(mock.nforget, 3);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(mock.forget[i][0], 10 + i);
		assert_int_equal(mock.forget[i][1], i + 1);
	}
	/* A count smaller than what is present is honoured. */
	mock.nforget = 0;
	b.count = 1;
	tm_start(m, FUSE_BATCH_FORGET, 0);
	tm_add(m, &b, sizeof(b));
	tm_add(m, &one, sizeof(one));
	tm_add(m, &one, sizeof(one));
	assert_int_equal(t_call(s, m, &oh, NULL, 256), 0);
	assert_int_equal(mock.nforget, 1);
	free(m);
	fuse_session_free(s);
}

static void test_out_too_small_for_header(void **state)
{
	struct fuse_session *s = t_session(NULL);
	struct fuse_out_header oh;
	struct tmsg *m = msg();

	(void)state;
	add_getattr(m, 1);
	assert_int_equal(t_call(s, m, &oh, NULL, sizeof(oh) - 1), 0);
	assert_int_equal(t_call(s, m, &oh, NULL, 0), 0);
	/* The lookup reference the kernel never hears of goes back. */
	tm_start(m, FUSE_LOOKUP, 1);
	tm_add_str(m, "name");
	assert_int_equal(t_call(s, m, &oh, NULL, 8), 0);
	assert_int_equal(mock.nforget, 1);
	assert_int_equal(mock.forget[0][0], mock.next_nodeid - 1);
	assert_int_equal(mock.forget[0][1], 1);
	free(m);
	fuse_session_free(s);
}

static void test_out_too_small_for_body(void **state)
{
	struct fuse_session *s = t_session(NULL);
	struct fuse_out_header oh;
	struct tmsg *m = msg();

	(void)state;
	tm_start(m, FUSE_LOOKUP, 1);
	tm_add_str(m, "name");
	assert_int_equal(t_call(s, m, &oh, NULL, sizeof(oh) + 10),
			 sizeof(oh));
	assert_int_equal(oh.error, -E2BIG);
	assert_int_equal(mock.nforget, 1);
	free(m);
	fuse_session_free(s);
}

static void test_error_and_ctx(void **state)
{
	struct fuse_session *s = t_session(NULL);
	struct fuse_out_header oh;
	struct tmsg *m = msg();

	(void)state;
	mock.ret = -ENOENT;
	tm_start(m, FUSE_LOOKUP, 9);
	tm_add_str(m, "missing");
	assert_int_equal(t_call(s, m, &oh, NULL, 256), sizeof(oh));
	assert_int_equal(oh.error, -ENOENT);
	assert_int_equal(mock.ctx.uid, 1001);
	assert_int_equal(mock.ctx.gid, 1002);
	assert_int_equal(mock.ctx.pid, 1003);
	assert_int_equal(mock.parent, 9);
	assert_string_equal(mock.name, "missing");
	/* A bogus error from a filesystem (a positive errno: a sign slip, or one out of range) is not passed on as is. */
	mock.ret = 5;
	t_call(s, m, &oh, NULL, 256);
	assert_int_equal(oh.error, -EIO);
	mock.ret = -100000;
	t_call(s, m, &oh, NULL, 256);
	assert_int_equal(oh.error, -EIO);
	free(m);
	fuse_session_free(s);
}

static void test_missing_vfs_op(void **state)
{
	struct vfs_ops ops = mock_ops;
	struct fuse_session *s;
	struct fuse_init_out out;
	struct fuse_out_header oh;
	struct tmsg *m = msg();

	(void)state;
	ops.fallocate = NULL;
	mock_reset();
	assert_int_equal(fuse_session_new(&s, &ops, &mock, t_default_opts()), 0);
	assert_int_equal(t_init(s, 7, 38, 0, 0, 0, &out, NULL), 0);
	{
		struct fuse_fallocate_in in = { 0 };

		tm_start(m, FUSE_FALLOCATE, 1);
		tm_add(m, &in, sizeof(in));
	}
	t_call(s, m, &oh, NULL, 256);
	assert_int_equal(oh.error, -ENOSYS);
	free(m);
	fuse_session_free(s);
}

/* Many threads at once, with re-INITs in between: no torn replies. */
struct stress_arg {
	struct fuse_session *s;
	int errors;
};

static void *stress_thread(void *p)
{
	struct stress_arg *a = p;
	struct tmsg *m = malloc(sizeof(*m));
	struct fuse_getattr_in in = { 0 };

	if (!m)
		return NULL;
	for (int i = 0; i < 2000; i++) {
		uint8_t out[256];
		struct fuse_out_header oh;
		size_t n;

		tm_start(m, FUSE_GETATTR, 1);
		tm_add(m, &in, sizeof(in));
		tm_finish(m);
		n = t_run(a->s, m->buf, m->len, out, sizeof(out));
		memcpy(&oh, out, sizeof(oh));
		if (n < sizeof(oh) || oh.len != n ||
		    (oh.error != 0 && oh.error != -EIO) ||
		    (oh.error == 0 && n != sizeof(oh) +
					       sizeof(struct fuse_attr_out)))
			a->errors++;
	}
	free(m);
	return NULL;
}

static void test_threads(void **state)
{
	struct fuse_session *s = t_session(NULL);
	struct stress_arg a[4];
	pthread_t t[4];
	struct fuse_init_out out;

	(void)state;
	for (int i = 0; i < 4; i++) {
		a[i].s = s;
		a[i].errors = 0;
		assert_int_equal(pthread_create(&t[i], NULL, stress_thread,
						&a[i]), 0);
	}
	for (int i = 0; i < 50; i++)
		t_init(s, 7, 38, 0, 0, 0, &out, NULL);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(a[i].errors, 0);
	}
	fuse_session_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_may_block),
		cmocka_unit_test(test_init_full),
		cmocka_unit_test(test_init_old_minor),
		cmocka_unit_test(test_init_minor_too_old),
		cmocka_unit_test(test_init_newer_minor_capped),
		cmocka_unit_test(test_init_major_8_then_7),
		cmocka_unit_test(test_init_major_6),
		cmocka_unit_test(test_init_flags_intersect),
		cmocka_unit_test(test_init_limits),
		cmocka_unit_test(test_init_short_body),
		cmocka_unit_test(test_reinit_resets_fs),
		cmocka_unit_test(test_destroy),
		cmocka_unit_test(test_before_init),
		cmocka_unit_test(test_unknown_opcode),
		cmocka_unit_test(test_len_larger_than_buffers),
		cmocka_unit_test(test_no_room_for_in_header),
		cmocka_unit_test(test_truncated_body),
		cmocka_unit_test(test_header_split_across_iovecs),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_batch_forget_lying_count),
		cmocka_unit_test(test_out_too_small_for_header),
		cmocka_unit_test(test_out_too_small_for_body),
		cmocka_unit_test(test_error_and_ctx),
		cmocka_unit_test(test_missing_vfs_op),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
