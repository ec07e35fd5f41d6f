/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --fsname and --subtype, the names a --fuse-mount gets in /proc/mounts:
 * what a mount helper passes is kept as given, a name a mount table or
 * mount(8) could not carry is refused, and both need --fuse-mount.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/options.h"
#include "parse_argv.h"


static void test_names_kept(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&o, err, "--fuse-mount=/mnt", "--shared-dir=/d"),
			 0);
	assert_null(o.fsname);
	assert_null(o.subtype);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--fuse-mount=/mnt", "--shared-dir=/d",
			       "--fsname=non1", "--subtype", "my_fs-2.x+"),
			 0);
	assert_string_equal(o.fsname, "non1");
	assert_string_equal(o.subtype, "my_fs-2.x+");
	options_free(&o);

	/* Empty: plain "fuse", the type xfstests' FSTYP=fuse looks for. */
	assert_int_equal(PARSE(&o, err, "--fuse-mount=/mnt", "--shared-dir=/d",
			       "--subtype="),
			 0);
	assert_string_equal(o.subtype, "");
	options_free(&o);

	/* A source may hold what a path may, spaces and commas included. */
	assert_int_equal(PARSE(&o, err, "--fuse-mount=/mnt", "--shared-dir=/d",
			       "--fsname=/srv/my share,1"),
			 0);
	assert_string_equal(o.fsname, "/srv/my share,1");
	options_free(&o);
}

static void expect_refused(const char *arg, const char *why)
{
	struct vfsd_options o;
	char err[256] = "";

	assert_int_equal(PARSE(&o, err, "--fuse-mount=/mnt", "--shared-dir=/d",
			       (char *)arg),
			 -1);
	if (!strstr(err, why))
		fail_msg("%s: '%s' lacks '%s'", arg, err, why);
	options_free(&o);
}

static void test_names_refused(void **state)
{
	char longname[1100];

	(void)state;
	expect_refused("--fsname=", "1 to 1024 bytes");
	expect_refused("--fsname=a\nb", "control character");
	expect_refused("--fsname=a\tb", "control character");
	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "--fsname=", 9);
	longname[sizeof(longname) - 1] = '\0';
	expect_refused(longname, "1 to 1024 bytes");
	/* mount(8) would look for /sbin/mount.fuse.../x */
	expect_refused("--subtype=../x", "letters, digits");
	expect_refused("--subtype=a b", "letters, digits");
	expect_refused("--subtype=a,b", "letters, digits");
	expect_refused("--subtype=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		       "at most 64 bytes");
}

static void test_only_with_fuse_mount(void **state)
{
	char dir[] = "/tmp/vfsd-opt-XXXXXX";
	char sock[64];
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/s.sock", dir);
	assert_int_equal(PARSE(&o, err, "--socket-path", sock, "--shared-dir",
			       dir, "--fsname=x"),
			 0);
	assert_int_equal(options_check(&o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "apply only to --fuse-mount"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--socket-path", sock, "--shared-dir",
			       dir, "--subtype=vfsd"),
			 0);
	assert_int_equal(options_check(&o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "apply only to --fuse-mount"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--fuse-mount", dir, "--shared-dir",
			       dir, "--fsname=x", "--subtype="),
			 0);
	assert_int_equal(options_check(&o, err, sizeof(err)), 0);
	options_free(&o);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_kept),
		cmocka_unit_test(test_names_refused),
		cmocka_unit_test(test_only_with_fuse_mount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
