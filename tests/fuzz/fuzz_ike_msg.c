/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ike_msg: the IKE message parser (daemons/iked/ike_msg.c) and what
 * consumes it. The first byte picks a mode:
 *   0  a whole message: header, payload chain, every payload's typed
 *      parser, proposal selection and acceptance, selector narrowing;
 *   1  the inside of an SK payload: the rest of the input is a plaintext
 *      payload chain (first byte: its first type), sealed with a fixed key
 *      (AES-GCM or AES-CBC + HMAC by the second byte), then opened and
 *      parsed as the engine does after decryption;
 *   2  a datagram into a responder engine (IKE_SA_INIT handling, cookies,
 *      proposal choice, key exchange) with the mock dataplane.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dp.h"
#include "ike_conf.h"
#include "ike_crypto.h"
#include "ike_engine.h"
#include "ike_msg.h"
#include "ike_prop.h"
#include "ike_ts.h"
#include "ike_wire.h"
#include "log.h"
#include "mock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ike_crypto *crypto;
static struct ike_engine *engine;
static struct dp *dp;
static uint64_t clock_ms = 1000;

static const struct ike_suite suites[] = {
	{ IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, 0, IKE_DH_ECP256, 0 },
	{ IKE_ENCR_AES_CBC, 256, IKE_PRF_HMAC_SHA2_384, IKE_INTEG_HMAC_SHA2_384_192,
	    IKE_DH_MODP2048, 0 },
	{ IKE_ENCR_AES_GCM_16, 256, 0, 0, 0, IKE_ESN_YES },
};

static void
typed(const struct ike_plds *pl)
{
	unsigned i;

	for (i = 0; i < pl->n; i++) {
		const struct ike_pld *p = &pl->pld[i];
		struct ike_sa_pl sa;
		struct ike_notify_pl n;
		struct ike_ke_pl ke;
		struct ike_id id;
		struct ike_auth_pl au;
		struct ike_delete_pl d;
		struct ike_cp_pl cp;
		struct ike_ts ts[IKE_TS_MAX], out[IKE_TS_MAX], any;
		struct ike_choice c;
		const uint8_t *nonce;
		size_t nl;
		unsigned nts, k;
		char buf[IKE_ID_STRLEN];

		switch (p->type) {
		case IKE_PL_SA:
			if (ike_sa_pl_parse(p, &sa) == 0) {
				ike_prop_select(
				    &sa, IKE_PROTO_IKE, suites, 2, 0, IKE_DH_ECP256, &c);
				ike_prop_select(
				    &sa, IKE_PROTO_ESP, &suites[2], 1, IKE_SEL_IGNORE_DH, 0, &c);
				ike_prop_accept(&sa, IKE_PROTO_IKE, suites, 2, 0, &c);
			}
			break;
		case IKE_PL_NOTIFY:
			ike_notify_parse(p, &n);
			break;
		case IKE_PL_KE:
			ike_ke_parse(p, &ke);
			break;
		case IKE_PL_NONCE:
			ike_nonce_parse(p, &nonce, &nl);
			break;
		case IKE_PL_IDI:
		case IKE_PL_IDR:
			if (ike_id_parse(p, &id) == 0)
				ike_id_str(&id, buf, sizeof(buf));
			break;
		case IKE_PL_AUTH:
			ike_auth_parse(p, &au);
			break;
		case IKE_PL_DELETE:
			if (ike_delete_parse(p, &d) == 0 && d.spi_len == 4)
				for (k = 0; k < d.n; k++)
					ike_delete_spi(&d, k);
			break;
		case IKE_PL_TSI:
		case IKE_PL_TSR:
			if (ike_ts_parse(p, ts, IKE_TS_MAX, &nts) >= 0 && nts) {
				ike_ts_any(&any, ts[0].family);
				ike_ts_narrow(ts, nts, &any, 1, out, IKE_TS_MAX);
				ike_ts_list_subset(ts, nts, &any, 1);
				ike_ts_str(&ts[0], buf, sizeof(buf));
			}
			break;
		case IKE_PL_CP:
			ike_cp_parse(p, &cp);
			break;
		default:
			break;
		}
	}
	ike_plds_error(pl);
}

static void
whole(const uint8_t *data, size_t size)
{
	struct ike_hdr h;
	struct ike_plds pl;

	if (ike_hdr_parse(data, size, &h) < 0)
		return;
	if (ike_plds_parse(h.next, data + IKE_HDR_LEN, size - IKE_HDR_LEN, IKE_HDR_LEN, &pl) < 0)
		return;
	typed(&pl);
}

static void
sealed(const uint8_t *data, size_t size)
{
	static uint8_t msg[IKE_MSG_MAX], plain[IKE_MSG_MAX];
	static const uint8_t ke[IKE_ENC_KEY_MAX] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
		15, 16, 17, 18, 19, 20 };
	static const uint8_t ka[IKE_PRF_MAX] = { 42 };
	const uint8_t iv[IKE_IV_MAX] = { 7 };
	const struct ike_suite *s;
	struct ike_hdr h = { 1, 2, 0, IKE_VERSION, IKE_X_AUTH, IKE_HDR_F_INIT, 1, 0 };
	struct ike_enc e;
	struct ike_plds outer, pl;
	size_t sk, len, plen;

	if (size < 2)
		return;
	s = &suites[data[0] & 1];
	ike_enc_init(&e, msg, sizeof(msg));
	ike_enc_hdr(&e, &h);
	sk = ike_enc_sk_begin(&e, ike_encr_iv_len(s->encr));
	msg[sk] = data[1];
	ike_enc_bytes(&e, data + 2, size - 2);
	if (e.overflow ||
	    ike_sk_seal(crypto, s, ke, ka, iv, msg, sizeof(msg), sk, size - 2, &len) < 0)
		return;
	if (ike_hdr_parse(msg, len, &h) < 0 ||
	    ike_plds_parse(h.next, msg + IKE_HDR_LEN, len - IKE_HDR_LEN, IKE_HDR_LEN, &outer) < 0 ||
	    !outer.has_sk)
		abort(); /* our own sealing must always parse */
	if (ike_sk_open(crypto, s, ke, ka, msg, len, outer.sk_off, plain, sizeof(plain), &plen) < 0)
		abort();
	if (ike_plds_parse(outer.sk_first, plain, plen, 0, &pl) < 0)
		return;
	typed(&pl);
}

static uint64_t
now(void *ctx)
{
	(void)ctx;
	return clock_ms;
}

static int
sink(void *ctx, const struct ike_dgram *d)
{
	(void)ctx;
	(void)d;
	return 0;
}

static int
fixed_rand(void *ctx, void *buf, size_t len)
{
	static uint64_t s = 0x1234567;
	uint8_t *b = buf;
	size_t i;

	(void)ctx;
	for (i = 0; i < len; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		b[i] = (uint8_t)(s >> 56);
	}
	return 0;
}

static void
engine_setup(void)
{
	struct dp_config dc = { .backend = DP_BACKEND_MOCK, .spus = 2, .flow_threads = 1 };
	struct ike_env env;
	struct ike_conf *c = ike_conf_new();
	struct ike_conf_ike_proposal *p;
	struct ike_conf_ike_policy *pol;
	struct ike_conf_gateway *g;
	struct ike_conf_ipsec_proposal *ep;
	struct ike_conf_ipsec_policy *ip;
	struct ike_conf_vpn *v;
	struct errbuf err = { .msg = "" };

	errbuf_clear(&err);
	if (dp_open(&dc, &dp, &err) < 0)
		abort();
	memset(&env, 0, sizeof(env));
	env.send = sink;
	env.now_ms = now;
	env.rand = fixed_rand;
	env.dp = dp;
	engine = ike_engine_new(&env, NULL);
	p = ike_conf_add_ike_proposal(c, "p");
	p->dh_group = IKE_DH_ECP256;
	p->enc = IKE_CE_AES128_GCM;
	pol = ike_conf_add_ike_policy(c, "pol");
	snprintf(pol->proposals[0], sizeof(pol->proposals[0]), "p");
	pol->n_proposals = 1;
	ike_conf_set_key(&pol->psk, false, "fuzz");
	g = ike_conf_add_gateway(c, "dial");
	snprintf(g->ike_policy, sizeof(g->ike_policy), "pol");
	g->dynamic = true;
	g->dyn_general_ikeid = true;
	ep = ike_conf_add_ipsec_proposal(c, "e");
	ep->enc = IKE_CE_AES128_GCM;
	ip = ike_conf_add_ipsec_policy(c, "ip");
	snprintf(ip->proposals[0], sizeof(ip->proposals[0]), "e");
	ip->n_proposals = 1;
	v = ike_conf_add_vpn(c, "v");
	ike_conf_set_str(&v->bind_interface, "st0.0");
	snprintf(v->gateway, sizeof(v->gateway), "dial");
	snprintf(v->ipsec_policy, sizeof(v->ipsec_policy), "ip");
	if (!engine || ike_engine_configure(engine, c, NULL, NULL, &err) < 0)
		abort();
	ike_conf_free(c);
}

static void
into_engine(const uint8_t *data, size_t size)
{
	struct ike_dgram d;

	memset(&d, 0, sizeof(d));
	ike_addr_parse("198.51.100.1", &d.local.addr);
	ike_addr_parse("192.0.2.1", &d.remote.addr);
	d.local.port = size & 1 ? 4500 : 500;
	d.remote.port = 500;
	d.data = data;
	d.len = size;
	ike_engine_input(engine, &d);
	/* Half-open state must not pile up across inputs. */
	clock_ms += 61000;
	ike_engine_run_timers(engine);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LVL_ERR);
	crypto = ike_crypto_new();
	if (!crypto)
		abort();
	engine_setup();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > IKE_MSG_MAX)
		return 0;
	switch (data[0] % 3) {
	case 0:
		whole(data + 1, size - 1);
		break;
	case 1:
		sealed(data + 1, size - 1);
		break;
	default:
		into_engine(data + 1, size - 1);
		break;
	}
	return 0;
}
