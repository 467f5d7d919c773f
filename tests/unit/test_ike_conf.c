/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ike_conf: the YANG mirror, resolution into what the engine
 * runs (defaults, proposal-set expansion, keys, selectors), the checks that
 * refuse what Cairn cannot do with a message naming the path, and what
 * counts as an SA-relevant change.
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

#include "ike_conf.h"
#include "ike_wire.h"

/* A minimal valid configuration: one gateway, one VPN. */
static struct ike_conf *
base(void)
{
	struct ike_conf *c = ike_conf_new();
	struct ike_conf_ike_proposal *p = ike_conf_add_ike_proposal(c, "ikep");
	struct ike_conf_ike_policy *pol = ike_conf_add_ike_policy(c, "ikepol");
	struct ike_conf_gateway *g = ike_conf_add_gateway(c, "gw1");
	struct ike_conf_ipsec_proposal *ep = ike_conf_add_ipsec_proposal(c, "espp");
	struct ike_conf_ipsec_policy *ipol = ike_conf_add_ipsec_policy(c, "ipol");
	struct ike_conf_vpn *v = ike_conf_add_vpn(c, "vpn1");

	(void)p;
	snprintf(pol->proposals[0], sizeof(pol->proposals[0]), "ikep");
	pol->n_proposals = 1;
	ike_conf_set_key(&pol->psk, false, "secret");
	snprintf(g->ike_policy, sizeof(g->ike_policy), "ikepol");
	ike_conf_gateway_add_address(g, "198.51.100.1");
	ike_conf_set_str(&g->local_address, "192.0.2.1");
	ep->enc = IKE_CE_AES256_GCM;
	snprintf(ipol->proposals[0], sizeof(ipol->proposals[0]), "espp");
	ipol->n_proposals = 1;
	ike_conf_set_str(&v->bind_interface, "st0.7");
	snprintf(v->gateway, sizeof(v->gateway), "gw1");
	snprintf(v->ipsec_policy, sizeof(v->ipsec_policy), "ipol");
	return c;
}

/* YANG defaults: group14, aes-128-cbc, sha-256, 28800 s; ESP 3600 s. */
static void
test_defaults(void **state)
{
	struct ike_conf *c = base();
	struct ike_gw_conf g;
	struct ike_vpn_conf v;
	struct errbuf err = { .msg = "" };

	(void)state;
	errbuf_clear(&err);
	assert_int_equal(ike_conf_resolve_gateway(c, "gw1", NULL, NULL, &g, &err), 0);
	assert_int_equal(g.n_ike_props, 1);
	assert_int_equal(g.ike_props[0].encr, IKE_ENCR_AES_CBC);
	assert_int_equal(g.ike_props[0].encr_bits, 128);
	assert_int_equal(g.ike_props[0].prf, IKE_PRF_HMAC_SHA2_256);
	assert_int_equal(g.ike_props[0].integ, IKE_INTEG_HMAC_SHA2_256_128);
	assert_int_equal(g.ike_props[0].dh, IKE_DH_MODP2048);
	assert_int_equal(g.ike_lifetime[0], 28800);
	assert_int_equal(g.psk_len, 6);
	assert_memory_equal(g.psk, "secret", 6);
	assert_int_equal(g.n_remote, 1);
	assert_int_equal(g.remote[0].family, AF_INET);
	assert_true(g.nat_t);
	assert_int_equal(g.nat_keepalive, 20);
	assert_int_equal(g.dpd_mode, IKE_DPD_OFF);
	assert_int_equal(g.local_id.type, IKE_ID_NONE);
	ike_gw_conf_fini(&g);
	assert_int_equal(ike_conf_resolve_vpn(c, "vpn1", &v, &err), 0);
	assert_int_equal(v.unit, 7);
	assert_int_equal(v.n_esp_props, 1);
	assert_int_equal(v.esp_props[0].encr, IKE_ENCR_AES_GCM_16);
	assert_int_equal(v.esp_props[0].integ, 0);
	assert_int_equal(v.esp_life_s[0], 3600);
	assert_int_equal(v.replay_window, 64);
	assert_int_equal(v.establish, IKE_EST_ON_TRAFFIC);
	assert_int_equal(v.install_interval, 1);
	/* No selectors configured: everything, both families, one tunnel. */
	assert_int_equal(v.n_ts, 1);
	assert_int_equal(v.ts[0].n_local, 2);
	assert_int_equal(v.ts[0].local[1].family, AF_INET6);
	assert_true(v.ts_proxy_id);
	ike_vpn_conf_fini(&v);
	assert_int_equal(ike_conf_check(c, NULL, NULL, &err), 0);
	ike_conf_free(c);
}

static void
test_proposal_sets(void **state)
{
	struct ike_conf *c = base();
	struct ike_gw_conf g;
	struct ike_vpn_conf v;
	struct errbuf err = { .msg = "" };

	(void)state;
	c->ike_policies[0].n_proposals = 0;
	c->ike_policies[0].proposal_set = IKE_PSET_SUITEB_GCM_256;
	c->ipsec_policies[0].n_proposals = 0;
	c->ipsec_policies[0].proposal_set = IKE_PSET_SUITEB_GCM_128;
	errbuf_clear(&err);
	assert_int_equal(ike_conf_resolve_gateway(c, "gw1", NULL, NULL, &g, &err), 0);
	assert_int_equal(g.n_ike_props, 1);
	assert_int_equal(g.ike_props[0].encr, IKE_ENCR_AES_GCM_16);
	assert_int_equal(g.ike_props[0].encr_bits, 256);
	assert_int_equal(g.ike_props[0].prf, IKE_PRF_HMAC_SHA2_384);
	assert_int_equal(g.ike_props[0].dh, IKE_DH_ECP384);
	ike_gw_conf_fini(&g);
	assert_int_equal(ike_conf_resolve_vpn(c, "vpn1", &v, &err), 0);
	assert_int_equal(v.esp_props[0].encr_bits, 128);
	assert_int_equal(v.pfs_group, IKE_DH_ECP256); /* the set's PFS */
	assert_int_equal(v.esp_props[0].dh, IKE_DH_ECP256);
	ike_vpn_conf_fini(&v);
	/* A configured PFS group wins over the set's. */
	c->ipsec_policies[0].pfs_group = IKE_DH_CURVE25519;
	assert_int_equal(ike_conf_resolve_vpn(c, "vpn1", &v, &err), 0);
	assert_int_equal(v.pfs_group, IKE_DH_CURVE25519);
	ike_vpn_conf_fini(&v);
	/* standard needs SHA-1 and group 2. */
	c->ike_policies[0].proposal_set = IKE_PSET_STANDARD;
	assert_int_equal(ike_conf_resolve_gateway(c, "gw1", NULL, NULL, &g, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "security ike policy ikepol proposal-set standard"));
	errbuf_clear(&err);
	c->ipsec_policies[0].proposal_set = IKE_PSET_BASIC;
	assert_int_equal(ike_conf_resolve_vpn(c, "vpn1", &v, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "security ipsec policy ipol proposal-set basic"));
	ike_conf_free(c);
}

/* What Cairn cannot do is refused with the configuration path. */
static void
test_refusals(void **state)
{
	struct ike_conf *c;
	struct errbuf err = { .msg = "" };

	(void)state;
	c = base();
	c->ike_proposals[0].dh_group = 2;
	errbuf_clear(&err);
	assert_int_equal(ike_conf_check(c, NULL, NULL, &err), -EINVAL);
	assert_non_null(
	    strstr(err.msg, "security ike proposal ikep dh-group: group2 is not supported"));
	ike_conf_free(c);

	c = base();
	c->ike_proposals[0].auth_alg = IKE_CIA_SHA1;
	errbuf_clear(&err);
	assert_int_equal(ike_conf_check(c, NULL, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "authentication-algorithm"));
	ike_conf_free(c);

	c = base();
	c->ike_proposals[0].auth_method = IKE_CAM_RSA_SIGNATURES;
	errbuf_clear(&err);
	assert_int_equal(ike_conf_check(c, NULL, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "only pre-shared-keys"));
	ike_conf_free(c);

	c = base();
	c->ipsec_proposals[0].auth_alg = IKE_CEA_HMAC_SHA256_128; /* with GCM */
	errbuf_clear(&err);
	assert_int_equal(ike_conf_check(c, NULL, NULL, &err), -EINVAL);
	assert_non_null(
	    strstr(err.msg, "security ipsec proposal espp: authentication-algorithm must not"));
	ike_conf_free(c);

	c = base();
	c->ipsec_proposals[0].enc = IKE_CE_AES256_CBC; /* without integrity */
	errbuf_clear(&err);
	assert_int_equal(ike_conf_check(c, NULL, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "authentication-algorithm is required"));
	ike_conf_free(c);

	c = base();
	c->ipsec_proposals[0].enc = IKE_CE_AES192_GCM;
	errbuf_clear(&err);
	assert_int_equal(ike_conf_check(c, NULL, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "aes-192-gcm is not supported"));
	ike_conf_free(c);

	c = base();
	c->gateways[0].v1_only = true;
	errbuf_clear(&err);
	assert_int_equal(ike_conf_check(c, NULL, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "v1-only is not supported"));
	ike_conf_free(c);

	/* Several problems at once: one line each. */
	c = base();
	free(c->gateways[0].address[0]);
	c->gateways[0].address[0] = strdup("not.an.address");
	c->vpns[0].n_ts = 0;
	ike_conf_set_str(&c->vpns[0].bind_interface, "ge-0/0/0.0");
	errbuf_clear(&err);
	assert_int_equal(ike_conf_check(c, NULL, NULL, &err), -EINVAL);
	assert_non_null(
	    strstr(err.msg, "security ike gateway gw1 address: cannot resolve 'not.an.address'"));
	assert_non_null(
	    strstr(err.msg, "\nsecurity ipsec vpn vpn1 bind-interface: expecting st0.N"));
	ike_conf_free(c);
}

static int
resolver(void *ctx, const char *host, struct ike_addr *out)
{
	(void)ctx;
	if (strcmp(host, "peer.example.net") != 0)
		return -ENOENT;
	return ike_addr_parse("203.0.113.9", out);
}

static void
test_keys_ids_selectors(void **state)
{
	struct ike_conf *c = base();
	struct ike_conf_gateway *g = &c->gateways[0];
	struct ike_conf_vpn *v = &c->vpns[0];
	struct ike_conf_ts *t;
	struct ike_gw_conf gc;
	struct ike_vpn_conf vc;
	struct errbuf err = { .msg = "" };
	char buf[128];

	(void)state;
	ike_conf_set_key(&c->ike_policies[0].psk, true, "0xDEADbeef00");
	ike_conf_set_id(&g->local_id, IKE_IDK_USER_AT_HOSTNAME, "site@example.net");
	ike_conf_set_id(&g->remote_id, IKE_IDK_INET, "198.51.100.1");
	free(g->address[0]);
	g->address[0] = strdup("peer.example.net");
	g->dpd = true;
	g->dpd_interval = 20;
	errbuf_clear(&err);
	assert_int_equal(ike_conf_resolve_gateway(c, "gw1", resolver, NULL, &gc, &err), 0);
	assert_int_equal(gc.psk_len, 5);
	assert_memory_equal(gc.psk, "\xde\xad\xbe\xef\x00", 5);
	assert_int_equal(gc.local_id.type, IKE_ID_RFC822_ADDR);
	assert_int_equal(gc.remote_id.type, IKE_ID_IPV4_ADDR);
	assert_string_equal(ike_addr_str(&gc.remote[0], buf, sizeof(buf)), "203.0.113.9");
	assert_int_equal(gc.dpd_mode, IKE_DPD_OPTIMIZED);
	assert_int_equal(gc.dpd_interval, 20);
	assert_int_equal(gc.dpd_threshold, 5);
	ike_gw_conf_fini(&gc);
	ike_conf_set_key(&c->ike_policies[0].psk, true, "abc");
	assert_int_equal(ike_conf_resolve_gateway(c, "gw1", resolver, NULL, &gc, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "hexadecimal"));

	/* proxy-identity, then traffic-selectors (one tunnel each). */
	v->proxy_identity = true;
	ike_conf_set_str(&v->proxy_local, "10.0.0.0/24");
	ike_conf_set_str(&v->proxy_remote, "10.9.0.0/16");
	errbuf_clear(&err);
	assert_int_equal(ike_conf_resolve_vpn(c, "vpn1", &vc, &err), 0);
	assert_int_equal(vc.n_ts, 1);
	assert_string_equal(ike_ts_str(&vc.ts[0].remote[0], buf, sizeof(buf)),
	    "ipv4(0,0-65535,10.9.0.0-10.9.255.255)");
	ike_vpn_conf_fini(&vc);
	ike_conf_set_str(&v->proxy_service, "junos-http");
	assert_int_equal(ike_conf_resolve_vpn(c, "vpn1", &vc, &err), -ENOTSUP);
	t = ike_conf_vpn_add_ts(v, "a");
	ike_conf_set_str(&t->local_ip, "10.0.1.0/24");
	ike_conf_set_str(&t->remote_ip, "10.1.1.0/24");
	t = ike_conf_vpn_add_ts(v, "b");
	ike_conf_set_str(&t->local_ip, "2001:db8:1::/48");
	ike_conf_set_str(&t->remote_ip, "2001:db8:2::/48");
	t->metric = 10;
	errbuf_clear(&err);
	assert_int_equal(ike_conf_resolve_vpn(c, "vpn1", &vc, &err), 0);
	assert_int_equal(vc.n_ts, 2);
	assert_false(vc.ts_proxy_id);
	assert_string_equal(vc.ts[1].name, "b");
	assert_int_equal(vc.ts[1].local[0].family, AF_INET6);
	assert_int_equal(vc.ts[1].metric, 10);
	ike_vpn_conf_fini(&vc);
	/* Mixed families in one selector are refused. */
	ike_conf_set_str(&t->remote_ip, "10.1.2.0/24");
	assert_int_equal(ike_conf_resolve_vpn(c, "vpn1", &vc, &err), -EINVAL);
	ike_conf_free(c);
}

/* Dial-up matching kinds. */
static void
test_dynamic(void **state)
{
	struct ike_conf *c = base();
	struct ike_conf_gateway *g = &c->gateways[0];
	struct ike_gw_conf gc;
	struct errbuf err = { .msg = "" };

	(void)state;
	g->dynamic = true;
	ike_conf_set_id(&g->dyn_id, IKE_IDK_HOSTNAME, ".example.net");
	g->ike_user_type = IKE_USER_GROUP_IKE_ID;
	g->connections_limit = 10;
	errbuf_clear(&err);
	assert_int_equal(ike_conf_resolve_gateway(c, "gw1", NULL, NULL, &gc, &err), 0);
	assert_true(gc.dynamic);
	assert_int_equal(gc.dyn_match, IKE_DYN_GROUP);
	assert_int_equal(gc.connections_limit, 10);
	ike_gw_conf_fini(&gc);
	g->ike_user_type = IKE_USER_SHARED_IKE_ID;
	assert_int_equal(ike_conf_resolve_gateway(c, "gw1", NULL, NULL, &gc, &err), 0);
	assert_int_equal(gc.dyn_match, IKE_DYN_SHARED);
	ike_gw_conf_fini(&gc);
	g->dyn_general_ikeid = true;
	assert_int_equal(ike_conf_resolve_gateway(c, "gw1", NULL, NULL, &gc, &err), 0);
	assert_int_equal(gc.dyn_match, IKE_DYN_GENERAL);
	ike_gw_conf_fini(&gc);
	ike_conf_free(c);
}

/* DPD and keepalive timing apply in place; keys and proposals do not. */
static void
test_sa_relevant_changes(void **state)
{
	struct ike_conf *c = base();
	struct ike_gw_conf a, b;
	struct ike_vpn_conf va, vb;
	struct errbuf err = { .msg = "" };

	(void)state;
	errbuf_clear(&err);
	assert_int_equal(ike_conf_resolve_gateway(c, "gw1", NULL, NULL, &a, &err), 0);
	c->gateways[0].dpd = true;
	c->gateways[0].nat_keepalive = 30;
	assert_int_equal(ike_conf_resolve_gateway(c, "gw1", NULL, NULL, &b, &err), 0);
	assert_true(ike_gw_conf_sa_equal(&a, &b));
	ike_gw_conf_fini(&b);
	ike_conf_set_key(&c->ike_policies[0].psk, false, "other");
	assert_int_equal(ike_conf_resolve_gateway(c, "gw1", NULL, NULL, &b, &err), 0);
	assert_false(ike_gw_conf_sa_equal(&a, &b));
	ike_gw_conf_fini(&a);
	ike_gw_conf_fini(&b);
	assert_int_equal(ike_conf_resolve_vpn(c, "vpn1", &va, &err), 0);
	c->vpns[0].establish = IKE_EST_IMMEDIATELY;
	assert_int_equal(ike_conf_resolve_vpn(c, "vpn1", &vb, &err), 0);
	assert_true(ike_vpn_conf_sa_equal(&va, &vb));
	ike_vpn_conf_fini(&vb);
	c->ipsec_proposals[0].esn = true;
	assert_int_equal(ike_conf_resolve_vpn(c, "vpn1", &vb, &err), 0);
	assert_false(ike_vpn_conf_sa_equal(&va, &vb));
	ike_vpn_conf_fini(&va);
	ike_vpn_conf_fini(&vb);
	assert_int_equal(ike_conf_del_vpn(c, "vpn1"), 0);
	assert_int_equal(ike_conf_del_vpn(c, "vpn1"), -ENOENT);
	assert_int_equal(ike_conf_del_gateway(c, "gw1"), 0);
	assert_int_equal(ike_conf_check(c, NULL, NULL, &err), 0);
	ike_conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_proposal_sets),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_keys_ids_selectors),
		cmocka_unit_test(test_dynamic),
		cmocka_unit_test(test_sa_relevant_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
