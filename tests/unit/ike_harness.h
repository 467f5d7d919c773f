/* SPDX-License-Identifier: MIT */
/*
 * ike_harness: in-process IKE exchanges for the unit tests and the setup
 * benchmark (STYLE.md §9): several engines on a virtual network with a
 * virtual clock, each with its own mock dataplane and a deterministic
 * random stream. Datagrams queue until net_run() delivers them in order;
 * a filter can drop, duplicate or hold them; a NAT can rewrite one peer's
 * source address and port.
 */
#ifndef CAIRN_IKE_HARNESS_H
#define CAIRN_IKE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp.h"
#include "ike_conf.h"
#include "ike_engine.h"
#include "mock.h"

#define NET_MAX_PEERS 16

struct net;

struct peer {
	struct net *net;
	int idx;
	const char *name;
	struct ike_engine *e;
	struct dp *dpf;       /* the dataplane front end the engine uses */
	struct dp_mock *dp;   /* its mock backend, for assertions */
	struct ike_addr addr; /* its address on the virtual network */
	uint64_t rng;
	struct ike_conf *conf;
	uint32_t spus;
	/* events */
	unsigned n_events[IKE_EV_MAX];
	unsigned keepalives;
	uint64_t cpu_ns; /* thread CPU time spent inside this peer's engine */
};

/* What a filter decides for one datagram. */
enum net_verdict {
	NET_DELIVER,
	NET_DROP,
	NET_DUP,  /* deliver twice */
	NET_HOLD, /* keep it queued for net_release() */
};

struct net_pkt {
	int from, to;
	struct ike_dgram d; /* data points into buf */
	uint8_t *buf;
	size_t len;
	uint8_t exchange; /* from the IKE header (0 for keepalives) */
	bool response;
	uint32_t msgid;
};

typedef enum net_verdict (*net_filter_fn)(void *ctx, const struct net_pkt *p);

struct net {
	uint64_t now; /* ms */
	int64_t wall;
	struct peer *peers[NET_MAX_PEERS];
	int n_peers;
	struct net_pkt *q; /* queued datagrams are q[q_head..n_q) */
	size_t q_head, n_q, cap_q;
	struct net_pkt *held;
	size_t n_held, cap_held;
	net_filter_fn filter;
	void *filter_ctx;
	uint64_t delivered, dropped;
	/* NAT: packets from nat_peer leave with nat_addr and a mapped port. */
	int nat_peer;
	struct ike_addr nat_addr;
	uint16_t nat_port_base;
	bool trace; /* IKE_TRACE set: every datagram on stderr */
};

struct net *net_new(void);
void net_free(struct net *n);
/* A peer with address `addr` ("192.0.2.1"), seed for its random stream. */
struct peer *net_peer(struct net *n, const char *name, const char *addr, uint64_t seed,
    const struct ike_engine_opts *opts);
/* Puts peer idx behind a NAT with the given public address. */
void net_nat(struct net *n, int idx, const char *public_addr);
/* Delivers queued datagrams (and those they cause) until none is left. */
void net_run(struct net *n);
/* Advances the clock by ms, delivering datagrams and firing timers in order. */
void net_advance(struct net *n, uint64_t ms);
/* Datagrams held by a NET_HOLD verdict go back on the queue. */
void net_release(struct net *n);
void net_drop_queue(struct net *n);

/* ---- configuration helpers ---------------------------------------------- */

struct pcfg {
	const char *gw;            /* gateway name, default "gw" */
	const char *vpn;           /* default "vpn" */
	const char *peer_addr;     /* the other side (tests fill it in) */
	const char *peer_addr2;    /* a second address of a site-to-site gateway */
	bool dynamic;              /* a dial-up gateway */
	const char *local_addr;    /* default: the peer's own */
	const char *psk;           /* default "s3cret" */
	uint16_t dh;               /* default 19 */
	enum ike_conf_enc ike_enc; /* default aes-128-gcm */
	enum ike_conf_ike_auth ike_auth;
	enum ike_conf_enc esp_enc; /* default aes-128-gcm */
	enum ike_conf_esp_auth esp_auth;
	uint16_t pfs;
	bool esn;
	uint32_t ike_life, esp_life;
	enum ike_establish establish;     /* default immediately */
	const char *ts_local, *ts_remote; /* a traffic-selector; NULL = default any */
	const char *ts2_local, *ts2_remote;
	enum ike_id_kind local_id_kind;
	const char *local_id;
	enum ike_id_kind remote_id_kind;
	const char *remote_id;
	enum ike_id_kind dyn_kind;
	const char *dyn_id;
	enum ike_user_type user_type;
	enum ike_dpd_mode dpd;
	uint32_t dpd_interval, dpd_threshold;
	bool no_nat_t;
	uint32_t install_interval; /* default 0 in tests */
	uint32_t cookie_threshold; /* default 500 */
	uint32_t idle_time;
	bool keep_install_interval;
};

/* Builds (or extends) the peer's ike_conf from c and applies it. 0 or fails the test. */
int peer_configure(struct peer *p, const struct pcfg *c);
/* Applies p->conf as it is now. */
int peer_reconfigure(struct peer *p);

/* ---- state helpers --------------------------------------------------------- */

unsigned peer_ike_up(const struct peer *p);
unsigned peer_ike_all(const struct peer *p);
unsigned peer_tunnels_up(const struct peer *p);
/* The first up tunnel's info (false when none). */
bool peer_tunnel(const struct peer *p, struct ike_tunnel_info *out);
bool peer_ike_sa(const struct peer *p, struct ike_sa_info *out);
/* Every inbound SA of a has its outbound twin at b with the same keys,
 * and the other way round; the SA counts match. */
bool peers_consistent(const struct peer *a, const struct peer *b);
/* Text of a peer's state, for failure messages. */
void peer_dump(const struct peer *p);

#endif
