/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * POSIX ACLs, set-user-ID and set-group-ID clearing (killpriv_v2), the
 * set-group-ID directory rules and the xattr map, as root and as uid 1000.
 *
 * The ACL and map checks depend on the daemon's options, which the runner
 * writes to host/daemon-args: with --posix-acl the guest kernel enforces
 * ACLs, without it setting one fails with EOPNOTSUPP; with --xattrmap the
 * guest's trusted.* and security.* names live under user.virtiofs. on the
 * host (e2e_host_check_acl() looks).
 *
 * busybox has no setfacl: the ACL values are built here in the kernel's
 * xattr layout (<linux/posix_acl_xattr.h>).
 */
#include <fcntl.h>
#include <grp.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "e2e.h"

bool e2e_daemon_has(const char *flag)
{
	char buf[4096];
	ssize_t n = e2e_read_file(e2e_path("host/daemon-args"), buf,
				  sizeof(buf) - 1);
	size_t len = strlen(flag);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* One argument per line; "--flag" or "--flag=value". */
	for (char *l = buf, *nl; *l; l = nl + 1) {
		if (!strncmp(l, flag, len) &&
		    (l[len] == '\n' || l[len] == '=' || l[len] == '\0'))
			return true;
		nl = strchr(l, '\n');
		if (!nl)
			break;
	}
	return false;
}

/* The mode the host has now, past the guest's attribute cache. */
static int mode_of(const char *p, mode_t *mode, gid_t *gid)
{
	struct statx stx;

	if (statx(AT_FDCWD, p, AT_STATX_FORCE_SYNC, STATX_MODE | STATX_GID,
		  &stx) < 0)
		return -1;
	*mode = stx.stx_mode & 07777;
	if (gid)
		*gid = stx.stx_gid;
	return 0;
}

/* Run fn as uid/gid 1000 in a child; its exit status (0 = passed). */
static int as_user(int (*fn)(const char *), const char *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(E2E_GID) < 0 ||
		    setuid(E2E_UID) < 0)
			_exit(90);
		_exit(fn(arg));
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

struct acl3 {
	struct posix_acl_xattr_header h;
	struct posix_acl_xattr_entry e[5];
};

/*
 * user::U user:1000:N group::G mask::M other::O, sorted as the kernel
 * wants them. Returns the value's size.
 */
static size_t acl_build(struct acl3 *a, unsigned int u, unsigned int n,
			unsigned int g, unsigned int m, unsigned int o)
{
	a->h.a_version = POSIX_ACL_XATTR_VERSION;
	a->e[0] = (struct posix_acl_xattr_entry){ ACL_USER_OBJ, (uint16_t)u,
						  (uint32_t)ACL_UNDEFINED_ID };
	a->e[1] = (struct posix_acl_xattr_entry){ ACL_USER, (uint16_t)n,
						  E2E_UID };
	a->e[2] = (struct posix_acl_xattr_entry){ ACL_GROUP_OBJ, (uint16_t)g,
						  (uint32_t)ACL_UNDEFINED_ID };
	a->e[3] = (struct posix_acl_xattr_entry){ ACL_MASK, (uint16_t)m,
						  (uint32_t)ACL_UNDEFINED_ID };
	a->e[4] = (struct posix_acl_xattr_entry){ ACL_OTHER, (uint16_t)o,
						  (uint32_t)ACL_UNDEFINED_ID };
	return sizeof(*a);
}

static int user_reads_not_writes(const char *p)
{
	char buf[16];
	int fd = open(p, O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf)) != 6 || memcmp(buf, "secret", 6))
		return 1;
	close(fd);
	if (open(p, O_WRONLY) >= 0 || errno != EACCES)
		return 2;
	return 0;
}

static void t_acl_access(void)
{
	const char *name = "POSIX ACL user:1000:r on a 0600 root file: read, not write";
	const char *p = e2e_path("t/acl-f");
	struct acl3 acl;
	size_t len = acl_build(&acl, 6, 4, 0, 4, 0);
	mode_t mode;
	int rc;

	SYS(e2e_write_file(p, "secret", 6, 0600));
	errno = 0;
	rc = setxattr(p, "system.posix_acl_access", &acl, len, 0);
	if (!e2e_daemon_has("--posix-acl")) {
		/*
		 * Without --posix-acl a 6.1 kernel has no ACLs at all
		 * (EOPNOTSUPP); from 6.2 on it stores the xattr on the host,
		 * but checks permissions itself on the mode bits alone.
		 */
		EXPECT(rc == 0 || errno == EOPNOTSUPP, "setting the ACL: %s",
		       strerror(errno));
		EXPECT(as_user(user_reads_not_writes, p) == 1,
		       "uid 1000 read a 0600 root file");
		e2e_ok("POSIX ACLs not enforced without --posix-acl");
		return;
	}
	EXPECT(rc == 0, "setting the ACL: %s", strerror(errno));
	SYS(mode_of(p, &mode, NULL));
	/* The group class shows the mask. */
	EXPECT(mode == 0640, "mode %o after the ACL, expected 640", mode);
	EXPECT(getxattr(p, "system.posix_acl_access", NULL, 0) == (ssize_t)len,
	       "ACL size %zd", getxattr(p, "system.posix_acl_access", NULL, 0));
	rc = as_user(user_reads_not_writes, p);
	EXPECT(rc == 0, "uid 1000: %s", rc == 1 ? "could not read" :
	       rc == 2 ? "could write (or not EACCES)" : "child failed");
	/* Removing the ACL takes the named user's access away again. */
	SYS(removexattr(p, "system.posix_acl_access"));
	SYS(chmod(p, 0600));
	EXPECT(as_user(user_reads_not_writes, p) == 1,
	       "uid 1000 still reads without the ACL");
	e2e_ok(name);
}

static int user_writes(const char *p)
{
	int fd = open(p, O_WRONLY);

	if (fd < 0)
		return 1;
	if (write(fd, "u", 1) != 1)
		return 2;
	return close(fd) < 0 ? 3 : 0;
}

static void t_acl_default(void)
{
	const char *name = "default ACL inherited by a new file and directory, umask unused";
	const char *d = e2e_path("t/acl-d");
	const char *f = e2e_path("t/acl-d/f");
	struct acl3 acl;
	size_t len = acl_build(&acl, 7, 7, 5, 7, 5);
	mode_t mode, old;
	int fd;

	if (!e2e_daemon_has("--posix-acl"))
		return;
	SYS(mkdir(d, 0755));
	SYS(setxattr(d, "system.posix_acl_default", &acl, len, 0));
	/* A default ACL replaces the umask for new files in the directory. */
	old = umask(077);
	fd = open(f, O_CREAT | O_EXCL | O_WRONLY, 0666);
	umask(old);
	SYS(fd);
	close(fd);
	SYS(mode_of(f, &mode, NULL));
	EXPECT(mode == 0664, "new file mode %o, expected 664", mode);
	EXPECT(getxattr(f, "system.posix_acl_access", NULL, 0) > 0,
	       "new file has no access ACL");
	EXPECT(as_user(user_writes, f) == 0, "uid 1000 cannot write");
	SYS(mkdir(e2e_path("t/acl-d/sub"), 0777));
	EXPECT(getxattr(e2e_path("t/acl-d/sub"), "system.posix_acl_default",
			NULL, 0) == (ssize_t)len,
	       "subdirectory did not inherit the default ACL");

	/* Without a default ACL the umask applies (FUSE_DONT_MASK). */
	old = umask(027);
	fd = open(e2e_path("t/acl-umask"), O_CREAT | O_EXCL | O_WRONLY, 0666);
	umask(old);
	SYS(fd);
	close(fd);
	SYS(mode_of(e2e_path("t/acl-umask"), &mode, NULL));
	EXPECT(mode == 0640, "mode %o with umask 027, expected 640", mode);
	e2e_ok(name);
}

/* Set-user-ID cleared by a write, truncate and chown, as on the host. */
static const char *kp_path;

static int user_write_one(const char *p)
{
	int fd = open(p, O_WRONLY);

	if (fd < 0 || pwrite(fd, "k", 1, 0) != 1)
		return 1;
	return close(fd) < 0 ? 2 : 0;
}

static int user_truncate(const char *p)
{
	return truncate(p, 1) < 0 ? 1 : 0;
}

static int user_open_trunc(const char *p)
{
	int fd = open(p, O_WRONLY | O_TRUNC);

	return fd < 0 ? 1 : (close(fd) < 0 ? 2 : 0);
}

static int user_chown_own(const char *p)
{
	return chown(p, (uid_t)-1, E2E_GID) < 0 ? 1 : 0;
}

/* Make the file uid's (and its group's) with mode m. */
static int kp_reset(mode_t m, uid_t uid)
{
	if (chown(kp_path, uid, uid) < 0 || chmod(kp_path, m) < 0)
		return -1;
	return 0;
}

static void t_killpriv(void)
{
	const char *name = "set-user-ID/set-group-ID after write, truncate, chown (root, uid 1000)";
	mode_t mode;
	int fd;

	kp_path = e2e_path("t/kp");
	SYS(e2e_write_file(kp_path, "data", 4, 0644));

	/* Root keeps the bits on write and truncate (CAP_FSETID). */
	SYS(kp_reset(06777, 0));
	SYS(fd = open(kp_path, O_WRONLY));
	SYS(pwrite(fd, "r", 1, 0));
	close(fd);
	SYS(truncate(kp_path, 2));
	SYS(mode_of(kp_path, &mode, NULL));
	/*
	 * A daemon without root (--uid-map: a user namespace) writes with
	 * CAP_FSETID of its namespace only, and the host kernel asks for the
	 * host's: it clears them on every write, whoever the guest caller is.
	 */
	EXPECT(mode == 06777 || (mode == 0777 && e2e_daemon_has("--uid-map")),
	       "root write/truncate left %o", mode);

	/* A user's write, truncate and O_TRUNC clear both. */
	EXPECT(as_user(user_write_one, kp_path) == 0, "uid 1000 write failed");
	SYS(mode_of(kp_path, &mode, NULL));
	EXPECT(mode == 0777, "uid 1000 write left %o", mode);
	SYS(kp_reset(06777, 0));
	EXPECT(as_user(user_truncate, kp_path) == 0, "uid 1000 truncate failed");
	SYS(mode_of(kp_path, &mode, NULL));
	EXPECT(mode == 0777, "uid 1000 truncate left %o", mode);
	SYS(kp_reset(06777, 0));
	EXPECT(as_user(user_open_trunc, kp_path) == 0, "uid 1000 O_TRUNC failed");
	SYS(mode_of(kp_path, &mode, NULL));
	/* QEMU's virtiofsd 7.2 truncates holding CAP_FSETID: bits kept. */
	EXPECT(mode == 0777 || (mode == 06777 && e2e_is_virtiofsd()),
	       "uid 1000 O_TRUNC left %o", mode);

	/*
	 * Set-group-ID without group-execute is no privilege: it stays for
	 * a writer in the file's group (kernels from 6.2 on clear it for
	 * others, so the group makes the check the same on every host).
	 */
	SYS(kp_reset(02766, 0));
	SYS(chown(kp_path, 0, E2E_GID));
	SYS(chmod(kp_path, 02766));
	EXPECT(as_user(user_write_one, kp_path) == 0, "uid 1000 write failed");
	SYS(mode_of(kp_path, &mode, NULL));
	EXPECT(mode == 02766, "uid 1000 write of 2766 left %o", mode);

	/* chown clears them, by root as by the owner. */
	SYS(kp_reset(06755, E2E_UID));
	SYS(chown(kp_path, 0, 0));
	SYS(mode_of(kp_path, &mode, NULL));
	EXPECT(mode == 0755, "root chown left %o", mode);
	SYS(kp_reset(06755, E2E_UID));
	EXPECT(as_user(user_chown_own, kp_path) == 0, "uid 1000 chgrp failed");
	SYS(mode_of(kp_path, &mode, NULL));
	EXPECT(mode == 0755, "uid 1000 chgrp left %o", mode);
	e2e_ok(name);
}

static int user_sgid_create(const char *d)
{
	char p[512];
	mode_t mode;
	gid_t gid;
	int fd;

	snprintf(p, sizeof(p), "%s/u", d);
	fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 02755);
	if (fd < 0)
		return 1;
	close(fd);
	if (mode_of(p, &mode, &gid) < 0)
		return 2;
	/* The directory's group, no set-group-ID for an outsider. */
	if (gid != 4242 || mode != 0755)
		return 3;
	snprintf(p, sizeof(p), "%s/usub", d);
	if (mkdir(p, 0755) < 0 || mode_of(p, &mode, &gid) < 0)
		return 4;
	if (gid != 4242 || mode != 02755)
		return 5;
	return 0;
}

/* QEMU's virtiofsd let a user create such files (CVE-2022-0358). */
static void t_sgid_dir(void)
{
	const char *name = "CVE-2022-0358: set-group-ID directory rules (root, uid 1000)";
	const char *d = e2e_path("t/sgid");
	char p[512];
	mode_t mode;
	gid_t gid;
	int fd, rc;

	SYS(mkdir(d, 0777));
	SYS(chown(d, 0, 4242));
	SYS(chmod(d, 02777));
	rc = as_user(user_sgid_create, d);
	EXPECT(rc == 0, "uid 1000: check %d failed", rc);
	snprintf(p, sizeof(p), "%s/r", d);
	SYS(fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 02755));
	close(fd);
	SYS(mode_of(p, &mode, &gid));
	EXPECT(gid == 4242 && mode == 02755, "root's file: gid %u mode %o",
	       (unsigned int)gid, mode);
	snprintf(p, sizeof(p), "%s/rsub", d);
	SYS(mkdir(p, 0700));
	SYS(mode_of(p, &mode, &gid));
	EXPECT(gid == 4242 && mode == 02700, "root's dir: gid %u mode %o",
	       (unsigned int)gid, mode);
	e2e_ok(name);
}

/*
 * trusted.* and security.* need CAP_SYS_ADMIN on the host, which neither
 * daemon keeps: without a map guest root gets EPERM. With the e2e map
 * they live under user.virtiofs. on the host (e2e_host_check_acl()).
 */
static void t_xattrmap(void)
{
	const char *name = "trusted.* and security.* through the xattr map";
	const char *p = e2e_path("out/xattrmap");
	const char *h = e2e_path("host/xattr-host");
	char buf[512];
	ssize_t n;

	SYS(e2e_write_file(p, "x", 1, 0644));
	if (e2e_daemon_has("--modcaps=+sys_admin")) {
		/* The administrator kept it (FUSE passthrough needs it). */
		SYS(setxattr(p, "trusted.e2e", "tv", 2, 0));
		n = getxattr(p, "trusted.e2e", buf, sizeof(buf));
		EXPECT(n == 2 && !memcmp(buf, "tv", 2),
		       "trusted.e2e back as %zd", n);
		e2e_ok("trusted.* by guest root with CAP_SYS_ADMIN kept: set");
		return;
	}
	if (!e2e_daemon_has("--xattrmap")) {
		SYS_ERR(setxattr(p, "trusted.e2e", "tv", 2, 0), EPERM);
		e2e_ok("trusted.* by guest root without a map: EPERM (no CAP_SYS_ADMIN)");
		return;
	}
	SYS(setxattr(p, "trusted.e2e", "tv", 2, 0));
	SYS(setxattr(p, "security.e2e", "sv", 2, 0));
	n = getxattr(p, "trusted.e2e", buf, sizeof(buf));
	EXPECT(n == 2 && !memcmp(buf, "tv", 2), "trusted.e2e back as %zd", n);
	n = listxattr(p, buf, sizeof(buf));
	EXPECT(n > 0 && memmem(buf, (size_t)n, "trusted.e2e", 12) &&
		       memmem(buf, (size_t)n, "security.e2e", 13),
	       "list of %zd bytes lacks the names", n);
	/* The mapped name itself is not the guest's. */
	SYS_ERR(setxattr(p, "user.virtiofs.x", "1", 1, 0), EPERM);
	/* Host labels stay hidden, mapped ones show under the guest name. */
	n = listxattr(h, buf, sizeof(buf));
	EXPECT(n >= 0, "listxattr host file: %s", strerror(errno));
	EXPECT(!memmem(buf, (size_t)n, "trusted.hidden", 15),
	       "host's trusted.hidden is visible");
	EXPECT(memmem(buf, (size_t)n, "trusted.mapped", 15) != NULL,
	       "host's user.virtiofs.trusted.mapped is not trusted.mapped");
	SYS_ERR(getxattr(h, "trusted.hidden", buf, sizeof(buf)), ENODATA);
	n = getxattr(h, "trusted.mapped", buf, sizeof(buf));
	EXPECT(n == 1 && buf[0] == 'm', "trusted.mapped back as %zd", n);
	e2e_ok(name);
}

int e2e_host_prepare_acl(void)
{
	const char *h = e2e_path("host/xattr-host");

	/* A host-only label and one the map shows the guest as its own. */
	if (e2e_write_file(h, "h", 1, 0644) < 0 ||
	    setxattr(h, "trusted.hidden", "h", 1, 0) < 0 ||
	    setxattr(h, "user.virtiofs.trusted.mapped", "m", 1, 0) < 0)
		return -1;
	return 0;
}

void e2e_host_check_acl(void)
{
	const char *name = "host: the guest's trusted.e2e is user.virtiofs.trusted.e2e";
	const char *p = e2e_path("out/xattrmap");
	char buf[16];
	ssize_t n;

	if (!e2e_daemon_has("--xattrmap"))
		return;
	n = getxattr(p, "user.virtiofs.trusted.e2e", buf, sizeof(buf));
	EXPECT(n == 2 && !memcmp(buf, "tv", 2),
	       "user.virtiofs.trusted.e2e as %zd", n);
	n = getxattr(p, "user.virtiofs.security.e2e", buf, sizeof(buf));
	EXPECT(n == 2 && !memcmp(buf, "sv", 2),
	       "user.virtiofs.security.e2e as %zd", n);
	SYS_ERR(getxattr(p, "trusted.e2e", buf, sizeof(buf)), ENODATA);
	e2e_ok(name);
}

void e2e_run_acl(void)
{
	t_acl_access();
	t_acl_default();
	t_killpriv();
	t_sgid_dir();
	t_xattrmap();
}
