/* SPDX-License-Identifier: MIT */
/*
 * cfg_edit: the edit engine under set/delete/rename/copy/insert lines and
 * curly loads. Every change to the tree goes through an undo log, so a
 * batch that fails half-way is rolled back exactly: created nodes are
 * freed, removed nodes (kept unlinked until the batch ends) are put back
 * where they were, in reverse order. Nothing is copied up front, so a
 * one-line edit of a 10k-VPN candidate costs what the line touches.
 */
#include "cfg_edit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg_int.h"
#include "cfg_lex.h"
#include "cfg_secret.h"
#include "xmem.h"
#include "banned.h"

enum undo_type {
	U_CREATED, /* node was created: free it */
	U_REMOVED, /* node was unlinked: put it back */
	U_MOVED,   /* node was moved (insert): put it back before next */
};

struct cfg_undo {
	enum undo_type type;
	struct lyd_node *node;
	struct lyd_node *parent; /* U_REMOVED, U_MOVED: where it was */
	struct lyd_node *next;   /* next instance of the same schema node, if any */
};

/* ---- results ---- */

void
cfg_result_init(struct cfg_result *r)
{
	memset(r, 0, sizeof(*r));
}

void
cfg_result_fini(struct cfg_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nchg; i++)
		free(r->chg[i].path);
	for (size_t i = 0; i < r->nwarn; i++)
		free(r->warn[i]);
	free(r->chg);
	free(r->warn);
	free(r->edit_path);
	memset(r, 0, sizeof(*r));
}

static int
ed_change(struct cfg_ed *ed, enum cfg_change_op op, const struct lyd_node *node)
{
	struct cfg_result *r = ed->res;
	char *path;

	if (!r || (ed->flags & CFG_EDIT_NO_CHANGES))
		return 0;
	if (r->nchg == r->chg_cap) {
		size_t ncap = r->chg_cap ? r->chg_cap * 2 : 16;
		struct cfg_change *v = realloc(r->chg, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->chg = v;
		r->chg_cap = ncap;
	}
	if ((path = lyd_path(node, LYD_PATH_STD, NULL, 0)) == NULL)
		return -ENOMEM;
	r->chg[r->nchg].op = op;
	r->chg[r->nchg].line = ed->line;
	r->chg[r->nchg].path = path;
	r->nchg++;
	return 0;
}

int
cfg_ed_warn(struct cfg_ed *ed, const char *msg)
{
	struct cfg_result *r = ed->res;
	char *m;

	if (!r)
		return 0;
	/* One warning of each kind is enough for a batch. */
	for (size_t i = ed->nwarn0; i < r->nwarn; i++)
		if (strcmp(r->warn[i], msg) == 0)
			return 0;
	if (r->nwarn == r->warn_cap) {
		size_t ncap = r->warn_cap ? r->warn_cap * 2 : 4;
		char **v = realloc(r->warn, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->warn = v;
		r->warn_cap = ncap;
	}
	if ((m = strdup(msg)) == NULL)
		return -ENOMEM;
	r->warn[r->nwarn++] = m;
	return 0;
}

/* ---- undo log ---- */

static struct cfg_undo *
undo_push(struct cfg_ed *ed, enum undo_type type, struct lyd_node *node)
{
	struct cfg_undo *u;

	if (ed->nu == ed->ucap) {
		size_t ncap = ed->ucap ? ed->ucap * 2 : 64;
		struct cfg_undo *v = realloc(ed->u, ncap * sizeof(*v));

		if (!v)
			return NULL;
		ed->u = v;
		ed->ucap = ncap;
	}
	u = &ed->u[ed->nu++];
	memset(u, 0, sizeof(*u));
	u->type = type;
	u->node = node;
	return u;
}

void
cfg_ed_init(struct cfg_ed *ed, const struct cfg_schema *s, struct lyd_node **tree,
    struct cfg_result *res, unsigned flags)
{
	memset(ed, 0, sizeof(*ed));
	ed->s = s;
	ed->tree = tree;
	ed->res = res;
	ed->flags = flags;
	if (res) {
		ed->nchg0 = res->nchg;
		ed->nwarn0 = res->nwarn;
	}
}

/* Unlinks a node, keeping *tree on the first top-level sibling. */
static void
ed_unlink(struct cfg_ed *ed, struct lyd_node *node)
{
	if (!lyd_parent(node) && *ed->tree == node)
		*ed->tree = node->next;
	lyd_unlink_tree(node);
}

/* Links an unlinked node under parent (NULL: the top), in schema order
 * and after the other instances of its schema node. */
static LY_ERR
ed_link(struct cfg_ed *ed, struct lyd_node *parent, struct lyd_node *node)
{
	if (parent)
		return lyd_insert_child(parent, node);
	if (!*ed->tree) {
		*ed->tree = node;
		return LY_SUCCESS;
	}
	return lyd_insert_sibling(*ed->tree, node, ed->tree);
}

/* Puts node back in front of next (an instance of the same schema node). */
static void
ed_place_before(
    struct cfg_ed *ed, struct lyd_node *parent, struct lyd_node *node, struct lyd_node *next)
{
	if (!next)
		return;
	if (lysc_is_userordered(node->schema)) {
		lyd_insert_before(next, node);
		return;
	}
	/* System-ordered instances always go last: move those that followed
	 * node behind it again, in their order. */
	for (struct lyd_node *s = next, *t; s && s != node; s = t) {
		t = s->next;
		ed_unlink(ed, s);
		ed_link(ed, parent, s);
	}
}

static void
undo_one(struct cfg_ed *ed, struct cfg_undo *u)
{
	switch (u->type) {
	case U_CREATED:
		ed_unlink(ed, u->node);
		lyd_free_tree(u->node);
		break;
	case U_REMOVED:
		ed_link(ed, u->parent, u->node);
		ed_place_before(ed, u->parent, u->node, u->next);
		break;
	case U_MOVED:
		if (u->next) {
			lyd_insert_before(u->next, u->node);
		} else {
			struct lyd_node *last = u->node;

			while (last->next && last->next->schema == u->node->schema)
				last = last->next;
			if (last != u->node)
				lyd_insert_after(last, u->node);
		}
		break;
	}
}

void
cfg_ed_finish(struct cfg_ed *ed, bool commit)
{
	if (commit) {
		for (size_t i = 0; i < ed->nu; i++)
			if (ed->u[i].type == U_REMOVED)
				lyd_free_tree(ed->u[i].node);
	} else {
		for (size_t i = ed->nu; i-- > 0;)
			undo_one(ed, &ed->u[i]);
		if (ed->res) {
			for (size_t i = ed->nchg0; i < ed->res->nchg; i++)
				free(ed->res->chg[i].path);
			ed->res->nchg = ed->nchg0;
			for (size_t i = ed->nwarn0; i < ed->res->nwarn; i++)
				free(ed->res->warn[i]);
			ed->res->nwarn = ed->nwarn0;
		}
	}
	free(ed->u);
	ed->u = NULL;
	ed->nu = ed->ucap = 0;
	ed->cvalid = false;
}

int
cfg_ed_remove(struct cfg_ed *ed, struct lyd_node *node, bool record)
{
	struct cfg_undo *u;
	int rc;

	if (record && (rc = ed_change(ed, CFG_CHG_DELETE, node)) != 0)
		return rc;
	if ((u = undo_push(ed, U_REMOVED, node)) == NULL)
		return -ENOMEM;
	u->parent = lyd_parent(node);
	u->next = node->next && node->next->schema == node->schema ? node->next : NULL;
	ed_unlink(ed, node);
	ed->cvalid = false;
	return 0;
}

static bool
is_ancestor(const struct lyd_node *anc, const struct lyd_node *n)
{
	for (; n; n = lyd_parent(n))
		if (n == anc)
			return true;
	return false;
}

/* Records a node created by the current statement. */
static int
ed_created(struct cfg_ed *ed, struct lyd_node *node)
{
	if (!undo_push(ed, U_CREATED, node))
		return -ENOMEM;
	if (ed->quiet || (ed->stmt_created && is_ancestor(ed->stmt_created, node)))
		return 0;
	if (!ed->stmt_created)
		ed->stmt_created = node;
	return ed_change(ed, CFG_CHG_CREATE, node);
}

/* ---- lookups ---- */

static struct lyd_node *
first_child(struct lyd_node *const *tree, struct lyd_node *parent)
{
	return parent ? lyd_child(parent) : *tree;
}

/* [k1='v1'][k2='v2'] into out; false when a value holds both quote
 * characters or it does not fit. */
static bool
key_predicate(char *out, size_t outlen, const struct cfg_sinfo *si, const char *const *vals)
{
	size_t len = 0;

	for (uint32_t k = 0; k < si->nkeys; k++) {
		const char *v = vals[k], *name = si->keys[k]->name;
		size_t vl = strlen(v), nl = strlen(name);
		char q = strchr(v, '\'') ? '"' : '\'';

		if (q == '"' && strchr(v, '"'))
			return false;
		if (len + nl + vl + 6 > outlen)
			return false;
		out[len++] = '[';
		memcpy(out + len, name, nl);
		len += nl;
		out[len++] = '=';
		out[len++] = q;
		memcpy(out + len, v, vl);
		len += vl;
		out[len++] = q;
		out[len++] = ']';
	}
	out[len] = '\0';
	return true;
}

static struct lyd_node *
find_entry(struct lyd_node *siblings, const struct lysc_node *sn, const struct cfg_sinfo *si,
    const char *const *vals)
{
	struct lyd_node *m = NULL;
	char pred[512];

	if (!siblings)
		return NULL;
	if (key_predicate(pred, sizeof(pred), si, vals)) {
		if (lyd_find_sibling_val(siblings, sn, pred, 0, &m) != LY_SUCCESS)
			m = NULL;
		return m;
	}
	/* Rare (long keys, both quotes): compare the keys one by one. */
	lyd_find_sibling_val(siblings, sn, NULL, 0, &m);
	for (; m && m->schema == sn; m = m->next) {
		struct lyd_node *k = lyd_child(m);
		uint32_t i;

		for (i = 0; i < si->nkeys && k; i++, k = k->next)
			if (lyd_value_compare(
			        (struct lyd_node_term *)k, vals[i], strlen(vals[i])) != LY_SUCCESS)
				break;
		if (i == si->nkeys)
			return m;
	}
	return NULL;
}

static struct lyd_node *
find_one(struct lyd_node *siblings, const struct lysc_node *sn, const char *value)
{
	struct lyd_node *m = NULL;

	if (!siblings)
		return NULL;
	if (lyd_find_sibling_val(siblings, sn, value, 0, &m) != LY_SUCCESS)
		return NULL;
	return m;
}

static bool
cache_key(char *key, size_t keylen, const struct cfg_walk *w, const struct cfg_step *st)
{
	size_t len = 0;

	key[0] = '\0';
	if (st->kind != CFG_STEP_ENTRY)
		return true;
	for (uint32_t i = 0; i < st->nv; i++) {
		const char *v = w->vals[st->v0 + i];
		size_t vl = strlen(v);

		if (len + vl + 2 > keylen)
			return false;
		if (i)
			key[len++] = '\x1f';
		memcpy(key + len, v, vl);
		len += vl;
		key[len] = '\0';
	}
	return true;
}

struct lyd_node *
cfg_ed_find(const struct cfg_schema *s, struct lyd_node *const *tree, struct lyd_node *parent,
    const struct cfg_walk *w, uint32_t nsteps)
{
	struct lyd_node *n = parent;

	for (uint32_t i = 0; i < nsteps; i++) {
		const struct cfg_step *st = &w->steps[i];
		struct lyd_node *sib = first_child(tree, n);

		switch (st->kind) {
		case CFG_STEP_ENTRY:
			n = find_entry(sib, st->sn, cfg_si(s, st->sn), &w->vals[st->v0]);
			break;
		case CFG_STEP_LEAFLIST:
			n = find_one(sib, st->sn, st->nv ? w->vals[st->v0] : NULL);
			break;
		default:
			n = find_one(sib, st->sn, NULL);
			break;
		}
		if (!n)
			return NULL;
	}
	return n;
}

/* ---- creation ---- */

static int
ly_fail(const struct cfg_schema *s, struct errbuf *err)
{
	const char *m = ly_errmsg(s->ctx);

	return errbuf_set(err, -EINVAL, "%s", m ? m : "invalid value");
}

/* libyang refused value v for sn: say why in Junos words when the type
 * explains it, else pass libyang's message on. */
static int
value_fail(struct cfg_ed *ed, const struct lysc_node *sn, const char *v, struct errbuf *err)
{
	const char *canon;
	struct errbuf tmp = { .msg = "" };
	int rc;

	errbuf_clear(&tmp);
	if ((rc = cfg_value_check(ed->s, sn, v, &canon, &tmp)) != 0)
		return errbuf_set(err, rc, "%s", tmp.msg);
	return ly_fail(ed->s, err);
}

static bool
schema_under(const struct lysc_node *sn, const struct lysc_node *anc, const struct lysc_node *stop)
{
	for (const struct lysc_node *p = sn->parent; p && p != stop; p = p->parent)
		if (p == anc)
			return true;
	return false;
}

/* A node of one case replaces the data of the choice's other cases. */
static int
clear_other_cases(struct cfg_ed *ed, struct lyd_node *parent, const struct lysc_node *sn)
{
	const struct lysc_node *dp = cfg_dparent(sn);
	int rc;

	for (const struct lysc_node *c = sn->parent; c && c != dp; c = c->parent) {
		const struct lysc_node *ch = c->parent;
		struct lyd_node *y, *next;

		if (c->nodetype != LYS_CASE)
			continue;
		for (y = first_child(ed->tree, parent); y; y = next) {
			next = y->next;
			if (schema_under(y->schema, ch, dp) && !schema_under(y->schema, c, dp)) {
				if ((rc = cfg_ed_remove(ed, y, !(y->flags & LYD_DEFAULT))) != 0)
					return rc;
			}
		}
	}
	return 0;
}

static int
new_inner(struct cfg_ed *ed, struct lyd_node *parent, const struct lysc_node *sn,
    struct lyd_node **out, struct errbuf *err)
{
	struct lyd_node *n = NULL;
	int rc;

	if (cfg_si(ed->s, sn)->in_choice && (rc = clear_other_cases(ed, parent, sn)) != 0)
		return rc;
	if (lyd_new_inner(parent, sn->module, sn->name, 0, &n) != LY_SUCCESS)
		return ly_fail(ed->s, err);
	if (!parent && ed_link(ed, NULL, n) != LY_SUCCESS) {
		lyd_free_tree(n);
		return ly_fail(ed->s, err);
	}
	*out = n;
	return ed_created(ed, n);
}

static int
new_entry(struct cfg_ed *ed, struct lyd_node *parent, const struct lysc_node *sn,
    const char *const *vals, struct lyd_node **out, struct errbuf *err)
{
	const struct cfg_sinfo *si = cfg_si(ed->s, sn);
	const char *k[CFG_MAX_KEYS] = { 0 };
	struct lyd_node *n = NULL;
	int rc;

	if (si->in_choice && (rc = clear_other_cases(ed, parent, sn)) != 0)
		return rc;
	for (uint32_t i = 0; i < si->nkeys; i++)
		k[i] = vals[i];
	if (lyd_new_list(parent, sn->module, sn->name, 0, &n, k[0], k[1], k[2], k[3], k[4], k[5],
	        k[6], k[7]) != LY_SUCCESS) {
		for (uint32_t i = 0; i < si->nkeys; i++) {
			const char *canon;
			struct errbuf tmp = { .msg = "" };

			errbuf_clear(&tmp);
			if (cfg_value_check(ed->s, si->keys[i], vals[i], &canon, &tmp) != 0) {
				ed->bad_val = (int)i;
				return errbuf_set(err, -EINVAL, "%s", tmp.msg);
			}
		}
		return ly_fail(ed->s, err);
	}
	if (!parent && ed_link(ed, NULL, n) != LY_SUCCESS) {
		lyd_free_tree(n);
		return ly_fail(ed->s, err);
	}
	*out = n;
	return ed_created(ed, n);
}

static int
new_term(struct cfg_ed *ed, struct lyd_node *parent, const struct lysc_node *sn, const char *v,
    struct lyd_node **out, struct errbuf *err)
{
	struct lyd_node *n = NULL;

	if (lyd_new_term(parent, sn->module, sn->name, v, 0, &n) != LY_SUCCESS)
		return value_fail(ed, sn, v, err);
	if (!parent && ed_link(ed, NULL, n) != LY_SUCCESS) {
		lyd_free_tree(n);
		return ly_fail(ed->s, err);
	}
	if (!undo_push(ed, U_CREATED, n))
		return -ENOMEM;
	*out = n;
	return 0;
}

/* The value to store for a typed one: secrets become $9$ strings. *enc
 * is set when the result was allocated. */
static int
store_value(
    struct cfg_ed *ed, const struct lysc_node *sn, const char *v, char **enc, struct errbuf *err)
{
	const char *canon;
	int rc;

	*enc = NULL;
	if ((cfg_snode_flags(sn) & (CFG_SN_SECRET | CFG_SN_HASHED)) != CFG_SN_SECRET ||
	    strncmp(v, CFG_SECRET_MAGIC, 3) == 0)
		return 0;
	if ((*enc = cfg_secret_encode(v, strlen(v))) == NULL)
		return errbuf_set(err, errno == ENOMEM ? -ENOMEM : -EINVAL,
		    "invalid secret (1..4096 characters)");
	/* The encoded form must fit the leaf's type (length). */
	if ((rc = cfg_value_check(ed->s, sn, *enc, &canon, err)) != 0) {
		free(*enc);
		*enc = NULL;
		errbuf_reset(err, rc, "secret too long");
	}
	return rc;
}

static int
set_leaf(struct cfg_ed *ed, struct lyd_node *parent, const struct cfg_step *st, const char *v,
    struct lyd_node **out, struct errbuf *err)
{
	struct lyd_node *old = find_one(first_child(ed->tree, parent), st->sn, NULL);
	struct lyd_node *n = NULL;
	bool was_default = old && (old->flags & LYD_DEFAULT);
	char *enc = NULL;
	int rc;

	if ((rc = store_value(ed, st->sn, v ? v : "", &enc, err)) != 0)
		return rc;
	if (enc)
		v = enc;
	if (old && !was_default &&
	    (!v || lyd_value_compare((struct lyd_node_term *)old, v, strlen(v)) == LY_SUCCESS)) {
		*out = old; /* unchanged */
		rc = 0;
		goto out;
	}
	if (!old && cfg_si(ed->s, st->sn)->in_choice &&
	    (rc = clear_other_cases(ed, parent, st->sn)) != 0)
		goto out;
	if (old && (rc = cfg_ed_remove(ed, old, false)) != 0)
		goto out;
	if ((rc = new_term(ed, parent, st->sn, v, &n, err)) != 0)
		goto out;
	*out = n;
	if (old && !was_default)
		rc = ed_change(ed, CFG_CHG_MODIFY, n);
	else if (!ed->quiet && (!ed->stmt_created || !is_ancestor(ed->stmt_created, n)))
		rc = ed_change(ed, CFG_CHG_CREATE, n);
out:
	free(enc);
	return rc;
}

static int
set_leaflist(struct cfg_ed *ed, struct lyd_node *parent, const struct cfg_walk *w,
    const struct cfg_step *st, struct lyd_node **out, struct errbuf *err)
{
	int rc = 0;

	if (st->nv && cfg_si(ed->s, st->sn)->in_choice &&
	    !find_one(first_child(ed->tree, parent), st->sn, NULL) &&
	    (rc = clear_other_cases(ed, parent, st->sn)) != 0)
		return rc;
	for (uint32_t i = 0; i < st->nv; i++) {
		const char *v = w->vals[st->v0 + i];
		struct lyd_node *n = find_one(first_child(ed->tree, parent), st->sn, v);

		if (n) {
			*out = n;
			continue;
		}
		if ((rc = new_term(ed, parent, st->sn, v, &n, err)) != 0) {
			ed->cvalid = false;
			ed->bad_val = (int)i;
			return rc;
		}
		*out = n;
		if (!ed->quiet && (!ed->stmt_created || !is_ancestor(ed->stmt_created, n)))
			if ((rc = ed_change(ed, CFG_CHG_CREATE, n)) != 0)
				return rc;
	}
	return 0;
}

int
cfg_ed_set(struct cfg_ed *ed, struct lyd_node *parent, const struct cfg_walk *w,
    struct lyd_node **out, struct cfg_errpos *pos, struct errbuf *err)
{
	struct lyd_node *n = parent, *dummy;
	uint32_t i = 0;
	int rc = 0;

	if (!out)
		out = &dummy;
	*out = parent;
	ed->stmt_created = NULL;
	ed->bad_val = -1;
	/* Reuse the nodes of the previous statement's path while it matches. */
	if (ed->cvalid && ed->cstart == parent) {
		for (; i < w->nsteps && i < ed->cn; i++) {
			const struct cfg_step *st = &w->steps[i];
			char key[sizeof(ed->c[0].key)];

			if (st->kind != CFG_STEP_CONT && st->kind != CFG_STEP_ENTRY)
				break;
			if (ed->c[i].sn != st->sn || !cache_key(key, sizeof(key), w, st) ||
			    strcmp(key, ed->c[i].key) != 0)
				break;
			n = ed->c[i].node;
		}
	} else {
		ed->cvalid = true;
		ed->cstart = parent;
	}
	ed->cn = i;
	for (; i < w->nsteps; i++) {
		const struct cfg_step *st = &w->steps[i];
		struct lyd_node *sib = first_child(ed->tree, n), *m = NULL;
		const struct cfg_sinfo *si = cfg_si(ed->s, st->sn);

		switch (st->kind) {
		case CFG_STEP_CONT:
			m = find_one(sib, st->sn, NULL);
			if (!m)
				rc = new_inner(ed, n, st->sn, &m, err);
			break;
		case CFG_STEP_ENTRY:
			m = find_entry(sib, st->sn, si, &w->vals[st->v0]);
			if (!m)
				rc = new_entry(ed, n, st->sn, &w->vals[st->v0], &m, err);
			break;
		case CFG_STEP_LIST:
			/* A grouped block's list keyword: stay at its parent. */
			if (i + 1 != w->nsteps || st->nv) {
				cfg_errpos_tok(pos, st->tok);
				return errbuf_set(err, -EINVAL, "missing argument.");
			}
			*out = n;
			return 0;
		case CFG_STEP_LEAF:
			rc = set_leaf(ed, n, st, st->nv ? w->vals[st->v0] : NULL, &m, err);
			break;
		case CFG_STEP_LEAFLIST:
			rc = set_leaflist(ed, n, w, st, &m, err);
			break;
		}
		if (rc != 0) {
			const struct cfg_tok *t = ed->bad_val >= 0 && (uint32_t)ed->bad_val < st->nv
			                              ? w->vtok[st->v0 + (uint32_t)ed->bad_val]
			                          : st->nv ? w->vtok[st->v0]
			                                   : st->tok;

			ed->cvalid = false;
			cfg_errpos_tok(pos, t);
			return rc;
		}
		if ((st->kind == CFG_STEP_CONT || st->kind == CFG_STEP_ENTRY) && ed->cvalid &&
		    ed->cn == i && i < CFG_MAX_DEPTH) {
			ed->c[i].sn = st->sn;
			ed->c[i].node = m;
			if (cache_key(ed->c[i].key, sizeof(ed->c[i].key), w, st))
				ed->cn = i + 1;
		}
		n = m;
	}
	*out = n;
	return 0;
}

/* ---- delete ---- */

/* Empty non-presence containers left by a delete go too. */
static int
prune_empty(struct cfg_ed *ed, struct lyd_node *p)
{
	int rc;

	while (p && lysc_is_np_cont(p->schema) && !lyd_child(p)) {
		struct lyd_node *up = lyd_parent(p);

		if ((rc = cfg_ed_remove(ed, p, false)) != 0)
			return rc;
		p = up;
	}
	return 0;
}

static int
remove_instances(struct cfg_ed *ed, struct lyd_node *first, const struct lysc_node *sn, bool *found)
{
	int rc;

	for (struct lyd_node *m = first, *next; m && m->schema == sn; m = next) {
		next = m->next;
		if (m->flags & LYD_DEFAULT)
			continue;
		*found = true;
		if ((rc = cfg_ed_remove(ed, m, true)) != 0)
			return rc;
	}
	return 0;
}

int
cfg_ed_delete(
    struct cfg_ed *ed, struct lyd_node *parent, const struct cfg_walk *w, struct errbuf *err)
{
	const struct cfg_step *st = w->nsteps ? &w->steps[w->nsteps - 1] : NULL;
	struct lyd_node *p, *m, *up;
	bool found = false;
	int rc = 0;

	ed->cvalid = false;
	if (!st) {
		/* delete alone: everything at this level. */
		for (m = first_child(ed->tree, parent); m; m = up) {
			up = m->next;
			if (lysc_is_key(m->schema) || !cfg_has_content(m))
				continue;
			found = true;
			if ((rc = cfg_ed_remove(ed, m, true)) != 0)
				return rc;
		}
		goto out;
	}
	p = w->nsteps > 1 ? cfg_ed_find(ed->s, ed->tree, parent, w, w->nsteps - 1) : parent;
	if (w->nsteps > 1 && !p)
		goto out;
	switch (st->kind) {
	case CFG_STEP_CONT:
	case CFG_STEP_ENTRY:
		m = st->kind == CFG_STEP_CONT ? find_one(first_child(ed->tree, p), st->sn, NULL)
		                              : find_entry(first_child(ed->tree, p), st->sn,
		                                    cfg_si(ed->s, st->sn), &w->vals[st->v0]);
		if (m && cfg_has_content(m)) {
			found = true;
			rc = cfg_ed_remove(ed, m, true);
		}
		break;
	case CFG_STEP_LIST:
		m = find_one(first_child(ed->tree, p), st->sn, NULL);
		rc = remove_instances(ed, m, st->sn, &found);
		break;
	case CFG_STEP_LEAF:
		m = find_one(first_child(ed->tree, p), st->sn, NULL);
		if (!m || (m->flags & LYD_DEFAULT))
			break;
		if (st->nv && !(cfg_snode_flags(st->sn) & CFG_SN_SECRET) &&
		    lyd_value_compare((struct lyd_node_term *)m, w->vals[st->v0],
		        strlen(w->vals[st->v0])) != LY_SUCCESS)
			break;
		found = true;
		rc = cfg_ed_remove(ed, m, true);
		break;
	case CFG_STEP_LEAFLIST:
		if (st->nv == 0) {
			m = find_one(first_child(ed->tree, p), st->sn, NULL);
			rc = remove_instances(ed, m, st->sn, &found);
			break;
		}
		found = true;
		for (uint32_t i = 0; i < st->nv && rc == 0; i++) {
			m = find_one(first_child(ed->tree, p), st->sn, w->vals[st->v0 + i]);
			if (!m) {
				found = false;
				continue;
			}
			rc = cfg_ed_remove(ed, m, true);
		}
		break;
	}
	if (rc == 0 && p)
		rc = prune_empty(ed, p);
out:
	if (rc == 0 && !found)
		rc = cfg_ed_warn(ed, "warning: statement not found");
	if (rc == -ENOMEM)
		errbuf_set(err, rc, "out of memory");
	return rc;
}

/* ---- the batch: one command per line ---- */

enum line_cmd {
	CMD_SET,
	CMD_DELETE,
	CMD_RENAME,
	CMD_COPY,
	CMD_INSERT,
	CMD_EDIT,
	CMD_TOP,
	CMD_UP,
	CMD_ACTIVATE,
	CMD_DEACTIVATE,
	CMD_COUNT
};

static const char *const cmd_names[CMD_COUNT] = {
	[CMD_SET] = "set",
	[CMD_DELETE] = "delete",
	[CMD_RENAME] = "rename",
	[CMD_COPY] = "copy",
	[CMD_INSERT] = "insert",
	[CMD_EDIT] = "edit",
	[CMD_TOP] = "top",
	[CMD_UP] = "up",
	[CMD_ACTIVATE] = "activate",
	[CMD_DEACTIVATE] = "deactivate",
};

struct batch {
	const struct cfg_schema *s;
	struct cfg_ed ed;
	struct cfg_toks ptv; /* the current edit path's tokens (line 0) */
	struct cfg_toks tv;  /* the line's tokens */
	struct cfg_walk w;
	char *path; /* current edit path (canonical) */
	struct cfg_errpos *pos;
	struct errbuf *err;
};

static int
line_cmd(const struct cfg_tok *t, enum line_cmd *cmd, struct batch *b)
{
	int hit = -1, nhit = 0;

	for (int i = 0; i < CMD_COUNT; i++) {
		if (strcmp(cmd_names[i], t->s) == 0) {
			*cmd = (enum line_cmd)i;
			return 0;
		}
		if (t->len && strncmp(cmd_names[i], t->s, t->len) == 0) {
			hit = i;
			nhit++;
		}
	}
	cfg_errpos_tok(b->pos, t);
	if (nhit == 1 && !t->quoted) {
		*cmd = (enum line_cmd)hit;
		return 0;
	}
	if (nhit > 1)
		return errbuf_set(b->err, -EINVAL, "'%s' is ambiguous.", t->s);
	return errbuf_set(b->err, -EINVAL, "syntax error, expecting a configuration command.");
}

/* Walks the edit path, then ntoks tokens of the line (validated). */
static int
walk_line(struct batch *b, const struct cfg_tok *toks, size_t ntoks, unsigned flags)
{
	int rc;

	cfg_walk_reset(&b->w, CFG_W_NODE, NULL);
	if ((rc = cfg_walk_run(&b->w, b->ptv.v, b->ptv.n, 0, b->err)) != 0) {
		cfg_errpos_tok(b->pos, NULL);
		return rc;
	}
	if ((rc = cfg_walk_run(&b->w, toks, ntoks, flags, b->err)) != 0 && !b->w.cb_failed)
		cfg_errpos_tok(b->pos, b->w.errtok);
	return rc;
}

static int
missing(struct batch *b)
{
	cfg_errpos_end(b->pos, b->tv.v, b->tv.n);
	return errbuf_set(b->err, -EINVAL, "missing argument.");
}

/* Statement incomplete for cmd: "missing argument." or "syntax error.". */
static int
incomplete(struct batch *b)
{
	return missing(b);
}

/* A statement of a set line that another one follows. */
static int
stmt_set(struct cfg_walk *w, void *arg)
{
	struct batch *b = arg;

	return cfg_ed_set(&b->ed, NULL, w, NULL, b->pos, b->err);
}

static int
stmt_delete(struct cfg_walk *w, void *arg)
{
	struct batch *b = arg;

	return cfg_ed_delete(&b->ed, NULL, w, b->err);
}

/* set/delete: one or more statements (CFG_WALK_MULTI), each applied as
 * it ends; the last one must be complete for cmd. */
static int
edit_stmts(struct batch *b, const struct cfg_tok *toks, size_t n, enum cfg_cmd cmd)
{
	int rc;

	b->w.stmt_cb = cmd == CFG_CMD_SET ? stmt_set : stmt_delete;
	b->w.stmt_arg = b;
	rc = walk_line(b, toks, n,
	    (cmd == CFG_CMD_SET ? CFG_WALK_LAZY : CFG_WALK_VALIDATE | CFG_WALK_DELETE) |
	        CFG_WALK_MULTI);
	b->w.stmt_cb = NULL;
	b->w.stmt_arg = NULL;
	if (rc != 0)
		return rc;
	if (!cfg_walk_complete(&b->w, cmd))
		return incomplete(b);
	if (cmd == CFG_CMD_SET)
		return cfg_ed_set(&b->ed, NULL, &b->w, NULL, b->pos, b->err);
	return cfg_ed_delete(&b->ed, NULL, &b->w, b->err);
}

static int
set_path(struct batch *b, uint32_t nsteps)
{
	struct buf t = BUF_INIT;
	struct errbuf tmp = { .msg = "" };

	for (uint32_t i = 0; i < nsteps; i++) {
		if (i)
			buf_putc(&t, ' ');
		cfg_step_words(&t, &b->w, &b->w.steps[i]);
	}
	if (buf_failed(&t)) {
		buf_free(&t);
		return errbuf_set(b->err, -ENOMEM, "out of memory");
	}
	free(b->path);
	b->path = t.p ? buf_steal(&t) : strdup("");
	if (!b->path)
		return errbuf_set(b->err, -ENOMEM, "out of memory");
	cfg_toks_reset(&b->ptv);
	errbuf_clear(&tmp);
	if (cfg_lex_line(b->path, strlen(b->path), &b->ptv, NULL, &tmp) != 0)
		return errbuf_set(b->err, -EINVAL, "edit path: %s", tmp.msg);
	for (size_t i = 0; i < b->ptv.n; i++)
		b->ptv.v[i].line = 0;
	return 0;
}

/* Index of the first unquoted word in toks[from..] equal to one of words
 * after which the walk is at a list entry (or a leaf-list value when
 * allow_ll); SIZE_MAX if none. */
static size_t
split_at(
    struct batch *b, const struct cfg_tok *toks, size_t n, const char *const *words, bool allow_ll)
{
	struct errbuf tmp = { .msg = "" };

	for (size_t i = 1; i < n; i++) {
		bool hit = false;

		if (toks[i].type != CFG_TOK_WORD || toks[i].quoted)
			continue;
		for (const char *const *wd = words; *wd; wd++)
			hit |= strcmp(toks[i].s, *wd) == 0;
		if (!hit)
			continue;
		errbuf_clear(&tmp);
		cfg_walk_reset(&b->w, CFG_W_NODE, NULL);
		if (cfg_walk_run(&b->w, b->ptv.v, b->ptv.n, 0, &tmp) != 0 ||
		    cfg_walk_run(&b->w, toks, i, CFG_WALK_VALIDATE, &tmp) != 0)
			continue;
		if (b->w.state == CFG_W_NODE && b->w.nsteps &&
		    b->w.steps[b->w.nsteps - 1].kind == CFG_STEP_ENTRY)
			return i;
		if (allow_ll && b->w.state == CFG_W_DONE &&
		    b->w.steps[b->w.nsteps - 1].kind == CFG_STEP_LEAFLIST &&
		    b->w.steps[b->w.nsteps - 1].nv == 1)
			return i;
	}
	return SIZE_MAX;
}

/* Reports why toks is not an entry path followed by one of the words. */
static int
split_error(struct batch *b, const struct cfg_tok *toks, size_t n, const char *what)
{
	int rc;

	if ((rc = walk_line(b, toks, n, CFG_WALK_VALIDATE)) != 0)
		return rc;
	if (b->w.state == CFG_W_NODE && b->w.nsteps &&
	    b->w.steps[b->w.nsteps - 1].kind == CFG_STEP_ENTRY)
		return missing(b);
	if (b->w.state == CFG_W_KEYS || b->w.state == CFG_W_VALUE || b->w.state == CFG_W_LLVALUE)
		return missing(b);
	cfg_errpos_tok(b->pos, b->w.nsteps ? b->w.steps[b->w.nsteps - 1].tok : NULL);
	return errbuf_set(
	    b->err, -EINVAL, "syntax error, expecting a list entry before '%s'.", what);
}

/*
 * The keys after "to"/"before"/"after": [keyword] key..., for list sn.
 * vals gets nkeys pointers into toks (canonical enum names).
 */
static int
target_keys(struct batch *b, const struct lysc_node *sn, const struct cfg_tok *toks, size_t n,
    const char **vals)
{
	const struct cfg_sinfo *si = cfg_si(b->s, sn);
	size_t at = 0;
	int rc;

	/* The list keyword is optional: "to gateway b" or "to b". */
	if (n > (size_t)si->nkeys && toks[0].type == CFG_TOK_WORD && !toks[0].quoted &&
	    toks[0].len && strncmp(sn->name, toks[0].s, toks[0].len) == 0)
		at = 1;
	if (n < at + si->nkeys) {
		cfg_errpos_end(b->pos, b->tv.v, b->tv.n);
		return errbuf_set(b->err, -EINVAL, "missing argument.");
	}
	if (n > at + si->nkeys) {
		cfg_errpos_tok(b->pos, &toks[at + si->nkeys]);
		return errbuf_set(b->err, -EINVAL, "syntax error.");
	}
	for (uint32_t k = 0; k < si->nkeys; k++) {
		const struct cfg_tok *t = &toks[at + k];

		if (t->type != CFG_TOK_WORD) {
			cfg_errpos_tok(b->pos, t);
			return errbuf_set(b->err, -EINVAL, "syntax error.");
		}
		if ((rc = cfg_value_check(b->s, si->keys[k], t->s, &vals[k], b->err)) != 0) {
			cfg_errpos_tok(b->pos, t);
			return rc;
		}
	}
	return 0;
}

static int
not_found(struct batch *b, const struct cfg_tok *t)
{
	cfg_errpos_tok(b->pos, t);
	return errbuf_set(b->err, -EINVAL, "statement not found.");
}

/* rename/copy <entry> to [keyword] keys */
static int
do_rename(struct batch *b, const struct cfg_tok *toks, size_t n, bool copy)
{
	static const char *const to[] = { "to", NULL };
	const char *keys[CFG_MAX_KEYS] = { 0 };
	const struct cfg_step *st;
	struct lyd_node *old, *parent, *nw = NULL, *dup = NULL;
	size_t at = split_at(b, toks, n, to, false);
	int rc;

	if (at == SIZE_MAX)
		return split_error(b, toks, n, "to");
	st = &b->w.steps[b->w.nsteps - 1];
	if ((rc = target_keys(b, st->sn, toks + at + 1, n - at - 1, keys)) != 0)
		return rc;
	if ((old = cfg_ed_find(b->s, b->ed.tree, NULL, &b->w, b->w.nsteps)) == NULL)
		return not_found(b, b->w.vtok[st->v0 + st->nv - 1]);
	parent = lyd_parent(old);
	if (find_entry(first_child(b->ed.tree, parent), st->sn, cfg_si(b->s, st->sn), keys)) {
		cfg_errpos_tok(b->pos, &toks[n - 1]);
		return errbuf_set(b->err, -EINVAL, "statement already exists.");
	}
	b->ed.stmt_created = NULL;
	b->ed.cvalid = false;
	if ((rc = new_entry(&b->ed, parent, st->sn, keys, &nw, b->err)) != 0) {
		cfg_errpos_tok(b->pos, &toks[n - 1]);
		return rc;
	}
	if (lyd_child_no_keys(old) &&
	    lyd_dup_siblings(lyd_child_no_keys(old), (struct lyd_node_inner *)nw,
	        LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &dup) != LY_SUCCESS)
		return ly_fail(b->s, b->err);
	if (lysc_is_userordered(st->sn) && lyd_insert_after(old, nw) != LY_SUCCESS)
		return ly_fail(b->s, b->err);
	if (!copy)
		return cfg_ed_remove(&b->ed, old, true);
	return 0;
}

/* insert <entry> before|after [keyword] keys; insert <ll> v before|after v */
static int
do_insert(struct batch *b, const struct cfg_tok *toks, size_t n)
{
	static const char *const ba[] = { "before", "after", NULL };
	const struct cfg_step *st;
	struct lyd_node *node, *ref, *parent;
	struct cfg_undo *u;
	size_t at = split_at(b, toks, n, ba, true);
	bool before;
	int rc;

	if (at == SIZE_MAX)
		return split_error(b, toks, n, "before' or 'after");
	before = strcmp(toks[at].s, "before") == 0;
	st = &b->w.steps[b->w.nsteps - 1];
	if (!lysc_is_userordered(st->sn)) {
		cfg_errpos_tok(b->pos, st->tok);
		return errbuf_set(b->err, -EINVAL, "'%s' is not an ordered list.", st->sn->name);
	}
	if ((node = cfg_ed_find(b->s, b->ed.tree, NULL, &b->w, b->w.nsteps)) == NULL)
		return not_found(b, st->nv ? b->w.vtok[st->v0 + st->nv - 1] : st->tok);
	parent = lyd_parent(node);
	if (st->kind == CFG_STEP_ENTRY) {
		const char *keys[CFG_MAX_KEYS] = { 0 };

		if ((rc = target_keys(b, st->sn, toks + at + 1, n - at - 1, keys)) != 0)
			return rc;
		ref =
		    find_entry(first_child(b->ed.tree, parent), st->sn, cfg_si(b->s, st->sn), keys);
	} else {
		const char *v;

		if (n - at - 1 != 1 || toks[at + 1].type != CFG_TOK_WORD) {
			if (n - at - 1 == 0)
				return missing(b);
			cfg_errpos_tok(b->pos, &toks[at + 1]);
			return errbuf_set(b->err, -EINVAL, "syntax error.");
		}
		if ((rc = cfg_value_check(b->s, st->sn, toks[at + 1].s, &v, b->err)) != 0) {
			cfg_errpos_tok(b->pos, &toks[at + 1]);
			return rc;
		}
		ref = find_one(first_child(b->ed.tree, parent), st->sn, v);
	}
	if (!ref)
		return not_found(b, &toks[n - 1]);
	if (ref == node)
		return 0;
	if ((u = undo_push(&b->ed, U_MOVED, node)) == NULL)
		return errbuf_set(b->err, -ENOMEM, "out of memory");
	u->parent = parent;
	u->next = node->next && node->next->schema == node->schema ? node->next : NULL;
	if ((before ? lyd_insert_before(ref, node) : lyd_insert_after(ref, node)) != LY_SUCCESS)
		return ly_fail(b->s, b->err);
	b->ed.cvalid = false;
	return ed_change(&b->ed, CFG_CHG_MODIFY, node);
}

static int
do_line(struct batch *b)
{
	const struct cfg_tok *toks = b->tv.v + 1;
	size_t n = b->tv.n - 1;
	enum line_cmd cmd = CMD_SET;
	int rc;

	if (b->tv.v[0].type != CFG_TOK_WORD) {
		cfg_errpos_tok(b->pos, &b->tv.v[0]);
		return errbuf_set(b->err, -EINVAL, "syntax error.");
	}
	if ((rc = line_cmd(&b->tv.v[0], &cmd, b)) != 0)
		return rc;
	switch (cmd) {
	case CMD_SET:
		/* Values are checked by libyang as they are stored (once). */
		return edit_stmts(b, toks, n, CFG_CMD_SET);
	case CMD_DELETE:
		return edit_stmts(b, toks, n, CFG_CMD_DELETE);
	case CMD_EDIT:
		if ((rc = walk_line(b, toks, n, CFG_WALK_VALIDATE)) != 0)
			return rc;
		if (b->w.state != CFG_W_NODE)
			return b->w.state == CFG_W_KEYS
			           ? missing(b)
			           : (cfg_errpos_tok(b->pos, b->w.steps[b->w.nsteps - 1].tok),
			                 errbuf_set(b->err, -EINVAL, "syntax error."));
		return set_path(b, b->w.nsteps);
	case CMD_TOP:
	case CMD_UP: {
		unsigned long up = cmd == CMD_TOP ? ~0UL : 1;
		char *end;

		if (cmd == CMD_UP && n == 1) {
			up = strtoul(toks[0].s, &end, 10);
			if (*end || up == 0) {
				cfg_errpos_tok(b->pos, &toks[0]);
				return errbuf_set(b->err, -EINVAL, "syntax error.");
			}
		} else if (n > 0) {
			cfg_errpos_tok(b->pos, &toks[0]);
			return errbuf_set(b->err, -EINVAL, "syntax error.");
		}
		if ((rc = walk_line(b, toks, 0, CFG_WALK_VALIDATE)) != 0)
			return rc;
		return set_path(b, up >= b->w.nsteps ? 0 : b->w.nsteps - (uint32_t)up);
	}
	case CMD_RENAME:
	case CMD_COPY:
		return do_rename(b, toks, n, cmd == CMD_COPY);
	case CMD_INSERT:
		return do_insert(b, toks, n);
	case CMD_ACTIVATE:
	case CMD_DEACTIVATE:
	default:
		cfg_errpos_tok(b->pos, &b->tv.v[0]);
		return errbuf_set(b->err, -EINVAL,
		    "'%s' is not supported: Cairn keeps no inactive configuration.",
		    cmd_names[cmd]);
	}
}

int
cfg_edit_lines(const struct cfg_schema *s, struct lyd_node **tree, const char *edit_path,
    const char *text, size_t len, unsigned flags, struct cfg_result *res, struct cfg_errpos *pos,
    struct errbuf *err)
{
	struct cfg_errpos dummy;
	struct batch b;
	size_t off = 0;
	unsigned lineno = 0;
	int rc = 0;

	if (!pos)
		pos = &dummy;
	pos->line = pos->col = 0;
	memset(&b, 0, sizeof(b));
	b.s = s;
	b.pos = pos;
	b.err = err;
	cfg_toks_init(&b.ptv);
	cfg_toks_init(&b.tv);
	cfg_walk_init(&b.w, s);
	cfg_ed_init(&b.ed, s, tree, res, flags);
	if (edit_path && *edit_path) {
		if ((rc = cfg_lex_line(edit_path, strlen(edit_path), &b.ptv, NULL, err)) != 0)
			goto out;
		for (size_t i = 0; i < b.ptv.n; i++)
			b.ptv.v[i].line = 0;
		if ((rc = walk_line(&b, NULL, 0, 0)) != 0 || (rc = set_path(&b, b.w.nsteps)) != 0)
			goto out;
	} else if ((b.path = strdup("")) == NULL) {
		rc = errbuf_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	while (off < len && rc == 0) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - line) : len - off;
		size_t i = 0;

		off += llen + (nl ? 1 : 0);
		lineno++;
		b.ed.line = lineno;
		while (i < llen && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
			i++;
		if (i == llen || line[i] == '#')
			continue;
		cfg_toks_reset(&b.tv);
		if ((rc = cfg_lex_line(line, llen, &b.tv, pos, err)) != 0) {
			pos->line = lineno;
			break;
		}
		if (b.tv.n == 0)
			continue;
		rc = do_line(&b);
		if (rc != 0 && pos->line != 0)
			pos->line = lineno;
	}
	if (rc == 0 && res && edit_path && strcmp(b.path, edit_path) != 0) {
		free(res->edit_path);
		if ((res->edit_path = strdup(b.path)) == NULL)
			rc = errbuf_set(err, -ENOMEM, "out of memory");
	} else if (rc == 0 && res && !edit_path && *b.path) {
		free(res->edit_path);
		if ((res->edit_path = strdup(b.path)) == NULL)
			rc = errbuf_set(err, -ENOMEM, "out of memory");
	}
out:
	if (rc == -ENOMEM)
		errbuf_set(err, rc, "out of memory");
	cfg_ed_finish(&b.ed, rc == 0);
	cfg_walk_fini(&b.w);
	cfg_toks_fini(&b.tv);
	cfg_toks_fini(&b.ptv);
	free(b.path);
	return rc;
}
