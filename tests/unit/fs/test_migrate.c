/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The migration state (fs/migrate.h, docs/MIGRATION.md): the stream's
 * frame and reader, the decoder against malformed states, a state built
 * by hand from the documented version 1 layout (what a vfsd of today
 * writes must load in every later one), and a save on one pt_fs loaded
 * into another on the same directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/migrate.h"
#include "pt_fixture.h"
#include "util/statefmt.h"

/* Little-endian fields of a hand-made stream, as docs/MIGRATION.md says. */
struct hand {
	uint8_t b[8192];
	size_t len;
};

static void h_put(struct hand *h, const void *p, size_t n)
{
	assert_true(n <= sizeof(h->b) - h->len);
	memcpy(h->b + h->len, p, n);
	h->len += n;
}

static void h_u16(struct hand *h, uint16_t v) { h_put(h, &v, 2); }
static void h_u32(struct hand *h, uint32_t v) { h_put(h, &v, 4); }
static void h_u64(struct hand *h, uint64_t v) { h_put(h, &v, 8); }

static size_t h_section(struct hand *h, uint32_t type)
{
	size_t at = h->len;

	h_u32(h, type);
	h_u32(h, 0);
	h_u64(h, 0);
	return at;
}

static void h_end_section(struct hand *h, size_t at)
{
	uint64_t n = h->len - at - 16;

	memcpy(h->b + at + 8, &n, 8);
}

static void h_header(struct hand *h)
{
	h->len = 0;
	h_put(h, "VFSDSTAT", 8);
	h_u32(h, 1);		/* version */
	h_u32(h, 40);		/* header size */
	h_u64(h, 0);		/* body size, below */
	h_u32(h, 0);		/* CRC-32C, below */
	h_u32(h, 0);
	h_u64(h, 0);
}

static void h_finish(struct hand *h)
{
	uint64_t body = h->len - 40;
	uint32_t crc = crc32c(0, h->b + 40, body);

	memcpy(h->b + 16, &body, 8);
	memcpy(h->b + 24, &crc, 4);
}

/* A node record of version 1, without an id. */
static void h_node(struct hand *h, uint64_t nodeid, uint64_t nlookup,
		   uint32_t parent, uint32_t mode, const char *name)
{
	uint16_t n = (uint16_t)strlen(name);

	h_u64(h, nodeid);
	h_u64(h, nlookup);
	h_u32(h, parent);
	h_u32(h, mode);
	h_u32(h, 0);		/* flags */
	h_u32(h, 0);		/* id type */
	h_u16(h, 0);		/* id length */
	h_u16(h, n);
	h_put(h, name, n);
}

/*
 * Version 1 as documented: FS (find-paths, next nodeid 20, next fh 10),
 * NODES (the root, directory d as nodeid 5 known twice, d/f as nodeid 9)
 * and HANDLES (fh 3, d/f open read-write; fh 4, d open as a directory).
 * handles_n: how many of those two to write.
 */
static void build_v1(struct hand *h, int handles_n)
{
	size_t at;

	h_header(h);
	at = h_section(h, 2);	/* FS */
	h_u32(h, 0);		/* mode: find-paths */
	h_u32(h, 0);		/* flags */
	h_u64(h, 20);		/* next nodeid */
	h_u64(h, 10);		/* next fh */
	h_u64(h, 0);		/* fsid: another machine's */
	h_u16(h, 0);		/* root id length */
	h_u16(h, 0);
	h_u32(h, 0);		/* root id type */
	h_end_section(h, at);
	at = h_section(h, 3);	/* NODES */
	h_u64(h, 3);
	h_node(h, 1, 1, MIG_NO_PARENT, S_IFDIR, "");
	h_node(h, 5, 2, 0, S_IFDIR, "d");
	h_node(h, 9, 1, 1, S_IFREG, "f");
	h_end_section(h, at);
	at = h_section(h, 4);	/* HANDLES */
	h_u64(h, (uint64_t)handles_n);
	if (handles_n > 0) {
		h_u64(h, 3);
		h_u64(h, 9);
		h_u32(h, MIG_FILE);
		h_u32(h, O_RDWR);
		h_u64(h, 0);
	}
	if (handles_n > 1) {
		h_u64(h, 4);
		h_u64(h, 5);
		h_u32(h, MIG_DIR);
		h_u32(h, O_RDONLY);
		h_u64(h, 0);
	}
	h_end_section(h, at);
	h_finish(h);
}

static void test_crc_and_reader(void **state)
{
	struct wbuf w;
	struct rbuf r;

	(void)state;
	/* The Castagnoli check value. */
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283u);
	wbuf_init(&w, 10);
	wbuf_u64(&w, 1);
	assert_false(w.failed);
	wbuf_u32(&w, 2);	/* past the bound: failed from now on */
	assert_true(w.failed);
	wbuf_u16(&w, 3);
	assert_int_equal(w.len, 8);
	wbuf_free(&w);
	rbuf_init(&r, "abcdef", 6);
	assert_int_equal(rbuf_u32(&r), 0x64636261u);
	assert_int_equal(rbuf_u32(&r), 0);	/* short: zero, and failed */
	assert_true(r.failed);
	assert_null(rbuf_bytes(&r, 1));
	assert_int_equal(rbuf_left(&r), 0);
}

static void test_frame(void **state)
{
	struct state_view v;
	struct hand h;
	char why[200];
	uint32_t nine = 9;

	(void)state;
	build_v1(&h, 1);
	assert_int_equal(state_parse(h.b, h.len, &v, why, sizeof(why)), 0);
	assert_int_equal(v.version, 1);
	assert_true(v.has[STATE_SEC_FS] && v.has[STATE_SEC_NODES] &&
		    v.has[STATE_SEC_HANDLES] && !v.has[STATE_SEC_SESSION]);
	/* Truncated, a byte flipped, a version from the future. */
	assert_int_equal(state_parse(h.b, h.len - 1, &v, why, sizeof(why)),
			 -EINVAL);
	h.b[60] ^= 1;
	assert_int_equal(state_parse(h.b, h.len, &v, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "checksum"));
	h.b[60] ^= 1;
	memcpy(h.b + 8, &nine, 4);
	assert_int_equal(state_parse(h.b, h.len, &v, why, sizeof(why)),
			 -EPROTONOSUPPORT);
}

/* An optional section of a later version is skipped, others refused. */
static void test_unknown_sections(void **state)
{
	struct state_view v;
	struct hand h;
	char why[200];
	size_t at;

	(void)state;
	build_v1(&h, 0);
	at = h.len;
	h_u32(&h, 77);
	h_u32(&h, STATE_SEC_OPTIONAL);
	h_u64(&h, 4);
	h_u32(&h, 0xdeadbeef);
	h_finish(&h);
	assert_int_equal(state_parse(h.b, h.len, &v, why, sizeof(why)), 0);
	memset(h.b + at + 4, 0, 4);	/* not optional any more */
	h_finish(&h);
	assert_int_equal(state_parse(h.b, h.len, &v, why, sizeof(why)),
			 -EPROTONOSUPPORT);
}

static int decode_hand(struct hand *h, struct mig_fs *m)
{
	struct state_view v;
	char why[200];
	int err;

	h_finish(h);
	err = state_parse(h->b, h->len, &v, why, sizeof(why));
	return err ? -err : mig_decode(&v, m, why, sizeof(why));
}

/* Spoil the built stream at the first occurrence of what with with. */
static int spoiled(const void *what, size_t n, const void *with)
{
	struct mig_fs m;
	struct hand h;
	uint8_t *p;
	int err;

	build_v1(&h, 2);
	p = memmem(h.b + 40, h.len - 40, what, n);
	assert_non_null(p);
	memcpy(p, with, n);
	err = decode_hand(&h, &m);
	if (!err)
		mig_fs_free(&m);
	return err;
}

static void test_decode_rejects(void **state)
{
	struct mig_fs m;
	struct hand h;
	uint64_t nine = 9, five = 5, one = 1, three = 3, four = 4;
	uint64_t huge = UINT64_MAX / 2;

	(void)state;
	build_v1(&h, 2);
	assert_int_equal(decode_hand(&h, &m), 0);
	assert_int_equal(m.nnodes, 3);
	assert_int_equal(m.nhandles, 2);
	assert_int_equal(m.nodes[2].nhandles, 1);
	assert_int_equal(m.handles[0].node, 2);
	mig_fs_free(&m);
	/* A name that is no single component. */
	assert_int_equal(spoiled("f", 1, "/"), -EINVAL);
	assert_int_equal(spoiled("d", 1, "."), -EINVAL);
	/* The same nodeid twice; a handle of a nodeid nobody has. */
	assert_int_equal(spoiled(&nine, 8, &five), -EINVAL);
	assert_int_equal(spoiled(&one, 8, &nine), -EINVAL);	/* root */
	/* A handle's fh twice; a file handle on a directory. */
	build_v1(&h, 2);
	memcpy(h.b + h.len - 32, &three, 8);	/* fh 4 -> 3 */
	assert_int_equal(decode_hand(&h, &m), -EINVAL);
	build_v1(&h, 2);
	h.b[h.len - 32 + 16] = MIG_FILE;	/* fh 4 on directory d */
	assert_int_equal(decode_hand(&h, &m), -EINVAL);
	build_v1(&h, 2);
	memcpy(h.b + h.len - 32, &four, 8);	/* unchanged: still fine */
	assert_int_equal(decode_hand(&h, &m), 0);
	mig_fs_free(&m);
	/* O_TRUNC is never restored. */
	build_v1(&h, 1);
	h.b[h.len - 32 + 20 + 1] = O_TRUNC >> 8;
	assert_int_equal(decode_hand(&h, &m), -EINVAL);
	/* More records than bytes. */
	build_v1(&h, 2);
	memcpy(memmem(h.b + 40, h.len - 40, "\x03\0\0\0\0\0\0\0\x01\0", 10),
	       &huge, 8);
	assert_int_equal(decode_hand(&h, &m), -EINVAL);
	/* A child before its parent: f's parent index 1 -> 2 (itself). */
	build_v1(&h, 0);
	h.b[40 + 16 + 40 + 16 + 8 + (36 + 0) + (36 + 1) + 16] = 2;
	assert_int_equal(decode_hand(&h, &m), -EINVAL);
}

/* A second pt_fs on the same directory: the destination. */
static struct pt_fs *dest_fs_verify(struct env *e, bool verify)
{
	struct pt_opts opts = { .shared_dir = e->dir };
	struct pt_fs *fs;

	opts.migrate.verify_handles = verify;

	opts.inode_fd_budget = PT_FD_BUDGET_UNLIMITED;
	if (getenv("VFSD_TEST_INODE_FD_BUDGET")) {
		opts.inode_file_handles = INODE_FH_NEVER;
		opts.inode_fd_budget = 2;
	}
	assert_int_equal(pt_new(&fs, &opts), 0);
	return fs;
}

static struct pt_fs *dest_fs(struct env *e)
{
	return dest_fs_verify(e, false);
}

static void read_str(struct pt_fs *fs, uint64_t nodeid, uint64_t fh,
		     const char *want)
{
	char buf[64] = "";
	struct iovec iov = { buf, sizeof(buf) - 1 };
	size_t n;

	assert_int_equal(OP(read, fs, &root_ctx, nodeid, fh, 0, &iov, 1, &n),
			 0);
	buf[n] = 0;
	assert_string_equal(buf, want);
}

/* Today's version 1, built by hand, loads: a later vfsd must keep this. */
static void test_load_v1(void **state)
{
	struct env *e = *state;
	struct vfs_entry ent;
	struct state_view v;
	struct pt_fs *dst;
	struct hand h;
	char why[200];
	struct stat st;
	int fd;

	REQUIRE_ROOT();
	assert_int_equal(mkdir(hp(e, "d"), 0755), 0);
	fd = open(hp(e, "d/f"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0 && write(fd, "v1 lives", 8) == 8);
	close(fd);
	build_v1(&h, 2);
	assert_int_equal(state_parse(h.b, h.len, &v, why, sizeof(why)), 0);
	dst = dest_fs(e);
	assert_int_equal(ops->state_load(dst, &v), 0);
	assert_int_equal(OP(getattr, dst, &root_ctx, 5, NULL, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	read_str(dst, 9, 3, "v1 lives");
	/* New nodeids and fhs come after the old ones. */
	assert_int_equal(OP(lookup, dst, &root_ctx, 1, "d", &ent), 0);
	assert_int_equal(ent.nodeid, 5);
	assert_int_equal(OP(create, dst, &root_ctx, 5, "g", 0644, O_RDWR, 0,
				     &ent, &(uint64_t){ 0 }),
			 0);
	assert_true(ent.nodeid >= 20);
	/* Lookups counted: d twice plus once now. */
	ops->forget(dst, 5, 3);
	assert_int_equal(OP(getattr, dst, &root_ctx, 5, NULL, &st), -ESTALE);
	pt_free(dst);
}

static void save(struct pt_fs *fs, struct wbuf *b)
{
	wbuf_init(b, STATE_MAX_SIZE);
	state_begin(b);
	assert_int_equal(ops->state_save(fs, b), 0);
	assert_int_equal(state_finish(b), 0);
}

/* Saved on one pt_fs, loaded on another over the same directory. */
static void test_roundtrip(void **state)
{
	struct env *e = *state;
	uint64_t d, f, fh, fh2, gone, gfh;
	struct state_view v;
	struct pt_fs *dst;
	char why[200];
	struct stat st;
	struct wbuf b;

	REQUIRE_ROOT();
	assert_int_equal(mkdir(hp(e, "dir"), 0755), 0);
	d = do_lookup(e, 1, "dir");
	f = do_create(e, d, "file", &fh);
	write_str(e, fh, 0, "carried over");
	assert_int_equal(OP(opendir, e->fs, &root_ctx, d, 0, &fh2), 0);
	gone = do_create(e, d, "gone", &gfh);
	assert_int_equal(ops->release(e->fs, &root_ctx, gone, gfh), 0);
	save(e->fs, &b);
	/* Between save and load a host process removes one. */
	assert_int_equal(unlink(hp(e, "dir/gone")), 0);
	assert_int_equal(state_parse(b.p, b.len, &v, why, sizeof(why)), 0);
	dst = dest_fs(e);
	assert_int_equal(ops->state_load(dst, &v), 0);
	read_str(dst, f, fh, "carried over");
	assert_int_equal(OP(getattr, dst, &root_ctx, d, NULL, &st), 0);
	assert_int_equal(OP(getattr, dst, &root_ctx, gone, NULL, &st),
			 -ESTALE);
	assert_int_equal(ops->releasedir(dst, &root_ctx, d, fh2), 0);
	assert_int_equal(ops->release(dst, &root_ctx, f, fh), 0);
	pt_free(dst);
	wbuf_free(&b);
}

/* Load v into a new destination; its answer. */
static int load_into(struct env *e, const void *p, size_t len, bool verify)
{
	struct state_view v;
	struct pt_fs *dst;
	char why[200];
	int err;

	assert_int_equal(state_parse(p, len, &v, why, sizeof(why)), 0);
	dst = dest_fs_verify(e, verify);
	err = ops->state_load(dst, &v);
	pt_free(dst);
	return err;
}

/*
 * --migration-verify-handles: every file must be proved the same by its
 * id. On the filesystem the source saw, the state loads; one from another
 * filesystem (the hand-built state: no fsid, no root id) is refused,
 * whether the destination asks for it or the source did (FS flag 1).
 */
static void test_verify_handles(void **state)
{
	struct env *e = *state;
	uint64_t fh;
	struct wbuf b;
	struct hand h;

	REQUIRE_ROOT();
	(void)do_create(e, 1, "kept", &fh);
	write_str(e, fh, 0, "verified");
	save(e->fs, &b);
	assert_int_equal(load_into(e, b.p, b.len, true), 0);
	wbuf_free(&b);
	build_v1(&h, 0);
	assert_int_equal(load_into(e, h.b, h.len, false), 0);
	assert_int_equal(load_into(e, h.b, h.len, true), -EINVAL);
	h.b[40 + 16 + 4] = MIG_FS_VERIFY;
	h_finish(&h);
	assert_int_equal(load_into(e, h.b, h.len, false), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_and_reader),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_unknown_sections),
		cmocka_unit_test(test_decode_rejects),
		PT_TEST(test_load_v1),
		PT_TEST(test_roundtrip),
		PT_TEST(test_verify_handles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
