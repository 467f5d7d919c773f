/* SPDX-License-Identifier: MIT */
/*
 * spu: one SPU worker thread of the userspace backend (us.h).
 *
 * Loop: apply a control message if one is posted; wait in epoll for the
 * SPU's TUN queue, its UDP 4500 and raw ESP sockets and its wake eventfd;
 * process bounded batches; drain the handoff rings; flush what was queued
 * for sendmmsg and for GRO writes to the TUN.
 *
 * Outbound: TUN read (maybe a TSO super-packet) -> policy or route lookup
 * -> tunnel -> owner? else hand off -> MTU/DF decision -> segment straight
 * into the send slab, ESP in place -> sendmmsg, consecutive equal-size
 * datagrams of one SA as one UDP GSO send.
 * Inbound: recvmmsg (UDP GRO: many datagrams per buffer) -> SPI -> owner?
 * else hand off -> replay pre-check -> decrypt in place -> replay update
 * -> selector check -> GRO -> one TUN write per coalesced flow batch.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <netinet/udp.h>
#include <openssl/rand.h>

#include "log.h"
#include "rd.h"
#include "us.h"
#include "xmem.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

enum { TAG_WAKE = 1, TAG_TUN, TAG_UDP4, TAG_UDP6, TAG_RAW4, TAG_RAW6 };
enum { REC_OUT = 1, REC_IN = 2 };

/* ring record meta: IN: bit 0 encap, bits 8..15 outer TOS, bits 16..23 hops */
#define META_ENCAP   1u
#define META_TOS(m)  (((m) >> 8) & 0xff)
#define META_HOPS(m) (((m) >> 16) & 0xff)

static inline void
ctr_add(_Atomic uint64_t *c, uint64_t v)
{
	/* single writer: a plain load and store, no locked instruction */
	atomic_store_explicit(
	    c, atomic_load_explicit(c, memory_order_relaxed) + v, memory_order_relaxed);
}

static uint64_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec;
}

/* CLOCK_MONOTONIC_COARSE in milliseconds (vDSO: no system call) */
static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- events ---- */

void
us_event_post(struct us *us, const struct dp_event *ev)
{
	struct us_event_q *q = &us->evq;
	uint64_t one = 1;

	pthread_mutex_lock(&q->lock); /* EVENT QUEUE LOCK */
	if (q->n == q->cap && ev->type != DP_EV_ACQUIRE) {
		/* expiry events are never dropped (the caller would not
		 * rekey, a hard-expired SA would stay): there are at most two
		 * per SA, so the queue grows; acquires are raised again */
		struct dp_event *bigger = calloc((size_t)q->cap * 2, sizeof(*bigger));
		uint32_t i;

		if (bigger != NULL) {
			for (i = 0; i < q->n; i++)
				bigger[i] = q->ev[(q->head + i) % q->cap];
			free(q->ev);
			q->ev = bigger;
			q->head = 0;
			q->cap *= 2;
		}
	}
	if (q->n < q->cap) {
		q->ev[(q->head + q->n) % q->cap] = *ev;
		q->n++;
	} else if (ev->spu < us->nspu) {
		/* counted for the SPU that raised it (not on the packet
		 * path: a locked add, whoever posts) */
		atomic_fetch_add_explicit(
		    &us->spu[ev->spu].ctr.event_drops, 1, memory_order_relaxed);
	}
	if (write(us->ev_fd, &one, sizeof(one)) < 0) {
		/* counter saturated: the reader is already woken */
	}
	pthread_mutex_unlock(&q->lock); /* EVENT QUEUE UNLOCK */
}

static void
sa_event(struct spu *s, struct us_sa *sa, enum dp_event_type type, const char *why)
{
	struct dp_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.tunnel_id = sa->tunnel_id;
	ev.spi = sa->spi;
	ev.dir = sa->dir;
	ev.src = sa->dir == DP_DIR_IN ? sa->remote : sa->local;
	ev.dst = sa->dir == DP_DIR_IN ? sa->local : sa->remote;
	ev.spu = s->idx;
	snprintf(ev.msg, sizeof(ev.msg), "SA %08x %s: %s", sa->spi,
	    sa->dir == DP_DIR_IN ? "inbound" : "outbound", why);
	us_event_post(s->us, &ev);
}

/* Byte/packet lifetimes after each packet (RFC 4301 4.4.2.1). */
static void
sa_account(struct spu *s, struct us_sa *sa, size_t bytes)
{
	const struct dp_lifetime *l = &sa->life;
	uint64_t lb, lp;

	sa->st.packets++;
	sa->st.bytes += bytes;
	sa->st.last_used = s->now;
	if (!(sa->flags & DP_SA_HAS_LIFETIME))
		return;
	/* since the SA's start, not since the statistics were last cleared */
	lb = sa->st.bytes + sa->cleared_bytes;
	lp = sa->st.packets + sa->cleared_packets;
	if ((l->hard_bytes && lb >= l->hard_bytes) || (l->hard_packets && lp >= l->hard_packets)) {
		sa->dead = true;
		sa_event(s, sa, DP_EV_HARD_EXPIRE, "hard lifetime reached");
	} else if (!sa->soft_sent && ((l->soft_bytes && lb >= l->soft_bytes) ||
	                                 (l->soft_packets && lp >= l->soft_packets))) {
		sa->soft_sent = true;
		sa_event(s, sa, DP_EV_SOFT_EXPIRE, "soft lifetime reached");
	}
}

static void
sa_check_time(struct spu *s, struct us_sa *sa)
{
	const struct dp_lifetime *l = &sa->life;
	uint64_t age = s->now - sa->st.add_time;

	if (sa->dead || !(sa->flags & DP_SA_HAS_LIFETIME))
		return;
	if (l->hard_seconds && age >= l->hard_seconds) {
		sa->dead = true;
		sa_event(s, sa, DP_EV_HARD_EXPIRE, "hard lifetime (seconds) reached");
	} else if (!sa->soft_sent && l->soft_seconds && age >= l->soft_seconds) {
		sa->soft_sent = true;
		sa_event(s, sa, DP_EV_SOFT_EXPIRE, "soft lifetime (seconds) reached");
	}
}

/* ---- tables ---- */

static struct spu_tun *
tun_find(struct spu *s, uint32_t id)
{
	uint64_t h = hmap_mix(id);
	struct hnode *it;

	HMAP_FOR_HASH(&s->tuns, h, it)
	{
		struct spu_tun *t = hmap_entry(it, struct spu_tun, hn);
		if (t->d->t.id == id)
			return t;
	}
	return NULL;
}

static struct spu_unit *
unit_find(struct spu *s, uint32_t id)
{
	uint64_t h = hmap_mix((uint64_t)id | (1ULL << 40));
	struct hnode *it;

	HMAP_FOR_HASH(&s->units, h, it)
	{
		struct spu_unit *u = hmap_entry(it, struct spu_unit, hn);
		if (u->d->u.unit == id)
			return u;
	}
	return NULL;
}

static struct spi_ent *
spi_find(struct spu *s, uint32_t spi)
{
	uint64_t h = spi_hash(spi);
	struct hnode *it;

	/* the hash holds the SPI: the first node with it is the entry */
	HMAP_FOR_HASH(&s->spis, h, it)
	{
		return hmap_entry(it, struct spi_ent, hn);
	}
	return NULL;
}

static void
unit_link(struct spu_unit *u, struct spu_tun *t)
{
	struct spu_tun **n;

	if (u->cap == 0 && u->ntun == 0) {
		u->tun.one = t;
		u->ntun = 1;
		return;
	}
	if (u->cap == 0) {
		/* a second tunnel: the inline one moves into an array */
		n = malloc(4 * sizeof(*n));
		if (n == NULL)
			return; /* the tunnel stays unreachable through this unit */
		n[0] = u->tun.one;
		u->tun.arr = n;
		u->cap = 4;
	} else if (u->ntun == u->cap) {
		uint32_t cap = u->cap * 2;
		n = realloc(u->tun.arr, cap * sizeof(*n));
		if (n == NULL)
			return;
		u->tun.arr = n;
		u->cap = cap;
	}
	u->tun.arr[u->ntun++] = t;
}

static void
unit_unlink(struct spu_unit *u, struct spu_tun *t)
{
	struct spu_tun **v = u->cap != 0 ? u->tun.arr : &u->tun.one;
	uint32_t i;

	for (i = 0; i < u->ntun; i++) {
		if (v[i] == t) {
			v[i] = v[--u->ntun];
			return;
		}
	}
}

void
spu_sa_free(struct us_sa *sa)
{
	if (sa == NULL)
		return;
	esp_xform_fini(&sa->x);
	replay_fini(&sa->rp);
	xmem_free(sa, sizeof(*sa));
}

/* ---- outbound: the send queue ---- */

static size_t
txq_cmsg(struct txq *q, int i, const struct us_sa *sa, uint8_t tos)
{
	struct msghdr *mh = &q->msg[i].msg_hdr;
	struct cmsghdr *c;
	size_t len = 0;

	memset(q->cmsg[i], 0, sizeof(q->cmsg[i]));
	mh->msg_control = q->cmsg[i];
	mh->msg_controllen = sizeof(q->cmsg[i]);
	c = CMSG_FIRSTHDR(mh);
	if (sa->local.family == AF_INET) {
		struct in_pktinfo pi;
		int t = tos;

		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = sa->local.u.v4;
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		len += CMSG_SPACE(sizeof(pi));
		c = CMSG_NXTHDR(mh, c);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_TOS;
		c->cmsg_len = CMSG_LEN(sizeof(t));
		memcpy(CMSG_DATA(c), &t, sizeof(t));
		len += CMSG_SPACE(sizeof(t));
	} else {
		struct in6_pktinfo pi;
		int t = tos;

		memset(&pi, 0, sizeof(pi));
		pi.ipi6_addr = sa->local.u.v6;
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		len += CMSG_SPACE(sizeof(pi));
		c = CMSG_NXTHDR(mh, c);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_TCLASS;
		c->cmsg_len = CMSG_LEN(sizeof(t));
		memcpy(CMSG_DATA(c), &t, sizeof(t));
		len += CMSG_SPACE(sizeof(t));
	}
	return len;
}

/* Completes the deferred encryptions of the queued datagrams. */
static void
txq_seal(struct txq *q)
{
	if (q->nseal > 0)
		esp_seal_finish(q->seal, (size_t)q->nseal);
	q->nseal = 0;
}

static void
txq_flush(struct spu *s)
{
	struct txq *q = &s->tx;
	int i = 0, j, sent;

	txq_seal(q);

	/* the UDP GSO segment size goes in as a final control message */
	for (j = 0; j < q->n; j++) {
		if (q->nseg[j] > 1) {
			struct msghdr *mh = &q->msg[j].msg_hdr;
			struct cmsghdr *c =
			    (struct cmsghdr *)((uint8_t *)mh->msg_control + mh->msg_controllen);
			uint16_t seg = q->seg[j];

			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
			mh->msg_controllen += CMSG_SPACE(sizeof(seg));
		}
	}
	while (i < q->n) {
		/* one sendmmsg per run of entries on the same socket */
		for (j = i + 1; j < q->n && q->fd[j] == q->fd[i]; j++)
			;
		while (i < j) {
			sent = sendmmsg(q->fd[i], &q->msg[i], (unsigned)(j - i), MSG_DONTWAIT);
			if (sent <= 0) {
				/* this entry failed (EMSGSIZE, ENOBUFS...): count, skip it */
				ctr_add(&s->ctr.tx_errors, q->nseg[i]);
				i++;
				continue;
			}
			i += sent;
		}
	}
	q->n = 0;
	q->used = 0;
}

/* Room for one datagram of up to need bytes at the slab's end. */
static uint8_t *
tx_room(struct spu *s, size_t need)
{
	if (s->tx.used + need > US_TX_SLAB || s->tx.n >= US_TX_MAX)
		txq_flush(s);
	return s->tx.slab + s->tx.used;
}

/* Queues the len bytes just written at tx_room(). */
static void
tx_push(struct spu *s, int fd, const struct us_sa *sa, size_t len, uint8_t tos)
{
	struct txq *q = &s->tx;
	uint8_t *p = q->slab + q->used;
	int i = q->n - 1;
	struct msghdr *mh;
	/* UDP GSO only for datagrams that fit the path: bigger ones are
	 * fragmented by the kernel, which GSO refuses */
	bool fits = len + (sa->remote.family == AF_INET ? 28 : 48) <= sa->outer_mtu;

	if (i >= 0 && q->gso_ok[i] && sa->encap && fits && q->fd[i] == fd &&
	    q->msg[i].msg_hdr.msg_name == (void *)&sa->peer && q->seg[i] != 0 && len <= q->seg[i] &&
	    q->nseg[i] < US_GSO_MAX_SEGS && q->iov[i].iov_len + len <= US_GSO_MAX_BYTES &&
	    (uint8_t *)q->iov[i].iov_base + q->iov[i].iov_len == p && q->tos[i] == tos) {
		q->iov[i].iov_len += len;
		q->nseg[i]++;
		if (len < q->seg[i])
			q->gso_ok[i] = false; /* a short datagram ends a GSO run */
		q->used += len;
		return;
	}
	i = q->n++;
	q->fd[i] = fd;
	q->iov[i].iov_base = p;
	q->iov[i].iov_len = len;
	q->seg[i] = (uint16_t)len;
	q->nseg[i] = 1;
	q->gso_ok[i] = sa->encap && fits;
	q->tos[i] = tos;
	mh = &q->msg[i].msg_hdr;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = (void *)&sa->peer;
	mh->msg_namelen = sa->peer_len;
	mh->msg_iov = &q->iov[i];
	mh->msg_iovlen = 1;
	mh->msg_controllen = txq_cmsg(q, i, sa, tos);
	q->used += len;
}

static void
fill_iv(struct spu *s, struct us_sa *sa, uint8_t *iv)
{
	if (sa->x.aead) {
		/* RFC 4106 3.1: a counter is a fine GCM IV; the sequence number is one */
		wr_be64(iv, sa->seq);
		return;
	}
	/* RFC 3602 2.1: CBC IVs must be unpredictable */
	if (s->rnd_used + sa->x.iv_len > sizeof(s->rnd)) {
		if (RAND_bytes(s->rnd, sizeof(s->rnd)) != 1)
			memset(s->rnd, 0, sizeof(s->rnd)); /* never: the DRBG is seeded */
		s->rnd_used = 0;
	}
	memcpy(iv, s->rnd + s->rnd_used, sa->x.iv_len);
	s->rnd_used += sa->x.iv_len;
}

static int
tx_fd(struct spu *s, const struct us_sa *sa, bool df)
{
	int f = sa->remote.family == AF_INET ? 0 : 1;

	if (sa->encap)
		return df ? s->udp_df[f] : s->udp[f];
	return df ? s->raw_df[f] : s->raw[f];
}

/*
 * The inner packet (plen bytes) is at esp + ESP_HDR_LEN + iv_len in the
 * slab: encrypt it in place and queue the datagram.
 */
static void
seal_push(
    struct spu *s, struct us_sa *sa, uint8_t *esp, size_t plen, uint8_t nh, bool df, uint8_t tos)
{
	uint8_t iv[ESP_IV_MAX];
	size_t out;
	int rc;

	/* hard-expired: also part-way through one packet's GSO segments or
	 * fragments, whose loop picked the SA once */
	if (sa->dead) {
		ctr_add(&s->ctr.no_sa_drops, 1);
		return;
	}
	if (!(sa->flags & DP_SA_ESN) && sa->seq >= UINT32_MAX) {
		/* RFC 4303 3.3.3: the counter must not cycle */
		sa->dead = true;
		sa_event(s, sa, DP_EV_HARD_EXPIRE, "sequence number space exhausted");
		ctr_add(&s->ctr.no_sa_drops, 1);
		return;
	}
	sa->seq++;
	fill_iv(s, sa, iv);
	/* GSO runs put many datagrams in one queue entry: seal[] can fill
	 * before the queue does */
	if (s->tx.nseal == US_TX_MAX)
		txq_seal(&s->tx);
	rc = esp_seal_start(&sa->x, sa->spi, sa->seq, sa->esn, iv, nh, esp, plen,
	    s->tx.slab + US_TX_SLAB - esp, &out, &s->tx.seal[s->tx.nseal]);
	if (rc < 0) {
		ctr_add(&s->ctr.other_drops, 1);
		return;
	}
	if (rc == 1)
		s->tx.nseal++;
	tx_push(s, tx_fd(s, sa, df), sa, out, tos);
	ctr_add(&s->ctr.encrypt_packets, 1);
	ctr_add(&s->ctr.encrypt_bytes, plen);
	sa_account(s, sa, plen);
	if (!sa->esn && !sa->soft_sent && sa->seq == 0xc0000000u) {
		sa->soft_sent = true;
		sa_event(s, sa, DP_EV_SOFT_EXPIRE, "sequence number space 75% used");
	}
}

/* ---- outbound: classification ---- */

static bool
tun_ts_match(const struct us_tunnel *d, const struct pkt_info *pi, bool outbound)
{
	const uint8_t *l = outbound ? pi->src : pi->dst, *r = outbound ? pi->dst : pi->src;
	uint16_t lp = outbound ? pi->sport : pi->dport, rp = outbound ? pi->dport : pi->sport;
	bool lok = d->t.n_local_ts == 0 && (d->t.local_any == 0 || d->t.local_any == pi->family);
	bool rok = d->t.n_remote_ts == 0 && (d->t.remote_any == 0 || d->t.remote_any == pi->family);
	uint32_t i;

	for (i = 0; !lok && i < d->t.n_local_ts; i++)
		lok = pkt_ts_match(&d->t.local_ts[i], pi->family, l, pi->proto, lp, pi->ports);
	for (i = 0; !rok && i < d->t.n_remote_ts; i++)
		rok = pkt_ts_match(&d->t.remote_ts[i], pi->family, r, pi->proto, rp, pi->ports);
	return lok && rok;
}

/* A policy's selectors are in the packet's terms in both directions, as
 * the kernel's: an IN policy's source is the remote side (dp.h). */
static bool
pol_match(const struct dp_policy *p, const struct pkt_info *pi)
{
	return pkt_ts_match(&p->sel_src, pi->family, pi->src, pi->proto, pi->sport, pi->ports) &&
	       pkt_ts_match(&p->sel_dst, pi->family, pi->dst, pi->proto, pi->dport, pi->ports);
}

/* 2. route-based: the dataplane's copy of the routes into st0 */
static struct spu_tun *
classify_route(struct spu *s, const struct pkt_info *pi, const struct spu_unit **unit)
{
	const struct lpm_route *r;
	struct spu_unit *u;
	struct spu_tun *const *tv;
	struct dp_addr nh;
	uint32_t i;

	*unit = NULL;
	r = lpm_lookup(&s->routes, pi->family, pi->dst);
	if (r == NULL || (u = unit_find(s, r->unit)) == NULL || !u->d->u.up || u->ntun == 0)
		return NULL;
	*unit = u;
	tv = spu_unit_tuns(u);
	if (u->d->u.multipoint) {
		if (r->nh_family != 0) {
			lpm_route_nexthop(r, &nh);
		} else {
			memset(&nh, 0, sizeof(nh));
			nh.family = pi->family;
			memcpy(nh.u.b, pi->dst, pi->family == AF_INET ? 4 : 16);
		}
		for (i = 0; i < u->ntun; i++) {
			const struct dp_addr *t = &tv[i]->d->t.nexthop;
			if (t->family == nh.family &&
			    memcmp(t->u.b, nh.u.b, nh.family == AF_INET ? 4 : 16) == 0)
				return tv[i];
		}
		return NULL;
	}
	if (u->ntun == 1)
		return tv[0];
	/* several CHILD SAs on one unit (traffic selectors): the matching
	 * one; a packet that matches none has no SA (RFC 4301 5.1: it must
	 * not leave in another selector's SA, whose peer would drop it) */
	for (i = 0; i < u->ntun; i++)
		if (tun_ts_match(tv[i]->d, pi, true))
			return tv[i];
	return NULL;
}

/* The first OUT policy (in order) that pi matches; NULL if none. */
static const struct dp_policy *
pol_first(const struct spu *s, const struct pkt_info *pi)
{
	for (uint32_t i = 0; i < s->npol; i++)
		if (pol_match(&s->pol[i]->p, pi))
			return &s->pol[i]->p;
	return NULL;
}

static struct spu_tun *
classify(struct spu *s, const struct pkt_info *pi, const struct spu_unit **unit)
{
	/* 1. policy-based VPNs: the kernel's policy rules sent it here */
	const struct dp_policy *p = pol_first(s, pi);

	if (p != NULL) {
		*unit = NULL;
		return tun_find(s, p->tunnel_id);
	}
	return classify_route(s, pi, unit);
}

/* ---- outbound: fragments and policy-based VPNs (§6) ---- */

static bool
pol_has_ports(const struct dp_policy *p)
{
	return pkt_ts_has_ports(&p->sel_src) || pkt_ts_has_ports(&p->sel_dst);
}

/* p's addresses and protocol match pi, whatever its ports */
static bool
pol_match_noports(const struct dp_policy *p, const struct pkt_info *pi)
{
	struct dp_ts a = p->sel_src, b = p->sel_dst;

	a.port_lo = b.port_lo = 0;
	a.port_hi = b.port_hi = 0xffff;
	return pkt_ts_match(&a, pi->family, pi->src, pi->proto, 0, false) &&
	       pkt_ts_match(&b, pi->family, pi->dst, pi->proto, 0, false);
}

enum frag_verdict {
	FV_TUN,  /* *tid: the policy's tunnel */
	FV_NONE, /* no policy: the routes decide (and else resend()) */
	FV_DROP, /* a port-selected policy may want it and nobody knows */
};

/*
 * Stateful fragment checking (RFC 4301 7.3) for a fragment while OUT
 * policies exist: the first fragment has the ports and is matched like
 * any packet, its decision kept in the SPU's table; later fragments take
 * the decision of their first fragment. A later fragment without one
 * (out of order, expired, or its first fragment read by another SPU)
 * follows the first policy its addresses and protocol match when that
 * policy has no port selectors; when it has, the fragment is dropped
 * (frag_drops): it may belong to that policy's traffic and must not
 * leave in clear, nor in another SA.
 */
static enum frag_verdict
frag_decide(struct spu *s, const struct pkt_info *pi, uint32_t *tid)
{
	uint64_t now = mono_ms();
	uint64_t v = US_FRAG_NONE;
	uint32_t i;
	bool no_ports = pi->later_frag || (!pi->ports && pkt_proto_has_ports(pi->proto));

	if (!no_ports) {
		const struct dp_policy *p = pol_first(s, pi);

		if (p != NULL)
			v = p->tunnel_id;
		frag_tab_put(s->frag, pi, v, now);
	} else if (!pi->later_frag || !frag_tab_get(s->frag, pi, &v, now)) {
		/* a later fragment without decision, or a first fragment too
		 * short to hold the ports (RFC 1858 "tiny fragment"; its
		 * decision, drop included, holds for the rest) */
		for (i = 0; i < s->npol; i++) {
			const struct dp_policy *p = &s->pol[i]->p;

			if (!pol_match_noports(p, pi))
				continue;
			v = pol_has_ports(p) ? US_FRAG_DROP : p->tunnel_id;
			break;
		}
		if (!pi->later_frag)
			frag_tab_put(s->frag, pi, v, now);
	}
	if (v == US_FRAG_DROP)
		return FV_DROP;
	if (v == US_FRAG_NONE)
		return FV_NONE;
	*tid = (uint32_t)v;
	return FV_TUN;
}

/*
 * A packet the kernel's fragment rules sent here (us.h) that no policy
 * and no route into st0 wants: sent on in clear on its normal route, as
 * it would have gone without those rules. The raw socket's mark keeps it
 * out of every policy rule, so it cannot come back.
 */
static void
resend(struct spu *s, const struct virtio_net_hdr *vh, uint8_t *p, const struct pkt_info *pi)
{
	int fd = s->resend[pi->family == AF_INET ? 0 : 1];
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} to;
	socklen_t tl;

	if (fd < 0 || vh->gso_type != VIRTIO_NET_HDR_GSO_NONE ||
	    (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM &&
	        pkt_csum_finish(p, pi->len, vh->csum_start, vh->csum_offset) < 0)) {
		ctr_add(&s->ctr.no_route_drops, 1);
		return;
	}
	memset(&to, 0, sizeof(to));
	if (pi->family == AF_INET) {
		to.v4.sin_family = AF_INET;
		memcpy(&to.v4.sin_addr, pi->dst, 4);
		tl = sizeof(to.v4);
	} else {
		to.v6.sin6_family = AF_INET6;
		memcpy(&to.v6.sin6_addr, pi->dst, 16);
		tl = sizeof(to.v6);
	}
	if (sendto(fd, p, pi->len, MSG_DONTWAIT, (struct sockaddr *)&to, tl) < 0) {
		ctr_add(&s->ctr.tx_errors, 1);
		return;
	}
	ctr_add(&s->ctr.frag_resent, 1);
}

/* What the fragment rules catch (us.h): fragments, and the TCP/UDP/SCTP
 * packets whose ports the kernel cannot name in a range (0, 65535) */
static bool
frag_caught(const struct pkt_info *pi)
{
	return pi->frag ||
	       (pkt_proto_has_ports(pi->proto) && (pi->sport == 0 || pi->sport == 0xffff) &&
	           (pi->dport == 0 || pi->dport == 0xffff));
}

static struct us_sa *
out_sa(struct spu_tun *t)
{
	struct us_sa *sa;

	for (sa = t->out; sa != NULL; sa = sa->tnext)
		if (!sa->dead)
			return sa;
	return NULL;
}

static void
acquire(struct spu *s, struct spu_tun *t, const struct pkt_info *pi)
{
	struct dp_event ev;

	if (!t->d->t.on_traffic || t->last_acquire == s->now)
		return; /* at most one per tunnel per second */
	t->last_acquire = s->now;
	memset(&ev, 0, sizeof(ev));
	ev.type = DP_EV_ACQUIRE;
	ev.tunnel_id = t->d->t.id;
	ev.dir = DP_DIR_OUT;
	ev.spu = s->idx;
	ev.src.family = ev.dst.family = pi->family;
	memcpy(ev.src.u.b, pi->src, pi->family == AF_INET ? 4 : 16);
	memcpy(ev.dst.u.b, pi->dst, pi->family == AF_INET ? 4 : 16);
	snprintf(ev.msg, sizeof(ev.msg), "tunnel %u: traffic and no SA", t->d->t.id);
	us_event_post(s->us, &ev);
}

static int
tun_writev(void *arg, struct iovec *iov, int n)
{
	struct spu *s = arg;

	if (writev(s->tunfd, iov, n) < 0) {
		ctr_add(&s->ctr.other_drops, 1);
		return -errno;
	}
	return 0;
}

/*
 * An ICMP error toward the sender of p, written to st0, within the SPU's
 * ICMP token bucket (s->icmp_tb); the rest are counted as suppressed.
 */
static void
too_big(struct spu *s, const struct spu_unit *u, const struct us_sa *sa, const uint8_t *p,
    size_t len, uint32_t mtu)
{
	const struct dp_addr *src = NULL;
	struct virtio_net_hdr vh;
	struct iovec iov[2];
	uint8_t fam = (p[0] >> 4) == 4 ? AF_INET : AF_INET6;
	size_t n;

	if (u != NULL && fam == AF_INET && u->d->u.addr4.addr.family == AF_INET)
		src = &u->d->u.addr4.addr;
	else if (u != NULL && fam == AF_INET6 && u->d->u.addr6.addr.family == AF_INET6)
		src = &u->d->u.addr6.addr;
	else if (sa->local.family == fam)
		src = &sa->local;
	ctr_add(&s->ctr.mtu_drops, 1);
	/* the token first: under a flood of oversize packets the error is
	 * not even built */
	if (!pkt_tb_take(&s->icmp_tb, mono_ms())) {
		ctr_add(&s->ctr.icmp_suppressed, 1);
		return;
	}
	n = pkt_icmp_too_big(s->icmp, sizeof(s->icmp), p, len, mtu, src);
	if (n == 0) {
		pkt_tb_refund(&s->icmp_tb); /* no error may be sent about p */
		return;
	}
	memset(&vh, 0, sizeof(vh));
	iov[0].iov_base = &vh;
	iov[0].iov_len = sizeof(vh);
	iov[1].iov_base = s->icmp;
	iov[1].iov_len = n;
	tun_writev(s, iov, 2);
}

static bool
outer_df(const struct us_sa *sa, const struct pkt_info *pi)
{
	switch (sa->df) {
	case DP_DF_SET:
		return true;
	case DP_DF_COPY:
		return pi->family == AF_INET ? pi->df : true;
	case DP_DF_CLEAR:
		break;
	}
	return false;
}

static void
handoff(struct spu *s, uint32_t dst, uint32_t kind, uint64_t meta, const void *h, size_t hl,
    const void *p, size_t len)
{
	struct ring *r = &s->us->rings[s->idx * s->us->nspu + dst];
	struct ring_rec *rec = ring_reserve(r, hl + len);

	if (rec == NULL) {
		ctr_add(&s->ctr.handoff_drops, 1);
		return;
	}
	rec->kind = kind;
	rec->meta = meta;
	if (hl)
		memcpy(rec + 1, h, hl);
	memcpy((uint8_t *)(rec + 1) + hl, p, len);
	ring_commit(r, rec);
	s->pushed[dst] = true;
	ctr_add(&s->ctr.handoffs, 1);
}

/* One inner packet that fits: copy into the slab and seal. */
static void
out_one(
    struct spu *s, struct us_sa *sa, const uint8_t *p, size_t len, uint8_t nh, bool df, uint8_t tos)
{
	size_t hdr = ESP_HDR_LEN + sa->x.iv_len;
	uint8_t *esp = tx_room(s, hdr + len + ESP_BLK_MAX + ESP_TRL_LEN + ESP_ICV_MAX);

	memcpy(esp + hdr, p, len);
	seal_push(s, sa, esp, len, nh, df, tos);
}

/*
 * An outbound packet (from st0 or handed off): p has len bytes, vh its
 * offload header. Owned tunnels only past the handoff. meta (handed
 * packets) is the tunnel id + 1 when the SPU that read it decided by a
 * fragment decision (frag_decide), which the owner follows; else 0 (a
 * handed fragment with 0: the reader found no policy for it).
 */
static void
out_packet(struct spu *s, const struct virtio_net_hdr *vh, uint8_t *p, size_t len, bool handed,
    uint64_t meta)
{
	const struct spu_unit *u;
	struct pkt_info pi;
	struct spu_tun *t;
	struct us_sa *sa;
	bool gso = vh->gso_type != VIRTIO_NET_HDR_GSO_NONE, df;
	uint8_t nh, tos;
	size_t seglen;
	uint64_t fmeta = 0;
	bool decided = false; /* a policy (or the lack of a fragment decision) chose */

	if (pkt_parse(p, len, &pi) < 0) {
		ctr_add(&s->ctr.other_drops, 1);
		return;
	}
	if (__builtin_expect(meta != 0, 0)) {
		/* handed: the reader's fragment decision (its table, not ours) */
		u = NULL;
		t = tun_find(s, (uint32_t)(meta - 1));
		decided = true;
	} else if (__builtin_expect(pi.frag && s->npol != 0, 0)) {
		uint32_t tid;

		u = NULL;
		if (handed) {
			/* the reader found no policy for it: the routes decide */
			t = classify_route(s, &pi, &u);
		} else {
			switch (frag_decide(s, &pi, &tid)) {
			case FV_TUN:
				t = tun_find(s, tid);
				fmeta = (uint64_t)tid + 1;
				decided = true;
				break;
			case FV_DROP:
				ctr_add(&s->ctr.frag_drops, 1);
				return;
			case FV_NONE:
			default:
				t = classify_route(s, &pi, &u);
				break;
			}
		}
	} else {
		t = classify(s, &pi, &u);
	}
	if (t == NULL) {
		/* not one a policy chose (whose tunnel is missing right now:
		 * never in clear), nor one for a route into st0 */
		if (s->npol != 0 && !decided && frag_caught(&pi) &&
		    lpm_lookup(&s->routes, pi.family, pi.dst) == NULL &&
		    (pi.frag || pol_first(s, &pi) == NULL))
			resend(s, vh, p, &pi);
		else
			ctr_add(&s->ctr.no_route_drops, 1);
		return;
	}
	if (t->d->t.spu != s->idx) {
		if (handed) {
			ctr_add(&s->ctr.other_drops, 1); /* moving between SPUs right now */
			return;
		}
		handoff(s, t->d->t.spu, REC_OUT, fmeta, vh, sizeof(*vh), p, len);
		return;
	}
	sa = out_sa(t);
	if (sa == NULL) {
		acquire(s, t, &pi);
		ctr_add(&s->ctr.no_sa_drops, 1);
		return;
	}
	nh = pi.family == AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	/* RFC 4301 5.1.2.1 / RFC 2983: the outer DSCP and ECN follow the inner */
	tos = pi.tos;
	df = outer_df(sa, &pi);

	if (gso) {
		struct gso_iter it;
		size_t hdr = ESP_HDR_LEN + sa->x.iv_len;
		uint8_t *esp;

		if (gso_iter_init(&it, vh, p, len) < 0) {
			ctr_add(&s->ctr.other_drops, 1);
			return;
		}
		if ((size_t)it.hlen + it.mss > sa->inner_mtu) {
			/* TCP segments bigger than the tunnel: PMTU discovery
			 * for IPv4 with DF and for IPv6, except when the tunnel
			 * is below IPv6's minimum MTU, which no "packet too big"
			 * can get below (RFC 8200 5): the outer packets are
			 * fragmented, as unsegmented ones are below */
			if ((pi.family == AF_INET && pi.df) ||
			    (pi.family == AF_INET6 && sa->inner_mtu >= 1280)) {
				too_big(s, u, sa, p, len, sa->inner_mtu);
				return;
			}
			if (pi.family == AF_INET && df) {
				/* IPv4 without DF, df-bit set: where an unsegmented
				 * packet is fragmented before encryption, the
				 * segments are cut to fit instead (smaller TCP
				 * segments of the same bytes, no fragments) */
				if (it.hlen >= sa->inner_mtu) {
					ctr_add(&s->ctr.mtu_drops, 1);
					return;
				}
				it.mss = (uint16_t)(sa->inner_mtu - it.hlen);
			} else {
				/* IPv4 without DF, IPv6 below 1280: encrypted
				 * whole, the outer packets fragmented by the kernel */
				df = false;
			}
		}
		for (;;) {
			esp = tx_room(
			    s, hdr + it.hlen + it.mss + ESP_BLK_MAX + ESP_TRL_LEN + ESP_ICV_MAX);
			seglen = gso_iter_next(&it, esp + hdr, it.hlen + it.mss);
			if (seglen == 0)
				break;
			seal_push(s, sa, esp, seglen, nh, df, tos);
		}
		return;
	}
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM &&
	    pkt_csum_finish(p, len, vh->csum_start, vh->csum_offset) < 0) {
		ctr_add(&s->ctr.other_drops, 1);
		return;
	}
	len = pi.len;
	if (len > sa->inner_mtu) {
		if (pi.family == AF_INET && pi.df) {
			too_big(s, u, sa, p, len, sa->inner_mtu);
			return;
		}
		if (pi.family == AF_INET6 && sa->inner_mtu >= 1280) {
			too_big(s, u, sa, p, len, sa->inner_mtu);
			return;
		}
		if (pi.family == AF_INET && df) {
			/* df-bit set, inner DF clear: fragment before encryption (RFC 4459 3) */
			struct frag4_iter fi;
			size_t hdr = ESP_HDR_LEN + sa->x.iv_len, fl;
			uint8_t *esp;
			int r;

			if ((r = frag4_init(&fi, p, len, sa->inner_mtu)) < 0) {
				/* malformed IPv4 options count as other drops */
				ctr_add(
				    r == -EMSGSIZE ? &s->ctr.mtu_drops : &s->ctr.other_drops, 1);
				return;
			}
			for (;;) {
				esp = tx_room(s,
				    hdr + sa->inner_mtu + ESP_BLK_MAX + ESP_TRL_LEN + ESP_ICV_MAX);
				fl = frag4_next(&fi, esp + hdr, sa->inner_mtu);
				if (fl == 0)
					break;
				seal_push(s, sa, esp, fl, nh, true, tos);
			}
			return;
		}
		/* otherwise the outer packet is fragmented by the kernel (DF clear) */
		df = false;
	}
	out_one(s, sa, p, len, nh, df, tos);
}

static void
tun_rx(struct spu *s)
{
	struct virtio_net_hdr vh;
	ssize_t n;
	int i;

	size_t bytes = 0;

	for (i = 0; i < 64 && bytes < US_TUN_BUDGET; i++) {
		n = read(s->tunfd, s->tunbuf, US_TUN_BUF);
		if (n < (ssize_t)sizeof(vh))
			break;
		bytes += (size_t)n;
		memcpy(&vh, s->tunbuf, sizeof(vh));
		out_packet(s, &vh, s->tunbuf + sizeof(vh), (size_t)n - sizeof(vh), false, 0);
	}
	/* not behind the other direction's batch (TCP ACKs among them) */
	if (s->tx.n > 0)
		txq_flush(s);
}

/* ---- inbound ---- */

static bool
in_allowed_nofrag(const struct us_tunnel *d, const struct pkt_info *pi)
{
	uint32_t i;

	if (!us_tun_has_ts(&d->t) && d->n_in_pol == 0)
		return true;
	if (us_tun_has_ts(&d->t) && tun_ts_match(d, pi, false))
		return true;
	for (i = 0; i < d->n_in_pol; i++)
		if (pol_match(&d->in_pol[i]->p, pi))
			return true;
	return false;
}

/*
 * The same for fragments, stateful (RFC 4301 7.3): a later fragment has
 * no ports, so port selectors cannot admit it; it is admitted when the
 * first fragment of its packet was, through the same tunnel (the SA's
 * owner SPU sees all of the tunnel's inbound packets: the table is its
 * own). A later fragment before its first one is dropped.
 */
static bool
in_allowed(struct spu *s, const struct us_tunnel *d, const struct pkt_info *pi)
{
	uint64_t v;

	if (in_allowed_nofrag(d, pi)) {
		if (__builtin_expect(pi->frag && !pi->later_frag, 0))
			frag_tab_put(s->frag_in, pi, d->t.id, mono_ms());
		return true;
	}
	return pi->later_frag && frag_tab_get(s->frag_in, pi, &v, mono_ms()) && v == d->t.id;
}

/*
 * One ESP packet (esp[0..len)) that arrived on this SPU. icv, if not NULL, is the ICV this packet must
 * carry if its sequence number is icv_seq (precomputed by in_esp_group()).
 */
static void
in_esp(struct spu *s, uint8_t *esp, size_t len, uint64_t meta, const uint8_t *icv, uint64_t icv_seq)
{
	struct spi_ent *e;
	struct us_sa *sa;
	struct pkt_info pi;
	uint32_t spi, seq_lo;
	uint64_t seq;
	size_t off, plen;
	uint8_t nh, *inner;
	int rc;

	if (!esp_peek(esp, len, &spi, &seq_lo)) {
		ctr_add(&s->ctr.other_drops, 1);
		return;
	}
	e = spi_find(s, spi);
	if (e == NULL) {
		uint32_t supp;
		ctr_add(&s->ctr.unknown_spi, 1);
		if (log_ratelimit_ok(&s->rl_spi, &supp))
			log_warnx(LOG_ESP,
			    "SPU %u: ESP with unknown SPI %08x (%u earlier not logged)", s->idx,
			    spi, supp);
		return;
	}
	if (spi_ent_owner(e, s->idx) != s->idx) {
		if (META_HOPS(meta) >= 2) {
			ctr_add(&s->ctr.other_drops, 1); /* SA moving between SPUs */
			return;
		}
		handoff(s, spi_ent_owner(e, s->idx), REC_IN, meta + (1u << 16), NULL, 0, esp, len);
		return;
	}
	sa = spi_ent_sa(e);
	if (sa == NULL) {
		ctr_add(&s->ctr.unknown_spi, 1);
		return;
	}
	if (sa->dead) {
		/* hard-expired, not yet removed: an SA we had, not an unknown SPI */
		ctr_add(&s->ctr.no_sa_drops, 1);
		return;
	}
	if (((meta & META_ENCAP) != 0) != sa->encap) {
		sa->st.bad_headers++; /* RFC 3948 / 4303: carried the wrong way */
		ctr_add(&s->ctr.other_drops, 1);
		return;
	}
	/* RFC 4303 3.4.3: the replay pre-check comes before the ICV */
	seq = replay_infer(&sa->rp, seq_lo, sa->esn);
	if (!replay_check(&sa->rp, seq)) {
		sa->st.replay_drops++;
		ctr_add(&s->ctr.replay_drops, 1);
		return;
	}
	/* the precomputed ICV only for the sequence number it was computed with */
	rc = esp_open_icv(&sa->x, seq, sa->esn, esp, len,
	    icv != NULL && icv_seq == seq ? icv : NULL, &off, &plen, &nh);
	if (rc < 0) {
		if (rc == -EACCES) {
			uint32_t supp;
			sa->st.auth_failures++;
			ctr_add(&s->ctr.auth_failures, 1);
			if (log_ratelimit_ok(&s->rl_auth, &supp))
				log_warnx(LOG_ESP,
				    "SA %08x: authentication failed, seq %" PRIu64
				    " (%u earlier not logged)",
				    sa->spi, seq, supp);
		} else if (rc == -EPROTO) {
			sa->st.bad_trailers++;
			ctr_add(&s->ctr.other_drops, 1);
		} else if (rc == -EBADMSG) {
			sa->st.bad_headers++;
			ctr_add(&s->ctr.other_drops, 1);
		} else {
			sa->st.decrypt_failures++;
			ctr_add(&s->ctr.other_drops, 1);
		}
		return;
	}
	replay_update(&sa->rp, seq);
	ctr_add(&s->ctr.decrypt_packets, 1);
	ctr_add(&s->ctr.decrypt_bytes, plen);
	sa_account(s, sa, plen);
	if (nh == 59)
		return; /* RFC 4303 2.6: a dummy packet */
	inner = esp + off;
	if ((nh != IPPROTO_IPIP && nh != IPPROTO_IPV6) || pkt_parse(inner, plen, &pi) < 0 ||
	    (nh == IPPROTO_IPIP) != (pi.family == AF_INET)) {
		sa->st.bad_trailers++;
		ctr_add(&s->ctr.other_drops, 1);
		return;
	}
	/* RFC 4301 5.2: what comes out must match the SA's selectors */
	if (sa->tun == NULL || !in_allowed(s, sa->tun->d, &pi)) {
		sa->st.selector_drops++;
		ctr_add(&s->ctr.other_drops, 1);
		return;
	}
	if (sa->flags & DP_SA_COPY_DSCP) {
		uint8_t dscp = (uint8_t)(META_TOS(meta) & 0xfc);
		if (pi.family == AF_INET) {
			inner[1] = (uint8_t)((inner[1] & 0x03) | dscp);
			pkt_ip4_csum(inner);
		} else {
			inner[0] = (uint8_t)((inner[0] & 0xf0) | (dscp >> 4));
			inner[1] = (uint8_t)((inner[1] & 0x3f) | ((dscp & 0x0f) << 4));
		}
	}
	/* RFC 4301 5.1.2.1, RFC 6040 4.2: congestion experienced (CE) on the
	 * way marks an ECN-capable inner packet too (the outer ECN field
	 * was copied from it, so a not-ECT inner one has a not-ECT outer) */
	if ((META_TOS(meta) & 3) == 3 && (pi.tos & 3) != 0 && (pi.tos & 3) != 3) {
		if (pi.family == AF_INET) {
			inner[1] |= 3;
			pkt_ip4_csum(inner);
		} else {
			inner[1] |= 0x30;
		}
	}
	gro_add(&s->gro, inner, pi.len);
}

/*
 * The SA this SPU would open the packet with and the sequence number it
 * would infer now, if its ICV can be precomputed; NULL otherwise (in_esp()
 * then sorts the packet out).
 */
static struct us_sa *
pair_sa(struct spu *s, const uint8_t *esp, size_t len, uint64_t meta, uint64_t *seq)
{
	struct spi_ent *e;
	struct us_sa *sa;
	uint32_t spi, seq_lo;

	if (!esp_peek(esp, len, &spi, &seq_lo) || (e = spi_find(s, spi)) == NULL ||
	    (sa = spi_ent_sa(e)) == NULL || sa->dead || ((meta & META_ENCAP) != 0) != sa->encap ||
	    !esp_icv_pairable(&sa->x, len))
		return NULL;
	*seq = replay_infer(&sa->rp, seq_lo, sa->esn);
	return sa;
}

/* Inbound ESP packets of one receive batch, grouped for in_esp_group(). */
struct rx_pend {
	size_t n;
	uint8_t *p[ESP_ICV_GROUP];
	size_t len[ESP_ICV_GROUP];
	uint64_t meta[ESP_ICV_GROUP];
};

/*
 * Up to ESP_ICV_GROUP consecutive inbound packets: the HMAC-SHA-256 ICVs
 * of those that allow it computed together (SHA-NI, one lane each), then
 * each packet processed by in_esp() in order. The sequence numbers are
 * all inferred before the first packet updates the window; in_esp() uses
 * a precomputed ICV only if it infers the same one (an ESN epoch change
 * inside the group makes the later packets compute their own).
 */
static void
in_esp_group(struct spu *s, struct rx_pend *g)
{
	struct esp_icv_req r[ESP_ICV_GROUP];
	size_t at[ESP_ICV_GROUP], i, m = 0;

	for (i = 0; i < g->n; i++) {
		struct us_sa *sa;
		uint64_t q;

		at[i] = SIZE_MAX;
		sa = g->n > 1 ? pair_sa(s, g->p[i], g->len[i], g->meta[i], &q) : NULL;
		if (sa == NULL)
			continue;
		r[m] = (struct esp_icv_req){
			.x = &sa->x, .pkt = g->p[i], .len = g->len[i], .seq = q, .esn = sa->esn
		};
		at[i] = m++;
	}
	if (m > 0)
		esp_icv_group(r, m);
	for (i = 0; i < g->n; i++) {
		if (at[i] == SIZE_MAX)
			in_esp(s, g->p[i], g->len[i], g->meta[i], NULL, 0);
		else
			in_esp(s, g->p[i], g->len[i], g->meta[i], r[at[i]].icv, r[at[i]].seq);
	}
	g->n = 0;
}

static void
rx_esp(struct spu *s, struct rx_pend *g, uint8_t *p, size_t len, uint64_t meta)
{
	g->p[g->n] = p;
	g->len[g->n] = len;
	g->meta[g->n] = meta;
	if (++g->n == ESP_ICV_GROUP)
		in_esp_group(s, g);
}

static uint8_t
cmsg_tos(struct msghdr *mh, uint16_t *gso)
{
	struct cmsghdr *c;
	uint8_t tos = 0;
	int v;

	*gso = 0;
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			*gso = (uint16_t)v;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS &&
		           c->cmsg_len >= CMSG_LEN(1)) {
			tos = *CMSG_DATA(c);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS &&
		           c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			tos = (uint8_t)v;
		}
	}
	return tos;
}

static void
rx_prepare(struct spu *s, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct msghdr *mh = &s->rxmsg[i].msg_hdr;

		s->rxiov[i].iov_base = s->rxbuf + (size_t)i * US_RX_BUF;
		s->rxiov[i].iov_len = US_RX_BUF;
		memset(mh, 0, sizeof(*mh));
		mh->msg_name = &s->rxfrom[i];
		mh->msg_namelen = sizeof(s->rxfrom[i]);
		mh->msg_iov = &s->rxiov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = s->rxcmsg[i];
		mh->msg_controllen = sizeof(s->rxcmsg[i]);
	}
}

/* ESP in UDP (RFC 3948) or raw ESP: one recvmmsg batch. */
static int
sock_rx(struct spu *s, int fd, bool udp, bool v4raw)
{
	struct rx_pend pend = { .n = 0 };
	int n, i;
	uint16_t gso;
	uint8_t tos;

	rx_prepare(s, US_RX_BATCH);
	n = recvmmsg(fd, s->rxmsg, US_RX_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		uint8_t *p = s->rxbuf + (size_t)i * US_RX_BUF;
		size_t len = s->rxmsg[i].msg_len, off, seg, hl;

		if (s->rxmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			ctr_add(&s->ctr.other_drops, 1);
			continue;
		}
		tos = cmsg_tos(&s->rxmsg[i].msg_hdr, &gso);
		if (!udp) {
			if (v4raw) {
				/* raw IPv4 sockets deliver the IP header */
				hl = len >= 20 ? (size_t)(p[0] & 0x0f) * 4 : len + 1;
				if (hl < 20 || hl > len) {
					ctr_add(&s->ctr.other_drops, 1);
					continue;
				}
				tos = p[1];
				p += hl;
				len -= hl;
			}
			rx_esp(s, &pend, p, len, (uint64_t)tos << 8);
			continue;
		}
		seg = gso ? gso : len;
		for (off = 0; off < len; off += seg) {
			size_t dl = len - off < seg ? len - off : seg;

			/* RFC 3948 2.2/2.3: keepalives and IKE belong to the IKE
			 * socket (steered there; one may end a GRO buffer) */
			if (dl == 1 && p[off] == 0xff)
				continue;
			if (dl < 8) {
				ctr_add(&s->ctr.other_drops, 1); /* no room for an ESP header */
				continue;
			}
			if ((p[off] | p[off + 1] | p[off + 2] | p[off + 3]) == 0)
				continue;
			rx_esp(s, &pend, p + off, dl, META_ENCAP | (uint64_t)tos << 8);
		}
	}
	if (pend.n > 0)
		in_esp_group(s, &pend);
	gro_flush(&s->gro);
	return n;
}

/* ---- handoff rings ---- */

static void
rings_drain(struct spu *s)
{
	struct us *us = s->us;
	struct ring_rec *rec;
	struct virtio_net_hdr vh;
	uint32_t src;
	int nin;

	for (src = 0; src < us->nspu; src++) {
		struct ring *r;

		if (src == s->idx)
			continue;
		r = &us->rings[src * us->nspu + s->idx];
		nin = 0;
		while ((rec = ring_peek(r)) != NULL) {
			uint8_t *data = (uint8_t *)(rec + 1);

			if (rec->kind == REC_OUT && rec->len >= sizeof(vh)) {
				memcpy(&vh, data, sizeof(vh));
				/* out_packet copies into the send slab */
				out_packet(s, &vh, data + sizeof(vh), rec->len - sizeof(vh), true,
				    rec->meta);
			} else if (rec->kind == REC_IN && rec->len <= US_RX_BUF) {
				/* into the receive buffers: GRO keeps pointers until the flush */
				uint8_t *b = s->rxbuf + (size_t)nin * US_RX_BUF;
				memcpy(b, data, rec->len);
				in_esp(s, b, rec->len, rec->meta, NULL, 0);
				if (++nin == US_RX_BATCH) {
					gro_flush(&s->gro);
					nin = 0;
				}
			}
			ring_release(r, rec);
		}
		gro_flush(&s->gro);
	}
}

static void
wake_pushed(struct spu *s)
{
	uint64_t one = 1;
	uint32_t i;

	for (i = 0; i < s->us->nspu; i++) {
		if (!s->pushed[i])
			continue;
		s->pushed[i] = false;
		if (write(s->us->spu[i].wakefd, &one, sizeof(one)) < 0) {
			/* already signalled */
		}
	}
}

/* ---- control messages ---- */

static void
ctr_tunnels(struct spu *s, const struct us_tunnel *old, const struct us_tunnel *new)
{
	uint32_t n = atomic_load_explicit(&s->ctr.tunnels, memory_order_relaxed);

	if (old != NULL && old->t.spu == s->idx)
		n--;
	if (new != NULL &&new->t.spu == s->idx)
		n++;
	atomic_store_explicit(&s->ctr.tunnels, n, memory_order_relaxed);
}

static int
ctl_tunnel_set(struct spu *s, const struct us_tunnel *d)
{
	struct spu_tun *t = tun_find(s, d->t.id);
	const struct us_tunnel *old = NULL;
	struct spu_unit *u;

	if (t == NULL) {
		t = calloc(1, sizeof(*t));
		if (t == NULL)
			return -ENOMEM;
		t->d = d;
		if (hmap_insert(&s->tuns, &t->hn, hmap_mix(d->t.id)) < 0) {
			free(t);
			return -ENOMEM;
		}
	} else {
		old = t->d;
		if (old->t.unit != d->t.unit && (u = unit_find(s, old->t.unit)) != NULL)
			unit_unlink(u, t);
		t->d = d;
	}
	ctr_tunnels(s, old, d);
	if ((old == NULL || old->t.unit != d->t.unit) && d->t.unit != DP_UNIT_NONE &&
	    (u = unit_find(s, d->t.unit)) != NULL)
		unit_link(u, t);
	return 0;
}

static void
ctl_tunnel_del(struct spu *s, uint32_t id)
{
	struct spu_tun *t = tun_find(s, id);
	struct spu_unit *u;
	struct us_sa *sa, *next;

	if (t == NULL)
		return;
	if ((u = unit_find(s, t->d->t.unit)) != NULL)
		unit_unlink(u, t);
	for (sa = t->out; sa != NULL; sa = next) {
		next = sa->tnext;
		spu_sa_free(sa);
	}
	ctr_tunnels(s, t->d, NULL);
	hmap_remove(&s->tuns, &t->hn);
	free(t);
}

struct unit_scan {
	struct spu_unit *u;
};

static void
unit_scan_one(struct hnode *n, void *arg)
{
	struct unit_scan *c = arg;
	struct spu_tun *t = hmap_entry(n, struct spu_tun, hn);

	if (t->d->t.unit == c->u->d->u.unit)
		unit_link(c->u, t);
}

static int
ctl_unit_set(struct spu *s, const struct us_unit *d, uint32_t id)
{
	struct spu_unit *u = unit_find(s, d != NULL ? d->u.unit : id);
	struct unit_scan sc;

	if (d == NULL) {
		if (u == NULL)
			return 0;
		lpm_del_unit(&s->routes, id);
		hmap_remove(&s->units, &u->hn);
		if (u->cap != 0)
			free(u->tun.arr);
		free(u);
		return 0;
	}
	if (u != NULL) {
		u->d = d;
		return 0;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	u->d = d;
	if (hmap_insert(&s->units, &u->hn, hmap_mix((uint64_t)d->u.unit | (1ULL << 40))) < 0) {
		free(u);
		return -ENOMEM;
	}
	sc.u = u;
	hmap_walk(&s->tuns, unit_scan_one, &sc);
	return 0;
}

static int
spi_set(struct spu *s, uint32_t spi, uint32_t owner, struct us_sa *sa)
{
	struct spi_ent *e = spi_find(s, spi);

	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		if (hmap_insert(&s->spis, &e->hn, spi_hash(spi)) < 0) {
			free(e);
			return -ENOMEM;
		}
	}
	spi_ent_set(e, owner, sa, s->idx);
	return 0;
}

static void
spi_del(struct spu *s, uint32_t spi)
{
	struct spi_ent *e = spi_find(s, spi);

	if (e == NULL)
		return;
	hmap_remove(&s->spis, &e->hn);
	free(e);
}

static void
out_link(struct spu_tun *t, struct us_sa *sa)
{
	sa->tnext = t->out;
	t->out = sa;
}

static struct us_sa *
out_unlink(struct spu_tun *t, uint32_t spi)
{
	struct us_sa **pp, *sa;

	for (pp = &t->out; (sa = *pp) != NULL; pp = &sa->tnext) {
		if (sa->spi == spi) {
			*pp = sa->tnext;
			sa->tnext = NULL;
			return sa;
		}
	}
	return NULL;
}

static int
ctl_sa_add(struct spu *s, struct us_sa *sa, uint32_t owner)
{
	struct spu_tun *t = NULL;

	if (owner == s->idx) {
		t = tun_find(s, sa->tunnel_id);
		if (t == NULL)
			return -ENOENT;
		sa->tun = t;
		esp_xform_bind(&sa->x, s->cc);
	}
	if (sa->dir == DP_DIR_IN)
		return spi_set(s, sa->spi, owner, owner == s->idx ? sa : NULL);
	if (t != NULL)
		out_link(t, sa);
	return 0;
}

static struct us_sa *
sa_lookup(struct spu *s, uint32_t tunnel, uint32_t spi, enum dp_dir dir)
{
	struct spu_tun *t;
	struct spi_ent *e;
	struct us_sa *sa;

	if (dir == DP_DIR_IN) {
		e = spi_find(s, spi);
		return e != NULL ? spi_ent_sa(e) : NULL;
	}
	if ((t = tun_find(s, tunnel)) == NULL)
		return NULL;
	for (sa = t->out; sa != NULL; sa = sa->tnext)
		if (sa->spi == spi)
			return sa;
	return NULL;
}

static void
ctl_sa_del(struct spu *s, const struct ctl_msg *m)
{
	struct spu_tun *t;
	struct us_sa *sa = NULL;

	if (m->b.dir == DP_DIR_IN) {
		if (m->b.owner == s->idx)
			sa = sa_lookup(s, m->b.id, m->b.spi, DP_DIR_IN);
		spi_del(s, m->b.spi);
	} else if (m->b.owner == s->idx && (t = tun_find(s, m->b.id)) != NULL) {
		sa = out_unlink(t, m->b.spi);
	}
	spu_sa_free(sa);
}

static void
ctl_sa_update(struct spu *s, const struct ctl_msg *m)
{
	struct us_sa *sa = sa_lookup(s, m->b.id, m->b.spi, m->b.dir);
	const struct dp_sa *t = m->tmpl;

	if (sa == NULL)
		return;
	if (m->b.what & DP_SA_UPD_LIFETIME) {
		sa->life = t->life;
		sa->flags =
		    (sa->flags & ~(uint32_t)DP_SA_HAS_LIFETIME) | (t->flags & DP_SA_HAS_LIFETIME);
		sa->soft_sent = false;
	}
	if (m->b.what & DP_SA_UPD_REMOTE) {
		/* m->sa carries the recomputed destination (control side) */
		sa->remote = m->sa->remote;
		sa->rport = m->sa->rport;
		sa->peer = m->sa->peer;
		sa->peer_len = m->sa->peer_len;
	}
	if (m->b.what & (DP_SA_UPD_REMOTE | US_SA_UPD_MTU)) {
		sa->outer_mtu = m->sa->outer_mtu;
		sa->inner_mtu = (uint32_t)esp_max_payload(&sa->x,
		    sa->outer_mtu - (sa->remote.family == AF_INET ? 20 : 40) - (sa->encap ? 8 : 0));
	}
}

struct export_ctx {
	struct spu *s;
	uint32_t tunnel, new_owner;
	struct us_sa **tail;
};

static void
export_in(struct hnode *n, void *arg)
{
	struct export_ctx *c = arg;
	struct spi_ent *e = hmap_entry(n, struct spi_ent, hn);
	struct us_sa *sa = spi_ent_sa(e);

	if (sa == NULL || sa->tunnel_id != c->tunnel)
		return;
	*c->tail = sa;
	c->tail = &sa->tnext;
	sa->tnext = NULL;
	esp_xform_unbind(&sa->x); /* our cache slot, wiped */
	spi_ent_set(e, c->new_owner, NULL, c->s->idx);
}

static struct us_sa *
ctl_export(struct spu *s, uint32_t tunnel, uint32_t new_owner)
{
	struct spu_tun *t = tun_find(s, tunnel);
	struct export_ctx c;
	struct us_sa *list = NULL, *sa;

	c.s = s;
	c.tunnel = tunnel;
	c.new_owner = new_owner;
	c.tail = &list;
	if (t != NULL) {
		/* outbound SAs keep their order, newest first */
		*c.tail = t->out;
		for (sa = t->out; sa != NULL; sa = sa->tnext) {
			esp_xform_unbind(&sa->x);
			c.tail = &sa->tnext;
		}
		t->out = NULL;
	}
	hmap_walk(&s->spis, export_in, &c);
	return list;
}

static int
ctl_import(struct spu *s, struct us_sa *list)
{
	struct spu_tun *t;
	struct us_sa *sa, *next, **tail;
	int rc = 0;

	for (sa = list; sa != NULL; sa = next) {
		next = sa->tnext;
		sa->tnext = NULL;
		t = tun_find(s, sa->tunnel_id);
		sa->tun = t;
		esp_xform_bind(&sa->x, s->cc);
		if (sa->dir == DP_DIR_IN) {
			if (spi_set(s, sa->spi, s->idx, sa) < 0)
				rc = -ENOMEM;
			continue;
		}
		if (t == NULL) {
			spu_sa_free(sa);
			continue;
		}
		for (tail = &t->out; *tail != NULL; tail = &(*tail)->tnext)
			;
		*tail = sa; /* append: the list arrives newest first */
	}
	return rc;
}

struct clear_ctx {
	struct spu *s;
};

static void
clear_sa(struct us_sa *sa)
{
	uint64_t seq = sa->st.seq, add = sa->st.add_time;
	uint32_t spu = sa->st.spu, tun = sa->st.tunnel_id;

	sa->cleared_bytes += sa->st.bytes;
	sa->cleared_packets += sa->st.packets;
	memset(&sa->st, 0, sizeof(sa->st));
	sa->st.seq = seq;
	sa->st.add_time = add;
	sa->st.spu = spu;
	sa->st.tunnel_id = tun;
}

static void
clear_in(struct hnode *n, void *arg)
{
	struct spi_ent *e = hmap_entry(n, struct spi_ent, hn);

	(void)arg;
	if (spi_ent_sa(e) != NULL)
		clear_sa(spi_ent_sa(e));
}

static void
clear_out(struct hnode *n, void *arg)
{
	struct spu_tun *t = hmap_entry(n, struct spu_tun, hn);
	struct us_sa *sa;

	(void)arg;
	for (sa = t->out; sa != NULL; sa = sa->tnext)
		clear_sa(sa);
}

/*
 * The cipher key cache is this thread's alone: its counters (less those
 * of the last clear, or of this one with `clear`) go to the shared ones
 * here, once a second and on a clear.
 */
static void
publish_cache(struct spu *s, bool clear)
{
	struct esp_cache_stats cs;

	esp_cache_get_stats(s->cc, &cs);
	if (clear) {
		s->cc_base_misses = cs.misses;
		s->cc_base_evictions = cs.evictions;
	}
	atomic_store_explicit(
	    &s->ctr.ctx_misses, cs.misses - s->cc_base_misses, memory_order_relaxed);
	atomic_store_explicit(
	    &s->ctr.ctx_evictions, cs.evictions - s->cc_base_evictions, memory_order_relaxed);
	atomic_store_explicit(&s->ctr.ctx_keyed, cs.keyed, memory_order_relaxed);
}

static void
ctl_clear(struct spu *s)
{
	struct spu_ctr *c = &s->ctr;
	_Atomic uint64_t *all[] = { &c->encrypt_packets, &c->encrypt_bytes, &c->decrypt_packets,
		&c->decrypt_bytes, &c->unknown_spi, &c->replay_drops, &c->auth_failures,
		&c->handoffs, &c->handoff_drops, &c->no_sa_drops, &c->no_route_drops, &c->mtu_drops,
		&c->other_drops, &c->tx_errors, &c->icmp_suppressed, &c->event_drops,
		&c->frag_drops, &c->frag_resent };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		atomic_store_explicit(all[i], 0, memory_order_relaxed);
	/* keys held is a state, not a counter: it stays */
	publish_cache(s, true);
	hmap_walk(&s->spis, clear_in, NULL);
	hmap_walk(&s->tuns, clear_out, NULL);
}

/* Applies one message to this SPU's tables; sets *stop for CTL_STOP. */
static int
ctl_apply(struct spu *s, struct ctl_msg *m, bool *stop)
{
	struct us_sa *sa;
	uint32_t i;
	int rc = 0, r;

	switch (m->op) {
	case CTL_BATCH:
		for (i = 0; i < m->nsubs; i++)
			if ((r = ctl_apply(s, m->subs[i], stop)) < 0 && rc == 0)
				rc = r;
		break;
	case CTL_STOP:
		*stop = true;
		break;
	case CTL_UNIT_SET:
		rc = ctl_unit_set(s, m->a, m->b.id);
		break;
	case CTL_ROUTE_ADD:
		rc = lpm_add(&s->routes, &m->route.dst, m->route.unit, &m->route.nexthop);
		break;
	case CTL_ROUTE_DEL:
		lpm_del(&s->routes, &m->route.dst);
		break;
	case CTL_UNITS_SET: {
		const struct us_unit *const *units = m->a;

		for (i = 0; i < m->b.n && rc == 0; i++)
			rc = ctl_unit_set(s, units[i], 0);
		break;
	}
	case CTL_ROUTES_ADD: {
		const struct dp_route *routes = m->a;

		for (i = 0; i < m->b.n && rc == 0; i++)
			rc =
			    lpm_add(&s->routes, &routes[i].dst, routes[i].unit, &routes[i].nexthop);
		break;
	}
	case CTL_TUNNEL_SET:
		rc = ctl_tunnel_set(s, m->a);
		break;
	case CTL_TUNNEL_DEL:
		ctl_tunnel_del(s, m->b.id);
		break;
	case CTL_SA_ADD:
		rc = ctl_sa_add(s, m->sa, m->b.owner);
		break;
	case CTL_SA_DEL:
		ctl_sa_del(s, m);
		break;
	case CTL_SA_UPDATE:
		ctl_sa_update(s, m);
		break;
	case CTL_SA_STATS:
		sa = sa_lookup(s, m->b.id, m->b.spi, m->b.dir);
		if (sa == NULL) {
			rc = -ENOENT;
			break;
		}
		m->stats = sa->st;
		m->stats.seq = sa->dir == DP_DIR_OUT ? sa->seq : sa->rp.top;
		break;
	case CTL_SA_EXPORT:
		m->sa = ctl_export(s, m->b.id, m->b.owner);
		break;
	case CTL_SA_IMPORT:
		if (m->b.owner == s->idx)
			rc = ctl_import(s, m->sa);
		break;
	case CTL_POLICIES:
		s->pol = m->pols;
		s->npol = m->b.n;
		break;
	case CTL_CLEAR_STATS:
		ctl_clear(s);
		break;
	}
	return rc;
}

/* true when the SPU must stop. */
static bool
ctl_poll(struct spu *s)
{
	struct ctl_msg *m = atomic_load_explicit(&s->inbox, memory_order_acquire);
	uint64_t one = 1;
	bool stop = false;
	int rc;

	if (m == NULL)
		return false;
	atomic_store_explicit(&s->inbox, NULL, memory_order_relaxed);
	/* nothing queued may point at what the message replaces or frees */
	txq_flush(s);
	gro_flush(&s->gro);
	rc = ctl_apply(s, m, &stop);
	if (rc < 0) {
		int expected = 0;
		atomic_compare_exchange_strong(&m->rc, &expected, rc);
	}
	/* after this the poster may free m */
	if (atomic_fetch_sub_explicit(&m->pending, 1, memory_order_acq_rel) == 1 &&
	    write(s->us->done_fd, &one, sizeof(one)) < 0) {
		/* cannot happen with a counter eventfd */
	}
	return stop;
}

/* ---- lifetimes (seconds) ---- */

static void
tick_in(struct hnode *n, void *arg)
{
	struct spi_ent *e = hmap_entry(n, struct spi_ent, hn);

	if (spi_ent_sa(e) != NULL)
		sa_check_time(arg, spi_ent_sa(e));
}

static void
tick_out(struct hnode *n, void *arg)
{
	struct spu_tun *t = hmap_entry(n, struct spu_tun, hn);
	struct us_sa *sa;

	for (sa = t->out; sa != NULL; sa = sa->tnext)
		sa_check_time(arg, sa);
}

static void
tick(struct spu *s)
{
	s->now = mono_now();
	if (s->now == s->last_tick)
		return;
	s->last_tick = s->now;
	hmap_walk(&s->spis, tick_in, s);
	hmap_walk(&s->tuns, tick_out, s);
	publish_cache(s, false);
}

/* ---- the thread ---- */

static void *
spu_main(void *arg)
{
	struct spu *s = arg;
	struct epoll_event ev[16];
	char name[16];
	uint64_t v;
	int n, i;

	snprintf(name, sizeof(name), "spu%u", s->idx);
	pthread_setname_np(pthread_self(), name);
	if (s->us->cfg.pin_cpus) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(s->idx % CPU_SETSIZE, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	for (;;) {
		tick(s);
		if (ctl_poll(s))
			break;
		n = epoll_wait(s->epfd, ev, 16, 1000);
		s->now = mono_now();
		for (i = 0; i < n; i++) {
			switch (ev[i].data.u32) {
			case TAG_WAKE:
				if (read(s->wakefd, &v, sizeof(v)) < 0) {
					/* spurious */
				}
				break;
			case TAG_TUN:
				tun_rx(s);
				break;
			case TAG_UDP4:
				sock_rx(s, s->udp[0], true, false);
				break;
			case TAG_UDP6:
				sock_rx(s, s->udp[1], true, false);
				break;
			case TAG_RAW4:
				sock_rx(s, s->raw[0], false, true);
				break;
			case TAG_RAW6:
				sock_rx(s, s->raw[1], false, false);
				break;
			}
		}
		if (s->us->nspu > 1)
			rings_drain(s);
		txq_flush(s);
		gro_flush(&s->gro);
		if (s->us->nspu > 1)
			wake_pushed(s);
	}
	return NULL;
}

int
spu_init(struct us *us, struct spu *s, uint32_t idx, struct errbuf *err)
{
	int f, rc;

	memset(s, 0, sizeof(*s));
	s->us = us;
	s->idx = idx;
	s->tunfd = s->wakefd = -1;
	for (f = 0; f < 2; f++)
		s->udp[f] = s->udp_df[f] = s->raw[f] = s->raw_df[f] = s->resend[f] = -1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->epfd < 0 || s->wakefd < 0)
		return errbuf_set(err, -errno, "SPU %u: %s", idx, strerror(errno));
	if (hmap_init(&s->tuns, 64) < 0 || hmap_init(&s->units, 64) < 0 ||
	    hmap_init(&s->spis, 64) < 0 || lpm_init(&s->routes) < 0)
		return errbuf_set(err, -ENOMEM, "SPU %u: out of memory", idx);
	s->pushed = calloc(us->nspu, sizeof(*s->pushed));
	s->tunbuf = malloc(US_TUN_BUF);
	s->rxbuf = malloc((size_t)US_RX_BATCH * US_RX_BUF);
	s->tx.slab = malloc(US_TX_SLAB);
	s->frag = malloc(sizeof(*s->frag));
	s->frag_in = malloc(sizeof(*s->frag_in));
	if (s->pushed == NULL || s->tunbuf == NULL || s->rxbuf == NULL || s->tx.slab == NULL ||
	    s->frag == NULL || s->frag_in == NULL)
		return errbuf_set(err, -ENOMEM, "SPU %u: out of memory for buffers", idx);
	frag_tab_init(s->frag);
	frag_tab_init(s->frag_in);
	/* fragments no policy wants go on in clear (resend()); IPPROTO_RAW
	 * sockets send with the caller's header and receive nothing */
	for (f = 0; f < 2; f++) {
		uint32_t mark = US_RESEND_MARK;

		s->resend[f] = socket(f == 0 ? AF_INET : AF_INET6,
		    SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
		if (s->resend[f] < 0 && f == 1)
			continue; /* IPv6 may be disabled */
		if (s->resend[f] < 0 ||
		    setsockopt(s->resend[f], SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
			return errbuf_set(
			    err, -errno, "SPU %u: resend socket: %s", idx, strerror(errno));
	}
	if (RAND_bytes(s->rnd, sizeof(s->rnd)) != 1)
		return errbuf_set(err, -EIO, "SPU %u: no random bytes", idx);
	if ((rc = esp_cache_new(&s->cc, ESP_CACHE_SLOTS, err)) < 0)
		return rc;
	gro_init(&s->gro, tun_writev, s);
	s->rl_auth = (struct log_ratelimit)LOG_RATELIMIT_INIT(10, 3);
	pkt_tb_init(&s->icmp_tb, PKT_ICMP_RATE, PKT_ICMP_BURST, mono_ms());
	s->rl_spi = (struct log_ratelimit)LOG_RATELIMIT_INIT(10, 3);
	s->now = mono_now();
	atomic_init(&s->inbox, NULL);
	return 0;
}

static int
ep_add(struct spu *s, int fd, uint32_t tag)
{
	struct epoll_event ev;

	if (fd < 0)
		return 0; /* e.g. no IPv6 sockets */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = tag;
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int
spu_start(struct spu *s, struct errbuf *err)
{
	int rc;

	if (ep_add(s, s->wakefd, TAG_WAKE) < 0 || ep_add(s, s->tunfd, TAG_TUN) < 0 ||
	    ep_add(s, s->udp[0], TAG_UDP4) < 0 || ep_add(s, s->udp[1], TAG_UDP6) < 0 ||
	    ep_add(s, s->raw[0], TAG_RAW4) < 0 || ep_add(s, s->raw[1], TAG_RAW6) < 0)
		return errbuf_set(err, -errno, "SPU %u: epoll: %s", s->idx, strerror(errno));
	rc = pthread_create(&s->thr, NULL, spu_main, s);
	if (rc != 0)
		return errbuf_set(err, -rc, "SPU %u: thread: %s", s->idx, strerror(rc));
	s->started = true;
	return 0;
}

static void
free_tun(struct hnode *n, void *arg)
{
	struct spu_tun *t = hmap_entry(n, struct spu_tun, hn);
	struct us_sa *sa, *next;

	(void)arg;
	for (sa = t->out; sa != NULL; sa = next) {
		next = sa->tnext;
		spu_sa_free(sa);
	}
	free(t);
}

static void
free_unit(struct hnode *n, void *arg)
{
	struct spu_unit *u = hmap_entry(n, struct spu_unit, hn);

	(void)arg;
	if (u->cap != 0)
		free(u->tun.arr);
	free(u);
}

static void
free_spi(struct hnode *n, void *arg)
{
	struct spi_ent *e = hmap_entry(n, struct spi_ent, hn);

	(void)arg;
	spu_sa_free(spi_ent_sa(e));
	free(e);
}

void
spu_fini(struct spu *s)
{
	if (s->tuns.b != NULL)
		hmap_walk(&s->tuns, free_tun, NULL);
	if (s->units.b != NULL)
		hmap_walk(&s->units, free_unit, NULL);
	if (s->spis.b != NULL)
		hmap_walk(&s->spis, free_spi, NULL);
	hmap_fini(&s->tuns);
	hmap_fini(&s->units);
	hmap_fini(&s->spis);
	esp_cache_free(s->cc); /* after the SAs that borrow its contexts */
	s->cc = NULL;
	lpm_fini(&s->routes);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->wakefd >= 0)
		close(s->wakefd);
	for (int f = 0; f < 2; f++)
		if (s->resend[f] >= 0)
			close(s->resend[f]);
	free(s->frag);
	free(s->frag_in);
	free(s->pushed);
	free(s->tunbuf);
	free(s->rxbuf);
	free(s->tx.slab);
	explicit_bzero(s->rnd, sizeof(s->rnd));
}
