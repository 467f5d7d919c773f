/* SPDX-License-Identifier: MIT */
/*
 * ike_tunnel: a VPN's tunnel (one CHILD SA binding: a tunnel id, its st0
 * unit, its traffic selectors): its dataplane object, its event history,
 * bringing it up as initiator and retrying with back-off, and dropping a
 * duplicate CHILD SA by the nonce rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike_int.h"
#include "log.h"

#include "banned.h"

void
ike_tunnel_retry_fire(struct ike_timer *tm, void *arg)
{
	struct ike_tunnel *t = arg;

	(void)tm;
	if (t->want_up && ike_tunnel_n_up(t) == 0)
		ike_tunnel_establish(t);
}

struct ike_tunnel *
ike_tunnel_new(struct ike_vpn *vpn, unsigned ts_idx, struct ike_sa *peer)
{
	struct ike_engine *e = vpn->e;
	struct ike_tunnel *t = calloc(1, sizeof(*t));

	if (!t) {
		log_warnx(LOG_IKE, "vpn %s: out of memory for a tunnel", vpn->conf.name);
		return NULL;
	}
	t->e = e;
	t->id = e->next_tunnel_id++;
	t->vpn = vpn;
	t->ts_idx = ts_idx;
	ike_list_init(&t->children);
	ike_list_init(&t->pend_link);
	ike_list_init(&t->peer_link);
	ike_timer_init(&t->t_retry, IKE_TM_TUNNEL_RETRY);
	ike_list_add_tail(&vpn->tunnels, &t->vpn_link);
	ike_htab_add(&e->tun_by_id, &t->by_id, t->id);
	if (peer) {
		t->peer_sa = peer;
		ike_list_add_tail(&peer->peer_tunnels, &t->peer_link);
	}
	return t;
}

void
ike_tunnel_free(struct ike_tunnel *t)
{
	struct ike_engine *e;

	if (!t)
		return;
	e = t->e;
	ike_disarm(e, &t->t_retry);
	ike_list_del(&t->pend_link);
	ike_list_del(&t->peer_link);
	ike_list_del(&t->vpn_link);
	ike_htab_del(&e->tun_by_id, &t->by_id);
	if (t->dp_set)
		ike_dp_tunnel_del(&e->dp, t->id);
	free(t->hist);
	free(t);
}

struct ike_tunnel *
ike_tunnel_by_id(const struct ike_engine *e, uint32_t id)
{
	struct ike_hnode *n = ike_htab_find(&e->tun_by_id, id);

	return n ? ike_container_of(n, struct ike_tunnel, by_id) : NULL;
}

const struct ike_vpn_ts *
ike_tunnel_ts(const struct ike_tunnel *t)
{
	return &t->vpn->conf.ts[t->ts_idx];
}

void
ike_tunnel_event(struct ike_tunnel *t, enum ike_event ev)
{
	struct ike_event_rec r = { .time = ike_wall(t->e), .ev = ev, .count = 1 };
	unsigned k;

	if (ev == IKE_EV_NONE)
		return;
	/*
	 * Distinct events, newest first, as Junos keeps them: an event seen
	 * before moves to the front with its count (rekeys alternating with
	 * other events would otherwise push everything else out). The array
	 * grows by need (most tunnels see two or three kinds of event).
	 */
	for (k = 0; k < t->hist_n && t->hist[k].ev != ev; k++)
		;
	if (k < t->hist_n) {
		r.count = t->hist[k].count + 1;
	} else if (t->hist_n < IKE_HIST_LEN) {
		if (t->hist_n == t->hist_cap) {
			unsigned cap = t->hist_cap ? 2u * t->hist_cap : 4;
			struct ike_event_rec *h;

			if (cap > IKE_HIST_LEN)
				cap = IKE_HIST_LEN;
			h = realloc(t->hist, cap * sizeof(*h));
			if (h != NULL) {
				t->hist = h;
				t->hist_cap = (uint8_t)cap;
			}
		}
		/* out of memory: the oldest gives way (none kept if none yet) */
		k = t->hist_n < t->hist_cap ? t->hist_n++ : t->hist_n - 1u;
	} else {
		k = t->hist_n - 1u; /* full: the oldest goes */
	}
	if (t->hist_n > 0) {
		memmove(&t->hist[1], &t->hist[0], k * sizeof(t->hist[0]));
		t->hist[0] = r;
	}
	ike_emit(t->e, ev, t, NULL);
}

int
ike_tunnel_dp_set(struct ike_tunnel *t, struct ike_sa *sa)
{
	const struct ike_vpn_ts *ts = ike_tunnel_ts(t);
	const struct ike_gw *gw = t->vpn->gw;
	struct ike_dp_tunnel d;
	struct errbuf err = { .msg = "" };
	uint32_t spu;
	int rc;

	memset(&d, 0, sizeof(d));
	d.id = t->id;
	d.unit = t->vpn->conf.unit;
	d.spu = IKE_SPU_ANY;
	if (sa) {
		d.local_gw = sa->local.addr;
		d.remote_gw = sa->remote.addr;
		d.anchor_id = sa->anchor_id;
	} else {
		d.local_gw = gw->conf.local;
		if (gw->conf.n_remote)
			d.remote_gw = gw->conf.remote[gw->addr_idx % gw->conf.n_remote];
	}
	d.dynamic = gw->conf.dynamic;
	d.n_local = ts->n_local;
	d.n_remote = ts->n_remote;
	d.local = ts->local;
	d.remote = ts->remote;
	{
		/* What was negotiated wins over what is configured: a responder
		 * narrows (RFC 7296 2.9), and the dial-up peers of one VPN share
		 * its configured selectors but each has its own. */
		const struct ike_child *ch, *newest = NULL;

		ike_list_foreach(ch, it, &t->children, struct ike_child, tun_link)
		{
			if (ch->ts && ch->n_tsl && ch->n_tsr)
				newest = ch;
		}
		if (newest) {
			d.n_local = newest->n_tsl;
			d.local = newest->ts;
			d.n_remote = newest->n_tsr;
			d.remote = newest->ts + newest->n_tsl;
		}
	}
	d.on_traffic = t->vpn->conf.establish == IKE_EST_ON_TRAFFIC && !t->peer_sa;
	d.nexthop = t->vpn->conf.nexthop;
	errbuf_clear(&err);
	rc = ike_dp_tunnel_set(&t->e->dp, &d, &spu, &err);
	if (rc < 0) {
		log_warnx(LOG_IKE, "tunnel %u: dataplane: %s", t->id, err.msg);
		return rc;
	}
	t->dp_set = true;
	t->dp_spu = spu;
	/* the dataplane files the tunnel under a pair only when both
	 * addresses are known (anchor.h), and keeps it there until given
	 * another such pair */
	if (ike_addr_is_set(&d.local_gw) && ike_addr_is_set(&d.remote_gw)) {
		t->dp_local = d.local_gw;
		t->dp_remote = d.remote_gw;
	}
	if (sa)
		sa->spu = spu;
	return 0;
}

bool
ike_tunnel_ts_narrowed(const struct ike_tunnel *t, const struct ike_child *ch)
{
	const struct ike_vpn_ts *ts = ike_tunnel_ts(t);
	unsigned i;

	if (!ch->ts || !ch->n_tsl || !ch->n_tsr)
		return false;
	if (ch->n_tsl != ts->n_local || ch->n_tsr != ts->n_remote)
		return true;
	for (i = 0; i < ch->n_tsl; i++)
		if (!ike_ts_eq(&ch->ts[i], &ts->local[i]))
			return true;
	for (i = 0; i < ch->n_tsr; i++)
		if (!ike_ts_eq(&ch->ts[ch->n_tsl + i], &ts->remote[i]))
			return true;
	return false;
}

unsigned
ike_tunnel_n_up(const struct ike_tunnel *t)
{
	struct ike_child *ch;
	unsigned n = 0;

	ike_list_foreach(ch, it, &t->children, struct ike_child,
	    tun_link) if (ch->st == CH_UP || ch->st == CH_REKEYING) n++;
	return n;
}

/* The IKE SA a new CHILD SA of this tunnel should ride on, if any. */
static struct ike_sa *
usable_sa(struct ike_gw *gw)
{
	struct ike_sa *sa, *best = NULL;

	ike_list_foreach(sa, it, &gw->sas, struct ike_sa, gw_link)
	{
		if (sa->redundant)
			continue;
		if (sa->st == SA_UP && !sa->rekey_peer)
			return sa;
		if ((sa->st == SA_INIT_I || sa->st == SA_AUTH_I) && !best)
			best = sa;
	}
	return best;
}

void
ike_tunnel_establish(struct ike_tunnel *t)
{
	struct ike_vpn *v = t->vpn;
	struct ike_gw *gw = v->gw;
	struct ike_sa *sa;

	if (gw->conf.dynamic || t->peer_sa)
		return; /* dial-up gateways only respond */
	if (v->conf.establish == IKE_EST_RESPONDER_ONLY ||
	    v->conf.establish == IKE_EST_RESPONDER_ONLY_NO_REKEY)
		return;
	if (t->negotiating || ike_tunnel_n_up(t) > 0)
		return;
	ike_disarm(t->e, &t->t_retry);
	if (!t->dp_set)
		ike_tunnel_dp_set(t, NULL);
	sa = usable_sa(gw);
	if (!sa && t->e->n_initiating >= t->e->o.max_initiating) {
		/* no initiation slot: wait for one (ike_leave hands them out) */
		t->negotiating = true;
		t->queued = true;
		ike_list_del(&t->pend_link);
		ike_list_add_tail(&t->e->init_wait, &t->pend_link);
		return;
	}
	if (!sa)
		sa = ike_sa_initiate(gw);
	if (!sa) {
		ike_tunnel_failed(t, IKE_EV_NO_RESPONSE);
		return;
	}
	t->negotiating = true;
	t->nego++;
	if (sa->st == SA_UP) {
		ike_child_request(sa, t);
	} else {
		ike_list_del(&t->pend_link);
		ike_list_add_tail(&sa->pending, &t->pend_link);
	}
}

void
ike_tunnel_child_up(struct ike_tunnel *t, struct ike_child *ch)
{
	struct ike_engine *e = t->e;

	if (!t->dp_set)
		ike_tunnel_dp_set(t, ch->sa);
	t->negotiating = false;
	t->retry_s = 0;
	ike_disarm(e, &t->t_retry);
}

static void
schedule_retry(struct ike_tunnel *t, bool backoff)
{
	struct ike_engine *e = t->e;
	uint32_t s;

	if (!t->want_up || t->peer_sa || t->vpn->gw->conf.dynamic)
		return;
	if (!backoff) {
		s = 0;
	} else {
		s = t->retry_s ? t->retry_s * 2 : e->o.retry_base_s;
		if (s > e->o.retry_max_s)
			s = e->o.retry_max_s;
		t->retry_s = s;
	}
	ike_arm_in(e, &t->t_retry, (uint64_t)s * 1000);
}

void
ike_tunnel_child_gone(struct ike_tunnel *t, struct ike_child *ch, enum ike_event reason)
{
	bool was_up = ch->st == CH_UP || ch->st == CH_REKEYING;

	ike_list_del(&ch->tun_link);
	if (reason != IKE_EV_NONE)
		ike_tunnel_event(t, reason);
	if (ike_tunnel_n_up(t) > 0 || !ike_list_empty(&t->children))
		return;
	if (was_up && reason != IKE_EV_NONE) {
		t->down_reason = reason;
		t->down_count++;
	}
	if (t->negotiating)
		return;
	if (t->vpn->conf.establish != IKE_EST_IMMEDIATELY) {
		/* on-traffic: the next packet (the dataplane's acquire) brings
		 * it back, not a retry timer */
		t->want_up = false;
		return;
	}
	switch (reason) {
	case IKE_EV_DPD_DOWN:
	case IKE_EV_NO_RESPONSE:
	case IKE_EV_PEER_DELETE_CHILD:
	case IKE_EV_PEER_DELETE_IKE:
	case IKE_EV_PEER_RESTARTED:
	case IKE_EV_DP_ERROR:
		schedule_retry(t, true);
		break;
	case IKE_EV_CONFIG_CHANGED:
	case IKE_EV_IDLE:
		break; /* the commit, or traffic, brings it back */
	default:
		schedule_retry(t, false);
		break;
	}
}

void
ike_tunnel_failed(struct ike_tunnel *t, enum ike_event reason)
{
	t->negotiating = false;
	t->queued = false;
	t->fail++;
	ike_list_del(&t->pend_link);
	if (reason != IKE_EV_NONE) {
		ike_tunnel_event(t, reason);
		if (ike_tunnel_n_up(t) == 0) {
			t->down_reason = reason;
			t->down_count++;
		}
	}
	if (ike_tunnel_n_up(t) == 0)
		schedule_retry(t, true);
}

void
ike_tunnel_refused(struct ike_tunnel *t, enum ike_event reason)
{
	t->fail++;
	ike_tunnel_event(t, reason);
	if (ike_tunnel_n_up(t) == 0) {
		t->down_reason = reason;
		t->down_count++;
	}
}

void
ike_gw_refused(struct ike_gw *gw, enum ike_event reason)
{
	struct ike_vpn *v;

	ike_list_foreach(v, it, &gw->vpns, struct ike_vpn, gw_link)
	{
		struct ike_tunnel *t;

		ike_list_foreach(t, it2, &v->tunnels, struct ike_tunnel, vpn_link)
		{
			if (!t->peer_sa)
				ike_tunnel_refused(t, reason);
		}
	}
}

static bool
related(const struct ike_child *a, const struct ike_child *b)
{
	return a->rekey_of == b || b->rekey_of == a || a->rekey_own == b || a->rekey_peer == b ||
	       b->rekey_own == a || b->rekey_peer == a;
}

void
ike_tunnel_dedup(struct ike_tunnel *t)
{
	struct ike_child *a, *b, *lose = NULL;

	/* RFC 7296 2.8.1 applied to duplicates: of two CHILD SAs serving the
	 * same selectors, the one with the lowest nonce goes, closed by the
	 * side that created it. Rekey pairs are handled by their own rules. */
	ike_list_foreach(a, it, &t->children, struct ike_child, tun_link)
	{
		if ((a->st != CH_UP && a->st != CH_REKEYING) || a->redundant || a->sa->redundant)
			continue;
		ike_list_foreach(b, it2, &t->children, struct ike_child, tun_link)
		{
			if (b == a || (b->st != CH_UP && b->st != CH_REKEYING) || b->redundant ||
			    b->sa->redundant || related(a, b) || a->rekey_of || b->rekey_of)
				continue;
			lose = ike_nkey_cmp(&a->nkey, &b->nkey) < 0 ? a : b;
			goto found;
		}
	}
	return;
found:
	ike_child_redundant(lose);
}
