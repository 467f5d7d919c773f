/* SPDX-License-Identifier: MIT */
/*
 * nb: the northbound engine (see nb.h). FRR's northbound model (lib/
 * northbound.c): a const callback table keyed by schema path, changes
 * sorted destroys-first, phases VALIDATE/PREPARE/ABORT/APPLY; across
 * processes the two-phase commit of cairn-mgd (config-prepare, then
 * config-apply or config-abort).
 */
#include "nb.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "ydiff.h"
#include "ywords.h"
#include "banned.h"

#define NB_CALL_TIMEOUT_MS 30000
/* Compact mode: the copy is serialised when no transaction came for this
 * long (a burst of commits builds the tree once), off the reply's path. */
#define NB_PARK_QUIET_MS 1000

struct nb_entry {
	const struct lysc_node *schema;
	const struct nb_node_ops *ops;
	int rank;
};

struct nb_rpc_entry {
	const struct lysc_node *schema;
	const struct nb_rpc_ops *ops;
};

struct change {
	enum nb_event ev;
	const struct lyd_node *dnode;
	const struct nb_entry *e;
	int rank, depth;
	size_t order;
	struct nb_resource res;
	bool prepared;
};

struct ntx {
	uint64_t txid;
	struct lyd_node *diff;     /* the effective change of the daemon's copy */
	struct lyd_node *old_tree; /* a first full configuration: the copy before it */
	struct change *ch;
	size_t n, cap;
	bool full;
};

struct nb {
	struct event_base *base;
	struct ly_ctx *ctx;
	const struct nb_cfg *cfg;
	struct nb_entry *entries;
	size_t nentries;
	struct nb_rpc_entry *rpcs;
	size_t nrpcs;
	struct lyd_node *running;
	char *parked; /* compact mode: running as LYB between transactions */
	size_t parked_len;
	struct event *park_ev; /* compact mode: parks once transactions pause */
	struct ipc_conn *conn;
	char *sock;
	struct event *retry;
	struct ntx *tx; /* prepared, waiting for apply or abort */
	bool synced;
	bool subscribed;
};

const char *
nb_phase_name(enum nb_phase p)
{
	static const char *n[] = { "VALIDATE", "PREPARE", "ABORT", "APPLY" };

	return n[p];
}

const char *
nb_event_name(enum nb_event e)
{
	static const char *n[] = { "create", "modify", "destroy", "move" };

	return n[e];
}

int
nb_fail(struct errbuf *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->msg[0])
		return rc;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void
nb_set_entry(const struct lyd_node *dnode, void *entry)
{
	((struct lyd_node *)dnode)->priv = entry;
}

void *
nb_get_entry(const struct lyd_node *dnode)
{
	return dnode ? dnode->priv : NULL;
}

const char *
nb_str(const struct lyd_node *dnode, const char *name)
{
	struct lyd_node *c;

	if (!dnode)
		return NULL;
	if (!name || !*name)
		return (dnode->schema->nodetype & LYD_NODE_TERM) ? lyd_get_value(dnode) : NULL;
	LY_LIST_FOR(lyd_child(dnode), c)
	{
		if (!strcmp(c->schema->name, name) && (c->schema->nodetype & LYD_NODE_TERM))
			return lyd_get_value(c);
	}
	return NULL;
}

const struct lyd_node *
nb_running(const struct nb *nb)
{
	return nb->running;
}

size_t
nb_parked_size(const struct nb *nb)
{
	return nb->parked ? nb->parked_len : 0;
}

/* The tree of the serialised copy, as printed (defaults and flags kept). */
static LY_ERR
parse_parked(const struct nb *nb, struct lyd_node **tree)
{
	return lyd_parse_data_mem(nb->ctx, nb->parked, LYD_LYB,
	    LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, 0, tree);
}

struct lyd_node *
nb_running_dup(const struct nb *nb)
{
	struct lyd_node *tree = NULL;

	if (nb->parked) {
		if (parse_parked(nb, &tree) != LY_SUCCESS)
			return NULL;
	} else if (nb->running &&
	           lyd_dup_siblings(nb->running, NULL, LYD_DUP_RECURSIVE, &tree) != LY_SUCCESS) {
		return NULL;
	}
	return tree;
}

/*
 * Compact mode (nb_cfg.compact): between transactions the copy lives as
 * LYB with its default nodes (their flag kept), so building it again
 * needs no validation; the tree's memory goes back to the system. On
 * failure the tree stays as it is (only memory is lost) and is tried
 * again after the next transaction.
 */
static void
park(struct nb *nb)
{
	struct ly_out *out = NULL;
	char *blob = NULL;

	if (!nb->cfg->compact || nb->tx || nb->parked)
		return;
	if (ly_out_new_memory(&blob, 0, &out) != LY_SUCCESS)
		return;
	if (lyd_print_all(out, nb->running, LYD_LYB, LYD_PRINT_WD_ALL) != LY_SUCCESS) {
		log_warnx(LOG_CFG, "%s: cannot serialise its configuration: %s", nb->cfg->name,
		    ly_errmsg(nb->ctx));
		ly_out_free(out, NULL, 1);
		return;
	}
	if (ly_out_printed(out) < nb->cfg->compact_min) {
		/* small: the tree costs little and commits stay quick */
		ly_out_free(out, NULL, 1);
		return;
	}
	nb->parked_len = ly_out_printed(out);
	ly_out_free(out, NULL, 0);
	nb->parked = blob;
	lyd_free_all(nb->running);
	nb->running = NULL;
	/* the tree was tens of MB of small nodes: give the pages back now */
	malloc_trim(0);
}

static void
park_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	park(arg);
}

/* After a transaction: park when transactions pause (at once without an
 * event loop). */
static void
park_soon(struct nb *nb)
{
	struct timeval tv = { NB_PARK_QUIET_MS / 1000, (NB_PARK_QUIET_MS % 1000) * 1000 };

	if (!nb->cfg->compact)
		return;
	if (!nb->base) {
		park(nb);
		return;
	}
	if (!nb->park_ev)
		nb->park_ev = evtimer_new(nb->base, park_cb, nb);
	if (!nb->park_ev || evtimer_add(nb->park_ev, &tv) < 0)
		park(nb);
}

/* The copy as a tree again: 0, or -errno (the blob is kept). */
static int
unpark(struct nb *nb)
{
	struct lyd_node *tree = NULL;

	if (nb->park_ev)
		evtimer_del(nb->park_ev);
	if (!nb->parked)
		return 0;
	if (parse_parked(nb, &tree) != LY_SUCCESS) {
		log_warnx(LOG_CFG, "%s: cannot restore its configuration: %s", nb->cfg->name,
		    ly_errmsg(nb->ctx));
		return -ENOMEM;
	}
	free(nb->parked);
	nb->parked = NULL;
	nb->parked_len = 0;
	nb->running = tree;
	return 0;
}

bool
nb_connected(const struct nb *nb)
{
	return nb->conn && nb->subscribed;
}

bool
nb_synced(const struct nb *nb)
{
	return nb->synced;
}

/* ---- the table ---- */

static int
cmp_entry(const void *a, const void *b)
{
	const struct nb_entry *x = a, *y = b;

	return (uintptr_t)x->schema < (uintptr_t)y->schema
	           ? -1
	           : (uintptr_t)x->schema > (uintptr_t)y->schema;
}

static const struct nb_entry *
entry_for(const struct nb *nb, const struct lysc_node *s)
{
	struct nb_entry key = { s, NULL, 0 };

	return bsearch(&key, nb->entries, nb->nentries, sizeof(key), cmp_entry);
}

/* The NB_F_SUBTREE entry covering s (an ancestor-or-self), if any. */
static const struct nb_entry *
subtree_owner(const struct nb *nb, const struct lysc_node *s)
{
	const struct nb_entry *e;

	for (; s; s = s->parent) {
		e = entry_for(nb, s);
		if (e && (e->ops->flags & NB_F_SUBTREE))
			return e;
	}
	return NULL;
}

static bool
has_default(const struct lysc_node *s)
{
	if (s->nodetype == LYS_LEAF)
		return ((const struct lysc_node_leaf *)s)->dflt != NULL;
	return false;
}

static int
check_coverage(const struct nb *nb, const struct lysc_node *top, struct errbuf *err)
{
	const struct lysc_node *s;
	const struct nb_entry *e;
	char path[512];
	const char *miss;
	int rc = 0;

	LYSC_TREE_DFS_BEGIN(top, s)
	{
		miss = NULL;
		if (rc || (s->flags & LYS_CONFIG_R) || (s->nodetype & (LYS_CHOICE | LYS_CASE)) ||
		    (s->flags & LYS_KEY))
			goto next;
		e = entry_for(nb, s);
		if (subtree_owner(nb, s->parent))
			goto next;
		switch (s->nodetype) {
		case LYS_CONTAINER:
			if (!(s->flags & LYS_PRESENCE)) {
				if (e && (e->ops->flags & NB_F_SUBTREE) && !e->ops->modify)
					miss = "modify";
				break;
			}
			/* fall through */
		case LYS_LIST:
		case LYS_LEAFLIST:
			if (!e || !e->ops->create)
				miss = "create";
			else if (!e->ops->destroy)
				miss = "destroy";
			else if ((e->ops->flags & NB_F_SUBTREE) && !e->ops->modify &&
			         lysc_node_child(s))
				miss = "modify";
			break;
		case LYS_LEAF:
			if (!e || !e->ops->modify)
				miss = "modify";
			else if (!e->ops->destroy && !(s->flags & LYS_MAND_TRUE) && !has_default(s))
				miss = "destroy";
			break;
		default:
			break;
		}
		if (miss) {
			lysc_path(s, LYSC_PATH_DATA, path, sizeof(path));
			rc = errbuf_set(
			    err, -ENOENT, "%s: %s has no %s callback", nb->cfg->name, path, miss);
		}
	next:
		LYSC_TREE_DFS_END(top, s);
	}
	return rc;
}

/* The list (or top-level node) a schema node belongs to. */
static const struct lysc_node *
object_of(const struct lysc_node *s)
{
	const struct lysc_node *o = s;

	for (; s; s = s->parent) {
		o = s;
		if (s->nodetype == LYS_LIST)
			return s;
	}
	return o;
}

/* Objects that o's subtree refers to (leafref targets, must atoms). */
static void
refs_of(const struct lysc_node *o, const struct lysc_node **out, size_t *n, size_t cap)
{
	const struct lysc_node *s, *a;
	const struct lysc_must *musts;
	struct ly_set *set;
	LY_ARRAY_COUNT_TYPE u;
	uint32_t i;

	LYSC_TREE_DFS_BEGIN(o, s)
	{
		set = NULL;
		if ((s->nodetype & LYD_NODE_TERM) &&
		    ((const struct lysc_node_leaf *)s)->type->basetype == LY_TYPE_LEAFREF) {
			const struct lysc_type_leafref *lr =
			    (const struct lysc_type_leafref *)((const struct lysc_node_leaf *)s)
			        ->type;
			lys_find_expr_atoms(s, s->module, lr->path, lr->prefixes, 0, &set);
		}
		for (i = 0; set && i < set->count; i++) {
			a = object_of(set->snodes[i]);
			if (a != o && *n < cap)
				out[(*n)++] = a;
		}
		ly_set_free(set, NULL);
		musts = lysc_node_musts(s);
		LY_ARRAY_FOR(musts, u)
		{
			set = NULL;
			lys_find_expr_atoms(
			    s, s->module, musts[u].cond, musts[u].prefixes, 0, &set);
			for (i = 0; set && i < set->count; i++) {
				a = object_of(set->snodes[i]);
				/* an ancestor list is context, not a dependency */
				const struct lysc_node *p;
				bool anc = false;
				for (p = o; p; p = p->parent)
					if (p == a)
						anc = true;
				if (!anc && *n < cap)
					out[(*n)++] = a;
			}
			ly_set_free(set, NULL);
		}
		LYSC_TREE_DFS_END(o, s);
	}
}

/* Ranks of objects, memoised (a cycle counts as no dependency). */
struct rank_memo {
	const struct lysc_node *o[256];
	int r[256]; /* -1: being computed */
	size_t n;
};

static int
rank_of(struct rank_memo *memo, const struct lysc_node *o)
{
	const struct lysc_node *refs[64];
	size_t n = 0, i, slot;
	int r = 0, x;

	for (i = 0; i < memo->n; i++)
		if (memo->o[i] == o)
			return memo->r[i] < 0 ? 0 : memo->r[i];
	if (memo->n == 256)
		return 0;
	slot = memo->n++;
	memo->o[slot] = o;
	memo->r[slot] = -1;
	refs_of(o, refs, &n, 64);
	for (i = 0; i < n; i++) {
		x = rank_of(memo, refs[i]) + 1;
		if (x > r)
			r = x;
	}
	/* a nested list comes after its parent list */
	if (o->parent) {
		x = rank_of(memo, object_of(o->parent));
		if (x > r)
			r = x;
	}
	memo->r[slot] = r;
	return r;
}

struct nb *
nb_new(struct event_base *base, struct ly_ctx *ctx, const struct nb_cfg *cfg, struct errbuf *err)
{
	struct nb *nb = calloc(1, sizeof(*nb));
	const struct lysc_node *s;
	const struct nb_node_ops *o;
	const struct nb_rpc_ops *r;
	struct rank_memo *memo = NULL;
	size_t i;
	char path[256];

	if (!nb) {
		errbuf_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	nb->base = base;
	nb->ctx = ctx;
	nb->cfg = cfg;
	for (o = cfg->nodes; o && o->path; o++)
		nb->nentries++;
	for (r = cfg->rpcs; r && r->path; r++)
		nb->nrpcs++;
	memo = calloc(1, sizeof(*memo));
	nb->entries = calloc(nb->nentries + 1, sizeof(*nb->entries));
	nb->rpcs = calloc(nb->nrpcs + 1, sizeof(*nb->rpcs));
	if (!nb->entries || !nb->rpcs || !memo) {
		errbuf_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < nb->nentries; i++) {
		o = &cfg->nodes[i];
		s = lys_find_path(ctx, NULL, o->path, 0);
		if (!s) {
			errbuf_set(err, -ENOENT, "%s: unknown schema path %s", cfg->name, o->path);
			goto fail;
		}
		nb->entries[i].schema = s;
		nb->entries[i].ops = o;
		nb->entries[i].rank = o->priority ? o->priority : rank_of(memo, object_of(s));
	}
	if (nb->nentries)
		qsort(nb->entries, nb->nentries, sizeof(*nb->entries), cmp_entry);
	for (i = 0; i < nb->nrpcs; i++) {
		s = lys_find_path(ctx, NULL, cfg->rpcs[i].path, 0);
		if (!s || s->nodetype != LYS_RPC) {
			errbuf_set(
			    err, -ENOENT, "%s: unknown rpc %s", cfg->name, cfg->rpcs[i].path);
			goto fail;
		}
		nb->rpcs[i].schema = s;
		nb->rpcs[i].ops = &cfg->rpcs[i];
	}
	for (i = 0; cfg->subtrees && cfg->subtrees[i]; i++) {
		snprintf(path, sizeof(path), "/%s", cfg->subtrees[i]);
		s = lys_find_path(ctx, NULL, path, 0);
		if (!s) {
			errbuf_set(
			    err, -ENOENT, "%s: unknown subtree %s", cfg->name, cfg->subtrees[i]);
			goto fail;
		}
		if (check_coverage(nb, s, err) < 0)
			goto fail;
	}
	/* the empty configuration, with its defaults */
	if (lyd_new_implicit_all(&nb->running, ctx, LYD_IMPLICIT_NO_STATE, NULL) != LY_SUCCESS) {
		errbuf_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	free(memo);
	return nb;
fail:
	free(memo);
	nb_free(nb);
	return NULL;
}

/* ---- transactions ---- */

static void
tx_add(struct ntx *tx, enum nb_event ev, const struct lyd_node *dnode, const struct nb_entry *e,
    int *rc)
{
	struct change *c;
	const struct lyd_node *p;
	int depth = 0;

	if (!e || *rc)
		return;
	/* one modify per subtree owner node */
	if (ev == NB_EV_MODIFY && (e->ops->flags & NB_F_SUBTREE) && tx->n &&
	    tx->ch[tx->n - 1].dnode == dnode && tx->ch[tx->n - 1].ev == ev)
		return;
	if (tx->n == tx->cap) {
		size_t cap = tx->cap ? tx->cap * 2 : 32;
		struct change *nc = realloc(tx->ch, cap * sizeof(*nc));
		if (!nc) {
			*rc = -ENOMEM;
			return;
		}
		tx->ch = nc;
		tx->cap = cap;
	}
	for (p = dnode; p; p = lyd_parent(p))
		depth++;
	c = &tx->ch[tx->n];
	memset(c, 0, sizeof(*c));
	c->ev = ev;
	c->dnode = dnode;
	c->e = e;
	c->rank = e->rank;
	c->depth = depth;
	c->order = tx->n;
	tx->n++;
}

/* Every node of a new subtree of the daemon's copy, defaults included. */
static void
collect_created(struct nb *nb, struct ntx *tx, const struct lyd_node *t, int *rc)
{
	const struct lysc_node *s = t->schema;
	const struct nb_entry *e = entry_for(nb, s);
	const struct lyd_node *c;

	if (*rc || (s->flags & LYS_KEY))
		return;
	if (s->nodetype == LYS_LEAF) {
		tx_add(tx, NB_EV_MODIFY, t, e, rc);
		return;
	}
	if (s->nodetype != LYS_CONTAINER || (s->flags & LYS_PRESENCE))
		tx_add(tx, NB_EV_CREATE, t, e, rc);
	else if (e && (e->ops->flags & NB_F_SUBTREE))
		tx_add(tx, NB_EV_MODIFY, t, e, rc); /* a non-presence container has no life */
	if (e && (e->ops->flags & NB_F_SUBTREE))
		return;
	LY_LIST_FOR(lyd_child_no_keys(t), c)
	collect_created(nb, tx, c, rc);
}

/* A deleted node (from the diff, old values). */
static void
collect_deleted(struct nb *nb, struct ntx *tx, const struct lyd_node *dn, int *rc)
{
	const struct lysc_node *s = dn->schema;
	const struct nb_entry *e = entry_for(nb, s);
	const struct lyd_node *c, *t;

	if (*rc || (s->flags & LYS_KEY))
		return;
	if (s->nodetype == LYS_LEAF && has_default(s)) {
		/* back to its default: a modify */
		t = ydiff_match(nb->running, dn);
		if (t)
			tx_add(tx, NB_EV_MODIFY, t, e, rc);
		return;
	}
	if (s->nodetype == LYS_CONTAINER && !(s->flags & LYS_PRESENCE) && e &&
	    (e->ops->flags & NB_F_SUBTREE)) {
		/* emptied: it still exists, with its defaults */
		t = ydiff_match(nb->running, dn);
		if (t)
			tx_add(tx, NB_EV_MODIFY, t, e, rc);
		return;
	}
	if (e && e->ops->destroy) {
		tx_add(tx, NB_EV_DESTROY, dn, e, rc);
		return;
	}
	LY_LIST_FOR(lyd_child_no_keys(dn), c)
	collect_deleted(nb, tx, c, rc);
}

static void
collect(struct nb *nb, struct ntx *tx, const struct lyd_node *dn, int *rc)
{
	const char *op = ydiff_op(dn);
	const struct lysc_node *s = dn->schema;
	const struct nb_entry *e = entry_for(nb, s), *own;
	const struct lyd_node *c, *t, *p;

	if (*rc)
		return;
	own = subtree_owner(nb, s);
	if (own && own->schema != s) {
		/* below a subtree owner: the owner's modify covers it */
		for (p = dn; p && p->schema != own->schema; p = lyd_parent(p))
			;
		t = p ? ydiff_match(nb->running, p) : NULL;
		if (t)
			tx_add(tx, NB_EV_MODIFY, t, own, rc);
		return;
	}
	if (!op || !strcmp(op, "none")) {
		LY_LIST_FOR(lyd_child_no_keys(dn), c)
		collect(nb, tx, c, rc);
		return;
	}
	if (!strcmp(op, "create")) {
		t = ydiff_match(nb->running, dn);
		if (t)
			collect_created(nb, tx, t, rc);
		return;
	}
	if (!strcmp(op, "delete")) {
		collect_deleted(nb, tx, dn, rc);
		return;
	}
	/* replace: a leaf's new value, or a user-ordered instance moved */
	t = ydiff_match(nb->running, dn);
	if (t) {
		if (s->nodetype == LYS_LEAF)
			tx_add(tx, NB_EV_MODIFY, t, e, rc);
		else if (e && e->ops->move)
			tx_add(tx, NB_EV_MOVE, t, e, rc);
	}
	if (e && (e->ops->flags & NB_F_SUBTREE))
		return;
	LY_LIST_FOR(lyd_child_no_keys(dn), c)
	collect(nb, tx, c, rc);
}

static int
cmp_change(const void *a, const void *b)
{
	const struct change *x = a, *y = b;
	int dx = x->ev == NB_EV_DESTROY, dy = y->ev == NB_EV_DESTROY;

	if (dx != dy)
		return dx ? -1 : 1;
	if (dx) {
		/* destroys: dependants first, deeper first */
		if (x->rank != y->rank)
			return x->rank > y->rank ? -1 : 1;
		if (x->depth != y->depth)
			return x->depth > y->depth ? -1 : 1;
	} else {
		/* creates/modifies: dependencies first, parents first */
		if (x->rank != y->rank)
			return x->rank < y->rank ? -1 : 1;
		if (x->depth != y->depth)
			return x->depth < y->depth ? -1 : 1;
	}
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Copies the entries of tree's nodes onto the matching nodes of sub
 * (a subtree of a diff), or back. */
static void
copy_entries(const struct lyd_node *from_tree, struct lyd_node *sub, bool to_tree)
{
	struct lyd_node *x, *t;

	LYD_TREE_DFS_BEGIN(sub, x)
	{
		t = ydiff_match(from_tree, x);
		if (t) {
			if (to_tree)
				t->priv = x->priv;
			else
				x->priv = t->priv;
		}
		LYD_TREE_DFS_END(sub, x);
	}
}

static void
deleted_entries(struct nb *nb, struct lyd_node *dn, bool to_tree)
{
	const char *op = ydiff_op(dn);
	struct lyd_node *c;

	if (op && !strcmp(op, "delete")) {
		copy_entries(nb->running, dn, to_tree);
		return;
	}
	if (op && !strcmp(op, "create"))
		return;
	LY_LIST_FOR(lyd_child_no_keys(dn), c)
	deleted_entries(nb, c, to_tree);
}

static void
tx_free(struct ntx *tx)
{
	if (!tx)
		return;
	lyd_free_all(tx->old_tree);
	lyd_free_all(tx->diff);
	free(tx->ch);
	free(tx);
}

static nb_cb
cb_for(const struct change *c)
{
	switch (c->ev) {
	case NB_EV_CREATE:
		return c->e->ops->create;
	case NB_EV_MODIFY:
		return c->e->ops->modify;
	case NB_EV_DESTROY:
		return c->e->ops->destroy;
	case NB_EV_MOVE:
		return c->e->ops->move;
	}
	return NULL;
}

static void
format_error(struct nb *nb, const struct change *c, const char *msg, struct buf *out)
{
	char *path = lyd_path(c->dnode, LYD_PATH_STD, NULL, 0);
	const char *val =
	    (c->dnode->schema->nodetype & LYD_NODE_TERM) && !(c->dnode->schema->flags & LYS_KEY)
	        ? lyd_get_value(c->dnode)
	        : NULL;

	ywords_error(out, nb->ctx, path, val, msg && *msg ? msg : "configuration rejected");
	free(path);
}

static int
run_phase(struct nb *nb, struct ntx *tx, enum nb_phase phase, struct buf *errout)
{
	struct nb_args a;
	struct errbuf err = { .msg = "" };
	size_t i, k;
	nb_cb cb;
	int rc;

	for (k = 0; k < tx->n; k++) {
		/* ABORT undoes in reverse */
		i = phase == NB_ABORT ? tx->n - 1 - k : k;
		struct change *c = &tx->ch[i];
		if (phase == NB_ABORT && !c->prepared)
			continue;
		if (phase == NB_APPLY && !c->prepared)
			continue;
		cb = cb_for(c);
		if (!cb) {
			if (phase == NB_PREPARE)
				c->prepared = true;
			continue;
		}
		errbuf_clear(&err);
		memset(&a, 0, sizeof(a));
		a.phase = phase;
		a.event = c->ev;
		a.dnode = c->dnode;
		a.res = &c->res;
		a.err = &err;
		a.arg = nb->cfg->arg;
		a.full = tx->full;
		rc = cb(&a);
		if (phase == NB_PREPARE && rc == 0)
			c->prepared = true;
		if (rc && (phase == NB_VALIDATE || phase == NB_PREPARE)) {
			format_error(nb, c, err.msg, errout);
			return rc < 0 ? rc : -EINVAL;
		}
	}
	return 0;
}

/* Undoes tx's change of the daemon's copy. */
static void
tx_undo(struct nb *nb, struct ntx *tx)
{
	struct lyd_node *rev = NULL;

	if (tx->old_tree) {
		lyd_free_all(nb->running);
		nb->running = tx->old_tree;
		tx->old_tree = NULL;
		return;
	}
	if (!tx->diff)
		return;
	if (ydiff_reverse(tx->diff, &rev) != 0 || ydiff_apply(&nb->running, rev, true) < 0)
		log_warnx(LOG_CFG, "%s: cannot undo transaction %" PRIu64, nb->cfg->name, tx->txid);
	lyd_free_all(rev);
	deleted_entries(nb, tx->diff, true);
}

static void
tx_end(struct nb *nb, bool applied)
{
	struct ntx *tx = nb->tx;

	nb->tx = NULL;
	if (!tx)
		return;
	if (applied) {
		run_phase(nb, tx, NB_APPLY, NULL);
		lyd_free_all(tx->old_tree);
		tx->old_tree = NULL;
		if (tx->full)
			nb->synced = true;
	} else {
		run_phase(nb, tx, NB_ABORT, NULL);
		tx_undo(nb, tx);
	}
	tx_free(tx);
	if (nb->cfg->end)
		nb->cfg->end(nb->cfg->arg, applied);
	park_soon(nb);
}

static bool
has_explicit(const struct lyd_node *tree)
{
	const struct lyd_node *t;

	LY_LIST_FOR(tree, t)
	if (!(t->flags & LYD_DEFAULT))
		return true;
	return false;
}

/*
 * config-prepare: replay the slice, VALIDATE then PREPARE. With full,
 * the slice is the whole configuration (plain data): our change is what
 * differs from our copy.
 */
static int prepare_tx(
    struct nb *nb, const char *diff_json, uint64_t txid, bool full, struct buf *errout);

static int
prepare(struct nb *nb, const struct lyd_node *rpc, struct buf *errout)
{
	const char *id = ipc_leaf_str(rpc, "transaction-id");

	return prepare_tx(nb, ipc_leaf_str(rpc, "diff"), id ? strtoull(id, NULL, 10) : 0,
	    ipc_has_child(rpc, "full"), errout);
}

/* The daemon's transaction-wide PREPARE (nb_cfg.prepare_end). */
static int
run_prepare_end(struct nb *nb, struct ntx *tx, struct buf *errout)
{
	struct errbuf err = { .msg = "" };
	char *path = NULL;
	int rc;

	if (!nb->cfg->prepare_end || tx->n == 0)
		return 0;
	errbuf_clear(&err);
	rc = nb->cfg->prepare_end(nb->cfg->arg, tx->full, &path, &err);
	if (rc == 0) {
		free(path);
		return 0;
	}
	if (path)
		ywords_error(
		    errout, nb->ctx, path, NULL, err.msg[0] ? err.msg : "configuration rejected");
	else
		buf_printf(errout, "%s\n", err.msg[0] ? err.msg : "configuration rejected");
	free(path);
	return rc < 0 ? rc : -EINVAL;
}

static int
prepare_tx(struct nb *nb, const char *diff_json, uint64_t txid, bool full, struct buf *errout)
{
	struct lyd_node *diff = NULL, *top;
	struct ntx *tx;
	int rc = 0;

	if (nb->tx) /* mgd moved on without finishing the last one */
		tx_end(nb, false);
	if (unpark(nb) < 0) {
		buf_printf(errout, "error: %s: cannot restore its copy of the configuration",
		    nb->cfg->name);
		return -ENOMEM;
	}
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return -ENOMEM;
	tx->txid = txid;
	tx->full = full;
	if (diff_json &&
	    lyd_parse_data_mem(nb->ctx, diff_json, LYD_JSON,
	        LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, 0, &diff) != LY_SUCCESS) {
		buf_printf(
		    errout, "error: %s: malformed change: %s", nb->cfg->name, ly_errmsg(nb->ctx));
		rc = -EBADMSG;
		goto fail;
	}
	if (tx->full && !has_explicit(nb->running)) {
		/* the first configuration: it becomes our copy as it is, and
		 * all of it is created */
		tx->old_tree = nb->running;
		nb->running = diff;
		diff = NULL;
		if (lyd_new_implicit_all(&nb->running, nb->ctx, LYD_IMPLICIT_NO_STATE, NULL) !=
		    LY_SUCCESS) {
			rc = -ENOMEM;
			tx_undo(nb, tx);
			goto fail;
		}
		LY_LIST_FOR(nb->running, top)
		{
			if (!(top->flags & LYD_DEFAULT))
				collect_created(nb, tx, top, &rc);
		}
	} else {
		if (tx->full) {
			/* the whole configuration: what differs from our copy */
			rc = ydiff_full(nb->running, diff, &tx->diff);
			lyd_free_all(diff);
			if (rc < 0)
				goto fail;
		} else {
			tx->diff = diff;
		}
		diff = NULL;
		/* the new configuration in place; destroys keep their entries */
		if (tx->diff) {
			deleted_entries(nb, tx->diff, false);
			if (ydiff_apply(&nb->running, tx->diff, true) < 0) {
				buf_printf(errout,
				    "error: %s: the change does not apply to its configuration",
				    nb->cfg->name);
				rc = -EINVAL;
				goto fail;
			}
			LY_LIST_FOR(tx->diff, top)
			collect(nb, tx, top, &rc);
		}
	}
	if (rc < 0) {
		tx_undo(nb, tx);
		goto fail;
	}
	if (tx->n)
		qsort(tx->ch, tx->n, sizeof(*tx->ch), cmp_change);
	rc = run_phase(nb, tx, NB_VALIDATE, errout);
	if (rc == 0)
		rc = run_phase(nb, tx, NB_PREPARE, errout);
	if (rc == 0)
		rc = run_prepare_end(nb, tx, errout);
	if (rc < 0) {
		run_phase(nb, tx, NB_ABORT, NULL);
		tx_undo(nb, tx);
		goto fail;
	}
	nb->tx = tx;
	return 0;
fail:
	lyd_free_all(diff);
	tx_free(tx);
	if (nb->cfg->end)
		nb->cfg->end(nb->cfg->arg, false);
	park_soon(nb);
	return rc;
}

/* ---- the connection to mgd ---- */

static void nb_request(struct ipc_conn *c, uint32_t id, struct lyd_node *rpc, void *arg);
static void nb_closed(struct ipc_conn *c, void *arg);

static const struct ipc_conn_ops nb_ops = {
	.request = nb_request,
	.closed = nb_closed,
};

static void
reply_ok(struct ipc_conn *c, uint32_t id, const struct lyd_node *rpc)
{
	struct lyd_node *out = ipc_reply_new(rpc);

	if (out)
		ipc_conn_reply(c, id, out);
	else
		ipc_conn_reply_error(c, id, ENOMEM, "out of memory");
	lyd_free_all(out);
}

static void
nb_request(struct ipc_conn *c, uint32_t id, struct lyd_node *rpc, void *arg)
{
	struct nb *nb = arg;
	const char *name = rpc->schema->name;
	const char *txid = ipc_leaf_str(rpc, "transaction-id");
	struct buf errout = BUF_INIT;
	struct lyd_node *out;
	struct errbuf err = { .msg = "" };
	size_t i;
	int rc;

	if (!strcmp(rpc->schema->module->name, "cairn-mgmt")) {
		if (!strcmp(name, "config-prepare")) {
			rc = prepare(nb, rpc, &errout);
			if (rc < 0)
				ipc_conn_reply_error(c, id, -rc, buf_str(&errout));
			else
				reply_ok(c, id, rpc);
		} else if (!strcmp(name, "config-apply") || !strcmp(name, "config-abort")) {
			if (nb->tx && txid && strtoull(txid, NULL, 10) == nb->tx->txid)
				tx_end(nb, !strcmp(name, "config-apply"));
			reply_ok(c, id, rpc);
		} else {
			ipc_conn_reply_error(c, id, EOPNOTSUPP, "not served here");
		}
		buf_free(&errout);
		lyd_free_all(rpc);
		return;
	}
	for (i = 0; i < nb->nrpcs; i++)
		if (nb->rpcs[i].schema == rpc->schema)
			break;
	if (i == nb->nrpcs) {
		ipc_conn_reply_error(c, id, EOPNOTSUPP, "error: not served by this daemon");
		lyd_free_all(rpc);
		return;
	}
	errbuf_clear(&err);
	if (nb->rpcs[i].ops->json) {
		struct buf body = BUF_INIT;

		rc = nb->rpcs[i].ops->json(rpc, &body, &err, nb->cfg->arg);
		if (rc == 0 && buf_failed(&body))
			rc = -ENOMEM;
		if (rc < 0)
			ipc_conn_reply_error(c, id, -rc, err.msg[0] ? err.msg : strerror(-rc));
		else
			ipc_conn_reply_raw(c, id, body.p, body.len);
		buf_free(&body);
		lyd_free_all(rpc);
		return;
	}
	out = ipc_reply_new(rpc);
	rc = out ? nb->rpcs[i].ops->handler(rpc, out, &err, nb->cfg->arg) : -ENOMEM;
	if (rc < 0)
		ipc_conn_reply_error(c, id, -rc, err.msg[0] ? err.msg : strerror(-rc));
	else
		ipc_conn_reply(c, id, out);
	lyd_free_all(out);
	lyd_free_all(rpc);
}

static void schedule_retry(struct nb *nb);

static void
nb_closed(struct ipc_conn *c, void *arg)
{
	struct nb *nb = arg;

	(void)c;
	nb->conn = NULL;
	nb->subscribed = false;
	nb->synced = false;
	/* a prepared change that mgd will never finish */
	if (nb->tx)
		tx_end(nb, false);
	log_warnx(LOG_CFG, "%s: lost cairn-mgd; reconnecting", nb->cfg->name);
	schedule_retry(nb);
}

static void
subscribed(void *arg, int rc, struct lyd_node *reply, const char *msg)
{
	struct nb *nb = arg;

	lyd_free_all(reply);
	if (rc < 0) {
		log_warnx(LOG_CFG, "%s: subscribe: %s", nb->cfg->name, msg ? msg : strerror(-rc));
		if (nb->conn)
			ipc_conn_free(nb->conn);
		nb->conn = NULL;
		schedule_retry(nb);
		return;
	}
	nb->subscribed = true;
}

static void
started(void *arg, int rc, struct lyd_node *reply, const char *msg)
{
	struct nb *nb = arg;
	const struct lys_module *mod = ly_ctx_get_module_implemented(nb->ctx, "cairn-mgmt");
	struct lyd_node *rpc = NULL;
	size_t i;
	char key[256];
	int err = 0;

	lyd_free_all(reply);
	if (rc < 0 || !nb->conn) {
		log_warnx(
		    LOG_CFG, "%s: session-start: %s", nb->cfg->name, msg ? msg : strerror(-rc));
		if (nb->conn)
			ipc_conn_free(nb->conn);
		nb->conn = NULL;
		schedule_retry(nb);
		return;
	}
	if (!mod || lyd_new_inner(NULL, mod, "subscribe", 0, &rpc) != LY_SUCCESS ||
	    lyd_new_term(rpc, NULL, "daemon", nb->cfg->name, 0, NULL) != LY_SUCCESS)
		err = 1;
	for (i = 0; !err && nb->cfg->subtrees && nb->cfg->subtrees[i]; i++)
		if (lyd_new_term(rpc, NULL, "subtree", nb->cfg->subtrees[i], 0, NULL) != LY_SUCCESS)
			err = 1;
	for (i = 0; !err && i < nb->nrpcs; i++) {
		snprintf(key, sizeof(key), "%s:%s", nb->rpcs[i].schema->module->name,
		    nb->rpcs[i].schema->name);
		if (lyd_new_term(rpc, NULL, "rpc", key, 0, NULL) != LY_SUCCESS)
			err = 1;
	}
	if (err || ipc_conn_call(nb->conn, rpc, NB_CALL_TIMEOUT_MS, subscribed, nb) < 0) {
		ipc_conn_free(nb->conn);
		nb->conn = NULL;
		schedule_retry(nb);
	}
	lyd_free_all(rpc);
}

static int
try_connect(struct nb *nb, struct errbuf *err)
{
	const struct lys_module *mod = ly_ctx_get_module_implemented(nb->ctx, "cairn-mgmt");
	struct lyd_node *rpc = NULL;

	nb->conn = ipc_conn_connect(nb->base, nb->ctx, nb->sock, &nb_ops, nb, err);
	if (!nb->conn)
		return -ECONNREFUSED;
	if (!mod || lyd_new_inner(NULL, mod, "session-start", 0, &rpc) != LY_SUCCESS ||
	    lyd_new_term(rpc, NULL, "client", "daemon", 0, NULL) != LY_SUCCESS ||
	    ipc_conn_call(nb->conn, rpc, NB_CALL_TIMEOUT_MS, started, nb) < 0) {
		lyd_free_all(rpc);
		ipc_conn_free(nb->conn);
		nb->conn = NULL;
		return errbuf_set(err, -ENOMEM, "cannot start a session");
	}
	lyd_free_all(rpc);
	return 0;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nb *nb = arg;
	struct errbuf err = { .msg = "" };

	(void)fd;
	(void)what;
	errbuf_clear(&err);
	if (!nb->conn && try_connect(nb, &err) < 0)
		schedule_retry(nb);
}

static void
schedule_retry(struct nb *nb)
{
	struct timeval tv = { 1, 0 };

	if (!nb->retry)
		nb->retry = evtimer_new(nb->base, retry_cb, nb);
	if (nb->retry)
		evtimer_add(nb->retry, &tv);
}

int
nb_connect(struct nb *nb, const char *sock_path, struct errbuf *err)
{
	int rc;

	free(nb->sock);
	nb->sock = strdup(sock_path);
	if (!nb->sock)
		return errbuf_set(err, -ENOMEM, "out of memory");
	rc = try_connect(nb, err);
	if (rc < 0)
		schedule_retry(nb);
	return rc;
}

int
nb_test_commit(struct nb *nb, const char *config_json, bool check, struct buf *errout)
{
	static uint64_t test_txid = 1ull << 62;
	struct buf tmp = BUF_INIT;
	int rc;

	rc = prepare_tx(nb, config_json && *config_json ? config_json : "{}", ++test_txid, true,
	    errout ? errout : &tmp);
	buf_free(&tmp);
	if (rc == 0)
		tx_end(nb, !check);
	/* tests see the compact form at once, not after a quiet second */
	if (nb->park_ev)
		evtimer_del(nb->park_ev);
	park(nb);
	return rc;
}

void
nb_free(struct nb *nb)
{
	if (!nb)
		return;
	if (nb->tx)
		tx_end(nb, false);
	if (nb->conn)
		ipc_conn_free(nb->conn);
	if (nb->retry)
		event_free(nb->retry);
	if (nb->park_ev)
		event_free(nb->park_ev);
	lyd_free_all(nb->running);
	free(nb->parked);
	free(nb->entries);
	free(nb->rpcs);
	free(nb->sock);
	free(nb);
}
