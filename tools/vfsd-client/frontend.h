/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal vhost-user front end: it plays QEMU's part towards a
 * vhost-user-fs back end. "Guest RAM" is a memfd shared with the back end;
 * guest physical addresses are offsets into it, region by region.
 */
#ifndef VFSD_CLIENT_FRONTEND_H
#define VFSD_CLIENT_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/virtio_ring.h>

#include "transport/vu_proto.h"

#define VC_MAX_QUEUES 9 /* hiprio + up to 8 request queues */
#define VC_MAX_REGIONS 2

struct vc_vq {
	unsigned int index;
	unsigned int num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	int kick_fd, call_fd;
	uint16_t avail_idx; /* our shadow of avail->idx */
	uint16_t last_used; /* next used entry to consume */
	uint16_t base; /* SET_VRING_BASE value at the next start */
	bool event_idx;
	bool no_kick; /* publish without kicking: a driver that lost one */
};

/* How guest RAM is presented in SET_MEM_TABLE. */
struct vc_mem_layout {
	unsigned int nregions; /* 1 or 2 */
	uint64_t hole; /* gap in guest physical space before region 2 */
};

struct vc_region {
	uint64_t gpa, size, offset;
};

struct vc_dev {
	int sock;
	pid_t pid; /* back end pid (spawned, or from SO_PEERCRED) */
	bool spawned;
	int exit_status; /* waitpid() status once reaped, else -1 */
	uint64_t backend_features;
	uint64_t features;
	uint64_t backend_protocol_features;
	uint64_t protocol_features;
	uint64_t queue_num; /* GET_QUEUE_NUM answer */
	int mem_fd;
	uint8_t *mem;
	size_t mem_size;
	size_t mem_brk;
	unsigned int nregions;
	struct vc_region regions[VC_MAX_REGIONS];
	unsigned int nvqs;
	struct vc_vq vqs[VC_MAX_QUEUES];
	int timeout_ms; /* for replies on the socket */
	const char *log_path; /* back end's stderr, else $VFSD_CLIENT_BACKEND_LOG */
	bool kick_before_call; /* ring start order (default: CALL first) */
	/* Migration (frontend_mig.c): the dirty log, and RAM of another. */
	int log_fd;
	uint8_t *log;
	size_t log_size;
	bool mem_shared; /* mem is the source's mapping: not ours to unmap */
};

struct vc_opts {
	size_t mem_size;
	unsigned int nvqs; /* hiprio + request queues */
	unsigned int queue_size;
	bool event_idx;
	bool indirect;
	struct vc_mem_layout layout;
};

/* Process and connection. */
/*
 * Start a back end and connect to sock_path. With listen_fd >= 0 (from
 * vc_listen_inherit) the back end inherits that listener, as libvirt's
 * --fd=N, and our copy is closed.
 */
int vc_spawn(struct vc_dev *dev, char *const argv[], const char *sock_path,
	     int wait_ms, int listen_fd);
/* A listening socket at sock_path a back end can inherit; fd or -errno. */
int vc_listen_inherit(const char *sock_path);
int vc_connect(struct vc_dev *dev, const char *sock_path, int wait_ms);
void vc_init(struct vc_dev *dev);
void vc_disconnect(struct vc_dev *dev);
int vc_wait_exit(struct vc_dev *dev, int timeout_ms);
void vc_kill(struct vc_dev *dev);
bool vc_alive(struct vc_dev *dev);

/* Messages. */
int vc_send(struct vc_dev *dev, uint32_t req, uint32_t flags,
	    const void *payload, uint32_t size, const int *fds, int nfds);
int vc_send_raw(struct vc_dev *dev, const void *buf, size_t len,
		const int *fds, int nfds);
int vc_recv(struct vc_dev *dev, uint32_t req, void *payload, uint32_t size);
int vc_get_u64(struct vc_dev *dev, uint32_t req, uint64_t *val);
int vc_set_u64(struct vc_dev *dev, uint32_t req, uint64_t val);
int vc_set_state(struct vc_dev *dev, uint32_t req, unsigned int idx,
		 unsigned int num);
int vc_wait_ack(struct vc_dev *dev, uint32_t req, uint32_t flags);
/*
 * GET_CONFIG: size bytes of the config space at offset into out. 0,
 * -EREMOTEIO for the back end's error answer (an empty payload), or
 * another -errno.
 */
int vc_get_config(struct vc_dev *dev, uint32_t offset, uint32_t size,
		  void *out);

/* Set-up steps, in QEMU's order. */
int vc_negotiate(struct vc_dev *dev, const struct vc_opts *o);
int vc_mem_create(struct vc_dev *dev, const struct vc_opts *o);
int vc_send_mem_table(struct vc_dev *dev);
int vc_vq_alloc(struct vc_dev *dev, unsigned int idx, unsigned int num);
int vc_vq_start(struct vc_dev *dev, unsigned int idx);
int vc_vq_stop(struct vc_dev *dev, unsigned int idx, unsigned int *base);
int vc_vq_enable(struct vc_dev *dev, unsigned int idx, bool on);
/* SET_VRING_ADDR of a ring, with VHOST_VRING_F_LOG when log. */
int vc_vq_set_addr(struct vc_dev *dev, unsigned int idx, bool log);
int vc_setup(struct vc_dev *dev, const struct vc_opts *o);

/*
 * Migration (frontend_mig.c), QEMU's part. Save: SET_DEVICE_STATE_FD with
 * a pipe, read to EOF, CHECK_DEVICE_STATE; *out is malloc'ed. Load: the
 * same the other way. 0, -EREMOTEIO when the back end refuses (either
 * message), or another -errno.
 */
int vc_state_save(struct vc_dev *dev, uint8_t **out, size_t *len);
int vc_state_load(struct vc_dev *dev, const uint8_t *buf, size_t len);
int vc_check_state(struct vc_dev *dev);
/* Dirty page logging on or off: SET_LOG_BASE, LOG_ALL, VHOST_VRING_F_LOG. */
int vc_set_log(struct vc_dev *dev, bool on);
bool vc_log_dirty(const struct vc_dev *dev, uint64_t gpa);
void vc_log_clear(struct vc_dev *dev);
/*
 * dst: a destination's device over src's guest RAM and rings, as they
 * are (no socket yet: vc_spawn() or vc_connect() it, then negotiate).
 */
int vc_clone_guest(struct vc_dev *dst, const struct vc_dev *src);

/* Guest RAM. */
uint64_t vc_alloc(struct vc_dev *dev, size_t size, size_t align);
void *vc_ptr(struct vc_dev *dev, uint64_t gpa);

/* Rings. */
void vc_vq_publish(struct vc_vq *vq, uint16_t head);
void vc_vq_kick(struct vc_vq *vq);
bool vc_vq_get_used(struct vc_vq *vq, uint32_t *id, uint32_t *len);
int vc_vq_wait(struct vc_vq *vq, int timeout_ms);
int vc_wait_any(struct vc_dev *dev, int timeout_ms);
/* vc_wait_any after looking at the used rings for up to poll_ns. */
int vc_wait_any_halt_poll(struct vc_dev *dev, uint64_t poll_ns,
			  int timeout_ms);

/* Back end process statistics (from /proc). */
struct vc_proc_stat {
	uint64_t cpu_ticks; /* utime + stime */
	uint64_t rss_kb;
	uint64_t rss_anon_kb; /* RssAnon: heap, stacks; not guest RAM */
	int nfds;
};
int vc_proc_stat(pid_t pid, struct vc_proc_stat *st);
int vc_proc_tree(pid_t pid, pid_t *tree, unsigned int max);
/* CPU time of every thread of the tree under pid (schedstat), ns. */
uint64_t vc_proc_cpu_ns(pid_t pid);
uint64_t vc_ticks_ns(uint64_t ticks);
uint64_t vc_now_ns(void);

#endif
