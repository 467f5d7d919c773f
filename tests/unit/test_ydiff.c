/* SPDX-License-Identifier: MIT */
/*
 * ydiff: the hash-walk diff, the touched-paths diff and the
 * default-keeping apply, each checked against libyang's own diff on many
 * random edits of a VPN configuration.
 */
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
#include "ydiff.h"

static struct ly_ctx *ctx;

static struct lyd_node *
parse_json(const char *json, bool validate)
{
	struct lyd_node *t = NULL;

	if (lyd_parse_data_mem(ctx, json, LYD_JSON,
	        LYD_PARSE_STRICT | LYD_PARSE_NO_STATE | (validate ? 0 : LYD_PARSE_ONLY),
	        LYD_VALIDATE_NO_STATE, &t) != LY_SUCCESS) {
		fail_msg("parse: %s", ly_errmsg(ctx));
	}
	return t;
}

static struct lyd_node *
base_tree(unsigned n, bool validate)
{
	struct buf b = BUF_INIT;
	struct lyd_node *t;

	vpngen_json(&b, n);
	t = parse_json(buf_str(&b), validate);
	buf_free(&b);
	return t;
}

static struct lyd_node *
dup_all(const struct lyd_node *t)
{
	struct lyd_node *d = NULL;

	if (t)
		assert_int_equal(
		    lyd_dup_siblings(t, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &d),
		    LY_SUCCESS);
	return d;
}

/* Equal as configurations (libyang's diff finds nothing, order included). */
static bool
same(const struct lyd_node *a, const struct lyd_node *b, int opts)
{
	struct lyd_node *d = NULL;
	bool eq;

	assert_int_equal(lyd_diff_siblings(a, b, opts, &d), LY_SUCCESS);
	eq = d == NULL;
	if (!eq) {
		char *s = NULL;
		lyd_print_mem(&s, d, LYD_JSON, LYD_PRINT_WITHSIBLINGS);
		fprintf(stderr, "remaining difference:\n%s\n", s);
		free(s);
	}
	lyd_free_all(d);
	return eq;
}

static void
check_diff_applies(const struct lyd_node *old, const struct lyd_node *new,
    const struct lyd_node *diff, const char *what, uint64_t seed, int step)
{
	struct lyd_node *t = dup_all(old), *rev = NULL, *t2;

	if (ydiff_apply(&t, diff, false) != 0)
		fail_msg("%s: seed %llu step %d: apply failed: %s", what, (unsigned long long)seed,
		    step, ly_errmsg(ctx));
	if (!same(t, new, 0)) {
		char *s = NULL;
		lyd_print_mem(&s, diff, LYD_JSON, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK);
		fprintf(stderr, "diff: %s\n", s);
		free(s);
		fail_msg("%s: seed %llu step %d: applied diff differs", what,
		    (unsigned long long)seed, step);
	}
	/* and backwards */
	if (ydiff_reverse(diff, &rev) != 0) {
		char *s = NULL;
		lyd_print_mem(&s, diff, LYD_JSON, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK);
		fprintf(stderr, "diff: %s\n", s);
		free(s);
		fail_msg("%s: seed %llu step %d: reverse failed: %s", what,
		    (unsigned long long)seed, step, ly_errmsg(ctx));
	}
	t2 = dup_all(new);
	if (ydiff_apply(&t2, rev, false) != 0)
		fail_msg("%s: seed %llu step %d: reverse apply failed: %s", what,
		    (unsigned long long)seed, step, ly_errmsg(ctx));
	if (!same(t2, old, 0))
		fail_msg("%s: seed %llu step %d: reversed diff differs", what,
		    (unsigned long long)seed, step);
	lyd_free_all(t);
	lyd_free_all(t2);
	lyd_free_all(rev);
}

static void
test_random_diffs(void **state)
{
	uint64_t seed;
	int round, step;

	(void)state;
	for (round = 0; round < 40; round++) {
		struct cfgrand r;
		struct lyd_node *old = base_tree(12, false), *new = dup_all(old);
		char **paths = NULL;
		size_t npaths = 0;
		int nedits = 1 + round % 6;

		seed = 1000 + (uint64_t)round;
		cfgrand_init(&r, seed, 12);
		for (step = 0; step < 25; step++) {
			struct lyd_node *full = NULL, *part = NULL;
			int e;

			for (e = 0; e < nedits; e++)
				cfgrand_edit(&r, &new, &paths, &npaths);
			assert_int_equal(ydiff_full(old, new, &full), 0);
			check_diff_applies(old, new, full, "full", seed, step);
			assert_int_equal(ydiff_paths(old, new, paths, npaths, &part), 0);
			if (getenv("YDIFF_DEBUG"))
				for (size_t k = 0; k < npaths; k++)
					fprintf(stderr, "touched %s\n", paths[k]);
			check_diff_applies(old, new, part, "paths", seed, step);
			lyd_free_all(full);
			lyd_free_all(part);
			/* the next step diffs against this one */
			lyd_free_all(old);
			old = dup_all(new);
			cfgrand_free_paths(paths, npaths);
			paths = NULL;
			npaths = 0;
		}
		lyd_free_all(old);
		lyd_free_all(new);
	}
}

/* Applying a diff to a tree holding implicit defaults leaves what
 * libyang's validation would (default nodes and flags included). */
/* Neighbours deleted together come back in their order (libyang's own
 * reverse keeps the order of the operations and swapped them). */
static void
test_reverse_order(void **state)
{
	static const char *const cases[][2] = {
		{ "[\"A\",\"B\",\"C\",\"D\"]", "[\"A\",\"D\"]" },
		{ "[\"A\",\"B\",\"C\",\"D\"]", "[\"D\"]" },
		{ "[\"A\",\"B\",\"C\",\"D\"]", "[\"C\",\"X\",\"A\"]" },
		{ "[\"A\",\"B\"]", "[\"B\",\"Y\",\"A\",\"Z\"]" },
	};
	char json[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lyd_node *old, *new;

		snprintf(json, sizeof(json),
		    "{\"cairn-security:security\":{\"ike\":{\"policy\":[{\"name\":\"p\","
		    "\"proposals\":%s}]}}}",
		    cases[i][0]);
		old = parse_json(json, false);
		snprintf(json, sizeof(json),
		    "{\"cairn-security:security\":{\"ike\":{\"policy\":[{\"name\":\"p\","
		    "\"proposals\":%s}]}}}",
		    cases[i][1]);
		new = parse_json(json, false);
		{
			struct lyd_node *full = NULL;

			assert_int_equal(ydiff_full(old, new, &full), 0);
			check_diff_applies(old, new, full, "order", i, 0);
			lyd_free_all(full);
		}
		lyd_free_all(old);
		lyd_free_all(new);
	}
}

static void
test_apply_defaults(void **state)
{
	int round, step;

	(void)state;
	for (round = 0; round < 20; round++) {
		struct cfgrand r;
		struct lyd_node *old = base_tree(6, false), *new = dup_all(old);
		char **paths = NULL;
		size_t npaths = 0;

		cfgrand_init(&r, 77 + (uint64_t)round, 6);
		for (step = 0; step < 20; step++) {
			struct lyd_node *diff = NULL, *oldd = dup_all(old), *newd;

			cfgrand_edit(&r, &new, &paths, &npaths);
			newd = dup_all(new);
			assert_int_equal(
			    lyd_new_implicit_all(&oldd, ctx, LYD_IMPLICIT_NO_STATE, NULL),
			    LY_SUCCESS);
			assert_int_equal(
			    lyd_new_implicit_all(&newd, ctx, LYD_IMPLICIT_NO_STATE, NULL),
			    LY_SUCCESS);
			assert_int_equal(ydiff_full(oldd, newd, &diff), 0);
			if (ydiff_apply(&oldd, diff, true) != 0) {
				char *s = NULL;
				lyd_print_mem(&s, diff, LYD_JSON, LYD_PRINT_WITHSIBLINGS);
				fprintf(stderr, "diff:\n%s\n", s);
				free(s);
				fail_msg(
				    "round %d step %d: apply: %s", round, step, ly_errmsg(ctx));
			}
			if (!same(oldd, newd, LYD_DIFF_DEFAULTS))
				fail_msg("round %d step %d: defaults differ", round, step);
			lyd_free_all(diff);
			lyd_free_all(oldd);
			lyd_free_all(newd);
			lyd_free_all(old);
			old = dup_all(new);
			cfgrand_free_paths(paths, npaths);
			paths = NULL;
			npaths = 0;
		}
		lyd_free_all(old);
		lyd_free_all(new);
	}
}

static void
test_nothing_changed(void **state)
{
	struct lyd_node *a = base_tree(30, true), *b = base_tree(30, false), *d = NULL;
	char *p = "/cairn-security:security/ipsec/vpn[name='vpn-3']";

	(void)state;
	/* a validated tree (defaults) against a bare one: no explicit change */
	assert_int_equal(ydiff_full(a, b, &d), 0);
	assert_null(d);
	assert_int_equal(ydiff_paths(a, b, &p, 1, &d), 0);
	assert_null(d);
	lyd_free_all(a);
	lyd_free_all(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_changed),
		cmocka_unit_test(test_random_diffs),
		cmocka_unit_test(test_reverse_order),
		cmocka_unit_test(test_apply_defaults),
	};
	int rc;

	ctx = cfgrand_ctx();
	if (!ctx)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ly_ctx_destroy(ctx);
	return rc;
}
