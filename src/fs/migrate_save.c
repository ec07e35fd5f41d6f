/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The source's half of a migration (fs/migrate.h): what the guest knows,
 * written as the FS, NODES and HANDLES sections of the state.
 *
 * Paths. By name (the default on a directory share) every inode knows its
 * directory and its name there, kept right by the guest's own changes: the
 * paths cost no system call, which keeps the downtime short. An inode
 * without one (the table keeps no names with one fd per inode or by file
 * handle, or the file was looked up by no name) is asked of the kernel:
 * /proc/self/fd/N of its fd names the file where it is now, host renames
 * included, and the path must lie in the share. Its components become
 * records of their own (directories known only as parents), shared with
 * every other path through them.
 *
 * What gets no path: an inode another file took the number of (stale on
 * the source already), one the guest unlinked or renamed another file
 * over, and everything below a directory without one. The destination
 * makes those stale, or loses them if they are open (fs/migrate.h).
 *
 * --migration-confirm-paths walks every path once more before it is sent,
 * as a lookup would, and compares the file found with the inode; a path
 * that leads elsewhere is replaced by the kernel's, or dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fs/inode_migrate.h"
#include "fs/migrate_int.h"
#include "fs/pt_internal.h"
#include "util/array.h"
#include "util/log.h"

/* Per inode of the snapshot: what the save adds to it. */
struct save_rec {
	char *proc;		/* path in the share from /proc, split in place */
	bool untracked;		/* do not use its tracked name */
	bool proc_failed;	/* nor the kernel's: it led elsewhere */
	struct file_handle *id;	/* an id taken now (take_ids()) */
	bool id_opens;		/* it is a handle, not an AT_HANDLE_FID id */
};

/* One NODES record as it will be written. */
struct out_rec {
	uint64_t nodeid, nlookup, dev, ino;
	uint32_t parent, mode;
	const struct file_handle *id;	/* borrowed, or NULL */
	bool id_opens;
	const char *name;		/* borrowed, or NULL */
	uint32_t snap;			/* its snapshot index, or MIG_NO_PARENT */
};

/* (parent record, name) -> record, for directories that paths go through. */
struct name_map {
	uint32_t *slot;		/* record index + 1; 0: empty */
	size_t mask;
	size_t count;
};

/* The table's key of a snapshot record, to find open files' inodes by. */
struct key_idx {
	uint64_t dev, ino, mnt;
	uint32_t k;
};

struct saver {
	struct pt_fs *fs;
	const struct pt_migrate_opts *o;
	struct inode_snap *snap;
	size_t n;
	struct save_rec *rec;
	uint32_t *oidx;		/* snapshot index -> record, or MIG_NO_PARENT */
	struct out_rec *out;
	size_t nout, cap;
	struct name_map names;
	char root_path[PATH_MAX];
	bool root_path_ok;
	uint64_t fsid;
	struct file_handle *root_id;
	bool root_id_opens;
	struct pt_handle **h;
	size_t nh;
	struct key_idx *keys;
	size_t nkeys;
};

/* Locks: refused while the guest holds any (none is ever dropped). */
static int locked_fd(void *arg, int fd)
{
	return mig_fd_locked(*(const int *)arg, fd);
}

static int check_locks(struct saver *s)
{
	int proc_fd = s->fs->proc_fd;
	size_t held = 0;

	for (size_t k = 0; k < s->nh; k++)
		held += mig_fd_locked(proc_fd, s->h[k]->fd);
	if (pt_locks_each_fd(s->fs, locked_fd, &proc_fd))
		held++;
	if (!held)
		return 0;
	log_err("migration refused: the guest holds locks (POSIX, OFD or "
		"flock) on its files, which vfsd does not carry to another "
		"daemon; the guest stays here until it releases them");
	return -EBUSY;
}

static uint64_t key_hash(uint32_t parent, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ parent;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 0x100000001b3ULL;
	return h;
}

static int names_init(struct name_map *m, size_t n)
{
	size_t cap = 64;

	while (cap < 2 * n + 2)
		cap *= 2;
	m->slot = calloc(cap, sizeof(*m->slot));
	m->mask = cap - 1;
	m->count = 0;
	return m->slot ? 0 : -ENOMEM;
}

/* The record of directory name in parent, or MIG_NO_PARENT. */
static uint32_t names_get(const struct saver *s, uint32_t parent,
			  const char *name)
{
	const struct name_map *m = &s->names;

	for (size_t k = key_hash(parent, name) & m->mask; m->slot[k];
	     k = (k + 1) & m->mask) {
		const struct out_rec *r = &s->out[m->slot[k] - 1];

		if (r->parent == parent && !strcmp(r->name, name))
			return m->slot[k] - 1;
	}
	return MIG_NO_PARENT;
}

static void names_insert(struct name_map *m, const struct out_rec *r,
			 uint32_t rec)
{
	size_t k;

	for (k = key_hash(r->parent, r->name) & m->mask; m->slot[k];
	     k = (k + 1) & m->mask)
		;
	m->slot[k] = rec + 1;
	m->count++;
}

static int names_put(struct saver *s, uint32_t rec)
{
	struct name_map *m = &s->names, bigger;

	if (2 * (m->count + 1) > m->mask + 1) {
		if (names_init(&bigger, m->mask + 1))
			return -ENOMEM;
		for (size_t k = 0; k <= m->mask; k++)
			if (m->slot[k])
				names_insert(&bigger, &s->out[m->slot[k] - 1],
					     m->slot[k] - 1);
		free(m->slot);
		*m = bigger;
	}
	names_insert(m, &s->out[rec], rec);
	return 0;
}

static int out_add(struct saver *s, const struct out_rec *r, uint32_t *at)
{
	if (s->nout >= MIG_NO_PARENT - 1 ||
	    array_room((void **)&s->out, s->nout, &s->cap, sizeof(*s->out),
		       256))
		return -ENOMEM;
	s->out[s->nout] = *r;
	*at = (uint32_t)s->nout++;
	/* Directories with a path: what other paths may go through. */
	if (r->mode == S_IFDIR && r->name &&
	    names_get(s, r->parent, r->name) == MIG_NO_PARENT)
		return names_put(s, *at);
	return 0;
}

/* Has record rec a path, so that names below it can be found? */
static bool findable(const struct saver *s, uint32_t rec)
{
	return rec == 0 || (rec != MIG_NO_PARENT && s->out[rec].name);
}

/* The record below which a /proc path's last component lies. */
static int proc_parent(struct saver *s, char *path, const char **last,
		       uint32_t *parent)
{
	uint32_t cur = 0;
	char *c = path, *slash;

	while ((slash = strchr(c, '/'))) {
		struct out_rec d = { .parent = cur, .mode = S_IFDIR, .name = c,
				     .snap = MIG_NO_PARENT };
		uint32_t at;
		int err;

		*slash = 0;
		at = names_get(s, cur, c);
		if (at == MIG_NO_PARENT) {
			err = out_add(s, &d, &at);
			if (err)
				return err;
		}
		cur = at;
		c = slash + 1;
	}
	*last = c;
	*parent = cur;
	return 0;
}

/* Snapshot record k as a NODES record, its path as chosen. */
static int place(struct saver *s, size_t k)
{
	const struct inode_snap *i = &s->snap[k];
	struct save_rec *x = &s->rec[k];
	struct out_rec r = {
		.nodeid = i->nodeid, .nlookup = i->nlookup, .dev = i->dev,
		.ino = i->ino_nr, .parent = MIG_NO_PARENT, .mode = i->type,
		.id = x->id ? x->id : i->id,
		.id_opens = x->id ? x->id_opens : i->id_opens,
		.snap = (uint32_t)k,
	};
	bool stale = i->nodeid && !i->keyed;
	uint32_t p = i->parent;
	int err;

	if (stale) {
		/* Gone on the source already: nothing to find it by. */
		r.id = NULL;
	} else if (k == 0) {
		r.id = NULL;	/* the FS section carries the root's */
	} else if (i->name && !x->untracked && p != INODE_SNAP_NONE &&
		   findable(s, s->oidx[p])) {
		r.parent = s->oidx[p];
		r.name = i->name;
	} else if (x->proc) {
		err = proc_parent(s, x->proc, &r.name, &r.parent);
		if (err)
			return err;
		if (!*r.name) {	/* the root itself, by another nodeid */
			r.name = NULL;
			r.parent = MIG_NO_PARENT;
		}
	}
	if (i->nodeid == 0 && !r.name)
		return 0;	/* a parent of nothing findable */
	return out_add(s, &r, &s->oidx[k]);
}

static int layout(struct saver *s)
{
	int err = 0;

	s->nout = 0;
	free(s->names.slot);
	err = names_init(&s->names, s->n);
	for (size_t k = 0; k < s->n && !err; k++)
		s->oidx[k] = MIG_NO_PARENT;
	for (size_t k = 0; k < s->n && !err; k++)
		err = place(s, k);
	return err;
}

/*
 * An fd of snapshot record k to ask the kernel about: its own if open
 * (*temp false), else one opened by handle (*temp true), else -1.
 */
static int snap_fd(struct saver *s, size_t k, bool *temp)
{
	const struct inode_snap *i = &s->snap[k];
	int fd;

	*temp = false;
	if (i->fd_open)
		return i->ino->fd;
	if (!i->id_opens || !i->ino->by_handle)
		return -1;
	if (inode_snap_open_handle(&s->fs->inodes, i, &fd))
		return -1;
	*temp = true;
	return fd;
}

/* The share's own path as /proc shows it, to take off every other one. */
static void root_path(struct saver *s)
{
	struct pt_fdname n;
	ssize_t len;

	pt_fd_name(s->fs->root->fd, &n);
	len = readlinkat(s->fs->proc_fd, n.s, s->root_path,
			 sizeof(s->root_path) - 1);
	s->root_path_ok = len > 0 && s->root_path[0] == '/';
	if (s->root_path_ok) {
		s->root_path[len] = 0;
		/* "/" and "/a" both end up as a prefix without its slash. */
		if (len == 1)
			s->root_path[0] = 0;
	}
}

/* Is every component of rel one a lookup could have opened? */
static bool rel_plain(const char *rel)
{
	while (*rel) {
		const char *end = strchrnul(rel, '/');
		size_t n = (size_t)(end - rel);

		if (n == 0 || n > MIG_NAME_MAX || (n == 1 && rel[0] == '.') ||
		    (n == 2 && rel[0] == '.' && rel[1] == '.'))
			return false;
		if (!*end)
			return true;
		rel = end + 1;
		if (!*rel)
			return false;	/* a trailing slash */
	}
	return true;	/* "": the share itself */
}

/* fd's path relative to the share, or NULL if it has none there. */
static char *proc_path(struct saver *s, int fd)
{
	char buf[PATH_MAX];
	size_t rlen = strlen(s->root_path);
	struct pt_fdname n;
	struct stat st;
	uint64_t mnt;
	ssize_t len;
	char *rel;

	pt_fd_name(fd, &n);
	len = readlinkat(s->fs->proc_fd, n.s, buf, sizeof(buf) - 1);
	/* An unlinked file: "... (deleted)", and no name leads to it. */
	if (len <= 0 || pt_statx(fd, &st, &mnt) || st.st_nlink == 0)
		return NULL;
	buf[len] = 0;
	if (strncmp(buf, s->root_path, rlen) ||
	    (buf[rlen] != '/' && buf[rlen] != 0))
		return NULL;
	rel = buf + rlen + (buf[rlen] == '/');
	return rel_plain(rel) ? strdup(rel) : NULL;
}

/* Does snapshot record k need a path the table does not keep? */
static bool wants_proc_path(const struct saver *s, size_t k)
{
	const struct inode_snap *i = &s->snap[k];

	if (k == 0 || !i->nodeid || !i->keyed)
		return false;
	if (i->name && !s->rec[k].untracked)
		return false;
	/* By file handle the handle finds it; a path only if none opens. */
	return s->o->mode == PT_MIGRATE_FIND_PATHS ||
	       !(i->id_opens || s->rec[k].id);
}

static int take_proc_paths(struct saver *s)
{
	if (!s->root_path_ok)
		return 0;
	for (size_t k = 0; k < s->n; k++) {
		bool temp;
		int fd;

		if (!wants_proc_path(s, k) || s->rec[k].proc ||
		    s->rec[k].proc_failed)
			continue;
		fd = snap_fd(s, k, &temp);
		if (fd < 0)
			continue;
		s->rec[k].proc = proc_path(s, fd);
		if (temp)
			close(fd);
	}
	return 0;
}

/*
 * An id for every inode the table keeps none for (one fd per inode, or a
 * filesystem that gave none): the destination compares it with what the
 * path leads to there, so a file replaced meanwhile is not taken for the
 * guest's; in file-handles mode a handle to open it by, where the table
 * has only an AT_HANDLE_FID id.
 */
static void take_ids(struct saver *s)
{
	bool handles = s->o->mode == PT_MIGRATE_FILE_HANDLES;

	for (size_t k = 1; k < s->n; k++) {
		const struct inode_snap *i = &s->snap[k];
		struct save_rec *x = &s->rec[k];
		bool temp;
		int fd;

		if (!i->nodeid || !i->keyed || i->id_opens ||
		    (i->id && !handles))
			continue;
		fd = snap_fd(s, k, &temp);
		if (fd < 0)
			continue;
		if (!ifh_id(fd, false, &x->id))
			x->id_opens = true;
		else if (handles || ifh_id(fd, true, &x->id))
			x->id = NULL;
		if (temp)
			close(fd);
	}
}

/* The confirmation walk: is each path's file still the inode's? */
struct confirm {
	struct saver *s;
	size_t bad;
};

static uint32_t out_parent(void *arg, size_t i)
{
	return ((struct confirm *)arg)->s->out[i].parent;
}

static bool out_name(void *arg, size_t i, char *buf)
{
	const struct out_rec *r = &((struct confirm *)arg)->s->out[i];

	if (!r->name)
		return false;
	memcpy(buf, r->name, strlen(r->name) + 1);
	return true;
}

static enum mig_visit confirm_visit(void *arg, size_t i, int fd, int err,
				    const struct stat *st, uint64_t mnt_id)
{
	struct confirm *c = arg;
	const struct out_rec *r = &c->s->out[i];
	bool same;

	(void)fd;
	(void)mnt_id;
	if (i == 0 || !r->name)
		return err ? MIG_SKIP : MIG_KEEP;
	same = !err && (st->st_mode & S_IFMT) == r->mode &&
	       (r->snap == MIG_NO_PARENT ||
		(st->st_dev == r->dev && st->st_ino == r->ino));
	/*
	 * Only a name that itself leads elsewhere: below a directory that
	 * moved, the names stay right once the directory has its new path.
	 */
	if (!same && err != MIG_WALK_NO_PARENT && r->snap != MIG_NO_PARENT) {
		struct save_rec *x = &c->s->rec[r->snap];

		if (x->proc) {
			free(x->proc);
			x->proc = NULL;
			x->proc_failed = true;
		}
		x->untracked = true;
		c->bad++;
	}
	return same ? MIG_KEEP : MIG_SKIP;
}

static int confirm_paths(struct saver *s)
{
	const struct mig_walk_ops ops = { out_parent, out_name, confirm_visit };
	struct confirm c = { .s = s };
	int err;

	err = mig_walk(s->nout, s->fs->root->fd, &ops, &c);
	if (err || !c.bad)
		return err;
	log_info("migration: %zu paths no longer lead to their files; asking "
		 "the kernel for theirs", c.bad);
	err = take_proc_paths(s);
	return err ? err : layout(s);
}

static void root_info(struct saver *s)
{
	struct statfs sf;
	int fd = s->fs->root->fd;

	if (!fstatfs(fd, &sf)) {
		uint32_t v[2];

		memcpy(v, &sf.f_fsid, sizeof(v));
		s->fsid = (uint64_t)v[0] | (uint64_t)v[1] << 32;
	}
	if (!ifh_id(fd, false, &s->root_id))
		s->root_id_opens = true;
	else if (ifh_id(fd, true, &s->root_id))
		s->root_id = NULL;
	root_path(s);
}

static void put_id(struct wbuf *b, const struct file_handle *id)
{
	wbuf_u32(b, id ? (uint32_t)id->handle_type : 0);
}

static void write_fs(struct saver *s, struct wbuf *b)
{
	const struct file_handle *id = s->root_id;
	uint16_t id_len = id && id->handle_bytes <= MIG_ID_MAX ?
				  (uint16_t)id->handle_bytes : 0;
	size_t mark = state_section_begin(b, STATE_SEC_FS, 0);

	wbuf_u32(b, s->o->mode);
	wbuf_u32(b, s->o->verify_handles ? MIG_FS_VERIFY : 0);
	wbuf_u64(b, s->fs->inodes.next_id);
	wbuf_u64(b, s->fs->handles.next_fh);
	wbuf_u64(b, s->fsid);
	wbuf_u16(b, id_len);
	wbuf_u16(b, s->root_id_opens);
	put_id(b, id_len ? id : NULL);
	if (id_len)
		wbuf_put(b, id->f_handle, id_len);
	state_section_end(b, mark);
}

static void write_node(struct wbuf *b, const struct out_rec *r)
{
	const struct file_handle *id = r->id;
	uint16_t id_len = id && id->handle_bytes <= MIG_ID_MAX ?
				  (uint16_t)id->handle_bytes : 0;
	uint16_t name_len = r->name ? (uint16_t)strlen(r->name) : 0;

	wbuf_u64(b, r->nodeid);
	wbuf_u64(b, r->nlookup);
	wbuf_u32(b, r->parent);
	wbuf_u32(b, r->mode);
	wbuf_u32(b, id_len && r->id_opens ? MIG_NODE_OPENABLE : 0);
	put_id(b, id_len ? id : NULL);
	wbuf_u16(b, id_len);
	wbuf_u16(b, name_len);
	wbuf_put(b, r->name, name_len);
	if (id_len)
		wbuf_put(b, id->f_handle, id_len);
}

static void write_nodes(struct saver *s, struct wbuf *b)
{
	size_t mark = state_section_begin(b, STATE_SEC_NODES, 0);

	wbuf_u64(b, s->nout);
	for (size_t k = 0; k < s->nout; k++)
		write_node(b, &s->out[k]);
	state_section_end(b, mark);
}

static int cmp_key(const void *a, const void *b)
{
	const struct key_idx *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->mnt < y->mnt ? -1 : x->mnt > y->mnt;
}

static int index_keys(struct saver *s)
{
	s->keys = malloc((s->n ? s->n : 1) * sizeof(*s->keys));
	if (!s->keys)
		return -ENOMEM;
	for (size_t k = 1; k < s->n; k++) {
		const struct inode_snap *i = &s->snap[k];

		if (i->nodeid && i->keyed)
			s->keys[s->nkeys++] = (struct key_idx){
				i->dev, i->ino_nr, i->mnt_id, (uint32_t)k };
	}
	qsort(s->keys, s->nkeys, sizeof(*s->keys), cmp_key);
	return 0;
}

/* Snapshot record of an open file's fd, by the table's key; or NONE. */
static uint32_t handle_node(const struct saver *s, int fd)
{
	bool by_handle = s->fs->inodes.reopen == INODE_BY_HANDLE;
	struct key_idx key = { 0 };
	const struct key_idx *at;
	struct stat st;
	uint64_t mnt;

	if (pt_statx(fd, &st, &mnt))
		return MIG_NO_PARENT;
	key.dev = st.st_dev;
	key.ino = st.st_ino;
	key.mnt = by_handle ? mnt : 0;
	at = bsearch(&key, s->keys, s->nkeys, sizeof(key), cmp_key);
	return at ? at->k : MIG_NO_PARENT;
}

static void write_handle(struct saver *s, struct wbuf *b,
			 struct pt_handle *h, size_t *dropped)
{
	uint32_t k = handle_node(s, h->fd);
	uint64_t cookie = 0;
	int fl;

	fl = fcntl(h->fd, F_GETFL);
	if (k == MIG_NO_PARENT || fl < 0) {
		/* A guest that forgot the nodeid of a file it has open. */
		(*dropped)++;
		return;
	}
	if (h->kind == HANDLE_DIR) {
		pthread_mutex_lock(&h->dir_lock);
		cookie = h->dir.cookie;
		pthread_mutex_unlock(&h->dir_lock);
		fl = O_RDONLY;
	}
	wbuf_u64(b, h->fh);
	wbuf_u64(b, s->snap[k].nodeid);
	wbuf_u32(b, h->kind == HANDLE_DIR ? MIG_DIR : MIG_FILE);
	wbuf_u32(b, (uint32_t)fl & (uint32_t)MIG_OPEN_FLAGS);
	wbuf_u64(b, cookie > INT64_MAX ? 0 : cookie);
}

static void write_handles(struct saver *s, struct wbuf *b)
{
	size_t mark = state_section_begin(b, STATE_SEC_HANDLES, 0);
	size_t count_at = b->len, dropped = 0;

	wbuf_u64(b, s->nh);
	for (size_t k = 0; k < s->nh; k++)
		write_handle(s, b, s->h[k], &dropped);
	wbuf_patch_u64(b, count_at, s->nh - dropped);
	if (dropped)
		log_warn("migration: %zu open files of nodeids the guest "
			 "forgot are not carried", dropped);
	state_section_end(b, mark);
}

static void saver_free(struct saver *s)
{
	for (size_t k = 0; s->rec && k < s->n; k++) {
		free(s->rec[k].proc);
		free(s->rec[k].id);
	}
	free(s->rec);
	free(s->oidx);
	free(s->out);
	free(s->names.slot);
	free(s->root_id);
	free(s->keys);
	for (size_t k = 0; k < s->nh; k++)
		handle_put(&s->fs->handles, s->h[k]);
	free(s->h);
	inode_snapshot_free(&s->fs->inodes, s->snap, s->n);
}

static int collect(struct saver *s)
{
	int err = handle_snapshot(&s->fs->handles, &s->h, &s->nh);

	if (!err)
		err = check_locks(s);
	if (!err)
		err = inode_snapshot(&s->fs->inodes, &s->snap, &s->n);
	if (err)
		return err;
	s->rec = calloc(s->n, sizeof(*s->rec));
	s->oidx = calloc(s->n, sizeof(*s->oidx));
	if (!s->rec || !s->oidx)
		return -ENOMEM;
	root_info(s);
	take_ids(s);
	err = take_proc_paths(s);
	if (!err)
		err = layout(s);
	if (!err && s->o->confirm_paths)
		err = confirm_paths(s);
	return err ? err : index_keys(s);
}

int pt_state_save(struct pt_fs *fs, const struct pt_migrate_opts *o,
		  struct wbuf *b)
{
	uint64_t t0 = mig_now_us();
	struct saver s = { .fs = fs, .o = o };
	int err = collect(&s);

	if (!err) {
		write_fs(&s, b);
		write_nodes(&s, b);
		write_handles(&s, b);
		log_info("migration: %zu inodes (%zu records), %zu open files "
			 "and directories saved in %llu ms", s.n, s.nout, s.nh,
			 (unsigned long long)(mig_now_us() - t0) / 1000);
	}
	saver_free(&s);
	return err;
}
