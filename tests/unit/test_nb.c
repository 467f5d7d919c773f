/* SPDX-License-Identifier: MIT */
/*
 * nb: the compact mode (nb_cfg.compact) against the plain one. Two
 * engines with the same callback table get the same random sequence of
 * configurations (tests/tools/cfgrand), some as `commit check`; every
 * callback they get is recorded with its node printed (defaults
 * included; a destroy's node is the old one), and the two records must
 * be the same, transaction by transaction. Between transactions the
 * compact engine keeps only its serialised copy; below its size
 * threshold (compact_min) it keeps the tree.
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
#include "nb.h"
#include "nbtable.h"
#include "vpngen.h"

static struct ly_ctx *ctx;

struct rec {
	struct nb *nb;
	struct buf log;
	unsigned calls, running_missing;
};

static struct rec R[2]; /* 0: plain, 1: compact */

static int
cb(struct nb_args *a)
{
	struct rec *r = a->arg;
	char *path = lyd_path(a->dnode, LYD_PATH_STD, NULL, 0);
	char *text = NULL;

	r->calls++;
	if (!nb_running(r->nb))
		r->running_missing++;
	if (lyd_print_mem(&text, a->dnode, LYD_JSON, LYD_PRINT_SHRINK | LYD_PRINT_WD_ALL_TAG) !=
	    LY_SUCCESS)
		text = NULL;
	buf_printf(&r->log, "%s %s %s %s\n", nb_phase_name(a->phase), nb_event_name(a->event),
	    path ? path : "?", text ? text : "?");
	free(path);
	free(text);
	return 0;
}

static void
end(void *arg, bool applied)
{
	struct rec *r = arg;

	if (!nb_running(r->nb))
		r->running_missing++;
	buf_printf(&r->log, "END %s\n", applied ? "applied" : "aborted");
}

static struct nb_cfg cfgs[2];

static int
setup(void **state)
{
	struct errbuf err = { .msg = "" };
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		memset(&R[i], 0, sizeof(R[i]));
		cfgs[i] = (struct nb_cfg){ .name = i ? "compact" : "plain",
			.subtrees = nbtable_subtrees,
			.nodes = nbtable_nodes(cb),
			.arg = &R[i],
			.end = end,
			.compact = i == 1 };
		errbuf_clear(&err);
		R[i].nb = nb_new(NULL, ctx, &cfgs[i], &err);
		if (!R[i].nb)
			fail_msg("nb_new: %s", err.msg);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		nb_free(R[i].nb);
		buf_free(&R[i].log);
	}
	return 0;
}

static char *
json_of(const struct lyd_node *t)
{
	char *j = NULL;

	if (t)
		assert_int_equal(
		    lyd_print_mem(&j, t, LYD_JSON, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK),
		    LY_SUCCESS);
	return j;
}

/* One transaction on both engines; their records must match. */
static void
both(const char *json, bool check, unsigned step)
{
	int rc[2];

	for (int i = 0; i < 2; i++) {
		buf_reset(&R[i].log);
		rc[i] = nb_test_commit(R[i].nb, json, check, NULL);
	}
	assert_int_equal(rc[0], rc[1]);
	if (strcmp(buf_str(&R[0].log), buf_str(&R[1].log)) != 0)
		fail_msg("step %u: the callbacks differ\nplain:\n%s\ncompact:\n%s", step,
		    buf_str(&R[0].log), buf_str(&R[1].log));
	/* between transactions: the compact engine holds its LYB only */
	assert_null(nb_running(R[1].nb));
	assert_true(nb_parked_size(R[1].nb) > 0);
	assert_non_null(nb_running(R[0].nb));
	assert_int_equal(nb_parked_size(R[0].nb), 0);
}

/* Both copies the same configuration, defaults and their flags included. */
static void
same_copies(void)
{
	struct lyd_node *a = nb_running_dup(R[0].nb), *b = nb_running_dup(R[1].nb);

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(
	    lyd_compare_siblings(a, b, LYD_COMPARE_FULL_RECURSION | LYD_COMPARE_DEFAULTS),
	    LY_SUCCESS);
	lyd_free_all(a);
	lyd_free_all(b);
}

/* *dst becomes a copy of src (NULL: empty). */
static void
replace_with_copy(struct lyd_node **dst, const struct lyd_node *src)
{
	lyd_free_all(*dst);
	*dst = NULL;
	if (src)
		assert_int_equal(lyd_dup_siblings(src, NULL, LYD_DUP_RECURSIVE, dst), LY_SUCCESS);
}

static void
test_random_sequence(void **state)
{
	struct cfgrand r;
	struct lyd_node *tree = NULL, *applied = NULL;
	struct buf b = BUF_INIT;
	unsigned step;

	(void)state;
	vpngen_json(&b, 6);
	assert_int_equal(lyd_parse_data_mem(ctx, buf_str(&b), LYD_JSON,
	                     LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, 0, &tree),
	    LY_SUCCESS);
	buf_free(&b);
	cfgrand_init(&r, 20261127, 6);
	for (step = 0; step < 120; step++) {
		char **paths = NULL;
		size_t npaths = 0;
		bool check = step % 7 == 3;
		char *json;

		if (step) {
			/* one to three edits; a check leaves running as it was */
			unsigned k = 1 + cfgrand_u32(&r) % 3;

			while (k--)
				cfgrand_edit(&r, &tree, &paths, &npaths);
			cfgrand_free_paths(paths, npaths);
		}
		json = json_of(tree);
		both(json ? json : "", check, step);
		free(json);
		same_copies();
		if (check)
			replace_with_copy(&tree, applied); /* back to what was applied */
		else
			replace_with_copy(&applied, tree);
	}
	/* and everything deleted */
	both("", false, step);
	same_copies();
	assert_true(R[1].calls > 100);
	assert_int_equal(R[0].calls, R[1].calls);
	assert_int_equal(R[1].running_missing, 0);
	lyd_free_all(tree);
	lyd_free_all(applied);
}

/* Below compact_min the compact engine keeps its tree. */
static void
test_small_stays_tree(void **state)
{
	struct nb_cfg cfg = { .name = "small",
		.subtrees = nbtable_subtrees,
		.nodes = nbtable_nodes(cb),
		.arg = &R[1],
		.end = end,
		.compact = true,
		.compact_min = 1u << 20 };
	struct errbuf err = { .msg = "" };
	struct buf b = BUF_INIT;
	struct nb *nb;

	(void)state;
	errbuf_clear(&err);
	nb = nb_new(NULL, ctx, &cfg, &err);
	assert_non_null(nb);
	R[1].nb = nb;
	vpngen_json(&b, 6);
	assert_int_equal(nb_test_commit(nb, buf_str(&b), false, NULL), 0);
	assert_int_equal(nb_parked_size(nb), 0);
	assert_non_null(nb_running(nb));
	buf_free(&b);
	nb_free(nb);
	R[1].nb = NULL;
	buf_free(&R[1].log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_sequence, setup, teardown),
		cmocka_unit_test(test_small_stays_tree),
	};
	int rc;

	ctx = cfgrand_ctx();
	if (!ctx)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ly_ctx_destroy(ctx);
	return rc;
}
