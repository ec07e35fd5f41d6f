/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host changes the share under the guest: a directory the guest holds
 * is moved out of the share, and an inode number the guest still holds a
 * nodeid for is reused by a device node or a fifo. The guest must reach
 * nothing outside the share, and an old nodeid must never name the new
 * file (every operation on it answers ESTALE or ENOENT, none blocks).
 *
 * These cases act on the host side of the share themselves (rename,
 * unlink, mkfifo), so they need the shared directory's path and root.
 */
#include "attack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define HDR sizeof(struct fuse_in_header)
#define OUTH sizeof(struct fuse_out_header)

/* How far a climb by ".." is followed before it counts as unbounded. */
#define CLIMB_MAX 32

static void host_path(const char *dir, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* --- ".." from a directory moved out of the share ---------------------- */

/*
 * Climb by ".." from nid as long as the back end answers. Every answer
 * must be the share's root or the directory the climb started from (a
 * back end may answer "..", of a directory it can no longer place, with
 * the directory itself); anything else is a directory outside the share.
 */
static enum attack_result climb(struct attack_ctx *a, uint64_t nid,
				uint64_t start_ino)
{
	struct fm_queue *q = &a->cs->q[1];
	uint64_t taken[CLIMB_MAX];
	unsigned int n = 0, levels = 0;
	enum attack_result r = AR_OK;
	struct stat host_root;
	bool escaped = false;
	uint64_t ino = 0;

	while (levels < CLIMB_MAX) {
		struct fuse_entry_out e;
		int err = fm_do_lookup(q, nid, "..", &e);

		if (err) {
			attack_note(a, "LOOKUP \"..\" answered %s after %u level(s)",
				    strerror(-err), levels);
			r = err == -EBADMSG ? AR_BAD : AR_ERR;
			break;
		}
		taken[n++] = e.nodeid;
		levels++;
		ino = e.attr.ino;
		if (ino != a->root_ino && ino != start_ino)
			escaped = true;
		/* The top of some tree: ".." of it is itself. */
		if (e.nodeid == nid)
			break;
		nid = e.nodeid;
	}
	for (unsigned int i = 0; i < n; i++)
		if (taken[i])
			fm_do_forget(q, taken[i], 1);
	if (!escaped)
		return r;
	stat("/", &host_root);
	attack_note(a, "\"..\" climbed %u level(s) out of the share, to inode %llu%s",
		    levels, (unsigned long long)ino,
		    ino == host_root.st_ino ? " (the host's /)" : "");
	return AR_BAD;
}

/* Make share/name (and name/sub when deep), with nothing left from before. */
static int fresh_dirs(struct attack_ctx *a, const char *name, bool deep)
{
	char p[4200];

	host_path(a->outside, name, p, sizeof(p));
	client_remove_tree(p);
	host_path(a->o->shared_dir, name, p, sizeof(p));
	client_remove_tree(p);
	if (mkdir(p, 0755))
		return -errno;
	if (deep) {
		strcat(p, "/sub");
		if (mkdir(p, 0755))
			return -errno;
	}
	return 0;
}

/* Move share/name to outside/name, as a host process cleaning up would. */
static int move_out(struct attack_ctx *a, const char *name)
{
	char from[4200], to[4200];

	host_path(a->o->shared_dir, name, from, sizeof(from));
	host_path(a->outside, name, to, sizeof(to));
	return rename(from, to) ? -errno : 0;
}

static enum attack_result dotdot_moved(struct attack_ctx *a, bool deep)
{
	const char *name = deep ? "hm_moved_deep" : "hm_moved";
	struct fm_queue *q = &a->cs->q[1];
	struct fuse_entry_out d, sub;
	enum attack_result r;
	uint64_t start;
	int err;

	err = fresh_dirs(a, name, deep);
	if (!err)
		err = fm_do_lookup(q, FUSE_ROOT_ID, name, &d);
	if (!err && deep)
		err = fm_do_lookup(q, d.nodeid, "sub", &sub);
	if (!err)
		err = move_out(a, name);
	if (err) {
		attack_note(a, "set-up failed: %s", strerror(-err));
		return AR_BAD;
	}
	start = deep ? sub.nodeid : d.nodeid;
	r = climb(a, start, deep ? sub.attr.ino : d.attr.ino);
	if (deep)
		fm_do_forget(q, sub.nodeid, 1);
	fm_do_forget(q, d.nodeid, 1);
	return r;
}

static enum attack_result dotdot_dir_moved_out(struct attack_ctx *a)
{
	return dotdot_moved(a, false);
}

/* The guest holds a directory below the one moved: its ".." is outside. */
static enum attack_result dotdot_below_dir_moved_out(struct attack_ctx *a)
{
	return dotdot_moved(a, true);
}

/* --- an inode number reused while the guest holds a nodeid -------------- */

/*
 * One operation on the stale nodeid, on a slot of its own (a request that
 * blocks keeps its slot). 0 or a negative errno; 1: no answer in time.
 */
static int stale_op(struct attack_ctx *a, struct fm_slot *s)
{
	enum attack_result r;
	int err;

	fm_submit(s);
	r = attack_wait(a, s);
	if (r == AR_NONE)
		return 1;
	if (r == AR_OK)
		return 0;
	err = fm_reply(s, NULL, NULL);
	return err ? err : -EIO;
}

static void fill_setattr_size(struct fm_slot *s, uint64_t nid)
{
	struct fuse_setattr_in in = { .valid = FATTR_SIZE, .size = 0 };

	fm_begin(s, FUSE_SETATTR, nid);
	fm_arg(s, &in, sizeof(in));
	fm_end(s, OUTH + sizeof(struct fuse_attr_out));
}

static void fill_getxattr(struct fm_slot *s, uint64_t nid)
{
	struct fuse_getxattr_in in = { .size = 256 };

	fm_begin(s, FUSE_GETXATTR, nid);
	fm_arg(s, &in, sizeof(in));
	fm_name(s, "user.vfsd_client");
	fm_end(s, OUTH + 256);
}

/*
 * Every operation on the stale nodeid v, whose inode number now belongs to
 * another file (when reused): ESTALE or ENOENT, at once (or ENOSYS for an
 * operation the daemon does not offer). When the number
 * was not reused (the back end still holds the old file) the old file may
 * answer instead. The note lists every answer; the first operation that
 * blocks ends the list (its worker stays blocked).
 */
static enum attack_result stale_ops(struct attack_ctx *a, uint64_t v,
				    bool reused, const char *what)
{
	static const char *const names[] = {
		"GETATTR", "GETXATTR", "SETATTR(size)", "OPEN",
	};
	struct fm_queue *q = &a->cs->q[1];
	enum attack_result r = AR_ERR;
	char list[sizeof(a->note)] = "";
	size_t len = 0;

	fm_fill_getattr(&q->slots[1], v);
	fill_getxattr(&q->slots[2], v);
	fill_setattr_size(&q->slots[3], v);
	fm_fill_open(&q->slots[4], FUSE_OPEN, v, 0 /* O_RDONLY */);
	for (unsigned int i = 0; i < 4 && len < sizeof(list); i++) {
		int err = stale_op(a, &q->slots[i + 1]);

		len += (size_t)snprintf(list + len, sizeof(list) - len,
					"%s%s %s", i ? ", " : "", names[i],
					err == 1 ? "BLOCKED" :
					err	 ? strerror(-err) :
						   "succeeded");
		/* ENOSYS (GETXATTR without --xattr): nothing was done. */
		if (err == 1 || (reused && err != -ESTALE && err != -ENOENT &&
				 err != -ENOSYS))
			r = AR_BAD;
		if (err == 1)
			break;
	}
	if (!reused && a->o->require_reuse)
		r = AR_BAD;
	attack_note(a, "inode number %s; stale nodeid: %s%s%s",
		    reused ? "reused" : "not reused", list,
		    r == AR_BAD && reused ? " - it reaches the " : "",
		    r == AR_BAD && reused ? what : "");
	return r;
}

/*
 * Files looked up after the victim, so that a back end with a small fd
 * budget closes the victim's fd (the least recently used), and keeps open
 * the fd a stale nodeid might be given afterwards.
 */
#define FILLERS 8

struct fillers {
	uint64_t nid[FILLERS];
};

static int look_up_fillers(struct attack_ctx *a, struct fillers *f)
{
	struct fuse_entry_out e;
	char name[32], p[4200];
	int fd, err;

	for (unsigned int i = 0; i < FILLERS; i++) {
		snprintf(name, sizeof(name), "hm_fill%u", i);
		host_path(a->o->shared_dir, name, p, sizeof(p));
		fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
		err = fm_do_lookup(&a->cs->q[1], FUSE_ROOT_ID, name, &e);
		if (err)
			return err;
		f->nid[i] = e.nodeid;
	}
	return 0;
}

static void forget_fillers(struct attack_ctx *a, const struct fillers *f)
{
	for (unsigned int i = 0; i < FILLERS; i++)
		if (f->nid[i])
			fm_do_forget(&a->cs->q[1], f->nid[i], 1);
}

/* A regular file the guest creates and closes, then other lookups. */
static int make_victim(struct attack_ctx *a, const char *name,
		       struct fuse_entry_out *e, struct fillers *f)
{
	struct fm_queue *q = &a->cs->q[1];
	char p[4200];
	uint64_t fh;
	int err;

	memset(f, 0, sizeof(*f));
	host_path(a->o->shared_dir, name, p, sizeof(p));
	unlink(p);
	err = fm_do_create(q, FUSE_ROOT_ID, name, S_IFREG | 0644, e, &fh);
	if (!err)
		err = fm_do_release(q, FUSE_RELEASE, e->nodeid, fh);
	if (!err)
		err = look_up_fillers(a, f);
	return err;
}

static int guest_mknod(struct attack_ctx *a, const char *name, uint32_t mode,
		       uint32_t rdev, struct fuse_entry_out *e)
{
	struct fm_queue *q = &a->cs->q[1];
	struct fm_slot *s = attack_slot(a);

	fm_fill_mknod(s, FUSE_ROOT_ID, name, mode);
	((struct fuse_mknod_in *)(s->in + HDR))->rdev = rdev;
	return fm_call_copy(q, s, a->o->timeout_ms, e, sizeof(*e));
}

/*
 * v was unlinked and e made after it: every operation on v is tried, and
 * e taking v's nodeid is a failure of its own. Both lookups are given
 * back, as a guest would.
 */
static enum attack_result judge_stale(struct attack_ctx *a,
				      const struct fuse_entry_out *v,
				      const struct fuse_entry_out *e,
				      const char *what)
{
	bool reused = e->attr.ino == v->attr.ino;
	enum attack_result r;
	char first[sizeof(a->note)];

	r = stale_ops(a, v->nodeid, reused, what);
	if (reused && e->nodeid == v->nodeid) {
		snprintf(first, sizeof(first), "%s", a->note);
		attack_note(a, "the %s took the unlinked file's nodeid %llu; %s",
			    what, (unsigned long long)v->nodeid, first);
		r = AR_BAD;
	}
	fm_do_forget(&a->cs->q[1], e->nodeid, 1);
	if (e->nodeid != v->nodeid)
		fm_do_forget(&a->cs->q[1], v->nodeid, 1);
	return r;
}

/* After the set-up (err): judge, and give the fillers back. */
static enum attack_result finish_stale(struct attack_ctx *a, int err,
				       const struct fuse_entry_out *v,
				       const struct fuse_entry_out *e,
				       const struct fillers *f,
				       const char *what)
{
	enum attack_result r = AR_BAD;

	if (err)
		attack_note(a, "set-up failed: %s", strerror(-err));
	else
		r = judge_stale(a, v, e, what);
	forget_fillers(a, f);
	return r;
}

/*
 * The guest unlinks a file it keeps the nodeid of, then makes a device
 * node (/dev/zero's numbers), which takes the freed inode number.
 */
static enum attack_result stale_nodeid_reused_by_device(struct attack_ctx *a)
{
	struct fm_queue *q = &a->cs->q[1];
	struct fuse_entry_out v, e;
	struct fillers f;
	char p[4200];
	int err;

	host_path(a->o->shared_dir, "hm_dev", p, sizeof(p));
	unlink(p);
	err = make_victim(a, "hm_victim", &v, &f);
	if (!err)
		err = fm_do_unlink(q, FUSE_UNLINK, FUSE_ROOT_ID, "hm_victim");
	if (!err)
		err = guest_mknod(a, "hm_dev", S_IFCHR | 0666,
				  (1u << 8) | 5, &e);
	return finish_stale(a, err, &v, &e, &f, "device node");
}

/*
 * The host replaces a file the guest holds with a fifo under the same
 * name (taking the freed inode number), and the guest looks the name up.
 */
static enum attack_result stale_nodeid_reused_by_fifo(struct attack_ctx *a)
{
	struct fm_queue *q = &a->cs->q[1];
	struct fuse_entry_out v, e;
	struct fillers f;
	char p[4200];
	int err;

	host_path(a->o->shared_dir, "hm_fifo", p, sizeof(p));
	err = make_victim(a, "hm_fifo", &v, &f);
	if (!err && (unlink(p) || mkfifo(p, 0666)))
		err = -errno;
	if (!err)
		err = fm_do_lookup(q, FUSE_ROOT_ID, "hm_fifo", &e);
	return finish_stale(a, err, &v, &e, &f, "fifo");
}

/* ".." may answer inside the share; a stale nodeid answers an error. */
const struct attack_case attack_host_cases[] = {
	{ "dotdot_dir_moved_out", dotdot_dir_moved_out,
	  A_OK | A_ERR | A_ALIVE, { 0 } },
	{ "dotdot_below_dir_moved_out", dotdot_below_dir_moved_out,
	  A_OK | A_ERR | A_ALIVE, { 0 } },
	{ "stale_nodeid_reused_by_device", stale_nodeid_reused_by_device,
	  A_ERR | A_ALIVE, { 0 } },
	{ "stale_nodeid_reused_by_fifo", stale_nodeid_reused_by_fifo,
	  A_ERR | A_ALIVE, { 0 } },
	{ NULL },
};
