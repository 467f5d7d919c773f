/* SPDX-License-Identifier: MIT */
/*
 * anchor: which SPU a tunnel is anchored on (ARCHITECTURE.md "Tunnel
 * anchoring"). Pure bookkeeping, no I/O. The rules, in order, for a new
 * tunnel:
 *   1. an explicit SPU in the request wins;
 *   2. a CHILD SA of a known IKE SA goes where that IKE SA's tunnels are;
 *   3. a tunnel whose gateway pair (local, remote outer address) was
 *      pinned by anchor_move_gateway() goes to the pin (dial-up ones too);
 *   4. a site-to-site tunnel whose gateway pair already has tunnels goes
 *      to their SPU;
 *   5. a dynamic (dial-up) tunnel goes round-robin;
 *   6. any other site-to-site tunnel goes to the least-loaded SPU, load =
 *      tunnels anchored / flow threads (ties: the lowest SPU number).
 * Placing or removing a tunnel never moves another one; only
 * anchor_move_gateway() moves tunnels, and only that gateway pair's
 * (site-to-site and dial-up alike).
 */
#ifndef CAIRN_DP_ANCHOR_H
#define CAIRN_DP_ANCHOR_H

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"

struct anchor;

struct anchor_req {
	uint32_t tunnel_id;
	uint64_t ike_sa_id; /* 0 = none */
	struct dp_addr local, remote;
	bool dynamic;
	uint32_t spu; /* DP_SPU_ANY, or an explicit SPU */
};

/* flow_threads[nspu] (NULL = 1 each). NULL with errno on failure. */
struct anchor *anchor_new(uint32_t nspu, const uint32_t *flow_threads);
void anchor_free(struct anchor *a);

/*
 * Anchors tunnel req->tunnel_id and returns its SPU in *spu. A tunnel that
 * is already anchored keeps its SPU unless req->spu names another one, in
 * which case that tunnel (only) moves; its IKE SA and gateway pair (unless
 * pinned) go with it when none of their other tunnels is left behind, so
 * that their next tunnels follow it. What a later call brings (the IKE
 * SA once it is up, gateways once known, another IKE SA lineage or pair)
 * is recorded where the tunnel is: the next CHILD SA of that IKE SA and
 * the next tunnel of that pair go there, and anchor_move_gateway() finds
 * it. -EINVAL for an SPU out of range, -ENOMEM.
 */
int anchor_place(struct anchor *a, const struct anchor_req *req, uint32_t *spu);
int anchor_remove(struct anchor *a, uint32_t tunnel_id); /* -ENOENT */
int anchor_lookup(const struct anchor *a, uint32_t tunnel_id, uint32_t *spu);

/*
 * Moves every tunnel of gateway pair (local, remote) to spu and pins the
 * pair there (later tunnels of the pair follow; spu DP_SPU_ANY removes the
 * pin and moves nothing). The pair's tunnels are its site-to-site tunnels
 * and the dial-up tunnels whose gateways are (local, remote); their IKE
 * SAs follow. cb (may be NULL) is called for each moved tunnel. *moved
 * (may be NULL) receives the count.
 */
int anchor_move_gateway(struct anchor *a, const struct dp_addr *local, const struct dp_addr *remote,
    uint32_t spu, void (*cb)(void *arg, uint32_t tunnel_id, uint32_t from, uint32_t to), void *arg,
    uint32_t *moved);

/* The SPU gateway pair (local, remote) is pinned to by
 * anchor_move_gateway(): 0, or -ENOENT when the pair is not pinned. */
int anchor_pin(const struct anchor *a, const struct dp_addr *local, const struct dp_addr *remote,
    uint32_t *spu);

/* What anchor_move_gateway() with the same arguments would move (cb for
 * each, *n the count), changing nothing. -EINVAL as it. */
int anchor_gateway_tunnels(struct anchor *a, const struct dp_addr *local,
    const struct dp_addr *remote, uint32_t spu,
    void (*cb)(void *arg, uint32_t tunnel_id, uint32_t from, uint32_t to), void *arg, uint32_t *n);

uint32_t anchor_spu_count(const struct anchor *a);
uint32_t anchor_spu_tunnels(const struct anchor *a, uint32_t spu);
uint32_t anchor_spu_flow_threads(const struct anchor *a, uint32_t spu);

#endif
