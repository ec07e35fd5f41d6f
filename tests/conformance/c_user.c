/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Permissions as an unprivileged user (uid/gid 1000 in a child process):
 * EACCES and EPERM, sticky directories, setuid/setgid clearing and the
 * setgid-directory inheritance rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "conform.h"

static void mode_res(const char *name, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		cf_res(name, "%s", cf_errname(errno));
	else
		cf_res(name, "mode=%o %u:%u", st.st_mode & 07777, st.st_uid,
		       st.st_gid);
}

static int own(const char *path, uid_t uid, gid_t gid)
{
	return cf_setup_rc(path, chown(path, uid, gid));
}

/* Root's files and dirs the user meets (made by the parent as root). */
static int setup(void)
{
	if (cf_mkdir("pu", 0755) || cf_mkfile("pu/secret", 0600, 5) ||
	    cf_mkfile("pu/public", 0644, 5) || cf_mkfile("pu/shared", 0666, 5) ||
	    cf_mkdir("pu/closed", 0700) || cf_mkfile("pu/closed/f", 0644, 1) ||
	    cf_mkdir("pu/mine", 0755) || own("pu/mine", CF_UID, CF_GID) ||
	    cf_mkfile("pu/mine/fg", 0644, 0) || own("pu/mine/fg", CF_UID, 0) ||
	    cf_mkdir("pu/sticky", 01777) || cf_mkfile("pu/sticky/rootf", 0666, 1) ||
	    cf_mkfile("pu/sticky/userf", 0644, 1) ||
	    own("pu/sticky/userf", CF_UID, CF_GID) ||
	    cf_mkdir("pu/sticky/rootd", 0777) ||
	    cf_mkfile("pu/suid", 0755, 10) || own("pu/suid", CF_UID, CF_GID) ||
	    cf_setup_rc("chmod-suid", chmod("pu/suid", 06775)) ||
	    cf_mkfile("pu/sgid-noexec", 0664, 10) ||
	    own("pu/sgid-noexec", CF_UID, CF_GID) ||
	    cf_setup_rc("chmod-sgid", chmod("pu/sgid-noexec", 02664)) ||
	    cf_mkdir("pu/sgiddir", 0777) || own("pu/sgiddir", 0, CF_GID) ||
	    cf_setup_rc("chmod-sgiddir", chmod("pu/sgiddir", 02777)))
		return -1;
	return 0;
}

static void user_access(void *arg)
{
	struct timespec ts[2] = { { 1, 0 }, { 2, 0 } };
	struct stat st;
	int fd;

	(void)arg;
	cf_fd("user.open-0600-root-rd", open("pu/secret", O_RDONLY));
	cf_fd("user.open-0644-root-wr", open("pu/public", O_WRONLY));
	fd = open("pu/public", O_RDONLY);
	cf_rc("user.open-0644-root-rd", fd);
	if (fd >= 0)
		close(fd);
	cf_rc("user.access-w-0644-root", access("pu/public", W_OK));
	cf_fd("user.create-in-root-dir", open("pu/new", O_CREAT | O_WRONLY, 0644));
	cf_rc("user.mkdir-in-root-dir", mkdir("pu/newd", 0755));
	cf_rc("user.unlink-in-root-dir", unlink("pu/public"));
	cf_rc("user.rename-in-root-dir", rename("pu/public", "pu/p2"));
	cf_rc("user.stat-in-0700-dir", stat("pu/closed/f", &st));
	cf_fd("user.open-0700-dir", open("pu/closed", O_RDONLY | O_DIRECTORY));
	cf_rc("user.chdir-0700-dir", chdir("pu/closed"));
	cf_rc("user.truncate-0644-root", truncate("pu/public", 0));
	cf_rc("user.chmod-root-file", chmod("pu/public", 0666));
	cf_rc("user.chown-root-file", chown("pu/public", CF_UID, CF_GID));
	cf_rc("user.utimensat-set-root-0666", utimensat(AT_FDCWD, "pu/shared",
							ts, 0));
	cf_rc("user.utimensat-now-root-0666", utimensat(AT_FDCWD, "pu/shared",
							NULL, 0));
	cf_rc("user.utimensat-now-root-0644", utimensat(AT_FDCWD, "pu/public",
							NULL, 0));
	cf_rc("user.setxattr-root-0644", setxattr("pu/public", "user.u", "v",
						  1, 0));
	cf_rc("user.setxattr-root-0666", setxattr("pu/shared", "user.u", "v",
						  1, 0));
	cf_rc("user.getxattr-root-0600", getxattr("pu/secret", "user.u", NULL,
						  0));
	cf_rc("user.mknod-chardev", mknod("pu/mine/null", S_IFCHR | 0666,
					  makedev(1, 3)));
	cf_rc("user.mkfifo-own-dir", mkfifo("pu/mine/fifo", 0644));
}

static void user_owner(void *arg)
{
	(void)arg;
	cf_rc("user.create-own-dir", cf_mkfile("pu/mine/f", 0644, 3));
	mode_res("user.create-own-dir-owner", "pu/mine/f");
	cf_rc("user.chmod-own", chmod("pu/mine/f", 0600));
	cf_rc("user.chown-own-to-root", chown("pu/mine/f", 0, (gid_t)-1));
	cf_rc("user.chgrp-own-to-root-group", chown("pu/mine/f", (uid_t)-1, 0));
	cf_rc("user.chgrp-own-to-own-group", chown("pu/mine/f", (uid_t)-1,
						   CF_GID));
	cf_rc("user.chmod-sgid-own-group", chmod("pu/mine/f", 02755));
	mode_res("user.chmod-sgid-own-group-mode", "pu/mine/f");
	cf_rc("user.chmod-sgid-foreign-group", chmod("pu/mine/fg", 02755));
	mode_res("user.chmod-sgid-foreign-group-mode", "pu/mine/fg");
	cf_rc("user.setxattr-trusted", setxattr("pu/mine/f", "trusted.x", "v",
						1, 0));
	cf_rc("user.setxattr-user-own", setxattr("pu/mine/f", "user.x", "v", 1,
						 0));
	cf_rc("user.utimensat-set-own", utimensat(AT_FDCWD, "pu/mine/f",
		(struct timespec[2]){ { 1, 0 }, { 2, 0 } }, 0));
	cf_rc("user.rmdir-own-dir-in-root-dir", rmdir("pu/mine"));
}

static void user_sticky(void *arg)
{
	(void)arg;
	cf_rc("sticky.unlink-root-file", unlink("pu/sticky/rootf"));
	cf_rc("sticky.rename-root-file", rename("pu/sticky/rootf",
						"pu/sticky/r2"));
	cf_rc("sticky.rmdir-root-dir", rmdir("pu/sticky/rootd"));
	cf_rc("sticky.read-root-0666-file", (int)cf_read_file(
		"pu/sticky/rootf", &(char){ 0 }, 1));
	cf_rc("sticky.create-own", cf_mkfile("pu/sticky/new", 0644, 0));
	cf_rc("sticky.rename-own", rename("pu/sticky/userf", "pu/sticky/userg"));
	cf_rc("sticky.rename-over-root-file", rename("pu/sticky/userg",
						     "pu/sticky/rootf"));
	cf_rc("sticky.unlink-own", unlink("pu/sticky/userg"));
}

static void user_killpriv(void *arg)
{
	int fd;

	(void)arg;
	fd = open("pu/suid", O_WRONLY);
	cf_rc("killpriv.open-own-suid", fd);
	if (fd >= 0) {
		cf_res("killpriv.write", "%zd", write(fd, "w", 1));
		close(fd);
	}
	mode_res("killpriv.suid-after-write", "pu/suid");
	fd = open("pu/sgid-noexec", O_WRONLY);
	if (fd >= 0) {
		cf_res("killpriv.write-sgid-noexec", "%zd", write(fd, "w", 1));
		close(fd);
	}
	mode_res("killpriv.sgid-noexec-after-write", "pu/sgid-noexec");
	cf_rc("sgid.user-create", cf_mkfile("pu/sgiddir/uf", 0644, 0));
	mode_res("sgid.user-create-owner", "pu/sgiddir/uf");
}

static void root_cases(void)
{
	cf_rc("killpriv.truncate-by-root", (chmod("pu/suid", 06775),
					    truncate("pu/suid", 1)));
	mode_res("killpriv.suid-after-root-truncate", "pu/suid");
	cf_rc("killpriv.chown-by-root", (chmod("pu/suid", 06775),
					 chown("pu/suid", CF_UID, CF_GID)));
	mode_res("killpriv.suid-after-chown", "pu/suid");
	cf_rc("sgid.root-create", cf_mkfile("pu/sgiddir/rf", 0644, 0));
	mode_res("sgid.root-create-owner", "pu/sgiddir/rf");
	cf_rc("sgid.root-mkdir", mkdir("pu/sgiddir/sub", 0755));
	mode_res("sgid.root-mkdir-owner", "pu/sgiddir/sub");
	cf_rc("mknod.chardev-root", mknod("pu/null", S_IFCHR | 0666,
					  makedev(1, 3)));
}

void cf_run_user(void)
{
	if (setup())
		return;
	if (cf_child(user_access, NULL, 1) != 0)
		cf_res("user.access", "child-failed");
	if (cf_child(user_owner, NULL, 1) != 0)
		cf_res("user.owner", "child-failed");
	if (cf_child(user_sticky, NULL, 1) != 0)
		cf_res("user.sticky", "child-failed");
	if (cf_child(user_killpriv, NULL, 1) != 0)
		cf_res("user.killpriv", "child-failed");
	root_cases();
}
