/* SPDX-License-Identifier: MIT */
/* Unit tests of cfg_diff: show | compare in Junos's layout. */
#include "cfg_test.h"
#include "cfg_test_full.h"

/* Compares the configuration of `base` lines with `base` + `change`. */
static void
expect_diff(
    const char *base, const char *change, const char *path, unsigned flags, const char *want)
{
	struct lyd_node *a = cfg_test_tree(base), *b = cfg_test_tree(base);
	char *got;

	cfg_test_edit(&b, NULL, change);
	got = cfg_test_compare(a, b, path, flags);
	if (strcmp(got, want) != 0)
		fail_msg("compare gave:\n%s\nexpected:\n%s", got, want);
	free(got);
	lyd_free_all(a);
	lyd_free_all(b);
}

/* A configuration that validates (every reference resolves). */
static const char VALID[] =
    "set security ike proposal ike-prop dh-group group19\n"
    "set security ipsec proposal ipsec-prop encryption-algorithm aes-256-gcm\n"
    "set security ipsec policy ipsec-pol proposals ipsec-prop\n"
    "set security ike policy ike-pol-0 proposals ike-prop\n"
    "set security ike policy ike-pol-0 pre-shared-key ascii-text \"$9$LbHX-wg4Z\"\n"
    "set security ike gateway gw-0 ike-policy ike-pol-0\n"
    "set security ike gateway gw-0 address 198.18.0.1\n"
    "set security ike gateway gw-0 dead-peer-detection\n"
    "set security ipsec vpn vpn-0 bind-interface st0.0\n"
    "set security ipsec vpn vpn-0 ike gateway gw-0\n"
    "set security ipsec vpn vpn-0 ike ipsec-policy ipsec-pol\n"
    "set interfaces st0 unit 0 family inet address 169.254.0.1/30\n"
    "set routing-options static route 10.0.0.0/24 next-hop st0.0\n"
    "set security zones security-zone vpn interfaces st0.0\n";

static void
test_equal(void **state)
{
	struct lyd_node *a = cfg_test_tree(FULL_SET), *b = cfg_test_tree(FULL_SET);
	char *got;

	(void)state;
	got = cfg_test_compare(a, b, NULL, 0);
	assert_string_equal(got, "");
	free(got);
	got = cfg_test_compare(NULL, NULL, NULL, 0);
	assert_string_equal(got, "");
	free(got);
	lyd_free_all(a);
	lyd_free_all(b);
	/* Defaults added by validation are no difference. */
	a = cfg_test_tree(VALID);
	b = cfg_test_tree(VALID);
	assert_int_equal(lyd_validate_all(&b, NULL, LYD_VALIDATE_PRESENT, NULL), LY_SUCCESS);
	got = cfg_test_compare(a, b, NULL, 0);
	assert_string_equal(got, "");
	free(got);
	lyd_free_all(a);
	lyd_free_all(b);
}

static void
test_leaf_changes(void **state)
{
	(void)state;
	expect_diff("set system host-name r1\n"
	            "set security ike gateway g address 192.0.2.1\n"
	            "set security ike gateway g version v2-only\n",
	    "set system host-name r2\n"
	    "delete security ike gateway g version\n"
	    "set security ike gateway g no-nat-traversal\n",
	    NULL, 0,
	    "[edit system]\n"
	    "-   host-name r1;\n"
	    "+   host-name r2;\n"
	    "[edit security ike gateway g]\n"
	    "+   no-nat-traversal;\n"
	    "-   version v2-only;\n");
}

static void
test_leaflist(void **state)
{
	(void)state;
	expect_diff("set security ike gateway g address [ 192.0.2.1 192.0.2.2 ]\n",
	    "set security ike gateway g address 192.0.2.3\n", NULL, 0,
	    "[edit security ike gateway g]\n"
	    "-   address [ 192.0.2.1 192.0.2.2 ];\n"
	    "+   address [ 192.0.2.1 192.0.2.2 192.0.2.3 ];\n");
	/* Order matters for ordered-by-user leaf-lists. */
	expect_diff("set security ike policy p proposals [ a b ]\n",
	    "insert security ike policy p proposals b before a\n", NULL, 0,
	    "[edit security ike policy p]\n"
	    "-   proposals [ a b ];\n"
	    "+   proposals [ b a ];\n");
}

static void
test_sections(void **state)
{
	(void)state;
	/* New top-level section under [edit]; new entry under its list's
	 * parent; removed entry; nested change; repeated header. */
	expect_diff("set security ike gateway a address 192.0.2.1\n"
	            "set security ike gateway b address 192.0.2.2\n"
	            "set security ike gateway b dead-peer-detection interval 10\n",
	    "set routing-options static route 10.0.0.0/8 next-hop st0.0\n"
	    "delete security ike gateway a\n"
	    "set security ike gateway b dead-peer-detection interval 20\n"
	    "set security ike gateway c address 192.0.2.3\n"
	    "set security ike gateway c dead-peer-detection\n"
	    "set security ipsec vpn v bind-interface st0.0\n",
	    NULL, 0,
	    "[edit]\n"
	    "+   routing-options {\n"
	    "+       static {\n"
	    "+           route 10.0.0.0/8 next-hop st0.0;\n"
	    "+       }\n"
	    "+   }\n"
	    "[edit security ike]\n"
	    "-   gateway a {\n"
	    "-       address 192.0.2.1;\n"
	    "-   }\n"
	    "[edit security ike gateway b dead-peer-detection]\n"
	    "-   interval 10;\n"
	    "+   interval 20;\n"
	    "[edit security ike]\n"
	    "+   gateway c {\n"
	    "+       address 192.0.2.3;\n"
	    "+       dead-peer-detection;\n"
	    "+   }\n"
	    "[edit security]\n"
	    "+   ipsec {\n"
	    "+       vpn v {\n"
	    "+           bind-interface st0.0;\n"
	    "+       }\n"
	    "+   }\n");
}

static void
test_layouts(void **state)
{
	(void)state;
	/* Grouped lists: entries by key under the list keyword; joined
	 * lists: one line per zone pair; flat-key lists. */
	expect_diff("set security zones security-zone z interfaces st0.0\n"
	            "set security policies from-zone a to-zone b policy p then deny\n"
	            "set interfaces st0 unit 0 family inet address 10.0.0.1/30\n",
	    "set security zones security-zone z interfaces st0.1 host-inbound-traffic "
	    "system-services ike\n"
	    "set security zones security-zone z interfaces st0.0 host-inbound-traffic "
	    "system-services ping\n"
	    "set security policies from-zone a to-zone b policy p then reject\n"
	    "set security policies from-zone a to-zone c policy q then deny\n"
	    "set interfaces st0 unit 1 family inet address 10.0.0.5/30\n"
	    "set interfaces ge-0/0/1 unit 0 family inet address 192.0.2.1/24\n",
	    NULL, 0,
	    "[edit interfaces st0]\n"
	    "+   unit 1 {\n"
	    "+       family inet {\n"
	    "+           address 10.0.0.5/30;\n"
	    "+       }\n"
	    "+   }\n"
	    "[edit interfaces]\n"
	    "+   ge-0/0/1 {\n"
	    "+       unit 0 {\n"
	    "+           family inet {\n"
	    "+               address 192.0.2.1/24;\n"
	    "+           }\n"
	    "+       }\n"
	    "+   }\n"
	    "[edit security zones security-zone z interfaces st0.0]\n"
	    "+   host-inbound-traffic {\n"
	    "+       system-services {\n"
	    "+           ping;\n"
	    "+       }\n"
	    "+   }\n"
	    "[edit security zones security-zone z interfaces]\n"
	    "+   st0.1 {\n"
	    "+       host-inbound-traffic {\n"
	    "+           system-services {\n"
	    "+               ike;\n"
	    "+           }\n"
	    "+       }\n"
	    "+   }\n"
	    "[edit security policies from-zone a to-zone b policy p then]\n"
	    "-   deny;\n"
	    "+   reject;\n"
	    "[edit security policies]\n"
	    "+   from-zone a to-zone c {\n"
	    "+       policy q {\n"
	    "+           then {\n"
	    "+               deny;\n"
	    "+           }\n"
	    "+       }\n"
	    "+   }\n");
}

/* A joined container (family): its keyword goes with its statements and
 * its headers name the pair, "family inet", as Junos prints them. */
static void
test_joined_container(void **state)
{
	static const char base[] = "set interfaces st0 unit 0 family inet address 10.0.0.1/30\n"
	                           "set interfaces st0 unit 1 family inet6\n"
	                           "set interfaces st0 unit 2 family inet mtu 1400\n";
	static const char chg[] = "set interfaces st0 unit 0 family inet address 10.0.0.9/30\n"
	                          "set interfaces st0 unit 0 family inet6 address 2001:db8::1/64\n"
	                          "delete interfaces st0 unit 1 family inet6\n"
	                          "set interfaces st0 unit 1 family inet\n"
	                          "delete interfaces st0 unit 2 family\n";

	(void)state;
	expect_diff(base, chg, NULL, 0,
	    "[edit interfaces st0 unit 0 family inet]\n"
	    "+   address 10.0.0.9/30;\n"
	    "[edit interfaces st0 unit 0]\n"
	    "+   family inet6 {\n"
	    "+       address 2001:db8::1/64;\n"
	    "+   }\n"
	    "[edit interfaces st0 unit 1]\n"
	    "+   family inet;\n"
	    "-   family inet6;\n"
	    "[edit interfaces st0 unit 2]\n"
	    "-   family inet {\n"
	    "-       mtu 1400;\n"
	    "-   }\n");
	/* A path inside the pair keeps the layout. */
	expect_diff(base, chg, "interfaces st0 unit 0 family inet6", 0,
	    "[edit interfaces st0 unit 0]\n"
	    "+   family inet6 {\n"
	    "+       address 2001:db8::1/64;\n"
	    "+   }\n");
	expect_diff(base, chg, "interfaces st0 unit 0 family", 0,
	    "[edit interfaces st0 unit 0 family inet]\n"
	    "+   address 10.0.0.9/30;\n"
	    "[edit interfaces st0 unit 0]\n"
	    "+   family inet6 {\n"
	    "+       address 2001:db8::1/64;\n"
	    "+   }\n");
	expect_diff(base, chg, "interfaces st0 unit 0 family inet address", 0,
	    "[edit interfaces st0 unit 0 family inet]\n"
	    "+   address 10.0.0.9/30;\n");
}

static void
test_moved(void **state)
{
	(void)state;
	expect_diff("set security policies from-zone z to-zone z policy p1 then deny\n"
	            "set security policies from-zone z to-zone z policy p2 then deny\n"
	            "set security policies from-zone z to-zone z policy p3 then deny\n",
	    "insert security policies from-zone z to-zone z policy p3 before policy p1\n", NULL, 0,
	    "[edit security policies from-zone z to-zone z]\n"
	    "-   policy p3 {\n"
	    "-       then {\n"
	    "-           deny;\n"
	    "-       }\n"
	    "-   }\n"
	    "+   policy p3 {\n"
	    "+       then {\n"
	    "+           deny;\n"
	    "+       }\n"
	    "+   }\n");
}

static void
test_secrets_and_path(void **state)
{
	static const char *base = "set security ike policy p pre-shared-key ascii-text "
	                          "\"$9$LbHX-wg4Z\"\n"
	                          "set security ike gateway g address 192.0.2.1\n"
	                          "set system host-name r1\n";
	static const char *chg = "set security ike policy p pre-shared-key ascii-text "
	                         "\"$9$FNkC3/t1IcevLuOWx\"\n"
	                         "set security ike gateway g address 192.0.2.2\n"
	                         "set system host-name r2\n";

	(void)state;
	expect_diff(base, chg, "security ike policy", 0,
	    "[edit security ike policy p pre-shared-key]\n"
	    "-   ascii-text \"$9$LbHX-wg4Z\"; ## SECRET-DATA\n"
	    "+   ascii-text \"$9$FNkC3/t1IcevLuOWx\"; ## SECRET-DATA\n");
	expect_diff(base, chg, "security ike policy p", CFG_PRINT_MASK_SECRETS,
	    "[edit security ike policy p pre-shared-key]\n"
	    "-   ascii-text /* SECRET-DATA */;\n"
	    "+   ascii-text /* SECRET-DATA */;\n");
	expect_diff(base, chg, "system host-name", 0,
	    "[edit system]\n"
	    "-   host-name r1;\n"
	    "+   host-name r2;\n");
	expect_diff(base, "set security ike gateway h address 192.0.2.9\n",
	    "security ike gateway h", 0,
	    "[edit security ike]\n"
	    "+   gateway h {\n"
	    "+       address 192.0.2.9;\n"
	    "+   }\n");
	expect_diff(base, chg, "security ike gateway g", 0,
	    "[edit security ike gateway g]\n"
	    "-   address 192.0.2.1;\n"
	    "+   address [ 192.0.2.1 192.0.2.2 ];\n");
	expect_diff(base, chg, "interfaces", 0, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_leaf_changes),
		cmocka_unit_test(test_leaflist),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_joined_container),
		cmocka_unit_test(test_moved),
		cmocka_unit_test(test_secrets_and_path),
	};

	return cmocka_run_group_tests(tests, cfg_test_setup, cfg_test_teardown);
}
