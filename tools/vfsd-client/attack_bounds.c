/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bounds a guest must not get past, each on a share of its own (a
 * small tmpfs) with vfsd's options for it:
 *  - the reserves of --min-free-inodes and --min-free-space, against
 *    requests that allocate without creating a file (RENAME_WHITEOUT,
 *    SETXATTR, which tmpfs bills as inodes) or without growing one
 *    (WRITE and COPY_FILE_RANGE into the holes of a sparse file): after
 *    the guest tried its hardest, the host still has the reserve free;
 *  - what one COPY_FILE_RANGE may do: no more than one WRITE;
 *  - the daemon's memory: open handles end in EMFILE at --max-open-handles
 *    (or the default the fd limit gives), and a flood of open and read
 *    directories, open files and lock owners grows its anonymous memory by
 *    no more than docs/SECURITY.md's formula allows.
 * A case answers AR_BAD, with a note, when a bound did not hold.
 */
#include "attack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define OUTH sizeof(struct fuse_out_header)
#define STR_(x) #x
#define STR(x) STR_(x)

/* A tmpfs of TMPFS_INODES inodes, half of them the reserve. */
#define TMPFS_INODES 256
#define INODE_RESERVE 128
/* A tmpfs of TMPFS_MB MiB, half of it the reserve. */
#define TMPFS_MB 32
#define SPACE_RESERVE_MB 16
/* A sparse file far larger than the tmpfs. */
#define SPARSE_SIZE (1ull << 30)

/* Per-item costs of docs/SECURITY.md's memory formula, in bytes. */
#define MEM_PER_HANDLE 512u
#define MEM_PER_LOCK_OWNER 512u
#define MEM_PER_LOCK_RANGE 48u
/* Allocator and hash table growth, a worker's stack. */
#define MEM_SLACK (2u << 20)

/* The flood's daemon: RLIMIT_NOFILE 4096, so 2048 inode fds and */
#define FLOOD_NOFILE 4096
/* (4096 - 2048) / 2 handles by default (fs/passthrough.c). */
#define FLOOD_HANDLES 1024
#define FLOOD_FILES 1000
#define FLOOD_OWNERS 128
#define FLOOD_RANGES 16
#define FLOOD_XATTR_READS 64
#define XATTR_ROOM 60000u

static struct fm_queue *queue(struct attack_ctx *a)
{
	return &a->cs->q[1];
}

/* Send what s holds; 0 with want bytes of the answer in out, or -errno. */
static int call(struct attack_ctx *a, struct fm_slot *s, void *out,
		size_t want)
{
	return fm_call_copy(queue(a), s, a->o->timeout_ms, out, want);
}

/* A file of size bytes on the host, a hole all through. */
static int host_sparse(struct attack_ctx *a, const char *name, uint64_t size)
{
	char p[4200];
	int fd, r = 0;

	snprintf(p, sizeof(p), "%s/%s", a->o->shared_dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size))
		r = -errno;
	close(fd);
	return r;
}

/* LOOKUP name in the root and OPEN it read-write. */
static int open_rw(struct attack_ctx *a, const char *name, uint64_t *nid,
		   uint64_t *fh)
{
	struct fuse_entry_out e;
	int r = fm_do_lookup(queue(a), FUSE_ROOT_ID, name, &e);

	if (!r) {
		*nid = e.nodeid;
		r = fm_do_open(queue(a), FUSE_OPEN, e.nodeid, O_RDWR, fh);
	}
	if (r)
		attack_note(a, "set-up of %s: %s", name, strerror(-r));
	return r;
}

static int share_statvfs(struct attack_ctx *a, struct statvfs *sv)
{
	if (statvfs(a->o->shared_dir, sv)) {
		attack_note(a, "statvfs of the share: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * The verdict on a loop of n allocating requests that ended with r: the
 * reserve (free is what the host has left, in the reserve's unit) must be
 * untouched, the guest must have been let do something first, and stopped
 * with ENOSPC.
 */
static enum attack_result reserve_verdict(struct attack_ctx *a,
					  const char *what, unsigned int n,
					  int r, unsigned long long free,
					  unsigned long long reserve)
{
	if (free < reserve) {
		attack_note(a, "reserve crossed: %llu free of %llu after %u %s (%s)",
			    free, reserve, n, what,
			    r ? strerror(-r) : "never refused");
		return AR_BAD;
	}
	if (n == 0 || r != -ENOSPC) {
		attack_note(a, "%u %s, then %s (want some, then ENOSPC)", n,
			    what, r ? strerror(-r) : "never refused");
		return AR_BAD;
	}
	attack_note(a, "%u %s, then ENOSPC with %llu free (reserve %llu)", n,
		    what, free, reserve);
	return AR_ERR;
}

/* The verdict on the inode reserve after n requests that ended with r. */
static enum attack_result inode_verdict(struct attack_ctx *a, const char *what,
					unsigned int n, int r)
{
	struct statvfs sv;

	if (share_statvfs(a, &sv))
		return AR_BAD;
	return reserve_verdict(a, what, n, r, sv.f_favail, INODE_RESERVE);
}

/* The same for the space reserve. */
static enum attack_result space_verdict(struct attack_ctx *a, const char *what,
					unsigned int n, int r)
{
	struct statvfs sv;

	if (share_statvfs(a, &sv))
		return AR_BAD;
	return reserve_verdict(a, what, n, r,
			       (unsigned long long)sv.f_bavail * sv.f_frsize,
			       SPACE_RESERVE_MB << 20);
}

/* --- The inode reserve ------------------------------------------------ */

static int rename_whiteout(struct attack_ctx *a, const char *from,
			   const char *to)
{
	struct fm_slot *s = attack_slot(a);
	struct fuse_rename2_in in = { .newdir = FUSE_ROOT_ID,
				      .flags = RENAME_WHITEOUT };

	fm_begin(s, FUSE_RENAME2, FUSE_ROOT_ID);
	fm_arg(s, &in, sizeof(in));
	fm_name(s, from);
	fm_name(s, to);
	fm_end(s, OUTH);
	return call(a, s, NULL, 0);
}

/*
 * Each RENAME_WHITEOUT leaves a new inode (a 0:0 device) at the old name:
 * rename one file on and on, leaving a whiteout behind each time.
 */
static enum attack_result whiteout_past_inode_reserve(struct attack_ctx *a)
{
	char cur[16] = "w0", next[16];
	struct fuse_entry_out e;
	unsigned int n = 0;
	uint64_t fh;
	int r;

	r = fm_do_create(queue(a), FUSE_ROOT_ID, cur, S_IFREG | 0644, &e, &fh);
	if (r) {
		attack_note(a, "set-up CREATE: %s", strerror(-r));
		return AR_BAD;
	}
	fm_do_release(queue(a), FUSE_RELEASE, e.nodeid, fh);
	while (n < TMPFS_INODES) {
		snprintf(next, sizeof(next), "w%u", n + 1);
		r = rename_whiteout(a, cur, next);
		if (r)
			break;
		n++;
		memcpy(cur, next, sizeof(cur));
	}
	return inode_verdict(a, "whiteouts", n, r);
}

static int setxattr(struct attack_ctx *a, uint64_t nid, const char *name,
		    uint32_t size)
{
	struct fm_slot *s = attack_slot(a);
	/* The form without FUSE_SETXATTR_EXT, which we do not ask for. */
	struct fuse_setxattr_in in = { .size = size };

	fm_begin(s, FUSE_SETXATTR, nid);
	fm_arg(s, &in, FUSE_COMPAT_SETXATTR_IN_SIZE);
	fm_name(s, name);
	memset(fm_space(s, size), 'v', size);
	fm_end(s, OUTH);
	return call(a, s, NULL, 0);
}

/* tmpfs (Linux 6.6 on) bills an xattr to its inodes, one per KiB. */
static enum attack_result xattr_past_inode_reserve(struct attack_ctx *a)
{
	struct fuse_entry_out e;
	unsigned int n = 0;
	char name[32];
	uint64_t fh;
	int r;

	r = fm_do_create(queue(a), FUSE_ROOT_ID, "x", S_IFREG | 0644, &e, &fh);
	if (r) {
		attack_note(a, "set-up CREATE: %s", strerror(-r));
		return AR_BAD;
	}
	fm_do_release(queue(a), FUSE_RELEASE, e.nodeid, fh);
	while (n < TMPFS_INODES) {
		snprintf(name, sizeof(name), "user.x%u", n);
		r = setxattr(a, e.nodeid, name, 3000);
		if (r)
			break;
		n++;
	}
	if (n == 0 && r == -EOPNOTSUPP) {
		attack_note(a, "this kernel's tmpfs keeps no user xattrs");
		a->skip = true;
		return AR_ERR;
	}
	return inode_verdict(a, "xattrs of 3000 bytes", n, r);
}

/* --- The space reserve ------------------------------------------------ */

#define CHUNK (32u * 1024)

/* truncate -s 1G, then writes into the hole: the file never grows. */
static enum attack_result hole_writes_past_space_reserve(struct attack_ctx *a)
{
	unsigned int n = 0, max = (TMPFS_MB << 20) / CHUNK;
	uint64_t nid, fh;
	int r;

	r = host_sparse(a, "sparse", SPARSE_SIZE);
	if (!r)
		r = open_rw(a, "sparse", &nid, &fh);
	if (r)
		return AR_BAD;
	while (n < max) {
		struct fm_slot *s = attack_slot(a);
		struct fuse_write_out wo;

		memset(fm_fill_write(s, nid, fh, (uint64_t)n * CHUNK, CHUNK),
		       'h', CHUNK);
		r = call(a, s, &wo, sizeof(wo));
		if (r)
			break;
		n++;
	}
	fm_do_release(queue(a), FUSE_RELEASE, nid, fh);
	return space_verdict(a, "writes of 32 KiB into a hole", n, r);
}

static int copy_range(struct attack_ctx *a, uint64_t nid_in, uint64_t fh_in,
		      uint64_t nid_out, uint64_t fh_out, uint64_t off,
		      uint64_t len, uint32_t *copied)
{
	struct fm_slot *s = attack_slot(a);
	struct fuse_copy_file_range_in in = {
		.fh_in = fh_in, .off_in = off, .nodeid_out = nid_out,
		.fh_out = fh_out, .off_out = off, .len = len,
	};
	struct fuse_write_out wo;
	int r;

	fm_begin(s, FUSE_COPY_FILE_RANGE, nid_in);
	fm_arg(s, &in, sizeof(in));
	fm_end(s, OUTH + sizeof(wo));
	r = call(a, s, &wo, sizeof(wo));
	if (!r)
		*copied = wo.size;
	return r;
}

/*
 * One COPY_FILE_RANGE of 1 GiB between two sparse files: no more than
 * max_write may be copied by it (the rest is the guest's to ask for),
 * and copying on, into the destination's holes, stops at the reserve.
 */
static enum attack_result copy_file_range_bound(struct attack_ctx *a)
{
	uint64_t nid_in, fh_in, nid_out, fh_out, off = 0;
	uint32_t copied = 0, max = a->cs->init.max_write;
	unsigned int n = 0;
	int r;

	r = host_sparse(a, "src", SPARSE_SIZE);
	if (!r)
		r = host_sparse(a, "dst", SPARSE_SIZE);
	if (!r)
		r = open_rw(a, "src", &nid_in, &fh_in);
	if (!r)
		r = open_rw(a, "dst", &nid_out, &fh_out);
	if (r)
		return AR_BAD;
	while (off < SPARSE_SIZE) {
		r = copy_range(a, nid_in, fh_in, nid_out, fh_out, off,
			       SPARSE_SIZE - off, &copied);
		if (r || copied == 0)
			break;
		if (copied > max) {
			attack_note(a, "one COPY_FILE_RANGE copied %u bytes; max_write is %u",
				    copied, max);
			return AR_BAD;
		}
		off += copied;
		n++;
	}
	fm_do_release(queue(a), FUSE_RELEASE, nid_in, fh_in);
	fm_do_release(queue(a), FUSE_RELEASE, nid_out, fh_out);
	return space_verdict(a, "copies of at most max_write", n, r);
}

/* --- Memory ------------------------------------------------------------ */

static int readdir_once(struct attack_ctx *a, uint64_t fh)
{
	struct fm_slot *s = attack_slot(a);

	fm_fill_read(s, FUSE_READDIR, FUSE_ROOT_ID, fh, 0, 4096);
	return call(a, s, NULL, 0);
}

static int setlk(struct attack_ctx *a, uint64_t nid, uint64_t fh,
		 uint64_t owner, uint64_t start)
{
	struct fm_slot *s = attack_slot(a);
	struct fuse_lk_in in = {
		.fh = fh, .owner = owner,
		.lk = { .start = start, .end = start, .type = F_WRLCK },
	};

	fm_begin(s, FUSE_SETLK, nid);
	fm_arg(s, &in, sizeof(in));
	fm_end(s, OUTH);
	return call(a, s, NULL, 0);
}

/* GETXATTR (name) or LISTXATTR (NULL) with room for size bytes. */
static int xattr_read(struct attack_ctx *a, uint64_t nid, const char *name,
		      uint32_t size)
{
	struct fm_slot *s = attack_slot(a);
	struct fuse_getxattr_in in = { .size = size };

	fm_begin(s, name ? FUSE_GETXATTR : FUSE_LISTXATTR, nid);
	fm_arg(s, &in, sizeof(in));
	if (name)
		fm_name(s, name);
	fm_end(s, OUTH + size);
	return call(a, s, NULL, 0);
}

/* RssAnon of the back end's processes, in KiB. */
static int rss_anon(struct attack_ctx *a, uint64_t *kb)
{
	struct vc_proc_stat st;
	int r = vc_proc_stat(a->cs->dev.pid, &st);

	if (r)
		attack_note(a, "no /proc numbers: %s", strerror(-r));
	*kb = st.rss_anon_kb;
	return r;
}

/* OPENDIR the root until refused: how many, and the refusal. */
static unsigned int opendir_until_refused(struct attack_ctx *a, uint64_t *fhs,
					  unsigned int max, int *r)
{
	unsigned int n = 0;

	while (n < max) {
		*r = fm_do_open(queue(a), FUSE_OPENDIR, FUSE_ROOT_ID, 0,
				&fhs[n]);
		if (*r)
			break;
		n++;
	}
	return n;
}

/* A flood's state: the handles it holds, open first as directories. */
struct flood {
	uint64_t fhs[FLOOD_NOFILE];
	unsigned int ndirs, nfiles, locks;
	uint64_t nid, fh;	/* a file kept open throughout, for the locks */
	uint64_t before, after;	/* RssAnon, KiB */
};

/* Entries to list, and one of every request, so the baseline has its buffers. */
static int flood_setup(struct attack_ctx *a, struct flood *f)
{
	uint64_t dfh;
	int r = 0;

	/* Enough to fill any buffer a READDIR reads the directory into. */
	for (unsigned int i = 0; i < FLOOD_FILES && !r; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%0*u", 48, i);
		r = host_sparse(a, name, 0);
	}
	if (!r)
		r = open_rw(a, "000000000000000000000000000000000000000000000000",
			    &f->nid, &f->fh);
	if (!r)
		r = fm_do_open(queue(a), FUSE_OPENDIR, FUSE_ROOT_ID, 0, &dfh);
	if (!r) {
		r = readdir_once(a, dfh);
		fm_do_release(queue(a), FUSE_RELEASEDIR, FUSE_ROOT_ID, dfh);
	}
	if (!r)
		r = setlk(a, f->nid, f->fh, 1, 0);
	if (!r) {
		xattr_read(a, f->nid, NULL, XATTR_ROOM);
		xattr_read(a, f->nid, "user.none", XATTR_ROOM);
		r = rss_anon(a, &f->before);
	}
	if (r)
		attack_note(a, "warm-up: %s", strerror(-r));
	return r;
}

/* Directories open and read, then files in half their place, to EMFILE. */
static int flood_handles(struct attack_ctx *a, struct flood *f)
{
	int r;

	int e = 0;

	f->ndirs = opendir_until_refused(a, f->fhs, FLOOD_NOFILE, &r);
	for (unsigned int i = 0; i < f->ndirs && !e; i++)
		e = readdir_once(a, f->fhs[i]);
	if (e) {
		attack_note(a, "READDIR: %s", strerror(-e));
		return e;
	}
	/* The file kept for the locks counts against the limit. */
	if (r != -EMFILE || f->ndirs + 1 != FLOOD_HANDLES) {
		attack_note(a, "%u directories open, then %s (want %u, then EMFILE)",
			    f->ndirs, r ? strerror(-r) : "no refusal",
			    FLOOD_HANDLES - 1);
		return -EMFILE;
	}
	while (f->nfiles < f->ndirs / 2) {
		fm_do_release(queue(a), FUSE_RELEASEDIR, FUSE_ROOT_ID,
			      f->fhs[f->nfiles]);
		r = fm_do_open(queue(a), FUSE_OPEN, f->nid, O_RDWR,
			       &f->fhs[f->nfiles]);
		if (r)
			break;
		f->nfiles++;
	}
	if (!r)
		r = fm_do_open(queue(a), FUSE_OPEN, f->nid, O_RDWR, &f->fh);
	if (r != -EMFILE) {
		attack_note(a, "%u files in the place of directories, then %s (want EMFILE)",
			    f->nfiles, r ? strerror(-r) : "no refusal");
		return -EMFILE;
	}
	return 0;
}

/* Give everything back, as a guest that unmounts would. */
static void flood_release(struct attack_ctx *a, struct flood *f)
{
	for (unsigned int i = 0; i < f->ndirs; i++)
		fm_do_release(queue(a),
			      i < f->nfiles ? FUSE_RELEASE : FUSE_RELEASEDIR,
			      i < f->nfiles ? f->nid : FUSE_ROOT_ID, f->fhs[i]);
	fm_do_release(queue(a), FUSE_RELEASE, f->nid, f->fh);
}

/*
 * Whether the back end runs with AddressSanitizer, whose quarantine keeps
 * freed memory for a while: then memory freed after each request is not
 * given back, and only what stays allocated can be measured.
 */
static bool backend_sanitized(struct attack_ctx *a)
{
	char path[64], line[512];
	bool asan = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)a->cs->dev.pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!asan && fgets(line, sizeof(line), f))
		asan = strstr(line, "libasan") != NULL;
	fclose(f);
	return asan;
}

/* The flood's growth of RssAnon against the formula's terms. */
static enum attack_result flood_verdict(struct attack_ctx *a,
					const struct flood *f, uint64_t after_x)
{
	uint64_t bound = (f->ndirs + 1ull) * MEM_PER_HANDLE +
			 FLOOD_OWNERS * MEM_PER_LOCK_OWNER +
			 (uint64_t)f->locks * MEM_PER_LOCK_RANGE + MEM_SLACK;
	bool asan = backend_sanitized(a);

	attack_note(a, "%u handles, %u lock ranges of %u owners: RssAnon %llu -> %llu KiB (bound +%llu), after %u xattr reads %llu KiB%s",
		    f->ndirs + 1, f->locks, FLOOD_OWNERS,
		    (unsigned long long)f->before, (unsigned long long)f->after,
		    (unsigned long long)(bound >> 10), 2 * FLOOD_XATTR_READS,
		    (unsigned long long)after_x,
		    asan ? " (sanitizer: not checked)" : "");
	if (f->locks != FLOOD_OWNERS * FLOOD_RANGES || f->after < f->before ||
	    (f->after - f->before) << 10 > bound)
		return AR_BAD;
	/* Each request's buffers are freed: no growth beyond a worker's. */
	if (!asan && after_x > f->after && (after_x - f->after) << 10 > MEM_SLACK)
		return AR_BAD;
	return AR_ERR;
}

/*
 * What a guest that never closes anything can make the daemon hold: open
 * and read directories until EMFILE, the same with files in the place of
 * half of them, and locks of many owners on one file. Then xattr reads
 * with the largest buffers, which must not pile up.
 */
static enum attack_result memory_flood(struct attack_ctx *a)
{
	static struct flood f;
	uint64_t after_x = 0;
	int r;

	memset(&f, 0, sizeof(f));
	if (flood_setup(a, &f))
		return AR_BAD;
	r = flood_handles(a, &f);
	for (uint64_t o = 2; !r && o < 2 + FLOOD_OWNERS; o++)
		for (uint64_t k = 0; k < FLOOD_RANGES; k++)
			f.locks += !setlk(a, f.nid, f.fh, o, o * 1000 + 2 * k);
	if (rss_anon(a, &f.after))
		r = -EIO;
	for (unsigned int i = 0; !r && i < FLOOD_XATTR_READS; i++) {
		xattr_read(a, f.nid, NULL, XATTR_ROOM);
		xattr_read(a, f.nid, "user.none", XATTR_ROOM);
	}
	if (!r && rss_anon(a, &after_x))
		r = -EIO;
	flood_release(a, &f);
	if (!r)
		return flood_verdict(a, &f, after_x);
	snprintf(a->note + strlen(a->note), sizeof(a->note) - strlen(a->note),
		 "; RssAnon %llu -> %llu KiB", (unsigned long long)f.before,
		 (unsigned long long)f.after);
	return AR_BAD;
}

/* --max-open-handles: files and directories together, EMFILE beyond. */
static enum attack_result open_handles_limit(struct attack_ctx *a)
{
	uint64_t fhs[64], nid, fh;
	unsigned int n;
	int r;

	r = host_sparse(a, "f", 0);
	if (!r)
		r = open_rw(a, "f", &nid, &fh);
	if (r)
		return AR_BAD;
	n = opendir_until_refused(a, fhs, 64, &r);
	if (n != 63 || r != -EMFILE) {
		attack_note(a, "%u directories beside one file, then %s (want 63, then EMFILE)",
			    n, r ? strerror(-r) : "no refusal");
		return AR_BAD;
	}
	r = fm_do_open(queue(a), FUSE_OPEN, nid, O_RDONLY, &fhs[63]);
	if (r != -EMFILE) {
		attack_note(a, "OPEN beyond the limit: %s", strerror(-r));
		return AR_BAD;
	}
	/* A release makes room again. */
	fm_do_release(queue(a), FUSE_RELEASE, nid, fh);
	r = fm_do_open(queue(a), FUSE_OPEN, nid, O_RDONLY, &fhs[63]);
	if (r) {
		attack_note(a, "OPEN after a RELEASE: %s", strerror(-r));
		return AR_BAD;
	}
	for (unsigned int i = 0; i < 64; i++)
		fm_do_release(queue(a), i < 63 ? FUSE_RELEASEDIR : FUSE_RELEASE,
			      i < 63 ? FUSE_ROOT_ID : nid, fhs[i]);
	attack_note(a, "64 open, the 65th EMFILE");
	return AR_ERR;
}

static const char *const inode_reserve[] = {
	"--min-free-inodes=" STR(INODE_RESERVE), NULL
};
static const char *const space_reserve[] = {
	"--min-free-space=" STR(SPACE_RESERVE_MB) "M", NULL
};
static const char *const flood_args[] = {
	"--rlimit-nofile=" STR(FLOOD_NOFILE), "--posix-lock", NULL
};
static const char *const limit_args[] = { "--max-open-handles=64", NULL };

#define INODE_TMPFS "size=16m,nr_inodes=" STR(TMPFS_INODES) ",mode=0755"
#define SPACE_TMPFS "size=" STR(TMPFS_MB) "m,mode=0755"
#define BOUND(n, f, fs, args) { n, f, A_ERR | A_ALIVE, { 0 }, fs, args }

const struct attack_case attack_bounds_cases[] = {
	BOUND("whiteout_past_inode_reserve", whiteout_past_inode_reserve,
	      INODE_TMPFS, inode_reserve),
	BOUND("xattr_past_inode_reserve", xattr_past_inode_reserve,
	      INODE_TMPFS, inode_reserve),
	BOUND("hole_writes_past_space_reserve", hole_writes_past_space_reserve,
	      SPACE_TMPFS, space_reserve),
	BOUND("copy_file_range_bound", copy_file_range_bound, SPACE_TMPFS,
	      space_reserve),
	BOUND("memory_flood", memory_flood, "size=16m,mode=0755", flood_args),
	BOUND("open_handles_limit", open_handles_limit, "size=1m,mode=0755",
	      limit_args),
	{ NULL },
};
