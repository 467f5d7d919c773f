/* SPDX-License-Identifier: MIT */
/* Unit tests of pipes, the pager and the command history (cli/pipe.c,
 * cli/pager.c, cli/hist.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "hist.h"
#include "pager.h"
#include "pipe.h"

static const char text[] = "ike {\n"
                           "    gateway gw1 {\n"
                           "        address 192.0.2.1;\n"
                           "    }\n"
                           "    gateway GW2 {\n"
                           "        address 192.0.2.2;\n"
                           "    }\n"
                           "}\n";

static int
run(const char *line, unsigned allow, struct pipes *p, struct cli_err *err, struct buf *out)
{
	struct cli_words ws;
	int rc;

	assert_int_equal(cli_words_split(line, strlen(line), &ws), 0);
	cli_err_init(err);
	rc = pipes_parse(&ws, allow, p, err);
	if (rc == 0 && out)
		pipes_apply(p, text, strlen(text), out);
	cli_words_free(&ws);
	return rc;
}

static void
test_filters(void **state)
{
	struct pipes p;
	struct cli_err err;
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(run("show | match gateway", 0, &p, &err, &out), 0);
	/* case does not matter, as on Junos */
	assert_string_equal(buf_str(&out), "    gateway gw1 {\n    gateway GW2 {\n");
	pipes_free(&p);
	buf_reset(&out);

	assert_int_equal(run("show | except \"[{}]\" | count", 0, &p, &err, &out), 0);
	assert_string_equal(buf_str(&out), "Count: 2 lines\n");
	pipes_free(&p);
	buf_reset(&out);

	assert_int_equal(run("show | last 2", 0, &p, &err, &out), 0);
	assert_string_equal(buf_str(&out), "    }\n}\n");
	pipes_free(&p);
	buf_reset(&out);

	assert_int_equal(run("show | find gw2 | match address", 0, &p, &err, &out), 0);
	assert_string_equal(buf_str(&out), "        address 192.0.2.2;\n");
	pipes_free(&p);
	buf_reset(&out);

	assert_int_equal(run("show | no-more | display set", PIPES_DISPLAY_SET, &p, &err, NULL), 0);
	assert_true(p.no_more);
	assert_int_equal(p.display, DISPLAY_SET);
	pipes_free(&p);

	assert_int_equal(run("show | compare rollback 3", PIPES_COMPARE, &p, &err, NULL), 0);
	assert_true(p.compare);
	assert_int_equal(p.compare_rollback, 3);
	pipes_free(&p);
	buf_free(&out);
}

static void
test_errors(void **state)
{
	struct pipes p;
	struct cli_err err;

	(void)state;
	/* display set only where the command prints configuration */
	assert_int_equal(run("show | display set", PIPES_DISPLAY_DATA, &p, &err, NULL), -EINVAL);
	assert_int_equal(err.kind, CERR_SYNTAX);
	assert_int_equal(err.off, 15);
	pipes_free(&p);
	cli_err_fini(&err);

	assert_int_equal(run("show | compare", 0, &p, &err, NULL), -EINVAL);
	assert_int_equal(err.kind, CERR_SYNTAX);
	pipes_free(&p);
	cli_err_fini(&err);

	assert_int_equal(run("show | match", 0, &p, &err, NULL), -EINVAL);
	assert_int_equal(err.kind, CERR_MISSING);
	pipes_free(&p);
	cli_err_fini(&err);

	assert_int_equal(run("show | ", 0, &p, &err, NULL), -EINVAL);
	assert_int_equal(err.kind, CERR_MISSING);
	pipes_free(&p);
	cli_err_fini(&err);

	assert_int_equal(run("show | match \"(\"", 0, &p, &err, NULL), -EINVAL);
	assert_string_equal(err.text, "error: invalid regular expression: '('");
	pipes_free(&p);
	cli_err_fini(&err);

	{
		regex_t re;

		assert_int_equal(pipe_regcomp(&re, "a++"), -EINVAL);
		assert_int_equal(pipe_regcomp(&re, "x{2}*"), -EINVAL);
		assert_int_equal(pipe_regcomp(&re, "st0\\.1+|a\\+\\+"), 0);
		regfree(&re);
	}
	/* "e" is except alone when display is not allowed here */
	assert_int_equal(run("show | e x", 0, &p, &err, NULL), 0);
	assert_int_equal(p.f[0].kind, PIPE_EXCEPT);
	pipes_free(&p);
	cli_err_fini(&err);
	assert_int_equal(run("show | d set", 0, &p, &err, NULL), -EINVAL);
	assert_int_equal(err.kind, CERR_SYNTAX);
	pipes_free(&p);
	cli_err_fini(&err);
}

static void
test_complete(void **state)
{
	struct cli_words ws;
	struct cands cs;
	struct cli_err err;
	size_t i;
	bool has_display = false, has_pipe = false;

	(void)state;
	cli_err_init(&err);
	cands_init(&cs);
	assert_int_equal(cli_words_split("show | ", 7, &ws), 0);
	assert_true(pipes_complete(&ws, 1, 0, PIPES_DISPLAY_SET, &cs, &err));
	for (i = 0; i < cs.n; i++)
		has_display |= strcmp(cs.v[i].tok, "display") == 0;
	assert_true(has_display);
	cands_free(&cs);
	cli_words_free(&ws);

	cands_init(&cs);
	assert_int_equal(cli_words_split("show | count ", 13, &ws), 0);
	assert_true(pipes_complete(&ws, 1, 1, 0, &cs, &err));
	for (i = 0; i < cs.n; i++)
		has_pipe |= cs.v[i].kind == CAND_PIPE;
	assert_true(has_pipe);
	cands_free(&cs);
	cli_words_free(&ws);
	cli_err_fini(&err);
}

static void
test_pager(void **state)
{
	int keys[2];
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;
	struct pager_opts o;
	const char *t = "1\n2\n3\n4\n5\n6\n7\n";

	(void)state;
	/* 4 rows: 3 lines, more, space (next 3), more, q */
	assert_int_equal(pipe(keys), 0);
	assert_int_equal(write(keys[1], " q", 2), 2);
	f = open_memstream(&out, &outlen);
	o = (struct pager_opts){ .rows = 4, .cols = 80, .key_fd = keys[0], .out = f };
	assert_false(pager_write(&o, t, strlen(t)));
	fclose(f);
	assert_string_equal(out,
	    "1\n2\n3\n" PAGER_PROMPT "\r            \r4\n5\n6\n" PAGER_PROMPT "\r            \r");
	free(out);

	/* Enter: one more line; G: the rest */
	assert_int_equal(write(keys[1], "\rG", 2), 2);
	f = open_memstream(&out, &outlen);
	o.out = f;
	assert_true(pager_write(&o, t, strlen(t)));
	fclose(f);
	assert_string_equal(out, "1\n2\n3\n" PAGER_PROMPT "\r            \r4\n" PAGER_PROMPT
	                         "\r            \r5\n6\n7\n");
	free(out);

	/* no paging: everything */
	f = open_memstream(&out, &outlen);
	o.out = f;
	o.rows = 0;
	assert_true(pager_write(&o, t, strlen(t)));
	fclose(f);
	assert_string_equal(out, t);
	free(out);

	/* long lines take several rows: 100 columns on an 80-column screen */
	{
		char longl[2 * 101 + 1];

		memset(longl, 'x', sizeof(longl) - 1);
		longl[100] = '\n';
		longl[201] = '\n';
		longl[202] = '\0';
		assert_int_equal(write(keys[1], "q", 1), 1);
		f = open_memstream(&out, &outlen);
		o.out = f;
		o.rows = 3; /* 2 rows per page: the second line must wait */
		assert_false(pager_write(&o, longl, strlen(longl)));
		fclose(f);
		assert_int_equal(strncmp(out + 101, PAGER_PROMPT, strlen(PAGER_PROMPT)), 0);
		free(out);
	}
	close(keys[0]);
	close(keys[1]);
}

static void
test_history(void **state)
{
	struct cli_hist *h = cli_hist_new(2);
	struct buf b = BUF_INIT;

	(void)state;
	setenv("TZ", "UTC", 1);
	assert_non_null(h);
	assert_int_equal(cli_hist_add(h, "show version", 3600), 0);
	assert_int_equal(cli_hist_add(h, "   ", 3601), 0); /* blank: not kept */
	assert_int_equal(cli_hist_add(h, "configure", 3662), 0);
	assert_int_equal(cli_hist_add(h, "  show cli history", 7322), 0);
	assert_int_equal(cli_hist_count(h), 2); /* the oldest fell out */
	cli_hist_render(h, 0, &b);
	assert_string_equal(buf_str(&b), "01:01:02 -- configure\n02:02:02 -- show cli history\n");
	buf_reset(&b);
	cli_hist_render(h, 1, &b);
	assert_string_equal(buf_str(&b), "02:02:02 -- show cli history\n");
	buf_free(&b);
	cli_hist_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_pager),
		cmocka_unit_test(test_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
