/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Directory handles: OPENDIR, READDIR(PLUS), RELEASEDIR, FSYNCDIR.
 *
 * Offsets given to the guest are the host's own d_off cookies from
 * getdents64, so a guest resuming at an offset after entries were added or
 * removed resumes where the host filesystem says, neither repeating nor
 * skipping entries that stayed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fs/pt_internal.h"

/*
 * One READDIR reads the directory into a buffer on its worker's stack,
 * first PT_DIRBUF_FIRST bytes (a quarter for READDIRPLUS, whose entries
 * take about four times the room in the reply) and twice as much each time
 * after, up to PT_DIRBUF_MAX: about what the reply has room for, and so
 * little read in vain. What the reply did not take is left to the next
 * READDIR, which seeks back to it.
 */
#define PT_DIRBUF_FIRST (4u * 1024u)
#define PT_DIRBUF_MAX (32u * 1024u)

struct dir_buf {
	size_t len;	/* bytes of entries in buf */
	size_t pos;	/* next unreturned entry in buf */
	size_t want;	/* what the next getdents64 asks for */
	char buf[PT_DIRBUF_MAX];
};

int pt_op_opendir(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		  uint32_t flags, uint64_t *fh)
{
	struct pt_fs *fs = opaque;
	struct pt_inode *ino;
	int fd, err;

	/* Directories are only ever read: the guest's flags do not matter. */
	(void)ctx;
	(void)flags;
	err = pt_req_dir(fs, nodeid, &ino);
	if (err)
		return err;
	err = pt_reopen(fs, ino, O_RDONLY | O_DIRECTORY, &fd);
	if (err)
		return err;
	err = handle_new(&fs->handles, fd, HANDLE_DIR, fh);
	if (err)
		close(fd);
	else
		inode_opened(&fs->inodes, nodeid);
	return err;
}

/* One getdents64 record, decoded and bounds-checked. */
struct raw_dirent {
	uint64_t ino;
	uint64_t next_off;
	size_t reclen;
	unsigned char type;
	const char *name;
	size_t namelen;
};

static int parse_dirent(const struct dir_buf *b, struct raw_dirent *d)
{
	const size_t hdr = offsetof(struct dirent64, d_name);
	const char *p = b->buf + b->pos;
	size_t left = b->len - b->pos;
	unsigned short reclen;
	int64_t off;

	/* The host kernel is trusted, but a bad record must not be read past. */
	if (left < hdr)
		return -EIO;
	memcpy(&d->ino, p + offsetof(struct dirent64, d_ino), sizeof(d->ino));
	memcpy(&off, p + offsetof(struct dirent64, d_off), sizeof(off));
	memcpy(&reclen, p + offsetof(struct dirent64, d_reclen),
	       sizeof(reclen));
	memcpy(&d->type, p + offsetof(struct dirent64, d_type),
	       sizeof(d->type));
	if (reclen <= hdr || reclen > left)
		return -EIO;
	d->reclen = reclen;
	d->next_off = (uint64_t)off;
	d->name = p + hdr;
	d->namelen = strnlen(d->name, reclen - hdr);
	if (d->namelen == reclen - hdr || !d->namelen)
		return -EIO;
	return 0;
}

/* Make sure an unreturned entry is in b; 0 with *end at the end. */
static int fill_buffer(struct pt_handle *h, struct dir_buf *b, bool *end)
{
	ssize_t n;

	*end = false;
	if (b->pos < b->len)
		return 0;
	n = getdents64(h->fd, b->buf, b->want);
	if (n < 0)
		return -errno;
	b->len = (size_t)n;
	b->pos = 0;
	if (b->want < sizeof(b->buf))
		b->want *= 2;
	*end = n == 0;
	return 0;
}

/* Move the stream to cookie off unless it already stands there. */
static int seek_dir(struct pt_handle *h, uint64_t off)
{
	struct pt_dirstate *st = &h->dir;

	if (off == st->cookie && !st->moved)
		return 0;
	if (off > INT64_MAX)
		return -EINVAL;
	if (lseek(h->fd, (off_t)off, SEEK_SET) < 0)
		return -errno;
	st->cookie = off;
	st->moved = false;
	return 0;
}

static bool is_dot_or_dotdot(const struct raw_dirent *d)
{
	return (d->namelen == 1 && d->name[0] == '.') ||
	       (d->namelen == 2 && d->name[0] == '.' && d->name[1] == '.');
}

/*
 * The listed directory's own device, stat'ed once per READDIRPLUS, and
 * when inodes are found again by name its inode, for the entries' names.
 */
struct dir_dev {
	bool known;
	dev_t dev;
	struct pt_inode *ino;	/* held by the request, or NULL */
};

/*
 * The inode the guest says it lists, if the handle reads that very
 * directory (the guest's nodeid is only its word): else the entries are
 * entered by no name, and keep their fds.
 */
static void dir_inode(struct pt_fs *fs, struct pt_handle *h, uint64_t nodeid,
		      struct dir_dev *dd)
{
	struct stat st;

	if (!inode_tracks_names(&fs->inodes) || fstat(h->fd, &st))
		return;
	dd->dev = st.st_dev;
	dd->known = true;
	if (pt_req_inode(fs, nodeid, &dd->ino) ||
	    !inode_matches(dd->ino, &st))
		dd->ino = NULL;
}

/* The listed directory's device, from the handle's fd, once. */
static void dir_dev_known(struct pt_handle *h, struct dir_dev *dd)
{
	struct stat st;

	if (dd->known || fstat(h->fd, &st))
		return;
	dd->dev = st.st_dev;
	dd->known = true;
}

/* A directory on another device is a mount point inside the share. */
static void mark_submount(struct pt_handle *h, struct dir_dev *dd,
			  struct vfs_entry *e)
{
	if (!S_ISDIR(e->attr.st_mode))
		return;
	dir_dev_known(h, dd);
	/* Unknown: the guest sees a plain directory, as without it. */
	if (dd->known)
		e->submount = e->attr.st_dev != dd->dev;
}

/*
 * READDIRPLUS: look the entry up. "." and ".." get nodeid 0, which tells
 * the kernel to list the name without making a dentry of it. ENOENT means
 * the entry went away since getdents64: the caller skips it. Any other
 * failure (a directory the caller may read but not search, EMFILE) lists
 * the name the same way as "." so that READDIRPLUS shows what READDIR would.
 */
static int plus_lookup(struct pt_fs *fs, struct pt_handle *h,
		       struct dir_dev *dd, const struct raw_dirent *d,
		       struct vfs_entry *e, struct pt_inode **held)
{
	*held = NULL;
	/* d->name is NUL-terminated: checked by parse_dirent(). */
	if (!is_dot_or_dotdot(d)) {
		int err = pt_lookup_fd(fs, dd->ino, h->fd, d->name, e, held);

		if (!err)
			mark_submount(h, dd, e);
		if (!err || err == -ENOENT)
			return err;
	}
	memset(e, 0, sizeof(*e));
	e->attr.st_ino = (ino_t)(dd->known ? pt_ino(fs, dd->dev, d->ino) :
					     d->ino);
	e->attr.st_mode = DTTOIF(d->type);
	return 0;
}

/* Emit entries from b until the packer is full or the directory ends. */
static int emit_entries(struct pt_fs *fs, struct pt_handle *h,
			struct dir_buf *b, struct dir_dev *dd, bool plus,
			vfs_fill_fn fill, void *arg)
{
	struct pt_dirstate *st = &h->dir;
	struct pt_inode *held;
	struct raw_dirent rd;
	struct vfs_entry e;
	struct vfs_dirent d;
	bool end, emitted = false;
	int err, full;

	for (;;) {
		err = fill_buffer(h, b, &end);
		if (err || end)
			break;
		err = parse_dirent(b, &rd);
		if (err)
			break;
		held = NULL;
		if (plus) {
			err = plus_lookup(fs, h, dd, &rd, &e, &held);
			if (err == -ENOENT) {
				err = 0;
				b->pos += rd.reclen;
				st->cookie = rd.next_off;
				continue;
			}
		}
		d = (struct vfs_dirent){
			.name = rd.name,
			.namelen = rd.namelen,
			/* As stat shows it: the listed directory's device. */
			.ino = dd->known ? pt_ino(fs, dd->dev, rd.ino) : rd.ino,
			.type = rd.type,
			.next_off = rd.next_off,
			.entry = plus ? &e : NULL,
		};
		full = fill(arg, &d);
		if (held) {
			/* Not taken: the guest never heard of this lookup. */
			if (full)
				inode_unlookup(&fs->inodes, held);
			inode_put(&fs->inodes, held);
		}
		if (full)
			break;
		emitted = true;
		b->pos += rd.reclen;
		st->cookie = rd.next_off;
	}
	/* Entries read and not returned: the next READDIR reads them again. */
	st->moved = b->pos < b->len;
	/* Entries already packed are worth a reply; the error comes again. */
	return emitted ? 0 : err;
}

int pt_op_readdir(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		  uint64_t fh, uint64_t off, bool plus, vfs_fill_fn fill,
		  void *arg)
{
	struct pt_fs *fs = opaque;
	struct dir_dev dd = { .known = false, .ino = NULL };
	struct pt_handle *h;
	struct dir_buf b;
	int err;

	(void)ctx;
	h = handle_get(&fs->handles, fh, HANDLE_DIR);
	if (!h)
		return -EBADF;
	b.len = 0;
	b.pos = 0;
	b.want = plus ? PT_DIRBUF_FIRST / 4 : PT_DIRBUF_FIRST;
	if (plus)
		dir_inode(fs, h, nodeid, &dd);
	if (!dd.known && !atomic_load(&fs->submounts))
		dir_dev_known(h, &dd);
	pthread_mutex_lock(&h->dir_lock);
	err = seek_dir(h, off);
	if (!err)
		err = emit_entries(fs, h, &b, &dd, plus, fill, arg);
	pthread_mutex_unlock(&h->dir_lock);
	handle_put(&fs->handles, h);
	return err;
}

int pt_op_releasedir(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		     uint64_t fh)
{
	struct pt_fs *fs = opaque;
	int err;

	(void)ctx;
	pt_locks_drop_handle(fs, nodeid, fh);
	err = handle_release(&fs->handles, fh, HANDLE_DIR);
	if (!err)
		inode_closed(&fs->inodes, nodeid);
	return err;
}

int pt_op_fsyncdir(void *opaque, const struct vfs_ctx *ctx, uint64_t nodeid,
		   uint64_t fh, bool datasync)
{
	struct pt_fs *fs = opaque;
	struct pt_handle *h;
	int err;

	(void)ctx;
	(void)nodeid;
	h = handle_get(&fs->handles, fh, HANDLE_DIR);
	if (!h)
		return -EBADF;
	err = 0;
	if (datasync ? fdatasync(h->fd) : fsync(h->fd))
		err = -errno;
	handle_put(&fs->handles, h);
	return err;
}
