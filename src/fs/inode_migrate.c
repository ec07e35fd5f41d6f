/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inodes of a migrated guest (fs/migrate_load.c), entered under the
 * nodeids and lookup counts it had on the source, and the walk over the
 * table that the save needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/inode_int.h"
#include "fs/inode_migrate.h"
#include "fs/vfs_ops.h"
#include "util/array.h"
#include "util/compiler.h"

static struct file_handle *id_copy(const struct file_handle *fh);

/* The key a table keeps for (st, mnt_id): the mount only by handle. */
static uint64_t table_mount(const struct inode_table *t, uint64_t mnt_id)
{
	return t->reopen == INODE_BY_HANDLE ? mnt_id : 0;
}

static bool nodeid_taken(const struct inode_table *t, uint64_t nodeid)
{
	return nodeid && htab_first(&t->ids, nodeid) != NULL;
}

int inode_restore(struct inode_table *t, const struct inode_restore *r,
		  struct pt_inode **out)
{
	struct inode_id id = { 0 };
	struct inode_later l = { 0 };
	uint64_t mnt_id = table_mount(t, r->mnt_id);
	unsigned int how = r->nodeid ? 0 : INODE_NEW_UNHASHED;
	struct pt_inode *i = NULL;
	int err = 0;

	/* The table's own id, as a lookup would have taken it. */
	if (t->reopen == INODE_BY_NAME && r->id)
		id.fh = id_copy(r->id);
	id.fid = id.fh && r->id_fid;
	if (t->reopen != INODE_KEEP_FDS && !id.fh)
		(void)inode_take_id(t, r->fd, r->st, mnt_id, &id);
	pthread_mutex_lock(&t->lock);
	if (nodeid_taken(t, r->nodeid) ||
	    (r->nodeid && inode_find_key_locked(t, r->st->st_dev,
						r->st->st_ino, mnt_id)))
		err = -EEXIST;
	else
		i = inode_new_locked(t, r->fd, r->st, mnt_id, r->nodeid, &id,
				     how);
	if (i) {
		i->nlookup = r->nodeid ? r->nlookup : 0;
		if (r->at)
			iname_seen_locked(t, i, r->at, &l);
		inode_lru_update_locked(t, i, &l);
	} else if (!err) {
		err = -ENOMEM;
	}
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
	free(id.fh);
	if (!err)
		*out = i;
	return err;
}

int inode_restore_stale(struct inode_table *t, uint64_t nodeid, mode_t type,
			uint64_t nlookup)
{
	struct stat st = { .st_mode = type };
	struct inode_id id = { 0 };
	struct inode_later l = { 0 };
	struct pt_inode *i = NULL;
	int err = 0;

	/*
	 * No fd, no name, no handle and in no key: every inode_get() of it
	 * is ESTALE, as for an inode whose file went on the source.
	 */
	pthread_mutex_lock(&t->lock);
	if (!nodeid || nodeid_taken(t, nodeid))
		err = -EEXIST;
	else
		i = inode_new_locked(t, -1, &st, 0, nodeid, &id,
				     INODE_NEW_UNKEYED);
	if (i) {
		i->nlookup = nlookup ? nlookup : 1;
		i->refs = 0;
	} else if (!err) {
		err = -ENOMEM;
	}
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
	return err;
}

void inode_restore_next_id(struct inode_table *t, uint64_t next)
{
	pthread_mutex_lock(&t->lock);
	if (next > t->next_id)
		t->next_id = next;
	pthread_mutex_unlock(&t->lock);
}

/*
 * The snapshot. Under the table's lock (no system call: only memory), the
 * inodes of the nodeid map and their ancestors are collected with a
 * pointer -> index map; then put in depth-first order, so that the
 * destination opens each directory just before what lies below it.
 */

struct ptr_map {
	struct pt_inode **key;
	uint32_t *val;
	size_t mask;
	size_t count;
};

static size_t ptr_hash(const struct pt_inode *p, size_t mask)
{
	uint64_t k = (uint64_t)(uintptr_t)p;

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k & mask;
}

static int ptr_map_init(struct ptr_map *m, size_t n)
{
	size_t cap = 64;

	while (cap < 2 * n + 2)
		cap *= 2;
	m->key = calloc(cap, sizeof(*m->key));
	m->val = calloc(cap, sizeof(*m->val));
	m->mask = cap - 1;
	m->count = 0;
	return m->key && m->val ? 0 : -ENOMEM;
}

static void ptr_map_fini(struct ptr_map *m)
{
	free(m->key);
	free(m->val);
}

/* Index of p, or INODE_SNAP_NONE. */
static uint32_t ptr_map_get(const struct ptr_map *m, const struct pt_inode *p)
{
	for (size_t s = ptr_hash(p, m->mask);; s = (s + 1) & m->mask) {
		if (!m->key[s])
			return INODE_SNAP_NONE;
		if (m->key[s] == p)
			return m->val[s];
	}
}

static int ptr_map_grow(struct ptr_map *m)
{
	struct ptr_map n;

	if (ptr_map_init(&n, m->mask + 1)) {
		ptr_map_fini(&n);
		return -ENOMEM;
	}
	for (size_t s = 0; s <= m->mask; s++) {
		size_t d;

		if (!m->key[s])
			continue;
		for (d = ptr_hash(m->key[s], n.mask); n.key[d];
		     d = (d + 1) & n.mask)
			;
		n.key[d] = m->key[s];
		n.val[d] = m->val[s];
		n.count++;
	}
	ptr_map_fini(m);
	*m = n;
	return 0;
}

static int ptr_map_put(struct ptr_map *m, struct pt_inode *p, uint32_t v)
{
	size_t s;

	if (2 * (m->count + 1) > m->mask + 1 && ptr_map_grow(m))
		return -ENOMEM;
	for (s = ptr_hash(p, m->mask); m->key[s]; s = (s + 1) & m->mask)
		;
	m->key[s] = p;
	m->val[s] = v;
	m->count++;
	return 0;
}

struct snap_walk {
	struct inode_table *t;
	struct ptr_map map;
	struct inode_snap *v;
	size_t n, cap;
	int err;
};

/* A copy of i's id (the bytes only, not the name after them). */
static struct file_handle *id_copy(const struct file_handle *fh)
{
	size_t len = sizeof(*fh) + fh->handle_bytes;
	struct file_handle *c = malloc(len);

	if (c)
		memcpy(c, fh, len);
	return c;
}

static int snap_add(struct snap_walk *w, struct pt_inode *i)
{
	struct inode_snap *s;

	if (array_room((void **)&w->v, w->n, &w->cap, sizeof(*w->v), 256) ||
	    w->n >= INODE_SNAP_NONE || ptr_map_put(&w->map, i, (uint32_t)w->n))
		return -ENOMEM;
	s = &w->v[w->n++];
	memset(s, 0, sizeof(*s));
	s->ino = i;
	s->parent = INODE_SNAP_NONE;
	s->nodeid = i->hashed ? i->nodeid : 0;
	s->nlookup = i->hashed ? i->nlookup : 0;
	s->type = i->type;
	s->dev = i->dev;
	s->ino_nr = i->ino;
	s->mnt_id = i->mnt_id;
	s->opens = i->opens;
	s->keyed = i->keyed;
	s->fd_open = i->fd >= 0;
	s->id_opens = i->fh && !i->fid;
	inode_hold_locked(w->t, i);
	if (i->name && !(s->name = strdup(i->name)))
		return -ENOMEM;
	if (i->fh && !(s->id = id_copy(i->fh)))
		return -ENOMEM;
	return 0;
}

/* i and, first, every ancestor not collected yet. */
static void snap_chain(void *arg, struct htab_node *n)
{
	struct snap_walk *w = arg;
	struct pt_inode *i = container_of(n, struct pt_inode, by_id);
	struct pt_inode *p;

	for (p = i; p && !w->err; p = p->parent)
		if (ptr_map_get(&w->map, p) == INODE_SNAP_NONE)
			w->err = snap_add(w, p);
}

/* Parent indices, once every inode has one. */
static void snap_link(struct snap_walk *w)
{
	for (size_t k = 0; k < w->n; k++) {
		struct pt_inode *p = w->v[k].ino->parent;

		w->v[k].parent = p ? ptr_map_get(&w->map, p) : INODE_SNAP_NONE;
		/* A name without its directory leads nowhere. */
		if (w->v[k].parent == INODE_SNAP_NONE) {
			free(w->v[k].name);
			w->v[k].name = NULL;
		}
	}
}

/*
 * Depth-first order from the root (and from each inode whose chain ends
 * elsewhere): order[k] is the old index of the k-th record.
 */
static int snap_order(struct snap_walk *w, uint32_t **out)
{
	uint32_t *first = malloc(w->n * sizeof(uint32_t));
	uint32_t *next = malloc(w->n * sizeof(uint32_t));
	uint32_t *order = malloc(w->n * sizeof(uint32_t));
	uint32_t *stack = malloc(w->n * sizeof(uint32_t));
	size_t no = 0, sp = 0;
	int err = 0;

	if (!first || !next || !order || !stack) {
		err = -ENOMEM;
		goto out;
	}
	memset(first, 0xff, w->n * sizeof(uint32_t));
	/* Children lists, built backwards so that they keep table order. */
	for (size_t k = w->n; k-- > 0;) {
		uint32_t p = w->v[k].parent;

		next[k] = INODE_SNAP_NONE;
		if (p != INODE_SNAP_NONE) {
			next[k] = first[p];
			first[p] = (uint32_t)k;
		}
	}
	for (size_t top = 0; top < w->n; top++) {
		if (w->v[top].parent != INODE_SNAP_NONE)
			continue;
		stack[sp++] = (uint32_t)top;
		while (sp) {
			uint32_t k = stack[--sp];

			order[no++] = k;
			/* Reversed on the stack: pushed last, visited first. */
			for (uint32_t c = first[k]; c != INODE_SNAP_NONE;
			     c = next[c])
				stack[sp++] = c;
		}
	}
out:
	free(first);
	free(next);
	free(stack);
	if (err)
		free(order);
	else
		*out = order;
	return err;
}

/* Put the records in the order order[] gives, parents remapped. */
static int snap_permute(struct snap_walk *w, const uint32_t *order)
{
	struct inode_snap *v = malloc(w->n * sizeof(*v));
	uint32_t *where = malloc(w->n * sizeof(uint32_t));

	if (!v || !where) {
		free(v);
		free(where);
		return -ENOMEM;
	}
	for (size_t k = 0; k < w->n; k++)
		where[order[k]] = (uint32_t)k;
	for (size_t k = 0; k < w->n; k++) {
		v[k] = w->v[order[k]];
		if (v[k].parent != INODE_SNAP_NONE)
			v[k].parent = where[v[k].parent];
	}
	free(where);
	free(w->v);
	w->v = v;
	return 0;
}

int inode_snapshot(struct inode_table *t, struct inode_snap **out, size_t *n)
{
	struct snap_walk w = { .t = t };
	uint32_t *order = NULL;

	pthread_mutex_lock(&t->lock);
	w.err = ptr_map_init(&w.map, t->ids.count);
	/* The root first: it is where the destination starts. */
	if (!w.err) {
		struct htab_node *r = htab_first(&t->ids, VFS_ROOT_ID);

		if (r)
			snap_chain(&w, r);
		htab_for_each(&t->ids, snap_chain, &w);
	}
	if (!w.err)
		snap_link(&w);
	pthread_mutex_unlock(&t->lock);
	ptr_map_fini(&w.map);
	if (!w.err && w.n)
		w.err = snap_order(&w, &order);
	if (!w.err && w.n)
		w.err = snap_permute(&w, order);
	free(order);
	if (w.err) {
		inode_snapshot_free(t, w.v, w.n);
		return w.err;
	}
	*out = w.v;
	*n = w.n;
	return 0;
}

void inode_snapshot_free(struct inode_table *t, struct inode_snap *v,
			 size_t n)
{
	for (size_t k = 0; k < n; k++) {
		inode_put(t, v[k].ino);
		free(v[k].name);
		free(v[k].id);
	}
	free(v);
}

int inode_snap_open_handle(struct inode_table *t, const struct inode_snap *s,
			   int *fd)
{
	struct stat st;
	int mount_fd, err;

	if (!s->id || !s->ino->by_handle)
		return -ESTALE;
	pthread_mutex_lock(&t->lock);
	/* Mount fds stay open until the table goes. */
	mount_fd = ifh_mount_fd(&t->mounts, s->ino->mnt_id);
	pthread_mutex_unlock(&t->lock);
	if (mount_fd < 0)
		return -ESTALE;
	err = ifh_open(mount_fd, s->id, fd);
	if (err)
		return err;
	if (fstatat(*fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ||
	    !inode_matches(s->ino, &st)) {
		close(*fd);
		return -ESTALE;
	}
	return 0;
}
