/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Decoder of the FUSE_SECURITY_CTX block (fuse/secctx.h).
 */
#include "fuse/secctx.h"

#include <errno.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>

/* Contexts are LSM labels; no other namespace is set on their behalf. */
#define SECCTX_PREFIX "security."

static int secctx_one(struct fuse_reader *r, struct secctx *sc)
{
	struct fuse_secctx fctx;
	int ret;

	ret = fr_read_obj(r, &fctx, sizeof(fctx));
	if (ret)
		return ret;
	if (fctx.size > XATTR_SIZE_MAX)
		return -E2BIG;
	ret = fr_read_str(r, sc->name, sizeof(sc->name));
	if (ret)
		return -EINVAL;
	if (strncmp(sc->name, SECCTX_PREFIX, strlen(SECCTX_PREFIX)) ||
	    !sc->name[strlen(SECCTX_PREFIX)])
		return -EINVAL;
	/* One byte more, so an empty value is not a NULL buffer. */
	sc->value = malloc((size_t)fctx.size + 1);
	if (!sc->value)
		return -ENOMEM;
	ret = fr_read_obj(r, sc->value, fctx.size);
	if (ret)
		return ret;
	sc->size = fctx.size;
	sc->present = true;
	/* What is left of the record is alignment padding. */
	return 0;
}

int secctx_read(struct fuse_reader *r, struct secctx *sc)
{
	struct fuse_secctx_header hdr;
	struct fuse_reader body;
	int ret;

	memset(sc, 0, sizeof(*sc));
	if (!fr_remaining(r))
		return 0;
	ret = fr_read_obj(r, &hdr, sizeof(hdr));
	if (ret)
		return ret;
	/* The header's size counts the header itself. */
	if (hdr.size < sizeof(hdr))
		return -EINVAL;
	ret = fr_sub(r, hdr.size - sizeof(hdr), &body);
	if (ret)
		return ret;
	if (hdr.nr_secctx == 0)
		return 0;
	if (hdr.nr_secctx > 1)
		return -EINVAL;
	return secctx_one(&body, sc);
}

void secctx_free(struct secctx *sc)
{
	free(sc->value);
	sc->value = NULL;
	sc->present = false;
}
