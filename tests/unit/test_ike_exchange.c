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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
