/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fs/inode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/vfs_ops.h"
#include "util/compiler.h"
#include "util/log.h"

/*
 * Fds taken out of the table under its lock, closed after it is dropped.
 * Each call adds at most one fd over the budget, so a few per call keep
 * the count at the budget.
 */
#define EVICT_BATCH 4

/* How many idle fds to close when an open() ran out of fds. */
#define INODE_SHED 16

struct evicted {
	unsigned int n;
	int fds[EVICT_BATCH];
};

static uint64_t key_of(dev_t dev, ino_t ino)
{
	return (uint64_t)ino ^ ((uint64_t)dev * 0x9e3779b97f4a7c15ULL);
}

static struct pt_inode *find_key(const struct inode_table *t, dev_t dev,
				 ino_t ino, uint64_t mnt_id)
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

/* Take the oldest idle inode's fd out, to close after unlocking. */
static void evict_one_locked(struct inode_table *t, struct evicted *ev)
{
	struct pt_inode *i = t->lru_head;

	lru_remove(t, i);
	ev->fds[ev->n++] = i->fd;
	i->fd = -1;
	t->stats.fds--;
	t->stats.closed++;
}

/* Close the oldest idle fds while over the budget (after unlocking). */
static void evict_locked(struct inode_table *t, struct evicted *ev)
{
	while (t->stats.budget && t->stats.fds > t->stats.budget &&
	       t->lru_head && ev->n < EVICT_BATCH)
		evict_one_locked(t, ev);
}

static void close_evicted(struct evicted *ev)
{
	for (unsigned int k = 0; k < ev->n; k++)
		if (close(ev->fds[k]))
			log_warn("close idle inode fd: %d", errno);
	ev->n = 0;
}

/* The inode goes: out of the budget's books (it is freed after unlock). */
static void retire_locked(struct inode_table *t, struct pt_inode *i)
{
	lru_remove(t, i);
	if (i->fd >= 0)
		t->stats.fds--;
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

int inode_table_init(struct inode_table *t)
{
	int err;

	memset(t, 0, sizeof(*t));
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
	t->fh_mode = INODE_FH_NEVER;
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
	pthread_mutex_unlock(&t->lock);
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

static bool same_handle(const struct file_handle *a,
			const struct file_handle *b)
{
	return a && b && a->handle_type == b->handle_type &&
	       a->handle_bytes == b->handle_bytes &&
	       !memcmp(a->f_handle, b->f_handle, a->handle_bytes);
}

/*
 * Is the file behind (st, fh) the one inode i names? Same key already. A
 * file never changes its type, so another type is another file. While i's
 * fd is open it pins its file and nothing else can have the key; once it
 * is closed the number may have been reused, and the handle, whose
 * generation tells the files apart, must match too (*checked: the caller
 * took the file's handle, or found it could not; without one, it cannot
 * be told and is not the same). EAGAIN: take the handle and ask again.
 */
static int same_file(const struct pt_inode *i, const struct stat *st,
		     bool checked, const struct file_handle *fh)
{
	if (i->type != (st->st_mode & S_IFMT))
		return ESTALE;
	if (i->fd >= 0)
		return 0;
	if (!checked)
		return EAGAIN;
	return same_handle(i->fh, fh) ? 0 : ESTALE;
}

/*
 * The inode for (st, mnt_id): the known one (given fd if its own was
 * closed), or a new one owning fd and *fh. checked: see same_file().
 */
static int insert_locked(struct inode_table *t, int fd, const struct stat *st,
			 uint64_t mnt_id, uint64_t nodeid, bool checked,
			 struct file_handle **fh, struct pt_inode **out,
			 enum insert_fd *what)
{
	struct pt_inode *i = find_key(t, st->st_dev, st->st_ino, mnt_id);
	int err = i ? same_file(i, st, checked, *fh) : 0;

	if (err == EAGAIN)
		return EAGAIN;
	if (err) {
		/* Its file is gone; the nodeid stays, and answers ESTALE. */
		unkey(t, i);
		i = NULL;
	}
	if (i) {
		if (i->nlookup == UINT64_MAX || i->refs == UINT64_MAX)
			return EOVERFLOW;
		i->nlookup++;
		i->refs++;
		lru_remove(t, i);
		*what = FD_SPARE;
		if (i->fd < 0) {
			/* Closed for the budget: this fd saves a reopen. */
			i->fd = fd;
			t->stats.fds++;
			*what = FD_TAKEN;
		}
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
	i->mnt_id = mnt_id;
	i->fd = fd;
	i->type = st->st_mode & S_IFMT;
	i->fh = *fh;
	*fh = NULL;
	i->nlookup = 1;
	i->refs = 1;
	i->hashed = true;
	i->keyed = true;
	htab_insert(&t->ids, &i->by_id, nodeid);
	htab_insert(&t->keys, &i->by_key, key_of(i->dev, i->ino));
	t->stats.fds++;
	*what = FD_TAKEN;
	*out = i;
	return 0;
}

/*
 * A lookup needs the file's handle for a file new to the table, and to
 * compare with a known inode whose fd was closed (the number may have
 * been reused); a known inode with its fd open pins its file.
 */
static bool needs_handle(struct inode_table *t, const struct stat *st,
			 uint64_t mnt_id)
{
	struct pt_inode *i;
	bool need;

	pthread_mutex_lock(&t->lock);
	i = find_key(t, st->st_dev, st->st_ino, mnt_id);
	need = !i || i->fd < 0;
	pthread_mutex_unlock(&t->lock);
	return need;
}

/*
 * Make sure the table has an fd for mount mnt_id. open_by_handle_at()
 * refuses an O_PATH mount fd, so the directory of fd is opened for reading;
 * anything else could be a fifo or a device, which are never opened. Until
 * a directory of a mount is seen, its files get no handle.
 */
static int ensure_mount(struct inode_table *t, int fd, mode_t type,
			uint64_t mnt_id)
{
	int have, copy, err = 0;

	pthread_mutex_lock(&t->lock);
	have = ifh_mount_fd(&t->mounts, mnt_id);
	pthread_mutex_unlock(&t->lock);
	if (have >= 0)
		return 0;
	if (!S_ISDIR(type))
		return EOPNOTSUPP;
	copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (copy < 0)
		return errno;
	pthread_mutex_lock(&t->lock);
	if (!ifh_mount_find(&t->mounts, mnt_id)) {
		err = ifh_mount_add(&t->mounts, mnt_id, copy);
		if (!err)
			copy = -1;
	}
	pthread_mutex_unlock(&t->lock);
	if (copy >= 0)
		close(copy);
	return err;
}

/* The handle of a file about to become an inode, with a mount to open it. */
static int take_handle(struct inode_table *t, int fd, mode_t type,
		       uint64_t mnt_id, struct file_handle **out)
{
	const struct ifh_mount *m;
	struct file_handle *fh;
	uint64_t fh_mnt;
	bool none;
	int err;

	pthread_mutex_lock(&t->lock);
	m = ifh_mount_find(&t->mounts, mnt_id);
	none = m && m->no_handles;
	pthread_mutex_unlock(&t->lock);
	if (none)
		return EOPNOTSUPP;
	err = ifh_name(fd, &fh, &fh_mnt);
	if (err == EOPNOTSUPP) {
		/* One failed call per mount, not one per file. */
		pthread_mutex_lock(&t->lock);
		if (!ifh_mount_find(&t->mounts, mnt_id) &&
		    ifh_mount_add(&t->mounts, mnt_id, -1))
			log_debug("no room to remember mount %llu",
				  (unsigned long long)mnt_id);
		pthread_mutex_unlock(&t->lock);
	}
	if (err)
		return err;
	/* The mount was stat'ed a moment ago: it moved, so keep the fd. */
	if (fh_mnt != mnt_id) {
		free(fh);
		return ESTALE;
	}
	err = ensure_mount(t, fd, type, mnt_id);
	if (err) {
		free(fh);
		return err;
	}
	*out = fh;
	return 0;
}

int inode_insert(struct inode_table *t, int fd, const struct stat *st,
		 uint64_t mnt_id, struct pt_inode **out)
{
	struct file_handle *fh = NULL;
	struct evicted ev = { 0 };
	enum insert_fd what = FD_SPARE;
	bool checked = false;
	int err;

	if (t->fh_mode == INODE_FH_NEVER)
		mnt_id = 0;
	else if (needs_handle(t, st, mnt_id))
		checked = true;
	for (;;) {
		/*
		 * Looking up a known file whose fd is open costs no more than
		 * without handles. Two racing lookups of a new file both take
		 * one; the loser's is freed below.
		 */
		if (checked) {
			err = take_handle(t, fd, st->st_mode & S_IFMT, mnt_id,
					  &fh);
			if (err && t->fh_mode == INODE_FH_MANDATORY)
				return err;
		}
		pthread_mutex_lock(&t->lock);
		err = insert_locked(t, fd, st, mnt_id, 0, checked, &fh, out,
				    &what);
		if (err != EAGAIN)
			break;
		/* Its fd was closed since needs_handle(): once more, with one. */
		pthread_mutex_unlock(&t->lock);
		checked = true;
	}
	evict_locked(t, &ev);
	pthread_mutex_unlock(&t->lock);
	close_evicted(&ev);
	free(fh);
	if (!err && what == FD_SPARE && close(fd))
		log_warn("close duplicate inode fd: %d", errno);
	return err;
}

int inode_insert_root(struct inode_table *t, int fd, const struct stat *st,
		      uint64_t mnt_id, struct pt_inode **out)
{
	struct file_handle *fh = NULL;
	enum insert_fd what = FD_SPARE;
	int err;

	if (t->fh_mode == INODE_FH_NEVER)
		mnt_id = 0;
	else if (ensure_mount(t, fd, st->st_mode & S_IFMT, mnt_id))
		log_debug("no mount fd for the root's mount yet");
	pthread_mutex_lock(&t->lock);
	if (find_id(t, VFS_ROOT_ID))
		err = EEXIST;
	else
		err = insert_locked(t, fd, st, mnt_id, VFS_ROOT_ID, true, &fh,
				    out, &what);
	if (!err)
		(*out)->pinned = true;
	pthread_mutex_unlock(&t->lock);
	return err;
}

unsigned int inode_shed(struct inode_table *t, unsigned int n)
{
	struct evicted ev = { 0 };
	unsigned int done = 0;

	while (done < n) {
		pthread_mutex_lock(&t->lock);
		while (t->lru_head && ev.n < EVICT_BATCH && done < n) {
			evict_one_locked(t, &ev);
			done++;
		}
		pthread_mutex_unlock(&t->lock);
		if (!ev.n)
			break;
		close_evicted(&ev);
	}
	return done;
}

/*
 * Is fd, just opened from i's handle, i's file? The handle's generation
 * says so on ext4, xfs, btrfs and tmpfs; a filesystem whose handles carry
 * none would open whatever now holds the inode number, so the type and
 * the key are checked too.
 */
static int check_reopened(const struct pt_inode *i, int fd)
{
	struct stat st;

	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return errno;
	return inode_matches(i, &st) ? 0 : ESTALE;
}

/* The inode is referenced and its fd was closed: open it from its handle. */
static int reopen(struct inode_table *t, struct pt_inode *i, int mount_fd)
{
	struct evicted ev = { 0 };
	int fd, err;

	if (mount_fd < 0)
		return ESTALE;
	err = ifh_open(mount_fd, i->fh, &fd);
	if (inode_out_of_fds(err) && inode_shed(t, INODE_SHED))
		err = ifh_open(mount_fd, i->fh, &fd);
	if (err)
		return err;
	err = check_reopened(i, fd);
	if (err) {
		close(fd);
		return err;
	}
	pthread_mutex_lock(&t->lock);
	if (i->fd < 0) {
		i->fd = fd;
		fd = -1;
		t->stats.fds++;
		t->stats.reopened++;
		evict_locked(t, &ev);
	}
	pthread_mutex_unlock(&t->lock);
	close_evicted(&ev);
	/* Another user of the inode reopened it first. */
	if (fd >= 0)
		close(fd);
	return 0;
}

int inode_get(struct inode_table *t, uint64_t nodeid, struct pt_inode **out)
{
	struct pt_inode *i;
	int mount_fd = -1;
	bool open;
	int err;

	pthread_mutex_lock(&t->lock);
	i = find_id(t, nodeid);
	if (!i) {
		pthread_mutex_unlock(&t->lock);
		return ESTALE;
	}
	/* refs counts running operations: bounded by the thread count. */
	i->refs++;
	lru_remove(t, i);
	open = i->fd >= 0;
	if (!open)
		mount_fd = ifh_mount_fd(&t->mounts, i->mnt_id);
	pthread_mutex_unlock(&t->lock);
	if (!open) {
		/* Mount fds stay open until the table goes. */
		err = reopen(t, i, mount_fd);
		if (err) {
			inode_put(t, i);
			return err;
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
	struct evicted ev = { 0 };
	bool dead = false;

	if (!ino)
		return;
	pthread_mutex_lock(&t->lock);
	ino->refs--;
	if (!ino->refs) {
		if (!ino->hashed) {
			retire_locked(t, ino);
			dead = true;
		} else if (ino->fh && ino->fd >= 0 && !ino->pinned) {
			lru_append(t, ino);
			evict_locked(t, &ev);
		}
	}
	pthread_mutex_unlock(&t->lock);
	close_evicted(&ev);
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
	if (i->refs)
		return false;
	retire_locked(t, i);
	return true;
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
		unkey(t, i);
		i->hashed = false;
		i->nlookup = 0;
		if (!i->refs) {
			retire_locked(t, i);
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

void inode_fd_stats(struct inode_table *t, struct inode_fd_stats *out)
{
	pthread_mutex_lock(&t->lock);
	*out = t->stats;
	pthread_mutex_unlock(&t->lock);
}
