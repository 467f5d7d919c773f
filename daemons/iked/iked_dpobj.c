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
#include "iked_xlate.h"
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

	/* a partial translation: edits of the applied sets, by key */
	bool partial;
	struct want_unit *ucreate; /* created in PREPARE, inserted at APPLY */
	size_t n_ucreate;
	size_t *rdel; /* applied routes to remove (sorted indices) */
	size_t n_rdel;
	struct applied_route *radd; /* routes to add */
	size_t n_radd;
	size_t *mdel; /* applied manual VPNs to remove (sorted indices) */
	size_t n_mdel;
	struct applied_manual *madd; /* manual VPNs to add */
	size_t n_madd;
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
		free(p->routes[i].r.ari);
	free(p->routes);
	free(p->route_keep);
	for (i = 0; i < p->n_manual; i++)
		manual_wipe(&p->manual[i].m);
	free(p->manual);
	free(p->manual_keep);
	free(p->pols);
	for (i = 0; i < p->n_ucreate; i++)
		free(p->ucreate[i].description);
	free(p->ucreate);
	free(p->rdel);
	for (i = 0; i < p->n_radd; i++)
		free(p->radd[i].r.ari);
	free(p->radd);
	free(p->mdel);
	for (i = 0; i < p->n_madd; i++)
		manual_wipe(&p->madd[i].m);
	free(p->madd);
	free(p);
}

/* ---- PREPARE ------------------------------------------------------------------ */

/* The units p->created names (ud[0..n), in that order), in one dataplane
 * call: all or none of them is created. */
static int
create_units(struct dp *dp, const struct dp_unit *ud, struct dpobj_plan *p, char **err_path,
    struct errbuf *err)
{
	size_t failed = 0;
	int rc;

	if (!dp || p->n_created == 0)
		return 0;
	rc = dp_units_create(dp, ud, p->n_created, &failed, err);
	if (rc < 0) {
		uint32_t unit = p->created[failed < p->n_created ? failed : 0];

		*err_path = unit_path(unit);
		if (!errbuf_isset(err))
			errbuf_set(err, rc, "st0.%u: the dataplane refused it", unit);
		p->n_created = 0; /* none is left */
		return rc;
	}
	return 0;
}

static int
plan_units(struct iked_dpobj *o, struct dp *dp, const struct iked_want *w, struct dpobj_plan *p,
    char **err_path, struct errbuf *err)
{
	size_t i = 0, j = 0;
	struct dp_unit *ud = NULL;
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
	if ((ud = calloc(p->n_units ? p->n_units : 1, sizeof(*ud))) == NULL)
		return errbuf_set(err, -ENOMEM, "interfaces st0: out of memory");
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

			ud[p->n_created] = u->u;
			p->created[p->n_created++] = u->unit;
		} else {
			if (!unit_same(&o->units[i], &p->units[j]))
				unit_copy(&p->modified[p->n_modified++], &p->units[j]);
			i++;
			j++;
		}
	}
	rc = create_units(dp, ud, p, err_path, err);
	free(ud);
	return rc;
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
		p->routes[i].r.ari = w->routes[i].ari ? strdup(w->routes[i].ari) : NULL;
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

/* ---- PREPARE of a partial translation: the changed keys only ---- */

static const struct want_unit *
find_unit(const struct want_unit *arr, size_t n, uint32_t unit)
{
	struct want_unit key;

	key.unit = unit;
	return n ? bsearch(&key, arr, n, sizeof(key), cmp_unit) : NULL;
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static int
delta_units(struct iked_dpobj *o, struct dp *dp, const struct iked_want *w, struct dpobj_plan *p,
    char **err_path, struct errbuf *err)
{
	size_t i, n = w->unit_keys.n;
	struct dp_unit *ud;
	int rc;

	p->ucreate = calloc(n + 1, sizeof(*p->ucreate));
	p->modified = calloc(n + 1, sizeof(*p->modified));
	p->removed = calloc(n + 1, sizeof(*p->removed));
	p->created = calloc(n + 1, sizeof(*p->created));
	if (!p->ucreate || !p->modified || !p->removed || !p->created)
		return errbuf_set(err, -ENOMEM, "interfaces st0: out of memory");
	if ((ud = calloc(n + 1, sizeof(*ud))) == NULL)
		return errbuf_set(err, -ENOMEM, "interfaces st0: out of memory");
	for (i = 0; i < n; i++) {
		uint32_t unit = (uint32_t)strtoul(w->unit_keys.v[i], NULL, 10);
		const struct want_unit *nu = find_unit(w->units, w->n_units, unit);
		const struct want_unit *ou = find_unit(o->units, o->n_units, unit);

		if (nu && !ou) {
			ud[p->n_created] = nu->u;
			p->created[p->n_created++] = unit;
			unit_copy(&p->ucreate[p->n_ucreate++], nu);
		} else if (nu && ou) {
			if (!unit_same(ou, nu))
				unit_copy(&p->modified[p->n_modified++], nu);
		} else if (ou) {
			p->removed[p->n_removed++] = unit;
		}
	}
	rc = create_units(dp, ud, p, err_path, err);
	free(ud);
	return rc;
}

/* The applied routes of the groups a partial translation replaces: static
 * routes by prefix, ARI-TS routes by VPN. Those the new ones repeat stay. */
static int
delta_routes(
    struct iked_dpobj *o, const struct iked_want *w, struct dpobj_plan *p, struct errbuf *err)
{
	bool *same = calloc(w->n_routes + 1, sizeof(*same));
	size_t i, j;

	p->rdel = calloc(o->n_routes + 1, sizeof(*p->rdel));
	p->radd = calloc(w->n_routes + 1, sizeof(*p->radd));
	if (!same || !p->rdel || !p->radd) {
		free(same);
		return errbuf_set(err, -ENOMEM, "routing-options: out of memory");
	}
	/* static routes by prefix: o->routes is sorted by destination first */
	for (i = 0; i < w->route_keys.n; i++) {
		struct dp_prefix dst;
		size_t lo = 0, hi = o->n_routes;

		if (xl_parse_prefix(w->route_keys.v[i], &dst) < 0)
			continue;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (memcmp(&o->routes[mid].r.r.dst, &dst, sizeof(dst)) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < o->n_routes && !memcmp(&o->routes[lo].r.r.dst, &dst, sizeof(dst)); lo++)
			if (!o->routes[lo].r.ari)
				p->rdel[p->n_rdel++] = lo;
	}
	if (w->ari_vpns.n)
		for (i = 0; i < o->n_routes; i++)
			if (o->routes[i].r.ari && iked_ari_in(o->routes[i].r.ari, &w->ari_vpns))
				p->rdel[p->n_rdel++] = i;
	if (p->n_rdel > 1)
		qsort(p->rdel, p->n_rdel, sizeof(*p->rdel), cmp_size);
	/* a route that stays as it was is neither removed nor added */
	for (j = 0; j < w->n_routes; j++) {
		for (i = 0; i < p->n_rdel; i++) {
			struct applied_route *a = &o->routes[p->rdel[i]];

			if (a->since && memcmp(&a->r.r, &w->routes[j].r, sizeof(a->r.r)) == 0) {
				same[j] = true;
				/* keep it installed; the entry takes the new texts */
				free(a->r.ari);
				a->r.ari = w->routes[j].ari ? strdup(w->routes[j].ari) : NULL;
				a->r.preference = w->routes[j].preference;
				memmove(&p->rdel[i], &p->rdel[i + 1],
				    (p->n_rdel - i - 1) * sizeof(*p->rdel));
				p->n_rdel--;
				break;
			}
		}
		if (same[j])
			continue;
		p->radd[p->n_radd].r = w->routes[j];
		p->radd[p->n_radd].r.ari = w->routes[j].ari ? strdup(w->routes[j].ari) : NULL;
		p->n_radd++;
	}
	free(same);
	return 0;
}

static int
delta_manual(
    struct iked_dpobj *o, const struct iked_want *w, struct dpobj_plan *p, struct errbuf *err)
{
	size_t i, j;

	p->mdel = calloc(o->n_manual + 1, sizeof(*p->mdel));
	p->madd = calloc(w->n_manual + 1, sizeof(*p->madd));
	if (!p->mdel || !p->madd)
		return errbuf_set(err, -ENOMEM, "security ipsec: out of memory");
	for (i = 0; i < o->n_manual; i++) {
		const struct want_manual *nm = NULL;

		if (!iked_names_has(&w->manual_keys, o->manual[i].m.name))
			continue;
		for (j = 0; j < w->n_manual; j++)
			if (strcmp(w->manual[j].name, o->manual[i].m.name) == 0)
				nm = &w->manual[j];
		if (nm && manual_same(&o->manual[i].m, nm))
			continue; /* unchanged: stays installed */
		p->mdel[p->n_mdel++] = i;
	}
	for (j = 0; j < w->n_manual; j++) {
		struct applied_manual *a;
		bool kept = false;

		for (i = 0; i < o->n_manual; i++) {
			if (strcmp(o->manual[i].m.name, w->manual[j].name) != 0)
				continue;
			kept = manual_same(&o->manual[i].m, &w->manual[j]);
			if (!kept) {
				a = &p->madd[p->n_madd++];
				manual_copy(&a->m, &w->manual[j]);
				a->tunnel_id = o->manual[i].tunnel_id; /* keeps its ID */
			}
			break;
		}
		if (i == o->n_manual) {
			a = &p->madd[p->n_madd++];
			manual_copy(&a->m, &w->manual[j]);
		}
		(void)kept;
	}
	return 0;
}

static int
prepare_delta(struct iked_dpobj *o, struct dp *dp, const struct iked_want *w, struct dpobj_plan *p,
    char **err_path, struct errbuf *err)
{
	int rc;

	p->partial = true;
	rc = delta_units(o, dp, w, p, err_path, err);
	if (rc == 0)
		rc = delta_routes(o, w, p, err);
	if (rc == 0)
		rc = delta_manual(o, w, p, err);
	return rc;
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
	if (w->partial) {
		rc = prepare_delta(o, dp, w, p, err_path, err);
		if (rc < 0) {
			dpobj_abort(o, dp, p);
			return rc;
		}
		*plan = p;
		return 0;
	}
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

static void
apply_pre_delta(struct iked_dpobj *o, struct dp *dp, struct dpobj_plan *p)
{
	struct errbuf err = { .msg = "" };
	size_t i;

	for (i = 0; i < p->n_mdel; i++)
		manual_remove(dp, &o->manual[p->mdel[i]]);
	for (i = 0; i < p->n_rdel; i++) {
		errbuf_clear(&err);
		if (dp_route_del(dp, &o->routes[p->rdel[i]].r.r, &err) < 0 && errbuf_isset(&err))
			log_debug(LOG_CFG, "route removal: %s", err.msg);
	}
	for (i = 0; i < p->n_modified; i++) {
		errbuf_clear(&err);
		if (dp_unit_set(dp, &p->modified[i].u, &err) < 0)
			log_warnx(LOG_CFG, "st0.%u: %s", p->modified[i].unit, err.msg);
	}
}

void
dpobj_apply_pre(struct iked_dpobj *o, struct dp *dp, struct dpobj_plan *p)
{
	struct errbuf err = { .msg = "" };
	size_t i, j;

	if (p->partial) {
		apply_pre_delta(o, dp, p);
		return;
	}

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

/* Inserts an element into a sorted array of *n (room made as needed). */
static int
sorted_insert(void **arr, size_t *n, size_t *cap, size_t size, const void *elem,
    int (*cmp)(const void *, const void *))
{
	size_t lo = 0, hi = *n;
	char *a;

	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 4;

		a = realloc(*arr, nc * size);
		if (!a)
			return -ENOMEM;
		*arr = a;
		*cap = nc;
	}
	a = *arr;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cmp(a + mid * size, elem) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(a + (lo + 1) * size, a + lo * size, (*n - lo) * size);
	memcpy(a + lo * size, elem, size);
	(*n)++;
	return 0;
}

/* ---- routes in bulk ---- */

struct route_fail_ctx {
	const struct dp_route *r;
};

static void
route_failed(void *ctx, size_t i, const struct errbuf *err)
{
	const struct route_fail_ctx *c = ctx;
	char b[64];

	log_warnx(LOG_CFG, "route %s into st0.%u: %s", iked_prefix_str(&c->r[i].dst, b, sizeof(b)),
	    c->r[i].unit, err->msg);
}

/* The routes routes[idx[0..n)] into the dataplane, in one call. */
static void
add_routes(struct dp *dp, const struct applied_route *routes, const size_t *idx, size_t n)
{
	struct route_fail_ctx c;
	struct dp_route *r;
	size_t i;

	if (!dp || n == 0)
		return;
	if ((r = calloc(n, sizeof(*r))) == NULL) {
		log_warnx(LOG_CFG, "routing-options: out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		r[i] = routes[idx ? idx[i] : i].r.r;
	c.r = r;
	dp_routes_add(dp, r, n, route_failed, &c);
	free(r);
}

static void
apply_post_delta(struct iked_dpobj *o, struct dp *dp, struct dpobj_plan *p)
{
	struct errbuf err = { .msg = "" };
	time_t now = time(NULL);
	size_t i, k, m;

	for (i = 0; i < p->n_removed; i++) {
		struct want_unit *u =
		    (struct want_unit *)find_unit(o->units, o->n_units, p->removed[i]);

		errbuf_clear(&err);
		if (dp_unit_del(dp, p->removed[i], &err) < 0)
			log_warnx(LOG_CFG, "st0.%u: %s", p->removed[i], err.msg);
		if (u) {
			size_t at = (size_t)(u - o->units);

			free(u->description);
			memmove(u, u + 1, (o->n_units - at - 1) * sizeof(*u));
			o->n_units--;
		}
	}
	for (i = 0; i < p->n_modified; i++) {
		struct want_unit *u =
		    (struct want_unit *)find_unit(o->units, o->n_units, p->modified[i].unit);

		if (u) {
			free(u->description);
			*u = p->modified[i];
			p->modified[i].description = NULL;
		}
	}
	for (i = 0; i < p->n_ucreate; i++) {
		if (sorted_insert((void **)&o->units, &o->n_units, &o->cap_units, sizeof(*o->units),
		        &p->ucreate[i], cmp_unit) < 0) {
			log_warnx(LOG_CFG, "st0.%u: out of memory", p->ucreate[i].unit);
			continue;
		}
		p->ucreate[i].description = NULL;
	}
	p->n_ucreate = 0;
	p->n_created = 0;
	/* routes: the removed ones out of the applied set, then the new ones in */
	for (i = k = m = 0; i < o->n_routes; i++) {
		if (m < p->n_rdel && p->rdel[m] == i) {
			free(o->routes[i].r.ari);
			m++;
			continue;
		}
		o->routes[k++] = o->routes[i];
	}
	o->n_routes = k;
	add_routes(dp, p->radd, NULL, p->n_radd);
	for (i = 0; i < p->n_radd; i++) {
		struct applied_route *r = &p->radd[i];

		r->since = now;
		if (sorted_insert((void **)&o->routes, &o->n_routes, &o->cap_routes,
		        sizeof(*o->routes), r, cmp_route) < 0) {
			log_warnx(LOG_CFG, "routing-options: out of memory");
			free(r->r.ari);
		}
		r->r.ari = NULL;
	}
	p->n_radd = 0;
	/* manual VPNs */
	for (i = k = m = 0; i < o->n_manual; i++) {
		if (m < p->n_mdel && p->mdel[m] == i) {
			manual_wipe(&o->manual[i].m);
			m++;
			continue;
		}
		o->manual[k++] = o->manual[i];
	}
	o->n_manual = k;
	if (p->n_madd) {
		struct applied_manual *a =
		    realloc(o->manual, (o->n_manual + p->n_madd) * sizeof(*o->manual));

		if (!a) {
			log_warnx(LOG_CFG, "security ipsec: out of memory");
		} else {
			o->manual = a;
			for (i = 0; i < p->n_madd; i++) {
				struct applied_manual *n = &o->manual[o->n_manual++];

				*n = p->madd[i];
				memset(&p->madd[i], 0, sizeof(p->madd[i]));
				if (!n->tunnel_id)
					n->tunnel_id = o->next_manual_id++;
				manual_add(dp, n);
			}
			p->n_madd = 0;
		}
	}
	plan_free(p);
}

void
dpobj_apply_post(struct iked_dpobj *o, struct dp *dp, struct ike_engine *e, struct dpobj_plan *p)
{
	struct errbuf err = { .msg = "" };
	time_t now = time(NULL);
	size_t i, *idx, n_idx = 0;

	if (p->partial) {
		apply_post_delta(o, dp, p);
		return;
	}

	for (i = 0; i < p->n_removed; i++) {
		errbuf_clear(&err);
		if (dp_unit_del(dp, p->removed[i], &err) < 0)
			log_warnx(LOG_CFG, "st0.%u: %s", p->removed[i], err.msg);
	}
	if ((idx = calloc(p->n_routes + 1, sizeof(*idx))) == NULL) {
		log_warnx(LOG_CFG, "routing-options: out of memory");
	} else {
		for (i = 0; i < p->n_routes; i++)
			if (!p->routes[i].since) /* else installed already */
				idx[n_idx++] = i;
		add_routes(dp, p->routes, idx, n_idx);
		free(idx);
	}
	for (i = 0; i < p->n_routes; i++)
		if (!p->routes[i].since)
			p->routes[i].since = now;
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
	o->cap_units = p->n_units ? p->n_units : 1;
	o->n_units = p->n_units;
	p->units = NULL;
	p->n_units = 0;
	for (i = 0; i < o->n_routes; i++)
		free(o->routes[i].r.ari);
	free(o->routes);
	o->routes = p->routes;
	o->cap_routes = p->n_routes ? p->n_routes : 1;
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
		free(o->routes[i].r.ari);
	free(o->routes);
	for (i = 0; i < o->n_manual; i++)
		manual_wipe(&o->manual[i].m);
	free(o->manual);
	free(o->pols);
	for (i = 0; i < o->n_nh; i++)
		free(o->nh[i].route);
	free(o->nh);
	memset(o, 0, sizeof(*o));
	o->next_manual_id = IKED_MANUAL_ID0;
	o->next_policy_id = 1;
}
