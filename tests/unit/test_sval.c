/* SPDX-License-Identifier: MIT */
/*
 * sval: the incremental validation gives lyd_validate_all()'s verdict,
 * and leaves the same tree (defaults and replaced choice cases
 * included), over many random edits of a VPN configuration, valid and
 * invalid ones. uref: the unit references checked over the change give
 * the verdict of the whole tree's check.
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
#include "sval.h"
#include "uref.h"
#include "vpngen.h"
#include "ydiff.h"

static struct ly_ctx *ctx;
static struct sval *sv;
static struct uref *ur;

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

static struct lyd_node *
valid_base(unsigned n)
{
	struct buf b = BUF_INIT;
	struct lyd_node *t = NULL;

	vpngen_json(&b, n);
	if (lyd_parse_data_mem(ctx, buf_str(&b), LYD_JSON, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE,
	        LYD_VALIDATE_NO_STATE, &t) != LY_SUCCESS)
		fail_msg("base configuration: %s", ly_errmsg(ctx));
	buf_free(&b);
	return t;
}

static void
test_usable(void **state)
{
	(void)state;
	assert_true(sval_usable(sv));
}

static void
test_equivalence(void **state)
{
	unsigned valid = 0, invalid = 0, fallback = 0, autodel = 0, uvalid = 0, uinvalid = 0;
	int round, step, e;

	(void)state;
	for (round = 0; round < 30; round++) {
		struct cfgrand r;
		struct lyd_node *running = valid_base(8);

		assert_int_equal(uref_check_all(ur, running), 0);

		cfgrand_init(&r, 5000 + (uint64_t)round, 8);
		for (step = 0; step < 40; step++) {
			struct lyd_node *cand = dup_all(running), *full, *incr, *diff = NULL,
			                *d2 = NULL;
			char **paths = NULL;
			size_t npaths = 0;
			int rf, ri;

			for (e = 0; e < 1 + (round + step) % 3; e++)
				cfgrand_edit(&r, &cand, &paths, &npaths);
			assert_int_equal(ydiff_paths(running, cand, paths, npaths, &diff), 0);
			full = dup_all(cand);
			incr = dup_all(cand);
			rf = lyd_validate_all(&full, ctx, LYD_VALIDATE_NO_STATE, NULL) == LY_SUCCESS
			         ? 0
			         : -EINVAL;
			ly_err_clean(ctx, NULL);
			ri = sval_validate(sv, &incr, diff);
			if (ri == -ESTALE) {
				/* old case data went: it joins the change, and again */
				char *const *del;
				size_t nd = sval_autodeleted(sv, &del), k;
				for (k = 0; k < nd; k++) {
					char **np = realloc(paths, (npaths + 1) * sizeof(*np));
					assert_non_null(np);
					paths = np;
					paths[npaths++] = strdup(del[k]);
				}
				assert_int_equal(ydiff_paths(running, incr, paths, npaths, &d2), 0);
				ri = sval_validate(sv, &incr, d2);
				autodel++;
			}
			if (ri == -EAGAIN) {
				fallback++;
			} else {
				const char *path, *msg;
				sval_error(sv, &path, &msg);
				if ((rf == 0) != (ri == 0))
					fail_msg(
					    "round %d step %d: full says %s, incremental says %s "
					    "(%s: %s)",
					    round, step, rf ? "invalid" : "valid",
					    ri ? "invalid" : "valid", path ? path : "-",
					    msg ? msg : "-");
				if (rf == 0) {
					struct lyd_node *dd = NULL;
					assert_int_equal(
					    lyd_diff_siblings(incr, full, LYD_DIFF_DEFAULTS, &dd),
					    LY_SUCCESS);
					if (dd) {
						char *s = NULL;
						lyd_print_mem(&s, dd, LYD_JSON,
						    LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK);
						fail_msg("round %d step %d: trees differ: %s",
						    round, step, s);
					}
				}
			}
			ly_err_clean(ctx, NULL);
			if (rf == 0 && ri == 0) {
				/* unit references: the change against the tree */
				int ua = uref_check_all(ur, full);
				int ud = uref_check_diff(ur, incr, d2 ? d2 : diff);

				if ((ua == 0) != (ud == 0)) {
					const char *path, *value, *msg;
					uref_error(ur, &path, &value, &msg);
					fail_msg("round %d step %d: unit references: tree says %s, "
					         "change says %s (%s: %s)",
					    round, step, ua ? "invalid" : "valid",
					    ud ? "invalid" : "valid", path ? path : "-",
					    msg ? msg : "-");
				}
				if (ua) {
					uinvalid++;
					rf = ua; /* not a running configuration */
				} else {
					uvalid++;
				}
			}
			if (rf == 0) {
				valid++;
				lyd_free_all(running);
				running = full;
				full = NULL;
			} else {
				invalid++;
			}
			lyd_free_all(full);
			lyd_free_all(incr);
			lyd_free_all(cand);
			lyd_free_all(diff);
			lyd_free_all(d2);
			cfgrand_free_paths(paths, npaths);
		}
		lyd_free_all(running);
	}
	fprintf(stderr,
	    "sval: %u valid, %u invalid, %u case replacements, %u full fallbacks; unit "
	    "references: %u valid, %u invalid\n",
	    valid, invalid, autodel, fallback, uvalid, uinvalid);
	/* the test means something only if both verdicts were exercised */
	assert_true(valid > 100);
	assert_true(invalid > 100);
	assert_true(fallback < (valid + invalid) / 10);
	assert_true(uvalid > 100);
	assert_true(uinvalid > 50);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usable),
		cmocka_unit_test(test_equivalence),
	};
	int rc;

	ctx = cfgrand_ctx();
	if (!ctx)
		return 1;
	sv = sval_new(ctx);
	ur = uref_new(ctx);
	if (!sv || !ur)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	uref_free(ur);
	sval_free(sv);
	ly_ctx_destroy(ctx);
	return rc;
}
