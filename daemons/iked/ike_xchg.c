/* SPDX-License-Identifier: MIT */
/*
 * ike_xchg: message IDs, the request queue (window size one), encryption
 * and decryption of the SK payload, retransmission with exponential
 * back-off and a give-up limit (RFC 7296 2.1-2.3), and the cached response
 * that answers a retransmitted request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike_int.h"
#include "log.h"
#include "rd.h"
#include "xmem.h"

#include "banned.h"

struct ike_task *
ike_task_new(enum ike_task_kind kind)
{
	struct ike_task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->kind = kind;
	ike_list_init(&t->link);
	return t;
}

void
ike_task_free(struct ike_task *t)
{
	if (!t)
		return;
	ike_list_del(&t->link);
	ike_dh_free(t->dh);
	free(t->spis);
	free(t->pkt);
	xmem_free(t, sizeof(*t));
}

static uint8_t
task_exchange(enum ike_task_kind k)
{
	switch (k) {
	case T_INIT:
		return IKE_X_SA_INIT;
	case T_AUTH:
		return IKE_X_AUTH;
	case T_CHILD_NEW:
	case T_CHILD_REKEY:
	case T_IKE_REKEY:
		return IKE_X_CREATE_CHILD_SA;
	default:
		return IKE_X_INFORMATIONAL;
	}
}

/* May this task go out in the SA's current state? */
static bool
task_allowed(const struct ike_sa *sa, const struct ike_task *t)
{
	switch (sa->st) {
	case SA_INIT_I:
		return t->kind == T_INIT || (t->kind == T_AUTH && sa->have_keys);
	case SA_UP:
		return t->kind != T_INIT && t->kind != T_AUTH;
	case SA_REKEYED:
	case SA_DELETING:
		return t->kind == T_DEL_IKE || t->kind == T_DEL_CHILD;
	default:
		return false;
	}
}

static void
task_abort(struct ike_sa *sa, struct ike_task *t)
{
	switch (t->kind) {
	case T_INIT:
	case T_AUTH:
		ike_auth_abort(sa, t);
		break;
	case T_CHILD_NEW:
	case T_CHILD_REKEY:
		ike_child_task_abort(sa, t);
		break;
	case T_IKE_REKEY:
		ike_sa_rekey_abort(sa, t);
		break;
	default:
		break;
	}
}

void
ike_xchg_begin(struct ike_sa *sa, struct ike_enc *enc, uint8_t exch, bool response, uint32_t msgid,
    size_t *sk_off)
{
	struct ike_hdr h;

	memset(&h, 0, sizeof(h));
	h.spi_i = sa->spi_i;
	h.spi_r = sa->spi_r;
	h.exchange = exch;
	h.flags =
	    (uint8_t)((sa->initiator ? IKE_HDR_F_INIT : 0) | (response ? IKE_HDR_F_RESPONSE : 0));
	h.msgid = msgid;
	if (response)
		ike_enc_init(enc, sa->e->tx, sizeof(sa->e->tx));
	else
		ike_enc_init(enc, sa->e->txq, sizeof(sa->e->txq));
	ike_enc_hdr(enc, &h);
	*sk_off = SIZE_MAX;
	if (exch != IKE_X_SA_INIT)
		*sk_off = ike_enc_sk_begin(enc, ike_encr_iv_len(sa->suite.encr));
}

int
ike_xchg_seal(struct ike_sa *sa, struct ike_enc *enc, size_t sk_off, size_t *len)
{
	struct ike_engine *e = sa->e;
	uint8_t iv[IKE_IV_MAX];
	size_t ivl = ike_encr_iv_len(sa->suite.encr);
	const uint8_t *ke = sa->initiator ? ike_sk_ei(&sa->keys) : ike_sk_er(&sa->keys);
	const uint8_t *ka = sa->initiator ? ike_sk_ai(&sa->keys) : ike_sk_ar(&sa->keys);

	if (enc->overflow)
		return -EMSGSIZE;
	if (sk_off == SIZE_MAX)
		return ike_enc_finish(enc, len);
	if (ike_encr_is_aead(sa->suite.encr)) {
		/* RFC 5282 3.1: the IV must be unique per key; a counter is. */
		wr_be64(iv, ++sa->iv_ctr);
	} else {
		ike_random(e, iv, ivl);
	}
	return ike_sk_seal(e->c, &sa->suite, ke, ka, iv, enc->buf, enc->cap, sk_off,
	    enc->len - sk_off - 4 - ivl, len);
}

static void
rtx_arm(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	uint64_t delay;

	if (sa->req->kind == T_DPD && sa->gw && sa->gw->conf.dpd_interval) {
		delay = (uint64_t)sa->gw->conf.dpd_interval * 1000;
	} else {
		delay = (uint64_t)e->o.retransmit_base_ms
		        << (sa->req_tries < 16 ? sa->req_tries : 16);
		if (delay > e->o.retransmit_max_ms)
			delay = e->o.retransmit_max_ms;
	}
	ike_arm_in(e, &sa->t_rtx, delay);
}

static unsigned
rtx_limit(const struct ike_sa *sa)
{
	/* DPD: threshold probes in all (Junos: unanswered requests before the
	 * peer is declared down), the first and threshold - 1 retransmissions */
	if (sa->req->kind == T_DPD && sa->gw && sa->gw->conf.dpd_threshold)
		return sa->gw->conf.dpd_threshold - 1;
	return sa->e->o.retransmit_tries;
}

static void
sa_send(struct ike_sa *sa, const uint8_t *p, size_t len)
{
	sa->out_pkts++;
	sa->out_bytes += len;
	ike_send(sa->e, &sa->local, &sa->remote, IKE_DGRAM_IKE, p, len);
}

static void
req_clear(struct ike_sa *sa)
{
	ike_disarm(sa->e, &sa->t_rtx);
	sa->req = NULL;
}

static int
task_build(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc)
{
	switch (t->kind) {
	case T_INIT:
		return ike_init_build(sa, t, enc);
	case T_AUTH:
		return ike_auth_build(sa, t, enc);
	case T_CHILD_NEW:
	case T_CHILD_REKEY:
		return ike_child_build(sa, t, enc);
	case T_IKE_REKEY:
		return ike_sa_rekey_build(sa, t, enc);
	default:
		return ike_info_build(sa, t, enc);
	}
}

void
ike_xchg_kick(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;

	while (!sa->req && sa->st != SA_DEAD && !ike_list_empty(&sa->tasks)) {
		struct ike_task *t = ike_container_of(sa->tasks.next, struct ike_task, link);
		uint32_t msgid = t->kind == T_INIT ? 0 : sa->next_msgid;
		struct ike_enc enc;
		size_t sk_off, len;
		int rc;

		if (!task_allowed(sa, t))
			return;
		ike_list_del(&t->link);
		ike_xchg_begin(sa, &enc, task_exchange(t->kind), false, msgid, &sk_off);
		rc = task_build(sa, t, &enc);
		if (rc == 0)
			rc = ike_xchg_seal(sa, &enc, sk_off, &len);
		if (rc == 0) {
			free(t->pkt);
			t->pkt_len = 0;
			if (!(t->pkt = malloc(len)))
				rc = -ENOMEM;
		}
		if (rc < 0) {
			log_debug(LOG_IKE, "IKE SA %u: %s request not sent: %d", sa->index,
			    ike_exchange_str(task_exchange(t->kind)), rc);
			task_abort(sa, t);
			ike_task_free(t);
			continue;
		}
		memcpy(t->pkt, e->txq, len);
		t->pkt_len = len;
		sa->req = t;
		sa->req_msgid = msgid;
		sa->req_tries = 0;
		if (t->kind != T_INIT)
			sa->next_msgid++;
		sa_send(sa, t->pkt, len);
		rtx_arm(sa);
	}
}

void
ike_xchg_queue(struct ike_sa *sa, struct ike_task *t)
{
	ike_list_add_tail(&sa->tasks, &t->link);
	ike_xchg_kick(sa);
}

void
ike_xchg_rtx_fire(struct ike_timer *tm, void *arg)
{
	struct ike_sa *sa = arg;
	struct ike_engine *e = sa->e;

	(void)tm;
	if (!sa->req || sa->st == SA_DEAD)
		return;
	if (++sa->req_tries > rtx_limit(sa)) {
		enum ike_task_kind k = sa->req->kind;

		log_info(LOG_IKE, "IKE SA %u: no response to %s after %u tries", sa->index,
		    ike_exchange_str(task_exchange(k)), sa->req_tries);
		if (k == T_DEL_IKE) {
			ike_sa_kill(sa, IKE_EV_NONE);
			return;
		}
		ike_sa_kill(sa, k == T_DPD ? IKE_EV_DPD_DOWN : IKE_EV_NO_RESPONSE);
		return;
	}
	e->st.retransmits++;
	sa_send(sa, sa->req->pkt, sa->req->pkt_len);
	rtx_arm(sa);
}

void
ike_xchg_init_sa(struct ike_sa *sa)
{
	ike_timer_init(&sa->t_rtx, IKE_TM_SA_RTX);
	ike_list_init(&sa->tasks);
}

void
ike_xchg_abort(struct ike_sa *sa)
{
	struct ike_task *t = sa->req;

	if (t) {
		req_clear(sa);
		task_abort(sa, t);
		ike_task_free(t);
	}
	while (!ike_list_empty(&sa->tasks)) {
		t = ike_container_of(sa->tasks.next, struct ike_task, link);
		ike_list_del(&t->link);
		task_abort(sa, t);
		ike_task_free(t);
	}
}

void
ike_xchg_forget_child(struct ike_sa *sa, struct ike_child *ch)
{
	struct ike_task *t;
	struct ike_task *active[2] = { sa->req, sa->cur };
	unsigned i;

	for (i = 0; i < 2; i++) {
		if (!active[i])
			continue;
		if (active[i]->child == ch)
			active[i]->child = NULL;
		if (active[i]->old == ch)
			active[i]->old = NULL;
	}
	ike_list_foreach(t, it, &sa->tasks, struct ike_task, link)
	{
		if (t->child == ch)
			t->child = NULL;
		if (t->old == ch)
			t->old = NULL;
	}
}

bool
ike_xchg_has(const struct ike_sa *sa, enum ike_task_kind kind)
{
	struct ike_task *t;

	if (sa->req && sa->req->kind == kind)
		return true;
	ike_list_foreach(t, it, &sa->tasks, struct ike_task, link) if (t->kind == kind) return true;
	return false;
}

bool
ike_xchg_ike_rekeying(const struct ike_sa *sa)
{
	return sa->req && sa->req->kind == T_IKE_REKEY;
}

bool
ike_xchg_child_inflight(const struct ike_sa *sa)
{
	return sa->req && (sa->req->kind == T_CHILD_NEW || sa->req->kind == T_CHILD_REKEY);
}

/* Decrypts the SK payload of msg into e->rx and parses the inner chain. */
static int
open_sk(
    struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg, size_t len, struct ike_plds *pl)
{
	struct ike_engine *e = sa->e;
	struct ike_plds outer;
	bool from_i = (h->flags & IKE_HDR_F_INIT) != 0;
	const uint8_t *ke = from_i ? ike_sk_ei(&sa->keys) : ike_sk_er(&sa->keys);
	const uint8_t *ka = from_i ? ike_sk_ai(&sa->keys) : ike_sk_ar(&sa->keys);
	size_t plain;
	int rc;

	if (!sa->have_keys)
		return -EBADMSG;
	rc = ike_plds_parse(h->next, msg + IKE_HDR_LEN, len - IKE_HDR_LEN, IKE_HDR_LEN, &outer);
	if (rc < 0 || !outer.has_sk)
		return -EBADMSG;
	rc = ike_sk_open(
	    e->c, &sa->suite, ke, ka, msg, len, outer.sk_off, e->rx, sizeof(e->rx), &plain);
	if (rc < 0) {
		e->st.rx_bad_icv++;
		return rc;
	}
	return ike_plds_parse(outer.sk_first, e->rx, plain, 0, pl);
}

static enum ike_rsp
dispatch_response(struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl, uint16_t err)
{
	switch (t->kind) {
	case T_AUTH:
		return ike_auth_on_response(sa, t, pl, err);
	case T_CHILD_NEW:
	case T_CHILD_REKEY:
		return ike_child_on_response(sa, t, pl, err);
	case T_IKE_REKEY:
		return ike_sa_rekey_on_response(sa, t, pl, err);
	default:
		return ike_info_on_response(sa, t, pl, err);
	}
}

static void
on_response(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg, size_t len,
    const struct ike_dgram *d)
{
	struct ike_task *t = sa->req;
	struct ike_plds pl;
	enum ike_rsp r;
	uint16_t err;

	if (!t || h->msgid != sa->req_msgid || h->exchange != task_exchange(t->kind))
		return;
	if (t->kind == T_INIT) {
		if (ike_plds_parse(
		        h->next, msg + IKE_HDR_LEN, len - IKE_HDR_LEN, IKE_HDR_LEN, &pl) < 0)
			return;
		ike_sa_note_rx(sa, d, false);
		/* The exchange is over: detach it so that a kill in the handler
		 * does not free it under us, and a new request may go out. */
		req_clear(sa);
		sa->cur = t;
		r = ike_init_on_response(sa, t, &pl, msg, len, d);
		sa->cur = NULL;
	} else {
		if (open_sk(sa, h, msg, len, &pl) < 0)
			return;
		ike_sa_note_rx(sa, d, true);
		err = ike_plds_error(&pl);
		if (!err && pl.unknown_critical)
			err = IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD;
		req_clear(sa);
		sa->cur = t;
		r = dispatch_response(sa, t, &pl, err);
		sa->cur = NULL;
	}
	/* A retry is a new exchange (IKE_SA_INIT keeps message ID 0). */
	if (r == RSP_RETRY && sa->st != SA_DEAD) {
		ike_list_add_head(&sa->tasks, &t->link);
	} else {
		if (r == RSP_RETRY)
			task_abort(sa, t);
		ike_task_free(t);
	}
	if (sa->st != SA_DEAD)
		ike_xchg_kick(sa);
}

static bool
request_allowed(const struct ike_sa *sa, uint8_t exch, uint32_t msgid)
{
	switch (exch) {
	case IKE_X_AUTH:
		return sa->st == SA_INIT_R && msgid == 1;
	case IKE_X_CREATE_CHILD_SA:
	case IKE_X_INFORMATIONAL:
		return sa->st == SA_UP || sa->st == SA_REKEYED || sa->st == SA_DELETING;
	default:
		return false;
	}
}

static void
on_request(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg, size_t len,
    const struct ike_dgram *d)
{
	struct ike_engine *e = sa->e;
	struct ike_plds pl;
	struct ike_enc enc;
	size_t sk_off, out_len;
	uint8_t *copy;

	/* RFC 7296 2.1: a retransmitted request gets the same response. */
	if (sa->have_resp && h->msgid == sa->resp_msgid && h->msgid + 1 == sa->peer_msgid) {
		ike_send(e, &d->local, &d->remote, IKE_DGRAM_IKE, sa->resp, sa->resp_len);
		return;
	}
	if (h->msgid != sa->peer_msgid || !request_allowed(sa, h->exchange, h->msgid))
		return;
	if (open_sk(sa, h, msg, len, &pl) < 0)
		return;
	ike_sa_note_rx(sa, d, true);
	ike_xchg_begin(sa, &enc, h->exchange, true, h->msgid, &sk_off);
	if (pl.unknown_critical) {
		/* RFC 7296 3.2: reject the message naming the payload type. */
		ike_enc_notify(
		    &enc, 0, NULL, 0, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &pl.unknown_critical, 1);
		if (h->exchange == IKE_X_AUTH)
			ike_sa_kill(sa, IKE_EV_PEER_ERROR);
	} else {
		switch (h->exchange) {
		case IKE_X_AUTH:
			ike_auth_on_request(sa, &pl, &enc);
			break;
		case IKE_X_CREATE_CHILD_SA:
			ike_child_on_request(sa, &pl, &enc);
			break;
		case IKE_X_INFORMATIONAL:
			ike_info_on_request(sa, &pl, &enc);
			break;
		}
	}
	/* The handlers may have killed the SA: its keys stay until the reap. */
	if (ike_xchg_seal(sa, &enc, sk_off, &out_len) < 0)
		return;
	sa->out_pkts++;
	sa->out_bytes += out_len;
	ike_send(e, &d->local, &d->remote, IKE_DGRAM_IKE, e->tx, out_len);
	sa->peer_msgid = h->msgid + 1;
	if (sa->st == SA_DEAD)
		return;
	copy = realloc(sa->resp, out_len);
	if (copy) {
		memcpy(copy, e->tx, out_len);
		sa->resp = copy;
		sa->resp_len = out_len;
		sa->resp_msgid = h->msgid;
		sa->have_resp = true;
	}
	ike_xchg_kick(sa);
}

void
ike_xchg_input(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg, size_t len,
    const struct ike_dgram *d)
{
	if (h->flags & IKE_HDR_F_RESPONSE)
		on_response(sa, h, msg, len, d);
	else
		on_request(sa, h, msg, len, d);
}
