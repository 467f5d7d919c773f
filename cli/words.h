/* SPDX-License-Identifier: MIT */
/*
 * words: splits one command line into words and pipe stages, Junos style.
 *
 * Words are separated by blanks. A double-quoted word may hold blanks;
 * inside quotes \" and \\ escape. An unquoted '|' separates pipe stages
 * (a regex holding '|' must be quoted, as on Junos). Every word keeps its
 * byte span in the line, so errors can put a caret under it.
 */
#ifndef CAIRN_CLI_WORDS_H
#define CAIRN_CLI_WORDS_H

#include <stdbool.h>
#include <stddef.h>

struct cli_word {
	char *s;     /* unquoted text, NUL-terminated (owned by the words) */
	size_t off;  /* byte offset of the word's first character (or quote) */
	size_t end;  /* byte offset just past the word */
	bool quoted; /* was written in double quotes */
};

struct cli_words {
	struct cli_word *w; /* all words of all stages */
	size_t n;
	size_t cap;
	size_t stage[64];    /* index in w of each stage's first word; stage[0] = 0 */
	size_t nstage;       /* 1 + number of '|' */
	size_t pipe_off[64]; /* byte offset of the '|' that opens stage i (i >= 1) */
	bool open_quote;     /* the line ends inside a quoted word (the last word) */
	bool trailing;       /* the line ends in a blank or '|' after the last word */
	size_t len;          /* length of the line */
	const char *line;    /* the line (borrowed: valid while the caller keeps it) */
};

#define CLI_WORDS_MAX_STAGES 64

/* Splits line[0..len). 0, -ENOMEM, -E2BIG (too many stages) or -EINVAL
 * (a NUL byte). On error *out is empty. */
int cli_words_split(const char *line, size_t len, struct cli_words *out);
void cli_words_free(struct cli_words *ws);

/* Words of stage i: *first and count. */
void cli_words_stage(const struct cli_words *ws, size_t i, size_t *first, size_t *count);

/* Display column (UTF-8 code points) of byte offset off in line; an
 * offset past the end counts one column per byte beyond it. */
size_t cli_display_col(const char *line, size_t off);

/* Appends s to dst (a struct buf), quoting it when it holds anything a
 * Junos line parser would split on. */
struct buf;
void cli_word_quote(struct buf *dst, const char *s);

#endif
