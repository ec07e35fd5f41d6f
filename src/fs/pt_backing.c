/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FUSE passthrough: the kernel reads and writes an opened regular file
 * itself, through a backing file we register with it. The kernel wants one
 * backing file per inode for all of that inode's open files at once (a
 * second one is EIO at open), and opens its own file from it with each
 * opener's flags, so one registration per inode serves every open: it is
 * made at the first open and dropped when the last handle using it goes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fs/pt_internal.h"
#include "policy/creds.h"
#include "util/log.h"

struct pt_backing {
	struct htab_node node;	/* keyed by nodeid */
	int32_t id;
	uint64_t refs;		/* handles using it */
};

struct pt_backings {
	/* Protects map and the entries; a leaf, held across the ioctl. */
	pthread_mutex_t lock;
	struct htab map;
	/* From the first attach on; the same for the session's life. */
	void (*detach)(void *arg, int32_t id);
	void *arg;
};

int pt_backings_new(struct pt_fs *fs)
{
	struct pt_backings *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return -ENOMEM;
	err = -pthread_mutex_init(&b->lock, NULL);
	if (!err) {
		err = htab_init(&b->map);
		if (err)
			pthread_mutex_destroy(&b->lock);
	}
	if (err) {
		free(b);
		return err;
	}
	fs->backings = b;
	return 0;
}

/* After every handle is gone (handle_table_fini), so nothing is left. */
void pt_backings_free(struct pt_fs *fs)
{
	struct pt_backings *b = fs->backings;
	struct htab_node *n;

	if (!b)
		return;
	n = htab_take_all(&b->map);
	while (n) {
		struct htab_node *next = n->next;

		free(n);
		n = next;
	}
	htab_fini(&b->map);
	pthread_mutex_destroy(&b->lock);
	free(b);
	fs->backings = NULL;
}

static struct pt_backing *backing_find(struct pt_backings *b, uint64_t nodeid)
{
	struct htab_node *n = htab_first(&b->map, nodeid);

	return n ? (struct pt_backing *)n : NULL;
}

/*
 * A backing file is the daemon's own act on the FUSE device: as the
 * daemon, with the CAP_SYS_ADMIN it holds back (the kernel asks for it to
 * open and to close one), and the request's ids back afterwards.
 */
static int backing_begin(struct creds_saved *saved)
{
	int err = creds_daemon_begin(saved);

	if (!err)
		creds_raise_held();
	return err;
}

static int backing_end(const struct creds_saved *saved)
{
	creds_return();
	return creds_daemon_end(saved);
}

/* A handle that used the inode's backing file went. */
static void backing_put(void *arg, uint64_t nodeid)
{
	struct pt_backings *b = arg;
	struct creds_saved saved;
	struct pt_backing *e;

	pthread_mutex_lock(&b->lock);
	e = backing_find(b, nodeid);
	if (e && --e->refs == 0) {
		htab_remove(&b->map, &e->node);
		/* A RELEASE runs with the ids its thread's last caller left. */
		if (!backing_begin(&saved)) {
			b->detach(b->arg, e->id);
			if (backing_end(&saved))
				log_warn("backing file %d: the caller's ids "
					 "not restored", e->id);
		}
		free(e);
	}
	pthread_mutex_unlock(&b->lock);
}

/*
 * Register h's file for its inode. The kernel does the I/O with the
 * credentials of this call (root's: FUSE_DEV_IOC_BACKING_OPEN needs
 * CAP_SYS_ADMIN), and root's write clears no set-user-ID bit: such files
 * stay with the daemon. What the file is, is decided on h's fd.
 */
static int backing_attach(struct pt_backings *b, uint64_t nodeid,
			  struct pt_handle *h,
			  int32_t (*attach)(void *arg, int fd), void *arg)
{
	struct creds_saved saved;
	struct pt_backing *e;
	struct stat st;
	int32_t r;
	int err;

	if (fstat(h->fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_ISUID | S_ISGID)))
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	/* The request's own ids come back after: it may go on after this. */
	err = backing_begin(&saved);
	r = err ? -err : attach(arg, h->fd);
	if (!err && backing_end(&saved) && r > 0) {
		b->detach(b->arg, r);
		r = -EIO;
	}
	if (r <= 0) {
		free(e);
		return r < 0 ? -r : -EIO;
	}
	e->id = r;
	htab_insert(&b->map, &e->node, nodeid);
	return 0;
}

int pt_op_passthrough(void *opaque, uint64_t nodeid, uint64_t fh,
		      int32_t (*attach)(void *arg, int fd),
		      void (*detach)(void *arg, int32_t id), void *arg,
		      int32_t *id)
{
	struct pt_fs *fs = opaque;
	struct pt_backings *b = fs->backings;
	struct pt_backing *e;
	struct pt_handle *h;
	int err = 0;

	h = handle_get(&fs->handles, fh, HANDLE_FILE);
	if (!h)
		return -EBADF;
	pthread_mutex_lock(&b->lock);
	b->detach = detach;
	b->arg = arg;
	e = backing_find(b, nodeid);
	if (h->release_hook)
		err = -EINVAL;
	else if (!e)
		err = backing_attach(b, nodeid, h, attach, arg);
	if (!err) {
		e = backing_find(b, nodeid);
		e->refs++;
		*id = e->id;
		h->release_hook = backing_put;
		h->hook_arg = b;
		h->hook_key = nodeid;
	}
	pthread_mutex_unlock(&b->lock);
	handle_put(&fs->handles, h);
	return err;
}
