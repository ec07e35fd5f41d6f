/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fs/inode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/inode_int.h"
#include "fs/vfs_ops.h"
#include "util/compiler.h"
#include "util/log.h"

static uint64_t key_of(dev_t dev, ino_t ino)
{
	return (uint64_t)ino ^ ((uint64_t)dev * 0x9e3779b97f4a7c15ULL);
}

struct pt_inode *inode_find_key_locked(const struct inode_table *t,
				       dev_t dev, ino_t ino, uint64_t mnt_id)
{
	uint64_t key = key_of(dev, ino);
	struct htab_node *n;

	for (n = htab_first(&t->keys, key); n; n = htab_next(n, key)) {
		struct pt_inode *i = container_of(n, struct pt_inode, by_key);

		if (i->dev == dev && i->ino == ino && i->mnt_id == mnt_id)
			return i;
	}
	return NULL;
}

static struct pt_inode *find_id(const struct inode_table *t, uint64_t nodeid)
{
	struct htab_node *n = htab_first(&t->ids, nodeid);

	return n ? container_of(n, struct pt_inode, by_id) : NULL;
}

static void lru_remove(struct inode_table *t, struct pt_inode *i)
{
	if (!i->on_lru)
		return;
	if (i->lru_prev)
		i->lru_prev->lru_next = i->lru_next;
	else
		t->lru_head = i->lru_next;
	if (i->lru_next)
		i->lru_next->lru_prev = i->lru_prev;
	else
		t->lru_tail = i->lru_prev;
	i->lru_prev = i->lru_next = NULL;
	i->on_lru = false;
	t->stats.idle--;
}

static void lru_append(struct inode_table *t, struct pt_inode *i)
{
	i->lru_prev = t->lru_tail;
	i->lru_next = NULL;
	if (t->lru_tail)
		t->lru_tail->lru_next = i;
	else
		t->lru_head = i;
	t->lru_tail = i;
	i->on_lru = true;
	t->stats.idle++;
}

void inode_hold_locked(struct inode_table *t, struct pt_inode *i)
{
	/* refs counts running operations: bounded by the thread count. */
	i->refs++;
	lru_remove(t, i);
}

/* Take the oldest idle inode's fd out, to close after unlocking. */
static void evict_one_locked(struct inode_table *t, struct inode_later *l)
{
	struct pt_inode *i = t->lru_head;

	lru_remove(t, i);
	l->fds[l->n++] = i->fd;
	i->fd = -1;
	t->stats.fds--;
	t->stats.closed++;
}

/* Close the oldest idle fds while over the budget (after unlocking). */
static void evict_locked(struct inode_table *t, struct inode_later *l)
{
	while (t->stats.budget && t->stats.fds > t->stats.budget &&
	       t->lru_head && l->n < INODE_EVICT_BATCH)
		evict_one_locked(t, l);
}

/*
 * May i's fd be closed now? Only if nothing uses it (no reference, no open
 * file of the guest's) and i can be found again: by its handle, or by name
 * with an id to check what the name leads to. A forgotten inode counts
 * while other inodes name it as their directory.
 */
static bool closable(const struct pt_inode *i)
{
	if (i->pinned || i->buried || i->fd < 0 || i->refs || i->opens ||
	    !i->fh)
		return false;
	if (!i->hashed && !i->kids)
		return false;
	return i->by_handle || i->parent;
}

void inode_lru_update_locked(struct inode_table *t, struct pt_inode *i,
			     struct inode_later *l)
{
	bool want = closable(i);

	if (want && !i->on_lru)
		lru_append(t, i);
	else if (!want && i->on_lru)
		lru_remove(t, i);
	evict_locked(t, l);
}

bool inode_adopt_locked(struct inode_table *t, struct pt_inode *i, int fd,
			struct inode_later *l)
{
	if (i->fd >= 0)
		return false;
	i->fd = fd;
	t->stats.fds++;
	inode_lru_update_locked(t, i, l);
	return true;
}

static bool is_dead(const struct pt_inode *i)
{
	return !i->hashed && !i->refs && !i->kids && !i->pinned && !i->buried;
}

/*
 * i is dead: out of the books, onto the list to free after unlocking; its
 * directory may be dead now too (a forgotten one kept for its kids).
 */
static void bury_locked(struct inode_table *t, struct pt_inode *i,
			struct inode_later *l)
{
	while (i) {
		struct pt_inode *p = i->parent;

		lru_remove(t, i);
		if (i->fd >= 0)
			t->stats.fds--;
		if (!i->fh && !i->pinned && t->reopen != INODE_KEEP_FDS)
			t->stats.no_id--;
		i->buried = true;
		i->parent = NULL;
		i->lru_next = l->dead;
		l->dead = i;
		i = NULL;
		if (p) {
			p->kids--;
			if (is_dead(p))
				i = p;
		}
	}
}

/*
 * A copy of i's id with name after it, or NULL. The id is read under the
 * lock by name (it moves with every new name), so its users hold it.
 */
static struct file_handle *id_with_name(const struct file_handle *fh,
					const char *name)
{
	size_t idlen = sizeof(*fh) + fh->handle_bytes;
	size_t len = strlen(name) + 1;
	struct file_handle *n = malloc(idlen + len);

	if (n) {
		memcpy(n, fh, idlen);
		memcpy((char *)n + idlen, name, len);
	}
	return n;
}

bool inode_set_parent_locked(struct inode_table *t, struct pt_inode *i,
			     struct pt_inode *parent, const char *name,
			     struct inode_later *l)
{
	struct pt_inode *old = i->parent;

	if (parent) {
		struct file_handle *n = id_with_name(i->fh, name);

		if (!n)
			return false;
		free(i->fh);
		i->fh = n;
		i->name = (char *)n + sizeof(*n) + n->handle_bytes;
	} else {
		/* The name's bytes stay in the id's allocation, unused. */
		i->name = NULL;
	}
	i->parent = parent;
	if (parent)
		parent->kids++;
	if (old) {
		old->kids--;
		if (is_dead(old))
			bury_locked(t, old, l);
	}
	if (!i->refs)
		inode_lru_update_locked(t, i, l);
	return true;
}

/* Another file holds i's inode number: lookups must not find i any more. */
static void unkey(struct inode_table *t, struct pt_inode *i)
{
	if (!i->keyed)
		return;
	htab_remove(&t->keys, &i->by_key);
	i->keyed = false;
}

static void unhash(struct inode_table *t, struct pt_inode *i)
{
	htab_remove(&t->ids, &i->by_id);
	unkey(t, i);
	i->hashed = false;
}

static void inode_free(struct pt_inode *i)
{
	if (i->fd >= 0 && close(i->fd))
		log_warn("close inode %llu fd: %d",
			 (unsigned long long)i->nodeid, errno);
	free(i->fh);
	free(i);
}

void inode_later_run(struct inode_later *l)
{
	struct pt_inode *i, *next;

	for (unsigned int k = 0; k < l->n; k++)
		if (close(l->fds[k]))
			log_warn("close idle inode fd: %d", errno);
	l->n = 0;
	for (i = l->dead; i; i = next) {
		next = i->lru_next;
		inode_free(i);
	}
	l->dead = NULL;
}

int inode_table_init(struct inode_table *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	err = -pthread_mutex_init(&t->lock, NULL);
	if (err)
		return err;
	err = htab_init(&t->ids);
	if (err)
		goto fail_ids;
	err = htab_init(&t->keys);
	if (err)
		goto fail_keys;
	t->next_id = VFS_ROOT_ID + 1;
	t->fh_mode = INODE_FH_NEVER;
	t->reopen = INODE_KEEP_FDS;
	return 0;
fail_keys:
	htab_fini(&t->ids);
fail_ids:
	pthread_mutex_destroy(&t->lock);
	return err;
}

void inode_table_config(struct inode_table *t, enum inode_fh_mode mode,
			uint64_t fd_budget)
{
	pthread_mutex_lock(&t->lock);
	t->fh_mode = mode;
	t->stats.budget = fd_budget;
	if (!fd_budget)
		t->reopen = INODE_KEEP_FDS;
	else if (mode == INODE_FH_NEVER)
		t->reopen = INODE_BY_NAME;
	else
		t->reopen = INODE_BY_HANDLE;
	pthread_mutex_unlock(&t->lock);
}

const char *inode_reopen_name(enum inode_reopen r)
{
	switch (r) {
	case INODE_BY_HANDLE:
		return "by file handle";
	case INODE_BY_NAME:
		return "by name";
	case INODE_KEEP_FDS:
		break;
	}
	return "one fd per inode";
}

void inode_table_fini(struct inode_table *t)
{
	struct htab_node *n, *next;

	inode_forget_all(t);
	/* Only the root is left, and no operation runs any more. */
	for (n = htab_take_all(&t->ids); n; n = next) {
		next = n->next;
		inode_free(container_of(n, struct pt_inode, by_id));
	}
	ifh_mounts_fini(&t->mounts);
	htab_fini(&t->ids);
	htab_fini(&t->keys);
	pthread_mutex_destroy(&t->lock);
}

/* What insert_locked() did with the caller's fd. */
enum insert_fd {
	FD_TAKEN,	/* a new inode owns it, or one whose fd was closed */
	FD_SPARE,	/* the inode had an fd: the caller closes this one */
};

/*
 * Is the file behind (st, fh) the one inode i names? Same key already. A
 * file never changes its type, so another type is another file. While i's
 * fd is open it pins its file and nothing else can have the key; once it
 * is closed the number may have been reused, and the id, whose generation
 * tells the files apart, must match too (*checked: the caller took the
 * file's id, or found it could not; without one, it cannot be told and is
 * not the same). EAGAIN: take the id and ask again.
 */
static int same_file(const struct pt_inode *i, const struct stat *st,
		     bool checked, const struct file_handle *fh)
{
	if (i->type != (st->st_mode & S_IFMT))
		return -ESTALE;
	if (i->fd >= 0)
		return 0;
	if (!checked)
		return -EAGAIN;
	return ifh_same(i->fh, fh) ? 0 : -ESTALE;
}

struct pt_inode *inode_new_locked(struct inode_table *t, int fd,
				  const struct stat *st, uint64_t mnt_id,
				  uint64_t nodeid, struct inode_id *id,
				  unsigned int how)
{
	struct pt_inode *i = calloc(1, sizeof(*i));

	if (!i)
		return NULL;
	i->nodeid = nodeid;
	i->dev = st->st_dev;
	i->ino = st->st_ino;
	i->mnt_id = (uint32_t)mnt_id;
	i->fd = fd;
	i->type = st->st_mode & S_IFMT;
	i->fh = id->fh;
	i->by_handle = id->by_handle;
	i->fid = id->fid;
	id->fh = NULL;
	i->nlookup = 1;
	i->refs = 1;
	i->pinned = nodeid == VFS_ROOT_ID;
	if (!(how & INODE_NEW_UNHASHED)) {
		i->hashed = true;
		htab_insert(&t->ids, &i->by_id, nodeid);
	}
	if (!(how & (INODE_NEW_UNHASHED | INODE_NEW_UNKEYED))) {
		i->keyed = true;
		htab_insert(&t->keys, &i->by_key, key_of(i->dev, i->ino));
	}
	if (fd >= 0)
		t->stats.fds++;
	if (!i->fh && !i->pinned && t->reopen != INODE_KEEP_FDS)
		t->stats.no_id++;
	return i;
}

/* A known inode looked up once more: one lookup and one reference more. */
static int lookup_known_locked(struct inode_table *t, struct pt_inode *i,
			       int fd, const struct inode_at *at,
			       enum insert_fd *what, struct inode_later *l)
{
	if (i->nlookup == UINT64_MAX || i->refs == UINT32_MAX)
		return -EOVERFLOW;
	i->nlookup++;
	inode_hold_locked(t, i);
	/* Closed for the budget: this fd saves a reopen. */
	*what = inode_adopt_locked(t, i, fd, l) ? FD_TAKEN : FD_SPARE;
	if (at)
		iname_seen_locked(t, i, at, l);
	return 0;
}

/*
 * The inode for (st, mnt_id): the known one (given fd if its own was
 * closed), or a new one owning fd and id->fh. checked: see same_file().
 */
static int insert_locked(struct inode_table *t, int fd, const struct stat *st,
			 uint64_t mnt_id, uint64_t nodeid, bool checked,
			 struct inode_id *id, const struct inode_at *at,
			 struct pt_inode **out, enum insert_fd *what,
			 struct inode_later *l)
{
	struct pt_inode *i = inode_find_key_locked(t, st->st_dev, st->st_ino,
						   mnt_id);
	int err = i ? same_file(i, st, checked, id->fh) : 0;

	if (err == -EAGAIN)
		return -EAGAIN;
	if (err) {
		/* Its file is gone; the nodeid stays, and answers ESTALE. */
		unkey(t, i);
		i = NULL;
	}
	if (i) {
		err = lookup_known_locked(t, i, fd, at, what, l);
		if (!err)
			*out = i;
		return err;
	}
	if (!nodeid) {
		/* 2^64 lookups of new files: unreachable, but never wrap. */
		if (t->next_id == UINT64_MAX)
			return -EOVERFLOW;
		nodeid = t->next_id++;
	}
	i = inode_new_locked(t, fd, st, mnt_id, nodeid, id, 0);
	if (!i)
		return -ENOMEM;
	if (at)
		iname_seen_locked(t, i, at, l);
	*what = FD_TAKEN;
	*out = i;
	return 0;
}

int inode_insert_at(struct inode_table *t, int fd, const struct stat *st,
		    uint64_t mnt_id, const struct inode_at *at,
		    struct pt_inode **out)
{
	struct inode_id id = { 0 };
	struct inode_later l = { 0 };
	enum insert_fd what = FD_SPARE;
	bool checked = false;
	int err;

	if (t->reopen != INODE_BY_HANDLE)
		mnt_id = 0;
	if (t->reopen != INODE_KEEP_FDS && inode_needs_id(t, st, mnt_id))
		checked = true;
	if (at && (!at->dir || !at->name || t->reopen == INODE_KEEP_FDS))
		at = NULL;
	for (;;) {
		/*
		 * Looking up a known file whose fd is open costs no more than
		 * without ids. Two racing lookups of a new file both take
		 * one; the loser's is freed below.
		 */
		if (checked && !id.fh) {
			err = inode_take_id(t, fd, st, mnt_id, &id);
			if (err && t->fh_mode == INODE_FH_MANDATORY)
				return err;
		}
		pthread_mutex_lock(&t->lock);
		err = insert_locked(t, fd, st, mnt_id, 0, checked, &id, at, out,
				    &what, &l);
		if (err != -EAGAIN)
			break;
		/* Its fd was closed since inode_needs_id(): once more, with one. */
		pthread_mutex_unlock(&t->lock);
		checked = true;
	}
	evict_locked(t, &l);
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
	free(id.fh);
	if (!err && what == FD_SPARE && close(fd))
		log_warn("close duplicate inode fd: %d", errno);
	return err;
}

int inode_insert(struct inode_table *t, int fd, const struct stat *st,
		 uint64_t mnt_id, struct pt_inode **out)
{
	return inode_insert_at(t, fd, st, mnt_id, NULL, out);
}

int inode_insert_root(struct inode_table *t, int fd, const struct stat *st,
		      uint64_t mnt_id, struct pt_inode **out)
{
	struct inode_id id = { 0 };
	struct inode_later l = { 0 };
	enum insert_fd what = FD_SPARE;
	int err;

	if (t->reopen != INODE_BY_HANDLE)
		mnt_id = 0;
	else if (inode_ensure_mount(t, fd, st->st_mode & S_IFMT, mnt_id))
		log_debug("no mount fd for the root's mount yet");
	pthread_mutex_lock(&t->lock);
	if (find_id(t, VFS_ROOT_ID))
		err = -EEXIST;
	else
		err = insert_locked(t, fd, st, mnt_id, VFS_ROOT_ID, true, &id,
				    NULL, out, &what, &l);
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
	return err;
}

unsigned int inode_shed(struct inode_table *t, unsigned int n)
{
	struct inode_later l = { 0 };
	unsigned int done = 0;

	while (done < n) {
		pthread_mutex_lock(&t->lock);
		while (t->lru_head && l.n < INODE_EVICT_BATCH && done < n) {
			evict_one_locked(t, &l);
			done++;
		}
		pthread_mutex_unlock(&t->lock);
		if (!l.n)
			break;
		inode_later_run(&l);
	}
	return done;
}

int inode_fd_error(struct inode_table *t, int err)
{
	struct inode_fd_stats s;
	bool first;

	if (!inode_out_of_fds(err))
		return err;
	pthread_mutex_lock(&t->lock);
	first = !t->told_out_of_fds;
	t->told_out_of_fds = true;
	s = t->stats;
	pthread_mutex_unlock(&t->lock);
	if (!first)
		return err;
	if (t->reopen == INODE_KEEP_FDS)
		log_warn("out of file descriptors (%s) with one fd per inode "
			 "(%llu open): the guest knows more files than "
			 "RLIMIT_NOFILE allows; leave out "
			 "--inode-fd-budget=unlimited (inode fds are then "
			 "bounded), or raise --rlimit-nofile",
			 strerror(-err), (unsigned long long)s.fds);
	else
		log_warn("out of file descriptors (%s): %llu inode fds open "
			 "(budget %llu, %llu of them of files whose filesystem "
			 "gives no file id, so kept), besides the guest's open "
			 "files and directories; raise --rlimit-nofile, lower "
			 "--max-open-handles%s",
			 strerror(-err), (unsigned long long)s.fds,
			 (unsigned long long)s.budget,
			 (unsigned long long)s.no_id,
			 s.no_id ? ", or give that filesystem file ids "
				   "(overlayfs: nfs_export=on, or Linux 6.5 "
				   "or later)" :
				   "");
	return err;
}

int inode_get(struct inode_table *t, uint64_t nodeid, struct pt_inode **out)
{
	struct pt_inode *i;
	bool open;
	int err;

	pthread_mutex_lock(&t->lock);
	i = find_id(t, nodeid);
	if (!i) {
		pthread_mutex_unlock(&t->lock);
		return -ESTALE;
	}
	inode_hold_locked(t, i);
	open = i->fd >= 0;
	pthread_mutex_unlock(&t->lock);
	if (!open) {
		err = i->by_handle ? inode_reopen_by_handle(t, i) :
				     iname_reopen(t, i);
		if (err) {
			pthread_mutex_lock(&t->lock);
			if (err == -ESTALE)
				t->stats.stale++;
			pthread_mutex_unlock(&t->lock);
			inode_put(t, i);
			return inode_fd_error(t, err);
		}
	}
	*out = i;
	return 0;
}

void inode_ref(struct inode_table *t, struct pt_inode *ino)
{
	pthread_mutex_lock(&t->lock);
	ino->refs++;
	pthread_mutex_unlock(&t->lock);
}

void inode_put(struct inode_table *t, struct pt_inode *ino)
{
	struct inode_later l = { 0 };

	if (!ino)
		return;
	pthread_mutex_lock(&t->lock);
	ino->refs--;
	if (is_dead(ino))
		bury_locked(t, ino, &l);
	else if (!ino->refs)
		inode_lru_update_locked(t, ino, &l);
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
}

/* Called with the lock held: n fewer lookups; at zero i leaves the maps. */
static void sub_lookups_locked(struct inode_table *t, struct pt_inode *i,
			       uint64_t n, struct inode_later *l)
{
	if (i->pinned || !i->hashed)
		return;
	i->nlookup -= n < i->nlookup ? n : i->nlookup;
	if (i->nlookup)
		return;
	unhash(t, i);
	if (is_dead(i))
		bury_locked(t, i, l);
	else if (!i->refs)
		/* Kept for its kids: closable by its own name still. */
		inode_lru_update_locked(t, i, l);
}

void inode_forget(struct inode_table *t, uint64_t nodeid, uint64_t n)
{
	struct inode_later l = { 0 };
	struct pt_inode *i;

	pthread_mutex_lock(&t->lock);
	i = find_id(t, nodeid);
	if (i)
		sub_lookups_locked(t, i, n, &l);
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
}

void inode_unlookup(struct inode_table *t, struct pt_inode *ino)
{
	struct inode_later l = { 0 };

	pthread_mutex_lock(&t->lock);
	sub_lookups_locked(t, ino, 1, &l);
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
}

void inode_forget_all(struct inode_table *t)
{
	struct htab_node *n, *next, *rest = NULL;
	struct inode_later l = { 0 };

	pthread_mutex_lock(&t->lock);
	for (n = htab_take_all(&t->ids); n; n = next) {
		struct pt_inode *i = container_of(n, struct pt_inode, by_id);

		next = n->next;
		if (i->pinned) {
			htab_insert(&t->ids, &i->by_id, i->nodeid);
			continue;
		}
		unkey(t, i);
		i->hashed = false;
		i->nlookup = 0;
		n->next = rest;
		rest = n;
	}
	/*
	 * Names go first, so that no inode waits for a kid; an inode an
	 * operation still holds goes at its inode_put(). An operation that
	 * walks names meanwhile finds none and answers ESTALE.
	 */
	for (n = rest; n; n = n->next) {
		struct pt_inode *i = container_of(n, struct pt_inode, by_id);

		if (i->parent)
			inode_set_parent_locked(t, i, NULL, NULL, &l);
	}
	for (n = rest; n; n = n->next) {
		struct pt_inode *i = container_of(n, struct pt_inode, by_id);

		if (is_dead(i))
			bury_locked(t, i, &l);
	}
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
}

uint64_t inode_count(struct inode_table *t)
{
	uint64_t n;

	pthread_mutex_lock(&t->lock);
	n = t->ids.count;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* One open file of nodeid more (by 1) or less (by -1). */
static void count_open(struct inode_table *t, uint64_t nodeid, int by)
{
	struct inode_later l = { 0 };
	struct pt_inode *i;

	pthread_mutex_lock(&t->lock);
	i = find_id(t, nodeid);
	/*
	 * RELEASE gives the nodeid on the guest's word: a wrong one only
	 * lets another inode's fd close, which its name opens again.
	 */
	if (i && by > 0 && i->opens < UINT32_MAX)
		i->opens++;
	else if (i && by < 0 && i->opens)
		i->opens--;
	if (i && !i->refs)
		inode_lru_update_locked(t, i, &l);
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
}

void inode_opened(struct inode_table *t, uint64_t nodeid)
{
	count_open(t, nodeid, 1);
}

void inode_closed(struct inode_table *t, uint64_t nodeid)
{
	count_open(t, nodeid, -1);
}

void inode_fd_stats(struct inode_table *t, struct inode_fd_stats *out)
{
	pthread_mutex_lock(&t->lock);
	*out = t->stats;
	pthread_mutex_unlock(&t->lock);
}
