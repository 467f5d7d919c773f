/* SPDX-License-Identifier: MIT */
/*
 * iked_nb: cairn-iked's northbound table (STYLE.md §5) and its commit
 * transaction.
 *
 * The IKE engine takes a whole configuration at once (ike_engine_prepare
 * compares every resolved gateway and VPN with what runs and keeps the SAs
 * of what did not change), so the per-path callbacks and the transaction
 * share the work like this:
 *
 *   VALIDATE  (per changed node)  the configuration is translated once per
 *             transaction (iked_xlate.c) and each callback reports the
 *             problems found at or below its own node, so messages carry
 *             the right [edit ...] block;
 *   PREPARE   (transaction, nb_cfg.prepare_end) everything that can fail:
 *             the dataplane and the sockets opened (first configuration),
 *             a dataplane change probed, the engine's plan, new st0 units;
 *   APPLY     (transaction, nb_cfg.end) cannot fail: dataplane objects that
 *             go, the engine's commit, dataplane objects that come;
 *   ABORT     the plan is dropped, units created by PREPARE removed, a
 *             dataplane opened by PREPARE closed.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "buf.h"
#include "iked.h"
#include "log.h"
#include "nb.h"
#include "ywords.h"

#include "banned.h"

struct iked_tx {
	struct iked_want *want;
	struct ike_plan *plan;
	struct dpobj_plan *dplan;
	bool opened;  /* the dataplane was opened by this transaction */
	bool rebuild; /* the dataplane settings changed: everything anew at APPLY */
};

const char *const iked_subtrees[] = { "cairn-security:security", "cairn-interfaces:interfaces",
	"cairn-routing:routing-options", NULL };

/* A whole translation counts this much toward trimming the heap. */
#define TRIM_WHOLE_WEIGHT 1000
/* nb keeps its copy as LYB from this size on (nb_cfg.compact_min). */
#define IKED_NB_COMPACT_MIN (1u << 20)
/* More changed objects than this: a whole translation costs less. */
#define IKED_DELTA_MAX 2000

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * The transaction's translation of the new configuration, built once, at
 * the first PREPARE callback (every VALIDATE callback has recorded its
 * change by then): incremental when something was applied before and the
 * change allows it, whole otherwise.
 */
static struct iked_want *
tx_want(struct iked *d)
{
	struct iked_want *w;
	bool delta;

	if (d->tx_want)
		return d->tx_want;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	delta = d->applied && d->e && d->dp && !d->tx_ch.full && d->tx_ch.n <= IKED_DELTA_MAX;
	if (delta) {
		if (iked_want_build_delta(nb_running(d->nb), &d->tx_ch, d->e, &d->obj, w) < 0) {
			iked_want_fini(w);
			free(w);
			return NULL;
		}
		if (w->need_full) {
			log_debug(
			    LOG_CFG, "whole translation: %s", w->why_full ? w->why_full : "-");
			iked_want_fini(w);
			delta = false;
		}
	} else if (d->tx_ch.full) {
		log_debug(
		    LOG_CFG, "whole translation: %s", d->tx_ch.why_full ? d->tx_ch.why_full : "-");
	}
	if (!delta && iked_want_build(nb_running(d->nb), w) < 0) {
		iked_want_fini(w);
		free(w);
		return NULL;
	}
	d->tx_want = w;
	return w;
}

/* VALIDATE: what changed, by object and key (the translation follows). */
static int
record(struct iked *d, const struct nb_args *a, int kind, const char *why)
{
	struct iked_changes *ch = &d->tx_ch;
	const char *key;

	if (!d->tx_t0_us)
		d->tx_t0_us = mono_us();
	if (kind < 0) {
		if (!ch->full) {
			ch->full = true;
			ch->why_full = why;
		}
		return 0;
	}
	key = nb_str(a->dnode, "name");
	if (!key)
		return 0;
	ch->n++;
	if (iked_names_add(&ch->set[kind], key) < 0 ||
	    (a->event != NB_EV_CREATE && iked_names_add(&ch->old[kind], key) < 0))
		return nb_fail(a->err, -ENOMEM, "cairn-iked: out of memory");
	return 0;
}

/*
 * PREPARE of one node: the first problem at or below it. A problem deeper
 * than the node starts with the statement words from the node down
 * ("address gw.example.net: ...").
 */
static int
check_node(struct nb_args *a)
{
	struct iked *d = a->arg;
	const struct iked_want *w;
	const struct iked_err *e;
	char *path;
	int rc = 0;

	if (a->event == NB_EV_DESTROY)
		return 0;
	w = tx_want(d);
	if (!w)
		return nb_fail(a->err, -ENOMEM, "cairn-iked: out of memory");
	if (!w->n_errs)
		return 0;
	path = lyd_path(a->dnode, LYD_PATH_STD, NULL, 0);
	if (!path)
		return nb_fail(a->err, -ENOMEM, "cairn-iked: out of memory");
	e = iked_want_err(w, path);
	if (e) {
		struct buf node = BUF_INIT, at = BUF_INIT;
		const char *rel = "", *msg = e->msg;
		bool words = ywords_path(d->ctx, path, &node, NULL) == 0 && node.len;

		if (words && strcmp(e->path, path) != 0 &&
		    ywords_path(d->ctx, e->path, &at, NULL) == 0 && at.len > node.len &&
		    strncmp(buf_str(&at), buf_str(&node), node.len) == 0)
			rel = buf_str(&at) + node.len + (buf_str(&at)[node.len] == ' ');
		/* the engine's messages name the object: the [edit] block does */
		if (words && strncmp(msg, buf_str(&node), node.len) == 0 &&
		    (msg[node.len] == ' ' || msg[node.len] == ':')) {
			msg += node.len + 1;
			while (*msg == ' ')
				msg++;
		}
		if (*rel)
			rc = nb_fail(a->err, -EINVAL, "%s: %s", rel, msg);
		else
			rc = nb_fail(a->err, -EINVAL, "%s", msg);
		buf_free(&node);
		buf_free(&at);
	}
	free(path);
	return rc;
}

static int
on_node(struct nb_args *a, int kind, const char *why)
{
	switch (a->phase) {
	case NB_VALIDATE:
		return record(a->arg, a, kind, why);
	case NB_PREPARE:
		return check_node(a);
	default:
		return 0;
	}
}

#define KIND_CB(fn, kind)                                                                          \
	static int fn(struct nb_args *a)                                                           \
	{                                                                                          \
		return on_node(a, kind, NULL);                                                     \
	}
KIND_CB(cb_ike_prop, IKED_O_IKE_PROP)
KIND_CB(cb_ike_pol, IKED_O_IKE_POL)
KIND_CB(cb_gw, IKED_O_GW)
KIND_CB(cb_esp_prop, IKED_O_ESP_PROP)
KIND_CB(cb_esp_pol, IKED_O_ESP_POL)
KIND_CB(cb_vpn, IKED_O_VPN)
KIND_CB(cb_unit, IKED_O_UNIT)
KIND_CB(cb_route, IKED_O_ROUTE)

/* Anything else of ours: translated whole (rare, global, or cross-cutting:
 * zones and policies, the dataplane, half-open limits, ...). */
static int
cb_full(struct nb_args *a)
{
	return on_node(a, -1, a->dnode->schema->name);
}

/* An interface: st0's own settings (disable, ...) take a whole translation;
 * other interfaces are not cairn-iked's (manual SAs read their addresses
 * from Linux, not from the configuration). */
static int
cb_interface(struct nb_args *a)
{
	const char *name = nb_str(a->dnode, "name");

	if (name && strcmp(name, "st0") != 0)
		return 0;
	return on_node(a, -1, "interfaces st0");
}

/* The interfaces of a security zone: not cairn-iked's (it is no firewall,
 * and host-inbound-traffic does not gate IKE, docs/iked.md §15). */
static int
cb_none(struct nb_args *a)
{
	(void)a;
	return 0;
}

#define SUB(p, cb)                                                                                 \
	{                                                                                          \
		.path = p, .create = cb, .modify = cb, .destroy = cb, .move = cb,                  \
		.flags = NB_F_SUBTREE                                                              \
	}

static const struct nb_node_ops iked_nodes[] = {
	SUB("/cairn-security:security/ike/session", cb_full),
	SUB("/cairn-security:security/ike/respond-bad-spi", cb_full),
	SUB("/cairn-security:security/ike/proposal", cb_ike_prop),
	SUB("/cairn-security:security/ike/policy", cb_ike_pol),
	SUB("/cairn-security:security/ike/gateway", cb_gw),
	SUB("/cairn-security:security/ipsec/vpn-monitor-options", cb_full),
	{ .path = "/cairn-security:security/ipsec/anti-replay-window-size", .modify = cb_full },
	SUB("/cairn-security:security/ipsec/proposal", cb_esp_prop),
	SUB("/cairn-security:security/ipsec/policy", cb_esp_pol),
	SUB("/cairn-security:security/ipsec/vpn", cb_vpn),
	SUB("/cairn-security:security/zones/security-zone", cb_full),
	SUB("/cairn-security:security/zones/security-zone/interfaces", cb_none),
	SUB("/cairn-security:security/policies/from-zone", cb_full),
	SUB("/cairn-security:security/dataplane", cb_full),
	SUB("/cairn-interfaces:interfaces/interface", cb_interface),
	SUB("/cairn-interfaces:interfaces/interface/unit", cb_unit),
	SUB("/cairn-routing:routing-options/static/route", cb_route),
	{ .path = NULL },
};

static bool
dpc_differs(const struct dp_config *a, const struct dp_config *b)
{
	return a->backend != b->backend || a->spus != b->spus ||
	       (a->flow_threads ? a->flow_threads : 1) != (b->flow_threads ? b->flow_threads : 1);
}

static char *
dup_path(const char *p)
{
	return p ? strdup(p) : NULL;
}

/* The engine's plan of a partial translation (none when no IKE object changed). */
static int
engine_delta(struct iked *d, const struct iked_want *w, struct ike_plan **plan, struct errbuf *err)
{
	struct ike_delta dl;

	*plan = NULL;
	if (!w->gw_set.n && !w->vpn_set.n && !w->gw_del.n && !w->vpn_del.n)
		return 0;
	memset(&dl, 0, sizeof(dl));
	dl.set_gw = (const char *const *)w->gw_set.v;
	dl.n_set_gw = (unsigned)w->gw_set.n;
	dl.set_vpn = (const char *const *)w->vpn_set.v;
	dl.n_set_vpn = (unsigned)w->vpn_set.n;
	dl.del_gw = (const char *const *)w->gw_del.v;
	dl.n_del_gw = (unsigned)w->gw_del.n;
	dl.del_vpn = (const char *const *)w->vpn_del.v;
	dl.n_del_vpn = (unsigned)w->vpn_del.n;
	return ike_engine_prepare_delta(d->e, w->conf, &dl, plan, err);
}

/* PREPARE of the whole transaction: everything that can fail. */
static int
prepare_end(void *arg, bool full, char **err_path, struct errbuf *err)
{
	struct iked *d = arg;
	struct iked_want *w = tx_want(d);
	const struct iked_err *e;
	struct iked_tx *tx;
	int rc;

	(void)full;
	if (!w)
		return errbuf_set(err, -ENOMEM, "cairn-iked: out of memory");
	/* a problem no changed node reported (an unchanged one, at resync) */
	if ((e = iked_want_err(w, NULL)) != NULL) {
		*err_path = dup_path(e->path);
		return errbuf_set(err, -EINVAL, "%s", e->msg);
	}
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return errbuf_set(err, -ENOMEM, "cairn-iked: out of memory");
	if (w->partial) {
		/* a delta: the dataplane and the engine run; only what changed */
		rc = engine_delta(d, w, &tx->plan, err);
		if (rc == 0)
			rc = dpobj_prepare(&d->obj, d->dp, w, &tx->dplan, err_path, err);
		if (rc < 0)
			goto fail;
		tx->want = w;
		d->tx_want = NULL;
		d->tx = tx;
		return 0;
	}
	if (!d->dp && (w->any || d->opts.test_mock_dp)) {
		rc = iked_run_open(d, &w->dpc, err);
		if (rc < 0) {
			*err_path = strdup("/cairn-security:security/dataplane");
			goto fail;
		}
		tx->opened = true;
	} else if (d->dp && dpc_differs(&d->dpc, &w->dpc)) {
		struct errbuf why = { .msg = "" };

		errbuf_clear(&why);
		if (w->dpc.backend == DP_BACKEND_KERNEL && !d->opts.test_mock_dp &&
		    iked_run_resolve_backend(DP_BACKEND_KERNEL, &why) != DP_BACKEND_KERNEL) {
			*err_path = strdup("/cairn-security:security/dataplane/backend");
			rc = errbuf_set(err, -ENOTSUP, "%s",
			    errbuf_isset(&why) ? why.msg : "the kernel cannot carry ESP here");
			goto fail;
		}
		tx->rebuild = true;
	}
	if (d->e && !tx->rebuild) {
		rc = ike_engine_prepare(d->e, w->conf, NULL, NULL, &tx->plan, err);
		if (rc < 0)
			goto fail;
	}
	if (d->dp && !tx->rebuild) {
		rc = dpobj_prepare(&d->obj, d->dp, w, &tx->dplan, err_path, err);
		if (rc < 0)
			goto fail;
	}
	tx->want = w;
	d->tx_want = NULL;
	d->tx = tx;
	return 0;
fail:
	ike_plan_free(tx->plan);
	if (tx->opened)
		iked_run_close(d, false);
	free(tx);
	return rc;
}

/* What the transaction did, for the tests and the debug log. */
static void
tx_stats(struct iked *d, const struct iked_want *w, const struct iked_tx *tx)
{
	struct iked_tx_stats *st = &d->last_tx;

	memset(st, 0, sizeof(*st));
	st->delta = w->partial;
	st->translated = w->n_translated;
	st->gw_set = (unsigned)(w->partial ? w->gw_set.n : w->conf->n_gateways);
	st->vpn_set = (unsigned)(w->partial ? w->vpn_set.n : w->conf->n_vpns);
	st->gw_del = (unsigned)w->gw_del.n;
	st->vpn_del = (unsigned)w->vpn_del.n;
	st->units = (unsigned)w->n_units;
	st->routes = (unsigned)w->n_routes;
	if (d->tx_t0_us)
		st->ms = (double)(mono_us() - d->tx_t0_us) / 1000.0;
	(void)tx;
	log_debug(LOG_CFG,
	    "%s translation: %zu objects, engine %u+%u gateways %u+%u VPNs set+removed, %u units, "
	    "%u routes, %.1f ms",
	    st->delta ? "incremental" : "whole", st->translated, st->gw_set, st->gw_del,
	    st->vpn_set, st->vpn_del, st->units, st->routes, st->ms);
}

/* The dataplane settings changed: a new dataplane and engine, all anew. */
static void
rebuild(struct iked *d, struct iked_want *w)
{
	struct dpobj_plan *dplan = NULL;
	struct ike_plan *plan = NULL;
	struct errbuf err = { .msg = "" };
	char *path = NULL;

	log_info(LOG_CFG, "security dataplane changed: re-establishing every tunnel");
	iked_run_close(d, true);
	dpobj_forget(&d->obj);
	errbuf_clear(&err);
	if (iked_run_open(d, &w->dpc, &err) < 0) {
		log_errx(LOG_CFG, "security dataplane: %s; keeping the previous settings", err.msg);
		errbuf_clear(&err);
		if (iked_run_open(d, &d->dpc, &err) < 0) {
			log_errx(LOG_CFG, "security dataplane: %s: running without a dataplane",
			    err.msg);
			return;
		}
	}
	errbuf_clear(&err);
	if (ike_engine_prepare(d->e, w->conf, NULL, NULL, &plan, &err) == 0)
		ike_engine_commit(d->e, plan);
	else
		log_errx(LOG_CFG, "security: %s", err.msg);
	errbuf_clear(&err);
	if (dpobj_prepare(&d->obj, d->dp, w, &dplan, &path, &err) == 0) {
		dpobj_apply_pre(&d->obj, d->dp, dplan);
		dpobj_apply_post(&d->obj, d->dp, d->e, dplan);
	} else {
		log_errx(LOG_CFG, "%s", err.msg);
	}
	free(path);
}

/* APPLY (cannot fail) or ABORT of the whole transaction. */
static void
end(void *arg, bool applied)
{
	struct iked *d = arg;
	struct iked_tx *tx = d->tx;

	d->tx = NULL;
	if (d->tx_want) { /* failed before prepare_end, or nothing changed */
		iked_want_fini(d->tx_want);
		free(d->tx_want);
		d->tx_want = NULL;
	}
	iked_changes_fini(&d->tx_ch);
	if (!tx) {
		d->tx_t0_us = 0;
		return;
	}
	if (applied) {
		if (tx->rebuild) {
			rebuild(d, tx->want);
		} else {
			if (tx->dplan)
				dpobj_apply_pre(&d->obj, d->dp, tx->dplan);
			if (tx->plan)
				ike_engine_commit(d->e, tx->plan);
			if (tx->dplan)
				dpobj_apply_post(&d->obj, d->dp, d->e, tx->dplan);
		}
		d->applied = true;
		iked_nh_apply(&d->obj, tx->want);
		tx_stats(d, tx->want, tx);
		/* a whole translation allocated and freed a copy of everything */
		iked_run_trim_soon(
		    d, tx->want->partial ? (unsigned)tx->want->n_translated : TRIM_WHOLE_WEIGHT);
		iked_want_fini(tx->want);
		free(tx->want);
		iked_run_rearm(d);
		log_info(LOG_CFG, "configuration applied");
	} else {
		ike_plan_free(tx->plan);
		if (tx->dplan)
			dpobj_abort(&d->obj, d->dp, tx->dplan);
		if (tx->opened)
			iked_run_close(d, false);
		iked_want_fini(tx->want);
		free(tx->want);
	}
	d->tx_t0_us = 0;
	free(tx);
}

struct nb *
iked_nb_new(struct iked *d, struct errbuf *err)
{
	struct nb_cfg *cfg = &d->nbcfg;

	memset(cfg, 0, sizeof(*cfg));
	cfg->name = "cairn-iked";
	cfg->subtrees = iked_subtrees;
	cfg->nodes = iked_nodes;
	cfg->rpcs = iked_rpcs;
	cfg->arg = d;
	cfg->end = end;
	cfg->prepare_end = prepare_end;
	/*
	 * The engine keeps what it runs on; nb's tree of 10,000 VPNs would be
	 * 53 MB. Compact from about 1,600 route-based VPNs (1 MiB of LYB, a
	 * tree of 8.5 MB), where rebuilding it costs a commit ~30 ms.
	 */
	cfg->compact = true;
	cfg->compact_min = IKED_NB_COMPACT_MIN;
	return nb_new(d->base, d->ctx, cfg, err);
}
