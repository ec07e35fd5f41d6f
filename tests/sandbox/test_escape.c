/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Escape attempts against the daemon itself: raw FUSE requests, as a
 * hostile guest can send them, go through the real session and the
 * passthrough filesystem on a share that holds symlinks pointing out of it,
 * device nodes and fifos. Over a kernel FUSE mount these never reach the
 * daemon (the client kernel resolves symlinks and opens special files
 * itself), so they are sent here directly.
 *
 *   test_escape            the filesystem as pt_new() leaves it
 *   test_escape confined   the same after the daemon's own confinement:
 *                          namespaces + pivot_root, capabilities, seccomp
 *                          kill (so the allowlist is exercised too)
 *
 * Needs root (mknod, chown, namespaces); skips otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <time.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/passthrough.h"
#include "fuse/session.h"
#include "policy/caps.h"
#include "policy/creds.h"
#include "policy/mounts.h"
#include "policy/sandbox.h"
#include "policy/seccomp.h"

#define ROOT_ID 1
#define GUEST_UID 1000
#define GUEST_GID 1000
#define OTHER_GID 2000

static char top[64];		/* <top>/share and <top>/outside */
static char share[96];
static int outside_fd = -1;	/* opened before any confinement */
static struct stat secret_st;	/* outside/secret as created */
static struct stat share_st;

static struct pt_fs *fs;
static struct fuse_session *session;
static uint64_t unique;

/* --- requests ------------------------------------------------------------ */

struct reply {
	int error;		/* positive errno, 0 on success */
	union {
		struct fuse_entry_out entry;
		struct fuse_open_out open;
		struct {	/* CREATE: the entry, then the open */
			struct fuse_entry_out entry;
			struct fuse_open_out open;
		} create;
		struct fuse_attr_out attr;
		char data[4096];
	} u;
	size_t len;		/* payload bytes after the header */
};

/*
 * One request of opcode on nodeid, as a guest caller uid/gid: arg, then
 * each NUL-terminated string of names (a NULL ends the list).
 */
static void send_req(uint32_t opcode, uint64_t nodeid, uint32_t uid,
		     uint32_t gid, const void *arg, size_t arglen,
		     struct reply *r, ...)
{
	char in[8192], out[8192];
	struct fuse_in_header h = {
		.opcode = opcode,
		.unique = ++unique,
		.nodeid = nodeid,
		.uid = uid,
		.gid = gid,
		.pid = 42,
	};
	struct fuse_out_header oh;
	size_t len = sizeof(h);
	const char *name;
	va_list ap;

	assert_true(arglen <= sizeof(in) - len);
	if (arglen) {
		memcpy(in + len, arg, arglen);
		len += arglen;
	}
	va_start(ap, r);
	while ((name = va_arg(ap, const char *))) {
		size_t n = strlen(name) + 1;

		assert_true(n <= sizeof(in) - len);
		memcpy(in + len, name, n);
		len += n;
	}
	va_end(ap);
	h.len = (uint32_t)len;
	memcpy(in, &h, sizeof(h));

	struct iovec iin = { in, len }, iout = { out, sizeof(out) };
	struct fuse_req req = { .in = &iin, .in_cnt = 1, .out = &iout,
				.out_cnt = 1, .queue = 1 };

	fuse_session_process(session, &req);
	memset(r, 0, sizeof(*r));
	assert_true(req.reply_len >= sizeof(oh));
	memcpy(&oh, out, sizeof(oh));
	assert_int_equal(oh.unique, h.unique);
	r->error = -oh.error;
	r->len = req.reply_len - sizeof(oh);
	assert_true(r->len <= sizeof(r->u));
	memcpy(&r->u, out + sizeof(oh), r->len);
}

#define ROOT_REQ(op, node, arg, len, r, ...) \
	send_req(op, node, 0, 0, arg, len, r, __VA_ARGS__, (const char *)NULL)

static int lookup(uint64_t parent, const char *name, struct fuse_entry_out *e)
{
	struct reply r;

	ROOT_REQ(FUSE_LOOKUP, parent, NULL, 0, &r, name);
	if (!r.error && e)
		*e = r.u.entry;
	return r.error;
}

static int open_node(uint64_t nodeid, uint32_t flags)
{
	struct fuse_open_in in = { .flags = flags };
	struct reply r;

	ROOT_REQ(FUSE_OPEN, nodeid, &in, sizeof(in), &r, NULL);
	return r.error;
}

/* The refusals the daemon may give for opening a special file. */
static void assert_open_refused(int err)
{
	if (err != ENXIO && err != EPERM && err != EACCES && err != ELOOP)
		fail_msg("open of a special file answered %d (%s)", err,
			 strerror(err));
}

static void assert_secret_untouched(void)
{
	struct stat st;
	char buf[16] = "";
	int fd;

	assert_int_equal(fstatat(outside_fd, "secret", &st,
				 AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_ino, secret_st.st_ino);
	assert_int_equal(st.st_mode, secret_st.st_mode);
	assert_int_equal(st.st_uid, secret_st.st_uid);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_size, 7);
	fd = openat(outside_fd, "secret", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 7);
	close(fd);
	assert_memory_equal(buf, "SECRET\n", 7);
}

/* --- the attempts ------------------------------------------------------ */

/* A symlink to an absolute directory outside is a leaf, never a directory. */
static void test_symlink_absolute_not_followed(void **state)
{
	struct fuse_entry_out e;

	(void)state;
	assert_int_equal(lookup(ROOT_ID, "esc_abs", &e), 0);
	assert_true(S_ISLNK(e.attr.mode));
	assert_int_equal(lookup(e.nodeid, "secret", NULL), ENOTDIR);
}

static void test_symlink_relative_not_followed(void **state)
{
	struct fuse_entry_out e;

	(void)state;
	assert_int_equal(lookup(ROOT_ID, "esc_rel", &e), 0);
	assert_true(S_ISLNK(e.attr.mode));
	assert_int_equal(lookup(e.nodeid, "secret", NULL), ENOTDIR);
}

/* READLINK hands back the text; the daemon resolves nothing. */
static void test_readlink_is_text_only(void **state)
{
	struct fuse_entry_out e;
	struct reply r;
	char want[128];

	(void)state;
	snprintf(want, sizeof(want), "%s/outside", top);
	assert_int_equal(lookup(ROOT_ID, "esc_abs", &e), 0);
	ROOT_REQ(FUSE_READLINK, e.nodeid, NULL, 0, &r, NULL);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.len, strlen(want));
	assert_memory_equal(r.u.data, want, r.len);
}

/* ".." of the root, and names that are paths, never leave the share. */
static void test_dotdot_at_root(void **state)
{
	struct fuse_entry_out e;
	int err;

	(void)state;
	err = lookup(ROOT_ID, "..", &e);
	if (!err)
		assert_int_equal(e.attr.ino, share_st.st_ino);
	assert_int_not_equal(lookup(ROOT_ID, "../outside", NULL), 0);
	assert_int_not_equal(lookup(ROOT_ID, "esc_abs/secret", NULL), 0);
	assert_int_not_equal(lookup(ROOT_ID, "/etc", NULL), 0);
	/* "." may be answered, but only with the root itself. */
	err = lookup(ROOT_ID, ".", &e);
	if (!err)
		assert_int_equal(e.attr.ino, share_st.st_ino);
}

/* OPEN of a symlink would be an open of its target: refused. */
static void test_open_symlink_refused(void **state)
{
	struct fuse_entry_out e;
	int err;

	(void)state;
	assert_int_equal(lookup(ROOT_ID, "to_secret", &e), 0);
	err = open_node(e.nodeid, O_RDWR);
	assert_int_not_equal(err, 0);
	err = open_node(e.nodeid, O_RDONLY | O_TRUNC);
	assert_int_not_equal(err, 0);
	assert_secret_untouched();
}

/* SETATTR on a symlink changes the link at most, never the target. */
static void test_setattr_symlink_keeps_target(void **state)
{
	struct fuse_setattr_in in = { 0 };
	struct fuse_entry_out e;
	struct reply r;

	(void)state;
	assert_int_equal(lookup(ROOT_ID, "to_secret", &e), 0);
	in.valid = FATTR_MODE;
	in.mode = S_IFREG | 0666;
	ROOT_REQ(FUSE_SETATTR, e.nodeid, &in, sizeof(in), &r, NULL);
	in.valid = FATTR_SIZE;
	in.size = 0;
	ROOT_REQ(FUSE_SETATTR, e.nodeid, &in, sizeof(in), &r, NULL);
	in.valid = FATTR_UID | FATTR_GID;
	in.uid = GUEST_UID;
	in.gid = GUEST_GID;
	ROOT_REQ(FUSE_SETATTR, e.nodeid, &in, sizeof(in), &r, NULL);
	assert_secret_untouched();
}

/* CREATE on a dangling symlink must not create its target outside. */
static void test_create_through_dangling_symlink(void **state)
{
	struct fuse_create_in in = { .flags = O_CREAT | O_WRONLY,
				     .mode = S_IFREG | 0644 };
	struct reply r;
	struct stat st;

	(void)state;
	ROOT_REQ(FUSE_CREATE, ROOT_ID, &in, sizeof(in), &r, "dangle");
	assert_int_not_equal(r.error, 0);
	assert_int_equal(fstatat(outside_fd, "created", &st,
				 AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(errno, ENOENT);
}

/* LINK of a symlink links the symlink, not the file it names. */
static void test_hard_link_of_symlink(void **state)
{
	struct fuse_link_in in = { 0 };
	struct fuse_entry_out e;
	struct reply r;

	(void)state;
	assert_int_equal(lookup(ROOT_ID, "to_secret", &e), 0);
	in.oldnodeid = e.nodeid;
	ROOT_REQ(FUSE_LINK, ROOT_ID, &in, sizeof(in), &r, "hl");
	if (!r.error)
		assert_true(S_ISLNK(r.u.entry.attr.mode));
	assert_secret_untouched();
}

/* RENAME and LINK towards a path: the new name is one name or nothing. */
static void test_rename_and_link_outward(void **state)
{
	struct fuse_rename_in rin = { .newdir = ROOT_ID };
	struct fuse_link_in lin = { 0 };
	struct fuse_create_in cin = { .flags = O_CREAT | O_WRONLY,
				      .mode = S_IFREG | 0644 };
	struct fuse_release_in rel = { 0 };
	struct reply r;
	struct stat st;

	(void)state;
	ROOT_REQ(FUSE_CREATE, ROOT_ID, &cin, sizeof(cin), &r, "mover");
	assert_int_equal(r.error, 0);
	lin.oldnodeid = r.u.create.entry.nodeid;
	rel.fh = r.u.create.open.fh;
	ROOT_REQ(FUSE_RELEASE, lin.oldnodeid, &rel, sizeof(rel), &r, NULL);

	ROOT_REQ(FUSE_RENAME, ROOT_ID, &rin, sizeof(rin), &r, "mover",
		 "../outside/moved");
	assert_int_not_equal(r.error, 0);
	ROOT_REQ(FUSE_LINK, ROOT_ID, &lin, sizeof(lin), &r,
		 "../outside/linked");
	assert_int_not_equal(r.error, 0);
	/* Through a symlink to a directory outside: not a directory. */
	assert_int_equal(lookup(ROOT_ID, "esc_abs", NULL), 0);
	assert_int_equal(fstatat(outside_fd, "moved", &st, 0), -1);
	assert_int_equal(fstatat(outside_fd, "linked", &st, 0), -1);
}

/* CVE-2020-35517: a device node made through the daemon cannot be opened. */
static void test_cve_2020_35517_device_node(void **state)
{
	struct fuse_mknod_in in = { .mode = S_IFCHR | 0666,
				    .rdev = (1u << 8) | 5 /* /dev/zero */ };
	struct reply r;

	(void)state;
	ROOT_REQ(FUSE_MKNOD, ROOT_ID, &in, sizeof(in), &r, "zero");
	if (r.error) {
		/* Refusing the node outright (--nodev) is as good. */
		assert_true(r.error == EPERM || r.error == EACCES);
		return;
	}
	assert_true(S_ISCHR(r.u.entry.attr.mode));
	assert_open_refused(open_node(r.u.entry.nodeid, O_RDWR));
	assert_open_refused(open_node(r.u.entry.nodeid, O_RDONLY));
}

/* The same for a device node the host left in the share. */
static void test_cve_2020_35517_host_device_node(void **state)
{
	struct fuse_entry_out e;

	(void)state;
	assert_int_equal(lookup(ROOT_ID, "null", &e), 0);
	assert_true(S_ISCHR(e.attr.mode));
	assert_open_refused(open_node(e.nodeid, O_RDWR));
}

/* A fifo would block a worker forever: refused at once. */
static void test_fifo_open_refused(void **state)
{
	struct fuse_mknod_in in = { .mode = S_IFIFO | 0666 };
	struct reply r;

	(void)state;
	ROOT_REQ(FUSE_MKNOD, ROOT_ID, &in, sizeof(in), &r, "pipe");
	assert_int_equal(r.error, 0);
	assert_true(S_ISFIFO(r.u.entry.attr.mode));
	assert_open_refused(open_node(r.u.entry.nodeid, O_RDONLY));
	assert_open_refused(open_node(r.u.entry.nodeid, O_WRONLY));
}

/*
 * Every other way to open a special file the host left in the share: a
 * fifo, a device node and a socket are refused by CREATE without O_EXCL
 * and by SETATTR(size) without a handle as well, at once (a fifo opened
 * for writing would block the worker until someone reads).
 */
static void test_special_files_never_opened(void **state)
{
	static const char *const names[] = { "hostfifo", "null", "hostsock" };
	struct fuse_create_in cin = { .flags = O_WRONLY, .mode = S_IFREG | 0644 };
	struct fuse_setattr_in sin = { .valid = FATTR_SIZE };
	struct fuse_entry_out e;
	struct reply r;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(lookup(ROOT_ID, names[i], &e), 0);
		assert_false(S_ISREG(e.attr.mode));
		assert_open_refused(open_node(e.nodeid, O_WRONLY));
		assert_open_refused(open_node(e.nodeid, O_RDWR));
		ROOT_REQ(FUSE_CREATE, ROOT_ID, &cin, sizeof(cin), &r, names[i]);
		assert_int_not_equal(r.error, 0);
		ROOT_REQ(FUSE_SETATTR, e.nodeid, &sin, sizeof(sin), &r, NULL);
		assert_int_not_equal(r.error, 0);
	}
}

/*
 * CVE-2022-0358: a guest user creating a set-group-ID file in a
 * set-group-ID directory of a group it is not in must not keep the bit
 * (the daemon's CAP_FSETID must not act for the guest user).
 */
static void test_cve_2022_0358_sgid_inheritance(void **state)
{
	struct fuse_create_in cin = { .flags = O_CREAT | O_WRONLY,
				      .mode = S_IFREG | 02755 };
	struct fuse_mkdir_in min = { .mode = 02755 };
	struct fuse_release_in rel = { 0 };
	struct fuse_entry_out dir;
	struct reply r;

	(void)state;
	assert_int_equal(lookup(ROOT_ID, "sgid", &dir), 0);
	send_req(FUSE_CREATE, dir.nodeid, GUEST_UID, GUEST_GID, &cin,
		 sizeof(cin), &r, "f", (const char *)NULL);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.u.create.entry.attr.gid, OTHER_GID);
	assert_int_equal(r.u.create.entry.attr.mode & S_ISGID, 0);
	rel.fh = r.u.create.open.fh;
	ROOT_REQ(FUSE_RELEASE, r.u.create.entry.nodeid, &rel, sizeof(rel), &r,
		 NULL);
	send_req(FUSE_MKNOD, dir.nodeid, GUEST_UID, GUEST_GID,
		 &(struct fuse_mknod_in){ .mode = S_IFREG | 02755 },
		 sizeof(struct fuse_mknod_in), &r, "m", (const char *)NULL);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.u.entry.attr.mode & S_ISGID, 0);
	/* A directory inherits the bit from its parent: that is correct. */
	send_req(FUSE_MKDIR, dir.nodeid, GUEST_UID, GUEST_GID, &min,
		 sizeof(min), &r, "d", (const char *)NULL);
	assert_int_equal(r.error, 0);
	assert_int_not_equal(r.u.entry.attr.mode & S_ISGID, 0);
}

/*
 * A directory swapped with a symlink to the outside while the guest looks
 * up through it (the host's side of the share changing under the daemon):
 * whatever the daemon answers, it is never the file outside.
 */
static int share_fd = -1;
static atomic_bool swapping;

static void *swapper(void *arg)
{
	atomic_ulong *swaps = arg;

	while (atomic_load(&swapping)) {
		if (renameat2(share_fd, "swap", share_fd, "swap_link",
			      RENAME_EXCHANGE) == 0)
			atomic_fetch_add(swaps, 1);
	}
	return NULL;
}

static void test_symlink_swapped_during_lookup(void **state)
{
	atomic_ulong swaps = 0;
	unsigned long hits = 0;
	struct fuse_entry_out dir, e;
	time_t deadline = time(NULL) + 30;
	pthread_t t;

	(void)state;
	/* The swapper is the host: root, whoever this thread ran as last. */
	assert_int_equal(creds_reset(), 0);
	atomic_store(&swapping, true);
	assert_int_equal(pthread_create(&t, NULL, swapper, &swaps), 0);
	/*
	 * At least 3000 rounds, and on until the swapper has swapped and a
	 * lookup has landed: a loaded machine may start the thread late.
	 */
	for (int i = 0; i < 3000 || ((!atomic_load(&swaps) || !hits) &&
				     time(NULL) < deadline); i++) {
		if (lookup(ROOT_ID, "swap", &dir))
			continue;
		if (lookup(dir.nodeid, "secret", &e))
			continue;
		hits++;
		assert_int_not_equal(e.attr.ino, secret_st.st_ino);
		assert_true(S_ISREG(e.attr.mode));
		assert_int_equal(e.attr.size, 6);	/* "inside" */
	}
	atomic_store(&swapping, false);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(atomic_load(&swaps) > 0);
	assert_true(hits > 0);
	assert_secret_untouched();
}

/*
 * A directory the host moves out of the share while the guest holds it:
 * LOOKUP ".." of it, or of a directory below it, never answers with a
 * directory outside (the one it went to, the host's /).
 */
static void test_dotdot_of_dir_moved_out(void **state)
{
	struct fuse_entry_out d, sub, e;
	int err;

	(void)state;
	assert_int_equal(lookup(ROOT_ID, "tomove", &d), 0);
	assert_int_equal(lookup(d.nodeid, "sub", &sub), 0);
	/* The host's side, as root: whoever the thread ran as last. */
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(renameat(share_fd, "tomove", outside_fd, "moved"), 0);
	err = lookup(d.nodeid, "..", &e);
	if (!err && e.attr.ino != d.attr.ino)
		fail_msg("\"..\" of a directory moved out answered inode %llu",
			 (unsigned long long)e.attr.ino);
	err = lookup(sub.nodeid, "..", &e);
	if (!err && e.attr.ino != sub.attr.ino)
		fail_msg("\"..\" below a directory moved out answered inode %llu",
			 (unsigned long long)e.attr.ino);
	/* Still the guest's own directory, and still inside it. */
	assert_int_equal(lookup(sub.nodeid, ".", &e), 0);
	assert_int_equal(e.attr.ino, sub.attr.ino);
	assert_int_equal(renameat(outside_fd, "moved", share_fd, "tomove"), 0);
	/* Back in the share: ".." leads to the share again. */
	assert_int_equal(lookup(sub.nodeid, "..", &e), 0);
	assert_int_equal(e.attr.ino, d.attr.ino);
	assert_int_equal(lookup(d.nodeid, "..", &e), 0);
	assert_int_equal(e.attr.ino, share_st.st_ino);
}

/*
 * The kernel's half, on the daemon's own mount of the share
 * (mounts_open_share()): ".." at its root is its root, and ".." of a
 * directory moved out of it is ENOENT, whatever src/fs does.
 */
static void test_detached_mount_stops_dotdot(void **state)
{
	struct stat st, root_st;
	bool detached;
	int root, d, up;

	(void)state;
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(mounts_open_share(share, &root, &detached), 0);
	assert_true(detached);
	assert_int_equal(fstat(root, &root_st), 0);
	up = openat(root, "..", O_PATH | O_CLOEXEC);
	assert_true(up >= 0);
	assert_int_equal(fstat(up, &st), 0);
	assert_int_equal(st.st_ino, root_st.st_ino);
	close(up);
	d = openat(root, "tomove/sub", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(d >= 0);
	assert_int_equal(renameat(share_fd, "tomove", outside_fd, "moved"), 0);
	up = openat(d, "..", O_PATH | O_CLOEXEC);
	if (up >= 0)
		close(up);
	assert_int_equal(renameat(outside_fd, "moved", share_fd, "tomove"), 0);
	assert_int_equal(up, -1);
	assert_int_equal(errno, ENOENT);
	close(d);
	close(root);
}

/* --- fixture ----------------------------------------------------------- */

static void xfail(const char *what)
{
	fprintf(stderr, "test_escape: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void make_fixture(void)
{
	char path[256];
	int fd;

	snprintf(top, sizeof(top), "/tmp/vfsd-escape.XXXXXX");
	if (!mkdtemp(top))
		xfail("mkdtemp");
	snprintf(share, sizeof(share), "%s/share", top);
	snprintf(path, sizeof(path), "%s/outside", top);
	if (mkdir(share, 0755) || mkdir(path, 0700))
		xfail("mkdir");
	outside_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (outside_fd < 0)
		xfail("open outside");
	fd = openat(outside_fd, "secret", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "SECRET\n", 7) != 7 || close(fd))
		xfail("secret");
	if (fstatat(outside_fd, "secret", &secret_st, 0))
		xfail("stat secret");
	char link[128];

	snprintf(link, sizeof(link), "%s/esc_abs", share);
	if (symlink(path, link))
		xfail("symlink esc_abs");
	snprintf(path, sizeof(path), "%s/esc_rel", share);
	if (symlink("../outside", path))
		xfail("symlink esc_rel");
	snprintf(path, sizeof(path), "%s/to_secret", share);
	if (symlink("../outside/secret", path))
		xfail("symlink to_secret");
	snprintf(path, sizeof(path), "%s/dangle", share);
	char target[128];

	snprintf(target, sizeof(target), "%s/outside/created", top);
	if (symlink(target, path))
		xfail("symlink dangle");
	snprintf(path, sizeof(path), "%s/null", share);
	if (mknod(path, S_IFCHR | 0666, makedev(1, 3)))
		xfail("mknod null");
	snprintf(path, sizeof(path), "%s/hostfifo", share);
	if (mkfifo(path, 0666))
		xfail("mkfifo hostfifo");
	snprintf(path, sizeof(path), "%s/hostsock", share);
	if (mknod(path, S_IFSOCK | 0666, 0))
		xfail("mknod hostsock");
	snprintf(path, sizeof(path), "%s/sgid", share);
	if (mkdir(path, 0777) || chown(path, 0, OTHER_GID) ||
	    chmod(path, 02777))
		xfail("sgid dir");
	if (stat(share, &share_st))
		xfail("stat share");
	share_fd = open(share, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (share_fd < 0)
		xfail("open share");
	/* "swap" is a directory with its own "secret", "swap_link" leads out. */
	if (mkdirat(share_fd, "swap", 0755))
		xfail("mkdir swap");
	fd = openat(share_fd, "swap/secret", O_CREAT | O_WRONLY | O_CLOEXEC,
		    0644);
	if (fd < 0 || write(fd, "inside", 6) != 6 || close(fd))
		xfail("swap/secret");
	snprintf(path, sizeof(path), "%s/outside", top);
	if (symlinkat(path, share_fd, "swap_link"))
		xfail("symlink swap_link");
	/* A directory the host moves out during a test. */
	if (mkdirat(share_fd, "tomove", 0755) ||
	    mkdirat(share_fd, "tomove/sub", 0755))
		xfail("mkdir tomove");
}

static void remove_fixture(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd))
		fprintf(stderr, "test_escape: could not remove %s\n", top);
}

/*
 * Confined, the filesystem works from a detached copy of the share's
 * mount, as the daemon's does (src/cli/main.c); unconfined from a plain
 * fd, so that the filesystem's own checks are tested without the kernel's.
 */
static void start_session(bool confined)
{
	struct pt_opts popts = { .shared_dir = share };
	bool detached = false;
	int root_fd = -1;
	struct fuse_session_opts sopts = { .cache = FUSE_CACHE_NEVER,
					   .max_write = 1 << 17,
					   .max_readahead = 1 << 17 };
	struct fuse_init_in init = { .major = FUSE_KERNEL_VERSION,
				     .minor = FUSE_KERNEL_MINOR_VERSION };
	struct reply r;
	int err = 0;

	if (confined && (err = mounts_open_share(share, &root_fd, &detached))) {
		errno = -err;
		xfail("mounts_open_share");
	}
	if (confined && !detached) {
		fprintf(stderr, "test_escape: no detached mount of the share\n");
		exit(1);
	}
	err = pt_new_at(&fs, &popts, root_fd);
	if (err) {
		errno = -err;
		xfail("pt_new");
	}
	if (fuse_session_new(&session, &pt_ops, fs, &sopts))
		xfail("fuse_session_new");
	send_req(FUSE_INIT, 0, 0, 0, &init, sizeof(init), &r,
		 (const char *)NULL);
	if (r.error) {
		errno = r.error;
		xfail("FUSE_INIT");
	}
}

/* The daemon's confinement, in its order (src/cli/main.c). */
static void confine(void)
{
	char status[8192], err[256];
	caps_set_t caps = caps_default();
	int ret;

	ret = sandbox_enter(SANDBOX_NAMESPACE, share);
	if (!ret)
		ret = sandbox_drop_groups();
	if (!ret)
		ret = caps_apply(caps);
	if (!ret)
		ret = seccomp_apply(SECCOMP_MODE_KILL, 0);
	if (ret) {
		errno = -ret;
		xfail("confinement");
	}
	if (sandbox_read_status(status, sizeof(status)) ||
	    sandbox_verify(SANDBOX_NAMESPACE, err, sizeof(err)) ||
	    caps_verify(status, caps, err, sizeof(err)) ||
	    seccomp_verify(status, SECCOMP_MODE_KILL, err, sizeof(err))) {
		fprintf(stderr, "test_escape: self-check: %s\n", err);
		exit(1);
	}
	sandbox_finish();
}

int main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlink_absolute_not_followed),
		cmocka_unit_test(test_symlink_relative_not_followed),
		cmocka_unit_test(test_readlink_is_text_only),
		cmocka_unit_test(test_dotdot_at_root),
		cmocka_unit_test(test_open_symlink_refused),
		cmocka_unit_test(test_setattr_symlink_keeps_target),
		cmocka_unit_test(test_create_through_dangling_symlink),
		cmocka_unit_test(test_hard_link_of_symlink),
		cmocka_unit_test(test_rename_and_link_outward),
		cmocka_unit_test(test_cve_2020_35517_device_node),
		cmocka_unit_test(test_cve_2020_35517_host_device_node),
		cmocka_unit_test(test_fifo_open_refused),
		cmocka_unit_test(test_special_files_never_opened),
		cmocka_unit_test(test_cve_2022_0358_sgid_inheritance),
		cmocka_unit_test(test_symlink_swapped_during_lookup),
		cmocka_unit_test(test_dotdot_of_dir_moved_out),
		/* Last: the confined server may make no mount, so not there. */
		cmocka_unit_test(test_detached_mount_stops_dotdot),
	};
	bool confined = argc > 1 && !strcmp(argv[1], "confined");
	struct sandbox_cleanup none = { .fds = { -1, -1 } };
	int ret;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 0;
	}
	make_fixture();
	if (confined) {
		int status;
		pid_t pid = fork();

		/*
		 * Confinement is for good: a child takes it (and splits
		 * into supervisor and server like the daemon), this process
		 * stays outside to clean up.
		 */
		if (pid < 0)
			xfail("fork");
		if (pid > 0) {
			if (waitpid(pid, &status, 0) < 0)
				xfail("waitpid");
			remove_fixture();
			if (WIFSIGNALED(status))
				fprintf(stderr, "test_escape: killed by signal %d\n",
					WTERMSIG(status));
			return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		}
		if (sandbox_fork(SANDBOX_NAMESPACE, &none))
			xfail("sandbox_fork");
	}
	start_session(confined);
	if (confined)
		confine();
	ret = _cmocka_run_group_tests("tests", tests,
				      sizeof(tests) / sizeof(tests[0]) - confined,
				      NULL, NULL);
	/* Requests ran on this thread as guest users: back to root. */
	if (creds_reset())
		fprintf(stderr, "test_escape: creds_reset failed\n");
	fuse_session_free(session);
	pt_free(fs);
	if (!confined)
		remove_fixture();
	return ret;
}
