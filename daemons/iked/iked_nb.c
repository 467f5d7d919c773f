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

/* The transaction's translation of the new configuration (built once). */
static struct iked_want *
tx_want(struct iked *d)
{
	if (d->tx_want)
		return d->tx_want;
	d->tx_want = calloc(1, sizeof(*d->tx_want));
	if (!d->tx_want)
		return NULL;
	if (iked_want_build(nb_running(d->nb), d->tx_want) < 0) {
		iked_want_fini(d->tx_want);
		free(d->tx_want);
		d->tx_want = NULL;
	}
	return d->tx_want;
}

/*
 * VALIDATE of one node: the first problem at or below it. A problem deeper
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

	if (a->phase != NB_VALIDATE || a->event == NB_EV_DESTROY)
		return 0;
	w = tx_want(d);
	if (!w)
		return nb_fail(a->err, -ENOMEM, "cairn-iked: out of memory");
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
cb_obj(struct nb_args *a)
{
	return check_node(a);
}

#define SUB(p)                                                                                     \
	{                                                                                          \
		.path = p, .create = cb_obj, .modify = cb_obj, .destroy = cb_obj, .move = cb_obj,  \
		.flags = NB_F_SUBTREE                                                              \
	}

static const struct nb_node_ops iked_nodes[] = {
	SUB("/cairn-security:security/ike/session"),
	SUB("/cairn-security:security/ike/respond-bad-spi"),
	SUB("/cairn-security:security/ike/proposal"),
	SUB("/cairn-security:security/ike/policy"),
	SUB("/cairn-security:security/ike/gateway"),
	SUB("/cairn-security:security/ipsec/vpn-monitor-options"),
	{ .path = "/cairn-security:security/ipsec/anti-replay-window-size", .modify = cb_obj },
	SUB("/cairn-security:security/ipsec/proposal"),
	SUB("/cairn-security:security/ipsec/policy"),
	SUB("/cairn-security:security/ipsec/vpn"),
	SUB("/cairn-security:security/zones/security-zone"),
	SUB("/cairn-security:security/policies/from-zone"),
	SUB("/cairn-security:security/dataplane"),
	SUB("/cairn-interfaces:interfaces/interface"),
	SUB("/cairn-routing:routing-options/static/route"),
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

static void
keep_config(struct iked *d, struct iked_want *w)
{
	if (d->have_cur)
		iked_want_fini(&d->cur);
	d->cur = *w;
	d->have_cur = true;
	free(w);
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
	if (!tx)
		return;
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
		keep_config(d, tx->want);
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
	return nb_new(d->base, d->ctx, cfg, err);
}
