/* SPDX-License-Identifier: MIT */
/*
 * xwalk: plain data paths walked directly (see xwalk.h).
 *
 * The path is parsed into steps (schema node, key predicates), then the
 * tree is walked level by level: a list step whose predicates give all
 * its keys is one hash lookup per parent, other steps take every
 * instance (libyang keeps the instances of one schema node together;
 * the first is found by hash) and filter on the predicates given.
 */
#include "xwalk.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define XW_MAX_STEPS 32
#define XW_MAX_PREDS 8

struct xw_pred {
	const struct lysc_node *key; /* a key leaf of the step's list */
	const char *v;               /* the literal in canonical form */
	bool dict;                   /* v is in the context's dictionary */
};

struct xw_step {
	const struct lysc_node *sn;
	struct xw_pred preds[XW_MAX_PREDS];
	unsigned npreds;
	bool nomatch;       /* a literal the key's type refuses: nothing matches */
	char hashpred[512]; /* "[k='v']..." when every key is given, else "" */
};

struct xw {
	struct xw_step steps[XW_MAX_STEPS];
	unsigned n;
	const char *prefix; /* starts-with(., prefix) on the last step, or NULL */
	size_t plen;
	int (*fn)(void *arg, const char *value);
	void *arg;
	int rc;
};

/* 'text' or "text" at *p: NUL-terminates it in place, *p after it. */
static const char *
literal(char **p)
{
	char q = **p, *s = *p + 1, *e;

	if (q != '\'' && q != '"')
		return NULL;
	if ((e = strchr(s, q)) == NULL)
		return NULL;
	*e = '\0';
	*p = e + 1;
	return s;
}

/* A name: letters, digits, '-', '_', '.' (YANG identifiers). */
static size_t
name_len(const char *p)
{
	size_t n = 0;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
	       (p[n] >= '0' && p[n] <= '9') || p[n] == '-' || p[n] == '_' || p[n] == '.')
		n++;
	return n;
}

/* XPath compares typed values ("05" equals unit 5): compare canonical
 * forms. A literal the type refuses matches nothing. */
static void
canonize(struct xw_step *st, struct xw_pred *pr)
{
	const char *canon = NULL;
	LY_ERR e = lyd_value_validate(NULL, pr->key, pr->v, strlen(pr->v), NULL, NULL, &canon);

	if ((e == LY_SUCCESS || e == LY_EINCOMPLETE) && canon) {
		pr->v = canon;
		pr->dict = true;
	} else if (e != LY_SUCCESS && e != LY_EINCOMPLETE) {
		st->nomatch = true;
	}
}

static int
parse(const struct ly_ctx *ctx, char *p, struct xw *x)
{
	const struct lysc_node *parent = NULL;
	const struct lys_module *mod = NULL;

	while (*p == '/') {
		struct xw_step *st;
		size_t n;
		char *name;

		if (x->n == XW_MAX_STEPS || x->prefix)
			return -ENOTSUP;
		st = &x->steps[x->n++];
		p++;
		if ((n = name_len(p)) == 0)
			return -ENOTSUP;
		name = p;
		p += n;
		if (*p == ':') {
			char save = *p;

			*p = '\0';
			mod = ly_ctx_get_module_implemented(ctx, name);
			*p = save;
			if (!mod)
				return -ENOTSUP;
			name = ++p;
			if ((n = name_len(p)) == 0)
				return -ENOTSUP;
			p += n;
		} else if (!parent) {
			return -ENOTSUP; /* the first step names its module */
		}
		st->sn = lys_find_child(parent, mod, name, n, 0, 0);
		if (!st->sn || (st->sn->flags & LYS_CONFIG_R) ||
		    !(st->sn->nodetype & (LYS_CONTAINER | LYS_LIST | LYS_LEAF | LYS_LEAFLIST)))
			return -ENOTSUP;
		while (*p == '[') {
			if (!strncmp(p, "[starts-with(.,", 15)) {
				p += 15;
				if ((x->prefix = literal(&p)) == NULL || strncmp(p, ")]", 2) != 0)
					return -ENOTSUP;
				x->plen = strlen(x->prefix);
				p += 2;
				continue;
			}
			if (st->sn->nodetype != LYS_LIST || st->npreds == XW_MAX_PREDS || x->prefix)
				return -ENOTSUP;
			p++;
			if ((n = name_len(p)) == 0 || p[n] != '=')
				return -ENOTSUP;
			st->preds[st->npreds].key =
			    lys_find_child(st->sn, st->sn->module, p, n, LYS_LEAF, 0);
			if (!st->preds[st->npreds].key || !lysc_is_key(st->preds[st->npreds].key))
				return -ENOTSUP;
			p += n + 1;
			if ((st->preds[st->npreds].v = literal(&p)) == NULL || *p != ']')
				return -ENOTSUP;
			p++;
			canonize(st, &st->preds[st->npreds++]);
		}
		parent = st->sn;
		mod = st->sn->module;
	}
	if (*p || x->n == 0 ||
	    (x->prefix &&
	        !(x->steps[x->n - 1].sn->nodetype & (LYS_LEAF | LYS_LEAFLIST | LYS_LIST))))
		return -ENOTSUP;
	return 0;
}

/* Every key of the list given, each once: the predicate for a hash lookup. */
static void
hash_predicate(struct xw_step *st)
{
	const struct lysc_node *k;
	size_t len = 0;
	int n;

	st->hashpred[0] = '\0';
	for (k = lysc_node_child(st->sn); k && lysc_is_key(k); k = k->next) {
		const struct xw_pred *pr = NULL;

		for (unsigned i = 0; i < st->npreds; i++)
			if (st->preds[i].key == k)
				pr = &st->preds[i];
		if (!pr || strchr(pr->v, '\''))
			goto none;
		n = snprintf(
		    st->hashpred + len, sizeof(st->hashpred) - len, "[%s='%s']", k->name, pr->v);
		if (n < 0 || (size_t)n >= sizeof(st->hashpred) - len)
			goto none;
		len += (size_t)n;
	}
	if (len)
		return;
none:
	st->hashpred[0] = '\0';
}

static bool
preds_match(const struct xw_step *st, const struct lyd_node *e)
{
	for (unsigned i = 0; i < st->npreds; i++) {
		struct lyd_node *k = NULL;

		if (lyd_find_sibling_val(lyd_child(e), st->preds[i].key, NULL, 0, &k) !=
		        LY_SUCCESS ||
		    strcmp(lyd_get_value(k), st->preds[i].v) != 0)
			return false;
	}
	return true;
}

static void
emit(struct xw *x, const struct lyd_node *n)
{
	const char *v;

	if (n->schema->nodetype == LYS_LIST)
		v = lyd_child(n) ? lyd_get_value(lyd_child(n)) : NULL;
	else if (n->schema->nodetype & LYD_NODE_TERM)
		v = lyd_get_value(n);
	else
		return;
	if (!v || (x->prefix && strncmp(v, x->prefix, x->plen) != 0))
		return;
	x->rc = x->fn(x->arg, v);
}

static void
walk(struct xw *x, const struct lyd_node *siblings, unsigned d)
{
	const struct xw_step *st = &x->steps[d];
	struct lyd_node *m = NULL;

	if (!siblings || st->nomatch)
		return;
	if (st->hashpred[0]) {
		if (lyd_find_sibling_val(siblings, st->sn, st->hashpred, 0, &m) != LY_SUCCESS)
			return;
		if (d + 1 == x->n)
			emit(x, m);
		else
			walk(x, lyd_child(m), d + 1);
		return;
	}
	if (lyd_find_sibling_val(siblings, st->sn, NULL, 0, &m) != LY_SUCCESS)
		return;
	for (; m && m->schema == st->sn && !x->rc; m = m->next) {
		if (st->npreds && !preds_match(st, m))
			continue;
		if (d + 1 == x->n)
			emit(x, m);
		else
			walk(x, lyd_child(m), d + 1);
	}
}

int
xwalk_values(const struct ly_ctx *ctx, const struct lyd_node *tree, const char *xpath,
    int (*fn)(void *arg, const char *value), void *arg)
{
	struct xw *x = calloc(1, sizeof(*x));
	char *copy = strdup(xpath);
	int rc;

	if (!x || !copy) {
		free(x);
		free(copy);
		return -ENOMEM;
	}
	x->fn = fn;
	x->arg = arg;
	if ((rc = parse(ctx, copy, x)) == 0) {
		for (unsigned i = 0; i < x->n; i++)
			if (x->steps[i].sn->nodetype == LYS_LIST && x->steps[i].npreds)
				hash_predicate(&x->steps[i]);
		walk(x, tree, 0);
		ly_err_clean((struct ly_ctx *)ctx, NULL);
		rc = x->rc;
	}
	for (unsigned i = 0; i < x->n; i++)
		for (unsigned k = 0; k < x->steps[i].npreds; k++)
			if (x->steps[i].preds[k].dict)
				lydict_remove(ctx, x->steps[i].preds[k].v);
	free(copy);
	free(x);
	return rc;
}
