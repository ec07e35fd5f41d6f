/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command line as users and libvirt really write it: both dialects,
 * '=' or a space before values, libvirt's doubled commas, and one clear
 * reason for every refusal.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/defaults_file.h"
#include "cli/options.h"
#include "fs/passthrough.h"
#include "parse_argv.h"
#include "util/log.h"

static void test_modern_equals_and_space(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&o, err, "--socket-path=/run/a.sock",
			       "--shared-dir", "/srv/share", "--cache", "always",
			       "--thread-pool-size=8", "--log-level", "debug",
			       "--syslog", "--writeback"),
			 0);
	assert_string_equal(o.socket_path, "/run/a.sock");
	assert_string_equal(o.shared_dir, "/srv/share");
	assert_int_equal(o.cache, FUSE_CACHE_ALWAYS);
	assert_int_equal(o.thread_pool_size, 8);
	assert_int_equal(o.log_level, LOG_LVL_DEBUG);
	assert_true(o.use_syslog);
	assert_true(o.writeback);
	assert_int_equal(o.listen_fd, -1);
	assert_int_equal(o.action, VFSD_SERVE);
	options_free(&o);
}

static void test_defaults(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&o, err, "--socket-path=/s", "--shared-dir=/d"),
			 0);
	assert_int_equal(o.cache, FUSE_CACHE_AUTO);
	assert_true(o.readdirplus);
	assert_false(o.writeback);
	assert_int_equal(o.thread_pool_size, 0);
	assert_int_equal(o.log_level, LOG_LVL_INFO);
	/* Confined by default, like virtiofsd. */
	assert_int_equal(o.sandbox, VFSD_SANDBOX_NAMESPACE);
	assert_int_equal(o.seccomp, VFSD_SECCOMP_KILL);
	assert_null(o.modcaps);
	options_free(&o);
}

static void test_sandbox_options(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&o, err, "--sandbox=chroot", "--seccomp=log",
			       "--modcaps=+sys_admin:-mknod"),
			 0);
	assert_int_equal(o.sandbox, VFSD_SANDBOX_CHROOT);
	assert_int_equal(o.seccomp, VFSD_SECCOMP_LOG);
	assert_string_equal(o.modcaps, "+sys_admin:-mknod");
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "-o", "sandbox=none,modcaps=-chown",
			       "--seccomp=trap"),
			 0);
	assert_int_equal(o.sandbox, VFSD_SANDBOX_NONE);
	assert_int_equal(o.seccomp, VFSD_SECCOMP_TRAP);
	assert_string_equal(o.modcaps, "-chown");
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--seccomp=none", "--sandbox=namespace"),
			 0);
	assert_int_equal(o.seccomp, VFSD_SECCOMP_NONE);
	assert_int_equal(o.sandbox, VFSD_SANDBOX_NAMESPACE);
	options_free(&o);
}

/* What libvirt 9.0 runs, with a comma and a space in the directory. */
static void test_libvirt_legacy_line(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&o, err, "--fd=23",
			       "-o",
			       "source=/var/lib/a,,b c,cache=none,sandbox=none,"
			       "no_xattr,no_flock,no_posix_lock",
			       "--thread-pool-size=16", "-d"),
			 0);
	assert_string_equal(o.shared_dir, "/var/lib/a,b c");
	assert_int_equal(o.listen_fd, 23);
	assert_int_equal(o.cache, FUSE_CACHE_NEVER);
	assert_int_equal(o.thread_pool_size, 16);
	assert_int_equal(o.log_level, LOG_LVL_DEBUG);
	/* cache=never returns nothing the guest could keep: no readdirplus. */
	assert_false(o.readdirplus);
	assert_false(o.xattr);
	assert_false(o.flock);
	assert_false(o.posix_lock);
	options_free(&o);
}

static void test_xattr_and_locks(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	/* xattrs and locks off, as the defaults (virtiofsd's for xattrs). */
	assert_int_equal(PARSE(&o, err, "--shared-dir=/a"), 0);
	assert_false(o.xattr);
	assert_false(o.posix_lock);
	assert_false(o.flock);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--no-xattr", "--posix-lock",
			       "--flock"), 0);
	assert_false(o.xattr);
	assert_true(o.posix_lock);
	assert_true(o.flock);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--no-xattr", "--xattr"), 0);
	assert_true(o.xattr);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "-o",
			       "source=/a,no_xattr,posix_lock,flock"), 0);
	assert_false(o.xattr);
	assert_true(o.posix_lock);
	assert_true(o.flock);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "-o", "xattr,flock,no_flock"), 0);
	assert_true(o.xattr);
	assert_false(o.flock);
	options_free(&o);
}

static void test_legacy_trailing_double_comma(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&o, err, "-o", "cache=auto,source=/x,,"), 0);
	assert_string_equal(o.shared_dir, "/x,");
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "-o", "source=/x", "-o", "cache=always"),
			 0);
	assert_string_equal(o.shared_dir, "/x");
	assert_int_equal(o.cache, FUSE_CACHE_ALWAYS);
	options_free(&o);
}

static void test_acl_label_xattrmap(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&o, err, "--shared-dir=/x"), 0);
	assert_false(o.posix_acl);
	assert_false(o.security_label);
	assert_false(o.killpriv_v2);	/* virtiofsd's default */
	assert_null(o.xattrmap);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--posix-acl", "--security-label",
			       "--no-killpriv-v2",
			       "--xattrmap=:map:trusted.:user.virtiofs.:"),
			 0);
	assert_true(o.posix_acl);
	assert_true(o.security_label);
	assert_false(o.killpriv_v2);
	assert_string_equal(o.xattrmap, ":map:trusted.:user.virtiofs.:");
	options_free(&o);
	/* The legacy forms; ",," is a comma inside the map. */
	assert_int_equal(PARSE(&o, err, "-o",
			       "posix_acl,security_label,no_killpriv_v2,"
			       "xattrmap=,,ok,,all,,,,,,"),
			 0);
	assert_true(o.posix_acl);
	assert_true(o.security_label);
	assert_false(o.killpriv_v2);
	assert_string_equal(o.xattrmap, ",ok,all,,,");
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "-o", "posix_acl,no_posix_acl,"
			       "killpriv_v2,no_security_label"),
			 0);
	assert_false(o.posix_acl);
	assert_false(o.security_label);
	assert_true(o.killpriv_v2);
	options_free(&o);
}

static void expect_refusal(const char *want, int argc, char **argv)
{
	struct vfsd_options o;
	char err[256] = "";

	assert_int_equal(options_parse(&o, argc, argv, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error '%s' does not mention '%s'", err, want);
	options_free(&o);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *want;
		char *argv[4];
	} cases[] = {
		{ "--bogus", { "vfsd", "--bogus" } },
		{ "-q", { "vfsd", "-q" } },
		{ "needs a value", { "vfsd", "--shared-dir" } },
		{ "invalid xattr map: xattrmap rule 1: type is not",
		  { "vfsd", "--xattrmap=:mapp::user.virtiofs.:" } },
		{ "invalid migration mode 'by-path' (find-paths or file-handles)",
		  { "vfsd", "--migration-mode=by-path" } },
		{ "invalid migration error action 'ignore' (abort or guest-error)",
		  { "vfsd", "--migration-on-error", "ignore" } },
		{ "unknown option '--migration-confirm-paths=yes'",
		  { "vfsd", "--migration-confirm-paths=yes" } },
		{ "invalid --uid-map ':0:1000:'", { "vfsd", "--uid-map=:0:1000:" } },
		{ "invalid --gid-map 'x0x1x1x'", { "vfsd", "--gid-map=x0x1x1x" } },
		{ "invalid --uid-map ':0:1000:1'", { "vfsd", "--uid-map=:0:1000:1" } },
		{ "range is empty", { "vfsd", "--uid-map=:0:1000:0:" } },
		{ "passes 4294967295",
		  { "vfsd", "--uid-map=:1:4294967295:1:" } },
		{ "overlaps an earlier range",
		  { "vfsd", "--uid-map=:0:1000:1:", "--uid-map=:0:2000:5:" } },
		{ "invalid --tag ''", { "vfsd", "--tag=" } },
		{ "(1 to 36 bytes)",
		  { "vfsd", "--tag=0123456789012345678901234567890123456" } },
		{ "invalid log level", { "vfsd", "-o", "loglevel=loud" } },
		{ "invalid cache mode 'sometimes'", { "vfsd", "--cache=sometimes" } },
		{ "invalid xattr map: xattrmap: no rules",
		  { "vfsd", "-o", "source=/a,xattrmap=  " } },
		{ "unknown option '-o frobnicate'", { "vfsd", "-o", "frobnicate" } },
		{ "needs a value", { "vfsd", "-o", "source" } },
		{ "takes no value", { "vfsd", "-o", "writeback=1" } },
		{ "invalid seccomp mode 'strict'", { "vfsd", "--seccomp=strict" } },
		{ "invalid --modcaps", { "vfsd", "--modcaps=sys_admin" } },
		{ "invalid --modcaps", { "vfsd", "--modcaps=+chown:" } },
		{ "invalid --modcaps", { "vfsd", "-o", "modcaps=+" } },
		{ "invalid sandbox mode", { "vfsd", "--sandbox=jail" } },
		{ "invalid thread pool size", { "vfsd", "--thread-pool-size=-1" } },
		{ "invalid thread pool size", { "vfsd", "--thread-pool-size=9x" } },
		{ "invalid --fd", { "vfsd", "--fd=1" } },
		{ "invalid log level", { "vfsd", "--log-level=loud" } },
		{ "unexpected argument 'extra'", { "vfsd", "--cache=auto", "extra" } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int argc = 0;

		while (argc < 4 && cases[i].argv[argc])
			argc++;
		expect_refusal(cases[i].want, argc, (char **)cases[i].argv);
	}
}

/* virtiofsd's migration options, which replace the refusals of old. */
static void test_migration(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&o, err, "--shared-dir=/s"), 0);
	assert_int_equal(o.migration_mode, PT_MIGRATE_FIND_PATHS);
	assert_int_equal(o.migration_on_error, PT_MIGRATE_ABORT);
	assert_false(o.migration_verify_handles);
	assert_false(o.migration_confirm_paths);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--migration-mode", "file-handles",
			       "--migration-on-error=guest-error",
			       "--migration-verify-handles",
			       "--migration-confirm-paths"),
			 0);
	assert_int_equal(o.migration_mode, PT_MIGRATE_FILE_HANDLES);
	assert_int_equal(o.migration_on_error, PT_MIGRATE_GUEST_ERROR);
	assert_true(o.migration_verify_handles);
	assert_true(o.migration_confirm_paths);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--migration-mode=find-paths",
			       "--migration-on-error", "abort"),
			 0);
	assert_int_equal(o.migration_mode, PT_MIGRATE_FIND_PATHS);
	assert_int_equal(o.migration_on_error, PT_MIGRATE_ABORT);
	options_free(&o);
}

static void test_actions(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&o, err, "--print-capabilities"), 0);
	assert_int_equal(o.action, VFSD_PRINT_CAPABILITIES);
	assert_int_equal(PARSE(&o, err, "--version"), 0);
	assert_int_equal(o.action, VFSD_VERSION);
	assert_int_equal(PARSE(&o, err, "-h"), 0);
	assert_int_equal(o.action, VFSD_HELP);
}

static void expect_check_error(struct vfsd_options *o, const char *want)
{
	char err[256] = "";

	assert_int_equal(options_check(o, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error '%s' does not mention '%s'", err, want);
}

static void test_check_against_host(void **state)
{
	char dir[] = "/tmp/vfsd-opt-XXXXXX";
	char file[64], sock[96], missing[96];
	struct vfsd_options o;
	char err[256] = "";
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(sock, sizeof(sock), "%s/s.sock", dir);
	snprintf(missing, sizeof(missing), "%s/nope/s.sock", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(PARSE(&o, err, "--socket-path", sock, "--shared-dir",
			       dir),
			 0);
	assert_int_equal(options_check(&o, err, sizeof(err)), 0);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--socket-path", sock), 0);
	expect_check_error(&o, "no shared directory");
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--socket-path", sock, "--shared-dir",
			       file),
			 0);
	expect_check_error(&o, "is not a directory");
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--socket-path", sock, "--shared-dir",
			       "/nonexistent/dir"),
			 0);
	expect_check_error(&o, "No such file or directory");
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--socket-path", missing,
			       "--shared-dir", dir),
			 0);
	expect_check_error(&o, "socket directory");
	options_free(&o);

	/* A regular file where the socket should go is not ours to unlink. */
	assert_int_equal(PARSE(&o, err, "--socket-path", file, "--shared-dir",
			       dir),
			 0);
	expect_check_error(&o, "not a socket");
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--shared-dir", dir), 0);
	expect_check_error(&o, "no socket");
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--fd=3", "--socket-path", sock,
			       "--shared-dir", dir),
			 0);
	expect_check_error(&o, "not both");
	options_free(&o);

	unlink(file);
	rmdir(dir);
}

static void test_check_inherited_fd(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct vfsd_options o;
	char err[256] = "", fdarg[32];
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	(void)state;
	assert_true(s >= 3);
	snprintf(fdarg, sizeof(fdarg), "--fd=%d", s);
	assert_int_equal(PARSE(&o, err, fdarg, "--shared-dir=/tmp"), 0);
	expect_check_error(&o, "not a listening socket");

	/* An abstract name: nothing to clean up on the filesystem. */
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, "vfsd-opt-%d",
		 getpid());
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(options_check(&o, err, sizeof(err)), 0);
	options_free(&o);
	close(s);
}

static void test_policy_flags(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&o, err, "--shared-dir=/s"), 0);
	assert_false(o.nodev);
	assert_false(o.nosuid);
	assert_false(o.readonly);
	assert_int_equal(o.min_free_space, 0);
	assert_int_equal(o.min_free_inodes, 0);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--shared-dir=/s", "--nodev",
			       "--nosuid", "--readonly",
			       "--min-free-inodes=200", "--min-free-space", "4M"),
			 0);
	assert_true(o.nodev);
	assert_true(o.nosuid);
	assert_true(o.readonly);
	assert_int_equal(o.min_free_inodes, 200);
	assert_int_equal(o.min_free_space, 4ull << 20);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "-o",
			       "source=/s,nodev,nosuid,ro,min_free_inodes=7,"
			       "min_free_space=2g"),
			 0);
	assert_true(o.nodev);
	assert_true(o.nosuid);
	assert_true(o.readonly);
	assert_int_equal(o.min_free_inodes, 7);
	assert_int_equal(o.min_free_space, 2ull << 30);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "-o", "source=/s,readonly"), 0);
	assert_true(o.readonly);
	options_free(&o);
}

static void test_policy_sizes(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "1K", 1024 },
		{ "3k", 3072 },
		{ "5M", 5ull << 20 },
		{ "1G", 1ull << 30 },
		{ "2T", 2ull << 40 },
		{ "16777215T", 16777215ull << 40 },
	};
	static const char *const bad[] = {
		"", "K", "-1", " 1", "1KB", "1P", "1.5G", "16777216T",
		"18446744073709551616", "1 K", "M1",
	};
	struct vfsd_options o;
	char err[256] = "";
	char arg[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(arg, sizeof(arg), "--min-free-space=%s", good[i].s);
		assert_int_equal(PARSE(&o, err, "--shared-dir=/s", arg), 0);
		assert_int_equal(o.min_free_space, good[i].v);
		options_free(&o);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(arg, sizeof(arg), "--min-free-space=%s", bad[i]);
		err[0] = '\0';
		assert_int_equal(PARSE(&o, err, "--shared-dir=/s", arg), -1);
		assert_non_null(strstr(err, "free space reserve"));
		options_free(&o);
	}
	assert_int_equal(PARSE(&o, err, "--min-free-inodes=1k"), -1);
	assert_non_null(strstr(err, "free inode reserve"));
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "-o", "min_free_inodes"), -1);
	assert_non_null(strstr(err, "needs a value"));
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "-o", "nodev=1"), -1);
	assert_non_null(strstr(err, "takes no value"));
	options_free(&o);
}

static void test_translate_ids(void **state)
{
	struct vfsd_options o;
	char err[256];
	uint32_t h = 0;

	(void)state;
	assert_int_equal(PARSE(&o, err, "--translate-uid=map:1000:2000:1",
			       "--translate-uid", "forbid-guest:0:1",
			       "--translate-gid=squash-host:3000:65534:10"), 0);
	assert_int_equal(o.uid_map.n_to_host, 2);
	assert_int_equal(o.uid_map.n_to_guest, 1);
	assert_int_equal(idmap_to_host(&o.uid_map, 1000, &h), 0);
	assert_int_equal(h, 2000);
	assert_int_equal(idmap_to_guest(&o.gid_map, 3009), 65534);
	assert_true(idmap_empty(NULL) && !idmap_empty(&o.gid_map));
	options_free(&o);
	assert_true(idmap_empty(&o.uid_map) && idmap_empty(&o.gid_map));

	assert_int_equal(PARSE(&o, err, "--posix-acl", "--translate-gid=map:1:2:3"), 0);
	assert_int_equal(options_check(&o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--posix-acl cannot be combined"));
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--translate-gid=map:1:2"), -1);
	assert_non_null(strstr(err, "invalid --translate-gid 'map:1:2'"));
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--translate-uid=guest:10:0:5",
			       "--translate-uid=squash-guest:12:7:1"), -1);
	assert_non_null(strstr(err, "overlaps an earlier rule"));
	options_free(&o);
}

static void test_inode_fds_and_submounts(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	/* Defaults: handles where possible, budget from the limit, no submounts. */
	assert_int_equal(PARSE(&o, err, "--shared-dir=/d"), 0);
	assert_int_equal(o.inode_file_handles, INODE_FH_PREFER);
	/* Not given: main() keeps prefer only for a share of whole filesystems. */
	assert_false(o.inode_file_handles_set);
	assert_int_equal(o.inode_fd_budget, 0);
	assert_true(o.announce_submounts);	/* virtiofsd's default */
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--shared-dir=/d",
			       "--inode-file-handles=never",
			       "--inode-fd-budget=300", "--announce-submounts"),
			 0);
	assert_int_equal(o.inode_file_handles, INODE_FH_NEVER);
	assert_int_equal(o.inode_fd_budget, 300);
	assert_int_equal(o.max_open_handles, 0);
	assert_true(o.announce_submounts);
	options_free(&o);

	/* Bare, as the Rust virtiofsd takes it. */
	assert_int_equal(PARSE(&o, err, "--inode-file-handles=mandatory",
			       "--inode-file-handles"),
			 0);
	assert_int_equal(o.inode_file_handles, INODE_FH_PREFER);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "-o",
			       "source=/d,announce_submounts,inode_file_handles=mandatory"),
			 0);
	assert_true(o.announce_submounts);
	assert_int_equal(o.inode_file_handles, INODE_FH_MANDATORY);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "-o",
			       "announce_submounts,no_announce_submounts"),
			 0);
	assert_false(o.announce_submounts);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--no-announce-submounts"), 0);
	assert_false(o.announce_submounts);
	options_free(&o);
	/* virtiofsd's deprecated name of prefer. */
	assert_int_equal(PARSE(&o, err, "--inode-file-handles=fallback"), 0);
	assert_int_equal(o.inode_file_handles, INODE_FH_PREFER);
	options_free(&o);

	assert_int_equal(PARSE(&o, err, "--inode-file-handles=sometimes"), -1);
	assert_non_null(strstr(err, "invalid inode file handles mode"));
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--inode-fd-budget=0"), -1);
	assert_non_null(strstr(err, "invalid --inode-fd-budget"));
	options_free(&o);
	/* One fd per inode, never closed, as virtiofsd keeps them. */
	assert_int_equal(PARSE(&o, err, "--inode-fd-budget=unlimited"), 0);
	assert_true(o.inode_fd_budget == PT_FD_BUDGET_UNLIMITED);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--inode-fd-budget=unlimitedx"), -1);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--max-open-handles=0"), -1);
	assert_non_null(strstr(err, "invalid --max-open-handles"));
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--max-open-handles=4294967296"), -1);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--max-open-handles=500"), 0);
	assert_int_equal(o.max_open_handles, 500);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "-o", "inode_file_handles"), -1);
	assert_non_null(strstr(err, "needs a value"));
	options_free(&o);
}

/* The forms the Rust virtiofsd 1.13.3 accepts, with its meaning. */
static void test_virtiofsd_forms(void **state)
{
	struct vfsd_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(PARSE(&o, err, "--socket=/run/old.sock",
			       "--tag", "fs0", "--cache=metadata",
			       "--allow-mmap", "--preserve-noatime",
			       "--rlimit-nofile=0", "--no-killpriv-v2"),
			 0);
	assert_string_equal(o.socket_path, "/run/old.sock");
	assert_string_equal(o.tag, "fs0");
	assert_int_equal(o.cache, FUSE_CACHE_METADATA);
	assert_true(o.readdirplus); /* only never turns it off */
	assert_true(o.allow_mmap);
	assert_true(o.preserve_noatime);
	assert_true(o.rlimit_nofile_set);
	assert_int_equal(o.rlimit_nofile, 0);
	assert_false(o.killpriv_v2);
	options_free(&o);

	/* Defaults of the new ones. */
	assert_int_equal(PARSE(&o, err, "--shared-dir=/d"), 0);
	assert_null(o.tag);
	assert_true(o.allow_mmap);	/* unlike virtiofsd: see README */
	assert_false(o.preserve_noatime);
	assert_false(o.rlimit_nofile_set);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--shared-dir=/d", "--no-allow-mmap"),
			 0);
	assert_false(o.allow_mmap);
	assert_false(o.rlimit_nofile_set);
	assert_int_equal(o.uid_ns_map.n, 0);
	options_free(&o);

	/* libvirt session mode's ranges, twice each. */
	assert_int_equal(PARSE(&o, err, "--uid-map=:0:1000:1:",
			       "--uid-map=:1:100000:65536:",
			       "--gid-map=/0/1000/1/"),
			 0);
	assert_int_equal(o.uid_ns_map.n, 2);
	assert_int_equal(o.uid_ns_map.r[1].inside, 1);
	assert_int_equal(o.uid_ns_map.r[1].outside, 100000);
	assert_int_equal(o.uid_ns_map.r[1].count, 65536);
	assert_int_equal(o.gid_ns_map.n, 1);
	assert_int_equal(o.gid_ns_map.r[0].outside, 1000);
	options_free(&o);

	/* The -o forms virtiofsd added, and QEMU's virtiofsd's debug. */
	assert_int_equal(PARSE(&o, err, "-o",
			       "cache=metadata,loglevel=warn,no_readdirplus,allow_root"),
			 0);
	assert_int_equal(o.cache, FUSE_CACHE_METADATA);
	assert_int_equal(o.log_level, LOG_LVL_WARN);
	assert_false(o.readdirplus);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--cache=never", "-o",
			       "readdirplus,debug"),
			 0);
	assert_true(o.readdirplus);
	assert_int_equal(o.log_level, LOG_LVL_DEBUG);
	options_free(&o);

	/* ACLs, labels and maps are xattrs: they turn xattrs on. */
	assert_int_equal(PARSE(&o, err, "--posix-acl"), 0);
	assert_true(o.xattr);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "-o", "no_xattr,security_label"), 0);
	assert_true(o.xattr);
	options_free(&o);
	assert_int_equal(PARSE(&o, err, "--xattrmap=:ok:all:::"), 0);
	assert_true(o.xattr);
	options_free(&o);
}

static void write_defaults(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The defaults file: its lines come first, the command line wins. */
static void test_defaults_file(void **state)
{
	char dir[] = "/tmp/vfsd-defaults-XXXXXX", path[64], err[256] = "";
	char *argv[] = { "vfsd", "--cache=never", "-o", "no_flock", NULL };
	struct vfsd_options o;
	struct defaults d;
	char **all;
	int n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/defaults.conf", dir);
	/* No file: nothing, and no error. */
	assert_int_equal(defaults_load(path, &d, err, sizeof(err)), 0);
	assert_int_equal(d.argc, 1);
	defaults_free(&d);

	write_defaults(path,
		       "# locks for every guest\n\n  --posix-lock  \n"
		       "--flock\r\n--cache always\n-o xattr\n"
		       "--xattrmap=:map:a b:user.x:\n",
		       0644);
	assert_int_equal(defaults_load(path, &d, err, sizeof(err)), 0);
	assert_int_equal(d.argc, 8);
	assert_string_equal(d.argv[1], "--posix-lock");
	assert_string_equal(d.argv[3], "--cache");
	assert_string_equal(d.argv[4], "always");
	assert_string_equal(d.argv[7], "--xattrmap=:map:a b:user.x:");
	n = defaults_merge(&d, 4, argv, &all);
	assert_int_equal(n, 11);
	assert_int_equal(options_parse(&o, n, all, err, sizeof(err)), 0);
	assert_true(o.posix_lock);
	assert_false(o.flock);		   /* -o no_flock came later */
	assert_int_equal(o.cache, FUSE_CACHE_NEVER); /* so did --cache */
	assert_true(o.xattr);
	options_free(&o);
	free(all);
	defaults_free(&d);

	/* Writable by others: refused, with the reason. */
	write_defaults(path, "--flock\n", 0666);
	assert_int_equal(defaults_load(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "can be changed by others"));
	defaults_free(&d);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modern_equals_and_space),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_sandbox_options),
		cmocka_unit_test(test_libvirt_legacy_line),
		cmocka_unit_test(test_xattr_and_locks),
		cmocka_unit_test(test_legacy_trailing_double_comma),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_acl_label_xattrmap),
		cmocka_unit_test(test_migration),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_check_against_host),
		cmocka_unit_test(test_check_inherited_fd),
		cmocka_unit_test(test_policy_flags),
		cmocka_unit_test(test_policy_sizes),
		cmocka_unit_test(test_translate_ids),
		cmocka_unit_test(test_inode_fds_and_submounts),
		cmocka_unit_test(test_virtiofsd_forms),
		cmocka_unit_test(test_defaults_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
