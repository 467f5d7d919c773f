/* SPDX-License-Identifier: MIT */
/*
 * cands: what may follow a partial command line — the answer behind `?`,
 * TAB and space completion — and its Junos rendering:
 *
 *   Possible completions:
 *     <[Enter]>            Execute this command
 *   > ike                  IKE configuration
 *   + proposals            Name of the proposal
 *     [                    Open a set of values
 *     |                    Pipe through a command
 */
#ifndef CAIRN_CLI_CANDS_H
#define CAIRN_CLI_CANDS_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

enum cand_kind {
	CAND_ENTER,       /* <[Enter]>: the line is complete here */
	CAND_PLACEHOLDER, /* <name>: a value the operator types */
	CAND_VALUE,       /* a concrete value: an existing entry, an enum value */
	CAND_OPENSET,     /* [: open a set of values */
	CAND_KEYWORD,     /* a command word or leaf statement */
	CAND_CONTAINER,   /* '>' a statement that holds others */
	CAND_LEAFLIST,    /* '+' a statement taking several values */
	CAND_PIPE,        /* |: pipe through a command */
};

struct cand {
	char *tok;
	char *help; /* may be "" */
	enum cand_kind kind;
};

struct cands {
	struct cand *v;
	size_t n;
	size_t cap;
	bool failed; /* out of memory */
	bool closed; /* the values listed are the only ones valid (a reference) */
};

void cands_init(struct cands *cs);
void cands_free(struct cands *cs);
/* Adds one candidate (copies the strings); a token already present with
 * the same kind is not added twice. help may be NULL. */
void cands_add(struct cands *cs, enum cand_kind kind, const char *tok, const char *help);
/* Adds a candidate known to be new (no duplicate check: values from mgd,
 * distinct by construction, may number tens of thousands). */
void cands_add_new(struct cands *cs, enum cand_kind kind, const char *tok, const char *help);
/* True for the kinds that are typed as they are shown and that
 * completion may insert (keywords, values, '['). */
bool cand_is_word(enum cand_kind kind);
/* True for keywords (not values): what space completes and what may be
 * abbreviated. */
bool cand_is_keyword(enum cand_kind kind);
/* Keeps the candidates a partial word may become: words starting with
 * prefix; placeholders stay (the partial word may be a value being
 * typed), as do <[Enter]> and '|' when prefix is empty. */
void cands_filter(struct cands *cs, const char *prefix);
/* Removes the candidates of one kind. */
void cands_remove_kind(struct cands *cs, enum cand_kind kind);
/* True when a candidate of that kind is present. */
bool cands_has_kind(const struct cands *cs, enum cand_kind kind);
/* Junos order: <[Enter]>, placeholders, values (as given), '[',
 * keywords and statements (alphabetical), '|'. */
void cands_sort(struct cands *cs);
/* Looks word up among the keyword candidates: an exact match, else the
 * only one it is a prefix of. Returns the candidate, or NULL with
 * *ambiguous set when several match. */
const struct cand *cands_match_keyword(const struct cands *cs, const char *word, bool *ambiguous);
/* The longest common prefix of the word candidates that start with
 * prefix (malloc'd; NULL when none). *count: how many there were. */
char *cands_common_prefix(const struct cands *cs, const char *prefix, size_t *count);
/* Appends "Possible completions:" and one line per candidate. */
void cands_render(const struct cands *cs, struct buf *out);

#endif
