/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cfg_edit: set/delete/rename/copy/insert lines, their
 * error messages and columns, all-or-nothing batches, the data paths a
 * batch reports, secrets, and set <-> print round trips.
 */
#include "cfg_test.h"
#include "cfg_test_full.h"
#include "xmem.h"

static void
test_full_roundtrip(void **state)
{
	struct lyd_node *tree, *again;
	char *curly, *dset;

	(void)state;
	tree = cfg_test_tree(FULL_SET);
	cfg_test_expect_print(tree, NULL, CFG_FMT_TEXT, 0, FULL_CURLY);
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0, FULL_DSET);
	/* display set parses back into the same configuration. */
	dset = cfg_test_print(tree, NULL, NULL, CFG_FMT_SET, 0);
	again = cfg_test_tree(dset);
	curly = cfg_test_print(again, NULL, NULL, CFG_FMT_TEXT, 0);
	assert_string_equal(curly, FULL_CURLY);
	free(curly);
	free(dset);
	lyd_free_all(again);
	lyd_free_all(tree);
}

static void
test_abbreviations(void **state)
{
	struct lyd_node *tree;

	(void)state;
	tree = cfg_test_tree("set sec ike gat g1 add 192.0.2.1\n"
	                     "set sec ike gat g1 ver v2\n"
	                     "se security ike proposal p dh group14\n"
	                     "del security ike proposal p dh\n");
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0,
	    "set security ike proposal p\n"
	    "set security ike gateway g1 address 192.0.2.1\n"
	    "set security ike gateway g1 version v2-only\n");
	lyd_free_all(tree);
}

static void
test_quoting(void **state)
{
	static const char *const values[] = { "two words", "a;b", "x{y}", "q\"uote", "back\\slash",
		"tail\\", "pipe|it", "#hash", "/*c*/", "$dollar", "tab\there", "", "plain-1.0/24" };
	struct lyd_node *tree = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct buf line = BUF_INIT;
		struct lyd_node *again;
		char *dset, *dset2;

		if (!*values[i])
			continue; /* descriptions are 1..900 characters */
		buf_puts(&line, "set interfaces st0 unit 0 description ");
		cfg_put_value(&line, values[i]);
		tree = cfg_test_tree(buf_str(&line));
		dset = cfg_test_print(tree, NULL, NULL, CFG_FMT_SET, 0);
		buf_putc(&line, '\n');
		assert_string_equal(dset, buf_str(&line));
		again = cfg_test_tree(dset);
		dset2 = cfg_test_print(again, NULL, NULL, CFG_FMT_SET, 0);
		assert_string_equal(dset, dset2);
		{
			struct lyd_node *d = NULL;

			assert_int_equal(lyd_find_path(again,
			                     "/cairn-interfaces:interfaces/interface[name='st0']/"
			                     "unit[name='0']/description",
			                     0, &d),
			    LY_SUCCESS);
			assert_string_equal(lyd_get_value(d), values[i]);
		}
		free(dset);
		free(dset2);
		buf_free(&line);
		lyd_free_all(again);
		lyd_free_all(tree);
	}
	assert_true(cfg_needs_quotes(""));
	assert_false(cfg_needs_quotes("plain-1.0/24"));
}

static char *
leaf_value(struct lyd_node *tree, const char *xpath)
{
	struct lyd_node *n = NULL;

	if (lyd_find_path(tree, xpath, 0, &n) != LY_SUCCESS)
		return NULL;
	return strdup(lyd_get_value(n));
}

static void
test_secrets(void **state)
{
	static const char *psk = "/cairn-security:security/ike/policy[name='p']/pre-shared-key/"
	                         "ascii-text";
	struct lyd_node *tree;
	char *v, *plain, *dset;
	size_t n;

	(void)state;
	tree = cfg_test_tree("set security ike policy p pre-shared-key ascii-text \"my psk\"\n"
	                     "set system login user u class operator\n"
	                     "set system login user u authentication encrypted-password "
	                     "\"$6$x$y\"\n");
	/* Typed in clear: stored as $9$, which decodes to what was typed. */
	v = leaf_value(tree, psk);
	assert_non_null(v);
	assert_memory_equal(v, "$9$", 3);
	assert_int_equal(cfg_secret_decode(v, strlen(v), &plain, &n), 0);
	assert_string_equal(plain, "my psk");
	xmem_free(plain, n + 1);
	dset = cfg_test_print(tree, NULL, "security", CFG_FMT_SET, 0);
	assert_non_null(strstr(dset, v));
	assert_null(strstr(dset, "my psk"));
	free(dset);
	free(v);
	/* Hashed secrets are kept as typed. */
	v = leaf_value(tree, "/cairn-system:system/login/user[name='u']/authentication/"
	                     "encrypted-password");
	assert_string_equal(v, "$6$x$y");
	free(v);
	/* $9$ input is stored as is, once it decodes. */
	cfg_test_edit(
	    &tree, NULL, "set security ike policy p pre-shared-key ascii-text \"$9$LbHX-wg4Z\"");
	v = leaf_value(tree, psk);
	assert_string_equal(v, "$9$LbHX-wg4Z");
	free(v);
	cfg_test_edit_err(&tree, "set security ike policy p pre-shared-key ascii-text $9$LbHX-wg4",
	    "Invalid encrypted secret at '$9$LbHX-wg4'", 1, 52);
	/* The other case of the choice replaces the first. */
	cfg_test_edit(&tree, NULL, "set security ike policy p pre-shared-key hexadecimal 00ff");
	assert_null(leaf_value(tree, psk));
	cfg_test_expect_print(tree, "security ike policy p pre-shared-key", CFG_FMT_TEXT,
	    CFG_PRINT_MASK_SECRETS, "hexadecimal /* SECRET-DATA */;\n");
	lyd_free_all(tree);
}

struct err_case {
	const char *line;
	const char *msg;
	unsigned col;
};

static void
test_errors(void **state)
{
	static const struct err_case cases[] = {
		{ "set system arrr", "syntax error.", 11 },
		{ "set system", "missing argument.", 11 },
		{ "set interfaces", "missing argument.", 15 },
		{ "set s", "'s' is ambiguous.", 4 },
		{ "set security ike gateway g dead-peer-detection interval 300",
		    "Value 300 is not within range (2..60) at '300'", 56 },
		{ "set security ike gateway g nat-keepalive 0",
		    "Value 0 is not within range (1..300) at '0'", 41 },
		{ "set interfaces st0 unit 4294967296",
		    "Value 4294967296 is not within range (0..1073741823) at '4294967296'", 24 },
		{ "set security ike gateway g dead-peer-detection interval x1",
		    "Invalid numeric value: 'x1'", 56 },
		{ "set security ike gateway g external-interface sdfsdf.x",
		    "invalid interface type in 'sdfsdf.x'.", 46 },
		{ "set security ipsec vpn v bind-interface ge-0/0/0.0",
		    "expecting a tunnel interface st0.N in 'ge-0/0/0.0'.", 40 },
		{ "set security ike gateway abcdefghijabcdefghijabcdefghijabc",
		    "'abcdefghijabcdefghijabcdefghijabc': Must be a string of 32 characters or "
		    "less",
		    25 },
		{ "set security ike gateway g version v3", "syntax error.", 35 },
		{ "set security ike gateway g version v", "'v' is ambiguous.", 35 },
		{ "set security ike gateway g address [ 192.0.2.1", "missing argument.", 47 },
		{ "set security ike gateway g address [ ]", "syntax error.", 37 },
		{ "set security ike gateway g address ]", "syntax error.", 35 },
		{ "set security ike gateway g address 192.0.2.1 192.0.2.2", "syntax error.", 45 },
		{ "set security ike gateway g ike-policy", "missing argument.", 38 },
		{ "set security ike gateway g no-nat-traversal yes", "syntax error.", 44 },
		{ "set security ike gateway g address not..valid", "invalid value 'not..valid'.",
		    35 },
		{ "set system host-name \"open", "syntax error, unterminated quoted string.", 21 },
		{ "set system host-name a\001b", "syntax error, control character.", 22 },
		{ "deactivate system",
		    "'deactivate' is not supported: Cairn keeps no inactive configuration.", 0 },
		{ "frobnicate system", "syntax error, expecting a configuration command.", 0 },
		{ "de system", "'de' is ambiguous.", 0 },
		{ "edit security ike gateway", "missing argument.", 26 },
		{ "rename security ike gateway g", "missing argument.", 30 },
		{ "rename security ike gateway g to", "missing argument.", 33 },
		{ "rename security ike gateway g to gateway a b", "syntax error.", 43 },
		{ "insert security ike gateway g before gateway h",
		    "'gateway' is not an ordered list.", 20 },
	};
	struct lyd_node *tree = NULL;
	char *before, *after;

	(void)state;
	cfg_test_edit(&tree, NULL, "set security ike gateway g address 192.0.2.9");
	before = cfg_test_print(tree, NULL, NULL, CFG_FMT_SET, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cfg_test_edit_err(&tree, cases[i].line, cases[i].msg, 1, cases[i].col);
	after = cfg_test_print(tree, NULL, NULL, CFG_FMT_SET, 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
	lyd_free_all(tree);
}

/* A failing line leaves the tree exactly as it was, order included. */
static void
test_all_or_nothing(void **state)
{
	struct lyd_node *tree;
	char *before, *after;

	(void)state;
	tree = cfg_test_tree("set security ike gateway a address 192.0.2.1\n"
	                     "set security ike gateway b address 192.0.2.2\n"
	                     "set security ike gateway c address 192.0.2.3\n"
	                     "set security ike proposal p1 dh-group group19\n"
	                     "set security ike proposal p2 dh-group group20\n"
	                     "set security ike proposal p3 dh-group group21\n"
	                     "set security ike policy pol proposals [ p1 p2 p3 ]\n"
	                     "set security ike policy pol pre-shared-key ascii-text k\n"
	                     "set system host-name r1\n");
	before = cfg_test_print(tree, NULL, NULL, CFG_FMT_TEXT, 0);
	cfg_test_edit_err(&tree,
	    "delete security ike gateway a\n"
	    "delete security ike proposal p1\n"
	    "delete security ike policy pol proposals p2\n"
	    "set security ike gateway d address 192.0.2.4\n"
	    "rename security ike gateway b to gateway e\n"
	    "insert security ike proposal p3 before proposal p2\n"
	    "set security ike policy pol pre-shared-key hexadecimal 00\n"
	    "delete system\n"
	    "set security ike gateway c address [ 192.0.2.5 192.0.2.6 ]\n"
	    "set security ike gateway c version v9\n",
	    "syntax error.", 10, 35);
	after = cfg_test_print(tree, NULL, NULL, CFG_FMT_TEXT, 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
	lyd_free_all(tree);
}

static void
test_delete(void **state)
{
	struct lyd_node *tree;
	struct cfg_result res;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };
	const char *lines;

	(void)state;
	tree = cfg_test_tree(FULL_SET);
	cfg_result_init(&res);
	errbuf_clear(&err);
	lines = "delete security ike gateway gw1 address 198.51.100.1\n" /* leaf-list value */
	        "delete security ike policy pol1 proposals\n"            /* all values */
	        "delete security ike gateway gw2\n"                      /* list entry */
	        "delete security ike proposal\n"                         /* every entry */
	        "delete security ipsec vpn vpn1 vpn-monitor\n"           /* presence */
	        "delete system syslog\n"                                 /* subtree */
	        "delete system host-name cairn-1\n"                      /* leaf, value */
	        "delete system login message other\n"                    /* value differs */
	        "delete routing-options static route 10.2.0.0/16 next-hop [ st0.1 ]\n"
	        "delete interfaces ge-0/0/0 unit 0 family inet address 192.0.2.1/24\n";
	assert_int_equal(
	    cfg_edit_lines(cfg_test_schema, &tree, NULL, lines, strlen(lines), 0, &res, &pos, &err),
	    0);
	assert_int_equal(res.nwarn, 1);
	assert_string_equal(res.warn[0], "warning: statement not found");
	cfg_test_expect_print(tree, "security ike", CFG_FMT_SET, 0,
	    "set security ike respond-bad-spi\n"
	    "set security ike policy pol1 pre-shared-key ascii-text \"$9$LbHX-wg4Z\"\n"
	    "set security ike gateway gw1 ike-policy pol1\n"
	    "set security ike gateway gw1 dead-peer-detection probe-idle-tunnel\n"
	    "set security ike gateway gw1 local-identity hostname vpn.example.com\n");
	cfg_test_expect_print(tree, "system", CFG_FMT_SET, 0,
	    "set system login message \"Welcome; authorized use only\"\n"
	    "set system login user admin uid 2000\n"
	    "set system login user admin class super-user\n"
	    "set system login user admin authentication encrypted-password \"$6$salt$hash\"\n");
	cfg_test_expect_print(tree, "routing-options static route 10.2.0.0/16", CFG_FMT_SET, 0,
	    "set routing-options static route 10.2.0.0/16 next-hop st0.0\n");
	/* The emptied inet container went with its last address; the presence
	 * container stays. */
	cfg_test_expect_print(tree, "interfaces ge-0/0/0", CFG_FMT_TEXT, 0,
	    "unit 0 {\n"
	    "    family inet;\n"
	    "}\n");
	cfg_result_fini(&res);
	/* delete alone removes everything at the edit level. */
	cfg_test_edit(&tree, "security ike", "delete");
	cfg_test_expect_print(tree, "security ike", CFG_FMT_TEXT, 0, "");
	cfg_test_edit(&tree, NULL, "edit routing-options\ndelete\ntop\ndelete interfaces");
	cfg_test_expect_print(tree, "routing-options", CFG_FMT_TEXT, 0, "");
	cfg_test_expect_print(tree, "interfaces", CFG_FMT_TEXT, 0, "");
	lyd_free_all(tree);
}

static void
test_rename_copy(void **state)
{
	struct lyd_node *tree;

	(void)state;
	tree = cfg_test_tree("set security ike gateway a address 192.0.2.1\n"
	                     "set security ike gateway a ike-policy p\n"
	                     "set security ike gateway b address 192.0.2.2\n"
	                     "set interfaces st0 unit 0 family inet address 10.0.0.1/30\n"
	                     "set security policies from-zone z to-zone z policy p1 then deny\n"
	                     "set security policies from-zone z to-zone z policy p2 then reject\n"
	                     "set security policies from-zone z to-zone z policy p3 then deny\n");
	cfg_test_edit(&tree, NULL,
	    "rename security ike gateway a to gateway c\n"
	    "copy security ike gateway b to gateway d\n"
	    "rename interfaces st0 unit 0 to unit 7\n"
	    "copy interfaces st0 to ge-0/0/1\n"
	    "rename security policies from-zone z to-zone z policy p1 to policy p9\n");
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0,
	    "set interfaces st0 unit 7 family inet address 10.0.0.1/30\n"
	    "set interfaces ge-0/0/1 unit 7 family inet address 10.0.0.1/30\n"
	    "set security ike gateway b address 192.0.2.2\n"
	    "set security ike gateway c ike-policy p\n"
	    "set security ike gateway c address 192.0.2.1\n"
	    "set security ike gateway d address 192.0.2.2\n"
	    "set security policies from-zone z to-zone z policy p9 then deny\n"
	    "set security policies from-zone z to-zone z policy p2 then reject\n"
	    "set security policies from-zone z to-zone z policy p3 then deny\n");
	cfg_test_edit_err(&tree, "rename security ike gateway b to gateway c",
	    "statement already exists.", 1, 41);
	cfg_test_edit_err(
	    &tree, "rename security ike gateway x to gateway y", "statement not found.", 1, 28);
	/* A key named "to" is still a key. */
	cfg_test_edit(&tree, NULL, "rename security ike gateway b to to");
	cfg_test_expect_print(tree, "security ike gateway to", CFG_FMT_SET, 0,
	    "set security ike gateway to address 192.0.2.2\n");
	lyd_free_all(tree);
}

static void
test_insert(void **state)
{
	struct lyd_node *tree;

	(void)state;
	tree = cfg_test_tree("set security policies from-zone z to-zone z policy p1 then deny\n"
	                     "set security policies from-zone z to-zone z policy p2 then deny\n"
	                     "set security policies from-zone z to-zone z policy p3 then deny\n"
	                     "set security ike policy k proposals [ a b c ]\n");
	cfg_test_edit(&tree, NULL,
	    "insert security policies from-zone z to-zone z policy p3 before policy p1\n"
	    "insert security policies from-zone z to-zone z policy p1 after p2\n"
	    "insert security ike policy k proposals c before a\n"
	    "insert security ike policy k proposals a after b\n");
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0,
	    "set security ike policy k proposals c\n"
	    "set security ike policy k proposals b\n"
	    "set security ike policy k proposals a\n"
	    "set security policies from-zone z to-zone z policy p3 then deny\n"
	    "set security policies from-zone z to-zone z policy p2 then deny\n"
	    "set security policies from-zone z to-zone z policy p1 then deny\n");
	cfg_test_edit_err(&tree,
	    "insert security policies from-zone z to-zone z policy p3 before policy p7",
	    "statement not found.", 1, 71);
	lyd_free_all(tree);
}

static void
test_changes(void **state)
{
	struct lyd_node *tree = NULL;
	struct cfg_result res;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };
	const char *lines = "set security ike gateway g address 192.0.2.1\n"
	                    "set security ike gateway g address 192.0.2.2\n"
	                    "set security ike gateway g version v2-only\n"
	                    "set security ike gateway g version v2-only\n"
	                    "set security ike gateway g nat-keepalive 30\n"
	                    "set security ike gateway g nat-keepalive 31\n"
	                    "set security ike gateway g local-identity inet 192.0.2.7\n"
	                    "set security ike gateway g local-identity hostname h\n"
	                    "delete security ike gateway g address\n"
	                    "rename security ike gateway g to gateway h\n";
	static const struct {
		enum cfg_change_op op;
		unsigned line;
		const char *path;
	} want[] = {
		{ CFG_CHG_CREATE, 1, "/cairn-security:security" },
		{ CFG_CHG_CREATE, 2,
		    "/cairn-security:security/ike/gateway[name='g']/address[.='192.0.2.2']" },
		{ CFG_CHG_CREATE, 3, "/cairn-security:security/ike/gateway[name='g']/version" },
		{ CFG_CHG_CREATE, 5,
		    "/cairn-security:security/ike/gateway[name='g']/nat-keepalive" },
		{ CFG_CHG_MODIFY, 6,
		    "/cairn-security:security/ike/gateway[name='g']/nat-keepalive" },
		{ CFG_CHG_CREATE, 7,
		    "/cairn-security:security/ike/gateway[name='g']/local-identity" },
		{ CFG_CHG_DELETE, 8,
		    "/cairn-security:security/ike/gateway[name='g']/local-identity/inet" },
		{ CFG_CHG_CREATE, 8,
		    "/cairn-security:security/ike/gateway[name='g']/local-identity/hostname" },
		{ CFG_CHG_DELETE, 9,
		    "/cairn-security:security/ike/gateway[name='g']/address[.='192.0.2.1']" },
		{ CFG_CHG_DELETE, 9,
		    "/cairn-security:security/ike/gateway[name='g']/address[.='192.0.2.2']" },
		{ CFG_CHG_CREATE, 10, "/cairn-security:security/ike/gateway[name='h']" },
		{ CFG_CHG_DELETE, 10, "/cairn-security:security/ike/gateway[name='g']" },
	};

	(void)state;
	cfg_result_init(&res);
	errbuf_clear(&err);
	assert_int_equal(
	    cfg_edit_lines(cfg_test_schema, &tree, NULL, lines, strlen(lines), 0, &res, &pos, &err),
	    0);
	assert_int_equal(res.nchg, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < res.nchg; i++) {
		assert_int_equal(res.chg[i].op, want[i].op);
		assert_int_equal(res.chg[i].line, want[i].line);
		assert_string_equal(res.chg[i].path, want[i].path);
	}
	cfg_result_fini(&res);
	/* A failed batch reports nothing. */
	cfg_result_init(&res);
	lines = "set security ike gateway x address 192.0.2.1\nset security bogus\n";
	assert_int_equal(
	    cfg_edit_lines(cfg_test_schema, &tree, NULL, lines, strlen(lines), 0, &res, &pos, &err),
	    -EINVAL);
	assert_int_equal(res.nchg, 0);
	cfg_result_fini(&res);
	lyd_free_all(tree);
}

static void
test_edit_path(void **state)
{
	struct lyd_node *tree = NULL;
	struct cfg_result res;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };
	const char *lines = "set address 192.0.2.1\n"
	                    "up\n"
	                    "set gateway h address 192.0.2.2\n"
	                    "edit gateway h dead-peer-detection\n"
	                    "set interval 20\n"
	                    "up 2\n";

	(void)state;
	cfg_result_init(&res);
	errbuf_clear(&err);
	assert_int_equal(cfg_edit_lines(cfg_test_schema, &tree, "security ike gateway g", lines,
	                     strlen(lines), 0, &res, &pos, &err),
	    0);
	assert_string_equal(res.edit_path, "security ike");
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0,
	    "set security ike gateway g address 192.0.2.1\n"
	    "set security ike gateway h address 192.0.2.2\n"
	    "set security ike gateway h dead-peer-detection interval 20\n");
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, CFG_PRINT_RELATIVE,
	    "set security ike gateway g address 192.0.2.1\n"
	    "set security ike gateway h address 192.0.2.2\n"
	    "set security ike gateway h dead-peer-detection interval 20\n");
	{
		char *rel =
		    cfg_test_print(tree, "security ike", NULL, CFG_FMT_SET, CFG_PRINT_RELATIVE);

		assert_string_equal(rel, "set gateway g address 192.0.2.1\n"
		                         "set gateway h address 192.0.2.2\n"
		                         "set gateway h dead-peer-detection interval 20\n");
		free(rel);
	}
	cfg_result_fini(&res);
	lyd_free_all(tree);
}

/* Several statements on one set/delete line, as Junos takes them: after a
 * leaf's value (or an empty leaf, a leaf-list's values, a presence
 * container), more statements of the leaf's parent. */
static void
test_multi(void **state)
{
	static const struct err_case cases[] = {
		{ "set security ike proposal p1 dh-group group19 bogus", "syntax error.", 46 },
		{ "set security ike proposal p1 dh-group group19 lifetime-seconds",
		    "missing argument.", 63 },
		{ "set security ike proposal p1 dh-group group19 lifetime-seconds 5",
		    "Value 5 is not within range (180..86400) at '5'", 63 },
		/* an error in a statement that another one follows */
		{ "set security ike gateway g nat-keepalive 0 version v2-only",
		    "Value 0 is not within range (1..300) at '0'", 41 },
		{ "set security ike gateway g version v2-only nat-keepalive 0",
		    "Value 0 is not within range (1..300) at '0'", 57 },
		/* after a leaf inside a presence container: that container only */
		{ "set security ike gateway g dead-peer-detection interval 10 version v2-only",
		    "syntax error.", 59 },
		{ "set security ike gateway g address 192.0.2.1 [ 192.0.2.2 ]", "syntax error.",
		    45 },
		{ "set security ike gateway g version v2-only d", "'d' is ambiguous.", 43 },
		/* ipsec-policy is a vpn's (ike ipsec-policy), not a gateway's */
		{ "set security ike gateway g ike-policy p ipsec-policy q", "syntax error.", 40 },
		{ "delete security ike gateway g version v2-only bogus", "syntax error.", 46 },
	};
	struct lyd_node *tree = NULL;
	struct cfg_result res;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };
	char *before, *after;
	const char *lines;

	(void)state;
	cfg_test_edit(&tree, NULL,
	    "set security ike proposal p1 authentication-method pre-shared-keys dh-group group19 "
	    "encryption-algorithm aes-128-gcm\n"
	    "set system login user alice uid 2001 class super-user\n"
	    "set security ike gateway gw1 address 192.0.2.2 external-interface eth0 ike-policy "
	    "pol\n"
	    "set security ipsec vpn v1 ike gateway gw1 ipsec-policy p\n"
	    "set security ike gateway gw1 dead-peer-detection version v2-only\n"
	    "set security ike gateway gw2 dead-peer-detection always-send interval 20 threshold 3\n"
	    "set security ike policy pol proposals [ p1 p2 ] mode main\n"
	    "set security ike gateway gw3 no-nat-traversal nat-keepalive 30\n"
	    "set security zones security-zone z address-book address a1 10.0.0.0/24 description d\n"
	    "set sec ike prop p2 dh group20 enc aes-256-gcm\n");
	cfg_test_expect_print(tree, NULL, CFG_FMT_SET, 0,
	    "set system login user alice uid 2001\n"
	    "set system login user alice class super-user\n"
	    "set security ike proposal p1 authentication-method pre-shared-keys\n"
	    "set security ike proposal p1 dh-group group19\n"
	    "set security ike proposal p1 encryption-algorithm aes-128-gcm\n"
	    "set security ike proposal p2 dh-group group20\n"
	    "set security ike proposal p2 encryption-algorithm aes-256-gcm\n"
	    "set security ike policy pol mode main\n"
	    "set security ike policy pol proposals p1\n"
	    "set security ike policy pol proposals p2\n"
	    "set security ike gateway gw1 ike-policy pol\n"
	    "set security ike gateway gw1 address 192.0.2.2\n"
	    "set security ike gateway gw1 dead-peer-detection\n"
	    "set security ike gateway gw1 external-interface eth0\n"
	    "set security ike gateway gw1 version v2-only\n"
	    "set security ike gateway gw2 dead-peer-detection always-send\n"
	    "set security ike gateway gw2 dead-peer-detection interval 20\n"
	    "set security ike gateway gw2 dead-peer-detection threshold 3\n"
	    "set security ike gateway gw3 no-nat-traversal\n"
	    "set security ike gateway gw3 nat-keepalive 30\n"
	    "set security ipsec vpn v1 ike gateway gw1\n"
	    "set security ipsec vpn v1 ike ipsec-policy p\n"
	    "set security zones security-zone z address-book address a1 description d\n"
	    "set security zones security-zone z address-book address a1 10.0.0.0/24\n");

	/* Each statement is reported; the line number is the line's. */
	cfg_result_init(&res);
	errbuf_clear(&err);
	lines = "set system host-name h1\n"
	        "set security ike gateway gw1 version v1-only nat-keepalive 40\n";
	assert_int_equal(
	    cfg_edit_lines(cfg_test_schema, &tree, NULL, lines, strlen(lines), 0, &res, &pos, &err),
	    0);
	assert_int_equal(res.nchg, 3);
	assert_int_equal(res.chg[1].op, CFG_CHG_MODIFY);
	assert_int_equal(res.chg[1].line, 2);
	assert_string_equal(
	    res.chg[1].path, "/cairn-security:security/ike/gateway[name='gw1']/version");
	assert_int_equal(res.chg[2].op, CFG_CHG_CREATE);
	assert_int_equal(res.chg[2].line, 2);
	cfg_result_fini(&res);

	/* delete: after a value (or a presence container) another statement. */
	cfg_test_edit(&tree, NULL,
	    "delete security ike gateway gw1 version v1-only address external-interface eth0\n"
	    "delete security ike gateway gw2 dead-peer-detection nat-keepalive\n"
	    "delete system login user alice uid 2001 class\n");
	cfg_test_expect_print(tree, "security ike gateway gw1", CFG_FMT_SET, 0,
	    "set security ike gateway gw1 ike-policy pol\n"
	    "set security ike gateway gw1 dead-peer-detection\n"
	    "set security ike gateway gw1 nat-keepalive 40\n");
	cfg_test_expect_print(tree, "security ike gateway gw2", CFG_FMT_SET, 0, "");
	cfg_test_expect_print(
	    tree, "system login", CFG_FMT_SET, 0, "set system login user alice\n");

	/* Errors name the word; a failed line changes nothing, also when its
	 * first statements were fine. */
	before = cfg_test_print(tree, NULL, NULL, CFG_FMT_SET, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cfg_test_edit_err(&tree, cases[i].line, cases[i].msg, 1, cases[i].col);
	after = cfg_test_print(tree, NULL, NULL, CFG_FMT_SET, 0);
	assert_string_equal(before, after);
	free(after);

	/* The edit path is never left: at a presence container's level, its
	 * parent's keywords are not statements. */
	errbuf_clear(&err);
	lines = "set interval 20 version v2-only";
	assert_int_equal(
	    cfg_edit_lines(cfg_test_schema, &tree, "security ike gateway gw1 dead-peer-detection",
	        lines, strlen(lines), 0, NULL, &pos, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "syntax error.");
	assert_int_equal(pos.col, 16);
	lines = "set version v2-only";
	assert_int_equal(
	    cfg_edit_lines(cfg_test_schema, &tree, "security ike gateway gw1 dead-peer-detection",
	        lines, strlen(lines), 0, NULL, &pos, &err),
	    -EINVAL);
	assert_int_equal(pos.col, 4);
	cfg_test_edit(&tree, "security ike gateway gw1", "set dead-peer-detection version v2-only");
	cfg_test_expect_print(tree, "security ike gateway gw1 version", CFG_FMT_SET, 0,
	    "set security ike gateway gw1 version v2-only\n");
	free(before);
	lyd_free_all(tree);
}

/* A larger tree: removing and restoring list entries keeps their order. */
static void
test_undo_order(void **state)
{
	struct buf lines = BUF_INIT;
	struct lyd_node *tree;
	char *before, *after;

	(void)state;
	for (int i = 0; i < 200; i++)
		buf_printf(&lines, "set security ike gateway g%03d address 192.0.2.%d\n",
		    (i * 37) % 200, i % 250 + 1);
	tree = cfg_test_tree(buf_str(&lines));
	before = cfg_test_print(tree, NULL, NULL, CFG_FMT_SET, 0);
	buf_reset(&lines);
	for (int i = 0; i < 200; i += 7)
		buf_printf(&lines, "delete security ike gateway g%03d\n", i);
	buf_puts(&lines, "delete security ike gateway g199 address\n");
	buf_puts(&lines, "set security ike gateway g000 bogus\n");
	cfg_test_edit_err(&tree, buf_str(&lines), "syntax error.", 31, 30);
	after = cfg_test_print(tree, NULL, NULL, CFG_FMT_SET, 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
	buf_free(&lines);
	lyd_free_all(tree);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_roundtrip),
		cmocka_unit_test(test_abbreviations),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_rename_copy),
		cmocka_unit_test(test_insert),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_edit_path),
		cmocka_unit_test(test_undo_order),
		cmocka_unit_test(test_multi),
	};

	return cmocka_run_group_tests(tests, cfg_test_setup, cfg_test_teardown);
}
