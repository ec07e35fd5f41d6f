/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The session: lifetime, INIT negotiation and DESTROY.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuse/dispatch.h"
#include "fuse/fuse_kernel_ext.h"
#include "fuse/ops.h"
#include "fuse/reply.h"
#include "fuse/session.h"
#include "util/log.h"

/* Linux 6.6 (FUSE 7.39): mmap of a direct-io file; newer than our header. */
#ifndef FUSE_DIRECT_IO_ALLOW_MMAP
#define FUSE_DIRECT_IO_ALLOW_MMAP (1ULL << 36)
#endif

#define SESSION_DEFAULT_MAX_WRITE (1u << 20)
/* The kernel never goes below this for max_write. */
#define SESSION_MIN_MAX_WRITE 4096u

static uint64_t session_entry_valid(enum fuse_cache_mode mode)
{
	switch (mode) {
	case FUSE_CACHE_NEVER:
		return 0;
	case FUSE_CACHE_ALWAYS:
	case FUSE_CACHE_METADATA:
		return 86400;
	case FUSE_CACHE_AUTO:
	default:
		return 1;
	}
}

int fuse_session_new(struct fuse_session **out, const struct vfs_ops *ops,
		     void *fs, const struct fuse_session_opts *opts)
{
	struct fuse_session *s;
	long page;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ops = ops;
	s->fs = fs;
	s->opts = *opts;
	if (!s->opts.max_write)
		s->opts.max_write = SESSION_DEFAULT_MAX_WRITE;
	if (s->opts.max_write < SESSION_MIN_MAX_WRITE)
		s->opts.max_write = SESSION_MIN_MAX_WRITE;
	s->entry_valid = session_entry_valid(opts->cache);
	page = sysconf(_SC_PAGESIZE);
	s->page_size = page > 0 ? (uint32_t)page : 4096;
	atomic_init(&s->destroyed, false);
	atomic_init(&s->lock_waiters, 0);

	atomic_init(&s->agreed, 0);
	/* pthread answers a positive errno. */
	ret = -pthread_mutex_init(&s->reset_lock, NULL);
	if (!ret) {
		ret = -pthread_mutex_init(&s->waiters_lock, NULL);
		if (ret)
			pthread_mutex_destroy(&s->reset_lock);
	}
	if (!ret && s->opts.stats) {
		ret = fuse_stats_new(&s->stats);
		if (ret) {
			pthread_mutex_destroy(&s->waiters_lock);
			pthread_mutex_destroy(&s->reset_lock);
		}
	}
	if (ret) {
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void fuse_session_free(struct fuse_session *s)
{
	if (!s)
		return;
	fuse_stats_free(s->stats);
	pthread_mutex_destroy(&s->waiters_lock);
	pthread_mutex_destroy(&s->reset_lock);
	free(s);
}

void fuse_session_process(void *session, struct fuse_req *req)
{
	dispatch_request(session, req);
}

bool fuse_session_may_block(void *session, const struct fuse_req *req)
{
	(void)session;
	return dispatch_may_block(req);
}

const struct fuse_stats *fuse_session_stats(const struct fuse_session *s)
{
	return s->stats;
}

bool fuse_session_destroyed(const struct fuse_session *s)
{
	return atomic_load(&s->destroyed);
}

/*
 * Under reset_lock: end the connection, if there is one, before INIT or
 * DESTROY changes it. Requests that load the state from now on get EIO;
 * those already running go on with their own references (the
 * filesystem's destroy() is safe against them, see fs/vfs_ops.h), and a
 * lock wait among them gives up, as destroy() calls every wait off.
 */
static void session_reset(struct fuse_session *s)
{
	if (!atomic_exchange(&s->agreed, 0))
		return;
	if (s->ops->destroy)
		s->ops->destroy(s->fs);
}

static uint64_t session_offered_flags(const struct fuse_session *s)
{
	/*
	 * No FUSE_EXPORT_SUPPORT: the kernel decodes a file handle whose
	 * inode it forgot by a LOOKUP of "." in that nodeid, and vfsd drops
	 * a nodeid when the guest forgets it, so an NFS re-export or an
	 * open_by_handle_at() on the mount would get ESTALE at random.
	 * Without the flag the kernel refuses to decode handles up front.
	 */
	uint64_t want = FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS |
			FUSE_BIG_WRITES | FUSE_ATOMIC_O_TRUNC |
			FUSE_MAX_PAGES;

	if (s->opts.readdirplus)
		want |= FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO;
	if (s->opts.writeback)
		want |= FUSE_WRITEBACK_CACHE;
	if (!s->opts.no_killpriv_v2)
		want |= FUSE_HANDLE_KILLPRIV_V2;
	/*
	 * With ACLs the umask is the filesystem's to apply, and only where
	 * the new file's directory has no default ACL (fs/passthrough.c).
	 */
	if (s->opts.posix_acl)
		want |= FUSE_POSIX_ACL | FUSE_DONT_MASK;
	if (s->opts.security_ctx)
		want |= FUSE_SECURITY_CTX;
	if (s->opts.xattr)
		want |= FUSE_SETXATTR_EXT;
	if (s->opts.posix_lock)
		want |= FUSE_POSIX_LOCKS;
	if (s->opts.flock)
		want |= FUSE_FLOCK_LOCKS;
	if (s->opts.submounts)
		want |= FUSE_SUBMOUNTS;
	if (s->opts.allow_mmap)
		want |= FUSE_DIRECT_IO_ALLOW_MMAP;
	if (s->opts.io_uring)
		want |= FUSE_OVER_IO_URING;
	/* The kernel turns the writeback cache off beside passthrough. */
	if (s->opts.passthrough && !s->opts.writeback)
		want |= FUSE_PASSTHROUGH;
	return want;
}

uint64_t session_negotiate(const struct fuse_session *s,
			   const struct fuse_init_in *in,
			   struct fuse_init_out *out, struct vfs_conn *conn,
			   struct fuse_agreed *ag)
{
	uint64_t kflags = in->flags;
	uint64_t agreed;
	uint32_t pages;

	/* flags2 exists from 7.36 on and only if the kernel says so. */
	if (in->minor >= 36 && (in->flags & FUSE_INIT_EXT))
		kflags |= (uint64_t)in->flags2 << 32;
	agreed = session_offered_flags(s) & kflags;
	if (kflags & FUSE_INIT_EXT)
		agreed |= FUSE_INIT_EXT;

	memset(conn, 0, sizeof(*conn));
	conn->writeback_cache = agreed & FUSE_WRITEBACK_CACHE;
	conn->killpriv_v2 = agreed & FUSE_HANDLE_KILLPRIV_V2;
	conn->posix_acl = agreed & FUSE_POSIX_ACL;
	conn->dont_mask = agreed & FUSE_DONT_MASK;
	conn->submounts = agreed & FUSE_SUBMOUNTS;
	ag->max_write = s->opts.max_write;
	ag->security_ctx = agreed & FUSE_SECURITY_CTX;
	ag->setxattr_ext = agreed & FUSE_SETXATTR_EXT;
	ag->submounts = agreed & FUSE_SUBMOUNTS;
	ag->passthrough = agreed & FUSE_PASSTHROUGH;
	/* A backing file may not itself be a stacked one (overlayfs, FUSE). */
	if (ag->passthrough)
		out->unused[FUSE_INIT_OUT_MAX_STACK_DEPTH_IDX] = 1;

	out->minor = in->minor < FUSE_KERNEL_MINOR_VERSION ?
			     in->minor : FUSE_KERNEL_MINOR_VERSION;
	out->flags = (uint32_t)agreed;
	out->flags2 = (uint32_t)(agreed >> 32);
	out->max_readahead = in->max_readahead;
	if (s->opts.max_readahead && s->opts.max_readahead < in->max_readahead)
		out->max_readahead = s->opts.max_readahead;
	out->max_write = ag->max_write;
	pages = ag->max_write / s->page_size;
	out->max_pages = (uint16_t)(pages > UINT16_MAX ? UINT16_MAX : pages);
	if (!out->max_pages)
		out->max_pages = 1;
	out->time_gran = 1;
	return agreed;
}

/*
 * A 7.x INIT the protocol check let through: the previous connection ends
 * (a second INIT is a guest that rebooted without unmounting) and the new
 * one is published once the filesystem knows it.
 */
static void session_connect(struct fuse_session *s,
			    const struct fuse_init_in *in,
			    struct fuse_init_out *out)
{
	struct fuse_agreed ag;
	struct vfs_conn conn;

	pthread_mutex_lock(&s->reset_lock);
	session_reset(s);
	s->agreed_flags = session_negotiate(s, in, out, &conn, &ag);
	s->init_in = *in;
	if (s->ops->init)
		s->ops->init(s->fs, &conn);
	atomic_store(&s->destroyed, false);
	atomic_store(&s->agreed, session_agreed_pack(&ag));
	pthread_mutex_unlock(&s->reset_lock);
}

void op_init(struct fuse_call *c)
{
	struct fuse_init_in in;
	struct fuse_init_out out;
	size_t n = fr_remaining(&c->r);
	size_t out_size = sizeof(out);

	/* Kernels before 7.36 send a shorter struct: the rest stays zero. */
	memset(&in, 0, sizeof(in));
	if (n > sizeof(in))
		n = sizeof(in);
	if (fr_read_obj(&c->r, &in, n)) {
		reply_err(c, -EINVAL);
		return;
	}
	memset(&out, 0, sizeof(out));
	out.major = FUSE_KERNEL_VERSION;
	out.minor = FUSE_KERNEL_MINOR_VERSION;
	log_debug("guest FUSE %u.%u, offering %u.%u", in.major, in.minor,
		  out.major, out.minor);
	if (in.major < FUSE_KERNEL_VERSION ||
	    (in.major == FUSE_KERNEL_VERSION &&
	     in.minor < FUSE_SESSION_MIN_MINOR)) {
		log_warn("unsupported FUSE protocol %u.%u", in.major,
			 in.minor);
		reply_err(c, -EPROTO);
		return;
	}
	if (in.major > FUSE_KERNEL_VERSION) {
		/* The kernel retries with a 7.x INIT. */
		(void)reply_buf(c, &out, sizeof(out));
		return;
	}
	session_connect(c->s, &in, &out);
	if (out.minor < 23)
		out_size = FUSE_COMPAT_22_INIT_OUT_SIZE;
	log_info("FUSE %u.%u agreed: flags %#x flags2 %#x max_write %u",
		 out.major, out.minor, out.flags, out.flags2, out.max_write);
	if (c->s->opts.passthrough)
		log_info("FUSE passthrough %s",
			 ((uint64_t)out.flags2 << 32) & FUSE_PASSTHROUGH ?
				 "on" : "not offered by the kernel");
	(void)reply_buf(c, &out, out_size);
}

void op_destroy(struct fuse_call *c)
{
	struct fuse_session *s = c->s;

	pthread_mutex_lock(&s->reset_lock);
	session_reset(s);
	atomic_store(&s->destroyed, true);
	pthread_mutex_unlock(&s->reset_lock);
	reply_ok(c);
}

uint32_t ops_open_flags(const struct fuse_session *s, bool dir)
{
	switch (s->opts.cache) {
	case FUSE_CACHE_NEVER:
		return dir ? 0 : FOPEN_DIRECT_IO;
	case FUSE_CACHE_ALWAYS:
		return dir ? FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR :
			     FOPEN_KEEP_CACHE;
	case FUSE_CACHE_METADATA:
		/* virtiofsd's policy: listings kept, file data never. */
		return dir ? FOPEN_KEEP_CACHE : FOPEN_DIRECT_IO;
	case FUSE_CACHE_AUTO:
	default:
		return 0;
	}
}

uint32_t ops_guest_open_flags(const struct fuse_session *s, uint32_t flags)
{
	/* O_DIRECT on the host only when asked for: some filesystems lack it. */
	if (!s->opts.allow_direct_io)
		flags &= ~(uint32_t)O_DIRECT;
	/*
	 * O_NOATIME is EPERM on a file the daemon's thread does not own and
	 * has no CAP_FOWNER for (always so without root); virtiofsd drops it
	 * unless --preserve-noatime, and so does vfsd.
	 */
	if (!s->opts.preserve_noatime)
		flags &= ~(uint32_t)O_NOATIME;
	return flags;
}
