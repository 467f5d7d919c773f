/* SPDX-License-Identifier: MIT */
/*
 * mock: the recording test dataplane (dp_mock_ops). See mock.h.
 */
#include "mock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "xmem.h"

#include "banned.h"

struct mock_sa {
	struct dp_sa sa;
	struct dp_sa_stats st;
};

struct mock_ike {
	struct dp_ike_msg m;
	uint8_t *data;
};

/* Open addressing from an object to its array index (index + 1, 0 = empty). */
struct mock_idx {
	uint32_t *slot;
	size_t cap;
};

struct dp_mock {
	uint64_t serial; /* which open this is: pointers are reused after close */
	struct dp_config cfg;
	struct mock_idx sa_idx, tun_idx;
	uint32_t spus;
	uint32_t next_spi;
	int efd;
	bool own_natt;
	struct dp_mock_call *log;
	size_t n_log, cap_log;
	bool no_log;                 /* dp_mock_log_calls(m, false) */
	struct dp_mock_call scratch; /* what record() hands out then */
	struct mock_sa *sas;
	size_t n_sa, cap_sa;
	struct dp_tunnel *tuns;
	size_t n_tun, cap_tun;
	struct dp_unit *units;
	size_t n_unit, cap_unit;
	struct dp_route *routes;
	size_t n_route, cap_route;
	struct dp_policy *pols;
	size_t n_pol, cap_pol;
	struct dp_event *evs;
	size_t n_ev, cap_ev, ev_head;
	struct mock_ike *rx;
	size_t n_rx, cap_rx, rx_head;
	size_t n_ike_sent;
	int fail_err[DPM_OP_MAX];
	unsigned fail_skip[DPM_OP_MAX]; /* calls to let through first */
	unsigned fail_more[DPM_OP_MAX]; /* failures after the first one */
};

static bool
grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t nc;
	void *p;

	if (n < *cap)
		return true;
	nc = *cap ? *cap * 2 : 16;
	p = realloc(*arr, nc * size);
	if (!p)
		return false;
	*arr = p;
	*cap = nc;
	return true;
}

static struct dp_mock_call *
record(struct dp_mock *m, enum dp_mock_op op)
{
	struct dp_mock_call *c;

	if (m->no_log) {
		/* the callers fill it in all the same; only the op matters */
		m->scratch.op = op;
		return &m->scratch;
	}
	if (!grow((void **)&m->log, &m->cap_log, m->n_log, sizeof(*m->log)))
		return NULL;
	c = &m->log[m->n_log++];
	memset(c, 0, sizeof(*c));
	c->op = op;
	return c;
}

/* A failure armed by dp_mock_fail_next/_nth, consumed once. */
static int
injected(struct dp_mock *m, enum dp_mock_op op)
{
	int e = m->fail_err[op];

	if (e != 0 && m->fail_skip[op] > 0) {
		m->fail_skip[op]--;
		return 0;
	}
	if (m->fail_more[op] > 0)
		m->fail_more[op]--;
	else
		m->fail_err[op] = 0;
	return e;
}

static uint64_t
sa_key(uint32_t spi, enum dp_dir dir)
{
	return ((uint64_t)spi << 1 | (dir == DP_DIR_IN)) * 0x9e3779b97f4a7c15ull;
}

static uint64_t
sa_hash_at(const struct dp_mock *m, size_t i)
{
	return sa_key(m->sas[i].sa.spi, m->sas[i].sa.dir);
}

static uint64_t
tun_hash_at(const struct dp_mock *m, size_t i)
{
	return (uint64_t)m->tuns[i].id * 0x9e3779b97f4a7c15ull;
}

/* Room for n entries; rehashes the n - 1 entries already stored (the
 * caller stores entry n - 1 after this returns). */
static bool
idx_reserve(struct mock_idx *x, size_t n, const struct dp_mock *m,
    uint64_t (*hash_at)(const struct dp_mock *, size_t))
{
	size_t cap, i;
	uint32_t *slot;

	if (x->cap && n * 2 < x->cap)
		return true;
	cap = x->cap ? x->cap * 2 : 64;
	while (n * 2 >= cap)
		cap *= 2;
	slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return false;
	free(x->slot);
	x->slot = slot;
	x->cap = cap;
	for (i = 0; i + 1 < n; i++) {
		size_t j = (size_t)(hash_at(m, i) >> 32) & (cap - 1);

		while (x->slot[j])
			j = (j + 1) & (cap - 1);
		x->slot[j] = (uint32_t)i + 1;
	}
	return true;
}

static void
idx_put(struct mock_idx *x, uint64_t h, size_t i)
{
	size_t j = (size_t)(h >> 32) & (x->cap - 1);

	while (x->slot[j])
		j = (j + 1) & (x->cap - 1);
	x->slot[j] = (uint32_t)i + 1;
}

/* Slot holding array index i, or SIZE_MAX. */
static size_t
idx_slot(const struct mock_idx *x, uint64_t h, size_t i)
{
	size_t j;

	if (!x->cap)
		return SIZE_MAX;
	for (j = (size_t)(h >> 32) & (x->cap - 1); x->slot[j]; j = (j + 1) & (x->cap - 1))
		if (x->slot[j] == i + 1)
			return j;
	return SIZE_MAX;
}

/* Removes array index i (hash h) keeping the probe chains intact. */
static void
idx_del(struct mock_idx *x, uint64_t h, size_t i, const struct dp_mock *m,
    uint64_t (*hash_at)(const struct dp_mock *, size_t))
{
	size_t j = idx_slot(x, h, i), k;

	if (j == SIZE_MAX)
		return;
	x->slot[j] = 0;
	for (k = (j + 1) & (x->cap - 1); x->slot[k]; k = (k + 1) & (x->cap - 1)) {
		uint32_t v = x->slot[k];

		x->slot[k] = 0;
		idx_put(x, hash_at(m, v - 1), v - 1);
	}
}

/* The element at index `from` now lives at `to`. */
static void
idx_move(struct mock_idx *x, uint64_t h, size_t from, size_t to)
{
	size_t j = idx_slot(x, h, from);

	if (j != SIZE_MAX)
		x->slot[j] = (uint32_t)to + 1;
}

static size_t
tun_find(const struct dp_mock *m, uint32_t id)
{
	uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ull;
	size_t j;

	if (!m->tun_idx.cap)
		return SIZE_MAX;
	for (j = (size_t)(h >> 32) & (m->tun_idx.cap - 1); m->tun_idx.slot[j];
	     j = (j + 1) & (m->tun_idx.cap - 1))
		if (m->tuns[m->tun_idx.slot[j] - 1].id == id)
			return m->tun_idx.slot[j] - 1;
	return SIZE_MAX;
}

static struct dp_mock *last_opened;

static uint64_t opened;

uint64_t
dp_mock_serial(const struct dp_mock *m)
{
	return m->serial;
}

static int
mock_open(const struct dp_config *cfg, void **impl, struct errbuf *err)
{
	struct dp_mock *m = calloc(1, sizeof(*m));

	if (!m)
		return errbuf_set(err, -ENOMEM, "dataplane mock: out of memory");
	m->serial = ++opened;
	m->cfg = *cfg;
	m->spus = cfg->spus ? cfg->spus : 1;
	m->next_spi = 0xc0000001u;
	m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	record(m, DPM_OPEN);
	*impl = m;
	last_opened = m;
	return 0;
}

static void
mock_close(void *impl)
{
	struct dp_mock *m = impl;
	size_t i;

	if (!m)
		return;
	if (last_opened == m)
		last_opened = NULL;
	if (m->efd >= 0)
		close(m->efd);
	for (i = 0; i < m->n_rx; i++)
		free(m->rx[i].data);
	if (m->sas)
		explicit_bzero(m->sas, m->cap_sa * sizeof(*m->sas));
	free(m->sas);
	free(m->sa_idx.slot);
	free(m->tun_idx.slot);
	free(m->log);
	free(m->tuns);
	free(m->units);
	free(m->routes);
	free(m->pols);
	free(m->evs);
	free(m->rx);
	free(m);
}

static uint32_t
mock_spu_count(void *impl)
{
	return ((struct dp_mock *)impl)->spus;
}

static int
mock_unit_set(void *impl, const struct dp_unit *u, struct errbuf *err)
{
	struct dp_mock *m = impl;
	struct dp_mock_call *c = record(m, DPM_UNIT_SET);
	int rc = -injected(m, DPM_UNIT_SET);
	size_t i;

	if (c) {
		c->id = u->unit;
		c->unit = *u;
	}
	if (rc)
		goto out;
	for (i = 0; i < m->n_unit; i++)
		if (m->units[i].unit == u->unit) {
			m->units[i] = *u;
			goto out;
		}
	if (!grow((void **)&m->units, &m->cap_unit, m->n_unit, sizeof(*m->units))) {
		rc = -ENOMEM;
		goto out;
	}
	m->units[m->n_unit++] = *u;
out:
	if (c)
		c->rc = rc;
	return rc ? errbuf_set(err, rc, "mock: unit_set st0.%u failed", u->unit) : 0;
}

static int
mock_unit_del(void *impl, uint32_t unit, struct errbuf *err)
{
	struct dp_mock *m = impl;
	struct dp_mock_call *c = record(m, DPM_UNIT_DEL);
	int rc = -injected(m, DPM_UNIT_DEL);
	size_t i;

	if (c)
		c->id = unit;
	if (!rc) {
		rc = -ENOENT;
		for (i = 0; i < m->n_unit; i++)
			if (m->units[i].unit == unit) {
				m->units[i] = m->units[--m->n_unit];
				rc = 0;
				break;
			}
	}
	if (c)
		c->rc = rc;
	return rc ? errbuf_set(err, rc, "mock: unit_del st0.%u failed", unit) : 0;
}

static int
route_op(struct dp_mock *m, const struct dp_route *r, bool add, struct errbuf *err)
{
	struct dp_mock_call *c = record(m, add ? DPM_ROUTE_ADD : DPM_ROUTE_DEL);
	int rc = -injected(m, add ? DPM_ROUTE_ADD : DPM_ROUTE_DEL);
	size_t i;

	if (c) {
		c->id = r->unit;
		c->addr = r->dst.addr;
		c->route = *r;
	}
	if (!rc) {
		for (i = 0; i < m->n_route; i++)
			if (dp_addr_eq(&m->routes[i].dst.addr, &r->dst.addr) &&
			    m->routes[i].dst.len == r->dst.len && m->routes[i].unit == r->unit)
				break;
		if (add) {
			if (i < m->n_route)
				rc = -EEXIST;
			else if (!grow((void **)&m->routes, &m->cap_route, m->n_route, sizeof(*r)))
				rc = -ENOMEM;
			else
				m->routes[m->n_route++] = *r;
		} else {
			if (i == m->n_route)
				rc = -ENOENT;
			else
				m->routes[i] = m->routes[--m->n_route];
		}
	}
	if (c)
		c->rc = rc;
	return rc ? errbuf_set(err, rc, "mock: route %s failed", add ? "add" : "del") : 0;
}

static int
mock_route_add(void *impl, const struct dp_route *r, struct errbuf *err)
{
	return route_op(impl, r, true, err);
}

static int
mock_route_del(void *impl, const struct dp_route *r, struct errbuf *err)
{
	return route_op(impl, r, false, err);
}

static int
mock_tunnel_set(void *impl, const struct dp_tunnel *t, struct errbuf *err)
{
	struct dp_mock *m = impl;
	struct dp_mock_call *c = record(m, DPM_TUNNEL_SET);
	int rc = -injected(m, DPM_TUNNEL_SET);
	size_t i;

	if (c) {
		c->id = t->id;
		c->spu = t->spu;
		c->tunnel = *t;
	}
	if (rc)
		goto out;
	if (t->spu != DP_SPU_ANY && t->spu >= m->spus) {
		rc = -EINVAL;
		goto out;
	}
	i = tun_find(m, t->id);
	if (i != SIZE_MAX) {
		size_t k;

		/* dp.h: a changed SPU moves the tunnel's SAs with it. */
		if (m->tuns[i].spu != t->spu)
			for (k = 0; k < m->n_sa; k++)
				if (m->sas[k].sa.tunnel_id == t->id)
					m->sas[k].sa.spu = t->spu;
		m->tuns[i] = *t;
		goto out;
	}
	if (!grow((void **)&m->tuns, &m->cap_tun, m->n_tun, sizeof(*m->tuns)) ||
	    !idx_reserve(&m->tun_idx, m->n_tun + 1, m, tun_hash_at)) {
		rc = -ENOMEM;
		goto out;
	}
	m->tuns[m->n_tun++] = *t;
	idx_put(&m->tun_idx, tun_hash_at(m, m->n_tun - 1), m->n_tun - 1);
out:
	if (c)
		c->rc = rc;
	return rc ? errbuf_set(err, rc, "mock: tunnel_set %u failed", t->id) : 0;
}

static void sa_remove_at(struct dp_mock *m, size_t i);

static int
mock_tunnel_del(void *impl, uint32_t id, struct errbuf *err)
{
	struct dp_mock *m = impl;
	struct dp_mock_call *c = record(m, DPM_TUNNEL_DEL);
	int rc = -injected(m, DPM_TUNNEL_DEL);
	size_t i;

	if (c)
		c->id = id;
	if (!rc) {
		i = tun_find(m, id);
		if (i == SIZE_MAX) {
			rc = -ENOENT;
		} else {
			size_t last = m->n_tun - 1, k;

			idx_del(&m->tun_idx, tun_hash_at(m, i), i, m, tun_hash_at);
			if (i != last) {
				idx_move(&m->tun_idx, tun_hash_at(m, last), last, i);
				m->tuns[i] = m->tuns[last];
			}
			m->n_tun--;
			/* dp.h: what is left of its SAs and policies goes with it */
			for (k = 0; k < m->n_sa;)
				if (m->sas[k].sa.tunnel_id == id)
					sa_remove_at(m, k);
				else
					k++;
			for (k = 0; k < m->n_pol;)
				if (m->pols[k].tunnel_id == id)
					m->pols[k] = m->pols[--m->n_pol];
				else
					k++;
		}
	}
	if (c)
		c->rc = rc;
	return rc ? errbuf_set(err, rc, "mock: tunnel_del %u failed", id) : 0;
}

static struct mock_sa *
sa_find(struct dp_mock *m, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst)
{
	uint64_t h = sa_key(spi, dir);
	size_t j;

	if (!m->sa_idx.cap)
		return NULL;
	for (j = (size_t)(h >> 32) & (m->sa_idx.cap - 1); m->sa_idx.slot[j];
	     j = (j + 1) & (m->sa_idx.cap - 1)) {
		struct dp_sa *s = &m->sas[m->sa_idx.slot[j] - 1].sa;

		if (s->spi == spi && s->dir == dir &&
		    (!dst || dp_addr_eq(dir == DP_DIR_IN ? &s->local : &s->remote, dst)))
			return &m->sas[m->sa_idx.slot[j] - 1];
	}
	return NULL;
}

static bool
spi_used(struct dp_mock *m, uint32_t spi)
{
	return sa_find(m, spi, DP_DIR_IN, NULL) != NULL;
}

static int
mock_spi_alloc(void *impl, const struct dp_addr *local, const struct dp_addr *remote, uint32_t spu,
    uint32_t *spi, struct errbuf *err)
{
	struct dp_mock *m = impl;
	struct dp_mock_call *c = record(m, DPM_SPI_ALLOC);
	int rc = -injected(m, DPM_SPI_ALLOC);

	(void)local;
	(void)remote;
	if (!rc) {
		/* RFC 4303: SPIs 1..255 are reserved. */
		do {
			*spi = m->next_spi++;
		} while (*spi < 256 || spi_used(m, *spi));
	}
	if (c) {
		c->rc = rc;
		c->spi = rc ? 0 : *spi;
		c->spu = spu;
		if (remote)
			c->addr = *remote;
		if (local)
			c->local = *local;
	}
	return rc ? errbuf_set(err, rc, "mock: spi_alloc failed") : 0;
}

static int
mock_sa_add(void *impl, const struct dp_sa *sa, struct errbuf *err)
{
	struct dp_mock *m = impl;
	struct dp_mock_call *c = record(m, DPM_SA_ADD);
	int rc = -injected(m, DPM_SA_ADD);

	if (c) {
		c->spi = sa->spi;
		c->dir = sa->dir;
		c->id = sa->tunnel_id;
		c->spu = sa->spu;
		c->sa = *sa;
		explicit_bzero(c->sa.enc_key, sizeof(c->sa.enc_key));
		explicit_bzero(c->sa.integ_key, sizeof(c->sa.integ_key));
	}
	if (rc)
		goto out;
	if (sa_find(m, sa->spi, sa->dir, sa->dir == DP_DIR_IN ? &sa->local : &sa->remote)) {
		rc = -EEXIST;
		goto out;
	}
	if (!grow((void **)&m->sas, &m->cap_sa, m->n_sa, sizeof(*m->sas)) ||
	    !idx_reserve(&m->sa_idx, m->n_sa + 1, m, sa_hash_at)) {
		rc = -ENOMEM;
		goto out;
	}
	memset(&m->sas[m->n_sa], 0, sizeof(m->sas[0]));
	m->sas[m->n_sa++].sa = *sa;
	idx_put(&m->sa_idx, sa_hash_at(m, m->n_sa - 1), m->n_sa - 1);
out:
	if (c)
		c->rc = rc;
	return rc ? errbuf_set(err, rc, "mock: sa_add %08x failed", sa->spi) : 0;
}

/* dp_sa_update(): the peer's NAT mapping moved, or new lifetimes. */
static int
mock_sa_update(void *impl, const struct dp_sa *sa, uint32_t what, struct errbuf *err)
{
	struct dp_mock *m = impl;
	struct dp_mock_call *c = record(m, DPM_SA_UPDATE);
	int rc = -injected(m, DPM_SA_UPDATE);
	struct mock_sa *s;

	if (c) {
		c->spi = sa->spi;
		c->dir = sa->dir;
		c->id = sa->tunnel_id;
		c->spu = sa->spu;
		c->what = what;
		c->sa = *sa;
		explicit_bzero(c->sa.enc_key, sizeof(c->sa.enc_key));
		explicit_bzero(c->sa.integ_key, sizeof(c->sa.integ_key));
	}
	if (!rc) {
		/* Found by SPI and direction: the remote address is what changes. */
		s = sa->dir == DP_DIR_IN ? sa_find(m, sa->spi, sa->dir, &sa->local)
		                         : sa_find(m, sa->spi, sa->dir, NULL);
		if (!s) {
			rc = -ENOENT;
		} else {
			if (what & DP_SA_UPD_REMOTE) {
				s->sa.remote = sa->remote;
				s->sa.encap_remote_port = sa->encap_remote_port;
			}
			if (what & DP_SA_UPD_LIFETIME)
				s->sa.life = sa->life;
		}
	}
	if (c)
		c->rc = rc;
	return rc ? errbuf_set(err, rc, "mock: sa_update %08x failed", sa->spi) : 0;
}

/* Removes SA i; the last one takes its index. */
static void
sa_remove_at(struct dp_mock *m, size_t i)
{
	size_t last = m->n_sa - 1;

	idx_del(&m->sa_idx, sa_hash_at(m, i), i, m, sa_hash_at);
	if (i != last) {
		idx_move(&m->sa_idx, sa_hash_at(m, last), last, i);
		m->sas[i] = m->sas[last];
	}
	explicit_bzero(&m->sas[last], sizeof(m->sas[last]));
	m->n_sa--;
}

static int
mock_sa_del(
    void *impl, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst, struct errbuf *err)
{
	struct dp_mock *m = impl;
	struct dp_mock_call *c = record(m, DPM_SA_DEL);
	int rc = -injected(m, DPM_SA_DEL);
	struct mock_sa *s;

	if (c) {
		c->spi = spi;
		c->dir = dir;
		c->addr = *dst;
	}
	if (!rc) {
		s = sa_find(m, spi, dir, dst);
		if (!s)
			rc = -ENOENT;
		else
			sa_remove_at(m, (size_t)(s - m->sas));
	}
	if (c)
		c->rc = rc;
	return rc ? errbuf_set(err, rc, "mock: sa_del %08x failed", spi) : 0;
}

static int
mock_sa_stats(void *impl, uint32_t spi, enum dp_dir dir, const struct dp_addr *dst,
    struct dp_sa_stats *out, struct errbuf *err)
{
	struct dp_mock *m = impl;
	struct mock_sa *s = sa_find(m, spi, dir, dst);

	/* Not recorded: DPD polls it every interval. */
	if (!s)
		return errbuf_set(err, -ENOENT, "mock: no SA %08x", spi);
	*out = s->st;
	out->spu = s->sa.spu;
	out->tunnel_id = s->sa.tunnel_id;
	return 0;
}

static int
pol_op(struct dp_mock *m, const struct dp_policy *p, uint32_t id, bool add, struct errbuf *err)
{
	struct dp_mock_call *c = record(m, add ? DPM_POLICY_ADD : DPM_POLICY_DEL);
	int rc = -injected(m, add ? DPM_POLICY_ADD : DPM_POLICY_DEL);
	size_t i;

	if (c) {
		c->id = id;
		if (p != NULL)
			c->policy = *p;
	}
	if (!rc) {
		for (i = 0; i < m->n_pol && m->pols[i].id != id; i++)
			;
		if (add) {
			if (i < m->n_pol)
				rc = -EEXIST;
			else if (!grow((void **)&m->pols, &m->cap_pol, m->n_pol, sizeof(*p)))
				rc = -ENOMEM;
			else
				m->pols[m->n_pol++] = *p;
		} else if (i == m->n_pol) {
			rc = -ENOENT;
		} else {
			m->pols[i] = m->pols[--m->n_pol];
		}
	}
	if (c)
		c->rc = rc;
	return rc ? errbuf_set(err, rc, "mock: policy %u failed", id) : 0;
}

static int
mock_policy_add(void *impl, const struct dp_policy *p, struct errbuf *err)
{
	return pol_op(impl, p, p->id, true, err);
}

static int
mock_policy_del(void *impl, uint32_t id, struct errbuf *err)
{
	return pol_op(impl, NULL, id, false, err);
}

static int
mock_spu_stats(void *impl, uint32_t spu, struct dp_spu_stats *out)
{
	struct dp_mock *m = impl;
	size_t i;

	if (spu >= m->spus)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < m->n_tun; i++)
		if (m->tuns[i].spu == spu)
			out->tunnels++;
	for (i = 0; i < m->n_sa; i++) {
		const struct mock_sa *s = &m->sas[i];

		if (s->sa.spu != spu)
			continue;
		if (s->sa.dir == DP_DIR_OUT) {
			out->encrypt_packets += s->st.packets;
			out->encrypt_bytes += s->st.bytes;
		} else {
			out->decrypt_packets += s->st.packets;
			out->decrypt_bytes += s->st.bytes;
		}
	}
	return 0;
}

static int
mock_clear_stats(void *impl)
{
	struct dp_mock *m = impl;
	size_t i;

	record(m, DPM_CLEAR_STATS);
	for (i = 0; i < m->n_sa; i++)
		memset(&m->sas[i].st, 0, sizeof(m->sas[i].st));
	return 0;
}

static int
mock_event_fd(void *impl)
{
	return ((struct dp_mock *)impl)->efd;
}

static int
mock_event_read(void *impl, struct dp_event *ev)
{
	struct dp_mock *m = impl;
	uint64_t v;

	if (m->ev_head >= m->n_ev) {
		m->ev_head = m->n_ev = 0;
		if (m->efd >= 0 && read(m->efd, &v, sizeof(v)) < 0) {
			/* nothing was pending */
		}
		return -EAGAIN;
	}
	*ev = m->evs[m->ev_head++];
	return 0;
}

static int
mock_ike_recv(void *impl, struct dp_ike_msg *msg)
{
	struct dp_mock *m = impl;
	struct mock_ike *r;

	if (!m->own_natt)
		return -ENOTSUP;
	if (m->rx_head >= m->n_rx) {
		m->rx_head = m->n_rx = 0;
		return -EAGAIN;
	}
	r = &m->rx[m->rx_head++];
	if (r->m.len > msg->cap) {
		free(r->data);
		return -EMSGSIZE;
	}
	msg->local = r->m.local;
	msg->remote = r->m.remote;
	msg->local_port = r->m.local_port;
	msg->remote_port = r->m.remote_port;
	memcpy(msg->data, r->data, r->m.len);
	msg->len = r->m.len;
	free(r->data);
	r->data = NULL;
	return 0;
}

static int
mock_ike_send(void *impl, const struct dp_ike_msg *msg)
{
	struct dp_mock *m = impl;
	struct dp_mock_call *c;

	if (!m->own_natt)
		return -ENOTSUP;
	c = record(m, DPM_IKE_SEND);
	if (c)
		c->addr = msg->remote;
	m->n_ike_sent++;
	return 0;
}

const struct dp_ops dp_mock_ops = {
	.name = "mock",
	.open = mock_open,
	.close = mock_close,
	.spu_count = mock_spu_count,
	.unit_set = mock_unit_set,
	.unit_del = mock_unit_del,
	.route_add = mock_route_add,
	.route_del = mock_route_del,
	.tunnel_set = mock_tunnel_set,
	.tunnel_del = mock_tunnel_del,
	.spi_alloc = mock_spi_alloc,
	.sa_add = mock_sa_add,
	.sa_update = mock_sa_update,
	.sa_del = mock_sa_del,
	.sa_stats = mock_sa_stats,
	.policy_add = mock_policy_add,
	.policy_del = mock_policy_del,
	.spu_stats = mock_spu_stats,
	.clear_stats = mock_clear_stats,
	.event_fd = mock_event_fd,
	.event_read = mock_event_read,
	.ike_recv = mock_ike_recv,
	.ike_send = mock_ike_send,
};

/* ---- test interface ---------------------------------------------------------- */

struct dp_mock *
dp_mock_of(void *impl)
{
	return impl;
}

struct dp_mock *
dp_mock_last(void)
{
	return last_opened;
}

size_t
dp_mock_ncalls(const struct dp_mock *m)
{
	return m->n_log;
}

const struct dp_mock_call *
dp_mock_call_at(const struct dp_mock *m, size_t i)
{
	return i < m->n_log ? &m->log[i] : NULL;
}

size_t
dp_mock_count(const struct dp_mock *m, enum dp_mock_op op)
{
	size_t i, n = 0;

	for (i = 0; i < m->n_log; i++)
		n += m->log[i].op == op;
	return n;
}

void
dp_mock_clear_log(struct dp_mock *m)
{
	m->n_log = 0;
	m->n_ike_sent = 0;
}

void
dp_mock_log_calls(struct dp_mock *m, bool on)
{
	m->no_log = !on;
}

const char *
dp_mock_op_str(enum dp_mock_op op)
{
	static const char *const s[DPM_OP_MAX] = { "OPEN", "CLOSE", "UNIT_SET", "UNIT_DEL",
		"ROUTE_ADD", "ROUTE_DEL", "TUNNEL_SET", "TUNNEL_DEL", "SPI_ALLOC", "SA_ADD",
		"SA_UPDATE", "SA_DEL", "SA_STATS", "POLICY_ADD", "POLICY_DEL", "SPU_STATS",
		"CLEAR_STATS", "IKE_SEND" };

	return op < DPM_OP_MAX ? s[op] : "?";
}

size_t
dp_mock_format(const struct dp_mock *m, char *buf, size_t len)
{
	size_t i, o = 0;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < m->n_log && o + 1 < len; i++) {
		const struct dp_mock_call *c = &m->log[i];
		int w;

		switch (c->op) {
		case DPM_SA_ADD:
		case DPM_SA_UPDATE:
		case DPM_SA_DEL:
			w = snprintf(buf + o, len - o, "%s %s spi=%08x tunnel=%u rc=%d\n",
			    dp_mock_op_str(c->op), c->dir == DP_DIR_IN ? "in" : "out", c->spi,
			    c->id, c->rc);
			break;
		case DPM_SPI_ALLOC:
			w = snprintf(buf + o, len - o, "%s spi=%08x spu=%u rc=%d\n",
			    dp_mock_op_str(c->op), c->spi, c->spu, c->rc);
			break;
		default:
			w = snprintf(buf + o, len - o, "%s id=%u spu=%u rc=%d\n",
			    dp_mock_op_str(c->op), c->id, c->spu, c->rc);
			break;
		}
		if (w < 0)
			break;
		o += (size_t)w < len - o ? (size_t)w : len - o - 1;
	}
	return o;
}

size_t
dp_mock_sa_count(const struct dp_mock *m)
{
	return m->n_sa;
}

const struct dp_sa *
dp_mock_sa_at(const struct dp_mock *m, size_t i)
{
	return i < m->n_sa ? &m->sas[i].sa : NULL;
}

const struct dp_sa *
dp_mock_sa_find(const struct dp_mock *m, uint32_t spi, enum dp_dir dir)
{
	struct mock_sa *s = sa_find((struct dp_mock *)m, spi, dir, NULL);

	return s ? &s->sa : NULL;
}

size_t
dp_mock_tunnel_count(const struct dp_mock *m)
{
	return m->n_tun;
}

const struct dp_tunnel *
dp_mock_tunnel_find(const struct dp_mock *m, uint32_t id)
{
	size_t i = tun_find(m, id);

	return i == SIZE_MAX ? NULL : &m->tuns[i];
}

void
dp_mock_set_spi_base(struct dp_mock *m, uint32_t base)
{
	m->next_spi = base;
}

void
dp_mock_fail_next(struct dp_mock *m, enum dp_mock_op op, int err)
{
	dp_mock_fail_nth(m, op, 1, 1, err);
}

void
dp_mock_fail_nth(struct dp_mock *m, enum dp_mock_op op, unsigned n, unsigned times, int err)
{
	if (op < DPM_OP_MAX && n > 0 && times > 0) {
		m->fail_err[op] = err;
		m->fail_skip[op] = n - 1;
		m->fail_more[op] = times - 1;
	}
}

int
dp_mock_add_traffic(
    struct dp_mock *m, uint32_t spi, enum dp_dir dir, uint64_t packets, uint64_t bytes)
{
	struct mock_sa *s = sa_find(m, spi, dir, NULL);

	if (!s)
		return -ENOENT;
	s->st.packets += packets;
	s->st.bytes += bytes;
	return 0;
}

void
dp_mock_push_event(struct dp_mock *m, const struct dp_event *ev)
{
	uint64_t one = 1;

	if (!grow((void **)&m->evs, &m->cap_ev, m->n_ev, sizeof(*m->evs)))
		return;
	m->evs[m->n_ev++] = *ev;
	if (m->efd >= 0 && write(m->efd, &one, sizeof(one)) < 0) {
		/* the counter saturated: still readable */
	}
}

int
dp_mock_push_ike(struct dp_mock *m, const struct dp_ike_msg *msg)
{
	struct mock_ike *r;

	if (!grow((void **)&m->rx, &m->cap_rx, m->n_rx, sizeof(*m->rx)))
		return -ENOMEM;
	r = &m->rx[m->n_rx];
	r->m = *msg;
	r->data = malloc(msg->len ? msg->len : 1);
	if (!r->data)
		return -ENOMEM;
	memcpy(r->data, msg->data, msg->len);
	m->n_rx++;
	return 0;
}

void
dp_mock_own_natt(struct dp_mock *m, bool on)
{
	m->own_natt = on;
}

size_t
dp_mock_ike_sent(const struct dp_mock *m)
{
	return m->n_ike_sent;
}

size_t
dp_mock_mem(const struct dp_mock *m)
{
	return sizeof(*m) + m->cap_log * sizeof(*m->log) + m->cap_sa * sizeof(*m->sas) +
	       (m->sa_idx.cap + m->tun_idx.cap) * sizeof(uint32_t) + m->cap_tun * sizeof(*m->tuns) +
	       m->cap_unit * sizeof(*m->units) + m->cap_route * sizeof(*m->routes) +
	       m->cap_pol * sizeof(*m->pols) + m->cap_ev * sizeof(*m->evs) +
	       m->cap_rx * sizeof(*m->rx);
}
