/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhost-user wire format (QEMU docs/interop/vhost-user.rst). There is no
 * system header for it, so this is the project's one copy, shared by the
 * daemon's transport and by tools/vfsd-client.
 *
 * All fields are little-endian on the wire; vfsd only runs on
 * little-endian hosts (checked at build time below).
 */
#ifndef VFSD_TRANSPORT_VU_PROTO_H
#define VFSD_TRANSPORT_VU_PROTO_H

#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vhost-user messages are little-endian; big-endian hosts are not supported"
#endif

enum vu_request {
	VHOST_USER_NONE = 0,
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_BACKEND_REQ_FD = 21,
	VHOST_USER_IOTLB_MSG = 22,
	VHOST_USER_SET_VRING_ENDIAN = 23,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_CREATE_CRYPTO_SESSION = 26,
	VHOST_USER_CLOSE_CRYPTO_SESSION = 27,
	VHOST_USER_POSTCOPY_ADVISE = 28,
	VHOST_USER_POSTCOPY_LISTEN = 29,
	VHOST_USER_POSTCOPY_END = 30,
	VHOST_USER_GET_INFLIGHT_FD = 31,
	VHOST_USER_SET_INFLIGHT_FD = 32,
	VHOST_USER_GPU_SET_SOCKET = 33,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_VRING_KICK = 35,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_ADD_MEM_REG = 37,
	VHOST_USER_REM_MEM_REG = 38,
	VHOST_USER_SET_STATUS = 39,
	VHOST_USER_GET_STATUS = 40,
	VHOST_USER_GET_SHARED_OBJECT = 41,
	VHOST_USER_SET_DEVICE_STATE_FD = 42,
	VHOST_USER_CHECK_DEVICE_STATE = 43,
	VHOST_USER_MAX,
};

/* Header flags. */
#define VHOST_USER_VERSION_MASK 0x3u
#define VHOST_USER_VERSION 0x1u
#define VHOST_USER_REPLY_MASK (1u << 2)
#define VHOST_USER_NEED_REPLY_MASK (1u << 3)

/* Virtio feature bit that says the protocol-feature messages exist. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30

enum vu_protocol_feature {
	VHOST_USER_PROTOCOL_F_MQ = 0,
	VHOST_USER_PROTOCOL_F_LOG_SHMFD = 1,
	VHOST_USER_PROTOCOL_F_RARP = 2,
	VHOST_USER_PROTOCOL_F_REPLY_ACK = 3,
	VHOST_USER_PROTOCOL_F_NET_MTU = 4,
	VHOST_USER_PROTOCOL_F_BACKEND_REQ = 5,
	VHOST_USER_PROTOCOL_F_CROSS_ENDIAN = 6,
	VHOST_USER_PROTOCOL_F_CRYPTO_SESSION = 7,
	VHOST_USER_PROTOCOL_F_PAGEFAULT = 8,
	VHOST_USER_PROTOCOL_F_CONFIG = 9,
	VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD = 10,
	VHOST_USER_PROTOCOL_F_HOST_NOTIFIER = 11,
	VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD = 12,
	VHOST_USER_PROTOCOL_F_RESET_DEVICE = 13,
	VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS = 14,
	VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS = 15,
	VHOST_USER_PROTOCOL_F_STATUS = 16,
	VHOST_USER_PROTOCOL_F_XEN_MMAP = 17,
	VHOST_USER_PROTOCOL_F_SHARED_OBJECT = 18,
	VHOST_USER_PROTOCOL_F_DEVICE_STATE = 19,
};

/*
 * Dirty page logging for live migration: the front end shares a bitmap
 * (SET_LOG_BASE, a memfd) with one bit per VHOST_LOG_PAGE of guest
 * physical memory, and the back end sets the bit of every page it writes
 * while VHOST_F_LOG_ALL is negotiated; used rings are logged at the
 * address SET_VRING_ADDR gives when it carries VHOST_VRING_F_LOG.
 */
#define VHOST_F_LOG_ALL 26
#define VHOST_VRING_F_LOG 0
#define VHOST_LOG_PAGE 4096u

/* Payload of SET_LOG_BASE. */
struct vu_log_desc {
	uint64_t mmap_size;
	uint64_t mmap_offset;
} __attribute__((packed));

/*
 * Payload of SET_DEVICE_STATE_FD (VHOST_USER_PROTOCOL_F_DEVICE_STATE): the
 * back end's state goes through the fd that comes with it, until EOF, in
 * the stopped phase of a migration. The reply is a u64: bits 0-7 zero on
 * success, bit 8 set when no fd of the back end's own comes back.
 */
struct vu_device_state {
	uint32_t direction;
	uint32_t phase;
} __attribute__((packed));

#define VHOST_USER_TRANSFER_STATE_SAVE 0u	/* back end -> front end */
#define VHOST_USER_TRANSFER_STATE_LOAD 1u	/* front end -> back end */
#define VHOST_USER_TRANSFER_STATE_PHASE_STOPPED 0u
#define VHOST_USER_DEVICE_STATE_NOFD (1ULL << 8)

/* At most this many regions (and fds) in one SET_MEM_TABLE. */
#define VHOST_USER_MAX_RAM_SLOTS 8

struct vu_msg_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* bytes of payload that follow */
} __attribute__((packed));

struct vu_vring_state {
	uint32_t index;
	uint32_t num;
} __attribute__((packed));

/* Addresses are in the front end's (QEMU's) virtual address space. */
struct vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
} __attribute__((packed));

struct vu_mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
} __attribute__((packed));

struct vu_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vu_mem_region regions[VHOST_USER_MAX_RAM_SLOTS];
} __attribute__((packed));

/*
 * Payload of GET_CONFIG/SET_CONFIG: a window of the device's config space
 * (struct virtio_fs_config for virtio-fs). The region is size bytes long;
 * a back end answers an error with an empty payload.
 */
#define VHOST_USER_CONFIG_HDR_SIZE 12u
#define VHOST_USER_MAX_CONFIG_SIZE 256u

struct vu_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t region[VHOST_USER_MAX_CONFIG_SIZE];
} __attribute__((packed));

/* Payload of SET_VRING_KICK/CALL/ERR: the index, plus a "no fd" flag. */
#define VHOST_USER_VRING_IDX_MASK 0xffULL
#define VHOST_USER_VRING_NOFD_MASK (1ULL << 8)

/* The largest payload any message we accept may carry. */
#define VHOST_USER_MAX_PAYLOAD 4096u

#endif
