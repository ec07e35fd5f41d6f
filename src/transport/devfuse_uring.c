/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "transport/devfuse_uring.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fuse/fuse_kernel_ext.h"
#include "transport/drain.h"
#include "transport/poll_window.h"
#include "util/log.h"
#include "util/thread.h"

/*
 * Entries per queue: requests one CPU's callers may have in the daemon at
 * once; more wait in the kernel. libfuse takes 8 too.
 */
#define DFU_DEPTH 8u
#define DFU_PAGE 4096u
/* The kernel's FUSE_MIN_READ_BUFFER: no payload buffer may be smaller. */
#define DFU_MIN_PAYLOAD 8192u
/* How often an idle queue thread looks whether the connection ended. */
#define DFU_WAIT_MS 1000

struct dfu_queue;

struct dfu_ent {
	struct dfu_queue *q;
	struct fuse_uring_req_header *hdr;	/* page-aligned, ours */
	char *payload;
	struct iovec reg[2];	/* what REGISTER hands the kernel */
	uint32_t cmd;		/* the last command, to repeat on EINTR */
	uint64_t commit_id;
};

struct dfu_queue {
	struct devfuse_uring *u;
	unsigned int qid;
	struct io_uring ring;
	bool ring_ok;
	struct poll_window pw;	/* the queue thread's */
	struct drain_slot *ds;	/* its progress, for struct req_order */
	pthread_t thread;
	bool started;	/* the thread runs, and is not joined yet */
	struct dfu_ent ent[DFU_DEPTH];
};

struct devfuse_uring {
	int devfd;
	unsigned int nq;
	size_t payload_sz;
	fuse_req_handler handler;
	void *session;
	atomic_bool stop;
	struct dfu_queue *q;
	struct drain *drain;	/* one slot per queue thread */
};

bool devfuse_uring_enabled(void)
{
	char c = 'N';
	int fd = open("/sys/module/fuse/parameters/enable_uring",
		      O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 'N';
	close(fd);
	return c == 'Y' || c == '1';
}

/* The kernel makes one queue per possible CPU and wants every one served. */
static unsigned int dfu_possible_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n > 0 ? (unsigned int)n : 1;
}

/* Debian 12's liburing (2.3) declares but does not export these two. */
static int dfu_register(struct io_uring *ring, unsigned int op,
			const void *arg, unsigned int n)
{
	long r = syscall(__NR_io_uring_register, ring->ring_fd, op, arg, n);

	return r < 0 ? -errno : 0;
}

/*
 * A ring that can do one thing: URING_CMD on fixed file 0, our /dev/fuse
 * fd. Set up disabled, restricted, then enabled (io_uring's own order).
 */
static int dfu_ring_init(struct dfu_queue *q, int devfd)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SQE128 | IORING_SETUP_R_DISABLED |
			 IORING_SETUP_CQSIZE,
		.cq_entries = 2 * DFU_DEPTH,
	};
	struct io_uring_restriction res[3] = {
		{ .opcode = IORING_RESTRICTION_SQE_OP,
		  .sqe_op = IORING_OP_URING_CMD },
		{ .opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED,
		  .sqe_flags = IOSQE_FIXED_FILE },
		{ .opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED,
		  .sqe_flags = IOSQE_FIXED_FILE },
	};
	int ret;

	ret = io_uring_queue_init_params(DFU_DEPTH, &q->ring, &p);
	if (ret < 0)
		return ret;
	q->ring_ok = true;
	ret = io_uring_register_files(&q->ring, &devfd, 1);
	if (ret == 0)
		ret = dfu_register(&q->ring, IORING_REGISTER_RESTRICTIONS, res,
				   3);
	if (ret == 0)
		ret = dfu_register(&q->ring, IORING_REGISTER_ENABLE_RINGS,
				   NULL, 0);
	return ret;
}

static int dfu_ent_alloc(struct dfu_ent *e, size_t payload_sz)
{
	void *h, *p;

	if (posix_memalign(&h, DFU_PAGE, sizeof(*e->hdr)))
		return -ENOMEM;
	if (posix_memalign(&p, DFU_PAGE, payload_sz)) {
		free(h);
		return -ENOMEM;
	}
	memset(h, 0, sizeof(*e->hdr));
	e->hdr = h;
	e->payload = p;
	e->reg[0] = (struct iovec){ h, sizeof(*e->hdr) };
	e->reg[1] = (struct iovec){ p, payload_sz };
	return 0;
}

int devfuse_uring_prepare(struct devfuse_uring **out, int devfd,
			  size_t max_write)
{
	struct devfuse_uring *u;
	int ret = 0;

	*out = NULL;
	if (!devfuse_uring_enabled())
		return -EOPNOTSUPP;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->devfd = devfd;
	u->nq = dfu_possible_cpus();
	u->payload_sz = max_write > DFU_MIN_PAYLOAD ? max_write :
						      DFU_MIN_PAYLOAD;
	u->payload_sz = (u->payload_sz + DFU_PAGE - 1) & ~(size_t)(DFU_PAGE - 1);
	atomic_init(&u->stop, false);
	u->q = calloc(u->nq, sizeof(*u->q));
	u->drain = drain_new(u->nq);
	if (!u->q || !u->drain) {
		drain_free(u->drain);
		free(u->q);
		free(u);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < u->nq && ret == 0; i++) {
		struct dfu_queue *q = &u->q[i];

		q->u = u;
		q->qid = i;
		q->ds = drain_slot(u->drain, i);
		ret = dfu_ring_init(q, devfd);
		for (unsigned int j = 0; j < DFU_DEPTH && ret == 0; j++) {
			q->ent[j].q = q;
			ret = dfu_ent_alloc(&q->ent[j], u->payload_sz);
		}
	}
	if (ret < 0) {
		log_info("FUSE over io_uring unavailable: %s", strerror(-ret));
		devfuse_uring_free(u);
		return ret;
	}
	*out = u;
	return 0;
}

static void dfu_prep(struct io_uring_sqe *sqe, struct dfu_ent *e,
		     uint32_t cmd, uint64_t commit_id)
{
	struct fuse_uring_cmd_req *req = (void *)sqe->cmd;

	memset(sqe, 0, 2 * sizeof(*sqe));	/* SQE128 */
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->fd = 0;
	sqe->cmd_op = cmd;
	io_uring_sqe_set_data(sqe, e);
	req->qid = (uint16_t)e->q->qid;
	req->commit_id = commit_id;
	if (cmd == FUSE_IO_URING_CMD_REGISTER) {
		sqe->addr = (uint64_t)(uintptr_t)e->reg;
		sqe->len = 2;
	}
}

/* Queue a command for e; the thread's next io_uring_enter() submits it. */
static int dfu_queue_cmd(struct dfu_ent *e, uint32_t cmd, uint64_t commit_id)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->q->ring);

	/* One SQE per entry at most is ever outstanding. */
	if (!sqe)
		return -EIO;
	dfu_prep(sqe, e, cmd, commit_id);
	e->cmd = cmd;
	e->commit_id = commit_id;
	return 0;
}

/*
 * One request the kernel put into e: [in header][first argument][payload].
 * The header's len covers all three, so what is left of it after the
 * header and payload is the first argument's size.
 */
static void dfu_serve(struct dfu_ent *e)
{
	struct devfuse_uring *u = e->q->u;
	struct fuse_uring_ent_in_out *io = &e->hdr->ring_ent_in_out;
	struct fuse_in_header ih;
	struct fuse_out_header oh;
	struct iovec in[3], out[2];
	struct fuse_req req = { 0 };
	uint64_t commit = io->commit_id;
	size_t pl = io->payload_sz, arg0 = 0;

	memcpy(&ih, e->hdr->in_out, sizeof(ih));
	if (pl > u->payload_sz)
		pl = u->payload_sz;
	if (ih.len >= sizeof(ih) + pl &&
	    ih.len - sizeof(ih) - pl <= FUSE_URING_OP_IN_OUT_SZ)
		arg0 = ih.len - sizeof(ih) - pl;
	in[0] = (struct iovec){ e->hdr->in_out, sizeof(ih) };
	in[1] = (struct iovec){ e->hdr->op_in, arg0 };
	in[2] = (struct iovec){ e->payload, pl };
	out[0] = (struct iovec){ e->hdr->in_out, sizeof(oh) };
	out[1] = (struct iovec){ e->payload, u->payload_sz };
	req.in = in;
	req.in_cnt = 3;
	req.out = out;
	req.out_cnt = 2;
	req.queue = 1;
	req.order = &e->q->ds->order;
	u->handler(u->session, &req);
	if (req.reply_len < sizeof(oh)) {
		/* The kernel waits for an answer to every ring request. */
		oh = (struct fuse_out_header){ .len = sizeof(oh),
					       .error = -EIO,
					       .unique = ih.unique };
		memcpy(e->hdr->in_out, &oh, sizeof(oh));
		req.reply_len = sizeof(oh);
	}
	io->payload_sz = (uint32_t)(req.reply_len - sizeof(oh));
	if (dfu_queue_cmd(e, FUSE_IO_URING_CMD_COMMIT_AND_FETCH, commit))
		log_err("FUSE ring %u: no room to commit", e->q->qid);
}

/* Handle what completed; false once the connection is gone. */
static bool dfu_reap(struct dfu_queue *q)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	bool alive = true;

	io_uring_for_each_cqe(&q->ring, head, cqe) {
		struct dfu_ent *e = io_uring_cqe_get_data(cqe);

		n++;
		if (cqe->res == 0) {
			dfu_serve(e);
		} else if (cqe->res == -EINTR || cqe->res == -EAGAIN) {
			/* Not taken: ask again as before. */
			if (dfu_queue_cmd(e, e->cmd, e->commit_id))
				alive = false;
		} else {
			/* ENOTCONN, ENODEV, ECANCELED: unmounted or aborted. */
			if (cqe->res != -ENOTCONN && cqe->res != -ENODEV &&
			    cqe->res != -ECANCELED)
				log_warn("FUSE ring %u: %s", q->qid,
					 strerror(-cqe->res));
			alive = false;
		}
	}
	io_uring_cq_advance(&q->ring, n);
	return alive;
}

/* For pw_poll(): a request came (1), or the rings stop (-1). */
static int dfu_cq_ready(void *arg)
{
	struct dfu_queue *q = arg;

	if (io_uring_cq_ready(&q->ring))
		return 1;
	return atomic_load_explicit(&q->u->stop, memory_order_relaxed) ? -1 : 0;
}

/*
 * Send the replies queued so far and wait for the next request: first, as
 * a virtio queue thread does (poll_window.h), by watching the completion
 * ring for a while (one system call more when nothing comes: the submit
 * then goes alone), then in io_uring_enter().
 */
static int dfu_wait(struct dfu_queue *q)
{
	struct __kernel_timespec ts = { .tv_sec = DFU_WAIT_MS / 1000 };
	uint64_t win = pw_window(&q->pw), empty_ns = 0;
	struct io_uring_cqe *cqe;
	bool preempted = false;
	int ret;

	if (win) {
		ret = io_uring_submit(&q->ring);
		if (ret < 0)
			return ret;
		empty_ns = pw_now();
		if (pw_poll(win, empty_ns, dfu_cq_ready, q, &preempted)) {
			pw_record(&q->pw, pw_now() - empty_ns, false);
			return 0;
		}
	} else if (q->pw.max_ns) {
		empty_ns = pw_now();
	}
	ret = io_uring_submit_and_wait_timeout(&q->ring, &cqe, 1, &ts, NULL);
	if (q->pw.max_ns && ret != -ETIME)
		pw_record(&q->pw, pw_now() - empty_ns, preempted);
	return ret;
}

static void *dfu_thread(void *arg)
{
	struct dfu_queue *q = arg;
	struct devfuse_uring *u = q->u;
	int ret;

	drain_bind(q->ds);
	for (unsigned int i = 0; i < DFU_DEPTH; i++)
		if (dfu_queue_cmd(&q->ent[i], FUSE_IO_URING_CMD_REGISTER, 0))
			return NULL;
	while (!atomic_load_explicit(&u->stop, memory_order_relaxed)) {
		/*
		 * A wait wakes with what the kernel handed this ring since the
		 * last: its task work posts the completions on the way out.
		 */
		drain_idle(q->ds);
		ret = dfu_wait(q);
		drain_busy(q->ds);
		if (ret < 0 && ret != -ETIME && ret != -EINTR) {
			log_err("FUSE ring %u: %s", q->qid, strerror(-ret));
			break;
		}
		if (!dfu_reap(q))
			break;
	}
	return NULL;
}

int devfuse_uring_start(struct devfuse_uring *u, fuse_req_handler handler,
			void *session, uint64_t poll_max_ns)
{
	int ret;

	u->handler = handler;
	u->session = session;
	for (unsigned int i = 0; i < u->nq; i++) {
		pw_init(&u->q[i].pw, poll_max_ns);
		ret = thread_create_nosig(&u->q[i].thread, dfu_thread, &u->q[i]);
		if (ret < 0)
			return ret;
		u->q[i].started = true;
	}
	log_info("FUSE over io_uring: %u queues of %u entries", u->nq,
		 DFU_DEPTH);
	return 0;
}

int devfuse_uring_stop(struct devfuse_uring *u, uint64_t deadline_ms)
{
	int ret = 0;

	if (!u)
		return 0;
	/* The threads end on the connection's end, or see this within 1 s. */
	atomic_store(&u->stop, true);
	for (unsigned int i = 0; i < u->nq; i++) {
		struct dfu_queue *q = &u->q[i];

		if (!q->started)
			continue;
		if (thread_join_until(q->thread, deadline_ms))
			ret = -ETIMEDOUT;
		else
			q->started = false;
	}
	return ret;
}

void devfuse_uring_free(struct devfuse_uring *u)
{
	if (!u)
		return;
	atomic_store(&u->stop, true);
	for (unsigned int i = 0; i < u->nq; i++) {
		struct dfu_queue *q = &u->q[i];

		if (q->started)
			pthread_join(q->thread, NULL);
		if (q->ring_ok)
			io_uring_queue_exit(&q->ring);
		for (unsigned int j = 0; j < DFU_DEPTH; j++) {
			free(q->ent[j].hdr);
			free(q->ent[j].payload);
		}
	}
	free(u->q);
	drain_free(u->drain);
	free(u);
}
