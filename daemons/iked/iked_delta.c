/* SPDX-License-Identifier: MIT */
/*
 * iked_delta: the translation of a commit's change, at the cost of the
 * change rather than of the configuration (docs/iked.md §11.5).
 *
 * The northbound callbacks record which objects a transaction touched
 * (struct iked_changes: IKE and IPsec proposals and policies, gateways,
 * VPNs, st0 units, static routes, each by its key). This module adds the
 * objects that depend on them (a changed proposal's policies and their
 * gateways or VPNs, a changed unit's VPNs and routes, ...), finds each one
 * in the new configuration by its key (libyang's hashed look-up of list
 * entries), and translates only those, with what they refer to, into a
 * partial iked_want: a small mirror for the engine's delta plan
 * (ike_engine_prepare_delta) and the new state of the changed dataplane
 * objects for iked_dpobj.c. What runs (the engine's resolved objects) and
 * what is applied (iked_dpobj) stand for everything else.
 *
 * Anything the partial translation cannot decide the way a whole one
 * would (security zones or policies, the dataplane settings, globals, a
 * policy-based VPN, two traffic selectors routing one prefix, ...) sets
 * w->need_full, and the transaction is translated whole.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "iked.h"
#include "iked_xlate.h"
#include "log.h"
#include "strhash.h"

#include "banned.h"

/* ---- sets of names --------------------------------------------------------- */

bool
iked_names_has(const struct iked_names *s, const char *name)
{
	size_t j;

	if (!s->nslot || !name)
		return false;
	for (j = strhash(name) & (s->nslot - 1); s->slot[j]; j = (j + 1) & (s->nslot - 1))
		if (strcmp(s->v[s->slot[j] - 1], name) == 0)
			return true;
	return false;
}

static int
names_rehash(struct iked_names *s, size_t nslot)
{
	uint32_t *slot = calloc(nslot, sizeof(*slot));
	size_t i, j;

	if (!slot)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		for (j = strhash(s->v[i]) & (nslot - 1); slot[j]; j = (j + 1) & (nslot - 1))
			;
		slot[j] = (uint32_t)i + 1;
	}
	free(s->slot);
	s->slot = slot;
	s->nslot = nslot;
	return 0;
}

int
iked_names_add(struct iked_names *s, const char *name)
{
	size_t j;
	char *dup;

	if (!name)
		return 1;
	if (iked_names_has(s, name))
		return 1;
	if (2 * (s->n + 1) > s->nslot && names_rehash(s, s->nslot ? 2 * s->nslot : 16) < 0)
		return -ENOMEM;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	dup = strdup(name);
	if (!dup)
		return -ENOMEM;
	s->v[s->n] = dup;
	for (j = strhash(name) & (s->nslot - 1); s->slot[j]; j = (j + 1) & (s->nslot - 1))
		;
	s->slot[j] = (uint32_t)++s->n;
	return 0;
}

bool
iked_ari_in(const char *ari, const struct iked_names *vpns)
{
	char vpn[IKE_NAME_MAX + 1];
	size_t n = strcspn(ari, " ");

	if (n >= sizeof(vpn))
		return false;
	memcpy(vpn, ari, n);
	vpn[n] = '\0';
	return iked_names_has(vpns, vpn);
}

void
iked_names_fini(struct iked_names *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

void
iked_changes_fini(struct iked_changes *c)
{
	int k;

	for (k = 0; k < IKED_O_N; k++) {
		iked_names_fini(&c->set[k]);
		iked_names_fini(&c->old[k]);
	}
	memset(c, 0, sizeof(*c));
}

/* ---- look-ups in the tree ---------------------------------------------------- */

/* The entry of list `list` under parent whose key `name` is key (hashed). */
static const struct lyd_node *
find_entry(const struct lyd_node *parent, const char *list, const char *key)
{
	const struct lysc_node *s;
	struct lyd_node *m = NULL;
	char pred[256];
	char q = strchr(key, '\'') ? '"' : '\'';

	if (!parent || !key || strchr(key, q))
		return NULL;
	s = lys_find_child(parent->schema, parent->schema->module, list, 0, LYS_LIST, 0);
	if (!s)
		return NULL;
	if ((size_t)snprintf(pred, sizeof(pred), "[name=%c%s%c]", q, key, q) >= sizeof(pred))
		return NULL;
	if (lyd_find_sibling_val(lyd_child(parent), s, pred, strlen(pred), &m) != LY_SUCCESS)
		return NULL;
	return m;
}

#define FOR_LIST(c, parent, nm)                                                                    \
	for (c = lyd_child(parent); c; c = c->next)                                                \
		if (strcmp(c->schema->name, (nm)) == 0)

struct dctx {
	struct iked_want *w;
	const struct iked_changes *ch;
	const struct ike_engine *e;
	const struct iked_dpobj *o;
	const struct lyd_node *sec, *ike, *ipsec, *st0, *routes;
	/* objects to translate anew (changed ones and their dependants) */
	struct iked_names retranslate[IKED_O_N];
	/* of those, the ones that existed before (their dependants follow) */
	struct iked_names was[IKED_O_N];
	/* mirror entries translated (as changed objects or as references) */
	struct iked_names done[IKED_O_N];
	int rc;
};

static void
add(struct dctx *c, struct iked_names *s, const char *name)
{
	if (iked_names_add(s, name) < 0)
		c->rc = -ENOMEM;
}

static void
full(struct dctx *c, const char *why)
{
	if (!c->w->need_full) {
		c->w->need_full = true;
		c->w->why_full = why;
	}
}

/* ---- 1. what depends on what changed ------------------------------------------- */

/* A leaf-list of n holds one of the names in s. */
static bool
refers(const struct lyd_node *n, const char *leaf, const struct iked_names *s)
{
	const struct lyd_node *c;

	FOR_LIST(c, n, leaf)
	{
		if (iked_names_has(s, lyd_get_value(c)))
			return true;
	}
	return false;
}

/* The value of a leaf below n is one of the names in s. */
static bool
refers_leaf(const struct lyd_node *n, const char *path, const struct iked_names *s)
{
	return iked_names_has(s, xl_val(n, path));
}

struct unit_vpns {
	struct dctx *c;
	uint32_t unit;
};

/* VPNs on the unit, and those with a next-hop binding (the old bindings
 * of a changed multipoint unit are gone from the tree: any may be one). */
static int
bound_cb(void *ctx, const struct ike_vpn_conf *v)
{
	struct unit_vpns *u = ctx;

	if (v->unit == u->unit || v->nexthop.family)
		add(u->c, &u->c->retranslate[IKED_O_VPN], v->name);
	return 0;
}

static int
gw_vpns_cb(void *ctx, const struct ike_vpn_conf *v)
{
	struct dctx *c = ctx;

	add(c, &c->retranslate[IKED_O_VPN], v->name);
	return 0;
}

static const struct want_unit *
applied_unit(const struct iked_dpobj *o, uint32_t unit)
{
	size_t lo = 0, hi = o->n_units;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (o->units[mid].unit == unit)
			return &o->units[mid];
		if (o->units[mid].unit < unit)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The first applied route to dst (or where it would be). */
static size_t
applied_route_at(const struct iked_dpobj *o, const struct dp_prefix *dst)
{
	size_t lo = 0, hi = o->n_routes;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (memcmp(&o->routes[mid].r.r.dst, dst, sizeof(*dst)) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct ts_reveal {
	const struct iked_names *vpns;
	struct ike_ts ts;
	bool found;
};

static int
ts_reveal_cb(void *ctx, const struct ike_vpn_conf *v)
{
	struct ts_reveal *r = ctx;
	unsigned k;

	if (iked_names_has(r->vpns, v->name))
		return 0;
	for (k = 0; k < v->n_ts; k++)
		if (v->ts[k].name[0] && v->ts[k].n_remote && ike_ts_eq(&v->ts[k].remote[0], &r->ts))
			r->found = true;
	return r->found;
}

static int
cmp_addr(const struct dp_addr *a, const struct dp_addr *b)
{
	return memcmp(a, b, sizeof(*a));
}

/* The routes whose address next hop lies in p (o->nh is sorted). */
static void
nh_in_prefix(struct dctx *c, const struct dp_prefix *p)
{
	struct dp_addr lo, hi;
	size_t a = 0, b, n, i;

	if (!p->addr.family)
		return;
	lo = hi = p->addr;
	n = p->addr.family == AF_INET ? 4 : 16;
	for (i = 0; i < n; i++) {
		unsigned bits = p->len > i * 8 ? p->len - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		lo.u.b[i] &= mask;
		hi.u.b[i] |= (uint8_t)~mask;
	}
	b = c->o->n_nh;
	while (a < b) {
		size_t mid = (a + b) / 2;

		if (cmp_addr(&c->o->nh[mid].nh, &lo) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	for (; a < c->o->n_nh && cmp_addr(&c->o->nh[a].nh, &hi) <= 0; a++)
		add(c, &c->retranslate[IKED_O_ROUTE], c->o->nh[a].route);
}

static int
cmp_nh(const void *a, const void *b)
{
	const struct iked_nh *x = a, *y = b;
	int r = cmp_addr(&x->nh, &y->nh);

	return r ? r : strcmp(x->route, y->route);
}

void
iked_nh_apply(struct iked_dpobj *o, struct iked_want *w)
{
	size_t i, k;

	if (!w->partial) {
		for (i = 0; i < o->n_nh; i++)
			free(o->nh[i].route);
		free(o->nh);
		o->nh = w->nh;
		o->n_nh = o->cap_nh = w->n_nh;
		w->nh = NULL;
		w->n_nh = 0;
		if (o->n_nh > 1)
			qsort(o->nh, o->n_nh, sizeof(*o->nh), cmp_nh);
		return;
	}
	if (!w->route_keys.n && !w->n_nh)
		return;
	/* the changed routes' entries out, their new ones in */
	for (i = k = 0; i < o->n_nh; i++) {
		if (iked_names_has(&w->route_keys, o->nh[i].route)) {
			free(o->nh[i].route);
			continue;
		}
		o->nh[k++] = o->nh[i];
	}
	o->n_nh = k;
	if (o->n_nh + w->n_nh > o->cap_nh) {
		size_t cap = (o->n_nh + w->n_nh) * 2;
		struct iked_nh *arr = realloc(o->nh, cap * sizeof(*arr));

		if (!arr) {
			log_warnx(LOG_CFG, "routing-options: out of memory");
			return;
		}
		o->nh = arr;
		o->cap_nh = cap;
	}
	for (i = 0; i < w->n_nh; i++) {
		o->nh[o->n_nh++] = w->nh[i];
		w->nh[i].route = NULL;
	}
	w->n_nh = 0;
	if (o->n_nh > 1)
		qsort(o->nh, o->n_nh, sizeof(*o->nh), cmp_nh);
}

static void
expand(struct dctx *c)
{
	const struct iked_changes *ch = c->ch;
	const struct lyd_node *n;
	size_t i;
	int k;

	for (k = 0; k < IKED_O_N; k++) {
		for (i = 0; i < ch->set[k].n; i++)
			add(c, &c->retranslate[k], ch->set[k].v[i]);
		for (i = 0; i < ch->old[k].n; i++)
			add(c, &c->was[k], ch->old[k].v[i]);
	}
	/* changed IKE proposals: the policies that name them, and so on */
	if (c->was[IKED_O_IKE_PROP].n) {
		FOR_LIST(n, c->ike, "policy")
		{
			if (refers(n, "proposals", &c->was[IKED_O_IKE_PROP])) {
				add(c, &c->retranslate[IKED_O_IKE_POL], xl_val(n, "name"));
				add(c, &c->was[IKED_O_IKE_POL], xl_val(n, "name"));
			}
		}
	}
	if (c->was[IKED_O_IKE_POL].n) {
		FOR_LIST(n, c->ike, "gateway")
		{
			if (refers_leaf(n, "ike-policy", &c->was[IKED_O_IKE_POL])) {
				add(c, &c->retranslate[IKED_O_GW], xl_val(n, "name"));
				add(c, &c->was[IKED_O_GW], xl_val(n, "name"));
			}
		}
	}
	if (c->was[IKED_O_ESP_PROP].n) {
		FOR_LIST(n, c->ipsec, "policy")
		{
			if (refers(n, "proposals", &c->was[IKED_O_ESP_PROP])) {
				add(c, &c->retranslate[IKED_O_ESP_POL], xl_val(n, "name"));
				add(c, &c->was[IKED_O_ESP_POL], xl_val(n, "name"));
			}
		}
	}
	if (c->was[IKED_O_ESP_POL].n) {
		FOR_LIST(n, c->ipsec, "vpn")
		{
			if (refers_leaf(n, "ike/ipsec-policy", &c->was[IKED_O_ESP_POL]))
				add(c, &c->retranslate[IKED_O_VPN], xl_val(n, "name"));
		}
	}
	/* a gateway that changed between dial-up and static: its VPNs' checks */
	for (i = 0; i < c->was[IKED_O_GW].n; i++) {
		const char *name = c->was[IKED_O_GW].v[i];
		const struct ike_gw_conf *g = ike_engine_gw_conf(c->e, name);
		const struct lyd_node *gn = find_entry(c->ike, "gateway", name);

		if (g && gn && g->dynamic != (xl_child(gn, "dynamic") != NULL))
			ike_engine_foreach_vpn_conf(c->e, name, gw_vpns_cb, c);
	}
	/* units: the VPNs bound to them and routes through them */
	for (i = 0; i < ch->set[IKED_O_UNIT].n; i++) {
		const char *key = ch->set[IKED_O_UNIT].v[i];
		uint32_t unit = (uint32_t)strtoul(key, NULL, 10);
		const struct want_unit *old = applied_unit(c->o, unit);
		const struct lyd_node *un = find_entry(c->st0, "unit", key), *nh;
		bool mp = un && xl_child(un, "multipoint");
		size_t r;

		if (mp || (old && old->u.multipoint)) {
			struct unit_vpns uv = { c, unit };

			ike_engine_foreach_vpn_conf(c->e, NULL, bound_cb, &uv);
			FOR_LIST(nh, xl_child(xl_child(un, "family"), "inet"), "next-hop-tunnel")
			add(c, &c->retranslate[IKED_O_VPN], xl_val(nh, "ipsec-vpn"));
		}
		/* static routes into it (st0.N, or a next hop in its subnet) */
		for (r = 0; r < c->o->n_routes; r++) {
			const struct want_route *wr = &c->o->routes[r].r;
			char key2[64];

			if (wr->ari || (wr->r.unit != unit && !wr->r.nexthop.family))
				continue;
			add(c, &c->retranslate[IKED_O_ROUTE],
			    iked_prefix_str(&wr->r.dst, key2, sizeof(key2)));
		}
		/* a new or changed subnet may take (or leave) routes whose next hop
		 * lies in it: found through the sorted next hops, not a walk */
		if (old) {
			nh_in_prefix(c, &old->u.addr4);
			nh_in_prefix(c, &old->u.addr6);
		}
		if (un) {
			const struct lyd_node *fam = xl_child(un, "family"), *a;
			static const char *const fams[] = { "inet", "inet6" };
			unsigned f;

			for (f = 0; f < 2; f++)
				FOR_LIST(a, xl_child(fam, fams[f]), "address")
				{
					struct dp_prefix p;

					if (xl_parse_prefix(xl_val(a, "name"), &p) == 0)
						nh_in_prefix(c, &p);
				}
		}
	}
}

/* Another VPN (one this change leaves) has a traffic selector to dst. */
static bool
ts_elsewhere(struct dctx *c, const struct dp_prefix *dst)
{
	struct ts_reveal tr;
	struct ike_addr a;

	memset(&tr, 0, sizeof(tr));
	memset(&a, 0, sizeof(a));
	a.family = dst->addr.family;
	memcpy(a.b, dst->addr.u.b, sizeof(a.b));
	ike_ts_from_prefix(&tr.ts, &a, dst->len);
	tr.vpns = &c->retranslate[IKED_O_VPN];
	ike_engine_foreach_vpn_conf(c->e, NULL, ts_reveal_cb, &tr);
	return tr.found;
}

/* ---- 2. translation -------------------------------------------------------------- */

/* A mirror entry (once), as a changed object or as what one refers to. */
static const struct lyd_node *
need(struct dctx *c, int kind, const char *name)
{
	static const struct {
		int top; /* 0: ike, 1: ipsec */
		const char *list;
		void (*xl)(struct iked_want *, const struct lyd_node *);
	} t[] = {
		[IKED_O_IKE_PROP] = { 0, "proposal", xl_ike_proposal },
		[IKED_O_IKE_POL] = { 0, "policy", xl_ike_policy },
		[IKED_O_GW] = { 0, "gateway", xl_gateway },
		[IKED_O_ESP_PROP] = { 1, "proposal", xl_ipsec_proposal },
		[IKED_O_ESP_POL] = { 1, "policy", xl_ipsec_policy },
		[IKED_O_VPN] = { 1, "vpn", xl_vpn },
	};
	const struct lyd_node *n;

	if (!name || !*name)
		return NULL;
	n = find_entry(t[kind].top ? c->ipsec : c->ike, t[kind].list, name);
	if (!n || iked_names_has(&c->done[kind], name))
		return n;
	add(c, &c->done[kind], name);
	t[kind].xl(c->w, n);
	return n;
}

/* The IKE policy of a gateway of the mirror and its proposals, translated too.
 * Names are copied first: each addition may move the mirror's arrays. */
static void
need_refs_gw(struct dctx *c, const char *gw)
{
	const struct ike_conf_gateway *g = ike_conf_find_gateway(c->w->conf, gw);
	const struct ike_conf_ike_policy *p = NULL;
	char pol[IKE_NAME_MAX + 1], props[IKE_CONF_PROPS][IKE_NAME_MAX + 1];
	unsigned i, n = 0;

	if (!g || !g->ike_policy[0])
		return;
	snprintf(pol, sizeof(pol), "%s", g->ike_policy);
	need(c, IKED_O_IKE_POL, pol);
	for (i = 0; i < c->w->conf->n_ike_policies; i++)
		if (strcmp(c->w->conf->ike_policies[i].name, pol) == 0)
			p = &c->w->conf->ike_policies[i];
	for (i = 0; p && i < p->n_proposals; i++)
		snprintf(props[n++], sizeof(props[0]), "%s", p->proposals[i]);
	for (i = 0; i < n; i++)
		need(c, IKED_O_IKE_PROP, props[i]);
}

static void
need_refs_esp_pol(struct dctx *c, const char *pol)
{
	const struct ike_conf_ipsec_policy *p = NULL;
	char props[IKE_CONF_PROPS][IKE_NAME_MAX + 1];
	unsigned i, n = 0;

	need(c, IKED_O_ESP_POL, pol);
	for (i = 0; i < c->w->conf->n_ipsec_policies; i++)
		if (strcmp(c->w->conf->ipsec_policies[i].name, pol) == 0)
			p = &c->w->conf->ipsec_policies[i];
	if (!p)
		return;
	for (i = 0; i < p->n_proposals; i++)
		snprintf(props[n++], sizeof(props[0]), "%s", p->proposals[i]);
	for (i = 0; i < n; i++)
		need(c, IKED_O_ESP_PROP, props[i]);
}

static void
translate(struct dctx *c, const struct lyd_node *ifs)
{
	struct iked_want *w = c->w;
	const struct lyd_node *n;
	struct xl_pfxset taken = { 0 };
	size_t i;
	bool st0_disabled;

	/* the VPNs translated anew replace their manual SAs and ARI-TS routes */
	for (i = 0; i < c->retranslate[IKED_O_VPN].n; i++) {
		add(c, &w->ari_vpns, c->retranslate[IKED_O_VPN].v[i]);
		add(c, &w->manual_keys, c->retranslate[IKED_O_VPN].v[i]);
	}
	for (i = 0; i < c->retranslate[IKED_O_IKE_PROP].n; i++)
		need(c, IKED_O_IKE_PROP, c->retranslate[IKED_O_IKE_PROP].v[i]);
	for (i = 0; i < c->retranslate[IKED_O_IKE_POL].n; i++) {
		const struct ike_conf_ike_policy *p = NULL;
		char props[IKE_CONF_PROPS][IKE_NAME_MAX + 1];
		unsigned k, np = 0;

		need(c, IKED_O_IKE_POL, c->retranslate[IKED_O_IKE_POL].v[i]);
		for (k = 0; k < w->conf->n_ike_policies; k++)
			if (strcmp(w->conf->ike_policies[k].name,
			        c->retranslate[IKED_O_IKE_POL].v[i]) == 0)
				p = &w->conf->ike_policies[k];
		for (k = 0; p && k < p->n_proposals; k++)
			snprintf(props[np++], sizeof(props[0]), "%s", p->proposals[k]);
		for (k = 0; k < np; k++)
			need(c, IKED_O_IKE_PROP, props[k]);
	}
	for (i = 0; i < c->retranslate[IKED_O_GW].n; i++) {
		need(c, IKED_O_GW, c->retranslate[IKED_O_GW].v[i]);
		need_refs_gw(c, c->retranslate[IKED_O_GW].v[i]);
	}
	for (i = 0; i < c->retranslate[IKED_O_ESP_PROP].n; i++)
		need(c, IKED_O_ESP_PROP, c->retranslate[IKED_O_ESP_PROP].v[i]);
	for (i = 0; i < c->retranslate[IKED_O_ESP_POL].n; i++)
		need_refs_esp_pol(c, c->retranslate[IKED_O_ESP_POL].v[i]);
	for (i = 0; i < c->retranslate[IKED_O_VPN].n; i++) {
		const char *name = c->retranslate[IKED_O_VPN].v[i];
		const struct ike_conf_vpn *v;
		char gw[IKE_NAME_MAX + 1], pol[IKE_NAME_MAX + 1];

		if (!need(c, IKED_O_VPN, name))
			continue;
		v = ike_conf_find_vpn(w->conf, name);
		if (!v || v->manual)
			continue;
		snprintf(gw, sizeof(gw), "%s", v->gateway);
		snprintf(pol, sizeof(pol), "%s", v->ipsec_policy);
		need(c, IKED_O_GW, gw); /* it exists, and whether it is dial-up */
		need_refs_esp_pol(c, pol);
	}
	/* st0 units; the next-hop bindings of the VPNs translated */
	st0_disabled = c->retranslate[IKED_O_UNIT].n && xl_child(c->st0, "disable") != NULL;
	for (i = 0; i < c->retranslate[IKED_O_UNIT].n; i++) {
		const char *key = c->retranslate[IKED_O_UNIT].v[i];

		add(c, &w->unit_keys, key);
		if ((n = find_entry(c->st0, "unit", key)) != NULL)
			xl_unit(w, st0_disabled, n);
	}
	xl_sort_units(w);
	if (c->retranslate[IKED_O_VPN].n) {
		for (i = 0; i < c->o->n_units; i++) {
			char key[16];

			if (!c->o->units[i].u.multipoint)
				continue;
			snprintf(key, sizeof(key), "%u", c->o->units[i].unit);
			if (iked_names_has(&w->unit_keys, key))
				continue;
			if ((n = find_entry(c->st0, "unit", key)) != NULL)
				xl_unit_bindings(w, n);
		}
	}
	/* static routes, then the traffic selectors' */
	for (i = 0; i < c->retranslate[IKED_O_ROUTE].n; i++) {
		const char *key = c->retranslate[IKED_O_ROUTE].v[i];

		add(c, &w->route_keys, key);
		if ((n = find_entry(c->routes, "route", key)) != NULL)
			xl_route(w, n);
	}
	for (i = 0; i < w->n_routes; i++) {
		size_t r;

		if (xl_pfxset_add(&taken, &w->routes[i].r.dst, -1) < 0)
			c->rc = -ENOMEM;
		/* a static route displaces a traffic selector's to the same prefix
		 * (the applied routes are sorted by destination first) */
		for (r = applied_route_at(c->o, &w->routes[i].r.dst); r < c->o->n_routes; r++) {
			const struct want_route *a = &c->o->routes[r].r;

			if (memcmp(&a->r.dst, &w->routes[i].r.dst, sizeof(a->r.dst)) != 0)
				break;
			if (a->ari && !iked_ari_in(a->ari, &w->ari_vpns))
				full(c, "a static route displaces a traffic selector's");
		}
	}
	/* a static route that goes (deleted, or no longer into st0): a traffic
	 * selector's route to that prefix, held back by it, would appear (which
	 * VPN's, a whole translation knows) */
	for (i = 0; i < w->route_keys.n && !w->need_full; i++) {
		struct dp_prefix dst;
		size_t r, k;
		bool had = false, has = false;

		if (xl_parse_prefix(w->route_keys.v[i], &dst) < 0)
			continue;
		for (r = applied_route_at(c->o, &dst);
		     r < c->o->n_routes && !memcmp(&c->o->routes[r].r.r.dst, &dst, sizeof(dst));
		     r++)
			had |= !c->o->routes[r].r.ari;
		for (k = 0; k < w->n_routes; k++)
			has |= !memcmp(&w->routes[k].r.dst, &dst, sizeof(dst));
		if (had && !has && ts_elsewhere(c, &dst))
			full(c, "a static route goes from under a traffic selector's");
	}
	/* a traffic selector's route that goes: another VPN's, held back by it,
	 * would take its place */
	for (i = 0; i < c->o->n_routes && !w->need_full; i++) {
		const struct want_route *r = &c->o->routes[i].r;

		if (r->ari && iked_ari_in(r->ari, &w->ari_vpns) && ts_elsewhere(c, &r->r.dst))
			full(c, "a traffic selector's route changes hands");
	}
	for (i = 0; i < c->retranslate[IKED_O_VPN].n; i++) {
		const struct ike_conf_vpn *v =
		    ike_conf_find_vpn(w->conf, c->retranslate[IKED_O_VPN].v[i]);

		if (v)
			xl_ts_routes_vpn(w, v, &taken);
	}
	xl_pfxset_fini(&taken);
	(void)ifs;
}

/* ---- 3. checks of the changed objects ---------------------------------------------- */

struct clash {
	struct dctx *c;
	const struct ike_vpn_conf *v;
	const struct lyd_node *n;
};

static int
clash_cb(void *ctx, const struct ike_vpn_conf *o)
{
	struct clash *k = ctx;
	const struct lyd_node *on;

	if (strcmp(o->name, k->v->name) == 0 ||
	    iked_names_has(&k->c->retranslate[IKED_O_VPN], o->name))
		return 0;
	if (!xl_vpns_clash(k->v, o))
		return 0;
	/* reported at the later of the two names, as a whole translation does */
	if (strcmp(k->v->name, o->name) > 0) {
		xl_err_clash(k->c->w, k->n, k->v->name, o->name);
	} else {
		on = find_entry(k->c->ipsec, "vpn", o->name);
		xl_err_clash(k->c->w, on ? on : k->n, o->name, k->v->name);
	}
	return 1;
}

static void
check(struct dctx *c)
{
	struct iked_want *w = c->w;
	struct ike_vpn_conf *rv;
	const struct lyd_node **rn;
	size_t i, j, nrv = 0;

	for (i = 0; i < c->retranslate[IKED_O_IKE_POL].n; i++) {
		const struct lyd_node *n =
		    find_entry(c->ike, "policy", c->retranslate[IKED_O_IKE_POL].v[i]);

		if (n)
			xl_check_ike_policy(w, n);
	}
	for (i = 0; i < c->retranslate[IKED_O_ESP_POL].n; i++) {
		const struct lyd_node *n =
		    find_entry(c->ipsec, "policy", c->retranslate[IKED_O_ESP_POL].v[i]);

		if (n)
			xl_check_ipsec_policy(w, n);
	}
	for (i = 0; i < c->retranslate[IKED_O_GW].n; i++) {
		const struct lyd_node *n =
		    find_entry(c->ike, "gateway", c->retranslate[IKED_O_GW].v[i]);

		if (n)
			xl_check_gateway(w, n);
	}
	rv = calloc(c->retranslate[IKED_O_VPN].n + 1, sizeof(*rv));
	rn = calloc(c->retranslate[IKED_O_VPN].n + 1, sizeof(*rn));
	if (!rv || !rn) {
		c->rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->retranslate[IKED_O_VPN].n; i++) {
		const struct lyd_node *n =
		    find_entry(c->ipsec, "vpn", c->retranslate[IKED_O_VPN].v[i]);

		if (n && xl_check_vpn(w, n, &rv[nrv]) == 0)
			rn[nrv++] = n;
	}
	/* selectors: against the other VPNs of the gateway, changed or running */
	for (i = 0; i < nrv; i++) {
		struct clash k = { c, &rv[i], rn[i] };

		for (j = i + 1; j < nrv; j++) {
			if (strcmp(rv[i].gateway, rv[j].gateway) != 0 ||
			    !xl_vpns_clash(&rv[i], &rv[j]))
				continue;
			if (strcmp(rv[i].name, rv[j].name) > 0)
				xl_err_clash(w, rn[i], rv[i].name, rv[j].name);
			else
				xl_err_clash(w, rn[j], rv[j].name, rv[i].name);
		}
		ike_engine_foreach_vpn_conf(c->e, rv[i].gateway, clash_cb, &k);
	}
out:
	for (i = 0; i < nrv; i++)
		ike_vpn_conf_fini(&rv[i]);
	free(rv);
	free(rn);
}

/* ---- the partial translation ------------------------------------------------------------ */

int
iked_want_build_delta(const struct lyd_node *tree, const struct iked_changes *ch,
    const struct ike_engine *e, const struct iked_dpobj *o, struct iked_want *w)
{
	struct dctx c;
	const struct lyd_node *ifs, *ro;
	size_t i;
	int k;

	memset(w, 0, sizeof(*w));
	w->dpc.backend = DP_BACKEND_AUTO;
	w->dpc.flow_threads = 1;
	w->partial = true;
	w->base_e = e;
	w->base_obj = o;
	w->any = true;
	w->conf = ike_conf_new();
	if (!w->conf)
		return -ENOMEM;
	if (ch->full) {
		w->need_full = true;
		w->why_full = ch->why_full;
		return 0;
	}
	memset(&c, 0, sizeof(c));
	c.w = w;
	c.ch = ch;
	c.e = e;
	c.o = o;
	xl_tops(tree, &c.sec, &ifs, &ro);
	c.ike = xl_child(c.sec, "ike");
	c.ipsec = xl_child(c.sec, "ipsec");
	c.st0 = find_entry(ifs, "interface", "st0");
	c.routes = xl_child(ro, "static");
	xl_globals(w, c.sec);

	expand(&c);
	/* a VPN that was policy-based (its selectors come from the policies) */
	for (i = 0; i < c.retranslate[IKED_O_VPN].n; i++) {
		const struct ike_vpn_conf *v =
		    ike_engine_vpn_conf(e, c.retranslate[IKED_O_VPN].v[i]);
		size_t m;

		if (v && v->unit == IKE_UNIT_NONE)
			full(&c, "a policy-based VPN changed");
		for (m = 0; m < o->n_manual; m++)
			if (o->manual[m].m.unit == DP_UNIT_NONE &&
			    strcmp(o->manual[m].m.name, c.retranslate[IKED_O_VPN].v[i]) == 0)
				full(&c, "a policy-based VPN changed");
	}
	if (!w->need_full && c.rc == 0)
		translate(&c, ifs);
	if (!w->need_full && c.rc == 0)
		check(&c);
	/* what the engine resolves anew, and removes */
	for (i = 0; !w->need_full && i < c.retranslate[IKED_O_GW].n; i++) {
		const char *name = c.retranslate[IKED_O_GW].v[i];

		if (find_entry(c.ike, "gateway", name))
			add(&c, &w->gw_set, name);
		else if (ike_engine_gw_conf(e, name))
			add(&c, &w->gw_del, name);
	}
	for (i = 0; !w->need_full && i < c.retranslate[IKED_O_VPN].n; i++) {
		const char *name = c.retranslate[IKED_O_VPN].v[i];
		const struct ike_conf_vpn *v = ike_conf_find_vpn(w->conf, name);

		if (v && !v->manual)
			add(&c, &w->vpn_set, name);
		else if (ike_engine_vpn_conf(e, name))
			add(&c, &w->vpn_del, name);
	}
	for (k = 0; k < IKED_O_N; k++) {
		iked_names_fini(&c.retranslate[k]);
		iked_names_fini(&c.was[k]);
		iked_names_fini(&c.done[k]);
	}
	return c.rc;
}
