/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The defaults file: options an administrator wants in every vfsd, read
 * before the command line. libvirt builds the command line itself and
 * refuses <lock> for daemons with "separate-options", so this is where a
 * libvirt user turns on --posix-lock and --flock.
 *
 * One option a line, as on the command line ("--posix-lock",
 * "--cache=always", "--cache always", "-o flock"); blank lines and lines
 * starting with '#' are skipped. A missing file is no error.
 */
#include "cli/defaults_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/option_values.h"
#include "vfsd_config.h"

/* Far more than any set of options needs; a bigger file is a mistake. */
#define DEFAULTS_MAX_BYTES 65536

const char *defaults_file_path(void)
{
	const char *p = getenv("VFSD_DEFAULTS_FILE");

	return p && *p ? p : VFSD_DEFAULTS_FILE;
}

void defaults_free(struct defaults *d)
{
	for (int i = 0; i < d->argc; i++)
		free(d->argv[i]);
	free(d->argv);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

static int add_arg(struct defaults *d, const char *s, size_t len)
{
	char **grown = realloc(d->argv, (size_t)(d->argc + 2) * sizeof(char *));

	if (!grown)
		return -1;
	d->argv = grown;
	d->argv[d->argc] = strndup(s, len);
	if (!d->argv[d->argc])
		return -1;
	d->argv[++d->argc] = NULL;
	return 0;
}

/*
 * One line, already trimmed: "--name=value" stays one argument, "--name
 * value" (and "-o value") becomes two.
 */
static int add_line(struct defaults *d, const char *line)
{
	size_t name = strcspn(line, " \t=");
	const char *val = line + name;

	if (*val != ' ' && *val != '\t')
		return add_arg(d, line, strlen(line));
	if (add_arg(d, line, name))
		return -1;
	val += strspn(val, " \t");
	return add_arg(d, val, strlen(val));
}

/* Who may change what root's daemon will do: root and its owner only. */
static int check_owner(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st))
		return opt_fail(err, errlen, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return opt_fail(err, errlen, "%s is not a regular file", path);
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)))
		return opt_fail(err, errlen,
				"%s can be changed by others (owner uid %u, mode %04o): make it root's and mode 0644",
				path, (unsigned int)st.st_uid,
				(unsigned int)(st.st_mode & 07777));
	return 0;
}

static int read_all(int fd, const char *path, char **out, char *err,
		    size_t errlen)
{
	char *buf = malloc(DEFAULTS_MAX_BYTES + 1);
	size_t got = 0;
	ssize_t n;

	if (!buf)
		return opt_fail(err, errlen, "out of memory");
	while ((n = read(fd, buf + got, DEFAULTS_MAX_BYTES + 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return opt_fail(err, errlen, "%s: %s", path,
					strerror(errno));
		}
		got += (size_t)n;
		if (got > DEFAULTS_MAX_BYTES) {
			free(buf);
			return opt_fail(err, errlen, "%s is over %d bytes", path,
					DEFAULTS_MAX_BYTES);
		}
	}
	if (memchr(buf, '\0', got)) {
		free(buf);
		return opt_fail(err, errlen, "%s holds a NUL byte", path);
	}
	buf[got] = '\0';
	*out = buf;
	return 0;
}

int defaults_load(const char *path, struct defaults *d, char *err,
		  size_t errlen)
{
	char *line, *save = NULL;
	int fd;

	memset(d, 0, sizeof(*d));
	if (add_arg(d, "vfsd", 4))
		return opt_fail(err, errlen, "out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return opt_fail(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (check_owner(fd, path, err, errlen) ||
	    read_all(fd, path, &d->text, err, errlen)) {
		close(fd);
		return -1;
	}
	close(fd);
	for (line = strtok_r(d->text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *end;

		line += strspn(line, " \t\r");
		end = line + strlen(line);
		while (end > line && strchr(" \t\r", end[-1]))
			*--end = '\0';
		if (!*line || *line == '#')
			continue;
		if (add_line(d, line))
			return opt_fail(err, errlen, "out of memory");
	}
	return 0;
}

int defaults_merge(const struct defaults *d, int argc, char *const argv[],
		   char ***out)
{
	int n = d->argc > 0 ? d->argc - 1 : 0;
	char **all = calloc((size_t)(argc + n + 1), sizeof(char *));

	if (!all)
		return -1;
	all[0] = argv[0];
	for (int i = 0; i < n; i++)
		all[1 + i] = d->argv[1 + i];
	for (int i = 1; i < argc; i++)
		all[n + i] = argv[i];
	*out = all;
	return argc + n;
}
