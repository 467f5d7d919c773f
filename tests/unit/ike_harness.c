/* SPDX-License-Identifier: MIT */
/* ike_harness: engines on a virtual network and clock, for tests and benchmarks. */
#include "ike_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ike_wire.h"
#include "log.h"

#include "../tools/xorshift.h"

static int
env_rand(void *ctx, void *buf, size_t len)
{
	struct peer *p = ctx;

	xorshift64s_fill(&p->rng, buf, len);
	return 0;
}

static uint64_t
env_now(void *ctx)
{
	return ((struct peer *)ctx)->net->now;
}

static int64_t
env_wall(void *ctx)
{
	struct net *n = ((struct peer *)ctx)->net;

	return n->wall + (int64_t)(n->now / 1000);
}

static void
env_event(void *ctx, const struct ike_event_info *ev)
{
	struct peer *p = ctx;

	if (ev->ev < IKE_EV_MAX)
		p->n_events[ev->ev]++;
}

static bool
grow_queue(struct net *n)
{
	size_t cap;
	struct net_pkt *q;

	if (n->q_head > 0) {
		/* Reuse the consumed front before growing. */
		memmove(n->q, n->q + n->q_head, (n->n_q - n->q_head) * sizeof(*n->q));
		n->n_q -= n->q_head;
		n->q_head = 0;
		if (n->n_q < n->cap_q)
			return true;
	}
	cap = n->cap_q ? n->cap_q * 2 : 64;
	q = realloc(n->q, cap * sizeof(*q));
	if (!q)
		return false;
	n->q = q;
	n->cap_q = cap;
	return true;
}

static uint64_t
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
env_send(void *ctx, const struct ike_dgram *d)
{
	struct peer *p = ctx;
	struct net *n = p->net;
	struct net_pkt *k;
	int i;

	if (n->n_q == n->cap_q && !grow_queue(n))
		return -1;
	k = &n->q[n->n_q];
	memset(k, 0, sizeof(*k));
	k->from = p->idx;
	k->to = -1;
	k->buf = malloc(d->len ? d->len : 1);
	if (!k->buf)
		return -1;
	memcpy(k->buf, d->data, d->len);
	k->len = d->len;
	k->d = *d;
	k->d.data = k->buf;
	if (!ike_addr_is_set(&k->d.local.addr))
		k->d.local.addr = p->addr;
	/* NAT on the way out. */
	if (n->nat_peer == p->idx) {
		k->d.local.addr = n->nat_addr;
		k->d.local.port = (uint16_t)(n->nat_port_base + (d->local.port == 500       ? 1
		                                                    : d->local.port == 4500 ? 2
		                                                                            : 3));
	}
	for (i = 0; i < n->n_peers; i++)
		if (ike_addr_eq(&n->peers[i]->addr, &d->remote.addr))
			k->to = i;
	if (n->nat_peer >= 0 && ike_addr_eq(&n->nat_addr, &d->remote.addr)) {
		/* Back through the NAT. */
		k->to = n->nat_peer;
		k->d.remote.addr = n->peers[n->nat_peer]->addr;
		k->d.remote.port = d->remote.port == n->nat_port_base + 1   ? 500
		                   : d->remote.port == n->nat_port_base + 2 ? 4500
		                                                            : d->remote.port;
	}
	if (d->kind == IKE_DGRAM_IKE && d->len >= IKE_HDR_LEN) {
		k->exchange = d->data[18];
		k->response = (d->data[19] & IKE_HDR_F_RESPONSE) != 0;
		k->msgid = (uint32_t)d->data[20] << 24 | (uint32_t)d->data[21] << 16 |
		           (uint32_t)d->data[22] << 8 | d->data[23];
	}
	n->n_q++;
	return 0;
}

struct net *
net_new(void)
{
	struct net *n = calloc(1, sizeof(*n));

	if (!n)
		abort();
	/* Quiet unless asked: failures dump the state themselves. */
	log_set_level(getenv("IKE_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_WARN);
	n->trace = getenv("IKE_TRACE") != NULL;
	n->now = 1000000;
	n->wall = 1764000000;
	n->nat_peer = -1;
	n->nat_port_base = 30000;
	return n;
}

void
net_drop_queue(struct net *n)
{
	size_t i;

	for (i = n->q_head; i < n->n_q; i++)
		free(n->q[i].buf);
	n->n_q = n->q_head = 0;
}

void
net_free(struct net *n)
{
	int i;
	size_t k;

	if (!n)
		return;
	net_drop_queue(n);
	for (k = 0; k < n->n_held; k++)
		free(n->held[k].buf);
	for (i = 0; i < n->n_peers; i++) {
		struct peer *p = n->peers[i];

		ike_engine_free(p->e);
		dp_close(p->dpf);
		ike_conf_free(p->conf);
		free(p);
	}
	free(n->q);
	free(n->held);
	free(n);
}

struct peer *
net_peer(struct net *n, const char *name, const char *addr, uint64_t seed,
    const struct ike_engine_opts *opts)
{
	struct peer *p = calloc(1, sizeof(*p));
	struct dp_config dc;
	struct ike_env env;
	struct errbuf err = { .msg = "" };

	if (!p || n->n_peers >= NET_MAX_PEERS)
		abort();
	p->net = n;
	p->idx = n->n_peers;
	p->name = name;
	p->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
	p->spus = 4;
	if (ike_addr_parse(addr, &p->addr) < 0)
		abort();
	memset(&dc, 0, sizeof(dc));
	dc.backend = DP_BACKEND_MOCK;
	dc.spus = p->spus;
	dc.flow_threads = 1;
	errbuf_clear(&err);
	if (dp_open(&dc, &p->dpf, &err) < 0)
		abort();
	p->dp = dp_mock_last();
	dp_mock_set_spi_base(p->dp, 0xa0000001u + (uint32_t)p->idx * 0x01000000u);
	memset(&env, 0, sizeof(env));
	env.ctx = p;
	env.send = env_send;
	env.now_ms = env_now;
	env.wall = env_wall;
	env.rand = env_rand;
	env.dp = p->dpf;
	env.event = env_event;
	p->e = ike_engine_new(&env, opts);
	if (!p->e)
		abort();
	p->conf = ike_conf_new();
	n->peers[n->n_peers++] = p;
	return p;
}

void
net_nat(struct net *n, int idx, const char *public_addr)
{
	n->nat_peer = idx;
	if (ike_addr_parse(public_addr, &n->nat_addr) < 0)
		abort();
}

static void
deliver(struct net *n, struct net_pkt *k)
{
	struct peer *to;
	struct ike_dgram d;

	if (k->to < 0 || k->to >= n->n_peers)
		return;
	to = n->peers[k->to];
	if (!to->e)
		return;
	/* Seen by the receiver: its own address locally, the sender remotely. */
	d.local = k->d.remote;
	d.remote = k->d.local;
	d.kind = k->d.kind;
	d.data = k->buf;
	d.len = k->len;
	n->delivered++;
	if (getenv("NET_TRACE"))
		fprintf(stderr, "net %6llu ms: %s -> %s exchange %u %s msgid %u\n",
		    (unsigned long long)n->now, n->peers[k->from]->name, to->name, k->exchange,
		    k->response ? "response" : "request", k->msgid);
	if (d.kind == IKE_DGRAM_KEEPALIVE) {
		to->keepalives++;
		return;
	}
	{
		uint64_t t0 = cpu_now();

		ike_engine_input(to->e, &d);
		to->cpu_ns += cpu_now() - t0;
	}
}

void
net_run(struct net *n)
{
	unsigned guard = 0;

	while (n->q_head < n->n_q && guard++ < 100000000) {
		struct net_pkt k = n->q[n->q_head++];
		enum net_verdict v = n->filter ? n->filter(n->filter_ctx, &k) : NET_DELIVER;

		if (n->q_head == n->n_q)
			n->q_head = n->n_q = 0;
		if (n->trace)
			fprintf(stderr, "%8llu %s -> %s %s%s msgid %u len %zu%s\n",
			    (unsigned long long)(n->now - 1000000), n->peers[k.from]->name,
			    k.to >= 0 && k.to < n->n_peers ? n->peers[k.to]->name : "?",
			    k.d.kind == IKE_DGRAM_KEEPALIVE ? "keepalive"
			    : k.exchange == 34              ? "IKE_SA_INIT"
			    : k.exchange == 35              ? "IKE_AUTH"
			    : k.exchange == 36              ? "CREATE_CHILD_SA"
			    : k.exchange == 37              ? "INFORMATIONAL"
			                                    : "?",
			    k.response ? " response" : "", k.msgid, k.len,
			    v == NET_DROP   ? " (dropped)"
			    : v == NET_HOLD ? " (held)"
			                    : "");
		switch (v) {
		case NET_DROP:
			n->dropped++;
			break;
		case NET_HOLD:
			if (n->n_held == n->cap_held) {
				size_t cap = n->cap_held ? n->cap_held * 2 : 16;

				n->held = realloc(n->held, cap * sizeof(*n->held));
				if (!n->held)
					abort();
				n->cap_held = cap;
			}
			n->held[n->n_held++] = k;
			continue;
		case NET_DUP:
			deliver(n, &k);
			deliver(n, &k);
			break;
		case NET_DELIVER:
			deliver(n, &k);
			break;
		}
		free(k.buf);
	}
}

void
net_release(struct net *n)
{
	size_t i;

	for (i = 0; i < n->n_held; i++) {
		if (n->n_q == n->cap_q && !grow_queue(n))
			abort();
		n->q[n->n_q++] = n->held[i];
	}
	n->n_held = 0;
}

void
net_advance(struct net *n, uint64_t ms)
{
	uint64_t target = n->now + ms;

	for (;;) {
		uint64_t next = UINT64_MAX;
		int i;

		net_run(n);
		for (i = 0; i < n->n_peers; i++) {
			uint64_t d =
			    n->peers[i]->e ? ike_engine_next_deadline(n->peers[i]->e) : UINT64_MAX;

			if (d < next)
				next = d;
		}
		if (next > target)
			break;
		if (next > n->now)
			n->now = next;
		for (i = 0; i < n->n_peers; i++) {
			struct peer *p = n->peers[i];

			if (p->e && ike_engine_next_deadline(p->e) <= n->now) {
				uint64_t t0 = cpu_now();

				ike_engine_run_timers(p->e);
				p->cpu_ns += cpu_now() - t0;
			}
		}
	}
	n->now = target;
	net_run(n);
}

/* ---- configuration ----------------------------------------------------------- */

int
peer_reconfigure(struct peer *p)
{
	struct errbuf err = { .msg = "" };
	int rc;

	errbuf_clear(&err);
	rc = ike_engine_configure(p->e, p->conf, NULL, NULL, &err);
	if (rc < 0)
		fprintf(stderr, "%s: configure: %s\n", p->name, err.msg);
	return rc;
}

int
peer_configure(struct peer *p, const struct pcfg *c)
{
	struct ike_conf *conf = p->conf;
	char n1[24], n2[24], n3[24], n4[24], local[64];
	const char *gwn = c->gw ? c->gw : "gw", *vpnn = c->vpn ? c->vpn : "vpn";
	struct ike_conf_ike_proposal *ip;
	struct ike_conf_ike_policy *pol;
	struct ike_conf_gateway *g;
	struct ike_conf_ipsec_proposal *ep;
	struct ike_conf_ipsec_policy *ipol;
	struct ike_conf_vpn *v;

	snprintf(n1, sizeof(n1), "ike-%.18s", gwn);
	snprintf(n2, sizeof(n2), "pol-%.18s", gwn);
	snprintf(n3, sizeof(n3), "esp-%.18s", vpnn);
	snprintf(n4, sizeof(n4), "ipol-%.18s", vpnn);
	if (!ike_conf_find_gateway(conf, gwn)) {
		ip = ike_conf_add_ike_proposal(conf, n1);
		ip->dh_group = c->dh ? c->dh : IKE_DH_ECP256;
		ip->enc = c->ike_enc ? c->ike_enc : IKE_CE_AES128_GCM;
		ip->auth_alg = c->ike_auth;
		if (c->ike_life)
			ip->lifetime_seconds = c->ike_life;
		pol = ike_conf_add_ike_policy(conf, n2);
		snprintf(pol->proposals[0], sizeof(pol->proposals[0]), "%s", n1);
		pol->n_proposals = 1;
		ike_conf_set_key(&pol->psk, false, c->psk ? c->psk : "s3cret");
		g = ike_conf_add_gateway(conf, gwn);
		snprintf(g->ike_policy, sizeof(g->ike_policy), "%s", n2);
		if (c->peer_addr && !c->dynamic) {
			ike_conf_gateway_add_address(g, c->peer_addr);
			if (c->peer_addr2)
				ike_conf_gateway_add_address(g, c->peer_addr2);
		} else {
			g->dynamic = true;
			if (c->dyn_id)
				ike_conf_set_id(&g->dyn_id, c->dyn_kind, c->dyn_id);
			else
				g->dyn_general_ikeid = true;
			g->ike_user_type = c->user_type;
		}
		ike_addr_str(&p->addr, local, sizeof(local));
		ike_conf_set_str(&g->local_address, c->local_addr ? c->local_addr : local);
		if (c->local_id)
			ike_conf_set_id(&g->local_id, c->local_id_kind, c->local_id);
		if (c->remote_id)
			ike_conf_set_id(&g->remote_id, c->remote_id_kind, c->remote_id);
		if (c->dpd != IKE_DPD_OFF) {
			g->dpd = true;
			g->dpd_mode = c->dpd;
			if (c->dpd_interval)
				g->dpd_interval = c->dpd_interval;
			if (c->dpd_threshold)
				g->dpd_threshold = c->dpd_threshold;
		}
		g->no_nat_traversal = c->no_nat_t;
	}
	ep = ike_conf_add_ipsec_proposal(conf, n3);
	ep->enc = c->esp_enc ? c->esp_enc : IKE_CE_AES128_GCM;
	ep->auth_alg = c->esp_auth;
	ep->esn = c->esn;
	if (c->esp_life)
		ep->lifetime_seconds = c->esp_life;
	ipol = ike_conf_add_ipsec_policy(conf, n4);
	snprintf(ipol->proposals[0], sizeof(ipol->proposals[0]), "%s", n3);
	ipol->n_proposals = 1;
	ipol->pfs_group = c->pfs;
	v = ike_conf_add_vpn(conf, vpnn);
	ike_conf_set_str(&v->bind_interface, "st0.0");
	snprintf(v->gateway, sizeof(v->gateway), "%s", gwn);
	snprintf(v->ipsec_policy, sizeof(v->ipsec_policy), "%s", n4);
	v->establish = c->establish;
	v->idle_time = c->idle_time;
	v->install_interval = c->keep_install_interval ? c->install_interval : c->install_interval;
	if (c->ts_local) {
		struct ike_conf_ts *t = ike_conf_vpn_add_ts(v, "ts1");

		ike_conf_set_str(&t->local_ip, c->ts_local);
		ike_conf_set_str(&t->remote_ip, c->ts_remote);
	}
	if (c->ts2_local) {
		struct ike_conf_ts *t = ike_conf_vpn_add_ts(v, "ts2");

		ike_conf_set_str(&t->local_ip, c->ts2_local);
		ike_conf_set_str(&t->remote_ip, c->ts2_remote);
	}
	if (c->cookie_threshold)
		conf->cookie_threshold =
		    c->cookie_threshold == UINT32_MAX ? 0 : c->cookie_threshold;
	return peer_reconfigure(p);
}

/* ---- state --------------------------------------------------------------------- */

static int
count_up(void *ctx, const struct ike_sa_info *i)
{
	unsigned *n = ctx;

	if (i->up)
		(*n)++;
	return 0;
}

static int
count_all(void *ctx, const struct ike_sa_info *i)
{
	unsigned *n = ctx;

	(void)i;
	(*n)++;
	return 0;
}

unsigned
peer_ike_up(const struct peer *p)
{
	unsigned n = 0;

	ike_engine_foreach_ike_sa(p->e, count_up, &n);
	return n;
}

unsigned
peer_ike_all(const struct peer *p)
{
	unsigned n = 0;

	ike_engine_foreach_ike_sa(p->e, count_all, &n);
	return n;
}

static int
count_tun(void *ctx, const struct ike_tunnel_info *t)
{
	unsigned *n = ctx;

	if (t->up)
		(*n)++;
	return 0;
}

unsigned
peer_tunnels_up(const struct peer *p)
{
	unsigned n = 0;

	ike_engine_foreach_tunnel(p->e, count_tun, &n);
	return n;
}

static int
first_tun(void *ctx, const struct ike_tunnel_info *t)
{
	struct ike_tunnel_info *out = ctx;

	if (!t->up)
		return 0;
	*out = *t;
	return 1;
}

bool
peer_tunnel(const struct peer *p, struct ike_tunnel_info *out)
{
	return ike_engine_foreach_tunnel(p->e, first_tun, out) == 1;
}

static int
first_sa(void *ctx, const struct ike_sa_info *i)
{
	struct ike_sa_info *out = ctx;

	if (!i->up)
		return 0;
	*out = *i;
	return 1;
}

bool
peer_ike_sa(const struct peer *p, struct ike_sa_info *out)
{
	return ike_engine_foreach_ike_sa(p->e, first_sa, out) == 1;
}

bool
peers_consistent(const struct peer *a, const struct peer *b)
{
	size_t i, na = dp_mock_sa_count(a->dp), nb = dp_mock_sa_count(b->dp);

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		const struct dp_sa *s = dp_mock_sa_at(a->dp, i);
		const struct dp_sa *t =
		    dp_mock_sa_find(b->dp, s->spi, s->dir == DP_DIR_IN ? DP_DIR_OUT : DP_DIR_IN);

		if (!t || t->enc != s->enc || t->integ != s->integ ||
		    t->enc_key_len != s->enc_key_len || t->integ_key_len != s->integ_key_len ||
		    memcmp(t->enc_key, s->enc_key, s->enc_key_len) != 0 ||
		    memcmp(t->integ_key, s->integ_key, s->integ_key_len) != 0 ||
		    (t->flags & (DP_SA_ESN | DP_SA_HAS_ENCAP)) !=
		        (s->flags & (DP_SA_ESN | DP_SA_HAS_ENCAP)))
			return false;
	}
	return true;
}

static int
dump_sa(void *ctx, const struct ike_sa_info *i)
{
	(void)ctx;
	fprintf(stderr, "  IKE SA %u %s %s spi %016llx/%016llx gw=%s\n", i->index, i->state,
	    i->initiator ? "I" : "R", (unsigned long long)i->spi_i, (unsigned long long)i->spi_r,
	    i->gateway);
	return 0;
}

static int
dump_tun(void *ctx, const struct ike_tunnel_info *t)
{
	unsigned k;

	(void)ctx;
	fprintf(stderr, "  tunnel %u vpn=%s up=%d nego=%u fail=%u sas=%u\n", t->id, t->vpn, t->up,
	    t->nego, t->fail, t->n_sa);
	for (k = 0; k < t->n_sa; k++)
		fprintf(stderr, "    child %08x/%08x %s ike=%u\n", t->sa[k].spi_in,
		    t->sa[k].spi_out, t->sa[k].state, t->sa[k].ike_index);
	for (k = 0; k < t->n_events; k++)
		fprintf(stderr, "    event: %s (%u times)\n", ike_event_str(t->events[k].ev),
		    t->events[k].count);
	return 0;
}

void
peer_dump(const struct peer *p)
{
	static char buf[1 << 16];
	size_t i;

	fprintf(stderr, "== %s\n", p->name);
	ike_engine_foreach_ike_sa(p->e, dump_sa, NULL);
	ike_engine_foreach_tunnel(p->e, dump_tun, NULL);
	for (i = 0; i < dp_mock_sa_count(p->dp); i++) {
		const struct dp_sa *s = dp_mock_sa_at(p->dp, i);

		fprintf(stderr, "  dp SA %s %08x tunnel %u\n", s->dir == DP_DIR_IN ? "in " : "out",
		    s->spi, s->tunnel_id);
	}
	dp_mock_format(p->dp, buf, sizeof(buf));
	fprintf(stderr, "%s", buf);
}
