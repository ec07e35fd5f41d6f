/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fs/handle.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/compiler.h"
#include "util/log.h"

/* A handle that never held, or no longer holds, an fd of its own. */
static void handle_discard(struct pt_handle *h)
{
	if (h->kind == HANDLE_DIR)
		pthread_mutex_destroy(&h->dir_lock);
	free(h);
}

static void handle_free(struct pt_handle *h)
{
	if (h->release_hook)
		h->release_hook(h->hook_arg, h->hook_key);
	/*
	 * The guest's flock ends now, not when the host's filesystem gets
	 * round to it: a FUSE one (GlusterFS) ends it in a RELEASE the host
	 * kernel sends after close(2) returns, and a new flock in the
	 * meantime would find the file still locked.
	 */
	if (atomic_load_explicit(&h->flocked, memory_order_relaxed) &&
	    flock(h->fd, LOCK_UN))
		log_debug("flock unlock of a released handle: %d", errno);
	if (close(h->fd))
		log_warn("close handle %llu: %d", (unsigned long long)h->fh,
			 errno);
	handle_discard(h);
}

int handle_table_init(struct handle_table *t)
{
	int err;

	err = -pthread_mutex_init(&t->lock, NULL);
	if (err)
		return err;
	err = htab_init(&t->fhs);
	if (err) {
		pthread_mutex_destroy(&t->lock);
		return err;
	}
	t->next_fh = 1;
	return 0;
}

void handle_table_fini(struct handle_table *t)
{
	handle_release_all(t);
	htab_fini(&t->fhs);
	pthread_mutex_destroy(&t->lock);
}

void handle_table_limit(struct handle_table *t, uint64_t max)
{
	t->max = max;
}

/* A handle of fd with the table's reference, not in the table yet. */
static int handle_alloc(int fd, enum handle_kind kind, struct pt_handle **out)
{
	struct pt_handle *h = calloc(1, sizeof(*h));
	int err;

	if (!h)
		return -ENOMEM;
	if (kind == HANDLE_DIR) {
		err = -pthread_mutex_init(&h->dir_lock, NULL);
		if (err) {
			free(h);
			return err;
		}
		/*
		 * The first READDIR seeks to 0 even so: btrfs fixes the end
		 * of a listing when the directory is opened, and only a seek
		 * to 0 (a rewinddir) moves it, so entries made between
		 * OPENDIR and the first READDIR would be missing.
		 */
		h->dir.moved = true;
	}
	h->fd = fd;
	h->kind = kind;
	h->refs = 1;
	h->hashed = true;
	*out = h;
	return 0;
}

int handle_new(struct handle_table *t, int fd, enum handle_kind kind,
	       uint64_t *fh)
{
	struct pt_handle *h;
	int err = handle_alloc(fd, kind, &h);

	if (err)
		return err;
	pthread_mutex_lock(&t->lock);
	if (t->max && t->fhs.count >= t->max)
		err = -EMFILE;
	else if (t->next_fh == UINT64_MAX)
		err = -EOVERFLOW;
	if (!err) {
		h->fh = t->next_fh++;
		htab_insert(&t->fhs, &h->node, h->fh);
	}
	pthread_mutex_unlock(&t->lock);
	if (err) {
		handle_discard(h);
		return err;
	}
	*fh = h->fh;
	return 0;
}

static struct pt_handle *find_locked(const struct handle_table *t, uint64_t fh,
				     enum handle_kind kind)
{
	struct htab_node *n = htab_first(&t->fhs, fh);
	struct pt_handle *h;

	if (!n)
		return NULL;
	h = container_of(n, struct pt_handle, node);
	/* A directory fh given to READ (or the reverse) names nothing. */
	return h->kind == kind ? h : NULL;
}

struct pt_handle *handle_get(struct handle_table *t, uint64_t fh,
			     enum handle_kind kind)
{
	struct pt_handle *h;

	pthread_mutex_lock(&t->lock);
	h = find_locked(t, fh, kind);
	if (h)
		h->refs++;
	pthread_mutex_unlock(&t->lock);
	return h;
}

void handle_put(struct handle_table *t, struct pt_handle *h)
{
	bool dead;

	if (!h)
		return;
	pthread_mutex_lock(&t->lock);
	dead = !--h->refs;
	pthread_mutex_unlock(&t->lock);
	if (dead)
		handle_free(h);
}

int handle_release(struct handle_table *t, uint64_t fh, enum handle_kind kind)
{
	struct pt_handle *h;
	bool dead;

	pthread_mutex_lock(&t->lock);
	h = find_locked(t, fh, kind);
	if (!h) {
		pthread_mutex_unlock(&t->lock);
		return -EBADF;
	}
	htab_remove(&t->fhs, &h->node);
	h->hashed = false;
	dead = !--h->refs;
	pthread_mutex_unlock(&t->lock);
	if (dead)
		handle_free(h);
	return 0;
}

void handle_release_all(struct handle_table *t)
{
	struct htab_node *n, *next, *dead = NULL;

	pthread_mutex_lock(&t->lock);
	for (n = htab_take_all(&t->fhs); n; n = next) {
		struct pt_handle *h = container_of(n, struct pt_handle, node);

		next = n->next;
		h->hashed = false;
		if (!--h->refs) {
			n->next = dead;
			dead = n;
		}
	}
	pthread_mutex_unlock(&t->lock);
	for (n = dead; n; n = next) {
		next = n->next;
		handle_free(container_of(n, struct pt_handle, node));
	}
}

uint64_t handle_count(struct handle_table *t)
{
	uint64_t n;

	pthread_mutex_lock(&t->lock);
	n = t->fhs.count;
	pthread_mutex_unlock(&t->lock);
	return n;
}

struct handle_collect {
	struct pt_handle **v;
	size_t n;
};

static void handle_collect_one(void *arg, struct htab_node *x)
{
	struct handle_collect *c = arg;
	struct pt_handle *h = container_of(x, struct pt_handle, node);

	h->refs++;
	c->v[c->n++] = h;
}

int handle_snapshot(struct handle_table *t, struct pt_handle ***out,
		    size_t *n)
{
	struct handle_collect c = { 0 };

	pthread_mutex_lock(&t->lock);
	c.v = calloc(t->fhs.count ? t->fhs.count : 1, sizeof(*c.v));
	if (c.v)
		htab_for_each(&t->fhs, handle_collect_one, &c);
	pthread_mutex_unlock(&t->lock);
	if (!c.v)
		return -ENOMEM;
	*out = c.v;
	*n = c.n;
	return 0;
}

int handle_restore(struct handle_table *t, int fd, enum handle_kind kind,
		   uint64_t fh, struct pt_handle **out)
{
	struct pt_handle *h;
	int err;

	if (!fh || fh == UINT64_MAX)
		return -EINVAL;
	err = handle_alloc(fd, kind, &h);
	if (err)
		return err;
	h->fh = fh;
	pthread_mutex_lock(&t->lock);
	if (htab_first(&t->fhs, fh))
		err = -EEXIST;
	else if (t->max && t->fhs.count >= t->max)
		err = -EMFILE;
	if (!err) {
		htab_insert(&t->fhs, &h->node, fh);
		if (fh >= t->next_fh)
			t->next_fh = fh + 1;
	}
	pthread_mutex_unlock(&t->lock);
	if (err) {
		handle_discard(h);
		return err;
	}
	*out = h;
	return 0;
}

void handle_restore_next(struct handle_table *t, uint64_t next)
{
	pthread_mutex_lock(&t->lock);
	if (next > t->next_fh)
		t->next_fh = next;
	pthread_mutex_unlock(&t->lock);
}
