/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FUSE session's settings, from the options: what the session offers
 * the kernel, how many lock waiters each worker pool allows, and FUSE
 * passthrough where it may be used.
 */
#include "cli/session_opts.h"

#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "transport/devfuse.h"

unsigned int devfuse_threads(const struct vfsd_options *o)
{
	unsigned int n = o->thread_pool_size ? o->thread_pool_size : 4;

	return n > VFSD_MAX_DEVFUSE_THREADS ? VFSD_MAX_DEVFUSE_THREADS : n;
}

/*
 * Workers of the default (mixed) mode: the queue threads serve the quick
 * requests, so these only run what may block; one per CPU lets large I/O
 * copy on every core.
 */
unsigned int vhost_pool_size(const struct vfsd_options *o)
{
	long n;

	if (o->thread_pool_size_set)
		return o->thread_pool_size;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 2 ? 2 : n > 8 ? 8 : (unsigned int)n;
}

/*
 * FUSE passthrough on the host mount: the kernel reads and writes opened
 * regular files itself. Only where the server keeps CAP_SYS_ADMIN in the
 * host's user namespace (--modcaps=+sys_admin as root), which
 * FUSE_DEV_IOC_BACKING_OPEN wants, and where no policy of ours must see
 * each write: --min-free-space/--min-free-inodes reserve, --readonly
 * refuses, an xattr map may rename security.capability.
 */
void fuse_passthrough_opts(const struct vfsd_options *o, bool rootless,
			   caps_set_t caps, int devfd,
			   struct fuse_session_opts *s)
{
	if (!o->fuse_mount || rootless || !((caps >> CAP_SYS_ADMIN) & 1) ||
	    o->min_free_space || o->min_free_inodes || o->readonly ||
	    o->xattrmap)
		return;
	s->passthrough = true;
	s->backing_open = devfuse_backing_open;
	s->backing_close = devfuse_backing_close;
	s->backing_arg = (void *)(intptr_t)devfd;
}

void session_opts_from(const struct vfsd_options *o,
		       struct fuse_session_opts *s)
{
	memset(s, 0, sizeof(*s));
	s->cache = o->cache;
	s->writeback = o->writeback;
	s->readdirplus = o->readdirplus;
	s->allow_direct_io = o->allow_direct_io;
	s->allow_mmap = o->allow_mmap;
	s->preserve_noatime = o->preserve_noatime;
	s->xattr = o->xattr;
	s->posix_lock = o->posix_lock;
	s->flock = o->flock;
	s->uid_map = &o->uid_map;
	s->gid_map = &o->gid_map;
	s->submounts = o->announce_submounts;
	s->posix_acl = o->posix_acl;
	s->security_ctx = o->security_label;
	s->no_killpriv_v2 = !o->killpriv_v2;
	/* One thread always stays free to serve the unlock a waiter needs. */
	if (o->fuse_mount)
		s->lock_waiters_max = devfuse_threads(o) - 1;
	else if (vhost_pool_size(o))
		s->lock_waiters_max = vhost_pool_size(o) - 1;
	s->max_write = VFSD_MAX_WRITE;
	s->max_readahead = 1u << 20;
	s->stats = o->stats_socket != NULL;
}
