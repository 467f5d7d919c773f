/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of `?` help, completion and command-line errors in both
 * modes, over the real YANG schema (no mgd: live values are left out;
 * the integration tests cover them).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg_schema.h"
#include "cli.h"
#include "optab.h"
#include "schema.h"

static struct cli C;

static int
setup(void **state)
{
	struct errbuf err = { .msg = "" };
	const char *dir = getenv("CAIRN_YANG_DIR");

	(void)state;
	memset(&C, 0, sizeof(C));
	errbuf_clear(&err);
	if (!dir || schema_load(dir, &C.schema, &C.ly, &err) < 0) {
		fprintf(stderr, "schema: %s\n", err.msg);
		return -1;
	}
	snprintf(C.user, sizeof(C.user), "admin");
	snprintf(C.host, sizeof(C.host), "cairn");
	C.complete_on_space = true;
	return optab_init(&C);
}

static int
teardown(void **state)
{
	(void)state;
	optab_fini(&C);
	cfg_schema_free(C.schema);
	return 0;
}

/* What `?` shows after line (help list or error), as text. */
static char *
help(const char *line)
{
	struct cands cs;
	struct cli_err err;
	char *partial = NULL, *out = NULL;
	size_t poff, len = 0;
	FILE *f = open_memstream(&out, &len);

	cands_init(&cs);
	cli_err_init(&err);
	C.tty_out = f;
	C.line = line;
	C.interactive = false;
	if (cli_complete(&C, line, strlen(line), &cs, &partial, &poff, &err)) {
		struct buf b = BUF_INIT;

		cands_render(&cs, &b);
		fputs(buf_str(&b), f);
		buf_free(&b);
	} else {
		cli_print_err(&C, &err);
	}
	fclose(f);
	C.line = NULL;
	free(partial);
	cands_free(&cs);
	cli_err_fini(&err);
	return out;
}

static bool
has_line(const char *text, const char *line)
{
	const char *p = strstr(text, line);
	size_t n = strlen(line);

	return p && (p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0');
}

static void
test_op_help(void **state)
{
	char *t;

	(void)state;
	C.mode = CLI_MODE_OP;
	t = help("");
	assert_true(has_line(t, "Possible completions:"));
	assert_true(
	    has_line(t, "  configure            Manipulate software configuration information"));
	assert_true(has_line(t, "  show                 Show system information"));
	free(t);

	t = help("show ");
	assert_true(has_line(t, "  configuration        Show current configuration"));
	assert_true(has_line(t, "  system               Show system information"));
	free(t);

	/* a partial word filters */
	t = help("sh");
	assert_string_equal(
	    t, "Possible completions:\n  show                 Show system information\n");
	free(t);

	/* the configuration path after show configuration comes from the schema */
	t = help("show configuration ");
	assert_true(has_line(t, "  <[Enter]>            Execute this command"));
	assert_true(has_line(t, "> security             Security configuration"));
	assert_true(has_line(t, "  |                    Pipe through a command"));
	free(t);

	t = help("show configuration security ike gateway ");
	assert_true(has_line(t, "  <name>               Label for the remote (peer) gateway"));
	free(t);

	t = help("show configuration | display ");
	assert_true(
	    has_line(t, "  set                  Show 'set' commands that create configuration"));
	free(t);
}

static void
test_op_errors(void **state)
{
	char *t;

	(void)state;
	C.mode = CLI_MODE_OP;
	t = help("shoe ");
	assert_string_equal(t, "shoe \n^\nunknown command.\n");
	free(t);
	t = help("show frob ");
	assert_string_equal(t, "show frob \n     ^\nsyntax error, expecting <command>.\n");
	free(t);
	t = help("s ");
	assert_true(has_line(t, "'s' is ambiguous."));
	assert_true(has_line(
	    t, "  set                  Set CLI properties, date/time, craft interface message"));
	free(t);
	t = help("show configuration securty ");
	assert_string_equal(
	    t, "show configuration securty \n                   ^\nsyntax error.\n");
	free(t);
}

static void
test_config_help(void **state)
{
	char *t;

	(void)state;
	C.mode = CLI_MODE_CONFIG;
	t = help("");
	assert_true(has_line(t, "  commit               Commit current set of changes"));
	assert_true(has_line(t, "  set                  Set a parameter"));
	free(t);

	t = help("set ");
	assert_true(has_line(t, "> security             Security configuration"));
	assert_true(has_line(t, "> interfaces           Interface configuration"));
	free(t);

	/* enum values with their descriptions */
	t = help("set security ike proposal p1 dh-group ");
	assert_true(has_line(t, "  group14              2048-bit MODP (RFC 3526)"));
	free(t);

	/* leaf-lists are '+', open a set of values */
	t = help("set security ike gateway gw1 ");
	assert_true(has_line(t,
	    "+ address              Addresses or hostnames of peer: 1 primary, up to 4 backups"));
	assert_true(has_line(t, "  ike-policy           Name of the IKE policy"));
	free(t);
	t = help("set security ike gateway gw1 address ");
	assert_true(has_line(t, "  [                    Open a set of values"));
	free(t);

	/* commit's own arguments */
	t = help("commit ");
	assert_true(has_line(t, "  <[Enter]>            Execute this command"));
	assert_true(
	    has_line(t, "  and-quit             Quit configuration mode if commit succeeds"));
	free(t);

	/* pipes after show */
	t = help("show | ");
	assert_true(
	    has_line(t, "  compare              Compare configuration changes with prior version"));
	free(t);

	/* relative to the edit path */
	{
		const char *w[] = { "security", "ike" };

		cli_path_append(&C.edit, w, 2);
		t = help("set ");
		assert_true(has_line(t, "> gateway              Define an IKE gateway"));
		free(t);
		cli_path_free(&C.edit);
	}
}

static void
test_config_errors(void **state)
{
	char *t;

	(void)state;
	C.mode = CLI_MODE_CONFIG;
	t = help("set system arrr ");
	assert_string_equal(t, "set system arrr \n           ^\nsyntax error.\n");
	free(t);
	t = help("set s ");
	assert_true(has_line(t, "'s' is ambiguous."));
	free(t);
	t = help("frob ");
	assert_string_equal(t, "frob \n^\nunknown command.\n");
	free(t);
	{
		const char *l = "set security ike gateway gw1 dead-peer-detection interval 300 ";
		char want[512];

		snprintf(want, sizeof(want), "%s\n%*s^\n%s\n", l, 58, "",
		    "Value 300 is not within range (2..60) at '300'");
		t = help(l);
		assert_string_equal(t, want);
	}
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_op_help),
		cmocka_unit_test(test_op_errors),
		cmocka_unit_test(test_config_help),
		cmocka_unit_test(test_config_errors),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, setup, teardown);
}
