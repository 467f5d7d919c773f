/* SPDX-License-Identifier: MIT */
/*
 * ike_init: the IKE_SA_INIT exchange (RFC 7296 1.2), both roles: proposal
 * choice, Diffie-Hellman and the IKE SA keys, stateless cookies above a
 * half-open threshold (2.6), INVALID_KE_PAYLOAD answers and retries (1.2),
 * and NAT detection with the move to port 4500 (2.23).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ike_int.h"
#include "log.h"
#include "rd.h"

#include "banned.h"

#define COOKIE_LEN       20     /* 4-byte secret version + 16 bytes of SHA-256 */
#define COOKIE_ROTATE_MS 300000 /* a new secret every five minutes */

/* Candidate gateways of a responder: those whose peer address matches,
 * then every dial-up gateway. The gateway is settled by IKE_AUTH. */
unsigned
ike_init_candidates(
    struct ike_engine *e, const struct ike_addr *remote, struct ike_gw **out, unsigned max)
{
	struct ike_gw *gw;
	struct ike_hnode *h;
	unsigned n = 0, i, j;

	/* static gateways with this address (hashed), in configuration order */
	for (h = ike_htab_find(&e->gw_by_addr, ike_addr_key(remote)); h; h = ike_htab_next(h)) {
		struct ike_gw_addr *ga = ike_container_of(h, struct ike_gw_addr, h);
		bool seen = false;

		gw = ga->gw;
		if (!ike_addr_eq(&gw->conf.remote[ga - gw->by_addr], remote))
			continue;
		for (j = 0; j < n; j++)
			seen |= out[j] == gw;
		if (seen)
			continue;
		/* insertion by id keeps the order the list walk had */
		for (j = n; j > 0 && out[j - 1]->id > gw->id; j--)
			if (j < max)
				out[j] = out[j - 1];
		if (j < max) {
			out[j] = gw;
			if (n < max)
				n++;
		}
	}
	/* dial-up gateways; static peers behind a NAT, found by their ID later */
	ike_list_foreach(gw, it, &e->gws_any, struct ike_gw, any_link)
	{
		bool seen = false;

		if (n >= max)
			break;
		for (i = 0; i < n; i++)
			seen |= out[i] == gw;
		if (!seen)
			out[n++] = gw;
	}
	return n;
}

/*
 * Responder: none of the peer's IKE proposals is ours. A gateway configured
 * with the peer's address gets the reason in its tunnels' history and the
 * log gets both lists; anyone else (a dial-up peer is known only after
 * IKE_AUTH, or a stranger) only a debug line, as this is unauthenticated.
 */
static void
init_refused(
    const struct ike_dgram *d, const struct ike_sa_pl *peer, struct ike_gw **cand, unsigned nc)
{
	char addr[64], got[512], conf[512];
	bool known = false;
	unsigned i, j;

	ike_addr_str(&d->remote.addr, addr, sizeof(addr));
	ike_sa_pl_str(peer, IKE_PROTO_IKE, got, sizeof(got));
	for (i = 0; i < nc; i++) {
		const struct ike_gw *gw = cand[i];
		bool by_addr = false;

		for (j = 0; j < gw->conf.n_remote; j++)
			by_addr |= ike_addr_eq(&gw->conf.remote[j], &d->remote.addr);
		if (gw->conf.dynamic || !by_addr)
			continue;
		known = true;
		log_info(LOG_IKE,
		    "IKE_SA_INIT from %s: gateway %s: no proposal chosen: received %s; configured "
		    "%s: NO_PROPOSAL_CHOSEN",
		    addr, gw->conf.name, got,
		    ike_suites_str(gw->conf.ike_props, gw->conf.n_ike_props, IKE_PROTO_IKE, conf,
		        sizeof(conf)));
		ike_gw_refused(cand[i], IKE_EV_NO_PROPOSAL);
	}
	if (!known)
		log_debug(
		    LOG_IKE, "IKE_SA_INIT from %s: no proposal chosen: received %s", addr, got);
}

void
ike_init_rotate_cookie(struct ike_engine *e)
{
	e->cookie_ver++;
	ike_random(e, e->cookie_secret[e->cookie_ver & 1], sizeof(e->cookie_secret[0]));
	e->cookie_rotated_ms = ike_now(e);
}

/* RFC 7296 2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>). */
static void
cookie_make(struct ike_engine *e, uint32_t ver, const uint8_t *ni, size_t nil,
    const struct ike_endpoint *peer, uint64_t spi_i, uint8_t out[COOKIE_LEN])
{
	uint8_t spi[8], h[32];
	struct ike_iov v[4] = { { ni, nil }, { peer->addr.b, ike_addr_len(&peer->addr) },
		{ spi, 8 }, { e->cookie_secret[ver & 1], sizeof(e->cookie_secret[0]) } };

	wr_be64(spi, spi_i);
	wr_be32(out, ver);
	ike_sha256(e->c, v, 4, h);
	memcpy(out + 4, h, COOKIE_LEN - 4);
}

static bool
cookie_ok(struct ike_engine *e, const struct ike_notify_pl *n, const uint8_t *ni, size_t nil,
    const struct ike_endpoint *peer, uint64_t spi_i)
{
	uint8_t want[COOKIE_LEN];
	uint32_t ver;

	if (n->len != COOKIE_LEN)
		return false;
	ver = (uint32_t)n->data[0] << 24 | (uint32_t)n->data[1] << 16 | (uint32_t)n->data[2] << 8 |
	      n->data[3];
	if (ver != e->cookie_ver && ver + 1 != e->cookie_ver)
		return false;
	cookie_make(e, ver, ni, nil, peer, spi_i, want);
	return memcmp(want, n->data, COOKIE_LEN) == 0;
}

/* A reply that creates no state (cookie, INVALID_KE, errors). */
static void
reply_stateless(struct ike_engine *e, const struct ike_hdr *rq, const struct ike_dgram *d,
    uint16_t type, const uint8_t *data, size_t len)
{
	struct ike_hdr h;
	struct ike_enc enc;
	size_t out;

	memset(&h, 0, sizeof(h));
	h.spi_i = rq->spi_i;
	h.exchange = IKE_X_SA_INIT;
	h.flags = IKE_HDR_F_RESPONSE;
	ike_enc_init(&enc, e->tx, sizeof(e->tx));
	ike_enc_hdr(&enc, &h);
	ike_enc_notify(&enc, 0, NULL, 0, type, data, len);
	if (ike_enc_finish(&enc, &out) == 0)
		ike_send(e, &d->local, &d->remote, IKE_DGRAM_IKE, e->tx, out);
}

static void
natd_encode(struct ike_engine *e, struct ike_enc *enc, uint64_t spi_i, uint64_t spi_r,
    const struct ike_endpoint *src, const struct ike_endpoint *dst)
{
	uint8_t h[IKE_NATD_LEN];

	ike_natd_hash(e->c, spi_i, spi_r, src, h);
	ike_enc_notify(enc, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, h, sizeof(h));
	ike_natd_hash(e->c, spi_i, spi_r, dst, h);
	ike_enc_notify(enc, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
}

/*
 * RFC 7296 2.23: the peer's source hashes that match none of what we see
 * mean it is behind a NAT; a destination hash that does not match our
 * address means we are. Returns false when the peer sent none.
 */
static bool
natd_check(struct ike_engine *e, const struct ike_plds *pl, uint64_t spi_i, uint64_t spi_r,
    const struct ike_endpoint *local, const struct ike_endpoint *remote, bool *nat_local,
    bool *nat_remote)
{
	const struct ike_pld *p;
	uint8_t hl[IKE_NATD_LEN], hr[IKE_NATD_LEN];
	bool any_src = false, any_dst = false, src_ok = false, dst_ok = false;

	ike_natd_hash(e->c, spi_i, spi_r, local, hl);
	ike_natd_hash(e->c, spi_i, spi_r, remote, hr);
	for (p = ike_plds_find(pl, IKE_PL_NOTIFY); p; p = ike_plds_next(pl, p, IKE_PL_NOTIFY)) {
		struct ike_notify_pl n;

		if (ike_notify_parse(p, &n) < 0 || n.len != IKE_NATD_LEN)
			continue;
		if (n.type == IKE_N_NAT_DETECTION_SOURCE_IP) {
			any_src = true;
			src_ok |= memcmp(n.data, hr, IKE_NATD_LEN) == 0;
		} else if (n.type == IKE_N_NAT_DETECTION_DESTINATION_IP) {
			any_dst = true;
			dst_ok |= memcmp(n.data, hl, IKE_NATD_LEN) == 0;
		}
	}
	if (!any_src || !any_dst)
		return false;
	*nat_remote = !src_ok;
	*nat_local = !dst_ok;
	return true;
}

/* Derives SKEYSEED and the seven keys into sa (2.14). */
static int
sa_keys(struct ike_sa *sa, const uint8_t *gir, size_t gl)
{
	struct ike_engine *e = sa->e;
	struct ike_hs *hs = sa->hs;
	uint8_t seed[IKE_PRF_MAX];
	int rc;

	rc = ike_skeyseed(
	    e->c, sa->suite.prf, hs->ni, hs->ni_len, hs->nr, hs->nr_len, gir, gl, seed);
	ike_keys_wipe(&sa->keys); /* (none yet: derived once per SA) */
	if (rc == 0)
		rc = ike_keys_derive(e->c, &sa->suite, seed, hs->ni, hs->ni_len, hs->nr, hs->nr_len,
		    sa->spi_i, sa->spi_r, &sa->keys);
	explicit_bzero(seed, sizeof(seed));
	if (rc == 0) {
		sa->have_keys = true;
		ike_sa_install_nkey(sa, hs->ni, hs->ni_len, hs->nr, hs->nr_len);
	}
	return rc;
}

static uint8_t *
dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	if (c)
		memcpy(c, p, n);
	return c;
}

void
ike_init_on_request(struct ike_engine *e, const struct ike_hdr *h, const uint8_t *msg, size_t len,
    const struct ike_dgram *d)
{
	struct ike_gw *cand[64];
	struct ike_suite suites[64];
	uint32_t lifetimes[64];
	unsigned nc, ns = 0, i, j;
	struct ike_plds pl;
	struct ike_sa_pl sapl;
	struct ike_ke_pl ke;
	struct ike_notify_pl cn;
	struct ike_choice ch;
	const struct ike_pld *psa, *pke, *pno;
	const uint8_t *ni, *pub;
	size_t nil, publ, gl, out;
	uint64_t hk = h->spi_i ^ ike_addr_hash(&d->remote.addr, d->remote.port);
	struct ike_hnode *n;
	struct ike_sa *sa = NULL;
	struct ike_enc enc;
	struct ike_hdr rh;
	struct ike_offer o;
	uint8_t gir[IKE_DH_SEC_MAX], grp[2];
	bool has_natd;

	/* A retransmitted request gets the same answer (2.1); a replay of the
	 * request that made an SA that is up by now gets nothing. */
	for (n = ike_htab_find(&e->sa_half, hk); n; n = ike_htab_next(n)) {
		struct ike_sa *s = ike_container_of(n, struct ike_sa, by_half);

		if (s->spi_i != h->spi_i || !ike_ep_eq(&s->init_from, &d->remote))
			continue;
		if (s->st == SA_INIT_R && s->have_resp && s->resp_msgid == 0)
			ike_send(e, &d->local, &d->remote, IKE_DGRAM_IKE, s->resp, s->resp_len);
		return;
	}
	if (ike_plds_parse(h->next, msg + IKE_HDR_LEN, len - IKE_HDR_LEN, IKE_HDR_LEN, &pl) < 0 ||
	    pl.has_sk) {
		e->st.rx_dropped++;
		return;
	}
	if (pl.unknown_critical) {
		reply_stateless(
		    e, h, d, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &pl.unknown_critical, 1);
		return;
	}
	psa = ike_plds_find(&pl, IKE_PL_SA);
	pke = ike_plds_find(&pl, IKE_PL_KE);
	pno = ike_plds_find(&pl, IKE_PL_NONCE);
	if (!psa || !pke || !pno || ike_sa_pl_parse(psa, &sapl) < 0 || ike_ke_parse(pke, &ke) < 0 ||
	    ike_nonce_parse(pno, &ni, &nil) < 0) {
		reply_stateless(e, h, d, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	/* 2.6: above the threshold every new SA must prove its address. */
	if (ike_now(e) - e->cookie_rotated_ms > COOKIE_ROTATE_MS)
		ike_init_rotate_cookie(e);
	if (e->half_open >= e->cookie_threshold) {
		if (!ike_plds_notify(&pl, IKE_N_COOKIE, &cn) ||
		    !cookie_ok(e, &cn, ni, nil, &d->remote, h->spi_i)) {
			uint8_t ck[COOKIE_LEN];

			cookie_make(e, e->cookie_ver, ni, nil, &d->remote, h->spi_i, ck);
			reply_stateless(e, h, d, IKE_N_COOKIE, ck, sizeof(ck));
			e->st.cookies_sent++;
			return;
		}
	}
	if (e->half_open >= e->ho_max) {
		e->st.rx_dropped++;
		return;
	}
	nc = ike_init_candidates(e, &d->remote.addr, cand, 64);
	for (i = 0; i < nc; i++) {
		for (j = 0; j < cand[i]->conf.n_ike_props && ns < 64; j++) {
			unsigned k;
			bool dup = false;

			for (k = 0; k < ns; k++)
				dup |= memcmp(&suites[k], &cand[i]->conf.ike_props[j],
				           sizeof(suites[k])) == 0;
			if (dup)
				continue;
			suites[ns] = cand[i]->conf.ike_props[j];
			lifetimes[ns++] = cand[i]->conf.ike_lifetime[j];
		}
	}
	if (ike_prop_select(&sapl, IKE_PROTO_IKE, suites, ns, 0, ke.group, &ch) < 0) {
		init_refused(d, &sapl, cand, nc);
		reply_stateless(e, h, d, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (ch.s.dh != ke.group) {
		/* 1.2: tell the initiator the group we want. */
		wr_be16(grp, ch.s.dh);
		reply_stateless(e, h, d, IKE_N_INVALID_KE_PAYLOAD, grp, 2);
		e->st.invalid_ke_sent++;
		return;
	}
	sa = ike_sa_new(e, false);
	if (!sa || !(sa->hs = calloc(1, sizeof(*sa->hs))))
		goto fail;
	sa->spi_i = h->spi_i;
	sa->local = d->local;
	sa->remote = d->remote;
	sa->init_from = d->remote;
	sa->natt = d->local.port == e->o.natt_port;
	sa->suite = ch.s;
	sa->lifetime_s = lifetimes[ch.ours];
	sa->st = SA_INIT_R;
	sa->hs->dh = ike_dh_new(e->c, ch.s.dh);
	if (!sa->hs->dh ||
	    ike_dh_derive(e->c, sa->hs->dh, ke.data, ke.len, gir, sizeof(gir), &gl) < 0)
		goto fail;
	memcpy(sa->hs->ni, ni, nil);
	sa->hs->ni_len = (uint16_t)nil;
	sa->hs->nr_len = (uint16_t)e->o.nonce_len;
	ike_random(e, sa->hs->nr, sa->hs->nr_len);
	if (sa_keys(sa, gir, gl) < 0)
		goto fail;
	explicit_bzero(gir, sizeof(gir));
	has_natd = natd_check(
	    e, &pl, sa->spi_i, 0, &d->local, &d->remote, &sa->nat_local, &sa->nat_remote);
	/* The response. */
	memset(&rh, 0, sizeof(rh));
	rh.spi_i = sa->spi_i;
	rh.spi_r = sa->spi_r;
	rh.exchange = IKE_X_SA_INIT;
	rh.flags = IKE_HDR_F_RESPONSE;
	ike_enc_init(&enc, e->tx, sizeof(e->tx));
	ike_enc_hdr(&enc, &rh);
	memset(&o, 0, sizeof(o));
	o.num = ch.num;
	o.proto = IKE_PROTO_IKE;
	o.s = ch.s;
	ike_enc_sa(&enc, &o, 1);
	pub = ike_dh_public(sa->hs->dh, &publ);
	ike_enc_ke(&enc, ch.s.dh, pub, publ);
	ike_enc_nonce(&enc, sa->hs->nr, sa->hs->nr_len);
	if (has_natd)
		natd_encode(e, &enc, sa->spi_i, sa->spi_r, &d->local, &d->remote);
	if (ike_enc_finish(&enc, &out) < 0)
		goto fail;
	ike_dh_free(sa->hs->dh);
	sa->hs->dh = NULL;
	sa->hs->msg_i = dup_bytes(msg, len);
	sa->hs->msg_i_len = len;
	sa->hs->msg_r = dup_bytes(e->tx, out);
	sa->hs->msg_r_len = out;
	sa->resp = dup_bytes(e->tx, out);
	if (!sa->hs->msg_i || !sa->hs->msg_r || !sa->resp)
		goto fail;
	sa->resp_len = out;
	sa->resp_msgid = 0;
	sa->have_resp = true;
	sa->peer_msgid = 1;
	sa->half_open_counted = true;
	e->half_open++;
	ike_htab_add(&e->sa_half, &sa->by_half, hk);
	ike_arm_in(e, &sa->t_halfopen, (uint64_t)e->ho_timeout_s * 1000);
	ike_sa_note_rx(sa, d, false);
	sa->out_pkts++;
	sa->out_bytes += out;
	ike_send(e, &d->local, &d->remote, IKE_DGRAM_IKE, e->tx, out);
	return;
fail:
	explicit_bzero(gir, sizeof(gir));
	if (sa)
		ike_sa_kill(sa, IKE_EV_NONE);
}

int
ike_init_build(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc)
{
	struct ike_engine *e = sa->e;
	struct ike_gw *gw = sa->gw;
	struct ike_hs *hs = sa->hs;
	struct ike_offer offers[IKE_CONF_PROPS];
	const uint8_t *pub;
	size_t pl;
	unsigned i;

	if (!gw || !hs)
		return -ESTALE;
	if (!hs->dh || ike_dh_group(hs->dh) != t->dh_group) {
		ike_dh_free(hs->dh);
		hs->dh = ike_dh_new(e->c, t->dh_group);
		if (!hs->dh)
			return -EIO;
	}
	if (!hs->ni_len) {
		hs->ni_len = (uint16_t)e->o.nonce_len;
		ike_random(e, hs->ni, hs->ni_len);
	}
	/* 2.6: the cookie comes first. */
	if (t->cookie_len)
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_COOKIE, t->cookie, t->cookie_len);
	for (i = 0; i < gw->conf.n_ike_props; i++) {
		memset(&offers[i], 0, sizeof(offers[i]));
		offers[i].num = (uint8_t)(i + 1);
		offers[i].proto = IKE_PROTO_IKE;
		offers[i].s = gw->conf.ike_props[i];
	}
	ike_enc_sa(enc, offers, gw->conf.n_ike_props);
	pub = ike_dh_public(hs->dh, &pl);
	ike_enc_ke(enc, t->dh_group, pub, pl);
	ike_enc_nonce(enc, hs->ni, hs->ni_len);
	if (gw->conf.nat_t)
		natd_encode(e, enc, sa->spi_i, 0, &sa->local, &sa->remote);
	hs->props_dh = t->dh_group;
	return 0;
}

static enum ike_event
init_error_event(uint16_t err)
{
	switch (err) {
	case IKE_N_NO_PROPOSAL_CHOSEN:
		return IKE_EV_PEER_NO_PROPOSAL;
	case IKE_N_AUTHENTICATION_FAILED:
		return IKE_EV_PEER_AUTH_FAILED;
	default:
		return IKE_EV_PEER_ERROR;
	}
}

enum ike_rsp
ike_init_on_response(struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl,
    const uint8_t *msg, size_t len, const struct ike_dgram *d)
{
	struct ike_engine *e = sa->e;
	struct ike_gw *gw = sa->gw;
	struct ike_hs *hs = sa->hs;
	struct ike_notify_pl n;
	struct ike_sa_pl sapl;
	struct ike_choice ch;
	struct ike_ke_pl ke;
	const struct ike_pld *psa, *pke, *pno;
	const uint8_t *nr;
	struct ike_hdr h;
	size_t nrl, gl;
	uint8_t gir[IKE_DH_SEC_MAX];
	uint16_t err;
	struct ike_task *auth;

	if (!gw || !hs) {
		ike_sa_kill(sa, IKE_EV_NONE);
		return RSP_DONE;
	}
	/* 2.6: retry with the cookie, once or twice. */
	if (ike_plds_notify(pl, IKE_N_COOKIE, &n)) {
		if (n.len == 0 || n.len > IKE_COOKIE_MAX || t->ke_retries > 4) {
			ike_sa_kill(sa, IKE_EV_PEER_ERROR);
			return RSP_DONE;
		}
		memcpy(t->cookie, n.data, n.len);
		t->cookie_len = (uint8_t)n.len;
		t->ke_retries++;
		return RSP_RETRY;
	}
	/* 1.2: the responder wants another group. */
	if (ike_plds_notify(pl, IKE_N_INVALID_KE_PAYLOAD, &n)) {
		uint16_t g = n.len == 2 ? (uint16_t)(n.data[0] << 8 | n.data[1]) : 0;
		unsigned i;
		bool ours = false;

		for (i = 0; i < gw->conf.n_ike_props; i++)
			ours |= gw->conf.ike_props[i].dh == g;
		if (ours && g != t->dh_group && t->ke_retries < 4) {
			log_info(LOG_IKE, "IKE SA %u: peer asks for DH group %u", sa->index, g);
			t->dh_group = g;
			t->ke_retries++;
			return RSP_RETRY;
		}
		ike_sa_kill(sa, IKE_EV_NO_PROPOSAL);
		return RSP_DONE;
	}
	err = ike_plds_error(pl);
	if (err) {
		log_info(
		    LOG_IKE, "IKE SA %u: IKE_SA_INIT refused: %s", sa->index, ike_notify_str(err));
		ike_sa_kill(sa, init_error_event(err));
		return RSP_DONE;
	}
	psa = ike_plds_find(pl, IKE_PL_SA);
	pke = ike_plds_find(pl, IKE_PL_KE);
	pno = ike_plds_find(pl, IKE_PL_NONCE);
	if (ike_hdr_parse(msg, len, &h) < 0 || h.spi_r == 0 || !psa || !pke || !pno ||
	    ike_sa_pl_parse(psa, &sapl) < 0 ||
	    ike_prop_accept(
	        &sapl, IKE_PROTO_IKE, gw->conf.ike_props, gw->conf.n_ike_props, 0, &ch) < 0 ||
	    ike_ke_parse(pke, &ke) < 0 || ke.group != t->dh_group || ch.s.dh != t->dh_group ||
	    ike_nonce_parse(pno, &nr, &nrl) < 0) {
		log_info(LOG_IKE, "IKE SA %u: malformed IKE_SA_INIT response", sa->index);
		ike_sa_kill(sa, IKE_EV_PEER_ERROR);
		return RSP_DONE;
	}
	/* The SA's SPI pair is complete now. */
	sa->spi_r = h.spi_r;
	sa->suite = ch.s;
	sa->lifetime_s = gw->conf.ike_lifetime[ch.ours] ? gw->conf.ike_lifetime[ch.ours] : 28800;
	memcpy(hs->nr, nr, nrl);
	hs->nr_len = (uint16_t)nrl;
	if (ike_dh_derive(e->c, hs->dh, ke.data, ke.len, gir, sizeof(gir), &gl) < 0 ||
	    sa_keys(sa, gir, gl) < 0) {
		explicit_bzero(gir, sizeof(gir));
		ike_sa_kill(sa, IKE_EV_PEER_ERROR);
		return RSP_DONE;
	}
	explicit_bzero(gir, sizeof(gir));
	ike_dh_free(hs->dh);
	hs->dh = NULL;
	if (!ike_addr_is_set(&sa->local.addr))
		sa->local.addr = d->local.addr;
	if (gw->conf.nat_t &&
	    natd_check(e, pl, sa->spi_i, sa->spi_r, &d->local, &d->remote, &sa->nat_local,
	        &sa->nat_remote) &&
	    (sa->nat_local || sa->nat_remote) && !sa->natt) {
		/* 2.23: float to 4500 for everything that follows. */
		sa->natt = true;
		sa->local.port = e->o.natt_port;
		sa->remote.port = e->o.natt_port;
	}
	hs->msg_i = t->pkt;
	hs->msg_i_len = t->pkt_len;
	t->pkt = NULL;
	t->pkt_len = 0;
	hs->msg_r = dup_bytes(msg, len);
	hs->msg_r_len = len;
	auth = ike_task_new(T_AUTH);
	if (!hs->msg_r || !auth) {
		ike_task_free(auth);
		ike_sa_kill(sa, IKE_EV_NONE);
		return RSP_DONE;
	}
	sa->next_msgid = 1;
	ike_list_add_head(&sa->tasks, &auth->link);
	return RSP_DONE;
}
