/* SPDX-License-Identifier: MIT */
/*
 * test_iked_nb: cairn-iked's northbound side without cairn-mgd. Two
 * daemons (cairn-iked-core) with the mock dataplane receive whole
 * configurations through nb_test_commit(), as mgd's resynchronisation
 * sends them; their engines talk through an in-memory queue. Checks the
 * translation into ike_conf and the dataplane, the refusals `commit
 * check` must report (with their [edit] blocks), PREPARE/ABORT of
 * dataplane resources, that a commit touches only what it changed (SPIs
 * of untouched tunnels survive), manual and policy-based VPNs, multipoint
 * bindings, and the operational RPCs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <libyang/libyang.h>

#include "buf.h"
#include "cfg.h"
#include "iked.h"
#include "ipc_msg.h"
#include "log.h"
#include "mock.h"

struct pkt {
	int to;
	struct ike_dgram d;
	uint8_t *buf;
};

struct site {
	int idx;
	struct iked *d;
	struct dp_mock *m;
	struct lyd_node *tree;
	struct ike_addr addr;
};

static struct cfg_schema *schema;
static struct event_base *base;
static struct site S[2];
static struct pkt *q;
static size_t q_head, q_n, q_cap;

static int
tsend(void *ctx, const struct ike_dgram *d)
{
	struct site *s = ctx;
	struct pkt *p;

	if (q_n == q_cap) {
		q_cap = q_cap ? q_cap * 2 : 64;
		q = realloc(q, q_cap * sizeof(*q));
		assert_non_null(q);
	}
	p = &q[q_n++];
	p->to = 1 - s->idx;
	p->d = *d;
	p->buf = malloc(d->len ? d->len : 1);
	assert_non_null(p->buf);
	memcpy(p->buf, d->data, d->len);
	p->d.data = p->buf;
	if (!ike_addr_is_set(&p->d.local.addr))
		p->d.local.addr = s->addr;
	return 0;
}

static unsigned deliver(void);

/* Delivers queued datagrams (and their answers) until none is left. */
static unsigned
pump(void)
{
	unsigned n = 0, round;

	for (round = 0; round < 8; round++) {
		/* timers due now (a retry at once, after a clear) */
		if (S[0].d && S[0].d->e)
			ike_engine_run_timers(S[0].d->e);
		if (S[1].d && S[1].d->e)
			ike_engine_run_timers(S[1].d->e);
		if (q_head == q_n)
			break;
		n += deliver();
	}
	return n;
}

static unsigned
deliver(void)
{
	unsigned n = 0;

	while (q_head < q_n) {
		struct pkt p = q[q_head++];
		struct ike_dgram in = p.d;
		struct site *to = &S[p.to];

		in.local = p.d.remote;
		in.remote = p.d.local;
		if (to->d->e && in.kind == IKE_DGRAM_IKE)
			ike_engine_input(to->d->e, &in);
		free(p.buf);
		n++;
	}
	q_head = q_n = 0;
	return n;
}

static void
site_init(int i)
{
	struct iked_opts o;
	struct errbuf err = { .msg = "" };

	memset(&o, 0, sizeof(o));
	o.test_mock_dp = true;
	o.test_no_sockets = true;
	o.test_send = tsend;
	o.test_ctx = &S[i];
	S[i].idx = i;
	S[i].tree = NULL;
	S[i].m = NULL;
	ike_addr_parse(i == 0 ? "192.0.2.1" : "192.0.2.2", &S[i].addr);
	errbuf_clear(&err);
	S[i].d = iked_new(base, cfg_schema_ctx(schema), &o, &err);
	if (!S[i].d)
		fail_msg("iked_new: %s", err.msg);
}

/* The translation of site i's configuration as it runs (cairn-iked keeps
 * none: its configuration lives in nb's tree, the engine and the
 * dataplane objects). Valid until the next call. */
static struct iked_want cur_w;

/* iked_want_build() of the configuration nb keeps (compact between
 * transactions: a tree of it built for the call). */
static int
want_build_running(struct iked *d, struct iked_want *w)
{
	struct lyd_node *tree = nb_running_dup(iked_nb(d));
	int rc;

	assert_non_null(tree);
	rc = iked_want_build(tree, w);
	lyd_free_all(tree);
	return rc;
}

static const struct ike_conf *
cur_conf(int i)
{
	iked_want_fini(&cur_w);
	assert_int_equal(want_build_running(S[i].d, &cur_w), 0);
	return cur_w.conf;
}

static void
site_fini(int i)
{
	iked_free(S[i].d);
	S[i].d = NULL;
	lyd_free_all(S[i].tree);
	S[i].tree = NULL;
}

static int
setup(void **state)
{
	(void)state;
	pump();
	site_init(0);
	site_init(1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pump();
	site_fini(0);
	site_fini(1);
	iked_want_fini(&cur_w);
	return 0;
}

/*
 * Edits site i's configuration with set lines and commits it (or commit
 * check). 0, or the error with the messages in *msg (caller frees).
 */
static int
commit_ex(int i, const char *lines, bool check, char **msg)
{
	struct site *s = &S[i];
	struct lyd_node *tree = NULL;
	struct cfg_errpos pos;
	struct errbuf err = { .msg = "" };
	struct buf out = BUF_INIT;
	char *json = NULL;
	int rc;

	if (s->tree && lyd_dup_siblings(s->tree, NULL, LYD_DUP_RECURSIVE, &tree) != LY_SUCCESS)
		fail_msg("dup");
	errbuf_clear(&err);
	if (cfg_edit_lines(schema, &tree, NULL, lines, strlen(lines), 0, NULL, &pos, &err) != 0)
		fail_msg("edit: %s (line %u)\n%s", err.msg, pos.line, lines);
	if (tree && lyd_print_mem(&json, tree, LYD_JSON,
	                LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK) != LY_SUCCESS)
		fail_msg("print");
	rc = nb_test_commit(iked_nb(s->d), json ? json : "", check, &out);
	free(json);
	if (msg)
		*msg = buf_steal(&out);
	buf_free(&out);
	if (rc == 0 && !check) {
		lyd_free_all(s->tree);
		s->tree = tree;
	} else {
		lyd_free_all(tree);
	}
	if (!s->m && s->d->dp)
		s->m = dp_mock_last();
	return rc;
}

static void
commit_ok(int i, const char *lines)
{
	char *msg = NULL;
	int rc = commit_ex(i, lines, false, &msg);

	if (rc != 0)
		fail_msg("commit on site %d failed (%d):\n%s", i, rc, msg ? msg : "");
	free(msg);
	pump();
}

/* The commit must fail, its messages must hold every expected line. */
static void
commit_refused(int i, const char *lines, const char *const *expect)
{
	char *msg = NULL;
	int rc = commit_ex(i, lines, true, &msg);

	if (rc == 0)
		fail_msg("commit check accepted:\n%s", lines);
	for (; *expect; expect++)
		if (!msg || !strstr(msg, *expect))
			fail_msg("expected '%s' in:\n%s", *expect, msg ? msg : "(nothing)");
	free(msg);
}

static const char *const site_cfg[2] = {
	"set security ike proposal ikep dh-group group19\n"
	"set security ike proposal ikep encryption-algorithm aes-128-gcm\n"
	"set security ike policy ikepol proposals ikep\n"
	"set security ike policy ikepol pre-shared-key ascii-text \"secret-one\"\n"
	"set security ike gateway gw ike-policy ikepol\n"
	"set security ike gateway gw address 192.0.2.2\n"
	"set security ike gateway gw local-address 192.0.2.1\n"
	"set security ipsec proposal esp encryption-algorithm aes-128-gcm\n"
	"set security ipsec policy ipol proposals esp\n"
	"set security ipsec vpn vpn1 bind-interface st0.0\n"
	"set security ipsec vpn vpn1 ike gateway gw\n"
	"set security ipsec vpn vpn1 ike ipsec-policy ipol\n"
	"set security ipsec vpn vpn1 establish-tunnels immediately\n"
	"set security ipsec vpn vpn1 ike proxy-identity local 10.1.0.0/24\n"
	"set security ipsec vpn vpn1 ike proxy-identity remote 10.2.0.0/24\n"
	"set security ipsec vpn vpn2 ike proxy-identity local fd01::/64\n"
	"set security ipsec vpn vpn2 ike proxy-identity remote fd02::/64\n"
	"set security ipsec vpn vpn2 bind-interface st0.1\n"
	"set security ipsec vpn vpn2 ike gateway gw\n"
	"set security ipsec vpn vpn2 ike ipsec-policy ipol\n"
	"set security ipsec vpn vpn2 establish-tunnels immediately\n"
	"set interfaces st0 unit 0 family inet address 10.255.0.1/30\n"
	"set interfaces st0 unit 1 family inet6 address fd0f::1/64\n"
	"set routing-options static route 10.2.0.0/24 next-hop st0.0\n"
	"set routing-options static route fd02::/64 next-hop st0.1\n",
	"set security ike proposal ikep dh-group group19\n"
	"set security ike proposal ikep encryption-algorithm aes-128-gcm\n"
	"set security ike policy ikepol proposals ikep\n"
	"set security ike policy ikepol pre-shared-key ascii-text \"secret-one\"\n"
	"set security ike gateway gw ike-policy ikepol\n"
	"set security ike gateway gw address 192.0.2.1\n"
	"set security ike gateway gw local-address 192.0.2.2\n"
	"set security ipsec proposal esp encryption-algorithm aes-128-gcm\n"
	"set security ipsec policy ipol proposals esp\n"
	"set security ipsec vpn vpn1 bind-interface st0.0\n"
	"set security ipsec vpn vpn1 ike gateway gw\n"
	"set security ipsec vpn vpn1 ike ipsec-policy ipol\n"
	"set security ipsec vpn vpn1 establish-tunnels responder-only\n"
	"set security ipsec vpn vpn1 ike proxy-identity local 10.2.0.0/24\n"
	"set security ipsec vpn vpn1 ike proxy-identity remote 10.1.0.0/24\n"
	"set security ipsec vpn vpn2 ike proxy-identity local fd02::/64\n"
	"set security ipsec vpn vpn2 ike proxy-identity remote fd01::/64\n"
	"set security ipsec vpn vpn2 bind-interface st0.1\n"
	"set security ipsec vpn vpn2 ike gateway gw\n"
	"set security ipsec vpn vpn2 ike ipsec-policy ipol\n"
	"set security ipsec vpn vpn2 establish-tunnels responder-only\n"
	"set interfaces st0 unit 0 family inet address 10.255.0.2/30\n"
	"set interfaces st0 unit 1 family inet6 address fd0f::2/64\n"
	"set routing-options static route 10.1.0.0/24 next-hop st0.0\n"
	"set routing-options static route fd01::/64 next-hop st0.1\n",
};

struct spis {
	uint32_t in, out;
	unsigned n;
};

struct find {
	const char *vpn;
	struct ike_tunnel_info t;
	bool found;
};

static int
find_cb(void *ctx, const struct ike_tunnel_info *t)
{
	struct find *f = ctx;

	if (strcmp(t->vpn, f->vpn) != 0)
		return 0;
	f->t = *t;
	f->found = true;
	return 1;
}

/* The SPIs of a VPN's (newest) CHILD SA; 0 when it has none. */
static struct spis
vpn_spis(int i, const char *vpn)
{
	struct find f;
	struct spis s = { 0, 0, 0 };

	memset(&f, 0, sizeof(f));
	f.vpn = vpn;
	if (S[i].d->e)
		ike_engine_foreach_tunnel(S[i].d->e, find_cb, &f);
	if (f.found && f.t.n_sa) {
		s.in = f.t.sa[0].spi_in;
		s.out = f.t.sa[0].spi_out;
		s.n = f.t.n_sa;
	}
	return s;
}

static void
bring_up(void)
{
	commit_ok(1, site_cfg[1]);
	commit_ok(0, site_cfg[0]);
	pump();
}

static void
assert_up(const char *vpn)
{
	struct spis a = vpn_spis(0, vpn), b = vpn_spis(1, vpn);

	if (!a.in || !b.in || a.in != b.out || a.out != b.in)
		fail_msg("VPN %s: site 0 in %08x out %08x (%u), site 1 in %08x out %08x (%u)", vpn,
		    a.in, a.out, a.n, b.in, b.out, b.n);
	assert_int_equal(a.in, b.out);
	assert_int_equal(a.out, b.in);
}

/* ---- translation ------------------------------------------------------------------ */

static void
test_translate(void **state)
{
	const struct ike_conf *c;
	const struct ike_conf_gateway *g;
	const struct ike_conf_vpn *v;
	const struct dp_tunnel *t;

	(void)state;
	bring_up();
	c = cur_conf(0);
	assert_non_null(c);
	assert_int_equal(c->n_ike_proposals, 1);
	assert_int_equal(c->ike_proposals[0].dh_group, 19);
	assert_int_equal(c->ike_proposals[0].enc, IKE_CE_AES128_GCM);
	assert_int_equal(c->ike_proposals[0].lifetime_seconds, 28800);
	assert_string_equal(c->ike_policies[0].psk.ascii, "secret-one"); /* $9$ decoded */
	g = ike_conf_find_gateway(c, "gw");
	assert_non_null(g);
	assert_int_equal(g->n_address, 1);
	assert_string_equal(g->address[0], "192.0.2.2");
	assert_string_equal(g->local_address, "192.0.2.1");
	assert_false(g->dpd);
	assert_int_equal(g->nat_keepalive, 20);
	v = ike_conf_find_vpn(c, "vpn2");
	assert_non_null(v);
	assert_string_equal(v->bind_interface, "st0.1");
	assert_int_equal(v->establish, IKE_EST_IMMEDIATELY);
	assert_int_equal(c->ipsec_proposals[0].lifetime_seconds, 3600);
	/* the dataplane: two units, two routes, two tunnels on their units */
	assert_non_null(S[0].m);
	assert_int_equal(dp_mock_count(S[0].m, DPM_UNIT_SET), 2);
	assert_int_equal(dp_mock_count(S[0].m, DPM_ROUTE_ADD), 2);
	assert_int_equal(dp_mock_tunnel_count(S[0].m), 2);
	t = dp_mock_tunnel_find(S[0].m, 131073);
	assert_non_null(t);
	assert_int_equal(t->unit, 0);
	t = dp_mock_tunnel_find(S[0].m, 131074);
	assert_non_null(t);
	assert_int_equal(t->unit, 1);
	assert_up("vpn1");
	assert_up("vpn2");
	assert_int_equal(S[0].d->obj.n_units, 2);
	assert_int_equal(S[0].d->obj.n_routes, 2);
}

/* ---- refusals -------------------------------------------------------------------------- */

static void
test_refusals(void **state)
{
	(void)state;
	commit_ok(0, site_cfg[0]);
	commit_refused(0, "set security ipsec proposal ah1 protocol ah\n",
	    (const char *const[]){
	        "[edit security ipsec]", "'proposal ah1'", "ah is not supported", NULL });
	commit_refused(0, "set security ike proposal p3 encryption-algorithm 3des-cbc\n",
	    (const char *const[]){ "'proposal p3'", "3des-cbc is not supported", NULL });
	commit_refused(0,
	    "set security ipsec proposal e2 encryption-algorithm aes-128-cbc\n"
	    "set security ipsec proposal e2 authentication-algorithm hmac-sha1-96\n",
	    (const char *const[]){ "'proposal e2'", "authentication-algorithm", NULL });
	commit_refused(0, "set security ike proposal ikep dh-group group2\n",
	    (const char *const[]){ "'proposal ikep'", "group2 is not supported", NULL });
	commit_refused(0, "set security ike proposal ikep authentication-method rsa-signatures\n",
	    (const char *const[]){ "only pre-shared-keys is supported", NULL });
	commit_refused(0, "set security ike gateway gw version v1-only\n",
	    (const char *const[]){
	        "[edit security ike]", "'gateway gw'", "v1-only is not supported", NULL });
	commit_refused(0, "set security ike gateway gw address peer.example.net\n",
	    (const char *const[]){ "'gateway gw'", "address peer.example.net: host names", NULL });
	commit_refused(0,
	    "set security ike policy ikepol proposal-set standard\n"
	    "delete security ike policy ikepol proposals\n",
	    (const char *const[]){ "'policy ikepol'", NULL });
	commit_refused(0, "delete security ipsec vpn vpn1 bind-interface\n",
	    (const char *const[]){ "'vpn vpn1'", "neither route-based", NULL });
	commit_refused(0, "set security ipsec vpn vpn1 vpn-monitor\n",
	    (const char *const[]){ "vpn-monitor: VPN monitoring is not supported", NULL });
	commit_refused(0,
	    "delete security ipsec vpn vpn2 ike proxy-identity\n"
	    "delete security ipsec vpn vpn1 ike proxy-identity\n",
	    (const char *const[]){ "'vpn vpn2'", "could not tell them apart", NULL });
	commit_refused(0, "set security ike respond-bad-spi\n",
	    (const char *const[]){ "'respond-bad-spi'", "not supported", NULL });
	commit_refused(0, "set interfaces st0 unit 0 family inet address 10.255.9.1/30\n",
	    (const char *const[]){ "at most one IPv4 address", NULL });
	commit_refused(0,
	    "set routing-options static route 10.9.0.0/24 next-hop st0.0\n"
	    "set routing-options static route 10.9.0.0/24 next-hop st0.1\n",
	    (const char *const[]){ "only one st0 next-hop", NULL });
	/* policy-based over a route-based VPN */
	commit_refused(0,
	    "set security zones security-zone trust address-book address a1 10.1.0.0/24\n"
	    "set security zones security-zone untrust address-book address a2 10.2.0.0/24\n"
	    "set security policies from-zone trust to-zone untrust policy p1 match source-address "
	    "a1\n"
	    "set security policies from-zone trust to-zone untrust policy p1 match "
	    "destination-address a2\n"
	    "set security policies from-zone trust to-zone untrust policy p1 match application "
	    "any\n"
	    "set security policies from-zone trust to-zone untrust policy p1 then permit tunnel "
	    "ipsec-vpn vpn1\n",
	    (const char *const[]){ "[edit security policies]", "is route-based", NULL });
	/* an unknown application and address */
	commit_refused(0,
	    "set security zones security-zone trust\n"
	    "set security zones security-zone untrust\n"
	    "set security policies from-zone trust to-zone untrust policy p1 match source-address "
	    "nosuch\n"
	    "set security policies from-zone trust to-zone untrust policy p1 match "
	    "destination-address any\n"
	    "set security policies from-zone trust to-zone untrust policy p1 match application "
	    "any\n"
	    "set security policies from-zone trust to-zone untrust policy p1 then permit\n",
	    (const char *const[]){ NULL });
	/* manual keys of the wrong length, AH */
	commit_refused(0,
	    "set interfaces st0 unit 5 family inet address 10.254.0.1/30\n"
	    "set security ipsec vpn m1 bind-interface st0.5\n"
	    "set security ipsec vpn m1 manual gateway 192.0.2.2\n"
	    "set security ipsec vpn m1 manual local-address 192.0.2.1\n"
	    "set security ipsec vpn m1 manual spi 300\n"
	    "set security ipsec vpn m1 manual encryption algorithm aes-128-cbc\n"
	    "set security ipsec vpn m1 manual encryption key hexadecimal 00112233\n"
	    "set security ipsec vpn m1 manual authentication algorithm hmac-sha-256-128\n"
	    "set security ipsec vpn m1 manual authentication key ascii-text "
	    "abcdefghijklmnopqrstuvwxyz012345\n",
	    (const char *const[]){ "'vpn m1'", "aes-128-cbc needs a key of 16 bytes", NULL });
	commit_refused(0,
	    "set interfaces st0 unit 5 family inet address 10.254.0.1/30\n"
	    "set security ipsec vpn m1 bind-interface st0.5\n"
	    "set security ipsec vpn m1 manual gateway 192.0.2.2\n"
	    "set security ipsec vpn m1 manual local-address 192.0.2.1\n"
	    "set security ipsec vpn m1 manual spi 300\n"
	    "set security ipsec vpn m1 manual encryption algorithm aes-128-gcm\n"
	    "set security ipsec vpn m1 manual encryption key hexadecimal "
	    "000102030405060708090a0b0c0d0e0f10111213\n",
	    (const char *const[]){ "'vpn m1'", "reuse GCM nonces", NULL });
	/* nothing of the refusals reached the dataplane or the configuration */
	assert_null(ike_conf_find_vpn(cur_conf(0), "m1"));
	assert_int_equal(S[0].d->obj.n_units, 2);
}

/* commit check: PREPARE creates a new unit, ABORT removes it. */
static void
test_check_prepare_abort(void **state)
{
	char *msg = NULL;
	size_t n0;

	(void)state;
	commit_ok(0, site_cfg[0]);
	dp_mock_clear_log(S[0].m);
	n0 = S[0].d->obj.n_units;
	assert_int_equal(
	    commit_ex(0, "set interfaces st0 unit 7 family inet address 10.7.7.1/30\n", true, &msg),
	    0);
	free(msg);
	assert_int_equal(dp_mock_count(S[0].m, DPM_UNIT_SET), 1);
	assert_int_equal(dp_mock_count(S[0].m, DPM_UNIT_DEL), 1);
	assert_int_equal(S[0].d->obj.n_units, n0);
	assert_int_equal(dp_mock_count(S[0].m, DPM_TUNNEL_SET), 0);
	/* a unit the dataplane refuses fails the commit at that unit */
	dp_mock_fail_next(S[0].m, DPM_UNIT_SET, ENOBUFS);
	assert_int_not_equal(commit_ex(0, "set interfaces st0 unit 8\n", false, &msg), 0);
	assert_non_null(strstr(msg, "'unit 8'"));
	free(msg);
	assert_int_equal(S[0].d->obj.n_units, n0);
}

/* ---- a commit touches only what it changed ----------------------------------------------- */

static void
test_touch_only_changed(void **state)
{
	struct spis v1, v2, n1, n2;
	size_t sa_before;

	(void)state;
	bring_up();
	assert_up("vpn1");
	assert_up("vpn2");
	v1 = vpn_spis(0, "vpn1");
	v2 = vpn_spis(0, "vpn2");

	/* 1. unrelated changes: DPD, a route, a new unit, a description */
	dp_mock_clear_log(S[0].m);
	commit_ok(0, "set security ike gateway gw dead-peer-detection interval 20\n"
	             "set routing-options static route 10.3.0.0/24 next-hop st0.0\n"
	             "set interfaces st0 unit 9 description spare\n"
	             "set security ipsec proposal esp description \"same proposal\"\n");
	n1 = vpn_spis(0, "vpn1");
	n2 = vpn_spis(0, "vpn2");
	assert_int_equal(n1.in, v1.in);
	assert_int_equal(n1.out, v1.out);
	assert_int_equal(n2.in, v2.in);
	assert_int_equal(dp_mock_count(S[0].m, DPM_SA_DEL), 0);
	assert_int_equal(dp_mock_count(S[0].m, DPM_SA_ADD), 0);
	assert_int_equal(dp_mock_count(S[0].m, DPM_ROUTE_ADD), 1);
	assert_int_equal(dp_mock_count(S[0].m, DPM_ROUTE_DEL), 0);
	assert_int_equal(dp_mock_count(S[0].m, DPM_UNIT_SET), 1);
	assert_int_equal(ike_conf_find_gateway(cur_conf(0), "gw")->dpd_interval, 20);

	/* 2. an SA-relevant change of vpn2 only: vpn2 re-established, vpn1 kept */
	dp_mock_clear_log(S[0].m);
	commit_ok(0, "set security ipsec vpn vpn2 df-bit set\n");
	pump();
	assert_up("vpn1");
	assert_up("vpn2");
	n1 = vpn_spis(0, "vpn1");
	n2 = vpn_spis(0, "vpn2");
	assert_int_equal(n1.in, v1.in);
	assert_int_equal(n1.out, v1.out);
	assert_int_not_equal(n2.in, v2.in);
	assert_int_not_equal(n2.out, v2.out);
	assert_null(dp_mock_sa_find(S[0].m, v2.in, DP_DIR_IN));
	assert_non_null(dp_mock_sa_find(S[0].m, v1.in, DP_DIR_IN));
	assert_null(dp_mock_sa_find(S[1].m, v2.out, DP_DIR_IN)); /* the peer got the DELETE */
	assert_int_equal(dp_mock_sa_find(S[0].m, n2.out, DP_DIR_OUT)->df, DP_DF_SET);

	/* 3. deleting vpn2: DELETE to the peer, its SAs and tunnel gone, vpn1 kept */
	sa_before = dp_mock_sa_count(S[1].m);
	commit_ok(0, "delete security ipsec vpn vpn2\n"
	             "delete routing-options static route fd02::/64\n"
	             "delete interfaces st0 unit 1\n");
	pump();
	assert_null(dp_mock_sa_find(S[0].m, n2.in, DP_DIR_IN));
	assert_null(dp_mock_sa_find(S[1].m, n2.out, DP_DIR_IN));
	assert_int_equal(dp_mock_sa_count(S[1].m), sa_before - 2);
	n1 = vpn_spis(0, "vpn1");
	assert_int_equal(n1.in, v1.in);
	assert_int_equal(S[0].d->obj.n_units, 2); /* st0.0 and st0.9 */

	/* 4. a gateway change re-establishes everything on it (the responder-only
	 * side first: the initiating side then negotiates at once) */
	commit_ok(1, "set security ike proposal ikep lifetime-seconds 7200\n");
	commit_ok(0, "set security ike proposal ikep lifetime-seconds 7200\n");
	pump();
	n1 = vpn_spis(0, "vpn1");
	assert_int_not_equal(n1.in, v1.in);
	assert_up("vpn1");
}

/* ---- incremental commits ------------------------------------------------------------------- */

/* n route-based VPNs (the hub side of tests/bench/gen-vpn-pair.sh), vpn-i
 * on st0.i with its own gateway, IKE policy and route. */
static char *
many_vpns(unsigned first, unsigned n)
{
	struct buf b = BUF_INIT;
	unsigned i;

	if (first == 0)
		buf_puts(&b, "set security ike proposal ike-prop dh-group group19\n"
		             "set security ike proposal ike-prop encryption-algorithm aes-128-gcm\n"
		             "set security ipsec proposal ipsec-prop encryption-algorithm "
		             "aes-128-gcm\n"
		             "set security ipsec policy ipsec-pol proposals ipsec-prop\n");
	for (i = first; i < first + n; i++)
		buf_printf(&b,
		    "set security ike policy ike-pol-%u proposals ike-prop\n"
		    "set security ike policy ike-pol-%u pre-shared-key ascii-text \"psk-%u\"\n"
		    "set security ike gateway gw-%u ike-policy ike-pol-%u\n"
		    "set security ike gateway gw-%u address 198.18.%u.%u\n"
		    "set security ike gateway gw-%u local-address 192.0.2.1\n"
		    "set security ipsec vpn vpn-%u bind-interface st0.%u\n"
		    "set security ipsec vpn vpn-%u ike gateway gw-%u\n"
		    "set security ipsec vpn vpn-%u ike ipsec-policy ipsec-pol\n"
		    "set security ipsec vpn vpn-%u establish-tunnels responder-only\n"
		    "set interfaces st0 unit %u family inet address 169.254.%u.%u/30\n"
		    "set routing-options static route 10.%u.%u.0/24 next-hop st0.%u\n",
		    i, i, i, i, i, i, i / 250, i % 250 + 1, i, i, i, i, i, i, i, i, i / 64,
		    (i % 64) * 4 + 1, i / 256, i % 256, i);
	return buf_steal(&b);
}

/*
 * A commit of one VPN among many translates that VPN (and what it refers
 * to), gives the engine a plan of that gateway and VPN only, and programs
 * the dataplane objects of that VPN only.
 */
static void
test_incremental_one_vpn(void **state)
{
	const struct iked_tx_stats *st = &S[0].d->last_tx;
	char *lines;
	size_t i;

	(void)state;
	lines = many_vpns(0, 300);
	commit_ok(0, lines);
	free(lines);
	assert_false(st->delta); /* the first configuration: whole */
	assert_int_equal(st->vpn_set, 300);
	assert_int_equal(S[0].d->obj.n_units, 300);

	/* one more VPN: its policy, gateway, VPN, unit and route, and the
	 * proposals and IPsec policy they refer to */
	dp_mock_clear_log(S[0].m);
	lines = many_vpns(300, 1);
	commit_ok(0, lines);
	free(lines);
	assert_true(st->delta);
	assert_true(st->translated <= 10);
	assert_int_equal(st->gw_set, 1);
	assert_int_equal(st->vpn_set, 1);
	assert_int_equal(st->gw_del + st->vpn_del, 0);
	assert_int_equal(st->units, 1);
	assert_int_equal(st->routes, 1);
	assert_int_equal(dp_mock_count(S[0].m, DPM_UNIT_SET), 1);
	assert_int_equal(dp_mock_count(S[0].m, DPM_ROUTE_ADD), 1);
	assert_int_equal(dp_mock_count(S[0].m, DPM_TUNNEL_SET), 1);
	assert_int_equal(dp_mock_count(S[0].m, DPM_UNIT_DEL) +
	                     dp_mock_count(S[0].m, DPM_ROUTE_DEL) +
	                     dp_mock_count(S[0].m, DPM_TUNNEL_DEL),
	    0);
	for (i = 0; i < dp_mock_ncalls(S[0].m); i++) {
		const struct dp_mock_call *c = dp_mock_call_at(S[0].m, i);

		if (c->op == DPM_UNIT_SET)
			assert_int_equal(c->id, 300);
	}
	assert_int_equal(S[0].d->obj.n_units, 301);
	assert_int_equal(S[0].d->obj.n_routes, 301);
	assert_non_null(ike_engine_vpn_conf(S[0].d->e, "vpn-300"));

	/* one VPN changed: that VPN alone, its tunnel set again */
	dp_mock_clear_log(S[0].m);
	commit_ok(0, "set security ipsec vpn vpn-7 df-bit set\n");
	assert_true(st->delta);
	assert_true(st->translated <= 4);
	assert_int_equal(st->gw_set, 0); /* its gateway: referred to, unchanged */
	assert_int_equal(st->vpn_set, 1);
	assert_int_equal(dp_mock_count(S[0].m, DPM_TUNNEL_SET), 1);
	assert_int_equal(dp_mock_call_at(S[0].m, 0)->tunnel.id,
	    dp_mock_call_at(S[0].m, 0)->tunnel.id); /* (one call) */
	assert_int_equal(
	    dp_mock_count(S[0].m, DPM_UNIT_SET) + dp_mock_count(S[0].m, DPM_ROUTE_ADD), 0);
	assert_int_equal(ike_engine_vpn_conf(S[0].d->e, "vpn-7")->df, IKE_DF_SET);

	/* one VPN deleted with its gateway, policy, unit and route */
	dp_mock_clear_log(S[0].m);
	commit_ok(0, "delete security ipsec vpn vpn-300\n"
	             "delete security ike gateway gw-300\n"
	             "delete security ike policy ike-pol-300\n"
	             "delete interfaces st0 unit 300\n"
	             "delete routing-options static route 10.1.44.0/24\n");
	assert_true(st->delta);
	assert_int_equal(st->gw_del, 1);
	assert_int_equal(st->vpn_del, 1);
	assert_int_equal(st->gw_set + st->vpn_set, 0);
	assert_int_equal(dp_mock_count(S[0].m, DPM_UNIT_DEL), 1);
	assert_int_equal(dp_mock_count(S[0].m, DPM_ROUTE_DEL), 1);
	assert_int_equal(dp_mock_count(S[0].m, DPM_TUNNEL_DEL), 1);
	assert_int_equal(dp_mock_count(S[0].m, DPM_UNIT_SET) +
	                     dp_mock_count(S[0].m, DPM_ROUTE_ADD) +
	                     dp_mock_count(S[0].m, DPM_TUNNEL_SET),
	    0);
	assert_null(ike_engine_vpn_conf(S[0].d->e, "vpn-300"));
	assert_null(ike_engine_gw_conf(S[0].d->e, "gw-300"));
	assert_int_equal(S[0].d->obj.n_units, 300);
	assert_int_equal(S[0].d->obj.n_routes, 300);

	/* a shared proposal changed: every gateway that uses it, nothing else */
	commit_ok(0, "set security ike proposal ike-prop lifetime-seconds 7200\n");
	assert_true(st->delta);
	assert_int_equal(st->gw_set, 300);
	assert_int_equal(st->vpn_set, 0);
	assert_int_equal(ike_engine_gw_conf(S[0].d->e, "gw-299")->ike_lifetime[0], 7200);

	/* a security zone: a whole translation */
	commit_ok(0, "set security zones security-zone trust\n");
	assert_false(st->delta);
}

/*
 * Random edits of a small configuration (units, routes, multipoint
 * bindings, traffic selectors, manual keys, shared proposals, gateways
 * moving between VPNs), each committed incrementally; after each one the
 * engine's gateways and VPNs and the dataplane objects cairn-iked applied
 * must be exactly those of a whole translation of the same configuration,
 * and a refused commit must be one a whole translation refuses.
 */
static uint32_t rnd_state;

static unsigned
rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) % n;
}

static void
random_edit(struct buf *b)
{
	unsigned v = rnd(8), g = rnd(5), u = rnd(8), k;

	switch (rnd(16)) {
	case 0:
	case 1: /* a VPN on a unit, with its gateway */
		buf_printf(b,
		    "set security ipsec vpn v%u bind-interface st0.%u\n"
		    "set security ipsec vpn v%u ike gateway g%u\n"
		    "set security ipsec vpn v%u ike ipsec-policy ip%u\n"
		    "set interfaces st0 unit %u family inet address 10.255.%u.1/24\n",
		    v, u, v, g, v, rnd(2), u, u);
		break;
	case 2:
		buf_printf(b, "delete security ipsec vpn v%u\n", v);
		break;
	case 3: /* selectors */
		if (rnd(2))
			buf_printf(b,
			    "set security ipsec vpn v%u traffic-selector t%u local-ip "
			    "10.%u.0.0/16\n"
			    "set security ipsec vpn v%u traffic-selector t%u remote-ip "
			    "10.%u.0.0/16\n",
			    v, rnd(2), 100 + rnd(3), v, rnd(2), 200 + rnd(3));
		else
			buf_printf(b,
			    "set security ipsec vpn v%u ike proxy-identity local 10.%u.0.0/16\n"
			    "set security ipsec vpn v%u ike proxy-identity remote 10.%u.0.0/16\n",
			    v, 100 + rnd(3), v, 200 + rnd(3));
		break;
	case 4:
		buf_printf(b, "delete security ipsec vpn v%u traffic-selector\n", v);
		break;
	case 5: /* a unit: multipoint, bindings */
		if (rnd(2))
			buf_printf(b,
			    "set interfaces st0 unit %u multipoint\n"
			    "set interfaces st0 unit %u family inet next-hop-tunnel 10.255.%u.%u "
			    "ipsec-vpn v%u\n",
			    u, u, u, 2 + rnd(3), v);
		else
			buf_printf(b, "delete interfaces st0 unit %u multipoint\n", u);
		break;
	case 6:
		buf_printf(b, "delete interfaces st0 unit %u\n", u);
		break;
	case 7: /* routes: into a unit, or through a next hop in a subnet */
		if (rnd(2))
			buf_printf(b,
			    "set routing-options static route 10.%u.0.0/16 next-hop st0.%u\n",
			    200 + rnd(4), u);
		else
			buf_printf(b,
			    "set routing-options static route 10.%u.0.0/16 next-hop 10.255.%u.%u\n",
			    200 + rnd(4), u, 2 + rnd(3));
		break;
	case 8:
		buf_printf(b, "delete routing-options static route 10.%u.0.0/16\n", 200 + rnd(4));
		break;
	case 9: /* gateways */
		buf_printf(b,
		    "set security ike gateway g%u ike-policy pol%u\n"
		    "set security ike gateway g%u address 192.0.2.%u\n",
		    g, rnd(3), g, 10 + rnd(3));
		break;
	case 10:
		if (rnd(2))
			buf_printf(b,
			    "set security ike gateway g%u dynamic hostname h%u.example.net\n"
			    "delete security ike gateway g%u address\n",
			    g, g, g);
		else
			buf_printf(b,
			    "set security ike gateway g%u dead-peer-detection interval %u\n", g,
			    10 + rnd(20));
		break;
	case 11: /* shared proposals and policies */
		buf_printf(b, "set security ike proposal p%u lifetime-seconds %u\n", rnd(2),
		    3600 * (1 + rnd(4)));
		break;
	case 12:
		buf_printf(b, "set security ipsec proposal e%u lifetime-seconds %u\n", rnd(2),
		    600 * (1 + rnd(4)));
		break;
	case 13:
		k = rnd(2);
		buf_printf(b,
		    "delete security ipsec policy ip%u proposals\n"
		    "set security ipsec policy ip%u proposals e%u\n",
		    k, k, rnd(2));
		break;
	case 14: /* manual keys */
		k = rnd(3);
		buf_printf(b,
		    "set security ipsec vpn m%u bind-interface st0.%u\n"
		    "set security ipsec vpn m%u manual gateway 192.0.2.%u\n"
		    "set security ipsec vpn m%u manual local-address 192.0.2.1\n"
		    "set security ipsec vpn m%u manual spi %u\n"
		    "set security ipsec vpn m%u manual encryption algorithm aes-128-cbc\n"
		    "set security ipsec vpn m%u manual encryption key hexadecimal "
		    "000102030405060708090a0b0c0d0e%02x\n"
		    "set security ipsec vpn m%u manual authentication algorithm hmac-sha-256-128\n"
		    "set security ipsec vpn m%u manual authentication key ascii-text "
		    "abcdefghijklmnopqrstuvwxyz01234%u\n",
		    k, u, k, 20 + rnd(2), k, k, 300 + rnd(3), k, k, rnd(4), k, k, rnd(9));
		break;
	default:
		buf_printf(b, "delete security ipsec vpn m%u\n", rnd(3));
		break;
	}
}

static const char *random_base = "set security ike proposal p0 dh-group group19\n"
                                 "set security ike proposal p0 encryption-algorithm aes-128-gcm\n"
                                 "set security ike proposal p1 dh-group group20\n"
                                 "set security ike proposal p1 encryption-algorithm aes-256-gcm\n"
                                 "set security ike policy pol0 proposals p0\n"
                                 "set security ike policy pol0 pre-shared-key ascii-text \"k0\"\n"
                                 "set security ike policy pol1 proposals p1\n"
                                 "set security ike policy pol1 pre-shared-key ascii-text \"k1\"\n"
                                 "set security ike policy pol2 proposals p0\n"
                                 "set security ike policy pol2 proposals p1\n"
                                 "set security ike policy pol2 pre-shared-key ascii-text \"k2\"\n"
                                 "set security ike gateway g0 ike-policy pol0\n"
                                 "set security ike gateway g0 address 192.0.2.10\n"
                                 "set security ike gateway g1 ike-policy pol1\n"
                                 "set security ike gateway g1 address 192.0.2.11\n"
                                 "set security ike gateway g2 ike-policy pol2\n"
                                 "set security ike gateway g2 address 192.0.2.12\n"
                                 "set security ike gateway g3 ike-policy pol0\n"
                                 "set security ike gateway g3 address 192.0.2.13\n"
                                 "set security ike gateway g4 ike-policy pol1\n"
                                 "set security ike gateway g4 address 192.0.2.14\n"
                                 "set security ipsec proposal e0 encryption-algorithm aes-128-gcm\n"
                                 "set security ipsec proposal e1 encryption-algorithm aes-256-gcm\n"
                                 "set security ipsec policy ip0 proposals e0\n"
                                 "set security ipsec policy ip1 proposals e1\n"
                                 "set interfaces st0 unit 0 family inet address 10.255.0.1/24\n"
                                 "set security ipsec vpn v0 bind-interface st0.0\n"
                                 "set security ipsec vpn v0 ike gateway g0\n"
                                 "set security ipsec vpn v0 ike ipsec-policy ip0\n";

static void
gw_equal(const struct ike_gw_conf *a, const struct ike_gw_conf *b)
{
	assert_string_equal(a->name, b->name);
	assert_true(ike_gw_conf_sa_equal(a, b));
	assert_int_equal(a->dpd_mode, b->dpd_mode);
	assert_int_equal(a->dpd_interval, b->dpd_interval);
	assert_int_equal(a->dpd_threshold, b->dpd_threshold);
	assert_int_equal(a->nat_keepalive, b->nat_keepalive);
	assert_int_equal(a->connections_limit, b->connections_limit);
	assert_int_equal(a->reject_duplicate, b->reject_duplicate);
}

static void
vpn_equal(const struct ike_vpn_conf *a, const struct ike_vpn_conf *b)
{
	assert_string_equal(a->name, b->name);
	if (!ike_vpn_conf_sa_equal(a, b))
		fail_msg("VPN %s: runs with gateway %s unit %u, %u tunnels, nexthop %u; whole: %s "
		         "%u, %u, "
		         "%u",
		    a->name, b->gateway, b->unit, b->n_ts, b->nexthop.family, a->gateway, a->unit,
		    a->n_ts, a->nexthop.family);
	assert_string_equal(a->ipsec_policy, b->ipsec_policy);
	assert_int_equal(a->establish, b->establish);
	assert_int_equal(a->install_interval, b->install_interval);
	assert_int_equal(a->idle_time, b->idle_time);
	assert_memory_equal(&a->nexthop, &b->nexthop, sizeof(a->nexthop));
}

struct count_ctx {
	unsigned n;
};

static int
count_vpn_cb(void *ctx, const struct ike_vpn_conf *v)
{
	(void)v;
	((struct count_ctx *)ctx)->n++;
	return 0;
}

static int
count_gw_cb(void *ctx, const struct ike_gw_info *g)
{
	(void)g;
	((struct count_ctx *)ctx)->n++;
	return 0;
}

static int
cmp_route_key(const void *a, const void *b)
{
	const struct want_route *x = a, *y = b;
	int c = memcmp(&x->r.dst, &y->r.dst, sizeof(x->r.dst));

	if (c)
		return c;
	if (x->r.unit != y->r.unit)
		return x->r.unit < y->r.unit ? -1 : 1;
	return memcmp(&x->r.nexthop, &y->r.nexthop, sizeof(x->r.nexthop));
}

/* What cairn-iked runs and applied equals a whole translation of its tree. */
static void
assert_as_whole(int i)
{
	struct iked *d = S[i].d;
	struct iked_want w;
	struct count_ctx cv = { 0 }, cg = { 0 };
	struct want_route *wr;
	unsigned k, nvpn = 0;

	assert_int_equal(want_build_running(d, &w), 0);
	assert_int_equal(w.n_errs, 0);
	for (k = 0; k < w.conf->n_gateways; k++) {
		struct ike_gw_conf g;
		struct errbuf err = { .msg = "" };
		const struct ike_gw_conf *run = ike_engine_gw_conf(d->e, w.conf->gateways[k].name);

		assert_int_equal(ike_conf_resolve_gateway(
		                     w.conf, w.conf->gateways[k].name, NULL, NULL, &g, &err),
		    0);
		if (!run)
			fail_msg("gateway %s does not run", g.name);
		gw_equal(&g, run);
		ike_gw_conf_fini(&g);
	}
	for (k = 0; k < w.conf->n_vpns; k++) {
		struct ike_vpn_conf v;
		struct errbuf err = { .msg = "" };
		const struct ike_vpn_conf *run;

		if (w.conf->vpns[k].manual)
			continue;
		nvpn++;
		run = ike_engine_vpn_conf(d->e, w.conf->vpns[k].name);
		assert_int_equal(ike_conf_resolve_vpn(w.conf, w.conf->vpns[k].name, &v, &err), 0);
		if (!run)
			fail_msg("VPN %s does not run", v.name);
		vpn_equal(&v, run);
		ike_vpn_conf_fini(&v);
	}
	ike_engine_foreach_vpn_conf(d->e, NULL, count_vpn_cb, &cv);
	ike_engine_foreach_gateway(d->e, count_gw_cb, &cg);
	assert_int_equal(cv.n, nvpn);
	assert_int_equal(cg.n, w.conf->n_gateways);
	/* units */
	assert_int_equal(d->obj.n_units, w.n_units);
	for (k = 0; k < w.n_units; k++) {
		assert_int_equal(d->obj.units[k].unit, w.units[k].unit);
		assert_memory_equal(&d->obj.units[k].u, &w.units[k].u, sizeof(w.units[k].u));
	}
	/* routes (sorted the same way) */
	wr = w.routes;
	if (w.n_routes > 1)
		qsort(wr, w.n_routes, sizeof(*wr), cmp_route_key);
	for (k = 0; k < w.n_routes || k < d->obj.n_routes; k++) {
		if (k >= w.n_routes || k >= d->obj.n_routes ||
		    memcmp(&d->obj.routes[k].r.r, &wr[k].r, sizeof(wr[k].r)) != 0) {
			unsigned x;
			char pb[64];

			for (x = 0; x < d->obj.n_routes; x++)
				fprintf(stderr, "applied %s st0.%u %s\n",
				    iked_prefix_str(&d->obj.routes[x].r.r.dst, pb, sizeof(pb)),
				    d->obj.routes[x].r.r.unit,
				    d->obj.routes[x].r.ari ? d->obj.routes[x].r.ari : "-");
			for (x = 0; x < w.n_routes; x++)
				fprintf(stderr, "whole %s st0.%u %s\n",
				    iked_prefix_str(&wr[x].r.dst, pb, sizeof(pb)), wr[x].r.unit,
				    wr[x].ari ? wr[x].ari : "-");
			fail_msg("route %u differs", k);
		}
		assert_int_equal(!!d->obj.routes[k].r.ari, !!wr[k].ari);
		if (wr[k].ari)
			assert_string_equal(d->obj.routes[k].r.ari, wr[k].ari);
	}
	/* the index of address next hops */
	assert_int_equal(d->obj.n_nh, w.n_nh);
	for (k = 0; k < w.n_nh; k++) {
		size_t j;
		bool found = false;

		for (j = 0; j < d->obj.n_nh && !found; j++)
			found = !memcmp(&d->obj.nh[j].nh, &w.nh[k].nh, sizeof(w.nh[k].nh)) &&
			        !strcmp(d->obj.nh[j].route, w.nh[k].route);
		assert_true(found);
	}
	for (k = 1; k < d->obj.n_nh; k++)
		assert_true(
		    memcmp(&d->obj.nh[k - 1].nh, &d->obj.nh[k].nh, sizeof(d->obj.nh[k].nh)) <= 0);
	/* manual SAs */
	assert_int_equal(d->obj.n_manual, w.n_manual);
	for (k = 0; k < w.n_manual; k++) {
		size_t j;
		bool found = false;

		for (j = 0; j < d->obj.n_manual; j++)
			if (strcmp(d->obj.manual[j].m.name, w.manual[k].name) == 0) {
				found = true;
				assert_int_not_equal(d->obj.manual[j].tunnel_id, 0);
				assert_int_equal(d->obj.manual[j].m.spi, w.manual[k].spi);
				assert_int_equal(d->obj.manual[j].m.unit, w.manual[k].unit);
				assert_memory_equal(&d->obj.manual[j].m.remote, &w.manual[k].remote,
				    sizeof(w.manual[k].remote));
			}
		assert_true(found);
	}
	iked_want_fini(&w);
}

static void
test_incremental_random(void **state)
{
	struct lyd_node *cand = NULL;
	unsigned step, deltas = 0, refused = 0, accepted = 0;

	(void)state;
	rnd_state = getenv("TEST_SEED") ? (uint32_t)strtoul(getenv("TEST_SEED"), NULL, 10) : 12345;
	commit_ok(0, random_base);
	for (step = 0; step < 400; step++) {
		struct buf b = BUF_INIT;
		struct cfg_errpos pos;
		struct errbuf err = { .msg = "" };
		struct iked_want w;
		bool whole_refuses;
		char *msg = NULL;
		int rc, n = 1 + (int)rnd(3), j;

		for (j = 0; j < n; j++)
			random_edit(&b);
		/* what mgd would commit: the candidate validates (leafrefs, musts) */
		lyd_free_all(cand);
		cand = NULL;
		if (S[0].tree && lyd_dup_siblings(S[0].tree, NULL, LYD_DUP_RECURSIVE, &cand) != 0)
			fail_msg("dup");
		errbuf_clear(&err);
		if (cfg_edit_lines(schema, &cand, NULL, buf_str(&b), b.len, 0, NULL, &pos, &err) !=
		        0 ||
		    lyd_validate_all(&cand, cfg_schema_ctx(schema), LYD_VALIDATE_NO_STATE, NULL) !=
		        LY_SUCCESS) {
			buf_free(&b);
			continue;
		}
		/* a whole translation's verdict */
		assert_int_equal(iked_want_build(cand, &w), 0);
		whole_refuses = w.n_errs > 0;
		iked_want_fini(&w);
		rc = commit_ex(0, buf_str(&b), false, &msg);
		if ((rc != 0) != whole_refuses)
			fail_msg("step %u: the incremental commit %s what a whole translation "
			         "%s:\n%s\n%s",
			    step, rc ? "refused" : "accepted",
			    whole_refuses ? "refuses" : "accepts", buf_str(&b), msg ? msg : "");
		free(msg);
		if (rc != 0) {
			if (getenv("TEST_VERBOSE"))
				fprintf(stderr, "step %u (refused):\n%s", step, buf_str(&b));
			buf_free(&b);
			refused++;
			continue;
		}
		accepted++;
		if (S[0].d->last_tx.delta)
			deltas++;
		if (getenv("TEST_VERBOSE"))
			fprintf(stderr, "step %u (%s):\n%s", step,
			    S[0].d->last_tx.delta ? "delta" : "whole", buf_str(&b));
		assert_as_whole(0);
		buf_free(&b);
	}
	lyd_free_all(cand);
	/* the walk went through both outcomes, mostly incrementally */
	assert_true(accepted > 100);
	assert_true(refused > 5);
	assert_true(deltas > accepted / 2);
}

/* ---- manual keys ---------------------------------------------------------------------------- */

static const char *manual_cfg =
    "set interfaces st0 unit 5 family inet address 10.254.0.1/30\n"
    "set security ipsec vpn m1 bind-interface st0.5\n"
    "set security ipsec vpn m1 manual gateway 192.0.2.2\n"
    "set security ipsec vpn m1 manual local-address 192.0.2.1\n"
    "set security ipsec vpn m1 manual spi 300\n"
    "set security ipsec vpn m1 manual encryption algorithm aes-128-cbc\n"
    "set security ipsec vpn m1 manual encryption key hexadecimal "
    "000102030405060708090a0b0c0d0e0f\n"
    "set security ipsec vpn m1 manual authentication algorithm "
    "hmac-sha-256-128\n"
    "set security ipsec vpn m1 manual authentication key ascii-text "
    "abcdefghijklmnopqrstuvwxyz012345\n"
    "set routing-options static route 10.5.0.0/24 next-hop st0.5\n";

static void
test_manual(void **state)
{
	const struct dp_sa *in, *out;

	(void)state;
	commit_ok(0, manual_cfg);
	assert_non_null(S[0].m);
	in = dp_mock_sa_find(S[0].m, 300, DP_DIR_IN);
	out = dp_mock_sa_find(S[0].m, 300, DP_DIR_OUT);
	assert_non_null(in);
	assert_non_null(out);
	assert_int_equal(in->enc, DP_ENC_AES_CBC_128);
	assert_int_equal(in->enc_key_len, 16);
	assert_int_equal(in->integ, DP_INTEG_HMAC_SHA256_128);
	assert_int_equal(in->integ_key_len, 32);
	assert_int_equal(in->tunnel_id, IKED_MANUAL_ID0);
	assert_int_equal(dp_mock_tunnel_find(S[0].m, IKED_MANUAL_ID0)->unit, 5);
	/* unchanged: untouched */
	dp_mock_clear_log(S[0].m);
	commit_ok(0, "set routing-options static route 10.6.0.0/24 next-hop st0.5\n");
	assert_int_equal(dp_mock_count(S[0].m, DPM_SA_ADD), 0);
	assert_int_equal(dp_mock_count(S[0].m, DPM_SA_DEL), 0);
	/* a new key: both SAs replaced, the tunnel keeps its ID */
	commit_ok(0, "set security ipsec vpn m1 manual encryption key hexadecimal "
	             "ffeeddccbbaa99887766554433221100\n");
	assert_int_equal(dp_mock_count(S[0].m, DPM_SA_DEL), 2);
	assert_int_equal(dp_mock_count(S[0].m, DPM_SA_ADD), 2);
	assert_non_null(dp_mock_tunnel_find(S[0].m, IKED_MANUAL_ID0));
	/* UDP encapsulation */
	commit_ok(0, "set security ipsec vpn m1 manual udp-encapsulation\n");
	out = dp_mock_sa_find(S[0].m, 300, DP_DIR_OUT);
	assert_true(out->flags & DP_SA_HAS_ENCAP);
	assert_int_equal(out->encap_remote_port, 4500);
	/* deleted: gone */
	commit_ok(0, "delete security ipsec vpn m1\n");
	assert_null(dp_mock_sa_find(S[0].m, 300, DP_DIR_IN));
	assert_null(dp_mock_tunnel_find(S[0].m, IKED_MANUAL_ID0));
}

/* ---- policy-based ---------------------------------------------------------------------------- */

/* A policy-based VPN pb to gw, from the trust zone's lan to the untrust
 * zone's remote: the security policy "out" still needs its applications
 * and its action. */
#define PB_CONF                                                                                    \
	"set security ike proposal ikep dh-group group19\n"                                        \
	"set security ike policy ikepol proposals ikep\n"                                          \
	"set security ike policy ikepol pre-shared-key ascii-text \"k\"\n"                         \
	"set security ike gateway gw ike-policy ikepol\n"                                          \
	"set security ike gateway gw address 192.0.2.2\n"                                          \
	"set security ipsec proposal esp encryption-algorithm aes-256-gcm\n"                       \
	"set security ipsec policy ipol proposals esp\n"                                           \
	"set security ipsec vpn pb ike gateway gw\n"                                               \
	"set security ipsec vpn pb ike ipsec-policy ipol\n"                                        \
	"set security zones security-zone trust address-book address lan 10.1.0.0/24\n"            \
	"set security zones security-zone untrust address-book address remote 10.2.0.0/24\n"       \
	"set security policies from-zone trust to-zone untrust policy out match source-address "   \
	"lan\n"                                                                                    \
	"set security policies from-zone trust to-zone untrust policy out match "                  \
	"destination-address remote\n"

static void
test_policy_based(void **state)
{
	const struct ike_conf_vpn *v;
	size_t i, nout = 0, nin = 0;
	uint32_t tid = 0;

	(void)state;
	commit_ok(0,
	    PB_CONF "set security policies from-zone trust to-zone untrust policy out match "
	            "application any\n"
	            "set security policies from-zone trust to-zone untrust policy out then "
	            "permit tunnel ipsec-vpn pb\n"
	            "set security policies from-zone trust to-zone untrust policy out then "
	            "permit tunnel pair-policy in\n"
	            "set security policies from-zone untrust to-zone trust policy in match "
	            "source-address remote\n"
	            "set security policies from-zone untrust to-zone trust policy in match "
	            "destination-address lan\n"
	            "set security policies from-zone untrust to-zone trust policy in match "
	            "application any\n"
	            "set security policies from-zone untrust to-zone trust policy in then permit "
	            "tunnel ipsec-vpn pb\n"
	            "set security policies from-zone untrust to-zone trust policy in then permit "
	            "tunnel pair-policy out\n");
	v = ike_conf_find_vpn(cur_conf(0), "pb");
	assert_true(v->policy_based);
	assert_int_equal(v->n_policy_local, 1);
	assert_int_equal(v->n_policy_remote, 1);
	assert_int_equal(v->policy_local[0].lo.b[0], 10);
	assert_int_equal(v->policy_local[0].lo.b[1], 1);
	assert_int_equal(v->policy_remote[0].hi.b[3], 255);
	for (i = 0; i < S[0].d->obj.n_pols; i++) {
		const struct applied_policy *p = &S[0].d->obj.pols[i];

		assert_int_not_equal(p->id, 0);
		tid = p->tunnel_id;
		if (p->p.dir == DP_DIR_OUT)
			nout++;
		else
			nin++;
	}
	assert_int_equal(nout, 1);
	assert_int_equal(nin, 1);
	assert_int_equal(dp_mock_count(S[0].m, DPM_POLICY_ADD), 2);
	assert_int_equal(dp_mock_tunnel_find(S[0].m, tid)->unit, DP_UNIT_NONE);
	/* an unrelated commit keeps the policies */
	dp_mock_clear_log(S[0].m);
	commit_ok(0, "set security ike gateway gw nat-keepalive 30\n");
	assert_int_equal(dp_mock_count(S[0].m, DPM_POLICY_ADD), 0);
	assert_int_equal(dp_mock_count(S[0].m, DPM_POLICY_DEL), 0);
	/* the VPN re-established: the same tunnel, its policies stay */
	commit_ok(0, "set security ipsec vpn pb df-bit copy\n");
	assert_int_equal(dp_mock_count(S[0].m, DPM_POLICY_ADD), 0);
	for (i = 0; i < S[0].d->obj.n_pols; i++)
		assert_int_equal(S[0].d->obj.pols[i].tunnel_id, tid);
	/* other addresses: the policies are replaced */
	commit_ok(0, "set security zones security-zone untrust address-book address remote "
	             "10.3.0.0/24\n");
	assert_int_equal(dp_mock_count(S[0].m, DPM_POLICY_DEL), 2);
	assert_int_equal(dp_mock_count(S[0].m, DPM_POLICY_ADD), 2);
	assert_int_equal(ike_conf_find_vpn(cur_conf(0), "pb")->policy_remote[0].lo.b[1], 3);
	/* removing the policies removes them from the dataplane */
	commit_refused(0, "delete security policies\n", (const char *const[]){ "neither", NULL });
}

/*
 * A policy-based VPN whose policy names two applications of different
 * protocols: each dataplane policy pairs a source selector with the
 * destination selector of the same application (one protocol), never
 * TCP from the LAN with UDP/53 toward the remote side (which the kernel
 * refuses and the userspace backend can never match). Inbound, the
 * source is the remote side with the application's ports and the
 * destination the LAN with any port (RFC 4301 4.4.1: the mirror of the
 * outbound selectors).
 */
static void
test_policy_based_applications(void **state)
{
	size_t i, nout = 0, nin = 0;
	bool seen_out[2] = { false }, seen_in[2] = { false };

	(void)state;
	commit_ok(0,
	    PB_CONF "set security policies from-zone trust to-zone untrust policy out match "
	            "application junos-http\n"
	            "set security policies from-zone trust to-zone untrust policy out match "
	            "application junos-dns-udp\n"
	            "set security policies from-zone trust to-zone untrust policy out then "
	            "permit tunnel ipsec-vpn pb\n");
	for (i = 0; i < S[0].d->obj.n_pols; i++) {
		const struct want_policy *p = &S[0].d->obj.pols[i].p;
		const struct dp_ts *lan = p->dir == DP_DIR_OUT ? &p->src : &p->dst;
		const struct dp_ts *rem = p->dir == DP_DIR_OUT ? &p->dst : &p->src;
		unsigned app;

		assert_int_not_equal(S[0].d->obj.pols[i].id, 0);
		assert_int_equal(p->src.proto, p->dst.proto);
		assert_true(p->src.proto == 6 || p->src.proto == 17);
		app = p->src.proto == 17;
		assert_int_equal(lan->addr_lo.u.b[1], 1);
		assert_int_equal(lan->port_lo, 0);
		assert_int_equal(lan->port_hi, 65535);
		assert_int_equal(rem->addr_lo.u.b[1], 2);
		assert_int_equal(rem->port_lo, app ? 53 : 80);
		assert_int_equal(rem->port_hi, app ? 53 : 80);
		if (p->dir == DP_DIR_OUT) {
			assert_false(seen_out[app]);
			seen_out[app] = true;
			nout++;
		} else {
			assert_false(seen_in[app]);
			seen_in[app] = true;
			nin++;
		}
	}
	assert_int_equal(nout, 2);
	assert_int_equal(nin, 2);
	assert_int_equal(dp_mock_count(S[0].m, DPM_POLICY_ADD), 4);
}

/* ---- multipoint hub ---------------------------------------------------------------------------- */

static void
test_multipoint(void **state)
{
	const struct dp_tunnel *t;
	size_t i;
	bool found = false;

	(void)state;
	commit_refused(0,
	    "set security ike proposal ikep dh-group group19\n"
	    "set security ike policy ikepol proposals ikep\n"
	    "set security ike policy ikepol pre-shared-key ascii-text \"k\"\n"
	    "set security ike gateway s2 ike-policy ikepol\n"
	    "set security ike gateway s2 address 192.0.2.2\n"
	    "set security ipsec proposal esp encryption-algorithm aes-256-gcm\n"
	    "set security ipsec policy ipol proposals esp\n"
	    "set security ipsec vpn v2 bind-interface st0.0\n"
	    "set security ipsec vpn v2 ike gateway s2\n"
	    "set security ipsec vpn v2 ike ipsec-policy ipol\n"
	    "set interfaces st0 unit 0 multipoint\n"
	    "set interfaces st0 unit 0 family inet address 10.255.0.1/24\n",
	    (const char *const[]){ "st0.0 is multipoint", NULL });
	commit_ok(0, "set security ike proposal ikep dh-group group19\n"
	             "set security ike policy ikepol proposals ikep\n"
	             "set security ike policy ikepol pre-shared-key ascii-text \"k\"\n"
	             "set security ike gateway s2 ike-policy ikepol\n"
	             "set security ike gateway s2 address 192.0.2.2\n"
	             "set security ipsec proposal esp encryption-algorithm aes-256-gcm\n"
	             "set security ipsec policy ipol proposals esp\n"
	             "set security ipsec vpn v2 bind-interface st0.0\n"
	             "set security ipsec vpn v2 ike gateway s2\n"
	             "set security ipsec vpn v2 ike ipsec-policy ipol\n"
	             "set interfaces st0 unit 0 multipoint\n"
	             "set interfaces st0 unit 0 family inet address 10.255.0.1/24\n"
	             "set interfaces st0 unit 0 family inet next-hop-tunnel 10.255.0.2 "
	             "ipsec-vpn v2\n"
	             "set routing-options static route 10.2.0.0/24 next-hop 10.255.0.2\n");
	for (i = 0; i < 4; i++) {
		t = dp_mock_tunnel_find(S[0].m, 131073 + (uint32_t)i);
		if (t && t->nexthop.family == AF_INET && t->nexthop.u.b[3] == 2)
			found = true;
	}
	assert_true(found);
	/* the route through a next-hop in the multipoint subnet goes into st0.0 */
	assert_int_equal(S[0].d->obj.n_routes, 1);
	assert_int_equal(S[0].d->obj.routes[0].r.r.unit, 0);
	assert_int_equal(S[0].d->obj.routes[0].r.r.nexthop.u.b[3], 2);
}

/* ---- dataplane settings --------------------------------------------------------------------- */

static void
test_dataplane_change(void **state)
{
	uint64_t old;

	(void)state;
	bring_up();
	assert_up("vpn1");
	old = dp_mock_serial(S[0].m);
	assert_int_equal(dp_spu_count(S[0].d->dp), 1);
	commit_ok(0, "set security dataplane spus 3\n");
	assert_int_equal(dp_spu_count(S[0].d->dp), 3);
	/* a new dataplane (it may sit where the old one was: its log tells) */
	S[0].m = dp_mock_last();
	assert_true(dp_mock_serial(S[0].m) > old);
	assert_int_equal(dp_mock_count(S[0].m, DPM_OPEN), 1);
	/* everything programmed again on the new dataplane */
	assert_int_equal(dp_mock_count(S[0].m, DPM_UNIT_SET), 2);
	assert_int_equal(dp_mock_count(S[0].m, DPM_ROUTE_ADD), 2);
	pump();
	assert_up("vpn1");
}

/* ---- operational RPCs -------------------------------------------------------------------------- */

static char *
rpc(int i, const char *name, const char *args)
{
	const struct nb_rpc_ops *op;
	struct lyd_node *in = NULL, *out;
	struct errbuf err = { .msg = "" };
	char path[256], *json = NULL;
	int rc;

	snprintf(path, sizeof(path), "/cairn-security-state:%s", name);
	for (op = iked_rpcs; op->path && strcmp(op->path, path) != 0; op++)
		;
	assert_non_null(op->path);
	if (args) {
		char doc[1024];
		struct ly_in *li;

		snprintf(doc, sizeof(doc), "{\"cairn-security-state:%s\":{%s}}", name, args);
		assert_int_equal(ly_in_new_memory(doc, &li), LY_SUCCESS);
		rc = lyd_parse_op(
		    cfg_schema_ctx(schema), NULL, li, LYD_JSON, LYD_TYPE_RPC_YANG, &in, NULL);
		ly_in_free(li, 0);
		if (rc != LY_SUCCESS)
			fail_msg("%s: %s", doc, ly_errmsg(cfg_schema_ctx(schema)));
	} else {
		assert_int_equal(
		    lyd_new_path(NULL, cfg_schema_ctx(schema), path, NULL, 0, &in), LY_SUCCESS);
	}
	errbuf_clear(&err);
	if (op->json) {
		/* written as JSON: it must parse as the RPC's reply and validate */
		struct buf body = BUF_INIT;
		struct ly_in *li;
		struct lyd_node *node = NULL;

		out = NULL;
		rc = op->json(in, &body, &err, S[i].d);
		if (rc == 0) {
			assert_int_equal(ly_in_new_memory(buf_str(&body), &li), LY_SUCCESS);
			if (lyd_parse_op(cfg_schema_ctx(schema), NULL, li, LYD_JSON,
			        LYD_TYPE_REPLY_YANG, &out, &node) != LY_SUCCESS)
				fail_msg("%s: unparsable reply: %s\n%s", name,
				    ly_errmsg(cfg_schema_ctx(schema)), buf_str(&body));
			ly_in_free(li, 0);
		}
		buf_free(&body);
	} else {
		out = ipc_reply_new(in);
		assert_non_null(out);
		rc = op->handler(in, out, &err, S[i].d);
	}
	if (rc < 0) {
		if (asprintf(&json, "ERROR %s", err.msg) < 0)
			json = NULL;
	} else {
		if (lyd_validate_op(out, NULL, LYD_TYPE_REPLY_YANG, NULL) != LY_SUCCESS)
			fail_msg("%s: invalid reply: %s", name, ly_errmsg(cfg_schema_ctx(schema)));
		assert_int_equal(lyd_print_mem(&json, out, LYD_JSON, LYD_PRINT_SHRINK), LY_SUCCESS);
	}
	lyd_free_all(in);
	lyd_free_all(out);
	return json;
}

static void
expect(char *json, const char *const *parts)
{
	for (; *parts; parts++)
		if (!strstr(json, *parts))
			fail_msg("expected '%s' in %s", *parts, json);
	free(json);
}

static void
test_rpcs(void **state)
{
	struct spis a, b;
	char spi[64];

	(void)state;
	/* nothing configured: empty answers, not errors */
	expect(rpc(0, "get-security-associations-information", NULL),
	    (const char *const[]){ "\"total-active-tunnels\":0", NULL });
	bring_up();
	commit_ok(0, manual_cfg);
	a = vpn_spis(0, "vpn1");
	b = vpn_spis(1, "vpn1");
	snprintf(spi, sizeof(spi), "\"sa-spi\":\"%08x\"", a.in);
	expect(rpc(0, "get-security-associations-information", NULL),
	    (const char *const[]){ "\"total-active-tunnels\":3", spi, "\"sa-vpn-name\":\"vpn1\"",
	        "\"sa-type\":\"manual\"", "\"sa-esp-encryption-algorithm\":\"aes-gcm-128\"",
	        "\"sa-bind-interface\":\"st0.0\"", NULL });
	snprintf(spi, sizeof(spi), "\"sa-spi\":\"%08x\"", b.out);
	expect(rpc(1, "get-security-associations-information",
	           "\"vpn-name\":\"vpn1\",\"detail\":[null]"),
	    (const char *const[]){ "\"total-active-tunnels\":1", spi,
	        "IPSec SA negotiation successfully completed", NULL });
	/* the brief view carries what Junos's brief XML does; detail the rest */
	expect(rpc(0, "get-ike-security-associations-information", NULL),
	    (const char *const[]){ "\"ike-sa-state\":\"UP\"",
	        "\"ike-sa-remote-address\":\"192.0.2.2\"", "\"ike-sa-exchange-type\":\"IKEv2\"",
	        "\"ike-sa-initiator-cookie\":\"", NULL });
	expect(rpc(0, "get-ike-security-associations-information", "\"detail\":[null]"),
	    (const char *const[]){ "\"ike-sa-state\":\"UP\"",
	        "\"ike-sa-remote-address\":\"192.0.2.2\"", "\"ike-sa-dhgroup\":\"DH-group-19\"",
	        "\"ike-gw-name\":\"gw\"", NULL });
	expect(
	    rpc(0, "get-ike-security-associations-information", "\"peer-address\":\"192.0.2.9\""),
	    (const char *const[]){ "{}", NULL });
	expect(rpc(0, "get-ike-tunnel-map-information", NULL),
	    (const char *const[]){ "\"gateway-name\":\"gw\"", "\"spu-id\":\"0\"", NULL });
	expect(rpc(0, "get-ike-tunnel-map-information", "\"summary\":[null]"),
	    (const char *const[]){ "\"spu-tunnels\":3", "\"spu-load\":\"3.0\"", NULL });
	expect(rpc(0, "get-ipsec-tunnel-distribution", NULL),
	    (const char *const[]){
	        "\"sa-tunnel-id\":131073", "\"sa-tunnel-type\":\"manual\"", NULL });
	expect(rpc(0, "get-ipsec-inactive-tunnels", NULL),
	    (const char *const[]){ "\"total-inactive-tunnels\":0", NULL });
	expect(rpc(0, "get-ike-active-peer-information", NULL),
	    (const char *const[]){ "\"ike-ike-id\":\"192.0.2.2\"", NULL });
	expect(rpc(0, "get-interface-information", "\"interface-name\":\"st0.1\""),
	    (const char *const[]){ "\"name\":\"st0.1\"", "fd0f::1/64", "\"tunnels-up\":1", NULL });
	expect(rpc(0, "get-interface-information", "\"interface-name\":\"st0.4\""),
	    (const char *const[]){ "ERROR error: device st0.4 not found", NULL });
	expect(rpc(0, "get-route-information", NULL),
	    (const char *const[]){ "\"rt-destination\":\"10.2.0.0/24\"", "\"via\":\"st0.0\"",
	        "\"rt-destination\":\"fd02::/64\"", "\"table-name\":\"inet6.0\"", NULL });
	expect(rpc(0, "get-route-information", "\"destination\":\"10.2.0.7\""),
	    (const char *const[]){ "10.2.0.0/24", NULL });
	expect(rpc(0, "get-ipsec-statistics-information", NULL),
	    (const char *const[]){ "\"esp-encrypted-bytes\"", NULL });
	/* clear one tunnel: it goes down on both sides and is re-established (immediately) */
	expect(rpc(0, "clear-ipsec-security-associations", "\"index\":131074"),
	    (const char *const[]){ "\"cleared\":1", NULL });
	pump();
	assert_up("vpn2");
	expect(rpc(0, "clear-ipsec-security-associations", "\"index\":65537"),
	    (const char *const[]){ "ERROR", "manual SA", NULL });
	/* clear the IKE SA: the tunnels' history records it */
	expect(rpc(0, "clear-ike-security-associations", "\"peer-address\":\"192.0.2.2\""),
	    (const char *const[]){ "\"cleared\":", NULL });
	pump();
	expect(rpc(1, "get-security-associations-information", "\"index\":131073"),
	    (const char *const[]){ "\"sa-vpn-name\":\"vpn1\"", NULL });
	expect(rpc(0, "request-ipsec-re-distribution", "\"gateway-name\":\"gw\",\"spu\":5"),
	    (const char *const[]){ "ERROR error: SPU 5 does not exist", NULL });
	expect(rpc(0, "request-ipsec-re-distribution", "\"gateway-name\":\"nosuch\",\"spu\":0"),
	    (const char *const[]){ "ERROR error: IKE gateway nosuch is not configured", NULL });
	expect(rpc(0, "request-ipsec-re-distribution",
	           "\"gateway-name\":\"gw\",\"remote-id\":\"a.example.net\",\"spu\":0"),
	    (const char *const[]){
	        "ERROR error: remote-id chooses a peer of a dial-up gateway; gw is site-to-site",
	        NULL });
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_translate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_prepare_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_touch_only_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incremental_one_vpn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incremental_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manual, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_based, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_based_applications, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dataplane_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rpcs, setup, teardown),
	};
	const char *dir = getenv("CAIRN_YANG_DIR");
	struct errbuf err = { .msg = "" };
	int rc;

	log_init("test_iked_nb", false);
	log_set_level(getenv("TEST_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	errbuf_clear(&err);
	schema = cfg_schema_load(dir && *dir ? dir : "yang", &err);
	if (!schema) {
		fprintf(stderr, "schema: %s\n", err.msg);
		return 1;
	}
	base = event_base_new();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	event_base_free(base);
	cfg_schema_free(schema);
	free(q);
	return rc;
}
