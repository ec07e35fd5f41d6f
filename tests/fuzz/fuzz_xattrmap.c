/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The xattr map parser and matcher. Input: the bytes of a map up to the
 * first 0xff byte; after it, a NUL-separated list of names that are mapped
 * both ways and, as a whole, as a host list. A mapped name must fit its
 * buffer, a guest name must be a suffix of its host name, and a mapped
 * list must never grow.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/xattrmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_names(const struct xattrmap *m, const char *list, size_t len)
{
	char *copy = malloc(len + 1);
	char out[256];
	size_t n;

	if (!copy)
		return;
	memcpy(copy, list, len);
	copy[len] = '\0';
	for (size_t i = 0; i < len; i += strlen(copy + i) + 1) {
		const char *name = copy + i;
		const char *g;

		if (!xattrmap_to_host(m, name, out, sizeof(out)) &&
		    strlen(out) >= sizeof(out))
			__builtin_trap();
		g = xattrmap_to_guest(m, name);
		if (g && (g < name || g > name + strlen(name)))
			__builtin_trap();
	}
	n = xattrmap_list_to_guest(m, copy, len);
	if (n > len || (n && copy[n - 1] != '\0'))
		__builtin_trap();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	const uint8_t *cut = memchr(data, 0xff, size);
	size_t maplen = cut ? (size_t)(cut - data) : size;
	struct xattrmap *m = NULL;
	char err[128];

	memset(err, 'x', sizeof(err));
	if (xattrmap_parse(buf, maplen, &m, err, sizeof(err))) {
		/* A refusal always says why, in a terminated string. */
		if (strnlen(err, sizeof(err)) >= sizeof(err) || !err[0])
			__builtin_trap();
		if (m)
			__builtin_trap();
		return 0;
	}
	if (!m || !m->n || m->n > XATTRMAP_MAX_RULES)
		__builtin_trap();
	if (cut)
		fz_names(m, buf + maplen + 1, size - maplen - 1);
	xattrmap_free(m);
	return 0;
}
