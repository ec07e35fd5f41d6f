/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-opcode decoders (fuse/ops_*.c, INIT/DESTROY in fuse/session.c).
 *
 * Each is called with the header checked and at least the table's min_in
 * bytes of body readable through c->r; each sends exactly one reply, except
 * the FOP_NOREPLY ones which send none.
 */
#ifndef VFSD_FUSE_OPS_H
#define VFSD_FUSE_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "fuse/secctx.h"
#include "fuse/session_int.h"

/*
 * "Replies:" lists what each op may answer, as libfuse's fuse_lowlevel.h
 * does: reply_err() with -errno is always among them unless the
 * op sends nothing; "reply_err(0)" is success with an empty body.
 */

/* session.c */
/** INIT. Replies: reply_buf(fuse_init_out), reply_err(). */
void op_init(struct fuse_call *c);
/** DESTROY. Replies: reply_ok(). */
void op_destroy(struct fuse_call *c);

/* ops_entry.c */
/** LOOKUP. Replies: reply_entry(), reply_err(). */
void op_lookup(struct fuse_call *c);
/** FORGET (FOP_NOREPLY). Replies: none. */
void op_forget(struct fuse_call *c);
/** BATCH_FORGET (FOP_NOREPLY). Replies: none. */
void op_batch_forget(struct fuse_call *c);
/** MKNOD. Replies: reply_entry(), reply_err(). */
void op_mknod(struct fuse_call *c);
/** MKDIR. Replies: reply_entry(), reply_err(). */
void op_mkdir(struct fuse_call *c);
/** SYMLINK. Replies: reply_entry(), reply_err(). */
void op_symlink(struct fuse_call *c);
/** LINK. Replies: reply_entry(), reply_err(). */
void op_link(struct fuse_call *c);
/** UNLINK. Replies: reply_err(0), reply_err(). */
void op_unlink(struct fuse_call *c);
/** RMDIR. Replies: reply_err(0), reply_err(). */
void op_rmdir(struct fuse_call *c);
/** RENAME. Replies: reply_err(0), reply_err(). */
void op_rename(struct fuse_call *c);
/** RENAME2. Replies: reply_err(0), reply_err(). */
void op_rename2(struct fuse_call *c);

/* ops_attr.c */
/** GETATTR. Replies: reply_attr(), reply_err(). */
void op_getattr(struct fuse_call *c);
/** SETATTR. Replies: reply_attr() (the attributes after), reply_err(). */
void op_setattr(struct fuse_call *c);
/** READLINK. Replies: reply_data() (the target, no NUL), reply_err(). */
void op_readlink(struct fuse_call *c);
/** ACCESS. Replies: reply_err(0), reply_err(). */
void op_access(struct fuse_call *c);
/** STATFS. Replies: reply_statfs(), reply_err(). */
void op_statfs(struct fuse_call *c);
/** INTERRUPT (FOP_NOREPLY): the interrupted request answers. Replies: none. */
void op_interrupt(struct fuse_call *c);

/* ops_file.c */
/** OPEN. Replies: reply_open(), reply_err(). */
void op_open(struct fuse_call *c);
/** CREATE. Replies: reply_create(), reply_err(). */
void op_create(struct fuse_call *c);
/**
 * READ. Replies: reply_payload_begin() then reply_payload_end() (the data,
 * or its error), reply_err() when nothing was begun.
 */
void op_read(struct fuse_call *c);
/** WRITE. Replies: reply_write() (bytes written), reply_err(). */
void op_write(struct fuse_call *c);
/** FLUSH. Replies: reply_err(0), reply_err(). */
void op_flush(struct fuse_call *c);
/** RELEASE. Replies: reply_err(0), reply_err(). */
void op_release(struct fuse_call *c);
/** FSYNC. Replies: reply_err(0), reply_err(). */
void op_fsync(struct fuse_call *c);
/** FALLOCATE. Replies: reply_err(0), reply_err(). */
void op_fallocate(struct fuse_call *c);
/** LSEEK (SEEK_DATA, SEEK_HOLE). Replies: reply_lseek(), reply_err(). */
void op_lseek(struct fuse_call *c);

/* ops_dir.c */
/** OPENDIR. Replies: reply_open(), reply_err(). */
void op_opendir(struct fuse_call *c);
/**
 * READDIR, READDIRPLUS. Replies: reply_dir_begin() then reply_dir_end()
 * (the entries, or the error), reply_err() when nothing was begun.
 */
void op_readdir(struct fuse_call *c);
void op_readdirplus(struct fuse_call *c);
/** RELEASEDIR. Replies: reply_err(0), reply_err(). */
void op_releasedir(struct fuse_call *c);
/** FSYNCDIR. Replies: reply_err(0), reply_err(). */
void op_fsyncdir(struct fuse_call *c);

/* ops_xattr.c */
/** SETXATTR. Replies: reply_err(0), reply_err(). */
void op_setxattr(struct fuse_call *c);
/**
 * GETXATTR, LISTXATTR. Replies: reply_buf(fuse_getxattr_out) (size 0
 * asked: the size only), reply_data() (the value or the name list),
 * reply_err() (ERANGE: the buffer is too small).
 */
void op_getxattr(struct fuse_call *c);
void op_listxattr(struct fuse_call *c);
/** REMOVEXATTR. Replies: reply_err(0), reply_err(). */
void op_removexattr(struct fuse_call *c);

/* ops_lock.c */
/** GETLK. Replies: reply_buf(fuse_lk_out), reply_err(). */
void op_getlk(struct fuse_call *c);
/** SETLK. Replies: reply_err(0), reply_err() (EAGAIN: held by another). */
void op_setlk(struct fuse_call *c);
/**
 * SETLKW (FOP_MAYBLOCK). Replies: reply_err(0) once the lock is held,
 * reply_err() (EDEADLK; EINTR when interrupted or the queue stops; EAGAIN
 * when too many requests wait already).
 */
void op_setlkw(struct fuse_call *c);
/** INTERRUPT of unique: a lock wait of that request gives up. */
void ops_lock_interrupt(struct fuse_session *s, uint64_t unique);

/* ops_misc.c */
/** COPY_FILE_RANGE. Replies: reply_write() (bytes copied), reply_err(). */
void op_copy_file_range(struct fuse_call *c);
/** SYNCFS. Replies: reply_err(0), reply_err(). */
void op_syncfs(struct fuse_call *c);
/** TMPFILE. Replies: reply_create(), reply_err(). */
void op_tmpfile(struct fuse_call *c);
/** IOCTL. Replies: reply_err(ENOTTY) (no ioctl reaches the host). */
void op_ioctl(struct fuse_call *c);

/**
 * Read a name: NUL-terminated within the body, non-empty, at most NAME_MAX
 * bytes, no '/'. buf must hold NAME_MAX + 1 bytes. ENAMETOOLONG for a
 * longer name, EINVAL for any other violation.
 */
int ops_read_name(struct fuse_call *c, char *buf) __must_check;

/**
 * After the names of a CREATE, MKDIR, MKNOD, SYMLINK or TMPFILE: read the
 * security context when FUSE_SECURITY_CTX was agreed, and point
 * c->ctx.secctx at it (vs is its storage). ops_end_secctx() in any case.
 */
int ops_begin_secctx(struct fuse_call *c, struct secctx *sc,
		     struct vfs_secctx *vs) __must_check;
void ops_end_secctx(struct fuse_call *c, struct secctx *sc);

/** reply_entry(), taking the lookup reference back if it was not sent. */
void ops_reply_entry(struct fuse_call *c, const struct vfs_entry *e);

/** open_out flags for the session's cache mode. */
uint32_t ops_open_flags(const struct fuse_session *s, bool dir);

/** Open flags from the guest, with what the session does not honour removed. */
uint32_t ops_guest_open_flags(const struct fuse_session *s, uint32_t flags);

/**
 * Whether the filesystem has the vfs_ops member an op calls (present: the
 * member). A filesystem may leave out what it does not support: then the
 * request is answered ENOSYS here and false says the op is done.
 */
bool ops_has(struct fuse_call *c, bool present);

#endif
