/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pure parts of the confinement: --modcaps parsing, the /proc status
 * checks, and what the seccomp allowlist must never contain.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy/caps.h"
#include "policy/mounts.h"
#include "policy/seccomp.h"

#define BIT(n) ((caps_set_t)1 << (n))

static void test_default_set(void **state)
{
	(void)state;
	/* CHOWN DAC_OVERRIDE FOWNER FSETID SETGID SETUID MKNOD SETFCAP */
	assert_int_equal(caps_default(), 0x880000dbull);
}

static void test_modcaps(void **state)
{
	caps_set_t set = caps_default();
	char err[128];

	(void)state;
	assert_int_equal(caps_parse_mod("+sys_admin:-mknod", &set, err,
					sizeof(err)), 0);
	assert_int_equal(set, (caps_default() | BIT(21)) & ~BIT(27));
	/* Any case, with or without the prefix; a second '-' is harmless. */
	assert_int_equal(caps_parse_mod("-CAP_CHOWN:-chown:+Dac_Read_Search",
					&set, err, sizeof(err)), 0);
	assert_int_equal(set & BIT(0), 0);
	assert_int_not_equal(set & BIT(2), 0);
}

static void test_modcaps_refused(void **state)
{
	static const char *const bad[] = {
		"", "chown", "+", "-", "+chown:", ":+chown", "+chown::-mknod",
		"+nonsense", "+cap_", "*chown",
		"+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		caps_set_t set = caps_default();

		err[0] = '\0';
		assert_int_equal(caps_parse_mod(bad[i], &set, err, sizeof(err)),
				 -1);
		assert_int_equal(set, caps_default());
		assert_true(err[0] != '\0');
	}
}

static const char status_ok[] =
	"Name:\tvfsd\nCapInh:\t0000000000000000\nCapPrm:\t00000000880000db\n"
	"CapEff:\t00000000880000db\nCapBnd:\t00000000880000db\n"
	"NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n";

static void test_status_checks(void **state)
{
	char err[128];

	(void)state;
	assert_int_equal(caps_verify(status_ok, caps_default(), err,
				     sizeof(err)), 0);
	assert_int_equal(seccomp_verify(status_ok, SECCOMP_MODE_KILL, err,
					sizeof(err)), 0);
	/* One capability more than asked for is a failure. */
	assert_int_equal(caps_verify(status_ok, caps_default() & ~BIT(27), err,
				     sizeof(err)), -1);
	assert_non_null(strstr(err, "CapEff"));
	assert_int_equal(seccomp_verify(status_ok, SECCOMP_MODE_NONE, err,
					sizeof(err)), -1);
	assert_int_equal(seccomp_verify("Seccomp:\t0\n", SECCOMP_MODE_NONE, err,
					sizeof(err)), 0);
	assert_int_equal(seccomp_verify("NoNewPrivs:\t0\nSeccomp:\t2\n",
					SECCOMP_MODE_KILL, err, sizeof(err)),
			 -1);
	assert_int_equal(seccomp_verify("Seccomp:\t2x\n", SECCOMP_MODE_KILL,
					err, sizeof(err)), -1);
	assert_int_equal(caps_verify("CapEff:\t00000000880000db\n",
				     caps_default(), err, sizeof(err)), -1);
	assert_int_equal(caps_verify("", caps_default(), err, sizeof(err)), -1);
}

/*
 * CAP_SYS_ADMIN, kept on request, is permitted but never effective but
 * while a trusted.* request borrows it; what a guest user's request may
 * borrow never includes CAP_DAC_READ_SEARCH, nor what the set lacks.
 */
static void test_held_back_and_borrowable(void **state)
{
	static const char admin[] =
		"CapInh:\t0000000000000000\nCapPrm:\t00000000882000db\n"
		"CapEff:\t00000000880000db\n";
	static const char admin_eff[] =
		"CapInh:\t0000000000000000\nCapPrm:\t00000000882000db\n"
		"CapEff:\t00000000882000db\n";
	caps_set_t with_admin = caps_default() | BIT(21);
	char err[128];

	(void)state;
	assert_int_equal(caps_held_back(caps_default()), 0);
	assert_int_equal(caps_held_back(with_admin), BIT(21));
	assert_int_equal(caps_verify(admin, with_admin, err, sizeof(err)), 0);
	assert_int_equal(caps_verify(admin_eff, with_admin, err, sizeof(err)),
			 -1);
	/* CHOWN DAC_OVERRIDE FOWNER FSETID MKNOD SETFCAP of the default. */
	assert_int_equal(caps_borrowable(caps_default()),
			 BIT(0) | BIT(1) | BIT(3) | BIT(4) | BIT(27) | BIT(31));
	assert_int_equal(caps_borrowable(caps_default() | BIT(2)) & BIT(2), 0);
	assert_int_equal(caps_borrowable(with_admin) & BIT(21), BIT(21));
	assert_int_equal(caps_borrowable(BIT(1)), BIT(1));
}

/* What a compromised server must not be able to do. */
static void test_allowlist_excludes(void **state)
{
	static const char *const never[] = {
		"execve", "execveat", "fork", "vfork", "mount", "umount2",
		"pivot_root", "chroot", "unshare", "setns", "socket",
		"connect", "bind", "listen", "init_module", "finit_module",
		"delete_module", "kexec_load", "bpf", "perf_event_open",
		"keyctl", "add_key", "request_key", "seccomp",
		"process_vm_writev", "process_vm_readv",
		"personality", "reboot", "swapon", "acct", "setuid", "setgid",
		"userfaultfd", "io_uring_setup", "io_uring_register",
		"memfd_create", "open",
		"creat", "symlink", "link", "chmod", "chown", "mknod",
	};

	(void)state;
	assert_true(seccomp_allowlist_size() > 40);
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
#if defined(__SANITIZE_ADDRESS__)
		/* ASan's runtime reads /proc/self/maps with open(2). */
		if (!strcmp(never[i], "open"))
			continue;
#endif
		if (seccomp_allowlisted(never[i], 0))
			fail_msg("%s is on the allowlist", never[i]);
	}
	assert_false(seccomp_allowlisted("unlink", 0));
	assert_true(seccomp_allowlisted("unlink", SECCOMP_ALLOW_HOST_CLEANUP));
	assert_false(seccomp_allowlisted("no_such_call", 0));
	assert_true(seccomp_allowlisted("connect", SECCOMP_ALLOW_SYSLOG));
	assert_true(seccomp_allowlisted("socket", SECCOMP_ALLOW_SYSLOG));
}

/* What serving needs (a regression here kills every daemon at once). */
static void test_allowlist_includes(void **state)
{
	static const char *const needed[] = {
		"openat", "newfstatat", "read", "write", "preadv", "pwritev",
		"getdents64", "mknodat", "mkdirat", "unlinkat", "renameat2",
		"linkat", "symlinkat", "readlinkat", "fchownat", "fchmodat",
		"utimensat", "setresuid", "setresgid", "setgroups", "accept4",
		"recvmsg", "sendmsg", "poll", "mmap", "munmap", "futex",
		"clone3", "clone", "exit", "exit_group", "ioctl", "fcntl",
		"fgetxattr", "fsetxattr", "flistxattr", "fremovexattr", "flock",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (!seccomp_allowlisted(needed[i], 0))
			fail_msg("%s is missing from the allowlist", needed[i]);
}

/* Which shares file handles cannot reach past (policy/mounts.h). */
static void test_whole_filesystems(void **state)
{
	static const char mi[] =
		"21 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
		"30 21 0:40 / /srv/share rw - ext4 /dev/sdb1 rw\n"
		"31 30 0:41 / /srv/share/tmp rw - tmpfs tmpfs rw\n"
		"32 21 8:1 /home/u /srv/bound rw - ext4 /dev/sda1 rw\n"
		"33 21 0:42 / /srv/with\\040space rw - tmpfs tmpfs rw\n"
		"34 21 0:43 / /srv/mixed rw - tmpfs tmpfs rw\n"
		"35 34 8:1 /var /srv/mixed/var rw - ext4 /dev/sda1 rw\n";
	bool whole = true;

	(void)state;
	/* A whole filesystem with another whole one below it. */
	assert_int_equal(mounts_whole_in(mi, "/srv/share", &whole), 0);
	assert_true(whole);
	assert_int_equal(mounts_whole_in(mi, "/srv/share/tmp", &whole), 0);
	assert_true(whole);
	/* A directory of a filesystem: a handle reaches its siblings. */
	assert_int_equal(mounts_whole_in(mi, "/srv/share/sub", &whole), 0);
	assert_false(whole);
	assert_int_equal(mounts_whole_in(mi, "/srv", &whole), 0);
	assert_false(whole);
	/* A bind mount of a subdirectory, as the share or below it. */
	assert_int_equal(mounts_whole_in(mi, "/srv/bound", &whole), 0);
	assert_false(whole);
	assert_int_equal(mounts_whole_in(mi, "/srv/mixed", &whole), 0);
	assert_false(whole);
	/* Escaped names; a prefix that is not a path component. */
	assert_int_equal(mounts_whole_in(mi, "/srv/with space", &whole), 0);
	assert_true(whole);
	assert_int_equal(mounts_whole_in(mi, "/srv/sha", &whole), 0);
	assert_false(whole);
	/* The whole tree has a bind of a subdirectory somewhere. */
	assert_int_equal(mounts_whole_in(mi, "/", &whole), 0);
	assert_false(whole);
	assert_int_equal(mounts_whole_in("21 1 8:1\n", "/", &whole), -EINVAL);
	assert_false(whole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_set),
		cmocka_unit_test(test_modcaps),
		cmocka_unit_test(test_modcaps_refused),
		cmocka_unit_test(test_status_checks),
		cmocka_unit_test(test_held_back_and_borrowable),
		cmocka_unit_test(test_allowlist_excludes),
		cmocka_unit_test(test_allowlist_includes),
		cmocka_unit_test(test_whole_filesystems),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
