/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user namespace of a daemon started without root (rootless): what
 * lets an ordinary user create the namespaces of --sandbox=namespace and
 * chroot into the share.
 *
 * The ranges are virtiofsd's --uid-map/--gid-map, ":inside:outside:count:"
 * (any non-alphanumeric separator, which also opens and closes the value).
 * Without ranges the caller's own uid and gid are mapped to themselves.
 * A single range that maps the caller's own id is written straight to
 * /proc/PID/{uid,gid}_map; anything more is granted by the setuid helpers
 * newuidmap(1)/newgidmap(1) from /etc/subuid and /etc/subgid, as for
 * rootless containers. Either way it is done by a short-lived child that
 * stays outside the new namespace: only a process outside may write the
 * maps, and the helpers lose their setuid bit inside.
 */
#ifndef VFSD_POLICY_USERNS_H
#define VFSD_POLICY_USERNS_H

#include <stddef.h>
#include <stdint.h>

/* More than libvirt (two) or any launcher passes; the kernel takes 340. */
#define USERNS_MAX_RANGES 32

struct userns_range {
	uint32_t inside;
	uint32_t outside;
	uint32_t count;
};

struct userns_map {
	unsigned int n;
	struct userns_range r[USERNS_MAX_RANGES];
};

/**
 * Add ":inside:outside:count:" to m (pure). Returns 0, -EINVAL for a
 * malformed value, -ERANGE for a range that wraps or is empty, -EEXIST for
 * one whose inside ids overlap an earlier range, -ENOSPC when m is full.
 */
int userns_add_range(struct userns_map *m, const char *spec);

/** True if the map, as the kernel will apply it, contains inside id 0. */
int userns_maps_root(const struct userns_map *m);

/**
 * Move the calling process into a new user namespace with these maps
 * (empty: the caller's own id to itself), then become the namespace's
 * uid/gid 0 where 0 is mapped. Must be called single-threaded. Returns 0,
 * or -1 with one line in err saying what is missing and what to do.
 */
int userns_enter(const struct userns_map *uids, const struct userns_map *gids,
		 char *err, size_t errlen);

#endif
