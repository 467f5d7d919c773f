/* SPDX-License-Identifier: MIT */
/*
 * ike_auth: the IKE_AUTH exchange (RFC 7296 1.2, 2.15) with pre-shared
 * keys: identities, the AUTH payload both ways, the responder's choice of
 * gateway (by peer address, then dial-up gateways by IKE-ID with exact,
 * group (suffix) and shared matching), INITIAL_CONTACT, dial-up limits,
 * and the first CHILD SA (ike_child.c builds its payloads).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike_int.h"
#include "log.h"

#include "banned.h"

void
ike_auth_abort(struct ike_sa *sa, struct ike_task *t)
{
	(void)sa;
	if (t->child) {
		struct ike_child *ch = t->child;

		t->child = NULL;
		ike_child_remove(ch, IKE_EV_NONE);
	}
	if (t->tun) {
		t->tun->negotiating = false;
		t->tun = NULL;
	}
}

static void
local_identity(struct ike_sa *sa, struct ike_id *id)
{
	if (sa->gw && sa->gw->conf.local_id != NULL)
		ike_idh_get(sa->gw->conf.local_id, id);
	else
		ike_id_from_addr(&sa->local.addr, id);
}

/* AUTH octets (2.15): <message> | <peer's nonce> | prf(SK_p, ID body). */
static int
compute_auth(struct ike_sa *sa, bool ours, const struct ike_id *id, uint8_t *out)
{
	struct ike_engine *e = sa->e;
	struct ike_hs *hs = sa->hs;
	struct ike_gw *gw = sa->gw;
	bool signer_is_i = ours ? sa->initiator : !sa->initiator;
	uint8_t body[4 + IKE_ID_MAX];
	size_t bl = ike_id_body(id, body, sizeof(body));

	if (!gw || !hs || !bl || !ike_sk_pi(&sa->keys))
		return -EINVAL;
	return ike_psk_auth(e->c, sa->suite.prf, gw->conf.psk, gw->conf.psk_len,
	    signer_is_i ? hs->msg_i : hs->msg_r, signer_is_i ? hs->msg_i_len : hs->msg_r_len,
	    signer_is_i ? hs->nr : hs->ni, signer_is_i ? hs->nr_len : hs->ni_len,
	    signer_is_i ? ike_sk_pi(&sa->keys) : ike_sk_pr(&sa->keys), body, bl, out);
}

static bool
verify_auth(struct ike_sa *sa, const struct ike_id *peer_id, const struct ike_auth_pl *a)
{
	uint8_t want[IKE_PRF_MAX];
	size_t plen = ike_prf_len(sa->suite.prf), i;
	unsigned diff = 0;

	if (a->method != IKE_AUTH_PSK || a->len != plen ||
	    compute_auth(sa, false, peer_id, want) < 0)
		return false;
	for (i = 0; i < plen; i++)
		diff |= want[i] ^ a->data[i];
	explicit_bzero(want, sizeof(want));
	return diff == 0;
}

/* Does another SA of the gateway already run with this peer? */
static bool
gw_has_other(struct ike_gw *gw, struct ike_sa *sa)
{
	struct ike_sa *o;

	ike_list_foreach(
	    o, it, &gw->sas, struct ike_sa, gw_link) if (o != sa && o->st == SA_UP) return true;
	return false;
}

int
ike_auth_build(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc)
{
	struct ike_gw *gw = sa->gw;
	uint8_t auth[IKE_PRF_MAX];
	struct ike_id lid, rid;
	int rc;

	if (!gw || !sa->hs)
		return -ESTALE;
	sa->st = SA_AUTH_I;
	if (!t->tun && !ike_list_empty(&sa->pending)) {
		t->tun = ike_container_of(sa->pending.next, struct ike_tunnel, pend_link);
		ike_list_del(&t->tun->pend_link);
	}
	if (t->tun && !t->child) {
		rc = ike_child_first_prepare(sa, t);
		if (rc < 0) {
			ike_tunnel_failed(t->tun, IKE_EV_DP_ERROR);
			t->tun = NULL;
		}
	}
	local_identity(sa, &lid);
	if (ike_idh_set(&sa->local_id, &lid) < 0)
		return -ENOMEM;
	ike_enc_id(enc, IKE_PL_IDI, &lid);
	if (gw->conf.remote_id != NULL) {
		ike_idh_get(gw->conf.remote_id, &rid);
		ike_enc_id(enc, IKE_PL_IDR, &rid);
	}
	rc = compute_auth(sa, true, &lid, auth);
	if (rc < 0)
		return rc;
	ike_enc_auth(enc, IKE_AUTH_PSK, auth, ike_prf_len(sa->suite.prf));
	explicit_bzero(auth, sizeof(auth));
	/* 2.4: tell a restarted peer to drop what it had with us. */
	if (!gw_has_other(gw, sa))
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	if (t->child)
		ike_child_first_encode(sa, t, enc);
	return 0;
}

static bool
remote_id_ok(const struct ike_gw *gw, const struct ike_id *id)
{
	/* Without a configured remote identity any is accepted: the PSK is
	 * the gateway's own. (Junos would expect the peer's address, which
	 * breaks behind NAT; docs/iked.md.) */
	if (gw->conf.general_ikeid || gw->conf.remote_id == NULL)
		return true;
	return ike_idh_eq(gw->conf.remote_id, id);
}

static enum ike_event
auth_error_event(uint16_t err)
{
	switch (err) {
	case IKE_N_AUTHENTICATION_FAILED:
		return IKE_EV_PEER_AUTH_FAILED;
	case IKE_N_NO_PROPOSAL_CHOSEN:
		return IKE_EV_PEER_NO_PROPOSAL;
	case IKE_N_TS_UNACCEPTABLE:
		return IKE_EV_PEER_TS_UNACC;
	default:
		return IKE_EV_PEER_ERROR;
	}
}

/* Records a failure on every tunnel that waited for this SA. */
static void
fail_tunnels(struct ike_sa *sa, struct ike_task *t, enum ike_event ev)
{
	if (t->child) {
		struct ike_child *ch = t->child;

		t->child = NULL;
		ike_child_remove(ch, IKE_EV_NONE);
	}
	if (t->tun) {
		ike_tunnel_failed(t->tun, ev);
		t->tun = NULL;
	}
	ike_sa_kill(sa, ev);
}

enum ike_rsp
ike_auth_on_response(struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl, uint16_t err)
{
	struct ike_engine *e = sa->e;
	const struct ike_pld *pid = ike_plds_find(pl, IKE_PL_IDR);
	const struct ike_pld *pau = ike_plds_find(pl, IKE_PL_AUTH);
	struct ike_auth_pl a;
	struct ike_id idr;
	uint16_t cerr;

	if (!sa->gw) {
		fail_tunnels(sa, t, IKE_EV_CONFIG_CHANGED);
		return RSP_DONE;
	}
	/* Without IDr and AUTH the IKE SA itself failed (2.21.2). */
	if (!pid || !pau) {
		log_info(LOG_IKE, "IKE SA %u: IKE_AUTH refused: %s", sa->index,
		    err ? ike_notify_str(err) : "no AUTH");
		fail_tunnels(sa, t, err ? auth_error_event(err) : IKE_EV_PEER_ERROR);
		return RSP_DONE;
	}
	if (ike_id_parse(pid, &idr) < 0 || ike_auth_parse(pau, &a) < 0) {
		fail_tunnels(sa, t, IKE_EV_PEER_ERROR);
		return RSP_DONE;
	}
	if (!remote_id_ok(sa->gw, &idr)) {
		log_info(LOG_IKE, "IKE SA %u: peer identity does not match gateway %s", sa->index,
		    sa->gw->conf.name);
		fail_tunnels(sa, t, IKE_EV_ID_MISMATCH);
		return RSP_DONE;
	}
	if (!verify_auth(sa, &idr, &a)) {
		log_info(
		    LOG_IKE, "IKE SA %u: peer's AUTH does not verify (pre-shared key?)", sa->index);
		e->st.auth_failures++;
		fail_tunnels(sa, t, IKE_EV_AUTH_FAILED);
		return RSP_DONE;
	}
	if (ike_idh_set(&sa->remote_id, &idr) < 0) {
		fail_tunnels(sa, t, IKE_EV_DP_ERROR);
		return RSP_DONE;
	}
	ike_sa_established(sa);
	if (t->child) {
		cerr = ike_child_first_response(sa, t, pl, err);
		if (cerr)
			log_info(LOG_IKE, "IKE SA %u: first CHILD SA refused: %s", sa->index,
			    ike_notify_str(cerr));
	} else if (t->tun) {
		ike_tunnel_failed(t->tun, IKE_EV_DP_ERROR);
		t->tun = NULL;
	}
	ike_sa_hs_done(sa);
	ike_sa_dedup(sa);
	return RSP_DONE;
}

static bool
dyn_match(const struct ike_gw *gw, const struct ike_id *id)
{
	struct ike_id common;

	switch (gw->conf.dyn_match) {
	case IKE_DYN_GENERAL:
		return true;
	case IKE_DYN_GROUP:
		ike_idh_get(gw->conf.dyn_id, &common);
		return ike_id_suffix_match(&common, id);
	case IKE_DYN_EXACT:
	case IKE_DYN_SHARED:
		return ike_idh_eq(gw->conf.dyn_id, id);
	}
	return false;
}

static bool
suite_offered(const struct ike_gw *gw, const struct ike_suite *s)
{
	unsigned i;

	for (i = 0; i < gw->conf.n_ike_props; i++)
		if (memcmp(&gw->conf.ike_props[i], s, sizeof(*s)) == 0)
			return true;
	return false;
}

/* The gateway of a responder SA: by address, by configured ID, dial-up. */
static struct ike_gw *
match_gw(struct ike_sa *sa, const struct ike_id *idi)
{
	struct ike_gw *cand[64];
	unsigned n = ike_init_candidates(sa->e, &sa->remote.addr, cand, 64), i, j;

	for (i = 0; i < n; i++) {
		struct ike_gw *gw = cand[i];
		bool by_addr = false;

		if (gw->conf.dynamic || !suite_offered(gw, &sa->suite))
			continue;
		for (j = 0; j < gw->conf.n_remote; j++)
			by_addr |= ike_addr_eq(&gw->conf.remote[j], &sa->remote.addr);
		if (by_addr ? remote_id_ok(gw, idi) : ike_idh_eq(gw->conf.remote_id, idi))
			return gw;
	}
	for (i = 0; i < n; i++)
		if (cand[i]->conf.dynamic && suite_offered(cand[i], &sa->suite) &&
		    dyn_match(cand[i], idi))
			return cand[i];
	return NULL;
}

/*
 * The first older UP SA with this peer (same gateway; same IKE-ID when
 * dial-up). With shared-ike-id every peer presents the same IKE-ID, which
 * then tells no peer from another: the peer is also its address and port
 * (one road warrior's INITIAL_CONTACT cleared every other's SAs).
 */
static struct ike_sa *
older_peer_sa(struct ike_sa *sa, struct ike_gw *gw, const struct ike_id *id, uint64_t before)
{
	struct ike_sa *o;
	struct ike_hnode *n;

	if (!gw->conf.dynamic) {
		ike_list_foreach(o, it, &gw->sas, struct ike_sa,
		    gw_link) if (o != sa && o->st == SA_UP && o->up_ms < before) return o;
		return NULL;
	}
	for (n = ike_htab_find(&sa->e->sa_by_peer, ike_sa_peer_key(gw, id)); n;
	     n = ike_htab_next(n)) {
		o = ike_container_of(n, struct ike_sa, by_peer);
		if (o != sa && o->gw == gw && o->st == SA_UP && o->up_ms < before &&
		    ike_idh_eq(o->remote_id, id) &&
		    (gw->conf.dyn_match != IKE_DYN_SHARED || ike_ep_eq(&o->remote, &sa->remote)))
			return o;
	}
	return NULL;
}

/* INITIAL_CONTACT (2.4): the peer restarted; SAs it had before this one
 * started are stale. Only older SAs: a simultaneous start is not a restart. */
static void
initial_contact(struct ike_sa *sa)
{
	struct ike_sa *o;
	struct ike_id rid;

	ike_idh_get(sa->remote_id, &rid);
	while ((o = older_peer_sa(sa, sa->gw, &rid, sa->created_ms)) != NULL) {
		log_info(LOG_IKE, "IKE SA %u: INITIAL_CONTACT from peer, clearing SA %u", sa->index,
		    o->index);
		ike_sa_kill(o, IKE_EV_PEER_RESTARTED);
	}
}

bool
ike_auth_on_request(struct ike_sa *sa, const struct ike_plds *pl, struct ike_enc *enc)
{
	struct ike_engine *e = sa->e;
	const struct ike_pld *pid = ike_plds_find(pl, IKE_PL_IDI);
	const struct ike_pld *pau = ike_plds_find(pl, IKE_PL_AUTH);
	struct ike_notify_pl n;
	struct ike_auth_pl a;
	struct ike_id idi, lid;
	struct ike_gw *gw;
	uint8_t auth[IKE_PRF_MAX];

	if (!pid || !pau || ike_id_parse(pid, &idi) < 0 || ike_auth_parse(pau, &a) < 0) {
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		ike_sa_kill(sa, IKE_EV_NONE);
		return true;
	}
	gw = match_gw(sa, &idi);
	if (!gw) {
		char buf[IKE_ID_STRLEN];

		log_info(LOG_IKE, "IKE SA %u: no gateway for peer identity %s", sa->index,
		    ike_id_str(&idi, buf, sizeof(buf)));
		e->st.auth_failures++;
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		ike_sa_kill(sa, IKE_EV_NONE);
		return true;
	}
	sa->gw = gw; /* for the AUTH key; linked below once accepted */
	if (!verify_auth(sa, &idi, &a)) {
		log_info(LOG_IKE,
		    "IKE SA %u: gateway %s: AUTH does not verify (pre-shared key "
		    "mismatch?)",
		    sa->index, gw->conf.name);
		e->st.auth_failures++;
		ike_gw_refused(gw, IKE_EV_AUTH_FAILED);
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		sa->gw = NULL;
		ike_sa_kill(sa, IKE_EV_NONE);
		return true;
	}
	if (gw->conf.dynamic &&
	    ((gw->conf.connections_limit && gw->n_peers >= gw->conf.connections_limit) ||
	        (gw->conf.reject_duplicate && older_peer_sa(sa, gw, &idi, UINT64_MAX)))) {
		log_info(LOG_IKE, "IKE SA %u: gateway %s refuses another connection", sa->index,
		    gw->conf.name);
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		sa->gw = NULL;
		ike_sa_kill(sa, IKE_EV_NONE);
		return true;
	}
	sa->gw = NULL;
	ike_sa_set_gw(sa, gw);
	local_identity(sa, &lid);
	if (ike_idh_set(&sa->remote_id, &idi) < 0 || ike_idh_set(&sa->local_id, &lid) < 0) {
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		ike_sa_kill(sa, IKE_EV_NONE);
		return true;
	}
	ike_enc_id(enc, IKE_PL_IDR, &lid);
	if (compute_auth(sa, true, &lid, auth) < 0) {
		ike_sa_kill(sa, IKE_EV_NONE);
		return true;
	}
	ike_enc_auth(enc, IKE_AUTH_PSK, auth, ike_prf_len(sa->suite.prf));
	explicit_bzero(auth, sizeof(auth));
	if (ike_plds_notify(pl, IKE_N_INITIAL_CONTACT, &n))
		initial_contact(sa);
	ike_sa_established(sa);
	if (ike_plds_find(pl, IKE_PL_SA))
		ike_child_first_request(sa, pl, enc);
	ike_sa_hs_done(sa);
	ike_sa_dedup(sa);
	return false;
}
