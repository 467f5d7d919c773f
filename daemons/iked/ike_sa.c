/* SPDX-License-Identifier: MIT */
/*
 * ike_sa: the IKE SA: creation, establishment, lifetimes (soft rekey with
 * jitter, hard expiry), DPD, NAT keepalives, half-open expiry, graceful
 * and immediate teardown, IKE SA rekeying with the collision rules of RFC
 * 7296 2.8.2 and 2.25.2, and removal of duplicate IKE SAs by the same
 * lowest-nonce rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike_int.h"
#include "log.h"
#include "rd.h"
#include "xmem.h"

#include "banned.h"

struct ike_sa *
ike_sa_new(struct ike_engine *e, bool initiator)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));
	uint64_t spi;

	if (!sa)
		return NULL;
	sa->e = e;
	sa->initiator = initiator;
	ike_list_init(&sa->gw_link);
	ike_list_init(&sa->reap_link);
	ike_list_init(&sa->children);
	ike_list_init(&sa->pending);
	ike_list_init(&sa->peer_tunnels);
	ike_xchg_init_sa(sa);
	ike_timer_init(&sa->t_rekey, IKE_TM_SA_REKEY);
	ike_timer_init(&sa->t_expire, IKE_TM_SA_EXPIRE);
	ike_timer_init(&sa->t_dpd, IKE_TM_SA_DPD);
	ike_timer_init(&sa->t_keepalive, IKE_TM_SA_KEEPALIVE);
	ike_timer_init(&sa->t_halfopen, IKE_TM_SA_HALFOPEN);
	ike_timer_init(&sa->t_grace, IKE_TM_SA_GRACE);
	/* Our SPI: random, non-zero, unique here (RFC 7296 2.6). */
	do {
		ike_random(e, &spi, sizeof(spi));
	} while (spi == 0 || ike_htab_find(&e->sa_by_spi, spi));
	if (initiator)
		sa->spi_i = spi;
	else
		sa->spi_r = spi;
	ike_htab_add(&e->sa_by_spi, &sa->by_spi, spi);
	sa->index = e->next_sa_index++;
	if (e->next_sa_index == 0)
		e->next_sa_index = 1;
	ike_htab_add(&e->sa_by_index, &sa->by_index, sa->index);
	ike_list_add_tail(&e->sas, &sa->link);
	sa->created_ms = sa->last_rx_ms = ike_now(e);
	sa->spu = UINT32_MAX;
	sa->anchor_id = sa->index;
	e->st.ike_sas++;
	return sa;
}

struct ike_sa *
ike_sa_by_index(const struct ike_engine *e, uint32_t index)
{
	struct ike_hnode *n;

	for (n = ike_htab_find(&e->sa_by_index, index); n; n = ike_htab_next(n)) {
		struct ike_sa *sa = ike_container_of(n, struct ike_sa, by_index);

		if (sa->st != SA_DEAD)
			return sa;
	}
	return NULL;
}

void
ike_sa_set_gw(struct ike_sa *sa, struct ike_gw *gw)
{
	ike_list_del(&sa->gw_link);
	sa->gw = gw;
	if (gw)
		ike_list_add_tail(&gw->sas, &sa->gw_link);
}

bool
ike_sa_is_alive(const struct ike_sa *sa)
{
	return sa && (sa->st == SA_UP || sa->st == SA_REKEYED);
}

struct ike_sa *
ike_sa_initiate(struct ike_gw *gw)
{
	struct ike_engine *e = gw->e;
	struct ike_sa *sa;
	struct ike_task *t;

	if (gw->conf.dynamic || gw->conf.n_remote == 0 || gw->conf.n_ike_props == 0)
		return NULL;
	sa = ike_sa_new(e, true);
	t = ike_task_new(T_INIT);
	if (!sa || !t || !(sa->hs = calloc(1, sizeof(*sa->hs)))) {
		ike_task_free(t);
		if (sa)
			ike_sa_kill(sa, IKE_EV_NONE);
		return NULL;
	}
	ike_sa_set_gw(sa, gw);
	sa->local.addr = gw->conf.local;
	sa->local.port = e->o.ike_port;
	/* One primary and up to four backups, tried in turn (reference §1.3). */
	sa->remote.addr = gw->conf.remote[gw->addr_idx % gw->conf.n_remote];
	sa->remote.port = e->o.ike_port;
	sa->st = SA_INIT_I;
	sa->init_counted = true;
	e->n_initiating++;
	t->dh_group = gw->conf.ike_props[0].dh;
	ike_xchg_queue(sa, t);
	return sa;
}

static void
hs_free(struct ike_sa *sa)
{
	struct ike_hs *hs = sa->hs;

	if (!hs)
		return;
	ike_dh_free(hs->dh);
	free(hs->msg_i);
	free(hs->msg_r);
	xmem_free(hs, sizeof(*hs));
	sa->hs = NULL;
}

void
ike_sa_hs_done(struct ike_sa *sa)
{
	hs_free(sa);
	/* The AUTH keys are no longer needed either. */
	ike_keys_drop_auth(&sa->keys);
}

void
ike_sa_install_nkey(struct ike_sa *sa, const uint8_t *ni, size_t nil, const uint8_t *nr, size_t nrl)
{
	ike_nkey_set(&sa->nkey, ni, nil, nr, nrl);
}

void
ike_sa_start_timers(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	struct ike_gw *gw = sa->gw;

	ike_disarm(e, &sa->t_dpd);
	ike_disarm(e, &sa->t_keepalive);
	if (!gw)
		return;
	if (gw->conf.dpd_mode != IKE_DPD_OFF && gw->conf.dpd_interval)
		ike_arm_in(e, &sa->t_dpd, (uint64_t)gw->conf.dpd_interval * 1000);
	/* RFC 3948 2.3: keepalives from behind a NAT. */
	if (sa->nat_local && sa->natt && gw->conf.nat_keepalive)
		ike_arm_in(e, &sa->t_keepalive, (uint64_t)gw->conf.nat_keepalive * 1000);
}

static void
lifetimes_arm(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	uint64_t now = ike_now(e);

	if (!sa->lifetime_s)
		sa->lifetime_s = 28800;
	sa->rekey_ms = now + ike_soft_ms(e, sa->lifetime_s);
	sa->expire_ms = now + ike_life_ms(e, (uint64_t)sa->lifetime_s * 1000);
	ike_arm(e, &sa->t_rekey, sa->rekey_ms);
	ike_arm(e, &sa->t_expire, sa->expire_ms);
}

void
ike_sa_init_done(struct ike_sa *sa)
{
	if (!sa->init_counted)
		return;
	sa->init_counted = false;
	sa->e->n_initiating--;
}

static void
halfopen_done(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;

	if (!sa->half_open_counted)
		return;
	sa->half_open_counted = false;
	e->half_open--;
	ike_disarm(e, &sa->t_halfopen);
}

uint64_t
ike_sa_peer_key(const struct ike_gw *gw, const struct ike_id *id)
{
	uint64_t h = 0xcbf29ce484222325ull ^ gw->id;
	unsigned i;

	h = (h ^ id->type) * 0x100000001b3ull;
	for (i = 0; i < id->len; i++) {
		uint8_t c = id->data[i];

		if (id->type == IKE_ID_FQDN || id->type == IKE_ID_RFC822_ADDR)
			c = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		h = (h ^ c) * 0x100000001b3ull;
	}
	return h;
}

static void
index_peer(struct ike_sa *sa)
{
	struct ike_id rid;

	if (sa->gw && sa->gw->conf.dynamic && sa->remote_id != NULL) {
		ike_idh_get(sa->remote_id, &rid);
		ike_htab_add(&sa->e->sa_by_peer, &sa->by_peer, ike_sa_peer_key(sa->gw, &rid));
	}
}

void
ike_sa_established(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	struct ike_gw *gw = sa->gw;
	struct ike_tunnel *t;

	sa->st = SA_UP;
	sa->up_ms = ike_now(e);
	halfopen_done(sa);
	ike_sa_init_done(sa);
	e->st.ike_sas_up++;
	index_peer(sa);
	if (gw && gw->conf.dynamic) {
		sa->peer_counted = true;
		gw->n_peers++;
	}
	lifetimes_arm(sa);
	ike_sa_start_timers(sa);
	ike_emit(e, IKE_EV_IKE_UP, NULL, sa);
	/* Tunnels that waited for this SA get their CHILD SAs now. */
	while (!ike_list_empty(&sa->pending)) {
		t = ike_container_of(sa->pending.next, struct ike_tunnel, pend_link);
		ike_list_del(&t->pend_link);
		ike_child_request(sa, t);
	}
}

static void
unlink_rekey(struct ike_sa *sa)
{
	if (sa->rekey_of) {
		if (sa->rekey_of->rekey_own == sa)
			sa->rekey_of->rekey_own = NULL;
		if (sa->rekey_of->rekey_peer == sa)
			sa->rekey_of->rekey_peer = NULL;
		sa->rekey_of = NULL;
	}
	if (sa->rekey_own && sa->rekey_own->rekey_of == sa)
		sa->rekey_own->rekey_of = NULL;
	if (sa->rekey_peer && sa->rekey_peer->rekey_of == sa)
		sa->rekey_peer->rekey_of = NULL;
	sa->rekey_own = sa->rekey_peer = NULL;
}

void
ike_sa_kill(struct ike_sa *sa, enum ike_event reason)
{
	struct ike_engine *e = sa->e;
	enum ike_sa_st prev = sa->st;
	struct ike_child *ch;
	struct ike_tunnel *t;

	if (sa->st == SA_DEAD)
		return;
	sa->st = SA_DEAD;
	if (reason != IKE_EV_NONE)
		sa->down_reason = reason;
	ike_xchg_abort(sa);
	ike_list_foreach(ch, it, &sa->children, struct ike_child, sa_link)
	    ike_child_remove(ch, reason);
	while (!ike_list_empty(&sa->pending)) {
		t = ike_container_of(sa->pending.next, struct ike_tunnel, pend_link);
		ike_list_del(&t->pend_link);
		ike_tunnel_failed(t, reason);
	}
	ike_list_foreach(t, it2, &sa->peer_tunnels, struct ike_tunnel, peer_link)
	    ike_tunnel_free(t);
	halfopen_done(sa);
	ike_sa_init_done(sa);
	unlink_rekey(sa);
	ike_htab_del(&e->sa_by_spi, &sa->by_spi);
	ike_htab_del(&e->sa_by_index, &sa->by_index);
	ike_htab_del(&e->sa_by_peer, &sa->by_peer);
	ike_htab_del(&e->sa_half, &sa->by_half);
	ike_disarm(e, &sa->t_rtx);
	ike_disarm(e, &sa->t_rekey);
	ike_disarm(e, &sa->t_expire);
	ike_disarm(e, &sa->t_dpd);
	ike_disarm(e, &sa->t_keepalive);
	ike_disarm(e, &sa->t_grace);
	if (sa->gw) {
		struct ike_gw *gw = sa->gw;

		if (sa->peer_counted) {
			sa->peer_counted = false;
			if (gw->n_peers)
				gw->n_peers--;
		}
		if (prev == SA_INIT_I && reason == IKE_EV_NO_RESPONSE)
			gw->addr_idx++; /* the next try goes to the next address */
		ike_list_del(&sa->gw_link);
	}
	if (prev == SA_UP && e->st.ike_sas_up)
		e->st.ike_sas_up--;
	if (reason != IKE_EV_NONE)
		ike_emit(e, reason, NULL, sa);
	ike_list_del(&sa->link);
	ike_list_add_tail(&e->reap, &sa->reap_link);
	if (e->st.ike_sas)
		e->st.ike_sas--;
}

void
ike_sa_free(struct ike_sa *sa)
{
	if (!sa)
		return;
	hs_free(sa);
	free(sa->resp);
	ike_idh_free(&sa->local_id);
	ike_idh_free(&sa->remote_id);
	ike_keys_wipe(&sa->keys);
	xmem_free(sa, sizeof(*sa));
}

/* Queues our DELETE of the whole IKE SA ahead of anything not yet sent. */
static void
queue_delete(struct ike_sa *sa, enum ike_event reason)
{
	struct ike_task *t;

	while (!ike_list_empty(&sa->tasks)) {
		struct ike_task *q = ike_container_of(sa->tasks.next, struct ike_task, link);

		ike_list_del(&q->link);
		if (q->kind == T_CHILD_NEW || q->kind == T_CHILD_REKEY)
			ike_child_task_abort(sa, q);
		else if (q->kind == T_IKE_REKEY)
			ike_sa_rekey_abort(sa, q);
		ike_task_free(q);
	}
	t = ike_task_new(T_DEL_IKE);
	if (!t) {
		ike_sa_kill(sa, reason);
		return;
	}
	t->reason = reason;
	ike_xchg_queue(sa, t);
}

void
ike_sa_delete(struct ike_sa *sa, enum ike_event reason)
{
	struct ike_child *ch;
	struct ike_tunnel *t;

	if (sa->st == SA_DEAD || sa->st == SA_DELETING)
		return;
	if (sa->st != SA_UP && sa->st != SA_REKEYED) {
		ike_sa_kill(sa, reason);
		return;
	}
	if (reason != IKE_EV_NONE)
		sa->down_reason = reason;
	/* RFC 7296 1.4.1: deleting an IKE SA deletes its CHILD SAs. */
	ike_list_foreach(ch, it, &sa->children, struct ike_child, sa_link)
	    ike_child_remove(ch, reason);
	while (!ike_list_empty(&sa->pending)) {
		t = ike_container_of(sa->pending.next, struct ike_tunnel, pend_link);
		ike_list_del(&t->pend_link);
		ike_tunnel_failed(t, IKE_EV_NONE);
	}
	if (sa->st == SA_UP && sa->e->st.ike_sas_up)
		sa->e->st.ike_sas_up--;
	sa->st = SA_DELETING;
	ike_disarm(sa->e, &sa->t_rekey);
	ike_disarm(sa->e, &sa->t_dpd);
	ike_disarm(sa->e, &sa->t_keepalive);
	queue_delete(sa, reason);
}

/* ch is the first live CHILD SA of its tunnel on either SA (a tunnel holds
 * two while a rekey retires the old one): its tunnel's event, once. */
static bool
first_of_tunnel(const struct ike_child *ch, const struct ike_sa *from, const struct ike_sa *to)
{
	const struct ike_child *c;

	ike_list_foreach(c, it, &ch->tun->children, struct ike_child, tun_link)
	{
		if ((c->sa == from || c->sa == to) && (c->st == CH_UP || c->st == CH_REKEYING))
			return c == ch;
	}
	return true;
}

void
ike_sa_move_children(struct ike_sa *from, struct ike_sa *to)
{
	struct ike_child *ch;
	struct ike_tunnel *t;
	struct ike_task *q;

	ike_list_foreach(ch, it, &from->children, struct ike_child, sa_link)
	{
		ike_list_del(&ch->sa_link);
		ike_list_add_tail(&to->children, &ch->sa_link);
		ch->sa = to;
		if (ch->tun && (ch->st == CH_UP || ch->st == CH_REKEYING) &&
		    first_of_tunnel(ch, from, to))
			ike_tunnel_event(ch->tun, IKE_EV_IKE_REKEYED);
	}
	ike_list_foreach(t, it2, &from->pending, struct ike_tunnel, pend_link)
	{
		ike_list_del(&t->pend_link);
		ike_list_add_tail(&to->pending, &t->pend_link);
	}
	ike_list_foreach(t, it3, &from->peer_tunnels, struct ike_tunnel, peer_link)
	{
		ike_list_del(&t->peer_link);
		ike_list_add_tail(&to->peer_tunnels, &t->peer_link);
		t->peer_sa = to;
	}
	/* CHILD SA exchanges not yet sent go out on the new SA. */
	ike_list_foreach(q, it4, &from->tasks, struct ike_task, link)
	{
		if (q->kind == T_CHILD_NEW || q->kind == T_CHILD_REKEY || q->kind == T_DEL_CHILD) {
			ike_list_del(&q->link);
			ike_list_add_tail(&to->tasks, &q->link);
		}
	}
	to->children_created += from->children_created;
	if (from->peer_counted) {
		to->peer_counted = true;
		from->peer_counted = false;
	}
	to->spu = from->spu;
	to->anchor_id = from->anchor_id;
	if (to->st == SA_UP)
		ike_xchg_kick(to);
}

void
ike_sa_note_rx(struct ike_sa *sa, const struct ike_dgram *d, bool authenticated)
{
	struct ike_engine *e = sa->e;

	sa->in_pkts++;
	sa->in_bytes += d->len;
	sa->last_rx_ms = ike_now(e);
	if (!authenticated)
		return;
	/* RFC 7296 2.23: follow the peer's NAT mapping, on authenticated input only. */
	if (d->local.port == e->o.natt_port && !sa->natt) {
		sa->natt = true;
		sa->local.port = d->local.port;
	}
	if (!ike_addr_is_set(&sa->local.addr))
		sa->local.addr = d->local.addr;
	if ((sa->nat_local || sa->nat_remote || sa->natt) && !ike_ep_eq(&sa->remote, &d->remote)) {
		struct ike_child *ch;

		log_info(LOG_IKE, "IKE SA %u: the peer's NAT mapping moved", sa->index);
		sa->remote = d->remote;
		ike_list_foreach(ch, it, &sa->children, struct ike_child, sa_link)
		    ike_child_remote_moved(ch);
	}
}

/* ---- timers -------------------------------------------------------------- */

void
ike_sa_rekey_fire(struct ike_timer *tm, void *arg)
{
	struct ike_sa *sa = arg;

	(void)tm;
	ike_sa_rekey(sa);
}

void
ike_sa_expire_fire(struct ike_timer *tm, void *arg)
{
	struct ike_sa *sa = arg;

	(void)tm;
	log_info(LOG_IKE, "IKE SA %u: hard lifetime expired", sa->index);
	ike_sa_delete(sa, IKE_EV_IKE_LIFETIME);
}

void
ike_sa_halfopen_fire(struct ike_timer *tm, void *arg)
{
	struct ike_sa *sa = arg;

	(void)tm;
	if (sa->st == SA_INIT_R)
		ike_sa_kill(sa, IKE_EV_NONE);
}

void
ike_sa_keepalive_fire(struct ike_timer *tm, void *arg)
{
	struct ike_sa *sa = arg;
	static const uint8_t ka = 0xff;

	(void)tm;
	if (sa->st != SA_UP || !sa->gw || !sa->nat_local)
		return;
	ike_send(sa->e, &sa->local, &sa->remote, IKE_DGRAM_KEEPALIVE, &ka, 1);
	ike_arm_in(sa->e, &sa->t_keepalive, (uint64_t)sa->gw->conf.nat_keepalive * 1000);
}

/*
 * Dead peer detection. optimized (RFC 3706): probe when we sent but did
 * not receive; probe-idle-tunnel: also when nothing moved; always-send:
 * every interval. Any IKE message from the peer counts as received.
 */
void
ike_sa_dpd_fire(struct ike_timer *tm, void *arg)
{
	struct ike_sa *sa = arg;
	struct ike_engine *e = sa->e;
	struct ike_gw *gw = sa->gw;
	uint64_t in = 0, out = 0, din, dout, ival;
	struct ike_child *ch;
	bool heard, probe;

	(void)tm;
	if (sa->st != SA_UP || !gw || gw->conf.dpd_mode == IKE_DPD_OFF)
		return;
	ival = (uint64_t)gw->conf.dpd_interval * 1000;
	ike_arm_in(e, &sa->t_dpd, ival);
	if (sa->req)
		return; /* the exchange in flight proves liveness or not */
	ike_list_foreach(ch, it, &sa->children, struct ike_child, sa_link)
	{
		struct ike_dp_stats s;

		if (ch->in_inst &&
		    ike_dp_sa_stats(&e->dp, ch->spi_in, true, &sa->local.addr, &s) == 0)
			in += s.packets;
		if (ch->out_inst &&
		    ike_dp_sa_stats(&e->dp, ch->spi_out, false, &sa->remote.addr, &s) == 0)
			out += s.packets;
	}
	din = in >= sa->dpd_in_pkts ? in - sa->dpd_in_pkts : in;
	dout = out >= sa->dpd_out_pkts ? out - sa->dpd_out_pkts : out;
	sa->dpd_in_pkts = in;
	sa->dpd_out_pkts = out;
	heard = sa->last_rx_ms + ival > ike_now(e) || din > 0;
	switch (gw->conf.dpd_mode) {
	case IKE_DPD_OPTIMIZED:
		probe = dout > 0 && !heard;
		break;
	case IKE_DPD_PROBE_IDLE_TUNNEL:
		probe = !heard;
		break;
	default:
		probe = true;
		break;
	}
	if (probe)
		ike_info_dpd(sa);
}

/* Another SA with the gateway, up and not itself redundant: what a
 * redundant SA duplicates (a collision's winner, a simultaneous start's
 * survivor). */
static bool
sa_has_twin(const struct ike_sa *sa)
{
	const struct ike_sa *o;

	if (!sa->gw)
		return true; /* no gateway any more: nothing to keep it for */
	ike_list_foreach(o, it, &sa->gw->sas, struct ike_sa, gw_link)
	{
		if (o != sa && o->st == SA_UP && !o->redundant)
			return true;
	}
	return false;
}

void
ike_sa_grace_fire(struct ike_timer *tm, void *arg)
{
	struct ike_sa *sa = arg;

	(void)tm;
	if (sa->st != SA_UP && sa->st != SA_REKEYED)
		return;
	if (sa->redundant) {
		if (!sa_has_twin(sa)) {
			/* The SA it duplicated is gone: not a duplicate any more. A
			 * peer reauthenticating make-before-break (RFC 7296 2.8.3)
			 * deletes its old SA and keeps the new one whatever the
			 * nonces say; deleting this one would take the only SA
			 * (and its tunnel) down. */
			log_info(
			    LOG_IKE, "IKE SA %u: the SA it duplicated is gone: kept", sa->index);
			sa->redundant = false;
			if (sa->rekey_ms && ike_now(sa->e) >= sa->rekey_ms)
				ike_sa_rekey(sa); /* skipped while it was redundant */
			return;
		}
		/* A loser its creator did not delete: we do. The creator may
		 * never have completed it (strongSwan drops its own rekey when
		 * our DELETE of the old SA arrives before our answer) and then
		 * cannot answer a DELETE on it: one DELETE goes out, and the SA
		 * is forgotten at once rather than retransmitted for a minute. */
		log_info(LOG_IKE, "IKE SA %u: redundant, its creator did not delete it: deleted",
		    sa->index);
		ike_sa_delete(sa, IKE_EV_NONE);
		ike_sa_kill(sa, IKE_EV_NONE);
		return;
	}
	if (sa->rekey_peer && sa->rekey_peer->st == SA_UP && !sa->rekey_peer->redundant) {
		/* The peer rekeyed this SA but its DELETE never came. */
		ike_sa_move_children(sa, sa->rekey_peer);
		sa->st = SA_REKEYED;
		queue_delete(sa, IKE_EV_NONE);
	}
}

/* ---- duplicates ---------------------------------------------------------- */

void
ike_sa_dedup(struct ike_sa *sa)
{
	struct ike_gw *gw = sa->gw;
	struct ike_sa *o, *lose = NULL;

	if (!gw || gw->conf.dynamic || sa->rekey_of)
		return;
	/*
	 * Our own IKE_SA_INIT toward this gateway that is still unanswered
	 * (the peer was not ready; it initiated since): the SA that came up
	 * serves its tunnels, and abandoning it keeps its retransmission from
	 * making a late duplicate that deletes working SAs.
	 */
	ike_list_foreach(o, it0, &gw->sas, struct ike_sa, gw_link)
	{
		struct ike_tunnel *t;

		if (o == sa || o->st != SA_INIT_I || !o->initiator || o->rekey_of || sa->redundant)
			continue;
		while (!ike_list_empty(&o->pending)) {
			t = ike_container_of(o->pending.next, struct ike_tunnel, pend_link);
			ike_list_del(&t->pend_link);
			t->negotiating = false;
			if (ike_tunnel_n_up(t) == 0)
				ike_tunnel_establish(t);
		}
		log_info(LOG_IKE, "IKE SA %u: unanswered, abandoned for IKE SA %u with gateway %s",
		    o->index, sa->index, gw->conf.name);
		ike_sa_kill(o, IKE_EV_NONE);
	}
	ike_list_foreach(o, it, &gw->sas, struct ike_sa, gw_link)
	{
		if (o == sa || o->st != SA_UP || o->redundant || o->rekey_of || o->rekey_own ||
		    o->rekey_peer || sa->rekey_own || sa->rekey_peer)
			continue;
		/* Both ends set up an SA at once: keep one, by the nonce rule. */
		lose = ike_nkey_cmp(&sa->nkey, &o->nkey) < 0 ? sa : o;
		break;
	}
	if (!lose)
		return;
	lose->redundant = true;
	log_info(LOG_IKE, "IKE SA %u: duplicate of another SA with gateway %s, %s", lose->index,
	    gw->conf.name, lose->initiator ? "deleting" : "waiting for the peer to delete it");
	if (lose->initiator)
		ike_sa_delete(lose, IKE_EV_NONE);
	else
		ike_arm_in(sa->e, &lose->t_grace, (uint64_t)sa->e->o.redundant_grace_s * 1000);
}

/* ---- IKE SA rekeying (RFC 7296 1.3.2, 2.18, 2.8.2) ------------------------ */

void
ike_sa_rekey(struct ike_sa *sa)
{
	struct ike_task *t;

	if (sa->st != SA_UP || sa->rekey_own || sa->rekey_peer || sa->redundant ||
	    ike_xchg_has(sa, T_IKE_REKEY))
		return;
	t = ike_task_new(T_IKE_REKEY);
	if (!t)
		return;
	t->dh_group = sa->suite.dh;
	ike_xchg_queue(sa, t);
}

static struct ike_sa *
rekey_child_sa(struct ike_sa *sa, bool initiator)
{
	struct ike_sa *n = ike_sa_new(sa->e, initiator);

	if (!n)
		return NULL;
	n->st = initiator ? SA_INIT_I : SA_INIT_R;
	n->local = sa->local;
	n->remote = sa->remote;
	n->natt = sa->natt;
	n->nat_local = sa->nat_local;
	n->nat_remote = sa->nat_remote;
	if (ike_idh_dup(&n->local_id, sa->local_id) < 0 ||
	    ike_idh_dup(&n->remote_id, sa->remote_id) < 0) {
		ike_sa_kill(n, IKE_EV_NONE);
		return NULL;
	}
	n->lifetime_s = sa->lifetime_s;
	n->spu = sa->spu;
	n->anchor_id = sa->anchor_id; /* its CHILD SAs stay where they are */
	n->rekey_of = sa;
	return n;
}

static void
rekey_up(struct ike_sa *n, struct ike_sa *old)
{
	struct ike_engine *e = n->e;

	n->st = SA_UP;
	n->up_ms = ike_now(e);
	n->have_keys = true;
	e->st.ike_sas_up++;
	ike_sa_set_gw(n, old->gw);
	index_peer(n);
	lifetimes_arm(n);
	ike_sa_start_timers(n);
}

int
ike_sa_rekey_build(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc)
{
	struct ike_engine *e = sa->e;
	struct ike_offer o;
	const uint8_t *pub;
	size_t pl;

	if (sa->st != SA_UP)
		return -ESTALE;
	if (!t->new_sa) {
		t->new_sa = rekey_child_sa(sa, true);
		if (!t->new_sa)
			return -ENOMEM;
		sa->rekey_own = t->new_sa;
	}
	if (!t->dh || ike_dh_group(t->dh) != t->dh_group) {
		ike_dh_free(t->dh);
		t->dh = ike_dh_new(e->c, t->dh_group);
		if (!t->dh)
			return -EIO;
	}
	t->nonce_len = (uint16_t)e->o.nonce_len;
	ike_random(e, t->nonce, t->nonce_len);
	memset(&o, 0, sizeof(o));
	o.num = 1;
	o.proto = IKE_PROTO_IKE;
	o.spi_len = 8;
	wr_be64(o.spi, t->new_sa->spi_i);
	o.s = sa->suite;
	o.s.dh = t->dh_group;
	ike_enc_sa(enc, &o, 1);
	ike_enc_nonce(enc, t->nonce, t->nonce_len);
	pub = ike_dh_public(t->dh, &pl);
	ike_enc_ke(enc, t->dh_group, pub, pl);
	return 0;
}

void
ike_sa_rekey_abort(struct ike_sa *sa, struct ike_task *t)
{
	struct ike_sa *n = t->new_sa;

	t->new_sa = NULL;
	if (sa->rekey_own == n)
		sa->rekey_own = NULL;
	if (n && n->st != SA_UP)
		ike_sa_kill(n, IKE_EV_NONE);
}

/* Derives the new SA's keys from the old SK_d (RFC 7296 2.18). */
static int
rekey_keys(struct ike_sa *old, struct ike_sa *n, struct ike_dh *dh, const uint8_t *peer_pub,
    size_t peer_len, const uint8_t *ni, size_t nil, const uint8_t *nr, size_t nrl)
{
	struct ike_engine *e = old->e;
	uint8_t gir[IKE_DH_SEC_MAX], seed[IKE_PRF_MAX];
	size_t gl;
	int rc;

	rc = ike_dh_derive(e->c, dh, peer_pub, peer_len, gir, sizeof(gir), &gl);
	if (rc == 0)
		rc = ike_skeyseed_rekey(e->c, old->suite.prf, ike_sk_d(&old->keys),
		    old->keys.prf_len, gir, gl, ni, nil, nr, nrl, seed);
	if (rc == 0)
		rc = ike_keys_derive(
		    e->c, &n->suite, seed, ni, nil, nr, nrl, n->spi_i, n->spi_r, &n->keys);
	explicit_bzero(gir, sizeof(gir));
	explicit_bzero(seed, sizeof(seed));
	if (rc == 0)
		ike_nkey_set(&n->nkey, ni, nil, nr, nrl);
	return rc;
}

static void
retry_rekey_later(struct ike_sa *sa, uint32_t lo_s, uint32_t span_s)
{
	struct ike_engine *e = sa->e;
	uint64_t at =
	    ike_now(e) + ike_life_ms(e, (uint64_t)lo_s * 1000 + ike_random_below(e, span_s * 1000));

	if (sa->st == SA_UP && at < sa->expire_ms)
		ike_arm(e, &sa->t_rekey, at);
}

enum ike_rsp
ike_sa_rekey_on_response(
    struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl, uint16_t err)
{
	struct ike_engine *e = sa->e;
	struct ike_sa *n = t->new_sa, *p;
	const struct ike_pld *psa = ike_plds_find(pl, IKE_PL_SA);
	const struct ike_pld *pno = ike_plds_find(pl, IKE_PL_NONCE);
	const struct ike_pld *pke = ike_plds_find(pl, IKE_PL_KE);
	struct ike_suite ours = sa->suite;
	struct ike_choice ch;
	struct ike_sa_pl sapl;
	struct ike_ke_pl ke;
	const uint8_t *nr;
	size_t nrl;

	if (!n || n->st == SA_DEAD || sa->st != SA_UP) {
		ike_sa_rekey_abort(sa, t);
		return RSP_DONE;
	}
	if (err == IKE_N_INVALID_KE_PAYLOAD && t->ke_retries < 2) {
		struct ike_notify_pl np;

		if (ike_plds_notify(pl, err, &np) && np.len == 2) {
			uint16_t g = (uint16_t)(np.data[0] << 8 | np.data[1]);

			if (ike_dh_pub_len(g) && g != t->dh_group) {
				t->dh_group = g;
				t->ke_retries++;
				return RSP_RETRY;
			}
		}
	}
	if (err) {
		log_info(LOG_IKE, "IKE SA %u: rekey refused: %s", sa->index, ike_notify_str(err));
		ike_sa_rekey_abort(sa, t);
		/* RFC 7296 2.25: TEMPORARY_FAILURE means try again a bit later. */
		if (err == IKE_N_TEMPORARY_FAILURE)
			retry_rekey_later(sa, 2, 8);
		else
			retry_rekey_later(sa, 60, 60);
		return RSP_DONE;
	}
	ours.dh = t->dh_group;
	if (!psa || !pno || !pke || ike_sa_pl_parse(psa, &sapl) < 0 ||
	    ike_prop_accept(&sapl, IKE_PROTO_IKE, &ours, 1, 0, &ch) < 0 || ch.spi_len != 8 ||
	    ike_nonce_parse(pno, &nr, &nrl) < 0 || ike_ke_parse(pke, &ke) < 0 ||
	    ke.group != t->dh_group) {
		log_info(LOG_IKE, "IKE SA %u: malformed rekey response", sa->index);
		ike_sa_rekey_abort(sa, t);
		retry_rekey_later(sa, 30, 30);
		return RSP_DONE;
	}
	n->spi_r = (uint64_t)ch.spi[0] << 56 | (uint64_t)ch.spi[1] << 48 |
	           (uint64_t)ch.spi[2] << 40 | (uint64_t)ch.spi[3] << 32 |
	           (uint64_t)ch.spi[4] << 24 | (uint64_t)ch.spi[5] << 16 |
	           (uint64_t)ch.spi[6] << 8 | ch.spi[7];
	n->suite = ch.s;
	if (rekey_keys(sa, n, t->dh, ke.data, ke.len, t->nonce, t->nonce_len, nr, nrl) < 0) {
		ike_sa_rekey_abort(sa, t);
		retry_rekey_later(sa, 30, 30);
		return RSP_DONE;
	}
	t->new_sa = NULL;
	sa->rekey_own = NULL;
	n->rekey_of = NULL; /* the pair is complete: no pointer may outlive either */
	rekey_up(n, sa);
	p = sa->rekey_peer;
	if (p && p->st == SA_UP && !p->redundant) {
		/* RFC 7296 2.8.2: both rekeyed; the SA with the lowest nonce
		 * is deleted by its creator, the CHILD SAs go to the other. */
		if (ike_nkey_cmp(&n->nkey, &p->nkey) < 0) {
			n->redundant = true;
			log_info(LOG_IKE, "IKE SA %u: rekey collision lost, deleting SA %u",
			    sa->index, n->index);
			ike_sa_delete(n, IKE_EV_NONE);
			/* The winner deletes the old SA; should its DELETE never
			 * come, we move to its SA ourselves (ike_sa_grace_fire). */
			ike_arm_in(e, &sa->t_grace, (uint64_t)e->o.redundant_grace_s * 1000);
			return RSP_DONE;
		}
		p->redundant = true;
		ike_arm_in(e, &p->t_grace, (uint64_t)e->o.redundant_grace_s * 1000);
		log_info(LOG_IKE, "IKE SA %u: rekey collision won by SA %u", sa->index, n->index);
	}
	ike_sa_move_children(sa, n);
	sa->st = SA_REKEYED;
	if (e->st.ike_sas_up)
		e->st.ike_sas_up--;
	ike_disarm(e, &sa->t_rekey);
	ike_disarm(e, &sa->t_dpd);
	ike_disarm(e, &sa->t_keepalive);
	queue_delete(sa, IKE_EV_NONE);
	return RSP_DONE;
}

void
ike_sa_rekey_on_request(struct ike_sa *sa, const struct ike_plds *pl, struct ike_enc *enc)
{
	struct ike_engine *e = sa->e;
	const struct ike_pld *psa = ike_plds_find(pl, IKE_PL_SA);
	const struct ike_pld *pno = ike_plds_find(pl, IKE_PL_NONCE);
	const struct ike_pld *pke = ike_plds_find(pl, IKE_PL_KE);
	struct ike_suite suites[IKE_CONF_PROPS + 1];
	unsigned ns = 0, i;
	struct ike_sa_pl sapl;
	struct ike_choice ch;
	struct ike_ke_pl ke;
	struct ike_dh *dh = NULL;
	struct ike_sa *n = NULL;
	uint8_t nr[IKE_NONCE_MAX];
	const uint8_t *ni, *pub;
	size_t nil, pl_len;
	struct ike_offer o;
	uint8_t grp[2];

	/* RFC 7296 2.25.2: not while we are closing it, nor twice. */
	if (sa->st != SA_UP || sa->rekey_peer || sa->redundant) {
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	if (!psa || !pno || !pke || ike_sa_pl_parse(psa, &sapl) < 0 ||
	    ike_nonce_parse(pno, &ni, &nil) < 0 || ike_ke_parse(pke, &ke) < 0) {
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	suites[ns++] = sa->suite;
	if (sa->gw)
		for (i = 0; i < sa->gw->conf.n_ike_props && ns < IKE_CONF_PROPS + 1; i++)
			suites[ns++] = sa->gw->conf.ike_props[i];
	if (ike_prop_select(&sapl, IKE_PROTO_IKE, suites, ns, 0, ke.group, &ch) < 0 ||
	    ch.spi_len != 8) {
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (ch.s.dh != ke.group) {
		wr_be16(grp, ch.s.dh);
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_INVALID_KE_PAYLOAD, grp, 2);
		e->st.invalid_ke_sent++;
		return;
	}
	n = rekey_child_sa(sa, false);
	dh = n ? ike_dh_new(e->c, ch.s.dh) : NULL;
	if (!n || !dh) {
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		goto fail;
	}
	n->spi_i = (uint64_t)ch.spi[0] << 56 | (uint64_t)ch.spi[1] << 48 |
	           (uint64_t)ch.spi[2] << 40 | (uint64_t)ch.spi[3] << 32 |
	           (uint64_t)ch.spi[4] << 24 | (uint64_t)ch.spi[5] << 16 |
	           (uint64_t)ch.spi[6] << 8 | ch.spi[7];
	n->suite = ch.s;
	ike_random(e, nr, e->o.nonce_len);
	if (rekey_keys(sa, n, dh, ke.data, ke.len, ni, nil, nr, e->o.nonce_len) < 0) {
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		goto fail;
	}
	memset(&o, 0, sizeof(o));
	o.num = ch.num;
	o.proto = IKE_PROTO_IKE;
	o.spi_len = 8;
	wr_be64(o.spi, n->spi_r);
	o.s = ch.s;
	ike_enc_sa(enc, &o, 1);
	ike_enc_nonce(enc, nr, e->o.nonce_len);
	pub = ike_dh_public(dh, &pl_len);
	ike_enc_ke(enc, ch.s.dh, pub, pl_len);
	ike_dh_free(dh);
	explicit_bzero(nr, sizeof(nr));
	rekey_up(n, sa);
	sa->rekey_peer = n;
	/* Without a collision the peer deletes the old SA next; should that
	 * never come, move over ourselves after a grace period. */
	if (!sa->rekey_own)
		ike_arm_in(e, &sa->t_grace, (uint64_t)e->o.redundant_grace_s * 1000);
	return;
fail:
	ike_dh_free(dh);
	explicit_bzero(nr, sizeof(nr));
	if (n)
		ike_sa_kill(n, IKE_EV_NONE);
}
