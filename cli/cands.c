/* SPDX-License-Identifier: MIT */
/* cands: completion candidates, their order and their rendering. */
#include "cands.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "banned.h"

void
cands_init(struct cands *cs)
{
	memset(cs, 0, sizeof(*cs));
}

void
cands_free(struct cands *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++) {
		free(cs->v[i].tok);
		free(cs->v[i].help);
	}
	free(cs->v);
	memset(cs, 0, sizeof(*cs));
}

void
cands_add(struct cands *cs, enum cand_kind kind, const char *tok, const char *help)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		if (cs->v[i].kind == kind && strcmp(cs->v[i].tok, tok) == 0)
			return;
	cands_add_new(cs, kind, tok, help);
}

void
cands_add_new(struct cands *cs, enum cand_kind kind, const char *tok, const char *help)
{
	struct cand *c;

	if (cs->failed)
		return;
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 32;

		c = realloc(cs->v, cap * sizeof(*c));
		if (!c) {
			cs->failed = true;
			return;
		}
		cs->v = c;
		cs->cap = cap;
	}
	c = &cs->v[cs->n];
	c->tok = strdup(tok);
	c->help = strdup(help ? help : "");
	c->kind = kind;
	if (!c->tok || !c->help) {
		free(c->tok);
		free(c->help);
		cs->failed = true;
		return;
	}
	cs->n++;
}

bool
cand_is_word(enum cand_kind kind)
{
	return kind == CAND_VALUE || kind == CAND_OPENSET || cand_is_keyword(kind);
}

bool
cand_is_keyword(enum cand_kind kind)
{
	return kind == CAND_KEYWORD || kind == CAND_CONTAINER || kind == CAND_LEAFLIST;
}

void
cands_filter(struct cands *cs, const char *prefix)
{
	size_t i, j = 0, plen = strlen(prefix);

	for (i = 0; i < cs->n; i++) {
		struct cand *c = &cs->v[i];
		bool keep;

		if (c->kind == CAND_PLACEHOLDER)
			keep = true;
		else if (c->kind == CAND_ENTER || c->kind == CAND_PIPE)
			keep = (plen == 0);
		else
			keep = (strncmp(c->tok, prefix, plen) == 0);
		if (keep) {
			cs->v[j++] = *c;
		} else {
			free(c->tok);
			free(c->help);
		}
	}
	cs->n = j;
}

void
cands_remove_kind(struct cands *cs, enum cand_kind kind)
{
	size_t i, j = 0;

	for (i = 0; i < cs->n; i++) {
		if (cs->v[i].kind == kind) {
			free(cs->v[i].tok);
			free(cs->v[i].help);
		} else {
			cs->v[j++] = cs->v[i];
		}
	}
	cs->n = j;
}

bool
cands_has_kind(const struct cands *cs, enum cand_kind kind)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		if (cs->v[i].kind == kind)
			return true;
	return false;
}

static int
rank(enum cand_kind k)
{
	switch (k) {
	case CAND_ENTER:
		return 0;
	case CAND_PLACEHOLDER:
		return 1;
	case CAND_VALUE:
		return 2;
	case CAND_OPENSET:
		return 3;
	case CAND_KEYWORD:
	case CAND_CONTAINER:
	case CAND_LEAFLIST:
		return 4;
	case CAND_PIPE:
		return 5;
	}
	return 6;
}

static int
cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int rx = rank(x->kind), ry = rank(y->kind);

	if (rx != ry)
		return rx - ry;
	if (rx == 4)
		return strcmp(x->tok, y->tok);
	return 0;
}

void
cands_sort(struct cands *cs)
{
	size_t i;
	struct cand *tmp;

	/* A stable insertion sort: values keep the order they were given
	 * in (document order from mgd), keywords sort by name. */
	if (cs->n < 2)
		return;
	tmp = malloc(cs->n * sizeof(*tmp));
	if (!tmp)
		return;
	for (i = 0; i < cs->n; i++) {
		size_t k = i;

		while (k > 0 && cmp(&tmp[k - 1], &cs->v[i]) > 0) {
			tmp[k] = tmp[k - 1];
			k--;
		}
		tmp[k] = cs->v[i];
	}
	memcpy(cs->v, tmp, cs->n * sizeof(*tmp));
	free(tmp);
}

const struct cand *
cands_match_keyword(const struct cands *cs, const char *word, bool *ambiguous)
{
	const struct cand *hit = NULL;
	size_t i, wl = strlen(word), nhit = 0;

	*ambiguous = false;
	for (i = 0; i < cs->n; i++)
		if (cand_is_keyword(cs->v[i].kind) && strcmp(cs->v[i].tok, word) == 0)
			return &cs->v[i];
	if (wl == 0)
		return NULL;
	for (i = 0; i < cs->n; i++) {
		if (!cand_is_keyword(cs->v[i].kind) || strncmp(cs->v[i].tok, word, wl) != 0)
			continue;
		if (hit && strcmp(hit->tok, cs->v[i].tok) == 0)
			continue;
		hit = &cs->v[i];
		nhit++;
	}
	if (nhit > 1) {
		*ambiguous = true;
		return NULL;
	}
	return hit;
}

char *
cands_common_prefix(const struct cands *cs, const char *prefix, size_t *count)
{
	const char *first = NULL;
	size_t i, plen = strlen(prefix), common = 0;
	char *r;

	*count = 0;
	for (i = 0; i < cs->n; i++) {
		const char *t = cs->v[i].tok;
		size_t k;

		if (!cand_is_word(cs->v[i].kind) || strncmp(t, prefix, plen) != 0)
			continue;
		if (first && strcmp(first, t) == 0)
			continue;
		(*count)++;
		if (!first) {
			first = t;
			common = strlen(t);
			continue;
		}
		for (k = 0; k < common && t[k] == first[k]; k++)
			;
		common = k;
	}
	if (!first)
		return NULL;
	r = strndup(first, common);
	return r;
}

/* Length of the first sentence: up to ". " before a capital letter (so
 * "e.g. $6$" does not end it), without the final period. */
static size_t
first_sentence(const char *h)
{
	const char *p;

	for (p = h; (p = strstr(p, ". ")) != NULL; p++)
		if (p[2] >= 'A' && p[2] <= 'Z')
			return (size_t)(p - h);
	return strlen(h);
}

void
cands_render(const struct cands *cs, struct buf *out)
{
	size_t i;

	buf_puts(out, "Possible completions:\n");
	for (i = 0; i < cs->n; i++) {
		const struct cand *c = &cs->v[i];
		const char *mark = "  ";
		size_t tl = strlen(c->tok);

		if (c->kind == CAND_CONTAINER)
			mark = "> ";
		else if (c->kind == CAND_LEAFLIST)
			mark = "+ ";
		buf_puts(out, mark);
		buf_puts(out, c->tok);
		if (c->help[0]) {
			/* token column 21 wide, at least two blanks before the help;
			 * help is one line: the description's first sentence */
			size_t hl = first_sentence(c->help);

			if (hl > 1 && c->help[hl - 1] == '.')
				hl--;
			buf_indent(out, tl < 19 ? (unsigned)(21 - tl) : 2);
			buf_append(out, c->help, hl);
		}
		buf_putc(out, '\n');
	}
}
