/* SPDX-License-Identifier: MIT */
/*
 * ike_engine: the IKEv2 protocol engine of cairn-iked (RFC 7296), as a
 * library. One engine holds the configured gateways and VPNs, their IKE and
 * CHILD SAs, and runs every exchange, initiator and responder.
 *
 * The engine touches the outside world only through the seams of struct
 * ike_env, so the daemon and the in-process tests drive the same code:
 *   transport   it emits datagrams through env.send and takes received ones
 *               through ike_engine_input() (ike_sock.h is the UDP layer of
 *               the daemon; on 4500 the transport adds/strips the non-ESP
 *               marker, the engine sees bare IKE messages);
 *   time        env.now_ms is a monotonic millisecond clock; the engine
 *               keeps its own timer heap, tells env.wake its earliest
 *               deadline and runs due timers in ike_engine_run_timers();
 *   randomness  env.rand (nonces, SPIs, IVs, jitter) can be fixed by tests;
 *   dataplane   CHILD SAs are installed and removed through the struct dp of
 *               daemons/dataplane/dp.h (its mock backend in tests); inbound
 *               SPIs come from dp_spi_alloc; acquire/expire events come back
 *               through ike_engine_dp_event() or ike_engine_dp_poll();
 *   anchoring   the dataplane's front end places each tunnel on an SPU
 *               (dataplane/anchor.h: same gateway pair same SPU, least
 *               loaded, dial-up round robin); the engine tells it the
 *               gateway pair, whether the peer is dial-up and which IKE SA
 *               the tunnel's CHILD SAs belong to, so that every CHILD SA of
 *               an IKE SA (and of its rekeyed successors) sits with it.
 *
 * Threading: one engine is used by one thread. env.send must not call back
 * into the engine (queue the datagram instead).
 *
 * Functions return 0 or -errno; operator text goes to struct errbuf.
 */
#ifndef CAIRN_IKE_ENGINE_H
#define CAIRN_IKE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "ike_addr.h"
#include "ike_conf.h"
#include "ike_crypto.h"
#include "ike_id.h"
#include "ike_ts.h"

struct dp_ops; /* daemons/dataplane/dp.h */
struct dp_event;
struct ike_engine;
struct ike_plan;

/* Events worth a line in a tunnel's history (Junos "Tunnel events"). */
enum ike_event {
	IKE_EV_NONE,
	IKE_EV_CHILD_UP,          /* IPSec SA negotiation successfully completed */
	IKE_EV_CHILD_REKEY_SOFT,  /* IPsec SA rekey initiated: soft lifetime */
	IKE_EV_CHILD_REKEYED,     /* IPsec SA rekey succeeds */
	IKE_EV_IKE_UP,            /* IKE SA negotiation successfully completed */
	IKE_EV_IKE_REKEYED,       /* IKE SA rekey successfully completed */
	IKE_EV_DPD_DOWN,          /* DPD detected peer as down */
	IKE_EV_PEER_DELETE_CHILD, /* IPSec SA delete payload received from peer */
	IKE_EV_PEER_DELETE_IKE,   /* IKE SA delete payload received from peer */
	IKE_EV_CONFIG_CHANGED,    /* tunnel configuration changed */
	IKE_EV_AUTH_FAILED,       /* the peer failed our authentication check */
	IKE_EV_PEER_AUTH_FAILED,  /* the peer refused our authentication */
	IKE_EV_ID_MISMATCH,       /* the peer's IKE-ID did not match */
	IKE_EV_NO_PROPOSAL,       /* we chose none of the peer's proposals */
	IKE_EV_TS_UNACCEPTABLE,   /* the peer's selectors match none of ours */
	IKE_EV_CHILD_LIFETIME,    /* IPSec SA hard lifetime expired */
	IKE_EV_IKE_LIFETIME,      /* IKE SA hard lifetime expired */
	IKE_EV_NO_RESPONSE,       /* no response from peer, negotiation failed */
	IKE_EV_CLEARED_IKE,       /* user cleared IKE SA */
	IKE_EV_CLEARED_CHILD,     /* user cleared IPSec SA */
	IKE_EV_PEER_RESTARTED,    /* INITIAL_CONTACT: the peer's old SAs replaced */
	IKE_EV_IDLE,              /* idle-time expired */
	IKE_EV_PEER_ERROR,        /* the peer answered with another error */
	IKE_EV_DP_ERROR,          /* the dataplane refused an SA */
	IKE_EV_REDISTRIBUTED,     /* moved to another SPU by request */
	IKE_EV_PEER_NO_PROPOSAL,  /* NO_PROPOSAL_CHOSEN received from the peer */
	IKE_EV_PEER_TS_UNACC,     /* TS_UNACCEPTABLE received from the peer */
	IKE_EV_MAX
};

/* Junos-style text of an event ("DPD detected peer as down. ..."). */
const char *ike_event_str(enum ike_event ev);

struct ike_event_info {
	enum ike_event ev;
	uint32_t tunnel_id; /* 0 when not about one tunnel */
	uint32_t ike_index;
	const char *vpn, *gateway;
};

struct ike_env {
	void *ctx; /* passed to every callback */
	/* Transport (required): send one datagram. */
	int (*send)(void *ctx, const struct ike_dgram *d);
	/* Monotonic time in milliseconds (required). */
	uint64_t (*now_ms)(void *ctx);
	/* Wall-clock seconds for event time stamps (optional: time()). */
	int64_t (*wall)(void *ctx);
	/* The earliest timer deadline moved (optional). */
	void (*wake)(void *ctx, uint64_t deadline_ms);
	/* Random bytes (optional: OpenSSL RAND_bytes). */
	int (*rand)(void *ctx, void *buf, size_t len);
	/* Dataplane (required): an opened dp (dp_open()), borrowed. */
	struct dp *dp;
	/* Tunnel events, for logs (optional). */
	void (*event)(void *ctx, const struct ike_event_info *ev);
};

struct ike_engine_opts {
	uint32_t retransmit_base_ms; /* first retransmission after; default 2000 */
	uint32_t retransmit_max_ms;  /* back-off cap; default 16000 */
	uint32_t retransmit_tries;   /* retransmissions before giving up; default 5 */
	uint32_t nonce_len;          /* our nonces; default 32 */
	uint32_t rekey_margin_pct;   /* soft lifetime = hard - margin - jitter; default 10 */
	uint32_t rekey_jitter_pct;   /* default 5 (0 = the default, as for every field) */
	uint32_t retry_base_s;       /* establish-tunnels immediately back-off; default 5 */
	uint32_t retry_max_s;        /* default 300 */
	uint32_t redundant_grace_s;  /* a collision loser its creator left behind; default 30 */
	/* IKE SAs we initiate that may be in IKE_SA_INIT/IKE_AUTH at once; the
	 * tunnels that need more wait their turn (a commit of thousands of
	 * `immediately` tunnels would otherwise overflow the peer's socket and
	 * half-open limits, then crawl through retransmissions). Default 64;
	 * UINT32_MAX: no limit. */
	uint32_t max_initiating;
	uint16_t ike_port, natt_port; /* default 500 and 4500 */
	/* Tests only (cairn-iked --test-lifetime-divisor): IKE and CHILD SA
	 * lifetimes, and the waits of a rekey measured against them (retries,
	 * install-interval), divided by this, so rekeys happen within a test's
	 * minute; 0 or 1 = as configured */
	uint32_t test_lifetime_div;
};

/* NULL and errno on failure; opts NULL = defaults. env is copied. */
struct ike_engine *ike_engine_new(const struct ike_env *env, const struct ike_engine_opts *opts);
/* Removes every SA from the dataplane (no DELETE sent) and frees. */
void ike_engine_free(struct ike_engine *e);

/* ---- transport, time, dataplane ------------------------------------------ */

/* One received datagram (IKE message without non-ESP marker). */
void ike_engine_input(struct ike_engine *e, const struct ike_dgram *d);
/* Earliest timer deadline (ms), UINT64_MAX when none. */
uint64_t ike_engine_next_deadline(const struct ike_engine *e);
/* Runs every timer due at env.now_ms(). */
void ike_engine_run_timers(struct ike_engine *e);
/* One dataplane event (acquire, soft/hard expire, error). */
void ike_engine_dp_event(struct ike_engine *e, const struct dp_event *ev);
/* Reads the dataplane's events and queued IKE-on-4500 datagrams until none
 * is left (for the daemon's loop when the event fd is readable). */
int ike_engine_dp_poll(struct ike_engine *e);
/* Sends an IKE datagram on 4500 through the dataplane when it owns that
 * port (dp_ops.ike_send); -ENOTSUP when it does not. For the transport. */
int ike_engine_dp_ike_send(struct ike_engine *e, const struct ike_dgram *d);

/* ---- configuration ----------------------------------------------------- */

/* Half-open limits ([edit security ike session half-open]). */
void ike_engine_set_limits(struct ike_engine *e, uint32_t half_open_timeout_s,
    uint32_t half_open_max, uint32_t cookie_threshold);
/*
 * A whole configuration, touching only what changed: gateways and VPNs
 * whose resolved form is unchanged keep their SAs and SPIs. PREPARE does
 * everything that can fail (resolution, allocation) and returns a plan;
 * COMMIT applies it and cannot fail; ike_plan_free() aborts.
 */
int ike_engine_prepare(struct ike_engine *e, const struct ike_conf *c, ike_resolve_fn resolve,
    void *rctx, struct ike_plan **plan, struct errbuf *err);
void ike_engine_commit(struct ike_engine *e, struct ike_plan *plan);
void ike_plan_free(struct ike_plan *plan);
/*
 * A change of some objects only (the daemon's incremental commits): the
 * gateways and VPNs named in set_* are resolved from c (which needs to hold
 * them and what they refer to, nothing else) and created or changed as
 * ike_engine_prepare() would; those in del_* are removed; every other
 * object, and the half-open limits, stay as they are. The cost is that of
 * the named objects, not of the whole configuration.
 */
struct ike_delta {
	const char *const *set_gw;
	unsigned n_set_gw;
	const char *const *set_vpn;
	unsigned n_set_vpn;
	const char *const *del_gw;
	unsigned n_del_gw;
	const char *const *del_vpn;
	unsigned n_del_vpn;
};
int ike_engine_prepare_delta(struct ike_engine *e, const struct ike_conf *c,
    const struct ike_delta *d, struct ike_plan **plan, struct errbuf *err);
/* prepare + commit. */
int ike_engine_configure(struct ike_engine *e, const struct ike_conf *c, ike_resolve_fn resolve,
    void *rctx, struct errbuf *err);
/* Single objects (copied). Replacing one whose SA-relevant settings
 * changed re-establishes its tunnels; otherwise settings apply in place. */
int ike_engine_gateway_set(struct ike_engine *e, const struct ike_gw_conf *g, struct errbuf *err);
int ike_engine_gateway_del(struct ike_engine *e, const char *name);
int ike_engine_vpn_set(struct ike_engine *e, const struct ike_vpn_conf *v, struct errbuf *err);
int ike_engine_vpn_del(struct ike_engine *e, const char *name);
/* What runs (borrowed until the next configuration change), NULL if none. */
const struct ike_gw_conf *ike_engine_gw_conf(const struct ike_engine *e, const char *name);
const struct ike_vpn_conf *ike_engine_vpn_conf(const struct ike_engine *e, const char *name);
/* The VPNs of a gateway (NULL: every VPN), in configuration order; stops at
 * the first non-zero return of cb, which it returns. */
int ike_engine_foreach_vpn_conf(const struct ike_engine *e, const char *gateway,
    int (*cb)(void *ctx, const struct ike_vpn_conf *v), void *ctx);

/* ---- operations ------------------------------------------------------- */

/* Brings a VPN's tunnels up now (as on traffic). */
int ike_engine_initiate(struct ike_engine *e, const char *vpn);
/* clear security ike security-associations [index N]: 0 = all. */
int ike_engine_clear_ike_sa(struct ike_engine *e, uint32_t index);
/* clear security ipsec security-associations [index N]: tunnel id, 0 = all. */
int ike_engine_clear_ipsec_sa(struct ike_engine *e, uint32_t tunnel_id);
/* Rekey now (operator and test hooks). */
int ike_engine_rekey_ike(struct ike_engine *e, uint32_t index);
int ike_engine_rekey_child(struct ike_engine *e, uint32_t tunnel_id);
/*
 * request security re-distribution ipsec-vpn gateway-name G [remote-id I]
 * spu N: the gateway's tunnels move to that SPU with their SAs (and later
 * ones follow: the dataplane pins each gateway address pair moved).
 * A site-to-site gateway moves all its address pairs (configured ones and
 * those NAT made); remote_id must then be NULL or "" (-EINVAL). A dial-up
 * gateway needs remote_id (-EINVAL without): the peers whose IKE SA has
 * that remote identity (as `show security ike security-associations
 * detail` prints it; addresses as addresses, names without case) move;
 * -ENOENT when none has, -EBUSY when one shares its address pair with a
 * peer that is not chosen (the dataplane moves whole pairs).
 * All or nothing: when a pair fails to move, the pairs moved before go
 * back to their SPU and pin, and err says nothing moved (or, if moving
 * back fails too, which tunnel is on which SPU). *moved (may be NULL):
 * tunnels moved. -ENOENT also for an unknown gateway; err gets the text.
 */
int ike_engine_redistribute(struct ike_engine *e, const char *gateway, const char *remote_id,
    uint32_t spu, uint32_t *moved, struct errbuf *err);

/* ---- state queries (for the show commands) ------------------------------ */

#define IKE_HIST_LEN 16

struct ike_sa_info {
	uint32_t index;
	char gateway[IKE_NAME_MAX + 1];
	bool up;
	const char *state; /* "INIT", "AUTH", "UP", "REKEYED", "DELETING" */
	bool initiator;    /* role in this IKE SA */
	uint64_t spi_i, spi_r;
	struct ike_endpoint local, remote;
	struct ike_suite suite;
	uint8_t auth_method; /* IKE_AUTH_PSK */
	uint32_t lifetime_s, expires_in_s, rekey_in_s;
	struct ike_id local_id, remote_id;
	bool nat_local, nat_remote;
	uint64_t in_bytes, out_bytes, in_packets, out_packets; /* IKE messages */
	uint32_t children_created, children_deleted, exchanges_pending;
	uint32_t spu;
	enum ike_dpd_mode dpd_mode;
	uint32_t dpd_interval, dpd_threshold, dpd_sent, dpd_received;
	uint32_t msgid_next_request, msgid_next_expected;
};

struct ike_child_info {
	uint32_t spi_in, spi_out;
	struct ike_suite suite; /* dh = PFS group */
	const char *state;      /* "installed", "rekeying", ... */
	uint32_t hard_in_s, soft_in_s;
	uint64_t life_kb; /* 0 = unlimited */
	uint32_t ike_index;
	bool encap;
	uint16_t encap_local_port, encap_remote_port;
	uint32_t replay_window;
	bool initiator;
};

struct ike_event_rec {
	int64_t time; /* wall-clock seconds of the last occurrence */
	enum ike_event ev;
	uint32_t count;
};

struct ike_tunnel_info {
	uint32_t id;
	char vpn[IKE_NAME_MAX + 1];
	char gateway[IKE_NAME_MAX + 1];
	char ts_name[32];
	uint32_t unit;
	bool up, negotiating;
	bool dynamic_peer;
	uint32_t spu;
	struct ike_endpoint local, remote;
	struct ike_id peer_id;
	unsigned n_local_ts, n_remote_ts;
	struct ike_ts local_ts[IKE_TS_MAX], remote_ts[IKE_TS_MAX];
	bool ts_proxy_id;
	enum ike_df df;
	bool copy_dscp;
	enum ike_establish establish;
	uint16_t pfs_group;
	uint32_t nego, fail; /* Nego#, Fail# */
	unsigned n_sa;       /* CHILD SAs, newest first */
	struct ike_child_info sa[4];
	unsigned n_events; /* newest first */
	struct ike_event_rec events[IKE_HIST_LEN];
	enum ike_event down_reason;
	uint32_t down_count;
};

struct ike_gw_info {
	char name[IKE_NAME_MAX + 1];
	uint32_t id;
	uint32_t spu; /* UINT32_MAX when not anchored */
	bool dynamic;
	unsigned n_ike_sas, n_tunnels;
};

struct ike_engine_stats {
	uint32_t ike_sas, ike_sas_up, half_open, tunnels, tunnels_up, child_sas;
	uint64_t rx, tx, rx_dropped, rx_bad_icv, cookies_sent, invalid_ke_sent, retransmits;
	uint64_t auth_failures;
};

typedef int (*ike_sa_cb)(void *ctx, const struct ike_sa_info *i);
typedef int (*ike_tunnel_cb)(void *ctx, const struct ike_tunnel_info *t);
typedef int (*ike_gw_cb)(void *ctx, const struct ike_gw_info *g);

/* Iterate until cb returns non-zero (which is returned). */
int ike_engine_foreach_ike_sa(const struct ike_engine *e, ike_sa_cb cb, void *ctx);
int ike_engine_ike_sa(const struct ike_engine *e, uint32_t index, struct ike_sa_info *out);
/* Every configured tunnel (up or not) and every dial-up peer's tunnel. */
int ike_engine_foreach_tunnel(const struct ike_engine *e, ike_tunnel_cb cb, void *ctx);

/*
 * The one-line views of long lists (show ... with 10,000 entries): what a
 * brief row needs, without the copies of the full structs. Strings are
 * borrowed for the duration of the callback.
 */
struct ike_sa_brief {
	uint32_t index;
	const char *gateway; /* "" when none */
	bool up;
	uint64_t spi_i, spi_r;
	struct ike_endpoint remote;
};
struct ike_tunnel_brief {
	uint32_t id;
	const char *vpn, *gateway;
	bool has_sa;            /* a CHILD SA beyond one being negotiated */
	bool dynamic_peer;      /* a dial-up peer's tunnel */
	struct ike_addr remote; /* the newest SA's peer, else the gateway's address */
};
int ike_engine_foreach_ike_sa_brief(
    const struct ike_engine *e, int (*cb)(void *ctx, const struct ike_sa_brief *b), void *ctx);
int ike_engine_foreach_tunnel_brief(
    const struct ike_engine *e, int (*cb)(void *ctx, const struct ike_tunnel_brief *b), void *ctx);
int ike_engine_tunnel(const struct ike_engine *e, uint32_t id, struct ike_tunnel_info *out);
int ike_engine_foreach_gateway(const struct ike_engine *e, ike_gw_cb cb, void *ctx);
void ike_engine_stats(const struct ike_engine *e, struct ike_engine_stats *out);

#endif
