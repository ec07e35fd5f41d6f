/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "transport/vu_conn.h"

#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/compiler.h"
#include "util/log.h"

enum vu_size_rule {
	SZ_ANY = 0,	/* not ours to judge: request unknown to this table */
	SZ_EXACT,	/* exactly .size bytes */
	SZ_MEM_TABLE,	/* nregions header plus nregions regions */
	SZ_CONFIG,	/* offset, size, flags, then size bytes (<= 256) */
};

enum vu_fd_rule {
	FD_NONE = 0,	/* no fds */
	FD_VRING,	/* one fd unless the payload's NOFD bit is set */
	FD_MEM_TABLE,	/* one per region */
	FD_ONE,		/* exactly one */
};

struct vu_msg_rule {
	const char *name;
	enum vu_size_rule size_rule;
	uint16_t size;
	enum vu_fd_rule fd_rule;
};

#define RULE(req, rule, sz, fds) \
	[VHOST_USER_##req] = { #req, rule, sz, fds }

/* What each request the daemon acts on must look like on the wire. */
static const struct vu_msg_rule vu_rules[VHOST_USER_MAX] = {
	RULE(GET_FEATURES, SZ_EXACT, 0, FD_NONE),
	RULE(SET_FEATURES, SZ_EXACT, 8, FD_NONE),
	RULE(SET_OWNER, SZ_EXACT, 0, FD_NONE),
	RULE(RESET_OWNER, SZ_EXACT, 0, FD_NONE),
	RULE(SET_MEM_TABLE, SZ_MEM_TABLE, 0, FD_MEM_TABLE),
	RULE(SET_VRING_NUM, SZ_EXACT, 8, FD_NONE),
	RULE(SET_VRING_ADDR, SZ_EXACT, 40, FD_NONE),
	RULE(SET_VRING_BASE, SZ_EXACT, 8, FD_NONE),
	RULE(GET_VRING_BASE, SZ_EXACT, 8, FD_NONE),
	RULE(SET_VRING_KICK, SZ_EXACT, 8, FD_VRING),
	RULE(SET_VRING_CALL, SZ_EXACT, 8, FD_VRING),
	RULE(SET_VRING_ERR, SZ_EXACT, 8, FD_VRING),
	RULE(GET_PROTOCOL_FEATURES, SZ_EXACT, 0, FD_NONE),
	RULE(SET_PROTOCOL_FEATURES, SZ_EXACT, 8, FD_NONE),
	RULE(GET_QUEUE_NUM, SZ_EXACT, 0, FD_NONE),
	RULE(SET_VRING_ENABLE, SZ_EXACT, 8, FD_NONE),
	RULE(GET_CONFIG, SZ_CONFIG, 0, FD_NONE),
	RULE(SET_CONFIG, SZ_CONFIG, 0, FD_NONE),
	RULE(SET_LOG_BASE, SZ_EXACT, 16, FD_ONE),
	RULE(SET_LOG_FD, SZ_EXACT, 0, FD_ONE),
	RULE(SET_DEVICE_STATE_FD, SZ_EXACT, 8, FD_ONE),
	RULE(CHECK_DEVICE_STATE, SZ_EXACT, 0, FD_NONE),
};

_Static_assert(sizeof(struct vu_vring_addr) == 40, "vring addr size");
_Static_assert(sizeof(struct vu_vring_state) == 8, "vring state size");

const char *vu_request_name(uint32_t request)
{
	if (request < VHOST_USER_MAX && vu_rules[request].name)
		return vu_rules[request].name;
	return "unhandled request";
}

static int vu_check_size(const struct vu_msg_rule *r, const struct vu_msg *msg,
			 const char **why)
{
	size_t want;

	switch (r->size_rule) {
	case SZ_EXACT:
		if (msg->hdr.size != r->size) {
			*why = "payload size does not match the request";
			return -EPROTO;
		}
		return 0;
	case SZ_MEM_TABLE:
		if (msg->hdr.size < offsetof(struct vu_mem_table, regions)) {
			*why = "memory table too short";
			return -EPROTO;
		}
		if (msg->payload.mem.nregions == 0 ||
		    msg->payload.mem.nregions > VHOST_USER_MAX_RAM_SLOTS) {
			*why = "memory table region count out of range";
			return -EPROTO;
		}
		want = offsetof(struct vu_mem_table, regions) +
		       msg->payload.mem.nregions *
			       sizeof(struct vu_mem_region);
		if (msg->hdr.size != want) {
			*why = "memory table size does not match its count";
			return -EPROTO;
		}
		return 0;
	case SZ_CONFIG:
		/* The window's size is the front end's word: check it here. */
		if (msg->hdr.size < VHOST_USER_CONFIG_HDR_SIZE ||
		    msg->payload.config.size > VHOST_USER_MAX_CONFIG_SIZE ||
		    msg->hdr.size != VHOST_USER_CONFIG_HDR_SIZE +
					     msg->payload.config.size) {
			*why = "config window size does not match the payload";
			return -EPROTO;
		}
		return 0;
	case SZ_ANY:
		return 0;
	}
	return 0;
}

static int vu_check_fds(const struct vu_msg_rule *r, const struct vu_msg *msg,
			const char **why)
{
	unsigned int want = 0;

	switch (r->fd_rule) {
	case FD_NONE:
		want = 0;
		break;
	case FD_VRING:
		want = (msg->payload.u64 & VHOST_USER_VRING_NOFD_MASK) ? 0 : 1;
		break;
	case FD_MEM_TABLE:
		want = msg->payload.mem.nregions;
		break;
	case FD_ONE:
		want = 1;
		break;
	}
	if (msg->nfds != want) {
		*why = "wrong number of fds for the request";
		return -EPROTO;
	}
	return 0;
}

int vu_msg_check(const struct vu_msg *msg, const char **why)
{
	const struct vu_msg_rule *r;
	int ret;

	*why = NULL;
	if ((msg->hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION) {
		*why = "unsupported protocol version";
		return -EPROTO;
	}
	if (msg->hdr.flags & VHOST_USER_REPLY_MASK) {
		*why = "reply flag set on a request";
		return -EPROTO;
	}
	if (msg->hdr.size > VHOST_USER_MAX_PAYLOAD) {
		*why = "payload too large";
		return -EMSGSIZE;
	}
	if (msg->nfds > VU_MAX_FDS) {
		*why = "too many fds";
		return -EPROTO;
	}
	if (msg->hdr.request >= VHOST_USER_MAX ||
	    vu_rules[msg->hdr.request].name == NULL)
		return 0;
	r = &vu_rules[msg->hdr.request];
	ret = vu_check_size(r, msg, why);
	if (ret == 0)
		ret = vu_check_fds(r, msg, why);
	return ret;
}

void vu_msg_close_fds(struct vu_msg *msg)
{
	for (unsigned int i = 0; i < msg->nfds && i < VU_MAX_FDS; i++) {
		if (msg->fds[i] >= 0 && close(msg->fds[i]) < 0)
			log_warn("vhost-user: close: %s", strerror(errno));
		msg->fds[i] = -1;
	}
	msg->nfds = 0;
}

/* Unlink path only if it is a socket left over from an earlier run. */
static int vu_remove_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("%s exists and is not a socket", path);
		return -EEXIST;
	}
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

static int vu_lookup_group(const char *group, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];
	char *end;
	unsigned long n;
	int ret;

	ret = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
	if (ret == 0 && res != NULL) {
		*gid = res->gr_gid;
		return 0;
	}
	errno = 0;
	n = strtoul(group, &end, 10);
	if (errno == 0 && *group != '\0' && *end == '\0' &&
	    n < (unsigned long)(gid_t)-1) {
		*gid = (gid_t)n;
		return 0;
	}
	log_err("unknown socket group %s", group);
	return -EINVAL;
}

static int vu_set_perms(const char *path, const char *group)
{
	gid_t gid;
	int ret;

	if (group == NULL) {
		if (chmod(path, 0600) < 0)
			return -errno;
		return 0;
	}
	ret = vu_lookup_group(group, &gid);
	if (ret < 0)
		return ret;
	if (chown(path, (uid_t)-1, gid) < 0 || chmod(path, 0660) < 0)
		return -errno;
	return 0;
}

int vu_listen(const char *path, const char *group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old_umask;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ret = vu_remove_stale(path);
	if (ret < 0) {
		log_err("cannot remove stale socket %s: %s", path,
			strerror(-ret));
		return ret;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		log_err("socket: %s", strerror(errno));
		return ret;
	}
	/* No window in which the socket exists with looser permissions. */
	old_umask = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (ret < 0) {
		ret = -errno;
		log_err("bind %s: %s", path, strerror(errno));
		goto fail;
	}
	ret = vu_set_perms(path, group);
	if (ret < 0) {
		log_err("socket permissions on %s: %s", path, strerror(-ret));
		goto fail_unlink;
	}
	if (listen(fd, 1) < 0) {
		ret = -errno;
		log_err("listen %s: %s", path, strerror(errno));
		goto fail_unlink;
	}
	return fd;

fail_unlink:
	if (unlink(path) < 0)
		log_warn("unlink %s: %s", path, strerror(errno));
fail:
	if (close(fd) < 0)
		log_warn("close: %s", strerror(errno));
	return ret;
}

int vu_accept(int listen_fd)
{
	int fd;

	do {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		log_err("accept: %s", strerror(errno));
		return -errno;
	}
	return fd;
}

/* Take the fds of every SCM_RIGHTS message; more than fit is an error. */
static int vu_take_fds(struct msghdr *mh, struct vu_msg *msg)
{
	bool bad = (mh->msg_flags & MSG_CTRUNC) != 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (msg->nfds < VU_MAX_FDS) {
				msg->fds[msg->nfds++] = fd;
			} else {
				bad = true;
				if (close(fd) < 0)
					log_warn("close: %s", strerror(errno));
			}
		}
	}
	return bad ? -EPROTO : 0;
}

/* Read exactly len bytes; 0 = done, -EPIPE = peer gone, -EPROTO = fds. */
static int vu_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct iovec iov = { (char *)buf + got, len - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		/* Fds sent with later bytes were dropped by the kernel. */
		if (mh.msg_flags & MSG_CTRUNC)
			return -EPROTO;
		got += (size_t)n;
	}
	return 0;
}

static int vu_recv_hdr(int fd, struct vu_msg *msg)
{
	union {
		char buf[CMSG_SPACE(VU_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { &msg->hdr, sizeof(msg->hdr) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;
	int ret;

	do {
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	ret = vu_take_fds(&mh, msg);
	if (ret < 0)
		return ret;
	if ((size_t)n < sizeof(msg->hdr))
		return vu_read_full(fd, (char *)&msg->hdr + n,
				    sizeof(msg->hdr) - (size_t)n);
	return 0;
}

int vu_recv(int fd, struct vu_msg *msg)
{
	const char *why = NULL;
	int ret;

	memset(&msg->hdr, 0, sizeof(msg->hdr));
	msg->nfds = 0;
	for (unsigned int i = 0; i < VU_MAX_FDS; i++)
		msg->fds[i] = -1;

	ret = vu_recv_hdr(fd, msg);
	if (ret == -EPIPE && msg->nfds == 0) {
		log_info("vhost-user front end disconnected");
		return 0;
	}
	if (ret == 0 && msg->hdr.size > VHOST_USER_MAX_PAYLOAD)
		ret = -EMSGSIZE;
	if (ret == 0 && msg->hdr.size > 0)
		ret = vu_read_full(fd, &msg->payload, msg->hdr.size);
	if (ret == 0)
		ret = vu_msg_check(msg, &why);
	if (ret < 0) {
		log_err("vhost-user: bad %s message (%u bytes, %u fds): %s",
			vu_request_name(msg->hdr.request), msg->hdr.size,
			msg->nfds, why ? why : strerror(-ret));
		vu_msg_close_fds(msg);
		return 0;
	}
	return 1;
}

int vu_send(int fd, const struct vu_msg *msg)
{
	struct iovec iov[2] = {
		{ (void *)&msg->hdr, sizeof(msg->hdr) },
		{ (void *)&msg->payload, msg->hdr.size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	size_t total = sizeof(msg->hdr) + msg->hdr.size;
	ssize_t n;

	if (msg->hdr.size > sizeof(msg->payload))
		return -EINVAL;
	do {
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* A reply is at most a few dozen bytes: a short write means trouble. */
	if ((size_t)n != total)
		return -EIO;
	return 0;
}
