/* SPDX-License-Identifier: MIT */
/*
 * ike_query: snapshots of the engine's state for the show commands (IKE
 * SAs, tunnels with their CHILD SAs and history, gateways' anchoring) and
 * engine counters. Nothing here changes state.
 */
#include <errno.h>
#include <string.h>

#include "ike_int.h"

#include "banned.h"

static const char *
sa_state(const struct ike_sa *sa)
{
	switch (sa->st) {
	case SA_INIT_I:
	case SA_INIT_R:
		return "INIT";
	case SA_AUTH_I:
		return "AUTH";
	case SA_UP:
		return "UP";
	case SA_REKEYED:
		return "REKEYED";
	case SA_DELETING:
		return "DELETING";
	default:
		return "DOWN";
	}
}

static uint32_t
remaining_s(uint64_t at, uint64_t now)
{
	return at > now ? (uint32_t)((at - now + 999) / 1000) : 0;
}

static void
fill_sa(const struct ike_sa *sa, struct ike_sa_info *i)
{
	uint64_t now = sa->e->env.now_ms(sa->e->env.ctx);
	const struct ike_task *t;

	memset(i, 0, sizeof(*i));
	i->index = sa->index;
	if (sa->gw)
		memcpy(i->gateway, sa->gw->conf.name, sizeof(i->gateway));
	i->up = sa->st == SA_UP;
	i->state = sa_state(sa);
	i->initiator = sa->initiator;
	i->spi_i = sa->spi_i;
	i->spi_r = sa->spi_r;
	i->local = sa->local;
	i->remote = sa->remote;
	i->suite = sa->suite;
	i->auth_method = IKE_AUTH_PSK;
	i->lifetime_s = sa->lifetime_s;
	i->expires_in_s = sa->st >= SA_UP ? remaining_s(sa->expire_ms, now) : 0;
	i->rekey_in_s = sa->st == SA_UP ? remaining_s(sa->rekey_ms, now) : 0;
	i->local_id = sa->local_id;
	i->remote_id = sa->remote_id;
	i->nat_local = sa->nat_local;
	i->nat_remote = sa->nat_remote;
	i->in_bytes = sa->in_bytes;
	i->out_bytes = sa->out_bytes;
	i->in_packets = sa->in_pkts;
	i->out_packets = sa->out_pkts;
	i->children_created = sa->children_created;
	i->children_deleted = sa->children_deleted;
	i->exchanges_pending = sa->req ? 1 : 0;
	ike_list_foreach(t, it, &sa->tasks, struct ike_task, link) i->exchanges_pending +=
	    t->kind != T_DPD ? 1 : 0;
	i->spu = sa->spu;
	if (sa->gw) {
		i->dpd_mode = sa->gw->conf.dpd_mode;
		i->dpd_interval = sa->gw->conf.dpd_interval;
		i->dpd_threshold = sa->gw->conf.dpd_threshold;
	}
	i->dpd_sent = sa->dpd_sent;
	i->dpd_received = sa->dpd_recv;
	i->msgid_next_request = sa->next_msgid;
	i->msgid_next_expected = sa->peer_msgid;
}

int
ike_engine_foreach_ike_sa(const struct ike_engine *e, ike_sa_cb cb, void *ctx)
{
	const struct ike_sa *sa;
	struct ike_sa_info i;
	int rc;

	ike_list_foreach(sa, it, &e->sas, struct ike_sa, link)
	{
		if (sa->st == SA_DEAD)
			continue;
		fill_sa(sa, &i);
		rc = cb(ctx, &i);
		if (rc)
			return rc;
	}
	return 0;
}

int
ike_engine_ike_sa(const struct ike_engine *e, uint32_t index, struct ike_sa_info *out)
{
	const struct ike_sa *sa = ike_sa_by_index(e, index);

	if (!sa)
		return -ENOENT;
	fill_sa(sa, out);
	return 0;
}

static const char *
child_state(const struct ike_child *ch)
{
	switch (ch->st) {
	case CH_NEW:
		return "negotiating";
	case CH_UP:
		return "installed";
	case CH_REKEYING:
		return "rekeying";
	case CH_REKEYED:
		return "replaced";
	default:
		return "deleting";
	}
}

static void
fill_tunnel(const struct ike_tunnel *t, struct ike_tunnel_info *i)
{
	const struct ike_vpn *v = t->vpn;
	const struct ike_vpn_ts *ts = &v->conf.ts[t->ts_idx];
	uint64_t now = t->e->env.now_ms(t->e->env.ctx);
	const struct ike_child *ch, *newest = NULL;
	unsigned k, n;

	memset(i, 0, sizeof(*i));
	i->id = t->id;
	memcpy(i->vpn, v->conf.name, sizeof(i->vpn));
	memcpy(i->gateway, v->gw->conf.name, sizeof(i->gateway));
	memcpy(i->ts_name, ts->name, sizeof(i->ts_name));
	i->unit = v->conf.unit;
	i->up = ike_tunnel_n_up(t) > 0;
	i->negotiating = t->negotiating;
	i->dynamic_peer = t->peer_sa != NULL;
	i->spu = t->dp_set ? t->dp_spu : UINT32_MAX;
	i->ts_proxy_id = v->conf.ts_proxy_id;
	i->df = v->conf.df;
	i->copy_dscp = v->conf.copy_dscp;
	i->establish = v->conf.establish;
	i->pfs_group = v->conf.pfs_group;
	i->nego = t->nego;
	i->fail = t->fail;
	i->down_reason = t->down_reason;
	i->down_count = t->down_count;
	i->local.addr = v->gw->conf.local;
	i->local.port = t->e->o.ike_port;
	if (v->gw->conf.n_remote) {
		i->remote.addr = v->gw->conf.remote[0];
		i->remote.port = t->e->o.ike_port;
	}
	/* Newest CHILD SA first. */
	for (n = 0; n < sizeof(i->sa) / sizeof(i->sa[0]); n++) {
		const struct ike_child *pick = NULL;

		ike_list_foreach(ch, it, &t->children, struct ike_child, tun_link)
		{
			bool taken = false;

			for (k = 0; k < n; k++)
				taken |= i->sa[k].spi_in == ch->spi_in;
			if (!taken && ch->st != CH_NEW &&
			    (!pick || ch->created_ms >= pick->created_ms))
				pick = ch;
		}
		if (!pick)
			break;
		if (!newest)
			newest = pick;
		i->sa[n].spi_in = pick->spi_in;
		i->sa[n].spi_out = pick->spi_out;
		i->sa[n].suite = pick->suite;
		i->sa[n].state = child_state(pick);
		i->sa[n].hard_in_s = remaining_s(pick->hard_ms, now);
		i->sa[n].soft_in_s =
		    ike_timer_armed(&pick->t_soft) ? remaining_s(pick->soft_ms, now) : 0;
		i->sa[n].life_kb = pick->life_kb;
		i->sa[n].ike_index = pick->sa->index;
		i->sa[n].encap = pick->sa->natt && (pick->sa->nat_local || pick->sa->nat_remote);
		i->sa[n].encap_local_port = pick->sa->local.port;
		i->sa[n].encap_remote_port = pick->sa->remote.port;
		i->sa[n].replay_window = v->conf.replay_window;
		i->sa[n].initiator = pick->initiator;
	}
	i->n_sa = n;
	if (newest) {
		i->local = newest->sa->local;
		i->remote = newest->sa->remote;
		i->peer_id = newest->sa->remote_id;
		i->n_local_ts = newest->n_tsl;
		i->n_remote_ts = newest->n_tsr;
		memcpy(i->local_ts, newest->ts, newest->n_tsl * sizeof(struct ike_ts));
		memcpy(i->remote_ts, newest->ts + newest->n_tsl,
		    newest->n_tsr * sizeof(struct ike_ts));
	} else {
		i->n_local_ts = ts->n_local;
		i->n_remote_ts = ts->n_remote;
		memcpy(i->local_ts, ts->local, ts->n_local * sizeof(struct ike_ts));
		memcpy(i->remote_ts, ts->remote, ts->n_remote * sizeof(struct ike_ts));
	}
	if (t->peer_sa)
		i->peer_id = t->peer_sa->remote_id;
	for (k = 0; k < t->hist_n; k++)
		i->events[k] = t->hist[(t->hist_head + IKE_HIST_LEN - k) % IKE_HIST_LEN];
	i->n_events = t->hist_n;
}

int
ike_engine_foreach_tunnel(const struct ike_engine *e, ike_tunnel_cb cb, void *ctx)
{
	const struct ike_vpn *v;
	struct ike_tunnel_info i;
	int rc;

	ike_list_foreach(v, it, &e->vpns, struct ike_vpn, link)
	{
		const struct ike_tunnel *t;

		ike_list_foreach(t, it2, &v->tunnels, struct ike_tunnel, vpn_link)
		{
			fill_tunnel(t, &i);
			rc = cb(ctx, &i);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int
ike_engine_tunnel(const struct ike_engine *e, uint32_t id, struct ike_tunnel_info *out)
{
	const struct ike_tunnel *t = ike_tunnel_by_id(e, id);

	if (!t)
		return -ENOENT;
	fill_tunnel(t, out);
	return 0;
}

int
ike_engine_foreach_gateway(const struct ike_engine *e, ike_gw_cb cb, void *ctx)
{
	const struct ike_gw *gw;
	struct ike_gw_info i;
	int rc;

	ike_list_foreach(gw, it, &e->gws, struct ike_gw, link)
	{
		const struct ike_vpn *v;
		const struct ike_sa *sa;

		memset(&i, 0, sizeof(i));
		memcpy(i.name, gw->conf.name, sizeof(i.name));
		i.id = gw->id;
		i.spu = ike_gw_spu(gw);
		i.dynamic = gw->conf.dynamic;
		ike_list_foreach(sa, it2, &gw->sas, struct ike_sa, gw_link) if (sa->st != SA_DEAD)
		    i.n_ike_sas++;
		ike_list_foreach(v, it3, &gw->vpns, struct ike_vpn, gw_link) i.n_tunnels +=
		    (unsigned)ike_list_len(&v->tunnels);
		rc = cb(ctx, &i);
		if (rc)
			return rc;
	}
	return 0;
}

void
ike_engine_stats(const struct ike_engine *e, struct ike_engine_stats *out)
{
	const struct ike_vpn *v;

	*out = e->st;
	out->half_open = e->half_open;
	out->tunnels = out->tunnels_up = 0;
	ike_list_foreach(v, it, &e->vpns, struct ike_vpn, link)
	{
		const struct ike_tunnel *t;

		ike_list_foreach(t, it2, &v->tunnels, struct ike_tunnel, vpn_link)
		{
			out->tunnels++;
			if (ike_tunnel_n_up(t))
				out->tunnels_up++;
		}
	}
}

int
ike_engine_foreach_ike_sa_brief(
    const struct ike_engine *e, int (*cb)(void *ctx, const struct ike_sa_brief *b), void *ctx)
{
	const struct ike_sa *sa;
	struct ike_sa_brief b;
	int rc;

	ike_list_foreach(sa, it, &e->sas, struct ike_sa, link)
	{
		if (sa->st == SA_DEAD)
			continue;
		b.index = sa->index;
		b.gateway = sa->gw ? sa->gw->conf.name : "";
		b.up = sa->st == SA_UP;
		b.spi_i = sa->spi_i;
		b.spi_r = sa->spi_r;
		b.remote = sa->remote;
		rc = cb(ctx, &b);
		if (rc)
			return rc;
	}
	return 0;
}

int
ike_engine_foreach_tunnel_brief(
    const struct ike_engine *e, int (*cb)(void *ctx, const struct ike_tunnel_brief *b), void *ctx)
{
	const struct ike_vpn *v;
	struct ike_tunnel_brief b;
	int rc;

	ike_list_foreach(v, it, &e->vpns, struct ike_vpn, link)
	{
		const struct ike_tunnel *t;

		ike_list_foreach(t, it2, &v->tunnels, struct ike_tunnel, vpn_link)
		{
			const struct ike_child *ch, *newest = NULL;

			memset(&b, 0, sizeof(b));
			b.id = t->id;
			b.vpn = v->conf.name;
			b.gateway = v->gw->conf.name;
			b.dynamic_peer = t->peer_sa != NULL;
			/* as fill_tunnel: the newest CHILD SA past negotiation */
			ike_list_foreach(ch, it3, &t->children, struct ike_child, tun_link)
			{
				if (ch->st != CH_NEW &&
				    (!newest || ch->created_ms >= newest->created_ms))
					newest = ch;
			}
			b.has_sa = newest != NULL;
			if (newest)
				b.remote = newest->sa->remote.addr;
			else if (v->gw->conf.n_remote)
				b.remote = v->gw->conf.remote[0];
			rc = cb(ctx, &b);
			if (rc)
				return rc;
		}
	}
	return 0;
}
