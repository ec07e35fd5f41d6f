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

/* session.c */
void op_init(struct fuse_call *c);
void op_destroy(struct fuse_call *c);

/* ops_entry.c */
void op_lookup(struct fuse_call *c);
void op_forget(struct fuse_call *c);
void op_batch_forget(struct fuse_call *c);
void op_mknod(struct fuse_call *c);
void op_mkdir(struct fuse_call *c);
void op_symlink(struct fuse_call *c);
void op_link(struct fuse_call *c);
void op_unlink(struct fuse_call *c);
void op_rmdir(struct fuse_call *c);
void op_rename(struct fuse_call *c);
void op_rename2(struct fuse_call *c);

/* ops_attr.c */
void op_getattr(struct fuse_call *c);
void op_setattr(struct fuse_call *c);
void op_readlink(struct fuse_call *c);
void op_access(struct fuse_call *c);
void op_statfs(struct fuse_call *c);
void op_interrupt(struct fuse_call *c);

/* ops_file.c */
void op_open(struct fuse_call *c);
void op_create(struct fuse_call *c);
void op_read(struct fuse_call *c);
void op_write(struct fuse_call *c);
void op_flush(struct fuse_call *c);
void op_release(struct fuse_call *c);
void op_fsync(struct fuse_call *c);
void op_fallocate(struct fuse_call *c);
void op_lseek(struct fuse_call *c);

/* ops_dir.c */
void op_opendir(struct fuse_call *c);
void op_readdir(struct fuse_call *c);
void op_readdirplus(struct fuse_call *c);
void op_releasedir(struct fuse_call *c);
void op_fsyncdir(struct fuse_call *c);

/* ops_xattr.c */
void op_setxattr(struct fuse_call *c);
void op_getxattr(struct fuse_call *c);
void op_listxattr(struct fuse_call *c);
void op_removexattr(struct fuse_call *c);

/* ops_lock.c */
void op_getlk(struct fuse_call *c);
void op_setlk(struct fuse_call *c);
void op_setlkw(struct fuse_call *c);
/** INTERRUPT of unique: a lock wait of that request gives up. */
void ops_lock_interrupt(struct fuse_session *s, uint64_t unique);

/* ops_misc.c */
void op_copy_file_range(struct fuse_call *c);
void op_syncfs(struct fuse_call *c);
void op_tmpfile(struct fuse_call *c);
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
