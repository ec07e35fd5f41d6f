/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vfsd config` output and the parsers behind `vfsd config` and
 * `vfsd check`: sizes, tags, system directories, and the escaping of paths
 * into XML, shell words, QEMU option values and fstab fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/setup_check.h"
#include "cli/setup_config.h"

static void test_parse_size(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(setup_parse_size("8G", &v), 0);
	assert_true(v == 8ull << 30);
	assert_int_equal(setup_parse_size("512", &v), 0);
	assert_true(v == 512ull << 20);
	assert_int_equal(setup_parse_size("1024k", &v), 0);
	assert_true(v == 1ull << 20);
	assert_int_equal(setup_parse_size("2GiB", &v), 0);
	assert_true(v == 2ull << 30);
	assert_int_equal(setup_parse_size("3MB", &v), 0);
	assert_true(v == 3ull << 20);
	assert_int_equal(setup_parse_size("1T", &v), 0);
	assert_true(v == 1ull << 40);

	assert_int_equal(setup_parse_size("", &v), -1);
	assert_int_equal(setup_parse_size("0", &v), -1);
	assert_int_equal(setup_parse_size("-1G", &v), -1);
	assert_int_equal(setup_parse_size("G", &v), -1);
	assert_int_equal(setup_parse_size("8X", &v), -1);
	assert_int_equal(setup_parse_size("8Gx", &v), -1);
	assert_int_equal(setup_parse_size("8 G", &v), -1);
	assert_int_equal(setup_parse_size("16777216T", &v), -1);
	assert_int_equal(setup_parse_size("99999999999999999999", &v), -1);
}

static void test_check_tag(void **state)
{
	(void)state;
	assert_int_equal(setup_check_tag("myfs"), 0);
	assert_int_equal(setup_check_tag("a-b_c.d:1"), 0);
	assert_int_equal(setup_check_tag("123456789012345678901234567890123456"), 0);
	assert_int_equal(setup_check_tag("1234567890123456789012345678901234567"), -1);
	assert_int_equal(setup_check_tag(""), -1);
	assert_int_equal(setup_check_tag(NULL), -1);
	assert_int_equal(setup_check_tag("a b"), -1);
	assert_int_equal(setup_check_tag("a,b"), -1);
	assert_int_equal(setup_check_tag("a'b"), -1);
	assert_int_equal(setup_check_tag("a<b"), -1);
	assert_int_equal(setup_check_tag("a\tb"), -1);
	assert_int_equal(setup_check_tag("caf\xc3\xa9"), -1);
}

static void test_system_dirs(void **state)
{
	(void)state;
	assert_true(setup_is_system_dir("/"));
	assert_true(setup_is_system_dir("/etc"));
	assert_true(setup_is_system_dir("/etc/ssh"));
	assert_true(setup_is_system_dir("/usr/share"));
	assert_true(setup_is_system_dir("/proc/1/root"));
	assert_true(setup_is_system_dir("/var"));
	assert_true(setup_is_system_dir("/home"));
	assert_false(setup_is_system_dir("/srv/vfsd/vm1"));
	assert_false(setup_is_system_dir("/etcetera"));
	assert_false(setup_is_system_dir("/usrdata"));
	assert_false(setup_is_system_dir("/var/lib/vm1"));
	assert_false(setup_is_system_dir("/home/alice/share"));
}

/* The text setup_config_print() writes for c. */
static char *print(const struct setup_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(setup_config_print(f, c), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static const struct setup_config base = {
	.tag = "vm1fs",
	.shared_dir = "/srv/vfsd/a, b's & <c>",
	.binary = "/usr/libexec/vfsd",
	.socket_path = "/run/vfsd/x,y z.sock",
	.mount_point = "/mnt/my share\\x",
	.memory = 8ull << 30,
	.cpus = 2,
	.backing = SETUP_BACKING_MEMFD,
	.format = SETUP_FORMAT_LIBVIRT,
};

static void test_libvirt(void **state)
{
	struct setup_config c = base;
	char *s;

	(void)state;
	s = print(&c);
	assert_non_null(strstr(s, "<memory unit='KiB'>8388608</memory>\n"));
	assert_non_null(strstr(s, "<vcpu placement='static'>2</vcpu>\n"));
	assert_non_null(strstr(s, "<source type='memfd'/>\n  <access mode='shared'/>\n"));
	assert_non_null(strstr(s, "<cell id='0' cpus='0-1' memory='8388608' unit='KiB' memAccess='shared'/>"));
	assert_non_null(strstr(s, "<driver type='virtiofs' queue='1024'/>"));
	assert_non_null(strstr(s, "<binary path='/usr/libexec/vfsd'/>"));
	assert_non_null(strstr(s, "<source dir='/srv/vfsd/a, b&apos;s &amp; &lt;c&gt;'/>"));
	assert_non_null(strstr(s, "<target dir='vm1fs'/>"));
	/* The filesystem element sits inside <devices>, after everything else. */
	assert_true(strstr(s, "<devices>\n  <filesystem") > strstr(s, "</cpu>"));
	free(s);

	c.binary = NULL;
	c.cpus = 1;
	c.backing = SETUP_BACKING_FILE;
	s = print(&c);
	assert_null(strstr(s, "<binary"));
	assert_non_null(strstr(s, "<cell id='0' cpus='0' "));
	assert_non_null(strstr(s, "<source type='file'/>"));
	free(s);

	c.binary = "/opt/vfsd";
	c.cache = "none";
	c.sandbox = "chroot";
	c.thread_pool_size = 4;
	s = print(&c);
	assert_non_null(strstr(s, "<binary path='/opt/vfsd'>\n"
				  "      <cache mode='none'/>\n"
				  "      <sandbox mode='chroot'/>\n"
				  "      <thread_pool size='4'/>\n"
				  "    </binary>\n"));
	free(s);

	/* libvirt 9 has no cache mode "auto": leave <cache> out. */
	c.cache = "auto";
	c.sandbox = NULL;
	c.thread_pool_size = 0;
	s = print(&c);
	assert_non_null(strstr(s, "<binary path='/opt/vfsd'/>"));
	assert_null(strstr(s, "<cache"));
	free(s);
}

static void test_qemu(void **state)
{
	struct setup_config c = base;
	char *s;

	(void)state;
	c.format = SETUP_FORMAT_QEMU;
	c.cache = "never";
	s = print(&c);
	/* The socket's directory first: vfsd does not create it. */
	assert_non_null(strstr(s, "\nmkdir -p -m 0700 /run/vfsd\n/usr/libexec/vfsd "));
	assert_non_null(strstr(s, "/usr/libexec/vfsd --socket-path='/run/vfsd/x,y z.sock' "
				  "--shared-dir='/srv/vfsd/a, b'\\''s & <c>' --cache=never &\n"));
	assert_non_null(strstr(s, "-m 8192M -smp 2"));
	assert_non_null(strstr(s, "-object memory-backend-memfd,id=mem,size=8192M,share=on"));
	assert_non_null(strstr(s, "-numa node,memdev=mem"));
	/* QEMU reads ",," as a comma inside the path. */
	assert_non_null(strstr(s, "-chardev 'socket,id=vfsd0,path=/run/vfsd/x,,y z.sock'"));
	assert_non_null(strstr(s, "-device vhost-user-fs-pci,chardev=vfsd0,tag=vm1fs\n"));
	free(s);

	c.backing = SETUP_BACKING_FILE;
	c.binary = NULL;
	s = print(&c);
	assert_non_null(strstr(s, "memory-backend-file,id=mem,size=8192M,mem-path=/dev/shm,share=on"));
	assert_non_null(strstr(s, "\n/usr/"));
	free(s);

	/* A socket in the working directory needs no mkdir. */
	c.socket_path = "here.sock";
	s = print(&c);
	assert_null(strstr(s, "mkdir"));
	free(s);
}

static void test_fstab(void **state)
{
	struct setup_config c = base;
	char *s;

	(void)state;
	c.format = SETUP_FORMAT_FSTAB;
	s = print(&c);
	assert_non_null(strstr(s, "mount -t virtiofs vm1fs '/mnt/my share\\x'\n"));
	assert_non_null(strstr(s, "\nvm1fs /mnt/my\\040share\\134x virtiofs defaults,nofail 0 0\n"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_check_tag),
		cmocka_unit_test(test_system_dirs),
		cmocka_unit_test(test_libvirt),
		cmocka_unit_test(test_qemu),
		cmocka_unit_test(test_fstab),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
