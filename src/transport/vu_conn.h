/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vhost-user socket: listening, accepting the front end, and moving
 * whole messages (header, payload, SCM_RIGHTS fds) in and out. Every message
 * is checked against what its request type may carry before anyone looks at
 * the payload; a message that lies about its size is a protocol error and
 * ends the connection.
 */
#ifndef VFSD_TRANSPORT_VU_CONN_H
#define VFSD_TRANSPORT_VU_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "transport/vu_proto.h"

/* Most fds one message may carry (SET_MEM_TABLE: one per region). */
#define VU_MAX_FDS VHOST_USER_MAX_RAM_SLOTS

struct vu_msg {
	struct vu_msg_hdr hdr;
	union {
		uint64_t u64;
		struct vu_vring_state state;
		struct vu_vring_addr addr;
		struct vu_mem_table mem;
		struct vu_config config;
		struct vu_log_desc log;
		struct vu_device_state devstate;
		uint8_t raw[VHOST_USER_MAX_PAYLOAD];
	} payload;
	/* Received fds; a handler that keeps one sets its slot to -1. */
	int fds[VU_MAX_FDS];
	unsigned int nfds;
};

/** See virtio_fs_listen() in virtio_fs.h. */
int vu_listen(const char *path, const char *group);

/** Accept one connection (close-on-exec); returns the fd or -errno. */
int vu_accept(int listen_fd);

/**
 * Receive one message into *msg. Returns 1 on success, 0 when the peer has
 * gone or sent something malformed (logged; treat as a disconnect), and
 * never leaves an fd open that the message was not allowed to carry.
 */
int vu_recv(int fd, struct vu_msg *msg);

/** Send a reply: hdr plus hdr.size payload bytes. Returns 0 or -errno. */
int vu_send(int fd, const struct vu_msg *msg);

/**
 * Check a received message (header, payload, fd count) against what its
 * request type may carry (pure; no I/O). Requests this table does not know
 * pass: the device layer refuses them. Returns 0 or -EPROTO/-EMSGSIZE with
 * a short reason in *why.
 */
int vu_msg_check(const struct vu_msg *msg, const char **why);

/** Close every fd still held by msg. */
void vu_msg_close_fds(struct vu_msg *msg);

/** Human-readable request name for logs. */
const char *vu_request_name(uint32_t request);

#endif
