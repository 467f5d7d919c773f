/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cfg_curly: load merge, override and replace of Junos
 * curly text, comments and tags, errors with their line and column, and
 * curly round trips.
 */
#include "cfg_test.h"
#include "cfg_test_full.h"

static int
load(struct lyd_node **tree, enum cfg_load_mode mode, const char *edit_path, const char *text,
    struct cfg_result *res, struct cfg_errpos *pos, struct errbuf *err)
{
	struct cfg_errpos dpos;
	struct errbuf derr = { .msg = "" };

	errbuf_clear(err ? err : &derr);
	return cfg_load_text(cfg_test_schema, tree, mode, edit_path, text, strlen(text), 0, res,
	    pos ? pos : &dpos, err ? err : &derr);
}

static void
load_ok(struct lyd_node **tree, enum cfg_load_mode mode, const char *edit_path, const char *text)
{
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };

	if (load(tree, mode, edit_path, text, NULL, &pos, &err) != 0)
		fail_msg("load failed: %s (line %u col %u)", err.msg, pos.line, pos.col);
}

static void
load_err(struct lyd_node **tree, const char *text, const char *msg, unsigned line, unsigned col)
{
	struct cfg_errpos pos = { 0, 0 };
	struct errbuf err = { .msg = "" };
	char *before = cfg_test_print(*tree, NULL, NULL, CFG_FMT_TEXT, 0), *after;

	if (load(tree, CFG_LOAD_MERGE, NULL, text, NULL, &pos, &err) == 0)
		fail_msg("load succeeded, expected \"%s\":\n%s", msg, text);
	if (strcmp(err.msg, msg) != 0 || pos.line != line || pos.col != col)
		fail_msg("got \"%s\" at %u:%u, expected \"%s\" at %u:%u\n%s", err.msg, pos.line,
		    pos.col, msg, line, col, text);
	after = cfg_test_print(*tree, NULL, NULL, CFG_FMT_TEXT, 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void
test_roundtrip(void **state)
{
	struct lyd_node *tree = NULL;
	char *out;

	(void)state;
	load_ok(&tree, CFG_LOAD_MERGE, NULL, FULL_CURLY);
	cfg_test_expect_print(tree, NULL, CFG_FMT_TEXT, 0, FULL_CURLY);
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0, FULL_DSET);
	/* Loading the printed text again changes nothing. */
	out = cfg_test_print(tree, NULL, NULL, CFG_FMT_TEXT, 0);
	load_ok(&tree, CFG_LOAD_MERGE, NULL, out);
	cfg_test_expect_print(tree, NULL, CFG_FMT_TEXT, 0, FULL_CURLY);
	free(out);
	lyd_free_all(tree);
}

static void
test_comments_and_forms(void **state)
{
	struct lyd_node *tree = NULL;

	(void)state;
	load_ok(&tree, CFG_LOAD_MERGE, NULL,
	    "## Last commit: 2026-11-27 10:00:00 UTC by root\n"
	    "version 24.4R1;\n"
	    "/* a comment\n   over two lines */\n"
	    "security { ike { gateway gw1 { # trailing comment\n"
	    "    address [ 192.0.2.1 192.0.2.2 ]; ike-policy p;\n"
	    "    dead-peer-detection;\n"
	    "} } }\n"
	    "security {\n"
	    "    ike {\n"
	    "        policy p {\n"
	    "            pre-shared-key {\n"
	    "                ascii-text \"$9$LbHX-wg4Z\"; ## SECRET-DATA\n"
	    "            }\n"
	    "        }\n"
	    "    }\n"
	    "    zones {\n"
	    "        security-zone z {\n"
	    "            interfaces {\n"
	    "                st0.0;\n"
	    "                ge-0/0/0.0 { host-inbound-traffic { system-services { ike; } } }\n"
	    "            }\n"
	    "        }\n"
	    "    }\n"
	    "    policies {\n"
	    "        from-zone z to-zone z { policy p1 { then { permit; } } }\n"
	    "    }\n"
	    "}\n"
	    "routing-options { static { route 10.0.0.0/8 next-hop [ st0.0 st0.1 ]; } }\n"
	    "interfaces { st0 { unit 0 { family inet { address 10.0.0.1/30; } family inet6; } } "
	    "}\n");
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0,
	    "set interfaces st0 unit 0 family inet address 10.0.0.1/30\n"
	    "set interfaces st0 unit 0 family inet6\n"
	    "set routing-options static route 10.0.0.0/8 next-hop st0.0\n"
	    "set routing-options static route 10.0.0.0/8 next-hop st0.1\n"
	    "set security ike policy p pre-shared-key ascii-text \"$9$LbHX-wg4Z\"\n"
	    "set security ike gateway gw1 ike-policy p\n"
	    "set security ike gateway gw1 address 192.0.2.1\n"
	    "set security ike gateway gw1 address 192.0.2.2\n"
	    "set security ike gateway gw1 dead-peer-detection\n"
	    "set security zones security-zone z interfaces st0.0\n"
	    "set security zones security-zone z interfaces ge-0/0/0.0 host-inbound-traffic "
	    "system-services ike\n"
	    "set security policies from-zone z to-zone z policy p1 then permit\n");
	lyd_free_all(tree);
}

static void
test_merge(void **state)
{
	struct lyd_node *tree;

	(void)state;
	tree = cfg_test_tree("set security ike gateway a address 192.0.2.1\n"
	                     "set security ike gateway a version v2-only\n"
	                     "set security ike gateway b address 192.0.2.2\n");
	load_ok(&tree, CFG_LOAD_MERGE, NULL,
	    "security { ike { gateway a { address 192.0.2.3; version v1-only; }\n"
	    "gateway c { address 192.0.2.4; } } }\n");
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0,
	    "set security ike gateway a address 192.0.2.1\n"
	    "set security ike gateway a address 192.0.2.3\n"
	    "set security ike gateway a version v1-only\n"
	    "set security ike gateway b address 192.0.2.2\n"
	    "set security ike gateway c address 192.0.2.4\n");
	/* Relative to an edit path. */
	load_ok(&tree, CFG_LOAD_MERGE, "security ike gateway b", "no-nat-traversal;\n");
	cfg_test_expect_print(tree, "security ike gateway b", CFG_FMT_SET, 0,
	    "set security ike gateway b address 192.0.2.2\n"
	    "set security ike gateway b no-nat-traversal\n");
	lyd_free_all(tree);
}

static void
test_override(void **state)
{
	struct lyd_node *tree;
	struct cfg_result res;

	(void)state;
	tree = cfg_test_tree("set security ike gateway a address 192.0.2.1\n"
	                     "set system host-name r1\n");
	cfg_result_init(&res);
	assert_int_equal(
	    load(&tree, CFG_LOAD_OVERRIDE, NULL,
	        "system { host-name r2; }\ninterfaces { st0 { unit 0; } }\n", &res, NULL, NULL),
	    0);
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0,
	    "set system host-name r2\n"
	    "set interfaces st0 unit 0\n");
	/* The old top-level sections went, the new ones came. */
	assert_int_equal(res.nchg, 4);
	assert_int_equal(res.chg[0].op, CFG_CHG_DELETE);
	assert_int_equal(res.chg[1].op, CFG_CHG_DELETE);
	assert_int_equal(res.chg[2].op, CFG_CHG_CREATE);
	assert_string_equal(res.chg[2].path, "/cairn-system:system");
	assert_int_equal(res.chg[3].op, CFG_CHG_CREATE);
	assert_string_equal(res.chg[3].path, "/cairn-interfaces:interfaces");
	cfg_result_fini(&res);
	/* Override below an edit path replaces only that part. */
	load_ok(&tree, CFG_LOAD_OVERRIDE, "interfaces st0", "unit 5 { multipoint; }\n");
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0,
	    "set system host-name r2\n"
	    "set interfaces st0 unit 5 multipoint\n");
	/* An empty override empties the configuration. */
	load_ok(&tree, CFG_LOAD_OVERRIDE, NULL, "# nothing\n");
	cfg_test_expect_print(tree, NULL, CFG_FMT_TEXT, 0, "");
	lyd_free_all(tree);
}

static void
test_replace(void **state)
{
	struct lyd_node *tree;

	(void)state;
	tree = cfg_test_tree("set security ike gateway a address 192.0.2.1\n"
	                     "set security ike gateway a version v2-only\n"
	                     "set security ike gateway b address 192.0.2.2\n"
	                     "set security ike policy p proposals [ x y ]\n"
	                     "set security ike policy p mode aggressive\n"
	                     "set security zones security-zone z interfaces st0.0\n"
	                     "set security zones security-zone z interfaces st0.1\n");
	load_ok(&tree, CFG_LOAD_REPLACE, NULL,
	    "security {\n"
	    "    ike {\n"
	    "        replace: gateway a {\n"
	    "            address 192.0.2.9;\n"
	    "        }\n"
	    "        gateway b { version v1-only; }\n"
	    "        policy p {\n"
	    "            replace: proposals z;\n"
	    "        }\n"
	    "    }\n"
	    "    zones { security-zone z { replace:\n"
	    "        interfaces { st0.2; } } }\n"
	    "}\n");
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0,
	    "set security ike policy p mode aggressive\n"
	    "set security ike policy p proposals z\n"
	    "set security ike gateway a address 192.0.2.9\n"
	    "set security ike gateway b address 192.0.2.2\n"
	    "set security ike gateway b version v1-only\n"
	    "set security zones security-zone z interfaces st0.2\n");
	/* merge ignores replace: tags */
	load_ok(&tree, CFG_LOAD_MERGE, NULL,
	    "security { ike { replace: gateway a { version v2-only; } } }\n");
	cfg_test_expect_print(tree, "security ike gateway a", CFG_FMT_SET, 0,
	    "set security ike gateway a address 192.0.2.9\n"
	    "set security ike gateway a version v2-only\n");
	lyd_free_all(tree);
}

static void
test_errors(void **state)
{
	struct lyd_node *tree;

	(void)state;
	tree = cfg_test_tree("set system host-name r1\n");
	load_err(&tree, "system {\n    host-name r2;\n", "syntax error, missing '}'.", 1, 7);
	load_err(&tree, "system { host-name r2; } }\n", "syntax error, unexpected '}'.", 1, 25);
	load_err(&tree, "system { host-name r2 }\n", "syntax error, expecting ';' or '{'.", 1, 22);
	load_err(&tree, "system { host-name r2; }\nsecurity", "syntax error, expecting ';' or '{'.",
	    2, 0);
	load_err(&tree, "system {\n  inactive: host-name r2;\n}\n",
	    "'inactive:' is not supported: Cairn keeps no inactive configuration.", 2, 2);
	load_err(&tree, "protect: system { }\n", "'protect:' is not supported.", 1, 0);
	load_err(&tree, "system {\n    host-name { r2; }\n}\n", "missing argument.", 2, 14);
	load_err(&tree, "system {\n    frobnicate 1;\n}\n", "syntax error.", 2, 4);
	load_err(&tree,
	    "security {\n  ike {\n    gateway g {\n      nat-keepalive 999;\n    }\n  }\n}\n",
	    "Value 999 is not within range (1..300) at '999'", 4, 20);
	load_err(&tree,
	    "security { ike { policy p { pre-shared-key {\n"
	    "    ascii-text /* SECRET-DATA */;\n} } } }\n",
	    "missing argument.", 2, 32);
	load_err(&tree, "system { host-name \"r\n2\"; }\n",
	    "syntax error, control character in a quoted string.", 1, 21);
	load_err(&tree, "system { login { message \"open; } }",
	    "syntax error, unterminated quoted string.", 1, 25);
	load_err(&tree, "/* unterminated\n", "syntax error, unterminated comment.", 1, 0);
	load_err(&tree, "{ }\n", "syntax error.", 1, 0);
	load_err(&tree, "security { ike { gateway ; } }\n", "missing argument.", 1, 25);
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0, "set system host-name r1\n");
	lyd_free_all(tree);
}

/* Hostile nesting is refused, not recursed into. */
static void
test_deep(void **state)
{
	struct lyd_node *tree = NULL;
	struct buf text = BUF_INIT;

	(void)state;
	for (int i = 0; i < 10000; i++)
		buf_puts(&text, "system { ");
	assert_int_equal(
	    load(&tree, CFG_LOAD_MERGE, NULL, buf_str(&text), NULL, NULL, NULL), -EINVAL);
	assert_null(tree);
	buf_free(&text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_comments_and_forms),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_deep),
	};

	return cmocka_run_group_tests(tests, cfg_test_setup, cfg_test_teardown);
}
