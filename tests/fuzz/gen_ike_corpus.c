/* SPDX-License-Identifier: MIT */
/*
 * gen_ike_corpus: writes the seed corpus of fuzz_ike_msg
 * (tests/fuzz/corpus/ike_msg/): every datagram of an in-process session
 * (IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL, both directions)
 * as mode 0 and mode 2 inputs, and plaintext SK contents as mode 1 inputs.
 * Not a test: run `make gen-ike-corpus && build/bin/gen-ike-corpus DIR`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ike_harness.h"
#include "ike_msg.h"
#include "ike_wire.h"

static const char *dir;
static unsigned seq;

static void
put(uint8_t mode, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%03u-m%u", dir, seq++, mode);
	f = fopen(path, "wb");
	if (!f || fwrite(&mode, 1, 1, f) != 1 || fwrite(p, 1, len, f) != len) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

static enum net_verdict
capture(void *ctx, const struct net_pkt *k)
{
	(void)ctx;
	if (k->d.kind == IKE_DGRAM_IKE) {
		put(0, k->buf, k->len);
		if (k->exchange == IKE_X_SA_INIT && !k->response)
			put(2, k->buf, k->len);
	}
	return NET_DELIVER;
}

static void
inner_seeds(void)
{
	uint8_t buf[2048], spi[4] = { 0xc0, 0, 0, 1 }, nonce[32] = { 1 }, ke[64] = { 2 };
	struct ike_offer esp = { 1, IKE_PROTO_ESP, 4, { 0xc0, 0, 0, 2 },
		{ IKE_ENCR_AES_GCM_16, 128, 0, 0, IKE_DH_ECP256, 0 } };
	struct ike_ts ts;
	struct ike_id id;
	struct ike_enc e;
	uint32_t spis[2] = { 0xc0000001, 0xc0000002 };
	uint16_t attrs[3] = { 1, 3, 8 };
	uint8_t out[2048];

	ike_ts_any(&ts, AF_INET);
	ike_id_from_conf(IKE_IDK_HOSTNAME, "spoke.example.net", &id);
	/* IKE_AUTH request contents */
	ike_enc_init(&e, buf, sizeof(buf));
	e.next_at = 0;
	buf[0] = 0;
	ike_enc_id(&e, IKE_PL_IDI, &id);
	ike_enc_auth(&e, IKE_AUTH_PSK, nonce, 32);
	ike_enc_notify(&e, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	ike_enc_notify(&e, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_enc_cp(&e, 1, attrs, 3);
	ike_enc_sa(&e, &esp, 1);
	ike_enc_ts(&e, IKE_PL_TSI, &ts, 1);
	ike_enc_ts(&e, IKE_PL_TSR, &ts, 1);
	out[0] = 0; /* GCM */
	out[1] = IKE_PL_IDI;
	memcpy(out + 2, buf, e.len);
	put(1, out, e.len + 2);
	/* CREATE_CHILD_SA rekey with PFS */
	ike_enc_init(&e, buf, sizeof(buf));
	ike_enc_notify(&e, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, NULL, 0);
	ike_enc_sa(&e, &esp, 1);
	ike_enc_nonce(&e, nonce, 32);
	ike_enc_ke(&e, IKE_DH_ECP256, ke, 64);
	ike_enc_ts(&e, IKE_PL_TSI, &ts, 1);
	ike_enc_ts(&e, IKE_PL_TSR, &ts, 1);
	out[0] = 1; /* CBC */
	out[1] = IKE_PL_NOTIFY;
	memcpy(out + 2, buf, e.len);
	put(1, out, e.len + 2);
	/* INFORMATIONAL deletes */
	ike_enc_init(&e, buf, sizeof(buf));
	ike_enc_delete(&e, IKE_PROTO_ESP, spis, 2);
	ike_enc_delete(&e, IKE_PROTO_IKE, NULL, 0);
	out[0] = 0;
	out[1] = IKE_PL_DELETE;
	memcpy(out + 2, buf, e.len);
	put(1, out, e.len + 2);
}

int
main(int argc, char **argv)
{
	struct net *n;
	struct peer *a, *b;
	struct pcfg ca = { .establish = IKE_EST_IMMEDIATELY,
		.peer_addr = "198.51.100.1",
		.pfs = 19,
		.local_id_kind = IKE_IDK_HOSTNAME,
		.local_id = "a.example.net" };
	struct pcfg cb = { .establish = IKE_EST_RESPONDER_ONLY, .dynamic = true, .pfs = 19 };
	struct ike_tunnel_info t;
	struct ike_sa_info s;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-ike-corpus DIR\n");
		return 2;
	}
	dir = argv[1];
	n = net_new();
	a = net_peer(n, "A", "192.0.2.1", 1, NULL);
	b = net_peer(n, "B", "198.51.100.1", 2, NULL);
	n->filter = capture;
	peer_configure(a, &ca);
	peer_configure(b, &cb);
	net_advance(n, 1000);
	if (peer_tunnel(a, &t))
		ike_engine_rekey_child(a->e, t.id);
	net_advance(n, 1000);
	if (peer_ike_sa(b, &s))
		ike_engine_rekey_ike(b->e, s.index);
	net_advance(n, 1000);
	ike_engine_clear_ike_sa(a->e, 0);
	net_advance(n, 1000);
	net_free(n);
	inner_seeds();
	printf("%u seeds in %s\n", seq, dir);
	return 0;
}
