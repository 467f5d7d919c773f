/* SPDX-License-Identifier: MIT */
/*
 * sval: incremental validation (see sval.h for what is checked).
 *
 * At start the configuration schema is indexed once: for every schema
 * node the must expressions that read it (lys_find_expr_atoms()), and for
 * every leafref target the leafrefs pointing at it. A validation then
 * walks the commit's diff, collects the nodes to check, and checks them
 * in libyang's order: choice cases and defaults, leafrefs, then musts
 * and mandatory nodes.
 */
#include "sval.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ydiff.h"
#include "banned.h"

/* ---- a small pointer-keyed multimap ---- */

struct pvec {
	const void **v;
	size_t n, cap;
};

struct pmap {
	const void **keys;
	struct pvec *vals;
	size_t cap, n;
};

static int
pvec_add(struct pvec *pv, const void *p)
{
	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 8;
		const void **nv = realloc(pv->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		pv->v = nv;
		pv->cap = cap;
	}
	pv->v[pv->n++] = p;
	return 0;
}

static size_t
phash(const void *p, size_t cap)
{
	uintptr_t x = (uintptr_t)p;

	x ^= x >> 17;
	x *= 0xed5ad4bbu;
	x ^= x >> 11;
	return (size_t)x & (cap - 1);
}

static struct pvec *
pmap_get(const struct pmap *m, const void *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = phash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return NULL;
		if (m->keys[i] == key)
			return &m->vals[i];
	}
}

static int
pmap_add(struct pmap *m, const void *key, const void *val)
{
	size_t i, j;

	if ((m->n + 1) * 2 > m->cap) {
		struct pmap nm = { NULL, NULL, m->cap ? m->cap * 2 : 64, 0 };
		nm.keys = calloc(nm.cap, sizeof(*nm.keys));
		nm.vals = calloc(nm.cap, sizeof(*nm.vals));
		if (!nm.keys || !nm.vals) {
			free(nm.keys);
			free(nm.vals);
			return -ENOMEM;
		}
		for (j = 0; j < m->cap; j++) {
			if (!m->keys[j])
				continue;
			for (i = phash(m->keys[j], nm.cap); nm.keys[i]; i = (i + 1) & (nm.cap - 1))
				;
			nm.keys[i] = m->keys[j];
			nm.vals[i] = m->vals[j];
			nm.n++;
		}
		free(m->keys);
		free(m->vals);
		*m = nm;
	}
	for (i = phash(key, m->cap); m->keys[i] && m->keys[i] != key; i = (i + 1) & (m->cap - 1))
		;
	if (!m->keys[i]) {
		m->keys[i] = key;
		m->n++;
	}
	return pvec_add(&m->vals[i], val);
}

static void
pmap_free(struct pmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->vals[i].v);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- schema index ---- */

struct mref {
	const struct lysc_node *holder;
	const struct lysc_must *must;
	bool monotone;
};

struct sval {
	const struct ly_ctx *ctx;
	bool unusable;
	struct mref *mrefs;
	size_t nmrefs, capmrefs;
	struct pmap atoms;   /* schema → struct mref * reading it */
	struct pmap targets; /* leafref target schema → leafref schema nodes */
	struct pmap lref;    /* leafref schema → its target (when unique) */
	/* the last validation */
	char *err_path, *err_msg;
	char **autodel;
	size_t nautodel;
};

/* A must that is one location path (no operator, no function but a
 * leading current()) is true iff its node-set is not empty. */
static bool
is_location_path(const char *e)
{
	int depth = 0;
	char q = 0;

	while (*e == ' ')
		e++;
	if (!strncmp(e, "current()", 9))
		e += 9;
	for (; *e; e++) {
		if (q) {
			if (*e == q)
				q = 0;
			continue;
		}
		if (depth) {
			if (*e == '\'' || *e == '"')
				q = *e;
			else if (*e == '[')
				depth++;
			else if (*e == ']')
				depth--;
			continue;
		}
		if (*e == '[') {
			depth++;
			continue;
		}
		if (!((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') ||
		        (*e >= '0' && *e <= '9') || *e == '_' || *e == '-' || *e == '.' ||
		        *e == ':' || *e == '/'))
			return false;
	}
	return depth == 0 && !q;
}

static const struct lysc_type *
leafref_type(const struct lysc_node *s)
{
	const struct lysc_type *t;
	LY_ARRAY_COUNT_TYPE u;

	if (!(s->nodetype & LYD_NODE_TERM))
		return NULL;
	t = ((const struct lysc_node_leaf *)s)->type;
	if (t->basetype == LY_TYPE_LEAFREF)
		return t;
	if (t->basetype == LY_TYPE_UNION) {
		const struct lysc_type_union *un = (const struct lysc_type_union *)t;
		LY_ARRAY_FOR(un->types, u)
		{
			if (un->types[u]->basetype == LY_TYPE_LEAFREF)
				return un->types[u];
		}
	}
	return NULL;
}

static int
index_node(struct sval *v, const struct lysc_node *s)
{
	const struct lysc_must *musts;
	const struct lysc_type *t;
	struct ly_set *atoms = NULL;
	const struct lysc_node *target = NULL;
	LY_ARRAY_COUNT_TYPE u;
	uint32_t i;
	int rc = 0;

	if (s->flags & LYS_CONFIG_R)
		return 0;
	if (lysc_node_when(s))
		v->unusable = true;
	if (s->nodetype == LYS_LIST && ((const struct lysc_node_list *)s)->uniques)
		v->unusable = true;
	if ((s->nodetype & LYD_NODE_TERM) &&
	    ((const struct lysc_node_leaf *)s)->type->basetype == LY_TYPE_INST)
		v->unusable = true;
	musts = lysc_node_musts(s);
	LY_ARRAY_FOR(musts, u)
	{
		struct mref *mr;

		if (v->nmrefs == v->capmrefs) {
			/* mrefs are referenced by pointer: allocate them up front */
			v->unusable = true;
			return 0;
		}
		mr = &v->mrefs[v->nmrefs++];
		mr->holder = s;
		mr->must = &musts[u];
		mr->monotone = is_location_path(lyxp_get_expr(musts[u].cond));
		if (lys_find_expr_atoms(
		        s, s->module, musts[u].cond, musts[u].prefixes, 0, &atoms) != LY_SUCCESS) {
			v->unusable = true;
			continue;
		}
		for (i = 0; i < atoms->count && rc == 0; i++)
			rc = pmap_add(&v->atoms, atoms->snodes[i], mr);
		ly_set_free(atoms, NULL);
		atoms = NULL;
	}
	t = leafref_type(s);
	if (t) {
		const struct lysc_type_leafref *lr = (const struct lysc_type_leafref *)t;
		unsigned nterm = 0;

		if (lys_find_expr_atoms(s, s->module, lr->path, lr->prefixes, 0, &atoms) !=
		    LY_SUCCESS) {
			v->unusable = true;
			return rc;
		}
		for (i = 0; i < atoms->count && rc == 0; i++) {
			const struct lysc_node *a = atoms->snodes[i];
			if (a == s || !(a->nodetype & LYD_NODE_TERM))
				continue;
			nterm++;
			target = a;
			rc = pmap_add(&v->targets, a, s);
		}
		ly_set_free(atoms, NULL);
		if (nterm == 1 && rc == 0)
			rc = pmap_add(&v->lref, s, target);
	}
	return rc;
}

static int
index_subtree(struct sval *v, const struct lysc_node *root)
{
	const struct lysc_node *s;
	int rc = 0;

	LYSC_TREE_DFS_BEGIN(root, s)
	{
		if (rc == 0)
			rc = index_node(v, s);
		LYSC_TREE_DFS_END(root, s);
	}
	return rc;
}

struct sval *
sval_new(const struct ly_ctx *ctx)
{
	const struct lys_module *mod;
	const struct lysc_node *top;
	struct sval *v = calloc(1, sizeof(*v));
	uint32_t idx = 0;

	if (!v)
		return NULL;
	v->ctx = ctx;
	v->capmrefs = 4096;
	v->mrefs = calloc(v->capmrefs, sizeof(*v->mrefs));
	if (!v->mrefs)
		goto fail;
	while ((mod = ly_ctx_get_module_iter(ctx, &idx)) != NULL) {
		if (!mod->implemented || !mod->compiled)
			continue;
		LY_LIST_FOR(mod->compiled->data, top)
		{
			if (index_subtree(v, top) < 0)
				goto fail;
		}
	}
	return v;
fail:
	sval_free(v);
	return NULL;
}

static void
clear_last(struct sval *v)
{
	size_t i;

	free(v->err_path);
	free(v->err_msg);
	v->err_path = v->err_msg = NULL;
	for (i = 0; i < v->nautodel; i++)
		free(v->autodel[i]);
	free(v->autodel);
	v->autodel = NULL;
	v->nautodel = 0;
}

void
sval_free(struct sval *v)
{
	if (!v)
		return;
	clear_last(v);
	pmap_free(&v->atoms);
	pmap_free(&v->targets);
	pmap_free(&v->lref);
	free(v->mrefs);
	free(v);
}

bool
sval_usable(const struct sval *v)
{
	return v && !v->unusable;
}

void
sval_error(const struct sval *v, const char **path, const char **msg)
{
	*path = v->err_path;
	*msg = v->err_msg;
}

size_t
sval_autodeleted(const struct sval *v, char *const **paths)
{
	*paths = v->autodel;
	return v->nautodel;
}

/* ---- one validation ---- */

struct work {
	struct sval *v;
	struct lyd_node **tree;
	struct pvec mand;    /* inner data nodes: mandatory, counts, cases */
	struct pvec mandtop; /* modules: top-level mandatory checks */
	struct pvec lrefs;   /* leafref instances to resolve */
	struct pvec evals;   /* pairs: data node, struct mref * */
	struct pvec delrefs; /* pairs: target schema, value (strdup) */
	struct pvec created; /* created data nodes (LYD_NEW cleared at the end) */
	int rc;
};

static int fail(struct work *w, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct work *w, const char *path, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	if (w->v->err_msg)
		return w->rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->v->err_msg = strdup(msg);
	w->v->err_path = path ? strdup(path) : NULL;
	w->rc = -EINVAL;
	return w->rc;
}

/* libyang's own error for the current context error, as ours. */
static int
fail_ly(struct work *w)
{
	const struct ly_err_item *e = ly_err_last(w->v->ctx);

	fail(w, e && e->path ? e->path : NULL, "%s", e && e->msg ? e->msg : "invalid value");
	ly_err_clean((struct ly_ctx *)w->v->ctx, NULL);
	return w->rc;
}

static void
add(struct work *w, struct pvec *pv, const void *p)
{
	if (pvec_add(pv, p) < 0)
		w->rc = -ENOMEM;
}

/* The data instance of holder that is node or one of its ancestors. */
static struct lyd_node *
ancestor_with(struct lyd_node *node, const struct lysc_node *holder)
{
	for (; node; node = lyd_parent(node))
		if (node->schema == holder)
			return node;
	return NULL;
}

static void
all_instances(struct work *w, const struct mref *mr)
{
	struct ly_set *set = NULL;
	char path[1024];
	uint32_t i;

	if (!*w->tree)
		return;
	if (!lysc_path(mr->holder, LYSC_PATH_DATA, path, sizeof(path))) {
		w->rc = -ENOMEM;
		return;
	}
	if (lyd_find_xpath(*w->tree, path, &set) != LY_SUCCESS) {
		ly_err_clean((struct ly_ctx *)w->v->ctx, NULL);
		w->rc = -EAGAIN;
		return;
	}
	for (i = 0; i < set->count; i++) {
		add(w, &w->evals, set->dnodes[i]);
		add(w, &w->evals, mr);
	}
	ly_set_free(set, NULL);
}

enum change { CH_CREATE, CH_DELETE, CH_REPLACE };

/* Musts that read a node of this schema, changed as ch at anchor (the
 * node itself, or the parent of a deleted one). */
static void
schedule_atoms(
    struct work *w, const struct lysc_node *schema, struct lyd_node *anchor, enum change ch)
{
	struct pvec *refs = pmap_get(&w->v->atoms, schema);
	struct lyd_node *inst;
	size_t i;

	if (!refs)
		return;
	for (i = 0; i < refs->n; i++) {
		const struct mref *mr = refs->v[i];

		inst = ancestor_with(anchor, mr->holder);
		if (inst) {
			add(w, &w->evals, inst);
			add(w, &w->evals, mr);
			continue;
		}
		/* the holder lies inside a deleted subtree: gone with it */
		if (ch == CH_DELETE) {
			const struct lysc_node *s;
			bool inside = false;
			for (s = mr->holder; s; s = s->parent)
				if (s == schema)
					inside = true;
			if (inside)
				continue;
		}
		if (ch == CH_CREATE && mr->monotone)
			continue; /* creating nodes cannot empty a node-set */
		all_instances(w, mr);
	}
}

static void
schedule_own_musts(struct work *w, struct lyd_node *node)
{
	const struct lysc_must *musts = lysc_node_musts(node->schema);
	LY_ARRAY_COUNT_TYPE u;
	size_t i;

	LY_ARRAY_FOR(musts, u)
	{
		for (i = 0; i < w->v->nmrefs; i++) {
			if (w->v->mrefs[i].must == &musts[u]) {
				add(w, &w->evals, node);
				add(w, &w->evals, &w->v->mrefs[i]);
				break;
			}
		}
	}
}

static bool
has_data(const struct lyd_node *first, const struct lysc_node *cs, bool *any_new)
{
	const struct lysc_node *dn = NULL;
	struct lyd_node *m;
	bool found = false;

	*any_new = false;
	while ((dn = lys_getnext(dn, cs, NULL, 0)) != NULL) {
		m = NULL;
		if (first)
			lyd_find_sibling_val(first, dn, NULL, 0, &m);
		for (; m && m->schema == dn; m = m->next) {
			if (m->flags & LYD_DEFAULT)
				continue;
			found = true;
			if (m->flags & LYD_NEW)
				*any_new = true;
			if (!(dn->nodetype & (LYS_LIST | LYS_LEAFLIST)))
				break;
		}
	}
	return found;
}

static void
autodelete_case(struct work *w, struct lyd_node *parent, const struct lysc_node *cs)
{
	const struct lysc_node *dn = NULL;
	struct lyd_node *m, *next, *first;
	char *p, **na;

	while ((dn = lys_getnext(dn, cs, NULL, 0)) != NULL) {
		first = parent ? lyd_child(parent) : *w->tree;
		m = NULL;
		if (first)
			lyd_find_sibling_val(first, dn, NULL, 0, &m);
		while (m && m->schema == dn) {
			next = m->next;
			if (!(m->flags & LYD_DEFAULT)) {
				p = lyd_path(m, LYD_PATH_STD, NULL, 0);
				na = realloc(w->v->autodel, (w->v->nautodel + 1) * sizeof(*na));
				if (!p || !na) {
					free(p);
					w->rc = -ENOMEM;
					return;
				}
				w->v->autodel = na;
				na[w->v->nautodel++] = p;
			}
			if (m == *w->tree)
				*w->tree = m->next;
			lyd_free_tree(m);
			m = next;
		}
	}
}

/* libyang's choice rule: data of one case only; new data of one case
 * replaces old data of the others; new data in two cases is an error. */
static void
resolve_choices(struct work *w, struct lyd_node *parent, const struct lysc_node *sparent,
    const struct lys_module *mod)
{
	const struct lysc_node *s = NULL, *cs, *newcase, *first_case;
	const struct lysc_module *cmod = mod ? mod->compiled : NULL;
	bool any_new;
	unsigned ncase, nnew;

	while (
	    (s = lys_getnext(s, sparent, sparent ? NULL : cmod, LYS_GETNEXT_WITHCHOICE)) != NULL) {
		if (s->nodetype != LYS_CHOICE || (s->flags & LYS_CONFIG_R))
			continue;
		ncase = nnew = 0;
		newcase = first_case = NULL;
		LY_LIST_FOR(
		    (const struct lysc_node *)((const struct lysc_node_choice *)s)->cases, cs)
		{
			if (!has_data(parent ? lyd_child(parent) : *w->tree, cs, &any_new))
				continue;
			ncase++;
			if (!first_case)
				first_case = cs;
			if (any_new) {
				if (newcase) {
					char *p =
					    parent ? lyd_path(parent, LYD_PATH_STD, NULL, 0) : NULL;
					fail(w, p ? p : "/",
					    "Data for both cases \"%s\" and \"%s\" exist.",
					    newcase->name, cs->name);
					free(p);
					return;
				}
				newcase = cs;
				nnew++;
			}
		}
		if (ncase > 1 && newcase) {
			LY_LIST_FOR(
			    (const struct lysc_node *)((const struct lysc_node_choice *)s)->cases,
			    cs)
			{
				if (cs != newcase)
					autodelete_case(w, parent, cs);
			}
			if (ydiff_fill_defaults(w->tree, parent, s->module) < 0)
				w->rc = -ENOMEM;
		}
		/* nested choices of the case that stays */
		LY_LIST_FOR(
		    (const struct lysc_node *)((const struct lysc_node_choice *)s)->cases, cs)
		{
			if (has_data(parent ? lyd_child(parent) : *w->tree, cs, &any_new))
				resolve_choices(w, parent, cs, mod);
		}
	}
}

static const char *
prefix_for(const struct lyd_node *parent, const struct lysc_node *s)
{
	if (!parent || parent->schema->module != s->module)
		return s->module->name;
	return NULL;
}

static void
missing_path(char *out, size_t len, const struct lyd_node *parent, const struct lysc_node *s)
{
	char *pp = parent ? lyd_path(parent, LYD_PATH_STD, NULL, 0) : NULL;
	const char *pre = prefix_for(parent, s);

	snprintf(out, len, "%s/%s%s%s", pp ? pp : "", pre ? pre : "", pre ? ":" : "", s->name);
	free(pp);
}

/* Mandatory nodes, mandatory choices and element counts among the
 * children of parent (NULL: the top level of mod), through choices and
 * non-presence containers, as libyang's final validation does. */
static void
check_children(struct work *w, const struct lyd_node *parent, const struct lyd_node *first,
    const struct lysc_node *sparent, const struct lys_module *mod)
{
	const struct lysc_node *s = NULL, *cs, *sel;
	const struct lysc_module *cmod = mod ? mod->compiled : NULL;
	struct lyd_node *m;
	char path[1024];
	uint32_t cnt, min, max;
	bool any_new;

	while (!w->rc && (s = lys_getnext(
	                      s, sparent, sparent ? NULL : cmod, LYS_GETNEXT_WITHCHOICE)) != NULL) {
		if (s->flags & LYS_CONFIG_R)
			continue;
		m = NULL;
		switch (s->nodetype) {
		case LYS_CHOICE:
			sel = NULL;
			LY_LIST_FOR(
			    (const struct lysc_node *)((const struct lysc_node_choice *)s)->cases,
			    cs)
			{
				if (has_data(first, cs, &any_new)) {
					sel = cs;
					break;
				}
			}
			if (!sel && (s->flags & LYS_MAND_TRUE)) {
				char *pp = parent ? lyd_path(parent, LYD_PATH_STD, NULL, 0) : NULL;
				fail(w, pp ? pp : "/", "Mandatory choice \"%s\" data do not exist.",
				    s->name);
				free(pp);
				return;
			}
			if (!sel) {
				/* the default case, if any, holds only defaults */
				sel = ((const struct lysc_node_choice *)s)->dflt
				          ? (const struct lysc_node
				                    *)((const struct lysc_node_choice *)s)
				                ->dflt
				          : NULL;
			}
			if (sel)
				check_children(w, parent, first, sel, mod);
			break;
		case LYS_LEAF:
		case LYS_ANYDATA:
		case LYS_ANYXML:
			if (!(s->flags & LYS_MAND_TRUE))
				break;
			if (first)
				lyd_find_sibling_val(first, s, NULL, 0, &m);
			if (!m || (m->flags & LYD_DEFAULT)) {
				missing_path(path, sizeof(path), parent, s);
				fail(w, path, "Mandatory node \"%s\" instance does not exist.",
				    s->name);
				return;
			}
			break;
		case LYS_LIST:
		case LYS_LEAFLIST:
			if (s->nodetype == LYS_LIST) {
				min = ((const struct lysc_node_list *)s)->min;
				max = ((const struct lysc_node_list *)s)->max;
			} else {
				min = ((const struct lysc_node_leaflist *)s)->min;
				max = ((const struct lysc_node_leaflist *)s)->max;
			}
			if (!min && max == UINT32_MAX)
				break;
			cnt = 0;
			if (first)
				lyd_find_sibling_val(first, s, NULL, 0, &m);
			for (; m && m->schema == s; m = m->next)
				if (!(m->flags & LYD_DEFAULT) || s->nodetype == LYS_LEAFLIST)
					cnt++;
			missing_path(path, sizeof(path), parent, s);
			if (cnt < min) {
				fail(w, path, "Too few \"%s\" instances.", s->name);
				return;
			}
			if (cnt > max) {
				fail(w, path, "Too many \"%s\" instances.", s->name);
				return;
			}
			break;
		case LYS_CONTAINER:
			if (s->flags & LYS_PRESENCE)
				break;
			if (first)
				lyd_find_sibling_val(first, s, NULL, 0, &m);
			check_children(w, m, m ? lyd_child(m) : NULL, s, mod);
			break;
		default:
			break;
		}
	}
}

static void
check_node_children(struct work *w, const struct lyd_node *node)
{
	check_children(w, node, lyd_child(node), node->schema, NULL);
}

/* Is a leafref's target there? A hash lookup when the target is the key
 * of a list under containers; else libyang resolves it. */
static void
check_lref(struct work *w, struct lyd_node *l)
{
	struct pvec *tv = pmap_get(&w->v->lref, l->schema);
	const struct lysc_node *target = tv && tv->n == 1 ? tv->v[0] : NULL;
	const struct lysc_node *list = target ? target->parent : NULL, *s;
	const char *val = lyd_get_value(l);
	struct lyd_node *cont = NULL, *m = NULL;
	char path[1024], pred[600];
	bool fast = target && list && list->nodetype == LYS_LIST && (target->flags & LYS_KEY) &&
	            lysc_node_child(list) == target &&
	            !(target->next && (target->next->flags & LYS_KEY)) && !strchr(val, '\'') &&
	            strlen(val) < 500;

	for (s = list ? list->parent : NULL; fast && s; s = s->parent)
		if (s->nodetype != LYS_CONTAINER)
			fast = false;
	if (fast && list->parent) {
		if (!lysc_path(list->parent, LYSC_PATH_DATA, path, sizeof(path)) ||
		    lyd_find_path(*w->tree, path, 0, &cont) != LY_SUCCESS)
			cont = NULL;
		ly_err_clean((struct ly_ctx *)w->v->ctx, NULL);
	}
	if (fast) {
		snprintf(pred, sizeof(pred), "[%s='%s']", target->name, val);
		if (list->parent && cont && lyd_child(cont))
			lyd_find_sibling_val(lyd_child(cont), list, pred, 0, &m);
		else if (!list->parent && *w->tree)
			lyd_find_sibling_val(*w->tree, list, pred, 0, &m);
		if (m)
			return;
	}
	/* not found by hash (or no fast path): libyang decides, with its message */
	if (lyd_value_validate(w->v->ctx, l->schema, val, strlen(val), l, NULL, NULL) != LY_SUCCESS)
		fail_ly(w);
}

/* A deleted (or replaced) leafref target value: does anything still
 * point at it? */
static void
check_delref(struct work *w, const struct lysc_node *target, const char *val)
{
	struct pvec *ls = pmap_get(&w->v->targets, target);
	struct ly_set *set = NULL;
	char path[1200], q;
	size_t i;
	uint32_t j;

	if (!ls || !*w->tree)
		return;
	q = strchr(val, '\'') ? '"' : '\'';
	if (strchr(val, q))
		q = 0;
	/* another instance of the target with the value still there? */
	if (q && lysc_path(target, LYSC_PATH_DATA, path, sizeof(path)) &&
	    strlen(path) + strlen(val) + 8 < sizeof(path)) {
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "[.=%c%s%c]", q, val, q);
		if (lyd_find_xpath(*w->tree, path, &set) == LY_SUCCESS && set->count) {
			ly_set_free(set, NULL);
			return;
		}
		ly_set_free(set, NULL);
		set = NULL;
	}
	ly_err_clean((struct ly_ctx *)w->v->ctx, NULL);
	for (i = 0; i < ls->n && !w->rc; i++) {
		const struct lysc_node *l = ls->v[i];

		if (!lysc_path(l, LYSC_PATH_DATA, path, sizeof(path)))
			continue;
		if (q && strlen(path) + strlen(val) + 8 < sizeof(path))
			snprintf(path + strlen(path), sizeof(path) - strlen(path), "[.=%c%s%c]", q,
			    val, q);
		if (lyd_find_xpath(*w->tree, path, &set) != LY_SUCCESS) {
			ly_err_clean((struct ly_ctx *)w->v->ctx, NULL);
			continue;
		}
		for (j = 0; j < set->count && !w->rc; j++) {
			struct lyd_node *inst = set->dnodes[j];
			const char *iv = lyd_get_value(inst);
			if (lyd_value_validate(w->v->ctx, inst->schema, iv, strlen(iv), inst, NULL,
			        NULL) != LY_SUCCESS)
				fail_ly(w);
		}
		ly_set_free(set, NULL);
		set = NULL;
	}
}

static void
delref_add(struct work *w, const struct lysc_node *s, const char *val)
{
	char *copy;

	if (!pmap_get(&w->v->targets, s))
		return;
	copy = strdup(val);
	if (!copy) {
		w->rc = -ENOMEM;
		return;
	}
	add(w, &w->delrefs, s);
	add(w, &w->delrefs, copy);
}

static void
walk_created(struct work *w, struct lyd_node *c)
{
	struct lyd_node *y;

	LYD_TREE_DFS_BEGIN(c, y)
	{
		if (y->flags & LYD_DEFAULT) {
			/* implicit defaults: only their musts' readers */
		} else {
			if (y->schema->nodetype & LYD_NODE_INNER)
				add(w, &w->mand, y);
			if (leafref_type(y->schema))
				add(w, &w->lrefs, y);
		}
		schedule_own_musts(w, y);
		schedule_atoms(w, y->schema, y, CH_CREATE);
		LYD_TREE_DFS_END(c, y);
	}
}

static void
walk_deleted(struct work *w, const struct lyd_node *dn, struct lyd_node *parent)
{
	const struct lyd_node *y;

	LYD_TREE_DFS_BEGIN(dn, y)
	{
		if (y->schema->nodetype & LYD_NODE_TERM)
			delref_add(w, y->schema, lyd_get_value(y));
		schedule_atoms(w, y->schema, parent, CH_DELETE);
		LYD_TREE_DFS_END(dn, y);
	}
}

static void walk_diff(struct work *w, const struct lyd_node *dn);

static void
walk_children(struct work *w, const struct lyd_node *dn)
{
	const struct lyd_node *c;

	LY_LIST_FOR(lyd_child_no_keys(dn), c)
	{
		if (w->rc)
			return;
		walk_diff(w, c);
	}
}

static void
walk_diff(struct work *w, const struct lyd_node *dn)
{
	const char *op = ydiff_op(dn);
	struct lyd_node *node, *parent = NULL;
	struct lyd_meta *meta;

	if (!op || !strcmp(op, "none")) {
		walk_children(w, dn);
		return;
	}
	if (lyd_parent(dn)) {
		parent = ydiff_match(*w->tree, lyd_parent(dn));
		if (!parent) {
			w->rc = -EAGAIN; /* the tree does not match the diff */
			return;
		}
	}
	if (!strcmp(op, "create")) {
		node = ydiff_match(*w->tree, dn);
		if (!node) {
			w->rc = -EAGAIN;
			return;
		}
		if (parent)
			add(w, &w->mand, parent);
		else
			add(w, &w->mandtop, dn->schema->module);
		add(w, &w->created, node);
		/* 1. choice cases at the parent, then the implicit defaults */
		resolve_choices(
		    w, parent, parent ? parent->schema : NULL, parent ? NULL : dn->schema->module);
		if (w->rc)
			return;
		node = ydiff_match(*w->tree, dn); /* still there (new data wins) */
		if (!node) {
			w->rc = -EAGAIN;
			return;
		}
		if ((node->schema->nodetype & LYD_NODE_INNER) &&
		    lyd_new_implicit_tree(node, LYD_IMPLICIT_NO_STATE, NULL) != LY_SUCCESS) {
			w->rc = -ENOMEM;
			return;
		}
		{
			struct lyd_node *y;
			LYD_TREE_DFS_BEGIN(node, y)
			{
				/* the new node's own choices too: two cases of
				 * new data there are an error */
				if (y->schema->nodetype & LYD_NODE_INNER)
					resolve_choices(w, y, y->schema, NULL);
				LYD_TREE_DFS_END(node, y);
			}
		}
		walk_created(w, node);
		return;
	}
	if (!strcmp(op, "delete")) {
		if (ydiff_fill_defaults(w->tree, parent, dn->schema->module) < 0) {
			w->rc = -ENOMEM;
			return;
		}
		if (parent)
			add(w, &w->mand, parent);
		else
			add(w, &w->mandtop, dn->schema->module);
		walk_deleted(w, dn, parent);
		return;
	}
	/* replace: a leaf's value, or a user-ordered instance moved */
	node = ydiff_match(*w->tree, dn);
	if (!node) {
		w->rc = -EAGAIN;
		return;
	}
	if (node->schema->nodetype & LYD_NODE_TERM) {
		if (leafref_type(node->schema))
			add(w, &w->lrefs, node);
		meta = lyd_find_meta(dn->meta, NULL, "yang:orig-value");
		if (meta && node->schema->nodetype == LYS_LEAF)
			delref_add(w, node->schema, lyd_get_meta_value(meta));
	}
	schedule_own_musts(w, node);
	schedule_atoms(w, node->schema, node, CH_REPLACE);
	walk_children(w, dn);
}

static int
cmp_pair(const void *a, const void *b)
{
	const void *const *x = a, *const *y = b;

	if (x[0] != y[0])
		return (uintptr_t)x[0] < (uintptr_t)y[0] ? -1 : 1;
	if (x[1] != y[1])
		return (uintptr_t)x[1] < (uintptr_t)y[1] ? -1 : 1;
	return 0;
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (const void *const *)a,
	          y = (uintptr_t) * (const void *const *)b;

	return x < y ? -1 : x > y;
}

static void
eval_musts(struct work *w)
{
	size_t i;
	ly_bool res;

	if (w->evals.n)
		qsort(w->evals.v, w->evals.n / 2, 2 * sizeof(void *), cmp_pair);
	for (i = 0; i + 1 < w->evals.n && !w->rc; i += 2) {
		const struct lyd_node *node = w->evals.v[i];
		const struct mref *mr = w->evals.v[i + 1];
		char *p;

		if (i >= 2 && w->evals.v[i - 2] == node && w->evals.v[i - 1] == mr)
			continue;
		res = 0;
		if (lyd_eval_xpath3(node, node->schema->module, lyxp_get_expr(mr->must->cond),
		        LY_VALUE_SCHEMA_RESOLVED, mr->must->prefixes, NULL, &res) != LY_SUCCESS) {
			ly_err_clean((struct ly_ctx *)w->v->ctx, NULL);
			w->rc = -EAGAIN;
			return;
		}
		if (res)
			continue;
		p = lyd_path(node, LYD_PATH_STD, NULL, 0);
		if (mr->must->emsg)
			fail(w, p, "%s", mr->must->emsg);
		else
			fail(w, p, "Must condition \"%s\" not satisfied.",
			    lyxp_get_expr(mr->must->cond));
		free(p);
	}
}

int
sval_validate(struct sval *v, struct lyd_node **tree, const struct lyd_node *diff)
{
	struct work w;
	const struct lyd_node *top;
	size_t i;

	clear_last(v);
	memset(&w, 0, sizeof(w));
	w.v = v;
	w.tree = tree;
	ly_err_clean((struct ly_ctx *)v->ctx, NULL);
	if (v->unusable) {
		w.rc = -EAGAIN;
		goto out;
	}
	/* 1. walk the change: cases, defaults; collect what to check */
	LY_LIST_FOR(diff, top)
	{
		if (w.rc)
			break;
		walk_diff(&w, top);
	}
	if (w.rc)
		goto out;
	if (v->nautodel) {
		/* nodes were freed under the collected pointers: the caller
		 * adds the deletions to the change and validates again */
		w.rc = -ESTALE;
		goto out;
	}
	/* 2. leafrefs: created or changed ones, and deleted targets */
	for (i = 0; i < w.lrefs.n && !w.rc; i++)
		check_lref(&w, (struct lyd_node *)w.lrefs.v[i]);
	for (i = 0; i + 1 < w.delrefs.n && !w.rc; i += 2)
		check_delref(&w, w.delrefs.v[i], w.delrefs.v[i + 1]);
	/* 3. musts */
	if (!w.rc)
		eval_musts(&w);
	/* 4. mandatory nodes, choices, element counts */
	if (w.mand.n)
		qsort(w.mand.v, w.mand.n, sizeof(void *), cmp_ptr);
	for (i = 0; i < w.mand.n && !w.rc; i++) {
		if (i && w.mand.v[i] == w.mand.v[i - 1])
			continue;
		check_node_children(&w, w.mand.v[i]);
	}
	if (w.mandtop.n)
		qsort(w.mandtop.v, w.mandtop.n, sizeof(void *), cmp_ptr);
	for (i = 0; i < w.mandtop.n && !w.rc; i++) {
		if (i && w.mandtop.v[i] == w.mandtop.v[i - 1])
			continue;
		check_children(&w, NULL, *tree, NULL, w.mandtop.v[i]);
	}
	/* 5. valid: the new nodes are validated nodes now */
	if (!w.rc) {
		for (i = 0; i < w.created.n; i++) {
			struct lyd_node *c = (struct lyd_node *)w.created.v[i], *y;
			LYD_TREE_DFS_BEGIN(c, y)
			{
				y->flags &= ~LYD_NEW;
				LYD_TREE_DFS_END(c, y);
			}
		}
	}
out:
	for (i = 1; i < w.delrefs.n; i += 2)
		free((void *)w.delrefs.v[i]);
	free(w.mand.v);
	free(w.mandtop.v);
	free(w.lrefs.v);
	free(w.evals.v);
	free(w.delrefs.v);
	free(w.created.v);
	return w.rc;
}
