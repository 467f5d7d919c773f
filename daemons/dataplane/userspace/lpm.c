/* SPDX-License-Identifier: MIT */
/*
 * lpm: prefix tables per length (see lpm.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lpm.h"

static void
mask_addr(uint8_t *out, const uint8_t *in, size_t alen, uint8_t len)
{
	size_t i;

	for (i = 0; i < alen; i++) {
		if (len >= 8) {
			out[i] = in[i];
			len -= 8;
		} else {
			out[i] = (uint8_t)(in[i] & (0xff << (8 - len)));
			len = 0;
		}
	}
	for (; i < 16; i++)
		out[i] = 0;
}

/* the family and length in the top 16 bits (lpm_route_family/_len) */
static uint64_t
route_hash(uint8_t family, uint8_t len, const uint8_t *key)
{
	return ((uint64_t)family << 56) | ((uint64_t)len << 48) |
	       (hmap_bytes(key, 16, ((uint64_t)family << 8) | len) & 0xffffffffffffULL);
}

static void
set_nexthop(struct lpm_route *r, const struct dp_addr *nexthop)
{
	if (nexthop != NULL && nexthop->family != 0) {
		r->nh_family = nexthop->family;
		memcpy(r->nh, nexthop->u.b, sizeof(r->nh));
	} else {
		r->nh_family = 0;
		memset(r->nh, 0, sizeof(r->nh));
	}
}

int
lpm_init(struct lpm *l)
{
	memset(l, 0, sizeof(*l));
	return hmap_init(&l->h, 64);
}

static void
free_route(struct hnode *n, void *arg)
{
	(void)arg;
	free(hmap_entry(n, struct lpm_route, hn));
}

void
lpm_fini(struct lpm *l)
{
	if (l->h.b != NULL)
		hmap_walk(&l->h, free_route, NULL);
	hmap_fini(&l->h);
}

static void
rebuild_lens(struct lpm *l)
{
	int i;

	l->n4 = l->n6 = 0;
	for (i = 32; i >= 0; i--)
		if (l->count4[i])
			l->lens4[l->n4++] = (uint8_t)i;
	for (i = 128; i >= 0; i--)
		if (l->count6[i])
			l->lens6[l->n6++] = (uint8_t)i;
}

static struct lpm_route *
find(const struct lpm *l, uint8_t family, uint8_t len, const uint8_t *key)
{
	uint64_t h = route_hash(family, len, key);
	struct hnode *it;

	HMAP_FOR_HASH(&l->h, h, it)
	{
		/* an equal hash is an equal family and length */
		struct lpm_route *r = hmap_entry(it, struct lpm_route, hn);
		if (memcmp(r->key, key, 16) == 0)
			return r;
	}
	return NULL;
}

int
lpm_add(struct lpm *l, const struct dp_prefix *p, uint32_t unit, const struct dp_addr *nexthop)
{
	uint8_t key[16];
	struct lpm_route *r;
	size_t alen;

	if (p->addr.family == AF_INET && p->len <= 32)
		alen = 4;
	else if (p->addr.family == AF_INET6 && p->len <= 128)
		alen = 16;
	else
		return -EINVAL;
	mask_addr(key, p->addr.u.b, alen, p->len);
	r = find(l, p->addr.family, p->len, key);
	if (r != NULL) {
		if (r->refs == UINT16_MAX)
			return -EOVERFLOW;
		r->refs++;
		r->unit = unit;
		set_nexthop(r, nexthop);
		return 0;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	memcpy(r->key, key, 16);
	r->refs = 1;
	r->unit = unit;
	set_nexthop(r, nexthop);
	if (hmap_insert(&l->h, &r->hn, route_hash(p->addr.family, p->len, key)) < 0) {
		free(r);
		return -ENOMEM;
	}
	if (p->addr.family == AF_INET)
		l->count4[p->len]++;
	else
		l->count6[p->len]++;
	rebuild_lens(l);
	return 0;
}

static void
remove_route(struct lpm *l, struct lpm_route *r)
{
	hmap_remove(&l->h, &r->hn);
	if (lpm_route_family(r) == AF_INET)
		l->count4[lpm_route_len(r)]--;
	else
		l->count6[lpm_route_len(r)]--;
	free(r);
}

int
lpm_del(struct lpm *l, const struct dp_prefix *p)
{
	uint8_t key[16];
	struct lpm_route *r;
	size_t alen = p->addr.family == AF_INET ? 4 : 16;

	if ((p->addr.family != AF_INET && p->addr.family != AF_INET6) || p->len > alen * 8)
		return -EINVAL;
	mask_addr(key, p->addr.u.b, alen, p->len);
	r = find(l, p->addr.family, p->len, key);
	if (r == NULL)
		return -ENOENT;
	if (--r->refs > 0)
		return 0;
	remove_route(l, r);
	rebuild_lens(l);
	return 0;
}

const struct lpm_route *
lpm_lookup(const struct lpm *l, uint8_t family, const uint8_t *addr)
{
	const uint8_t *lens = family == AF_INET ? l->lens4 : l->lens6;
	unsigned n = family == AF_INET ? l->n4 : l->n6, i;
	size_t alen = family == AF_INET ? 4 : 16;
	uint8_t key[16];
	struct lpm_route *r;

	for (i = 0; i < n; i++) {
		mask_addr(key, addr, alen, lens[i]);
		r = find(l, family, lens[i], key);
		if (r != NULL)
			return r;
	}
	return NULL;
}

struct del_unit_ctx {
	struct lpm *l;
	uint32_t unit;
};

static void
del_unit_one(struct hnode *n, void *arg)
{
	struct del_unit_ctx *c = arg;
	struct lpm_route *r = hmap_entry(n, struct lpm_route, hn);

	if (r->unit == c->unit)
		remove_route(c->l, r);
}

void
lpm_del_unit(struct lpm *l, uint32_t unit)
{
	struct del_unit_ctx c = { l, unit };

	hmap_walk(&l->h, del_unit_one, &c);
	rebuild_lens(l);
}
