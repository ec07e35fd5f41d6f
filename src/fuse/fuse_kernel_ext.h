/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FUSE protocol additions after 7.38 (Debian 12's <linux/fuse.h>) that
 * vfsd uses where the running kernel offers them: passthrough of reads and
 * writes to a backing file (7.40) and FUSE over io_uring (7.42). Values as
 * the kernel's UAPI defines them; each guarded so a newer header wins.
 */
#ifndef VFSD_FUSE_KERNEL_EXT_H
#define VFSD_FUSE_KERNEL_EXT_H

#include <linux/fuse.h>
#include <stdint.h>
#include <sys/ioctl.h>

#ifndef FUSE_PASSTHROUGH
#define FUSE_PASSTHROUGH (1ULL << 37)
#endif
#ifndef FUSE_OVER_IO_URING
#define FUSE_OVER_IO_URING (1ULL << 41)
#endif
#ifndef FOPEN_PASSTHROUGH
#define FOPEN_PASSTHROUGH (1 << 7)
#endif

/* fuse_init_out.unused[0] is max_stack_depth from 7.40 on. */
#define FUSE_INIT_OUT_MAX_STACK_DEPTH_IDX 0
/* fuse_open_out.padding is backing_id from 7.40 on. */

#ifndef FUSE_DEV_IOC_BACKING_OPEN
struct fuse_backing_map {
	int32_t fd;
	uint32_t flags;
	uint64_t padding;
};
#define FUSE_DEV_IOC_BACKING_OPEN \
	_IOW(FUSE_DEV_IOC_MAGIC, 1, struct fuse_backing_map)
#define FUSE_DEV_IOC_BACKING_CLOSE _IOW(FUSE_DEV_IOC_MAGIC, 2, uint32_t)
#endif

#ifndef FUSE_URING_IN_OUT_HEADER_SZ
#define FUSE_URING_IN_OUT_HEADER_SZ 128
#define FUSE_URING_OP_IN_OUT_SZ 128

struct fuse_uring_ent_in_out {
	uint64_t flags;
	uint64_t commit_id;	/* to send back with the reply */
	uint32_t payload_sz;	/* bytes used in the payload buffer */
	uint32_t padding;
	uint64_t reserved;
};

/* One ring entry's header buffer. */
struct fuse_uring_req_header {
	char in_out[FUSE_URING_IN_OUT_HEADER_SZ];	/* in or out header */
	char op_in[FUSE_URING_OP_IN_OUT_SZ];	/* the opcode's first argument */
	struct fuse_uring_ent_in_out ring_ent_in_out;
};

enum fuse_uring_cmd {
	FUSE_IO_URING_CMD_INVALID = 0,
	FUSE_IO_URING_CMD_REGISTER = 1,
	FUSE_IO_URING_CMD_COMMIT_AND_FETCH = 2,
};

/* In the SQE's 80-byte command area. */
struct fuse_uring_cmd_req {
	uint64_t flags;
	uint64_t commit_id;
	uint16_t qid;
	uint8_t padding[6];
};
#endif

#endif
