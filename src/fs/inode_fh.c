/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fs/inode_fh.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/creds.h"
#include "util/log.h"

/* struct file_handle with room for the largest handle the kernel makes. */
union ifh_buf {
	struct file_handle fh;
	char bytes[sizeof(struct file_handle) + MAX_HANDLE_SZ];
};

int ifh_name(int fd, struct file_handle **out, uint64_t *mnt_id)
{
	union ifh_buf b;
	struct file_handle *fh;
	size_t size;
	int mnt;

	b.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(fd, "", &b.fh, &mnt, AT_EMPTY_PATH))
		return errno;
	/* A zero-length "handle" could not be opened again. */
	if (!b.fh.handle_bytes || b.fh.handle_bytes > MAX_HANDLE_SZ)
		return EOPNOTSUPP;
	size = sizeof(struct file_handle) + b.fh.handle_bytes;
	fh = malloc(size);
	if (!fh)
		return ENOMEM;
	memcpy(fh, &b, size);
	*out = fh;
	*mnt_id = (uint64_t)(unsigned int)mnt;
	return 0;
}

int ifh_open(int mount_fd, struct file_handle *fh, int *out)
{
	uint32_t uid = 0, gid = 0;
	bool as_user;
	int fd, err = 0;

	as_user = creds_current(&uid, &gid) && (uid || gid);
	if (as_user) {
		err = creds_reset();
		if (err)
			return err;
	}
	fd = open_by_handle_at(mount_fd, fh, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		err = errno;
	/* The operation goes on as the guest's user, never as root. */
	if (as_user && creds_switch(uid, gid)) {
		if (fd >= 0)
			close(fd);
		return EIO;
	}
	if (fd < 0)
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
			return ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n].id = id;
	m->v[m->n].fd = fd;
	m->v[m->n].no_handles = fd < 0;
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
