/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FUSE requests built in guest RAM and sent as descriptor chains, the way
 * the Linux virtio-fs driver lays them out: readable [header+args][data],
 * then writable [out header][reply data].
 */
#ifndef VFSD_CLIENT_FUSEMSG_H
#define VFSD_CLIENT_FUSEMSG_H

#include <linux/fuse.h>

#include "frontend.h"

#define FM_DESC_PER_SLOT 8u
#define FM_MAX_SEGS FM_DESC_PER_SLOT

struct fm_seg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

/* One request in flight: its own descriptors and buffers in guest RAM. */
struct fm_slot {
	struct vc_dev *dev;
	struct vc_vq *vq;
	uint16_t head; /* owns descriptors head .. head + FM_DESC_PER_SLOT - 1 */
	uint64_t in_gpa, out_gpa;
	uint8_t *in, *out;
	size_t in_cap, out_cap;
	size_t in_len, seg_start;
	unsigned int nseg;
	struct fm_seg seg[FM_MAX_SEGS];
	uint64_t unique;
	uint32_t opcode;
	bool busy;
	bool done;
	uint32_t used_len;
	uint64_t t0;
	/* Workload state carried across the steps of one operation. */
	unsigned int step;
	uint64_t op_t0;
	uint64_t nodeid, fh, aux;
	void *priv;
};

struct fm_queue {
	struct vc_dev *dev;
	struct vc_vq *vq;
	struct fm_slot *slots;
	unsigned int nslots;
};

int fm_queue_init(struct fm_queue *q, struct vc_dev *dev, unsigned int vq_idx,
		  unsigned int nslots, size_t in_cap, size_t out_cap);
void fm_queue_free(struct fm_queue *q);
/* The same slots and rings, served by another device (a migration's). */
void fm_queue_rebind(struct fm_queue *q, struct vc_dev *dev);

/* Building. */
void fm_begin(struct fm_slot *s, uint32_t opcode, uint64_t nodeid);
void *fm_space(struct fm_slot *s, size_t len);
void fm_arg(struct fm_slot *s, const void *arg, size_t len);
void fm_name(struct fm_slot *s, const char *name);
void fm_split(struct fm_slot *s);
void fm_end(struct fm_slot *s, size_t reply_len);
struct fuse_in_header *fm_in_hdr(struct fm_slot *s);
void fm_submit(struct fm_slot *s);

/* Completion: mark slots done from the used ring; returns slots reaped. */
int fm_reap(struct fm_queue *q, struct fm_slot **done, unsigned int max);
int fm_call(struct fm_queue *q, struct fm_slot *s, int timeout_ms);
/* fm_call without the submit: wait for a slot already sent. */
int fm_wait(struct fm_queue *q, struct fm_slot *s, int timeout_ms);
/* fm_call, then copy the first want bytes of a successful answer to out;
 * -EBADMSG if it is shorter. */
int fm_call_copy(struct fm_queue *q, struct fm_slot *s, int timeout_ms,
		 void *out, size_t want);

/*
 * Parse the reply of a completed slot: 0 on success with *payload and *len
 * set, a negative errno for an error reply, or -EBADMSG for a malformed
 * reply (short, wrong unique, length that disagrees with the used ring).
 */
int fm_reply(struct fm_slot *s, const void **payload, size_t *len);

/* Request fillers (the reply size is chosen to fit the answer). */
void fm_fill_init(struct fm_slot *s, uint32_t major, uint32_t minor,
		  uint64_t flags, size_t in_size);
void fm_fill_lookup(struct fm_slot *s, uint64_t parent, const char *name);
void fm_fill_forget(struct fm_slot *s, uint64_t nodeid, uint64_t nlookup);
void fm_fill_batch_forget(struct fm_slot *s, const uint64_t *nodeids,
			  uint32_t count);
void fm_fill_getattr(struct fm_slot *s, uint64_t nodeid);
/* SETLK/SETLKW/GETLK of the whole file; INTERRUPT (no reply) of unique. */
void fm_fill_lk(struct fm_slot *s, uint32_t opcode, uint64_t nodeid,
		uint64_t fh, uint64_t owner, uint32_t type);
void fm_fill_interrupt(struct fm_slot *s, uint64_t unique);
void fm_fill_open(struct fm_slot *s, uint32_t opcode, uint64_t nodeid,
		  uint32_t flags);
void fm_fill_release(struct fm_slot *s, uint32_t opcode, uint64_t nodeid,
		     uint64_t fh);
void fm_fill_read(struct fm_slot *s, uint32_t opcode, uint64_t nodeid,
		  uint64_t fh, uint64_t off, uint32_t size);
void *fm_fill_write(struct fm_slot *s, uint64_t nodeid, uint64_t fh,
		    uint64_t off, uint32_t size);
void fm_fill_create(struct fm_slot *s, uint64_t parent, const char *name,
		    uint32_t mode);
void fm_fill_mknod(struct fm_slot *s, uint64_t parent, const char *name,
		   uint32_t mode);
void fm_fill_mkdir(struct fm_slot *s, uint64_t parent, const char *name);
void fm_fill_unlink(struct fm_slot *s, uint32_t opcode, uint64_t parent,
		    const char *name);

/* Synchronous conveniences: 0 / negative errno. */
int fm_do_init(struct fm_queue *q, struct fuse_init_out *out);
int fm_do_lookup(struct fm_queue *q, uint64_t parent, const char *name,
		 struct fuse_entry_out *out);
int fm_do_getattr(struct fm_queue *q, uint64_t nodeid, struct fuse_attr_out *out);
int fm_do_open(struct fm_queue *q, uint32_t opcode, uint64_t nodeid,
	       uint32_t flags, uint64_t *fh);
int fm_do_release(struct fm_queue *q, uint32_t opcode, uint64_t nodeid,
		  uint64_t fh);
int fm_do_forget(struct fm_queue *q, uint64_t nodeid, uint64_t nlookup);
int fm_do_mkdir(struct fm_queue *q, uint64_t parent, const char *name,
		struct fuse_entry_out *out);
int fm_do_unlink(struct fm_queue *q, uint32_t opcode, uint64_t parent,
		 const char *name);
int fm_do_write(struct fm_queue *q, uint64_t nodeid, uint64_t fh, uint64_t off,
		const void *data, uint32_t size);
int fm_do_create(struct fm_queue *q, uint64_t parent, const char *name,
		 uint32_t mode, struct fuse_entry_out *e, uint64_t *fh);

/*
 * Deterministic file contents: each 8-byte word holds its own file offset
 * mixed with a constant, so a misplaced or stale block is always noticed.
 * Offsets and lengths are multiples of 8.
 */
void fm_pattern_fill(void *buf, uint64_t off, size_t len);
bool fm_pattern_check(const void *buf, uint64_t off, size_t len);

#endif
