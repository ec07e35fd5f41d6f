/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "pt_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/creds.h"
#include "tmptree.h"

const struct vfs_ctx root_ctx = { .uid = 0, .gid = 0, .pid = 1 };
const struct vfs_ctx user_ctx = { .uid = 1000, .gid = 1000, .pid = 2 };
const struct vfs_ops *const ops = &pt_ops;

const char *hp(struct env *e, const char *rel)
{
	static char path[4][512];
	static unsigned int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", e->dir, rel);
	return p;
}

int pt_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	const char *budget = getenv("VFSD_TEST_INODE_FD_BUDGET");
	const char *names = getenv("VFSD_TEST_INODE_BY_NAME");
	struct pt_opts opts = { 0 };

	if (!e)
		return -1;
	strcpy(e->dir, "/tmp/vfsd-pt-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	opts.shared_dir = e->dir;
	/*
	 * The same tests with idle fds closed at once, opened again by file
	 * handle or by name; by default one fd per inode.
	 */
	opts.inode_fd_budget = PT_FD_BUDGET_UNLIMITED;
	if (budget) {
		opts.inode_file_handles = names ? INODE_FH_NEVER :
						  INODE_FH_MANDATORY;
		opts.inode_fd_budget = strtoull(budget, NULL, 10);
	}
	if (pt_new(&e->fs, &opts))
		return -1;
	*state = e;
	return 0;
}

int pt_teardown(void **state)
{
	struct env *e = *state;
	int ret;

	if (creds_reset())
		return -1;
	pt_free(e->fs);
	ret = tmptree_remove(e->dir);
	free(e);
	return ret ? -1 : 0;
}

uint64_t do_lookup(struct env *e, uint64_t parent, const char *name)
{
	struct vfs_entry ent;

	assert_int_equal(OP(lookup, e->fs, &root_ctx, parent, name, &ent), 0);
	return ent.nodeid;
}

uint64_t do_create(struct env *e, uint64_t parent, const char *name,
			  uint64_t *fh)
{
	struct vfs_entry ent;

	assert_int_equal(OP(create, e->fs, &root_ctx, parent, name,
				     S_IFREG | 0644, O_RDWR | O_CREAT, 022,
				     &ent, fh),
			 0);
	return ent.nodeid;
}

void write_str(struct env *e, uint64_t fh, uint64_t off, const char *s)
{
	struct iovec iov = { .iov_base = (void *)s, .iov_len = strlen(s) };
	size_t n = 0;

	assert_int_equal(OP(write, e->fs, &root_ctx, 0, fh, off, &iov, 1,
				    false, &n),
			 0);
	assert_int_equal(n, strlen(s));
}

void host_stat(const char *p, struct stat *st)
{
	assert_int_equal(creds_reset(), 0);
	assert_int_equal(lstat(p, st), 0);
}

void host_touch(const char *p, mode_t mode)
{
	int fd;

	assert_int_equal(creds_reset(), 0);
	fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
}

void host_read(const char *p, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	assert_int_equal(creds_reset(), 0);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, size - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

int collect(void *arg, const struct vfs_dirent *d)
{
	struct coll *c = arg;

	if (c->n >= c->limit || c->n >= 128)
		return 1;
	assert_true(d->namelen < sizeof(c->names[0]));
	memcpy(c->names[c->n], d->name, d->namelen);
	c->names[c->n][d->namelen] = '\0';
	c->off[c->n] = d->next_off;
	c->type[c->n] = d->type;
	c->nodeid[c->n] = d->entry ? d->entry->nodeid : UINT64_MAX;
	c->n++;
	return 0;
}

int count_name(const struct coll *c, const char *name)
{
	unsigned int i;
	int k = 0;

	for (i = 0; i < c->n; i++)
		k += !strcmp(c->names[i], name);
	return k;
}

void read_rest(struct env *e, uint64_t fh, struct coll *c,
		      unsigned int batch, bool plus, uint64_t off)
{
	for (;;) {
		unsigned int before = c->n;

		c->limit = c->n + batch;
		assert_int_equal(OP(readdir, e->fs, &root_ctx, 0, fh, off,
					      plus, collect, c),
				 0);
		if (c->n == before)
			return;
		off = c->off[c->n - 1];
	}
}

