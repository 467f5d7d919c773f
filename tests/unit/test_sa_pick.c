/* SPDX-License-Identifier: MIT */
/*
 * test_sa_pick: which installed SA a dp_sa_update() names in the kernel
 * backend's table (xfrm/sa_pick.c). Two peers may choose the same outbound
 * SPI: an update must find its own tunnel's SA (also after the peer moved,
 * when only the new address is passed) and refuse what it cannot tell
 * apart, whatever the order of the table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sa_pick.h"

static struct dp_addr
a4(const char *s)
{
	struct dp_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, s, &a.u.v4), 1);
	return a;
}

static void
get(const void *tab, size_t i, struct sa_ident *out)
{
	*out = ((const struct sa_ident *)tab)[i];
}

static struct sa_ident
ent(uint32_t spi, enum dp_dir dir, const char *dst, uint32_t tunnel, bool larval)
{
	struct sa_ident e = { .spi = spi, .dir = dir, .tunnel_id = tunnel, .larval = larval };

	e.dst = a4(dst);
	return e;
}

static struct dp_sa
upd(uint32_t spi, enum dp_dir dir, uint32_t tunnel, const char *remote)
{
	struct dp_sa sa;

	memset(&sa, 0, sizeof(sa));
	sa.spi = spi;
	sa.dir = dir;
	sa.tunnel_id = tunnel;
	sa.local = a4("192.0.2.1");
	sa.remote = a4(remote);
	return sa;
}

/* The table, forwards or backwards: the answer must not depend on it. */
#define N_TAB 6
static struct sa_ident tab[N_TAB];

static void
fill(bool reversed)
{
	struct sa_ident t[N_TAB] = {
		ent(0x5151, DP_DIR_OUT, "192.0.2.20", 20, false),
		ent(0x5151, DP_DIR_OUT, "192.0.2.21", 21, false),
		ent(0x5151, DP_DIR_IN, "192.0.2.1", 20, false), /* inbound, same number */
		ent(0x6000, DP_DIR_IN, "192.0.2.1", 21, true),  /* an unused allocated SPI */
		ent(0x7000, DP_DIR_OUT, "192.0.2.30", 30, false),
		ent(0x7000, DP_DIR_OUT, "192.0.2.31", 30, false), /* same tunnel, same SPI */
	};

	for (size_t i = 0; i < N_TAB; i++)
		tab[i] = t[reversed ? N_TAB - 1 - i : i];
}

static void
check(bool reversed, uint32_t spi, enum dp_dir dir, uint32_t tunnel, const char *remote, int rc,
    enum sa_pick_how how, const char *want_dst, uint32_t want_tunnel)
{
	struct dp_sa sa = upd(spi, dir, tunnel, remote);
	struct sa_pick p;

	fill(reversed);
	assert_int_equal(sa_pick_update(tab, N_TAB, get, &sa, &p), rc);
	assert_int_equal(p.how, how);
	if (rc == 0) {
		struct dp_addr d = a4(want_dst);

		assert_true(p.at < N_TAB);
		assert_int_equal(tab[p.at].spi, spi);
		assert_int_equal(tab[p.at].dir, dir);
		assert_int_equal(tab[p.at].tunnel_id, want_tunnel);
		assert_memory_equal(&tab[p.at].dst.u.v4, &d.u.v4, 4);
	}
}

static void
both(uint32_t spi, enum dp_dir dir, uint32_t tunnel, const char *remote, int rc,
    enum sa_pick_how how, const char *want_dst, uint32_t want_tunnel)
{
	check(false, spi, dir, tunnel, remote, rc, how, want_dst, want_tunnel);
	check(true, spi, dir, tunnel, remote, rc, how, want_dst, want_tunnel);
}

/* A lifetime change (the destination is the current one). */
static void
test_same_spi_two_peers_exact(void **state)
{
	(void)state;
	both(0x5151, DP_DIR_OUT, 21, "192.0.2.21", 0, SA_PICK_EXACT, "192.0.2.21", 21);
	both(0x5151, DP_DIR_OUT, 20, "192.0.2.20", 0, SA_PICK_EXACT, "192.0.2.20", 20);
	/* no tunnel given, but the destination names one SA */
	both(0x5151, DP_DIR_OUT, 0, "192.0.2.21", 0, SA_PICK_EXACT, "192.0.2.21", 21);
}

/* The peer moved (NAT): only the new address is passed. */
static void
test_same_spi_two_peers_moved(void **state)
{
	(void)state;
	both(0x5151, DP_DIR_OUT, 21, "192.0.2.22", 0, SA_PICK_TUNNEL, "192.0.2.21", 21);
	both(0x5151, DP_DIR_OUT, 20, "198.51.100.7", 0, SA_PICK_TUNNEL, "192.0.2.20", 20);
}

static void
test_refusals(void **state)
{
	struct dp_sa sa = upd(0x5151, DP_DIR_OUT, 21, "192.0.2.20");
	struct sa_pick p;

	(void)state;
	/* tunnel 21's peer "moved" onto tunnel 20's SA: not tunnel 21's */
	fill(false);
	assert_int_equal(sa_pick_update(tab, N_TAB, get, &sa, &p), -EEXIST);
	assert_int_equal(p.how, SA_PICK_OTHER_TUNNEL);
	assert_int_equal(p.other, 20);
	/* no tunnel given and the SPI is shared: refused, not guessed */
	both(0x5151, DP_DIR_OUT, 0, "192.0.2.23", -EEXIST, SA_PICK_AMBIGUOUS, NULL, 0);
	sa = upd(0x5151, DP_DIR_OUT, 0, "192.0.2.23");
	assert_int_equal(sa_pick_update(tab, N_TAB, get, &sa, &p), -EEXIST);
	assert_int_equal(p.n, 2);
	/* two SAs of one tunnel with one SPI: which moved is ambiguous */
	both(0x7000, DP_DIR_OUT, 30, "192.0.2.32", -EEXIST, SA_PICK_AMBIGUOUS, NULL, 0);
	both(0x7000, DP_DIR_OUT, 30, "192.0.2.31", 0, SA_PICK_EXACT, "192.0.2.31", 30);
	/* no such SA in the tunnel, or at all */
	both(0x5151, DP_DIR_OUT, 22, "192.0.2.22", -ENOENT, SA_PICK_NONE, NULL, 0);
	both(0x9999, DP_DIR_OUT, 0, "192.0.2.22", -ENOENT, SA_PICK_NONE, NULL, 0);
}

static void
test_inbound(void **state)
{
	struct dp_sa sa = upd(0x5151, DP_DIR_IN, 20, "192.0.2.99");
	struct sa_pick p;

	(void)state;
	/* inbound: our address names it, the peer's may change */
	both(0x5151, DP_DIR_IN, 20, "192.0.2.99", 0, SA_PICK_EXACT, "192.0.2.1", 20);
	/* an allocated SPI not yet filled is never updated */
	both(0x6000, DP_DIR_IN, 21, "192.0.2.21", -ENOENT, SA_PICK_NONE, NULL, 0);
	/* another local address: no fallback by tunnel for inbound */
	fill(false);
	sa.local = a4("192.0.2.9");
	assert_int_equal(sa_pick_update(tab, N_TAB, get, &sa, &p), -ENOENT);
	assert_int_equal(p.how, SA_PICK_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_spi_two_peers_exact),
		cmocka_unit_test(test_same_spi_two_peers_moved),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_inbound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
