/* SPDX-License-Identifier: MIT */
/*
 * words: the command-line tokenizer. Reads the line through a bounds-
 * checked cursor (the line is operator input, STYLE.md §4).
 */
#include "words.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rd.h"
#include "banned.h"

static int
push(struct cli_words *ws, struct buf *tok, size_t off, size_t end, bool quoted)
{
	struct cli_word *nw;

	if (buf_failed(tok))
		return -ENOMEM;
	if (ws->n == ws->cap) {
		size_t cap = ws->cap ? ws->cap * 2 : 16;

		nw = realloc(ws->w, cap * sizeof(*nw));
		if (!nw)
			return -ENOMEM;
		ws->w = nw;
		ws->cap = cap;
	}
	nw = &ws->w[ws->n];
	nw->s = strdup(buf_str(tok));
	if (!nw->s)
		return -ENOMEM;
	nw->off = off;
	nw->end = end;
	nw->quoted = quoted;
	ws->n++;
	buf_reset(tok);
	return 0;
}

static bool
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
cli_words_split(const char *line, size_t len, struct cli_words *ws)
{
	struct buf tok = BUF_INIT;
	struct rd r;
	uint8_t c;
	int rc = 0;

	memset(ws, 0, sizeof(*ws));
	ws->nstage = 1;
	ws->len = len;
	ws->line = line;
	rd_init(&r, line, len);
	while (r.left > 0) {
		size_t off = len - r.left;
		bool quoted = false;

		rd_u8(&r, &c);
		if (c == '\0') {
			rc = -EINVAL;
			goto out;
		}
		if (is_blank(c)) {
			ws->trailing = true;
			continue;
		}
		ws->trailing = false;
		if (c == '|') {
			if (ws->nstage == CLI_WORDS_MAX_STAGES) {
				rc = -E2BIG;
				goto out;
			}
			ws->pipe_off[ws->nstage] = off;
			ws->stage[ws->nstage++] = ws->n;
			ws->trailing = true;
			continue;
		}
		/* One word: unquoted runs and quoted runs glued together
		 * ("a"b is the word ab), as a shell would read it. */
		buf_reset(&tok);
		for (;;) {
			if (c == '"') {
				quoted = true;
				for (;;) {
					if (!rd_u8(&r, &c)) {
						ws->open_quote = true;
						break;
					}
					if (c == '\0') {
						rc = -EINVAL;
						goto out;
					}
					if (c == '"')
						break;
					if (c == '\\' && r.left > 0 &&
					    (r.p[0] == '"' || r.p[0] == '\\'))
						rd_u8(&r, &c);
					buf_putc(&tok, (char)c);
				}
			} else {
				buf_putc(&tok, (char)c);
			}
			if (r.left == 0 || is_blank(r.p[0]) || r.p[0] == '|' || ws->open_quote)
				break;
			rd_u8(&r, &c);
			if (c == '\0') {
				rc = -EINVAL;
				goto out;
			}
		}
		if ((rc = push(ws, &tok, off, len - r.left, quoted)) < 0)
			goto out;
	}
out:
	buf_free(&tok);
	if (rc < 0)
		cli_words_free(ws);
	return rc;
}

void
cli_words_free(struct cli_words *ws)
{
	size_t i;

	for (i = 0; i < ws->n; i++)
		free(ws->w[i].s);
	free(ws->w);
	memset(ws, 0, sizeof(*ws));
}

void
cli_words_stage(const struct cli_words *ws, size_t i, size_t *first, size_t *count)
{
	size_t end;

	if (i >= ws->nstage) {
		*first = ws->n;
		*count = 0;
		return;
	}
	end = (i + 1 < ws->nstage) ? ws->stage[i + 1] : ws->n;
	*first = ws->stage[i];
	*count = end - ws->stage[i];
}

size_t
cli_display_col(const char *line, size_t off)
{
	size_t i, col = 0;

	for (i = 0; i < off && line[i]; i++)
		if (((unsigned char)line[i] & 0xc0) != 0x80)
			col++;
	/* past the end: where the next word would go ("missing argument.") */
	return col + (off - i);
}

void
cli_word_quote(struct buf *dst, const char *s)
{
	const char *p;
	bool need = (*s == '\0');

	for (p = s; *p && !need; p++)
		if (is_blank((uint8_t)*p) || strchr("\"\\|;{}#", *p))
			need = true;
	if (!need) {
		buf_puts(dst, s);
		return;
	}
	buf_putc(dst, '"');
	for (p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(dst, '\\');
		buf_putc(dst, *p);
	}
	buf_putc(dst, '"');
}
