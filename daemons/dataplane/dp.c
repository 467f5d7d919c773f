/* SPDX-License-Identifier: MIT */
/*
 * dp: the front end of the dataplane interface (dp.h). It picks the
 * backend, anchors tunnels on SPUs (anchor.h) for every backend alike,
 * remembers each tunnel so that an anchor move can re-program it, and
 * forwards everything else to the backend's ops table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor.h"
#include "dp.h"
#include "hmap.h"

/*
 * What the front end keeps of a tunnel to re-program it on an anchor move,
 * for backends without tunnel_get (those with it keep the only copy):
 * struct dp_tunnel with its selectors stored only as many as are used
 * (local then remote in ts[]); tun_get() rebuilds the dp_tunnel.
 */
struct dp_tun {
	struct hnode hn;
	uint32_t id;
	uint32_t unit;
	struct dp_addr nexthop;
	struct dp_addr local_gw, remote_gw;
	uint64_t ike_sa_id;
	bool dynamic;
	bool on_traffic;
	uint32_t n_local_ts, n_remote_ts;
	struct dp_ts ts[];
};

static size_t
tun_size(uint32_t n_local, uint32_t n_remote)
{
	return sizeof(struct dp_tun) + ((size_t)n_local + n_remote) * sizeof(struct dp_ts);
}

/* k must have room for t's selectors. */
static void
tun_fill(struct dp_tun *k, const struct dp_tunnel *t)
{
	k->id = t->id;
	k->unit = t->unit;
	k->nexthop = t->nexthop;
	k->local_gw = t->local_gw;
	k->remote_gw = t->remote_gw;
	k->ike_sa_id = t->ike_sa_id;
	k->dynamic = t->dynamic;
	k->on_traffic = t->on_traffic;
	k->n_local_ts = t->n_local_ts;
	k->n_remote_ts = t->n_remote_ts;
	memcpy(k->ts, t->local_ts, t->n_local_ts * sizeof(k->ts[0]));
	memcpy(k->ts + t->n_local_ts, t->remote_ts, t->n_remote_ts * sizeof(k->ts[0]));
}

static void
tun_get(const struct dp_tun *k, uint32_t spu, struct dp_tunnel *t)
{
	memset(t, 0, sizeof(*t));
	t->id = k->id;
	t->unit = k->unit;
	t->nexthop = k->nexthop;
	t->spu = spu;
	t->local_gw = k->local_gw;
	t->remote_gw = k->remote_gw;
	t->ike_sa_id = k->ike_sa_id;
	t->dynamic = k->dynamic;
	t->on_traffic = k->on_traffic;
	t->n_local_ts = k->n_local_ts;
	t->n_remote_ts = k->n_remote_ts;
	memcpy(t->local_ts, k->ts, k->n_local_ts * sizeof(k->ts[0]));
	memcpy(t->remote_ts, k->ts + k->n_local_ts, k->n_remote_ts * sizeof(k->ts[0]));
}

struct dp {
	const struct dp_ops *ops;
	enum dp_backend_kind kind;
	void *impl;
	struct anchor *anchor;
	struct hmap tunnels;
	uint32_t flow_threads;
	char reason[DP_REASON_LEN]; /* why this backend (dp_backend_reason) */
};

#ifdef CAIRN_DP_HAVE_KERNEL
/* Removes every ": use security dataplane backend userspace" from msg. */
static void
dp_strip_advice(char *msg)
{
	static const char advice[] = ": use security dataplane backend userspace";
	char *at;

	while ((at = strstr(msg, advice)) != NULL)
		memmove(at, at + sizeof(advice) - 1, strlen(at + sizeof(advice) - 1) + 1);
}
#endif

/*
 * AUTO: the kernel's XFRM when it can install an ESP SA, else userspace.
 * The kernel backend (xfrm/) provides dp_kernel_probe(); a build without
 * it (CAIRN_DP_HAVE_KERNEL unset) always chooses userspace here. The
 * probe's answer is kept in dp->reason for the operator.
 */
static enum dp_backend_kind
dp_auto_select(struct dp *dp)
{
#ifdef CAIRN_DP_HAVE_KERNEL
	struct errbuf why = { .msg = "" };
	int rc;

	errbuf_clear(&why);
	if ((rc = dp_kernel_probe(&why)) == 0) {
		snprintf(dp->reason, sizeof(dp->reason),
		    "auto-detected: the kernel can install an ESP SA");
		return DP_BACKEND_KERNEL;
	}
	/* The probe's advice to name the userspace backend is what this
	 * choice has just done: not repeated to the operator. */
	dp_strip_advice(why.msg);
	/* A kernel message longer than the room left is cut (an operator's
	 * line, not an API: the probe's texts are far shorter). */
	if (snprintf(dp->reason, sizeof(dp->reason),
	        "auto-detected: the kernel cannot install an ESP SA (%s)%s%s", strerror(-rc),
	        why.msg[0] ? ": " : "", why.msg) >= (int)sizeof(dp->reason))
		dp->reason[sizeof(dp->reason) - 1] = '\0';
#else
	snprintf(dp->reason, sizeof(dp->reason),
	    "auto-detected: this program is built without the kernel backend");
#endif
	return DP_BACKEND_USERSPACE;
}

static const struct dp_ops *
dp_ops_for(enum dp_backend_kind kind)
{
	switch (kind) {
	case DP_BACKEND_USERSPACE:
		return &dp_userspace_ops;
	case DP_BACKEND_KERNEL:
#ifdef CAIRN_DP_HAVE_KERNEL
		return &dp_kernel_ops;
#else
		return NULL;
#endif
	case DP_BACKEND_MOCK:
#ifdef CAIRN_DP_HAVE_MOCK
		return &dp_mock_ops;
#else
		return NULL;
#endif
	case DP_BACKEND_AUTO:
		break;
	}
	return NULL;
}

int
dp_open(const struct dp_config *cfg, struct dp **out, struct errbuf *err)
{
	struct dp *dp;
	uint32_t n, i, *ft = NULL;
	int rc;

	*out = NULL;
	dp = calloc(1, sizeof(*dp));
	if (dp == NULL)
		return errbuf_set(err, -ENOMEM, "out of memory");
	if (cfg->backend == DP_BACKEND_AUTO) {
		dp->kind = dp_auto_select(dp);
	} else {
		dp->kind = cfg->backend;
		snprintf(dp->reason, sizeof(dp->reason), "named by the configuration");
	}
	dp->ops = dp_ops_for(dp->kind);
	if (dp->ops == NULL) {
		free(dp);
		return errbuf_set(
		    err, -EOPNOTSUPP, "dataplane backend not built into this program");
	}
	if ((rc = dp->ops->open(cfg, &dp->impl, err)) < 0) {
		free(dp);
		return rc;
	}
	n = dp->ops->spu_count(dp->impl);
	dp->flow_threads = cfg->flow_threads ? cfg->flow_threads : 1;
	ft = calloc(n, sizeof(*ft));
	if (ft != NULL)
		for (i = 0; i < n; i++)
			ft[i] = dp->flow_threads;
	dp->anchor = ft != NULL ? anchor_new(n, ft) : NULL;
	free(ft);
	if (dp->anchor == NULL || hmap_init_dense(&dp->tunnels, 64) < 0) {
		dp_close(dp);
		return errbuf_set(err, -ENOMEM, "out of memory");
	}
	*out = dp;
	return 0;
}

static void
free_tun(struct hnode *n, void *arg)
{
	(void)arg;
	free(hmap_entry(n, struct dp_tun, hn));
}

void
dp_close(struct dp *dp)
{
	if (dp == NULL)
		return;
	if (dp->impl != NULL)
		dp->ops->close(dp->impl);
	anchor_free(dp->anchor);
	if (dp->tunnels.b != NULL)
		hmap_walk(&dp->tunnels, free_tun, NULL);
	hmap_fini(&dp->tunnels);
	free(dp);
}

const char *
dp_backend_name(const struct dp *dp)
{
	return dp->ops->name;
}

enum dp_backend_kind
dp_backend_kind(const struct dp *dp)
{
	return dp->kind;
}

const char *
dp_backend_reason(const struct dp *dp)
{
	return dp->reason;
}

uint32_t
dp_spu_count(const struct dp *dp)
{
	return dp->ops->spu_count(dp->impl);
}

int
dp_unit_set(struct dp *dp, const struct dp_unit *u, struct errbuf *err)
{
	return dp->ops->unit_set(dp->impl, u, err);
}

int
dp_units_create(
    struct dp *dp, const struct dp_unit *u, size_t n, size_t *failed, struct errbuf *err)
{
	size_t i, j;
	int rc;

	*failed = 0;
	if (dp->ops->units_create != NULL)
		return dp->ops->units_create(dp->impl, u, n, failed, err);
	for (i = 0; i < n; i++) {
		if ((rc = dp->ops->unit_set(dp->impl, &u[i], err)) < 0) {
			/* the refused one too: a backend may have kept part of it */
			for (j = 0; j <= i; j++)
				dp->ops->unit_del(dp->impl, u[j].unit, NULL);
			*failed = i;
			return rc;
		}
	}
	return 0;
}

int
dp_unit_del(struct dp *dp, uint32_t unit, struct errbuf *err)
{
	return dp->ops->unit_del(dp->impl, unit, err);
}

int
dp_route_add(struct dp *dp, const struct dp_route *r, struct errbuf *err)
{
	return dp->ops->route_add(dp->impl, r, err);
}

int
dp_route_del(struct dp *dp, const struct dp_route *r, struct errbuf *err)
{
	return dp->ops->route_del(dp->impl, r, err);
}

size_t
dp_routes_add(struct dp *dp, const struct dp_route *r, size_t n, dp_route_fail_fn fail, void *ctx)
{
	struct errbuf err;
	size_t i, nfail = 0;
	int rc;

	if (dp->ops->routes_add != NULL)
		return dp->ops->routes_add(dp->impl, r, n, fail, ctx);
	for (i = 0; i < n; i++) {
		errbuf_clear(&err);
		if ((rc = dp->ops->route_add(dp->impl, &r[i], &err)) < 0) {
			if (!errbuf_isset(&err))
				errbuf_set(&err, rc, "%s", strerror(-rc));
			nfail++;
			if (fail != NULL)
				fail(ctx, i, &err);
		}
	}
	return nfail;
}

static struct dp_tun *
tun_find(const struct dp *dp, uint32_t id)
{
	uint64_t h = hmap_mix(id);
	struct hnode *it;

	HMAP_FOR_HASH(&dp->tunnels, h, it)
	{
		struct dp_tun *t = hmap_entry(it, struct dp_tun, hn);
		if (t->id == id)
			return t;
	}
	return NULL;
}

int
dp_tunnel_set(struct dp *dp, const struct dp_tunnel *t, uint32_t *spu, struct errbuf *err)
{
	struct anchor_req req;
	struct dp_tun *k = tun_find(dp, t->id);
	struct dp_tunnel copy = *t;
	uint32_t s, before = DP_SPU_ANY;
	bool placed_new = k == NULL;
	int rc;

	if (t->id == 0)
		return errbuf_set(err, -EINVAL, "tunnel id 0 is reserved");
	memset(&req, 0, sizeof(req));
	req.tunnel_id = t->id;
	req.ike_sa_id = t->ike_sa_id;
	req.local = t->local_gw;
	req.remote = t->remote_gw;
	req.dynamic = t->dynamic;
	req.spu = t->spu;
	if (!placed_new)
		anchor_lookup(dp->anchor, t->id, &before);
	rc = anchor_place(dp->anchor, &req, &s);
	if (rc == -EINVAL)
		return errbuf_set(err, rc, "tunnel %u: SPU %u does not exist (%u SPUs)", t->id,
		    t->spu, dp_spu_count(dp));
	if (rc < 0)
		return errbuf_set(err, rc, "tunnel %u: anchoring: out of memory", t->id);
	copy.spu = s;
	rc = dp->ops->tunnel_set(dp->impl, &copy, err);
	if (rc < 0) {
		/* undo the placement */
		if (placed_new) {
			anchor_remove(dp->anchor, t->id);
		} else if (before != s) {
			req.spu = before;
			anchor_place(dp->anchor, &req, &s);
		}
		return rc;
	}
	if (dp->ops->tunnel_get != NULL) {
		/* the backend's copy is the one re-programmed on a move */
		if (spu != NULL)
			*spu = copy.spu;
		return 0;
	}
	if (k != NULL && (k->n_local_ts != t->n_local_ts || k->n_remote_ts != t->n_remote_ts)) {
		/* another number of selectors: a new record (the old one goes) */
		hmap_remove(&dp->tunnels, &k->hn);
		free(k);
		k = NULL;
	}
	if (k == NULL) {
		k = calloc(1, tun_size(t->n_local_ts, t->n_remote_ts));
		if (k == NULL || hmap_insert(&dp->tunnels, &k->hn, hmap_mix(t->id)) < 0) {
			free(k);
			dp->ops->tunnel_del(dp->impl, t->id, NULL);
			anchor_remove(dp->anchor, t->id);
			return errbuf_set(err, -ENOMEM, "out of memory");
		}
	}
	tun_fill(k, t);
	if (spu != NULL)
		*spu = copy.spu;
	return 0;
}

int
dp_tunnel_del(struct dp *dp, uint32_t tunnel_id, struct errbuf *err)
{
	struct dp_tun *k = tun_find(dp, tunnel_id);
	int rc;

	rc = dp->ops->tunnel_del(dp->impl, tunnel_id, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	anchor_remove(dp->anchor, tunnel_id);
	if (k != NULL) {
		hmap_remove(&dp->tunnels, &k->hn);
		free(k);
	}
	return rc;
}

int
dp_tunnel_spu(const struct dp *dp, uint32_t tunnel_id, uint32_t *spu)
{
	return anchor_lookup(dp->anchor, tunnel_id, spu);
}

struct moved {
	uint32_t *ids, *from;
	uint32_t n, cap;
	bool nomem;
};

static void
note_moved(void *arg, uint32_t id, uint32_t from, uint32_t to)
{
	struct moved *m = arg;
	uint32_t *n, *f;

	(void)to;
	if (m->nomem)
		return;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		n = realloc(m->ids, m->cap * sizeof(*n));
		if (n != NULL)
			m->ids = n;
		f = realloc(m->from, m->cap * sizeof(*f));
		if (f != NULL)
			m->from = f;
		if (n == NULL || f == NULL) {
			m->nomem = true;
			return;
		}
	}
	m->ids[m->n] = id;
	m->from[m->n++] = from;
}

/* Programs tunnel id on spu in the backend: 0, 1 when the backend does not
 * know it (nothing to program), or the backend's -errno. */
static int
tun_program(struct dp *dp, uint32_t id, uint32_t spu, struct errbuf *err)
{
	struct dp_tunnel t;
	struct dp_tun *k;

	if (dp->ops->tunnel_get != NULL) {
		if (dp->ops->tunnel_get(dp->impl, id, &t) < 0)
			return 1;
		t.spu = spu;
	} else {
		if ((k = tun_find(dp, id)) == NULL)
			return 1;
		tun_get(k, spu, &t);
	}
	return dp->ops->tunnel_set(dp->impl, &t, err);
}

/*
 * Puts tunnels [0, n) of m back on their old SPUs in the backend after a
 * failed move. A tunnel the backend cannot take back stays where it is,
 * and so does its anchor (the anchor says where the backend has it).
 * Returns how many stayed moved.
 */
static uint32_t
move_back(struct dp *dp, const struct moved *m, uint32_t n, uint32_t to)
{
	struct errbuf e = { .msg = "" };
	struct anchor_req req;
	uint32_t i, s, stuck = 0;

	for (i = 0; i < n; i++) {
		if (tun_program(dp, m->ids[i], m->from[i], &e) >= 0)
			continue;
		stuck++;
		memset(&req, 0, sizeof(req));
		req.tunnel_id = m->ids[i];
		req.spu = to;
		anchor_place(dp->anchor, &req, &s);
	}
	return stuck;
}

int
dp_anchor_move(struct dp *dp, const struct dp_addr *local, const struct dp_addr *remote,
    uint32_t spu, uint32_t *moved, struct errbuf *err)
{
	struct errbuf why = { .msg = "" };
	struct moved m;
	char tail[96];
	uint32_t i, stuck, done = 0;
	int rc;

	if (moved != NULL)
		*moved = 0;
	memset(&m, 0, sizeof(m));
	if (spu != DP_SPU_ANY && spu >= dp_spu_count(dp))
		return errbuf_set(
		    err, -EINVAL, "SPU %u does not exist (%u SPUs)", spu, dp_spu_count(dp));
	/*
	 * All or nothing: the backend moves each tunnel first; the anchor
	 * (and the pin) follow only when all have moved. A backend failure
	 * puts the tunnels already moved back where they were.
	 */
	rc = anchor_gateway_tunnels(dp->anchor, local, remote, spu, note_moved, &m, NULL);
	if (rc == 0 && m.nomem)
		rc = -ENOMEM;
	if (rc < 0) {
		free(m.ids);
		free(m.from);
		return errbuf_set(err, rc, "anchor move: %s",
		    rc == -ENOMEM ? "out of memory (nothing moved)" : "bad gateway addresses");
	}
	for (i = 0; i < m.n; i++) {
		errbuf_clear(&why);
		rc = tun_program(dp, m.ids[i], spu, &why);
		if (rc < 0)
			break;
		if (rc == 0)
			done++;
	}
	if (rc >= 0) {
		rc = anchor_move_gateway(dp->anchor, local, remote, spu, NULL, NULL, NULL);
		if (rc < 0)
			errbuf_set(&why, rc, "out of memory");
		i = m.n;
	}
	if (rc < 0) {
		stuck = move_back(dp, &m, i, spu);
		if (!errbuf_isset(&why))
			errbuf_set(&why, rc, "%s", strerror(-rc));
		if (stuck == 0)
			snprintf(tail, sizeof(tail), "nothing moved");
		else
			snprintf(tail, sizeof(tail),
			    "%u tunnel(s) could not be moved back and stay on SPU %u", stuck, spu);
		if (i < m.n)
			errbuf_set(err, rc, "anchor move to SPU %u: tunnel %u: %s; %s", spu,
			    m.ids[i], why.msg, tail);
		else
			errbuf_set(err, rc, "anchor move to SPU %u: %s; %s", spu, why.msg, tail);
		free(m.ids);
		free(m.from);
		if (moved != NULL)
			*moved = stuck;
		return rc;
	}
	free(m.ids);
	free(m.from);
	if (moved != NULL)
		*moved = done;
	return 0;
}

int
dp_anchor_pin(
    const struct dp *dp, const struct dp_addr *local, const struct dp_addr *remote, uint32_t *spu)
{
	return anchor_pin(dp->anchor, local, remote, spu);
}

int
dp_spi_alloc(struct dp *dp, const struct dp_addr *local, const struct dp_addr *remote, uint32_t spu,
    uint32_t *spi, struct errbuf *err)
{
	return dp->ops->spi_alloc(dp->impl, local, remote, spu, spi, err);
}

int
dp_sa_add(struct dp *dp, const struct dp_sa *sa, struct errbuf *err)
{
	struct dp_sa copy = *sa;
	uint32_t spu;
	int rc;

	if (anchor_lookup(dp->anchor, sa->tunnel_id, &spu) < 0)
		return errbuf_set(
		    err, -ENOENT, "SA %08x: tunnel %u not found", sa->spi, sa->tunnel_id);
	copy.spu = spu;
	rc = dp->ops->sa_add(dp->impl, &copy, err);
	explicit_bzero(&copy, sizeof(copy));
	return rc;
}

void
dp_batch_begin(struct dp *dp)
{
	if (dp->ops->batch_begin != NULL)
		dp->ops->batch_begin(dp->impl);
}

int
dp_batch_end(struct dp *dp, struct errbuf *err)
{
	return dp->ops->batch_end != NULL ? dp->ops->batch_end(dp->impl, err) : 0;
}

int
dp_sa_update(struct dp *dp, const struct dp_sa *sa, uint32_t what, struct errbuf *err)
{
	if (dp->ops->sa_update == NULL)
		return errbuf_set(err, -EOPNOTSUPP, "%s: SA update not supported", dp->ops->name);
	return dp->ops->sa_update(dp->impl, sa, what, err);
}

int
dp_sa_del(
    struct dp *dp, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst, struct errbuf *err)
{
	return dp->ops->sa_del(dp->impl, spi, dir, dst, err);
}

int
dp_sa_stats(struct dp *dp, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst,
    struct dp_sa_stats *out, struct errbuf *err)
{
	return dp->ops->sa_stats(dp->impl, spi, dir, dst, out, err);
}

int
dp_policy_add(struct dp *dp, const struct dp_policy *p, struct errbuf *err)
{
	return dp->ops->policy_add(dp->impl, p, err);
}

int
dp_policy_del(struct dp *dp, uint32_t policy_id, struct errbuf *err)
{
	return dp->ops->policy_del(dp->impl, policy_id, err);
}

int
dp_spu_stats(struct dp *dp, uint32_t spu, struct dp_spu_stats *out)
{
	int rc = dp->ops->spu_stats(dp->impl, spu, out);

	if (rc == 0) {
		/* the anchoring view is the front end's, for every backend */
		out->tunnels = anchor_spu_tunnels(dp->anchor, spu);
		out->flow_threads = anchor_spu_flow_threads(dp->anchor, spu);
	}
	return rc;
}

int
dp_clear_stats(struct dp *dp)
{
	return dp->ops->clear_stats(dp->impl);
}

int
dp_event_fd(struct dp *dp)
{
	return dp->ops->event_fd(dp->impl);
}

int
dp_event_read(struct dp *dp, struct dp_event *ev)
{
	return dp->ops->event_read(dp->impl, ev);
}

bool
dp_owns_natt_port(const struct dp *dp)
{
	return dp->ops->ike_recv != NULL;
}

int
dp_ike_recv(struct dp *dp, struct dp_ike_msg *msg)
{
	if (dp->ops->ike_recv == NULL)
		return -EOPNOTSUPP;
	return dp->ops->ike_recv(dp->impl, msg);
}

int
dp_ike_send(struct dp *dp, const struct dp_ike_msg *msg)
{
	if (dp->ops->ike_send == NULL)
		return -EOPNOTSUPP;
	return dp->ops->ike_send(dp->impl, msg);
}
