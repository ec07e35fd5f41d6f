/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The destination's half of a migration (fs/migrate.h): the guest's
 * nodeids and handles found again in this daemon's share.
 *
 * Everything is decoded and checked first (migrate_decode.c); then the
 * records are walked in their order, a parent before what lies below it,
 * each opened from its directory's fd as a lookup opens a name
 * (migrate_walk.c), or by its file handle in file-handles mode where the
 * share holds the whole filesystem. Nothing outside the share is reached
 * either way: names are single components opened O_PATH | O_NOFOLLOW from
 * the share's root down, and a handle of a filesystem the share holds
 * whole names a file of the share.
 *
 * Is it the same file? On the same filesystem (the share's root has the
 * same file id and the filesystem the same fsid as on the source) each
 * file's id is compared with the source's, so a file replaced meanwhile
 * is told apart from the one the guest knew; on another filesystem (a
 * copy of the share) only the type can be, unless
 * --migration-verify-handles insists, which then refuses the state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fs/inode_migrate.h"
#include "fs/migrate_int.h"
#include "fs/pt_internal.h"
#include "util/log.h"

struct loader {
	struct pt_fs *fs;
	const struct pt_migrate_opts *o;
	const struct mig_fs *m;
	bool same_fs;
	bool verify;		/* every id must be compared */
	bool by_handle;		/* open the stream's handles */
	int mount_fd;		/* for open_by_handle_at: the share's root */
	uint32_t *last;		/* last child of each record, or NONE */
	struct pt_inode **held;	/* entered, and needed later */
	size_t restored, stale, lost;
	int err;		/* a failure that ends the load */
};

/* Is the share the one the source saw (so ids can be compared)? */
static bool same_filesystem(struct pt_fs *fs, const struct mig_fs *m)
{
	struct ifh_idbuf b;
	struct statfs sf;
	uint64_t fsid = 0;

	if (!m->root_id_len)
		return false;
	if (!fstatfs(fs->root->fd, &sf)) {
		uint32_t v[2];

		memcpy(v, &sf.f_fsid, sizeof(v));
		fsid = (uint64_t)v[0] | (uint64_t)v[1] << 32;
	}
	if (fsid && m->fsid && fsid != m->fsid)
		return false;
	/* The source took the root's handle if it could, else its fid. */
	if (ifh_id_into(fs->root->fd, false, &b) &&
	    ifh_id_into(fs->root->fd, true, &b))
		return false;
	return b.fh.handle_type == m->root_id_type &&
	       b.fh.handle_bytes == m->root_id_len &&
	       !memcmp(b.fh.f_handle, m->root_id, m->root_id_len);
}

/* Open record n by its handle; -1 if it names nothing (any more). */
static int open_handle(struct loader *L, const struct mig_node *n,
		       struct stat *st, uint64_t *mnt_id)
{
	struct ifh_idbuf b;
	int fd;

	b.fh.handle_bytes = n->id_len;
	b.fh.handle_type = n->id_type;
	memcpy(b.fh.f_handle, n->id, n->id_len);
	if (ifh_open(L->mount_fd, &b.fh, &fd))
		return -1;
	if (pt_statx(fd, st, mnt_id) || (st->st_mode & S_IFMT) != n->mode) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Is fd, found by record n's path, the file the guest knew? Its id goes
 * to b when it was compared (*have_id).
 */
static bool check_found(struct loader *L, const struct mig_node *n, int fd,
			const struct stat *st, struct ifh_idbuf *b,
			bool *have_id)
{
	*have_id = false;
	if ((st->st_mode & S_IFMT) != n->mode)
		return false;
	if (!(L->same_fs && n->id_len))
		return !L->verify;	/* nothing to tell it by */
	if (ifh_id_into(fd, !(n->flags & MIG_NODE_OPENABLE), b) ||
	    b->fh.handle_type != n->id_type || b->fh.handle_bytes != n->id_len ||
	    memcmp(b->fh.f_handle, n->id, n->id_len))
		return false;	/* another file under the old name */
	*have_id = true;
	return true;
}

static uint32_t node_parent(void *arg, size_t i)
{
	return ((struct loader *)arg)->m->nodes[i].parent;
}

static bool node_name(void *arg, size_t i, char *buf)
{
	const struct mig_node *n = &((struct loader *)arg)->m->nodes[i];

	if (!n->name_len)
		return false;
	memcpy(buf, n->name, n->name_len);
	buf[n->name_len] = 0;
	return true;
}

/* Keep i's inode while records below it or handles of it are to come. */
static void keep_or_put(struct loader *L, size_t i, struct pt_inode *ino)
{
	if (L->last[i] != MIG_NO_PARENT || L->m->nodes[i].nhandles)
		L->held[i] = ino;
	else
		inode_put(&L->fs->inodes, ino);
}

/*
 * Enter record i as fd, its id (or NULL) as compared: 0 and fd is the
 * table's, or EEXIST / ENOMEM and it is still the caller's.
 */
static int enter(struct loader *L, size_t i, int fd, const struct stat *st,
		 uint64_t mnt_id, const struct ifh_idbuf *id)
{
	const struct mig_node *n = &L->m->nodes[i];
	char name[MIG_NAME_MAX + 1];
	struct inode_at at = { NULL, name };
	struct inode_restore r = {
		.nodeid = n->nodeid, .nlookup = n->nlookup, .fd = fd,
		.st = st, .mnt_id = mnt_id,
		.id = id ? &id->fh : NULL,
		.id_fid = !(n->flags & MIG_NODE_OPENABLE),
	};
	struct pt_inode *ino;
	int err;

	if (n->parent != MIG_NO_PARENT && node_name(L, i, name)) {
		at.dir = n->parent ? L->held[n->parent] : L->fs->root;
		r.at = at.dir ? &at : NULL;
	}
	err = inode_restore(&L->fs->inodes, &r, &ino);
	if (!err) {
		L->restored++;
		keep_or_put(L, i, ino);
	}
	return err;
}

/* Gone, or the same file as a record before it: stale if the guest knows it. */
static void enter_stale(struct loader *L, size_t i)
{
	const struct mig_node *n = &L->m->nodes[i];
	int err;

	if (!n->nodeid)
		return;
	L->stale++;
	err = inode_restore_stale(&L->fs->inodes, n->nodeid, n->mode,
				  n->nlookup);
	if (err)
		L->err = err;
}

/* Once its last child is in, a directory may close its fd again. */
static void release_parent(struct loader *L, size_t i)
{
	uint32_t p = L->m->nodes[i].parent;

	if (p == MIG_NO_PARENT || !p || L->last[p] != i ||
	    L->m->nodes[p].nhandles || !L->held[p])
		return;
	inode_put(&L->fs->inodes, L->held[p]);
	L->held[p] = NULL;
}

/*
 * By file handle: a handle that opens nothing means the file is gone,
 * whatever has its name now. What lies below is looked for by path.
 */
static enum mig_visit visit_handle(struct loader *L, size_t i, int err)
{
	struct stat st;
	uint64_t mnt;
	int fd = open_handle(L, &L->m->nodes[i], &st, &mnt);

	if (fd < 0 || enter(L, i, fd, &st, mnt, NULL)) {
		if (fd >= 0)
			close(fd);
		enter_stale(L, i);
		return MIG_SKIP;
	}
	return err ? MIG_SKIP : MIG_KEEP;
}

static enum mig_visit visit_path(struct loader *L, size_t i, int fd, int err,
				 const struct stat *st, uint64_t mnt_id)
{
	const struct mig_node *n = &L->m->nodes[i];
	struct ifh_idbuf id;
	bool have_id;

	if (err || !check_found(L, n, fd, st, &id, &have_id)) {
		/* Below a directory that is not the guest's, nothing is. */
		enter_stale(L, i);
		return MIG_SKIP;
	}
	/* A directory only names go through matters where names are kept. */
	if (!n->nodeid && !inode_tracks_names(&L->fs->inodes))
		return MIG_KEEP;
	err = enter(L, i, fd, st, mnt_id, have_id ? &id : NULL);
	if (!err)
		return MIG_TAKEN;
	if (err != -EEXIST) {
		L->err = err;
		return MIG_SKIP;
	}
	enter_stale(L, i);
	return MIG_KEEP;
}

static enum mig_visit load_visit(void *arg, size_t i, int fd, int err,
				 const struct stat *st, uint64_t mnt_id)
{
	struct loader *L = arg;
	enum mig_visit v;

	if (L->err)
		return MIG_SKIP;
	if (i == 0)
		return err ? MIG_SKIP : MIG_KEEP; /* the table has the root */
	if (L->by_handle && (L->m->nodes[i].flags & MIG_NODE_OPENABLE))
		v = visit_handle(L, i, err);
	else
		v = visit_path(L, i, fd, err, st, mnt_id);
	release_parent(L, i);
	return v;
}

/* The guest's open files and directories on the inodes just entered. */
static void restore_handle(struct loader *L, const struct mig_handle *mh)
{
	struct pt_inode *ino = L->held[mh->node];
	struct pt_handle *h;
	int flags = mh->kind == MIG_DIR ? O_RDONLY | O_DIRECTORY :
					  (int)mh->flags;
	int fd, err;

	if (!ino) {
		L->lost++;	/* its file was not found again */
		return;
	}
	err = pt_reopen(L->fs, ino, flags, &fd);
	/* O_NOATIME is only for the owner (or CAP_FOWNER). */
	if (err == -EPERM && (flags & O_NOATIME))
		err = pt_reopen(L->fs, ino, flags & ~O_NOATIME, &fd);
	if (!err) {
		err = handle_restore(&L->fs->handles, fd,
				     mh->kind == MIG_DIR ? HANDLE_DIR :
							   HANDLE_FILE,
				     mh->fh, &h);
		if (err)
			close(fd);
	}
	if (err) {
		log_warn("migration: open file %llu of nodeid %llu: %s",
			 (unsigned long long)mh->fh,
			 (unsigned long long)mh->nodeid, strerror(-err));
		L->lost++;
		return;
	}
	if (mh->kind == MIG_DIR) {
		/* The next READDIR seeks to the guest's offset. */
		h->dir.cookie = mh->cookie;
		h->dir.moved = true;
	}
	inode_opened(&L->fs->inodes, mh->nodeid);
}

static int loader_init(struct loader *L)
{
	const struct mig_fs *m = L->m;

	L->last = malloc(m->nnodes * sizeof(*L->last));
	L->held = calloc(m->nnodes, sizeof(*L->held));
	if (!L->last || !L->held)
		return -ENOMEM;
	memset(L->last, 0xff, m->nnodes * sizeof(*L->last));
	for (size_t i = 1; i < m->nnodes; i++)
		if (m->nodes[i].parent != MIG_NO_PARENT)
			L->last[m->nodes[i].parent] = (uint32_t)i;
	L->mount_fd = -1;
	L->same_fs = same_filesystem(L->fs, m);
	L->verify = L->o->verify_handles || (m->flags & MIG_FS_VERIFY);
	if (L->verify && !L->same_fs) {
		log_err("migration refused: --migration-verify-handles, and "
			"the share is not on the filesystem the source saw");
		return -EINVAL;
	}
	/* The source's mode decides; the share here must be whole. */
	if (m->mode == PT_MIGRATE_FILE_HANDLES && L->same_fs &&
	    L->o->handles_inside) {
		L->mount_fd = openat(L->fs->root->fd, ".",
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		L->by_handle = L->mount_fd >= 0;
	}
	return 0;
}

static void loader_fini(struct loader *L)
{
	for (size_t i = 0; L->held && i < L->m->nnodes; i++)
		inode_put(&L->fs->inodes, L->held[i]);
	free(L->held);
	free(L->last);
	if (L->mount_fd >= 0)
		close(L->mount_fd);
}

static int load_nodes(struct loader *L)
{
	const struct mig_walk_ops ops = { node_parent, node_name, load_visit };
	int err = mig_walk(L->m->nnodes, L->fs->root->fd, &ops, L);

	return err ? err : L->err;
}

int pt_state_load(struct pt_fs *fs, const struct pt_migrate_opts *o,
		  const struct state_view *v)
{
	uint64_t t0 = mig_now_us();
	struct mig_fs m;
	struct loader L = { .fs = fs, .o = o, .m = &m };
	char why[256];
	int err;

	err = mig_decode(v, &m, why, sizeof(why));
	if (err) {
		log_err("migration state refused: %s",
			err == -EINVAL ? why : strerror(-err));
		return err;
	}
	err = loader_init(&L);
	if (!err)
		err = load_nodes(&L);
	for (size_t k = 0; !err && k < m.nhandles; k++)
		restore_handle(&L, &m.handles[k]);
	if (!err) {
		inode_restore_next_id(&fs->inodes, m.next_nodeid);
		handle_restore_next(&fs->handles, m.next_fh);
		log_info("migration: %zu inodes found again (%s), %zu stale, "
			 "%zu open files and directories, %zu lost, in %llu ms",
			 L.restored, L.same_fs ? "same filesystem" :
			 "another filesystem: ids not compared", L.stale,
			 m.nhandles - L.lost, L.lost,
			 (unsigned long long)(mig_now_us() - t0) / 1000);
	}
	if (!err && L.lost && o->on_error == PT_MIGRATE_ABORT) {
		log_err("migration refused: %zu files the guest has open were "
			"not found again (--migration-on-error=abort; the guest "
			"stays on the source)", L.lost);
		err = -ENOENT;
	}
	loader_fini(&L);
	mig_fs_free(&m);
	return err;
}
