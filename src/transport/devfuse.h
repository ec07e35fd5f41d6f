/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host kernel's FUSE device as a second transport: the same session and
 * filesystem serve a mount on the host. Requests are read from /dev/fuse
 * into a private buffer and replies written back with write(2).
 */
#ifndef VFSD_TRANSPORT_DEVFUSE_H
#define VFSD_TRANSPORT_DEVFUSE_H

#include <stddef.h>
#include <stdint.h>

#include "fuse/req.h"
#include "transport/devfuse_uring.h"

struct devfuse_opts {
	unsigned int threads;	/* workers, each with a cloned fd; >= 1 */
	size_t max_write;	/* as negotiated by the session */
	/*
	 * threads - 1 fresh /dev/fuse fds opened before a sandbox hid
	 * /dev (each becomes a worker's clone and is closed by
	 * devfuse_serve), or NULL to open /dev/fuse when serving.
	 */
	const int *spare_fds;
	/*
	 * Rings from devfuse_uring_prepare(), or NULL: started when INIT
	 * agrees FUSE_OVER_IO_URING, freed by devfuse_serve().
	 */
	struct devfuse_uring *uring;
	uint64_t poll_max_ns;	/* the rings' threads' (--poll-max-us) */
};

/**
 * Open /dev/fuse and mount it on mountpoint (a directory). source names the
 * mount in /proc/mounts, its type is "fuse.SUBTYPE" ("fuse" when subtype is
 * empty). Returns the device fd or -errno.
 */
int devfuse_mount(const char *mountpoint, const char *source,
		  const char *subtype);

/**
 * Lazily unmount the mount devfuse_mount made, if it is still the one on
 * mountpoint; safe to call from a signal handler.
 */
void devfuse_unmount(const char *mountpoint);

/**
 * FUSE passthrough (for fuse_session_opts.backing_open/close, with the
 * device fd cast to the pointer): register fd, an open regular file, as a
 * backing file with the kernel (FUSE_DEV_IOC_BACKING_OPEN, which needs
 * CAP_SYS_ADMIN); its id (> 0) or -errno. Close drops the registration;
 * files the kernel opened with it keep their backing file.
 */
int32_t devfuse_backing_open(void *devfd, int fd);
void devfuse_backing_close(void *devfd, int32_t id);

/* devfuse_serve(): the connection ended with requests stuck in the kernel. */
#define DEVFUSE_ABANDONED 1

/**
 * Serve requests on fd until the kernel ends the connection (unmount or
 * abort). Returns 0 then, or -errno if the workers could not start, or
 * DEVFUSE_ABANDONED when requests still ran 2 s after the end, in a wait
 * only a fatal signal ends: their threads still use the session, so the
 * caller must exit without freeing it.
 */
int devfuse_serve(int fd, const struct devfuse_opts *opts,
		  fuse_req_handler handler, void *session);

#endif
