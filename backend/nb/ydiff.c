/* SPDX-License-Identifier: MIT */
/*
 * ydiff: explicit-configuration diffs in libyang's format, computed by a
 * hash-lookup walk, optionally only over touched subtrees; and diff
 * application that keeps implicit defaults right.
 *
 * User-ordered (leaf-)lists follow libyang's diff semantics: per sibling
 * group, deletes first (yang:orig-key/orig-value name the preceding
 * instance), then creates and moves in the new order, each anchored
 * (yang:key/value) on the preceding instance, which is already final.
 * Every anchor names the neighbour at the moment of its operation, so
 * ydiff_reverse() undoes the operations from the last one.
 */
#include "ydiff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define YDIFF_MAX_DEPTH 64

struct dctx {
	const struct ly_ctx *ctx;
	const struct lys_module *yang;
	struct lyd_node **diff;
	int rc;
};

static bool
is_dflt(const struct lyd_node *n)
{
	return n && (n->flags & LYD_DEFAULT);
}

static bool
is_np_cont(const struct lysc_node *s)
{
	return s->nodetype == LYS_CONTAINER && !(s->flags & LYS_PRESENCE);
}

/* The instance of node among siblings (any sibling, NULL ok), defaults included. */
static struct lyd_node *
find_sib(const struct lyd_node *siblings, const struct lyd_node *node)
{
	struct lyd_node *m = NULL;

	if (!siblings)
		return NULL;
	if (node->schema->nodetype & (LYS_LIST | LYS_LEAFLIST))
		lyd_find_sibling_first(siblings, node, &m);
	else
		lyd_find_sibling_val(siblings, node->schema, NULL, 0, &m);
	return m;
}

struct lyd_node *
ydiff_match(const struct lyd_node *tree, const struct lyd_node *node)
{
	const struct lyd_node *chain[YDIFF_MAX_DEPTH];
	const struct lyd_node *sib = tree;
	struct lyd_node *m = NULL;
	int n = 0, i;

	for (; node; node = lyd_parent(node)) {
		if (n == YDIFF_MAX_DEPTH)
			return NULL;
		chain[n++] = node;
	}
	for (i = n - 1; i >= 0; i--) {
		m = find_sib(sib, chain[i]);
		if (!m)
			return NULL;
		sib = lyd_child(m);
	}
	return m;
}

const char *
ydiff_op(const struct lyd_node *dnode)
{
	const struct lyd_node *p;
	struct lyd_meta *meta;

	for (p = dnode; p; p = lyd_parent(p)) {
		meta = lyd_find_meta(p->meta, NULL, "yang:operation");
		if (!meta)
			continue;
		/* a replace on a parent (a user-ordered move) is not inherited */
		if (p != dnode && !strcmp(lyd_get_meta_value(meta), "replace"))
			continue;
		return lyd_get_meta_value(meta);
	}
	return NULL;
}

static int
add_meta(struct dctx *d, struct lyd_node *n, const char *name, const char *val)
{
	if (d->rc)
		return d->rc;
	if (lyd_new_meta(d->ctx, n, d->yang, name, val, 0, NULL) != LY_SUCCESS)
		d->rc = -ENOMEM;
	return d->rc;
}

/* The diff node standing for data node src (either tree), made with
 * operation none when it does not exist yet. NULL for the top level. */
static struct lyd_node *
dparent(struct dctx *d, const struct lyd_node *src)
{
	struct lyd_node *up = NULL, *m, *dup = NULL;

	if (!src || d->rc)
		return NULL;
	if (lyd_parent(src)) {
		up = dparent(d, lyd_parent(src));
		if (d->rc)
			return NULL;
		m = find_sib(lyd_child(up), src);
	} else {
		m = find_sib(*d->diff, src);
	}
	if (m)
		return m;
	if (lyd_dup_single(src, (struct lyd_node_inner *)up, LYD_DUP_NO_META, &dup) != LY_SUCCESS) {
		d->rc = -ENOMEM;
		return NULL;
	}
	if (!up) {
		/* only the top of a chain carries "none"; the rest inherit it */
		lyd_insert_sibling(*d->diff, dup, d->diff);
		add_meta(d, dup, "operation", "none");
	}
	return dup;
}

static void anchor_meta(
    struct dctx *d, struct lyd_node *dn, const char *name, const struct lyd_node *anchor);

/* libyang applies a created subtree node by node, so every user-ordered
 * instance inside needs its anchor (and a deleted one, for the reverse). */
static void
nested_anchors(struct dctx *d, struct lyd_node *root, bool created)
{
	struct lyd_node *n, *p;
	bool ll;

	LYD_TREE_DFS_BEGIN(root, n)
	{
		if (n != root && lysc_is_userordered(n->schema)) {
			ll = n->schema->nodetype == LYS_LEAFLIST;
			p = n->prev;
			if (p->next != n || p->schema != n->schema)
				p = NULL;
			/* create-style anchors in both: a reversed delete is a create */
			(void)created;
			anchor_meta(d, n, ll ? "value" : "key", p);
		}
		LYD_TREE_DFS_END(root, n);
	}
}

static void
strip_defaults(struct lyd_node *root)
{
	struct lyd_node *c, *next;

	LY_LIST_FOR_SAFE(lyd_child(root), next, c)
	{
		if (c->flags & LYD_DEFAULT)
			lyd_free_tree(c);
		else if (c->schema->nodetype & LYD_NODE_INNER)
			strip_defaults(c);
	}
}

/* Adds node (its subtree when recursive) to the diff with operation op. */
static struct lyd_node *
emit(struct dctx *d, const struct lyd_node *node, const char *op, bool recursive)
{
	struct lyd_node *dup = NULL, *up;
	uint32_t opts = LYD_DUP_NO_META | LYD_DUP_WITH_FLAGS;

	if (d->rc)
		return NULL;
	if (recursive)
		opts |= LYD_DUP_RECURSIVE;
	if (lyd_dup_single(node, NULL, opts, &dup) != LY_SUCCESS) {
		d->rc = -ENOMEM;
		return NULL;
	}
	if (recursive)
		strip_defaults(dup);
	dup->flags &= ~(LYD_DEFAULT | LYD_NEW);
	if (recursive && is_np_cont(dup->schema) && !lyd_child(dup)) {
		/* a non-presence container with nothing explicit inside */
		lyd_free_tree(dup);
		return NULL;
	}
	up = dparent(d, lyd_parent(node));
	if (d->rc) {
		lyd_free_tree(dup);
		return NULL;
	}
	if (up)
		lyd_insert_child(up, dup);
	else
		lyd_insert_sibling(*d->diff, dup, d->diff);
	add_meta(d, dup, "operation", op);
	if (recursive)
		nested_anchors(d, dup, !strcmp(op, "create"));
	return d->rc ? NULL : dup;
}

/* "[k='v']..." of a list instance, or the value of a leaf-list instance. */
static char *
anchor_of(const struct lyd_node *n)
{
	char *path, *ppath = NULL, *seg, *br, *res;
	size_t off = 0;

	if (!n)
		return strdup("");
	if (n->schema->nodetype == LYS_LEAFLIST)
		return strdup(lyd_get_value(n));
	path = lyd_path(n, LYD_PATH_STD, NULL, 0);
	if (!path)
		return NULL;
	if (lyd_parent(n)) {
		ppath = lyd_path(lyd_parent(n), LYD_PATH_STD, NULL, 0);
		if (!ppath) {
			free(path);
			return NULL;
		}
		off = strlen(ppath);
	}
	seg = path + off;
	br = strchr(seg, '[');
	res = strdup(br ? br : "");
	free(path);
	free(ppath);
	return res;
}

/* Virtual order of one user-ordered instance group while the diff is built. */
struct uo_group {
	const struct lysc_node *schema;
	const struct lyd_node **inst;
	size_t n, cap, pos;
};

struct uo_set {
	struct uo_group *g;
	size_t n;
};

static struct uo_group *
uo_get(struct dctx *d, struct uo_set *set, const struct lysc_node *schema,
    const struct lyd_node *ofirst)
{
	struct uo_group *g, *ng;
	const struct lyd_node *it;
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->g[i].schema == schema)
			return &set->g[i];
	ng = realloc(set->g, (set->n + 1) * sizeof(*ng));
	if (!ng) {
		d->rc = -ENOMEM;
		return NULL;
	}
	set->g = ng;
	g = &set->g[set->n++];
	memset(g, 0, sizeof(*g));
	g->schema = schema;
	LY_LIST_FOR(ofirst, it)
	{
		if (it->schema != schema || is_dflt(it))
			continue;
		if (g->n == g->cap) {
			size_t cap = g->cap ? g->cap * 2 : 8;
			const struct lyd_node **ni = realloc(g->inst, cap * sizeof(*ni));
			if (!ni) {
				d->rc = -ENOMEM;
				return NULL;
			}
			g->inst = ni;
			g->cap = cap;
		}
		g->inst[g->n++] = it;
	}
	return g;
}

static void
uo_free(struct uo_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->g[i].inst);
	free(set->g);
}

static size_t
uo_index(const struct uo_group *g, const struct lyd_node *n, size_t from)
{
	size_t i;

	for (i = from; i < g->n; i++)
		if (g->inst[i] == n)
			return i;
	for (i = 0; i < from && i < g->n; i++)
		if (g->inst[i] == n)
			return i;
	return g->n;
}

static int
uo_insert(struct dctx *d, struct uo_group *g, size_t pos, const struct lyd_node *n)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		const struct lyd_node **ni = realloc(g->inst, cap * sizeof(*ni));
		if (!ni)
			return d->rc = -ENOMEM;
		g->inst = ni;
		g->cap = cap;
	}
	memmove(g->inst + pos + 1, g->inst + pos, (g->n - pos) * sizeof(*g->inst));
	g->inst[pos] = n;
	g->n++;
	return 0;
}

static void diff_children(struct dctx *d, const struct lyd_node *ofirst,
    const struct lyd_node *nfirst, const struct lysc_node *only);

static void
anchor_meta(struct dctx *d, struct lyd_node *dn, const char *name, const struct lyd_node *anchor)
{
	char *a = anchor_of(anchor);

	if (!a) {
		d->rc = -ENOMEM;
		return;
	}
	add_meta(d, dn, name, a);
	free(a);
}

/* Both exist (explicitly): compare values, or the children. */
static void
diff_pair(struct dctx *d, const struct lyd_node *o, const struct lyd_node *n)
{
	struct lyd_node *dn;

	switch (o->schema->nodetype) {
	case LYS_LEAF:
	case LYS_ANYDATA:
	case LYS_ANYXML:
		if (lyd_compare_single(o, n, 0) == LY_SUCCESS)
			return;
		dn = emit(d, n, "replace", false);
		if (dn && o->schema->nodetype == LYS_LEAF) {
			add_meta(d, dn, "orig-default", "false");
			add_meta(d, dn, "orig-value", lyd_get_value(o));
		}
		return;
	case LYS_CONTAINER:
	case LYS_LIST:
		diff_children(d, lyd_child(o), lyd_child(n), NULL);
		return;
	default:
		return; /* a leaf-list instance matched by value is unchanged */
	}
}

static bool
skip(const struct lyd_node *x, const struct lysc_node *only)
{
	return is_dflt(x) || (x->schema->flags & LYS_KEY) || (only && x->schema != only);
}

static void
diff_children(struct dctx *d, const struct lyd_node *ofirst, const struct lyd_node *nfirst,
    const struct lysc_node *only)
{
	struct uo_set uo = { NULL, 0 };
	const struct lyd_node *o, *n;
	struct lyd_node *m, *dn;
	struct uo_group *g;
	size_t idx, pos;
	bool ll;

	if (ofirst)
		ofirst = lyd_first_sibling(ofirst);
	if (nfirst)
		nfirst = lyd_first_sibling(nfirst);

	/* 1. old against new: deletes, replaced values, changes below */
	LY_LIST_FOR(ofirst, o)
	{
		if (d->rc)
			break;
		if (skip(o, only))
			continue;
		m = find_sib(nfirst, o);
		if (is_dflt(m))
			m = NULL;
		if (lysc_is_userordered(o->schema)) {
			if (m)
				continue; /* moves and changes below come in step 2, in order */
			g = uo_get(d, &uo, o->schema, ofirst);
			if (!g)
				break;
			idx = uo_index(g, o, 0);
			dn = emit(d, o, "delete", true);
			if (dn) {
				const struct lyd_node *prev =
				    idx > 0 && idx < g->n ? g->inst[idx - 1] : NULL;
				bool list = o->schema->nodetype == LYS_LIST;

				/* orig-* as libyang writes it; the plain anchor too,
				 * because lyd_diff_reverse_all() keeps metadata as is
				 * and the reversed create needs it */
				anchor_meta(d, dn, list ? "orig-key" : "orig-value", prev);
				anchor_meta(d, dn, list ? "key" : "value", prev);
			}
			if (idx < g->n) {
				memmove(g->inst + idx, g->inst + idx + 1,
				    (g->n - idx - 1) * sizeof(*g->inst));
				g->n--;
			}
		} else if (!m) {
			emit(d, o, "delete", true);
		} else {
			diff_pair(d, o, m);
		}
	}

	/* 2. new against old: creates, and user-ordered creates and moves */
	LY_LIST_FOR(nfirst, n)
	{
		if (d->rc)
			break;
		if (skip(n, only))
			continue;
		m = find_sib(ofirst, n);
		if (is_dflt(m))
			m = NULL;
		if (!lysc_is_userordered(n->schema)) {
			if (!m)
				emit(d, n, "create", true);
			continue;
		}
		ll = n->schema->nodetype == LYS_LEAFLIST;
		g = uo_get(d, &uo, n->schema, ofirst);
		if (!g)
			break;
		pos = g->pos++;
		if (!m) {
			dn = emit(d, n, "create", true);
			if (dn)
				anchor_meta(
				    d, dn, ll ? "value" : "key", pos ? g->inst[pos - 1] : NULL);
			uo_insert(d, g, pos < g->n ? pos : g->n, n);
			continue;
		}
		idx = uo_index(g, m, pos);
		if (idx != pos && idx < g->n) {
			dn = emit(d, n, "replace", false);
			if (dn) {
				if (ll)
					add_meta(d, dn, "orig-default", "false");
				anchor_meta(
				    d, dn, ll ? "value" : "key", pos ? g->inst[pos - 1] : NULL);
				anchor_meta(d, dn, ll ? "orig-value" : "orig-key",
				    idx ? g->inst[idx - 1] : NULL);
			}
			if (idx > pos) {
				memmove(g->inst + pos + 1, g->inst + pos,
				    (idx - pos) * sizeof(*g->inst));
				g->inst[pos] = m;
			} else {
				memmove(g->inst + idx, g->inst + idx + 1,
				    (pos - idx) * sizeof(*g->inst));
				g->inst[pos] = m;
			}
		}
		if (!ll)
			diff_children(d, lyd_child(m), lyd_child(n), NULL);
	}
	uo_free(&uo);
}

static int
dctx_init(
    struct dctx *d, const struct lyd_node *a, const struct lyd_node *b, struct lyd_node **diff)
{
	const struct lyd_node *any = a ? a : b;

	*diff = NULL;
	memset(d, 0, sizeof(*d));
	d->diff = diff;
	if (!any)
		return 0;
	d->ctx = LYD_CTX(any);
	d->yang = ly_ctx_get_module_implemented(d->ctx, "yang");
	return d->yang ? 0 : -ENOENT;
}

int
ydiff_full(const struct lyd_node *old, const struct lyd_node *new, struct lyd_node **diff)
{
	struct dctx d;
	int rc;

	if ((rc = dctx_init(&d, old, new, diff)) < 0 || !d.ctx)
		return rc;
	diff_children(&d, old, new, NULL);
	if (d.rc) {
		lyd_free_all(*diff);
		*diff = NULL;
	}
	return d.rc;
}

/*
 * A touched subtree, resolved: the node where the trees start to differ
 * (root, from the tree that has it) or, for a user-ordered instance, its
 * parent and group (the whole group is compared, for the anchors).
 */
struct troot {
	const struct lyd_node *node;   /* root; the parent when promoted (NULL: top) */
	const struct lyd_node *other;  /* counterpart in the other tree (pair) */
	const struct lysc_node *group; /* promoted: the user-ordered schema */
	const struct lyd_node *gnode;  /* promoted: an instance (from its tree) */
	int kind;                      /* 0 pair, 1 created, 2 deleted, 3 group */
	char *key;
};

/* The chain of node's ancestors-or-self, top first. */
static int
chain_of(const struct lyd_node *node, const struct lyd_node **chain)
{
	const struct lyd_node *c[YDIFF_MAX_DEPTH];
	int n = 0, i;

	for (; node; node = lyd_parent(node)) {
		if (n == YDIFF_MAX_DEPTH)
			return -1;
		c[n++] = node;
	}
	for (i = 0; i < n; i++)
		chain[i] = c[n - 1 - i];
	return n;
}

/* Walks node's chain down the other tree; the first ancestor without an
 * explicit counterpart is where the change starts. */
static void
resolve(const struct lyd_node *node, const struct lyd_node *other_tree, int created_kind,
    struct troot *t)
{
	const struct lyd_node *chain[YDIFF_MAX_DEPTH];
	const struct lyd_node *sib = other_tree;
	struct lyd_node *m = NULL;
	int n, i;

	memset(t, 0, sizeof(*t));
	n = chain_of(node, chain);
	for (i = 0; i < n; i++) {
		m = find_sib(sib, chain[i]);
		if (!m || is_dflt(m)) {
			t->node = chain[i];
			t->kind = created_kind;
			return;
		}
		sib = lyd_child(m);
	}
	t->node = node;
	t->other = m;
	t->kind = 0;
}

static char *
key_of(const struct lyd_node *node, const struct lysc_node *group)
{
	char *p = node ? lyd_path(node, LYD_PATH_STD, NULL, 0) : strdup("");
	char *k;
	size_t len;

	if (!p || !group)
		return p;
	len = strlen(p) + strlen(group->name) + 3;
	k = malloc(len);
	if (k) {
		memcpy(k, p, strlen(p));
		k[strlen(p)] = '|';
		memcpy(k + strlen(p) + 1, group->name, strlen(group->name) + 1);
	}
	free(p);
	return k;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
has_key(char **keys, size_t n, const char *k)
{
	return k && bsearch(&k, keys, n, sizeof(*keys), cmp_str) != NULL;
}

/* Is t inside another root's subtree (or a group that holds it)? */
static bool
covered(const struct troot *t, char **keys, size_t nkeys)
{
	const struct lyd_node *a = t->kind == 3 ? t->node : lyd_parent(t->node);
	const struct lyd_node *below = t->kind == 3 ? NULL : t->node;
	bool hit = false;
	char *k;

	/* the group holding the root itself */
	if (t->kind != 3 && lysc_is_userordered(t->node->schema)) {
		k = key_of(lyd_parent(t->node), t->node->schema);
		hit = has_key(keys, nkeys, k);
		free(k);
		if (hit)
			return true;
	}
	for (; a; below = a, a = lyd_parent(a)) {
		k = key_of(a, NULL);
		hit = has_key(keys, nkeys, k);
		free(k);
		if (hit)
			return true;
		(void)below;
		if (lysc_is_userordered(a->schema)) {
			k = key_of(lyd_parent(a), a->schema);
			hit = has_key(keys, nkeys, k);
			free(k);
			if (hit)
				return true;
		}
	}
	return false;
}

int
ydiff_paths(const struct lyd_node *old, const struct lyd_node *new, char *const *paths,
    size_t npaths, struct lyd_node **diff)
{
	struct troot *roots = NULL;
	char **keys = NULL;
	struct lyd_node *on, *nn;
	struct dctx d;
	size_t i, n = 0, nkeys = 0;
	int rc;

	if ((rc = dctx_init(&d, old, new, diff)) < 0 || !d.ctx)
		return rc;
	roots = calloc(npaths ? npaths : 1, sizeof(*roots));
	keys = calloc(npaths ? npaths : 1, sizeof(*keys));
	if (!roots || !keys) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < npaths; i++) {
		struct troot *t = &roots[n];

		on = nn = NULL;
		if (new &&lyd_find_path(new, paths[i], 0, &nn) == LY_EVALID) {
			rc = -EINVAL;
			goto out;
		}
		if (old && lyd_find_path(old, paths[i], 0, &on) == LY_EVALID) {
			rc = -EINVAL;
			goto out;
		}
		if (is_dflt(nn))
			nn = NULL;
		if (is_dflt(on))
			on = NULL;
		if (nn)
			resolve(nn, old, 1, t);
		else if (on)
			resolve(on, new, 2, t);
		else
			continue;
		if (lysc_is_userordered(t->node->schema)) {
			t->group = t->node->schema;
			t->gnode = t->node;
			t->node = lyd_parent(t->node);
			t->kind = 3;
		}
		t->key = key_of(t->node, t->group);
		if (!t->key) {
			rc = -ENOMEM;
			goto out;
		}
		keys[nkeys++] = t->key;
		n++;
	}
	qsort(keys, nkeys, sizeof(*keys), cmp_str);
	for (i = 0; i < n && !d.rc; i++) {
		struct troot *t = &roots[i];
		bool dup = false;
		size_t j;

		/* the same root reached through several paths: the first does it */
		for (j = 0; j < i; j++)
			if (!strcmp(roots[j].key, t->key))
				dup = true;
		if (dup || covered(t, keys, nkeys))
			continue;
		switch (t->kind) {
		case 0:
			if (t->node && t->other)
				diff_pair(&d, t->other, t->node);
			break;
		case 1:
			emit(&d, t->node, "create", true);
			break;
		case 2:
			emit(&d, t->node, "delete", true);
			break;
		case 3: {
			/* the group's parent in each tree (it may exist in one only) */
			const struct lyd_node *opar = NULL, *npar = NULL;
			const struct lyd_node *ofirst, *nfirst;

			if (t->node) {
				opar = ydiff_match(old, t->node);
				npar = ydiff_match(new, t->node);
				ofirst = opar && !is_dflt(opar) ? lyd_child(opar) : NULL;
				nfirst = npar && !is_dflt(npar) ? lyd_child(npar) : NULL;
			} else {
				ofirst = old;
				nfirst = new;
			}
			diff_children(&d, ofirst, nfirst, t->group);
			break;
		}
		}
	}
	rc = d.rc;
out:
	for (i = 0; i < n; i++)
		free(roots[i].key);
	free(roots);
	free(keys);
	if (rc) {
		lyd_free_all(*diff);
		*diff = NULL;
	}
	return rc;
}

size_t
ydiff_count(const struct lyd_node *diff)
{
	const struct lyd_node *top, *n;
	struct lyd_meta *meta;
	size_t count = 0;

	LY_LIST_FOR(diff, top)
	{
		LYD_TREE_DFS_BEGIN(top, n)
		{
			meta = lyd_find_meta(n->meta, NULL, "yang:operation");
			if (meta && strcmp(lyd_get_meta_value(meta), "none"))
				count++;
			LYD_TREE_DFS_END(top, n);
		}
	}
	return count;
}

/* ---- applying diffs while keeping implicit defaults right ---- */

static void
free_node(struct lyd_node **tree, struct lyd_node *n)
{
	if (*tree == n)
		*tree = n->next;
	lyd_free_tree(n);
}

/* The data siblings under which dnode's counterpart lives in tree. */
static struct lyd_node *
siblings_for(struct lyd_node *tree, const struct lyd_node *dnode, struct lyd_node **parent)
{
	struct lyd_node *p = NULL;

	*parent = NULL;
	if (lyd_parent(dnode)) {
		p = ydiff_match(tree, lyd_parent(dnode));
		*parent = p;
		return p ? lyd_child(p) : NULL;
	}
	return tree;
}

/* Before an explicit node is created, the default nodes it replaces go:
 * the same node, and default nodes of the other cases of its choice. */
static void
drop_replaced_defaults(struct lyd_node **tree, const struct lyd_node *dnode)
{
	struct lyd_node *parent, *sibs, *m, *next;
	const struct lysc_node *s, *cs, *other, *dn;

	sibs = siblings_for(*tree, dnode, &parent);
	if (!sibs)
		return;
	if (dnode->schema->nodetype == LYS_LEAFLIST) {
		lyd_find_sibling_val(sibs, dnode->schema, NULL, 0, &m);
		while (m && m->schema == dnode->schema) {
			next = m->next;
			if (is_dflt(m)) {
				if (sibs == m)
					sibs = next;
				free_node(parent ? &sibs : tree, m);
			}
			m = next;
		}
	} else {
		m = find_sib(sibs, dnode);
		if (is_dflt(m)) {
			if (sibs == m)
				sibs = m->next;
			free_node(parent ? &sibs : tree, m);
		}
	}
	/* default case data of the same choice */
	for (s = dnode->schema->parent, cs = dnode->schema;
	     s && (s->nodetype & (LYS_CASE | LYS_CHOICE)); cs = s, s = s->parent) {
		if (s->nodetype != LYS_CHOICE)
			continue;
		LY_LIST_FOR(
		    (const struct lysc_node *)((const struct lysc_node_choice *)s)->cases, other)
		{
			if (other == cs)
				continue;
			dn = NULL;
			while ((dn = lys_getnext(dn, other, NULL, 0)) != NULL) {
				sibs = parent ? lyd_child(parent) : *tree;
				if (!sibs)
					break;
				lyd_find_sibling_val(sibs, dn, NULL, 0, &m);
				if (is_dflt(m))
					free_node(parent ? &sibs : tree, m);
			}
		}
	}
}

/* Is there data of another case of the choice holding schema s under parent? */
static bool
other_case_present(const struct lyd_node *first, const struct lysc_node *s)
{
	const struct lysc_node *p, *cs, *other, *dn;
	struct lyd_node *m;

	for (p = s->parent, cs = s; p && (p->nodetype & (LYS_CASE | LYS_CHOICE));
	     cs = p, p = p->parent) {
		if (p->nodetype != LYS_CHOICE)
			continue;
		LY_LIST_FOR(
		    (const struct lysc_node *)((const struct lysc_node_choice *)p)->cases, other)
		{
			if (other == cs)
				continue;
			dn = NULL;
			while ((dn = lys_getnext(dn, other, NULL, 0)) != NULL) {
				m = NULL;
				if (first)
					lyd_find_sibling_val(first, dn, NULL, 0, &m);
				if (m && !is_dflt(m))
					return true;
			}
		}
	}
	return false;
}

/* After an explicit node under parent (NULL: top level of mod) was
 * deleted, put back the default nodes that libyang would add there. */
int
ydiff_fill_defaults(struct lyd_node **tree, struct lyd_node *parent, const struct lys_module *mod)
{
	struct lyd_node *tmp = NULL, *c, *next, *m, *first;
	int rc = 0;

	if (parent) {
		if (lyd_dup_single(parent, NULL, 0, &tmp) != LY_SUCCESS)
			return -ENOMEM;
		if (lyd_new_implicit_tree(tmp, LYD_IMPLICIT_NO_STATE, NULL) != LY_SUCCESS) {
			rc = -ENOMEM;
			goto out;
		}
		c = lyd_child(tmp);
	} else {
		if (lyd_new_implicit_module(&tmp, mod, LYD_IMPLICIT_NO_STATE, NULL) != LY_SUCCESS) {
			rc = -ENOMEM;
			goto out;
		}
		c = tmp;
	}
	LY_LIST_FOR_SAFE(c, next, c)
	{
		if (c->schema->flags & LYS_KEY)
			continue;
		first = parent ? lyd_child(parent) : *tree;
		m = NULL;
		if (first)
			lyd_find_sibling_val(first, c->schema, NULL, 0, &m);
		if (m && (m->flags & LYD_DEFAULT) && (m->schema->nodetype & LYD_NODE_INNER)) {
			/* a non-presence container emptied by the deletion (libyang
			 * marks it default): its own implicit children are missing */
			if (lyd_new_implicit_tree(m, LYD_IMPLICIT_NO_STATE, NULL) != LY_SUCCESS) {
				rc = -ENOMEM;
				goto out;
			}
			continue;
		}
		if (m || other_case_present(first, c->schema))
			continue;
		if (!parent && tmp == c)
			tmp = c->next;
		lyd_unlink_tree(c);
		if (parent)
			lyd_insert_child(parent, c);
		else
			lyd_insert_sibling(*tree, c, tree);
	}
out:
	lyd_free_all(tmp);
	return rc;
}

static int
pre_walk(struct lyd_node **tree, const struct lyd_node *dnode)
{
	const struct lyd_node *c;
	const char *op = ydiff_op(dnode);

	if (op && !strcmp(op, "create")) {
		drop_replaced_defaults(tree, dnode);
		return 0;
	}
	if (op && !strcmp(op, "delete"))
		return 0;
	LY_LIST_FOR(lyd_child_no_keys(dnode), c)
	pre_walk(tree, c);
	return 0;
}

static int
post_walk(struct lyd_node **tree, const struct lyd_node *dnode)
{
	const struct lyd_node *c;
	struct lyd_node *m, *parent;
	const char *op = ydiff_op(dnode);
	int rc = 0;

	if (op && !strcmp(op, "create")) {
		m = ydiff_match(*tree, dnode);
		if (m) {
			struct lyd_node *it;

			/* the diff comes from a valid configuration: these nodes
			 * are not new to validation (libyang's LYD_NEW) */
			LYD_TREE_DFS_BEGIN(m, it)
			{
				it->flags &= ~LYD_NEW;
				LYD_TREE_DFS_END(m, it);
			}
		}
		if (m && (dnode->schema->nodetype & LYD_NODE_INNER) &&
		    lyd_new_implicit_tree(m, LYD_IMPLICIT_NO_STATE, NULL) != LY_SUCCESS)
			rc = -ENOMEM;
		return rc;
	}
	if (op && !strcmp(op, "delete")) {
		parent = NULL;
		if (lyd_parent(dnode)) {
			parent = ydiff_match(*tree, lyd_parent(dnode));
			if (!parent)
				return 0;
		}
		return ydiff_fill_defaults(tree, parent, dnode->schema->module);
	}
	LY_LIST_FOR(lyd_child_no_keys(dnode), c)
	{
		if ((rc = post_walk(tree, c)) < 0)
			break;
	}
	return rc;
}

/*
 * Each group of user-ordered instances in reverse order, at every level
 * where the instances carry their own operations: not inside a subtree
 * created or deleted whole, whose instances are anchored in their order.
 */
static void
reverse_groups(struct lyd_node *first)
{
	struct lyd_node *n = first, *end, *head, *x, *nx;
	const char *op;

	while (n) {
		end = n->next;
		head = n;
		if (n->schema && lysc_is_userordered(n->schema)) {
			for (x = n->next; x && x->schema == n->schema; x = nx) {
				nx = x->next;
				lyd_insert_before(head, x);
				head = x;
			}
			end = x;
		}
		for (x = head; x != end; x = x->next) {
			op = ydiff_op(x);
			if (!op || (strcmp(op, "create") != 0 && strcmp(op, "delete") != 0))
				reverse_groups(lyd_child(x));
		}
		n = end;
	}
}

int
ydiff_reverse(const struct lyd_node *diff, struct lyd_node **rev)
{
	*rev = NULL;
	if (!diff)
		return 0;
	if (lyd_diff_reverse_all(diff, rev) != LY_SUCCESS)
		return -ENOMEM;
	reverse_groups(*rev);
	*rev = lyd_first_sibling(*rev);
	return 0;
}

int
ydiff_apply(struct lyd_node **tree, const struct lyd_node *diff, bool defaults)
{
	const struct lyd_node *top;
	int rc = 0;

	if (!diff)
		return 0;
	/* always: an explicit node replaces a default one (libyang marks an
	 * emptied non-presence container default, even in unvalidated trees) */
	LY_LIST_FOR(diff, top)
	pre_walk(tree, top);
	if (lyd_diff_apply_all(tree, diff) != LY_SUCCESS)
		return -EINVAL;
	if (defaults) {
		LY_LIST_FOR(diff, top)
		{
			if ((rc = post_walk(tree, top)) < 0)
				break;
		}
	}
	return rc;
}
