/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Extended attribute name mapping, in the rule syntax of QEMU's virtiofsd
 * (--xattrmap / -o xattrmap=). A map is a list of rules; the first rule
 * whose scope and pattern match a name decides what happens to it:
 *
 *	:type:scope:key:prepend:
 *
 * The first non-blank character of a rule is its separator (':' above)
 * and must close every field of that rule. Blanks may surround rules.
 *  - scope: client (names the guest sends in SETXATTR, GETXATTR and
 *    REMOVEXATTR are matched against key), server (names the host lists
 *    in LISTXATTR are matched against prepend), or all (both).
 *  - type: prefix (a client name matching key gets prepend in front; a
 *    server name matching prepend loses it), ok (passed unchanged),
 *    bad (the guest gets EPERM, the name is hidden from lists),
 *    unsupported (the guest gets EOPNOTSUPP, hidden from lists).
 *  - A name no rule matches is refused like bad.
 *
 * The shorthand ":map:KEY:PREPEND:", which must be the last rule, stands
 * for prefixing KEY names with PREPEND and letting every other name
 * through, while hiding host names that look like KEY and refusing guest
 * names that already carry PREPEND. With an empty KEY every name is
 * prefixed and nothing else is visible.
 *
 * Parsing and matching are pure: no I/O, memory only from malloc.
 */
#ifndef VFSD_FS_XATTRMAP_H
#define VFSD_FS_XATTRMAP_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds of what the parser accepts, so a map cannot exhaust memory. */
#define XATTRMAP_MAX_RULES 1024
/* A key or prepend is part of an xattr name: at most XATTR_NAME_MAX. */
#define XATTRMAP_MAX_FIELD 255

enum xattrmap_type {
	XATTRMAP_PREFIX,
	XATTRMAP_OK,
	XATTRMAP_BAD,
	XATTRMAP_UNSUPPORTED,
};

enum {
	XATTRMAP_CLIENT = 1u << 0,
	XATTRMAP_SERVER = 1u << 1,
};

struct xattrmap_rule {
	enum xattrmap_type type;
	unsigned int scope;	/* XATTRMAP_CLIENT and/or XATTRMAP_SERVER */
	char *key;		/* matched against guest names */
	char *prepend;		/* matched against host names */
};

struct xattrmap {
	size_t n;
	struct xattrmap_rule *rules;
};

/**
 * Parse len bytes of rules. Returns 0 and a map in *out (xattrmap_free()
 * it), or -errno (EINVAL for a malformed or empty map, ENOMEM)
 * with a one-line reason in err.
 */
int xattrmap_parse(const char *buf, size_t len, struct xattrmap **out,
		   char *err, size_t errlen);

void xattrmap_free(struct xattrmap *m);

/**
 * The host name for the guest's name. 0 with the result in out (cap
 * bytes, NUL included), EPERM for a refused name, EOPNOTSUPP for an
 * unsupported one, ERANGE when the mapped name does not fit in cap.
 */
int xattrmap_to_host(const struct xattrmap *m, const char *name, char *out,
		     size_t cap);

/**
 * The guest's name for a host name: a pointer into name (a prefix
 * stripped or not), or NULL when the guest must not see it.
 */
const char *xattrmap_to_guest(const struct xattrmap *m, const char *name);

/**
 * Rewrite the host's NUL-separated list of len bytes in place into the
 * guest's list; returns its new length (never more than len). A trailing
 * name without its NUL is dropped.
 */
size_t xattrmap_list_to_guest(const struct xattrmap *m, char *list,
			      size_t len);

#endif
