/* SPDX-License-Identifier: MIT */
/*
 * err: a command-line error as Junos prints it: the offending line, a
 * caret under the column that could not be parsed, then the message.
 *
 *   user@host> shoe
 *              ^
 *   unknown command.
 */
#ifndef CAIRN_CLI_ERR_H
#define CAIRN_CLI_ERR_H

#include <stddef.h>
#include <stdint.h>

#include "cands.h"

enum cli_err_kind {
	CERR_NONE,
	CERR_UNKNOWN_COMMAND, /* unknown command. */
	CERR_EXPECTING,       /* syntax error, expecting <command>. */
	CERR_SYNTAX,          /* syntax error. */
	CERR_MISSING,         /* missing argument. */
	CERR_AMBIGUOUS,       /* 'x' is ambiguous. (and the candidates) */
	CERR_TEXT,            /* text as given (a value error from the schema) */
};

#define CLI_ERR_NOCARET SIZE_MAX

struct cli_err {
	enum cli_err_kind kind;
	size_t off; /* byte offset in the line for the caret, or CLI_ERR_NOCARET */
	char text[1024];
	struct cands amb; /* CERR_AMBIGUOUS: the candidates */
};

void cli_err_init(struct cli_err *e);
void cli_err_fini(struct cli_err *e);
/* Sets the error if none is set; returns -EINVAL. word may be NULL. */
int cli_err_set(struct cli_err *e, enum cli_err_kind kind, size_t off, const char *word);
int cli_err_text(struct cli_err *e, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
