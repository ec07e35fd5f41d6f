/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whether the share is made of whole filesystems, read from mountinfo.
 *
 * A file handle names an inode of a whole filesystem, not of a directory:
 * with CAP_DAC_READ_SEARCH, open_by_handle_at() on any fd of a mount opens
 * any inode of that filesystem, wherever it lies. When the share is the root
 * of its filesystem and every mount below it is a whole filesystem too,
 * every inode a handle can reach is inside the share, and keeping the
 * capability gives a compromised daemon nothing the sandbox hides. When the
 * share is a directory of a larger filesystem (or a bind mount of one lies
 * below it), a handle reaches past the share.
 */
#ifndef VFSD_POLICY_MOUNTS_H
#define VFSD_POLICY_MOUNTS_H

#include <stdbool.h>

/**
 * From mountinfo text (the format of /proc/self/mountinfo), whether the
 * absolute, canonical path dir is a mount point whose filesystem root is
 * mounted there, and the same holds for every mount below it. 0, or -EINVAL
 * for a line it cannot read.
 */
int mounts_whole_in(const char *mountinfo, const char *dir, bool *whole);

/**
 * mounts_whole_in() for this process; dir is resolved with realpath().
 * 0 or -errno.
 */
int mounts_share_is_whole(const char *dir, bool *whole);

/**
 * An O_PATH fd of the shared directory dir (the administrator's path:
 * symlinks in it are followed) for the filesystem to work from. Where the
 * process may (CAP_SYS_ADMIN), it is the root of a detached copy of the
 * mount tree at dir (open_tree(OPEN_TREE_CLONE | AT_RECURSIVE)), and
 * *detached is set: every fd opened from it lives on mounts whose root is
 * the share or a mount below it, so the kernel itself answers ".." at the
 * share's root with the root, and ".." of a directory that was moved out
 * of the share with ENOENT (follow_dotdot's path_connected() check). The
 * copy lasts as long as an fd on it is open. Otherwise (no capability, no
 * open_tree) a plain open(2) of dir. 0 or -errno.
 */
int mounts_open_share(const char *dir, int *fd, bool *detached);

#endif
