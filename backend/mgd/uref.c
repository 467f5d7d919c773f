/* SPDX-License-Identifier: MIT */
/*
 * uref: cairn-extensions:unit-ref checks (see uref.h).
 *
 * The schema is indexed once: each node carrying the extension with the
 * chain of its data ancestors, so that its instances are reached by
 * walking down the tree (libyang keeps the instances of one schema node
 * together; the first is found by hash). A full check puts the unit
 * numbers of each referenced interface in a hash set and looks every
 * reference up; a change check looks its new references up in the tree
 * and scans the references only when units were deleted.
 */
#include "uref.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ydiff.h"
#include "banned.h"

#define UREF_MAX_DEPTH 32

struct uref_node {
	const struct lysc_node *sn;
	const char *ifname; /* the extension's argument (schema dictionary) */
	size_t iflen;
	const struct lysc_node *chain[UREF_MAX_DEPTH]; /* data ancestors, top first, sn last */
	unsigned depth;
};

/* A set of unit numbers (open addressing; UINT32_MAX marks a free slot:
 * unit numbers stop at 1073741823). */
struct uset {
	uint32_t *v;
	size_t cap, n;
};

struct uref {
	const struct ly_ctx *ctx;
	const struct lysc_node *ifs;   /* container interfaces */
	const struct lysc_node *iface; /* list interface */
	const struct lysc_node *unit;  /* list unit */
	struct uref_node *nodes;
	size_t n;
	char *err_path, *err_value, *err_msg;
};

/* ---- schema index ---- */

static const char *
unit_ref_arg(const struct lysc_node *s)
{
	LY_ARRAY_COUNT_TYPE u;

	LY_ARRAY_FOR(s->exts, u)
	{
		if (!strcmp(s->exts[u].def->name, "unit-ref") &&
		    !strcmp(s->exts[u].def->module->name, "cairn-extensions"))
			return s->exts[u].argument;
	}
	return NULL;
}

static int
index_node(struct uref *u, const struct lysc_node *s)
{
	const struct lysc_node *p;
	struct uref_node *un, *nv;
	const char *arg;
	unsigned d = 0;

	if (!(s->nodetype & (LYS_LEAF | LYS_LEAFLIST)) || (s->flags & LYS_CONFIG_R) ||
	    (arg = unit_ref_arg(s)) == NULL || !*arg)
		return 0;
	for (p = s; p; p = lysc_data_parent(p))
		d++;
	if (d > UREF_MAX_DEPTH)
		return 0;
	if ((nv = realloc(u->nodes, (u->n + 1) * sizeof(*nv))) == NULL)
		return -ENOMEM;
	u->nodes = nv;
	un = &u->nodes[u->n++];
	memset(un, 0, sizeof(*un));
	un->sn = s;
	un->ifname = arg;
	un->iflen = strlen(arg);
	un->depth = d;
	for (p = s; p; p = lysc_data_parent(p))
		un->chain[--d] = p;
	return 0;
}

struct uref *
uref_new(const struct ly_ctx *ctx)
{
	struct uref *u = calloc(1, sizeof(*u));
	const struct lys_module *mod;
	const struct lysc_node *top, *s;
	uint32_t idx = 0;
	int rc = 0;

	if (!u)
		return NULL;
	u->ctx = ctx;
	u->unit = lys_find_path(ctx, NULL, "/cairn-interfaces:interfaces/interface/unit", 0);
	if (u->unit) {
		u->iface = lysc_data_parent(u->unit);
		u->ifs = u->iface ? lysc_data_parent(u->iface) : NULL;
		if (u->unit->nodetype != LYS_LIST || !u->iface || u->iface->nodetype != LYS_LIST ||
		    !u->ifs || lysc_data_parent(u->ifs))
			u->unit = u->iface = u->ifs = NULL;
	}
	while ((mod = ly_ctx_get_module_iter(ctx, &idx)) != NULL && rc == 0) {
		if (!mod->implemented || !mod->compiled)
			continue;
		LY_LIST_FOR(mod->compiled->data, top)
		{
			LYSC_TREE_DFS_BEGIN(top, s)
			{
				if (rc == 0)
					rc = index_node(u, s);
				LYSC_TREE_DFS_END(top, s);
			}
		}
	}
	if (rc != 0) {
		uref_free(u);
		return NULL;
	}
	return u;
}

static void
clear_error(struct uref *u)
{
	free(u->err_path);
	free(u->err_value);
	free(u->err_msg);
	u->err_path = u->err_value = u->err_msg = NULL;
}

void
uref_free(struct uref *u)
{
	if (!u)
		return;
	clear_error(u);
	free(u->nodes);
	free(u);
}

size_t
uref_count(const struct uref *u)
{
	return u ? u->n : 0;
}

void
uref_error(const struct uref *u, const char **path, const char **value, const char **msg)
{
	*path = u->err_path;
	*value = u->err_value;
	*msg = u->err_msg;
}

/* ---- values ---- */

/*
 * Is v a reference to a unit of un's interface? "IF.N" or "IF" (unit 0).
 * A number too large for any unit gives UINT32_MAX, which no unit has.
 */
static bool
parse_ref(const struct uref_node *un, const char *v, uint32_t *unit)
{
	uint64_t n = 0;

	if (strncmp(v, un->ifname, un->iflen) != 0)
		return false;
	v += un->iflen;
	if (*v == '\0') {
		*unit = 0;
		return true;
	}
	if (*v++ != '.' || *v < '0' || *v > '9')
		return false;
	for (; *v >= '0' && *v <= '9'; v++)
		if ((n = n * 10 + (uint64_t)(*v - '0')) > UINT32_MAX)
			n = UINT32_MAX;
	if (*v)
		return false;
	*unit = (uint32_t)n;
	return true;
}

static const struct uref_node *
find_node(const struct uref *u, const struct lysc_node *s)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->nodes[i].sn == s)
			return &u->nodes[i];
	return NULL;
}

/* The error for instance inst (of the tree or of a diff) of un. */
static int
fail(struct uref *u, const struct uref_node *un, const struct lyd_node *inst)
{
	const struct lyd_node *at = inst;
	const char *v = lyd_get_value(inst);
	char msg[256];

	if (u->err_msg)
		return -EINVAL;
	/* a key names its entry; a leaf-list value is in its path */
	if ((un->sn->flags & LYS_KEY) && lyd_parent(inst))
		at = lyd_parent(inst);
	snprintf(msg, sizeof(msg), "Referenced interface %.200s not configured", v);
	u->err_path = lyd_path(at, LYD_PATH_STD, NULL, 0);
	u->err_msg = strdup(msg);
	if (un->sn->nodetype == LYS_LEAF && at == inst)
		u->err_value = strdup(v);
	if (!u->err_path || !u->err_msg)
		return -ENOMEM;
	return -EINVAL;
}

/* The entry of interface `name` in tree, or NULL. */
static const struct lyd_node *
find_iface(const struct uref *u, const struct lyd_node *tree, const char *name, size_t len)
{
	struct lyd_node *ifs = NULL, *e = NULL;
	char pred[160];

	if (!tree || !u->ifs || len > 100 || memchr(name, '\'', len))
		return NULL;
	if (lyd_find_sibling_val(tree, u->ifs, NULL, 0, &ifs) != LY_SUCCESS || !lyd_child(ifs))
		return NULL;
	snprintf(pred, sizeof(pred), "[name='%.*s']", (int)len, name);
	if (lyd_find_sibling_val(lyd_child(ifs), u->iface, pred, 0, &e) != LY_SUCCESS)
		return NULL;
	return e;
}

static bool
has_unit(const struct uref *u, const struct lyd_node *iface, uint32_t unit)
{
	struct lyd_node *m = NULL;
	char pred[40];

	if (!iface || !lyd_child(iface))
		return false;
	snprintf(pred, sizeof(pred), "[name='%" PRIu32 "']", unit);
	return lyd_find_sibling_val(lyd_child(iface), u->unit, pred, 0, &m) == LY_SUCCESS;
}

/* ---- unit sets ---- */

static size_t
uhash(uint32_t x, size_t cap)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	return (size_t)x & (cap - 1);
}

static int
uset_add(struct uset *s, uint32_t x)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct uset ns = { NULL, s->cap ? s->cap * 2 : 64, 0 };

		if ((ns.v = malloc(ns.cap * sizeof(*ns.v))) == NULL)
			return -ENOMEM;
		memset(ns.v, 0xff, ns.cap * sizeof(*ns.v));
		for (size_t j = 0; j < s->cap; j++)
			if (s->v[j] != UINT32_MAX)
				uset_add(&ns, s->v[j]);
		free(s->v);
		*s = ns;
	}
	for (i = uhash(x, s->cap); s->v[i] != UINT32_MAX; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == x)
			return 0;
	s->v[i] = x;
	s->n++;
	return 0;
}

static bool
uset_has(const struct uset *s, uint32_t x)
{
	if (!s->cap || x == UINT32_MAX)
		return false;
	for (size_t i = uhash(x, s->cap); s->v[i] != UINT32_MAX; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == x)
			return true;
	return false;
}

/* The units of an interface entry. */
static int
uset_fill(const struct uref *u, struct uset *s, const struct lyd_node *iface)
{
	struct lyd_node *m = NULL;

	if (!iface || !lyd_child(iface) ||
	    lyd_find_sibling_val(lyd_child(iface), u->unit, NULL, 0, &m) != LY_SUCCESS)
		return 0;
	for (; m && m->schema == u->unit; m = m->next) {
		const struct lyd_node *k = lyd_child(m);
		char *end;
		unsigned long x;

		if (!k)
			continue;
		x = strtoul(lyd_get_value(k), &end, 10);
		if (*end || x >= UINT32_MAX)
			continue;
		if (uset_add(s, (uint32_t)x) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- walking the instances of an indexed node ---- */

struct scan {
	struct uref *u;
	const struct uref_node *un;
	const struct uset *units; /* full check: the interface's units */
	/* change check: the deleted units (sorted), and the tree's entry */
	const uint32_t *del;
	size_t ndel;
	const struct lyd_node *iface;
	int rc;
};

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
scan_inst(struct scan *sc, const struct lyd_node *inst)
{
	uint32_t unit;

	if (!parse_ref(sc->un, lyd_get_value(inst), &unit))
		return;
	if (sc->units) {
		if (!uset_has(sc->units, unit))
			sc->rc = fail(sc->u, sc->un, inst);
		return;
	}
	if (bsearch(&unit, sc->del, sc->ndel, sizeof(*sc->del), cmp_u32) &&
	    !has_unit(sc->u, sc->iface, unit))
		sc->rc = fail(sc->u, sc->un, inst);
}

static void
scan_level(struct scan *sc, const struct lyd_node *first, unsigned d)
{
	const struct lysc_node *s = sc->un->chain[d];
	struct lyd_node *m = NULL;

	if (!first || lyd_find_sibling_val(first, s, NULL, 0, &m) != LY_SUCCESS)
		return;
	for (; m && m->schema == s && !sc->rc; m = m->next) {
		if (d + 1 == sc->un->depth)
			scan_inst(sc, m);
		else
			scan_level(sc, lyd_child(m), d + 1);
	}
}

int
uref_check_all(struct uref *u, const struct lyd_node *tree)
{
	int rc = 0;

	clear_error(u);
	for (size_t i = 0; i < u->n && rc == 0; i++) {
		const struct uref_node *un = &u->nodes[i];
		struct uset units = { 0 };
		struct scan sc = { .u = u, .un = un, .units = &units };

		/* the units of the interface, once per node (there are few) */
		rc = uset_fill(u, &units, find_iface(u, tree, un->ifname, un->iflen));
		if (rc == 0) {
			scan_level(&sc, tree, 0);
			rc = sc.rc;
		}
		free(units.v);
	}
	return rc;
}

/* ---- a change ---- */

struct delset {
	const char *ifname; /* interface of the deleted units */
	size_t iflen;
	uint32_t *v;
	size_t n, cap;
};

struct chg {
	struct uref *u;
	const struct lyd_node *tree;
	struct delset *dels;
	size_t ndels;
	int rc;
};

static void
check_new(struct chg *c, const struct lyd_node *y)
{
	const struct uref_node *un = find_node(c->u, y->schema);
	uint32_t unit;

	if (!un || !parse_ref(un, lyd_get_value(y), &unit))
		return;
	if (!has_unit(c->u, find_iface(c->u, c->tree, un->ifname, un->iflen), unit))
		c->rc = fail(c->u, un, y);
}

static void
note_deleted_unit(struct chg *c, const struct lyd_node *y)
{
	const struct lyd_node *ifent = lyd_parent(y), *k;
	const char *ifname, *val;
	struct delset *ds = NULL;
	char *end;
	unsigned long x;

	if (!ifent || !(k = lyd_child(ifent)) || !lysc_is_key(k->schema) || !lyd_child(y))
		return;
	ifname = lyd_get_value(k);
	val = lyd_get_value(lyd_child(y));
	x = strtoul(val, &end, 10);
	if (*end || x >= UINT32_MAX)
		return;
	for (size_t i = 0; i < c->ndels; i++)
		if (!strcmp(c->dels[i].ifname, ifname))
			ds = &c->dels[i];
	if (!ds) {
		struct delset *nv = realloc(c->dels, (c->ndels + 1) * sizeof(*nv));

		if (!nv) {
			c->rc = -ENOMEM;
			return;
		}
		c->dels = nv;
		ds = &c->dels[c->ndels++];
		memset(ds, 0, sizeof(*ds));
		ds->ifname = ifname;
		ds->iflen = strlen(ifname);
	}
	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? ds->cap * 2 : 16;
		uint32_t *nv = realloc(ds->v, cap * sizeof(*nv));

		if (!nv) {
			c->rc = -ENOMEM;
			return;
		}
		ds->v = nv;
		ds->cap = cap;
	}
	ds->v[ds->n++] = (uint32_t)x;
}

static void
walk_diff(struct chg *c, const struct lyd_node *dn)
{
	const char *op = ydiff_op(dn);
	const struct lyd_node *y;

	if (op && (!strcmp(op, "create") || !strcmp(op, "delete"))) {
		bool create = op[0] == 'c';

		LYD_TREE_DFS_BEGIN(dn, y)
		{
			if (c->rc)
				return;
			if (create && (y->schema->nodetype & LYD_NODE_TERM))
				check_new(c, y);
			else if (!create && y->schema == c->u->unit)
				note_deleted_unit(c, y);
			LYD_TREE_DFS_END(dn, y);
		}
		return;
	}
	/* none, or replace: a leaf's new value, a moved instance */
	if (op && !strcmp(op, "replace") && (dn->schema->nodetype & LYD_NODE_TERM))
		check_new(c, dn);
	LY_LIST_FOR(lyd_child_no_keys(dn), y)
	{
		if (c->rc)
			return;
		walk_diff(c, y);
	}
}

int
uref_check_diff(struct uref *u, const struct lyd_node *tree, const struct lyd_node *diff)
{
	struct chg c = { .u = u, .tree = tree };
	const struct lyd_node *top;

	clear_error(u);
	if (!u->n)
		return 0;
	LY_LIST_FOR(diff, top)
	{
		if (c.rc)
			break;
		walk_diff(&c, top);
	}
	/* deleted units: every reference to one of them */
	for (size_t i = 0; i < c.ndels && !c.rc; i++) {
		struct delset *ds = &c.dels[i];

		qsort(ds->v, ds->n, sizeof(*ds->v), cmp_u32);
		for (size_t j = 0; j < u->n && !c.rc; j++) {
			const struct uref_node *un = &u->nodes[j];
			struct scan sc = { .u = u, .un = un, .del = ds->v, .ndel = ds->n };

			if (un->iflen != ds->iflen || memcmp(un->ifname, ds->ifname, ds->iflen))
				continue;
			sc.iface = find_iface(u, tree, un->ifname, un->iflen);
			scan_level(&sc, tree, 0);
			c.rc = sc.rc;
		}
	}
	for (size_t i = 0; i < c.ndels; i++)
		free(c.dels[i].v);
	free(c.dels);
	return c.rc;
}
