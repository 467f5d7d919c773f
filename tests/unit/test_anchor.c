/* SPDX-License-Identifier: MIT */
/*
 * test_anchor: the tunnel anchoring rules (anchor.c) of ARCHITECTURE.md:
 * least-loaded by tunnels / flow threads, same gateway pair -> same SPU,
 * dynamic tunnels round-robin, CHILD SAs with their IKE SA, adding or
 * removing one tunnel never moves another, explicit moves of one
 * gateway pair.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "anchor.h"
#include "dp.h"
#include "mock.h"

static struct dp_addr
a4(const char *s)
{
	struct dp_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, s, &a.u.v4), 1);
	return a;
}

static uint32_t
place_at(struct anchor *an, uint32_t id, const char *l, const char *r, uint64_t ike, bool dyn,
    uint32_t spu)
{
	struct anchor_req q;
	uint32_t got = 999;

	memset(&q, 0, sizeof(q));
	q.tunnel_id = id;
	q.ike_sa_id = ike;
	if (l != NULL)
		q.local = a4(l);
	if (r != NULL)
		q.remote = a4(r);
	q.dynamic = dyn;
	q.spu = spu;
	assert_int_equal(anchor_place(an, &q, &got), 0);
	return got;
}

static uint32_t
place(struct anchor *an, uint32_t id, const char *l, const char *r, uint64_t ike, bool dyn)
{
	return place_at(an, id, l, r, ike, dyn, DP_SPU_ANY);
}

static uint32_t
where(struct anchor *an, uint32_t id)
{
	uint32_t spu = 999;

	assert_int_equal(anchor_lookup(an, id, &spu), 0);
	return spu;
}

static void
test_least_loaded(void **state)
{
	struct anchor *an = anchor_new(4, NULL);
	char remote[32];
	uint32_t i, s;

	(void)state;
	assert_non_null(an);
	/* distinct gateways fill the SPUs evenly, lowest number first */
	for (i = 0; i < 8; i++) {
		snprintf(remote, sizeof(remote), "198.51.100.%u", i + 1);
		s = place(an, i + 1, "192.0.2.1", remote, 0, false);
		assert_int_equal(s, i % 4);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(anchor_spu_tunnels(an, i), 2);
	/* removing frees load where it was; the next tunnel goes there */
	assert_int_equal(anchor_remove(an, 7), 0); /* was on SPU 2 */
	s = place(an, 100, "192.0.2.1", "198.51.100.77", 0, false);
	assert_int_equal(s, 2);
	assert_int_equal(anchor_remove(an, 12345), -ENOENT);
	anchor_free(an);
}

static void
test_flow_threads(void **state)
{
	uint32_t ft[2] = { 1, 3 };
	struct anchor *an = anchor_new(2, ft);
	char remote[32];
	uint32_t i, s, n0 = 0, n1 = 0;

	(void)state;
	/* SPU 1 has three times the flow threads: it takes three times the tunnels */
	for (i = 0; i < 40; i++) {
		snprintf(remote, sizeof(remote), "198.51.100.%u", i + 1);
		s = place(an, i + 1, "192.0.2.1", remote, 0, false);
		if (s == 0)
			n0++;
		else
			n1++;
	}
	assert_int_equal(n0, 10);
	assert_int_equal(n1, 30);
	assert_int_equal(anchor_spu_flow_threads(an, 1), 3);
	anchor_free(an);
}

static void
test_same_gateways(void **state)
{
	struct anchor *an = anchor_new(3, NULL);
	uint32_t s1, s;

	(void)state;
	s1 = place(an, 1, "192.0.2.1", "198.51.100.1", 0, false);
	place(an, 2, "192.0.2.1", "198.51.100.2", 0, false);
	place(an, 3, "192.0.2.1", "198.51.100.3", 0, false);
	/* more tunnels between the first pair stay with it, whatever the load */
	for (uint32_t i = 10; i < 20; i++) {
		s = place(an, i, "192.0.2.1", "198.51.100.1", 0, false);
		assert_int_equal(s, s1);
	}
	assert_int_equal(anchor_spu_tunnels(an, s1), 11);
	/* the same remote from another local address is another pair */
	s = place(an, 30, "192.0.2.9", "198.51.100.1", 0, false);
	assert_int_not_equal(s, s1);
	/* re-placing an anchored tunnel keeps it */
	assert_int_equal(place(an, 2, "192.0.2.1", "198.51.100.2", 0, false), where(an, 2));
	anchor_free(an);
}

static void
test_dynamic_round_robin(void **state)
{
	struct anchor *an = anchor_new(3, NULL);
	char remote[32];
	uint32_t i;

	(void)state;
	/* load does not matter for dial-up tunnels */
	place(an, 100, "192.0.2.1", "203.0.113.1", 0, false); /* SPU 0 */
	for (i = 0; i < 9; i++) {
		snprintf(remote, sizeof(remote), "198.51.100.%u", i + 1);
		assert_int_equal(place(an, i + 1, "192.0.2.1", remote, 0, true), i % 3);
	}
	/* even from one peer address */
	assert_int_equal(place(an, 20, "192.0.2.1", "198.51.100.1", 0, true), 0);
	assert_int_equal(place(an, 21, "192.0.2.1", "198.51.100.1", 0, true), 1);
	anchor_free(an);
}

static void
test_child_sas_follow_ike(void **state)
{
	struct anchor *an = anchor_new(4, NULL);
	uint32_t s;

	(void)state;
	place(an, 1, "192.0.2.1", "198.51.100.1", 0, false);
	/* a dial-up IKE SA: its CHILD SAs share an SPU though each is dynamic */
	s = place(an, 2, "192.0.2.1", "198.51.100.2", 77, true);
	assert_int_equal(place(an, 3, "192.0.2.1", "198.51.100.2", 77, true), s);
	assert_int_equal(place(an, 4, "192.0.2.1", "198.51.100.2", 77, true), s);
	/* after the first CHILD SA is gone the others still pull new ones */
	assert_int_equal(anchor_remove(an, 2), 0);
	assert_int_equal(place(an, 5, "192.0.2.1", "198.51.100.2", 77, true), s);
	/* another IKE SA from the same peer is a new placement */
	assert_int_not_equal(place(an, 6, "192.0.2.1", "198.51.100.2", 78, true), 999);
	anchor_free(an);
}

/*
 * iked sets a tunnel from the configuration before it has an IKE SA (and,
 * without a configured local-address, before it knows its local gateway),
 * then again with the IKE SA and both gateways once it is up. What the
 * second call brings must count for the rules: the next CHILD SA of that
 * IKE SA and the next tunnel of that gateway pair go to its SPU, and a
 * gateway move moves it, though the call itself moves nothing.
 */
static void
test_late_ike_sa_and_gateways(void **state)
{
	struct anchor *an = anchor_new(2, NULL);
	struct dp_addr l = a4("192.0.2.1"), r = a4("198.51.100.2");
	uint32_t moved = 0;

	(void)state;
	assert_int_equal(place(an, 1, NULL, "198.51.100.2", 0, false), 0);
	assert_int_equal(place(an, 2, NULL, "198.51.100.3", 0, false), 1);
	assert_int_equal(place(an, 3, NULL, "198.51.100.4", 0, false), 0);
	/* SPU 0 has two tunnels, SPU 1 one: new placements lean to SPU 1 */
	assert_int_equal(place(an, 1, "192.0.2.1", "198.51.100.2", 7, false), 0);
	assert_int_equal(anchor_spu_tunnels(an, 0), 2);
	/* a second CHILD SA of IKE SA 7 goes where its IKE SA is */
	assert_int_equal(place(an, 4, "192.0.2.9", "198.51.100.9", 7, false), 0);
	/* a tunnel of the same gateway pair without an IKE SA yet, too */
	assert_int_equal(place(an, 5, "192.0.2.1", "198.51.100.2", 0, false), 0);
	/* a dial-up CHILD SA of an IKE SA learnt late follows it as well */
	assert_int_equal(place(an, 6, NULL, NULL, 0, true), 0); /* round-robin: first */
	assert_int_equal(place(an, 6, "192.0.2.1", "203.0.113.5", 8, true), 0);
	assert_int_equal(place(an, 7, "192.0.2.1", "203.0.113.5", 8, true), 0);
	/* the gateway pair learnt late is moved by an operator's request */
	assert_int_equal(anchor_move_gateway(an, &l, &r, 1, NULL, NULL, &moved), 0);
	assert_int_equal(moved, 2); /* tunnels 1 and 5 */
	assert_int_equal(where(an, 1), 1);
	assert_int_equal(where(an, 5), 1);
	assert_int_equal(where(an, 3), 0);
	/* a tunnel re-set under a new IKE SA lineage pulls that one's CHILD SAs */
	assert_int_equal(place(an, 3, "192.0.2.1", "198.51.100.4", 9, false), 0);
	assert_int_equal(place(an, 8, "192.0.2.1", "198.51.100.8", 9, false), 0);
	/* the old lineage of tunnel 1 is gone with its tunnels */
	assert_int_equal(anchor_remove(an, 1), 0);
	assert_int_equal(anchor_remove(an, 4), 0);
	assert_int_equal(anchor_spu_tunnels(an, 0) + anchor_spu_tunnels(an, 1), 6);
	anchor_free(an);
}

static void
test_stability(void **state)
{
	struct anchor *an = anchor_new(4, NULL);
	uint32_t before[64], i, j;
	char remote[32];

	(void)state;
	for (i = 0; i < 64; i++) {
		snprintf(remote, sizeof(remote), "198.51.100.%u", (i % 20) + 1);
		place(an, i + 1, "192.0.2.1", remote, i % 7 == 0 ? i : 0, i % 5 == 0);
	}
	for (i = 0; i < 64; i++)
		before[i] = where(an, i + 1);
	/* remove every third, add new ones: nobody else moves */
	for (i = 0; i < 64; i += 3)
		assert_int_equal(anchor_remove(an, i + 1), 0);
	for (j = 0; j < 30; j++) {
		snprintf(remote, sizeof(remote), "203.0.113.%u", j + 1);
		place(an, 1000 + j, "192.0.2.1", remote, 0, j % 2 == 0);
		for (i = 0; i < 64; i++)
			if (i % 3 != 0)
				assert_int_equal(where(an, i + 1), before[i]);
	}
	anchor_free(an);
}

static void
test_move_gateway(void **state)
{
	struct anchor *an = anchor_new(4, NULL);
	struct dp_addr l = a4("192.0.2.1"), r = a4("198.51.100.1");
	uint32_t moved = 0, s_other, pin = 0;

	(void)state;
	place(an, 1, "192.0.2.1", "198.51.100.1", 0, false); /* SPU 0 */
	place(an, 2, "192.0.2.1", "198.51.100.1", 0, false); /* SPU 0: same pair */
	s_other = place(an, 3, "192.0.2.1", "198.51.100.2", 0, false);
	assert_int_equal(anchor_pin(an, &l, &r, &pin), -ENOENT); /* has tunnels, no pin */
	assert_int_equal(anchor_move_gateway(an, &l, &r, 3, NULL, NULL, &moved), 0);
	assert_int_equal(moved, 2);
	assert_int_equal(anchor_pin(an, &l, &r, &pin), 0);
	assert_int_equal(pin, 3);
	assert_int_equal(where(an, 1), 3);
	assert_int_equal(where(an, 2), 3);
	assert_int_equal(where(an, 3), s_other); /* another gateway: untouched */
	assert_int_equal(anchor_spu_tunnels(an, 0), 0);
	assert_int_equal(anchor_spu_tunnels(an, 3), 2);
	/* later tunnels of the pair follow the pin, even after the pair emptied */
	anchor_remove(an, 1);
	anchor_remove(an, 2);
	assert_int_equal(place(an, 4, "192.0.2.1", "198.51.100.1", 0, false), 3);
	/* out of range, unpin */
	assert_int_equal(anchor_move_gateway(an, &l, &r, 9, NULL, NULL, &moved), -EINVAL);
	assert_int_equal(anchor_move_gateway(an, &l, &r, DP_SPU_ANY, NULL, NULL, &moved), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(where(an, 4), 3);
	assert_int_equal(anchor_pin(an, &l, &r, &pin), -ENOENT);
	anchor_free(an);
}

/*
 * An explicit gateway move takes the gateway's dial-up tunnels too (those
 * whose gateways are the pair's, also when learnt after placement), with
 * their IKE SAs; the pin takes the gateway's later dial-up tunnels.
 */
static void
test_move_gateway_dialup(void **state)
{
	struct anchor *an = anchor_new(4, NULL);
	struct dp_addr l = a4("192.0.2.1"), r = a4("203.0.113.7");
	uint32_t moved = 0, s_other, s_late;

	(void)state;
	assert_int_equal(place(an, 1, "192.0.2.1", "203.0.113.7", 10, true), 0);
	assert_int_equal(place(an, 2, "192.0.2.1", "203.0.113.7", 11, true), 1);
	s_other = place(an, 3, "192.0.2.1", "203.0.113.8", 12, true); /* another peer */
	s_late = place(an, 4, NULL, NULL, 0, true);                   /* gateways not known yet */
	assert_int_equal(place(an, 4, "192.0.2.1", "203.0.113.7", 13, true), s_late);
	assert_int_equal(place(an, 5, "192.0.2.1", "203.0.113.7", 0, false), 0); /* site-to-site */
	assert_int_equal(anchor_gateway_tunnels(an, &l, &r, 2, NULL, NULL, &moved), 0);
	assert_int_equal(moved, 4);
	assert_int_equal(where(an, 1), 0); /* listing moves nothing */
	assert_int_equal(anchor_move_gateway(an, &l, &r, 2, NULL, NULL, &moved), 0);
	assert_int_equal(moved, 4);
	assert_int_equal(where(an, 1), 2);
	assert_int_equal(where(an, 2), 2);
	assert_int_equal(where(an, 3), s_other);
	assert_int_equal(where(an, 4), 2);
	assert_int_equal(where(an, 5), 2);
	/* their IKE SAs followed: the next CHILD SA goes there */
	assert_int_equal(place(an, 6, NULL, NULL, 11, true), 2);
	/* a new dial-up tunnel of that gateway goes to the pin; of another
	 * peer, still round-robin */
	assert_int_equal(place(an, 7, "192.0.2.1", "203.0.113.7", 0, true), 2);
	s_other = place(an, 8, "192.0.2.1", "203.0.113.9", 0, true);
	assert_int_equal(place(an, 9, "192.0.2.1", "203.0.113.9", 0, true), (s_other + 1) % 4);
	anchor_free(an);
}

/* The front end re-programs a moved dial-up tunnel in the backend. */
static void
test_front_end_move_dialup(void **state)
{
	struct dp_config cfg = { .backend = DP_BACKEND_MOCK, .spus = 2 };
	struct errbuf err = { .msg = "" };
	struct dp_tunnel t;
	struct dp_mock *m;
	struct dp *dp;
	uint32_t spu, moved = 0;

	(void)state;
	errbuf_clear(&err);
	assert_int_equal(dp_open(&cfg, &dp, &err), 0);
	m = dp_mock_last();
	memset(&t, 0, sizeof(t));
	t.id = 9;
	t.spu = DP_SPU_ANY;
	t.dynamic = true;
	t.ike_sa_id = 77;
	t.local_gw = a4("192.0.2.1");
	t.remote_gw = a4("203.0.113.7");
	assert_int_equal(dp_tunnel_set(dp, &t, &spu, &err), 0);
	assert_int_equal(
	    dp_anchor_move(dp, &t.local_gw, &t.remote_gw, (spu + 1) % 2, &moved, &err), 0);
	assert_int_equal(moved, 1);
	assert_int_equal(dp_mock_tunnel_find(m, 9)->spu, (spu + 1) % 2);
	assert_int_equal(dp_tunnel_spu(dp, 9, &moved), 0);
	assert_int_equal(moved, (spu + 1) % 2);
	dp_close(dp);
}

static void
test_explicit(void **state)
{
	struct anchor *an = anchor_new(2, NULL);
	struct anchor_req q;
	uint32_t s;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.tunnel_id = 1;
	q.spu = 1;
	assert_int_equal(anchor_place(an, &q, &s), 0);
	assert_int_equal(s, 1);
	q.spu = 5;
	assert_int_equal(anchor_place(an, &q, &s), -EINVAL);
	/* an explicit request moves that tunnel only */
	q.tunnel_id = 1;
	q.spu = 0;
	assert_int_equal(anchor_place(an, &q, &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(anchor_spu_tunnels(an, 0), 1);
	assert_int_equal(anchor_spu_tunnels(an, 1), 0);
	assert_null(anchor_new(0, NULL));
	anchor_free(an);
	anchor_free(NULL);
}

/*
 * An explicit move of one tunnel: its IKE SA and gateway pair follow it
 * when it leaves none of their tunnels behind (the next CHILD SA goes where
 * its IKE SA's tunnels are), and stay with the others when it does (no
 * other tunnel moves); a pin stays where the operator put it.
 */
static void
test_explicit_move_one(void **state)
{
	struct anchor *an = anchor_new(4, NULL);
	struct dp_addr l = a4("192.0.2.1"), r3 = a4("198.51.100.3");

	(void)state;
	/* the IKE SA's only tunnel moves: its next CHILD SA follows */
	assert_int_equal(place(an, 1, "192.0.2.1", "198.51.100.1", 10, false), 0);
	assert_int_equal(place_at(an, 1, "192.0.2.1", "198.51.100.1", 10, false, 2), 2);
	assert_int_equal(place(an, 2, NULL, NULL, 10, false), 2);
	/* ... and so does the pair's next tunnel (another IKE SA) */
	assert_int_equal(place(an, 3, "192.0.2.1", "198.51.100.1", 11, false), 2);

	/* two CHILD SAs: moving one leaves the IKE SA with the other */
	assert_int_equal(place(an, 4, "192.0.2.1", "198.51.100.2", 20, false), 0);
	assert_int_equal(place(an, 5, "192.0.2.1", "198.51.100.2", 20, false), 0);
	assert_int_equal(place_at(an, 4, "192.0.2.1", "198.51.100.2", 20, false, 3), 3);
	assert_int_equal(where(an, 5), 0); /* never moves another */
	assert_int_equal(place(an, 6, NULL, NULL, 20, false), 0);
	assert_int_equal(place(an, 7, "192.0.2.1", "198.51.100.2", 0, false), 0);
	/* once none is left behind, the IKE SA and the pair are where they are */
	assert_int_equal(place_at(an, 5, NULL, NULL, 0, false, 3), 3);
	assert_int_equal(place_at(an, 6, NULL, NULL, 0, false, 3), 3);
	assert_int_equal(place_at(an, 7, NULL, NULL, 0, false, 3), 3);
	assert_int_equal(place(an, 8, NULL, NULL, 20, false), 3);
	assert_int_equal(place(an, 9, "192.0.2.1", "198.51.100.2", 0, false), 3);

	/* a pinned pair keeps its pin when its only tunnel is moved alone */
	assert_int_equal(anchor_move_gateway(an, &l, &r3, 1, NULL, NULL, NULL), 0);
	assert_int_equal(place(an, 10, "192.0.2.1", "198.51.100.3", 30, false), 1);
	assert_int_equal(place_at(an, 10, "192.0.2.1", "198.51.100.3", 30, false, 2), 2);
	assert_int_equal(place(an, 11, "192.0.2.1", "198.51.100.3", 0, false), 1);
	assert_int_equal(place(an, 12, NULL, NULL, 30, false), 2); /* IKE SA: rule 2 */
	anchor_free(an);
}

static struct dp_ts
ts4(const char *lo, const char *hi, uint16_t port)
{
	struct dp_ts t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	t.proto = port ? 6 : 0;
	t.port_lo = port;
	t.port_hi = port ? port : 65535;
	t.addr_lo = a4(lo);
	t.addr_hi = a4(hi);
	return t;
}

/* The front end (dp.c) keeps each tunnel with only the selectors it uses
 * and rebuilds the whole dp_tunnel when an anchor move re-programs it. */
static void
test_front_end_move_keeps_tunnel(void **state)
{
	struct dp_config cfg = { .backend = DP_BACKEND_MOCK, .spus = 4 };
	struct errbuf err = { .msg = "" };
	struct dp_tunnel t, many;
	const struct dp_tunnel *got;
	struct dp_mock *m;
	struct dp *dp;
	uint32_t spu, moved, i;

	(void)state;
	errbuf_clear(&err);
	assert_int_equal(dp_open(&cfg, &dp, &err), 0);
	assert_string_equal(dp_backend_reason(dp), "named by the configuration");
	m = dp_mock_last();
	memset(&t, 0, sizeof(t));
	t.id = 7;
	t.unit = 3;
	t.spu = DP_SPU_ANY;
	t.local_gw = a4("192.0.2.1");
	t.remote_gw = a4("192.0.2.2");
	t.nexthop = a4("10.9.9.9");
	t.ike_sa_id = 42;
	t.on_traffic = true;
	t.n_local_ts = 1;
	t.local_ts[0] = ts4("10.1.0.0", "10.1.255.255", 0);
	t.n_remote_ts = 2;
	t.remote_ts[0] = ts4("10.2.0.0", "10.2.0.255", 0);
	t.remote_ts[1] = ts4("10.3.0.1", "10.3.0.1", 443);
	assert_int_equal(dp_tunnel_set(dp, &t, &spu, &err), 0);

	assert_int_equal(
	    dp_anchor_move(dp, &t.local_gw, &t.remote_gw, (spu + 1) % 4, &moved, &err), 0);
	assert_int_equal(moved, 1);
	got = dp_mock_tunnel_find(m, 7);
	assert_non_null(got);
	assert_int_equal(got->spu, (spu + 1) % 4);
	t.spu = got->spu;
	assert_memory_equal(got, &t, sizeof(t));

	/* more selectors than before, then none: the record follows */
	many = t;
	many.spu = DP_SPU_ANY;
	many.n_local_ts = DP_TS_MAX;
	many.n_remote_ts = DP_TS_MAX;
	for (i = 0; i < DP_TS_MAX; i++) {
		many.local_ts[i] = ts4("10.1.0.0", "10.1.0.255", (uint16_t)(100 + i));
		many.remote_ts[i] = ts4("10.4.0.0", "10.4.0.255", (uint16_t)(200 + i));
	}
	assert_int_equal(dp_tunnel_set(dp, &many, &spu, &err), 0);
	assert_int_equal(
	    dp_anchor_move(dp, &t.local_gw, &t.remote_gw, (spu + 1) % 4, &moved, &err), 0);
	got = dp_mock_tunnel_find(m, 7);
	assert_non_null(got);
	many.spu = (spu + 1) % 4;
	assert_memory_equal(got, &many, sizeof(many));

	t.spu = DP_SPU_ANY;
	t.n_local_ts = t.n_remote_ts = 0;
	memset(t.local_ts, 0, sizeof(t.local_ts));
	memset(t.remote_ts, 0, sizeof(t.remote_ts));
	assert_int_equal(dp_tunnel_set(dp, &t, &spu, &err), 0);
	assert_int_equal(
	    dp_anchor_move(dp, &t.local_gw, &t.remote_gw, (spu + 3) % 4, &moved, &err), 0);
	got = dp_mock_tunnel_find(m, 7);
	assert_non_null(got);
	t.spu = (spu + 3) % 4;
	assert_memory_equal(got, &t, sizeof(t));

	assert_int_equal(dp_tunnel_del(dp, 7, &err), 0);
	assert_null(dp_mock_tunnel_find(m, 7));
	dp_close(dp);
}

/*
 * A backend failure during an explicit gateway move leaves everything as
 * it was: the tunnels already moved go back, the anchor and the pin do not
 * change, and the message says so.
 */
static void
test_front_end_move_atomic(void **state)
{
	struct dp_config cfg = { .backend = DP_BACKEND_MOCK, .spus = 4 };
	struct errbuf err = { .msg = "" };
	struct dp_tunnel t;
	struct dp_mock *m;
	struct dp *dp;
	uint32_t spu, moved, id, stuck;

	(void)state;
	errbuf_clear(&err);
	assert_int_equal(dp_open(&cfg, &dp, &err), 0);
	m = dp_mock_last();
	memset(&t, 0, sizeof(t));
	t.spu = DP_SPU_ANY;
	t.local_gw = a4("192.0.2.1");
	t.remote_gw = a4("192.0.2.2");
	for (id = 1; id <= 3; id++) {
		t.id = id;
		assert_int_equal(dp_tunnel_set(dp, &t, &spu, &err), 0);
		assert_int_equal(spu, 0);
	}
	/* the second tunnel the backend moves fails */
	dp_mock_clear_log(m);
	dp_mock_fail_nth(m, DPM_TUNNEL_SET, 2, 1, EIO);
	moved = 99;
	assert_int_equal(dp_anchor_move(dp, &t.local_gw, &t.remote_gw, 1, &moved, &err), -EIO);
	assert_int_equal(moved, 0);
	assert_non_null(strstr(err.msg, "anchor move to SPU 1: tunnel "));
	assert_non_null(strstr(err.msg, "nothing moved"));
	/* moved, refused, moved back */
	assert_int_equal(dp_mock_count(m, DPM_TUNNEL_SET), 3);
	assert_int_equal(dp_mock_call_at(m, 2)->spu, 0);
	for (id = 1; id <= 3; id++) {
		assert_int_equal(dp_tunnel_spu(dp, id, &spu), 0);
		assert_int_equal(spu, 0);
		assert_int_equal(dp_mock_tunnel_find(m, id)->spu, 0);
	}
	assert_int_equal(dp_spu_count(dp), 4);

	/* a refused move pins nothing: the pair's next tunnel, once the
	 * pair is empty, goes to the least-loaded SPU (0), not to 1 */
	for (id = 1; id <= 3; id++)
		assert_int_equal(dp_tunnel_del(dp, id, &err), 0);
	t.id = 4;
	assert_int_equal(dp_tunnel_set(dp, &t, &spu, &err), 0);
	assert_int_equal(spu, 0);

	/* the tunnel moved first cannot be taken back either: it stays moved,
	 * and its anchor says so; the others stay; still no pin */
	t.id = 5;
	assert_int_equal(dp_tunnel_set(dp, &t, &spu, &err), 0);
	t.id = 6;
	assert_int_equal(dp_tunnel_set(dp, &t, &spu, &err), 0);
	dp_mock_clear_log(m);
	dp_mock_fail_nth(m, DPM_TUNNEL_SET, 2, 2, EIO);
	errbuf_clear(&err);
	assert_int_equal(dp_anchor_move(dp, &t.local_gw, &t.remote_gw, 1, &moved, &err), -EIO);
	assert_int_equal(moved, 1);
	assert_non_null(strstr(err.msg, "1 tunnel(s) could not be moved back and stay on SPU 1"));
	assert_int_equal(dp_mock_count(m, DPM_TUNNEL_SET), 3);
	stuck = dp_mock_call_at(m, 0)->id;
	for (id = 4; id <= 6; id++) {
		uint32_t want = id == stuck ? 1 : 0;

		assert_int_equal(dp_tunnel_spu(dp, id, &spu), 0);
		assert_int_equal(spu, want);
		assert_int_equal(dp_mock_tunnel_find(m, id)->spu, want);
	}
	for (id = 4; id <= 6; id++)
		assert_int_equal(dp_tunnel_del(dp, id, &err), 0);
	t.id = 4;
	assert_int_equal(dp_tunnel_set(dp, &t, &spu, &err), 0);
	assert_int_equal(spu, 0);

	/* the same move without a failure: all of it */
	t.id = 5;
	assert_int_equal(dp_tunnel_set(dp, &t, &spu, &err), 0);
	errbuf_clear(&err);
	assert_int_equal(dp_anchor_move(dp, &t.local_gw, &t.remote_gw, 1, &moved, &err), 0);
	assert_int_equal(moved, 2);
	for (id = 4; id <= 5; id++) {
		assert_int_equal(dp_tunnel_spu(dp, id, &spu), 0);
		assert_int_equal(spu, 1);
		assert_int_equal(dp_mock_tunnel_find(m, id)->spu, 1);
	}
	dp_close(dp);
}

/* The mock keeps what a real backend keeps: dp.h's tunnel_del takes what is
 * left of the tunnel's SAs and policies with it (as userspace and kernel do). */
static void
test_mock_tunnel_del(void **state)
{
	struct dp_config cfg = { .backend = DP_BACKEND_MOCK, .spus = 2 };
	struct errbuf err = { .msg = "" };
	struct dp_tunnel t;
	struct dp_policy p;
	struct dp_sa sa;
	struct dp_mock *m;
	struct dp *dp;
	uint32_t spu;

	(void)state;
	assert_int_equal(dp_open(&cfg, &dp, &err), 0);
	m = dp_mock_last();
	memset(&t, 0, sizeof(t));
	t.unit = DP_UNIT_NONE;
	t.spu = DP_SPU_ANY;
	t.local_gw = a4("192.0.2.1");
	t.remote_gw = a4("192.0.2.2");
	for (t.id = 1; t.id <= 2; t.id++)
		assert_int_equal(dp_tunnel_set(dp, &t, &spu, &err), 0);
	memset(&sa, 0, sizeof(sa));
	sa.local = t.local_gw;
	sa.remote = t.remote_gw;
	sa.enc = DP_ENC_AES_GCM_128;
	sa.enc_key_len = 20;
	for (sa.spi = 0x100; sa.spi < 0x106; sa.spi++) {
		sa.tunnel_id = sa.spi % 2 ? 2 : 1;
		sa.dir = sa.spi % 3 ? DP_DIR_IN : DP_DIR_OUT;
		assert_int_equal(dp_sa_add(dp, &sa, &err), 0);
	}
	memset(&p, 0, sizeof(p));
	p.sel_src = ts4("10.1.0.0", "10.1.0.255", 0);
	p.sel_dst = ts4("10.2.0.0", "10.2.0.255", 0);
	for (p.id = 1; p.id <= 4; p.id++) {
		p.tunnel_id = p.id % 2 ? 2 : 1;
		assert_int_equal(dp_policy_add(dp, &p, &err), 0);
	}
	assert_int_equal(dp_mock_sa_count(m), 6);
	assert_int_equal(dp_tunnel_del(dp, 1, &err), 0);
	assert_int_equal(dp_mock_sa_count(m), 3);
	for (size_t i = 0; i < dp_mock_sa_count(m); i++)
		assert_int_equal(dp_mock_sa_at(m, i)->tunnel_id, 2);
	assert_non_null(dp_mock_sa_find(m, 0x101, DP_DIR_IN));
	assert_null(dp_mock_sa_find(m, 0x102, DP_DIR_IN));
	/* tunnel 1's policies went with it; tunnel 2's are there */
	assert_int_equal(dp_policy_del(dp, 2, &err), -ENOENT);
	assert_int_equal(dp_policy_del(dp, 4, &err), -ENOENT);
	assert_int_equal(dp_policy_del(dp, 1, &err), 0);
	assert_int_equal(dp_policy_del(dp, 3, &err), 0);
	dp_close(dp);
}

/* The mock's log: every call in order with the arguments it was given. */
static void
test_mock_records_arguments(void **state)
{
	struct dp_config cfg = { .backend = DP_BACKEND_MOCK, .spus = 2 };
	struct errbuf err = { .msg = "" };
	struct dp_unit u;
	struct dp_route r;
	struct dp_tunnel t;
	struct dp_policy p;
	struct dp_sa sa;
	struct dp_addr l = a4("192.0.2.1"), rem = a4("192.0.2.2");
	const struct dp_mock_call *c;
	struct dp_mock *m;
	struct dp *dp;
	uint32_t spu, spi;

	(void)state;
	assert_int_equal(dp_open(&cfg, &dp, &err), 0);
	m = dp_mock_last();
	dp_mock_clear_log(m);
	memset(&u, 0, sizeof(u));
	u.unit = 4;
	u.mtu = 1380;
	u.up = true;
	u.multipoint = true;
	u.addr4.addr = a4("10.255.4.1");
	u.addr4.len = 30;
	assert_int_equal(dp_unit_set(dp, &u, &err), 0);
	memset(&r, 0, sizeof(r));
	r.dst.addr = a4("10.8.0.0");
	r.dst.len = 16;
	r.unit = 4;
	r.nexthop = a4("10.255.4.2");
	r.metric = 7;
	r.table = 220;
	assert_int_equal(dp_route_add(dp, &r, &err), 0);
	memset(&t, 0, sizeof(t));
	t.id = 9;
	t.unit = 4;
	t.spu = DP_SPU_ANY;
	t.local_gw = l;
	t.remote_gw = rem;
	assert_int_equal(dp_tunnel_set(dp, &t, &spu, &err), 0);
	memset(&p, 0, sizeof(p));
	p.id = 3;
	p.tunnel_id = 9;
	p.dir = DP_DIR_IN;
	p.priority = 12;
	p.reqid = 99;
	p.sel_src = ts4("10.1.0.0", "10.1.0.255", 0);
	p.sel_dst = ts4("10.2.0.1", "10.2.0.1", 443);
	assert_int_equal(dp_policy_add(dp, &p, &err), 0);
	assert_int_equal(dp_spi_alloc(dp, &l, &rem, spu, &spi, &err), 0);
	memset(&sa, 0, sizeof(sa));
	sa.spi = spi;
	sa.tunnel_id = 9;
	sa.local = l;
	sa.remote = rem;
	sa.enc = DP_ENC_AES_GCM_128;
	sa.enc_key_len = 20;
	assert_int_equal(dp_sa_add(dp, &sa, &err), 0);
	sa.life.hard_bytes = 1000;
	sa.spu = spu;
	assert_int_equal(dp_sa_update(dp, &sa, DP_SA_UPD_LIFETIME, &err), 0);
	assert_int_equal(dp_route_del(dp, &r, &err), 0);

	assert_int_equal(dp_mock_ncalls(m), 8);
	c = dp_mock_call_at(m, 0);
	assert_int_equal(c->op, DPM_UNIT_SET);
	assert_memory_equal(&c->unit, &u, sizeof(u));
	c = dp_mock_call_at(m, 1);
	assert_int_equal(c->op, DPM_ROUTE_ADD);
	assert_memory_equal(&c->route, &r, sizeof(r));
	assert_int_equal(dp_mock_call_at(m, 2)->op, DPM_TUNNEL_SET);
	c = dp_mock_call_at(m, 3);
	assert_int_equal(c->op, DPM_POLICY_ADD);
	assert_int_equal(c->id, 3);
	assert_memory_equal(&c->policy, &p, sizeof(p));
	c = dp_mock_call_at(m, 4);
	assert_int_equal(c->op, DPM_SPI_ALLOC);
	assert_int_equal(c->spi, spi);
	assert_memory_equal(&c->local, &l, sizeof(l));
	assert_memory_equal(&c->addr, &rem, sizeof(rem));
	assert_int_equal(dp_mock_call_at(m, 5)->op, DPM_SA_ADD);
	c = dp_mock_call_at(m, 6);
	assert_int_equal(c->op, DPM_SA_UPDATE);
	assert_int_equal(c->spu, spu);
	assert_int_equal(c->what, DP_SA_UPD_LIFETIME);
	assert_int_equal(c->sa.life.hard_bytes, 1000);
	c = dp_mock_call_at(m, 7);
	assert_int_equal(c->op, DPM_ROUTE_DEL);
	assert_memory_equal(&c->route, &r, sizeof(r));
	dp_close(dp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_least_loaded),
		cmocka_unit_test(test_flow_threads),
		cmocka_unit_test(test_same_gateways),
		cmocka_unit_test(test_dynamic_round_robin),
		cmocka_unit_test(test_child_sas_follow_ike),
		cmocka_unit_test(test_late_ike_sa_and_gateways),
		cmocka_unit_test(test_stability),
		cmocka_unit_test(test_move_gateway),
		cmocka_unit_test(test_move_gateway_dialup),
		cmocka_unit_test(test_front_end_move_dialup),
		cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_explicit_move_one),
		cmocka_unit_test(test_front_end_move_keeps_tunnel),
		cmocka_unit_test(test_front_end_move_atomic),
		cmocka_unit_test(test_mock_tunnel_del),
		cmocka_unit_test(test_mock_records_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
