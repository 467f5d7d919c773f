/* SPDX-License-Identifier: MIT */
/*
 * ike_int: the engine's internal objects and the functions its modules
 * share. Not installed, not included outside daemons/iked.
 *
 * Object graph (all owned by the engine):
 *
 *   ike_gw ──< ike_vpn ──< ike_tunnel ──< ike_child >── ike_sa >── ike_gw
 *                                                       (IKE SA)
 *
 * A gateway has VPNs; a VPN has one tunnel per traffic selector (and, on
 * dial-up gateways, one per peer IKE SA); a tunnel is served by CHILD SAs
 * (usually one, two while rekeying); each CHILD SA belongs to one IKE SA.
 * SAs are never freed in the middle of processing: ike_sa_kill() marks them
 * dead and ike_leave() reaps them when the outermost engine call returns.
 */
#ifndef CAIRN_IKE_INT_H
#define CAIRN_IKE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ike_addr.h"
#include "ike_conf.h"
#include "ike_crypto.h"
#include "ike_dp.h"
#include "ike_engine.h"
#include "ike_htab.h"
#include "ike_id.h"
#include "ike_list.h"
#include "ike_msg.h"
#include "ike_prop.h"
#include "ike_timer.h"
#include "ike_ts.h"

#define IKE_NKEY_LEN   32 /* nonce prefix kept for collision resolution */
#define IKE_COOKIE_MAX 64 /* RFC 7296 2.6 */

/* The lowest nonce of the exchange that created an SA (RFC 7296 2.8.1). */
struct ike_nkey {
	uint16_t len;
	uint8_t b[IKE_NKEY_LEN];
};

enum ike_sa_st {
	SA_INIT_I,   /* initiator: IKE_SA_INIT sent */
	SA_INIT_R,   /* responder: IKE_SA_INIT answered (half-open) */
	SA_AUTH_I,   /* initiator: IKE_AUTH sent */
	SA_UP,       /* established */
	SA_REKEYED,  /* replaced by a rekeyed IKE SA, waiting for the old one's DELETE */
	SA_DELETING, /* our DELETE is out */
	SA_DEAD,     /* gone from every table, reaped at the end of the call */
};

enum ike_child_st {
	CH_NEW,      /* being negotiated */
	CH_UP,       /* installed */
	CH_REKEYING, /* installed, our rekey exchange is out */
	CH_REKEYED,  /* replaced, waiting for its DELETE */
	CH_DELETING, /* our DELETE is out */
};

enum ike_task_kind {
	T_INIT,        /* IKE_SA_INIT */
	T_AUTH,        /* IKE_AUTH (with the first CHILD SA) */
	T_CHILD_NEW,   /* CREATE_CHILD_SA: another CHILD SA */
	T_CHILD_REKEY, /* CREATE_CHILD_SA: rekey a CHILD SA */
	T_IKE_REKEY,   /* CREATE_CHILD_SA: rekey the IKE SA */
	T_DEL_CHILD,   /* INFORMATIONAL: delete CHILD SAs */
	T_DEL_IKE,     /* INFORMATIONAL: delete the IKE SA */
	T_DPD,         /* INFORMATIONAL: empty, liveness */
};

/* The engine's timers (ike_timer.h): one class per timer field, the table
 * in ike_engine.c. */
enum ike_timer_kind {
	IKE_TM_SA_RTX,
	IKE_TM_SA_REKEY,
	IKE_TM_SA_EXPIRE,
	IKE_TM_SA_DPD,
	IKE_TM_SA_KEEPALIVE,
	IKE_TM_SA_HALFOPEN,
	IKE_TM_SA_GRACE,
	IKE_TM_CHILD_SOFT,
	IKE_TM_CHILD_HARD,
	IKE_TM_CHILD_OUT,
	IKE_TM_CHILD_GRACE,
	IKE_TM_CHILD_IDLE,
	IKE_TM_TUNNEL_RETRY,
	IKE_TM_N,
};

/* What a response handler wants next. */
enum ike_rsp { RSP_DONE, RSP_RETRY };

struct ike_tunnel;
struct ike_child;
struct ike_sa;
struct ike_gw;

/* A request we will send (or have sent) on an IKE SA; window size one. */
struct ike_task {
	struct ike_list link;
	enum ike_task_kind kind;
	struct ike_child *child; /* NEW/REKEY/AUTH: the CHILD SA being made; DEL: to delete */
	struct ike_child *old;   /* REKEY: the CHILD SA being replaced */
	struct ike_tunnel *tun;  /* NEW/AUTH: the tunnel it serves */
	struct ike_sa *new_sa;   /* IKE_REKEY: the IKE SA being made */
	struct ike_dh *dh;       /* PFS or rekey key exchange */
	uint16_t dh_group;
	uint16_t nonce_len;
	uint8_t nonce[IKE_NONCE_MAX];
	uint8_t cookie_len; /* INIT: cookie from the responder */
	uint8_t cookie[IKE_COOKIE_MAX];
	unsigned ke_retries;
	uint32_t *spis; /* DEL_CHILD: our inbound SPIs */
	unsigned n_spis;
	enum ike_event reason; /* DEL: why, for history */
	uint8_t *pkt;          /* the request as last sent (retransmissions) */
	size_t pkt_len;
};

/* State kept from IKE_SA_INIT until IKE_AUTH completes. */
struct ike_hs {
	struct ike_dh *dh;
	uint16_t ni_len, nr_len;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	uint8_t *msg_i, *msg_r; /* the IKE_SA_INIT messages (AUTH signs them) */
	size_t msg_i_len, msg_r_len;
	uint16_t props_dh; /* initiator: group of the KE we sent */
};

struct ike_gw {               /* members ordered by alignment, against padding */
	struct ike_list link; /* e->gws */
	struct ike_hnode by_name;
	/* static gateways: one per remote address (conf.n_remote), allocated
	 * with the configuration they index (plan_add_gw); NULL otherwise */
	struct ike_gw_addr {
		struct ike_hnode h; /* e->gw_by_addr */
		struct ike_gw *gw;
	} * by_addr;
	struct ike_list any_link; /* e->gws_any when linked there */
	struct ike_engine *e;
	struct ike_gw_conf conf;
	struct ike_list vpns; /* ike_vpn.gw_link */
	struct ike_list sas;  /* ike_sa.gw_link */
	unsigned n_by_addr;
	uint32_t id;
	unsigned n_peers;  /* dial-up IKE SAs up */
	unsigned addr_idx; /* which of the addresses to try next */
	bool in_plan;
};

struct ike_vpn {
	struct ike_list link; /* e->vpns */
	struct ike_hnode by_name;
	bool in_plan;
	struct ike_list gw_link; /* gw->vpns */
	struct ike_engine *e;
	struct ike_vpn_conf conf;
	struct ike_gw *gw;
	struct ike_list tunnels; /* ike_tunnel.vpn_link */
};

struct ike_tunnel {                /* members ordered by alignment, against padding */
	struct ike_list vpn_link;  /* vpn->tunnels */
	struct ike_list pend_link; /* sa->pending, or e->init_wait while queued */
	struct ike_list peer_link; /* dial-up: sa->peer_tunnels */
	struct ike_hnode by_id;
	struct ike_engine *e;
	struct ike_vpn *vpn;
	struct ike_sa *peer_sa;     /* dial-up: the peer it belongs to */
	struct ike_list children;   /* ike_child.tun_link */
	struct ike_event_rec *hist; /* newest first; grown on demand up to IKE_HIST_LEN */
	struct ike_timer t_retry;
	uint32_t id;
	unsigned ts_idx; /* into vpn->conf.ts */
	uint32_t dp_spu; /* where the dataplane anchored it */
	uint32_t nego, fail;
	enum ike_event down_reason;
	uint32_t down_count;
	uint32_t retry_s;
	/* the gateway pair the dataplane has it under: the last one
	 * ike_tunnel_dp_set() gave with both addresses (unset before) */
	struct ike_addr dp_local, dp_remote;
	uint8_t hist_n, hist_cap;
	bool dp_set;
	bool negotiating;
	bool queued;  /* on e->init_wait (negotiating too) */
	bool want_up; /* keep it up (immediately, acquire) */
};

struct ike_child {                /* members ordered by alignment, against padding */
	struct ike_list sa_link;  /* sa->children */
	struct ike_list tun_link; /* tun->children */
	struct ike_hnode by_spi;  /* inbound SPI */
	struct ike_sa *sa;
	struct ike_tunnel *tun;
	uint64_t life_kb;
	const struct ike_ts *ts;       /* n_tsl local then n_tsr remote; may be shared
	                                * (ike_ts_common(): freed only when not) */
	struct ike_child *rekey_of;    /* the CHILD SA this one replaces */
	struct ike_child *rekey_own;   /* on the old one: our replacement */
	struct ike_child *rekey_peer;  /* on the old one: the peer's replacement */
	struct ike_dp_sa *pending_out; /* outbound SA waiting to be installed */
	struct ike_timer t_soft, t_hard, t_out, t_grace, t_idle;
	uint64_t created_ms, soft_ms, hard_ms;
	uint64_t idle_pkts; /* packets both ways at the last idle check */
	enum ike_child_st st;
	uint32_t spi_in, spi_out;
	uint32_t life_s;
	struct ike_suite suite;
	struct ike_nkey nkey;
	uint8_t n_tsl, n_tsr;
	bool initiator; /* we initiated the exchange that created it */
	bool in_inst, out_inst;
	bool redundant;  /* a collision loser */
	bool counted_up; /* counted in the tunnel's up children */
};

/* Members ordered by alignment (8, 4, 2, 1 bytes), against padding. */
struct ike_sa {
	struct ike_engine *e;
	struct ike_list link;    /* e->sas */
	struct ike_list gw_link; /* gw->sas */
	struct ike_list reap_link;
	struct ike_hnode by_spi;  /* our SPI */
	struct ike_hnode by_half; /* responder: (SPIi, peer) it was created for */
	struct ike_hnode by_index;
	struct ike_hnode by_peer; /* dial-up: (gateway, peer IKE-ID) */
	uint64_t spi_i, spi_r;
	struct ike_gw *gw;
	struct ike_sa_keys keys;
	struct ike_hs *hs;
	struct ike_idh *local_id, *remote_id; /* owned; NULL until IKE_AUTH */
	uint64_t anchor_id; /* the IKE SA lineage (kept across IKE rekeys) for anchoring */
	/* messages (RFC 7296 2.1-2.3, window size one) */
	struct ike_task *req; /* outstanding request; its packet is req->pkt */
	struct ike_task *cur; /* the request whose response is being handled */
	struct ike_list tasks;
	uint8_t *resp;
	size_t resp_len;
	uint64_t iv_ctr;
	/* children and tunnels */
	struct ike_list children;
	struct ike_list pending;      /* tunnels waiting for this SA */
	struct ike_list peer_tunnels; /* dial-up tunnels of this peer */
	/* rekey (RFC 7296 2.8, 2.8.2) */
	struct ike_sa *rekey_own;  /* the SA our rekey is creating */
	struct ike_sa *rekey_peer; /* the SA the peer's rekey created */
	struct ike_sa *rekey_of;   /* on a new SA: the one it replaces */
	/* timers */
	struct ike_timer t_rtx, t_rekey, t_expire, t_dpd, t_keepalive, t_halfopen, t_grace;
	uint64_t created_ms, up_ms, expire_ms, rekey_ms, last_rx_ms;
	uint64_t dpd_in_pkts, dpd_out_pkts;
	/* counters */
	uint64_t in_bytes, out_bytes, in_pkts, out_pkts;
	/* 4 bytes */
	uint32_t index;
	enum ike_sa_st st;
	uint32_t lifetime_s;
	uint32_t spu; /* the SPU of its tunnels, UINT32_MAX before any */
	uint32_t next_msgid;
	uint32_t peer_msgid;
	uint32_t req_msgid;
	uint32_t req_tries;
	uint32_t resp_msgid;
	uint32_t dpd_sent, dpd_recv;
	uint32_t children_created, children_deleted;
	enum ike_event down_reason;
	/* 2 bytes */
	struct ike_endpoint init_from; /* responder: where its IKE_SA_INIT came from */
	struct ike_endpoint local, remote;
	struct ike_suite suite;
	struct ike_nkey nkey;
	/* 1 byte */
	bool initiator; /* original initiator of this IKE SA */
	bool half_open_counted;
	bool init_counted; /* counted in e->n_initiating */
	bool natt;         /* on the NAT-T port */
	bool nat_local, nat_remote;
	bool have_keys;
	bool peer_counted; /* counted in its dial-up gateway's n_peers */
	bool have_resp;
	bool redundant;
};

struct ike_engine {
	struct ike_env env;
	struct ike_engine_opts o;
	struct ike_crypto *c;
	struct ike_dp dp;
	struct ike_timers timers;
	uint64_t wake_told;
	struct ike_htab sa_by_spi, sa_half, sa_by_index, child_by_spi, tun_by_id;
	struct ike_htab gw_by_name, vpn_by_name, sa_by_peer; /* sa_by_peer: dial-up IDs */
	struct ike_htab gw_by_addr; /* static gateways by each remote address */
	struct ike_list sas, gws, vpns, reap;
	struct ike_list gws_any; /* gateways a responder tries whatever the peer's address
	                            (dial-up, or static with a remote identity), by id */
	uint32_t next_sa_index, next_tunnel_id, next_gw_id;
	uint32_t half_open, ho_timeout_s, ho_max, cookie_threshold;
	uint32_t n_initiating;     /* our IKE SAs in IKE_SA_INIT or IKE_AUTH */
	struct ike_list init_wait; /* tunnels waiting for an initiation slot (pend_link) */
	/* ike_random without env.rand: the bytes of one RAND_bytes call,
	 * handed out once each and wiped as they go (a DRBG call per nonce,
	 * SPI and jitter was some 5% of a responder's CPU); refilled in a
	 * forked child too */
	uint8_t rpool[1024];
	uint16_t rpool_n; /* unused bytes, the last rpool_n of rpool */
	pid_t rpool_pid;
	uint8_t cookie_secret[2][32];
	uint32_t cookie_ver;
	uint64_t cookie_rotated_ms;
	int depth;
	struct ike_engine_stats st;
	uint8_t tx[IKE_MSG_MAX];  /* responses (and IKE_SA_INIT) being built */
	uint8_t txq[IKE_MSG_MAX]; /* requests: a handler may queue one while
	                           * its response is still in tx */
	uint8_t rx[IKE_MSG_MAX];
};

/* ---- ike_engine.c -------------------------------------------------------- */
void ike_enter(struct ike_engine *e);
void ike_leave(struct ike_engine *e);
uint64_t ike_now(struct ike_engine *e);
int64_t ike_wall(struct ike_engine *e);
void ike_arm(struct ike_engine *e, struct ike_timer *t, uint64_t at);
void ike_arm_in(struct ike_engine *e, struct ike_timer *t, uint64_t ms);
void ike_disarm(struct ike_engine *e, struct ike_timer *t);
void ike_random(struct ike_engine *e, void *buf, size_t len);
uint32_t ike_random_below(struct ike_engine *e, uint32_t n);
int ike_send(struct ike_engine *e, const struct ike_endpoint *local,
    const struct ike_endpoint *remote, enum ike_dgram_kind kind, const uint8_t *p, size_t len);
void ike_emit(struct ike_engine *e, enum ike_event ev, struct ike_tunnel *t, struct ike_sa *sa);
struct ike_gw *ike_gw_find(struct ike_engine *e, const char *name);
uint64_t ike_addr_key(const struct ike_addr *a);
uint64_t ike_name_hash(const char *s);
/* Soft lifetime with margin and jitter, in ms, for a hard lifetime in s. */
uint64_t ike_soft_ms(struct ike_engine *e, uint32_t hard_s);
/* A lifetime (or a wait measured against one) in ms, after the tests'
 * divisor (ike_engine_opts.test_lifetime_div). */
uint64_t ike_life_ms(const struct ike_engine *e, uint64_t ms);
void ike_nkey_set(struct ike_nkey *k, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
int ike_nkey_cmp(const struct ike_nkey *a, const struct ike_nkey *b);

/* ---- ike_sa.c ------------------------------------------------------------ */
/* timer handlers (the table in ike_engine.c) */
void ike_sa_rekey_fire(struct ike_timer *tm, void *arg);
void ike_sa_expire_fire(struct ike_timer *tm, void *arg);
void ike_sa_dpd_fire(struct ike_timer *tm, void *arg);
void ike_sa_keepalive_fire(struct ike_timer *tm, void *arg);
void ike_sa_halfopen_fire(struct ike_timer *tm, void *arg);
void ike_sa_grace_fire(struct ike_timer *tm, void *arg);
struct ike_sa *ike_sa_new(struct ike_engine *e, bool initiator);
struct ike_sa *ike_sa_by_index(const struct ike_engine *e, uint32_t index);
void ike_sa_set_gw(struct ike_sa *sa, struct ike_gw *gw);
/* Initiator: an IKE SA to gw's first address, IKE_SA_INIT queued. */
struct ike_sa *ike_sa_initiate(struct ike_gw *gw);
/* IKE_AUTH done on either side; ike_sa_hs_done() once the first CHILD SA
 * has used the handshake nonces. */
void ike_sa_established(struct ike_sa *sa);
void ike_sa_hs_done(struct ike_sa *sa);
/* Our initiation left IKE_SA_INIT/IKE_AUTH (up or dead): a slot is free. */
void ike_sa_init_done(struct ike_sa *sa);
/* Immediate teardown: children out of the dataplane, history, reaped later. */
void ike_sa_kill(struct ike_sa *sa, enum ike_event reason);
/* Graceful: DELETE to the peer, children removed now, SA killed on answer. */
void ike_sa_delete(struct ike_sa *sa, enum ike_event reason);
void ike_sa_free(struct ike_sa *sa);
void ike_sa_start_timers(struct ike_sa *sa);
void ike_sa_move_children(struct ike_sa *from, struct ike_sa *to);
void ike_sa_note_rx(struct ike_sa *sa, const struct ike_dgram *d, bool authenticated);
bool ike_sa_is_alive(const struct ike_sa *sa);
void ike_sa_rekey(struct ike_sa *sa);
int ike_sa_rekey_build(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc);
enum ike_rsp ike_sa_rekey_on_response(
    struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl, uint16_t err);
void ike_sa_rekey_on_request(struct ike_sa *sa, const struct ike_plds *pl, struct ike_enc *enc);
void ike_sa_rekey_abort(struct ike_sa *sa, struct ike_task *t);
void ike_sa_dedup(struct ike_sa *sa);
/* Dial-up SAs indexed by (gateway, peer identity), for INITIAL_CONTACT and
 * reject-duplicate-connection without walking every peer. */
uint64_t ike_sa_peer_key(const struct ike_gw *gw, const struct ike_id *id);
/* The SA the peer's messages for this gateway pair should reach (rekeyed chain). */
void ike_sa_install_nkey(
    struct ike_sa *sa, const uint8_t *ni, size_t nil, const uint8_t *nr, size_t nrl);

/* ---- ike_xchg.c ------------------------------------------------------------ */
void ike_xchg_rtx_fire(struct ike_timer *tm, void *arg);
void ike_xchg_init_sa(struct ike_sa *sa);
struct ike_task *ike_task_new(enum ike_task_kind kind);
void ike_task_free(struct ike_task *t);
void ike_xchg_queue(struct ike_sa *sa, struct ike_task *t);
void ike_xchg_kick(struct ike_sa *sa);
void ike_xchg_input(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg, size_t len,
    const struct ike_dgram *d);
void ike_xchg_abort(struct ike_sa *sa);
/* Starts a message on e->tx (a response) or e->txq (a request);
 * *sk_off = SIZE_MAX for IKE_SA_INIT. */
void ike_xchg_begin(struct ike_sa *sa, struct ike_enc *enc, uint8_t exch, bool response,
    uint32_t msgid, size_t *sk_off);
/* Seals (unless INIT) in its buffer; returns 0 and the message, or -errno. */
int ike_xchg_seal(struct ike_sa *sa, struct ike_enc *enc, size_t sk_off, size_t *len);
void ike_xchg_forget_child(struct ike_sa *sa, struct ike_child *ch);
bool ike_xchg_has(const struct ike_sa *sa, enum ike_task_kind kind);
/* Our rekey of the IKE SA is queued or in flight. */
bool ike_xchg_ike_rekeying(const struct ike_sa *sa);
/* A child creation/rekey exchange of ours is in flight. */
bool ike_xchg_child_inflight(const struct ike_sa *sa);

/* ---- ike_init.c ---------------------------------------------------------- */
void ike_init_on_request(struct ike_engine *e, const struct ike_hdr *h, const uint8_t *msg,
    size_t len, const struct ike_dgram *d);
int ike_init_build(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc);
enum ike_rsp ike_init_on_response(struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl,
    const uint8_t *msg, size_t len, const struct ike_dgram *d);
void ike_init_rotate_cookie(struct ike_engine *e);
/* Candidate gateways of a responder (by address, then dial-up ones). */
unsigned ike_init_candidates(
    struct ike_engine *e, const struct ike_addr *remote, struct ike_gw **out, unsigned max);

/* ---- ike_auth.c ---------------------------------------------------------- */
int ike_auth_build(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc);
enum ike_rsp ike_auth_on_response(
    struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl, uint16_t err);
/* Returns true when the SA must die after the response is sent. */
bool ike_auth_on_request(struct ike_sa *sa, const struct ike_plds *pl, struct ike_enc *enc);
void ike_auth_abort(struct ike_sa *sa, struct ike_task *t);

/* ---- ike_child.c --------------------------------------------------------- */
void ike_child_soft_fire(struct ike_timer *tm, void *arg);
void ike_child_hard_fire(struct ike_timer *tm, void *arg);
void ike_child_out_fire(struct ike_timer *tm, void *arg);
void ike_child_grace_fire(struct ike_timer *tm, void *arg);
void ike_child_idle_fire(struct ike_timer *tm, void *arg);
struct ike_child *ike_child_new(struct ike_sa *sa, struct ike_tunnel *tun, bool initiator);
/* Removes from the dataplane and frees; history when reason != NONE. */
void ike_child_remove(struct ike_child *ch, enum ike_event reason);
struct ike_child *ike_child_by_spi_in(const struct ike_engine *e, uint32_t spi);
struct ike_child *ike_child_by_spi_out(const struct ike_sa *sa, uint32_t spi);
/* Queue a CREATE_CHILD_SA for a tunnel on an established SA. */
void ike_child_request(struct ike_sa *sa, struct ike_tunnel *tun);
void ike_child_rekey(struct ike_child *ch);
/* IKE_AUTH: the SA, TSi, TSr payloads of the first CHILD SA (initiator). */
int ike_child_first_prepare(struct ike_sa *sa, struct ike_task *t);
void ike_child_first_encode(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc);
/* IKE_AUTH response (initiator): returns the error to record, or 0. */
uint16_t ike_child_first_response(
    struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl, uint16_t err);
/* IKE_AUTH request (responder): encodes SAr2/TS or an error notify. */
void ike_child_first_request(struct ike_sa *sa, const struct ike_plds *pl, struct ike_enc *enc);
int ike_child_build(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc);
enum ike_rsp ike_child_on_response(
    struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl, uint16_t err);
void ike_child_on_request(struct ike_sa *sa, const struct ike_plds *pl, struct ike_enc *enc);
void ike_child_task_abort(struct ike_sa *sa, struct ike_task *t);
/* A DELETE from the peer named this CHILD SA. */
void ike_child_peer_deleted(struct ike_child *ch);
/* Our DELETE for it was answered. */
void ike_child_deleted(struct ike_child *ch);
void ike_child_install_out(struct ike_child *ch);
/* The IKE SA's peer moved (NAT mapping): the SAs follow (dp_sa_update). */
void ike_child_remote_moved(struct ike_child *ch);
/* A collision or duplicate loser: its creator deletes it, else we after a grace. */
void ike_child_redundant(struct ike_child *ch);
void ike_child_dp_event(struct ike_engine *e, const struct ike_dp_event *ev);

/* ---- ike_info.c ---------------------------------------------------------- */
void ike_info_delete_child(struct ike_child *ch, enum ike_event reason);
int ike_info_build(struct ike_sa *sa, struct ike_task *t, struct ike_enc *enc);
enum ike_rsp ike_info_on_response(
    struct ike_sa *sa, struct ike_task *t, const struct ike_plds *pl, uint16_t err);
/* Returns true when the SA must die after the response is sent. */
bool ike_info_on_request(struct ike_sa *sa, const struct ike_plds *pl, struct ike_enc *enc);
void ike_info_dpd(struct ike_sa *sa);

/* ---- ike_tunnel.c -------------------------------------------------------- */
void ike_tunnel_retry_fire(struct ike_timer *tm, void *arg);
struct ike_tunnel *ike_tunnel_new(struct ike_vpn *vpn, unsigned ts_idx, struct ike_sa *peer);
void ike_tunnel_free(struct ike_tunnel *t);
struct ike_tunnel *ike_tunnel_by_id(const struct ike_engine *e, uint32_t id);
void ike_tunnel_event(struct ike_tunnel *t, enum ike_event ev);
/* Bring the tunnel up: an IKE SA to its gateway, then a CHILD SA. */
void ike_tunnel_establish(struct ike_tunnel *t);
void ike_tunnel_child_up(struct ike_tunnel *t, struct ike_child *ch);
void ike_tunnel_child_gone(struct ike_tunnel *t, struct ike_child *ch, enum ike_event reason);
void ike_tunnel_failed(struct ike_tunnel *t, enum ike_event reason);
/* A negotiation of the peer's that we refused (we answered with an error):
 * counted, recorded, and the tunnel's down reason while it has no SA. */
void ike_tunnel_refused(struct ike_tunnel *t, enum ike_event reason);
/* The same on every tunnel of a gateway (but dial-up peers' own tunnels). */
void ike_gw_refused(struct ike_gw *gw, enum ike_event reason);
/* Creates or updates the tunnel in the dataplane (anchored there) for the
 * IKE SA its CHILD SAs ride on (NULL before any); 0 or -errno. */
/* The CHILD SA's negotiated selectors differ from the tunnel's configured ones. */
bool ike_tunnel_ts_narrowed(const struct ike_tunnel *t, const struct ike_child *ch);
int ike_tunnel_dp_set(struct ike_tunnel *t, struct ike_sa *sa);
/* The SPU of a gateway's tunnels (UINT32_MAX when it has none in the dataplane). */
uint32_t ike_gw_spu(const struct ike_gw *gw);
unsigned ike_tunnel_n_up(const struct ike_tunnel *t);
const struct ike_vpn_ts *ike_tunnel_ts(const struct ike_tunnel *t);
/* Drop a duplicate CHILD SA (non-rekey) by the nonce rule. */
void ike_tunnel_dedup(struct ike_tunnel *t);

#endif
