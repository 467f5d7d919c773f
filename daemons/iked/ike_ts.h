/* SPDX-License-Identifier: MIT */
/*
 * ike_ts: traffic selectors (RFC 7296 2.9, 3.13.1): address and port
 * ranges, intersection for responder narrowing, subset checks for the
 * initiator, and text for the show commands.
 */
#ifndef CAIRN_IKE_TS_H
#define CAIRN_IKE_TS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_addr.h"

#define IKE_TS_MAX 8 /* selectors per side of a CHILD SA (= DP_TS_MAX) */

struct ike_ts {
	uint8_t family;            /* AF_INET or AF_INET6 */
	uint8_t proto;             /* IP protocol, 0 = any */
	uint16_t port_lo, port_hi; /* host order */
	struct ike_addr lo, hi;    /* inclusive */
};

/* Selector of a whole prefix, any protocol and port. */
void ike_ts_from_prefix(struct ike_ts *ts, const struct ike_addr *addr, uint8_t len);
/* 0.0.0.0/0 or ::/0. */
void ike_ts_any(struct ike_ts *ts, uint8_t family);
bool ike_ts_eq(const struct ike_ts *a, const struct ike_ts *b);
/* true when a lies within b. */
bool ike_ts_subset(const struct ike_ts *a, const struct ike_ts *b);
/* true and *out = a ∩ b when the intersection is not empty. */
bool ike_ts_intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out);
/*
 * Responder narrowing: every non-empty intersection of a proposed selector
 * with a configured one, in the proposer's order, without duplicates.
 * Returns how many were written (at most max).
 */
unsigned ike_ts_narrow(const struct ike_ts *prop, unsigned n_prop, const struct ike_ts *cfg,
    unsigned n_cfg, struct ike_ts *out, unsigned max);
/* true when every selector of a lies within some selector of b. */
bool ike_ts_list_subset(const struct ike_ts *a, unsigned na, const struct ike_ts *b, unsigned nb);
/*
 * Shared selector lists. Almost every route-based VPN carries the same
 * lists: 0.0.0.0/0 (or ::/0, or both) on each side, in its configuration
 * and in each CHILD SA. ike_ts_common() returns a read-only static copy of
 * local[0..nl) followed by remote[0..nr) when it is one of those (both
 * sides the whole of IPv4, of IPv6, or of IPv4 then IPv6), else NULL; a
 * holder keeps that pointer instead of an allocation of its own and frees
 * only what ike_ts_is_common() says is not shared.
 */
const struct ike_ts *ike_ts_common(
    const struct ike_ts *local, unsigned nl, const struct ike_ts *remote, unsigned nr);
bool ike_ts_is_common(const struct ike_ts *list);

/* "ipv4(0,0-65535,10.0.0.0-10.0.0.255)"-style text; returns buf. */
const char *ike_ts_str(const struct ike_ts *ts, char *buf, size_t len);

#endif
