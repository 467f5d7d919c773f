/* SPDX-License-Identifier: MIT */
/*
 * iked_dpobj: the dataplane objects cairn-iked programs from the
 * configuration itself, beside the IKE engine's tunnels and SAs: st0
 * units, routes into st0, manual-key tunnels and SAs, and the policies of
 * policy-based VPNs. A commit changes only what differs from what was
 * applied (sorted merges, so 10,000 units cost a sort, not a square).
 *
 * Transaction (STYLE.md §5, dp.h order rules):
 *   PREPARE  diff; new units are created now (what can fail for a unit
 *            fails here, named by its path); manual SPIs checked
 *   APPLY    pre-engine: policies, manual tunnels and routes that go or
 *            change are removed, changed units updated;
 *            post-engine: units that go are removed (the engine removed
 *            its tunnels on them), routes, manual tunnels and policies
 *            added (policies need the engine's tunnel ids)
 *   ABORT    the units PREPARE created are removed
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iked.h"
#include "log.h"

#include "banned.h"

struct dpobj_plan {
	struct want_unit *units; /* the new applied set (sorted, copies) */
	size_t n_units;
	uint32_t *created; /* created in PREPARE */
	size_t n_created;
	struct want_unit *modified; /* to update in APPLY */
	size_t n_modified;
	uint32_t *removed; /* to remove in APPLY (after the engine) */
	size_t n_removed;

	struct applied_route *routes; /* the new applied set (sorted) */
	size_t n_routes;
	bool *route_keep; /* per old applied route: still wanted as is */

	struct applied_manual *manual; /* the new applied set */
	size_t n_manual;
	bool *manual_keep; /* per old applied manual VPN */

	struct want_policy *pols; /* wanted policies (copies) */
	size_t n_pols;
};

/* ---- helpers -------------------------------------------------------------- */

static int
cmp_unit(const void *a, const void *b)
{
	const struct want_unit *x = a, *y = b;

	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

static int
route_key_cmp(const struct dp_route *a, const struct dp_route *b)
{
	int c = memcmp(&a->dst, &b->dst, sizeof(a->dst));

	if (c)
		return c;
	if (a->unit != b->unit)
		return a->unit < b->unit ? -1 : 1;
	return memcmp(&a->nexthop, &b->nexthop, sizeof(a->nexthop));
}

static int
cmp_route(const void *a, const void *b)
{
	return route_key_cmp(
	    &((const struct applied_route *)a)->r.r, &((const struct applied_route *)b)->r.r);
}

static bool
unit_same(const struct want_unit *a, const struct want_unit *b)
{
	return memcmp(&a->u, &b->u, sizeof(a->u)) == 0 && a->disabled == b->disabled;
}

static bool
manual_same(const struct want_manual *a, const struct want_manual *b)
{
	return a->unit == b->unit && memcmp(&a->local, &b->local, sizeof(a->local)) == 0 &&
	       memcmp(&a->remote, &b->remote, sizeof(a->remote)) == 0 && a->spi == b->spi &&
	       a->encap == b->encap && memcmp(&a->in, &b->in, sizeof(a->in)) == 0 &&
	       memcmp(&a->out, &b->out, sizeof(a->out)) == 0 && a->n_local_ts == b->n_local_ts &&
	       a->n_remote_ts == b->n_remote_ts &&
	       memcmp(a->local_ts, b->local_ts, sizeof(a->local_ts)) == 0 &&
	       memcmp(a->remote_ts, b->remote_ts, sizeof(a->remote_ts)) == 0 && a->df == b->df &&
	       a->copy_dscp == b->copy_dscp;
}

static char *
unit_path(uint32_t unit)
{
	char *p = NULL;

	if (asprintf(&p,
	        "/cairn-interfaces:interfaces/interface[name='st0']/unit[name='%" PRIu32 "']",
	        unit) < 0)
		return NULL;
	return p;
}

static void
manual_copy(struct want_manual *dst, const struct want_manual *src)
{
	*dst = *src;
	dst->path = src->path ? strdup(src->path) : NULL;
}

static void
manual_wipe(struct want_manual *m)
{
	explicit_bzero(&m->in, sizeof(m->in));
	explicit_bzero(&m->out, sizeof(m->out));
	free(m->path);
	m->path = NULL;
}

static void
unit_copy(struct want_unit *dst, const struct want_unit *src)
{
	*dst = *src;
	dst->description = src->description ? strdup(src->description) : NULL;
}

static void
plan_free(struct dpobj_plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_units; i++)
		free(p->units[i].description);
	free(p->units);
	free(p->created);
	for (i = 0; i < p->n_modified; i++)
		free(p->modified[i].description);
	free(p->modified);
	free(p->removed);
	for (i = 0; i < p->n_routes; i++)
		free(p->routes[i].r.path);
	free(p->routes);
	free(p->route_keep);
	for (i = 0; i < p->n_manual; i++)
		manual_wipe(&p->manual[i].m);
	free(p->manual);
	free(p->manual_keep);
	free(p->pols);
	free(p);
}

/* ---- PREPARE ------------------------------------------------------------------ */

static int
plan_units(struct iked_dpobj *o, struct dp *dp, const struct iked_want *w, struct dpobj_plan *p,
    char **err_path, struct errbuf *err)
{
	size_t i = 0, j = 0;
	int rc;

	p->units = calloc(w->n_units ? w->n_units : 1, sizeof(*p->units));
	p->created = calloc(w->n_units ? w->n_units : 1, sizeof(*p->created));
	p->modified = calloc(w->n_units ? w->n_units : 1, sizeof(*p->modified));
	p->removed = calloc(o->n_units ? o->n_units : 1, sizeof(*p->removed));
	if (!p->units || !p->created || !p->modified || !p->removed)
		return errbuf_set(err, -ENOMEM, "interfaces st0: out of memory");
	for (i = 0; i < w->n_units; i++)
		unit_copy(&p->units[i], &w->units[i]);
	p->n_units = w->n_units;
	if (p->n_units > 1)
		qsort(p->units, p->n_units, sizeof(*p->units), cmp_unit);
	for (i = 1; i < p->n_units; i++)
		if (p->units[i].unit == p->units[i - 1].unit)
			return errbuf_set(
			    err, -EINVAL, "st0 unit %u is configured twice", p->units[i].unit);
	/* merge: o->units is sorted */
	i = j = 0;
	while (i < o->n_units || j < p->n_units) {
		int c = i == o->n_units   ? 1
		        : j == p->n_units ? -1
		                          : cmp_unit(&o->units[i], &p->units[j]);

		if (c < 0) {
			p->removed[p->n_removed++] = o->units[i++].unit;
		} else if (c > 0) {
			struct want_unit *u = &p->units[j++];

			rc = dp ? dp_unit_set(dp, &u->u, err) : 0;
			if (rc < 0) {
				*err_path = unit_path(u->unit);
				if (!errbuf_isset(err))
					errbuf_set(
					    err, rc, "st0.%u: the dataplane refused it", u->unit);
				return rc;
			}
			p->created[p->n_created++] = u->unit;
		} else {
			if (!unit_same(&o->units[i], &p->units[j]))
				unit_copy(&p->modified[p->n_modified++], &p->units[j]);
			i++;
			j++;
		}
	}
	return 0;
}

static int
plan_routes(
    struct iked_dpobj *o, const struct iked_want *w, struct dpobj_plan *p, struct errbuf *err)
{
	size_t i, j;

	p->routes = calloc(w->n_routes ? w->n_routes : 1, sizeof(*p->routes));
	p->route_keep = calloc(o->n_routes ? o->n_routes : 1, sizeof(*p->route_keep));
	if (!p->routes || !p->route_keep)
		return errbuf_set(err, -ENOMEM, "routing-options: out of memory");
	for (i = 0; i < w->n_routes; i++) {
		p->routes[i].r = w->routes[i];
		p->routes[i].r.path = w->routes[i].path ? strdup(w->routes[i].path) : NULL;
	}
	p->n_routes = w->n_routes;
	if (p->n_routes > 1)
		qsort(p->routes, p->n_routes, sizeof(*p->routes), cmp_route);
	i = j = 0;
	while (i < o->n_routes && j < p->n_routes) {
		int c = cmp_route(&o->routes[i], &p->routes[j]);

		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			if (memcmp(&o->routes[i].r.r, &p->routes[j].r.r, sizeof(struct dp_route)) ==
			    0) {
				p->route_keep[i] = true;
				p->routes[j].since =
				    o->routes[i].since; /* marks "already installed" */
			}
			i++;
			j++;
		}
	}
	return 0;
}

static int
plan_manual(struct iked_dpobj *o, const struct iked_want *w, struct dpobj_plan *p, char **err_path,
    struct errbuf *err)
{
	size_t i, j;

	p->manual = calloc(w->n_manual ? w->n_manual : 1, sizeof(*p->manual));
	p->manual_keep = calloc(o->n_manual ? o->n_manual : 1, sizeof(*p->manual_keep));
	if (!p->manual || !p->manual_keep)
		return errbuf_set(err, -ENOMEM, "security ipsec: out of memory");
	for (i = 0; i < w->n_manual; i++) {
		const struct want_manual *m = &w->manual[i];
		struct applied_manual *a = &p->manual[p->n_manual++];

		/* the inbound SA is (SPI, our address): unique among manual VPNs */
		for (j = 0; j < i; j++) {
			if (w->manual[j].spi == m->spi &&
			    memcmp(&w->manual[j].local, &m->local, sizeof(m->local)) == 0) {
				*err_path = m->path ? strdup(m->path) : NULL;
				return errbuf_set(err, -EEXIST,
				    "manual SPI %u is already used by VPN %s toward the same local "
				    "address",
				    m->spi, w->manual[j].name);
			}
		}
		manual_copy(&a->m, m);
		a->tunnel_id = 0;
		for (j = 0; j < o->n_manual; j++) {
			if (strcmp(o->manual[j].m.name, m->name) != 0)
				continue;
			a->tunnel_id = o->manual[j].tunnel_id; /* keeps its ID */
			if (manual_same(&o->manual[j].m, m)) {
				p->manual_keep[j] = true;
				a->spu = o->manual[j].spu;
			}
		}
		if (!a->tunnel_id)
			a->tunnel_id = 0; /* assigned in APPLY */
	}
	return 0;
}

int
dpobj_prepare(struct iked_dpobj *o, struct dp *dp, const struct iked_want *w,
    struct dpobj_plan **plan, char **err_path, struct errbuf *err)
{
	struct dpobj_plan *p = calloc(1, sizeof(*p));
	int rc;

	*plan = NULL;
	if (!p)
		return errbuf_set(err, -ENOMEM, "out of memory");
	rc = plan_units(o, dp, w, p, err_path, err);
	if (rc == 0)
		rc = plan_routes(o, w, p, err);
	if (rc == 0)
		rc = plan_manual(o, w, p, err_path, err);
	if (rc == 0 && w->n_pols) {
		p->pols = malloc(w->n_pols * sizeof(*p->pols));
		if (!p->pols)
			rc = errbuf_set(err, -ENOMEM, "security policies: out of memory");
		else
			memcpy(p->pols, w->pols, w->n_pols * sizeof(*p->pols));
		p->n_pols = w->n_pols;
	}
	if (rc < 0) {
		dpobj_abort(o, dp, p);
		return rc;
	}
	*plan = p;
	return 0;
}

void
dpobj_abort(struct iked_dpobj *o, struct dp *dp, struct dpobj_plan *p)
{
	size_t i;

	(void)o;
	if (!p)
		return;
	for (i = 0; dp && i < p->n_created; i++)
		dp_unit_del(dp, p->created[i], NULL);
	plan_free(p);
}

/* ---- APPLY ---------------------------------------------------------------------- */

static void
manual_remove(struct dp *dp, const struct applied_manual *a)
{
	if (!a->tunnel_id)
		return;
	dp_sa_del(dp, a->m.spi, DP_DIR_OUT, &a->m.remote, NULL);
	dp_sa_del(dp, a->m.spi, DP_DIR_IN, &a->m.local, NULL);
	dp_tunnel_del(dp, a->tunnel_id, NULL);
}

void
dpobj_apply_pre(struct iked_dpobj *o, struct dp *dp, struct dpobj_plan *p)
{
	struct errbuf err = { .msg = "" };
	size_t i, j;

	/* manual VPNs that go or change: their SAs and tunnel (with its policies) */
	for (i = 0; i < o->n_manual; i++) {
		if (p->manual_keep[i])
			continue;
		manual_remove(dp, &o->manual[i]);
		/* a changed one is re-added with its ID, and its policies with it */
		for (j = 0; j < o->n_pols; j++)
			if (o->pols[j].tunnel_id == o->manual[i].tunnel_id)
				o->pols[j].tunnel_id = 0;
	}
	for (i = 0; i < o->n_routes; i++) {
		if (p->route_keep[i])
			continue;
		errbuf_clear(&err);
		if (dp_route_del(dp, &o->routes[i].r.r, &err) < 0 && errbuf_isset(&err))
			log_debug(LOG_CFG, "route removal: %s", err.msg);
	}
	for (i = 0; i < p->n_modified; i++) {
		errbuf_clear(&err);
		if (dp_unit_set(dp, &p->modified[i].u, &err) < 0)
			log_warnx(LOG_CFG, "st0.%u: %s", p->modified[i].unit, err.msg);
	}
}

static uint32_t vpn_tunnel(
    struct ike_engine *e, const struct iked_dpobj *o, const struct dpobj_plan *p, const char *vpn);

struct find_tun {
	const char *vpn;
	uint32_t id;
};

static int
find_tun_cb(void *ctx, const struct ike_tunnel_info *t)
{
	struct find_tun *f = ctx;

	if (strcmp(t->vpn, f->vpn) != 0 || t->dynamic_peer)
		return 0;
	f->id = t->id;
	return 1;
}

static uint32_t
vpn_tunnel(
    struct ike_engine *e, const struct iked_dpobj *o, const struct dpobj_plan *p, const char *vpn)
{
	struct find_tun f = { vpn, 0 };
	size_t i;

	(void)o;
	for (i = 0; i < p->n_manual; i++)
		if (strcmp(p->manual[i].m.name, vpn) == 0)
			return p->manual[i].tunnel_id;
	if (e)
		ike_engine_foreach_tunnel(e, find_tun_cb, &f);
	return f.id;
}

static void
manual_add(struct dp *dp, struct applied_manual *a)
{
	struct dp_tunnel t;
	struct dp_sa sa;
	struct errbuf err = { .msg = "" };
	unsigned k;

	memset(&t, 0, sizeof(t));
	t.id = a->tunnel_id;
	t.unit = a->m.unit;
	t.spu = DP_SPU_ANY;
	t.local_gw = a->m.local;
	t.remote_gw = a->m.remote;
	t.n_local_ts = a->m.n_local_ts;
	t.n_remote_ts = a->m.n_remote_ts;
	for (k = 0; k < a->m.n_local_ts; k++)
		t.local_ts[k] = a->m.local_ts[k];
	for (k = 0; k < a->m.n_remote_ts; k++)
		t.remote_ts[k] = a->m.remote_ts[k];
	errbuf_clear(&err);
	if (dp_tunnel_set(dp, &t, &a->spu, &err) < 0) {
		log_warnx(LOG_CFG, "security ipsec vpn %s: dataplane: %s", a->m.name, err.msg);
		return;
	}
	sa = a->m.in;
	sa.tunnel_id = sa.reqid = a->tunnel_id;
	if (dp_sa_add(dp, &sa, &err) < 0)
		log_warnx(LOG_CFG, "security ipsec vpn %s: inbound SA: %s", a->m.name, err.msg);
	sa = a->m.out;
	sa.tunnel_id = sa.reqid = a->tunnel_id;
	if (dp_sa_add(dp, &sa, &err) < 0)
		log_warnx(LOG_CFG, "security ipsec vpn %s: outbound SA: %s", a->m.name, err.msg);
	explicit_bzero(&sa, sizeof(sa));
	log_info(LOG_CFG, "security ipsec vpn %s: manual SAs installed (SPI %u, tunnel %u, SPU %u)",
	    a->m.name, a->m.spi, a->tunnel_id, a->spu);
}

static bool
policy_same(const struct want_policy *a, const struct want_policy *b)
{
	return strcmp(a->vpn, b->vpn) == 0 && a->dir == b->dir && a->priority == b->priority &&
	       memcmp(&a->src, &b->src, sizeof(a->src)) == 0 &&
	       memcmp(&a->dst, &b->dst, sizeof(a->dst)) == 0;
}

static void
apply_policies(struct iked_dpobj *o, struct dp *dp, struct ike_engine *e, struct dpobj_plan *p)
{
	struct applied_policy *np = calloc(p->n_pols ? p->n_pols : 1, sizeof(*np));
	bool *keep = calloc(o->n_pols ? o->n_pols : 1, sizeof(*keep));
	struct errbuf err = { .msg = "" };
	size_t i, j, n = 0;

	if (!np || !keep) {
		log_warnx(LOG_CFG, "security policies: out of memory");
		free(np);
		free(keep);
		return;
	}
	for (i = 0; i < p->n_pols; i++) {
		uint32_t tid = vpn_tunnel(e, o, p, p->pols[i].vpn);
		struct applied_policy *a = &np[n];

		a->p = p->pols[i];
		a->tunnel_id = tid;
		for (j = 0; j < o->n_pols; j++) {
			if (!keep[j] && o->pols[j].tunnel_id == tid && tid &&
			    policy_same(&o->pols[j].p, &p->pols[i])) {
				keep[j] = true;
				a->id = o->pols[j].id;
				break;
			}
		}
		n++;
	}
	for (j = 0; j < o->n_pols; j++)
		if (!keep[j] && o->pols[j].id)
			dp_policy_del(dp, o->pols[j].id, NULL); /* gone with its tunnel: -ENOENT */
	for (i = 0; i < n; i++) {
		struct dp_policy dpp;

		if (np[i].id || !np[i].tunnel_id)
			continue;
		memset(&dpp, 0, sizeof(dpp));
		dpp.id = o->next_policy_id++;
		dpp.tunnel_id = np[i].tunnel_id;
		dpp.dir = np[i].p.dir;
		dpp.sel_src = np[i].p.src;
		dpp.sel_dst = np[i].p.dst;
		dpp.priority = np[i].p.priority;
		dpp.reqid = np[i].tunnel_id;
		errbuf_clear(&err);
		if (dp_policy_add(dp, &dpp, &err) < 0) {
			log_warnx(LOG_CFG, "security policies %s: dataplane: %s", np[i].p.policy,
			    err.msg);
			continue;
		}
		np[i].id = dpp.id;
	}
	free(o->pols);
	o->pols = np;
	o->n_pols = n;
	free(keep);
}

void
dpobj_apply_post(struct iked_dpobj *o, struct dp *dp, struct ike_engine *e, struct dpobj_plan *p)
{
	struct errbuf err = { .msg = "" };
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < p->n_removed; i++) {
		errbuf_clear(&err);
		if (dp_unit_del(dp, p->removed[i], &err) < 0)
			log_warnx(LOG_CFG, "st0.%u: %s", p->removed[i], err.msg);
	}
	for (i = 0; i < p->n_routes; i++) {
		if (p->routes[i].since)
			continue; /* installed already */
		errbuf_clear(&err);
		if (dp_route_add(dp, &p->routes[i].r.r, &err) < 0) {
			char b[64];

			log_warnx(LOG_CFG, "route %s into st0.%u: %s",
			    iked_prefix_str(&p->routes[i].r.r.dst, b, sizeof(b)),
			    p->routes[i].r.r.unit, err.msg);
		}
		p->routes[i].since = now;
	}
	for (i = 0; i < p->n_manual; i++) {
		struct applied_manual *a = &p->manual[i];
		size_t j;
		bool kept = false;

		for (j = 0; j < o->n_manual; j++)
			if (p->manual_keep[j] && strcmp(o->manual[j].m.name, a->m.name) == 0)
				kept = true;
		if (kept)
			continue;
		if (!a->tunnel_id)
			a->tunnel_id = o->next_manual_id++;
		manual_add(dp, a);
	}
	apply_policies(o, dp, e, p);
	/* the plan's sets become the applied ones */
	for (i = 0; i < o->n_units; i++)
		free(o->units[i].description);
	free(o->units);
	o->units = p->units;
	o->n_units = p->n_units;
	p->units = NULL;
	p->n_units = 0;
	for (i = 0; i < o->n_routes; i++)
		free(o->routes[i].r.path);
	free(o->routes);
	o->routes = p->routes;
	o->n_routes = p->n_routes;
	p->routes = NULL;
	p->n_routes = 0;
	for (i = 0; i < o->n_manual; i++)
		manual_wipe(&o->manual[i].m);
	free(o->manual);
	o->manual = p->manual;
	o->n_manual = p->n_manual;
	p->manual = NULL;
	p->n_manual = 0;
	p->n_created = 0;
	plan_free(p);
}

void
dpobj_forget(struct iked_dpobj *o)
{
	uint32_t nm = o->next_manual_id, np = o->next_policy_id;

	dpobj_fini(o);
	o->next_manual_id = nm;
	o->next_policy_id = np;
}

void
dpobj_fini(struct iked_dpobj *o)
{
	size_t i;

	for (i = 0; i < o->n_units; i++)
		free(o->units[i].description);
	free(o->units);
	for (i = 0; i < o->n_routes; i++)
		free(o->routes[i].r.path);
	free(o->routes);
	for (i = 0; i < o->n_manual; i++)
		manual_wipe(&o->manual[i].m);
	free(o->manual);
	free(o->pols);
	memset(o, 0, sizeof(*o));
	o->next_manual_id = IKED_MANUAL_ID0;
	o->next_policy_id = 1;
}
