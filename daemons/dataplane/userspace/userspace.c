/* SPDX-License-Identifier: MIT */
/*
 * userspace: dp_userspace_ops, the control side of the userspace backend
 * (us.h, docs/dataplane.md). It validates requests, programs the kernel
 * (st0 addresses, routes into st0, policy rules) over rtnetlink, keeps a
 * registry of what it installed, and changes the SPUs' tables by posting
 * control messages and waiting for every SPU to apply them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/fib_rules.h>

#include <openssl/rand.h>

#include "log.h"
#include "us.h"
#include "us_rtmtu.h"
#include "xmem.h"

#define ALL_SPUS UINT32_MAX

struct c_unit {
	struct hnode hn;
	struct us_unit *d;
	int adev; /* slot of the device its addresses are on (us->adev), -1: none */
};

struct c_route {
	struct hnode hn;
	struct dp_route r;
	bool subnet;    /* a unit's own subnet */
	bool installed; /* in the kernel now */
};

struct c_tunnel {
	struct hnode hn;
	struct us_tunnel *d;
};

struct c_sa {
	struct hnode hn;
	uint32_t spi;
	enum dp_dir dir;
	struct dp_addr dst;
	uint32_t tunnel_id;
	uint32_t spu;
	uint32_t outer_mtu; /* outbound: as the owner SPU has it */
};

struct c_policy {
	struct hnode hn;
	struct us_policy *d;
	struct nl_rule *rules;
	uint32_t nrules;
};

struct c_spi {
	struct hnode hn;
	uint32_t spi;
};

const char *
us_addr_str(const struct dp_addr *a, char *buf, size_t len)
{
	if (a->family == AF_INET || a->family == AF_INET6)
		return inet_ntop(a->family, a->u.b, buf, (socklen_t)len);
	snprintf(buf, len, "(none)");
	return buf;
}

uint64_t
us_sa_key(uint32_t spi, enum dp_dir dir, const struct dp_addr *dst)
{
	uint64_t h = hmap_mix(((uint64_t)spi << 1) | (dir == DP_DIR_OUT));

	/* inbound SPIs are unique by themselves; outbound ones per peer */
	if (dir == DP_DIR_OUT && dst != NULL)
		h ^= hmap_bytes(dst->u.b, dp_addr_len(dst->family), dst->family);
	return h;
}

/* ---- control messages ---- */

static void
ctl_post(struct us *us, struct ctl_msg *m, uint32_t target)
{
	uint32_t i, n = target == ALL_SPUS ? us->nspu : 1;
	uint64_t one = 1;

	atomic_store(&m->pending, n);
	atomic_store(&m->rc, 0);
	for (i = 0; i < us->nspu; i++) {
		if (target != ALL_SPUS && i != target)
			continue;
		atomic_store_explicit(&us->spu[i].inbox, m, memory_order_release);
		if (write(us->spu[i].wakefd, &one, sizeof(one)) < 0) {
			/* counter saturated: it is awake */
		}
	}
}

/* Waits until every SPU is done with ms[0..n); 0 or -ETIMEDOUT. */
static int
ctl_wait(struct us *us, struct ctl_msg *const *ms, uint32_t n)
{
	struct pollfd pfd = { .fd = us->done_fd, .events = POLLIN };
	uint32_t i;
	uint64_t v;
	int waited = 0;

	for (i = 0; i < n; i++) {
		while (atomic_load_explicit(&ms[i]->pending, memory_order_acquire) > 0) {
			if (poll(&pfd, 1, 1000) > 0) {
				if (read(us->done_fd, &v, sizeof(v)) < 0) {
					/* drained by an earlier wait */
				}
			} else if (++waited >= 30) {
				/* an SPU is stuck: the messages stay allocated (it may
				 * still read them) */
				return -ETIMEDOUT;
			}
		}
	}
	return 0;
}

static void batch_flush(struct us *us);

static int
ctl_run(struct us *us, struct ctl_msg *m, uint32_t target)
{
	int rc;

	/* what a batch queued goes first: the SPUs apply messages in order */
	if (us->nbq > 0)
		batch_flush(us);
	ctl_post(us, m, target);
	if ((rc = ctl_wait(us, &m, 1)) < 0)
		return rc;
	return atomic_load(&m->rc);
}

/*
 * Posts what a batch queued: one CTL_BATCH message per SPU with the queued
 * messages meant for it, in order, and one wait for all of them (instead
 * of a wake-up and a wait per message). A failure is kept for
 * us_batch_end.
 */
struct ctl_batch {
	struct ctl_msg m;
	struct ctl_msg *subs[US_BATCH_MAX];
};

static void
batch_flush(struct us *us)
{
	struct ctl_msg *per[US_MAX_SPUS];
	uint32_t i, j, nper = 0, nq = us->nbq;
	bool posted;
	int rc = 0;

	us->nbq = 0;
	if (nq == 0)
		return;
	/* all or nothing: every SPU's message exists before the first is posted */
	for (i = 0; i < us->nspu; i++) {
		struct ctl_batch *b;
		uint32_t k = 0;

		for (j = 0; j < nq; j++)
			if (us->bq_target[j] == ALL_SPUS || us->bq_target[j] == i)
				k++;
		if (k == 0)
			continue;
		if ((b = calloc(1, sizeof(*b))) == NULL) {
			rc = -ENOMEM;
			break;
		}
		for (j = 0, k = 0; j < nq; j++)
			if (us->bq_target[j] == ALL_SPUS || us->bq_target[j] == i)
				b->subs[k++] = us->bq[j];
		b->m.op = CTL_BATCH;
		b->m.subs = b->subs;
		b->m.nsubs = k;
		b->m.b.owner = i; /* the SPU it is for */
		per[nper++] = &b->m;
	}
	if (rc == 0)
		for (i = 0; i < nper; i++)
			ctl_post(us, per[i], per[i]->b.owner);
	if (rc == 0 && ctl_wait(us, per, nper) < 0) {
		/* a stuck SPU: everything stays allocated (it may still read it) */
		if (us->batch_rc == 0)
			us->batch_rc = -ETIMEDOUT;
		return;
	}
	posted = rc == 0;
	for (i = 0; i < nper; i++) {
		int r = atomic_load(&per[i]->rc);
		if (r < 0 && rc == 0)
			rc = r;
		free(per[i]); /* the ctl_batch: m is its first member */
	}
	for (j = 0; j < nq; j++)
		free(us->bq[j]);
	/* what the SPUs used before the batch (still used if nothing was posted) */
	if (posted)
		for (j = 0; j < us->nbfree; j++)
			free(us->bfree[j]);
	us->nbfree = 0;
	if (rc < 0 && us->batch_rc == 0)
		us->batch_rc = rc;
}

/* Queues a heap copy of *m for target (a batch is open); 0 or -ENOMEM. */
static int
batch_queue(struct us *us, const struct ctl_msg *m, uint32_t target)
{
	struct ctl_msg *c;

	if (us->nbq == US_BATCH_MAX)
		batch_flush(us);
	if ((c = malloc(sizeof(*c))) == NULL)
		return -ENOMEM;
	*c = *m;
	us->bq[us->nbq] = c;
	us->bq_target[us->nbq] = target;
	us->nbq++;
	return 0;
}

/* For messages on the stack: only if ctl_run did not time out. */
#define CTL_MSG(name, opv)                                                                         \
	struct ctl_msg name;                                                                       \
	memset(&name, 0, sizeof(name));                                                            \
	name.op = (opv)

static int
ctl_run_heap(struct us *us, const struct ctl_msg *tmpl, uint32_t target, struct ctl_msg *out)
{
	struct ctl_msg *m = malloc(sizeof(*m));
	int rc;

	if (m == NULL)
		return -ENOMEM;
	*m = *tmpl;
	rc = ctl_run(us, m, target);
	if (rc == -ETIMEDOUT)
		return rc; /* leaked on purpose */
	if (out != NULL)
		*out = *m;
	free(m);
	return rc;
}

/* ---- registry lookups ---- */

static struct c_unit *
c_unit_find(struct us *us, uint32_t id)
{
	uint64_t h = hmap_mix(id);
	struct hnode *it;

	HMAP_FOR_HASH(&us->units, h, it)
	{
		struct c_unit *u = hmap_entry(it, struct c_unit, hn);
		if (u->d->u.unit == id)
			return u;
	}
	return NULL;
}

static struct c_tunnel *
c_tunnel_find(struct us *us, uint32_t id)
{
	uint64_t h = hmap_mix(id);
	struct hnode *it;

	HMAP_FOR_HASH(&us->tunnels, h, it)
	{
		struct c_tunnel *t = hmap_entry(it, struct c_tunnel, hn);
		if (t->d->t.id == id)
			return t;
	}
	return NULL;
}

static struct c_sa *
c_sa_find(struct us *us, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst)
{
	uint64_t h = us_sa_key(spi, dir, dst);
	struct hnode *it;

	HMAP_FOR_HASH(&us->sas, h, it)
	{
		struct c_sa *s = hmap_entry(it, struct c_sa, hn);
		if (s->spi == spi && s->dir == dir &&
		    (dir == DP_DIR_IN || dst == NULL || dp_addr_eq(&s->dst, dst)))
			return s;
	}
	return NULL;
}

static uint64_t
route_hash(const struct dp_route *r)
{
	uint8_t key[24];

	memset(key, 0, sizeof(key));
	key[0] = r->dst.addr.family;
	key[1] = r->dst.len;
	memcpy(key + 2, r->dst.addr.u.b, dp_addr_len(r->dst.addr.family));
	memcpy(key + 18, &r->table, 4);
	return hmap_bytes(key, sizeof(key), 7);
}

static struct c_route *
c_route_find(struct us *us, const struct dp_route *r)
{
	uint64_t h = route_hash(r);
	struct hnode *it;

	HMAP_FOR_HASH(&us->routes, h, it)
	{
		struct c_route *c = hmap_entry(it, struct c_route, hn);
		if (c->r.table == r->table && c->r.dst.len == r->dst.len &&
		    dp_addr_eq(&c->r.dst.addr, &r->dst.addr))
			return c;
	}
	return NULL;
}

static struct c_policy *
c_policy_find(struct us *us, uint32_t id)
{
	uint64_t h = hmap_mix((uint64_t)id | (3ULL << 40));
	struct hnode *it;

	HMAP_FOR_HASH(&us->policies, h, it)
	{
		struct c_policy *p = hmap_entry(it, struct c_policy, hn);
		if (p->d->p.id == id)
			return p;
	}
	return NULL;
}

static struct c_spi *
c_spi_find(struct us *us, uint32_t spi)
{
	uint64_t h = hmap_mix((uint64_t)spi | (4ULL << 40));
	struct hnode *it;

	HMAP_FOR_HASH(&us->spis_reserved, h, it)
	{
		struct c_spi *c = hmap_entry(it, struct c_spi, hn);
		if (c->spi == spi)
			return c;
	}
	return NULL;
}

/* An inbound SA now owns spi: its reservation (us_spi_alloc) goes. */
static void
c_spi_release(struct us *us, uint32_t spi)
{
	struct c_spi *res = c_spi_find(us, spi);

	if (res != NULL) {
		hmap_remove(&us->spis_reserved, &res->hn);
		free(res);
	}
}

/* ---- validation helpers ---- */

static bool
prefix_ok(const struct dp_prefix *p)
{
	return (p->addr.family == AF_INET && p->len <= 32) ||
	       (p->addr.family == AF_INET6 && p->len <= 128);
}

static void
prefix_mask(struct dp_prefix *p)
{
	size_t n = dp_addr_len(p->addr.family), i;
	uint8_t len = p->len;

	for (i = 0; i < n; i++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		p->addr.u.b[i] &= (uint8_t)(0xff << (8 - len));
		len = 0;
	}
}

static const char *
pfx_str(const struct dp_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", us_addr_str(&p->addr, a, sizeof(a)), p->len);
	return buf;
}

/* ---- units and routes ---- */

static int
route_kernel(struct us *us, const struct c_route *c, bool add, uint32_t mtu,
    const struct dp_addr *prefsrc, struct errbuf *err)
{
	struct nl_route r;

	memset(&r, 0, sizeof(r));
	r.dst = c->r.dst;
	r.gw = c->r.nexthop;
	r.table = c->r.table;
	r.metric = c->r.metric;
	r.mtu = mtu;
	r.ifindex = us->ifindex;
	if (prefsrc != NULL)
		r.prefsrc = *prefsrc;
	return nl_route(us->nl, add, &r, err);
}

/* The unit's address of a family: the source of what leaves through it. */
static const struct dp_addr *
unit_src(const struct us_unit *u, uint8_t family)
{
	const struct dp_prefix *p = family == AF_INET ? &u->u.addr4 : &u->u.addr6;

	return p->addr.family == family ? &p->addr : NULL;
}

struct unit_routes_ctx {
	struct us *us;
	const struct us_unit *u;
	bool up;
	int rc;
	struct errbuf *err;
};

static void
unit_routes_one(struct hnode *n, void *arg)
{
	struct unit_routes_ctx *c = arg;
	struct c_route *r = hmap_entry(n, struct c_route, hn);
	const struct dp_addr *src = NULL;
	int rc;

	if (r->r.unit != c->u->u.unit)
		return;
	src = unit_src(c->u, r->r.dst.addr.family);
	if (c->up) {
		rc = route_kernel(c->us, r, true, c->u->mtu, src, c->err);
		if (rc == 0)
			r->installed = true;
		else if (c->rc == 0)
			c->rc = rc;
	} else if (r->installed) {
		route_kernel(c->us, r, false, 0, NULL, NULL);
		r->installed = false;
	}
}

/* (Re)installs or removes the kernel routes of a unit. */
static int
unit_routes(struct us *us, const struct us_unit *u, bool up, struct errbuf *err)
{
	struct unit_routes_ctx c = { us, u, up, 0, err };

	hmap_walk(&us->routes, unit_routes_one, &c);
	return c.rc;
}

static int
route_insert(struct us *us, const struct dp_route *r, bool subnet, struct c_route **out)
{
	struct c_route *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -ENOMEM;
	c->r = *r;
	c->subnet = subnet;
	if (hmap_insert(&us->routes, &c->hn, route_hash(r)) < 0) {
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

static void
route_remove(struct us *us, struct c_route *c)
{
	if (c->installed)
		route_kernel(us, c, false, 0, NULL, NULL);
	hmap_remove(&us->routes, &c->hn);
	free(c);
}

static int
spu_route(struct us *us, enum ctl_op op, const struct dp_route *r)
{
	CTL_MSG(m, op);
	m.route = *r;
	return ctl_run(us, &m, ALL_SPUS);
}

/*
 * The address device for a unit's addresses: the one it has, else the
 * first with room for one more unit, else a new one (us_io.c).
 */
static int
adev_take(struct us *us, struct c_unit *c, struct errbuf *err)
{
	uint32_t i, slot = UINT32_MAX;
	struct us_adev *a;
	int rc;

	if (c->adev >= 0)
		return 0;
	for (i = 0; i < us->nadev; i++) {
		if (us->adev[i].fd >= 0 && us->adev[i].units < US_ADEV_UNITS)
			break;
		if (us->adev[i].fd < 0 && slot == UINT32_MAX)
			slot = i;
	}
	if (i == us->nadev) {
		if (slot == UINT32_MAX) {
			a = realloc(us->adev, (us->nadev + 1) * sizeof(*a));
			if (a == NULL)
				return errbuf_set(err, -ENOMEM, "out of memory");
			us->adev = a;
			slot = us->nadev++;
			a[slot].fd = -1;
			a[slot].ifindex = 0;
			a[slot].units = 0;
		}
		if ((rc = us_adev_open(us, slot, err)) < 0)
			return rc;
		i = slot;
	}
	us->adev[i].units++;
	c->adev = (int)i;
	return 0;
}

/* The unit no longer has addresses: an address device left empty goes. */
static void
adev_put(struct us *us, struct c_unit *c)
{
	if (c->adev < 0)
		return;
	if (--us->adev[c->adev].units == 0)
		us_adev_close(us, (uint32_t)c->adev);
	c->adev = -1;
}

static int
adev_ifindex(const struct us *us, const struct c_unit *c)
{
	return c->adev >= 0 ? us->adev[c->adev].ifindex : 0;
}

/* A unit's address: the address on its device and its subnet as a route. */
static int
unit_addr(struct us *us, int ifindex, const struct us_unit *u, const struct dp_prefix *p, bool add,
    struct errbuf *err)
{
	struct dp_route r;
	struct c_route *c;
	int rc;

	memset(&r, 0, sizeof(r));
	r.dst = *p;
	prefix_mask(&r.dst);
	r.unit = u->u.unit;
	if (!add) {
		nl_addr(us->nl, false, ifindex, p, NULL);
		if ((c = c_route_find(us, &r)) != NULL && c->subnet) {
			spu_route(us, CTL_ROUTE_DEL, &c->r);
			route_remove(us, c);
		}
		return 0;
	}
	if ((rc = nl_addr(us->nl, true, ifindex, p, err)) < 0)
		return rc;
	if ((c = c_route_find(us, &r)) == NULL) {
		if ((rc = route_insert(us, &r, true, &c)) < 0)
			return errbuf_set(err, rc, "out of memory");
		if ((rc = spu_route(us, CTL_ROUTE_ADD, &r)) < 0)
			return errbuf_set(
			    err, rc, "st0.%u: SPU route table: %s", u->u.unit, strerror(-rc));
	}
	if (u->u.up) {
		if ((rc = route_kernel(us, c, true, u->mtu, &p->addr, err)) < 0)
			return rc;
		c->installed = true;
	}
	return 0;
}

static bool
prefix_eq(const struct dp_prefix *a, const struct dp_prefix *b)
{
	return a->len == b->len && dp_addr_eq(&a->addr, &b->addr);
}

static int
us_unit_set(void *impl, const struct dp_unit *u, struct errbuf *err)
{
	struct us *us = impl;
	struct c_unit *c = c_unit_find(us, u->unit);
	struct us_unit *d, *old = c != NULL ? c->d : NULL;
	const struct dp_prefix *np[2] = { &u->addr4, &u->addr6 }, *op[2];
	int rc, i;
	CTL_MSG(m, CTL_UNIT_SET);

	if (u->mtu != 0 && (u->mtu < 576 || u->mtu > 9192))
		return errbuf_set(
		    err, -EINVAL, "st0.%u: MTU %u out of range 576..9192", u->unit, u->mtu);
	if ((u->addr4.addr.family != 0 &&
	        (u->addr4.addr.family != AF_INET || !prefix_ok(&u->addr4))) ||
	    (u->addr6.addr.family != 0 &&
	        (u->addr6.addr.family != AF_INET6 || !prefix_ok(&u->addr6))))
		return errbuf_set(err, -EINVAL, "st0.%u: bad address", u->unit);
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return errbuf_set(err, -ENOMEM, "out of memory");
	d->u = *u;
	d->mtu = u->mtu ? u->mtu : US_DEFAULT_MTU;

	m.a = d;
	if ((rc = ctl_run(us, &m, ALL_SPUS)) < 0) {
		if (rc != -ETIMEDOUT)
			free(d);
		return errbuf_set(err, rc, "st0.%u: SPUs: %s", u->unit, strerror(-rc));
	}
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL || hmap_insert(&us->units, &c->hn, hmap_mix(u->unit)) < 0) {
			free(c);
			return errbuf_set(err, -ENOMEM, "out of memory");
		}
		c->adev = -1;
	}
	c->d = d;

	/* addresses that went away or changed */
	op[0] = old != NULL ? &old->u.addr4 : NULL;
	op[1] = old != NULL ? &old->u.addr6 : NULL;
	for (i = 0; i < 2; i++) {
		if (op[i] != NULL && op[i]->addr.family != 0 && !prefix_eq(op[i], np[i]))
			unit_addr(us, adev_ifindex(us, c), old, op[i], false, NULL);
	}
	/* link state and MTU: the kernel routes follow */
	if (old != NULL && (old->u.up != u->up || old->mtu != d->mtu))
		rc = unit_routes(us, d, u->up, err);
	if (np[0]->addr.family == 0 && np[1]->addr.family == 0)
		adev_put(us, c);
	else if (rc == 0)
		rc = adev_take(us, c, err);
	for (i = 0; i < 2 && rc == 0; i++) {
		if (np[i]->addr.family != 0 && (op[i] == NULL || !prefix_eq(op[i], np[i])))
			rc = unit_addr(us, adev_ifindex(us, c), d, np[i], true, err);
	}
	free(old); /* every SPU points at d now */
	return rc;
}

struct del_routes_ctx {
	struct us *us;
	uint32_t unit;
};

static void
del_unit_route(struct hnode *n, void *arg)
{
	struct del_routes_ctx *c = arg;
	struct c_route *r = hmap_entry(n, struct c_route, hn);

	if (r->r.unit == c->unit)
		route_remove(c->us, r);
}

static int
us_unit_del(void *impl, uint32_t unit, struct errbuf *err)
{
	struct us *us = impl;
	struct c_unit *c = c_unit_find(us, unit);
	struct del_routes_ctx dc = { us, unit };
	int rc;
	CTL_MSG(m, CTL_UNIT_SET);

	if (c == NULL)
		return errbuf_set(err, -ENOENT, "st0.%u is not configured", unit);
	m.a = NULL;
	m.b.id = unit;
	if ((rc = ctl_run(us, &m, ALL_SPUS)) < 0)
		return errbuf_set(err, rc, "st0.%u: SPUs: %s", unit, strerror(-rc));
	hmap_walk(&us->routes, del_unit_route, &dc);
	if (c->d->u.addr4.addr.family != 0)
		nl_addr(us->nl, false, adev_ifindex(us, c), &c->d->u.addr4, NULL);
	if (c->d->u.addr6.addr.family != 0)
		nl_addr(us->nl, false, adev_ifindex(us, c), &c->d->u.addr6, NULL);
	adev_put(us, c);
	hmap_remove(&us->units, &c->hn);
	free(c->d);
	free(c);
	return 0;
}

/* What us_units_create() did so far, to undo on failure. */
struct ucreate {
	struct us_unit **d;     /* n, every one registered once posted */
	bool *addr;             /* 2n: address i / 2 family i % 2 is in the kernel */
	struct c_route **route; /* 2n: subnet routes inserted (NULL: none, or not ours) */
	struct dp_route *spu;   /* the subnet routes posted to the SPUs */
	uint32_t n_spu;
	bool posted, spu_routes;
};

static void
units_create_undo(struct us *us, const struct dp_unit *u, size_t n, struct ucreate *x)
{
	const struct dp_prefix *p;
	struct c_unit *c;
	size_t i;
	uint32_t k;
	CTL_MSG(m, CTL_ROUTE_DEL);

	for (i = 0; i < 2 * n; i++) {
		if (x->route[i] != NULL)
			route_remove(us, x->route[i]); /* and its kernel route */
	}
	for (k = 0; x->spu_routes && k < x->n_spu; k++) {
		m.route = x->spu[k];
		ctl_run(us, &m, ALL_SPUS);
	}
	for (i = 0; i < 2 * n; i++) {
		p = i % 2 == 0 ? &u[i / 2].addr4 : &u[i / 2].addr6;
		if (x->addr[i] && (c = c_unit_find(us, u[i / 2].unit)) != NULL &&
		    c->d == x->d[i / 2])
			nl_addr(us->nl, false, adev_ifindex(us, c), p, NULL);
	}
	for (i = 0; i < n; i++) {
		if ((c = c_unit_find(us, u[i].unit)) != NULL && c->d == x->d[i]) {
			adev_put(us, c);
			hmap_remove(&us->units, &c->hn);
			free(c);
		}
		if (x->posted) {
			CTL_MSG(del, CTL_UNIT_SET);
			del.a = NULL;
			del.b.id = u[i].unit;
			if (ctl_run(us, &del, ALL_SPUS) == -ETIMEDOUT)
				continue; /* an SPU may still point at it */
		}
		free(x->d[i]);
	}
}

/* One by one (a unit of the batch exists already: create or update). */
static int
units_set_each(struct us *us, const struct dp_unit *u, size_t n, size_t *failed, struct errbuf *err)
{
	bool *had = calloc(n, sizeof(*had));
	size_t i, j;
	int rc = 0;

	if (had == NULL)
		return errbuf_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		had[i] = c_unit_find(us, u[i].unit) != NULL;
		if ((rc = us_unit_set(us, &u[i], err)) < 0) {
			for (j = 0; j <= i; j++)
				if (!had[j])
					us_unit_del(us, u[j].unit, NULL);
			*failed = i;
			break;
		}
	}
	free(had);
	return rc;
}

/*
 * New units in bulk: one SPU message for all of them, one for their subnet
 * routes, then their addresses and kernel routes (as us_unit_set() and
 * unit_addr() do one by one: 2 SPU round trips per unit fewer).
 */
static int
us_units_create(void *impl, const struct dp_unit *u, size_t n, size_t *failed, struct errbuf *err)
{
	struct us *us = impl;
	struct ucreate x;
	struct c_unit *c;
	struct c_route *cr;
	struct dp_route r;
	const struct dp_prefix *p;
	size_t i, f;
	int rc = 0;
	CTL_MSG(m, CTL_UNITS_SET);

	*failed = 0;
	if (n == 0)
		return 0;
	if (n > UINT32_MAX / 2)
		return errbuf_set(err, -E2BIG, "too many units at once");
	for (i = 0; i < n; i++) {
		*failed = i;
		if (c_unit_find(us, u[i].unit) != NULL)
			return units_set_each(us, u, n, failed, err);
		if (u[i].mtu != 0 && (u[i].mtu < 576 || u[i].mtu > 9192))
			return errbuf_set(err, -EINVAL, "st0.%u: MTU %u out of range 576..9192",
			    u[i].unit, u[i].mtu);
		if ((u[i].addr4.addr.family != 0 &&
		        (u[i].addr4.addr.family != AF_INET || !prefix_ok(&u[i].addr4))) ||
		    (u[i].addr6.addr.family != 0 &&
		        (u[i].addr6.addr.family != AF_INET6 || !prefix_ok(&u[i].addr6))))
			return errbuf_set(err, -EINVAL, "st0.%u: bad address", u[i].unit);
	}
	*failed = 0;
	memset(&x, 0, sizeof(x));
	x.d = calloc(n, sizeof(*x.d));
	x.addr = calloc(2 * n, sizeof(*x.addr));
	x.route = calloc(2 * n, sizeof(*x.route));
	x.spu = calloc(2 * n, sizeof(*x.spu));
	if (x.d == NULL || x.addr == NULL || x.route == NULL || x.spu == NULL) {
		rc = errbuf_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((x.d[i] = calloc(1, sizeof(*x.d[i]))) == NULL) {
			*failed = i;
			rc = errbuf_set(err, -ENOMEM, "out of memory");
			goto undo;
		}
		x.d[i]->u = u[i];
		x.d[i]->mtu = u[i].mtu ? u[i].mtu : US_DEFAULT_MTU;
	}
	m.a = x.d;
	m.b.n = (uint32_t)n;
	x.posted = true;
	if ((rc = ctl_run(us, &m, ALL_SPUS)) < 0) {
		if (rc == -ETIMEDOUT) {
			/* m (on this stack) and the units may still be read: keep them */
			*failed = 0;
			return errbuf_set(err, rc, "st0.%u: SPUs: %s", u[0].unit, strerror(-rc));
		}
		*failed = 0;
		errbuf_set(err, rc, "st0.%u: SPUs: %s", u[0].unit, strerror(-rc));
		goto undo;
	}
	for (i = 0; i < n; i++) {
		c = calloc(1, sizeof(*c));
		if (c == NULL || hmap_insert(&us->units, &c->hn, hmap_mix(u[i].unit)) < 0) {
			free(c);
			*failed = i;
			rc = errbuf_set(err, -ENOMEM, "out of memory");
			goto undo;
		}
		c->d = x.d[i];
		c->adev = -1;
	}
	/* addresses, then the subnet routes into the SPUs, then into the kernel */
	c = NULL;
	for (i = 0; i < 2 * n; i++) {
		p = i % 2 == 0 ? &u[i / 2].addr4 : &u[i / 2].addr6;
		if (p->addr.family == 0)
			continue;
		if ((c == NULL || c->d != x.d[i / 2]) &&
		    (c = c_unit_find(us, u[i / 2].unit)) == NULL) {
			*failed = i / 2; /* cannot be: inserted above */
			rc = errbuf_set(err, -ENOENT, "st0.%u: lost", u[i / 2].unit);
			goto undo;
		}
		if ((rc = adev_take(us, c, err)) < 0 ||
		    (rc = nl_addr(us->nl, true, adev_ifindex(us, c), p, err)) < 0) {
			*failed = i / 2;
			goto undo;
		}
		x.addr[i] = true;
		memset(&r, 0, sizeof(r));
		r.dst = *p;
		prefix_mask(&r.dst);
		r.unit = u[i / 2].unit;
		if (c_route_find(us, &r) != NULL)
			continue;
		if ((rc = route_insert(us, &r, true, &x.route[i])) < 0) {
			*failed = i / 2;
			rc = errbuf_set(err, rc, "out of memory");
			goto undo;
		}
		x.spu[x.n_spu++] = r;
	}
	if (x.n_spu > 0) {
		CTL_MSG(rm, CTL_ROUTES_ADD);
		rm.a = x.spu;
		rm.b.n = x.n_spu;
		x.spu_routes = true;
		if ((rc = ctl_run(us, &rm, ALL_SPUS)) < 0) {
			*failed = 0;
			errbuf_set(
			    err, rc, "st0.%u: SPU route table: %s", u[0].unit, strerror(-rc));
			if (rc == -ETIMEDOUT)
				return rc; /* rm and x.spu may still be read: keep them */
			goto undo;
		}
	}
	for (i = 0; i < 2 * n; i++) {
		p = i % 2 == 0 ? &u[i / 2].addr4 : &u[i / 2].addr6;
		if (p->addr.family == 0 || !u[i / 2].up)
			continue;
		memset(&r, 0, sizeof(r));
		r.dst = *p;
		prefix_mask(&r.dst);
		if ((cr = c_route_find(us, &r)) == NULL)
			continue; /* cannot be: inserted or found above */
		if ((rc = route_kernel(us, cr, true, x.d[i / 2]->mtu, &p->addr, err)) < 0) {
			*failed = i / 2;
			goto undo;
		}
		cr->installed = true;
	}
	rc = 0;
	goto out;
undo:
	f = *failed;
	units_create_undo(us, u, n, &x);
	*failed = f;
out:
	free(x.d);
	free(x.addr);
	free(x.route);
	free(x.spu);
	return rc;
}

static int
us_route_add(void *impl, const struct dp_route *r, struct errbuf *err)
{
	struct us *us = impl;
	struct c_unit *u = c_unit_find(us, r->unit);
	struct dp_route rr = *r;
	struct c_route *c;
	char b[64];
	int rc;

	if (!prefix_ok(&r->dst))
		return errbuf_set(err, -EINVAL, "route: bad destination prefix");
	if (u == NULL)
		return errbuf_set(err, -ENOENT, "route %s: st0.%u is not configured",
		    pfx_str(&r->dst, b, sizeof(b)), r->unit);
	if (r->nexthop.family != 0 && r->nexthop.family != r->dst.addr.family)
		return errbuf_set(err, -EINVAL, "route %s: next hop of another address family",
		    pfx_str(&r->dst, b, sizeof(b)));
	prefix_mask(&rr.dst);
	if ((c = c_route_find(us, &rr)) != NULL) {
		if (c->subnet)
			return errbuf_set(err, -EEXIST, "route %s: is st0.%u's own subnet",
			    pfx_str(&rr.dst, b, sizeof(b)), c->r.unit);
		/* re-pointed: the kernel route is replaced below */
		c->r = rr;
	} else if ((rc = route_insert(us, &rr, false, &c)) < 0) {
		return errbuf_set(err, rc, "out of memory");
	}
	if ((rc = spu_route(us, CTL_ROUTE_ADD, &rr)) < 0)
		return errbuf_set(
		    err, rc, "route %s: SPUs: %s", pfx_str(&rr.dst, b, sizeof(b)), strerror(-rc));
	if (u->d->u.up) {
		if ((rc = route_kernel(
		         us, c, true, u->d->mtu, unit_src(u->d, rr.dst.addr.family), err)) < 0) {
			spu_route(us, CTL_ROUTE_DEL, &rr);
			hmap_remove(&us->routes, &c->hn);
			free(c);
			return rc;
		}
		c->installed = true;
	}
	return 0;
}

static void
route_fail(dp_route_fail_fn fail, void *ctx, size_t i, const struct errbuf *err, size_t *nfail)
{
	(*nfail)++;
	if (fail != NULL)
		fail(ctx, i, err);
}

/*
 * Routes in bulk, each as us_route_add() adds it, with one SPU message for
 * all of them (a commit's 10,000 static routes: 10,000 round trips fewer).
 */
static size_t
us_routes_add(void *impl, const struct dp_route *r, size_t n, dp_route_fail_fn fail, void *ctx)
{
	struct us *us = impl;
	struct dp_route *rr = NULL;
	bool *ok = NULL;
	struct errbuf err;
	struct c_unit *u;
	struct c_route *c;
	size_t i, nfail = 0;
	uint32_t k = 0;
	char b[64];
	int rc;

	if (n == 0)
		return 0;
	rr = calloc(n, sizeof(*rr));
	ok = calloc(n, sizeof(*ok));
	if (rr == NULL || ok == NULL || n > UINT32_MAX) {
		errbuf_set(&err, -ENOMEM, "out of memory");
		for (i = 0; i < n; i++)
			route_fail(fail, ctx, i, &err, &nfail);
		goto out;
	}
	for (i = 0; i < n; i++) {
		errbuf_clear(&err);
		u = c_unit_find(us, r[i].unit);
		if (!prefix_ok(&r[i].dst))
			errbuf_set(&err, -EINVAL, "route: bad destination prefix");
		else if (u == NULL)
			errbuf_set(&err, -ENOENT, "route %s: st0.%u is not configured",
			    pfx_str(&r[i].dst, b, sizeof(b)), r[i].unit);
		else if (r[i].nexthop.family != 0 && r[i].nexthop.family != r[i].dst.addr.family)
			errbuf_set(&err, -EINVAL, "route %s: next hop of another address family",
			    pfx_str(&r[i].dst, b, sizeof(b)));
		if (errbuf_isset(&err)) {
			route_fail(fail, ctx, i, &err, &nfail);
			continue;
		}
		rr[k] = r[i];
		prefix_mask(&rr[k].dst);
		if ((c = c_route_find(us, &rr[k])) != NULL) {
			if (c->subnet) {
				errbuf_set(&err, -EEXIST, "route %s: is st0.%u's own subnet",
				    pfx_str(&rr[k].dst, b, sizeof(b)), c->r.unit);
				route_fail(fail, ctx, i, &err, &nfail);
				continue;
			}
			c->r = rr[k]; /* re-pointed: the kernel route is replaced below */
		} else if (route_insert(us, &rr[k], false, &c) < 0) {
			errbuf_set(&err, -ENOMEM, "out of memory");
			route_fail(fail, ctx, i, &err, &nfail);
			continue;
		}
		ok[i] = true;
		k++;
	}
	if (k > 0) {
		CTL_MSG(m, CTL_ROUTES_ADD);
		m.a = rr;
		m.b.n = k;
		if ((rc = ctl_run(us, &m, ALL_SPUS)) < 0) {
			errbuf_set(&err, rc, "routes: SPUs: %s", strerror(-rc));
			for (i = 0; i < n; i++)
				if (ok[i])
					route_fail(fail, ctx, i, &err, &nfail);
			if (rc == -ETIMEDOUT)
				rr = NULL; /* m (on this stack) and rr may still be read */
			goto out;
		}
	}
	for (i = 0, k = 0; i < n; i++) {
		if (!ok[i])
			continue;
		c = c_route_find(us, &rr[k++]);
		u = c_unit_find(us, r[i].unit);
		if (c == NULL || u == NULL || !u->d->u.up)
			continue;
		errbuf_clear(&err);
		if (route_kernel(
		        us, c, true, u->d->mtu, unit_src(u->d, c->r.dst.addr.family), &err) < 0) {
			spu_route(us, CTL_ROUTE_DEL, &c->r);
			hmap_remove(&us->routes, &c->hn);
			free(c);
			route_fail(fail, ctx, i, &err, &nfail);
			continue;
		}
		c->installed = true;
	}
out:
	free(rr);
	free(ok);
	return nfail;
}

static int
us_route_del(void *impl, const struct dp_route *r, struct errbuf *err)
{
	struct us *us = impl;
	struct dp_route rr = *r;
	struct c_route *c;
	char b[64];

	if (!prefix_ok(&r->dst))
		return errbuf_set(err, -EINVAL, "route: bad destination prefix");
	prefix_mask(&rr.dst);
	c = c_route_find(us, &rr);
	if (c == NULL || c->subnet)
		return errbuf_set(
		    err, -ENOENT, "route %s into st0 not found", pfx_str(&rr.dst, b, sizeof(b)));
	spu_route(us, CTL_ROUTE_DEL, &c->r);
	route_remove(us, c);
	return 0;
}

/* ---- tunnels ---- */

static bool
ts_ok(const struct dp_ts *ts)
{
	return (ts->family == AF_INET || ts->family == AF_INET6) &&
	       ts->addr_lo.family == ts->family && ts->addr_hi.family == ts->family &&
	       ts->port_lo <= ts->port_hi &&
	       memcmp(ts->addr_lo.u.b, ts->addr_hi.u.b, dp_addr_len(ts->family)) <= 0;
}

struct inpol_ctx {
	uint32_t id;
	uint32_t n;
	const struct us_policy *pol[US_TUN_IN_POL_MAX];
};

static void
collect_inpol(struct hnode *n, void *arg)
{
	struct inpol_ctx *c = arg;
	struct c_policy *p = hmap_entry(n, struct c_policy, hn);

	if (p->d->p.dir == DP_DIR_IN && p->d->p.tunnel_id == c->id && c->n < US_TUN_IN_POL_MAX)
		c->pol[c->n++] = p->d;
}

/* The selector that is the whole of its family, any protocol and port. */
static void
ts_whole(uint8_t family, struct dp_ts *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->family = family;
	ts->port_hi = 0xffff;
	ts->addr_lo.family = ts->addr_hi.family = family;
	memset(ts->addr_hi.u.b, 0xff, dp_addr_len(family));
}

/* AF_INET/AF_INET6 when a selector list is one selector that is the whole
 * of its family (kept as us_tun_desc.local_any/remote_any), else 0. */
static uint8_t
ts_list_any(const struct dp_ts *ts, uint32_t n)
{
	struct dp_ts w;
	size_t alen;

	if (n != 1 || (ts->family != AF_INET && ts->family != AF_INET6))
		return 0;
	ts_whole(ts->family, &w);
	alen = dp_addr_len(ts->family);
	return ts->proto == 0 && ts->port_lo == 0 && ts->port_hi == 0xffff &&
	               ts->addr_lo.family == ts->family && ts->addr_hi.family == ts->family &&
	               memcmp(ts->addr_lo.u.b, w.addr_lo.u.b, alen) == 0 &&
	               memcmp(ts->addr_hi.u.b, w.addr_hi.u.b, alen) == 0
	           ? ts->family
	           : 0;
}

/* A tunnel's descriptor in one allocation sized to its selectors and
 * inbound policies (NULL on ENOMEM). A side whose one selector is the
 * whole of its family is kept as that family alone (local_any,
 * remote_any): no selector stored, 104 bytes less for a route-based
 * tunnel, and the per-packet check is one compare. */
static struct us_tunnel *
us_tunnel_new(const struct dp_tunnel *t, const struct inpol_ctx *ic)
{
	uint8_t lany = ts_list_any(t->local_ts, t->n_local_ts);
	uint8_t rany = ts_list_any(t->remote_ts, t->n_remote_ts);
	uint32_t nl = lany ? 0 : t->n_local_ts, nr = rany ? 0 : t->n_remote_ts;
	size_t size = sizeof(struct us_tunnel) + ic->n * sizeof(const struct us_policy *) +
	              ((size_t)nl + nr) * sizeof(struct dp_ts);
	struct us_tunnel *d = calloc(1, size);
	struct dp_ts *ts;

	if (d == NULL)
		return NULL;
	d->in_pol = (const struct us_policy **)(void *)(d + 1);
	d->n_in_pol = ic->n;
	if (ic->n > 0)
		memcpy(d->in_pol, ic->pol, ic->n * sizeof(ic->pol[0]));
	ts = (struct dp_ts *)(void *)(d->in_pol + ic->n);
	memcpy(ts, t->local_ts, nl * sizeof(*ts));
	memcpy(ts + nl, t->remote_ts, nr * sizeof(*ts));
	d->t.id = t->id;
	d->t.unit = t->unit;
	d->t.nexthop = t->nexthop;
	d->t.spu = t->spu;
	d->t.local_gw = t->local_gw;
	d->t.remote_gw = t->remote_gw;
	d->t.ike_sa_id = t->ike_sa_id;
	d->t.dynamic = t->dynamic;
	d->t.on_traffic = t->on_traffic;
	d->t.local_any = lany;
	d->t.remote_any = rany;
	d->t.n_local_ts = nl;
	d->t.n_remote_ts = nr;
	d->t.local_ts = ts;
	d->t.remote_ts = ts + nl;
	return d;
}

/* The dp_tunnel a descriptor was made from. */
static void
us_tunnel_get(const struct us_tunnel *d, struct dp_tunnel *t)
{
	memset(t, 0, sizeof(*t));
	t->id = d->t.id;
	t->unit = d->t.unit;
	t->nexthop = d->t.nexthop;
	t->spu = d->t.spu;
	t->local_gw = d->t.local_gw;
	t->remote_gw = d->t.remote_gw;
	t->ike_sa_id = d->t.ike_sa_id;
	t->dynamic = d->t.dynamic;
	t->on_traffic = d->t.on_traffic;
	t->n_local_ts = d->t.n_local_ts;
	t->n_remote_ts = d->t.n_remote_ts;
	memcpy(t->local_ts, d->t.local_ts, d->t.n_local_ts * sizeof(t->local_ts[0]));
	memcpy(t->remote_ts, d->t.remote_ts, d->t.n_remote_ts * sizeof(t->remote_ts[0]));
	if (d->t.local_any != 0) {
		ts_whole(d->t.local_any, &t->local_ts[0]);
		t->n_local_ts = 1;
	}
	if (d->t.remote_any != 0) {
		ts_whole(d->t.remote_any, &t->remote_ts[0]);
		t->n_remote_ts = 1;
	}
}

struct tun_sas_ctx {
	uint32_t tunnel;
	uint32_t spu;
	uint32_t *spis;
	uint32_t n, cap;
};

static void
tun_sas_one(struct hnode *n, void *arg)
{
	struct tun_sas_ctx *c = arg;
	struct c_sa *s = hmap_entry(n, struct c_sa, hn);

	if (s->tunnel_id != c->tunnel)
		return;
	s->spu = c->spu;
}

/* Moves a tunnel's SAs from one SPU to another (anchor move). */
static int
migrate(struct us *us, const struct us_tunnel *d, uint32_t from, struct errbuf *err)
{
	struct tun_sas_ctx tc = { d->t.id, d->t.spu, NULL, 0, 0 };
	struct ctl_msg out;
	int rc;
	CTL_MSG(m, CTL_SA_EXPORT);

	m.b.id = d->t.id;
	m.b.owner = d->t.spu;
	if ((rc = ctl_run_heap(us, &m, from, &out)) < 0)
		return errbuf_set(
		    err, rc, "tunnel %u: export from SPU %u: %s", d->t.id, from, strerror(-rc));
	/* every SPU routes the tunnel's traffic to the new owner */
	memset(&m, 0, sizeof(m));
	m.op = CTL_TUNNEL_SET;
	m.a = d;
	if ((rc = ctl_run(us, &m, ALL_SPUS)) < 0)
		return errbuf_set(err, rc, "tunnel %u: SPUs: %s", d->t.id, strerror(-rc));
	memset(&m, 0, sizeof(m));
	m.op = CTL_SA_IMPORT;
	m.sa = out.sa;
	m.b.owner = d->t.spu;
	if ((rc = ctl_run(us, &m, d->t.spu)) < 0)
		return errbuf_set(
		    err, rc, "tunnel %u: import on SPU %u: %s", d->t.id, d->t.spu, strerror(-rc));
	hmap_walk(&us->sas, tun_sas_one, &tc);
	return 0;
}

struct spi_owner_ctx {
	struct us *us;
	uint32_t tunnel;
	int rc;
};

static void
spi_owner_one(struct hnode *n, void *arg)
{
	struct spi_owner_ctx *c = arg;
	struct c_sa *s = hmap_entry(n, struct c_sa, hn);
	CTL_MSG(m, CTL_SA_ADD);
	struct us_sa probe;

	if (s->tunnel_id != c->tunnel || s->dir != DP_DIR_IN)
		return;
	/* non-owners learn the new owner of each inbound SPI */
	memset(&probe, 0, sizeof(probe));
	probe.spi = s->spi;
	probe.dir = DP_DIR_IN;
	probe.tunnel_id = s->tunnel_id;
	m.sa = &probe;
	m.b.owner = s->spu;
	for (uint32_t i = 0; i < c->us->nspu; i++) {
		if (i == s->spu)
			continue;
		if (ctl_run(c->us, &m, i) < 0)
			c->rc = -EIO;
	}
}

static int
us_tunnel_set(void *impl, const struct dp_tunnel *t, struct errbuf *err)
{
	struct us *us = impl;
	struct c_tunnel *c = c_tunnel_find(us, t->id);
	struct us_tunnel *d, *old = c != NULL ? c->d : NULL;
	struct inpol_ctx ic;
	uint32_t i;
	int rc;
	CTL_MSG(m, CTL_TUNNEL_SET);

	if (t->id == 0)
		return errbuf_set(err, -EINVAL, "tunnel id 0 is reserved");
	if (t->spu >= us->nspu)
		return errbuf_set(err, -EINVAL, "tunnel %u: SPU %u does not exist (%u SPUs)", t->id,
		    t->spu, us->nspu);
	if (t->unit != DP_UNIT_NONE && c_unit_find(us, t->unit) == NULL)
		return errbuf_set(
		    err, -ENOENT, "tunnel %u: st0.%u is not configured", t->id, t->unit);
	if (t->n_local_ts > DP_TS_MAX || t->n_remote_ts > DP_TS_MAX)
		return errbuf_set(
		    err, -EINVAL, "tunnel %u: more than %d traffic selectors", t->id, DP_TS_MAX);
	for (i = 0; i < t->n_local_ts; i++)
		if (!ts_ok(&t->local_ts[i]))
			return errbuf_set(
			    err, -EINVAL, "tunnel %u: bad local traffic selector", t->id);
	for (i = 0; i < t->n_remote_ts; i++)
		if (!ts_ok(&t->remote_ts[i]))
			return errbuf_set(
			    err, -EINVAL, "tunnel %u: bad remote traffic selector", t->id);
	memset(&ic, 0, sizeof(ic));
	ic.id = t->id;
	hmap_walk(&us->policies, collect_inpol, &ic);
	d = us_tunnel_new(t, &ic);
	if (d == NULL)
		return errbuf_set(err, -ENOMEM, "out of memory");

	if (old != NULL && old->t.spu != t->spu) {
		struct spi_owner_ctx sc = { us, t->id, 0 };

		rc = migrate(us, d, old->t.spu, err);
		if (rc == 0) {
			hmap_walk(&us->sas, spi_owner_one, &sc);
			rc = sc.rc;
		}
		if (rc < 0 && rc != -ETIMEDOUT)
			errbuf_set(err, rc, "tunnel %u: move to SPU %u failed", t->id, t->spu);
	} else {
		m.a = d;
		/* in a batch the SPUs learn the tunnel with the batch's other
		 * messages (its SAs), in this order; what it replaces is freed
		 * once they have */
		if (us->batching)
			rc = batch_queue(us, &m, ALL_SPUS);
		else
			rc = ctl_run(us, &m, ALL_SPUS);
		if (rc < 0) {
			if (rc != -ETIMEDOUT)
				free(d);
			return errbuf_set(err, rc, "tunnel %u: SPUs: %s", t->id, strerror(-rc));
		}
		if (us->batching && old != NULL) {
			us->bfree[us->nbfree++] = old; /* fewer than queued messages */
			old = NULL;
		}
	}
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL || hmap_insert(&us->tunnels, &c->hn, hmap_mix(t->id)) < 0) {
			free(c);
			return errbuf_set(err, -ENOMEM, "out of memory");
		}
	}
	c->d = d;
	free(old);
	return rc;
}

static int sa_del_one(struct us *us, struct c_sa *s);

struct tun_del_ctx {
	struct us *us;
	uint32_t tunnel;
};

static void
tun_del_sa(struct hnode *n, void *arg)
{
	struct tun_del_ctx *c = arg;
	struct c_sa *s = hmap_entry(n, struct c_sa, hn);

	if (s->tunnel_id == c->tunnel)
		sa_del_one(c->us, s);
}

static int policy_del_one(struct us *us, struct c_policy *p);

static void
tun_del_pol(struct hnode *n, void *arg)
{
	struct tun_del_ctx *c = arg;
	struct c_policy *p = hmap_entry(n, struct c_policy, hn);

	if (p->d->p.tunnel_id == c->tunnel)
		policy_del_one(c->us, p);
}

static int
us_tunnel_del(void *impl, uint32_t tunnel_id, struct errbuf *err)
{
	struct us *us = impl;
	struct c_tunnel *c = c_tunnel_find(us, tunnel_id);
	struct tun_del_ctx dc = { us, tunnel_id };
	int rc;
	CTL_MSG(m, CTL_TUNNEL_DEL);

	if (c == NULL)
		return errbuf_set(err, -ENOENT, "tunnel %u not found", tunnel_id);
	hmap_walk(&us->sas, tun_del_sa, &dc);
	hmap_walk(&us->policies, tun_del_pol, &dc);
	c = c_tunnel_find(us, tunnel_id); /* policy removal re-created its descriptor */
	m.b.id = tunnel_id;
	if ((rc = ctl_run(us, &m, ALL_SPUS)) < 0)
		return errbuf_set(err, rc, "tunnel %u: SPUs: %s", tunnel_id, strerror(-rc));
	hmap_remove(&us->tunnels, &c->hn);
	free(c->d);
	free(c);
	return 0;
}

/* dp_ops.tunnel_get: the front end keeps no copy of its own */
static int
us_tunnel_get_op(void *impl, uint32_t tunnel_id, struct dp_tunnel *t)
{
	struct c_tunnel *c = c_tunnel_find(impl, tunnel_id);

	if (c == NULL)
		return -ENOENT;
	us_tunnel_get(c->d, t);
	return 0;
}

/* ---- SAs ---- */

static int
us_spi_alloc(void *impl, const struct dp_addr *local, const struct dp_addr *remote, uint32_t spu,
    uint32_t *spi, struct errbuf *err)
{
	struct us *us = impl;
	struct c_spi *c;
	uint32_t v;
	int tries;

	(void)local;
	(void)remote;
	if (spu != DP_SPU_ANY && spu >= us->nspu)
		return errbuf_set(err, -EINVAL, "SPU %u does not exist", spu);
	for (tries = 0; tries < 1000; tries++) {
		if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
			return errbuf_set(err, -EIO, "no random bytes for an SPI");
		/* SPI mod nspu names the SPU (the UDP 4500 and raw ESP steering) */
		if (spu != DP_SPU_ANY)
			v = v - v % us->nspu + spu;
		if (v < 0x10000 || (spu != DP_SPU_ANY && v % us->nspu != spu))
			continue; /* keep clear of manual SPIs (256..16639) */
		if (c_sa_find(us, v, DP_DIR_IN, NULL) != NULL || c_spi_find(us, v) != NULL)
			continue;
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return errbuf_set(err, -ENOMEM, "out of memory");
		c->spi = v;
		if (hmap_insert(&us->spis_reserved, &c->hn, hmap_mix((uint64_t)v | (4ULL << 40))) <
		    0) {
			free(c);
			return errbuf_set(err, -ENOMEM, "out of memory");
		}
		*spi = v;
		return 0;
	}
	return errbuf_set(err, -EAGAIN, "no free SPI found");
}

static void
sa_peer(struct us_sa *sa)
{
	memset(&sa->peer, 0, sizeof(sa->peer));
	if (sa->remote.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&sa->peer;
		sin->sin_family = AF_INET;
		sin->sin_addr = sa->remote.u.v4;
		sin->sin_port = htons(sa->encap ? sa->rport : 0);
		sa->peer_len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&sa->peer;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = sa->remote.u.v6;
		sin6->sin6_port = htons(sa->encap ? sa->rport : 0);
		sa->peer_len = sizeof(*sin6);
	}
}

static void
sa_mtu(struct us *us, struct us_sa *sa)
{
	size_t outer = sa->remote.family == AF_INET ? 20 : 40;

	sa->outer_mtu = rtmtu_get(us->rtmtu, &sa->remote);
	if (sa->encap)
		outer += 8;
	sa->inner_mtu = (uint32_t)esp_max_payload(&sa->x, sa->outer_mtu - outer);
}

static uint64_t
mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec;
}

static int
us_sa_add(void *impl, const struct dp_sa *in, struct errbuf *err)
{
	struct us *us = impl;
	struct c_tunnel *t = c_tunnel_find(us, in->tunnel_id);
	const struct dp_addr *dst = in->dir == DP_DIR_IN ? &in->local : &in->remote;
	struct us_sa *sa;
	struct c_sa *c;
	int rc;
	CTL_MSG(m, CTL_SA_ADD);

	if (t == NULL)
		return errbuf_set(
		    err, -ENOENT, "SA %08x: tunnel %u not found", in->spi, in->tunnel_id);
	if (in->spi < 256)
		return errbuf_set(
		    err, -EINVAL, "SA %08x: SPIs 0..255 are reserved (RFC 4303 2.1)", in->spi);
	if ((in->local.family != AF_INET && in->local.family != AF_INET6) ||
	    in->local.family != in->remote.family)
		return errbuf_set(
		    err, -EINVAL, "SA %08x: local and remote addresses of one family", in->spi);
	if (in->replay_window > DP_REPLAY_WINDOW_MAX)
		return errbuf_set(err, -EINVAL, "SA %08x: replay window %u above %u", in->spi,
		    in->replay_window, DP_REPLAY_WINDOW_MAX);
	if ((in->flags & DP_SA_HAS_ENCAP) &&
	    (in->encap_local_port == 0 || in->encap_remote_port == 0))
		return errbuf_set(
		    err, -EINVAL, "SA %08x: UDP encapsulation needs both ports", in->spi);
	if ((in->flags & DP_SA_HAS_ENCAP) && in->encap_local_port != us->natt_port)
		return errbuf_set(err, -EINVAL, "SA %08x: the dataplane owns UDP port %u, not %u",
		    in->spi, us->natt_port, in->encap_local_port);
	if (c_sa_find(us, in->spi, in->dir, dst) != NULL)
		return errbuf_set(err, -EEXIST, "SA %08x (%s) already installed", in->spi,
		    in->dir == DP_DIR_IN ? "inbound" : "outbound");

	sa = calloc(1, sizeof(*sa));
	if (sa == NULL)
		return errbuf_set(err, -ENOMEM, "out of memory");
	sa->spi = in->spi;
	sa->dir = in->dir;
	sa->tunnel_id = in->tunnel_id;
	sa->flags = in->flags;
	sa->encap = (in->flags & DP_SA_HAS_ENCAP) != 0;
	sa->esn = (in->flags & DP_SA_ESN) != 0;
	sa->df = in->df;
	sa->local = in->local;
	sa->remote = in->remote;
	sa->lport = in->encap_local_port;
	sa->rport = in->encap_remote_port;
	sa->life = in->life;
	if ((rc = esp_xform_init(&sa->x, in->enc, in->enc_key, in->enc_key_len, in->integ,
	         in->integ_key, in->integ_key_len, in->dir == DP_DIR_OUT, false, err)) < 0) {
		free(sa);
		return rc;
	}
	if ((rc = replay_init(&sa->rp, in->dir == DP_DIR_IN ? in->replay_window : 0)) < 0) {
		spu_sa_free(sa);
		return errbuf_set(err, rc, "SA %08x: replay window: %s", in->spi, strerror(-rc));
	}
	sa_peer(sa);
	sa_mtu(us, sa);
	sa->st.add_time = mono_sec();
	sa->st.spu = t->d->t.spu;
	sa->st.tunnel_id = in->tunnel_id;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		spu_sa_free(sa);
		return errbuf_set(err, -ENOMEM, "out of memory");
	}
	c->spi = in->spi;
	c->dir = in->dir;
	c->dst = *dst;
	c->tunnel_id = in->tunnel_id;
	c->spu = t->d->t.spu;
	c->outer_mtu = sa->outer_mtu;

	m.sa = sa;
	m.b.owner = c->spu;
	if (us->batching) {
		/* posted with the batch (dp_batch_end waits for it) */
		if (hmap_insert(&us->sas, &c->hn, us_sa_key(c->spi, c->dir, dst)) < 0) {
			free(c);
			spu_sa_free(sa);
			return errbuf_set(err, -ENOMEM, "out of memory");
		}
		if (batch_queue(us, &m, in->dir == DP_DIR_IN ? ALL_SPUS : c->spu) < 0) {
			hmap_remove(&us->sas, &c->hn);
			free(c);
			spu_sa_free(sa);
			return errbuf_set(err, -ENOMEM, "out of memory");
		}
		if (in->dir == DP_DIR_IN)
			c_spi_release(us, in->spi);
		return 0;
	}
	/* inbound: every SPU learns the SPI's owner; outbound: the owner only */
	rc = ctl_run(us, &m, in->dir == DP_DIR_IN ? ALL_SPUS : c->spu);
	if (rc < 0) {
		free(c);
		return errbuf_set(err, rc, "SA %08x: SPUs: %s", in->spi, strerror(-rc));
	}
	if (hmap_insert(&us->sas, &c->hn, us_sa_key(c->spi, c->dir, dst)) < 0) {
		/* the SA is live; only the registry entry is missing: remove it again */
		CTL_MSG(d, CTL_SA_DEL);
		d.b.id = c->tunnel_id;
		d.b.spi = c->spi;
		d.b.dir = c->dir;
		d.b.owner = c->spu;
		ctl_run(us, &d, c->dir == DP_DIR_IN ? ALL_SPUS : c->spu);
		free(c);
		return errbuf_set(err, -ENOMEM, "out of memory");
	}
	if (in->dir == DP_DIR_IN)
		c_spi_release(us, in->spi);
	return 0;
}

static int
sa_del_one(struct us *us, struct c_sa *c)
{
	int rc;
	CTL_MSG(m, CTL_SA_DEL);

	m.b.id = c->tunnel_id;
	m.b.spi = c->spi;
	m.b.dir = c->dir;
	m.b.owner = c->spu;
	rc = ctl_run(us, &m, c->dir == DP_DIR_IN ? ALL_SPUS : c->spu);
	if (rc == -ETIMEDOUT)
		return rc;
	hmap_remove(&us->sas, &c->hn);
	free(c);
	return rc;
}

static int
us_sa_del(void *impl, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst, struct errbuf *err)
{
	struct us *us = impl;
	struct c_sa *c = c_sa_find(us, spi, dir, dst);
	int rc;

	if (c == NULL)
		return errbuf_set(err, -ENOENT, "SA %08x (%s) not found", spi,
		    dir == DP_DIR_IN ? "inbound" : "outbound");
	if ((rc = sa_del_one(us, c)) < 0)
		return errbuf_set(err, rc, "SA %08x: SPUs: %s", spi, strerror(-rc));
	return 0;
}

struct sa_by_tunnel_ctx {
	uint32_t spi, tunnel;
	struct c_sa *found;
};

static void
sa_by_tunnel(struct hnode *n, void *arg)
{
	struct sa_by_tunnel_ctx *c = arg;
	struct c_sa *s = hmap_entry(n, struct c_sa, hn);

	if (s->dir == DP_DIR_OUT && s->spi == c->spi && s->tunnel_id == c->tunnel)
		c->found = s;
}

static int
us_sa_update(void *impl, const struct dp_sa *in, uint32_t what, struct errbuf *err)
{
	struct us *us = impl;
	const struct dp_addr *dst = in->dir == DP_DIR_IN ? &in->local : &in->remote;
	struct c_sa *c = c_sa_find(us, in->spi, in->dir, dst);
	struct us_sa tmp;
	int rc;
	CTL_MSG(m, CTL_SA_UPDATE);

	if (c == NULL && in->dir == DP_DIR_OUT && (what & DP_SA_UPD_REMOTE)) {
		/* the peer moved: find the SA by SPI and tunnel */
		struct sa_by_tunnel_ctx bt = { in->spi, in->tunnel_id, NULL };
		hmap_walk(&us->sas, sa_by_tunnel, &bt);
		c = bt.found;
	}
	if (c == NULL)
		return errbuf_set(err, -ENOENT, "SA %08x not found", in->spi);
	memset(&tmp, 0, sizeof(tmp));
	if (what & DP_SA_UPD_REMOTE) {
		if (in->remote.family != c->dst.family && in->dir == DP_DIR_OUT)
			return errbuf_set(
			    err, -EINVAL, "SA %08x: the peer changed address family", in->spi);
		tmp.local = in->local;
		tmp.remote = in->remote;
		tmp.encap = (in->flags & DP_SA_HAS_ENCAP) != 0;
		tmp.rport = in->encap_remote_port;
		sa_peer(&tmp);
		/* the owner derives the inner MTU with the SA's transform */
		tmp.outer_mtu = rtmtu_get(us->rtmtu, &in->remote);
	}
	m.tmpl = in;
	m.sa = &tmp;
	m.b.id = c->tunnel_id;
	m.b.spi = c->spi;
	m.b.dir = c->dir;
	m.b.what = what;
	if ((rc = ctl_run(us, &m, c->spu)) < 0)
		return errbuf_set(err, rc, "SA %08x: SPUs: %s", in->spi, strerror(-rc));
	if (what & DP_SA_UPD_REMOTE)
		c->outer_mtu = tmp.outer_mtu;
	if ((what & DP_SA_UPD_REMOTE) && in->dir == DP_DIR_OUT &&
	    !dp_addr_eq(&c->dst, &in->remote)) {
		hmap_remove(&us->sas, &c->hn);
		c->dst = in->remote;
		hmap_insert(&us->sas, &c->hn, us_sa_key(c->spi, c->dir, &c->dst));
	}
	return 0;
}

/*
 * The path MTU toward the peers changes after SAs are added (a route's MTU
 * set, a PMTU learned): every US_MTU_REFRESH_SEC, from us_event_read on the
 * caller's thread (mtu_fd wakes dp_event_fd), each outbound SA's route MTU
 * is asked again and a changed one is published to the owner SPU as an SA
 * update. The SPUs' packet path never asks. One refresh is cut into
 * slices of about US_MTU_SLICE outbound SAs (a few buckets of us->sas),
 * US_MTU_SLICE_GAP_MS apart, so that no event keeps the caller long; a
 * slice asks the kernel for its peers not yet asked in this refresh in
 * one pipelined rtmtu_ask (docs/dataplane.md §5 step 3). SAs added during
 * a refresh got their MTU when added; the table growing moves entries
 * only to buckets at or after the cursor, so none is missed.
 */
#define US_MTU_SLICE        1024
#define US_MTU_SLICE_GAP_MS 2

/*
 * Publishes the new MTUs of sas[0..n) to their SPUs: queued as a batch
 * (US_BATCH_MAX messages per wake-up of an SPU, not one wake-up and wait
 * each: a route MTU change reaching 10,000 SAs at once). A failed batch
 * leaves the SAs' c->outer_mtu as it was: the next refresh tries again.
 */
static void
sa_mtu_publish(struct us *us, struct c_sa **sas, const uint32_t *mtu, size_t n)
{
	struct us_sa *tmp = calloc(n, sizeof(*tmp));
	size_t i;
	int rc = 0;
	CTL_MSG(m, CTL_SA_UPDATE);

	if (tmp == NULL)
		return; /* next time */
	m.b.what = US_SA_UPD_MTU;
	for (i = 0; i < n && rc == 0; i++) {
		tmp[i].outer_mtu = mtu[i];
		m.sa = &tmp[i];
		m.b.id = sas[i]->tunnel_id;
		m.b.spi = sas[i]->spi;
		m.b.dir = sas[i]->dir;
		rc = batch_queue(us, &m, sas[i]->spu);
	}
	batch_flush(us);
	if (rc == 0)
		rc = us->batch_rc;
	us->batch_rc = 0;
	if (rc == -ETIMEDOUT)
		return; /* a stuck SPU may still read tmp: leaked on purpose */
	for (i = 0; i < n && rc == 0; i++)
		sas[i]->outer_mtu = mtu[i];
	free(tmp);
}

static int
peer_cmp(const void *a, const void *b)
{
	const struct dp_addr *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->u.b, y->u.b, dp_addr_len(x->family));
}

/* Sorts peers[0..n) and drops repeats; returns how many are left. */
static size_t
peers_unique(struct dp_addr *peers, size_t n)
{
	size_t i, o = 0;

	if (n == 0)
		return 0;
	qsort(peers, n, sizeof(*peers), peer_cmp);
	for (i = 1; i < n; i++)
		if (!dp_addr_eq(&peers[o], &peers[i]))
			peers[++o] = peers[i];
	return o + 1;
}

/* One slice from us->mtu_cursor; true when the walk reached the end. */
static bool
sa_mtu_slice(struct us *us)
{
	struct hmap *m = &us->sas;
	struct c_sa **sas = NULL;
	struct dp_addr *peers = NULL;
	uint32_t *mtus = NULL, mtu;
	size_t nsa = 0, np = 0, nch = 0, cap = 0, b, len, i;
	struct hnode *it;

	for (b = us->mtu_cursor; b <= m->mask; b++) {
		for (len = 0, it = m->b[b]; it != NULL; it = it->next)
			len += hmap_entry(it, struct c_sa, hn)->dir == DP_DIR_OUT;
		if (nsa > 0 && nsa + len > US_MTU_SLICE)
			break;
		if (nsa + len > cap) {
			size_t ncap = nsa + len > US_MTU_SLICE ? nsa + len : US_MTU_SLICE;
			struct c_sa **ns = realloc(sas, ncap * sizeof(*sas));
			if (ns == NULL)
				break; /* out of memory: the rest next slice */
			sas = ns;
			cap = ncap;
		}
		for (it = m->b[b]; it != NULL; it = it->next)
			if (hmap_entry(it, struct c_sa, hn)->dir == DP_DIR_OUT)
				sas[nsa++] = hmap_entry(it, struct c_sa, hn);
	}
	us->mtu_cursor = b;
	if (nsa > 0) {
		peers = malloc(nsa * sizeof(*peers));
		mtus = malloc(nsa * sizeof(*mtus));
	}
	if (nsa > 0 && (peers == NULL || mtus == NULL))
		goto out; /* out of memory: these SAs wait for the next refresh */
	for (i = 0; i < nsa; i++)
		if (!rtmtu_cached(us->rtmtu, &sas[i]->dst, us->mtu_cycle, &mtu))
			peers[np++] = sas[i]->dst;
	/* one request per peer, however many of its SAs the slice has */
	np = peers_unique(peers, np);
	rtmtu_ask(us->rtmtu, peers, np, mtus);
	/* the changed ones to the front of sas[] (and their MTUs of mtus[]) */
	for (i = 0; i < nsa; i++)
		if (rtmtu_cached(us->rtmtu, &sas[i]->dst, us->mtu_cycle, &mtu) &&
		    mtu != sas[i]->outer_mtu) {
			sas[nch] = sas[i];
			mtus[nch++] = mtu;
		}
	if (nch > 0)
		sa_mtu_publish(us, sas, mtus, nch);
out:
	free(sas);
	free(peers);
	free(mtus);
	return us->mtu_cursor > m->mask;
}

/*
 * mtu_fd fires once, ms from now (now: CLOCK_MONOTONIC_COARSE seconds);
 * mtu_due is the first second sa_mtu_refresh reads it (a second's slack
 * for the coarse clock; 0, at once, for a slice's few ms).
 */
static int
mtu_arm(struct us *us, time_t now, long ms)
{
	struct itimerspec its = { .it_value = { ms / 1000, (ms % 1000) * 1000000 } };

	us->mtu_due = ms >= 1000 ? now + ms / 1000 - 1 : 0;
	return timerfd_settime(us->mtu_fd, 0, &its, NULL);
}

static void
sa_mtu_refresh(struct us *us)
{
	uint64_t expirations;
	struct timespec now;
	time_t next;

	/* Called for every event read: a vDSO clock read, not a read() of
	 * the timerfd, until the timer can have fired (a second's slack for
	 * the coarse clock, so that a fired timer is always drained). */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (us->mtu_fd < 0 || now.tv_sec < us->mtu_due ||
	    read(us->mtu_fd, &expirations, sizeof(expirations)) < 0)
		return; /* not yet */
	if (us->batching) {
		/* the SA updates would flush the batch: start over next time */
		us->mtu_cursor = 0;
		mtu_arm(us, now.tv_sec, US_MTU_REFRESH_SEC * 1000L);
		return;
	}
	if (us->mtu_cursor == 0) {
		us->mtu_cycle = now.tv_sec;
		/* peers no SA asked for in the last two refreshes */
		rtmtu_expire(us->rtmtu, now.tv_sec - 2 * US_MTU_REFRESH_SEC);
	}
	if (!sa_mtu_slice(us)) {
		mtu_arm(us, now.tv_sec, US_MTU_SLICE_GAP_MS); /* the next slice */
		return;
	}
	us->mtu_cursor = 0;
	next = us->mtu_cycle + US_MTU_REFRESH_SEC - now.tv_sec;
	if (next < 1)
		next = 1;
	mtu_arm(us, now.tv_sec, next * 1000L);
}

static int
us_sa_stats(void *impl, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst,
    struct dp_sa_stats *out, struct errbuf *err)
{
	struct us *us = impl;
	struct c_sa *c = c_sa_find(us, spi, dir, dst);
	struct ctl_msg r;
	int rc;
	CTL_MSG(m, CTL_SA_STATS);

	if (c == NULL)
		return errbuf_set(err, -ENOENT, "SA %08x (%s) not found", spi,
		    dir == DP_DIR_IN ? "inbound" : "outbound");
	m.b.id = c->tunnel_id;
	m.b.spi = spi;
	m.b.dir = dir;
	if ((rc = ctl_run_heap(us, &m, c->spu, &r)) < 0)
		return errbuf_set(err, rc, "SA %08x: %s", spi, strerror(-rc));
	*out = r.stats;
	out->spu = c->spu;
	out->tunnel_id = c->tunnel_id;
	return 0;
}

/* ---- policies ---- */

/* Splits the address range [lo, hi] into prefixes (at most max). */
static int
range_prefixes(uint8_t family, const uint8_t *lo, const uint8_t *hi, struct dp_prefix *out, int max)
{
	size_t n = dp_addr_len(family), bits = n * 8;
	uint8_t cur[16], end[16];
	int count = 0;

	memcpy(cur, lo, n);
	memcpy(end, hi, n);
	for (;;) {
		size_t len, i;
		uint8_t last[16];

		if (memcmp(cur, end, n) > 0)
			break;
		/* the biggest aligned block at cur that stays <= end */
		for (len = 0; len <= bits; len++) {
			bool aligned = true;
			memcpy(last, cur, n);
			for (i = len; i < bits; i++) {
				if (cur[i / 8] & (0x80 >> (i % 8)))
					aligned = false;
				last[i / 8] |= (uint8_t)(0x80 >> (i % 8));
			}
			if (aligned && memcmp(last, end, n) <= 0)
				break;
		}
		if (count == max)
			return -E2BIG;
		memset(&out[count], 0, sizeof(out[count]));
		out[count].addr.family = family;
		memcpy(out[count].addr.u.b, cur, n);
		out[count].len = (uint8_t)len;
		count++;
		/* cur = last + 1 */
		for (i = n; i-- > 0;) {
			if (++last[i] != 0)
				break;
		}
		if (i == (size_t)-1)
			break; /* wrapped: the range ended at the top address */
		memcpy(cur, last, n);
	}
	return count;
}

static int
policy_routes(struct us *us, struct errbuf *err)
{
	struct nl_route r;
	int rc;

	if (us->policy_routes)
		return 0;
	memset(&r, 0, sizeof(r));
	r.table = us->policy_table;
	r.ifindex = us->ifindex;
	r.mtu = US_DEFAULT_MTU;
	r.dst.addr.family = AF_INET;
	if ((rc = nl_route(us->nl, true, &r, err)) < 0)
		return rc;
	r.dst.addr.family = AF_INET6;
	nl_route(us->nl, true, &r, NULL); /* IPv6 may be disabled */
	us->policy_routes = true;
	return 0;
}

/*
 * The global half of the fragment rules (us.h, docs/dataplane.md §6):
 * a "nop" at US_FRAG_END_PRIO, and at US_FRAG_SKIP_PRIO a jump to it for
 * every TCP, UDP and SCTP packet with a source or destination port in
 * 1-65534 (the kernel cannot name 0 nor 65535 in a range): all but
 * fragments, which the catch rules after them send into st0.
 */
static const uint8_t frag_protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };

static void
frag_global_rule(struct us *us, int k, uint8_t family, struct nl_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->sport_hi = r->dport_hi = 0xffff; /* any */
	if (k == 0) {
		r->action = FR_ACT_NOP;
		r->priority = us->rule_prio_base + US_FRAG_END_PRIO;
		return;
	}
	k--;
	r->action = FR_ACT_GOTO;
	r->priority = us->rule_prio_base + US_FRAG_SKIP_PRIO;
	r->goto_prio = us->rule_prio_base + US_FRAG_END_PRIO;
	r->proto = frag_protos[k / 2];
	if (k % 2 == 0) {
		r->sport_lo = 1;
		r->sport_hi = 0xfffe;
	} else {
		r->dport_lo = 1;
		r->dport_hi = 0xfffe;
	}
}

#define FRAG_GLOBAL_RULES (1 + 2 * (int)sizeof(frag_protos))

static void
frag_rules_del(struct us *us)
{
	struct nl_rule r;
	int f, k;

	for (f = 0; f < 2; f++) {
		if ((us->frag_rules & (1u << f)) == 0)
			continue;
		for (k = FRAG_GLOBAL_RULES - 1; k >= 0; k--) {
			frag_global_rule(us, k, f == 0 ? AF_INET : AF_INET6, &r);
			nl_rule(us->nl, false, &r, NULL);
		}
	}
	us->frag_rules = 0;
}

/*
 * Rules a dataplane killed outright left behind (SIGKILL, a crash): every
 * rule into the policy table, which is the dataplane's own, and the
 * fragment rules' jumps and nop. They would otherwise refuse the first
 * policy like them ("File exists") and steer traffic into an st0 that
 * no longer carries it.
 */
static int
stale_rules_flush(struct us *us, struct errbuf *err)
{
	static const uint8_t fams[] = { AF_INET, AF_INET6 };
	unsigned n, total = 0, k;
	struct nl_rule r;
	int rc, g;

	for (size_t f = 0; f < sizeof(fams); f++) {
		if ((rc = nl_rule_flush_table(us->nl, fams[f], us->policy_table, &n, err)) < 0)
			return rc;
		total += n;
		for (g = 0; g < FRAG_GLOBAL_RULES; g++) {
			frag_global_rule(us, g, fams[f], &r);
			/* one kernel copy per delete; a few at most */
			for (k = 0; k < 64 && nl_rule(us->nl, false, &r, NULL) == 0; k++)
				total++;
		}
	}
	if (total > 0)
		log_warnx(LOG_SPU, "removed %u policy rules left by an earlier dataplane", total);
	return 0;
}

static int
frag_rules_add(struct us *us, uint8_t family, struct errbuf *err)
{
	unsigned bit = family == AF_INET ? 1u : 2u;
	struct nl_rule r;
	int k, rc;

	if (us->frag_rules & bit)
		return 0;
	for (k = 0; k < FRAG_GLOBAL_RULES; k++) {
		frag_global_rule(us, k, family, &r);
		if ((rc = nl_rule(us->nl, true, &r, err)) < 0) {
			while (k-- > 0) {
				frag_global_rule(us, k, family, &r);
				nl_rule(us->nl, false, &r, NULL);
			}
			return rc;
		}
	}
	us->frag_rules |= bit;
	return 0;
}

static int
policy_rules(struct us *us, struct c_policy *c, struct errbuf *err)
{
	const struct dp_policy *p = &c->d->p;
	struct dp_prefix src[32], dst[32];
	uint8_t proto = p->sel_dst.proto ? p->sel_dst.proto : p->sel_src.proto;
	/* (the kernel sees no ports in a forwarded fragment: no match) */
	bool ports = pkt_ts_has_ports(&p->sel_src) || pkt_ts_has_ports(&p->sel_dst);
	int ns, nd, i, j, k, ncatch = 0, rc = 0;

	ns = range_prefixes(
	    p->sel_src.family, p->sel_src.addr_lo.u.b, p->sel_src.addr_hi.u.b, src, 32);
	nd = range_prefixes(
	    p->sel_dst.family, p->sel_dst.addr_lo.u.b, p->sel_dst.addr_hi.u.b, dst, 32);
	if (ns < 0 || nd < 0 || ns * nd > 256)
		return errbuf_set(err, -E2BIG,
		    "policy %u: selectors need more than 256 policy rules; use prefixes", p->id);
	if ((rc = policy_routes(us, err)) < 0)
		return rc;
	/* port selectors: one catch rule per prefix pair and protocol that
	 * can carry ports (the policy's, or all three when it names none).
	 * Only for the protocols the skip rules let by when they have
	 * ports: a catch rule for another one (ICMP by type and code, RFC
	 * 7296 3.13.1; DCCP) would pull all of its traffic between the
	 * prefixes, fragment or not, into st0, where it matches nothing */
	if (ports && proto != 0 && !pkt_proto_has_ports(proto))
		ports = false;
	if (ports) {
		ncatch = proto != 0 ? 1 : (int)sizeof(frag_protos);
		if ((rc = frag_rules_add(us, p->sel_src.family, err)) < 0)
			return rc;
	}
	c->rules = calloc((size_t)(ns * nd * (1 + ncatch)), sizeof(*c->rules));
	if (c->rules == NULL)
		return errbuf_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < ns && rc == 0; i++) {
		for (j = 0; j < nd && rc == 0; j++) {
			for (k = -1; k < ncatch && rc == 0; k++) {
				struct nl_rule *r = &c->rules[c->nrules];

				r->family = p->sel_src.family;
				r->src = src[i];
				r->dst = dst[j];
				r->table = us->policy_table;
				/* what the dataplane sends on in clear never
				 * comes back (spu.c resend()) */
				r->mark = 0;
				r->mark_mask = US_RESEND_MARK;
				if (k < 0) {
					r->proto = proto;
					r->sport_lo = p->sel_src.port_lo;
					r->sport_hi = p->sel_src.port_hi;
					r->dport_lo = p->sel_dst.port_lo;
					r->dport_hi = p->sel_dst.port_hi;
					r->priority = us->rule_prio_base +
					              (p->priority < 30000 ? p->priority : 30000);
				} else {
					/* fragments: no ports; the dataplane decides */
					r->proto = proto != 0 ? proto : frag_protos[k];
					r->sport_hi = r->dport_hi = 0xffff;
					r->priority = us->rule_prio_base + US_FRAG_CATCH_PRIO;
					/* another policy on these prefixes
					 * with other ports has the same one */
					r->shared = true;
				}
				if ((rc = nl_rule(us->nl, true, r, err)) == 0)
					c->nrules++;
			}
		}
	}
	if (rc < 0) {
		for (i = 0; i < (int)c->nrules; i++)
			nl_rule(us->nl, false, &c->rules[i], NULL);
		free(c->rules);
		c->rules = NULL;
		c->nrules = 0;
	}
	return rc;
}

struct pol_arr_ctx {
	const struct us_policy **arr;
	uint32_t n;
};

static void
pol_collect(struct hnode *n, void *arg)
{
	struct pol_arr_ctx *c = arg;
	struct c_policy *p = hmap_entry(n, struct c_policy, hn);

	if (p->d->p.dir == DP_DIR_OUT)
		c->arr[c->n++] = p->d;
}

static int
pol_cmp(const void *a, const void *b)
{
	const struct us_policy *x = *(const struct us_policy *const *)a;
	const struct us_policy *y = *(const struct us_policy *const *)b;

	if (x->p.priority != y->p.priority)
		return x->p.priority < y->p.priority ? -1 : 1;
	return x->p.id < y->p.id ? -1 : x->p.id > y->p.id;
}

/* Gives every SPU the new ordered list of outbound policies. */
static int
policies_publish(struct us *us)
{
	struct pol_arr_ctx c;
	int rc;
	CTL_MSG(m, CTL_POLICIES);

	c.arr = calloc(us->policies.n + 1, sizeof(*c.arr));
	if (c.arr == NULL)
		return -ENOMEM;
	c.n = 0;
	hmap_walk(&us->policies, pol_collect, &c);
	qsort(c.arr, c.n, sizeof(*c.arr), pol_cmp);
	m.pols = c.arr;
	m.b.n = c.n;
	rc = ctl_run(us, &m, ALL_SPUS);
	if (rc == -ETIMEDOUT)
		return rc;
	free(us->pol_arr);
	us->pol_arr = c.arr;
	return rc;
}

/* Re-sends a tunnel's descriptor (its inbound policies changed). */
static int
tunnel_refresh(struct us *us, uint32_t id)
{
	struct c_tunnel *c = c_tunnel_find(us, id);
	struct dp_tunnel t;

	if (c == NULL)
		return 0;
	us_tunnel_get(c->d, &t);
	return us_tunnel_set(us, &t, NULL);
}

static int
us_policy_add(void *impl, const struct dp_policy *p, struct errbuf *err)
{
	struct us *us = impl;
	struct c_policy *c;
	int rc;

	if (c_policy_find(us, p->id) != NULL)
		return errbuf_set(err, -EEXIST, "policy %u already installed", p->id);
	if (c_tunnel_find(us, p->tunnel_id) == NULL)
		return errbuf_set(
		    err, -ENOENT, "policy %u: tunnel %u not found", p->id, p->tunnel_id);
	if (!ts_ok(&p->sel_src) || !ts_ok(&p->sel_dst) || p->sel_src.family != p->sel_dst.family)
		return errbuf_set(err, -EINVAL, "policy %u: bad selectors", p->id);
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->d = calloc(1, sizeof(*c->d))) == NULL) {
		free(c);
		return errbuf_set(err, -ENOMEM, "out of memory");
	}
	c->d->p = *p;
	if (p->dir == DP_DIR_OUT && (rc = policy_rules(us, c, err)) < 0)
		goto fail;
	if (hmap_insert(&us->policies, &c->hn, hmap_mix((uint64_t)p->id | (3ULL << 40))) < 0) {
		rc = errbuf_set(err, -ENOMEM, "out of memory");
		goto fail_rules;
	}
	rc = p->dir == DP_DIR_OUT ? policies_publish(us) : tunnel_refresh(us, p->tunnel_id);
	if (rc < 0)
		return errbuf_set(err, rc, "policy %u: SPUs: %s", p->id, strerror(-rc));
	return 0;
fail_rules:
	for (uint32_t i = 0; i < c->nrules; i++)
		nl_rule(us->nl, false, &c->rules[i], NULL);
fail:
	free(c->rules);
	free(c->d);
	free(c);
	return rc;
}

static int
policy_del_one(struct us *us, struct c_policy *c)
{
	uint32_t i, tunnel = c->d->p.tunnel_id;
	bool out = c->d->p.dir == DP_DIR_OUT;
	int rc;

	for (i = 0; i < c->nrules; i++)
		nl_rule(us->nl, false, &c->rules[i], NULL);
	hmap_remove(&us->policies, &c->hn);
	/* publish before freeing: SPUs may point at the descriptor */
	rc = out ? policies_publish(us) : tunnel_refresh(us, tunnel);
	if (rc != -ETIMEDOUT)
		free(c->d);
	free(c->rules);
	free(c);
	return rc;
}

static int
us_policy_del(void *impl, uint32_t policy_id, struct errbuf *err)
{
	struct us *us = impl;
	struct c_policy *c = c_policy_find(us, policy_id);
	int rc;

	if (c == NULL)
		return errbuf_set(err, -ENOENT, "policy %u not found", policy_id);
	if ((rc = policy_del_one(us, c)) < 0)
		return errbuf_set(err, rc, "policy %u: SPUs: %s", policy_id, strerror(-rc));
	return 0;
}

/* ---- statistics, events, IKE ---- */

static uint64_t
rd64(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static int
us_spu_stats(void *impl, uint32_t spu, struct dp_spu_stats *out)
{
	struct us *us = impl;
	struct spu_ctr *c;

	if (spu >= us->nspu)
		return -EINVAL;
	c = &us->spu[spu].ctr;
	memset(out, 0, sizeof(*out));
	out->tunnels = atomic_load_explicit(&c->tunnels, memory_order_relaxed);
	out->flow_threads = us->cfg.flow_threads ? us->cfg.flow_threads : 1;
	out->encrypt_packets = rd64(&c->encrypt_packets);
	out->encrypt_bytes = rd64(&c->encrypt_bytes);
	out->decrypt_packets = rd64(&c->decrypt_packets);
	out->decrypt_bytes = rd64(&c->decrypt_bytes);
	out->unknown_spi = rd64(&c->unknown_spi);
	out->replay_drops = rd64(&c->replay_drops);
	out->auth_failures = rd64(&c->auth_failures);
	out->handoffs = rd64(&c->handoffs);
	out->no_sa_drops = rd64(&c->no_sa_drops);
	out->no_route_drops = rd64(&c->no_route_drops);
	out->mtu_drops = rd64(&c->mtu_drops);
	out->icmp_suppressed = rd64(&c->icmp_suppressed);
	out->event_drops = rd64(&c->event_drops);
	out->frag_drops = rd64(&c->frag_drops);
	out->frag_resent = rd64(&c->frag_resent);
	out->other_drops = rd64(&c->other_drops) + rd64(&c->handoff_drops) + rd64(&c->tx_errors);
	out->ctx_misses = rd64(&c->ctx_misses);
	out->ctx_evictions = rd64(&c->ctx_evictions);
	out->ctx_keyed = atomic_load_explicit(&c->ctx_keyed, memory_order_relaxed);
	return 0;
}

static int
us_clear_stats(void *impl)
{
	struct us *us = impl;
	CTL_MSG(m, CTL_CLEAR_STATS);

	return ctl_run(us, &m, ALL_SPUS);
}

static int
us_event_fd(void *impl)
{
	return ((struct us *)impl)->agg_fd;
}

static int
us_event_read(void *impl, struct dp_event *ev)
{
	struct us *us = impl;
	struct us_event_q *q = &us->evq;
	struct c_sa *c;
	uint64_t v;
	bool have = false;

	sa_mtu_refresh(us);
	pthread_mutex_lock(&q->lock); /* EVENT QUEUE LOCK */
	if (q->n > 0) {
		*ev = q->ev[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
		have = true;
	} else if (read(us->ev_fd, &v, sizeof(v)) < 0) {
		/* already drained */
	}
	pthread_mutex_unlock(&q->lock); /* EVENT QUEUE UNLOCK */
	if (!have)
		return -EAGAIN;
	/* a hard-expired SA is gone: remove it everywhere */
	if (ev->type == DP_EV_HARD_EXPIRE &&
	    (c = c_sa_find(us, ev->spi, ev->dir, &ev->dst)) != NULL)
		sa_del_one(us, c);
	return 0;
}

static int
us_ike_recv(void *impl, struct dp_ike_msg *msg)
{
	struct us *us = impl;
	uint8_t buf[65536];
	struct sockaddr_storage from;
	_Alignas(8) uint8_t cbuf[128];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;
	int f;

	for (f = 0; f < 2; f++) {
		for (;;) {
			memset(&mh, 0, sizeof(mh));
			mh.msg_name = &from;
			mh.msg_namelen = sizeof(from);
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			mh.msg_control = cbuf;
			mh.msg_controllen = sizeof(cbuf);
			n = recvmsg(us->ike[f], &mh, MSG_DONTWAIT);
			if (n < 0)
				break;
			/* RFC 3948 2.2: IKE has the 4-byte non-ESP marker; drop the rest */
			if (n < 4 || (buf[0] | buf[1] | buf[2] | buf[3]) != 0)
				continue;
			if ((size_t)n - 4 > msg->cap)
				return -EMSGSIZE;
			memcpy(msg->data, buf + 4, (size_t)n - 4);
			msg->len = (size_t)n - 4;
			memset(&msg->local, 0, sizeof(msg->local));
			memset(&msg->remote, 0, sizeof(msg->remote));
			msg->local_port = us->natt_port;
			if (from.ss_family == AF_INET) {
				struct sockaddr_in *sin = (struct sockaddr_in *)&from;
				msg->remote.family = AF_INET;
				msg->remote.u.v4 = sin->sin_addr;
				msg->remote_port = ntohs(sin->sin_port);
			} else {
				struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&from;
				msg->remote.family = AF_INET6;
				msg->remote.u.v6 = sin6->sin6_addr;
				msg->remote_port = ntohs(sin6->sin6_port);
			}
			for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
				if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
					struct in_pktinfo pi;
					memcpy(&pi, CMSG_DATA(c), sizeof(pi));
					msg->local.family = AF_INET;
					msg->local.u.v4 = pi.ipi_addr;
				} else if (c->cmsg_level == IPPROTO_IPV6 &&
				           c->cmsg_type == IPV6_PKTINFO) {
					struct in6_pktinfo pi;
					memcpy(&pi, CMSG_DATA(c), sizeof(pi));
					msg->local.family = AF_INET6;
					msg->local.u.v6 = pi.ipi6_addr;
				}
			}
			return 0;
		}
	}
	return -EAGAIN;
}

static void
us_batch_begin(void *impl)
{
	struct us *us = impl;

	us->batching = true;
}

static int
us_batch_end(void *impl, struct errbuf *err)
{
	struct us *us = impl;
	int rc;

	batch_flush(us);
	us->batching = false;
	rc = us->batch_rc;
	us->batch_rc = 0;
	if (rc < 0)
		return errbuf_set(err, rc, "SPUs: %s", strerror(-rc));
	return 0;
}

static int
us_ike_send(void *impl, const struct dp_ike_msg *msg)
{
	struct us *us = impl;
	static const uint8_t marker[4] = { 0, 0, 0, 0 };
	_Alignas(8) uint8_t cb[64];
	struct us_sa tmp;
	struct iovec iov[2];
	struct msghdr mh;
	struct cmsghdr *c;
	int f;

	if (msg->remote.family != AF_INET && msg->remote.family != AF_INET6)
		return -EAFNOSUPPORT;
	f = msg->remote.family == AF_INET ? 0 : 1;
	/* nothing leaves before what a batch queued is in the SPUs */
	if (us->nbq > 0)
		batch_flush(us);
	memset(&tmp, 0, sizeof(tmp));
	tmp.remote = msg->remote;
	tmp.encap = true;
	tmp.rport = msg->remote_port;
	sa_peer(&tmp);
	/* RFC 3948 2.2: IKE on 4500 carries the non-ESP marker; a NAT
	 * keepalive (2.3, the one byte 0xff) goes without it */
	iov[0].iov_base = (void *)marker;
	iov[0].iov_len = sizeof(marker);
	if (msg->len == 1 && msg->data[0] == 0xff)
		iov[0].iov_len = 0;
	iov[1].iov_base = msg->data;
	iov[1].iov_len = msg->len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &tmp.peer;
	mh.msg_namelen = tmp.peer_len;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (msg->local.family == msg->remote.family) {
		memset(cb, 0, sizeof(cb));
		mh.msg_control = cb;
		mh.msg_controllen = sizeof(cb);
		c = CMSG_FIRSTHDR(&mh);
		if (f == 0) {
			struct in_pktinfo pi;
			memset(&pi, 0, sizeof(pi));
			pi.ipi_spec_dst = msg->local.u.v4;
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		} else {
			struct in6_pktinfo pi;
			memset(&pi, 0, sizeof(pi));
			pi.ipi6_addr = msg->local.u.v6;
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		}
	}
	if (sendmsg(us->ike[f], &mh, 0) < 0)
		return -errno;
	return 0;
}

/* ---- open / close ---- */

static uint32_t
cpu_count(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && (n = CPU_COUNT(&set)) > 0)
		return (uint32_t)n;
	n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (uint32_t)n : 1;
}

static void us_close(void *impl);

static int
us_open(const struct dp_config *cfg, void **impl, struct errbuf *err)
{
	struct us *us;
	struct epoll_event ev;
	uint32_t i, j;
	int rc = 0;

	us = calloc(1, sizeof(*us));
	if (us == NULL)
		return errbuf_set(err, -ENOMEM, "out of memory");
	us->cfg = *cfg;
	us->cfg.tun_name = NULL;
	us->cfg.netns = NULL;
	us->done_fd = us->ev_fd = us->agg_fd = us->mtu_fd = us->ike[0] = us->ike[1] = -1;
	snprintf(us->tun_name, sizeof(us->tun_name), "%s", cfg->tun_name ? cfg->tun_name : "st0");
	us->nspu = cfg->spus ? cfg->spus : cpu_count();
	if (us->nspu > US_MAX_SPUS) {
		rc = errbuf_set(err, -EINVAL, "at most %d SPUs", US_MAX_SPUS);
		goto fail;
	}
	us->natt_port = cfg->natt_port ? cfg->natt_port : 4500;
	us->policy_table = cfg->policy_table ? cfg->policy_table : 220;
	us->rule_prio_base = 100;
	pthread_mutex_init(&us->evq.lock, NULL);
	us->evq.cap = 4096;
	us->evq.ev = calloc(us->evq.cap, sizeof(*us->evq.ev));
	us->spu = calloc(us->nspu, sizeof(*us->spu));
	us->rings = calloc((size_t)us->nspu * us->nspu, sizeof(*us->rings));
	if (us->evq.ev == NULL || us->spu == NULL || us->rings == NULL ||
	    hmap_init_dense(&us->units, 64) < 0 || hmap_init_dense(&us->tunnels, 64) < 0 ||
	    hmap_init_dense(&us->sas, 64) < 0 || hmap_init_dense(&us->routes, 64) < 0 ||
	    hmap_init_dense(&us->policies, 16) < 0 || hmap_init_dense(&us->spis_reserved, 64) < 0) {
		rc = errbuf_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < us->nspu; i++) {
		us->spu[i].tunfd = us->spu[i].epfd = us->spu[i].wakefd = -1;
		for (int f = 0; f < 2; f++)
			us->spu[i].udp[f] = us->spu[i].udp_df[f] = us->spu[i].raw[f] =
			    us->spu[i].raw_df[f] = us->spu[i].resend[f] = -1;
	}
	for (i = 0; i < us->nspu; i++)
		for (j = 0; j < us->nspu; j++)
			if (i != j && ring_init(&us->rings[i * us->nspu + j], US_RING_SIZE) < 0) {
				rc = errbuf_set(err, -ENOMEM, "out of memory for handoff rings");
				goto fail;
			}
	us->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	us->ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	us->agg_fd = epoll_create1(EPOLL_CLOEXEC);
	if (us->done_fd < 0 || us->ev_fd < 0 || us->agg_fd < 0) {
		rc = errbuf_set(err, -errno, "eventfd/epoll: %s", strerror(errno));
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = 0;
	if (epoll_ctl(us->agg_fd, EPOLL_CTL_ADD, us->ev_fd, &ev) < 0) {
		rc = errbuf_set(err, -errno, "epoll: %s", strerror(errno));
		goto fail;
	}
	{
		/* one shot: sa_mtu_refresh re-arms it */
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
		us->mtu_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		ev.data.u32 = 3;
		if (us->mtu_fd < 0 || mtu_arm(us, now.tv_sec, US_MTU_REFRESH_SEC * 1000L) < 0 ||
		    epoll_ctl(us->agg_fd, EPOLL_CTL_ADD, us->mtu_fd, &ev) < 0) {
			rc = errbuf_set(err, -errno, "timerfd: %s", strerror(errno));
			goto fail;
		}
	}
	for (i = 0; i < us->nspu; i++)
		if ((rc = spu_init(us, &us->spu[i], i, err)) < 0)
			goto fail;
	if ((us->nl = nl_open(err)) == NULL) {
		rc = -EIO;
		goto fail;
	}
	if ((rc = stale_rules_flush(us, err)) < 0)
		goto fail;
	if ((us->rtmtu = rtmtu_new()) == NULL) {
		rc = errbuf_set(err, -errno, "route MTU: rtnetlink socket: %s", strerror(errno));
		goto fail;
	}
	if ((rc = us_tun_open(us, err)) < 0 || (rc = us_sockets_open(us, err)) < 0)
		goto fail;
	for (i = 0; i < us->nspu; i++)
		if ((rc = spu_start(&us->spu[i], err)) < 0)
			goto fail;
	log_info(LOG_SPU, "userspace dataplane: %u SPUs on %s, UDP %u", us->nspu, us->tun_name,
	    us->natt_port);
	*impl = us;
	return 0;
fail:
	us_close(us);
	return rc;
}

static void
free_hnode_cunit(struct hnode *n, void *arg)
{
	struct c_unit *u = hmap_entry(n, struct c_unit, hn);

	(void)arg;
	free(u->d);
	free(u);
}

static void
free_hnode_ctun(struct hnode *n, void *arg)
{
	struct c_tunnel *t = hmap_entry(n, struct c_tunnel, hn);

	(void)arg;
	free(t->d);
	free(t);
}

static void
free_hnode_pol(struct hnode *n, void *arg)
{
	struct us *us = arg;
	struct c_policy *p = hmap_entry(n, struct c_policy, hn);
	uint32_t i;

	for (i = 0; i < p->nrules; i++)
		nl_rule(us->nl, false, &p->rules[i], NULL);
	free(p->rules);
	free(p->d);
	free(p);
}

static void
free_hnode_plain(struct hnode *n, void *arg)
{
	size_t off = *(size_t *)arg;

	free((char *)n - off);
}

static void
us_close(void *impl)
{
	struct us *us = impl;
	uint32_t i;
	size_t off;

	if (us == NULL)
		return;
	if (us->spu != NULL) {
		for (i = 0; i < us->nspu; i++) {
			struct spu *s = &us->spu[i];
			if (s->started) {
				struct ctl_msg m;
				memset(&m, 0, sizeof(m));
				m.op = CTL_STOP;
				if (ctl_run(us, &m, i) == 0)
					pthread_join(s->thr, NULL);
			}
		}
	}
	/* policy rules live outside st0: remove them (the unit addresses go
	 * with their devices in us_io_close()) */
	if (us->policies.b != NULL)
		hmap_walk(&us->policies, free_hnode_pol, us);
	if (us->nl != NULL)
		frag_rules_del(us);
	if (us->policy_routes && us->nl != NULL) {
		struct nl_route r;
		memset(&r, 0, sizeof(r));
		r.table = us->policy_table;
		r.ifindex = us->ifindex;
		r.dst.addr.family = AF_INET;
		nl_route(us->nl, false, &r, NULL);
		r.dst.addr.family = AF_INET6;
		nl_route(us->nl, false, &r, NULL);
	}
	us_io_close(us); /* st0 goes away with its addresses and routes */
	if (us->spu != NULL)
		for (i = 0; i < us->nspu; i++)
			spu_fini(&us->spu[i]);
	if (us->rings != NULL)
		for (i = 0; i < us->nspu * us->nspu; i++)
			ring_fini(&us->rings[i]);
	if (us->units.b != NULL)
		hmap_walk(&us->units, free_hnode_cunit, NULL);
	if (us->tunnels.b != NULL)
		hmap_walk(&us->tunnels, free_hnode_ctun, NULL);
	off = offsetof(struct c_sa, hn);
	if (us->sas.b != NULL)
		hmap_walk(&us->sas, free_hnode_plain, &off);
	off = offsetof(struct c_route, hn);
	if (us->routes.b != NULL)
		hmap_walk(&us->routes, free_hnode_plain, &off);
	off = offsetof(struct c_spi, hn);
	if (us->spis_reserved.b != NULL)
		hmap_walk(&us->spis_reserved, free_hnode_plain, &off);
	hmap_fini(&us->units);
	hmap_fini(&us->tunnels);
	hmap_fini(&us->sas);
	hmap_fini(&us->routes);
	hmap_fini(&us->policies);
	hmap_fini(&us->spis_reserved);
	nl_close(us->nl);
	rtmtu_free(us->rtmtu);
	if (us->done_fd >= 0)
		close(us->done_fd);
	if (us->ev_fd >= 0)
		close(us->ev_fd);
	if (us->agg_fd >= 0)
		close(us->agg_fd);
	if (us->mtu_fd >= 0)
		close(us->mtu_fd);
	free(us->evq.ev);
	pthread_mutex_destroy(&us->evq.lock);
	free(us->pol_arr);
	free(us->adev);
	free(us->spu);
	free(us->rings);
	free(us);
}

static uint32_t
us_spu_count(void *impl)
{
	return ((struct us *)impl)->nspu;
}

const struct dp_ops dp_userspace_ops = {
	.name = "userspace",
	.open = us_open,
	.close = us_close,
	.spu_count = us_spu_count,
	.unit_set = us_unit_set,
	.units_create = us_units_create,
	.unit_del = us_unit_del,
	.route_add = us_route_add,
	.routes_add = us_routes_add,
	.route_del = us_route_del,
	.tunnel_set = us_tunnel_set,
	.tunnel_del = us_tunnel_del,
	.tunnel_get = us_tunnel_get_op,
	.spi_alloc = us_spi_alloc,
	.sa_add = us_sa_add,
	.sa_update = us_sa_update,
	.sa_del = us_sa_del,
	.sa_stats = us_sa_stats,
	.policy_add = us_policy_add,
	.policy_del = us_policy_del,
	.spu_stats = us_spu_stats,
	.clear_stats = us_clear_stats,
	.event_fd = us_event_fd,
	.event_read = us_event_read,
	.ike_recv = us_ike_recv,
	.ike_send = us_ike_send,
	.batch_begin = us_batch_begin,
	.batch_end = us_batch_end,
};
