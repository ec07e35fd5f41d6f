/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inodes found again by name (fs/inode.h): the directory and name each
 * inode was last seen by, kept right by the guest's own changes, and the
 * reopen of a closed inode through them.
 *
 * Why this is safe without a capability: every step of a reopen is
 * openat(fd, name, O_PATH | O_NOFOLLOW) of one component that the guest
 * looked up (never ".", ".." or a path) from a directory inode's own fd,
 * starting at the nearest ancestor whose fd is open (the root's always
 * is). Nothing is resolved that the guest could not have looked up itself,
 * no symlink is followed, and each fd is checked against the inode it is
 * for (type, st_dev, st_ino and the file's id, whose generation tells a
 * reused inode number apart) before it is used. A name that now leads to
 * another file, or nowhere, is ESTALE, which the guest kernel answers
 * with a fresh lookup; never the other file.
 *
 * Why names stay right: the guest's LOOKUP, CREATE, MKDIR, MKNOD, SYMLINK
 * and LINK tell each inode its latest name (iname_seen_locked()); RENAME
 * moves it, and UNLINK and RMDIR take it away (the inode's fd then stays
 * open). A directory's children name the directory's inode, not a path,
 * so renaming a directory renames its whole subtree at once. Renames made
 * by host processes are not seen: the names they break answer ESTALE until
 * the guest looks the file up again, which tells the inode its new name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/inode_int.h"
#include "policy/creds.h"

/* Ancestors held on the stack; a deeper chain allocates. */
#define CHAIN_STACK 16

/* A single component that a lookup can have opened. */
static bool plain_name(const char *name)
{
	size_t len = strlen(name);

	return len && len <= NAME_MAX && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

/* Is a the directory d or one above it? */
static bool is_ancestor_locked(const struct pt_inode *a,
			       const struct pt_inode *d)
{
	for (; d; d = d->parent)
		if (d == a)
			return true;
	return false;
}

void iname_seen_locked(struct inode_table *t, struct pt_inode *i,
		       const struct inode_at *at, struct inode_later *l)
{
	if (i->by_handle || !i->fh || i->pinned || i->buried)
		return;
	if (i->parent == at->dir && i->name && !strcmp(i->name, at->name))
		return;
	/*
	 * A name must never lead round in a circle: a bind mount of a
	 * directory below itself gives the same inode as a child.
	 */
	if (!plain_name(at->name) || is_ancestor_locked(i, at->dir) ||
	    at->dir->kids == UINT32_MAX)
		return;
	/* No memory: the old name stays, and its id check still holds. */
	inode_set_parent_locked(t, i, at->dir, at->name, l);
}

/* The inodes of a reopen, the closed one first, each held. */
struct chain {
	struct pt_inode **v;
	size_t n, cap;
	struct pt_inode *stack[CHAIN_STACK];
};

static int chain_push(struct chain *c, struct pt_inode *i)
{
	if (c->n == c->cap) {
		size_t cap = c->cap * 2;
		struct pt_inode **v = malloc(cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		memcpy(v, c->v, c->n * sizeof(*v));
		if (c->v != c->stack)
			free(c->v);
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = i;
	return 0;
}

/*
 * Is fd, just opened by i's name, i's file: its type and key? Its id,
 * taken into b, is compared under the lock (a new name moves i's).
 */
static int check_named(const struct pt_inode *i, int fd, struct ifh_idbuf *b)
{
	struct stat st;

	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return errno == ENOMEM ? -ENOMEM : -ESTALE;
	if (!inode_matches(i, &st))
		return -ESTALE;
	/* No id now (the file went): not the inode's file either. */
	return ifh_id_into(fd, i->fid, b) ? -ESTALE : 0;
}

/* openat() of a name, closing idle inode fds if none are left. */
static int open_name(struct inode_table *t, int dirfd, const char *name,
		     int *out)
{
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && inode_out_of_fds(-errno) && inode_shed(t, INODE_SHED))
		fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		/* The name leads nowhere now: the inode's file is not there. */
		return inode_out_of_fds(err) || err == -ENOMEM ? err : -ESTALE;
	}
	*out = fd;
	return 0;
}

/*
 * Give i (held) its fd again by its name in parent, whose fd dirfd is
 * open: the name is read under the lock, and must still be in parent.
 */
static int open_step(struct inode_table *t, struct pt_inode *i,
		     const struct pt_inode *parent, int dirfd)
{
	struct inode_later l = { 0 };
	char name[NAME_MAX + 1];
	struct ifh_idbuf id;
	bool stale, adopted = false;
	int fd, err;

	pthread_mutex_lock(&t->lock);
	if (i->fd >= 0) {
		/* Another user of the inode reopened it first. */
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	stale = i->parent != parent || !i->name;
	if (!stale)
		strcpy(name, i->name);
	pthread_mutex_unlock(&t->lock);
	if (stale)
		return -ESTALE;
	err = open_name(t, dirfd, name, &fd);
	if (err)
		return err;
	err = check_named(i, fd, &id);
	if (err) {
		close(fd);
		return err;
	}
	pthread_mutex_lock(&t->lock);
	stale = !ifh_same(&id.fh, i->fh);
	if (!stale)
		adopted = inode_adopt_locked(t, i, fd, &l);
	if (adopted)
		t->stats.by_name++;
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
	if (!adopted)
		close(fd);
	return stale ? -ESTALE : 0;
}

/* From top (held, fd open) down the chain, each step by name. */
static int walk_down(struct inode_table *t, struct pt_inode *top,
		     const struct chain *c)
{
	struct creds_saved r;
	struct pt_inode *parent = top;
	int err, back;

	/*
	 * As the daemon, not the guest's user: this gives back an fd the
	 * table had, which a walk by a user who may not search one of the
	 * directories on the way (now) must not fail. What the user may do
	 * with the file is decided by the operation, on the fd.
	 */
	err = creds_daemon_begin(&r);
	if (err)
		return err;
	for (size_t k = c->n; k-- > 0 && !err;) {
		/* Held, so its fd stays what this step found or made it. */
		err = open_step(t, c->v[k], parent, parent->fd);
		parent = c->v[k];
	}
	back = creds_daemon_end(&r);
	return err ? err : back;
}

int iname_reopen(struct inode_table *t, struct pt_inode *i)
{
	struct chain c = { .n = 0, .cap = CHAIN_STACK };
	struct pt_inode *p, *top = NULL;
	int err = 0;

	c.v = c.stack;
	pthread_mutex_lock(&t->lock);
	for (p = i; p->fd < 0 && !p->by_handle; p = p->parent) {
		/* No name: unlinked, or never had one; its fd never closes. */
		if (!p->parent) {
			err = -ESTALE;
			break;
		}
		err = chain_push(&c, p);
		if (err)
			break;
		if (p != i)
			inode_hold_locked(t, p);
	}
	if (!err) {
		top = p;
		inode_hold_locked(t, top);
	}
	pthread_mutex_unlock(&t->lock);
	/* A mount without handles inside a share with them. */
	if (!err && top->by_handle)
		err = inode_reopen_by_handle(t, top);
	if (!err)
		err = walk_down(t, top, &c);
	for (size_t k = 1; k < c.n; k++)
		inode_put(t, c.v[k]);
	inode_put(t, top);
	if (c.v != c.stack)
		free(c.v);
	return err;
}

/* The mount part of a key as the table keeps it. */
static uint64_t key_mount(const struct inode_table *t,
			  const struct inode_was *w)
{
	return t->reopen == INODE_BY_HANDLE ? w->mnt_id : 0;
}

static struct pt_inode *find_was_locked(const struct inode_table *t,
					const struct inode_was *w)
{
	if (!w || !w->valid)
		return NULL;
	return inode_find_key_locked(t, w->st.st_dev, w->st.st_ino,
				     key_mount(t, w));
}

/* i is known as name in dir: not any more. */
static void drop_name_locked(struct inode_table *t, struct pt_inode *i,
			     const struct pt_inode *dir, const char *name,
			     struct inode_later *l)
{
	if (i->parent == dir && i->name && !strcmp(i->name, name))
		inode_set_parent_locked(t, i, NULL, NULL, l);
}

void inode_unlinked(struct inode_table *t, struct pt_inode *dir,
		    const char *name, const struct inode_was *was)
{
	struct inode_later l = { 0 };
	struct pt_inode *i;

	if (!inode_tracks_names(t))
		return;
	pthread_mutex_lock(&t->lock);
	i = find_was_locked(t, was);
	if (i)
		drop_name_locked(t, i, dir, name, &l);
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
}

void inode_renamed(struct inode_table *t, struct pt_inode *dir,
		   const char *name, struct pt_inode *newdir,
		   const char *newname, const struct inode_was *src,
		   const struct inode_was *dst, bool exchange)
{
	const struct inode_at to = { newdir, newname }, back = { dir, name };
	struct inode_later l = { 0 };
	struct pt_inode *x, *y;

	if (!inode_tracks_names(t))
		return;
	pthread_mutex_lock(&t->lock);
	x = find_was_locked(t, src);
	y = find_was_locked(t, dst);
	if (y == x)
		y = NULL;
	/*
	 * x was found by the key of what the name held a moment before the
	 * rename; if a host process swapped it meanwhile, x gets a name that
	 * leads elsewhere and its id check makes that ESTALE.
	 */
	if (x)
		iname_seen_locked(t, x, &to, &l);
	if (y && exchange)
		iname_seen_locked(t, y, &back, &l);
	else if (y)
		drop_name_locked(t, y, newdir, newname, &l);
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
}
