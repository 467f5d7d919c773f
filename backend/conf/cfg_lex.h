/* SPDX-License-Identifier: MIT */
/*
 * cfg_lex: splits Junos configuration text into tokens: words (bare or
 * "quoted" with \" and \\ escapes), '[' and ']', and in curly text also
 * '{', '}', ';' and comments (# to the end of the line, slash-star ...
 * star-slash). Every token carries its line and column so that errors can
 * point at it. The input is untrusted: every read is bounds-checked
 * against the given length, and control characters are refused.
 */
#ifndef CAIRN_CFG_LEX_H
#define CAIRN_CFG_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "cfg_walk.h"
#include "errbuf.h"

enum cfg_tok_type {
	CFG_TOK_WORD,
	CFG_TOK_LBRACK, /* [ */
	CFG_TOK_RBRACK, /* ] */
	CFG_TOK_LBRACE, /* { (curly only) */
	CFG_TOK_RBRACE, /* } (curly only) */
	CFG_TOK_SEMI,   /* ; (curly only) */
	CFG_TOK_EOF,
};

struct cfg_tok {
	enum cfg_tok_type type;
	bool quoted;
	const char *s; /* word text, unescaped and NUL-terminated (valid until cfg_toks_reset) */
	size_t len;
	unsigned line; /* 1-based */
	unsigned col;  /* 0-based byte offset in its line */
	unsigned end;  /* column just past the token */
	size_t off;    /* internal: offset of s in the text buffer */
};

/* A growing sequence of tokens with their texts. */
struct cfg_toks {
	struct cfg_tok *v;
	size_t n, cap;
	struct buf text;
	const char *base; /* internal: where text was when s fields were set */
};

void cfg_toks_init(struct cfg_toks *tv);
void cfg_toks_fini(struct cfg_toks *tv);
void cfg_toks_reset(struct cfg_toks *tv);

struct cfg_lex {
	const char *p;
	size_t len, off;
	unsigned line;
	size_t line_off; /* offset where the current line starts */
	bool curly;
};

void cfg_lex_init(struct cfg_lex *lx, const char *p, size_t len, bool curly);

/*
 * Reads the next token and appends it to tv (an EOF token is not
 * appended). Returns 1 when a token was read, 0 at the end of input,
 * -EINVAL on a lexical error (err set, pos at the offending character).
 * Token strings are fixed up (t->s set) by the time it returns.
 */
int cfg_lex_next(
    struct cfg_lex *lx, struct cfg_toks *tv, struct cfg_errpos *pos, struct errbuf *err);

/* Tokenizes a whole one-line text (set mode) into tv. 0 or -EINVAL. */
int cfg_lex_line(
    const char *p, size_t len, struct cfg_toks *tv, struct cfg_errpos *pos, struct errbuf *err);

#endif
