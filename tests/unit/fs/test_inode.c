/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The inode table: keys, lookup counts, references and nodeid lifetime. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/inode.h"
#include "fs/vfs_ops.h"

static int new_fd(void)
{
	int fd = open("/", O_PATH | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static struct stat key(dev_t dev, ino_t ino)
{
	struct stat st = { .st_dev = dev, .st_ino = ino, .st_mode = S_IFREG };

	return st;
}

/* The inode nodeid names with a reference, or NULL. */
static struct pt_inode *get(struct inode_table *t, uint64_t nodeid)
{
	struct pt_inode *i = NULL;

	return inode_get(t, nodeid, &i) ? NULL : i;
}

static int setup(void **state)
{
	static struct inode_table t;

	if (inode_table_init(&t))
		return -1;
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	inode_table_fini(*state);
	return 0;
}

static void test_insert_and_dedup(void **state)
{
	struct inode_table *t = *state;
	struct stat st = key(7, 100);
	struct pt_inode *a, *b;
	int fd1 = new_fd(), fd2 = new_fd();

	assert_int_equal(inode_insert(t, fd1, &st, 0, &a), 0);
	assert_true(a->nodeid > VFS_ROOT_ID);
	assert_int_equal(a->fd, fd1);
	assert_int_equal(a->nlookup, 1);
	assert_int_equal(a->type, S_IFREG);

	/* Same (dev, ino): same inode, the new fd is closed. */
	assert_int_equal(inode_insert(t, fd2, &st, 0, &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(b->nlookup, 2);
	assert_false(fd_open(fd2));
	assert_true(fd_open(fd1));

	/* Same ino on another device is another inode. */
	st = key(8, 100);
	assert_int_equal(inode_insert(t, new_fd(), &st, 0, &b), 0);
	assert_ptr_not_equal(a, b);
	assert_true(b->nodeid != a->nodeid);
	inode_put(t, a);
	inode_put(t, a);
	inode_put(t, b);
	assert_int_equal(inode_count(t), 2);
}

static void test_unknown_nodeids(void **state)
{
	struct inode_table *t = *state;
	struct stat st = key(1, 1);
	struct pt_inode *a;

	assert_null(get(t, 0));
	assert_null(get(t, VFS_ROOT_ID));
	assert_null(get(t, 12345));
	assert_null(get(t, UINT64_MAX));
	assert_int_equal(inode_insert(t, new_fd(), &st, 0, &a), 0);
	assert_null(get(t, a->nodeid + 1));
	assert_null(get(t, a->nodeid - 1));
	/* Forgetting what does not exist changes nothing. */
	inode_forget(t, 0, 1);
	inode_forget(t, 999999, UINT64_MAX);
	assert_int_equal(a->nlookup, 1);
	inode_put(t, a);
}

static void test_forget_to_zero(void **state)
{
	struct inode_table *t = *state;
	struct stat st = key(3, 33);
	struct pt_inode *a, *g;
	uint64_t id;
	int fd = new_fd();

	assert_int_equal(inode_insert(t, fd, &st, 0, &a), 0);
	inode_put(t, a);
	assert_int_equal(inode_insert(t, new_fd(), &st, 0, &a), 0);
	inode_put(t, a);
	id = a->nodeid;

	inode_forget(t, id, 1);
	g = get(t, id);
	assert_ptr_equal(g, a);
	assert_int_equal(g->nlookup, 1);
	inode_put(t, g);

	inode_forget(t, id, 1);
	assert_null(get(t, id));
	assert_false(fd_open(fd));
	assert_int_equal(inode_count(t), 0);
}

static void test_forget_huge_counts(void **state)
{
	struct inode_table *t = *state;
	struct stat st = key(4, 44);
	struct pt_inode *a;
	uint64_t id;

	assert_int_equal(inode_insert(t, new_fd(), &st, 0, &a), 0);
	inode_put(t, a);
	id = a->nodeid;
	/* More than was ever looked up: clamps to zero, no wrap. */
	inode_forget(t, id, UINT64_MAX);
	assert_null(get(t, id));
	inode_forget(t, id, UINT64_MAX);
	inode_forget(t, id, 1);
	assert_int_equal(inode_count(t), 0);
}

static void test_lookup_overflow(void **state)
{
	struct inode_table *t = *state;
	struct stat st = key(5, 55);
	struct pt_inode *a, *b = NULL;
	int fd = new_fd();

	assert_int_equal(inode_insert(t, new_fd(), &st, 0, &a), 0);
	/* A guest that looked it up 2^64-1 times cannot make it wrap. */
	a->nlookup = UINT64_MAX;
	assert_int_equal(inode_insert(t, fd, &st, 0, &b), -EOVERFLOW);
	assert_null(b);
	assert_true(fd_open(fd)); /* still the caller's */
	close(fd);
	assert_int_equal(a->nlookup, UINT64_MAX);
	inode_forget(t, a->nodeid, UINT64_MAX - 1);
	assert_int_equal(a->nlookup, 1);
	inode_put(t, a);
}

static void test_ids_never_reused(void **state)
{
	struct inode_table *t = *state;
	struct stat st = key(6, 66);
	struct pt_inode *a;
	uint64_t last = 0;
	int i;

	for (i = 0; i < 1000; i++) {
		/* Same file every time, forgotten in between. */
		assert_int_equal(inode_insert(t, new_fd(), &st, 0, &a), 0);
		assert_true(a->nodeid > last);
		last = a->nodeid;
		inode_put(t, a);
		inode_forget(t, a->nodeid, 1);
		assert_null(get(t, last));
	}
	for (i = 0; i < 1000; i++) {
		st = key(6, (ino_t)(1000 + i));
		assert_int_equal(inode_insert(t, new_fd(), &st, 0, &a), 0);
		assert_true(a->nodeid > last);
		last = a->nodeid;
		inode_put(t, a);
	}
	assert_int_equal(inode_count(t), 1000);
	/* Every one of them is still reachable after the table grew. */
	for (i = 0; i < 1000; i++) {
		struct pt_inode *g = get(t, last - (uint64_t)i);

		assert_non_null(g);
		assert_int_equal(g->ino, 1999 - i);
		inode_put(t, g);
	}
}

static void test_ref_outlives_forget(void **state)
{
	struct inode_table *t = *state;
	struct stat st = key(9, 99);
	struct pt_inode *a, *b;
	int fd = new_fd();

	assert_int_equal(inode_insert(t, fd, &st, 0, &a), 0);
	/* An operation holds it while the guest forgets it. */
	inode_forget(t, a->nodeid, 1);
	assert_null(get(t, a->nodeid));
	assert_true(fd_open(fd));
	assert_int_equal(a->fd, fd);

	/* A new lookup of the same file meanwhile is a new inode. */
	assert_int_equal(inode_insert(t, new_fd(), &st, 0, &b), 0);
	assert_ptr_not_equal(a, b);
	assert_true(b->nodeid > a->nodeid);

	inode_put(t, a);
	assert_false(fd_open(fd));
	inode_put(t, b);
}

static void test_root_pinned(void **state)
{
	struct inode_table *t = *state;
	struct stat st = key(10, 2);
	struct stat other = key(10, 3);
	struct pt_inode *root, *a, *g;
	uint64_t id;
	int fd = new_fd();

	assert_int_equal(inode_insert_root(t, fd, &st, 0, &root), 0);
	assert_int_equal(root->nodeid, VFS_ROOT_ID);
	assert_int_equal(inode_insert_root(t, fd, &st, 0, &a), -EEXIST);
	inode_forget(t, VFS_ROOT_ID, UINT64_MAX);
	g = get(t, VFS_ROOT_ID);
	assert_ptr_equal(g, root);
	inode_put(t, g);

	/* A lookup that reaches the root's (dev, ino) is the root. */
	assert_int_equal(inode_insert(t, new_fd(), &st, 0, &a), 0);
	assert_ptr_equal(a, root);
	inode_put(t, a);

	assert_int_equal(inode_insert(t, new_fd(), &other, 0, &a), 0);
	id = a->nodeid;
	inode_put(t, a);
	inode_forget_all(t);
	assert_null(get(t, id));
	assert_non_null(g = get(t, VFS_ROOT_ID));
	inode_put(t, g);
	assert_int_equal(inode_count(t), 1);
	assert_true(fd_open(fd));
	inode_put(t, root);
}

static void test_unlookup(void **state)
{
	struct inode_table *t = *state;
	struct stat st = key(11, 1);
	struct pt_inode *a;
	int fd = new_fd();

	assert_int_equal(inode_insert(t, fd, &st, 0, &a), 0);
	inode_unlookup(t, a);
	assert_null(get(t, a->nodeid));
	assert_true(fd_open(fd));
	inode_put(t, a);
	assert_false(fd_open(fd));
}

#define RACE_THREADS 4
#define RACE_ROUNDS 5000

struct race {
	struct inode_table *t;
	uint64_t last_id; /* racy hint only: read and written atomically */
};

/*
 * Lookups, forgets and operations on one file from several threads: the
 * counts must end at zero, no fd closed twice, no inode freed in use.
 */
static void *race_worker(void *arg)
{
	struct race *r = arg;
	struct stat st = key(12, 1);
	int i;

	for (i = 0; i < RACE_ROUNDS; i++) {
		struct pt_inode *a, *g;
		uint64_t hint;

		if (inode_insert(r->t, new_fd(), &st, 0, &a))
			return (void *)1;
		__atomic_store_n(&r->last_id, a->nodeid, __ATOMIC_RELAXED);
		inode_put(r->t, a);
		hint = __atomic_load_n(&r->last_id, __ATOMIC_RELAXED);
		g = get(r->t, hint);
		if (g) {
			/* Whatever we hold keeps its fd open. */
			if (fcntl(g->fd, F_GETFD) < 0)
				return (void *)2;
			inode_put(r->t, g);
		}
		inode_forget(r->t, a->nodeid, 1);
	}
	return NULL;
}

static void test_concurrent_lookup_forget(void **state)
{
	struct race r = { .t = *state };
	pthread_t th[RACE_THREADS];
	void *ret;
	int i;

	for (i = 0; i < RACE_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_worker, &r),
				 0);
	for (i = 0; i < RACE_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(inode_count(r.t), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_insert_and_dedup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_nodeids, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_forget_to_zero, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_forget_huge_counts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lookup_overflow, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ids_never_reused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ref_outlives_forget, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_root_pinned, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unlookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_lookup_forget,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
