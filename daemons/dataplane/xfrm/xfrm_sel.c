/* SPDX-License-Identifier: MIT */
/*
 * xfrm_sel: RFC 7296 3.13.1 traffic selectors (address and port ranges)
 * as XFRM selectors (prefixes, port/mask blocks). A range is cut into the
 * fewest aligned power-of-two blocks that cover it exactly.
 */
#include "xfrm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "banned.h"

typedef unsigned __int128 u128;

#define BLOCKS_MAX 256

struct block {
	u128 base;
	unsigned len; /* prefix length in bits of a `width`-bit number */
};

static u128
addr_num(const struct dp_addr *a, unsigned width)
{
	u128 v = 0;
	unsigned i;

	for (i = 0; i < width / 8; i++)
		v = (v << 8) | a->u.b[i];
	return v;
}

static void
num_addr(xfrm_address_t *xa, u128 v, unsigned width)
{
	uint8_t b[16];
	unsigned i;

	memset(xa, 0, sizeof(*xa));
	for (i = width / 8; i-- > 0;) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
	memcpy(xa, b, width / 8);
}

/* Cuts [lo, hi] of a width-bit space into aligned blocks. */
static int
split(u128 lo, u128 hi, unsigned width, struct block *out, size_t cap, size_t *n)
{
	u128 top = width == 128 ? ~(u128)0 : (((u128)1 << width) - 1);

	*n = 0;
	if (lo > hi || hi > top)
		return -EINVAL;
	for (;;) {
		unsigned k = 0;

		/* grow the block while lo stays aligned and the block stays in range */
		while (k < width && (lo & (((u128)1 << k << 1) - 1)) == 0 &&
		       (hi - lo) >= ((u128)1 << k << 1) - 1)
			k++;
		if (*n == cap)
			return -E2BIG;
		out[*n].base = lo;
		out[*n].len = width - k;
		(*n)++;
		if (k == width)
			break;
		if (hi - lo == ((u128)1 << k) - 1)
			break;
		lo += (u128)1 << k;
	}
	return 0;
}

void
xfrm_sel_any(struct xfrm_selector *s, uint8_t family)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
}

int
xfrm_ts_to_sels(const struct dp_ts *src, const struct dp_ts *dst, struct xfrm_selector *out,
    size_t cap, size_t *n)
{
	struct block sa[BLOCKS_MAX], da[BLOCKS_MAX], sp[32], dpo[32];
	size_t nsa, nda, nsp, ndp, i, j, k, l;
	unsigned width;
	uint8_t proto;
	int rc;

	*n = 0;
	if (src->family != dst->family || (src->family != AF_INET && src->family != AF_INET6))
		return -EINVAL;
	if (src->proto && dst->proto && src->proto != dst->proto)
		return -EINVAL;
	proto = src->proto ? src->proto : dst->proto;
	width = src->family == AF_INET ? 32 : 128;
	if ((rc = split(addr_num(&src->addr_lo, width), addr_num(&src->addr_hi, width), width, sa,
	         BLOCKS_MAX, &nsa)) < 0 ||
	    (rc = split(addr_num(&dst->addr_lo, width), addr_num(&dst->addr_hi, width), width, da,
	         BLOCKS_MAX, &nda)) < 0 ||
	    (rc = split(src->port_lo, src->port_hi, 16, sp, 32, &nsp)) < 0 ||
	    (rc = split(dst->port_lo, dst->port_hi, 16, dpo, 32, &ndp)) < 0)
		return rc;
	if (nsa * nda * nsp * ndp > cap)
		return -E2BIG;
	for (i = 0; i < nsa; i++)
		for (j = 0; j < nda; j++)
			for (k = 0; k < nsp; k++)
				for (l = 0; l < ndp; l++) {
					struct xfrm_selector *s = &out[(*n)++];

					xfrm_sel_any(s, src->family);
					num_addr(&s->saddr, sa[i].base, width);
					num_addr(&s->daddr, da[j].base, width);
					s->prefixlen_s = (uint8_t)sa[i].len;
					s->prefixlen_d = (uint8_t)da[j].len;
					s->proto = proto;
					s->sport = htons((uint16_t)sp[k].base);
					s->sport_mask =
					    htons((uint16_t)(0xffffu << (16 - sp[k].len)));
					s->dport = htons((uint16_t)dpo[l].base);
					s->dport_mask =
					    htons((uint16_t)(0xffffu << (16 - dpo[l].len)));
				}
	return 0;
}

/* Field by field: struct dp_ts has padding, and an IPv4 address leaves
 * 12 bytes of its union unused; neither is ever set by the caller. */
static bool
ts_eq(const struct dp_ts *a, const struct dp_ts *b)
{
	return a->family == b->family && a->proto == b->proto && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi && dp_addr_eq(&a->addr_lo, &b->addr_lo) &&
	       dp_addr_eq(&a->addr_hi, &b->addr_hi);
}

static bool
ts_list_eq(const struct dp_ts *a, const struct dp_ts *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!ts_eq(&a[i], &b[i]))
			return false;
	return true;
}

bool
xfrm_tunnel_same_policies(const struct dp_tunnel *a, const struct dp_tunnel *b)
{
	return a->unit == b->unit && dp_addr_eq(&a->local_gw, &b->local_gw) &&
	       dp_addr_eq(&a->remote_gw, &b->remote_gw) && a->n_local_ts == b->n_local_ts &&
	       a->n_remote_ts == b->n_remote_ts &&
	       ts_list_eq(a->local_ts, b->local_ts, a->n_local_ts) &&
	       ts_list_eq(a->remote_ts, b->remote_ts, a->n_remote_ts);
}
