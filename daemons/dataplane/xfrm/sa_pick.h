/* SPDX-License-Identifier: MIT */
/*
 * sa_pick: which installed SA a dp_sa_update() names, in the kernel
 * backend's table. The SPI and direction alone do not name one: outbound
 * SPIs are chosen by the peers, so two peers may pick the same SPI (the
 * kernel keys SAs by destination and SPI). Pure: the table is read through
 * a callback (dp_kernel.c's SA array, a plain array in the unit test).
 */
#ifndef CAIRN_SA_PICK_H
#define CAIRN_SA_PICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp.h"

/* What the lookup needs of one table entry. */
struct sa_ident {
	uint32_t spi;
	enum dp_dir dir;
	struct dp_addr dst; /* the kernel's lookup address */
	uint32_t tunnel_id;
	bool larval; /* an allocated SPI not yet an SA: never updated */
};

/* Fills *out with entry i of tab. */
typedef void (*sa_pick_get)(const void *tab, size_t i, struct sa_ident *out);

enum sa_pick_how {
	SA_PICK_EXACT,        /* at the update's destination, of its tunnel */
	SA_PICK_TUNNEL,       /* outbound: the one SA of that SPI in the tunnel (peer moved) */
	SA_PICK_NONE,         /* -ENOENT: no such SA */
	SA_PICK_OTHER_TUNNEL, /* -EEXIST: the SA at that destination is another tunnel's */
	SA_PICK_AMBIGUOUS,    /* -EEXIST: several candidates, no tunnel tells them apart */
};

struct sa_pick {
	enum sa_pick_how how;
	size_t at;      /* SA_PICK_EXACT, SA_PICK_TUNNEL: the entry */
	uint32_t other; /* SA_PICK_OTHER_TUNNEL: the tunnel it belongs to */
	unsigned n;     /* SA_PICK_AMBIGUOUS: how many candidates */
};

/*
 * The entry sa (as passed to dp_sa_update) names: first the SA at the
 * destination sa carries (inbound: sa->local; outbound: sa->remote, the
 * current one unless the peer moved), which must be sa->tunnel_id's; else,
 * outbound only, the one SA of that SPI in sa->tunnel_id (the peer moved:
 * the old destination is not passed). A tunnel id of 0 (none given)
 * accepts only an SPI no other outbound SA has. Never guesses.
 * Returns 0 (found: out->at), -ENOENT or -EEXIST (out->how says why).
 */
int sa_pick_update(
    const void *tab, size_t n, sa_pick_get get, const struct dp_sa *sa, struct sa_pick *out);

#endif
