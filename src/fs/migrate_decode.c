/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filesystem's sections of a migration state, decoded and checked
 * before anything is opened (docs/MIGRATION.md has the layout). The
 * stream comes from the front end: every count is held against the bytes
 * that follow before anything is allocated, and every reference (a
 * parent, a handle's nodeid) against what was decoded so far.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/migrate.h"
#include "fs/vfs_ops.h"

static int bad(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool valid_type(uint32_t mode)
{
	switch (mode) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return true;
	}
	return false;
}

/* One component a lookup could have opened: no '/', NUL, "." or "..". */
static bool plain_name(const char *s, size_t n)
{
	if (n == 0 || n > MIG_NAME_MAX || memchr(s, '/', n) || memchr(s, 0, n))
		return false;
	return !(n == 1 && s[0] == '.') &&
	       !(n == 2 && s[0] == '.' && s[1] == '.');
}

static int decode_fs(struct rbuf *r, struct mig_fs *m, char *err,
		     size_t errlen)
{
	m->mode = rbuf_u32(r);
	m->flags = rbuf_u32(r);
	m->next_nodeid = rbuf_u64(r);
	m->next_fh = rbuf_u64(r);
	m->fsid = rbuf_u64(r);
	m->root_id_len = rbuf_u16(r);
	(void)rbuf_u16(r);
	m->root_id_type = (int32_t)rbuf_u32(r);
	if (m->root_id_len > MIG_ID_MAX)
		return bad(err, errlen, "root id of %u bytes", m->root_id_len);
	m->root_id = rbuf_bytes(r, m->root_id_len);
	if (r->failed)
		return bad(err, errlen, "the FS section is cut short");
	if (m->mode > PT_MIGRATE_FILE_HANDLES || (m->flags & ~MIG_FS_VERIFY))
		return bad(err, errlen, "unknown migration mode %u, flags %#x",
			   m->mode, m->flags);
	if (m->next_nodeid <= VFS_ROOT_ID || m->next_nodeid == UINT64_MAX ||
	    m->next_fh == 0 || m->next_fh == UINT64_MAX)
		return bad(err, errlen, "counters out of range");
	return 0;
}

/* The fields of node i, read but not yet checked against the others. */
static void read_node(struct rbuf *r, struct mig_node *n)
{
	n->nodeid = rbuf_u64(r);
	n->nlookup = rbuf_u64(r);
	n->parent = rbuf_u32(r);
	n->mode = rbuf_u32(r);
	n->flags = rbuf_u32(r);
	n->id_type = (int32_t)rbuf_u32(r);
	n->id_len = rbuf_u16(r);
	n->name_len = rbuf_u16(r);
	n->name = (const char *)rbuf_bytes(r, n->name_len);
	n->id = rbuf_bytes(r, n->id_len);
}

static int check_root(const struct mig_node *n, char *err, size_t errlen)
{
	if (n->nodeid != VFS_ROOT_ID || n->parent != MIG_NO_PARENT ||
	    n->name_len || n->mode != S_IFDIR)
		return bad(err, errlen, "the first node is not the root");
	return 0;
}

static int check_node(const struct mig_fs *m, size_t i, char *err,
		      size_t errlen)
{
	const struct mig_node *n = &m->nodes[i];

	if (!valid_type(n->mode))
		return bad(err, errlen, "node %zu: file type %#o", i, n->mode);
	if (n->id_len > MIG_ID_MAX || (n->flags & ~MIG_NODE_OPENABLE) ||
	    (!n->id_len && n->flags))
		return bad(err, errlen, "node %zu: id of %u bytes, flags %#x",
			   i, n->id_len, n->flags);
	if (i == 0)
		return check_root(n, err, errlen);
	if (n->nodeid == VFS_ROOT_ID || n->nodeid >= m->next_nodeid)
		return bad(err, errlen, "node %zu: nodeid %llu", i,
			   (unsigned long long)n->nodeid);
	/* A record without a nodeid is there only to be a parent. */
	if (n->nodeid == 0 && (n->nlookup || n->mode != S_IFDIR ||
			       n->parent == MIG_NO_PARENT))
		return bad(err, errlen, "node %zu: a parent-only record that "
			   "cannot be one", i);
	if (n->nodeid && !n->nlookup)
		return bad(err, errlen, "node %zu: no lookup count", i);
	if (n->parent == MIG_NO_PARENT)
		return n->name_len ?
			bad(err, errlen, "node %zu: a name without parent", i) :
			0;
	if (n->parent >= i || m->nodes[n->parent].mode != S_IFDIR)
		return bad(err, errlen, "node %zu: parent %u", i, n->parent);
	if (!plain_name(n->name, n->name_len))
		return bad(err, errlen, "node %zu: a name that is no single "
			   "component", i);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* nodeid (high 64 bits) and record index, sorted by nodeid. */
struct mig_idx {
	uint64_t nodeid;
	uint64_t index;
};

static int cmp_idx(const void *a, const void *b)
{
	return cmp_u64(a, b);
}

static int decode_nodes(struct rbuf *r, struct mig_fs *m, char *err,
			size_t errlen)
{
	uint64_t count = rbuf_u64(r);

	if (r->failed || count == 0 ||
	    count > rbuf_left(r) / MIG_NODE_MIN_SIZE || count > UINT32_MAX)
		return bad(err, errlen, "%llu nodes in %zu bytes",
			   (unsigned long long)count, rbuf_left(r));
	m->nodes = calloc((size_t)count, sizeof(*m->nodes));
	if (!m->nodes)
		return -ENOMEM;
	m->nnodes = (size_t)count;
	for (size_t i = 0; i < m->nnodes; i++) {
		int e;

		read_node(r, &m->nodes[i]);
		if (r->failed)
			return bad(err, errlen, "node %zu is cut short", i);
		e = check_node(m, i, err, errlen);
		if (e)
			return e;
	}
	if (rbuf_left(r))
		return bad(err, errlen, "%zu bytes after the nodes",
			   rbuf_left(r));
	return 0;
}

/* Every nodeid once; *out sorted by nodeid, for the handles to find. */
static int index_nodes(const struct mig_fs *m, struct mig_idx **out,
		       size_t *n, char *err, size_t errlen)
{
	struct mig_idx *v = calloc(m->nnodes, sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < m->nnodes; i++)
		if (m->nodes[i].nodeid)
			v[k++] = (struct mig_idx){ m->nodes[i].nodeid, i };
	qsort(v, k, sizeof(*v), cmp_idx);
	for (size_t i = 1; i < k; i++)
		if (v[i].nodeid == v[i - 1].nodeid) {
			uint64_t twice = v[i].nodeid;

			free(v);
			return bad(err, errlen, "nodeid %llu twice",
				   (unsigned long long)twice);
		}
	*out = v;
	*n = k;
	return 0;
}

static int check_handle(struct mig_fs *m, struct mig_handle *h,
			const struct mig_idx *idx, size_t nidx, char *err,
			size_t errlen)
{
	struct mig_idx key = { h->nodeid, 0 };
	const struct mig_idx *at;
	const struct mig_node *n;

	if (h->fh == 0 || h->fh >= m->next_fh ||
	    (h->kind != MIG_FILE && h->kind != MIG_DIR) ||
	    (h->flags & ~(uint32_t)MIG_OPEN_FLAGS) ||
	    (h->flags & O_ACCMODE) == O_ACCMODE || h->cookie > INT64_MAX)
		return bad(err, errlen, "handle %llu: fields out of range",
			   (unsigned long long)h->fh);
	at = h->nodeid ? bsearch(&key, idx, nidx, sizeof(*idx), cmp_idx) :
			 NULL;
	if (!at)
		return bad(err, errlen, "handle %llu of unknown nodeid %llu",
			   (unsigned long long)h->fh,
			   (unsigned long long)h->nodeid);
	h->node = (uint32_t)at->index;
	n = &m->nodes[h->node];
	if (h->kind == MIG_DIR ? n->mode != S_IFDIR ||
				 (h->flags & O_ACCMODE) != O_RDONLY :
				 n->mode != S_IFREG)
		return bad(err, errlen, "handle %llu does not fit its file",
			   (unsigned long long)h->fh);
	m->nodes[h->node].nhandles++;
	return 0;
}

static int decode_handles(struct rbuf *r, struct mig_fs *m,
			  const struct mig_idx *idx, size_t nidx, char *err,
			  size_t errlen)
{
	uint64_t count = rbuf_u64(r);
	uint64_t *fhs;
	int e = 0;

	if (r->failed || count != rbuf_left(r) / MIG_HANDLE_SIZE ||
	    rbuf_left(r) % MIG_HANDLE_SIZE)
		return bad(err, errlen, "%llu handles in %zu bytes",
			   (unsigned long long)count, rbuf_left(r));
	if (!count)
		return 0;
	m->handles = calloc((size_t)count, sizeof(*m->handles));
	fhs = calloc((size_t)count, sizeof(*fhs));
	if (!m->handles || !fhs) {
		free(fhs);
		return -ENOMEM;
	}
	m->nhandles = (size_t)count;
	for (size_t i = 0; i < m->nhandles && !e; i++) {
		struct mig_handle *h = &m->handles[i];

		h->fh = rbuf_u64(r);
		h->nodeid = rbuf_u64(r);
		h->kind = rbuf_u32(r);
		h->flags = rbuf_u32(r);
		h->cookie = rbuf_u64(r);
		fhs[i] = h->fh;
		e = check_handle(m, h, idx, nidx, err, errlen);
	}
	if (!e) {
		qsort(fhs, m->nhandles, sizeof(*fhs), cmp_u64);
		for (size_t i = 1; i < m->nhandles && !e; i++)
			if (fhs[i] == fhs[i - 1])
				e = bad(err, errlen, "fh %llu twice",
					(unsigned long long)fhs[i]);
	}
	free(fhs);
	return e;
}

int mig_decode(const struct state_view *v, struct mig_fs *out, char *err,
	       size_t errlen)
{
	struct rbuf fs, nodes, handles;
	struct mig_idx *idx = NULL;
	size_t nidx = 0;
	int e;

	memset(out, 0, sizeof(*out));
	if (!v->has[STATE_SEC_FS] || !v->has[STATE_SEC_NODES])
		return bad(err, errlen, "no filesystem sections");
	fs = v->sec[STATE_SEC_FS];
	nodes = v->sec[STATE_SEC_NODES];
	e = decode_fs(&fs, out, err, errlen);
	if (!e)
		e = decode_nodes(&nodes, out, err, errlen);
	if (!e)
		e = index_nodes(out, &idx, &nidx, err, errlen);
	if (!e && v->has[STATE_SEC_HANDLES]) {
		handles = v->sec[STATE_SEC_HANDLES];
		e = decode_handles(&handles, out, idx, nidx, err, errlen);
	}
	free(idx);
	if (e)
		mig_fs_free(out);
	return e;
}

void mig_fs_free(struct mig_fs *m)
{
	free(m->nodes);
	free(m->handles);
	m->nodes = NULL;
	m->handles = NULL;
	m->nnodes = m->nhandles = 0;
}
