/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The catalogue: FUSE-level nonsense on a sound ring, broken descriptor
 * chains and rings, and lying vhost-user messages. Each case returns what
 * the back end answered; the harness judges it against the case's accepted
 * outcomes. A case returns AR_BAD itself when the answer proves a security
 * failure (a path escaped the share, a device node was opened).
 */
#include "attack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define HDR sizeof(struct fuse_in_header)
#define OUTH sizeof(struct fuse_out_header)

static uint64_t lookup(struct attack_ctx *a, uint64_t parent, const char *name,
		       struct fuse_entry_out *e)
{
	struct fuse_entry_out tmp;

	if (!e)
		e = &tmp;
	return fm_do_lookup(&a->cs->q[1], parent, name, e) ? 0 : e->nodeid;
}

static uint64_t open_node(struct attack_ctx *a, uint32_t op, uint64_t nid,
			  uint32_t flags)
{
	uint64_t fh = 0;

	if (fm_do_open(&a->cs->q[1], op, nid, flags, &fh))
		attack_note(a, "set-up OPEN failed");
	return fh;
}

/* --- FUSE-level cases --------------------------------------------------- */

static enum attack_result opcode(struct attack_ctx *a, uint32_t op)
{
	struct fm_slot *s = attack_slot(a);

	fm_begin(s, op, FUSE_ROOT_ID);
	fm_arg(s, &(uint64_t){ 0 }, 8);
	fm_end(s, OUTH + 256);
	return attack_send(a, s);
}

static enum attack_result unknown_opcode(struct attack_ctx *a)
{
	return opcode(a, 9999);
}

static enum attack_result opcode_zero(struct attack_ctx *a)
{
	return opcode(a, 0);
}

static enum attack_result cuse_init(struct attack_ctx *a)
{
	return opcode(a, CUSE_INIT);
}

static enum attack_result getattr_of(struct attack_ctx *a, uint64_t nid)
{
	struct fm_slot *s = attack_slot(a);

	fm_fill_getattr(s, nid);
	return attack_send(a, s);
}

static enum attack_result nodeid_never_looked_up(struct attack_ctx *a)
{
	return getattr_of(a, 0x7fff12345678ull);
}

static enum attack_result nodeid_zero(struct attack_ctx *a)
{
	return getattr_of(a, 0);
}

static enum attack_result nodeid_all_ones(struct attack_ctx *a)
{
	return getattr_of(a, ~0ull);
}

static enum attack_result nodeid_forgotten(struct attack_ctx *a)
{
	uint64_t nid = lookup(a, FUSE_ROOT_ID, "file", NULL);

	if (!nid || fm_do_forget(&a->cs->q[1], nid, 1))
		return AR_BAD;
	return getattr_of(a, nid);
}

static enum attack_result forget(struct attack_ctx *a, uint64_t nid,
				 uint64_t n)
{
	struct fm_slot *s = attack_slot(a);

	fm_fill_forget(s, nid, n);
	return attack_send(a, s);
}

static enum attack_result forget_root(struct attack_ctx *a)
{
	return forget(a, FUSE_ROOT_ID, 1ull << 40);
}

static enum attack_result forget_more_than_looked_up(struct attack_ctx *a)
{
	struct fuse_attr_out at;
	uint64_t nid = lookup(a, FUSE_ROOT_ID, "file", NULL);
	enum attack_result r;

	if (!nid)
		return AR_BAD;
	r = forget(a, nid, 1000);
	if (!vc_alive(&a->cs->dev))
		return r;
	nid = lookup(a, FUSE_ROOT_ID, "file", NULL);
	if (!nid || fm_do_getattr(&a->cs->q[1], nid, &at)) {
		attack_note(a, "'file' unreachable after an over-forget");
		return AR_BAD;
	}
	return r;
}

static enum attack_result forget_storm(struct attack_ctx *a)
{
	struct fm_queue *q = &a->cs->q[1];
	uint64_t x = 88172645463325252ull, nids[1000];
	unsigned int depth = q->nslots - 1;

	/* 20000 FORGETs of made-up nodeids, depth-1 at a time. */
	for (int round = 0; round < 20000 / (int)depth; round++) {
		for (unsigned int i = 0; i < depth; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			fm_fill_forget(&q->slots[i], x, x >> 20);
			fm_submit(&q->slots[i]);
		}
		for (unsigned int i = 0; i < depth; i++)
			if (attack_wait(a, &q->slots[i]) == AR_NONE)
				return AR_NONE;
	}
	for (unsigned int i = 0; i < 1000; i++)
		nids[i] = i * 7919u + 2;
	fm_fill_batch_forget(attack_slot(a), nids, 1000);
	return attack_send(a, attack_slot(a));
}

static enum attack_result batch_forget_count_lies(struct attack_ctx *a)
{
	struct fm_slot *s = attack_slot(a);
	uint64_t nids[2] = { FUSE_ROOT_ID, 12345 };

	fm_fill_batch_forget(s, nids, 2);
	((struct fuse_batch_forget_in *)(s->in + HDR))->count = 0xffffffffu;
	return attack_send(a, s);
}

static enum attack_result lookup_raw(struct attack_ctx *a, uint64_t parent,
				     const void *name, size_t len)
{
	struct fm_slot *s = attack_slot(a);
	struct fuse_entry_out e;
	enum attack_result r;

	fm_begin(s, FUSE_LOOKUP, parent);
	fm_arg(s, name, len);
	fm_end(s, OUTH + sizeof(e));
	r = attack_send(a, s);
	if (r == AR_OK) {
		memcpy(&e, s->out + OUTH, sizeof(e));
		a->note[0] = '\0';
		/* Keep the reference count honest for the leak check. */
		if (e.nodeid)
			fm_do_forget(&a->cs->q[1], e.nodeid, 1);
	}
	return r;
}

static enum attack_result name_with_slash(struct attack_ctx *a)
{
	enum attack_result r = lookup_raw(a, FUSE_ROOT_ID, "sub/file", 9);

	if (r == AR_OK) {
		attack_note(a, "LOOKUP \"sub/file\" resolved a path");
		return AR_BAD;
	}
	return r;
}

static enum attack_result name_without_nul(struct attack_ctx *a)
{
	struct fm_slot *s = attack_slot(a);
	enum attack_result r;

	fm_begin(s, FUSE_LOOKUP, FUSE_ROOT_ID);
	fm_arg(s, "sub", 3);
	fm_end(s, OUTH + sizeof(struct fuse_entry_out));
	/* Past the request and its descriptor: what a sloppy reader finds. */
	memcpy(s->in + s->in_len, "/file", 6);
	r = attack_send(a, s);
	if (r == AR_OK)
		attack_note(a, "accepted a name without its NUL");
	return r;
}

static enum attack_result name_empty(struct attack_ctx *a)
{
	return lookup_raw(a, FUSE_ROOT_ID, "", 1);
}

static enum attack_result name_too_long(struct attack_ctx *a)
{
	static char name[5001];

	memset(name, 'a', 5000);
	return lookup_raw(a, FUSE_ROOT_ID, name, sizeof(name));
}

static enum attack_result name_dot_in_middle(struct attack_ctx *a)
{
	return lookup_raw(a, FUSE_ROOT_ID, "sub/../..", 10);
}

/* ".." may answer, but only with something inside the share. */
static enum attack_result dotdot(struct attack_ctx *a, uint64_t from)
{
	struct fm_slot *s = attack_slot(a);
	struct fuse_entry_out e;
	enum attack_result r;

	fm_fill_lookup(s, from, "..");
	r = attack_send(a, s);
	if (r != AR_OK)
		return r;
	memcpy(&e, s->out + OUTH, sizeof(e));
	if (e.nodeid)
		fm_do_forget(&a->cs->q[1], e.nodeid, 1);
	if (e.attr.ino != a->root_ino) {
		attack_note(a, "\"..\" gave inode %llu, the share's root is %llu",
			    (unsigned long long)e.attr.ino,
			    (unsigned long long)a->root_ino);
		return AR_BAD;
	}
	return r;
}

static enum attack_result dotdot_at_root(struct attack_ctx *a)
{
	return dotdot(a, FUSE_ROOT_ID);
}

static enum attack_result dotdot_from_subdir(struct attack_ctx *a)
{
	uint64_t sub = lookup(a, FUSE_ROOT_ID, "sub", NULL);

	return sub ? dotdot(a, sub) : AR_BAD;
}

static enum attack_result symlink_dir_traversal(struct attack_ctx *a)
{
	uint64_t nid = lookup(a, FUSE_ROOT_ID, "escdir", NULL);
	enum attack_result r;

	if (!nid)
		return AR_BAD;
	r = lookup_raw(a, nid, "secret", 7);
	if (r == AR_OK) {
		attack_note(a, "LOOKUP through a symlink left the share");
		return AR_BAD;
	}
	return r;
}

static enum attack_result read_first(struct attack_ctx *a, uint64_t nid,
				     uint64_t fh, char *buf, size_t len)
{
	struct fm_slot *s = attack_slot(a);
	enum attack_result r;

	fm_fill_read(s, FUSE_READ, nid, fh, 0, (uint32_t)len);
	r = attack_send(a, s);
	if (r == AR_OK)
		memcpy(buf, s->out + OUTH, len);
	return r;
}

static enum attack_result open_symlink(struct attack_ctx *a)
{
	uint64_t nid = lookup(a, FUSE_ROOT_ID, "esc", NULL);
	struct fm_slot *s = attack_slot(a);
	enum attack_result r;
	char buf[16] = "";

	if (!nid)
		return AR_BAD;
	fm_fill_open(s, FUSE_OPEN, nid, 0);
	r = attack_send(a, s);
	if (r != AR_OK)
		return r;
	read_first(a, nid, ((struct fuse_open_out *)(s->out + OUTH))->fh, buf,
		   14);
	if (!memcmp(buf, "SECRET-OUTSIDE", 14)) {
		attack_note(a, "OPEN of a symlink read a file outside the share");
		return AR_BAD;
	}
	attack_note(a, "OPEN of a symlink succeeded");
	return AR_OK;
}

static enum attack_result open_device_node(struct attack_ctx *a)
{
	uint64_t nid = lookup(a, FUSE_ROOT_ID, "nulldev", NULL);
	struct fm_slot *s = attack_slot(a);
	enum attack_result r;

	if (!nid)
		return AR_BAD;
	fm_fill_open(s, FUSE_OPEN, nid, 02 /* O_RDWR */);
	r = attack_send(a, s);
	if (r == AR_OK) {
		attack_note(a, "opened a host device node");
		return AR_BAD;
	}
	return r;
}

static enum attack_result read_bad_fh(struct attack_ctx *a)
{
	uint64_t nid = lookup(a, FUSE_ROOT_ID, "file", NULL);
	struct fm_slot *s = attack_slot(a);

	fm_fill_read(s, FUSE_READ, nid, 0xdeadbeefull, 0, 4096);
	return attack_send(a, s);
}

static enum attack_result read_past_max(struct attack_ctx *a)
{
	uint64_t nid = lookup(a, FUSE_ROOT_ID, "file", NULL);
	uint64_t fh = open_node(a, FUSE_OPEN, nid, 0);
	struct fm_slot *s = attack_slot(a);
	struct fuse_read_in in = { .fh = fh, .size = 64u << 20 };

	fm_begin(s, FUSE_READ, nid);
	fm_arg(s, &in, sizeof(in));
	fm_end(s, OUTH + 4096);
	return attack_send(a, s);
}

static enum attack_result write_size_lies(struct attack_ctx *a)
{
	uint64_t nid = lookup(a, FUSE_ROOT_ID, "file", NULL);
	uint64_t fh = open_node(a, FUSE_OPEN, nid, 02);
	struct fm_slot *s = attack_slot(a);
	enum attack_result r;
	uint32_t done;

	memset(fm_fill_write(s, nid, fh, 0, 4096), 'w', 4096);
	((struct fuse_write_in *)(s->in + HDR))->size = 1u << 20;
	r = attack_send(a, s);
	if (r != AR_OK)
		return r;
	memcpy(&done, s->out + OUTH, sizeof(done));
	if (done > 4096) {
		attack_note(a, "wrote %u bytes from a 4096-byte buffer", done);
		return AR_BAD;
	}
	return r;
}

static enum attack_result write_past_max_write(struct attack_ctx *a)
{
	uint64_t nid = lookup(a, FUSE_ROOT_ID, "file", NULL);
	uint64_t fh = open_node(a, FUSE_OPEN, nid, 02);
	struct fm_slot *s = attack_slot(a);
	uint32_t size = a->cs->init.max_write + 65536;

	if (size > s->in_cap - 4096)
		size = (uint32_t)(s->in_cap - 4096);
	memset(fm_fill_write(s, nid, fh, 0, size), 'W', size);
	return attack_send(a, s);
}

static void forget_entries(struct attack_ctx *a, const uint8_t *p, size_t len)
{
	size_t pos = 0;

	while (len - pos >= FUSE_NAME_OFFSET_DIRENTPLUS) {
		struct fuse_direntplus d;

		memcpy(&d, p + pos, sizeof(d));
		if (FUSE_DIRENTPLUS_SIZE(&d) > len - pos)
			return;
		if (d.entry_out.nodeid)
			fm_do_forget(&a->cs->q[1], d.entry_out.nodeid, 1);
		pos += FUSE_DIRENTPLUS_SIZE(&d);
	}
}

static enum attack_result readdir_at(struct attack_ctx *a, uint32_t op,
				     bool good_fh, uint64_t off, uint32_t size)
{
	uint64_t fh = good_fh ? open_node(a, FUSE_OPENDIR, FUSE_ROOT_ID, 0) :
				0xdeadbeefull;
	struct fm_slot *s = attack_slot(a);
	struct fuse_read_in in = { .fh = fh, .offset = off, .size = size };
	enum attack_result r;

	fm_begin(s, op, FUSE_ROOT_ID);
	fm_arg(s, &in, sizeof(in));
	fm_end(s, OUTH + 4096);
	r = attack_send(a, s);
	/* Give back what a guest would: the entries' references, the handle. */
	if (r == AR_OK && op == FUSE_READDIRPLUS)
		forget_entries(a, s->out + OUTH, s->used_len - OUTH);
	if (good_fh)
		fm_do_release(&a->cs->q[1], FUSE_RELEASEDIR, FUSE_ROOT_ID, fh);
	return r;
}

static enum attack_result readdir_garbage_offset(struct attack_ctx *a)
{
	return readdir_at(a, FUSE_READDIR, true, 0xdeadbeefdeadbeefull, 4096);
}

static enum attack_result readdirplus_garbage_offset(struct attack_ctx *a)
{
	return readdir_at(a, FUSE_READDIRPLUS, true, ~0ull - 5, 4096);
}

static enum attack_result readdir_bad_fh(struct attack_ctx *a)
{
	return readdir_at(a, FUSE_READDIR, false, 0, 4096);
}

static enum attack_result readdir_huge_size(struct attack_ctx *a)
{
	return readdir_at(a, FUSE_READDIR, true, 0, 0xffffffffu);
}

static enum attack_result release_unknown_fh(struct attack_ctx *a)
{
	struct fm_slot *s = attack_slot(a);

	fm_fill_release(s, FUSE_RELEASE, FUSE_ROOT_ID, 0x12345678ull);
	return attack_send(a, s);
}

static enum attack_result interrupt_unknown(struct attack_ctx *a)
{
	struct fm_slot *s = attack_slot(a);
	struct fuse_interrupt_in in = { .unique = 0xdead0001ull };

	fm_begin(s, FUSE_INTERRUPT, 0);
	fm_arg(s, &in, sizeof(in));
	fm_end(s, OUTH);
	return attack_send(a, s);
}

static enum attack_result init_truncated(struct attack_ctx *a)
{
	struct fm_slot *s = attack_slot(a);

	fm_fill_init(s, 7, FUSE_KERNEL_MINOR_VERSION, 0, 4);
	return attack_send(a, s);
}

#define FUSE_CASE(n, f) { n, f, FUSE_BAD, { 0 } }

const struct attack_case attack_fuse_cases[] = {
	FUSE_CASE("unknown_opcode", unknown_opcode),
	FUSE_CASE("opcode_zero", opcode_zero),
	FUSE_CASE("cuse_init_opcode", cuse_init),
	FUSE_CASE("nodeid_never_looked_up", nodeid_never_looked_up),
	FUSE_CASE("nodeid_zero", nodeid_zero),
	FUSE_CASE("nodeid_all_ones", nodeid_all_ones),
	FUSE_CASE("nodeid_forgotten", nodeid_forgotten),
	{ "forget_root", forget_root, A_DROP | A_NONE | A_ALIVE, { 0 } },
	{ "forget_more_than_looked_up", forget_more_than_looked_up,
	  A_DROP | A_NONE | A_ALIVE, { 0 } },
	{ "forget_storm", forget_storm, A_DROP | A_NONE | A_ALIVE, { 0 } },
	{ "batch_forget_count_lies", batch_forget_count_lies,
	  A_ERR | A_DROP | A_NONE | A_ALIVE, { 0 } },
	FUSE_CASE("name_with_slash", name_with_slash),
	FUSE_CASE("name_without_nul", name_without_nul),
	FUSE_CASE("name_empty", name_empty),
	FUSE_CASE("name_too_long", name_too_long),
	FUSE_CASE("name_path_with_dotdot", name_dot_in_middle),
	{ "dotdot_at_root", dotdot_at_root, A_OK | A_ERR | A_ALIVE, { 0 } },
	{ "dotdot_from_subdir", dotdot_from_subdir, A_OK | A_ERR | A_ALIVE, { 0 } },
	FUSE_CASE("symlink_dir_traversal", symlink_dir_traversal),
	FUSE_CASE("open_symlink", open_symlink),
	FUSE_CASE("open_device_node", open_device_node),
	FUSE_CASE("read_bad_fh", read_bad_fh),
	{ "read_past_max_read", read_past_max, A_OK | A_ERR | A_ALIVE, { 0 } },
	{ "write_size_lies", write_size_lies, A_OK | A_ERR | A_ALIVE, { 0 } },
	{ "write_past_max_write", write_past_max_write, A_OK | A_ERR | A_ALIVE,
	  { .in_cap = 2u << 20 } },
	{ "readdir_garbage_offset", readdir_garbage_offset,
	  A_OK | A_ERR | A_ALIVE, { 0 } },
	{ "readdirplus_garbage_offset", readdirplus_garbage_offset,
	  A_OK | A_ERR | A_ALIVE, { 0 } },
	FUSE_CASE("readdir_bad_fh", readdir_bad_fh),
	{ "readdir_huge_size", readdir_huge_size, A_OK | A_ERR | A_ALIVE, { 0 } },
	{ "release_unknown_fh", release_unknown_fh,
	  A_OK | A_ERR | A_DROP | A_ALIVE, { 0 } },
	{ "interrupt_unknown_unique", interrupt_unknown,
	  A_OK | A_ERR | A_DROP | A_NONE | A_ALIVE, { 0 } },
	FUSE_CASE("init_truncated", init_truncated),
	{ NULL },
};
