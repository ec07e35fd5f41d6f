/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files' ids (fs/inode.h): taken once, when a file is new to the table, as
 * the mode wants (a handle to open it by, or an id to check its name by),
 * with what each mount or filesystem gives remembered; and the reopen of
 * a closed inode by its handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/inode_int.h"
#include "util/log.h"

/*
 * A lookup needs the file's id for a file new to the table, and to
 * compare with a known inode whose fd was closed (the number may have
 * been reused); a known inode with its fd open pins its file.
 */
bool inode_needs_id(struct inode_table *t, const struct stat *st,
		    uint64_t mnt_id)
{
	struct pt_inode *i;
	bool need;

	pthread_mutex_lock(&t->lock);
	i = inode_find_key_locked(t, st->st_dev, st->st_ino, mnt_id);
	need = !i || i->fd < 0;
	pthread_mutex_unlock(&t->lock);
	return need;
}

/*
 * Make sure the table has an fd for mount mnt_id. open_by_handle_at()
 * refuses an O_PATH mount fd, so the directory of fd is opened for reading;
 * anything else could be a fifo or a device, which are never opened. Until
 * a directory of a mount is seen, its files get no handle.
 */
int inode_ensure_mount(struct inode_table *t, int fd, mode_t type,
		       uint64_t mnt_id)
{
	int have, copy, err = 0;

	pthread_mutex_lock(&t->lock);
	have = ifh_mount_fd(&t->mounts, mnt_id);
	pthread_mutex_unlock(&t->lock);
	if (have >= 0)
		return 0;
	if (!S_ISDIR(type))
		return -EOPNOTSUPP;
	copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (copy < 0)
		return -errno;
	pthread_mutex_lock(&t->lock);
	if (!ifh_mount_find(&t->mounts, mnt_id)) {
		err = ifh_mount_add(&t->mounts, mnt_id, copy);
		if (!err)
			copy = -1;
	}
	pthread_mutex_unlock(&t->lock);
	if (copy >= 0)
		close(copy);
	return err;
}

/* Remember that mount (or device) id gives no handles, or no ids at all. */
static void learn_mount(struct inode_table *t, uint64_t id, bool no_ids)
{
	struct ifh_mount *m;

	pthread_mutex_lock(&t->lock);
	m = ifh_mount_find(&t->mounts, id);
	if (!m && !ifh_mount_add(&t->mounts, id, -1))
		m = ifh_mount_find(&t->mounts, id);
	if (m && no_ids)
		m->no_ids = true;
	else if (!m)
		log_debug("no room to remember mount %llu",
			  (unsigned long long)id);
	pthread_mutex_unlock(&t->lock);
}

/* The handle of a file about to become an inode, with a mount to open it. */
static int take_handle(struct inode_table *t, int fd, mode_t type,
		       uint64_t mnt_id, struct file_handle **out)
{
	const struct ifh_mount *m;
	struct file_handle *fh;
	uint64_t fh_mnt;
	bool none;
	int err;

	pthread_mutex_lock(&t->lock);
	m = ifh_mount_find(&t->mounts, mnt_id);
	none = m && m->no_handles;
	pthread_mutex_unlock(&t->lock);
	if (none)
		return -EOPNOTSUPP;
	err = ifh_name(fd, &fh, &fh_mnt);
	/* One failed call per mount, not one per file. */
	if (err == -EOPNOTSUPP)
		learn_mount(t, mnt_id, false);
	if (err)
		return err;
	/* The mount was stat'ed a moment ago: it moved, so keep the fd. */
	if (fh_mnt != mnt_id) {
		free(fh);
		return -ESTALE;
	}
	err = inode_ensure_mount(t, fd, type, mnt_id);
	if (err) {
		free(fh);
		return err;
	}
	*out = fh;
	return 0;
}

/*
 * The id of a file to be found again by name, on the filesystem (by name:
 * st_dev) or mount (by handle) key: its handle where the filesystem gives
 * them, else an AT_HANDLE_FID id; each answer asked once per key.
 */
static int take_name_id(struct inode_table *t, int fd, uint64_t key,
			struct inode_id *id)
{
	const struct ifh_mount *m;
	bool fid, none;
	int err;

	pthread_mutex_lock(&t->lock);
	m = ifh_mount_find(&t->mounts, key);
	fid = m && m->no_handles;
	none = m && m->no_ids;
	pthread_mutex_unlock(&t->lock);
	if (none)
		return -EOPNOTSUPP;
	err = ifh_id(fd, fid, &id->fh);
	if (err == -EOPNOTSUPP && !fid) {
		learn_mount(t, key, false);
		fid = true;
		err = ifh_id(fd, fid, &id->fh);
	}
	/* EINVAL: a kernel before AT_HANDLE_FID. */
	if (fid && (err == -EOPNOTSUPP || err == -EINVAL)) {
		learn_mount(t, key, true);
		return -EOPNOTSUPP;
	}
	id->fid = fid;
	return err;
}

/* The id the mode wants for a new file: a handle, or one to check names. */
int inode_take_id(struct inode_table *t, int fd, const struct stat *st,
		  uint64_t mnt_id, struct inode_id *id)
{
	int err;

	if (t->reopen == INODE_BY_NAME)
		return take_name_id(t, fd, (uint64_t)st->st_dev, id);
	err = take_handle(t, fd, st->st_mode & S_IFMT, mnt_id, &id->fh);
	if (!err) {
		id->by_handle = true;
		return 0;
	}
	/* A mount without handles, inside a share with them: by name. */
	if (err != -EOPNOTSUPP || t->fh_mode == INODE_FH_MANDATORY)
		return err;
	return take_name_id(t, fd, mnt_id, id);
}

/*
 * Is fd, just opened from i's handle, i's file? The handle's generation
 * says so on ext4, xfs, btrfs and tmpfs; a filesystem whose handles carry
 * none would open whatever now holds the inode number, so the type and
 * the key are checked too.
 */
static int check_reopened(const struct pt_inode *i, int fd)
{
	struct stat st;

	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -errno;
	return inode_matches(i, &st) ? 0 : -ESTALE;
}

int inode_reopen_by_handle(struct inode_table *t, struct pt_inode *i)
{
	struct inode_later l = { 0 };
	int fd, err, mount_fd;
	bool open;

	pthread_mutex_lock(&t->lock);
	open = i->fd >= 0;
	/* Mount fds stay open until the table goes. */
	mount_fd = ifh_mount_fd(&t->mounts, i->mnt_id);
	pthread_mutex_unlock(&t->lock);
	if (open)
		return 0;
	if (mount_fd < 0)
		return -ESTALE;
	err = ifh_open(mount_fd, i->fh, &fd);
	if (inode_out_of_fds(err) && inode_shed(t, INODE_SHED))
		err = ifh_open(mount_fd, i->fh, &fd);
	if (err)
		return err;
	err = check_reopened(i, fd);
	if (err) {
		close(fd);
		return err;
	}
	pthread_mutex_lock(&t->lock);
	if (inode_adopt_locked(t, i, fd, &l)) {
		fd = -1;
		t->stats.reopened++;
	}
	pthread_mutex_unlock(&t->lock);
	inode_later_run(&l);
	/* Another user of the inode reopened it first. */
	if (fd >= 0)
		close(fd);
	return 0;
}
