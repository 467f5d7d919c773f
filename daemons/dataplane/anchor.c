/* SPDX-License-Identifier: MIT */
/*
 * anchor: tunnel-to-SPU placement (rules in anchor.h). Three tables: the
 * tunnels, the gateway pairs (with their tunnel count and pin) and the IKE
 * SAs (with their tunnel count); a tunnel holds references to its pair and
 * its IKE SA, which go away with their last tunnel unless pinned.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "anchor.h"
#include "hmap.h"

struct gwpair {
	struct hnode hn;
	struct dp_addr local, remote;
	uint32_t spu;
	uint32_t tunnels; /* site-to-site tunnels of the pair */
	bool pinned;
};

struct ikesa {
	struct hnode hn;
	uint64_t id;
	uint32_t spu;
	uint32_t tunnels;
};

struct atun {
	struct hnode hn;
	uint32_t id;
	uint32_t spu;
	struct gwpair *pair; /* NULL for dynamic tunnels */
	struct ikesa *ike;   /* NULL without an IKE SA */
	/* a dynamic tunnel's gateways once known (family 0: not yet), for
	 * anchor_move_gateway(); site-to-site tunnels have their pair */
	struct dp_addr dyn_local, dyn_remote;
};

struct anchor {
	uint32_t nspu;
	uint32_t rr; /* next dynamic SPU */
	uint32_t *tunnels;
	uint32_t *flow;
	struct hmap tun, pairs, ikes;
};

static uint64_t
addr_key(const struct dp_addr *a, uint64_t seed)
{
	uint8_t buf[17];

	memset(buf, 0, sizeof(buf));
	buf[0] = a->family;
	if (a->family == AF_INET)
		memcpy(buf + 1, &a->u.v4, 4);
	else if (a->family == AF_INET6)
		memcpy(buf + 1, &a->u.v6, 16);
	return hmap_bytes(buf, sizeof(buf), seed);
}

static uint64_t
pair_hash(const struct dp_addr *l, const struct dp_addr *r)
{
	return hmap_mix(addr_key(l, 1) ^ (addr_key(r, 2) * 3));
}

struct anchor *
anchor_new(uint32_t nspu, const uint32_t *flow_threads)
{
	struct anchor *a;
	uint32_t i;

	if (nspu == 0) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->nspu = nspu;
	a->tunnels = calloc(nspu, sizeof(*a->tunnels));
	a->flow = calloc(nspu, sizeof(*a->flow));
	if (a->tunnels == NULL || a->flow == NULL || hmap_init_dense(&a->tun, 64) < 0 ||
	    hmap_init_dense(&a->pairs, 64) < 0 || hmap_init_dense(&a->ikes, 64) < 0) {
		anchor_free(a);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < nspu; i++)
		a->flow[i] = (flow_threads != NULL && flow_threads[i] > 0) ? flow_threads[i] : 1;
	return a;
}

static void
free_node(struct hnode *n, void *arg)
{
	size_t off = *(size_t *)arg;

	free((char *)n - off);
}

void
anchor_free(struct anchor *a)
{
	size_t off;

	if (a == NULL)
		return;
	if (a->tun.b != NULL) {
		off = offsetof(struct atun, hn);
		hmap_walk(&a->tun, free_node, &off);
	}
	if (a->pairs.b != NULL) {
		off = offsetof(struct gwpair, hn);
		hmap_walk(&a->pairs, free_node, &off);
	}
	if (a->ikes.b != NULL) {
		off = offsetof(struct ikesa, hn);
		hmap_walk(&a->ikes, free_node, &off);
	}
	hmap_fini(&a->tun);
	hmap_fini(&a->pairs);
	hmap_fini(&a->ikes);
	free(a->tunnels);
	free(a->flow);
	free(a);
}

static struct atun *
tun_find(const struct anchor *a, uint32_t id)
{
	uint64_t h = hmap_mix(id);
	struct hnode *it;

	HMAP_FOR_HASH(&a->tun, h, it)
	{
		struct atun *t = hmap_entry(it, struct atun, hn);
		if (t->id == id)
			return t;
	}
	return NULL;
}

static struct gwpair *
pair_find(const struct anchor *a, const struct dp_addr *l, const struct dp_addr *r)
{
	uint64_t h = pair_hash(l, r);
	struct hnode *it;

	HMAP_FOR_HASH(&a->pairs, h, it)
	{
		struct gwpair *p = hmap_entry(it, struct gwpair, hn);
		if (dp_addr_eq(&p->local, l) && dp_addr_eq(&p->remote, r))
			return p;
	}
	return NULL;
}

static struct ikesa *
ike_find(const struct anchor *a, uint64_t id)
{
	uint64_t h = hmap_mix(id ^ 0x5a5a5a5aULL);
	struct hnode *it;

	HMAP_FOR_HASH(&a->ikes, h, it)
	{
		struct ikesa *k = hmap_entry(it, struct ikesa, hn);
		if (k->id == id)
			return k;
	}
	return NULL;
}

/* Least loaded: min tunnels/flow, compared cross-multiplied. */
static uint32_t
least_loaded(const struct anchor *a)
{
	uint32_t best = 0, i;

	for (i = 1; i < a->nspu; i++) {
		uint64_t li = (uint64_t)a->tunnels[i] * a->flow[best];
		uint64_t lb = (uint64_t)a->tunnels[best] * a->flow[i];
		if (li < lb)
			best = i;
	}
	return best;
}

static void
pair_unref(struct anchor *a, struct gwpair *p)
{
	if (p == NULL)
		return;
	p->tunnels--;
	if (p->tunnels == 0 && !p->pinned) {
		hmap_remove(&a->pairs, &p->hn);
		free(p);
	}
}

static void
ike_unref(struct anchor *a, struct ikesa *k)
{
	if (k == NULL)
		return;
	k->tunnels--;
	if (k->tunnels == 0) {
		hmap_remove(&a->ikes, &k->hn);
		free(k);
	}
}

/* A new, empty gateway pair or IKE SA record anchored on spu. */
static struct gwpair *
pair_new(struct anchor *a, const struct dp_addr *l, const struct dp_addr *r, uint32_t spu)
{
	struct gwpair *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->local = *l;
	p->remote = *r;
	p->spu = spu;
	if (hmap_insert(&a->pairs, &p->hn, pair_hash(l, r)) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static struct ikesa *
ike_new(struct anchor *a, uint64_t id, uint32_t spu)
{
	struct ikesa *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	k->id = id;
	k->spu = spu;
	if (hmap_insert(&a->ikes, &k->hn, hmap_mix(id ^ 0x5a5a5a5aULL)) < 0) {
		free(k);
		return NULL;
	}
	return k;
}

/*
 * An anchored tunnel set again may bring what it lacked at its placement
 * (its IKE SA once that is up, its local gateway once known) or another
 * IKE SA lineage or gateway pair: the tunnel joins them where it is (a
 * record it creates is anchored on spu), so that their later tunnels
 * follow it and a gateway move finds it. Nothing moves.
 */
static int
rebind(struct anchor *a, struct atun *t, const struct anchor_req *req, uint32_t spu)
{
	struct gwpair *p = t->pair;
	struct ikesa *k = t->ike;
	bool new_p = false;

	if (!req->dynamic && req->local.family != 0 && req->remote.family != 0 &&
	    (p == NULL || !dp_addr_eq(&p->local, &req->local) ||
	        !dp_addr_eq(&p->remote, &req->remote))) {
		if ((p = pair_find(a, &req->local, &req->remote)) == NULL) {
			if ((p = pair_new(a, &req->local, &req->remote, spu)) == NULL)
				return -ENOMEM;
			new_p = true;
		}
	}
	if (req->ike_sa_id != 0 && (k == NULL || k->id != req->ike_sa_id) &&
	    (k = ike_find(a, req->ike_sa_id)) == NULL &&
	    (k = ike_new(a, req->ike_sa_id, spu)) == NULL) {
		if (new_p) {
			hmap_remove(&a->pairs, &p->hn);
			free(p);
		}
		return -ENOMEM;
	}
	if (req->dynamic && req->local.family != 0 && req->remote.family != 0) {
		t->dyn_local = req->local;
		t->dyn_remote = req->remote;
	}
	if (p != t->pair) {
		p->tunnels++;
		pair_unref(a, t->pair);
		t->pair = p;
	}
	if (k != t->ike) {
		k->tunnels++;
		ike_unref(a, t->ike);
		t->ike = k;
	}
	return 0;
}

struct others_ctx {
	const struct atun *t;
	bool ike_left, pair_left;
};

static void
others_one(struct hnode *n, void *arg)
{
	struct others_ctx *c = arg;
	const struct atun *o = hmap_entry(n, struct atun, hn);

	if (o == c->t)
		return;
	if (c->t->ike != NULL && o->ike == c->t->ike && o->spu == c->t->ike->spu)
		c->ike_left = true;
	if (c->t->pair != NULL && o->pair == c->t->pair && o->spu == c->t->pair->spu)
		c->pair_left = true;
}

/*
 * Tunnel t alone was moved by an explicit request: its IKE SA (and its
 * gateway pair, unless pinned) follow it when none of their other tunnels
 * is left where they are anchored, so that the next CHILD SA of that IKE
 * SA (next tunnel of that pair) goes where the tunnel now is. Otherwise
 * they stay with those other tunnels, which do not move.
 */
static void
follow_moved(struct anchor *a, struct atun *t)
{
	struct others_ctx c = { .t = t };

	if (t->ike == NULL && t->pair == NULL)
		return;
	hmap_walk(&a->tun, others_one, &c);
	if (t->ike != NULL && !c.ike_left)
		t->ike->spu = t->spu;
	if (t->pair != NULL && !t->pair->pinned && !c.pair_left)
		t->pair->spu = t->spu;
}

int
anchor_place(struct anchor *a, const struct anchor_req *req, uint32_t *spu)
{
	struct atun *t;
	struct gwpair *p = NULL;
	struct ikesa *k = NULL;
	bool new_pair = false, new_ike = false;
	uint32_t s;

	if (req->spu != DP_SPU_ANY && req->spu >= a->nspu)
		return -EINVAL;

	t = tun_find(a, req->tunnel_id);
	if (t != NULL) {
		int rc = rebind(a, t, req, req->spu != DP_SPU_ANY ? req->spu : t->spu);

		if (rc < 0)
			return rc;
		/* Already anchored: only an explicit request moves it. */
		if (req->spu != DP_SPU_ANY && req->spu != t->spu) {
			a->tunnels[t->spu]--;
			t->spu = req->spu;
			a->tunnels[t->spu]++;
			follow_moved(a, t);
		}
		*spu = t->spu;
		return 0;
	}

	if (req->ike_sa_id != 0)
		k = ike_find(a, req->ike_sa_id);
	if (req->local.family != 0 && req->remote.family != 0)
		p = pair_find(a, &req->local, &req->remote);
	/* a dynamic tunnel follows its gateways' pin only (rule 3), and does
	 * not join the pair */
	if (req->dynamic && p != NULL && !p->pinned)
		p = NULL;

	if (req->spu != DP_SPU_ANY)
		s = req->spu; /* 1 */
	else if (k != NULL)
		s = k->spu; /* 2 */
	else if (p != NULL && (p->pinned || p->tunnels > 0))
		s = p->spu; /* 3, 4 */
	else if (req->dynamic) {
		s = a->rr; /* 5 */
		a->rr = (a->rr + 1) % a->nspu;
	} else
		s = least_loaded(a); /* 6 */

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	if (!req->dynamic && req->local.family != 0 && req->remote.family != 0 && p == NULL) {
		p = calloc(1, sizeof(*p));
		if (p == NULL)
			goto nomem;
		p->local = req->local;
		p->remote = req->remote;
		p->spu = s;
		if (hmap_insert(&a->pairs, &p->hn, pair_hash(&p->local, &p->remote)) < 0)
			goto nomem;
		new_pair = true;
	}
	if (req->ike_sa_id != 0 && k == NULL) {
		k = calloc(1, sizeof(*k));
		if (k == NULL)
			goto nomem;
		k->id = req->ike_sa_id;
		k->spu = s;
		if (hmap_insert(&a->ikes, &k->hn, hmap_mix(k->id ^ 0x5a5a5a5aULL)) < 0)
			goto nomem;
		new_ike = true;
	}
	if (req->dynamic) {
		p = NULL;
		if (req->local.family != 0 && req->remote.family != 0) {
			t->dyn_local = req->local;
			t->dyn_remote = req->remote;
		}
	}
	t->id = req->tunnel_id;
	t->spu = s;
	t->pair = p;
	t->ike = k;
	if (hmap_insert(&a->tun, &t->hn, hmap_mix(t->id)) < 0)
		goto nomem;
	if (p != NULL) {
		/* A pair whose last tunnel left keeps no SPU unless pinned. */
		if (p->tunnels == 0 && !p->pinned)
			p->spu = s;
		p->tunnels++;
	}
	if (k != NULL)
		k->tunnels++;
	a->tunnels[s]++;
	*spu = s;
	return 0;
nomem:
	if (new_ike) {
		hmap_remove(&a->ikes, &k->hn);
		free(k);
	} else if (req->ike_sa_id != 0 && k != NULL && !new_ike && t->ike == NULL) {
		/* existing IKE SA: nothing to undo */
	}
	if (new_pair) {
		hmap_remove(&a->pairs, &p->hn);
		free(p);
	}
	free(t);
	return -ENOMEM;
}

int
anchor_remove(struct anchor *a, uint32_t tunnel_id)
{
	struct atun *t = tun_find(a, tunnel_id);

	if (t == NULL)
		return -ENOENT;
	hmap_remove(&a->tun, &t->hn);
	a->tunnels[t->spu]--;
	pair_unref(a, t->pair);
	ike_unref(a, t->ike);
	free(t);
	return 0;
}

int
anchor_lookup(const struct anchor *a, uint32_t tunnel_id, uint32_t *spu)
{
	const struct atun *t = tun_find(a, tunnel_id);

	if (t == NULL)
		return -ENOENT;
	*spu = t->spu;
	return 0;
}

struct move_ctx {
	struct anchor *a;
	struct gwpair *p; /* NULL: the pair has no record */
	const struct dp_addr *local, *remote;
	bool dry; /* only report what would move */
	uint32_t to;
	uint32_t moved;
	void (*cb)(void *arg, uint32_t tunnel_id, uint32_t from, uint32_t to);
	void *arg;
};

static void
move_one(struct hnode *n, void *arg)
{
	struct move_ctx *m = arg;
	struct atun *t = hmap_entry(n, struct atun, hn);
	uint32_t from = t->spu;

	if (from == m->to)
		return;
	/* the pair's site-to-site tunnels, and its dial-up tunnels by address */
	if (t->pair != NULL ? t->pair != m->p || m->p == NULL
	                    : t->dyn_local.family == 0 || !dp_addr_eq(&t->dyn_local, m->local) ||
	                          !dp_addr_eq(&t->dyn_remote, m->remote))
		return;
	if (!m->dry) {
		m->a->tunnels[from]--;
		m->a->tunnels[m->to]++;
		t->spu = m->to;
		/* CHILD SAs of one IKE SA stay together: the IKE SA follows. */
		if (t->ike != NULL)
			t->ike->spu = m->to;
	}
	m->moved++;
	if (m->cb != NULL)
		m->cb(m->arg, t->id, from, m->to);
}

/* Moves (or with dry, only lists) the tunnels of gateway pair p to spu;
 * *n (if not NULL) gets how many. */
static void
walk_gateway(struct anchor *a, struct gwpair *p, const struct dp_addr *local,
    const struct dp_addr *remote, uint32_t spu, bool dry,
    void (*cb)(void *arg, uint32_t tunnel_id, uint32_t from, uint32_t to), void *arg, uint32_t *n)
{
	struct move_ctx m;

	memset(&m, 0, sizeof(m));
	m.a = a;
	m.p = p;
	m.local = local;
	m.remote = remote;
	m.dry = dry;
	m.to = spu;
	m.cb = cb;
	m.arg = arg;
	hmap_walk(&a->tun, move_one, &m);
	if (n != NULL)
		*n = m.moved;
}

int
anchor_move_gateway(struct anchor *a, const struct dp_addr *local, const struct dp_addr *remote,
    uint32_t spu, void (*cb)(void *arg, uint32_t tunnel_id, uint32_t from, uint32_t to), void *arg,
    uint32_t *moved)
{
	struct gwpair *p;

	if (moved != NULL)
		*moved = 0;
	if (spu != DP_SPU_ANY && spu >= a->nspu)
		return -EINVAL;
	if (local->family == 0 || remote->family == 0)
		return -EINVAL;
	p = pair_find(a, local, remote);
	if (spu == DP_SPU_ANY) {
		if (p != NULL && p->pinned) {
			p->pinned = false;
			if (p->tunnels == 0) {
				hmap_remove(&a->pairs, &p->hn);
				free(p);
			}
		}
		return 0;
	}
	if (p == NULL && (p = pair_new(a, local, remote, spu)) == NULL)
		return -ENOMEM;
	p->pinned = true;
	p->spu = spu;
	walk_gateway(a, p, local, remote, spu, false, cb, arg, moved);
	return 0;
}

int
anchor_pin(const struct anchor *a, const struct dp_addr *local, const struct dp_addr *remote,
    uint32_t *spu)
{
	const struct gwpair *p = pair_find(a, local, remote);

	if (p == NULL || !p->pinned)
		return -ENOENT;
	*spu = p->spu;
	return 0;
}

int
anchor_gateway_tunnels(struct anchor *a, const struct dp_addr *local, const struct dp_addr *remote,
    uint32_t spu, void (*cb)(void *arg, uint32_t tunnel_id, uint32_t from, uint32_t to), void *arg,
    uint32_t *n)
{
	if (n != NULL)
		*n = 0;
	if (spu != DP_SPU_ANY && spu >= a->nspu)
		return -EINVAL;
	if (local->family == 0 || remote->family == 0)
		return -EINVAL;
	if (spu == DP_SPU_ANY)
		return 0;
	walk_gateway(a, pair_find(a, local, remote), local, remote, spu, true, cb, arg, n);
	return 0;
}

uint32_t
anchor_spu_count(const struct anchor *a)
{
	return a->nspu;
}

uint32_t
anchor_spu_tunnels(const struct anchor *a, uint32_t spu)
{
	return spu < a->nspu ? a->tunnels[spu] : 0;
}

uint32_t
anchor_spu_flow_threads(const struct anchor *a, uint32_t spu)
{
	return spu < a->nspu ? a->flow[spu] : 0;
}
