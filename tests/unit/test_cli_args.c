/* SPDX-License-Identifier: MIT */
/* Unit tests of the argument grammar and completion lists (cli/args.c,
 * cli/cands.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "args.h"
#include "buf.h"
#include "cands.h"

static const struct arg_spec commit_args[] = {
	{ .kind = ARG_FLAG, .name = "check", .help = "Check only", .group = 1 },
	{ .kind = ARG_KEYVAL,
	    .name = "confirmed",
	    .help = "Roll back unless confirmed",
	    .type = ARGT_UINT,
	    .value_name = "minutes",
	    .value_help = "Minutes",
	    .min = 1,
	    .max = 65535,
	    .optional_value = true },
	{ .kind = ARG_KEYVAL,
	    .name = "comment",
	    .help = "Message",
	    .type = ARGT_STRING,
	    .value_name = "comment-string",
	    .value_help = "Message" },
	{ .kind = ARG_FLAG, .name = "and-quit", .help = "Quit", .group = 1 },
};

static const struct arg_choice actions[] = {
	{ "merge", "Merge" },
	{ "override", "Override" },
	{ "set", "Set" },
	{ NULL, NULL },
};
static const struct arg_choice sources[] = { { "terminal", "Use login terminal" }, { NULL, NULL } };
static const struct arg_spec load_args[] = {
	{ .kind = ARG_POS,
	    .name = "action",
	    .type = ARGT_CHOICE,
	    .choices = actions,
	    .required = true },
	{ .kind = ARG_POS,
	    .name = "filename",
	    .help = "File",
	    .type = ARGT_CHOICE,
	    .choices = sources,
	    .choices_open = true,
	    .required = true },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int
parse(const struct arg_spec *spec, size_t n, const char *line, struct cli_words *ws,
    struct arg_vals *v, struct cli_err *err)
{
	assert_int_equal(cli_words_split(line, strlen(line), ws), 0);
	cli_err_init(err);
	return args_parse(spec, n, ARGS_CTX_CONFIG, ws, 1, ws->n - 1, v, err);
}

static void
test_parse_ok(void **state)
{
	struct cli_words ws;
	struct arg_vals v;
	struct cli_err err;

	(void)state;
	assert_int_equal(
	    parse(commit_args, N(commit_args), "commit confirmed 5 comment \"a b\"", &ws, &v, &err),
	    0);
	assert_null(v.v[0]);
	assert_string_equal(v.v[1], "5");
	assert_string_equal(v.v[2], "a b");
	cli_words_free(&ws);
	cli_err_fini(&err);

	/* optional value left out; abbreviation */
	assert_int_equal(parse(commit_args, N(commit_args), "commit conf and", &ws, &v, &err), 0);
	assert_string_equal(v.v[1], "");
	assert_string_equal(v.v[3], "");
	cli_words_free(&ws);
	cli_err_fini(&err);

	assert_int_equal(parse(load_args, N(load_args), "load m term", &ws, &v, &err), 0);
	assert_string_equal(v.v[0], "merge");
	assert_string_equal(v.v[1], "terminal");
	cli_words_free(&ws);
	cli_err_fini(&err);

	assert_int_equal(parse(load_args, N(load_args), "load set /tmp/x.conf", &ws, &v, &err), 0);
	assert_string_equal(v.v[1], "/tmp/x.conf");
	cli_words_free(&ws);
	cli_err_fini(&err);
}

static void
test_parse_errors(void **state)
{
	struct cli_words ws;
	struct arg_vals v;
	struct cli_err err;

	(void)state;
	/* group: check and and-quit exclude each other */
	assert_int_equal(
	    parse(commit_args, N(commit_args), "commit check and-quit", &ws, &v, &err), -EINVAL);
	assert_int_equal(err.kind, CERR_SYNTAX);
	assert_int_equal(err.off, 13);
	cli_words_free(&ws);
	cli_err_fini(&err);

	assert_int_equal(
	    parse(commit_args, N(commit_args), "commit comment", &ws, &v, &err), -EINVAL);
	assert_int_equal(err.kind, CERR_MISSING);
	assert_string_equal(err.text, "missing argument.");
	assert_int_equal(err.off, 15);
	cli_words_free(&ws);
	cli_err_fini(&err);

	assert_int_equal(parse(commit_args, N(commit_args), "commit c", &ws, &v, &err), -EINVAL);
	assert_int_equal(err.kind, CERR_AMBIGUOUS);
	assert_string_equal(err.text, "'c' is ambiguous.");
	assert_int_equal(err.amb.n, 3);
	cli_words_free(&ws);
	cli_err_fini(&err);

	assert_int_equal(
	    parse(commit_args, N(commit_args), "commit confirmed 0", &ws, &v, &err), -EINVAL);
	assert_string_equal(err.text, "Value 0 is not within range (1..65535) at '0'");
	assert_int_equal(err.off, 17);
	cli_words_free(&ws);
	cli_err_fini(&err);

	assert_int_equal(parse(load_args, N(load_args), "load merge", &ws, &v, &err), -EINVAL);
	assert_int_equal(err.kind, CERR_MISSING);
	cli_words_free(&ws);
	cli_err_fini(&err);

	assert_int_equal(
	    parse(load_args, N(load_args), "load frob terminal", &ws, &v, &err), -EINVAL);
	assert_int_equal(err.kind, CERR_SYNTAX);
	assert_int_equal(err.off, 5);
	cli_words_free(&ws);
	cli_err_fini(&err);
}

static void
test_complete(void **state)
{
	struct cli_words ws;
	struct cands cs;
	struct cli_err err;
	struct buf b = BUF_INIT;

	(void)state;
	cli_err_init(&err);
	cands_init(&cs);
	assert_int_equal(cli_words_split("commit check ", 13, &ws), 0);
	assert_true(args_complete(
	    commit_args, N(commit_args), ARGS_CTX_CONFIG, &ws, 1, 1, true, &cs, &err));
	cands_sort(&cs);
	cands_render(&cs, &b);
	assert_string_equal(buf_str(&b), "Possible completions:\n"
	                                 "  <[Enter]>            Execute this command\n"
	                                 "  comment              Message\n"
	                                 "  confirmed            Roll back unless confirmed\n");
	cands_free(&cs);
	cli_words_free(&ws);
	buf_reset(&b);

	/* after a keyword expecting a value: the value only */
	cands_init(&cs);
	assert_int_equal(cli_words_split("commit comment ", 15, &ws), 0);
	assert_true(args_complete(
	    commit_args, N(commit_args), ARGS_CTX_CONFIG, &ws, 1, 1, true, &cs, &err));
	cands_render(&cs, &b);
	assert_string_equal(buf_str(&b), "Possible completions:\n  <comment-string>     Message\n");
	cands_free(&cs);
	cli_words_free(&ws);
	buf_free(&b);
	cli_err_fini(&err);
}

static void
test_cands(void **state)
{
	struct cands cs;
	struct buf b = BUF_INIT;
	const struct cand *hit;
	bool amb;
	size_t n;
	char *common;

	(void)state;
	cands_init(&cs);
	cands_add(&cs, CAND_CONTAINER, "ike", "IKE configuration");
	cands_add(&cs, CAND_PIPE, "|", "Pipe through a command");
	cands_add(&cs, CAND_VALUE, "gw2", "Gateway");
	cands_add(&cs, CAND_VALUE, "gw1", "Gateway");
	cands_add(&cs, CAND_LEAFLIST, "address", "Addresses of peer");
	cands_add(&cs, CAND_OPENSET, "[", "Open a set of values");
	cands_add(&cs, CAND_PLACEHOLDER, "<name>", "Label");
	cands_add(&cs, CAND_ENTER, "<[Enter]>", "Execute this command");
	cands_add(&cs, CAND_KEYWORD, "a-very-long-keyword-name", "Long");
	cands_add(&cs, CAND_KEYWORD, "ike", "duplicate of another kind is kept");
	cands_add(&cs, CAND_CONTAINER, "ike", "same kind: dropped");
	cands_sort(&cs);
	cands_render(&cs, &b);
	assert_string_equal(buf_str(&b),
	    "Possible completions:\n"
	    "  <[Enter]>            Execute this command\n"
	    "  <name>               Label\n"
	    "  gw2                  Gateway\n"
	    "  gw1                  Gateway\n"
	    "  [                    Open a set of values\n"
	    "  a-very-long-keyword-name  Long\n"
	    "+ address              Addresses of peer\n"
	    "> ike                  IKE configuration\n"
	    "  ike                  duplicate of another kind is kept\n"
	    "  |                    Pipe through a command\n");
	hit = cands_match_keyword(&cs, "add", &amb);
	assert_non_null(hit);
	assert_string_equal(hit->tok, "address");
	assert_null(cands_match_keyword(&cs, "a", &amb));
	assert_true(amb);
	assert_null(cands_match_keyword(&cs, "gw1", &amb)); /* values are not keywords */
	common = cands_common_prefix(&cs, "g", &n);
	assert_int_equal(n, 2);
	assert_string_equal(common, "gw");
	free(common);
	cands_filter(&cs, "gw");
	assert_int_equal(cs.n, 3); /* <name>, gw2, gw1 */
	cands_free(&cs);

	/* help is the description's first sentence */
	buf_reset(&b);
	cands_init(&cs);
	cands_add(&cs, CAND_KEYWORD, "version", "Negotiate IKE v1 or v2. Cairn speaks IKEv2 only.");
	cands_add(&cs, CAND_KEYWORD, "password", "Encrypted (crypt(3), e.g. $6$...).");
	cands_render(&cs, &b);
	assert_string_equal(buf_str(&b),
	    "Possible completions:\n"
	    "  version              Negotiate IKE v1 or v2\n"
	    "  password             Encrypted (crypt(3), e.g. $6$...)\n");
	cands_free(&cs);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_cands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
