/* SPDX-License-Identifier: MIT */
/*
 * pipe: the `| ...` stages after a command. Text filters (match, except,
 * find, count, last) act on the output lines in order; `display` and
 * `compare` change what the command asks mgd for; `no-more` turns the
 * pager off.
 */
#ifndef CAIRN_CLI_PIPE_H
#define CAIRN_CLI_PIPE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "cands.h"
#include "err.h"
#include "words.h"

struct buf;

enum display_fmt {
	DISPLAY_TEXT,
	DISPLAY_SET,
	DISPLAY_JSON,
	DISPLAY_XML,
};

enum pipe_kind {
	PIPE_MATCH,
	PIPE_EXCEPT,
	PIPE_FIND,
	PIPE_COUNT,
	PIPE_LAST,
};

struct pipe_filter {
	enum pipe_kind kind;
	regex_t re; /* match, except, find */
	unsigned n; /* last */
};

/* Which pipes a command accepts beyond the text filters. */
#define PIPES_DISPLAY_SET  0x1 /* | display set (configuration output) */
#define PIPES_DISPLAY_DATA 0x2 /* | display json|xml */
#define PIPES_COMPARE      0x4 /* | compare [rollback N] (configuration mode show) */

struct pipes {
	struct pipe_filter f[64];
	size_t n;
	enum display_fmt display;
	bool no_more;
	bool compare;
	unsigned compare_rollback; /* | compare rollback N (0 when absent) */
};

void pipes_init(struct pipes *p);
void pipes_free(struct pipes *p);

/* Parses stages 1.. of ws. allow: PIPES_* flags of the command. */
int pipes_parse(const struct cli_words *ws, unsigned allow, struct pipes *p, struct cli_err *err);

/* Candidates for the word after the complete words of the last stage. */
bool pipes_complete(const struct cli_words *ws, size_t stage, size_t count, unsigned allow,
    struct cands *cs, struct cli_err *err);

/*
 * Compiles an operator's pattern (POSIX extended, case-insensitive as on
 * Junos). Refuses stacked repetitions ("a++", "x*{2}"), which mean
 * nothing more than one and make glibc's regcomp blow up, and patterns
 * over 1024 bytes. 0 or -EINVAL.
 */
int pipe_regcomp(regex_t *re, const char *pattern);

/* Applies the text filters to text (lines) and appends the result to out. */
void pipes_apply(const struct pipes *p, const char *text, size_t len, struct buf *out);

#endif
