/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Enough for the mount table of a busy host; a longer one is refused. */
#define MOUNTS_MAX_TEXT (4u << 20)

/* Field n (0-based, space-separated) of line, unescaped (\040 etc.). */
static int field(const char *line, const char *end, int n, char *out,
		 size_t outlen)
{
	const char *p = line;
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		p = memchr(p, ' ', (size_t)(end - p));
		if (!p)
			return -EINVAL;
		p++;
	}
	while (p < end && *p != ' ') {
		char c = *p++;

		/* The kernel escapes space, tab, newline and backslash. */
		if (c == '\\' && end - p >= 3 && p[0] >= '0' && p[0] <= '3' &&
		    p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7') {
			c = (char)((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
			p += 3;
		}
		if (len + 1 >= outlen)
			return -EINVAL;
		out[len++] = c;
	}
	if (!len)
		return -EINVAL;
	out[len] = '\0';
	return 0;
}

/* path is dir or below it. */
static bool at_or_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

int mounts_whole_in(const char *mountinfo, const char *dir, bool *whole)
{
	char root[PATH_MAX], point[PATH_MAX];
	bool dir_mounted = false;
	const char *line = mountinfo;

	*whole = false;
	while (*line) {
		const char *end = strchr(line, '\n');

		if (!end)
			end = line + strlen(line);
		if (end > line) {
			/* id parent major:minor root mount-point ... */
			if (field(line, end, 3, root, sizeof(root)) ||
			    field(line, end, 4, point, sizeof(point)))
				return -EINVAL;
			if (at_or_below(point, dir)) {
				if (strcmp(root, "/"))
					return 0;
				if (!strcmp(point, dir))
					dir_mounted = true;
			}
		}
		line = *end ? end + 1 : end;
	}
	*whole = dir_mounted;
	return 0;
}

static int read_text(const char *path, char **out)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 == cap) {
			char *nb = cap < MOUNTS_MAX_TEXT ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				err = cap < MOUNTS_MAX_TEXT ? -ENOMEM : -EFBIG;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int mounts_share_is_whole(const char *dir, bool *whole)
{
	char *real, *text = NULL;
	int err;

	*whole = false;
	real = realpath(dir, NULL);
	if (!real)
		return -errno;
	err = read_text("/proc/self/mountinfo", &text);
	if (!err) {
		err = mounts_whole_in(text, real, whole);
		free(text);
	}
	free(real);
	return err;
}

int mounts_open_share(const char *dir, int *fd, bool *detached)
{
	struct stat st;
	int f;

	*detached = false;
	f = open_tree(AT_FDCWD, dir,
		      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (f >= 0) {
		/* Not O_DIRECTORY-checked like open() below: the same check. */
		if (fstat(f, &st) || !S_ISDIR(st.st_mode)) {
			close(f);
			return -ENOTDIR;
		}
		*detached = true;
		*fd = f;
		return 0;
	}
	/*
	 * EPERM: no CAP_SYS_ADMIN (an unprivileged --sandbox=none); ENOSYS:
	 * a kernel before 5.2; EINVAL: an unbindable mount. The share is
	 * opened as it is; if the path itself is wrong, open() says so.
	 */
	f = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	*fd = f;
	return 0;
}
