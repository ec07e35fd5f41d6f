/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /dev/fuse transport.
 *
 * Threads: opts->threads workers; the first reads the fd it was given, each
 * other one a clone of it (FUSE_DEV_IOC_CLONE), so the kernel hands requests
 * to whichever worker is idle without a lock of ours. A worker owns its two
 * buffers; nothing is shared between workers but the session.
 */
#include "transport/devfuse.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuse/fuse_kernel_ext.h"
#include "transport/drain.h"
#include "util/log.h"
#include "util/thread.h"

/* Linux 6.8: a mount id never reused (the old one is, at once). */
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

/*
 * The mount id of the mount made here (0: unknown, before Linux 6.8; then
 * the cleanup detaches whatever is there, as before). The cleanup after the
 * kernel ended the connection detaches the mount point by path; by then a
 * tool may have unmounted ours and mounted another there (xfstests cycles
 * mounts within milliseconds), which is not ours to detach.
 */
static uint64_t our_mnt_id;

/*
 * The unique mount id of what is mounted on path, 0 if the kernel has
 * none. AT_STATX_DONT_SYNC: no FUSE request (the first would wait for
 * INIT, which nobody answers yet).
 */
static uint64_t mnt_id_at(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_MNT_ID_UNIQUE,
		  &stx) ||
	    !(stx.stx_mask & STATX_MNT_ID_UNIQUE))
		return 0;
	return stx.stx_mnt_id;
}

int devfuse_mount(const char *mountpoint, const char *source,
		  const char *subtype)
{
	char opts[128], type[80];
	struct stat st;
	int fd, n;

	n = snprintf(type, sizeof(type), "fuse%s%s", *subtype ? "." : "",
		     subtype);
	if (n < 0 || (size_t)n >= sizeof(type))
		return -EINVAL;

	if (stat(mountpoint, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/*
	 * allow_other: the share is for every host user. default_permissions:
	 * the kernel checks permissions against the cached attributes, as a
	 * virtio-fs guest kernel does; without it a dentry cached by root's
	 * lookup would let another user walk into a 0700 directory. Each
	 * request still runs with its caller's credentials in fs/.
	 */
	n = snprintf(opts, sizeof(opts),
		     "fd=%d,rootmode=%o,user_id=0,group_id=0,allow_other,"
		     "default_permissions",
		     fd, st.st_mode & S_IFMT);
	if (n < 0 || (size_t)n >= sizeof(opts)) {
		close(fd);
		return -EINVAL;
	}
	if (mount(source, mountpoint, type, MS_NOSUID | MS_NODEV,
		  opts)) {
		int err = errno;

		close(fd);
		return -err;
	}
	our_mnt_id = mnt_id_at(mountpoint);
	return fd;
}

void devfuse_unmount(const char *mountpoint)
{
	uint64_t id = mnt_id_at(mountpoint);

	/* Ours is gone: what is there now (a new mount, or none) stays. */
	if (our_mnt_id && id && id != our_mnt_id)
		return;
	/* MNT_DETACH: never blocks on a busy mount or a dead daemon. */
	umount2(mountpoint, MNT_DETACH);
}

/*
 * How the workers end. The connection's end reaches every worker that
 * reads; one stuck in a system call (a hung FUSE or network filesystem
 * inside the share) may never read again, so the wait for the others is
 * bounded: DEVFUSE_END_DEADLINE_MS after the first saw the end.
 */
#define DEVFUSE_END_DEADLINE_MS 2000

struct devfuse_end {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int exited;	/* workers whose thread returned */
	bool conn_ended;	/* one of them read the connection's end */
};

struct devfuse_worker {
	pthread_t thread;
	int fd;
	bool started;
	struct devfuse_end *end;	/* shared by the workers */
	size_t bufsize;
	fuse_req_handler handler;
	void *session;
	struct devfuse_uring *uring;
	uint64_t poll_max_ns;
	atomic_bool *uring_started;	/* shared by the workers */
	struct drain_slot *ds;	/* its progress, for struct req_order */
};

static int clone_fd(int master, int spare)
{
	uint32_t m = (uint32_t)master;
	int fd = spare >= 0 ? spare : open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, FUSE_DEV_IOC_CLONE, &m)) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static void devfuse_reply(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	/* ENOENT: the request was interrupted and is gone; nothing to do. */
	if (n < 0 && errno != ENOENT && errno != ENODEV)
		log_warn("/dev/fuse write: %s", strerror(errno));
	else if (n >= 0 && (size_t)n != len)
		log_warn("/dev/fuse short write %zd of %zu", n, len);
}

/*
 * With O_DIRECT the host rejects unaligned user buffers, so the payload of
 * the two data-carrying messages must start on a page: a READ reply's data
 * follows a fuse_out_header, a WRITE request's a fuse_in_header and a
 * fuse_write_in. Each buffer is placed that far before a page boundary.
 */
#define DEVFUSE_PAGE 4096u
#define DEVFUSE_IN_LEAD \
	(sizeof(struct fuse_in_header) + sizeof(struct fuse_write_in))
#define DEVFUSE_OUT_LEAD (sizeof(struct fuse_out_header))

static char *devfuse_buf(void **base, size_t size, size_t lead)
{
	if (posix_memalign(base, DEVFUSE_PAGE, size + DEVFUSE_PAGE))
		return NULL;
	return (char *)*base + DEVFUSE_PAGE - lead;
}

/*
 * The INIT reply just written agreed FUSE_OVER_IO_URING: now (not before:
 * the kernel refuses ring entries until it has INIT's answer) start the
 * rings, once.
 */
static void devfuse_after_init(struct devfuse_worker *w, const char *in,
			       const char *out, size_t len)
{
	struct fuse_in_header ih;
	struct fuse_out_header oh;
	struct fuse_init_out io;
	int ret;

	if (!w->uring || len < sizeof(oh) + sizeof(io))
		return;
	memcpy(&ih, in, sizeof(ih));
	memcpy(&oh, out, sizeof(oh));
	memcpy(&io, out + sizeof(oh), sizeof(io));
	if (ih.opcode != FUSE_INIT || oh.error ||
	    !(((uint64_t)io.flags2 << 32) & FUSE_OVER_IO_URING) ||
	    atomic_exchange(w->uring_started, true))
		return;
	ret = devfuse_uring_start(w->uring, w->handler, w->session,
				  w->poll_max_ns);
	if (ret < 0)
		log_err("FUSE over io_uring: %s", strerror(-ret));
}

/* Returns when the connection ended (or reading it failed for good). */
static void devfuse_worker_loop(struct devfuse_worker *w, char *in, char *out)
{
	for (;;) {
		struct iovec iin, iout = { .iov_base = out,
					   .iov_len = w->bufsize };
		struct fuse_req req = { 0 };
		ssize_t n;

		drain_idle(w->ds);
		n = read(w->fd, in, w->bufsize);
		drain_busy(w->ds);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ENOENT)
				continue;
			if (errno != ENODEV)
				log_err("/dev/fuse read: %s", strerror(errno));
			return;
		}
		iin.iov_base = in;
		iin.iov_len = (size_t)n;
		req.in = &iin;
		req.in_cnt = 1;
		req.out = &iout;
		req.out_cnt = 1;
		req.queue = 1;
		req.order = &w->ds->order;
		w->handler(w->session, &req);
		if (req.reply_len) {
			devfuse_reply(w->fd, out, req.reply_len);
			devfuse_after_init(w, in, out, req.reply_len);
		}
	}
}

static void *devfuse_worker_main(void *arg)
{
	struct devfuse_worker *w = arg;
	void *in_base = NULL, *out_base = NULL;
	char *in = devfuse_buf(&in_base, w->bufsize, DEVFUSE_IN_LEAD);
	char *out = devfuse_buf(&out_base, w->bufsize, DEVFUSE_OUT_LEAD);

	bool ended = false;

	drain_bind(w->ds);
	if (in && out) {
		devfuse_worker_loop(w, in, out);
		ended = true;
	} else {
		log_err("/dev/fuse worker: out of memory");
	}
	free(in_base);
	free(out_base);
	pthread_mutex_lock(&w->end->lock);
	w->end->exited++;
	w->end->conn_ended |= ended;
	pthread_cond_signal(&w->end->cond);
	pthread_mutex_unlock(&w->end->lock);
	return NULL;
}

/*
 * Wait until the connection ended (or every worker is gone), then give the
 * rest DEVFUSE_END_DEADLINE_MS, their blocking calls interrupted on the
 * way. True when every started worker (and ring thread) was joined; false
 * when some are stuck: they still use w, the session and the rings.
 */
static bool devfuse_join(struct devfuse_worker *w, unsigned int n,
			 unsigned int started, struct devfuse_uring *uring)
{
	struct devfuse_end *end = w[0].end;
	uint64_t deadline;
	bool all = true;

	pthread_mutex_lock(&end->lock);
	while (!end->conn_ended && end->exited < started)
		pthread_cond_wait(&end->cond, &end->lock);
	pthread_mutex_unlock(&end->lock);
	deadline = thread_now_ms() + DEVFUSE_END_DEADLINE_MS;
	for (unsigned int i = 0; i < n; i++) {
		if (!w[i].started)
			continue;
		if (thread_join_until(w[i].thread, deadline)) {
			all = false;
			continue;
		}
		if (i)
			close(w[i].fd);
	}
	/* The connection ended: the ring threads see it too. */
	return devfuse_uring_stop(uring, deadline) == 0 && all;
}

int32_t devfuse_backing_open(void *devfd, int fd)
{
	struct fuse_backing_map m = { .fd = fd };
	int id = ioctl((int)(intptr_t)devfd, FUSE_DEV_IOC_BACKING_OPEN, &m);

	return id < 0 ? -errno : id;
}

void devfuse_backing_close(void *devfd, int32_t id)
{
	uint32_t i = (uint32_t)id;

	/*
	 * After the connection ended (EBADF, ENOTCONN) there is none to
	 * close; any other refusal leaves the kernel holding the file.
	 */
	if (!ioctl((int)(intptr_t)devfd, FUSE_DEV_IOC_BACKING_CLOSE, &i))
		return;
	if (errno == EBADF || errno == ENOTCONN)
		log_debug("backing file %d: %s", id, strerror(errno));
	else
		log_warn("backing file %d not closed: %s", id, strerror(errno));
}

int devfuse_serve(int fd, const struct devfuse_opts *opts,
		  fuse_req_handler handler, void *session)
{
	unsigned int n = opts->threads ? opts->threads : 1;
	struct devfuse_worker *w = calloc(n, sizeof(*w));
	struct devfuse_end *end = calloc(1, sizeof(*end));
	atomic_bool *uring_started = calloc(1, sizeof(*uring_started));
	struct drain *d = drain_new(n);
	unsigned int started = 0;
	/* drain.h and devfuse_join() wake workers that sit in read(2). */
	int ret = thread_wake_init();

	if (!w || !end || !uring_started || !d || ret) {
		free(w);
		free(end);
		free(uring_started);
		drain_free(d);
		devfuse_uring_free(opts->uring);
		return ret ? ret : -ENOMEM;
	}
	pthread_mutex_init(&end->lock, NULL);
	pthread_cond_init(&end->cond, NULL);
	for (unsigned int i = 0; i < n; i++) {
		w[i].fd = i ? clone_fd(fd, opts->spare_fds ?
						   opts->spare_fds[i - 1] : -1) :
			      fd;
		if (w[i].fd < 0) {
			/* Fewer workers still serve; none cannot. */
			log_warn("cannot clone /dev/fuse fd: %s",
				 strerror(-w[i].fd));
			break;
		}
		/* The kernel refuses reads shorter than max_write + headers. */
		w[i].bufsize = opts->max_write + FUSE_MIN_READ_BUFFER;
		w[i].handler = handler;
		w[i].session = session;
		w[i].uring = opts->uring;
		w[i].poll_max_ns = opts->poll_max_ns;
		w[i].uring_started = uring_started;
		w[i].end = end;
		w[i].ds = drain_slot(d, i);
		ret = thread_create_nosig(&w[i].thread, devfuse_worker_main,
					  &w[i]);
		if (ret) {
			log_warn("cannot start /dev/fuse worker: %s",
				 strerror(-ret));
			if (i)
				close(w[i].fd);
			break;
		}
		w[i].started = true;
		started++;
	}
	if (!started) {
		free(w);
		free(end);
		free(uring_started);
		drain_free(d);
		devfuse_uring_free(opts->uring);
		return ret;
	}
	if (!devfuse_join(w, n, started, opts->uring)) {
		/* Stuck threads still point into w, end, d and the rings. */
		log_warn("/dev/fuse: %s", "requests still stuck in the kernel "
			 "2 s after the connection ended");
		return DEVFUSE_ABANDONED;
	}
	devfuse_uring_free(opts->uring);
	pthread_cond_destroy(&end->cond);
	pthread_mutex_destroy(&end->lock);
	drain_free(d);
	free(w);
	free(end);
	free(uring_started);
	return 0;
}
