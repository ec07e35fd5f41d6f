/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deterministic random requests through fuse_session_process(): random
 * opcodes, lengths, bodies, names, and random splits of both the request
 * and the reply room into pieces (zero-length ones included), each piece
 * its own exactly-sized allocation so ASan sees any stray access. Checks
 * the reply framing invariants on every request.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fuse/dispatch.h"
#include "harness.h"

#define ITERATIONS 30000
#define MAX_PIECES 12

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

static unsigned int split(size_t total, size_t *parts)
{
	unsigned int cnt = 1 + rnd(MAX_PIECES);
	size_t left = total;

	for (unsigned int i = 0; i + 1 < cnt; i++) {
		parts[i] = rnd(4) ? rnd((uint32_t)left + 1) : 0;
		left -= parts[i];
	}
	parts[cnt - 1] = left;
	return cnt;
}

static void random_body(struct tmsg *m, uint32_t opcode)
{
	const struct fuse_op_desc *op = dispatch_lookup(opcode);
	unsigned int n = rnd(600);

	switch (rnd(3)) {
	case 0:
	case 1: /* the op's struct of mostly small values, then names */
		for (size_t i = 0; op && i < op->min_in; i++) {
			uint8_t b = (uint8_t)(rnd(4) ? rnd(3) : rnd(256));

			tm_add(m, &b, 1);
		}
		for (unsigned int i = 0; !op && i < n % 64; i++) {
			uint8_t b = (uint8_t)rnd(256);

			tm_add(m, &b, 1);
		}
		tm_add_str(m, rnd(2) ? "name" : "a/b");
		if (rnd(2))
			tm_add_str(m, "other");
		break;
	case 2: /* all zero */
		for (unsigned int i = 0; i < n; i++)
			tm_add(m, "", 1);
		break;
	}
	/* Noise after it, now and then. */
	if (rnd(4))
		return;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t b = (uint8_t)rnd(256);

		tm_add(m, &b, 1);
	}
}

static uint32_t random_opcode(void)
{
	switch (rnd(8)) {
	case 0:
		return rnd(0xffffffffu);
	case 1:
		return FUSE_INIT;
	default:
		return rnd(52);
	}
}

static void fix_len(struct tmsg *m)
{
	tm_finish(m);
	switch (rnd(8)) {
	case 0:
		tm_hdr(m)->len = rnd(0xffffffffu);
		break;
	case 1:
		tm_hdr(m)->len = (uint32_t)m->len + 1 + rnd(100);
		break;
	case 2:
		tm_hdr(m)->len = rnd((uint32_t)m->len + 1);
		break;
	default:
		break;
	}
}

static void check_reply(const struct tmsg *m, size_t inlen,
			const uint8_t *out, size_t outlen, size_t n)
{
	const struct fuse_in_header *h = (const void *)m->buf;
	struct fuse_out_header oh;
	bool header_ok = inlen >= sizeof(*h) && h->len >= sizeof(*h) &&
			 h->len <= inlen;
	bool noreply = h->opcode == FUSE_FORGET ||
		       h->opcode == FUSE_BATCH_FORGET ||
		       h->opcode == FUSE_INTERRUPT;

	assert_true(n <= outlen);
	if (inlen >= sizeof(*h) && noreply) {
		assert_int_equal(n, 0);
		return;
	}
	if (outlen < sizeof(oh)) {
		assert_int_equal(n, 0);
		return;
	}
	assert_true(n >= sizeof(oh));
	memcpy(&oh, out, sizeof(oh));
	assert_int_equal(oh.len, n);
	assert_true(oh.error <= 0 && oh.error > -512);
	if (oh.error)
		assert_int_equal(n, sizeof(oh));
	if (inlen >= sizeof(*h))
		assert_int_equal(oh.unique, h->unique);
	else
		assert_int_equal(oh.unique, 0);
	if (!header_ok)
		assert_int_equal(oh.error, -EINVAL);
}

static void test_random_requests(void **state)
{
	static char data[4096];
	struct fuse_session *s = t_session(NULL);
	struct tmsg *m = malloc(sizeof(*m));
	uint8_t *out = malloc(2048);
	struct fuse_init_out io;

	(void)state;
	assert_non_null(m);
	assert_non_null(out);
	memset(data, 'd', sizeof(data));
	for (int it = 0; it < ITERATIONS; it++) {
		size_t in_parts[MAX_PIECES], out_parts[MAX_PIECES];
		unsigned int in_cnt, out_cnt;
		uint32_t opcode;
		size_t inlen, outlen, n;

		mock.ret = rnd(3) ? 0 : -(int)(1 + rnd(40));
		mock.dir_entries = rnd(50);
		mock.dir_ret = rnd(4) ? 0 : -EIO;
		mock.data = data;
		mock.data_len = rnd(sizeof(data) + 1);

		opcode = random_opcode();
		tm_start(m, opcode, rnd(5));
		random_body(m, opcode);
		fix_len(m);
		inlen = rnd(8) ? m->len : rnd((uint32_t)m->len + 1);
		outlen = rnd(4) ? rnd(2048) : rnd(40);
		in_cnt = split(inlen, in_parts);
		out_cnt = split(outlen, out_parts);
		n = t_run_split(s, m->buf, in_parts, in_cnt, out, out_parts,
				out_cnt);
		check_reply(m, inlen, out, outlen, n);

		/* Keep the session mostly usable: DESTROY ends it. */
		if (fuse_session_destroyed(s) || rnd(200) == 0)
			t_init(s, 7, 38, 0xffffffffu, 0, 1 << 16, &io, NULL);
	}
	/* The noise must reach the filesystem often enough to mean something. */
	print_message("# %u filesystem calls\n", mock.calls);
	assert_true(mock.calls > ITERATIONS / 10);
	free(out);
	free(m);
	fuse_session_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
