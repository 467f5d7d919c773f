/* SPDX-License-Identifier: MIT */
/* sa_pick: see sa_pick.h. */
#include "sa_pick.h"

#include <errno.h>
#include <string.h>

#include "banned.h"

static bool
same_addr(const struct dp_addr *a, const struct dp_addr *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && memcmp(a->u.b, b->u.b, n) == 0;
}

int
sa_pick_update(
    const void *tab, size_t n, sa_pick_get get, const struct dp_sa *sa, struct sa_pick *out)
{
	const struct dp_addr *dst = sa->dir == DP_DIR_IN ? &sa->local : &sa->remote;
	struct sa_ident e;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		get(tab, i, &e);
		if (e.spi != sa->spi || e.dir != sa->dir || e.larval || !same_addr(&e.dst, dst))
			continue;
		if (sa->tunnel_id != 0 && e.tunnel_id != sa->tunnel_id) {
			out->how = SA_PICK_OTHER_TUNNEL;
			out->other = e.tunnel_id;
			return -EEXIST;
		}
		out->how = SA_PICK_EXACT;
		out->at = i;
		return 0;
	}
	if (sa->dir == DP_DIR_OUT)
		for (size_t i = 0; i < n; i++) {
			get(tab, i, &e);
			if (e.spi != sa->spi || e.dir != DP_DIR_OUT || e.larval ||
			    (sa->tunnel_id != 0 && e.tunnel_id != sa->tunnel_id))
				continue;
			if (out->n++ == 0)
				out->at = i;
		}
	if (out->n == 1) {
		out->how = SA_PICK_TUNNEL;
		return 0;
	}
	out->how = out->n == 0 ? SA_PICK_NONE : SA_PICK_AMBIGUOUS;
	return out->n == 0 ? -ENOENT : -EEXIST;
}
