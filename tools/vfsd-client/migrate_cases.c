/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cases of vfsd-client migrate (migrate.c): what the guest holds
 * before the move (nodeids with their lookup counts, open files and
 * directories) must go on working after it, on the destination and on the
 * same files; what the host changed between save and load must give the
 * outcome docs/MIGRATION.md promises; and a state that is not the
 * source's must be refused, with the source able to go on.
 */
#include "migrate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1u << 20)
#define KIB 1024u

static void host_path(const struct mig *m, const char *rel, char *out,
		      size_t len)
{
	snprintf(out, len, "%s/%s", m->o->shared_dir, rel);
}

/* A host file of size bytes of the pattern, shifted by salt. */
static int host_write(const struct mig *m, const char *rel, size_t size,
		      uint64_t salt)
{
	char path[4096];
	uint8_t *buf = malloc(size ? size : 8);
	int fd, r = 0;

	if (!buf)
		return -ENOMEM;
	host_path(m, rel, path, sizeof(path));
	fm_pattern_fill(buf, salt, size);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size)
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

/* Does the host file hold the pattern (salt) at [off, off + size)? */
static bool host_has(const struct mig *m, const char *rel, uint64_t off,
		     size_t size, uint64_t salt)
{
	char path[4096];
	uint8_t *buf = malloc(size);
	bool ok;
	int fd;

	host_path(m, rel, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ok = buf && fd >= 0 && pread(fd, buf, size, (off_t)off) == (ssize_t)size &&
	     fm_pattern_check(buf, salt + off, size);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

static int host_rename(const struct mig *m, const char *a, const char *b)
{
	char pa[4096], pb[4096];

	host_path(m, a, pa, sizeof(pa));
	host_path(m, b, pb, sizeof(pb));
	return rename(pa, pb) ? -errno : 0;
}

/* Read size bytes at off through fh and compare with the pattern. */
static int read_check(struct fm_queue *q, uint64_t nodeid, uint64_t fh,
		      uint64_t off, uint32_t size, uint64_t salt)
{
	static uint8_t buf[64 * KIB];
	size_t got;
	int r;

	if (size > sizeof(buf))
		return -EINVAL;
	r = mq_read(q, nodeid, fh, off, buf, size, &got);
	if (r)
		return r;
	if (got != size || !fm_pattern_check(buf, salt + off, size))
		return -EILSEQ;	/* other bytes: another file's, or stale */
	return 0;
}

static int write_pattern(struct fm_queue *q, uint64_t nodeid, uint64_t fh,
			 uint64_t off, uint32_t size, uint64_t salt)
{
	static uint8_t buf[64 * KIB];

	fm_pattern_fill(buf, salt + off, size);
	return fm_do_write(q, nodeid, fh, off, buf, size);
}

static uint64_t lookup_id(struct fm_queue *q, uint64_t parent,
			  const char *name)
{
	struct fuse_entry_out e;

	return fm_do_lookup(q, parent, name, &e) ? 0 : e.nodeid;
}

static int getattr_err(struct fm_queue *q, uint64_t nodeid)
{
	struct fuse_attr_out a;

	return fm_do_getattr(q, nodeid, &a);
}

static void timing(const struct mig *m, char *msg, size_t len,
		   const char *what)
{
	snprintf(msg, len, "%s; state %zu bytes, save %.1f ms, load %.1f ms",
		 what, m->state_len, (double)m->save_ns / 1e6,
		 (double)m->load_ns / 1e6);
}

/*
 * Nodeids, lookup counts, an open file and a read-only open of the same
 * file: after the move reads see what was written before, writes land in
 * the host file, new names get new nodeids, and FORGET and RELEASE of the
 * old ones are taken.
 */
static int c_basic(struct mig *m, char *msg, size_t len)
{
	struct fm_queue *q = mig_q(m);
	struct fuse_entry_out d, f, g;
	uint64_t fh, fh2;
	int r;

	if (fm_do_mkdir(q, FUSE_ROOT_ID, "d", &d) ||
	    fm_do_create(q, d.nodeid, "f", 0644, &f, &fh) ||
	    write_pattern(q, f.nodeid, fh, 0, 64 * KIB, 1) ||
	    lookup_id(q, d.nodeid, "f") != f.nodeid ||
	    fm_do_open(q, FUSE_OPEN, f.nodeid, O_RDONLY, &fh2))
		return say(msg, len, FAIL, "setting up on the source failed");
	r = mig_move(m);
	if (r)
		return say(msg, len, FAIL, "migration: %s", strerror(-r));
	if (read_check(q, f.nodeid, fh, 0, 64 * KIB, 1))
		return say(msg, len, FAIL, "reading the open file after the "
			   "move");
	if (write_pattern(q, f.nodeid, fh, 64 * KIB, 8 * KIB, 1) ||
	    !host_has(m, "d/f", 0, 72 * KIB, 1))
		return say(msg, len, FAIL, "a write after the move did not "
			   "land in the host file");
	if (read_check(q, f.nodeid, fh2, 64 * KIB, 8 * KIB, 1))
		return say(msg, len, FAIL, "the read-only handle does not see "
			   "the write");
	if (getattr_err(q, d.nodeid) || getattr_err(q, f.nodeid))
		return say(msg, len, FAIL, "GETATTR of old nodeids");
	if (fm_do_create(q, d.nodeid, "g", 0644, &g, &fh) == 0 &&
	    (g.nodeid == f.nodeid || g.nodeid == d.nodeid))
		return say(msg, len, FAIL, "a new file got an old nodeid");
	if (fm_do_release(q, FUSE_RELEASE, f.nodeid, fh2) ||
	    fm_do_forget(q, f.nodeid, 2) || fm_do_forget(q, d.nodeid, 1))
		return say(msg, len, FAIL, "RELEASE or FORGET after the move");
	timing(m, msg, len, "reads, writes, nodeids go on");
	return PASS;
}

struct name_set {
	unsigned int seen[64];
	unsigned int dot, dotdot, other;
};

static void count_name(void *arg, const char *name, size_t n)
{
	struct name_set *ns = arg;
	unsigned int k;

	if (n == 1 && name[0] == '.')
		ns->dot++;
	else if (n == 2 && !memcmp(name, "..", 2))
		ns->dotdot++;
	else if (n == 3 && name[0] == 'e' && sscanf(name + 1, "%2u", &k) == 1 &&
		 k < 64)
		ns->seen[k]++;
	else
		ns->other++;
}

/* A directory handle half read keeps its place across the move. */
static int c_readdir(struct mig *m, char *msg, size_t len)
{
	struct fm_queue *q = mig_q(m);
	struct name_set ns = { 0 };
	unsigned int n, before = 0, after = 0;
	uint64_t dir, fh, off = 0;
	char name[16], path[4096];
	int r;

	host_path(m, "r", path, sizeof(path));
	if (mkdir(path, 0755))
		return say(msg, len, FAIL, "mkdir %s: %s", path,
			   strerror(errno));
	for (unsigned int k = 0; k < 40; k++) {
		snprintf(name, sizeof(name), "r/e%02u", k);
		if (host_write(m, name, 8, k))
			return say(msg, len, FAIL, "host file %s", name);
	}
	dir = lookup_id(q, FUSE_ROOT_ID, "r");
	if (!dir || fm_do_open(q, FUSE_OPENDIR, dir, O_RDONLY, &fh))
		return say(msg, len, FAIL, "OPENDIR on the source");
	/* A small buffer: a few entries per READDIR. */
	for (int i = 0; i < 2; i++) {
		r = mq_readdir(q, dir, fh, off, 256, count_name, &ns, &off, &n);
		if (r || !n)
			return say(msg, len, FAIL, "READDIR on the source: %s",
				   strerror(-r));
		before += n;
	}
	r = mig_move(m);
	if (r)
		return say(msg, len, FAIL, "migration: %s", strerror(-r));
	do {
		r = mq_readdir(q, dir, fh, off, 256, count_name, &ns, &off, &n);
		after += n;
	} while (!r && n);
	if (r)
		return say(msg, len, FAIL, "READDIR after the move: %s",
			   strerror(-r));
	for (unsigned int k = 0; k < 40; k++)
		if (ns.seen[k] != 1)
			return say(msg, len, FAIL, "e%02u seen %u times", k,
				   ns.seen[k]);
	if (ns.dot != 1 || ns.dotdot != 1 || ns.other)
		return say(msg, len, FAIL, "\".\" %u, \"..\" %u, others %u",
			   ns.dot, ns.dotdot, ns.other);
	return say(msg, len, PASS, "%u entries before the move, %u after, "
		   "each once", before, after);
}

/* The guest renamed a file and a directory: their nodeids follow. */
static int c_guest_rename(struct mig *m, char *msg, size_t len)
{
	struct fm_queue *q = mig_q(m);
	struct fuse_entry_out a, b, x;
	uint64_t fh;
	int r;

	if (fm_do_mkdir(q, FUSE_ROOT_ID, "a", &a) ||
	    fm_do_mkdir(q, FUSE_ROOT_ID, "b", &b) ||
	    fm_do_create(q, a.nodeid, "x", 0644, &x, &fh) ||
	    write_pattern(q, x.nodeid, fh, 0, 4 * KIB, 7) ||
	    fm_do_release(q, FUSE_RELEASE, x.nodeid, fh) ||
	    mq_rename(q, a.nodeid, "x", b.nodeid, "y") ||
	    mq_rename(q, FUSE_ROOT_ID, "b", FUSE_ROOT_ID, "c"))
		return say(msg, len, FAIL, "setting up on the source failed");
	r = mig_move(m);
	if (r)
		return say(msg, len, FAIL, "migration: %s", strerror(-r));
	if (fm_do_open(q, FUSE_OPEN, x.nodeid, O_RDONLY, &fh) ||
	    read_check(q, x.nodeid, fh, 0, 4 * KIB, 7))
		return say(msg, len, FAIL, "the renamed file's nodeid does "
			   "not open it after the move");
	if (lookup_id(q, b.nodeid, "y") != x.nodeid)
		return say(msg, len, FAIL, "LOOKUP in the renamed directory");
	return say(msg, len, PASS, "c/y (was a/x) and c (was b) found again");
}

/*
 * The host changes files the guest knows but has not open, between the
 * save and the load: each old nodeid answers ESTALE (the guest kernel
 * then looks the name up again) or, by file handle, is still its file;
 * never another file. The migration itself must not fail for it.
 */
static int c_host_changes(struct mig *m, char *msg, size_t len)
{
	static const char *const names[] = { "keep", "ren", "del", "rep" };
	struct fm_queue *q = mig_q(m);
	uint64_t id[4], fh, fresh;
	char path[4096], what[128];
	int r, e[4];

	for (int k = 0; k < 4; k++)
		if (host_write(m, names[k], 4 * KIB, (uint64_t)k << 32) ||
		    !(id[k] = lookup_id(q, FUSE_ROOT_ID, names[k])))
			return say(msg, len, FAIL, "setting up %s", names[k]);
	if (host_write(m, "new", 4 * KIB, 99ull << 32))
		return FAIL;
	r = mig_stop_source(m);
	if (!r)
		r = mig_save(m);
	if (r)
		return say(msg, len, FAIL, "save: %s", strerror(-r));
	host_path(m, "del", path, sizeof(path));
	if (host_rename(m, "ren", "ren2") || unlink(path) ||
	    host_rename(m, "new", "rep"))
		return say(msg, len, FAIL, "host changes");
	r = mig_start_dest(m, NULL);
	if (!r)
		r = mig_load(m, m->state, m->state_len);
	if (!r)
		r = mig_switch(m);
	if (r)
		return say(msg, len, FAIL, "load (the guest's files were not "
			   "open: it must not fail): %s", strerror(-r));
	for (int k = 0; k < 4; k++) {
		e[k] = fm_do_open(q, FUSE_OPEN, id[k], O_RDONLY, &fh);
		if (!e[k])
			e[k] = read_check(q, id[k], fh, 0, 4 * KIB,
					  (uint64_t)k << 32);
		/* Another file's bytes through an old nodeid: the worst. */
		if (e[k] == -EILSEQ)
			return say(msg, len, FAIL, "%s's nodeid reads another "
				   "file", names[k]);
	}
	snprintf(what, sizeof(what), "keep %s, renamed %s, unlinked %s, "
		 "replaced %s", e[0] ? strerror(-e[0]) : "ok",
		 e[1] ? strerror(-e[1]) : "ok", e[2] ? strerror(-e[2]) : "ok",
		 e[3] ? strerror(-e[3]) : "ok");
	/*
	 * By file handle an unlinked file the source still held is found
	 * (as the source itself would still serve it), else it is stale.
	 */
	if (e[0] || (m->file_handles ? e[1] != 0 : e[1] != -ESTALE) ||
	    (e[2] != -ESTALE && !(m->file_handles && !e[2])) ||
	    (e[3] != -ESTALE && !(m->file_handles && !e[3])))
		return say(msg, len, FAIL, "%s", what);
	/* The guest kernel's next step: a fresh lookup finds the new file. */
	fresh = lookup_id(q, FUSE_ROOT_ID, "rep");
	if (!fresh || fresh == id[3] ||
	    fm_do_open(q, FUSE_OPEN, fresh, O_RDONLY, &fh) ||
	    read_check(q, fresh, fh, 0, 4 * KIB, 99ull << 32))
		return say(msg, len, FAIL, "%s; a fresh LOOKUP of rep", what);
	return say(msg, len, PASS, "%s", what);
}

/*
 * What made the Rust virtiofsd abort a migration: the guest replaced a
 * file it knows by rename (an editor's save) while writing another one
 * it holds open. Must migrate in every mode.
 */
static int c_guest_replace(struct mig *m, char *msg, size_t len)
{
	struct fm_queue *q = mig_q(m);
	struct fuse_entry_out t, tmp, lg;
	uint64_t fh, lfh;
	int r;

	if (fm_do_create(q, FUSE_ROOT_ID, "log", 0644, &lg, &lfh) ||
	    write_pattern(q, lg.nodeid, lfh, 0, 8 * KIB, 3) ||
	    fm_do_create(q, FUSE_ROOT_ID, "target", 0644, &t, &fh) ||
	    write_pattern(q, t.nodeid, fh, 0, 4 * KIB, 4) ||
	    fm_do_release(q, FUSE_RELEASE, t.nodeid, fh) ||
	    fm_do_create(q, FUSE_ROOT_ID, "target.tmp", 0644, &tmp, &fh) ||
	    write_pattern(q, tmp.nodeid, fh, 0, 4 * KIB, 5) ||
	    fm_do_release(q, FUSE_RELEASE, tmp.nodeid, fh) ||
	    mq_rename(q, FUSE_ROOT_ID, "target.tmp", FUSE_ROOT_ID, "target"))
		return say(msg, len, FAIL, "setting up on the source failed");
	r = mig_move(m);
	if (r)
		return say(msg, len, FAIL, "migration failed: %s",
			   strerror(-r));
	if (write_pattern(q, lg.nodeid, lfh, 8 * KIB, 8 * KIB, 3) ||
	    !host_has(m, "log", 0, 16 * KIB, 3))
		return say(msg, len, FAIL, "the open log after the move");
	/* By file handle the old file, still held by the source, is found. */
	r = fm_do_open(q, FUSE_OPEN, t.nodeid, O_RDONLY, &fh);
	if (!r && m->file_handles)
		r = read_check(q, t.nodeid, fh, 0, 4 * KIB, 4);
	else if (r == -ESTALE)
		r = 0;
	else if (!r)
		r = -EEXIST;
	if (r)
		return say(msg, len, FAIL, "the replaced file's nodeid: %s",
			   r == -EEXIST ? "opens" : strerror(-r));
	if (fm_do_open(q, FUSE_OPEN, tmp.nodeid, O_RDONLY, &fh) ||
	    read_check(q, tmp.nodeid, fh, 0, 4 * KIB, 5) ||
	    lookup_id(q, FUSE_ROOT_ID, "target") != tmp.nodeid)
		return say(msg, len, FAIL, "the new target after the move");
	timing(m, msg, len, "migrated; the old target ESTALE, the new one "
	       "and the open log go on");
	return PASS;
}

/*
 * A file the guest has open is gone by the load: a real loss. abort:
 * the load fails and the source goes on with it open; guest-error: the
 * handle is EBADF and the nodeid ESTALE; by file handle: found anyway.
 * how: 0 replaced by a host process between save and load, 1 unlinked
 * by the guest before the save (an open, unlinked file).
 */
static int open_lost(struct mig *m, char *msg, size_t len, int how)
{
	struct fm_queue *q = mig_q(m);
	struct fuse_entry_out o;
	uint64_t fh;
	int r, e;

	if (fm_do_create(q, FUSE_ROOT_ID, "o", 0644, &o, &fh) ||
	    write_pattern(q, o.nodeid, fh, 0, 4 * KIB, 11) ||
	    host_write(m, "o.new", 4 * KIB, 12))
		return say(msg, len, FAIL, "setting up on the source failed");
	r = how == 1 ? fm_do_unlink(q, FUSE_UNLINK, FUSE_ROOT_ID, "o") : 0;
	if (r)
		return say(msg, len, FAIL, "UNLINK of the open file: %s",
			   strerror(-r));
	r = mig_stop_source(m);
	if (!r)
		r = mig_save(m);
	if (r)
		return say(msg, len, FAIL, "save: %s", strerror(-r));
	if (how == 0 && host_rename(m, "o.new", "o"))
		return FAIL;
	r = mig_start_dest(m, NULL);
	if (!r)
		r = mig_load(m, m->state, m->state_len);
	if (!m->file_handles && !m->guest_error) {
		if (r != -EREMOTEIO)
			return say(msg, len, FAIL, "load: %s (abort wants it "
				   "refused)", r ? strerror(-r) : "accepted");
		r = mig_resume_source(m);
		if (r || read_check(q, o.nodeid, fh, 0, 4 * KIB, 11))
			return say(msg, len, FAIL, "the source did not go on "
				   "with the open file");
		return say(msg, len, PASS, "refused; the source goes on with "
			   "the file open");
	}
	if (!r)
		r = mig_switch(m);
	if (r)
		return say(msg, len, FAIL, "load: %s", strerror(-r));
	e = read_check(q, o.nodeid, fh, 0, 4 * KIB, 11);
	if (m->file_handles)
		return e ? say(msg, len, FAIL, "by file handle: %s",
			       strerror(-e)) :
			   say(msg, len, PASS, "found by its file handle");
	if (e != -EBADF || getattr_err(q, o.nodeid) != -ESTALE)
		return say(msg, len, FAIL, "guest-error: read %s",
			   e ? strerror(-e) : "worked");
	return say(msg, len, PASS, "guest-error: EBADF on the handle, ESTALE "
		   "on the nodeid");
}

static int c_open_replaced(struct mig *m, char *msg, size_t len)
{
	return open_lost(m, msg, len, 0);
}

static int c_open_unlinked(struct mig *m, char *msg, size_t len)
{
	return open_lost(m, msg, len, 1);
}

/* Castagnoli, as the stream's header has it (docs/MIGRATION.md). */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = ~0u;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
	}
	return ~crc;
}

#define HDR 40u

/* The offset of section type's payload, or 0. */
static size_t find_section(const uint8_t *s, size_t len, uint32_t type)
{
	for (size_t at = HDR; len - at >= 16;) {
		uint32_t t;
		uint64_t n;

		memcpy(&t, s + at, 4);
		memcpy(&n, s + at + 8, 8);
		if (t == type)
			return at + 16;
		if (n > len - at - 16)
			return 0;
		at += 16 + (size_t)n;
	}
	return 0;
}

static void reseal(uint8_t *s, size_t len)
{
	uint32_t crc = crc32c(s + HDR, len - HDR);

	memcpy(s + 24, &crc, 4);
}

/* One way to spoil a state; false if this state has nothing to spoil. */
static bool spoil(uint8_t *s, size_t *len, int how, const char **what)
{
	size_t at;
	uint64_t big = UINT64_MAX / 2;
	uint32_t v = 99;
	uint8_t *p;

	switch (how) {
	case 0:
		*what = "a flipped byte";
		s[*len / 2] ^= 0x40;
		return true;
	case 1:
		*what = "cut in half";
		*len /= 2;
		return true;
	case 2:
		*what = "version 99";
		memcpy(s + 8, &v, 4);
		return true;
	case 3:
		*what = "no bytes";
		*len = 0;
		return true;
	case 4:
		*what = "a node count of 2^63 (checksum right)";
		at = find_section(s, *len, 3);
		if (!at)
			return false;
		memcpy(s + at, &big, 8);
		reseal(s, *len);
		return true;
	case 5:
		*what = "a name that climbs out: \"../../\" (checksum right)";
		p = memmem(s, *len, "victim", 6);
		if (!p)
			return false;
		memcpy(p, "../../", 6);
		reseal(s, *len);
		return true;
	}
	return false;
}

/*
 * States that are not the source's: each refused by a fresh destination
 * (CHECK_DEVICE_STATE fails, the back end lives on), and the source goes
 * on; then the real one migrates.
 */
static int c_spoiled(struct mig *m, char *msg, size_t len)
{
	struct fm_queue *q = mig_q(m);
	struct fuse_entry_out v;
	uint64_t fh;
	uint8_t *bad;
	int r, n = 0;

	if (fm_do_create(q, FUSE_ROOT_ID, "victim", 0644, &v, &fh) ||
	    write_pattern(q, v.nodeid, fh, 0, 4 * KIB, 21))
		return say(msg, len, FAIL, "setting up on the source failed");
	r = mig_stop_source(m);
	if (!r)
		r = mig_save(m);
	if (r)
		return say(msg, len, FAIL, "save: %s", strerror(-r));
	bad = malloc(m->state_len);
	for (int how = 0; bad && how < 6; how++) {
		size_t blen = m->state_len;
		const char *what;
		bool exits_ok;

		memcpy(bad, m->state, blen);
		if (!spoil(bad, &blen, how, &what))
			continue;
		r = mig_start_dest(m, NULL);
		if (!r)
			r = mig_load(m, bad, blen);
		if (r != -EREMOTEIO || !vc_alive(&m->dst)) {
			free(bad);
			return say(msg, len, FAIL, "%s: %s", what,
				   r ? strerror(-r) : "accepted");
		}
		vc_disconnect(&m->dst);
		exits_ok = !vc_wait_exit(&m->dst, 5000) &&
			   m->dst.exit_status == 0;
		m->dst_up = false;
		session_unlink_socket(m->dst_sock);
		vc_init(&m->dst);
		if (!exits_ok) {
			free(bad);
			return say(msg, len, FAIL, "%s: the destination did "
				   "not exit 0", what);
		}
		n++;
	}
	free(bad);
	r = mig_resume_source(m);
	if (r || read_check(q, v.nodeid, fh, 0, 4 * KIB, 21) ||
	    write_pattern(q, v.nodeid, fh, 4 * KIB, 4 * KIB, 21))
		return say(msg, len, FAIL, "the source did not go on");
	r = mig_move(m);
	if (r || read_check(q, v.nodeid, fh, 0, 8 * KIB, 21))
		return say(msg, len, FAIL, "the real state after the "
			   "spoiled ones: %s", r ? strerror(-r) : "bad read");
	return say(msg, len, PASS, "%d spoiled states refused, the source "
		   "went on, then migrated", n);
}

/* A destination started with other options than the source's. */
static int c_options_differ(struct mig *m, char *msg, size_t len)
{
	struct fm_queue *q = mig_q(m);
	int r;

	r = mig_stop_source(m);
	if (!r)
		r = mig_save(m);
	if (!r)
		r = mig_start_dest(m, "--no-readdirplus");
	if (r)
		return say(msg, len, FAIL, "setting up: %s", strerror(-r));
	r = mig_load(m, m->state, m->state_len);
	if (r != -EREMOTEIO)
		return say(msg, len, FAIL, "a guest that agreed to "
			   "READDIRPLUS moved to a daemon without it: %s",
			   r ? strerror(-r) : "accepted");
	r = mig_resume_source(m);
	if (r || getattr_err(q, FUSE_ROOT_ID))
		return say(msg, len, FAIL, "the source did not go on");
	return say(msg, len, PASS, "refused (FUSE flags differ); the source "
		   "goes on");
}

/* SETLK (or flock) on fh; type F_WRLCK or F_UNLCK. */
static int set_lock(struct fm_queue *q, uint64_t nodeid, uint64_t fh,
		    uint32_t type, bool flock)
{
	struct fm_slot *s = &q->slots[0];

	fm_fill_lk(s, FUSE_SETLK, nodeid, fh, 42, type);
	if (flock)
		((struct fuse_lk_in *)(s->in + sizeof(struct fuse_in_header)))
			->lk_flags = FUSE_LK_FLOCK;
	return fm_call_copy(q, s, 10000, NULL, 0);
}

/*
 * Locks are not carried: while the guest holds one (POSIX or flock) the
 * save is refused and the guest stays; once it let go, it moves. Needs
 * --posix-lock --flock.
 */
static int c_locks(struct mig *m, char *msg, size_t len)
{
	struct fm_queue *q = mig_q(m);
	struct fuse_entry_out l;
	uint64_t fh;
	int r;

	if (fm_do_create(q, FUSE_ROOT_ID, "l", 0644, &l, &fh))
		return say(msg, len, FAIL, "CREATE");
	for (int flock = 0; flock < 2; flock++) {
		r = set_lock(q, l.nodeid, fh, F_WRLCK, flock);
		if (r)
			return say(msg, len, FAIL, "%s: %s",
				   flock ? "flock" : "SETLK", strerror(-r));
		r = mig_stop_source(m);
		if (!r)
			r = mig_save(m);
		if (r != -EREMOTEIO)
			return say(msg, len, FAIL, "save with a %s held: %s",
				   flock ? "flock" : "POSIX lock",
				   r ? strerror(-r) : "accepted");
		r = mig_resume_source(m);
		if (!r)
			r = set_lock(q, l.nodeid, fh, F_UNLCK, flock);
		if (r)
			return say(msg, len, FAIL, "the source after the "
				   "refusal: %s", strerror(-r));
	}
	r = mig_move(m);
	if (r)
		return say(msg, len, FAIL, "with the locks let go: %s",
			   strerror(-r));
	return say(msg, len, PASS, "refused while a POSIX lock and a flock "
		   "were held, migrated once they were let go");
}

/*
 * Dirty page logging: with VHOST_F_LOG_ALL on, the pages a READ's reply
 * filled and the used ring are marked, the request's own buffer (which
 * the back end only reads) is not; then the migration runs with it on.
 */
static int c_dirty_log(struct mig *m, char *msg, size_t len)
{
	struct fm_queue *q = mig_q(m);
	struct fm_slot *s = &q->slots[0];
	static uint8_t buf[16 * KIB];
	struct fuse_entry_out f;
	uint64_t fh;
	size_t got;
	int r;

	if (fm_do_create(q, FUSE_ROOT_ID, "dl", 0644, &f, &fh) ||
	    write_pattern(q, f.nodeid, fh, 0, 16 * KIB, 31))
		return say(msg, len, FAIL, "setting up");
	r = vc_set_log(&m->src.dev, true);
	if (r)
		return say(msg, len, FAIL, "SET_LOG_BASE / LOG_ALL: %s",
			   strerror(-r));
	vc_log_clear(&m->src.dev);
	r = mq_read(q, f.nodeid, fh, 0, buf, sizeof(buf), &got);
	if (r)
		return say(msg, len, FAIL, "READ with logging on");
	for (uint64_t off = 0; off < 16 * KIB + 16; off += 4096)
		if (!vc_log_dirty(&m->src.dev, s->out_gpa + off))
			return say(msg, len, FAIL, "reply page at +%llu not "
				   "logged", (unsigned long long)off);
	if (!vc_log_dirty(&m->src.dev, q->vq->used_gpa))
		return say(msg, len, FAIL, "used ring not logged");
	if (vc_log_dirty(&m->src.dev, q->slots[3].in_gpa))
		return say(msg, len, FAIL, "an untouched request buffer was "
			   "logged");
	r = mig_move(m);
	if (r || read_check(q, f.nodeid, fh, 0, 16 * KIB, 31))
		return say(msg, len, FAIL, "migration with logging on: %s",
			   r ? strerror(-r) : "bad read");
	return say(msg, len, PASS, "reply pages and used ring logged, "
		   "request pages not");
}

/*
 * Many known inodes (--entries, default 10000) and some open files: every
 * nodeid answers after the move; the state's size and the time save and
 * load take are reported (docs/MIGRATION.md).
 */
static int c_scale(struct mig *m, char *msg, size_t len)
{
	struct fm_queue *q = mig_q(m);
	unsigned int n = m->o->entries ? m->o->entries : 10000;
	uint64_t *ids = calloc(n, sizeof(*ids)), fh;
	unsigned int bad = 0, opened = 0;
	char name[64], path[4096];
	uint64_t dir = 0;
	int r;

	if (!ids)
		return FAIL;
	for (unsigned int k = 0; k < n; k++) {
		/* 1000 files a directory. */
		if (k % 1000 == 0) {
			snprintf(name, sizeof(name), "s%u", k / 1000);
			host_path(m, name, path, sizeof(path));
			if (mkdir(path, 0755) ||
			    !(dir = lookup_id(q, FUSE_ROOT_ID, name)))
				return say(msg, len, FAIL, "mkdir %s", name);
		}
		snprintf(name, sizeof(name), "s%u/f%u", k / 1000, k);
		host_path(m, name, path, sizeof(path));
		if (close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)))
			return say(msg, len, FAIL, "creating %s", name);
		snprintf(name, sizeof(name), "f%u", k);
		ids[k] = lookup_id(q, dir, name);
		if (!ids[k])
			return say(msg, len, FAIL, "LOOKUP %s", name);
		if (k % 100 == 0 &&
		    !fm_do_open(q, FUSE_OPEN, ids[k], O_RDWR, &fh))
			opened++;
	}
	r = mig_move(m);
	if (r) {
		free(ids);
		return say(msg, len, FAIL, "migration: %s", strerror(-r));
	}
	for (unsigned int k = 0; k < n; k++)
		bad += getattr_err(q, ids[k]) != 0;
	free(ids);
	if (bad)
		return say(msg, len, FAIL, "%u of %u nodeids lost", bad, n);
	return say(msg, len, PASS, "%u inodes, %u open: state %zu bytes "
		   "(%.1f per inode), save %.1f ms, load %.1f ms", n, opened,
		   m->state_len, (double)m->state_len / n,
		   (double)m->save_ns / 1e6, (double)m->load_ns / 1e6);
}

const struct mig_case mig_cases[] = {
	{ "basic", c_basic, false },
	{ "readdir_continues", c_readdir, false },
	{ "guest_rename", c_guest_rename, false },
	{ "host_changes", c_host_changes, false },
	{ "guest_replace", c_guest_replace, false },
	{ "open_replaced", c_open_replaced, false },
	{ "open_unlinked", c_open_unlinked, false },
	{ "spoiled_state", c_spoiled, false },
	{ "options_differ", c_options_differ, false },
	{ "dirty_log", c_dirty_log, false },
	{ "scale", c_scale, false },
	{ "locks", c_locks, true },
	{ NULL, NULL, false },
};
