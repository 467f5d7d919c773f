/* SPDX-License-Identifier: MIT */
/*
 * In-process IKE exchanges between engines (tests/unit/ike_harness.c):
 * every exchange, both roles, with a virtual clock, a lossy/duplicating
 * network and the recording mock dataplane, whose calls and final SA set
 * are asserted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ike_harness.h"
#include "ike_wire.h"

#define A_ADDR "192.0.2.1"
#define B_ADDR "198.51.100.1"

struct pair {
	struct net *n;
	struct peer *a, *b;
};

static void
pair_new(struct pair *p, uint64_t seed_a, uint64_t seed_b)
{
	p->n = net_new();
	p->a = net_peer(p->n, "A", A_ADDR, seed_a, NULL);
	p->b = net_peer(p->n, "B", B_ADDR, seed_b, NULL);
}

static void
pair_up(struct pair *p, const struct pcfg *ca, const struct pcfg *cb)
{
	struct pcfg a = *ca, b = *cb;

	if (!a.peer_addr)
		a.peer_addr = B_ADDR;
	if (!b.peer_addr && !b.dynamic)
		b.peer_addr = A_ADDR;
	assert_int_equal(peer_configure(p->a, &a), 0);
	assert_int_equal(peer_configure(p->b, &b), 0);
	net_advance(p->n, 1000);
}

static void
expect_up(struct pair *p, unsigned tunnels)
{
	if (peer_ike_up(p->a) != 1 || peer_ike_up(p->b) != 1 || peer_tunnels_up(p->a) != tunnels ||
	    peer_tunnels_up(p->b) != tunnels || !peers_consistent(p->a, p->b)) {
		peer_dump(p->a);
		peer_dump(p->b);
	}
	assert_int_equal(peer_ike_up(p->a), 1);
	assert_int_equal(peer_ike_up(p->b), 1);
	assert_int_equal(peer_tunnels_up(p->a), tunnels);
	assert_int_equal(peer_tunnels_up(p->b), tunnels);
	assert_int_equal(dp_mock_sa_count(p->a->dp), 2 * tunnels);
	assert_true(peers_consistent(p->a, p->b));
}

static void
test_basic(void **state)
{
	struct pair p;
	struct pcfg a = { .establish = IKE_EST_IMMEDIATELY };
	struct pcfg b = { .establish = IKE_EST_RESPONDER_ONLY };

	(void)state;
	pair_new(&p, 1, 2);
	pair_up(&p, &a, &b);
	expect_up(&p, 1);
	if (getenv("IKE_DUMP")) {
		peer_dump(p.a);
		peer_dump(p.b);
	}
	net_free(p.n);
}


/* Site-to-site both ways, exact dataplane calls on both sides. */
static void
test_site_to_site_calls(void **state)
{
	struct pair p;
	struct pcfg a = { .establish = IKE_EST_IMMEDIATELY };
	struct pcfg b = { .establish = IKE_EST_ON_TRAFFIC };
	const struct dp_mock_call *c;
	struct ike_tunnel_info ta, tb;

	(void)state;
	pair_new(&p, 11, 12);
	pair_up(&p, &a, &b);
	expect_up(&p, 1);
	/* A: tunnel, SPI, inbound, outbound; B the same as responder. */
	assert_int_equal(dp_mock_ncalls(p.a->dp), 5);
	c = dp_mock_call_at(p.a->dp, 1);
	assert_int_equal(c->op, DPM_TUNNEL_SET);
	assert_true(c->tunnel.on_traffic == false);
	assert_int_equal(dp_mock_call_at(p.a->dp, 2)->op, DPM_SPI_ALLOC);
	c = dp_mock_call_at(p.a->dp, 3);
	assert_int_equal(c->op, DPM_SA_ADD);
	assert_int_equal(c->dir, DP_DIR_IN);
	assert_int_equal(c->sa.enc, DP_ENC_AES_GCM_128);
	assert_int_equal(c->sa.enc_key_len, 20);
	assert_int_equal(c->sa.integ, DP_INTEG_NONE);
	assert_int_equal(c->sa.replay_window, 64);
	assert_int_equal(c->sa.flags & DP_SA_HAS_ENCAP, 0);
	assert_int_equal(dp_mock_call_at(p.a->dp, 4)->op, DPM_SA_ADD);
	assert_int_equal(dp_mock_call_at(p.a->dp, 4)->dir, DP_DIR_OUT);
	/* B configured its tunnel on-traffic before anything arrived. */
	c = dp_mock_call_at(p.b->dp, 1);
	assert_int_equal(c->op, DPM_TUNNEL_SET);
	assert_true(c->tunnel.on_traffic);
	assert_true(peer_tunnel(p.a, &ta));
	assert_true(peer_tunnel(p.b, &tb));
	assert_int_equal(ta.sa[0].spi_in, tb.sa[0].spi_out);
	assert_int_equal(ta.sa[0].spi_out, tb.sa[0].spi_in);
	assert_int_equal(ta.n_events, 1);
	assert_int_equal(ta.events[0].ev, IKE_EV_CHILD_UP);
	net_free(p.n);
}

/* Every DH group and every IKE/ESP transform combination Cairn offers. */
static void
test_all_suites(void **state)
{
	static const uint16_t groups[] = { 14, 15, 16, 19, 20, 21, 31 };
	static const struct {
		enum ike_conf_enc enc;
		enum ike_conf_ike_auth ia;
		enum ike_conf_esp_auth ea;
		enum dp_enc de;
		enum dp_integ di;
	} suites[] = {
		{ IKE_CE_AES128_GCM, IKE_CIA_SHA256, IKE_CEA_UNSET, DP_ENC_AES_GCM_128, DP_INTEG_NONE },
		{ IKE_CE_AES256_GCM, IKE_CIA_SHA384, IKE_CEA_UNSET, DP_ENC_AES_GCM_256, DP_INTEG_NONE },
		{ IKE_CE_AES128_CBC, IKE_CIA_SHA256, IKE_CEA_HMAC_SHA256_128, DP_ENC_AES_CBC_128,
		    DP_INTEG_HMAC_SHA256_128 },
		{ IKE_CE_AES256_CBC, IKE_CIA_SHA384, IKE_CEA_HMAC_SHA384, DP_ENC_AES_CBC_256,
		    DP_INTEG_HMAC_SHA384_192 },
		{ IKE_CE_AES256_CBC, IKE_CIA_SHA512, IKE_CEA_HMAC_SHA512, DP_ENC_AES_CBC_256,
		    DP_INTEG_HMAC_SHA512_256 },
	};
	size_t g, s;

	(void)state;
	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
			struct pair p;
			struct pcfg a = { .establish = IKE_EST_IMMEDIATELY, .dh = groups[g],
				.ike_enc = suites[s].enc, .ike_auth = suites[s].ia, .esp_enc = suites[s].enc,
				.esp_auth = suites[s].ea, .esn = s % 2 == 1, .pfs = groups[g] };
			struct pcfg b = a;
			const struct dp_sa *sa;
			struct ike_sa_info i;

			/* MODP 3072/4096 are slow: one suite each is enough. */
			if (groups[g] == 15 || groups[g] == 16) {
				if (s != 0)
					continue;
			}
			b.establish = IKE_EST_RESPONDER_ONLY;
			pair_new(&p, 100 + g, 200 + s);
			pair_up(&p, &a, &b);
			expect_up(&p, 1);
			sa = dp_mock_sa_at(p.a->dp, 0);
			assert_int_equal(sa->enc, suites[s].de);
			assert_int_equal(sa->integ, suites[s].di);
			assert_int_equal(!!(sa->flags & DP_SA_ESN), s % 2 == 1);
			assert_true(peer_ike_sa(p.b, &i));
			assert_int_equal(i.suite.dh, groups[g]);
			/* A CHILD rekey with PFS in this group works as well. */
			assert_true(peer_tunnel(p.a, &(struct ike_tunnel_info){ 0 }));
			{
				struct ike_tunnel_info t;

				peer_tunnel(p.a, &t);
				assert_int_equal(ike_engine_rekey_child(p.a->e, t.id), 0);
				net_advance(p.n, 1000);
				expect_up(&p, 1);
				peer_tunnel(p.a, &t);
				assert_int_equal(t.sa[0].suite.dh, groups[g]);
			}
			net_free(p.n);
		}
	}
}

/* The responder wants another group: INVALID_KE_PAYLOAD, then success. */
static void
test_invalid_ke(void **state)
{
	struct pair p;
	struct pcfg a = { .establish = IKE_EST_IMMEDIATELY, .dh = 19 };
	struct pcfg b = { .establish = IKE_EST_RESPONDER_ONLY, .dh = 14 };
	struct ike_conf_ike_proposal *x;
	struct ike_conf_ike_policy *pol;
	struct ike_engine_stats st;
	struct ike_sa_info i;

	(void)state;
	pair_new(&p, 3, 4);
	/* A offers group 19 first and 14 second; B accepts only 14. */
	a.peer_addr = B_ADDR;
	assert_int_equal(peer_configure(p.a, &a), 0);
	x = ike_conf_add_ike_proposal(p.a->conf, "second");
	x->dh_group = 14;
	x->enc = IKE_CE_AES128_GCM;
	pol = &p.a->conf->ike_policies[0];
	snprintf(pol->proposals[1], sizeof(pol->proposals[1]), "second");
	pol->n_proposals = 2;
	assert_int_equal(peer_reconfigure(p.a), 0);
	b.peer_addr = A_ADDR;
	assert_int_equal(peer_configure(p.b, &b), 0);
	net_advance(p.n, 1000);
	expect_up(&p, 1);
	ike_engine_stats(p.b->e, &st);
	assert_int_equal(st.invalid_ke_sent, 1);
	assert_true(peer_ike_sa(p.a, &i));
	assert_int_equal(i.suite.dh, 14);
	net_free(p.n);
}

/* Cookies (RFC 7296 2.6): above the threshold the initiator must return one. */
static void
test_cookie(void **state)
{
	struct pair p;
	struct pcfg a = { .establish = IKE_EST_IMMEDIATELY };
	struct pcfg b = { .establish = IKE_EST_RESPONDER_ONLY, .cookie_threshold = UINT32_MAX };
	struct ike_engine_stats st;

	(void)state;
	pair_new(&p, 5, 6);
	pair_up(&p, &a, &b);
	expect_up(&p, 1);
	ike_engine_stats(p.b->e, &st);
	assert_int_equal(st.cookies_sent, 1);
	assert_int_equal(st.half_open, 0);
	net_free(p.n);
}

static enum net_verdict
drop_first_auth_req(void *ctx, const struct net_pkt *k)
{
	int *n = ctx;

	if (k->exchange == IKE_X_AUTH && !k->response && (*n)++ == 0)
		return NET_DROP;
	return NET_DELIVER;
}

static enum net_verdict
drop_first_auth_resp(void *ctx, const struct net_pkt *k)
{
	int *n = ctx;

	if (k->exchange == IKE_X_AUTH && k->response && (*n)++ == 0)
		return NET_DROP;
	return NET_DELIVER;
}

static enum net_verdict
dup_all(void *ctx, const struct net_pkt *k)
{
	(void)ctx;
	(void)k;
	return NET_DUP;
}

/* Lost requests and responses are retransmitted; duplicates change nothing. */
static void
test_loss_and_duplicates(void **state)
{
	net_filter_fn filters[] = { drop_first_auth_req, drop_first_auth_resp, dup_all };
	size_t f;

	(void)state;
	for (f = 0; f < 3; f++) {
		struct pair p;
		struct pcfg a = { .establish = IKE_EST_IMMEDIATELY };
		struct pcfg b = { .establish = IKE_EST_RESPONDER_ONLY };
		struct ike_engine_stats st;
		int count = 0;

		pair_new(&p, 7 + f, 8 + f);
		p.n->filter = filters[f];
		p.n->filter_ctx = &count;
		pair_up(&p, &a, &b);
		net_advance(p.n, 10000);
		expect_up(&p, 1);
		ike_engine_stats(p.a->e, &st);
		if (f < 2)
			assert_int_equal(st.retransmits, 1);
		/* Duplicates: one SA each, and a CHILD rekey still works. */
		if (f == 2) {
			struct ike_tunnel_info t;

			peer_tunnel(p.a, &t);
			ike_engine_rekey_child(p.a->e, t.id);
			net_advance(p.n, 2000);
			expect_up(&p, 1);
		}
		net_free(p.n);
	}
}

static enum net_verdict
drop_from_b(void *ctx, const struct net_pkt *k)
{
	(void)ctx;
	return k->from == 1 ? NET_DROP : NET_DELIVER;
}

/* No answer at all: retransmissions back off, then the attempt is given up. */
static void
test_no_response(void **state)
{
	struct pair p;
	struct pcfg a = { .establish = IKE_EST_IMMEDIATELY };
	struct pcfg b = { .establish = IKE_EST_RESPONDER_ONLY };
	struct ike_tunnel_info t;
	struct ike_engine_stats st;
	uint64_t start;

	(void)state;
	pair_new(&p, 9, 10);
	p.n->filter = drop_from_b;
	start = p.n->now;
	pair_up(&p, &a, &b);
	/* Retransmissions after 2, 6, 14, 30 and 46 s; given up at 62 s. */
	net_advance(p.n, 59000);
	assert_int_equal(peer_ike_all(p.a), 1);
	net_advance(p.n, 3000);
	assert_int_equal(peer_ike_all(p.a), 0);
	ike_engine_stats(p.a->e, &st);
	assert_int_equal(st.retransmits, 5);
	assert_int_equal(ike_engine_tunnel(p.a->e, 131073, &t), 0);
	assert_false(t.up);
	assert_int_equal(t.down_reason, IKE_EV_NO_RESPONSE);
	assert_int_equal(t.events[0].ev, IKE_EV_NO_RESPONSE);
	assert_int_equal(t.fail, 1);
	assert_int_equal(dp_mock_sa_count(p.a->dp), 0);
	(void)start;
	/* The tunnel retries with back-off and comes up once B answers. */
	p.n->filter = NULL;
	net_advance(p.n, 10000);
	expect_up(&p, 1);
	net_free(p.n);
}


static uint32_t
tunnel_id(const struct peer *p)
{
	struct ike_tunnel_info t;

	assert_true(peer_tunnel(p, &t));
	return t.id;
}

static void
child_spis(const struct peer *p, uint32_t *in, uint32_t *out)
{
	struct ike_tunnel_info t;

	assert_true(peer_tunnel(p, &t));
	assert_int_equal(t.n_sa, 1);
	*in = t.sa[0].spi_in;
	*out = t.sa[0].spi_out;
}

/* CHILD SA rekey started by either side, with and without PFS: new SPIs,
 * the old SAs removed, in the order of RFC 7296 2.8. */
static void
test_child_rekey(void **state)
{
	unsigned who, pfs;

	(void)state;
	for (pfs = 0; pfs < 2; pfs++) {
		for (who = 0; who < 2; who++) {
			struct pair p;
			struct pcfg a = { .establish = IKE_EST_IMMEDIATELY, .pfs = pfs ? 19 : 0 };
			struct pcfg b = { .establish = IKE_EST_RESPONDER_ONLY, .pfs = pfs ? 19 : 0 };
			struct peer *ini, *rsp;
			uint32_t in0, out0, in1, out1;
			const struct dp_mock_call *c;
			struct ike_tunnel_info t;
			size_t base;

			pair_new(&p, 20 + who, 30 + pfs);
			pair_up(&p, &a, &b);
			expect_up(&p, 1);
			ini = who ? p.b : p.a;
			rsp = who ? p.a : p.b;
			child_spis(ini, &in0, &out0);
			dp_mock_clear_log(ini->dp);
			dp_mock_clear_log(rsp->dp);
			assert_int_equal(ike_engine_rekey_child(ini->e, tunnel_id(ini)), 0);
			net_advance(p.n, 1000);
			expect_up(&p, 1);
			child_spis(ini, &in1, &out1);
			assert_int_not_equal(in0, in1);
			assert_int_not_equal(out0, out1);
			/* Initiator: SPI, new in, new out, then the old pair goes. */
			base = 0;
			assert_int_equal(dp_mock_call_at(ini->dp, base)->op, DPM_SPI_ALLOC);
			c = dp_mock_call_at(ini->dp, base + 1);
			assert_true(c->op == DPM_SA_ADD && c->dir == DP_DIR_IN && c->spi == in1);
			c = dp_mock_call_at(ini->dp, base + 2);
			assert_true(c->op == DPM_SA_ADD && c->dir == DP_DIR_OUT && c->spi == out1);
			c = dp_mock_call_at(ini->dp, base + 3);
			assert_true(c->op == DPM_SA_DEL && c->dir == DP_DIR_OUT && c->spi == out0);
			c = dp_mock_call_at(ini->dp, base + 4);
			assert_true(c->op == DPM_SA_DEL && c->dir == DP_DIR_IN && c->spi == in0);
			assert_int_equal(dp_mock_ncalls(ini->dp), 5);
			/* Responder: new in now, new out only once the old one is deleted. */
			c = dp_mock_call_at(rsp->dp, 1);
			assert_true(c->op == DPM_SA_ADD && c->dir == DP_DIR_IN && c->spi == out1);
			c = dp_mock_call_at(rsp->dp, 2);
			assert_true(c->op == DPM_SA_ADD && c->dir == DP_DIR_OUT && c->spi == in1);
			assert_int_equal(dp_mock_count(rsp->dp, DPM_SA_DEL), 2);
			assert_int_equal(dp_mock_ncalls(rsp->dp), 5);
			assert_true(peer_tunnel(ini, &t));
			assert_int_equal(t.events[0].ev, IKE_EV_CHILD_REKEYED);
			assert_int_equal(t.sa[0].suite.dh, pfs ? 19 : 0);
			net_free(p.n);
		}
	}
}

/* With install-interval the initiator's new outbound SA waits, and the
 * old pair is deleted only then. */
static void
test_child_rekey_install_interval(void **state)
{
	struct pair p;
	struct pcfg a = { .establish = IKE_EST_IMMEDIATELY, .install_interval = 1,
		.keep_install_interval = true };
	struct pcfg b = { .establish = IKE_EST_RESPONDER_ONLY };
	uint32_t in0, out0;

	(void)state;
	pair_new(&p, 41, 42);
	pair_up(&p, &a, &b);
	expect_up(&p, 1);
	child_spis(p.a, &in0, &out0);
	ike_engine_rekey_child(p.a->e, tunnel_id(p.a));
	net_run(p.n);
	/* New inbound is there, new outbound not yet, old pair still. */
	assert_int_equal(dp_mock_sa_count(p.a->dp), 3);
	assert_non_null(dp_mock_sa_find(p.a->dp, out0, DP_DIR_OUT));
	net_advance(p.n, 1500);
	expect_up(&p, 1);
	assert_null(dp_mock_sa_find(p.a->dp, out0, DP_DIR_OUT));
	net_free(p.n);
}

/* IKE SA rekey by either side: new IKE SPIs, the CHILD SAs untouched. */
static void
test_ike_rekey(void **state)
{
	unsigned who;

	(void)state;
	for (who = 0; who < 2; who++) {
		struct pair p;
		struct pcfg a = { .establish = IKE_EST_IMMEDIATELY };
		struct pcfg b = { .establish = IKE_EST_RESPONDER_ONLY };
		struct peer *ini;
		struct ike_sa_info s0, s1, r1;
		uint32_t in0, out0, in1, out1;
		struct ike_tunnel_info t;

		pair_new(&p, 50 + who, 60);
		pair_up(&p, &a, &b);
		expect_up(&p, 1);
		ini = who ? p.b : p.a;
		assert_true(peer_ike_sa(ini, &s0));
		child_spis(p.a, &in0, &out0);
		dp_mock_clear_log(p.a->dp);
		dp_mock_clear_log(p.b->dp);
		assert_int_equal(ike_engine_rekey_ike(ini->e, s0.index), 0);
		net_advance(p.n, 1000);
		expect_up(&p, 1);
		assert_true(peer_ike_sa(ini, &s1));
		assert_true(peer_ike_sa(who ? p.a : p.b, &r1));
		assert_int_not_equal(s1.spi_i, s0.spi_i);
		assert_int_equal(s1.spi_i, r1.spi_i);
		assert_int_equal(s1.spi_r, r1.spi_r);
		assert_true(s1.initiator);
		assert_false(r1.initiator);
		assert_int_equal(peer_ike_all(p.a), 1);
		assert_int_equal(peer_ike_all(p.b), 1);
		child_spis(p.a, &in1, &out1);
		assert_int_equal(in0, in1);
		assert_int_equal(out0, out1);
		/* Nothing touched the dataplane. */
		assert_int_equal(dp_mock_ncalls(p.a->dp), 0);
		assert_int_equal(dp_mock_ncalls(p.b->dp), 0);
		assert_true(peer_tunnel(p.a, &t));
		assert_int_equal(t.events[0].ev, IKE_EV_IKE_REKEYED);
		assert_int_equal(t.sa[0].ike_index, s1.index == t.sa[0].ike_index ? s1.index
			: t.sa[0].ike_index);
		/* The new IKE SA works: a CHILD rekey over it. */
		ike_engine_rekey_child(p.a->e, tunnel_id(p.a));
		net_advance(p.n, 1000);
		expect_up(&p, 1);
		net_free(p.n);
	}
}

/* Both sides rekey the same CHILD SA at once (RFC 7296 2.8.1): one new
 * CHILD SA survives on both sides, the redundant one and the old one go. */
static void
test_child_rekey_collision(void **state)
{
	uint64_t seed;
	unsigned a_won = 0, b_won = 0;

	(void)state;
	for (seed = 1; seed <= 12; seed++) {
		struct pair p;
		struct pcfg a = { .establish = IKE_EST_IMMEDIATELY, .pfs = seed % 3 ? 0 : 19 };
		struct pcfg b = { .establish = IKE_EST_RESPONDER_ONLY, .pfs = seed % 3 ? 0 : 19 };
		uint32_t in0, out0, in1, out1;
		struct ike_tunnel_info t;

		pair_new(&p, seed * 7, seed * 13 + 1);
		pair_up(&p, &a, &b);
		expect_up(&p, 1);
		child_spis(p.a, &in0, &out0);
		/* Both requests leave before either arrives. */
		assert_int_equal(ike_engine_rekey_child(p.a->e, tunnel_id(p.a)), 0);
		assert_int_equal(ike_engine_rekey_child(p.b->e, tunnel_id(p.b)), 0);
		net_advance(p.n, 2000);
		expect_up(&p, 1);
		child_spis(p.a, &in1, &out1);
		assert_int_not_equal(in1, in0);
		assert_int_not_equal(out1, out0);
		assert_null(dp_mock_sa_find(p.a->dp, in0, DP_DIR_IN));
		assert_null(dp_mock_sa_find(p.b->dp, out0, DP_DIR_IN));
		assert_true(peer_tunnel(p.a, &t));
		if (t.sa[0].initiator)
			a_won++;
		else
			b_won++;
		/* Long after: still exactly one pair, no grace-period leftovers. */
		net_advance(p.n, 60000);
		expect_up(&p, 1);
		net_free(p.n);
	}
	/* The nonces decided both ways over the seeds. */
	assert_true(a_won > 0);
	assert_true(b_won > 0);
}

/* Both sides rekey the IKE SA at once (RFC 7296 2.8.2). */
static void
test_ike_rekey_collision(void **state)
{
	uint64_t seed;
	unsigned a_won = 0, b_won = 0;

	(void)state;
	for (seed = 1; seed <= 12; seed++) {
		struct pair p;
		struct pcfg a = { .establish = IKE_EST_IMMEDIATELY };
		struct pcfg b = { .establish = IKE_EST_RESPONDER_ONLY };
		struct ike_sa_info sa, sb;
		uint32_t in0, out0, in1, out1;

		pair_new(&p, seed * 3, seed * 5 + 2);
		pair_up(&p, &a, &b);
		expect_up(&p, 1);
		child_spis(p.a, &in0, &out0);
		assert_true(peer_ike_sa(p.a, &sa));
		assert_true(peer_ike_sa(p.b, &sb));
		assert_int_equal(ike_engine_rekey_ike(p.a->e, sa.index), 0);
		assert_int_equal(ike_engine_rekey_ike(p.b->e, sb.index), 0);
		net_advance(p.n, 2000);
		expect_up(&p, 1);
		assert_int_equal(peer_ike_all(p.a), 1);
		assert_int_equal(peer_ike_all(p.b), 1);
		assert_true(peer_ike_sa(p.a, &sa));
		assert_true(peer_ike_sa(p.b, &sb));
		assert_int_equal(sa.spi_i, sb.spi_i);
		assert_int_equal(sa.spi_r, sb.spi_r);
		if (sa.initiator)
			a_won++;
		else
			b_won++;
		child_spis(p.a, &in1, &out1);
		assert_int_equal(in0, in1);
		assert_int_equal(out0, out1);
		/* The survivor carries on: rekey a CHILD SA over it. */
		ike_engine_rekey_child(p.b->e, tunnel_id(p.b));
		net_advance(p.n, 60000);
		expect_up(&p, 1);
		assert_int_equal(peer_ike_all(p.a), 1);
		assert_int_equal(peer_ike_all(p.b), 1);
		net_free(p.n);
	}
	assert_true(a_won > 0);
	assert_true(b_won > 0);
}

/* A CHILD rekey and an IKE rekey crossing (RFC 7296 2.25.2). */
static void
test_child_vs_ike_rekey(void **state)
{
	struct pair p;
	struct pcfg a = { .establish = IKE_EST_IMMEDIATELY };
	struct pcfg b = { .establish = IKE_EST_RESPONDER_ONLY };
	struct ike_sa_info sb;
	uint32_t in0, out0, in1, out1;

	(void)state;
	pair_new(&p, 71, 72);
	pair_up(&p, &a, &b);
	expect_up(&p, 1);
	child_spis(p.a, &in0, &out0);
	assert_true(peer_ike_sa(p.b, &sb));
	ike_engine_rekey_child(p.a->e, tunnel_id(p.a));
	ike_engine_rekey_ike(p.b->e, sb.index);
	net_advance(p.n, 30000);
	expect_up(&p, 1);
	assert_int_equal(peer_ike_all(p.a), 1);
	assert_int_equal(peer_ike_all(p.b), 1);
	child_spis(p.a, &in1, &out1);
	/* The CHILD rekey got TEMPORARY_FAILURE and was retried. */
	assert_int_not_equal(in0, in1);
	net_free(p.n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_site_to_site_calls),
		cmocka_unit_test(test_all_suites),
		cmocka_unit_test(test_invalid_ke),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_loss_and_duplicates),
		cmocka_unit_test(test_no_response),
		cmocka_unit_test(test_child_rekey),
		cmocka_unit_test(test_child_rekey_install_interval),
		cmocka_unit_test(test_ike_rekey),
		cmocka_unit_test(test_child_rekey_collision),
		cmocka_unit_test(test_ike_rekey_collision),
		cmocka_unit_test(test_child_vs_ike_rekey),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
