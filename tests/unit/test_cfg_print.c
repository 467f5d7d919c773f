/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cfg_print: parts of a configuration selected by a path,
 * secrets masked, JSON and XML, defaults left out.
 */
#include "cfg_test.h"
#include "cfg_test_full.h"

static struct lyd_node *full;

static int
setup(void **state)
{
	if (cfg_test_setup(state) != 0)
		return -1;
	full = cfg_test_tree(FULL_SET);
	return 0;
}

static int
teardown(void **state)
{
	lyd_free_all(full);
	return cfg_test_teardown(state);
}

static void
test_paths(void **state)
{
	(void)state;
	/* A container shows its content; a list entry too. */
	cfg_test_expect_print(full, "security ike gateway gw2", CFG_FMT_TEXT, 0,
	    "ike-policy pol1;\n"
	    "dynamic {\n"
	    "    hostname peer.example.com;\n"
	    "}\n");
	cfg_test_expect_print(
	    full, "sec ike gat gw2 dyn", CFG_FMT_TEXT, 0, "hostname peer.example.com;\n");
	/* A leaf or a leaf-list shows its statement. */
	cfg_test_expect_print(
	    full, "security ike gateway gw1 ike-policy", CFG_FMT_TEXT, 0, "ike-policy pol1;\n");
	cfg_test_expect_print(
	    full, "security ike policy pol1 proposals", CFG_FMT_TEXT, 0, "proposals [ p2 p1 ];\n");
	cfg_test_expect_print(full, "security ike policy pol1 proposals p1", CFG_FMT_SET, 0,
	    "set security ike policy pol1 proposals p1\n");
	/* A list keyword shows every entry; a grouped one its block. */
	cfg_test_expect_print(full, "security ike proposal", CFG_FMT_TEXT, 0,
	    "proposal p1 {\n"
	    "    dh-group group19;\n"
	    "    encryption-algorithm aes-256-gcm;\n"
	    "}\n"
	    "proposal p2 {\n"
	    "    dh-group group14;\n"
	    "}\n");
	cfg_test_expect_print(full, "security zones security-zone trust interfaces", CFG_FMT_TEXT,
	    0,
	    "interfaces {\n"
	    "    ge-0/0/0.0 {\n"
	    "        host-inbound-traffic {\n"
	    "            system-services {\n"
	    "                ike;\n"
	    "                ping;\n"
	    "            }\n"
	    "        }\n"
	    "    }\n"
	    "    st0.0;\n"
	    "}\n");
	cfg_test_expect_print(full, "interfaces st0 unit 0", CFG_FMT_SET, 0,
	    "set interfaces st0 unit 0 description \"to site \\\"B\\\"\"\n"
	    "set interfaces st0 unit 0 family inet\n");
	/* family is joined: "family inet {" on one line, each family on its
	 * own; below it, its content as usual. */
	{
		struct lyd_node *t =
		    cfg_test_tree("set interfaces st0 unit 3 family inet address 10.0.0.1/30\n"
		                  "set interfaces st0 unit 3 family inet address 10.0.0.5/30\n"
		                  "set interfaces st0 unit 3 family inet mtu 1400\n"
		                  "set interfaces st0 unit 3 family inet6 address 2001:db8::1/64\n"
		                  "set interfaces st0 unit 4 family inet6\n");

		cfg_test_expect_print(t, NULL, CFG_FMT_TEXT, 0,
		    "interfaces {\n"
		    "    st0 {\n"
		    "        unit 3 {\n"
		    "            family inet {\n"
		    "                mtu 1400;\n"
		    "                address 10.0.0.1/30;\n"
		    "                address 10.0.0.5/30;\n"
		    "            }\n"
		    "            family inet6 {\n"
		    "                address 2001:db8::1/64;\n"
		    "            }\n"
		    "        }\n"
		    "        unit 4 {\n"
		    "            family inet6;\n"
		    "        }\n"
		    "    }\n"
		    "}\n");
		cfg_test_expect_print(t, "interfaces st0 unit 3 family", CFG_FMT_TEXT, 0,
		    "inet {\n"
		    "    mtu 1400;\n"
		    "    address 10.0.0.1/30;\n"
		    "    address 10.0.0.5/30;\n"
		    "}\n"
		    "inet6 {\n"
		    "    address 2001:db8::1/64;\n"
		    "}\n");
		cfg_test_expect_print(
		    t, "interfaces st0 unit 4", CFG_FMT_TEXT, 0, "family inet6;\n");
		lyd_free_all(t);
	}
	/* Nothing configured there: nothing printed. */
	cfg_test_expect_print(full, "security ike gateway nosuch", CFG_FMT_TEXT, 0, "");
	cfg_test_expect_print(full, "security ipsec proposal", CFG_FMT_SET, 0, "");
	{
		char *rel = cfg_test_print(full, "security ike", "gateway gw2", CFG_FMT_TEXT, 0);

		assert_string_equal(rel, "ike-policy pol1;\n"
		                         "dynamic {\n"
		                         "    hostname peer.example.com;\n"
		                         "}\n");
		free(rel);
	}
}

static void
test_path_errors(void **state)
{
	struct buf out = BUF_INIT;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };
	static const struct {
		const char *path, *msg;
		unsigned col;
	} cases[] = {
		{ "security bogus", "syntax error.", 9 },
		{ "s", "'s' is ambiguous.", 0 },
		{ "security ike gateway gw1 ike-policy pol1", "syntax error.", 36 },
		{ "security ike gateway gw1 address [ 1.2.3.4", "missing argument.", 43 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errbuf_clear(&err);
		assert_int_equal(cfg_print(cfg_test_schema, full, NULL, cases[i].path,
		                     strlen(cases[i].path), CFG_FMT_TEXT, 0, &out, &pos, &err),
		    -EINVAL);
		assert_string_equal(err.msg, cases[i].msg);
		assert_int_equal(pos.col, cases[i].col);
		assert_int_equal(out.len, 0);
	}
	buf_free(&out);
}

static void
test_mask(void **state)
{
	char *s;

	(void)state;
	cfg_test_expect_print(full, "security ike policy pol1", CFG_FMT_TEXT,
	    CFG_PRINT_MASK_SECRETS,
	    "proposals [ p2 p1 ];\n"
	    "pre-shared-key {\n"
	    "    ascii-text /* SECRET-DATA */;\n"
	    "}\n");
	cfg_test_expect_print(full, "system login user admin", CFG_FMT_SET, CFG_PRINT_MASK_SECRETS,
	    "set system login user admin uid 2000\n"
	    "set system login user admin class super-user\n"
	    "set system login user admin authentication encrypted-password /* SECRET-DATA */\n");
	/* No secret survives in any format. */
	for (int f = CFG_FMT_TEXT; f <= CFG_FMT_XML; f++) {
		s = cfg_test_print(full, NULL, NULL, f, CFG_PRINT_MASK_SECRETS);
		assert_null(strstr(s, "$9$"));
		assert_null(strstr(s, "$6$"));
		assert_non_null(strstr(s, "host-name"));
		free(s);
		s = cfg_test_print(full, NULL, NULL, f, 0);
		assert_non_null(strstr(s, "$9$LbHX-wg4Z"));
		assert_non_null(strstr(s, "$6$salt$hash"));
		free(s);
	}
}

static void
test_json_xml(void **state)
{
	char *s;

	(void)state;
	s = cfg_test_print(full, NULL, "security ike gateway gw2", CFG_FMT_JSON, 0);
	assert_string_equal(s, "{\n"
	                       "  \"cairn-security:security\": {\n"
	                       "    \"ike\": {\n"
	                       "      \"gateway\": [\n"
	                       "        {\n"
	                       "          \"name\": \"gw2\",\n"
	                       "          \"ike-policy\": \"pol1\",\n"
	                       "          \"dynamic\": {\n"
	                       "            \"hostname\": \"peer.example.com\"\n"
	                       "          }\n"
	                       "        }\n"
	                       "      ]\n"
	                       "    }\n"
	                       "  }\n"
	                       "}\n");
	free(s);
	s = cfg_test_print(full, NULL, "security ike proposal", CFG_FMT_XML, 0);
	assert_string_equal(s, "<security xmlns=\"urn:cairn:security\">\n"
	                       "  <ike>\n"
	                       "    <proposal>\n"
	                       "      <name>p1</name>\n"
	                       "      <dh-group>group19</dh-group>\n"
	                       "      <encryption-algorithm>aes-256-gcm</encryption-algorithm>\n"
	                       "    </proposal>\n"
	                       "    <proposal>\n"
	                       "      <name>p2</name>\n"
	                       "      <dh-group>group14</dh-group>\n"
	                       "    </proposal>\n"
	                       "  </ike>\n"
	                       "</security>\n");
	free(s);
	s = cfg_test_print(full, NULL, "security ike policy pol1 pre-shared-key", CFG_FMT_JSON,
	    CFG_PRINT_MASK_SECRETS);
	assert_non_null(strstr(s, "\"ascii-text\": \"/* SECRET-DATA */\""));
	free(s);
	s = cfg_test_print(NULL, NULL, NULL, CFG_FMT_JSON, 0);
	assert_string_equal(s, "{\n}\n");
	free(s);
	/* The whole tree parses back with libyang. */
	{
		struct lyd_node *back = NULL;

		s = cfg_test_print(full, NULL, NULL, CFG_FMT_JSON, 0);
		assert_int_equal(lyd_parse_data_mem(cfg_schema_ctx(cfg_test_schema), s, LYD_JSON,
		                     LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0, &back),
		    LY_SUCCESS);
		free(s);
		s = cfg_test_print(back, NULL, NULL, CFG_FMT_TEXT, 0);
		assert_string_equal(s, FULL_CURLY);
		free(s);
		lyd_free_all(back);
	}
}

/* Defaults added by validation are not configuration: not printed. */
static void
test_defaults(void **state)
{
	struct lyd_node *tree;
	char *before, *after;

	(void)state;
	tree = cfg_test_tree("set security ike proposal p dh-group group19\n"
	                     "set security ike policy k proposals p\n"
	                     "set security ike gateway g ike-policy k\n"
	                     "set security ike gateway g address 192.0.2.1\n"
	                     "set security ike gateway g dead-peer-detection\n");
	before = cfg_test_print(tree, NULL, NULL, CFG_FMT_TEXT, 0);
	assert_int_equal(lyd_validate_all(&tree, NULL, LYD_VALIDATE_PRESENT, NULL), LY_SUCCESS);
	after = cfg_test_print(tree, NULL, NULL, CFG_FMT_TEXT, 0);
	assert_string_equal(before, after);
	assert_null(strstr(after, "nat-keepalive"));
	free(after);
	after = cfg_test_print(tree, NULL, NULL, CFG_FMT_SET, 0);
	assert_null(strstr(after, "interval"));
	free(after);
	after = cfg_test_print(tree, NULL, NULL, CFG_FMT_JSON, 0);
	assert_null(strstr(after, "nat-keepalive"));
	free(after);
	/* A default that is set explicitly is printed, and a validated tree
	 * still takes edits. */
	cfg_test_edit(&tree, NULL, "set security ike gateway g nat-keepalive 20");
	cfg_test_expect_print(
	    tree, "security ike gateway g nat-keepalive", CFG_FMT_TEXT, 0, "nat-keepalive 20;\n");
	cfg_test_edit(&tree, NULL, "delete security ike gateway g dead-peer-detection interval");
	{
		struct cfg_result res;
		struct cfg_errpos pos;
		struct errbuf err = { .msg = "" };
		const char *l = "delete security ike gateway g dead-peer-detection interval";

		cfg_result_init(&res);
		errbuf_clear(&err);
		assert_int_equal(
		    cfg_edit_lines(cfg_test_schema, &tree, NULL, l, strlen(l), 0, &res, &pos, &err),
		    0);
		assert_int_equal(res.nwarn, 1); /* a default is not configured */
		cfg_result_fini(&res);
	}
	free(before);
	lyd_free_all(tree);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_path_errors),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_json_xml),
		cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
