/* SPDX-License-Identifier: MIT */
/* cfg_lex: tokens of Junos configuration text (see cfg_lex.h). */
#include "cfg_lex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "banned.h"

void
cfg_toks_init(struct cfg_toks *tv)
{
	memset(tv, 0, sizeof(*tv));
	buf_init(&tv->text);
}

/* Token texts may hold typed secrets: wipe them. */
static void
toks_wipe(struct cfg_toks *tv)
{
	if (tv->text.p)
		explicit_bzero(tv->text.p, tv->text.len);
}

void
cfg_toks_fini(struct cfg_toks *tv)
{
	toks_wipe(tv);
	free(tv->v);
	buf_free(&tv->text);
	memset(tv, 0, sizeof(*tv));
}

void
cfg_toks_reset(struct cfg_toks *tv)
{
	toks_wipe(tv);
	tv->n = 0;
	tv->base = NULL;
	buf_reset(&tv->text);
}

void
cfg_lex_init(struct cfg_lex *lx, const char *p, size_t len, bool curly)
{
	memset(lx, 0, sizeof(*lx));
	lx->p = p;
	lx->len = len;
	lx->line = 1;
	lx->curly = curly;
}

static int
lex_err(struct cfg_lex *lx, size_t at, struct cfg_errpos *pos, struct errbuf *err, const char *msg)
{
	if (pos) {
		pos->line = lx->line;
		pos->col = (unsigned)(at - lx->line_off);
	}
	return errbuf_set(err, -EINVAL, "%s", msg);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_special(const struct cfg_lex *lx, char c)
{
	if (c == '[' || c == ']' || c == '"')
		return true;
	return lx->curly && (c == '{' || c == '}' || c == ';');
}

static bool
is_ctrl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static struct cfg_tok *
tok_push(struct cfg_toks *tv)
{
	if (tv->n == tv->cap) {
		size_t ncap = tv->cap ? tv->cap * 2 : 32;
		struct cfg_tok *v = realloc(tv->v, ncap * sizeof(*v));

		if (!v)
			return NULL;
		tv->v = v;
		tv->cap = ncap;
	}
	memset(&tv->v[tv->n], 0, sizeof(tv->v[0]));
	return &tv->v[tv->n++];
}

/* Points token s fields into the text buffer: all of them when the
 * buffer moved, else only the last one. */
static void
toks_fixup(struct cfg_toks *tv)
{
	const char *base = buf_str(&tv->text);
	size_t from = base == tv->base ? tv->n - 1 : 0;

	for (size_t i = from; i < tv->n; i++)
		tv->v[i].s = tv->v[i].type == CFG_TOK_WORD ? base + tv->v[i].off : "";
	tv->base = base;
}

/* Drops the token being read after an error; the text buffer may have
 * moved meanwhile, so the earlier tokens are pointed at it again. */
static void
tok_drop(struct cfg_toks *tv)
{
	tv->n--;
	if (tv->n)
		toks_fixup(tv);
}

/* Skips blanks and comments; keeps line accounting. */
static int
skip_blank(struct cfg_lex *lx, struct cfg_errpos *pos, struct errbuf *err)
{
	while (lx->off < lx->len) {
		char c = lx->p[lx->off];

		if (c == '\n') {
			lx->off++;
			lx->line++;
			lx->line_off = lx->off;
		} else if (is_space(c)) {
			lx->off++;
		} else if (lx->curly && c == '#') {
			while (lx->off < lx->len && lx->p[lx->off] != '\n')
				lx->off++;
		} else if (lx->curly && c == '/' && lx->off + 1 < lx->len &&
		           lx->p[lx->off + 1] == '*') {
			size_t start = lx->off;

			lx->off += 2;
			for (;;) {
				if (lx->off + 1 >= lx->len) {
					lx->off = start;
					return lex_err(lx, start, pos, err,
					    "syntax error, unterminated comment.");
				}
				if (lx->p[lx->off] == '*' && lx->p[lx->off + 1] == '/') {
					lx->off += 2;
					break;
				}
				if (lx->p[lx->off] == '\n') {
					lx->line++;
					lx->line_off = lx->off + 1;
				}
				lx->off++;
			}
		} else {
			break;
		}
	}
	return 0;
}

int
cfg_lex_next(struct cfg_lex *lx, struct cfg_toks *tv, struct cfg_errpos *pos, struct errbuf *err)
{
	struct cfg_tok *t;
	size_t start;
	int rc;
	char c;

	if ((rc = skip_blank(lx, pos, err)) != 0)
		return rc;
	if (lx->off >= lx->len)
		return 0;
	if ((t = tok_push(tv)) == NULL)
		return errbuf_set(err, -ENOMEM, "out of memory");
	start = lx->off;
	t->line = lx->line;
	t->col = (unsigned)(start - lx->line_off);
	c = lx->p[lx->off];
	switch (c) {
	case '[':
		t->type = CFG_TOK_LBRACK;
		lx->off++;
		goto punct;
	case ']':
		t->type = CFG_TOK_RBRACK;
		lx->off++;
		goto punct;
	default:
		break;
	}
	if (lx->curly && (c == '{' || c == '}' || c == ';')) {
		t->type = c == '{' ? CFG_TOK_LBRACE : c == '}' ? CFG_TOK_RBRACE : CFG_TOK_SEMI;
		lx->off++;
		goto punct;
	}
	t->type = CFG_TOK_WORD;
	t->off = tv->text.len;
	if (c == '"') {
		t->quoted = true;
		lx->off++;
		for (;;) {
			if (lx->off >= lx->len) {
				tok_drop(tv);
				return lex_err(lx, start, pos, err,
				    "syntax error, unterminated quoted string.");
			}
			c = lx->p[lx->off];
			if (c == '"') {
				lx->off++;
				break;
			}
			if (is_ctrl((unsigned char)c) && c != '\t') {
				tok_drop(tv);
				return lex_err(lx, lx->off, pos, err,
				    "syntax error, control character in a quoted string.");
			}
			if (c == '\\' && lx->off + 1 < lx->len &&
			    (lx->p[lx->off + 1] == '"' || lx->p[lx->off + 1] == '\\')) {
				buf_putc(&tv->text, lx->p[lx->off + 1]);
				lx->off += 2;
				continue;
			}
			buf_putc(&tv->text, c);
			lx->off++;
		}
	} else {
		size_t from = lx->off;

		while (lx->off < lx->len) {
			c = lx->p[lx->off];
			if (is_space(c) || is_special(lx, c))
				break;
			if (is_ctrl((unsigned char)c)) {
				tok_drop(tv);
				return lex_err(
				    lx, lx->off, pos, err, "syntax error, control character.");
			}
			lx->off++;
		}
		buf_append(&tv->text, lx->p + from, lx->off - from);
	}
	t->len = tv->text.len - t->off;
	buf_putc(&tv->text, '\0');
	if (buf_failed(&tv->text)) {
		tok_drop(tv);
		return errbuf_set(err, -ENOMEM, "out of memory");
	}
punct:
	t->end = (unsigned)(lx->off - lx->line_off);
	toks_fixup(tv);
	return 1;
}

int
cfg_lex_line(
    const char *p, size_t len, struct cfg_toks *tv, struct cfg_errpos *pos, struct errbuf *err)
{
	struct cfg_lex lx;
	int rc;

	cfg_lex_init(&lx, p, len, false);
	while ((rc = cfg_lex_next(&lx, tv, pos, err)) > 0)
		;
	return rc;
}

bool
cfg_needs_quotes(const char *v)
{
	if (!v || !*v)
		return true;
	for (const char *p = v; *p; p++) {
		if (is_space(*p) || is_ctrl((unsigned char)*p) || strchr("\"'\\;{}[]#$|&<>()!", *p))
			return true;
		if (p[0] == '/' && p[1] == '*')
			return true;
	}
	return false;
}

void
cfg_put_value(struct buf *b, const char *v)
{
	if (!cfg_needs_quotes(v)) {
		buf_puts(b, v);
		return;
	}
	buf_putc(b, '"');
	for (const char *p = v ? v : ""; *p; p++) {
		/* The lexer keeps a backslash before anything but " and \, so
		 * only those (and a final backslash) need escaping. */
		if (*p == '"' || (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '\0')))
			buf_putc(b, '\\');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}
