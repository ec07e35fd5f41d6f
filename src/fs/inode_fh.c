/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fs/inode_fh.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/creds.h"
#include "util/log.h"

/* What the kernel's generic encoder makes for a filesystem without one. */
#define IFH_GENERIC_FID 0x81

/* name_to_handle_at() of fd itself into b. */
static int take_into(int fd, int flags, struct ifh_idbuf *b, int *mnt)
{
	b->fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(fd, "", &b->fh, mnt, AT_EMPTY_PATH | flags))
		return -errno;
	/* A zero-length "handle" could not be opened, nor tell files apart. */
	if (!b->fh.handle_bytes || b->fh.handle_bytes > MAX_HANDLE_SZ)
		return -EOPNOTSUPP;
	if ((flags & AT_HANDLE_FID) && b->fh.handle_type == IFH_GENERIC_FID)
		return -EOPNOTSUPP;
	return 0;
}

/* name_to_handle_at() of fd itself into a malloc'ed copy. */
static int take(int fd, int flags, struct file_handle **out, int *mnt)
{
	struct ifh_idbuf b;
	struct file_handle *fh;
	size_t size;
	int err;

	err = take_into(fd, flags, &b, mnt);
	if (err)
		return err;
	size = sizeof(struct file_handle) + b.fh.handle_bytes;
	fh = malloc(size);
	if (!fh)
		return -ENOMEM;
	memcpy(fh, &b, size);
	*out = fh;
	return 0;
}

int ifh_name(int fd, struct file_handle **out, uint64_t *mnt_id)
{
	int mnt, err;

	err = take(fd, 0, out, &mnt);
	if (!err)
		*mnt_id = (uint64_t)(unsigned int)mnt;
	return err;
}

int ifh_id(int fd, bool fid, struct file_handle **out)
{
	int mnt;

	return take(fd, fid ? AT_HANDLE_FID : 0, out, &mnt);
}

int ifh_id_into(int fd, bool fid, struct ifh_idbuf *b)
{
	int mnt;

	return take_into(fd, fid ? AT_HANDLE_FID : 0, b, &mnt);
}

bool ifh_same(const struct file_handle *a, const struct file_handle *b)
{
	return a && b && a->handle_type == b->handle_type &&
	       a->handle_bytes == b->handle_bytes &&
	       !memcmp(a->f_handle, b->f_handle, a->handle_bytes);
}

int ifh_open(int mount_fd, struct file_handle *fh, int *out)
{
	struct creds_saved r;
	int fd, err;

	err = creds_daemon_begin(&r);
	if (err)
		return err;
	fd = open_by_handle_at(mount_fd, fh, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	err = fd < 0 ? -errno : 0;
	if (creds_daemon_end(&r)) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	if (err)
		return err;
	*out = fd;
	return 0;
}

struct ifh_mount *ifh_mount_find(const struct ifh_mounts *m, uint64_t id)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].id == id)
			return &m->v[i];
	return NULL;
}

int ifh_mount_fd(const struct ifh_mounts *m, uint64_t id)
{
	const struct ifh_mount *e = ifh_mount_find(m, id);

	return e ? e->fd : -1;
}

int ifh_mount_add(struct ifh_mounts *m, uint64_t id, int fd)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4;
		struct ifh_mount *v = reallocarray(m->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n].id = id;
	m->v[m->n].fd = fd;
	m->v[m->n].no_handles = fd < 0;
	m->v[m->n].fid_only = false;
	m->v[m->n].no_ids = false;
	m->n++;
	return 0;
}

void ifh_mounts_fini(struct ifh_mounts *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].fd >= 0 && close(m->v[i].fd))
			log_warn("close mount fd: %s", strerror(errno));
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}
