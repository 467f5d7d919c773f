/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cli_line: a command line as an operator (or an ssh client) types
 * it, through the shell's schema-free parsers: the tokenizer, the
 * argument grammar (commit's and load's), the pipe parser with every
 * pipe allowed, pipe application, and completion lists.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "buf.h"
#include "cands.h"
#include "pipe.h"
#include "words.h"

static const struct arg_spec specs[] = {
	{ .kind = ARG_FLAG, .name = "check", .help = "", .group = 1 },
	{ .kind = ARG_KEYVAL,
	    .name = "confirmed",
	    .help = "",
	    .type = ARGT_UINT,
	    .value_name = "minutes",
	    .min = 1,
	    .max = 65535,
	    .optional_value = true },
	{ .kind = ARG_KEYVAL,
	    .name = "comment",
	    .help = "",
	    .type = ARGT_STRING,
	    .value_name = "comment-string" },
	{ .kind = ARG_FLAG, .name = "and-quit", .help = "", .group = 1 },
	{ .kind = ARG_POS, .name = "number", .help = "", .type = ARGT_UINT, .min = 0, .max = 49 },
	{ .kind = ARG_KEYVAL,
	    .name = "match",
	    .help = "",
	    .type = ARGT_REGEX,
	    .value_name = "pattern" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_words ws;
	struct cli_err err;
	struct arg_vals vals;
	struct pipes p;
	struct cands cs;
	struct buf out = BUF_INIT;
	size_t first, count, n;
	char *common;
	const char *text = "a\nb b\nmatch me\n";

	if (size > 4096)
		return 0;
	if (cli_words_split((const char *)data, size, &ws) < 0)
		return 0;
	cli_words_stage(&ws, 0, &first, &count);
	cli_err_init(&err);
	if (count > 0)
		args_parse(specs, sizeof(specs) / sizeof(specs[0]), ARGS_CTX_OP, &ws, first + 1,
		    count - 1, &vals, &err);
	cli_err_fini(&err);

	cands_init(&cs);
	if (count > 0)
		args_complete(specs, sizeof(specs) / sizeof(specs[0]), ARGS_CTX_CONFIG, &ws,
		    first + 1, count - 1, true, &cs, &err);
	cli_err_fini(&err);
	if (ws.n) {
		cands_filter(&cs, ws.w[ws.n - 1].s);
		common = cands_common_prefix(&cs, ws.w[ws.n - 1].s, &n);
		free(common);
		cands_match_keyword(&cs, ws.w[0].s, &(bool){ false });
	}
	cands_sort(&cs);
	cands_render(&cs, &out);
	cands_free(&cs);

	if (pipes_parse(&ws, PIPES_DISPLAY_SET | PIPES_DISPLAY_DATA | PIPES_COMPARE, &p, &err) == 0)
		pipes_apply(&p, text, strlen(text), &out);
	pipes_free(&p);
	cli_err_fini(&err);
	if (ws.n)
		cli_display_col((const char *)data, ws.w[ws.n - 1].off);
	buf_free(&out);
	cli_words_free(&ws);
	return 0;
}
