/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Extended attributes: sizes, ERANGE, create/replace flags, namespaces. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "conform.h"

static void size_res(const char *name, ssize_t n)
{
	if (n < 0)
		cf_res(name, "%s", cf_errname(errno));
	else
		cf_res(name, "size=%zd", n);
}

/* Sizes of the list only count our own "user." names: others vary. */
static void list_res(const char *name, const char *path)
{
	char buf[4096];
	ssize_t n = listxattr(path, buf, sizeof(buf));
	int count = 0;

	if (n < 0) {
		cf_res(name, "%s", cf_errname(errno));
		return;
	}
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
		if (!strncmp(buf + i, "user.", 5))
			count++;
	cf_res(name, "user-names=%d", count);
}

static void value_cases(void)
{
	static char big[65536 + 1];
	char buf[256];

	if (cf_mkfile("xa", 0644, 0))
		return;
	cf_rc("setxattr.ok", setxattr("xa", "user.one", "value1", 6, 0));
	size_res("getxattr.size-query", getxattr("xa", "user.one", NULL, 0));
	size_res("getxattr.value", getxattr("xa", "user.one", buf, sizeof(buf)));
	size_res("getxattr.erange", getxattr("xa", "user.one", buf, 3));
	size_res("getxattr.enodata", getxattr("xa", "user.none", buf,
					      sizeof(buf)));
	cf_rc("setxattr.create-existing", setxattr("xa", "user.one", "x", 1,
						   XATTR_CREATE));
	cf_rc("setxattr.replace-missing", setxattr("xa", "user.two", "x", 1,
						   XATTR_REPLACE));
	cf_rc("setxattr.replace-existing", setxattr("xa", "user.one", "v2", 2,
						    XATTR_REPLACE));
	size_res("getxattr.after-replace", getxattr("xa", "user.one", buf,
						    sizeof(buf)));
	cf_rc("setxattr.empty-value", setxattr("xa", "user.empty", "", 0, 0));
	size_res("getxattr.empty-value", getxattr("xa", "user.empty", buf,
						  sizeof(buf)));
	memset(big, 'v', sizeof(big));
	cf_rc("setxattr.value-4000", setxattr("xa", "user.big", big, 4000, 0));
	size_res("getxattr.value-4000", getxattr("xa", "user.big", NULL, 0));
	cf_rc("setxattr.value-65537", setxattr("xa", "user.huge", big,
					       sizeof(big), 0));
	list_res("listxattr.names", "xa");
	size_res("listxattr.erange", listxattr("xa", buf, 2));
	cf_expect("listxattr.size-query", listxattr("xa", NULL, 0) > 0, "0");
	cf_rc("removexattr.ok", removexattr("xa", "user.one"));
	cf_rc("removexattr.enodata", removexattr("xa", "user.one"));
	list_res("listxattr.after-remove", "xa");
}

static void name_cases(void)
{
	char name[300];
	int fd;

	if (cf_mkfile("xn", 0644, 0) || cf_mkdir("xd", 0755))
		return;
	memcpy(name, "user.", 5);
	memset(name + 5, 'n', 250);
	name[255] = '\0';
	cf_rc("setxattr.name-255", setxattr("xn", name, "v", 1, 0));
	memset(name + 5, 'n', 251);
	name[256] = '\0';
	cf_rc("setxattr.name-256", setxattr("xn", name, "v", 1, 0));
	cf_rc("setxattr.empty-name", setxattr("xn", "", "v", 1, 0));
	cf_rc("setxattr.no-namespace", setxattr("xn", "plain", "v", 1, 0));
	cf_rc("setxattr.unknown-namespace", setxattr("xn", "foo.bar", "v", 1,
						     0));
	cf_rc("setxattr.user-prefix-only", setxattr("xn", "user.", "v", 1, 0));
	cf_rc("setxattr.trusted-root", setxattr("xn", "trusted.t", "v", 1, 0));
	cf_rc("setxattr.dir", setxattr("xd", "user.d", "v", 1, 0));
	size_res("getxattr.dir", getxattr("xd", "user.d", NULL, 0));
	cf_rc("setxattr.enoent", setxattr("xn-none", "user.a", "v", 1, 0));
	if (symlink("xn", "xl") == 0) {
		cf_rc("lsetxattr.user-on-symlink",
		      lsetxattr("xl", "user.l", "v", 1, 0));
		cf_rc("setxattr.through-symlink",
		      setxattr("xl", "user.through", "v", 1, 0));
		size_res("getxattr.through-symlink-target",
			 getxattr("xn", "user.through", NULL, 0));
	}
	fd = open("xn", O_RDONLY);
	if (fd >= 0) {
		cf_rc("fsetxattr.rdonly-fd", fsetxattr(fd, "user.f", "v", 1, 0));
		size_res("fgetxattr.ok", fgetxattr(fd, "user.f", NULL, 0));
		close(fd);
	}
	if (mkfifo("xfifo", 0644) == 0)
		cf_rc("setxattr.user-on-fifo",
		      setxattr("xfifo", "user.f", "v", 1, 0));
}

void cf_run_xattr(void)
{
	value_cases();
	name_cases();
}
