/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test harness for the FUSE session: a mock filesystem that records what it
 * was asked and answers with canned values, and helpers that build request
 * bytes and run them through fuse_session_process() in exactly-sized heap
 * buffers (so ASan sees any over-run).
 */
#ifndef VFSD_TEST_FUSE_HARNESS_H
#define VFSD_TEST_FUSE_HARNESS_H

#include <linux/fuse.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "fs/vfs_ops.h"
#include "fuse/req.h"
#include "fuse/session.h"

#define MOCK_MAX_FORGETS 64
#define MOCK_NAME 4096

struct mock_fs {
	int ret;		/* returned by every op that can fail */
	unsigned int calls;	/* ops called, init/destroy/forget excluded */
	const char *last_op;

	unsigned int init_calls, destroy_calls;
	struct vfs_conn conn;

	struct vfs_ctx ctx;
	uint64_t nodeid, parent, newparent, fh, off, len, lock_owner;
	bool has_fh, kill_priv, datasync;
	uint32_t flags, mode, umask, rdev, mask, whence;
	char name[MOCK_NAME], name2[MOCK_NAME];
	struct vfs_setattr sa;

	unsigned int nforget;
	uint64_t forget[MOCK_MAX_FORGETS][2];

	/* READ: bytes served; the iovec count seen. */
	const char *data;
	size_t data_len;
	unsigned int iov_cnt;
	/* WRITE: bytes received. */
	char written[1 << 16];
	size_t written_len;

	/* READDIR: entries "e0", "e1", ... up to dir_entries. */
	unsigned int dir_entries;
	unsigned int dir_taken;
	bool dir_saw_full;
	int dir_ret;		/* returned after the entries */

	/* Handed out by lookup/create/open/opendir. */
	uint64_t next_nodeid, next_fh;
	unsigned int releases;
};

extern struct mock_fs mock;
extern const struct vfs_ops mock_ops;

void mock_reset(void);

/* Request builder. */
struct tmsg {
	uint8_t buf[1 << 17];
	size_t len;
};

void tm_start(struct tmsg *m, uint32_t opcode, uint64_t nodeid);
void tm_add(struct tmsg *m, const void *p, size_t n);
void tm_add_str(struct tmsg *m, const char *s);
/** Sets the header's len to the bytes added so far. */
void tm_finish(struct tmsg *m);
struct fuse_in_header *tm_hdr(struct tmsg *m);

/**
 * Run bytes [in, in+inlen) as one request with outlen bytes of reply room;
 * the reply is copied to out. Returns reply_len; *sent gets reply_sent.
 */
size_t t_run(struct fuse_session *s, const void *in, size_t inlen, void *out,
	     size_t outlen);
/** Same with the request and the reply room split at the given sizes. */
size_t t_run_split(struct fuse_session *s, const void *in,
		   const size_t *in_parts, unsigned int in_cnt, void *out,
		   const size_t *out_parts, unsigned int out_cnt);

/**
 * Finish m, run it with outlen bytes of room and check the reply header:
 * its len is the reply length and its unique echoes the request's. Returns
 * the reply length (0: no reply); *oh gets the header, body the rest.
 */
size_t t_call(struct fuse_session *s, struct tmsg *m, struct fuse_out_header *oh,
	      void *body, size_t outlen);

/** Fixture of the per-op tests: a session after INIT and a message. */
struct t_ctx {
	struct fuse_session *s;
	struct tmsg *m;
	struct fuse_out_header oh;
	uint8_t body[1 << 16];
};

int t_ctx_setup(void **state);
int t_ctx_teardown(void **state);
/** t_call() of c->m into c->oh and c->body. */
size_t t_ctx_call(struct t_ctx *c, size_t outlen);

/** A session with default options that went through INIT 7.38. */
struct fuse_session *t_session(const struct fuse_session_opts *opts);
/** Send INIT; returns the reply header's error and fills *out. */
int t_init(struct fuse_session *s, uint32_t major, uint32_t minor,
	   uint32_t flags, uint32_t flags2, uint32_t readahead,
	   struct fuse_init_out *out, size_t *out_len);

const struct fuse_session_opts *t_default_opts(void);

#endif
