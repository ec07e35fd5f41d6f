/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Validation that needs the host: run before anything is created, so that a
 * wrong command line from a user or from libvirt fails with one clear line
 * and exit status 1 instead of a half-started daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/option_values.h"
#include "cli/options.h"

static int check_shared_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (!dir)
		return opt_fail(err, errlen,
				"no shared directory: give --shared-dir=DIR or -o source=DIR");
	if (stat(dir, &st))
		return opt_fail(err, errlen, "shared directory '%s': %s", dir,
				strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return opt_fail(err, errlen,
				"shared directory '%s' is not a directory", dir);
	return 0;
}

static int check_socket_path(const char *path, char *err, size_t errlen)
{
	char *copy = strdup(path);
	struct stat st;
	const char *dir;
	int ret = 0;

	if (!copy)
		return opt_fail(err, errlen, "out of memory");
	dir = dirname(copy);
	if (stat(dir, &st))
		ret = opt_fail(err, errlen, "socket directory '%s': %s", dir,
			       strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		ret = opt_fail(err, errlen,
			       "socket directory '%s' is not a directory", dir);
	else if (!lstat(path, &st) && !S_ISSOCK(st.st_mode))
		/* Unlinking a stale socket is fine; replacing a file is not. */
		ret = opt_fail(err, errlen,
			       "socket path '%s' exists and is not a socket", path);
	free(copy);
	return ret;
}

static int check_listen_fd(int fd, char *err, size_t errlen)
{
	struct stat st;
	int listening = 0;
	socklen_t len = sizeof(listening);

	if (fstat(fd, &st))
		return opt_fail(err, errlen, "--fd=%d: %s", fd, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return opt_fail(err, errlen, "--fd=%d is not a socket", fd);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) ||
	    !listening)
		return opt_fail(err, errlen, "--fd=%d is not a listening socket",
				fd);
	return 0;
}

static int check_fuse_mount(const char *dir, char *err, size_t errlen)
{
	struct statx stx;

	if (statx(AT_FDCWD, dir, 0, STATX_TYPE, &stx))
		return opt_fail(err, errlen, "mount point '%s': %s", dir,
				strerror(errno));
	if (!S_ISDIR(stx.stx_mode))
		return opt_fail(err, errlen,
				"mount point '%s' is not a directory", dir);
	/* Stacking on a mount would hide it and leave a confusing state. */
	if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	    (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return opt_fail(err, errlen,
				"mount point '%s' is busy: something is mounted there",
				dir);
	return 0;
}

/* A group name or number, checked now so the error is one line. */
static int check_socket_group(const char *group, char *err, size_t errlen)
{
	char buf[4096], *end;
	struct group gr, *res = NULL;
	unsigned long n;

	if (!getgrnam_r(group, &gr, buf, sizeof(buf), &res) && res)
		return 0;
	errno = 0;
	n = strtoul(group, &end, 10);
	if (!errno && *group && !*end && n < (unsigned long)(gid_t)-1)
		return 0;
	return opt_fail(err, errlen,
			"--socket-group '%s' is neither a group name nor a number",
			group);
}

/*
 * A user namespace is how a daemon without root gets namespaces: its
 * maps mean nothing to root's daemon or outside namespace mode (as in
 * virtiofsd).
 */
static int check_rootless(const struct vfsd_options *o, char *err,
			  size_t errlen)
{
	bool maps = o->uid_ns_map.n || o->gid_ns_map.n;

	if (maps && geteuid() == 0)
		return opt_fail(err, errlen,
				"--uid-map/--gid-map set up the user namespace of a daemon started without root; as root, map ids with --translate-uid/--translate-gid");
	if (maps && o->sandbox != VFSD_SANDBOX_NAMESPACE)
		return opt_fail(err, errlen,
				"--uid-map/--gid-map need --sandbox=namespace");
	if (o->fuse_mount && geteuid() != 0)
		return opt_fail(err, errlen,
				"--fuse-mount needs root: mounting a FUSE file system takes CAP_SYS_ADMIN on the host");
	return 0;
}

int options_check(const struct vfsd_options *o, char *err, size_t errlen)
{
	if (check_rootless(o, err, errlen))
		return -1;
	/* ACL entries carry ids the map would have to rewrite in xattr values. */
	if (o->posix_acl && (!idmap_empty(&o->uid_map) || !idmap_empty(&o->gid_map)))
		return opt_fail(err, errlen,
				"--posix-acl cannot be combined with --translate-uid/--translate-gid");
	if (o->fuse_mount) {
		if (o->socket_path || o->listen_fd >= 0 || o->tag)
			return opt_fail(err, errlen,
					"--fuse-mount serves the host: it takes no --socket-path, --fd or --tag");
		if (check_shared_dir(o->shared_dir, err, errlen))
			return -1;
		return check_fuse_mount(o->fuse_mount, err, errlen);
	}
	if (o->fsname || o->subtype)
		return opt_fail(err, errlen,
				"--fsname and --subtype apply only to --fuse-mount");
	if (o->socket_path && o->listen_fd >= 0)
		return opt_fail(err, errlen,
				"give either --socket-path or --fd, not both");
	if (!o->socket_path && o->listen_fd < 0)
		return opt_fail(err, errlen,
				"no socket: give --socket-path=PATH or --fd=N");
	if (o->socket_group && !o->socket_path)
		return opt_fail(err, errlen,
				"--socket-group applies only to --socket-path");
	if (o->socket_group && check_socket_group(o->socket_group, err, errlen))
		return -1;
	if (check_shared_dir(o->shared_dir, err, errlen))
		return -1;
	if (o->socket_path)
		return check_socket_path(o->socket_path, err, errlen);
	return check_listen_fd(o->listen_fd, err, errlen);
}
