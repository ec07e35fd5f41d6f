/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `vfsd config`: the configuration a user would otherwise copy from a wiki
 * page and get subtly wrong (shared guest memory on every path, the numa
 * cell's memAccess, QEMU's doubled commas, fstab's octal escapes).
 */
#include "cli/setup_config.h"

#include "util/compiler.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifndef VFSD_INSTALLED_BINARY
#define VFSD_INSTALLED_BINARY "/usr/libexec/vfsd"
#endif

#define KIB 1024ull
#define MIB (1024ull * 1024)

/* Longest tag the virtio-fs config space holds (struct virtio_fs_config). */
#define TAG_MAX 36

int setup_parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long n;
	unsigned int shift = 20;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (*end) {
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	}
	if (*end || n == 0 || n > (UINT64_MAX >> shift))
		return -1;
	*bytes = (uint64_t)n << shift;
	return 0;
}

int setup_check_tag(const char *tag)
{
	size_t len = tag ? strlen(tag) : 0;

	if (len == 0 || len > TAG_MAX)
		return -1;
	for (; *tag; tag++) {
		if (*tag <= ' ' || *tag > '~' || strchr("'\",\\<>&", *tag))
			return -1;
	}
	return 0;
}

static bool has_control_char(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return true;
	}
	return false;
}

static void put_xml(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '\'': fputs("&apos;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out); break;
		}
	}
}

/* One shell word: bare when safe, else single-quoted. */
static void put_shell(FILE *out, const char *s)
{
	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789_/.,:=@+-%") == strlen(s)) {
		fputs(s, out);
		return;
	}
	fputc('\'', out);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else
			fputc(*s, out);
	}
	fputc('\'', out);
}

/* QEMU's option parser reads ",," as a literal comma inside a value. */
static void put_qemu_value(FILE *out, const char *prefix, const char *val)
{
	size_t len = strlen(prefix) + 2 * strlen(val) + 1;
	char *buf = malloc(len);
	char *p;

	if (!buf) {
		/* Leaves the stream's error flag to report the failure. */
		fputs(prefix, out);
		fputs(val, out);
		return;
	}
	p = stpcpy(buf, prefix);
	for (; *val; val++) {
		*p++ = *val;
		if (*val == ',')
			*p++ = ',';
	}
	*p = '\0';
	put_shell(out, buf);
	free(buf);
}

/* fstab fields are split on blanks; the octal escapes keep them in one. */
static void put_fstab(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			fprintf(out, "\\%03o", (unsigned char)*s);
		else
			fputc(*s, out);
	}
}

static bool binary_has_children(const struct setup_config *c)
{
	return (c->cache && strcmp(c->cache, "auto")) || c->sandbox ||
	       c->thread_pool_size;
}

static void print_binary(FILE *out, const struct setup_config *c)
{
	if (!c->binary && !binary_has_children(c))
		return;
	fputs("    <binary", out);
	if (c->binary) {
		fputs(" path='", out);
		put_xml(out, c->binary);
		fputc('\'', out);
	}
	if (!binary_has_children(c)) {
		fputs("/>\n", out);
		return;
	}
	fputs(">\n", out);
	/* libvirt 9 knows "none" and "always"; without <cache> vfsd runs "auto". */
	if (c->cache && strcmp(c->cache, "auto"))
		fprintf(out, "      <cache mode='%s'/>\n", c->cache);
	if (c->sandbox)
		fprintf(out, "      <sandbox mode='%s'/>\n", c->sandbox);
	if (c->thread_pool_size)
		fprintf(out, "      <thread_pool size='%u'/>\n",
			c->thread_pool_size);
	fputs("    </binary>\n", out);
}

static void print_libvirt(FILE *out, const struct setup_config *c)
{
	uint64_t kib = c->memory / KIB;

	fputs("<!-- vfsd config: merge into the domain (virsh edit DOMAIN);\n"
	      "     the <filesystem> goes into the domain's <devices>. -->\n",
	      out);
	fprintf(out, "<memory unit='KiB'>%" PRIu64 "</memory>\n", kib);
	fprintf(out, "<vcpu placement='static'>%u</vcpu>\n", c->cpus);
	/* vhost-user maps all of guest RAM: it must be shared, not private. */
	fprintf(out, "<memoryBacking>\n  <source type='%s'/>\n"
		"  <access mode='shared'/>\n</memoryBacking>\n",
		c->backing == SETUP_BACKING_MEMFD ? "memfd" : "file");
	fputs("<cpu>\n  <numa>\n", out);
	if (c->cpus > 1)
		fprintf(out, "    <cell id='0' cpus='0-%u'", c->cpus - 1);
	else
		fputs("    <cell id='0' cpus='0'", out);
	fprintf(out, " memory='%" PRIu64 "' unit='KiB' memAccess='shared'/>\n",
		kib);
	fputs("  </numa>\n</cpu>\n", out);
	fputs("<devices>\n  <filesystem type='mount' accessmode='passthrough'>\n"
	      "    <driver type='virtiofs' queue='1024'/>\n", out);
	print_binary(out, c);
	fputs("    <source dir='", out);
	put_xml(out, c->shared_dir);
	fprintf(out, "'/>\n    <target dir='%s'/>\n  </filesystem>\n"
		"</devices>\n", c->tag);
}

static void print_qemu(FILE *out, const struct setup_config *c)
{
	const char *binary = c->binary ? c->binary : VFSD_INSTALLED_BINARY;
	uint64_t mib = c->memory / MIB;

	const char *slash = strrchr(c->socket_path, '/');

	fputs("# On the host, as root: start vfsd first; it serves one guest "
	      "and exits\n# when that guest goes away.\n", out);
	/* vfsd makes the socket, not its directory (/run/vfsd is no default). */
	if (slash && slash != c->socket_path) {
		char *dir = strndup(c->socket_path,
				    (size_t)(slash - c->socket_path));

		if (dir) {
			fputs("mkdir -p -m 0700 ", out);
			put_shell(out, dir);
			fputc('\n', out);
			free(dir);
		}
	}
	put_shell(out, binary);
	fputs(" --socket-path=", out);
	put_shell(out, c->socket_path);
	fputs(" --shared-dir=", out);
	put_shell(out, c->shared_dir);
	if (c->cache)
		fprintf(out, " --cache=%s", c->cache);
	if (c->thread_pool_size)
		fprintf(out, " --thread-pool-size=%u", c->thread_pool_size);
	if (c->sandbox)
		fprintf(out, " --sandbox=%s", c->sandbox);
	fputs(" &\n\n# Then QEMU, with these arguments among its own:\n", out);
	fprintf(out, "qemu-system-x86_64 \\\n  -m %" PRIu64 "M -smp %u \\\n",
		mib, c->cpus);
	if (c->backing == SETUP_BACKING_MEMFD)
		fprintf(out, "  -object memory-backend-memfd,id=mem,size=%" PRIu64
			"M,share=on \\\n", mib);
	else
		fprintf(out, "  -object memory-backend-file,id=mem,size=%" PRIu64
			"M,mem-path=/dev/shm,share=on \\\n", mib);
	fputs("  -numa node,memdev=mem \\\n  -chardev ", out);
	put_qemu_value(out, "socket,id=vfsd0,path=", c->socket_path);
	fprintf(out, " \\\n  -device vhost-user-fs-pci,chardev=vfsd0,tag=%s\n",
		c->tag);
}

static void print_fstab(FILE *out, const struct setup_config *c)
{
	fputs("# In the guest, once:\nmkdir -p ", out);
	put_shell(out, c->mount_point);
	fprintf(out, "\nmount -t virtiofs %s ", c->tag);
	put_shell(out, c->mount_point);
	fputs("\n\n# Or at every boot, as a line of the guest's /etc/fstab:\n",
	      out);
	fprintf(out, "%s ", c->tag);
	put_fstab(out, c->mount_point);
	fputs(" virtiofs defaults,nofail 0 0\n", out);
}

int setup_config_print(FILE *out, const struct setup_config *c)
{
	switch (c->format) {
	case SETUP_FORMAT_LIBVIRT:
		print_libvirt(out, c);
		break;
	case SETUP_FORMAT_QEMU:
		print_qemu(out, c);
		break;
	case SETUP_FORMAT_FSTAB:
		print_fstab(out, c);
		break;
	}
	if (fflush(out) || ferror(out))
		return -1;
	return 0;
}

enum {
	OPT_TAG = 256,
	OPT_SHARED_DIR,
	OPT_MEMORY,
	OPT_CPUS,
	OPT_FORMAT,
	OPT_BINARY,
	OPT_SOCKET_PATH,
	OPT_MOUNT_POINT,
	OPT_CACHE,
	OPT_SANDBOX,
	OPT_THREAD_POOL_SIZE,
	OPT_BACKING,
};

static const struct option config_opts[] = {
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "shared-dir", required_argument, NULL, OPT_SHARED_DIR },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "binary", required_argument, NULL, OPT_BINARY },
	{ "socket-path", required_argument, NULL, OPT_SOCKET_PATH },
	{ "mount-point", required_argument, NULL, OPT_MOUNT_POINT },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "sandbox", required_argument, NULL, OPT_SANDBOX },
	{ "thread-pool-size", required_argument, NULL, OPT_THREAD_POOL_SIZE },
	{ "memory-backing", required_argument, NULL, OPT_BACKING },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void config_usage(FILE *out)
{
	fprintf(out,
		"Usage: vfsd config --tag TAG --shared-dir DIR [OPTIONS]\n"
		"\n"
		"Print the configuration that shares DIR with a VM as TAG.\n"
		"\n"
		"  --format=libvirt|qemu|fstab  domain XML fragments for virsh edit\n"
		"                           (default), the vfsd and QEMU command\n"
		"                           lines, or the guest's mount command\n"
		"                           and fstab line\n"
		"  --memory=SIZE            guest RAM, e.g. 8G (default 4G; bare\n"
		"                           numbers are MiB)\n"
		"  --cpus=N                 guest vCPUs (default 2)\n"
		"  --memory-backing=memfd|file  how the shared RAM is backed\n"
		"                           (default memfd)\n"
		"  --binary=PATH|none       vfsd for libvirt to start (default\n"
		"                           %s; none: libvirt finds\n"
		"                           it through its vhost-user files)\n"
		"  --cache=never|auto|always  guest caching (libvirt 9 has no\n"
		"                           \"auto\": it is <binary> without <cache>)\n"
		"  --sandbox=namespace|chroot|none  sandbox mode\n"
		"  --thread-pool-size=N     worker threads\n"
		"  --socket-path=PATH       vhost-user socket (qemu format;\n"
		"                           default /run/vfsd/TAG.sock)\n"
		"  --mount-point=DIR        guest mount point (default /mnt/TAG)\n"
		"  -h, --help               print this help\n",
		VFSD_INSTALLED_BINARY);
}

static int __printf(1, 2)
config_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("vfsd config: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int parse_uint(const char *s, unsigned int max, unsigned int *v)
{
	unsigned long n;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || n > max)
		return -1;
	*v = (unsigned int)n;
	return 0;
}

static int parse_format(const char *s, enum setup_format *f)
{
	if (!strcmp(s, "libvirt"))
		*f = SETUP_FORMAT_LIBVIRT;
	else if (!strcmp(s, "qemu"))
		*f = SETUP_FORMAT_QEMU;
	else if (!strcmp(s, "fstab"))
		*f = SETUP_FORMAT_FSTAB;
	else
		return -1;
	return 0;
}

/* libvirt calls the no-cache mode "none", vfsd's --cache "never". */
static const char *cache_name(const char *s, enum setup_format f)
{
	bool never = !strcmp(s, "never") || !strcmp(s, "none");

	if (never)
		return f == SETUP_FORMAT_LIBVIRT ? "none" : "never";
	if (!strcmp(s, "auto") || !strcmp(s, "always"))
		return s;
	return NULL;
}

static int config_option(struct setup_config *c, int opt, const char *arg)
{
	switch (opt) {
	case OPT_TAG:
		c->tag = arg;
		break;
	case OPT_SHARED_DIR:
		c->shared_dir = arg;
		break;
	case OPT_MEMORY:
		if (setup_parse_size(arg, &c->memory) || c->memory < MIB)
			return config_fail("bad --memory '%s'", arg);
		break;
	case OPT_CPUS:
		if (parse_uint(arg, 4096, &c->cpus) || !c->cpus)
			return config_fail("bad --cpus '%s'", arg);
		break;
	case OPT_FORMAT:
		if (parse_format(arg, &c->format))
			return config_fail("bad --format '%s' (libvirt, qemu or fstab)",
					   arg);
		break;
	case OPT_BINARY:
		c->binary = strcmp(arg, "none") ? arg : NULL;
		break;
	case OPT_SOCKET_PATH:
		c->socket_path = arg;
		break;
	case OPT_MOUNT_POINT:
		c->mount_point = arg;
		break;
	case OPT_CACHE:
		c->cache = arg;
		break;
	case OPT_SANDBOX:
		if (strcmp(arg, "namespace") && strcmp(arg, "chroot") &&
		    strcmp(arg, "none"))
			return config_fail("bad --sandbox '%s'", arg);
		c->sandbox = arg;
		break;
	case OPT_THREAD_POOL_SIZE:
		if (parse_uint(arg, 1024, &c->thread_pool_size))
			return config_fail("bad --thread-pool-size '%s'", arg);
		break;
	case OPT_BACKING:
		if (!strcmp(arg, "memfd"))
			c->backing = SETUP_BACKING_MEMFD;
		else if (!strcmp(arg, "file"))
			c->backing = SETUP_BACKING_FILE;
		else
			return config_fail("bad --memory-backing '%s' (memfd or file)",
					   arg);
		break;
	default:
		return 2;
	}
	return 0;
}

static int config_validate(struct setup_config *c)
{
	const char *paths[] = { c->shared_dir, c->socket_path, c->mount_point,
				c->binary };

	if (!c->tag || !c->shared_dir)
		return config_fail("give --tag TAG and --shared-dir DIR");
	if (setup_check_tag(c->tag))
		return config_fail("bad tag '%s': 1 to 36 printable characters, "
				   "no spaces, quotes or commas", c->tag);
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		if (paths[i] && (paths[i][0] != '/' || has_control_char(paths[i])))
			return config_fail("'%s' must be an absolute path without "
					   "control characters", paths[i]);
	}
	if (c->cache) {
		c->cache = cache_name(c->cache, c->format);
		if (!c->cache)
			return config_fail("bad --cache (never, auto or always)");
	}
	if (c->sandbox && !strcmp(c->sandbox, "none") &&
	    c->format == SETUP_FORMAT_LIBVIRT)
		return config_fail("libvirt has no sandbox mode 'none'");
	/* QEMU sizes guest RAM in MiB. */
	c->memory = (c->memory + MIB - 1) / MIB * MIB;
	return 0;
}

int setup_config_main(int argc, char *argv[])
{
	struct setup_config c = {
		.binary = VFSD_INSTALLED_BINARY,
		.memory = 4096 * MIB,
		.cpus = 2,
		.format = SETUP_FORMAT_LIBVIRT,
	};
	char sock[128], mnt[64];
	int opt, ret;

	/* getopt's messages start with argv[0]. */
	argv[0] = (char *)"vfsd config";
	optind = 1;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "h", config_opts, NULL)) != -1) {
		if (opt == 'h') {
			config_usage(stdout);
			return 0;
		}
		if (opt == '?') {
			config_usage(stderr);
			return 2;
		}
		ret = config_option(&c, opt, optarg);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return config_fail("unexpected argument '%s'", argv[optind]);
	ret = config_validate(&c);
	if (ret)
		return ret;
	/* The tag is at most 36 safe bytes, so these cannot truncate. */
	if (!c.socket_path) {
		snprintf(sock, sizeof(sock), "/run/vfsd/%s.sock", c.tag);
		c.socket_path = sock;
	}
	if (!c.mount_point) {
		snprintf(mnt, sizeof(mnt), "/mnt/%s", c.tag);
		c.mount_point = mnt;
	}
	if (setup_config_print(stdout, &c)) {
		fprintf(stderr, "vfsd config: cannot write: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
