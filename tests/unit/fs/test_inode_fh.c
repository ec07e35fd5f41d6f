/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inode table with file handles: the fd budget, the LRU order in which
 * idle fds close, reopening by handle, and the failures on the way (a file
 * gone, no fds left, a filesystem without handles). Real files in a
 * temporary directory; as root, skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/inode.h"
#include "policy/creds.h"
#include "tmptree.h"

#define NFILES 20

struct env {
	char dir[64];
	int dir_fd;
	struct inode_table t;
	struct pt_inode *root;
	struct pt_inode *files[NFILES];
};

static uint64_t mount_of(int fd, struct stat *st)
{
	struct statx x;

	assert_int_equal(statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
			       STATX_BASIC_STATS | STATX_MNT_ID, &x), 0);
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(x.stx_dev_major, x.stx_dev_minor);
	st->st_ino = x.stx_ino;
	st->st_mode = x.stx_mode;
	return x.stx_mnt_id;
}

/* Look name up in the test directory like LOOKUP does. */
static int insert(struct env *e, const char *name, struct pt_inode **out)
{
	struct stat st;
	uint64_t mnt;
	int fd, err;

	fd = openat(e->dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	mnt = mount_of(fd, &st);
	err = inode_insert(&e->t, fd, &st, mnt, out);
	if (err)
		close(fd);
	return err;
}

static void make_file(struct env *e, const char *name)
{
	int fd = openat(e->dir_fd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, name, strlen(name)), (ssize_t)strlen(name));
	close(fd);
}

static int setup_mode(void **state, enum inode_fh_mode mode, uint64_t budget)
{
	struct env *e;
	struct stat st;
	uint64_t mnt;
	int fd;

	if (geteuid() != 0)
		return 0;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	strcpy(e->dir, "/tmp/vfsd-fh-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	e->dir_fd = open(e->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (e->dir_fd < 0 || inode_table_init(&e->t))
		return -1;
	inode_table_config(&e->t, mode, budget);
	fd = open(e->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	mnt = mount_of(fd, &st);
	if (inode_insert_root(&e->t, fd, &st, mnt, &e->root))
		return -1;
	*state = e;
	return 0;
}

static int setup_prefer(void **state)
{
	return setup_mode(state, INODE_FH_PREFER, 4);
}

/* No budget: one fd per inode. */
static int setup_never(void **state)
{
	return setup_mode(state, INODE_FH_NEVER, 0);
}

static int setup_mandatory(void **state)
{
	return setup_mode(state, INODE_FH_MANDATORY, 4);
}

static int teardown(void **state)
{
	struct env *e = *state;

	if (!e)
		return 0;
	if (creds_reset())
		return -1;
	inode_put(&e->t, e->root);
	inode_table_fini(&e->t);
	close(e->dir_fd);
	tmptree_remove(e->dir);
	free(e);
	return 0;
}

#define REQUIRE_ROOT()            \
	do {                      \
		if (geteuid() != 0) \
			skip();   \
	} while (0)

/* Insert NFILES files and drop the references, oldest first. */
static void insert_all(struct env *e)
{
	char name[16];

	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		make_file(e, name);
		assert_int_equal(insert(e, name, &e->files[i]), 0);
		inode_put(&e->t, e->files[i]);
	}
}

static struct inode_fd_stats stats(struct env *e)
{
	struct inode_fd_stats s;

	inode_fd_stats(&e->t, &s);
	return s;
}

static void test_budget_keeps_the_newest(void **state)
{
	struct env *e = *state;
	struct inode_fd_stats s;

	REQUIRE_ROOT();
	insert_all(e);
	s = stats(e);
	/* The root's fd counts and is never closed; three idle ones stay. */
	assert_int_equal(s.fds, 4);
	assert_int_equal(s.budget, 4);
	assert_int_equal(s.closed, NFILES - 3);
	assert_int_equal(s.idle, 3);
	assert_true(e->root->fd >= 0);
	for (int i = 0; i < NFILES; i++) {
		assert_non_null(e->files[i]->fh);
		if (i < NFILES - 3)
			assert_int_equal(e->files[i]->fd, -1);
		else
			assert_true(e->files[i]->fd >= 0);
	}
	assert_int_equal(inode_count(&e->t), NFILES + 1);
}

static void test_reopen_is_the_same_file(void **state)
{
	struct env *e = *state;
	struct pt_inode *g;
	struct stat st;
	char buf[8], p[64];
	int fd;

	REQUIRE_ROOT();
	insert_all(e);
	assert_int_equal(inode_get(&e->t, e->files[0]->nodeid, &g), 0);
	assert_ptr_equal(g, e->files[0]);
	assert_true(g->fd >= 0);
	assert_int_equal(fstat(g->fd, &st), 0);
	assert_int_equal(st.st_ino, g->ino);
	assert_int_equal(st.st_dev, g->dev);
	/* O_PATH: no I/O through it, only through a reopen. */
	assert_int_equal(read(g->fd, buf, 1), -1);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", g->fd);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, 3), 3);
	assert_memory_equal(buf, "f00", 3);
	close(fd);
	assert_int_equal(stats(e).reopened, 1);
	/* The reopen made room by closing the oldest idle fd. */
	assert_int_equal(stats(e).fds, 4);
	assert_int_equal(e->files[NFILES - 3]->fd, -1);
	inode_put(&e->t, g);
	/* Idle again, and the newest on the list. */
	assert_int_equal(stats(e).fds, 4);
	assert_true(e->files[0]->fd >= 0);
}

static void test_held_inodes_are_never_closed(void **state)
{
	struct env *e = *state;
	struct pt_inode *held[NFILES];

	REQUIRE_ROOT();
	insert_all(e);
	for (int i = 0; i < NFILES; i++)
		assert_int_equal(inode_get(&e->t, e->files[i]->nodeid,
					   &held[i]), 0);
	assert_int_equal(stats(e).fds, NFILES + 1);
	assert_int_equal(stats(e).idle, 0);
	for (int i = 0; i < NFILES; i++)
		assert_true(fcntl(held[i]->fd, F_GETFD) >= 0);
	for (int i = 0; i < NFILES; i++)
		inode_put(&e->t, held[i]);
	assert_int_equal(stats(e).fds, 4);
}

static void test_lookup_of_closed_inode_takes_its_fd(void **state)
{
	struct env *e = *state;
	struct pt_inode *a;
	uint64_t before;

	REQUIRE_ROOT();
	insert_all(e);
	before = stats(e).reopened;
	assert_int_equal(e->files[0]->fd, -1);
	/* A new lookup of the same file: same inode, its fd from LOOKUP. */
	assert_int_equal(insert(e, "f00", &a), 0);
	assert_ptr_equal(a, e->files[0]);
	assert_int_equal(a->nlookup, 2);
	assert_true(a->fd >= 0);
	assert_int_equal(stats(e).reopened, before);
	inode_put(&e->t, a);
}

static void test_gone_file_is_estale(void **state)
{
	struct env *e = *state;
	struct pt_inode *g = NULL;

	REQUIRE_ROOT();
	insert_all(e);
	assert_int_equal(e->files[1]->fd, -1);
	assert_int_equal(unlinkat(e->dir_fd, "f01", 0), 0);
	assert_int_equal(inode_get(&e->t, e->files[1]->nodeid, &g), -ESTALE);
	assert_null(g);
	/* The failed get left no reference behind: forget frees it. */
	inode_forget(&e->t, e->files[1]->nodeid, 1);
	assert_int_equal(inode_count(&e->t), NFILES);
	assert_int_equal(stats(e).fds, 4);
}

/*
 * A lookup that finds, by (dev, ino), an inode whose fd was closed: "fd" is
 * the file looked up, "st" what it claims to be. Returns the inode made.
 */
static struct pt_inode *insert_as(struct env *e, const char *name,
				  ino_t ino, mode_t type)
{
	struct pt_inode *a;
	struct stat st;
	uint64_t mnt;
	int fd;

	fd = openat(e->dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	mnt = mount_of(fd, &st);
	st.st_ino = ino;
	st.st_mode = type | 0644;
	assert_int_equal(inode_insert(&e->t, fd, &st, mnt, &a), 0);
	/* Never the old inode: a new one, which owns the new fd. */
	assert_ptr_not_equal(a, e->files[0]);
	assert_int_not_equal(a->nodeid, e->files[0]->nodeid);
	assert_int_equal(a->fd, fd);
	assert_int_equal(a->type, type);
	return a;
}

/*
 * Another file with the inode number of one whose fd was closed (ext4
 * hands a freed number out at once): its own inode, and the old nodeid
 * keeps naming the old file.
 */
static void test_reused_number_is_another_inode(void **state)
{
	struct env *e = *state;
	struct pt_inode *a, *b, *g;
	struct stat st;

	REQUIRE_ROOT();
	insert_all(e);
	assert_int_equal(e->files[0]->fd, -1);
	make_file(e, "other");
	/* Another handle. */
	a = insert_as(e, "other", e->files[0]->ino, S_IFREG);
	/* The same file, but not of the type the inode was made for. */
	b = insert_as(e, "f00", e->files[0]->ino, S_IFIFO);
	assert_int_equal(inode_get(&e->t, e->files[0]->nodeid, &g), 0);
	assert_ptr_equal(g, e->files[0]);
	assert_int_equal(fstat(g->fd, &st), 0);
	assert_int_equal(st.st_ino, e->files[0]->ino);
	inode_put(&e->t, g);
	inode_put(&e->t, a);
	inode_put(&e->t, b);
}

/* A handle that opens a file of another type than the inode's: ESTALE. */
static void test_reopen_checks_the_type(void **state)
{
	struct env *e = *state;
	struct pt_inode *g = NULL;

	REQUIRE_ROOT();
	insert_all(e);
	assert_int_equal(e->files[0]->fd, -1);
	e->files[0]->type = S_IFCHR;
	assert_int_equal(inode_get(&e->t, e->files[0]->nodeid, &g), -ESTALE);
	assert_null(g);
	e->files[0]->type = S_IFREG;
}

/* The highest fd number open in this process. */
static int max_fd(void)
{
	int fd = dup(0), top = fd;

	assert_true(fd >= 0);
	close(fd);
	for (int i = 0; i < 4096; i++)
		if (fcntl(i, F_GETFD) >= 0 && i > top)
			top = i;
	return top;
}

static void test_no_fds_left_is_an_error(void **state)
{
	struct env *e = *state;
	struct pt_inode *held[4] = { NULL };
	int fill[256], nfill = 0, i;
	struct rlimit old, low;

	REQUIRE_ROOT();
	insert_all(e);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)max_fd() + 1;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	/* Not one fd number left under the limit. */
	while (nfill < 256 && (fill[nfill] = dup(0)) >= 0)
		nfill++;
	assert_true(nfill < 256);
	assert_int_equal(errno, EMFILE);
	/* The reopen gets its fd by closing the three idle ones. */
	assert_int_equal(inode_get(&e->t, e->files[0]->nodeid, &held[0]), 0);
	assert_int_equal(stats(e).idle, 0);
	assert_int_equal(stats(e).fds, 2);
	/* Two numbers left free by that, then none and nothing idle. */
	for (i = 1; i < 3; i++)
		assert_int_equal(inode_get(&e->t, e->files[i]->nodeid,
					   &held[i]), 0);
	assert_int_equal(inode_get(&e->t, e->files[3]->nodeid, &held[3]),
			 -EMFILE);
	assert_null(held[3]);
	while (nfill)
		close(fill[--nfill]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	for (i = 0; i < 3; i++)
		inode_put(&e->t, held[i]);
	assert_int_equal(stats(e).fds, 4);
	/* And with fds again it works. */
	assert_int_equal(inode_get(&e->t, e->files[3]->nodeid, &held[3]), 0);
	inode_put(&e->t, held[3]);
}

static void test_reopen_as_guest_user(void **state)
{
	struct env *e = *state;
	struct pt_inode *g;
	uint32_t uid, gid;

	REQUIRE_ROOT();
	insert_all(e);
	/* Only root may search it: a handle needs no search permission. */
	assert_int_equal(chmod(e->dir, 0700), 0);
	assert_int_equal(creds_switch(1000, 1000), 0);
	assert_int_equal(inode_get(&e->t, e->files[0]->nodeid, &g), 0);
	assert_true(g->fd >= 0);
	assert_true(creds_current(&uid, &gid));
	assert_int_equal(uid, 1000);
	assert_int_equal(gid, 1000);
	assert_int_equal(geteuid(), 1000);
	inode_put(&e->t, g);
	assert_int_equal(creds_reset(), 0);
}

static void test_forget_of_closed_inode(void **state)
{
	struct env *e = *state;

	REQUIRE_ROOT();
	insert_all(e);
	for (int i = 0; i < NFILES; i++)
		inode_forget(&e->t, e->files[i]->nodeid, 1);
	assert_int_equal(inode_count(&e->t), 1);
	assert_int_equal(stats(e).fds, 1);
	assert_int_equal(stats(e).idle, 0);
	/* A FORGET_ALL after a mix of open and closed. */
	insert_all(e);
	inode_forget_all(&e->t);
	assert_int_equal(stats(e).fds, 1);
	assert_int_equal(inode_count(&e->t), 1);
}

static void test_never_keeps_every_fd(void **state)
{
	struct env *e = *state;

	REQUIRE_ROOT();
	insert_all(e);
	assert_int_equal(stats(e).fds, NFILES + 1);
	assert_int_equal(stats(e).closed, 0);
	for (int i = 0; i < NFILES; i++) {
		assert_null(e->files[i]->fh);
		assert_int_equal(e->files[i]->mnt_id, 0);
		assert_true(e->files[i]->fd >= 0);
	}
}

/* /proc gives no handles: prefer keeps an fd, mandatory refuses. */
static int insert_proc(struct env *e, struct pt_inode **out, int *fdp)
{
	struct stat st;
	uint64_t mnt;
	int fd, err;

	fd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	mnt = mount_of(fd, &st);
	err = inode_insert(&e->t, fd, &st, mnt, out);
	*fdp = fd;
	return err;
}

static void test_prefer_without_handles(void **state)
{
	struct env *e = *state;
	const struct ifh_mount *m;
	struct pt_inode *a;
	int fd;

	REQUIRE_ROOT();

	assert_int_equal(insert_proc(e, &a, &fd), 0);
	assert_null(a->fh);
	assert_int_equal(a->fd, fd);
	inode_put(&e->t, a);
	/* The mount is remembered as one without handles. */
	m = ifh_mount_find(&e->t.mounts, a->mnt_id);
	assert_non_null(m);
	assert_true(m->no_handles);
	assert_int_equal(m->fd, -1);
	/* Not on the LRU: fill the budget, it keeps its fd. */
	insert_all(e);
	assert_int_equal(a->fd, fd);
	assert_true(fcntl(fd, F_GETFD) >= 0);
}

static void test_mandatory_without_handles(void **state)
{
	struct env *e = *state;
	struct pt_inode *a = NULL;
	int fd;

	REQUIRE_ROOT();
	assert_int_not_equal(insert_proc(e, &a, &fd), 0);
	assert_null(a);
	assert_true(fcntl(fd, F_GETFD) >= 0); /* still the caller's */
	close(fd);
	assert_int_equal(inode_count(&e->t), 1);
	/* Files of the share still work. */
	insert_all(e);
	assert_int_equal(stats(e).fds, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define P(f) cmocka_unit_test_setup_teardown(f, setup_prefer, teardown)
		P(test_budget_keeps_the_newest),
		P(test_reopen_is_the_same_file),
		P(test_held_inodes_are_never_closed),
		P(test_lookup_of_closed_inode_takes_its_fd),
		P(test_gone_file_is_estale),
		P(test_reused_number_is_another_inode),
		P(test_reopen_checks_the_type),
		P(test_no_fds_left_is_an_error),
		P(test_reopen_as_guest_user),
		P(test_forget_of_closed_inode),
		P(test_prefer_without_handles),
		cmocka_unit_test_setup_teardown(test_never_keeps_every_fd,
						setup_never, teardown),
		cmocka_unit_test_setup_teardown(test_mandatory_without_handles,
						setup_mandatory, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
