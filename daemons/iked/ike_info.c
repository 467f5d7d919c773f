/* SPDX-License-Identifier: MIT */
/*
 * ike_info: the INFORMATIONAL exchange (RFC 7296 1.4): DELETE of CHILD SAs
 * and of the IKE SA in both roles (including the DELETE that completes an
 * IKE SA rekey, 2.18), liveness checks (DPD, 2.4) and error notifications.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike_int.h"
#include "log.h"

#include "banned.h"

void
ike_info_delete_child(struct ike_child *ch, enum ike_event reason)
{
	struct ike_sa *sa = ch->sa;
	struct ike_engine *e = sa->e;
	struct ike_task *t;

	if (!ike_sa_is_alive(sa)) {
		ike_child_remove(ch, reason);
		return;
	}
	t = ike_task_new(T_DEL_CHILD);
	if (t)
		t->spis = malloc(sizeof(uint32_t));
	if (!t || !t->spis) {
		ike_task_free(t);
		ike_child_remove(ch, reason);
		return;
	}
	t->spis[0] = ch->spi_in;
	t->n_spis = 1;
	t->reason = reason;
	if (ch->st == CH_REKEYED && ch->in_inst) {
		/* Packets already on their way still decrypt until the answer. */
		if (ch->out_inst) {
			ike_dp_sa_del(&e->dp, ch->spi_out, false, &sa->remote.addr);
			ch->out_inst = false;
		}
		ike_disarm(e, &ch->t_soft);
		ch->st = CH_DELETING;
		t->child = ch;
	} else {
		ike_child_remove(ch, reason);
	}
	ike_xchg_queue(sa, t);
}

void
ike_info_dpd(struct ike_sa *sa)
{
	struct ike_task *t;

	if (ike_xchg_has(sa, T_DPD))
		return;
	t = ike_task_new(T_DPD);
	if (!t)
		return;
	sa->dpd_sent++;
	ike_xchg_queue(sa, t);
}

int
ike_info_build(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc)
{
	(void)sa;
	switch (t->kind) {
	case T_DEL_CHILD:
		ike_enc_delete(enc, IKE_PROTO_ESP, t->spis, t->n_spis);
		return 0;
	case T_DEL_IKE:
		ike_enc_delete(enc, IKE_PROTO_IKE, NULL, 0);
		return 0;
	case T_DPD:
		return 0; /* an empty INFORMATIONAL asks "are you there" */
	default:
		return -EINVAL;
	}
}

enum ike_rsp
ike_info_on_response(struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl, uint16_t err)
{
	(void)pl;
	(void)err;
	switch (t->kind) {
	case T_DEL_CHILD:
		if (t->child) {
			struct ike_child *ch = t->child;

			t->child = NULL;
			ike_child_deleted(ch);
		}
		break;
	case T_DEL_IKE:
		ike_sa_kill(sa, IKE_EV_NONE);
		break;
	case T_DPD:
		sa->dpd_recv++;
		break;
	default:
		break;
	}
	return RSP_DONE;
}

/* The peer deletes the IKE SA: an end, or the last step of a rekey. */
static void
peer_deletes_ike(struct ike_sa *sa)
{
	struct ike_sa *n = sa->rekey_peer;

	if (n && n->st == SA_UP && !n->redundant) {
		/* 2.18: the rekey initiator deletes the old SA; its CHILD SAs
		 * live on in the new one. */
		ike_sa_move_children(sa, n);
		ike_sa_kill(sa, IKE_EV_NONE);
		return;
	}
	if (sa->st == SA_REKEYED || sa->redundant) {
		ike_sa_kill(sa, IKE_EV_NONE);
		return;
	}
	log_info(LOG_IKE, "IKE SA %u: deleted by the peer", sa->index);
	ike_sa_kill(sa, IKE_EV_PEER_DELETE_IKE);
}

bool
ike_info_on_request(struct ike_sa *sa, const struct ike_plds *pl, struct ike_enc *enc)
{
	const struct ike_pld *p;
	uint32_t ours[64];
	unsigned n_ours = 0;
	bool del_ike = false;

	for (p = ike_plds_find(pl, IKE_PL_DELETE); p; p = ike_plds_next(pl, p, IKE_PL_DELETE)) {
		struct ike_delete_pl d;
		unsigned i;

		if (ike_delete_parse(p, &d) < 0)
			continue;
		if (d.proto == IKE_PROTO_IKE) {
			del_ike = true;
			continue;
		}
		if (d.proto != IKE_PROTO_ESP)
			continue;
		for (i = 0; i < d.n; i++) {
			struct ike_child *ch = ike_child_by_spi_out(sa, ike_delete_spi(&d, i));

			if (!ch)
				continue;
			/* 1.4.1: answer with our half of each pair. */
			if (n_ours < sizeof(ours) / sizeof(ours[0]))
				ours[n_ours++] = ch->spi_in;
			ike_child_peer_deleted(ch);
		}
	}
	for (p = ike_plds_find(pl, IKE_PL_NOTIFY); p; p = ike_plds_next(pl, p, IKE_PL_NOTIFY)) {
		struct ike_notify_pl n;

		if (ike_notify_parse(p, &n) == 0 && n.type <= IKE_N_ERROR_MAX)
			log_info(LOG_IKE, "IKE SA %u: peer reports %s", sa->index,
			    ike_notify_str(n.type));
	}
	if (del_ike) {
		peer_deletes_ike(sa);
		return true;
	}
	if (n_ours)
		ike_enc_delete(enc, IKE_PROTO_ESP, ours, n_ours);
	return false;
}
