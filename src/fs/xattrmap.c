/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The xattr map parser and matcher (fs/xattrmap.h). The rules come from
 * the administrator, but the parser still treats them as untrusted bytes:
 * every field is bounded and the input need not be NUL-terminated.
 */
#include "fs/xattrmap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xm_parser {
	const char *p;		/* next byte */
	const char *end;	/* one past the last byte */
	struct xattrmap *m;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int xm_fail(struct xm_parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err, ps->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool xm_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static void xm_skip_blanks(struct xm_parser *ps)
{
	while (ps->p < ps->end && xm_blank(*ps->p))
		ps->p++;
}

/* A separator printed so that a control byte stays readable. */
static const char *xm_sepname(char sep, char buf[8])
{
	unsigned char c = (unsigned char)sep;

	if (c > ' ' && c < 0x7f)
		snprintf(buf, 8, "'%c'", sep);
	else
		snprintf(buf, 8, "\\x%02x", c);
	return buf;
}

/* The bytes up to the next sep; steps past the sep. */
static int xm_field(struct xm_parser *ps, char sep, const char *what,
		    const char **f, size_t *flen)
{
	const char *s = ps->p;
	const char *e = memchr(s, sep, (size_t)(ps->end - s));
	char sb[8];

	if (!e)
		return xm_fail(ps, "xattrmap rule %zu: no %s closing the %s field",
			       ps->m->n + 1, xm_sepname(sep, sb), what);
	if (memchr(s, '\0', (size_t)(e - s)))
		return xm_fail(ps, "xattrmap rule %zu: NUL byte in the %s field",
			       ps->m->n + 1, what);
	if ((size_t)(e - s) > XATTRMAP_MAX_FIELD)
		return xm_fail(ps, "xattrmap rule %zu: %s longer than %d bytes",
			       ps->m->n + 1, what, XATTRMAP_MAX_FIELD);
	*f = s;
	*flen = (size_t)(e - s);
	ps->p = e + 1;
	return 0;
}

static bool xm_is(const char *f, size_t flen, const char *word)
{
	return flen == strlen(word) && !memcmp(f, word, flen);
}

static int xm_add(struct xm_parser *ps, enum xattrmap_type type,
		  unsigned int scope, const char *key, size_t klen,
		  const char *prepend, size_t plen)
{
	struct xattrmap *m = ps->m;
	struct xattrmap_rule *r;

	if (m->n >= XATTRMAP_MAX_RULES)
		return xm_fail(ps, "xattrmap: more than %d rules",
			       XATTRMAP_MAX_RULES);
	/* Powers of two: realloc only when n reaches one. */
	if (!(m->n & (m->n - 1))) {
		size_t cap = m->n ? m->n * 2 : 4;

		r = realloc(m->rules, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		m->rules = r;
	}
	r = &m->rules[m->n];
	r->type = type;
	r->scope = scope;
	r->key = strndup(key, klen);
	r->prepend = strndup(prepend, plen);
	if (!r->key || !r->prepend) {
		free(r->key);
		free(r->prepend);
		return -ENOMEM;
	}
	m->n++;
	return 0;
}

/*
 * ":map:KEY:PREPEND:" after "map" and its separator: four rules, after
 * virtiofsd's expansion of the same shorthand.
 */
static int xm_map(struct xm_parser *ps, char sep)
{
	const char *key, *pre;
	size_t klen, plen;
	int err;

	err = xm_field(ps, sep, "key", &key, &klen);
	if (!err)
		err = xm_field(ps, sep, "prepend", &pre, &plen);
	if (err)
		return err;
	xm_skip_blanks(ps);
	if (ps->p != ps->end)
		return xm_fail(ps, "xattrmap rule %zu: 'map' must be the last rule",
			       ps->m->n + 1);
	err = xm_add(ps, XATTRMAP_PREFIX, XATTRMAP_CLIENT | XATTRMAP_SERVER,
		     key, klen, pre, plen);
	if (err)
		return err;
	if (!klen)
		/* Everything prefixed: whatever is not, stays hidden. */
		return xm_add(ps, XATTRMAP_BAD,
			      XATTRMAP_CLIENT | XATTRMAP_SERVER, "", 0, "", 0);
	/* The host's own KEY names are not the guest's to see. */
	err = xm_add(ps, XATTRMAP_BAD, XATTRMAP_SERVER, "", 0, key, klen);
	/* Nor may the guest reach prefixed names by spelling them out. */
	if (!err)
		err = xm_add(ps, XATTRMAP_BAD, XATTRMAP_CLIENT, pre, plen, "",
			     0);
	if (!err)
		err = xm_add(ps, XATTRMAP_OK, XATTRMAP_CLIENT | XATTRMAP_SERVER,
			     "", 0, "", 0);
	return err;
}

static int xm_type(struct xm_parser *ps, const char *f, size_t flen,
		   enum xattrmap_type *type)
{
	if (xm_is(f, flen, "prefix"))
		*type = XATTRMAP_PREFIX;
	else if (xm_is(f, flen, "ok"))
		*type = XATTRMAP_OK;
	else if (xm_is(f, flen, "bad"))
		*type = XATTRMAP_BAD;
	else if (xm_is(f, flen, "unsupported"))
		*type = XATTRMAP_UNSUPPORTED;
	else
		return xm_fail(ps, "xattrmap rule %zu: type is not prefix, ok, "
			       "bad, unsupported or map", ps->m->n + 1);
	return 0;
}

static int xm_scope(struct xm_parser *ps, const char *f, size_t flen,
		    unsigned int *scope)
{
	if (xm_is(f, flen, "client"))
		*scope = XATTRMAP_CLIENT;
	else if (xm_is(f, flen, "server"))
		*scope = XATTRMAP_SERVER;
	else if (xm_is(f, flen, "all"))
		*scope = XATTRMAP_CLIENT | XATTRMAP_SERVER;
	else
		return xm_fail(ps, "xattrmap rule %zu: scope is not client, "
			       "server or all", ps->m->n + 1);
	return 0;
}

/* One rule, the separator already read. */
static int xm_rule(struct xm_parser *ps, char sep)
{
	const char *f, *key, *pre;
	size_t flen, klen, plen;
	enum xattrmap_type type = XATTRMAP_BAD;
	unsigned int scope = 0;
	int err;

	err = xm_field(ps, sep, "type", &f, &flen);
	if (err)
		return err;
	if (xm_is(f, flen, "map"))
		return xm_map(ps, sep);
	err = xm_type(ps, f, flen, &type);
	if (!err)
		err = xm_field(ps, sep, "scope", &f, &flen);
	if (!err)
		err = xm_scope(ps, f, flen, &scope);
	if (!err)
		err = xm_field(ps, sep, "key", &key, &klen);
	if (!err)
		err = xm_field(ps, sep, "prepend", &pre, &plen);
	if (!err)
		err = xm_add(ps, type, scope, key, klen, pre, plen);
	return err;
}

int xattrmap_parse(const char *buf, size_t len, struct xattrmap **out,
		   char *err, size_t errlen)
{
	struct xm_parser ps = { .p = buf, .end = buf + len, .err = err,
				.errlen = errlen };
	int ret = 0;

	if (errlen)
		err[0] = '\0';
	ps.m = calloc(1, sizeof(*ps.m));
	if (!ps.m)
		return -ENOMEM;
	for (;;) {
		xm_skip_blanks(&ps);
		if (ps.p == ps.end)
			break;
		if (!*ps.p) {
			ret = xm_fail(&ps, "xattrmap: NUL byte between rules");
			break;
		}
		ret = xm_rule(&ps, *ps.p++);
		if (ret)
			break;
	}
	if (!ret && !ps.m->n)
		ret = xm_fail(&ps, "xattrmap: no rules");
	if (ret == -ENOMEM && errlen)
		snprintf(err, errlen, "xattrmap: out of memory");
	if (ret) {
		xattrmap_free(ps.m);
		return ret;
	}
	*out = ps.m;
	return 0;
}

void xattrmap_free(struct xattrmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->rules[i].key);
		free(m->rules[i].prepend);
	}
	free(m->rules);
	free(m);
}

static bool xm_starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

int xattrmap_to_host(const struct xattrmap *m, const char *name, char *out,
		     size_t cap)
{
	const struct xattrmap_rule *r;
	int n;

	for (size_t i = 0; i < m->n; i++) {
		r = &m->rules[i];
		if (!(r->scope & XATTRMAP_CLIENT) || !xm_starts(name, r->key))
			continue;
		switch (r->type) {
		case XATTRMAP_BAD:
			return -EPERM;
		case XATTRMAP_UNSUPPORTED:
			return -EOPNOTSUPP;
		case XATTRMAP_OK:
			n = snprintf(out, cap, "%s", name);
			break;
		case XATTRMAP_PREFIX:
		default:
			n = snprintf(out, cap, "%s%s", r->prepend, name);
			break;
		}
		return n < 0 || (size_t)n >= cap ? -ERANGE : 0;
	}
	/* A map names what passes: anything else does not. */
	return -EPERM;
}

const char *xattrmap_to_guest(const struct xattrmap *m, const char *name)
{
	const struct xattrmap_rule *r;

	for (size_t i = 0; i < m->n; i++) {
		r = &m->rules[i];
		if (!(r->scope & XATTRMAP_SERVER) ||
		    !xm_starts(name, r->prepend))
			continue;
		switch (r->type) {
		case XATTRMAP_OK:
			return name;
		case XATTRMAP_PREFIX:
			name += strlen(r->prepend);
			/* The bare prefix would be an empty name. */
			return *name ? name : NULL;
		case XATTRMAP_BAD:
		case XATTRMAP_UNSUPPORTED:
		default:
			return NULL;
		}
	}
	return NULL;
}

size_t xattrmap_list_to_guest(const struct xattrmap *m, char *list,
			      size_t len)
{
	size_t rd = 0, wr = 0;

	while (rd < len) {
		char *name = list + rd;
		char *nul = memchr(name, '\0', len - rd);
		const char *g;
		size_t glen;

		if (!nul)
			break;
		rd = (size_t)(nul - list) + 1;
		g = xattrmap_to_guest(m, name);
		if (!g || !*g)
			continue;
		/* g lies at or after list + wr: the list only shrinks. */
		glen = strlen(g) + 1;
		memmove(list + wr, g, glen);
		wr += glen;
	}
	return wr;
}
