/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared fixture of the passthrough tests: a pt_fs over a fresh temporary
 * directory per test, and helpers that call pt_ops or look at the host.
 * The tests run as root (the daemon does) and skip otherwise.
 */
#ifndef VFSD_TESTS_PT_FIXTURE_H
#define VFSD_TESTS_PT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/passthrough.h"
#include "fs/pt_internal.h"

extern const struct vfs_ctx root_ctx;	/* uid 0 */
extern const struct vfs_ctx user_ctx;	/* uid/gid 1000 */
extern const struct vfs_ops *const ops;

/*
 * An operation as the session makes it (fuse/dispatch.c): begin() as the
 * caller ctx, the operation, end(). 0 or -errno.
 */
#define OP(name, fs, ctx, ...)                                          \
	({                                                              \
		int op_err_ = ops->begin((fs), (ctx));                  \
		if (!op_err_)                                           \
			op_err_ = ops->name((fs), (ctx), __VA_ARGS__);  \
		ops->end(fs);                                           \
		op_err_;                                                \
	})

struct env {
	char dir[64];
	struct pt_fs *fs;
};

int pt_setup(void **state);
int pt_teardown(void **state);

#define PT_TEST(f) cmocka_unit_test_setup_teardown(f, pt_setup, pt_teardown)

#define REQUIRE_ROOT()            \
	do {                      \
		if (geteuid() != 0) \
			skip();   \
	} while (0)

/** Host path of rel inside the share (the last four stay valid). */
const char *hp(struct env *e, const char *rel);

uint64_t do_lookup(struct env *e, uint64_t parent, const char *name);
/** CREATE as root, O_RDWR, mode 0644; returns the nodeid. */
uint64_t do_create(struct env *e, uint64_t parent, const char *name,
		   uint64_t *fh);
void write_str(struct env *e, uint64_t fh, uint64_t off, const char *s);

/* On the host, as root (they reset the thread's credentials). */
void host_stat(const char *p, struct stat *st);
void host_touch(const char *p, mode_t mode);
void host_read(const char *p, char *buf, size_t size);

/** A READDIR packer that takes up to limit entries. */
struct coll {
	unsigned int limit;
	unsigned int n;
	char names[128][32];
	uint64_t off[128];
	uint64_t nodeid[128]; /* UINT64_MAX for plain READDIR */
	uint32_t type[128];
};

int collect(void *arg, const struct vfs_dirent *d);
int count_name(const struct coll *c, const char *name);
/** Read on in batches of batch entries from off, each from the last cookie. */
void read_rest(struct env *e, uint64_t fh, struct coll *c, unsigned int batch,
	       bool plus, uint64_t off);

#endif
