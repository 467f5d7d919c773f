/* SPDX-License-Identifier: MIT */
/*
 * cfg_curly: parses Junos curly text statement by statement (no tree of
 * its own): each statement's words go through the schema walker from the
 * enclosing block's position and are applied with the edit engine, so a
 * load shares the set lines' checks, secrets handling and undo. Blocks are
 * an explicit stack bounded by the walker's depth, so hostile nesting
 * cannot exhaust the C stack.
 */
#include "cfg_curly.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "cfg_lex.h"
#include "banned.h"

struct frame {
	struct lyd_node *parent;      /* data node statements are created under (NULL: top) */
	enum cfg_wstate state;        /* CFG_W_NODE, or CFG_W_KEYS in a grouped block */
	const struct lysc_node *cur;  /* the block's schema node (NULL: top) */
	unsigned open_line, open_col; /* where the block was opened (for errors) */
	bool fresh; /* parent was created by this load: changes below are implied */
};

struct load {
	const struct cfg_schema *s;
	enum cfg_load_mode mode;
	struct cfg_ed ed;
	struct cfg_walk w;
	struct cfg_toks tv;
	struct frame st[CFG_MAX_DEPTH + 1];
	unsigned depth;
	struct cfg_errpos *pos;
	struct errbuf *err;
};

static int
at_tok(struct load *l, const struct cfg_tok *t, const char *msg)
{
	cfg_errpos_tok(l->pos, t);
	return errbuf_set(l->err, -EINVAL, "%s", msg);
}

/* Removes what a replace: statement names, before it is set again. */
static int
replace_target(struct load *l, struct frame *f)
{
	const struct cfg_step *st = &l->w.steps[l->w.nsteps - 1];
	struct lyd_node *p = f->parent, *n = NULL, *next, *sib;
	int rc;

	if (st->kind == CFG_STEP_LEAF)
		return 0; /* a leaf is replaced by setting it */
	if (l->w.nsteps > 1 &&
	    (p = cfg_ed_find(l->s, l->ed.tree, f->parent, &l->w, l->w.nsteps - 1)) == NULL)
		return 0;
	sib = p ? lyd_child(p) : *l->ed.tree;
	if (st->kind == CFG_STEP_ENTRY || st->kind == CFG_STEP_CONT) {
		/* The node stays where it is (list order); its content goes. */
		n = cfg_ed_find(l->s, l->ed.tree, f->parent, &l->w, l->w.nsteps);
		for (n = n ? lyd_child_no_keys(n) : NULL; n; n = next) {
			next = n->next;
			if ((rc = cfg_ed_remove(&l->ed, n, cfg_has_content(n))) != 0)
				return rc;
		}
		return 0;
	}
	/* A list keyword or a leaf-list: every instance goes. */
	if (sib)
		lyd_find_sibling_val(sib, st->sn, NULL, 0, &n);
	for (; n && n->schema == st->sn; n = next) {
		next = n->next;
		if ((rc = cfg_ed_remove(&l->ed, n, true)) != 0)
			return rc;
	}
	return 0;
}

/* Statement tags of Junos text. */
static const char *const tags[] = {
	"replace:", "inactive:", "active:", "delete:", "protect:", "unprotect:", "insert:", NULL
};

static bool
is_tag(const struct cfg_tok *t)
{
	if (t->type != CFG_TOK_WORD || t->quoted)
		return false;
	for (const char *const *g = tags; *g; g++)
		if (strcmp(t->s, *g) == 0)
			return true;
	return false;
}

/* A statement: toks (words, brackets) ended by end (';' or '{'). */
static int
statement(struct load *l, const struct cfg_tok *toks, size_t n, const struct cfg_tok *end)
{
	struct frame *f = &l->st[l->depth];
	bool replace = false, brace = end->type == CFG_TOK_LBRACE;
	struct lyd_node *node = NULL;
	const struct cfg_step *last;
	int rc;

	/* Tags: "replace:" is honoured by load replace; others are refused. */
	while (n && is_tag(&toks[0])) {
		if (strcmp(toks[0].s, "replace:") == 0)
			replace = l->mode == CFG_LOAD_REPLACE;
		else if (strcmp(toks[0].s, "inactive:") == 0)
			return at_tok(l, &toks[0],
			    "'inactive:' is not supported: Cairn keeps no inactive configuration.");
		else {
			cfg_errpos_tok(l->pos, &toks[0]);
			return errbuf_set(l->err, -EINVAL, "'%s' is not supported.", toks[0].s);
		}
		toks++;
		n--;
	}
	if (n == 0)
		return at_tok(l, end, "syntax error.");
	/* Junos output starts with "version ...;": not configuration here. */
	if (l->depth == 0 && !f->cur && n == 2 && !brace && strcmp(toks[0].s, "version") == 0 &&
	    !cfg_kw_find(&l->s->top, "version", 7))
		return 0;
	cfg_walk_reset(&l->w, f->state, f->cur);
	if ((rc = cfg_walk_run(&l->w, toks, n, CFG_WALK_LAZY, l->err)) != 0) {
		cfg_errpos_tok(l->pos, l->w.errtok);
		return rc;
	}
	last = l->w.nsteps ? &l->w.steps[l->w.nsteps - 1] : NULL;
	if (brace) {
		bool grouped = l->w.state == CFG_W_KEYS && last && last->nv == 0;

		if (l->w.state != CFG_W_NODE && !grouped) {
			if (l->w.state == CFG_W_KEYS || l->w.state == CFG_W_VALUE ||
			    l->w.state == CFG_W_LLVALUE)
				return at_tok(l, end, "missing argument.");
			return at_tok(l, end, "syntax error.");
		}
		if (l->depth >= CFG_MAX_DEPTH)
			return at_tok(l, end, "syntax error, too deeply nested.");
	} else if (!cfg_walk_complete(&l->w, CFG_CMD_SET) &&
	           !(l->w.state == CFG_W_NODE && last && last->kind == CFG_STEP_CONT)) {
		return at_tok(l, end, "missing argument.");
	}
	if (replace && (rc = replace_target(l, f)) != 0)
		return errbuf_set(l->err, rc, "out of memory");
	l->ed.quiet = f->fresh;
	if ((rc = cfg_ed_set(&l->ed, f->parent, &l->w, &node, l->pos, l->err)) != 0)
		return rc;
	if (brace) {
		struct frame *nf = &l->st[++l->depth];
		const struct lyd_node *p = node;

		nf->fresh = f->fresh;
		for (; p && l->ed.stmt_created && !nf->fresh; p = lyd_parent(p))
			nf->fresh = p == l->ed.stmt_created;

		nf->parent = node;
		nf->open_line = end->line;
		nf->open_col = end->col;
		nf->state = l->w.state == CFG_W_KEYS ? CFG_W_KEYS : CFG_W_NODE;
		nf->cur = last ? last->sn : f->cur;
	}
	return 0;
}

static int
load_run(struct load *l, const char *text, size_t len)
{
	struct cfg_lex lx;
	int rc;

	cfg_lex_init(&lx, text, len, true);
	for (;;) {
		const struct cfg_tok *t;

		rc = cfg_lex_next(&lx, &l->tv, l->pos, l->err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			if (l->tv.n)
				return at_tok(l, &l->tv.v[l->tv.n - 1],
				    "syntax error, expecting ';' or '{'.");
			if (l->depth > 0) {
				struct frame *f = &l->st[l->depth];

				l->pos->line = f->open_line;
				l->pos->col = f->open_col;
				return errbuf_set(l->err, -EINVAL, "syntax error, missing '}'.");
			}
			return 0;
		}
		t = &l->tv.v[l->tv.n - 1];
		l->ed.line = t->line;
		switch (t->type) {
		case CFG_TOK_SEMI:
		case CFG_TOK_LBRACE:
			if ((rc = statement(l, l->tv.v, l->tv.n - 1, t)) != 0)
				return rc;
			cfg_toks_reset(&l->tv);
			break;
		case CFG_TOK_RBRACE:
			if (l->tv.n > 1)
				return at_tok(l, t, "syntax error, expecting ';' or '{'.");
			if (l->depth == 0)
				return at_tok(l, t, "syntax error, unexpected '}'.");
			l->depth--;
			cfg_toks_reset(&l->tv);
			break;
		default:
			break;
		}
	}
}

/* The block the load starts in: the edit path, created if needed. */
static int
load_start(struct load *l, const char *edit_path)
{
	struct cfg_toks ptv;
	struct lyd_node *node = NULL;
	struct frame *f = &l->st[0];
	int rc = 0;

	memset(f, 0, sizeof(*f));
	f->state = CFG_W_NODE;
	if (!edit_path || !*edit_path)
		return 0;
	cfg_toks_init(&ptv);
	if ((rc = cfg_lex_line(edit_path, strlen(edit_path), &ptv, NULL, l->err)) != 0)
		goto out;
	for (size_t i = 0; i < ptv.n; i++)
		ptv.v[i].line = 0;
	cfg_walk_reset(&l->w, CFG_W_NODE, NULL);
	if ((rc = cfg_walk_run(&l->w, ptv.v, ptv.n, 0, l->err)) != 0)
		goto out;
	if (l->w.state != CFG_W_NODE) {
		rc = errbuf_set(l->err, -EINVAL, "edit path: not a container or list entry.");
		goto out;
	}
	if (l->w.nsteps && (rc = cfg_ed_set(&l->ed, NULL, &l->w, &node, NULL, l->err)) != 0)
		goto out;
	f->parent = node;
	f->cur = l->w.nsteps ? l->w.steps[l->w.nsteps - 1].sn : NULL;
out:
	if (rc)
		cfg_errpos_tok(l->pos, NULL);
	cfg_toks_fini(&ptv);
	return rc;
}

/* override: everything at the starting level goes first. */
static int
clear_level(struct load *l)
{
	struct frame *f = &l->st[0];
	struct lyd_node *n = f->parent ? lyd_child_no_keys(f->parent) : *l->ed.tree, *next;
	int rc;

	for (; n; n = next) {
		next = n->next;
		if ((rc = cfg_ed_remove(&l->ed, n, cfg_has_content(n))) != 0)
			return errbuf_set(l->err, rc, "out of memory");
	}
	return 0;
}

int
cfg_load_text(const struct cfg_schema *s, struct lyd_node **tree, enum cfg_load_mode mode,
    const char *edit_path, const char *text, size_t len, unsigned flags, struct cfg_result *res,
    struct cfg_errpos *pos, struct errbuf *err)
{
	struct cfg_errpos dummy;
	struct load *l;
	int rc;

	if (!pos)
		pos = &dummy;
	pos->line = pos->col = 0;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return errbuf_set(err, -ENOMEM, "out of memory");
	l->s = s;
	l->mode = mode;
	l->pos = pos;
	l->err = err;
	cfg_walk_init(&l->w, s);
	cfg_toks_init(&l->tv);
	cfg_ed_init(&l->ed, s, tree, res, flags);
	if ((rc = load_start(l, edit_path)) == 0 &&
	    (mode != CFG_LOAD_OVERRIDE || (rc = clear_level(l)) == 0))
		rc = load_run(l, text ? text : "", text ? len : 0);
	if (rc == -ENOMEM)
		errbuf_set(err, rc, "out of memory");
	cfg_ed_finish(&l->ed, rc == 0);
	cfg_toks_fini(&l->tv);
	cfg_walk_fini(&l->w);
	free(l);
	return rc;
}
