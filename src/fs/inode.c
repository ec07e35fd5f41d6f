/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fs/inode.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/vfs_ops.h"
#include "util/compiler.h"
#include "util/log.h"

static uint64_t key_of(dev_t dev, ino_t ino)
{
	return (uint64_t)ino ^ ((uint64_t)dev * 0x9e3779b97f4a7c15ULL);
}

static struct pt_inode *find_key(const struct inode_table *t, dev_t dev,
				 ino_t ino)
{
	uint64_t key = key_of(dev, ino);
	struct htab_node *n;

	for (n = htab_first(&t->keys, key); n; n = htab_next(n, key)) {
		struct pt_inode *i = container_of(n, struct pt_inode, by_key);

		if (i->dev == dev && i->ino == ino)
			return i;
	}
	return NULL;
}

static struct pt_inode *find_id(const struct inode_table *t, uint64_t nodeid)
{
	struct htab_node *n = htab_first(&t->ids, nodeid);

	return n ? container_of(n, struct pt_inode, by_id) : NULL;
}

static void unhash(struct inode_table *t, struct pt_inode *i)
{
	htab_remove(&t->ids, &i->by_id);
	htab_remove(&t->keys, &i->by_key);
	i->hashed = false;
}

static void inode_free(struct pt_inode *i)
{
	if (close(i->fd))
		log_warn("close inode %llu fd: %d", (unsigned long long)i->nodeid,
			 errno);
	free(i);
}

int inode_table_init(struct inode_table *t)
{
	int err;

	err = pthread_mutex_init(&t->lock, NULL);
	if (err)
		return err;
	err = htab_init(&t->ids);
	if (err)
		goto fail_ids;
	err = htab_init(&t->keys);
	if (err)
		goto fail_keys;
	t->next_id = VFS_ROOT_ID + 1;
	return 0;
fail_keys:
	htab_fini(&t->ids);
fail_ids:
	pthread_mutex_destroy(&t->lock);
	return err;
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
	htab_fini(&t->ids);
	htab_fini(&t->keys);
	pthread_mutex_destroy(&t->lock);
}

static int insert_locked(struct inode_table *t, int fd, const struct stat *st,
			 uint64_t nodeid, struct pt_inode **out, bool *dup)
{
	struct pt_inode *i = find_key(t, st->st_dev, st->st_ino);

	if (i) {
		if (i->nlookup == UINT64_MAX || i->refs == UINT64_MAX)
			return EOVERFLOW;
		i->nlookup++;
		i->refs++;
		*dup = true;
		*out = i;
		return 0;
	}
	if (!nodeid) {
		/* 2^64 lookups of new files: unreachable, but never wrap. */
		if (t->next_id == UINT64_MAX)
			return EOVERFLOW;
		nodeid = t->next_id++;
	}
	i = calloc(1, sizeof(*i));
	if (!i)
		return ENOMEM;
	i->nodeid = nodeid;
	i->dev = st->st_dev;
	i->ino = st->st_ino;
	i->fd = fd;
	i->type = st->st_mode & S_IFMT;
	i->nlookup = 1;
	i->refs = 1;
	i->hashed = true;
	htab_insert(&t->ids, &i->by_id, nodeid);
	htab_insert(&t->keys, &i->by_key, key_of(i->dev, i->ino));
	*dup = false;
	*out = i;
	return 0;
}

int inode_insert(struct inode_table *t, int fd, const struct stat *st,
		 struct pt_inode **out)
{
	bool dup = false;
	int err;

	pthread_mutex_lock(&t->lock);
	err = insert_locked(t, fd, st, 0, out, &dup);
	pthread_mutex_unlock(&t->lock);
	if (!err && dup && close(fd))
		log_warn("close duplicate inode fd: %d", errno);
	return err;
}

int inode_insert_root(struct inode_table *t, int fd, const struct stat *st,
		      struct pt_inode **out)
{
	bool dup = false;
	int err;

	pthread_mutex_lock(&t->lock);
	if (find_id(t, VFS_ROOT_ID))
		err = EEXIST;
	else
		err = insert_locked(t, fd, st, VFS_ROOT_ID, out, &dup);
	if (!err)
		(*out)->pinned = true;
	pthread_mutex_unlock(&t->lock);
	return err;
}

struct pt_inode *inode_get(struct inode_table *t, uint64_t nodeid)
{
	struct pt_inode *i;

	pthread_mutex_lock(&t->lock);
	i = find_id(t, nodeid);
	/* refs counts running operations: bounded by the thread count. */
	if (i)
		i->refs++;
	pthread_mutex_unlock(&t->lock);
	return i;
}

void inode_ref(struct inode_table *t, struct pt_inode *ino)
{
	pthread_mutex_lock(&t->lock);
	ino->refs++;
	pthread_mutex_unlock(&t->lock);
}

void inode_put(struct inode_table *t, struct pt_inode *ino)
{
	bool dead;

	if (!ino)
		return;
	pthread_mutex_lock(&t->lock);
	ino->refs--;
	dead = !ino->hashed && !ino->refs;
	pthread_mutex_unlock(&t->lock);
	if (dead)
		inode_free(ino);
}

/* Called with the lock held; true if the caller must free i after unlocking. */
static bool sub_lookups_locked(struct inode_table *t, struct pt_inode *i,
			       uint64_t n)
{
	if (i->pinned || !i->hashed)
		return false;
	i->nlookup -= n < i->nlookup ? n : i->nlookup;
	if (i->nlookup)
		return false;
	unhash(t, i);
	return !i->refs;
}

void inode_forget(struct inode_table *t, uint64_t nodeid, uint64_t n)
{
	struct pt_inode *i;
	bool dead = false;

	pthread_mutex_lock(&t->lock);
	i = find_id(t, nodeid);
	if (i)
		dead = sub_lookups_locked(t, i, n);
	pthread_mutex_unlock(&t->lock);
	if (dead)
		inode_free(i);
}

void inode_unlookup(struct inode_table *t, struct pt_inode *ino)
{
	bool dead;

	pthread_mutex_lock(&t->lock);
	dead = sub_lookups_locked(t, ino, 1);
	pthread_mutex_unlock(&t->lock);
	if (dead)
		inode_free(ino);
}

void inode_forget_all(struct inode_table *t)
{
	struct htab_node *n, *next, *dead = NULL;

	pthread_mutex_lock(&t->lock);
	for (n = htab_take_all(&t->ids); n; n = next) {
		struct pt_inode *i = container_of(n, struct pt_inode, by_id);

		next = n->next;
		if (i->pinned) {
			htab_insert(&t->ids, &i->by_id, i->nodeid);
			continue;
		}
		htab_remove(&t->keys, &i->by_key);
		i->hashed = false;
		i->nlookup = 0;
		if (!i->refs) {
			n->next = dead;
			dead = n;
		}
	}
	pthread_mutex_unlock(&t->lock);
	for (n = dead; n; n = next) {
		next = n->next;
		inode_free(container_of(n, struct pt_inode, by_id));
	}
}

uint64_t inode_count(struct inode_table *t)
{
	uint64_t n;

	pthread_mutex_lock(&t->lock);
	n = t->ids.count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
