/* SPDX-License-Identifier: MIT */
/* ike_ts: traffic selector arithmetic (RFC 7296 2.9). */
#include "ike_ts.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "banned.h"

void
ike_ts_from_prefix(struct ike_ts *ts, const struct ike_addr *addr, uint8_t len)
{
	memset(ts, 0, sizeof(*ts));
	ts->family = addr->family;
	ts->port_lo = 0;
	ts->port_hi = 65535;
	ike_prefix_range(addr, len, &ts->lo, &ts->hi);
}

void
ike_ts_any(struct ike_ts *ts, uint8_t family)
{
	struct ike_addr a;

	memset(&a, 0, sizeof(a));
	a.family = family;
	ike_ts_from_prefix(ts, &a, 0);
}

bool
ike_ts_eq(const struct ike_ts *a, const struct ike_ts *b)
{
	return a->family == b->family && a->proto == b->proto && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi && ike_addr_eq(&a->lo, &b->lo) &&
	       ike_addr_eq(&a->hi, &b->hi);
}

/* what ike_ts_any() makes (test_ike_ts checks they agree) */
#define TS_ANY4                                                                                    \
	{                                                                                          \
		.family = AF_INET, .port_hi = 65535, .lo = { .family = AF_INET },                  \
		.hi = { .family = AF_INET, .b = { 255, 255, 255, 255 } },                          \
	}
#define TS_ANY6                                                                                    \
	{                                                                                          \
		.family = AF_INET6, .port_hi = 65535, .lo = { .family = AF_INET6 },                \
		.hi = { .family = AF_INET6,                                                        \
			.b = { 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,    \
			    255, 255, 255 } },                                                     \
	}

static const struct ike_ts ts_common[] = {
	TS_ANY4, TS_ANY4,                   /* [0, 2): v4 | v4 */
	TS_ANY6, TS_ANY6,                   /* [2, 4): v6 | v6 */
	TS_ANY4, TS_ANY6, TS_ANY4, TS_ANY6, /* [4, 8): v4 v6 | v4 v6 */
};

static bool
list_eq(const struct ike_ts *a, const struct ike_ts *b, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!ike_ts_eq(&a[i], &b[i]))
			return false;
	return true;
}

const struct ike_ts *
ike_ts_common(const struct ike_ts *local, unsigned nl, const struct ike_ts *remote, unsigned nr)
{
	static const unsigned at[] = { 0, 2, 4 }, per_side[] = { 1, 1, 2 };
	unsigned k;

	for (k = 0; k < sizeof(at) / sizeof(at[0]); k++)
		if (nl == per_side[k] && nr == per_side[k] &&
		    list_eq(local, &ts_common[at[k]], nl) &&
		    list_eq(remote, &ts_common[at[k] + nl], nr))
			return &ts_common[at[k]];
	return NULL;
}

bool
ike_ts_is_common(const struct ike_ts *list)
{
	uintptr_t p = (uintptr_t)list, a = (uintptr_t)ts_common;

	return p >= a && p < a + sizeof(ts_common);
}

bool
ike_ts_subset(const struct ike_ts *a, const struct ike_ts *b)
{
	if (a->family != b->family)
		return false;
	if (b->proto != 0 && a->proto != b->proto)
		return false;
	if (a->port_lo < b->port_lo || a->port_hi > b->port_hi)
		return false;
	return ike_addr_cmp(&a->lo, &b->lo) >= 0 && ike_addr_cmp(&a->hi, &b->hi) <= 0;
}

bool
ike_ts_intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out)
{
	struct ike_ts r;

	if (a->family != b->family)
		return false;
	if (a->proto != 0 && b->proto != 0 && a->proto != b->proto)
		return false;
	memset(&r, 0, sizeof(r));
	r.family = a->family;
	r.proto = a->proto ? a->proto : b->proto;
	r.port_lo = a->port_lo > b->port_lo ? a->port_lo : b->port_lo;
	r.port_hi = a->port_hi < b->port_hi ? a->port_hi : b->port_hi;
	if (r.port_lo > r.port_hi)
		return false;
	r.lo = ike_addr_cmp(&a->lo, &b->lo) >= 0 ? a->lo : b->lo;
	r.hi = ike_addr_cmp(&a->hi, &b->hi) <= 0 ? a->hi : b->hi;
	if (ike_addr_cmp(&r.lo, &r.hi) > 0)
		return false;
	*out = r;
	return true;
}

unsigned
ike_ts_narrow(const struct ike_ts *prop, unsigned n_prop, const struct ike_ts *cfg, unsigned n_cfg,
    struct ike_ts *out, unsigned max)
{
	unsigned i, j, k, n = 0;
	struct ike_ts t;

	for (i = 0; i < n_prop; i++) {
		for (j = 0; j < n_cfg && n < max; j++) {
			bool dup = false;

			if (!ike_ts_intersect(&prop[i], &cfg[j], &t))
				continue;
			for (k = 0; k < n; k++)
				dup |= ike_ts_eq(&out[k], &t);
			if (!dup)
				out[n++] = t;
		}
	}
	return n;
}

bool
ike_ts_list_subset(const struct ike_ts *a, unsigned na, const struct ike_ts *b, unsigned nb)
{
	unsigned i, j;

	if (na == 0)
		return false;
	for (i = 0; i < na; i++) {
		bool ok = false;

		for (j = 0; j < nb && !ok; j++)
			ok = ike_ts_subset(&a[i], &b[j]);
		if (!ok)
			return false;
	}
	return true;
}

const char *
ike_ts_str(const struct ike_ts *ts, char *buf, size_t len)
{
	char lo[IKE_ADDR_STRLEN], hi[IKE_ADDR_STRLEN];

	snprintf(buf, len, "%s(%u,%u-%u,%s-%s)", ts->family == AF_INET6 ? "ipv6" : "ipv4",
	    ts->proto, ts->port_lo, ts->port_hi, ike_addr_str(&ts->lo, lo, sizeof(lo)),
	    ike_addr_str(&ts->hi, hi, sizeof(hi)));
	return buf;
}
