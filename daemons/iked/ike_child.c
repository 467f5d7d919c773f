/* SPDX-License-Identifier: MIT */
/*
 * ike_child: CHILD SAs (RFC 7296 1.3, 2.17, 2.8, 2.9): ESP proposals
 * (ESN, PFS), traffic selectors with responder narrowing, keying material,
 * installation through the dataplane, CREATE_CHILD_SA for new CHILD SAs and
 * rekeys in both roles, and rekey collisions resolved as RFC 7296 2.8.1
 * and 2.25.1 require: the CHILD SA created with the lowest of the four
 * nonces is deleted by its creator, the creator of the survivor deletes
 * the old one, and nothing is left twice or orphaned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_int.h"
#include "log.h"
#include "rd.h"
#include "xmem.h"

#include "banned.h"

struct ike_child *
ike_child_new(struct ike_sa *sa, struct ike_tunnel *tun, bool initiator)
{
	struct ike_child *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->sa = sa;
	ch->tun = tun;
	ch->initiator = initiator;
	ch->st = CH_NEW;
	ch->created_ms = ike_now(sa->e);
	ike_timer_init(&ch->t_soft, IKE_TM_CHILD_SOFT);
	ike_timer_init(&ch->t_hard, IKE_TM_CHILD_HARD);
	ike_timer_init(&ch->t_out, IKE_TM_CHILD_OUT);
	ike_timer_init(&ch->t_grace, IKE_TM_CHILD_GRACE);
	ike_timer_init(&ch->t_idle, IKE_TM_CHILD_IDLE);
	ike_list_add_tail(&sa->children, &ch->sa_link);
	if (tun)
		ike_list_add_tail(&tun->children, &ch->tun_link);
	else
		ike_list_init(&ch->tun_link);
	return ch;
}

static int
alloc_spi(struct ike_child *ch)
{
	struct ike_sa *sa = ch->sa;
	struct ike_engine *e = sa->e;
	struct errbuf err = { .msg = "" };
	int rc;

	/* The tunnel is anchored first: the SPI belongs to its SPU. */
	if (ch->tun && !ch->tun->dp_set && ike_tunnel_dp_set(ch->tun, sa) < 0)
		return -EIO;
	if (ch->tun)
		sa->spu = ch->tun->dp_spu;
	errbuf_clear(&err);
	rc = ike_dp_spi_alloc(&e->dp, &sa->local.addr, &sa->remote.addr,
	    ch->tun ? ch->tun->dp_spu : 0, &ch->spi_in, &err);
	if (rc < 0) {
		log_warnx(LOG_IKE, "IKE SA %u: SPI allocation failed: %s", sa->index, err.msg);
		return rc;
	}
	ike_htab_add(&e->child_by_spi, &ch->by_spi, ch->spi_in);
	return 0;
}

struct ike_child *
ike_child_by_spi_in(const struct ike_engine *e, uint32_t spi)
{
	struct ike_hnode *n = ike_htab_find(&e->child_by_spi, spi);

	return n ? ike_container_of(n, struct ike_child, by_spi) : NULL;
}

static struct ike_child *
find_out(const struct ike_sa *sa, uint32_t spi)
{
	struct ike_child *ch;

	ike_list_foreach(ch, it, &sa->children, struct ike_child,
	    sa_link) if (ch->spi_out == spi && ch->st != CH_NEW) return ch;
	return NULL;
}

struct ike_child *
ike_child_by_spi_out(const struct ike_sa *sa, uint32_t spi)
{
	struct ike_child *ch = find_out(sa, spi);

	/* Right after an IKE SA rekey the peer already speaks on the new SA
	 * while the CHILD SAs wait on the old one for its DELETE (2.18). */
	if (!ch && sa->rekey_of && sa->rekey_of->st != SA_DEAD)
		ch = find_out(sa->rekey_of, spi);
	return ch;
}

static void
wipe_pending(struct ike_child *ch)
{
	if (ch->pending_out) {
		xmem_free(ch->pending_out, sizeof(*ch->pending_out));
		ch->pending_out = NULL;
	}
}

void
ike_child_remove(struct ike_child *ch, enum ike_event reason)
{
	struct ike_sa *sa = ch->sa;
	struct ike_engine *e = sa->e;

	if (ch->in_inst)
		ike_dp_sa_del(&e->dp, ch->spi_in, true, &sa->local.addr);
	if (ch->out_inst)
		ike_dp_sa_del(&e->dp, ch->spi_out, false, &sa->remote.addr);
	if (ch->counted_up && e->st.child_sas)
		e->st.child_sas--;
	wipe_pending(ch);
	ike_disarm(e, &ch->t_soft);
	ike_disarm(e, &ch->t_hard);
	ike_disarm(e, &ch->t_out);
	ike_disarm(e, &ch->t_grace);
	ike_disarm(e, &ch->t_idle);
	ike_htab_del(&e->child_by_spi, &ch->by_spi);
	ike_xchg_forget_child(sa, ch);
	if (ch->rekey_of) {
		if (ch->rekey_of->rekey_own == ch)
			ch->rekey_of->rekey_own = NULL;
		if (ch->rekey_of->rekey_peer == ch)
			ch->rekey_of->rekey_peer = NULL;
	}
	if (ch->rekey_own && ch->rekey_own->rekey_of == ch)
		ch->rekey_own->rekey_of = NULL;
	if (ch->rekey_peer && ch->rekey_peer->rekey_of == ch)
		ch->rekey_peer->rekey_of = NULL;
	ike_list_del(&ch->sa_link);
	if (ch->in_inst)
		sa->children_deleted++;
	if (ch->tun)
		ike_tunnel_child_gone(ch->tun, ch, reason);
	if (ch->ts && !ike_ts_is_common(ch->ts))
		free((void *)ch->ts);
	xmem_free(ch, sizeof(*ch));
}

/* ---- proposals, selectors, keys ---------------------------------------- */

static const struct ike_vpn_conf *
vpn_of(const struct ike_child *ch)
{
	return &ch->tun->vpn->conf;
}

/* Our ESP offers: the VPN's proposals, the current suite first on rekey. */
static unsigned
esp_offers(const struct ike_vpn_conf *v, const struct ike_suite *first, uint16_t dh, uint32_t spi,
    struct ike_offer *o)
{
	unsigned n = 0, i;

	if (first) {
		memset(&o[n], 0, sizeof(o[n]));
		o[n].s = *first;
		o[n].s.dh = dh;
		n++;
	}
	for (i = 0; i < v->n_esp_props && n < IKE_CONF_PROPS + 1; i++) {
		struct ike_suite s = v->esp_props[i];

		s.dh = dh;
		if (first && memcmp(&s, &o[0].s, sizeof(s)) == 0)
			continue;
		memset(&o[n], 0, sizeof(o[n]));
		o[n].s = s;
		n++;
	}
	for (i = 0; i < n; i++) {
		o[i].num = (uint8_t)(i + 1);
		o[i].proto = IKE_PROTO_ESP;
		o[i].spi_len = 4;
		wr_be32(o[i].spi, spi);
	}
	return n;
}

static int
set_ts(
    struct ike_child *ch, const struct ike_ts *l, unsigned nl, const struct ike_ts *r, unsigned nr)
{
	const struct ike_ts *common = ike_ts_common(l, nl, r, nr);
	struct ike_ts *ts = NULL;

	if (!common) {
		/* not one of the usual lists: a copy of its own */
		ts = malloc((nl + nr) * sizeof(*ts));
		if (!ts)
			return -ENOMEM;
		memcpy(ts, l, nl * sizeof(*ts));
		memcpy(ts + nl, r, nr * sizeof(*ts));
	}
	if (ch->ts && !ike_ts_is_common(ch->ts))
		free((void *)ch->ts);
	ch->ts = common ? common : ts;
	ch->n_tsl = (uint8_t)nl;
	ch->n_tsr = (uint8_t)nr;
	return 0;
}

static void
fill_sa(struct ike_child *ch, struct ike_dp_sa *s, bool inbound)
{
	struct ike_sa *sa = ch->sa;
	const struct ike_vpn_conf *v = vpn_of(ch);
	uint64_t hard = ch->life_kb * 1024;

	memset(s, 0, sizeof(*s));
	s->spi = inbound ? ch->spi_in : ch->spi_out;
	s->inbound = inbound;
	s->tunnel_id = ch->tun->id;
	s->local = sa->local.addr;
	s->remote = sa->remote.addr;
	/* RFC 3948: ESP in UDP when either side is behind a NAT. */
	s->encap = sa->natt && (sa->nat_local || sa->nat_remote);
	if (s->encap) {
		s->encap_local_port = sa->local.port;
		s->encap_remote_port = sa->remote.port;
	}
	s->esn = ch->suite.esn == IKE_ESN_YES;
	s->copy_dscp = v->copy_dscp;
	s->encr = ch->suite.encr;
	s->encr_bits = ch->suite.encr_bits;
	s->integ = ch->suite.integ;
	s->replay_window = v->replay_window;
	s->df = v->df;
	if (hard) {
		s->hard_bytes = hard;
		s->soft_bytes = hard - hard * sa->e->o.rekey_margin_pct / 100;
	}
}

/* KEYMAT = prf+(SK_d, [g^ir (new)] | Ni | Nr) (2.17), split per direction. */
static int
keymat(struct ike_child *ch, const uint8_t *gir, size_t gl, const uint8_t *ni, size_t nil,
    const uint8_t *nr, size_t nrl, struct ike_dp_sa *in, struct ike_dp_sa *out)
{
	struct ike_sa *sa = ch->sa;
	size_t ek = ike_encr_key_len(ch->suite.encr, ch->suite.encr_bits);
	size_t ak = ike_encr_is_aead(ch->suite.encr) ? 0 : ike_integ_key_len(ch->suite.integ);
	uint8_t km[2 * (IKE_ENC_KEY_MAX + IKE_PRF_MAX)];
	struct ike_iov v[3];
	struct ike_dp_sa *ir, *ri;
	size_t n = 0;
	int rc;

	if (!ek || (!ike_encr_is_aead(ch->suite.encr) && !ak))
		return -EINVAL;
	if (gl)
		v[n++] = (struct ike_iov){ gir, gl };
	v[n++] = (struct ike_iov){ ni, nil };
	v[n++] = (struct ike_iov){ nr, nrl };
	rc = ike_prfplus(sa->e->c, sa->suite.prf, ike_sk_d(&sa->keys), sa->keys.prf_len, v, n, km,
	    2 * (ek + ak));
	if (rc < 0)
		goto out;
	fill_sa(ch, in, true);
	fill_sa(ch, out, false);
	/* The exchange initiator's outbound keys come first. */
	ir = ch->initiator ? out : in;
	ri = ch->initiator ? in : out;
	memcpy(ir->enc_key, km, ek);
	memcpy(ir->integ_key, km + ek, ak);
	memcpy(ri->enc_key, km + ek + ak, ek);
	memcpy(ri->integ_key, km + 2 * ek + ak, ak);
	in->enc_key_len = out->enc_key_len = (uint8_t)ek;
	in->integ_key_len = out->integ_key_len = (uint8_t)ak;
out:
	explicit_bzero(km, sizeof(km));
	return rc;
}

static void
arm_lifetimes(struct ike_child *ch)
{
	struct ike_engine *e = ch->sa->e;
	uint64_t now = ike_now(e);

	if (!ch->life_s)
		ch->life_s = 3600;
	ch->hard_ms = now + ike_life_ms(e, (uint64_t)ch->life_s * 1000);
	ch->soft_ms = now + ike_soft_ms(e, ch->life_s);
	ike_arm(e, &ch->t_hard, ch->hard_ms);
	if (vpn_of(ch)->establish != IKE_EST_RESPONDER_ONLY_NO_REKEY)
		ike_arm(e, &ch->t_soft, ch->soft_ms);
	if (vpn_of(ch)->idle_time)
		ike_arm(e, &ch->t_idle, now + (uint64_t)vpn_of(ch)->idle_time * 1000);
}

/* Packets through both directions of a CHILD SA so far. */
static uint64_t
traffic(struct ike_child *ch)
{
	struct ike_sa *sa = ch->sa;
	struct ike_dp_stats s;
	uint64_t n = 0;

	if (ch->in_inst && ike_dp_sa_stats(&sa->e->dp, ch->spi_in, true, &sa->local.addr, &s) == 0)
		n += s.packets;
	if (ch->out_inst &&
	    ike_dp_sa_stats(&sa->e->dp, ch->spi_out, false, &sa->remote.addr, &s) == 0)
		n += s.packets;
	return n;
}

/* idle-time: a CHILD SA that carried nothing for that long is deleted. */
void
ike_child_idle_fire(struct ike_timer *tm, void *arg)
{
	struct ike_child *ch = arg;
	uint64_t n;

	(void)tm;
	if (ch->st != CH_UP || !ch->tun)
		return;
	n = traffic(ch);
	if (n == ch->idle_pkts && ike_sa_is_alive(ch->sa)) {
		ike_info_delete_child(ch, IKE_EV_IDLE);
		return;
	}
	ch->idle_pkts = n;
	ike_arm_in(ch->sa->e, &ch->t_idle, (uint64_t)vpn_of(ch)->idle_time * 1000);
}

/* Installs inbound now, outbound now or later (then kept in pending_out). */
static int
install(struct ike_child *ch, struct ike_dp_sa *in, struct ike_dp_sa *out, bool out_now)
{
	struct ike_engine *e = ch->sa->e;
	struct errbuf err = { .msg = "" };
	int rc;

	errbuf_clear(&err);
	/* One batch: the dataplane applies the tunnel and both SAs together
	 * (one message per SPU) and ike_dp_batch_end returns when they are in
	 * place, before any answer leaves. */
	ike_dp_batch_begin(&e->dp);
	/* The tunnel exists in the dataplane before its SAs, with the
	 * selectors this CHILD SA negotiated. */
	if (!ch->tun->dp_set || ike_tunnel_ts_narrowed(ch->tun, ch))
		ike_tunnel_dp_set(ch->tun, ch->sa);
	rc = ike_dp_sa_add(&e->dp, in, &err);
	if (rc < 0) {
		ike_dp_batch_end(&e->dp, NULL);
		goto fail;
	}
	ch->in_inst = true;
	if (out_now) {
		rc = ike_dp_sa_add(&e->dp, out, &err);
		if (rc < 0) {
			ike_dp_batch_end(&e->dp, NULL);
			goto fail;
		}
		ch->out_inst = true;
	}
	if ((rc = ike_dp_batch_end(&e->dp, &err)) < 0)
		goto fail;
	if (!out_now) {
		ch->pending_out = malloc(sizeof(*ch->pending_out));
		if (!ch->pending_out) {
			rc = -ENOMEM;
			goto fail;
		}
		*ch->pending_out = *out;
	}
	ch->st = CH_UP;
	ch->counted_up = true;
	e->st.child_sas++;
	ch->sa->children_created++;
	arm_lifetimes(ch);
	ike_tunnel_child_up(ch->tun, ch);
	return 0;
fail:
	log_warnx(LOG_IKE, "tunnel %u: SA install failed: %s", ch->tun ? ch->tun->id : 0, err.msg);
	return rc;
}

void
ike_child_install_out(struct ike_child *ch)
{
	struct ike_engine *e = ch->sa->e;
	struct errbuf err = { .msg = "" };

	ike_disarm(e, &ch->t_out);
	if (!ch->pending_out)
		return;
	errbuf_clear(&err);
	/* The SA's endpoints may have moved (NAT) since the keys were made. */
	ch->pending_out->remote = ch->sa->remote.addr;
	if (ike_dp_sa_add(&e->dp, ch->pending_out, &err) == 0)
		ch->out_inst = true;
	else
		log_warnx(
		    LOG_IKE, "tunnel %u: outbound SA install failed: %s", ch->tun->id, err.msg);
	wipe_pending(ch);
}

void
ike_child_remote_moved(struct ike_child *ch)
{
	struct ike_engine *e = ch->sa->e;
	struct ike_dp_sa s;
	struct errbuf err = { .msg = "" };

	if (!ch->tun)
		return;
	if (ch->in_inst) {
		fill_sa(ch, &s, true);
		errbuf_clear(&err);
		if (ike_dp_sa_update_remote(&e->dp, &s, &err) < 0)
			log_warnx(LOG_IKE, "tunnel %u: %s", ch->tun->id, err.msg);
	}
	if (ch->out_inst) {
		fill_sa(ch, &s, false);
		errbuf_clear(&err);
		if (ike_dp_sa_update_remote(&e->dp, &s, &err) < 0)
			log_warnx(LOG_IKE, "tunnel %u: %s", ch->tun->id, err.msg);
	}
	if (ch->pending_out) {
		ch->pending_out->remote = ch->sa->remote.addr;
		ch->pending_out->encap_remote_port = ch->sa->remote.port;
	}
}

/* ---- responder: find the tunnel a peer's selectors ask for -------------- */

struct ts_match {
	struct ike_vpn *vpn;
	unsigned idx;
	unsigned nl, nr;
	struct ike_ts l[IKE_TS_MAX], r[IKE_TS_MAX];
};

/* The peer's TSi are its side (our remote), TSr ours (2.9). */
static bool
match_ts(const struct ike_vpn_ts *cfg, const struct ike_ts *tsi, unsigned ni,
    const struct ike_ts *tsr, unsigned nr, struct ts_match *m, bool *exact)
{
	unsigned i;

	m->nr = ike_ts_narrow(tsi, ni, cfg->remote, cfg->n_remote, m->r, IKE_TS_MAX);
	m->nl = ike_ts_narrow(tsr, nr, cfg->local, cfg->n_local, m->l, IKE_TS_MAX);
	if (!m->nr || !m->nl)
		return false;
	*exact = ni == cfg->n_remote && nr == cfg->n_local;
	for (i = 0; *exact && i < ni; i++)
		*exact = ike_ts_eq(&tsi[i], &cfg->remote[i]);
	for (i = 0; *exact && i < nr; i++)
		*exact = ike_ts_eq(&tsr[i], &cfg->local[i]);
	return true;
}

static bool
find_match(struct ike_sa *sa, const struct ike_ts *tsi, unsigned ni, const struct ike_ts *tsr,
    unsigned nr, struct ts_match *best)
{
	struct ike_vpn *v;
	bool found = false, found_exact = false;

	if (!sa->gw)
		return false;
	ike_list_foreach(v, it, &sa->gw->vpns, struct ike_vpn, gw_link)
	{
		unsigned k;

		for (k = 0; k < v->conf.n_ts; k++) {
			struct ts_match m;
			bool exact;

			if (!match_ts(&v->conf.ts[k], tsi, ni, tsr, nr, &m, &exact))
				continue;
			if (found && (found_exact || !exact))
				continue;
			m.vpn = v;
			m.idx = k;
			*best = m;
			found = true;
			found_exact = exact;
		}
	}
	return found;
}

static struct ike_tunnel *
match_tunnel(struct ike_sa *sa, const struct ts_match *m)
{
	struct ike_tunnel *t;

	if (sa->gw->conf.dynamic) {
		ike_list_foreach(t, it, &sa->peer_tunnels, struct ike_tunnel,
		    peer_link) if (t->vpn == m->vpn && t->ts_idx == m->idx) return t;
		return ike_tunnel_new(m->vpn, m->idx, sa);
	}
	ike_list_foreach(t, it2, &m->vpn->tunnels, struct ike_tunnel,
	    vpn_link) if (t->ts_idx == m->idx && !t->peer_sa) return t;
	return NULL;
}

static enum ike_event
err_event(uint16_t err)
{
	switch (err) {
	case IKE_N_NO_PROPOSAL_CHOSEN:
		return IKE_EV_PEER_NO_PROPOSAL;
	case IKE_N_TS_UNACCEPTABLE:
		return IKE_EV_PEER_TS_UNACC;
	case IKE_N_AUTHENTICATION_FAILED:
		return IKE_EV_PEER_AUTH_FAILED;
	default:
		return IKE_EV_PEER_ERROR;
	}
}

/* Our own check of an answer failed (accept_answer): the peer chose what we
 * did not offer. */
static enum ike_event
local_event(uint16_t err)
{
	switch (err) {
	case IKE_N_NO_PROPOSAL_CHOSEN:
		return IKE_EV_NO_PROPOSAL;
	case IKE_N_TS_UNACCEPTABLE:
		return IKE_EV_TS_UNACCEPTABLE;
	default:
		return IKE_EV_PEER_ERROR;
	}
}

/* "a === b, c" of a list of selectors, for the log. */
static const char *
ts_list_str(const struct ike_ts *ts, unsigned n, char *buf, size_t len)
{
	char one[128];
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		    ike_ts_str(&ts[i], one, sizeof(one)));

		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
	return n ? buf : "none";
}

/* Responder: the peer's selectors match no tunnel of the gateway. Said in
 * the log with what was proposed, and recorded on the gateway's tunnels
 * (any of them may have been meant). */
static void
ts_refused(struct ike_sa *sa, const struct ike_ts *tsi, unsigned ntsi, const struct ike_ts *tsr,
    unsigned ntsr)
{
	char li[512], lr[512];

	if (!sa->gw)
		return;
	log_info(LOG_IKE,
	    "IKE SA %u: gateway %s: the peer's traffic selectors TSi %s, TSr %s match no "
	    "configured traffic selector: TS_UNACCEPTABLE",
	    sa->index, sa->gw->conf.name, ts_list_str(tsi, ntsi, li, sizeof(li)),
	    ts_list_str(tsr, ntsr, lr, sizeof(lr)));
	if (!sa->gw->conf.dynamic)
		ike_gw_refused(sa->gw, IKE_EV_TS_UNACCEPTABLE);
}

/* Responder: none of the peer's ESP proposals is one of the VPN's. */
static void
esp_refused(struct ike_sa *sa, struct ike_tunnel *tun, const struct ike_sa_pl *peer,
    const struct ike_suite *ours, unsigned n)
{
	char got[512], conf[512];

	log_info(LOG_IKE,
	    "IKE SA %u: vpn %s: no proposal chosen: received %s; configured %s: "
	    "NO_PROPOSAL_CHOSEN",
	    sa->index, tun->vpn->conf.name, ike_sa_pl_str(peer, IKE_PROTO_ESP, got, sizeof(got)),
	    ike_suites_str(ours, n, IKE_PROTO_ESP, conf, sizeof(conf)));
	ike_tunnel_refused(tun, IKE_EV_NO_PROPOSAL);
}

static int
parse_ts(
    const struct ike_plds *pl, struct ike_ts *tsi, unsigned *ni, struct ike_ts *tsr, unsigned *nr)
{
	const struct ike_pld *pi = ike_plds_find(pl, IKE_PL_TSI);
	const struct ike_pld *pr = ike_plds_find(pl, IKE_PL_TSR);
	int ri, rr;

	if (!pi || !pr)
		return -EBADMSG;
	ri = ike_ts_parse(pi, tsi, IKE_TS_MAX, ni);
	rr = ike_ts_parse(pr, tsr, IKE_TS_MAX, nr);
	if (ri == -EBADMSG || rr == -EBADMSG)
		return -EBADMSG;
	return *ni && *nr ? 0 : -ENOTSUP;
}

/* ---- IKE_AUTH: the first CHILD SA ------------------------------------------ */

int
ike_child_first_prepare(struct ike_sa *sa, struct ike_task *t)
{
	struct ike_child *ch = ike_child_new(sa, t->tun, true);
	int rc;

	if (!ch)
		return -ENOMEM;
	rc = alloc_spi(ch);
	if (rc < 0) {
		ike_child_remove(ch, IKE_EV_NONE);
		return rc;
	}
	t->child = ch;
	return 0;
}

void
ike_child_first_encode(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc)
{
	struct ike_child *ch = t->child;
	const struct ike_vpn_ts *ts = ike_tunnel_ts(t->tun);
	struct ike_offer o[IKE_CONF_PROPS + 1];
	unsigned n = esp_offers(vpn_of(ch), NULL, 0, ch->spi_in, o);

	(void)sa;
	/* 1.2: no KE in IKE_AUTH, so the proposals carry no DH group. */
	ike_enc_sa(enc, o, n);
	ike_enc_ts(enc, IKE_PL_TSI, ts->local, ts->n_local);
	ike_enc_ts(enc, IKE_PL_TSR, ts->remote, ts->n_remote);
}

/* Initiator side of a CHILD SA answer: SA, selectors; 0 or the error. */
static uint16_t
accept_answer(struct ike_child *ch, const struct ike_plds *pl, const struct ike_suite *ours,
    unsigned n, unsigned flags, const struct ike_ts *our_l, unsigned nl, const struct ike_ts *our_r,
    unsigned nr, struct ike_choice *c)
{
	const struct ike_pld *psa = ike_plds_find(pl, IKE_PL_SA);
	struct ike_ts tsi[IKE_TS_MAX], tsr[IKE_TS_MAX];
	unsigned ni, nrr;
	struct ike_sa_pl sapl;

	if (!psa || ike_sa_pl_parse(psa, &sapl) < 0 ||
	    ike_prop_accept(&sapl, IKE_PROTO_ESP, ours, n, flags, c) < 0 || c->spi_len != 4)
		return IKE_N_NO_PROPOSAL_CHOSEN;
	if (parse_ts(pl, tsi, &ni, tsr, &nrr) < 0 || !ike_ts_list_subset(tsi, ni, our_l, nl) ||
	    !ike_ts_list_subset(tsr, nrr, our_r, nr))
		return IKE_N_TS_UNACCEPTABLE;
	if (set_ts(ch, tsi, ni, tsr, nrr) < 0)
		return IKE_N_TEMPORARY_FAILURE;
	ch->spi_out = (uint32_t)c->spi[0] << 24 | (uint32_t)c->spi[1] << 16 |
	              (uint32_t)c->spi[2] << 8 | c->spi[3];
	ch->suite = c->s;
	return 0;
}

static void
set_life(struct ike_child *ch, unsigned ours)
{
	const struct ike_vpn_conf *v = vpn_of(ch);

	if (ours < v->n_esp_props) {
		ch->life_s = v->esp_life_s[ours];
		ch->life_kb = v->esp_life_kb[ours];
	} else {
		ch->life_s = v->esp_life_s[0];
		ch->life_kb = v->esp_life_kb[0];
	}
}

uint16_t
ike_child_first_response(
    struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl, uint16_t err)
{
	struct ike_child *ch = t->child;
	struct ike_tunnel *tun = t->tun;
	const struct ike_vpn_ts *ts;
	struct ike_dp_sa in, out;
	struct ike_choice c;
	uint16_t e2;

	t->child = NULL;
	t->tun = NULL;
	if (!ch || !tun)
		return 0;
	ts = ike_tunnel_ts(tun);
	e2 = err ? err
	         : accept_answer(ch, pl, vpn_of(ch)->esp_props, vpn_of(ch)->n_esp_props,
	               IKE_SEL_IGNORE_DH, ts->local, ts->n_local, ts->remote, ts->n_remote, &c);
	if (e2) {
		ike_child_remove(ch, IKE_EV_NONE);
		ike_tunnel_failed(tun, err ? err_event(err) : local_event(e2));
		return e2;
	}
	set_life(ch, c.ours);
	ike_nkey_set(&ch->nkey, sa->hs->ni, sa->hs->ni_len, sa->hs->nr, sa->hs->nr_len);
	if (keymat(ch, NULL, 0, sa->hs->ni, sa->hs->ni_len, sa->hs->nr, sa->hs->nr_len, &in, &out) <
	        0 ||
	    install(ch, &in, &out, true) < 0) {
		explicit_bzero(&in, sizeof(in));
		explicit_bzero(&out, sizeof(out));
		ike_child_remove(ch, IKE_EV_NONE);
		ike_tunnel_failed(tun, IKE_EV_DP_ERROR);
		return IKE_N_TEMPORARY_FAILURE;
	}
	explicit_bzero(&in, sizeof(in));
	explicit_bzero(&out, sizeof(out));
	ike_tunnel_event(tun, IKE_EV_CHILD_UP);
	ike_tunnel_dedup(tun);
	return 0;
}

/* Responder: a CHILD SA from SA/Ni/TS in a request; encodes the answer. */
static struct ike_child *
respond_child(struct ike_sa *sa, const struct ike_plds *pl, struct ike_enc *enc,
    struct ike_child *old, const uint8_t *ni, size_t nil, const struct ike_ke_pl *ke, bool first)
{
	struct ike_engine *e = sa->e;
	const struct ike_pld *psa = ike_plds_find(pl, IKE_PL_SA);
	struct ike_ts tsi[IKE_TS_MAX], tsr[IKE_TS_MAX];
	unsigned ntsi, ntsr;
	struct ike_suite suites[IKE_CONF_PROPS];
	struct ike_sa_pl sapl;
	struct ike_choice c;
	struct ike_tunnel *tun = NULL;
	struct ike_child *ch = NULL;
	struct ts_match m;
	struct ike_dp_sa in, out;
	struct ike_dh *dh = NULL;
	struct ike_offer o;
	uint8_t nr[IKE_NONCE_MAX], gir[IKE_DH_SEC_MAX], grp[2];
	size_t nrl = e->o.nonce_len, gl = 0;
	const struct ike_vpn_conf *v;
	unsigned i, ns;
	uint16_t err = 0;
	int rc;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	if (!psa || ike_sa_pl_parse(psa, &sapl) < 0) {
		err = IKE_N_INVALID_SYNTAX;
		goto refuse;
	}
	rc = parse_ts(pl, tsi, &ntsi, tsr, &ntsr);
	if (rc == -EBADMSG) {
		err = IKE_N_INVALID_SYNTAX;
		goto refuse;
	}
	if (rc < 0 || !find_match(sa, tsi, ntsi, tsr, ntsr, &m)) {
		err = IKE_N_TS_UNACCEPTABLE;
		if (rc < 0)
			ntsi = ntsr = 0;
		ts_refused(sa, tsi, ntsi, tsr, ntsr);
		goto refuse;
	}
	if (old) {
		tun = old->tun;
		if (!tun) {
			err = IKE_N_TEMPORARY_FAILURE;
			goto refuse;
		}
		/* A rekey keeps the old selectors' tunnel even if it narrows anew. */
		if (!match_ts(ike_tunnel_ts(tun), tsi, ntsi, tsr, ntsr, &m, &(bool){ false })) {
			err = IKE_N_TS_UNACCEPTABLE;
			goto refuse;
		}
	} else {
		tun = match_tunnel(sa, &m);
		if (!tun) {
			err = IKE_N_TS_UNACCEPTABLE;
			goto refuse;
		}
	}
	v = &tun->vpn->conf;
	ns = v->n_esp_props;
	for (i = 0; i < ns; i++) {
		suites[i] = v->esp_props[i];
		suites[i].dh = first ? 0 : v->pfs_group;
	}
	if (ike_prop_select(&sapl, IKE_PROTO_ESP, suites, ns, first ? IKE_SEL_IGNORE_DH : 0,
	        ke ? ke->group : 0, &c) < 0 ||
	    c.spi_len != 4) {
		err = IKE_N_NO_PROPOSAL_CHOSEN;
		esp_refused(sa, tun, &sapl, suites, ns);
		goto refuse;
	}
	if (c.s.dh && (!ke || ke->group != c.s.dh)) {
		/* 1.3: the PFS group we want. */
		wr_be16(grp, c.s.dh);
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_INVALID_KE_PAYLOAD, grp, 2);
		e->st.invalid_ke_sent++;
		return NULL;
	}
	/* One batch from the tunnel's anchoring (alloc_spi) to the install:
	 * the dataplane gets the tunnel, its update with the negotiated
	 * selectors and both SAs in one message per SPU. The SPI allocation
	 * itself needs no SPU. Closed by install() or at refuse. */
	ike_dp_batch_begin(&e->dp);
	ch = ike_child_new(sa, tun, false);
	if (!ch || alloc_spi(ch) < 0 || set_ts(ch, m.l, m.nl, m.r, m.nr) < 0) {
		err = IKE_N_TEMPORARY_FAILURE;
		goto refuse;
	}
	ch->spi_out = (uint32_t)c.spi[0] << 24 | (uint32_t)c.spi[1] << 16 |
	              (uint32_t)c.spi[2] << 8 | c.spi[3];
	ch->suite = c.s;
	set_life(ch, c.ours);
	if (first) {
		memcpy(nr, sa->hs->nr, sa->hs->nr_len);
		nrl = sa->hs->nr_len;
	} else {
		ike_random(e, nr, nrl);
	}
	if (c.s.dh) {
		dh = ike_dh_new(e->c, c.s.dh);
		if (!dh || ike_dh_derive(e->c, dh, ke->data, ke->len, gir, sizeof(gir), &gl) < 0) {
			err = dh ? IKE_N_INVALID_SYNTAX : IKE_N_TEMPORARY_FAILURE;
			goto refuse;
		}
	}
	ike_nkey_set(&ch->nkey, ni, nil, nr, nrl);
	/* A rekeyed outbound SA waits for the old one's DELETE (2.8). */
	if (keymat(ch, gir, gl, ni, nil, nr, nrl, &in, &out) < 0 ||
	    install(ch, &in, &out, !old) < 0) {
		err = IKE_N_TEMPORARY_FAILURE;
		ike_tunnel_event(tun, IKE_EV_DP_ERROR);
		goto refuse;
	}
	memset(&o, 0, sizeof(o));
	o.num = c.num;
	o.proto = IKE_PROTO_ESP;
	o.spi_len = 4;
	wr_be32(o.spi, ch->spi_in);
	o.s = c.s;
	ike_enc_sa(enc, &o, 1);
	if (!first)
		ike_enc_nonce(enc, nr, nrl);
	if (dh) {
		size_t pl_len;
		const uint8_t *pub = ike_dh_public(dh, &pl_len);

		ike_enc_ke(enc, c.s.dh, pub, pl_len);
	}
	ike_enc_ts(enc, IKE_PL_TSI, m.r, m.nr);
	ike_enc_ts(enc, IKE_PL_TSR, m.l, m.nl);
	ike_dh_free(dh);
	explicit_bzero(gir, sizeof(gir));
	explicit_bzero(&in, sizeof(in));
	explicit_bzero(&out, sizeof(out));
	return ch;
refuse:
	/* what the batch held goes in before the CHILD SA is undone */
	ike_dp_batch_end(&e->dp, NULL);
	ike_dh_free(dh);
	explicit_bzero(gir, sizeof(gir));
	explicit_bzero(&in, sizeof(in));
	explicit_bzero(&out, sizeof(out));
	if (ch) {
		ike_child_remove(ch, IKE_EV_NONE);
	}
	if (tun && tun->peer_sa && ike_list_empty(&tun->children))
		ike_tunnel_free(tun);
	ike_enc_notify(enc, 0, NULL, 0, err, NULL, 0);
	return NULL;
}

void
ike_child_first_request(struct ike_sa *sa, const struct ike_plds *pl, struct ike_enc *enc)
{
	struct ike_child *ch;

	/* USE_TRANSPORT_MODE is refused by answering in tunnel mode (1.3.1). */
	ch = respond_child(sa, pl, enc, NULL, sa->hs->ni, sa->hs->ni_len, NULL, true);
	if (ch) {
		ike_tunnel_event(ch->tun, IKE_EV_CHILD_UP);
		ike_tunnel_dedup(ch->tun);
	}
}

/* ---- CREATE_CHILD_SA ------------------------------------------------------ */

void
ike_child_request(struct ike_sa *sa, struct ike_tunnel *tun)
{
	struct ike_task *t = ike_task_new(T_CHILD_NEW);

	if (!t) {
		ike_tunnel_failed(tun, IKE_EV_NONE);
		return;
	}
	t->tun = tun;
	t->dh_group = tun->vpn->conf.pfs_group;
	tun->negotiating = true;
	ike_xchg_queue(sa, t);
}

void
ike_child_rekey(struct ike_child *ch)
{
	struct ike_sa *sa = ch->sa;
	struct ike_task *t;

	if (ch->st != CH_UP || !ch->tun || ch->rekey_peer || ch->redundant)
		return;
	if (sa->st != SA_UP || sa->rekey_own || sa->rekey_peer) {
		/* The IKE SA is being rekeyed or closed: try again shortly. */
		if (ike_sa_is_alive(sa))
			ike_arm_in(sa->e, &ch->t_soft,
			    ike_life_ms(sa->e, 2000 + ike_random_below(sa->e, 3000)));
		return;
	}
	if (vpn_of(ch)->establish == IKE_EST_RESPONDER_ONLY_NO_REKEY)
		return;
	t = ike_task_new(T_CHILD_REKEY);
	if (!t)
		return;
	t->old = ch;
	t->dh_group = vpn_of(ch)->pfs_group;
	ch->st = CH_REKEYING;
	ike_tunnel_event(ch->tun, IKE_EV_CHILD_REKEY_SOFT);
	ike_xchg_queue(sa, t);
}

void
ike_child_task_abort(struct ike_sa *sa, struct ike_task *t)
{
	(void)sa;
	if (t->child) {
		struct ike_child *ch = t->child;

		t->child = NULL;
		ike_child_remove(ch, IKE_EV_NONE);
	}
	if (t->old && t->old->st == CH_REKEYING)
		t->old->st = CH_UP;
	if (t->kind == T_CHILD_NEW && t->tun) {
		t->tun->negotiating = false;
		t->tun = NULL;
	}
}

int
ike_child_build(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc)
{
	struct ike_engine *e = sa->e;
	struct ike_child *old = t->old, *ch = t->child;
	struct ike_tunnel *tun = t->tun;
	struct ike_offer o[IKE_CONF_PROPS + 1];
	const struct ike_ts *l, *r;
	unsigned n, nl, nr;
	uint8_t spi[4];
	int rc;

	if (t->kind == T_CHILD_REKEY) {
		/* The peer rekeyed it first, or it is gone: nothing to do. */
		if (!old || old->st != CH_REKEYING || old->rekey_peer || !old->tun)
			return -ECANCELED;
		tun = old->tun;
	}
	if (!tun)
		return -ECANCELED;
	if (!ch) {
		ch = ike_child_new(sa, tun, true);
		if (!ch)
			return -ENOMEM;
		t->child = ch;
		rc = alloc_spi(ch);
		if (rc < 0)
			return rc;
		if (old) {
			ch->rekey_of = old;
			old->rekey_own = ch;
		}
	}
	t->tun = tun;
	t->nonce_len = (uint16_t)e->o.nonce_len;
	ike_random(e, t->nonce, t->nonce_len);
	if (t->dh_group && (!t->dh || ike_dh_group(t->dh) != t->dh_group)) {
		ike_dh_free(t->dh);
		t->dh = ike_dh_new(e->c, t->dh_group);
		if (!t->dh)
			return -EIO;
	}
	if (old) {
		wr_be32(spi, old->spi_in);
		ike_enc_notify(enc, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, NULL, 0);
		n = esp_offers(&tun->vpn->conf, &old->suite, t->dh_group, ch->spi_in, o);
		l = old->ts;
		nl = old->n_tsl;
		r = old->ts + old->n_tsl;
		nr = old->n_tsr;
	} else {
		const struct ike_vpn_ts *ts = ike_tunnel_ts(tun);

		n = esp_offers(&tun->vpn->conf, NULL, t->dh_group, ch->spi_in, o);
		l = ts->local;
		nl = ts->n_local;
		r = ts->remote;
		nr = ts->n_remote;
	}
	ike_enc_sa(enc, o, n);
	ike_enc_nonce(enc, t->nonce, t->nonce_len);
	if (t->dh) {
		size_t pl;
		const uint8_t *pub = ike_dh_public(t->dh, &pl);

		ike_enc_ke(enc, t->dh_group, pub, pl);
	}
	ike_enc_ts(enc, IKE_PL_TSI, l, nl);
	ike_enc_ts(enc, IKE_PL_TSR, r, nr);
	return 0;
}

/* Deletes the replaced CHILD SA, once our replacement sends. */
static void
retire_old(struct ike_child *ch)
{
	struct ike_child *old = ch->rekey_of;

	if (!old || old->rekey_own != ch)
		return;
	old->rekey_own = NULL;
	ch->rekey_of = NULL;
	old->st = CH_REKEYED;
	ike_info_delete_child(old, IKE_EV_NONE);
}

void
ike_child_out_fire(struct ike_timer *tm, void *arg)
{
	struct ike_child *ch = arg;

	(void)tm;
	if (ch->redundant)
		return;
	ike_child_install_out(ch);
	if (ch->initiator)
		retire_old(ch);
}

/* Another CHILD SA of its tunnel, up on a live IKE SA and not itself
 * redundant: what a redundant CHILD SA duplicates. */
static bool
child_has_twin(const struct ike_child *ch)
{
	const struct ike_child *o;

	if (!ch->tun)
		return true; /* no tunnel any more: nothing to keep it for */
	ike_list_foreach(o, it, &ch->tun->children, struct ike_child, tun_link)
	{
		if (o != ch && (o->st == CH_UP || o->st == CH_REKEYING) && !o->redundant &&
		    ike_sa_is_alive(o->sa))
			return true;
	}
	return false;
}

void
ike_child_grace_fire(struct ike_timer *tm, void *arg)
{
	struct ike_child *ch = arg;

	(void)tm;
	if (!ch->redundant || !ike_sa_is_alive(ch->sa))
		return;
	if (!child_has_twin(ch)) {
		/* The CHILD SA it duplicated is gone (a peer reauthenticating
		 * make-before-break deleted the old IKE SA with it): this one
		 * is the tunnel's only SA now, and it stays. */
		log_info(LOG_IKE, "tunnel %u: CHILD SA %08x: the SA it duplicated is gone: kept",
		    ch->tun->id, ch->spi_in);
		ch->redundant = false;
		/* its soft lifetime may have passed while it was redundant
		 * (ike_child_rekey skips those) */
		if (ch->soft_ms && ike_now(ch->sa->e) >= ch->soft_ms)
			ike_child_rekey(ch);
		return;
	}
	/* The peer created it and did not remove it: we do. */
	ike_info_delete_child(ch, IKE_EV_NONE);
}

void
ike_child_redundant(struct ike_child *ch)
{
	ch->redundant = true;
	if (ch->initiator)
		ike_info_delete_child(ch, IKE_EV_NONE);
	else
		ike_arm_in(
		    ch->sa->e, &ch->t_grace, (uint64_t)ch->sa->e->o.redundant_grace_s * 1000);
}

enum ike_rsp
ike_child_on_response(
    struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl, uint16_t err)
{
	struct ike_engine *e = sa->e;
	struct ike_child *ch = t->child, *old = t->old, *p;
	struct ike_tunnel *tun = t->tun;
	struct ike_suite ours[IKE_CONF_PROPS + 1];
	struct ike_offer o[IKE_CONF_PROPS + 1];
	const struct ike_pld *pno, *pke;
	const struct ike_ts *l, *r;
	struct ike_dp_sa in, out;
	struct ike_choice c;
	struct ike_ke_pl ke;
	uint8_t gir[IKE_DH_SEC_MAX];
	const uint8_t *nr;
	size_t nrl, gl = 0;
	unsigned n, nl, nrr, i;
	bool rekey = t->kind == T_CHILD_REKEY;
	const bool peer_err = err != 0; /* an error notify, not our check of the answer */

	if (!ch || !tun) {
		ike_child_task_abort(sa, t);
		return RSP_DONE;
	}
	if (err == IKE_N_INVALID_KE_PAYLOAD && t->ke_retries < 2) {
		struct ike_notify_pl np;

		if (ike_plds_notify(pl, err, &np) && np.len == 2) {
			uint16_t g = (uint16_t)(np.data[0] << 8 | np.data[1]);

			if (ike_dh_pub_len(g) && g != t->dh_group) {
				t->dh_group = g;
				t->ke_retries++;
				return RSP_RETRY;
			}
		}
	}
	if (!err) {
		if (rekey && old) {
			l = old->ts;
			nl = old->n_tsl;
			r = old->ts + old->n_tsl;
			nrr = old->n_tsr;
		} else {
			const struct ike_vpn_ts *ts = ike_tunnel_ts(tun);

			l = ts->local;
			nl = ts->n_local;
			r = ts->remote;
			nrr = ts->n_remote;
		}
		n = esp_offers(
		    &tun->vpn->conf, old ? &old->suite : NULL, t->dh_group, ch->spi_in, o);
		for (i = 0; i < n; i++)
			ours[i] = o[i].s;
		err = accept_answer(ch, pl, ours, n, 0, l, nl, r, nrr, &c);
		pno = ike_plds_find(pl, IKE_PL_NONCE);
		pke = ike_plds_find(pl, IKE_PL_KE);
		if (!err && (!pno || ike_nonce_parse(pno, &nr, &nrl) < 0))
			err = IKE_N_INVALID_SYNTAX;
		if (!err && t->dh) {
			if (!pke || ike_ke_parse(pke, &ke) < 0 || ke.group != t->dh_group ||
			    ike_dh_derive(e->c, t->dh, ke.data, ke.len, gir, sizeof(gir), &gl) < 0)
				err = IKE_N_INVALID_SYNTAX;
		}
	}
	if (err) {
		log_info(LOG_IKE, "tunnel %u: CREATE_CHILD_SA refused: %s", tun->id,
		    ike_notify_str(err));
		t->child = NULL;
		ike_child_remove(ch, IKE_EV_NONE);
		if (!rekey) {
			t->tun = NULL;
			ike_tunnel_failed(tun, err == IKE_N_TEMPORARY_FAILURE ? IKE_EV_NONE
			                       : peer_err                     ? err_event(err)
			                                                      : local_event(err));
		} else if (old) {
			old->rekey_own = NULL;
			if (err == IKE_N_CHILD_SA_NOT_FOUND) {
				/* 2.25.1: the peer no longer has it. */
				ike_child_remove(old, IKE_EV_PEER_DELETE_CHILD);
			} else if (old->st == CH_REKEYING) {
				old->st = CH_UP;
				ike_arm_in(e, &old->t_soft,
				    ike_life_ms(e, err == IKE_N_TEMPORARY_FAILURE
				                       ? 2000 + ike_random_below(e, 8000)
				                       : 60000));
			}
		}
		return RSP_DONE;
	}
	t->child = NULL;
	set_life(ch, c.ours);
	ike_nkey_set(&ch->nkey, t->nonce, t->nonce_len, nr, nrl);
	if (keymat(ch, gir, gl, t->nonce, t->nonce_len, nr, nrl, &in, &out) < 0) {
		explicit_bzero(gir, sizeof(gir));
		ike_child_remove(ch, IKE_EV_NONE);
		if (!rekey)
			ike_tunnel_failed(tun, IKE_EV_DP_ERROR);
		return RSP_DONE;
	}
	explicit_bzero(gir, sizeof(gir));
	p = old ? old->rekey_peer : NULL;
	if (p && (p->st != CH_UP || p->redundant))
		p = NULL;
	if (!rekey || !old) {
		if (install(ch, &in, &out, true) < 0) {
			ike_child_remove(ch, IKE_EV_NONE);
			ike_tunnel_failed(tun, IKE_EV_DP_ERROR);
		} else {
			ike_tunnel_event(tun, IKE_EV_CHILD_UP);
			ike_tunnel_dedup(tun);
		}
	} else if (p && ike_nkey_cmp(&ch->nkey, &p->nkey) < 0) {
		/* 2.8.1: ours holds the lowest nonce: we close it; the peer's
		 * survives and the peer deletes the old one. Our outbound SA
		 * moves to the peer's when that DELETE comes (as for any rekey we
		 * answered, ike_child_peer_deleted): the peer may not have our
		 * answer yet, and sends nothing on its new SA before it has. */
		log_info(LOG_IKE, "tunnel %u: CHILD SA rekey collision lost", tun->id);
		old->rekey_own = NULL;
		ch->rekey_of = NULL;
		ch->redundant = true;
		ike_info_delete_child(ch, IKE_EV_NONE);
	} else {
		uint32_t delay = tun->vpn->conf.install_interval;

		if (p) {
			/* Ours survives; the peer closes its own. */
			log_info(LOG_IKE, "tunnel %u: CHILD SA rekey collision won", tun->id);
			p->redundant = true;
			ike_disarm(e, &p->t_out);
			ike_arm_in(e, &p->t_grace, (uint64_t)e->o.redundant_grace_s * 1000);
		}
		if (install(ch, &in, &out, delay == 0) < 0) {
			ike_child_remove(ch, IKE_EV_NONE);
		} else {
			ike_tunnel_event(tun, IKE_EV_CHILD_REKEYED);
			if (delay == 0)
				retire_old(ch);
			else
				ike_arm_in(e, &ch->t_out, ike_life_ms(e, (uint64_t)delay * 1000));
		}
	}
	explicit_bzero(&in, sizeof(in));
	explicit_bzero(&out, sizeof(out));
	return RSP_DONE;
}

/*
 * 2.8.1 in the other order: our rekey of old completed (our new SA own is
 * up, the old one kept for install-interval) when the peer's request to
 * rekey the same old SA arrived; we answered it with peer. Two new SAs, as
 * when the requests cross: the one holding the lowest nonce is redundant
 * and its creator deletes it, the survivor's creator deletes the old one.
 */
static void
late_collision(struct ike_child *old, struct ike_child *own, struct ike_child *peer)
{
	struct ike_engine *e = old->sa->e;

	if (ike_nkey_cmp(&own->nkey, &peer->nkey) < 0) {
		log_info(LOG_IKE,
		    "tunnel %u: CHILD SA rekey collision lost (after our rekey): ours %08x "
		    "deleted, the peer's %08x kept",
		    old->tun ? old->tun->id : 0, own->spi_in, peer->spi_in);
		/* the peer deletes old; its DELETE installs peer's outbound SA
		 * (ike_child_peer_deleted) */
		old->rekey_own = NULL;
		own->rekey_of = NULL;
		ike_disarm(e, &own->t_out);
		own->redundant = true;
		ike_info_delete_child(own, IKE_EV_NONE); /* leaves after our answer */
	} else {
		log_info(LOG_IKE,
		    "tunnel %u: CHILD SA rekey collision won (after our rekey): ours %08x kept, "
		    "the peer's %08x redundant",
		    old->tun ? old->tun->id : 0, own->spi_in, peer->spi_in);
		/* own's install-interval timer retires old as usual; the peer
		 * deletes its own, or we do after the grace period */
		old->rekey_peer = NULL;
		peer->rekey_of = NULL;
		peer->redundant = true;
		ike_disarm(e, &peer->t_out);
		ike_arm_in(e, &peer->t_grace, (uint64_t)e->o.redundant_grace_s * 1000);
	}
}

void
ike_child_on_request(struct ike_sa *sa, const struct ike_plds *pl, struct ike_enc *enc)
{
	struct ike_engine *e = sa->e;
	const struct ike_pld *psa = ike_plds_find(pl, IKE_PL_SA);
	const struct ike_pld *pno = ike_plds_find(pl, IKE_PL_NONCE);
	const struct ike_pld *pke = ike_plds_find(pl, IKE_PL_KE);
	struct ike_child *old = NULL, *ch;
	struct ike_notify_pl rn;
	struct ike_sa_pl sapl;
	struct ike_ke_pl ke;
	const uint8_t *ni;
	size_t nil;
	unsigned i;

	if (!psa || ike_sa_pl_parse(psa, &sapl) < 0) {
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	for (i = 0; i < sapl.n; i++) {
		if (sapl.prop[i].proto == IKE_PROTO_IKE) {
			ike_sa_rekey_on_request(sa, pl, enc);
			return;
		}
	}
	/* 2.25.2: no CHILD SA work while the IKE SA is being rekeyed or closed. */
	if (sa->st != SA_UP || sa->rekey_own || ike_xchg_ike_rekeying(sa)) {
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	if (ike_plds_notify(pl, IKE_N_REKEY_SA, &rn)) {
		uint32_t spi;

		if (rn.spi_len != 4 || rn.proto != IKE_PROTO_ESP) {
			ike_enc_notify(enc, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
			return;
		}
		spi = (uint32_t)rn.spi[0] << 24 | (uint32_t)rn.spi[1] << 16 |
		      (uint32_t)rn.spi[2] << 8 | rn.spi[3];
		old = ike_child_by_spi_out(sa, spi);
		if (!old) {
			ike_enc_notify(
			    enc, IKE_PROTO_ESP, rn.spi, 4, IKE_N_CHILD_SA_NOT_FOUND, NULL, 0);
			return;
		}
		/* 2.25.1: it is being closed, or was already replaced. */
		if (old->st == CH_REKEYED || old->st == CH_DELETING || old->st == CH_NEW ||
		    old->rekey_peer || old->redundant) {
			ike_enc_notify(enc, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
			return;
		}
	}
	if (!pno || ike_nonce_parse(pno, &ni, &nil) < 0 || (pke && ike_ke_parse(pke, &ke) < 0)) {
		ike_enc_notify(enc, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	ch = respond_child(sa, pl, enc, old, ni, nil, pke ? &ke : NULL, false);
	if (!ch)
		return;
	if (old) {
		struct ike_child *own = old->rekey_own;

		ch->rekey_of = old;
		old->rekey_peer = ch;
		ike_tunnel_event(ch->tun, IKE_EV_CHILD_REKEYED);
		/* Fallback should the old one's DELETE never come. */
		ike_arm_in(e, &ch->t_out, (uint64_t)e->o.redundant_grace_s * 1000);
		if (own && own->st == CH_UP && !own->redundant)
			late_collision(old, own, ch);
	} else {
		ike_tunnel_event(ch->tun, IKE_EV_CHILD_UP);
		ike_tunnel_dedup(ch->tun);
	}
}

void
ike_child_peer_deleted(struct ike_child *ch)
{
	struct ike_child *n = ch->rekey_peer;

	if (n && n->st == CH_UP && !n->redundant) {
		/* The peer finished its rekey: our new outbound SA may send. */
		ike_child_install_out(n);
		n->rekey_of = NULL;
		ch->rekey_peer = NULL;
		ike_child_remove(ch, IKE_EV_NONE);
		return;
	}
	if (ch->st == CH_REKEYED || ch->st == CH_DELETING || ch->redundant ||
	    (ch->rekey_own && ch->rekey_own->st == CH_UP)) {
		ike_child_remove(ch, IKE_EV_NONE);
		return;
	}
	ike_child_remove(ch, IKE_EV_PEER_DELETE_CHILD);
}

void
ike_child_deleted(struct ike_child *ch)
{
	ike_child_remove(ch, IKE_EV_NONE);
}

/* ---- timers and dataplane events ----------------------------------------------- */

void
ike_child_soft_fire(struct ike_timer *tm, void *arg)
{
	(void)tm;
	ike_child_rekey(arg);
}

void
ike_child_hard_fire(struct ike_timer *tm, void *arg)
{
	struct ike_child *ch = arg;

	(void)tm;
	if (ike_sa_is_alive(ch->sa))
		ike_info_delete_child(
		    ch, ch->st == CH_REKEYED ? IKE_EV_NONE : IKE_EV_CHILD_LIFETIME);
	else
		ike_child_remove(ch, IKE_EV_CHILD_LIFETIME);
}

void
ike_child_dp_event(struct ike_engine *e, const struct ike_dp_event *ev)
{
	struct ike_tunnel *t = ev->tunnel_id ? ike_tunnel_by_id(e, ev->tunnel_id) : NULL;
	struct ike_child *ch = NULL, *c;

	switch (ev->type) {
	case IKE_DPE_ACQUIRE:
		if (t && !t->peer_sa && t->vpn->conf.establish != IKE_EST_RESPONDER_ONLY &&
		    t->vpn->conf.establish != IKE_EST_RESPONDER_ONLY_NO_REKEY) {
			t->want_up = true;
			ike_tunnel_establish(t);
		}
		return;
	case IKE_DPE_ERROR:
		log_warnx(
		    LOG_IKE, "dataplane: tunnel %u SA %08x: %s", ev->tunnel_id, ev->spi, ev->msg);
		return;
	default:
		break;
	}
	if (ev->inbound) {
		ch = ike_child_by_spi_in(e, ev->spi);
	} else if (t) {
		ike_list_foreach(c, it, &t->children, struct ike_child,
		    tun_link) if (c->spi_out == ev->spi) ch = c;
	} else {
		struct ike_sa *sa;

		/* No tunnel id: look through every IKE SA (rare). */
		ike_list_foreach(sa, it2, &e->sas, struct ike_sa, link) if (!ch) ch =
		    ike_child_by_spi_out(sa, ev->spi);
	}
	if (!ch)
		return;
	if (ev->type == IKE_DPE_SOFT_EXPIRE) {
		ike_child_rekey(ch);
		return;
	}
	/* The dataplane removed that SA itself (hard byte limit). */
	if (ev->inbound)
		ch->in_inst = false;
	else
		ch->out_inst = false;
	if (ike_sa_is_alive(ch->sa))
		ike_info_delete_child(ch, IKE_EV_CHILD_LIFETIME);
	else
		ike_child_remove(ch, IKE_EV_CHILD_LIFETIME);
}
