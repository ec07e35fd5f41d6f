/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FUSE_SECURITY_CTX block decoder: the layout the guest's kernel
 * sends, split over iovecs, and every way its sizes can lie.
 */
#include <errno.h>
#include <linux/fuse.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fuse/secctx.h"

#define LABEL "system_u:object_r:tmp_t:s0"

/*
 * Build a block as fs/fuse/dir.c get_security_context() does; returns
 * its length. hsize and vsize override the header's and the record's
 * sizes when not UINT32_MAX.
 */
static size_t block(uint8_t *buf, uint32_t nr, const char *name,
		    const char *value, uint32_t hsize, uint32_t vsize)
{
	struct fuse_secctx_header h = { .nr_secctx = nr };
	struct fuse_secctx f = { .size = (uint32_t)strlen(value) };
	size_t len = sizeof(h);

	if (nr) {
		size_t rec = sizeof(f) + strlen(name) + 1 + strlen(value);

		len += FUSE_REC_ALIGN(rec);
	}
	memset(buf, 0, len + 64);
	h.size = hsize != UINT32_MAX ? hsize : (uint32_t)len;
	if (vsize != UINT32_MAX)
		f.size = vsize;
	memcpy(buf, &h, sizeof(h));
	if (nr) {
		uint8_t *p = buf + sizeof(h);

		memcpy(p, &f, sizeof(f));
		p += sizeof(f);
		memcpy(p, name, strlen(name) + 1);
		p += strlen(name) + 1;
		memcpy(p, value, strlen(value));
	}
	return len;
}

static int decode(const uint8_t *buf, size_t len, struct secctx *sc)
{
	struct iovec iov = { (void *)buf, len };
	struct fuse_reader r;
	int ret;

	fr_init(&r, &iov, 1, len);
	ret = secctx_read(&r, sc);
	return ret;
}

static void test_kernel_layout(void **state)
{
	uint8_t buf[256];
	struct secctx sc;
	size_t len;

	(void)state;
	len = block(buf, 1, "security.selinux", LABEL, UINT32_MAX, UINT32_MAX);
	assert_int_equal(len % 8, 0);
	assert_int_equal(decode(buf, len, &sc), 0);
	assert_true(sc.present);
	assert_string_equal(sc.name, "security.selinux");
	assert_int_equal(sc.size, strlen(LABEL));
	assert_memory_equal(sc.value, LABEL, sc.size);
	secctx_free(&sc);
	assert_null(sc.value);
}

/* Split in the middle of every field: the reader walks iovecs. */
static void test_split_iovecs(void **state)
{
	uint8_t buf[256];
	struct iovec iov[4];
	struct fuse_reader r;
	struct secctx sc;
	size_t len;

	(void)state;
	len = block(buf, 1, "security.selinux", LABEL, UINT32_MAX, UINT32_MAX);
	iov[0] = (struct iovec){ buf, 3 };
	iov[1] = (struct iovec){ buf + 3, 9 };
	iov[2] = (struct iovec){ buf + 12, 14 };
	iov[3] = (struct iovec){ buf + 26, len - 26 };
	fr_init(&r, iov, 4, len);
	assert_int_equal(secctx_read(&r, &sc), 0);
	assert_memory_equal(sc.value, LABEL, sc.size);
	assert_int_equal(fr_remaining(&r), 0);
	secctx_free(&sc);
}

static void test_none(void **state)
{
	uint8_t buf[128];
	struct secctx sc;
	size_t len;

	(void)state;
	/* No LSM in the guest: a header that says so. */
	len = block(buf, 0, "", "", UINT32_MAX, UINT32_MAX);
	assert_int_equal(len, sizeof(struct fuse_secctx_header));
	assert_int_equal(decode(buf, len, &sc), 0);
	assert_false(sc.present);
	secctx_free(&sc);
	/* A kernel that sent nothing at all. */
	assert_int_equal(decode(buf, 0, &sc), 0);
	assert_false(sc.present);
	secctx_free(&sc);
}

static void expect_bad(const uint8_t *buf, size_t len, int want)
{
	struct secctx sc;

	assert_int_equal(decode(buf, len, &sc), want);
	secctx_free(&sc);
}

static void test_malformed_sizes(void **state)
{
	uint8_t buf[256];
	size_t len;

	(void)state;
	/* Header cut short, header size below itself, past the request. */
	len = block(buf, 1, "security.selinux", LABEL, UINT32_MAX, UINT32_MAX);
	expect_bad(buf, 5, -EINVAL);
	block(buf, 1, "security.selinux", LABEL, 4, UINT32_MAX);
	expect_bad(buf, len, -EINVAL);
	block(buf, 1, "security.selinux", LABEL, (uint32_t)len + 1,
	      UINT32_MAX);
	expect_bad(buf, len, -EINVAL);
	block(buf, 1, "security.selinux", LABEL, UINT32_MAX - 3, UINT32_MAX);
	expect_bad(buf, len, -EINVAL);
	/* A record longer than the header's size allows. */
	block(buf, 1, "security.selinux", LABEL, 16, UINT32_MAX);
	expect_bad(buf, len, -EINVAL);
	/* The value's size past the block, and past any xattr. */
	block(buf, 1, "security.selinux", LABEL, UINT32_MAX, 200);
	expect_bad(buf, len, -EINVAL);
	block(buf, 1, "security.selinux", LABEL, UINT32_MAX,
	      XATTR_SIZE_MAX + 1);
	expect_bad(buf, len, -E2BIG);
	block(buf, 1, "security.selinux", LABEL, UINT32_MAX, UINT32_MAX - 1);
	expect_bad(buf, len, -E2BIG);
	/* More contexts than a kernel sends. */
	block(buf, 2, "security.selinux", LABEL, UINT32_MAX, UINT32_MAX);
	expect_bad(buf, len, -EINVAL);
	block(buf, UINT32_MAX, "security.selinux", LABEL, UINT32_MAX,
	      UINT32_MAX);
	expect_bad(buf, len, -EINVAL);
}

static void test_bad_names(void **state)
{
	uint8_t buf[512];
	char longname[300];
	size_t len, off;

	(void)state;
	/* Only LSM labels, and a name must end inside the block. */
	len = block(buf, 1, "trusted.overlay", LABEL, UINT32_MAX, UINT32_MAX);
	expect_bad(buf, len, -EINVAL);
	len = block(buf, 1, "security.", LABEL, UINT32_MAX, UINT32_MAX);
	expect_bad(buf, len, -EINVAL);
	len = block(buf, 1, "security.selinux", "", UINT32_MAX, UINT32_MAX);
	/* ...its NUL and the padding overwritten: no end inside the block. */
	off = sizeof(struct fuse_secctx_header) + sizeof(struct fuse_secctx) +
	      16;
	memset(buf + off, 'x', len - off);
	expect_bad(buf, len, -EINVAL);
	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "security.", 9);
	longname[sizeof(longname) - 1] = '\0';
	len = block(buf, 1, longname, LABEL, UINT32_MAX, UINT32_MAX);
	expect_bad(buf, len, -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_layout),
		cmocka_unit_test(test_split_iovecs),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_malformed_sizes),
		cmocka_unit_test(test_bad_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
