/* SPDX-License-Identifier: MIT */
/* args: one walker answers both "parse these words" and "what may follow". */
#include "args.h"
#include "pipe.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static bool
available(const struct arg_spec *spec, size_t nspec, const struct arg_vals *vals, size_t i)
{
	size_t k;

	if (vals->v[i])
		return false;
	if (spec[i].group == 0)
		return true;
	for (k = 0; k < nspec; k++)
		if (k != i && vals->v[k] && spec[k].group == spec[i].group)
			return false;
	return true;
}

/* The keywords still allowed, as candidates. */
static void
keyword_cands(
    const struct arg_spec *spec, size_t nspec, const struct arg_vals *vals, struct cands *cs)
{
	size_t i;

	for (i = 0; i < nspec; i++)
		if (spec[i].kind != ARG_POS && available(spec, nspec, vals, i))
			cands_add(cs, CAND_KEYWORD, spec[i].name, spec[i].help);
}

static size_t
spec_index(const struct arg_spec *spec, size_t nspec, const char *name)
{
	size_t i;

	for (i = 0; i < nspec; i++)
		if (spec[i].kind != ARG_POS && strcmp(spec[i].name, name) == 0)
			return i;
	return nspec;
}

/* The next positional argument not yet given, or nspec. */
static size_t
next_pos(const struct arg_spec *spec, size_t nspec, const struct arg_vals *vals)
{
	size_t i;

	for (i = 0; i < nspec; i++)
		if (spec[i].kind == ARG_POS && !vals->v[i])
			return i;
	return nspec;
}

static void
value_cands(const struct arg_spec *s, struct cands *cs)
{
	const struct arg_choice *c;
	char ph[128];

	if (s->type == ARGT_CHOICE) {
		for (c = s->choices; c && c->name; c++)
			cands_add(cs, CAND_KEYWORD, c->name, c->help);
		if (!s->choices_open)
			return;
	}
	snprintf(ph, sizeof(ph), "<%s>", s->kind == ARG_POS ? s->name : s->value_name);
	cands_add(cs, CAND_PLACEHOLDER, ph, s->kind == ARG_POS ? s->help : s->value_help);
}

/* Checks (and for choices expands) the value word wi for spec s.
 * *out: the value to record (borrowed from the spec or the word). */
static int
check_value(const struct arg_spec *s, const struct cli_words *ws, size_t wi, const char **out,
    struct cli_err *err)
{
	const struct cli_word *w = &ws->w[wi];
	const struct arg_choice *c;
	struct cands cs;
	const struct cand *hit;
	bool amb;
	char *end;
	unsigned long long v;
	regex_t re;
	int rc = 0;

	*out = w->s;
	switch (s->type) {
	case ARGT_STRING:
		return 0;
	case ARGT_UINT:
		if (w->s[0] < '0' || w->s[0] > '9')
			return cli_err_text(err, w->off, "syntax error, expecting <%s>.",
			    s->kind == ARG_POS ? s->name : s->value_name);
		errno = 0;
		v = strtoull(w->s, &end, 10);
		if (*end != '\0')
			return cli_err_text(err, w->off, "syntax error, expecting <%s>.",
			    s->kind == ARG_POS ? s->name : s->value_name);
		if (errno == ERANGE || v < s->min || v > s->max)
			return cli_err_text(err, w->off,
			    "Value %s is not within range (%llu..%llu) at '%s'", w->s,
			    (unsigned long long)s->min, (unsigned long long)s->max, w->s);
		return 0;
	case ARGT_REGEX:
		if (pipe_regcomp(&re, w->s) < 0)
			return cli_err_text(
			    err, w->off, "error: invalid regular expression: '%s'", w->s);
		regfree(&re);
		return 0;
	case ARGT_CHOICE:
		cands_init(&cs);
		for (c = s->choices; c && c->name; c++)
			cands_add(&cs, CAND_KEYWORD, c->name, c->help);
		hit = cands_match_keyword(&cs, w->s, &amb);
		if (amb) {
			rc = cli_err_set(err, CERR_AMBIGUOUS, w->off, w->s);
			cands_filter(&cs, w->s);
			cands_sort(&cs);
			cands_free(&err->amb);
			err->amb = cs;
			return rc;
		}
		if (hit) {
			for (c = s->choices; c->name; c++)
				if (strcmp(c->name, hit->tok) == 0)
					*out = c->name;
		} else if (!s->choices_open) {
			rc = cli_err_set(err, CERR_SYNTAX, w->off, NULL);
		}
		cands_free(&cs);
		return rc;
	}
	return 0;
}

static int
walk(const struct arg_spec *spec, size_t nspec, enum args_ctx ctx, const struct cli_words *ws,
    size_t first, size_t count, struct arg_vals *vals, struct cli_err *err, struct cands *cs,
    bool enter)
{
	size_t i, end = first + count, k, p;
	const struct arg_spec *pending_value = NULL; /* a KEYVAL awaiting its value */
	int rc;

	memset(vals, 0, sizeof(*vals));
	if (nspec > ARGS_MAX)
		return -E2BIG;
	for (i = first; i < end; i++) {
		const struct cli_word *w = &ws->w[i];
		struct cands kw;
		const struct cand *hit;
		bool amb;

		cands_init(&kw);
		keyword_cands(spec, nspec, vals, &kw);
		hit = w->quoted ? NULL : cands_match_keyword(&kw, w->s, &amb);
		if (!w->quoted && amb) {
			rc = cli_err_set(err, CERR_AMBIGUOUS, w->off, w->s);
			cands_filter(&kw, w->s);
			cands_sort(&kw);
			cands_free(&err->amb);
			err->amb = kw;
			return rc;
		}
		if (hit) {
			k = spec_index(spec, nspec, hit->tok);
			cands_free(&kw);
			vals->at[k] = i;
			if (spec[k].kind == ARG_FLAG) {
				vals->v[k] = "";
				continue;
			}
			if (i + 1 >= end) {
				/* the value is the next word (not typed yet) */
				if (spec[k].optional_value)
					vals->v[k] = "";
				else if (!cs)
					return cli_err_set(err, CERR_MISSING, w->end + 1, NULL);
				pending_value = &spec[k];
				break;
			}
			if (spec[k].optional_value && spec[k].type == ARGT_UINT &&
			    (ws->w[i + 1].s[0] < '0' || ws->w[i + 1].s[0] > '9')) {
				vals->v[k] = "";
				continue;
			}
			i++;
			if ((rc = check_value(&spec[k], ws, i, &vals->v[k], err)) < 0)
				return rc;
			continue;
		}
		cands_free(&kw);
		p = next_pos(spec, nspec, vals);
		if (p == nspec) {
			return cli_err_set(
			    err, ctx == ARGS_CTX_OP ? CERR_EXPECTING : CERR_SYNTAX, w->off, NULL);
		}
		vals->at[p] = i;
		if ((rc = check_value(&spec[p], ws, i, &vals->v[p], err)) < 0)
			return rc;
	}
	if (cs) {
		bool done = true;

		if (pending_value) {
			value_cands(pending_value, cs);
			if (!pending_value->optional_value)
				return 0;
		}
		keyword_cands(spec, nspec, vals, cs);
		p = next_pos(spec, nspec, vals);
		if (p < nspec)
			value_cands(&spec[p], cs);
		for (k = 0; k < nspec; k++)
			if (spec[k].required && !vals->v[k])
				done = false;
		if (enter && done)
			cands_add(cs, CAND_ENTER, "<[Enter]>", "Execute this command");
		return 0;
	}
	for (k = 0; k < nspec; k++) {
		if (spec[k].required && !vals->v[k]) {
			size_t off = count ? ws->w[end - 1].end + 1
			                   : (first < ws->n ? ws->w[first].off : ws->len + 1);

			if (count == 0 && first > 0 && first <= ws->n)
				off = ws->w[first - 1].end + 1;
			return cli_err_set(err, CERR_MISSING, off, NULL);
		}
	}
	return 0;
}

int
args_parse(const struct arg_spec *spec, size_t nspec, enum args_ctx ctx, const struct cli_words *ws,
    size_t first, size_t count, struct arg_vals *vals, struct cli_err *err)
{
	return walk(spec, nspec, ctx, ws, first, count, vals, err, NULL, false);
}

bool
args_complete(const struct arg_spec *spec, size_t nspec, enum args_ctx ctx,
    const struct cli_words *ws, size_t first, size_t count, bool enter, struct cands *cs,
    struct cli_err *err)
{
	struct arg_vals vals;

	return walk(spec, nspec, ctx, ws, first, count, &vals, err, cs, enter) == 0;
}

const char *
args_get(const struct arg_spec *spec, size_t nspec, const struct arg_vals *vals, const char *name)
{
	size_t i;

	for (i = 0; i < nspec; i++)
		if (strcmp(spec[i].name, name) == 0)
			return vals->v[i];
	return NULL;
}
