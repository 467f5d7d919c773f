/* SPDX-License-Identifier: MIT */
/*
 * lpm: longest-prefix match of IPv4/IPv6 destinations to st0 units (the
 * dataplane's own view of the routes into the shared st0 device), as one
 * hash table per present prefix length, probed longest first. Lookups
 * cost one hash probe per distinct prefix length in use. One owner thread.
 */
#ifndef CAIRN_DP_LPM_H
#define CAIRN_DP_LPM_H

#include <stdint.h>
#include <string.h>

#include "dp.h"
#include "hmap.h"

/*
 * 56 bytes (64 with malloc's header; one per route and SPU): the family
 * and prefix length are the top 16 bits of the node's hash (equal hashes
 * are equal families and lengths; the bucket comes from the low bits),
 * the next hop is a family byte and its 16 bytes.
 */
struct lpm_route {
	struct hnode hn;
	uint8_t key[16]; /* masked address */
	uint32_t unit;
	uint16_t refs;     /* the same prefix added more than once */
	uint8_t nh_family; /* next hop: AF_INET, AF_INET6, 0 = none */
	uint8_t nh[16];
};

static inline uint8_t
lpm_route_family(const struct lpm_route *r)
{
	return (uint8_t)(r->hn.hash >> 56);
}

static inline uint8_t
lpm_route_len(const struct lpm_route *r)
{
	return (uint8_t)(r->hn.hash >> 48);
}

static inline void
lpm_route_nexthop(const struct lpm_route *r, struct dp_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = r->nh_family;
	memcpy(out->u.b, r->nh, sizeof(r->nh));
}

struct lpm {
	struct hmap h;
	uint32_t count4[33], count6[129];
	uint8_t lens4[33], lens6[129]; /* present lengths, longest first */
	uint8_t n4, n6;
};

int lpm_init(struct lpm *l);
void lpm_fini(struct lpm *l); /* frees the routes */
/* Adds (or re-points, counting references) a prefix. -EINVAL, -ENOMEM. */
/* -EOVERFLOW past 65535 additions of one prefix. */
int lpm_add(struct lpm *l, const struct dp_prefix *p, uint32_t unit, const struct dp_addr *nexthop);
int lpm_del(struct lpm *l, const struct dp_prefix *p); /* -ENOENT */
/* addr: 4 or 16 bytes in network order. NULL when no prefix covers it. */
const struct lpm_route *lpm_lookup(const struct lpm *l, uint8_t family, const uint8_t *addr);
/* Removes every route into unit. */
void lpm_del_unit(struct lpm *l, uint32_t unit);

#endif
