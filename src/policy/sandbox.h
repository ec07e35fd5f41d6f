/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Confinement of the serving process: what it can still see of the host
 * once the guest's first byte arrives.
 *
 *  - namespace: new pid, mount, network, IPC and UTS namespaces; the shared
 *    directory becomes "/" (pivot_root) and the old root is detached, so no
 *    path, however it is resolved, names anything outside the share.
 *  - chroot: chroot(2) into the shared directory, for containers where
 *    namespaces cannot be created. Weaker: paths the process resolves
 *    from "/" stop at the share, but a chroot is no boundary for fds
 *    opened before it (the filesystem's live on a detached copy of the
 *    share's mount, policy/mounts.h, which stops ".." by itself).
 *  - none: nothing (the administrator confines the daemon).
 *
 * In namespace and chroot mode (and for a FUSE mount in any mode) the
 * process splits in two (sandbox_fork()):
 * a supervisor that stays on the host, and the server. Only the supervisor
 * can still reach the host's socket path and mount point, so it is the one
 * that cleans them up after the server exits; it forwards SIGTERM, SIGINT
 * and SIGHUP to the server and exits with the server's status.
 *
 * Typical order (every step fatal on failure):
 *	open listening socket or mount /dev/fuse	(host paths)
 *	sandbox_fork()					(supervisor stays behind)
 *	mounts_open_share(), pt_new_at()	the share (a detached copy
 *				of its mount) and /proc/self/fd
 *	sandbox_enter()		namespaces, pivot_root or chroot
 *	sandbox_drop_groups(), caps_apply(), seccomp_apply()
 *	sandbox_verify(), caps_verify(), seccomp_verify()
 */
#ifndef VFSD_POLICY_SANDBOX_H
#define VFSD_POLICY_SANDBOX_H

#include <stdbool.h>

enum sandbox_mode {
	SANDBOX_NONE,
	SANDBOX_NAMESPACE,
	SANDBOX_CHROOT,
};

/** What the supervisor undoes on the host once the server has exited. */
struct sandbox_cleanup {
	const char *socket_path;	/* unlinked if non-NULL */
	const char *stats_socket;	/* unlinked if non-NULL */
	const char *fuse_mount;		/* lazily unmounted if non-NULL */
	void (*unmount)(const char *mountpoint);
	int fds[2];			/* closed in the supervisor; -1 unused */
};

/**
 * Split into supervisor and server (namespace and chroot mode, and in none
 * mode when there is a FUSE mount to detach at exit: that needs
 * CAP_SYS_ADMIN, which the server drops; otherwise nothing happens). In
 * namespace mode the server is pid 1 of a new pid
 * namespace. Returns 0 in the server, or -errno. The supervisor never
 * returns: it waits for the server, runs cleanup, then exits with the
 * server's exit status, or dies by the signal that killed the server.
 * The server is killed if the supervisor dies.
 */
int sandbox_fork(enum sandbox_mode mode, const struct sandbox_cleanup *cleanup);

/**
 * In the server, just before it exits leaving threads stuck in the kernel
 * (VIRTIO_FS_ABANDONED, DEVFUSE_ABANDONED): tell the supervisor, which then
 * cleans up and exits with status 0 at once instead of waiting for a
 * process that cannot end while they are stuck. No-op without one.
 */
void sandbox_abandon(void);

/**
 * Confine the server to dir (the shared directory, already opened). Needs
 * root. Returns 0 or -errno; the process is then unusable and must exit.
 */
int sandbox_enter(enum sandbox_mode mode, const char *dir);

/** Drop supplementary groups (root's must not reach a guest). 0 or -errno. */
int sandbox_drop_groups(void);

/**
 * Read /proc/self/status into buf (NUL-terminated) through the /proc fd
 * that sandbox_enter() kept. 0 or -errno.
 */
int sandbox_read_status(char *buf, unsigned int len);

/**
 * Check that the process is in the state mode asks for: in namespace mode
 * its mnt, pid, net, ipc and uts namespaces all differ from the
 * supervisor's; in namespace and chroot mode "/" is the shared directory.
 * Returns 0, or -1 with a reason in err.
 */
int sandbox_verify(enum sandbox_mode mode, char *err, unsigned int errlen);

/** Close the /proc fd kept for the checks. */
void sandbox_finish(void);

#endif
