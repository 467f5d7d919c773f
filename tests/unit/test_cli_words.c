/* SPDX-License-Identifier: MIT */
/* Unit tests of the shell's tokenizer (cli/words.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "words.h"

static void
split(const char *line, struct cli_words *ws)
{
	assert_int_equal(cli_words_split(line, strlen(line), ws), 0);
}

static void
test_plain_words(void **state)
{
	struct cli_words ws;

	(void)state;
	split("  set security  ike ", &ws);
	assert_int_equal(ws.n, 3);
	assert_string_equal(ws.w[0].s, "set");
	assert_int_equal(ws.w[0].off, 2);
	assert_int_equal(ws.w[0].end, 5);
	assert_string_equal(ws.w[2].s, "ike");
	assert_int_equal(ws.w[2].off, 16);
	assert_true(ws.trailing);
	assert_int_equal(ws.nstage, 1);
	cli_words_free(&ws);

	split("show conf", &ws);
	assert_false(ws.trailing);
	assert_int_equal(ws.w[1].end, strlen("show conf"));
	cli_words_free(&ws);
}

static void
test_quotes(void **state)
{
	struct cli_words ws;

	(void)state;
	split("set system login message \"hello | world\" x", &ws);
	assert_int_equal(ws.n, 6);
	assert_int_equal(ws.nstage, 1); /* the | is quoted */
	assert_string_equal(ws.w[4].s, "hello | world");
	assert_true(ws.w[4].quoted);
	assert_int_equal(ws.w[4].off, 25);
	assert_int_equal(ws.w[4].end, 40);
	cli_words_free(&ws);

	split("a \"q\\\"x\\\\\" b", &ws);
	assert_string_equal(ws.w[1].s, "q\"x\\");
	cli_words_free(&ws);

	split("a\"b c\"d", &ws); /* glued runs make one word */
	assert_int_equal(ws.n, 1);
	assert_string_equal(ws.w[0].s, "ab cd");
	cli_words_free(&ws);

	split("set x \"open", &ws);
	assert_true(ws.open_quote);
	assert_string_equal(ws.w[2].s, "open");
	cli_words_free(&ws);

	split("x \"\"", &ws); /* an empty quoted word is a word */
	assert_int_equal(ws.n, 2);
	assert_string_equal(ws.w[1].s, "");
	cli_words_free(&ws);
}

static void
test_pipes(void **state)
{
	struct cli_words ws;
	size_t first, count;

	(void)state;
	split("show configuration | match \"st0.1|st0.2\" | count", &ws);
	assert_int_equal(ws.nstage, 3);
	cli_words_stage(&ws, 0, &first, &count);
	assert_int_equal(first, 0);
	assert_int_equal(count, 2);
	cli_words_stage(&ws, 1, &first, &count);
	assert_int_equal(count, 2);
	assert_string_equal(ws.w[first + 1].s, "st0.1|st0.2");
	cli_words_stage(&ws, 2, &first, &count);
	assert_int_equal(count, 1);
	assert_int_equal(ws.pipe_off[1], 19);
	cli_words_free(&ws);

	split("show|count", &ws); /* no blanks needed around | */
	assert_int_equal(ws.nstage, 2);
	assert_int_equal(ws.n, 2);
	cli_words_free(&ws);

	split("show |", &ws);
	assert_true(ws.trailing);
	cli_words_stage(&ws, 1, &first, &count);
	assert_int_equal(count, 0);
	cli_words_free(&ws);
}

static void
test_errors(void **state)
{
	struct cli_words ws;
	char line[300];
	const char nul[] = { 'a', '\0', 'b' };

	(void)state;
	assert_int_equal(cli_words_split(nul, sizeof(nul), &ws), -EINVAL);
	assert_int_equal(ws.n, 0);
	memset(line, '|', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(cli_words_split(line, strlen(line), &ws), -E2BIG);
}

static void
test_quote_and_col(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	cli_word_quote(&b, "gw1");
	buf_putc(&b, ' ');
	cli_word_quote(&b, "my gw");
	buf_putc(&b, ' ');
	cli_word_quote(&b, "a\"b");
	buf_putc(&b, ' ');
	cli_word_quote(&b, "");
	assert_string_equal(buf_str(&b), "gw1 \"my gw\" \"a\\\"b\" \"\"");
	buf_free(&b);
	/* display columns count code points, not bytes */
	assert_int_equal(cli_display_col("确认 x", strlen("确认 ")), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_words),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_pipes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_quote_and_col),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
