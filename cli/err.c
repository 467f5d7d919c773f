/* SPDX-License-Identifier: MIT */
/* err: command-line errors (the printing lives in the shell, cli.c). */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

void
cli_err_init(struct cli_err *e)
{
	memset(e, 0, sizeof(*e));
	e->off = CLI_ERR_NOCARET;
	cands_init(&e->amb);
}

void
cli_err_fini(struct cli_err *e)
{
	cands_free(&e->amb);
	cli_err_init(e);
}

int
cli_err_set(struct cli_err *e, enum cli_err_kind kind, size_t off, const char *word)
{
	if (e->kind != CERR_NONE)
		return -EINVAL;
	e->kind = kind;
	e->off = off;
	switch (kind) {
	case CERR_UNKNOWN_COMMAND:
		snprintf(e->text, sizeof(e->text), "unknown command.");
		break;
	case CERR_EXPECTING:
		snprintf(e->text, sizeof(e->text), "syntax error, expecting <command>.");
		break;
	case CERR_SYNTAX:
		snprintf(e->text, sizeof(e->text), "syntax error.");
		break;
	case CERR_MISSING:
		snprintf(e->text, sizeof(e->text), "missing argument.");
		break;
	case CERR_AMBIGUOUS:
		snprintf(e->text, sizeof(e->text), "'%s' is ambiguous.", word ? word : "");
		break;
	case CERR_TEXT:
	case CERR_NONE:
		snprintf(e->text, sizeof(e->text), "%s", word ? word : "");
		break;
	}
	return -EINVAL;
}

int
cli_err_text(struct cli_err *e, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (e->kind != CERR_NONE)
		return -EINVAL;
	e->kind = CERR_TEXT;
	e->off = off;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	return -EINVAL;
}
