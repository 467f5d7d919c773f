/* SPDX-License-Identifier: MIT */
/*
 * cairn: the Junos-style shell of a Cairn appliance.
 *
 *   cairn                       interactive on a terminal; a script (one
 *                               command per line) when stdin is not one
 *   cairn -c "show configuration"   one command (sshd runs a login shell
 *                               this way for `ssh host CMD`)
 *   --root DIR / CAIRN_ROOT     the instance (DIR/run/cairn/mgd.sock)
 *   --user NAME                 act as login user NAME (root only)
 *
 * Exit status: 0, 1 when a command failed (script and -c), 2 when the
 * session could not start.
 */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ipc_msg.h"
#include "log.h"
#include "optab.h"
#include "term.h"
#include "banned.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: cairn [--root DIR] [--user NAME] [-c COMMAND]\n"
	           "  -c COMMAND   run COMMAND (lines separated by newlines) and exit\n"
	           "  --root DIR   the instance's root (default $CAIRN_ROOT, else /)\n"
	           "  --user NAME  act as login user NAME (root only)\n"
	           "Without -c, commands are read from a terminal (interactive) or,\n"
	           "one per line, from standard input.\n");
}

/* Runs lines from f (script mode): no prompts, no echo. */
static void
run_script(struct cli *c, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	c->script_in = f;
	while (!c->quit && (n = getline(&line, &cap, f)) >= 0) {
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		cli_run_line(c, line);
	}
	free(line);
	c->script_in = NULL;
}

static void
run_string(struct cli *c, const char *cmds)
{
	FILE *f = fmemopen((void *)cmds, strlen(cmds), "r");

	if (!f) {
		cli_failf(c, "error: %s", strerror(errno));
		return;
	}
	run_script(c, f);
	fclose(f);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o = { NULL, NULL };
	const char *cmd = NULL;
	struct errbuf err = { .msg = "" };
	struct cli c;
	bool interactive;
	int ch, status;

	setlocale(LC_CTYPE, "");
	log_init("cairn", false);
	log_set_stderr(false);
	ipc_ly_quiet();
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cmd = optarg;
			break;
		case 'r':
			o.root = optarg;
			break;
		case 'u':
			o.as_user = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	interactive = !cmd && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	errbuf_clear(&err);
	if (cli_open(&c, &o, interactive, &err) < 0 || optab_init(&c) < 0) {
		fprintf(stdout, "%s\n", errbuf_isset(&err) ? err.msg : "error: cannot start");
		cli_close(&c);
		return 2;
	}
	if (cmd)
		run_string(&c, cmd);
	else if (interactive)
		term_run(&c);
	else
		run_script(&c, stdin);
	status = c.failed ? 1 : 0;
	optab_fini(&c);
	cli_close(&c);
	return status;
}
