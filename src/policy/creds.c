/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy/creds.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

/*
 * What the calling thread runs with. Thread-local: nothing to lock. valid is
 * false until the thread's first switch, and again after a switch failed
 * part way, so that the next call starts from a known state.
 */
struct thread_creds {
	bool groups_dropped;
	bool valid;
	uint32_t euid;
	uint32_t egid;
	creds_caps_t borrowed;	/* raised by creds_borrow(), to lower */
	bool no_borrow;		/* the request's caller may borrow nothing */
};

static __thread struct thread_creds cur;

/*
 * The daemon's own ids, which "root" means for a request: 0, unless vfsd
 * runs without root and without a namespace root of its own (rootless
 * --sandbox=none, or a user namespace that maps only the caller's id).
 * Then a guest root's requests run as the daemon's user, and only the
 * ids the kernel lets that user take can be switched to. Set once before
 * any request thread starts.
 */
static uint32_t self_uid, self_gid;
static bool keep_groups;
/* Fixed by creds_configure_caps() before any request thread starts. */
static creds_caps_t borrowable, held_back;

void creds_configure(uint32_t uid, uint32_t gid, bool drop_groups)
{
	self_uid = uid;
	self_gid = gid;
	keep_groups = !drop_groups;
}

void creds_configure_caps(creds_caps_t borrow, creds_caps_t hold)
{
	borrowable = borrow;
	held_back = hold;
}

/* The calling thread's capability sets (capget/capset with pid 0). */
struct thread_caps {
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct d[2];
};

static int caps_get(struct thread_caps *c)
{
	c->hdr.version = _LINUX_CAPABILITY_VERSION_3;
	c->hdr.pid = 0;
	return syscall(SYS_capget, &c->hdr, c->d) ? -errno : 0;
}

static creds_caps_t caps_effective(const struct thread_caps *c)
{
	return (creds_caps_t)c->d[0].effective |
	       (creds_caps_t)c->d[1].effective << 32;
}

/* Set the effective set, the others as they are; per thread. */
static int caps_set_effective(struct thread_caps *c, creds_caps_t eff)
{
	c->d[0].effective = (uint32_t)eff;
	c->d[1].effective = (uint32_t)(eff >> 32);
	c->hdr.version = _LINUX_CAPABILITY_VERSION_3;
	c->hdr.pid = 0;
	return syscall(SYS_capset, &c->hdr, c->d) ? -errno : 0;
}

/*
 * Returning to euid 0 makes the whole permitted set effective again
 * (capabilities(7), "Effect of user ID changes"): what is held back goes
 * out again at once.
 */
static int hold_back(void)
{
	struct thread_caps c;
	int err;

	if (!held_back)
		return 0;
	err = caps_get(&c);
	if (!err && (caps_effective(&c) & held_back))
		err = caps_set_effective(&c, caps_effective(&c) & ~held_back);
	return err;
}

/*
 * -1 for any id means "leave unchanged" to these syscalls: callers never pass
 * it, see creds_switch().
 */
static int raw_setresuid(uint32_t euid)
{
	if (syscall(SYS_setresuid, -1, (long)euid, -1))
		return -errno;
	return 0;
}

static int raw_setresgid(uint32_t egid)
{
	if (syscall(SYS_setresgid, -1, (long)egid, -1))
		return -errno;
	return 0;
}

/* Become the daemon again; on failure the thread's state is unknown. */
static int become_root(void)
{
	int err;

	/* uid first: changing the gid needs CAP_SETGID, i.e. euid 0. */
	if (!cur.valid || cur.euid != self_uid) {
		err = raw_setresuid(self_uid);
		if (!err)
			err = hold_back();
		if (err)
			goto broken;
		cur.euid = self_uid;
	}
	if (!cur.valid || cur.egid != self_gid) {
		err = raw_setresgid(self_gid);
		if (err)
			goto broken;
		cur.egid = self_gid;
	}
	cur.valid = true;
	return 0;
broken:
	cur.valid = false;
	log_err("cannot return to root credentials: %d", err);
	return -EIO;
}

static int drop_groups_once(void)
{
	/* Without root they are the user's own, and cannot be dropped. */
	if (cur.groups_dropped || keep_groups) {
		cur.groups_dropped = true;
		return 0;
	}
	if (syscall(SYS_setgroups, 0, NULL)) {
		log_err("setgroups(0) on worker thread: %d", errno);
		return -EPERM;
	}
	cur.groups_dropped = true;
	return 0;
}

int creds_switch(uint32_t uid, uint32_t gid)
{
	int err;

	/* (uint32_t)-1 would mean "unchanged" and leave the thread root. */
	if (uid == CREDS_INVALID_ID || gid == CREDS_INVALID_ID)
		return -EPERM;
	if (uid == 0)
		uid = self_uid;
	if (gid == 0)
		gid = self_gid;
	if (cur.valid && cur.groups_dropped && cur.euid == uid &&
	    cur.egid == gid)
		return 0;

	err = become_root();
	if (err)
		return err;
	err = drop_groups_once();
	if (err)
		return err;
	/* gid while still root, then uid: the other way needs CAP_SETGID. */
	if (gid != self_gid) {
		err = raw_setresgid(gid);
		if (err) {
			cur.valid = false;
			/* Best effort back to a known state; the error stands. */
			become_root();
			return -EPERM;
		}
		cur.egid = gid;
	}
	if (uid != self_uid) {
		err = raw_setresuid(uid);
		if (err) {
			cur.valid = false;
			become_root();
			return -EPERM;
		}
		cur.euid = uid;
	}
	return 0;
}

int creds_reset(void)
{
	if (cur.valid && cur.euid == self_uid && cur.egid == self_gid)
		return 0;
	return become_root();
}

bool creds_current(uint32_t *uid, uint32_t *gid)
{
	if (!cur.valid)
		return false;
	*uid = cur.euid;
	*gid = cur.egid;
	return true;
}

/* Raise caps in the effective set until creds_return(); false if none. */
static bool raise_effective(creds_caps_t caps)
{
	struct thread_caps c;
	creds_caps_t raise;

	if (!caps || caps_get(&c))
		return false;
	raise = caps & ~caps_effective(&c);
	if (!raise || caps_set_effective(&c, caps_effective(&c) | raise))
		return false;
	cur.borrowed |= raise;
	return true;
}

bool creds_borrow(creds_caps_t caps)
{
	return !cur.no_borrow && raise_effective(caps & borrowable);
}

bool creds_raise_held(void)
{
	return raise_effective(held_back);
}

void creds_return(void)
{
	struct thread_caps c;
	int err;

	if (!cur.borrowed)
		return;
	err = caps_get(&c);
	if (!err)
		err = caps_set_effective(&c, caps_effective(&c) & ~cur.borrowed);
	if (err) {
		/*
		 * Never seen; but the next request must not inherit them:
		 * its switch starts from scratch, and a switch to a user
		 * clears the effective set.
		 */
		log_err("cannot lower borrowed capabilities: %d", err);
		cur.valid = false;
	}
	cur.borrowed = 0;
}

int creds_request_begin(uint32_t uid, uint32_t gid, bool may_borrow)
{
	cur.no_borrow = !may_borrow;
	return creds_switch(uid, gid);
}

void creds_request_done(void)
{
	creds_return();
	cur.no_borrow = false;
}

int creds_daemon_begin(struct creds_saved *s)
{
	s->uid = s->gid = 0;
	s->switched = false;
	/* A thread in an unknown state is made the daemon, as is its due. */
	if (!creds_current(&s->uid, &s->gid))
		return cur.groups_dropped ? become_root() : 0;
	s->switched = s->uid != self_uid || s->gid != self_gid;
	return s->switched ? become_root() : 0;
}

int creds_daemon_end(const struct creds_saved *s)
{
	/* The request goes on as the guest's user, never as the daemon. */
	if (s->switched && creds_switch(s->uid, s->gid))
		return -EIO;
	return 0;
}
