/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The security context that follows the arguments of CREATE, MKDIR, MKNOD,
 * SYMLINK and TMPFILE once FUSE_SECURITY_CTX is agreed:
 *
 *	struct fuse_secctx_header { size, nr_secctx }	(size: all of it)
 *	nr_secctx times:
 *		struct fuse_secctx { size, padding }	(value size)
 *		name, NUL-terminated			"security.selinux"
 *		value of size bytes
 *		padding to FUSE_REC_ALIGN
 *
 * The guest's kernel sends at most one context. Every length is checked
 * against the header's size and the request's end before it is used.
 */
#ifndef VFSD_FUSE_SECCTX_H
#define VFSD_FUSE_SECCTX_H

#include <linux/limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "fuse/reader.h"

struct secctx {
	bool present;		/* a context came with the request */
	char name[XATTR_NAME_MAX + 1];
	void *value;			/* malloc'ed, size bytes (+1) */
	uint32_t size;
};

/**
 * Read the context block at r's position into sc. No bytes left: no
 * context (sc->present false), 0. EINVAL for a malformed block (sizes
 * that disagree or overrun the request, more than one context, a name
 * without NUL or outside "security."), E2BIG for a value over
 * XATTR_SIZE_MAX, ENOMEM. secctx_free() sc in every case.
 */
int secctx_read(struct fuse_reader *r, struct secctx *sc) __must_check;

void secctx_free(struct secctx *sc);

#endif
