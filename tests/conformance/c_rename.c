/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rename and renameat2 with its flags; EXDEV across a submount. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conform.h"

static int rename2(const char *from, const char *to, unsigned int flags)
{
	return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
}

/* First byte of PATH as a string, or its errno name. */
static const char *first_byte(const char *path)
{
	static char out[2][16];
	static int slot;
	char c;
	char *o = out[slot++ & 1];

	if (cf_read_file(path, &c, 1) != 1) {
		snprintf(o, 16, "%s", cf_errname(errno));
		return o;
	}
	snprintf(o, 16, "%c", c);
	return o;
}

static int mkfile_byte(const char *path, char c)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (cf_setup_rc(path, fd))
		return -1;
	if (cf_setup_rc(path, write(fd, &c, 1))) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void plain_cases(void)
{
	struct stat st;

	if (cf_mkdir("m", 0755) || mkfile_byte("m/a", 'a') ||
	    mkfile_byte("m/b", 'b') || cf_mkdir("m/d1", 0755) ||
	    cf_mkdir("m/d2", 0755) || cf_mkdir("m/full", 0755) ||
	    cf_mkfile("m/full/x", 0644, 0))
		return;
	cf_rc("rename.new-name", rename("m/a", "m/a2"));
	cf_rc("rename.old-gone", access("m/a", F_OK));
	cf_rc("rename.replace-file", rename("m/a2", "m/b"));
	cf_res("rename.replace-content", "%s", first_byte("m/b"));
	cf_rc("rename.enoent", rename("m/a", "m/c"));
	cf_rc("rename.enoent-target-parent", rename("m/b", "m/none/b"));
	cf_rc("rename.dir-over-empty-dir", rename("m/d1", "m/d2"));
	cf_rc("rename.dir-over-nonempty", (cf_mkdir("m/d3", 0755),
					   rename("m/d3", "m/full")));
	cf_rc("rename.file-over-dir", rename("m/b", "m/d3"));
	cf_rc("rename.dir-over-file", rename("m/d3", "m/b"));
	cf_rc("rename.dir-into-itself", rename("m/full", "m/full/sub"));
	cf_rc("rename.dot", rename("m/full/.", "m/x"));
	cf_rc("rename.same-name", rename("m/b", "m/b"));
	if (link("m/b", "m/b-link") == 0) {
		cf_rc("rename.hardlinks-same-inode", rename("m/b", "m/b-link"));
		cf_res("rename.hardlinks-both-kept", "%s %s",
		       access("m/b", F_OK) ? cf_errname(errno) : "ok",
		       access("m/b-link", F_OK) ? cf_errname(errno) : "ok");
	}
	if (stat("m/d2", &st) == 0 && rename("m/d2", "m/full/d2") == 0) {
		struct stat p;

		if (stat("m/full", &p) == 0)
			cf_res("rename.dir-moves-parent-nlink", "nlink=%lu",
			       (unsigned long)p.st_nlink);
		cf_rc("rename.dir-dotdot-follows",
		      access("m/full/d2/../x", F_OK));
	}
}

static void flag_cases(void)
{
	struct stat st;

	if (cf_mkdir("f", 0755) || mkfile_byte("f/a", 'a') ||
	    mkfile_byte("f/b", 'b') || cf_mkdir("f/dir", 0755))
		return;
	cf_rc("renameat2.noreplace-existing", rename2("f/a", "f/b",
						      RENAME_NOREPLACE));
	cf_rc("renameat2.noreplace-new", rename2("f/a", "f/c",
						 RENAME_NOREPLACE));
	cf_rc("renameat2.exchange", rename2("f/c", "f/b", RENAME_EXCHANGE));
	cf_res("renameat2.exchange-content", "b=%s c=%s", first_byte("f/b"),
	       first_byte("f/c"));
	cf_rc("renameat2.exchange-missing", rename2("f/b", "f/none",
						    RENAME_EXCHANGE));
	cf_rc("renameat2.exchange-file-dir", rename2("f/b", "f/dir",
						     RENAME_EXCHANGE));
	if (lstat("f/dir", &st) == 0)
		cf_res("renameat2.exchange-file-dir-type", "%s",
		       S_ISREG(st.st_mode) ? "file" : "other");
	cf_rc("renameat2.exchange-and-noreplace",
	      rename2("f/c", "f/dir", RENAME_EXCHANGE | RENAME_NOREPLACE));
	cf_rc("renameat2.unknown-flag", rename2("f/c", "f/d", 1u << 30));
	cf_rc("renameat2.whiteout", rename2("f/c", "f/w", RENAME_WHITEOUT));
	if (lstat("f/c", &st) == 0)
		cf_res("renameat2.whiteout-left", "%s %u:%u",
		       S_ISCHR(st.st_mode) ? "chr" : "other",
		       major(st.st_rdev), minor(st.st_rdev));
	else
		cf_res("renameat2.whiteout-left", "%s", cf_errname(errno));
}

/*
 * EXDEV needs a second filesystem: BASE/submount when the runner mounted
 * one there. Its st_dev is not compared: a FUSE mount shows one st_dev for
 * all its files unless the daemon announces submounts.
 */
static void exdev_case(void)
{
	char sub[4096], to[4200];
	struct stat b;
	int n;

	n = snprintf(sub, sizeof(sub), "%s/submount", cf_base);
	if (n < 0 || (size_t)n >= sizeof(sub) || stat(sub, &b) < 0 ||
	    !S_ISDIR(b.st_mode)) {
		cf_res("rename.exdev-submount", "n/a");
		cf_res("link.exdev-submount", "n/a");
		return;
	}
	snprintf(to, sizeof(to), "%s/conform-exdev", sub);
	if (cf_mkfile("exdev", 0644, 1))
		return;
	cf_rc("rename.exdev-submount", rename("exdev", to));
	cf_rc("link.exdev-submount", link("exdev", to));
	unlink(to);
}

void cf_run_rename(void)
{
	plain_cases();
	flag_cases();
	exdev_case();
}
