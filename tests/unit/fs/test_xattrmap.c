/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The xattr map parser and matcher: rule syntax, separators, the map
 * shorthand, the virtiofsd documentation's examples, and malformed maps.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fs/xattrmap.h"

static struct xattrmap *parse_ok(const char *s)
{
	struct xattrmap *m = NULL;
	char err[128];
	int ret = xattrmap_parse(s, strlen(s), &m, err, sizeof(err));

	if (ret)
		fail_msg("'%s': %s", s, err);
	assert_non_null(m);
	return m;
}

static void parse_bad(const char *s, size_t len, const char *want)
{
	struct xattrmap *m = NULL;
	char err[128];

	assert_int_equal(xattrmap_parse(s, len, &m, err, sizeof(err)), -EINVAL);
	assert_null(m);
	if (!strstr(err, want))
		fail_msg("'%s': error '%s' lacks '%s'", s, err, want);
}

/* The host name for name, or "" with the errno in *err. */
static const char *host(const struct xattrmap *m, const char *name, int *err)
{
	static char buf[256];

	*err = xattrmap_to_host(m, name, buf, sizeof(buf));
	return *err ? "" : buf;
}

static void expect_host(const struct xattrmap *m, const char *name,
			const char *want)
{
	int err;
	const char *h = host(m, name, &err);

	if (err)
		fail_msg("%s: errno %d, expected %s", name, err, want);
	assert_string_equal(h, want);
}

static void expect_refused(const struct xattrmap *m, const char *name,
			   int want)
{
	int err;

	host(m, name, &err);
	assert_int_equal(err, want);
}

static void expect_guest(const struct xattrmap *m, const char *name,
			 const char *want)
{
	const char *g = xattrmap_to_guest(m, name);

	if (!want) {
		if (g)
			fail_msg("%s shown as %s, expected hidden", name, g);
		return;
	}
	if (!g)
		fail_msg("%s hidden, expected %s", name, want);
	assert_string_equal(g, want);
}

static void test_single_rules(void **state)
{
	struct xattrmap *m;

	(void)state;
	m = parse_ok(":prefix:all:trusted.:user.virtiofs.:");
	assert_int_equal(m->n, 1);
	assert_int_equal(m->rules[0].type, XATTRMAP_PREFIX);
	assert_int_equal(m->rules[0].scope, XATTRMAP_CLIENT | XATTRMAP_SERVER);
	assert_string_equal(m->rules[0].key, "trusted.");
	assert_string_equal(m->rules[0].prepend, "user.virtiofs.");
	expect_host(m, "trusted.x", "user.virtiofs.trusted.x");
	/* No rule for user.*: refused, and hidden from lists. */
	expect_refused(m, "user.x", -EPERM);
	expect_guest(m, "user.virtiofs.trusted.x", "trusted.x");
	expect_guest(m, "trusted.x", NULL);
	/* The bare prefix would be an empty guest name. */
	expect_guest(m, "user.virtiofs.", NULL);
	xattrmap_free(m);

	m = parse_ok("/ok/client/user.//");
	assert_int_equal(m->rules[0].scope, XATTRMAP_CLIENT);
	expect_host(m, "user.a", "user.a");
	expect_guest(m, "user.a", NULL); /* no server rule */
	xattrmap_free(m);

	m = parse_ok("|bad|server||security.|");
	assert_int_equal(m->rules[0].scope, XATTRMAP_SERVER);
	expect_refused(m, "security.x", -EPERM); /* no client rule */
	expect_guest(m, "security.selinux", NULL);
	xattrmap_free(m);
}

static void test_unsupported(void **state)
{
	struct xattrmap *m;

	(void)state;
	/* virtiofsd's example: no SELinux labels, everything else through. */
	m = parse_ok("/unsupported/all/security.selinux/security.selinux//"
		     "ok/all///");
	assert_int_equal(m->n, 2);
	expect_refused(m, "security.selinux", -EOPNOTSUPP);
	expect_host(m, "security.capability", "security.capability");
	expect_guest(m, "security.selinux", NULL);
	expect_guest(m, "user.a", "user.a");
	xattrmap_free(m);
}

/* virtiofsd's second documented example, over several lines. */
static void test_doc_example_trusted(void **state)
{
	struct xattrmap *m;

	(void)state;
	m = parse_ok("/prefix/all/trusted./user.virtiofs./\n"
		     "  /bad/server//trusted./\n"
		     "\t/bad/client/user.virtiofs.//\n"
		     "  /ok/all///\n");
	assert_int_equal(m->n, 4);
	expect_host(m, "trusted.overlay.opaque",
		    "user.virtiofs.trusted.overlay.opaque");
	expect_host(m, "user.a", "user.a");
	expect_host(m, "security.selinux", "security.selinux");
	expect_refused(m, "user.virtiofs.trusted.x", -EPERM);
	expect_guest(m, "user.virtiofs.trusted.x", "trusted.x");
	expect_guest(m, "trusted.host", NULL);
	expect_guest(m, "user.a", "user.a");
	xattrmap_free(m);
}

static void test_map_shorthand(void **state)
{
	struct xattrmap *m;

	(void)state;
	m = parse_ok(":map:trusted.:user.virtiofs.:");
	assert_int_equal(m->n, 4);
	expect_host(m, "trusted.a", "user.virtiofs.trusted.a");
	expect_host(m, "user.a", "user.a");
	expect_refused(m, "user.virtiofs.x", -EPERM);
	expect_guest(m, "user.virtiofs.trusted.a", "trusted.a");
	expect_guest(m, "trusted.a", NULL);
	expect_guest(m, "user.a", "user.a");
	xattrmap_free(m);

	/* Empty key: everything prefixed, nothing else visible. */
	m = parse_ok(" :map::user.virtiofs.:  ");
	assert_int_equal(m->n, 2);
	expect_host(m, "user.a", "user.virtiofs.user.a");
	expect_host(m, "security.selinux", "user.virtiofs.security.selinux");
	expect_guest(m, "user.virtiofs.security.selinux", "security.selinux");
	expect_guest(m, "user.a", NULL);
	xattrmap_free(m);

	/* Rules may come before a map. */
	m = parse_ok(":ok:all:system.::  :map:trusted.:user.virtiofs.:");
	assert_int_equal(m->n, 5);
	expect_host(m, "system.posix_acl_access", "system.posix_acl_access");
	xattrmap_free(m);
}

static void test_first_match_wins(void **state)
{
	struct xattrmap *m;

	(void)state;
	m = parse_ok(":bad:client:user.secret.:: :ok:all:::");
	expect_refused(m, "user.secret.x", -EPERM);
	expect_host(m, "user.secretive", "user.secretive");
	xattrmap_free(m);
}

static void test_long_names(void **state)
{
	struct xattrmap *m;
	char name[256], out[256];

	(void)state;
	m = parse_ok(":prefix:all::user.virtiofs.:");
	memset(name, 'a', sizeof(name));
	memcpy(name, "user.", 5);
	name[255 - 14] = '\0';	/* 241 + 14 bytes of prefix = 255 */
	assert_int_equal(xattrmap_to_host(m, name, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), 255);
	name[255 - 14] = 'a';
	name[255 - 13] = '\0';
	assert_int_equal(xattrmap_to_host(m, name, out, sizeof(out)), -ERANGE);
	xattrmap_free(m);
}

static void test_list_to_guest(void **state)
{
	struct xattrmap *m;
	char list[128];
	static const char host_list[] = "user.virtiofs.trusted.a\0"
					"trusted.b\0user.c\0\0"
					"user.virtiofs.trusted.d\0user.tail";
	size_t n;

	(void)state;
	m = parse_ok(":map:trusted.:user.virtiofs.:");
	memcpy(list, host_list, sizeof(host_list) - 1);
	n = xattrmap_list_to_guest(m, list, sizeof(host_list) - 1);
	/* trusted.b hidden, the empty name gone, the unterminated tail too. */
	assert_int_equal(n, sizeof("trusted.a\0user.c\0trusted.d"));
	assert_memory_equal(list, "trusted.a\0user.c\0trusted.d", n);
	assert_int_equal(xattrmap_list_to_guest(m, list, 0), 0);
	xattrmap_free(m);
}

static void test_malformed(void **state)
{
	(void)state;
	parse_bad("", 0, "no rules");
	parse_bad("   \n\t", 5, "no rules");
	parse_bad(":prefix:all:trusted.", 20, "closing the key");
	parse_bad(":prefix:all:trusted.:user.", 26, "closing the prepend");
	parse_bad(":prefix:all", 11, "closing the scope");
	parse_bad(":pre:all:::", 11, "type is not");
	parse_bad(":prefixx:all:::", 15, "type is not");
	parse_bad(":ok:both:::", 11, "scope is not");
	parse_bad(":ok:all::", 9, "closing the prepend");
	parse_bad(":map:a:b: :ok:all:::", 20, "last rule");
	parse_bad(":map:a:", 7, "closing the prepend");
	/* A NUL inside a field or between rules, \x01 as separator. */
	parse_bad(":ok:all:a\0b::", 13, "NUL");
	parse_bad(":ok:all:::\0", 11, "NUL");
	parse_bad("\001ok\001all\001", 8, "\\x01");
}

static void test_limits(void **state)
{
	struct xattrmap *m = NULL;
	size_t rule = strlen(":ok:all:::");
	size_t n = (XATTRMAP_MAX_RULES + 1) * rule;
	char *buf = malloc(n + 1);
	char field[XATTRMAP_MAX_FIELD + 16];
	char err[128];

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i <= XATTRMAP_MAX_RULES; i++)
		memcpy(buf + i * rule, ":ok:all:::", rule);
	assert_int_equal(xattrmap_parse(buf, n - rule, &m, err, sizeof(err)),
			 0);
	assert_int_equal(m->n, XATTRMAP_MAX_RULES);
	xattrmap_free(m);
	m = NULL;
	parse_bad(buf, n, "more than");
	free(buf);

	memset(field, 'k', sizeof(field));
	memcpy(field, ":ok:all:", 8);
	field[8 + XATTRMAP_MAX_FIELD + 1] = ':';
	field[8 + XATTRMAP_MAX_FIELD + 2] = ':';
	parse_bad(field, 8 + XATTRMAP_MAX_FIELD + 3, "longer than");
	/* Without room for a message the parse still fails cleanly. */
	assert_int_equal(xattrmap_parse("x", 1, &m, err, 0), -EINVAL);
	assert_null(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_rules),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_doc_example_trusted),
		cmocka_unit_test(test_map_shorthand),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_list_to_guest),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
