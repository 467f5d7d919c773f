/* SPDX-License-Identifier: MIT */
/*
 * xwalk: the values of a plain data path walked directly are those
 * lyd_find_xpath() selects, in the same order, on a VPN configuration
 * changed by random edits; other XPath is refused (-ENOTSUP).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "cfgrand.h"
#include "vpngen.h"
#include "xwalk.h"

static struct ly_ctx *ctx;

static int
collect(void *arg, const char *v)
{
	buf_puts(arg, v);
	buf_putc(arg, '\n');
	return 0;
}

/* What h_complete() answered with lyd_find_xpath(). */
static void
by_xpath(const struct lyd_node *tree, const char *xpath, struct buf *out)
{
	struct ly_set *set = NULL;

	if (lyd_find_xpath(tree, xpath, &set) != LY_SUCCESS)
		fail_msg("xpath %s: %s", xpath, ly_errmsg(ctx));
	for (uint32_t i = 0; i < set->count; i++) {
		const struct lyd_node *n = set->dnodes[i];

		if (n->schema->nodetype & LYD_NODE_TERM)
			collect(out, lyd_get_value(n));
		else if (n->schema->nodetype == LYS_LIST && lyd_child(n))
			collect(out, lyd_get_value(lyd_child(n)));
	}
	ly_set_free(set, NULL);
}

static const char *const paths[] = {
	"/cairn-security:security/ike/gateway/name",
	"/cairn-security:security/ike/gateway",
	"/cairn-security:security/ike/gateway/address",
	"/cairn-security:security/ike/gateway[name='gw-3']/address",
	"/cairn-security:security/ike/gateway[name=\"gw-3\"]/ike-policy",
	"/cairn-security:security/ike/gateway[name='nope']/address",
	"/cairn-security:security/ike/gateway/name[starts-with(.,'gw-1')]",
	"/cairn-security:security/ike/gateway/name[starts-with(.,'')]",
	"/cairn-security:security/ike/policy/name",
	"/cairn-security:security/ike/proposal/name",
	"/cairn-security:security/ipsec/vpn/bind-interface",
	"/cairn-security:security/ipsec/vpn[name='vpn-2']/ike/gateway",
	"/cairn-security:security/zones/security-zone[name='vpn']/interfaces/name",
	"/cairn-security:security/zones/security-zone/name",
	"/cairn-interfaces:interfaces/interface[name='st0']/unit/name",
	"/cairn-interfaces:interfaces/interface[name='st0']/unit[name='5']/name",
	"/cairn-interfaces:interfaces/interface[name='st0']/unit[name='05']/name",
	"/cairn-interfaces:interfaces/interface[name='st0']/unit[name='x']/name",
	"/cairn-interfaces:interfaces/interface/unit/family/inet/address/name",
	"/cairn-routing:routing-options/static/route/next-hop",
	"/cairn-routing:routing-options/static/route/next-hop[starts-with(.,'st0.1')]",
	"/cairn-routing:routing-options/static/route/preference",
	"/cairn-system:system/host-name",
	"/cairn-system:system/login/user/name",
};

static void
test_same_as_xpath(void **state)
{
	struct buf b = BUF_INIT;
	struct lyd_node *tree = NULL;
	struct cfgrand r;
	char **chg = NULL;
	size_t nchg = 0;
	unsigned nonempty = 0;

	(void)state;
	vpngen_json(&b, 12);
	if (lyd_parse_data_mem(ctx, buf_str(&b), LYD_JSON, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE,
	        LYD_VALIDATE_NO_STATE, &tree) != LY_SUCCESS)
		fail_msg("base: %s", ly_errmsg(ctx));
	buf_free(&b);
	cfgrand_init(&r, 77, 12);
	for (int round = 0; round < 60; round++) {
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			struct buf want = BUF_INIT, got = BUF_INIT;
			int rc = xwalk_values(ctx, tree, paths[i], collect, &got);

			assert_int_equal(rc, 0);
			by_xpath(tree, paths[i], &want);
			if (strcmp(buf_str(&want), buf_str(&got)) != 0)
				fail_msg("round %d, %s:\nxpath:\n%s\nxwalk:\n%s", round, paths[i],
				    buf_str(&want), buf_str(&got));
			nonempty += want.len > 0;
			buf_free(&want);
			buf_free(&got);
		}
		cfgrand_edit(&r, &tree, &chg, &nchg);
	}
	cfgrand_free_paths(chg, nchg);
	lyd_free_all(tree);
	assert_true(nonempty > 60 * 10);
}

static void
test_refused(void **state)
{
	static const char *const other[] = {
		"/cairn-security:security/ike/gateway[address]/name",
		"/cairn-security:security/ike/gateway[name!='x']/name",
		"//name",
		"/cairn-security:security/ike/gateway/name | /cairn-system:system/host-name",
		"cairn-security:security/ike",
		"/security/ike/gateway/name",
		"/cairn-security:security/ike/gateway/name[starts-with(.,'a')][1]",
		"/cairn-security:security/ike/gateway[position()=1]/name",
		"/cairn-security:security/ike/nosuch",
		"/cairn-security:security/ike/gateway[address='192.0.2.1']/name",
	};
	struct buf got = BUF_INIT;
	struct lyd_node *tree = NULL;

	(void)state;
	vpngen_json(&got, 2);
	assert_int_equal(lyd_parse_data_mem(ctx, buf_str(&got), LYD_JSON,
	                     LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, LYD_VALIDATE_NO_STATE, &tree),
	    LY_SUCCESS);
	buf_reset(&got);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		if (xwalk_values(ctx, tree, other[i], collect, &got) != -ENOTSUP)
			fail_msg("%s: not refused", other[i]);
		assert_int_equal(got.len, 0);
	}
	/* an empty tree is fine */
	assert_int_equal(
	    xwalk_values(ctx, NULL, "/cairn-security:security/ike/gateway/name", collect, &got), 0);
	assert_int_equal(got.len, 0);
	buf_free(&got);
	lyd_free_all(tree);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_xpath),
		cmocka_unit_test(test_refused),
	};
	int rc;

	ctx = cfgrand_ctx();
	if (!ctx)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ly_ctx_destroy(ctx);
	return rc;
}
