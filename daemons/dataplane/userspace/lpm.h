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

#include "dp.h"
#include "hmap.h"

struct lpm_route {
	struct hnode hn;
	uint8_t family, len;
	uint8_t key[16]; /* masked address */
	uint32_t refs;   /* the same prefix added more than once */
	uint32_t unit;
	struct dp_addr nexthop;
};

struct lpm {
	struct hmap h;
	uint32_t count4[33], count6[129];
	uint8_t lens4[33], lens6[129]; /* present lengths, longest first */
	uint8_t n4, n6;
};

int lpm_init(struct lpm *l);
void lpm_fini(struct lpm *l); /* frees the routes */
/* Adds (or re-points, counting references) a prefix. -EINVAL, -ENOMEM. */
int lpm_add(struct lpm *l, const struct dp_prefix *p, uint32_t unit, const struct dp_addr *nexthop);
int lpm_del(struct lpm *l, const struct dp_prefix *p); /* -ENOENT */
/* addr: 4 or 16 bytes in network order. NULL when no prefix covers it. */
const struct lpm_route *lpm_lookup(const struct lpm *l, uint8_t family, const uint8_t *addr);
/* Removes every route into unit. */
void lpm_del_unit(struct lpm *l, uint32_t unit);

#endif
