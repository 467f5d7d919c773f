/* SPDX-License-Identifier: MIT */
/*
 * cfg_print: curly text, set lines, JSON and XML from a data tree (see
 * cfg_print.h). The walk follows the data order, which libyang keeps in
 * schema order; top-level statements are put in the schema's print order
 * (cfg_sinfo.pos) since they come from several modules.
 */
#include "cfg_print.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "cfg_lex.h"
#include "banned.h"

bool
cfg_has_content(const struct lyd_node *n)
{
	if (!n->schema || (n->schema->flags & LYS_CONFIG_R))
		return false;
	switch (n->schema->nodetype) {
	case LYS_LEAF:
	case LYS_LEAFLIST:
		return !(n->flags & LYD_DEFAULT);
	case LYS_CONTAINER:
		if (!lysc_is_np_cont(n->schema))
			return true;
		for (const struct lyd_node *c = lyd_child(n); c; c = c->next)
			if (cfg_has_content(c))
				return true;
		return false;
	case LYS_LIST:
		return true;
	default:
		return false;
	}
}

static const struct lyd_node *
group_end(const struct lyd_node *first)
{
	const struct lyd_node *n = first;

	while (n && n->schema == first->schema)
		n = n->next;
	return n;
}

static void
line_start(struct cfg_pr *p, unsigned depth)
{
	buf_puts(p->out, p->mark);
	buf_indent(p->out, p->base + 4 * depth);
	if (p->prefix) {
		buf_puts(p->out, p->prefix);
		buf_putc(p->out, ' ');
		p->prefix = NULL;
	}
}

static bool
is_secret(const struct lyd_node *n)
{
	return (cfg_snode_flags(n->schema) & CFG_SN_SECRET) != 0;
}

/* A leaf's value in Junos text. */
static void
put_term(struct cfg_pr *p, const struct lyd_node *n)
{
	if (is_secret(n) && (p->flags & CFG_PRINT_MASK_SECRETS))
		buf_puts(p->out, CFG_SECRET_MASK);
	else
		cfg_put_value(p->out, lyd_get_value(n));
}

static bool
is_empty_type(const struct lyd_node *n)
{
	const struct lysc_node_leaf *l = (const struct lysc_node_leaf *)n->schema;

	return n->schema->nodetype == LYS_LEAF && l->type->basetype == LY_TYPE_EMPTY;
}

/* "name value" / "name" / "value" (positional), no terminator. */
static void
put_leaf_text(struct cfg_pr *p, const struct lyd_node *n)
{
	if (cfg_snode_flags(n->schema) & CFG_SN_POSITIONAL) {
		put_term(p, n);
		return;
	}
	buf_puts(p->out, n->schema->name);
	if (!is_empty_type(n)) {
		buf_putc(p->out, ' ');
		put_term(p, n);
	}
}

/* "name v" or "name [ v1 v2 ]" for the content instances of a leaf-list. */
static bool
put_leaflist_text(struct cfg_pr *p, const struct lyd_node *first, bool *secret)
{
	const struct lyd_node *end = group_end(first);
	unsigned cnt = 0;

	for (const struct lyd_node *n = first; n != end; n = n->next)
		cnt += cfg_has_content(n);
	if (!cnt)
		return false;
	*secret = is_secret(first);
	buf_puts(p->out, first->schema->name);
	buf_puts(p->out, cnt > 1 ? " [ " : " ");
	for (const struct lyd_node *n = first; n != end; n = n->next) {
		if (!cfg_has_content(n))
			continue;
		put_term(p, n);
		buf_putc(p->out, ' ');
	}
	if (cnt > 1)
		buf_putc(p->out, ']');
	else
		p->out->len--, p->out->p[p->out->len] = '\0';
	return true;
}

static void
end_stmt(struct cfg_pr *p, bool secret)
{
	buf_putc(p->out, ';');
	if (secret && !(p->flags & CFG_PRINT_MASK_SECRETS))
		buf_puts(p->out, CFG_SECRET_ANNOTE);
	buf_putc(p->out, '\n');
}

void
cfg_entry_words(struct buf *b, const struct lyd_node *e, bool keys_only)
{
	bool sp = false;

	if (!keys_only && !(cfg_snode_flags(e->schema) & CFG_SN_FLAT_KEY)) {
		buf_puts(b, e->schema->name);
		sp = true;
	}
	for (const struct lyd_node *k = lyd_child(e); k && lysc_is_key(k->schema); k = k->next) {
		if (sp)
			buf_putc(b, ' ');
		cfg_put_value(b, lyd_get_value(k));
		sp = true;
	}
}

/* Number of statement groups with content among siblings, stopping at 2;
 * *only gets the first one. */
static unsigned
count_groups(const struct lyd_node *first, const struct lyd_node **only)
{
	unsigned cnt = 0;

	*only = NULL;
	for (const struct lyd_node *n = first; n && cnt < 2; n = group_end(n)) {
		bool any = false;

		if (lysc_is_key(n->schema))
			continue;
		for (const struct lyd_node *m = n; m && m->schema == n->schema && !any; m = m->next)
			any = cfg_has_content(m);
		if (any) {
			if (!cnt)
				*only = n;
			cnt++;
		}
	}
	return cnt;
}

void
cfg_pr_entry(struct cfg_pr *p, const struct lyd_node *e, unsigned depth, bool keys_only)
{
	const struct lyd_node *body = lyd_child_no_keys(e), *only;
	unsigned cnt = count_groups(body, &only);
	bool secret = false;

	line_start(p, depth);
	cfg_entry_words(p->out, e, keys_only);
	if (cnt == 0) {
		end_stmt(p, false);
		return;
	}
	if (cnt == 1 && (cfg_snode_flags(e->schema) & CFG_SN_ONELINER) &&
	    (only->schema->nodetype & (LYS_LEAF | LYS_LEAFLIST))) {
		buf_putc(p->out, ' ');
		if (only->schema->nodetype == LYS_LEAF) {
			put_leaf_text(p, only);
			secret = is_secret(only);
		} else {
			put_leaflist_text(p, only, &secret);
		}
		end_stmt(p, secret);
		return;
	}
	buf_puts(p->out, " {\n");
	cfg_pr_body(p, body, depth + 1);
	line_start(p, depth);
	buf_puts(p->out, "}\n");
}

void
cfg_pr_joined(struct cfg_pr *p, const struct lyd_node *e, const struct lyd_node *f, unsigned depth)
{
	const struct lyd_node *body = lyd_child_no_keys(f), *only;

	line_start(p, depth);
	cfg_entry_words(p->out, e, false);
	buf_putc(p->out, ' ');
	cfg_entry_words(p->out, f, false);
	if (count_groups(body, &only) == 0) {
		end_stmt(p, false);
		return;
	}
	buf_puts(p->out, " {\n");
	cfg_pr_body(p, body, depth + 1);
	line_start(p, depth);
	buf_puts(p->out, "}\n");
}

/* A joined entry: one line per child-list entry, then its other statements. */
static void
pr_joined_entry(struct cfg_pr *p, const struct lyd_node *e, unsigned depth)
{
	const struct lysc_node *child = cfg_si(p->s, e->schema)->joined;
	const struct lyd_node *c, *first = lyd_child_no_keys(e);
	bool others = false, any = false;

	for (c = first; c; c = c->next) {
		if (c->schema == child) {
			cfg_pr_joined(p, e, c, depth);
			any = true;
		} else if (cfg_has_content(c)) {
			others = true;
		}
	}
	if (!others && any)
		return;
	line_start(p, depth);
	cfg_entry_words(p->out, e, false);
	if (!others) {
		end_stmt(p, false);
		return;
	}
	buf_puts(p->out, " {\n");
	for (c = first; c; c = group_end(c))
		if (c->schema != child)
			cfg_pr_group(p, c, depth + 1);
	line_start(p, depth);
	buf_puts(p->out, "}\n");
}

void
cfg_pr_joined_cont(struct cfg_pr *p, const struct lyd_node *n, unsigned depth)
{
	const char *name = n->schema->name;

	for (const struct lyd_node *g = lyd_child(n), *end; g; g = end) {
		end = group_end(g);
		if (g->schema->nodetype == LYS_LEAFLIST ||
		    (cfg_snode_flags(g->schema) & CFG_SN_GROUPED)) {
			bool any = false;

			for (const struct lyd_node *m = g; m != end && !any; m = m->next)
				any = cfg_has_content(m);
			if (!any)
				continue;
			p->prefix = name;
			cfg_pr_group(p, g, depth);
			p->prefix = NULL;
			continue;
		}
		for (const struct lyd_node *m = g; m != end; m = m->next) {
			if (lysc_is_key(m->schema) || !cfg_has_content(m))
				continue;
			p->prefix = name;
			cfg_pr_node(p, m, depth);
			p->prefix = NULL;
		}
	}
}

void
cfg_pr_node(struct cfg_pr *p, const struct lyd_node *n, unsigned depth)
{
	bool secret = false;

	if (!cfg_has_content(n))
		return;
	switch (n->schema->nodetype) {
	case LYS_LEAF:
		line_start(p, depth);
		put_leaf_text(p, n);
		end_stmt(p, is_secret(n));
		break;
	case LYS_LEAFLIST:
		line_start(p, depth);
		if (put_leaflist_text(p, n, &secret))
			end_stmt(p, secret);
		break;
	case LYS_CONTAINER: {
		const struct lyd_node *only;
		bool empty = count_groups(lyd_child(n), &only) == 0;

		if (!empty && (cfg_snode_flags(n->schema) & CFG_SN_JOINED)) {
			cfg_pr_joined_cont(p, n, depth);
			break;
		}
		line_start(p, depth);
		buf_puts(p->out, n->schema->name);
		if (empty) {
			end_stmt(p, false);
			break;
		}
		buf_puts(p->out, " {\n");
		cfg_pr_body(p, lyd_child(n), depth + 1);
		line_start(p, depth);
		buf_puts(p->out, "}\n");
		break;
	}
	case LYS_LIST:
		if (cfg_snode_flags(n->schema) & CFG_SN_JOINED)
			pr_joined_entry(p, n, depth);
		else
			cfg_pr_entry(p, n, depth, false);
		break;
	default:
		break;
	}
}

void
cfg_pr_group(struct cfg_pr *p, const struct lyd_node *first, unsigned depth)
{
	const struct lyd_node *end = group_end(first);
	unsigned fl = cfg_snode_flags(first->schema);

	if (lysc_is_key(first->schema))
		return;
	switch (first->schema->nodetype) {
	case LYS_LEAFLIST:
		cfg_pr_node(p, first, depth);
		return;
	case LYS_LIST:
		if (fl & CFG_SN_GROUPED) {
			line_start(p, depth);
			buf_puts(p->out, first->schema->name);
			buf_puts(p->out, " {\n");
			for (const struct lyd_node *n = first; n != end; n = n->next)
				cfg_pr_entry(p, n, depth + 1, true);
			line_start(p, depth);
			buf_puts(p->out, "}\n");
			return;
		}
		break;
	default:
		break;
	}
	for (const struct lyd_node *n = first; n != end; n = n->next)
		cfg_pr_node(p, n, depth);
}

static int
grp_cmp(const void *a, const void *b)
{
	const struct lyd_node *x = *(const struct lyd_node *const *)a;
	const struct lyd_node *y = *(const struct lyd_node *const *)b;
	uint32_t px = ((const struct cfg_sinfo *)x->schema->priv)->pos;
	uint32_t py = ((const struct cfg_sinfo *)y->schema->priv)->pos;

	return px < py ? -1 : px > py;
}

/*
 * Group heads of a sibling list in print order. Inner levels are in
 * schema order already; the top level mixes modules and is sorted.
 * Returns a malloc'ed array (caller frees) or NULL when in order.
 */
static const struct lyd_node **
groups_sorted(const struct lyd_node *first, size_t *n)
{
	const struct lyd_node **v = NULL;
	uint32_t last = 0;
	bool sorted = true;
	size_t cnt = 0, i = 0;

	*n = 0;
	for (const struct lyd_node *g = first; g; g = group_end(g)) {
		const struct cfg_sinfo *si = g->schema ? g->schema->priv : NULL;

		if (!si)
			continue;
		if (cnt && si->pos < last)
			sorted = false;
		last = si->pos;
		cnt++;
	}
	if (sorted || (v = malloc(cnt * sizeof(*v))) == NULL)
		return NULL;
	for (const struct lyd_node *g = first; g; g = group_end(g))
		if (g->schema && g->schema->priv)
			v[i++] = g;
	qsort(v, i, sizeof(*v), grp_cmp);
	*n = i;
	return v;
}

void
cfg_pr_body(struct cfg_pr *p, const struct lyd_node *first, unsigned depth)
{
	size_t n;
	const struct lyd_node **v = first && !lyd_parent(first) ? groups_sorted(first, &n) : NULL;

	if (v) {
		for (size_t i = 0; i < n; i++)
			cfg_pr_group(p, v[i], depth);
		free(v);
		return;
	}
	for (const struct lyd_node *g = first; g; g = group_end(g))
		if (g->schema && g->schema->priv)
			cfg_pr_group(p, g, depth);
}

/* ---- set form ---- */

struct ds {
	struct cfg_pr *p;
	struct buf words;
};

static void
ds_line(struct ds *d)
{
	buf_puts(d->p->out, "set");
	if (d->words.len) {
		buf_putc(d->p->out, ' ');
		buf_append(d->p->out, d->words.p, d->words.len);
	}
}

static void ds_siblings(struct ds *d, const struct lyd_node *first);

static void
ds_node(struct ds *d, const struct lyd_node *n)
{
	size_t mark = d->words.len;
	const struct lyd_node *only;

	if (!cfg_has_content(n) || lysc_is_key(n->schema))
		return;
	switch (n->schema->nodetype) {
	case LYS_LEAF:
		ds_line(d);
		buf_putc(d->p->out, ' ');
		put_leaf_text(d->p, n);
		buf_putc(d->p->out, '\n');
		return;
	case LYS_LEAFLIST:
		ds_line(d);
		buf_putc(d->p->out, ' ');
		buf_puts(d->p->out, n->schema->name);
		buf_putc(d->p->out, ' ');
		put_term(d->p, n);
		buf_putc(d->p->out, '\n');
		return;
	case LYS_CONTAINER:
		if (d->words.len)
			buf_putc(&d->words, ' ');
		buf_puts(&d->words, n->schema->name);
		if (count_groups(lyd_child(n), &only) == 0) {
			ds_line(d);
			buf_putc(d->p->out, '\n');
		} else {
			ds_siblings(d, lyd_child(n));
		}
		break;
	case LYS_LIST:
		if (d->words.len)
			buf_putc(&d->words, ' ');
		cfg_entry_words(&d->words, n, false);
		if (count_groups(lyd_child_no_keys(n), &only) == 0) {
			ds_line(d);
			buf_putc(d->p->out, '\n');
		} else {
			ds_siblings(d, lyd_child_no_keys(n));
		}
		break;
	default:
		return;
	}
	d->words.len = mark;
	if (d->words.p)
		d->words.p[mark] = '\0';
}

static void
ds_siblings(struct ds *d, const struct lyd_node *first)
{
	size_t n;
	const struct lyd_node **v = first && !lyd_parent(first) ? groups_sorted(first, &n) : NULL;

	if (v) {
		for (size_t i = 0; i < n; i++)
			for (const struct lyd_node *m = v[i]; m && m->schema == v[i]->schema;
			     m = m->next)
				ds_node(d, m);
		free(v);
		return;
	}
	for (const struct lyd_node *m = first; m; m = m->next)
		if (m->schema && m->schema->priv)
			ds_node(d, m);
}

/* ---- the selected part ---- */

struct sel {
	const struct lyd_node *node;  /* container/entry whose body is shown, or NULL */
	const struct lyd_node *first; /* or: a group of instances to show */
	bool all;                     /* or: the whole tree (edit path at the top) */
	bool one;                     /* first: only that instance (a leaf-list value) */
};

static int
select_path(const struct cfg_schema *s, const struct lyd_node *tree, const char *edit_path,
    const char *path, size_t pathlen, struct cfg_toks *ptv, struct cfg_toks *tv, struct cfg_walk *w,
    uint32_t *npath_steps, struct sel *sel, struct cfg_errpos *pos, struct errbuf *err)
{
	const struct cfg_step *st;
	struct lyd_node *parent = NULL;
	int rc = 0;

	memset(sel, 0, sizeof(*sel));
	if (edit_path && *edit_path) {
		if ((rc = cfg_lex_line(edit_path, strlen(edit_path), ptv, NULL, err)) != 0)
			goto out;
		for (size_t i = 0; i < ptv->n; i++)
			ptv->v[i].line = 0;
	}
	if ((rc = cfg_walk_run(w, ptv->v, ptv->n, 0, err)) != 0) {
		cfg_errpos_tok(pos, NULL);
		goto out;
	}
	*npath_steps = w->nsteps;
	if (path && (rc = cfg_lex_line(path, pathlen, tv, pos, err)) != 0)
		goto out;
	if ((rc = cfg_walk_run(w, tv->v, tv->n, CFG_WALK_VALIDATE, err)) != 0) {
		cfg_errpos_tok(pos, w->errtok);
		goto out;
	}
	if (!cfg_walk_complete(w, CFG_CMD_SHOW)) {
		const struct cfg_step *last = w->nsteps ? &w->steps[w->nsteps - 1] : NULL;

		if (w->state == CFG_W_DONE && last && last->kind == CFG_STEP_LEAFLIST &&
		    last->nv == 1)
			goto ok; /* one value of a leaf-list */
		if (w->state == CFG_W_DONE && last) {
			cfg_errpos_tok(pos, last->nv ? w->vtok[last->v0] : last->tok);
			rc = errbuf_set(err, -EINVAL, "syntax error.");
		} else {
			cfg_errpos_end(pos, tv->v, tv->n);
			rc = errbuf_set(err, -EINVAL, "missing argument.");
		}
		goto out;
	}
ok:
	if (w->nsteps == 0) {
		sel->all = true;
		sel->first = tree;
		goto out;
	}
	st = &w->steps[w->nsteps - 1];
	if (w->nsteps > 1 &&
	    !(parent = cfg_ed_find(s, (struct lyd_node *const *)&tree, NULL, w, w->nsteps - 1)))
		goto out; /* nothing configured there */
	switch (st->kind) {
	case CFG_STEP_CONT:
	case CFG_STEP_ENTRY:
		sel->node = cfg_ed_find(s, (struct lyd_node *const *)&tree, NULL, w, w->nsteps);
		break;
	default: {
		struct lyd_node *sib = parent ? lyd_child(parent) : (struct lyd_node *)tree;
		struct lyd_node *m = NULL;

		if (sib && st->kind == CFG_STEP_LEAFLIST && st->nv == 1) {
			lyd_find_sibling_val(sib, st->sn, w->vals[st->v0], 0, &m);
			sel->one = true;
		} else if (sib) {
			lyd_find_sibling_val(sib, st->sn, NULL, 0, &m);
		}
		sel->first = m;
		break;
	}
	}
out:
	return rc;
}

/* Words of the walk's first n steps (the set-form prefix). */
static void
walk_words(struct buf *b, const struct cfg_walk *w, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++) {
		const struct cfg_step *st = &w->steps[i];

		if (st->kind != CFG_STEP_CONT && st->kind != CFG_STEP_ENTRY)
			break;
		if (b->len)
			buf_putc(b, ' ');
		cfg_step_words(b, w, st);
	}
}

/* Collects the secret leaves below n (depth is the schema's). */
static int
collect_secrets(struct lyd_node *n, struct ly_set *set)
{
	for (; n; n = n->next) {
		if (n->schema && (cfg_snode_flags(n->schema) & CFG_SN_SECRET) &&
		    ly_set_add(set, n, 1, NULL) != LY_SUCCESS)
			return -ENOMEM;
		if (lyd_child(n) && collect_secrets(lyd_child(n), set) != 0)
			return -ENOMEM;
	}
	return 0;
}

/* Secret values of a copy become the mask string, or go when their type
 * refuses it. */
static int
mask_tree(struct lyd_node **root)
{
	struct ly_set *set = NULL;
	int rc;

	if (ly_set_new(&set) != LY_SUCCESS)
		return -ENOMEM;
	rc = collect_secrets(*root, set);
	for (uint32_t i = 0; i < set->count && rc == 0; i++) {
		struct lyd_node *n = set->dnodes[i];

		if (lyd_change_term(n, CFG_SECRET_MASK) != LY_SUCCESS) {
			if (*root == n)
				*root = n->next;
			lyd_free_tree(n);
		}
	}
	ly_set_free(set, NULL);
	return rc;
}

static int
print_ly(const struct cfg_schema *s, const struct sel *sel, enum cfg_format fmt, unsigned flags,
    struct buf *out, struct errbuf *err)
{
	LYD_FORMAT lf = fmt == CFG_FMT_JSON ? LYD_JSON : LYD_XML;
	struct lyd_node *dup = NULL, *root = NULL, *parent = NULL;
	const struct lyd_node *src;
	char *str = NULL;
	int rc = 0;

	(void)s;
	if (sel->all) {
		if (sel->first && lyd_dup_siblings(sel->first, NULL,
		                      LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &root) != LY_SUCCESS)
			return errbuf_set(err, -ENOMEM, "cannot copy the configuration");
	} else {
		src = sel->node ? sel->node : sel->first;
		if (!src)
			goto print;
		if (lyd_dup_single(src, NULL,
		        LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS | LYD_DUP_WITH_FLAGS,
		        &dup) != LY_SUCCESS)
			return errbuf_set(err, -ENOMEM, "cannot copy the configuration");
		parent = lyd_parent(dup);
		if (!sel->node && !sel->one) {
			for (const struct lyd_node *m = src->next; m && m->schema == src->schema;
			     m = m->next) {
				struct lyd_node *d = NULL;

				if (lyd_dup_single(m, (struct lyd_node_inner *)parent,
				        LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &d) != LY_SUCCESS) {
					rc = errbuf_set(
					    err, -ENOMEM, "cannot copy the configuration");
					goto out;
				}
				if (!parent)
					lyd_insert_sibling(dup, d, &dup);
			}
		}
		for (root = dup; lyd_parent(root); root = lyd_parent(root))
			;
		root = lyd_first_sibling(root);
	}
print:
	if (root && (flags & CFG_PRINT_MASK_SECRETS) && mask_tree(&root) != 0) {
		rc = errbuf_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (!root) {
		if (fmt == CFG_FMT_JSON)
			buf_puts(out, "{\n}\n");
		goto out;
	}
	if (lyd_print_mem(&str, root, lf, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_EXPLICIT) !=
	    LY_SUCCESS) {
		rc = errbuf_set(err, -ENOMEM, "cannot print the configuration");
		goto out;
	}
	buf_puts(out, str ? str : "");
out:
	free(str);
	lyd_free_all(root ? root : dup);
	return rc;
}

int
cfg_print(const struct cfg_schema *s, const struct lyd_node *tree, const char *edit_path,
    const char *path, size_t pathlen, enum cfg_format fmt, unsigned flags, struct buf *out,
    struct cfg_errpos *pos, struct errbuf *err)
{
	struct cfg_pr p = { .s = s, .out = out, .flags = flags, .mark = "", .base = 0 };
	struct cfg_toks ptv, tv; /* the walk's values point into them */
	struct cfg_walk w;
	struct sel sel;
	uint32_t npath = 0;
	int rc;

	cfg_walk_init(&w, s);
	cfg_toks_init(&ptv);
	cfg_toks_init(&tv);
	if ((rc = select_path(
	         s, tree, edit_path, path, pathlen, &ptv, &tv, &w, &npath, &sel, pos, err)) != 0)
		goto out;
	switch (fmt) {
	case CFG_FMT_TEXT:
		if (sel.all)
			cfg_pr_body(&p, tree, 0);
		else if (sel.node)
			cfg_pr_body(&p,
			    sel.node->schema->nodetype == LYS_LIST ? lyd_child_no_keys(sel.node)
			                                           : lyd_child(sel.node),
			    0);
		else if (sel.first && sel.one)
			cfg_pr_node(&p, sel.first, 0);
		else if (sel.first)
			cfg_pr_group(&p, sel.first, 0);
		break;
	case CFG_FMT_SET: {
		struct ds d = { .p = &p, .words = BUF_INIT };
		uint32_t from = (flags & CFG_PRINT_RELATIVE) ? npath : 0;

		if (sel.all) {
			walk_words(&d.words, &w, from, w.nsteps);
			ds_siblings(&d, tree);
		} else if (sel.node) {
			walk_words(&d.words, &w, from, w.nsteps);
			ds_siblings(&d, sel.node->schema->nodetype == LYS_LIST
			                    ? lyd_child_no_keys(sel.node)
			                    : lyd_child(sel.node));
		} else if (sel.first) {
			walk_words(&d.words, &w, from, w.nsteps - 1);
			if (sel.one)
				ds_node(&d, sel.first);
			else
				for (const struct lyd_node *m = sel.first;
				     m && m->schema == sel.first->schema; m = m->next)
					ds_node(&d, m);
		}
		buf_free(&d.words);
		break;
	}
	case CFG_FMT_JSON:
	case CFG_FMT_XML:
		rc = print_ly(s, &sel, fmt, flags, out, err);
		break;
	}
	if (rc == 0 && buf_failed(out))
		rc = errbuf_set(err, -ENOMEM, "out of memory");
out:
	cfg_walk_fini(&w);
	cfg_toks_fini(&tv);
	cfg_toks_fini(&ptv);
	return rc;
}
