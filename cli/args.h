/* SPDX-License-Identifier: MIT */
/*
 * args: the argument grammar of a command once its command words are
 * known: flags ("and-quit"), keywords with a value ("comment TEXT",
 * "index N") in any order, and positional values ("rollback 3",
 * "load merge terminal"). One engine answers `?`, TAB and execution for
 * operational commands, configuration-mode commands and pipes alike, so
 * help and parsing can never disagree.
 */
#ifndef CAIRN_CLI_ARGS_H
#define CAIRN_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cands.h"
#include "err.h"
#include "words.h"

enum arg_kind {
	ARG_FLAG,   /* a keyword alone */
	ARG_KEYVAL, /* a keyword followed by a value */
	ARG_POS,    /* a value in its place */
};

enum arg_type {
	ARGT_STRING, /* any word */
	ARGT_UINT,   /* decimal in [min, max] */
	ARGT_CHOICE, /* one of choices[] (abbreviations accepted) */
	ARGT_REGEX,  /* a POSIX extended regular expression */
};

struct arg_choice {
	const char *name;
	const char *help;
};

struct arg_spec {
	enum arg_kind kind;
	const char *name;                 /* keyword; for ARG_POS the placeholder ("number") */
	const char *help;                 /* help of the keyword (or of the placeholder) */
	enum arg_type type;               /* type of the value (KEYVAL, POS) */
	const char *value_name;           /* KEYVAL: placeholder of the value ("number") */
	const char *value_help;           /* KEYVAL: help of the value */
	const struct arg_choice *choices; /* ARGT_CHOICE, ends with {NULL} */
	bool choices_open;                /* ARGT_CHOICE: other words accepted too (a file name) */
	uint64_t min, max;                /* ARGT_UINT */
	unsigned group;                   /* nonzero: at most one of the group */
	bool required;
	bool optional_value; /* KEYVAL: the value may be left out ("last", "confirmed") */
};

#define ARGS_MAX 32

/* The parsed arguments: per spec index, the value word (or "" for a set
 * flag), NULL when absent; and the word index of each for carets. */
struct arg_vals {
	const char *v[ARGS_MAX];
	size_t at[ARGS_MAX];
};

/* The kind of syntax error to report for a word that fits nowhere:
 * operational mode says "syntax error, expecting <command>.", the
 * configuration grammar "syntax error.". */
enum args_ctx { ARGS_CTX_OP, ARGS_CTX_CONFIG };

/*
 * Parses words [first, first+count) of ws against spec[0..nspec).
 * 0 with vals filled, or -EINVAL with err set (caret and message).
 */
int args_parse(const struct arg_spec *spec, size_t nspec, enum args_ctx ctx,
    const struct cli_words *ws, size_t first, size_t count, struct arg_vals *vals,
    struct cli_err *err);

/*
 * What may follow words [first, first+count) (all complete): adds the
 * candidates to cs. enter: also offer <[Enter]> when the arguments are
 * complete. Returns false when the words already fail to parse (err set).
 */
bool args_complete(const struct arg_spec *spec, size_t nspec, enum args_ctx ctx,
    const struct cli_words *ws, size_t first, size_t count, bool enter, struct cands *cs,
    struct cli_err *err);

/* The value of the arg named name, or NULL. */
const char *args_get(
    const struct arg_spec *spec, size_t nspec, const struct arg_vals *vals, const char *name);

#endif
