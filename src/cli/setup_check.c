/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vfsd check`: the host-side practices for a virtio-fs share, audited
 * before a guest ever sees it. A guest has root inside its share: it can
 * create setuid programs and device nodes there and fill the file system.
 * The checks below are about containing that on the host side.
 */
#include "cli/setup_check.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "cli/setup_config.h"
#include "fs/passthrough.h"
#include "policy/mounts.h"
#include "util/compiler.h"

/* Below this share of free blocks or inodes a guest is close to ENOSPC. */
#define LOW_FREE_PERCENT 5
/* Less than this is full: not even one more guest write of 1 MiB fits. */
#define FULL_BYTES (1024 * 1024)

#define QEMU_CONF "/etc/libvirt/qemu.conf"
#define LIBVIRT_MEMORY_DIR "/var/lib/libvirt/qemu/ram"

struct check_run {
	enum check_status worst;
	unsigned int counts[3];
};

/* A path quoted for a shell command line; PATH_MAX bytes may all be '\''. */
struct shq {
	char s[4 * PATH_MAX + 3];
};

static const char *shell_quote(struct shq *q, const char *path)
{
	char *p = q->s;

	if (strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_/.,:=@+-") == strlen(path) &&
	    strlen(path) < sizeof(q->s))
		return strcpy(q->s, path);
	*p++ = '\'';
	for (; *path && p < q->s + sizeof(q->s) - 6; path++) {
		if (*path == '\'')
			p = stpcpy(p, "'\\''");
		else
			*p++ = *path;
	}
	*p++ = '\'';
	*p = '\0';
	return q->s;
}

static const char *const status_names[] = {
	[CHECK_PASS] = "PASS",
	[CHECK_WARN] = "WARN",
	[CHECK_FAIL] = "FAIL",
};

static void __printf(4, 5) check_item(struct check_run *r,
				      enum check_status st, const char *item,
				      const char *fmt, ...)
{
	va_list ap;

	printf("%s  %-13s ", status_names[st], item);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	r->counts[st]++;
	if (st > r->worst)
		r->worst = st;
}

static void __printf(1, 2) check_fix(const char *fmt, ...)
{
	va_list ap;

	fputs("      fix:          ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void format_size(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	while (v >= 1024 && u < (int)sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, len, "%.1f %ciB", v, units[u]);
}

bool setup_is_system_dir(const char *path)
{
	/* Never shared, nor anything below them. */
	static const char *const trees[] = {
		"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64",
		"/libx32", "/proc", "/sbin", "/sys", "/usr",
	};
	/* Holders of other data: a share goes below them, not at them. */
	static const char *const exact[] = {
		"/", "/home", "/media", "/mnt", "/opt", "/root", "/run",
		"/srv", "/tmp", "/var", "/var/lib", "/var/tmp", "/var/log",
	};

	for (size_t i = 0; i < ARRAY_SIZE(exact); i++) {
		if (!strcmp(path, exact[i]))
			return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(trees); i++) {
		size_t n = strlen(trees[i]);

		if (!strncmp(path, trees[i], n) &&
		    (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

/* The share itself: exists, is a directory, is not a system directory. */
static int check_share(struct check_run *r, const char *dir, char *real)
{
	struct shq q;
	struct stat st;

	if (!realpath(dir, real)) {
		check_item(r, CHECK_FAIL, "share", "%s: %s", dir,
			   strerror(errno));
		if (errno == ENOENT)
			check_fix("mkdir -p %s", shell_quote(&q, dir));
		return -1;
	}
	if (stat(real, &st) || !S_ISDIR(st.st_mode)) {
		check_item(r, CHECK_FAIL, "share", "%s is not a directory",
			   real);
		return -1;
	}
	if (setup_is_system_dir(real)) {
		check_item(r, CHECK_FAIL, "share",
			   "%s is a system directory: a guest could rewrite the host",
			   real);
		check_fix("share a dedicated directory, e.g. /srv/vfsd/NAME");
		return 0;
	}
	if (strcmp(dir, real))
		check_item(r, CHECK_PASS, "share", "%s (resolved from %s)",
			   real, dir);
	else
		check_item(r, CHECK_PASS, "share", "%s", real);
	return 0;
}

/* One ancestor: returns the number of problems reported. */
static int check_one_parent(struct check_run *r, const char *p)
{
	struct shq q;
	struct stat st;
	int bad = 0;

	if (stat(p, &st)) {
		check_item(r, CHECK_FAIL, "parents", "%s: %s", p,
			   strerror(errno));
		return 1;
	}
	if (st.st_uid != 0) {
		check_item(r, CHECK_FAIL, "parents",
			   "%s is owned by uid %u, who can move the share away",
			   p, (unsigned int)st.st_uid);
		bad++;
	}
	if ((st.st_mode & S_IWGRP) && st.st_gid != 0) {
		check_item(r, CHECK_FAIL, "parents",
			   "%s is writable by group %u", p,
			   (unsigned int)st.st_gid);
		bad++;
	}
	if (st.st_mode & S_IWOTH) {
		/* Sticky: others cannot rename root's entries, only add. */
		enum check_status s = (st.st_mode & S_ISVTX) ? CHECK_WARN :
							      CHECK_FAIL;

		check_item(r, s, "parents", "%s is writable by everyone%s", p,
			   s == CHECK_WARN ? " (sticky)" : "");
		bad++;
	}
	/* Changing a parent would change the host: the share moves instead. */
	if (bad)
		check_fix("move the share out from under %s, e.g. to /srv/vfsd/NAME",
			  shell_quote(&q, p));
	return bad;
}

static void check_parents(struct check_run *r, const char *real)
{
	char path[PATH_MAX];
	struct stat st;
	char *slash;
	int bad = 0;

	if (!strcmp(real, "/"))
		return;
	snprintf(path, sizeof(path), "%s", real);
	do {
		slash = strrchr(path, '/');
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
		bad += check_one_parent(r, path);
	} while (slash != path);
	if (!bad)
		check_item(r, CHECK_PASS, "parents",
			   "every parent is root-owned and not writable by others");

	snprintf(path, sizeof(path), "%s", real);
	slash = strrchr(path, '/');
	slash[slash == path ? 1 : 0] = '\0';
	if (stat(path, &st))
		return;
	if (st.st_mode & 0077) {
		/*
		 * The guest makes setuid-root programs and device nodes in
		 * the share; a 0700 parent keeps host users from reaching them.
		 */
		check_item(r, CHECK_WARN, "parent-mode",
			   "%s is mode %04o: host users can reach what the guest creates",
			   path, (unsigned int)(st.st_mode & 07777));
		check_fix("start vfsd with --nosuid --nodev (what the guest makes stays inert),");
		check_fix("or move the share into a directory of mode 0700 of its own, e.g. /srv/vfsd/NAME");
	} else {
		check_item(r, CHECK_PASS, "parent-mode", "%s is mode %04o", path,
			   (unsigned int)(st.st_mode & 07777));
	}
}

struct mount_info {
	char point[PATH_MAX];
	char fstype[64];
	char source[PATH_MAX];
	/*
	 * The share is the root of this mount: a fix may change the mount.
	 * Otherwise it is the host's (often /), and no fix may touch it.
	 */
	bool own;
};

/* mountinfo escapes blanks and backslashes as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* Fields of /proc/self/mountinfo for mount id; 0 or -1. */
static int find_mount(uint64_t mnt_id, struct mount_info *m)
{
	char *line = NULL, *sep, *save = NULL, *tok;
	size_t cap = 0;
	int ret = -1;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	while (ret && getline(&line, &cap, f) > 0) {
		unsigned long long id;
		char point[PATH_MAX];

		if (sscanf(line, "%llu %*u %*s %*s %4095s", &id, point) != 2 ||
		    id != mnt_id)
			continue;
		sep = strstr(line, " - ");
		if (!sep)
			break;
		tok = strtok_r(sep + 3, " \n", &save);
		snprintf(m->fstype, sizeof(m->fstype), "%s", tok ? tok : "?");
		tok = strtok_r(NULL, " \n", &save);
		snprintf(m->source, sizeof(m->source), "%s", tok ? tok : "?");
		unescape(point);
		unescape(m->source);
		snprintf(m->point, sizeof(m->point), "%s", point);
		ret = 0;
	}
	free(line);
	fclose(f);
	return ret;
}

/*
 * A share on a file system of its own: a guest that fills it (space or
 * inodes) does not fill the host's root. Fills *m for the later checks.
 */
static void check_filesystem(struct check_run *r, const char *real,
			     struct mount_info *m)
{
	struct statx stx;
	char fstab[4 * PATH_MAX];
	char *p = fstab;

	/* Unknown mount: name the share itself in the messages. */
	snprintf(m->point, sizeof(m->point), "%s", real);
	snprintf(m->fstype, sizeof(m->fstype), "?");
	snprintf(m->source, sizeof(m->source), "?");
	if (statx(AT_FDCWD, real, 0, STATX_MNT_ID, &stx)) {
		check_item(r, CHECK_FAIL, "filesystem", "statx %s: %s", real,
			   strerror(errno));
		return;
	}
	if (stx.stx_mask & STATX_MNT_ID)
		find_mount(stx.stx_mnt_id, m);
	if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	    (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
		check_item(r, CHECK_PASS, "filesystem",
			   "%s is a mount point (%s on %s)", real, m->fstype,
			   m->source);
		m->own = true;
		return;
	}
	check_item(r, CHECK_WARN, "filesystem",
		   "%s is not a mount point: it is on %s (%s), whose space and inodes a guest can exhaust",
		   real, m->point, m->fstype);
	for (const char *s = real; *s && p < fstab + sizeof(fstab) - 5; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\\')
			p += sprintf(p, "\\%03o", (unsigned char)*s);
		else
			*p++ = *s;
	}
	*p = '\0';
	check_fix("give the share its own file system, e.g. this /etc/fstab line:");
	check_fix("/dev/DEVICE %s ext4 nosuid,nodev 0 2", fstab);
}

/* What keeps a guest's walk of the share within the daemon's fds. */
static void inode_fix(const struct mount_info *m)
{
	if (!strcmp(m->fstype, "overlay"))
		check_fix("mount the overlay with -o index=on,nfs_export=on, or run Linux 6.5 or later");
	else
		check_fix("share a filesystem with file handles (ext4, xfs, btrfs, tmpfs), or raise --rlimit-nofile");
}

/*
 * How the daemon will keep inode fds on this share without options
 * (fs/inode.h): at most half of RLIMIT_NOFILE, a closed inode reopened by
 * file handle on a whole filesystem and by name elsewhere; one fd per
 * inode where the filesystem gives no id to tell its files apart.
 */
static void check_inodes(struct check_run *r, const char *real,
			 const struct mount_info *m)
{
	unsigned long long budget = 0;
	bool whole = false;
	struct rlimit rl;
	enum pt_ids ids;
	int fd, open_err;

	/* The daemon raises its open-file limit to the hard one. */
	if (!getrlimit(RLIMIT_NOFILE, &rl))
		budget = pt_fd_budget_for(rl.rlim_max);
	fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		check_item(r, CHECK_FAIL, "inode-fds", "open %s: %s", real,
			   strerror(errno));
		return;
	}
	open_err = pt_probe_ids(fd, &ids);
	close(fd);
	if (mounts_share_is_whole(real, &whole))
		whole = false;
	if (ids == PT_IDS_NONE) {
		check_item(r, CHECK_WARN, "inode-fds",
			   "%s (%s) gives no file ids: one fd per inode, so a guest that looks up more than about %llu files gets EMFILE",
			   m->point, m->fstype, budget);
		inode_fix(m);
	} else if (whole && !open_err) {
		check_item(r, CHECK_PASS, "inode-fds",
			   "at most %llu inode fds; closed ones reopen by file handle (%s is the root of its filesystems)",
			   budget, real);
	} else {
		check_item(r, CHECK_PASS, "inode-fds",
			   "at most %llu inode fds; closed ones reopen by name, no capability needed (%s%s)",
			   budget, whole ? "no file handles to open" :
				    "a file handle could reach past the share",
			   ids == PT_IDS_FID ? "; files told apart by AT_HANDLE_FID ids" : "");
	}
}

static void check_mount_options(struct check_run *r, const struct statvfs *vfs,
				const struct mount_info *m)
{
	bool nosuid = vfs->f_flag & ST_NOSUID, nodev = vfs->f_flag & ST_NODEV;
	struct shq q;

	if (nosuid && nodev) {
		check_item(r, CHECK_PASS, "mount-options",
			   "%s is mounted nosuid,nodev", m->point);
		return;
	}
	/*
	 * The guest's root can chmod u+s and mknod in its share; on the
	 * host those must stay inert files.
	 */
	check_item(r, CHECK_WARN, "mount-options",
		   "%s is mounted without %s: setuid programs and device nodes the guest creates work on the host",
		   m->point, !nosuid && !nodev ? "nosuid,nodev" :
			     !nosuid ? "nosuid" : "nodev");
	if (m->own) {
		check_fix("mount -o remount,nosuid,nodev %s",
			  shell_quote(&q, m->point));
		check_fix("and add nosuid,nodev to its options in /etc/fstab");
		return;
	}
	/* Remounting the host's own file system is not the share's to ask. */
	check_fix("start vfsd with --nosuid --nodev (what the guest makes stays inert),");
	check_fix("or give the share a file system of its own, mounted nosuid,nodev");
}

static bool low(uint64_t avail, uint64_t total)
{
	return avail < total / 100 * LOW_FREE_PERCENT;
}

static void check_space(struct check_run *r, const struct statvfs *vfs,
			const struct mount_info *m)
{
	uint64_t total = (uint64_t)vfs->f_blocks * vfs->f_frsize;
	uint64_t avail = (uint64_t)vfs->f_bavail * vfs->f_frsize;
	char t[32], a[32];

	format_size(t, sizeof(t), total);
	format_size(a, sizeof(a), avail);
	if (vfs->f_blocks == 0)
		check_item(r, CHECK_PASS, "space", "%s reports no size (%s)",
			   m->point, m->fstype);
	else if (avail < FULL_BYTES)
		check_item(r, CHECK_FAIL, "space", "%s is full (%s free of %s)",
			   m->point, a, t);
	else if (low(avail, total))
		check_item(r, CHECK_WARN, "space", "%s has %s free of %s",
			   m->point, a, t);
	else
		check_item(r, CHECK_PASS, "space", "%s free of %s", a, t);
	if (vfs->f_blocks && (low(avail, total) || avail < FULL_BYTES))
		check_fix(m->own ? "free space in the share or grow its file system" :
				   "give the share a file system of its own, or keep a reserve with --min-free-space=SIZE");

	if (vfs->f_files == 0)
		check_item(r, CHECK_PASS, "inodes",
			   "%s allocates inodes as needed (%s)", m->point,
			   m->fstype);
	else if (vfs->f_favail == 0)
		check_item(r, CHECK_FAIL, "inodes", "%s has no free inodes",
			   m->point);
	else if (low(vfs->f_favail, vfs->f_files))
		check_item(r, CHECK_WARN, "inodes",
			   "%s has %llu free inodes of %llu", m->point,
			   (unsigned long long)vfs->f_favail,
			   (unsigned long long)vfs->f_files);
	else
		check_item(r, CHECK_PASS, "inodes", "%llu free of %llu",
			   (unsigned long long)vfs->f_favail,
			   (unsigned long long)vfs->f_files);
	if (vfs->f_files && low(vfs->f_favail, vfs->f_files))
		check_fix(m->own ? "remove files in the share, or make its file system with more inodes (mkfs.ext4 -i)" :
				   "give the share a file system of its own, or keep a reserve with --min-free-inodes=N");
}

/* memory_backing_dir from libvirt's qemu.conf, if set there. */
static bool qemu_conf_memory_dir(const char *conf, char *out, size_t len)
{
	char *line = NULL, *p, *end;
	bool found = false;
	size_t cap = 0;
	FILE *f;

	f = fopen(conf, "re");
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		p = line + strspn(line, " \t");
		if (strncmp(p, "memory_backing_dir", 18))
			continue;
		p += 18;
		p += strspn(p, " \t");
		if (*p++ != '=')
			continue;
		p += strspn(p, " \t");
		if (*p++ != '"')
			continue;
		end = strchr(p, '"');
		if (!end || end == p)
			continue;
		*end = '\0';
		snprintf(out, len, "%s", p);
		found = true;
	}
	free(line);
	fclose(f);
	return found;
}

/*
 * File-backed guest RAM lives in libvirt's memory backing directory: it
 * needs room for all of it, or QEMU dies at start (or worse, at first use).
 */
static void check_memory(struct check_run *r, uint64_t memory,
			 const char *memdir)
{
	char dir[PATH_MAX], want[PATH_MAX], need[32], have[32];
	struct statvfs vfs;
	struct sysinfo si;
	uint64_t avail;
	char *slash;

	if (!memory) {
		printf("SKIP  %-13s give --memory SIZE (the guest's RAM) to check room for it\n",
		       "memory");
		return;
	}
	format_size(need, sizeof(need), memory);
	if (!memdir && !qemu_conf_memory_dir(QEMU_CONF, dir, sizeof(dir)))
		snprintf(dir, sizeof(dir), "%s", LIBVIRT_MEMORY_DIR);
	else if (memdir)
		snprintf(dir, sizeof(dir), "%s", memdir);
	snprintf(want, sizeof(want), "%s", dir);
	/* libvirt creates the directory: measure where it will be made. */
	while (statvfs(dir, &vfs)) {
		slash = strrchr(dir, '/');
		if (errno != ENOENT || !slash || slash == dir) {
			check_item(r, CHECK_FAIL, "memory", "statvfs %s: %s",
				   dir, strerror(errno));
			return;
		}
		*slash = '\0';
	}
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	format_size(have, sizeof(have), avail);
	if (avail < memory) {
		check_item(r, CHECK_FAIL, "memory",
			   "%s has %s free for file-backed guest RAM of %s",
			   want, have, need);
		check_fix("set memory_backing_dir in %s to a file system with room,",
			  QEMU_CONF);
		check_fix("or use <source type='memfd'/> in <memoryBacking>");
	} else {
		check_item(r, CHECK_PASS, "memory",
			   "%s has %s free for guest RAM of %s%s", want, have,
			   need, strcmp(want, dir) ? " (on its parent's file system)" : "");
	}
	if (!sysinfo(&si) && memory > (uint64_t)si.totalram * si.mem_unit) {
		format_size(have, sizeof(have),
			    (uint64_t)si.totalram * si.mem_unit);
		check_item(r, CHECK_WARN, "memory",
			   "guest RAM of %s is more than the host's %s", need,
			   have);
		check_fix("give the guest less memory");
	}
}

static void check_usage(FILE *out)
{
	fprintf(out,
		"Usage: vfsd check --shared-dir DIR [--memory SIZE] [--memory-dir DIR]\n"
		"\n"
		"Audit the host side of a virtio-fs share. Prints PASS, WARN or\n"
		"FAIL per item, with the command that fixes each problem. Exit\n"
		"status: 0 all pass, 1 warnings, 2 failures.\n"
		"\n"
		"  --shared-dir=DIR   the directory to share\n"
		"  --memory=SIZE      the guest's RAM, e.g. 8G: check that the\n"
		"                     memory backing directory has room for it\n"
		"  --memory-dir=DIR   that directory (default: memory_backing_dir\n"
		"                     of %s, else %s)\n"
		"  -h, --help         print this help\n",
		QEMU_CONF, LIBVIRT_MEMORY_DIR);
}

static void check_all(struct check_run *r, const char *dir, uint64_t memory,
		      const char *memdir)
{
	char real[PATH_MAX];
	struct mount_info m;
	struct statvfs vfs;

	if (check_share(r, dir, real))
		return;
	check_parents(r, real);
	check_filesystem(r, real, &m);
	check_inodes(r, real, &m);
	if (statvfs(real, &vfs)) {
		check_item(r, CHECK_FAIL, "space", "statvfs %s: %s", real,
			   strerror(errno));
	} else {
		check_mount_options(r, &vfs, &m);
		check_space(r, &vfs, &m);
	}
	check_memory(r, memory, memdir);
}

int setup_check_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "shared-dir", required_argument, NULL, 's' },
		{ "memory", required_argument, NULL, 'm' },
		{ "memory-dir", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_run r = { .worst = CHECK_PASS };
	const char *dir = NULL, *memdir = NULL;
	uint64_t memory = 0;
	int opt;

	/* getopt's messages start with argv[0]. */
	argv[0] = (char *)"vfsd check";
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			dir = optarg;
			break;
		case 'm':
			if (setup_parse_size(optarg, &memory)) {
				fprintf(stderr, "vfsd check: bad --memory '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'M':
			memdir = optarg;
			break;
		case 'h':
			check_usage(stdout);
			return 0;
		default:
			check_usage(stderr);
			return 2;
		}
	}
	if (!dir || optind < argc) {
		check_usage(stderr);
		return 2;
	}
	check_all(&r, dir, memory, memdir);
	/* Not "N passed, N failed": CI logs read that as a test summary. */
	printf("summary: %u pass, %u warn, %u fail\n", r.counts[CHECK_PASS],
	       r.counts[CHECK_WARN], r.counts[CHECK_FAIL]);
	if (fflush(stdout))
		return 2;
	return (int)r.worst;
}
