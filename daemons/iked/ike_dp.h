/* SPDX-License-Identifier: MIT */
/*
 * ike_dp: the engine's only door to the dataplane (daemons/dataplane/dp.h,
 * its front end struct dp). It converts the engine's types (ike_addr,
 * ike_ts, transform IDs) to the dp_* structures and back, so changes to
 * dp.h stay in ike_dp.c. The front end anchors tunnels on SPUs
 * (dataplane/anchor.h): the engine asks for IKE_SPU_ANY with the gateway
 * pair, the IKE SA and whether the peer is dial-up, and gets the SPU back.
 * Key material handed to ike_dp_sa_add() is copied into a stack dp_sa and
 * wiped there; callers wipe their own struct ike_dp_sa.
 */
#ifndef CAIRN_IKE_DP_H
#define CAIRN_IKE_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "ike_addr.h"
#include "ike_conf.h"
#include "ike_crypto.h"
#include "ike_ts.h"

struct dp;
struct dp_event;

#define IKE_SPU_ANY UINT32_MAX

struct ike_dp {
	struct dp *dp;
	bool batching; /* between ike_dp_batch_begin and _end */
};

/* One direction of a CHILD SA, in engine terms. */
struct ike_dp_sa {
	uint32_t spi;
	bool inbound;
	uint32_t tunnel_id;
	struct ike_addr local, remote; /* outer addresses */
	bool encap;                    /* ESP in UDP (RFC 3948) */
	uint16_t encap_local_port, encap_remote_port;
	bool esn, copy_dscp;
	uint16_t encr, encr_bits, integ; /* IKE transform IDs */
	uint8_t enc_key_len, integ_key_len;
	uint8_t enc_key[IKE_ENC_KEY_MAX];
	uint8_t integ_key[IKE_PRF_MAX];
	uint32_t replay_window;
	enum ike_df df;
	uint64_t soft_bytes, hard_bytes; /* 0 = none; time lifetimes are the engine's */
};

struct ike_dp_tunnel {
	uint32_t id, unit;
	uint32_t spu;                        /* IKE_SPU_ANY: the dataplane's anchoring rules */
	struct ike_addr local_gw, remote_gw; /* the gateway pair (outer addresses) */
	uint64_t anchor_id; /* the IKE SA (lineage) its CHILD SAs belong to; 0 = none */
	bool dynamic;       /* a dial-up peer's tunnel */
	unsigned n_local, n_remote;
	const struct ike_ts *local, *remote;
	bool on_traffic;
	struct ike_addr nexthop; /* multipoint st0: next-hop-tunnel address; family 0 = none */
};

enum ike_dp_ev_type {
	IKE_DPE_ACQUIRE,
	IKE_DPE_SOFT_EXPIRE,
	IKE_DPE_HARD_EXPIRE,
	IKE_DPE_ERROR,
};

struct ike_dp_event {
	enum ike_dp_ev_type type;
	uint32_t tunnel_id, spi;
	bool inbound;
	char msg[128];
};

struct ike_dp_stats {
	uint64_t packets, bytes, last_used;
};

/* true when the dataplane can carry this ESP suite. */
bool ike_dp_suite_ok(const struct ike_suite *s);
int ike_dp_spi_alloc(struct ike_dp *dp, const struct ike_addr *local, const struct ike_addr *remote,
    uint32_t spu, uint32_t *spi, struct errbuf *err);
int ike_dp_sa_add(struct ike_dp *dp, const struct ike_dp_sa *sa, struct errbuf *err);
/* dp_batch_begin/_end (dp.h): the tunnel and SAs of one install go to the
 * dataplane together; _end returns when they are in place. A begin while
 * a batch is open joins it (the responder opens it before anchoring the
 * tunnel and allocating the SPI, install() begins again); _end closes it
 * whoever opened it, and without an open batch returns 0. */
void ike_dp_batch_begin(struct ike_dp *dp);
int ike_dp_batch_end(struct ike_dp *dp, struct errbuf *err);
/* The peer's NAT mapping moved: new remote address and encapsulation port. */
int ike_dp_sa_update_remote(struct ike_dp *dp, const struct ike_dp_sa *sa, struct errbuf *err);
int ike_dp_sa_del(struct ike_dp *dp, uint32_t spi, bool inbound, const struct ike_addr *dst);
int ike_dp_sa_stats(struct ike_dp *dp, uint32_t spi, bool inbound, const struct ike_addr *dst,
    struct ike_dp_stats *out);
/* Creates or updates a tunnel; *spu receives where it is anchored. */
int ike_dp_tunnel_set(
    struct ike_dp *dp, const struct ike_dp_tunnel *t, uint32_t *spu, struct errbuf *err);
int ike_dp_tunnel_del(struct ike_dp *dp, uint32_t id);
int ike_dp_tunnel_spu(struct ike_dp *dp, uint32_t id, uint32_t *spu);
/* Re-anchors every tunnel of a gateway pair on spu, SAs kept (operator request). */
int ike_dp_anchor_move(struct ike_dp *dp, const struct ike_addr *local,
    const struct ike_addr *remote, uint32_t spu, uint32_t *moved, struct errbuf *err);
/* The SPU the pair is pinned to by a move; -ENOENT when not pinned. */
int ike_dp_anchor_pin(
    struct ike_dp *dp, const struct ike_addr *local, const struct ike_addr *remote, uint32_t *spu);
/* Translates a dataplane event; -EINVAL for unknown types. */
int ike_dp_event_from(const struct dp_event *in, struct ike_dp_event *out);
/* Next pending event, -EAGAIN when none. */
int ike_dp_event_read(struct ike_dp *dp, struct ike_dp_event *out);
/* IKE on 4500 owned by the dataplane: -ENOTSUP when it does not. */
int ike_dp_ike_recv(struct ike_dp *dp, struct ike_dgram *d, uint8_t *buf, size_t cap);
int ike_dp_ike_send(struct ike_dp *dp, const struct ike_dgram *d);

#endif
