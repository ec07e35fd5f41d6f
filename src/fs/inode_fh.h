/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File handles for inodes whose O_PATH fd may be closed, and the table of
 * mounts to open them on again.
 *
 * A handle (name_to_handle_at) names an inode on its filesystem for as long
 * as the inode exists; open_by_handle_at() turns it back into an fd, or
 * fails with ESTALE once the inode is gone. Handles carry the inode's
 * generation, so a reopened fd is always the very inode that was named,
 * never a newer file that reuses its number.
 *
 * open_by_handle_at() needs an fd on the same mount (mount_fd) and
 * CAP_DAC_READ_SEARCH. The mount table keeps one fd per mount id, the first
 * directory seen on that mount opened for reading (the kernel refuses an
 * O_PATH fd there): a share may contain other mounts, and any directory of
 * a mount serves to name it.
 *
 * Without the capability a handle still tells files apart: inodes found
 * again by name (fs/inode.h) keep one as the file's id. A filesystem that
 * cannot open handles at all (overlayfs without nfs_export) gives an id
 * with AT_HANDLE_FID (Linux 6.5). The same table then remembers, per
 * st_dev, how its ids are taken.
 */
#ifndef VFSD_FS_INODE_FH_H
#define VFSD_FS_INODE_FH_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** How inodes are kept (--inode-file-handles). */
enum inode_fh_mode {
	INODE_FH_NEVER,		/* an O_PATH fd per inode, always open */
	INODE_FH_PREFER,	/* handles where the filesystem gives them */
	INODE_FH_MANDATORY,	/* handles or nothing */
};

/**
 * Take the handle of the O_PATH fd and the id of its mount. On success
 * *out is malloc'ed (free() it). 0 or -errno: EOPNOTSUPP for a
 * filesystem without handles, ENOMEM.
 */
int ifh_name(int fd, struct file_handle **out, uint64_t *mnt_id);

/** The kernel's flag for an id that need not open (Linux 6.5). */
#ifndef AT_HANDLE_FID
#define AT_HANDLE_FID 0x200
#endif

/**
 * Take the id of the O_PATH fd: its handle, or with fid its AT_HANDLE_FID
 * id. An id the kernel makes up for a filesystem without handles of its
 * own (FILEID_INO64_GEN: the inode number and a generation the filesystem
 * may never set) does not tell a reused inode number apart and is refused.
 * On success *out is malloc'ed (free() it). 0, EOPNOTSUPP (no id), EINVAL
 * (no AT_HANDLE_FID in this kernel) or ENOMEM.
 */
int ifh_id(int fd, bool fid, struct file_handle **out);

/* Room for the largest id the kernel makes. */
struct ifh_idbuf {
	union {
		struct file_handle fh;
		char bytes[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	};
};

/** fd's id into b, as ifh_id(fd, fid) takes it; the errors of ifh_id(). */
int ifh_id_into(int fd, bool fid, struct ifh_idbuf *b);

/** Are a and b the same id: type, length and bytes? */
bool ifh_same(const struct file_handle *a, const struct file_handle *b);

/**
 * Open fh on mount_fd as O_PATH | O_NOFOLLOW in *out. The calling thread may
 * run with a guest user's ids; the open is made as root (handles bypass
 * every directory permission, which is why the kernel wants
 * CAP_DAC_READ_SEARCH) and the thread's ids are restored after. 0 or
 * -errno (ESTALE: the inode is gone; EMFILE, ENFILE; EIO if the ids
 * could not be restored).
 */
int ifh_open(int mount_fd, struct file_handle *fh, int *out);

struct ifh_mount {
	uint64_t id;
	int fd;		/* O_RDONLY | O_DIRECTORY, owned; or -1 */
	bool no_handles;	/* its filesystem gives none: ask no more */
	bool fid_only;	/* ids only with AT_HANDLE_FID */
	bool no_ids;	/* not even those: its inodes keep their fds */
};

/** mount id -> fd. Not thread-safe: the inode table's lock guards it. */
struct ifh_mounts {
	struct ifh_mount *v;
	size_t n;
	size_t cap;
};

/** The entry of mount id, or NULL. */
struct ifh_mount *ifh_mount_find(const struct ifh_mounts *m, uint64_t id);

/** The fd of mount id, or -1. */
int ifh_mount_fd(const struct ifh_mounts *m, uint64_t id);

/**
 * Add (id, fd), fd -1 for a mount whose filesystem has no handles; the
 * table owns fd on success. 0 or -ENOMEM.
 */
int ifh_mount_add(struct ifh_mounts *m, uint64_t id, int fd);

/** Close every mount fd. */
void ifh_mounts_fini(struct ifh_mounts *m);

#endif
