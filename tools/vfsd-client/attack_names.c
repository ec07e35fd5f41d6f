/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inodes whose fds the back end closed for its budget (each case runs it
 * with --inode-fd-budget=1), then renamed, replaced, unlinked or
 * hard-linked by the guest or by a host process. A back end that finds a
 * closed inode again by its name (vfsd's default on a directory share)
 * must follow the guest's own changes, so every nodeid still reaches its
 * file; after a host process moved things, a nodeid reaches its own file
 * or answers ESTALE, never the file that now has its name.
 */
#include "attack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUTH sizeof(struct fuse_out_header)

/* Files looked up so that a budget of one fd closes every other. */
#define FILLERS 4

static struct fm_queue *queue(struct attack_ctx *a)
{
	return &a->cs->q[1];
}

static void host_path(struct attack_ctx *a, const char *name, char *buf,
		      size_t len)
{
	snprintf(buf, len, "%s/%s", a->o->shared_dir, name);
}

/* A host file with text in it, nothing left from a run before. */
static int host_file(struct attack_ctx *a, const char *name, const char *text)
{
	char p[4200];
	ssize_t n;
	int fd;

	host_path(a, name, p, sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static int host_dir(struct attack_ctx *a, const char *name)
{
	char p[4200];

	host_path(a, name, p, sizeof(p));
	client_remove_tree(p);
	return mkdir(p, 0755) ? -errno : 0;
}

static int host_rename(struct attack_ctx *a, const char *from, const char *to)
{
	char f[4200], t[4200];

	host_path(a, from, f, sizeof(f));
	host_path(a, to, t, sizeof(t));
	client_remove_tree(t);
	return rename(f, t) ? -errno : 0;
}

/* Look up and forget other files: each closes an idle inode's fd. */
static int close_idle(struct attack_ctx *a)
{
	struct fuse_entry_out e;
	char name[32];
	int err;

	for (unsigned int i = 0; i < FILLERS; i++) {
		snprintf(name, sizeof(name), "nm_fill%u", i);
		err = host_file(a, name, "");
		if (!err)
			err = fm_do_lookup(queue(a), FUSE_ROOT_ID, name, &e);
		if (err)
			return err;
		fm_do_forget(queue(a), e.nodeid, 1);
	}
	return 0;
}

/* READ of the first bytes of an open fh, as text. */
static int read_text(struct attack_ctx *a, uint64_t nid, uint64_t fh,
		     char *buf, size_t len)
{
	struct fm_slot *s = attack_slot(a);
	const void *p;
	size_t n;
	int err;

	fm_fill_read(s, FUSE_READ, nid, fh, 0, (uint32_t)(len - 1));
	err = fm_call(queue(a), s, a->o->timeout_ms);
	if (!err)
		err = fm_reply(s, &p, &n);
	if (err)
		return err;
	n = n < len - 1 ? n : len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

/*
 * What nodeid nid answers now: its st_ino to GETATTR (0 on error) and
 * the text an OPEN and READ of it gives (or the error in err).
 */
struct seen {
	int attr_err;
	uint64_t ino;
	int read_err;
	char text[64];
};

static void look_at(struct attack_ctx *a, uint64_t nid, struct seen *v)
{
	struct fuse_attr_out ao;
	uint64_t fh;

	memset(v, 0, sizeof(*v));
	v->attr_err = fm_do_getattr(queue(a), nid, &ao);
	if (!v->attr_err)
		v->ino = ao.attr.ino;
	v->read_err = fm_do_open(queue(a), FUSE_OPEN, nid, O_RDONLY, &fh);
	if (v->read_err)
		return;
	v->read_err = read_text(a, nid, fh, v->text, sizeof(v->text));
	fm_do_release(queue(a), FUSE_RELEASE, nid, fh);
}

/* Every answer is the file's own (ino, text): a pass. */
static enum attack_result expect_own(struct attack_ctx *a, const struct seen *v,
				     uint64_t ino, const char *text)
{
	attack_note(a, "GETATTR %s (ino %llu), READ %s \"%s\"",
		    v->attr_err ? strerror(-v->attr_err) : "ok",
		    (unsigned long long)v->ino,
		    v->read_err ? strerror(-v->read_err) : "ok", v->text);
	if (v->attr_err || v->ino != ino || v->read_err ||
	    strcmp(v->text, text))
		return AR_BAD;
	return AR_OK;
}

/* Own file or ESTALE; the other file's inode or text is a failure. */
static enum attack_result expect_own_or_stale(struct attack_ctx *a,
					      const struct seen *v,
					      uint64_t ino, const char *text)
{
	bool attr_ok = v->attr_err == -ESTALE ||
		       (!v->attr_err && v->ino == ino);
	bool read_ok = v->read_err == -ESTALE ||
		       (!v->read_err && !strcmp(v->text, text));

	attack_note(a, "GETATTR %s (ino %llu, own %llu), READ %s \"%s\"%s",
		    v->attr_err ? strerror(-v->attr_err) : "ok",
		    (unsigned long long)v->ino, (unsigned long long)ino,
		    v->read_err ? strerror(-v->read_err) : "ok", v->text,
		    attr_ok && read_ok ? "" : " - not its own file");
	if (!attr_ok || !read_ok)
		return AR_BAD;
	return v->attr_err ? AR_ERR : AR_OK;
}

/* d/f made on the host and looked up by the guest: their entries. */
static int dir_and_file(struct attack_ctx *a, const char *d, const char *text,
			struct fuse_entry_out *de, struct fuse_entry_out *fe)
{
	char f[256];
	int err;

	snprintf(f, sizeof(f), "%s/f", d);
	err = host_dir(a, d);
	if (!err)
		err = host_file(a, f, text);
	if (!err)
		err = fm_do_lookup(queue(a), FUSE_ROOT_ID, d, de);
	if (!err)
		err = fm_do_lookup(queue(a), de->nodeid, "f", fe);
	if (!err)
		err = close_idle(a);
	return err;
}

static enum attack_result setup_failed(struct attack_ctx *a, int err)
{
	attack_note(a, "set-up failed: %s", strerror(-err));
	return AR_BAD;
}

static int guest_rename(struct attack_ctx *a, const char *from, const char *to)
{
	struct fm_slot *s = attack_slot(a);
	struct fuse_rename_in in = { .newdir = FUSE_ROOT_ID };

	fm_begin(s, FUSE_RENAME, FUSE_ROOT_ID);
	fm_arg(s, &in, sizeof(in));
	fm_name(s, from);
	fm_name(s, to);
	fm_end(s, OUTH);
	return fm_call_copy(queue(a), s, a->o->timeout_ms, NULL, 0);
}

/*
 * The guest renames a directory whose file's fd is closed: the file's
 * nodeid still reaches it (the back end followed the rename).
 */
static enum attack_result names_guest_renamed_dir(struct attack_ctx *a)
{
	struct fuse_entry_out d, f;
	struct seen v;
	char p[4200];
	int err;

	host_path(a, "nm_gdir2", p, sizeof(p));
	client_remove_tree(p);
	err = dir_and_file(a, "nm_gdir", "guest-moved", &d, &f);
	if (!err)
		err = guest_rename(a, "nm_gdir", "nm_gdir2");
	if (err)
		return setup_failed(a, err);
	look_at(a, f.nodeid, &v);
	return expect_own(a, &v, f.attr.ino, "guest-moved");
}

/*
 * A host process renames the directory and puts another one, with
 * another file f, in its place: the old file's nodeid must not reach it.
 */
static enum attack_result names_host_renamed_dir(struct attack_ctx *a)
{
	struct fuse_entry_out d, f;
	struct seen v;
	int err;

	err = dir_and_file(a, "nm_hdir", "old", &d, &f);
	if (!err)
		err = host_rename(a, "nm_hdir", "nm_hdir.moved");
	if (!err)
		err = host_dir(a, "nm_hdir");
	if (!err)
		err = host_file(a, "nm_hdir/f", "NEW-OTHER-FILE");
	if (err)
		return setup_failed(a, err);
	look_at(a, f.nodeid, &v);
	return expect_own_or_stale(a, &v, f.attr.ino, "old");
}

/* The file's name now leads to another file: ESTALE or its own. */
static enum attack_result names_name_leads_elsewhere(struct attack_ctx *a)
{
	struct fuse_entry_out f;
	struct seen v;
	int err;

	err = host_file(a, "nm_file", "old");
	if (!err)
		err = fm_do_lookup(queue(a), FUSE_ROOT_ID, "nm_file", &f);
	if (!err)
		err = close_idle(a);
	if (!err)
		err = host_rename(a, "nm_file", "nm_file.old");
	if (!err)
		err = host_file(a, "nm_file", "NEW-OTHER-FILE");
	if (err)
		return setup_failed(a, err);
	look_at(a, f.nodeid, &v);
	return expect_own_or_stale(a, &v, f.attr.ino, "old");
}

/* The guest creates a file, keeps it open and unlinks it: it answers. */
static enum attack_result names_unlinked_open_file(struct attack_ctx *a)
{
	struct fuse_entry_out e;
	struct fuse_attr_out ao;
	char text[4200];
	uint64_t fh;
	int err;

	host_path(a, "nm_open", text, sizeof(text));
	unlink(text);
	err = fm_do_create(queue(a), FUSE_ROOT_ID, "nm_open", S_IFREG | 0644,
			   &e, &fh);
	if (!err)
		err = fm_do_write(queue(a), e.nodeid, fh, 0, "open-data", 9);
	if (!err)
		err = fm_do_unlink(queue(a), FUSE_UNLINK, FUSE_ROOT_ID,
				   "nm_open");
	if (!err)
		err = close_idle(a);
	if (err)
		return setup_failed(a, err);
	err = fm_do_getattr(queue(a), e.nodeid, &ao);
	if (!err)
		err = read_text(a, e.nodeid, fh, text, sizeof(text));
	fm_do_release(queue(a), FUSE_RELEASE, e.nodeid, fh);
	attack_note(a, "GETATTR of the unlinked open file: %s, nlink %u, READ \"%s\"",
		    err ? strerror(-err) : "ok", err ? 0 : ao.attr.nlink,
		    err ? "" : text);
	return !err && !ao.attr.nlink && !strcmp(text, "open-data") ? AR_OK :
								     AR_BAD;
}

static int guest_link(struct attack_ctx *a, uint64_t nid, const char *name)
{
	struct fm_slot *s = attack_slot(a);
	struct fuse_link_in in = { .oldnodeid = nid };
	struct fuse_entry_out e;
	int err;

	fm_begin(s, FUSE_LINK, FUSE_ROOT_ID);
	fm_arg(s, &in, sizeof(in));
	fm_name(s, name);
	fm_end(s, OUTH + sizeof(e));
	err = fm_call_copy(queue(a), s, a->o->timeout_ms, &e, sizeof(e));
	/* The link is a lookup of its own. */
	if (!err)
		fm_do_forget(queue(a), e.nodeid, 1);
	return err;
}

/*
 * A file with two names; the guest unlinks the one it was looked up by,
 * the file's fd is closed: it still answers, by the other name.
 */
static enum attack_result names_hard_link(struct attack_ctx *a)
{
	struct fuse_entry_out f;
	struct seen v;
	char p[4200];
	int err;

	host_path(a, "nm_link2", p, sizeof(p));
	unlink(p);
	err = host_file(a, "nm_link1", "linked");
	if (!err)
		err = fm_do_lookup(queue(a), FUSE_ROOT_ID, "nm_link1", &f);
	if (!err)
		err = guest_link(a, f.nodeid, "nm_link2");
	if (!err)
		err = fm_do_unlink(queue(a), FUSE_UNLINK, FUSE_ROOT_ID,
				   "nm_link1");
	if (!err)
		err = close_idle(a);
	if (err)
		return setup_failed(a, err);
	look_at(a, f.nodeid, &v);
	return expect_own(a, &v, f.attr.ino, "linked");
}

static const char *const one_fd[] = { "--inode-fd-budget=1", NULL };

#define NAMES(n, f, accept) { n, f, (accept) | A_ALIVE, { 0 }, NULL, one_fd }

const struct attack_case attack_names_cases[] = {
	NAMES("names_guest_renamed_dir", names_guest_renamed_dir, A_OK),
	NAMES("names_host_renamed_dir", names_host_renamed_dir, A_OK | A_ERR),
	NAMES("names_name_leads_elsewhere", names_name_leads_elsewhere,
	      A_OK | A_ERR),
	NAMES("names_unlinked_open_file", names_unlinked_open_file, A_OK),
	NAMES("names_hard_link", names_hard_link, A_OK),
	{ NULL },
};
