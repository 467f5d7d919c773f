/* SPDX-License-Identifier: MIT */
/*
 * ike_engine: the engine object, its seams (time, randomness, transport,
 * dataplane, anchoring), dispatch of received datagrams, timers, and the
 * configuration pipeline (prepare/commit) that touches only what changed.
 */
#include "ike_engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "ike_int.h"
#include "log.h"
#include "strhash.h"
#include "xmem.h"

#include "banned.h"

/* ---- life cycle ---------------------------------------------------------- */

static void
opts_default(struct ike_engine_opts *o)
{
	o->retransmit_base_ms = 2000;
	o->retransmit_max_ms = 16000;
	o->retransmit_tries = 5;
	o->nonce_len = 32;
	o->rekey_margin_pct = 10;
	o->rekey_jitter_pct = 5;
	o->retry_base_s = 5;
	o->retry_max_s = 300;
	o->redundant_grace_s = 30;
	o->max_initiating = 64;
	o->ike_port = 500;
	o->natt_port = 4500;
}

struct ike_engine *
ike_engine_new(const struct ike_env *env, const struct ike_engine_opts *opts)
{
	struct ike_engine *e;

	if (!env || !env->send || !env->now_ms || !env->dp) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->env = *env;
	opts_default(&e->o);
	if (opts) {
		struct ike_engine_opts d = e->o;

		e->o = *opts;
#define DEF(f)                                                                                     \
	if (!e->o.f)                                                                               \
	e->o.f = d.f
		DEF(retransmit_base_ms);
		DEF(retransmit_max_ms);
		DEF(retransmit_tries);
		DEF(nonce_len);
		DEF(rekey_margin_pct);
		DEF(rekey_jitter_pct);
		DEF(retry_base_s);
		DEF(retry_max_s);
		DEF(redundant_grace_s);
		DEF(max_initiating);
		DEF(ike_port);
		DEF(natt_port);
#undef DEF
		if (e->o.nonce_len < IKE_NONCE_MIN || e->o.nonce_len > IKE_NONCE_MAX)
			e->o.nonce_len = d.nonce_len;
	}
	e->dp.dp = env->dp;
	ike_timers_init(&e->timers);
	ike_list_init(&e->sas);
	ike_list_init(&e->gws);
	ike_list_init(&e->vpns);
	ike_list_init(&e->init_wait);
	ike_list_init(&e->gws_any);
	ike_list_init(&e->reap);
	e->c = ike_crypto_new();
	if (!e->c || ike_htab_init(&e->sa_by_spi, 256) < 0 || ike_htab_init(&e->sa_half, 256) < 0 ||
	    ike_htab_init(&e->sa_by_index, 256) < 0 || ike_htab_init(&e->child_by_spi, 256) < 0 ||
	    ike_htab_init(&e->tun_by_id, 256) < 0 || ike_htab_init(&e->gw_by_name, 64) < 0 ||
	    ike_htab_init(&e->gw_by_addr, 64) < 0 || ike_htab_init(&e->vpn_by_name, 64) < 0 ||
	    ike_htab_init(&e->sa_by_peer, 64) < 0) {
		ike_engine_free(e);
		errno = ENOMEM;
		return NULL;
	}
	e->next_sa_index = 1;
	e->next_tunnel_id = 131073; /* 0x20001, as kmd numbers tunnels */
	e->next_gw_id = 1;
	e->ho_timeout_s = 60;
	e->ho_max = 10000;
	e->cookie_threshold = 500;
	e->wake_told = UINT64_MAX;
	ike_random(e, e->cookie_secret[0], sizeof(e->cookie_secret[0]));
	ike_random(e, e->cookie_secret[1], sizeof(e->cookie_secret[1]));
	e->cookie_rotated_ms = ike_now(e);
	return e;
}

static void vpn_remove(struct ike_vpn *v, enum ike_event reason, bool graceful);
static void gw_remove(struct ike_gw *gw, bool graceful);

void
ike_engine_free(struct ike_engine *e)
{
	struct ike_vpn *v;
	struct ike_gw *gw;
	struct ike_sa *sa;

	if (!e)
		return;
	e->depth++;
	ike_list_foreach(v, it, &e->vpns, struct ike_vpn, link) vpn_remove(v, IKE_EV_NONE, false);
	ike_list_foreach(sa, it2, &e->sas, struct ike_sa, link) ike_sa_kill(sa, IKE_EV_NONE);
	ike_list_foreach(gw, it3, &e->gws, struct ike_gw, link) gw_remove(gw, false);
	e->depth = 1;
	ike_leave(e);
	ike_htab_fini(&e->sa_by_spi);
	ike_htab_fini(&e->sa_half);
	ike_htab_fini(&e->sa_by_index);
	ike_htab_fini(&e->child_by_spi);
	ike_htab_fini(&e->tun_by_id);
	ike_htab_fini(&e->gw_by_name);
	ike_htab_fini(&e->gw_by_addr);
	ike_htab_fini(&e->vpn_by_name);
	ike_htab_fini(&e->sa_by_peer);
	ike_timers_fini(&e->timers);
	ike_crypto_free(e->c);
	explicit_bzero(e->cookie_secret, sizeof(e->cookie_secret));
	explicit_bzero(e->rpool, sizeof(e->rpool));
	free(e);
}

/* ---- seams ---------------------------------------------------------------- */

uint64_t
ike_now(struct ike_engine *e)
{
	return e->env.now_ms(e->env.ctx);
}

int64_t
ike_wall(struct ike_engine *e)
{
	return e->env.wall ? e->env.wall(e->env.ctx) : (int64_t)time(NULL);
}

void
ike_enter(struct ike_engine *e)
{
	e->depth++;
}

/* Tunnels waiting for an initiation slot get the free ones, in order. */
static void
init_pump(struct ike_engine *e)
{
	while (!ike_list_empty(&e->init_wait) && e->n_initiating < e->o.max_initiating) {
		struct ike_tunnel *t =
		    ike_container_of(e->init_wait.next, struct ike_tunnel, pend_link);

		ike_list_del(&t->pend_link);
		t->queued = false;
		t->negotiating = false;
		ike_tunnel_establish(t);
	}
}

void
ike_leave(struct ike_engine *e)
{
	uint64_t next;

	if (--e->depth > 0)
		return;
	if (!ike_list_empty(&e->init_wait) && e->n_initiating < e->o.max_initiating) {
		e->depth++;
		init_pump(e);
		e->depth--;
	}
	while (!ike_list_empty(&e->reap)) {
		struct ike_sa *sa = ike_container_of(e->reap.next, struct ike_sa, reap_link);

		ike_list_del(&sa->reap_link);
		ike_sa_free(sa);
	}
	next = ike_timers_next(&e->timers);
	if (next != e->wake_told) {
		e->wake_told = next;
		if (e->env.wake && next != UINT64_MAX)
			e->env.wake(e->env.ctx, next);
	}
}

void
ike_arm(struct ike_engine *e, struct ike_timer *t, uint64_t at)
{
	if (ike_timers_arm(&e->timers, t, at) < 0)
		log_warnx(LOG_IKE, "timer heap: out of memory");
}

void
ike_arm_in(struct ike_engine *e, struct ike_timer *t, uint64_t ms)
{
	ike_arm(e, t, ike_now(e) + ms);
}

void
ike_disarm(struct ike_engine *e, struct ike_timer *t)
{
	ike_timers_cancel(&e->timers, t);
}

/* Takes len bytes of the pool (refilled first if short or in another
 * process); false when OpenSSL has none. */
static bool
rpool_take(struct ike_engine *e, void *buf, size_t len)
{
	pid_t pid = getpid();
	uint8_t *p;

	if (e->rpool_n < len || e->rpool_pid != pid) {
		e->rpool_n = 0;
		if (RAND_bytes(e->rpool, (int)sizeof(e->rpool)) != 1) {
			explicit_bzero(e->rpool, sizeof(e->rpool));
			return false;
		}
		e->rpool_n = sizeof(e->rpool);
		e->rpool_pid = pid;
	}
	p = e->rpool + sizeof(e->rpool) - e->rpool_n;
	memcpy(buf, p, len);
	explicit_bzero(p, len);
	e->rpool_n -= (uint16_t)len;
	return true;
}

void
ike_random(struct ike_engine *e, void *buf, size_t len)
{
	if (e->env.rand) {
		if (e->env.rand(e->env.ctx, buf, len) == 0)
			return;
	} else if (len <= sizeof(e->rpool) / 4) {
		if (rpool_take(e, buf, len))
			return;
	} else if (RAND_bytes(buf, (int)len) == 1) {
		return;
	}
	/* Without randomness nothing here is safe. */
	fatalx(LOG_IKE, "no random bytes");
}

uint32_t
ike_random_below(struct ike_engine *e, uint32_t n)
{
	uint32_t v;

	if (n <= 1)
		return 0;
	ike_random(e, &v, sizeof(v));
	return v % n;
}

uint64_t
ike_life_ms(const struct ike_engine *e, uint64_t ms)
{
	return e->o.test_lifetime_div > 1 ? ms / e->o.test_lifetime_div : ms;
}

uint64_t
ike_soft_ms(struct ike_engine *e, uint32_t hard_s)
{
	uint64_t hard = ike_life_ms(e, (uint64_t)hard_s * 1000);
	uint64_t margin = hard * e->o.rekey_margin_pct / 100;
	uint64_t jitter = hard * e->o.rekey_jitter_pct / 100;

	if (jitter)
		margin +=
		    ike_random_below(e, (uint32_t)(jitter > UINT32_MAX ? UINT32_MAX : jitter));
	return hard > margin ? hard - margin : hard / 2;
}

int
ike_send(struct ike_engine *e, const struct ike_endpoint *local, const struct ike_endpoint *remote,
    enum ike_dgram_kind kind, const uint8_t *p, size_t len)
{
	struct ike_dgram d;

	d.local = *local;
	d.remote = *remote;
	d.kind = kind;
	d.data = p;
	d.len = len;
	e->st.tx++;
	return e->env.send(e->env.ctx, &d);
}

void
ike_emit(struct ike_engine *e, enum ike_event ev, struct ike_tunnel *t, struct ike_sa *sa)
{
	struct ike_event_info i;

	if (!e->env.event)
		return;
	memset(&i, 0, sizeof(i));
	i.ev = ev;
	i.tunnel_id = t ? t->id : 0;
	i.ike_index = sa ? sa->index : 0;
	i.vpn = t ? t->vpn->conf.name : NULL;
	i.gateway = t ? t->vpn->gw->conf.name : sa && sa->gw ? sa->gw->conf.name : NULL;
	e->env.event(e->env.ctx, &i);
}

void
ike_nkey_set(struct ike_nkey *k, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	struct ike_nkey x, y;

	x.len = (uint16_t)alen;
	memcpy(x.b, a, alen < IKE_NKEY_LEN ? alen : IKE_NKEY_LEN);
	if (alen < IKE_NKEY_LEN)
		memset(x.b + alen, 0, IKE_NKEY_LEN - alen);
	y.len = (uint16_t)blen;
	memcpy(y.b, b, blen < IKE_NKEY_LEN ? blen : IKE_NKEY_LEN);
	if (blen < IKE_NKEY_LEN)
		memset(y.b + blen, 0, IKE_NKEY_LEN - blen);
	*k = ike_nkey_cmp(&x, &y) <= 0 ? x : y;
}

/*
 * RFC 7296 2.8.1: octet by octet; a nonce that ends first is the lower.
 * Only the first IKE_NKEY_LEN octets are kept; beyond them the length
 * decides (nonces equal in 32 octets do not happen by chance).
 */
int
ike_nkey_cmp(const struct ike_nkey *a, const struct ike_nkey *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c;

	if (n > IKE_NKEY_LEN)
		n = IKE_NKEY_LEN;
	c = memcmp(a->b, b->b, n);
	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
}

uint32_t
ike_gw_spu(const struct ike_gw *gw)
{
	struct ike_vpn *v;

	ike_list_foreach(v, it, &gw->vpns, struct ike_vpn, gw_link)
	{
		struct ike_tunnel *t;

		ike_list_foreach(t, it2, &v->tunnels, struct ike_tunnel,
		    vpn_link) if (t->dp_set) return t->dp_spu;
	}
	return UINT32_MAX;
}

/* ---- input and timers ------------------------------------------------------ */

void
ike_engine_input(struct ike_engine *e, const struct ike_dgram *d)
{
	struct ike_hdr h;
	struct ike_hnode *n;
	struct ike_sa *sa = NULL;
	uint64_t ours;
	bool from_initiator;

	ike_enter(e);
	e->st.rx++;
	if (d->kind != IKE_DGRAM_IKE || d->len < IKE_HDR_LEN ||
	    ike_hdr_parse(d->data, d->len, &h) < 0)
		goto drop;
	from_initiator = (h.flags & IKE_HDR_F_INIT) != 0;
	if (h.exchange == IKE_X_SA_INIT && !(h.flags & IKE_HDR_F_RESPONSE)) {
		if (from_initiator && h.spi_r == 0 && h.msgid == 0 && h.spi_i != 0)
			ike_init_on_request(e, &h, d->data, d->len, d);
		else
			goto drop;
		goto out;
	}
	ours = from_initiator ? h.spi_r : h.spi_i;
	for (n = ike_htab_find(&e->sa_by_spi, ours); n; n = ike_htab_next(n)) {
		struct ike_sa *s = ike_container_of(n, struct ike_sa, by_spi);

		if (s->st == SA_DEAD || s->initiator == from_initiator)
			continue;
		if (from_initiator ? s->spi_i != h.spi_i
		                   : (h.exchange != IKE_X_SA_INIT && s->spi_r != h.spi_r))
			continue;
		sa = s;
		break;
	}
	if (!sa)
		goto drop;
	ike_xchg_input(sa, &h, d->data, d->len, d);
	goto out;
drop:
	e->st.rx_dropped++;
out:
	ike_leave(e);
}

uint64_t
ike_engine_next_deadline(const struct ike_engine *e)
{
	return ike_timers_next(&e->timers);
}

/* Each timer's handler and its place in its object (ike_int.h). */
#define TC(fn, type, field)                                                                        \
	{                                                                                          \
		fn, offsetof(struct type, field)                                                   \
	}
static const struct ike_timer_class timer_class[IKE_TM_N] = {
	[IKE_TM_SA_RTX] = TC(ike_xchg_rtx_fire, ike_sa, t_rtx),
	[IKE_TM_SA_REKEY] = TC(ike_sa_rekey_fire, ike_sa, t_rekey),
	[IKE_TM_SA_EXPIRE] = TC(ike_sa_expire_fire, ike_sa, t_expire),
	[IKE_TM_SA_DPD] = TC(ike_sa_dpd_fire, ike_sa, t_dpd),
	[IKE_TM_SA_KEEPALIVE] = TC(ike_sa_keepalive_fire, ike_sa, t_keepalive),
	[IKE_TM_SA_HALFOPEN] = TC(ike_sa_halfopen_fire, ike_sa, t_halfopen),
	[IKE_TM_SA_GRACE] = TC(ike_sa_grace_fire, ike_sa, t_grace),
	[IKE_TM_CHILD_SOFT] = TC(ike_child_soft_fire, ike_child, t_soft),
	[IKE_TM_CHILD_HARD] = TC(ike_child_hard_fire, ike_child, t_hard),
	[IKE_TM_CHILD_OUT] = TC(ike_child_out_fire, ike_child, t_out),
	[IKE_TM_CHILD_GRACE] = TC(ike_child_grace_fire, ike_child, t_grace),
	[IKE_TM_CHILD_IDLE] = TC(ike_child_idle_fire, ike_child, t_idle),
	[IKE_TM_TUNNEL_RETRY] = TC(ike_tunnel_retry_fire, ike_tunnel, t_retry),
};
#undef TC
_Static_assert(IKE_TM_N <= UINT8_MAX + 1, "struct ike_timer keeps the kind in 8 bits");

void
ike_engine_run_timers(struct ike_engine *e)
{
	const struct ike_timer_class *tc;
	struct ike_timer *t;
	uint64_t now;

	ike_enter(e);
	now = ike_now(e);
	while ((t = ike_timers_pop_due(&e->timers, now)) != NULL) {
		tc = &timer_class[t->kind];
		tc->fn(t, ike_timer_owner(t, tc));
	}
	ike_leave(e);
}

void
ike_engine_dp_event(struct ike_engine *e, const struct dp_event *ev)
{
	struct ike_dp_event x;

	if (ike_dp_event_from(ev, &x) < 0)
		return;
	ike_enter(e);
	ike_child_dp_event(e, &x);
	ike_leave(e);
}

int
ike_engine_dp_poll(struct ike_engine *e)
{
	struct ike_dp_event x;
	struct ike_dgram d;
	int n = 0;

	ike_enter(e);
	while (ike_dp_event_read(&e->dp, &x) == 0) {
		ike_child_dp_event(e, &x);
		n++;
	}
	while (ike_dp_ike_recv(&e->dp, &d, e->rx, sizeof(e->rx)) == 0) {
		/* ike_engine_input decrypts into e->rx: hand it a copy. */
		uint8_t *copy = malloc(d.len);

		if (!copy)
			break;
		memcpy(copy, d.data, d.len);
		d.data = copy;
		ike_engine_input(e, &d);
		free(copy);
		n++;
	}
	ike_leave(e);
	return n;
}

int
ike_engine_dp_ike_send(struct ike_engine *e, const struct ike_dgram *d)
{
	/* A keepalive is the one byte 0xff (RFC 3948 2.3): dp_ike_send() sends
	 * a one-byte 0xff datagram without the non-ESP marker. */
	if (d->kind == IKE_DGRAM_KEEPALIVE && (d->len != 1 || d->data[0] != 0xff))
		return -EINVAL;
	return ike_dp_ike_send(&e->dp, d);
}

/* ---- gateways and VPNs ---------------------------------------------------- */

uint64_t
ike_name_hash(const char *s)
{
	return strhash(s);
}

struct ike_gw *
ike_gw_find(struct ike_engine *e, const char *name)
{
	struct ike_hnode *n;

	for (n = ike_htab_find(&e->gw_by_name, ike_name_hash(name)); n; n = ike_htab_next(n)) {
		struct ike_gw *gw = ike_container_of(n, struct ike_gw, by_name);

		if (strcmp(gw->conf.name, name) == 0)
			return gw;
	}
	return NULL;
}

static struct ike_vpn *
vpn_find(struct ike_engine *e, const char *name)
{
	struct ike_hnode *n;

	for (n = ike_htab_find(&e->vpn_by_name, ike_name_hash(name)); n; n = ike_htab_next(n)) {
		struct ike_vpn *v = ike_container_of(n, struct ike_vpn, by_name);

		if (strcmp(v->conf.name, name) == 0)
			return v;
	}
	return NULL;
}

void
ike_engine_set_limits(struct ike_engine *e, uint32_t half_open_timeout_s, uint32_t half_open_max,
    uint32_t cookie_threshold)
{
	e->ho_timeout_s = half_open_timeout_s ? half_open_timeout_s : 60;
	e->ho_max = half_open_max ? half_open_max : 10000;
	e->cookie_threshold = cookie_threshold;
}

/* Removes the VPN's tunnels (DELETE for their CHILD SAs when graceful). */
static void
vpn_tunnels_remove(struct ike_vpn *v, enum ike_event reason, bool graceful)
{
	struct ike_tunnel *t;

	ike_list_foreach(t, it, &v->tunnels, struct ike_tunnel, vpn_link)
	{
		struct ike_child *ch;

		ike_list_foreach(ch, it2, &t->children, struct ike_child, tun_link)
		{
			if (graceful && ike_sa_is_alive(ch->sa))
				ike_info_delete_child(ch, reason);
			else
				ike_child_remove(ch, reason);
		}
		ike_tunnel_free(t);
	}
}

uint64_t
ike_addr_key(const struct ike_addr *a)
{
	uint64_t h = 0xcbf29ce484222325ull ^ a->family;
	size_t i, n = a->family == AF_INET ? 4 : 16;

	for (i = 0; i < n; i++)
		h = (h ^ a->b[i]) * 0x100000001b3ull;
	return h;
}

/*
 * The responder's look-ups of a gateway (ike_init_candidates): static
 * gateways by each of their addresses, and the short list of those tried
 * whatever the address, kept in id (configuration) order.
 */
static void
gw_index(struct ike_gw *gw)
{
	struct ike_engine *e = gw->e;
	unsigned i;

	for (i = 0; i < gw->n_by_addr; i++) {
		gw->by_addr[i].gw = gw;
		ike_htab_add(&e->gw_by_addr, &gw->by_addr[i].h, ike_addr_key(&gw->conf.remote[i]));
	}
	if (gw->conf.dynamic || gw->conf.remote_id != NULL) {
		struct ike_list *at = &e->gws_any;
		struct ike_gw *o;

		ike_list_foreach(o, it, &e->gws_any, struct ike_gw, any_link)
		{
			if (o->id > gw->id) {
				at = &o->any_link;
				break;
			}
		}
		ike_list_add_tail(at, &gw->any_link);
	}
}

static void
gw_unindex(struct ike_gw *gw)
{
	unsigned i;

	for (i = 0; i < gw->n_by_addr; i++)
		if (ike_hnode_linked(&gw->by_addr[i].h))
			ike_htab_del(&gw->e->gw_by_addr, &gw->by_addr[i].h);
	ike_list_del(&gw->any_link);
}

static void
vpn_remove(struct ike_vpn *v, enum ike_event reason, bool graceful)
{
	struct ike_gw *gw = v->gw;

	vpn_tunnels_remove(v, reason, graceful);
	ike_htab_del(&v->e->vpn_by_name, &v->by_name);
	ike_list_del(&v->link);
	ike_list_del(&v->gw_link);
	ike_vpn_conf_fini(&v->conf);
	free(v);
	(void)gw;
}

static void
gw_remove(struct ike_gw *gw, bool graceful)
{
	struct ike_sa *sa;
	struct ike_vpn *v;

	ike_list_foreach(v, it, &gw->vpns, struct ike_vpn, gw_link)
	    vpn_remove(v, IKE_EV_CONFIG_CHANGED, graceful);
	ike_list_foreach(sa, it2, &gw->sas, struct ike_sa, gw_link)
	{
		if (graceful)
			ike_sa_delete(sa, IKE_EV_CONFIG_CHANGED);
		else
			ike_sa_kill(sa, IKE_EV_CONFIG_CHANGED);
		ike_list_del(&sa->gw_link);
		sa->gw = NULL;
	}
	/* Half-open responder SAs may point at it without being linked. */
	ike_list_foreach(sa, it3, &gw->e->sas, struct ike_sa, link) if (sa->gw == gw) sa->gw = NULL;
	ike_htab_del(&gw->e->gw_by_name, &gw->by_name);
	gw_unindex(gw);
	ike_list_del(&gw->link);
	ike_gw_conf_fini(&gw->conf);
	free(gw->by_addr);
	free(gw);
}

/* ---- the configuration plan (prepare / commit) ------------------------------- */

struct plan_gw {
	struct ike_gw *gw; /* existing, or preallocated when is_new */
	bool is_new, sa_change, changed;
	struct ike_gw_conf conf;
	struct ike_gw_addr *by_addr; /* conf's address index slots (n_by_addr) */
	unsigned n_by_addr;
};

struct plan_vpn {
	struct ike_vpn *vpn; /* existing, or preallocated when is_new */
	bool is_new, sa_change, changed;
	struct ike_vpn_conf conf;
};

struct ike_plan {
	uint32_t ho_timeout, ho_max, cookie_threshold;
	bool limits;
	struct plan_gw *gw;
	unsigned n_gw;
	struct plan_vpn *vpn;
	unsigned n_vpn;
	bool full; /* a whole configuration: what it lacks is removed */
	/* a delta: what it removes (names: looked up again at commit) */
	char (*del_gw)[IKE_NAME_MAX + 1];
	unsigned n_del_gw;
	char (*del_vpn)[IKE_NAME_MAX + 1];
	unsigned n_del_vpn;
};

void
ike_plan_free(struct ike_plan *p)
{
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < p->n_gw; i++) {
		ike_gw_conf_fini(&p->gw[i].conf);
		free(p->gw[i].by_addr);
		if (p->gw[i].is_new)
			free(p->gw[i].gw);
	}
	for (i = 0; i < p->n_vpn; i++) {
		ike_vpn_conf_fini(&p->vpn[i].conf);
		if (p->vpn[i].is_new)
			free(p->vpn[i].vpn);
	}
	free(p->gw);
	free(p->vpn);
	free(p->del_gw);
	free(p->del_vpn);
	free(p);
}

static int
plan_add_gw(struct ike_engine *e, struct ike_plan *p, const struct ike_gw_conf *g)
{
	struct plan_gw *pg = &p->gw[p->n_gw];
	struct ike_gw *old = ike_gw_find(e, g->name);

	memset(pg, 0, sizeof(*pg));
	if (ike_gw_conf_copy(&pg->conf, g) < 0)
		return -ENOMEM;
	p->n_gw++;
	if (old) {
		pg->gw = old;
		pg->sa_change = !ike_gw_conf_sa_equal(&old->conf, g);
		pg->changed = pg->sa_change || old->conf.dpd_mode != g->dpd_mode ||
		              old->conf.dpd_interval != g->dpd_interval ||
		              old->conf.dpd_threshold != g->dpd_threshold ||
		              old->conf.nat_keepalive != g->nat_keepalive ||
		              old->conf.connections_limit != g->connections_limit ||
		              old->conf.reject_duplicate != g->reject_duplicate;
		if (!pg->changed)
			return 0; /* kept as it is, its index too */
	} else {
		pg->gw = calloc(1, sizeof(*pg->gw));
		if (!pg->gw)
			return -ENOMEM;
		pg->is_new = true;
	}
	/* the address index slots now, so that applying cannot fail */
	if (!g->dynamic && g->n_remote > 0) {
		pg->by_addr = calloc(g->n_remote, sizeof(*pg->by_addr));
		if (!pg->by_addr)
			return -ENOMEM;
		pg->n_by_addr = g->n_remote;
	}
	return 0;
}

/* Hands the plan's index slots to gw (indexed afresh by gw_index). */
static void
gw_take_index(struct ike_gw *gw, struct plan_gw *pg)
{
	free(gw->by_addr);
	gw->by_addr = pg->by_addr;
	gw->n_by_addr = pg->n_by_addr;
	pg->by_addr = NULL;
	pg->n_by_addr = 0;
}

static int
plan_add_vpn(struct ike_engine *e, struct ike_plan *p, const struct ike_vpn_conf *v)
{
	struct plan_vpn *pv = &p->vpn[p->n_vpn];
	struct ike_vpn *old = vpn_find(e, v->name);

	memset(pv, 0, sizeof(*pv));
	if (ike_vpn_conf_copy(&pv->conf, v) < 0)
		return -ENOMEM;
	p->n_vpn++;
	if (old) {
		pv->vpn = old;
		pv->sa_change = !ike_vpn_conf_sa_equal(&old->conf, v);
		pv->changed = pv->sa_change || old->conf.establish != v->establish ||
		              old->conf.install_interval != v->install_interval ||
		              old->conf.idle_time != v->idle_time ||
		              strcmp(old->conf.ipsec_policy, v->ipsec_policy) != 0;
		return 0;
	}
	pv->vpn = calloc(1, sizeof(*pv->vpn));
	if (!pv->vpn)
		return -ENOMEM;
	pv->is_new = true;
	return 0;
}

/* An existing VPN must follow its gateway when that one is new (a VPN
 * moved to another gateway): its SAs are re-established. Only new gateways
 * can differ from the one the VPN has. */
static void
plan_follow_gateways(struct ike_engine *e, struct ike_plan *p)
{
	size_t i;

	for (i = 0; i < p->n_vpn; i++) {
		struct ike_gw *now;

		if (p->vpn[i].is_new || p->vpn[i].sa_change)
			continue;
		now = ike_gw_find(e, p->vpn[i].conf.gateway);
		if (now != p->vpn[i].vpn->gw)
			p->vpn[i].sa_change = p->vpn[i].changed = true;
	}
}

int
ike_engine_prepare(struct ike_engine *e, const struct ike_conf *c, ike_resolve_fn resolve,
    void *rctx, struct ike_plan **plan, struct errbuf *err)
{
	struct ike_plan *p;
	unsigned i;
	int rc;

	*plan = NULL;
	rc = ike_conf_check(c, resolve, rctx, err);
	if (rc < 0)
		return rc;
	p = calloc(1, sizeof(*p));
	if (!p)
		return errbuf_set(err, -ENOMEM, "security ike: out of memory");
	p->full = true;
	p->limits = true;
	p->ho_timeout = c->half_open_timeout;
	p->ho_max = c->half_open_max;
	p->cookie_threshold = c->cookie_threshold;
	p->gw = calloc(c->n_gateways ? c->n_gateways : 1, sizeof(*p->gw));
	p->vpn = calloc(c->n_vpns ? c->n_vpns : 1, sizeof(*p->vpn));
	if (!p->gw || !p->vpn) {
		rc = errbuf_set(err, -ENOMEM, "security ike: out of memory");
		goto fail;
	}
	for (i = 0; i < c->n_gateways; i++) {
		struct ike_gw_conf g;

		rc = ike_conf_resolve_gateway(c, c->gateways[i].name, resolve, rctx, &g, err);
		if (rc < 0)
			goto fail;
		rc = plan_add_gw(e, p, &g);
		ike_gw_conf_fini(&g);
		if (rc < 0) {
			errbuf_set(
			    err, rc, "security ike gateway %s: out of memory", c->gateways[i].name);
			goto fail;
		}
	}
	for (i = 0; i < c->n_vpns; i++) {
		struct ike_vpn_conf v;

		if (c->vpns[i].manual)
			continue;
		rc = ike_conf_resolve_vpn(c, c->vpns[i].name, &v, err);
		if (rc < 0)
			goto fail;
		rc = plan_add_vpn(e, p, &v);
		ike_vpn_conf_fini(&v);
		if (rc < 0) {
			errbuf_set(
			    err, rc, "security ipsec vpn %s: out of memory", c->vpns[i].name);
			goto fail;
		}
	}
	plan_follow_gateways(e, p);
	*plan = p;
	return 0;
fail:
	ike_plan_free(p);
	return rc;
}

int
ike_engine_prepare_delta(struct ike_engine *e, const struct ike_conf *c, const struct ike_delta *d,
    struct ike_plan **plan, struct errbuf *err)
{
	struct ike_plan *p;
	unsigned i;
	int rc;

	*plan = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return errbuf_set(err, -ENOMEM, "security ike: out of memory");
	p->gw = calloc(d->n_set_gw ? d->n_set_gw : 1, sizeof(*p->gw));
	p->vpn = calloc(d->n_set_vpn ? d->n_set_vpn : 1, sizeof(*p->vpn));
	p->del_gw = calloc(d->n_del_gw ? d->n_del_gw : 1, sizeof(*p->del_gw));
	p->del_vpn = calloc(d->n_del_vpn ? d->n_del_vpn : 1, sizeof(*p->del_vpn));
	if (!p->gw || !p->vpn || !p->del_gw || !p->del_vpn) {
		rc = errbuf_set(err, -ENOMEM, "security ike: out of memory");
		goto fail;
	}
	for (i = 0; i < d->n_set_gw; i++) {
		struct ike_gw_conf g;

		rc = ike_conf_resolve_gateway(c, d->set_gw[i], NULL, NULL, &g, err);
		if (rc == -ENOENT)
			rc = errbuf_set(
			    err, -EINVAL, "security ike gateway %s: not configured", d->set_gw[i]);
		if (rc < 0)
			goto fail;
		rc = plan_add_gw(e, p, &g);
		ike_gw_conf_fini(&g);
		if (rc < 0) {
			errbuf_set(err, rc, "security ike gateway %s: out of memory", d->set_gw[i]);
			goto fail;
		}
	}
	for (i = 0; i < d->n_set_vpn; i++) {
		struct ike_vpn_conf v;
		struct ike_gw *now;

		rc = ike_conf_resolve_vpn(c, d->set_vpn[i], &v, err);
		if (rc == -ENOENT)
			rc = errbuf_set(
			    err, -EINVAL, "security ipsec vpn %s: not configured", d->set_vpn[i]);
		if (rc < 0)
			goto fail;
		/* its gateway runs, or comes with this change */
		now = ike_gw_find(e, v.gateway);
		if (!now) {
			unsigned k;

			for (k = 0; k < p->n_gw && strcmp(p->gw[k].conf.name, v.gateway); k++)
				;
			if (k == p->n_gw) {
				rc = errbuf_set(err, -EINVAL,
				    "security ipsec vpn %s ike gateway: %s is not configured",
				    v.name, v.gateway);
				ike_vpn_conf_fini(&v);
				goto fail;
			}
		}
		rc = plan_add_vpn(e, p, &v);
		ike_vpn_conf_fini(&v);
		if (rc < 0) {
			errbuf_set(err, rc, "security ipsec vpn %s: out of memory", d->set_vpn[i]);
			goto fail;
		}
	}
	for (i = 0; i < d->n_del_gw; i++)
		snprintf(p->del_gw[p->n_del_gw++], sizeof(p->del_gw[0]), "%s", d->del_gw[i]);
	for (i = 0; i < d->n_del_vpn; i++)
		snprintf(p->del_vpn[p->n_del_vpn++], sizeof(p->del_vpn[0]), "%s", d->del_vpn[i]);
	plan_follow_gateways(e, p);
	*plan = p;
	return 0;
fail:
	ike_plan_free(p);
	return rc;
}

static void
tunnels_start(struct ike_vpn *v)
{
	struct ike_tunnel *t;

	ike_list_foreach(t, it, &v->tunnels, struct ike_tunnel, vpn_link)
	{
		if (!t->dp_set)
			ike_tunnel_dp_set(t, NULL);
		if (v->conf.establish == IKE_EST_IMMEDIATELY) {
			t->want_up = true;
			if (ike_tunnel_n_up(t) == 0)
				ike_tunnel_establish(t);
		}
	}
}

static void
vpn_build_tunnels(struct ike_vpn *v)
{
	unsigned i;

	if (v->gw->conf.dynamic)
		return;
	for (i = 0; i < v->conf.n_ts; i++)
		ike_tunnel_new(v, i, NULL);
}

static void
apply_gw(struct ike_engine *e, struct plan_gw *pg)
{
	struct ike_gw *gw = pg->gw;

	if (pg->is_new) {
		memset(gw, 0, sizeof(*gw));
		gw->e = e;
		gw->conf = pg->conf;
		memset(&pg->conf, 0, sizeof(pg->conf));
		gw->id = e->next_gw_id++;
		ike_list_init(&gw->vpns);
		ike_list_init(&gw->sas);
		ike_list_init(&gw->any_link);
		ike_list_add_tail(&e->gws, &gw->link);
		ike_htab_add(&e->gw_by_name, &gw->by_name, ike_name_hash(gw->conf.name));
		gw_take_index(gw, pg);
		gw_index(gw);
		pg->is_new = false; /* owned by the engine now */
		return;
	}
	if (!pg->changed)
		return;
	if (pg->sa_change) {
		struct ike_sa *sa;

		/* Its SAs were built from the old settings: delete them. */
		ike_list_foreach(sa, it, &gw->sas, struct ike_sa, gw_link)
		{
			ike_sa_delete(sa, IKE_EV_CONFIG_CHANGED);
			ike_list_del(&sa->gw_link);
			sa->gw = NULL;
		}
		ike_list_foreach(sa, it2, &e->sas, struct ike_sa, link) if (sa->gw == gw)
		    ike_sa_kill(sa, IKE_EV_CONFIG_CHANGED);
	}
	gw_unindex(gw);
	ike_gw_conf_fini(&gw->conf);
	gw->conf = pg->conf;
	memset(&pg->conf, 0, sizeof(pg->conf));
	gw_take_index(gw, pg);
	gw_index(gw);
	if (!pg->sa_change) {
		struct ike_sa *sa;

		/* DPD and keepalive settings apply to the running SAs. */
		ike_list_foreach(sa, it3, &gw->sas, struct ike_sa, gw_link) if (sa->st == SA_UP)
		    ike_sa_start_timers(sa);
	}
}

static void
apply_vpn(struct ike_engine *e, struct plan_vpn *pv)
{
	struct ike_vpn *v = pv->vpn;
	struct ike_gw *gw = ike_gw_find(e, pv->conf.gateway);

	if (!gw)
		return; /* cannot happen: the configuration was checked */
	if (pv->is_new) {
		memset(v, 0, sizeof(*v));
		v->e = e;
		v->conf = pv->conf;
		memset(&pv->conf, 0, sizeof(pv->conf));
		v->gw = gw;
		ike_list_init(&v->tunnels);
		ike_list_add_tail(&e->vpns, &v->link);
		ike_htab_add(&e->vpn_by_name, &v->by_name, ike_name_hash(v->conf.name));
		ike_list_add_tail(&gw->vpns, &v->gw_link);
		pv->is_new = false;
		vpn_build_tunnels(v);
		tunnels_start(v);
		return;
	}
	if (!pv->changed)
		return;
	if (pv->sa_change) {
		struct ike_tunnel *t;
		bool *have;
		unsigned i;

		/*
		 * The tunnels stay (their IDs and their history: "Tunnel
		 * configuration changed" is one of its events), their SAs
		 * go (DELETE to the peer). Tunnels of selectors that no
		 * longer exist, and dial-up peers' tunnels, go too.
		 */
		ike_list_foreach(t, it, &v->tunnels, struct ike_tunnel, vpn_link)
		{
			struct ike_child *ch;

			ike_list_foreach(ch, it2, &t->children, struct ike_child, tun_link)
			{
				if (ike_sa_is_alive(ch->sa))
					ike_info_delete_child(ch, IKE_EV_CONFIG_CHANGED);
				else
					ike_child_remove(ch, IKE_EV_CONFIG_CHANGED);
			}
			if (t->peer_sa || t->ts_idx >= pv->conf.n_ts || gw->conf.dynamic ||
			    !ike_list_empty(&t->children)) {
				if (!ike_list_empty(&t->children))
					ike_tunnel_event(t, IKE_EV_CONFIG_CHANGED);
				ike_tunnel_free(t);
			}
		}
		ike_list_del(&v->gw_link);
		ike_vpn_conf_fini(&v->conf);
		v->conf = pv->conf;
		memset(&pv->conf, 0, sizeof(pv->conf));
		v->gw = gw;
		ike_list_add_tail(&gw->vpns, &v->gw_link);
		have = calloc(v->conf.n_ts ? v->conf.n_ts : 1, sizeof(*have));
		ike_list_foreach(t, it3, &v->tunnels, struct ike_tunnel, vpn_link)
		{
			/* the dataplane's tunnel follows the new unit and selectors */
			t->want_up = false;
			t->negotiating = false;
			t->queued = false;
			ike_list_del(&t->pend_link);
			ike_disarm(e, &t->t_retry);
			t->retry_s = 0;
			ike_tunnel_dp_set(t, NULL);
			if (have)
				have[t->ts_idx] = true;
		}
		for (i = 0; !gw->conf.dynamic && i < v->conf.n_ts; i++)
			if (!have || !have[i])
				ike_tunnel_new(v, i, NULL);
		free(have);
		tunnels_start(v);
		return;
	}
	ike_vpn_conf_fini(&v->conf);
	v->conf = pv->conf;
	memset(&pv->conf, 0, sizeof(pv->conf));
	tunnels_start(v);
}

void
ike_engine_commit(struct ike_engine *e, struct ike_plan *p)
{
	struct ike_vpn *v;
	struct ike_gw *gw;
	unsigned i;

	ike_enter(e);
	if (p->limits)
		ike_engine_set_limits(e, p->ho_timeout, p->ho_max, p->cookie_threshold);
	/* 1. Destroys first, dependants (VPNs) before dependencies (gateways). */
	if (p->full) {
		for (i = 0; i < p->n_gw; i++)
			if (!p->gw[i].is_new)
				p->gw[i].gw->in_plan = true;
		for (i = 0; i < p->n_vpn; i++)
			if (!p->vpn[i].is_new)
				p->vpn[i].vpn->in_plan = true;
		ike_list_foreach(v, it, &e->vpns, struct ike_vpn, link)
		{
			if (!v->in_plan)
				vpn_remove(v, IKE_EV_CONFIG_CHANGED, true);
			else
				v->in_plan = false;
		}
		ike_list_foreach(gw, it2, &e->gws, struct ike_gw, link)
		{
			if (!gw->in_plan)
				gw_remove(gw, true);
			else
				gw->in_plan = false;
		}
	}
	for (i = 0; i < p->n_del_vpn; i++) {
		v = vpn_find(e, p->del_vpn[i]);
		if (v)
			vpn_remove(v, IKE_EV_CONFIG_CHANGED, true);
	}
	for (i = 0; i < p->n_del_gw; i++) {
		gw = ike_gw_find(e, p->del_gw[i]);
		if (gw)
			gw_remove(gw, true);
	}
	/* 2. Creates and modifies, parents (gateways) first. */
	for (i = 0; i < p->n_gw; i++)
		apply_gw(e, &p->gw[i]);
	for (i = 0; i < p->n_vpn; i++)
		apply_vpn(e, &p->vpn[i]);
	/* 3. Tunnels of gateways whose SAs were rebuilt come back up. */
	for (i = 0; i < p->n_gw; i++) {
		if (!p->gw[i].sa_change)
			continue;
		ike_list_foreach(v, it3, &p->gw[i].gw->vpns, struct ike_vpn, gw_link)
		    tunnels_start(v);
	}
	ike_plan_free(p);
	ike_leave(e);
}

int
ike_engine_configure(struct ike_engine *e, const struct ike_conf *c, ike_resolve_fn resolve,
    void *rctx, struct errbuf *err)
{
	struct ike_plan *p;
	int rc = ike_engine_prepare(e, c, resolve, rctx, &p, err);

	if (rc == 0)
		ike_engine_commit(e, p);
	return rc;
}

int
ike_engine_gateway_set(struct ike_engine *e, const struct ike_gw_conf *g, struct errbuf *err)
{
	struct ike_plan *p = calloc(1, sizeof(*p));
	int rc;

	if (!p || !(p->gw = calloc(1, sizeof(*p->gw)))) {
		ike_plan_free(p);
		return errbuf_set(err, -ENOMEM, "security ike gateway %s: out of memory", g->name);
	}
	rc = plan_add_gw(e, p, g);
	if (rc < 0) {
		ike_plan_free(p);
		return errbuf_set(err, rc, "security ike gateway %s: out of memory", g->name);
	}
	ike_engine_commit(e, p);
	return 0;
}

int
ike_engine_gateway_del(struct ike_engine *e, const char *name)
{
	struct ike_gw *gw = ike_gw_find(e, name);

	if (!gw)
		return -ENOENT;
	ike_enter(e);
	gw_remove(gw, true);
	ike_leave(e);
	return 0;
}

int
ike_engine_vpn_set(struct ike_engine *e, const struct ike_vpn_conf *v, struct errbuf *err)
{
	struct ike_plan *p;
	int rc;

	if (!ike_gw_find(e, v->gateway))
		return errbuf_set(err, -EINVAL,
		    "security ipsec vpn %s ike gateway: %s is not configured", v->name, v->gateway);
	p = calloc(1, sizeof(*p));
	if (!p || !(p->vpn = calloc(1, sizeof(*p->vpn)))) {
		ike_plan_free(p);
		return errbuf_set(err, -ENOMEM, "security ipsec vpn %s: out of memory", v->name);
	}
	rc = plan_add_vpn(e, p, v);
	if (rc < 0) {
		ike_plan_free(p);
		return errbuf_set(err, rc, "security ipsec vpn %s: out of memory", v->name);
	}
	ike_engine_commit(e, p);
	return 0;
}

int
ike_engine_vpn_del(struct ike_engine *e, const char *name)
{
	struct ike_vpn *v = vpn_find(e, name);

	if (!v)
		return -ENOENT;
	ike_enter(e);
	vpn_remove(v, IKE_EV_CONFIG_CHANGED, true);
	ike_leave(e);
	return 0;
}

const struct ike_gw_conf *
ike_engine_gw_conf(const struct ike_engine *e, const char *name)
{
	struct ike_gw *gw = ike_gw_find((struct ike_engine *)e, name);

	return gw ? &gw->conf : NULL;
}

const struct ike_vpn_conf *
ike_engine_vpn_conf(const struct ike_engine *e, const char *name)
{
	struct ike_vpn *v = vpn_find((struct ike_engine *)e, name);

	return v ? &v->conf : NULL;
}

int
ike_engine_foreach_vpn_conf(const struct ike_engine *e, const char *gateway,
    int (*cb)(void *ctx, const struct ike_vpn_conf *v), void *ctx)
{
	const struct ike_vpn *v;
	int rc;

	if (gateway) {
		struct ike_gw *gw = ike_gw_find((struct ike_engine *)e, gateway);

		if (!gw)
			return 0;
		ike_list_foreach(v, it, &gw->vpns, struct ike_vpn, gw_link)
		{
			if ((rc = cb(ctx, &v->conf)) != 0)
				return rc;
		}
		return 0;
	}
	ike_list_foreach(v, it2, &e->vpns, struct ike_vpn, link)
	{
		if ((rc = cb(ctx, &v->conf)) != 0)
			return rc;
	}
	return 0;
}

/* ---- operations ------------------------------------------------------------ */

int
ike_engine_initiate(struct ike_engine *e, const char *name)
{
	struct ike_vpn *v = vpn_find(e, name);
	struct ike_tunnel *t;

	if (!v)
		return -ENOENT;
	if (v->gw->conf.dynamic)
		return -EOPNOTSUPP; /* dial-up gateways only respond */
	ike_enter(e);
	ike_list_foreach(t, it, &v->tunnels, struct ike_tunnel, vpn_link)
	{
		t->want_up = true;
		if (ike_tunnel_n_up(t) == 0)
			ike_tunnel_establish(t);
	}
	ike_leave(e);
	return 0;
}

int
ike_engine_clear_ike_sa(struct ike_engine *e, uint32_t index)
{
	struct ike_sa *sa;
	int found = 0;

	ike_enter(e);
	ike_list_foreach(sa, it, &e->sas, struct ike_sa, link)
	{
		if (index && sa->index != index)
			continue;
		found = 1;
		if (sa->st == SA_UP || sa->st == SA_REKEYED)
			ike_sa_delete(sa, IKE_EV_CLEARED_IKE);
		else if (sa->st != SA_DEAD && sa->st != SA_DELETING)
			ike_sa_kill(sa, IKE_EV_CLEARED_IKE);
	}
	ike_leave(e);
	return found || !index ? 0 : -ENOENT;
}

int
ike_engine_clear_ipsec_sa(struct ike_engine *e, uint32_t tunnel_id)
{
	struct ike_vpn *v;
	int found = 0;

	ike_enter(e);
	ike_list_foreach(v, it, &e->vpns, struct ike_vpn, link)
	{
		struct ike_tunnel *t;

		ike_list_foreach(t, it2, &v->tunnels, struct ike_tunnel, vpn_link)
		{
			struct ike_child *ch;

			if (tunnel_id && t->id != tunnel_id)
				continue;
			found = 1;
			ike_list_foreach(ch, it3, &t->children, struct ike_child, tun_link)
			{
				if (ike_sa_is_alive(ch->sa))
					ike_info_delete_child(ch, IKE_EV_CLEARED_CHILD);
				else
					ike_child_remove(ch, IKE_EV_CLEARED_CHILD);
			}
		}
	}
	ike_leave(e);
	return found || !tunnel_id ? 0 : -ENOENT;
}

int
ike_engine_rekey_ike(struct ike_engine *e, uint32_t index)
{
	struct ike_sa *sa = ike_sa_by_index(e, index);

	if (!sa || sa->st != SA_UP)
		return -ENOENT;
	ike_enter(e);
	ike_sa_rekey(sa);
	ike_leave(e);
	return 0;
}

int
ike_engine_rekey_child(struct ike_engine *e, uint32_t tunnel_id)
{
	struct ike_tunnel *t = ike_tunnel_by_id(e, tunnel_id);
	struct ike_child *ch, *best = NULL;

	if (!t)
		return -ENOENT;
	ike_list_foreach(ch, it, &t->children, struct ike_child,
	    tun_link) if (ch->st == CH_UP && (!best || ch->created_ms >= best->created_ms)) best =
	    ch;
	if (!best)
		return -ENOENT;
	ike_enter(e);
	ike_child_rekey(best);
	ike_leave(e);
	return 0;
}

/* ---- request security re-distribution ipsec-vpn ----------------------------- */

/* What the lines about pairs not put back leave of the error message for
 * its first line and the list of tunnels after them. */
#define REDIST_UNDO_RESERVE (ERRBUF_LEN / 2)

/* One gateway address pair a re-distribution moves, and what it was. */
struct redist_pair {
	struct ike_addr l, r;
	uint32_t old_spu; /* where its tunnels were; IKE_SPU_ANY: it had none */
	uint32_t pin;     /* its pin before; IKE_SPU_ANY: not pinned */
	bool split;       /* its tunnels were on more than one SPU */
	bool moved;
};

struct redist {
	struct ike_engine *e;
	struct redist_pair *p;
	size_t n, cap;
	bool nomem;
};

static void
redist_add(struct redist *rs, const struct ike_addr *l, const struct ike_addr *r, uint32_t spu)
{
	struct redist_pair *np;
	size_t cap;

	if (!ike_addr_is_set(l) || !ike_addr_is_set(r) || rs->nomem)
		return;
	if (rs->n == rs->cap) {
		cap = rs->cap ? rs->cap * 2 : 16;
		if ((np = realloc(rs->p, cap * sizeof(*np))) == NULL) {
			rs->nomem = true;
			return;
		}
		rs->p = np;
		rs->cap = cap;
	}
	np = &rs->p[rs->n++];
	memset(np, 0, sizeof(*np));
	np->l = *l;
	np->r = *r;
	np->old_spu = spu;
	np->pin = IKE_SPU_ANY;
}

static int
redist_cmp(const void *a, const void *b)
{
	const struct redist_pair *x = a, *y = b;
	int c = ike_addr_cmp(&x->l, &y->l);

	return c ? c : ike_addr_cmp(&x->r, &y->r);
}

/* Sorts the pairs and merges duplicates: one entry per pair, with the SPU
 * of its tunnels (the first one's when they were split). */
static void
redist_merge(struct redist *rs)
{
	size_t i, o = 0;

	if (rs->n == 0)
		return;
	qsort(rs->p, rs->n, sizeof(*rs->p), redist_cmp);
	for (i = 1; i < rs->n; i++) {
		struct redist_pair *k = &rs->p[o], *x = &rs->p[i];

		if (redist_cmp(k, x) != 0) {
			rs->p[++o] = *x;
			continue;
		}
		if (k->old_spu == IKE_SPU_ANY)
			k->old_spu = x->old_spu;
		else if (x->old_spu != IKE_SPU_ANY && x->old_spu != k->old_spu)
			k->split = true;
	}
	rs->n = o + 1;
}

static const struct redist_pair *
redist_find(const struct redist *rs, const struct ike_addr *l, const struct ike_addr *r)
{
	struct redist_pair key;

	memset(&key, 0, sizeof(key));
	key.l = *l;
	key.r = *r;
	return rs->n ? bsearch(&key, rs->p, rs->n, sizeof(*rs->p), redist_cmp) : NULL;
}

/* A tunnel is moved under the gateway pair the dataplane has it under
 * (t->dp_local, t->dp_remote: the one ike_tunnel_dp_set() last gave), not
 * its CHILD SAs' IKE SA's nor the configuration's current address: a
 * tunnel set before the gateway moved on to its next address stays under
 * the first pair. */
static void
redist_add_tunnel(struct redist *rs, struct ike_tunnel *t)
{
	uint32_t spu;

	if (!t->dp_set)
		return; /* not in the dataplane: nothing to move */
	if (ike_dp_tunnel_spu(&rs->e->dp, t->id, &spu) < 0)
		spu = IKE_SPU_ANY;
	redist_add(rs, &t->dp_local, &t->dp_remote, spu);
}

/*
 * remote-id: the peer's IKE identity as `show security ike
 * security-associations detail` prints it. Addresses compare as addresses,
 * hostnames and user@hostname without case (as ike_id_eq()).
 */
static bool
redist_id_match(const struct ike_idh *h, const char *want)
{
	char buf[IKE_ID_STRLEN];
	struct ike_id id;
	uint8_t a[16];

	if (h == NULL)
		return false;
	ike_idh_get(h, &id);
	switch (id.type) {
	case IKE_ID_IPV4_ADDR:
		return id.len == 4 && inet_pton(AF_INET, want, a) == 1 &&
		       memcmp(a, id.data, 4) == 0;
	case IKE_ID_IPV6_ADDR:
		return id.len == 16 && inet_pton(AF_INET6, want, a) == 1 &&
		       memcmp(a, id.data, 16) == 0;
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
		return strcasecmp(ike_id_str(&id, buf, sizeof(buf)), want) == 0;
	default:
		return strcmp(ike_id_str(&id, buf, sizeof(buf)), want) == 0;
	}
}

static bool
redist_peer_selected(const struct ike_sa *sa, const struct ike_gw *gw, const char *remote_id)
{
	return sa && sa->gw == gw && redist_id_match(sa->remote_id, remote_id);
}

/* The engine's bookkeeping follows the anchors: every tunnel's SPU (and its
 * SAs') as the dataplane has it now. Returns how many tunnels changed SPU. */
static uint32_t
redist_sync(struct ike_engine *e)
{
	struct ike_vpn *v;
	uint32_t n = 0, s;

	ike_list_foreach(v, it, &e->vpns, struct ike_vpn, link)
	{
		struct ike_tunnel *t;

		ike_list_foreach(t, it2, &v->tunnels, struct ike_tunnel, vpn_link)
		{
			struct ike_child *ch;

			if (!t->dp_set || ike_dp_tunnel_spu(&e->dp, t->id, &s) < 0 ||
			    s == t->dp_spu)
				continue;
			t->dp_spu = s;
			ike_list_foreach(ch, it3, &t->children, struct ike_child, tun_link)
			    ch->sa->spu = s;
			if (t->peer_sa)
				t->peer_sa->spu = s;
			ike_tunnel_event(t, IKE_EV_REDISTRIBUTED);
			n++;
		}
	}
	return n;
}

static const char *
redist_pair_str(const struct redist_pair *p, char *buf, size_t len)
{
	char l[IKE_ADDR_STRLEN], r[IKE_ADDR_STRLEN];

	snprintf(buf, len, "%s -> %s", ike_addr_str(&p->l, l, sizeof(l)),
	    ike_addr_str(&p->r, r, sizeof(r)));
	return buf;
}

/* dp_anchor_move()'s "; nothing moved" is about one pair: the message
 * about the whole gateway says it (or not) itself. */
static void
redist_strip_nothing_moved(struct errbuf *why)
{
	static const char tail[] = "; nothing moved";
	size_t k = strlen(why->msg);

	if (k >= sizeof(tail) - 1 && strcmp(why->msg + k - (sizeof(tail) - 1), tail) == 0)
		why->msg[k - (sizeof(tail) - 1)] = '\0';
}

/*
 * Appends one line to err when it fits whole with `reserve` bytes left
 * for what follows; otherwise (and for every line after one that did not
 * fit) counts it in *left, so that the caller can say how many it left
 * out instead of a line cut in the middle.
 */
static void __attribute__((format(printf, 4, 5)))
redist_line(struct errbuf *err, size_t reserve, unsigned *left, const char *fmt, ...)
{
	char line[ERRBUF_LEN];
	va_list ap;
	size_t have;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	have = strlen(err->msg);
	if (*left > 0 || have + 1 + strlen(line) + reserve >= sizeof(err->msg)) {
		(*left)++;
		return;
	}
	errbuf_append(err, "%s", line);
}

/*
 * Puts pairs [0, n) back as they were, newest first: their tunnels on
 * their old SPU, their pin as it was. Returns true when all went back;
 * otherwise err gets a line for each pair that did not (the dataplane
 * left the tunnels it could not move back where they were).
 */
static bool
redist_undo(struct redist *rs, size_t n, struct errbuf *err)
{
	struct errbuf why;
	char pb[2 * IKE_ADDR_STRLEN + 8];
	uint32_t to;
	unsigned left = 0;
	bool all = true;
	size_t i = n;
	int rc;

	while (i-- > 0) {
		struct redist_pair *p = &rs->p[i];

		if (!p->moved)
			continue;
		to = p->old_spu != IKE_SPU_ANY ? p->old_spu : p->pin;
		errbuf_clear(&why);
		rc = 0;
		if (to != IKE_SPU_ANY)
			rc = ike_dp_anchor_move(&rs->e->dp, &p->l, &p->r, to, NULL, &why);
		/* no pin before: remove ours (a pin elsewhere than its tunnels,
		 * after a single-tunnel move, comes back on them) */
		if (rc == 0 && p->pin == IKE_SPU_ANY)
			rc = ike_dp_anchor_move(&rs->e->dp, &p->l, &p->r, IKE_SPU_ANY, NULL, &why);
		if (rc == 0 && p->split) {
			/* one NAT address, dial-up peers on several SPUs: the
			 * dataplane moves the pair as one, so they stay together */
			all = false;
			redist_line(err, REDIST_UNDO_RESERVE, &left,
			    "  address pair %s: its tunnels were on several SPUs; they are back "
			    "together on SPU %u",
			    redist_pair_str(p, pb, sizeof(pb)), to);
		}
		if (rc == 0) {
			p->moved = false;
			continue;
		}
		all = false;
		redist_strip_nothing_moved(&why);
		redist_line(err, REDIST_UNDO_RESERVE, &left,
		    "  address pair %s: moving back to SPU %u failed: %s",
		    redist_pair_str(p, pb, sizeof(pb)), to, why.msg);
	}
	if (left > 0)
		errbuf_append(err, "  and %u more address pair(s) not as they were", left);
	return all;
}

int
ike_engine_redistribute(struct ike_engine *e, const char *gateway, const char *remote_id,
    uint32_t spu, uint32_t *moved, struct errbuf *err)
{
	struct ike_gw *gw = ike_gw_find(e, gateway);
	struct redist rs = { .e = e };
	struct errbuf why;
	char pb[2 * IKE_ADDR_STRLEN + 8];
	uint32_t m, stuck = 0;
	unsigned npeers = 0;
	struct ike_vpn *v;
	struct ike_sa *sa;
	size_t i;
	int rc = 0;

	if (moved)
		*moved = 0;
	if (!gw)
		return errbuf_set(err, -ENOENT, "error: IKE gateway %s is not configured", gateway);
	if (gw->conf.dynamic && (!remote_id || !*remote_id))
		return errbuf_set(err, -EINVAL,
		    "error: %s is a dial-up gateway: name the peer whose tunnels move with "
		    "remote-id <ike-id>",
		    gateway);
	if (!gw->conf.dynamic && remote_id && *remote_id)
		return errbuf_set(err, -EINVAL,
		    "error: remote-id chooses a peer of a dial-up gateway; %s is site-to-site",
		    gateway);
	ike_enter(e);
	/* 1. The address pairs to move (NAT can make them differ from the
	 *    configuration), with where their tunnels are and their pin. */
	if (!gw->conf.dynamic) {
		for (i = 0; i < gw->conf.n_remote; i++)
			redist_add(&rs, &gw->conf.local, &gw->conf.remote[i], IKE_SPU_ANY);
		ike_list_foreach(v, it, &gw->vpns, struct ike_vpn, gw_link)
		{
			struct ike_tunnel *t;

			ike_list_foreach(t, it2, &v->tunnels, struct ike_tunnel, vpn_link)
			    redist_add_tunnel(&rs, t);
		}
	} else {
		ike_list_foreach(sa, it, &gw->sas, struct ike_sa, gw_link)
		{
			struct ike_tunnel *t;

			if (!ike_sa_is_alive(sa) || !redist_peer_selected(sa, gw, remote_id))
				continue;
			npeers++;
			redist_add(&rs, &sa->local.addr, &sa->remote.addr, IKE_SPU_ANY);
			ike_list_foreach(t, it2, &sa->peer_tunnels, struct ike_tunnel, peer_link)
			    redist_add_tunnel(&rs, t);
		}
		if (npeers == 0) {
			rc = errbuf_set(err, -ENOENT,
			    "error: gateway %s has no IKE SA with remote identity %s", gateway,
			    remote_id);
			goto out;
		}
	}
	if (rs.nomem) {
		rc = errbuf_set(err, -ENOMEM, "error: out of memory (nothing moved)");
		goto out;
	}
	redist_merge(&rs);
	/* 2. The dataplane moves whole address pairs: a dial-up peer that
	 *    shares its pair with another peer (one NAT in front of both)
	 *    cannot move alone. */
	if (gw->conf.dynamic) {
		ike_list_foreach(v, it3, &e->vpns, struct ike_vpn, link)
		{
			struct ike_tunnel *t;

			ike_list_foreach(t, it4, &v->tunnels, struct ike_tunnel, vpn_link)
			{
				const struct redist_pair *p;

				if (!t->dp_set || redist_peer_selected(t->peer_sa, gw, remote_id))
					continue;
				if ((p = redist_find(&rs, &t->dp_local, &t->dp_remote)) == NULL)
					continue;
				rc = errbuf_set(err, -EBUSY,
				    "error: peer %s of gateway %s shares its address pair %s with "
				    "tunnel %u of another peer, which would move too; nothing "
				    "moved",
				    remote_id, gateway, redist_pair_str(p, pb, sizeof(pb)), t->id);
				goto out;
			}
		}
	}
	for (i = 0; i < rs.n; i++)
		if (ike_dp_anchor_pin(&e->dp, &rs.p[i].l, &rs.p[i].r, &rs.p[i].pin) < 0)
			rs.p[i].pin = IKE_SPU_ANY;
	/* 3. Move pair by pair; each move is all or nothing in the dataplane. */
	for (i = 0; i < rs.n; i++) {
		errbuf_clear(&why);
		m = 0;
		rc = ike_dp_anchor_move(&e->dp, &rs.p[i].l, &rs.p[i].r, spu, &m, &why);
		if (rc < 0) {
			stuck = m; /* of this pair: could not be moved back */
			break;
		}
		rs.p[i].moved = true;
		if (moved)
			*moved += m;
	}
	if (rc < 0) {
		/* 4. All or nothing across the pairs too: the moved ones go back. */
		struct errbuf undo = { .msg = "" };
		bool back = redist_undo(&rs, i, &undo);

		if (moved)
			*moved = 0;
		/* the dataplane's "; nothing moved" speaks of that pair only */
		if (stuck == 0)
			redist_strip_nothing_moved(&why);
		if (back && stuck == 0)
			errbuf_set(err, rc,
			    "error: re-distribution of gateway %s to SPU %u failed at address pair "
			    "%s: %s; nothing moved%s",
			    gateway, spu, redist_pair_str(&rs.p[i], pb, sizeof(pb)), why.msg,
			    i ? " (the address pairs moved before it went back)" : "");
		else
			errbuf_set(err, rc,
			    "error: re-distribution of gateway %s to SPU %u failed at address pair "
			    "%s: %s; not everything could be put back:\n%s",
			    gateway, spu, redist_pair_str(&rs.p[i], pb, sizeof(pb)), why.msg,
			    undo.msg);
		(void)redist_sync(e);
		if (!back || stuck) {
			unsigned left = 0;

			/* exactly what is where (as much as the message holds) */
			errbuf_append(err, "  the tunnels of those address pairs are on:");
			ike_list_foreach(v, it5, &e->vpns, struct ike_vpn, link)
			{
				struct ike_tunnel *t;

				ike_list_foreach(t, it6, &v->tunnels, struct ike_tunnel, vpn_link)
				{
					if (!t->dp_set)
						continue;
					if (redist_find(&rs, &t->dp_local, &t->dp_remote))
						redist_line(err, 96, &left, "  tunnel %u: SPU %u",
						    t->id, t->dp_spu);
				}
			}
			if (left > 0)
				errbuf_append(err,
				    "  and %u more tunnel(s) (show security ipsec "
				    "security-associations)",
				    left);
		}
		log_warnx(
		    LOG_IKE, "gateway %s: %s", gateway, err ? err->msg : "re-distribution failed");
		goto out;
	}
	(void)redist_sync(e);
	/* An IKE SA of a moved pair that has no CHILD SA now (idle-time, a
	 * cleared one) is where its next one will go: the pin. */
	ike_list_foreach(sa, it7, &e->sas, struct ike_sa, link)
	{
		if (sa->st != SA_DEAD && redist_find(&rs, &sa->local.addr, &sa->remote.addr))
			sa->spu = spu;
	}
out:
	free(rs.p);
	ike_leave(e);
	return rc;
}

const char *
ike_event_str(enum ike_event ev)
{
	switch (ev) {
	case IKE_EV_NONE:
		return "";
	case IKE_EV_CHILD_UP:
		return "IPSec SA negotiation successfully completed";
	case IKE_EV_CHILD_REKEY_SOFT:
		return "IPSEC SA rekey initiated because soft life timer expired";
	case IKE_EV_CHILD_REKEYED:
		return "IPsec SA rekey succeeds";
	case IKE_EV_IKE_UP:
		return "IKE SA negotiation successfully completed";
	case IKE_EV_IKE_REKEYED:
		return "IKE SA rekey successfully completed";
	case IKE_EV_DPD_DOWN:
		return "DPD detected peer as down. Existing IKE/IPSec SAs cleared";
	case IKE_EV_PEER_DELETE_CHILD:
		return "IPSec SA delete payload received from peer, corresponding IPSec SAs "
		       "cleared";
	case IKE_EV_PEER_DELETE_IKE:
		return "IKE SA delete payload received from peer, corresponding IPSec SAs cleared";
	case IKE_EV_CONFIG_CHANGED:
		return "Tunnel configuration changed. Corresponding IKE/IPSec SAs are deleted";
	case IKE_EV_AUTH_FAILED:
		return "Peer's IKE authentication failed (pre-shared key mismatch)";
	case IKE_EV_PEER_AUTH_FAILED:
		return "Negotiation failed with error code AUTHENTICATION_FAILED received from "
		       "peer";
	case IKE_EV_ID_MISMATCH:
		return "Peer's IKE-ID validation failed during negotiation";
	case IKE_EV_NO_PROPOSAL:
		return "Negotiation failed: no proposal chosen, the peer's proposals match no "
		       "configured proposal";
	case IKE_EV_PEER_NO_PROPOSAL:
		return "Negotiation failed with error code NO_PROPOSAL_CHOSEN received from peer";
	case IKE_EV_TS_UNACCEPTABLE:
		return "Negotiation failed: the peer's traffic selectors match no configured "
		       "traffic selector";
	case IKE_EV_PEER_TS_UNACC:
		return "Negotiation failed with error code TS_UNACCEPTABLE received from peer";
	case IKE_EV_CHILD_LIFETIME:
		return "IPSec SA is deleted because IPSec SA hard life-time expired";
	case IKE_EV_IKE_LIFETIME:
		return "IKE SA is deleted because IKE SA hard life-time expired";
	case IKE_EV_NO_RESPONSE:
		return "No response from peer. Negotiation failed";
	case IKE_EV_CLEARED_IKE:
		return "User cleared IKE SA from CLI, corresponding IPSec SAs cleared";
	case IKE_EV_CLEARED_CHILD:
		return "User cleared IPSec SA from CLI";
	case IKE_EV_PEER_RESTARTED:
		return "Peer sent INITIAL_CONTACT. Existing IKE/IPSec SAs cleared";
	case IKE_EV_IDLE:
		return "IPSec SA deleted because of idle timeout";
	case IKE_EV_PEER_ERROR:
		return "Negotiation failed with an error notification from peer";
	case IKE_EV_DP_ERROR:
		return "IPSec SA installation failed in the dataplane";
	case IKE_EV_REDISTRIBUTED:
		/* the SAs move with their keys and counters (dp_anchor_move) */
		return "Tunnel re-distributed to another SPU by the operator, SAs moved with it";
	case IKE_EV_MAX:
		break;
	}
	return "unknown event";
}
