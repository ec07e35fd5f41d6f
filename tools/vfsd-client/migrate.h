/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfsd-client migrate: QEMU's part of a live migration between two back
 * ends on the same shared directory (migrate.c), and the cases that drive
 * it (migrate_cases.c).
 */
#ifndef VFSD_CLIENT_MIGRATE_H
#define VFSD_CLIENT_MIGRATE_H

#include "client.h"

/* One guest, its source back end and, once started, its destination. */
struct mig {
	const struct client_opts *o;
	struct client_session src;	/* the guest's RAM, rings and queues */
	struct vc_dev dst;
	char dst_sock[108];
	bool dst_up;
	bool moved;		/* the queues are the destination's now */
	/* What the back end's argv asks for, and so what to expect. */
	bool file_handles;
	bool guest_error;
	/* The last state saved, and how long save and load took. */
	uint8_t *state;
	size_t state_len;
	uint64_t save_ns, load_ns;
};

int mig_open(struct mig *m, const struct client_opts *o);
void mig_close(struct mig *m, bool *exits_ok);

/* Stop the source's rings (GET_VRING_BASE), as QEMU does at switch-over. */
int mig_stop_source(struct mig *m);
/* Its rings again where they stopped: the migration failed. */
int mig_resume_source(struct mig *m);
/* SET_DEVICE_STATE_FD(save) on the stopped source; m->state holds it. */
int mig_save(struct mig *m);
/* A destination back end (extra: one more argument, or NULL). */
int mig_start_dest(struct mig *m, const char *extra);
/* SET_DEVICE_STATE_FD(load) of buf, then CHECK_DEVICE_STATE. */
int mig_load(struct mig *m, const uint8_t *buf, size_t len);
/* The destination's rings started where the source's stopped. */
int mig_switch(struct mig *m);
/* All of it: stop, save, destination, load, switch. */
int mig_move(struct mig *m);

/* The queue requests go to: the source's, or after mig_switch() the dest's. */
static inline struct fm_queue *mig_q(struct mig *m)
{
	return &m->src.q[1];
}

/* FUSE requests the cases need beyond fusemsg.h. */
int mq_read(struct fm_queue *q, uint64_t nodeid, uint64_t fh, uint64_t off,
	    void *buf, uint32_t size, size_t *got);
int mq_rename(struct fm_queue *q, uint64_t parent, const char *name,
	      uint64_t newparent, const char *newname);
/*
 * READDIR from off with a reply of size bytes: each entry's name goes to
 * fn; *next is the offset after the last one (unchanged at the end).
 */
int mq_readdir(struct fm_queue *q, uint64_t nodeid, uint64_t fh,
	       uint64_t off, uint32_t size,
	       void (*fn)(void *arg, const char *name, size_t len), void *arg,
	       uint64_t *next, unsigned int *count);

struct mig_case {
	const char *name;
	int (*fn)(struct mig *m, char *msg, size_t len);
	bool named_only;	/* needs a back end with particular options */
};

extern const struct mig_case mig_cases[];

#endif
