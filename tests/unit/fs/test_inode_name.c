/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inode table finding closed inodes again by name (fs/inode_name.c):
 * reopens through the parent chain, the guest's renames and unlinks
 * followed, host-side renames and replaced files answered ESTALE (never
 * the other file), hard links, open files the guest unlinked, forgotten
 * directories kept for their children, and names that would loop. Real
 * files in a temporary directory, an fd budget of 4 so nearly everything
 * is closed at once.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/inode.h"
#include "policy/creds.h"
#include "tmptree.h"

#define BUDGET 4
#define FILLERS 8

struct env {
	char dir[64];
	struct inode_table t;
	struct pt_inode *root;
};

static const char *hp(struct env *e, const char *rel)
{
	static char path[4][512];
	static unsigned int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", e->dir, rel);
	return p;
}

static void host_write(struct env *e, const char *rel, const char *text)
{
	int fd = open(hp(e, rel), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC,
		      0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* What the file an inode's fd reaches holds (up to 63 bytes). */
static void read_through(const struct pt_inode *i, char *buf, size_t len)
{
	char p[64];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", i->fd);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

/* LOOKUP of name in dir, as pt_lookup_fd() makes it: one reference. */
static int lookup(struct env *e, struct pt_inode *dir, const char *name,
		  struct pt_inode **out)
{
	const struct inode_at at = { dir, name };
	struct pt_inode *d;
	struct stat st;
	int fd, err;

	err = inode_get(&e->t, dir->nodeid, &d);
	if (err)
		return err;
	fd = openat(d->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		inode_put(&e->t, d);
		return err;
	}
	assert_int_equal(fstatat(fd, "", &st,
				 AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW), 0);
	err = inode_insert_at(&e->t, fd, &st, 0, &at, out);
	if (err)
		close(fd);
	inode_put(&e->t, d);
	return err;
}

/* lookup() and drop the reference: the guest holds the nodeid only. */
static struct pt_inode *known(struct env *e, struct pt_inode *dir,
			      const char *name)
{
	struct pt_inode *i;

	assert_int_equal(lookup(e, dir, name, &i), 0);
	inode_put(&e->t, i);
	return i;
}

/* Look up other files until every idle fd was closed for the budget. */
static void fill_budget(struct env *e)
{
	char name[16];

	for (int i = 0; i < FILLERS; i++) {
		snprintf(name, sizeof(name), "fill%d", i);
		host_write(e, name, "");
		known(e, e->root, name);
	}
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct stat st;
	int fd;

	if (!e)
		return -1;
	strcpy(e->dir, "/tmp/vfsd-name-XXXXXX");
	if (!mkdtemp(e->dir) || inode_table_init(&e->t))
		return -1;
	inode_table_config(&e->t, INODE_FH_NEVER, BUDGET);
	fd = open(e->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		return -1;
	if (inode_insert_root(&e->t, fd, &st, 0, &e->root))
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	if (creds_reset())
		return -1;
	inode_put(&e->t, e->root);
	inode_table_fini(&e->t);
	tmptree_remove(e->dir);
	free(e);
	return 0;
}

static struct inode_fd_stats stats(struct env *e)
{
	struct inode_fd_stats s;

	inode_fd_stats(&e->t, &s);
	return s;
}

/* inode_get() of i: its fd open again, or the error. */
static int get(struct env *e, struct pt_inode *i)
{
	struct pt_inode *g;
	int err = inode_get(&e->t, i->nodeid, &g);

	if (err)
		return err;
	assert_ptr_equal(g, i);
	assert_true(g->fd >= 0);
	return 0;
}

/* i opens again and reads text; the reference is dropped after. */
static void expect_content(struct env *e, struct pt_inode *i,
			   const char *text)
{
	char buf[64];

	assert_int_equal(get(e, i), 0);
	read_through(i, buf, sizeof(buf));
	assert_string_equal(buf, text);
	inode_put(&e->t, i);
}

/* Files x and y, known to the guest, and what each name is now. */
static void two_files(struct env *e, struct pt_inode **x, struct pt_inode **y,
		      struct inode_was *a, struct inode_was *b)
{
	host_write(e, "x", "x");
	host_write(e, "y", "y");
	*x = known(e, e->root, "x");
	*y = known(e, e->root, "y");
	a->valid = b->valid = true;
	assert_int_equal(lstat(hp(e, "x"), &a->st), 0);
	assert_int_equal(lstat(hp(e, "y"), &b->st), 0);
}

static void test_reopen_through_the_parent(void **state)
{
	struct env *e = *state;
	struct pt_inode *d, *f;

	assert_int_equal(mkdir(hp(e, "d"), 0755), 0);
	host_write(e, "d/f", "the file");
	d = known(e, e->root, "d");
	f = known(e, d, "f");
	fill_budget(e);
	assert_int_equal(d->fd, -1);
	assert_int_equal(f->fd, -1);
	assert_true(stats(e).closed >= 2);

	expect_content(e, f, "the file");
	/* d was opened on the way, and kept. */
	assert_int_equal(stats(e).by_name, 2);
	assert_true(d->fd >= 0);
	assert_true(stats(e).fds <= BUDGET);
}

/* A chain deeper than the walk keeps on its stack. */
static void test_deep_chain(void **state)
{
	struct env *e = *state;
	struct pt_inode *cur = e->root, *deepest;
	char rel[512] = "";

	for (int i = 0; i < 40; i++) {
		strcat(rel, i ? "/d" : "d");
		assert_int_equal(mkdir(hp(e, rel), 0755), 0);
		cur = known(e, cur, "d");
	}
	deepest = cur;
	fill_budget(e);
	assert_int_equal(deepest->fd, -1);
	assert_int_equal(get(e, deepest), 0);
	assert_true(stats(e).by_name >= 36);
	inode_put(&e->t, deepest);
	assert_true(stats(e).fds <= BUDGET);
}

/*
 * The guest renames a directory whose children are closed: they follow,
 * because they name the directory's inode, not a path.
 */
static void test_guest_renames_a_directory(void **state)
{
	struct env *e = *state;
	struct inode_was src = { .valid = true };
	struct inode_was dst = { .valid = false };
	struct pt_inode *d, *f;

	assert_int_equal(mkdir(hp(e, "d"), 0755), 0);
	host_write(e, "d/f", "moved with d");
	d = known(e, e->root, "d");
	f = known(e, d, "f");
	fill_budget(e);
	assert_int_equal(lstat(hp(e, "d"), &src.st), 0);
	assert_int_equal(rename(hp(e, "d"), hp(e, "d2")), 0);
	inode_renamed(&e->t, e->root, "d", e->root, "d2", &src, &dst, false);
	assert_string_equal(d->name, "d2");

	expect_content(e, f, "moved with d");
	assert_int_equal(stats(e).stale, 0);
}

/*
 * A host process renames the directory and puts another file where the
 * old one was: the closed child's name leads to that other file, and the
 * answer is ESTALE, never the other file. Once the guest looks the
 * directory up by its new name, the child opens again.
 */
static void test_host_rename_is_estale(void **state)
{
	struct env *e = *state;
	struct pt_inode *d, *f, *again;

	assert_int_equal(mkdir(hp(e, "d"), 0755), 0);
	host_write(e, "d/f", "old");
	d = known(e, e->root, "d");
	f = known(e, d, "f");
	fill_budget(e);
	assert_int_equal(rename(hp(e, "d"), hp(e, "d.old")), 0);
	assert_int_equal(mkdir(hp(e, "d"), 0755), 0);
	host_write(e, "d/f", "new");

	assert_int_equal(get(e, f), -ESTALE);
	assert_int_equal(f->fd, -1);
	assert_true(stats(e).stale >= 1);

	assert_int_equal(lookup(e, e->root, "d.old", &again), 0);
	assert_ptr_equal(again, d);
	inode_put(&e->t, again);
	expect_content(e, f, "old");
}

/* The name now leads to another file (replaced in place): ESTALE. */
static void test_replaced_file_is_estale(void **state)
{
	struct env *e = *state;
	struct pt_inode *f, *g;

	host_write(e, "f", "old");
	f = known(e, e->root, "f");
	fill_budget(e);
	/* Unlinked and made again: ext4 may give it the same number. */
	assert_int_equal(unlink(hp(e, "f")), 0);
	host_write(e, "f", "new");
	assert_int_equal(get(e, f), -ESTALE);
	/* A lookup of the name gets the new file, as a new nodeid. */
	assert_int_equal(lookup(e, e->root, "f", &g), 0);
	assert_true(g != f);
	inode_put(&e->t, g);
	assert_int_equal(get(e, f), -ESTALE);
}

/* An open file the guest unlinks keeps its fd, and answers. */
static void test_unlinked_open_file_keeps_its_fd(void **state)
{
	struct env *e = *state;
	struct inode_was was = { .valid = true };
	struct pt_inode *f;
	struct stat st;

	host_write(e, "f", "open");
	f = known(e, e->root, "f");
	inode_opened(&e->t, f->nodeid);
	fill_budget(e);
	assert_true(f->fd >= 0);
	assert_int_equal(lstat(hp(e, "f"), &was.st), 0);
	assert_int_equal(unlink(hp(e, "f")), 0);
	inode_unlinked(&e->t, e->root, "f", &was);
	assert_null(f->parent);
	/* Closed by the guest: still kept, since no name finds it again. */
	inode_closed(&e->t, f->nodeid);
	fill_budget(e);
	assert_int_equal(get(e, f), 0);
	assert_int_equal(fstat(f->fd, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	inode_put(&e->t, f);
}

/* A hard link: the inode is known by the name it was last seen by. */
static void test_hard_link(void **state)
{
	struct env *e = *state;
	struct inode_was was = { .valid = true };
	struct pt_inode *f;

	host_write(e, "a", "linked");
	assert_int_equal(link(hp(e, "a"), hp(e, "b")), 0);
	f = known(e, e->root, "a");
	assert_ptr_equal(known(e, e->root, "b"), f);
	assert_string_equal(f->name, "b");
	/* The guest removes the other name: this one stays. */
	assert_int_equal(lstat(hp(e, "a"), &was.st), 0);
	assert_int_equal(unlink(hp(e, "a")), 0);
	inode_unlinked(&e->t, e->root, "a", &was);
	assert_string_equal(f->name, "b");
	fill_budget(e);
	assert_int_equal(f->fd, -1);
	expect_content(e, f, "linked");
}

/* RENAME_EXCHANGE swaps the names of both. */
static void test_exchange(void **state)
{
	struct env *e = *state;
	struct inode_was a, b;
	struct pt_inode *x, *y;

	two_files(e, &x, &y, &a, &b);
	assert_int_equal(renameat2(AT_FDCWD, hp(e, "x"), AT_FDCWD, hp(e, "y"),
				   RENAME_EXCHANGE), 0);
	inode_renamed(&e->t, e->root, "x", e->root, "y", &a, &b, true);
	fill_budget(e);
	expect_content(e, x, "x");
	expect_content(e, y, "y");
}

/* A file renamed over another: the one replaced loses its name. */
static void test_rename_over(void **state)
{
	struct env *e = *state;
	struct inode_was a, b;
	struct pt_inode *x, *y;

	two_files(e, &x, &y, &a, &b);
	assert_int_equal(rename(hp(e, "x"), hp(e, "y")), 0);
	inode_renamed(&e->t, e->root, "x", e->root, "y", &a, &b, false);
	assert_string_equal(x->name, "y");
	assert_null(y->parent);
	/* y keeps its fd (no name finds it again); x closes and reopens. */
	fill_budget(e);
	assert_true(y->fd >= 0);
	assert_int_equal(x->fd, -1);
	expect_content(e, x, "x");
}

/*
 * A directory the guest forgot while a child is known stays as the
 * child's way back; both go with the child.
 */
static void test_forgotten_directory_kept_for_its_child(void **state)
{
	struct env *e = *state;
	struct pt_inode *d, *f;
	uint64_t n0 = inode_count(&e->t);

	assert_int_equal(mkdir(hp(e, "d"), 0755), 0);
	host_write(e, "d/f", "");
	d = known(e, e->root, "d");
	f = known(e, d, "f");
	inode_forget(&e->t, d->nodeid, 1);
	assert_int_equal(inode_count(&e->t), n0 + 1);
	fill_budget(e);
	assert_int_equal(get(e, f), 0);
	inode_put(&e->t, f);
	inode_forget(&e->t, f->nodeid, 1);
	/* ASan: nothing leaks, nothing is freed twice. */
	inode_forget_all(&e->t);
	assert_int_equal(inode_count(&e->t), 1);
	assert_int_equal(stats(e).fds, 1);
}

static void test_forget_all_with_names(void **state)
{
	struct env *e = *state;
	struct pt_inode *cur = e->root;
	char rel[128] = "";

	for (int i = 0; i < 5; i++) {
		strcat(rel, i ? "/d" : "d");
		assert_int_equal(mkdir(hp(e, rel), 0755), 0);
		cur = known(e, cur, "d");
	}
	fill_budget(e);
	inode_forget_all(&e->t);
	assert_int_equal(inode_count(&e->t), 1);
	assert_int_equal(stats(e).fds, 1);
	assert_int_equal(stats(e).idle, 0);
	assert_int_equal(e->root->kids, 0);
}

/*
 * A directory bound below itself gives its own inode as a child: the
 * name that would make it its own ancestor is not taken.
 */
static void test_no_name_loops(void **state)
{
	struct env *e = *state;
	struct pt_inode *d, *same;
	struct inode_at at;
	struct stat st;
	int fd;

	assert_int_equal(mkdir(hp(e, "d"), 0755), 0);
	d = known(e, e->root, "d");
	fd = open(hp(e, "d"), O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	at = (struct inode_at){ d, "loop" };
	assert_int_equal(inode_insert_at(&e->t, fd, &st, 0, &at, &same), 0);
	assert_ptr_equal(same, d);
	assert_ptr_equal(d->parent, e->root);
	assert_string_equal(d->name, "d");
	inode_put(&e->t, same);
}

/*
 * The reopen runs as the daemon: a guest user who may not search a
 * directory on the way (any more) still gets the inode's fd back; what
 * it may do with the file is the operation's decision.
 */
static void test_reopen_as_a_user(void **state)
{
	struct env *e = *state;
	struct pt_inode *d, *f;
	int err;

	if (geteuid() != 0)
		skip();
	assert_int_equal(mkdir(hp(e, "d"), 0700), 0);
	host_write(e, "d/f", "");
	d = known(e, e->root, "d");
	f = known(e, d, "f");
	fill_budget(e);
	assert_int_equal(creds_switch(1000, 1000), 0);
	err = get(e, f);
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(err, 0);
	inode_put(&e->t, f);
}

/* The guest's name "." or ".." is never taken as a name. */
static void test_dot_names_ignored(void **state)
{
	struct env *e = *state;
	struct pt_inode *d, *same;

	assert_int_equal(mkdir(hp(e, "d"), 0755), 0);
	d = known(e, e->root, "d");
	assert_int_equal(lookup(e, d, ".", &same), 0);
	assert_ptr_equal(same, d);
	assert_string_equal(d->name, "d");
	inode_put(&e->t, same);
	assert_int_equal(lookup(e, d, "..", &same), 0);
	assert_ptr_equal(same, e->root);
	assert_null(e->root->parent);
	inode_put(&e->t, same);
}

/* /proc gives no id that tells files apart: its inodes keep their fds. */
static void test_no_id_keeps_the_fd(void **state)
{
	struct env *e = *state;
	struct pt_inode *p;
	struct stat st;
	int fd;

	fd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(inode_insert(&e->t, fd, &st, 0, &p), 0);
	assert_null(p->fh);
	inode_put(&e->t, p);
	assert_int_equal(stats(e).no_id, 1);
	fill_budget(e);
	assert_int_equal(p->fd, fd);
	inode_forget(&e->t, p->nodeid, 1);
	assert_int_equal(stats(e).no_id, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_reopen_through_the_parent),
		T(test_deep_chain),
		T(test_guest_renames_a_directory),
		T(test_host_rename_is_estale),
		T(test_replaced_file_is_estale),
		T(test_unlinked_open_file_keeps_its_fd),
		T(test_hard_link),
		T(test_exchange),
		T(test_rename_over),
		T(test_forgotten_directory_kept_for_its_child),
		T(test_forget_all_with_names),
		T(test_no_name_loops),
		T(test_reopen_as_a_user),
		T(test_dot_names_ignored),
		T(test_no_id_keeps_the_fd),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
